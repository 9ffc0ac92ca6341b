/* passes/fuse_gelu.c: the decomposed GELU becomes one Gelu node:
 *   erf form:  0.5 * x * (1 + Erf(x / sqrt(2)))            (or x * 0.7071...)
 *   tanh form: 0.5 * x * (1 + Tanh(0.7978... * (x + 0.044715 * x^3)))  approximate="tanh"
 * The product 0.5 * x * (...) may be spelt ((x * a) * 0.5), (x * (a * 0.5)) or
 * ((x * 0.5) * a), operands in either order.
 * Needs: uses. Breaks: shapes (the Gelu output gets the old one's type).
 * Fixed point: no. Opset 20 and later. Every intermediate value must be read only
 * inside the pattern. */
#include "config.h"

#include "match.h"

/* x such that t computes x / sqrt(2) (erf form) or sqrt(2/pi) * (x + 0.044715 x^3). */
static struct ox_value *
head(struct ox_value *t, bool tanh_form)
{
	struct ox_node *p = t->producer;

	if (!tanh_form) {
		if (ox_pass_is(p, "Div") && ox_match_const(p->in[1], 1.4142135623730951))
			return p->in[0];
		if (ox_pass_is(p, "Mul")) {
			for (int s = 0; s < 2; s++)
				if (ox_match_const(p->in[s], 0.7071067811865476))
					return p->in[1 - s];
		}
		return NULL;
	}
	if (!ox_pass_is(p, "Mul") || !ox_pass_single_use(t))
		return NULL;
	for (int s = 0; s < 2; s++) {
		struct ox_node *add, *mul, *pow;
		struct ox_value *x;

		if (!ox_match_const(p->in[s], 0.7978845608028654) ||
		    !(add = ox_match_single(p->in[1 - s], "Add")))
			continue;
		for (int a = 0; a < 2; a++) {
			if (!(mul = ox_match_single(add->in[a], "Mul")))
				continue;
			x = add->in[1 - a];
			for (int m = 0; m < 2; m++) {
				if (!ox_match_const(mul->in[m], 0.044715) ||
				    !(pow = ox_match_single(mul->in[1 - m], "Pow")))
					continue;
				if (pow->in[0] == x && ox_match_const(pow->in[1], 3))
					return x;
			}
		}
	}
	return NULL;
}

/* The final node of 0.5 * x * a, where a = 1 + f(...), or NULL. */
static struct ox_node *
tail(struct ox_value *a, struct ox_value *x)
{
	struct ox_node *m1 = ox_match_reader(a, "Mul"), *m2;
	struct ox_value *o;

	if (!m1 || !(o = ox_match_other(m1, a)))
		return NULL;
	if (o == x) {
		m2 = ox_match_reader(m1->out[0], "Mul");
		return m2 && ox_match_const(ox_match_other(m2, m1->out[0]), 0.5) ? m2 : NULL;
	}
	if (ox_match_const(o, 0.5)) {
		m2 = ox_match_reader(m1->out[0], "Mul");
		return m2 && ox_match_other(m2, m1->out[0]) == x ? m2 : NULL;
	}
	if (o->producer && ox_pass_is(o->producer, "Mul") && ox_pass_single_use(o) &&
	    ox_match_other(o->producer, x) && ox_match_const(ox_match_other(o->producer, x), 0.5))
		return m1;
	return NULL;
}

static int
fuse(struct ox_graph *g, struct ox_node *f, bool tanh_form)
{
	struct ox_node *add, *last, *gelu;
	struct ox_value *x, *one, *y;

	if (!f->in[0] || !f->out[0] || !(x = head(f->in[0], tanh_form)) ||
	    (!tanh_form && !ox_pass_single_use(f->in[0])))
		return 0;
	if (!(add = ox_match_reader(f->out[0], "Add")) || !(one = ox_match_other(add, f->out[0])) ||
	    !ox_match_const(one, 1))
		return 0;
	if (!(last = tail(add->out[0], x)))
		return 0;
	y = last->out[0];
	/* A fresh node result can always take over y, graph output or not. */
	if (!(gelu = ox_node_new(g, "Gelu", "", 1, 1)))
		return OX_ENOMEM;
	if (ox_node_set_input(gelu, 0, x) < 0 ||
	    (tanh_form && ox_node_set_attr_string(gelu, "approximate", "tanh") < 0))
		return OX_ENOMEM;
	gelu->name = f->name;
	gelu->out[0]->type = y->type;
	if (ox_pass_replace(y, gelu->out[0]) < 0)
		return OX_ENOMEM;
	ox_pass_kill(last);
	return 1;
}

int
ox_pass_fuse_gelu(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	if (ox_pass_opset(g) < 20)
		return 0;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *f = g->nodes[i];
		bool is_erf = ox_pass_is(f, "Erf");

		if (!is_erf && !ox_pass_is(f, "Tanh"))
			continue;
		if ((r = fuse(g, f, !is_erf)) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		n += r;
	}
	return n;
}

/* passes/fuse_layer_norm.c: the decomposed layer normalization
 *   m = ReduceMean(x); d = Sub(x, m); v = ReduceMean(Pow(d, 2) or Mul(d, d));
 *   y = Div(d, Sqrt(Add(v, eps))) [* gamma] [+ beta]
 * over trailing axes with keepdims becomes LayerNormalization(x, gamma, beta) with
 * axis -k and epsilon eps (gamma of ones when the pattern has none).
 * Needs: uses, shapes (the normalized dims, for a created gamma). Breaks: shapes (the
 * new node's output gets the old one's type). Fixed point: no. Opset 17 and later;
 * float and double. Every intermediate value must be read only inside the pattern. */
#include "config.h"

#include "match.h"

/* Axes of a ReduceMean as -k..-1 form: k, or -1 when they are not the trailing ones
 * or keepdims is off. */
static int
trailing_axes(const struct ox_node *rm, int rank)
{
	int64_t a[OX_MAX_RANK];
	bool seen[OX_MAX_RANK] = { false };
	int n;

	if (!ox_node_attr_int(rm, "keepdims", 1))
		return -1;
	if (ox_pass_opset(rm->graph) < 18) {
		const int64_t *p;

		n = ox_pass_attr_ints(rm, "axes", &p);
		if (n <= 0 || n > OX_MAX_RANK)
			return -1;
		for (int k = 0; k < n; k++)
			a[k] = p[k];
	} else {
		if (rm->n_in < 2 || !rm->in[1])
			return -1;
		n = ox_pass_const_ints(rm->in[1], a, OX_MAX_RANK);
		if (n <= 0)
			return -1;
	}
	for (int k = 0; k < n; k++) {
		int64_t x = a[k];

		if (x >= 0) {
			if (rank < 0)
				return -1;
			x -= rank;
		}
		if (x < -n || x >= 0 || seen[-x - 1])
			return -1;
		seen[-x - 1] = true;
	}
	return n;
}

/* p (rank 1..k) has x's trailing dims, as far as they are known. */
static bool
covers(const struct ox_value *p, const struct ox_value *x, int k)
{
	int rp = ox_pass_rank(p), rx = ox_pass_rank(x);

	if (rp < 1 || rp > k)
		return false;
	for (int i = 0; i < rp; i++) {
		int64_t pd = ox_pass_dim(p, i), xd = rx >= 0 ? ox_pass_dim(x, rx - rp + i) : -1;

		if (pd < 0 || (xd >= 0 && pd != xd))
			return false;
	}
	return true;
}

static int
fuse(struct ox_graph *g, struct ox_node *div)
{
	struct ox_value *d = div->in[0], *x, *gamma = NULL, *beta = NULL, *y;
	struct ox_node *sqrt_, *add, *rm2, *sq, *sub, *rm1, *mul, *badd, *ln, *last = div;
	double eps;
	int k, rank, dt;

	if (!(sqrt_ = ox_match_single(div->in[1], "Sqrt")) ||
	    !(add = ox_match_single(sqrt_->in[0], "Add")) || add->n_in != 2)
		return 0;
	if ((rm2 = ox_match_single(add->in[0], "ReduceMean")))
		eps = 0, (void)ox_pass_const_scalar(add->in[1], &eps);
	else if ((rm2 = ox_match_single(add->in[1], "ReduceMean")))
		eps = 0, (void)ox_pass_const_scalar(add->in[0], &eps);
	else
		return 0;
	if (!ox_pass_const(add->in[rm2->out[0] == add->in[0] ? 1 : 0]) || !(eps > 0))
		return 0;
	sq = rm2->in[0] ? rm2->in[0]->producer : NULL;
	if (!sq || !ox_pass_single_use(rm2->in[0]))
		return 0;
	if (ox_pass_is(sq, "Pow")) {
		if (sq->in[0] != d || !ox_match_const(sq->in[1], 2))
			return 0;
	} else if (!ox_pass_is(sq, "Mul") || sq->in[0] != d || sq->in[1] != d) {
		return 0;
	}
	sub = d->producer;
	if (!sub || !ox_pass_is(sub, "Sub") || ox_value_is_graph_output(d) ||
	    d->n_uses != (ox_pass_is(sq, "Pow") ? 2u : 3u))
		return 0;
	x = sub->in[0];
	if (!(rm1 = ox_match_single(sub->in[1], "ReduceMean")) || rm1->in[0] != x)
		return 0;
	dt = ox_pass_elem(x);
	if (dt && dt != OX_FLOAT && dt != OX_DOUBLE)
		return 0;
	rank = ox_pass_rank(x);
	k = trailing_axes(rm1, rank);
	if (k < 0 || trailing_axes(rm2, rank) != k)
		return 0;
	y = div->out[0];
	if ((mul = ox_match_reader(y, "Mul")) && ox_pass_const(ox_match_other(mul, y))) {
		gamma = ox_match_other(mul, y);
		last = mul;
		y = mul->out[0];
		if ((badd = ox_match_reader(y, "Add")) && ox_pass_const(ox_match_other(badd, y))) {
			beta = ox_match_other(badd, y);
			last = badd;
			y = badd->out[0];
		}
	}
	/* Scale and bias must cover the normalized dims exactly, not broadcast over more. */
	if ((gamma && !covers(gamma, x, k)) || (beta && !covers(beta, x, k)))
		return 0;
	/* Every check comes before the first thing made, so a refusal leaves nothing. */
	if (dt && ((gamma && ox_pass_elem(gamma) != dt) || (beta && ox_pass_elem(beta) != dt)))
		return 0;
	if (!gamma) {
		int64_t dims[OX_MAX_RANK];
		const struct ox_tensor *t;

		if (rank < 0 || !dt)
			return 0;
		for (int i = 0; i < k; i++)
			if ((dims[i] = ox_pass_dim(x, rank - k + i)) < 0)
				return 0;
		if (!(gamma = ox_pass_new_init(g, "ln_scale", dt, k, dims)))
			return OX_ENOMEM;
		t = gamma->init;
		for (int64_t i = 0; i < t->nelem; i++)
			ox_pass_put(gamma->init, i, 1);
	}
	if (!(ln = ox_node_new(g, "LayerNormalization", "", beta ? 3 : 2, 1)) ||
	    ox_node_set_input(ln, 0, x) < 0 || ox_node_set_input(ln, 1, gamma) < 0 ||
	    (beta && ox_node_set_input(ln, 2, beta) < 0) || ox_node_set_attr_int(ln, "axis", -k) < 0 ||
	    ox_node_set_attr_float(ln, "epsilon", (float)eps) < 0)
		return OX_ENOMEM;
	ln->name = div->name;
	ln->out[0]->type = y->type;
	if (ox_pass_replace(y, ln->out[0]) < 0)
		return OX_ENOMEM;
	ox_pass_kill(last);
	return 1;
}

int
ox_pass_fuse_layer_norm(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	if (ox_pass_opset(g) < 17)
		return 0;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *div = g->nodes[i];

		if (!ox_pass_is(div, "Div") || div->n_in != 2 || !div->in[0] || !div->in[1] || !div->out[0])
			continue;
		if ((r = fuse(g, div)) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		n += r;
	}
	return n;
}

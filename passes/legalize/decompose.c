/* passes/legalize/decompose.c: decompositions kept in the project, for ops whose
 * spec gives no function body we can use: Einsum (Transpose, Unsqueeze, Mul,
 * ReduceSum; MatMul for batched matrix products), CastLike (Cast to the dtype of the
 * second input), and Cast nodes around a node whose dtype the target does not take.
 * Each checks everything before it changes anything, so a refusal leaves the graph
 * as it was. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "legalize.h"
#include "ops.h"
#include "../pass.h"

#define MAX_LETTERS 26
#define MAX_OPERANDS 8

struct ox_node *
ox_lg_node(struct ox_node *near, const char *op, int n_out, int n_in, ...)
{
	struct ox_graph *g = near->graph;
	struct ox_node *n = ox_node_new(g, op, "", n_in, n_out);
	const char *base = near->name && *near->name ? near->name : near->op_type;
	va_list ap;

	if (!n || !(n->name = ox_arena_printf(&g->model->arena, "%s/%s_%u", base, op,
					      g->name_seq++)))
		return NULL;
	va_start(ap, n_in);
	for (int i = 0; i < n_in; i++) {
		struct ox_value *v = va_arg(ap, struct ox_value *);

		if (v && ox_node_set_input(n, i, v) < 0) {
			va_end(ap);
			return NULL;
		}
	}
	va_end(ap);
	return n;
}

/* Unsqueeze or ReduceSum with axes as the opset wants them (input from 13). */
static struct ox_value *
with_axes(struct ox_node *near, const char *op, struct ox_value *x, const int64_t *axes,
	  int n, bool keepdims)
{
	struct ox_node *r;

	if (!x)
		return NULL;
	if (ox_pass_opset(near->graph) >= 13) {
		struct ox_value *a = ox_pass_new_ints(near->graph, "axes", axes, n);

		r = a ? ox_lg_node(near, op, 1, 2, x, a) : NULL;
	} else {
		r = ox_lg_node(near, op, 1, 1, x);
		if (r && ox_node_set_attr_ints(r, "axes", axes, (size_t)n) < 0)
			return NULL;
	}
	if (r && !strcmp(op, "ReduceSum") && ox_node_set_attr_int(r, "keepdims", keepdims) < 0)
		return NULL;
	return r ? r->out[0] : NULL;
}

static struct ox_value *
transpose(struct ox_node *near, struct ox_value *x, const int64_t *perm, int n)
{
	struct ox_node *t;
	bool ident = true;

	for (int i = 0; i < n; i++)
		ident = ident && perm[i] == i;
	if (ident || !x)
		return x;
	t = ox_lg_node(near, "Transpose", 1, 1, x);
	if (!t || ox_node_set_attr_ints(t, "perm", perm, (size_t)n) < 0)
		return NULL;
	return t->out[0];
}

struct einsum {
	char terms[MAX_OPERANDS][MAX_LETTERS + 1];
	int n_terms;
	char out[MAX_LETTERS + 1];
};

/* Parse an equation without ellipses or repeated letters in one term. */
static bool
einsum_parse(const struct ox_bytes *eq, struct einsum *e, char *why, size_t len)
{
	char buf[256], *arrow, *p, *term;
	int count[128] = { 0 };
	size_t n = 0;

	if (!eq->data || eq->len >= sizeof buf) {
		snprintf(why, len, "no equation, or a very long one");
		return false;
	}
	for (size_t i = 0; i < eq->len; i++)
		if (eq->data[i] != ' ')
			buf[n++] = (char)eq->data[i];
	buf[n] = 0;
	if (strchr(buf, '.')) {
		snprintf(why, len, "equations with '...' are not decomposed");
		return false;
	}
	memset(e, 0, sizeof *e);
	arrow = strstr(buf, "->");
	if (arrow)
		*arrow = 0;
	for (term = buf; term; term = p) {
		int used[128] = { 0 };

		if ((p = strchr(term, ',')))
			*p++ = 0;
		if (e->n_terms == MAX_OPERANDS || strlen(term) > MAX_LETTERS)
			return snprintf(why, len, "too many operands or letters"), false;
		for (const char *c = term; *c; c++) {
			if (*c < 'A' || *c > 'z' || (*c > 'Z' && *c < 'a'))
				return snprintf(why, len, "bad letter '%c'", *c), false;
			if (used[(int)*c]++)
				return snprintf(why, len, "a repeated letter (a diagonal) in '%s'",
						term), false;
			count[(int)*c]++;
		}
		strcpy(e->terms[e->n_terms++], term);
	}
	if (arrow) {
		if (strlen(arrow + 2) > MAX_LETTERS)
			return snprintf(why, len, "too many letters"), false;
		strcpy(e->out, arrow + 2);
		for (const char *c = e->out; *c; c++)
			if (*c < 0 || !count[(int)*c])
				return snprintf(why, len, "output letter '%c' in no input", *c), false;
	} else {
		/* Implicit output: the letters seen once, in alphabetical order. */
		for (int c = 'A'; c <= 'z'; c++)
			if (count[c] == 1)
				e->out[n = strlen(e->out)] = (char)c, e->out[n + 1] = 0;
	}
	return true;
}

/* A term as axes of the order `order`: perm to put the term's letters in that
 * order, and where the order's other letters go (unsqueezed). */
static struct ox_value *
align(struct ox_node *near, struct ox_value *x, const char *term, const char *order)
{
	int64_t perm[MAX_LETTERS], axes[MAX_LETTERS];
	int n = 0, na = 0, no = (int)strlen(order);

	for (int i = 0; i < no; i++) {
		const char *c = strchr(term, order[i]);

		if (c)
			perm[n++] = c - term;
		else
			axes[na++] = i;
	}
	x = transpose(near, x, perm, n);
	return na ? with_axes(near, "Unsqueeze", x, axes, na, false) : x;
}

/* The batched matrix product: A = batch+m+k, B = batch+k+n, out = batch+m+n as
 * sets, with one letter each for m, k and n and the batch letters in the same
 * order everywhere. Then MatMul after at most one Transpose per side. */
static struct ox_value *
einsum_matmul(struct ox_node *node, const struct einsum *e)
{
	const char *a = e->terms[0], *b = e->terms[1], *o = e->out;
	char batch[MAX_LETTERS + 1] = "", oa[MAX_LETTERS + 3], ob[MAX_LETTERS + 3];
	char mo[MAX_LETTERS + 3];
	char m = 0, k = 0, n = 0;
	int nb = 0;
	int64_t perm[MAX_LETTERS];

	for (const char *c = a; *c; c++) {
		bool in_b = strchr(b, *c), in_o = strchr(o, *c);

		if (in_b && in_o)
			batch[nb++] = *c;
		else if (in_b && !k)
			k = *c;
		else if (in_o && !in_b && !m)
			m = *c;
		else
			return NULL;
	}
	batch[nb] = 0;
	for (const char *c = b; *c; c++) {
		if (strchr(a, *c))
			continue;
		if (!strchr(o, *c) || n)
			return NULL;
		n = *c;
	}
	if (!m || !k || !n || strlen(o) != (size_t)nb + 2)
		return NULL;
	/* Batch letters in the same order in the output. */
	for (int i = 0, j = 0; o[i]; i++)
		if (strchr(batch, o[i]) && o[i] != batch[j++])
			return NULL;
	snprintf(oa, sizeof oa, "%s%c%c", batch, m, k);
	snprintf(ob, sizeof ob, "%s%c%c", batch, k, n);
	snprintf(mo, sizeof mo, "%s%c%c", batch, m, n);
	{
		struct ox_value *x, *y;
		struct ox_node *mm;
		int r = (int)strlen(mo);

		for (int i = 0; i < r; i++)
			perm[i] = strchr(a, oa[i]) - a;
		x = transpose(node, node->in[0], perm, r);
		for (int i = 0; i < r; i++)
			perm[i] = strchr(b, ob[i]) - b;
		y = transpose(node, node->in[1], perm, r);
		mm = x && y ? ox_lg_node(node, "MatMul", 1, 2, x, y) : NULL;
		if (!mm)
			return NULL;
		for (int i = 0; i < r; i++)
			perm[i] = strchr(mo, o[i]) - mo;
		return transpose(node, mm->out[0], perm, r);
	}
}

static int
einsum(struct ox_node *node, char *to, size_t to_len, char *why, size_t len)
{
	const struct ox_attr *eq = ox_node_attr(node, "equation");
	struct einsum e;
	char order[MAX_LETTERS + 1];
	struct ox_value *acc = NULL;
	int64_t axes[MAX_LETTERS];
	int n, na = 0;

	if (!eq || !einsum_parse(&eq->s, &e, why, len))
		return eq ? 0 : (snprintf(why, len, "no equation"), 0);
	if (e.n_terms != node->n_in) {
		snprintf(why, len, "the equation names %d operands, the node has %d", e.n_terms,
			 node->n_in);
		return 0;
	}
	for (int i = 0; i < e.n_terms; i++) {
		int r = ox_pass_rank(node->in[i]);

		if (!node->in[i] || (r >= 0 && r != (int)strlen(e.terms[i]))) {
			snprintf(why, len, "operand %d does not have the equation's rank", i);
			return 0;
		}
	}
	if (e.n_terms == 2 && (acc = einsum_matmul(node, &e))) {
		snprintf(to, to_len, "Transpose, MatMul");
	} else {
		/* Every letter: the output's first, then the summed ones. */
		strcpy(order, e.out);
		n = (int)strlen(order);
		for (int i = 0; i < e.n_terms; i++)
			for (const char *c = e.terms[i]; *c; c++)
				if (!strchr(order, *c)) {
					axes[na++] = n;
					order[n++] = *c;
					order[n] = 0;
				}
		for (int i = 0; i < e.n_terms; i++) {
			struct ox_value *x = align(node, node->in[i], e.terms[i], order);
			struct ox_node *mul;

			if (!x)
				return OX_ENOMEM;
			if (!acc) {
				acc = x;
				continue;
			}
			mul = ox_lg_node(node, "Mul", 1, 2, acc, x);
			if (!mul)
				return OX_ENOMEM;
			acc = mul->out[0];
		}
		if (na)
			acc = with_axes(node, "ReduceSum", acc, axes, na, false);
		if (acc == node->in[0]) {
			struct ox_node *id = ox_lg_node(node, "Identity", 1, 1, acc);

			acc = id ? id->out[0] : NULL;
		}
		snprintf(to, to_len, "Transpose, Unsqueeze, Mul, ReduceSum");
	}
	if (!acc)
		return OX_ENOMEM;
	if (ox_value_replace_uses(node->out[0], acc) < 0)
		return OX_ENOMEM;
	ox_node_kill(node);
	return 1;
}

static int
castlike(struct ox_node *node, char *to, size_t to_len, char *why, size_t len)
{
	int dt = node->n_in > 1 ? ox_pass_elem(node->in[1]) : 0;
	struct ox_node *c;

	if (!dt) {
		snprintf(why, len, "the dtype of target_type is unknown");
		return 0;
	}
	c = ox_lg_node(node, "Cast", 1, 1, node->in[0]);
	if (!c || ox_node_set_attr_int(c, "to", dt) < 0 ||
	    ox_value_replace_uses(node->out[0], c->out[0]) < 0)
		return OX_ENOMEM;
	ox_node_kill(node);
	snprintf(to, to_len, "Cast");
	return 1;
}

int
ox_lg_decompose(struct ox_node *node, char *to, size_t to_len, char *why, size_t len)
{
	if (ox_pass_is(node, "Einsum"))
		return einsum(node, to, to_len, why, len);
	if (ox_pass_is(node, "CastLike"))
		return castlike(node, to, to_len, why, len);
	snprintf(why, len, "no decomposition");
	return 0;
}

static bool
float_dtype(int dt)
{
	return dt == OX_FLOAT16 || dt == OX_DOUBLE || dt == OX_BFLOAT16 || dt == OX_FLOAT;
}

static bool
int_dtype(int dt)
{
	return dt == OX_INT8 || dt == OX_UINT8 || dt == OX_INT16 || dt == OX_UINT16 ||
	       dt == OX_UINT32 || dt == OX_INT64 || dt == OX_UINT64 || dt == OX_INT32;
}

/* Forget a value's type: its dtype is about to change. */
static void
forget_type(struct ox_value *v)
{
	v->type = NULL;
	v->has_info = false;
}

int
ox_lg_cast_around(struct ox_node *node, char *to_ops, size_t to_len, char *why, size_t len)
{
	const struct ox_op_schema *s = ox_op_find("", node->op_type, (int)ox_pass_opset(node->graph));
	const struct ox_op_formal *f0 = s ? ox_op_input(s, 0) : NULL;
	int dt = node->n_in ? ox_pass_elem(node->in[0]) : 0, to = 0;

	if (!f0 || f0->tc < 0 || ox_pass_has_subgraph(node) || ox_pass_is(node, "Cast")) {
		snprintf(why, len, "no type constraint on input 0 to cast around");
		return 0;
	}
	if (float_dtype(dt) && dt != OX_FLOAT)
		to = OX_FLOAT;
	else if (int_dtype(dt) && dt != OX_INT32 && ox_op_dtype_allowed(s, 0, OX_INT32))
		to = OX_INT32;
	else if (int_dtype(dt) || dt == OX_BOOL)
		to = OX_FLOAT;
	if (!to || !ox_op_dtype_allowed(s, 0, to)) {
		snprintf(why, len, "no dtype to cast %s to", dt ? ox_dtype_name(dt) : "an unknown dtype");
		return 0;
	}
	for (int i = 0; i < node->n_in; i++) {
		const struct ox_op_formal *f = ox_op_input(s, i);
		struct ox_node *c;

		if (!node->in[i] || !f || f->tc != f0->tc)
			continue;
		c = ox_lg_node(node, "Cast", 1, 1, node->in[i]);
		if (!c || ox_node_set_attr_int(c, "to", to) < 0 || ox_node_set_input(node, i, c->out[0]) < 0)
			return OX_ENOMEM;
	}
	for (int k = 0; k < node->n_out; k++) {
		const struct ox_op_formal *f = ox_op_output(s, k);
		struct ox_value *v = node->out[k];
		struct ox_node *c;

		if (!v || !f || f->tc != f0->tc)
			continue;
		c = ox_lg_node(node, "Cast", 1, 1, (struct ox_value *)NULL);
		if (!c || ox_node_set_attr_int(c, "to", dt) < 0 ||
		    ox_value_replace_uses(v, c->out[0]) < 0 || ox_node_set_input(c, 0, node->out[k]) < 0)
			return OX_ENOMEM;
		forget_type(node->out[k]);
	}
	snprintf(to_ops, to_len, "Cast to %s, %s, Cast back to %s", ox_dtype_name(to),
		 node->op_type, ox_dtype_name(dt));
	return 1;
}

/* passes/eliminate_shape_ops.c: Shape and Size of a value whose dims are known, and
 * Gather or Slice picking only known dims out of a Shape, are constants; their outputs
 * become int64 initializers under the same names. A Reshape whose target is a Concat
 * of constants and of its own input's dims, each at its own position (the
 * x.view(x.size(0), -1) idiom), reads a constant target with 0 ("copy") there instead.
 * Needs: uses, shapes (the dims). Keeps: shapes. Fixed point: no.
 * Shape's start/end (opset 15) are honoured. */
#include "config.h"

#include <string.h>

#include "fold.h"

/* The shape vector a Shape node produces: its length, entries -1 where unknown;
 * -1 when the rank is unknown. */
static int
shape_vector(const struct ox_node *shape, int64_t *sv)
{
	struct ox_value *x = shape->in[0];
	int rank = x ? ox_pass_rank(x) : -1;
	int64_t start = 0, end;
	int n = 0;

	if (rank < 0)
		return -1;
	end = rank;
	if (ox_pass_opset(shape->graph) >= 15) {
		start = ox_node_attr_int(shape, "start", 0);
		end = ox_node_attr_int(shape, "end", rank);
	}
	if (start < 0)
		start += rank;
	if (end < 0)
		end += rank;
	start = start < 0 ? 0 : start > rank ? rank : start;
	end = end < 0 ? 0 : end > rank ? rank : end;
	for (int64_t i = start; i < end; i++)
		sv[n++] = ox_pass_dim(x, (int)i);
	return n;
}

/* Replace node's output 0 by an int64 constant of ndim (0 or 1) holding vals. */
static int
constant(struct ox_node *node, int ndim, const int64_t *vals, int n)
{
	int64_t dim = n;
	struct ox_tensor *t;

	for (int i = 1; i < node->n_out; i++)
		if (node->out[i])
			return 0;
	if (!(t = ox_tensor_new(&node->graph->model->arena, OX_INT64, ndim, &dim)))
		return OX_ENOMEM;
	if (n)
		memcpy(t->data, vals, (size_t)n * sizeof *vals);
	if (ox_fold_make_init(node, 0, t) < 0)
		return OX_ENOMEM;
	ox_pass_kill(node);
	return 1;
}

static bool
all_known(const int64_t *v, int n)
{
	for (int i = 0; i < n; i++)
		if (v[i] < 0)
			return false;
	return true;
}

/* ONNX Slice over a vector of length len: the picked indices into idx; count. */
static int
slice_indices(int64_t len, int64_t s, int64_t e, int64_t step, int64_t *idx)
{
	int n = 0;

	if (step == 0)
		return -1;
	if (s < 0)
		s += len;
	if (e < 0)
		e += len;
	if (step > 0) {
		s = s < 0 ? 0 : s > len ? len : s;
		e = e < 0 ? 0 : e > len ? len : e;
		for (int64_t i = s; i < e; i += step)
			idx[n++] = i;
	} else {
		s = s < 0 ? -1 : s > len - 1 ? len - 1 : s;
		e = e < -1 ? -1 : e > len - 1 ? len - 1 : e;
		for (int64_t i = s; i > e; i += step)
			idx[n++] = i;
	}
	return n;
}

/* The dim index of the data input x that v (one element) picks: v is
 * Unsqueeze(Gather(Shape(x), scalar i), [0]) or Gather(Shape(x), [i]). -1 otherwise. */
static int64_t
own_dim(struct ox_value *v, struct ox_value *x)
{
	struct ox_node *p = v->producer, *gather, *shape;
	int64_t idx[2], a[2];
	const struct ox_tensor *it;
	int rank = ox_pass_rank(x);

	if (!p)
		return -1;
	if (ox_pass_is(p, "Unsqueeze")) {
		const int64_t *pa;
		int n = ox_pass_opset(p->graph) < 13 ? ox_pass_attr_ints(p, "axes", &pa) :
			(p->n_in > 1 && p->in[1] ? ox_pass_const_ints(p->in[1], a, 2) : -1);

		if (n != 1 || (ox_pass_opset(p->graph) < 13 ? pa[0] : a[0]) != 0 || !p->in[0])
			return -1;
		gather = p->in[0]->producer;
		if (!gather || !ox_pass_is(gather, "Gather") || gather->n_in != 2 ||
		    !(it = ox_pass_const(gather->in[1])) || it->ndim != 0)
			return -1;
	} else if (ox_pass_is(p, "Gather")) {
		gather = p;
		if (gather->n_in != 2 || !(it = ox_pass_const(gather->in[1])) || it->ndim != 1)
			return -1;
	} else {
		return -1;
	}
	if (ox_node_attr_int(gather, "axis", 0) != 0 || ox_pass_const_ints(gather->in[1], idx, 2) != 1 ||
	    !gather->in[0] || !(shape = gather->in[0]->producer) || !ox_pass_is(shape, "Shape") ||
	    shape->in[0] != x || ox_node_attr(shape, "start") || ox_node_attr(shape, "end"))
		return -1;
	if (idx[0] < 0) {
		if (rank < 0)
			return -1;
		idx[0] += rank;
	}
	return idx[0];
}

static int
reshape_copy_dims(struct ox_node *rs)
{
	int64_t vals[OX_MAX_RANK], c[OX_MAX_RANK];
	struct ox_node *cat;
	struct ox_value *t;
	int n = 0, minus = 0;

	if (ox_pass_opset(rs->graph) < 5 || rs->n_in != 2 || !rs->in[1] || ox_pass_const(rs->in[1]) ||
	    ox_node_attr_int(rs, "allowzero", 0) || !(cat = rs->in[1]->producer) ||
	    !ox_pass_is(cat, "Concat") || ox_node_attr_int(cat, "axis", 0) != 0)
		return 0;
	for (int i = 0; i < cat->n_in; i++) {
		int k;

		if (!cat->in[i])
			return 0;
		if ((k = ox_pass_const_ints(cat->in[i], c, OX_MAX_RANK)) >= 0) {
			if (n + k > OX_MAX_RANK || !ox_pass_const(cat->in[i])->ndim)
				return 0;
			for (int j = 0; j < k; j++) {
				/* A literal 0 would copy a dim where the model meant 0. */
				if (c[j] == 0)
					return 0;
				minus += c[j] == -1;
				vals[n++] = c[j];
			}
		} else if (n < OX_MAX_RANK && own_dim(cat->in[i], rs->in[0]) == n) {
			vals[n++] = 0;
		} else {
			return 0;
		}
	}
	if (minus > 1 || !(t = ox_pass_new_ints(rs->graph, "reshape_shape", vals, n)))
		return minus > 1 ? 0 : OX_ENOMEM;
	if (ox_node_set_input(rs, 1, t) < 0)
		return OX_ENOMEM;
	ox_pass_kill(cat);
	return 1;
}

static int
rewrite(struct ox_node *node)
{
	int64_t sv[OX_MAX_RANK], v[OX_MAX_RANK], idx[OX_MAX_RANK], p[4][OX_MAX_RANK];
	struct ox_node *shape;
	int n, k;

	if (!node->n_in || !node->in[0] || !node->out[0])
		return 0;
	if (ox_pass_is(node, "Reshape"))
		return reshape_copy_dims(node);
	if (ox_pass_is(node, "Shape")) {
		n = shape_vector(node, sv);
		return n >= 0 && all_known(sv, n) ? constant(node, 1, sv, n) : 0;
	}
	if (ox_pass_is(node, "Size")) {
		int r = ox_pass_rank(node->in[0]);
		int64_t total = 1;

		for (k = 0; k < r; k++) {
			if (ox_pass_dim(node->in[0], k) < 0)
				return 0;
			total *= ox_pass_dim(node->in[0], k);
		}
		return r >= 0 ? constant(node, 0, &total, 1) : 0;
	}
	shape = node->in[0]->producer;
	if (!shape || shape->graph != node->graph || !ox_pass_is(shape, "Shape") ||
	    (n = shape_vector(shape, sv)) < 0)
		return 0;
	if (ox_pass_is(node, "Gather") && node->n_in == 2 && !ox_node_attr_int(node, "axis", 0)) {
		const struct ox_tensor *it = ox_pass_const(node->in[1]);
		int m = ox_pass_const_ints(node->in[1], idx, OX_MAX_RANK);

		if (m < 0 || !it)
			return 0;
		for (k = 0; k < m; k++) {
			int64_t i = idx[k] < 0 ? idx[k] + n : idx[k];

			if (i < 0 || i >= n || sv[i] < 0)
				return 0;
			v[k] = sv[i];
		}
		return constant(node, it->ndim, v, m);
	}
	if (ox_pass_is(node, "Slice") && ox_pass_opset(node->graph) >= 10 && node->n_in >= 3) {
		int m;

		for (k = 0; k < 4; k++) {
			int c = node->n_in > k + 1 && node->in[k + 1] ?
				ox_pass_const_ints(node->in[k + 1], p[k], OX_MAX_RANK) : -2;

			if ((k < 2 && c != 1) || c == -1 || (c >= 0 && c != 1))
				return 0;
			if (c == -2)
				p[k][0] = k == 2 ? 0 : 1;
		}
		if (p[2][0] != 0 && p[2][0] != -1)
			return 0;
		m = slice_indices(n, p[0][0], p[1][0], p[3][0], idx);
		if (m < 0)
			return 0;
		for (k = 0; k < m; k++) {
			if (sv[idx[k]] < 0)
				return 0;
			v[k] = sv[idx[k]];
		}
		return constant(node, 1, v, m);
	}
	return 0;
}

int
ox_pass_eliminate_shape_ops(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		if (g->nodes[i]->dead)
			continue;
		if ((r = rewrite(g->nodes[i])) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		n += r;
	}
	return n;
}

/* shape/control.c: If, Loop and Scan (their bodies are inferred here, with the
 * outer scope visible and body inputs typed from the node's inputs), and the
 * sequence and optional ops, whose values are not plain tensors. */
#include "config.h"

#include <string.h>

#include "shape.h"

#define UNK ((struct ox_dim){ .kind = OX_DIM_UNKNOWN })

static struct ox_type *
new_type(struct ox_infer *ic, int kind)
{
	struct ox_type *t = ox_arena_alloc(ox_infer_arena(ic), sizeof *t);

	if (t) {
		t->kind = kind;
		t->rank = -1;
	}
	return t;
}

static struct ox_type *
tensor_type(struct ox_infer *ic, int elem, int rank, const struct ox_dim *dims)
{
	struct ox_type *t = new_type(ic, OX_TYPE_TENSOR);

	if (!t)
		return NULL;
	t->has_elem = elem != 0;
	t->elem = elem;
	t->rank = rank;
	if (rank > 0) {
		if (!(t->dims = ox_arena_calloc(ox_infer_arena(ic), (size_t)rank, sizeof *t->dims)))
			return NULL;
		memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
	}
	return t;
}

/* The most specific type both a and b fit: what one output of If, or the elements
 * of a sequence built from several tensors, can be said to have. */
static const struct ox_type *
union_type(struct ox_infer *ic, const struct ox_type *a, const struct ox_type *b)
{
	struct ox_type *t;

	if (!a || !b)
		return a ? a : b;
	if (a->kind != b->kind)
		return NULL;
	if (a->kind == OX_TYPE_SEQUENCE || a->kind == OX_TYPE_OPTIONAL) {
		const struct ox_type *in = union_type(ic, a->inner, b->inner);

		if (!(t = new_type(ic, a->kind)))
			return NULL;
		t->inner = (struct ox_type *)in;
		return t;
	}
	if (a->kind != OX_TYPE_TENSOR)
		return a;
	if (a->has_elem && b->has_elem && a->elem != b->elem)
		return NULL;
	if (a->rank != b->rank || a->rank < 0)
		return tensor_type(ic, a->has_elem ? a->elem : b->elem, -1, NULL);
	if (!(t = tensor_type(ic, a->has_elem ? a->elem : b->elem, a->rank, a->dims)))
		return NULL;
	for (int i = 0; i < a->rank; i++)
		if (!ox_dim_same(&a->dims[i], &b->dims[i]))
			t->dims[i] = UNK;
	return t;
}

/* Copy t with unknown dims given fresh symbols, as node outputs get. */
static int
set_out(struct ox_infer *ic, struct ox_node *node, int k, const struct ox_type *t)
{
	if (!t)
		return 0;
	if (t->kind == OX_TYPE_TENSOR)
		return ox_infer_set(ic, node, k, t->has_elem ? t->elem : 0, t->rank, t->dims);
	return ox_infer_set_type(ic, node, k, t);
}

static struct ox_graph *
graph_attr(const struct ox_node *node, const char *name)
{
	const struct ox_attr *a = ox_node_attr(node, name);

	return a ? a->g : NULL;
}

/* Give a body input a type when the file declared none. */
static void
type_input(struct ox_graph *g, size_t i, const struct ox_type *t)
{
	if (i < g->n_inputs && !g->inputs[i]->type && t)
		g->inputs[i]->type = (struct ox_type *)t;
}

static int
if_op(struct ox_infer *ic, struct ox_node *node)
{
	struct ox_graph *a = graph_attr(node, "then_branch"), *b = graph_attr(node, "else_branch");
	int r;

	if (a && (r = ox_infer_graph(ic, a)) < 0)
		return r;
	if (b && (r = ox_infer_graph(ic, b)) < 0)
		return r;
	if (!a || !b)
		return 0;
	if (a->n_outputs != b->n_outputs || (int)a->n_outputs != node->n_out)
		return ox_infer_fail(ic, node, "branches have %zu and %zu outputs for %d", a->n_outputs,
				     b->n_outputs, node->n_out);
	for (int k = 0; k < node->n_out; k++) {
		const struct ox_type *ta = a->outputs[k]->type, *tb = b->outputs[k]->type, *u;

		if (!ta || !tb)
			continue;
		if (!(u = union_type(ic, ta, tb)))
			return ox_infer_fail(ic, node, "branches give output %d different types", k);
		if ((r = set_out(ic, node, k, u)) < 0)
			return r;
	}
	return 0;
}

static const struct ox_type *
in_type(const struct ox_node *node, int i)
{
	return i < node->n_in && node->in[i] ? node->in[i]->type : NULL;
}

static int
loop(struct ox_infer *ic, struct ox_node *node)
{
	struct ox_graph *body = graph_attr(node, "body");
	int n_carried = node->n_in - 2, r;

	if (!body)
		return 0;
	type_input(body, 0, tensor_type(ic, OX_INT64, 0, NULL));
	type_input(body, 1, tensor_type(ic, OX_BOOL, 0, NULL));
	for (int i = 0; i < n_carried; i++)
		type_input(body, (size_t)i + 2, in_type(node, i + 2));
	if ((r = ox_infer_graph(ic, body)) < 0)
		return r;
	for (int k = 0; k < node->n_out && (size_t)k + 1 < body->n_outputs; k++) {
		const struct ox_type *t = body->outputs[k + 1]->type;

		if (!t)
			continue;
		if (k < n_carried) {
			r = set_out(ic, node, k, t);
		} else if (t->kind == OX_TYPE_TENSOR && t->rank >= 0 && t->rank < OX_MAX_RANK) {
			struct ox_dim dims[OX_MAX_RANK];

			/* Scan outputs stack one slice per iteration. */
			dims[0] = UNK;
			memcpy(dims + 1, t->dims, (size_t)t->rank * sizeof *dims);
			r = ox_infer_set(ic, node, k, t->has_elem ? t->elem : 0, t->rank + 1, dims);
		} else if (t->kind == OX_TYPE_TENSOR) {
			r = ox_infer_set(ic, node, k, t->has_elem ? t->elem : 0, -1, NULL);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Put d in front of t's dims: a batch or an iteration axis. */
static int
set_prefixed(struct ox_infer *ic, struct ox_node *node, int k, const struct ox_type *t,
	     const struct ox_dim *pre, int npre)
{
	struct ox_dim dims[OX_MAX_RANK];

	if (t->rank < 0 || t->rank + npre > OX_MAX_RANK)
		return ox_infer_set(ic, node, k, t->has_elem ? t->elem : 0, -1, NULL);
	memcpy(dims, pre, (size_t)npre * sizeof *dims);
	memcpy(dims + npre, t->dims, (size_t)t->rank * sizeof *dims);
	return ox_infer_set(ic, node, k, t->has_elem ? t->elem : 0, t->rank + npre, dims);
}

/* Scan-8: input 0 is the optional sequence_lens; every other input and output has
 * a leading batch axis, and the scanned ones iterate over axis 1. The body sees
 * neither axis. */
static int
scan8(struct ox_infer *ic, struct ox_node *node, struct ox_graph *body, int64_t m)
{
	int n_state, r;
	struct ox_dim pre[2] = { UNK, UNK };

	if (m < 0 || m > (int64_t)node->n_in - 1)
		return ox_infer_fail(ic, node, "num_scan_inputs is %lld for %d inputs", (long long)m, node->n_in);
	n_state = node->n_in - 1 - (int)m;
	for (int i = 1; i < node->n_in; i++) {
		const struct ox_type *t = ox_infer_in(node, i);
		bool scanned = i > n_state;
		int drop = scanned ? 2 : 1;

		if (!t || t->rank < 0)
			continue;
		if (t->rank < drop)
			return ox_infer_fail(ic, node, "input %d has rank %d, needs at least %d", i, t->rank, drop);
		if (pre[0].kind == OX_DIM_UNKNOWN)
			pre[0] = t->dims[0];
		if (scanned && pre[1].kind == OX_DIM_UNKNOWN)
			pre[1] = t->dims[1];
		type_input(body, (size_t)i - 1, tensor_type(ic, t->has_elem ? t->elem : 0, t->rank - drop,
							     t->dims + drop));
	}
	if ((r = ox_infer_graph(ic, body)) < 0)
		return r;
	for (int k = 0; k < node->n_out && (size_t)k < body->n_outputs; k++) {
		const struct ox_type *t = body->outputs[k]->type;

		if (!t || t->kind != OX_TYPE_TENSOR)
			continue;
		if ((r = set_prefixed(ic, node, k, t, pre, k < n_state ? 1 : 2)) < 0)
			return r;
	}
	return 0;
}

static int
scan(struct ox_infer *ic, struct ox_node *node)
{
	struct ox_graph *body = graph_attr(node, "body");
	int64_t m = ox_node_attr_int(node, "num_scan_inputs", 0);
	size_t n_ax, n_oax;
	const int64_t *ax = ox_infer_attr_ints(node, "scan_input_axes", &n_ax);
	const int64_t *oax = ox_infer_attr_ints(node, "scan_output_axes", &n_oax);
	int n_state, r;
	struct ox_dim len = UNK;

	if (!body)
		return 0;
	if (ox_infer_schema(ic)->since_version < 9)
		return scan8(ic, node, body, m);
	if (m < 0 || m > node->n_in)
		return ox_infer_fail(ic, node, "num_scan_inputs is %lld for %d inputs", (long long)m, node->n_in);
	n_state = node->n_in - (int)m;
	for (int i = 0; i < n_state; i++)
		type_input(body, (size_t)i, in_type(node, i));
	for (int j = 0; j < m; j++) {
		const struct ox_type *t = ox_infer_in(node, n_state + j);
		struct ox_dim dims[OX_MAX_RANK];
		int a, n = 0;

		if (!t || t->rank < 1 || t->rank > OX_MAX_RANK)
			continue;
		if (!ox_infer_axis(ax && (size_t)j < n_ax ? ax[j] : 0, t->rank, false, &a))
			return ox_infer_fail(ic, node, "scan_input_axes out of range");
		if (t->dims[a].kind != OX_DIM_UNKNOWN)
			len = t->dims[a];
		for (int i = 0; i < t->rank; i++)
			if (i != a)
				dims[n++] = t->dims[i];
		type_input(body, (size_t)(n_state + j), tensor_type(ic, t->has_elem ? t->elem : 0, n, dims));
	}
	if ((r = ox_infer_graph(ic, body)) < 0)
		return r;
	for (int k = 0; k < node->n_out && (size_t)k < body->n_outputs; k++) {
		const struct ox_type *t = body->outputs[k]->type;

		if (!t || t->kind != OX_TYPE_TENSOR)
			continue;
		if (k < n_state) {
			r = set_out(ic, node, k, t);
		} else if (t->rank >= 0 && t->rank < OX_MAX_RANK) {
			struct ox_dim dims[OX_MAX_RANK];
			int j = k - n_state, a;

			if (!ox_infer_axis(oax && (size_t)j < n_oax ? oax[j] : 0, t->rank, true, &a))
				return ox_infer_fail(ic, node, "scan_output_axes out of range");
			memcpy(dims, t->dims, (size_t)a * sizeof *dims);
			dims[a] = len;
			memcpy(dims + a + 1, t->dims + a, (size_t)(t->rank - a) * sizeof *dims);
			r = ox_infer_set(ic, node, k, t->has_elem ? t->elem : 0, t->rank + 1, dims);
		} else {
			r = ox_infer_set(ic, node, k, t->has_elem ? t->elem : 0, -1, NULL);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- sequences and optionals --- */

static int
set_wrapped(struct ox_infer *ic, struct ox_node *node, int k, int kind, const struct ox_type *inner)
{
	struct ox_type *t = new_type(ic, kind);

	if (!t)
		return OX_ENOMEM;
	t->inner = (struct ox_type *)inner;
	return ox_infer_set_type(ic, node, k, t);
}

static int
sequence_empty(struct ox_infer *ic, struct ox_node *node)
{
	return set_wrapped(ic, node, 0, OX_TYPE_SEQUENCE,
			   tensor_type(ic, (int)ox_node_attr_int(node, "dtype", OX_FLOAT), -1, NULL));
}

static int
sequence_construct(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *u = NULL;

	for (int i = 0; i < node->n_in; i++) {
		const struct ox_type *t = in_type(node, i);

		if (!t)
			return 0;
		if (!(u = i ? union_type(ic, u, t) : t))
			return ox_infer_fail(ic, node, "inputs have different element types");
	}
	return u ? set_wrapped(ic, node, 0, OX_TYPE_SEQUENCE, u) : 0;
}

static int
same_seq(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *s = in_type(node, 0);

	if (!s || s->kind != OX_TYPE_SEQUENCE)
		return 0;
	if (strcmp(node->op_type, "SequenceInsert") == 0 && s->inner && in_type(node, 1)) {
		const struct ox_type *u = union_type(ic, s->inner, in_type(node, 1));

		return u ? set_wrapped(ic, node, 0, OX_TYPE_SEQUENCE, u)
			 : ox_infer_fail(ic, node, "inserted tensor's type differs from the sequence's");
	}
	return ox_infer_set_type(ic, node, 0, s);
}

static int
sequence_at(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *s = in_type(node, 0);

	if (!s || s->kind != OX_TYPE_SEQUENCE || !s->inner)
		return 0;
	return set_out(ic, node, 0, s->inner);
}

static int
sequence_length(struct ox_infer *ic, struct ox_node *node)
{
	return ox_infer_set(ic, node, 0, OX_INT64, 0, NULL);
}

static int
split_to_sequence(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	bool keep = ox_node_attr_int(node, "keepdims", 1) != 0;
	struct ox_dim dims[OX_MAX_RANK];
	int64_t sp[OX_SHAPE_KNOWN_MAX], n = -1;
	int axis, rank;

	if (!x)
		return 0;
	if (x->rank < 1 || x->rank > OX_MAX_RANK ||
	    !ox_infer_axis(ox_node_attr_int(node, "axis", 0), x->rank, false, &axis))
		return set_wrapped(ic, node, 0, OX_TYPE_SEQUENCE, tensor_type(ic, x->elem, -1, NULL));
	memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
	rank = x->rank;
	if (node->n_in > 1 && node->in[1]) {
		const struct ox_type *st = ox_infer_in(node, 1);

		n = ox_infer_ints(ic, node, 1, sp);
		/* A scalar split gives equal chunks; a list may give different ones. */
		dims[axis] = st && st->rank == 0 && n == 1 && x->dims[axis].kind == OX_DIM_VALUE &&
			     x->dims[axis].value % sp[0] == 0 ? ox_dim_of(sp[0]) : UNK;
		if (n > 0 && st && st->rank == 1) {
			bool same = true;

			for (int64_t i = 1; i < n; i++)
				same &= sp[i] == sp[0];
			dims[axis] = same ? ox_dim_of(sp[0]) : UNK;
		}
	} else if (keep) {
		dims[axis] = ox_dim_of(1);
	} else {
		memmove(dims + axis, dims + axis + 1, (size_t)(rank - axis - 1) * sizeof *dims);
		rank--;
	}
	return set_wrapped(ic, node, 0, OX_TYPE_SEQUENCE, tensor_type(ic, x->elem, rank, dims));
}

static int
concat_from_sequence(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *s = in_type(node, 0), *t;
	bool new_axis = ox_node_attr_int(node, "new_axis", 0) != 0;
	struct ox_dim dims[OX_MAX_RANK];
	int axis, rank;

	if (!s || s->kind != OX_TYPE_SEQUENCE || !(t = s->inner) || t->kind != OX_TYPE_TENSOR)
		return 0;
	if (t->rank < 0 || t->rank >= OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, t->has_elem ? t->elem : 0, -1, NULL);
	rank = t->rank + new_axis;
	if (!ox_infer_axis(ox_node_attr_int(node, "axis", 0), rank, false, &axis))
		return ox_infer_fail(ic, node, "axis out of range for rank %d", rank);
	if (new_axis) {
		memcpy(dims, t->dims, (size_t)axis * sizeof *dims);
		dims[axis] = UNK;
		memcpy(dims + axis + 1, t->dims + axis, (size_t)(t->rank - axis) * sizeof *dims);
	} else {
		memcpy(dims, t->dims, (size_t)rank * sizeof *dims);
		dims[axis] = UNK;
	}
	return ox_infer_set(ic, node, 0, t->has_elem ? t->elem : 0, rank, dims);
}

static int
optional_op(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *t = in_type(node, 0);

	return t ? set_wrapped(ic, node, 0, OX_TYPE_OPTIONAL, t) : 0;
}

static int
optional_get(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *t = in_type(node, 0);

	if (!t)
		return 0;
	return set_out(ic, node, 0, t->kind == OX_TYPE_OPTIONAL ? t->inner : t);
}

static int
optional_has(struct ox_infer *ic, struct ox_node *node)
{
	return ox_infer_set(ic, node, 0, OX_BOOL, 0, NULL);
}

const struct ox_shape_rule ox_shape_rules_control[] = {
	{ NULL, "If", if_op }, { NULL, "Loop", loop }, { NULL, "Scan", scan },
	{ NULL, "SequenceEmpty", sequence_empty }, { NULL, "SequenceConstruct", sequence_construct },
	{ NULL, "SequenceInsert", same_seq }, { NULL, "SequenceErase", same_seq },
	{ NULL, "SequenceAt", sequence_at }, { NULL, "SequenceLength", sequence_length },
	{ NULL, "SplitToSequence", split_to_sequence },
	{ NULL, "ConcatFromSequence", concat_from_sequence },
	{ NULL, "Optional", optional_op }, { NULL, "OptionalGetElement", optional_get },
	{ NULL, "OptionalHasElement", optional_has },
	{ NULL, NULL, NULL },
};

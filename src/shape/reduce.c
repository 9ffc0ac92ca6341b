/* shape/reduce.c: reductions (Reduce*, ArgMax/ArgMin), TopK and the losses. Axes
 * come from the attribute (older versions) or from the second input (ReduceSum-13,
 * all Reduce*-18), which must be a known constant for the shape to be known. */
#include "config.h"

#include <string.h>

#include "shape.h"

#define UNK ((struct ox_dim){ .kind = OX_DIM_UNKNOWN })

/* With keepdims and unknown axes each dim stays or becomes 1: a dim of 1 is
 * certain, the others are not. */
static const struct ox_dim *
ones_kept(const struct ox_type *x, struct ox_dim *dims)
{
	for (int i = 0; i < x->rank; i++)
		dims[i] = x->dims[i].kind == OX_DIM_VALUE && x->dims[i].value == 1 ? x->dims[i] : UNK;
	return dims;
}

static int
reduce(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int elem = ox_infer_in_elem(node, 0), out = 0;
	bool keep = ox_node_attr_int(node, "keepdims", 1) != 0;
	bool noop = ox_node_attr_int(node, "noop_with_empty_axes", 0) != 0;
	int64_t axes[OX_SHAPE_KNOWN_MAX];
	int64_t n;
	bool red[OX_MAX_RANK] = { 0 };
	struct ox_dim dims[OX_MAX_RANK];
	size_t na;
	const int64_t *aa = ox_infer_attr_ints(node, "axes", &na);

	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	if (aa) {
		n = (int64_t)na;
		memcpy(axes, aa, na * sizeof *aa);
	} else if (node->n_in > 1 && node->in[1]) {
		n = ox_infer_ints(ic, node, 1, axes);
		if (n < 0) {
			const struct ox_type *at = ox_infer_in(node, 1);
			int64_t len = at && at->rank == 1 && at->dims[0].kind == OX_DIM_VALUE ? at->dims[0].value : -1;

			/* Axes known only at run time. An empty list reduces everything
			 * (or nothing, with noop_with_empty_axes). */
			if (len == 0 && noop)
				return ox_infer_set(ic, node, 0, elem, x->rank, x->dims);
			if (len == 0)
				n = 0;
			else if (keep)
				return ox_infer_set(ic, node, 0, elem, x->rank, ones_kept(x, dims));
			/* One axis removes one dim; longer lists may repeat an axis, which
			 * onnx counts once, so the rank is unknown. */
			else if (len == 1 && x->rank >= 1)
				return ox_infer_set(ic, node, 0, elem, x->rank - 1, (struct ox_dim[OX_MAX_RANK]){ UNK });
			else
				return ox_infer_set(ic, node, 0, elem, -1, NULL);
		}
	} else {
		n = 0;
	}
	if (n == 0 && noop)
		return ox_infer_set(ic, node, 0, elem, x->rank, x->dims);
	for (int64_t i = 0; i < n; i++) {
		int a;

		if (!ox_infer_axis(axes[i], x->rank, false, &a))
			return ox_infer_fail(ic, node, "axis %lld out of range for rank %d",
					     (long long)axes[i], x->rank);
		red[a] = true;
	}
	for (int i = 0; i < x->rank; i++) {
		if (n == 0 || red[i]) {
			if (keep)
				dims[out++] = ox_dim_of(1);
		} else {
			dims[out++] = x->dims[i];
		}
	}
	return ox_infer_set(ic, node, 0, elem, out, dims);
}

static int
argmax(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	bool keep = ox_node_attr_int(node, "keepdims", 1) != 0;
	struct ox_dim dims[OX_MAX_RANK];
	int axis, out = 0;

	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, OX_INT64, -1, NULL);
	if (!ox_infer_axis(ox_node_attr_int(node, "axis", 0), x->rank, false, &axis))
		return ox_infer_fail(ic, node, "axis out of range for rank %d", x->rank);
	for (int i = 0; i < x->rank; i++) {
		if (i != axis)
			dims[out++] = x->dims[i];
		else if (keep)
			dims[out++] = ox_dim_of(1);
	}
	return ox_infer_set(ic, node, 0, OX_INT64, out, dims);
}

static int
topk(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	struct ox_dim dims[OX_MAX_RANK];
	int64_t k[OX_SHAPE_KNOWN_MAX];
	int axis, r;

	if (!x || x->rank < 1 || x->rank > OX_MAX_RANK) {
		r = ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), -1, NULL);
		return r < 0 ? r : ox_infer_set(ic, node, 1, OX_INT64, -1, NULL);
	}
	if (!ox_infer_axis(ox_node_attr_int(node, "axis", -1), x->rank, false, &axis))
		return ox_infer_fail(ic, node, "axis out of range for rank %d", x->rank);
	memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
	if (node->n_in > 1 && node->in[1]) {
		if (ox_infer_ints(ic, node, 1, k) == 1)
			dims[axis] = ox_dim_of(k[0]);
		else
			dims[axis] = UNK;
	} else {
		dims[axis] = ox_dim_of(ox_node_attr_int(node, "k", 0));
	}
	if (dims[axis].kind == OX_DIM_VALUE && x->dims[axis].kind == OX_DIM_VALUE &&
	    dims[axis].value > x->dims[axis].value)
		return ox_infer_fail(ic, node, "k = %lld exceeds the axis size %lld",
				     (long long)dims[axis].value, (long long)x->dims[axis].value);
	if ((r = ox_infer_set(ic, node, 0, x->elem, x->rank, dims)) < 0)
		return r;
	return ox_infer_set(ic, node, 1, OX_INT64, x->rank, dims);
}

static int
loss(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	const struct ox_attr *red = ox_node_attr(node, "reduction");
	bool none = red && red->s.len == 4 && memcmp(red->s.data, "none", 4) == 0;
	int elem = ox_infer_in_elem(node, 0), r;
	struct ox_dim dims[OX_MAX_RANK];

	if (!none) {
		r = ox_infer_set(ic, node, 0, elem, 0, NULL);
	} else if (!x || x->rank < 2 || x->rank > OX_MAX_RANK) {
		r = ox_infer_set(ic, node, 0, elem, -1, NULL);
	} else {
		/* [N, C, d1, ...] -> [N, d1, ...] */
		int n = 0;

		for (int i = 0; i < x->rank; i++)
			if (i != 1)
				dims[n++] = x->dims[i];
		r = ox_infer_set(ic, node, 0, elem, n, dims);
	}
	/* SoftmaxCrossEntropyLoss's log_prob has the input's shape. */
	if (r >= 0 && node->n_out > 1 && x)
		r = ox_infer_set(ic, node, 1, elem, x->rank, x->dims);
	return r;
}

const struct ox_shape_rule ox_shape_rules_reduce[] = {
	{ NULL, "ReduceL1", reduce }, { NULL, "ReduceL2", reduce }, { NULL, "ReduceLogSum", reduce },
	{ NULL, "ReduceLogSumExp", reduce }, { NULL, "ReduceMax", reduce },
	{ NULL, "ReduceMean", reduce }, { NULL, "ReduceMin", reduce }, { NULL, "ReduceProd", reduce },
	{ NULL, "ReduceSum", reduce }, { NULL, "ReduceSumSquare", reduce },
	{ NULL, "ArgMax", argmax }, { NULL, "ArgMin", argmax },
	{ NULL, "TopK", topk },
	{ NULL, "NegativeLogLikelihoodLoss", loss }, { NULL, "SoftmaxCrossEntropyLoss", loss },
	{ NULL, NULL, NULL },
};

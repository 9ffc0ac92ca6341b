/* passes/convert/adapters_semantics.c: changed defaults and meanings.
 *
 * Softmax/LogSoftmax/Hardmax at 13 (coerce-to-2D before, one axis after),
 * BatchNormalization's attributes and outputs (7, 9, 14), Gemm's broadcast (7) and
 * optional C (11), Scatter renamed ScatterElements (11), reductions of the scatters
 * (18), RoiAlign's coordinate default (16), GridSample's mode names (20),
 * GroupNormalization's per-channel scale (21), per-axis quantization (13), variadic
 * broadcasting of Max/Min/Sum/Mean (8). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

/* Drop outputs from keep on (they must be unused). */
static void
drop_outputs(struct ox_node *node, int keep)
{
	for (int k = keep; k < node->n_out; k++) {
		struct ox_value *v = node->out[k];

		if (!v)
			continue;
		v->dead = true;
		ox_strmap_del(&v->graph->names, v->name);
		node->out[k] = NULL;
	}
	if (node->n_out > keep)
		node->n_out = keep;
}

static bool
extra_outputs_used(const struct ox_node *node, int keep)
{
	for (int k = keep; k < node->n_out; k++)
		if (ox_cv_output_used(node, k))
			return true;
	return false;
}

/* --- Softmax, LogSoftmax, Hardmax (13) --- */

/* Before 13 the input is coerced to 2-D at axis (default 1) and the op works on the
 * flattened second dimension; from 13 on it works along axis (default -1). The two
 * agree when axis is the last dimension; otherwise Flatten, the op, Reshape back. */
static int
softmax_up13(struct ox_cv *cv, struct ox_node *node)
{
	int64_t axis = ox_node_attr_int(node, "axis", 1);
	int rank = ox_cv_rank(node->in[0]);
	struct ox_node *shape, *flat, *back;
	struct ox_value *old = node->out[0];
	int r;

	if (rank >= 0 && (axis == rank - 1 || axis == -1))
		return ox_node_set_attr_int(node, "axis", -1);
	if (!(shape = ox_cv_add(cv, "Shape", 1, 1, node->in[0])) ||
	    !(flat = ox_cv_add(cv, "Flatten", 1, 1, node->in[0])) ||
	    !(back = ox_cv_add(cv, "Reshape", 1, 2, NULL, shape->out[0])))
		return OX_ENOMEM;
	if ((r = ox_node_set_attr_int(flat, "axis", axis)) < 0 ||
	    (r = ox_node_set_input(node, 0, flat->out[0])) < 0 ||
	    (r = ox_node_set_attr_int(node, "axis", 1)) < 0 ||
	    (r = ox_value_replace_uses(old, back->out[0])) < 0 ||
	    (r = ox_node_set_input(back, 0, old)) < 0)
		return r;
	return 0;
}

static int
softmax_down13(struct ox_cv *cv, struct ox_node *node)
{
	int64_t axis = ox_node_attr_int(node, "axis", -1);
	int rank = ox_cv_rank(node->in[0]);

	int64_t perm[OX_MAX_RANK];
	struct ox_node *in, *back;
	struct ox_value *old = node->out[0];
	int r;

	if (axis == -1 || (rank >= 0 && axis == rank - 1))
		return ox_node_set_attr_int(node, "axis", -1);
	if (rank < 0 || rank > OX_MAX_RANK || axis < -rank || axis >= rank)
		return ox_cv_refuse(cv, node,
				    "axis %lld is not the last dimension and the rank is unknown",
				    (long long)axis);
	/* Swap the axis with the last one, work on the last, swap back. */
	if (axis < 0)
		axis += rank;
	for (int k = 0; k < rank; k++)
		perm[k] = k;
	perm[axis] = rank - 1;
	perm[rank - 1] = axis;
	if (!(in = ox_cv_add(cv, "Transpose", 1, 1, node->in[0])) ||
	    !(back = ox_cv_add(cv, "Transpose", 1, 1, NULL)))
		return OX_ENOMEM;
	if ((r = ox_node_set_attr_ints(in, "perm", perm, (size_t)rank)) < 0 ||
	    (r = ox_node_set_attr_ints(back, "perm", perm, (size_t)rank)) < 0 ||
	    (r = ox_node_set_input(node, 0, in->out[0])) < 0 ||
	    (r = ox_node_set_attr_int(node, "axis", -1)) < 0 ||
	    (r = ox_value_replace_uses(old, back->out[0])) < 0 ||
	    (r = ox_node_set_input(back, 0, old)) < 0)
		return r;
	return 0;
}

/* --- BatchNormalization (7, 9, 14) --- */

static int
bn_up7(struct ox_cv *cv, struct ox_node *node)
{
	if (ox_node_attr_int(node, "is_test", 0) == 0 && extra_outputs_used(node, 1))
		return ox_cv_refuse(cv, node, "training outputs of BatchNormalization-6");
	ox_node_del_attr(node, "is_test");
	ox_node_del_attr(node, "consumed_inputs");
	return 0;
}

static int
bn_down7(struct ox_cv *cv, struct ox_node *node)
{
	if (extra_outputs_used(node, 1))
		return ox_cv_refuse(cv, node, "training outputs are used");
	return ox_node_set_attr_int(node, "is_test", 1);
}

static int
bn_up9(struct ox_cv *cv, struct ox_node *node)
{
	if (ox_node_attr_int(node, "spatial", 1) != 1)
		return ox_cv_refuse(cv, node, "spatial=0 has no equivalent from opset 9");
	ox_node_del_attr(node, "spatial");
	return 0;
}

static int
bn_up14(struct ox_cv *cv, struct ox_node *node)
{
	if (extra_outputs_used(node, 1))
		return ox_cv_refuse(cv, node, "training outputs are used");
	drop_outputs(node, 1);
	return 0;
}

static int
bn_down14(struct ox_cv *cv, struct ox_node *node)
{
	if (ox_node_attr_int(node, "training_mode", 0) != 0 || extra_outputs_used(node, 1))
		return ox_cv_refuse(cv, node, "training mode has no equivalent before opset 14");
	ox_node_del_attr(node, "training_mode");
	drop_outputs(node, 1);
	return 0;
}

/* --- Gemm (7, 11) --- */

static int
gemm_up7(struct ox_cv *cv, struct ox_node *node)
{
	(void)cv;
	ox_node_del_attr(node, "broadcast");
	return 0;
}

static int
gemm_down7(struct ox_cv *cv, struct ox_node *node)
{
	(void)cv;
	return ox_node_set_attr_int(node, "broadcast", 1);
}

static int
gemm_down11(struct ox_cv *cv, struct ox_node *node)
{
	int dt = ox_cv_elem(node->in[0]);
	struct ox_value *z;

	if (node->n_in > 2 && node->in[2])
		return 0;
	if (!dt)
		return ox_cv_refuse(cv, node, "C is omitted and the dtype is unknown");
	if (!(z = ox_cv_scalar(cv, dt, 0)))
		return OX_ENOMEM;
	return ox_cv_set_input(node, 2, z);
}

/* --- Scatter / ScatterElements (11), reductions (18) --- */

static int
scatter_to_elements(struct ox_cv *cv, struct ox_node *node)
{
	(void)cv;
	node->op_type = "ScatterElements";
	return 0;
}

static int
elements_to_scatter(struct ox_cv *cv, struct ox_node *node)
{
	(void)cv;
	node->op_type = "Scatter";
	return 0;
}

static int
scatter_down18(struct ox_cv *cv, struct ox_node *node)
{
	if (ox_cv_attr_str_is(node, "reduction", "max", false) ||
	    ox_cv_attr_str_is(node, "reduction", "min", false))
		return ox_cv_refuse(cv, node, "reduction max/min needs opset 18");
	return 0;
}

/* --- RoiAlign (16), GridSample (20) --- */

static int
roialign_up16(struct ox_cv *cv, struct ox_node *node)
{
	(void)cv;
	return ox_node_set_attr_string(node, "coordinate_transformation_mode", "output_half_pixel");
}

static int
roialign_down16(struct ox_cv *cv, struct ox_node *node)
{
	if (!ox_cv_attr_str_is(node, "coordinate_transformation_mode", "output_half_pixel", false))
		return ox_cv_refuse(cv, node, "half_pixel coordinates need opset 16");
	ox_node_del_attr(node, "coordinate_transformation_mode");
	return 0;
}

static int
rename_mode(struct ox_node *node, const char *const *from, const char *const *to)
{
	for (int k = 0; from[k]; k++)
		if (ox_cv_attr_str_is(node, "mode", from[k], false))
			return ox_node_set_attr_string(node, "mode", to[k]);
	return 0;
}

static const char *const gs16[] = { "bilinear", "bicubic", NULL };
static const char *const gs20[] = { "linear", "cubic", NULL };

static int
gridsample_up20(struct ox_cv *cv, struct ox_node *node)
{
	(void)cv;
	return rename_mode(node, gs16, gs20);
}

static int
gridsample_down20(struct ox_cv *cv, struct ox_node *node)
{
	if (ox_cv_rank(node->in[0]) != 4)
		return ox_cv_refuse(cv, node, "GridSample-16 takes 4-D input only (rank unknown or other)");
	return rename_mode(node, gs20, gs16);
}

/* --- GroupNormalization (21): scale and bias per group before, per channel after --- */

static int
group_norm_up21(struct ox_cv *cv, struct ox_node *node)
{
	int64_t g = ox_node_attr_int(node, "num_groups", 0), c = ox_cv_dim(node->in[0], 1);
	double s[4096], b[4096], sc[4096], bc[4096];
	int dt = ox_cv_elem(node->in[0]);
	struct ox_value *vs, *vb;

	if (g <= 0 || c <= 0 || c % g || c > 4096 || !dt ||
	    ox_cv_const_doubles(node->in[1], s, 4096) != g || ox_cv_const_doubles(node->in[2], b, 4096) != g)
		return ox_cv_refuse(cv, node,
				    "per-group scale/bias become per-channel only when constant with a known channel count");
	for (int64_t k = 0; k < c; k++) {
		sc[k] = s[k / (c / g)];
		bc[k] = b[k / (c / g)];
	}
	if (!(vs = ox_cv_scalars(cv, ox_cv_elem(node->in[1]), sc, (int)c, false)) ||
	    !(vb = ox_cv_scalars(cv, ox_cv_elem(node->in[2]), bc, (int)c, false)))
		return OX_ENOMEM;
	if (ox_node_set_input(node, 1, vs) < 0 || ox_node_set_input(node, 2, vb) < 0)
		return OX_ENOMEM;
	/* GroupNormalization-18 computed in the input type. */
	return ox_node_set_attr_int(node, "stash_type", dt == OX_FLOAT ? 1 : 0);
}

static int
group_norm_down21(struct ox_cv *cv, struct ox_node *node)
{
	int64_t g = ox_node_attr_int(node, "num_groups", 0), c;
	double s[4096], b[4096], sg[4096], bg[4096];
	int ns, nb;
	struct ox_value *vs, *vb;

	ns = ox_cv_const_doubles(node->in[1], s, 4096);
	nb = ox_cv_const_doubles(node->in[2], b, 4096);
	c = ns;
	if (g > 0 && ns > 0 && ns == nb && c % g == 0 &&
	    ox_node_attr_int(node, "stash_type", 1) == (ox_cv_elem(node->in[0]) == OX_FLOAT)) {
		bool same = true;

		for (int64_t k = 0; k < c && same; k++)
			same = s[k] == s[(k / (c / g)) * (c / g)] && b[k] == b[(k / (c / g)) * (c / g)];
		if (same) {
			for (int64_t k = 0; k < g; k++) {
				sg[k] = s[k * (c / g)];
				bg[k] = b[k * (c / g)];
			}
			if (!(vs = ox_cv_scalars(cv, ox_cv_elem(node->in[1]), sg, (int)g, false)) ||
			    !(vb = ox_cv_scalars(cv, ox_cv_elem(node->in[2]), bg, (int)g, false)))
				return OX_ENOMEM;
			if (ox_node_set_input(node, 1, vs) < 0 || ox_node_set_input(node, 2, vb) < 0)
				return OX_ENOMEM;
			ox_node_del_attr(node, "stash_type");
			return 0;
		}
	}
	/* GroupNormalization-18 cannot say it: expand into older ops. */
	return ox_cv_expand_group_norm(cv, node);
}

/* --- QuantizeLinear / DequantizeLinear (13): per-axis scales --- */

static int
quant_down13(struct ox_cv *cv, struct ox_node *node)
{
	const struct ox_value *scale = node->n_in > 1 ? node->in[1] : NULL;
	const struct ox_tensor *t = ox_cv_const(scale);
	int rank = ox_cv_rank(scale);

	if (!(rank == 0 || (t && t->nelem == 1)))
		return ox_cv_refuse(cv, node, "per-axis quantization needs opset 13");
	ox_node_del_attr(node, "axis");
	return 0;
}

/* --- Max, Min, Sum, Mean (8): broadcasting --- */

static int
variadic_down8(struct ox_cv *cv, struct ox_node *node)
{
	int r0 = ox_cv_rank(node->in[0]);

	for (int i = 1; i < node->n_in; i++) {
		if (ox_cv_rank(node->in[i]) != r0 || r0 < 0)
			return ox_cv_refuse(cv, node, "inputs of other shapes need opset 8");
		for (int k = 0; k < r0; k++)
			if (ox_cv_dim(node->in[i], k) < 0 ||
			    ox_cv_dim(node->in[i], k) != ox_cv_dim(node->in[0], k))
				return ox_cv_refuse(cv, node, "inputs of other shapes need opset 8");
	}
	return 0;
}

/* --- binary arithmetic and logic (7): legacy broadcast to numpy broadcasting --- */

/* Before 7, broadcast=1 stretched B over A with B's dims aligned at `axis` (at the
 * end when absent); numpy rules align at the end, so B gets trailing 1-dims. */
static int
binary_up7(struct ox_cv *cv, struct ox_node *node)
{
	const struct ox_attr *ax = ox_node_attr(node, "axis");
	int ra = ox_cv_rank(node->in[0]), rb = node->n_in > 1 ? ox_cv_rank(node->in[1]) : -1;

	if (ox_node_attr_int(node, "broadcast", 0) && ax) {
		int64_t axis = ax->i, trail, axes[OX_MAX_RANK];
		struct ox_node *u;

		if (ra < 0 || rb < 0)
			return ox_cv_refuse(cv, node, "legacy broadcast with axis needs known ranks");
		if (axis < 0)
			axis += ra;
		trail = ra - axis - rb;
		if (axis < 0 || trail < 0 || trail > OX_MAX_RANK)
			return ox_cv_refuse(cv, node, "legacy broadcast axis out of range");
		if (trail > 0) {
			for (int64_t k = 0; k < trail; k++)
				axes[k] = rb + k;
			/* At level 7 Unsqueeze takes axes as an attribute. */
			if (!(u = ox_cv_add(cv, "Unsqueeze", 1, 1, node->in[1])) ||
			    ox_node_set_attr_ints(u, "axes", axes, (size_t)trail) < 0 ||
			    ox_node_set_input(node, 1, u->out[0]) < 0)
				return OX_ENOMEM;
		}
	}
	ox_node_del_attr(node, "broadcast");
	ox_node_del_attr(node, "axis");
	ox_node_del_attr(node, "consumed_inputs");
	return 0;
}

/* --- PRelu (7): a 1-D slope of C values applied per channel before, numpy
 * broadcasting (along the last axis) after; the slope gets trailing 1-dims. --- */

static int
prelu_up7(struct ox_cv *cv, struct ox_node *node)
{
	int rx = ox_cv_rank(node->in[0]), rs = ox_cv_rank(node->in[1]);
	int64_t c = ox_cv_dim(node->in[1], 0), axes[OX_MAX_RANK];
	struct ox_node *u;

	ox_node_del_attr(node, "consumed_inputs");
	if (rs == 0 || (rs >= 1 && c == 1 && rs == 1) || (rs == 1 && rx == 2))
		return 0;
	if (rs != 1 || rx < 3 || rx > OX_MAX_RANK || c < 0)
		return ox_cv_refuse(cv, node, "per-channel slope of PRelu-6 needs known ranks");
	for (int k = 0; k < rx - 2; k++)
		axes[k] = 1 + k;
	if (!(u = ox_cv_add(cv, "Unsqueeze", 1, 1, node->in[1])) ||
	    ox_node_set_attr_ints(u, "axes", axes, (size_t)(rx - 2)) < 0 ||
	    ox_node_set_input(node, 1, u->out[0]) < 0)
		return OX_ENOMEM;
	return 0;
}

/* --- MaxPool (8): Indices output and storage_order --- */

static int
maxpool_down8(struct ox_cv *cv, struct ox_node *node)
{
	if (extra_outputs_used(node, 1) || ox_node_attr_int(node, "storage_order", 0) != 0)
		return ox_cv_refuse(cv, node, "the Indices output needs opset 8");
	ox_node_del_attr(node, "storage_order");
	drop_outputs(node, 1);
	return 0;
}

/* --- Constant (12): value_float, value_ints, ... -> a value tensor --- */

static int
constant_down12(struct ox_cv *cv, struct ox_node *node)
{
	static const struct { const char *name; int dtype; bool list; } forms[] = {
		{ "value_float", OX_FLOAT, false }, { "value_floats", OX_FLOAT, true },
		{ "value_int", OX_INT64, false }, { "value_ints", OX_INT64, true },
	};
	struct ox_attr *at;

	for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
		struct ox_tensor *t;
		int64_t n, dim;

		if (!(at = ox_node_attr(node, forms[f].name)))
			continue;
		n = forms[f].list ? (int64_t)(forms[f].dtype == OX_FLOAT ? at->n_floats : at->n_ints) : 1;
		dim = n;
		t = ox_tensor_new(&cv->model->arena, forms[f].dtype, forms[f].list ? 1 : 0, &dim);
		if (!t)
			return OX_ENOMEM;
		if (n && forms[f].dtype == OX_FLOAT)
			memcpy(t->data, forms[f].list ? at->floats : &at->f, (size_t)n * 4);
		else if (n)
			memcpy(t->data, forms[f].list ? at->ints : &at->i, (size_t)n * 8);
		ox_node_del_attr(node, forms[f].name);
		at = ox_node_attr(node, "value");
		if (!at) {
			if (ox_node_set_attr_int(node, "value", 0) < 0 || !(at = ox_node_attr(node, "value")))
				return OX_ENOMEM;
		}
		at->has_i = false;
		at->type = OX_ATTR_TENSOR;
		at->t = t;
		return 0;
	}
	return ox_cv_drop_new_attrs(cv, node);
}

/* --- LessOrEqual, GreaterOrEqual (12) -> Or(Less, Equal): exact, NaN included --- */

static int
compare_eq_down12(struct ox_cv *cv, struct ox_node *node)
{
	bool le = strcmp(node->op_type, "LessOrEqual") == 0;
	struct ox_node *lt = ox_cv_add(cv, le ? "Less" : "Greater", 1, 2, node->in[0], node->in[1]);
	struct ox_node *eq = ox_cv_add(cv, "Equal", 1, 2, node->in[0], node->in[1]);
	struct ox_node *or;
	int r;

	if (!lt || !eq || !(or = ox_cv_add(cv, "Or", 1, 2, lt->out[0], eq->out[0])))
		return OX_ENOMEM;
	if ((r = ox_cv_forward(node, 0, or->out[0])) < 0)
		return r;
	ox_node_kill(node);
	return 0;
}

/* --- CastLike (15) -> Cast to the dtype of target_type --- */

static int
castlike_down15(struct ox_cv *cv, struct ox_node *node)
{
	int dt = ox_cv_elem(node->in[1]);
	struct ox_node *c;
	int r;

	if (!dt)
		return ox_cv_refuse(cv, node, "the dtype of target_type is unknown");
	if (ox_node_attr(node, "saturate"))
		return ox_cv_refuse(cv, node, "saturate needs opset 19");
	if (!(c = ox_cv_add(cv, "Cast", 1, 1, node->in[0])) || ox_node_set_attr_int(c, "to", dt) < 0)
		return OX_ENOMEM;
	if ((r = ox_cv_forward(node, 0, c->out[0])) < 0)
		return r;
	ox_node_kill(node);
	return 0;
}

/* --- Shape (15): start/end -> Slice of the shape --- */

static int
shape_down15(struct ox_cv *cv, struct ox_node *node)
{
	const struct ox_attr *st = ox_node_attr(node, "start"), *en = ox_node_attr(node, "end");
	int64_t s = st ? st->i : 0, e = en ? en->i : INT64_MAX;
	struct ox_node *sl;
	struct ox_value *vs, *ve, *old = node->out[0];
	int r;

	if (!st && !en)
		return 0;
	ox_node_del_attr(node, "start");
	ox_node_del_attr(node, "end");
	if (s == 0 && !en)
		return 0;
	/* cv->level is 14: Slice takes starts and ends as inputs there. */
	if (!(vs = ox_cv_ints(cv, &s, 1)) || !(ve = ox_cv_ints(cv, &e, 1)) ||
	    !(sl = ox_cv_add(cv, "Slice", 1, 3, NULL, vs, ve)))
		return OX_ENOMEM;
	if ((r = ox_value_replace_uses(old, sl->out[0])) < 0 || (r = ox_node_set_input(sl, 0, old)) < 0)
		return r;
	return 0;
}

/* --- QuantizeLinear and DequantizeLinear: saturate (19), block_size and
 * output_dtype (21, 23) --- */

/* saturate only changes float8 outputs, and opset 13 has no float8 type: the
 * driver's type check reports those; for the others it means nothing. */
static int
quant_down19(struct ox_cv *cv, struct ox_node *node)
{
	(void)cv;
	ox_node_del_attr(node, "saturate");
	return 0;
}

static int
block_size_down21(struct ox_cv *cv, struct ox_node *node)
{
	if (ox_node_attr_int(node, "block_size", 0) != 0)
		return ox_cv_refuse(cv, node, "blocked quantization (block_size %lld) needs opset 21",
				    (long long)ox_node_attr_int(node, "block_size", 0));
	ox_node_del_attr(node, "block_size");
	return 0;
}

/* A zero point of dtype shaped like the scale (scalar or 1-D), or NULL with *why. */
static struct ox_value *
zero_point_like(struct ox_cv *cv, const struct ox_value *scale, int dtype, const char **why)
{
	const struct ox_tensor *t = ox_cv_const(scale);
	static const double zeros[1] = { 0 };
	double *buf;
	struct ox_value *v;
	int64_t n;

	*why = "the scale's shape is unknown";
	if (t && t->ndim <= 1)
		n = t->ndim == 0 ? -1 : t->nelem;
	else if (ox_cv_rank(scale) == 0)
		n = -1;
	else if (ox_cv_rank(scale) == 1 && ox_cv_dim(scale, 0) >= 0)
		n = ox_cv_dim(scale, 0);
	else
		return NULL;
	*why = "out of memory";
	if (n < 0)
		return ox_cv_scalars(cv, dtype, zeros, 1, true);
	if (n > 1 << 20 || !(buf = calloc((size_t)n + 1, sizeof *buf)))
		return NULL;
	v = ox_cv_scalars(cv, dtype, buf, (int)n, false);
	free(buf);
	return v;
}

/* QuantizeLinear-21's output_dtype, without a zero point, picks the output type;
 * before, the zero point's type does: an explicit zero point of that type keeps it. */
static int
quant_down21(struct ox_cv *cv, struct ox_node *node)
{
	int64_t od = ox_node_attr_int(node, "output_dtype", 0);
	bool zp = node->n_in > 2 && node->in[2];
	const char *why;
	struct ox_value *z;
	int r;

	if (ox_node_attr_int(node, "block_size", 0) != 0)
		return block_size_down21(cv, node);
	if (od != 0 && !zp) {
		if (od != OX_UINT8 && od != OX_INT8)
			return ox_cv_refuse(cv, node, "output_dtype %s needs opset 21", ox_dtype_name((int)od));
		if (node->n_in < 2 || !node->in[1])
			return ox_cv_refuse(cv, node, "no scale");
		if (!(z = zero_point_like(cv, node->in[1], (int)od, &why)))
			return why[0] == 'o' ? OX_ENOMEM : ox_cv_refuse(cv, node, "output_dtype without a zero point, "
								     "and %s", why);
		if ((r = ox_cv_set_input(node, 2, z)) < 0)
			return r;
	}
	ox_node_del_attr(node, "block_size");
	ox_node_del_attr(node, "output_dtype");
	return 0;
}

/* DequantizeLinear-23's output_dtype can only name the scale's type. */
static int
dequant_down23(struct ox_cv *cv, struct ox_node *node)
{
	int64_t od = ox_node_attr_int(node, "output_dtype", 0);
	int st = node->n_in > 1 && node->in[1] ? ox_cv_elem(node->in[1]) : 0;

	if (od != 0 && od != st)
		return ox_cv_refuse(cv, node, "output_dtype %s differs from the scale's type",
				    ox_dtype_name((int)od));
	ox_node_del_attr(node, "output_dtype");
	return 0;
}

/* --- Scan (9): the batch axis and sequence_lens are gone --- */

/* A Squeeze or Unsqueeze (attribute form: the adapters run at opsets 8 and 9) of
 * axis 0 reading v, or NULL. */
static struct ox_value *
axis0(struct ox_cv *cv, const char *op, struct ox_value *v)
{
	static const int64_t zero = 0;
	struct ox_node *n = ox_cv_add(cv, op, 1, 1, v);

	if (!n || ox_node_set_attr_ints(n, "axes", &zero, 1) < 0)
		return NULL;
	return n->out[0];
}

/* Every output k of node reads through op(axis 0) from now on. */
static int
scan_wrap_outputs(struct ox_cv *cv, struct ox_node *node, const char *op)
{
	static const int64_t zero = 0;
	int r;

	for (int k = 0; k < node->n_out; k++) {
		struct ox_value *old = node->out[k];
		struct ox_node *w;

		if (!old)
			continue;
		if (!(w = ox_cv_add(cv, op, 1, 1, NULL)) || ox_node_set_attr_ints(w, "axes", &zero, 1) < 0)
			return OX_ENOMEM;
		if ((r = ox_value_replace_uses(old, w->out[0])) < 0 || (r = ox_node_set_input(w, 0, old)) < 0)
			return r;
	}
	return 0;
}

/* Scan-8 over a batch of one without sequence_lens is Scan-9 on the squeezed
 * inputs, its outputs unsqueezed: the body sees the same tensors. */
static int
scan_up9(struct ox_cv *cv, struct ox_node *node)
{
	struct ox_value *vals[256];
	const int64_t *dirs;
	int n = node->n_in - 1, nd, r;

	if (n < 1 || n > 256)
		return ox_cv_refuse(cv, node, "Scan-8 with %d inputs", node->n_in);
	if (node->in[0])
		return ox_cv_refuse(cv, node, "sequence_lens is given; Scan-9 has no per-batch lengths");
	for (int i = 0; i < n; i++)
		if (!node->in[i + 1] || ox_cv_dim(node->in[i + 1], 0) != 1)
			return ox_cv_refuse(cv, node, "the batch size of input %d is not known to be 1; "
					    "Scan-9 has no batch axis", i + 1);
	for (int i = 0; i < n; i++)
		if (!(vals[i] = axis0(cv, "Squeeze", node->in[i + 1])))
			return OX_ENOMEM;
	for (int i = 0; i < n; i++)
		if ((r = ox_node_set_input(node, i, vals[i])) < 0)
			return r;
	ox_node_set_input(node, n, NULL);
	ox_cv_trim_inputs(node);
	if ((nd = ox_cv_attr_ints(node, "directions", &dirs)) >= 0) {
		if ((r = ox_node_set_attr_ints(node, "scan_input_directions", dirs, (size_t)nd)) < 0)
			return r;
		ox_node_del_attr(node, "directions");
	}
	return scan_wrap_outputs(cv, node, "Unsqueeze");
}

/* Scan-9 scanning axis 0 forward on its outputs is Scan-8 over a batch of one. */
static int
scan_down9(struct ox_cv *cv, struct ox_node *node)
{
	static const char *const zero_lists[] = { "scan_input_axes", "scan_output_axes",
		"scan_output_directions" };
	struct ox_value *vals[256];
	const int64_t *v;
	int n = node->n_in, nv, r;

	if (n < 1 || n > 255)
		return ox_cv_refuse(cv, node, "Scan-9 with %d inputs", n);
	for (size_t a = 0; a < sizeof zero_lists / sizeof zero_lists[0]; a++) {
		nv = ox_cv_attr_ints(node, zero_lists[a], &v);
		for (int i = 0; i < nv; i++)
			if (v[i] != 0)
				return ox_cv_refuse(cv, node, "%s other than 0 needs Scan-9", zero_lists[a]);
	}
	for (int i = 0; i < n; i++)
		if (!node->in[i])
			return ox_cv_refuse(cv, node, "input %d is omitted", i);
	for (int i = 0; i < n; i++)
		if (!(vals[i] = axis0(cv, "Unsqueeze", node->in[i])))
			return OX_ENOMEM;
	for (int i = n - 1; i >= 0; i--)
		if ((r = ox_cv_set_input(node, i + 1, vals[i])) < 0)
			return r;
	ox_node_set_input(node, 0, NULL);
	if ((nv = ox_cv_attr_ints(node, "scan_input_directions", &v)) >= 0) {
		if ((r = ox_node_set_attr_ints(node, "directions", v, (size_t)nv)) < 0)
			return r;
		ox_node_del_attr(node, "scan_input_directions");
	}
	for (size_t a = 0; a < sizeof zero_lists / sizeof zero_lists[0]; a++)
		ox_node_del_attr(node, zero_lists[a]);
	return scan_wrap_outputs(cv, node, "Squeeze");
}

const struct ox_cv_rule ox_cv_rules_semantics[] = {
	{ "Constant", 12, ox_cv_same, constant_down12 },
	{ "LessOrEqual", 12, NULL, compare_eq_down12 },
	{ "GreaterOrEqual", 12, NULL, compare_eq_down12 },
	{ "CastLike", 15, NULL, castlike_down15 },
	{ "Shape", 15, ox_cv_same, shape_down15 },
	{ "Add", 7, binary_up7, NULL },
	{ "Sub", 7, binary_up7, NULL },
	{ "Mul", 7, binary_up7, NULL },
	{ "Div", 7, binary_up7, NULL },
	{ "Pow", 7, binary_up7, NULL },
	{ "And", 7, binary_up7, NULL },
	{ "Or", 7, binary_up7, NULL },
	{ "Xor", 7, binary_up7, NULL },
	{ "Equal", 7, binary_up7, NULL },
	{ "Greater", 7, binary_up7, NULL },
	{ "Less", 7, binary_up7, NULL },
	{ "MaxPool", 8, ox_cv_same, maxpool_down8 },
	{ "PRelu", 7, prelu_up7, NULL },
	{ "Softmax", 13, softmax_up13, softmax_down13 },
	{ "LogSoftmax", 13, softmax_up13, softmax_down13 },
	{ "Hardmax", 13, softmax_up13, softmax_down13 },
	{ "BatchNormalization", 7, bn_up7, bn_down7 },
	{ "BatchNormalization", 9, bn_up9, ox_cv_same },
	{ "BatchNormalization", 14, bn_up14, bn_down14 },
	{ "Gemm", 7, gemm_up7, gemm_down7 },
	{ "Gemm", 11, ox_cv_same, gemm_down11 },
	{ "Scatter", 11, scatter_to_elements, ox_cv_same },
	{ "ScatterElements", 11, NULL, elements_to_scatter },
	{ "ScatterElements", 18, ox_cv_same, scatter_down18 },
	{ "ScatterND", 18, ox_cv_same, scatter_down18 },
	{ "RoiAlign", 16, roialign_up16, roialign_down16 },
	{ "GridSample", 20, gridsample_up20, gridsample_down20 },
	{ "GroupNormalization", 21, group_norm_up21, group_norm_down21 },
	{ "QuantizeLinear", 13, ox_cv_same, quant_down13 },
	{ "DequantizeLinear", 13, ox_cv_same, quant_down13 },
	{ "QuantizeLinear", 19, ox_cv_same, quant_down19 },
	{ "QuantizeLinear", 21, ox_cv_same, quant_down21 },
	{ "DequantizeLinear", 21, ox_cv_same, block_size_down21 },
	{ "DequantizeLinear", 23, ox_cv_same, dequant_down23 },
	{ "Max", 8, ox_cv_same, variadic_down8 },
	{ "Min", 8, ox_cv_same, variadic_down8 },
	{ "Sum", 8, ox_cv_same, variadic_down8 },
	{ "Mean", 8, ox_cv_same, variadic_down8 },
	{ "Scan", 9, scan_up9, scan_down9 },
	{ NULL, 0, NULL, NULL },
};

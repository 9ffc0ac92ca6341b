/* passes/convert/adapters_inputs.c: attributes that became inputs, and back.
 *
 * Going up, an attribute becomes a constant initializer input. Going down, the input
 * must be a constant (an initializer no graph input overrides, or a Constant node)
 * for it to become an attribute again; otherwise the node is refused. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "convert.h"

#define MAXN 1024

/* Attribute name (ints) -> input i. Absent attribute: nothing. */
static int
ints_attr_to_input(struct ox_cv *cv, struct ox_node *node, const char *name, int i)
{
	const int64_t *v;
	int n = ox_cv_attr_ints(node, name, &v), r;
	struct ox_value *c;

	if (n < 0)
		return 0;
	if (!(c = ox_cv_ints(cv, v, n)) || (r = ox_cv_set_input(node, i, c)) < 0)
		return OX_ENOMEM;
	ox_node_del_attr(node, name);
	return 0;
}

/* Whether input i is absent or a constant int list. */
static bool
ints_input_ok(const struct ox_node *node, int i)
{
	int64_t buf[MAXN];

	return i >= node->n_in || !node->in[i] || ox_cv_const_ints(node->in[i], buf, MAXN) >= 0;
}

/* Input i (constant ints) -> attribute name; the input is dropped. */
static int
ints_input_to_attr(struct ox_node *node, int i, const char *name)
{
	int64_t buf[MAXN];
	int n, r;

	if (i >= node->n_in || !node->in[i])
		return 0;
	n = ox_cv_const_ints(node->in[i], buf, MAXN);
	if (n < 0)
		return OX_EINVAL;
	if ((r = ox_node_set_attr_ints(node, name, buf, (size_t)n)) < 0)
		return r;
	ox_node_set_input(node, i, NULL);
	ox_cv_trim_inputs(node);
	return 0;
}

/* --- Squeeze, Unsqueeze (13), ReduceSum (13), other reductions (18) --- */

static int
axes_up(struct ox_cv *cv, struct ox_node *node)
{
	return ints_attr_to_input(cv, node, "axes", 1);
}

static int
axes_down(struct ox_cv *cv, struct ox_node *node)
{
	bool reduce = strncmp(node->op_type, "Reduce", 6) == 0;

	if (!ints_input_ok(node, 1))
		return ox_cv_refuse(cv, node, "axes is not a constant, and %s-%d takes it as an attribute",
				    node->op_type, cv->older->since_version);
	if (reduce && ox_node_attr_int(node, "noop_with_empty_axes", 0)) {
		int64_t buf[MAXN];

		if (node->n_in < 2 || !node->in[1] || ox_cv_const_ints(node->in[1], buf, MAXN) == 0)
			return ox_cv_refuse(cv, node,
					    "noop_with_empty_axes=1 with no axes has no equivalent before opset %d",
					    cv->newer->since_version);
	}
	if (reduce)
		ox_node_del_attr(node, "noop_with_empty_axes");
	return ints_input_to_attr(node, 1, "axes");
}

/* --- Split: split (13), num_outputs (18) --- */

static int
split_up13(struct ox_cv *cv, struct ox_node *node)
{
	return ints_attr_to_input(cv, node, "split", 1);
}

static int
split_down13(struct ox_cv *cv, struct ox_node *node)
{
	if (!ints_input_ok(node, 1))
		return ox_cv_refuse(cv, node, "split is not a constant");
	return ints_input_to_attr(node, 1, "split");
}

/* Split-18 needs the split input or num_outputs; before, no split meant equal parts. */
static int
split_up18(struct ox_cv *cv, struct ox_node *node)
{
	(void)cv;
	if (node->n_in > 1 && node->in[1])
		return 0;
	return ox_node_set_attr_int(node, "num_outputs", node->n_out);
}

static int
split_down18(struct ox_cv *cv, struct ox_node *node)
{
	const struct ox_attr *no = ox_node_attr(node, "num_outputs");
	int64_t axis = ox_node_attr_int(node, "axis", 0), dim, n, sizes[MAXN];
	int rank = ox_cv_rank(node->in[0]);
	struct ox_value *c;

	if (!no)
		return 0;
	n = no->i;
	if (node->n_in > 1 && node->in[1]) {
		ox_node_del_attr(node, "num_outputs");
		return 0;
	}
	if (axis < 0 && rank >= 0)
		axis += rank;
	dim = ox_cv_dim(node->in[0], (int)axis);
	if (n <= 0 || n > MAXN || n != node->n_out)
		return ox_cv_refuse(cv, node, "num_outputs does not match the outputs");
	if (dim < 0)
		return ox_cv_refuse(cv, node,
				    "num_outputs needs the split dimension to be known to go below opset 18");
	if (dim % n == 0) {
		ox_node_del_attr(node, "num_outputs");
		return 0;
	}
	/* Opset 18 makes the last chunk smaller; before, sizes must be spelled out. */
	{
		int64_t chunk = (dim + n - 1) / n, left = dim;

		for (int64_t k = 0; k < n; k++) {
			sizes[k] = left < chunk ? left : chunk;
			left -= sizes[k];
		}
	}
	if (!(c = ox_cv_ints(cv, sizes, (int)n)) || ox_cv_set_input(node, 1, c) < 0)
		return OX_ENOMEM;
	ox_node_del_attr(node, "num_outputs");
	return 0;
}

/* --- Pad: pads, value (11), axes (18), wrap (19) --- */

static int
pad_up11(struct ox_cv *cv, struct ox_node *node)
{
	float value = ox_node_attr_float(node, "value", 0.0f);
	int dt = ox_cv_elem(node->in[0]), r;
	const int64_t *p;

	if (ox_cv_attr_ints(node, "pads", &p) < 0)
		return ox_cv_refuse(cv, node, "Pad has no pads attribute");
	if (value != 0.0f && !dt)
		return ox_cv_refuse(cv, node, "the input dtype is unknown, so value cannot become an input");
	if ((r = ints_attr_to_input(cv, node, "pads", 1)) < 0)
		return r;
	if (value != 0.0f) {
		struct ox_value *c = ox_cv_scalar(cv, dt, value);

		if (!c || ox_cv_set_input(node, 2, c) < 0)
			return OX_ENOMEM;
	}
	ox_node_del_attr(node, "value");
	return 0;
}

static int
pad_down11(struct ox_cv *cv, struct ox_node *node)
{
	double v[2];
	int r;

	if (node->n_in < 2 || !node->in[1] || !ints_input_ok(node, 1))
		return ox_cv_refuse(cv, node, "pads is not a constant");
	if (node->n_in > 2 && node->in[2] && ox_cv_const_doubles(node->in[2], v, 1) != 1)
		return ox_cv_refuse(cv, node, "constant_value is not a constant");
	if (node->n_in > 2 && node->in[2]) {
		if ((r = ox_node_set_attr_float(node, "value", (float)v[0])) < 0)
			return r;
		ox_node_set_input(node, 2, NULL);
	}
	return ints_input_to_attr(node, 1, "pads");
}

static int
pad_down18(struct ox_cv *cv, struct ox_node *node)
{
	int64_t axes[MAXN], pads[MAXN], full[2 * OX_MAX_RANK];
	int na, np, rank;
	struct ox_value *c;

	if (node->n_in < 4 || !node->in[3]) {
		ox_cv_trim_inputs(node);
		return 0;
	}
	rank = ox_cv_rank(node->in[0]);
	na = ox_cv_const_ints(node->in[3], axes, MAXN);
	np = node->in[1] ? ox_cv_const_ints(node->in[1], pads, MAXN) : -1;
	if (na < 0 || np != 2 * na || rank < 0 || rank > OX_MAX_RANK)
		return ox_cv_refuse(cv, node, "axes needs constant axes and pads and a known rank");
	memset(full, 0, sizeof full);
	for (int k = 0; k < na; k++) {
		int64_t a = axes[k] < 0 ? axes[k] + rank : axes[k];

		if (a < 0 || a >= rank)
			return ox_cv_refuse(cv, node, "axis out of range");
		full[a] = pads[k];
		full[a + rank] = pads[k + na];
	}
	if (!(c = ox_cv_ints(cv, full, 2 * rank)) || ox_node_set_input(node, 1, c) < 0)
		return OX_ENOMEM;
	ox_node_set_input(node, 3, NULL);
	ox_cv_trim_inputs(node);
	return 0;
}

static int
pad_down19(struct ox_cv *cv, struct ox_node *node)
{
	if (ox_cv_attr_str_is(node, "mode", "wrap", false))
		return ox_cv_refuse(cv, node, "mode 'wrap' needs opset 19");
	return 0;
}

/* --- Clip: min/max (11) --- */

static int
clip_up11(struct ox_cv *cv, struct ox_node *node)
{
	const struct ox_attr *mn = ox_node_attr(node, "min"), *mx = ox_node_attr(node, "max");
	int dt = ox_cv_elem(node->in[0]);
	struct ox_value *a = NULL, *b = NULL;

	if ((mn || mx) && !dt)
		return ox_cv_refuse(cv, node, "the input dtype is unknown, so min/max cannot become inputs");
	if (mn && !(a = ox_cv_scalar(cv, dt, mn->f)))
		return OX_ENOMEM;
	if (mx && !(b = ox_cv_scalar(cv, dt, mx->f)))
		return OX_ENOMEM;
	if ((a && ox_cv_set_input(node, 1, a) < 0) || (b && ox_cv_set_input(node, 2, b) < 0))
		return OX_ENOMEM;
	ox_node_del_attr(node, "min");
	ox_node_del_attr(node, "max");
	return 0;
}

static int
clip_down11(struct ox_cv *cv, struct ox_node *node)
{
	double lo = 0, hi = 0;
	bool has_lo = node->n_in > 1 && node->in[1], has_hi = node->n_in > 2 && node->in[2];
	int r;

	if ((has_lo && ox_cv_const_doubles(node->in[1], &lo, 1) != 1) ||
	    (has_hi && ox_cv_const_doubles(node->in[2], &hi, 1) != 1))
		return ox_cv_refuse(cv, node, "min/max are not constants");
	if (has_lo && (r = ox_node_set_attr_float(node, "min", (float)lo)) < 0)
		return r;
	if (has_hi && (r = ox_node_set_attr_float(node, "max", (float)hi)) < 0)
		return r;
	if (node->n_in > 2)
		ox_node_set_input(node, 2, NULL);
	if (node->n_in > 1)
		ox_node_set_input(node, 1, NULL);
	ox_cv_trim_inputs(node);
	return 0;
}

/* --- Slice: starts/ends/axes (10) --- */

static int
slice_up10(struct ox_cv *cv, struct ox_node *node)
{
	const int64_t *v;
	int r;

	if (ox_cv_attr_ints(node, "starts", &v) < 0 || ox_cv_attr_ints(node, "ends", &v) < 0)
		return ox_cv_refuse(cv, node, "Slice has no starts/ends");
	if ((r = ints_attr_to_input(cv, node, "starts", 1)) < 0 ||
	    (r = ints_attr_to_input(cv, node, "ends", 2)) < 0 ||
	    (r = ints_attr_to_input(cv, node, "axes", 3)) < 0)
		return r;
	return 0;
}

static int
slice_down10(struct ox_cv *cv, struct ox_node *node)
{
	int64_t steps[MAXN];
	int r;

	for (int i = 1; i < 4; i++)
		if (!ints_input_ok(node, i))
			return ox_cv_refuse(cv, node, "starts/ends/axes are not constants");
	if (node->n_in > 4 && node->in[4]) {
		int n = ox_cv_const_ints(node->in[4], steps, MAXN);

		if (n < 0)
			return ox_cv_refuse(cv, node, "steps is not a constant");
		for (int k = 0; k < n; k++)
			if (steps[k] != 1)
				return ox_cv_refuse(cv, node, "steps other than 1 need opset 10");
		ox_node_set_input(node, 4, NULL);
	}
	if ((r = ints_input_to_attr(node, 3, "axes")) < 0 ||
	    (r = ints_input_to_attr(node, 2, "ends")) < 0 ||
	    (r = ints_input_to_attr(node, 1, "starts")) < 0)
		return r;
	return 0;
}

/* --- TopK: k (10) --- */

static int
topk_up10(struct ox_cv *cv, struct ox_node *node)
{
	int64_t k = ox_node_attr_int(node, "k", -1);
	struct ox_value *c;

	if (k < 0)
		return ox_cv_refuse(cv, node, "TopK has no k");
	if (!(c = ox_cv_ints(cv, &k, 1)) || ox_cv_set_input(node, 1, c) < 0)
		return OX_ENOMEM;
	ox_node_del_attr(node, "k");
	return 0;
}

static int
topk_down10(struct ox_cv *cv, struct ox_node *node)
{
	int64_t k[2];
	int r;

	if (node->n_in < 2 || !node->in[1] || ox_cv_const_ints(node->in[1], k, 2) != 1)
		return ox_cv_refuse(cv, node, "k is not a constant");
	if ((r = ox_node_set_attr_int(node, "k", k[0])) < 0)
		return r;
	ox_node_set_input(node, 1, NULL);
	ox_cv_trim_inputs(node);
	return 0;
}

/* --- Dropout: ratio, training_mode (12) --- */

static int
dropout_up12(struct ox_cv *cv, struct ox_node *node)
{
	const struct ox_attr *ratio = ox_node_attr(node, "ratio");
	struct ox_value *c;

	if (ox_cv_output_used(node, 1))
		return ox_cv_refuse(cv, node, "the mask output differs from opset 12 on");

	if (ratio) {
		if (!(c = ox_cv_scalar(cv, OX_FLOAT, ratio->f)) || ox_cv_set_input(node, 1, c) < 0)
			return OX_ENOMEM;
		ox_node_del_attr(node, "ratio");
	}
	return 0;
}

static int
dropout_down12(struct ox_cv *cv, struct ox_node *node)
{
	double ratio = 0.5, train = 0;
	int r;

	/* Before 12 the mask in inference mode is not pinned down (ONNX Runtime gives
	 * all false, Dropout-12 all true). */
	if (ox_cv_output_used(node, 1))
		return ox_cv_refuse(cv, node, "the mask output differs before opset 12");
	if (node->n_in > 2 && node->in[2] &&
	    (ox_cv_const_doubles(node->in[2], &train, 1) != 1 || train != 0))
		return ox_cv_refuse(cv, node, "training_mode is not a constant false");
	if (node->n_in > 1 && node->in[1] && ox_cv_const_doubles(node->in[1], &ratio, 1) != 1)
		return ox_cv_refuse(cv, node, "ratio is not a constant");
	if (node->n_in > 1 && node->in[1] && (r = ox_node_set_attr_float(node, "ratio", (float)ratio)) < 0)
		return r;
	for (int i = node->n_in - 1; i >= 1; i--)
		ox_node_set_input(node, i, NULL);
	ox_cv_trim_inputs(node);
	ox_node_del_attr(node, "seed");
	return 0;
}

/* --- Upsample (7 -> 9 scales input; removed at 10) and Resize (10, 11, 13, 19) --- */

static int
upsample_up9(struct ox_cv *cv, struct ox_node *node)
{
	const struct ox_attr *s = ox_node_attr(node, "scales");
	double v[OX_MAX_RANK];
	struct ox_value *c;

	if (!s || !s->n_floats || s->n_floats > OX_MAX_RANK)
		return ox_cv_refuse(cv, node, "Upsample has no scales");
	for (size_t k = 0; k < s->n_floats; k++)
		v[k] = s->floats[k];
	if (!(c = ox_cv_scalars(cv, OX_FLOAT, v, (int)s->n_floats, false)) ||
	    ox_cv_set_input(node, 1, c) < 0)
		return OX_ENOMEM;
	ox_node_del_attr(node, "scales");
	return 0;
}

static int
upsample_down9(struct ox_cv *cv, struct ox_node *node)
{
	double v[OX_MAX_RANK];
	float f[OX_MAX_RANK];
	int n = node->n_in > 1 ? ox_cv_const_doubles(node->in[1], v, OX_MAX_RANK) : -1, r;

	if (n < 0)
		return ox_cv_refuse(cv, node, "scales is not a constant");
	for (int k = 0; k < n; k++)
		f[k] = (float)v[k];
	if ((r = ox_node_set_attr_floats(node, "scales", f, (size_t)n)) < 0)
		return r;
	ox_node_set_input(node, 1, NULL);
	ox_cv_trim_inputs(node);
	return 0;
}

static int resize_up11(struct ox_cv *cv, struct ox_node *node);

/* Upsample-9 means what Resize-10 means: rename. Going further, Upsample's scales
 * are >= 1 by definition, so nearest resizing is floor even when the scales are not
 * constant (which Resize-10 alone cannot promise): go straight to Resize-11. */
static int
upsample_to_resize(struct ox_cv *cv, struct ox_node *node)
{
	bool nearest = ox_cv_attr_str_is(node, "mode", "nearest", true);
	struct ox_value *scales = node->n_in > 1 ? node->in[1] : NULL, *roi;
	int r;

	node->op_type = "Resize";
	if (cv->target < 11 || !scales || !nearest || ox_cv_const(scales))
		return 0;
	if (!(roi = ox_cv_scalars(cv, OX_FLOAT, NULL, 0, false)))
		return OX_ENOMEM;
	if ((r = ox_cv_set_input(node, 2, scales)) < 0 || (r = ox_node_set_input(node, 1, roi)) < 0 ||
	    (r = ox_node_set_attr_string(node, "coordinate_transformation_mode", "asymmetric")) < 0 ||
	    (r = ox_node_set_attr_string(node, "nearest_mode", "floor")) < 0)
		return r;
	cv->level = 11;
	return 0;
}

static int
resize_to_upsample(struct ox_cv *cv, struct ox_node *node)
{
	(void)cv;
	node->op_type = "Upsample";
	return 0;
}

/* The nearest_mode that reproduces opset-10 nearest resizing for constant scales:
 * Resize-10 picks floor(x / scale) upsampling and rounds up downsampling. NULL when
 * the scales are not constant or mix both. */
static const char *
nearest_mode_10(const struct ox_value *scales)
{
	double v[OX_MAX_RANK];
	int n = ox_cv_const_doubles(scales, v, OX_MAX_RANK);
	bool up = false, down = false;

	if (n <= 0)
		return NULL;
	for (int k = 0; k < n; k++) {
		up |= v[k] > 1;
		down |= v[k] < 1;
	}
	return up && down ? NULL : down ? "ceil" : "floor";
}

static int
resize_up11(struct ox_cv *cv, struct ox_node *node)
{
	bool nearest = ox_cv_attr_str_is(node, "mode", "nearest", true);
	const char *nm = NULL;
	struct ox_value *scales = node->n_in > 1 ? node->in[1] : NULL, *roi;
	int r;

	if (!scales)
		return ox_cv_refuse(cv, node, "Resize has no scales");
	if (nearest && !(nm = nearest_mode_10(scales)))
		return ox_cv_refuse(cv, node,
				    "nearest resizing of opset 10 needs constant scales, all up or all down");
	if (!(roi = ox_cv_scalars(cv, OX_FLOAT, NULL, 0, false)))
		return OX_ENOMEM;
	if ((r = ox_cv_set_input(node, 2, scales)) < 0 || (r = ox_node_set_input(node, 1, roi)) < 0)
		return r;
	if ((r = ox_node_set_attr_string(node, "coordinate_transformation_mode", "asymmetric")) < 0)
		return r;
	if (nearest && (r = ox_node_set_attr_string(node, "nearest_mode", nm)) < 0)
		return r;
	return 0;
}

static int
resize_down11(struct ox_cv *cv, struct ox_node *node)
{
	bool nearest = ox_cv_attr_str_is(node, "mode", "nearest", true);
	bool linear = ox_cv_attr_str_is(node, "mode", "linear", false);
	struct ox_value *scales = node->n_in > 2 ? node->in[2] : NULL;
	const char *nm;

	if (node->n_in > 3 && node->in[3])
		return ox_cv_refuse(cv, node, "sizes needs opset 11");
	if (!scales || (!nearest && !linear))
		return ox_cv_refuse(cv, node, "only nearest or linear resizing by scales exists before opset 11");
	if (!ox_cv_attr_str_is(node, "coordinate_transformation_mode", "asymmetric", false))
		return ox_cv_refuse(cv, node, "only the asymmetric coordinate transformation exists before opset 11");
	if (nearest) {
		nm = nearest_mode_10(scales);
		if (!nm || !ox_cv_attr_str_is(node, "nearest_mode", nm, strcmp(nm, "round_prefer_floor") == 0))
			return ox_cv_refuse(cv, node, "nearest_mode has no opset 10 equivalent for these scales");
	}
	if (ox_node_attr_int(node, "exclude_outside", 0) != 0)
		return ox_cv_refuse(cv, node, "exclude_outside needs opset 11");
	ox_node_set_input(node, 1, scales);
	ox_node_set_input(node, 2, NULL);
	ox_cv_trim_inputs(node);
	for (const char *const *a = (const char *const[]){ "coordinate_transformation_mode",
		     "nearest_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value", NULL };
	     *a; a++)
		ox_node_del_attr(node, *a);
	return 0;
}

/* tf_half_pixel_for_nn is gone at opset 13. Its source coordinate (x + 0.5) / s is
 * half_pixel's plus one half, so for mode nearest the same index comes from
 * half_pixel with the rounding moved by a half: round_prefer_floor(y) is
 * ceil(y - 0.5) and floor(y) is round_prefer_ceil(y - 0.5). */
static int
resize_up13(struct ox_cv *cv, struct ox_node *node)
{
	const char *nearest;

	if (!ox_cv_attr_str_is(node, "coordinate_transformation_mode", "tf_half_pixel_for_nn", false))
		return 0;
	if (!ox_cv_attr_str_is(node, "mode", "nearest", true))
		return ox_cv_refuse(cv, node, "coordinate mode tf_half_pixel_for_nn is gone at opset 13");
	if (ox_cv_attr_str_is(node, "nearest_mode", "round_prefer_floor", true))
		nearest = "ceil";
	else if (ox_cv_attr_str_is(node, "nearest_mode", "floor", false))
		nearest = "round_prefer_ceil";
	else
		return ox_cv_refuse(cv, node, "coordinate mode tf_half_pixel_for_nn with this nearest_mode "
				    "has no opset 13 equivalent");
	if (ox_node_set_attr_string(node, "coordinate_transformation_mode", "half_pixel") < 0 ||
	    ox_node_set_attr_string(node, "nearest_mode", nearest) < 0)
		return OX_ENOMEM;
	return 0;
}

/* Resize-11 needs roi and (with sizes) scales as tensors, empty when unused. */
static int
resize_down13(struct ox_cv *cv, struct ox_node *node)
{
	bool sizes = node->n_in > 3 && node->in[3];
	struct ox_value *e;

	if (node->n_in < 2 || !node->in[1]) {
		if (!(e = ox_cv_scalars(cv, OX_FLOAT, NULL, 0, false)) || ox_cv_set_input(node, 1, e) < 0)
			return OX_ENOMEM;
	}
	if (sizes && !node->in[2]) {
		if (!(e = ox_cv_scalars(cv, OX_FLOAT, NULL, 0, false)) || ox_cv_set_input(node, 2, e) < 0)
			return OX_ENOMEM;
	}
	if (node->n_in < 3 || !node->in[2])
		return ox_cv_refuse(cv, node, "Resize-11 needs scales or sizes");
	return 0;
}

static int
resize_down19(struct ox_cv *cv, struct ox_node *node)
{
	if (ox_cv_attr_str_is(node, "coordinate_transformation_mode", "half_pixel_symmetric", false))
		return ox_cv_refuse(cv, node, "half_pixel_symmetric needs opset 19");
	return 0;
}

/* Resize-18 added antialias, axes and keep_aspect_ratio_policy; their defaults keep
 * the older behaviour. */

/* --- DFT (20): the axis attribute (default 1) became input 2 (default -2) --- */

static int
dft_up20(struct ox_cv *cv, struct ox_node *node)
{
	int64_t axis = ox_node_attr_int(node, "axis", 1);
	struct ox_value *c;

	/* An explicit axis keeps the meaning whatever the default became. */
	if (!(c = ox_cv_scalar(cv, OX_INT64, (double)axis)) || ox_cv_set_input(node, 2, c) < 0)
		return OX_ENOMEM;
	ox_node_del_attr(node, "axis");
	return 0;
}

static int
dft_down20(struct ox_cv *cv, struct ox_node *node)
{
	int64_t axis = -2;
	int rank = ox_cv_rank(node->n_in > 0 ? node->in[0] : NULL);
	int r;

	if (node->n_in > 2 && node->in[2] && ox_cv_const_ints(node->in[2], &axis, 1) != 1)
		return ox_cv_refuse(cv, node, "axis is not a constant");
	if (axis < 0) {
		if (rank < 0)
			return ox_cv_refuse(cv, node, "negative axis %lld and the input's rank is unknown",
					    (long long)axis);
		axis += rank;
	}
	if (axis < 0 || (rank >= 0 && axis > rank - 2))
		return ox_cv_refuse(cv, node, "axis is out of range");
	if ((r = ox_node_set_attr_int(node, "axis", axis)) < 0)
		return r;
	if (node->n_in > 2)
		ox_node_set_input(node, 2, NULL);
	ox_cv_trim_inputs(node);
	return 0;
}

const struct ox_cv_rule ox_cv_rules_inputs[] = {
	{ "Squeeze", 13, axes_up, axes_down },
	{ "Unsqueeze", 13, axes_up, axes_down },
	{ "ReduceSum", 13, axes_up, axes_down },
	{ "ReduceL1", 18, axes_up, axes_down },
	{ "ReduceL2", 18, axes_up, axes_down },
	{ "ReduceLogSum", 18, axes_up, axes_down },
	{ "ReduceLogSumExp", 18, axes_up, axes_down },
	{ "ReduceMax", 18, axes_up, axes_down },
	{ "ReduceMean", 18, axes_up, axes_down },
	{ "ReduceMin", 18, axes_up, axes_down },
	{ "ReduceProd", 18, axes_up, axes_down },
	{ "ReduceSumSquare", 18, axes_up, axes_down },
	{ "Split", 13, split_up13, split_down13 },
	{ "Split", 18, split_up18, split_down18 },
	{ "Pad", 11, pad_up11, pad_down11 },
	{ "Pad", 18, ox_cv_same, pad_down18 },
	{ "Pad", 19, ox_cv_same, pad_down19 },
	{ "Clip", 11, clip_up11, clip_down11 },
	{ "Slice", 10, slice_up10, slice_down10 },
	{ "TopK", 10, topk_up10, topk_down10 },
	{ "Dropout", 12, dropout_up12, dropout_down12 },
	{ "Upsample", 9, upsample_up9, upsample_down9 },
	{ "Upsample", 10, upsample_to_resize, ox_cv_same },
	{ "Resize", 10, NULL, resize_to_upsample },
	{ "Resize", 11, resize_up11, resize_down11 },
	{ "Resize", 13, resize_up13, resize_down13 },
	{ "Resize", 19, ox_cv_same, resize_down19 },
	{ "DFT", 20, dft_up20, dft_down20 },
	{ NULL, 0, NULL, NULL },
};

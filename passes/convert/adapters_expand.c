/* passes/convert/adapters_expand.c: ops that only exist from some opset on, expanded
 * into older ops when converting below it: Gelu (20), LayerNormalization (17),
 * HardSwish (14), Mish (18), GroupNormalization (18/21), Celu (12). The expansions
 * follow the formulas of the ONNX operator definitions; the new nodes conform to the
 * opset just below the op's first version and the driver walks them further down. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "convert.h"

static bool
float_type(int dt)
{
	return dt == OX_FLOAT || dt == OX_DOUBLE || dt == OX_FLOAT16;
}

static struct ox_value *
op1(struct ox_cv *cv, const char *op, struct ox_value *a)
{
	struct ox_node *n = a ? ox_cv_add(cv, op, 1, 1, a) : NULL;

	return n ? n->out[0] : NULL;
}

static struct ox_value *
op2(struct ox_cv *cv, const char *op, struct ox_value *a, struct ox_value *b)
{
	struct ox_node *n = a && b ? ox_cv_add(cv, op, 1, 2, a, b) : NULL;

	return n ? n->out[0] : NULL;
}

/* ReduceMean over axes with keepdims, in the form of the current level. */
static struct ox_value *
reduce_mean(struct ox_cv *cv, struct ox_value *x, const int64_t *axes, int n)
{
	struct ox_node *r;

	if (!x)
		return NULL;
	if (cv->level >= 18) {
		struct ox_value *a = ox_cv_ints(cv, axes, n);

		r = a ? ox_cv_add(cv, "ReduceMean", 1, 2, x, a) : NULL;
	} else {
		r = ox_cv_add(cv, "ReduceMean", 1, 1, x);
		if (r && ox_node_set_attr_ints(r, "axes", axes, (size_t)n) < 0)
			return NULL;
	}
	if (r && ox_node_set_attr_int(r, "keepdims", 1) < 0)
		return NULL;
	return r ? r->out[0] : NULL;
}

/* Make node's first output read y, then remove node. */
static int
finish(struct ox_node *node, struct ox_value *y)
{
	int r;

	if (!y)
		return OX_ENOMEM;
	if ((r = ox_cv_forward(node, 0, y)) < 0)
		return r;
	ox_node_kill(node);
	return 0;
}

static int
check_float_outs(struct ox_cv *cv, struct ox_node *node, int *dt, int outs)
{
	*dt = ox_cv_elem(node->in[0]);
	if (!float_type(*dt))
		return ox_cv_refuse(cv, node, "expanding %s needs a known float input dtype",
				    node->op_type);
	for (int k = outs; k < node->n_out; k++)
		if (ox_cv_output_used(node, k))
			return ox_cv_refuse(cv, node, "output %d of %s has no expansion", k,
					    node->op_type);
	return 0;
}

static int
check_float(struct ox_cv *cv, struct ox_node *node, int *dt)
{
	return check_float_outs(cv, node, dt, 1);
}

/* Gelu: x/2 * (1 + erf(x/sqrt(2))), or with approximate="tanh"
 * x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))). */
static int
gelu_down20(struct ox_cv *cv, struct ox_node *node)
{
	struct ox_value *x = node->in[0], *t;
	int dt, r;

	if ((r = check_float(cv, node, &dt)) != 0)
		return r;
	if (ox_cv_attr_str_is(node, "approximate", "tanh", false)) {
		struct ox_value *x3 = op2(cv, "Mul", op2(cv, "Mul", x, x), x);
		struct ox_value *in = op2(cv, "Add", x, op2(cv, "Mul", x3, ox_cv_scalar(cv, dt, 0.044715)));

		t = op1(cv, "Tanh", op2(cv, "Mul", in, ox_cv_scalar(cv, dt, sqrt(2.0 / M_PI))));
	} else {
		t = op1(cv, "Erf", op2(cv, "Div", x, ox_cv_scalar(cv, dt, sqrt(2.0))));
	}
	t = op2(cv, "Add", t, ox_cv_scalar(cv, dt, 1.0));
	t = op2(cv, "Mul", op2(cv, "Mul", x, t), ox_cv_scalar(cv, dt, 0.5));
	return finish(node, t);
}

/* HardSwish: x * HardSigmoid(x, alpha=1/6, beta=0.5). */
static int
hardswish_down14(struct ox_cv *cv, struct ox_node *node)
{
	struct ox_node *hs;
	int dt, r;

	if ((r = check_float(cv, node, &dt)) != 0)
		return r;
	if (!(hs = ox_cv_add(cv, "HardSigmoid", 1, 1, node->in[0])) ||
	    ox_node_set_attr_float(hs, "alpha", 1.0f / 6.0f) < 0 || ox_node_set_attr_float(hs, "beta", 0.5f) < 0)
		return OX_ENOMEM;
	return finish(node, op2(cv, "Mul", node->in[0], hs->out[0]));
}

/* Mish: x * tanh(softplus(x)). */
static int
mish_down18(struct ox_cv *cv, struct ox_node *node)
{
	int dt, r;

	if ((r = check_float(cv, node, &dt)) != 0)
		return r;
	return finish(node, op2(cv, "Mul", node->in[0], op1(cv, "Tanh", op1(cv, "Softplus", node->in[0]))));
}

/* Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) = alpha * Elu(x / alpha). */
static int
celu_down12(struct ox_cv *cv, struct ox_node *node)
{
	float alpha = ox_node_attr_float(node, "alpha", 1.0f);
	struct ox_node *elu;
	int dt, r;

	if ((r = check_float(cv, node, &dt)) != 0)
		return r;
	if (alpha == 0.0f)
		return ox_cv_refuse(cv, node, "alpha is 0");
	if (!(elu = ox_cv_add(cv, "Elu", 1, 1, op2(cv, "Div", node->in[0], ox_cv_scalar(cv, dt, alpha)))) ||
	    !elu->in[0] || ox_node_set_attr_float(elu, "alpha", 1.0f) < 0)
		return OX_ENOMEM;
	return finish(node, op2(cv, "Mul", elu->out[0], ox_cv_scalar(cv, dt, alpha)));
}

/* (x - mean) / sqrt(var + eps) over axes. */
static struct ox_value *
normalize(struct ox_cv *cv, struct ox_value *x, const int64_t *axes, int n, int dt, double eps)
{
	struct ox_value *d = op2(cv, "Sub", x, reduce_mean(cv, x, axes, n));
	struct ox_value *var = reduce_mean(cv, op2(cv, "Mul", d, d), axes, n);

	return op2(cv, "Div", d, op1(cv, "Sqrt", op2(cv, "Add", var, ox_cv_scalar(cv, dt, eps))));
}

/* LayerNormalization: normalize over axis.. (the last dims), then scale and bias. */
static int
layernorm_down17(struct ox_cv *cv, struct ox_node *node)
{
	int64_t axis = ox_node_attr_int(node, "axis", -1), axes[OX_MAX_RANK];
	int rank = ox_cv_rank(node->in[0]), n = 0, dt, r;
	struct ox_value *y;

	if ((r = check_float_outs(cv, node, &dt, 3)) != 0)
		return r;
	if (dt != OX_FLOAT && dt != OX_DOUBLE && ox_node_attr_int(node, "stash_type", 1) == 1)
		return ox_cv_refuse(cv, node, "stash_type=1 on %s input has no simple expansion",
				    ox_dtype_name(dt));
	if (axis < 0) {
		if (axis < -OX_MAX_RANK)
			return ox_cv_refuse(cv, node, "axis out of range");
		for (int64_t a = axis; a < 0; a++)
			axes[n++] = a;
	} else {
		if (rank < 0 || axis >= rank)
			return ox_cv_refuse(cv, node, "a non-negative axis needs a known rank");
		for (int64_t a = axis; a < rank; a++)
			axes[n++] = a;
	}
	{
		struct ox_value *x = node->in[0], *mean = reduce_mean(cv, x, axes, n);
		struct ox_value *d = op2(cv, "Sub", x, mean);
		struct ox_value *var = reduce_mean(cv, op2(cv, "Mul", d, d), axes, n);
		struct ox_value *inv = op1(cv, "Reciprocal", op1(cv, "Sqrt", op2(cv, "Add", var,
				ox_cv_scalar(cv, dt, ox_node_attr_float(node, "epsilon", 1e-5f)))));

		y = op2(cv, "Mul", op2(cv, "Mul", d, inv), node->in[1]);
		if (node->n_in > 2 && node->in[2])
			y = op2(cv, "Add", y, node->in[2]);
		if (!mean || !inv)
			return OX_ENOMEM;
		/* Mean and InvStdDev keep the reduced dims as 1, as keepdims does. */
		if ((r = ox_cv_forward(node, 1, mean)) < 0 || (r = ox_cv_forward(node, 2, inv)) < 0)
			return r;
	}
	return finish(node, y);
}

/* GroupNormalization: x as [N, G, -1], normalized over the last axis, back to x's
 * shape; scale and bias per group (18) or per channel (21). */
int
ox_cv_expand_group_norm(struct ox_cv *cv, struct ox_node *node)
{
	int64_t g = ox_node_attr_int(node, "num_groups", 0), ax[1] = { 2 };
	int64_t grp_shape[3] = { 0, g, -1 }, col[2] = { g, 1 }, chan[OX_MAX_RANK];
	bool per_channel = cv->newer && cv->newer->since_version >= 21;
	int rank = ox_cv_rank(node->in[0]), dt, r;
	struct ox_value *x = node->in[0], *n, *s, *b, *y;

	if ((r = check_float(cv, node, &dt)) != 0)
		return r;
	if (dt != OX_FLOAT && dt != OX_DOUBLE)
		return ox_cv_refuse(cv, node, "GroupNormalization on %s has no simple expansion",
				    ox_dtype_name(dt));
	if (g <= 0 || (per_channel && (rank < 2 || rank > OX_MAX_RANK)))
		return ox_cv_refuse(cv, node, "needs num_groups and a known rank");
	n = normalize(cv, op2(cv, "Reshape", x, ox_cv_ints(cv, grp_shape, 3)), ax, 1, dt,
		      ox_node_attr_float(node, "epsilon", 1e-5f));
	if (per_channel) {
		struct ox_value *shape;

		chan[0] = -1;
		for (int k = 1; k < rank - 1; k++)
			chan[k] = 1;
		n = op2(cv, "Reshape", n, op1(cv, "Shape", x));
		shape = ox_cv_ints(cv, chan, rank - 1);
		s = op2(cv, "Reshape", node->in[1], shape);
		b = op2(cv, "Reshape", node->in[2], shape);
		y = op2(cv, "Add", op2(cv, "Mul", n, s), b);
	} else {
		struct ox_value *shape = ox_cv_ints(cv, col, 2);

		s = op2(cv, "Reshape", node->in[1], shape);
		b = op2(cv, "Reshape", node->in[2], shape);
		y = op2(cv, "Reshape", op2(cv, "Add", op2(cv, "Mul", n, s), b), op1(cv, "Shape", x));
	}
	return finish(node, y);
}

const struct ox_cv_rule ox_cv_rules_expand[] = {
	{ "Gelu", 20, NULL, gelu_down20 },
	{ "LayerNormalization", 17, NULL, layernorm_down17 },
	{ "HardSwish", 14, NULL, hardswish_down14 },
	{ "Mish", 18, NULL, mish_down18 },
	{ "Celu", 12, NULL, celu_down12 },
	{ "GroupNormalization", 18, NULL, ox_cv_expand_group_norm },
	{ NULL, 0, NULL, NULL },
};

/* shape/elementwise.c: ops whose output has the shape of an input (unary ops,
 * activations, normalizations, casts, quantization) or the broadcast of their inputs
 * (arithmetic, comparison, logic, Where). Integer arithmetic on small known tensors
 * is evaluated here too, because shape computations in exported models are made of
 * it (Mul of two Gathers from a Shape, Equal/Where around Expand). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "shape.h"

/* Output 0 has input 0's type; Identity-like ops also keep its known contents. */
static int
same_as_input(struct ox_infer *ic, struct ox_node *node, int k, int from, int elem)
{
	const struct ox_type *t = ox_infer_in(node, from);
	int e = elem ? elem : ox_infer_in_elem(node, from);

	if (!t)
		return e ? ox_infer_set(ic, node, k, e, -1, NULL) : 0;
	return ox_infer_set(ic, node, k, e, t->rank, t->dims);
}

static int
unary(struct ox_infer *ic, struct ox_node *node)
{
	return same_as_input(ic, node, 0, 0, 0);
}

static int
identity(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_known *k = ox_infer_known(ic, node->n_in ? node->in[0] : NULL);
	int r;

	if (node->n_in && node->in[0] && node->in[0]->type && node->in[0]->type->kind != OX_TYPE_TENSOR)
		return ox_infer_set_type(ic, node, 0, node->in[0]->type);
	if ((r = same_as_input(ic, node, 0, 0, 0)) < 0)
		return r;
	return k && node->n_out ? ox_infer_set_known(ic, node->out[0], k->n, k->v) : 0;
}

static int
to_bool(struct ox_infer *ic, struct ox_node *node)
{
	return same_as_input(ic, node, 0, 0, OX_BOOL);
}

static int
dropout(struct ox_infer *ic, struct ox_node *node)
{
	int r = same_as_input(ic, node, 0, 0, 0);

	if (r < 0)
		return r;
	/* The mask was the data's type before opset 10. */
	return same_as_input(ic, node, 1, 0, ox_infer_schema(ic)->since_version >= 10 ? OX_BOOL : 0);
}

static int
batchnorm(struct ox_infer *ic, struct ox_node *node)
{
	int r = same_as_input(ic, node, 0, 0, 0);

	/* Training outputs (running mean/var, saved mean/var) have the scale's shape. */
	for (int k = 1; r >= 0 && k < node->n_out; k++)
		r = same_as_input(ic, node, k, node->n_in > 3 ? 3 : 1, 0);
	return r;
}

static int
layernorm(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *t = ox_infer_in(node, 0);
	int r = same_as_input(ic, node, 0, 0, 0), axis;
	int stash = (int)ox_node_attr_int(node, "stash_type", OX_FLOAT);
	struct ox_dim dims[OX_MAX_RANK];

	if (r < 0 || node->n_out < 2)
		return r;
	if (!t || t->rank < 0 || t->rank > OX_MAX_RANK) {
		for (int k = 1; r >= 0 && k < 3; k++)
			r = ox_infer_set(ic, node, k, stash, -1, NULL);
		return r;
	}
	if (!ox_infer_axis(ox_node_attr_int(node, "axis", -1), t->rank, false, &axis))
		return ox_infer_fail(ic, node, "axis out of range for rank %d", t->rank);
	for (int i = 0; i < t->rank; i++)
		dims[i] = i < axis ? t->dims[i] : ox_dim_of(1);
	for (int k = 1; r >= 0 && k < 3; k++)
		r = ox_infer_set(ic, node, k, stash, t->rank, dims);
	return r;
}

static int
cast(struct ox_infer *ic, struct ox_node *node)
{
	int to = (int)ox_node_attr_int(node, "to", 0);
	const struct ox_attr *a = ox_node_attr(node, "to");
	const struct ox_known *k;
	int r;

	/* Cast-1 spelled the type as a string. */
	if (a && a->has_s && !a->has_i) {
		char buf[32];
		size_t n = a->s.len < sizeof buf - 1 ? a->s.len : sizeof buf - 1;

		memcpy(buf, a->s.data, n);
		buf[n] = 0;
		for (char *p = buf; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		to = ox_dtype_from_name(buf);
		if (to < 0)
			to = 0;
	}
	if ((r = same_as_input(ic, node, 0, 0, to)) < 0)
		return r;
	k = ox_infer_known(ic, node->n_in ? node->in[0] : NULL);
	if (k && node->n_out && (to == OX_INT64 || to == OX_INT32))
		return ox_infer_set_known(ic, node->out[0], k->n, k->v);
	return 0;
}

static int
castlike(struct ox_infer *ic, struct ox_node *node)
{
	return same_as_input(ic, node, 0, 0, ox_infer_in_elem(node, 1));
}

static int
quantize(struct ox_infer *ic, struct ox_node *node)
{
	int e = ox_infer_in_elem(node, 2);

	if (!e && (node->n_in < 3 || !node->in[2]))
		e = (int)ox_node_attr_int(node, "output_dtype", 0);
	if (!e && (node->n_in < 3 || !node->in[2]))
		e = OX_UINT8;
	return same_as_input(ic, node, 0, 0, e);
}

static int
dequantize(struct ox_infer *ic, struct ox_node *node)
{
	int e = ox_infer_in_elem(node, 1);

	return same_as_input(ic, node, 0, 0, e ? e : OX_FLOAT);
}

static int
dyn_quantize(struct ox_infer *ic, struct ox_node *node)
{
	int r = same_as_input(ic, node, 0, 0, OX_UINT8);

	if (r >= 0)
		r = ox_infer_set(ic, node, 1, OX_FLOAT, 0, NULL);
	if (r >= 0)
		r = ox_infer_set(ic, node, 2, OX_UINT8, 0, NULL);
	return r;
}

static int
eyelike(struct ox_infer *ic, struct ox_node *node)
{
	return same_as_input(ic, node, 0, 0, (int)ox_node_attr_int(node, "dtype", 0));
}

static int
like_random(struct ox_infer *ic, struct ox_node *node)
{
	int e = (int)ox_node_attr_int(node, "dtype", 0);

	return same_as_input(ic, node, 0, 0, e);
}

/* --- broadcasting --- */

enum kop { K_NONE, K_ADD, K_SUB, K_MUL, K_DIV, K_MIN, K_MAX, K_EQ, K_LT, K_GT, K_MOD };

static bool
kop_eval(enum kop op, int64_t a, int64_t b, int64_t *out)
{
	switch (op) {
	case K_ADD: return !__builtin_add_overflow(a, b, out);
	case K_SUB: return !__builtin_sub_overflow(a, b, out);
	case K_MUL: return !__builtin_mul_overflow(a, b, out);
	case K_DIV:
		if (b == 0 || (a == INT64_MIN && b == -1))
			return false;
		*out = a / b;
		/* Integer Div floors (the reference implementation is numpy's). */
		if ((a % b != 0) && ((a < 0) != (b < 0)))
			(*out)--;
		return true;
	case K_MOD:
		if (b == 0 || (a == INT64_MIN && b == -1))
			return false;
		*out = a % b;
		if (*out != 0 && ((*out < 0) != (b < 0)))
			*out += b;
		return true;
	case K_MIN: *out = a < b ? a : b; return true;
	case K_MAX: *out = a > b ? a : b; return true;
	case K_EQ: *out = a == b; return true;
	case K_LT: *out = a < b; return true;
	case K_GT: *out = a > b; return true;
	default: return false;
	}
}

/* Symbolic identities that keep a dim: x + 0, x - 0, x * 1, x / 1. */
static bool
kop_sym(enum kop op, const struct ox_dim *a, const struct ox_dim *b, struct ox_dim *out)
{
	bool bz = b->kind == OX_DIM_VALUE && b->value == 0, b1 = b->kind == OX_DIM_VALUE && b->value == 1;
	bool az = a->kind == OX_DIM_VALUE && a->value == 0, a1 = a->kind == OX_DIM_VALUE && a->value == 1;

	if (((op == K_ADD || op == K_SUB) && bz) || ((op == K_MUL || op == K_DIV) && b1)) {
		*out = *a;
		return true;
	}
	if ((op == K_ADD && az) || (op == K_MUL && a1)) {
		*out = *b;
		return true;
	}
	if ((op == K_MIN || op == K_MAX) && ox_dim_same(a, b)) {
		*out = *a;
		return true;
	}
	if (op == K_EQ && ox_dim_same(a, b)) {
		*out = ox_dim_of(1);
		return true;
	}
	if (op == K_EQ && a->kind == OX_DIM_PARAM && b->kind == OX_DIM_VALUE && b->value < 0) {
		/* A dim is never negative: comparing with -1 (PyTorch's "keep") is false. */
		*out = ox_dim_of(0);
		return true;
	}
	return false;
}

/* Evaluate op over the known contents of inputs 0 and 1 when one is a single
 * element or both have the same count. */
static int
known_binary(struct ox_infer *ic, struct ox_node *node, enum kop op)
{
	const struct ox_known *a, *b;
	struct ox_dim *res;
	int64_t n;
	int r;

	if (op == K_NONE || node->n_in < 2 || !node->n_out || !node->out[0])
		return 0;
	if (!(a = ox_infer_known(ic, node->in[0])) || !(b = ox_infer_known(ic, node->in[1])))
		return 0;
	if (a->n != b->n && a->n != 1 && b->n != 1)
		return 0;
	n = a->n > b->n ? a->n : b->n;
	if (a->n == 0 || b->n == 0)
		n = 0;
	if (!(res = calloc((size_t)n + 1, sizeof *res)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < n; i++) {
		const struct ox_dim *x = &a->v[a->n == 1 ? 0 : i], *y = &b->v[b->n == 1 ? 0 : i];
		int64_t z;

		if (x->kind == OX_DIM_VALUE && y->kind == OX_DIM_VALUE && kop_eval(op, x->value, y->value, &z))
			res[i] = ox_dim_of(z);
		else if (!kop_sym(op, x, y, &res[i]))
			res[i] = (struct ox_dim){ .kind = OX_DIM_UNKNOWN };
	}
	r = ox_infer_set_known(ic, node->out[0], n, res);
	free(res);
	return r;
}

static enum kop
kop_of(const char *op)
{
	static const struct { const char *name; enum kop op; } t[] = {
		{ "Add", K_ADD }, { "Sub", K_SUB }, { "Mul", K_MUL }, { "Div", K_DIV },
		{ "Min", K_MIN }, { "Max", K_MAX }, { "Equal", K_EQ }, { "Less", K_LT },
		{ "Greater", K_GT }, { "Mod", K_MOD },
	};

	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		if (strcmp(op, t[i].name) == 0)
			return t[i].op;
	return K_NONE;
}

static int
broadcast_out(struct ox_infer *ic, struct ox_node *node, int first, int n, int elem)
{
	struct ox_dim dims[OX_MAX_RANK];
	int rank;

	/* Before opset 7 the second input broadcast only with broadcast=1 and an axis. */
	if (ox_infer_schema(ic)->since_version < 7 && strcmp(node->op_type, "Where") != 0 &&
	    n == 2 && node->n_in == 2) {
		const struct ox_type *t = ox_infer_in(node, 0);

		if (ox_node_attr_int(node, "broadcast", 0))
			return t ? ox_infer_set(ic, node, 0, elem, t->rank, t->dims)
				 : ox_infer_set(ic, node, 0, elem, -1, NULL);
	}
	rank = ox_infer_broadcast(ic, node, first, n, dims);
	if (rank < -1)
		return OX_EINVAL;
	return ox_infer_set(ic, node, 0, elem, rank, rank >= 0 ? dims : NULL);
}

static int
first_elem(const struct ox_node *node, int from)
{
	for (int i = from; i < node->n_in; i++)
		if (ox_infer_in_elem(node, i))
			return ox_infer_in_elem(node, i);
	return 0;
}

static int
arith(struct ox_infer *ic, struct ox_node *node)
{
	int r = broadcast_out(ic, node, 0, node->n_in, ox_infer_in_elem(node, 0) ? ox_infer_in_elem(node, 0)
								   : first_elem(node, 0));

	return r < 0 ? r : known_binary(ic, node, kop_of(node->op_type));
}

static int
compare(struct ox_infer *ic, struct ox_node *node)
{
	int r = broadcast_out(ic, node, 0, node->n_in, OX_BOOL);

	return r < 0 ? r : known_binary(ic, node, kop_of(node->op_type));
}

static int
not_op(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_known *k = ox_infer_known(ic, node->n_in ? node->in[0] : NULL);
	int r = same_as_input(ic, node, 0, 0, OX_BOOL);

	if (r < 0 || !k || !node->n_out || k->n > OX_SHAPE_KNOWN_MAX)
		return r;
	{
		struct ox_dim res[OX_SHAPE_KNOWN_MAX];

		for (int64_t i = 0; i < k->n; i++)
			res[i] = k->v[i].kind == OX_DIM_VALUE ? ox_dim_of(!k->v[i].value)
							       : (struct ox_dim){ .kind = OX_DIM_UNKNOWN };
		return ox_infer_set_known(ic, node->out[0], k->n, res);
	}
}

static int
where(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_known *c, *x, *y;
	int r = broadcast_out(ic, node, 0, 3, first_elem(node, 1));
	int64_t n;

	if (r < 0 || node->n_in < 3 || !node->n_out)
		return r;
	c = ox_infer_known(ic, node->in[0]);
	x = ox_infer_known(ic, node->in[1]);
	y = ox_infer_known(ic, node->in[2]);
	if (!c || !x || !y)
		return 0;
	n = c->n;
	if (x->n > n)
		n = x->n;
	if (y->n > n)
		n = y->n;
	if ((c->n != n && c->n != 1) || (x->n != n && x->n != 1) || (y->n != n && y->n != 1))
		return 0;
	{
		struct ox_dim res[OX_SHAPE_KNOWN_MAX];

		for (int64_t i = 0; i < n; i++) {
			const struct ox_dim *ci = &c->v[c->n == 1 ? 0 : i];

			if (ci->kind != OX_DIM_VALUE)
				res[i] = (struct ox_dim){ .kind = OX_DIM_UNKNOWN };
			else
				res[i] = ci->value ? x->v[x->n == 1 ? 0 : i] : y->v[y->n == 1 ? 0 : i];
		}
		return ox_infer_set_known(ic, node->out[0], n, res);
	}
}

static int
neg_abs(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_known *k = ox_infer_known(ic, node->n_in ? node->in[0] : NULL);
	bool neg = strcmp(node->op_type, "Neg") == 0;
	int r = same_as_input(ic, node, 0, 0, 0);

	if (r < 0 || !k || !node->n_out)
		return r;
	{
		struct ox_dim res[OX_SHAPE_KNOWN_MAX];

		for (int64_t i = 0; i < k->n; i++) {
			int64_t v = k->v[i].value;

			if (k->v[i].kind == OX_DIM_VALUE && v != INT64_MIN)
				res[i] = ox_dim_of(neg ? -v : v < 0 ? -v : v);
			else if (!neg && k->v[i].kind == OX_DIM_PARAM)
				res[i] = k->v[i];
			else
				res[i] = (struct ox_dim){ .kind = OX_DIM_UNKNOWN };
		}
		return ox_infer_set_known(ic, node->out[0], k->n, res);
	}
}

static int
prelu(struct ox_infer *ic, struct ox_node *node)
{
	return same_as_input(ic, node, 0, 0, 0);
}

static int
bitshift(struct ox_infer *ic, struct ox_node *node)
{
	return broadcast_out(ic, node, 0, 2, first_elem(node, 0));
}

const struct ox_shape_rule ox_shape_rules_elementwise[] = {
	/* Same shape and type as input 0. */
	{ NULL, "Abs", neg_abs }, { NULL, "Neg", neg_abs },
	{ NULL, "Acos", unary }, { NULL, "Acosh", unary }, { NULL, "Asin", unary },
	{ NULL, "Asinh", unary }, { NULL, "Atan", unary }, { NULL, "Atanh", unary },
	{ NULL, "Ceil", unary }, { NULL, "Celu", unary }, { NULL, "Cos", unary },
	{ NULL, "Cosh", unary }, { NULL, "Elu", unary }, { NULL, "Erf", unary },
	{ NULL, "Exp", unary }, { NULL, "Floor", unary }, { NULL, "Gelu", unary },
	{ NULL, "HardSigmoid", unary }, { NULL, "HardSwish", unary }, { NULL, "Hardmax", unary },
	{ NULL, "LeakyRelu", unary }, { NULL, "Log", unary }, { NULL, "LogSoftmax", unary },
	{ NULL, "Mish", unary }, { NULL, "Reciprocal", unary }, { NULL, "Relu", unary },
	{ NULL, "Round", unary }, { NULL, "Selu", unary }, { NULL, "Shrink", unary },
	{ NULL, "Sigmoid", unary }, { NULL, "Sign", unary }, { NULL, "Sin", unary },
	{ NULL, "Sinh", unary }, { NULL, "Softmax", unary }, { NULL, "Softplus", unary },
	{ NULL, "Softsign", unary }, { NULL, "Sqrt", unary }, { NULL, "Tan", unary },
	{ NULL, "Tanh", unary }, { NULL, "ThresholdedRelu", unary }, { NULL, "Clip", unary },
	{ NULL, "BitwiseNot", unary }, { NULL, "CumSum", unary }, { NULL, "Trilu", unary },
	{ NULL, "ReverseSequence", unary }, { NULL, "LRN", unary },
	{ NULL, "InstanceNormalization", unary }, { NULL, "MeanVarianceNormalization", unary },
	{ NULL, "LpNormalization", unary }, { NULL, "Scatter", unary },
	{ NULL, "ScatterElements", unary }, { NULL, "ScatterND", unary },
	{ NULL, "Swish", unary }, { NULL, "GroupNormalization", unary },
	{ NULL, "Identity", identity },
	{ NULL, "IsNaN", to_bool }, { NULL, "IsInf", to_bool }, { NULL, "Not", not_op },
	{ NULL, "Dropout", dropout },
	{ NULL, "BatchNormalization", batchnorm },
	{ NULL, "LayerNormalization", layernorm },
	{ NULL, "Cast", cast }, { NULL, "CastLike", castlike },
	{ NULL, "QuantizeLinear", quantize }, { NULL, "DequantizeLinear", dequantize },
	{ NULL, "DynamicQuantizeLinear", dyn_quantize },
	{ NULL, "EyeLike", eyelike },
	{ NULL, "RandomNormalLike", like_random }, { NULL, "RandomUniformLike", like_random },
	{ NULL, "Bernoulli", like_random },
	{ NULL, "PRelu", prelu },
	/* Broadcasting. */
	{ NULL, "Add", arith }, { NULL, "Sub", arith }, { NULL, "Mul", arith },
	{ NULL, "Div", arith }, { NULL, "Pow", arith }, { NULL, "Mod", arith },
	{ NULL, "Max", arith }, { NULL, "Min", arith }, { NULL, "Mean", arith },
	{ NULL, "Sum", arith }, { NULL, "BitwiseAnd", arith }, { NULL, "BitwiseOr", arith },
	{ NULL, "BitwiseXor", arith }, { NULL, "BitShift", bitshift },
	{ NULL, "Equal", compare }, { NULL, "Less", compare }, { NULL, "Greater", compare },
	{ NULL, "LessOrEqual", compare }, { NULL, "GreaterOrEqual", compare },
	{ NULL, "And", compare }, { NULL, "Or", compare }, { NULL, "Xor", compare },
	{ NULL, "Where", where },
	{ NULL, NULL, NULL },
};

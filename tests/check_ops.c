/* check_ops.c: the operator registry against facts of the ONNX specification
 * (docs/Operators.md and docs/Changelog.md of onnx/onnx), checkable by anyone. */
#include <check.h>
#include <float.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* TensorProto.DataType codes used below. */
enum { FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, STRING = 8, BOOL = 9,
       FLOAT16 = 10, DOUBLE = 11, BFLOAT16 = 16, FLOAT8E4M3FN = 17, INT4 = 22,
       INT2 = 26 };
/* AttributeProto.AttributeType codes used below. */
enum { AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_GRAPH = 5, AT_INTS = 7,
       AT_STRINGS = 8 };

static const struct ox_op_schema *
must_find(const char *domain, const char *op, int opset)
{
	const struct ox_op_schema *s = ox_op_find(domain, op, opset);

	ck_assert_msg(s != NULL, "%s at opset %d not found", op, opset);
	return s;
}

START_TEST(test_count_and_order)
{
	int i, n = ox_op_count();

	/* ../shared/targets/onnx-opsets.tsv: 612 ai.onnx + 25 ai.onnx.ml versions. */
	ck_assert_int_eq(n, 637);
	ck_assert_ptr_null(ox_op_at(-1));
	ck_assert_ptr_null(ox_op_at(n));
	for (i = 1; i < n; i++) {
		const struct ox_op_schema *a = ox_op_at(i - 1), *b = ox_op_at(i);
		int c = strcmp(a->domain, b->domain);

		if (c == 0)
			c = strcmp(a->name, b->name);
		if (c == 0)
			c = a->since_version < b->since_version ? -1 : 1;
		ck_assert_msg(c < 0, "rows %d and %d out of order", i - 1, i);
		ck_assert_int_eq(ox_op_index(b), i);
	}
}
END_TEST

START_TEST(test_rows_consistent)
{
	int i, n = ox_op_count(), deprecated = 0, ml = 0;

	for (i = 0; i < n; i++) {
		const struct ox_op_schema *s = ox_op_at(i);
		int j;

		deprecated += s->deprecated;
		ml += strcmp(s->domain, "ai.onnx.ml") == 0;
		ck_assert_int_ge(s->since_version, 1);
		ck_assert_int_le(s->min_inputs, s->max_inputs);
		ck_assert_int_le(s->min_outputs, s->max_outputs);
		ck_assert_msg(s->n_outputs > 0, "%s-%d has no outputs", s->name, s->since_version);
		ck_assert_ptr_nonnull(ox_op_category_name(s->category));
		for (j = 0; j < s->n_inputs; j++) {
			const struct ox_op_formal *f = &s->inputs[j];

			ck_assert_int_lt(f->tc, s->n_tcs);
			if (f->tc >= 0)
				ck_assert_str_eq(f->type, s->tcs[f->tc].name);
			if (f->option == OX_OP_VARIADIC)
				ck_assert_int_eq(j, s->n_inputs - 1);
		}
		for (j = 1; j < s->n_attrs; j++)
			ck_assert_int_lt(strcmp(s->attrs[j - 1].name, s->attrs[j].name), 0);
		/* Every attribute is findable by the binary search. */
		for (j = 0; j < s->n_attrs; j++)
			ck_assert_ptr_eq(ox_op_attr_find(s, s->attrs[j].name), &s->attrs[j]);
	}
	/* Upsample-10, Scatter-11, GroupNormalization-18, TreeEnsembleClassifier-5,
	 * TreeEnsembleRegressor-5. */
	ck_assert_int_eq(deprecated, 5);
	ck_assert_int_eq(ml, 25);
}
END_TEST

START_TEST(test_reshape_versions)
{
	static const int want[] = { 1, 5, 13, 14, 19, 21, 23, 24, 25 };
	int i, n;
	const struct ox_op_schema *v = ox_op_versions("", "Reshape", &n);

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(n, (int)(sizeof want / sizeof want[0]));
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(v[i].name, "Reshape");
		ck_assert_int_eq(v[i].since_version, want[i]);
	}
	ck_assert_int_eq(ox_op_until(&v[1]), 13);
	ck_assert_int_eq(ox_op_until(&v[n - 1]), 0);

	ck_assert_int_eq(must_find("", "Reshape", 12)->since_version, 5);
	ck_assert_int_eq(must_find("", "Reshape", 13)->since_version, 13);
	ck_assert_int_eq(must_find("", "Reshape", 4)->since_version, 1);
	ck_assert_int_eq(must_find("", "Reshape", 18)->since_version, 14);
	ck_assert_int_eq(must_find("", "Reshape", INT_MAX)->since_version, 25);
	ck_assert_ptr_null(ox_op_find("", "Reshape", 0));

	/* Reshape-1 took the shape as an attribute; from 5 it is the second input. */
	ck_assert_int_eq(v[0].n_inputs, 1);
	ck_assert_ptr_nonnull(ox_op_attr_find(&v[0], "shape"));
	ck_assert_int_eq(v[1].n_inputs, 2);
	ck_assert_str_eq(v[1].inputs[1].name, "shape");
	ck_assert_str_eq(v[1].inputs[1].type, "tensor(int64)");
	ck_assert_int_eq(v[1].inputs[1].tc, -1);
	ck_assert(ox_op_dtype_allowed(&v[1], 1, INT64));
	ck_assert(!ox_op_dtype_allowed(&v[1], 1, INT32));
	/* allowzero arrived in 14, default 0. */
	ck_assert_ptr_null(ox_op_attr_find(must_find("", "Reshape", 13), "allowzero"));
	ck_assert_int_eq(ox_op_attr_find(must_find("", "Reshape", 14), "allowzero")->i, 0);
}
END_TEST

START_TEST(test_domains)
{
	const struct ox_op_schema *a = must_find("", "Relu", 14);

	ck_assert_ptr_eq(ox_op_find("ai.onnx", "Relu", 14), a);
	ck_assert_ptr_eq(ox_op_find(NULL, "Relu", 14), a);
	ck_assert_str_eq(a->domain, "");
	ck_assert_ptr_null(ox_op_find("", "NoSuchOp", 20));
	ck_assert_ptr_null(ox_op_find("", "relu", 20));
	ck_assert_ptr_null(ox_op_find("com.microsoft", "Relu", 20));
	ck_assert_ptr_null(ox_op_find("ai.onnx.ml", "Relu", 20));
	ck_assert_ptr_null(ox_op_find("", "LinearClassifier", 20));
	ck_assert_ptr_null(ox_op_find("", NULL, 20));
	/* Training ops (ai.onnx.preview.training) are not in the table. */
	ck_assert_ptr_null(ox_op_find("ai.onnx.preview.training", "Adam", 1));
	{
		int n = -1;

		ck_assert_ptr_null(ox_op_versions("", "NoSuchOp", &n));
		ck_assert_int_eq(n, 0);
	}
}
END_TEST

START_TEST(test_conv)
{
	const struct ox_op_schema *s = must_find("", "Conv", 17);
	const struct ox_op_attr *a;

	ck_assert_int_eq(s->since_version, 11);
	ck_assert_int_eq(s->category, OX_OPC_LAYER);
	ck_assert(!s->function);
	ck_assert_int_eq(s->min_inputs, 2);
	ck_assert_int_eq(s->max_inputs, 3);
	ck_assert_int_eq(s->inputs[2].option, OX_OP_OPTIONAL);
	ck_assert_str_eq(s->inputs[2].name, "B");

	a = ox_op_attr_find(s, "group");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->type, AT_INT);
	ck_assert(a->has_default && !a->required);
	ck_assert_int_eq(a->i, 1);

	a = ox_op_attr_find(s, "auto_pad");
	ck_assert_int_eq(a->type, AT_STRING);
	ck_assert_str_eq(a->s, "NOTSET");

	a = ox_op_attr_find(s, "kernel_shape");
	ck_assert_int_eq(a->type, AT_INTS);
	ck_assert(!a->has_default && !a->required);
	ck_assert_ptr_null(ox_op_attr_find(s, "no_such_attr"));

	/* Conv-22 added bfloat16; Conv-11 had float16, float, double only. */
	ck_assert(!ox_op_dtype_allowed(s, 0, BFLOAT16));
	ck_assert(ox_op_dtype_allowed(s, 0, FLOAT16));
	ck_assert(ox_op_dtype_allowed(must_find("", "Conv", 22), 0, BFLOAT16));
	ck_assert(!ox_op_dtype_allowed(s, 0, INT8));
	ck_assert(!ox_op_dtype_allowed(s, 3, FLOAT));
}
END_TEST

START_TEST(test_relu_types)
{
	const struct ox_op_schema *r6 = must_find("", "Relu", 12);
	const struct ox_op_schema *r13 = must_find("", "Relu", 13);
	const struct ox_op_schema *r14 = must_find("", "Relu", 14);
	const struct ox_op_tc *tc;

	ck_assert_int_eq(r6->since_version, 6);
	ck_assert_int_eq(r14->category, OX_OPC_ACTIVATION);
	/* bfloat16 from Relu-13, signed integers from Relu-14. */
	ck_assert(!ox_op_dtype_allowed(r6, 0, BFLOAT16));
	ck_assert(ox_op_dtype_allowed(r13, 0, BFLOAT16));
	ck_assert(ox_op_dtype_allowed(r14, 0, BFLOAT16));
	ck_assert(!ox_op_dtype_allowed(r13, 0, INT8));
	ck_assert(ox_op_dtype_allowed(r14, 0, INT8));
	ck_assert(ox_op_dtype_allowed(r14, 0, INT32));
	ck_assert(!ox_op_dtype_allowed(r14, 0, UINT8));
	ck_assert(!ox_op_dtype_allowed(r14, 0, BOOL));
	ck_assert(!ox_op_dtype_allowed(r14, 1, FLOAT));
	ck_assert(!ox_op_dtype_allowed(r14, 0, -1));
	ck_assert(!ox_op_dtype_allowed(r14, 0, 64));
	ck_assert(ox_op_output_dtype_allowed(r14, 0, BFLOAT16));

	tc = ox_op_tc_find(r14, "T");
	ck_assert_ptr_nonnull(tc);
	ck_assert(ox_op_mask_has(tc->tensor, FLOAT));
	ck_assert(tc->seq == 0 && tc->opt == 0 && tc->opt_seq == 0);
	ck_assert_ptr_null(tc->other);
	ck_assert_ptr_null(ox_op_tc_find(r14, "T1"));
}
END_TEST

START_TEST(test_variadic)
{
	const struct ox_op_schema *c = must_find("", "Concat", 13);
	const struct ox_op_schema *loop = must_find("", "Loop", 16);
	const struct ox_op_formal *f;

	ck_assert_int_eq(c->min_inputs, 1);
	ck_assert_int_eq(c->max_inputs, OX_OP_UNBOUNDED);
	ck_assert_int_eq(c->inputs[0].option, OX_OP_VARIADIC);
	ck_assert(!c->inputs[0].heterogeneous);
	ck_assert_ptr_eq(ox_op_input(c, 7), &c->inputs[0]);
	ck_assert(ox_op_dtype_allowed(c, 7, STRING));
	ck_assert_ptr_eq(ox_op_output(c, 0), &c->outputs[0]);
	ck_assert_ptr_null(ox_op_output(c, 1));
	ck_assert_int_eq(ox_op_attr_find(c, "axis")->required, 1);

	/* Loop(M, cond, v_initial...) -> (v_final_and_scan_outputs...). */
	ck_assert_int_eq(loop->category, OX_OPC_CONTROL);
	ck_assert_int_eq(loop->min_inputs, 2);
	ck_assert_int_eq(loop->inputs[0].option, OX_OP_OPTIONAL);
	ck_assert_str_eq(loop->inputs[0].type, "I");
	f = ox_op_input(loop, 5);
	ck_assert_str_eq(f->name, "v_initial");
	ck_assert(f->heterogeneous);
	ck_assert_int_eq(loop->outputs[0].option, OX_OP_VARIADIC);
	ck_assert_int_eq(ox_op_attr_find(loop, "body")->type, AT_GRAPH);
	ck_assert(ox_op_attr_find(loop, "body")->required);
	/* Loop-16 carries optionals and sequences as loop state. */
	ck_assert(ox_op_mask_has(ox_op_tc_find(loop, "V")->seq, FLOAT));
	ck_assert(ox_op_mask_has(ox_op_tc_find(loop, "V")->opt, FLOAT));
	ck_assert(ox_op_mask_has(ox_op_tc_find(loop, "V")->opt_seq, FLOAT));
	/* Loop-1 required M and cond. */
	ck_assert_int_eq(must_find("", "Loop", 10)->min_inputs, 3);
}
END_TEST

START_TEST(test_defaults)
{
	const struct ox_op_schema *s;
	const struct ox_op_attr *a;

	/* Clip-6: min/max attributes default to the float range. */
	s = must_find("", "Clip", 6);
	a = ox_op_attr_find(s, "max");
	ck_assert_int_eq(a->type, AT_FLOAT);
	ck_assert(a->f == FLT_MAX);
	ck_assert(ox_op_attr_find(s, "min")->f == -FLT_MAX);
	/* Clip-11 made them optional inputs. */
	s = must_find("", "Clip", 11);
	ck_assert_int_eq(s->n_attrs, 0);
	ck_assert_int_eq(s->min_inputs, 1);
	ck_assert_int_eq(s->max_inputs, 3);

	/* RNN activations default to two Tanh. */
	a = ox_op_attr_find(must_find("", "RNN", 14), "activations");
	ck_assert_int_eq(a->type, AT_STRINGS);
	ck_assert_int_eq(a->n, 2);
	ck_assert_str_eq(a->strings[0], "Tanh");
	ck_assert_str_eq(a->strings[1], "Tanh");

	/* MeanVarianceNormalization axes default [0, 2, 3]. */
	a = ox_op_attr_find(must_find("", "MeanVarianceNormalization", 13), "axes");
	ck_assert_int_eq(a->n, 3);
	ck_assert(a->ints[0] == 0 && a->ints[1] == 2 && a->ints[2] == 3);

	/* LayerNormalization-17: axis -1, epsilon 1e-5, stash_type 1; a function. */
	s = must_find("", "LayerNormalization", 17);
	ck_assert_int_eq(s->category, OX_OPC_NORMALIZATION);
	ck_assert(s->function);
	ck_assert_int_eq(ox_op_attr_find(s, "axis")->i, -1);
	ck_assert(ox_op_attr_find(s, "epsilon")->f == 1e-5f);
	ck_assert_int_eq(ox_op_attr_find(s, "stash_type")->i, 1);
	ck_assert_int_eq(s->n_outputs, 3);
	ck_assert_int_eq(s->min_outputs, 1);

	/* Selu-22 keeps Selu-6's defaults to full float precision (the Changelog
	 * prints 1.67326 and 1.0507). */
	ck_assert(ox_op_attr_find(must_find("", "Selu", 22), "alpha")->f == 1.67326319217681884765625f);
	ck_assert(ox_op_attr_find(must_find("", "Selu", 22), "gamma")->f == 1.05070102214813232421875f);
	ck_assert(ox_op_attr_find(must_find("", "Selu", 6), "alpha")->f == 1.67326319217681884765625f);

	/* Cast-13 to: required int. */
	a = ox_op_attr_find(must_find("", "Cast", 13), "to");
	ck_assert(a->required && !a->has_default);
}
END_TEST

START_TEST(test_newer_opsets)
{
	const struct ox_op_schema *s;

	/* Versions after opset 17 come from the Changelog. */
	s = must_find("", "Cast", 25);
	ck_assert_int_eq(s->since_version, 25);
	ck_assert(ox_op_dtype_allowed(s, 0, INT2));
	ck_assert(ox_op_dtype_allowed(s, 0, INT4));
	ck_assert(!ox_op_dtype_allowed(must_find("", "Cast", 18), 0, FLOAT8E4M3FN));
	ck_assert(ox_op_dtype_allowed(must_find("", "Cast", 19), 0, FLOAT8E4M3FN));
	ck_assert_ptr_nonnull(ox_op_attr_find(must_find("", "Cast", 19), "saturate"));

	s = must_find("", "Gelu", 20);
	ck_assert_int_eq(s->category, OX_OPC_ACTIVATION);
	ck_assert(s->function);
	ck_assert_str_eq(ox_op_attr_find(s, "approximate")->s, "none");
	ck_assert_ptr_null(ox_op_find("", "Gelu", 19));

	s = must_find("", "Attention", 23);
	ck_assert_int_eq(s->since_version, 23);
	ck_assert(s->function);

	/* The newest opset in the table is 28: Celu-28, SwiGLU-28. */
	ck_assert_int_eq(must_find("", "Celu", INT_MAX)->since_version, 28);
	ck_assert_int_eq(must_find("", "Celu", 27)->since_version, 12);
	ck_assert_int_eq(must_find("", "SwiGLU", 28)->since_version, 28);

	/* GroupNormalization-18 was deprecated by -21 (stash_type added). */
	s = must_find("", "GroupNormalization", 20);
	ck_assert_int_eq(s->since_version, 18);
	ck_assert(s->deprecated);
	ck_assert(ox_op_attr_find(s, "num_groups")->required);
	ck_assert_int_eq(s->n_inputs, 3);
	s = must_find("", "GroupNormalization", 21);
	ck_assert(!s->deprecated);
	ck_assert_int_eq(ox_op_attr_find(s, "stash_type")->i, 1);

	/* ReduceSum got axes as an input in 13, the others in 18. */
	ck_assert_int_eq(must_find("", "ReduceMean", 18)->n_inputs, 2);
	ck_assert_int_eq(must_find("", "ReduceMean", 17)->n_inputs, 1);
	ck_assert_int_eq(must_find("", "ReduceSum", 13)->n_inputs, 2);
	ck_assert_int_eq(must_find("", "ReduceSum", 13)->category, OX_OPC_REDUCE);
}
END_TEST

START_TEST(test_spec_fixes)
{
	const struct ox_op_schema *s = must_find("", "GridSample", 16);

	/* GridSample-16: grid is T2 (floats), Y has X's type T1. */
	ck_assert_str_eq(s->inputs[1].type, "T2");
	ck_assert_str_eq(s->outputs[0].type, "T1");
	ck_assert(ox_op_output_dtype_allowed(s, 0, INT32));
	ck_assert(!ox_op_dtype_allowed(s, 1, INT32));
	/* Erf-13 accepts every numeric type, as released. */
	ck_assert(ox_op_dtype_allowed(must_find("", "Erf", 13), 0, INT32));
}
END_TEST

START_TEST(test_deprecated)
{
	const struct ox_op_schema *s = must_find("", "Upsample", 12);

	ck_assert_int_eq(s->since_version, 10);
	ck_assert(s->deprecated);
	ck_assert(!must_find("", "Upsample", 9)->deprecated);
	ck_assert(must_find("", "Scatter", 11)->deprecated);
	ck_assert_int_eq(must_find("", "Scatter", 10)->since_version, 9);

	s = must_find("ai.onnx.ml", "TreeEnsembleClassifier", 5);
	ck_assert(s->deprecated);
	/* Same signature as version 3. */
	ck_assert_int_eq(s->n_outputs, 2);
	ck_assert_str_eq(s->outputs[1].type, "tensor(float)");
	ck_assert_str_eq(ox_op_attr_find(s, "post_transform")->s, "NONE");
	ck_assert(!must_find("ai.onnx.ml", "TreeEnsemble", 5)->deprecated);
}
END_TEST

START_TEST(test_ml)
{
	const struct ox_op_schema *s = must_find("ai.onnx.ml", "LinearClassifier", 1);
	const struct ox_op_tc *tc;

	ck_assert_int_eq(s->category, OX_OPC_ML);
	ck_assert_int_eq(s->n_outputs, 2);
	ck_assert_str_eq(ox_op_attr_find(s, "post_transform")->s, "NONE");
	ck_assert_int_eq(ox_op_attr_find(s, "multi_class")->i, 0);
	ck_assert(ox_op_attr_find(s, "coefficients")->required);
	ck_assert(ox_op_dtype_allowed(s, 0, INT64));
	ck_assert(ox_op_output_dtype_allowed(s, 0, STRING));
	ck_assert(ox_op_output_dtype_allowed(s, 1, FLOAT));
	ck_assert(!ox_op_output_dtype_allowed(s, 1, DOUBLE));

	/* ZipMap outputs a sequence of maps: only `other` can say so. */
	s = must_find("ai.onnx.ml", "ZipMap", 3);
	tc = ox_op_tc_find(s, "T");
	ck_assert(tc->tensor == 0 && tc->seq == 0);
	ck_assert_str_eq(tc->other, "seq(map(string, float)), seq(map(int64, float))");
	ck_assert(!ox_op_output_dtype_allowed(s, 0, FLOAT));

	ck_assert_int_eq(must_find("ai.onnx.ml", "LabelEncoder", 5)->since_version, 4);
	ck_assert_int_eq(must_find("ai.onnx.ml", "LabelEncoder", 3)->since_version, 2);
	ck_assert_str_eq(ox_op_attr_find(must_find("ai.onnx.ml", "LabelEncoder", 4),
					 "default_string")->s, "_Unused");
}
END_TEST

START_TEST(test_categories)
{
	static const struct { const char *op; enum ox_op_category c; } cases[] = {
		{ "Gemm", OX_OPC_LAYER }, { "MatMul", OX_OPC_LAYER }, { "LSTM", OX_OPC_LAYER },
		{ "ConvTranspose", OX_OPC_LAYER }, { "Sigmoid", OX_OPC_ACTIVATION },
		{ "Softmax", OX_OPC_ACTIVATION }, { "MaxPool", OX_OPC_POOL },
		{ "GlobalAveragePool", OX_OPC_POOL }, { "BatchNormalization", OX_OPC_NORMALIZATION },
		{ "InstanceNormalization", OX_OPC_NORMALIZATION }, { "LRN", OX_OPC_NORMALIZATION },
		{ "Dropout", OX_OPC_DROPOUT }, { "Flatten", OX_OPC_SHAPE },
		{ "Unsqueeze", OX_OPC_SHAPE }, { "Shape", OX_OPC_SHAPE }, { "Size", OX_OPC_SHAPE },
		{ "Concat", OX_OPC_TENSOR }, { "Slice", OX_OPC_TENSOR }, { "Gather", OX_OPC_TENSOR },
		{ "Pad", OX_OPC_TENSOR }, { "Expand", OX_OPC_TENSOR },
		{ "Transpose", OX_OPC_TRANSFORM }, { "Constant", OX_OPC_DATA },
		{ "QuantizeLinear", OX_OPC_QUANTIZATION }, { "QLinearConv", OX_OPC_QUANTIZATION },
		{ "MatMulInteger", OX_OPC_QUANTIZATION }, { "If", OX_OPC_CONTROL },
		{ "Scan", OX_OPC_CONTROL }, { "Equal", OX_OPC_LOGIC }, { "Add", OX_OPC_ARITHMETIC },
		{ "ReduceMax", OX_OPC_REDUCE }, { "SequenceAt", OX_OPC_SEQUENCE },
		{ "NonMaxSuppression", OX_OPC_OTHER },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(must_find("", cases[i].op, INT_MAX)->category == cases[i].c,
			      "%s", cases[i].op);
	ck_assert_str_eq(ox_op_category_name(OX_OPC_LAYER), "layer");
	ck_assert_str_eq(ox_op_category_name(OX_OPC_QUANTIZATION), "quantization");
	ck_assert_str_eq(ox_op_category_name(OX_OPC_OTHER), "other");
	ck_assert_ptr_null(ox_op_category_name(OX_OPC_COUNT));
	ck_assert_ptr_null(ox_op_category_name((enum ox_op_category)-1));
	for (i = 0; i < OX_OPC_COUNT; i++)
		ck_assert_ptr_nonnull(ox_op_category_name((enum ox_op_category)i));
}
END_TEST

static int
fake_kernel(struct ox_exec *ex, struct ox_node *node, struct ox_diag *d)
{
	(void)ex, (void)node, (void)d;
	return 0;
}

static int
fake_infer(struct ox_infer *ic, struct ox_node *node)
{
	(void)ic, (void)node;
	return 0;
}

START_TEST(test_hooks)
{
	const struct ox_op_schema *r14 = must_find("", "Relu", 14);
	const struct ox_op_schema *r13 = must_find("", "Relu", 13);
	int i;

	for (i = 0; i < ox_op_count(); i++) {
		ck_assert_ptr_null(ox_op_kernel(ox_op_at(i)));
		ck_assert_ptr_null(ox_op_infer(ox_op_at(i)));
	}
	ox_op_set_kernel(r14, fake_kernel);
	ox_op_set_infer(r14, fake_infer);
	ck_assert_ptr_eq(ox_op_kernel(r14), fake_kernel);
	ck_assert_ptr_eq(ox_op_infer(r14), fake_infer);
	ck_assert_ptr_null(ox_op_kernel(r13));
	ck_assert_ptr_null(ox_op_infer(r13));
	ox_op_set_kernel(r14, NULL);
	ck_assert_ptr_null(ox_op_kernel(r14));
}
END_TEST

static Suite *
ops_suite(void)
{
	Suite *s = suite_create("ops");
	TCase *tc = tcase_create("registry");

	tcase_add_test(tc, test_count_and_order);
	tcase_add_test(tc, test_rows_consistent);
	tcase_add_test(tc, test_reshape_versions);
	tcase_add_test(tc, test_domains);
	tcase_add_test(tc, test_conv);
	tcase_add_test(tc, test_relu_types);
	tcase_add_test(tc, test_variadic);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_newer_opsets);
	tcase_add_test(tc, test_spec_fixes);
	tcase_add_test(tc, test_deprecated);
	tcase_add_test(tc, test_ml);
	tcase_add_test(tc, test_categories);
	tcase_add_test(tc, test_hooks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ops_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

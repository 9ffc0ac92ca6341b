/* check_convert.c: opset conversion adapters give the exact structure the ONNX
 * operator definitions ask for, on small hand-built graphs. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../src/exec.h"
#include "../src/graph.h"
#include "../passes/convert/convert.h"

/* A model importing ai.onnx `opset` with one input x of float[dims]. */
static struct ox_model *
model(int opset, int elem, int rank, const int64_t *dims, struct ox_value **x)
{
	struct ox_model *m = ox_model_new();
	struct ox_opset *o;
	struct ox_type *t;
	struct ox_graph *g;

	ck_assert_ptr_nonnull(m);
	o = ox_arena_push(&m->arena, &m->opsets, &m->n_opsets, &m->cap_opsets, sizeof *o);
	o->domain = "";
	o->has_version = true;
	o->version = opset;
	m->has_ir_version = true;
	m->ir_version = 7;
	g = m->graph = ox_graph_new(m, NULL);
	*x = ox_value_new(g, "x");
	t = ox_arena_alloc(&m->arena, sizeof *t);
	t->kind = OX_TYPE_TENSOR;
	t->has_elem = true;
	t->elem = elem;
	t->rank = rank;
	t->dims = ox_arena_calloc(&m->arena, (size_t)rank + 1, sizeof *t->dims);
	for (int i = 0; i < rank; i++) {
		t->dims[i].kind = OX_DIM_VALUE;
		t->dims[i].value = dims[i];
	}
	(*x)->type = t;
	(*x)->has_info = true;
	ck_assert_int_eq(ox_graph_add_input(g, *x), 0);
	return m;
}

static struct ox_node *
unary(struct ox_model *m, const char *op, struct ox_value *x)
{
	struct ox_node *n = ox_node_new(m->graph, op, "", 1, 1);

	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(ox_node_set_input(n, 0, x), 0);
	ck_assert_int_eq(ox_graph_add_output(m->graph, n->out[0]), 0);
	return n;
}

static int
convert(struct ox_model *m, int target)
{
	struct ox_convert_opts o = { .target = target };
	struct ox_convert_report rep = { 0 };
	struct ox_diag d;
	int r;

	ox_diag_init(&d, "test");
	r = ox_convert_model(m, &o, &rep, &d);
	ck_assert_int_eq(ox_graph_verify(m->graph, &d), 0);
	ox_diag_release(&d);
	ox_convert_report_release(&rep);
	return r;
}

static const struct ox_node *
only_node(const struct ox_model *m, const char *op)
{
	const struct ox_node *found = NULL;

	for (size_t i = 0; i < m->graph->n_nodes; i++)
		if (strcmp(m->graph->nodes[i]->op_type, op) == 0) {
			ck_assert_ptr_null(found);
			found = m->graph->nodes[i];
		}
	ck_assert_ptr_nonnull(found);
	return found;
}

static size_t
count(const struct ox_model *m, const char *op)
{
	size_t n = 0;

	for (size_t i = 0; i < m->graph->n_nodes; i++)
		n += strcmp(m->graph->nodes[i]->op_type, op) == 0;
	return n;
}

START_TEST(test_squeeze_up)
{
	int64_t dims[3] = { 1, 3, 1 }, axes[2] = { 0, 2 }, v[4];
	struct ox_value *x;
	struct ox_model *m = model(11, OX_FLOAT, 3, dims, &x);
	struct ox_node *n = unary(m, "Squeeze", x);
	const struct ox_node *s;

	ck_assert_int_eq(ox_node_set_attr_ints(n, "axes", axes, 2), 0);
	ck_assert_int_eq(convert(m, 13), 0);
	ck_assert_int_eq(ox_model_opset(m, ""), 13);
	s = only_node(m, "Squeeze");
	ck_assert_ptr_null(ox_node_attr(s, "axes"));
	ck_assert_int_eq(s->n_in, 2);
	ck_assert_ptr_nonnull(s->in[1]->init);
	ck_assert_int_eq(s->in[1]->init->dtype, OX_INT64);
	ck_assert_int_eq(s->in[1]->init->ndim, 1);
	ck_assert_int_eq(ox_cv_const_ints(s->in[1], v, 4), 2);
	ck_assert(v[0] == 0 && v[1] == 2);
	ox_model_free(m);
}
END_TEST

START_TEST(test_unsqueeze_down)
{
	int64_t dims[1] = { 3 }, axes[1] = { 0 };
	struct ox_value *x;
	struct ox_model *m = model(13, OX_FLOAT, 1, dims, &x);
	struct ox_node *n = unary(m, "Unsqueeze", x);
	struct ox_convert_opts o = { .target = 11 };
	const struct ox_node *s;
	const int64_t *a;

	(void)o;
	ck_assert_int_eq(ox_node_add_input(n, NULL), 0);
	{
		struct ox_convert_report rep = { 0 };
		struct ox_cv cv = { .model = m, .graph = m->graph, .rep = &rep };
		struct ox_value *c = ox_cv_ints(&cv, axes, 1);

		ck_assert_int_eq(ox_node_set_input(n, 1, c), 0);
	}
	ck_assert_int_eq(convert(m, 11), 0);
	s = only_node(m, "Unsqueeze");
	ck_assert_int_eq(s->n_in, 1);
	ck_assert_int_eq(ox_cv_attr_ints(s, "axes", &a), 1);
	ck_assert_int_eq(a[0], 0);
	ox_model_free(m);
}
END_TEST

START_TEST(test_unsqueeze_down_refused)
{
	int64_t dims[1] = { 3 };
	struct ox_value *x, *ax;
	struct ox_model *m = model(13, OX_FLOAT, 1, dims, &x);
	struct ox_node *n = unary(m, "Unsqueeze", x);

	/* axes is a graph input: not a constant, so opset 11 cannot take it. */
	ax = ox_value_new(m->graph, "axes");
	ck_assert_int_eq(ox_graph_add_input(m->graph, ax), 0);
	ck_assert_int_eq(ox_node_add_input(n, ax), 0);
	ck_assert_int_eq(convert(m, 11), 1);
	ck_assert_int_eq(only_node(m, "Unsqueeze")->n_in, 2);
	ox_model_free(m);
}
END_TEST

START_TEST(test_reduce_mean_up18)
{
	int64_t dims[2] = { 2, 3 }, axes[1] = { 1 }, v[2];
	struct ox_value *x;
	struct ox_model *m = model(13, OX_FLOAT, 2, dims, &x);
	struct ox_node *n = unary(m, "ReduceMean", x);
	const struct ox_node *s;

	ck_assert_int_eq(ox_node_set_attr_ints(n, "axes", axes, 1), 0);
	ck_assert_int_eq(ox_node_set_attr_int(n, "keepdims", 0), 0);
	ck_assert_int_eq(convert(m, 18), 0);
	s = only_node(m, "ReduceMean");
	ck_assert_ptr_null(ox_node_attr(s, "axes"));
	ck_assert_int_eq(ox_node_attr_int(s, "keepdims", 1), 0);
	ck_assert_int_eq(ox_cv_const_ints(s->in[1], v, 2), 1);
	ck_assert_int_eq(v[0], 1);
	ox_model_free(m);
}
END_TEST

START_TEST(test_clip_up11)
{
	int64_t dims[1] = { 4 };
	double lo, hi;
	struct ox_value *x;
	struct ox_model *m = model(6, OX_FLOAT, 1, dims, &x);
	struct ox_node *n = unary(m, "Clip", x);
	const struct ox_node *s;

	ck_assert_int_eq(ox_node_set_attr_float(n, "min", -1.0f), 0);
	ck_assert_int_eq(ox_node_set_attr_float(n, "max", 2.0f), 0);
	ck_assert_int_eq(convert(m, 11), 0);
	s = only_node(m, "Clip");
	ck_assert_int_eq(s->n_attrs, 0);
	ck_assert_int_eq(s->n_in, 3);
	ck_assert_int_eq(s->in[1]->init->ndim, 0);
	ck_assert_int_eq(s->in[1]->init->dtype, OX_FLOAT);
	ck_assert_int_eq(ox_cv_const_doubles(s->in[1], &lo, 1), 1);
	ck_assert_int_eq(ox_cv_const_doubles(s->in[2], &hi, 1), 1);
	ck_assert(lo == -1.0 && hi == 2.0);
	ox_model_free(m);
}
END_TEST

START_TEST(test_gelu_down17)
{
	int64_t dims[2] = { 2, 3 };
	struct ox_value *x;
	struct ox_model *m = model(20, OX_FLOAT, 2, dims, &x);
	const char *name = unary(m, "Gelu", x)->out[0]->name;

	ck_assert_int_eq(convert(m, 17), 0);
	ck_assert_int_eq(ox_model_opset(m, ""), 17);
	ck_assert_uint_eq(count(m, "Gelu"), 0);
	ck_assert_uint_eq(count(m, "Erf"), 1);
	ck_assert_uint_eq(count(m, "Div"), 1);
	ck_assert_uint_eq(count(m, "Add"), 1);
	ck_assert_uint_eq(count(m, "Mul"), 2);
	/* The graph output keeps its name. */
	ck_assert_str_eq(m->graph->outputs[0]->name, name);
	ck_assert_str_eq(m->graph->outputs[0]->producer->op_type, "Mul");
	ox_model_free(m);
}
END_TEST

START_TEST(test_softmax_up13)
{
	int64_t dims[3] = { 2, 3, 4 };
	struct ox_value *x;
	struct ox_model *m = model(11, OX_FLOAT, 3, dims, &x);

	/* Axis 1 of a 3-D input: coerce-to-2D semantics need Flatten and Reshape. */
	unary(m, "Softmax", x);
	ck_assert_int_eq(convert(m, 13), 0);
	ck_assert_uint_eq(count(m, "Flatten"), 1);
	ck_assert_uint_eq(count(m, "Shape"), 1);
	ck_assert_uint_eq(count(m, "Reshape"), 1);
	ck_assert_int_eq(ox_node_attr_int(only_node(m, "Flatten"), "axis", -9), 1);
	ck_assert_str_eq(m->graph->outputs[0]->producer->op_type, "Reshape");
	ox_model_free(m);
}
END_TEST

START_TEST(test_softmax_up13_last_axis)
{
	int64_t dims[2] = { 2, 3 };
	struct ox_value *x;
	struct ox_model *m = model(11, OX_FLOAT, 2, dims, &x);

	unary(m, "Softmax", x);
	ck_assert_int_eq(convert(m, 13), 0);
	ck_assert_uint_eq(m->graph->n_nodes, 1);
	ck_assert_int_eq(ox_node_attr_int(only_node(m, "Softmax"), "axis", 0), -1);
	ox_model_free(m);
}
END_TEST

START_TEST(test_softmax_down_transposed)
{
	int64_t dims[3] = { 2, 3, 4 };
	struct ox_value *x;
	struct ox_model *m = model(13, OX_FLOAT, 3, dims, &x);
	struct ox_node *n = unary(m, "Softmax", x);

	/* Axis 1 of 3 is not the last: Softmax-11 would flatten; swap it last instead. */
	ck_assert_int_eq(ox_node_set_attr_int(n, "axis", 1), 0);
	ck_assert_int_eq(convert(m, 11), 0);
	ck_assert_uint_eq(count(m, "Transpose"), 2);
	ck_assert_int_eq(ox_node_attr_int(only_node(m, "Softmax"), "axis", 0), -1);
	ck_assert_str_eq(m->graph->outputs[0]->producer->op_type, "Transpose");
	ox_model_free(m);
}
END_TEST

START_TEST(test_softmax_down_refused)
{
	int64_t dims[1] = { 0 };
	struct ox_value *x;
	struct ox_model *m = model(13, OX_FLOAT, 1, dims, &x);
	struct ox_node *n = unary(m, "Softmax", x);

	/* Rank unknown and axis not -1: nothing to say at opset 11. */
	x->type->rank = -1;
	ck_assert_int_eq(ox_node_set_attr_int(n, "axis", 1), 0);
	ck_assert_int_eq(convert(m, 11), 1);
	ck_assert_int_eq(ox_node_attr_int(only_node(m, "Softmax"), "axis", 0), 1);
	ox_model_free(m);
}
END_TEST

START_TEST(test_upsample_to_resize)
{
	int64_t dims[4] = { 1, 1, 2, 2 };
	float sc[4] = { 1, 1, 2, 3 };
	struct ox_value *x;
	struct ox_model *m = model(7, OX_FLOAT, 4, dims, &x);
	struct ox_node *n = unary(m, "Upsample", x);
	const struct ox_node *s;

	ck_assert_int_eq(ox_node_set_attr_floats(n, "scales", sc, 4), 0);
	ck_assert_int_eq(convert(m, 13), 0);
	s = only_node(m, "Resize");
	ck_assert_int_eq(s->n_in, 3);
	ck_assert_int_eq(s->in[1]->init->nelem, 0);
	ck_assert_int_eq(s->in[2]->init->nelem, 4);
	ck_assert(ox_cv_attr_str_is(s, "coordinate_transformation_mode", "asymmetric", false));
	ck_assert(ox_cv_attr_str_is(s, "nearest_mode", "floor", false));
	ox_model_free(m);
}
END_TEST

START_TEST(test_layernorm_down)
{
	int64_t dims[2] = { 2, 3 };
	struct ox_value *x, *s;
	struct ox_model *m = model(17, OX_FLOAT, 2, dims, &x);
	struct ox_node *n = unary(m, "LayerNormalization", x);
	struct ox_convert_report rep = { 0 };
	struct ox_cv cv = { .model = m, .graph = m->graph, .rep = &rep };
	double one[3] = { 1, 1, 1 };

	s = ox_cv_scalars(&cv, OX_FLOAT, one, 3, false);
	ck_assert_int_eq(ox_node_add_input(n, s), 0);
	ck_assert_int_eq(convert(m, 13), 0);
	ck_assert_uint_eq(count(m, "LayerNormalization"), 0);
	ck_assert_uint_eq(count(m, "ReduceMean"), 2);
	ck_assert_uint_eq(count(m, "Sqrt"), 1);
	ox_model_free(m);
}
END_TEST

START_TEST(test_type_set_reported)
{
	int64_t dims[1] = { 4 };
	struct ox_value *x;
	/* Relu-14 takes int32; Relu-6 (opset 13) does not. */
	struct ox_model *m = model(14, OX_INT32, 1, dims, &x);

	unary(m, "Relu", x);
	ck_assert_int_eq(convert(m, 13), 1);
	ox_model_free(m);
}
END_TEST

START_TEST(test_unknown_boundary_refused)
{
	int64_t dims[1] = { 4 };
	struct ox_value *x;
	struct ox_model *m = model(17, OX_FLOAT, 1, dims, &x);

	/* Mish exists from opset 18 only; the model is invalid, the node is reported. */
	unary(m, "Mish", x);
	ck_assert_int_eq(convert(m, 18), 1);
	ox_model_free(m);
}
END_TEST

/* --- adapters checked by running the model before and after --- */

/* Run m on x (borrowed); the first output, which the caller frees. */
static struct ox_tensor *
run1(struct ox_model *m, struct ox_tensor *x)
{
	struct ox_tensor *outs[4] = { NULL };
	struct ox_diag d;
	int r;

	ox_diag_init(&d, "run");
	r = ox_exec_run(m, &x, 1, outs, &d);
	if (r < 0)
		ox_diag_print(&d, "run");
	ox_diag_release(&d);
	ck_assert_int_eq(r, 0);
	for (size_t i = 1; i < m->graph->n_outputs; i++)
		ox_xtensor_free(outs[i]);
	return outs[0];
}

static void
assert_same(const struct ox_tensor *a, const struct ox_tensor *b)
{
	ck_assert_int_eq(a->dtype, b->dtype);
	ck_assert_int_eq(a->ndim, b->ndim);
	for (int i = 0; i < a->ndim; i++)
		ck_assert_int_eq(a->dims[i], b->dims[i]);
	ck_assert_uint_eq(a->nbytes, b->nbytes);
	ck_assert_int_eq(memcmp(a->data, b->data, a->nbytes), 0);
}

/* x filled with 0.5 i - 1.25 (float). */
static struct ox_tensor *
ramp(int rank, const int64_t *dims)
{
	struct ox_tensor *x = ox_xtensor_new(OX_FLOAT, rank, dims);

	for (int64_t i = 0; i < x->nelem; i++)
		((float *)x->data)[i] = 0.5f * (float)i - 1.25f;
	return x;
}

static void
set_graph_attr(struct ox_node *n, const char *name, struct ox_graph *g)
{
	struct ox_attr *a = ox_arena_calloc(&n->graph->model->arena, n->n_attrs + 1, sizeof *a);

	if (n->n_attrs)
		memcpy(a, n->attrs, n->n_attrs * sizeof *a);
	a[n->n_attrs].name = name;
	a[n->n_attrs].has_type = true;
	a[n->n_attrs].type = OX_ATTR_GRAPH;
	a[n->n_attrs].g = g;
	n->attrs = a;
	n->n_attrs++;
	g->owner = n;
}

/* Scan-8 over a batch of one (a running sum over x[0, t, :], backwards) goes to 9
 * (no batch axis, no sequence_lens) and back, computing the same all along. */
START_TEST(test_scan_8_9_8)
{
	int64_t dims[3] = { 1, 3, 2 }, sdims[2] = { 1, 2 }, back = 1;
	struct ox_value *x, *s0, *bs, *bx;
	struct ox_model *m = model(8, OX_FLOAT, 3, dims, &x);
	struct ox_graph *g = m->graph, *body = ox_graph_new(m, g);
	struct ox_node *scan = ox_node_new(g, "Scan", "", 3, 2), *add, *id;
	struct ox_convert_report rep = { 0 };
	struct ox_cv cv = { .model = m, .graph = g, .rep = &rep };
	struct ox_tensor *in = ramp(3, dims), *before, *after;
	double zeros[2] = { 0, 0 };
	const int64_t *v;

	s0 = ox_cv_scalars(&cv, OX_FLOAT, zeros, 2, false);
	s0->init->ndim = 2;
	memcpy(s0->init->dims, sdims, sizeof sdims);
	bs = ox_value_new(body, "s_in");
	bx = ox_value_new(body, "x_in");
	ck_assert_int_eq(ox_graph_add_input(body, bs), 0);
	ck_assert_int_eq(ox_graph_add_input(body, bx), 0);
	add = ox_node_new(body, "Add", "", 2, 1);
	ox_node_set_input(add, 0, bs);
	ox_node_set_input(add, 1, bx);
	id = ox_node_new(body, "Identity", "", 1, 1);
	ox_node_set_input(id, 0, add->out[0]);
	ck_assert_int_eq(ox_graph_add_output(body, add->out[0]), 0);
	ck_assert_int_eq(ox_graph_add_output(body, id->out[0]), 0);
	ox_node_set_input(scan, 1, s0);
	ox_node_set_input(scan, 2, x);
	ck_assert_int_eq(ox_node_set_attr_int(scan, "num_scan_inputs", 1), 0);
	ck_assert_int_eq(ox_node_set_attr_ints(scan, "directions", &back, 1), 0);
	set_graph_attr(scan, "body", body);
	ck_assert_int_eq(ox_graph_add_output(g, scan->out[1]), 0);
	ck_assert_int_eq(ox_graph_add_output(g, scan->out[0]), 0);
	before = run1(m, in);
	/* By hand: x = -1.25, -0.75 | -0.25, 0.25 | 0.75, 1.25 read backwards, the running
	 * sums appended in iteration order: 0.75, 1.25 | 0.5, 1.5 | -0.75, 0.75. */
	ck_assert_float_eq(((float *)before->data)[0], 0.75f);
	ck_assert_float_eq(((float *)before->data)[3], 1.5f);
	ck_assert_float_eq(((float *)before->data)[4], -0.75f);

	ck_assert_int_eq(convert(m, 9), 0);
	ck_assert_int_eq(scan->n_in, 2);
	ck_assert_str_eq(scan->in[0]->producer->op_type, "Squeeze");
	ck_assert_ptr_null(ox_node_attr(scan, "directions"));
	ck_assert_int_eq(ox_cv_attr_ints(scan, "scan_input_directions", &v), 1);
	ck_assert_int_eq(v[0], 1);
	ck_assert_uint_eq(count(m, "Unsqueeze"), 2);
	after = run1(m, in);
	assert_same(before, after);
	ox_xtensor_free(after);

	ck_assert_int_eq(convert(m, 8), 0);
	ck_assert_int_eq(scan->n_in, 3);
	ck_assert_ptr_null(scan->in[0]);
	ck_assert_int_eq(ox_cv_attr_ints(scan, "directions", &v), 1);
	ck_assert_ptr_null(ox_node_attr(scan, "scan_input_directions"));
	after = run1(m, in);
	assert_same(before, after);
	ox_xtensor_free(after);
	ox_xtensor_free(before);
	ox_xtensor_free(in);
	ox_model_free(m);
}
END_TEST

/* Resize-11's tf_half_pixel_for_nn is gone at 13: for mode nearest it becomes
 * half_pixel with the rounding shifted by a half, same outputs; other cases refuse. */
START_TEST(test_resize_tf_half_pixel_up13)
{
	static const char *const nearest[] = { NULL, "floor", "ceil" };
	static const double scales[2][4] = { { 1, 1, 3, 2 }, { 1, 1, 0.5, 0.75 } };

	for (int k = 0; k < 3; k++)
		for (int sc = 0; sc < 2; sc++) {
			int64_t dims[4] = { 1, 1, 4, 4 };
			struct ox_value *x;
			struct ox_model *m = model(11, OX_FLOAT, 4, dims, &x);
			struct ox_node *n = ox_node_new(m->graph, "Resize", "", 3, 1);
			struct ox_convert_report rep = { 0 };
			struct ox_cv cv = { .model = m, .graph = m->graph, .rep = &rep };
			struct ox_tensor *in = ramp(4, dims), *before, *after;

			ox_node_set_input(n, 0, x);
			ox_node_set_input(n, 1, ox_cv_scalars(&cv, OX_FLOAT, NULL, 0, false));
			ox_node_set_input(n, 2, ox_cv_scalars(&cv, OX_FLOAT, scales[sc], 4, false));
			ck_assert_int_eq(ox_node_set_attr_string(n, "coordinate_transformation_mode",
								 "tf_half_pixel_for_nn"), 0);
			if (nearest[k])
				ck_assert_int_eq(ox_node_set_attr_string(n, "nearest_mode", nearest[k]), 0);
			ck_assert_int_eq(ox_graph_add_output(m->graph, n->out[0]), 0);
			before = run1(m, in);
			if (k == 2) {
				ck_assert_int_gt(convert(m, 13), 0); /* ceil has no equivalent */
			} else {
				ck_assert_int_eq(convert(m, 13), 0);
				ck_assert(ox_cv_attr_str_is(n, "coordinate_transformation_mode", "half_pixel", false));
				ck_assert(ox_cv_attr_str_is(n, "nearest_mode", k == 0 ? "ceil" : "round_prefer_ceil",
							    false));
				after = run1(m, in);
				assert_same(before, after);
				ox_xtensor_free(after);
			}
			ox_xtensor_free(before);
			ox_xtensor_free(in);
			ox_convert_report_release(&rep);
			ox_model_free(m);
		}
}
END_TEST

/* Scan-8 over a batch of two has no Scan-9 form. */
START_TEST(test_scan_up9_refused)
{
	int64_t dims[3] = { 2, 3, 2 };
	struct ox_value *x;
	struct ox_model *m = model(8, OX_FLOAT, 3, dims, &x);
	struct ox_node *scan = ox_node_new(m->graph, "Scan", "", 2, 1);

	ox_node_set_input(scan, 1, x);
	ck_assert_int_eq(ox_node_set_attr_int(scan, "num_scan_inputs", 1), 0);
	set_graph_attr(scan, "body", ox_graph_new(m, m->graph));
	ck_assert_int_eq(ox_graph_add_output(m->graph, scan->out[0]), 0);
	ck_assert_int_eq(convert(m, 9), 1);
	ck_assert_int_eq(scan->n_in, 2);
	ck_assert_ptr_nonnull(ox_node_attr(scan, "num_scan_inputs"));
	ox_model_free(m);
}
END_TEST

/* DFT-17's axis attribute becomes input 2 at 20 and back; the spectrum is the same. */
START_TEST(test_dft_17_20_17)
{
	int64_t dims[4] = { 1, 2, 4, 1 }, axis;
	struct ox_value *x;
	struct ox_model *m = model(17, OX_FLOAT, 4, dims, &x);
	struct ox_node *dft = unary(m, "DFT", x);
	struct ox_tensor *in = ramp(4, dims), *before, *after;

	ck_assert_int_eq(ox_node_set_attr_int(dft, "axis", 2), 0);
	before = run1(m, in);
	/* bin 0 of the first row is the sum of -1.25, -0.75, -0.25, 0.25 */
	ck_assert_float_eq_tol(((float *)before->data)[0], -2.0f, 1e-6);
	ck_assert_int_eq(convert(m, 20), 0);
	ck_assert_ptr_null(ox_node_attr(dft, "axis"));
	ck_assert_int_eq(dft->n_in, 3);
	ck_assert_ptr_null(dft->in[1]);
	ck_assert_int_eq(ox_cv_const_ints(dft->in[2], &axis, 1), 1);
	ck_assert_int_eq(axis, 2);
	after = run1(m, in);
	assert_same(before, after);
	ox_xtensor_free(after);
	/* -2 from the back of rank 4 is axis 2 at 17 */
	*(int64_t *)dft->in[2]->init->data = -2;
	ck_assert_int_eq(convert(m, 17), 0);
	ck_assert_int_eq(dft->n_in, 1);
	ck_assert_int_eq(ox_node_attr_int(dft, "axis", -1), 2);
	after = run1(m, in);
	assert_same(before, after);
	ox_xtensor_free(after);
	ox_xtensor_free(before);
	ox_xtensor_free(in);
	ox_model_free(m);
}
END_TEST

/* A DFT-20 axis computed at run time has no attribute form. */
START_TEST(test_dft_down_refused)
{
	int64_t dims[3] = { 1, 4, 2 };
	struct ox_value *x, *ax;
	struct ox_model *m = model(20, OX_FLOAT, 3, dims, &x);
	struct ox_node *dft = unary(m, "DFT", x);

	ax = ox_value_new(m->graph, "axis");
	ck_assert_int_eq(ox_graph_add_input(m->graph, ax), 0);
	ck_assert_int_eq(ox_cv_set_input(dft, 2, ax), 0);
	ck_assert_int_eq(convert(m, 17), 1);
	ck_assert_ptr_eq(dft->in[2], ax);
	ox_model_free(m);
}
END_TEST

/* QuantizeLinear-21 with output_dtype int8 and no zero point: at 13 an int8 zero
 * point says the same. Values by hand: round-half-even(x / 2), saturated. */
START_TEST(test_quantize_output_dtype_down)
{
	int64_t dims[1] = { 4 };
	struct ox_value *x;
	struct ox_model *m = model(21, OX_FLOAT, 1, dims, &x);
	struct ox_node *q = unary(m, "QuantizeLinear", x);
	struct ox_convert_report rep = { 0 };
	struct ox_cv cv = { .model = m, .graph = m->graph, .rep = &rep };
	static const float xs[4] = { 1.0f, -2.6f, 300, 5 };
	static const int8_t want[4] = { 0, -1, 127, 2 };
	struct ox_tensor *in = ox_xtensor_new(OX_FLOAT, 1, dims), *out;

	memcpy(in->data, xs, sizeof xs);
	ck_assert_int_eq(ox_node_add_input(q, ox_cv_scalar(&cv, OX_FLOAT, 2)), 0);
	ck_assert_int_eq(ox_node_set_attr_int(q, "output_dtype", OX_INT8), 0);
	ck_assert_int_eq(convert(m, 13), 0);
	ck_assert_ptr_null(ox_node_attr(q, "output_dtype"));
	ck_assert_int_eq(q->n_in, 3);
	ck_assert_int_eq(ox_cv_elem(q->in[2]), OX_INT8);
	ck_assert_int_eq(q->in[2]->init->ndim, 0);
	out = run1(m, in);
	ck_assert_int_eq(out->dtype, OX_INT8);
	ck_assert_int_eq(memcmp(out->data, want, sizeof want), 0);
	ox_xtensor_free(out);
	ox_xtensor_free(in);
	ox_model_free(m);
}
END_TEST

/* Blocked quantization and a DequantizeLinear output_dtype other than the scale's
 * have no older form; output_dtype equal to the scale's type is dropped. */
START_TEST(test_quantize_refusals)
{
	int64_t dims[2] = { 2, 4 };
	struct ox_value *x;
	struct ox_model *m = model(21, OX_FLOAT, 2, dims, &x);
	struct ox_node *q = unary(m, "QuantizeLinear", x);
	struct ox_convert_report rep = { 0 };
	struct ox_cv cv = { .model = m, .graph = m->graph, .rep = &rep };
	double sc[4] = { 1, 2, 3, 4 };

	ck_assert_int_eq(ox_node_add_input(q, ox_cv_scalars(&cv, OX_FLOAT, sc, 2, false)), 0);
	ck_assert_int_eq(ox_node_set_attr_int(q, "block_size", 2), 0);
	ck_assert_int_eq(convert(m, 19), 1);
	ck_assert_int_eq(ox_node_attr_int(q, "block_size", 0), 2);
	ox_model_free(m);

	m = model(23, OX_INT8, 2, dims, &x);
	q = unary(m, "DequantizeLinear", x);
	cv.model = m;
	cv.graph = m->graph;
	ck_assert_int_eq(ox_node_add_input(q, ox_cv_scalar(&cv, OX_FLOAT, 0.5)), 0);
	ck_assert_int_eq(ox_node_set_attr_int(q, "output_dtype", OX_FLOAT16), 0);
	ck_assert_int_eq(convert(m, 21), 1);
	ox_model_free(m);

	m = model(23, OX_INT8, 2, dims, &x);
	q = unary(m, "DequantizeLinear", x);
	cv.model = m;
	cv.graph = m->graph;
	ck_assert_int_eq(ox_node_add_input(q, ox_cv_scalar(&cv, OX_FLOAT, 0.5)), 0);
	ck_assert_int_eq(ox_node_set_attr_int(q, "output_dtype", OX_FLOAT), 0);
	ck_assert_int_eq(convert(m, 13), 0);
	ck_assert_ptr_null(ox_node_attr(q, "output_dtype"));
	ox_model_free(m);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("convert");
	TCase *tc = tcase_create("adapters");

	tcase_add_test(tc, test_squeeze_up);
	tcase_add_test(tc, test_unsqueeze_down);
	tcase_add_test(tc, test_unsqueeze_down_refused);
	tcase_add_test(tc, test_reduce_mean_up18);
	tcase_add_test(tc, test_clip_up11);
	tcase_add_test(tc, test_gelu_down17);
	tcase_add_test(tc, test_softmax_up13);
	tcase_add_test(tc, test_softmax_up13_last_axis);
	tcase_add_test(tc, test_softmax_down_transposed);
	tcase_add_test(tc, test_softmax_down_refused);
	tcase_add_test(tc, test_upsample_to_resize);
	tcase_add_test(tc, test_layernorm_down);
	tcase_add_test(tc, test_type_set_reported);
	tcase_add_test(tc, test_unknown_boundary_refused);
	tcase_add_test(tc, test_scan_8_9_8);
	tcase_add_test(tc, test_scan_up9_refused);
	tcase_add_test(tc, test_dft_17_20_17);
	tcase_add_test(tc, test_dft_down_refused);
	tcase_add_test(tc, test_quantize_output_dtype_down);
	tcase_add_test(tc, test_quantize_refusals);
	tcase_add_test(tc, test_resize_tf_half_pixel_up13);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

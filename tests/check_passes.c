/* check_passes.c: the optimization passes and their manager (passes/pass.h).
 *
 * Small graphs built by hand check each rewrite exactly (which nodes remain, the
 * names graph outputs keep, the constants computed), and where numbers change (weight
 * fusions, folding) the executor runs the graph before and after on the same seeded
 * inputs. Every run verifies the IR after every pass. The last tests push every model
 * of the ONNX backend suite and of the repository through the default pipeline: the
 * IR must stay valid and the graph's interface (input and output names, dtypes,
 * shapes) unchanged.
 */
#include "config.h"

#include <check.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/exec.h"
#include "../src/graph.h"
#include "../src/onnx_io.h"
#include "../passes/pass.h"

/* --- building graphs --- */

static struct ox_model *
model_new(int64_t opset)
{
	struct ox_model *m = ox_model_new();
	struct ox_opset *o;

	ck_assert_ptr_nonnull(m);
	o = ox_arena_push(&m->arena, &m->opsets, &m->n_opsets, &m->cap_opsets, sizeof *o);
	ck_assert_ptr_nonnull(o);
	o->domain = "";
	o->has_version = true;
	o->version = opset;
	m->has_ir_version = true;
	m->ir_version = 8;
	m->graph = ox_graph_new(m, NULL);
	return m;
}

static struct ox_type *
ttype(struct ox_model *m, int dtype, int rank, const int64_t *dims)
{
	struct ox_type *t = ox_arena_calloc(&m->arena, 1, sizeof *t);

	t->kind = OX_TYPE_TENSOR;
	t->has_elem = true;
	t->elem = dtype;
	t->rank = rank;
	t->dims = ox_arena_calloc(&m->arena, (size_t)rank + 1, sizeof *t->dims);
	for (int i = 0; i < rank; i++) {
		t->dims[i].kind = OX_DIM_VALUE;
		t->dims[i].value = dims[i];
	}
	return t;
}

static struct ox_value *
input(struct ox_graph *g, const char *name, int rank, const int64_t *dims)
{
	struct ox_value *v = ox_value_new(g, name);

	ck_assert_int_eq(ox_graph_add_input(g, v), 0);
	v->has_info = true;
	v->type = ttype(g->model, OX_FLOAT, rank, dims);
	return v;
}

static struct ox_value *
init_f(struct ox_graph *g, const char *name, int ndim, const int64_t *dims, const float *vals)
{
	struct ox_tensor *t = ox_tensor_new(&g->model->arena, OX_FLOAT, ndim, dims);
	struct ox_value *v = ox_value_new(g, name);

	ck_assert_ptr_nonnull(t);
	memcpy(t->data, vals, t->nbytes);
	t->name = v->name;
	ck_assert_int_eq(ox_graph_add_init(g, v, t), 0);
	return v;
}

static struct ox_value *
init_i(struct ox_graph *g, const char *name, int n, const int64_t *vals)
{
	int64_t dim = n;
	struct ox_tensor *t = ox_tensor_new(&g->model->arena, OX_INT64, 1, &dim);
	struct ox_value *v = ox_value_new(g, name);

	memcpy(t->data, vals, t->nbytes);
	t->name = v->name;
	ck_assert_int_eq(ox_graph_add_init(g, v, t), 0);
	return v;
}

/* A node of op reading the n given values, with one output. */
static struct ox_node *
node(struct ox_graph *g, const char *op, int n, ...)
{
	struct ox_node *nd = ox_node_new(g, op, "", n, 1);
	va_list ap;

	ck_assert_ptr_nonnull(nd);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(ox_node_set_input(nd, i, va_arg(ap, struct ox_value *)), 0);
	va_end(ap);
	return nd;
}

static void
output(struct ox_graph *g, struct ox_value *v, const char *name, int rank, const int64_t *dims)
{
	struct ox_strmap *names = &g->names;

	ox_strmap_del(names, v->name);
	v->name = name;
	ck_assert_int_eq(ox_strmap_put(names, name, v), 0);
	v->has_info = true;
	v->type = ttype(g->model, OX_FLOAT, rank, dims);
	ck_assert_int_eq(ox_graph_add_output(g, v), 0);
}

static void
set_ints(struct ox_node *nd, const char *name, int n, const int64_t *v)
{
	ck_assert_int_eq(ox_node_set_attr_ints(nd, name, v, (size_t)n), 0);
}

/* Run passes (verifying after each) and return the rewrite count. */
static long
run(struct ox_model *m, const char *passes)
{
	struct ox_pipeline_opts o = { passes, NULL, false, 0, 0, true, false, NULL, NULL };
	struct ox_pipeline_report rep;
	struct ox_diag d;
	long total = 0;

	ox_diag_init(&d, "test");
	ck_assert_int_eq(ox_pipeline_run(m, &o, &rep, &d), 0);
	ck_assert_uint_eq(d.n_errors, 0);
	ck_assert_int_eq(ox_graph_verify(m->graph, &d), 0);
	for (size_t i = 0; i < rep.n_passes; i++)
		total += rep.passes[i].rewrites;
	ox_pipeline_report_release(&rep);
	ox_diag_release(&d);
	return total;
}

static size_t
count_op(const struct ox_graph *g, const char *op)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_nodes; i++)
		if (!g->nodes[i]->dead && strcmp(g->nodes[i]->op_type, op) == 0)
			n++;
	return n;
}

/* --- running graphs --- */

static uint64_t seed;

static double
rnd(void)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(seed >> 11) / (double)(1ull << 53);
}

/* Seeded inputs for the fed inputs of g: floats in [-1, 1), integers 0 or 1, symbolic
 * dims 2. NULL when an input is not a plain tensor. */
static struct ox_tensor **
make_inputs(const struct ox_graph *g, size_t *n)
{
	struct ox_tensor **ins = calloc(g->n_inputs + 1, sizeof *ins);
	size_t k = 0;

	seed = 42;
	for (size_t i = 0; i < g->n_inputs; i++) {
		const struct ox_value *v = g->inputs[i];
		const struct ox_type *t = v->type;
		int64_t dims[OX_MAX_RANK];
		struct ox_tensor *x;

		if (v->init)
			continue;
		if (!t || t->kind != OX_TYPE_TENSOR || t->rank < 0 || !t->has_elem)
			goto fail;
		for (int j = 0; j < t->rank; j++)
			dims[j] = t->dims[j].kind == OX_DIM_VALUE ? t->dims[j].value : 2;
		if (!(x = ox_xtensor_new(t->elem, t->rank, dims)))
			goto fail;
		ins[k++] = x;
		for (int64_t e = 0; e < x->nelem; e++) {
			if (x->dtype == OX_FLOAT)
				((float *)x->data)[e] = (float)(2 * rnd() - 1);
			else if (x->dtype == OX_DOUBLE)
				((double *)x->data)[e] = 2 * rnd() - 1;
			else if (x->dtype == OX_INT64)
				((int64_t *)x->data)[e] = rnd() < 0.5;
			else if (x->dtype == OX_INT32)
				((int32_t *)x->data)[e] = rnd() < 0.5;
			else if (x->dtype != OX_BOOL)
				goto fail;
		}
	}
	*n = k;
	return ins;
fail:
	for (size_t i = 0; i < k; i++)
		ox_xtensor_free(ins[i]);
	free(ins);
	return NULL;
}

/* Run m on seeded inputs; the outputs (heap tensors) or NULL when it cannot run. */
static struct ox_tensor **
run_model(struct ox_model *m)
{
	struct ox_tensor **ins, **outs;
	struct ox_diag d;
	size_t n;
	int r;

	if (!(ins = make_inputs(m->graph, &n)))
		return NULL;
	outs = calloc(m->graph->n_outputs + 1, sizeof *outs);
	ox_diag_init(&d, "run");
	r = ox_exec_run(m, ins, n, outs, &d);
	ox_diag_release(&d);
	for (size_t i = 0; i < n; i++)
		ox_xtensor_free(ins[i]);
	free(ins);
	if (r < 0) {
		free(outs);
		return NULL;
	}
	return outs;
}

/* Largest |a - b| relative to the largest |a| (at least 1), over every output. */
static double
compare(struct ox_tensor **a, struct ox_tensor **b, size_t n)
{
	double worst = 0;

	for (size_t i = 0; i < n; i++) {
		double scale = 1, err = 0;

		ck_assert_int_eq(a[i]->dtype, b[i]->dtype);
		ck_assert_int_eq(a[i]->ndim, b[i]->ndim);
		ck_assert_int_eq(a[i]->nelem, b[i]->nelem);
		if (a[i]->dtype != OX_FLOAT && a[i]->dtype != OX_DOUBLE) {
			ck_assert_int_eq(memcmp(a[i]->data, b[i]->data, a[i]->nbytes), 0);
			continue;
		}
		for (int64_t e = 0; e < a[i]->nelem; e++) {
			double x = a[i]->dtype == OX_FLOAT ? ((float *)a[i]->data)[e] : ((double *)a[i]->data)[e];
			double y = b[i]->dtype == OX_FLOAT ? ((float *)b[i]->data)[e] : ((double *)b[i]->data)[e];

			scale = fmax(scale, fabs(x));
			err = fmax(err, fabs(x - y));
		}
		worst = fmax(worst, err / scale);
	}
	return worst;
}

static void
free_outputs(struct ox_tensor **t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		ox_xtensor_free(t[i]);
	free(t);
}

/* Optimize m with passes; the outputs before and after must agree within tol. */
static void
check_same(struct ox_model *m, const char *passes, double tol)
{
	size_t n = m->graph->n_outputs;
	struct ox_tensor **before = run_model(m), **after;

	ck_assert_ptr_nonnull(before);
	run(m, passes);
	after = run_model(m);
	ck_assert_ptr_nonnull(after);
	ck_assert_double_le(compare(before, after, n), tol);
	free_outputs(before, n);
	free_outputs(after, n);
}

/* --- the passes, one by one --- */

START_TEST(test_identity)
{
	int64_t d[1] = { 4 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 1, d);
	struct ox_node *relu = node(g, "Relu", 1, x);
	struct ox_node *id1 = node(g, "Identity", 1, relu->out[0]);
	struct ox_node *neg = node(g, "Neg", 1, id1->out[0]);
	struct ox_node *id2 = node(g, "Identity", 1, neg->out[0]);
	struct ox_node *id3 = node(g, "Identity", 1, x);

	output(g, id2->out[0], "y", 1, d);
	/* An output fed straight from an input needs its Identity. */
	output(g, id3->out[0], "x_copy", 1, d);
	ck_assert_int_eq(run(m, "eliminate_identity"), 2);
	ck_assert_uint_eq(g->n_nodes, 3);
	ck_assert_ptr_eq(neg->in[0], relu->out[0]);
	ck_assert_str_eq(g->outputs[0]->name, "y");
	ck_assert_ptr_eq(g->outputs[0]->producer, neg);
	ck_assert_str_eq(g->outputs[1]->name, "x_copy");
	ck_assert_ptr_eq(g->outputs[1]->producer, id3);
	ox_model_free(m);
}
END_TEST

START_TEST(test_deadend_and_unused_init)
{
	int64_t d[1] = { 4 };
	float w[4] = { 1, 2, 3, 4 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 1, d);
	struct ox_value *c = init_f(g, "c", 1, d, w);
	struct ox_node *add = node(g, "Add", 2, x, c);
	struct ox_node *dead = node(g, "Exp", 1, add->out[0]);
	struct ox_node *neg = node(g, "Neg", 1, x);

	(void)dead;
	output(g, neg->out[0], "y", 1, d);
	ck_assert_int_eq(run(m, "eliminate_deadend"), 2);
	ck_assert_uint_eq(g->n_nodes, 1);
	ck_assert_uint_eq(g->n_inits, 1);
	ck_assert_int_eq(run(m, "eliminate_unused_initializer"), 1);
	ck_assert_uint_eq(g->n_inits, 0);
	ck_assert_ptr_null(ox_graph_lookup(g, "c"));
	ox_model_free(m);
}
END_TEST

START_TEST(test_transposes_fuse_then_vanish)
{
	int64_t d[3] = { 2, 3, 4 }, p1[3] = { 1, 0, 2 }, p2[3] = { 2, 0, 1 };
	int64_t dout[3] = { 4, 3, 2 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 3, d);
	struct ox_node *r = node(g, "Relu", 1, x);
	struct ox_node *t1 = node(g, "Transpose", 1, r->out[0]);
	struct ox_node *t2 = node(g, "Transpose", 1, t1->out[0]);
	struct ox_node *t3 = node(g, "Transpose", 1, x);
	struct ox_node *t4 = node(g, "Transpose", 1, t3->out[0]);

	set_ints(t1, "perm", 3, p1);
	set_ints(t2, "perm", 3, p2);
	set_ints(t3, "perm", 3, p1);
	set_ints(t4, "perm", 3, p1);
	output(g, t2->out[0], "y", 3, dout);
	output(g, t4->out[0], "z", 3, d);
	check_same(m, "fuse_consecutive_transposes", 0);
	/* y = x^(2,0,1)∘(1,0,2): perm p1[p2[i]] = (2, 1, 0); z's pair cancels but z is fed
	 * by the input x, so the composed identity Transpose stays to give z its name. */
	ck_assert_uint_eq(count_op(g, "Transpose"), 2);
	ck_assert_ptr_eq(g->outputs[0]->producer->in[0], r->out[0]);
	{
		const int64_t *p;

		ck_assert_int_eq(ox_pass_attr_ints(g->outputs[0]->producer, "perm", &p), 3);
		ck_assert_int_eq(p[0], 2);
		ck_assert_int_eq(p[1], 1);
		ck_assert_int_eq(p[2], 0);
	}
	run(m, "default");
	ck_assert_uint_eq(count_op(g, "Transpose"), 2);
	ck_assert_str_eq(g->outputs[1]->name, "z");
	ox_model_free(m);
}
END_TEST

START_TEST(test_bn_into_conv)
{
	int64_t dx[4] = { 1, 2, 5, 5 }, dw[4] = { 3, 2, 3, 3 }, dc[1] = { 3 }, dy[4] = { 1, 3, 3, 3 };
	float w[54], b[3] = { 0.5f, -1, 2 }, sc[3] = { 1.5f, 0.5f, -2 }, bi[3] = { 0.1f, 0.2f, 0.3f };
	float mean[3] = { 0.3f, -0.2f, 1 }, var[3] = { 0.5f, 2, 0.25f };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 4, dx);
	struct ox_node *conv, *bn;

	for (int i = 0; i < 54; i++)
		w[i] = (float)((i * 7 % 11) - 5) / 5;
	conv = node(g, "Conv", 3, x, init_f(g, "W", 4, dw, w), init_f(g, "B", 1, dc, b));
	bn = node(g, "BatchNormalization", 5, conv->out[0], init_f(g, "s", 1, dc, sc),
		  init_f(g, "bias", 1, dc, bi), init_f(g, "mean", 1, dc, mean), init_f(g, "var", 1, dc, var));
	output(g, bn->out[0], "y", 4, dy);
	check_same(m, "default", 1e-5);
	ck_assert_uint_eq(g->n_nodes, 1);
	ck_assert_ptr_eq(g->outputs[0]->producer->op_type, conv->op_type);
	ck_assert_str_eq(g->outputs[0]->name, "y");
	/* The old weights and BN parameters are gone; new W and B remain. */
	ck_assert_uint_eq(g->n_inits, 2);
	ox_model_free(m);
}
END_TEST

START_TEST(test_bn_shared_conv_output_untouched)
{
	int64_t dx[4] = { 1, 1, 3, 3 }, dw[4] = { 1, 1, 1, 1 }, dc[1] = { 1 };
	float one = 1, two = 2;
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 4, dx);
	struct ox_node *conv = node(g, "Conv", 2, x, init_f(g, "W", 4, dw, &two));
	struct ox_node *bn = node(g, "BatchNormalization", 5, conv->out[0], init_f(g, "s", 1, dc, &two),
				  init_f(g, "b", 1, dc, &one), init_f(g, "m", 1, dc, &one),
				  init_f(g, "v", 1, dc, &one));

	output(g, bn->out[0], "y", 4, dx);
	/* The conv's result is also an output: changing its weights would change it. */
	output(g, conv->out[0], "c", 4, dx);
	ck_assert_int_eq(run(m, "fuse_bn_into_conv"), 0);
	ck_assert_uint_eq(g->n_nodes, 2);
	ox_model_free(m);
}
END_TEST

START_TEST(test_add_and_mul_into_conv)
{
	int64_t dx[4] = { 1, 2, 4, 4 }, dw[4] = { 2, 2, 1, 1 }, dc[3] = { 2, 1, 1 }, d1[1] = { 1 };
	float w[4] = { 1, -2, 0.5f, 3 }, c[2] = { 10, -10 }, s = 0.25f;
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 4, dx);
	struct ox_node *conv = node(g, "Conv", 2, x, init_f(g, "W", 4, dw, w));
	struct ox_node *add = node(g, "Add", 2, conv->out[0], init_f(g, "c", 3, dc, c));
	struct ox_node *mul = node(g, "Mul", 2, init_f(g, "s", 1, d1, &s), add->out[0]);
	struct ox_node *conv2 = node(g, "Conv", 2, mul->out[0], init_f(g, "W2", 4, dw, w));

	output(g, conv2->out[0], "y", 4, dx);
	check_same(m, "fuse_add_bias_into_conv,fuse_mul_into_conv", 1e-6);
	ck_assert_uint_eq(g->n_nodes, 2);
	ck_assert_int_eq(conv->n_in, 3);
	ox_model_free(m);
}
END_TEST

START_TEST(test_fold_constants)
{
	int64_t d[1] = { 3 };
	float a[3] = { 1, 2, 3 }, b[3] = { 10, 20, 30 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 1, d);
	struct ox_node *add = node(g, "Add", 2, init_f(g, "a", 1, d, a), init_f(g, "b", 1, d, b));
	struct ox_node *sq = node(g, "Sqrt", 1, add->out[0]);
	struct ox_node *mul = node(g, "Mul", 2, x, sq->out[0]);
	struct ox_value *k;

	output(g, mul->out[0], "y", 1, d);
	run(m, "default");
	ck_assert_uint_eq(g->n_nodes, 1);
	ck_assert_ptr_eq(g->nodes[0], mul);
	k = mul->in[1];
	ck_assert_ptr_nonnull(k->init);
	ck_assert_uint_eq(g->n_inits, 1);
	ck_assert_float_eq_tol(((float *)k->init->data)[0], sqrtf(11), 1e-6);
	ck_assert_float_eq_tol(((float *)k->init->data)[2], sqrtf(33), 1e-6);
	ox_model_free(m);
}
END_TEST

START_TEST(test_fold_size_limit)
{
	int64_t shape[2] = { 1000, 1000 }, d[2] = { 1000, 1000 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 2, d);
	struct ox_node *cos = node(g, "ConstantOfShape", 1, init_i(g, "shape", 2, shape));
	struct ox_node *add = node(g, "Add", 2, x, cos->out[0]);

	output(g, add->out[0], "y", 2, d);
	run(m, "fold_constants");
	/* 4 MB from 16 bytes: over the 1 MiB default, so it stays. */
	ck_assert_uint_eq(count_op(g, "ConstantOfShape"), 1);
	ox_model_free(m);
}
END_TEST

START_TEST(test_shape_ops)
{
	int64_t d[3] = { 2, 3, 4 }, idx[1] = { 1 }, dout[2] = { 2, 12 };
	int64_t s[2] = { 0, 1 }, e[2] = { 1, 1 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 3, d);
	struct ox_node *shape = node(g, "Shape", 1, x);
	struct ox_node *gather = node(g, "Gather", 2, shape->out[0], init_i(g, "i", 1, idx));
	struct ox_node *sl = node(g, "Slice", 3, shape->out[0], init_i(g, "s", 1, s), init_i(g, "e", 1, e));
	struct ox_node *cat = node(g, "Concat", 0), *rs;

	ox_node_add_input(cat, sl->out[0]);
	ox_node_add_input(cat, init_i(g, "m1", 1, (int64_t[]){ -1 }));
	ox_node_set_attr_int(cat, "axis", 0);
	rs = node(g, "Reshape", 2, x, cat->out[0]);
	(void)gather;
	output(g, rs->out[0], "y", 2, dout);
	check_same(m, "default", 0);
	ck_assert_uint_eq(g->n_nodes, 1);
	ck_assert_ptr_eq(g->nodes[0], rs);
	ck_assert_int_eq(((int64_t *)rs->in[1]->init->data)[0], 2);
	ck_assert_int_eq(((int64_t *)rs->in[1]->init->data)[1], -1);
	ox_model_free(m);
}
END_TEST

START_TEST(test_squeezes_by_opset)
{
	for (int pass = 0; pass < 2; pass++) {
		int64_t opset = pass ? 13 : 11;
		int64_t d[4] = { 1, 3, 1, 4 }, a0[1] = { 0 }, a1[1] = { 1 }, dout[2] = { 3, 4 };
		int64_t du[4] = { 3, 1, 4, 1 }, u0[1] = { 1 }, u1[1] = { -1 };
		struct ox_model *m = model_new(opset);
		struct ox_graph *g = m->graph;
		struct ox_value *x = input(g, "x", 4, d);
		struct ox_node *s1, *s2, *q1, *q2;
		const int64_t *p;
		int64_t axes[4];

		if (opset < 13) {
			s1 = node(g, "Squeeze", 1, x);
			s2 = node(g, "Squeeze", 1, s1->out[0]);
			set_ints(s1, "axes", 1, a0);
			set_ints(s2, "axes", 1, a1);
		} else {
			s1 = node(g, "Squeeze", 2, x, init_i(g, "a0", 1, a0));
			s2 = node(g, "Squeeze", 2, s1->out[0], init_i(g, "a1", 1, a1));
		}
		if (opset < 13) {
			q1 = node(g, "Unsqueeze", 1, s2->out[0]);
			q2 = node(g, "Unsqueeze", 1, q1->out[0]);
			set_ints(q1, "axes", 1, u0);
			set_ints(q2, "axes", 1, u1);
		} else {
			q1 = node(g, "Unsqueeze", 2, s2->out[0], init_i(g, "u0", 1, u0));
			q2 = node(g, "Unsqueeze", 2, q1->out[0], init_i(g, "u1", 1, u1));
		}
		output(g, q2->out[0], "y", 4, du);
		(void)dout;
		check_same(m, "fuse_consecutive_squeezes,fuse_consecutive_unsqueezes", 0);
		ck_assert_uint_eq(count_op(g, "Squeeze"), 1);
		ck_assert_uint_eq(count_op(g, "Unsqueeze"), 1);
		if (opset < 13) {
			ck_assert_int_eq(ox_pass_attr_ints(s2, "axes", &p), 2);
			ck_assert_int_eq(p[0], 0);
			ck_assert_int_eq(p[1], 2);
			ck_assert_int_eq(ox_pass_attr_ints(q2, "axes", &p), 2);
			ck_assert_int_eq(p[0], 1);
			ck_assert_int_eq(p[1], 3);
		} else {
			ck_assert_int_eq(ox_pass_const_ints(s2->in[1], axes, 4), 2);
			ck_assert_int_eq(axes[0], 0);
			ck_assert_int_eq(axes[1], 2);
			ck_assert_int_eq(ox_pass_const_ints(q2->in[1], axes, 4), 2);
			ck_assert_int_eq(axes[0], 1);
			ck_assert_int_eq(axes[1], 3);
		}
		ox_model_free(m);
	}
}
END_TEST

START_TEST(test_cse_and_idempotent)
{
	int64_t d[1] = { 5 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 1, d);
	struct ox_node *r1 = node(g, "Relu", 1, x), *r2 = node(g, "Relu", 1, x);
	struct ox_node *r3 = node(g, "Relu", 1, r2->out[0]);
	struct ox_node *add = node(g, "Add", 2, r1->out[0], r3->out[0]);

	output(g, add->out[0], "y", 1, d);
	check_same(m, "eliminate_common_subexpression,eliminate_consecutive_idempotent_ops,eliminate_deadend", 0);
	ck_assert_uint_eq(g->n_nodes, 2);
	ck_assert_ptr_eq(add->in[0], add->in[1]);
	ox_model_free(m);
}
END_TEST

START_TEST(test_nops)
{
	int64_t d[2] = { 2, 3 }, shape[2] = { 2, -1 }, zero[4] = { 0, 0, 0, 0 };
	int64_t st[1] = { 0 }, en[1] = { INT64_MAX }, ax[1] = { 1 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 2, d);
	struct ox_node *r = node(g, "Relu", 1, x);
	struct ox_node *rs = node(g, "Reshape", 2, r->out[0], init_i(g, "shape", 2, shape));
	struct ox_node *pad = node(g, "Pad", 2, rs->out[0], init_i(g, "pads", 4, zero));
	struct ox_node *sl = node(g, "Slice", 4, pad->out[0], init_i(g, "st", 1, st), init_i(g, "en", 1, en),
				  init_i(g, "ax", 1, ax));
	struct ox_node *cat = node(g, "Concat", 1, sl->out[0]);
	struct ox_node *fl = node(g, "Flatten", 1, cat->out[0]);
	struct ox_node *ca = node(g, "Cast", 1, fl->out[0]);
	struct ox_node *dr = node(g, "Dropout", 1, ca->out[0]);
	struct ox_node *ex = node(g, "Expand", 2, dr->out[0], init_i(g, "es", 1, (int64_t[]){ 3 }));
	struct ox_node *tr = node(g, "Transpose", 1, ex->out[0]);
	struct ox_node *neg = node(g, "Neg", 1, tr->out[0]);

	ox_node_set_attr_int(cat, "axis", 0);
	ox_node_set_attr_int(ca, "to", OX_FLOAT);
	set_ints(tr, "perm", 2, (int64_t[]){ 0, 1 });
	output(g, neg->out[0], "y", 2, d);
	check_same(m, "default", 0);
	ck_assert_uint_eq(g->n_nodes, 2);
	ck_assert_ptr_eq(neg->in[0], r->out[0]);
	ck_assert_uint_eq(g->n_inits, 0);
	ox_model_free(m);
}
END_TEST

START_TEST(test_matmul_add_to_gemm_and_transpose)
{
	int64_t da[2] = { 3, 4 }, dbt[2] = { 5, 4 }, dc[1] = { 5 }, dy[2] = { 3, 5 };
	float b[20], c[5] = { 1, 2, 3, 4, 5 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *a = input(g, "a", 2, da);
	struct ox_node *t, *mm, *add;

	for (int i = 0; i < 20; i++)
		b[i] = (float)i / 10;
	t = node(g, "Transpose", 1, init_f(g, "bt", 2, dbt, b));
	set_ints(t, "perm", 2, (int64_t[]){ 1, 0 });
	mm = node(g, "MatMul", 2, a, t->out[0]);
	add = node(g, "Add", 2, init_f(g, "c", 1, dc, c), mm->out[0]);
	output(g, add->out[0], "y", 2, dy);
	check_same(m, "fuse_matmul_add_bias_into_gemm,fuse_transpose_into_gemm,eliminate_deadend", 1e-6);
	ck_assert_uint_eq(g->n_nodes, 1);
	ck_assert_str_eq(g->nodes[0]->op_type, "Gemm");
	ck_assert_int_eq(ox_node_attr_int(g->nodes[0], "transB", 0), 1);
	ck_assert_str_eq(g->outputs[0]->name, "y");
	ox_model_free(m);
}
END_TEST

START_TEST(test_pad_into_conv_and_pool)
{
	int64_t dx[4] = { 1, 1, 4, 4 }, dw[4] = { 1, 1, 3, 3 }, dy[4] = { 1, 1, 5, 5 };
	int64_t pads[8] = { 0, 0, 1, 2, 0, 0, 1, 0 };
	float w[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 4, dx);
	struct ox_node *pad = node(g, "Pad", 2, x, init_i(g, "pads", 8, pads));
	struct ox_node *conv = node(g, "Conv", 2, pad->out[0], init_f(g, "W", 4, dw, w));
	struct ox_node *pad2 = node(g, "Pad", 2, conv->out[0], init_i(g, "pads2", 8, pads));
	struct ox_node *pool = node(g, "AveragePool", 1, pad2->out[0]);
	const int64_t *p;

	set_ints(conv, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
	set_ints(pool, "kernel_shape", 2, (int64_t[]){ 2, 2 });
	/* (4+2+2-3+1) = 6 x (4+2+2-3+1)... rows: 4+1+1+2-2 = 6? keep it simple: */
	output(g, pool->out[0], "y", 4, dy);
	g->outputs[0]->type->rank = -1;
	check_same(m, "fuse_pad_into_conv,fuse_pad_into_pool", 1e-6);
	ck_assert_uint_eq(count_op(g, "Pad"), 0);
	ck_assert_int_eq(ox_pass_attr_ints(conv, "pads", &p), 4);
	ck_assert_int_eq(p[0], 2);
	ck_assert_int_eq(p[1], 3);
	ck_assert_int_eq(p[2], 2);
	ck_assert_int_eq(p[3], 1);
	ck_assert_int_eq(ox_node_attr_int(pool, "count_include_pad", 0), 1);
	ox_model_free(m);
}
END_TEST

START_TEST(test_layer_norm_and_gelu)
{
	int64_t d[2] = { 3, 8 }, dg[1] = { 8 }, ax[1] = { -1 };
	float gam[8], bet[8], two = 2, eps = 1e-5f, half = 0.5f, one = 1, sq2 = 1.4142135f;
	struct ox_model *m = model_new(20);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 2, d), *axes = init_i(g, "axes", 1, ax);
	struct ox_node *rm1, *sub, *pw, *rm2, *ad, *sq, *dv, *mu, *ab, *di, *er, *a1, *m1, *m2;

	for (int i = 0; i < 8; i++) {
		gam[i] = 1 + (float)i / 8;
		bet[i] = (float)i / 4 - 1;
	}
	rm1 = node(g, "ReduceMean", 2, x, axes);
	sub = node(g, "Sub", 2, x, rm1->out[0]);
	pw = node(g, "Pow", 2, sub->out[0], init_f(g, "two", 0, NULL, &two));
	rm2 = node(g, "ReduceMean", 2, pw->out[0], axes);
	ad = node(g, "Add", 2, rm2->out[0], init_f(g, "eps", 0, NULL, &eps));
	sq = node(g, "Sqrt", 1, ad->out[0]);
	dv = node(g, "Div", 2, sub->out[0], sq->out[0]);
	mu = node(g, "Mul", 2, dv->out[0], init_f(g, "gamma", 1, dg, gam));
	ab = node(g, "Add", 2, mu->out[0], init_f(g, "beta", 1, dg, bet));
	di = node(g, "Div", 2, ab->out[0], init_f(g, "sqrt2", 0, NULL, &sq2));
	er = node(g, "Erf", 1, di->out[0]);
	a1 = node(g, "Add", 2, er->out[0], init_f(g, "one", 0, NULL, &one));
	m1 = node(g, "Mul", 2, ab->out[0], a1->out[0]);
	m2 = node(g, "Mul", 2, m1->out[0], init_f(g, "half", 0, NULL, &half));
	output(g, m2->out[0], "y", 2, d);
	check_same(m, "fuse_layer_norm", 1e-5);
	ck_assert_uint_eq(g->n_nodes, 6);
	/* The executor has no Gelu kernel yet: the Gelu rewrite is checked by shape. */
	ck_assert_int_eq(run(m, "fuse_gelu,eliminate_unused_initializer"), 1 + 6);
	ck_assert_uint_eq(g->n_nodes, 2);
	ck_assert_uint_eq(g->n_inits, 2);
	ck_assert_uint_eq(count_op(g, "LayerNormalization"), 1);
	ck_assert_uint_eq(count_op(g, "Gelu"), 1);
	ck_assert_str_eq(g->outputs[0]->name, "y");
	ox_model_free(m);
}
END_TEST

START_TEST(test_layer_norm_needs_opset_17)
{
	int64_t d[2] = { 3, 8 }, ax[1] = { -1 };
	float two = 2, eps = 1e-5f;
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 2, d);
	struct ox_node *rm1 = node(g, "ReduceMean", 1, x), *sub, *pw, *rm2, *ad, *sq, *dv;

	set_ints(rm1, "axes", 1, ax);
	sub = node(g, "Sub", 2, x, rm1->out[0]);
	pw = node(g, "Pow", 2, sub->out[0], init_f(g, "two", 0, NULL, &two));
	rm2 = node(g, "ReduceMean", 1, pw->out[0]);
	set_ints(rm2, "axes", 1, ax);
	ad = node(g, "Add", 2, rm2->out[0], init_f(g, "eps", 0, NULL, &eps));
	sq = node(g, "Sqrt", 1, ad->out[0]);
	dv = node(g, "Div", 2, sub->out[0], sq->out[0]);
	output(g, dv->out[0], "y", 2, d);
	ck_assert_int_eq(run(m, "fuse_layer_norm"), 0);
	ck_assert_uint_eq(g->n_nodes, 7);
	/* The same graph at opset 17 fuses, with a scale of ones made for it. */
	m->opsets[0].version = 17;
	check_same(m, "fuse_layer_norm,eliminate_unused_initializer", 1e-5);
	ck_assert_uint_eq(g->n_nodes, 1);
	ck_assert_str_eq(g->nodes[0]->op_type, "LayerNormalization");
	ck_assert_str_eq(g->outputs[0]->name, "y");
	ck_assert_uint_eq(g->n_inits, 1);
	ck_assert_float_eq(((float *)g->nodes[0]->in[1]->init->data)[7], 1.0f);
	ox_model_free(m);
}
END_TEST

START_TEST(test_custom_domain_untouched)
{
	int64_t d[1] = { 4 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = input(g, "x", 1, d);
	struct ox_node *c1 = ox_node_new(g, "Identity", "com.example", 1, 1);
	struct ox_node *c2 = ox_node_new(g, "Relu", "com.example", 1, 1);
	struct ox_node *neg;

	ox_node_set_input(c1, 0, x);
	ox_node_set_input(c2, 0, x);
	neg = node(g, "Neg", 1, c1->out[0]);
	output(g, neg->out[0], "y", 1, d);
	run(m, "default");
	/* The unread custom node stays too: its effects are unknown. */
	ck_assert_uint_eq(g->n_nodes, 3);
	ox_model_free(m);
}
END_TEST

START_TEST(test_subgraph)
{
	int64_t d[1] = { 4 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph, *then_g, *else_g;
	struct ox_value *x = input(g, "x", 1, d), *cond = ox_value_new(g, "cond");
	struct ox_node *iff = ox_node_new(g, "If", "", 1, 1), *id, *neg;
	struct ox_attr *attrs = ox_arena_calloc(&m->arena, 2, sizeof *attrs);

	ck_assert_int_eq(ox_graph_add_input(g, cond), 0);
	cond->type = ttype(m, OX_BOOL, 0, NULL);
	ox_node_set_input(iff, 0, cond);
	then_g = ox_graph_new(m, g);
	else_g = ox_graph_new(m, g);
	then_g->owner = else_g->owner = iff;
	id = node(then_g, "Identity", 1, x);
	neg = node(then_g, "Neg", 1, id->out[0]);
	ox_graph_add_output(then_g, neg->out[0]);
	neg = node(else_g, "Relu", 1, x);
	ox_graph_add_output(else_g, neg->out[0]);
	attrs[0].name = "then_branch";
	attrs[0].has_type = true;
	attrs[0].type = OX_ATTR_GRAPH;
	attrs[0].g = then_g;
	attrs[1] = attrs[0];
	attrs[1].name = "else_branch";
	attrs[1].g = else_g;
	iff->attrs = attrs;
	iff->n_attrs = 2;
	output(g, iff->out[0], "y", 1, d);
	ck_assert_uint_eq(ox_graph_count_nodes(g, true), 4);
	ck_assert_int_eq(run(m, "eliminate_identity"), 1);
	ck_assert_uint_eq(ox_graph_count_nodes(g, true), 3);
	ck_assert_ptr_eq(then_g->nodes[0]->in[0], x);
	ox_model_free(m);
}
END_TEST

/* ox_exec_node runs one node alone: Gelu-20 both ways, against values computed by
 * hand from the definition (x Phi(x); 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))). */
START_TEST(test_exec_node_gelu)
{
	static const float xs[5] = { -2, -0.5f, 0, 1, 3 };
	static const double exact[5] = { -0.0455002639, -0.1542687694, 0, 0.8413447461, 2.9959503059 };
	static const double approx[5] = { -0.0454023059, -0.1542859902, 0, 0.8411919906, 2.9963626079 };
	int64_t d[1] = { 5 };
	struct ox_model *m = model_new(20);
	struct ox_graph *g = m->graph;
	struct ox_node *gelu = node(g, "Gelu", 1, input(g, "x", 1, d));
	struct ox_tensor *x = ox_xtensor_new(OX_FLOAT, 1, d), *out = NULL;
	const struct ox_tensor *ins[1] = { x };
	struct ox_diag dg;

	memcpy(x->data, xs, sizeof xs);
	ox_diag_init(&dg, "exec");
	ck_assert_int_eq(ox_exec_node(m, gelu, ins, &out, &dg), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_double_eq_tol(((float *)out->data)[i], exact[i], 1e-6);
	ox_xtensor_free(out);
	ck_assert_int_eq(ox_node_set_attr_string(gelu, "approximate", "tanh"), 0);
	ck_assert_int_eq(ox_exec_node(m, gelu, ins, &out, &dg), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_double_eq_tol(((float *)out->data)[i], approx[i], 1e-6);
	ox_xtensor_free(out);
	ck_assert_int_eq(ox_node_set_attr_string(gelu, "approximate", "cubic"), 0);
	ck_assert_int_lt(ox_exec_node(m, gelu, ins, &out, &dg), 0);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(dg.n_errors, 1);
	ox_diag_release(&dg);
	ox_xtensor_free(x);
	ox_model_free(m);
}
END_TEST

/* An If of n branches' outputs: then_g and else_g become its branches. */
static struct ox_node *
if_node(struct ox_graph *g, struct ox_value *cond, struct ox_graph *then_g, struct ox_graph *else_g,
	int n_out)
{
	struct ox_model *m = g->model;
	struct ox_node *iff = ox_node_new(g, "If", "", 1, n_out);
	struct ox_attr *attrs = ox_arena_calloc(&m->arena, 2, sizeof *attrs);

	ck_assert_int_eq(ox_node_set_input(iff, 0, cond), 0);
	then_g->owner = else_g->owner = iff;
	attrs[0].name = "then_branch";
	attrs[0].has_type = true;
	attrs[0].type = OX_ATTR_GRAPH;
	attrs[0].g = then_g;
	attrs[1] = attrs[0];
	attrs[1].name = "else_branch";
	attrs[1].g = else_g;
	iff->attrs = attrs;
	iff->n_attrs = 2;
	iff->name = "cond_if";
	return iff;
}

/* The condition folds to true: the then branch moves up, its initializer and node
 * names made unique, its read of the outer x kept, its output renamed to y. */
START_TEST(test_fold_if_constant_condition)
{
	int64_t d[1] = { 4 }, one = 1;
	float t[4] = { 1, 2, 3, 4 }, s[1] = { 3 }, a[1] = { 2 }, b[1] = { 1 };
	float xin[4] = { 0.5f, -1, 2, -3 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph, *then_g = ox_graph_new(m, g), *else_g = ox_graph_new(m, g);
	struct ox_value *x = input(g, "x", 1, d), *sv = init_f(g, "s", 1, &one, s);
	struct ox_node *gt = node(g, "Greater", 2, init_f(g, "a", 1, &one, a), init_f(g, "b", 1, &one, b));
	struct ox_node *clash = node(g, "Relu", 1, x), *add, *mul, *iff, *tail;
	struct ox_value *bt = init_f(then_g, "t", 1, d, t);
	struct ox_tensor *in, *out[2] = { NULL, NULL };
	struct ox_diag dg;

	(void)init_f(g, "t", 1, &one, s); /* the branch's "t" must not take this name */
	gt->out[0]->type = ttype(m, OX_BOOL, 1, &one);
	clash->name = "add";
	add = node(then_g, "Add", 2, x, bt);
	add->name = "add";
	mul = node(then_g, "Mul", 2, add->out[0], sv);
	ck_assert_int_eq(ox_graph_add_output(then_g, mul->out[0]), 0);
	ck_assert_int_eq(ox_graph_add_output(else_g, node(else_g, "Neg", 1, x)->out[0]), 0);
	iff = if_node(g, gt->out[0], then_g, else_g, 1);
	tail = node(g, "Add", 2, iff->out[0], clash->out[0]);
	output(g, iff->out[0], "y", 1, d);
	output(g, tail->out[0], "z", 1, d);
	check_same(m, "fold_constants", 0);
	ck_assert_uint_eq(count_op(g, "If"), 0);
	ck_assert_uint_eq(count_op(g, "Greater"), 0);
	ck_assert_uint_eq(ox_graph_count_nodes(g, true), 4);
	/* y is now made by the moved Mul, which reads the outer initializer s. */
	ck_assert_ptr_nonnull(g->outputs[0]->producer);
	ck_assert_str_eq(g->outputs[0]->producer->op_type, "Mul");
	ck_assert_str_eq(g->outputs[0]->name, "y");
	ck_assert_ptr_eq(g->outputs[0]->producer->in[1], sv);
	add = g->outputs[0]->producer->in[0]->producer;
	ck_assert_str_eq(add->op_type, "Add");
	ck_assert_ptr_eq(add->in[0], x);
	ck_assert_str_eq(add->name, "cond_if/add");
	ck_assert_str_ne(add->in[1]->name, "t");
	ck_assert_ptr_nonnull(add->in[1]->init);
	ck_assert_float_eq(((float *)add->in[1]->init->data)[3], 4);
	/* Hand-computed: y = (x + t) * 3, z = y + relu(x). */
	ck_assert_ptr_nonnull(in = ox_xtensor_new(OX_FLOAT, 1, d));
	memcpy(in->data, xin, sizeof xin);
	ox_diag_init(&dg, "run");
	ck_assert_int_eq(ox_exec_run(m, &in, 1, out, &dg), 0);
	for (int i = 0; i < 4; i++) {
		ck_assert_float_eq_tol(((float *)out[0]->data)[i], (xin[i] + t[i]) * 3, 1e-6);
		ck_assert_float_eq_tol(((float *)out[1]->data)[i],
				       (xin[i] + t[i]) * 3 + (xin[i] > 0 ? xin[i] : 0), 1e-6);
	}
	ox_diag_release(&dg);
	ox_xtensor_free(in);
	ox_xtensor_free(out[0]);
	ox_xtensor_free(out[1]);
	ox_model_free(m);
}
END_TEST

/* The condition is false and the else branch returns an outer value as is: the If
 * output, a graph output, stays by its name through an Identity. A condition that
 * is not constant keeps the If. */
START_TEST(test_fold_if_else_outer_output)
{
	int64_t d[1] = { 2 }, one = 1;
	float a[1] = { 0 }, b[1] = { 1 };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph, *then_g = ox_graph_new(m, g), *else_g = ox_graph_new(m, g);
	struct ox_graph *then2 = ox_graph_new(m, g), *else2 = ox_graph_new(m, g);
	struct ox_value *x = input(g, "x", 1, d), *c = ox_value_new(g, "c");
	struct ox_node *gt = node(g, "Greater", 2, init_f(g, "a", 1, &one, a), init_f(g, "b", 1, &one, b));
	struct ox_node *iff, *iff2;

	ck_assert_int_eq(ox_graph_add_input(g, c), 0);
	c->type = ttype(m, OX_BOOL, 0, NULL);
	ck_assert_int_eq(ox_graph_add_output(then_g, node(then_g, "Neg", 1, x)->out[0]), 0);
	ck_assert_int_eq(ox_graph_add_output(else_g, x), 0);
	iff = if_node(g, gt->out[0], then_g, else_g, 1);
	output(g, iff->out[0], "y", 1, d);
	ck_assert_int_eq(ox_graph_add_output(then2, node(then2, "Neg", 1, x)->out[0]), 0);
	ck_assert_int_eq(ox_graph_add_output(else2, node(else2, "Abs", 1, x)->out[0]), 0);
	iff2 = if_node(g, c, then2, else2, 1);
	iff2->name = "dynamic_if";
	output(g, iff2->out[0], "w", 1, d);
	run(m, "fold_constants");
	ck_assert_uint_eq(count_op(g, "If"), 1);
	ck_assert_str_eq(g->outputs[0]->name, "y");
	ck_assert_str_eq(g->outputs[0]->producer->op_type, "Identity");
	ck_assert_ptr_eq(g->outputs[0]->producer->in[0], x);
	/* x is read by the Identity and by the remaining If's branches only. */
	ck_assert_uint_eq(x->n_uses, 3);
	ox_model_free(m);
}
END_TEST

START_TEST(test_parse)
{
	const struct ox_pass_info **list;
	struct ox_diag d;
	size_t n, all;

	ox_pass_list(&all);
	ox_diag_init(&d, "test");
	ck_assert_int_eq(ox_pipeline_parse("default", NULL, &list, &n, &d), 0);
	ck_assert_uint_eq(n, all);
	ck_assert_str_eq(list[n - 1]->name, "fold_constants");
	free(list);
	ck_assert_int_eq(ox_pipeline_parse("default", "fold_constants,fuse_gelu", &list, &n, &d), 0);
	ck_assert_uint_eq(n, all - 2);
	free(list);
	ck_assert_int_eq(ox_pipeline_parse("none", NULL, &list, &n, &d), 0);
	ck_assert_uint_eq(n, 0);
	free(list);
	ck_assert_int_eq(ox_pipeline_parse("eliminate_identity,fold_constants", NULL, &list, &n, &d), 0);
	ck_assert_uint_eq(n, 2);
	free(list);
	ck_assert_int_lt(ox_pipeline_parse("eliminate_identity,no_such", NULL, &list, &n, &d), 0);
	ck_assert_int_lt(ox_pipeline_parse("default", "nope", &list, &n, &d), 0);
	ck_assert_uint_eq(d.n_errors, 2);
	ox_diag_release(&d);
}
END_TEST

/* --- whole models --- */

struct iface {
	size_t n;
	char **names;
	char **types;
};

static void
type_text(const struct ox_type *t, char *buf, size_t len)
{
	size_t k;

	if (!t || t->kind != OX_TYPE_TENSOR) {
		snprintf(buf, len, "%p", (const void *)t);
		return;
	}
	k = (size_t)snprintf(buf, len, "%d:%d[", t->has_elem ? t->elem : -1, t->rank);
	for (int i = 0; i < t->rank && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%lld,", t->dims[i].param ? t->dims[i].param : "",
				      t->dims[i].kind == OX_DIM_VALUE ? (long long)t->dims[i].value : -1LL);
}

static void
iface_get(const struct ox_graph *g, struct iface *f)
{
	char buf[4096];

	f->n = g->n_inputs + g->n_outputs;
	f->names = calloc(f->n + 1, sizeof *f->names);
	f->types = calloc(f->n + 1, sizeof *f->types);
	for (size_t i = 0; i < f->n; i++) {
		const struct ox_value *v = i < g->n_inputs ? g->inputs[i] : g->outputs[i - g->n_inputs];

		f->names[i] = strdup(v->name);
		type_text(v->type, buf, sizeof buf);
		f->types[i] = strdup(buf);
	}
}

static void
iface_release(struct iface *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->names[i]);
		free(f->types[i]);
	}
	free(f->names);
	free(f->types);
}

/* Load path, run the default pipeline with verification, check the interface; when
 * runnable, the outputs before and after agree. Returns false when it did not load. */
static bool
check_model(const char *path, bool compare_outputs)
{
	struct ox_pipeline_opts o = { "default", NULL, false, 0, 0, true, false, NULL, NULL };
	struct ox_tensor **before = NULL, **after;
	struct ox_pipeline_report rep;
	struct iface a, b;
	struct ox_model *m;
	char *dir;
	struct ox_diag d;
	uint8_t *buf;
	size_t len;
	int r;

	ox_diag_init(&d, path);
	if (ox_model_load(path, &m, &d) < 0 || !m->graph) {
		ox_diag_release(&d);
		ox_model_free(m);
		return false;
	}
	if (ox_graph_verify(m->graph, &d) < 0) {
		/* A model broken on arrival is not the optimizer's test. */
		ox_diag_release(&d);
		ox_model_free(m);
		return false;
	}
	iface_get(m->graph, &a);
	if (compare_outputs)
		before = run_model(m);
	r = ox_pipeline_run(m, &o, &rep, &d);
	if (r < 0 || d.n_errors) {
		ox_diag_print(&d, path);
		ck_abort_msg("%s: the default pipeline failed", path);
	}
	/* A pipeline that still rewrites at its bound is chasing its own tail. */
	ck_assert_msg(rep.iterations < OX_MAX_ITERATIONS_DEFAULT, "%s: no fixed point", path);
	ox_pipeline_report_release(&rep);
	iface_get(m->graph, &b);
	ck_assert_uint_eq(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		ck_assert_msg(strcmp(a.names[i], b.names[i]) == 0, "%s: interface name %s became %s", path,
			      a.names[i], b.names[i]);
		ck_assert_msg(strcmp(a.types[i], b.types[i]) == 0, "%s: type of %s changed", path, a.names[i]);
	}
	ck_assert_msg(ox_graph_is_sorted(m->graph), "%s: not sorted", path);
	/* What the passes made must serialize and read back valid. */
	ck_assert_int_eq(ox_model_save_buffer(m, &buf, &len, &d), 0);
	if (before) {
		after = run_model(m);
		ck_assert_msg(after != NULL, "%s: the optimized model no longer runs", path);
		ck_assert_msg(compare(before, after, m->graph->n_outputs) < 1e-4, "%s: outputs differ", path);
		free_outputs(after, m->graph->n_outputs);
		free_outputs(before, m->graph->n_outputs);
	}
	dir = strdup(m->dir ? m->dir : ".");
	ox_model_free(m);
	ck_assert_msg(ox_model_load_buffer(buf, len, dir, &m, &d) == 0, "%s: does not read back", path);
	free(dir);
	ck_assert_int_eq(ox_graph_verify(m->graph, &d), 0);
	free(buf);
	ox_model_free(m);
	iface_release(&a);
	iface_release(&b);
	ox_diag_release(&d);
	return true;
}

START_TEST(test_backend_suite)
{
	glob_t gl;
	size_t loaded = 0;

	if (glob("/usr/share/libonnx-testdata/data/*/*/model.onnx", 0, NULL, &gl) != 0) {
		fprintf(stderr, "check_passes: no backend suite found, skipped\n");
		return;
	}
	for (size_t i = 0; i < gl.gl_pathc; i++)
		loaded += check_model(gl.gl_pathv[i], false);
	/* The suite holds over a thousand models; nearly all must have been checked. */
	ck_assert_uint_gt(loaded, gl.gl_pathc * 9 / 10);
	globfree(&gl);
}
END_TEST

START_TEST(test_repo_models)
{
	const char *srcdir = getenv("srcdir");
	const char *pat[] = { "examples/*.onnx", "tests/models/*.onnx" };
	char p[4096];
	size_t loaded = 0;

	for (size_t k = 0; k < 2; k++) {
		glob_t gl;

		snprintf(p, sizeof p, "%s/%s", srcdir ? srcdir : ".", pat[k]);
		if (glob(p, 0, NULL, &gl) != 0)
			continue;
		for (size_t i = 0; i < gl.gl_pathc; i++)
			loaded += check_model(gl.gl_pathv[i], true);
		globfree(&gl);
	}
	ck_assert_uint_ge(loaded, 8);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("passes");
	TCase *tc = tcase_create("passes"), *tm = tcase_create("models");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_identity);
	tcase_add_test(tc, test_deadend_and_unused_init);
	tcase_add_test(tc, test_transposes_fuse_then_vanish);
	tcase_add_test(tc, test_bn_into_conv);
	tcase_add_test(tc, test_bn_shared_conv_output_untouched);
	tcase_add_test(tc, test_add_and_mul_into_conv);
	tcase_add_test(tc, test_fold_constants);
	tcase_add_test(tc, test_exec_node_gelu);
	tcase_add_test(tc, test_fold_if_constant_condition);
	tcase_add_test(tc, test_fold_if_else_outer_output);
	tcase_add_test(tc, test_fold_size_limit);
	tcase_add_test(tc, test_shape_ops);
	tcase_add_test(tc, test_squeezes_by_opset);
	tcase_add_test(tc, test_cse_and_idempotent);
	tcase_add_test(tc, test_nops);
	tcase_add_test(tc, test_matmul_add_to_gemm_and_transpose);
	tcase_add_test(tc, test_pad_into_conv_and_pool);
	tcase_add_test(tc, test_layer_norm_and_gelu);
	tcase_add_test(tc, test_layer_norm_needs_opset_17);
	tcase_add_test(tc, test_custom_domain_untouched);
	tcase_add_test(tc, test_subgraph);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tm, test_repo_models);
	tcase_add_test(tm, test_backend_suite);
	tcase_set_timeout(tm, 600);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tm);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/* check_shape.c: shape inference on small graphs built by hand. Every expected
 * shape below is worked out from the formulas in the ONNX operator documents (the
 * arithmetic is in the comments), not taken from the code under test. */
#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "shape.h"

#define P (-100) /* in a dims list: the symbol "N" */

static struct ox_model *
model(int opset)
{
	struct ox_model *m = ox_model_new();
	struct ox_opset *o;

	ck_assert_ptr_nonnull(m);
	o = ox_arena_push(&m->arena, &m->opsets, &m->n_opsets, &m->cap_opsets, sizeof *m->opsets);
	o->has_version = true;
	o->version = opset;
	m->graph = ox_graph_new(m, NULL);
	return m;
}

static struct ox_type *
ttype(struct ox_model *m, int elem, int rank, const int64_t *dims)
{
	struct ox_type *t = ox_arena_alloc(&m->arena, sizeof *t);

	t->kind = OX_TYPE_TENSOR;
	t->has_elem = true;
	t->elem = elem;
	t->rank = rank;
	t->dims = ox_arena_calloc(&m->arena, (size_t)rank + 1, sizeof *t->dims);
	for (int i = 0; i < rank; i++) {
		if (dims[i] == P) {
			t->dims[i].kind = OX_DIM_PARAM;
			t->dims[i].param = "N";
		} else {
			t->dims[i].kind = OX_DIM_VALUE;
			t->dims[i].value = dims[i];
		}
	}
	return t;
}

static struct ox_value *
input(struct ox_model *m, const char *name, int rank, const int64_t *dims)
{
	struct ox_value *v = ox_value_new(m->graph, name);

	v->type = ttype(m, OX_FLOAT, rank, dims);
	v->has_info = true;
	ox_graph_add_input(m->graph, v);
	return v;
}

static struct ox_value *
init_i64(struct ox_model *m, const char *name, int rank, int64_t n, const int64_t *vals)
{
	struct ox_value *v = ox_value_new(m->graph, name);
	struct ox_tensor *t = ox_tensor_new(&m->arena, OX_INT64, rank, &n);

	memcpy(t->data, vals, (size_t)n * sizeof *vals);
	ck_assert_int_eq(ox_graph_add_init(m->graph, v, t), 0);
	return v;
}

static struct ox_node *
node(struct ox_model *m, const char *op, const char *name, int n_in, ...)
{
	struct ox_node *nd = ox_node_new(m->graph, op, NULL, n_in, 1);
	va_list ap;

	nd->name = name;
	va_start(ap, n_in);
	for (int i = 0; i < n_in; i++)
		ox_node_set_input(nd, i, va_arg(ap, struct ox_value *));
	va_end(ap);
	return nd;
}

static struct ox_attr *
attr(struct ox_model *m, struct ox_node *nd, const char *name)
{
	struct ox_attr *a = ox_arena_calloc(&m->arena, nd->n_attrs + 1, sizeof *a);

	memcpy(a, nd->attrs, nd->n_attrs * sizeof *a);
	nd->attrs = a;
	a = &a[nd->n_attrs++];
	a->name = name;
	a->has_type = true;
	return a;
}

static void
attr_ints(struct ox_model *m, struct ox_node *nd, const char *name, int n, const int64_t *v)
{
	struct ox_attr *a = attr(m, nd, name);

	a->type = OX_ATTR_INTS;
	a->ints = ox_arena_memdup(&m->arena, v, (size_t)n * sizeof *v);
	a->n_ints = (size_t)n;
}

static void
attr_int(struct ox_model *m, struct ox_node *nd, const char *name, int64_t v)
{
	struct ox_attr *a = attr(m, nd, name);

	a->type = OX_ATTR_INT;
	a->has_i = true;
	a->i = v;
}

/* Run inference; returns the number of contradictions. */
static int
infer(struct ox_model *m, struct ox_diag *d)
{
	int r;

	ox_diag_init(d, "test");
	r = ox_shape_infer(m, OX_SHAPE_ADD_VALUE_INFO, d);
	ck_assert_int_ge(r, 0);
	return r;
}

/* v has element type elem and exactly dims (P = the symbol N). */
static void
expect(const struct ox_value *v, int elem, int rank, const int64_t *dims)
{
	const struct ox_type *t = v->type;

	ck_assert_msg(t != NULL, "%s has no type", v->name);
	ck_assert_int_eq(t->elem, elem);
	ck_assert_int_eq(t->rank, rank);
	for (int i = 0; i < rank; i++) {
		if (dims[i] == P) {
			ck_assert_int_eq(t->dims[i].kind, OX_DIM_PARAM);
			ck_assert_str_eq(t->dims[i].param, "N");
		} else {
			ck_assert_msg(t->dims[i].kind == OX_DIM_VALUE && t->dims[i].value == dims[i],
				      "%s dim %d: expected %lld", v->name, i, (long long)dims[i]);
		}
	}
}

START_TEST(test_conv_pads_strides_dilations)
{
	struct ox_model *m = model(17);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 4, (int64_t[]){ 2, 3, 10, 9 });
	struct ox_value *w = input(m, "w", 4, (int64_t[]){ 4, 3, 3, 3 });
	struct ox_node *c = node(m, "Conv", "conv", 2, x, w);
	struct ox_value *x2 = input(m, "x2", 4, (int64_t[]){ 1, 3, 224, 224 });
	struct ox_value *w2 = input(m, "w2", 4, (int64_t[]){ 64, 3, 7, 7 });
	struct ox_node *c2 = node(m, "Conv", "conv2", 2, x2, w2);
	struct ox_node *c3 = node(m, "Conv", "conv3", 2, x2, w2);

	attr_ints(m, c, "strides", 2, (int64_t[]){ 2, 3 });
	attr_ints(m, c, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
	attr_ints(m, c, "dilations", 2, (int64_t[]){ 2, 1 });
	/* ResNet's stem: 7x7, stride 2, pads 3. */
	attr_ints(m, c2, "strides", 2, (int64_t[]){ 2, 2 });
	attr_ints(m, c2, "pads", 4, (int64_t[]){ 3, 3, 3, 3 });
	/* SAME_UPPER: ceil(224 / 3) = 75 whatever the kernel. */
	attr_ints(m, c3, "strides", 2, (int64_t[]){ 3, 3 });
	{
		struct ox_attr *a = attr(m, c3, "auto_pad");

		a->type = OX_ATTR_STRING;
		a->has_s = true;
		a->s.data = (const uint8_t *)"SAME_UPPER";
		a->s.len = 10;
	}
	ck_assert_int_eq(infer(m, &d), 0);
	/* H: kernel (3-1)*2+1 = 5; floor((10 + 1 + 1 - 5) / 2) + 1 = 4.
	 * W: kernel 3; floor((9 + 1 + 1 - 3) / 3) + 1 = 3. */
	expect(c->out[0], OX_FLOAT, 4, (int64_t[]){ 2, 4, 4, 3 });
	/* floor((224 + 6 - 7) / 2) + 1 = 112 */
	expect(c2->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 64, 112, 112 });
	expect(c3->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 64, 75, 75 });
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_pool_ceil_mode)
{
	struct ox_model *m = model(17);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 4, (int64_t[]){ 1, 8, 112, 112 });
	struct ox_node *p = node(m, "MaxPool", "pool", 1, x);
	struct ox_value *x3 = input(m, "x3", 4, (int64_t[]){ 1, 8, 113, 113 });
	struct ox_node *q = node(m, "MaxPool", "pool_ceil", 1, x3);

	attr_ints(m, p, "kernel_shape", 2, (int64_t[]){ 3, 3 });
	attr_ints(m, p, "strides", 2, (int64_t[]){ 2, 2 });
	attr_ints(m, p, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
	attr_ints(m, q, "kernel_shape", 2, (int64_t[]){ 2, 2 });
	attr_ints(m, q, "strides", 2, (int64_t[]){ 2, 2 });
	attr_int(m, q, "ceil_mode", 1);
	ck_assert_int_eq(infer(m, &d), 0);
	/* floor((112 + 2 - 3) / 2) + 1 = 56; ceil((113 - 2) / 2) + 1 = 57 */
	expect(p->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 8, 56, 56 });
	expect(q->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 8, 57, 57 });
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_broadcast)
{
	struct ox_model *m = model(17);
	struct ox_diag d;
	struct ox_value *a = input(m, "a", 3, (int64_t[]){ P, 1, 5 });
	struct ox_value *b = input(m, "b", 2, (int64_t[]){ 3, 1 });
	struct ox_value *c = input(m, "c", 2, (int64_t[]){ 2, 3 });
	struct ox_value *e = input(m, "e", 2, (int64_t[]){ 4, 3 });
	struct ox_node *add = node(m, "Add", "add", 2, a, b);
	struct ox_node *eq = node(m, "Equal", "eq", 2, b, a);
	struct ox_node *bad = node(m, "Mul", "bad_mul", 2, c, e);

	/* [N,1,5] with [3,1]: right-aligned, 1 stretches: [N,3,5]. */
	ck_assert_int_eq(infer(m, &d), 1);
	expect(add->out[0], OX_FLOAT, 3, (int64_t[]){ P, 3, 5 });
	expect(eq->out[0], OX_BOOL, 3, (int64_t[]){ P, 3, 5 });
	/* [2,3] with [4,3] cannot broadcast: one diagnostic naming the node. */
	ck_assert_ptr_null(bad->out[0]->type);
	ck_assert_uint_eq(d.n_errors, 1);
	ck_assert_str_eq(d.entries[0].node, "bad_mul");
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_reshape_zero_and_minus_one)
{
	struct ox_model *m = model(14);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 3, (int64_t[]){ 2, 3, 4 });
	struct ox_value *s1 = init_i64(m, "s1", 1, 2, (int64_t[]){ 0, -1 });
	struct ox_value *s2 = init_i64(m, "s2", 1, 3, (int64_t[]){ -1, 0, 2 });
	struct ox_node *r1 = node(m, "Reshape", "r1", 2, x, s1);
	struct ox_node *r2 = node(m, "Reshape", "r2", 2, x, s2);

	ck_assert_int_eq(infer(m, &d), 0);
	/* 0 copies dim 0 (2); -1 takes the rest: 24 / 2 = 12. */
	expect(r1->out[0], OX_FLOAT, 2, (int64_t[]){ 2, 12 });
	/* 0 copies dim 1 (3); -1 = 24 / (3 * 2) = 4. */
	expect(r2->out[0], OX_FLOAT, 3, (int64_t[]){ 4, 3, 2 });
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

/* PyTorch's x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape. */
static void
shape_chain(int64_t d0, int64_t expect0)
{
	struct ox_model *m = model(13);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 4, (int64_t[]){ d0, 3, 4, 5 });
	struct ox_value *zero = init_i64(m, "zero", 0, 1, (int64_t[]){ 0 });
	struct ox_value *axes = init_i64(m, "axes", 1, 1, (int64_t[]){ 0 });
	struct ox_value *minus1 = init_i64(m, "minus1", 1, 1, (int64_t[]){ -1 });
	struct ox_node *sh = node(m, "Shape", "shape", 1, x);
	struct ox_node *ga = node(m, "Gather", "gather", 2, sh->out[0], zero);
	struct ox_node *un = node(m, "Unsqueeze", "unsqueeze", 2, ga->out[0], axes);
	struct ox_node *cc = node(m, "Concat", "concat", 2, un->out[0], minus1);
	struct ox_node *rs = node(m, "Reshape", "reshape", 2, x, cc->out[0]);

	attr_int(m, ga, "axis", 0);
	attr_int(m, cc, "axis", 0);
	ck_assert_int_eq(infer(m, &d), 0);
	expect(sh->out[0], OX_INT64, 1, (int64_t[]){ 4 });
	expect(ga->out[0], OX_INT64, 0, NULL);
	expect(un->out[0], OX_INT64, 1, (int64_t[]){ 1 });
	expect(cc->out[0], OX_INT64, 1, (int64_t[]){ 2 });
	/* 3 * 4 * 5 = 60 elements per row. */
	expect(rs->out[0], OX_FLOAT, 2, (int64_t[]){ expect0, 60 });
	/* Every intermediate value got a value_info entry. */
	ck_assert_uint_eq(m->graph->n_value_info, 5);
	ox_diag_release(&d);
	ox_model_free(m);
}

START_TEST(test_shape_chain_static)
{
	shape_chain(8, 8);
}
END_TEST

START_TEST(test_shape_chain_symbolic)
{
	/* A symbolic batch flows through the known value as the symbol itself. */
	shape_chain(P, P);
}
END_TEST

START_TEST(test_matmul_mismatch)
{
	struct ox_model *m = model(17);
	struct ox_diag d;
	struct ox_value *a = input(m, "a", 3, (int64_t[]){ 7, 2, 3 });
	struct ox_value *b = input(m, "b", 2, (int64_t[]){ 3, 5 });
	struct ox_value *c = input(m, "c", 2, (int64_t[]){ 4, 5 });
	struct ox_node *ok = node(m, "MatMul", "mm_ok", 2, a, b);
	struct ox_node *bad = node(m, "MatMul", "mm_bad", 2, a, c);
	char *line;

	ck_assert_int_eq(infer(m, &d), 1);
	/* [7,2,3] x [3,5]: batch 7 kept, [2,3]x[3,5] = [2,5]. */
	expect(ok->out[0], OX_FLOAT, 3, (int64_t[]){ 7, 2, 5 });
	ck_assert_ptr_null(bad->out[0]->type);
	line = ox_diag_format(&d, 0);
	ck_assert_ptr_nonnull(strstr(line, "mm_bad"));
	ck_assert_ptr_nonnull(strstr(line, "MatMul"));
	ck_assert_ptr_nonnull(strstr(line, "inner dimensions differ"));
	free(line);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_declared_contradiction)
{
	struct ox_model *m = model(17);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 2, (int64_t[]){ 2, 3 });
	struct ox_node *t = node(m, "Transpose", "tr", 1, x);

	/* The file claims [2,3]; Transpose without perm reverses: [3,2]. */
	t->out[0]->type = ttype(m, OX_FLOAT, 2, (int64_t[]){ 2, 3 });
	t->out[0]->has_info = true;
	ox_graph_add_value_info(m->graph, t->out[0]);
	ck_assert_int_eq(infer(m, &d), 1);
	ck_assert_str_eq(d.entries[0].node, "tr");
	/* The declared type stays: inference never overrides with a contradiction. */
	expect(t->out[0], OX_FLOAT, 2, (int64_t[]){ 2, 3 });
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_data_dependent_symbols)
{
	struct ox_model *m = model(17);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 2, (int64_t[]){ 4, 5 });
	struct ox_node *nz = node(m, "NonZero", "nz", 1, x);
	struct ox_node *nz2 = node(m, "NonZero", "nz2", 1, x);
	const struct ox_type *a, *b;

	ck_assert_int_eq(infer(m, &d), 0);
	a = nz->out[0]->type;
	b = nz2->out[0]->type;
	/* [rank, count]: the count is a fresh symbol, a different one per node. */
	ck_assert_int_eq(a->rank, 2);
	ck_assert_int_eq(a->dims[0].value, 2);
	ck_assert_int_eq(a->dims[1].kind, OX_DIM_PARAM);
	ck_assert_int_eq(b->dims[1].kind, OX_DIM_PARAM);
	ck_assert_str_ne(a->dims[1].param, b->dims[1].param);
	ck_assert_int_eq(strncmp(a->dims[1].param, "unk__", 5), 0);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("shape");
	TCase *tc = tcase_create("infer");

	tcase_add_test(tc, test_conv_pads_strides_dilations);
	tcase_add_test(tc, test_pool_ceil_mode);
	tcase_add_test(tc, test_broadcast);
	tcase_add_test(tc, test_reshape_zero_and_minus_one);
	tcase_add_test(tc, test_shape_chain_static);
	tcase_add_test(tc, test_shape_chain_symbolic);
	tcase_add_test(tc, test_matmul_mismatch);
	tcase_add_test(tc, test_declared_contradiction);
	tcase_add_test(tc, test_data_dependent_symbols);
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

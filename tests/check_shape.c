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

static struct ox_value *
input_t(struct ox_model *m, const char *name, int elem, int rank, const int64_t *dims)
{
	struct ox_value *v = input(m, name, rank, dims);

	v->type->elem = elem;
	return v;
}

static struct ox_value *
init_f32(struct ox_model *m, const char *name, int64_t n, const float *vals)
{
	struct ox_value *v = ox_value_new(m->graph, name);
	struct ox_tensor *t = ox_tensor_new(&m->arena, OX_FLOAT, 1, &n);

	memcpy(t->data, vals, (size_t)n * sizeof *vals);
	ck_assert_int_eq(ox_graph_add_init(m->graph, v, t), 0);
	return v;
}

static void
add_opset(struct ox_model *m, const char *domain, int version)
{
	struct ox_opset *o = ox_arena_push(&m->arena, &m->opsets, &m->n_opsets, &m->cap_opsets,
					   sizeof *m->opsets);

	o->domain = domain;
	o->has_version = true;
	o->version = version;
}

/* A node in domain with n_out outputs; inputs given as in node(). */
static struct ox_node *
node_d(struct ox_model *m, const char *op, const char *domain, const char *name, int n_in, int n_out, ...)
{
	struct ox_node *nd = ox_node_new(m->graph, op, domain, n_in, n_out);
	va_list ap;

	nd->name = name;
	va_start(ap, n_out);
	for (int i = 0; i < n_in; i++)
		ox_node_set_input(nd, i, va_arg(ap, struct ox_value *));
	va_end(ap);
	return nd;
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

	if (nd->n_attrs)
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

static void
attr_str(struct ox_model *m, struct ox_node *nd, const char *name, const char *v)
{
	struct ox_attr *a = attr(m, nd, name);

	a->type = OX_ATTR_STRING;
	a->has_s = true;
	a->s.data = (const uint8_t *)v;
	a->s.len = strlen(v);
}

static void
attr_strs(struct ox_model *m, struct ox_node *nd, const char *name, int n, const char *const *v)
{
	struct ox_attr *a = attr(m, nd, name);

	a->type = OX_ATTR_STRINGS;
	a->strings = ox_arena_calloc(&m->arena, (size_t)n, sizeof *a->strings);
	a->n_strings = (size_t)n;
	for (int i = 0; i < n; i++) {
		a->strings[i].data = (const uint8_t *)v[i];
		a->strings[i].len = strlen(v[i]);
	}
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

/* A dim of v is a symbol (any name). */
static void
expect_sym(const struct ox_value *v, int i)
{
	ck_assert_msg(v->type && v->type->rank > i && v->type->dims[i].kind == OX_DIM_PARAM,
		      "%s dim %d is not a symbol", v->name, i);
}

/* PyTorch's F.interpolate(x, size=...) on a dynamic batch: sizes is
 * Concat(Slice(Shape(x), 0, 2), [8, 10]), i.e. [N, 3, 8, 10] with N a symbol. */
START_TEST(test_resize_sizes_with_symbol)
{
	struct ox_model *m = model(13);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 4, (int64_t[]){ P, 3, 4, 5 });
	struct ox_value *st = init_i64(m, "st", 1, 1, (int64_t[]){ 0 });
	struct ox_value *en = init_i64(m, "en", 1, 1, (int64_t[]){ 2 });
	struct ox_value *hw = init_i64(m, "hw", 1, 2, (int64_t[]){ 8, 10 });
	struct ox_node *sh = node(m, "Shape", "shape", 1, x);
	struct ox_node *sl = node(m, "Slice", "slice", 3, sh->out[0], st, en);
	struct ox_node *cc = node(m, "Concat", "concat", 2, sl->out[0], hw);
	struct ox_node *rs = node(m, "Resize", "resize", 4, x, NULL, NULL, cc->out[0]);
	struct ox_value *huge = init_f32(m, "huge", 4, (float[]){ 1, 1, 1e30f, 2 });
	struct ox_node *rh = node(m, "Resize", "huge_scale", 3, x, NULL, huge);

	attr_int(m, cc, "axis", 0);
	ck_assert_int_eq(infer(m, &d), 0);
	expect(rs->out[0], OX_FLOAT, 4, (int64_t[]){ P, 3, 8, 10 });
	/* 4 * 1e30 is no dim: unknown, not a wrapped integer. 5 * 2 = 10. */
	ck_assert_int_eq(rh->out[0]->type->rank, 4);
	expect_sym(rh->out[0], 2);
	ck_assert_int_eq(rh->out[0]->type->dims[3].value, 10);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

/* Resize-18: axes limits scales/sizes to some dims; keep_aspect_ratio_policy turns
 * sizes into one scale. */
START_TEST(test_resize18_axes_and_aspect)
{
	struct ox_model *m = model(18);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 4, (int64_t[]){ 1, 3, 10, 20 });
	struct ox_value *sc = init_f32(m, "sc", 2, (float[]){ 0.5f, 2.0f });
	struct ox_value *sz = init_i64(m, "sz", 1, 2, (int64_t[]){ 15, 15 });
	struct ox_node *a = node(m, "Resize", "by_scales", 3, x, NULL, sc);
	struct ox_node *b = node(m, "Resize", "not_larger", 4, x, NULL, NULL, sz);
	struct ox_node *c = node(m, "Resize", "not_smaller", 4, x, NULL, NULL, sz);
	struct ox_node *e = node(m, "Resize", "stretch", 4, x, NULL, NULL, sz);
	struct ox_node *bad = node(m, "Resize", "bad", 3, x, NULL, sc);

	attr_ints(m, a, "axes", 2, (int64_t[]){ 2, -1 });
	attr_ints(m, b, "axes", 2, (int64_t[]){ 2, -1 });
	attr_ints(m, c, "axes", 2, (int64_t[]){ 2, -1 });
	attr_str(m, b, "keep_aspect_ratio_policy", "not_larger");
	attr_str(m, c, "keep_aspect_ratio_policy", "not_smaller");
	attr_ints(m, e, "axes", 2, (int64_t[]){ 2, 3 });
	/* Two scales for four dims without axes. */
	ck_assert_int_eq(infer(m, &d), 1);
	ck_assert_str_eq(d.entries[0].node, "bad");
	ck_assert_ptr_null(bad->out[0]->type);
	/* floor(10 * 0.5) = 5, floor(20 * 2) = 40; dims 0 and 1 untouched. */
	expect(a->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 3, 5, 40 });
	/* scale = min(15/10, 15/20) = 0.75: round(7.5) = 8, round(15) = 15. */
	expect(b->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 3, 8, 15 });
	/* scale = max(1.5, 0.75) = 1.5: 15, 30. */
	expect(c->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 3, 15, 30 });
	expect(e->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 3, 15, 15 });
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

/* Concat keeps a symbol the file named over one inference made up: the inputs all
 * have the same dim 0, so "N" holds for the output too. */
START_TEST(test_concat_prefers_named_symbol)
{
	struct ox_model *m = model(14);
	struct ox_diag d;
	struct ox_value *a = input(m, "a", 2, (int64_t[]){ P, 2 });
	struct ox_value *b = input(m, "b", 2, (int64_t[]){ P, 3 });
	struct ox_node *cc;

	a->type->dims[0].param = "unk__7";
	cc = node(m, "Concat", "concat", 2, a, b);
	attr_int(m, cc, "axis", 1);
	ck_assert_int_eq(infer(m, &d), 0);
	expect(cc->out[0], OX_FLOAT, 2, (int64_t[]){ P, 5 });
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

/* ReduceSum-13 with axes computed at run time. */
START_TEST(test_reduce_runtime_axes)
{
	struct ox_model *m = model(13);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 3, (int64_t[]){ 2, 1, 4 });
	struct ox_value *ax1 = input_t(m, "ax1", OX_INT64, 1, (int64_t[]){ 1 });
	struct ox_value *ax2 = input_t(m, "ax2", OX_INT64, 1, (int64_t[]){ 2 });
	struct ox_value *ax0 = input_t(m, "ax0", OX_INT64, 1, (int64_t[]){ 0 });
	struct ox_node *keep = node(m, "ReduceSum", "keep", 2, x, ax1);
	struct ox_node *one = node(m, "ReduceSum", "one", 2, x, ax1);
	struct ox_node *two = node(m, "ReduceSum", "two", 2, x, ax2);
	struct ox_node *all = node(m, "ReduceSum", "all", 2, x, ax0);
	struct ox_node *noop = node(m, "ReduceSum", "noop", 2, x, ax0);

	attr_int(m, one, "keepdims", 0);
	attr_int(m, two, "keepdims", 0);
	attr_int(m, all, "keepdims", 0);
	attr_int(m, noop, "noop_with_empty_axes", 1);
	ck_assert_int_eq(infer(m, &d), 0);
	/* keepdims: rank 3; the dim that is 1 stays 1 whatever is reduced. */
	ck_assert_int_eq(keep->out[0]->type->rank, 3);
	expect_sym(keep->out[0], 0);
	ck_assert_int_eq(keep->out[0]->type->dims[1].value, 1);
	expect_sym(keep->out[0], 2);
	/* One axis removes one dim; two may name the same axis twice: rank unknown. */
	ck_assert_int_eq(one->out[0]->type->rank, 2);
	ck_assert_int_eq(two->out[0]->type->elem, OX_FLOAT);
	ck_assert_int_eq(two->out[0]->type->rank, -1);
	/* An empty axes list reduces everything, or nothing with noop_with_empty_axes. */
	expect(all->out[0], OX_FLOAT, 0, NULL);
	expect(noop->out[0], OX_FLOAT, 3, (int64_t[]){ 2, 1, 4 });
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

/* Scan-8: sequence_lens omitted, one state [batch, 2], one scanned input
 * [batch, 3, 2]; the body adds each element to the state and emits it. */
START_TEST(test_scan8_outputs)
{
	struct ox_model *m = model(8);
	struct ox_diag d;
	struct ox_value *s0 = input(m, "s0", 2, (int64_t[]){ 1, 2 });
	struct ox_value *xs = input(m, "xs", 3, (int64_t[]){ 1, 3, 2 });
	struct ox_graph *body = ox_graph_new(m, m->graph);
	struct ox_value *bs = ox_value_new(body, "s"), *be = ox_value_new(body, "e");
	struct ox_node *add, *id, *sc, *bad;
	struct ox_attr *a;

	ox_graph_add_input(body, bs);
	ox_graph_add_input(body, be);
	add = ox_node_new(body, "Add", NULL, 2, 1);
	ox_node_set_input(add, 0, bs);
	ox_node_set_input(add, 1, be);
	id = ox_node_new(body, "Identity", NULL, 1, 1);
	ox_node_set_input(id, 0, add->out[0]);
	ox_graph_add_output(body, add->out[0]);
	ox_graph_add_output(body, id->out[0]);
	sc = node_d(m, "Scan", NULL, "scan", 3, 2, NULL, s0, xs);
	attr_int(m, sc, "num_scan_inputs", 1);
	a = attr(m, sc, "body");
	a->type = OX_ATTR_GRAPH;
	a->g = body;
	/* A count past the inputs (and past int) is reported, not truncated. */
	bad = node_d(m, "Scan", NULL, "scan_bad", 3, 2, NULL, s0, xs);
	attr_int(m, bad, "num_scan_inputs", (int64_t)1 << 32 | 1);
	a = attr(m, bad, "body");
	a->type = OX_ATTR_GRAPH;
	a->g = body;
	ck_assert_int_eq(infer(m, &d), 1);
	ck_assert_str_eq(d.entries[0].node, "scan_bad");
	/* The body sees [2] and [2] (batch and iteration axes dropped). */
	expect(bs, OX_FLOAT, 1, (int64_t[]){ 2 });
	expect(be, OX_FLOAT, 1, (int64_t[]){ 2 });
	/* Final state [batch, 2]; scan output [batch, iterations, 2]. */
	expect(sc->out[0], OX_FLOAT, 2, (int64_t[]){ 1, 2 });
	expect(sc->out[1], OX_FLOAT, 3, (int64_t[]){ 1, 3, 2 });
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_dft_stft)
{
	struct ox_model *m = model(17);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 3, (int64_t[]){ 2, 16, 1 });
	struct ox_value *n20 = init_i64(m, "n20", 0, 1, (int64_t[]){ 20 });
	struct ox_value *sig = input(m, "sig", 3, (int64_t[]){ 1, 128, 1 });
	struct ox_value *step = init_i64(m, "step", 0, 1, (int64_t[]){ 8 });
	struct ox_value *flen = init_i64(m, "flen", 0, 1, (int64_t[]){ 16 });
	struct ox_value *win = input(m, "win", 1, (int64_t[]){ 16 });
	struct ox_node *one = node(m, "DFT", "onesided", 1, x);
	struct ox_node *len = node(m, "DFT", "length", 2, x, n20);
	struct ox_node *both = node(m, "DFT", "both", 1, x);
	struct ox_node *st = node(m, "STFT", "stft", 4, sig, step, NULL, flen);
	struct ox_node *stw = node(m, "STFT", "stft_window", 3, sig, step, win);

	attr_int(m, one, "onesided", 1);
	attr_int(m, both, "onesided", 1);
	attr_int(m, both, "inverse", 1);
	attr_int(m, stw, "onesided", 0);
	ck_assert_int_eq(infer(m, &d), 1);
	ck_assert_str_eq(d.entries[0].node, "both");
	/* Axis 1 (the default) of 16 points, one-sided: 16 / 2 + 1 = 9; real -> complex. */
	expect(one->out[0], OX_FLOAT, 3, (int64_t[]){ 2, 9, 2 });
	/* dft_length 20 pads the axis to 20 points. */
	expect(len->out[0], OX_FLOAT, 3, (int64_t[]){ 2, 20, 2 });
	/* (128 - 16) / 8 + 1 = 15 frames of 16 / 2 + 1 = 9 bins (the suite's test_stft). */
	expect(st->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 15, 9, 2 });
	/* The window's 16 points set the frame length; two-sided keeps 16 bins. */
	expect(stw->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 15, 16, 2 });
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_dft20_axis_input)
{
	struct ox_model *m = model(20);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 4, (int64_t[]){ 3, 8, 6, 2 });
	struct ox_value *ax = init_i64(m, "ax", 0, 1, (int64_t[]){ -2 });
	struct ox_value *rt = input_t(m, "rt", OX_INT64, 0, NULL);
	struct ox_node *a = node(m, "DFT", "axis_m2", 3, x, NULL, ax);
	struct ox_node *b = node(m, "DFT", "runtime_axis", 3, x, NULL, rt);

	attr_int(m, a, "onesided", 1);
	attr_int(m, b, "onesided", 1);
	ck_assert_int_eq(infer(m, &d), 0);
	/* Axis -2 of rank 4 is dim 2 (6 points): 6 / 2 + 1 = 4. */
	expect(a->out[0], OX_FLOAT, 4, (int64_t[]){ 3, 8, 4, 2 });
	/* Axis unknown until run time: only the component dim is certain. */
	ck_assert_int_eq(b->out[0]->type->rank, 4);
	expect_sym(b->out[0], 0);
	ck_assert_int_eq(b->out[0]->type->dims[3].value, 2);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_col2im)
{
	struct ox_model *m = model(18);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 3, (int64_t[]){ 1, 20, 16 });
	struct ox_value *xp = input(m, "xp", 3, (int64_t[]){ 1, 20, 9 });
	struct ox_value *img = init_i64(m, "img", 1, 2, (int64_t[]){ 5, 5 });
	struct ox_value *blk = init_i64(m, "blk", 1, 2, (int64_t[]){ 2, 2 });
	struct ox_node *a = node(m, "Col2Im", "plain", 3, x, img, blk);
	struct ox_node *b = node(m, "Col2Im", "padded", 3, xp, img, blk);
	struct ox_node *bad = node(m, "Col2Im", "bad", 3, xp, img, blk);

	attr_ints(m, b, "pads", 4, (int64_t[]){ 1, 1, 1, 1 });
	attr_ints(m, b, "strides", 2, (int64_t[]){ 2, 2 });
	ck_assert_int_eq(infer(m, &d), 1);
	/* C = 20 / (2 * 2) = 5. Blocks per dim: (5 - (2 - 1) - 1) / 1 + 1 = 4, 4 * 4 = 16. */
	expect(a->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 5, 5, 5 });
	/* (5 + 2 - 1 - 1) / 2 + 1 = 3, 3 * 3 = 9 blocks. */
	expect(b->out[0], OX_FLOAT, 4, (int64_t[]){ 1, 5, 5, 5 });
	/* Without the pads and strides 9 blocks cannot cover 5x5 with 2x2 blocks (16). */
	ck_assert_str_eq(d.entries[0].node, "bad");
	ck_assert_ptr_null(bad->out[0]->type);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_ml_ops)
{
	struct ox_model *m = model(17);
	struct ox_diag d;
	struct ox_value *x = input(m, "x", 2, (int64_t[]){ P, 4 });
	struct ox_value *row = input(m, "row", 1, (int64_t[]){ 4 });
	struct ox_value *ids = input_t(m, "ids", OX_INT64, 2, (int64_t[]){ P, 3 });
	struct ox_node *lc, *ter, *ohe, *lr, *le, *fv;

	add_opset(m, "ai.onnx.ml", 3);
	lc = node_d(m, "LinearClassifier", "ai.onnx.ml", "lc", 1, 2, x);
	attr_strs(m, lc, "classlabels_strings", 2, (const char *[]){ "cat", "dog" });
	ter = node_d(m, "TreeEnsembleRegressor", "ai.onnx.ml", "ter", 1, 1, row);
	attr_int(m, ter, "n_targets", 3);
	ohe = node_d(m, "OneHotEncoder", "ai.onnx.ml", "ohe", 1, 1, ids);
	attr_ints(m, ohe, "cats_int64s", 5, (int64_t[]){ 1, 2, 3, 4, 5 });
	lr = node_d(m, "LinearRegressor", "ai.onnx.ml", "lr", 1, 1, x);
	attr_int(m, lr, "targets", 2);
	le = node_d(m, "LabelEncoder", "ai.onnx.ml", "le", 1, 1, ids);
	attr_ints(m, le, "keys_int64s", 2, (int64_t[]){ 1, 2 });
	attr_strs(m, le, "values_strings", 2, (const char *[]){ "a", "b" });
	fv = node_d(m, "FeatureVectorizer", "ai.onnx.ml", "fv", 2, 1, x, ids);
	attr_ints(m, fv, "inputdimensions", 2, (int64_t[]){ 4, 3 });
	ck_assert_int_eq(infer(m, &d), 0);
	/* Labels [N] take the labels' type; scores [N, 2], one column per label. */
	expect(lc->out[0], OX_STRING, 1, (int64_t[]){ P });
	expect(lc->out[1], OX_FLOAT, 2, (int64_t[]){ P, 2 });
	/* A single row [4] is a batch of 1. */
	expect(ter->out[0], OX_FLOAT, 2, (int64_t[]){ 1, 3 });
	/* Each id becomes a row over 5 categories. */
	expect(ohe->out[0], OX_FLOAT, 3, (int64_t[]){ P, 3, 5 });
	expect(lr->out[0], OX_FLOAT, 2, (int64_t[]){ P, 2 });
	expect(le->out[0], OX_STRING, 2, (int64_t[]){ P, 3 });
	/* 4 + 3 features side by side. */
	expect(fv->out[0], OX_FLOAT, 2, (int64_t[]){ P, 7 });
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
	tcase_add_test(tc, test_resize_sizes_with_symbol);
	tcase_add_test(tc, test_resize18_axes_and_aspect);
	tcase_add_test(tc, test_concat_prefers_named_symbol);
	tcase_add_test(tc, test_reduce_runtime_axes);
	tcase_add_test(tc, test_scan8_outputs);
	tcase_add_test(tc, test_dft_stft);
	tcase_add_test(tc, test_dft20_axis_input);
	tcase_add_test(tc, test_col2im);
	tcase_add_test(tc, test_ml_ops);
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

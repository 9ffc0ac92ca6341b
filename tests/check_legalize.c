/* check_legalize.c: each strategy of `onnx-opt legalize` on a small hand-built model:
 * the audit's verdict before and after, the ops the rewrite leaves, and the
 * executor's proof that the result computes what the input did. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/equiv.h"
#include "../src/graph.h"
#include "../src/onnx_io.h"
#include "../src/targets.h"
#include "../passes/legalize/legalize.h"

static struct ox_type *
tensor_type(struct ox_model *m, int elem, int rank, const int64_t *dims)
{
	struct ox_type *t = ox_arena_calloc(&m->arena, 1, sizeof *t);

	t->kind = OX_TYPE_TENSOR;
	t->has_elem = true;
	t->elem = elem;
	t->rank = rank;
	t->dims = ox_arena_calloc(&m->arena, (size_t)rank + 1, sizeof *t->dims);
	for (int i = 0; i < rank; i++) {
		t->dims[i].kind = OX_DIM_VALUE;
		t->dims[i].value = dims[i];
	}
	return t;
}

/* A model importing ai.onnx `opset`, with no graph inputs yet. */
static struct ox_model *
model(int opset)
{
	struct ox_model *m = ox_model_new();
	struct ox_opset *o;

	ck_assert_ptr_nonnull(m);
	o = ox_arena_push(&m->arena, &m->opsets, &m->n_opsets, &m->cap_opsets, sizeof *o);
	o->domain = "";
	o->has_version = true;
	o->version = opset;
	m->has_ir_version = true;
	m->ir_version = 8;
	m->graph = ox_graph_new(m, NULL);
	return m;
}

static struct ox_value *
input(struct ox_model *m, const char *name, int elem, int rank, const int64_t *dims)
{
	struct ox_value *v = ox_value_new(m->graph, name);

	v->type = tensor_type(m, elem, rank, dims);
	v->has_info = true;
	ck_assert_int_eq(ox_graph_add_input(m->graph, v), 0);
	return v;
}

static struct ox_node *
node(struct ox_model *m, const char *op, int n_out, int n_in, struct ox_value **in)
{
	struct ox_node *n = ox_node_new(m->graph, op, "", n_in, n_out);

	ck_assert_ptr_nonnull(n);
	for (int i = 0; i < n_in; i++)
		if (in[i])
			ck_assert_int_eq(ox_node_set_input(n, i, in[i]), 0);
	return n;
}

static void
output(struct ox_model *m, struct ox_value *v)
{
	ck_assert_int_eq(ox_graph_add_output(m->graph, v), 0);
}

static size_t
count(const struct ox_model *m, const char *op)
{
	size_t n = 0;

	for (size_t i = 0; i < m->graph->n_nodes; i++)
		n += !m->graph->nodes[i]->dead && !strcmp(m->graph->nodes[i]->op_type, op);
	return n;
}

/* Legalize m for target, check the IR, and compare the result with the input on
 * three random input sets. Returns what ox_legalize_model returned. */
static int
legalize(struct ox_model **m, const char *target, struct ox_lg_report *rep)
{
	struct ox_equiv_opts eo;
	struct ox_equiv_report er;
	struct ox_target *t;
	struct ox_model *orig;
	struct ox_diag d;
	uint8_t *buf;
	size_t len;
	int r;

	ox_diag_init(&d, "test");
	ck_assert_int_eq(ox_target_open(target, &t, &d), 0);
	ck_assert_int_eq(ox_model_save_buffer(*m, &buf, &len, &d), 0);
	ck_assert_int_eq(ox_model_load_buffer(buf, len, NULL, &orig, &d), 0);
	free(buf);
	memset(rep, 0, sizeof *rep);
	r = ox_legalize_model(m, t, NULL, rep, &d);
	ck_assert_int_ge(r, 0);
	ck_assert_int_eq(ox_graph_verify((*m)->graph, &d), 0);
	ox_equiv_opts_init(&eo);
	eo.n_sets = 3;
	ck_assert_int_eq(ox_equiv_models(orig, *m, &eo, &er, &d), 0);
	ck_assert_msg(er.pass, "legalized model differs from the input");
	ck_assert_int_eq(er.n_sets, 3);
	ox_equiv_report_release(&er);
	ox_model_free(orig);
	ox_target_free(t);
	ox_diag_release(&d);
	return r;
}

static bool
has_rewrite(const struct ox_lg_report *rep, enum ox_lg_strategy s)
{
	for (size_t i = 0; i < rep->n_rewrites; i++)
		if (rep->rewrites[i].strategy == s)
			return true;
	return false;
}

/* (a) Softmax-13 is not in opset 11: the whole model is converted down. */
START_TEST(test_convert)
{
	int64_t dims[2] = { 2, 5 };
	struct ox_model *m = model(13);
	struct ox_value *x = input(m, "x", OX_FLOAT, 2, dims);
	struct ox_node *s = node(m, "Softmax", 1, 1, &x);
	struct ox_lg_report rep;

	ck_assert_int_eq(ox_node_set_attr_int(s, "axis", 1), 0);
	output(m, s->out[0]);
	ck_assert_int_eq(legalize(&m, "opset:11", &rep), 0);
	ck_assert_int_eq(rep.unsupported_before, 1);
	ck_assert_int_eq(rep.unsupported_after + rep.partial_after, 0);
	ck_assert_int_eq(rep.opset_before, 13);
	ck_assert_int_eq(rep.opset_after, 11);
	ck_assert_int_eq(ox_model_opset(m, ""), 11);
	ck_assert(has_rewrite(&rep, OX_LG_CONVERT));
	ox_lg_report_release(&rep);
	ox_model_free(m);
}
END_TEST

/* (b) LayerNormalization with its Mean output requested is partial on TensorRT:
 * its function body computes every output with plain ops. */
START_TEST(test_function_layer_norm)
{
	int64_t dims[3] = { 2, 3, 4 }, sd[1] = { 4 };
	struct ox_model *m = model(17);
	struct ox_value *in[3];
	struct ox_node *ln;
	struct ox_lg_report rep;

	in[0] = input(m, "x", OX_FLOAT, 3, dims);
	in[1] = input(m, "scale", OX_FLOAT, 1, sd);
	in[2] = input(m, "bias", OX_FLOAT, 1, sd);
	ln = node(m, "LayerNormalization", 3, 3, in);
	ck_assert_int_eq(ox_node_set_attr_float(ln, "epsilon", 1e-3f), 0);
	output(m, ln->out[0]);
	output(m, ln->out[1]);
	ck_assert_int_eq(legalize(&m, "tensorrt", &rep), 0);
	ck_assert_int_eq(rep.partial_before, 1);
	ck_assert_int_eq(rep.unsupported_after + rep.partial_after, 0);
	ck_assert_int_eq(count(m, "LayerNormalization"), 0);
	ck_assert_uint_ge(count(m, "ReduceMean"), 2);
	ck_assert(has_rewrite(&rep, OX_LG_FUNCTION));
	ox_lg_report_release(&rep);
	ox_model_free(m);
}
END_TEST

/* (b) SoftmaxCrossEntropyLoss: its body calls NegativeLogLikelihoodLoss, whose
 * body is inlined in the next round. Ten classes: random labels lie in [0, 9]. */
START_TEST(test_function_nested)
{
	int64_t sd[2] = { 3, 10 }, ld[1] = { 3 };
	struct ox_model *m = model(13);
	struct ox_value *in[2];
	struct ox_node *n;
	struct ox_lg_report rep;

	in[0] = input(m, "scores", OX_FLOAT, 2, sd);
	in[1] = input(m, "labels", OX_INT64, 1, ld);
	n = node(m, "SoftmaxCrossEntropyLoss", 1, 2, in);
	ck_assert_int_eq(ox_node_set_attr_string(n, "reduction", "sum"), 0);
	output(m, n->out[0]);
	ck_assert_int_eq(legalize(&m, "tensorrt", &rep), 0);
	ck_assert_int_eq(rep.unsupported_before, 1);
	ck_assert_int_eq(rep.unsupported_after, 0);
	ck_assert_int_eq(count(m, "SoftmaxCrossEntropyLoss"), 0);
	ck_assert_int_eq(count(m, "NegativeLogLikelihoodLoss"), 0);
	ck_assert_uint_eq(rep.n_rewrites, 2);
	ck_assert_int_ge(rep.rounds, 2);
	ox_lg_report_release(&rep);
	ox_model_free(m);
}
END_TEST

static struct ox_model *
einsum_model(const char *eq, int rank_a, const int64_t *da, int rank_b, const int64_t *db)
{
	struct ox_model *m = model(12);
	struct ox_value *in[2];
	struct ox_node *n;

	in[0] = input(m, "a", OX_FLOAT, rank_a, da);
	in[1] = rank_b ? input(m, "b", OX_FLOAT, rank_b, db) : NULL;
	n = node(m, "Einsum", 1, rank_b ? 2 : 1, in);
	ck_assert_int_eq(ox_node_set_attr_string(n, "equation", eq), 0);
	output(m, n->out[0]);
	return m;
}

/* (c) Einsum is not in opset 11: a batched matrix product becomes MatMul. */
START_TEST(test_einsum_matmul)
{
	int64_t da[3] = { 2, 3, 4 }, db[3] = { 2, 5, 4 };
	struct ox_model *m = einsum_model("bij,bkj->bik", 3, da, 3, db);
	struct ox_lg_report rep;

	ck_assert_int_eq(legalize(&m, "opset:11", &rep), 0);
	ck_assert_int_eq(rep.unsupported_before, 1);
	ck_assert_int_eq(count(m, "Einsum"), 0);
	ck_assert_int_eq(count(m, "MatMul"), 1);
	ck_assert_int_eq(count(m, "Transpose"), 1);  /* only b needs one */
	ck_assert(has_rewrite(&rep, OX_LG_DECOMPOSE));
	ck_assert_int_eq(ox_model_opset(m, ""), 11);
	ox_lg_report_release(&rep);
	ox_model_free(m);
}
END_TEST

/* (c) The general path: outer product and sums with Mul and ReduceSum. */
START_TEST(test_einsum_general)
{
	int64_t da[2] = { 3, 4 }, db[2] = { 4, 2 };
	struct ox_model *m = einsum_model("ij,jk->k", 2, da, 2, db);
	struct ox_lg_report rep;

	ck_assert_int_eq(legalize(&m, "opset:11", &rep), 0);
	ck_assert_int_eq(count(m, "Einsum"), 0);
	ck_assert_int_eq(count(m, "Mul"), 1);
	ck_assert_int_eq(count(m, "ReduceSum"), 1);
	ox_lg_report_release(&rep);
	ox_model_free(m);
}
END_TEST

/* (c) A diagonal is refused, and the report says so. */
START_TEST(test_einsum_refused)
{
	int64_t da[2] = { 3, 3 };
	struct ox_model *m = einsum_model("ii->i", 2, da, 0, NULL);
	struct ox_lg_report rep;

	ck_assert_int_eq(legalize(&m, "opset:11", &rep), 1);
	ck_assert_int_eq(count(m, "Einsum"), 1);
	ck_assert_uint_eq(rep.n_left, 1);
	ck_assert_str_eq(rep.left[0].op, "Einsum");
	ck_assert_ptr_nonnull(rep.left[0].tried);
	ck_assert_ptr_nonnull(strstr(rep.left[0].tried, "diagonal"));
	ox_lg_report_release(&rep);
	ox_model_free(m);
}
END_TEST

/* (c) TensorRT has no uint8 Add: Cast to int32, Add, Cast back. */
START_TEST(test_cast_around)
{
	int64_t dims[2] = { 2, 3 };
	struct ox_model *m = model(14);
	struct ox_value *in[2];
	struct ox_node *n;
	struct ox_lg_report rep;
	char name[64];

	in[0] = input(m, "a", OX_UINT8, 2, dims);
	in[1] = input(m, "b", OX_UINT8, 2, dims);
	n = node(m, "Add", 1, 2, in);
	output(m, n->out[0]);
	snprintf(name, sizeof name, "%s", n->out[0]->name);
	ck_assert_int_eq(legalize(&m, "tensorrt", &rep), 0);
	ck_assert_int_eq(rep.unsupported_before, 1);
	ck_assert_int_eq(rep.unsupported_after, 0);
	ck_assert_int_eq(count(m, "Cast"), 3);
	ck_assert(has_rewrite(&rep, OX_LG_CAST));
	/* The graph output keeps its name and is now the Cast back. */
	ck_assert_str_eq(m->graph->outputs[0]->name, name);
	ck_assert_ptr_nonnull(m->graph->outputs[0]->producer);
	ck_assert_str_eq(m->graph->outputs[0]->producer->op_type, "Cast");
	ox_lg_report_release(&rep);
	ox_model_free(m);
}
END_TEST

/* (d) ReduceSum's axes must be an initializer on TensorRT; here they come through
 * an Identity of a constant, which fold_constants turns into one. */
START_TEST(test_fold)
{
	int64_t dims[2] = { 2, 3 }, one[1] = { 1 }, ax = 1;
	struct ox_model *m = model(13);
	struct ox_value *x = input(m, "x", OX_FLOAT, 2, dims), *c, *in[2];
	struct ox_tensor *t = ox_tensor_new(&m->arena, OX_INT64, 1, one);
	struct ox_node *id, *rs;
	struct ox_lg_report rep;

	memcpy(t->data, &ax, sizeof ax);
	c = ox_value_new(m->graph, "axes_init");
	ck_assert_int_eq(ox_graph_add_init(m->graph, c, t), 0);
	id = node(m, "Identity", 1, 1, &c);
	in[0] = x;
	in[1] = id->out[0];
	rs = node(m, "ReduceSum", 1, 2, in);
	output(m, rs->out[0]);
	ck_assert_int_eq(legalize(&m, "tensorrt", &rep), 0);
	ck_assert_int_eq(rep.partial_before, 1);
	ck_assert_int_eq(rep.unsupported_after + rep.partial_after, 0);
	ck_assert(has_rewrite(&rep, OX_LG_FOLD));
	ck_assert_int_eq(count(m, "Identity"), 0);
	ox_lg_report_release(&rep);
	ox_model_free(m);
}
END_TEST

/* A model the target already runs is left alone. */
START_TEST(test_nothing_to_do)
{
	int64_t dims[1] = { 4 };
	struct ox_model *m = model(13);
	struct ox_value *x = input(m, "x", OX_FLOAT, 1, dims);
	struct ox_node *n = node(m, "Relu", 1, 1, &x);
	struct ox_lg_report rep;

	output(m, n->out[0]);
	ck_assert_int_eq(legalize(&m, "openvino", &rep), 0);
	ck_assert_uint_eq(rep.n_rewrites, 0);
	ck_assert_uint_eq(rep.unsupported_before + rep.partial_before, 0);
	ck_assert_int_eq(count(m, "Relu"), 1);
	ox_lg_report_release(&rep);
	ox_model_free(m);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("legalize");
	TCase *tc = tcase_create("strategies");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_convert);
	tcase_add_test(tc, test_function_layer_norm);
	tcase_add_test(tc, test_function_nested);
	tcase_add_test(tc, test_einsum_matmul);
	tcase_add_test(tc, test_einsum_general);
	tcase_add_test(tc, test_einsum_refused);
	tcase_add_test(tc, test_cast_around);
	tcase_add_test(tc, test_fold);
	tcase_add_test(tc, test_nothing_to_do);
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

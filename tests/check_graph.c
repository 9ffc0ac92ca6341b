/* check_graph.c: the IR's mutation helpers keep their invariants (graph.h). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../src/graph.h"

/* x -> Relu -> a -> Identity -> b -> Neg -> y (graph output) */
static struct ox_model *
chain(struct ox_value **x, struct ox_node **relu, struct ox_node **id, struct ox_node **neg)
{
	struct ox_model *m = ox_model_new();
	struct ox_graph *g;

	ck_assert_ptr_nonnull(m);
	g = m->graph = ox_graph_new(m, NULL);
	*x = ox_value_new(g, "x");
	ck_assert_int_eq(ox_graph_add_input(g, *x), 0);
	*relu = ox_node_new(g, "Relu", "", 1, 1);
	ck_assert_int_eq(ox_node_set_input(*relu, 0, *x), 0);
	*id = ox_node_new(g, "Identity", "", 1, 1);
	ck_assert_int_eq(ox_node_set_input(*id, 0, (*relu)->out[0]), 0);
	*neg = ox_node_new(g, "Neg", "", 1, 1);
	ck_assert_int_eq(ox_node_set_input(*neg, 0, (*id)->out[0]), 0);
	ck_assert_int_eq(ox_graph_add_output(g, (*neg)->out[0]), 0);
	return m;
}

START_TEST(test_build_and_verify)
{
	struct ox_value *x;
	struct ox_node *relu, *id, *neg;
	struct ox_model *m = chain(&x, &relu, &id, &neg);
	struct ox_diag d;

	ox_diag_init(&d, "test");
	ck_assert_int_eq(ox_graph_verify(m->graph, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(x->n_uses, 1);
	ck_assert_ptr_eq(x->uses[0].node, relu);
	ck_assert_ptr_eq(relu->out[0]->producer, relu);
	/* fresh names never collide */
	ck_assert_str_ne(relu->out[0]->name, id->out[0]->name);
	ck_assert_ptr_null(ox_value_new(m->graph, "x") == x ? NULL : (void *)0);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_replace_uses_inner)
{
	struct ox_value *x;
	struct ox_node *relu, *id, *neg;
	struct ox_model *m = chain(&x, &relu, &id, &neg);
	struct ox_diag d;

	ox_diag_init(&d, "test");
	ck_assert_int_eq(ox_value_replace_uses(id->out[0], id->in[0]), 0);
	ox_node_kill(id);
	ox_graph_compact(m->graph);
	ck_assert_uint_eq(m->graph->n_nodes, 2);
	ck_assert_ptr_eq(neg->in[0], relu->out[0]);
	ck_assert_uint_eq(relu->out[0]->n_uses, 1);
	ck_assert_int_eq(ox_graph_verify(m->graph, &d), 0);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_replace_graph_output_keeps_name)
{
	struct ox_value *x;
	struct ox_node *relu, *id, *neg;
	struct ox_model *m = chain(&x, &relu, &id, &neg);
	struct ox_graph *g = m->graph;
	struct ox_diag d;
	const char *yname = neg->out[0]->name;

	ox_diag_init(&d, "test");
	/* Neg's output is the graph output; replacing it by Relu's keeps the name. */
	ck_assert_int_eq(ox_value_replace_uses(neg->out[0], relu->out[0]), 0);
	ox_node_kill(neg);
	ox_node_kill(id);
	ox_graph_compact(g);
	ck_assert_uint_eq(g->n_outputs, 1);
	ck_assert_ptr_eq(g->outputs[0], relu->out[0]);
	ck_assert_str_eq(g->outputs[0]->name, yname);
	ck_assert_ptr_eq(ox_graph_lookup(g, yname), relu->out[0]);
	ck_assert_int_eq(ox_graph_verify(g, &d), 0);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_replace_output_by_input_adds_identity)
{
	struct ox_value *x;
	struct ox_node *relu, *id, *neg;
	struct ox_model *m = chain(&x, &relu, &id, &neg);
	struct ox_graph *g = m->graph;
	struct ox_value *y = neg->out[0];
	struct ox_diag d;

	ox_diag_init(&d, "test");
	/* A graph input cannot take the output's name: an Identity keeps it. */
	ck_assert_int_eq(ox_value_replace_uses(y, x), 0);
	ck_assert_ptr_eq(g->outputs[0], y);
	ck_assert(ox_node_is(y->producer, "", "Identity"));
	ck_assert_ptr_eq(y->producer->in[0], x);
	ox_node_kill(neg);
	ox_node_kill(id);
	ox_node_kill(relu);
	ox_graph_compact(g);
	ck_assert_uint_eq(g->n_nodes, 1);
	ck_assert_int_eq(ox_graph_verify(g, &d), 0);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_toposort_stable_and_cycle)
{
	struct ox_value *x;
	struct ox_node *relu, *id, *neg;
	struct ox_model *m = chain(&x, &relu, &id, &neg);
	struct ox_graph *g = m->graph;
	struct ox_diag d;

	ox_diag_init(&d, "test");
	/* reverse the order; sorting restores it */
	g->nodes[0] = neg;
	g->nodes[2] = relu;
	ck_assert(!ox_graph_is_sorted(g));
	ck_assert_int_eq(ox_graph_toposort(g, &d), 0);
	ck_assert_ptr_eq(g->nodes[0], relu);
	ck_assert_ptr_eq(g->nodes[1], id);
	ck_assert_ptr_eq(g->nodes[2], neg);
	/* make a cycle: Relu reads Neg's output */
	ck_assert_int_eq(ox_node_set_input(relu, 0, neg->out[0]), 0);
	ck_assert_int_eq(ox_graph_toposort(g, &d), OX_EINVAL);
	ck_assert_int_eq(ox_graph_verify(g, &d), OX_EINVAL);
	ck_assert_uint_ge(d.n_errors, 2);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_verify_catches_broken_use_list)
{
	struct ox_value *x;
	struct ox_node *relu, *id, *neg;
	struct ox_model *m = chain(&x, &relu, &id, &neg);
	struct ox_diag d;

	ox_diag_init(&d, "test");
	/* bypass the helpers: the use list no longer matches */
	neg->in[0] = x;
	ck_assert_int_eq(ox_graph_verify(m->graph, &d), OX_EINVAL);
	ck_assert_uint_ge(d.n_errors, 1);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_dtype_table)
{
	size_t n;

	ck_assert_int_eq(ox_dtype_bits(OX_FLOAT), 32);
	ck_assert_int_eq(ox_dtype_bits(OX_INT4), 4);
	ck_assert_str_eq(ox_dtype_name(OX_BFLOAT16), "bfloat16");
	ck_assert_int_eq(ox_dtype_from_name("float8e5m2"), OX_FLOAT8E5M2);
	ck_assert(ox_dtype_nbytes(OX_INT4, 3, &n));
	ck_assert_uint_eq(n, 2);
	ck_assert(!ox_dtype_nbytes(OX_DOUBLE, INT64_MAX / 4, &n) || sizeof(size_t) > 8);
	{
		int64_t dims[2] = { INT64_MAX / 2, 3 };

		ck_assert_int_eq(ox_shape_numel(2, dims), -1);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("graph");
	TCase *tc = tcase_create("ir");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_build_and_verify);
	tcase_add_test(tc, test_replace_uses_inner);
	tcase_add_test(tc, test_replace_graph_output_keeps_name);
	tcase_add_test(tc, test_replace_output_by_input_adds_identity);
	tcase_add_test(tc, test_toposort_stable_and_cycle);
	tcase_add_test(tc, test_verify_catches_broken_use_list);
	tcase_add_test(tc, test_dtype_table);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

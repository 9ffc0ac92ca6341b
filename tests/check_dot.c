/* check_dot.c: `onnx-opt dot` diagrams (reports/dot.h): the DOT parses back with
 * cgraph, it has as many nodes and edges as the model (the counting rule of dot.h,
 * and hand counts for tinycnn), edge labels carry the shapes, hostile names cannot
 * break it, and tinycnn's DOT equals tests/golden/tinycnn.dot, which is
 *     onnx-opt dot examples/tinycnn.onnx --shapes --attrs -o tests/golden/tinycnn.dot
 * (regenerate it that way after a deliberate change of the drawing, and look at it). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_io.h"
#include "reports/dot.h"
#include "shape.h"

static char *
src_path(const char *rel)
{
	const char *dir = getenv("srcdir");
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", dir ? dir : ".", rel), 0);
	return p;
}

static struct ox_model *
load(const char *rel)
{
	char *path = src_path(rel);
	struct ox_model *m = NULL;
	struct ox_diag d;

	ox_diag_init(&d, path);
	ck_assert_msg(ox_model_load(path, &m, &d) == 0, "cannot load %s", path);
	ox_diag_release(&d);
	free(path);
	return m;
}

/* The DOT text of g, malloc'ed. */
static char *
dot_text(Agraph_t *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ox_diag d;

	ck_assert_ptr_nonnull(f);
	ox_diag_init(&d, "memory");
	ck_assert_int_eq(ox_dot_write(g, f, &d), 0);
	ox_diag_release(&d);
	fclose(f);
	return buf;
}

/* Build m's diagram with o and return it as DOT text. */
static char *
draw(struct ox_model *m, const struct ox_dot_opts *o, struct ox_dot_stats *st)
{
	Agraph_t *g = NULL;
	struct ox_diag d;
	char *text;

	ox_diag_init(&d, "model");
	if (o->shapes)
		ox_shape_infer(m, 0, &d);
	ox_diag_release(&d);
	ox_diag_init(&d, "model");
	ck_assert_int_eq(ox_dot_build(m, o, &g, st, &d), 0);
	ox_diag_release(&d);
	text = dot_text(g);
	ox_dot_free(g);
	return text;
}

/* The counting rule of dot.h, from the IR. */
static void
expect_counts(const struct ox_graph *g, size_t *nodes, size_t *edges)
{
	for (size_t i = 0; i < g->n_inputs; i++)
		*nodes += !g->inputs[i]->init;
	for (size_t i = 0; i < g->n_outputs; i++) {
		(*nodes)++;
		*edges += !g->outputs[i]->init;
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];

		(*nodes)++;
		for (int k = 0; k < node->n_in; k++)
			*edges += node->in[k] && !node->in[k]->init;
		for (size_t k = 0; k < node->n_attrs; k++) {
			const struct ox_attr *a = &node->attrs[k];

			if (a->g) {
				expect_counts(a->g, nodes, edges);
				*edges += a->g->n_outputs;
			}
			for (size_t j = 0; j < a->n_graphs; j++) {
				expect_counts(a->graphs[j], nodes, edges);
				*edges += a->graphs[j]->n_outputs;
			}
		}
	}
}

static const char *const models[] = {
	"examples/tinycnn.onnx", "examples/tinybert.onnx", "tests/models/control_flow.onnx",
	"tests/models/mobilenet_v2_w025.onnx", "tests/models/opset9.onnx",
};

START_TEST(test_parses_back_with_counts)
{
	struct ox_model *m = load(models[_i]);
	struct ox_dot_opts o = { .shapes = true, .attrs = true };
	struct ox_dot_stats st;
	size_t nodes = 0, edges = 0;
	char *text = draw(m, &o, &st);
	Agraph_t *g;

	expect_counts(m->graph, &nodes, &edges);
	ox_dot_quiet();
	g = agmemread(text);
	ck_assert_msg(g != NULL, "%s: the DOT does not parse: %s", models[_i],
		      ox_dot_graphviz_error());
	ck_assert_int_eq((size_t)agnnodes(g), nodes);
	ck_assert_int_eq((size_t)agnedges(g), edges);
	ck_assert_int_eq(st.nodes, nodes);
	ck_assert_int_eq(st.edges, edges);
	agclose(g);
	free(text);
	ox_model_free(m);
}
END_TEST

START_TEST(test_tinycnn_by_hand)
{
	struct ox_model *m = load("examples/tinycnn.onnx");
	struct ox_dot_opts o = { 0 };
	struct ox_dot_stats st;
	char *text = draw(m, &o, &st);

	/* 11 nodes + input + logits; edges: Conv, BN, Relu, MaxPool, Conv, BN, Relu,
	 * Add (two), GlobalAveragePool, Flatten, Gemm, and logits: 13. The 12
	 * initializers are rows, not edges. */
	ck_assert_int_eq(st.nodes, 13);
	ck_assert_int_eq(st.edges, 13);
	ck_assert_int_eq(st.clusters, 0);
	/* The first Conv's weight [16,3,3,3] as a row, in Netron's spelling. */
	ck_assert_ptr_nonnull(strstr(text, "W&#10216;16&#215;3&#215;3&#215;3&#10217;"));
	free(text);
	ox_model_free(m);
}
END_TEST

START_TEST(test_shapes_on_edges)
{
	struct ox_model *m = load("examples/tinycnn.onnx");
	struct ox_dot_opts o = { .shapes = true };
	char *text = draw(m, &o, NULL);
	Agraph_t *g;
	int labelled = 0, conv_out = 0, logits = 0;

	ox_dot_quiet();
	g = agmemread(text);
	ck_assert_ptr_nonnull(g);
	for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n))
		for (Agedge_t *e = agfstout(g, n); e; e = agnxtout(g, e)) {
			const char *l = agget(e, "label");

			labelled += l && *l;
			/* input [batch,3,32,32], 3x3 Conv pad 1 to 16 channels. */
			conv_out += l && !strcmp(l, "batchx16x32x32");
			/* Gemm to 10 classes. */
			logits += l && !strcmp(l, "batchx10");
		}
	ck_assert_int_eq(labelled, agnedges(g));
	ck_assert_int_eq(conv_out, 3);  /* Conv->BN, BN->Relu, Relu->MaxPool */
	ck_assert_int_eq(logits, 1);
	agclose(g);
	free(text);
	ox_model_free(m);
}
END_TEST

START_TEST(test_golden_tinycnn)
{
	struct ox_model *m = load("examples/tinycnn.onnx");
	struct ox_dot_opts o = { .shapes = true, .attrs = true };
	char *text = draw(m, &o, NULL), *path = src_path("tests/golden/tinycnn.dot");
	FILE *f = fopen(path, "rb");
	char *want;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	want = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(want, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	ck_assert_msg(!strcmp(text, want), "the DOT of tinycnn differs from %s", path);
	free(want);
	free(path);
	free(text);
	ox_model_free(m);
}
END_TEST

/* Names a hostile model might carry: markup, entities, DOT syntax, backslash
 * escapes Graphviz would expand, control bytes, broken UTF-8, a very long name. */
static const char *const hostile[] = {
	"\"><script>alert(1)</script>", "a&amp;b&#0;&bogus;", "]]> } digraph x { a -> b",
	"\\N\\G\\L\\\"", "\x01\x02\n\r\x7f", "\xff\xfe\xc0\x80\xed\xa0\x80",
	"caf\xc3\xa9 \xe2\x9f\xa8ok\xe2\x9f\xa9",
	"long_long_long_long_long_long_long_long_long_long_long_long_long_long_long",
};

START_TEST(test_hostile_names)
{
	size_t k = sizeof hostile / sizeof hostile[0];
	struct ox_model *m = ox_model_new();
	struct ox_graph *g = ox_graph_new(m, NULL);
	struct ox_value *prev;
	struct ox_dot_opts o = { .names = true, .attrs = true, .shapes = true };
	struct ox_diag d;
	Agraph_t *dg = NULL, *back;
	char *text, *svg;
	size_t len;

	m->graph = g;
	prev = ox_value_new(g, hostile[0]);
	ck_assert_int_eq(ox_graph_add_input(g, prev), 0);
	for (size_t i = 0; i < k; i++) {
		struct ox_node *node = ox_node_new(g, hostile[(i + 1) % k], "evil.domain", 1, 1);
		struct ox_attr *a = ox_arena_calloc(&m->arena, 1, sizeof *a);

		ck_assert_ptr_nonnull(node);
		ck_assert_int_eq(ox_node_set_input(node, 0, prev), 0);
		node->name = ox_arena_strdup(&m->arena, hostile[i]);
		a->name = hostile[i];
		a->type = OX_ATTR_STRING;
		a->s.data = (const uint8_t *)hostile[(i + 2) % k];
		a->s.len = strlen(hostile[(i + 2) % k]);
		node->attrs = a;
		node->n_attrs = 1;
		prev = node->out[0];
	}
	ck_assert_int_eq(ox_graph_add_output(g, prev), 0);
	ox_diag_init(&d, "hostile");
	ck_assert_int_eq(ox_dot_build(m, &o, &dg, NULL, &d), 0);
	text = dot_text(dg);
	for (const char *p = text; *p; p++)
		ck_assert_msg((*p >= 0x20 && *p < 0x7f) || *p == '\n' || *p == '\t',
			      "byte 0x%02x in the DOT", (unsigned char)*p);
	ck_assert_ptr_null(strstr(text, "<script>"));
	ck_assert_ptr_nonnull(strstr(text, "&lt;script&gt;"));
	ck_assert_ptr_nonnull(strstr(text, "caf&#233; &#10216;ok&#10217;"));
	ox_dot_quiet();
	back = agmemread(text);
	ck_assert_msg(back != NULL, "the DOT does not parse: %s", ox_dot_graphviz_error());
	ck_assert_int_eq(agnnodes(back), (int)k + 2);
	ck_assert_int_eq(agnedges(back), (int)k + 1);
	agclose(back);
	/* Graphviz itself must accept every label. */
	ck_assert_int_eq(ox_dot_render(dg, "svg", &svg, &len, &d), 0);
	ck_assert_ptr_nonnull(memmem(svg, len, "&lt;script&gt;", 14));
	ck_assert_ptr_null(memmem(svg, len, "<script>", 8));
	ck_assert_int_eq(d.n, 0);
	free(svg);
	free(text);
	ox_dot_free(dg);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_render_formats)
{
	struct ox_model *m = load("tests/models/control_flow.onnx");
	struct ox_dot_opts o = { .shapes = true };
	struct ox_dot_stats st;
	Agraph_t *g = NULL;
	struct ox_diag d;
	char *data;
	size_t len;

	ox_diag_init(&d, "control_flow");
	ck_assert_int_eq(ox_dot_build(m, &o, &g, &st, &d), 0);
	ck_assert_int_eq(st.clusters, 3); /* the Loop body and the If's two branches */
	ck_assert_int_eq(ox_dot_render(g, "svg", &data, &len, &d), 0);
	ck_assert_ptr_nonnull(memmem(data, len, "<svg", 4));
	ck_assert_ptr_nonnull(memmem(data, len, "class=\"cluster\"", 15));
	free(data);
	/* Rendering twice works: the layout is undone in between. */
	ck_assert_int_eq(ox_dot_render(g, "png", &data, &len, &d), 0);
	ck_assert_int_gt(len, 8);
	ck_assert_int_eq(memcmp(data, "\x89PNG\r\n\x1a\n", 8), 0);
	free(data);
	ck_assert_int_eq(ox_dot_render(g, "no-such-format", &data, &len, &d), OX_EUNSUPPORTED);
	ck_assert_ptr_null(data);
	ox_dot_free(g);
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

START_TEST(test_diff_marks_new_nodes)
{
	struct ox_model *base = load("examples/tinycnn.onnx");
	struct ox_model *m = load("examples/tinycnn.onnx");
	struct ox_dot_opts o = { .mark = ox_dot_diff_mark, .legend = { "new" } };
	struct ox_dot_stats st;
	struct ox_dot_diff df;
	struct ox_diag d;
	struct ox_node *conv = NULL;
	char *text;

	ox_diag_init(&d, "base");
	ck_assert_int_eq(ox_dot_diff_init(&df, base, &d), 0);
	ck_assert_int_eq(df.base_nodes, 11);
	o.mark_arg = &df;
	text = draw(m, &o, &st);
	ck_assert_int_eq(st.marked[0], 0);
	ck_assert_ptr_null(strstr(text, "(new)"));
	free(text);
	/* A Conv that reads another weight (as after folding a BatchNormalization into
	 * it) is new; its neighbours are not. */
	for (size_t i = 0; i < m->graph->n_nodes && !conv; i++)
		if (ox_node_is(m->graph->nodes[i], "", "Conv"))
			conv = m->graph->nodes[i];
	ck_assert_ptr_nonnull(conv);
	for (size_t i = 0; i < m->graph->n_inits; i++)
		if (m->graph->inits[i] != conv->in[1]) {
			ck_assert_int_eq(ox_node_set_input(conv, 1, m->graph->inits[i]), 0);
			break;
		}
	text = draw(m, &o, &st);
	ck_assert_int_eq(st.marked[0], 1);
	ck_assert_ptr_nonnull(strstr(text, "(new)"));
	ck_assert_ptr_nonnull(strstr(text, "new (1)")); /* the legend */
	free(text);
	ox_dot_diff_release(&df);
	ox_diag_release(&d);
	ox_model_free(m);
	ox_model_free(base);
}
END_TEST

/* Edges of the collapsed drawing by the rule of dot.h, from the IR alone: every edge
 * of the full drawing that touches no hidden node, plus one edge into the box from
 * each distinct outside source and one out of it to each distinct outside consumer
 * (graph outputs included). hidden[i] says whether main-graph node i is in the box;
 * the model here has no subgraphs and every input is defined. */
static size_t
collapsed_edges(const struct ox_graph *g, const bool *hidden)
{
	const struct ox_node *srcs[64], *dsts[64];
	size_t nodes = 0, edges = 0, n_src = 0, n_dst = 0;

	expect_counts(g, &nodes, &edges);
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];

		for (int k = 0; k < node->n_in; k++) {
			const struct ox_value *v = node->in[k];
			const struct ox_node *p = v && !v->init ? v->producer : NULL;
			bool p_hidden = p && hidden[p->id];
			const struct ox_node **set = hidden[i] ? srcs : dsts;
			size_t *n = hidden[i] ? &n_src : &n_dst, j;

			if (!v || v->init)
				continue;
			if (hidden[i] || p_hidden)
				edges--;
			if (hidden[i] == p_hidden)
				continue;
			/* Into the box: count distinct sources (NULL: a graph input, one
			 * ellipse per input, told apart by the value). Out of it: distinct
			 * consumers. */
			p = hidden[i] ? (p ? p : (const struct ox_node *)v) : node;
			for (j = 0; j < *n && set[j] != p; j++)
				;
			if (j == *n) {
				ck_assert_uint_lt(*n, 64);
				set[(*n)++] = p;
			}
		}
	}
	/* A graph output's edge stays, from the box when a hidden node makes it. */
	return edges + n_src + n_dst;
}

/* tinybert has two identical encoder layers; over max_nodes the second one becomes
 * one box. The layer is nodes 39..129 (91 nodes: from the first Shape of the
 * attention to the second LayerNorm's Add), the second one 130..220, the end of
 * the graph. */
START_TEST(test_collapse_repeats)
{
	struct ox_model *m = load("examples/tinybert.onnx");
	const struct ox_graph *mg = m->graph;
	struct ox_dot_opts o = { .max_nodes = 200 };
	struct ox_dot_stats st;
	bool hidden[221] = { 0 };
	Agraph_t *g = NULL;
	struct ox_diag d;
	char *text;
	Agraph_t *back;

	ck_assert_int_eq(mg->n_nodes, 221);
	for (size_t i = 0; i < 91; i++) {
		ck_assert_str_eq(mg->nodes[39 + i]->op_type, mg->nodes[130 + i]->op_type);
		ck_assert_int_eq(mg->nodes[i]->id, (int)i);
		hidden[130 + i] = true;
	}
	text = draw(m, &o, &st);
	ck_assert_int_eq(st.repeats, 1);
	ck_assert_int_eq(st.hidden, 91);
	/* 221 - 91 op boxes + the repeat box + 2 inputs + 1 output. */
	ck_assert_int_eq(st.nodes, 221 - 91 + 1 + 2 + 1);
	ck_assert_int_eq(st.edges, collapsed_edges(mg, hidden));
	ck_assert_ptr_nonnull(strstr(text, "&#215;1 repeated"));
	ck_assert_ptr_nonnull(strstr(text, "the block above, 91 nodes:"));
	ox_dot_quiet();
	back = agmemread(text);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq((size_t)agnnodes(back), st.nodes);
	ck_assert_int_eq((size_t)agnedges(back), st.edges);
	agclose(back);
	free(text);

	/* At or above the node count nothing is collapsed. */
	o.max_nodes = 221;
	free(draw(m, &o, &st));
	ck_assert_int_eq(st.repeats, 0);
	ck_assert_int_eq(st.nodes, 221 + 3);

	/* Below what collapsing can reach: one error naming the option. */
	o.max_nodes = 100;
	ox_diag_init(&d, "tinybert");
	ck_assert_int_eq(ox_dot_build(m, &o, &g, NULL, &d), OX_ELIMIT);
	ck_assert_ptr_null(g);
	ck_assert_int_eq(d.n, 1);
	ck_assert_ptr_nonnull(strstr(d.entries[0].message, "221 nodes, still 131 after collapsing 1 run"));
	ck_assert_ptr_nonnull(strstr(d.entries[0].message, "--max-nodes 100"));
	ox_diag_release(&d);
	ox_model_free(m);
}
END_TEST

/* A chain of identical blocks collapses to its first block and one box with one edge
 * in and one out: MobileNetV2's inverted residuals, of which stages repeat the
 * 10-node block Conv, Constant, Constant, Clip, Conv, Constant, Constant, Clip,
 * Conv, Add. */
START_TEST(test_collapse_chain)
{
	struct ox_model *m = load("tests/models/mobilenet_v2_w025.onnx");
	struct ox_dot_opts o = { .max_nodes = 150 };
	struct ox_dot_stats st;
	size_t nodes = 0, edges = 0;
	char *text;
	Agraph_t *back;

	expect_counts(m->graph, &nodes, &edges);
	text = draw(m, &o, &st);
	ck_assert_int_ge(st.repeats, 1);
	ck_assert_int_le(st.nodes - 2, 150);  /* op boxes, without input and output */
	ck_assert_int_eq(st.nodes, nodes - st.hidden + st.repeats);
	ck_assert_int_lt(st.edges, edges);
	ox_dot_quiet();
	back = agmemread(text);
	ck_assert_ptr_nonnull(back);
	ck_assert_int_eq((size_t)agnnodes(back), st.nodes);
	ck_assert_int_eq((size_t)agnedges(back), st.edges);
	/* Every box stands for whole blocks and has one edge in and one out. */
	for (Agnode_t *n = agfstnode(back); n; n = agnxtnode(back, n)) {
		if (agnameof(n)[0] != 'r')
			continue;
		ck_assert_int_eq(agdegree(back, n, 1, 0), 1);
		ck_assert_int_eq(agdegree(back, n, 0, 1), 1);
	}
	agclose(back);
	free(text);
	ox_model_free(m);
}
END_TEST

static Suite *
dot_suite(void)
{
	Suite *s = suite_create("dot");
	TCase *tc = tcase_create("dot");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_parses_back_with_counts, 0,
			    (int)(sizeof models / sizeof models[0]));
	tcase_add_test(tc, test_tinycnn_by_hand);
	tcase_add_test(tc, test_shapes_on_edges);
	tcase_add_test(tc, test_golden_tinycnn);
	tcase_add_test(tc, test_hostile_names);
	tcase_add_test(tc, test_render_formats);
	tcase_add_test(tc, test_diff_marks_new_nodes);
	tcase_add_test(tc, test_collapse_repeats);
	tcase_add_test(tc, test_collapse_chain);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dot_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

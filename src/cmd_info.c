/* cmd_info.c: `onnx-opt info`: what a model holds, as text or JSON. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shape.h"

struct op_count {
	const char *domain, *op;
	size_t n;
};

struct stats {
	size_t nodes, nodes_deep, subgraphs, inits, sparse_inits;
	int64_t params;
	uint64_t bytes;
	struct op_count *ops;
	size_t n_ops, cap_ops;
	struct ox_strmap op_index; /* "domain\x1fop" -> index + 1 */
	struct ox_arena keys;
};

static int
count_op(struct stats *s, const struct ox_node *node)
{
	const char *dom = ox_domain_is_onnx(node->domain) ? "ai.onnx" : node->domain;
	char *key = ox_arena_printf(&s->keys, "%s\x1f%s", dom, node->op_type);
	size_t idx;

	if (!key)
		return -1;
	idx = (size_t)(uintptr_t)ox_strmap_get(&s->op_index, key);
	if (!idx) {
		if (s->n_ops == s->cap_ops) {
			size_t cap = s->cap_ops ? s->cap_ops * 2 : 32;
			void *p = realloc(s->ops, cap * sizeof *s->ops);

			if (!p)
				return -1;
			s->ops = p;
			s->cap_ops = cap;
		}
		s->ops[s->n_ops] = (struct op_count){ dom, node->op_type, 0 };
		idx = ++s->n_ops;
		if (ox_strmap_put(&s->op_index, key, (void *)(uintptr_t)idx) < 0)
			return -1;
	}
	s->ops[idx - 1].n++;
	return 0;
}

static void
count_tensor(struct stats *s, const struct ox_tensor *t)
{
	s->params += t->nelem;
	if (t->dtype == OX_STRING)
		for (int64_t i = 0; i < t->nelem; i++)
			s->bytes += t->strings[i].len;
	else
		s->bytes += t->nbytes;
}

static int
walk(struct stats *s, const struct ox_graph *g, bool top)
{
	for (size_t i = 0; i < g->n_inits; i++) {
		s->inits++;
		count_tensor(s, g->inits[i]->init);
	}
	s->sparse_inits += g->n_sparse_inits;
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];

		if (node->dead)
			continue;
		s->nodes_deep++;
		s->nodes += top;
		if (count_op(s, node) < 0)
			return -1;
		for (size_t k = 0; k < node->n_attrs; k++) {
			const struct ox_attr *a = &node->attrs[k];

			if (a->g) {
				s->subgraphs++;
				if (walk(s, a->g, false) < 0)
					return -1;
			}
			for (size_t j = 0; j < a->n_graphs; j++) {
				s->subgraphs++;
				if (walk(s, a->graphs[j], false) < 0)
					return -1;
			}
		}
	}
	return 0;
}

static int
by_count(const void *a, const void *b)
{
	const struct op_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	if (strcmp(x->domain, y->domain))
		return strcmp(x->domain, y->domain);
	return strcmp(x->op, y->op);
}

/* Graph inputs that are not initializers: what a caller feeds. */
static bool
is_fed(const struct ox_value *v)
{
	return !v->init && !v->is_sparse;
}

static json_t *
value_json(const struct ox_value *v)
{
	const struct ox_type *t = v->type;
	json_t *o = json_object(), *shape;
	char buf[512];

	json_object_set_new(o, "name", json_string(v->name));
	json_object_set_new(o, "type", json_string(ox_cli_type(t, buf, sizeof buf)));
	if (t && (t->kind == OX_TYPE_TENSOR || t->kind == OX_TYPE_SPARSE)) {
		json_object_set_new(o, "dtype", t->has_elem ? json_string(ox_dtype_name(t->elem)) : json_null());
		if (t->rank < 0) {
			shape = json_null();
		} else {
			shape = json_array();
			for (int i = 0; i < t->rank; i++) {
				const struct ox_dim *d = &t->dims[i];

				json_array_append_new(shape, d->kind == OX_DIM_VALUE ? json_integer(d->value)
							     : d->kind == OX_DIM_PARAM ? json_string(d->param)
										       : json_null());
			}
		}
		json_object_set_new(o, "shape", shape);
	}
	return o;
}

static const char *
opset_domain(const struct ox_opset *o)
{
	return ox_domain_is_onnx(o->domain) ? "ai.onnx" : o->domain;
}

static int
print_json(const char *path, const struct ox_model *m, const struct stats *s)
{
	const struct ox_graph *g = m->graph;
	json_t *root = json_object(), *arr, *o;

	json_object_set_new(root, "schema_version", json_integer(1));
	json_object_set_new(root, "file", json_string(path));
	json_object_set_new(root, "ir_version", m->has_ir_version ? json_integer(m->ir_version) : json_null());
	json_object_set_new(root, "producer_name", json_string(m->producer_name ? m->producer_name : ""));
	json_object_set_new(root, "producer_version", json_string(m->producer_version ? m->producer_version : ""));
	json_object_set_new(root, "graph_name", json_string(g->name ? g->name : ""));
	arr = json_array();
	for (size_t i = 0; i < m->n_opsets; i++) {
		o = json_object();
		json_object_set_new(o, "domain", json_string(opset_domain(&m->opsets[i])));
		json_object_set_new(o, "version", json_integer(m->opsets[i].version));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "opsets", arr);
	arr = json_array();
	for (size_t i = 0; i < g->n_inputs; i++)
		if (is_fed(g->inputs[i]))
			json_array_append_new(arr, value_json(g->inputs[i]));
	json_object_set_new(root, "inputs", arr);
	arr = json_array();
	for (size_t i = 0; i < g->n_outputs; i++)
		json_array_append_new(arr, value_json(g->outputs[i]));
	json_object_set_new(root, "outputs", arr);
	json_object_set_new(root, "nodes", json_integer((json_int_t)s->nodes));
	json_object_set_new(root, "nodes_with_subgraphs", json_integer((json_int_t)s->nodes_deep));
	json_object_set_new(root, "subgraphs", json_integer((json_int_t)s->subgraphs));
	json_object_set_new(root, "functions", json_integer((json_int_t)m->n_functions));
	json_object_set_new(root, "initializers", json_integer((json_int_t)s->inits));
	json_object_set_new(root, "sparse_initializers", json_integer((json_int_t)s->sparse_inits));
	json_object_set_new(root, "parameters", json_integer(s->params));
	json_object_set_new(root, "parameter_bytes", json_integer((json_int_t)s->bytes));
	arr = json_array();
	for (size_t i = 0; i < s->n_ops; i++) {
		o = json_object();
		json_object_set_new(o, "domain", json_string(s->ops[i].domain));
		json_object_set_new(o, "op", json_string(s->ops[i].op));
		json_object_set_new(o, "count", json_integer((json_int_t)s->ops[i].n));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "ops", arr);
	o = json_object();
	for (size_t i = 0; i < m->n_metadata; i++)
		if (m->metadata[i].key)
			json_object_set_new(o, m->metadata[i].key,
					    json_string(m->metadata[i].value ? m->metadata[i].value : ""));
	json_object_set_new(root, "metadata", o);
	if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) < 0) {
		json_decref(root);
		return -1;
	}
	putchar('\n');
	json_decref(root);
	return 0;
}

static void
print_text(const char *path, const struct ox_model *m, const struct stats *s)
{
	const struct ox_graph *g = m->graph;
	char buf[512], b2[64];
	int w = 0;

	printf("model        %s\n", path);
	if (m->has_ir_version)
		printf("ir_version   %lld\n", (long long)m->ir_version);
	printf("producer     %s %s\n", m->producer_name ? m->producer_name : "(none)",
	       m->producer_version ? m->producer_version : "");
	printf("opsets      ");
	for (size_t i = 0; i < m->n_opsets; i++)
		printf(" %s %lld%s", opset_domain(&m->opsets[i]), (long long)m->opsets[i].version,
		       i + 1 < m->n_opsets ? "," : "");
	printf("\n");
	for (size_t i = 0; i < g->n_inputs; i++)
		if ((int)strlen(g->inputs[i]->name) > w)
			w = (int)strlen(g->inputs[i]->name);
	for (size_t i = 0; i < g->n_outputs; i++)
		if ((int)strlen(g->outputs[i]->name) > w)
			w = (int)strlen(g->outputs[i]->name);
	printf("inputs\n");
	for (size_t i = 0; i < g->n_inputs; i++)
		if (is_fed(g->inputs[i]))
			printf("  %-*s  %s\n", w, g->inputs[i]->name, ox_cli_type(g->inputs[i]->type, buf, sizeof buf));
	printf("outputs\n");
	for (size_t i = 0; i < g->n_outputs; i++)
		printf("  %-*s  %s\n", w, g->outputs[i]->name, ox_cli_type(g->outputs[i]->type, buf, sizeof buf));
	printf("nodes        %zu", s->nodes);
	if (s->subgraphs)
		printf(" (%zu with %zu subgraphs)", s->nodes_deep, s->subgraphs);
	printf("\n");
	if (m->n_functions)
		printf("functions    %zu\n", m->n_functions);
	printf("initializers %zu", s->inits);
	if (s->sparse_inits)
		printf(" (+%zu sparse)", s->sparse_inits);
	printf("\nparameters   %lld (%s)\n", (long long)s->params, ox_cli_bytes((double)s->bytes, b2, sizeof b2));
	for (size_t i = 0; i < m->n_metadata; i++)
		printf("metadata     %s = %s\n", m->metadata[i].key ? m->metadata[i].key : "",
		       m->metadata[i].value ? m->metadata[i].value : "");
	printf("ops\n");
	w = 0;
	for (size_t i = 0; i < s->n_ops; i++) {
		int n = (int)(strlen(s->ops[i].op) + (strcmp(s->ops[i].domain, "ai.onnx") ? strlen(s->ops[i].domain) + 1 : 0));

		if (n > w)
			w = n;
	}
	for (size_t i = 0; i < s->n_ops; i++) {
		if (strcmp(s->ops[i].domain, "ai.onnx"))
			snprintf(buf, sizeof buf, "%s:%s", s->ops[i].domain, s->ops[i].op);
		else
			snprintf(buf, sizeof buf, "%s", s->ops[i].op);
		printf("  %-*s  %zu\n", w, buf, s->ops[i].n);
	}
}

/* Every value of g and its subgraphs with its type, one per line, after inference. */
static void
print_shapes(const struct ox_graph *g, int depth)
{
	char buf[512];

	for (size_t i = 0; i < g->n_values; i++) {
		const struct ox_value *v = g->values[i];

		if (v->dead || v->info_only)
			continue;
		printf("  %*s%s  %s\n", depth * 2, "", v->name, ox_cli_type(v->type, buf, sizeof buf));
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];

		if (node->dead)
			continue;
		for (size_t k = 0; k < node->n_attrs; k++) {
			const struct ox_attr *a = &node->attrs[k];

			if (a->g) {
				printf("  %*s[%s of %s '%s']\n", depth * 2, "", a->name, node->op_type,
				       node->name ? node->name : "");
				print_shapes(a->g, depth + 1);
			}
			for (size_t j = 0; j < a->n_graphs; j++)
				print_shapes(a->graphs[j], depth + 1);
		}
	}
}

static void
help(void)
{
	printf("Usage: %s info MODEL [--json] [--shapes]\n\n"
	       "Show a model's IR version, producer, opset imports, inputs and outputs with\n"
	       "dtype and shape (symbolic dims by name), node count, op histogram by domain,\n"
	       "initializer and parameter counts, and subgraph count.\n\n"
	       "Options:\n"
	       "  -j, --json   print one JSON object instead of text\n"
	       "  -s, --shapes infer shapes and list every value with its type\n"
	       "  -h, --help   show this help\n", ox_prog);
}

int
ox_cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "shapes", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, shapes = false;
	struct ox_model *m;
	struct stats s;
	int c, rc = OX_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jsh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 's': shapes = true; break;
		case 'h': help(); return OX_EXIT_OK;
		default: return ox_cli_usage_error("info", "bad option");
		}
	}
	if (optind != argc - 1)
		return ox_cli_usage_error("info", "expected one MODEL");
	m = ox_cli_load(argv[optind]);
	if (!m)
		return OX_EXIT_ERROR;
	if (shapes) {
		struct ox_diag d;

		/* Before the summary, so that outputs show their inferred types too. */
		ox_diag_init(&d, argv[optind]);
		if (ox_shape_infer(m, 0, &d) < 0)
			rc = OX_EXIT_ERROR;
		ox_diag_print(&d, ox_prog);
		ox_diag_release(&d);
	}
	memset(&s, 0, sizeof s);
	ox_strmap_init(&s.op_index);
	ox_arena_init(&s.keys);
	if (walk(&s, m->graph, true) < 0) {
		fprintf(stderr, "%s: %s: out of memory\n", ox_prog, argv[optind]);
		rc = OX_EXIT_ERROR;
	} else {
		qsort(s.ops, s.n_ops, sizeof *s.ops, by_count);
		if (json) {
			if (print_json(argv[optind], m, &s) < 0)
				rc = OX_EXIT_ERROR;
		} else {
			print_text(argv[optind], m, &s);
			if (shapes) {
				printf("values\n");
				print_shapes(m->graph, 0);
			}
		}
	}
	free(s.ops);
	ox_strmap_release(&s.op_index);
	ox_arena_release(&s.keys);
	ox_model_free(m);
	return rc;
}

/* cmd_info.c: `onnx-opt info`: what models hold, as text, JSON or JSON Lines; several
 * models are read by up to --jobs threads and printed in command-line order. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
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
	json_object_set_new(o, "type", json_string(ox_type_format(t, buf, sizeof buf)));
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

static json_t *
model_json(const char *path, const struct ox_model *m, const struct stats *s)
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
	return root;
}

/* "key  value" lines, aligned. */
static void
kv(struct ox_table *tb, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
kv(struct ox_table *tb, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ox_table_row(tb, false, OX_STYLE_RESET);
	ox_table_cell(tb, key);
	ox_table_cell(tb, buf);
}

static void
values(FILE *f, const char *title, struct ox_value *const *v, size_t n, bool fed_only)
{
	struct ox_table tb;
	char buf[512];

	fprintf(f, "%s\n", title);
	ox_table_init(&tb, "  ");
	for (size_t i = 0; i < n; i++) {
		if (fed_only && !is_fed(v[i]))
			continue;
		ox_table_row(&tb, false, OX_STYLE_RESET);
		ox_table_cell(&tb, v[i]->name);
		ox_table_cell(&tb, ox_type_format(v[i]->type, buf, sizeof buf));
	}
	ox_table_print(&tb, f);
	ox_table_release(&tb);
}

static void
print_text(FILE *f, const char *path, const struct ox_model *m, const struct stats *s)
{
	const struct ox_graph *g = m->graph;
	struct ox_table tb;
	char buf[512], b2[64];
	size_t at = 0;

	ox_table_init(&tb, "");
	kv(&tb, "model", "%s", path);
	if (m->has_ir_version)
		kv(&tb, "ir_version", "%lld", (long long)m->ir_version);
	kv(&tb, "producer", "%s %s", m->producer_name ? m->producer_name : "(none)",
	   m->producer_version ? m->producer_version : "");
	buf[0] = '\0';
	for (size_t i = 0; i < m->n_opsets && at < sizeof buf; i++)
		at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s %lld", i ? ", " : "",
				       opset_domain(&m->opsets[i]), (long long)m->opsets[i].version);
	kv(&tb, "opsets", "%s", buf);
	if (s->subgraphs)
		kv(&tb, "nodes", "%zu (%zu with %zu subgraphs)", s->nodes, s->nodes_deep, s->subgraphs);
	else
		kv(&tb, "nodes", "%zu", s->nodes);
	if (m->n_functions)
		kv(&tb, "functions", "%zu", m->n_functions);
	if (s->sparse_inits)
		kv(&tb, "initializers", "%zu (+%zu sparse)", s->inits, s->sparse_inits);
	else
		kv(&tb, "initializers", "%zu", s->inits);
	kv(&tb, "parameters", "%lld (%s)", (long long)s->params, ox_cli_bytes((double)s->bytes, b2, sizeof b2));
	for (size_t i = 0; i < m->n_metadata; i++)
		kv(&tb, "metadata", "%s = %s", m->metadata[i].key ? m->metadata[i].key : "",
		   m->metadata[i].value ? m->metadata[i].value : "");
	ox_table_print(&tb, f);
	ox_table_release(&tb);
	values(f, "inputs", g->inputs, g->n_inputs, true);
	values(f, "outputs", g->outputs, g->n_outputs, false);
	fprintf(f, "ops\n");
	ox_table_init(&tb, "  ");
	ox_table_right(&tb, 1);
	ox_table_header(&tb, "op", "count", NULL);
	for (size_t i = 0; i < s->n_ops; i++) {
		ox_table_row(&tb, false, OX_STYLE_RESET);
		if (strcmp(s->ops[i].domain, "ai.onnx"))
			ox_table_cellf(&tb, "%s:%s", s->ops[i].domain, s->ops[i].op);
		else
			ox_table_cell(&tb, s->ops[i].op);
		ox_table_cellf(&tb, "%zu", s->ops[i].n);
	}
	ox_table_print(&tb, f);
	ox_table_release(&tb);
}

/* Every value of g and its subgraphs with its type, one row each, after inference. */
static void
shape_rows(struct ox_table *tb, const struct ox_graph *g, int depth)
{
	char buf[512];

	for (size_t i = 0; i < g->n_values; i++) {
		const struct ox_value *v = g->values[i];

		if (v->dead || v->info_only)
			continue;
		ox_table_row(tb, false, OX_STYLE_RESET);
		ox_table_cellf(tb, "%*s%s", depth * 2, "", v->name);
		ox_table_cell(tb, ox_type_format(v->type, buf, sizeof buf));
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];

		if (node->dead)
			continue;
		for (size_t k = 0; k < node->n_attrs; k++) {
			const struct ox_attr *a = &node->attrs[k];

			if (a->g) {
				ox_table_row(tb, false, OX_STYLE_RESET);
				ox_table_cellf(tb, "%*s[%s of %s '%s']", depth * 2, "", a->name,
					       node->op_type, node->name ? node->name : "");
				shape_rows(tb, a->g, depth + 1);
			}
			for (size_t j = 0; j < a->n_graphs; j++)
				shape_rows(tb, a->graphs[j], depth + 1);
		}
	}
}

static void
print_shapes(FILE *f, const struct ox_graph *g)
{
	struct ox_table tb;

	fprintf(f, "values\n");
	ox_table_init(&tb, "  ");
	shape_rows(&tb, g, 0);
	ox_table_print(&tb, f);
	ox_table_release(&tb);
}

static void
help(void)
{
	printf("Usage: %s info MODEL... [--format text|json|jsonl] [--shapes] [--jobs N]\n\n"
	       "Show a model's IR version, producer, opset imports, inputs and outputs with\n"
	       "dtype and shape (symbolic dims by name), node count, op histogram by domain,\n"
	       "initializer and parameter counts, and subgraph count.\n\n"
	       "Options:\n"
	       "  -f, --format FMT  text (default); json: one object for one MODEL, an array\n"
	       "                    of them for several; jsonl: that object on one line per\n"
	       "                    model, written as each one is done\n"
	       "      --json        the same as --format json\n"
	       "  -s, --shapes      infer shapes and list every value with its type\n"
	       "  -j, --jobs N      read N models at a time (default 1); the output keeps\n"
	       "                    the command line's order\n"
	       "  -h, --help        show this help\n", ox_prog);
}

enum format { FMT_TEXT, FMT_JSON, FMT_JSONL };

/* One model: read, inferred and counted by a worker, printed by done(). */
struct item {
	struct ox_diag diag;
	struct ox_model *m;
	struct stats s;
	bool failed;                /* could not load, or out of memory */
	bool counted;               /* loaded and walked: something to print */
};

struct run {
	char **paths;
	struct item *items;
	size_t n;
	enum format fmt;
	bool shapes;
	json_t *all;                /* FMT_JSON with several models */
	int rc;
};

static void
work(size_t i, void *arg)
{
	struct run *p = arg;
	struct item *it = &p->items[i];
	struct ox_progress pr;
	char label[512];

	ox_diag_init(&it->diag, p->paths[i]);
	memset(&it->s, 0, sizeof it->s);
	ox_strmap_init(&it->s.op_index);
	ox_arena_init(&it->s.keys);
	/* Only a batch of one runs on the main thread, which may draw. */
	if (p->n == 1)
		ox_cli_load_progress(&pr, p->paths[i], label, sizeof label);
	if (ox_model_load_flags(p->paths[i], OX_LOAD_IN_PLACE, &it->m, &it->diag) < 0) {
		if (p->n == 1)
			ox_progress_end(&pr);
		it->m = NULL;
		it->failed = true;
		return;
	}
	if (p->n == 1)
		ox_progress_end(&pr);
	/* Before the summary, so that outputs show their inferred types too. */
	if (p->shapes && ox_shape_infer(it->m, 0, &it->diag) < 0)
		it->failed = true;
	if (walk(&it->s, it->m->graph, true) < 0) {
		ox_diag_error(&it->diag, OX_ENOMEM, "out of memory");
		it->failed = true;
		return;
	}
	qsort(it->s.ops, it->s.n_ops, sizeof *it->s.ops, by_count);
	it->counted = true;
}

static void
item_release(struct item *it)
{
	free(it->s.ops);
	it->s.ops = NULL;
	ox_strmap_release(&it->s.op_index);
	ox_arena_release(&it->s.keys);
	ox_model_free(it->m);
	it->m = NULL;
	ox_diag_release(&it->diag);
}

/* In command-line order, as each model is ready. */
static void
done(size_t i, void *arg)
{
	struct run *p = arg;
	struct item *it = &p->items[i];
	json_t *o;

	ox_diag_print(&it->diag, ox_prog);
	if (it->failed)
		p->rc = OX_EXIT_ERROR;
	if (!it->counted) {
		item_release(it);
		return;
	}
	if (p->fmt == FMT_TEXT) {
		if (i)
			putchar('\n');
		print_text(stdout, p->paths[i], it->m, &it->s);
		if (p->shapes)
			print_shapes(stdout, it->m->graph);
	} else if (!(o = model_json(p->paths[i], it->m, &it->s))) {
		p->rc = OX_EXIT_ERROR;
	} else if (p->all) {
		json_array_append_new(p->all, o);
	} else {
		size_t flags = p->fmt == FMT_JSONL ? JSON_COMPACT : JSON_INDENT(2);

		if (json_dumpf(o, stdout, flags | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) < 0)
			p->rc = OX_EXIT_ERROR;
		putchar('\n');
		json_decref(o);
	}
	fflush(stdout);
	item_release(it);
}

int
ox_cmd_info(int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "shapes", no_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run p = { .fmt = FMT_TEXT, .rc = OX_EXIT_OK };
	int c, jobs = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:sj:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "text"))
				p.fmt = FMT_TEXT;
			else if (!strcmp(optarg, "json"))
				p.fmt = FMT_JSON;
			else if (!strcmp(optarg, "jsonl"))
				p.fmt = FMT_JSONL;
			else
				return ox_cli_usage_error("info", "--format is text, json or jsonl, "
							  "not '%s'", optarg);
			break;
		case OPT_JSON: p.fmt = FMT_JSON; break;
		case 's': p.shapes = true; break;
		case 'j':
			if (!ox_cli_parse_jobs("info", optarg, &jobs))
				return OX_EXIT_ERROR;
			break;
		case 'h': help(); return OX_EXIT_OK;
		default: return ox_cli_usage_error("info", "bad option");
		}
	}
	if (optind >= argc)
		return ox_cli_usage_error("info", "expected at least one MODEL");
	p.paths = argv + optind;
	p.n = (size_t)(argc - optind);
	p.items = calloc(p.n, sizeof *p.items);
	if (p.fmt == FMT_JSON && p.n > 1)
		p.all = json_array();
	if (!p.items || (p.fmt == FMT_JSON && p.n > 1 && !p.all)) {
		free(p.items);
		json_decref(p.all);
		fprintf(stderr, "%s info: out of memory\n", ox_prog);
		return OX_EXIT_ERROR;
	}
	if (p.shapes)
		ox_shape_register();
	if (ox_cli_batch(p.n, jobs, "info", p.paths, work, done, &p) < 0) {
		fprintf(stderr, "%s info: out of memory\n", ox_prog);
		p.rc = OX_EXIT_ERROR;
	} else if (p.all) {
		if (json_dumpf(p.all, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) < 0)
			p.rc = OX_EXIT_ERROR;
		putchar('\n');
	}
	json_decref(p.all);
	free(p.items);
	return p.rc;
}

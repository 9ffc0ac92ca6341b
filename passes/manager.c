/* passes/manager.c: runs a list of passes over every graph of a model (pass.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onnx_io.h"
#include "pass.h"
#include "shape.h"

static const struct ox_pass_info table[] = {
#define PASS(name, needs, breaks, fixpoint, dflt, summary) \
	{ #name, ox_pass_##name, needs, breaks, fixpoint, dflt, summary },
#include "passes.def"
#undef PASS
};
#define N_PASSES (sizeof table / sizeof table[0])

const struct ox_pass_info *
ox_pass_list(size_t *n)
{
	*n = N_PASSES;
	return table;
}

const struct ox_pass_info *
ox_pass_find(const char *name)
{
	for (size_t i = 0; i < N_PASSES; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

/* Whether name appears in the comma-separated list. */
static bool
listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if (l == len && strncmp(p, name, len) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

/* Every name of a comma-separated list must be a pass. */
static int
check_names(const char *list, struct ox_diag *d)
{
	int r = 0;

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		bool found = false;

		for (size_t i = 0; i < N_PASSES && !found; i++)
			found = strlen(table[i].name) == l && strncmp(table[i].name, p, l) == 0;
		if (!found && l)
			r = ox_diag_error(d, OX_EUSAGE, "unknown pass '%.*s' (see `onnx-opt passes`)",
					  (int)l, p);
		p = e ? e + 1 : NULL;
	}
	return r;
}

int
ox_pipeline_parse(const char *passes, const char *skip, const struct ox_pass_info ***out,
		  size_t *n, struct ox_diag *d)
{
	const struct ox_pass_info **list;
	bool dflt = !passes || strcmp(passes, "default") == 0;
	bool none = passes && strcmp(passes, "none") == 0;
	size_t k = 0;
	int r;

	*out = NULL;
	*n = 0;
	if (!dflt && !none && (r = check_names(passes, d)) < 0)
		return r;
	if ((r = check_names(skip, d)) < 0)
		return r;
	if (!(list = calloc(N_PASSES * 4 + 1, sizeof *list)))
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	if (dflt) {
		for (size_t i = 0; i < N_PASSES; i++)
			if (table[i].in_default && !listed(skip, table[i].name))
				list[k++] = &table[i];
	} else if (!none) {
		/* The user's order, repetitions included (up to a sane bound). */
		for (const char *p = passes; p && *p && k < N_PASSES * 4;) {
			const char *e = strchr(p, ',');
			size_t l = e ? (size_t)(e - p) : strlen(p);

			for (size_t i = 0; i < N_PASSES; i++)
				if (strlen(table[i].name) == l && strncmp(table[i].name, p, l) == 0 &&
				    !listed(skip, table[i].name))
					list[k++] = &table[i];
			p = e ? e + 1 : NULL;
		}
	}
	*out = list;
	*n = k;
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct run {
	const struct ox_pass_info *p;
	struct ox_pass_ctx *pc;
	int max_iterations;
	long total;
};

static int run_graph(struct ox_graph *g, void *arg);

/* The pass on g (to its own fixed point when its row says so), then on g's subgraphs. */
static int
run_graph(struct ox_graph *g, void *arg)
{
	struct run *run = arg;
	int r, it = 0;

	do {
		r = run->p->fn(g, run->pc);
		/* A pass that rewrote nothing killed nothing: no need to compact. */
		if (r != 0)
			ox_graph_compact(g);
		if (r < 0)
			return r;
		run->total += r;
	} while (r > 0 && run->p->fixpoint && ++it < run->max_iterations);
	for (size_t i = 0; i < g->n_nodes; i++)
		if (!g->nodes[i]->dead && (r = ox_node_foreach_subgraph(g->nodes[i], run_graph, run)) < 0)
			return r;
	return 0;
}

static int
sort_graph(struct ox_graph *g, void *arg)
{
	int r;

	ox_graph_compact(g);
	if ((r = ox_graph_toposort(g, arg)) < 0)
		return r;
	for (size_t i = 0; i < g->n_nodes; i++)
		if ((r = ox_node_foreach_subgraph(g->nodes[i], sort_graph, arg)) < 0)
			return r;
	return 0;
}

/* Op counts of g and its subgraphs into rep (after: whether this is the final count). */
struct count_arg {
	struct ox_pipeline_report *rep;
	struct ox_arena *arena;
	bool after;
};

static int
count_graph(struct ox_graph *g, void *arg)
{
	struct count_arg *ca = arg;
	struct ox_pipeline_report *rep = ca->rep;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];
		const char *op = node->op_type;
		size_t k;

		if (node->dead)
			continue;
		if (!ox_domain_is_onnx(node->domain))
			op = ox_arena_printf(ca->arena, "%s.%s", node->domain, node->op_type);
		if (!op)
			return OX_ENOMEM;
		for (k = 0; k < rep->n_ops; k++)
			if (strcmp(rep->ops[k].op, op) == 0)
				break;
		if (k == rep->n_ops) {
			struct ox_op_count *ops = realloc(rep->ops, (k + 1) * sizeof *ops);

			if (!ops)
				return OX_ENOMEM;
			rep->ops = ops;
			memset(&ops[k], 0, sizeof ops[k]);
			ops[k].op = op;
			rep->n_ops++;
		}
		if (ca->after)
			rep->ops[k].after++;
		else
			rep->ops[k].before++;
		if (ox_node_foreach_subgraph(node, count_graph, ca) < 0)
			return OX_ENOMEM;
	}
	return 0;
}

static int
cmp_ops(const void *a, const void *b)
{
	return strcmp(((const struct ox_op_count *)a)->op, ((const struct ox_op_count *)b)->op);
}

static size_t
model_size(struct ox_model *m, struct ox_diag *d)
{
	uint8_t *buf = NULL;
	size_t len = 0;

	if (ox_model_save_buffer(m, &buf, &len, d) < 0)
		len = 0;
	free(buf);
	return len;
}

/* Shape inference for the passes that read types. Its contradictions are the model's
 * business, not the optimizer's: they stay out of the caller's diagnostics. */
static void
infer(struct ox_model *m)
{
	struct ox_diag scratch;

	ox_diag_init(&scratch, NULL);
	ox_shape_infer(m, 0, &scratch);
	ox_diag_release(&scratch);
}

int
ox_pipeline_run(struct ox_model *m, const struct ox_pipeline_opts *opts,
		struct ox_pipeline_report *rep, struct ox_diag *d)
{
	const struct ox_pass_info **list = NULL;
	struct ox_pass_ctx pc = { m, d, opts->fold_size_limit ? opts->fold_size_limit :
				  OX_FOLD_SIZE_LIMIT_DEFAULT, opts->verify };
	struct ox_pass_stat *stats = NULL;
	struct ox_type **in_types = NULL, **out_types = NULL;
	struct ox_graph *g = m->graph;
	bool fixed = opts->fixed_point || !opts->passes || strcmp(opts->passes, "default") == 0;
	int max_it = opts->max_iterations > 0 ? opts->max_iterations : OX_MAX_ITERATIONS_DEFAULT;
	bool shapes = false;
	double t_start = now();
	size_t n = 0;
	int r, it = 0;

	if (rep)
		memset(rep, 0, sizeof *rep);
	if ((r = ox_pipeline_parse(opts->passes, opts->skip, &list, &n, d)) < 0)
		return r;
	if (!g) {
		free(list);
		return 0;
	}
	stats = calloc(n + 1, sizeof *stats);
	in_types = calloc(g->n_inputs + 1, sizeof *in_types);
	out_types = calloc(g->n_outputs + 1, sizeof *out_types);
	if (!stats || !in_types || !out_types) {
		r = ox_diag_error(d, OX_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < g->n_inputs; i++)
		in_types[i] = g->inputs[i]->type;
	for (size_t i = 0; i < g->n_outputs; i++)
		out_types[i] = g->outputs[i]->type;
	for (size_t i = 0; i < n; i++)
		stats[i].name = list[i]->name;
	if (rep) {
		struct count_arg ca = { rep, &m->arena, false };

		rep->nodes_before = ox_graph_count_nodes(g, true);
		if ((r = count_graph(g, &ca)) < 0)
			goto done;
		if (opts->measure_size)
			rep->size_before = model_size(m, d);
	}
	/* The report times the passes, not its own serializations. */
	t_start = now();
	do {
		long total = 0;

		it++;
		for (size_t i = 0; i < n; i++) {
			struct run run = { list[i], &pc, max_it, 0 };
			double t0;

			if (opts->progress)
				opts->progress(opts->progress_arg, list[i]->name, it, i, n);
			if ((list[i]->needs & OX_A_SHAPES) && !shapes) {
				infer(m);
				shapes = true;
			}
			t0 = now();
			r = run_graph(g, &run);
			stats[i].seconds += now() - t0;
			stats[i].runs++;
			if (r < 0) {
				ox_diag_error(d, r, "pass %s failed", list[i]->name);
				goto done;
			}
			stats[i].rewrites += run.total;
			total += run.total;
			if (run.total && (list[i]->breaks & OX_A_SHAPES))
				shapes = false;
			if (pc.verify && (r = ox_graph_verify(g, d)) < 0) {
				ox_diag_error(d, r, "the IR is broken after pass %s", list[i]->name);
				goto done;
			}
		}
		if (!total)
			break;
	} while (fixed && it < max_it);
	if ((r = sort_graph(g, d)) < 0)
		goto done;
	/* Inference may have refined what the file declared; users see the interface
	 * exactly as it was. */
	for (size_t i = 0; i < g->n_inputs; i++)
		g->inputs[i]->type = in_types[i];
	for (size_t i = 0; i < g->n_outputs; i++)
		g->outputs[i]->type = out_types[i];
	if (pc.verify && (r = ox_graph_verify(g, d)) < 0)
		goto done;
	if (rep) {
		struct count_arg ca = { rep, &m->arena, true };

		rep->seconds = now() - t_start;
		rep->nodes_after = ox_graph_count_nodes(g, true);
		if ((r = count_graph(g, &ca)) < 0)
			goto done;
		qsort(rep->ops, rep->n_ops, sizeof *rep->ops, cmp_ops);
		if (opts->measure_size)
			rep->size_after = model_size(m, d);
		rep->iterations = it;
		rep->passes = stats;
		rep->n_passes = n;
		stats = NULL;
	}
	r = 0;
done:
	free(stats);
	free(list);
	free(in_types);
	free(out_types);
	return r;
}

void
ox_pipeline_report_release(struct ox_pipeline_report *rep)
{
	free(rep->passes);
	free(rep->ops);
	memset(rep, 0, sizeof *rep);
}

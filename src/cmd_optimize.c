/* cmd_optimize.c: `onnx-opt optimize`: load, run passes, save. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "equiv.h"
#include "inputs.h"
#include "onnx_io.h"
#include "../passes/pass.h"
#include "../passes/convert/convert.h"

static void
help(void)
{
	printf("Usage: %s optimize MODEL -o OUT [options]\n\n"
	       "Rewrite MODEL with optimization passes and write the result to OUT.\n"
	       "OUT is written to a temporary file and renamed, so OUT may be MODEL.\n\n"
	       "Options:\n"
	       "  -o, --output FILE                 where to write the model (required)\n"
	       "  -p, --passes LIST                 'a,b,c', 'default' (the default; repeats to a\n"
	       "                                    fixed point) or 'none' (write back unchanged);\n"
	       "                                    `%s passes` lists them\n"
	       "      --skip LIST                   leave these passes out\n"
	       "      --fixed-point                 repeat the list until nothing changes\n"
	       "      --max-iterations N            bound on those repetitions (default %d)\n"
	       "      --fold-size-limit BYTES       largest constant that folding may create when it\n"
	       "                                    grows the model (default 1M; K, M, G allowed)\n"
	       "      --memory-limit BYTES          most memory for tensors while folding and for\n"
	       "                                    --check (K, M, G allowed; default 75%% of\n"
	       "                                    RAM, at most 16G)\n"
	       "      --report FILE.json            write what each pass did, op counts and sizes\n"
	       "      --external-data[=FILE]        store large tensors in FILE, beside OUT\n"
	       "                                    (default FILE: OUT's name + '.data')\n"
	       "      --external-data-threshold N   smallest tensor, in bytes, to store\n"
	       "                                    externally (default 1024; K, M, G allowed)\n"
	       "      --verify                      check the IR's invariants before and after\n"
	       "                                    every pass\n"
	       "      --check[=N]                   run the original and the result on N seeded\n"
	       "                                    random input sets (default 1) with the\n"
	       "                                    built-in executor; outputs that differ\n"
	       "                                    beyond tolerance exit 1 and write nothing\n"
	       "      --rtol R, --atol A            tolerance for --check: |b-a| <= A + R*|a|\n"
	       "                                    (defaults as in 'onnx-opt check')\n"
	       "      --shape NAME=AxBxC            dims of input NAME for --check's random data\n"
	       "                                    (needed for dynamic dims)\n"
	       "  -n, --target-opset N              convert to ai.onnx opset N first (as `%s\n"
	       "                                    convert` does), then optimize at that opset;\n"
	       "                                    nodes that cannot be converted are listed and\n"
	       "                                    exit 1 without OUT\n"
	       "      --allow-partial               with --target-opset: optimize and write OUT\n"
	       "                                    even when some nodes were not converted\n"
	       "  -h, --help                        show this help\n\n"
	       "Exit status: 0 written, 1 --check found a difference or --target-opset left\n"
	       "nodes unconverted, 2 usage or input error.\n", ox_prog, ox_prog,
	       OX_MAX_ITERATIONS_DEFAULT, ox_prog);
}

/* rep is NULL when the pipeline did not run (a refused conversion); conv is the
 * conversion's report (reference taken) or NULL without --target-opset. */
static int
write_report(const char *path, const char *in, const char *out,
	     const struct ox_pipeline_report *rep, const struct ox_pipeline_opts *po, json_t *conv)
{
	json_t *root = json_object(), *passes = json_array(), *ops = json_object();
	int r;

	if (!root || !passes || !ops) {
		json_decref(root);
		json_decref(passes);
		json_decref(ops);
		json_decref(conv);
		return -1;
	}
	json_object_set_new(root, "schema_version", json_integer(1));
	json_object_set_new(root, "input", json_string(in));
	json_object_set_new(root, "output", json_string(out));
	json_object_set_new(root, "pipeline", json_string(po->passes ? po->passes : "default"));
	if (conv)
		json_object_set_new(root, "convert", conv);
	if (!rep) {
		json_decref(passes);
		json_decref(ops);
		goto dump;
	}
	json_object_set_new(root, "iterations", json_integer(rep->iterations));
	json_object_set_new(root, "seconds", json_real(rep->seconds));
	for (size_t i = 0; i < rep->n_passes; i++) {
		const struct ox_pass_stat *s = &rep->passes[i];

		json_array_append_new(passes, json_pack("{s:s, s:I, s:i, s:f}", "name", s->name,
							"rewrites", (json_int_t)s->rewrites, "runs",
							s->runs, "seconds", s->seconds));
	}
	json_object_set_new(root, "passes", passes);
	json_object_set_new(root, "nodes", json_pack("{s:I, s:I}", "before", (json_int_t)rep->nodes_before,
						     "after", (json_int_t)rep->nodes_after));
	for (size_t i = 0; i < rep->n_ops; i++)
		json_object_set_new(ops, rep->ops[i].op, json_pack("{s:I, s:I}", "before",
			(json_int_t)rep->ops[i].before, "after", (json_int_t)rep->ops[i].after));
	json_object_set_new(root, "ops", ops);
	json_object_set_new(root, "size", json_pack("{s:I, s:I}", "before", (json_int_t)rep->size_before,
						    "after", (json_int_t)rep->size_after));
dump:
	r = ox_cli_write_json(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return r;
}

/* --check: run the original (read again from in) and the optimized model on the
 * same seeded inputs; a difference beyond tolerance is a finding, and nothing is
 * written. */
static int
check_equivalent(const char *in, struct ox_model *m, const struct ox_equiv_opts *eo, struct ox_diag *d)
{
	struct ox_model *orig = ox_cli_load(in);
	struct ox_equiv_report r;
	int rc = OX_EXIT_OK;

	if (!orig)
		return OX_EXIT_ERROR;
	if (ox_equiv_models(orig, m, eo, &r, d) < 0) {
		ox_model_free(orig);
		return OX_EXIT_ERROR;
	}
	for (size_t i = 0; i < r.n_outputs; i++) {
		const struct ox_equiv_output *o = &r.outputs[i];

		if (!o->st.pass)
			ox_diag_error(d, OX_EINVAL, "--check: output '%s' differs after optimization: "
				      "%lld of %lld elements beyond tolerance, max abs error %g, max rel error %g",
				      o->name_a, (long long)o->st.mismatches, (long long)o->st.count,
				      o->st.max_abs, o->st.max_rel);
	}
	if (!r.pass)
		rc = OX_EXIT_FINDING;
	ox_equiv_report_release(&r);
	ox_model_free(orig);
	return rc;
}

static void
pass_started(void *arg, const char *pass, int iteration, size_t i, size_t n)
{
	struct ox_progress *p = arg;
	char detail[160];

	p->total = n;
	snprintf(detail, sizeof detail, "iteration %d: %s", iteration, pass);
	ox_progress_update(p, i, detail, false);
}

/* The size of file path, or -1. */
static long long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* What changed, per op type, as onnx-simplifier users know it; changed rows are
 * marked by their change, and in colour on a terminal. */
static void
print_summary(FILE *f, const struct ox_pipeline_report *rep, long long size_in, long long size_out)
{
	struct ox_table tb;
	char a[32], b[32];

	ox_table_init(&tb, "");
	for (int c = 1; c <= 3; c++)
		ox_table_right(&tb, c);
	ox_table_header(&tb, "op type", "before", "after", "change", NULL);
	for (size_t i = 0; i < rep->n_ops; i++) {
		const struct ox_op_count *o = &rep->ops[i];
		bool changed = o->before != o->after;

		ox_table_row(&tb, false, changed ? OX_STYLE_CHANGED : OX_STYLE_RESET);
		ox_table_cell(&tb, o->op);
		ox_table_cellf(&tb, "%ld", o->before);
		ox_table_cellf(&tb, "%ld", o->after);
		if (changed)
			ox_table_cellf(&tb, "%+ld", o->after - o->before);
	}
	ox_table_row(&tb, true, OX_STYLE_RESET);
	ox_table_cell(&tb, "nodes");
	ox_table_cellf(&tb, "%zu", rep->nodes_before);
	ox_table_cellf(&tb, "%zu", rep->nodes_after);
	ox_table_cellf(&tb, "%+lld", (long long)rep->nodes_after - (long long)rep->nodes_before);
	if (size_in >= 0 && size_out >= 0) {
		ox_table_row(&tb, true, OX_STYLE_RESET);
		ox_table_cell(&tb, "file size");
		ox_table_cell(&tb, ox_cli_bytes((double)size_in, a, sizeof a));
		ox_table_cell(&tb, ox_cli_bytes((double)size_out, b, sizeof b));
		if (size_in > 0 && size_out != size_in) {
			double pct = 100.0 * (double)(size_out - size_in) / (double)size_in;

			/* No "-0.0%": a change too small to show is shown as such. */
			if (pct > -0.05 && pct < 0.05)
				ox_table_cell(&tb, size_out < size_in ? "<0.1% less" : "<0.1% more");
			else
				ox_table_cellf(&tb, "%+.1f%%", pct);
		}
	}
	ox_table_print(&tb, f);
	ox_table_release(&tb);
}

static int
cmp_ops(const void *a, const void *b)
{
	return strcmp(((const struct ox_op_count *)a)->op, ((const struct ox_op_count *)b)->op);
}

/* Fold the report of a second pipeline run (same pass list) into the first: pass
 * statistics add up, the counts after are the second run's. 0 or -1 (memory). */
static int
merge_reports(struct ox_pipeline_report *a, const struct ox_pipeline_report *b)
{
	for (size_t i = 0; i < a->n_passes && i < b->n_passes; i++) {
		a->passes[i].rewrites += b->passes[i].rewrites;
		a->passes[i].runs += b->passes[i].runs;
		a->passes[i].seconds += b->passes[i].seconds;
	}
	a->iterations += b->iterations;
	a->seconds += b->seconds;
	a->nodes_after = b->nodes_after;
	a->size_after = b->size_after;
	for (size_t i = 0; i < a->n_ops; i++)
		a->ops[i].after = 0;
	for (size_t k = 0; k < b->n_ops; k++) {
		size_t i;

		for (i = 0; i < a->n_ops; i++)
			if (strcmp(a->ops[i].op, b->ops[k].op) == 0)
				break;
		if (i == a->n_ops) {
			struct ox_op_count *ops = realloc(a->ops, (i + 1) * sizeof *ops);

			if (!ops)
				return -1;
			a->ops = ops;
			ops[i].op = b->ops[k].op;
			ops[i].before = 0;
			a->n_ops++;
		}
		a->ops[i].after = b->ops[k].after;
	}
	qsort(a->ops, a->n_ops, sizeof *a->ops, cmp_ops);
	return 0;
}

/* The command itself; shapes has room for one --shape per argument. */
static int
optimize(int argc, char **argv, struct ox_shape_opt *shapes)
{
	enum { OPT_EXT = 256, OPT_EXT_THRESHOLD, OPT_VERIFY, OPT_SKIP, OPT_FIXED, OPT_MAXIT,
	       OPT_FOLD_LIMIT, OPT_REPORT, OPT_CHECK, OPT_RTOL, OPT_ATOL, OPT_SHAPE, OPT_PARTIAL,
	       OPT_MEMLIMIT };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "passes", required_argument, NULL, 'p' },
		{ "skip", required_argument, NULL, OPT_SKIP },
		{ "fixed-point", no_argument, NULL, OPT_FIXED },
		{ "max-iterations", required_argument, NULL, OPT_MAXIT },
		{ "fold-size-limit", required_argument, NULL, OPT_FOLD_LIMIT },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "memory-limit", required_argument, NULL, OPT_MEMLIMIT },
		{ "external-data", optional_argument, NULL, OPT_EXT },
		{ "external-data-threshold", required_argument, NULL, OPT_EXT_THRESHOLD },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "check", optional_argument, NULL, OPT_CHECK },
		{ "rtol", required_argument, NULL, OPT_RTOL },
		{ "atol", required_argument, NULL, OPT_ATOL },
		{ "shape", required_argument, NULL, OPT_SHAPE },
		{ "target-opset", required_argument, NULL, 'n' },
		{ "allow-partial", no_argument, NULL, OPT_PARTIAL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *in, *report = NULL;
	struct ox_pipeline_opts po = { .passes = "default" };
	struct ox_pipeline_report rep, rep2;
	bool have_rep = false;
	struct ox_save_opts so = { NULL, 1024 };
	char *ext_default = NULL, *end;
	const struct ox_pass_info **list;
	bool external = false, check = false, partial = false, written = false;
	struct ox_convert_opts co = { 0 };
	struct ox_convert_report crep = { 0 };
	int unconverted = 0;
	struct ox_equiv_opts eo;
	size_t n_shapes = 0;
	bool summary = !ox_term_quiet();
	long long size_in;
	struct ox_progress pr;
	struct ox_model *m;
	struct ox_diag d;
	size_t n;
	long it;
	int c, rc = OX_EXIT_OK;

	ox_equiv_opts_init(&eo);
	eo.shapes = shapes;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:p:n:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_CHECK:
			check = true;
			if (optarg) {
				errno = 0;
				it = strtol(optarg, &end, 10);
				if (errno || *end || end == optarg || it < 1 || it > 10000)
					return ox_cli_usage_error("optimize", "bad --check count '%s'", optarg);
				eo.n_sets = (int)it;
			}
			break;
		case OPT_RTOL:
		case OPT_ATOL: {
			double v = strtod(optarg, &end);

			if (*end || end == optarg || !(v >= 0))
				return ox_cli_usage_error("optimize", "bad tolerance '%s'", optarg);
			*(c == OPT_RTOL ? &eo.rtol : &eo.atol) = v;
			break;
		}
		case OPT_SHAPE:
			if (!ox_inputs_parse_shape(optarg, &shapes[n_shapes++]))
				return ox_cli_usage_error("optimize", "bad --shape (want NAME=1x3x224x224)");
			eo.n_shapes = n_shapes;
			break;
		case 'n':
			errno = 0;
			it = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || it < 7 || it > ox_convert_newest_opset())
				return ox_cli_usage_error("optimize", "--target-opset must be between 7 and %d",
							  ox_convert_newest_opset());
			co.target = (int)it;
			break;
		case OPT_PARTIAL: partial = true; break;
		case 'o': out = optarg; break;
		case 'p': po.passes = optarg; break;
		case OPT_SKIP: po.skip = optarg; break;
		case OPT_FIXED: po.fixed_point = true; break;
		case OPT_MAXIT:
			errno = 0;
			it = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || it < 1 || it > 1000000)
				return ox_cli_usage_error("optimize", "bad iteration count '%s'", optarg);
			po.max_iterations = (int)it;
			break;
		case OPT_MEMLIMIT:
			if (ox_cli_memory_limit("optimize", optarg) != 0)
				return OX_EXIT_ERROR;
			break;
		case OPT_FOLD_LIMIT:
			if (!ox_cli_parse_size(optarg, &po.fold_size_limit))
				return ox_cli_usage_error("optimize", "bad byte count '%s'", optarg);
			break;
		case OPT_REPORT: report = optarg; break;
		case OPT_EXT:
			external = true;
			so.external_file = optarg;
			break;
		case OPT_EXT_THRESHOLD:
			if (!ox_cli_parse_size(optarg, &so.external_threshold))
				return ox_cli_usage_error("optimize", "bad byte count '%s'", optarg);
			break;
		case OPT_VERIFY: po.verify = true; break;
		case 'h': help(); return OX_EXIT_OK;
		default: return ox_cli_usage_error("optimize", "bad option");
		}
	}
	if (optind != argc - 1)
		return ox_cli_usage_error("optimize", "expected one MODEL");
	if (!out)
		return ox_cli_usage_error("optimize", "missing -o OUT");
	if (partial && !co.target)
		return ox_cli_usage_error("optimize", "--allow-partial needs --target-opset");
	/* Bad pass names are usage errors, found before the model is read. */
	ox_diag_init(&d, NULL);
	if (ox_pipeline_parse(po.passes, po.skip, &list, &n, &d) < 0) {
		ox_diag_print(&d, ox_prog);
		ox_diag_release(&d);
		return OX_EXIT_ERROR;
	}
	free(list);
	ox_diag_release(&d);
	in = argv[optind];
	if (external && !so.external_file) {
		const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;

		if (asprintf(&ext_default, "%s.data", base) < 0)
			return OX_EXIT_ERROR;
		so.external_file = ext_default;
	}
	memset(&rep, 0, sizeof rep);
	size_in = file_size(in);
	m = ox_cli_load_big(in);
	if (!m) {
		free(ext_default);
		return OX_EXIT_ERROR;
	}
	po.measure_size = report != NULL;
	memset(&pr, 0, sizeof pr);
	if (m->graph && (ox_graph_count_nodes(m->graph, true) >= OX_PROGRESS_BIG_GRAPH ||
			 size_in >= (long long)OX_PROGRESS_BIG_FILE)) {
		po.progress = pass_started;
		po.progress_arg = &pr;
		ox_progress_start(&pr, "optimize", 0);
	}
	ox_diag_init(&d, in);
	if (po.verify && ox_graph_verify(m->graph, &d) < 0) {
		rc = OX_EXIT_ERROR;
		goto done;
	}
	/* Going down, the passes run first too: folding leaves fewer nodes for the
	 * adapters to refuse (int64 Constants before opset 9, shape arithmetic).
	 * Either way they run after the conversion, at the target opset: they only
	 * create ops it has (LayerNormalization, Gelu) and fold what adapters added. */
	if (co.target && co.target < ox_model_opset(m, "")) {
		if (ox_pipeline_run(m, &po, report || summary ? &rep : NULL, &d) < 0) {
			rc = OX_EXIT_ERROR;
			goto done;
		}
		have_rep = report || summary;
	}
	if (co.target && (unconverted = ox_convert_model(m, &co, &crep, &d)) < 0) {
		rc = OX_EXIT_ERROR;
		goto done;
	}
	if (unconverted)
		ox_cli_convert_print("optimize", in, &crep);
	if (unconverted && !partial) {
		rc = OX_EXIT_FINDING;
		if (report && write_report(report, in, out, have_rep ? &rep : NULL, &po,
					   ox_cli_convert_json(&crep, in, false)) < 0) {
			ox_diag_error(&d, OX_EIO, "cannot write the report to '%s'", report);
			rc = OX_EXIT_ERROR;
		}
		fprintf(stderr, "%s optimize: %s: %d node(s) not converted to opset %d; no output written\n",
			ox_prog, in, unconverted, co.target);
		goto done;
	}
	if (ox_pipeline_run(m, &po, report || summary ? (have_rep ? &rep2 : &rep) : NULL, &d) < 0) {
		rc = OX_EXIT_ERROR;
		goto done;
	}
	if (have_rep) {
		int mr = merge_reports(&rep, &rep2);

		ox_pipeline_report_release(&rep2);
		if (mr < 0) {
			ox_diag_error(&d, OX_ENOMEM, "out of memory");
			rc = OX_EXIT_ERROR;
			goto done;
		}
	}
	have_rep = report || summary;
	ox_progress_end(&pr);
	if (check)
		rc = check_equivalent(in, m, &eo, &d);
	if (rc == OX_EXIT_OK) {
		d.file = out;
		if (ox_cli_save(m, out, external ? &so : NULL, &d) < 0)
			rc = OX_EXIT_ERROR;
		else
			written = true;
	}
	if (report) {
		if (write_report(report, in, out, &rep, &po,
				 co.target ? ox_cli_convert_json(&crep, in, written) : NULL) < 0) {
			ox_diag_error(&d, OX_EIO, "cannot write the report to '%s'", report);
			rc = OX_EXIT_ERROR;
		}
	}
	if (written && summary)
		print_summary(stdout, &rep, size_in, file_size(out));
	if (rc == OX_EXIT_OK && unconverted)
		rc = OX_EXIT_FINDING;
done:
	ox_progress_end(&pr);
	if (have_rep)
		ox_pipeline_report_release(&rep);
	ox_diag_print(&d, ox_prog);
	ox_diag_release(&d);
	ox_convert_report_release(&crep);
	ox_model_free(m);
	free(ext_default);
	return rc;
}

int
ox_cmd_optimize(int argc, char **argv)
{
	struct ox_shape_opt *shapes = calloc((size_t)argc + 1, sizeof *shapes);
	int rc;

	if (!shapes) {
		fprintf(stderr, "%s optimize: out of memory\n", ox_prog);
		return OX_EXIT_ERROR;
	}
	rc = optimize(argc, argv, shapes);
	free(shapes);
	return rc;
}

/* cmd_optimize.c: `onnx-opt optimize`: load, run passes, save. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "equiv.h"
#include "inputs.h"
#include "onnx_io.h"
#include "../passes/pass.h"

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
	       "  -h, --help                        show this help\n", ox_prog, ox_prog,
	       OX_MAX_ITERATIONS_DEFAULT);
}

static int
write_report(const char *path, const char *in, const char *out,
	     const struct ox_pipeline_report *rep, const struct ox_pipeline_opts *po)
{
	json_t *root = json_object(), *passes = json_array(), *ops = json_object();
	int r;

	if (!root || !passes || !ops) {
		json_decref(root);
		json_decref(passes);
		json_decref(ops);
		return -1;
	}
	json_object_set_new(root, "schema_version", json_integer(1));
	json_object_set_new(root, "input", json_string(in));
	json_object_set_new(root, "output", json_string(out));
	json_object_set_new(root, "pipeline", json_string(po->passes ? po->passes : "default"));
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

/* The command itself; shapes has room for one --shape per argument. */
static int
optimize(int argc, char **argv, struct ox_shape_opt *shapes)
{
	enum { OPT_EXT = 256, OPT_EXT_THRESHOLD, OPT_VERIFY, OPT_SKIP, OPT_FIXED, OPT_MAXIT,
	       OPT_FOLD_LIMIT, OPT_REPORT, OPT_CHECK, OPT_RTOL, OPT_ATOL, OPT_SHAPE, OPT_MEMLIMIT };
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *in, *report = NULL;
	struct ox_pipeline_opts po = { "default", NULL, false, 0, 0, false, false };
	struct ox_pipeline_report rep;
	struct ox_save_opts so = { NULL, 1024 };
	char *ext_default = NULL, *end;
	const struct ox_pass_info **list;
	bool external = false, check = false;
	struct ox_equiv_opts eo;
	size_t n_shapes = 0;
	struct ox_model *m;
	struct ox_diag d;
	size_t n;
	long it;
	int c, rc = OX_EXIT_OK;

	ox_equiv_opts_init(&eo);
	eo.shapes = shapes;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:p:h", opts, NULL)) != -1) {
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
	m = ox_cli_load(in);
	if (!m) {
		free(ext_default);
		return OX_EXIT_ERROR;
	}
	po.measure_size = report != NULL;
	ox_diag_init(&d, in);
	if (po.verify && ox_graph_verify(m->graph, &d) < 0) {
		rc = OX_EXIT_ERROR;
	} else if (ox_pipeline_run(m, &po, report ? &rep : NULL, &d) < 0) {
		rc = OX_EXIT_ERROR;
	} else {
		if (report) {
			if (write_report(report, in, out, &rep, &po) < 0) {
				ox_diag_error(&d, OX_EIO, "cannot write the report to '%s'", report);
				rc = OX_EXIT_ERROR;
			}
			ox_pipeline_report_release(&rep);
		}
		if (rc == OX_EXIT_OK && check)
			rc = check_equivalent(in, m, &eo, &d);
		d.file = out;
		if (rc == OX_EXIT_OK && ox_model_save(m, out, external ? &so : NULL, &d) < 0)
			rc = OX_EXIT_ERROR;
	}
	ox_diag_print(&d, ox_prog);
	ox_diag_release(&d);
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

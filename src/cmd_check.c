/* cmd_check.c: `onnx-opt check`: are two models numerically the same, or does one
 * model reproduce stored outputs (--expect DIR, the ONNX test-data layout)?
 *
 * The comparison itself is equiv.c; this file parses options, runs the --expect mode,
 * prints the per-output table or the JSON of docs/check-json.md, and maps the verdict
 * to the exit status: 0 within tolerance, 1 not, 2 usage or input error.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "equiv.h"
#include "exec.h"
#include "inputs.h"
#include "onnx_io.h"

#define CHECK_JSON_SCHEMA_VERSION 1

static void
help(void)
{
	printf("Usage: %s check A.onnx B.onnx [options]\n"
	       "       %s check MODEL --expect DIR [options]\n\n"
	       "Run both models with the built-in executor on the same inputs and compare every\n"
	       "output of A (the reference) with the output of B of the same name. With\n"
	       "--expect, compare MODEL's outputs with DIR/output_K.pb, fed DIR/input_K.pb\n"
	       "(the layout of the ONNX test data sets).\n\n"
	       "An element passes when |b - a| <= atol + rtol * |a|, or, with --max-ulp U, when\n"
	       "b is within U units in the last place of a. NaN matches NaN, an infinity must\n"
	       "match exactly; integers, bools and strings must be equal.\n\n"
	       "Options:\n"
	       "  -i, --input [NAME=]FILE  a serialized TensorProto for the next input of A (in\n"
	       "                           the order of its inputs without initializer), or for\n"
	       "                           the input NAME; repeatable. B gets the same tensors\n"
	       "  -n, --sets N             random input sets to try (default 1); inputs not\n"
	       "                           given are random: floats uniform in [-1, 1),\n"
	       "                           integers in [0, 9], bools 0 or 1\n"
	       "      --seed S             seed of set 0; set k uses S + k (default 0)\n"
	       "      --shape NAME=AxBxC   dims of input NAME for random data (dynamic dims)\n"
	       "      --rtol R             relative tolerance (default %g)\n"
	       "      --atol A             absolute tolerance (default %g)\n"
	       "      --max-ulp U          also pass elements within U ULPs (floats)\n"
	       "      --by-position        match outputs and inputs by position, not name\n"
	       "      --localize           when the models differ, report the first value\n"
	       "                           (in A's node order) that both models compute and\n"
	       "                           that differs, with its node in each model\n"
	       "      --expect DIR         compare one MODEL with DIR/output_K.pb\n"
	       "      --json FILE          write the report as JSON (docs/check-json.md);\n"
	       "                           '-' prints it instead of the table\n"
	       "      --memory-limit BYTES most memory the tensors of a run may take (K, M,\n"
	       "                           G allowed; default 75%% of RAM, at most 16G)\n"
	       "  -h, --help               show this help\n\n"
	       "Exit status: 0 every output within tolerance, 1 some output differs,\n"
	       "2 usage, input or run error.\n",
	       ox_prog, ox_prog, OX_EQUIV_RTOL, OX_EQUIV_ATOL);
}

static const char *
type_text(int dtype, int ndim, const int64_t *dims, char *buf, size_t len)
{
	int n;

	if (dtype < 0)
		return "-";
	n = snprintf(buf, len, "%s[", ox_dtype_name(dtype));
	for (int i = 0; i < ndim && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, "%s%lld", i ? "," : "", (long long)dims[i]);
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "]");
	return buf;
}

static bool
is_float(int dtype)
{
	return dtype == OX_FLOAT || dtype == OX_DOUBLE || dtype == OX_FLOAT16 ||
	       dtype == OX_BFLOAT16 || dtype == OX_COMPLEX64 || dtype == OX_COMPLEX128;
}

static void
print_stats(FILE *f, const struct ox_equiv_stats *s, int dtype)
{
	if (!s->dtype_ok) {
		fprintf(f, "  dtype differs");
		return;
	}
	if (!s->shape_ok) {
		fprintf(f, "  shape differs");
		return;
	}
	fprintf(f, "  max_abs %.3g  max_rel %.3g", s->max_abs, s->max_rel);
	if (is_float(dtype))
		fprintf(f, "  max_ulp %llu", (unsigned long long)s->max_ulp);
	fprintf(f, "  bad %lld/%lld", (long long)s->mismatches, (long long)s->count);
	if (s->nan_diff || s->inf_diff)
		fprintf(f, "  nan %lld  inf %lld", (long long)s->nan_diff, (long long)s->inf_diff);
}

static void
print_text(FILE *f, const struct ox_equiv_report *r, const struct ox_equiv_opts *o, bool localized)
{
	size_t nbad = 0;
	char ta[512], tb[512];

	for (size_t i = 0; i < r->n_outputs; i++) {
		const struct ox_equiv_output *eo = &r->outputs[i];

		nbad += !eo->st.pass;
		fprintf(f, "%s  %s", eo->st.pass ? "PASS" : "FAIL", eo->name_a);
		if (eo->name_b && strcmp(eo->name_b, eo->name_a))
			fprintf(f, " (B: %s)", eo->name_b);
		if (!eo->name_b) {
			fprintf(f, "  missing in B\n");
			continue;
		}
		type_text(eo->dtype_a, eo->ndim_a, eo->dims_a, ta, sizeof ta);
		type_text(eo->dtype_b, eo->ndim_b, eo->dims_b, tb, sizeof tb);
		fprintf(f, "  %s", ta);
		if (strcmp(ta, tb))
			fprintf(f, " vs %s", tb);
		print_stats(f, &eo->st, eo->dtype_a);
		fprintf(f, "\n");
		if (is_float(eo->dtype_a) && ox_equiv_atol_dominates(&eo->st, o))
			fprintf(f, "note: '%s' is at most %.3g in magnitude, so atol %g lets through "
				   "errors of any relative size; try --atol %.3g\n",
				eo->name_a, eo->st.max_ref, o->atol, o->rtol * eo->st.max_ref);
	}
	if (r->n_extra_b)
		fprintf(f, "note: B has %zu output%s that A lacks\n", r->n_extra_b, r->n_extra_b == 1 ? "" : "s");
	if (localized) {
		const struct ox_equiv_divergence *dv = &r->div;

		if (dv->found) {
			fprintf(f, "first divergence: '%s' (input set %d)\n", dv->value, dv->set);
			fprintf(f, "  A: node '%s' (%s)\n", dv->node_a ? dv->node_a : "", dv->op_a);
			fprintf(f, "  B: node '%s' (%s)\n", dv->node_b ? dv->node_b : "", dv->op_b);
			fprintf(f, "  ");
			print_stats(f, &dv->st, OX_FLOAT);
			fprintf(f, "\n");
		} else {
			fprintf(f, "localize: none of the %zu values both models compute differs\n",
				dv->n_compared);
		}
	}
	fprintf(f, "%s: %zu of %zu outputs within rtol %g atol %g", r->pass ? "PASS" : "FAIL",
		r->n_outputs - nbad, r->n_outputs, o->rtol, o->atol);
	if (o->max_ulp >= 0)
		fprintf(f, " or %lld ULP", (long long)o->max_ulp);
	fprintf(f, " on %d input set%s", r->n_sets, r->n_sets == 1 ? "" : "s");
	if (r->first_failing_set >= 0)
		fprintf(f, " (first failing set: %d)", r->first_failing_set);
	fprintf(f, "\n");
}

/* json_object_set_new that tolerates a NULL value from a failed allocation: the
 * dump fails later instead of crashing now. */
static void
put(json_t *o, const char *key, json_t *v)
{
	if (o && v)
		json_object_set_new(o, key, v);
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
dims_json(int dtype, int ndim, const int64_t *dims)
{
	json_t *a;

	if (dtype < 0)
		return json_null();
	a = json_array();
	for (int i = 0; a && i < ndim; i++)
		json_array_append_new(a, json_integer(dims[i]));
	return a;
}

static void
stats_json(json_t *o, const struct ox_equiv_stats *s, int dtype)
{
	bool compared = s->dtype_ok && s->shape_ok;

	put(o, "dtype_match", json_boolean(s->dtype_ok));
	put(o, "shape_match", json_boolean(s->shape_ok));
	put(o, "count", json_integer(s->count));
	put(o, "mismatches", json_integer(s->mismatches));
	put(o, "nan_mismatches", json_integer(s->nan_diff));
	put(o, "inf_mismatches", json_integer(s->inf_diff));
	put(o, "max_abs", compared ? json_real(s->max_abs) : json_null());
	put(o, "max_rel", compared ? json_real(s->max_rel) : json_null());
	put(o, "max_ref", compared && is_float(dtype) ? json_real(s->max_ref) : json_null());
	put(o, "max_ulp", compared && is_float(dtype)
				  ? json_integer(s->max_ulp > INT64_MAX ? INT64_MAX : (json_int_t)s->max_ulp)
				  : json_null());
	put(o, "first_mismatch", s->first_bad >= 0 ? json_integer(s->first_bad) : json_null());
}

static json_t *
node_json(const char *name, const char *op)
{
	json_t *o = json_object();

	put(o, "name", str_or_null(name));
	put(o, "op", str_or_null(op));
	return o;
}

static json_t *
report_json(const char *pa, const char *pb, const char *expect, const struct ox_equiv_report *r,
	    const struct ox_equiv_opts *o, bool localized)
{
	json_t *doc = json_object(), *opts = json_object(), *outs = json_array();

	put(doc, "schema_version", json_integer(CHECK_JSON_SCHEMA_VERSION));
	put(doc, "a", json_string(pa));
	put(doc, "b", str_or_null(pb));
	put(doc, "expect", str_or_null(expect));
	put(opts, "rtol", json_real(o->rtol));
	put(opts, "atol", json_real(o->atol));
	put(opts, "max_ulp", o->max_ulp >= 0 ? json_integer(o->max_ulp) : json_null());
	put(opts, "by_position", json_boolean(o->by_position));
	put(opts, "sets", json_integer(o->n_sets));
	put(opts, "seed", json_integer((json_int_t)o->seed));
	put(doc, "options", opts);
	put(doc, "pass", json_boolean(r->pass));
	put(doc, "sets_run", json_integer(r->n_sets));
	put(doc, "first_failing_set", r->first_failing_set >= 0 ? json_integer(r->first_failing_set) : json_null());
	for (size_t i = 0; outs && i < r->n_outputs; i++) {
		const struct ox_equiv_output *eo = &r->outputs[i];
		json_t *e = json_object();

		put(e, "name", json_string(eo->name_a));
		put(e, "name_b", str_or_null(eo->name_b));
		put(e, "pass", json_boolean(eo->st.pass));
		put(e, "dtype_a", eo->dtype_a >= 0 ? json_string(ox_dtype_name(eo->dtype_a)) : json_null());
		put(e, "dtype_b", eo->dtype_b >= 0 ? json_string(ox_dtype_name(eo->dtype_b)) : json_null());
		put(e, "shape_a", dims_json(eo->dtype_a, eo->ndim_a, eo->dims_a));
		put(e, "shape_b", dims_json(eo->dtype_b, eo->ndim_b, eo->dims_b));
		stats_json(e, &eo->st, eo->dtype_a);
		put(e, "atol_dominates", json_boolean(is_float(eo->dtype_a) && ox_equiv_atol_dominates(&eo->st, o)));
		if (e)
			json_array_append_new(outs, e);
	}
	put(doc, "outputs", outs);
	put(doc, "extra_outputs_b", json_integer((json_int_t)r->n_extra_b));
	if (localized) {
		json_t *l = json_object();

		put(l, "found", json_boolean(r->div.found));
		put(l, "compared_values", json_integer((json_int_t)r->div.n_compared));
		if (r->div.found) {
			put(l, "value", json_string(r->div.value));
			put(l, "set", json_integer(r->div.set));
			put(l, "node_a", node_json(r->div.node_a, r->div.op_a));
			put(l, "node_b", node_json(r->div.node_b, r->div.op_b));
			stats_json(l, &r->div.st, OX_FLOAT);
		}
		put(doc, "localize", l);
	} else {
		put(doc, "localize", json_null());
	}
	return doc;
}

/* --expect DIR: feed DIR/input_K.pb (after any -i), compare output K with
 * DIR/output_K.pb, the stored tensor being the reference. */
/* --expect only runs the model: it is loaded read-only as `run` loads it, so the
 * executor drops each weight's pages after its last reader (onnx_io.h). Comparing
 * two models does not: ox_equiv may change their graphs. */
static struct ox_model *
load_run_only(const char *path)
{
	struct ox_progress p;
	struct ox_model *m = NULL;
	struct ox_diag d;
	char label[512];
	int r;

	ox_cli_load_progress(&p, path, label, sizeof label);
	ox_diag_init(&d, path);
	r = ox_model_load_flags(path, OX_LOAD_READ_ONLY, &m, &d);
	ox_progress_end(&p);
	if (r < 0) {
		ox_diag_print(&d, ox_prog);
		m = NULL;
	}
	ox_diag_release(&d);
	return m;
}

static int
check_expected(struct ox_model *m, const char *path, const char *dir, const struct ox_equiv_opts *o,
	       struct ox_equiv_report *r, struct ox_diag *d)
{
	size_t nfeed = ox_exec_n_feeds(m->graph), nout = m->graph->n_outputs, nspecs = 0;
	char **specs = calloc(o->n_input_specs + nfeed + 1, sizeof *specs);
	struct ox_tensor **feed = calloc(nfeed + 1, sizeof *feed), **out = calloc(nout + 1, sizeof *out);
	struct ox_arena arena;
	struct stat st;
	int rc;

	ox_arena_init(&arena);
	memset(r, 0, sizeof *r);
	r->first_failing_set = -1;
	r->n_sets = 1;
	r->pass = true;
	if (!specs || !feed || !out) {
		rc = ox_diag_error(d, OX_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < o->n_input_specs; i++)
		specs[nspecs++] = o->input_specs[i];
	/* Stored inputs fill the slots -i left, in order, as the test runner does. */
	for (size_t k = 0; nspecs < o->n_input_specs + nfeed; k++) {
		if (asprintf(&specs[nspecs], "%s/input_%zu.pb", dir, k) < 0) {
			specs[nspecs] = NULL;
			rc = ox_diag_error(d, OX_ENOMEM, "out of memory");
			goto done;
		}
		if (stat(specs[nspecs], &st) < 0) {
			free(specs[nspecs]);
			specs[nspecs] = NULL;
			break;
		}
		nspecs++;
	}
	d->file = path;
	if ((rc = ox_inputs_load(m->graph, specs, nspecs, &arena, feed, d)) < 0)
		goto done;
	for (size_t k = 0; k < nfeed; k++)
		if (!feed[k]) {
			rc = ox_diag_error(d, OX_EUSAGE, "no data for input %zu: %s has no input_%zu.pb and no -i gave it",
					   k, dir, k);
			goto done;
		}
	if ((rc = ox_exec_run(m, feed, nfeed, out, d)) < 0)
		goto done;
	r->n_outputs = nout;
	if (!(r->outputs = calloc(nout + 1, sizeof *r->outputs))) {
		rc = ox_diag_error(d, OX_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nout; i++) {
		struct ox_equiv_output *eo = &r->outputs[i];
		struct ox_tensor *want = NULL;
		char *p;

		eo->name_a = strdup(m->graph->outputs[i]->name ? m->graph->outputs[i]->name : "");
		if (!eo->name_a || asprintf(&p, "%s/output_%zu.pb", dir, i) < 0) {
			rc = ox_diag_error(d, OX_ENOMEM, "out of memory");
			goto done;
		}
		d->file = p;
		rc = ox_tensor_load(p, &arena, &want, d);
		d->file = path;
		free(p);
		if (rc < 0)
			goto done;
		eo->name_b = strdup(eo->name_a);
		eo->dtype_a = want->dtype;
		eo->ndim_a = want->ndim < OX_MAX_RANK ? want->ndim : OX_MAX_RANK;
		memcpy(eo->dims_a, want->dims, (size_t)eo->ndim_a * sizeof *eo->dims_a);
		eo->dtype_b = out[i]->dtype;
		eo->ndim_b = out[i]->ndim < OX_MAX_RANK ? out[i]->ndim : OX_MAX_RANK;
		memcpy(eo->dims_b, out[i]->dims, (size_t)eo->ndim_b * sizeof *eo->dims_b);
		if ((rc = ox_equiv_compare(want, out[i], o, &eo->st, d)) < 0)
			goto done;
		r->pass = r->pass && eo->st.pass;
	}
	if (!r->pass)
		r->first_failing_set = 0;
	rc = 0;
done:
	if (rc < 0)
		ox_equiv_report_release(r);
	for (size_t i = o->n_input_specs; specs && i < nspecs; i++)
		free(specs[i]);
	for (size_t i = 0; out && i < nout; i++)
		ox_xtensor_free(out[i]);
	free(specs);
	free(feed);
	free(out);
	ox_arena_release(&arena);
	return rc;
}

static bool
parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return *s && !*end && !errno && *out >= 0 && *out == *out;
}

/* Given inputs make one set whatever -n says: the total comes from the run. */
static void
set_done(void *arg, int done, int total)
{
	struct ox_progress *p = arg;

	p->total = (size_t)total;
	ox_progress_update(p, (size_t)done, NULL, false);
}

int
ox_cmd_check(int argc, char **argv)
{
	enum { OPT_SEED = 256, OPT_SHAPE, OPT_RTOL, OPT_ATOL, OPT_ULP, OPT_JSON, OPT_POS,
	       OPT_LOCALIZE, OPT_EXPECT, OPT_MEMLIMIT };
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "sets", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "shape", required_argument, NULL, OPT_SHAPE },
		{ "rtol", required_argument, NULL, OPT_RTOL },
		{ "atol", required_argument, NULL, OPT_ATOL },
		{ "max-ulp", required_argument, NULL, OPT_ULP },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "by-position", no_argument, NULL, OPT_POS },
		{ "localize", no_argument, NULL, OPT_LOCALIZE },
		{ "expect", required_argument, NULL, OPT_EXPECT },
		{ "memory-limit", required_argument, NULL, OPT_MEMLIMIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **specs = calloc((size_t)argc + 1, sizeof *specs);
	struct ox_shape_opt *shapes = calloc((size_t)argc + 1, sizeof *shapes);
	size_t nspecs = 0, nshapes = 0;
	const char *json_path = NULL, *expect = NULL, *pa, *pb = NULL;
	bool localize = false;
	struct ox_equiv_opts o;
	struct ox_equiv_report r;
	struct ox_progress pr;
	struct ox_model *ma = NULL, *mb = NULL;
	struct ox_diag d;
	json_t *doc = NULL;
	int c, rc = OX_EXIT_ERROR;
	char *end;
	long long v;

	ox_equiv_opts_init(&o);
	memset(&r, 0, sizeof r);
	ox_diag_init(&d, NULL);
	if (!specs || !shapes) {
		free(specs);
		free(shapes);
		return OX_EXIT_ERROR;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': specs[nspecs++] = optarg; break;
		case 'n':
			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (*end || !*optarg || errno || v < 1 || v > 1000000) {
				rc = ox_cli_usage_error("check", "bad set count '%s'", optarg);
				goto done;
			}
			o.n_sets = (int)v;
			break;
		case OPT_SEED:
			errno = 0;
			o.seed = strtoull(optarg, &end, 10);
			if (*end || !*optarg || errno || *optarg == '-') {
				rc = ox_cli_usage_error("check", "bad seed '%s'", optarg);
				goto done;
			}
			break;
		case OPT_SHAPE:
			if (!ox_inputs_parse_shape(optarg, &shapes[nshapes++])) {
				rc = ox_cli_usage_error("check", "bad --shape (want NAME=1x3x224x224)");
				goto done;
			}
			break;
		case OPT_RTOL:
		case OPT_ATOL:
			if (!parse_double(optarg, c == OPT_RTOL ? &o.rtol : &o.atol)) {
				rc = ox_cli_usage_error("check", "bad tolerance '%s'", optarg);
				goto done;
			}
			break;
		case OPT_ULP:
			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (*end || !*optarg || errno || v < 0) {
				rc = ox_cli_usage_error("check", "bad ULP count '%s'", optarg);
				goto done;
			}
			o.max_ulp = v;
			break;
		case OPT_JSON: json_path = optarg; break;
		case OPT_POS: o.by_position = true; break;
		case OPT_LOCALIZE: localize = true; break;
		case OPT_EXPECT: expect = optarg; break;
		case OPT_MEMLIMIT:
			if ((rc = ox_cli_memory_limit("check", optarg)) != 0)
				goto done;
			rc = OX_EXIT_ERROR;
			break;
		case 'h':
			help();
			rc = OX_EXIT_OK;
			goto done;
		default:
			rc = ox_cli_usage_error("check", "bad option");
			goto done;
		}
	}
	if (expect ? optind != argc - 1 : optind != argc - 2) {
		rc = ox_cli_usage_error("check", expect ? "expected one MODEL with --expect"
						       : "expected two models, A and B");
		goto done;
	}
	if (expect && localize) {
		rc = ox_cli_usage_error("check", "--localize needs two models");
		goto done;
	}
	pa = argv[optind];
	if (!expect)
		pb = argv[optind + 1];
	o.input_specs = specs;
	o.n_input_specs = nspecs;
	o.shapes = shapes;
	o.n_shapes = nshapes;
	if (!(ma = expect ? load_run_only(pa) : ox_cli_load_big(pa)) || (pb && !(mb = ox_cli_load_big(pb))))
		goto done;
	d.file = pa;
	if (!ma->graph || (mb && !mb->graph)) {
		d.file = ma->graph ? pb : pa;
		ox_diag_error(&d, OX_EINVAL, "the model has no graph");
		goto done;
	}
	if (expect) {
		if (check_expected(ma, pa, expect, &o, &r, &d) < 0)
			goto done;
	} else {
		int er;

		o.progress = set_done;
		o.progress_arg = &pr;
		ox_progress_start(&pr, "check: input sets", (size_t)o.n_sets);
		er = ox_equiv_models(ma, mb, &o, &r, &d);
		ox_progress_end(&pr);
		if (er < 0)
			goto done;
		if (localize && !r.pass) {
			ox_progress_start(&pr, "check --localize: input sets", (size_t)o.n_sets);
			er = ox_equiv_localize(ma, mb, &o, &r, &d);
			ox_progress_end(&pr);
			if (er < 0)
				goto done;
		}
	}
	if (json_path) {
		int jrc;

		doc = report_json(pa, pb, expect, &r, &o, localize && !r.pass);
		if (!strcmp(json_path, "-"))
			jrc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(9));
		else
			jrc = ox_cli_write_json(doc, json_path, JSON_INDENT(2) | JSON_ENSURE_ASCII |
						JSON_REAL_PRECISION(9));
		if (jrc < 0) {
			d.file = json_path;
			ox_diag_error(&d, OX_EIO, "cannot write the JSON report: %s", strerror(errno));
			goto done;
		}
		if (!strcmp(json_path, "-"))
			printf("\n");
	}
	if (!json_path || strcmp(json_path, "-"))
		print_text(stdout, &r, &o, localize && !r.pass);
	rc = r.pass ? OX_EXIT_OK : OX_EXIT_FINDING;
done:
	ox_diag_print(&d, ox_prog);
	json_decref(doc);
	ox_equiv_report_release(&r);
	ox_diag_release(&d);
	ox_model_free(ma);
	ox_model_free(mb);
	free(specs);
	free(shapes);
	return rc;
}

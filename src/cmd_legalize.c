/* cmd_legalize.c: `onnx-opt legalize` (and `audit --fix`): rewrite a model so that a
 * target runtime supports it, then prove the result equal to the input with the
 * executor. The work is passes/legalize/; this file is options, the check, the
 * report and the exit status. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "equiv.h"
#include "onnx_io.h"
#include "targets.h"
#include "term.h"
#include "../passes/legalize/legalize.h"

#define DEFAULT_SETS 3
/* Room for default shapes beyond the --shape options. */
#define OX_LG_MAX_INPUTS 256

static void
help(void)
{
	printf("Usage: %s legalize MODEL --target NAME -o OUT [--report FILE.json]\n"
	       "       [--allow-partial] [--check[=N] | --no-check] [--rtol R] [--atol A]\n"
	       "       (or: %s audit MODEL --fix --target NAME -o OUT ...)\n\n"
	       "Rewrite every node that the audit finds unsupported or partial on the target:\n"
	       "convert the model's opset, inline the op's ONNX function body, decompose it\n"
	       "(Einsum, CastLike), cast around a kernel that lacks the dtype, or fold a\n"
	       "restricted input to a constant. Then audit again and compare the result with\n"
	       "the input on N seeded random input sets. See docs/legalize.md.\n\n"
	       "Options:\n"
	       "  -t, --target NAME|FILE  a built-in profile, opset:N, or a profile file (required)\n"
	       "  -o, --output OUT        where to write the legalized model (required)\n"
	       "  -r, --report FILE       write the JSON report (docs/legalize.md)\n"
	       "  -p, --allow-partial     write OUT even when some nodes stay unsupported\n"
	       "      --check[=N]         compare on N random input sets (default: on, N=%d)\n"
	       "      --no-check          skip the comparison\n"
	       "      --rtol R, --atol A  tolerance: |b-a| <= A + R*|a| (as 'onnx-opt check')\n"
	       "      --shape NAME=AxB    dims of input NAME for the random data (dims the\n"
	       "                          model leaves open are 1 otherwise)\n"
	       "  -i, --input [NAME=]FILE a TensorProto for an input instead of random data\n"
	       "                          (repeatable; in input order without NAME=)\n"
	       "  -h, --help              this text\n\n"
	       "Exit status: 0 fully supported and numerically equal; 1 something stays\n"
	       "unsupported (OUT only with --allow-partial) or the check failed (no OUT);\n"
	       "2 usage or input error.\n", ox_prog, ox_prog, DEFAULT_SETS);
}

static json_t *
report_json(const struct ox_lg_report *rep, const char *model, const char *target,
	    const struct ox_equiv_report *er, bool checked, bool written, int status)
{
	json_t *o = json_object(), *rw = json_array(), *left = json_array();

	json_object_set_new(o, "schema_version", json_integer(1));
	json_object_set_new(o, "model", json_string(model));
	json_object_set_new(o, "target", json_string(target));
	json_object_set_new(o, "opset_before", json_integer(rep->opset_before));
	json_object_set_new(o, "opset_after", json_integer(rep->opset_after));
	json_object_set_new(o, "before", json_pack("{s:I,s:I,s:I}",
		"nodes", (json_int_t)rep->nodes_before,
		"unsupported", (json_int_t)rep->unsupported_before,
		"partial", (json_int_t)rep->partial_before));
	json_object_set_new(o, "after", json_pack("{s:I,s:I,s:I}",
		"nodes", (json_int_t)rep->nodes_after,
		"unsupported", (json_int_t)rep->unsupported_after,
		"partial", (json_int_t)rep->partial_after));
	json_object_set_new(o, "rounds", json_integer(rep->rounds));
	for (size_t i = 0; i < rep->n_rewrites; i++) {
		const struct ox_lg_rewrite *w = &rep->rewrites[i];

		json_array_append_new(rw, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
			"strategy", ox_lg_strategy_name(w->strategy), "graph", w->graph,
			"node", w->node, "from", w->from, "to", w->to, "why", w->why));
	}
	json_object_set_new(o, "rewrites", rw);
	for (size_t i = 0; i < rep->n_left; i++) {
		const struct ox_lg_left *l = &rep->left[i];
		json_t *e = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s}", "graph", l->graph,
				      "node", l->node, "op", l->op, "since_version",
				      l->since_version, "verdict",
				      l->partial ? "partial" : "unsupported", "rule", l->rule,
				      "reason", l->reason);

		json_object_set_new(e, "tried", l->tried ? json_string(l->tried) : json_null());
		json_array_append_new(left, e);
	}
	json_object_set_new(o, "unsupported", left);
	if (checked && er) {
		json_t *c = json_object(), *outs = json_array();

		json_object_set_new(c, "sets", json_integer(er->n_sets));
		json_object_set_new(c, "pass", json_boolean(er->pass));
		for (size_t i = 0; i < er->n_outputs; i++) {
			const struct ox_equiv_output *eo = &er->outputs[i];

			json_array_append_new(outs, json_pack("{s:s,s:b,s:I,s:f,s:f}",
				"name", eo->name_a, "pass", eo->st.pass,
				"mismatches", (json_int_t)eo->st.mismatches,
				"max_abs", eo->st.max_abs, "max_rel", eo->st.max_rel));
		}
		json_object_set_new(c, "outputs", outs);
		json_object_set_new(o, "check", c);
	} else {
		json_object_set_new(o, "check", json_null());
	}
	json_object_set_new(o, "written", json_boolean(written));
	json_object_set_new(o, "exit_status", json_integer(status));
	return o;
}

/* Random data needs every dim: dims the model leaves open (a dynamic batch) and no
 * --shape names become 1. Names point into m, which must outlive the shapes. */
static size_t
default_shapes(const struct ox_model *m, struct ox_shape_opt *shapes, size_t n, size_t cap)
{
	const struct ox_graph *g = m->graph;

	for (size_t i = 0; g && i < g->n_inputs && n < cap; i++) {
		const struct ox_value *v = g->inputs[i];
		const struct ox_type *t = v->type;
		bool open = false, given = false;

		if (v->init || !t || t->kind != OX_TYPE_TENSOR || t->rank < 0 || t->rank > OX_MAX_RANK)
			continue;
		for (int k = 0; k < t->rank; k++)
			open = open || t->dims[k].kind != OX_DIM_VALUE;
		for (size_t j = 0; j < n && !given; j++)
			given = !strcmp(shapes[j].name, v->name);
		if (!open || given)
			continue;
		shapes[n].name = v->name;
		shapes[n].ndim = t->rank;
		for (int k = 0; k < t->rank; k++)
			shapes[n].dims[k] = t->dims[k].kind == OX_DIM_VALUE ? t->dims[k].value : 1;
		n++;
	}
	return n;
}

/* Write doc to path through a temporary file and a rename. */
static int
write_json(json_t *doc, const char *path)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	FILE *f = NULL;
	int fd, r = 0;

	if (!tmp)
		return OX_ENOMEM;
	snprintf(tmp, n, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return OX_EIO;
	}
	{
		mode_t mask = umask(0);

		umask(mask);
		fchmod(fd, 0666 & ~mask);
	}
	if (json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 || fputc('\n', f) < 0)
		r = OX_EIO;
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		r = OX_EIO;
	if (fclose(f) != 0)
		r = OX_EIO;
	if (!r && rename(tmp, path) < 0)
		r = OX_EIO;
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
}

static void
summary(const struct ox_lg_report *rep, const char *model, const char *target,
	const struct ox_equiv_report *er, bool checked)
{
	size_t per[OX_LG_FOLD + 1] = { 0 };

	for (size_t i = 0; i < rep->n_rewrites; i++)
		per[rep->rewrites[i].strategy]++;
	printf("%s on %s: before %zu unsupported, %zu partial; after %zu unsupported, "
	       "%zu partial\n", model, target, rep->unsupported_before, rep->partial_before,
	       rep->unsupported_after, rep->partial_after);
	printf("rewrites: %zu (", rep->n_rewrites);
	for (int s = 0; s <= OX_LG_FOLD; s++)
		printf("%s%s %zu", s ? ", " : "", ox_lg_strategy_name(s), per[s]);
	printf(")\n");
	for (size_t i = 0; i < rep->n_rewrites; i++) {
		const struct ox_lg_rewrite *w = &rep->rewrites[i];

		printf("  %-9s %s%s%s: %s -> %s\n", ox_lg_strategy_name(w->strategy),
		       strcmp(w->graph, "main") ? w->graph : "", strcmp(w->graph, "main") ? "/" : "",
		       *w->node ? w->node : w->strategy == OX_LG_CONVERT ? "(model)" : "(unnamed)",
		       w->from, w->to);
	}
	for (size_t i = 0; i < rep->n_left; i++) {
		const struct ox_lg_left *l = &rep->left[i];

		printf("  left      %s (%s-%d): %s: %s\n", *l->node ? l->node : "(unnamed)", l->op,
		       l->since_version, l->partial ? "partial" : "unsupported", l->reason);
	}
	if (checked && er)
		printf("check: %d input set(s), %s\n", er->n_sets, er->pass ? "equal" : "DIFFERENT");
	else
		printf("check: not run\n");
}

static int
legalize(int argc, char **argv, struct ox_shape_opt *shapes, char **specs)
{
	enum { OPT_CHECK = 256, OPT_NO_CHECK, OPT_RTOL, OPT_ATOL, OPT_SHAPE, OPT_FIX };
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "report", required_argument, NULL, 'r' },
		{ "allow-partial", no_argument, NULL, 'p' },
		{ "check", optional_argument, NULL, OPT_CHECK },
		{ "no-check", no_argument, NULL, OPT_NO_CHECK },
		{ "rtol", required_argument, NULL, OPT_RTOL },
		{ "atol", required_argument, NULL, OPT_ATOL },
		{ "shape", required_argument, NULL, OPT_SHAPE },
		{ "input", required_argument, NULL, 'i' },
		{ "fix", no_argument, NULL, OPT_FIX },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0], *out = NULL, *report = NULL, *spec = NULL, *in;
	bool partial = false, check = true, checked = false, written = false;
	struct ox_lg_report rep = { 0 };
	struct ox_equiv_report er = { 0 };
	struct ox_equiv_opts eo;
	struct ox_target *t = NULL;
	struct ox_model *m = NULL, *orig = NULL;
	struct ox_diag d;
	size_t n_shapes = 0;
	int c, n, rc = OX_EXIT_OK;
	char *end;

	ox_equiv_opts_init(&eo);
	eo.n_sets = DEFAULT_SETS;
	eo.shapes = shapes;
	optind = 1;
	eo.input_specs = specs;
	while ((c = getopt_long(argc, argv, "t:o:r:i:ph", opts, NULL)) != -1) {
		switch (c) {
		case 't': spec = optarg; break;
		case 'o': out = optarg; break;
		case 'r': report = optarg; break;
		case 'p': partial = true; break;
		case 'i': specs[eo.n_input_specs++] = optarg; break;
		case OPT_FIX: break;
		case OPT_NO_CHECK: check = false; break;
		case OPT_CHECK:
			check = true;
			if (optarg) {
				long v;

				errno = 0;
				v = strtol(optarg, &end, 10);
				if (errno || *end || end == optarg || v < 1 || v > 10000)
					return ox_cli_usage_error(cmd, "bad --check count '%s'", optarg);
				eo.n_sets = (int)v;
			}
			break;
		case OPT_RTOL:
		case OPT_ATOL: {
			double v = strtod(optarg, &end);

			if (*end || end == optarg || !(v >= 0))
				return ox_cli_usage_error(cmd, "bad tolerance '%s'", optarg);
			*(c == OPT_RTOL ? &eo.rtol : &eo.atol) = v;
			break;
		}
		case OPT_SHAPE:
			if (!ox_inputs_parse_shape(optarg, &shapes[n_shapes++]))
				return ox_cli_usage_error(cmd, "bad --shape (want NAME=1x3x224x224)");
			eo.n_shapes = n_shapes;
			break;
		case 'h': help(); return OX_EXIT_OK;
		default: return ox_cli_usage_error(cmd, "bad option");
		}
	}
	if (optind != argc - 1)
		return ox_cli_usage_error(cmd, "expected one MODEL");
	if (!spec)
		return ox_cli_usage_error(cmd, "--target NAME is required");
	if (!out)
		return ox_cli_usage_error(cmd, "-o OUT is required");
	in = argv[optind];
	ox_diag_init(&d, NULL);
	if (ox_target_open(spec, &t, &d) < 0) {
		ox_diag_print(&d, ox_prog);
		ox_diag_release(&d);
		return OX_EXIT_ERROR;
	}
	ox_diag_release(&d);
	if (!(m = ox_cli_load(in))) {
		ox_target_free(t);
		return OX_EXIT_ERROR;
	}
	ox_diag_init(&d, in);
	n = ox_legalize_model(&m, t, NULL, &rep, &d);
	if (n < 0) {
		rc = OX_EXIT_ERROR;
		goto done;
	}
	/* Nothing rewritten: the output is the input, nothing to prove. */
	if (check && rep.n_rewrites) {
		eo.n_shapes = default_shapes(m, shapes, n_shapes, (size_t)argc + OX_LG_MAX_INPUTS);
		if (!(orig = ox_cli_load(in))) {
			rc = OX_EXIT_ERROR;
			goto done;
		}
		if (ox_equiv_models(orig, m, &eo, &er, &d) < 0) {
			ox_diag_error(&d, OX_EUNSUPPORTED, "the check could not run the models "
				      "(use --no-check to skip it)");
			rc = OX_EXIT_ERROR;
			goto done;
		}
		checked = true;
		for (size_t i = 0; i < er.n_outputs; i++)
			if (!er.outputs[i].st.pass)
				ox_diag_error(&d, OX_EINVAL, "check: output '%s' differs after "
					      "legalizing: %lld of %lld elements beyond tolerance, "
					      "max abs error %g", er.outputs[i].name_a,
					      (long long)er.outputs[i].st.mismatches,
					      (long long)er.outputs[i].st.count, er.outputs[i].st.max_abs);
	}
	if (checked && !er.pass)
		rc = OX_EXIT_FINDING;
	else if (n > 0)
		rc = OX_EXIT_FINDING;
	if ((rc == OX_EXIT_OK || (n > 0 && partial && (!checked || er.pass)))) {
		ox_diag_print(&d, ox_prog);
		ox_diag_release(&d);
		ox_diag_init(&d, out);
		if (ox_model_save(m, out, NULL, &d) < 0)
			rc = OX_EXIT_ERROR;
		else
			written = true;
	}
	if (!ox_term_quiet())
		summary(&rep, in, t->name, &er, checked);
	if (n > 0 && !written)
		fprintf(stderr, "%s %s: %s: %zu node(s) stay unsupported on %s; no output written "
			"(--allow-partial writes it)\n", ox_prog, cmd, in, rep.n_left, t->name);
done:
	if (report && rc != OX_EXIT_ERROR) {
		json_t *doc = report_json(&rep, in, t->name, &er, checked, written, rc);

		if (!doc || write_json(doc, report) < 0) {
			fprintf(stderr, "%s %s: cannot write the report '%s'\n", ox_prog, cmd, report);
			rc = OX_EXIT_ERROR;
		}
		json_decref(doc);
	}
	ox_diag_print(&d, ox_prog);
	ox_diag_release(&d);
	if (checked)
		ox_equiv_report_release(&er);
	ox_lg_report_release(&rep);
	ox_model_free(orig);
	ox_model_free(m);
	ox_target_free(t);
	return rc;
}

int
ox_cmd_legalize(int argc, char **argv)
{
	struct ox_shape_opt *shapes = calloc((size_t)argc + OX_LG_MAX_INPUTS, sizeof *shapes);
	char **specs = calloc((size_t)argc + 1, sizeof *specs);
	int rc;

	if (!shapes || !specs) {
		free(shapes);
		free(specs);
		fprintf(stderr, "%s legalize: out of memory\n", ox_prog);
		return OX_EXIT_ERROR;
	}
	rc = legalize(argc, argv, shapes, specs);
	free(shapes);
	free(specs);
	return rc;
}

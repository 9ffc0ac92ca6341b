/* cmd_validate.c: `onnx-opt validate`: is each model valid ONNX? Every problem listed.
 *
 * Models are checked independently, by up to --jobs threads; the output keeps the
 * order of the command line whatever order they finish in, and text and JSON Lines
 * stream out as models finish. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "validate.h"

static void
help(void)
{
	printf("Usage: %s validate MODEL... [--full] [--format text|json|jsonl] [--jobs N]\n\n"
	       "Check that each MODEL is a valid ONNX model, as onnx.checker.check_model does,\n"
	       "and list every problem found rather than the first: IR version and opset\n"
	       "imports, graph structure (names defined once and before use), every node\n"
	       "against its operator schema at the model's opset (op, arity, attributes, type\n"
	       "constraints), tensors, sparse tensors, subgraphs and model-local functions.\n"
	       "Each problem has a stable code such as OX-V037 unknown-attribute; the codes\n"
	       "are listed in docs/validate.md.\n\n"
	       "Options:\n"
	       "  -f, --full           also infer shapes and types and report contradictions\n"
	       "                       (like check_model(full_check=True))\n"
	       "  -F, --format FMT     text (default), json, or jsonl: per model, on one line,\n"
	       "                       the json report of that model alone, written as each\n"
	       "                       one is done; on standard output\n"
	       "  -j, --jobs N         check up to N models at once (default 1); the output\n"
	       "                       keeps the command line's order\n"
	       "  -h, --help           show this help\n\n"
	       "Exit status: 0 every model is valid, 1 some model is invalid, 2 some model could\n"
	       "not be read as ONNX at all, or a usage error.\n", ox_prog);
}

enum format { FMT_TEXT, FMT_JSON, FMT_JSONL };

/* Room for every code of OX_VALIDATE_CODES. */
#define MAX_CODE 128

struct job {
	const char *path;
	struct ox_vreport r;
	int rc;
};

struct pool {
	struct job *jobs;
	size_t n;
	unsigned flags;
	enum format fmt;
	size_t count[3];            /* models per enum ox_vstatus */
	size_t problems[MAX_CODE], models[MAX_CODE]; /* per code, for a batch's summary */
	int error;                  /* OX_ENOMEM or OX_EIO from writing JSON */
};

static void
work(size_t i, void *arg)
{
	struct pool *p = arg;
	struct job *j = &p->jobs[i];

	j->rc = ox_validate_file(j->path, p->flags, &j->r);
}

static const char *
sev_name(enum ox_severity s)
{
	return s == OX_ERROR ? "error" : s == OX_WARNING ? "warning" : "note";
}

static const char *
status_name(enum ox_vstatus s)
{
	return s == OX_VALID ? "valid" : s == OX_INVALID ? "invalid" : "unreadable";
}

static void
print_text(const struct job *j)
{
	const struct ox_vreport *r = &j->r;
	char id[16];

	for (size_t i = 0; i < r->n; i++) {
		const struct ox_vissue *e = &r->issues[i];

		printf("%s: %s %s %s: ", j->path, sev_name(e->severity), ox_validate_code_id(e->code, id, sizeof id),
		       ox_validate_code_name(e->code));
		if (e->graph)
			printf("in %s: ", e->graph);
		if (e->op && e->node && *e->node)
			printf("node '%s' (%s): ", e->node, e->op);
		else if (e->op)
			printf("%s node: ", e->op);
		printf("%s\n", e->message);
	}
	if (r->status == OX_VALID && !r->n_warnings)
		printf("%s: valid\n", j->path);
	else if (r->status == OX_VALID)
		printf("%s: valid (%zu warning%s)\n", j->path, r->n_warnings, r->n_warnings == 1 ? "" : "s");
	else if (r->status == OX_INVALID)
		printf("%s: invalid (%zu error%s, %zu warning%s)\n", j->path, r->n_errors, r->n_errors == 1 ? "" : "s",
		       r->n_warnings, r->n_warnings == 1 ? "" : "s");
	else
		printf("%s: unreadable\n", j->path);
	if (r->oom)
		printf("%s: out of memory: some problems may be missing\n", j->path);
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
model_json(const struct job *j)
{
	const struct ox_vreport *r = &j->r;
	json_t *o = json_object(), *issues = json_array();
	char id[16];

	json_object_set_new(o, "file", json_string(j->path));
	json_object_set_new(o, "status", json_string(status_name(r->status)));
	json_object_set_new(o, "errors", json_integer((json_int_t)r->n_errors));
	json_object_set_new(o, "warnings", json_integer((json_int_t)r->n_warnings));
	json_object_set_new(o, "notes", json_integer((json_int_t)r->n_notes));
	json_object_set_new(o, "complete", json_boolean(!r->oom));
	for (size_t i = 0; i < r->n; i++) {
		const struct ox_vissue *e = &r->issues[i];
		json_t *x = json_object();

		json_object_set_new(x, "code", json_string(ox_validate_code_id(e->code, id, sizeof id)));
		json_object_set_new(x, "name", json_string(ox_validate_code_name(e->code)));
		json_object_set_new(x, "severity", json_string(sev_name(e->severity)));
		json_object_set_new(x, "graph", str_or_null(e->graph));
		json_object_set_new(x, "node", str_or_null(e->node));
		json_object_set_new(x, "op", str_or_null(e->op));
		json_object_set_new(x, "message", json_string(e->message));
		json_array_append_new(issues, x);
	}
	json_object_set_new(o, "issues", issues);
	return o;
}

/* The report of models[0..n), as --format json prints it. */
static json_t *
doc_json(const struct pool *p, const struct job *jobs, size_t n)
{
	json_t *root = json_object(), *models = json_array(), *sum = json_object();
	size_t count[3] = { 0 };

	for (size_t i = 0; i < n; i++) {
		count[jobs[i].r.status]++;
		json_array_append_new(models, model_json(&jobs[i]));
	}
	json_object_set_new(root, "schema_version", json_integer(1));
	json_object_set_new(root, "full", json_boolean(p->flags & OX_VALIDATE_FULL));
	json_object_set_new(root, "models", models);
	json_object_set_new(sum, "models", json_integer((json_int_t)n));
	json_object_set_new(sum, "valid", json_integer((json_int_t)count[OX_VALID]));
	json_object_set_new(sum, "invalid", json_integer((json_int_t)count[OX_INVALID]));
	json_object_set_new(sum, "unreadable", json_integer((json_int_t)count[OX_UNREADABLE]));
	json_object_set_new(root, "summary", sum);
	return root;
}

/* In command-line order, as each model's check ends: text and JSON Lines go out at
 * once and the report is dropped; JSON waits for the whole batch. */
static void
done(size_t i, void *arg)
{
	struct pool *p = arg;
	struct job *j = &p->jobs[i];
	bool seen[MAX_CODE] = { false };

	if (j->rc == OX_ENOMEM && !j->r.n)
		j->r.status = OX_UNREADABLE;
	p->count[j->r.status]++;
	for (size_t k = 0; k < j->r.n; k++) {
		int code = j->r.issues[k].code;

		if (code < 0 || code >= MAX_CODE)
			continue;
		p->problems[code]++;
		p->models[code] += !seen[code];
		seen[code] = true;
	}
	if (p->fmt == FMT_TEXT) {
		print_text(j);
	} else if (p->fmt == FMT_JSONL) {
		json_t *doc = doc_json(p, j, 1);

		if (json_dumpf(doc, stdout, JSON_COMPACT) < 0 || fputc('\n', stdout) < 0)
			p->error = OX_EIO;
		fflush(stdout);
		json_decref(doc);
	}
	if (p->fmt != FMT_JSON)
		ox_vreport_release(&j->r);
}

/* After a batch in text: how many models in each state, and which problems. */
static void
print_summary(const struct pool *p)
{
	struct ox_table tb;
	char id[16];

	printf("%zu models: %zu valid, %zu invalid, %zu unreadable\n", p->n, p->count[OX_VALID],
	       p->count[OX_INVALID], p->count[OX_UNREADABLE]);
	ox_table_init(&tb, "  ");
	ox_table_right(&tb, 3);
	ox_table_right(&tb, 4);
	ox_table_header(&tb, "code", "name", "severity", "problems", "models", NULL);
	for (int c = 0; c < MAX_CODE; c++) {
		enum ox_severity sev;

		if (!p->problems[c])
			continue;
		sev = ox_validate_code_severity(c);
		ox_table_row(&tb, false, sev == OX_ERROR ? OX_STYLE_BAD : OX_STYLE_RESET);
		ox_table_cell(&tb, ox_validate_code_id(c, id, sizeof id));
		ox_table_cell(&tb, ox_validate_code_name(c));
		ox_table_cell(&tb, sev_name(sev));
		ox_table_cellf(&tb, "%zu", p->problems[c]);
		ox_table_cellf(&tb, "%zu", p->models[c]);
	}
	if (tb.n_rows > 1)
		ox_table_print(&tb, stdout);
	ox_table_release(&tb);
}

int
ox_cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "full", no_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pool p = { 0 };
	int jobs = 1;
	int c, rc = OX_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "fF:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': p.flags |= OX_VALIDATE_FULL; break;
		case 'F':
			if (!strcmp(optarg, "json"))
				p.fmt = FMT_JSON;
			else if (!strcmp(optarg, "jsonl"))
				p.fmt = FMT_JSONL;
			else if (strcmp(optarg, "text"))
				return ox_cli_usage_error("validate", "--format is text, json or jsonl, "
							  "not '%s'", optarg);
			break;
		case 'j':
			if (!ox_cli_parse_jobs("validate", optarg, &jobs))
				return OX_EXIT_ERROR;
			break;
		case 'h': help(); return OX_EXIT_OK;
		default: return ox_cli_usage_error("validate", "bad option");
		}
	}
	if (optind >= argc)
		return ox_cli_usage_error("validate", "expected at least one MODEL");
	p.n = (size_t)(argc - optind);
	if (!(p.jobs = calloc(p.n, sizeof *p.jobs))) {
		fprintf(stderr, "%s validate: out of memory\n", ox_prog);
		return OX_EXIT_ERROR;
	}
	for (size_t i = 0; i < p.n; i++) {
		p.jobs[i].path = argv[optind + (int)i];
		ox_vreport_init(&p.jobs[i].r, p.jobs[i].path);
	}
	ox_validate_prepare();
	if (ox_cli_batch(p.n, jobs, "validate", argv + optind, work, done, &p) < 0) {
		fprintf(stderr, "%s validate: out of memory\n", ox_prog);
		rc = OX_EXIT_ERROR;
	} else if (p.fmt == FMT_JSON) {
		json_t *root = doc_json(&p, p.jobs, p.n);

		if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
			rc = OX_EXIT_ERROR;
		fputc('\n', stdout);
		json_decref(root);
	} else if (p.fmt == FMT_TEXT && p.n > 1) {
		print_summary(&p);
	}
	if (p.error)
		rc = OX_EXIT_ERROR;
	if (p.count[OX_UNREADABLE])
		rc = OX_EXIT_ERROR;
	else if (p.count[OX_INVALID] && rc == OX_EXIT_OK)
		rc = OX_EXIT_FINDING;
	for (size_t i = 0; i < p.n; i++)
		ox_vreport_release(&p.jobs[i].r);
	free(p.jobs);
	return rc;
}

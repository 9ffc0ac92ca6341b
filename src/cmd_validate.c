/* cmd_validate.c: `onnx-opt validate`: is each model valid ONNX? Every problem listed.
 *
 * Models are checked independently, by up to --jobs threads; the output keeps the
 * order of the command line whatever order they finish in. */
#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "validate.h"

static void
help(void)
{
	printf("Usage: %s validate MODEL... [--full] [--format text|json] [--jobs N]\n\n"
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
	       "  -F, --format FMT     text (default) or json, on standard output\n"
	       "  -j, --jobs N         check up to N models at once (default 1)\n"
	       "  -h, --help           show this help\n\n"
	       "Exit status: 0 every model is valid, 1 some model is invalid, 2 some model could\n"
	       "not be read as ONNX at all, or a usage error.\n", ox_prog);
}

struct job {
	const char *path;
	struct ox_vreport r;
	int rc;
};

struct pool {
	struct job *jobs;
	size_t n;
	unsigned flags;
	atomic_size_t next;
};

static void *
worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		struct job *j = &p->jobs[i];

		j->rc = ox_validate_file(j->path, p->flags, &j->r);
	}
	return NULL;
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
	bool json = false;
	long jobs = 1;
	char *end;
	int c, rc = OX_EXIT_OK;
	size_t count[3] = { 0 };

	optind = 1;
	while ((c = getopt_long(argc, argv, "fF:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': p.flags |= OX_VALIDATE_FULL; break;
		case 'F':
			if (!strcmp(optarg, "json"))
				json = true;
			else if (strcmp(optarg, "text"))
				return ox_cli_usage_error("validate", "--format is text or json, not '%s'", optarg);
			break;
		case 'j':
			jobs = strtol(optarg, &end, 10);
			if (*end || end == optarg || jobs < 1 || jobs > 256)
				return ox_cli_usage_error("validate", "--jobs wants a number from 1 to 256");
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
	atomic_init(&p.next, 0);
	ox_validate_prepare();
	if (jobs > (long)p.n)
		jobs = (long)p.n;
	{
		pthread_t tid[256];
		long started = 0;

		for (long t = 1; t < jobs; t++, started++)
			if (pthread_create(&tid[t - 1], NULL, worker, &p))
				break;
		worker(&p);
		for (long t = 0; t < started; t++)
			pthread_join(tid[t], NULL);
	}

	json_t *models = json ? json_array() : NULL;

	for (size_t i = 0; i < p.n; i++) {
		struct job *j = &p.jobs[i];

		if (j->rc == OX_ENOMEM && !j->r.n)
			j->r.status = OX_UNREADABLE;
		count[j->r.status]++;
		if (json)
			json_array_append_new(models, model_json(j));
		else
			print_text(j);
	}
	if (json) {
		json_t *root = json_object(), *sum = json_object();

		json_object_set_new(root, "schema_version", json_integer(1));
		json_object_set_new(root, "full", json_boolean(p.flags & OX_VALIDATE_FULL));
		json_object_set_new(root, "models", models);
		json_object_set_new(sum, "models", json_integer((json_int_t)p.n));
		json_object_set_new(sum, "valid", json_integer((json_int_t)count[OX_VALID]));
		json_object_set_new(sum, "invalid", json_integer((json_int_t)count[OX_INVALID]));
		json_object_set_new(sum, "unreadable", json_integer((json_int_t)count[OX_UNREADABLE]));
		json_object_set_new(root, "summary", sum);
		if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
			rc = OX_EXIT_ERROR;
		fputc('\n', stdout);
		json_decref(root);
	}
	if (count[OX_UNREADABLE])
		rc = OX_EXIT_ERROR;
	else if (count[OX_INVALID] && rc == OX_EXIT_OK)
		rc = OX_EXIT_FINDING;
	for (size_t i = 0; i < p.n; i++)
		ox_vreport_release(&p.jobs[i].r);
	free(p.jobs);
	return rc;
}

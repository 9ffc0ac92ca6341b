/* cmd_audit.c: `onnx-opt audit`: will these models run on these runtimes?
 *
 * Loads the target profiles, audits every model (in --jobs threads; results keep
 * the command line's order), writes one report (text, JSON or SARIF; or JSON Lines,
 * one line per model as soon as it and those before it are done) to stdout or
 * atomically to -o FILE, and turns the verdicts into the exit status: 0 nothing at
 * or above --fail-on, 1 findings at or above it, 2 a usage error or a model that
 * did not load (the others are still audited and reported). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../reports/audit.h"
#include "cli.h"
#include "targets.h"

enum format { FMT_TEXT, FMT_JSON, FMT_SARIF, FMT_JSONL };

struct run {
	char **paths;
	size_t n;
	struct ox_target **targets;
	size_t nt;
	struct ox_audit_opts opts;
	enum format fmt;
	FILE *f;                    /* where the report goes */
	struct ox_audit_model **results; /* NULL once streamed out (jsonl) */
	int *rc;                    /* ox_audit_file's return per model */
	char **lines;               /* jsonl: each model's line, made by the worker */
	enum ox_verdict *worst;     /* per target, over the models that loaded */
	int error;                  /* first OX_ENOMEM or OX_EIO */
};

/* JSON Lines: the document --format json gives for this model alone, on one line;
 * NULL when memory runs out. */
static char *
make_line(struct run *p, struct ox_audit_model *am)
{
	json_t *doc = ox_audit_json(&am, 1, p->targets, p->nt);
	char *line;

	if (!doc)
		return NULL;
	line = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(doc);
	return line;
}

/* Serializing is as much work as auditing: the workers do it too. */
static void
work(size_t i, void *arg)
{
	struct run *p = arg;

	p->rc[i] = ox_audit_file(p->paths[i], p->targets, p->nt, &p->opts, &p->results[i]);
	if (p->fmt == FMT_JSONL && p->rc[i] == 0)
		p->lines[i] = make_line(p, p->results[i]);
}

/* In command-line order, as each model's audit ends. */
static void
done(size_t i, void *arg)
{
	struct run *p = arg;
	struct ox_audit_model *am = p->results[i];

	if (p->rc[i] < 0 || !am) {
		p->error = p->error ? p->error : OX_ENOMEM;
		return;
	}
	for (size_t t = 0; !am->status && t < p->nt; t++)
		if (am->summary[t].verdict > p->worst[t])
			p->worst[t] = am->summary[t].verdict;
	if (p->fmt != FMT_JSONL || p->error)
		return;
	if (!p->lines[i])
		p->error = OX_ENOMEM;
	else if (fputs(p->lines[i], p->f) < 0 || fputc('\n', p->f) < 0 || fflush(p->f) != 0)
		p->error = OX_EIO;
	free(p->lines[i]);
	p->lines[i] = NULL;
	/* Streamed out: only a load failure's message is still needed. */
	if (!am->status) {
		ox_audit_model_free(am);
		p->results[i] = NULL;
	}
}

/* Open the report's destination: stdout, or a temporary file beside path that
 * close_report() renames over it, so a reader never sees half a report and a
 * failure leaves the old file alone. */
static int
open_report(const char *path, FILE **f, char **tmp)
{
	int fd;

	*f = stdout;
	*tmp = NULL;
	if (!path || !strcmp(path, "-"))
		return 0;
	if (!(*tmp = malloc(strlen(path) + 16)))
		return OX_ENOMEM;
	sprintf(*tmp, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(*tmp)) >= 0) {
		/* mkstemp makes the file 0600; a report gets the usual mode. */
		mode_t mask = umask(0);

		umask(mask);
		fchmod(fd, 0666 & ~mask);
	}
	if (fd < 0 || !(*f = fdopen(fd, "w"))) {
		fprintf(stderr, "%s audit: cannot write %s: %s\n", ox_prog, path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(*tmp);
		}
		free(*tmp);
		*tmp = NULL;
		*f = stdout;
		return OX_EIO;
	}
	return 0;
}

/* Finish the report; keep says whether it is complete. 0 or OX_EIO. */
static int
close_report(const char *path, FILE *f, char *tmp, bool keep)
{
	int r = fflush(f) != 0 ? OX_EIO : 0;

	if (tmp) {
		if (!r && keep && fsync(fileno(f)) < 0)
			r = OX_EIO;
		if (fclose(f) != 0)
			r = OX_EIO;
		if (!r && keep && rename(tmp, path) < 0)
			r = OX_EIO;
		if (r || !keep)
			unlink(tmp);
		free(tmp);
	}
	if (r)
		fprintf(stderr, "%s audit: cannot write %s: %s\n", ox_prog, path ? path : "the report",
			strerror(errno));
	return r;
}

/* The whole report at once, for the formats that need every model. */
static int
write_report(struct run *p, bool verbose)
{
	json_t *doc;
	int r = 0;

	if (p->fmt == FMT_JSONL)
		return 0;
	if (p->fmt == FMT_TEXT)
		return ox_audit_text(p->f, p->results, p->n, p->targets, p->nt, verbose);
	doc = p->fmt == FMT_JSON ? ox_audit_json(p->results, p->n, p->targets, p->nt)
				 : ox_audit_sarif(p->results, p->n, p->targets, p->nt);
	if (!doc)
		return OX_ENOMEM;
	if (json_dumpf(doc, p->f, JSON_INDENT(2) | JSON_ENSURE_ASCII) < 0 || fputc('\n', p->f) < 0)
		r = OX_EIO;
	json_decref(doc);
	return r;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: %s audit MODEL... [--target NAME|FILE]... [--format text|json|jsonl|sarif]\n"
		"       [-o FILE] [--jobs N] [--fail-on unsupported|partial|never]\n\n"
		"Check every node of each model (subgraphs and functions included) against\n"
		"runtime profiles: supported, partial (a restriction fails) or unsupported,\n"
		"with the reason and a suggestion.\n\n"
		"  -t, --target NAME|FILE  a built-in profile ('%s targets' lists them),\n"
		"                          opset:N, or a profile file; repeatable.\n"
		"                          Default: every built-in profile\n"
		"  -f, --format FMT        text (default), json (docs/audit-json.md), sarif,\n"
		"                          or jsonl: per model, on one line, the json report\n"
		"                          of that model alone, written as each one is done\n"
		"  -o, --output FILE       write the report there (atomically); default stdout\n"
		"  -j, --jobs N            audit N models at a time (default 1); the output\n"
		"                          keeps the command line's order\n"
		"      --fail-on LEVEL     exit 1 when a node is unsupported (default),\n"
		"                          partial or worse, or never\n"
		"      --no-infer          use only the types the file declares\n"
		"  -v, --verbose           text: every node, not only the problems\n"
		"      --fix               rewrite the model for one --target and write it\n"
		"                          to -o OUT: the same as '%s legalize'\n"
		"  -h, --help              this text\n\n"
		"Exit status: 0 no finding at or above --fail-on, 1 findings, 2 usage error or a\n"
		"model that could not be loaded (the others are still reported).\n",
		ox_prog, ox_prog, ox_prog);
}

static int
add_target(struct ox_target ***ts, size_t *n, const char *spec)
{
	struct ox_target *t, **p;
	struct ox_diag d;
	int r;

	ox_diag_init(&d, NULL);
	r = ox_target_open(spec, &t, &d);
	if (r < 0) {
		ox_diag_print(&d, ox_prog);
		ox_diag_release(&d);
		return r;
	}
	ox_diag_release(&d);
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*ts)[i]->name, t->name)) {
			fprintf(stderr, "%s audit: two targets are called '%s'\n", ox_prog, t->name);
			ox_target_free(t);
			return OX_EUSAGE;
		}
	}
	if (!(p = realloc(*ts, (*n + 1) * sizeof *p))) {
		ox_target_free(t);
		return OX_ENOMEM;
	}
	p[(*n)++] = t;
	*ts = p;
	return 0;
}

static int
default_targets(struct ox_target ***ts, size_t *n)
{
	struct ox_diag d;
	char **names;
	size_t k;
	int r;

	ox_diag_init(&d, NULL);
	r = ox_target_names(&names, &k, &d);
	if (r < 0 || !k) {
		ox_diag_print(&d, ox_prog);
		ox_diag_release(&d);
		if (!k && r >= 0)
			fprintf(stderr, "%s audit: no built-in profiles in %s; name one with "
				"--target\n", ox_prog, ox_targets_dir());
		return r < 0 ? r : OX_EIO;
	}
	ox_diag_release(&d);
	for (size_t i = 0; i < k && r == 0; i++)
		r = add_target(ts, n, names[i]);
	ox_target_names_free(names, k);
	return r;
}

int
ox_cmd_audit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "no-infer", no_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run p = { .opts = { .infer = true }, .fmt = FMT_TEXT };
	struct ox_target **targets = NULL;
	size_t nt = 0;
	int fail_on = OX_VERDICT_UNSUPPORTED;  /* INT_MAX: never */
	const char *out = NULL;
	bool verbose = false;
	char *tmp = NULL;
	int jobs = 1, c, status = OX_EXIT_OK, r;
	bool audited = false;

	/* audit --fix -o OUT is legalize (cmd_legalize.c). */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--fix"))
			return ox_cmd_legalize(argc, argv);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:f:o:j:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			if ((r = add_target(&targets, &nt, optarg)) < 0) {
				status = r == OX_EUSAGE ? ox_cli_usage_error("audit", "bad --target "
						"'%s'", optarg) : OX_EXIT_ERROR;
				goto out;
			}
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				p.fmt = FMT_TEXT;
			else if (!strcmp(optarg, "json"))
				p.fmt = FMT_JSON;
			else if (!strcmp(optarg, "jsonl"))
				p.fmt = FMT_JSONL;
			else if (!strcmp(optarg, "sarif"))
				p.fmt = FMT_SARIF;
			else {
				status = ox_cli_usage_error("audit", "unknown format '%s' (text, "
							    "json, jsonl, sarif)", optarg);
				goto out;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'j':
			if (!ox_cli_parse_jobs("audit", optarg, &jobs)) {
				status = OX_EXIT_ERROR;
				goto out;
			}
			break;
		case 'F':
			if (!strcmp(optarg, "unsupported"))
				fail_on = OX_VERDICT_UNSUPPORTED;
			else if (!strcmp(optarg, "partial"))
				fail_on = OX_VERDICT_PARTIAL;
			else if (!strcmp(optarg, "never"))
				fail_on = INT_MAX;
			else {
				status = ox_cli_usage_error("audit", "--fail-on takes unsupported, "
							    "partial or never");
				goto out;
			}
			break;
		case 'I':
			p.opts.infer = false;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			goto out;
		case ':':
			status = ox_cli_usage_error("audit", "option '%s' needs a value",
						    argv[optind - 1]);
			goto out;
		default:
			status = ox_cli_usage_error("audit", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc) {
		status = ox_cli_usage_error("audit", "no model given");
		goto out;
	}
	if (!nt && (r = default_targets(&targets, &nt)) < 0) {
		status = OX_EXIT_ERROR;
		goto out;
	}
	p.paths = argv + optind;
	p.n = (size_t)(argc - optind);
	p.targets = targets;
	p.nt = nt;
	p.results = calloc(p.n, sizeof *p.results);
	p.rc = calloc(p.n, sizeof *p.rc);
	p.worst = calloc(nt + 1, sizeof *p.worst);
	p.lines = calloc(p.n, sizeof *p.lines);
	if (!p.results || !p.rc || !p.worst || !p.lines) {
		fprintf(stderr, "%s audit: out of memory\n", ox_prog);
		status = OX_EXIT_ERROR;
		goto out;
	}
	if (open_report(out, &p.f, &tmp) < 0) {
		status = OX_EXIT_ERROR;
		goto out;
	}
	ox_audit_prepare();
	if (ox_cli_batch(p.n, jobs, "audit", p.paths, work, done, &p) < 0)
		p.error = OX_ENOMEM;
	if (!p.error && (r = write_report(&p, verbose)) < 0)
		p.error = r;
	if (p.error == OX_ENOMEM)
		fprintf(stderr, "%s audit: out of memory\n", ox_prog);
	/* A report file only when some model was audited: a lone broken model, or a
	 * batch of them, leaves no file behind (the errors go to stderr). */
	for (size_t i = 0; i < p.n; i++)
		if (!p.results[i] || !p.results[i]->status)
			audited = true;
	if (close_report(out, p.f, tmp, !p.error && audited) < 0 || p.error) {
		status = OX_EXIT_ERROR;
		goto out;
	}
	for (size_t i = 0; i < p.n; i++) {
		if (p.results[i] && p.results[i]->status) {
			fprintf(stderr, "%s audit: %s\n", ox_prog, p.results[i]->error);
			status = OX_EXIT_ERROR;
		}
	}
	if (status == OX_EXIT_OK)
		for (size_t t = 0; t < nt; t++)
			if ((int)p.worst[t] >= fail_on)
				status = OX_EXIT_FINDING;
out:
	for (size_t i = 0; p.results && i < p.n; i++)
		ox_audit_model_free(p.results[i]);
	free(p.results);
	free(p.rc);
	free(p.worst);
	for (size_t i = 0; p.lines && i < p.n; i++)
		free(p.lines[i]);
	free(p.lines);
	for (size_t t = 0; t < nt; t++)
		ox_target_free(targets[t]);
	free(targets);
	return status;
}

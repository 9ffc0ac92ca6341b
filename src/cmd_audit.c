/* cmd_audit.c: `onnx-opt audit`: will these models run on these runtimes?
 *
 * Loads the target profiles, audits every model (in --jobs threads; results keep
 * the command line's order), writes one report (text, JSON or SARIF) to stdout or
 * atomically to -o FILE, and turns the verdicts into the exit status: 0 nothing at
 * or above --fail-on, 1 findings at or above it, 2 a usage error or a model that
 * did not load (the others are still audited and reported). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../reports/audit.h"
#include "cli.h"
#include "targets.h"

#define MAX_JOBS 256

enum format { FMT_TEXT, FMT_JSON, FMT_SARIF };

struct pool {
	char **paths;
	size_t n;
	struct ox_target **targets;
	size_t nt;
	struct ox_audit_opts opts;
	struct ox_audit_model **results;
	size_t next;
	int error;                  /* first OX_ENOMEM */
	pthread_mutex_t lock;
};

static void *
worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		size_t i;
		int r;

		pthread_mutex_lock(&p->lock);
		i = p->error ? p->n : p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		r = ox_audit_file(p->paths[i], p->targets, p->nt, &p->opts, &p->results[i]);
		if (r < 0) {
			pthread_mutex_lock(&p->lock);
			if (!p->error)
				p->error = r;
			pthread_mutex_unlock(&p->lock);
		}
	}
}

static int
run_pool(struct pool *p, int jobs)
{
	pthread_t th[MAX_JOBS];
	int started = 0;

	if ((size_t)jobs > p->n)
		jobs = p->n ? (int)p->n : 1;
	pthread_mutex_init(&p->lock, NULL);
	for (int i = 1; i < jobs; i++) {
		if (pthread_create(&th[started], NULL, worker, p) != 0)
			break;          /* fewer threads is still correct */
		started++;
	}
	worker(p);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&p->lock);
	return p->error;
}

/* Write the report to path through a temporary file in the same directory, so a
 * reader never sees half a report and a failure leaves the old file alone. */
static int
write_report(const char *path, enum format fmt, json_t *doc, struct pool *p, bool verbose)
{
	char *tmp = NULL;
	FILE *f = stdout;
	int fd = -1, r = 0;

	if (path && strcmp(path, "-")) {
		size_t n = strlen(path) + 16;

		if (!(tmp = malloc(n)))
			return OX_ENOMEM;
		snprintf(tmp, n, "%s.tmpXXXXXX", path);
		if ((fd = mkstemp(tmp)) >= 0) {
			/* mkstemp makes the file 0600; a report gets the usual mode. */
			mode_t mask = umask(0);

			umask(mask);
			fchmod(fd, 0666 & ~mask);
		}
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			fprintf(stderr, "%s audit: cannot write %s: %s\n", ox_prog, path,
				strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			free(tmp);
			return OX_EIO;
		}
	}
	if (fmt == FMT_TEXT)
		r = ox_audit_text(f, p->results, p->n, p->targets, p->nt, verbose);
	else if (json_dumpf(doc, f, JSON_INDENT(2) | JSON_ENSURE_ASCII) < 0 || fputc('\n', f) < 0)
		r = OX_EIO;
	if (fflush(f) != 0)
		r = OX_EIO;
	if (tmp) {
		if (!r && fsync(fileno(f)) < 0)
			r = OX_EIO;
		if (fclose(f) != 0)
			r = OX_EIO;
		if (!r && rename(tmp, path) < 0)
			r = OX_EIO;
		if (r) {
			fprintf(stderr, "%s audit: cannot write %s: %s\n", ox_prog, path,
				strerror(errno));
			unlink(tmp);
		}
		free(tmp);
	}
	return r;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: %s audit MODEL... [--target NAME|FILE]... [--format text|json|sarif]\n"
		"       [-o FILE] [--jobs N] [--fail-on unsupported|partial|never]\n\n"
		"Check every node of each model (subgraphs and functions included) against\n"
		"runtime profiles: supported, partial (a restriction fails) or unsupported,\n"
		"with the reason and a suggestion.\n\n"
		"  -t, --target NAME|FILE  a built-in profile ('%s targets' lists them),\n"
		"                          opset:N, or a profile file; repeatable.\n"
		"                          Default: every built-in profile\n"
		"  -f, --format FMT        text (default), json (docs/audit-json.md), sarif\n"
		"  -o, --output FILE       write the report there (atomically); default stdout\n"
		"  -j, --jobs N            audit N models at a time (default 1)\n"
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
	struct pool p = { .opts = { .infer = true } };
	struct ox_target **targets = NULL;
	size_t nt = 0;
	enum format fmt = FMT_TEXT;
	int fail_on = OX_VERDICT_UNSUPPORTED;  /* OX_VERDICT_COUNT-like 3: never */
	const char *out = NULL;
	bool verbose = false;
	json_t *doc = NULL;
	int jobs = 1, c, status = OX_EXIT_OK, r;

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
				fmt = FMT_TEXT;
			else if (!strcmp(optarg, "json"))
				fmt = FMT_JSON;
			else if (!strcmp(optarg, "sarif"))
				fmt = FMT_SARIF;
			else {
				status = ox_cli_usage_error("audit", "unknown format '%s' (text, "
							    "json, sarif)", optarg);
				goto out;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'j': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > MAX_JOBS) {
				status = ox_cli_usage_error("audit", "--jobs takes 1 to %d", MAX_JOBS);
				goto out;
			}
			jobs = (int)v;
			break;
		}
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
	if (!(p.results = calloc(p.n, sizeof *p.results))) {
		fprintf(stderr, "%s audit: out of memory\n", ox_prog);
		status = OX_EXIT_ERROR;
		goto out;
	}
	ox_audit_prepare();
	if (run_pool(&p, jobs) < 0) {
		fprintf(stderr, "%s audit: out of memory\n", ox_prog);
		status = OX_EXIT_ERROR;
		goto out;
	}
	if (fmt != FMT_TEXT) {
		doc = fmt == FMT_JSON ? ox_audit_json(p.results, p.n, targets, nt)
				      : ox_audit_sarif(p.results, p.n, targets, nt);
		if (!doc) {
			fprintf(stderr, "%s audit: out of memory\n", ox_prog);
			status = OX_EXIT_ERROR;
			goto out;
		}
	}
	if (write_report(out, fmt, doc, &p, verbose) < 0) {
		status = OX_EXIT_ERROR;
		goto out;
	}
	for (size_t i = 0; i < p.n; i++) {
		if (p.results[i]->status) {
			fprintf(stderr, "%s audit: %s\n", ox_prog, p.results[i]->error);
			status = OX_EXIT_ERROR;
		}
	}
	if (status == OX_EXIT_OK)
		for (size_t t = 0; t < nt; t++)
			if ((int)ox_audit_batch_verdict(p.results, p.n, t) >= fail_on)
				status = OX_EXIT_FINDING;
out:
	json_decref(doc);
	for (size_t i = 0; p.results && i < p.n; i++)
		ox_audit_model_free(p.results[i]);
	free(p.results);
	for (size_t t = 0; t < nt; t++)
		ox_target_free(targets[t]);
	free(targets);
	return status;
}

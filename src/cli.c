/* cli.c: helpers shared by the subcommands. See cli.h. */
#include "config.h"

#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <jansson.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "onnx_io.h"

const char *ox_prog = "onnx-opt";

int
ox_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", ox_prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try '%s %s --help')\n", ox_prog, cmd);
	return OX_EXIT_ERROR;
}

struct ox_model *
ox_cli_load(const char *path)
{
	struct ox_diag d;
	struct ox_model *m = NULL;

	ox_diag_init(&d, path);
	if (ox_model_load(path, &m, &d) < 0) {
		ox_diag_print(&d, ox_prog);
		m = NULL;
	}
	ox_diag_release(&d);
	return m;
}

/* Start a progress line for a file that is big enough to deserve one. */
static void
big_file_progress(struct ox_progress *p, const char *verb, const char *path, uint64_t size,
		  char *label, size_t len)
{
	char b[32];

	memset(p, 0, sizeof *p);
	if (size < OX_PROGRESS_BIG_FILE)
		return;
	snprintf(label, len, "%s %s (%s)", verb, path, ox_cli_bytes((double)size, b, sizeof b));
	ox_progress_start(p, label, 0);
}

void
ox_cli_load_progress(struct ox_progress *p, const char *path, char *label, size_t len)
{
	struct stat st;

	memset(p, 0, sizeof *p);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		big_file_progress(p, "loading", path, (uint64_t)st.st_size, label, len);
}

struct ox_model *
ox_cli_load_big(const char *path)
{
	struct ox_progress p;
	struct ox_model *m;
	char label[512];

	ox_cli_load_progress(&p, path, label, sizeof label);
	m = ox_cli_load(path);
	ox_progress_end(&p);
	return m;
}

static uint64_t
param_bytes(const struct ox_model *m)
{
	uint64_t n = 0;

	for (size_t i = 0; m->graph && i < m->graph->n_inits; i++)
		n += m->graph->inits[i]->init->nbytes;
	return n;
}

int
ox_cli_save(struct ox_model *m, const char *path, const struct ox_save_opts *opts,
	    struct ox_diag *d)
{
	struct ox_progress p;
	char label[512];
	int r;

	/* The parameters are what make a model big; its file will be about as large. */
	big_file_progress(&p, "saving", path, param_bytes(m), label, sizeof label);
	r = ox_model_save(m, path, opts, d);
	ox_progress_end(&p);
	return r;
}

bool
ox_cli_parse_jobs(const char *cmd, const char *s, int *jobs)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > OX_CLI_MAX_JOBS) {
		ox_cli_usage_error(cmd, "--jobs takes a number from 1 to %d, not '%s'",
				   OX_CLI_MAX_JOBS, s);
		return false;
	}
	*jobs = (int)v;
	return true;
}

/* Workers run at most this many items per job ahead of the one done() waits for,
 * so a slow model holds back only a bounded number of finished results. */
#define BATCH_AHEAD 4

struct batch {
	size_t n, next;
	size_t printed;             /* items done() has seen */
	size_t ahead;               /* how far past printed the workers may start */
	bool *finished;
	void (*work)(size_t, void *);
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t finished_one, printed_one;
};

static void *
batch_worker(void *arg)
{
	struct batch *b = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&b->lock);
		while (b->next < b->n && b->next >= b->printed + b->ahead)
			pthread_cond_wait(&b->printed_one, &b->lock);
		i = b->next < b->n ? b->next++ : b->n;
		pthread_mutex_unlock(&b->lock);
		if (i == b->n)
			return NULL;
		b->work(i, b->arg);
		pthread_mutex_lock(&b->lock);
		b->finished[i] = true;
		pthread_cond_signal(&b->finished_one);
		pthread_mutex_unlock(&b->lock);
	}
}

int
ox_cli_batch(size_t n, int jobs, const char *label, char *const *what,
	     void (*work)(size_t, void *), void (*done)(size_t, void *), void *arg)
{
	struct batch b;
	pthread_t th[OX_CLI_MAX_JOBS];
	struct ox_progress p;
	int started = 0;

	memset(&b, 0, sizeof b);
	b.n = n;
	b.work = work;
	b.arg = arg;
	if (jobs > OX_CLI_MAX_JOBS)
		jobs = OX_CLI_MAX_JOBS;
	if ((size_t)jobs > n)
		jobs = (int)n;
	if (jobs > 1 && !(b.finished = calloc(n, sizeof *b.finished)))
		return OX_ENOMEM;
	b.ahead = (size_t)jobs * BATCH_AHEAD;
	/* One model has a progress line of its own, if any: big files, big graphs. */
	if (n > 1)
		ox_progress_start(&p, label, n);
	else
		memset(&p, 0, sizeof p);
	if (b.finished) {
		pthread_mutex_init(&b.lock, NULL);
		pthread_cond_init(&b.finished_one, NULL);
		pthread_cond_init(&b.printed_one, NULL);
		for (int t = 0; t < jobs; t++) {
			if (pthread_create(&th[started], NULL, batch_worker, &b) != 0)
				break;
			started++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (started) {
			pthread_mutex_lock(&b.lock);
			while (!b.finished[i])
				pthread_cond_wait(&b.finished_one, &b.lock);
			pthread_mutex_unlock(&b.lock);
		} else {
			/* One job, or no thread could start: the work runs right here. */
			work(i, arg);
		}
		ox_progress_clear(&p);
		done(i, arg);
		if (started) {
			pthread_mutex_lock(&b.lock);
			b.printed = i + 1;
			pthread_cond_broadcast(&b.printed_one);
			pthread_mutex_unlock(&b.lock);
		}
		ox_progress_update(&p, i + 1, what ? what[i] : NULL, false);
	}
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	ox_progress_end(&p);
	if (b.finished) {
		pthread_mutex_destroy(&b.lock);
		pthread_cond_destroy(&b.finished_one);
		pthread_cond_destroy(&b.printed_one);
		free(b.finished);
	}
	return 0;
}

bool
ox_cli_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v, mul = 1;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mul = 1ull << 10; end++; break;
	case 'M': mul = 1ull << 20; end++; break;
	case 'G': mul = 1ull << 30; end++; break;
	default: return false;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > SIZE_MAX / mul)
		return false;
	*out = (size_t)(v * mul);
	return true;
}

int
ox_cli_write_json(const json_t *doc, const char *path, size_t flags)
{
	char *tmp;
	FILE *f = NULL;
	mode_t mask;
	int fd, e;
	bool ok;

	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0)
		return -1;
	if ((fd = mkstemp(tmp)) < 0 || !(f = fdopen(fd, "w"))) {
		e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		errno = e;
		return -1;
	}
	/* mkstemp makes the file 0600; a report gets the usual mode. */
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	ok = json_dumpf(doc, f, flags) == 0 && fputc('\n', f) != EOF && fflush(f) == 0 &&
	     fsync(fd) == 0;
	e = errno;
	ok = fclose(f) == 0 && ok;
	if (ok && rename(tmp, path) == 0) {
		free(tmp);
		return 0;
	}
	e = errno ? errno : e;
	unlink(tmp);
	free(tmp);
	errno = e;
	return -1;
}

int
ox_cli_memory_limit(const char *cmd, const char *arg)
{
	size_t n;

	if (!ox_cli_parse_size(arg, &n))
		return ox_cli_usage_error(cmd, "bad --memory-limit '%s' (want bytes, K, M or G)", arg);
	ox_exec_set_memory_limit(n);
	return 0;
}

const char *
ox_cli_bytes(double n, char *buf, size_t len)
{
	static const char *unit[] = { "B", "KB", "MB", "GB", "TB" };
	int u = 0;

	while (n >= 1000 && u < 4) {
		n /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f B", n);
	else
		snprintf(buf, len, "%.1f %s", n, unit[u]);
	return buf;
}


/* cli.c: helpers shared by the subcommands. See cli.h. */
#include "config.h"

#include "cli.h"

#include <ctype.h>
#include <errno.h>
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

static size_t
put(char *buf, size_t len, size_t at, const char *s)
{
	size_t n = strlen(s);

	if (at < len) {
		size_t room = len - at - 1;

		memcpy(buf + at, s, n < room ? n : room);
		buf[at + (n < room ? n : room)] = '\0';
	}
	return at + n;
}

static size_t
type_text(const struct ox_type *t, char *buf, size_t len, size_t at)
{
	char tmp[64];

	if (!t)
		return put(buf, len, at, "?");
	switch (t->kind) {
	case OX_TYPE_TENSOR:
	case OX_TYPE_SPARSE:
		if (t->kind == OX_TYPE_SPARSE)
			at = put(buf, len, at, "sparse ");
		at = put(buf, len, at, t->has_elem ? ox_dtype_name(t->elem) : "?");
		if (t->rank < 0)
			return put(buf, len, at, "[?]");
		at = put(buf, len, at, "[");
		for (int i = 0; i < t->rank; i++) {
			const struct ox_dim *d = &t->dims[i];

			if (i)
				at = put(buf, len, at, ",");
			if (d->kind == OX_DIM_VALUE) {
				snprintf(tmp, sizeof tmp, "%lld", (long long)d->value);
				at = put(buf, len, at, tmp);
			} else {
				at = put(buf, len, at, d->kind == OX_DIM_PARAM ? d->param : "?");
			}
		}
		return put(buf, len, at, "]");
	case OX_TYPE_SEQUENCE:
	case OX_TYPE_OPTIONAL:
		at = put(buf, len, at, t->kind == OX_TYPE_SEQUENCE ? "seq(" : "optional(");
		at = type_text(t->inner, buf, len, at);
		return put(buf, len, at, ")");
	case OX_TYPE_MAP:
		at = put(buf, len, at, "map(");
		at = put(buf, len, at, ox_dtype_name(t->elem));
		at = put(buf, len, at, ",");
		at = type_text(t->inner, buf, len, at);
		return put(buf, len, at, ")");
	case OX_TYPE_OPAQUE:
		return put(buf, len, at, "opaque");
	default:
		return put(buf, len, at, "?");
	}
}

const char *
ox_cli_type(const struct ox_type *t, char *buf, size_t len)
{
	buf[0] = '\0';
	type_text(t, buf, len, 0);
	return buf;
}

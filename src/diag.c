/* diag.c: see diag.h. */
#include "config.h"

#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ox_diag_init(struct ox_diag *d, const char *file)
{
	memset(d, 0, sizeof *d);
	d->file = file;
}

void
ox_diag_release(struct ox_diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->entries[i].node);
		free(d->entries[i].op);
		free(d->entries[i].message);
	}
	free(d->entries);
	d->entries = NULL;
	d->n = d->cap = d->n_errors = 0;
}

static char *
dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A diag that cannot grow drops the entry: the return code still says what failed. */
static void
add(struct ox_diag *d, enum ox_severity sev, int code, const char *fmt, va_list ap)
{
	struct ox_diag_entry *e;
	char *msg;
	va_list aq;
	int n;

	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		void *p = realloc(d->entries, ncap * sizeof *d->entries);

		if (!p)
			return;
		d->entries = p;
		d->cap = ncap;
	}
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || !(msg = malloc((size_t)n + 1)))
		return;
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	e = &d->entries[d->n++];
	e->severity = sev;
	e->code = code;
	e->node = dupstr(d->node);
	e->op = dupstr(d->op);
	e->message = msg;
	if (sev == OX_ERROR)
		d->n_errors++;
}

int
ox_diag_verror(struct ox_diag *d, int code, const char *fmt, va_list ap)
{
	if (d)
		add(d, OX_ERROR, code, fmt, ap);
	return code;
}

int
ox_diag_error(struct ox_diag *d, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ox_diag_verror(d, code, fmt, ap);
	va_end(ap);
	return code;
}

int
ox_diag_warn(struct ox_diag *d, const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return 0;
	va_start(ap, fmt);
	add(d, OX_WARNING, 0, fmt, ap);
	va_end(ap);
	return 0;
}

char *
ox_diag_format(const struct ox_diag *d, size_t i)
{
	const struct ox_diag_entry *e = &d->entries[i];
	const char *sev = e->severity == OX_ERROR ? "" : e->severity == OX_WARNING ? "warning: " : "note: ";
	char ctx[512] = "";
	char *out;
	size_t n;

	if (e->node && *e->node && e->op)
		snprintf(ctx, sizeof ctx, "node '%s' (%s): ", e->node, e->op);
	else if (e->op)
		snprintf(ctx, sizeof ctx, "%s node: ", e->op);
	n = strlen(d->file ? d->file : "") + strlen(sev) + strlen(ctx) + strlen(e->message) + 8;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s%s%s%s%s", d->file ? d->file : "", d->file ? ": " : "",
			 sev, ctx, e->message);
	return out;
}

void
ox_diag_print(const struct ox_diag *d, const char *prog)
{
	for (size_t i = 0; i < d->n; i++) {
		char *line = ox_diag_format(d, i);

		fprintf(stderr, "%s: %s\n", prog, line ? line : d->entries[i].message);
		free(line);
	}
}

const char *
ox_strerror(int code)
{
	switch (code) {
	case OX_OK: return "success";
	case OX_ENOMEM: return "out of memory";
	case OX_EIO: return "input/output error";
	case OX_EPARSE: return "not a valid ONNX protobuf";
	case OX_EINVAL: return "invalid model";
	case OX_EUNSUPPORTED: return "unsupported";
	case OX_ELIMIT: return "over a safety limit";
	case OX_EUSAGE: return "usage error";
	}
	return "unknown error";
}

/* diag.h: error codes and the diagnostics a run collects.
 *
 * Functions return 0 (or a count) on success and a negative OX_E* code on failure,
 * after recording a human message here. Diagnostics are collected, not printed at
 * once, so one bad node does not hide the next; the CLI prints them at the end.
 * The diag owns copies of every string it records.
 */
#ifndef OX_DIAG_H
#define OX_DIAG_H

#include <stdarg.h>
#include <stddef.h>

/* The OX_E* codes and ox_strerror() are part of the public interface. */
#include "onnxopt.h"

enum ox_severity { OX_NOTE, OX_WARNING, OX_ERROR };

struct ox_diag_entry {
	enum ox_severity severity;
	int code;          /* OX_E* for errors, 0 otherwise */
	char *node;        /* node name or NULL */
	char *op;          /* op type or NULL */
	char *message;
};

struct ox_diag {
	const char *file;   /* the model being worked on; not owned */
	const char *node;   /* current node name, set by callers for context; not owned */
	const char *op;     /* current op type; not owned */
	struct ox_diag_entry *entries;
	size_t n, cap;
	size_t n_errors;
};

void ox_diag_init(struct ox_diag *d, const char *file);
void ox_diag_release(struct ox_diag *d);

/* Record an error with the current file/node/op context; returns code. */
int ox_diag_error(struct ox_diag *d, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ox_diag_verror(struct ox_diag *d, int code, const char *fmt, va_list ap);

/* Record a warning (not an error); returns 0. */
int ox_diag_warn(struct ox_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One line for entry i: "FILE: node 'n' (Op): message". The caller frees it. */
char *ox_diag_format(const struct ox_diag *d, size_t i);

/* Print every entry to stderr, one per line, prefixed with prog. */
void ox_diag_print(const struct ox_diag *d, const char *prog);

#endif

/* term.h: what onnx-opt knows about the terminal: colour and a progress line.
 *
 * main() calls ox_term_init() once with the global options (--no-color, --quiet)
 * before any subcommand runs; everything else only asks. Colour is used on a stream
 * only when that stream is a terminal, NO_COLOR is not set to a non-empty value
 * (no-color.org), TERM is not "dumb" and --no-color was not given. Programs that
 * embed the library and never call ox_term_init() get no colour and no progress.
 *
 * The progress line lives on stderr: one line redrawn in place with '\r', at most
 * about ten times a second, erased when the work ends. It is silent when stderr is
 * not a terminal or with --quiet, so scripts and logs never see it. Only one
 * progress line is shown at a time, and only the main thread draws it: code that
 * writes to a terminal while it is up calls ox_progress_clear() first.
 */
#ifndef OX_TERM_H
#define OX_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Files at least this big show a progress line while they load and save. */
#define OX_PROGRESS_BIG_FILE ((size_t)64 << 20)
/* Graphs with at least this many nodes (subgraphs included) show the pass pipeline. */
#define OX_PROGRESS_BIG_GRAPH 5000

/* Read the environment and the terminals; no_color and quiet are the global options. */
void ox_term_init(bool no_color, bool quiet);

/* --quiet was given: no progress, no summaries, only results and errors. */
bool ox_term_quiet(void);

/* f is a terminal and colour is allowed on it. */
bool ox_term_color(FILE *f);

/* SGR styles for ox_term_style(). */
enum ox_style {
	OX_STYLE_RESET,
	OX_STYLE_BOLD,       /* table headers */
	OX_STYLE_CHANGED,    /* rows that differ (optimize's before/after) */
	OX_STYLE_WARN,       /* partial support */
	OX_STYLE_BAD,        /* unsupported, invalid */
};

/* The escape sequence for style when colour is on for f, else "". */
const char *ox_term_style(FILE *f, enum ox_style style);

/* One progress line. Set it up with ox_progress_start(); when the line is silent
 * every call is a cheap no-op. */
struct ox_progress {
	const char *label;   /* "audit", "loading model.onnx (812 MB)", ... */
	size_t total;        /* 0 when unknown */
	double t_start, t_last;
	int shown;           /* columns drawn and not yet erased */
	bool active;
};

/* Begin a progress line for label (borrowed until ox_progress_end()); total is the
 * number of steps, 0 for work that has no count. Draws at once. */
void ox_progress_start(struct ox_progress *p, const char *label, size_t total);

/* done steps of total are finished; detail (may be NULL) says what is going on.
 * Redraws at most about ten times a second; force redraws now. */
void ox_progress_update(struct ox_progress *p, size_t done, const char *detail, bool force);

/* Erase the line, e.g. before writing other text to the terminal; the next update
 * draws it again. */
void ox_progress_clear(struct ox_progress *p);

/* Erase the line for good. */
void ox_progress_end(struct ox_progress *p);

#endif

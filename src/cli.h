/* cli.h: what the subcommands share: exit codes, option helpers, model loading.
 *
 * Each subcommand is `int ox_cmd_NAME(int argc, char **argv)` (argv[0] is its name)
 * returning an exit status; the list is src/commands.def. Only main.c calls exit().
 */
#ifndef OX_CLI_H
#define OX_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "graph.h"
#include "onnx_io.h"
#include "table.h"
#include "term.h"

enum {
	OX_EXIT_OK = 0,       /* success */
	OX_EXIT_FINDING = 1,  /* the answer is "no": unsupported op, numeric mismatch */
	OX_EXIT_ERROR = 2,    /* usage or input error */
};

#define CMD(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef CMD

extern const char *ox_prog; /* "onnx-opt" */

/* Print "onnx-opt CMD: message" and return OX_EXIT_ERROR, for usage errors. */
int ox_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Load path, printing every diagnostic on failure. NULL on failure. */
struct ox_model *ox_cli_load(const char *path);

/* Load path as ox_cli_load() does, with a progress line while a big file loads. */
struct ox_model *ox_cli_load_big(const char *path);

/* Start p as a progress line "loading PATH (SIZE)" when path is a big file, else
 * leave it silent; label (len bytes) holds the text. End it with ox_progress_end(). */
void ox_cli_load_progress(struct ox_progress *p, const char *path, char *label, size_t len);

/* Save m to path (opts may be NULL), with a progress line while a big model is
 * written. 0 or OX_E*, diagnostics in d. */
int ox_cli_save(struct ox_model *m, const char *path, const struct ox_save_opts *opts,
		struct ox_diag *d);

/* Largest --jobs. */
#define OX_CLI_MAX_JOBS 256

/* Parse --jobs N into *jobs; false (after a usage message for cmd) when it is not
 * a number from 1 to OX_CLI_MAX_JOBS. */
bool ox_cli_parse_jobs(const char *cmd, const char *s, int *jobs);

/* A batch of n independent items (models): work(i, arg) runs on up to jobs threads,
 * done(i, arg) on the calling thread in index order, each as soon as items 0 to i
 * have finished, so that results stream out in command-line order; workers stay
 * within a few items per job of the one done() waits for, which bounds how many
 * finished results wait in memory. For several items a progress line "label i/n
 * what[i]" is shown on stderr (term.h), erased before every done().
 * Returns 0, or OX_ENOMEM when not even the bookkeeping fits (nothing ran). */
int ox_cli_batch(size_t n, int jobs, const char *label, char *const *what,
		 void (*work)(size_t i, void *arg), void (*done)(size_t i, void *arg),
		 void *arg);

/* Parse a byte count ("4096", "64K", "16M", "1G"); false when malformed. */
bool ox_cli_parse_size(const char *s, size_t *out);

/* --memory-limit BYTES (K, M, G allowed; 0 for the default): set the executor's
 * limit. 0, or OX_EXIT_ERROR after a usage error for cmd. */
int ox_cli_memory_limit(const char *cmd, const char *arg);

/* Write doc (json_dumpf flags) to path atomically: a temporary file in the same
 * directory, fsync, rename; on failure nothing is left behind, an existing file is
 * untouched, and -1 returns with errno set. */
struct json_t;
int ox_cli_write_json(const struct json_t *doc, const char *path, size_t flags);

/* Human-readable byte count ("49.4 KB") in buf. */
const char *ox_cli_bytes(double n, char *buf, size_t len);

/* What opset conversion did (passes/convert/convert.h), shared by `convert` and
 * `optimize --target-opset`: the report as a JSON object (new reference, NULL when
 * memory runs out; written says whether OUT was written), and one stderr line per
 * node that could not be converted. */
struct ox_convert_report;
struct json_t;
struct json_t *ox_cli_convert_json(const struct ox_convert_report *rep, const char *model,
				   bool written);
void ox_cli_convert_print(const char *cmd, const char *model, const struct ox_convert_report *rep);

#endif

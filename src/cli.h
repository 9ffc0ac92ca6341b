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

/* A type as text: "float[batch,3,224,224]", "seq(float[?])", ... into buf. */
const char *ox_cli_type(const struct ox_type *t, char *buf, size_t len);

#endif

/* targets.h: runtime profiles: what ONNX Runtime, TensorRT, ... can run.
 *
 * A profile (struct ox_target) is read from a JSON file in the format of
 * docs/target-profile.md, or made from the operator registry: `opset:N` is plain
 * ONNX at opset N. The audit (reports/audit.h) checks nodes against profiles; this
 * module only loads, validates and looks them up, and never looks at a model.
 *
 * Names: `onnx-opt audit --target X` resolves X with ox_target_open(): "opset:N",
 * "onnx-opt" (the built-in executor, ox_target_exec()), a path (anything with a '/' or ending in ".json"), or the name of a built-in
 * profile, a file NAME.json in the targets directory (ox_targets_dir()).
 *
 * Ownership: a profile owns everything it points to through its own arena; free it
 * with ox_target_free(). Profiles are read-only once loaded, so threads may share
 * one. Loading validates strictly: an unknown key (other than "x-..."), a wrong type
 * or a range out of order is an OX_EINVAL error whose message names the file and
 * the JSON path ("ops[12].restrictions[0]: unknown key 'inptu'"), so a misspelt key
 * never silently drops a restriction.
 */
#ifndef OX_TARGETS_H
#define OX_TARGETS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"

/* The high end of an open range ("[13, null]"). */
#define OX_RANGE_OPEN INT_MAX

/* Inclusive [lo, hi]. */
struct ox_range {
	int lo, hi;
};

enum ox_restr_kind {
	OX_R_NOTE, OX_R_CONST_INPUT, OX_R_INPUT_ABSENT, OX_R_OUTPUT_ABSENT,
	OX_R_INPUT_RANK, OX_R_STATIC_SHAPE, OX_R_ATTR, OX_R_ATTR_ABSENT,
	OX_R_UNSUPPORTED_TYPES, OX_R_ALLOWED_TYPES, OX_R_MAX_RANK,
	OX_R_KIND_COUNT
};

/* An attribute value in a restriction: a string or a number (booleans are 0/1). */
struct ox_scalar {
	const char *s;          /* non-NULL for strings */
	double num;
};

struct ox_restriction {
	enum ox_restr_kind kind;
	const char *text;       /* the source's wording, quoted in reports */
	int input, output;      /* 0-based positions, -1 when not given */
	const char *io_name;    /* input_name / output_name, or NULL */
	bool has_equals;        /* const_input */
	double equals;
	const int *ranks;       /* input_rank */
	size_t n_ranks;
	int rank;               /* max_rank */
	const char *attr;       /* attr, attr_absent */
	enum { OX_ATTR_ALLOWED, OX_ATTR_FORBIDDEN, OX_ATTR_ALLOWED_ELEMENTS } attr_mode;
	const struct ox_scalar *vals;
	size_t n_vals;
	const char *const *types; /* unsupported_types, allowed_types */
	size_t n_types;
};

/* Allowed types for one key of an op entry's "types": a constraint name, "*", or a
 * formal input/output name. */
struct ox_target_types {
	const char *key;
	const char *const *types; /* ONNX type strings, "tensor(float)" */
	size_t n;
};

struct ox_target_op {
	const char *domain;     /* "" for ai.onnx, as the registry spells it */
	const char *op;
	bool supported;
	const struct ox_range *versions;
	size_t n_versions;
	bool has_opset_range;
	struct ox_range opset_range;
	const struct ox_target_types *types;
	size_t n_types;
	const struct ox_restriction *restrictions;
	size_t n_restrictions;
	const char *reason, *comment;  /* NULL when absent */
};

struct ox_target_opset_range {
	const char *domain;     /* "" for ai.onnx */
	struct ox_range r;
};

struct ox_target_conversion {
	const char *from, *to;
};

struct ox_target {
	struct ox_arena arena;
	const char *name, *runtime, *runtime_version;
	const char *device, *source; /* NULL when absent */
	const char *path;       /* the file it came from; NULL for made ones */
	int opset;              /* opset:N: N (suggestions stay at or below it); else 0 */
	const char *const *notes;
	size_t n_notes;
	int default_max_rank;   /* -1: none */
	bool expands_functions;
	const struct ox_target_opset_range *opset_ranges;
	size_t n_opset_ranges;
	const struct ox_target_conversion *conversions;
	size_t n_conversions;
	/* Sorted by (domain, op) with strcmp, file order kept within an op, so the
	 * entries of one op are adjacent (ox_target_find). */
	const struct ox_target_op *ops;
	size_t n_ops;
};

/* Parse and validate a profile from the JSON text buf (len bytes). origin names it
 * in messages. On success *out is the caller's; on failure *out is NULL and d holds
 * every problem found. 0 or OX_EINVAL / OX_ENOMEM. */
int ox_target_parse(const char *buf, size_t len, const char *origin,
		    struct ox_target **out, struct ox_diag *d);

/* Read the profile file at path (ox_target_parse on its contents). OX_EIO when it
 * cannot be read. */
int ox_target_load_file(const char *path, struct ox_target **out, struct ox_diag *d);

/* The profile "plain ONNX at opset n" of the registry: every ai.onnx op with the
 * version current at opset n (deprecated ones as unsupported), every ai.onnx.ml op
 * in any version. OX_EUSAGE when n is out of 1..the newest opset. */
int ox_target_opset(int n, struct ox_target **out, struct ox_diag *d);

/* The profile "onnx-opt": what the built-in executor runs, made at run time from
 * its kernel table (exec.h, ox_exec_has_kernel) over the operator registry: each
 * registry op with a kernel is supported in every version the registry knows, each
 * without one is listed as unsupported with the reason. No dtypes or restrictions
 * (kernels decide those at run time), and model-local functions are not expanded
 * (the executor runs no function bodies). 0 or OX_ENOMEM. */
int ox_target_exec(struct ox_target **out, struct ox_diag *d);

/* Resolve spec as `--target` does (see the top of this file). OX_EUSAGE with a
 * message listing the built-in names when spec names nothing. */
int ox_target_open(const char *spec, struct ox_target **out, struct ox_diag *d);

/* Release t and everything it owns. NULL is fine. */
void ox_target_free(struct ox_target *t);

/* The entries for (domain, op): a pointer to the first, *n set to their count; NULL
 * and *n = 0 when the profile has none. domain NULL, "" and "ai.onnx" are ONNX. */
const struct ox_target_op *ox_target_find(const struct ox_target *t, const char *domain,
					  const char *op, size_t *n);

/* The directory of built-in profiles: $ONNX_OPT_TARGETS, else the installed
 * $(pkgdatadir)/targets, else the source tree's targets/ (compile-time path, then
 * beside the running binary), the first that exists. NULL when none does. The
 * string is static. */
const char *ox_targets_dir(void);

/* The names of the built-in profiles (NAME for each NAME.json in ox_targets_dir(),
 * sorted), as a malloc'ed array of malloc'ed strings the caller frees with
 * ox_target_names_free(). 0 or a negative code (OX_EIO when no directory). */
int ox_target_names(char ***names, size_t *n, struct ox_diag *d);
void ox_target_names_free(char **names, size_t n);

/* The newest ai.onnx opset the registry knows. */
int ox_target_newest_opset(void);

/* "note", "const_input", ... as the format spells the kind. */
const char *ox_restr_kind_name(enum ox_restr_kind k);

#endif

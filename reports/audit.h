/* audit.h: will this model run on that runtime? Node-by-node operator audit.
 *
 * ox_audit_file() loads one model, infers its types, and checks every node (those
 * of If/Loop/Scan bodies and of model-local functions too) against each target
 * profile (src/targets.h): the node's domain, op and resolved since_version, the
 * types it sees, the profile's version ranges, types and restrictions. The result
 * is a plain data structure (struct ox_audit_model) that the reporters turn into
 * JSON (audit_json.c, format in docs/audit-json.md), SARIF 2.1.0 (audit_sarif.c)
 * or a text table (audit_text.c). A model that fails to load gives a result with
 * `status` < 0 and the message, never an abort, so batches go on.
 *
 * The rules follow docs/target-profile.md: no entry, or no entry for the node's
 * version or the model's opset: unsupported; an entry with supported=false:
 * unsupported with its reason; versions match but no entry takes the types:
 * unsupported; types match but a checkable restriction fails: partial; otherwise
 * supported. Anything inference left open makes a check undecidable, reported as
 * `unverified` on a verdict that does not count it as a failure.
 *
 * Ownership: a result owns every string and array it points to through its arena;
 * free it with ox_audit_model_free(). Targets are borrowed and must outlive the
 * results that index them. Results for different models can be computed in
 * parallel threads once ox_audit_prepare() has run.
 */
#ifndef OX_AUDIT_H
#define OX_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "graph.h"
#include "targets.h"

/* Ordered from good to bad, so the worse of two is the larger. */
enum ox_verdict {
	OX_VERDICT_SUPPORTED,
	OX_VERDICT_PARTIAL,
	OX_VERDICT_UNSUPPORTED,
};

/* "supported", "partial", "unsupported". */
const char *ox_verdict_name(enum ox_verdict v);

/* Why a verdict is not "supported"; the SARIF ruleId and the JSON "rule". The
 * order is fixed: reporters index tables by it. */
enum ox_audit_rule {
	OX_RULE_NONE,                /* supported */
	OX_RULE_UNSUPPORTED_OP,      /* no entry for the op, or supported: false */
	OX_RULE_UNSUPPORTED_VERSION, /* entries exist, none serves this version */
	OX_RULE_UNSUPPORTED_OPSET,   /* the model's opset import is outside the range */
	OX_RULE_UNSUPPORTED_TYPE,    /* versions match, no entry takes the types */
	OX_RULE_CUSTOM_OP,           /* custom domain, unknown to the target */
	OX_RULE_RESTRICTION,         /* partial: a restriction fails */
	OX_RULE_COUNT
};

/* "unsupported-op", ... as used in JSON and SARIF. */
const char *ox_audit_rule_id(enum ox_audit_rule r);
/* One sentence describing the rule, for SARIF's rule metadata. */
const char *ox_audit_rule_text(enum ox_audit_rule r);

/* One node on one target. */
struct ox_audit_check {
	enum ox_verdict verdict;
	enum ox_audit_rule rule;
	const char *reason;          /* NULL when supported */
	const char *suggestion;      /* NULL when there is none */
	bool unverified;             /* a type or restriction could not be decided */
	const char **notes;          /* note restrictions, undecided checks, expansion */
	size_t n_notes;
};

struct ox_audit_node {
	const char *name;            /* "" when the node has none */
	const char *graph;           /* "main", or the subgraph path "Loop_3/body" */
	const char *domain;          /* "ai.onnx" for the default domain */
	const char *op;
	int since_version;           /* resolved schema version; -1 when unknown */
	bool custom;                 /* domain is neither ai.onnx nor ai.onnx.ml */
	bool in_function;            /* inside a model-local function's body */
	const char **inputs;         /* types seen, "tensor(float)"; "" omitted, "?" unknown */
	const char **outputs;
	int n_inputs, n_outputs;
	struct ox_audit_check *checks; /* one per target, in target order */
	/* The audited node itself: valid only while the audited model lives, so only
	 * after ox_audit_loaded() (legalize rewrites what it points to). */
	struct ox_node *node;
};

/* Nodes grouped by (domain, op, since_version). */
struct ox_audit_optype {
	const char *domain, *op;
	int since_version;
	bool custom;
	size_t count;
	enum ox_verdict *worst;      /* per target */
	const char **reason;         /* per target: the first non-supported reason */
};

struct ox_audit_summary {
	size_t supported, partial, unsupported, unverified;
	enum ox_verdict verdict;     /* the worst node verdict */
};

struct ox_audit_opset {
	const char *domain;          /* "ai.onnx" for the default domain */
	int64_t version;
};

struct ox_audit_model {
	struct ox_arena arena;
	const char *path;
	int status;                  /* 0, or the OX_E* code of a load failure */
	const char *error;           /* the load failure's first message */
	char sha256[65];             /* of the file, hex; "" when unreadable */
	uint64_t file_size;
	bool has_ir_version;
	int64_t ir_version;
	const char *producer_name, *producer_version; /* NULL when absent */
	struct ox_audit_opset *opsets;
	size_t n_opsets;
	size_t n_nodes, n_nodes_deep, n_subgraphs, n_functions;
	size_t n_initializers;
	int64_t n_params;            /* elements of every initializer */
	int infer_conflicts;         /* contradictions type inference found */
	struct ox_audit_node *nodes; /* main graph first, subgraph nodes after their owner */
	size_t n_nodes_audited;
	struct ox_audit_optype *optypes;
	size_t n_optypes;
	struct ox_audit_summary *summary; /* per target */
	size_t n_targets;
	double seconds;              /* wall time spent on this model */
};

struct ox_audit_opts {
	/* Run shape/type inference (src/shape.h) before checking; false uses only the
	 * types the file declares (value_info, initializers, graph inputs). */
	bool infer;
};

/* Register what auditing needs on the shared registry (type inference). Call once
 * before auditing from several threads. */
void ox_audit_prepare(void);

/* Audit the model file at path against targets. Returns 0 with *out set (its
 * status says whether the model loaded), or OX_ENOMEM. */
int ox_audit_file(const char *path, struct ox_target *const *targets, size_t n_targets,
		  const struct ox_audit_opts *opts, struct ox_audit_model **out);

/* Audit a model already in memory (label names it in the result). Type inference
 * may add types to m. */
int ox_audit_loaded(struct ox_model *m, const char *label, struct ox_target *const *targets,
		    size_t n_targets, const struct ox_audit_opts *opts,
		    struct ox_audit_model **out);

void ox_audit_model_free(struct ox_audit_model *am);

/* The worst verdict of a batch for target t (load failures excluded). */
enum ox_verdict ox_audit_batch_verdict(struct ox_audit_model *const *models, size_t n,
				       size_t t);

/* --- reporters; every one only reads the results --- */

/* The JSON report (docs/audit-json.md), a new reference, or NULL when memory runs
 * out. */
struct json_t;
struct json_t *ox_audit_json(struct ox_audit_model *const *models, size_t n,
			     struct ox_target *const *targets, size_t n_targets);

/* The SARIF 2.1.0 log: one result per non-supported (node, target) pair and per
 * model that failed to load. */
struct json_t *ox_audit_sarif(struct ox_audit_model *const *models, size_t n,
			      struct ox_target *const *targets, size_t n_targets);

/* A text report for terminals: per model, the ops that are not supported on some
 * target, then a per-target summary. 0 or OX_EIO. */
int ox_audit_text(FILE *f, struct ox_audit_model *const *models, size_t n,
		  struct ox_target *const *targets, size_t n_targets, bool verbose);

/* The version of the JSON report format. */
#define OX_AUDIT_SCHEMA_VERSION 1

#endif

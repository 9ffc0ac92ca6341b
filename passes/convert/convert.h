/* passes/convert/convert.h: opset conversion, up and down, one node at a time.
 *
 * ox_convert_model() brings every ai.onnx node of a model (subgraphs included) from
 * the version its opset import resolves to (ops.h) to the version resolved at the
 * target opset. Between the two it crosses each "boundary" of the op (a since_version
 * in between) and applies the adapter registered for that boundary and direction:
 * attributes that became inputs and back, changed defaults and semantics, ops that
 * only exist on one side (expanded into older ops going down, replaced by their
 * successor going up). A boundary without an adapter is accepted only when the
 * registry shows that nothing but the type sets changed, or that the newer version
 * only added attributes whose defaults keep the older behaviour (then going down the
 * node must not use them). Whatever cannot be expressed at the target is left where
 * it got to and listed in the report with the reason; the rest of the model is still
 * converted. At the end the ai.onnx import is set to the target (ir_version raised to
 * the one released with it when lower), shapes are inferred again and every node that
 * changed version has its input and output dtypes checked against the target
 * version's type sets: a dtype the target does not allow is reported, never silently
 * written. ai.onnx.ml nodes are walked the same way (generic rules only) when a
 * target is given for that domain.
 *
 * Ownership: new nodes, values, initializers and attributes live in the model's
 * arena. The report owns its strings (malloc'ed); release it with
 * ox_convert_report_release().
 *
 * The second half of this header is for the adapter files (adapters_*.c).
 */
#ifndef OX_CONVERT_H
#define OX_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "graph.h"
#include "ops.h"

struct ox_convert_opts {
	int target;              /* ai.onnx opset to convert to */
	int target_ml;           /* ai.onnx.ml opset, or 0 to leave that domain alone */
};

/* A node that could not be brought to the target (or whose dtype the target
 * version does not allow). Strings are malloc'ed and owned by the report. */
struct ox_convert_item {
	char *graph;             /* graph name, or "" */
	char *node;              /* node name, or "" */
	char *op;                /* op type (domain-qualified outside ai.onnx) */
	int from_version;        /* since_version the node had in the source model */
	int stuck_version;       /* since_version it got to (from_version when untouched) */
	char *reason;
};

struct ox_convert_report {
	int64_t from_opset, from_opset_ml;
	int to_opset, to_opset_ml;
	size_t nodes;            /* nodes in the model before conversion, all graphs */
	size_t nodes_changed;    /* nodes whose resolved version changed */
	size_t adapters_applied; /* adapter calls that rewrote something */
	size_t nodes_added;      /* nodes created by adapters */
	struct ox_convert_item *items;
	size_t n_items, cap_items;
};

/* The newest ai.onnx opset the registry knows. */
int ox_convert_newest_opset(void);

/* Convert m in place. Returns the number of report items (0: fully converted), or a
 * negative OX_E* code with a diagnostic in d (out of memory, target out of range, a
 * model without an ai.onnx import). rep must be zeroed by the caller. */
int ox_convert_model(struct ox_model *m, const struct ox_convert_opts *opts,
		     struct ox_convert_report *rep, struct ox_diag *d);

void ox_convert_report_release(struct ox_convert_report *rep);

/* ------------------------------------------------------------------------------
 * For adapters.
 *
 * An adapter moves one node across one boundary of its op: the `version` of a rule
 * is the since_version of the newer side; `up` takes a node conforming to the older
 * version to the newer one, `down` the reverse. For the first version of an op,
 * `down` expands the node into ops that exist before it; for a deprecated version,
 * `up` replaces the node by its successor. An adapter checks everything it needs
 * before it changes anything, so a refusal leaves the node as it was: it calls
 * ox_cv_refuse() with the reason and returns its result. It returns 0 when done or a
 * negative OX_E* code. An adapter may rename the node's op in place (the driver goes
 * on walking it under its new name from the boundary), and may raise cv->level when
 * it brought the node past further boundaries at once; nodes created with
 * ox_cv_add() are walked later from cv->level to the target by the driver.
 */
struct ox_cv {
	struct ox_model *model;
	struct ox_graph *graph;   /* the node's graph */
	struct ox_diag *diag;
	struct ox_convert_report *rep;
	int target;               /* target opset of the node's domain */
	int level;                /* opset the node conforms to after this adapter */
	bool up;
	const struct ox_op_schema *older, *newer; /* the rows on both sides (older NULL
				   * when newer is the op's first version) */
	void *priv;               /* driver state */
};

#define OX_CV_REFUSED 1

typedef int ox_cv_fn(struct ox_cv *cv, struct ox_node *node);

struct ox_cv_rule {
	const char *op;           /* ai.onnx op; NULL ends a table */
	int version;              /* since_version of the newer side of the boundary */
	ox_cv_fn *up, *down;      /* NULL: that direction cannot be done */
};

extern const struct ox_cv_rule ox_cv_rules_inputs[];
extern const struct ox_cv_rule ox_cv_rules_semantics[];
extern const struct ox_cv_rule ox_cv_rules_expand[];

/* Nothing to do in that direction. */
ox_cv_fn ox_cv_same;
/* Going down: the node must not use an attribute the newer version added (or must
 * set it to its default, which is then dropped). */
ox_cv_fn ox_cv_drop_new_attrs;
/* GroupNormalization (18 per-group or 21 per-channel scale) as older ops. */
ox_cv_fn ox_cv_expand_group_norm;

/* Record why node cannot cross the current boundary; returns OX_CV_REFUSED. */
int ox_cv_refuse(struct ox_cv *cv, struct ox_node *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A new node of op in the node's graph, walked later from cv->level; inputs are the
 * n_in values after n_out (NULL for an omitted one). NULL when memory runs out. */
struct ox_node *ox_cv_add(struct ox_cv *cv, const char *op, int n_out, int n_in, ...);

/* Replace the uses of node's output k by v (graph outputs keep their names). */
int ox_cv_forward(struct ox_node *node, int k, struct ox_value *v);

/* Constant behind v (initializer no graph input overrides, or a Constant node's
 * value), or NULL. */
const struct ox_tensor *ox_cv_const(const struct ox_value *v);
/* Its elements as int64 (int32/int64 tensors up to max elements): the count, or -1. */
int ox_cv_const_ints(const struct ox_value *v, int64_t *out, int max);
/* Its elements as double (float, double, float16, integer types): the count or -1. */
int ox_cv_const_doubles(const struct ox_value *v, double *out, int max);

/* Element type (0 unknown) and rank (-1 unknown) of v, from shape inference. */
int ox_cv_elem(const struct ox_value *v);
int ox_cv_rank(const struct ox_value *v);
/* Dim i of v when known, else -1. */
int64_t ox_cv_dim(const struct ox_value *v, int i);

/* New initializers in the node's graph: 1-D int64; a tensor of dtype (float types
 * or integer types) with n elements, rank 0 when scalar is true (n must be 1). */
struct ox_value *ox_cv_ints(struct ox_cv *cv, const int64_t *vals, int n);
struct ox_value *ox_cv_scalars(struct ox_cv *cv, int dtype, const double *vals, int n,
			       bool scalar);
struct ox_value *ox_cv_scalar(struct ox_cv *cv, int dtype, double val);

/* Attributes (added or replaced; lists and strings copied into the arena). */
/* The ints of attribute name: count, or -1 when absent. */
int ox_cv_attr_ints(const struct ox_node *node, const char *name, const int64_t **out);
/* String attribute compared with s (dflt when absent). */
bool ox_cv_attr_str_is(const struct ox_node *node, const char *name, const char *s,
		       bool dflt);

/* Drop trailing omitted inputs, so that a node with fewer formals is well formed. */
void ox_cv_trim_inputs(struct ox_node *node);
/* Set input i, appending omitted inputs up to it when the node has fewer. */
int ox_cv_set_input(struct ox_node *node, int i, struct ox_value *v);
/* true when output k exists and something reads it (or it is a graph output). */
bool ox_cv_output_used(const struct ox_node *node, int k);

#endif

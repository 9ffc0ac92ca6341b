/* shape.h: shape and type inference over the IR.
 *
 * ox_shape_infer() walks every graph of a model in topological order and gives each
 * node output a tensor type (dtype and dims) where one can be derived, the way
 * onnx.shape_inference.infer_shapes does: the per-op function registered on the
 * operator registry row of the node's resolved version computes the output types
 * from the input types and attributes, the result is merged with what the file
 * declared (a declared dim value survives an inferred symbol; two different values
 * are a contradiction), and dims that depend on data get fresh symbols "unk__N".
 * Subgraphs (If/Loop/Scan bodies) are inferred with the outer-scope values visible.
 *
 * Small int64/int32 tensors (up to OX_SHAPE_KNOWN_MAX elements) also carry a "known
 * value" while inference runs: from initializers, Constant nodes and Shape of a
 * tensor whose dims are known, propagated through Gather, Slice, Concat, Unsqueeze,
 * Cast, the arithmetic ops, ... so that Shape->Gather->Concat->Reshape chains end in
 * static shapes. A known element is a struct ox_dim: a value, a symbol or unknown.
 * Known values live only for one ox_shape_infer() call.
 *
 * Ownership: every type the inference creates lives in the model's arena and is
 * pointed to by value->type; types already there are never modified in place (the
 * import may share them). Contradictions and unsupported cases become diagnostics,
 * never aborts: a bad node leaves its outputs as declared and inference goes on.
 *
 * The second half of this header is for the per-op functions in src/shape/ (one file per op family).
 */
#ifndef OX_SHAPE_H
#define OX_SHAPE_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "graph.h"
#include "ops.h"

/* Largest tensor (in elements) whose contents inference tracks. */
#define OX_SHAPE_KNOWN_MAX 1024

enum {
	/* Add a value_info entry to each graph for every node output that has a type
	 * and no entry yet (what `onnx-opt infer` writes). */
	OX_SHAPE_ADD_VALUE_INFO = 1 << 0,
};

/* Infer the types of every value of m (main graph and subgraphs; not function
 * bodies). Registers the per-op functions on first use. Returns the number of
 * contradictions found (each one an error in d naming its node), or a negative
 * OX_E* code when inference could not run (out of memory, a cycle). */
int ox_shape_infer(struct ox_model *m, unsigned flags, struct ox_diag *d);

/* Register the per-op functions on the operator registry (idempotent). Call before
 * threads look the registry up; ox_shape_infer() does it itself. */
void ox_shape_register(void);

/* ------------------------------------------------------------------------------
 * For per-op functions (src/shape/ (one file per op family)).
 *
 * An infer function reads its node's input types and attributes, and calls
 * ox_infer_set() for each output it can type. It returns 0, or the result of
 * ox_infer_fail() after a contradiction (the driver counts it and carries on), or
 * OX_ENOMEM. Inputs may be missing (NULL) or untyped: the function then types what it
 * can and leaves the rest.
 */
struct ox_infer;

/* The known contents of a small integer tensor, in row-major order. */
struct ox_known {
	int64_t n;
	struct ox_dim *v;
};

/* The rule table that each family file exports: op name (ai.onnx unless domain is
 * set) and function; it applies to every version of the op. */
struct ox_shape_rule {
	const char *domain;
	const char *op;
	ox_op_infer_fn *fn;
};

extern const struct ox_shape_rule ox_shape_rules_elementwise[];
extern const struct ox_shape_rule ox_shape_rules_nn[];
extern const struct ox_shape_rule ox_shape_rules_reduce[];
extern const struct ox_shape_rule ox_shape_rules_tensor[];
extern const struct ox_shape_rule ox_shape_rules_control[];
extern const struct ox_shape_rule ox_shape_rules_ml[];

/* The arena types go to, the registry row of the current node and its opset. */
struct ox_arena *ox_infer_arena(struct ox_infer *ic);
const struct ox_op_schema *ox_infer_schema(struct ox_infer *ic);

/* Tensor type of node input i: NULL when omitted, untyped or not a tensor. */
const struct ox_type *ox_infer_in(const struct ox_node *node, int i);
/* Its element type (0 when unknown) and rank (-1 when unknown). */
int ox_infer_in_elem(const struct ox_node *node, int i);
int ox_infer_in_rank(const struct ox_node *node, int i);

/* Give output k of node the tensor type (elem, rank, dims): elem 0 leaves the dtype
 * unknown, rank -1 the shape. Unknown dims get fresh symbols. Merges with the
 * declared type; a contradiction is reported and returns < 0. Output k omitted:
 * nothing happens. */
int ox_infer_set(struct ox_infer *ic, struct ox_node *node, int k, int elem, int rank,
		 const struct ox_dim *dims);
/* Give output k exactly type t (sequences, optionals, copies of an input). */
int ox_infer_set_type(struct ox_infer *ic, struct ox_node *node, int k, const struct ox_type *t);

/* Report a contradiction at node; returns OX_EINVAL. */
int ox_infer_fail(struct ox_infer *ic, struct ox_node *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A dim with a fresh symbol "unk__N" not used elsewhere in the model. */
struct ox_dim ox_infer_fresh(struct ox_infer *ic);

/* Known contents of v, or NULL. */
const struct ox_known *ox_infer_known(struct ox_infer *ic, const struct ox_value *v);
/* Record n known elements for v (copied). Ignored when n > OX_SHAPE_KNOWN_MAX. */
int ox_infer_set_known(struct ox_infer *ic, const struct ox_value *v, int64_t n,
		       const struct ox_dim *elems);
/* Known contents of node input i when every element is a value: fills *out (malloc'ed
 * by the caller, at least OX_SHAPE_KNOWN_MAX) and returns the count; -1 otherwise. */
int64_t ox_infer_ints(struct ox_infer *ic, const struct ox_node *node, int i, int64_t *out);

/* Infer a subgraph whose inputs got types from the caller. */
int ox_infer_graph(struct ox_infer *ic, struct ox_graph *g);

/* Dims helpers. */
static inline struct ox_dim
ox_dim_of(int64_t v)
{
	struct ox_dim d = { .kind = OX_DIM_VALUE, .value = v };

	return d;
}

static inline bool
ox_dim_known(const struct ox_dim *d)
{
	return d->kind == OX_DIM_VALUE;
}

/* Two dims that are certainly equal: same value or same symbol. */
bool ox_dim_same(const struct ox_dim *a, const struct ox_dim *b);

/* Broadcast the shapes of node inputs [first, first + n) (omitted ones skipped) into
 * dims (room for OX_MAX_RANK); returns the rank, -1 when a rank is unknown, or < -1
 * after reporting incompatible dims. */
int ox_infer_broadcast(struct ox_infer *ic, struct ox_node *node, int first, int n,
		       struct ox_dim *dims);

/* Normalize axis a of a rank-r tensor into [0, r) (or [0, r] when inclusive);
 * false when out of range. */
bool ox_infer_axis(int64_t a, int r, bool inclusive, int *out);

/* Integer attribute list of node, or NULL with *n = 0. */
const int64_t *ox_infer_attr_ints(const struct ox_node *node, const char *name, size_t *n);

#endif

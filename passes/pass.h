/* passes/pass.h: the optimization passes and the pass manager that runs them.
 *
 * A pass is `int ox_pass_NAME(struct ox_graph *g, struct ox_pass_ctx *pc)`: it
 * rewrites the nodes of g alone (the manager calls it again for every nested
 * subgraph) and returns how many rewrites it made, or a negative OX_E* code after a
 * diagnostic in pc->diag. passes/passes.def is the one list of passes; each row says
 * what the pass needs (use lists are always true; OX_A_SHAPES asks for value types
 * from shape inference) and what it leaves stale (OX_A_SHAPES: values it created carry
 * no type yet).
 *
 * Rules every pass keeps: a graph input or output keeps its name, dtype and shape; a
 * value that another consumer still reads is never changed (a node rewritten in place
 * must be the only reader of what it changes); nodes outside the ONNX domain are left
 * alone; opset versions decide between attribute and input forms; anything the pass
 * cannot prove safe stays untouched. Everything a pass creates (nodes, values,
 * initializer tensors, attributes) lives in the model's arena; dead nodes and values
 * are dropped by ox_graph_compact(), which the manager calls after each pass.
 */
#ifndef OX_PASS_H
#define OX_PASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "graph.h"

/* Analyses a pass needs or invalidates. Use lists are kept true by every mutation
 * helper, so OX_A_USES is always available; it is listed for the reader. */
enum {
	OX_A_USES = 1 << 0,
	OX_A_SHAPES = 1 << 1,
};

struct ox_pass_ctx {
	struct ox_model *model;
	struct ox_diag *diag;
	/* fold_constants leaves a node unfolded when its outputs would take more than
	 * this many bytes and more than its inputs do. */
	size_t fold_size_limit;
	bool verify;             /* run ox_graph_verify() after every pass */
};

typedef int ox_pass_fn(struct ox_graph *g, struct ox_pass_ctx *pc);

#define PASS(name, needs, breaks, fixpoint, dflt, summary) ox_pass_fn ox_pass_##name;
#include "passes.def"
#undef PASS

/* One row of passes.def. */
struct ox_pass_info {
	const char *name;
	ox_pass_fn *fn;
	unsigned needs, breaks;
	bool fixpoint;           /* the pass repeats on its own until it finds nothing */
	bool in_default;         /* part of the "default" pipeline */
	const char *summary;
};

/* Every pass, in table order (the order of the default pipeline); *n gets the count. */
const struct ox_pass_info *ox_pass_list(size_t *n);
/* The pass called name, or NULL. */
const struct ox_pass_info *ox_pass_find(const char *name);

/* --- the pass manager --- */

#define OX_FOLD_SIZE_LIMIT_DEFAULT ((size_t)1 << 20)
#define OX_MAX_ITERATIONS_DEFAULT 16

struct ox_pipeline_opts {
	const char *passes;      /* "a,b,c", "default" or "none"; NULL means "default" */
	const char *skip;        /* "x,y": passes left out of the list; NULL for none */
	bool fixed_point;        /* repeat the list until nothing changes ("default" always does) */
	int max_iterations;      /* bound on those repetitions; <= 0 for the default */
	size_t fold_size_limit;  /* 0 for the default */
	bool verify;
	bool measure_size;       /* fill the model sizes of the report (serializes twice) */
	/* Called on the caller's thread before each pass runs, with the pass, the
	 * iteration (from 1), and the pass's place in the list (a progress line); NULL
	 * for none. */
	void (*progress)(void *arg, const char *pass, int iteration, size_t i, size_t n);
	void *progress_arg;
};

/* What one pass did over the whole run. */
struct ox_pass_stat {
	const char *name;
	long rewrites;
	int runs;
	double seconds;
};

/* Node counts by op type ("domain.op" outside ONNX), all graphs included. */
struct ox_op_count {
	const char *op;          /* in the model's arena, or static */
	long before, after;
};

/* Filled by ox_pipeline_run; release with ox_pipeline_report_release. */
struct ox_pipeline_report {
	struct ox_pass_stat *passes; /* one entry per pass of the list, in list order */
	size_t n_passes;
	struct ox_op_count *ops;     /* sorted by op name */
	size_t n_ops;
	size_t nodes_before, nodes_after;
	size_t size_before, size_after; /* serialized bytes, when measured */
	int iterations;
	double seconds;
};

/* Parse a pass list into an array of table rows (malloc'ed, the caller frees it).
 * Unknown names are usage errors reported in d. */
int ox_pipeline_parse(const char *passes, const char *skip, const struct ox_pass_info ***out,
		      size_t *n, struct ox_diag *d);

/* Run the passes opts names over m (every graph, subgraphs included), then sort every
 * graph topologically. rep may be NULL. Main graph inputs and outputs keep their
 * names and declared types. 0 or OX_E* with diagnostics in d. */
int ox_pipeline_run(struct ox_model *m, const struct ox_pipeline_opts *opts,
		    struct ox_pipeline_report *rep, struct ox_diag *d);

void ox_pipeline_report_release(struct ox_pipeline_report *rep);

/* --- helpers the passes share (passes/util.c) --- */

/* The ONNX opset the model imports (-1 when none). */
int64_t ox_pass_opset(const struct ox_graph *g);

/* node is op in the ONNX domain. */
static inline bool
ox_pass_is(const struct ox_node *node, const char *op)
{
	return !node->dead && ox_node_is(node, "", op);
}

/* The constant tensor behind v: an initializer that no graph input overrides, or the
 * value of a Constant node's `value` attribute. NULL otherwise. */
const struct ox_tensor *ox_pass_const(const struct ox_value *v);

/* A constant 1-D (or scalar) int32/int64 tensor read into out (room for max); its
 * length, or -1 when v is not such a constant. */
int ox_pass_const_ints(const struct ox_value *v, int64_t *out, int max);

/* A constant scalar (any shape with one element) of a float or integer dtype. */
bool ox_pass_const_scalar(const struct ox_value *v, double *out);

/* The element type of v (0 when unknown) and its rank (-1 when unknown). */
int ox_pass_elem(const struct ox_value *v);
int ox_pass_rank(const struct ox_value *v);
/* Dim i of v when it is a known value, else -1. */
int64_t ox_pass_dim(const struct ox_value *v, int i);
/* All dims of v when every one is a known value: the rank, else -1. */
int ox_pass_static_dims(const struct ox_value *v, int64_t *dims);

/* v is read by exactly one input of one node and is no graph output. */
bool ox_pass_single_use(const struct ox_value *v);

/* Whether every use of old can read nv instead with old's name kept where it is a
 * graph output, without an Identity standing in. */
bool ox_pass_can_replace(const struct ox_value *old, const struct ox_value *nv);
/* Make every use of old read nv (check ox_pass_can_replace first). A graph output
 * keeps its name and declared type. 0 or OX_ENOMEM. */
int ox_pass_replace(struct ox_value *old, struct ox_value *nv);

/* Remove node, whose output 0 equals its input `in`: readers of the output read the
 * input. 1 when done, 0 when a graph output forbids it, or OX_ENOMEM. */
int ox_pass_bypass(struct ox_node *node, int in);

/* Kill node and then every producer that its death leaves without uses. */
void ox_pass_kill(struct ox_node *node);

/* A new initializer in g named after base, with a zeroed tensor; NULL on failure. */
struct ox_value *ox_pass_new_init(struct ox_graph *g, const char *base, int dtype, int ndim,
				  const int64_t *dims);
/* A new int64 1-D initializer holding vals. */
struct ox_value *ox_pass_new_ints(struct ox_graph *g, const char *base, const int64_t *vals,
				  int n);

/* Set (add or replace) an attribute of node; strings and lists are copied. */
/* Drop an attribute of node (nothing when absent). */
/* The ints attribute name of node: its count, or -1 when absent. */
int ox_pass_attr_ints(const struct ox_node *node, const char *name, const int64_t **out);
/* The string attribute name of node compared with s; dflt when absent. */
bool ox_pass_attr_str_is(const struct ox_node *node, const char *name, const char *s, bool dflt);

/* Element i of a float/double tensor as double; store likewise. */
double ox_pass_get(const struct ox_tensor *t, int64_t i);
void ox_pass_put(struct ox_tensor *t, int64_t i, double x);

/* true when node has a graph-valued attribute. */
bool ox_pass_has_subgraph(const struct ox_node *node);

/* Axes of a Squeeze/Unsqueeze node (the attribute before opset 13, a constant input
 * from 13 on) into a, which has room for OX_MAX_RANK: their count, or -1 when they
 * are not known. */
int ox_pass_axes_of(const struct ox_node *node, int64_t opset, int64_t *a);

/* qsort comparison for int64_t. */
int ox_pass_cmp64(const void *x, const void *y);

#endif

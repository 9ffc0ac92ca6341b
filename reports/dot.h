/* reports/dot.h: Netron-style diagrams of a model, built as a cgraph graph and laid
 * out in-process with Graphviz (`onnx-opt dot`).
 *
 * What a diagram shows, so that a Netron user reads it at once:
 *   - one box per node (a rounded HTML table): the header is the op type (or the node
 *     name), filled with the colour of the op's registry category (ops.h); below it
 *     the constant inputs, `W⟨64×3×7×7⟩` (a small scalar or int list as its value),
 *     then, on request, the attributes as `name = value`, each cut to a readable
 *     length;
 *   - graph inputs (initializers excluded) and outputs as light ellipses with name,
 *     dtype and shape;
 *   - one edge per data flow: node input from its producer (or from the input
 *     ellipse), graph output ellipse from its producer; initializers are not edges.
 *     With `shapes`, edges carry the value's shape from value->type (`1x64x56x56`,
 *     `?` or the symbol for an unknown dim): run ox_shape_infer() first to get
 *     inferred shapes, otherwise only declared ones show;
 *   - If/Loop/Scan bodies as clusters holding their own inputs, nodes and outputs;
 *     a body output has a dashed edge to the node that owns the body, and an
 *     outer-scope value read inside a body is a dashed edge into the cluster.
 *
 * Counting rule (the tests rely on it): the DOT graph has one node per IR node, per
 * non-initializer graph input and per graph output, over the main graph and every
 * subgraph; and one edge per node input that is neither omitted nor an initializer
 * (and is defined somewhere), per graph output that is not an initializer, and per
 * subgraph output (to its owner). Function bodies are not drawn.
 *
 * Repeated blocks (max_nodes): along the main graph's node order (topological), a
 * run is count >= 2 consecutive blocks of len nodes that are copies of each other:
 * the same domain, op type and arity at each place, and each input coming from the
 * same place inside the block, or from before it, or from an initializer or outer
 * scope alike (ResNet bottlenecks, transformer layers). The first block is drawn
 * as usual; the other count - 1 become one box, "×N repeated", listing the block's
 * ops. The box takes over the edges of the nodes it stands for: one edge from each
 * outside source into it, one to each outside consumer, none inside (so a chain of
 * blocks gives one edge in and one out). Nodes in a box draw no bodies. Runs are
 * chosen without overlap, each where it saves most boxes (ties: the block with the
 * fewest values crossing its border), and only the largest runs are collapsed,
 * until the limit is met. Marks of the hidden nodes count in the legend and show
 * on the box's border.
 *
 * Every string from the model reaches the DOT only inside HTML-like labels, escaped
 * (markup characters as entities, non-ASCII as numeric references, control bytes
 * and invalid UTF-8 as U+FFFD); DOT node ids are generated ("n3", "i0", "o1"), never
 * taken from the model. A hostile name cannot break the DOT or the SVG.
 *
 * Ownership: ox_dot_build() returns a graph the caller closes with ox_dot_free();
 * the graph copies every string it needs, so the model may be freed first.
 * Graphviz reports problems through a process-wide handler: the functions here
 * install one that silences warnings and turns errors into diagnostics.
 */
#ifndef OX_DOT_H
#define OX_DOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cgraph.h>

#include "diag.h"
#include "graph.h"

/* Marks a caller may put on nodes; a node may have several (bits). The border shows
 * the strongest of unsupported > partial > new; new nodes also get a "new" tag. */
enum {
	OX_DOT_NEW = 1 << 0,         /* no counterpart in the base model (--diff) */
	OX_DOT_PARTIAL = 1 << 1,     /* partly supported by the target (--highlight) */
	OX_DOT_UNSUPPORTED = 1 << 2, /* not supported by the target (--highlight) */
	OX_DOT_MARK_BITS = 3
};

/* Which marks node carries, for the diagram; 0 for none. */
typedef unsigned ox_dot_mark_fn(const struct ox_node *node, void *arg);

struct ox_dot_opts {
	bool left_right;     /* rankdir LR instead of TB */
	bool names;          /* header = node name (op type below it) */
	bool attrs;          /* list attributes inside the boxes */
	bool no_weights;     /* leave initializer rows out */
	bool shapes;         /* label edges with value shapes */
	/* 0: draw every node. Otherwise, when the model has more nodes (over all
	 * graphs), collapse runs of repeated blocks of the main graph (below) until
	 * at most this many node boxes remain, or fail with OX_ELIMIT. */
	size_t max_nodes;
	ox_dot_mark_fn *mark;   /* NULL: no marks */
	void *mark_arg;
	/* Legend text per mark bit (NULL: that mark gets no legend line); the legend
	 * appears above the diagram when any node carries a mark that has a text. */
	const char *legend[OX_DOT_MARK_BITS];
};

/* What ox_dot_build() drew. */
struct ox_dot_stats {
	size_t nodes, edges, clusters;
	size_t repeats;                    /* boxes standing for repeated blocks */
	size_t hidden;                     /* IR nodes those boxes stand for */
	size_t marked[OX_DOT_MARK_BITS];   /* nodes carrying each mark bit */
};

/* Draw the model's main graph (and its subgraphs) into a new cgraph graph. *out is
 * NULL on failure. st may be NULL. 0, OX_EINVAL (no graph), OX_ENOMEM. */
int ox_dot_build(const struct ox_model *m, const struct ox_dot_opts *o, Agraph_t **out,
		 struct ox_dot_stats *st, struct ox_diag *d);

/* Write g as DOT text (not laid out) to f. 0 or OX_EIO. */
int ox_dot_write(Agraph_t *g, FILE *f, struct ox_diag *d);

/* Close a graph from ox_dot_build(). NULL is fine. */
void ox_dot_free(Agraph_t *g);

/* render.c: lay g out with the dot engine and render it in format ("svg", "png",
 * "dot" for laid-out DOT, ...) into a malloc'ed buffer the caller frees. The layout
 * is undone afterwards, so g can be rendered again. 0, OX_EUNSUPPORTED (format),
 * OX_EINVAL (layout failed), OX_ENOMEM. */
int ox_dot_render(Agraph_t *g, const char *format, char **data, size_t *len,
		  struct ox_diag *d);

/* --diff support: which nodes of a model have a counterpart in a base model. Two
 * nodes correspond when they have the same domain, op type and input names, in
 * order: a node the optimizer fused or rewrote, or whose inputs it renamed, does not.
 * ox_dot_diff_mark() is an ox_dot_mark_fn that takes the diff as arg and returns
 * OX_DOT_NEW for nodes without a counterpart. The diff owns its memory; the base
 * model must outlive it. */
struct ox_dot_diff {
	struct ox_strmap keys;      /* node key -> non-NULL, for each base node */
	struct ox_arena arena;
	size_t base_nodes;
};

int ox_dot_diff_init(struct ox_dot_diff *df, const struct ox_model *base, struct ox_diag *d);
void ox_dot_diff_release(struct ox_dot_diff *df);
unsigned ox_dot_diff_mark(const struct ox_node *node, void *df);

/* Install the Graphviz message handler (idempotent): warnings are dropped, errors
 * kept for ox_dot_graphviz_error(). Called by the functions above; tests that call
 * cgraph directly (agmemread) call it first. */
void ox_dot_quiet(void);

/* The last Graphviz error message since ox_dot_quiet() or the last call, then
 * forgotten; NULL when there was none. Points to a static buffer. */
const char *ox_dot_graphviz_error(void);

#endif

/* passes/fold.h: evaluating one node on constant inputs, for fold_constants and
 * eliminate_shape_ops.
 *
 * The executor (src/exec.h) offers whole-graph runs only; ox_fold_node calls the
 * node's kernel from its table directly (src/ops/kernel.h), so op semantics stay in
 * one place. It should move to exec.h as a public entry point once the executor
 * offers one (asked for in issue 5).
 */
#ifndef OX_FOLD_H
#define OX_FOLD_H

#include "pass.h"

/* Run node on the constant tensors ins[0..node->n_in) (NULL for omitted inputs).
 * outs[0..node->n_out) receive heap tensors (exec.h) that the caller releases with
 * ox_xtensor_free, also on failure. Nodes with subgraphs are refused. 0 or OX_E*
 * with a diagnostic in d. */
int ox_fold_node(struct ox_model *m, struct ox_node *node, const struct ox_tensor **ins,
		 struct ox_tensor **outs, struct ox_diag *d);

/* A copy of heap or arena tensor t in the model's arena, or NULL. */
struct ox_tensor *ox_fold_to_arena(struct ox_model *m, const struct ox_tensor *t);

/* Make output k of node an initializer holding t (an arena tensor): the value keeps
 * its name, type and readers (a graph output stays one); the node no longer produces it.
 * 0 or OX_ENOMEM. */
int ox_fold_make_init(struct ox_node *node, int k, struct ox_tensor *t);

#endif

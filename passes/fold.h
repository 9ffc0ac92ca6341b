/* passes/fold.h: turning computed tensors into initializers, for fold_constants and
 * eliminate_shape_ops. Evaluating a node goes through the executor's public entry
 * point ox_exec_node() (exec.h), so op semantics stay in one place.
 */
#ifndef OX_FOLD_H
#define OX_FOLD_H

#include "pass.h"

/* A copy of heap or arena tensor t in the model's arena, or NULL. */
struct ox_tensor *ox_fold_to_arena(struct ox_model *m, const struct ox_tensor *t);

/* Make output k of node an initializer holding t (an arena tensor): the value keeps
 * its name, type and readers (a graph output stays one); the node no longer produces it.
 * 0 or OX_ENOMEM. */
int ox_fold_make_init(struct ox_node *node, int k, struct ox_tensor *t);

/* If node's condition is a constant: move the taken branch's nodes and initializers
 * into node's graph (names made unique there; reads of outer-scope values stay bound
 * to them), let the branch outputs take the If's output names, and remove the If
 * with both branches. Branches with inputs, sparse initializers or nested subgraphs
 * stay. 1 when inlined, 0 when not, or OX_ENOMEM. */
int ox_fold_inline_if(struct ox_node *node, struct ox_pass_ctx *pc);

#endif

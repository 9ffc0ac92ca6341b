/* passes/match.h: small pattern-matching helpers for the fusions that recognise
 * decomposed subgraphs (fuse_layer_norm, fuse_gelu). */
#ifndef OX_MATCH_H
#define OX_MATCH_H

#include <math.h>

#include "pass.h"

/* The node producing v if it is op in g's ONNX domain and v is read once, else NULL. */
static inline struct ox_node *
ox_match_single(struct ox_value *v, const char *op)
{
	struct ox_node *p = v ? v->producer : NULL;

	if (!p || !ox_pass_is(p, op) || !ox_pass_single_use(v))
		return NULL;
	return p;
}

/* The only reader of v if it is op (v no graph output), else NULL. */
static inline struct ox_node *
ox_match_reader(struct ox_value *v, const char *op)
{
	struct ox_node *u;

	if (!ox_pass_single_use(v))
		return NULL;
	u = v->uses[0].node;
	return ox_pass_is(u, op) && u->graph == v->graph ? u : NULL;
}

/* Of a binary node's inputs, the one that is not `one`; NULL when neither is. */
static inline struct ox_value *
ox_match_other(const struct ox_node *node, const struct ox_value *one)
{
	if (node->n_in != 2)
		return NULL;
	if (node->in[0] == one)
		return node->in[1];
	if (node->in[1] == one)
		return node->in[0];
	return NULL;
}

/* v is a constant scalar close to want. */
static inline bool
ox_match_const(const struct ox_value *v, double want)
{
	double x;

	return v && ox_pass_const_scalar(v, &x) && fabs(x - want) <= 1e-4 * fabs(want) + 1e-7;
}

#endif

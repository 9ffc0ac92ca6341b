/* passes/eliminate_consecutive_idempotent_ops.c: f(f(x)) = f(x) for Relu, Abs,
 * Ceil, Floor, Round and Sign; the outer node's readers read the inner result.
 * Needs: uses. Keeps: shapes. Fixed point: yes (chains of three or more). */
#include "config.h"

#include <string.h>

#include "pass.h"

static bool
idempotent(const struct ox_node *node)
{
	static const char *const ops[] = { "Relu", "Abs", "Ceil", "Floor", "Round", "Sign" };

	if (!ox_domain_is_onnx(node->domain) || node->n_attrs || node->n_in != 1)
		return false;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(node->op_type, ops[i]) == 0)
			return true;
	return false;
}

int
ox_pass_eliminate_consecutive_idempotent_ops(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i], *inner;

		if (node->dead || !idempotent(node) || !node->in[0] || !node->out[0])
			continue;
		inner = node->in[0]->producer;
		if (!inner || inner->dead || inner->graph != g ||
		    strcmp(inner->op_type, node->op_type) != 0 || !idempotent(inner))
			continue;
		if ((r = ox_pass_bypass(node, 0)) < 0)
			return r;
		n += r;
	}
	return n;
}

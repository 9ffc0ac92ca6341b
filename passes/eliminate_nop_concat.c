/* passes/eliminate_nop_concat.c: Concat of a single input returns it.
 * Needs: uses. Keeps: shapes. Fixed point: no. */
#include "config.h"

#include "pass.h"

int
ox_pass_eliminate_nop_concat(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];

		if (!ox_pass_is(node, "Concat") || node->n_in != 1 || !node->in[0] || !node->out[0])
			continue;
		if ((r = ox_pass_bypass(node, 0)) < 0)
			return r;
		n += r;
	}
	return n;
}

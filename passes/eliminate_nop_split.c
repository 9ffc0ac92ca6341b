/* passes/eliminate_nop_split.c: Split into one output returns its input (any split
 * sizes given must then cover the whole axis).
 * Needs: uses. Keeps: shapes. Fixed point: no. */
#include "config.h"

#include "pass.h"

int
ox_pass_eliminate_nop_split(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];

		if (!ox_pass_is(node, "Split") || node->n_out != 1 || node->n_in < 1 || !node->in[0] ||
		    !node->out[0])
			continue;
		if ((r = ox_pass_bypass(node, 0)) < 0)
			return r;
		n += r;
	}
	return n;
}

/* passes/eliminate_nop_flatten.c: Flatten at axis 1 of a 2-D tensor keeps it.
 * Needs: uses, shapes (the rank). Keeps: shapes. Fixed point: no. */
#include "config.h"

#include "pass.h"

int
ox_pass_eliminate_nop_flatten(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];
		int64_t axis;

		if (!ox_pass_is(node, "Flatten") || node->n_in < 1 || !node->in[0] || !node->out[0] ||
		    ox_pass_rank(node->in[0]) != 2)
			continue;
		axis = ox_node_attr_int(node, "axis", 1);
		if (axis != 1 && axis != -1)
			continue;
		if ((r = ox_pass_bypass(node, 0)) < 0)
			return r;
		n += r;
	}
	return n;
}

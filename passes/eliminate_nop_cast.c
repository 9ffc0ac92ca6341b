/* passes/eliminate_nop_cast.c: Cast to the element type its input already has.
 * Needs: uses, shapes (the input's dtype). Keeps: shapes. Fixed point: no. */
#include "config.h"

#include "pass.h"

int
ox_pass_eliminate_nop_cast(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];
		int elem;

		if (!ox_pass_is(node, "Cast") || node->n_in < 1 || !node->in[0] || !node->out[0])
			continue;
		elem = ox_pass_elem(node->in[0]);
		if (!elem || !ox_node_attr(node, "to") || ox_node_attr_int(node, "to", -1) != elem)
			continue;
		if ((r = ox_pass_bypass(node, 0)) < 0)
			return r;
		n += r;
	}
	return n;
}

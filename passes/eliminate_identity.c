/* passes/eliminate_identity.c: Identity nodes forward their input unchanged.
 * Needs: uses. Keeps: shapes. Repeats to a fixed point: no (one sweep removes all). */
#include "config.h"

#include "pass.h"

int
ox_pass_eliminate_identity(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];

		if (!ox_pass_is(node, "Identity") || node->n_in < 1 || node->n_out < 1 ||
		    !node->in[0] || !node->out[0])
			continue;
		/* An Identity that gives a graph output its name, from a value that cannot
		 * take the name (an input, an initializer, an outer value), must stay. */
		if (!ox_pass_can_replace(node->out[0], node->in[0]))
			continue;
		if ((r = ox_pass_replace(node->out[0], node->in[0])) < 0)
			return r;
		ox_node_kill(node);
		n++;
	}
	return n;
}

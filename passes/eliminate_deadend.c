/* passes/eliminate_deadend.c: nodes whose outputs nothing reads compute nothing.
 * Needs: uses. Keeps: shapes. Repeats to a fixed point: no (a backward worklist
 * follows each chain of dead producers to its start).
 * Nodes outside the ONNX domain stay: their side effects are unknown. */
#include "config.h"

#include <stdlib.h>

#include "pass.h"

static bool
dead(const struct ox_node *node)
{
	if (node->dead || !ox_domain_is_onnx(node->domain))
		return false;
	for (int i = 0; i < node->n_out; i++)
		if (node->out[i] && (node->out[i]->n_uses || ox_value_is_graph_output(node->out[i])))
			return false;
	return true;
}

int
ox_pass_eliminate_deadend(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	struct ox_node **stack;
	size_t top = 0;
	int n = 0;

	if (!g->n_nodes)
		return 0;
	if (!(stack = malloc(g->n_nodes * sizeof *stack)))
		return ox_diag_error(pc->diag, OX_ENOMEM, "out of memory");
	for (size_t i = g->n_nodes; i-- > 0;) {
		if (!dead(g->nodes[i]))
			continue;
		stack[top++] = g->nodes[i];
		while (top) {
			struct ox_node *node = stack[--top];

			if (!dead(node))
				continue;
			ox_node_kill(node);
			n++;
			for (int k = 0; k < node->n_in; k++) {
				struct ox_value *v = node->in[k];

				/* Each node enters the stack once: when its last use goes. */
				if (v && v->producer && v->graph == g && !v->producer->dead &&
				    dead(v->producer) && top < g->n_nodes)
					stack[top++] = v->producer;
			}
		}
	}
	free(stack);
	return n;
}

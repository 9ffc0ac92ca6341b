/* passes/eliminate_nop_dropout.c: Dropout in inference mode is the identity.
 * Needs: uses. Keeps: shapes. Repeats to a fixed point: no.
 * Inference mode: is_test set before opset 7; from 12 on, training_mode omitted or a
 * constant false. The mask output must be unread. */
#include "config.h"

#include "pass.h"

int
ox_pass_eliminate_nop_dropout(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int64_t opset = ox_pass_opset(g);
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];
		double train;

		if (!ox_pass_is(node, "Dropout") || !node->n_in || !node->in[0] || !node->out[0])
			continue;
		if (opset < 7 && !ox_node_attr_int(node, "is_test", 0))
			continue;
		if (node->n_in > 2 && node->in[2] &&
		    (!ox_pass_const_scalar(node->in[2], &train) || train != 0)) {
			/* training_mode is bool: read it as bytes. */
			const struct ox_tensor *t = ox_pass_const(node->in[2]);

			if (!t || t->dtype != OX_BOOL || t->nelem != 1 || ((const uint8_t *)t->data)[0])
				continue;
		}
		if (node->n_out > 1 && node->out[1] &&
		    (node->out[1]->n_uses || ox_value_is_graph_output(node->out[1])))
			continue;
		if (!ox_pass_can_replace(node->out[0], node->in[0]))
			continue;
		if ((r = ox_pass_replace(node->out[0], node->in[0])) < 0)
			return r;
		ox_node_kill(node);
		n++;
	}
	return n;
}

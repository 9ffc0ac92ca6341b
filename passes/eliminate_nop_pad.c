/* passes/eliminate_nop_pad.c: Pad whose pads are all zero.
 * Needs: uses. Keeps: shapes. Fixed point: no.
 * pads is an attribute before opset 11 and a constant input from 11 on. */
#include "config.h"

#include "pass.h"

int
ox_pass_eliminate_nop_pad(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int64_t opset = ox_pass_opset(g);
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];
		int64_t buf[2 * OX_MAX_RANK];
		const int64_t *pads = buf;
		int np;
		bool nop = true;

		if (!ox_pass_is(node, "Pad") || node->n_in < 1 || !node->in[0] || !node->out[0])
			continue;
		if (opset < 11)
			np = ox_pass_attr_ints(node, "pads", &pads);
		else
			np = node->n_in > 1 && node->in[1] ? ox_pass_const_ints(node->in[1], buf, 2 * OX_MAX_RANK) : -1;
		if (np < 0)
			continue;
		for (int k = 0; k < np && nop; k++)
			nop = pads[k] == 0;
		if (!nop)
			continue;
		if ((r = ox_pass_bypass(node, 0)) < 0)
			return r;
		n += r;
	}
	return n;
}

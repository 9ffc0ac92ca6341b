/* passes/eliminate_nop_reshape.c: Reshape to the shape its input already has.
 * Needs: uses, shapes (the input's dims). Keeps: shapes. Fixed point: no.
 * The target must be a constant; each entry must be the input's dim (a known value),
 * 0 (copy, unless allowzero) or a single -1 standing for the one dim left. */
#include "config.h"

#include "pass.h"

int
ox_pass_eliminate_nop_reshape(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int64_t opset = ox_pass_opset(g);
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];
		int64_t s[OX_MAX_RANK];
		int ns, rank, minus = 0;
		bool allowzero, nop = true;

		if (!ox_pass_is(node, "Reshape") || opset < 5 || node->n_in < 2 || !node->in[0] ||
		    !node->out[0])
			continue;
		rank = ox_pass_rank(node->in[0]);
		ns = ox_pass_const_ints(node->in[1], s, OX_MAX_RANK);
		if (rank < 0 || ns != rank)
			continue;
		allowzero = opset >= 14 && ox_node_attr_int(node, "allowzero", 0);
		for (int k = 0; k < ns && nop; k++) {
			if (s[k] == 0 && !allowzero)
				continue;
			if (s[k] == -1)
				minus++;
			else
				nop = s[k] == ox_pass_dim(node->in[0], k);
		}
		if (!nop || minus > 1)
			continue;
		if ((r = ox_pass_bypass(node, 0)) < 0)
			return r;
		n += r;
	}
	return n;
}

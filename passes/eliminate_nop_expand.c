/* passes/eliminate_nop_expand.c: Expand to a shape the input already covers.
 * Needs: uses, shapes (the input's dims). Keeps: shapes. Fixed point: no.
 * The target must be constant, no longer than the input's rank, and each entry,
 * aligned from the right, 1 or the input's dim. */
#include "config.h"

#include "pass.h"

int
ox_pass_eliminate_nop_expand(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];
		int64_t s[OX_MAX_RANK];
		int ns, rank;
		bool nop = true;

		if (!ox_pass_is(node, "Expand") || node->n_in < 2 || !node->in[0] || !node->out[0])
			continue;
		rank = ox_pass_rank(node->in[0]);
		ns = ox_pass_const_ints(node->in[1], s, OX_MAX_RANK);
		if (rank < 0 || ns < 0 || ns > rank)
			continue;
		for (int k = 0; k < ns && nop; k++) {
			int64_t dim = ox_pass_dim(node->in[0], rank - ns + k);

			nop = s[k] == 1 || (dim >= 0 && s[k] == dim);
		}
		if (!nop)
			continue;
		if ((r = ox_pass_bypass(node, 0)) < 0)
			return r;
		n += r;
	}
	return n;
}

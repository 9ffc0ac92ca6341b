/* passes/eliminate_nop_transpose.c: Transpose whose permutation is the identity.
 * Needs: uses, shapes (the rank, when perm is omitted). Keeps: shapes. Fixed point: no. */
#include "config.h"

#include "pass.h"

int
ox_pass_eliminate_nop_transpose(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];
		const int64_t *perm;
		int np;
		bool nop = true;

		if (!ox_pass_is(node, "Transpose") || node->n_in < 1 || !node->in[0] || !node->out[0])
			continue;
		np = ox_pass_attr_ints(node, "perm", &perm);
		if (np < 0) {
			/* The default reverses the dims: a no-op for rank 0 and 1 only. */
			nop = ox_pass_rank(node->in[0]) >= 0 && ox_pass_rank(node->in[0]) <= 1;
		} else {
			for (int k = 0; k < np && nop; k++)
				nop = perm[k] == k;
		}
		if (!nop)
			continue;
		if ((r = ox_pass_bypass(node, 0)) < 0)
			return r;
		n += r;
	}
	return n;
}

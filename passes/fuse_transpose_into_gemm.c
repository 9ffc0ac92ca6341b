/* passes/fuse_transpose_into_gemm.c: a Gemm operand that is a 2-D Transpose is read
 * untransposed with transA/transB flipped. The Transpose dies when nothing else
 * reads it. Needs: uses. Keeps: shapes. Fixed point: no. */
#include "config.h"

#include "pass.h"

int
ox_pass_fuse_transpose_into_gemm(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	static const char *const flags[2] = { "transA", "transB" };
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *gemm = g->nodes[i];

		if (!ox_pass_is(gemm, "Gemm") || gemm->n_in < 2)
			continue;
		for (int k = 0; k < 2; k++) {
			struct ox_node *t = gemm->in[k] ? gemm->in[k]->producer : NULL;
			const int64_t *perm;
			int np;

			if (!t || t->graph != g || !ox_pass_is(t, "Transpose") || !t->in[0])
				continue;
			/* Gemm operands are 2-D, so an omitted perm is [1, 0] too. */
			np = ox_pass_attr_ints(t, "perm", &perm);
			if (np >= 0 && (np != 2 || perm[0] != 1 || perm[1] != 0))
				continue;
			if ((r = ox_node_set_attr_int(gemm, flags[k], !ox_node_attr_int(gemm, flags[k], 0))) < 0 ||
			    (r = ox_node_set_input(gemm, k, t->in[0])) < 0)
				return ox_diag_error(pc->diag, r, "out of memory");
			ox_pass_kill(t);
			n++;
		}
	}
	return n;
}

/* passes/fuse_consecutive_squeezes.c: Squeeze(Squeeze(x, a1), a2) is one Squeeze of
 * x over a1 and a2 mapped back to x's dims; the outer node is rewritten in place.
 * Needs: uses, shapes (x's rank, for negative axes). Breaks: shapes (a new axes
 * initializer from opset 13). Fixed point: yes.
 * axes is an attribute before opset 13 and an input from 13 on; both must be given. */
#include "config.h"

#include <stdlib.h>

#include "pass.h"

int
ox_pass_fuse_consecutive_squeezes(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int64_t opset = ox_pass_opset(g);
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *s2 = g->nodes[i], *s1;
		int64_t a1[OX_MAX_RANK], a2[OX_MAX_RANK], all[2 * OX_MAX_RANK], kept[OX_MAX_RANK];
		bool gone[OX_MAX_RANK] = { false };
		int n1, n2, rank, nk = 0;

		if (!ox_pass_is(s2, "Squeeze") || s2->n_in < 1 || !s2->in[0])
			continue;
		s1 = s2->in[0]->producer;
		if (!s1 || !ox_pass_is(s1, "Squeeze") || s1->graph != g || !s1->in[0])
			continue;
		rank = ox_pass_rank(s1->in[0]);
		n1 = ox_pass_axes_of(s1, opset, a1);
		n2 = ox_pass_axes_of(s2, opset, a2);
		if (rank < 0 || n1 < 0 || n2 < 0)
			continue;
		for (int k = 0; k < n1; k++) {
			if (a1[k] < 0)
				a1[k] += rank;
			if (a1[k] < 0 || a1[k] >= rank || gone[a1[k]])
				goto next;
			gone[a1[k]] = true;
			all[k] = a1[k];
		}
		for (int k = 0; k < rank; k++)
			if (!gone[k])
				kept[nk++] = k;
		for (int k = 0; k < n2; k++) {
			if (a2[k] < 0)
				a2[k] += nk;
			if (a2[k] < 0 || a2[k] >= nk)
				goto next;
			all[n1 + k] = kept[a2[k]];
		}
		qsort(all, (size_t)(n1 + n2), sizeof *all, ox_pass_cmp64);
		if (opset < 13) {
			r = ox_node_set_attr_ints(s2, "axes", all, (size_t)(n1 + n2));
		} else {
			struct ox_value *v = ox_pass_new_ints(g, "squeeze_axes", all, n1 + n2);

			r = v ? ox_node_set_input(s2, 1, v) : OX_ENOMEM;
		}
		if (r < 0 || (r = ox_node_set_input(s2, 0, s1->in[0])) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		ox_pass_kill(s1);
		n++;
next:;
	}
	return n;
}

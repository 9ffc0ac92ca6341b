/* passes/fuse_consecutive_unsqueezes.c: Unsqueeze(Unsqueeze(x, a1), a2) is one
 * Unsqueeze of x: a2 plus, for each axis of a1, where that dim lands among the
 * positions a2 leaves free. The outer node is rewritten in place.
 * Needs: uses, shapes (x's rank, only for negative axes). Breaks: shapes (a new axes
 * initializer from opset 13). Fixed point: yes.
 * axes is an attribute before opset 13 and an input from 13 on. */
#include "config.h"

#include <stdlib.h>

#include "pass.h"

int
ox_pass_fuse_consecutive_unsqueezes(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int64_t opset = ox_pass_opset(g);
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *u2 = g->nodes[i], *u1;
		int64_t a1[OX_MAX_RANK], a2[OX_MAX_RANK], all[2 * OX_MAX_RANK], freepos[2 * OX_MAX_RANK];
		bool taken[2 * OX_MAX_RANK] = { false };
		int n1, n2, rank, r1, r2, nf = 0;

		if (!ox_pass_is(u2, "Unsqueeze") || u2->n_in < 1 || !u2->in[0])
			continue;
		u1 = u2->in[0]->producer;
		if (!u1 || !ox_pass_is(u1, "Unsqueeze") || u1->graph != g || !u1->in[0])
			continue;
		n1 = ox_pass_axes_of(u1, opset, a1);
		n2 = ox_pass_axes_of(u2, opset, a2);
		rank = ox_pass_rank(u1->in[0]);
		if (n1 < 0 || n2 < 0)
			continue;
		r1 = rank + n1;
		r2 = r1 + n2;
		for (int k = 0; k < n1; k++) {
			if (a1[k] < 0 && (rank < 0 || (a1[k] += r1) < 0))
				goto next;
			if (a1[k] >= OX_MAX_RANK || (rank >= 0 && a1[k] >= r1))
				goto next;
		}
		for (int k = 0; k < n2; k++) {
			if (a2[k] < 0 && (rank < 0 || (a2[k] += r2) < 0))
				goto next;
			if (a2[k] >= 2 * OX_MAX_RANK || (rank >= 0 && a2[k] >= r2) || taken[a2[k]])
				goto next;
			taken[a2[k]] = true;
			all[k] = a2[k];
		}
		for (int p = 0; p < 2 * OX_MAX_RANK; p++)
			if (!taken[p])
				freepos[nf++] = p;
		for (int k = 0; k < n1; k++)
			all[n2 + k] = freepos[a1[k]];
		qsort(all, (size_t)(n1 + n2), sizeof *all, ox_pass_cmp64);
		if (opset < 13) {
			r = ox_node_set_attr_ints(u2, "axes", all, (size_t)(n1 + n2));
		} else {
			struct ox_value *v = ox_pass_new_ints(g, "unsqueeze_axes", all, n1 + n2);

			r = v ? ox_node_set_input(u2, 1, v) : OX_ENOMEM;
		}
		if (r < 0 || (r = ox_node_set_input(u2, 0, u1->in[0])) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		ox_pass_kill(u1);
		n++;
next:;
	}
	return n;
}

/* passes/fuse_consecutive_slices.c: Slice(Slice(x)) over disjoint axes is one Slice
 * with both lists of starts, ends, axes and steps; the outer node is rewritten in
 * place when the inner result has no other reader.
 * Needs: uses, shapes (the rank, for negative axes). Breaks: shapes (new constant
 * inputs). Fixed point: yes. Opset 10 and later (the input form) only. */
#include "config.h"

#include "pass.h"

/* The constant parameters of a Slice: count or -1. Omitted axes are 0..n-1 and
 * omitted steps 1; negative axes are made positive with rank. */
static int
params(const struct ox_node *s, int rank, int64_t *st, int64_t *en, int64_t *ax, int64_t *sp)
{
	int n, k;

	if (s->n_in < 3 || !s->in[0] || !s->in[1] || !s->in[2])
		return -1;
	n = ox_pass_const_ints(s->in[1], st, OX_MAX_RANK);
	if (n < 0 || ox_pass_const_ints(s->in[2], en, OX_MAX_RANK) != n)
		return -1;
	if (s->n_in > 3 && s->in[3]) {
		if (ox_pass_const_ints(s->in[3], ax, OX_MAX_RANK) != n)
			return -1;
	} else {
		for (k = 0; k < n; k++)
			ax[k] = k;
	}
	if (s->n_in > 4 && s->in[4]) {
		if (ox_pass_const_ints(s->in[4], sp, OX_MAX_RANK) != n)
			return -1;
	} else {
		for (k = 0; k < n; k++)
			sp[k] = 1;
	}
	for (k = 0; k < n; k++) {
		if (ax[k] < 0) {
			if (rank < 0)
				return -1;
			ax[k] += rank;
		}
	}
	return n;
}

int
ox_pass_fuse_consecutive_slices(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	if (ox_pass_opset(g) < 10)
		return 0;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *s2 = g->nodes[i], *s1;
		int64_t st[2 * OX_MAX_RANK], en[2 * OX_MAX_RANK], ax[2 * OX_MAX_RANK], sp[2 * OX_MAX_RANK];
		struct ox_value *v[4];
		int n1, n2, rank;

		if (!ox_pass_is(s2, "Slice") || s2->n_in < 3 || !s2->in[0])
			continue;
		s1 = s2->in[0]->producer;
		if (!s1 || s1->graph != g || !ox_pass_is(s1, "Slice") || !ox_pass_single_use(s2->in[0]))
			continue;
		rank = ox_pass_rank(s1->in[0]);
		n1 = params(s1, rank, st, en, ax, sp);
		if (n1 < 0)
			continue;
		n2 = params(s2, rank, st + n1, en + n1, ax + n1, sp + n1);
		if (n2 < 0)
			continue;
		for (int a = 0; a < n1 + n2; a++)
			for (int b = a + 1; b < n1 + n2; b++)
				if (ax[a] == ax[b])
					goto next;
		v[0] = ox_pass_new_ints(g, "slice_starts", st, n1 + n2);
		v[1] = ox_pass_new_ints(g, "slice_ends", en, n1 + n2);
		v[2] = ox_pass_new_ints(g, "slice_axes", ax, n1 + n2);
		v[3] = ox_pass_new_ints(g, "slice_steps", sp, n1 + n2);
		if (!v[0] || !v[1] || !v[2] || !v[3])
			return ox_diag_error(pc->diag, OX_ENOMEM, "out of memory");
		while (s2->n_in < 5)
			if ((r = ox_node_add_input(s2, NULL)) < 0)
				return ox_diag_error(pc->diag, r, "out of memory");
		for (int k = 0; k < 4; k++)
			if ((r = ox_node_set_input(s2, k + 1, v[k])) < 0)
				return ox_diag_error(pc->diag, r, "out of memory");
		if ((r = ox_node_set_input(s2, 0, s1->in[0])) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		ox_pass_kill(s1);
		n++;
next:;
	}
	return n;
}

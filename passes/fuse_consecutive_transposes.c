/* passes/fuse_consecutive_transposes.c: Transpose(Transpose(x, p1), p2) is
 * Transpose(x, p) with p[i] = p1[p2[i]]; the outer node is rewritten in place and the
 * inner one dies when nothing else reads it.
 * Needs: uses, shapes (the rank, when a perm is omitted). Keeps: shapes.
 * Fixed point: yes (chains). An identity result is left to eliminate_nop_transpose. */
#include "config.h"

#include "pass.h"

/* The permutation of t (room for OX_MAX_RANK); its length or -1. */
static int
perm_of(const struct ox_node *t, int rank, int64_t *p)
{
	const int64_t *a;
	int n = ox_pass_attr_ints(t, "perm", &a);

	if (n > OX_MAX_RANK)
		return -1;
	if (n >= 0) {
		for (int i = 0; i < n; i++)
			p[i] = a[i];
		return n;
	}
	if (rank < 0)
		return -1;
	for (int i = 0; i < rank; i++)
		p[i] = rank - 1 - i;
	return rank;
}

int
ox_pass_fuse_consecutive_transposes(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *t2 = g->nodes[i], *t1;
		int64_t p1[OX_MAX_RANK], p2[OX_MAX_RANK], p[OX_MAX_RANK];
		int n1, n2, rank;

		if (!ox_pass_is(t2, "Transpose") || t2->n_in < 1 || !t2->in[0])
			continue;
		t1 = t2->in[0]->producer;
		if (!t1 || !ox_pass_is(t1, "Transpose") || t1->graph != g || !t1->in[0])
			continue;
		rank = ox_pass_rank(t1->in[0]);
		n1 = perm_of(t1, rank, p1);
		n2 = perm_of(t2, n1, p2);
		if (n1 < 0 || n2 != n1)
			continue;
		for (int k = 0; k < n2; k++) {
			if (p2[k] < 0 || p2[k] >= n1)
				goto next;
			p[k] = p1[p2[k]];
		}
		if ((r = ox_node_set_attr_ints(t2, "perm", p, (size_t)n2)) < 0 ||
		    (r = ox_node_set_input(t2, 0, t1->in[0])) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		ox_pass_kill(t1);
		n++;
next:;
	}
	return n;
}

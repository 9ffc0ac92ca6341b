/* passes/eliminate_nop_slice.c: Slice that keeps every element.
 * Needs: uses, shapes (dims, to tell an end at or past the dim). Keeps: shapes.
 * Fixed point: no. starts/ends/axes are attributes before opset 10 and constant
 * inputs from 10 on; every step must be 1, every start 0 and every end at least the
 * dim (or the INT_MAX-like sentinel exporters write). */
#include "config.h"

#include "pass.h"

#define BIG ((int64_t)1 << 31)

int
ox_pass_eliminate_nop_slice(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int64_t opset = ox_pass_opset(g);
	int n = 0, r;

	(void)pc;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];
		int64_t sb[OX_MAX_RANK], eb[OX_MAX_RANK], ab[OX_MAX_RANK], tb[OX_MAX_RANK];
		const int64_t *s = sb, *e = eb, *a = ab;
		int ns, ne, na = -1, nt = -1, rank;
		bool nop = true;

		if (!ox_pass_is(node, "Slice") || node->n_in < 1 || !node->in[0] || !node->out[0])
			continue;
		rank = ox_pass_rank(node->in[0]);
		if (opset < 10) {
			ns = ox_pass_attr_ints(node, "starts", &s);
			ne = ox_pass_attr_ints(node, "ends", &e);
			na = ox_pass_attr_ints(node, "axes", &a);
		} else {
			if (node->n_in < 3)
				continue;
			ns = ox_pass_const_ints(node->in[1], sb, OX_MAX_RANK);
			ne = ox_pass_const_ints(node->in[2], eb, OX_MAX_RANK);
			if (node->n_in > 3 && node->in[3] &&
			    (na = ox_pass_const_ints(node->in[3], ab, OX_MAX_RANK)) < 0)
				continue;
			if (node->n_in > 4 && node->in[4] &&
			    (nt = ox_pass_const_ints(node->in[4], tb, OX_MAX_RANK)) < 0)
				continue;
		}
		if (ns < 0 || ne != ns || (na >= 0 && na != ns) || (nt >= 0 && nt != ns))
			continue;
		for (int k = 0; k < ns && nop; k++) {
			int64_t axis = na >= 0 ? a[k] : k, dim;

			if (axis < 0)
				axis += rank;
			if (rank < 0 || axis < 0 || axis >= rank || (nt >= 0 && tb[k] != 1) || s[k] != 0) {
				nop = false;
				break;
			}
			dim = ox_pass_dim(node->in[0], (int)axis);
			nop = e[k] >= BIG || (dim >= 0 && e[k] >= dim);
		}
		if (!nop)
			continue;
		if ((r = ox_pass_bypass(node, 0)) < 0)
			return r;
		n += r;
	}
	return n;
}

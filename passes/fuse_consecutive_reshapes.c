/* passes/fuse_consecutive_reshapes.c: a Reshape to a constant shape that does not
 * copy dims (no 0 entry, or allowzero) does not care what shape its input had, so it
 * can read past an inner Reshape, Flatten, Squeeze or Unsqueeze (all keep the element
 * order). The inner node dies when nothing else reads it.
 * Needs: uses. Keeps: shapes. Fixed point: yes. */
#include "config.h"

#include "pass.h"

int
ox_pass_fuse_consecutive_reshapes(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int64_t opset = ox_pass_opset(g);
	int n = 0, r;

	if (opset < 5)
		return 0;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *r2 = g->nodes[i], *r1;
		int64_t s[OX_MAX_RANK];
		int ns;
		bool allowzero, ok = true;

		if (!ox_pass_is(r2, "Reshape") || r2->n_in < 2 || !r2->in[0])
			continue;
		r1 = r2->in[0]->producer;
		if (!r1 || r1->graph != g || r1->n_in < 1 || !r1->in[0] ||
		    !(ox_pass_is(r1, "Reshape") || ox_pass_is(r1, "Flatten") ||
		      ox_pass_is(r1, "Squeeze") || ox_pass_is(r1, "Unsqueeze")))
			continue;
		ns = ox_pass_const_ints(r2->in[1], s, OX_MAX_RANK);
		allowzero = opset >= 14 && ox_node_attr_int(r2, "allowzero", 0);
		if (ns < 0)
			continue;
		for (int k = 0; k < ns && ok; k++)
			ok = s[k] != 0 || allowzero;
		if (!ok)
			continue;
		if ((r = ox_node_set_input(r2, 0, r1->in[0])) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		ox_pass_kill(r1);
		n++;
	}
	return n;
}

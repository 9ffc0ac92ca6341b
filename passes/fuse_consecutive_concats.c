/* passes/fuse_consecutive_concats.c: a Concat read only by a Concat on the same axis
 * is spliced into that one's input list.
 * Needs: uses, shapes (the rank, when the two axes differ in sign). Keeps: shapes.
 * Fixed point: yes. */
#include "config.h"

#include <stdlib.h>

#include "pass.h"

/* Replace node's inputs by vals[0..n). */
static int
set_inputs(struct ox_node *node, struct ox_value **vals, int n)
{
	struct ox_value **in;
	int r;

	for (int i = 0; i < node->n_in; i++)
		if ((r = ox_node_set_input(node, i, NULL)) < 0)
			return r;
	if (!(in = ox_arena_calloc(&node->graph->model->arena, (size_t)n + 1, sizeof *in)))
		return OX_ENOMEM;
	node->in = in;
	node->n_in = n;
	for (int i = 0; i < n; i++)
		if ((r = ox_node_set_input(node, i, vals[i])) < 0)
			return r;
	return 0;
}

int
ox_pass_fuse_consecutive_concats(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *c2 = g->nodes[i];
		int64_t axis2;
		int rank;

		if (!ox_pass_is(c2, "Concat") || !c2->out[0] || !ox_node_attr(c2, "axis"))
			continue;
		axis2 = ox_node_attr_int(c2, "axis", 0);
		rank = ox_pass_rank(c2->out[0]);
		for (int k = 0; k < c2->n_in; k++) {
			struct ox_value *v = c2->in[k], **vals;
			struct ox_node *c1 = v ? v->producer : NULL;
			int64_t axis1, a1, a2;
			int m = 0;

			if (!c1 || c1->graph != g || !ox_pass_is(c1, "Concat") || !ox_pass_single_use(v) ||
			    !ox_node_attr(c1, "axis"))
				continue;
			axis1 = ox_node_attr_int(c1, "axis", 0);
			a1 = axis1 < 0 && rank >= 0 ? axis1 + rank : axis1;
			a2 = axis2 < 0 && rank >= 0 ? axis2 + rank : axis2;
			if (a1 != a2)
				continue;
			for (int j = 0; j < c1->n_in; j++)
				if (!c1->in[j])
					goto next;
			if (!(vals = malloc((size_t)(c2->n_in + c1->n_in) * sizeof *vals)))
				return ox_diag_error(pc->diag, OX_ENOMEM, "out of memory");
			for (int j = 0; j < k; j++)
				vals[m++] = c2->in[j];
			for (int j = 0; j < c1->n_in; j++)
				vals[m++] = c1->in[j];
			for (int j = k + 1; j < c2->n_in; j++)
				vals[m++] = c2->in[j];
			r = set_inputs(c2, vals, m);
			free(vals);
			if (r < 0)
				return ox_diag_error(pc->diag, r, "out of memory");
			ox_pass_kill(c1);
			n++;
			break;
next:;
		}
	}
	return n;
}

/* passes/fuse_pad_into_pool.c: a constant Pad of the spatial dims before a pool is
 * the pool's own padding when the padded value plays the same part: -inf for
 * MaxPool (padding never wins), 0 for AveragePool counted in the average
 * (count_include_pad, which the fused node then sets). Needs: uses. Keeps: shapes.
 * Fixed point: no. The pool must use explicit pads, ceil_mode 0, and MaxPool must
 * leave its Indices output unread. */
#include "config.h"

#include <math.h>

#include "padfold.h"

int
ox_pass_fuse_pad_into_pool(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *pool = g->nodes[i];
		int64_t pads[2 * OX_MAX_RANK];
		const int64_t *old;
		double value;
		bool avg = ox_pass_is(pool, "AveragePool"), had_pads = false;
		int R, no;

		if (!(avg || ox_pass_is(pool, "MaxPool")) || !pool->n_in || !pool->in[0] ||
		    !ox_pass_attr_str_is(pool, "auto_pad", "NOTSET", true) ||
		    ox_node_attr_int(pool, "ceil_mode", 0))
			continue;
		if (!avg && pool->n_out > 1 && pool->out[1] &&
		    (pool->out[1]->n_uses || ox_value_is_graph_output(pool->out[1])))
			continue;
		if ((R = ox_padfold_read(pool->in[0], pads, &value)) < 0)
			continue;
		no = ox_pass_attr_ints(pool, "pads", &old);
		for (int k = 0; k < no; k++)
			had_pads |= old[k] != 0;
		if (avg && (value != 0 || (had_pads && !ox_node_attr_int(pool, "count_include_pad", 0))))
			continue;
		if (!avg && !(isinf(value) && value < 0))
			continue;
		if ((r = ox_padfold_apply(pool, pads, R)) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		if (r > 0 && avg && ox_node_set_attr_int(pool, "count_include_pad", 1) < 0)
			return ox_diag_error(pc->diag, OX_ENOMEM, "out of memory");
		n += r;
	}
	return n;
}

/* passes/fuse_add_bias_into_conv.c: Add(Conv(x, W, B), c) with c constant and equal
 * along every dim but the channel is Conv(x, W, B + c).
 * Needs: uses. Breaks: shapes (a new bias initializer). Fixed point: no.
 * The Conv output must be read by the Add alone. */
#include "config.h"

#include "convfold.h"

int
ox_pass_fuse_add_bias_into_conv(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *op = g->nodes[i];
		struct ox_convfold f;
		struct ox_value *b;

		if (!ox_pass_is(op, "Add") || !ox_convfold_match(op, &f))
			continue;
		if (!(b = ox_pass_new_init(g, f.conv->in[1]->name, f.w->dtype, 1, &f.m)))
			return ox_diag_error(pc->diag, OX_ENOMEM, "out of memory");
		for (int64_t c = 0; c < f.m; c++)
			ox_pass_put(b->init, c, (f.b ? ox_pass_get(f.b, c) : 0) +
				    ox_pass_get(f.c, f.per_channel ? c : 0));
		if ((r = ox_convfold_apply(&f, NULL, b)) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		n++;
	}
	return n;
}

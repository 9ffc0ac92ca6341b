/* passes/fuse_mul_into_conv.c: Mul(Conv(x, W, B), c) with c constant, a scalar or
 * per output channel, is Conv(x, W * c, B * c).
 * Needs: uses. Breaks: shapes (new initializers). Fixed point: no.
 * The Conv output must be read by the Mul alone. */
#include "config.h"

#include "convfold.h"

int
ox_pass_fuse_mul_into_conv(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *op = g->nodes[i];
		struct ox_convfold f;
		struct ox_value *w, *b = NULL;
		int64_t inner;

		if (!ox_pass_is(op, "Mul") || !ox_convfold_match(op, &f))
			continue;
		w = ox_pass_new_init(g, f.conv->in[1]->name, f.w->dtype, f.w->ndim, f.w->dims);
		if (f.b)
			b = ox_pass_new_init(g, f.conv->in[2]->name, f.w->dtype, 1, &f.m);
		if (!w || (f.b && !b))
			return ox_diag_error(pc->diag, OX_ENOMEM, "out of memory");
		inner = f.w->nelem / f.m;
		for (int64_t k = 0; k < f.w->nelem; k++)
			ox_pass_put(w->init, k, ox_pass_get(f.w, k) *
				    ox_pass_get(f.c, f.per_channel ? k / inner : 0));
		for (int64_t c = 0; b && c < f.m; c++)
			ox_pass_put(b->init, c, ox_pass_get(f.b, c) * ox_pass_get(f.c, f.per_channel ? c : 0));
		if ((r = ox_convfold_apply(&f, w, b)) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		n++;
	}
	return n;
}

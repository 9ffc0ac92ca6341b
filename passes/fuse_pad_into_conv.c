/* passes/fuse_pad_into_conv.c: a zero constant Pad of the spatial dims before a Conv
 * is the Conv's own padding. Needs: uses. Keeps: shapes. Fixed point: no.
 * The Conv must use explicit pads (auto_pad NOTSET). */
#include "config.h"

#include "padfold.h"

int
ox_pass_fuse_pad_into_conv(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0, r;

	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *conv = g->nodes[i];
		int64_t pads[2 * OX_MAX_RANK];
		double value;
		int R;

		if (!ox_pass_is(conv, "Conv") || !conv->n_in || !conv->in[0] ||
		    !ox_pass_attr_str_is(conv, "auto_pad", "NOTSET", true))
			continue;
		if ((R = ox_padfold_read(conv->in[0], pads, &value)) < 0 || value != 0)
			continue;
		if ((r = ox_padfold_apply(conv, pads, R)) < 0)
			return ox_diag_error(pc->diag, r, "out of memory");
		n += r;
	}
	return n;
}

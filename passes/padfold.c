/* passes/padfold.c: see padfold.h. */
#include "config.h"

#include <math.h>

#include "padfold.h"

int
ox_padfold_read(const struct ox_value *in, int64_t *pads, double *value)
{
	struct ox_node *pad = in ? in->producer : NULL;
	int64_t opset;
	int np, R;

	if (!pad || pad->graph != in->graph || !ox_pass_is(pad, "Pad") || !pad->in[0] ||
	    !ox_pass_attr_str_is(pad, "mode", "constant", true))
		return -1;
	opset = ox_pass_opset(pad->graph);
	*value = 0;
	if (opset < 11) {
		const int64_t *p;

		np = ox_pass_attr_ints(pad, "pads", &p);
		if (np < 0 || np > 2 * OX_MAX_RANK)
			return -1;
		for (int k = 0; k < np; k++)
			pads[k] = p[k];
		*value = ox_node_attr_float(pad, "value", 0);
	} else {
		if (pad->n_in < 2 || !pad->in[1] || (pad->n_in > 3 && pad->in[3]))
			return -1;
		np = ox_pass_const_ints(pad->in[1], pads, 2 * OX_MAX_RANK);
		if (pad->n_in > 2 && pad->in[2]) {
			const struct ox_tensor *t = ox_pass_const(pad->in[2]);

			if (!t || t->nelem != 1 || (t->dtype != OX_FLOAT && t->dtype != OX_DOUBLE))
				return -1;
			*value = ox_pass_get(t, 0);
		}
	}
	if (np < 6 || np % 2)
		return -1;
	R = np / 2;
	if (pads[0] || pads[1] || pads[R] || pads[R + 1])
		return -1;
	for (int k = 0; k < np; k++)
		if (pads[k] < 0)
			return -1;
	return R;
}

int
ox_padfold_apply(struct ox_node *node, const int64_t *pads, int R)
{
	int64_t np[2 * OX_MAX_RANK] = { 0 };
	const int64_t *old;
	int nsp = R - 2, no = ox_pass_attr_ints(node, "pads", &old);
	struct ox_node *pad = node->in[0]->producer;
	int r;

	if (no >= 0 && no != 2 * nsp)
		return 0;
	for (int k = 0; k < nsp; k++) {
		np[k] = (no > 0 ? old[k] : 0) + pads[2 + k];
		np[nsp + k] = (no > 0 ? old[nsp + k] : 0) + pads[R + 2 + k];
	}
	if ((r = ox_node_set_attr_ints(node, "pads", np, (size_t)(2 * nsp))) < 0 ||
	    (r = ox_node_set_input(node, 0, pad->in[0])) < 0)
		return r;
	ox_pass_kill(pad);
	return 1;
}

/* passes/convfold.c: see convfold.h. */
#include "config.h"

#include "convfold.h"

bool
ox_convfold_match(struct ox_node *op, struct ox_convfold *f)
{
	int R;

	if (op->n_in != 2 || !op->in[0] || !op->in[1] || !op->out[0])
		return false;
	for (int side = 0; side < 2; side++) {
		struct ox_value *x = op->in[side];
		struct ox_node *conv = x->producer;
		const struct ox_tensor *w, *c;

		if (!conv || conv->graph != op->graph || !ox_pass_is(conv, "Conv") ||
		    !ox_pass_single_use(x) || conv->n_in < 2 || !conv->in[1])
			continue;
		w = ox_pass_const(conv->in[1]);
		c = ox_pass_const(op->in[1 - side]);
		if (!w || !c || !w->data || !c->data || (w->dtype != OX_FLOAT && w->dtype != OX_DOUBLE) ||
		    c->dtype != w->dtype || w->ndim < 3)
			continue;
		R = w->ndim;
		f->conv = conv;
		f->op = op;
		f->w = w;
		f->c = c;
		f->m = w->dims[0];
		f->b = NULL;
		if (conv->n_in > 2 && conv->in[2]) {
			f->b = ox_pass_const(conv->in[2]);
			if (!f->b || f->b->dtype != w->dtype || f->b->nelem != f->m || !f->b->data)
				continue;
		}
		if (c->ndim > R)
			continue;
		f->per_channel = false;
		for (int q = R - c->ndim; q < R; q++) {
			int64_t cd = c->dims[q - (R - c->ndim)];

			if (q == 1 && cd == f->m && f->m != 1)
				f->per_channel = true;
			else if (cd != 1)
				goto next;
		}
		return ox_pass_can_replace(op->out[0], x);
next:;
	}
	return false;
}

int
ox_convfold_apply(struct ox_convfold *f, struct ox_value *w, struct ox_value *b)
{
	struct ox_node *conv = f->conv;
	int r;

	if (w && (r = ox_node_set_input(conv, 1, w)) < 0)
		return r;
	if (conv->n_in > 2)
		r = ox_node_set_input(conv, 2, b);
	else
		r = b ? ox_node_add_input(conv, b) : 0;
	if (r < 0 || (r = ox_pass_replace(f->op->out[0], conv->out[0])) < 0)
		return r;
	ox_node_kill(f->op);
	return 1;
}

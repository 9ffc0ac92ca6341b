/* passes/fold.c: see fold.h. */
#include "config.h"

#include <string.h>

#include "fold.h"
#include "ops/kernel.h"

int
ox_fold_node(struct ox_model *m, struct ox_node *node, const struct ox_tensor **ins,
	     struct ox_tensor **outs, struct ox_diag *d)
{
	ox_kernel_fn *fn = ox_kernel_find(node->domain, node->op_type);
	struct ox_kctx k;
	int r;

	for (int i = 0; i < node->n_out; i++)
		outs[i] = NULL;
	if (!fn || ox_pass_has_subgraph(node))
		return ox_diag_error(d, OX_EUNSUPPORTED, "no kernel to fold %s", node->op_type);
	memset(&k, 0, sizeof k);
	k.node = node;
	k.opset = ox_model_opset(m, node->domain);
	k.in = ins;
	k.n_in = node->n_in;
	k.out = outs;
	k.n_out = node->n_out;
	k.d = d;
	d->node = node->name;
	d->op = node->op_type;
	r = fn(&k);
	d->node = NULL;
	d->op = NULL;
	if (r < 0)
		return r;
	for (int i = 0; i < node->n_out; i++)
		if (node->out[i] && !outs[i])
			return ox_diag_error(d, OX_EUNSUPPORTED, "the kernel made no output %d", i);
	return 0;
}

struct ox_tensor *
ox_fold_to_arena(struct ox_model *m, const struct ox_tensor *t)
{
	struct ox_tensor *c = ox_tensor_new(&m->arena, t->dtype, t->ndim, t->dims);

	if (!c)
		return NULL;
	if (t->dtype == OX_STRING) {
		/* ONNX keeps strings in string_data; raw_data cannot hold them. */
		c->store = OX_STORE_FIELD;
		for (int64_t i = 0; i < t->nelem; i++) {
			c->strings[i].len = t->strings[i].len;
			if (t->strings[i].len &&
			    !(c->strings[i].data = ox_arena_memdup(&m->arena, t->strings[i].data, t->strings[i].len)))
				return NULL;
		}
	} else if (t->nbytes) {
		memcpy(c->data, t->data, t->nbytes);
	}
	return c;
}

int
ox_fold_make_init(struct ox_node *node, int k, struct ox_tensor *t)
{
	struct ox_value *v = node->out[k];
	struct ox_graph *g = node->graph;

	node->out[k] = NULL;
	v->producer = NULL;
	v->producer_index = 0;
	t->name = v->name;
	return ox_graph_add_init(g, v, t);
}

/* passes/fold.c: see fold.h. */
#include "config.h"

#include <string.h>

#include "fold.h"

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

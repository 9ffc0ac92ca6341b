/* passes/eliminate_unused_initializer.c: initializers nothing reads only take space.
 * Needs: uses. Keeps: shapes. Repeats to a fixed point: no.
 * An initializer that is also a graph input (a default a caller may override) or a
 * graph output is part of the interface and stays. */
#include "config.h"

#include "pass.h"

int
ox_pass_eliminate_unused_initializer(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	int n = 0;

	(void)pc;
	for (size_t i = 0; i < g->n_inits; i++) {
		struct ox_value *v = g->inits[i];

		if (v->dead || v->n_uses || v->is_input || ox_value_is_graph_output(v))
			continue;
		v->dead = true;
		ox_strmap_del(&g->names, v->name);
		n++;
	}
	return n;
}

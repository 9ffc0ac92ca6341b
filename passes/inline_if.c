/* passes/inline_if.c: see fold.h (ox_fold_inline_if). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"

/* A node name for a node moved from the branch: its own when free in g, else the
 * If's name joined to it, with a counter until free. */
static const char *
unique_name(struct ox_graph *g, struct ox_strmap *taken, const char *if_name, const char *name)
{
	struct ox_arena *a = &g->model->arena;
	size_t len;
	char *buf;
	const char *n;

	if (!name)
		return NULL;
	if (!ox_strmap_get(taken, name))
		return name;
	len = strlen(name) + (if_name ? strlen(if_name) : 0) + 32;
	if (!(buf = ox_arena_alloc(a, len)))
		return NULL;
	snprintf(buf, len, "%s/%s", if_name ? if_name : "If", name);
	for (unsigned k = 1; ox_strmap_get(taken, buf); k++)
		snprintf(buf, len, "%s/%s_%u", if_name ? if_name : "If", name, k);
	n = buf;
	return n;
}

/* Whether branch b can move into the If's graph: no inputs, no sparse initializers,
 * no nested subgraphs, as many outputs as the If has. */
static bool
movable(const struct ox_node *node, const struct ox_graph *b)
{
	if (b->n_inputs || b->n_sparse_inits || (int)b->n_outputs != node->n_out)
		return false;
	for (size_t i = 0; i < b->n_nodes; i++)
		if (!b->nodes[i]->dead && ox_pass_has_subgraph(b->nodes[i]))
			return false;
	return true;
}

/* Every input of the (sorted) branch is defined before it is read. */
static bool
well_formed(const struct ox_graph *b)
{
	bool *def = calloc(b->n_values + 1, sizeof *def);
	bool ok = def != NULL;

	for (size_t i = 0; ok && i < b->n_inits; i++)
		def[b->inits[i]->id] = true;
	for (size_t n = 0; ok && n < b->n_nodes; n++) {
		const struct ox_node *node = b->nodes[n];

		if (node->dead)
			continue;
		for (int i = 0; i < node->n_in; i++)
			if (node->in[i] && node->in[i]->graph == b && !def[node->in[i]->id])
				ok = false;
		for (int i = 0; i < node->n_out; i++)
			if (node->out[i])
				def[node->out[i]->id] = true;
	}
	for (size_t i = 0; ok && i < b->n_outputs; i++)
		if (b->outputs[i]->graph == b && !def[b->outputs[i]->id])
			ok = false;
	free(def);
	return ok;
}

/* The value of g standing for branch value v: map[v->id] for branch values, v itself
 * for values of enclosing scopes. */
static struct ox_value *
bound(struct ox_value **map, const struct ox_graph *b, struct ox_value *v)
{
	return v && v->graph == b ? map[v->id] : v;
}

static int
copy_inits(struct ox_graph *g, struct ox_graph *b, struct ox_value **map)
{
	for (size_t i = 0; i < b->n_inits; i++) {
		struct ox_value *v = b->inits[i], *nv;
		struct ox_tensor *t;

		if (v->dead || !v->init)
			continue;
		if (!(nv = ox_value_new(g, v->name)) || !(t = ox_fold_to_arena(g->model, v->init)))
			return OX_ENOMEM;
		t->name = nv->name;
		if (ox_graph_add_init(g, nv, t) < 0)
			return OX_ENOMEM;
		nv->type = v->type;
		map[v->id] = nv;
	}
	return 0;
}

static int
copy_node(struct ox_graph *g, struct ox_strmap *taken, const struct ox_node *ifn,
	  struct ox_graph *b, struct ox_node *src, struct ox_value **map)
{
	struct ox_arena *a = &g->model->arena;
	struct ox_node *nn = ox_node_new(g, src->op_type, src->domain, src->n_in, 0);

	if (!nn || !(nn->out = ox_arena_calloc(a, (size_t)src->n_out + 1, sizeof *nn->out)))
		return OX_ENOMEM;
	nn->n_out = src->n_out;
	nn->doc = src->doc;
	nn->rest = src->rest;
	nn->name = unique_name(g, taken, ifn->name, src->name);
	if (src->name && (!nn->name || ox_strmap_put(taken, nn->name, nn) < 0))
		return OX_ENOMEM;
	if (src->n_attrs && !(nn->attrs = ox_arena_memdup(a, src->attrs, src->n_attrs * sizeof *src->attrs)))
		return OX_ENOMEM;
	nn->n_attrs = src->n_attrs;
	for (int i = 0; i < src->n_in; i++) {
		struct ox_value *v = bound(map, b, src->in[i]);

		if (v && ox_node_set_input(nn, i, v) < 0)
			return OX_ENOMEM;
	}
	for (int i = 0; i < src->n_out; i++) {
		struct ox_value *o = src->out[i], *v;

		if (!o)
			continue;
		if (!(v = ox_value_new(g, o->name)))
			return OX_ENOMEM;
		v->producer = nn;
		v->producer_index = i;
		v->type = o->type;
		nn->out[i] = v;
		map[o->id] = v;
	}
	return 0;
}

static int
inline_branch(struct ox_node *ifn, struct ox_graph *b, struct ox_pass_ctx *pc)
{
	struct ox_graph *g = ifn->graph;
	struct ox_value **map = calloc(b->n_values + 1, sizeof *map);
	struct ox_value **outs = calloc((size_t)ifn->n_out + 1, sizeof *outs);
	struct ox_strmap taken;
	int r = 0;

	ox_strmap_init(&taken);
	if (!map || !outs) {
		r = OX_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < g->n_nodes; i++)
		if (!g->nodes[i]->dead && g->nodes[i]->name &&
		    ox_strmap_put(&taken, g->nodes[i]->name, g->nodes[i]) < 0) {
			r = OX_ENOMEM;
			goto done;
		}
	if ((r = copy_inits(g, b, map)) < 0)
		goto done;
	for (size_t i = 0; i < b->n_nodes; i++)
		if (!b->nodes[i]->dead && (r = copy_node(g, &taken, ifn, b, b->nodes[i], map)) < 0)
			goto done;
	for (int i = 0; i < ifn->n_out; i++)
		if (!(outs[i] = bound(map, b, b->outputs[i]))) {
			r = OX_EINVAL;
			goto done;
		}
	/* The branch outputs take the If's output names (or an Identity stands in when
	 * a graph output forbids it); the If, its branches and their uses go. */
	for (int i = 0; i < ifn->n_out; i++)
		if (ifn->out[i] && (r = ox_value_replace_uses(ifn->out[i], outs[i])) < 0)
			goto done;
	ox_pass_kill(ifn);
	if (!ifn->dead)
		r = ox_diag_error(pc->diag, OX_EINVAL, "If '%s' still has readers after inlining",
				  ifn->name ? ifn->name : "");
done:
	ox_strmap_release(&taken);
	free(map);
	free(outs);
	return r;
}

int
ox_fold_inline_if(struct ox_node *node, struct ox_pass_ctx *pc)
{
	const struct ox_tensor *c;
	struct ox_attr *a;
	struct ox_graph *b;
	struct ox_diag scratch;
	int r;

	if (!ox_pass_is(node, "If") || node->n_in < 1 || !(c = ox_pass_const(node->in[0])) ||
	    c->dtype != OX_BOOL || c->nelem != 1 || !c->data)
		return 0;
	a = ox_node_attr(node, ((const unsigned char *)c->data)[0] ? "then_branch" : "else_branch");
	if (!a || !(b = a->g) || !movable(node, b))
		return 0;
	ox_graph_compact(b);
	ox_diag_init(&scratch, NULL);
	r = ox_graph_toposort(b, &scratch);
	ox_diag_release(&scratch);
	if (r < 0 || !well_formed(b))
		return 0;
	if ((r = inline_branch(node, b, pc)) < 0)
		return r == OX_ENOMEM ? ox_diag_error(pc->diag, r, "out of memory") : r;
	return 1;
}

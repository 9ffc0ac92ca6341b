/* graph.c: the IR and its mutation helpers. See graph.h for the invariants. */
#include "config.h"

#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PUSH(a, arr, n, cap) ox_arena_push((a), &(arr), &(n), &(cap), sizeof *(arr))

struct ox_model *
ox_model_new(void)
{
	struct ox_arena a;
	struct ox_model *m;

	ox_arena_init(&a);
	m = ox_arena_alloc(&a, sizeof *m);
	if (!m) {
		ox_arena_release(&a);
		return NULL;
	}
	m->arena = a;
	return m;
}

void
ox_model_free(struct ox_model *m)
{
	struct ox_mapping *map, *next;
	struct ox_arena a;

	if (!m)
		return;
	for (size_t i = 0; i < m->n_graphs; i++)
		ox_strmap_release(&m->graphs[i]->names);
	for (map = m->mappings; map; map = next) {
		next = map->next;
		munmap(map->addr, map->len);
		free(map->path);
		free(map);
	}
	free(m->path);
	free(m->dir);
	a = m->arena; /* the model itself lives in its arena */
	ox_arena_release(&a);
}

bool
ox_domain_is_onnx(const char *domain)
{
	return !domain || !*domain || strcmp(domain, "ai.onnx") == 0;
}

int64_t
ox_model_opset(const struct ox_model *m, const char *domain)
{
	bool onnx = ox_domain_is_onnx(domain);

	for (size_t i = 0; i < m->n_opsets; i++) {
		const struct ox_opset *o = &m->opsets[i];

		if (onnx ? ox_domain_is_onnx(o->domain) : (o->domain && strcmp(o->domain, domain) == 0))
			return o->has_version ? o->version : -1;
	}
	return -1;
}

struct ox_graph *
ox_graph_new(struct ox_model *m, struct ox_graph *parent)
{
	struct ox_graph *g = ox_arena_alloc(&m->arena, sizeof *g);
	struct ox_graph **slot;

	if (!g)
		return NULL;
	slot = PUSH(&m->arena, m->graphs, m->n_graphs, m->cap_graphs);
	if (!slot)
		return NULL;
	*slot = g;
	g->model = m;
	g->parent = parent;
	ox_strmap_init(&g->names);
	return g;
}

struct ox_value *
ox_graph_lookup(const struct ox_graph *g, const char *name)
{
	for (; g; g = g->parent) {
		struct ox_value *v = ox_strmap_get(&g->names, name);

		if (v)
			return v;
	}
	return NULL;
}

/* A name derived from base that no visible value has, in the arena. */
static const char *
fresh_name(struct ox_graph *g, const char *base)
{
	const char *n;

	do
		n = ox_arena_printf(&g->model->arena, "%s__%u", base && *base ? base : "v", ++g->name_seq);
	while (n && ox_graph_lookup(g, n));
	return n;
}

struct ox_value *
ox_value_new(struct ox_graph *g, const char *name)
{
	struct ox_arena *a = &g->model->arena;
	struct ox_value *v, **slot;
	const char *n;

	if (!name || !*name || ox_graph_lookup(g, name))
		n = fresh_name(g, name);
	else
		n = ox_arena_strdup(a, name);
	v = ox_arena_alloc(a, sizeof *v);
	slot = PUSH(a, g->values, g->n_values, g->cap_values);
	if (!n || !v || !slot || ox_strmap_put(&g->names, n, v) < 0)
		return NULL;
	v->name = n;
	v->graph = g;
	v->id = (int)(g->n_values - 1);
	*slot = v;
	return v;
}

static int
add_to(struct ox_graph *g, struct ox_value ***arr, size_t *n, size_t *cap, struct ox_value *v)
{
	struct ox_value **slot = ox_arena_push(&g->model->arena, arr, n, cap, sizeof **arr);

	if (!slot)
		return OX_ENOMEM;
	*slot = v;
	return 0;
}

int
ox_graph_add_input(struct ox_graph *g, struct ox_value *v)
{
	v->is_input = true;
	return add_to(g, &g->inputs, &g->n_inputs, &g->cap_inputs, v);
}

int
ox_graph_add_output(struct ox_graph *g, struct ox_value *v)
{
	return add_to(g, &g->outputs, &g->n_outputs, &g->cap_outputs, v);
}

int
ox_graph_add_init(struct ox_graph *g, struct ox_value *v, struct ox_tensor *t)
{
	v->init = t;
	return add_to(g, &g->inits, &g->n_inits, &g->cap_inits, v);
}

int
ox_graph_add_value_info(struct ox_graph *g, struct ox_value *v)
{
	return add_to(g, &g->value_info, &g->n_value_info, &g->cap_value_info, v);
}

bool
ox_value_is_graph_output(const struct ox_value *v)
{
	const struct ox_graph *g = v->graph;

	for (size_t i = 0; i < g->n_outputs; i++)
		if (g->outputs[i] == v)
			return true;
	return false;
}

struct ox_node *
ox_node_new(struct ox_graph *g, const char *op_type, const char *domain, int n_in, int n_out)
{
	struct ox_arena *a = &g->model->arena;
	struct ox_node *node = ox_arena_alloc(a, sizeof *node);
	struct ox_node **slot;

	if (!node)
		return NULL;
	node->op_type = ox_arena_strdup(a, op_type);
	node->domain = ox_arena_strdup(a, domain);
	node->in = ox_arena_calloc(a, (size_t)n_in + 1, sizeof *node->in);
	node->out = ox_arena_calloc(a, (size_t)n_out + 1, sizeof *node->out);
	if (!node->op_type || !node->in || !node->out)
		return NULL;
	node->n_in = n_in;
	node->n_out = n_out;
	node->graph = g;
	for (int i = 0; i < n_out; i++) {
		struct ox_value *v = ox_value_new(g, op_type);

		if (!v)
			return NULL;
		v->producer = node;
		v->producer_index = i;
		node->out[i] = v;
	}
	slot = PUSH(a, g->nodes, g->n_nodes, g->cap_nodes);
	if (!slot)
		return NULL;
	node->id = (int)(g->n_nodes - 1);
	*slot = node;
	return node;
}

static void
use_remove(struct ox_value *v, struct ox_node *node, int index)
{
	for (size_t i = 0; i < v->n_uses; i++) {
		if (v->uses[i].node == node && v->uses[i].index == index) {
			v->uses[i] = v->uses[--v->n_uses];
			return;
		}
	}
}

static int
use_add(struct ox_value *v, struct ox_node *node, int index)
{
	struct ox_use *u = ox_arena_push(&node->graph->model->arena, &v->uses, &v->n_uses,
					 &v->cap_uses, sizeof *v->uses);

	if (!u)
		return OX_ENOMEM;
	u->node = node;
	u->index = index;
	return 0;
}

int
ox_node_set_input(struct ox_node *node, int i, struct ox_value *v)
{
	if (node->in[i])
		use_remove(node->in[i], node, i);
	node->in[i] = v;
	return v ? use_add(v, node, i) : 0;
}

int
ox_node_add_input(struct ox_node *node, struct ox_value *v)
{
	struct ox_arena *a = &node->graph->model->arena;
	struct ox_value **in = ox_arena_calloc(a, (size_t)node->n_in + 2, sizeof *in);

	if (!in)
		return OX_ENOMEM;
	memcpy(in, node->in, (size_t)node->n_in * sizeof *in);
	node->in = in;
	node->n_in++;
	return ox_node_set_input(node, node->n_in - 1, v);
}

/* Give v the name name (which must be free in v's scope). */
static int
rename_value(struct ox_value *v, const char *name)
{
	ox_strmap_del(&v->graph->names, v->name);
	v->name = name;
	return ox_strmap_put(&v->graph->names, name, v) < 0 ? OX_ENOMEM : 0;
}

int
ox_value_replace_uses(struct ox_value *old, struct ox_value *nv)
{
	struct ox_graph *g = old->graph;
	int r;

	if (old == nv)
		return 0;
	while (old->n_uses) {
		struct ox_use u = old->uses[old->n_uses - 1];

		if ((r = ox_node_set_input(u.node, u.index, nv)) < 0)
			return r;
	}
	if (!ox_value_is_graph_output(old))
		return 0;
	if (nv->graph == g && nv->producer && !nv->is_input && !nv->init &&
	    !ox_value_is_graph_output(nv)) {
		/* nv takes over the output's name; old (about to die) gets a fresh one. */
		const char *name = old->name, *fresh = fresh_name(g, name);

		if (!fresh)
			return OX_ENOMEM;
		ox_strmap_del(&g->names, name);
		old->name = fresh;
		if (ox_strmap_put(&g->names, fresh, old) < 0 || rename_value(nv, name) < 0)
			return OX_ENOMEM;
		for (size_t i = 0; i < g->n_outputs; i++)
			if (g->outputs[i] == old)
				g->outputs[i] = nv;
		if (old->has_info && !nv->has_info) {
			nv->has_info = true;
			nv->doc = old->doc;
			nv->info_rest = old->info_rest;
			if (!nv->type)
				nv->type = old->type;
		}
		return 0;
	}
	/* nv cannot carry the name: an Identity produces the output under its name. */
	{
		struct ox_node *id = ox_node_new(g, "Identity", "", 1, 0);
		struct ox_value **out;

		if (!id || (r = ox_node_set_input(id, 0, nv)) < 0)
			return OX_ENOMEM;
		out = ox_arena_calloc(&g->model->arena, 2, sizeof *out);
		if (!out)
			return OX_ENOMEM;
		if (old->producer)
			old->producer->out[old->producer_index] = NULL;
		out[0] = old;
		id->out = out;
		id->n_out = 1;
		old->producer = id;
		old->producer_index = 0;
	}
	return 0;
}

/* Nodes of sub that read values of enclosing graphs stop being uses of them: the
 * subgraph dies with the node that holds it. */
static int
drop_outer_uses(struct ox_graph *sub, void *arg)
{
	(void)arg;
	for (size_t n = 0; n < sub->n_nodes; n++) {
		struct ox_node *node = sub->nodes[n];

		if (node->dead)
			continue;
		for (int i = 0; i < node->n_in; i++)
			if (node->in[i] && node->in[i]->graph != sub)
				use_remove(node->in[i], node, i);
		ox_node_foreach_subgraph(node, drop_outer_uses, NULL);
	}
	return 0;
}

void
ox_node_kill(struct ox_node *node)
{
	for (int i = 0; i < node->n_in; i++)
		if (node->in[i])
			use_remove(node->in[i], node, i);
	ox_node_foreach_subgraph(node, drop_outer_uses, NULL);
	for (int i = 0; i < node->n_out; i++) {
		struct ox_value *v = node->out[i];

		if (v && !v->n_uses && !ox_value_is_graph_output(v)) {
			v->dead = true;
			ox_strmap_del(&v->graph->names, v->name);
		}
	}
	node->dead = true;
}

struct ox_attr *
ox_node_attr(const struct ox_node *node, const char *name)
{
	for (size_t i = 0; i < node->n_attrs; i++)
		if (node->attrs[i].name && strcmp(node->attrs[i].name, name) == 0)
			return &node->attrs[i];
	return NULL;
}

int64_t
ox_node_attr_int(const struct ox_node *node, const char *name, int64_t dflt)
{
	const struct ox_attr *a = ox_node_attr(node, name);

	return a && a->has_i ? a->i : dflt;
}

float
ox_node_attr_float(const struct ox_node *node, const char *name, float dflt)
{
	const struct ox_attr *a = ox_node_attr(node, name);

	return a && a->has_f ? a->f : dflt;
}

bool
ox_node_is(const struct ox_node *node, const char *domain, const char *op_type)
{
	if (strcmp(node->op_type, op_type) != 0)
		return false;
	if (ox_domain_is_onnx(domain))
		return ox_domain_is_onnx(node->domain);
	return node->domain && strcmp(node->domain, domain) == 0;
}

int
ox_node_foreach_subgraph(struct ox_node *node, int (*fn)(struct ox_graph *, void *), void *arg)
{
	int r;

	for (size_t i = 0; i < node->n_attrs; i++) {
		struct ox_attr *a = &node->attrs[i];

		if (a->g && (r = fn(a->g, arg)) < 0)
			return r;
		for (size_t k = 0; k < a->n_graphs; k++)
			if ((r = fn(a->graphs[k], arg)) < 0)
				return r;
	}
	return 0;
}

/* The attribute called name of node, added empty when absent. */
static struct ox_attr *
attr_slot(struct ox_node *node, const char *name, int type)
{
	struct ox_arena *a = &node->graph->model->arena;
	struct ox_attr *at = ox_node_attr(node, name);

	if (!at) {
		struct ox_attr *attrs = ox_arena_calloc(a, node->n_attrs + 1, sizeof *attrs);

		if (!attrs)
			return NULL;
		if (node->n_attrs)
			memcpy(attrs, node->attrs, node->n_attrs * sizeof *attrs);
		node->attrs = attrs;
		at = &attrs[node->n_attrs++];
		if (!(at->name = ox_arena_strdup(a, name)))
			return NULL;
	} else {
		const char *keep = at->name;

		memset(at, 0, sizeof *at);
		at->name = keep;
	}
	at->has_type = true;
	at->type = type;
	return at;
}

int
ox_node_set_attr_int(struct ox_node *node, const char *name, int64_t v)
{
	struct ox_attr *at = attr_slot(node, name, OX_ATTR_INT);

	if (!at)
		return OX_ENOMEM;
	at->has_i = true;
	at->i = v;
	return 0;
}

int
ox_node_set_attr_float(struct ox_node *node, const char *name, float v)
{
	struct ox_attr *at = attr_slot(node, name, OX_ATTR_FLOAT);

	if (!at)
		return OX_ENOMEM;
	at->has_f = true;
	at->f = v;
	return 0;
}

int
ox_node_set_attr_ints(struct ox_node *node, const char *name, const int64_t *v, size_t n)
{
	struct ox_attr *at = attr_slot(node, name, OX_ATTR_INTS);

	if (!at)
		return OX_ENOMEM;
	at->n_ints = n;
	at->ints = ox_arena_memdup(&node->graph->model->arena, v, n * sizeof *v);
	return at->ints ? 0 : OX_ENOMEM;
}

int
ox_node_set_attr_floats(struct ox_node *node, const char *name, const float *v, size_t n)
{
	struct ox_attr *at = attr_slot(node, name, OX_ATTR_FLOATS);

	if (!at)
		return OX_ENOMEM;
	at->n_floats = n;
	at->floats = ox_arena_memdup(&node->graph->model->arena, v, n * sizeof *v);
	return at->floats ? 0 : OX_ENOMEM;
}

int
ox_node_set_attr_string(struct ox_node *node, const char *name, const char *s)
{
	struct ox_attr *at = attr_slot(node, name, OX_ATTR_STRING);
	char *copy;

	if (!at || !(copy = ox_arena_strdup(&node->graph->model->arena, s)))
		return OX_ENOMEM;
	at->has_s = true;
	at->s.data = (const uint8_t *)copy;
	at->s.len = strlen(s);
	return 0;
}

void
ox_node_del_attr(struct ox_node *node, const char *name)
{
	for (size_t i = 0; i < node->n_attrs; i++) {
		if (node->attrs[i].name && strcmp(node->attrs[i].name, name) == 0) {
			memmove(&node->attrs[i], &node->attrs[i + 1],
				(node->n_attrs - i - 1) * sizeof *node->attrs);
			node->n_attrs--;
			return;
		}
	}
}

static void
compact_values(struct ox_value **arr, size_t *n)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++)
		if (!arr[i]->dead)
			arr[k++] = arr[i];
	*n = k;
}

void
ox_graph_compact(struct ox_graph *g)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n_nodes; i++) {
		if (g->nodes[i]->dead)
			continue;
		g->nodes[k] = g->nodes[i];
		g->nodes[k]->id = (int)k;
		k++;
	}
	g->n_nodes = k;
	compact_values(g->values, &g->n_values);
	for (size_t i = 0; i < g->n_values; i++)
		g->values[i]->id = (int)i;
	compact_values(g->value_info, &g->n_value_info);
	compact_values(g->inits, &g->n_inits);
}

/* The node of g that is node itself or holds it in a nested subgraph, or NULL. */
static struct ox_node *
ancestor_in(const struct ox_graph *g, struct ox_node *node)
{
	while (node && node->graph != g)
		node = node->graph->owner;
	return node;
}

/* Kahn's algorithm with a min-heap on the current position, so the existing order is
 * kept wherever it is already valid. order may be NULL (only count). Returns how many
 * nodes could be placed; fewer than the live count means a cycle. */
struct heap {
	int *a;
	size_t n;
};

static void
heap_push(struct heap *h, int x)
{
	size_t i = h->n++;

	while (i && h->a[(i - 1) / 2] > x) {
		h->a[i] = h->a[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->a[i] = x;
}

static int
heap_pop(struct heap *h)
{
	int top = h->a[0], x = h->a[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->a[c + 1] < h->a[c])
			c++;
		if (h->a[c] >= x)
			break;
		h->a[i] = h->a[c];
		i = c;
	}
	if (h->n)
		h->a[i] = x;
	return top;
}

/* Successors of node i in g: every node of g that reads one of its outputs, directly
 * or from inside a subgraph. */
#define FOREACH_SUCC(g, node, s, body) \
	for (int o_ = 0; o_ < (node)->n_out; o_++) { \
		struct ox_value *v_ = (node)->out[o_]; \
		if (!v_) continue; \
		for (size_t u_ = 0; u_ < v_->n_uses; u_++) { \
			struct ox_node *s = ancestor_in((g), v_->uses[u_].node); \
			if (!s || s == (node) || s->dead) continue; \
			body \
		} \
	}

static long
topo_order(const struct ox_graph *g, struct ox_node **order, struct ox_node **stuck)
{
	size_t n = g->n_nodes;
	int *indeg = calloc(n + 1, sizeof *indeg);
	struct heap h = { malloc((n + 1) * sizeof(int)), 0 };
	long placed = 0;

	if (!indeg || !h.a) {
		free(indeg);
		free(h.a);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		g->nodes[i]->id = (int)i;
	for (size_t i = 0; i < n; i++) {
		struct ox_node *node = g->nodes[i];

		if (node->dead)
			continue;
		FOREACH_SUCC(g, node, s, indeg[s->id]++;)
	}
	for (size_t i = 0; i < n; i++)
		if (!g->nodes[i]->dead && indeg[i] == 0)
			heap_push(&h, (int)i);
	while (h.n) {
		struct ox_node *node = g->nodes[heap_pop(&h)];

		if (order)
			order[placed] = node;
		placed++;
		FOREACH_SUCC(g, node, s, if (--indeg[s->id] == 0) heap_push(&h, s->id);)
	}
	if (stuck) {
		*stuck = NULL;
		for (size_t i = 0; i < n && !*stuck; i++)
			if (!g->nodes[i]->dead && indeg[i] > 0)
				*stuck = g->nodes[i];
	}
	free(indeg);
	free(h.a);
	return placed;
}

static size_t
live_nodes(const struct ox_graph *g)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n_nodes; i++)
		k += !g->nodes[i]->dead;
	return k;
}

static int
cycle_error(struct ox_diag *d, const struct ox_node *stuck)
{
	const char *save_node = d ? d->node : NULL, *save_op = d ? d->op : NULL;

	if (d) {
		d->node = stuck ? stuck->name : NULL;
		d->op = stuck ? stuck->op_type : NULL;
	}
	ox_diag_error(d, OX_EINVAL, "the graph has a cycle through this node");
	if (d) {
		d->node = save_node;
		d->op = save_op;
	}
	return OX_EINVAL;
}

int
ox_graph_toposort(struct ox_graph *g, struct ox_diag *d)
{
	struct ox_node **order, *stuck;
	long placed;
	size_t live = live_nodes(g);

	order = malloc((live + 1) * sizeof *order);
	if (!order)
		return ox_diag_error(d, OX_ENOMEM, "out of memory sorting the graph");
	placed = topo_order(g, order, &stuck);
	if (placed < 0) {
		free(order);
		return ox_diag_error(d, OX_ENOMEM, "out of memory sorting the graph");
	}
	if ((size_t)placed != live) {
		free(order);
		return cycle_error(d, stuck);
	}
	if (live)
		memcpy(g->nodes, order, live * sizeof *order);
	g->n_nodes = live;
	for (size_t i = 0; i < live; i++)
		g->nodes[i]->id = (int)i;
	free(order);
	return 0;
}

bool
ox_graph_is_sorted(const struct ox_graph *g)
{
	for (size_t i = 0; i < g->n_nodes; i++)
		g->nodes[i]->id = (int)i;
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];

		if (node->dead)
			continue;
		FOREACH_SUCC(g, node, s, if (s->id < node->id) return false;)
	}
	return true;
}

size_t
ox_graph_count_nodes(const struct ox_graph *g, bool deep)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];

		if (node->dead)
			continue;
		n++;
		if (!deep)
			continue;
		for (size_t k = 0; k < node->n_attrs; k++) {
			const struct ox_attr *a = &node->attrs[k];

			if (a->g)
				n += ox_graph_count_nodes(a->g, true);
			for (size_t j = 0; j < a->n_graphs; j++)
				n += ox_graph_count_nodes(a->graphs[j], true);
		}
	}
	return n;
}

/* --- verification --- */

static bool
visible_from(const struct ox_graph *g, const struct ox_value *v)
{
	for (; g; g = g->parent)
		if (v->graph == g)
			return true;
	return false;
}

static int verify_graph(const struct ox_graph *g, struct ox_diag *d, int depth);

static int
verify_sub(struct ox_graph *sub, void *arg)
{
	void **a = arg;

	return verify_graph(sub, a[0], *(int *)a[1]);
}

#define VERR(...) (bad = OX_EINVAL, ox_diag_error(d, OX_EINVAL, __VA_ARGS__))

static int
verify_graph(const struct ox_graph *g, struct ox_diag *d, int depth)
{
	int bad = 0;
	const char *gname = g->name ? g->name : "(unnamed)";
	struct ox_node *stuck;

	if (depth > OX_MAX_GRAPH_DEPTH)
		return ox_diag_error(d, OX_ELIMIT, "subgraphs nested deeper than %d", OX_MAX_GRAPH_DEPTH);
	for (size_t i = 0; i < g->n_values; i++) {
		const struct ox_value *v = g->values[i];

		if (v->dead)
			continue;
		if (v->graph != g)
			VERR("graph '%s': value '%s' is listed in another graph", gname, v->name);
		if (ox_strmap_get(&g->names, v->name) != v)
			VERR("graph '%s': value '%s' is not found under its own name", gname, v->name);
		if (v->producer) {
			if (v->producer->dead || v->producer_index >= v->producer->n_out ||
			    v->producer->out[v->producer_index] != v)
				VERR("graph '%s': value '%s' names a producer that does not produce it",
				     gname, v->name);
		} else if (!v->is_input && !v->init && !v->is_sparse) {
			VERR("graph '%s': value '%s' is defined by nothing", gname, v->name);
		}
		for (size_t k = 0; k < v->n_uses; k++) {
			const struct ox_use *u = &v->uses[k];

			if (u->node->dead || u->index >= u->node->n_in || u->node->in[u->index] != v)
				VERR("graph '%s': value '%s' lists a use that does not read it",
				     gname, v->name);
		}
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];
		const char *nn = node->name ? node->name : "";

		if (node->dead)
			continue;
		if (node->graph != g)
			VERR("node '%s' (%s) is listed in another graph", nn, node->op_type);
		for (int k = 0; k < node->n_in; k++) {
			const struct ox_value *v = node->in[k];
			bool found = false;

			if (!v)
				continue;
			if (v->dead || !visible_from(g, v)) {
				VERR("node '%s' (%s): input %d '%s' is not defined in its scope",
				     nn, node->op_type, k, v->name);
				continue;
			}
			for (size_t u = 0; u < v->n_uses && !found; u++)
				found = v->uses[u].node == node && v->uses[u].index == k;
			if (!found)
				VERR("node '%s' (%s): input %d '%s' misses its use entry",
				     nn, node->op_type, k, v->name);
		}
		for (int k = 0; k < node->n_out; k++) {
			const struct ox_value *v = node->out[k];

			if (v && (v->producer != node || v->producer_index != k || v->graph != g))
				VERR("node '%s' (%s): output %d '%s' does not name it as producer",
				     nn, node->op_type, k, v->name);
		}
		{
			int dd = depth + 1;
			void *arg[2] = { d, &dd };

			if (ox_node_foreach_subgraph((struct ox_node *)node, verify_sub, arg) < 0)
				bad = OX_EINVAL;
		}
	}
	for (size_t i = 0; i < g->n_outputs; i++) {
		const struct ox_value *v = g->outputs[i];

		if (v->dead || !visible_from(g, v))
			VERR("graph '%s': output '%s' is not defined", gname, v->name);
	}
	if (topo_order(g, NULL, &stuck) != (long)live_nodes(g))
		bad = cycle_error(d, stuck);
	return bad;
}

int
ox_graph_verify(const struct ox_graph *g, struct ox_diag *d)
{
	return verify_graph(g, d, 0);
}

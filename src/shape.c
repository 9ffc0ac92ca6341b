/* shape.c: the inference driver. See shape.h for the contract; the per-op functions
 * live in src/shape/, one file per op family, each exporting a rule table. */
#include "config.h"

#include "shape.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* value -> known contents, open addressing on the pointer. */
struct known_slot {
	const struct ox_value *key;
	struct ox_known *known;
};

struct ox_infer {
	struct ox_model *m;
	struct ox_arena *a;
	struct ox_diag *d;
	unsigned flags;
	const struct ox_op_schema *schema;
	int conflicts;
	int depth;
	unsigned next_sym;
	struct ox_strmap syms;        /* every dim_param in use */
	struct known_slot *known;
	size_t known_cap, known_n;
};

static const struct ox_shape_rule *const rule_tables[] = {
	ox_shape_rules_elementwise, ox_shape_rules_nn, ox_shape_rules_reduce,
	ox_shape_rules_tensor, ox_shape_rules_control, ox_shape_rules_ml,
};

void
ox_shape_register(void)
{
	static bool done;

	if (done)
		return;
	for (size_t t = 0; t < sizeof rule_tables / sizeof *rule_tables; t++) {
		for (const struct ox_shape_rule *r = rule_tables[t]; r->op; r++) {
			int n;
			const struct ox_op_schema *s = ox_op_versions(r->domain ? r->domain : "", r->op, &n);

			for (int i = 0; i < n; i++)
				ox_op_set_infer(&s[i], r->fn);
		}
	}
	done = true;
}

struct ox_arena *
ox_infer_arena(struct ox_infer *ic)
{
	return ic->a;
}

const struct ox_op_schema *
ox_infer_schema(struct ox_infer *ic)
{
	return ic->schema;
}

/* --- known values --- */

static size_t
ptr_hash(const void *p)
{
	uintptr_t x = (uintptr_t)p;

	x ^= x >> 17;
	x *= 0x9E3779B97F4A7C15ull;
	return (size_t)(x ^ x >> 29);
}

static int
known_grow(struct ox_infer *ic)
{
	size_t cap = ic->known_cap ? ic->known_cap * 2 : 256;
	struct known_slot *s = calloc(cap, sizeof *s);

	if (!s)
		return OX_ENOMEM;
	for (size_t i = 0; i < ic->known_cap; i++) {
		size_t h;

		if (!ic->known[i].key)
			continue;
		for (h = ptr_hash(ic->known[i].key) & (cap - 1); s[h].key; h = (h + 1) & (cap - 1))
			;
		s[h] = ic->known[i];
	}
	free(ic->known);
	ic->known = s;
	ic->known_cap = cap;
	return 0;
}

const struct ox_known *
ox_infer_known(struct ox_infer *ic, const struct ox_value *v)
{
	if (!v || !ic->known_cap)
		return NULL;
	for (size_t h = ptr_hash(v) & (ic->known_cap - 1); ic->known[h].key;
	     h = (h + 1) & (ic->known_cap - 1))
		if (ic->known[h].key == v)
			return ic->known[h].known;
	return NULL;
}

int
ox_infer_set_known(struct ox_infer *ic, const struct ox_value *v, int64_t n,
		   const struct ox_dim *elems)
{
	struct ox_known *k;
	size_t h;

	if (!v || n < 0 || n > OX_SHAPE_KNOWN_MAX)
		return 0;
	if ((ic->known_n + 1) * 2 > ic->known_cap && known_grow(ic) < 0)
		return OX_ENOMEM;
	k = ox_arena_alloc(ic->a, sizeof *k);
	if (!k || !(k->v = ox_arena_calloc(ic->a, (size_t)n + 1, sizeof *k->v)))
		return OX_ENOMEM;
	k->n = n;
	for (int64_t i = 0; i < n; i++) {
		k->v[i] = elems[i];
		k->v[i].denotation = NULL;
	}
	for (h = ptr_hash(v) & (ic->known_cap - 1); ic->known[h].key; h = (h + 1) & (ic->known_cap - 1))
		if (ic->known[h].key == v)
			break;
	if (!ic->known[h].key)
		ic->known_n++;
	ic->known[h].key = v;
	ic->known[h].known = k;
	return 0;
}

int64_t
ox_infer_ints(struct ox_infer *ic, const struct ox_node *node, int i, int64_t *out)
{
	const struct ox_known *k;

	if (i >= node->n_in || !(k = ox_infer_known(ic, node->in[i])))
		return -1;
	for (int64_t j = 0; j < k->n; j++) {
		if (k->v[j].kind != OX_DIM_VALUE)
			return -1;
		out[j] = k->v[j].value;
	}
	return k->n;
}

/* Contents of an integer tensor as known elements. */
static int
known_from_tensor(struct ox_infer *ic, const struct ox_value *v, const struct ox_tensor *t)
{
	struct ox_dim buf[64] = { 0 }, *e = buf;
	int r;

	if (!t || !t->data || t->nelem > OX_SHAPE_KNOWN_MAX)
		return 0;
	if (t->dtype != OX_INT64 && t->dtype != OX_INT32)
		return 0;
	if ((size_t)t->nelem > sizeof buf / sizeof *buf && !(e = calloc((size_t)t->nelem, sizeof *e)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < t->nelem; i++) {
		int64_t x;

		if (t->dtype == OX_INT64) {
			memcpy(&x, (const char *)t->data + i * 8, 8);
		} else {
			int32_t y;

			memcpy(&y, (const char *)t->data + i * 4, 4);
			x = y;
		}
		e[i] = ox_dim_of(x);
	}
	r = ox_infer_set_known(ic, v, t->nelem, e);
	if (e != buf)
		free(e);
	return r;
}

/* --- symbols --- */

static int
collect_syms_type(struct ox_infer *ic, const struct ox_type *t)
{
	for (; t; t = t->inner)
		for (int i = 0; i < t->rank; i++)
			if (t->dims[i].kind == OX_DIM_PARAM && t->dims[i].param &&
			    ox_strmap_put(&ic->syms, t->dims[i].param, (void *)1) < 0)
				return OX_ENOMEM;
	return 0;
}

static int
collect_syms(struct ox_infer *ic, const struct ox_graph *g)
{
	for (size_t i = 0; i < g->n_values; i++)
		if (collect_syms_type(ic, g->values[i]->type) < 0)
			return OX_ENOMEM;
	for (size_t i = 0; i < g->n_value_info; i++)
		if (collect_syms_type(ic, g->value_info[i]->type) < 0)
			return OX_ENOMEM;
	for (size_t i = 0; i < g->n_nodes; i++)
		for (size_t k = 0; k < g->nodes[i]->n_attrs; k++) {
			const struct ox_attr *a = &g->nodes[i]->attrs[k];

			if (a->g && collect_syms(ic, a->g) < 0)
				return OX_ENOMEM;
			for (size_t j = 0; j < a->n_graphs; j++)
				if (collect_syms(ic, a->graphs[j]) < 0)
					return OX_ENOMEM;
		}
	return 0;
}

struct ox_dim
ox_infer_fresh(struct ox_infer *ic)
{
	struct ox_dim d = { .kind = OX_DIM_UNKNOWN };
	char buf[32];

	for (;;) {
		snprintf(buf, sizeof buf, "unk__%u", ic->next_sym++);
		if (!ox_strmap_get(&ic->syms, buf))
			break;
	}
	d.param = ox_arena_strdup(ic->a, buf);
	/* Out of memory leaves the dim unknown, which is still a correct answer. */
	if (d.param && ox_strmap_put(&ic->syms, d.param, (void *)1) == 0)
		d.kind = OX_DIM_PARAM;
	return d;
}

bool
ox_dim_same(const struct ox_dim *a, const struct ox_dim *b)
{
	if (a->kind == OX_DIM_VALUE && b->kind == OX_DIM_VALUE)
		return a->value == b->value;
	if (a->kind == OX_DIM_PARAM && b->kind == OX_DIM_PARAM)
		return strcmp(a->param, b->param) == 0;
	return false;
}

/* --- inputs, outputs, merging --- */

const struct ox_type *
ox_infer_in(const struct ox_node *node, int i)
{
	const struct ox_value *v;

	if (i < 0 || i >= node->n_in || !(v = node->in[i]) || !v->type)
		return NULL;
	if (v->type->kind != OX_TYPE_TENSOR)
		return NULL;
	return v->type;
}

int
ox_infer_in_elem(const struct ox_node *node, int i)
{
	const struct ox_type *t = ox_infer_in(node, i);

	return t && t->has_elem ? t->elem : 0;
}

int
ox_infer_in_rank(const struct ox_node *node, int i)
{
	const struct ox_type *t = ox_infer_in(node, i);

	return t ? t->rank : -1;
}

int
ox_infer_fail(struct ox_infer *ic, struct ox_node *node, const char *fmt, ...)
{
	va_list ap;

	ic->d->node = node->name;
	ic->d->op = node->op_type;
	ic->conflicts++;
	va_start(ap, fmt);
	ox_diag_verror(ic->d, OX_EINVAL, fmt, ap);
	va_end(ap);
	return OX_EINVAL;
}

static void
dim_text(const struct ox_dim *d, char *buf, size_t n)
{
	if (d->kind == OX_DIM_VALUE)
		snprintf(buf, n, "%lld", (long long)d->value);
	else if (d->kind == OX_DIM_PARAM)
		snprintf(buf, n, "%s", d->param);
	else
		snprintf(buf, n, "?");
}

/* Merge inferred into declared the way onnx does: an inferred value wins over a
 * declared symbol, a declared symbol over an inferred one; two values must agree.
 * The result is a new type in *out. */
static int
merge(struct ox_infer *ic, struct ox_node *node, const struct ox_value *v,
      const struct ox_type *have, const struct ox_type *got, struct ox_type **out)
{
	struct ox_type *t;

	*out = NULL;
	if (have->kind != got->kind && have->kind != OX_TYPE_NONE)
		return ox_infer_fail(ic, node, "output '%s' is declared as another kind of type than inferred",
				     v->name);
	if (have->has_elem && have->elem && got->has_elem && got->elem && have->elem != got->elem)
		return ox_infer_fail(ic, node, "output '%s' is declared %s but inferred %s", v->name,
				     ox_dtype_name(have->elem), ox_dtype_name(got->elem));
	if (have->rank >= 0 && got->rank >= 0 && have->rank != got->rank)
		return ox_infer_fail(ic, node, "output '%s' is declared with rank %d but inferred rank %d",
				     v->name, have->rank, got->rank);
	for (int i = 0; have->rank >= 0 && i < have->rank && got->rank >= 0; i++) {
		const struct ox_dim *h = &have->dims[i], *g = &got->dims[i];

		if (h->kind == OX_DIM_VALUE && g->kind == OX_DIM_VALUE && h->value != g->value) {
			char b1[64], b2[64];

			dim_text(h, b1, sizeof b1);
			dim_text(g, b2, sizeof b2);
			return ox_infer_fail(ic, node, "output '%s' dim %d is declared %s but inferred %s",
					     v->name, i, b1, b2);
		}
	}
	if (!(t = ox_arena_alloc(ic->a, sizeof *t)))
		return OX_ENOMEM;
	*t = *have;
	t->kind = got->kind;
	if (!(have->has_elem && have->elem) && got->has_elem) {
		t->has_elem = true;
		t->elem = got->elem;
	}
	if (got->kind != OX_TYPE_TENSOR && got->kind != OX_TYPE_SPARSE) {
		if (!have->inner)
			t->inner = got->inner;
		*out = t;
		return 0;
	}
	if (have->rank < 0 && got->rank >= 0) {
		t->rank = got->rank;
		t->dims = got->dims;
	} else if (have->rank >= 0 && got->rank >= 0) {
		if (!(t->dims = ox_arena_calloc(ic->a, (size_t)have->rank + 1, sizeof *t->dims)))
			return OX_ENOMEM;
		for (int i = 0; i < have->rank; i++) {
			const struct ox_dim *h = &have->dims[i], *g = &got->dims[i];

			t->dims[i] = *h;
			if (g->kind == OX_DIM_VALUE || h->kind == OX_DIM_UNKNOWN) {
				t->dims[i].kind = g->kind;
				t->dims[i].value = g->value;
				t->dims[i].param = g->param;
			}
		}
	}
	*out = t;
	return 0;
}

int
ox_infer_set_type(struct ox_infer *ic, struct ox_node *node, int k, const struct ox_type *t)
{
	struct ox_value *v;
	struct ox_type *res;
	int r;

	if (k < 0 || k >= node->n_out || !(v = node->out[k]) || !t)
		return 0;
	if (!v->type) {
		v->type = (struct ox_type *)t;
		return 0;
	}
	if ((r = merge(ic, node, v, v->type, t, &res)) < 0)
		return r;
	v->type = res;
	return 0;
}

int
ox_infer_set(struct ox_infer *ic, struct ox_node *node, int k, int elem, int rank,
	     const struct ox_dim *dims)
{
	struct ox_type *t;

	if (k < 0 || k >= node->n_out || !node->out[k])
		return 0;
	if (elem == 0 && rank < 0)
		return 0;
	if (rank > OX_MAX_RANK * 16)
		return ox_infer_fail(ic, node, "inferred rank %d is over the limit", rank);
	if (!(t = ox_arena_alloc(ic->a, sizeof *t)))
		return OX_ENOMEM;
	t->kind = OX_TYPE_TENSOR;
	t->has_elem = elem != 0;
	t->elem = elem;
	t->rank = rank;
	if (rank >= 0) {
		if (!(t->dims = ox_arena_calloc(ic->a, (size_t)rank + 1, sizeof *t->dims)))
			return OX_ENOMEM;
		for (int i = 0; i < rank; i++) {
			t->dims[i] = dims[i];
			t->dims[i].denotation = NULL;
			if (t->dims[i].kind == OX_DIM_VALUE && t->dims[i].value < 0)
				return ox_infer_fail(ic, node, "output '%s' would have dim %d = %lld",
						     node->out[k]->name, i, (long long)t->dims[i].value);
			if (t->dims[i].kind == OX_DIM_UNKNOWN)
				t->dims[i] = ox_infer_fresh(ic);
		}
	}
	return ox_infer_set_type(ic, node, k, t);
}

/* --- shared helpers --- */

bool
ox_infer_axis(int64_t a, int r, bool inclusive, int *out)
{
	int64_t lim = inclusive ? (int64_t)r + 1 : r;

	if (a < 0)
		a += lim;
	if (a < 0 || a >= lim)
		return false;
	*out = (int)a;
	return true;
}

const int64_t *
ox_infer_attr_ints(const struct ox_node *node, const char *name, size_t *n)
{
	const struct ox_attr *a = ox_node_attr(node, name);

	*n = a ? a->n_ints : 0;
	return a && a->n_ints ? a->ints : NULL;
}

int
ox_infer_broadcast(struct ox_infer *ic, struct ox_node *node, int first, int n,
		   struct ox_dim *dims)
{
	int rank = 0;

	for (int j = first; j < first + n && j < node->n_in; j++) {
		int r;

		if (!node->in[j])
			continue;
		if ((r = ox_infer_in_rank(node, j)) < 0)
			return -1;
		if (r > rank)
			rank = r;
	}
	if (rank > OX_MAX_RANK)
		return -1;
	for (int i = 0; i < rank; i++) {
		int64_t value = 1;
		const struct ox_dim *sym = NULL;
		int nsym = 0;

		for (int j = first; j < first + n && j < node->n_in; j++) {
			const struct ox_type *t;
			const struct ox_dim *d;

			if (!node->in[j])
				continue;
			t = ox_infer_in(node, j);
			if (i < rank - t->rank)
				continue;
			d = &t->dims[i - (rank - t->rank)];
			if (d->kind == OX_DIM_VALUE) {
				if (d->value == 1)
					continue;
				if (value != 1 && value != d->value)
					return ox_infer_fail(ic, node, "inputs cannot broadcast: dim %lld against %lld",
							     (long long)value, (long long)d->value), -2;
				value = d->value;
			} else if (nsym == 0) {
				sym = d;
				nsym = 1;
			} else if (!(d->kind == OX_DIM_PARAM && sym->kind == OX_DIM_PARAM &&
				     strcmp(d->param, sym->param) == 0)) {
				nsym++;
			}
		}
		if (value != 1 || nsym == 0)
			dims[i] = ox_dim_of(value);
		else if (nsym == 1)
			dims[i] = *sym;
		else
			dims[i] = (struct ox_dim){ .kind = OX_DIM_UNKNOWN };
	}
	return rank;
}

/* --- the walk --- */

/* Forget what inference recorded inside a function body, so that the next call
 * starts clean (one body serves every call). */
static void
forget_body(struct ox_infer *ic, struct ox_graph *b, struct ox_type **saved)
{
	for (size_t i = 0; i < b->n_values; i++) {
		struct ox_value *v = b->values[i];

		v->type = saved[i];
		for (size_t h = ic->known_cap ? ptr_hash(v) & (ic->known_cap - 1) : 0;
		     ic->known_cap && ic->known[h].key; h = (h + 1) & (ic->known_cap - 1))
			if (ic->known[h].key == v) {
				ic->known[h].known = NULL;
				break;
			}
	}
}

/* A call of a model-local function: infer its body with the call's input types. */
static int
infer_call(struct ox_infer *ic, struct ox_node *node, struct ox_function *fn)
{
	struct ox_graph *b = fn->body;
	struct ox_type **saved;
	unsigned flags = ic->flags;
	int r;

	if (!b)
		return 0;
	if (!(saved = calloc(b->n_values + 1, sizeof *saved)))
		return OX_ENOMEM;
	for (size_t i = 0; i < b->n_values; i++)
		saved[i] = b->values[i]->type;
	for (size_t i = 0; i < b->n_inputs; i++)
		b->inputs[i]->type = (int)i < node->n_in && node->in[i] ? node->in[i]->type : NULL;
	ic->flags &= ~(unsigned)OX_SHAPE_ADD_VALUE_INFO;
	r = ox_infer_graph(ic, b);
	ic->flags = flags;
	for (int k = 0; r >= 0 && k < node->n_out && (size_t)k < b->n_outputs; k++) {
		const struct ox_type *t = b->outputs[k]->type;

		ic->d->node = node->name;
		ic->d->op = node->op_type;
		if (t && t->kind == OX_TYPE_TENSOR)
			r = ox_infer_set(ic, node, k, t->has_elem ? t->elem : 0, t->rank, t->dims);
		else if (t)
			r = ox_infer_set_type(ic, node, k, t);
		ic->d->node = ic->d->op = NULL;
		if (r == OX_EINVAL)
			r = 0;
	}
	forget_body(ic, b, saved);
	free(saved);
	return r;
}

static struct ox_function *
find_function(const struct ox_model *m, const struct ox_node *node)
{
	for (size_t i = 0; i < m->n_functions; i++) {
		struct ox_function *f = m->functions[i];

		if (f->name && strcmp(f->name, node->op_type) == 0 &&
		    (ox_domain_is_onnx(f->domain) ? ox_domain_is_onnx(node->domain)
						  : node->domain && strcmp(f->domain, node->domain) == 0))
			return f;
	}
	return NULL;
}

static int
infer_node(struct ox_infer *ic, struct ox_node *node)
{
	const char *dom = ox_domain_is_onnx(node->domain) ? "" : node->domain;
	int64_t opset = ox_model_opset(ic->m, dom);
	const struct ox_op_schema *s;
	ox_op_infer_fn *fn;
	struct ox_function *f;
	int r;

	if (ic->m->n_functions && (f = find_function(ic->m, node)))
		return infer_call(ic, node, f);
	if (opset < 0 && !*dom)
		opset = INT_MAX;   /* no ai.onnx import: the file is broken; use the newest */
	if (opset < 0 || !(s = ox_op_find(dom, node->op_type, opset > INT_MAX ? INT_MAX : (int)opset)))
		return 0;
	if (!(fn = ox_op_infer(s)))
		return 0;
	ic->schema = s;
	ic->d->node = node->name;
	ic->d->op = node->op_type;
	r = fn(ic, node);
	ic->d->node = ic->d->op = NULL;
	if (r == OX_ENOMEM)
		return r;
	return 0;
}

int
ox_infer_graph(struct ox_infer *ic, struct ox_graph *g)
{
	int r = 0;

	if (++ic->depth > OX_MAX_GRAPH_DEPTH) {
		ic->depth--;
		return ox_diag_error(ic->d, OX_ELIMIT, "subgraphs nested deeper than %d", OX_MAX_GRAPH_DEPTH);
	}
	if (!ox_graph_is_sorted(g) && (r = ox_graph_toposort(g, ic->d)) < 0)
		goto out;
	for (size_t i = 0; i < g->n_inits; i++) {
		struct ox_value *v = g->inits[i];
		const struct ox_tensor *t = v->init;

		if ((r = known_from_tensor(ic, v, t)) < 0)
			goto out;
		if (!v->type && t) {
			struct ox_type *ty = ox_arena_alloc(ic->a, sizeof *ty);

			if (!ty || !(ty->dims = ox_arena_calloc(ic->a, (size_t)t->ndim + 1, sizeof *ty->dims))) {
				r = OX_ENOMEM;
				goto out;
			}
			ty->kind = OX_TYPE_TENSOR;
			ty->has_elem = true;
			ty->elem = t->dtype;
			ty->rank = t->ndim;
			for (int k = 0; k < t->ndim; k++)
				ty->dims[k] = ox_dim_of(t->dims[k]);
			v->type = ty;
		}
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		if (g->nodes[i]->dead)
			continue;
		if ((r = infer_node(ic, g->nodes[i])) < 0)
			goto out;
	}
	if (ic->flags & OX_SHAPE_ADD_VALUE_INFO) {
		for (size_t i = 0; i < g->n_nodes; i++) {
			struct ox_node *node = g->nodes[i];

			if (node->dead)
				continue;
			for (int k = 0; k < node->n_out; k++) {
				struct ox_value *v = node->out[k];

				if (!v || !v->type || v->has_info || v->dead || ox_value_is_graph_output(v))
					continue;
				if ((r = ox_graph_add_value_info(g, v)) < 0)
					goto out;
				v->has_info = true;
			}
		}
	}
out:
	ic->depth--;
	return r;
}

int
ox_shape_infer(struct ox_model *m, unsigned flags, struct ox_diag *d)
{
	struct ox_infer ic;
	int r;

	if (!m->graph)
		return 0;
	ox_shape_register();
	memset(&ic, 0, sizeof ic);
	ic.m = m;
	ic.a = &m->arena;
	ic.d = d;
	ic.flags = flags;
	ox_strmap_init(&ic.syms);
	r = collect_syms(&ic, m->graph);
	if (r == 0)
		r = ox_infer_graph(&ic, m->graph);
	ox_strmap_release(&ic.syms);
	free(ic.known);
	return r < 0 ? r : ic.conflicts;
}

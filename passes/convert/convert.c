/* passes/convert/convert.c: the opset conversion driver and the helpers adapters
 * share. See convert.h for the contract. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "ops.h"
#include "shape.h"

/* --- report --- */

static char *
dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static int
report_add(struct ox_convert_report *rep, const struct ox_node *node, int from, int stuck,
	   const char *reason)
{
	struct ox_convert_item *it;
	char *op;

	if (rep->n_items == rep->cap_items) {
		size_t cap = rep->cap_items ? 2 * rep->cap_items : 16;
		struct ox_convert_item *p = realloc(rep->items, cap * sizeof *p);

		if (!p)
			return OX_ENOMEM;
		rep->items = p;
		rep->cap_items = cap;
	}
	if (ox_domain_is_onnx(node->domain)) {
		op = strdup(node->op_type);
	} else {
		size_t n = strlen(node->domain) + strlen(node->op_type) + 2;

		if ((op = malloc(n)))
			snprintf(op, n, "%s.%s", node->domain, node->op_type);
	}
	it = &rep->items[rep->n_items];
	it->graph = dup_or_empty(node->graph->name);
	it->node = dup_or_empty(node->name);
	it->op = op;
	it->reason = dup_or_empty(reason);
	it->from_version = from;
	it->stuck_version = stuck;
	if (!it->graph || !it->node || !it->op || !it->reason) {
		free(it->graph);
		free(it->node);
		free(it->op);
		free(it->reason);
		return OX_ENOMEM;
	}
	rep->n_items++;
	return 0;
}

void
ox_convert_report_release(struct ox_convert_report *rep)
{
	for (size_t i = 0; i < rep->n_items; i++) {
		free(rep->items[i].graph);
		free(rep->items[i].node);
		free(rep->items[i].op);
		free(rep->items[i].reason);
	}
	free(rep->items);
	memset(rep, 0, sizeof *rep);
}

/* --- driver state --- */

/* Per graph: the opset level each node (by id) conforms to; -1 for nodes the driver
 * leaves alone (other domains, Identity nodes that keep graph output names). */
struct levels {
	int *lvl;
	size_t n, cap;
};

/* The source row of an original node, to know which nodes changed version. */
struct origin {
	const struct ox_node *node;
	const struct ox_op_schema *row;
};

struct driver {
	struct levels *cur;          /* of the graph being walked */
	int from_version;            /* of the node being walked, for the report */
	int stuck_version;
	int onnx_from, onnx_to, ml_from, ml_to;
	struct origin *origins;
	size_t n_origins, cap_origins;
};

static int
levels_set(struct levels *lv, int id, int level)
{
	if (id < 0)
		return 0;
	while ((size_t)id >= lv->cap) {
		size_t cap = lv->cap ? 2 * lv->cap : 64;
		int *p = realloc(lv->lvl, cap * sizeof *p);

		if (!p)
			return OX_ENOMEM;
		lv->lvl = p;
		lv->cap = cap;
	}
	while (lv->n <= (size_t)id)
		lv->lvl[lv->n++] = -1;
	lv->lvl[id] = level;
	return 0;
}

int
ox_cv_refuse(struct ox_cv *cv, struct ox_node *node, const char *fmt, ...)
{
	struct driver *dv = cv->priv;
	char buf[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	r = report_add(cv->rep, node, dv->from_version, dv->stuck_version, buf);
	return r < 0 ? r : OX_CV_REFUSED;
}

/* --- rules --- */

static const struct ox_cv_rule *const rule_tables[] = {
	ox_cv_rules_inputs, ox_cv_rules_semantics, ox_cv_rules_expand,
};

static const struct ox_cv_rule *
rule_find(const char *op, int version)
{
	for (size_t t = 0; t < sizeof rule_tables / sizeof rule_tables[0]; t++)
		for (const struct ox_cv_rule *r = rule_tables[t]; r->op; r++)
			if (r->version == version && strcmp(r->op, op) == 0)
				return r;
	return NULL;
}

int
ox_cv_same(struct ox_cv *cv, struct ox_node *node)
{
	(void)cv;
	(void)node;
	return 0;
}

static bool
schema_attr_eq(const struct ox_op_attr *a, const struct ox_op_attr *b)
{
	if (strcmp(a->name, b->name) || a->type != b->type || a->required != b->required ||
	    a->has_default != b->has_default)
		return false;
	if (!a->has_default)
		return true;
	if (a->i != b->i || a->f != b->f || a->n != b->n)
		return false;
	if ((a->s || b->s) && (!a->s || !b->s || strcmp(a->s, b->s)))
		return false;
	for (int k = 0; k < a->n; k++) {
		if (a->ints && b->ints && a->ints[k] != b->ints[k])
			return false;
		if (a->floats && b->floats && a->floats[k] != b->floats[k])
			return false;
		if (a->strings && b->strings && strcmp(a->strings[k], b->strings[k]))
			return false;
	}
	return true;
}

enum { B_TYPES, B_ADDED_ATTRS, B_OTHER };

/* What the registry says changed between two adjacent versions. */
static int
classify(const struct ox_op_schema *a, const struct ox_op_schema *b, char *why, size_t len)
{
	bool added = false;

	if (a->n_inputs != b->n_inputs || a->min_inputs != b->min_inputs ||
	    a->max_inputs != b->max_inputs) {
		snprintf(why, len, "its inputs changed");
		return B_OTHER;
	}
	for (int k = 0; k < a->n_inputs; k++)
		if (a->inputs[k].option != b->inputs[k].option) {
			snprintf(why, len, "input '%s' changed", b->inputs[k].name);
			return B_OTHER;
		}
	if (a->n_outputs != b->n_outputs || a->min_outputs != b->min_outputs ||
	    a->max_outputs != b->max_outputs) {
		snprintf(why, len, "its outputs changed");
		return B_OTHER;
	}
	for (int k = 0; k < a->n_attrs; k++) {
		const struct ox_op_attr *nb = ox_op_attr_find(b, a->attrs[k].name);

		if (!nb) {
			snprintf(why, len, "attribute '%s' was removed", a->attrs[k].name);
			return B_OTHER;
		}
		if (!schema_attr_eq(&a->attrs[k], nb)) {
			/* Required before, optional after (Constant's value at 9): the
			 * older nodes stay valid; going down the attribute must be set. */
			if (a->attrs[k].required && !nb->required && !nb->has_default &&
			    a->attrs[k].type == nb->type) {
				added = true;
				continue;
			}
			snprintf(why, len, "attribute '%s' changed", a->attrs[k].name);
			return B_OTHER;
		}
	}
	for (int k = 0; k < b->n_attrs; k++)
		if (!ox_op_attr_find(a, b->attrs[k].name)) {
			if (b->attrs[k].required) {
				snprintf(why, len, "attribute '%s' became required", b->attrs[k].name);
				return B_OTHER;
			}
			added = true;
		}
	return added ? B_ADDED_ATTRS : B_TYPES;
}

static bool
attr_is_default(const struct ox_attr *at, const struct ox_op_attr *def)
{
	if (!def || !def->has_default)
		return false;
	switch (def->type) {
	case OX_ATTR_INT:
		return at->has_i && at->i == def->i;
	case OX_ATTR_FLOAT:
		return at->has_f && at->f == def->f;
	case OX_ATTR_STRING:
		return at->has_s && def->s && at->s.len == strlen(def->s) &&
		       memcmp(at->s.data, def->s, at->s.len) == 0;
	case OX_ATTR_INTS:
		if ((int)at->n_ints != def->n)
			return false;
		for (int k = 0; k < def->n; k++)
			if (at->ints[k] != def->ints[k])
				return false;
		return true;
	default:
		return false;
	}
}

int
ox_cv_drop_new_attrs(struct ox_cv *cv, struct ox_node *node)
{
	const struct ox_op_schema *o = cv->older, *n = cv->newer;

	if (!o)
		return ox_cv_refuse(cv, node, "%s does not exist before opset %d", node->op_type,
				    n->since_version);
	for (size_t i = 0; i < node->n_attrs; i++) {
		const struct ox_attr *at = &node->attrs[i];

		if (!at->name || ox_op_attr_find(o, at->name))
			continue;
		if (!attr_is_default(at, ox_op_attr_find(n, at->name)))
			return ox_cv_refuse(cv, node,
					    "uses attribute '%s' (other than its default), which %s-%d does not have",
					    at->name, node->op_type, o->since_version);
	}
	for (int k = 0; k < o->n_attrs; k++)
		if (o->attrs[k].required && !ox_node_attr(node, o->attrs[k].name))
			return ox_cv_refuse(cv, node, "%s-%d requires attribute '%s'", node->op_type,
					    o->since_version, o->attrs[k].name);
	for (size_t i = 0; i < node->n_attrs; i++)
		if (node->attrs[i].name && !ox_op_attr_find(o, node->attrs[i].name))
			ox_node_del_attr(node, node->attrs[i--].name);
	return 0;
}

/* --- negative axes and indices, allowed from opset 11 on --- */

static int
normalize_axes_down(struct ox_cv *cv, struct ox_node *node)
{
	struct ox_attr *ax = ox_node_attr(node, "axis");
	struct ox_attr *axes = ox_node_attr(node, "axes");
	bool neg = (ax && ax->has_i && ax->i < 0);
	int r;

	if (axes)
		for (size_t k = 0; k < axes->n_ints; k++)
			neg |= axes->ints[k] < 0;
	if (neg) {
		r = node->n_in ? ox_cv_rank(node->in[0]) : -1;
		if (r >= 0 && strcmp(node->op_type, "Unsqueeze") == 0 && axes)
			r += (int)axes->n_ints;
		if (r < 0)
			return ox_cv_refuse(cv, node,
					    "negative axis needs opset 11 and the input rank is unknown");
		if (ax && ax->has_i && ax->i < 0)
			ax->i += r;
		if (axes) {
			int64_t *v = ox_arena_memdup(&cv->model->arena, axes->ints,
						     axes->n_ints * sizeof *v);

			if (!v)
				return OX_ENOMEM;
			for (size_t k = 0; k < axes->n_ints; k++)
				if (v[k] < 0)
					v[k] += r;
			axes->ints = v;
		}
	}
	if (strcmp(node->op_type, "Gather") == 0 || strcmp(node->op_type, "GatherElements") == 0 ||
	    strcmp(node->op_type, "ScatterElements") == 0 || strcmp(node->op_type, "Scatter") == 0) {
		int64_t idx[4096];
		int n = node->n_in > 1 ? ox_cv_const_ints(node->in[1], idx, 4096) : -1;

		if (n < 0)
			return ox_cv_refuse(cv, node,
					    "indices may be negative, which needs opset 11");
		for (int k = 0; k < n; k++)
			if (idx[k] < 0)
				return ox_cv_refuse(cv, node, "negative indices need opset 11");
	}
	return 0;
}

/* --- walking one node --- */

/* Cross the boundary between rows older and newer in the walk's direction. */
static int
cross(struct ox_cv *cv, struct ox_node *node, const struct ox_op_schema *older,
      const struct ox_op_schema *newer)
{
	const struct ox_cv_rule *rule = rule_find(node->op_type, newer->since_version);
	char why[160];
	ox_cv_fn *fn;

	cv->older = older;
	cv->newer = newer;
	if (!ox_domain_is_onnx(node->domain))
		rule = NULL;
	if (rule) {
		fn = cv->up ? rule->up : rule->down;
		if (!fn)
			return ox_cv_refuse(cv, node, "no adapter for %s %s opset %d", node->op_type,
					    cv->up ? "up to" : "down from", newer->since_version);
		return fn(cv, node);
	}
	if (!older)
		return ox_cv_refuse(cv, node, "%s does not exist before opset %d", node->op_type,
				    newer->since_version);
	if (cv->up && newer->deprecated)
		return ox_cv_refuse(cv, node, "%s is removed at opset %d and has no adapter",
				    node->op_type, newer->since_version);
	switch (classify(older, newer, why, sizeof why)) {
	case B_TYPES:
		return 0;
	case B_ADDED_ATTRS:
		return cv->up ? 0 : ox_cv_drop_new_attrs(cv, node);
	default:
		return ox_cv_refuse(cv, node, "%s-%d -> %s-%d: %s; no adapter", node->op_type,
				    older->since_version, node->op_type, newer->since_version, why);
	}
}

/* The row before s among its op's versions, or NULL. */
static const struct ox_op_schema *
previous(const struct ox_op_schema *s)
{
	int n;
	const struct ox_op_schema *v = ox_op_versions(s->domain, s->name, &n);

	return v && s > v ? s - 1 : NULL;
}

static int
walk(struct ox_cv *cv, struct ox_node *node, int cur, int target)
{
	struct driver *dv = cv->priv;
	const char *dom = ox_domain_is_onnx(node->domain) ? "" : node->domain;
	const struct ox_op_schema *s = ox_op_find(dom, node->op_type, cur), *fin;
	int r;

	dv->from_version = s ? s->since_version : 0;
	dv->stuck_version = dv->from_version;
	if (!s)
		return ox_cv_refuse(cv, node, "%s is not defined at opset %d", node->op_type, cur);
	/* Adapters read the inputs and outputs the schema requires: check they exist. */
	if (node->n_in < s->min_inputs || node->n_in > s->max_inputs ||
	    node->n_out < s->min_outputs || node->n_out > s->max_outputs)
		return ox_cv_refuse(cv, node, "%d inputs and %d outputs do not fit %s-%d",
				    node->n_in, node->n_out, node->op_type, s->since_version);
	for (int i = 0; i < s->min_inputs && i < s->n_inputs; i++)
		if (!node->in[i] && s->inputs[i].option == OX_OP_SINGLE)
			return ox_cv_refuse(cv, node, "required input %d is missing", i);
	/* A deprecated row keeps the previous version's meaning. */
	if (s->deprecated && previous(s))
		cur = s->since_version - 1;
	while (!node->dead && cur != target) {
		const struct ox_op_schema *older, *newer = NULL;

		cv->up = cur < target;
		if (cv->up) {
			int n;
			const struct ox_op_schema *v = ox_op_versions(dom, node->op_type, &n);

			for (int k = 0; k < n; k++)
				if (v[k].since_version > cur && v[k].since_version <= target) {
					newer = &v[k];
					break;
				}
			if (!newer)
				break;
			older = previous(newer);
			cv->level = newer->since_version;
		} else {
			newer = ox_op_find(dom, node->op_type, cur);
			if (!newer)
				return ox_cv_refuse(cv, node, "%s is not defined at opset %d",
						    node->op_type, cur);
			if (newer->since_version <= target)
				break;
			older = previous(newer);
			cv->level = newer->since_version - 1;
			if (cur >= 11 && cv->level < 11 && ox_domain_is_onnx(node->domain) &&
			    (r = normalize_axes_down(cv, node)) != 0)
				return r;
		}
		if ((r = cross(cv, node, older, newer)) != 0)
			return r;
		cur = cv->level;
		if (!node->dead) {
			const struct ox_op_schema *at = ox_op_find(dom, node->op_type, cur);

			dv->stuck_version = at ? at->since_version : cur;
		}
	}
	if (node->dead)
		return 0;
	fin = ox_op_find(dom, node->op_type, target);
	if (!fin)
		return ox_cv_refuse(cv, node, "%s does not exist at opset %d", node->op_type, target);
	if (fin->deprecated)
		return ox_cv_refuse(cv, node, "%s is removed at opset %d", node->op_type,
				    fin->since_version);
	return 0;
}

/* --- graphs --- */

struct graph_list {
	struct ox_graph **g;
	size_t n, cap;
};

static int
collect_graph(struct ox_graph *g, void *arg)
{
	struct graph_list *gl = arg;
	int r;

	if (gl->n == gl->cap) {
		size_t cap = gl->cap ? 2 * gl->cap : 8;
		struct ox_graph **p = realloc(gl->g, cap * sizeof *p);

		if (!p)
			return OX_ENOMEM;
		gl->g = p;
		gl->cap = cap;
	}
	gl->g[gl->n++] = g;
	for (size_t i = 0; i < g->n_nodes; i++)
		if ((r = ox_node_foreach_subgraph(g->nodes[i], collect_graph, gl)) < 0)
			return r;
	return 0;
}

static int
origin_cmp(const void *a, const void *b)
{
	const struct origin *x = a, *y = b;

	return (x->node > y->node) - (x->node < y->node);
}

static const struct origin *
origin_find(const struct driver *dv, const struct ox_node *node)
{
	struct origin key = { .node = node };

	return bsearch(&key, dv->origins, dv->n_origins, sizeof key, origin_cmp);
}

static int
domain_level(const struct driver *dv, const struct ox_node *node, int *from, int *to)
{
	if (ox_domain_is_onnx(node->domain) && dv->onnx_to > 0) {
		*from = dv->onnx_from;
		*to = dv->onnx_to;
		return 1;
	}
	if (strcmp(node->domain, "ai.onnx.ml") == 0 && dv->ml_to > 0 && dv->ml_from > 0) {
		*from = dv->ml_from;
		*to = dv->ml_to;
		return 1;
	}
	return 0;
}

static int
convert_graph(struct ox_cv *cv, struct driver *dv, struct ox_graph *g)
{
	struct levels lv = { 0 };
	size_t n0 = g->n_nodes;
	int r = 0;

	cv->graph = g;
	dv->cur = &lv;
	for (size_t i = 0; i < n0; i++) {
		int from, to;

		g->nodes[i]->id = (int)i;
		if ((r = levels_set(&lv, (int)i, domain_level(dv, g->nodes[i], &from, &to) ? from : -1)) < 0)
			goto out;
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];
		int from, to;

		if (node->dead || i >= lv.n || lv.lvl[i] < 0 || !domain_level(dv, node, &from, &to))
			continue;
		cv->target = to;
		r = walk(cv, node, lv.lvl[i], to);
		if (r < 0)
			goto out;
		r = 0;
	}
out:
	free(lv.lvl);
	dv->cur = NULL;
	return r;
}

/* --- type sets --- */

static const char *
graph_label(const struct ox_graph *g)
{
	return g->name ? g->name : "";
}

/* Whether formal f of s takes the sequence or optional type t. Types that cannot be
 * told apart from here are taken as allowed. */
static bool
nontensor_allowed(const struct ox_op_schema *s, const struct ox_op_formal *f,
		  const struct ox_type *t)
{
	const struct ox_op_tc *tc = f->tc >= 0 && f->tc < s->n_tcs ? &s->tcs[f->tc] : NULL;
	const struct ox_type *in = t->inner;

	if (!tc)
		return false;
	if (t->kind == OX_TYPE_SEQUENCE) {
		if (!in || in->kind != OX_TYPE_TENSOR || !in->has_elem)
			return tc->seq != 0;
		return ox_op_mask_has(tc->seq, in->elem);
	}
	if (t->kind == OX_TYPE_OPTIONAL) {
		if (in && in->kind == OX_TYPE_SEQUENCE)
			return tc->opt_seq != 0;
		if (!in || in->kind != OX_TYPE_TENSOR || !in->has_elem)
			return tc->opt != 0;
		return ox_op_mask_has(tc->opt, in->elem);
	}
	return true;
}

/* Check node's tensor dtypes against the row it resolves to at the target. */
static int
check_types(struct ox_cv *cv, struct driver *dv, struct ox_node *node)
{
	const struct origin *o = origin_find(dv, node);
	const struct ox_op_schema *to;
	int from, target;
	char why[256];

	if (!domain_level(dv, node, &from, &target))
		return 0;
	to = ox_op_find(ox_domain_is_onnx(node->domain) ? "" : node->domain, node->op_type, target);
	if (!to || (o && o->row == to))
		return 0;
	dv->from_version = o && o->row ? o->row->since_version : 0;
	dv->stuck_version = to->since_version;
	for (int pass = 0; pass < 2; pass++) {
		int n = pass ? node->n_out : node->n_in;

		for (int i = 0; i < n; i++) {
			const struct ox_value *v = pass ? node->out[i] : node->in[i];
			const struct ox_op_formal *f = pass ? ox_op_output(to, i) : ox_op_input(to, i);
			const struct ox_op_formal *fo = NULL;
			bool ok;

			if (!v || !f)
				continue;
			if (o && o->row)
				fo = pass ? ox_op_output(o->row, i) : ox_op_input(o->row, i);
			if (v->type && v->type->kind != OX_TYPE_TENSOR) {
				if (nontensor_allowed(to, f, v->type) || !nontensor_allowed(o && o->row ? o->row : to, fo ? fo : f, v->type))
					continue;
				snprintf(why, sizeof why, "%s %d is a sequence or optional that %s-%d does not take",
					 pass ? "output" : "input", i, node->op_type, to->since_version);
				return report_add(cv->rep, node, dv->from_version, dv->stuck_version, why);
			}
			if (!f->tensor)
				continue;
			if (!v->type || v->type->kind != OX_TYPE_TENSOR || !v->type->has_elem ||
			    !v->type->elem) {
				/* Unknown dtype: only a narrowing type set is a risk. */
				if (fo && (fo->tensor & ~f->tensor)) {
					snprintf(why, sizeof why,
						 "the dtype of %s %d is unknown and %s-%d allows fewer types than %s-%d",
						 pass ? "output" : "input", i, node->op_type,
						 to->since_version, node->op_type, o->row->since_version);
					return report_add(cv->rep, node, dv->from_version,
							  dv->stuck_version, why);
				}
				continue;
			}
			ok = pass ? ox_op_output_dtype_allowed(to, i, v->type->elem)
				  : ox_op_dtype_allowed(to, i, v->type->elem);
			if (!ok) {
				snprintf(why, sizeof why, "%s %d has dtype %s, which %s-%d does not allow",
					 pass ? "output" : "input", i, ox_dtype_name(v->type->elem),
					 node->op_type, to->since_version);
				return report_add(cv->rep, node, dv->from_version, dv->stuck_version,
						  why);
			}
		}
	}
	(void)graph_label;
	return 0;
}

/* --- model --- */

int
ox_convert_newest_opset(void)
{
	int newest = 0;

	for (int i = 0; i < ox_op_count(); i++) {
		const struct ox_op_schema *s = ox_op_at(i);

		if (!*s->domain && s->since_version > newest)
			newest = s->since_version;
	}
	return newest;
}

/* The IR version released with an ai.onnx opset (onnx-opset-releases). */
static int64_t
ir_for_opset(int opset)
{
	static const struct { int opset; int ir; } t[] = {
		{ 8, 3 }, { 9, 4 }, { 10, 5 }, { 11, 6 }, { 14, 7 }, { 18, 8 }, { 20, 9 },
		{ 22, 10 }, { 23, 11 }, { 24, 12 },
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (opset <= t[i].opset)
			return t[i].ir;
	return 13;
}

static int
set_opset(struct ox_model *m, const char *domain, int version)
{
	struct ox_opset *o;

	for (size_t i = 0; i < m->n_opsets; i++) {
		o = &m->opsets[i];
		if (*domain ? (o->domain && strcmp(o->domain, domain) == 0)
			    : ox_domain_is_onnx(o->domain)) {
			o->has_version = true;
			o->version = version;
			return 0;
		}
	}
	o = ox_arena_push(&m->arena, &m->opsets, &m->n_opsets, &m->cap_opsets, sizeof *o);
	if (!o)
		return OX_ENOMEM;
	o->domain = *domain ? ox_arena_strdup(&m->arena, domain) : ox_arena_strdup(&m->arena, "");
	o->has_version = true;
	o->version = version;
	return o->domain ? 0 : OX_ENOMEM;
}

int
ox_convert_model(struct ox_model *m, const struct ox_convert_opts *opts,
		 struct ox_convert_report *rep, struct ox_diag *d)
{
	struct graph_list gl = { 0 };
	struct driver dv = { 0 };
	struct ox_cv cv = { 0 };
	struct ox_diag scratch;
	int newest = ox_convert_newest_opset(), r = 0;
	int64_t from = ox_model_opset(m, ""), from_ml = ox_model_opset(m, "ai.onnx.ml");

	if (opts->target < 7 || opts->target > newest)
		return ox_diag_error(d, OX_EUSAGE, "target opset %d is outside 7..%d", opts->target,
				     newest);
	if (from > newest)
		return ox_diag_error(d, OX_EUNSUPPORTED, "the model's opset %lld is newer than %d",
				     (long long)from, newest);
	rep->from_opset = from;
	rep->from_opset_ml = from_ml;
	rep->to_opset = opts->target;
	rep->to_opset_ml = opts->target_ml > 0 ? opts->target_ml : (int)from_ml;
	if (!m->graph)
		goto done;
	/* A model without ai.onnx nodes (only training or ML ops) has nothing to walk
	 * in that domain and keeps its imports. */
	dv.onnx_from = from > 0 ? (int)from : 0;
	dv.onnx_to = from > 0 ? opts->target : 0;
	dv.ml_from = (int)from_ml;
	dv.ml_to = opts->target_ml;
	cv.model = m;
	cv.diag = d;
	cv.rep = rep;
	cv.priv = &dv;

	/* Types first: adapters need dtypes and ranks. Inference findings about the
	 * input model are not this command's business. */
	ox_diag_init(&scratch, d->file);
	r = ox_shape_infer(m, 0, &scratch);
	ox_diag_release(&scratch);
	if (r == OX_ENOMEM)
		return r;

	if ((r = collect_graph(m->graph, &gl)) < 0)
		goto out;
	for (size_t k = 0; k < gl.n; k++)
		for (size_t i = 0; i < gl.g[k]->n_nodes; i++) {
			struct ox_node *node = gl.g[k]->nodes[i];
			struct origin *o;
			int f, t;

			rep->nodes++;
			if (!domain_level(&dv, node, &f, &t))
				continue;
			o = ox_arena_push(&m->arena, &dv.origins, &dv.n_origins, &dv.cap_origins,
					  sizeof *o);
			if (!o) {
				r = OX_ENOMEM;
				goto out;
			}
			o->node = node;
			o->row = ox_op_find(ox_domain_is_onnx(node->domain) ? "" : node->domain,
					    node->op_type, f);
		}
	qsort(dv.origins, dv.n_origins, sizeof *dv.origins, origin_cmp);
	for (size_t k = 0; k < gl.n; k++)
		if ((r = convert_graph(&cv, &dv, gl.g[k])) < 0)
			goto out;

	if (from > 0 && (r = set_opset(m, "", opts->target)) < 0)
		goto out;
	if (opts->target_ml > 0 && from_ml > 0 &&
	    (r = set_opset(m, "ai.onnx.ml", opts->target_ml)) < 0)
		goto out;
	if (from > 0 && m->has_ir_version && m->ir_version < ir_for_opset(opts->target))
		m->ir_version = ir_for_opset(opts->target);
	for (size_t k = 0; k < gl.n; k++) {
		ox_graph_compact(gl.g[k]);
		if ((r = ox_graph_toposort(gl.g[k], d)) < 0)
			goto out;
	}
	ox_diag_init(&scratch, d->file);
	r = ox_shape_infer(m, 0, &scratch);
	ox_diag_release(&scratch);
	if (r == OX_ENOMEM)
		goto out;
	r = 0;
	for (size_t k = 0; k < gl.n; k++) {
		struct ox_graph *g = gl.g[k];

		for (size_t i = 0; i < g->n_nodes; i++) {
			const struct origin *o = origin_find(&dv, g->nodes[i]);
			int f, t;

			if (!domain_level(&dv, g->nodes[i], &f, &t))
				continue;
			const struct ox_op_schema *now = ox_op_find(ox_domain_is_onnx(g->nodes[i]->domain) ?
				"" : g->nodes[i]->domain, g->nodes[i]->op_type, t);

			if (!o)
				rep->nodes_added++;
			else if (now && o->row != now)
				rep->nodes_changed++;
			if ((r = check_types(&cv, &dv, g->nodes[i])) < 0)
				goto out;
		}
	}
done:
	r = (int)rep->n_items;
out:
	free(gl.g);
	return r;
}

/* --- helpers for adapters --- */

struct ox_node *
ox_cv_add(struct ox_cv *cv, const char *op, int n_out, int n_in, ...)
{
	struct driver *dv = cv->priv;
	struct ox_node *node = ox_node_new(cv->graph, op, "", n_in, n_out);
	va_list ap;

	if (!node)
		return NULL;
	va_start(ap, n_in);
	for (int i = 0; i < n_in; i++) {
		struct ox_value *v = va_arg(ap, struct ox_value *);

		if (v && ox_node_set_input(node, i, v) < 0) {
			va_end(ap);
			return NULL;
		}
	}
	va_end(ap);
	if (dv && dv->cur && levels_set(dv->cur, node->id, cv->level) < 0)
		return NULL;
	return node;
}

int
ox_cv_forward(struct ox_node *node, int k, struct ox_value *v)
{
	if (k >= node->n_out || !node->out[k])
		return 0;
	return ox_value_replace_uses(node->out[k], v);
}

const struct ox_tensor *
ox_cv_const(const struct ox_value *v)
{
	const struct ox_attr *a;

	if (!v || v->dead)
		return NULL;
	if (v->init)
		return v->is_input ? NULL : v->init;
	if (!v->producer || !ox_node_is(v->producer, "", "Constant") || v->producer->dead)
		return NULL;
	a = ox_node_attr(v->producer, "value");
	if (!a || !a->t || a->t->dtype == OX_STRING || (a->t->nbytes && !a->t->data))
		return NULL;
	return a->t;
}

int
ox_cv_const_ints(const struct ox_value *v, int64_t *out, int max)
{
	const struct ox_tensor *t = ox_cv_const(v);

	if (!t || t->ndim > 1 || t->nelem > max || (t->nelem && !t->data))
		return -1;
	for (int64_t i = 0; i < t->nelem; i++) {
		if (t->dtype == OX_INT64) {
			memcpy(&out[i], (const char *)t->data + 8 * i, 8);
		} else if (t->dtype == OX_INT32) {
			int32_t x;

			memcpy(&x, (const char *)t->data + 4 * i, 4);
			out[i] = x;
		} else {
			return -1;
		}
	}
	return (int)t->nelem;
}

static double
half_to_double(uint16_t h)
{
	int e = h >> 10 & 0x1f, f = h & 0x3ff;
	double x = e == 0 ? ldexp(f, -24) : e == 31 ? (f ? NAN : INFINITY) : ldexp(f + 1024, e - 25);

	return h >> 15 ? -x : x;
}

int
ox_cv_const_doubles(const struct ox_value *v, double *out, int max)
{
	const struct ox_tensor *t = ox_cv_const(v);
	const char *p;

	if (!t || t->nelem > max || (t->nelem && !t->data))
		return -1;
	p = t->data;
	for (int64_t i = 0; i < t->nelem; i++) {
		switch (t->dtype) {
		case OX_FLOAT: { float x; memcpy(&x, p + 4 * i, 4); out[i] = x; break; }
		case OX_DOUBLE: memcpy(&out[i], p + 8 * i, 8); break;
		case OX_FLOAT16: { uint16_t h; memcpy(&h, p + 2 * i, 2); out[i] = half_to_double(h); break; }
		case OX_INT64: { int64_t x; memcpy(&x, p + 8 * i, 8); out[i] = (double)x; break; }
		case OX_INT32: { int32_t x; memcpy(&x, p + 4 * i, 4); out[i] = x; break; }
		case OX_INT8: out[i] = ((const int8_t *)p)[i]; break;
		case OX_UINT8: out[i] = ((const uint8_t *)p)[i]; break;
		default: return -1;
		}
	}
	return (int)t->nelem;
}

int
ox_cv_elem(const struct ox_value *v)
{
	if (!v)
		return 0;
	if (v->init)
		return v->init->dtype;
	if (v->type && v->type->kind == OX_TYPE_TENSOR && v->type->has_elem)
		return v->type->elem;
	return 0;
}

int
ox_cv_rank(const struct ox_value *v)
{
	if (!v)
		return -1;
	if (v->init && !v->is_input)
		return v->init->ndim;
	if (v->type && v->type->kind == OX_TYPE_TENSOR)
		return v->type->rank;
	return -1;
}

int64_t
ox_cv_dim(const struct ox_value *v, int i)
{
	if (!v || i < 0)
		return -1;
	if (v->init && !v->is_input)
		return i < v->init->ndim ? v->init->dims[i] : -1;
	if (!v->type || v->type->kind != OX_TYPE_TENSOR || i >= v->type->rank)
		return -1;
	return v->type->dims[i].kind == OX_DIM_VALUE ? v->type->dims[i].value : -1;
}

static struct ox_value *
new_init(struct ox_cv *cv, int dtype, int ndim, const int64_t *dims)
{
	struct ox_graph *g = cv->graph;
	struct ox_tensor *t = ox_tensor_new(&g->model->arena, dtype, ndim, dims);
	struct ox_value *v;

	if (!t || !(v = ox_value_new(g, "cv_const")) || ox_graph_add_init(g, v, t) < 0)
		return NULL;
	t->name = v->name;
	if (t->data && t->nbytes)
		memset(t->data, 0, t->nbytes);
	return v;
}

struct ox_value *
ox_cv_ints(struct ox_cv *cv, const int64_t *vals, int n)
{
	int64_t dim = n;
	struct ox_value *v = new_init(cv, OX_INT64, 1, &dim);

	if (v && n)
		memcpy(v->init->data, vals, (size_t)n * sizeof *vals);
	return v;
}

static uint16_t
double_to_half(double x)
{
	float f = (float)x;
	uint32_t b, sign, mant;
	int e;

	memcpy(&b, &f, 4);
	sign = b >> 16 & 0x8000;
	e = (int)(b >> 23 & 0xff) - 127 + 15;
	mant = b & 0x7fffff;
	if ((b & 0x7fffffff) > 0x7f800000)
		return (uint16_t)(sign | 0x7e00);
	if (e >= 31)
		return (uint16_t)(sign | 0x7c00);
	if (e <= 0) {
		if (e < -10)
			return (uint16_t)sign;
		mant |= 0x800000;
		{
			uint32_t shift = (uint32_t)(14 - e), h = mant >> shift;
			uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);

			if (rem > half || (rem == half && (h & 1)))
				h++;
			return (uint16_t)(sign | h);
		}
	}
	{
		uint32_t h = sign | (uint32_t)e << 10 | mant >> 13, rem = mant & 0x1fff;

		if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
			h++;
		return (uint16_t)h;
	}
}

struct ox_value *
ox_cv_scalars(struct ox_cv *cv, int dtype, const double *vals, int n, bool scalar)
{
	int64_t dim = n;
	struct ox_value *v = new_init(cv, dtype, scalar ? 0 : 1, &dim);
	char *p;

	if (!v)
		return NULL;
	p = v->init->data;
	for (int i = 0; i < n; i++) {
		switch (dtype) {
		case OX_FLOAT: { float x = (float)vals[i]; memcpy(p + 4 * i, &x, 4); break; }
		case OX_DOUBLE: memcpy(p + 8 * i, &vals[i], 8); break;
		case OX_FLOAT16: { uint16_t h = double_to_half(vals[i]); memcpy(p + 2 * i, &h, 2); break; }
		case OX_INT64: { int64_t x = (int64_t)vals[i]; memcpy(p + 8 * i, &x, 8); break; }
		case OX_INT32: { int32_t x = (int32_t)vals[i]; memcpy(p + 4 * i, &x, 4); break; }
		case OX_INT16: { int16_t x = (int16_t)vals[i]; memcpy(p + 2 * i, &x, 2); break; }
		case OX_UINT16: { uint16_t x = (uint16_t)vals[i]; memcpy(p + 2 * i, &x, 2); break; }
		case OX_UINT32: { uint32_t x = (uint32_t)vals[i]; memcpy(p + 4 * i, &x, 4); break; }
		case OX_UINT64: { uint64_t x = (uint64_t)vals[i]; memcpy(p + 8 * i, &x, 8); break; }
		case OX_INT8: ((int8_t *)p)[i] = (int8_t)vals[i]; break;
		case OX_UINT8: ((uint8_t *)p)[i] = (uint8_t)vals[i]; break;
		case OX_BOOL: ((uint8_t *)p)[i] = vals[i] != 0; break;
		default: return NULL;
		}
	}
	return v;
}

struct ox_value *
ox_cv_scalar(struct ox_cv *cv, int dtype, double val)
{
	return ox_cv_scalars(cv, dtype, &val, 1, true);
}

int
ox_cv_attr_ints(const struct ox_node *node, const char *name, const int64_t **out)
{
	const struct ox_attr *at = ox_node_attr(node, name);

	if (!at)
		return -1;
	*out = at->ints;
	return (int)at->n_ints;
}

bool
ox_cv_attr_str_is(const struct ox_node *node, const char *name, const char *s, bool dflt)
{
	const struct ox_attr *at = ox_node_attr(node, name);

	if (!at || !at->has_s)
		return dflt;
	return at->s.len == strlen(s) && memcmp(at->s.data, s, at->s.len) == 0;
}

void
ox_cv_trim_inputs(struct ox_node *node)
{
	while (node->n_in > 0 && !node->in[node->n_in - 1])
		node->n_in--;
}

int
ox_cv_set_input(struct ox_node *node, int i, struct ox_value *v)
{
	int r;

	while (node->n_in <= i)
		if ((r = ox_node_add_input(node, NULL)) < 0)
			return r;
	return ox_node_set_input(node, i, v);
}

bool
ox_cv_output_used(const struct ox_node *node, int k)
{
	const struct ox_value *v = k < node->n_out ? node->out[k] : NULL;

	return v && (v->n_uses || ox_value_is_graph_output(v));
}

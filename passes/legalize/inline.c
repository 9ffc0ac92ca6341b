/* passes/legalize/inline.c: replace a node by its ONNX function body.
 *
 * The bodies come from functions_table.c (tools/gen_functions.py): one serialized
 * ModelProto per (op, since_version, variant). The body's nodes are copied into the
 * node's graph with fresh value names, its formal inputs bound to the node's inputs
 * (an omitted one stays omitted), attribute references bound to the node's
 * attributes or the schema's defaults (a reference with neither drops the
 * attribute, as ONNX says), and the node's outputs replaced by the body's. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "legalize.h"
#include "onnx_io.h"
#include "ops.h"
#include "strmap.h"
#include "../pass.h"

static const struct ox_attr *
attr_or_null(const struct ox_node *node, const char *name)
{
	return ox_node_attr(node, name);
}

static bool
cond_ok(const struct ox_node *node, const struct ox_op_schema *s, const struct ox_lg_cond *c)
{
	const struct ox_attr *a = c->name ? attr_or_null(node, c->name) : NULL;
	const struct ox_op_attr *def = c->name ? ox_op_attr_find(s, c->name) : NULL;

	switch (c->kind) {
	case OX_LG_ATTR_INT:
		if (a)
			return a->i == c->value;
		return def && def->has_default && def->i == c->value;
	case OX_LG_ATTR_STRING:
		if (a)
			return a->s.len == strlen(c->s) && !memcmp(a->s.data, c->s, a->s.len);
		return def && def->has_default && def->s && !strcmp(def->s, c->s);
	case OX_LG_ATTR_PRESENT:
		return (a != NULL) == (c->value != 0);
	case OX_LG_INPUT_PRESENT:
		return (c->input < node->n_in && node->in[c->input]) == (c->value != 0);
	}
	return false;
}

static const struct ox_lg_function *
find_body(const struct ox_node *node, const struct ox_op_schema *s)
{
	int dt = ox_pass_elem(node->n_in ? node->in[0] : NULL);

	for (size_t i = 0; i < ox_lg_n_functions; i++) {
		const struct ox_lg_function *f = &ox_lg_functions[i];
		bool ok = true;

		if (strcmp(f->op, node->op_type) || f->since_version != s->since_version ||
		    (f->dtype && f->dtype != dt))
			continue;
		for (size_t k = 0; k < f->n_conds && ok; k++)
			ok = cond_ok(node, s, &f->conds[k]);
		if (ok)
			return f;
	}
	return NULL;
}

static struct ox_tensor *
tensor_copy(struct ox_arena *a, const struct ox_tensor *t)
{
	struct ox_tensor *c = ox_arena_memdup(a, t, sizeof *t);

	if (!c)
		return NULL;
	c->name = NULL;
	c->doc = NULL;
	c->external = NULL;
	c->n_external = 0;
	c->rest.len = 0;
	c->rest.data = NULL;
	if (t->dims)
		c->dims = ox_arena_memdup(a, t->dims, (size_t)t->ndim * sizeof *t->dims + 1);
	if (t->data)
		c->data = ox_arena_memdup(a, t->data, t->nbytes + 1);
	if (t->strings) {
		c->strings = ox_arena_calloc(a, (size_t)t->nelem + 1, sizeof *c->strings);
		for (int64_t i = 0; c->strings && i < t->nelem; i++) {
			c->strings[i].len = t->strings[i].len;
			c->strings[i].data = ox_arena_memdup(a, t->strings[i].data,
							     t->strings[i].len + 1);
		}
	}
	if ((t->dims && !c->dims) || (t->data && !c->data) || (t->strings && !c->strings))
		return NULL;
	return c;
}

/* A template tensor (the body's Constant value) with every element set to x. */
static struct ox_tensor *
fill_template(struct ox_arena *a, const struct ox_tensor *tmpl, double x)
{
	struct ox_tensor *t = ox_tensor_new(a, tmpl->dtype, tmpl->ndim, tmpl->dims);

	if (!t)
		return NULL;
	for (int64_t i = 0; i < t->nelem; i++) {
		switch (t->dtype) {
		case OX_FLOAT: ((float *)t->data)[i] = (float)x; break;
		case OX_DOUBLE: ((double *)t->data)[i] = x; break;
		case OX_INT64: ((int64_t *)t->data)[i] = (int64_t)x; break;
		case OX_INT32: ((int32_t *)t->data)[i] = (int32_t)x; break;
		default: return NULL;
		}
	}
	t->store = OX_STORE_RAW;
	return t;
}

/* Set attribute name of nn to a copy of src's value. */
static int
put_attr(struct ox_node *nn, const char *name, const struct ox_attr *src)
{
	struct ox_arena *a = &nn->graph->model->arena;
	struct ox_attr *at;
	const char *keep;

	if (ox_node_set_attr_int(nn, name, 0) < 0 || !(at = ox_node_attr(nn, name)))
		return OX_ENOMEM;
	keep = at->name;
	*at = *src;
	at->name = keep;
	at->ref_attr_name = NULL;
	at->doc = NULL;
	at->has_type = true;
	at->g = NULL;
	at->graphs = NULL;
	at->n_graphs = 0;
	if (src->s.data && !(at->s.data = ox_arena_memdup(a, src->s.data, src->s.len + 1)))
		return OX_ENOMEM;
	if (src->n_ints && !(at->ints = ox_arena_memdup(a, src->ints, src->n_ints * sizeof *src->ints)))
		return OX_ENOMEM;
	if (src->n_floats &&
	    !(at->floats = ox_arena_memdup(a, src->floats, src->n_floats * sizeof *src->floats)))
		return OX_ENOMEM;
	if (src->n_strings) {
		at->strings = ox_arena_calloc(a, src->n_strings, sizeof *at->strings);
		for (size_t i = 0; at->strings && i < src->n_strings; i++) {
			at->strings[i].len = src->strings[i].len;
			at->strings[i].data = ox_arena_memdup(a, src->strings[i].data,
							      src->strings[i].len + 1);
		}
		if (!at->strings)
			return OX_ENOMEM;
	}
	if (src->t && !(at->t = tensor_copy(a, src->t)))
		return OX_ENOMEM;
	if (src->n_tensors) {
		at->tensors = ox_arena_calloc(a, src->n_tensors, sizeof *at->tensors);
		for (size_t i = 0; at->tensors && i < src->n_tensors; i++)
			if (!(at->tensors[i] = tensor_copy(a, src->tensors[i])))
				return OX_ENOMEM;
		if (!at->tensors)
			return OX_ENOMEM;
	}
	if (src->rest.len && !(at->rest.data = ox_arena_memdup(a, src->rest.data, src->rest.len)))
		return OX_ENOMEM;
	return 0;
}

/* The schema default of attribute name as an ox_attr; false when there is none. */
static bool
schema_default(const struct ox_op_schema *s, const char *name, struct ox_attr *out)
{
	const struct ox_op_attr *d = ox_op_attr_find(s, name);

	memset(out, 0, sizeof *out);
	if (!d || !d->has_default)
		return false;
	out->type = d->type;
	switch (d->type) {
	case OX_ATTR_INT: out->has_i = true; out->i = d->i; return true;
	case OX_ATTR_FLOAT: out->has_f = true; out->f = d->f; return true;
	case OX_ATTR_STRING:
		out->has_s = true;
		out->s.data = (const uint8_t *)d->s;
		out->s.len = strlen(d->s);
		return true;
	case OX_ATTR_INTS: out->ints = (int64_t *)d->ints; out->n_ints = (size_t)d->n; return true;
	case OX_ATTR_FLOATS: out->floats = (float *)d->floats; out->n_floats = (size_t)d->n; return true;
	default: return false;
	}
}

/* Bind the attribute at of a body node onto nn. */
static int
bind_attr(struct ox_node *nn, const struct ox_attr *at, const struct ox_node *caller,
	  const struct ox_op_schema *s)
{
	const struct ox_attr *v;
	struct ox_attr dflt;

	if (!at->ref_attr_name)
		return put_attr(nn, at->name, at);
	v = ox_node_attr(caller, at->ref_attr_name);
	if (!v) {
		if (!schema_default(s, at->ref_attr_name, &dflt))
			return 0;       /* unset and no default: the attribute is omitted */
		v = &dflt;
	}
	if (at->t && v->type != OX_ATTR_TENSOR) {
		/* The generator's convention: a tensor template filled with a scalar. */
		struct ox_attr filled = { .type = OX_ATTR_TENSOR, .has_type = true };

		filled.t = fill_template(&nn->graph->model->arena, at->t,
					 v->type == OX_ATTR_FLOAT ? (double)v->f : (double)v->i);
		if (!filled.t)
			return OX_ENOMEM;
		return put_attr(nn, at->name, &filled);
	}
	return put_attr(nn, at->name, v);
}

static bool
body_has_subgraph(const struct ox_graph *b)
{
	for (size_t i = 0; i < b->n_nodes; i++)
		if (ox_pass_has_subgraph(b->nodes[i]))
			return true;
	return false;
}

static int
copy_body(struct ox_node *node, const struct ox_op_schema *s, const struct ox_graph *body,
	  struct ox_strmap *map)
{
	struct ox_graph *g = node->graph;
	struct ox_arena *a = &g->model->arena;
	const char *base = node->name && *node->name ? node->name : node->op_type;
	int r;

	for (size_t i = 0; i < body->n_inputs; i++)
		if (ox_strmap_put(map, body->inputs[i]->name,
				  (int)i < node->n_in ? node->in[i] : NULL) < 0)
			return OX_ENOMEM;
	for (size_t i = 0; i < body->n_nodes; i++) {
		const struct ox_node *bn = body->nodes[i];
		struct ox_node *nn = ox_node_new(g, bn->op_type, bn->domain, bn->n_in, bn->n_out);

		if (!nn || !(nn->name = ox_arena_printf(a, "%s/%s", base,
							bn->name && *bn->name ? bn->name
									      : bn->op_type)))
			return OX_ENOMEM;
		for (int k = 0; k < bn->n_in; k++) {
			struct ox_value *v = bn->in[k] ? ox_strmap_get(map, bn->in[k]->name) : NULL;

			if (v && (r = ox_node_set_input(nn, k, v)) < 0)
				return r;
		}
		for (int k = 0; k < bn->n_out; k++)
			if (bn->out[k] && ox_strmap_put(map, bn->out[k]->name, nn->out[k]) < 0)
				return OX_ENOMEM;
		for (size_t k = 0; k < bn->n_attrs; k++)
			if ((r = bind_attr(nn, &bn->attrs[k], node, s)) < 0)
				return r;
	}
	for (int k = 0; k < node->n_out; k++) {
		struct ox_value *v;

		if (!node->out[k] || (!node->out[k]->n_uses && !ox_value_is_graph_output(node->out[k])))
			continue;
		v = (size_t)k < body->n_outputs ? ox_strmap_get(map, body->outputs[k]->name) : NULL;
		if (!v)
			return OX_EINVAL;
		if ((r = ox_value_replace_uses(node->out[k], v)) < 0)
			return r;
	}
	ox_node_kill(node);
	return 0;
}

int
ox_lg_inline(struct ox_node *node, int since_version, char *why, size_t len, struct ox_diag *d)
{
	const struct ox_op_schema *s;
	const struct ox_lg_function *f;
	struct ox_model *fm = NULL;
	struct ox_strmap map;
	struct ox_graph *body;
	int r;

	if (!ox_domain_is_onnx(node->domain) ||
	    !(s = ox_op_find("", node->op_type, since_version)) || s->since_version != since_version) {
		snprintf(why, len, "no ONNX schema");
		return 0;
	}
	if (!(f = find_body(node, s))) {
		snprintf(why, len, s->function ? "no function body in the table for this "
			 "variant (attributes, optional inputs or dtype)" : "not a function op");
		return 0;
	}
	if ((r = ox_model_load_buffer(f->bytes, f->len, NULL, &fm, d)) < 0)
		return r;
	if (fm->n_functions != 1 || !(body = fm->functions[0]->body)) {
		ox_model_free(fm);
		return OX_EINVAL;
	}
	/* Checked before anything changes. */
	if (body_has_subgraph(body)) {
		snprintf(why, len, "its body holds a subgraph, which is not inlined");
		ox_model_free(fm);
		return 0;
	}
	for (int k = 0; k < node->n_out; k++) {
		if (node->out[k] && (size_t)k >= body->n_outputs &&
		    (node->out[k]->n_uses || ox_value_is_graph_output(node->out[k]))) {
			snprintf(why, len, "output %d has no counterpart in the body", k);
			ox_model_free(fm);
			return 0;
		}
	}
	ox_strmap_init(&map);
	r = copy_body(node, s, body, &map);
	ox_strmap_release(&map);
	ox_model_free(fm);
	if (r < 0) {
		ox_diag_error(d, r, "inlining the body of %s-%d failed", node->op_type, since_version);
		return r;
	}
	return 1;
}

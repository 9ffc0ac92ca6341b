/* passes/util.c: small helpers the passes share (declared in pass.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "pass.h"

int64_t
ox_pass_opset(const struct ox_graph *g)
{
	return ox_model_opset(g->model, "");
}

const struct ox_tensor *
ox_pass_const(const struct ox_value *v)
{
	const struct ox_attr *a;

	if (!v || v->dead)
		return NULL;
	if (v->init)
		return v->is_input ? NULL : v->init;
	if (!v->producer || !ox_pass_is(v->producer, "Constant"))
		return NULL;
	a = ox_node_attr(v->producer, "value");
	if (!a || !a->t || (a->t->dtype != OX_STRING && a->t->nbytes && !a->t->data))
		return NULL;
	return a->t;
}

int
ox_pass_const_ints(const struct ox_value *v, int64_t *out, int max)
{
	const struct ox_tensor *t = ox_pass_const(v);

	if (!t || t->ndim > 1 || t->nelem > max)
		return -1;
	for (int64_t i = 0; i < t->nelem; i++) {
		if (t->dtype == OX_INT64)
			memcpy(&out[i], (const char *)t->data + 8 * i, 8);
		else if (t->dtype == OX_INT32) {
			int32_t x;

			memcpy(&x, (const char *)t->data + 4 * i, 4);
			out[i] = x;
		} else {
			return -1;
		}
	}
	return (int)t->nelem;
}

bool
ox_pass_const_scalar(const struct ox_value *v, double *out)
{
	const struct ox_tensor *t = ox_pass_const(v);

	if (!t || t->nelem != 1 || !t->data)
		return false;
	switch (t->dtype) {
	case OX_FLOAT: case OX_DOUBLE:
		*out = ox_pass_get(t, 0);
		return true;
	case OX_INT64: {
		int64_t x;

		memcpy(&x, t->data, 8);
		*out = (double)x;
		return true;
	}
	case OX_INT32: {
		int32_t x;

		memcpy(&x, t->data, 4);
		*out = x;
		return true;
	}
	default:
		return false;
	}
}

int
ox_pass_elem(const struct ox_value *v)
{
	if (v->init)
		return v->init->dtype;
	if (!v->type || v->type->kind != OX_TYPE_TENSOR || !v->type->has_elem)
		return 0;
	return v->type->elem;
}

int
ox_pass_rank(const struct ox_value *v)
{
	if (v->init)
		return v->init->ndim;
	if (!v->type || v->type->kind != OX_TYPE_TENSOR)
		return -1;
	return v->type->rank;
}

int64_t
ox_pass_dim(const struct ox_value *v, int i)
{
	if (v->init)
		return i < v->init->ndim ? v->init->dims[i] : -1;
	if (ox_pass_rank(v) <= i || v->type->dims[i].kind != OX_DIM_VALUE)
		return -1;
	return v->type->dims[i].value;
}

int
ox_pass_static_dims(const struct ox_value *v, int64_t *dims)
{
	int r = ox_pass_rank(v);

	if (r < 0)
		return -1;
	for (int i = 0; i < r; i++)
		if ((dims[i] = ox_pass_dim(v, i)) < 0)
			return -1;
	return r;
}

bool
ox_pass_single_use(const struct ox_value *v)
{
	return v && v->n_uses == 1 && !ox_value_is_graph_output(v);
}

bool
ox_pass_can_replace(const struct ox_value *old, const struct ox_value *nv)
{
	if (!old || !nv || old == nv)
		return false;
	if (!ox_value_is_graph_output(old))
		return true;
	/* The replacement must be able to take over the output's name. */
	return nv->graph == old->graph && nv->producer && !nv->is_input && !nv->init &&
	       !ox_value_is_graph_output(nv);
}

int
ox_pass_replace(struct ox_value *old, struct ox_value *nv)
{
	bool out = ox_value_is_graph_output(old);
	struct ox_type *type = old->type;
	bool has_info = old->has_info;
	const char *doc = old->doc;
	struct ox_blob rest = old->info_rest;
	int r = ox_value_replace_uses(old, nv);

	if (r < 0 || !out)
		return r;
	/* Users see the output as declared, whatever the replacement carried. */
	if (type)
		nv->type = type;
	nv->has_info = has_info;
	nv->doc = doc;
	nv->info_rest = rest;
	return 0;
}

void
ox_pass_kill(struct ox_node *node)
{
	struct ox_node *stack[64];
	int n = 0;

	stack[n++] = node;
	while (n) {
		struct ox_node *x = stack[--n];

		if (x->dead)
			continue;
		for (int i = 0; i < x->n_out; i++)
			if (x->out[i] && (x->out[i]->n_uses || ox_value_is_graph_output(x->out[i])))
				goto next;
		ox_node_kill(x);
		for (int i = 0; i < x->n_in; i++) {
			struct ox_value *v = x->in[i];

			if (v && v->producer && v->graph == x->graph && !v->n_uses && n < 64 &&
			    ox_domain_is_onnx(v->producer->domain) && !ox_pass_has_subgraph(v->producer))
				stack[n++] = v->producer;
		}
next:;
	}
}

struct ox_value *
ox_pass_new_init(struct ox_graph *g, const char *base, int dtype, int ndim, const int64_t *dims)
{
	struct ox_tensor *t = ox_tensor_new(&g->model->arena, dtype, ndim, dims);
	struct ox_value *v;

	if (!t || !(v = ox_value_new(g, base)) || ox_graph_add_init(g, v, t) < 0)
		return NULL;
	t->name = v->name;
	if (t->data && t->nbytes)
		memset(t->data, 0, t->nbytes);
	return v;
}

struct ox_value *
ox_pass_new_ints(struct ox_graph *g, const char *base, const int64_t *vals, int n)
{
	int64_t dim = n;
	struct ox_value *v = ox_pass_new_init(g, base, OX_INT64, 1, &dim);

	if (v && n)
		memcpy(v->init->data, vals, (size_t)n * sizeof *vals);
	return v;
}

int
ox_pass_attr_ints(const struct ox_node *node, const char *name, const int64_t **out)
{
	const struct ox_attr *a = ox_node_attr(node, name);

	if (!a || (a->has_type && a->type != OX_ATTR_INTS))
		return -1;
	*out = a->ints;
	return (int)a->n_ints;
}

bool
ox_pass_attr_str_is(const struct ox_node *node, const char *name, const char *s, bool dflt)
{
	const struct ox_attr *a = ox_node_attr(node, name);

	if (!a || !a->has_s)
		return dflt;
	return a->s.len == strlen(s) && memcmp(a->s.data, s, a->s.len) == 0;
}

double
ox_pass_get(const struct ox_tensor *t, int64_t i)
{
	if (t->dtype == OX_DOUBLE) {
		double x;

		memcpy(&x, (const char *)t->data + 8 * i, 8);
		return x;
	} else {
		float x;

		memcpy(&x, (const char *)t->data + 4 * i, 4);
		return x;
	}
}

void
ox_pass_put(struct ox_tensor *t, int64_t i, double x)
{
	if (t->dtype == OX_DOUBLE) {
		memcpy((char *)t->data + 8 * i, &x, 8);
	} else {
		float f = (float)x;

		memcpy((char *)t->data + 4 * i, &f, 4);
	}
}

bool
ox_pass_has_subgraph(const struct ox_node *node)
{
	for (size_t i = 0; i < node->n_attrs; i++)
		if (node->attrs[i].g || node->attrs[i].n_graphs)
			return true;
	return false;
}

int
ox_pass_bypass(struct ox_node *node, int in)
{
	int r;

	if (node->n_out < 1 || in >= node->n_in || !ox_pass_can_replace(node->out[0], node->in[in]))
		return 0;
	for (int i = 1; i < node->n_out; i++)
		if (node->out[i] && (node->out[i]->n_uses || ox_value_is_graph_output(node->out[i])))
			return 0;
	if ((r = ox_pass_replace(node->out[0], node->in[in])) < 0)
		return r;
	ox_pass_kill(node);
	return 1;
}

int
ox_pass_axes_of(const struct ox_node *node, int64_t opset, int64_t *a)
{
	if (opset < 13) {
		const int64_t *p;
		int n = ox_pass_attr_ints(node, "axes", &p);

		if (n < 0 || n > OX_MAX_RANK)
			return -1;
		for (int i = 0; i < n; i++)
			a[i] = p[i];
		return n;
	}
	if (node->n_in < 2 || !node->in[1])
		return -1;
	return ox_pass_const_ints(node->in[1], a, OX_MAX_RANK);
}

int
ox_pass_cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

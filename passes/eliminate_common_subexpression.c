/* passes/eliminate_common_subexpression.c: two nodes with the same op, attributes and
 * inputs compute the same outputs; the later one's readers read the earlier one.
 * Needs: uses. Keeps: shapes. Fixed point: no (nodes are visited in topological
 * order, so a merge exposes the next one in the same sweep).
 * Random ops, nodes with subgraphs and nodes outside the ONNX domain are never
 * merged. Constant nodes are merged when their tensors are equal. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pass.h"

static bool
random_op(const struct ox_node *node)
{
	static const char *const ops[] = { "RandomNormal", "RandomUniform", "RandomNormalLike",
		"RandomUniformLike", "Multinomial", "Bernoulli", "Dropout" };

	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(node->op_type, ops[i]) == 0)
			return true;
	return false;
}

static bool
same_tensor(const struct ox_tensor *a, const struct ox_tensor *b)
{
	if (!a || !b)
		return a == b;
	if (a->dtype == OX_STRING || b->dtype == OX_STRING)
		return false;
	return a->dtype == b->dtype && a->ndim == b->ndim && a->nbytes == b->nbytes &&
	       (!a->ndim || memcmp(a->dims, b->dims, (size_t)a->ndim * sizeof *a->dims) == 0) &&
	       (!a->nbytes || (a->data && b->data && memcmp(a->data, b->data, a->nbytes) == 0));
}

static bool
same_attr(const struct ox_attr *a, const struct ox_attr *b)
{
	if (strcmp(a->name, b->name) != 0 || a->type != b->type || a->ref_attr_name || b->ref_attr_name ||
	    a->has_f != b->has_f || a->has_i != b->has_i || a->has_s != b->has_s ||
	    (a->has_f && memcmp(&a->f, &b->f, sizeof a->f) != 0) || (a->has_i && a->i != b->i) ||
	    a->s.len != b->s.len || (a->s.len && memcmp(a->s.data, b->s.data, a->s.len) != 0) ||
	    a->n_floats != b->n_floats || a->n_ints != b->n_ints || a->n_strings != b->n_strings ||
	    a->n_tensors || b->n_tensors || a->g || b->g || a->n_graphs || b->n_graphs ||
	    a->rest.len || b->rest.len || !same_tensor(a->t, b->t))
		return false;
	if (a->n_floats && memcmp(a->floats, b->floats, a->n_floats * sizeof *a->floats) != 0)
		return false;
	if (a->n_ints && memcmp(a->ints, b->ints, a->n_ints * sizeof *a->ints) != 0)
		return false;
	for (size_t i = 0; i < a->n_strings; i++)
		if (a->strings[i].len != b->strings[i].len ||
		    memcmp(a->strings[i].data, b->strings[i].data, a->strings[i].len) != 0)
			return false;
	return true;
}

static bool
same_node(const struct ox_node *a, const struct ox_node *b)
{
	if (strcmp(a->op_type, b->op_type) != 0 || a->n_in != b->n_in || a->n_out != b->n_out ||
	    a->n_attrs != b->n_attrs || a->rest.len || b->rest.len)
		return false;
	for (int i = 0; i < a->n_in; i++)
		if (a->in[i] != b->in[i])
			return false;
	for (int i = 0; i < a->n_out; i++)
		if (!a->out[i] != !b->out[i])
			return false;
	/* Attribute order may differ between equal nodes. */
	for (size_t i = 0; i < a->n_attrs; i++) {
		const struct ox_attr *x = &a->attrs[i], *y;

		if (!x->name || !(y = ox_node_attr(b, x->name)) || !same_attr(x, y))
			return false;
	}
	return true;
}

static uint64_t
hash_node(const struct ox_node *node)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *p = node->op_type; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	for (int i = 0; i < node->n_in; i++)
		h = (h ^ (uint64_t)(uintptr_t)node->in[i]) * 1099511628211ull;
	h = (h ^ node->n_attrs) * 1099511628211ull;
	/* Pointers differ in their middle bits, and the table indexes by the low ones:
	 * a finalizer spreads them, or probing chains grow with the graph. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

int
ox_pass_eliminate_common_subexpression(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	struct ox_node **slots;
	size_t cap = 16;
	int n = 0, r = 0;

	if ((r = ox_graph_toposort(g, pc->diag)) < 0)
		return r;
	while (cap < 2 * g->n_nodes)
		cap *= 2;
	if (!(slots = calloc(cap, sizeof *slots)))
		return ox_diag_error(pc->diag, OX_ENOMEM, "out of memory");
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i], *prev = NULL;
		size_t h;
		bool ok = true;

		if (node->dead || !ox_domain_is_onnx(node->domain) || random_op(node) ||
		    ox_pass_has_subgraph(node) || node->n_out < 1)
			continue;
		for (h = hash_node(node) & (cap - 1); slots[h]; h = (h + 1) & (cap - 1)) {
			if (same_node(slots[h], node)) {
				prev = slots[h];
				break;
			}
		}
		if (!prev) {
			slots[h] = node;
			continue;
		}
		for (int k = 0; k < node->n_out && ok; k++)
			ok = !node->out[k] || ox_pass_can_replace(node->out[k], prev->out[k]);
		if (!ok)
			continue;
		for (int k = 0; k < node->n_out; k++)
			if (node->out[k] && (r = ox_pass_replace(node->out[k], prev->out[k])) < 0)
				goto out;
		ox_node_kill(node);
		n++;
	}
out:
	free(slots);
	return r < 0 ? r : n;
}

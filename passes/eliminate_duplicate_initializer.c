/* passes/eliminate_duplicate_initializer.c: initializers with equal dtype, dims and
 * bytes are one constant; their readers share the first.
 * Needs: uses. Keeps: shapes. Fixed point: no.
 * Graph inputs (overridable) and graph outputs keep their own initializer. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pass.h"

struct entry {
	uint64_t hash;
	struct ox_value *v;
};

static uint64_t
fnv(const struct ox_tensor *t)
{
	const uint8_t *p = t->data;
	uint64_t h = 1469598103934665603ull ^ (uint64_t)t->dtype;

	for (int i = 0; i < t->ndim; i++)
		h = (h ^ (uint64_t)t->dims[i]) * 1099511628211ull;
	/* The head and the length tell most tensors apart; equal keys are compared in
	 * full, so a weak hash costs time only, never correctness. */
	h = (h ^ t->nbytes) * 1099511628211ull;
	for (size_t i = 0; i < t->nbytes && i < 256; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	for (size_t i = t->nbytes > 256 ? t->nbytes - 256 : t->nbytes; i < t->nbytes; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static int
cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->v->id - y->v->id;
}

static bool
same(const struct ox_tensor *a, const struct ox_tensor *b)
{
	return a->dtype == b->dtype && a->ndim == b->ndim && a->nbytes == b->nbytes &&
	       memcmp(a->dims, b->dims, (size_t)a->ndim * sizeof *a->dims) == 0 &&
	       memcmp(a->data, b->data, a->nbytes) == 0;
}

int
ox_pass_eliminate_duplicate_initializer(struct ox_graph *g, struct ox_pass_ctx *pc)
{
	struct entry *e;
	size_t k = 0;
	int n = 0, r = 0;

	if (g->n_inits < 2)
		return 0;
	if (!(e = malloc(g->n_inits * sizeof *e)))
		return ox_diag_error(pc->diag, OX_ENOMEM, "out of memory");
	for (size_t i = 0; i < g->n_inits; i++) {
		struct ox_value *v = g->inits[i];

		if (v->dead || v->is_input || ox_value_is_graph_output(v) || !v->init ||
		    v->init->dtype == OX_STRING || (v->init->nbytes && !v->init->data))
			continue;
		e[k].hash = fnv(v->init);
		e[k++].v = v;
	}
	qsort(e, k, sizeof *e, cmp);
	for (size_t i = 0; i < k; i++) {
		for (size_t j = i + 1; j < k && e[j].hash == e[i].hash; j++) {
			if (!e[j].v || !e[i].v || !same(e[i].v->init, e[j].v->init))
				continue;
			if ((r = ox_pass_replace(e[j].v, e[i].v)) < 0)
				goto out;
			e[j].v->dead = true;
			ox_strmap_del(&g->names, e[j].v->name);
			e[j].v = NULL;
			n++;
		}
	}
out:
	free(e);
	return r < 0 ? r : n;
}

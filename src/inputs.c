/* inputs.c: -i parsing and seeded random inputs. See inputs.h. */
#include "config.h"

#include "inputs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "onnx_io.h"
#include "ops/kernel.h"

/* xorshift64* seeded through splitmix64 (a zero state would stay zero): small, and
 * the same on every machine. */
uint64_t
ox_inputs_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return z ? z : 1;
}

uint64_t
ox_inputs_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

bool
ox_inputs_parse_shape(char *s, struct ox_shape_opt *o)
{
	char *eq = strchr(s, '='), *p, *end;

	if (!eq || eq == s)
		return false;
	*eq = 0;
	o->name = s;
	o->ndim = 0;
	p = eq + 1;
	if (!*p)
		return true; /* a scalar */
	for (;;) {
		long long v;

		if (o->ndim >= OX_MAX_RANK)
			return false;
		errno = 0;
		v = strtoll(p, &end, 10);
		if (end == p || v < 0 || errno)
			return false;
		o->dims[o->ndim++] = v;
		if (!*end)
			return true;
		if (*end != 'x' && *end != 'X' && *end != ',')
			return false;
		p = end + 1;
	}
}

struct ox_tensor *
ox_inputs_random(const struct ox_value *v, const struct ox_shape_opt *shapes, size_t nshapes,
		 uint64_t *seed, struct ox_diag *d)
{
	const struct ox_type *t = v->type;
	int64_t dims[OX_MAX_RANK];
	int ndim = 0, dtype;
	struct ox_tensor *x;

	if (!t || t->kind != OX_TYPE_TENSOR || !t->has_elem) {
		ox_diag_error(d, OX_EUSAGE, "input '%s' has no tensor type: give it with -i", v->name);
		return NULL;
	}
	dtype = t->elem;
	for (size_t i = 0; i < nshapes; i++)
		if (!strcmp(shapes[i].name, v->name)) {
			ndim = shapes[i].ndim;
			memcpy(dims, shapes[i].dims, sizeof dims);
			goto have_shape;
		}
	if (t->rank < 0) {
		ox_diag_error(d, OX_EUSAGE, "input '%s' has no shape: give --shape %s=...", v->name, v->name);
		return NULL;
	}
	ndim = t->rank;
	for (int i = 0; i < ndim; i++) {
		if (t->dims[i].kind != OX_DIM_VALUE) {
			ox_diag_error(d, OX_EUSAGE, "input '%s' dimension %d is dynamic: give --shape %s=...",
				      v->name, i, v->name);
			return NULL;
		}
		dims[i] = t->dims[i].value;
	}
have_shape:
	if (dtype == OX_STRING || !ox_dtype_bits(dtype) || ox_dtype_bits(dtype) % 8) {
		ox_diag_error(d, OX_EUNSUPPORTED, "cannot make random %s data for input '%s'",
			      ox_dtype_name(dtype), v->name);
		return NULL;
	}
	if (!(x = ox_xtensor_new(dtype, ndim, dims))) {
		ox_diag_error(d, OX_ENOMEM, "input '%s' is too large", v->name);
		return NULL;
	}
	for (int64_t i = 0; i < x->nelem; i++) {
		uint64_t r = ox_inputs_next(seed);

		if (ox_dtype_is_float(dtype))
			ox_set_f64(x, i, (double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0);
		else
			ox_set_f64(x, i, (double)(r % (dtype == OX_BOOL ? 2 : 10)));
	}
	return x;
}

int
ox_inputs_load(const struct ox_graph *g, char *const *specs, size_t nspecs, struct ox_arena *a,
	       struct ox_tensor **feed, struct ox_diag *d)
{
	size_t nfeed = ox_exec_n_feeds(g), next = 0;
	int rc;

	for (size_t i = 0; i < nspecs; i++) {
		const char *eq = strchr(specs[i], '='), *file = specs[i];
		size_t slot = nfeed;

		if (eq) {
			size_t k = 0, len = (size_t)(eq - specs[i]);

			for (size_t j = 0; j < g->n_inputs; j++) {
				const char *name = g->inputs[j]->name;

				if (g->inputs[j]->init)
					continue;
				if (name && strlen(name) == len && !strncmp(name, specs[i], len))
					slot = k;
				k++;
			}
			if (slot == nfeed)
				return ox_diag_error(d, OX_EUSAGE, "the graph has no input '%.*s'", (int)len,
						     specs[i]);
			file = eq + 1;
		} else {
			while (next < nfeed && feed[next])
				next++;
			slot = next;
			if (slot == nfeed)
				return ox_diag_error(d, OX_EUSAGE, "more -i files than graph inputs (%zu)", nfeed);
		}
		if (feed[slot])
			return ox_diag_error(d, OX_EUSAGE, "input %zu is given twice", slot);
		if ((rc = ox_tensor_load(file, a, &feed[slot], d)) < 0)
			return rc;
	}
	return 0;
}

int
ox_inputs_fill_random(const struct ox_graph *g, const struct ox_shape_opt *shapes, size_t nshapes,
		      uint64_t *state, struct ox_tensor **feed, bool *owned, struct ox_diag *d)
{
	size_t k = 0;

	for (size_t j = 0; j < g->n_inputs; j++) {
		struct ox_value *v = g->inputs[j];

		if (v->init)
			continue;
		if (!feed[k]) {
			if (!(feed[k] = ox_inputs_random(v, shapes, nshapes, state, d)))
				return d->n ? d->entries[d->n - 1].code : OX_EINVAL;
			owned[k] = true;
		}
		k++;
	}
	return 0;
}

void
ox_inputs_free_feed(struct ox_tensor **feed, bool *owned, size_t n)
{
	for (size_t i = 0; feed && owned && i < n; i++)
		if (owned[i]) {
			ox_xtensor_free(feed[i]);
			feed[i] = NULL;
			owned[i] = false;
		}
}

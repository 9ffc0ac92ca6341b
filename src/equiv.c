/* equiv.c: tensor and model equivalence. See equiv.h. */
#include "config.h"

#include "equiv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "onnx_io.h"
#include "ops/kernel.h"

void
ox_equiv_opts_init(struct ox_equiv_opts *o)
{
	memset(o, 0, sizeof *o);
	o->rtol = OX_EQUIV_RTOL;
	o->atol = OX_EQUIV_ATOL;
	o->max_ulp = -1;
	o->n_sets = 1;
}

static void
stats_init(struct ox_equiv_stats *s)
{
	memset(s, 0, sizeof *s);
	s->dtype_ok = s->shape_ok = s->pass = true;
	s->first_bad = -1;
}

/* How a float format is stored: width in bits of one part, parts per element. */
struct ffmt {
	int width, parts;
};

static bool
float_format(int dtype, struct ffmt *f)
{
	switch (dtype) {
	case OX_FLOAT: *f = (struct ffmt){ 32, 1 }; return true;
	case OX_DOUBLE: *f = (struct ffmt){ 64, 1 }; return true;
	case OX_FLOAT16: *f = (struct ffmt){ 16, 1 }; return true;
	case OX_BFLOAT16: *f = (struct ffmt){ -16, 1 }; return true; /* negative: bfloat16 */
	case OX_COMPLEX64: *f = (struct ffmt){ 32, 2 }; return true;
	case OX_COMPLEX128: *f = (struct ffmt){ 64, 2 }; return true;
	default: return false;
	}
}

/* Part i of a float tensor: its value and its raw bits. */
static double
float_part(const void *data, int width, int64_t i, uint64_t *bits)
{
	switch (width) {
	case 32: {
		uint32_t u;
		float f;

		memcpy(&u, (const uint8_t *)data + 4 * i, 4);
		memcpy(&f, &u, 4);
		*bits = u;
		return f;
	}
	case 64: {
		uint64_t u;
		double v;

		memcpy(&u, (const uint8_t *)data + 8 * i, 8);
		memcpy(&v, &u, 8);
		*bits = u;
		return v;
	}
	default: {
		uint16_t u;

		memcpy(&u, (const uint8_t *)data + 2 * i, 2);
		*bits = u;
		return width == 16 ? ox_f16_to_f32(u) : ox_bf16_to_f32(u);
	}
	}
}

/* The position of a float among all values of its format, -0 and +0 both at 0:
 * sign-magnitude turned into two's complement, so adjacent values differ by one. */
static int64_t
ordered(uint64_t bits, int width)
{
	uint64_t mag = bits & ((1ull << (width - 1)) - 1);

	return (bits >> (width - 1)) & 1 ? -(int64_t)mag : (int64_t)mag;
}

static uint64_t
ulp_distance(uint64_t ba, uint64_t bb, int width)
{
	int64_t x = ordered(ba, width), y = ordered(bb, width);

	/* The difference of two 64-bit positions may exceed INT64_MAX: subtract as
	 * unsigned, where wrap-around gives the true distance. */
	return x >= y ? (uint64_t)x - (uint64_t)y : (uint64_t)y - (uint64_t)x;
}

static void
bad_at(struct ox_equiv_stats *s, int64_t i)
{
	s->mismatches++;
	if (s->first_bad < 0)
		s->first_bad = i;
}

static void
compare_floats(const struct ox_tensor *a, const struct ox_tensor *b, struct ffmt f,
	       const struct ox_equiv_opts *o, struct ox_equiv_stats *s)
{
	int w = f.width < 0 ? 16 : f.width;

	for (int64_t i = 0; i < a->nelem * f.parts; i++) {
		uint64_t ba, bb, ulp;
		double x = float_part(a->data, f.width, i, &ba);
		double y = float_part(b->data, f.width, i, &bb);
		double diff;

		if (isnan(x) || isnan(y)) {
			if (!(isnan(x) && isnan(y))) {
				s->nan_diff++;
				bad_at(s, i / f.parts);
			}
			continue;
		}
		if (isinf(x) || isinf(y)) {
			if (x != y) {
				s->inf_diff++;
				bad_at(s, i / f.parts);
			}
			continue;
		}
		diff = fabs(y - x);
		if (fabs(x) > s->max_ref)
			s->max_ref = fabs(x);
		ulp = ulp_distance(ba, bb, w);
		if (diff > s->max_abs)
			s->max_abs = diff;
		if (x != 0 && diff / fabs(x) > s->max_rel)
			s->max_rel = diff / fabs(x);
		if (ulp > s->max_ulp)
			s->max_ulp = ulp;
		if (diff <= o->atol + o->rtol * fabs(x))
			continue;
		if (o->max_ulp >= 0 && ulp <= (uint64_t)o->max_ulp)
			continue;
		bad_at(s, i / f.parts);
	}
}

/* Element i of a packed tensor of bits-wide elements, as raw bits. */
static uint64_t
raw_element(const struct ox_tensor *t, int bits, int64_t i)
{
	const uint8_t *p = t->data;
	uint64_t v = 0;

	if (bits % 8) {
		int64_t bit = i * bits;

		return (uint64_t)(p[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
	}
	memcpy(&v, p + i * (bits / 8), (size_t)(bits / 8)); /* little-endian host */
	return v;
}

static void
compare_exact(const struct ox_tensor *a, const struct ox_tensor *b, int bits,
	      struct ox_equiv_stats *s)
{
	bool numeric = ox_dtype_is_int(a->dtype) || a->dtype == OX_BOOL;

	for (int64_t i = 0; i < a->nelem; i++) {
		if (raw_element(a, bits, i) == raw_element(b, bits, i))
			continue;
		bad_at(s, i);
		if (numeric) {
			double diff = fabs(ox_get_f64(b, i) - ox_get_f64(a, i)), x = fabs(ox_get_f64(a, i));

			s->max_abs = diff > s->max_abs ? diff : s->max_abs;
			if (x != 0 && diff / x > s->max_rel)
				s->max_rel = diff / x;
		}
	}
}

int
ox_equiv_compare(const struct ox_tensor *a, const struct ox_tensor *b, const struct ox_equiv_opts *o,
		 struct ox_equiv_stats *s, struct ox_diag *d)
{
	struct ffmt f;
	int bits;

	stats_init(s);
	if (a->dtype == OX_XSEQ || b->dtype == OX_XSEQ) {
		s->pass = false;
		return d ? ox_diag_error(d, OX_EUNSUPPORTED, "cannot compare sequence values")
			 : OX_EUNSUPPORTED;
	}
	s->dtype_ok = a->dtype == b->dtype;
	s->shape_ok = a->ndim == b->ndim && a->nelem == b->nelem &&
		      (a->ndim == 0 || !memcmp(a->dims, b->dims, (size_t)a->ndim * sizeof *a->dims));
	if (!s->dtype_ok || !s->shape_ok) {
		s->pass = false;
		return 0;
	}
	s->count = a->nelem;
	if (a->nelem == 0)
		return 0;
	if (a->dtype == OX_STRING) {
		for (int64_t i = 0; i < a->nelem; i++)
			if (a->strings[i].len != b->strings[i].len ||
			    (a->strings[i].len &&
			     memcmp(a->strings[i].data, b->strings[i].data, a->strings[i].len)))
				bad_at(s, i);
	} else if (float_format(a->dtype, &f)) {
		compare_floats(a, b, f, o, s);
	} else if ((bits = ox_dtype_bits(a->dtype)) > 0 && bits <= 64 && (bits % 8 == 0 || 8 % bits == 0)) {
		compare_exact(a, b, bits, s);
	} else {
		s->pass = false;
		return d ? ox_diag_error(d, OX_EUNSUPPORTED, "cannot compare %s tensors",
					 ox_dtype_name(a->dtype))
			 : OX_EUNSUPPORTED;
	}
	s->pass = s->mismatches == 0;
	return 0;
}

bool
ox_equiv_atol_dominates(const struct ox_equiv_stats *s, const struct ox_equiv_opts *o)
{
	return s->dtype_ok && s->shape_ok && s->count > 0 && s->max_ref > 0 &&
	       o->atol > o->rtol * s->max_ref;
}

void
ox_equiv_stats_merge(struct ox_equiv_stats *t, const struct ox_equiv_stats *s)
{
	t->dtype_ok = t->dtype_ok && s->dtype_ok;
	t->shape_ok = t->shape_ok && s->shape_ok;
	if (t->first_bad < 0 && s->first_bad >= 0)
		t->first_bad = s->first_bad;
	t->count += s->count;
	t->mismatches += s->mismatches;
	t->nan_diff += s->nan_diff;
	t->inf_diff += s->inf_diff;
	t->max_abs = s->max_abs > t->max_abs ? s->max_abs : t->max_abs;
	t->max_rel = s->max_rel > t->max_rel ? s->max_rel : t->max_rel;
	t->max_ulp = s->max_ulp > t->max_ulp ? s->max_ulp : t->max_ulp;
	t->max_ref = s->max_ref > t->max_ref ? s->max_ref : t->max_ref;
	t->pass = t->pass && s->pass;
}

/* --- feeding two models the same inputs --- */

struct feeds {
	struct ox_arena arena;       /* tensors loaded from -i files */
	struct ox_tensor **given;    /* per slot of A: a loaded tensor or NULL */
	struct ox_tensor **a, **b;   /* the current set, for A and for B */
	bool *owned;                 /* per slot of A: a random heap tensor */
	size_t *map;                 /* slot of B -> slot of A */
	size_t na, nb;
	bool all_given;
};

static void
feeds_release(struct feeds *f)
{
	ox_inputs_free_feed(f->a, f->owned, f->na);
	free(f->given);
	free(f->a);
	free(f->b);
	free(f->owned);
	free(f->map);
	ox_arena_release(&f->arena);
	memset(f, 0, sizeof *f);
}

/* The k-th fed input of g. */
static const struct ox_value *
feed_value(const struct ox_graph *g, size_t k)
{
	for (size_t j = 0; j < g->n_inputs; j++)
		if (!g->inputs[j]->init && k-- == 0)
			return g->inputs[j];
	return NULL;
}

static int
feeds_init(struct feeds *f, const struct ox_graph *ga, const struct ox_graph *gb,
	   const struct ox_equiv_opts *o, struct ox_diag *d)
{
	int rc;

	memset(f, 0, sizeof *f);
	ox_arena_init(&f->arena);
	f->na = ox_exec_n_feeds(ga);
	f->nb = ox_exec_n_feeds(gb);
	f->given = calloc(f->na + 1, sizeof *f->given);
	f->a = calloc(f->na + 1, sizeof *f->a);
	f->owned = calloc(f->na + 1, sizeof *f->owned);
	f->b = calloc(f->nb + 1, sizeof *f->b);
	f->map = calloc(f->nb + 1, sizeof *f->map);
	if (!f->given || !f->a || !f->owned || !f->b || !f->map)
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	if (o->by_position && f->na != f->nb)
		return ox_diag_error(d, OX_EUSAGE, "A has %zu inputs to feed, B has %zu", f->na, f->nb);
	/* B's inputs take A's data by name; a name A lacks falls back to the position,
	 * as long as both models take the same number of inputs. */
	for (size_t j = 0; j < f->nb; j++) {
		const char *name = feed_value(gb, j)->name;

		f->map[j] = f->na;
		for (size_t k = 0; !o->by_position && name && k < f->na; k++)
			if (feed_value(ga, k)->name && !strcmp(feed_value(ga, k)->name, name))
				f->map[j] = k;
		if (f->map[j] == f->na && f->na == f->nb)
			f->map[j] = j;
		if (f->map[j] == f->na)
			return ox_diag_error(d, OX_EUSAGE, "B's input '%s' matches no input of A (try --by-position)",
					     name ? name : "");
	}
	if ((rc = ox_inputs_load(ga, o->input_specs, o->n_input_specs, &f->arena, f->given, d)) < 0)
		return rc;
	f->all_given = true;
	for (size_t k = 0; k < f->na; k++)
		f->all_given = f->all_given && f->given[k];
	return 0;
}

/* Make input set k: the given tensors, the rest random from seed + k. */
static int
feeds_set(struct feeds *f, const struct ox_graph *ga, const struct ox_equiv_opts *o, int k,
	  struct ox_diag *d)
{
	uint64_t state = ox_inputs_seed(o->seed + (uint64_t)k);
	int rc;

	ox_inputs_free_feed(f->a, f->owned, f->na);
	memcpy(f->a, f->given, f->na * sizeof *f->a);
	if ((rc = ox_inputs_fill_random(ga, o->shapes, o->n_shapes, &state, f->a, f->owned, d)) < 0)
		return rc;
	for (size_t j = 0; j < f->nb; j++)
		f->b[j] = f->a[f->map[j]];
	return 0;
}

static void
free_outputs(struct ox_tensor **t, size_t n)
{
	for (size_t i = 0; t && i < n; i++) {
		ox_xtensor_free(t[i]);
		t[i] = NULL;
	}
}

/* Run m on feed, with d naming the model. */
static int
run_model(struct ox_model *m, const char *path, struct ox_tensor **feed, size_t n,
	  struct ox_tensor **out, struct ox_diag *d)
{
	const char *file = d->file;
	int rc;

	d->file = path;
	rc = ox_exec_run(m, feed, n, out, d);
	d->file = file;
	return rc;
}

/* For each output of ga, the index of its match in gb, or gb->n_outputs: the output
 * of the same name, else (unless by_position) the one at the same position when no
 * output of A claims that one by name. */
static void
match_outputs(const struct ox_graph *ga, const struct ox_graph *gb, bool by_position, size_t *match)
{
	for (size_t i = 0; i < ga->n_outputs; i++) {
		const char *name = ga->outputs[i]->name;

		match[i] = gb->n_outputs;
		for (size_t j = 0; !by_position && j < gb->n_outputs; j++)
			if (name && gb->outputs[j]->name && !strcmp(name, gb->outputs[j]->name)) {
				match[i] = j;
				break;
			}
		if (match[i] == gb->n_outputs && i < gb->n_outputs) {
			bool claimed = false;

			for (size_t k = 0; !by_position && k < ga->n_outputs; k++)
				claimed = claimed || (ga->outputs[k]->name && gb->outputs[i]->name &&
						      !strcmp(ga->outputs[k]->name, gb->outputs[i]->name));
			if (!claimed)
				match[i] = i;
		}
	}
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void
note_shape(const struct ox_tensor *t, int *dtype, int *ndim, int64_t *dims)
{
	*dtype = t->dtype;
	*ndim = t->ndim < OX_MAX_RANK ? t->ndim : OX_MAX_RANK;
	if (*ndim > 0)
		memcpy(dims, t->dims, (size_t)*ndim * sizeof *dims);
}

static int
check_graphs(struct ox_model *a, struct ox_model *b, struct ox_diag *d)
{
	if (!a->graph || !b->graph)
		return ox_diag_error(d, OX_EINVAL, "model %s has no graph", a->graph ? "B" : "A");
	return 0;
}

int
ox_equiv_models(struct ox_model *a, struct ox_model *b, const struct ox_equiv_opts *o,
		struct ox_equiv_report *r, struct ox_diag *d)
{
	struct feeds f;
	struct ox_tensor **oa = NULL, **ob = NULL;
	size_t *match = NULL, nb_out;
	int rc;

	memset(r, 0, sizeof *r);
	r->first_failing_set = -1;
	r->pass = true;
	if ((rc = check_graphs(a, b, d)) < 0)
		return rc;
	if ((rc = feeds_init(&f, a->graph, b->graph, o, d)) < 0)
		goto fail;
	nb_out = b->graph->n_outputs;
	r->n_outputs = a->graph->n_outputs;
	r->outputs = calloc(r->n_outputs + 1, sizeof *r->outputs);
	match = calloc(r->n_outputs + 1, sizeof *match);
	oa = calloc(r->n_outputs + 1, sizeof *oa);
	ob = calloc(nb_out + 1, sizeof *ob);
	if (!r->outputs || !match || !oa || !ob) {
		rc = ox_diag_error(d, OX_ENOMEM, "out of memory");
		goto fail;
	}
	match_outputs(a->graph, b->graph, o->by_position, match);
	for (size_t j = 0; j < nb_out; j++) {
		bool used = false;

		for (size_t i = 0; i < r->n_outputs; i++)
			used = used || match[i] == j;
		r->n_extra_b += !used;
	}
	for (size_t i = 0; i < r->n_outputs; i++) {
		struct ox_equiv_output *eo = &r->outputs[i];

		eo->name_a = dup_or_null(a->graph->outputs[i]->name ? a->graph->outputs[i]->name : "");
		if (match[i] < nb_out)
			eo->name_b = dup_or_null(b->graph->outputs[match[i]]->name ? b->graph->outputs[match[i]]->name : "");
		if (!eo->name_a || (match[i] < nb_out && !eo->name_b)) {
			rc = ox_diag_error(d, OX_ENOMEM, "out of memory");
			goto fail;
		}
		eo->dtype_a = eo->dtype_b = -1;
		stats_init(&eo->st);
		if (match[i] >= nb_out)
			eo->st.pass = r->pass = false;
	}
	r->n_sets = f.all_given ? 1 : (o->n_sets > 0 ? o->n_sets : 1);
	for (int k = 0; k < r->n_sets; k++) {
		bool set_ok = true;

		if ((rc = feeds_set(&f, a->graph, o, k, d)) < 0)
			goto fail;
		if ((rc = run_model(a, a->path, f.a, f.na, oa, d)) < 0 ||
		    (rc = run_model(b, b->path, f.b, f.nb, ob, d)) < 0)
			goto fail;
		for (size_t i = 0; i < r->n_outputs; i++) {
			struct ox_equiv_output *eo = &r->outputs[i];
			struct ox_equiv_stats s;

			if (match[i] >= nb_out) {
				set_ok = false;
				continue;
			}
			if (k == 0) {
				note_shape(oa[i], &eo->dtype_a, &eo->ndim_a, eo->dims_a);
				note_shape(ob[match[i]], &eo->dtype_b, &eo->ndim_b, eo->dims_b);
			}
			if ((rc = ox_equiv_compare(oa[i], ob[match[i]], o, &s, d)) < 0)
				goto fail;
			ox_equiv_stats_merge(&eo->st, &s);
			set_ok = set_ok && s.pass;
		}
		if (!set_ok && r->first_failing_set < 0)
			r->first_failing_set = k;
		r->pass = r->pass && set_ok;
		free_outputs(oa, r->n_outputs);
		free_outputs(ob, nb_out);
		if (o->progress)
			o->progress(o->progress_arg, k + 1, r->n_sets);
	}
	rc = 0;
	goto out;
fail:
	ox_equiv_report_release(r);
out:
	free_outputs(oa, a->graph->n_outputs);
	free_outputs(ob, b->graph->n_outputs);
	free(oa);
	free(ob);
	free(match);
	feeds_release(&f);
	return rc;
}

/* A private copy of m through the serializer; external data resolves against m's
 * directory. */
static int
clone_model(struct ox_model *m, struct ox_model **out, struct ox_diag *d)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = ox_model_save_buffer(m, &buf, &len, d)) < 0)
		return rc;
	rc = ox_model_load_buffer(buf, len, m->dir, out, d);
	free(buf);
	return rc;
}

struct pair {
	size_t ia, ib;              /* output index in each copy */
	const struct ox_value *va, *vb;
};

/* The index of v among g's outputs, adding it when it is not one yet. */
static int
expose(struct ox_graph *g, struct ox_value *v, size_t *index, struct ox_diag *d)
{
	for (size_t i = 0; i < g->n_outputs; i++)
		if (g->outputs[i] == v) {
			*index = i;
			return 0;
		}
	if (ox_graph_add_output(g, v) < 0)
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	*index = g->n_outputs - 1;
	return 0;
}

static int
set_divergence(struct ox_equiv_divergence *dv, const struct pair *p, const struct ox_equiv_stats *s,
	       int set)
{
	const struct ox_node *na = p->va->producer, *nb = p->vb->producer;

	dv->found = true;
	dv->set = set;
	dv->st = *s;
	dv->value = strdup(p->va->name);
	dv->node_a = dup_or_null(na->name);
	dv->op_a = strdup(na->op_type);
	dv->node_b = dup_or_null(nb->name);
	dv->op_b = strdup(nb->op_type);
	return dv->value && dv->op_a && dv->op_b && (!na->name || dv->node_a) &&
			       (!nb->name || dv->node_b)
		       ? 0
		       : OX_ENOMEM;
}

int
ox_equiv_localize(struct ox_model *a, struct ox_model *b, const struct ox_equiv_opts *o,
		  struct ox_equiv_report *r, struct ox_diag *d)
{
	struct ox_model *ca = NULL, *cb = NULL;
	struct ox_graph *ga, *gb;
	struct pair *pairs = NULL;
	size_t np = 0, cap = 0;
	struct ox_tensor **oa = NULL, **ob = NULL;
	struct feeds f;
	int rc, n_sets;

	memset(&f, 0, sizeof f);
	ox_arena_init(&f.arena);
	if ((rc = check_graphs(a, b, d)) < 0)
		return rc;
	if ((rc = clone_model(a, &ca, d)) < 0 || (rc = clone_model(b, &cb, d)) < 0)
		goto out;
	ga = ca->graph;
	gb = cb->graph;
	if ((rc = ox_graph_toposort(ga, d)) < 0)
		goto out;
	for (size_t n = 0; n < ga->n_nodes; n++) {
		struct ox_node *node = ga->nodes[n];

		if (node->dead)
			continue;
		for (int k = 0; k < node->n_out; k++) {
			struct ox_value *va = node->out[k], *vb;

			if (!va || !va->name || !*va->name)
				continue;
			vb = ox_graph_lookup(gb, va->name);
			if (!vb || vb->graph != gb || !vb->producer || vb->dead)
				continue;
			if (np == cap) {
				struct pair *np_ = realloc(pairs, (cap = cap ? 2 * cap : 64) * sizeof *pairs);

				if (!np_) {
					rc = ox_diag_error(d, OX_ENOMEM, "out of memory");
					goto out;
				}
				pairs = np_;
			}
			pairs[np].va = va;
			pairs[np].vb = vb;
			if ((rc = expose(ga, va, &pairs[np].ia, d)) < 0 ||
			    (rc = expose(gb, vb, &pairs[np].ib, d)) < 0)
				goto out;
			np++;
		}
	}
	if ((rc = feeds_init(&f, ga, gb, o, d)) < 0)
		goto out;
	oa = calloc(ga->n_outputs + 1, sizeof *oa);
	ob = calloc(gb->n_outputs + 1, sizeof *ob);
	if (!oa || !ob) {
		rc = ox_diag_error(d, OX_ENOMEM, "out of memory");
		goto out;
	}
	n_sets = f.all_given ? 1 : (o->n_sets > 0 ? o->n_sets : 1);
	r->div.n_compared = 0;
	for (int k = 0; k < n_sets && !r->div.found; k++) {
		if ((rc = feeds_set(&f, ga, o, k, d)) < 0)
			goto out;
		if ((rc = run_model(ca, a->path, f.a, f.na, oa, d)) < 0 ||
		    (rc = run_model(cb, b->path, f.b, f.nb, ob, d)) < 0)
			goto out;
		for (size_t i = 0; i < np; i++) {
			struct ox_equiv_stats s;

			/* Sequences and exotic dtypes cannot be compared: skip them. */
			if (ox_equiv_compare(oa[pairs[i].ia], ob[pairs[i].ib], o, &s, NULL) < 0)
				continue;
			if (k == 0)
				r->div.n_compared++;
			if (!s.pass && !r->div.found &&
			    set_divergence(&r->div, &pairs[i], &s, k) < 0) {
				rc = ox_diag_error(d, OX_ENOMEM, "out of memory");
				goto out;
			}
		}
		free_outputs(oa, ga->n_outputs);
		free_outputs(ob, gb->n_outputs);
		if (o->progress)
			o->progress(o->progress_arg, k + 1, n_sets);
	}
	rc = 0;
out:
	if (oa)
		free_outputs(oa, ca->graph->n_outputs);
	if (ob)
		free_outputs(ob, cb->graph->n_outputs);
	free(oa);
	free(ob);
	free(pairs);
	feeds_release(&f);
	ox_model_free(ca);
	ox_model_free(cb);
	return rc;
}

void
ox_equiv_report_release(struct ox_equiv_report *r)
{
	for (size_t i = 0; r->outputs && i < r->n_outputs; i++) {
		free(r->outputs[i].name_a);
		free(r->outputs[i].name_b);
	}
	free(r->outputs);
	free(r->div.value);
	free(r->div.node_a);
	free(r->div.op_a);
	free(r->div.node_b);
	free(r->div.op_b);
	memset(r, 0, sizeof *r);
	r->first_failing_set = -1;
}

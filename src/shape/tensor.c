/* shape/tensor.c: ops that move or reshape data (Reshape, Flatten, Squeeze, Unsqueeze,
 * Transpose, Concat, Split, Slice, Gather*, Tile, Pad, Expand), ops whose output
 * shape is an input's contents (Shape, Size, ConstantOfShape, Range, Constant) and
 * data-dependent ones (NonZero, Compress, Unique, NonMaxSuppression), which get
 * fresh symbols; also the signal ops (windows, DFT, STFT). The ops that carry small integer tensors propagate their known
 * contents, which is what makes PyTorch's Shape->Gather->Unsqueeze->Concat->Reshape
 * chains end in static shapes. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shape.h"

#define UNK ((struct ox_dim){ .kind = OX_DIM_UNKNOWN })

static const struct ox_known *
known_in(struct ox_infer *ic, const struct ox_node *node, int i)
{
	return i < node->n_in ? ox_infer_known(ic, node->in[i]) : NULL;
}

static bool
has_in(const struct ox_node *node, int i)
{
	return i < node->n_in && node->in[i];
}

static int
set_known_out(struct ox_infer *ic, struct ox_node *node, int k, int64_t n, const struct ox_dim *v)
{
	if (k >= node->n_out || !node->out[k])
		return 0;
	return ox_infer_set_known(ic, node->out[k], n, v);
}

/* Product of dims[a, b): a value when all are values; a symbol when all but one
 * symbol are 1; else unknown. */
static struct ox_dim
dims_product(const struct ox_dim *d, int a, int b)
{
	int64_t p = 1;
	const struct ox_dim *sym = NULL;

	for (int i = a; i < b; i++) {
		if (d[i].kind == OX_DIM_VALUE) {
			if (__builtin_mul_overflow(p, d[i].value, &p))
				return UNK;
		} else if (!sym && d[i].kind == OX_DIM_PARAM) {
			sym = &d[i];
		} else {
			return UNK;
		}
	}
	if (!sym)
		return ox_dim_of(p);
	if (p == 1)
		return *sym;
	return UNK;
}

/* A symbol that inference made up rather than one the file named. */
static bool
generated(const struct ox_dim *d)
{
	return d->kind == OX_DIM_PARAM && strncmp(d->param, "unk__", 5) == 0;
}

/* --- constants --- */

static int
tensor_known(struct ox_infer *ic, struct ox_node *node, int k, const struct ox_tensor *t)
{
	struct ox_dim buf[OX_SHAPE_KNOWN_MAX];

	if (!t->data || t->nelem > OX_SHAPE_KNOWN_MAX ||
	    (t->dtype != OX_INT64 && t->dtype != OX_INT32))
		return 0;
	for (int64_t i = 0; i < t->nelem; i++) {
		int64_t x;

		if (t->dtype == OX_INT64) {
			memcpy(&x, (const char *)t->data + 8 * i, 8);
		} else {
			int32_t y;

			memcpy(&y, (const char *)t->data + 4 * i, 4);
			x = y;
		}
		buf[i] = ox_dim_of(x);
	}
	return set_known_out(ic, node, k, t->nelem, buf);
}

static int
constant(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_attr *a;
	struct ox_dim dims[OX_MAX_RANK], buf[OX_SHAPE_KNOWN_MAX];
	int r;

	if ((a = ox_node_attr(node, "value")) && a->t) {
		const struct ox_tensor *t = a->t;

		if (t->ndim > OX_MAX_RANK)
			return 0;
		for (int i = 0; i < t->ndim; i++)
			dims[i] = ox_dim_of(t->dims[i]);
		if ((r = ox_infer_set(ic, node, 0, t->dtype, t->ndim, dims)) < 0)
			return r;
		return tensor_known(ic, node, 0, t);
	}
	if ((a = ox_node_attr(node, "value_int")) && a->has_i) {
		if ((r = ox_infer_set(ic, node, 0, OX_INT64, 0, NULL)) < 0)
			return r;
		buf[0] = ox_dim_of(a->i);
		return set_known_out(ic, node, 0, 1, buf);
	}
	if ((a = ox_node_attr(node, "value_ints"))) {
		dims[0] = ox_dim_of((int64_t)a->n_ints);
		if ((r = ox_infer_set(ic, node, 0, OX_INT64, 1, dims)) < 0)
			return r;
		if (a->n_ints > OX_SHAPE_KNOWN_MAX)
			return 0;
		for (size_t i = 0; i < a->n_ints; i++)
			buf[i] = ox_dim_of(a->ints[i]);
		return set_known_out(ic, node, 0, (int64_t)a->n_ints, buf);
	}
	if ((a = ox_node_attr(node, "value_float")) && a->has_f)
		return ox_infer_set(ic, node, 0, OX_FLOAT, 0, NULL);
	if ((a = ox_node_attr(node, "value_floats")))
		return ox_infer_set(ic, node, 0, OX_FLOAT, 1, (struct ox_dim[1]){ ox_dim_of((int64_t)a->n_floats) });
	if ((a = ox_node_attr(node, "value_string")) && a->has_s)
		return ox_infer_set(ic, node, 0, OX_STRING, 0, NULL);
	if ((a = ox_node_attr(node, "value_strings")))
		return ox_infer_set(ic, node, 0, OX_STRING, 1, (struct ox_dim[1]){ ox_dim_of((int64_t)a->n_strings) });
	return 0;
}

static int
shape_op(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int64_t start = ox_node_attr_int(node, "start", 0), end;
	int r;

	if (!x || x->rank < 0)
		return ox_infer_set(ic, node, 0, OX_INT64, 1, (struct ox_dim[1]){ UNK });
	end = ox_node_attr_int(node, "end", x->rank);
	if (start < 0)
		start += x->rank;
	if (end < 0)
		end += x->rank;
	start = start < 0 ? 0 : start > x->rank ? x->rank : start;
	end = end < 0 ? 0 : end > x->rank ? x->rank : end;
	if (end < start)
		end = start;
	if ((r = ox_infer_set(ic, node, 0, OX_INT64, 1, (struct ox_dim[1]){ ox_dim_of(end - start) })) < 0)
		return r;
	return set_known_out(ic, node, 0, end - start, x->dims + start);
}

static int
size_op(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	struct ox_dim p;
	int r = ox_infer_set(ic, node, 0, OX_INT64, 0, NULL);

	if (r < 0 || !x || x->rank < 0)
		return r;
	p = dims_product(x->dims, 0, x->rank);
	return p.kind == OX_DIM_VALUE ? set_known_out(ic, node, 0, 1, &p) : 0;
}

/* --- reshaping --- */

static int
reshape(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	const struct ox_known *k = known_in(ic, node, 1);
	int elem = ox_infer_in_elem(node, 0);
	bool allowzero = ox_node_attr_int(node, "allowzero", 0) != 0;
	struct ox_dim dims[OX_MAX_RANK];
	int64_t n;
	int neg = -1;

	if (!has_in(node, 1)) {
		size_t na;
		const int64_t *s = ox_infer_attr_ints(node, "shape", &na);
		struct ox_dim buf[OX_MAX_RANK];

		if (!s || na > OX_MAX_RANK)
			return ox_infer_set(ic, node, 0, elem, -1, NULL);
		for (size_t i = 0; i < na; i++)
			buf[i] = ox_dim_of(s[i]);
		n = (int64_t)na;
		memcpy(dims, buf, na * sizeof *buf);
	} else if (!k) {
		const struct ox_type *st = ox_infer_in(node, 1);

		if (st && st->rank == 1 && st->dims[0].kind == OX_DIM_VALUE && st->dims[0].value <= OX_MAX_RANK)
			return ox_infer_set(ic, node, 0, elem, (int)st->dims[0].value,
					    (struct ox_dim[OX_MAX_RANK]){ UNK });
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	} else {
		if (k->n > OX_MAX_RANK)
			return ox_infer_fail(ic, node, "target shape has %lld dims", (long long)k->n);
		n = k->n;
		memcpy(dims, k->v, (size_t)n * sizeof *dims);
	}
	for (int i = 0; i < n; i++) {
		if (dims[i].kind != OX_DIM_VALUE)
			continue;
		if (dims[i].value == 0 && !allowzero) {
			if (x && x->rank >= 0 && i < x->rank)
				dims[i] = x->dims[i];
			else if (x && x->rank >= 0)
				return ox_infer_fail(ic, node, "shape copies dim %d of a rank-%d input", i, x->rank);
			else
				dims[i] = UNK;
		} else if (dims[i].value == -1) {
			if (neg >= 0)
				return ox_infer_fail(ic, node, "target shape has more than one -1");
			neg = i;
		} else if (dims[i].value < -1) {
			return ox_infer_fail(ic, node, "target shape has dim %lld", (long long)dims[i].value);
		}
	}
	if (neg >= 0) {
		dims[neg] = UNK;
		if (x && x->rank >= 0 && x->rank <= OX_MAX_RANK) {
			/* Cancel dims that appear on both sides, then divide what is left. */
			bool used_in[OX_MAX_RANK] = { 0 }, used_out[OX_MAX_RANK] = { 0 };
			int64_t pin = 1, pout = 1;
			const struct ox_dim *sym_in = NULL;
			bool ok = true;

			for (int j = 0; j < n; j++) {
				if (j == neg || dims[j].kind != OX_DIM_PARAM)
					continue;
				for (int i = 0; i < x->rank; i++)
					if (!used_in[i] && ox_dim_same(&x->dims[i], &dims[j])) {
						used_in[i] = used_out[j] = true;
						break;
					}
			}
			for (int i = 0; i < x->rank && ok; i++) {
				if (used_in[i])
					continue;
				if (x->dims[i].kind == OX_DIM_VALUE)
					ok = !__builtin_mul_overflow(pin, x->dims[i].value, &pin);
				else if (!sym_in && x->dims[i].kind == OX_DIM_PARAM)
					sym_in = &x->dims[i];
				else
					ok = false;
			}
			for (int j = 0; j < n && ok; j++) {
				if (j == neg || used_out[j])
					continue;
				if (dims[j].kind == OX_DIM_VALUE)
					ok = !__builtin_mul_overflow(pout, dims[j].value, &pout);
				else
					ok = false;
			}
			if (ok && !sym_in && pout > 0) {
				if (pin % pout)
					return ox_infer_fail(ic, node, "cannot reshape %lld elements into a multiple of %lld",
							     (long long)pin, (long long)pout);
				dims[neg] = ox_dim_of(pin / pout);
			} else if (ok && sym_in && pin == pout) {
				dims[neg] = *sym_in;
			}
		}
	} else if (x && x->rank >= 0) {
		struct ox_dim a = dims_product(x->dims, 0, x->rank), b = dims_product(dims, 0, (int)n);

		if (a.kind == OX_DIM_VALUE && b.kind == OX_DIM_VALUE && a.value != b.value)
			return ox_infer_fail(ic, node, "cannot reshape %lld elements into %lld",
					     (long long)a.value, (long long)b.value);
	}
	{
		int r = ox_infer_set(ic, node, 0, elem, (int)n, dims);
		const struct ox_known *kx = known_in(ic, node, 0);

		return r < 0 || !kx ? r : set_known_out(ic, node, 0, kx->n, kx->v);
	}
}

static int
flatten(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int axis, elem = ox_infer_in_elem(node, 0);

	if (!x || x->rank < 0)
		return ox_infer_set(ic, node, 0, elem, 2, (struct ox_dim[2]){ UNK, UNK });
	/* Flatten's axis is in [-r, r]: a negative one counts from r, not r + 1. */
	{
		int64_t ax = ox_node_attr_int(node, "axis", 1);

		if (ax < 0)
			ax += x->rank;
		if (!ox_infer_axis(ax, x->rank, true, &axis))
			return ox_infer_fail(ic, node, "axis out of range for rank %d", x->rank);
	}
	return ox_infer_set(ic, node, 0, elem, 2,
			    (struct ox_dim[2]){ dims_product(x->dims, 0, axis),
						dims_product(x->dims, axis, x->rank) });
}

/* Axes from the attribute or input 1; -2 when input 1 is there but unknown. */
static int64_t
axes_of(struct ox_infer *ic, const struct ox_node *node, int64_t *axes)
{
	size_t na;
	const int64_t *a = ox_infer_attr_ints(node, "axes", &na);

	if (a) {
		if (na > OX_SHAPE_KNOWN_MAX)
			return -2;
		memcpy(axes, a, na * sizeof *a);
		return (int64_t)na;
	}
	if (has_in(node, 1)) {
		int64_t n = ox_infer_ints(ic, node, 1, axes);

		return n < 0 ? -2 : n;
	}
	return -1;
}

static int
squeeze(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	const struct ox_known *kx = known_in(ic, node, 0);
	int elem = ox_infer_in_elem(node, 0), out = 0, r;
	int64_t axes[OX_SHAPE_KNOWN_MAX], n = axes_of(ic, node, axes);
	bool drop[OX_MAX_RANK] = { 0 };
	struct ox_dim dims[OX_MAX_RANK];

	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK || n == -2)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	if (n < 0 || (n == 0 && !ox_node_attr(node, "axes"))) {
		for (int i = 0; i < x->rank; i++) {
			if (x->dims[i].kind != OX_DIM_VALUE)
				return ox_infer_set(ic, node, 0, elem, -1, NULL);
			drop[i] = x->dims[i].value == 1;
		}
	}
	for (int64_t i = 0; i < n; i++) {
		int a;

		if (!ox_infer_axis(axes[i], x->rank, false, &a))
			return ox_infer_fail(ic, node, "axis %lld out of range for rank %d", (long long)axes[i], x->rank);
		if (x->dims[a].kind == OX_DIM_VALUE && x->dims[a].value != 1)
			return ox_infer_fail(ic, node, "cannot squeeze dim %d of size %lld", a,
					     (long long)x->dims[a].value);
		drop[a] = true;
	}
	for (int i = 0; i < x->rank; i++)
		if (!drop[i])
			dims[out++] = x->dims[i];
	r = ox_infer_set(ic, node, 0, elem, out, dims);
	return r < 0 || !kx ? r : set_known_out(ic, node, 0, kx->n, kx->v);
}

static int
unsqueeze(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	const struct ox_known *kx = known_in(ic, node, 0);
	int elem = ox_infer_in_elem(node, 0), rank, r;
	int64_t axes[OX_SHAPE_KNOWN_MAX], n = axes_of(ic, node, axes);
	bool ins[OX_MAX_RANK] = { 0 };
	struct ox_dim dims[OX_MAX_RANK];

	if (!x || x->rank < 0 || n < 0 || x->rank + n > OX_MAX_RANK) {
		if (x && x->rank >= 0 && n < 0 && has_in(node, 1)) {
			const struct ox_type *at = ox_infer_in(node, 1);

			if (at && at->rank == 1 && at->dims[0].kind == OX_DIM_VALUE &&
			    x->rank + at->dims[0].value <= OX_MAX_RANK)
				return ox_infer_set(ic, node, 0, elem, x->rank + (int)at->dims[0].value,
						    (struct ox_dim[OX_MAX_RANK]){ UNK });
		}
		r = ox_infer_set(ic, node, 0, elem, -1, NULL);
		return r < 0 || !kx ? r : set_known_out(ic, node, 0, kx->n, kx->v);
	}
	rank = x->rank + (int)n;
	for (int64_t i = 0; i < n; i++) {
		int a;

		if (!ox_infer_axis(axes[i], rank, false, &a) || ins[a])
			return ox_infer_fail(ic, node, "axis %lld invalid for output rank %d", (long long)axes[i], rank);
		ins[a] = true;
	}
	for (int i = 0, j = 0; i < rank; i++)
		dims[i] = ins[i] ? ox_dim_of(1) : x->dims[j++];
	r = ox_infer_set(ic, node, 0, elem, rank, dims);
	return r < 0 || !kx ? r : set_known_out(ic, node, 0, kx->n, kx->v);
}

static int
transpose(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	size_t np;
	const int64_t *perm = ox_infer_attr_ints(node, "perm", &np);
	struct ox_dim dims[OX_MAX_RANK];
	bool seen[OX_MAX_RANK] = { 0 };
	int elem = ox_infer_in_elem(node, 0);

	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, perm ? (int)np : -1, (struct ox_dim[OX_MAX_RANK]){ UNK });
	if (perm && np != (size_t)x->rank)
		return ox_infer_fail(ic, node, "perm has %zu entries for rank %d", np, x->rank);
	for (int i = 0; i < x->rank; i++) {
		int64_t p = perm ? perm[i] : x->rank - 1 - i;

		if (p < 0 || p >= x->rank || seen[p])
			return ox_infer_fail(ic, node, "perm is not a permutation of 0..%d", x->rank - 1);
		seen[p] = true;
		dims[i] = x->dims[p];
	}
	return ox_infer_set(ic, node, 0, elem, x->rank, dims);
}

static int
concat(struct ox_infer *ic, struct ox_node *node)
{
	struct ox_dim dims[OX_MAX_RANK];
	int rank = -1, elem = 0, axis = 0, r;
	int64_t sum = 0;
	bool sum_known = true;
	const struct ox_dim *sym = NULL;
	int n_nonzero = 0;

	for (int i = 0; i < node->n_in; i++) {
		if (!elem)
			elem = ox_infer_in_elem(node, i);
		if (has_in(node, i) && ox_infer_in_rank(node, i) >= 0)
			rank = ox_infer_in_rank(node, i);
	}
	if (rank < 0 || rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	if (rank == 0 || !ox_infer_axis(ox_node_attr_int(node, "axis", 0), rank, false, &axis))
		return ox_infer_fail(ic, node, "axis out of range for rank %d", rank);
	for (int j = 0; j < rank; j++)
		dims[j] = UNK;
	for (int i = 0; i < node->n_in; i++) {
		const struct ox_type *t = ox_infer_in(node, i);

		if (!has_in(node, i))
			continue;
		if (!t || t->rank < 0) {
			sum_known = false;
			continue;
		}
		if (t->rank != rank)
			return ox_infer_fail(ic, node, "inputs have ranks %d and %d", rank, t->rank);
		for (int j = 0; j < rank; j++) {
			const struct ox_dim *d = &t->dims[j];

			if (j == axis) {
				if (d->kind == OX_DIM_VALUE) {
					if (__builtin_add_overflow(sum, d->value, &sum))
						return ox_infer_fail(ic, node, "concatenated size overflows");
				} else {
					sum_known = false;
					sym = d;
				}
				if (d->kind != OX_DIM_VALUE || d->value != 0)
					n_nonzero++;
				continue;
			}
			if (dims[j].kind == OX_DIM_VALUE && d->kind == OX_DIM_VALUE && dims[j].value != d->value)
				return ox_infer_fail(ic, node, "inputs differ in dim %d: %lld and %lld", j,
						     (long long)dims[j].value, (long long)d->value);
			/* Any input's value or symbol holds for all; a symbol from the file
			 * says more than one inference made up (unk__N). */
			if (d->kind == OX_DIM_VALUE || (dims[j].kind != OX_DIM_VALUE && d->kind == OX_DIM_PARAM &&
							(dims[j].kind == OX_DIM_UNKNOWN || (generated(&dims[j]) &&
											    !generated(d)))))
				dims[j] = *d;
		}
	}
	if (sum_known)
		dims[axis] = ox_dim_of(sum);
	else if (sym && n_nonzero == 1 && sum == 0)
		dims[axis] = *sym;
	else
		dims[axis] = UNK;
	if ((r = ox_infer_set(ic, node, 0, elem, rank, dims)) < 0)
		return r;
	/* Known contents concatenate along a 1-D axis. */
	if (rank == 1 && node->n_out && node->out[0]) {
		struct ox_dim buf[OX_SHAPE_KNOWN_MAX];
		int64_t n = 0;

		for (int i = 0; i < node->n_in; i++) {
			const struct ox_known *k = known_in(ic, node, i);

			if (!has_in(node, i))
				continue;
			if (!k || n + k->n > OX_SHAPE_KNOWN_MAX)
				return 0;
			memcpy(buf + n, k->v, (size_t)k->n * sizeof *buf);
			n += k->n;
		}
		return set_known_out(ic, node, 0, n, buf);
	}
	return 0;
}

static int
split(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int elem = ox_infer_in_elem(node, 0), axis, r = 0;
	int64_t sp[OX_SHAPE_KNOWN_MAX], n = -1;
	struct ox_dim dims[OX_MAX_RANK];
	size_t na;
	const int64_t *a = ox_infer_attr_ints(node, "split", &na);

	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK) {
		for (int k = 0; k < node->n_out && r >= 0; k++)
			r = ox_infer_set(ic, node, k, elem, -1, NULL);
		return r;
	}
	if (!ox_infer_axis(ox_node_attr_int(node, "axis", 0), x->rank, false, &axis))
		return ox_infer_fail(ic, node, "axis out of range for rank %d", x->rank);
	if (a && na <= OX_SHAPE_KNOWN_MAX) {
		n = (int64_t)na;
		memcpy(sp, a, na * sizeof *a);
	} else if (has_in(node, 1)) {
		n = ox_infer_ints(ic, node, 1, sp);
		if (n < 0)
			n = -2;
	}
	memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
	if (n >= 0 && n != node->n_out)
		return ox_infer_fail(ic, node, "split has %lld parts for %d outputs", (long long)n, node->n_out);
	if (n == -1 && x->dims[axis].kind == OX_DIM_VALUE && node->n_out > 0) {
		int64_t len = x->dims[axis].value, parts = node->n_out;
		int64_t chunk = (len + parts - 1) / parts;

		/* Equal parts; since opset 18 the last may be smaller. */
		if (len % parts && ox_infer_schema(ic)->since_version < 18)
			return ox_infer_fail(ic, node, "dim %lld does not split into %lld equal parts",
					     (long long)len, (long long)parts);
		for (int k = 0; k < node->n_out; k++) {
			int64_t left = len - chunk * k;

			sp[k] = left < chunk ? (left < 0 ? 0 : left) : chunk;
		}
		n = node->n_out;
	}
	if (n >= 0 && x->dims[axis].kind == OX_DIM_VALUE) {
		int64_t sum = 0;

		for (int64_t k = 0; k < n; k++)
			sum += sp[k];
		if (sum != x->dims[axis].value)
			return ox_infer_fail(ic, node, "split sizes add up to %lld, not %lld", (long long)sum,
					     (long long)x->dims[axis].value);
	}
	for (int k = 0; k < node->n_out && r >= 0; k++) {
		dims[axis] = n >= 0 ? ox_dim_of(sp[k]) : UNK;
		r = ox_infer_set(ic, node, k, elem, x->rank, dims);
	}
	return r;
}

/* One axis of Slice: start, end, step on a dim of size len -> count. */
static int64_t
slice_count(int64_t len, int64_t start, int64_t end, int64_t step)
{
	if (start < 0)
		start += len;
	if (end < 0)
		end += len;
	if (step > 0) {
		start = start < 0 ? 0 : start > len ? len : start;
		end = end < 0 ? 0 : end > len ? len : end;
		return end > start ? (end - start + step - 1) / step : 0;
	}
	start = start < 0 ? -1 : start > len - 1 ? len - 1 : start;
	end = end < -1 ? -1 : end > len - 1 ? len - 1 : end;
	return start > end ? (start - end + (-step) - 1) / (-step) : 0;
}

static int64_t
slice_first(int64_t len, int64_t start, int64_t step)
{
	if (start < 0)
		start += len;
	if (step > 0)
		return start < 0 ? 0 : start > len ? len : start;
	return start < 0 ? -1 : start > len - 1 ? len - 1 : start;
}

static int
slice(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int elem = ox_infer_in_elem(node, 0), r;
	int64_t st[OX_SHAPE_KNOWN_MAX], en[OX_SHAPE_KNOWN_MAX], ax[OX_SHAPE_KNOWN_MAX], sp[OX_SHAPE_KNOWN_MAX];
	int64_t ns, ne, na, nsp;
	struct ox_dim dims[OX_MAX_RANK];
	bool touched[OX_MAX_RANK] = { 0 };

	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	if (!has_in(node, 1)) {
		size_t a, b, c;
		const int64_t *s = ox_infer_attr_ints(node, "starts", &a);
		const int64_t *e = ox_infer_attr_ints(node, "ends", &b);
		const int64_t *x_ax = ox_infer_attr_ints(node, "axes", &c);

		if (!s || !e || a > OX_SHAPE_KNOWN_MAX || b > OX_SHAPE_KNOWN_MAX || c > OX_SHAPE_KNOWN_MAX)
			return ox_infer_set(ic, node, 0, elem, x->rank, (struct ox_dim[OX_MAX_RANK]){ UNK });
		ns = (int64_t)a;
		ne = (int64_t)b;
		memcpy(st, s, a * 8);
		memcpy(en, e, b * 8);
		na = x_ax ? (int64_t)c : -1;
		if (x_ax)
			memcpy(ax, x_ax, c * 8);
		nsp = -1;
	} else {
		ns = ox_infer_ints(ic, node, 1, st);
		ne = ox_infer_ints(ic, node, 2, en);
		na = has_in(node, 3) ? ox_infer_ints(ic, node, 3, ax) : -1;
		nsp = has_in(node, 4) ? ox_infer_ints(ic, node, 4, sp) : -1;
		if (ns < 0 || ne < 0 || (has_in(node, 3) && na < 0) || (has_in(node, 4) && nsp < 0))
			return ox_infer_set(ic, node, 0, elem, x->rank, (struct ox_dim[OX_MAX_RANK]){ UNK });
	}
	if (ns != ne || (na >= 0 && na != ns) || (nsp >= 0 && nsp != ns))
		return ox_infer_fail(ic, node, "starts, ends, axes and steps differ in length");
	memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
	for (int64_t i = 0; i < ns; i++) {
		int a;
		int64_t step = nsp >= 0 ? sp[i] : 1;

		if (!ox_infer_axis(na >= 0 ? ax[i] : i, x->rank, false, &a) || touched[a])
			return ox_infer_fail(ic, node, "axis %lld invalid for rank %d",
					     (long long)(na >= 0 ? ax[i] : i), x->rank);
		touched[a] = true;
		if (step == 0)
			return ox_infer_fail(ic, node, "step is 0");
		if (x->dims[a].kind == OX_DIM_VALUE)
			dims[a] = ox_dim_of(slice_count(x->dims[a].value, st[i], en[i], step));
		else if (st[i] == 0 && step == 1 && en[i] >= INT32_MAX)
			dims[a] = x->dims[a];
		else
			dims[a] = UNK;
	}
	if ((r = ox_infer_set(ic, node, 0, elem, x->rank, dims)) < 0)
		return r;
	{
		const struct ox_known *k = known_in(ic, node, 0);
		struct ox_dim buf[OX_SHAPE_KNOWN_MAX];
		int64_t step = nsp >= 0 ? sp[0] : 1, cnt, first;

		if (!k || x->rank != 1 || ns != 1 || k->n != (x->dims[0].kind == OX_DIM_VALUE ? x->dims[0].value : -1))
			return 0;
		cnt = slice_count(k->n, st[0], en[0], step);
		first = slice_first(k->n, st[0], step);
		for (int64_t i = 0; i < cnt; i++)
			buf[i] = k->v[first + i * step];
		return set_known_out(ic, node, 0, cnt, buf);
	}
}

static int
gather(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0), *ix = ox_infer_in(node, 1);
	int elem = ox_infer_in_elem(node, 0), axis, rank, r;
	struct ox_dim dims[OX_MAX_RANK];

	if (!x || !ix || x->rank < 0 || ix->rank < 0 || x->rank + ix->rank > OX_MAX_RANK + 1)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	if (!ox_infer_axis(ox_node_attr_int(node, "axis", 0), x->rank, false, &axis))
		return ox_infer_fail(ic, node, "axis out of range for rank %d", x->rank);
	rank = x->rank - 1 + ix->rank;
	memcpy(dims, x->dims, (size_t)axis * sizeof *dims);
	memcpy(dims + axis, ix->dims, (size_t)ix->rank * sizeof *dims);
	memcpy(dims + axis + ix->rank, x->dims + axis + 1, (size_t)(x->rank - axis - 1) * sizeof *dims);
	if ((r = ox_infer_set(ic, node, 0, elem, rank, dims)) < 0)
		return r;
	{
		const struct ox_known *k = known_in(ic, node, 0);
		int64_t idx[OX_SHAPE_KNOWN_MAX], n;
		struct ox_dim buf[OX_SHAPE_KNOWN_MAX];

		if (!k || x->rank != 1 || (n = ox_infer_ints(ic, node, 1, idx)) < 0)
			return 0;
		for (int64_t i = 0; i < n; i++) {
			int64_t j = idx[i] < 0 ? idx[i] + k->n : idx[i];

			if (j < 0 || j >= k->n)
				return ox_infer_fail(ic, node, "index %lld out of range for %lld elements",
						     (long long)idx[i], (long long)k->n);
			buf[i] = k->v[j];
		}
		return set_known_out(ic, node, 0, n, buf);
	}
}

static int
gather_elements(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *ix = ox_infer_in(node, 1);

	return ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), ix ? ix->rank : -1, ix ? ix->dims : NULL);
}

static int
gather_nd(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0), *ix = ox_infer_in(node, 1);
	int elem = ox_infer_in_elem(node, 0), n = 0;
	int64_t b = ox_node_attr_int(node, "batch_dims", 0), last;
	struct ox_dim dims[OX_MAX_RANK * 2];

	if (!x || !ix || x->rank < 0 || ix->rank < 1 || ix->dims[ix->rank - 1].kind != OX_DIM_VALUE)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	last = ix->dims[ix->rank - 1].value;
	if (b < 0 || last + b > x->rank)
		return ox_infer_fail(ic, node, "indices reach past the data's rank %d", x->rank);
	for (int i = 0; i < ix->rank - 1; i++)
		dims[n++] = ix->dims[i];
	for (int64_t i = b + last; i < x->rank; i++)
		dims[n++] = x->dims[i];
	return ox_infer_set(ic, node, 0, elem, n, dims);
}

static int
tile(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int elem = ox_infer_in_elem(node, 0);
	int64_t rep[OX_SHAPE_KNOWN_MAX], n;
	struct ox_dim dims[OX_MAX_RANK];

	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	if ((n = ox_infer_ints(ic, node, 1, rep)) < 0)
		return ox_infer_set(ic, node, 0, elem, x->rank, (struct ox_dim[OX_MAX_RANK]){ UNK });
	if (n != x->rank)
		return ox_infer_fail(ic, node, "repeats has %lld entries for rank %d", (long long)n, x->rank);
	for (int i = 0; i < x->rank; i++) {
		int64_t v;

		if (x->dims[i].kind == OX_DIM_VALUE && __builtin_mul_overflow(x->dims[i].value, rep[i], &v))
			return ox_infer_fail(ic, node, "tiled size overflows");
		dims[i] = x->dims[i].kind == OX_DIM_VALUE ? ox_dim_of(v) : rep[i] == 1 ? x->dims[i] : UNK;
	}
	return ox_infer_set(ic, node, 0, elem, x->rank, dims);
}

static int
pad(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int elem = ox_infer_in_elem(node, 0);
	int64_t pads[OX_SHAPE_KNOWN_MAX], axes[OX_SHAPE_KNOWN_MAX], n, na = -1;
	struct ox_dim dims[OX_MAX_RANK];
	size_t np;
	const int64_t *pa = ox_infer_attr_ints(node, "pads", &np);

	if (!pa)
		pa = ox_infer_attr_ints(node, "paddings", &np);
	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	if (pa && np <= OX_SHAPE_KNOWN_MAX) {
		n = (int64_t)np;
		memcpy(pads, pa, np * 8);
	} else if ((n = ox_infer_ints(ic, node, 1, pads)) < 0) {
		return ox_infer_set(ic, node, 0, elem, x->rank, (struct ox_dim[OX_MAX_RANK]){ UNK });
	}
	if (has_in(node, 3) && (na = ox_infer_ints(ic, node, 3, axes)) < 0)
		return ox_infer_set(ic, node, 0, elem, x->rank, (struct ox_dim[OX_MAX_RANK]){ UNK });
	if (na < 0) {
		na = x->rank;
		for (int i = 0; i < x->rank; i++)
			axes[i] = i;
	}
	if (n != 2 * na)
		return ox_infer_fail(ic, node, "pads has %lld entries for %lld axes", (long long)n, (long long)na);
	memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
	for (int64_t i = 0; i < na; i++) {
		int a;

		if (!ox_infer_axis(axes[i], x->rank, false, &a))
			return ox_infer_fail(ic, node, "axis %lld out of range", (long long)axes[i]);
		if (x->dims[a].kind == OX_DIM_VALUE)
			dims[a] = ox_dim_of(x->dims[a].value + pads[i] + pads[i + na]);
		else if (pads[i] != 0 || pads[i + na] != 0)
			dims[a] = UNK;
	}
	return ox_infer_set(ic, node, 0, elem, x->rank, dims);
}

static int
expand(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	const struct ox_known *k = known_in(ic, node, 1);
	int elem = ox_infer_in_elem(node, 0), rank;
	struct ox_dim dims[OX_MAX_RANK];

	if (!k) {
		const struct ox_type *st = ox_infer_in(node, 1);

		if (x && x->rank >= 0 && st && st->rank == 1 && st->dims[0].kind == OX_DIM_VALUE &&
		    st->dims[0].value <= OX_MAX_RANK) {
			rank = x->rank > st->dims[0].value ? x->rank : (int)st->dims[0].value;
			return ox_infer_set(ic, node, 0, elem, rank, (struct ox_dim[OX_MAX_RANK]){ UNK });
		}
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	}
	if (k->n > OX_MAX_RANK || !x || x->rank < 0)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	rank = x->rank > k->n ? x->rank : (int)k->n;
	for (int i = 0; i < rank; i++) {
		const struct ox_dim *a = i >= rank - x->rank ? &x->dims[i - (rank - x->rank)] : NULL;
		const struct ox_dim *b = i >= rank - k->n ? &k->v[i - (rank - k->n)] : NULL;

		if (!a)
			dims[i] = *b;
		else if (!b || (b->kind == OX_DIM_VALUE && b->value == 1))
			dims[i] = *a;
		else if (a->kind == OX_DIM_VALUE && a->value == 1)
			dims[i] = *b;
		else if (a->kind == OX_DIM_VALUE && b->kind == OX_DIM_VALUE && a->value != b->value)
			return ox_infer_fail(ic, node, "cannot expand dim %lld to %lld", (long long)a->value,
					     (long long)b->value);
		else if (a->kind == OX_DIM_VALUE)
			dims[i] = *a;
		else if (b->kind == OX_DIM_VALUE)
			dims[i] = *b;
		else if (ox_dim_same(a, b))
			dims[i] = *a;
		else
			dims[i] = UNK;
	}
	return ox_infer_set(ic, node, 0, elem, rank, dims);
}

static int
constant_of_shape(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_attr *a = ox_node_attr(node, "value");
	const struct ox_known *k = known_in(ic, node, 0);
	int elem = a && a->t ? a->t->dtype : OX_FLOAT, r;

	if (!k) {
		const struct ox_type *st = ox_infer_in(node, 0);

		if (st && st->rank == 1 && st->dims[0].kind == OX_DIM_VALUE && st->dims[0].value <= OX_MAX_RANK)
			return ox_infer_set(ic, node, 0, elem, (int)st->dims[0].value,
					    (struct ox_dim[OX_MAX_RANK]){ UNK });
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	}
	if (k->n > OX_MAX_RANK)
		return ox_infer_fail(ic, node, "shape has %lld dims", (long long)k->n);
	if ((r = ox_infer_set(ic, node, 0, elem, (int)k->n, k->v)) < 0)
		return r;
	/* A filled integer tensor is known when small: PyTorch builds shapes this way. */
	if ((elem == OX_INT64 || elem == OX_INT32) && a && a->t && a->t->data && a->t->nelem == 1) {
		struct ox_dim p = dims_product(k->v, 0, (int)k->n), buf[OX_SHAPE_KNOWN_MAX];
		int64_t v;

		if (p.kind != OX_DIM_VALUE || p.value > OX_SHAPE_KNOWN_MAX)
			return 0;
		if (elem == OX_INT64) {
			memcpy(&v, a->t->data, 8);
		} else {
			int32_t y;

			memcpy(&y, a->t->data, 4);
			v = y;
		}
		for (int64_t i = 0; i < p.value; i++)
			buf[i] = ox_dim_of(v);
		return set_known_out(ic, node, 0, p.value, buf);
	}
	return 0;
}

/* A scalar float input read as double from a constant. */
static bool
scalar_number(const struct ox_value *v, double *out)
{
	const struct ox_tensor *t = v ? v->init : NULL;

	if (v && !t && v->producer && ox_node_is(v->producer, "", "Constant")) {
		const struct ox_attr *a = ox_node_attr(v->producer, "value");

		t = a ? a->t : NULL;
	}
	if (!t || !t->data || t->nelem != 1)
		return false;
	switch (t->dtype) {
	case OX_FLOAT: { float f; memcpy(&f, t->data, 4); *out = f; return true; }
	case OX_DOUBLE: memcpy(out, t->data, 8); return true;
	case OX_INT16: { int16_t x; memcpy(&x, t->data, 2); *out = x; return true; }
	default: return false;
	}
}

static int
range(struct ox_infer *ic, struct ox_node *node)
{
	int elem = ox_infer_in_elem(node, 0), r;
	int64_t s[1], l[1], d[1];

	if (ox_infer_ints(ic, node, 0, s) == 1 && ox_infer_ints(ic, node, 1, l) == 1 &&
	    ox_infer_ints(ic, node, 2, d) == 1 && d[0] != 0) {
		int64_t n = (l[0] - s[0] + d[0] + (d[0] > 0 ? -1 : 1)) / d[0];
		struct ox_dim buf[OX_SHAPE_KNOWN_MAX];

		if (n < 0)
			n = 0;
		if ((r = ox_infer_set(ic, node, 0, elem, 1, (struct ox_dim[1]){ ox_dim_of(n) })) < 0)
			return r;
		if (n > OX_SHAPE_KNOWN_MAX)
			return 0;
		for (int64_t i = 0; i < n; i++)
			buf[i] = ox_dim_of(s[0] + i * d[0]);
		return set_known_out(ic, node, 0, n, buf);
	}
	{
		double fs, fl, fd;

		if (has_in(node, 2) && scalar_number(node->in[0], &fs) && scalar_number(node->in[1], &fl) &&
		    scalar_number(node->in[2], &fd) && fd != 0) {
			double n = ceil((fl - fs) / fd);

			return ox_infer_set(ic, node, 0, elem, 1,
					    (struct ox_dim[1]){ ox_dim_of(n > 0 ? (int64_t)n : 0) });
		}
	}
	return ox_infer_set(ic, node, 0, elem, 1, (struct ox_dim[1]){ UNK });
}

static int
nonzero(struct ox_infer *ic, struct ox_node *node)
{
	int rank = ox_infer_in_rank(node, 0);

	return ox_infer_set(ic, node, 0, OX_INT64, 2,
			    (struct ox_dim[2]){ rank >= 0 ? ox_dim_of(rank) : UNK, UNK });
}

static int
compress(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	const struct ox_attr *a = ox_node_attr(node, "axis");
	int elem = ox_infer_in_elem(node, 0), axis;
	struct ox_dim dims[OX_MAX_RANK];

	if (!a)
		return ox_infer_set(ic, node, 0, elem, 1, (struct ox_dim[1]){ UNK });
	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	if (!ox_infer_axis(a->i, x->rank, false, &axis))
		return ox_infer_fail(ic, node, "axis out of range for rank %d", x->rank);
	memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
	dims[axis] = UNK;
	return ox_infer_set(ic, node, 0, elem, x->rank, dims);
}

static int
onehot(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *ix = ox_infer_in(node, 0);
	int elem = ox_infer_in_elem(node, 2), axis;
	int64_t depth[1];
	struct ox_dim dims[OX_MAX_RANK + 1];
	double fd;

	if (!ix || ix->rank < 0 || ix->rank >= OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	if (!ox_infer_axis(ox_node_attr_int(node, "axis", -1), ix->rank, true, &axis))
		return ox_infer_fail(ic, node, "axis out of range for rank %d", ix->rank);
	memcpy(dims, ix->dims, (size_t)axis * sizeof *dims);
	if (ox_infer_ints(ic, node, 1, depth) == 1)
		dims[axis] = ox_dim_of(depth[0]);
	else if (has_in(node, 1) && scalar_number(node->in[1], &fd))
		dims[axis] = ox_dim_of((int64_t)fd);
	else
		dims[axis] = UNK;
	memcpy(dims + axis + 1, ix->dims + axis, (size_t)(ix->rank - axis) * sizeof *dims);
	return ox_infer_set(ic, node, 0, elem, ix->rank + 1, dims);
}

static int
unique(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	const struct ox_attr *a = ox_node_attr(node, "axis");
	struct ox_dim u = ox_infer_fresh(ic), dims[OX_MAX_RANK];
	int axis, r;

	if (!a) {
		r = ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), 1, &u);
	} else if (x && x->rank > 0 && x->rank <= OX_MAX_RANK && ox_infer_axis(a->i, x->rank, false, &axis)) {
		memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
		dims[axis] = u;
		r = ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), x->rank, dims);
	} else {
		r = ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), -1, NULL);
	}
	if (r >= 0)
		r = ox_infer_set(ic, node, 1, OX_INT64, 1, &u);
	if (r >= 0)
		r = ox_infer_set(ic, node, 2, OX_INT64, 1, (struct ox_dim[1]){ UNK });
	if (r >= 0)
		r = ox_infer_set(ic, node, 3, OX_INT64, 1, &u);
	return r;
}

static int
nms(struct ox_infer *ic, struct ox_node *node)
{
	return ox_infer_set(ic, node, 0, OX_INT64, 2, (struct ox_dim[2]){ UNK, ox_dim_of(3) });
}

static int
random_op(struct ox_infer *ic, struct ox_node *node)
{
	size_t n;
	const int64_t *s = ox_infer_attr_ints(node, "shape", &n);
	struct ox_dim dims[OX_MAX_RANK];
	int elem = (int)ox_node_attr_int(node, "dtype", OX_FLOAT);

	if (!s || n > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	for (size_t i = 0; i < n; i++)
		dims[i] = ox_dim_of(s[i]);
	return ox_infer_set(ic, node, 0, elem, (int)n, dims);
}

static int
multinomial(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);

	return ox_infer_set(ic, node, 0, (int)ox_node_attr_int(node, "dtype", OX_INT32), 2,
			    (struct ox_dim[2]){ x && x->rank == 2 ? x->dims[0] : UNK,
						ox_dim_of(ox_node_attr_int(node, "sample_size", 1)) });
}

static int
det(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);

	if (!x || x->rank < 2)
		return ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), -1, NULL);
	return ox_infer_set(ic, node, 0, x->elem, x->rank - 2, x->dims);
}

static int
window(struct ox_infer *ic, struct ox_node *node)
{
	int64_t n[1];
	int elem = (int)ox_node_attr_int(node, "output_datatype", OX_FLOAT);

	return ox_infer_set(ic, node, 0, elem, 1,
			    (struct ox_dim[1]){ ox_infer_ints(ic, node, 0, n) == 1 ? ox_dim_of(n[0]) : UNK });
}

static int
center_crop_pad(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int64_t s[OX_SHAPE_KNOWN_MAX], n;
	size_t na;
	const int64_t *axes = ox_infer_attr_ints(node, "axes", &na);
	struct ox_dim dims[OX_MAX_RANK];

	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, ox_infer_in_elem(node, 0), -1, NULL);
	memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
	n = ox_infer_ints(ic, node, 1, s);
	for (int i = 0; i < x->rank; i++)
		if (!axes)
			dims[i] = n == x->rank ? ox_dim_of(s[i]) : UNK;
	for (size_t i = 0; axes && i < na; i++) {
		int a;

		if (!ox_infer_axis(axes[i], x->rank, false, &a))
			return ox_infer_fail(ic, node, "axis out of range");
		dims[a] = n == (int64_t)na ? ox_dim_of(s[i]) : UNK;
	}
	return ox_infer_set(ic, node, 0, x->elem, x->rank, dims);
}

/* DFT: the signal's last dim holds 1 (real) or 2 (complex) components and becomes
 * 2; the transformed axis gets dft_length points, of which a one-sided transform
 * keeps floor(n / 2) + 1. DFT-17 takes the axis as an attribute (default 1),
 * DFT-20 as input 2 (default -2); either counts from the back when negative and
 * never names the component dim. */
static int
dft(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0);
	int elem = ox_infer_in_elem(node, 0), axis = -1, r;
	bool onesided = ox_node_attr_int(node, "onesided", 0) != 0;
	bool inverse = ox_node_attr_int(node, "inverse", 0) != 0;
	int64_t a, v[1];
	struct ox_dim dims[OX_MAX_RANK], len;

	if (onesided && inverse)
		return ox_infer_fail(ic, node, "onesided and inverse cannot both be set");
	if (!x || x->rank < 0 || x->rank > OX_MAX_RANK)
		return ox_infer_set(ic, node, 0, elem, -1, NULL);
	r = x->rank;
	if (r < 2)
		return ox_infer_fail(ic, node, "signal has rank %d, needs a component dim after the axis", r);
	{
		const struct ox_dim *c = &x->dims[r - 1];

		if (c->kind == OX_DIM_VALUE && c->value != 1 && c->value != 2)
			return ox_infer_fail(ic, node, "last dim is %lld, not 1 (real) or 2 (complex)",
					     (long long)c->value);
	}
	if (ox_infer_schema(ic)->since_version < 20)
		a = ox_node_attr_int(node, "axis", 1);
	else if (!has_in(node, 2))
		a = -2;
	else if (ox_infer_ints(ic, node, 2, v) == 1)
		a = v[0];
	else
		a = INT64_MIN;
	if (a != INT64_MIN) {
		if (a < 0)
			a += r;
		if (a < 0 || a > r - 2)
			return ox_infer_fail(ic, node, "axis is out of range for a rank-%d signal", r);
		axis = (int)a;
	}
	memcpy(dims, x->dims, (size_t)r * sizeof *dims);
	dims[r - 1] = ox_dim_of(2);
	if (!has_in(node, 1))
		len = axis >= 0 ? x->dims[axis] : UNK;
	else if (ox_infer_ints(ic, node, 1, v) == 1)
		len = ox_dim_of(v[0]);
	else
		len = UNK;
	if (len.kind == OX_DIM_VALUE && len.value <= 0)
		return ox_infer_fail(ic, node, "dft_length is %lld", (long long)len.value);
	if (onesided)
		len = len.kind == OX_DIM_VALUE ? ox_dim_of(len.value / 2 + 1) : UNK;
	if (axis >= 0) {
		dims[axis] = len;
	} else if (onesided || has_in(node, 1)) {
		/* The axis is only known at run time: any non-component dim may change. */
		for (int i = 0; i < r - 1; i++)
			dims[i] = UNK;
	}
	return ox_infer_set(ic, node, 0, elem, r, dims);
}

/* STFT: signal [batch, length, 1 or 2], one frame every frame_step samples, each
 * frame_length long (input 3, else the window's length): [batch, frames, bins, 2]
 * with frames = floor((length - frame_length) / frame_step) + 1 and bins =
 * frame_length, or floor(frame_length / 2) + 1 when onesided (the default). */
static int
stft(struct ox_infer *ic, struct ox_node *node)
{
	const struct ox_type *x = ox_infer_in(node, 0), *w = ox_infer_in(node, 2);
	int elem = ox_infer_in_elem(node, 0);
	bool onesided = ox_node_attr_int(node, "onesided", 1) != 0;
	int64_t step = -1, flen = -1, v[1];
	struct ox_dim dims[4] = { UNK, UNK, UNK, ox_dim_of(2) };

	if (x && x->rank >= 0 && x->rank != 3)
		return ox_infer_fail(ic, node, "signal has rank %d, not 3", x->rank);
	if (ox_infer_ints(ic, node, 1, v) == 1) {
		step = v[0];
		if (step <= 0)
			return ox_infer_fail(ic, node, "frame_step is %lld", (long long)step);
	}
	if (has_in(node, 3)) {
		if (ox_infer_ints(ic, node, 3, v) == 1)
			flen = v[0];
	} else if (w && w->rank == 1 && w->dims[0].kind == OX_DIM_VALUE) {
		flen = w->dims[0].value;
	}
	if (has_in(node, 3) && flen > 0 && w && w->rank == 1 && w->dims[0].kind == OX_DIM_VALUE &&
	    w->dims[0].value != flen)
		return ox_infer_fail(ic, node, "window has %lld points for frame_length %lld",
				     (long long)w->dims[0].value, (long long)flen);
	if (x && x->rank == 3) {
		const struct ox_dim *n = &x->dims[1];

		dims[0] = x->dims[0];
		if (x->dims[2].kind == OX_DIM_VALUE && x->dims[2].value != 1 && x->dims[2].value != 2)
			return ox_infer_fail(ic, node, "last dim is %lld, not 1 (real) or 2 (complex)",
					     (long long)x->dims[2].value);
		if (n->kind == OX_DIM_VALUE && step > 0 && flen > 0) {
			if (flen > n->value)
				return ox_infer_fail(ic, node, "frame_length %lld exceeds the signal length %lld",
						     (long long)flen, (long long)n->value);
			dims[1] = ox_dim_of((n->value - flen) / step + 1);
		}
	}
	if (flen > 0)
		dims[2] = ox_dim_of(onesided ? flen / 2 + 1 : flen);
	return ox_infer_set(ic, node, 0, elem, 4, dims);
}

const struct ox_shape_rule ox_shape_rules_tensor[] = {
	{ NULL, "Constant", constant }, { NULL, "Shape", shape_op }, { NULL, "Size", size_op },
	{ NULL, "Reshape", reshape }, { NULL, "Flatten", flatten },
	{ NULL, "Squeeze", squeeze }, { NULL, "Unsqueeze", unsqueeze },
	{ NULL, "Transpose", transpose }, { NULL, "Concat", concat }, { NULL, "Split", split },
	{ NULL, "Slice", slice }, { NULL, "Gather", gather },
	{ NULL, "GatherElements", gather_elements }, { NULL, "GatherND", gather_nd },
	{ NULL, "Tile", tile }, { NULL, "Pad", pad }, { NULL, "Expand", expand },
	{ NULL, "ConstantOfShape", constant_of_shape }, { NULL, "Range", range },
	{ NULL, "NonZero", nonzero }, { NULL, "Compress", compress }, { NULL, "OneHot", onehot },
	{ NULL, "Unique", unique }, { NULL, "NonMaxSuppression", nms },
	{ NULL, "RandomNormal", random_op }, { NULL, "RandomUniform", random_op },
	{ NULL, "Multinomial", multinomial }, { NULL, "Det", det },
	{ NULL, "HannWindow", window }, { NULL, "HammingWindow", window },
	{ NULL, "BlackmanWindow", window }, { NULL, "CenterCropPad", center_crop_pad },
	{ NULL, "DFT", dft }, { NULL, "STFT", stft },
	{ NULL, NULL, NULL },
};

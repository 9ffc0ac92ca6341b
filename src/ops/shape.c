/* ops/shape.c: ops that move elements without computing on them: Reshape, Flatten,
 * Squeeze, Unsqueeze, Transpose, Concat, Split, Slice, Gather*, Scatter*, Shape, Size,
 * Expand, Tile, Pad, Constant, ConstantOfShape, Identity, Dropout, Range, EyeLike,
 * Trilu, DepthToSpace, SpaceToDepth, OneHot, NonZero, Compress.
 *
 * Most go through strided_copy(): an output shape plus, per output dim, the stride
 * (in elements) to step in the source. Transpose permutes strides, Slice scales
 * them, Expand zeroes them.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

static size_t
esize(int dtype)
{
	return (size_t)ox_dtype_bits(dtype) / 8;
}

static bool
movable(struct ox_kctx *k, int dtype)
{
	if (dtype == OX_STRING || (ox_dtype_bits(dtype) && ox_dtype_bits(dtype) % 8 == 0))
		return true;
	ox_kdtype(k, dtype);
	return false;
}

/* Copy n elements from src[si..] to dst[di..]. */
static int
copy_elems(struct ox_kctx *k, struct ox_tensor *dst, int64_t di, const struct ox_tensor *src,
	   int64_t si, int64_t n)
{
	if (dst->dtype == OX_STRING) {
		for (int64_t i = 0; i < n; i++)
			if (ox_xtensor_set_string(dst, di + i, src->strings[si + i].data, src->strings[si + i].len) < 0)
				return ox_kerr(k, OX_ENOMEM, "out of memory");
		return 0;
	}
	if (n > 0) {
		size_t es = esize(dst->dtype);

		memcpy((char *)dst->data + (size_t)di * es, (const char *)src->data + (size_t)si * es,
		       (size_t)n * es);
	}
	return 0;
}

#define STRIDED(T) do {									\
	const T *s_ = (const T *)x->data;						\
	T *d_ = (T *)o->data;								\
	for (int64_t r = 0; r < rows; r++) {						\
		const T *p_ = s_ + pos;							\
		T *q_ = d_ + r * inner;							\
		if (istr == 1)								\
			memcpy(q_, p_, (size_t)inner * sizeof(T));			\
		else									\
			for (int64_t j = 0; j < inner; j++)				\
				q_[j] = p_[j * istr];					\
		ADVANCE;								\
	}										\
} while (0)

/* Fill o (its own dims) from x, where output index i_d steps x by str[d] elements,
 * starting at x element base. */
static int
strided_copy(struct ox_kctx *k, struct ox_tensor *o, const struct ox_tensor *x, int64_t base,
	     const int64_t *str)
{
	int nd = o->ndim;
	int64_t idx[OX_MAX_RANK] = { 0 }, inner, rows, istr, pos = base;

	if (o->nelem == 0)
		return 0;
	if (nd == 0)
		return copy_elems(k, o, 0, x, base, 1);
	inner = o->dims[nd - 1];
	istr = str[nd - 1];
	rows = o->nelem / inner;
#define ADVANCE										\
	for (int d = nd - 2; d >= 0; d--) {						\
		if (++idx[d] < o->dims[d]) {						\
			pos += str[d];							\
			break;								\
		}									\
		idx[d] = 0;								\
		pos -= str[d] * (o->dims[d] - 1);					\
	}
	if (o->dtype == OX_STRING) {
		for (int64_t r = 0; r < rows; r++) {
			for (int64_t j = 0; j < inner; j++) {
				const struct ox_bytes *b = &x->strings[pos + j * istr];

				if (ox_xtensor_set_string(o, r * inner + j, b->data, b->len) < 0)
					return ox_kerr(k, OX_ENOMEM, "out of memory");
			}
			ADVANCE;
		}
		return 0;
	}
	switch (esize(o->dtype)) {
	case 1: STRIDED(uint8_t); break;
	case 2: STRIDED(uint16_t); break;
	case 4: STRIDED(uint32_t); break;
	case 8: STRIDED(uint64_t); break;
	default: return ox_kdtype(k, o->dtype);
	}
#undef ADVANCE
	return 0;
}

static void
strides_of(const struct ox_tensor *x, int64_t *str)
{
	int64_t s = 1;

	for (int i = x->ndim - 1; i >= 0; i--) {
		str[i] = s;
		s *= x->dims[i];
	}
}

/* Output 0 as a copy of x with new dims. */
static int
reshaped(struct ox_kctx *k, const struct ox_tensor *x, int nd, const int64_t *dims)
{
	struct ox_tensor *o;

	if (ox_shape_numel(nd, dims) != x->nelem)
		return ox_kerr(k, OX_EINVAL, "cannot reshape %lld elements into the requested shape",
			       (long long)x->nelem);
	if (!movable(k, x->dtype))
		return OX_EUNSUPPORTED;
	if (!(o = ox_kout_raw(k, 0, x->dtype, nd, dims)))
		return OX_ENOMEM;
	return copy_elems(k, o, 0, x, 0, x->nelem);
}

int
ox_op_identity(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (x->dtype == OX_XSEQ) {
		struct ox_tensor *o = ox_xtensor_copy(x);

		if (!o)
			return ox_kerr(k, OX_ENOMEM, "out of memory");
		ox_xtensor_free(k->out[0]);
		k->out[0] = o;
		return 0;
	}
	return reshaped(k, x, x->ndim, x->dims);
}

int
ox_op_dropout(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *train = ox_kin(k, 2);
	int r;

	if (train && train->nelem == 1 && ox_get_i64(train, 0) && (!ox_kin(k, 1) || ox_get_f64(ox_kin(k, 1), 0) != 0))
		return ox_kerr(k, OX_EUNSUPPORTED, "training mode is not supported");
	if ((r = ox_op_identity(k)) < 0)
		return r;
	if (k->n_out > 1 && !ox_kout(k, 1, k->opset >= 12 ? OX_BOOL : x->dtype, x->ndim, x->dims))
		return OX_ENOMEM;
	if (k->n_out > 1) {
		for (int64_t i = 0; i < x->nelem; i++)
			ox_set_f64(k->out[1], i, 1);
	}
	return 0;
}

int
ox_op_reshape(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t *shape = NULL, n, known = 1;
	const int64_t *attr;
	int infer = -1, r;
	bool allowzero = ox_kattr_i(k, "allowzero", 0);

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (k->opset < 5) {
		if ((n = ox_kattr_ints(k, "shape", &attr)) < 0)
			return ox_kerr(k, OX_EINVAL, "no shape attribute");
		if (!(shape = malloc(((size_t)n + 1) * sizeof *shape)))
			return ox_kerr(k, OX_ENOMEM, "out of memory");
		memcpy(shape, attr, (size_t)n * sizeof *shape);
	} else {
		if (!ox_kneed(k, 1))
			return OX_EINVAL;
		if ((n = ox_kints(k, ox_kin(k, 1), "shape", &shape)) < 0)
			return (int)n;
	}
	if (n > OX_MAX_RANK) {
		free(shape);
		return ox_kerr(k, OX_ELIMIT, "rank %lld is over the limit", (long long)n);
	}
	for (int i = 0; i < n; i++) {
		if (shape[i] == 0 && !allowzero) {
			if (i >= x->ndim) {
				free(shape);
				return ox_kerr(k, OX_EINVAL, "shape[%d] = 0 but the input has rank %d", i, x->ndim);
			}
			shape[i] = x->dims[i];
		}
		if (shape[i] == -1) {
			if (infer >= 0) {
				free(shape);
				return ox_kerr(k, OX_EINVAL, "more than one -1 in shape");
			}
			infer = i;
		} else if (shape[i] < 0) {
			free(shape);
			return ox_kerr(k, OX_EINVAL, "negative dimension in shape");
		} else {
			known = ox_shape_numel(1, &shape[i]) >= 0 && (shape[i] == 0 || known <= INT64_MAX / shape[i])
				? known * shape[i] : -1;
			if (known < 0) {
				free(shape);
				return ox_kerr(k, OX_ELIMIT, "shape too large");
			}
		}
	}
	if (infer >= 0) {
		if (known == 0 || x->nelem % known) {
			free(shape);
			return ox_kerr(k, OX_EINVAL, "cannot infer -1: %lld elements over %lld",
				       (long long)x->nelem, (long long)known);
		}
		shape[infer] = x->nelem / known;
	}
	r = reshaped(k, x, (int)n, shape);
	free(shape);
	return r;
}

int
ox_op_flatten(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int axis;
	int64_t dims[2] = { 1, 1 };

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (ox_kattr_i(k, "axis", 1) == x->ndim)
		axis = x->ndim;
	else if (!ox_kaxis(k, ox_kattr_i(k, "axis", 1), x->ndim, &axis))
		return OX_EINVAL;
	for (int i = 0; i < x->ndim; i++)
		dims[i < axis ? 0 : 1] *= x->dims[i];
	return reshaped(k, x, 2, dims);
}

/* Axes from the attribute (old opsets) or input 1; count or negative. */
static int64_t
get_axes(struct ox_kctx *k, int since_input, int input, int64_t **axes)
{
	const int64_t *attr;
	int64_t n;

	*axes = NULL;
	if (k->opset < since_input) {
		if ((n = ox_kattr_ints(k, "axes", &attr)) < 0)
			return 0;
		if (!(*axes = malloc(((size_t)n + 1) * sizeof **axes)))
			return ox_kerr(k, OX_ENOMEM, "out of memory");
		memcpy(*axes, attr, (size_t)n * sizeof **axes);
		return n;
	}
	if (!ox_kin(k, input))
		return 0;
	return ox_kints(k, ox_kin(k, input), "axes", axes);
}

int
ox_op_squeeze(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t *axes, n, dims[OX_MAX_RANK];
	bool drop[OX_MAX_RANK] = { false };
	int nd = 0, r;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if ((n = get_axes(k, 13, 1, &axes)) < 0)
		return (int)n;
	for (int64_t i = 0; i < n; i++) {
		int a;

		if (!ox_kaxis(k, axes[i], x->ndim, &a)) {
			free(axes);
			return OX_EINVAL;
		}
		if (x->dims[a] != 1) {
			free(axes);
			return ox_kerr(k, OX_EINVAL, "cannot squeeze axis %d of size %lld", a, (long long)x->dims[a]);
		}
		drop[a] = true;
	}
	for (int i = 0; i < x->ndim; i++)
		if (!(n ? drop[i] : x->dims[i] == 1))
			dims[nd++] = x->dims[i];
	free(axes);
	r = reshaped(k, x, nd, dims);
	return r;
}

int
ox_op_unsqueeze(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t *axes, n, dims[OX_MAX_RANK];
	bool ins[OX_MAX_RANK] = { false };
	int nd, j = 0;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if ((n = get_axes(k, 13, 1, &axes)) < 0)
		return (int)n;
	if (x->ndim + n > OX_MAX_RANK) {
		free(axes);
		return ox_kerr(k, OX_ELIMIT, "rank over the limit");
	}
	nd = (int)(x->ndim + n);
	for (int64_t i = 0; i < n; i++) {
		int a;

		if (!ox_kaxis(k, axes[i], nd, &a) || ins[a]) {
			free(axes);
			return ins[a] ? ox_kerr(k, OX_EINVAL, "repeated axis") : OX_EINVAL;
		}
		ins[a] = true;
	}
	free(axes);
	for (int i = 0; i < nd; i++)
		dims[i] = ins[i] ? 1 : x->dims[j++];
	return reshaped(k, x, nd, dims);
}

int
ox_op_transpose(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	const int64_t *perm;
	int64_t n, dims[OX_MAX_RANK], xs[OX_MAX_RANK], str[OX_MAX_RANK];
	bool seen[OX_MAX_RANK] = { false };
	struct ox_tensor *o;

	if (!ox_kneed(k, 0) || !movable(k, x->dtype))
		return OX_EINVAL;
	n = ox_kattr_ints(k, "perm", &perm);
	if (n >= 0 && n != x->ndim)
		return ox_kerr(k, OX_EINVAL, "perm has %lld entries for rank %d", (long long)n, x->ndim);
	strides_of(x, xs);
	for (int i = 0; i < x->ndim; i++) {
		int64_t p = n < 0 ? x->ndim - 1 - i : perm[i];

		if (p < 0 || p >= x->ndim || seen[p])
			return ox_kerr(k, OX_EINVAL, "perm is not a permutation");
		seen[p] = true;
		dims[i] = x->dims[p];
		str[i] = xs[p];
	}
	if (!(o = ox_kout_raw(k, 0, x->dtype, x->ndim, dims)))
		return OX_ENOMEM;
	return strided_copy(k, o, x, 0, str);
}

int
ox_op_concat(struct ox_kctx *k)
{
	const struct ox_tensor *x0 = NULL;
	int64_t dims[OX_MAX_RANK], outer = 1, inner = 1, pos = 0;
	struct ox_tensor *o;
	int axis;

	for (int i = 0; i < k->n_in && !x0; i++)
		x0 = ox_kin(k, i);
	if (!x0)
		return ox_kerr(k, OX_EINVAL, "no inputs");
	if (!movable(k, x0->dtype))
		return OX_EUNSUPPORTED;
	if (!ox_kaxis(k, ox_kattr_i(k, "axis", 1), x0->ndim, &axis))
		return OX_EINVAL;
	memcpy(dims, x0->dims, (size_t)x0->ndim * sizeof *dims);
	dims[axis] = 0;
	for (int i = 0; i < k->n_in; i++) {
		const struct ox_tensor *x = ox_kin(k, i);

		if (!x)
			continue;
		if (x->ndim != x0->ndim || x->dtype != x0->dtype)
			return ox_kerr(k, OX_EINVAL, "input %d has another rank or dtype", i);
		for (int d = 0; d < x->ndim; d++)
			if (d != axis && x->dims[d] != x0->dims[d])
				return ox_kerr(k, OX_EINVAL, "input %d: dimension %d is %lld, expected %lld", i, d,
					       (long long)x->dims[d], (long long)x0->dims[d]);
		if (x->dims[axis] > INT64_MAX - dims[axis])
			return ox_kerr(k, OX_ELIMIT, "concatenated dimension too large");
		dims[axis] += x->dims[axis];
	}
	for (int d = 0; d < axis; d++)
		outer *= dims[d];
	for (int d = axis + 1; d < x0->ndim; d++)
		inner *= dims[d];
	if (!(o = ox_kout_raw(k, 0, x0->dtype, x0->ndim, dims)))
		return OX_ENOMEM;
	for (int i = 0; i < k->n_in; i++) {
		const struct ox_tensor *x = ox_kin(k, i);
		int64_t w;

		if (!x)
			continue;
		w = x->dims[axis] * inner;
		for (int64_t r = 0; r < outer; r++)
			if (copy_elems(k, o, r * dims[axis] * inner + pos, x, r * w, w) < 0)
				return OX_ENOMEM;
		pos += w;
	}
	return 0;
}

int
ox_op_split(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t *split = NULL, n = 0, outer = 1, inner = 1, pos = 0, total = 0;
	const int64_t *attr;
	int axis, r = 0;

	if (!ox_kneed(k, 0) || !movable(k, x->dtype))
		return OX_EINVAL;
	if (!ox_kaxis(k, ox_kattr_i(k, "axis", 0), x->ndim, &axis))
		return OX_EINVAL;
	if (k->opset < 13 && (n = ox_kattr_ints(k, "split", &attr)) >= 0) {
		if (!(split = malloc(((size_t)n + 1) * sizeof *split)))
			return ox_kerr(k, OX_ENOMEM, "out of memory");
		memcpy(split, attr, (size_t)n * sizeof *split);
	} else if (k->opset >= 13 && ox_kin(k, 1)) {
		if ((n = ox_kints(k, ox_kin(k, 1), "split", &split)) < 0)
			return (int)n;
	} else if (k->opset < 13 && k->opset >= 2 && ox_kin(k, 1)) {
		if ((n = ox_kints(k, ox_kin(k, 1), "split", &split)) < 0)
			return (int)n;
	} else {
		int64_t parts = ox_kattr_i(k, "num_outputs", k->n_out), each;

		if (parts <= 0)
			return ox_kerr(k, OX_EINVAL, "no outputs");
		each = (x->dims[axis] + parts - 1) / parts;
		if (!(split = malloc(((size_t)parts + 1) * sizeof *split)))
			return ox_kerr(k, OX_ENOMEM, "out of memory");
		n = parts;
		for (int64_t i = 0; i < parts; i++) {
			int64_t left = x->dims[axis] - i * each;

			split[i] = left < 0 ? 0 : left < each ? left : each;
		}
	}
	if (n != k->n_out) {
		free(split);
		return ox_kerr(k, OX_EINVAL, "split has %lld parts for %d outputs", (long long)n, k->n_out);
	}
	for (int64_t i = 0; i < n; i++)
		total += split[i] < 0 ? -(INT64_MAX / 2) : split[i];
	if (total != x->dims[axis]) {
		free(split);
		return ox_kerr(k, OX_EINVAL, "split sizes do not add up to %lld", (long long)x->dims[axis]);
	}
	for (int d = 0; d < axis; d++)
		outer *= x->dims[d];
	for (int d = axis + 1; d < x->ndim; d++)
		inner *= x->dims[d];
	for (int i = 0; i < n && r == 0; i++) {
		int64_t dims[OX_MAX_RANK];
		struct ox_tensor *o;

		memcpy(dims, x->dims, (size_t)x->ndim * sizeof *dims);
		dims[axis] = split[i];
		if (!(o = ox_kout(k, i, x->dtype, x->ndim, dims))) {
			r = OX_ENOMEM;
			break;
		}
		for (int64_t row = 0; row < outer && r == 0; row++)
			r = copy_elems(k, o, row * split[i] * inner, x, row * x->dims[axis] * inner + pos * inner,
				       split[i] * inner);
		pos += split[i];
	}
	free(split);
	return r;
}

int
ox_op_slice(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t *starts = NULL, *ends = NULL, *axes = NULL, *steps = NULL, n, m;
	int64_t st[OX_MAX_RANK], en[OX_MAX_RANK], sp[OX_MAX_RANK], dims[OX_MAX_RANK];
	int64_t xs[OX_MAX_RANK], str[OX_MAX_RANK], base = 0;
	struct ox_tensor *o;
	int r = OX_EINVAL;

	if (!ox_kneed(k, 0) || !movable(k, x->dtype))
		return OX_EINVAL;
	if (k->opset < 10) {
		const int64_t *a;

		n = ox_kattr_ints(k, "starts", &a);
		if (n < 0 || !(starts = malloc(((size_t)n + 1) * sizeof *starts)))
			return ox_kerr(k, OX_EINVAL, "no starts");
		memcpy(starts, a, (size_t)n * sizeof *a);
		if (ox_kattr_ints(k, "ends", &a) != n || !(ends = malloc(((size_t)n + 1) * sizeof *ends))) {
			free(starts);
			return ox_kerr(k, OX_EINVAL, "ends do not match starts");
		}
		memcpy(ends, a, (size_t)n * sizeof *a);
		if ((m = ox_kattr_ints(k, "axes", &a)) >= 0) {
			if (m != n || !(axes = malloc(((size_t)n + 1) * sizeof *axes))) {
				r = ox_kerr(k, OX_EINVAL, "axes do not match starts");
				goto out;
			}
			memcpy(axes, a, (size_t)n * sizeof *a);
		}
	} else {
		if (!ox_kneed(k, 1) || !ox_kneed(k, 2))
			return OX_EINVAL;
		if ((n = ox_kints(k, ox_kin(k, 1), "starts", &starts)) < 0)
			return (int)n;
		if ((m = ox_kints(k, ox_kin(k, 2), "ends", &ends)) < 0 || m != n) {
			r = m < 0 ? (int)m : ox_kerr(k, OX_EINVAL, "ends do not match starts");
			goto out;
		}
		if (ox_kin(k, 3) && ((m = ox_kints(k, ox_kin(k, 3), "axes", &axes)) < 0 || m != n)) {
			r = m < 0 ? (int)m : ox_kerr(k, OX_EINVAL, "axes do not match starts");
			goto out;
		}
		if (ox_kin(k, 4) && ((m = ox_kints(k, ox_kin(k, 4), "steps", &steps)) < 0 || m != n)) {
			r = m < 0 ? (int)m : ox_kerr(k, OX_EINVAL, "steps do not match starts");
			goto out;
		}
	}
	for (int d = 0; d < x->ndim; d++) {
		st[d] = 0;
		en[d] = x->dims[d];
		sp[d] = 1;
	}
	for (int64_t i = 0; i < n; i++) {
		int a;
		int64_t dim, s, e, step = steps ? steps[i] : 1;

		if (!ox_kaxis(k, axes ? axes[i] : i, x->ndim, &a))
			goto out;
		if (step == 0) {
			r = ox_kerr(k, OX_EINVAL, "step 0");
			goto out;
		}
		dim = x->dims[a];
		s = starts[i];
		e = ends[i];
		if (s < 0)
			s += dim;
		if (e < 0)
			e += dim;
		if (step > 0) {
			s = s < 0 ? 0 : s > dim ? dim : s;
			e = e < 0 ? 0 : e > dim ? dim : e;
		} else {
			s = s < -1 ? -1 : s > dim - 1 ? dim - 1 : s;
			e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
		}
		st[a] = s;
		en[a] = e;
		sp[a] = step;
	}
	strides_of(x, xs);
	for (int d = 0; d < x->ndim; d++) {
		int64_t len = sp[d] > 0 ? (en[d] - st[d] + sp[d] - 1) / sp[d] : (st[d] - en[d] - sp[d] - 1) / -sp[d];

		dims[d] = len < 0 ? 0 : len;
		str[d] = xs[d] * sp[d];
		if (dims[d])
			base += st[d] * xs[d];
	}
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, dims))) {
		r = OX_ENOMEM;
		goto out;
	}
	r = strided_copy(k, o, x, base, str);
out:
	free(starts);
	free(ends);
	free(axes);
	free(steps);
	return r;
}

/* Gather: indices may be negative; every index is checked. */
int
ox_op_gather(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *ix = ox_kin(k, 1);
	int64_t dims[OX_MAX_RANK], outer = 1, inner = 1;
	struct ox_tensor *o;
	int axis, nd = 0;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1) || !movable(k, x->dtype))
		return OX_EINVAL;
	if (!ox_kaxis(k, ox_kattr_i(k, "axis", 0), x->ndim, &axis))
		return OX_EINVAL;
	if (!ox_dtype_is_int(ix->dtype))
		return ox_kerr(k, OX_EINVAL, "indices must be integers, got %s", ox_dtype_name(ix->dtype));
	if (x->ndim - 1 + ix->ndim > OX_MAX_RANK)
		return ox_kerr(k, OX_ELIMIT, "rank over the limit");
	for (int d = 0; d < axis; d++) {
		dims[nd++] = x->dims[d];
		outer *= x->dims[d];
	}
	for (int d = 0; d < ix->ndim; d++)
		dims[nd++] = ix->dims[d];
	for (int d = axis + 1; d < x->ndim; d++) {
		dims[nd++] = x->dims[d];
		inner *= x->dims[d];
	}
	if (!(o = ox_kout(k, 0, x->dtype, nd, dims)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < ix->nelem; i++) {
		int64_t v = ox_get_i64(ix, i), dim = x->dims[axis];

		if (v < -dim || v >= dim)
			return ox_kerr(k, OX_EINVAL, "index %lld is out of range [-%lld, %lld)", (long long)v,
				       (long long)dim, (long long)dim);
		if (v < 0)
			v += dim;
		for (int64_t r = 0; r < outer; r++)
			if (copy_elems(k, o, (r * ix->nelem + i) * inner, x, (r * dim + v) * inner, inner) < 0)
				return OX_ENOMEM;
	}
	return 0;
}

/* Linear index of the element of x at the output position held in idx, with axis's
 * coordinate replaced by v. */
static int64_t
lin(const int64_t *xs, const int64_t *idx, int nd, int axis, int64_t v)
{
	int64_t p = 0;

	for (int d = 0; d < nd; d++)
		p += (d == axis ? v : idx[d]) * xs[d];
	return p;
}

static bool
next_index(int64_t *idx, const int64_t *dims, int nd)
{
	for (int d = nd - 1; d >= 0; d--) {
		if (++idx[d] < dims[d])
			return true;
		idx[d] = 0;
	}
	return false;
}

int
ox_op_gather_elements(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *ix = ox_kin(k, 1);
	int64_t idx[OX_MAX_RANK] = { 0 }, xs[OX_MAX_RANK];
	struct ox_tensor *o;
	int axis;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1) || !movable(k, x->dtype))
		return OX_EINVAL;
	if (!ox_kaxis(k, ox_kattr_i(k, "axis", 0), x->ndim, &axis))
		return OX_EINVAL;
	if (ix->ndim != x->ndim || !ox_dtype_is_int(ix->dtype))
		return ox_kerr(k, OX_EINVAL, "indices must be integers of the data's rank");
	for (int d = 0; d < x->ndim; d++)
		if (d != axis && ix->dims[d] > x->dims[d])
			return ox_kerr(k, OX_EINVAL, "indices dimension %d is larger than the data's", d);
	if (!(o = ox_kout(k, 0, x->dtype, ix->ndim, ix->dims)))
		return OX_ENOMEM;
	strides_of(x, xs);
	for (int64_t i = 0; i < ix->nelem; i++) {
		int64_t v = ox_get_i64(ix, i), dim = x->dims[axis];

		if (v < -dim || v >= dim)
			return ox_kerr(k, OX_EINVAL, "index %lld is out of range", (long long)v);
		if (v < 0)
			v += dim;
		if (copy_elems(k, o, i, x, lin(xs, idx, x->ndim, axis, v), 1) < 0)
			return OX_ENOMEM;
		next_index(idx, ix->dims, ix->ndim);
	}
	return 0;
}

static int
reduce_into(struct ox_kctx *k, struct ox_tensor *o, int64_t di, const struct ox_tensor *u, int64_t si,
	    const char *red)
{
	double a, b;

	if (!strcmp(red, "none") || o->dtype == OX_STRING)
		return copy_elems(k, o, di, u, si, 1);
	a = ox_get_f64(o, di);
	b = ox_get_f64(u, si);
	if (!strcmp(red, "add"))
		a += b;
	else if (!strcmp(red, "mul"))
		a *= b;
	else if (!strcmp(red, "max"))
		a = a > b ? a : b;
	else if (!strcmp(red, "min"))
		a = a < b ? a : b;
	else
		return ox_kerr(k, OX_EUNSUPPORTED, "reduction '%s'", red);
	if (o->dtype == OX_INT64) {
		/* keep int64 exact */
		int64_t x = ox_get_i64(o, di), y = ox_get_i64(u, si);

		((int64_t *)o->data)[di] = !strcmp(red, "add") ? x + y : !strcmp(red, "mul") ? x * y :
					    !strcmp(red, "max") ? (x > y ? x : y) : (x < y ? x : y);
		return 0;
	}
	ox_set_f64(o, di, a);
	return 0;
}

/* ScatterElements (and the deprecated Scatter, its opset 9 spelling). */
int
ox_op_scatter_elements(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *ix = ox_kin(k, 1), *u = ox_kin(k, 2);
	int64_t idx[OX_MAX_RANK] = { 0 }, xs[OX_MAX_RANK];
	struct ox_tensor *o;
	char buf[16];
	const char *red = ox_kattr_s(k, "reduction", "none", buf, sizeof buf);
	int axis;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1) || !ox_kneed(k, 2) || !movable(k, x->dtype))
		return OX_EINVAL;
	if (!ox_kaxis(k, ox_kattr_i(k, "axis", 0), x->ndim, &axis))
		return OX_EINVAL;
	if (ix->ndim != x->ndim || u->ndim != x->ndim || !ox_dtype_is_int(ix->dtype) || u->dtype != x->dtype)
		return ox_kerr(k, OX_EINVAL, "indices and updates must match the data's rank and type");
	for (int d = 0; d < x->ndim; d++)
		if (ix->dims[d] != u->dims[d] || (d != axis && ix->dims[d] > x->dims[d]))
			return ox_kerr(k, OX_EINVAL, "indices and updates shapes do not fit");
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, x->dims)) || copy_elems(k, o, 0, x, 0, x->nelem) < 0)
		return OX_ENOMEM;
	strides_of(x, xs);
	for (int64_t i = 0; i < ix->nelem; i++) {
		int64_t v = ox_get_i64(ix, i), dim = x->dims[axis];

		if (v < -dim || v >= dim)
			return ox_kerr(k, OX_EINVAL, "index %lld is out of range", (long long)v);
		if (v < 0)
			v += dim;
		if (reduce_into(k, o, lin(xs, idx, x->ndim, axis, v), u, i, red) < 0)
			return OX_EINVAL;
		next_index(idx, ix->dims, ix->ndim);
	}
	return 0;
}

int
ox_op_gather_nd(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *ix = ox_kin(k, 1);
	int64_t b = ox_kattr_i(k, "batch_dims", 0), q, kk, dims[OX_MAX_RANK], nb = 1, inner = 1, xs[OX_MAX_RANK];
	int nd = 0;
	struct ox_tensor *o;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1) || !movable(k, x->dtype))
		return OX_EINVAL;
	q = ix->ndim;
	if (q < 1 || !ox_dtype_is_int(ix->dtype))
		return ox_kerr(k, OX_EINVAL, "indices must be integers of rank >= 1");
	kk = ix->dims[q - 1];
	if (b < 0 || b >= q || b + kk > x->ndim)
		return ox_kerr(k, OX_EINVAL, "indices do not fit the data");
	for (int d = 0; d < q - 1; d++)
		dims[nd++] = ix->dims[d];
	for (int64_t d = b + kk; d < x->ndim; d++) {
		dims[nd++] = x->dims[d];
		inner *= x->dims[d];
	}
	for (int d = 0; d < b; d++) {
		if (ix->dims[d] != x->dims[d])
			return ox_kerr(k, OX_EINVAL, "batch dimensions differ");
		nb *= x->dims[d];
	}
	if (!(o = ox_kout(k, 0, x->dtype, nd, dims)))
		return OX_ENOMEM;
	strides_of(x, xs);
	{
		int64_t per_batch = kk ? ix->nelem / kk / (nb ? nb : 1) : 0, bstride = b ? xs[b - 1] : 0;

		for (int64_t bi = 0; bi < nb; bi++)
			for (int64_t j = 0; j < per_batch; j++) {
				int64_t row = bi * per_batch + j, p = bi * bstride;

				for (int64_t c = 0; c < kk; c++) {
					int64_t v = ox_get_i64(ix, row * kk + c), dim = x->dims[b + c];

					if (v < -dim || v >= dim)
						return ox_kerr(k, OX_EINVAL, "index %lld is out of range", (long long)v);
					p += (v < 0 ? v + dim : v) * xs[b + c];
				}
				if (copy_elems(k, o, row * inner, x, p, inner) < 0)
					return OX_ENOMEM;
			}
	}
	return 0;
}

int
ox_op_scatter_nd(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *ix = ox_kin(k, 1), *u = ox_kin(k, 2);
	int64_t xs[OX_MAX_RANK], kk, inner = 1, rows;
	char buf[16];
	const char *red = ox_kattr_s(k, "reduction", "none", buf, sizeof buf);
	struct ox_tensor *o;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1) || !ox_kneed(k, 2) || !movable(k, x->dtype))
		return OX_EINVAL;
	if (ix->ndim < 1 || !ox_dtype_is_int(ix->dtype) || u->dtype != x->dtype)
		return ox_kerr(k, OX_EINVAL, "bad indices or updates");
	kk = ix->dims[ix->ndim - 1];
	if (kk > x->ndim)
		return ox_kerr(k, OX_EINVAL, "indices do not fit the data");
	for (int64_t d = kk; d < x->ndim; d++)
		inner *= x->dims[d];
	rows = kk ? ix->nelem / kk : 0;
	if (u->nelem != rows * inner)
		return ox_kerr(k, OX_EINVAL, "updates have the wrong size");
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, x->dims)) || copy_elems(k, o, 0, x, 0, x->nelem) < 0)
		return OX_ENOMEM;
	strides_of(x, xs);
	for (int64_t r = 0; r < rows; r++) {
		int64_t p = 0;

		for (int64_t c = 0; c < kk; c++) {
			int64_t v = ox_get_i64(ix, r * kk + c), dim = x->dims[c];

			if (v < -dim || v >= dim)
				return ox_kerr(k, OX_EINVAL, "index %lld is out of range", (long long)v);
			p += (v < 0 ? v + dim : v) * xs[c];
		}
		for (int64_t j = 0; j < inner; j++)
			if (reduce_into(k, o, p + j, u, r * inner + j, red) < 0)
				return OX_EINVAL;
	}
	return 0;
}

int
ox_op_shape(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t start = ox_kattr_i(k, "start", 0), end = ox_kattr_i(k, "end", INT64_MAX), n;
	struct ox_tensor *o;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (start < 0)
		start += x->ndim;
	if (end < 0)
		end += x->ndim;
	start = start < 0 ? 0 : start > x->ndim ? x->ndim : start;
	end = end < 0 ? 0 : end > x->ndim ? x->ndim : end;
	n = end > start ? end - start : 0;
	if (!(o = ox_kout(k, 0, OX_INT64, 1, &n)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < n; i++)
		((int64_t *)o->data)[i] = x->dims[start + i];
	return 0;
}

int
ox_op_size(struct ox_kctx *k)
{
	struct ox_tensor *o;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (!(o = ox_kout(k, 0, OX_INT64, 0, NULL)))
		return OX_ENOMEM;
	((int64_t *)o->data)[0] = ox_kin(k, 0)->nelem;
	return 0;
}

int
ox_op_expand(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *ts[2];
	int64_t *shape, n, xs[OX_MAX_RANK], str[OX_MAX_RANK];
	struct ox_tensor fake, *o;
	struct ox_bcast bc;
	int r;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1) || !movable(k, x->dtype))
		return OX_EINVAL;
	if ((n = ox_kints(k, ox_kin(k, 1), "shape", &shape)) < 0)
		return (int)n;
	if (n > OX_MAX_RANK) {
		free(shape);
		return ox_kerr(k, OX_ELIMIT, "rank over the limit");
	}
	memset(&fake, 0, sizeof fake);
	fake.ndim = (int)n;
	fake.dims = shape;
	ts[0] = x;
	ts[1] = &fake;
	r = ox_bcast_init(k, &bc, 2, ts);
	free(shape);
	if (r < 0)
		return r;
	if (!(o = ox_kout(k, 0, x->dtype, bc.ndim, bc.dims)))
		return OX_ENOMEM;
	strides_of(x, xs);
	for (int d = 0; d < bc.ndim; d++) {
		int xd = d - (bc.ndim - x->ndim);

		str[d] = xd < 0 || x->dims[xd] == 1 ? 0 : xs[xd];
	}
	return strided_copy(k, o, x, 0, str);
}

int
ox_op_tile(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t *rep, n, dims[OX_MAX_RANK], idx[OX_MAX_RANK] = { 0 }, xs[OX_MAX_RANK];
	struct ox_tensor *o;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1) || !movable(k, x->dtype))
		return OX_EINVAL;
	if ((n = ox_kints(k, ox_kin(k, 1), "repeats", &rep)) < 0)
		return (int)n;
	if (n != x->ndim) {
		free(rep);
		return ox_kerr(k, OX_EINVAL, "repeats has %lld entries for rank %d", (long long)n, x->ndim);
	}
	for (int d = 0; d < x->ndim; d++) {
		if (rep[d] < 0 || (rep[d] && x->dims[d] > INT64_MAX / rep[d])) {
			free(rep);
			return ox_kerr(k, OX_EINVAL, "repeat %lld is negative or too large", (long long)rep[d]);
		}
		dims[d] = x->dims[d] * rep[d];
	}
	free(rep);
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, dims)))
		return OX_ENOMEM;
	strides_of(x, xs);
	for (int64_t i = 0; i < o->nelem; i++) {
		int64_t p = 0;

		for (int d = 0; d < x->ndim; d++)
			p += (idx[d] % x->dims[d]) * xs[d];
		if (copy_elems(k, o, i, x, p, 1) < 0)
			return OX_ENOMEM;
		next_index(idx, dims, x->ndim);
	}
	return 0;
}

int
ox_op_pad(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t *pads = NULL, n, dims[OX_MAX_RANK], idx[OX_MAX_RANK] = { 0 }, xs[OX_MAX_RANK];
	int64_t before[OX_MAX_RANK] = { 0 }, after[OX_MAX_RANK] = { 0 };
	char buf[16];
	const char *mode = ox_kattr_s(k, "mode", "constant", buf, sizeof buf);
	double value = 0;
	struct ox_tensor *o;
	int nd;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	nd = x->ndim;
	if (x->dtype == OX_STRING || !ox_dtype_bits(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (k->opset < 11) {
		const int64_t *a;
		const float *f;

		if ((n = ox_kattr_ints(k, k->opset < 2 ? "paddings" : "pads", &a)) < 0)
			return ox_kerr(k, OX_EINVAL, "no pads");
		if (!(pads = malloc(((size_t)n + 1) * sizeof *pads)))
			return ox_kerr(k, OX_ENOMEM, "out of memory");
		memcpy(pads, a, (size_t)n * sizeof *a);
		value = ox_kattr_f(k, "value", 0);
		(void)f;
	} else {
		if (!ox_kneed(k, 1))
			return OX_EINVAL;
		if ((n = ox_kints(k, ox_kin(k, 1), "pads", &pads)) < 0)
			return (int)n;
		if (ox_kin(k, 2) && ox_kin(k, 2)->nelem > 0)
			value = ox_get_f64(ox_kin(k, 2), 0);
	}
	if (ox_kin(k, 3)) {
		int64_t *axes, na = ox_kints(k, ox_kin(k, 3), "axes", &axes);

		if (na < 0 || 2 * na != n) {
			free(pads);
			free(axes);
			return na < 0 ? (int)na : ox_kerr(k, OX_EINVAL, "pads do not match axes");
		}
		for (int64_t i = 0; i < na; i++) {
			int a;

			if (!ox_kaxis(k, axes[i], nd, &a)) {
				free(pads);
				free(axes);
				return OX_EINVAL;
			}
			before[a] = pads[i];
			after[a] = pads[na + i];
		}
		free(axes);
	} else {
		if (n != 2 * nd) {
			free(pads);
			return ox_kerr(k, OX_EINVAL, "pads has %lld entries for rank %d", (long long)n, nd);
		}
		for (int d = 0; d < nd; d++) {
			before[d] = pads[d];
			after[d] = pads[nd + d];
		}
	}
	free(pads);
	for (int d = 0; d < nd; d++) {
		if (before[d] > INT64_MAX / 4 || after[d] > INT64_MAX / 4 || before[d] < -INT64_MAX / 4 ||
		    after[d] < -INT64_MAX / 4)
			return ox_kerr(k, OX_ELIMIT, "pads too large");
		dims[d] = x->dims[d] + before[d] + after[d];
		if (dims[d] < 0)
			return ox_kerr(k, OX_EINVAL, "pads make dimension %d negative", d);
		if (strcmp(mode, "constant") && x->dims[d] == 0 && dims[d] > 0)
			return ox_kerr(k, OX_EINVAL, "cannot pad an empty dimension in mode %s", mode);
	}
	if (!(o = ox_kout(k, 0, x->dtype, nd, dims)))
		return OX_ENOMEM;
	strides_of(x, xs);
	for (int64_t i = 0; i < o->nelem; i++) {
		int64_t p = 0;
		bool outside = false;

		for (int d = 0; d < nd; d++) {
			int64_t c = idx[d] - before[d], w = x->dims[d];

			if (c < 0 || c >= w) {
				if (!strcmp(mode, "constant")) {
					outside = true;
					break;
				} else if (!strcmp(mode, "edge")) {
					c = c < 0 ? 0 : w - 1;
				} else if (!strcmp(mode, "reflect")) {
					int64_t period = 2 * (w - 1);

					if (w == 1) {
						c = 0;
					} else {
						c = c < 0 ? -c : c;
						c %= period;
						if (c >= w)
							c = period - c;
					}
				} else if (!strcmp(mode, "wrap")) {
					c = ((c % w) + w) % w;
				} else {
					return ox_kerr(k, OX_EUNSUPPORTED, "mode '%s'", mode);
				}
			}
			p += c * xs[d];
		}
		if (outside)
			ox_set_f64(o, i, value);
		else if (copy_elems(k, o, i, x, p, 1) < 0)
			return OX_ENOMEM;
		next_index(idx, dims, nd);
	}
	return 0;
}

int
ox_op_constant(struct ox_kctx *k)
{
	const struct ox_attr *a;
	struct ox_tensor *o;

	if ((a = ox_node_attr(k->node, "value")) && a->t) {
		if (!(o = ox_xtensor_copy(a->t)))
			return ox_kerr(k, OX_ENOMEM, "out of memory (or a tensor without data)");
		ox_xtensor_free(k->out[0]);
		k->out[0] = o;
		return 0;
	}
	if ((a = ox_node_attr(k->node, "value_float")) && a->has_f) {
		if (!(o = ox_kout(k, 0, OX_FLOAT, 0, NULL)))
			return OX_ENOMEM;
		((float *)o->data)[0] = a->f;
		return 0;
	}
	if ((a = ox_node_attr(k->node, "value_int")) && a->has_i) {
		if (!(o = ox_kout(k, 0, OX_INT64, 0, NULL)))
			return OX_ENOMEM;
		((int64_t *)o->data)[0] = a->i;
		return 0;
	}
	if ((a = ox_node_attr(k->node, "value_floats"))) {
		int64_t n = (int64_t)a->n_floats;

		if (!(o = ox_kout(k, 0, OX_FLOAT, 1, &n)))
			return OX_ENOMEM;
		if (n)
			memcpy(o->data, a->floats, (size_t)n * sizeof(float));
		return 0;
	}
	if ((a = ox_node_attr(k->node, "value_ints"))) {
		int64_t n = (int64_t)a->n_ints;

		if (!(o = ox_kout(k, 0, OX_INT64, 1, &n)))
			return OX_ENOMEM;
		if (n)
			memcpy(o->data, a->ints, (size_t)n * sizeof(int64_t));
		return 0;
	}
	if ((a = ox_node_attr(k->node, "value_string")) && a->has_s) {
		if (!(o = ox_kout(k, 0, OX_STRING, 0, NULL)) || ox_xtensor_set_string(o, 0, a->s.data, a->s.len) < 0)
			return ox_kerr(k, OX_ENOMEM, "out of memory");
		return 0;
	}
	if ((a = ox_node_attr(k->node, "value_strings"))) {
		int64_t n = (int64_t)a->n_strings;

		if (!(o = ox_kout(k, 0, OX_STRING, 1, &n)))
			return OX_ENOMEM;
		for (int64_t i = 0; i < n; i++)
			if (ox_xtensor_set_string(o, i, a->strings[i].data, a->strings[i].len) < 0)
				return ox_kerr(k, OX_ENOMEM, "out of memory");
		return 0;
	}
	return ox_kerr(k, OX_EUNSUPPORTED, "no supported value attribute (sparse_value?)");
}

int
ox_op_constant_of_shape(struct ox_kctx *k)
{
	const struct ox_attr *a = ox_node_attr(k->node, "value");
	int64_t *shape, n;
	struct ox_tensor *o;
	int dtype = a && a->t ? a->t->dtype : OX_FLOAT;
	int r = 0;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if ((n = ox_kints(k, ox_kin(k, 0), "shape", &shape)) < 0)
		return (int)n;
	if (n > OX_MAX_RANK) {
		free(shape);
		return ox_kerr(k, OX_ELIMIT, "rank over the limit");
	}
	if (a && a->t && (a->t->nelem != 1 || !movable(k, dtype))) {
		free(shape);
		return ox_kerr(k, OX_EINVAL, "value must hold one element");
	}
	o = ox_kout(k, 0, dtype, (int)n, shape);
	free(shape);
	if (!o)
		return OX_ENOMEM;
	if (a && a->t)
		for (int64_t i = 0; i < o->nelem && r == 0; i++)
			r = copy_elems(k, o, i, a->t, 0, 1);
	return r;
}

int
ox_op_range(struct ox_kctx *k)
{
	const struct ox_tensor *s = ox_kin(k, 0), *l = ox_kin(k, 1), *d = ox_kin(k, 2);
	struct ox_tensor *o;
	int64_t n;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1) || !ox_kneed(k, 2))
		return OX_EINVAL;
	if (s->nelem != 1 || l->nelem != 1 || d->nelem != 1)
		return ox_kerr(k, OX_EINVAL, "start, limit and delta must be scalars");
	if (ox_dtype_is_int(s->dtype)) {
		int64_t a = ox_get_i64(s, 0), b = ox_get_i64(l, 0), c = ox_get_i64(d, 0);

		if (c == 0)
			return ox_kerr(k, OX_EINVAL, "delta is 0");
		/* b - a may not fit in int64; long double holds it exactly */
		if (fabsl(((long double)b - (long double)a) / (long double)c) > 1e12L)
			return ox_kerr(k, OX_ELIMIT, "range too long");
		n = (b - a) / c + ((b - a) % c != 0);
		n = n < 0 ? 0 : n;
		if (!(o = ox_kout(k, 0, s->dtype, 1, &n)))
			return OX_ENOMEM;
		for (int64_t i = 0; i < n; i++) {
			if (s->dtype == OX_INT64)
				((int64_t *)o->data)[i] = a + i * c;
			else
				ox_set_f64(o, i, (double)(a + i * c));
		}
		return 0;
	}
	{
		double a = ox_get_f64(s, 0), b = ox_get_f64(l, 0), c = ox_get_f64(d, 0), cnt;

		if (c == 0 || !ox_dtype_is_float(s->dtype))
			return c == 0 ? ox_kerr(k, OX_EINVAL, "delta is 0") : ox_kdtype(k, s->dtype);
		cnt = ceil((b - a) / c);
		if (!(cnt < 1e12))
			return ox_kerr(k, OX_ELIMIT, "range too long");
		n = cnt < 0 ? 0 : (int64_t)cnt;
		if (!(o = ox_kout(k, 0, s->dtype, 1, &n)))
			return OX_ENOMEM;
		for (int64_t i = 0; i < n; i++)
			ox_set_f64(o, i, s->dtype == OX_FLOAT ? (double)((float)a + (float)i * (float)c) : a + (double)i * c);
	}
	return 0;
}

int
ox_op_eye_like(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t kk = ox_kattr_i(k, "k", 0), dt = ox_kattr_i(k, "dtype", 0);
	struct ox_tensor *o;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (x->ndim != 2)
		return ox_kerr(k, OX_EINVAL, "input must be 2-D");
	if (!(o = ox_kout(k, 0, dt ? (int)dt : x->dtype, 2, x->dims)))
		return OX_ENOMEM;
	if (!ox_dtype_bits(o->dtype) || o->dtype == OX_STRING)
		return ox_kdtype(k, o->dtype);
	for (int64_t i = 0; i < x->dims[0]; i++)
		if (i + kk >= 0 && i + kk < x->dims[1])
			ox_set_f64(o, i * x->dims[1] + i + kk, 1);
	return 0;
}

int
ox_op_trilu(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t kk = ox_kin(k, 1) ? ox_get_i64(ox_kin(k, 1), 0) : 0, rows, cols;
	bool upper = ox_kattr_i(k, "upper", 1);
	struct ox_tensor *o;
	int r;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (x->ndim < 2)
		return ox_kerr(k, OX_EINVAL, "input must have rank >= 2");
	if ((r = ox_op_identity(k)) < 0)
		return r;
	o = k->out[0];
	if (o->dtype == OX_STRING)
		return ox_kdtype(k, o->dtype);
	rows = x->dims[x->ndim - 2];
	cols = x->dims[x->ndim - 1];
	for (int64_t i = 0; i < o->nelem; i++) {
		int64_t c = i % cols, rr = (i / cols) % rows;
		bool keep = upper ? c - rr >= kk : c - rr <= kk;

		if (!keep) {
			size_t es = esize(o->dtype);

			memset((char *)o->data + (size_t)i * es, 0, es);
		}
	}
	return 0;
}

static int
depth_space(struct ox_kctx *k, bool to_space)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t b = ox_kattr_i(k, "blocksize", 0), n, c, h, w, dims[4];
	char buf[8];
	bool crd = !strcmp(ox_kattr_s(k, "mode", "DCR", buf, sizeof buf), "CRD");
	struct ox_tensor *o;

	if (!ox_kneed(k, 0) || !movable(k, x->dtype))
		return OX_EINVAL;
	if (x->ndim != 4 || b <= 0)
		return ox_kerr(k, OX_EINVAL, "needs a 4-D input and a positive blocksize");
	n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
	if (to_space) {
		if (c % (b * b))
			return ox_kerr(k, OX_EINVAL, "channels not divisible by blocksize^2");
		dims[0] = n, dims[1] = c / (b * b), dims[2] = h * b, dims[3] = w * b;
	} else {
		if (h % b || w % b)
			return ox_kerr(k, OX_EINVAL, "spatial dims not divisible by blocksize");
		dims[0] = n, dims[1] = c * b * b, dims[2] = h / b, dims[3] = w / b;
	}
	if (!(o = ox_kout(k, 0, x->dtype, 4, dims)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < o->nelem; i++) {
		int64_t ow = i % dims[3], oh = (i / dims[3]) % dims[2], oc = (i / dims[3] / dims[2]) % dims[1];
		int64_t on = i / dims[3] / dims[2] / dims[1], src;

		if (to_space) {
			int64_t bh = oh % b, bw = ow % b, ic;

			ic = crd ? oc * b * b + bh * b + bw : (bh * b + bw) * dims[1] + oc;
			src = ((on * c + ic) * h + oh / b) * w + ow / b;
		} else {
			int64_t cc = oc % c, blk = oc / c, bh = blk / b, bw = blk % b;

			src = ((on * c + cc) * h + oh * b + bh) * w + ow * b + bw;
		}
		if (copy_elems(k, o, i, x, src, 1) < 0)
			return OX_ENOMEM;
	}
	return 0;
}

int ox_op_depth_to_space(struct ox_kctx *k) { return depth_space(k, true); }
int ox_op_space_to_depth(struct ox_kctx *k) { return depth_space(k, false); }

int
ox_op_one_hot(struct ox_kctx *k)
{
	const struct ox_tensor *ix = ox_kin(k, 0), *dep = ox_kin(k, 1), *val = ox_kin(k, 2);
	int64_t depth, dims[OX_MAX_RANK], outer = 1, inner = 1;
	struct ox_tensor *o;
	int axis, nd;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1) || !ox_kneed(k, 2))
		return OX_EINVAL;
	if (dep->nelem != 1 || val->nelem != 2 || !movable(k, val->dtype))
		return ox_kerr(k, OX_EINVAL, "depth must be a scalar and values have two elements");
	depth = ox_get_i64(dep, 0);
	if (ox_dtype_is_float(dep->dtype))
		depth = (int64_t)ox_get_f64(dep, 0);
	if (depth <= 0)
		return ox_kerr(k, OX_EINVAL, "depth must be positive");
	nd = ix->ndim + 1;
	if (nd > OX_MAX_RANK || !ox_kaxis(k, ox_kattr_i(k, "axis", -1), nd, &axis))
		return OX_EINVAL;
	for (int d = 0, j = 0; d < nd; d++)
		dims[d] = d == axis ? depth : ix->dims[j++];
	for (int d = 0; d < axis; d++)
		outer *= dims[d];
	for (int d = axis + 1; d < nd; d++)
		inner *= dims[d];
	if (!(o = ox_kout(k, 0, val->dtype, nd, dims)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < o->nelem; i++)
		if (copy_elems(k, o, i, val, 0, 1) < 0)
			return OX_ENOMEM;
	for (int64_t r = 0; r < outer; r++)
		for (int64_t j = 0; j < inner; j++) {
			int64_t v = ox_dtype_is_float(ix->dtype) ? (int64_t)ox_get_f64(ix, r * inner + j)
								 : ox_get_i64(ix, r * inner + j);

			if (v < -depth || v >= depth)
				continue;
			if (v < 0)
				v += depth;
			if (copy_elems(k, o, (r * depth + v) * inner + j, val, 1, 1) < 0)
				return OX_ENOMEM;
		}
	return 0;
}

int
ox_op_non_zero(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t cnt = 0, dims[2], idx[OX_MAX_RANK] = { 0 }, j = 0;
	struct ox_tensor *o;

	if (!ox_kneed(k, 0) || x->dtype == OX_STRING || !ox_dtype_bits(x->dtype))
		return ox_kin(k, 0) ? ox_kdtype(k, x->dtype) : OX_EINVAL;
	for (int64_t i = 0; i < x->nelem; i++)
		cnt += ox_get_f64(x, i) != 0;
	dims[0] = x->ndim;
	dims[1] = cnt;
	if (!(o = ox_kout(k, 0, OX_INT64, 2, dims)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < x->nelem; i++) {
		if (ox_get_f64(x, i) != 0) {
			for (int d = 0; d < x->ndim; d++)
				((int64_t *)o->data)[d * cnt + j] = idx[d];
			j++;
		}
		next_index(idx, x->dims, x->ndim);
	}
	return 0;
}

int
ox_op_compress(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *c = ox_kin(k, 1);
	const struct ox_attr *has_axis = ox_node_attr(k->node, "axis");
	int64_t dims[OX_MAX_RANK], outer = 1, inner = 1, dim, cnt = 0, j = 0;
	struct ox_tensor *o;
	int axis = 0, nd;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1) || !movable(k, x->dtype))
		return OX_EINVAL;
	if (has_axis) {
		if (!ox_kaxis(k, has_axis->i, x->ndim, &axis))
			return OX_EINVAL;
		nd = x->ndim;
		memcpy(dims, x->dims, (size_t)nd * sizeof *dims);
		for (int d = 0; d < axis; d++)
			outer *= x->dims[d];
		for (int d = axis + 1; d < x->ndim; d++)
			inner *= x->dims[d];
		dim = x->dims[axis];
	} else {
		nd = 1;
		dim = x->nelem;
	}
	for (int64_t i = 0; i < c->nelem && i < dim; i++)
		cnt += ox_get_f64(c, i) != 0;
	dims[has_axis ? axis : 0] = cnt;
	if (!(o = ox_kout(k, 0, x->dtype, nd, dims)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < c->nelem && i < dim; i++) {
		if (ox_get_f64(c, i) == 0)
			continue;
		for (int64_t r = 0; r < outer; r++)
			if (copy_elems(k, o, (r * cnt + j) * inner, x, (r * dim + i) * inner, inner) < 0)
				return OX_ENOMEM;
		j++;
	}
	return 0;
}

/* ops/misc.c: CumSum, TopK, Det, ReverseSequence, MaxUnpool, the window functions
 * (Hann, Hamming, Blackman), Unique and NonMaxSuppression. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

/* outer/len/inner around axis. */
static void
split_axis(const struct ox_tensor *x, int axis, int64_t *outer, int64_t *len, int64_t *inner)
{
	*outer = *inner = 1;
	for (int d = 0; d < axis; d++)
		*outer *= x->dims[d];
	for (int d = axis + 1; d < x->ndim; d++)
		*inner *= x->dims[d];
	*len = x->ndim ? x->dims[axis] : 1;
}

int
ox_op_cumsum(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *ax = ox_kin(k, 1);
	bool excl = ox_kattr_i(k, "exclusive", 0), rev = ox_kattr_i(k, "reverse", 0);
	int64_t outer, len, inner;
	struct ox_tensor *o;
	int axis;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype) && !ox_dtype_is_int(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (ax->nelem != 1 || !ox_kaxis(k, ox_get_i64(ax, 0), x->ndim, &axis))
		return OX_EINVAL;
	split_axis(x, axis, &outer, &len, &inner);
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, x->dims)))
		return OX_ENOMEM;
	for (int64_t r = 0; r < outer; r++)
		for (int64_t j = 0; j < inner; j++) {
			double acc = 0;
			int64_t iacc = 0;

			for (int64_t q = 0; q < len; q++) {
				int64_t i = rev ? len - 1 - q : q, p = (r * len + i) * inner + j;

				if (x->dtype == OX_INT64) {
					if (excl) {
						((int64_t *)o->data)[p] = iacc;
						iacc += ((const int64_t *)x->data)[p];
					} else {
						iacc += ((const int64_t *)x->data)[p];
						((int64_t *)o->data)[p] = iacc;
					}
					continue;
				}
				if (excl) {
					ox_set_f64(o, p, acc);
					acc += ox_get_f64(x, p);
				} else {
					acc += ox_get_f64(x, p);
					ox_set_f64(o, p, acc);
				}
			}
		}
	return 0;
}

struct kv {
	double v;
	int64_t i;
};

static int
cmp_largest(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;

	if (x->v != y->v)
		return x->v > y->v ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int
cmp_smallest(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int
ox_op_topk(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	bool largest = ox_kattr_i(k, "largest", 1);
	int64_t kk, outer, len, inner, dims[OX_MAX_RANK];
	struct ox_tensor *ov, *oi;
	struct kv *buf;
	int axis;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype) && !ox_dtype_is_int(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (k->opset < 10) {
		kk = ox_kattr_i(k, "k", -1);
	} else {
		if (!ox_kneed(k, 1) || ox_kin(k, 1)->nelem != 1)
			return ox_kerr(k, OX_EINVAL, "K must hold one integer");
		kk = ox_get_i64(ox_kin(k, 1), 0);
	}
	if (!ox_kaxis(k, ox_kattr_i(k, "axis", -1), x->ndim, &axis))
		return OX_EINVAL;
	split_axis(x, axis, &outer, &len, &inner);
	if (kk < 0 || kk > len)
		return ox_kerr(k, OX_EINVAL, "K = %lld is out of range [0, %lld]", (long long)kk, (long long)len);
	memcpy(dims, x->dims, (size_t)x->ndim * sizeof *dims);
	dims[axis] = kk;
	if (!(ov = ox_kout(k, 0, x->dtype, x->ndim, dims)) || !(oi = ox_kout(k, 1, OX_INT64, x->ndim, dims)))
		return OX_ENOMEM;
	if (!(buf = malloc(((size_t)len + 1) * sizeof *buf)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	for (int64_t r = 0; r < outer; r++)
		for (int64_t j = 0; j < inner; j++) {
			for (int64_t i = 0; i < len; i++) {
				buf[i].v = ox_get_f64(x, (r * len + i) * inner + j);
				buf[i].i = i;
			}
			qsort(buf, (size_t)len, sizeof *buf, largest ? cmp_largest : cmp_smallest);
			for (int64_t i = 0; i < kk; i++) {
				int64_t p = (r * kk + i) * inner + j;

				if (x->dtype == OX_INT64)
					((int64_t *)ov->data)[p] = ((const int64_t *)x->data)[(r * len + buf[i].i) * inner + j];
				else
					ox_set_f64(ov, p, buf[i].v);
				((int64_t *)oi->data)[p] = buf[i].i;
			}
		}
	free(buf);
	return 0;
}

int
ox_op_det(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t n, batch;
	double *a;
	struct ox_tensor *o;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (x->ndim < 2 || x->dims[x->ndim - 1] != x->dims[x->ndim - 2])
		return ox_kerr(k, OX_EINVAL, "input must be [..., M, M]");
	n = x->dims[x->ndim - 1];
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim - 2, x->dims)))
		return OX_ENOMEM;
	batch = o->nelem;
	if (!(a = malloc(((size_t)(n * n) + 1) * sizeof *a)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	for (int64_t b = 0; b < batch; b++) {
		double det = 1;

		for (int64_t i = 0; i < n * n; i++)
			a[i] = ox_get_f64(x, b * n * n + i);
		/* Gaussian elimination with partial pivoting. */
		for (int64_t c = 0; c < n && det != 0; c++) {
			int64_t p = c;

			for (int64_t r = c + 1; r < n; r++)
				if (fabs(a[r * n + c]) > fabs(a[p * n + c]))
					p = r;
			if (a[p * n + c] == 0) {
				det = 0;
				break;
			}
			if (p != c) {
				for (int64_t j = 0; j < n; j++) {
					double t = a[c * n + j];

					a[c * n + j] = a[p * n + j];
					a[p * n + j] = t;
				}
				det = -det;
			}
			det *= a[c * n + c];
			for (int64_t r = c + 1; r < n; r++) {
				double f = a[r * n + c] / a[c * n + c];

				for (int64_t j = c; j < n; j++)
					a[r * n + j] -= f * a[c * n + j];
			}
		}
		ox_set_f64(o, b, det);
	}
	free(a);
	return 0;
}

int
ox_op_reverse_sequence(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *lens = ox_kin(k, 1);
	int64_t bax = ox_kattr_i(k, "batch_axis", 1), tax = ox_kattr_i(k, "time_axis", 0);
	int64_t idx[OX_MAX_RANK] = { 0 }, xs[OX_MAX_RANK], s = 1;
	struct ox_tensor *o;
	size_t es;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (x->ndim < 2 || bax < 0 || tax < 0 || bax >= x->ndim || tax >= x->ndim || bax == tax)
		return ox_kerr(k, OX_EINVAL, "bad batch_axis/time_axis");
	if (lens->nelem != x->dims[bax])
		return ox_kerr(k, OX_EINVAL, "sequence_lens must have %lld elements", (long long)x->dims[bax]);
	if (x->dtype == OX_STRING || !ox_dtype_bits(x->dtype) || ox_dtype_bits(x->dtype) % 8)
		return ox_kdtype(k, x->dtype);
	es = (size_t)ox_dtype_bits(x->dtype) / 8;
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, x->dims)))
		return OX_ENOMEM;
	for (int d = x->ndim - 1; d >= 0; d--) {
		xs[d] = s;
		s *= x->dims[d];
	}
	for (int64_t i = 0; i < x->nelem; i++) {
		int64_t len = ox_get_i64(lens, idx[bax]), t = idx[tax], src = i;

		if (len > x->dims[tax])
			len = x->dims[tax];
		if (t < len)
			src = i + (len - 1 - 2 * t) * xs[tax];
		memcpy((char *)o->data + (size_t)i * es, (const char *)x->data + (size_t)src * es, es);
		for (int d = x->ndim - 1; d >= 0; d--) {
			if (++idx[d] < x->dims[d])
				break;
			idx[d] = 0;
		}
	}
	return 0;
}

int
ox_op_max_unpool(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *ix = ox_kin(k, 1), *os = ox_kin(k, 2);
	int64_t dims[OX_MAX_RANK], inf[OX_MAX_RANK], ninf;
	struct ox_window w;
	struct ox_tensor *o;
	int r;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype))
		return ox_kdtype(k, x->dtype);
	if ((r = ox_kwindow(k, &w, x, NULL, true)) < 0)
		return r;
	if (ix->nelem != x->nelem || !ox_dtype_is_int(ix->dtype))
		return ox_kerr(k, OX_EINVAL, "indices must match X");
	/* Indices address the shape the pooling saw (inferred here); an output_shape
	 * only enlarges the canvas, the values stay at the top-left (ONNX reference). */
	inf[0] = dims[0] = x->dims[0];
	inf[1] = dims[1] = x->dims[1];
	for (int i = 0; i < w.nsp; i++)
		inf[i + 2] = dims[i + 2] = (w.in[i] - 1) * w.stride[i] + w.kernel[i] - w.pad0[i] - w.pad1[i];
	if (os) {
		if (os->nelem != x->ndim)
			return ox_kerr(k, OX_EINVAL, "output_shape must have %d elements", x->ndim);
		for (int d = 0; d < x->ndim; d++)
			dims[d] = ox_get_i64(os, d);
	}
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, dims)))
		return OX_ENOMEM;
	ninf = ox_shape_numel(x->ndim, inf);
	for (int64_t i = 0; i < x->nelem; i++) {
		int64_t p = ox_get_i64(ix, i), q = 0, rem = p, mul = 1;
		bool inside = true;

		if (p < 0 || p >= ninf)
			return ox_kerr(k, OX_EINVAL, "index %lld is out of range", (long long)p);
		for (int d = x->ndim - 1; d >= 0; d--) {
			int64_t c = rem % inf[d];

			rem /= inf[d];
			if (c >= dims[d])
				inside = false;
			q += c * mul;
			mul *= dims[d];
		}
		if (inside)
			ox_set_f64(o, q, ox_get_f64(x, i));
	}
	return 0;
}

enum window { HANN, HAMMING, BLACKMAN };

static int
window(struct ox_kctx *k, enum window kind)
{
	const struct ox_tensor *sz = ox_kin(k, 0);
	bool periodic = ox_kattr_i(k, "periodic", 1);
	int dt = (int)ox_kattr_i(k, "output_datatype", OX_FLOAT);
	int64_t n;
	double nn;
	struct ox_tensor *o;

	if (!ox_kneed(k, 0) || sz->nelem != 1)
		return ox_kerr(k, OX_EINVAL, "size must be a scalar");
	n = ox_get_i64(sz, 0);
	if (n < 0)
		return ox_kerr(k, OX_EINVAL, "negative size");
	if (!(o = ox_kout(k, 0, dt, 1, &n)))
		return OX_ENOMEM;
	if (!ox_dtype_is_float(dt) && !ox_dtype_is_int(dt))
		return ox_kdtype(k, dt);
	nn = (double)(periodic ? n : n - 1);
	for (int64_t i = 0; i < n; i++) {
		double t = 2 * M_PI * (double)i / nn, v;

		switch (kind) {
		case HANN: v = 0.5 - 0.5 * cos(t); break;
		case HAMMING: v = 25.0 / 46.0 - 21.0 / 46.0 * cos(t); break;
		default: v = 0.42 - 0.5 * cos(t) + 0.08 * cos(2 * t); break;
		}
		ox_set_f64(o, i, v);
	}
	return 0;
}

int ox_op_hann_window(struct ox_kctx *k) { return window(k, HANN); }
int ox_op_hamming_window(struct ox_kctx *k) { return window(k, HAMMING); }
int ox_op_blackman_window(struct ox_kctx *k) { return window(k, BLACKMAN); }

/* Unique works on slices along axis (single elements without one). */
struct uslice {
	const struct ox_tensor *x;
	int64_t outer, len, inner, i;
};

static int
slice_cmp(const struct uslice *a, int64_t i, int64_t j)
{
	const struct ox_tensor *x = a->x;

	for (int64_t r = 0; r < a->outer; r++)
		for (int64_t q = 0; q < a->inner; q++) {
			int64_t p = (r * a->len + i) * a->inner + q, s = (r * a->len + j) * a->inner + q;

			if (x->dtype == OX_STRING) {
				const struct ox_bytes *u = &x->strings[p], *v = &x->strings[s];
				size_t m = u->len < v->len ? u->len : v->len;
				int c = memcmp(u->data, v->data, m);

				if (c)
					return c;
				if (u->len != v->len)
					return u->len < v->len ? -1 : 1;
			} else if (x->dtype == OX_INT64) {
				int64_t u = ((const int64_t *)x->data)[p], v = ((const int64_t *)x->data)[s];

				if (u != v)
					return u < v ? -1 : 1;
			} else {
				double u = ox_get_f64(x, p), v = ox_get_f64(x, s);

				if (u != v)
					return u < v ? -1 : 1;
			}
		}
	return 0;
}

static const struct uslice *sort_ctx;

static int
cmp_slices(const void *a, const void *b)
{
	int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
	int c = slice_cmp(sort_ctx, i, j);

	return c ? c : (i < j ? -1 : i > j);
}

int
ox_op_unique(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	const struct ox_attr *ax = ox_node_attr(k->node, "axis");
	bool sorted = ox_kattr_i(k, "sorted", 1);
	struct uslice u;
	int64_t *order, *first, *inv, *cnt, nu = 0, dims[OX_MAX_RANK];
	struct ox_tensor *o;
	int axis = 0, r = 0;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (x->dtype != OX_STRING && !ox_dtype_is_float(x->dtype) && !ox_dtype_is_int(x->dtype))
		return ox_kdtype(k, x->dtype);
	u.x = x;
	if (ax) {
		if (!ox_kaxis(k, ax->i, x->ndim, &axis))
			return OX_EINVAL;
		split_axis(x, axis, &u.outer, &u.len, &u.inner);
	} else {
		u.outer = u.inner = 1;
		u.len = x->nelem;
	}
	order = malloc(((size_t)u.len + 1) * sizeof *order);
	first = malloc(((size_t)u.len + 1) * sizeof *first);
	inv = malloc(((size_t)u.len + 1) * sizeof *inv);
	cnt = calloc((size_t)u.len + 1, sizeof *cnt);
	if (!order || !first || !inv || !cnt) {
		r = ox_kerr(k, OX_ENOMEM, "out of memory");
		goto out;
	}
	for (int64_t i = 0; i < u.len; i++)
		order[i] = i;
	sort_ctx = &u;
	qsort(order, (size_t)u.len, sizeof *order, cmp_slices);
	/* Unique groups in sorted order; each keeps its first occurrence. */
	for (int64_t i = 0; i < u.len; i++) {
		if (i == 0 || slice_cmp(&u, order[i - 1], order[i]) != 0)
			first[nu++] = order[i];
		inv[order[i]] = nu - 1;
		cnt[nu - 1]++;
	}
	if (!sorted) {
		/* Reorder groups by first occurrence. */
		int64_t *perm = malloc(((size_t)nu + 1) * sizeof *perm), *rank = malloc(((size_t)nu + 1) * sizeof *rank);
		int64_t *f2 = malloc(((size_t)nu + 1) * sizeof *f2), *c2 = malloc(((size_t)nu + 1) * sizeof *c2);

		if (!perm || !rank || !f2 || !c2) {
			free(perm);
			free(rank);
			free(f2);
			free(c2);
			r = ox_kerr(k, OX_ENOMEM, "out of memory");
			goto out;
		}
		for (int64_t g = 0; g < nu; g++)
			perm[g] = g;
		for (int64_t a = 1; a < nu; a++)
			for (int64_t b = a; b > 0 && first[perm[b - 1]] > first[perm[b]]; b--) {
				int64_t t = perm[b];

				perm[b] = perm[b - 1];
				perm[b - 1] = t;
			}
		for (int64_t g = 0; g < nu; g++) {
			rank[perm[g]] = g;
			f2[g] = first[perm[g]];
			c2[g] = cnt[perm[g]];
		}
		for (int64_t i = 0; i < u.len; i++)
			inv[i] = rank[inv[i]];
		memcpy(first, f2, (size_t)nu * sizeof *first);
		memcpy(cnt, c2, (size_t)nu * sizeof *cnt);
		free(perm);
		free(rank);
		free(f2);
		free(c2);
	}
	if (ax) {
		memcpy(dims, x->dims, (size_t)x->ndim * sizeof *dims);
		dims[axis] = nu;
	}
	if (!(o = ox_kout(k, 0, x->dtype, ax ? x->ndim : 1, ax ? dims : &nu))) {
		r = OX_ENOMEM;
		goto out;
	}
	for (int64_t g = 0; g < nu; g++)
		for (int64_t rr = 0; rr < u.outer; rr++)
			for (int64_t q = 0; q < u.inner; q++) {
				int64_t dp = (rr * nu + g) * u.inner + q, sp = (rr * u.len + first[g]) * u.inner + q;

				if (x->dtype == OX_STRING) {
					if (ox_xtensor_set_string(o, dp, x->strings[sp].data, x->strings[sp].len) < 0) {
						r = ox_kerr(k, OX_ENOMEM, "out of memory");
						goto out;
					}
				} else {
					size_t es = (size_t)ox_dtype_bits(x->dtype) / 8;

					memcpy((char *)o->data + (size_t)dp * es, (const char *)x->data + (size_t)sp * es, es);
				}
			}
	if (k->n_out > 1 && k->node->out[1]) {
		if (!(o = ox_kout(k, 1, OX_INT64, 1, &nu))) {
			r = OX_ENOMEM;
			goto out;
		}
		memcpy(o->data, first, (size_t)nu * sizeof *first);
	}
	if (k->n_out > 2 && k->node->out[2]) {
		if (!(o = ox_kout(k, 2, OX_INT64, 1, &u.len))) {
			r = OX_ENOMEM;
			goto out;
		}
		memcpy(o->data, inv, (size_t)u.len * sizeof *inv);
	}
	if (k->n_out > 3 && k->node->out[3]) {
		if (!(o = ox_kout(k, 3, OX_INT64, 1, &nu))) {
			r = OX_ENOMEM;
			goto out;
		}
		memcpy(o->data, cnt, (size_t)nu * sizeof *cnt);
	}
out:
	free(order);
	free(first);
	free(inv);
	free(cnt);
	return r;
}

static void
box_corners(const struct ox_tensor *b, int64_t p, bool center, double *y1, double *x1, double *y2, double *x2)
{
	double a = ox_get_f64(b, p), c = ox_get_f64(b, p + 1), e = ox_get_f64(b, p + 2), f = ox_get_f64(b, p + 3);

	if (center) {
		*x1 = a - e / 2;
		*x2 = a + e / 2;
		*y1 = c - f / 2;
		*y2 = c + f / 2;
	} else {
		*y1 = fmin(a, e);
		*y2 = fmax(a, e);
		*x1 = fmin(c, f);
		*x2 = fmax(c, f);
	}
}

static double
iou(const struct ox_tensor *b, int64_t p, int64_t q, bool center)
{
	double ay1, ax1, ay2, ax2, by1, bx1, by2, bx2, ih, iw, inter, uni;

	box_corners(b, p, center, &ay1, &ax1, &ay2, &ax2);
	box_corners(b, q, center, &by1, &bx1, &by2, &bx2);
	ih = fmin(ay2, by2) - fmax(ay1, by1);
	iw = fmin(ax2, bx2) - fmax(ax1, bx1);
	if (ih <= 0 || iw <= 0)
		return 0;
	inter = ih * iw;
	uni = (ay2 - ay1) * (ax2 - ax1) + (by2 - by1) * (bx2 - bx1) - inter;
	return uni > 0 ? inter / uni : 0;
}

int
ox_op_nms(struct ox_kctx *k)
{
	const struct ox_tensor *boxes = ox_kin(k, 0), *scores = ox_kin(k, 1);
	const struct ox_tensor *mo = ox_kin(k, 2), *it = ox_kin(k, 3), *st = ox_kin(k, 4);
	bool center = ox_kattr_i(k, "center_point_box", 0);
	int64_t maxout = mo && mo->nelem ? ox_get_i64(mo, 0) : 0, nb, nc, n, cnt = 0, cap = 0, dims[2];
	double iou_t = it && it->nelem ? ox_get_f64(it, 0) : 0, score_t = st && st->nelem ? ox_get_f64(st, 0) : -INFINITY;
	bool has_st = st && st->nelem;
	int64_t *sel = NULL, *picked = NULL;
	struct kv *cand = NULL;
	struct ox_tensor *o;
	int r = 0;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (boxes->ndim != 3 || boxes->dims[2] != 4 || scores->ndim != 3 || scores->dims[0] != boxes->dims[0] ||
	    scores->dims[2] != boxes->dims[1])
		return ox_kerr(k, OX_EINVAL, "boxes must be [B, N, 4] and scores [B, C, N]");
	nb = boxes->dims[0];
	nc = scores->dims[1];
	n = boxes->dims[1];
	cand = malloc(((size_t)n + 1) * sizeof *cand);
	picked = malloc(((size_t)n + 1) * sizeof *picked);
	if (!cand || !picked) {
		r = ox_kerr(k, OX_ENOMEM, "out of memory");
		goto out;
	}
	for (int64_t b = 0; b < nb; b++)
		for (int64_t c = 0; c < nc; c++) {
			int64_t m = 0, np = 0;

			for (int64_t i = 0; i < n; i++) {
				double s = ox_get_f64(scores, (b * nc + c) * n + i);

				if (has_st && !(s > score_t))
					continue;
				cand[m].v = s;
				cand[m].i = i;
				m++;
			}
			qsort(cand, (size_t)m, sizeof *cand, cmp_largest);
			for (int64_t j = 0; j < m && np < maxout; j++) {
				bool keep = true;

				for (int64_t q = 0; q < np && keep; q++)
					if (iou(boxes, (b * n + cand[j].i) * 4, (b * n + picked[q]) * 4, center) > iou_t)
						keep = false;
				if (!keep)
					continue;
				picked[np++] = cand[j].i;
				if (cnt == cap) {
					int64_t *ns = realloc(sel, (size_t)(cap = cap ? 2 * cap : 64) * 3 * sizeof *sel);

					if (!ns) {
						r = ox_kerr(k, OX_ENOMEM, "out of memory");
						goto out;
					}
					sel = ns;
				}
				sel[cnt * 3] = b;
				sel[cnt * 3 + 1] = c;
				sel[cnt * 3 + 2] = cand[j].i;
				cnt++;
			}
		}
	dims[0] = cnt;
	dims[1] = 3;
	if (!(o = ox_kout(k, 0, OX_INT64, 2, dims))) {
		r = OX_ENOMEM;
		goto out;
	}
	if (cnt)
		memcpy(o->data, sel, (size_t)cnt * 3 * sizeof *sel);
out:
	free(sel);
	free(picked);
	free(cand);
	return r;
}

/* ops/reduce.c: the Reduce* family and ArgMax/ArgMin.
 *
 * Every reduction walks the input once, adding each element into the accumulator of
 * its output position (double precision; int64 max/min/sum stay exact through a
 * separate integer path). Axes come from the attribute (older opsets) or input 1
 * (ReduceSum from 13, the others from 18).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/fast.h"
#include "ops/kernel.h"

enum red { SUM, MEAN, MAX, MIN, PROD, L1, L2, LOGSUM, LOGSUMEXP, SUMSQ };

/* Sums of n floats, in double like the general path: plain, of squares, of
 * magnitudes. */
OX_VEC static double
fsum(const float *restrict x, int64_t n, int how)
{
	double s = 0;

	if (how == 0)
		for (int64_t i = 0; i < n; i++)
			s += (double)x[i];
	else if (how == 1)
		for (int64_t i = 0; i < n; i++)
			s += (double)x[i] * (double)x[i];
	else
		for (int64_t i = 0; i < n; i++)
			s += fabs((double)x[i]);
	return s;
}

/* acc[j] += x[j] (how 0), x[j]^2 (1) or |x[j]| (2) for j < n. */
OX_VEC static void
fsum_rows(double *restrict acc, const float *restrict x, int64_t n, int how)
{
	if (how == 0)
		for (int64_t j = 0; j < n; j++)
			acc[j] += (double)x[j];
	else if (how == 1)
		for (int64_t j = 0; j < n; j++)
			acc[j] += (double)x[j] * (double)x[j];
	else
		for (int64_t j = 0; j < n; j++)
			acc[j] += fabs((double)x[j]);
}

/* Float sums over one contiguous block of reduced dims: the input is
 * [outer, count, inner] and the output [outer, inner]. The element-by-element walk
 * of the general path, with a dtype switch per element, cost a third of a small
 * transformer's run in its LayerNorm means. Same double accumulation, so the same
 * results. */
static void
reduce_block(enum red op, const float *x, float *o, int64_t outer, int64_t count, int64_t inner,
	     double *acc)
{
	int how = op == L1 ? 2 : op == L2 || op == SUMSQ ? 1 : 0;

	for (int64_t r = 0; r < outer; r++) {
		const float *xr = x + r * count * inner;

		if (inner == 1) {
			acc[0] = fsum(xr, count, how);
		} else {
			memset(acc, 0, (size_t)inner * sizeof *acc);
			for (int64_t c = 0; c < count; c++)
				fsum_rows(acc, xr + c * inner, inner, how);
		}
		for (int64_t j = 0; j < inner; j++) {
			double v = acc[j];

			if (op == MEAN)
				v = count ? v / (double)count : NAN;
			else if (op == L2)
				v = sqrt(v);
			o[r * inner + j] = (float)v;
		}
	}
}

static int
reduce(struct ox_kctx *k, enum red op, int axes_input_since)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	bool keep = ox_kattr_i(k, "keepdims", 1), noop = ox_kattr_i(k, "noop_with_empty_axes", 0);
	bool red[OX_MAX_RANK] = { false };
	int64_t *axes = NULL, n = -1, dims[OX_MAX_RANK], odims[OX_MAX_RANK], ostr[OX_MAX_RANK];
	int64_t idx[OX_MAX_RANK] = { 0 }, count = 1, nout = 1;
	int nd = 0, ond = 0;
	double *acc;
	struct ox_tensor *o;
	bool exact = false;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype) && !ox_dtype_is_int(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (k->opset < axes_input_since) {
		const int64_t *a;

		if ((n = ox_kattr_ints(k, "axes", &a)) >= 0) {
			if (!(axes = malloc(((size_t)n + 1) * sizeof *axes)))
				return ox_kerr(k, OX_ENOMEM, "out of memory");
			memcpy(axes, a, (size_t)n * sizeof *a);
		}
	} else if (ox_kin(k, 1)) {
		if ((n = ox_kints(k, ox_kin(k, 1), "axes", &axes)) < 0)
			return (int)n;
	}
	if (n <= 0 && noop && k->opset >= axes_input_since) {
		free(axes);
		if (!(o = ox_kout(k, 0, x->dtype, x->ndim, x->dims)))
			return OX_ENOMEM;
		if (o->nbytes)
			memcpy(o->data, x->data, o->nbytes);
		return 0;
	}
	for (int64_t i = 0; i < n; i++) {
		int a;

		if (!ox_kaxis(k, axes[i], x->ndim, &a)) {
			free(axes);
			return OX_EINVAL;
		}
		red[a] = true;
	}
	free(axes);
	for (int d = 0; d < x->ndim; d++) {
		if (n <= 0)
			red[d] = true;
		dims[nd++] = x->dims[d];
		if (red[d]) {
			count *= x->dims[d];
			if (keep)
				odims[ond++] = 1;
		} else {
			odims[ond++] = x->dims[d];
		}
	}
	if (!(o = ox_kout(k, 0, x->dtype, ond, odims)))
		return OX_ENOMEM;
	nout = o->nelem;
	if (x->dtype == OX_FLOAT && x->nelem > 0 &&
	    (op == SUM || op == MEAN || op == L1 || op == L2 || op == SUMSQ)) {
		int first = -1, last = -1;
		bool block = true;
		int64_t outer = 1, inner = 1;

		for (int d = 0; d < x->ndim; d++)
			if (red[d]) {
				if (first < 0)
					first = d;
				else if (last != d - 1)
					block = false;
				last = d;
			}
		if (block && first >= 0) {
			for (int d = 0; d < first; d++)
				outer *= x->dims[d];
			for (int d = last + 1; d < x->ndim; d++)
				inner *= x->dims[d];
			if (!(acc = malloc(((size_t)inner + 1) * sizeof *acc)))
				return ox_kerr(k, OX_ENOMEM, "out of memory");
			reduce_block(op, x->data, o->data, outer, count, inner, acc);
			free(acc);
			return 0;
		}
	}
	/* Output stride for each input dim (0 for reduced dims). */
	{
		int64_t s = 1;

		for (int d = x->ndim - 1; d >= 0; d--) {
			ostr[d] = red[d] ? 0 : s;
			if (!red[d])
				s *= x->dims[d];
		}
	}
	if (!(acc = malloc(((size_t)nout + 1) * sizeof *acc)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	exact = x->dtype == OX_INT64 && (op == MAX || op == MIN || op == SUM || op == PROD);
	for (int64_t i = 0; i < nout; i++)
		acc[i] = op == MAX ? -INFINITY : op == MIN ? INFINITY : op == PROD ? 1 : 0;
	if (exact) {
		int64_t *ia = (int64_t *)o->data;

		for (int64_t i = 0; i < nout; i++)
			ia[i] = op == MAX ? INT64_MIN : op == MIN ? INT64_MAX : op == PROD ? 1 : 0;
	}
	if (x->nelem > 0) {
		int64_t opos = 0;

		for (int64_t i = 0; i < x->nelem; i++) {
			if (exact) {
				int64_t v = ((const int64_t *)x->data)[i], *a = (int64_t *)o->data + opos;

				*a = op == MAX ? (v > *a ? v : *a) : op == MIN ? (v < *a ? v : *a) :
				     op == PROD ? *a * v : *a + v;
			} else {
				double v = ox_get_f64(x, i), *a = &acc[opos];

				switch (op) {
				case SUM: case MEAN: case LOGSUM: *a += v; break;
				case MAX: *a = (v > *a || isnan(v)) ? v : *a; break;
				case MIN: *a = (v < *a || isnan(v)) ? v : *a; break;
				case PROD: *a *= v; break;
				case L1: *a += fabs(v); break;
				case L2: case SUMSQ: *a += v * v; break;
				case LOGSUMEXP: *a += exp(v); break;
				}
			}
			for (int d = nd - 1; d >= 0; d--) {
				if (++idx[d] < dims[d]) {
					opos += ostr[d];
					break;
				}
				opos -= ostr[d] * (dims[d] - 1);
				idx[d] = 0;
			}
		}
	}
	if (!exact) {
		for (int64_t i = 0; i < nout; i++) {
			double v = acc[i];

			switch (op) {
			case MEAN: v = count ? v / (double)count : NAN; break;
			case L2: v = sqrt(v); break;
			case LOGSUM: case LOGSUMEXP: v = log(v); break;
			default: break;
			}
			if ((op == MAX || op == MIN) && ox_dtype_is_int(x->dtype) && isinf(v))
				v = 0;
			ox_set_f64(o, i, v);
		}
	}
	free(acc);
	return 0;
}

int ox_op_reduce_sum(struct ox_kctx *k) { return reduce(k, SUM, 13); }
int ox_op_reduce_mean(struct ox_kctx *k) { return reduce(k, MEAN, 18); }
int ox_op_reduce_max(struct ox_kctx *k) { return reduce(k, MAX, 18); }
int ox_op_reduce_min(struct ox_kctx *k) { return reduce(k, MIN, 18); }
int ox_op_reduce_prod(struct ox_kctx *k) { return reduce(k, PROD, 18); }
int ox_op_reduce_l1(struct ox_kctx *k) { return reduce(k, L1, 18); }
int ox_op_reduce_l2(struct ox_kctx *k) { return reduce(k, L2, 18); }
int ox_op_reduce_log_sum(struct ox_kctx *k) { return reduce(k, LOGSUM, 18); }
int ox_op_reduce_log_sum_exp(struct ox_kctx *k) { return reduce(k, LOGSUMEXP, 18); }
int ox_op_reduce_sum_square(struct ox_kctx *k) { return reduce(k, SUMSQ, 18); }

static int
arg(struct ox_kctx *k, bool max)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	bool keep = ox_kattr_i(k, "keepdims", 1), last = ox_kattr_i(k, "select_last_index", 0);
	int64_t dims[OX_MAX_RANK], outer = 1, inner = 1, len;
	struct ox_tensor *o;
	int axis, nd = 0;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype) && !ox_dtype_is_int(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (!ox_kaxis(k, ox_kattr_i(k, "axis", 0), x->ndim, &axis))
		return OX_EINVAL;
	for (int d = 0; d < x->ndim; d++) {
		if (d == axis) {
			if (keep)
				dims[nd++] = 1;
		} else {
			dims[nd++] = x->dims[d];
		}
		if (d < axis)
			outer *= x->dims[d];
		else if (d > axis)
			inner *= x->dims[d];
	}
	len = x->dims[axis];
	if (len == 0)
		return ox_kerr(k, OX_EINVAL, "cannot take the arg of an empty axis");
	if (!(o = ox_kout(k, 0, OX_INT64, nd, dims)))
		return OX_ENOMEM;
	for (int64_t r = 0; r < outer; r++)
		for (int64_t j = 0; j < inner; j++) {
			int64_t best = 0;
			double bv = ox_get_f64(x, r * len * inner + j);

			for (int64_t i = 1; i < len; i++) {
				double v = ox_get_f64(x, (r * len + i) * inner + j);

				if (max ? (v > bv || (last && v == bv)) : (v < bv || (last && v == bv))) {
					bv = v;
					best = i;
				}
			}
			((int64_t *)o->data)[r * inner + j] = best;
		}
	return 0;
}

int ox_op_argmax(struct ox_kctx *k) { return arg(k, true); }
int ox_op_argmin(struct ox_kctx *k) { return arg(k, false); }

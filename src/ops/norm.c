/* ops/norm.c: BatchNormalization (inference), LayerNormalization,
 * InstanceNormalization, LRN, MeanVarianceNormalization, Softmax, LogSoftmax,
 * Hardmax. Computed in double, stored in the input's float type. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/fast.h"
#include "ops/kernel.h"

static bool
floaty(struct ox_kctx *k, const struct ox_tensor *x)
{
	if (x->dtype == OX_FLOAT || x->dtype == OX_DOUBLE)
		return true;
	ox_kdtype(k, x->dtype);
	return false;
}

/* training_mode=1: normalize with the batch's statistics and also output the
 * updated running mean and (population) variance. */
static int
batch_norm_training(struct ox_kctx *k, double eps)
{
	const struct ox_tensor *x = ox_kin(k, 0), *s = ox_kin(k, 1), *b = ox_kin(k, 2);
	const struct ox_tensor *rm = ox_kin(k, 3), *rv = ox_kin(k, 4);
	double mom = ox_kattr_f(k, "momentum", 0.9f);
	int64_t c, inner = 1, cnt;
	struct ox_tensor *o, *om = NULL, *ov = NULL;

	if (x->ndim < 2)
		return ox_kerr(k, OX_EINVAL, "input rank must be at least 2");
	for (int d = 2; d < x->ndim; d++)
		inner *= x->dims[d];
	cnt = x->dims[0] * inner;
	c = x->dims[1];
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, x->dims)))
		return OX_ENOMEM;
	if (k->n_out > 1 && k->node->out[1] && !(om = ox_kout(k, 1, rm->dtype, rm->ndim, rm->dims)))
		return OX_ENOMEM;
	if (k->n_out > 2 && k->node->out[2] && !(ov = ox_kout(k, 2, rv->dtype, rv->ndim, rv->dims)))
		return OX_ENOMEM;
	for (int64_t ch = 0; ch < c; ch++) {
		double mu = 0, var = 0, sc, sh;

		for (int64_t n = 0; n < x->dims[0]; n++)
			for (int64_t j = 0; j < inner; j++)
				mu += ox_get_f64(x, (n * c + ch) * inner + j);
		mu /= (double)(cnt ? cnt : 1);
		for (int64_t n = 0; n < x->dims[0]; n++)
			for (int64_t j = 0; j < inner; j++) {
				double d = ox_get_f64(x, (n * c + ch) * inner + j) - mu;

				var += d * d;
			}
		var /= (double)(cnt ? cnt : 1);
		sc = ox_get_f64(s, ch) / sqrt(var + eps);
		sh = ox_get_f64(b, ch) - mu * sc;
		for (int64_t n = 0; n < x->dims[0]; n++)
			for (int64_t j = 0; j < inner; j++)
				ox_set_f64(o, (n * c + ch) * inner + j, ox_get_f64(x, (n * c + ch) * inner + j) * sc + sh);
		if (om)
			ox_set_f64(om, ch, ox_get_f64(rm, ch) * mom + mu * (1 - mom));
		if (ov)
			ox_set_f64(ov, ch, ox_get_f64(rv, ch) * mom + var * (1 - mom));
	}
	return 0;
}

int
ox_op_batch_norm(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *s = ox_kin(k, 1), *b = ox_kin(k, 2);
	const struct ox_tensor *mean = ox_kin(k, 3), *var = ox_kin(k, 4);
	double eps = ox_kattr_f(k, "epsilon", 1e-5f);
	int64_t c, inner = 1;
	struct ox_tensor *o;

	for (int i = 0; i < 5; i++)
		if (!ox_kneed(k, i))
			return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_batch_norm);
	if (!floaty(k, x))
		return OX_EUNSUPPORTED;
	if (ox_kattr_i(k, "training_mode", 0))
		return batch_norm_training(k, eps);
	if (x->ndim < 2)
		return ox_kerr(k, OX_EINVAL, "input rank must be at least 2");
	c = x->dims[1];
	if (s->nelem != c || b->nelem != c || mean->nelem != c || var->nelem != c)
		return ox_kerr(k, OX_EINVAL, "scale, B, mean and var must have %lld elements", (long long)c);
	for (int d = 2; d < x->ndim; d++)
		inner *= x->dims[d];
	if (!(o = ox_kout_raw(k, 0, x->dtype, x->ndim, x->dims)))
		return OX_ENOMEM;
	for (int64_t n = 0; n < x->dims[0]; n++)
		for (int64_t ch = 0; ch < c; ch++) {
			double sc = ox_get_f64(s, ch) / sqrt(ox_get_f64(var, ch) + eps);
			double sh = ox_get_f64(b, ch) - ox_get_f64(mean, ch) * sc;
			int64_t base = (n * c + ch) * inner;

			if (x->dtype == OX_FLOAT) {
				const float *xp = (const float *)x->data + base;
				float *op = (float *)o->data + base, fs = (float)sc, fh = (float)sh;

				for (int64_t j = 0; j < inner; j++)
					op[j] = xp[j] * fs + fh;
			} else {
				for (int64_t j = 0; j < inner; j++)
					ox_set_f64(o, base + j, ox_get_f64(x, base + j) * sc + sh);
			}
		}
	return 0;
}

int
ox_op_instance_norm(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *s = ox_kin(k, 1), *b = ox_kin(k, 2);
	double eps = ox_kattr_f(k, "epsilon", 1e-5f);
	int64_t c, inner = 1;
	struct ox_tensor *o;

	for (int i = 0; i < 3; i++)
		if (!ox_kneed(k, i))
			return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_instance_norm);
	if (!floaty(k, x))
		return OX_EUNSUPPORTED;
	if (x->ndim < 3)
		return ox_kerr(k, OX_EINVAL, "input rank must be at least 3");
	c = x->dims[1];
	if (s->nelem != c || b->nelem != c)
		return ox_kerr(k, OX_EINVAL, "scale and B must have %lld elements", (long long)c);
	for (int d = 2; d < x->ndim; d++)
		inner *= x->dims[d];
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, x->dims)))
		return OX_ENOMEM;
	for (int64_t n = 0; n < x->dims[0]; n++)
		for (int64_t ch = 0; ch < c; ch++) {
			int64_t base = (n * c + ch) * inner;
			double mu = 0, v = 0, sc;

			for (int64_t j = 0; j < inner; j++)
				mu += ox_get_f64(x, base + j);
			mu /= (double)(inner ? inner : 1);
			for (int64_t j = 0; j < inner; j++) {
				double d = ox_get_f64(x, base + j) - mu;

				v += d * d;
			}
			v /= (double)(inner ? inner : 1);
			sc = ox_get_f64(s, ch) / sqrt(v + eps);
			for (int64_t j = 0; j < inner; j++)
				ox_set_f64(o, base + j, (ox_get_f64(x, base + j) - mu) * sc + ox_get_f64(b, ch));
		}
	return 0;
}

int
ox_op_layer_norm(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *s = ox_kin(k, 1), *b = ox_kin(k, 2);
	double eps = ox_kattr_f(k, "epsilon", 1e-5f);
	int64_t outer = 1, inner = 1, sdims[OX_MAX_RANK];
	struct ox_tensor *o, *om = NULL, *oi = NULL;
	int axis;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_layer_norm);
	if (!floaty(k, x))
		return OX_EUNSUPPORTED;
	if (!ox_kaxis(k, ox_kattr_i(k, "axis", -1), x->ndim, &axis))
		return OX_EINVAL;
	for (int d = 0; d < x->ndim; d++) {
		if (d < axis)
			outer *= x->dims[d];
		else
			inner *= x->dims[d];
		sdims[d] = d < axis ? x->dims[d] : 1;
	}
	/* Scale and B broadcast over the normalized dims (unidirectionally). */
	if (s->nelem != inner && s->nelem != 1)
		return ox_kerr(k, OX_EINVAL, "Scale has %lld elements, expected %lld", (long long)s->nelem,
			       (long long)inner);
	if (b && b->nelem != inner && b->nelem != 1)
		return ox_kerr(k, OX_EINVAL, "B has %lld elements, expected %lld", (long long)b->nelem,
			       (long long)inner);
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, x->dims)))
		return OX_ENOMEM;
	if (k->n_out > 1 && k->node->out[1] && !(om = ox_kout(k, 1, OX_FLOAT, x->ndim, sdims)))
		return OX_ENOMEM;
	if (k->n_out > 2 && k->node->out[2] && !(oi = ox_kout(k, 2, OX_FLOAT, x->ndim, sdims)))
		return OX_ENOMEM;
	if (x->dtype == OX_FLOAT && s->dtype == OX_FLOAT && (!b || b->dtype == OX_FLOAT) && s->nelem == inner &&
	    (!b || b->nelem == inner)) {
		const float *sp = s->data, *bp = b ? b->data : NULL;

		for (int64_t r = 0; r < outer; r++) {
			const float *xr = (const float *)x->data + r * inner;
			float *orow = (float *)o->data + r * inner;
			double mu = 0, v = 0;
			float fmu, finv;

			for (int64_t j = 0; j < inner; j++)
				mu += xr[j];
			mu /= (double)(inner ? inner : 1);
			for (int64_t j = 0; j < inner; j++)
				v += ((double)xr[j] - mu) * ((double)xr[j] - mu);
			v /= (double)(inner ? inner : 1);
			fmu = (float)mu;
			finv = (float)(1.0 / sqrt(v + eps));
			for (int64_t j = 0; j < inner; j++)
				orow[j] = (xr[j] - fmu) * finv * sp[j] + (bp ? bp[j] : 0.0f);
			if (om)
				ox_set_f64(om, r, mu);
			if (oi)
				ox_set_f64(oi, r, 1.0 / sqrt(v + eps));
		}
		return 0;
	}
	for (int64_t r = 0; r < outer; r++) {
		double mu = 0, v = 0, inv;

		for (int64_t j = 0; j < inner; j++)
			mu += ox_get_f64(x, r * inner + j);
		mu /= (double)(inner ? inner : 1);
		for (int64_t j = 0; j < inner; j++) {
			double d = ox_get_f64(x, r * inner + j) - mu;

			v += d * d;
		}
		v /= (double)(inner ? inner : 1);
		inv = 1.0 / sqrt(v + eps);
		for (int64_t j = 0; j < inner; j++) {
			double y = (ox_get_f64(x, r * inner + j) - mu) * inv * ox_get_f64(s, s->nelem == 1 ? 0 : j);

			if (b)
				y += ox_get_f64(b, b->nelem == 1 ? 0 : j);
			ox_set_f64(o, r * inner + j, y);
		}
		if (om)
			ox_set_f64(om, r, mu);
		if (oi)
			ox_set_f64(oi, r, inv);
	}
	return 0;
}

int
ox_op_mvn(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	const int64_t *axes, dflt[3] = { 0, 2, 3 };
	int64_t n = ox_kattr_ints(k, "axes", &axes), idx[OX_MAX_RANK] = { 0 }, cnt = 1, ostr[OX_MAX_RANK], nout;
	bool red[OX_MAX_RANK] = { false };
	double *sum, *sq;
	struct ox_tensor *o;

	if (!ox_kneed(k, 0) || !floaty(k, x))
		return OX_EINVAL;
	if (n < 0) {
		axes = dflt;
		n = 3;
	}
	for (int64_t i = 0; i < n; i++) {
		int a;

		if (!ox_kaxis(k, axes[i], x->ndim, &a))
			return OX_EINVAL;
		red[a] = true;
	}
	{
		int64_t s = 1;

		for (int d = x->ndim - 1; d >= 0; d--) {
			ostr[d] = red[d] ? 0 : s;
			if (red[d])
				cnt *= x->dims[d];
			else
				s *= x->dims[d];
		}
		nout = s;
	}
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, x->dims)))
		return OX_ENOMEM;
	sum = calloc((size_t)nout + 1, sizeof *sum);
	sq = calloc((size_t)nout + 1, sizeof *sq);
	if (!sum || !sq) {
		free(sum);
		free(sq);
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	}
	for (int pass = 0; pass < 2; pass++) {
		int64_t opos = 0;

		memset(idx, 0, sizeof idx);
		for (int64_t i = 0; i < x->nelem; i++) {
			double v = ox_get_f64(x, i);

			if (pass == 0) {
				sum[opos] += v;
				sq[opos] += v * v;
			} else {
				double mu = sum[opos] / (double)cnt, var = sq[opos] / (double)cnt - mu * mu;

				ox_set_f64(o, i, (v - mu) / (sqrt(var > 0 ? var : 0) + 1e-9));
			}
			for (int d = x->ndim - 1; d >= 0; d--) {
				if (++idx[d] < x->dims[d]) {
					opos += ostr[d];
					break;
				}
				opos -= ostr[d] * (x->dims[d] - 1);
				idx[d] = 0;
			}
		}
	}
	free(sum);
	free(sq);
	return 0;
}

int
ox_op_lrn(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	double alpha = ox_kattr_f(k, "alpha", 1e-4f), beta = ox_kattr_f(k, "beta", 0.75f);
	double bias = ox_kattr_f(k, "bias", 1.0f);
	int64_t size = ox_kattr_i(k, "size", 0), c, inner = 1;
	struct ox_tensor *o;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_lrn);
	if (!floaty(k, x) || x->ndim < 2 || size <= 0)
		return ox_kerr(k, OX_EINVAL, "needs rank >= 2 and a positive size");
	c = x->dims[1];
	for (int d = 2; d < x->ndim; d++)
		inner *= x->dims[d];
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, x->dims)))
		return OX_ENOMEM;
	for (int64_t n = 0; n < x->dims[0]; n++)
		for (int64_t ch = 0; ch < c; ch++)
			for (int64_t j = 0; j < inner; j++) {
				int64_t lo = ch - (size - 1) / 2, hi = ch + (size - 1) - (size - 1) / 2;
				double sq = 0, v;

				for (int64_t q = lo < 0 ? 0 : lo; q <= hi && q < c; q++) {
					double e = ox_get_f64(x, (n * c + q) * inner + j);

					sq += e * e;
				}
				v = ox_get_f64(x, (n * c + ch) * inner + j);
				ox_set_f64(o, (n * c + ch) * inner + j, v / pow(bias + alpha / (double)size * sq, beta));
			}
	return 0;
}

enum smax { SOFTMAX, LOGSOFTMAX, HARDMAX };

/* The common case (float, normalized axis innermost): one row in float arithmetic,
 * so that each of the three passes vectorizes; rows spread over the threads. */
OX_VEC static void
softmax_row(const float *restrict xr, float *restrict orow, int64_t len, bool logp)
{
	float mx = -INFINITY, sum = 0;

	for (int64_t i = 0; i < len; i++)
		mx = xr[i] > mx ? xr[i] : mx;
	for (int64_t i = 0; i < len; i++) {
		orow[i] = ox_vexpf(xr[i] - mx);
		sum += orow[i];
	}
	if (logp) {
		float ls = logf(sum);

		for (int64_t i = 0; i < len; i++)
			orow[i] = xr[i] - mx - ls;
	} else {
		float inv = 1.0f / sum;

		for (int64_t i = 0; i < len; i++)
			orow[i] *= inv;
	}
}

struct softmax_job {
	const float *x;
	float *o;
	int64_t len;
	bool logp;
};

static void
softmax_part(void *ctx, int64_t lo, int64_t hi)
{
	const struct softmax_job *j = ctx;

	for (int64_t r = lo; r < hi; r++)
		softmax_row(j->x + r * j->len, j->o + r * j->len, j->len, j->logp);
}

static void
softmax_rows(const float *x, float *o, int64_t rows, int64_t len, bool logp)
{
	struct softmax_job job = { x, o, len, logp };

	ox_par_for(rows, 1 + 16384 / (len + 1), softmax_part, &job);
}

/* Before opset 13 the input is flattened to 2-D at axis (default 1) and normalized
 * over the second dim; from 13 the normalization runs along axis (default -1). */
static int
softmax(struct ox_kctx *k, enum smax kind, ox_kernel_fn *self)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t outer = 1, len = 1, inner = 1;
	struct ox_tensor *o;
	double *buf;
	int axis;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, self);
	if (!floaty(k, x))
		return OX_EUNSUPPORTED;
	if (k->opset < 13) {
		int64_t a = ox_kattr_i(k, "axis", 1);

		if (x->ndim == 0)
			a = 0;
		else if (!ox_kaxis(k, a, x->ndim, &axis))
			return OX_EINVAL;
		else
			a = axis;
		for (int d = 0; d < x->ndim; d++) {
			if (d < a)
				outer *= x->dims[d];
			else
				len *= x->dims[d];
		}
	} else {
		if (x->ndim == 0) {
			axis = 0;
		} else if (!ox_kaxis(k, ox_kattr_i(k, "axis", -1), x->ndim, &axis)) {
			return OX_EINVAL;
		}
		for (int d = 0; d < x->ndim; d++) {
			if (d < axis)
				outer *= x->dims[d];
			else if (d == axis)
				len = x->dims[d];
			else
				inner *= x->dims[d];
		}
	}
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, x->dims)))
		return OX_ENOMEM;
	if (o->nelem == 0)
		return 0;
	if (x->dtype == OX_FLOAT && inner == 1 && kind != HARDMAX) {
		softmax_rows(x->data, o->data, outer, len, kind == LOGSOFTMAX);
		return 0;
	}
	if (!(buf = malloc((size_t)len * sizeof *buf)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	for (int64_t r = 0; r < outer; r++)
		for (int64_t j = 0; j < inner; j++) {
			int64_t base = r * len * inner + j;
			double mx = -INFINITY, sum = 0;
			int64_t arg = 0;

			for (int64_t i = 0; i < len; i++) {
				buf[i] = ox_get_f64(x, base + i * inner);
				if (buf[i] > mx) {
					mx = buf[i];
					arg = i;
				}
			}
			for (int64_t i = 0; i < len; i++)
				sum += exp(buf[i] - mx);
			for (int64_t i = 0; i < len; i++) {
				double v = kind == SOFTMAX ? exp(buf[i] - mx) / sum :
					   kind == LOGSOFTMAX ? buf[i] - mx - log(sum) : (i == arg ? 1 : 0);

				ox_set_f64(o, base + i * inner, v);
			}
		}
	free(buf);
	return 0;
}

int ox_op_softmax(struct ox_kctx *k) { return softmax(k, SOFTMAX, ox_op_softmax); }
int ox_op_log_softmax(struct ox_kctx *k) { return softmax(k, LOGSOFTMAX, ox_op_log_softmax); }
int ox_op_hardmax(struct ox_kctx *k) { return softmax(k, HARDMAX, ox_op_hardmax); }

/* ops/pool.c: MaxPool, AveragePool, LpPool and their Global forms, for any number
 * of spatial dims (the window geometry is ox_kwindow's). Floats only; the half types
 * go through float. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/fast.h"
#include "ops/kernel.h"

enum kind { MAX, AVG, LP };

/* The float fast path: same window walk without per-element dtype dispatch, and
 * the kernel range clipped to the input once per output instead of per tap. */
static void
pool_float(const struct ox_tensor *x, struct ox_tensor *o, const struct ox_window *w, bool max, bool incl,
	   int64_t chans, int64_t iprod, int64_t oprod)
{
	int nsp = w->nsp;

	for (int64_t c = 0; c < chans; c++) {
		const float *xc = (const float *)x->data + c * iprod;
		float *oc = (float *)o->data + c * oprod;
		int64_t oidx[OX_WIN_MAX] = { 0 };

		for (int64_t op = 0; op < oprod; op++) {
			int64_t lo[OX_WIN_MAX], hi[OX_WIN_MAX], kidx[OX_WIN_MAX], padcnt = 1, cnt = 0;
			float acc = max ? -INFINITY : 0.0f;
			bool empty = false;

			for (int i = 0; i < nsp; i++) {
				int64_t start = oidx[i] * w->stride[i] - w->pad0[i], inpad = 0;

				lo[i] = 0;
				hi[i] = w->kernel[i];
				while (lo[i] < hi[i] && start + lo[i] * w->dil[i] < 0)
					lo[i]++;
				while (hi[i] > lo[i] && start + (hi[i] - 1) * w->dil[i] >= w->in[i])
					hi[i]--;
				for (int64_t q = 0; q < w->kernel[i]; q++) {
					int64_t p = start + q * w->dil[i];

					inpad += p >= -w->pad0[i] && p < w->in[i] + w->pad1[i];
				}
				padcnt *= inpad;
				if (lo[i] >= hi[i])
					empty = true;
				kidx[i] = lo[i];
			}
			while (!empty) {
				int64_t pos = 0;
				int i;

				for (i = 0; i < nsp; i++)
					pos = pos * w->in[i] + oidx[i] * w->stride[i] - w->pad0[i] + kidx[i] * w->dil[i];
				if (max)
					acc = xc[pos] > acc || isnan(xc[pos]) ? xc[pos] : acc;
				else
					acc += xc[pos];
				cnt++;
				for (i = nsp - 1; i >= 0; i--) {
					if (++kidx[i] < hi[i])
						break;
					kidx[i] = lo[i];
				}
				if (i < 0)
					break;
			}
			if (!max)
				acc = incl ? (padcnt ? acc / (float)padcnt : 0) : (cnt ? acc / (float)cnt : 0);
			oc[op] = acc;
			for (int i = nsp - 1; i >= 0; i--) {
				if (++oidx[i] < w->out[i])
					break;
				oidx[i] = 0;
			}
		}
	}
}

/* o[lo, hi) = max(o, x[j * st]), NaN sticking as in the scalar loop. */
OX_VEC static void
max_row(float *restrict o, const float *restrict x, int64_t lo, int64_t hi, int64_t st)
{
	if (st == 2)
		for (int64_t j = lo; j < hi; j++) {
			float v = x[2 * j];

			o[j] = v > o[j] || v != v ? v : o[j];
		}
	else
		for (int64_t j = lo; j < hi; j++) {
			float v = x[j * st];

			o[j] = v > o[j] || v != v ? v : o[j];
		}
}

struct pool2d_job {
	const float *x;
	float *o;
	const struct ox_window *w;
	bool max, incl;
};

/* The 2-D float case, which is nearly all of them: the window's row and column
 * ranges are clipped once per output row and column instead of walking an odometer
 * per tap. Channels [c0, c1). */
static void
pool2d_float(void *ctx, int64_t c0, int64_t c1)
{
	const struct pool2d_job *j = ctx;
	const struct ox_window *w = j->w;
	int64_t ih = w->in[0], iw = w->in[1], oh = w->out[0], ow = w->out[1];
	int64_t kh = w->kernel[0], kw = w->kernel[1], sh = w->stride[0], sw = w->stride[1];
	int64_t dh = w->dil[0], dw = w->dil[1], ph = w->pad0[0], pw = w->pad0[1];

	for (int64_t c = c0; c < c1; c++) {
		const float *xc = j->x + c * ih * iw;
		float *oc = j->o + c * oh * ow;

		for (int64_t r = 0; r < oh; r++) {
			int64_t y0 = r * sh - ph, alo = 0, ahi = kh, apad = 0;

			while (alo < ahi && y0 + alo * dh < 0)
				alo++;
			while (ahi > alo && y0 + (ahi - 1) * dh >= ih)
				ahi--;
			for (int64_t a = 0; a < kh; a++)
				apad += y0 + a * dh >= -ph && y0 + a * dh < ih + w->pad1[0];
			if (j->max) {
				/* A whole output row per tap, so the max runs across the row's
				 * columns in vector lanes. */
				float *orow = oc + r * ow;

				for (int64_t q0 = 0; q0 < ow; q0++)
					orow[q0] = -INFINITY;
				for (int64_t a = alo; a < ahi; a++)
					for (int64_t q = 0; q < kw; q++) {
						int64_t off = q * dw - pw, lo = 0, hi = ow;

						while (lo < ow && lo * sw + off < 0)
							lo++;
						while (hi > lo && (hi - 1) * sw + off >= iw)
							hi--;
						max_row(orow, xc + (y0 + a * dh) * iw + off, lo, hi, sw);
					}
				continue;
			}
			for (int64_t q0 = 0; q0 < ow; q0++) {
				int64_t x0 = q0 * sw - pw, qlo = 0, qhi = kw, qpad = 0;
				float acc = j->max ? -INFINITY : 0.0f;

				while (qlo < qhi && x0 + qlo * dw < 0)
					qlo++;
				while (qhi > qlo && x0 + (qhi - 1) * dw >= iw)
					qhi--;
				for (int64_t a = alo; a < ahi; a++) {
					const float *row = xc + (y0 + a * dh) * iw + x0;

					if (j->max)
						for (int64_t q = qlo; q < qhi; q++) {
							float v = row[q * dw];

							acc = v > acc || isnan(v) ? v : acc;
						}
					else
						for (int64_t q = qlo; q < qhi; q++)
							acc += row[q * dw];
				}
				if (!j->max) {
					int64_t cnt = (ahi - alo) * (qhi - qlo);

					if (j->incl) {
						for (int64_t q = 0; q < kw; q++)
							qpad += x0 + q * dw >= -pw && x0 + q * dw < iw + w->pad1[1];
						cnt = apad * qpad;
					}
					acc = cnt > 0 ? acc / (float)cnt : 0.0f;
				}
				oc[r * ow + q0] = acc;
			}
		}
	}
}

static int
pool(struct ox_kctx *k, enum kind kind, bool global, ox_kernel_fn *self)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t dims[OX_MAX_RANK], kprod = 1, oprod = 1, iprod = 1, chans;
	bool incl = ox_kattr_i(k, "count_include_pad", 0), colmajor = ox_kattr_i(k, "storage_order", 0);
	double p = (double)ox_kattr_i(k, "p", 2);
	struct ox_window w;
	struct ox_tensor *o, *ind = NULL;
	int r;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, self);
	if (x->dtype != OX_FLOAT && x->dtype != OX_DOUBLE && !(kind == MAX && (x->dtype == OX_INT8 || x->dtype == OX_UINT8)))
		return ox_kdtype(k, x->dtype);
	if (global) {
		if (x->ndim < 3 || x->ndim - 2 > OX_WIN_MAX)
			return ox_kerr(k, OX_EINVAL, "input rank %d", x->ndim);
		memset(&w, 0, sizeof w);
		w.nsp = x->ndim - 2;
		for (int i = 0; i < w.nsp; i++) {
			w.in[i] = w.kernel[i] = x->dims[i + 2];
			w.out[i] = w.stride[i] = w.dil[i] = 1;
		}
	} else {
		if (!ox_node_attr(k->node, "kernel_shape"))
			return ox_kerr(k, OX_EINVAL, "kernel_shape is required");
		if ((r = ox_kwindow(k, &w, x, NULL, false)) < 0)
			return r;
	}
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	for (int i = 0; i < w.nsp; i++) {
		dims[i + 2] = w.out[i];
		kprod *= w.kernel[i];
		oprod *= w.out[i];
		iprod *= w.in[i];
	}
	chans = x->dims[0] * x->dims[1];
	if (!(o = ox_kout_raw(k, 0, x->dtype, x->ndim, dims)))
		return OX_ENOMEM;
	if (kind == MAX && k->n_out > 1 && k->node->out[1] && !(ind = ox_kout(k, 1, OX_INT64, x->ndim, dims)))
		return OX_ENOMEM;
	if (x->dtype == OX_FLOAT && !ind && kind != LP && w.nsp == 2) {
		struct pool2d_job job = { x->data, o->data, &w, kind == MAX, incl };

		ox_par_for(chans, 4, pool2d_float, &job);
		return 0;
	}
	if (x->dtype == OX_FLOAT && !ind && kind != LP) {
		pool_float(x, o, &w, kind == MAX, incl, chans, iprod, oprod);
		return 0;
	}
	for (int64_t c = 0; c < chans; c++) {
		int64_t oidx[OX_WIN_MAX] = { 0 };

		for (int64_t op = 0; op < oprod; op++) {
			double acc = kind == MAX ? -INFINITY : 0;
			int64_t cnt = 0, best = -1, kidx[OX_WIN_MAX] = { 0 };

			for (int64_t kp = 0; kp < kprod; kp++) {
				int64_t pos = 0, cpos = 0, cmul = 1;
				bool inside = true, inpad = true;

				for (int i = 0; i < w.nsp; i++) {
					int64_t q = oidx[i] * w.stride[i] - w.pad0[i] + kidx[i] * w.dil[i];

					if (q < -w.pad0[i] || q >= w.in[i] + w.pad1[i])
						inpad = false;
					if (q < 0 || q >= w.in[i])
						inside = false;
					pos = pos * w.in[i] + q;
				}
				if (colmajor && inside) {
					for (int i = 0; i < w.nsp; i++) {
						int64_t q = oidx[i] * w.stride[i] - w.pad0[i] + kidx[i] * w.dil[i];

						cpos += q * cmul;
						cmul *= w.in[i];
					}
				}
				if (inside) {
					double v = ox_get_f64(x, c * iprod + pos);

					if (kind == MAX) {
						if (v > acc || best < 0) {
							acc = v;
							best = colmajor ? cpos : pos;
						}
					} else if (kind == AVG) {
						acc += v;
					} else {
						acc += pow(fabs(v), p);
					}
					cnt++;
				} else if (incl && inpad) {
					cnt++;
				}
				for (int i = w.nsp - 1; i >= 0; i--) {
					if (++kidx[i] < w.kernel[i])
						break;
					kidx[i] = 0;
				}
			}
			if (kind == AVG)
				acc = cnt ? acc / (double)cnt : 0;
			else if (kind == LP)
				acc = pow(acc, 1.0 / p);
			ox_set_f64(o, c * oprod + op, acc);
			if (ind)
				((int64_t *)ind->data)[c * oprod + op] = best < 0 ? -1 : c * iprod + best;
			for (int i = w.nsp - 1; i >= 0; i--) {
				if (++oidx[i] < w.out[i])
					break;
				oidx[i] = 0;
			}
		}
	}
	return 0;
}

int ox_op_max_pool(struct ox_kctx *k) { return pool(k, MAX, false, ox_op_max_pool); }
int ox_op_average_pool(struct ox_kctx *k) { return pool(k, AVG, false, ox_op_average_pool); }
int ox_op_lp_pool(struct ox_kctx *k) { return pool(k, LP, false, ox_op_lp_pool); }
int ox_op_global_max_pool(struct ox_kctx *k) { return pool(k, MAX, true, ox_op_global_max_pool); }
int ox_op_global_average_pool(struct ox_kctx *k) { return pool(k, AVG, true, ox_op_global_average_pool); }
int ox_op_global_lp_pool(struct ox_kctx *k) { return pool(k, LP, true, ox_op_global_lp_pool); }

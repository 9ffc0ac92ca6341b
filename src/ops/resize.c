/* ops/resize.c: Resize (every mode and coordinate transform of opsets 10-13) and
 * Upsample.
 *
 * Resampling is separable: for each output dim and coordinate, a short list of taps
 * (input index, weight) is computed once, following the ONNX reference: neighbours of
 * the transformed coordinate with edge padding, weights from the nearest, linear or
 * cubic kernel, optionally renormalized without outside taps. An output element is
 * the sum over the product of its dims' taps.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

#define MAXTAP 4

struct taps {
	int n;
	int64_t idx[MAXTAP];
	double w[MAXTAP];
	bool outside;           /* tf_crop_and_resize beyond the input: extrapolate */
};

enum mode { NEAREST, LINEAR, CUBIC };
enum ctm { HALF_PIXEL, PYTORCH_HALF_PIXEL, ALIGN_CORNERS, ASYMMETRIC, TF_HALF_PIXEL_NN, TF_CROP };
enum nmode { PREFER_FLOOR, PREFER_CEIL, FLOOR, CEIL };

static int
make_taps(struct taps *t, int64_t xo, int64_t in_len, int64_t out_len, double scale, enum mode mode,
	  enum ctm ctm, enum nmode nm, double a, bool exclude, double roi0, double roi1)
{
	double x, r;
	int64_t i0;
	double c[MAXTAP];
	int n;

	/* The reference measures the output in scale * input, not in whole elements. */
	double out_f = scale * (double)in_len;

	(void)out_len;
	switch (ctm) {
	case HALF_PIXEL: x = ((double)xo + 0.5) / scale - 0.5; break;
	case PYTORCH_HALF_PIXEL: x = out_f == 1 ? -0.5 : ((double)xo + 0.5) / scale - 0.5; break;
	case ALIGN_CORNERS: x = out_f == 1 ? 0 : (double)xo * (double)(in_len - 1) / (out_f - 1); break;
	case ASYMMETRIC: x = (double)xo / scale; break;
	case TF_HALF_PIXEL_NN: x = ((double)xo + 0.5) / scale; break;
	default:
		x = out_f == 1 ? (roi1 - roi0) * (double)(in_len - 1) / 2
			       : (double)xo * (roi1 - roi0) * (double)(in_len - 1) / (out_f - 1);
		x += roi0 * (double)(in_len - 1);
		break;
	}
	t->outside = ctm == TF_CROP && (x < 0 || x > (double)(in_len - 1));
	i0 = (int64_t)floor(x);
	r = x - (double)i0;
	if (r == 0) {
		/* The reference treats an exact coordinate as ratio 1 from the index below. */
		i0 -= 1;
		r = 1;
	}
	if (mode == NEAREST) {
		bool up;

		n = 2;
		if (r == 1)
			up = true;
		else if (nm == PREFER_FLOOR)
			up = r > 0.5;
		else if (nm == PREFER_CEIL)
			up = r >= 0.5;
		else
			up = nm == CEIL;
		c[0] = up ? 0 : 1;
		c[1] = up ? 1 : 0;
	} else if (mode == LINEAR) {
		n = 2;
		c[0] = 1 - r;
		c[1] = r;
	} else {
		double s = 1 - r;

		n = 4;
		c[0] = ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a;
		c[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
		c[2] = ((a + 2) * s - (a + 3)) * s * s + 1;
		c[3] = ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a;
		i0 -= 1;
	}
	if (exclude) {
		double sum = 0;

		for (int j = 0; j < n; j++) {
			if (i0 + j < 0 || i0 + j >= in_len)
				c[j] = 0;
			sum += c[j];
		}
		for (int j = 0; j < n && sum != 0; j++)
			c[j] /= sum;
	}
	t->n = 0;
	for (int j = 0; j < n; j++) {
		int64_t q = i0 + j;

		if (c[j] == 0)
			continue;
		q = q < 0 ? 0 : q >= in_len ? in_len - 1 : q;
		t->idx[t->n] = q;
		t->w[t->n] = c[j];
		t->n++;
	}
	return 0;
}

static int
resample(struct ox_kctx *k, const struct ox_tensor *x, const int64_t *odims, const double *scales,
	 enum mode mode, enum ctm ctm, enum nmode nm, double a, bool exclude, double extrap,
	 const double *roi)
{
	struct taps *taps[OX_MAX_RANK];
	int nd = x->ndim, r = 0;
	int64_t xs[OX_MAX_RANK], idx[OX_MAX_RANK] = { 0 };
	struct ox_tensor *o;

	if (!(o = ox_kout(k, 0, x->dtype, nd, odims)))
		return OX_ENOMEM;
	{
		int64_t s = 1;

		for (int d = nd - 1; d >= 0; d--) {
			xs[d] = s;
			s *= x->dims[d];
		}
	}
	for (int d = 0; d < nd; d++)
		taps[d] = NULL;
	for (int d = 0; d < nd; d++) {
		if (!(taps[d] = calloc((size_t)odims[d] + 1, sizeof **taps))) {
			r = ox_kerr(k, OX_ENOMEM, "out of memory");
			goto out;
		}
		if (odims[d] > 0 && x->dims[d] == 0) {
			r = ox_kerr(k, OX_EINVAL, "cannot resize an empty dimension");
			goto out;
		}
		for (int64_t i = 0; i < odims[d]; i++)
			make_taps(&taps[d][i], i, x->dims[d], odims[d], scales[d], mode, ctm, nm, a, exclude,
				  roi ? roi[d] : 0, roi ? roi[nd + d] : 1);
	}
	for (int64_t i = 0; i < o->nelem; i++) {
		int tj[OX_MAX_RANK] = { 0 };
		double sum = 0;
		bool outside = false;

		for (int d = 0; d < nd; d++)
			if (taps[d][idx[d]].outside)
				outside = true;
		if (outside) {
			sum = extrap;
		} else {
			/* odometer over the taps of every dim */
			for (;;) {
				double w = 1;
				int64_t p = 0;
				int d;

				for (d = 0; d < nd; d++) {
					const struct taps *t = &taps[d][idx[d]];

					w *= t->w[tj[d]];
					p += t->idx[tj[d]] * xs[d];
				}
				sum += w * ox_get_f64(x, p);
				for (d = nd - 1; d >= 0; d--) {
					if (++tj[d] < taps[d][idx[d]].n)
						break;
					tj[d] = 0;
				}
				if (d < 0)
					break;
			}
		}
		ox_set_f64(o, i, sum);
		for (int d = nd - 1; d >= 0; d--) {
			if (++idx[d] < odims[d])
				break;
			idx[d] = 0;
		}
	}
out:
	for (int d = 0; d < nd; d++)
		free(taps[d]);
	return r;
}

static bool
is_num(int dtype)
{
	return ox_dtype_is_float(dtype) || ox_dtype_is_int(dtype);
}

int
ox_op_resize(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *roi_t, *sc_t, *sz_t;
	char buf[32];
	const char *s;
	enum mode mode;
	enum ctm ctm = HALF_PIXEL;
	enum nmode nm = PREFER_FLOOR;
	int64_t odims[OX_MAX_RANK];
	double scales[OX_MAX_RANK], roi[2 * OX_MAX_RANK];
	bool have_roi = false;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_resize);
	if (!is_num(x->dtype))
		return ox_kdtype(k, x->dtype);
	s = ox_kattr_s(k, "mode", "nearest", buf, sizeof buf);
	if (!strcmp(s, "nearest"))
		mode = NEAREST;
	else if (!strcmp(s, "linear") || !strcmp(s, "bilinear"))
		mode = LINEAR;
	else if (!strcmp(s, "cubic"))
		mode = CUBIC;
	else
		return ox_kerr(k, OX_EUNSUPPORTED, "mode '%s'", s);
	if (k->opset < 11 || !strcmp(k->node->op_type, "Upsample")) {
		/* Opset 10 Resize and Upsample: asymmetric coordinates, nearest floors. */
		ctm = ASYMMETRIC;
		nm = FLOOR;
		roi_t = NULL;
		sz_t = NULL;
		sc_t = ox_kin(k, 1);
		if (!sc_t && !strcmp(k->node->op_type, "Upsample")) {
			const float *f;
			int64_t n = ox_kattr_floats(k, "scales", &f);

			if (n != x->ndim)
				return ox_kerr(k, OX_EINVAL, "scales has the wrong length");
			for (int d = 0; d < x->ndim; d++)
				scales[d] = f[d];
			goto have_scales;
		}
	} else {
		roi_t = ox_kin(k, 1);
		sc_t = ox_kin(k, 2);
		sz_t = ox_kin(k, 3);
		s = ox_kattr_s(k, "coordinate_transformation_mode", "half_pixel", buf, sizeof buf);
		if (!strcmp(s, "half_pixel"))
			ctm = HALF_PIXEL;
		else if (!strcmp(s, "pytorch_half_pixel"))
			ctm = PYTORCH_HALF_PIXEL;
		else if (!strcmp(s, "align_corners"))
			ctm = ALIGN_CORNERS;
		else if (!strcmp(s, "asymmetric"))
			ctm = ASYMMETRIC;
		else if (!strcmp(s, "tf_half_pixel_for_nn"))
			ctm = TF_HALF_PIXEL_NN;
		else if (!strcmp(s, "tf_crop_and_resize"))
			ctm = TF_CROP;
		else
			return ox_kerr(k, OX_EUNSUPPORTED, "coordinate_transformation_mode '%s'", s);
		s = ox_kattr_s(k, "nearest_mode", "round_prefer_floor", buf, sizeof buf);
		nm = !strcmp(s, "round_prefer_ceil") ? PREFER_CEIL : !strcmp(s, "floor") ? FLOOR :
		     !strcmp(s, "ceil") ? CEIL : PREFER_FLOOR;
	}
	if (sz_t && sz_t->nelem > 0) {
		if (sz_t->nelem != x->ndim || !ox_dtype_is_int(sz_t->dtype))
			return ox_kerr(k, OX_EINVAL, "sizes must hold %d integers", x->ndim);
		for (int d = 0; d < x->ndim; d++) {
			odims[d] = ox_get_i64(sz_t, d);
			if (odims[d] < 0)
				return ox_kerr(k, OX_EINVAL, "negative size");
			scales[d] = x->dims[d] ? (double)odims[d] / (double)x->dims[d] : 1;
		}
	} else if (sc_t && sc_t->nelem > 0) {
		if (sc_t->nelem != x->ndim || !ox_dtype_is_float(sc_t->dtype))
			return ox_kerr(k, OX_EINVAL, "scales must hold %d floats", x->ndim);
		for (int d = 0; d < x->ndim; d++)
			scales[d] = ox_get_f64(sc_t, d);
have_scales:
		for (int d = 0; d < x->ndim; d++) {
			double v = floor((double)x->dims[d] * scales[d]);

			if (!(scales[d] > 0) || !(v < 1e15))
				return ox_kerr(k, OX_EINVAL, "scales must be positive and finite");
			odims[d] = (int64_t)v;
		}
	} else {
		return ox_kerr(k, OX_EINVAL, "neither scales nor sizes given");
	}
	if (ctm == TF_CROP) {
		if (!roi_t || roi_t->nelem != 2 * x->ndim)
			return ox_kerr(k, OX_EINVAL, "tf_crop_and_resize needs roi with %d values", 2 * x->ndim);
		for (int i = 0; i < 2 * x->ndim; i++)
			roi[i] = ox_get_f64(roi_t, i);
		have_roi = true;
	}
	return resample(k, x, odims, scales, mode, ctm, nm, ox_kattr_f(k, "cubic_coeff_a", -0.75f),
			ox_kattr_i(k, "exclude_outside", 0) != 0, ox_kattr_f(k, "extrapolation_value", 0),
			have_roi ? roi : NULL);
}

/* --- GridSample (2-D), after the ONNX reference --- */

struct gs {
	const struct ox_tensor *x;
	int64_t base, h, w;
	int pad;                /* 0 zeros, 1 border, 2 reflection */
	double bmin[2], bmax[2];
};

static double
gs_reflect(double x, double lo, double hi)
{
	double rng = hi - lo, dx, r;
	int64_t n;

	if (rng <= 0)
		return lo;
	if (x < lo) {
		dx = lo - x;
		n = (int64_t)(dx / rng);
		r = dx - (double)n * rng;
		return n % 2 == 0 ? lo + r : hi - r;
	}
	if (x > hi) {
		dx = x - hi;
		n = (int64_t)(dx / rng);
		r = dx - (double)n * rng;
		return n % 2 == 0 ? hi - r : lo + r;
	}
	return x;
}

/* Pixel (row i, column j) with the padding mode; dim 0 is rows. */
static double
gs_pixel(const struct gs *g, int64_t i, int64_t j)
{
	int64_t d[2] = { g->h, g->w }, c[2] = { i, j };

	for (int a = 0; a < 2; a++) {
		if (g->pad == 0) {
			if (c[a] < 0 || c[a] >= d[a])
				return 0;
		} else if (g->pad == 1) {
			c[a] = c[a] < 0 ? 0 : c[a] >= d[a] ? d[a] - 1 : c[a];
		} else {
			c[a] = (int64_t)gs_reflect((double)c[a], g->bmin[a], g->bmax[a]);
			c[a] = c[a] < 0 ? 0 : c[a] >= d[a] ? d[a] - 1 : c[a];
		}
	}
	return ox_get_f64(g->x, g->base + c[0] * g->w + c[1]);
}

static void
cubic_coeffs(double t, double *c)
{
	const double a = -0.75;

	t = fabs(t);
	c[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
	c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
	c[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
	c[3] = ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a;
}

int
ox_op_grid_sample(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *grid = ox_kin(k, 1);
	bool ac = ox_kattr_i(k, "align_corners", 0);
	char b1[16], b2[16];
	const char *mode = ox_kattr_s(k, "mode", "bilinear", b1, sizeof b1);
	const char *pm = ox_kattr_s(k, "padding_mode", "zeros", b2, sizeof b2);
	int m = !strcmp(mode, "nearest") ? 0 : (!strcmp(mode, "bilinear") || !strcmp(mode, "linear")) ? 1 :
		(!strcmp(mode, "bicubic") || !strcmp(mode, "cubic")) ? 2 : -1;
	int64_t dims[4], n, c, ho, wo;
	struct ox_tensor *o;
	struct gs g;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_grid_sample);
	if (!ox_dtype_is_float(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (m < 0)
		return ox_kerr(k, OX_EUNSUPPORTED, "mode '%s'", mode);
	if (x->ndim != 4 || grid->ndim != 4 || grid->dims[3] != 2 || grid->dims[0] != x->dims[0])
		return ox_kerr(k, OX_EUNSUPPORTED, "only 2-D sampling: X [N,C,H,W], grid [N,Ho,Wo,2]");
	n = x->dims[0], c = x->dims[1], ho = grid->dims[1], wo = grid->dims[2];
	dims[0] = n, dims[1] = c, dims[2] = ho, dims[3] = wo;
	if (!(o = ox_kout(k, 0, x->dtype, 4, dims)))
		return OX_ENOMEM;
	g.x = x;
	g.h = x->dims[2];
	g.w = x->dims[3];
	g.pad = !strcmp(pm, "border") ? 1 : !strcmp(pm, "reflection") ? 2 : 0;
	for (int a = 0; a < 2; a++) {
		int64_t d = a ? g.w : g.h;

		g.bmin[a] = ac ? 0 : -0.5;
		g.bmax[a] = ac ? (double)d - 1 : (double)d - 0.5;
	}
	for (int64_t b = 0; b < n; b++)
		for (int64_t ch = 0; ch < c; ch++) {
			g.base = (b * c + ch) * g.h * g.w;
			for (int64_t i = 0; i < ho * wo; i++) {
				double p[2], v = 0;
				int64_t gi = (b * ho * wo + i) * 2;

				/* grid holds (x, y): column first */
				p[1] = ox_get_f64(grid, gi);
				p[0] = ox_get_f64(grid, gi + 1);
				for (int a = 0; a < 2; a++) {
					double d = (double)(a ? g.w : g.h);

					p[a] = ac ? (p[a] + 1) / 2.0 * (d - 1) : ((p[a] + 1) * d - 1) / 2.0;
					if (m == 0)
						p[a] = nearbyint(p[a]);
					if (p[a] < g.bmin[a] || p[a] > g.bmax[a]) {
						if (g.pad == 1)
							p[a] = p[a] < 0 ? 0 : p[a] > d - 1 ? d - 1 : p[a];
						else if (g.pad == 2)
							p[a] = gs_reflect(p[a], g.bmin[a], g.bmax[a]);
					}
				}
				if (m == 0) {
					v = gs_pixel(&g, (int64_t)p[0], (int64_t)p[1]);
				} else if (m == 1) {
					int64_t y0 = (int64_t)floor(p[0]), x0 = (int64_t)floor(p[1]);
					double fy = p[0] - (double)y0, fx = p[1] - (double)x0;

					v = (1 - fy) * ((1 - fx) * gs_pixel(&g, y0, x0) + fx * gs_pixel(&g, y0, x0 + 1)) +
					    fy * ((1 - fx) * gs_pixel(&g, y0 + 1, x0) + fx * gs_pixel(&g, y0 + 1, x0 + 1));
				} else {
					int64_t y0 = (int64_t)floor(p[0]), x0 = (int64_t)floor(p[1]);
					double cy[4], cx[4];

					cubic_coeffs(p[0] - (double)y0, cy);
					cubic_coeffs(p[1] - (double)x0, cx);
					for (int a = 0; a < 4; a++) {
						double row = 0;

						for (int q = 0; q < 4; q++)
							row += cx[q] * gs_pixel(&g, y0 - 1 + a, x0 - 1 + q);
						v += cy[a] * row;
					}
				}
				ox_set_f64(o, (b * c + ch) * ho * wo + i, v);
			}
		}
	return 0;
}

/* ops/signal.c: DFT, STFT, MelWeightMatrix and RoiAlign.
 *
 * The transforms are direct O(n^2) sums in double: the sizes these ops see in
 * models are small, and a direct sum has no power-of-two restrictions.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

/* One transform of n points (re/im read at stride) into out (2 * bins doubles). */
static void
dft1(const double *re, const double *im, int64_t n, int64_t bins, bool inverse, double *out)
{
	for (int64_t f = 0; f < bins; f++) {
		double sr = 0, si = 0;

		for (int64_t t = 0; t < n; t++) {
			double a = 2 * M_PI * (double)((f * t) % (n ? n : 1)) / (double)n * (inverse ? 1 : -1);
			double c = cos(a), s = sin(a);

			sr += re[t] * c - im[t] * s;
			si += re[t] * s + im[t] * c;
		}
		out[2 * f] = inverse ? sr / (double)n : sr;
		out[2 * f + 1] = inverse ? si / (double)n : si;
	}
}

int
ox_op_dft(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *len_t = ox_kin(k, 1);
	bool inverse = ox_kattr_i(k, "inverse", 0), onesided = ox_kattr_i(k, "onesided", 0);
	int64_t dims[OX_MAX_RANK], outer = 1, inner = 1, n, len, bins, comp;
	double *re, *im, *res;
	struct ox_tensor *o;
	int axis;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (x->ndim < 2 || (x->dims[x->ndim - 1] != 1 && x->dims[x->ndim - 1] != 2))
		return ox_kerr(k, OX_EINVAL, "the last dimension must be 1 (real) or 2 (complex)");
	comp = x->dims[x->ndim - 1];
	if (k->opset >= 20) {
		/* DFT-20: axis is input 2 (default -2), counted over the full rank, the
		 * complex dimension excluded: [-r, -2] or [0, r - 2]. */
		const struct ox_tensor *ax = ox_kin(k, 2);
		int64_t a = ax && ax->nelem ? ox_get_i64(ax, 0) : -2;

		if (a < 0)
			a += x->ndim;
		if (a < 0 || a > x->ndim - 2)
			return ox_kerr(k, OX_EINVAL, "axis %lld is out of range for rank %d",
				       (long long)(ax && ax->nelem ? ox_get_i64(ax, 0) : -2), x->ndim);
		axis = (int)a;
	} else if (!ox_kaxis(k, ox_kattr_i(k, "axis", 1), x->ndim - 1, &axis)) {
		return OX_EINVAL;
	}
	n = x->dims[axis];
	len = len_t && len_t->nelem ? ox_get_i64(len_t, 0) : n;
	if (len <= 0)
		return ox_kerr(k, OX_EINVAL, "dft_length must be positive");
	bins = onesided ? len / 2 + 1 : len;
	for (int d = 0; d < axis; d++)
		outer *= x->dims[d];
	for (int d = axis + 1; d < x->ndim - 1; d++)
		inner *= x->dims[d];
	memcpy(dims, x->dims, (size_t)x->ndim * sizeof *dims);
	dims[axis] = bins;
	dims[x->ndim - 1] = 2;
	if (!(o = ox_kout(k, 0, x->dtype, x->ndim, dims)))
		return OX_ENOMEM;
	re = calloc((size_t)len + 1, sizeof *re);
	im = calloc((size_t)len + 1, sizeof *im);
	res = calloc(2 * (size_t)bins + 2, sizeof *res);
	if (!re || !im || !res) {
		free(re);
		free(im);
		free(res);
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	}
	for (int64_t r = 0; r < outer; r++)
		for (int64_t j = 0; j < inner; j++) {
			for (int64_t t = 0; t < len; t++) {
				int64_t p = ((r * n + t) * inner + j) * comp;

				re[t] = t < n ? ox_get_f64(x, p) : 0;
				im[t] = t < n && comp == 2 ? ox_get_f64(x, p + 1) : 0;
			}
			dft1(re, im, len, bins, inverse, res);
			for (int64_t f = 0; f < bins; f++) {
				int64_t p = ((r * bins + f) * inner + j) * 2;

				ox_set_f64(o, p, res[2 * f]);
				ox_set_f64(o, p + 1, res[2 * f + 1]);
			}
		}
	free(re);
	free(im);
	free(res);
	return 0;
}

int
ox_op_stft(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *step_t = ox_kin(k, 1), *win = ox_kin(k, 2), *fl_t = ox_kin(k, 3);
	bool onesided = ox_kattr_i(k, "onesided", 1);
	int64_t batch, len, comp, step, flen, frames, bins, dims[4];
	double *re, *im, *res;
	struct ox_tensor *o;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (x->ndim != 3 || (x->dims[2] != 1 && x->dims[2] != 2))
		return ox_kerr(k, OX_EINVAL, "signal must be [batch, length, 1 or 2]");
	batch = x->dims[0];
	len = x->dims[1];
	comp = x->dims[2];
	step = ox_get_i64(step_t, 0);
	flen = fl_t && fl_t->nelem ? ox_get_i64(fl_t, 0) : win ? win->nelem : 0;
	if (step <= 0 || flen <= 0 || flen > len || (win && win->nelem != flen))
		return ox_kerr(k, OX_EINVAL, "frame_step, frame_length and window do not fit");
	frames = (len - flen) / step + 1;
	bins = onesided ? flen / 2 + 1 : flen;
	dims[0] = batch, dims[1] = frames, dims[2] = bins, dims[3] = 2;
	if (!(o = ox_kout(k, 0, x->dtype, 4, dims)))
		return OX_ENOMEM;
	re = calloc((size_t)flen + 1, sizeof *re);
	im = calloc((size_t)flen + 1, sizeof *im);
	res = calloc(2 * (size_t)bins + 2, sizeof *res);
	if (!re || !im || !res) {
		free(re);
		free(im);
		free(res);
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	}
	for (int64_t b = 0; b < batch; b++)
		for (int64_t f = 0; f < frames; f++) {
			for (int64_t t = 0; t < flen; t++) {
				int64_t p = (b * len + f * step + t) * comp;
				double w = win ? ox_get_f64(win, t) : 1;

				re[t] = ox_get_f64(x, p) * w;
				im[t] = comp == 2 ? ox_get_f64(x, p + 1) * w : 0;
			}
			dft1(re, im, flen, bins, false, res);
			for (int64_t q = 0; q < 2 * bins; q++)
				ox_set_f64(o, (b * frames + f) * bins * 2 + q, res[q]);
		}
	free(re);
	free(im);
	free(res);
	return 0;
}

int
ox_op_mel_weight_matrix(struct ox_kctx *k)
{
	int64_t nmel, dft, sr, spec, dims[2], *fb;
	double lo, hi, lmel, hmel, step;
	struct ox_tensor *o;
	int dt = (int)ox_kattr_i(k, "output_datatype", OX_FLOAT);

	for (int i = 0; i < 5; i++)
		if (!ox_kneed(k, i) || ox_kin(k, i)->nelem != 1)
			return ox_kerr(k, OX_EINVAL, "input %d must be a scalar", i);
	nmel = ox_get_i64(ox_kin(k, 0), 0);
	dft = ox_get_i64(ox_kin(k, 1), 0);
	sr = ox_get_i64(ox_kin(k, 2), 0);
	lo = ox_get_f64(ox_kin(k, 3), 0);
	hi = ox_get_f64(ox_kin(k, 4), 0);
	if (nmel <= 0 || dft <= 0 || sr <= 0)
		return ox_kerr(k, OX_EINVAL, "num_mel_bins, dft_length and sample_rate must be positive");
	spec = dft / 2 + 1;
	dims[0] = spec;
	dims[1] = nmel;
	if (!ox_dtype_is_float(dt) && !ox_dtype_is_int(dt))
		return ox_kdtype(k, dt);
	if (!(o = ox_kout(k, 0, dt, 2, dims)))
		return OX_ENOMEM;
	if (!(fb = malloc(((size_t)nmel + 2) * sizeof *fb)))
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	/* Following the reference: mel points spread over num_mel_bins + 2 steps, then
	 * mapped to spectrogram bins with floor division. */
	lmel = 2595 * log10(1 + lo / 700);
	hmel = 2595 * log10(1 + hi / 700);
	step = (hmel - lmel) / (double)(nmel + 2);
	for (int64_t i = 0; i < nmel + 2; i++) {
		double hz = 700 * (pow(10, ((double)i * step + lmel) / 2595) - 1);

		fb[i] = (int64_t)floor((double)(dft + 1) * hz / (double)sr);
	}
	for (int64_t i = 0; i < nmel; i++) {
		int64_t l = fb[i], c = fb[i + 1], h = fb[i + 2];

		if (l < 0 || h >= spec || c < l || h < c) {
			free(fb);
			return ox_kerr(k, OX_EINVAL, "mel bands fall outside the spectrogram");
		}
		if (c == l)
			ox_set_f64(o, c * nmel + i, 1);
		else
			for (int64_t j = l; j <= c; j++)
				ox_set_f64(o, j * nmel + i, (double)(j - l) / (double)(c - l));
		for (int64_t j = c; h > c && j < h; j++)
			ox_set_f64(o, j * nmel + i, (double)(h - j) / (double)(h - c));
	}
	free(fb);
	return 0;
}

int
ox_op_roi_align(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *rois = ox_kin(k, 1), *bi = ox_kin(k, 2);
	int64_t oh = ox_kattr_i(k, "output_height", 1), ow = ox_kattr_i(k, "output_width", 1);
	int64_t sratio = ox_kattr_i(k, "sampling_ratio", 0), nr, c, h, w, dims[4];
	double scale = ox_kattr_f(k, "spatial_scale", 1.0f);
	char b1[24], b2[8];
	bool half = !strcmp(ox_kattr_s(k, "coordinate_transformation_mode", k->opset >= 16 ? "half_pixel" : "output_half_pixel",
					b1, sizeof b1), "half_pixel");
	bool avg = strcmp(ox_kattr_s(k, "mode", "avg", b2, sizeof b2), "max") != 0;
	struct ox_tensor *o;

	for (int i = 0; i < 3; i++)
		if (!ox_kneed(k, i))
			return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (x->ndim != 4 || rois->ndim != 2 || rois->dims[1] != 4 || bi->nelem != rois->dims[0] || oh <= 0 || ow <= 0)
		return ox_kerr(k, OX_EINVAL, "X must be [N,C,H,W], rois [R,4], batch_indices [R]");
	nr = rois->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
	dims[0] = nr, dims[1] = c, dims[2] = oh, dims[3] = ow;
	if (!(o = ox_kout(k, 0, x->dtype, 4, dims)))
		return OX_ENOMEM;
	for (int64_t r = 0; r < nr; r++) {
		double off = half ? 0.5 : 0;
		double sw = ox_get_f64(rois, r * 4) * scale - off, sh = ox_get_f64(rois, r * 4 + 1) * scale - off;
		double ew = ox_get_f64(rois, r * 4 + 2) * scale - off, eh = ox_get_f64(rois, r * 4 + 3) * scale - off;
		double rw = ew - sw, rh = eh - sh, bw, bh;
		int64_t gh, gw, b = ox_get_i64(bi, r), cnt;

		if (b < 0 || b >= x->dims[0])
			return ox_kerr(k, OX_EINVAL, "batch index %lld is out of range", (long long)b);
		if (!half) {
			rw = fmax(rw, 1.0);
			rh = fmax(rh, 1.0);
		}
		bh = rh / (double)oh;
		bw = rw / (double)ow;
		gh = sratio > 0 ? sratio : (int64_t)ceil(rh / (double)oh);
		gw = sratio > 0 ? sratio : (int64_t)ceil(rw / (double)ow);
		cnt = gh * gw > 1 ? gh * gw : 1;
		for (int64_t ch = 0; ch < c; ch++) {
			int64_t base = (b * c + ch) * h * w;

			for (int64_t py = 0; py < oh; py++)
				for (int64_t px = 0; px < ow; px++) {
					double acc = 0;
					bool first = true;

					for (int64_t iy = 0; iy < gh; iy++)
						for (int64_t ix = 0; ix < gw; ix++) {
							double y = sh + (double)py * bh + ((double)iy + 0.5) * bh / (double)gh;
							double xx = sw + (double)px * bw + ((double)ix + 0.5) * bw / (double)gw;
							double v[4] = { 0, 0, 0, 0 }, ly, lx, val;
							int64_t yl, xl, yh, xh;

							if (!(y < -1.0 || y > (double)h || xx < -1.0 || xx > (double)w)) {
								y = fmax(y, 0);
								xx = fmax(xx, 0);
								yl = (int64_t)y;
								xl = (int64_t)xx;
								if (yl >= h - 1) {
									yh = yl = h - 1;
									y = (double)yl;
								} else {
									yh = yl + 1;
								}
								if (xl >= w - 1) {
									xh = xl = w - 1;
									xx = (double)xl;
								} else {
									xh = xl + 1;
								}
								ly = y - (double)yl;
								lx = xx - (double)xl;
								v[0] = (1 - ly) * (1 - lx) * ox_get_f64(x, base + yl * w + xl);
								v[1] = (1 - ly) * lx * ox_get_f64(x, base + yl * w + xh);
								v[2] = ly * (1 - lx) * ox_get_f64(x, base + yh * w + xl);
								v[3] = ly * lx * ox_get_f64(x, base + yh * w + xh);
							}
							if (avg) {
								acc += v[0] + v[1] + v[2] + v[3];
							} else {
								val = fmax(fmax(v[0], v[1]), fmax(v[2], v[3]));
								acc = first ? val : fmax(acc, val);
								first = false;
							}
						}
					ox_set_f64(o, ((r * c + ch) * oh + py) * ow + px, avg ? acc / (double)cnt : acc);
				}
		}
	}
	return 0;
}

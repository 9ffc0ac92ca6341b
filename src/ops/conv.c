/* ops/conv.c: Conv and ConvTranspose over any number of spatial dims, and the
 * window geometry (pads, strides, dilations, auto_pad, ceil_mode) that pooling shares.
 *
 * Conv lowers each group to one sgemm (ox_sgemm) over an im2col matrix; a 1x1 kernel with
 * unit strides and no padding multiplies the input directly. ConvTranspose is the
 * transpose: one sgemm into a column matrix, then col2im adds it into the output.
 */
#include "config.h"

#include <cblas.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ops/fast.h"
#include "ops/kernel.h"

int
ox_kwindow(struct ox_kctx *k, struct ox_window *w, const struct ox_tensor *x, const int64_t *kshape,
	   bool transpose)
{
	const int64_t *a;
	int64_t n;
	char buf[16];
	const char *ap = ox_kattr_s(k, "auto_pad", "NOTSET", buf, sizeof buf);

	if (x->ndim < 3 || x->ndim - 2 > OX_WIN_MAX)
		return ox_kerr(k, OX_EUNSUPPORTED, "input rank %d (needs 3 to %d)", x->ndim, OX_WIN_MAX + 2);
	w->nsp = x->ndim - 2;
	for (int i = 0; i < w->nsp; i++) {
		w->in[i] = x->dims[i + 2];
		w->kernel[i] = kshape ? kshape[i] : 0;
		w->stride[i] = 1;
		w->dil[i] = 1;
		w->pad0[i] = w->pad1[i] = 0;
	}
	if ((n = ox_kattr_ints(k, "kernel_shape", &a)) >= 0) {
		if (n != w->nsp)
			return ox_kerr(k, OX_EINVAL, "kernel_shape has %lld entries for %d spatial dims",
				       (long long)n, w->nsp);
		memcpy(w->kernel, a, (size_t)n * sizeof *a);
	}
	if ((n = ox_kattr_ints(k, "strides", &a)) >= 0) {
		if (n != w->nsp)
			return ox_kerr(k, OX_EINVAL, "strides has the wrong length");
		memcpy(w->stride, a, (size_t)n * sizeof *a);
	}
	if ((n = ox_kattr_ints(k, "dilations", &a)) >= 0) {
		if (n != w->nsp)
			return ox_kerr(k, OX_EINVAL, "dilations has the wrong length");
		memcpy(w->dil, a, (size_t)n * sizeof *a);
	}
	if ((n = ox_kattr_ints(k, "pads", &a)) >= 0) {
		if (n != 2 * w->nsp)
			return ox_kerr(k, OX_EINVAL, "pads has the wrong length");
		memcpy(w->pad0, a, (size_t)w->nsp * sizeof *a);
		memcpy(w->pad1, a + w->nsp, (size_t)w->nsp * sizeof *a);
	}
	for (int i = 0; i < w->nsp; i++)
		if (w->kernel[i] <= 0 || w->stride[i] <= 0 || w->dil[i] <= 0 || w->pad0[i] < 0 || w->pad1[i] < 0)
			return ox_kerr(k, OX_EINVAL, "kernel, strides, dilations must be positive, pads not negative");
	w->ceil = ox_kattr_i(k, "ceil_mode", 0) != 0;
	for (int i = 0; i < w->nsp; i++) {
		int64_t ext = (w->kernel[i] - 1) * w->dil[i] + 1;

		if (transpose) {
			w->out[i] = 0; /* the caller computes it */
			continue;
		}
		if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
			int64_t o = (w->in[i] + w->stride[i] - 1) / w->stride[i];
			int64_t total = (o - 1) * w->stride[i] + ext - w->in[i];

			total = total < 0 ? 0 : total;
			w->pad0[i] = !strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2;
			w->pad1[i] = total - w->pad0[i];
			w->out[i] = o;
			continue;
		}
		if (!strcmp(ap, "VALID"))
			w->pad0[i] = w->pad1[i] = 0;
		{
			int64_t span = w->in[i] + w->pad0[i] + w->pad1[i] - ext;

			if (span < 0)
				return ox_kerr(k, OX_EINVAL, "the window is larger than the padded input");
			w->out[i] = (w->ceil ? span + w->stride[i] - 1 : span) / w->stride[i] + 1;
			/* The last window must start inside the input or its left padding. */
			if (w->ceil && (w->out[i] - 1) * w->stride[i] >= w->in[i] + w->pad0[i])
				w->out[i]--;
		}
	}
	w->auto_pad = ap == buf ? (!strcmp(buf, "SAME_UPPER") ? 1 : !strcmp(buf, "SAME_LOWER") ? 2 : !strcmp(buf, "VALID") ? 3 : 0) : 0;
	return 0;
}

/* col[(c * K + kpos) * O + opos] for one image and one group's channels. */
static void
im2col(const float *x, int64_t channels, const struct ox_window *w, float *col)
{
	int64_t kprod = 1, oprod = 1, iprod = 1;
	int nsp = w->nsp;

	for (int i = 0; i < nsp; i++) {
		kprod *= w->kernel[i];
		oprod *= w->out[i];
		iprod *= w->in[i];
	}
	for (int64_t c = 0; c < channels; c++) {
		const float *xc = x + c * iprod;

		for (int64_t kp = 0; kp < kprod; kp++) {
			int64_t kidx[OX_WIN_MAX], oidx[OX_WIN_MAX] = { 0 }, rem = kp;
			float *dst = col + (c * kprod + kp) * oprod;
			int64_t wo = w->out[nsp - 1], iw = w->in[nsp - 1], st = w->stride[nsp - 1];

			for (int i = nsp - 1; i >= 0; i--) {
				kidx[i] = rem % w->kernel[i];
				rem /= w->kernel[i];
			}
			for (int64_t row = 0; row < oprod / wo; row++) {
				int64_t base = 0;
				bool inside = true;

				for (int i = 0; i < nsp - 1; i++) {
					int64_t p = oidx[i] * w->stride[i] - w->pad0[i] + kidx[i] * w->dil[i];

					if (p < 0 || p >= w->in[i])
						inside = false;
					base = base * w->in[i] + p;
				}
				if (!inside) {
					memset(dst + row * wo, 0, (size_t)wo * sizeof *dst);
				} else {
					const float *src = xc + base * iw;
					int64_t off = kidx[nsp - 1] * w->dil[nsp - 1] - w->pad0[nsp - 1];
					float *d = dst + row * wo;

					for (int64_t j = 0; j < wo; j++) {
						int64_t p = j * st + off;

						d[j] = p >= 0 && p < iw ? src[p] : 0.0f;
					}
				}
				for (int i = nsp - 2; i >= 0; i--) {
					if (++oidx[i] < w->out[i])
						break;
					oidx[i] = 0;
				}
			}
		}
	}
}

/* The output columns [*lo, *hi) whose input column j * st + off lies in [0, in). */
static void
col_range(int64_t out, int64_t st, int64_t off, int64_t in, int64_t *lo, int64_t *hi)
{
	int64_t l = 0, h = out;

	while (l < out && l * st + off < 0)
		l++;
	while (h > l && (h - 1) * st + off >= in)
		h--;
	*lo = l;
	*hi = h;
}

/* One row of the 2-D column matrix, for channel c and tap (a, q): the part of an
 * output row whose tap lies inside the input is one memcpy at stride 1, and only the
 * edges are zeroed. */
static void
im2col2d_row(const float *x, int64_t c, int64_t a, int64_t q, const struct ox_window *w, float *dst)
{
	int64_t ih = w->in[0], iw = w->in[1], oh = w->out[0], ow = w->out[1], sh = w->stride[0], sw = w->stride[1];
	int64_t off = q * w->dil[1] - w->pad0[1], lo, hi;

	col_range(ow, sw, off, iw, &lo, &hi);
	for (int64_t r = 0; r < oh; r++) {
		int64_t y = r * sh - w->pad0[0] + a * w->dil[0];
		const float *row = x + (c * ih + y) * iw + off;
		float *d = dst + r * ow;

		if (y < 0 || y >= ih || lo >= hi) {
			memset(d, 0, (size_t)ow * sizeof *d);
			continue;
		}
		if (lo)
			memset(d, 0, (size_t)lo * sizeof *d);
		if (hi < ow)
			memset(d + hi, 0, (size_t)(ow - hi) * sizeof *d);
		if (sw == 1) {
			memcpy(d + lo, row + lo, (size_t)(hi - lo) * sizeof *d);
		} else {
			for (int64_t j = lo; j < hi; j++)
				d[j] = row[j * sw];
		}
	}
}

/* The 2-D im2col for channels [c0, c1) of one image and group, row by row. */
static void
im2col2d(const float *x, int64_t c0, int64_t c1, const struct ox_window *w, float *col)
{
	int64_t kh = w->kernel[0], kw = w->kernel[1], n = w->out[0] * w->out[1];

	for (int64_t c = c0; c < c1; c++)
		for (int64_t a = 0; a < kh; a++)
			for (int64_t q = 0; q < kw; q++)
				im2col2d_row(x, c, a, q, w, col + ((c * kh + a) * kw + q) * n);
}

struct im2col_job {
	const float *x;
	const struct ox_window *w;
	float *col;
};

static void
im2col_part(void *ctx, int64_t lo, int64_t hi)
{
	struct im2col_job *j = ctx;

	im2col2d(j->x, lo, hi, j->w, j->col);
}

#ifdef OX_HAVE_AVX512
/* The 2-D im2col made block by block inside the GEMM (struct ox_gemm's pack_b):
 * the column matrix of a 3x3 convolution over a 56x56 image is 7 MB, written and
 * read back once per node when made whole; a block of it (kc rows x 512 columns)
 * stays in cache between its making and its use, and no buffer holds the rest.
 * Each packed row is 32 consecutive output positions, which run over one or more
 * output rows (segments); at stride 1 a segment is one masked load of the input row,
 * otherwise one masked gather. */
struct im2col_blk {
	const float *x;             /* the group's channels of one image */
	const struct ox_window *w;
};

/* Kernels up to this size in each direction go through im2col_pack. */
#define PACK_KMAX 16

/* Lanes [lo, hi) of 16 as a mask. */
static inline __mmask16
lanes(int64_t lo, int64_t hi)
{
	lo = lo < 0 ? 0 : lo;
	hi = hi > 16 ? 16 : hi;
	if (lo >= hi)
		return 0;
	return (__mmask16)((hi >= 16 ? 0xffffu : (1u << hi) - 1) & ~((1u << lo) - 1));
}

__attribute__((target("avx512f"))) static void
im2col_pack(const void *ctx, int n0, int nc, int k0, int kc, float *dst)
{
	const struct im2col_blk *b = ctx;
	const struct ox_window *w = b->w;
	int64_t ih = w->in[0], iw = w->in[1], ow = w->out[1], kh = w->kernel[0], kw = w->kernel[1];
	int64_t sh = w->stride[0], sw = w->stride[1];
	__m512i step = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
					  _mm512_set1_epi32((int)sw));
	__m512i step16 = _mm512_add_epi32(step, _mm512_set1_epi32((int)(16 * sw)));

	for (int p = 0; p < nc; p += OX_GEMM_NR) {
		int cols = nc - p < OX_GEMM_NR ? nc - p : OX_GEMM_NR, ns = 0;
		/* Per segment i (a run of the panel's positions along one output row):
		 * for each tap column q, the input column lane 0 would read (base) and the
		 * lanes that read inside the row (m0, m1); for each tap row a, the offset
		 * of the input row, or -1 outside the image. */
		int64_t base[PACK_KMAX][OX_GEMM_NR], rowoff[PACK_KMAX][OX_GEMM_NR];
		__mmask16 m0[PACK_KMAX][OX_GEMM_NR], m1[PACK_KMAX][OX_GEMM_NR];
		float *d = dst + (size_t)(p / OX_GEMM_NR) * (size_t)kc * OX_GEMM_NR;
		int64_t c, a, q;

		for (int t = 0; t < cols; ns++) {
			int64_t n = n0 + p + t, r = n / ow, j = n % ow;
			int len = (int)(ow - j < cols - t ? ow - j : cols - t);

			for (q = 0; q < kw; q++) {
				int64_t x0 = j * sw - w->pad0[1] + q * w->dil[1];
				/* positions [tlo, thi) of the run read inside the row */
				int64_t tlo = x0 >= 0 ? 0 : (-x0 + sw - 1) / sw;
				int64_t thi = x0 >= iw ? 0 : (iw - x0 + sw - 1) / sw;

				thi = thi < len ? thi : len;
				base[q][ns] = x0 - (int64_t)t * sw;
				m0[q][ns] = lanes(t + tlo, t + thi);
				m1[q][ns] = lanes(t + tlo - 16, t + thi - 16);
			}
			for (a = 0; a < kh; a++) {
				int64_t y = r * sh - w->pad0[0] + a * w->dil[0];

				rowoff[a][ns] = y >= 0 && y < ih ? y * iw : -1;
			}
			t += len;
		}
		c = k0 / (kh * kw);
		a = k0 / kw % kh;
		q = k0 % kw;
		for (int kk = 0; kk < kc; kk++, d += OX_GEMM_NR) {
			const float *chan = b->x + c * ih * iw;
			__m512 v0 = _mm512_setzero_ps(), v1 = _mm512_setzero_ps();

			for (int i = 0; i < ns; i++) {
				const float *src;

				if (rowoff[a][i] < 0)
					continue;
				src = chan + rowoff[a][i] + base[q][i];
				if (sw == 1) {
					v0 = _mm512_mask_loadu_ps(v0, m0[q][i], src);
					v1 = _mm512_mask_loadu_ps(v1, m1[q][i], src + 16);
				} else {
					v0 = _mm512_mask_i32gather_ps(v0, m0[q][i], step, src, 4);
					v1 = _mm512_mask_i32gather_ps(v1, m1[q][i], step16, src, 4);
				}
			}
			_mm512_store_ps(d, v0);
			_mm512_store_ps(d + 16, v1);
			if (++q == kw) {
				q = 0;
				if (++a == kh) {
					a = 0;
					c++;
				}
			}
		}
	}
}
#endif

/* o[lo, hi) += wv * x[j * st] */
OX_VEC static void
tap_row(float *restrict o, const float *restrict x, int64_t lo, int64_t hi, int64_t st, float wv)
{
	if (st == 1)
		for (int64_t j = lo; j < hi; j++)
			o[j] += wv * x[j];
	else if (st == 2)
		for (int64_t j = lo; j < hi; j++)
			o[j] += wv * x[2 * j];
	else
		for (int64_t j = lo; j < hi; j++)
			o[j] += wv * x[j * st];
}

OX_VEC static void
fill(float *restrict o, float v, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		o[i] = v;
}

/* o[lo, hi) = bv + the 3x3 taps from rows x0, x1, x2 (each already offset by the
 * left padding): the whole kernel in one pass over the output row. */
OX_VEC static void
tap9_row(float *restrict o, const float *restrict x0, const float *restrict x1, const float *restrict x2,
	 int64_t lo, int64_t hi, int64_t st, int64_t d, const float *restrict wk, float bv)
{
	float w0 = wk[0], w1 = wk[1], w2 = wk[2], w3 = wk[3], w4 = wk[4], w5 = wk[5];
	float w6 = wk[6], w7 = wk[7], w8 = wk[8];

	if (st == 1 && d == 1)
		for (int64_t j = lo; j < hi; j++)
			o[j] = bv + w0 * x0[j] + w1 * x0[j + 1] + w2 * x0[j + 2] + w3 * x1[j] + w4 * x1[j + 1] +
			       w5 * x1[j + 2] + w6 * x2[j] + w7 * x2[j + 1] + w8 * x2[j + 2];
	else if (st == 2 && d == 1)
		for (int64_t j = lo; j < hi; j++)
			o[j] = bv + w0 * x0[2 * j] + w1 * x0[2 * j + 1] + w2 * x0[2 * j + 2] + w3 * x1[2 * j] +
			       w4 * x1[2 * j + 1] + w5 * x1[2 * j + 2] + w6 * x2[2 * j] + w7 * x2[2 * j + 1] +
			       w8 * x2[2 * j + 2];
	else
		for (int64_t j = lo; j < hi; j++) {
			int64_t c = j * st;

			o[j] = bv + w0 * x0[c] + w1 * x0[c + d] + w2 * x0[c + 2 * d] + w3 * x1[c] + w4 * x1[c + d] +
			       w5 * x1[c + 2 * d] + w6 * x2[c] + w7 * x2[c + d] + w8 * x2[c + 2 * d];
		}
}

/* o[p] = bv + the 3x3 taps of P around p, for p in [0, n): P is a zero-padded plane
 * of rows rl floats long read as one flat array, so one long loop covers every
 * output row (the two columns between rows are computed and dropped); rows of 7 or
 * 14 outputs no longer end in scalar code each. */
OX_VEC static void
tap9_flat(float *restrict o, const float *restrict pl, int64_t n, int64_t rl, const float *restrict wk, float bv)
{
	const float *restrict p1 = pl + rl, *restrict p2 = pl + 2 * rl;

	for (int64_t p = 0; p < n; p++)
		o[p] = bv + wk[0] * pl[p] + wk[1] * pl[p + 1] + wk[2] * pl[p + 2] + wk[3] * p1[p] + wk[4] * p1[p + 1] +
		       wk[5] * p1[p + 2] + wk[6] * p2[p] + wk[7] * p2[p + 1] + wk[8] * p2[p + 2];
}

/* Floats of the scratch dw3x3_s1 needs: the padded plane (with 2 more) and the
 * flat output. */
static size_t
dw3x3_s1_floats(const struct ox_window *w)
{
	int64_t rl = w->out[1] + 2;

	return (size_t)((w->out[0] + 2) * rl + 2 + w->out[0] * rl);
}

/* One channel of a 3x3 depthwise convolution, stride and dilation 1. */
static void
dw3x3_s1(const float *xp, const float *wk, float bv, const struct ox_window *w, float *op, float *buf)
{
	int64_t ih = w->in[0], iw = w->in[1], oh = w->out[0], ow = w->out[1], rl = ow + 2;
	int64_t rows = oh + 2, pt = w->pad0[0], pl = w->pad0[1];
	float *plane = buf, *flat = buf + rows * rl + 2;

	/* padded row y is input row y - pt; padded column j is input column j - pl */
	for (int64_t y = 0; y < rows; y++) {
		float *d = plane + y * rl;
		int64_t sy = y - pt, j0 = pl > 0 ? pl : 0, j1 = iw + pl < rl ? iw + pl : rl;

		if (sy < 0 || sy >= ih || j1 <= j0) {
			memset(d, 0, (size_t)rl * sizeof *d);
			continue;
		}
		if (j0)
			memset(d, 0, (size_t)j0 * sizeof *d);
		memcpy(d + j0, xp + sy * iw + j0 - pl, (size_t)(j1 - j0) * sizeof *d);
		if (j1 < rl)
			memset(d + j1, 0, (size_t)(rl - j1) * sizeof *d);
	}
	plane[rows * rl] = plane[rows * rl + 1] = 0.0f;
	tap9_flat(flat, plane, oh * rl, rl, wk, bv);
	for (int64_t r = 0; r < oh; r++)
		memcpy(op + r * ow, flat + r * rl, (size_t)ow * sizeof *op);
}

struct dw_job {
	const struct ox_tensor *x, *wt, *b;
	const struct ox_window *w;
	struct ox_tensor *o;
	const float *zrow;          /* iw zeros: the rows above and below the image */
	const float *res;           /* fused residual, shaped like o, or NULL */
	int act;                    /* fused activation (OX_ACT_*) */
	float lo, hi;
};

/* The fused epilogue on one output plane while it is still in cache; the same
 * operations and NaN behaviour as the Add, Relu and Clip kernels. */
OX_VEC static void
plane_epilogue(float *restrict o, const float *restrict res, int64_t n, int act, float lo, float hi)
{
	if (res)
		for (int64_t i = 0; i < n; i++)
			o[i] += res[i];
	if (act == OX_ACT_RELU)
		for (int64_t i = 0; i < n; i++)
			o[i] = o[i] > 0.0f ? o[i] : 0.0f;
	else if (act == OX_ACT_CLIP)
		for (int64_t i = 0; i < n; i++) {
			float v = o[i] < lo ? lo : o[i];

			o[i] = v > hi ? hi : v;
		}
}

/* Depthwise 2-D (one filter per channel): im2col would copy each input kh*kw
 * times for a one-row sgemm, so accumulate directly, one kernel tap at a time over
 * the range of outputs where that tap stays inside the input. Image-channels
 * [c0, c1), each on one thread. */
static void
depthwise2d(void *ctx, int64_t c0, int64_t c1)
{
	const struct dw_job *job = ctx;
	const struct ox_tensor *x = job->x, *wt = job->wt, *b = job->b;
	const struct ox_window *w = job->w;
	int64_t c = x->dims[1], ih = w->in[0], iw = w->in[1], oh = w->out[0], ow = w->out[1];
	int64_t kh = w->kernel[0], kw = w->kernel[1], sh = w->stride[0], sw = w->stride[1];
	int64_t dh = w->dil[0], dw = w->dil[1], ph = w->pad0[0], pw = w->pad0[1];
	/* 3x3 at stride 1: the flat way (NULL without memory: the row way below) */
	float *sbuf = kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1 ?
		malloc(dw3x3_s1_floats(w) * sizeof *sbuf) : NULL;

	for (int64_t nc = c0; nc < c1; nc++) {
		int64_t ch = nc % c;

		if (nc > c0 && (job->res || job->act))
			plane_epilogue((float *)job->o->data + (nc - 1) * oh * ow,
				       job->res ? job->res + (nc - 1) * oh * ow : NULL, oh * ow, job->act, job->lo, job->hi);
		{
			const float *xp = (const float *)x->data + nc * ih * iw;
			const float *wp = (const float *)wt->data + ch * kh * kw;
			float *op = (float *)job->o->data + nc * oh * ow;
			float bv = b ? ((const float *)b->data)[ch] : 0.0f;

			if (sbuf) {
				dw3x3_s1(xp, wp, bv, w, op, sbuf);
				continue;
			}
			if (kw == 3 && kh == 3 && job->zrow) {
				/* Columns where all three taps are inside go through tap9_row
				 * with out-of-image rows read as zeros; the few edge columns
				 * are summed here, tap by tap. */
				int64_t lo3, hi3, lo[3], hi[3];

				col_range(ow, sw, -pw, iw - 2 * dw, &lo3, &hi3);
				if (lo3 >= hi3)
					lo3 = hi3 = 0;
				for (int64_t q = 0; q < 3; q++)
					col_range(ow, sw, q * dw - pw, iw, &lo[q], &hi[q]);
				for (int64_t r = 0; r < oh; r++) {
					const float *rows[3];
					float *orow = op + r * ow;

					for (int64_t a = 0; a < 3; a++) {
						int64_t y = r * sh - ph + a * dh;

						rows[a] = (y < 0 || y >= ih ? job->zrow : xp + y * iw) - pw;
					}
					tap9_row(orow, rows[0], rows[1], rows[2], lo3, hi3, sw, dw, wp, bv);
					for (int64_t j2 = 0; j2 < ow; j2++) {
						float acc = bv;

						if (j2 >= lo3 && j2 < hi3) {
							j2 = hi3 - 1;
							continue;
						}
						for (int64_t a = 0; a < 3; a++)
							for (int64_t q = 0; q < 3; q++)
								if (j2 >= lo[q] && j2 < hi[q])
									acc += wp[a * 3 + q] * rows[a][j2 * sw + q * dw];
						orow[j2] = acc;
					}
				}
				continue;
			}
			fill(op, bv, oh * ow);
			for (int64_t a = 0; a < kh; a++)
				for (int64_t q = 0; q < kw; q++) {
					float wv = wp[a * kw + q];
					int64_t offx = q * dw - pw, lo = 0, hi = ow;

					/* outputs whose column iw = ow*sw + offx lies in [0, iw) */
					while (lo < ow && lo * sw + offx < 0)
						lo++;
					while (hi > lo && (hi - 1) * sw + offx >= iw)
						hi--;
					for (int64_t r = 0; r < oh; r++) {
						int64_t y = r * sh - ph + a * dh;
						const float *row;
						float *orow = op + r * ow;

						if (y < 0 || y >= ih)
							continue;
						row = xp + y * iw + offx;
						tap_row(orow, row, lo, hi, sw, wv);
					}
				}
		}
	}
	free(sbuf);
	if (c1 > c0 && (job->res || job->act))
		plane_epilogue((float *)job->o->data + (c1 - 1) * oh * ow,
			       job->res ? job->res + (c1 - 1) * oh * ow : NULL, oh * ow, job->act, job->lo, job->hi);
}

/* The fused Add's other input when it is a float tensor shaped like o, else NULL. */
static const float *
fused_residual(const struct ox_kctx *k, const struct ox_tensor *o)
{
	const struct ox_tensor *t = k->fuse_add;

	if (!t || t->dtype != OX_FLOAT || t->ndim != o->ndim || !t->data)
		return NULL;
	for (int i = 0; i < o->ndim; i++)
		if (t->dims[i] != o->dims[i])
			return NULL;
	return t->data;
}

static int
conv_float(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *wt = ox_kin(k, 1), *b = ox_kin(k, 2);
	int64_t group = ox_kattr_i(k, "group", 1), dims[OX_MAX_RANK], kprod = 1, oprod = 1, iprod = 1;
	int64_t cin, cout, cg, mg;
	struct ox_window w;
	struct ox_tensor *o;
	float *col = NULL, *packed = NULL;
	const float *res;
	size_t per_group = 0;
	struct ox_tensor *colt = NULL;
	bool direct, pack_col, own_packed = false;
	int r;

	if (wt->ndim != x->ndim)
		return ox_kerr(k, OX_EINVAL, "W has rank %d, X has rank %d", wt->ndim, x->ndim);
	if ((r = ox_kwindow(k, &w, x, wt->dims + 2, false)) < 0)
		return r;
	cin = x->dims[1];
	cout = wt->dims[0];
	if (group <= 0 || cin % group || cout % group || wt->dims[1] != cin / group)
		return ox_kerr(k, OX_EINVAL, "channels (%lld in, %lld out, W has %lld) do not fit group %lld",
			       (long long)cin, (long long)cout, (long long)wt->dims[1], (long long)group);
	for (int i = 0; i < w.nsp; i++)
		if (wt->dims[i + 2] != w.kernel[i])
			return ox_kerr(k, OX_EINVAL, "kernel_shape does not match W");
	if (b && (b->nelem != cout || b->dtype != OX_FLOAT))
		return ox_kerr(k, OX_EINVAL, "B must have %lld float elements", (long long)cout);
	cg = cin / group;
	mg = cout / group;
	dims[0] = x->dims[0];
	dims[1] = cout;
	for (int i = 0; i < w.nsp; i++) {
		dims[i + 2] = w.out[i];
		kprod *= w.kernel[i];
		oprod *= w.out[i];
		iprod *= w.in[i];
	}
	if (cg * kprod > INT_MAX || oprod > INT_MAX || mg > INT_MAX)
		return ox_kerr(k, OX_ELIMIT, "convolution too large for BLAS");
	if (!(o = ox_kout_raw(k, 0, OX_FLOAT, x->ndim, dims)))
		return OX_ENOMEM;
	if (o->nelem == 0)
		return 0;
	if (cg * kprod == 0) {
		memset(o->data, 0, o->nbytes);
		return 0;
	}
	res = fused_residual(k, o);
	if (w.nsp == 2 && group == cin && cg == 1 && mg == 1) {
		float *zrow = calloc((size_t)w.in[1] + 1, sizeof *zrow);
		struct dw_job job = { x, wt, b, &w, o, zrow, res, OX_ACT_NONE, k->fuse_lo, k->fuse_hi };

		/* All of the epilogue or none of it (a residual of another shape). */
		if (!k->fuse_add || res) {
			job.act = k->fuse_act;
			k->fused = k->fuse_add || k->fuse_act;
		}
		ox_par_for(x->dims[0] * cin, 1, depthwise2d, &job);
		free(zrow);
		return 0;
	}
	direct = kprod == 1;
	for (int i = 0; i < w.nsp; i++)
		if (w.stride[i] != 1 || w.pad0[i] || w.pad1[i])
			direct = false;
	/* With the packed kernel, the GEMM makes a 2-D im2col block by block. Else the
	 * column buffer comes from the executor's pool like a tensor: a fresh malloc of
	 * this size is a new mapping, page-faulted at every node. */
#ifdef OX_HAVE_AVX512
	pack_col = !direct && w.nsp == 2 && w.kernel[0] <= PACK_KMAX && w.kernel[1] <= PACK_KMAX && ox_gemm_fast();
#else
	pack_col = false;
#endif
	if (!direct && !pack_col) {
		int64_t cdim = cg * kprod * oprod;

		if (!(colt = ox_xtensor_new_raw(OX_FLOAT, 1, &cdim)))
			return ox_kerr(k, OX_ENOMEM, "out of memory for the im2col buffer");
		col = colt->data;
	}
	/* Constant weights packed for the GEMM kernel once for all runs of a cached
	 * plan; otherwise ox_gemm_run packs them block by block, and a one-shot run
	 * holds no weight-sized buffer. */
	if (ox_gemm_fast() && ox_kconst(k, 1) && ox_kcache_on(k)) {
		size_t per = ox_gemm_packed_a_floats((int)mg, (int)(cg * kprod));

		if (!(packed = ox_kcache_get(k, wt->data))) {
			if (!(packed = aligned_alloc(64, ((per * (size_t)group + 16) * sizeof *packed + 63) / 64 * 64))) {
				ox_xtensor_free(colt);
				return ox_kerr(k, OX_ENOMEM, "out of memory for the packed weights");
			}
			for (int64_t g = 0; g < group; g++)
				ox_gemm_pack_a_to(packed + per * (size_t)g,
						  (const float *)wt->data + g * mg * cg * kprod, (int)(cg * kprod),
						  (int)mg, (int)(cg * kprod));
			own_packed = !ox_kcache_put(k, wt->data, packed);
		}
		per_group = per;
	}
	if (!k->fuse_add || res)
		k->fused = k->fuse_add || k->fuse_act;
	for (int64_t n = 0; n < x->dims[0]; n++) {
		for (int64_t g = 0; g < group; g++) {
			const float *xg = (const float *)x->data + (n * cin + g * cg) * iprod;
			const float *wg = (const float *)wt->data + g * mg * cg * kprod;
			float *og = (float *)o->data + (n * cout + g * mg) * oprod;
			struct ox_gemm gm;
#ifdef OX_HAVE_AVX512
			struct im2col_blk blk;
#endif

			if (col && w.nsp == 2) {
				struct im2col_job job = { xg, &w, col };

				ox_par_for(cg, 1, im2col_part, &job);
			} else if (col) {
				im2col(xg, cg, &w, col);
			}
			memset(&gm, 0, sizeof gm);
			gm.m = (int)mg;
			gm.n = (int)oprod;
			gm.k = (int)(cg * kprod);
			gm.a = wg;
			gm.lda = gm.k;
			gm.ap = packed ? packed + per_group * (size_t)g : NULL;
			gm.b = direct ? xg : col;
#ifdef OX_HAVE_AVX512
			if (pack_col) {
				gm.pack_b = im2col_pack;
				gm.pack_b_ctx = &blk;
				blk.x = xg;
				blk.w = &w;
			}
#endif
			gm.ldb = gm.n;
			gm.c = og;
			gm.ldc = gm.n;
			gm.row_bias = b ? (const float *)b->data + g * mg : NULL;
			if (k->fused) {
				gm.res = res ? res + (n * cout + g * mg) * oprod : NULL;
				gm.ldres = gm.n;
				gm.act = k->fuse_act;
				gm.lo = k->fuse_lo;
				gm.hi = k->fuse_hi;
			}
			if (ox_gemm_run(&gm) < 0) {
				if (own_packed)
					free(packed);
				ox_xtensor_free(colt);
				return ox_kerr(k, OX_ENOMEM, "out of memory for the GEMM's blocks");
			}
		}
	}
	if (own_packed)
		free(packed);
	ox_xtensor_free(colt);
	return 0;
}

int
ox_op_conv(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *wt = ox_kin(k, 1);

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_conv);
	if (x->dtype != OX_FLOAT || wt->dtype != OX_FLOAT)
		return ox_kdtype(k, x->dtype != OX_FLOAT ? x->dtype : wt->dtype);
	return conv_float(k);
}

int
ox_op_conv_transpose(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *wt = ox_kin(k, 1), *b = ox_kin(k, 2);
	int64_t group = ox_kattr_i(k, "group", 1), dims[OX_MAX_RANK], kprod = 1, oprod = 1, iprod = 1;
	int64_t cin, cout, cg, mg, n_os, n_op;
	const int64_t *os, *op;
	struct ox_window w;
	struct ox_tensor *o;
	float *col;
	int r;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (x->dtype == OX_FLOAT16 || x->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_conv_transpose);
	if (x->dtype != OX_FLOAT || wt->dtype != OX_FLOAT)
		return ox_kdtype(k, x->dtype != OX_FLOAT ? x->dtype : wt->dtype);
	if (wt->ndim != x->ndim)
		return ox_kerr(k, OX_EINVAL, "W has rank %d, X has rank %d", wt->ndim, x->ndim);
	if ((r = ox_kwindow(k, &w, x, wt->dims + 2, true)) < 0)
		return r;
	cin = x->dims[1];
	if (group <= 0 || cin % group || wt->dims[0] != cin)
		return ox_kerr(k, OX_EINVAL, "channels do not fit W and group");
	cg = cin / group;
	mg = wt->dims[1];
	cout = mg * group;
	if (b && (b->nelem != cout || b->dtype != OX_FLOAT))
		return ox_kerr(k, OX_EINVAL, "B must have %lld float elements", (long long)cout);
	n_os = ox_kattr_ints(k, "output_shape", &os);
	n_op = ox_kattr_ints(k, "output_padding", &op);
	if ((n_os >= 0 && n_os != w.nsp && n_os != w.nsp + 2) || (n_op >= 0 && n_op != w.nsp))
		return ox_kerr(k, OX_EINVAL, "output_shape or output_padding has the wrong length");
	for (int i = 0; i < w.nsp; i++) {
		int64_t ext = (w.kernel[i] - 1) * w.dil[i] + 1, opad = n_op >= 0 ? op[i] : 0;
		int64_t full = w.stride[i] * (w.in[i] - 1) + opad + ext;

		if (n_os >= 0) {
			int64_t want = os[n_os == w.nsp ? i : i + 2], total = full - want;

			total = total < 0 ? 0 : total;
			/* SAME_UPPER puts the odd pad at the end, like Conv (ONNX's reference). */
			if (w.auto_pad == 2) {
				w.pad0[i] = total - total / 2;
				w.pad1[i] = total / 2;
			} else {
				w.pad0[i] = total / 2;
				w.pad1[i] = total - total / 2;
			}
			w.out[i] = want;
		} else if (w.auto_pad == 1 || w.auto_pad == 2) {
			int64_t want = w.in[i] * w.stride[i], total = full - want;

			total = total < 0 ? 0 : total;
			w.pad0[i] = w.auto_pad == 1 ? total / 2 : total - total / 2;
			w.pad1[i] = total - w.pad0[i];
			w.out[i] = want;
		} else {
			w.out[i] = full - w.pad0[i] - w.pad1[i];
		}
		if (w.out[i] < 0)
			return ox_kerr(k, OX_EINVAL, "negative output size");
		dims[i + 2] = w.out[i];
		kprod *= w.kernel[i];
		oprod *= w.out[i];
		iprod *= w.in[i];
	}
	dims[0] = x->dims[0];
	dims[1] = cout;
	if (mg * kprod > INT_MAX || iprod > INT_MAX || cg > INT_MAX)
		return ox_kerr(k, OX_ELIMIT, "convolution too large for BLAS");
	if (!(o = ox_kout(k, 0, OX_FLOAT, x->ndim, dims)))
		return OX_ENOMEM;
	if (!(col = malloc((size_t)(mg * kprod * iprod + 1) * sizeof *col)))
		return ox_kerr(k, OX_ENOMEM, "out of memory for the column buffer");
	for (int64_t n = 0; n < x->dims[0]; n++) {
		for (int64_t g = 0; g < group; g++) {
			const float *xg = (const float *)x->data + (n * cin + g * cg) * iprod;
			const float *wg = (const float *)wt->data + g * cg * mg * kprod;
			float *og = (float *)o->data + (n * cout + g * mg) * oprod;

			/* col[mg*K, I] = Wg^T [mg*K, cg] x Xg [cg, I] */
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)(mg * kprod), (int)iprod, (int)cg,
				    1.0f, wg, (int)(mg * kprod), xg, (int)iprod, 0.0f, col, (int)iprod);
			for (int64_t m = 0; m < mg; m++)
				for (int64_t kp = 0; kp < kprod; kp++) {
					int64_t kidx[OX_WIN_MAX], rem = kp, iidx[OX_WIN_MAX] = { 0 };
					const float *src = col + (m * kprod + kp) * iprod;

					for (int i = w.nsp - 1; i >= 0; i--) {
						kidx[i] = rem % w.kernel[i];
						rem /= w.kernel[i];
					}
					for (int64_t ip = 0; ip < iprod; ip++) {
						int64_t pos = 0;
						bool inside = true;

						for (int i = 0; i < w.nsp; i++) {
							int64_t p = iidx[i] * w.stride[i] - w.pad0[i] + kidx[i] * w.dil[i];

							if (p < 0 || p >= w.out[i])
								inside = false;
							pos = pos * w.out[i] + p;
						}
						if (inside)
							og[m * oprod + pos] += src[ip];
						for (int i = w.nsp - 1; i >= 0; i--) {
							if (++iidx[i] < w.in[i])
								break;
							iidx[i] = 0;
						}
					}
				}
		}
		if (b)
			for (int64_t c = 0; c < cout; c++) {
				float *oc = (float *)o->data + (n * cout + c) * oprod, bv = ((const float *)b->data)[c];

				for (int64_t j = 0; j < oprod; j++)
					oc[j] += bv;
			}
	}
	free(col);
	return 0;
}

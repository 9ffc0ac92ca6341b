/* ops/matmul.c: MatMul, Gemm, MatMulInteger. Float and double go through
 * OpenBLAS (cblas_sgemm split over the executor's threads by ox_sgemm, cblas_dgemm);
 * integer types use a plain triple loop. */
#include "config.h"

#include <cblas.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ops/fast.h"
#include "ops/kernel.h"

struct sgemm_job {
	bool ta, tb, rows;      /* rows: the split is over C's rows, else its columns */
	int m, n, k, lda, ldb, ldc;
	float alpha, beta;
	const float *a, *b;
	float *c;
};

static void
sgemm_part(void *ctx, int64_t lo, int64_t hi)
{
	const struct sgemm_job *j = ctx;
	int l = (int)lo, len = (int)(hi - lo);

	if (j->rows)
		cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans,
			    len, j->n, j->k, j->alpha, j->a + (j->ta ? (size_t)l : (size_t)l * j->lda), j->lda, j->b, j->ldb,
			    j->beta, j->c + (size_t)l * j->ldc, j->ldc);
	else
		cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans,
			    j->m, len, j->k, j->alpha, j->a, j->lda, j->b + (j->tb ? (size_t)l * j->ldb : (size_t)l), j->ldb,
			    j->beta, j->c + l, j->ldc);
}

/* Blocks of 16 rows or columns, so that each thread's share matches OpenBLAS's
 * micro-tiles. */
static void
sgemm_blocks(void *ctx, int64_t lo, int64_t hi)
{
	const struct sgemm_job *j = ctx;
	int64_t split = j->rows ? j->m : j->n;

	sgemm_part(ctx, lo * 16, hi * 16 < split ? hi * 16 : split);
}

void
ox_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
	 const float *b, int ldb, float beta, float *c, int ldc)
{
	struct sgemm_job j = { trans_a != 0, trans_b != 0, m >= n, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c };
	int64_t split = j.rows ? m : n;

	/* Below about a million multiply-adds a thread's share is not worth waking it. */
	if ((int64_t)m * n * k < ((int64_t)1 << 20) || split < 32 || ox_par_threads() < 2) {
		sgemm_part(&j, 0, split);
		return;
	}
	ox_par_for((split + 15) / 16, 1, sgemm_blocks, &j);
}

/* Batched float MatMul (attention's Q K^T and scores x V): the batch items go to
 * the threads, one small GEMM each on its thread, instead of every item's GEMM
 * being split over all threads (a dozen synchronisations per node for products of a
 * million multiply-adds). */
struct batch_job {
	const float *a, *b;
	float *c;
	const int64_t *off;          /* per item: offsets of a, b and c in floats */
	int m, n, k;
	atomic_bool failed;
};

static void
batch_part(void *ctx, int64_t lo, int64_t hi)
{
	struct batch_job *j = ctx;

	for (int64_t i = lo; i < hi; i++) {
		struct ox_gemm g;

		memset(&g, 0, sizeof g);
		g.m = j->m;
		g.n = j->n;
		g.k = j->k;
		g.a = j->a + j->off[3 * i];
		g.lda = g.k;
		g.b = j->b + j->off[3 * i + 1];
		g.ldb = g.n;
		g.c = j->c + j->off[3 * i + 2];
		g.ldc = g.n;
		if (ox_gemm_run(&g) < 0)         /* serial here: ox_par_for does not nest */
			atomic_store(&j->failed, true);
	}
}

static int
batched_float(struct ox_kctx *k, struct ox_bcast *bc, const struct ox_tensor *a, const struct ox_tensor *b,
	      struct ox_tensor *o, int m, int n, int kk)
{
	struct batch_job j = { a->data, b->data, o->data, NULL, m, n, kk, false };
	int64_t *off = malloc((size_t)bc->nelem * 3 * sizeof *off), pos[3], items = 0;

	if (!off)
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	while (ox_bcast_next(bc, pos))
		for (int64_t i = 0; i < bc->inner; i++, items++) {
			off[3 * items] = (pos[1] + i * bc->istride[0]) * m * kk;
			off[3 * items + 1] = (pos[2] + i * bc->istride[1]) * kk * n;
			off[3 * items + 2] = (pos[0] + i) * m * n;
		}
	j.off = off;
	ox_par_for(items, 1, batch_part, &j);
	free(off);
	if (atomic_load(&j.failed))
		return ox_kerr(k, OX_ENOMEM, "out of memory for the GEMM's blocks");
	return 0;
}

/* B of a Gemm or MatMul packed for ox_gemm_run: from the plan's cache when B is an
 * initializer, else packed now (*own: the caller frees it). NULL without the packed
 * kernel or memory (ox_gemm_run then packs per block). */
static const float *
packed_b(struct ox_kctx *k, const struct ox_tensor *b, bool trans, int n, int kk, bool *own)
{
	float *p;
	bool cst = ox_kconst(k, 1);

	*own = false;
	if (!ox_gemm_fast())
		return NULL;
	if (cst && (p = ox_kcache_get(k, b->data)))
		return p;
	/* Without a cache, a row-major B is packed per block by ox_gemm_run. */
	if (!trans && !(cst && ox_kcache_on(k)))
		return NULL;
	p = trans ? ox_gemm_pack_bt(b->data, kk, n, kk) : ox_gemm_pack_b(b->data, n, n, kk);
	if (p && !(cst && ox_kcache_put(k, b->data, p)))
		*own = true;
	return p;
}

/* The fused Add's other input as a bias along the last dim ([n], or [1, ..., n]) or as
 * a residual shaped like o; false when it is neither. */
static bool
fused_add(const struct ox_kctx *k, const struct ox_tensor *o, int64_t n, const float **bias, const float **res)
{
	const struct ox_tensor *t = k->fuse_add;

	*bias = *res = NULL;
	if (!t)
		return true;
	if (t->dtype != OX_FLOAT || !t->data)
		return false;
	if (t->nelem == n && t->ndim >= 1 && t->dims[t->ndim - 1] == n && t->ndim <= o->ndim) {
		*bias = t->data;
		return true;
	}
	if (t->ndim != o->ndim)
		return false;
	for (int i = 0; i < o->ndim; i++)
		if (t->dims[i] != o->dims[i])
			return false;
	*res = t->data;
	return true;
}

/* C[m,n] (+)= A[m,k] B[k,n] for one matrix pair of any numeric dtype, via doubles
 * for the types BLAS does not cover. a_zp/b_zp are subtracted (MatMulInteger). */
static void
gemm_generic(const struct ox_tensor *A, int64_t ao, const struct ox_tensor *B, int64_t bo,
	     struct ox_tensor *C, int64_t co, int64_t m, int64_t n, int64_t kk, int64_t a_zp, int64_t b_zp)
{
	if (C->dtype == OX_INT64 || C->dtype == OX_INT32) {
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < n; j++) {
				int64_t s = 0;

				for (int64_t p = 0; p < kk; p++)
					s += (ox_get_i64(A, ao + i * kk + p) - a_zp) * (ox_get_i64(B, bo + p * n + j) - b_zp);
				if (C->dtype == OX_INT64)
					((int64_t *)C->data)[co + i * n + j] = s;
				else
					((int32_t *)C->data)[co + i * n + j] = (int32_t)s;
			}
		return;
	}
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			double s = 0;

			for (int64_t p = 0; p < kk; p++)
				s += ox_get_f64(A, ao + i * kk + p) * ox_get_f64(B, bo + p * n + j);
			ox_set_f64(C, co + i * n + j, s);
		}
}

/* Shared by MatMul and MatMulInteger. */
static int
matmul(struct ox_kctx *k, int out_dtype, int64_t a_zp, int64_t b_zp)
{
	const struct ox_tensor *a = ox_kin(k, 0), *b = ox_kin(k, 1), *ts[2];
	struct ox_tensor fa, fb, *o;
	int64_t adims[OX_MAX_RANK], bdims[OX_MAX_RANK], odims[OX_MAX_RANK], m, n, kk, kb, off[3];
	struct ox_bcast bc;
	int an, bn, nd = 0;
	bool squeeze_m, squeeze_n;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (a->ndim < 1 || b->ndim < 1)
		return ox_kerr(k, OX_EINVAL, "MatMul inputs must have rank >= 1");
	squeeze_m = a->ndim == 1;
	squeeze_n = b->ndim == 1;
	m = squeeze_m ? 1 : a->dims[a->ndim - 2];
	kk = a->dims[a->ndim - 1];
	kb = squeeze_n ? b->dims[0] : b->dims[b->ndim - 2];
	n = squeeze_n ? 1 : b->dims[b->ndim - 1];
	if (kk != kb)
		return ox_kerr(k, OX_EINVAL, "inner dimensions differ: %lld and %lld", (long long)kk, (long long)kb);
	an = a->ndim > 2 ? a->ndim - 2 : 0;
	bn = b->ndim > 2 ? b->ndim - 2 : 0;
	memcpy(adims, a->dims, (size_t)an * sizeof *adims);
	memcpy(bdims, b->dims, (size_t)bn * sizeof *bdims);
	memset(&fa, 0, sizeof fa);
	memset(&fb, 0, sizeof fb);
	fa.ndim = an;
	fa.dims = adims;
	fb.ndim = bn;
	fb.dims = bdims;
	ts[0] = &fa;
	ts[1] = &fb;
	if (ox_bcast_init(k, &bc, 2, ts) < 0)
		return OX_EINVAL;
	memcpy(odims, bc.dims, (size_t)bc.ndim * sizeof *odims);
	nd = bc.ndim;
	if (!squeeze_m)
		odims[nd++] = m;
	if (!squeeze_n)
		odims[nd++] = n;
	if (!(o = ox_kout(k, 0, out_dtype, nd, odims)))
		return OX_ENOMEM;
	if (o->nelem == 0)
		return 0;
	if (a->dtype != b->dtype && out_dtype != OX_INT32)
		return ox_kerr(k, OX_EINVAL, "input dtypes differ");
	/* [..., M, K] x [K, N]: the batch folds into M, one sgemm for all of it. */
	if (out_dtype == OX_FLOAT && b->ndim <= 2 && !squeeze_m && kk > 0) {
		int64_t rows = a->nelem / kk;

		if (rows <= INT32_MAX && n <= INT32_MAX && kk <= INT32_MAX) {
			struct ox_gemm g;
			bool own;

			memset(&g, 0, sizeof g);
			g.m = (int)rows;
			g.n = (int)n;
			g.k = (int)kk;
			g.a = a->data;
			g.lda = g.k;
			g.b = b->data;
			g.ldb = g.n;
			g.c = o->data;
			g.ldc = g.n;
			if (fused_add(k, o, n, &g.col_bias, &g.res)) {
				g.ldres = g.n;
				g.act = k->fuse_act;
				g.lo = k->fuse_lo;
				g.hi = k->fuse_hi;
				k->fused = k->fuse_add || k->fuse_act;
			}
			g.bp = packed_b(k, b, false, g.n, g.k, &own);
			ox_gemm_run(&g);
			if (own)
				free((void *)g.bp);
			return 0;
		}
	}
	if ((m > INT32_MAX || n > INT32_MAX || kk > INT32_MAX) && (out_dtype == OX_FLOAT || out_dtype == OX_DOUBLE))
		return ox_kerr(k, OX_ELIMIT, "matrix dimensions too large for BLAS");
	if (out_dtype == OX_FLOAT && kk > 0 && ox_gemm_fast() && bc.nelem > 1)
		return batched_float(k, &bc, a, b, o, (int)m, (int)n, (int)kk);
	while (ox_bcast_next(&bc, off)) {
		for (int64_t j = 0; j < bc.inner; j++) {
			int64_t ao = (off[1] + j * bc.istride[0]) * m * kk;
			int64_t bo = (off[2] + j * bc.istride[1]) * kk * n;
			int64_t co = (off[0] + j) * m * n;

			if (kk == 0)
				continue;
			if (out_dtype == OX_FLOAT)
				ox_sgemm(0, 0, (int)m, (int)n, (int)kk, 1.0f, (const float *)a->data + ao, (int)kk,
					 (const float *)b->data + bo, (int)n, 0.0f, (float *)o->data + co, (int)n);
			else if (out_dtype == OX_DOUBLE)
				cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)kk, 1.0,
					    (const double *)a->data + ao, (int)kk, (const double *)b->data + bo, (int)n,
					    0.0, (double *)o->data + co, (int)n);
			else
				gemm_generic(a, ao, b, bo, o, co, m, n, kk, a_zp, b_zp);
		}
	}
	return 0;
}

int
ox_op_matmul(struct ox_kctx *k)
{
	const struct ox_tensor *a = ox_kin(k, 0);

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (a->dtype == OX_FLOAT16 || a->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_matmul);
	switch (a->dtype) {
	case OX_FLOAT: case OX_DOUBLE: case OX_INT32: case OX_INT64:
	case OX_UINT32: case OX_UINT64:
		return matmul(k, a->dtype, 0, 0);
	default:
		return ox_kdtype(k, a->dtype);
	}
}

int
ox_op_matmul_integer(struct ox_kctx *k)
{
	const struct ox_tensor *azp = ox_kin(k, 2), *bzp = ox_kin(k, 3);

	if ((azp && azp->nelem != 1) || (bzp && bzp->nelem != 1))
		return ox_kerr(k, OX_EUNSUPPORTED, "per-axis zero points");
	return matmul(k, OX_INT32, azp ? ox_get_i64(azp, 0) : 0, bzp ? ox_get_i64(bzp, 0) : 0);
}

/* Gemm with alpha 1, A not transposed and C absent or a bias along n: the packed
 * kernel, B packed once, C and a fused epilogue applied in registers. */
static int
gemm_fast(struct ox_kctx *k, bool tb, int m, int n, int kk)
{
	const struct ox_tensor *a = ox_kin(k, 0), *b = ox_kin(k, 1), *c = ox_kin(k, 2);
	int64_t dims[2] = { m, n };
	struct ox_gemm g;
	struct ox_tensor *o;
	const float *fb, *fr;
	bool own;

	if (!(o = ox_kout_raw(k, 0, OX_FLOAT, 2, dims)))
		return OX_ENOMEM;
	memset(&g, 0, sizeof g);
	g.m = m;
	g.n = n;
	g.k = kk;
	g.a = a->data;
	g.lda = kk;
	g.c = o->data;
	g.ldc = n;
	g.col_bias = c ? c->data : NULL;
	if (fused_add(k, o, n, &fb, &fr) && !fb) {
		g.res = fr;
		g.ldres = n;
		g.act = k->fuse_act;
		g.lo = k->fuse_lo;
		g.hi = k->fuse_hi;
		k->fused = k->fuse_add || k->fuse_act;
	}
	g.bp = packed_b(k, b, tb, n, kk, &own);
	if (!g.bp && tb) {
		/* Without the packed kernel: BLAS takes the transposed B as it is. */
		k->fused = false;
		ox_sgemm(0, 1, m, n, kk, 1.0f, a->data, kk, b->data, kk, 0.0f, o->data, n);
		for (int i = 0; i < m; i++)
			for (int j = 0; j < n; j++)
				((float *)o->data)[(size_t)i * n + j] += c ? ((const float *)c->data)[j] : 0.0f;
		return 0;
	}
	g.b = b->data;
	g.ldb = n;
	ox_gemm_run(&g);
	if (own)
		free((void *)g.bp);
	return 0;
}

int
ox_op_gemm(struct ox_kctx *k)
{
	const struct ox_tensor *a = ox_kin(k, 0), *b = ox_kin(k, 1), *c = ox_kin(k, 2);
	bool ta = ox_kattr_i(k, "transA", 0), tb = ox_kattr_i(k, "transB", 0);
	float alpha = ox_kattr_f(k, "alpha", 1.0f), beta = ox_kattr_f(k, "beta", 1.0f);
	int64_t m, n, kk, kb, dims[2];
	struct ox_tensor *o;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (a->dtype == OX_FLOAT16 || a->dtype == OX_BFLOAT16)
		return ox_khalf(k, ox_op_gemm);
	if (a->ndim != 2 || b->ndim != 2)
		return ox_kerr(k, OX_EINVAL, "A and B must be 2-D");
	if (a->dtype != b->dtype || (c && c->dtype != a->dtype))
		return ox_kerr(k, OX_EINVAL, "input dtypes differ");
	m = ta ? a->dims[1] : a->dims[0];
	kk = ta ? a->dims[0] : a->dims[1];
	kb = tb ? b->dims[1] : b->dims[0];
	n = tb ? b->dims[0] : b->dims[1];
	if (kk != kb)
		return ox_kerr(k, OX_EINVAL, "inner dimensions differ: %lld and %lld", (long long)kk, (long long)kb);
	if (m > INT32_MAX || n > INT32_MAX || kk > INT32_MAX || a->dims[1] > INT32_MAX || b->dims[1] > INT32_MAX)
		return ox_kerr(k, OX_ELIMIT, "matrix dimensions too large for BLAS");
	dims[0] = m;
	dims[1] = n;
	if (a->dtype == OX_FLOAT && !ta && alpha == 1.0f && m > 0 && n > 0 && kk > 0 &&
	    (!c || (beta == 1.0f && c->dtype == OX_FLOAT && c->ndim >= 1 && c->ndim <= 2 && c->nelem == n &&
		    c->dims[c->ndim - 1] == n)))
		return gemm_fast(k, tb, (int)m, (int)n, (int)kk);
	if (!(o = ox_kout(k, 0, a->dtype, 2, dims)))
		return OX_ENOMEM;
	/* C broadcasts unidirectionally to [m, n]. */
	if (c && beta != 0) {
		int64_t cm = c->ndim >= 2 ? c->dims[c->ndim - 2] : 1, cn = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;

		if (c->ndim > 2 || (cm != 1 && cm != m) || (cn != 1 && cn != n))
			return ox_kerr(k, OX_EINVAL, "C does not broadcast to [%lld, %lld]", (long long)m, (long long)n);
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < n; j++)
				ox_set_f64(o, i * n + j, ox_get_f64(c, (cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)));
	} else {
		beta = 0;
	}
	if (m == 0 || n == 0)
		return 0;
	if (kk == 0) {
		for (int64_t i = 0; i < m * n; i++)
			ox_set_f64(o, i, beta * ox_get_f64(o, i));
		return 0;
	}
	switch (a->dtype) {
	case OX_FLOAT:
		ox_sgemm(ta, tb, (int)m, (int)n, (int)kk, alpha, a->data, (int)a->dims[1], b->data, (int)b->dims[1],
			 beta, o->data, (int)n);
		return 0;
	case OX_DOUBLE:
		cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
			    (int)m, (int)n, (int)kk, alpha, a->data, (int)a->dims[1], b->data, (int)b->dims[1],
			    beta, o->data, (int)n);
		return 0;
	case OX_INT32: case OX_INT64: case OX_UINT32: case OX_UINT64:
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < n; j++) {
				int64_t s = 0;

				for (int64_t p = 0; p < kk; p++)
					s += ox_get_i64(a, ta ? p * m + i : i * kk + p) * ox_get_i64(b, tb ? j * kk + p : p * n + j);
				ox_set_f64(o, i * n + j, alpha * (double)s + beta * ox_get_f64(o, i * n + j));
			}
		return 0;
	default:
		return ox_kdtype(k, a->dtype);
	}
}

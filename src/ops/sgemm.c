/* ops/sgemm.c: the executor's own float GEMM for Conv, Gemm and MatMul, with the
 * epilogue (bias, residual add, Relu/Clip) applied while C is still in registers.
 *
 * Why not only OpenBLAS: under the machine's OPENBLAS_CORETYPE=Haswell it runs AVX2
 * kernels on an AVX-512 core, packs the constant weights again in every call, and
 * every bias, Relu or residual Add is one more pass over the output afterwards.
 * Here a constant operand is packed once (ox_gemm_pack_a/b; the executor keeps the
 * panels between runs), the other operand is packed per block, and an MR x NR
 * AVX-512 micro-kernel writes finished outputs. Without AVX-512 the same call goes
 * through ox_sgemm and a separate epilogue pass, with the same results up to
 * summation order.
 *
 * Layout of packed panels (both padded with zeros to whole panels):
 *   A: ceil(m / MR) panels, panel p holds rows [p*MR, p*MR + MR) as a[(p*k + kk)*MR + i]
 *   B: ceil(n / NR) panels, panel p holds columns [p*NR, p*NR + NR) as b[(p*k + kk)*NR + j]
 * so the block of depth [k0, k0 + kc) of a panel starts at offset k0 * MR (or NR).
 */
#include "config.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops/fast.h"

#define MR 8
#define NR OX_GEMM_NR
#define KC 256          /* depth of one block: a B panel block (32 KiB) stays in L1 */
#define MC 256          /* rows of one task: its A blocks (256 KiB) stay in L2 */
#define NC 512          /* columns of one task */

#ifdef OX_HAVE_AVX512
#define HAVE_AVX512_KERNEL 1
#endif

static size_t
panels(int64_t n, int64_t w)
{
	return (size_t)((n + w - 1) / w);
}

size_t
ox_gemm_packed_a_floats(int m, int k)
{
	return panels(m, MR) * MR * (size_t)k;
}

size_t
ox_gemm_packed_b_floats(int n, int k)
{
	return panels(n, NR) * NR * (size_t)k;
}

/* Rows [0, m) and depth [k0, k0 + kc) of A (row-major, lda) into MR-row panels of
 * depth kc. */
static void
pack_a(const float *a, int lda, int m, int k0, int kc, float *dst)
{
	for (int p = 0; p < m; p += MR) {
		int rows = m - p < MR ? m - p : MR;

		for (int kk = 0; kk < kc; kk++) {
			float *d = dst + ((size_t)(p / MR) * kc + kk) * MR;
			int i = 0;

			for (; i < rows; i++)
				d[i] = a[(size_t)(p + i) * lda + k0 + kk];
			for (; i < MR; i++)
				d[i] = 0.0f;
		}
	}
}

/* Columns [n0, n0 + nc) and depth [k0, k0 + kc) of B (row-major, ldb) into NR-column
 * panels of depth kc. */
static void
pack_b(const float *b, int ldb, int n0, int nc, int k0, int kc, float *dst)
{
	for (int p = 0; p < nc; p += NR) {
		int cols = nc - p < NR ? nc - p : NR;

		for (int kk = 0; kk < kc; kk++) {
			const float *s = b + (size_t)(k0 + kk) * ldb + n0 + p;
			float *d = dst + ((size_t)(p / NR) * kc + kk) * NR;

			memcpy(d, s, (size_t)cols * sizeof *d);
			if (cols < NR)
				memset(d + cols, 0, (size_t)(NR - cols) * sizeof *d);
		}
	}
}

float *
ox_gemm_pack_a(const float *a, int lda, int m, int k)
{
	float *p = aligned_alloc(64, (ox_gemm_packed_a_floats(m, k) * sizeof *p + 63) / 64 * 64 + 64);

	if (p)
		pack_a(a, lda, m, 0, k, p);
	return p;
}

void
ox_gemm_pack_a_to(float *dst, const float *a, int lda, int m, int k)
{
	pack_a(a, lda, m, 0, k, dst);
}

float *
ox_gemm_pack_b(const float *b, int ldb, int n, int k)
{
	float *p = aligned_alloc(64, (ox_gemm_packed_b_floats(n, k) * sizeof *p + 63) / 64 * 64 + 64);

	if (p)
		pack_b(b, ldb, 0, n, 0, k, p);
	return p;
}

float *
ox_gemm_pack_bt(const float *bt, int ldbt, int n, int k)
{
	float *p = aligned_alloc(64, (ox_gemm_packed_b_floats(n, k) * sizeof *p + 63) / 64 * 64 + 64);

	if (!p)
		return NULL;
	for (int q = 0; q < n; q += NR)
		for (int kk = 0; kk < k; kk++) {
			float *d = p + ((size_t)(q / NR) * k + kk) * NR;

			for (int j = 0; j < NR; j++)
				d[j] = q + j < n ? bt[(size_t)(q + j) * ldbt + kk] : 0.0f;
		}
	return p;
}

/* The epilogue for one element row i, columns [j0, j0 + n) of C, when the fast
 * kernel is not used: C already holds the product. */
static void
epilogue_rows(const struct ox_gemm *g, int i0, int i1, int j0, int n)
{
	for (int i = i0; i < i1; i++) {
		float *c = g->c + (size_t)i * g->ldc + j0;
		const float *r = g->res ? g->res + (size_t)i * g->ldres + j0 : NULL;
		float rb = g->row_bias ? g->row_bias[i] : 0.0f;

		for (int j = 0; j < n; j++) {
			float v = c[j] + rb;

			if (g->col_bias)
				v += g->col_bias[j0 + j];
			if (r)
				v += r[j];
			/* NaN: Relu makes 0, Clip keeps it, as their own kernels do. */
			if (g->act == OX_ACT_RELU)
				v = v > 0.0f ? v : 0.0f;
			else if (g->act == OX_ACT_CLIP)
				v = v < g->lo ? g->lo : v > g->hi ? g->hi : v;
			c[j] = v;
		}
	}
}

#ifdef HAVE_AVX512_KERNEL
#define AVX512 __attribute__((target("avx512f"), optimize("O3")))

/* C[0..mr, 0..nr) (+)= A panel block x B panel block over depth kc; at the last
 * block the epilogue is applied before the store. wide: both 16-column halves of
 * the panel; else (nr <= 16, a last panel's tail) only the first, at half the cost. */
AVX512 static inline __attribute__((always_inline)) void
kernel_8xn(int kc, const float *restrict a, const float *restrict b, float *c, int ldc, int mr, int nr,
	   bool first, bool last, const struct ox_gemm *g, int i0, int j0, const bool wide)
{
	__m512 acc[MR][2];
	__mmask16 m0 = nr >= 16 ? 0xffff : (__mmask16)((1u << nr) - 1);
	__mmask16 m1 = nr >= 32 ? 0xffff : nr > 16 ? (__mmask16)((1u << (nr - 16)) - 1) : 0;

#pragma GCC unroll 8
	for (int i = 0; i < MR; i++)
		acc[i][0] = acc[i][1] = _mm512_setzero_ps();
	for (int kk = 0; kk < kc; kk++) {
		__m512 b0 = _mm512_load_ps(b), b1 = wide ? _mm512_load_ps(b + 16) : _mm512_setzero_ps();

#pragma GCC unroll 8
		for (int i = 0; i < MR; i++) {
			__m512 av = _mm512_set1_ps(a[i]);

			acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
			if (wide)
				acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
		}
		a += MR;
		b += NR;
	}
#pragma GCC unroll 8
	for (int i = 0; i < MR; i++) {
		float *ci = c + (size_t)i * ldc;
		__m512 v0 = acc[i][0], v1 = acc[i][1];

		if (i >= mr)
			break;
		if (!first) {
			v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ci));
			v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ci + 16));
		}
		if (last) {
			if (g->row_bias) {
				__m512 rb = _mm512_set1_ps(g->row_bias[i0 + i]);

				v0 = _mm512_add_ps(v0, rb);
				v1 = _mm512_add_ps(v1, rb);
			}
			if (g->col_bias) {
				v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, g->col_bias + j0));
				v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, g->col_bias + j0 + 16));
			}
			if (g->res) {
				const float *r = g->res + (size_t)(i0 + i) * g->ldres + j0;

				v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, r));
				v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, r + 16));
			}
			if (g->act == OX_ACT_RELU) {
				v0 = _mm512_max_ps(v0, _mm512_setzero_ps());
				v1 = _mm512_max_ps(v1, _mm512_setzero_ps());
			} else if (g->act == OX_ACT_CLIP) {
				__m512 lo = _mm512_set1_ps(g->lo), hi = _mm512_set1_ps(g->hi);

				/* max and min return their second operand for a NaN */
				v0 = _mm512_min_ps(hi, _mm512_max_ps(lo, v0));
				v1 = _mm512_min_ps(hi, _mm512_max_ps(lo, v1));
			}
		}
		_mm512_mask_storeu_ps(ci, m0, v0);
		_mm512_mask_storeu_ps(ci + 16, m1, v1);
	}
}

AVX512 static void
kernel_8x32(int kc, const float *restrict a, const float *restrict b, float *c, int ldc, int mr, int nr,
	    bool first, bool last, const struct ox_gemm *g, int i0, int j0)
{
	kernel_8xn(kc, a, b, c, ldc, mr, nr, first, last, g, i0, j0, true);
}

AVX512 static void
kernel_8x16(int kc, const float *restrict a, const float *restrict b, float *c, int ldc, int mr, int nr,
	    bool first, bool last, const struct ox_gemm *g, int i0, int j0)
{
	kernel_8xn(kc, a, b, c, ldc, mr, nr, first, last, g, i0, j0, false);
}

/* pack_b with whole-vector copies: the generic one, a memcpy call per 32 floats,
 * took longer than the multiplication for a 64-row convolution. */
AVX512 static void
pack_b_avx512(const float *b, int ldb, int n0, int nc, int k0, int kc, float *dst)
{
	for (int kk = 0; kk < kc; kk++) {
		const float *s = b + (size_t)(k0 + kk) * ldb + n0;
		float *d = dst + (size_t)kk * NR;
		int p = 0;

		for (; p + NR <= nc; p += NR, d += (size_t)kc * NR) {
			_mm512_store_ps(d, _mm512_loadu_ps(s + p));
			_mm512_store_ps(d + 16, _mm512_loadu_ps(s + p + 16));
		}
		if (p < nc) {
			int r = nc - p;
			__mmask16 m0 = r >= 16 ? 0xffff : (__mmask16)((1u << r) - 1);
			__mmask16 m1 = r > 16 ? (__mmask16)((1u << (r - 16)) - 1) : 0;

			_mm512_store_ps(d, _mm512_maskz_loadu_ps(m0, s + p));
			_mm512_store_ps(d + 16, _mm512_maskz_loadu_ps(m1, s + p + 16));
		}
	}
}

/* B packed whole ahead of the tasks when it holds at most this many floats (8 MiB). */
#define PREPACK_MAX_FLOATS ((size_t)2 << 20)

struct prepack_ctx {
	const struct ox_gemm *g;
	float *bp;
};

/* Panels [lo, hi) of B, all of the depth, in the layout of ox_gemm_pack_b. */
static void
prepack_part(void *arg, int64_t lo, int64_t hi)
{
	const struct prepack_ctx *pc = arg;
	const struct ox_gemm *g = pc->g;
	int n0 = (int)lo * NR, nc = (int)(hi * NR < g->n ? hi * NR : g->n) - n0;
	float *dst = pc->bp + (size_t)lo * NR * (size_t)g->k;

	if (g->pack_b)
		g->pack_b(g->pack_b_ctx, n0, nc, 0, g->k, dst);
	else
		pack_b_avx512(g->b, g->ldb, n0, nc, 0, g->k, dst);
}

static int fast_state;          /* 0 unknown, 1 yes, -1 no */

static bool
have_fast(void)
{
	if (!fast_state) {
		__builtin_cpu_init();
		fast_state = __builtin_cpu_supports("avx512f") ? 1 : -1;
	}
	return fast_state > 0;
}

struct task_ctx {
	const struct ox_gemm *g;
	int mc, nc;             /* task size: multiples of MR and NR, at most MC and NC */
	int mtasks, ntasks;
	atomic_bool failed;     /* a task found no memory and had no fallback */
};

/* One task: rows [m0, m1) and columns [n0, n1) of C, all of the depth. */
static void
run_task(const struct ox_gemm *g, int m0, int m1, int n0, int n1, float *abuf, float *bbuf)
{
	int kdim = g->k;

	for (int k0 = 0; k0 < kdim; k0 += KC) {
		int kc = kdim - k0 < KC ? kdim - k0 : KC;
		bool first = k0 == 0, last = k0 + kc == kdim;
		const float *bp;
		size_t bstride;         /* floats between two B panels */
		const float *ap;
		size_t astride;

		if (g->bp) {
			bp = g->bp + ((size_t)(n0 / NR) * kdim + k0) * NR;
			bstride = (size_t)kdim * NR;
		} else if (g->pack_b) {
			g->pack_b(g->pack_b_ctx, n0, n1 - n0, k0, kc, bbuf);
			bp = bbuf;
			bstride = (size_t)kc * NR;
		} else {
			pack_b_avx512(g->b, g->ldb, n0, n1 - n0, k0, kc, bbuf);
			bp = bbuf;
			bstride = (size_t)kc * NR;
		}
		if (g->ap) {
			ap = g->ap + ((size_t)(m0 / MR) * kdim + k0) * MR;
			astride = (size_t)kdim * MR;
		} else {
			pack_a(g->a + (size_t)m0 * g->lda, g->lda, m1 - m0, k0, kc, abuf);
			ap = abuf;
			astride = (size_t)kc * MR;
		}
		for (int j = n0; j < n1; j += NR) {
			const float *bj = bp + (size_t)((j - n0) / NR) * bstride;
			int nr = n1 - j < NR ? n1 - j : NR;

			for (int i = m0; i < m1; i += MR) {
				const float *ai = ap + (size_t)((i - m0) / MR) * astride;
				int mr = m1 - i < MR ? m1 - i : MR;

				(nr > 16 ? kernel_8x32 : kernel_8x16)(kc, ai, bj, g->c + (size_t)i * g->ldc + j, g->ldc,
								      mr, nr, first, last, g, i, j);
			}
		}
	}
}

static void
tasks_part(void *arg, int64_t lo, int64_t hi)
{
	const struct task_ctx *t = arg;
	const struct ox_gemm *g = t->g;
	float *abuf = NULL, *bbuf = NULL;

	if (!g->ap)
		abuf = aligned_alloc(64, (size_t)t->mc * (size_t)(g->k < KC ? g->k : KC) * sizeof *abuf + 64);
	if (!g->bp)
		bbuf = aligned_alloc(64, (size_t)t->nc * (size_t)(g->k < KC ? g->k : KC) * sizeof *bbuf + 64);
	for (int64_t q = lo; q < hi; q++) {
		int mi = (int)(q % t->mtasks), ni = (int)(q / t->mtasks);
		/* Panels dealt evenly: tasks differ by one panel at most, where cutting
		 * every mc rows or nc columns left a last task of a few (784 columns in
		 * tasks of 256 gave the second thread 272 of them against 512). */
		int64_t pm = (g->m + MR - 1) / MR, pn = (g->n + NR - 1) / NR;
		int m0 = (int)(pm * mi / t->mtasks) * MR, m1 = (int)(pm * (mi + 1) / t->mtasks) * MR;
		int n0 = (int)(pn * ni / t->ntasks) * NR, n1 = (int)(pn * (ni + 1) / t->ntasks) * NR;

		bool nomem = (!g->ap && !abuf) || (!g->bp && !bbuf);

		m1 = m1 < g->m ? m1 : g->m;
		n1 = n1 < g->n ? n1 : g->n;
		if (nomem && (!g->a || !g->b)) {
			/* nothing to fall back on */
			atomic_store(&t->failed, true);
		} else if (nomem) {
			/* No memory for the 0.5 MiB blocks: this share the slow way. */
			ox_sgemm(0, 0, m1 - m0, n1 - n0, g->k, 1.0f, g->a + (size_t)m0 * g->lda, g->lda,
				 g->b + n0, g->ldb, 0.0f, g->c + (size_t)m0 * g->ldc + n0, g->ldc);
			epilogue_rows(g, m0, m1, n0, n1 - n0);
		} else {
			run_task(g, m0, m1, n0, n1, abuf, bbuf);
		}
	}
	free(abuf);
	free(bbuf);
}
#endif

bool
ox_gemm_fast(void)
{
#ifdef HAVE_AVX512_KERNEL
	return have_fast();
#else
	return false;
#endif
}

int
ox_gemm_run(const struct ox_gemm *g)
{
	if (g->m <= 0 || g->n <= 0)
		return 0;
	if (g->k <= 0) {
		for (int i = 0; i < g->m; i++)
			memset(g->c + (size_t)i * g->ldc, 0, (size_t)g->n * sizeof *g->c);
		epilogue_rows(g, 0, g->m, 0, g->n);
		return 0;
	}
#ifdef HAVE_AVX512_KERNEL
	if (have_fast()) {
		struct task_ctx t = { .g = g, .mc = MC, .nc = NC };
		int threads = ox_par_threads();

		/* Enough tasks for every thread, when the product is worth splitting:
		 * halve the larger side of a task, keeping whole panels. */
		while (threads > 1 && (int64_t)g->m * g->n * g->k >= ((int64_t)1 << 20) &&
		       (int64_t)((g->m + t.mc - 1) / t.mc) * ((g->n + t.nc - 1) / t.nc) < 2 * threads) {
			if (t.nc > NR && (t.nc >= t.mc || t.mc <= MR) && t.nc / 2 < g->n)
				t.nc /= 2;
			else if (t.mc > MR && t.mc / 2 < g->m)
				t.mc /= 2;
			else
				break;
		}
		t.mtasks = (g->m + t.mc - 1) / t.mc;
		t.ntasks = (g->n + t.nc - 1) / t.nc;
		/* Ranges of whole tasks go to the threads: 7 tasks on 2 threads leave one
		 * idle for a seventh of the time. Add column tasks until their count is a
		 * multiple of the threads (tasks_part deals the panels out evenly, so the
		 * tasks only get narrower, and no wider than nc). */
		while (threads > 1 && t.mtasks * t.ntasks % threads && t.ntasks < (g->n + NR - 1) / NR)
			t.ntasks++;
		/* Tasks side by side along m would each pack the same B blocks: pack B
		 * whole once (over the threads) when it is small enough, and share it. */
		struct ox_gemm whole;
		struct prepack_ctx pc = { g, NULL };
		size_t bfloats = ox_gemm_packed_b_floats(g->n, g->k);

		if (t.mtasks > 1 && !g->bp && bfloats <= PREPACK_MAX_FLOATS &&
		    (pc.bp = aligned_alloc(64, (bfloats * sizeof(float) + 63) / 64 * 64))) {
			ox_par_for((g->n + NR - 1) / NR, 1, prepack_part, &pc);
			whole = *g;
			whole.bp = pc.bp;
			whole.pack_b = NULL;
			t.g = &whole;
		}
		ox_par_for((int64_t)t.mtasks * t.ntasks, 1, tasks_part, &t);
		free(pc.bp);
		return atomic_load(&t.failed) ? -1 : 0;
	}
#endif
	if (!g->a || !g->b)
		return -1;
	ox_sgemm(0, 0, g->m, g->n, g->k, 1.0f, g->a, g->lda, g->b, g->ldb, 0.0f, g->c, g->ldc);
	epilogue_rows(g, 0, g->m, 0, g->n);
	return 0;
}

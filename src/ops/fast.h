/* ops/fast.h: what the hot float kernels share.
 *
 * OX_VEC marks a small loop function to be compiled for AVX-512, AVX2+FMA and the
 * baseline, picked at load time: the build targets plain x86-64 (SSE2), which leaves
 * most of the core's width unused, and -O2 does not vectorize loops whose trip count
 * is unknown. Pointers passed to such functions are restrict and must not overlap.
 *
 * ox_par_for runs fn over [0, n) split into one contiguous range per thread of the
 * executor's thread count (--threads), on a pool of workers kept between calls; the
 * caller's thread takes the first range. Ranges are never smaller than grain, so small
 * loops stay on one thread. fn must not call ox_par_for (a nested call runs serially).
 */
#ifndef OX_OPS_FAST_H
#define OX_OPS_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__OPTIMIZE_SIZE__)
#define OX_VEC __attribute__((target_clones("avx512f", "avx2", "default"), \
				     optimize("O3", "no-math-errno")))
#else
#define OX_VEC
#endif

/* Kernels written with AVX-512 intrinsics (run only when ox_gemm_fast() says the
 * CPU has AVX-512) are compiled where GCC targets x86-64. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define OX_HAVE_AVX512 1
#include <immintrin.h>
#endif

/* Helpers called from OX_VEC loops must be inlined into each clone to vectorize;
 * GCC does not inline across differing optimize attributes on its own. */
#ifdef __GNUC__
#define OX_VINLINE static inline __attribute__((always_inline))
#else
#define OX_VINLINE static inline
#endif

/* expf for loops that vectorize: libm's expf is a call per element and takes a slow
 * errno path on underflow, which masked attention scores hit on every row. Range
 * reduction by ln 2 (in two parts), a degree-7 Taylor polynomial on |r| <= ln2/2
 * (relative error below 3e-7), and the power of two built in the exponent bits.
 * Below -87.3 the result is 0, above 88.7 +inf, NaN stays NaN. */
OX_VINLINE float
ox_vexpf(float x)
{
	float xc = x < -87.3f ? -87.3f : x > 88.7f ? 88.7f : x;
	float n = __builtin_rintf(xc * 1.44269504088896341f);
	float r = xc - n * 0.693145751953125f - n * 1.42860682030941723e-6f;
	float p = 1.0f / 5040 + r * 0.0f;
	union { float f; int32_t i; } s;

	p = p * r + 1.0f / 720;
	p = p * r + 1.0f / 120;
	p = p * r + 1.0f / 24;
	p = p * r + 1.0f / 6;
	p = p * r + 0.5f;
	p = p * r + 1.0f;
	p = p * r + 1.0f;
	s.i = ((int32_t)n + 127) << 23;
	p *= s.f;
	p = x < -87.3f ? 0.0f : x > 88.7f ? __builtin_inff() : p;
	return x != x ? x : p;
}

typedef void ox_par_fn(void *ctx, int64_t lo, int64_t hi);

void ox_par_for(int64_t n, int64_t grain, ox_par_fn *fn, void *ctx);

/* The executor's thread count (at least 1). */
int ox_par_threads(void);

/* cblas_sgemm (row-major) with C split into one block of rows or columns per thread
 * of ox_par_for. OpenBLAS itself runs on one thread (ox_exec_set_threads): its own
 * workers spin after each call and starve ours on a small machine, and one pool for
 * every loop keeps the thread count what --threads says. */
void ox_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
	      const float *b, int ldb, float beta, float *c, int ldc);

/* The executor's own float GEMM (ops/sgemm.c): C[m, n] = A[m, k] B[k, n] (row-major),
 * then per element, in this order: + row_bias[i], + col_bias[j], + res[i, j], then the
 * activation. A and B are given raw (a/lda, b/ldb), packed once by ox_gemm_pack_a/b
 * (ap, bp: the whole depth; owned by the caller, free()), or both (raw is needed
 * only when the packed form is absent, or for the fallback without AVX-512). Any
 * pointer but c may be NULL when unused; c, res and the raw operands must not
 * overlap. Returns 0, or -1 when the fallback has no raw operand. */
enum { OX_ACT_NONE, OX_ACT_RELU, OX_ACT_CLIP };
struct ox_gemm {
	int m, n, k;
	const float *a, *b;
	int lda, ldb;
	const float *ap, *bp;
	float *c;
	int ldc;
	const float *row_bias, *col_bias, *res;
	int ldres;
	int act;
	float lo, hi;               /* OX_ACT_CLIP bounds */
	/* B made block by block instead of read (b and bp NULL): pack_b(ctx, n0, nc,
	 * k0, kc, dst) writes columns [n0, n0 + nc) and depth [k0, k0 + kc) of B into
	 * dst as ceil(nc / 32) panels of kc x 32 floats, zero-padded (the layout of
	 * ox_gemm_pack_b for k = kc). An im2col made this way never exists whole.
	 * Only with the packed kernel (ox_gemm_fast()); called from several threads. */
	void (*pack_b)(const void *ctx, int n0, int nc, int k0, int kc, float *dst);
	const void *pack_b_ctx;
};
int ox_gemm_run(const struct ox_gemm *g);
/* Columns in one panel of a packed B. */
#define OX_GEMM_NR 32

/* True when the packed kernel runs on this CPU (AVX-512); without it the packed
 * forms are never read, so callers need not make them. */
bool ox_gemm_fast(void);

/* A (m x k, lda) or B (k x n, ldb) packed for ox_gemm_run: a new buffer the caller
 * frees with free(), or NULL when out of memory. */
float *ox_gemm_pack_a(const float *a, int lda, int m, int k);
float *ox_gemm_pack_b(const float *b, int ldb, int n, int k);
/* B given transposed: bt is n x k (ldbt), as Gemm's transB = 1 stores it. */
float *ox_gemm_pack_bt(const float *bt, int ldbt, int n, int k);
size_t ox_gemm_packed_a_floats(int m, int k);
size_t ox_gemm_packed_b_floats(int n, int k);
/* ox_gemm_pack_a into dst, which holds ox_gemm_packed_a_floats(m, k) floats. */
void ox_gemm_pack_a_to(float *dst, const float *a, int lda, int m, int k);

#endif

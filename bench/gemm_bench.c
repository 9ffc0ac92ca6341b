/* bench/gemm_bench.c: GFLOP/s of the executor's GEMM (ops/sgemm.c) on the shapes
 * ResNet and BERT put through it, the way a cached Conv calls it: A (the weights)
 * packed once, B given raw (packed per block) or pre-packed (--packed-b, as an
 * im2col that writes packed panels would hand it over).
 *
 *   make bench/gemm_bench && bench/gemm_bench [--threads N] [--packed-b] [--ms MS]
 *
 * Prints one line per shape: m n k, GFLOP/s (best of repeated timings of about MS
 * milliseconds each, default 200), and the total over all shapes weighted by flops. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"
#include "ops/fast.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *
randoms(size_t n)
{
	float *p = aligned_alloc(64, (n * sizeof *p + 63) / 64 * 64);

	if (!p) {
		fprintf(stderr, "gemm_bench: out of memory\n");
		exit(2);
	}
	for (size_t i = 0; i < n; i++)
		p[i] = (float)rand() / RAND_MAX - 0.5f;
	return p;
}

int
main(int argc, char **argv)
{
	/* m (output channels), n (output pixels), k (input channels x taps) */
	static const int shapes[][3] = {
		{ 64, 3136, 576 }, { 128, 784, 1152 }, { 256, 196, 2304 }, { 512, 49, 4608 },
		{ 64, 12544, 147 }, { 256, 3136, 64 }, { 128, 784, 512 }, { 1024, 196, 256 },
		{ 2048, 49, 512 }, { 128, 768, 768 }, { 128, 3072, 768 }, { 128, 768, 3072 },
	};
	int threads = 1, packed_b = 0;
	double ms = 200, flops_all = 0, secs_all = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--packed-b"))
			packed_b = 1;
		else if (!strcmp(argv[i], "--ms") && i + 1 < argc)
			ms = atof(argv[++i]);
		else {
			fprintf(stderr, "usage: gemm_bench [--threads N] [--packed-b] [--ms MS]\n");
			return 2;
		}
	}
	if (!ox_gemm_fast()) {
		fprintf(stderr, "gemm_bench: no AVX-512 on this CPU; the packed kernel does not run\n");
		return 2;
	}
	ox_exec_set_threads(threads);
	printf("# threads %d, B %s\n", threads, packed_b ? "pre-packed" : "raw");
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
		float *a = randoms((size_t)m * k), *b = randoms((size_t)k * n), *c = randoms((size_t)m * n);
		float *ap = ox_gemm_pack_a(a, k, m, k), *bp = packed_b ? ox_gemm_pack_b(b, n, n, k) : NULL;
		struct ox_gemm g = { .m = m, .n = n, .k = k, .a = a, .b = b, .lda = k, .ldb = n,
				     .ap = ap, .bp = bp, .c = c, .ldc = n, .act = OX_ACT_RELU };
		double best = 1e30, flops = 2.0 * m * n * k;

		for (int rep = 0; rep < 5; rep++) {
			double t0 = now(), t;
			int iters = 0;

			do {
				ox_gemm_run(&g);
				iters++;
			} while ((t = now() - t0) < ms * 1e-3 / 5);
			if (t / iters < best)
				best = t / iters;
		}
		printf("%5d %6d %5d  %7.1f GFLOP/s\n", m, n, k, flops / best * 1e-9);
		flops_all += flops;
		secs_all += best;
		free(a);
		free(b);
		free(c);
		free(ap);
		free(bp);
	}
	printf("all shapes: %.1f GFLOP/s\n", flops_all / secs_all * 1e-9);
	return 0;
}

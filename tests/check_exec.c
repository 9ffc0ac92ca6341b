/* check_exec.c: the executor's own GEMM (ops/sgemm.c) and the epilogues it fuses.
 *
 * The GEMM is checked against a plain triple loop in double for shapes that hit every
 * edge (partial panels in m and n, depths across several blocks) with each operand
 * raw, packed or packed from its transpose, and with every epilogue. The fusions are
 * checked by running a graph twice: as it is (Conv/Gemm/MatMul -> Add -> Relu/Clip
 * fused) and with the intermediate values also listed as graph outputs, which keeps
 * the executor from fusing them; the outputs must agree.
 *
 * A model loaded read-only (OX_LOAD_READ_ONLY, as `run` loads) must give the same
 * bytes as a normal load, one-shot and cached, and a one-shot run must leave none of
 * its weights' file pages in memory (/proc/self/pagemap says which are mapped).
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/exec.h"
#include "../src/graph.h"
#include "../src/onnx_io.h"
#include "../src/ops/fast.h"

static uint64_t seed;

static float
rnd(void)
{
	seed = seed * 6364136223846793005ull + 1442695040888963407ull;
	return (float)((double)(seed >> 11) / (double)(1ull << 53) * 2 - 1);
}

static float *
rnd_floats(size_t n)
{
	float *p = malloc((n + 1) * sizeof *p);

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < n; i++)
		p[i] = rnd();
	return p;
}

/* --- the GEMM against a reference --- */

static void
gemm_case(int m, int n, int k, int mode, int epi)
{
	float *a = rnd_floats((size_t)m * k), *b = rnd_floats((size_t)k * n), *bt = malloc(((size_t)k * n + 1) * 4);
	float *rb = rnd_floats((size_t)m), *cb = rnd_floats((size_t)n), *res = rnd_floats((size_t)m * n);
	float *c = malloc(((size_t)m * n + 1) * sizeof *c), *ap = NULL, *bp = NULL;
	struct ox_gemm g;
	double worst = 0;

	for (int i = 0; i < k; i++)
		for (int j = 0; j < n; j++)
			bt[(size_t)j * k + i] = b[(size_t)i * n + j];
	memset(&g, 0, sizeof g);
	g.m = m;
	g.n = n;
	g.k = k;
	g.a = a;
	g.lda = k;
	g.b = b;
	g.ldb = n;
	g.c = c;
	g.ldc = n;
	/* mode 0: both raw; 1: A packed; 2: B packed; 3: B packed from its transpose */
	if (ox_gemm_fast()) {
		if (mode == 1)
			g.ap = ap = ox_gemm_pack_a(a, k, m, k);
		if (mode == 2)
			g.bp = bp = ox_gemm_pack_b(b, n, n, k);
		if (mode == 3)
			g.bp = bp = ox_gemm_pack_bt(bt, k, n, k);
	}
	if (epi & 1)
		g.row_bias = rb;
	if (epi & 2)
		g.col_bias = cb;
	if (epi & 4) {
		g.res = res;
		g.ldres = n;
	}
	g.act = epi & 8 ? OX_ACT_RELU : epi & 16 ? OX_ACT_CLIP : OX_ACT_NONE;
	g.lo = -0.5f;
	g.hi = 0.75f;
	ck_assert_int_eq(ox_gemm_run(&g), 0);
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			double s = 0;

			for (int p = 0; p < k; p++)
				s += (double)a[(size_t)i * k + p] * b[(size_t)p * n + j];
			if (epi & 1)
				s += rb[i];
			if (epi & 2)
				s += cb[j];
			if (epi & 4)
				s += res[(size_t)i * n + j];
			if (epi & 8)
				s = s > 0 ? s : 0;
			if (epi & 16)
				s = s < -0.5 ? -0.5 : s > 0.75 ? 0.75 : s;
			if (fabs(s - c[(size_t)i * n + j]) > worst)
				worst = fabs(s - c[(size_t)i * n + j]);
		}
	/* float products summed in float: about sqrt(k) ulps of the magnitude (<= k) */
	ck_assert_msg(worst <= 1e-5 * (k + 1), "m %d n %d k %d mode %d epilogue %d: error %g", m, n, k, mode, epi,
		      worst);
	free(a);
	free(b);
	free(bt);
	free(rb);
	free(cb);
	free(res);
	free(c);
	free(ap);
	free(bp);
}

START_TEST(test_gemm_shapes)
{
	static const int shapes[][3] = {
		{ 1, 1, 1 }, { 7, 33, 5 }, { 8, 32, 256 }, { 9, 31, 257 }, { 13, 50, 300 },
		{ 64, 49, 577 }, { 130, 70, 260 }, { 3, 700, 20 }, { 300, 17, 40 },
	};

	seed = 7;
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
		for (int mode = 0; mode < 4; mode++)
			gemm_case(shapes[s][0], shapes[s][1], shapes[s][2], mode, mode == 0 ? 0 : 1 | 8);
}
END_TEST

START_TEST(test_gemm_epilogues)
{
	int epis[] = { 1, 2, 4, 8, 16, 1 | 4 | 8, 2 | 4 | 16, 1 | 2 | 4 | 16 };

	seed = 11;
	for (size_t e = 0; e < sizeof epis / sizeof epis[0]; e++) {
		gemm_case(37, 45, 270, 1, epis[e]);
		gemm_case(37, 45, 270, 3, epis[e]);
	}
}
END_TEST

START_TEST(test_gemm_threads)
{
	/* Tasks split over two threads, including the halving for few tasks. */
	ox_exec_set_threads(2);
	seed = 3;
	gemm_case(512, 49, 300, 1, 1 | 4 | 8);
	gemm_case(64, 3136, 72, 1, 1 | 8);
	gemm_case(128, 256, 256, 2, 2 | 4);
	/* 7 tasks of 512 columns on 3 threads: narrowed to 9 */
	ox_exec_set_threads(3);
	gemm_case(64, 3136, 40, 1, 1 | 8);
	ox_exec_set_threads(1);
}
END_TEST

/* --- the worker pool: every index of every call exactly once --- */

struct par_count {
	_Atomic int hits[16];
	_Atomic int nested;
};

static void
par_nested(void *ctx, int64_t lo, int64_t hi)
{
	struct par_count *pc = ctx;

	atomic_fetch_add(&pc->nested, (int)(hi - lo));
}

static void
par_hit(void *ctx, int64_t lo, int64_t hi)
{
	struct par_count *pc = ctx;

	for (int64_t i = lo; i < hi; i++)
		atomic_fetch_add(&pc->hits[i], 1);
	if (lo == 0 && hi > 0)
		ox_par_for(3, 1, par_nested, pc);     /* runs serially, whole */
}

START_TEST(test_par_for)
{
	/* Thousands of calls a few microseconds apart, with the number of ranges
	 * changing between calls (workers left out of one call take part in the next),
	 * on pools made mid-run: a lost wake-up hangs here, a range run twice or never
	 * shows in the counts. */
	for (int threads = 2; threads <= 5; threads++) {
		ox_exec_set_threads(threads);
		for (int call = 0; call < 4000; call++) {
			struct par_count pc;
			int n = 1 + call % 16, grain = 1 + call % 3;

			memset(&pc, 0, sizeof pc);
			ox_par_for(n, grain, par_hit, &pc);
			for (int i = 0; i < 16; i++)
				ck_assert_msg(atomic_load(&pc.hits[i]) == (i < n), "threads %d call %d index %d: %d runs",
					      threads, call, i, atomic_load(&pc.hits[i]));
			ck_assert_int_eq(atomic_load(&pc.nested), 3);
		}
	}
	ox_exec_set_threads(1);
}
END_TEST

/* --- fused graphs against unfused ones --- */

static struct ox_model *
model_new(int64_t opset)
{
	struct ox_model *m = ox_model_new();
	struct ox_opset *o;

	ck_assert_ptr_nonnull(m);
	o = ox_arena_push(&m->arena, &m->opsets, &m->n_opsets, &m->cap_opsets, sizeof *o);
	ck_assert_ptr_nonnull(o);
	o->domain = "";
	o->has_version = true;
	o->version = opset;
	m->has_ir_version = true;
	m->ir_version = 8;
	m->graph = ox_graph_new(m, NULL);
	return m;
}

static struct ox_value *
init_rnd(struct ox_graph *g, const char *name, int ndim, const int64_t *dims)
{
	struct ox_tensor *t = ox_tensor_new(&g->model->arena, OX_FLOAT, ndim, dims);
	struct ox_value *v = ox_value_new(g, name);

	ck_assert_ptr_nonnull(t);
	for (int64_t i = 0; i < t->nelem; i++)
		((float *)t->data)[i] = rnd();
	t->name = v->name;
	ck_assert_int_eq(ox_graph_add_init(g, v, t), 0);
	return v;
}

static struct ox_value *
init_scalar(struct ox_graph *g, const char *name, float x)
{
	struct ox_tensor *t = ox_tensor_new(&g->model->arena, OX_FLOAT, 0, NULL);
	struct ox_value *v = ox_value_new(g, name);

	*(float *)t->data = x;
	t->name = v->name;
	ck_assert_int_eq(ox_graph_add_init(g, v, t), 0);
	return v;
}

static struct ox_value *
node(struct ox_graph *g, const char *op, int n, ...)
{
	struct ox_node *nd = ox_node_new(g, op, "", n, 1);
	va_list ap;

	ck_assert_ptr_nonnull(nd);
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(ox_node_set_input(nd, i, va_arg(ap, struct ox_value *)), 0);
	va_end(ap);
	return nd->out[0];
}

/* Run m on the given input tensors (borrowed); outputs into out. */
static void
run(struct ox_model *m, struct ox_tensor **in, size_t n_in, struct ox_tensor **out, bool cached)
{
	struct ox_exec_cache *c = cached ? ox_exec_cache_new() : NULL;
	struct ox_diag d;

	ox_diag_init(&d, "test");
	ck_assert_int_eq(ox_exec_run_cached(m, c, in, n_in, out, &d), 0);
	if (cached) {
		/* the second run reads the weights packed by the first */
		for (size_t i = 0; i < m->graph->n_outputs; i++)
			ox_xtensor_free(out[i]);
		ck_assert_int_eq(ox_exec_run_cached(m, c, in, n_in, out, &d), 0);
	}
	ox_diag_release(&d);
	ox_exec_cache_free(c);
}

/* What build(g, unfused) makes: the graph, with its intermediates as outputs too when
 * unfused. Returns the first output of each run and compares them. */
typedef struct ox_value *build_fn(struct ox_graph *g, struct ox_value **in, bool unfused);

static void
fused_vs_unfused(build_fn *build, int n_in, const int64_t (*dims)[4], const int *ranks)
{
	struct ox_tensor *in[4], *o1[8] = { 0 }, *o2[8] = { 0 }, *last;
	struct ox_model *m1 = NULL, *m2 = NULL;
	struct ox_value *v[4];
	double worst = 0;

	for (int pass = 0; pass < 2; pass++) {
		struct ox_model *m = model_new(13);

		for (int i = 0; i < n_in; i++) {
			char name[8] = "in0";

			name[2] = (char)('0' + i);
			v[i] = ox_value_new(m->graph, name);
			ck_assert_int_eq(ox_graph_add_input(m->graph, v[i]), 0);
		}
		seed = 5;
		ck_assert_int_eq(ox_graph_add_output(m->graph, build(m->graph, v, pass == 1)), 0);
		if (pass == 0)
			m1 = m;
		else
			m2 = m;
	}
	seed = 9;
	for (int i = 0; i < n_in; i++) {
		in[i] = ox_xtensor_new(OX_FLOAT, ranks[i], dims[i]);
		for (int64_t e = 0; e < in[i]->nelem; e++)
			((float *)in[i]->data)[e] = rnd();
	}
	for (int cached = 0; cached < 2; cached++) {
		run(m1, in, (size_t)n_in, o1, cached);
		run(m2, in, (size_t)n_in, o2, false);
		/* the result is the unfused graph's last output */
		last = o2[m2->graph->n_outputs - 1];
		ck_assert_int_eq(o1[0]->nelem, last->nelem);
		for (int64_t e = 0; e < o1[0]->nelem; e++) {
			double d = fabs((double)((float *)o1[0]->data)[e] - ((float *)last->data)[e]);

			worst = d > worst ? d : worst;
		}
		ck_assert_msg(worst < 1e-5, "fused and unfused differ by %g", worst);
		for (size_t i = 0; i < m1->graph->n_outputs; i++)
			ox_xtensor_free(o1[i]);
		for (size_t i = 0; i < m2->graph->n_outputs; i++)
			ox_xtensor_free(o2[i]);
	}
	for (int i = 0; i < n_in; i++)
		ox_xtensor_free(in[i]);
	ox_model_free(m1);
	ox_model_free(m2);
}

static void
also_output(struct ox_graph *g, struct ox_value *v, bool unfused)
{
	if (unfused)
		ck_assert_int_eq(ox_graph_add_output(g, v), 0);
}

/* Conv 3x3 pad 1 -> Add(second input) -> Relu */
static struct ox_value *
build_conv_add_relu(struct ox_graph *g, struct ox_value **in, bool unfused)
{
	static const int64_t wd[4] = { 16, 8, 3, 3 }, bd[1] = { 16 }, pads[4] = { 1, 1, 1, 1 };
	struct ox_value *c = node(g, "Conv", 3, in[0], init_rnd(g, "W", 4, wd), init_rnd(g, "B", 1, bd));
	struct ox_value *a;

	ck_assert_int_eq(ox_node_set_attr_ints(c->producer, "pads", pads, 4), 0);
	a = node(g, "Add", 2, in[1], c);
	also_output(g, c, unfused);
	also_output(g, a, unfused);
	return node(g, "Relu", 1, a);
}

/* depthwise Conv 3x3 stride 2 -> Clip(0, 6) */
static struct ox_value *
build_dw_clip(struct ox_graph *g, struct ox_value **in, bool unfused)
{
	static const int64_t wd[4] = { 8, 1, 3, 3 }, st[2] = { 2, 2 }, pads[4] = { 1, 1, 1, 1 };
	struct ox_value *c = node(g, "Conv", 2, in[0], init_rnd(g, "W", 4, wd));

	ck_assert_int_eq(ox_node_set_attr_ints(c->producer, "pads", pads, 4), 0);
	ck_assert_int_eq(ox_node_set_attr_ints(c->producer, "strides", st, 2), 0);
	ck_assert_int_eq(ox_node_set_attr_int(c->producer, "group", 8), 0);
	also_output(g, c, unfused);
	return node(g, "Clip", 3, c, init_scalar(g, "lo", -0.25f), init_scalar(g, "hi", 0.5f));
}

/* 1x1 Conv -> Add of a [1, 16, 1, 1] tensor: the kernel declines (not a residual of
 * its shape), so the nodes run one by one. */
static struct ox_value *
build_conv_bcast_add(struct ox_graph *g, struct ox_value **in, bool unfused)
{
	static const int64_t wd[4] = { 16, 8, 1, 1 }, ad[4] = { 1, 16, 1, 1 };
	struct ox_value *c = node(g, "Conv", 2, in[0], init_rnd(g, "W", 4, wd));
	struct ox_value *a = node(g, "Add", 2, c, init_rnd(g, "A", 4, ad));

	also_output(g, c, unfused);
	also_output(g, a, unfused);
	return node(g, "Relu", 1, a);
}

/* MatMul [2, 5, 24] x [24, 40] -> Add(bias [40]) -> Relu, and Gemm(transB) -> Relu */
static struct ox_value *
build_matmul_gemm(struct ox_graph *g, struct ox_value **in, bool unfused)
{
	static const int64_t wd[2] = { 24, 40 }, bd[1] = { 40 }, gd[2] = { 24, 40 };
	static const int64_t cd[1] = { 24 };
	struct ox_value *mm = node(g, "MatMul", 2, in[0], init_rnd(g, "W", 2, wd));
	struct ox_value *a = node(g, "Add", 2, mm, init_rnd(g, "B", 1, bd));
	struct ox_value *r = node(g, "Relu", 1, a);
	struct ox_value *flat, *ge, *shape;
	struct ox_tensor *st;

	/* [2, 5, 40] -> [10, 40] -> Gemm with B given as [24, 40], transposed */
	shape = ox_value_new(g, "shape");
	st = ox_tensor_new(&g->model->arena, OX_INT64, 1, (const int64_t[]){ 2 });
	((int64_t *)st->data)[0] = 10;
	((int64_t *)st->data)[1] = 40;
	st->name = shape->name;
	ck_assert_int_eq(ox_graph_add_init(g, shape, st), 0);
	flat = node(g, "Reshape", 2, r, shape);
	ge = node(g, "Gemm", 3, flat, init_rnd(g, "G", 2, gd), init_rnd(g, "C", 1, cd));
	ck_assert_int_eq(ox_node_set_attr_int(ge->producer, "transB", 1), 0);
	also_output(g, mm, unfused);
	also_output(g, a, unfused);
	also_output(g, ge, unfused);
	return node(g, "Relu", 1, ge);
}

START_TEST(test_fuse_conv)
{
	static const int64_t dims[2][4] = { { 1, 8, 10, 10 }, { 1, 16, 10, 10 } };
	static const int ranks[2] = { 4, 4 };

	fused_vs_unfused(build_conv_add_relu, 2, dims, ranks);
	fused_vs_unfused(build_dw_clip, 1, dims, ranks);
	fused_vs_unfused(build_conv_bcast_add, 1, dims, ranks);
}
END_TEST

/* --- Conv against a direct double-precision sum --- */

struct conv_case {
	int64_t n, c, h, w, m, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group;
};

static void
conv_case(const struct conv_case *cc, int threads, bool cached)
{
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	const int64_t xd[4] = { cc->n, cc->c, cc->h, cc->w }, wd[4] = { cc->m, cc->c / cc->group, cc->kh, cc->kw };
	const int64_t bd[1] = { cc->m }, st[2] = { cc->sh, cc->sw }, dl[2] = { cc->dh, cc->dw };
	const int64_t pads[4] = { cc->pt, cc->pl, cc->pb, cc->pr };
	int64_t oh = (cc->h + cc->pt + cc->pb - cc->dh * (cc->kh - 1) - 1) / cc->sh + 1;
	int64_t ow = (cc->w + cc->pl + cc->pr - cc->dw * (cc->kw - 1) - 1) / cc->sw + 1;
	int64_t cg = cc->c / cc->group, mg = cc->m / cc->group;
	struct ox_value *x = ox_value_new(g, "x"), *wv, *bv, *y;
	struct ox_tensor *in, *out[1] = { NULL };
	const float *wt, *bt, *xt, *yt;
	double worst = 0;

	ck_assert_int_eq(ox_graph_add_input(g, x), 0);
	seed = 21;
	wv = init_rnd(g, "W", 4, wd);
	bv = init_rnd(g, "B", 1, bd);
	y = node(g, "Conv", 3, x, wv, bv);
	ck_assert_int_eq(ox_node_set_attr_ints(y->producer, "pads", pads, 4), 0);
	ck_assert_int_eq(ox_node_set_attr_ints(y->producer, "strides", st, 2), 0);
	ck_assert_int_eq(ox_node_set_attr_ints(y->producer, "dilations", dl, 2), 0);
	ck_assert_int_eq(ox_node_set_attr_int(y->producer, "group", cc->group), 0);
	ck_assert_int_eq(ox_graph_add_output(g, y), 0);
	in = ox_xtensor_new(OX_FLOAT, 4, xd);
	for (int64_t e = 0; e < in->nelem; e++)
		((float *)in->data)[e] = rnd();
	ox_exec_set_threads(threads);
	run(m, &in, 1, out, cached);
	ox_exec_set_threads(1);
	ck_assert_int_eq(out[0]->ndim, 4);
	ck_assert_int_eq(out[0]->dims[2], oh);
	ck_assert_int_eq(out[0]->dims[3], ow);
	wt = wv->init->data;
	bt = bv->init->data;
	xt = in->data;
	yt = out[0]->data;
	for (int64_t b = 0; b < cc->n; b++)
		for (int64_t o = 0; o < cc->m; o++)
			for (int64_t r = 0; r < oh; r++)
				for (int64_t j = 0; j < ow; j++) {
					double sum = bt[o];
					int64_t gi = o / mg;

					for (int64_t ci = 0; ci < cg; ci++)
						for (int64_t a = 0; a < cc->kh; a++)
							for (int64_t q = 0; q < cc->kw; q++) {
								int64_t yy = r * cc->sh - cc->pt + a * cc->dh;
								int64_t xx = j * cc->sw - cc->pl + q * cc->dw;

								if (yy < 0 || yy >= cc->h || xx < 0 || xx >= cc->w)
									continue;
								sum += (double)wt[((o * cg + ci) * cc->kh + a) * cc->kw + q] *
								       xt[((b * cc->c + gi * cg + ci) * cc->h + yy) * cc->w + xx];
							}
					sum -= yt[((b * cc->m + o) * oh + r) * ow + j];
					worst = fabs(sum) > worst ? fabs(sum) : worst;
				}
	ck_assert_msg(worst <= 1e-5 * (double)(cg * cc->kh * cc->kw + 1),
		      "conv c %lld h %lld w %lld k %lldx%lld s %lld,%lld threads %d: error %g", (long long)cc->c,
		      (long long)cc->h, (long long)cc->w, (long long)cc->kh, (long long)cc->kw, (long long)cc->sh,
		      (long long)cc->sw, threads, worst);
	ox_xtensor_free(out[0]);
	ox_xtensor_free(in);
	ox_model_free(m);
}

START_TEST(test_conv_reference)
{
	/* n c h w m kh kw sh sw dh dw pt pl pb pr group: padded and not, strides 1-3,
	 * dilations, asymmetric pads, groups, depths over one 256-deep block (a block
	 * starting mid-channel), rows shorter than a 32-column panel, column tails */
	static const struct conv_case cases[] = {
		{ 2, 6, 9, 5, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 1, 40, 13, 11, 16, 3, 3, 2, 2, 1, 1, 0, 1, 2, 1, 1 },
		{ 1, 8, 12, 12, 8, 3, 2, 1, 3, 2, 1, 1, 0, 1, 2, 2 },
		{ 1, 3, 30, 30, 12, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1 },
		{ 1, 64, 7, 7, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 1, 16, 40, 3, 24, 5, 1, 1, 1, 1, 1, 2, 0, 2, 0, 1 },
		{ 1, 4, 6, 70, 8, 1, 3, 2, 1, 1, 3, 0, 3, 0, 3, 1 },
		/* 300 output channels: tasks side by side along m share one packed B */
		{ 1, 16, 9, 9, 300, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 1, 24, 14, 14, 272, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1 },
		/* depthwise: 3x3 at stride 1 (the flat way), asymmetric pads, stride 2,
		 * dilation 2, and a 5x5 */
		{ 1, 8, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8 },
		{ 1, 6, 9, 12, 6, 3, 3, 1, 1, 1, 1, 0, 2, 2, 0, 6 },
		{ 2, 5, 10, 9, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5 },
		{ 1, 4, 11, 8, 4, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 4 },
		{ 1, 3, 6, 13, 3, 3, 3, 2, 2, 1, 1, 2, 2, 0, 1, 3 },
		{ 1, 2, 40, 37, 2, 3, 3, 2, 2, 1, 1, 1, 0, 1, 2, 2 },
		{ 1, 4, 11, 13, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 4 },
		{ 1, 3, 12, 10, 3, 5, 5, 1, 2, 1, 1, 2, 2, 2, 2, 3 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		conv_case(&cases[i], 1, false);
		conv_case(&cases[i], 2, true);
	}
}
END_TEST

/* --- elementwise ops split over threads: the same bits as on one --- */

START_TEST(test_elementwise_threads)
{
	/* 40,000 + 17 floats: pieces of 8,192 and a short tail; a scalar other side */
	static const int64_t xd[2] = { 17, 2353 };
	struct ox_tensor *in[2], *o1[3] = { NULL }, *o2[3] = { NULL };
	struct ox_model *m = model_new(13);
	struct ox_graph *g = m->graph;
	struct ox_value *x = ox_value_new(g, "x"), *y = ox_value_new(g, "y");

	ck_assert_int_eq(ox_graph_add_input(g, x), 0);
	ck_assert_int_eq(ox_graph_add_input(g, y), 0);
	ck_assert_int_eq(ox_graph_add_output(g, node(g, "Add", 2, x, y)), 0);
	ck_assert_int_eq(ox_graph_add_output(g, node(g, "Div", 2, x, init_scalar(g, "s", 3.0f))), 0);
	ck_assert_int_eq(ox_graph_add_output(g, node(g, "Erf", 1, x)), 0);
	seed = 17;
	for (int i = 0; i < 2; i++) {
		in[i] = ox_xtensor_new(OX_FLOAT, 2, xd);
		for (int64_t e = 0; e < in[i]->nelem; e++)
			((float *)in[i]->data)[e] = rnd() * 3;
	}
	run(m, in, 2, o1, false);
	ox_exec_set_threads(2);
	run(m, in, 2, o2, false);
	ox_exec_set_threads(1);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(o1[i]->nelem, 17 * 2353);
		ck_assert_msg(!memcmp(o1[i]->data, o2[i]->data, o1[i]->nbytes), "output %d differs on 2 threads", i);
		ox_xtensor_free(o1[i]);
		ox_xtensor_free(o2[i]);
	}
	/* and the values are right, not only the same */
	for (int64_t e = 0; e < in[0]->nelem; e += 997) {
		float a = ((float *)in[0]->data)[e], b = ((float *)in[1]->data)[e];

		run(m, in, 2, o1, false);
		ck_assert_float_eq(((float *)o1[0]->data)[e], a + b);
		ck_assert_float_eq_tol(((float *)o1[1]->data)[e], a / 3.0f, 1e-6);
		ck_assert_float_eq_tol(((float *)o1[2]->data)[e], (float)erf(a), 1e-6);
		for (int i = 0; i < 3; i++)
			ox_xtensor_free(o1[i]);
	}
	ox_xtensor_free(in[0]);
	ox_xtensor_free(in[1]);
	ox_model_free(m);
}
END_TEST

START_TEST(test_fuse_matmul)
{
	static const int64_t dims[1][4] = { { 2, 5, 24 } };
	static const int ranks[1] = { 3 };

	fused_vs_unfused(build_matmul_gemm, 1, dims, ranks);
}
END_TEST

/* --- read-only weights --- */

/* Whole pages inside [p, p + n) that are mapped in this process (the pagemap's
 * present bit: mincore would tell the page cache's state instead, which the drop
 * does not change), and how many there are. */
static size_t
pages_present(const void *p, size_t n, size_t *whole)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1), hi = ((uintptr_t)p + n) & ~(page - 1);
	size_t present = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	*whole = 0;
	for (uintptr_t a = lo; a < hi; a += page) {
		uint64_t e;

		ck_assert_int_eq(pread(fd, &e, sizeof e, (off_t)(a / page * sizeof e)), (ssize_t)sizeof e);
		present += (e >> 63) & 1;
		(*whole)++;
	}
	close(fd);
	return present;
}

static struct ox_model *
load(const char *path, unsigned flags)
{
	struct ox_model *m = NULL;
	struct ox_diag d;

	ox_diag_init(&d, path);
	ck_assert_int_eq(ox_model_load_flags(path, flags, &m, &d), 0);
	ox_diag_release(&d);
	return m;
}

static void
assert_same(const struct ox_tensor *a, const struct ox_tensor *b)
{
	ck_assert_int_eq(a->dtype, b->dtype);
	ck_assert_uint_eq(a->nbytes, b->nbytes);
	ck_assert_msg(memcmp(a->data, b->data, a->nbytes) == 0, "outputs differ");
}

START_TEST(test_read_only_weights)
{
	const char *src = getenv("srcdir") ? getenv("srcdir") : ".";
	static const int64_t dims[4] = { 1, 3, 64, 64 };
	struct ox_model *m0, *m1;
	struct ox_tensor *in, *out0 = NULL, *out1 = NULL;
	size_t checked[2] = { 0, 0 };
	char path[4096];

	/* MobileNetV2 as PyTorch exports it: some large weights lie aligned in the file,
	 * others not (and are copied before their Conv reads them). */
	snprintf(path, sizeof path, "%s/tests/models/mobilenet_v2_w025.onnx", src);
	m0 = load(path, 0);
	m1 = load(path, OX_LOAD_READ_ONLY);
	in = ox_xtensor_new_raw(OX_FLOAT, 4, dims);
	ck_assert_ptr_nonnull(in);
	seed = 7;
	for (int64_t i = 0; i < in->nelem; i++)
		((float *)in->data)[i] = rnd();
	/* A writable load is nobody's to drop. */
	for (size_t i = 0; i < m0->graph->n_inits; i++)
		ck_assert(!ox_model_data_readonly(m0, m0->graph->inits[i]->init->data,
						  m0->graph->inits[i]->init->nbytes));

	run(m0, &in, 1, &out0, false);
	run(m1, &in, 1, &out1, false);
	assert_same(out0, out1);
	for (size_t i = 0; i < m1->graph->n_inits; i++) {
		const struct ox_tensor *t = m1->graph->inits[i]->init;
		size_t whole, present;

		if (!ox_model_data_readonly(m1, t->data, t->nbytes))
			continue;
		present = pages_present(t->data, t->nbytes, &whole);
		if (!whole)
			continue;
		ck_assert_msg(present == 0, "initializer %s: %zu of %zu pages still mapped after the run",
			      t->name, present, whole);
		checked[((uintptr_t)t->data & 3) != 0]++;
	}
	ck_assert_msg(checked[0] > 0 && checked[1] > 0, "no aligned (%zu) or no misaligned (%zu) weight checked",
		      checked[0], checked[1]);
	ox_xtensor_free(out1);

	/* Cached: the aligned copies live in the cache, raw pages dropped or not. */
	run(m1, &in, 1, &out1, true);
	assert_same(out0, out1);
	ox_xtensor_free(out0);
	ox_xtensor_free(out1);
	ox_xtensor_free(in);
	ox_model_free(m0);
	ox_model_free(m1);
}
END_TEST

/* Cached runs take their blocks from a plan of the first run's requests; runs whose
 * requests differ (a Loop count, an If branch) must still give one-shot results. */
START_TEST(test_plan_diverging_runs)
{
	const char *src = getenv("srcdir") ? getenv("srcdir") : ".";
	static const int64_t xd[2] = { 1024, 8 };
	static const int64_t counts[] = { 3, 1, 5, 0, 3, 3 };
	struct ox_model *m;
	struct ox_exec_cache *c = ox_exec_cache_new();
	struct ox_tensor *in[2], *want = NULL, *got = NULL;
	struct ox_diag d;
	char path[4096];

	snprintf(path, sizeof path, "%s/tests/models/control_flow.onnx", src);
	m = load(path, OX_LOAD_READ_ONLY);
	in[0] = ox_xtensor_new_raw(OX_FLOAT, 2, xd);
	in[1] = ox_xtensor_new(OX_INT64, 0, NULL);
	ck_assert(in[0] && in[1] && c);
	seed = 11;
	for (int64_t i = 0; i < in[0]->nelem; i++)
		((float *)in[0]->data)[i] = rnd();
	ox_diag_init(&d, "test");
	for (size_t r = 0; r < sizeof counts / sizeof counts[0]; r++) {
		*(int64_t *)in[1]->data = counts[r];
		ck_assert_int_eq(ox_exec_run(m, in, 2, &want, &d), 0);
		ck_assert_int_eq(ox_exec_run_cached(m, c, in, 2, &got, &d), 0);
		assert_same(want, got);
		ox_xtensor_free(want);
		ox_xtensor_free(got);
	}
	ox_diag_release(&d);
	ox_exec_cache_free(c);
	ox_xtensor_free(in[0]);
	ox_xtensor_free(in[1]);
	ox_model_free(m);
}
END_TEST

static Suite *
exec_suite(void)
{
	Suite *s = suite_create("exec");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_gemm_shapes);
	tcase_add_test(tc, test_gemm_epilogues);
	tcase_add_test(tc, test_gemm_threads);
	tcase_add_test(tc, test_par_for);
	tcase_add_test(tc, test_fuse_conv);
	tcase_add_test(tc, test_conv_reference);
	tcase_add_test(tc, test_elementwise_threads);
	tcase_add_test(tc, test_fuse_matmul);
	tcase_add_test(tc, test_read_only_weights);
	tcase_add_test(tc, test_plan_diverging_runs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(exec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

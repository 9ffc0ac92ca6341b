/* ops/elementwise.c: unary and binary math, comparisons, logic, Where, Clip, Cast.
 *
 * Binary ops go through ox_bcast (kernel.h) and one loop macro per shape of
 * expression; float16/bfloat16 run through float (ox_khalf). Integer division and
 * modulo by zero give 0 instead of trapping, so a hostile model cannot crash us.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/fast.h"
#include "ops/kernel.h"

static bool
half(int dtype)
{
	return dtype == OX_FLOAT16 || dtype == OX_BFLOAT16;
}

/* Legacy (opset < 7) broadcasting: with broadcast=1, B lines up with A from axis. */
static void
legacy_view(struct ox_kctx *k, const struct ox_tensor *a, const struct ox_tensor *b,
	    struct ox_tensor *view, int64_t *dims)
{
	int64_t axis;

	*view = *b;
	if (k->opset >= 7 || !ox_kattr_i(k, "broadcast", 0))
		return;
	axis = ox_kattr_i(k, "axis", a->ndim - b->ndim);
	if (axis < 0)
		axis += a->ndim;
	if (axis < 0 || axis + b->ndim > a->ndim)
		return;
	for (int i = 0; i < b->ndim; i++)
		dims[i] = b->dims[i];
	for (int i = b->ndim; i < a->ndim - axis; i++)
		dims[i] = 1;
	view->ndim = (int)(a->ndim - axis);
	view->dims = dims;
}

#define BLOOP(TI, TO, EXPR) do {							\
	const TI *A_ = a->data, *B_ = b->data;						\
	TO *O_ = o->data;								\
	int64_t off_[3];								\
	while (ox_bcast_next(&bc, off_)) {						\
		const TI *pa_ = A_ + off_[1], *pb_ = B_ + off_[2];			\
		TO *po_ = O_ + off_[0];							\
		int64_t sa_ = bc.istride[0], sb_ = bc.istride[1];			\
		if (sa_ && sb_) {							\
			for (int64_t j = 0; j < bc.inner; j++) {			\
				TI x = pa_[j], y = pb_[j];				\
				po_[j] = (TO)(EXPR);					\
			}								\
		} else {								\
			for (int64_t j = 0; j < bc.inner; j++) {			\
				TI x = pa_[j * sa_], y = pb_[j * sb_];			\
				po_[j] = (TO)(EXPR);					\
			}								\
		}									\
	}										\
} while (0)

/* --- float fast paths ---
 * Broadcast rows come contiguous, or with one side fixed (a bias per channel, a
 * scalar): each case gets its own loop so that it vectorizes. */
enum fop { FADD, FSUB, FMUL, FDIV };

#define FROW(EXPR) do {									\
	if (sa && sb)									\
		for (int64_t j = 0; j < n; j++) { float x = a[j], y = b[j]; o[j] = EXPR; }	\
	else if (sa)									\
		for (int64_t j = 0; j < n; j++) { float x = a[j], y = b[0]; o[j] = EXPR; }	\
	else if (sb)									\
		for (int64_t j = 0; j < n; j++) { float x = a[0], y = b[j]; o[j] = EXPR; }	\
	else										\
		for (int64_t j = 0; j < n; j++) { float x = a[0], y = b[0]; o[j] = EXPR; }	\
} while (0)

OX_VEC static void
frow(enum fop op, const float *restrict a, int64_t sa, const float *restrict b, int64_t sb,
     float *restrict o, int64_t n)
{
	switch (op) {
	case FADD: FROW(x + y); break;
	case FSUB: FROW(x - y); break;
	case FMUL: FROW(x * y); break;
	case FDIV: FROW(x / y); break;
	}
}

/* The output may be one of the inputs' buffers only when it is the executor's own
 * new tensor, which it never is: restrict holds. */
/* Elementwise loops over more floats than this are split over the threads. */
#define PAR_FLOATS 32768

struct frow_job {
	enum fop op;
	const float *a, *b;
	int64_t sa, sb;
	float *o;
};

static void
frow_part(void *ctx, int64_t lo, int64_t hi)
{
	const struct frow_job *j = ctx;

	lo *= PAR_FLOATS / 4;
	hi *= PAR_FLOATS / 4;
	frow(j->op, j->a + lo * j->sa, j->sa, j->b + lo * j->sb, j->sb, j->o + lo, hi - lo);
}

static void
fbin(struct ox_bcast *bc, enum fop op, const struct ox_tensor *a, const struct ox_tensor *b,
     struct ox_tensor *o)
{
	int64_t off[3];

	/* One long row (same shapes, or a scalar on one side): in pieces of a quarter
	 * of PAR_FLOATS over the threads; the last piece is cut short below. */
	if (bc->inner == o->nelem && o->nelem >= PAR_FLOATS && ox_par_threads() > 1) {
		int64_t piece = PAR_FLOATS / 4, whole = o->nelem / piece, rest = o->nelem - whole * piece;
		struct frow_job j = { op, a->data, b->data, bc->istride[0], bc->istride[1], o->data };

		ox_par_for(whole, 2, frow_part, &j);
		if (rest)
			frow(op, j.a + whole * piece * j.sa, j.sa, j.b + whole * piece * j.sb, j.sb,
			     j.o + whole * piece, rest);
		return;
	}
	while (ox_bcast_next(bc, off))
		frow(op, (const float *)a->data + off[1], bc->istride[0], (const float *)b->data + off[2],
		     bc->istride[1], (float *)o->data + off[0], bc->inner);
}

OX_VEC static void
fclip(const float *restrict x, float *restrict o, int64_t n, float lo, float hi)
{
	/* NaN passes through: both comparisons are false for it. */
	for (int64_t i = 0; i < n; i++) {
		float v = x[i];

		v = v < lo ? lo : v;
		o[i] = v > hi ? hi : v;
	}
}

OX_VEC static void
fsquare(const float *restrict x, float *restrict o, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		o[i] = x[i] * x[i];
}

OX_VEC static void
froot(const float *restrict x, float *restrict o, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		o[i] = sqrtf(x[i]);
}

enum out_kind { SAME, BOOL };

/* Prepare a binary op: broadcast, output; returns 1 to go on, 0/negative to return. */
static int
bin_setup(struct ox_kctx *k, const struct ox_tensor **pa, const struct ox_tensor **pb,
	  struct ox_tensor *bview, int64_t *bdims, struct ox_bcast *bc, struct ox_tensor **po,
	  enum out_kind kind, ox_kernel_fn *self)
{
	const struct ox_tensor *ts[2];

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	*pa = ox_kin(k, 0);
	*pb = ox_kin(k, 1);
	if (half((*pa)->dtype) && self)
		return ox_khalf(k, self) < 0 ? -1 : 0;
	if ((*pa)->dtype != (*pb)->dtype)
		return ox_kerr(k, OX_EINVAL, "input dtypes differ: %s and %s",
			       ox_dtype_name((*pa)->dtype), ox_dtype_name((*pb)->dtype));
	legacy_view(k, *pa, *pb, bview, bdims);
	*pb = bview;
	ts[0] = *pa;
	ts[1] = *pb;
	if (ox_bcast_init(k, bc, 2, ts) < 0)
		return OX_EINVAL;
	/* Every row is written, so the output need not be cleared. */
	*po = ox_kout_raw(k, 0, kind == BOOL ? OX_BOOL : (*pa)->dtype, bc->ndim, bc->dims);
	return *po ? 1 : OX_ENOMEM;
}

#define SETUP(kind, self)								\
	const struct ox_tensor *a, *b;							\
	struct ox_tensor bview, *o;							\
	int64_t bdims[OX_MAX_RANK];							\
	struct ox_bcast bc;								\
	int r_ = bin_setup(k, &a, &b, &bview, bdims, &bc, &o, kind, self);		\
	if (r_ <= 0)									\
		return r_ < 0 ? r_ : 0

#define ICASES(TOF, IEXPR)								\
	case OX_INT8: BLOOP(int8_t, TOF(int8_t), IEXPR); break;				\
	case OX_INT16: BLOOP(int16_t, TOF(int16_t), IEXPR); break;			\
	case OX_INT32: BLOOP(int32_t, TOF(int32_t), IEXPR); break;			\
	case OX_INT64: BLOOP(int64_t, TOF(int64_t), IEXPR); break;			\
	case OX_UINT8: BLOOP(uint8_t, TOF(uint8_t), IEXPR); break;			\
	case OX_UINT16: BLOOP(uint16_t, TOF(uint16_t), IEXPR); break;			\
	case OX_UINT32: BLOOP(uint32_t, TOF(uint32_t), IEXPR); break;			\
	case OX_UINT64: BLOOP(uint64_t, TOF(uint64_t), IEXPR); break;

#define FCASES(TOF, FEXPR)								\
	case OX_FLOAT: BLOOP(float, TOF(float), FEXPR); break;				\
	case OX_DOUBLE: BLOOP(double, TOF(double), FEXPR); break;

#define T_SAME(T) T
#define T_BOOL(T) uint8_t

/* An arithmetic op: FEXPR for floats, IEXPR for integers; FOP names the float fast
 * path or is -1. */
#define ARITH(fn, FOP, FEXPR, IEXPR)							\
int fn(struct ox_kctx *k)								\
{											\
	SETUP(SAME, fn);								\
	if (a->dtype == OX_FLOAT && (int)(FOP) >= 0) {					\
		fbin(&bc, (enum fop)(FOP), a, b, o);					\
		return 0;								\
	}										\
	switch (a->dtype) {								\
	FCASES(T_SAME, FEXPR)								\
	ICASES(T_SAME, IEXPR)								\
	default: return ox_kdtype(k, a->dtype);						\
	}										\
	return 0;									\
}

/* INT_MIN / -1 traps on x86 like division by zero; both wrap to a value instead. */
static inline int32_t
div32(int32_t x, int32_t y)
{
	return y == -1 ? (int32_t)(0u - (uint32_t)x) : x / y;
}

static inline int64_t
div64(int64_t x, int64_t y)
{
	return y == -1 ? (int64_t)(0u - (uint64_t)x) : x / y;
}

#define ZDIV(x, y) ((y) == 0 ? 0 : _Generic((x), int32_t: div32((int32_t)(x), (int32_t)(y)), \
	int64_t: div64((int64_t)(x), (int64_t)(y)), default: (x) / (y)))

static ox_kernel_fn max2, min2;

ARITH(ox_op_add, FADD, x + y, x + y)
ARITH(ox_op_sub, FSUB, x - y, x - y)
ARITH(ox_op_mul, FMUL, x * y, x * y)
ARITH(ox_op_div, FDIV, x / y, ZDIV(x, y))
ARITH(max2, -1, (isnan(x) || x > y) ? x : y, x > y ? x : y)
ARITH(min2, -1, (isnan(x) || x < y) ? x : y, x < y ? x : y)

#define CMP(fn, EXPR)									\
int fn(struct ox_kctx *k)								\
{											\
	SETUP(BOOL, fn);								\
	switch (a->dtype) {								\
	FCASES(T_BOOL, EXPR)								\
	ICASES(T_BOOL, EXPR)								\
	case OX_BOOL: BLOOP(uint8_t, uint8_t, EXPR); break;				\
	default: return ox_kdtype(k, a->dtype);						\
	}										\
	return 0;									\
}

CMP(ox_op_equal, x == y)
CMP(ox_op_less, x < y)
CMP(ox_op_greater, x > y)
CMP(ox_op_less_or_equal, x <= y)
CMP(ox_op_greater_or_equal, x >= y)

#define LOGIC(fn, EXPR)									\
int fn(struct ox_kctx *k)								\
{											\
	SETUP(BOOL, NULL);								\
	if (a->dtype != OX_BOOL)							\
		return ox_kdtype(k, a->dtype);						\
	BLOOP(uint8_t, uint8_t, EXPR);							\
	return 0;									\
}

LOGIC(ox_op_and, (x != 0) & (y != 0))
LOGIC(ox_op_or, (x != 0) | (y != 0))
LOGIC(ox_op_xor, (x != 0) ^ (y != 0))

/* Python's modulo: the result takes the divisor's sign. */
#define PYMOD_I(x, y) ((y) == 0 ? 0 : ((y) == -1 ? 0 : (((x) % (y)) != 0 && (((x) % (y)) < 0) != ((y) < 0) ? (x) % (y) + (y) : (x) % (y))))
#define UMOD(x, y) ((y) == 0 ? 0 : (x) % (y))

int
ox_op_mod(struct ox_kctx *k)
{
	int fmod_ = (int)ox_kattr_i(k, "fmod", 0);

	SETUP(SAME, ox_op_mod);
	switch (a->dtype) {
	case OX_FLOAT:
		if (fmod_)
			BLOOP(float, float, fmodf(x, y));
		else
			BLOOP(float, float, y == 0 ? NAN : x - floorf(x / y) * y);
		break;
	case OX_DOUBLE:
		if (fmod_)
			BLOOP(double, double, fmod(x, y));
		else
			BLOOP(double, double, y == 0 ? NAN : x - floor(x / y) * y);
		break;
	case OX_INT8:
		if (fmod_) BLOOP(int8_t, int8_t, y == 0 || y == -1 ? 0 : x % y);
		else BLOOP(int8_t, int8_t, PYMOD_I(x, y));
		break;
	case OX_INT16:
		if (fmod_) BLOOP(int16_t, int16_t, y == 0 || y == -1 ? 0 : x % y);
		else BLOOP(int16_t, int16_t, PYMOD_I(x, y));
		break;
	case OX_INT32:
		if (fmod_) BLOOP(int32_t, int32_t, y == 0 || y == -1 ? 0 : x % y);
		else BLOOP(int32_t, int32_t, PYMOD_I(x, y));
		break;
	case OX_INT64:
		if (fmod_) BLOOP(int64_t, int64_t, y == 0 || y == -1 ? 0 : x % y);
		else BLOOP(int64_t, int64_t, PYMOD_I(x, y));
		break;
	case OX_UINT8: BLOOP(uint8_t, uint8_t, UMOD(x, y)); break;
	case OX_UINT16: BLOOP(uint16_t, uint16_t, UMOD(x, y)); break;
	case OX_UINT32: BLOOP(uint32_t, uint32_t, UMOD(x, y)); break;
	case OX_UINT64: BLOOP(uint64_t, uint64_t, UMOD(x, y)); break;
	default: return ox_kdtype(k, a->dtype);
	}
	return 0;
}

int
ox_op_bitshift(struct ox_kctx *k)
{
	char buf[16];
	bool left = !strcmp(ox_kattr_s(k, "direction", "", buf, sizeof buf), "LEFT");

	SETUP(SAME, NULL);
#define SH(T) if (left) BLOOP(T, T, y >= sizeof(T) * 8 ? 0 : x << y); \
	      else BLOOP(T, T, y >= sizeof(T) * 8 ? 0 : x >> y)
	switch (a->dtype) {
	case OX_UINT8: SH(uint8_t); break;
	case OX_UINT16: SH(uint16_t); break;
	case OX_UINT32: SH(uint32_t); break;
	case OX_UINT64: SH(uint64_t); break;
	default: return ox_kdtype(k, a->dtype);
	}
#undef SH
	return 0;
}

/* Pow: the exponent may have another dtype; it is brought to the base's first. */
static double
ipow(double x, double y)
{
	return pow(x, y);
}

int
ox_op_pow(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *y = ox_kin(k, 1);

	if (!x || !y)
		return ox_kerr(k, OX_EINVAL, "Pow needs two inputs");
	if (half(x->dtype))
		return ox_khalf(k, ox_op_pow);
	if (x->dtype != y->dtype) {
		struct ox_tensor *yc = ox_kconvert(k, y, x->dtype);
		const struct ox_tensor *saved = k->in[1];
		int r;

		if (!yc)
			return OX_ENOMEM;
		k->in[1] = yc;
		r = ox_op_pow(k);
		k->in[1] = saved;
		ox_xtensor_free(yc);
		return r;
	}
	/* x^2 and x^0.5 are how exported LayerNorm and distance code spell them. */
	if (x->dtype == OX_FLOAT && y->nelem == 1 && y->ndim <= x->ndim &&
	    (((const float *)y->data)[0] == 2.0f || ((const float *)y->data)[0] == 0.5f)) {
		struct ox_tensor *o = ox_kout_raw(k, 0, OX_FLOAT, x->ndim, x->dims);

		if (!o)
			return OX_ENOMEM;
		if (((const float *)y->data)[0] == 2.0f)
			fsquare(x->data, o->data, x->nelem);
		else
			froot(x->data, o->data, x->nelem);
		return 0;
	}
	{
		SETUP(SAME, NULL);
		switch (a->dtype) {
		case OX_FLOAT: BLOOP(float, float, powf(x, y)); break;
		case OX_DOUBLE: BLOOP(double, double, pow(x, y)); break;
		case OX_INT32: BLOOP(int32_t, int32_t, (int32_t)ipow(x, y)); break;
		case OX_INT64: BLOOP(int64_t, int64_t, (int64_t)ipow((double)x, (double)y)); break;
		default: return ox_kdtype(k, a->dtype);
		}
	}
	return 0;
}

/* Old exporters give a per-channel slope [C] for x [N, C, ...], meant along axis 1
 * (the opset 6 reading); numpy rules would align it with the last axis. */
static int
prelu_channel(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *s = ox_kin(k, 1), *saved;
	struct ox_tensor view;
	int64_t dims[OX_MAX_RANK];
	int r;

	view = *s;
	dims[0] = s->dims[0];
	for (int i = 1; i < x->ndim - 1; i++)
		dims[i] = 1;
	view.ndim = x->ndim - 1;
	view.dims = dims;
	saved = k->in[1];
	k->in[1] = &view;
	r = ox_op_prelu(k);
	k->in[1] = saved;
	return r;
}

int
ox_op_prelu(struct ox_kctx *k)
{
	const struct ox_tensor *x0 = ox_kin(k, 0), *s0 = ox_kin(k, 1);

	if (x0 && s0 && s0->ndim == 1 && x0->ndim > 2 && s0->dims[0] == x0->dims[1] &&
	    s0->dims[0] != x0->dims[x0->ndim - 1] && s0->dims[0] != 1)
		return prelu_channel(k);
	SETUP(SAME, ox_op_prelu);
	switch (a->dtype) {
	case OX_FLOAT: BLOOP(float, float, x < 0 ? x * y : x); break;
	case OX_DOUBLE: BLOOP(double, double, x < 0 ? x * y : x); break;
	case OX_INT32: BLOOP(int32_t, int32_t, x < 0 ? x * y : x); break;
	case OX_INT64: BLOOP(int64_t, int64_t, x < 0 ? x * y : x); break;
	default: return ox_kdtype(k, a->dtype);
	}
	return 0;
}

/* --- variadic: Sum, Max, Min, Mean fold pairwise --- */

static int
fold(struct ox_kctx *k, ox_kernel_fn *pair, bool mean)
{
	const struct ox_tensor **saved = k->in;
	int n = k->n_in, r = 0;
	struct ox_tensor *acc = NULL;

	if (n < 1 || !ox_kneed(k, 0))
		return ox_kerr(k, OX_EINVAL, "needs at least one input");
	if (n == 1) {
		if (!(acc = ox_xtensor_copy(k->in[0])))
			return ox_kerr(k, OX_ENOMEM, "out of memory");
	}
	for (int i = 1; i < n; i++) {
		const struct ox_tensor *pairin[2] = { acc ? acc : saved[0], saved[i] };

		if (!pairin[1])
			return ox_kerr(k, OX_EINVAL, "input %d is missing", i);
		k->in = pairin;
		k->n_in = 2;
		r = pair(k);
		k->in = saved;
		k->n_in = n;
		if (r < 0) {
			ox_xtensor_free(acc);
			return r;
		}
		ox_xtensor_free(acc);
		acc = k->out[0];
		k->out[0] = NULL;
	}
	if (mean && n > 1) {
		for (int64_t i = 0; i < acc->nelem; i++)
			ox_set_f64(acc, i, ox_get_f64(acc, i) / n);
	}
	ox_xtensor_free(k->out[0]);
	k->out[0] = acc;
	return 0;
}

int ox_op_sum(struct ox_kctx *k) { return fold(k, ox_op_add, false); }
int ox_op_mean(struct ox_kctx *k) { return fold(k, ox_op_add, true); }
int ox_op_max(struct ox_kctx *k) { return fold(k, max2, false); }
int ox_op_min(struct ox_kctx *k) { return fold(k, min2, false); }

/* --- unary --- */

#define ULOOP(TI, TO, EXPR) do {							\
	const TI *X_ = x_->data;							\
	TO *O_ = o->data;								\
	for (int64_t i = 0; i < x_->nelem; i++) {					\
		TI x = X_[i];								\
		O_[i] = (TO)(EXPR);							\
	}										\
} while (0)

static int
un_setup(struct ox_kctx *k, const struct ox_tensor **x, struct ox_tensor **o, int dtype_out)
{
	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	*x = ox_kin(k, 0);
	*o = ox_kout_raw(k, 0, dtype_out ? dtype_out : (*x)->dtype, (*x)->ndim, (*x)->dims);
	return *o ? 1 : OX_ENOMEM;
}

/* erf in float arithmetic that vectorizes: an odd Taylor series below 0.5, where
 * 1 - erfc would cancel, and above it the classic Chebyshev-fitted erfc
 * t exp(-z^2 + P(t)) with t = 1 / (1 + z/2) (fractional error below 1.2e-7). */
OX_VINLINE float
verf(float x)
{
	float z = fabsf(x), z2 = x * x, t, p, big, small;

	z = z > 10.0f ? 10.0f : z;
	t = 1.0f / (1.0f + 0.5f * z);
	p = 0.17087277f;
	p = p * t - 0.82215223f;
	p = p * t + 1.48851587f;
	p = p * t - 1.13520398f;
	p = p * t + 0.27886807f;
	p = p * t - 0.18628806f;
	p = p * t + 0.09678418f;
	p = p * t + 0.37409196f;
	p = p * t + 1.00002368f;
	p = p * t - 1.26551223f;
	big = 1.0f - t * ox_vexpf(-z * z + p);
	big = x < 0 ? -big : big;
	/* 2/sqrt(pi) (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 - x^11/1320) */
	small = -1.0f / 1320;
	small = small * z2 + 1.0f / 216;
	small = small * z2 - 1.0f / 42;
	small = small * z2 + 1.0f / 10;
	small = small * z2 - 1.0f / 3;
	small = small * z2 + 1.0f;
	small *= 1.12837916709551257f * x;
	return z < 0.5f ? small : big;
}

/* Float unary loops in float arithmetic (the generic path goes through double). */
enum fun { U_NONE, U_RELU, U_SQRT, U_ERF, U_EXP, U_TANH, U_SIGMOID };

OX_VEC static void
funary(enum fun op, const float *restrict x, float *restrict o, int64_t n)
{
	switch (op) {
	case U_NONE: break;
	case U_RELU: for (int64_t i = 0; i < n; i++) o[i] = x[i] > 0 ? x[i] : 0.0f; break;
	case U_SQRT: for (int64_t i = 0; i < n; i++) o[i] = sqrtf(x[i]); break;
	case U_ERF: for (int64_t i = 0; i < n; i++) o[i] = verf(x[i]); break;
	case U_EXP: for (int64_t i = 0; i < n; i++) o[i] = ox_vexpf(x[i]); break;
	case U_TANH: for (int64_t i = 0; i < n; i++) o[i] = tanhf(x[i]); break;
	case U_SIGMOID:
		for (int64_t i = 0; i < n; i++) {
			float e = ox_vexpf(-fabsf(x[i]));

			o[i] = x[i] >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
		}
		break;
	}
}

struct funary_job {
	enum fun op;
	const float *x;
	float *o;
	int64_t n;
};

static void
funary_part(void *ctx, int64_t lo, int64_t hi)
{
	const struct funary_job *j = ctx;
	int64_t a = lo * (PAR_FLOATS / 4), b = hi * (PAR_FLOATS / 4);

	funary(j->op, j->x + a, j->o + a, (b < j->n ? b : j->n) - a);
}

/* funary over the threads when n is large. */
static void
funary_all(enum fun op, const float *x, float *o, int64_t n)
{
	struct funary_job j = { op, x, o, n };
	int64_t piece = PAR_FLOATS / 4;

	if (n < PAR_FLOATS || ox_par_threads() < 2)
		funary(op, x, o, n);
	else
		ox_par_for((n + piece - 1) / piece, 2, funary_part, &j);
}

#define UFAST(FU)									\
	if ((FU) != U_NONE && x_->dtype == OX_FLOAT) {					\
		funary_all((FU), x_->data, o->data, x_->nelem);				\
		return 0;								\
	}

/* A float-only unary op; attributes are read into alpha, beta, gamma first. */
#define UNARY_F(fn, A, B, G, EXPR) UNARY_FX(fn, A, B, G, EXPR, U_NONE)
#define UNARY_FX(fn, A, B, G, EXPR, FU)							\
int fn(struct ox_kctx *k)								\
{											\
	const struct ox_tensor *x_;							\
	struct ox_tensor *o;								\
	double alpha = ox_kattr_f(k, "alpha", A), beta = ox_kattr_f(k, "beta", B);	\
	double gamma = ox_kattr_f(k, "gamma", G);					\
	int r_;										\
	(void)alpha; (void)beta; (void)gamma;						\
	if (ox_kin(k, 0) && half(ox_kin(k, 0)->dtype))					\
		return ox_khalf(k, fn);							\
	if ((r_ = un_setup(k, &x_, &o, 0)) <= 0)					\
		return r_;								\
	UFAST(FU)									\
	switch (x_->dtype) {								\
	case OX_FLOAT: ULOOP(float, float, EXPR); break;				\
	case OX_DOUBLE: ULOOP(double, double, EXPR); break;				\
	default: return ox_kdtype(k, x_->dtype);					\
	}										\
	return 0;									\
}

#define SIGMOID(x) ((x) >= 0 ? 1.0 / (1.0 + exp(-(double)(x))) : exp((double)(x)) / (1.0 + exp((double)(x))))

UNARY_FX(ox_op_sqrt, 0, 0, 0, sqrt(x), U_SQRT)
UNARY_FX(ox_op_exp, 0, 0, 0, exp(x), U_EXP)
UNARY_F(ox_op_log, 0, 0, 0, log(x))
UNARY_F(ox_op_sin, 0, 0, 0, sin(x))
UNARY_F(ox_op_cos, 0, 0, 0, cos(x))
UNARY_F(ox_op_tan, 0, 0, 0, tan(x))
UNARY_F(ox_op_asin, 0, 0, 0, asin(x))
UNARY_F(ox_op_acos, 0, 0, 0, acos(x))
UNARY_F(ox_op_atan, 0, 0, 0, atan(x))
UNARY_F(ox_op_sinh, 0, 0, 0, sinh(x))
UNARY_F(ox_op_cosh, 0, 0, 0, cosh(x))
UNARY_F(ox_op_asinh, 0, 0, 0, asinh(x))
UNARY_F(ox_op_acosh, 0, 0, 0, acosh(x))
UNARY_F(ox_op_atanh, 0, 0, 0, atanh(x))
UNARY_FX(ox_op_tanh, 0, 0, 0, tanh(x), U_TANH)
UNARY_FX(ox_op_sigmoid, 0, 0, 0, SIGMOID(x), U_SIGMOID)
UNARY_F(ox_op_reciprocal, 0, 0, 0, 1.0 / x)
UNARY_F(ox_op_floor, 0, 0, 0, floor(x))
UNARY_F(ox_op_ceil, 0, 0, 0, ceil(x))
UNARY_F(ox_op_round, 0, 0, 0, nearbyint(x))
UNARY_FX(ox_op_erf, 0, 0, 0, erf(x), U_ERF)
UNARY_F(ox_op_softplus, 0, 0, 0, x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)))
UNARY_F(ox_op_softsign, 0, 0, 0, x / (1.0 + fabs((double)x)))
UNARY_F(ox_op_elu, 1.0, 0, 0, x < 0 ? alpha * (exp(x) - 1.0) : x)
UNARY_F(ox_op_celu, 1.0, 0, 0, (x > 0 ? x : 0) + fmin(0.0, alpha * (exp(x / alpha) - 1.0)))
UNARY_F(ox_op_selu, 1.67326319217681884765625, 0, 1.05070102214813232421875,
	x <= 0 ? gamma * (alpha * exp(x) - alpha) : gamma * x)
UNARY_F(ox_op_leaky_relu, 0.01, 0, 0, x < 0 ? alpha * x : x)
UNARY_F(ox_op_thresholded_relu, 1.0, 0, 0, x > alpha ? x : 0)
UNARY_F(ox_op_hard_sigmoid, 0.2, 0.5, 0, fmax(0.0, fmin(1.0, alpha * x + beta)))
UNARY_F(ox_op_hard_swish, 0, 0, 0, x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5)))
UNARY_F(ox_op_mish, 0, 0, 0, x * tanh(x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))))

/* Gelu-20: x Phi(x) exactly ("none", through erf) or with the tanh approximation. */
int
ox_op_gelu(struct ox_kctx *k)
{
	const struct ox_tensor *x_;
	struct ox_tensor *o;
	char buf[16];
	const char *mode = ox_kattr_s(k, "approximate", "none", buf, sizeof buf);
	bool tanh_mode;
	int r;

	if (strcmp(mode, "none") != 0 && strcmp(mode, "tanh") != 0)
		return ox_kerr(k, OX_EUNSUPPORTED, "approximate '%s' is not none or tanh", mode);
	tanh_mode = mode[0] == 't';
	if (ox_kin(k, 0) && half(ox_kin(k, 0)->dtype))
		return ox_khalf(k, ox_op_gelu);
	if ((r = un_setup(k, &x_, &o, 0)) <= 0)
		return r;
	if (x_->dtype != OX_FLOAT && x_->dtype != OX_DOUBLE)
		return ox_kdtype(k, x_->dtype);
	for (int64_t i = 0; i < x_->nelem; i++) {
		double x = ox_get_f64(x_, i), c;

		if (tanh_mode)
			c = 1.0 + tanh(0.79788456080286535588 * (x + 0.044715 * x * x * x));
		else
			c = 1.0 + erf(x * 0.70710678118654752440);
		ox_set_f64(o, i, 0.5 * x * c);
	}
	return 0;
}

int
ox_op_shrink(struct ox_kctx *k)
{
	const struct ox_tensor *x_;
	struct ox_tensor *o;
	double bias = ox_kattr_f(k, "bias", 0), lambd = ox_kattr_f(k, "lambd", 0.5f);
	int r;

	if (ox_kin(k, 0) && half(ox_kin(k, 0)->dtype))
		return ox_khalf(k, ox_op_shrink);
	if ((r = un_setup(k, &x_, &o, 0)) <= 0)
		return r;
	for (int64_t i = 0; i < x_->nelem; i++) {
		double x = ox_get_f64(x_, i);

		ox_set_f64(o, i, x < -lambd ? x + bias : x > lambd ? x - bias : 0);
	}
	return 0;
}

/* Unary ops that also take integers. */
#define UNARY_N(fn, FEXPR, SEXPR, UEXPR) UNARY_NX(fn, FEXPR, SEXPR, UEXPR, U_NONE)
#define UNARY_NX(fn, FEXPR, SEXPR, UEXPR, FU)						\
int fn(struct ox_kctx *k)								\
{											\
	const struct ox_tensor *x_;							\
	struct ox_tensor *o;								\
	int r_;										\
	if (ox_kin(k, 0) && half(ox_kin(k, 0)->dtype))					\
		return ox_khalf(k, fn);							\
	if ((r_ = un_setup(k, &x_, &o, 0)) <= 0)					\
		return r_;								\
	UFAST(FU)									\
	switch (x_->dtype) {								\
	case OX_FLOAT: ULOOP(float, float, FEXPR); break;				\
	case OX_DOUBLE: ULOOP(double, double, FEXPR); break;				\
	case OX_INT8: ULOOP(int8_t, int8_t, SEXPR); break;				\
	case OX_INT16: ULOOP(int16_t, int16_t, SEXPR); break;				\
	case OX_INT32: ULOOP(int32_t, int32_t, SEXPR); break;				\
	case OX_INT64: ULOOP(int64_t, int64_t, SEXPR); break;				\
	case OX_UINT8: ULOOP(uint8_t, uint8_t, UEXPR); break;				\
	case OX_UINT16: ULOOP(uint16_t, uint16_t, UEXPR); break;			\
	case OX_UINT32: ULOOP(uint32_t, uint32_t, UEXPR); break;			\
	case OX_UINT64: ULOOP(uint64_t, uint64_t, UEXPR); break;			\
	default: return ox_kdtype(k, x_->dtype);					\
	}										\
	return 0;									\
}

UNARY_N(ox_op_abs, fabs((double)x), x < 0 ? 0 - x : x, x)
UNARY_N(ox_op_neg, -x, 0 - x, 0 - x)
UNARY_NX(ox_op_relu, x > 0 ? x : 0, x > 0 ? x : 0, x, U_RELU)
UNARY_N(ox_op_sign, x > 0 ? 1 : x < 0 ? -1 : x, x > 0 ? 1 : x < 0 ? -1 : 0, x > 0 ? 1 : 0)

int
ox_op_not(struct ox_kctx *k)
{
	const struct ox_tensor *x_;
	struct ox_tensor *o;
	int r;

	if ((r = un_setup(k, &x_, &o, 0)) <= 0)
		return r;
	if (x_->dtype != OX_BOOL)
		return ox_kdtype(k, x_->dtype);
	ULOOP(uint8_t, uint8_t, !x);
	return 0;
}

int
ox_op_isnan(struct ox_kctx *k)
{
	const struct ox_tensor *x_;
	struct ox_tensor *o;
	int r;

	if (ox_kin(k, 0) && half(ox_kin(k, 0)->dtype))
		return ox_khalf(k, ox_op_isnan);
	if ((r = un_setup(k, &x_, &o, OX_BOOL)) <= 0)
		return r;
	switch (x_->dtype) {
	case OX_FLOAT: ULOOP(float, uint8_t, isnan(x)); break;
	case OX_DOUBLE: ULOOP(double, uint8_t, isnan(x)); break;
	default: return ox_kdtype(k, x_->dtype);
	}
	return 0;
}

int
ox_op_isinf(struct ox_kctx *k)
{
	const struct ox_tensor *x_;
	struct ox_tensor *o;
	bool neg = ox_kattr_i(k, "detect_negative", 1), pos = ox_kattr_i(k, "detect_positive", 1);
	int r;

	if (ox_kin(k, 0) && half(ox_kin(k, 0)->dtype))
		return ox_khalf(k, ox_op_isinf);
	if ((r = un_setup(k, &x_, &o, OX_BOOL)) <= 0)
		return r;
	switch (x_->dtype) {
	case OX_FLOAT: ULOOP(float, uint8_t, isinf(x) && ((x > 0 && pos) || (x < 0 && neg))); break;
	case OX_DOUBLE: ULOOP(double, uint8_t, isinf(x) && ((x > 0 && pos) || (x < 0 && neg))); break;
	default: return ox_kdtype(k, x_->dtype);
	}
	return 0;
}

/* Clip: bounds are attributes before opset 11, optional inputs after. */
int
ox_op_clip(struct ox_kctx *k)
{
	const struct ox_tensor *x_, *lo_t = ox_kin(k, 1), *hi_t = ox_kin(k, 2);
	struct ox_tensor *o;
	int r;

	if (ox_kin(k, 0) && half(ox_kin(k, 0)->dtype))
		return ox_khalf(k, ox_op_clip);
	if ((r = un_setup(k, &x_, &o, 0)) <= 0)
		return r;
	if ((lo_t && lo_t->nelem != 1) || (hi_t && hi_t->nelem != 1))
		return ox_kerr(k, OX_EINVAL, "min and max must be scalars");
	if (ox_dtype_is_float(x_->dtype)) {
		double lo = -INFINITY, hi = INFINITY;

		if (k->opset < 11) {
			lo = ox_kattr_f(k, "min", -INFINITY);
			hi = ox_kattr_f(k, "max", INFINITY);
		}
		if (lo_t)
			lo = ox_get_f64(lo_t, 0);
		if (hi_t)
			hi = ox_get_f64(hi_t, 0);
		switch (x_->dtype) {
		case OX_FLOAT: {
			float flo = (float)lo, fhi = (float)hi;

			fclip(x_->data, o->data, x_->nelem, flo, fhi);
			break;
		}
		case OX_DOUBLE: ULOOP(double, double, x < lo ? lo : x > hi ? hi : x); break;
		default: return ox_kdtype(k, x_->dtype);
		}
		return 0;
	}
	if (!ox_dtype_is_int(x_->dtype))
		return ox_kdtype(k, x_->dtype);
	{
		int64_t lo = INT64_MIN, hi = INT64_MAX;
		bool u64 = x_->dtype == OX_UINT64;

		if (lo_t)
			lo = ox_get_i64(lo_t, 0);
		if (hi_t)
			hi = ox_get_i64(hi_t, 0);
		for (int64_t i = 0; i < x_->nelem; i++) {
			if (u64) {
				uint64_t v = ((const uint64_t *)x_->data)[i];

				if (lo_t && v < (uint64_t)lo)
					v = (uint64_t)lo;
				if (hi_t && v > (uint64_t)hi)
					v = (uint64_t)hi;
				((uint64_t *)o->data)[i] = v;
			} else {
				int64_t v = ox_get_i64(x_, i);

				v = v < lo ? lo : v > hi ? hi : v;
				ox_set_f64(o, i, (double)v);
				if (x_->dtype == OX_INT64)
					((int64_t *)o->data)[i] = v;
			}
		}
	}
	return 0;
}

/* Where: three-way broadcast, elements copied by size. */
int
ox_op_where(struct ox_kctx *k)
{
	const struct ox_tensor *ts[3];
	struct ox_tensor *o;
	struct ox_bcast bc;
	int64_t off[4];
	size_t es;

	for (int i = 0; i < 3; i++) {
		if (!ox_kneed(k, i))
			return OX_EINVAL;
		ts[i] = ox_kin(k, i);
	}
	if (ts[0]->dtype != OX_BOOL)
		return ox_kerr(k, OX_EINVAL, "condition must be bool, got %s", ox_dtype_name(ts[0]->dtype));
	if (ts[1]->dtype != ts[2]->dtype)
		return ox_kerr(k, OX_EINVAL, "X and Y dtypes differ: %s and %s",
			       ox_dtype_name(ts[1]->dtype), ox_dtype_name(ts[2]->dtype));
	if (ox_bcast_init(k, &bc, 3, ts) < 0)
		return OX_EINVAL;
	if (!(o = ox_kout(k, 0, ts[1]->dtype, bc.ndim, bc.dims)))
		return OX_ENOMEM;
	if (o->dtype == OX_STRING) {
		while (ox_bcast_next(&bc, off))
			for (int64_t j = 0; j < bc.inner; j++) {
				const uint8_t *c = ts[0]->data;
				const struct ox_tensor *src = c[off[1] + j * bc.istride[0]] ? ts[1] : ts[2];
				int64_t si = off[c[off[1] + j * bc.istride[0]] ? 2 : 3] +
					     j * bc.istride[c[off[1] + j * bc.istride[0]] ? 1 : 2];

				if (ox_xtensor_set_string(o, off[0] + j, src->strings[si].data, src->strings[si].len) < 0)
					return ox_kerr(k, OX_ENOMEM, "out of memory");
			}
		return 0;
	}
	if (ox_dtype_bits(o->dtype) % 8)
		return ox_kdtype(k, o->dtype);
	es = (size_t)ox_dtype_bits(o->dtype) / 8;
	while (ox_bcast_next(&bc, off)) {
		const uint8_t *c = (const uint8_t *)ts[0]->data + off[1];
		const char *x = (const char *)ts[1]->data + (size_t)off[2] * es;
		const char *y = (const char *)ts[2]->data + (size_t)off[3] * es;
		char *out = (char *)o->data + (size_t)off[0] * es;

		for (int64_t j = 0; j < bc.inner; j++) {
			const char *src = c[j * bc.istride[0]] ? x + (size_t)(j * bc.istride[1]) * es
							       : y + (size_t)(j * bc.istride[2]) * es;
			memcpy(out + (size_t)j * es, src, es);
		}
	}
	return 0;
}

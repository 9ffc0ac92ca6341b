/* ops/random.c: RandomUniform, RandomNormal, their *Like forms, Bernoulli and
 * Multinomial.
 *
 * Numbers come from splitmix64 seeded by the 'seed' attribute (0 when absent), so a
 * run is reproducible on every machine; they do not, and cannot, match numpy's
 * generator that the ONNX test data was drawn from.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

struct rng {
	uint64_t s;
};

static uint64_t
next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double
unit(struct rng *r)
{
	return (double)(next(r) >> 11) / 9007199254740992.0;
}

static double
normal(struct rng *r)
{
	double u = unit(r), v = unit(r);

	return sqrt(-2.0 * log(1.0 - u)) * cos(2 * M_PI * v);
}

static void
seeded(const struct ox_kctx *k, struct rng *r)
{
	float s = ox_kattr_f(k, "seed", 0);

	memcpy(&r->s, &s, sizeof s);
}

/* Shape from the attribute or from input 0 (the *Like forms); dtype likewise. */
static struct ox_tensor *
random_out(struct ox_kctx *k, bool like)
{
	const int64_t *shape;
	int64_t n;
	int dt;

	if (like) {
		const struct ox_tensor *x = ox_kin(k, 0);

		if (!ox_kneed(k, 0))
			return NULL;
		dt = (int)ox_kattr_i(k, "dtype", x->dtype);
		if (!ox_dtype_is_float(dt)) {
			ox_kdtype(k, dt);
			return NULL;
		}
		return ox_kout(k, 0, dt, x->ndim, x->dims);
	}
	dt = (int)ox_kattr_i(k, "dtype", OX_FLOAT);
	if ((n = ox_kattr_ints(k, "shape", &shape)) < 0 || n > OX_MAX_RANK) {
		ox_kerr(k, OX_EINVAL, "the shape attribute is required");
		return NULL;
	}
	if (!ox_dtype_is_float(dt)) {
		ox_kdtype(k, dt);
		return NULL;
	}
	return ox_kout(k, 0, dt, (int)n, shape);
}

static int
uniform(struct ox_kctx *k, bool like)
{
	double lo = ox_kattr_f(k, "low", 0), hi = ox_kattr_f(k, "high", 1);
	struct ox_tensor *o = random_out(k, like);
	struct rng r;

	if (!o)
		return OX_EINVAL;
	seeded(k, &r);
	for (int64_t i = 0; i < o->nelem; i++)
		ox_set_f64(o, i, lo + (hi - lo) * unit(&r));
	return 0;
}

static int
gauss(struct ox_kctx *k, bool like)
{
	double mean = ox_kattr_f(k, "mean", 0), scale = ox_kattr_f(k, "scale", 1);
	struct ox_tensor *o = random_out(k, like);
	struct rng r;

	if (!o)
		return OX_EINVAL;
	seeded(k, &r);
	for (int64_t i = 0; i < o->nelem; i++)
		ox_set_f64(o, i, mean + scale * normal(&r));
	return 0;
}

int ox_op_random_uniform(struct ox_kctx *k) { return uniform(k, false); }
int ox_op_random_uniform_like(struct ox_kctx *k) { return uniform(k, true); }
int ox_op_random_normal(struct ox_kctx *k) { return gauss(k, false); }
int ox_op_random_normal_like(struct ox_kctx *k) { return gauss(k, true); }

int
ox_op_bernoulli(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	struct ox_tensor *o;
	struct rng r;
	int dt;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype))
		return ox_kdtype(k, x->dtype);
	dt = (int)ox_kattr_i(k, "dtype", x->dtype);
	if (!ox_dtype_is_float(dt) && !ox_dtype_is_int(dt) && dt != OX_BOOL)
		return ox_kdtype(k, dt);
	if (!(o = ox_kout(k, 0, dt, x->ndim, x->dims)))
		return OX_ENOMEM;
	seeded(k, &r);
	for (int64_t i = 0; i < x->nelem; i++)
		ox_set_f64(o, i, unit(&r) < ox_get_f64(x, i) ? 1 : 0);
	return 0;
}

int
ox_op_multinomial(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	int64_t ns = ox_kattr_i(k, "sample_size", 1), dims[2], classes;
	int dt = (int)ox_kattr_i(k, "dtype", OX_INT32);
	struct ox_tensor *o;
	struct rng r;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype) || x->ndim != 2 || ns < 0 || (dt != OX_INT32 && dt != OX_INT64))
		return ox_kerr(k, OX_EINVAL, "input must be [batch, classes] floats; dtype int32 or int64");
	classes = x->dims[1];
	dims[0] = x->dims[0];
	dims[1] = ns;
	if (!(o = ox_kout(k, 0, dt, 2, dims)))
		return OX_ENOMEM;
	seeded(k, &r);
	for (int64_t b = 0; b < dims[0]; b++) {
		double total = 0;

		/* inputs are unnormalized log-probabilities */
		for (int64_t c = 0; c < classes; c++)
			total += exp(ox_get_f64(x, b * classes + c));
		for (int64_t s = 0; s < ns; s++) {
			double u = unit(&r) * total, acc = 0;
			int64_t c = 0;

			for (; c < classes - 1; c++) {
				acc += exp(ox_get_f64(x, b * classes + c));
				if (u < acc)
					break;
			}
			ox_set_f64(o, b * ns + s, (double)c);
		}
	}
	return 0;
}

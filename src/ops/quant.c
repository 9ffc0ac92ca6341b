/* ops/quant.c: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, ConvInteger,
 * MatMulInteger's sibling QLinearMatMul, and QLinearConv.
 *
 * The integer convolutions and products run through the float kernels on
 * zero-point-shifted integers held as floats (exact while every partial sum stays
 * below 2^24), then are rounded back; rounding to integers is half-to-even.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

static double
saturate(int dtype, double v)
{
	double lo = 0, hi = 0;

	switch (dtype) {
	case OX_UINT8: lo = 0; hi = 255; break;
	case OX_INT8: lo = -128; hi = 127; break;
	case OX_UINT16: lo = 0; hi = 65535; break;
	case OX_INT16: lo = -32768; hi = 32767; break;
	case OX_INT32: lo = -2147483648.0; hi = 2147483647.0; break;
	default: return v;
	}
	return v < lo ? lo : v > hi ? hi : v;
}

/* Which per-axis parameter applies to element i of x. */
static int64_t
param_index(const struct ox_tensor *x, const struct ox_tensor *p, int axis, int64_t i)
{
	int64_t inner = 1;

	if (p->nelem <= 1)
		return 0;
	for (int d = axis + 1; d < x->ndim; d++)
		inner *= x->dims[d];
	return (i / inner) % x->dims[axis];
}

static int
check_param(struct ox_kctx *k, const struct ox_tensor *x, const struct ox_tensor *p, int *axis)
{
	if (!p || p->nelem <= 1)
		return 0;
	if (!ox_kaxis(k, ox_kattr_i(k, "axis", 1), x->ndim, axis))
		return OX_EINVAL;
	if (p->nelem != x->dims[*axis])
		return ox_kerr(k, OX_EINVAL, "scale/zero point has %lld elements, axis %d has %lld",
			       (long long)p->nelem, *axis, (long long)x->dims[*axis]);
	return 0;
}

int
ox_op_quantize_linear(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *s = ox_kin(k, 1), *z = ox_kin(k, 2);
	int dt = z ? z->dtype : OX_UINT8, axis = 1;
	struct ox_tensor *o;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (!ox_dtype_is_float(x->dtype) && x->dtype != OX_INT32)
		return ox_kdtype(k, x->dtype);
	if (check_param(k, x, s, &axis) < 0 || check_param(k, x, z, &axis) < 0)
		return OX_EINVAL;
	if (dt != OX_UINT8 && dt != OX_INT8 && dt != OX_UINT16 && dt != OX_INT16)
		return ox_kdtype(k, dt);
	if (!(o = ox_kout(k, 0, dt, x->ndim, x->dims)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < x->nelem; i++) {
		int64_t p = param_index(x, s, axis, i);
		/* float inputs divide in float32, like the reference; ties round to even */
		double q = x->dtype == OX_DOUBLE ? ox_get_f64(x, i) / ox_get_f64(s, p)
						 : (double)((float)ox_get_f64(x, i) / (float)ox_get_f64(s, p));
		double v = nearbyint(q) + (z ? ox_get_f64(z, param_index(x, z, axis, i)) : 0);

		ox_set_f64(o, i, saturate(dt, v));
	}
	return 0;
}

int
ox_op_dequantize_linear(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0), *s = ox_kin(k, 1), *z = ox_kin(k, 2);
	struct ox_tensor *o;
	int axis = 1;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (!ox_dtype_is_int(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (check_param(k, x, s, &axis) < 0 || check_param(k, x, z, &axis) < 0)
		return OX_EINVAL;
	if (!(o = ox_kout(k, 0, s->dtype, x->ndim, x->dims)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < x->nelem; i++) {
		double zp = z ? ox_get_f64(z, param_index(x, z, axis, i)) : 0;

		ox_set_f64(o, i, (ox_get_f64(x, i) - zp) * ox_get_f64(s, param_index(x, s, axis, i)));
	}
	return 0;
}

int
ox_op_dynamic_quantize_linear(struct ox_kctx *k)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	double mn = 0, mx = 0, scale, zp;
	struct ox_tensor *y, *ys, *yz;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (x->dtype != OX_FLOAT)
		return ox_kdtype(k, x->dtype);
	for (int64_t i = 0; i < x->nelem; i++) {
		double v = ((const float *)x->data)[i];

		mn = v < mn ? v : mn;
		mx = v > mx ? v : mx;
	}
	/* float32 arithmetic throughout, as the reference does: the rounding of x/scale
	 * decides ties. */
	{
		float fs = ((float)mx - (float)mn) / 255.0f;

		scale = fs;
		zp = fs == 0 ? 0 : saturate(OX_UINT8, nearbyintf(0.0f - (float)mn / fs));
		if (!(y = ox_kout(k, 0, OX_UINT8, x->ndim, x->dims)) || !(ys = ox_kout(k, 1, OX_FLOAT, 0, NULL)) ||
		    !(yz = ox_kout(k, 2, OX_UINT8, 0, NULL)))
			return OX_ENOMEM;
		for (int64_t i = 0; i < x->nelem; i++)
			ox_set_f64(y, i, fs == 0 ? zp : saturate(OX_UINT8, nearbyintf(((const float *)x->data)[i] / fs) + zp));
	}
	ox_set_f64(ys, 0, scale);
	ox_set_f64(yz, 0, zp);
	return 0;
}

/* x - zp as floats, zp scalar or per index along axis 0 (weights' output channels). */
static struct ox_tensor *
shifted(struct ox_kctx *k, const struct ox_tensor *x, const struct ox_tensor *zp)
{
	struct ox_tensor *f = ox_xtensor_new(OX_FLOAT, x->ndim, x->dims);
	int64_t per = zp && zp->nelem > 1 && x->ndim ? x->nelem / x->dims[0] : 0;

	if (!f) {
		ox_kerr(k, OX_ENOMEM, "out of memory");
		return NULL;
	}
	for (int64_t i = 0; i < x->nelem; i++)
		((float *)f->data)[i] = (float)(ox_get_f64(x, i) - (zp ? ox_get_f64(zp, per ? i / per : 0) : 0));
	return f;
}

/* Run fn on the given float inputs with this node's attributes; output 0 moves to
 * *out (caller frees). */
static int
run_float(struct ox_kctx *k, ox_kernel_fn *fn, const struct ox_tensor **ins, int n, struct ox_tensor **out)
{
	struct ox_kctx sub = *k;
	struct ox_tensor *outs[1] = { NULL };
	int r;

	sub.in = ins;
	sub.n_in = n;
	sub.out = outs;
	sub.n_out = 1;
	r = fn(&sub);
	if (r < 0) {
		ox_xtensor_free(outs[0]);
		return r;
	}
	*out = outs[0];
	return 0;
}

static int
integer_op(struct ox_kctx *k, ox_kernel_fn *fn, const struct ox_tensor *a, const struct ox_tensor *az,
	   const struct ox_tensor *b, const struct ox_tensor *bz, struct ox_tensor **res)
{
	struct ox_tensor *fa = shifted(k, a, az), *fb = fa ? shifted(k, b, bz) : NULL;
	const struct ox_tensor *ins[2] = { fa, fb };
	int r;

	if (!fa || !fb) {
		ox_xtensor_free(fa);
		return OX_ENOMEM;
	}
	r = run_float(k, fn, ins, 2, res);
	ox_xtensor_free(fa);
	ox_xtensor_free(fb);
	return r;
}

int
ox_op_conv_integer(struct ox_kctx *k)
{
	struct ox_tensor *f, *o;
	int r;

	if (!ox_kneed(k, 0) || !ox_kneed(k, 1))
		return OX_EINVAL;
	if (ox_kin(k, 2) && ox_kin(k, 2)->nelem > 1)
		return ox_kerr(k, OX_EUNSUPPORTED, "per-channel x_zero_point");
	if ((r = integer_op(k, ox_op_conv, ox_kin(k, 0), ox_kin(k, 2), ox_kin(k, 1), ox_kin(k, 3), &f)) < 0)
		return r;
	if (!(o = ox_kout(k, 0, OX_INT32, f->ndim, f->dims))) {
		ox_xtensor_free(f);
		return OX_ENOMEM;
	}
	for (int64_t i = 0; i < f->nelem; i++)
		((int32_t *)o->data)[i] = (int32_t)nearbyint(((const float *)f->data)[i]);
	ox_xtensor_free(f);
	return 0;
}

/* Requantize acc (integer-valued floats) with real multiplier per output channel. */
static int
requantize(struct ox_kctx *k, struct ox_tensor *acc, const struct ox_tensor *as, const struct ox_tensor *bs,
	   const struct ox_tensor *ys, const struct ox_tensor *yz, int chan_axis, const struct ox_tensor *bias)
{
	struct ox_tensor *o;
	int dt = yz ? yz->dtype : OX_UINT8;
	int64_t inner = 1;

	for (int d = chan_axis + 1; d < acc->ndim; d++)
		inner *= acc->dims[d];
	if (!(o = ox_kout(k, 0, dt, acc->ndim, acc->dims)))
		return OX_ENOMEM;
	for (int64_t i = 0; i < acc->nelem; i++) {
		int64_t c = acc->ndim > chan_axis ? (i / inner) % acc->dims[chan_axis] : 0;
		double v = ((const float *)acc->data)[i];

		if (bias)
			v += ox_get_f64(bias, c);
		v *= ox_get_f64(as, 0) * ox_get_f64(bs, bs->nelem > 1 ? c : 0) / ox_get_f64(ys, 0);
		ox_set_f64(o, i, saturate(dt, nearbyint(v) + (yz ? ox_get_f64(yz, 0) : 0)));
	}
	return 0;
}

int
ox_op_qlinear_matmul(struct ox_kctx *k)
{
	struct ox_tensor *f;
	int r;

	for (int i = 0; i < 8; i++)
		if (i != 2 && i != 5 && i != 7 && !ox_kneed(k, i))
			return OX_EINVAL;
	if (ox_kin(k, 1)->nelem != 1 || ox_kin(k, 4)->nelem != 1 || ox_kin(k, 6)->nelem != 1)
		return ox_kerr(k, OX_EUNSUPPORTED, "per-axis scales");
	if ((r = integer_op(k, ox_op_matmul, ox_kin(k, 0), ox_kin(k, 2), ox_kin(k, 3), ox_kin(k, 5), &f)) < 0)
		return r;
	r = requantize(k, f, ox_kin(k, 1), ox_kin(k, 4), ox_kin(k, 6), ox_kin(k, 7), f->ndim - 1, NULL);
	ox_xtensor_free(f);
	return r;
}

int
ox_op_qlinear_conv(struct ox_kctx *k)
{
	struct ox_tensor *f;
	int r;

	for (int i = 0; i < 8; i++)
		if (i != 2 && i != 5 && i != 7 && !ox_kneed(k, i))
			return OX_EINVAL;
	if (ox_kin(k, 1)->nelem != 1 || ox_kin(k, 6)->nelem != 1 || (ox_kin(k, 2) && ox_kin(k, 2)->nelem > 1))
		return ox_kerr(k, OX_EUNSUPPORTED, "per-axis input or output scales");
	if ((r = integer_op(k, ox_op_conv, ox_kin(k, 0), ox_kin(k, 2), ox_kin(k, 3), ox_kin(k, 5), &f)) < 0)
		return r;
	r = requantize(k, f, ox_kin(k, 1), ox_kin(k, 4), ox_kin(k, 6), ox_kin(k, 7), 1, ox_kin(k, 8));
	ox_xtensor_free(f);
	return r;
}

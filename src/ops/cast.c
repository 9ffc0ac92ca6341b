/* ops/cast.c: Cast and CastLike between every numeric type, bool and string.
 *
 * Numbers pass through long double, whose 64-bit mantissa holds every int64 and
 * uint64 exactly. Out-of-range and NaN conversions to integers saturate (NaN to 0)
 * instead of invoking undefined behaviour.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

static long double
get(const struct ox_tensor *t, int64_t i)
{
	const void *p = t->data;

	switch (t->dtype) {
	case OX_INT64: return (long double)((const int64_t *)p)[i];
	case OX_UINT64: return (long double)((const uint64_t *)p)[i];
	default: return ox_get_f64(t, i);
	}
}

static long double
clampl(long double v, long double lo, long double hi)
{
	if (isnan(v))
		return 0;
	return v < lo ? lo : v > hi ? hi : v;
}

static void
put(struct ox_tensor *t, int64_t i, long double v)
{
	void *p = t->data;

	switch (t->dtype) {
	case OX_FLOAT: ((float *)p)[i] = (float)v; break;
	case OX_DOUBLE: ((double *)p)[i] = (double)v; break;
	case OX_FLOAT16: ((uint16_t *)p)[i] = ox_f32_to_f16((float)v); break;
	case OX_BFLOAT16: ((uint16_t *)p)[i] = ox_f32_to_bf16((float)v); break;
	case OX_BOOL: ((uint8_t *)p)[i] = v != 0; break;
	/* Narrow integers wrap like a C conversion through int64, as numpy does. */
	case OX_INT8: ((int8_t *)p)[i] = (int8_t)(int64_t)clampl(v, INT64_MIN, INT64_MAX); break;
	case OX_INT16: ((int16_t *)p)[i] = (int16_t)(int64_t)clampl(v, INT64_MIN, INT64_MAX); break;
	case OX_INT32: ((int32_t *)p)[i] = (int32_t)(int64_t)clampl(v, INT64_MIN, INT64_MAX); break;
	case OX_INT64: ((int64_t *)p)[i] = (int64_t)clampl(v, INT64_MIN, 9223372036854775807.0L); break;
	case OX_UINT8: ((uint8_t *)p)[i] = (uint8_t)(int64_t)clampl(v, INT64_MIN, INT64_MAX); break;
	case OX_UINT16: ((uint16_t *)p)[i] = (uint16_t)(int64_t)clampl(v, INT64_MIN, INT64_MAX); break;
	case OX_UINT32: ((uint32_t *)p)[i] = (uint32_t)(int64_t)clampl(v, INT64_MIN, INT64_MAX); break;
	case OX_UINT64:
		((uint64_t *)p)[i] = v < 0 ? (uint64_t)(int64_t)clampl(v, INT64_MIN, 0)
					   : (uint64_t)clampl(v, 0, 18446744073709551615.0L);
		break;
	default: break;
	}
}

static bool
castable(int dtype)
{
	return dtype == OX_STRING || dtype == OX_BOOL || ox_dtype_is_float(dtype) || ox_dtype_is_int(dtype);
}

/* The shortest text that reads back as the same float, as Python prints it. */
static int
format_num(char *buf, size_t len, const struct ox_tensor *t, int64_t i)
{
	if (ox_dtype_is_int(t->dtype) || t->dtype == OX_BOOL) {
		if (t->dtype == OX_UINT64)
			return snprintf(buf, len, "%llu", (unsigned long long)((const uint64_t *)t->data)[i]);
		return snprintf(buf, len, "%lld", (long long)ox_get_i64(t, i));
	}
	{
		double v = ox_get_f64(t, i);
		int n = 0;

		if (isnan(v))
			return snprintf(buf, len, "NaN");
		if (isinf(v))
			return snprintf(buf, len, v > 0 ? "INF" : "-INF");
		for (int p = 1; p <= 17; p++) {
			n = snprintf(buf, len, "%.*g", p, v);
			if (t->dtype == OX_DOUBLE ? strtod(buf, NULL) == v : (float)strtod(buf, NULL) == (float)v)
				break;
		}
		return n;
	}
}

int
ox_cast_into(struct ox_kctx *k, const struct ox_tensor *x, struct ox_tensor *o)
{
	if (!castable(x->dtype))
		return ox_kdtype(k, x->dtype);
	if (!castable(o->dtype))
		return ox_kdtype(k, o->dtype);
	if (x->dtype == o->dtype) {
		if (x->dtype == OX_STRING) {
			for (int64_t i = 0; i < x->nelem; i++)
				if (ox_xtensor_set_string(o, i, x->strings[i].data, x->strings[i].len) < 0)
					return ox_kerr(k, OX_ENOMEM, "out of memory");
		} else if (o->nbytes) {
			memcpy(o->data, x->data, o->nbytes);
		}
		return 0;
	}
	if (o->dtype == OX_STRING) {
		char buf[64];

		for (int64_t i = 0; i < x->nelem; i++) {
			int n = format_num(buf, sizeof buf, x, i);

			if (ox_xtensor_set_string(o, i, buf, (size_t)n) < 0)
				return ox_kerr(k, OX_ENOMEM, "out of memory");
		}
		return 0;
	}
	if (x->dtype == OX_STRING) {
		char buf[128];

		for (int64_t i = 0; i < x->nelem; i++) {
			size_t n = x->strings[i].len < sizeof buf - 1 ? x->strings[i].len : sizeof buf - 1;

			memcpy(buf, x->strings[i].data, n);
			buf[n] = 0;
			if (ox_dtype_is_int(o->dtype))
				put(o, i, (long double)strtoll(buf, NULL, 10));
			else
				put(o, i, strtod(buf, NULL));
		}
		return 0;
	}
	if (x->dtype == OX_FLOAT && o->dtype == OX_FLOAT16) {
		for (int64_t i = 0; i < x->nelem; i++)
			((uint16_t *)o->data)[i] = ox_f32_to_f16(((const float *)x->data)[i]);
		return 0;
	}
	if (x->dtype == OX_FLOAT && o->dtype == OX_BFLOAT16) {
		for (int64_t i = 0; i < x->nelem; i++)
			((uint16_t *)o->data)[i] = ox_f32_to_bf16(((const float *)x->data)[i]);
		return 0;
	}
	for (int64_t i = 0; i < x->nelem; i++)
		put(o, i, get(x, i));
	return 0;
}

static int
cast_to(struct ox_kctx *k, int to)
{
	const struct ox_tensor *x = ox_kin(k, 0);
	struct ox_tensor *o;

	if (!ox_kneed(k, 0))
		return OX_EINVAL;
	if (!(o = ox_kout(k, 0, to, x->ndim, x->dims)))
		return OX_ENOMEM;
	return ox_cast_into(k, x, o);
}

int
ox_op_cast(struct ox_kctx *k)
{
	int64_t to = ox_kattr_i(k, "to", -1);
	char buf[32];

	/* Opset 1 spelled the type as a string. */
	if (to < 0) {
		const char *s = ox_kattr_s(k, "to", NULL, buf, sizeof buf);

		for (char *c = buf; s && *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		to = s ? ox_dtype_from_name(buf) : -1;
	}
	if (to <= 0 || to >= OX_DTYPE_COUNT)
		return ox_kerr(k, OX_EINVAL, "bad 'to' attribute");
	return cast_to(k, (int)to);
}

int
ox_op_cast_like(struct ox_kctx *k)
{
	if (!ox_kneed(k, 1))
		return OX_EINVAL;
	return cast_to(k, ox_kin(k, 1)->dtype);
}

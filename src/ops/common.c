/* ops/common.c: helpers every kernel family uses. See kernel.h. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/kernel.h"

static struct ox_tensor *
kout(struct ox_kctx *k, int i, int dtype, int ndim, const int64_t *dims, bool zero)
{
	struct ox_tensor *t;

	if (i < 0 || i >= k->n_out) {
		ox_kerr(k, OX_EINVAL, "the node has no output %d", i);
		return NULL;
	}
	if (ndim > OX_MAX_RANK) {
		ox_kerr(k, OX_ELIMIT, "output rank %d is over the limit %d", ndim, OX_MAX_RANK);
		return NULL;
	}
	if (ox_shape_numel(ndim, dims) < 0) {
		ox_kerr(k, OX_ELIMIT, "output %d has a negative dimension or too many elements", i);
		return NULL;
	}
	t = zero ? ox_xtensor_new(dtype, ndim, dims) : ox_xtensor_new_raw(dtype, ndim, dims);
	if (!t) {
		ox_kerr(k, OX_ENOMEM, "out of memory for output %d (%s)", i, ox_dtype_name(dtype));
		return NULL;
	}
	ox_xtensor_free(k->out[i]);
	k->out[i] = t;
	return t;
}

struct ox_tensor *
ox_kout(struct ox_kctx *k, int i, int dtype, int ndim, const int64_t *dims)
{
	return kout(k, i, dtype, ndim, dims, true);
}

struct ox_tensor *
ox_kout_raw(struct ox_kctx *k, int i, int dtype, int ndim, const int64_t *dims)
{
	return kout(k, i, dtype, ndim, dims, false);
}

int
ox_kerr(struct ox_kctx *k, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (code == OX_ENOMEM && ox_exec_memory_limit_hit()) {
		char msg[256];

		vsnprintf(msg, sizeof msg, fmt, ap);
		ox_diag_error(k->d, code, "%s: over the memory limit of %zu bytes (--memory-limit)",
			      msg, ox_exec_memory_limit());
	} else {
		ox_diag_verror(k->d, code, fmt, ap);
	}
	va_end(ap);
	return code;
}

int
ox_kdtype(struct ox_kctx *k, int dtype)
{
	return ox_kerr(k, OX_EUNSUPPORTED, "dtype %s is not supported", ox_dtype_name(dtype));
}

bool
ox_kneed(struct ox_kctx *k, int i)
{
	if (ox_kin(k, i))
		return true;
	ox_kerr(k, OX_EINVAL, "input %d is required", i);
	return false;
}

int64_t
ox_kattr_i(const struct ox_kctx *k, const char *name, int64_t dflt)
{
	return ox_node_attr_int(k->node, name, dflt);
}

float
ox_kattr_f(const struct ox_kctx *k, const char *name, float dflt)
{
	return ox_node_attr_float(k->node, name, dflt);
}

const char *
ox_kattr_s(const struct ox_kctx *k, const char *name, const char *dflt, char *buf, size_t len)
{
	const struct ox_attr *a = ox_node_attr(k->node, name);
	size_t n;

	if (!a || !a->has_s)
		return dflt;
	n = a->s.len < len - 1 ? a->s.len : len - 1;
	memcpy(buf, a->s.data, n);
	buf[n] = 0;
	return buf;
}

int64_t
ox_kattr_ints(const struct ox_kctx *k, const char *name, const int64_t **out)
{
	const struct ox_attr *a = ox_node_attr(k->node, name);

	*out = NULL;
	if (!a || (a->has_type && a->type != OX_ATTR_INTS))
		return -1;
	*out = a->ints;
	return (int64_t)a->n_ints;
}

int64_t
ox_kattr_floats(const struct ox_kctx *k, const char *name, const float **out)
{
	const struct ox_attr *a = ox_node_attr(k->node, name);

	*out = NULL;
	if (!a || (a->has_type && a->type != OX_ATTR_FLOATS))
		return -1;
	*out = a->floats;
	return (int64_t)a->n_floats;
}

/* --- half precision --- */

float
ox_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
	float f;

	if (exp == 0) {
		/* zero or subnormal: value = man * 2^-24 */
		f = (float)man * 0x1p-24f;
		return sign ? -f : f;
	}
	if (exp == 31)
		u = sign | 0x7f800000u | (man << 13);
	else
		u = sign | ((exp + 112) << 23) | (man << 13);
	memcpy(&f, &u, sizeof f);
	return f;
}

uint16_t
ox_f32_to_f16(float f)
{
	uint32_t u, sign, man;
	int exp;

	memcpy(&u, &f, sizeof u);
	sign = (u >> 16) & 0x8000;
	exp = (int)((u >> 23) & 0xff);
	man = u & 0x7fffff;
	if (exp == 0xff)
		return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
	exp = exp - 127 + 15;
	if (exp >= 31)
		return (uint16_t)(sign | 0x7c00);
	if (exp <= 0) {
		uint32_t m, half, rem, r;
		int shift;

		if (exp < -10)
			return (uint16_t)sign;
		m = man | 0x800000;
		shift = 14 - exp;
		r = m >> shift;
		rem = m & ((1u << shift) - 1);
		half = 1u << (shift - 1);
		if (rem > half || (rem == half && (r & 1)))
			r++;
		return (uint16_t)(sign | r);
	}
	{
		uint32_t r = ((uint32_t)exp << 10) | (man >> 13), rem = man & 0x1fff;

		if (rem > 0x1000 || (rem == 0x1000 && (r & 1)))
			r++; /* may carry into the exponent, which is right */
		return (uint16_t)(sign | r);
	}
}

float
ox_bf16_to_f32(uint16_t h)
{
	uint32_t u = (uint32_t)h << 16;
	float f;

	memcpy(&f, &u, sizeof f);
	return f;
}

uint16_t
ox_f32_to_bf16(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof u);
	if ((u & 0x7fffffff) > 0x7f800000)
		return (uint16_t)((u >> 16) | 0x40);
	u += 0x7fff + ((u >> 16) & 1);
	return (uint16_t)(u >> 16);
}

/* --- element access --- */

bool
ox_dtype_is_float(int dtype)
{
	return dtype == OX_FLOAT || dtype == OX_DOUBLE || dtype == OX_FLOAT16 || dtype == OX_BFLOAT16;
}

bool
ox_dtype_is_int(int dtype)
{
	switch (dtype) {
	case OX_INT8: case OX_INT16: case OX_INT32: case OX_INT64:
	case OX_UINT8: case OX_UINT16: case OX_UINT32: case OX_UINT64:
		return true;
	default:
		return false;
	}
}

bool
ox_dtype_is_signed(int dtype)
{
	switch (dtype) {
	case OX_INT8: case OX_INT16: case OX_INT32: case OX_INT64:
	case OX_FLOAT: case OX_DOUBLE: case OX_FLOAT16: case OX_BFLOAT16:
		return true;
	default:
		return false;
	}
}

double
ox_get_f64(const struct ox_tensor *t, int64_t i)
{
	const void *p = t->data;

	switch (t->dtype) {
	case OX_FLOAT: return ((const float *)p)[i];
	case OX_DOUBLE: return ((const double *)p)[i];
	case OX_FLOAT16: return ox_f16_to_f32(((const uint16_t *)p)[i]);
	case OX_BFLOAT16: return ox_bf16_to_f32(((const uint16_t *)p)[i]);
	case OX_INT8: return ((const int8_t *)p)[i];
	case OX_INT16: return ((const int16_t *)p)[i];
	case OX_INT32: return ((const int32_t *)p)[i];
	case OX_INT64: return (double)((const int64_t *)p)[i];
	case OX_UINT8: case OX_BOOL: return ((const uint8_t *)p)[i];
	case OX_UINT16: return ((const uint16_t *)p)[i];
	case OX_UINT32: return ((const uint32_t *)p)[i];
	case OX_UINT64: return (double)((const uint64_t *)p)[i];
	default: return 0;
	}
}

int64_t
ox_get_i64(const struct ox_tensor *t, int64_t i)
{
	const void *p = t->data;

	switch (t->dtype) {
	case OX_INT8: return ((const int8_t *)p)[i];
	case OX_INT16: return ((const int16_t *)p)[i];
	case OX_INT32: return ((const int32_t *)p)[i];
	case OX_INT64: return ((const int64_t *)p)[i];
	case OX_UINT8: case OX_BOOL: return ((const uint8_t *)p)[i];
	case OX_UINT16: return ((const uint16_t *)p)[i];
	case OX_UINT32: return ((const uint32_t *)p)[i];
	case OX_UINT64: return (int64_t)((const uint64_t *)p)[i];
	default: {
		double v = ox_get_f64(t, i);

		if (isnan(v))
			return 0;
		if (v >= 9.2e18)
			return INT64_MAX;
		if (v <= -9.2e18)
			return INT64_MIN;
		return (int64_t)v;
	}
	}
}

void
ox_set_f64(struct ox_tensor *t, int64_t i, double v)
{
	void *p = t->data;

	switch (t->dtype) {
	case OX_FLOAT: ((float *)p)[i] = (float)v; break;
	case OX_DOUBLE: ((double *)p)[i] = v; break;
	case OX_FLOAT16: ((uint16_t *)p)[i] = ox_f32_to_f16((float)v); break;
	case OX_BFLOAT16: ((uint16_t *)p)[i] = ox_f32_to_bf16((float)v); break;
	case OX_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
	case OX_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
	case OX_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
	case OX_INT64: ((int64_t *)p)[i] = (int64_t)v; break;
	case OX_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
	case OX_BOOL: ((uint8_t *)p)[i] = v != 0; break;
	case OX_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
	case OX_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
	case OX_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
	default: break;
	}
}

int64_t
ox_kints(struct ox_kctx *k, const struct ox_tensor *t, const char *what, int64_t **out)
{
	int64_t *v;

	*out = NULL;
	if (t->dtype != OX_INT64 && t->dtype != OX_INT32)
		return ox_kerr(k, OX_EINVAL, "%s must be int64 or int32, got %s", what, ox_dtype_name(t->dtype));
	if (t->ndim > 1)
		return ox_kerr(k, OX_EINVAL, "%s must be 1-D, got rank %d", what, t->ndim);
	v = malloc(((size_t)t->nelem + 1) * sizeof *v);
	if (!v)
		return ox_kerr(k, OX_ENOMEM, "out of memory");
	for (int64_t i = 0; i < t->nelem; i++)
		v[i] = ox_get_i64(t, i);
	*out = v;
	return t->nelem;
}

bool
ox_kaxis(struct ox_kctx *k, int64_t axis, int rank, int *out)
{
	if (axis < -(int64_t)rank || axis >= (rank ? rank : 1)) {
		ox_kerr(k, OX_EINVAL, "axis %lld is out of range for rank %d", (long long)axis, rank);
		return false;
	}
	*out = (int)(axis < 0 ? axis + rank : axis);
	return true;
}

/* --- broadcasting --- */

int
ox_bcast_init(struct ox_kctx *k, struct ox_bcast *b, int n, const struct ox_tensor *const *ts)
{
	int nd = 0;

	memset(b, 0, offsetof(struct ox_bcast, cstr));
	b->n = n;
	for (int j = 0; j < n; j++)
		if (ts[j]->ndim > nd)
			nd = ts[j]->ndim;
	b->ndim = nd;
	for (int i = 0; i < nd; i++) {
		int64_t d = 1;

		for (int j = 0; j < n; j++) {
			int off = nd - ts[j]->ndim;
			int64_t e = i < off ? 1 : ts[j]->dims[i - off];

			if (e == d || e == 1)
				continue;
			if (d != 1)
				return ox_kerr(k, OX_EINVAL, "shapes do not broadcast: dimension %d is %lld and %lld",
					       i, (long long)d, (long long)e);
			d = e;
		}
		b->dims[i] = d;
	}
	b->nelem = ox_shape_numel(nd, b->dims);
	if (b->nelem < 0)
		return ox_kerr(k, OX_ELIMIT, "broadcast result is too large");
	/* Per-input element strides in the output's index space (0 where broadcast). */
	{
		int64_t str[OX_BCAST_MAX][OX_MAX_RANK];

		for (int j = 0; j < n; j++) {
			int off = nd - ts[j]->ndim;
			int64_t s = 1;

			for (int i = nd - 1; i >= 0; i--) {
				int64_t e = i < off ? 1 : ts[j]->dims[i - off];

				str[j][i] = e == 1 ? 0 : s;
				s *= e;
			}
		}
		/* Coalesce from the innermost dim outwards: dims merge when every input
		 * either runs contiguously across both or broadcasts both. Size-1 output
		 * dims vanish. */
		b->cdim = 0;
		for (int i = nd - 1; i >= 0; i--) {
			int c = b->cdim;
			bool merge = c > 0;

			if (b->dims[i] == 1)
				continue;
			for (int j = 0; merge && j < n; j++) {
				int64_t inner = b->cstr[j][c - 1], w = b->cdims[c - 1];

				if (!((inner == 0 && str[j][i] == 0) ||
				      (inner != 0 && str[j][i] == inner * w)))
					merge = false;
			}
			if (merge) {
				b->cdims[c - 1] *= b->dims[i];
				continue;
			}
			b->cdims[c] = b->dims[i];
			for (int j = 0; j < n; j++)
				b->cstr[j][c] = str[j][i];
			b->cdim++;
		}
	}
	/* cdims are innermost-first. */
	if (b->cdim == 0) {
		b->inner = 1;
		for (int j = 0; j < n; j++)
			b->istride[j] = 0;
	} else {
		b->inner = b->cdims[0];
		for (int j = 0; j < n; j++)
			b->istride[j] = b->cstr[j][0] ? 1 : 0;
	}
	b->rows = b->inner ? b->nelem / b->inner : 0;
	b->row = 0;
	memset(b->idx, 0, sizeof b->idx);
	memset(b->pos, 0, sizeof b->pos);
	return 0;
}

bool
ox_bcast_next(struct ox_bcast *b, int64_t *off)
{
	if (b->row >= b->rows)
		return false;
	off[0] = b->row * b->inner;
	for (int j = 0; j < b->n; j++)
		off[j + 1] = b->pos[j];
	b->row++;
	/* advance the odometer over dims 1.. (innermost-first order) */
	for (int d = 1; d < b->cdim; d++) {
		if (++b->idx[d] < b->cdims[d]) {
			for (int j = 0; j < b->n; j++)
				b->pos[j] += b->cstr[j][d];
			break;
		}
		b->idx[d] = 0;
		for (int j = 0; j < b->n; j++)
			b->pos[j] -= b->cstr[j][d] * (b->cdims[d] - 1);
	}
	return true;
}

/* --- half precision through float --- */

static bool
is_half(int dtype)
{
	return dtype == OX_FLOAT16 || dtype == OX_BFLOAT16;
}

struct ox_tensor *
ox_kconvert(struct ox_kctx *k, const struct ox_tensor *t, int dtype)
{
	struct ox_tensor *o = ox_xtensor_new(dtype, t->ndim, t->dims);

	if (!o) {
		ox_kerr(k, OX_ENOMEM, "out of memory");
		return NULL;
	}
	if (dtype == OX_FLOAT && t->dtype == OX_FLOAT16) {
		const uint16_t *s = t->data;
		float *d = o->data;

		for (int64_t i = 0; i < t->nelem; i++)
			d[i] = ox_f16_to_f32(s[i]);
	} else if (dtype == OX_FLOAT16 && t->dtype == OX_FLOAT) {
		const float *s = t->data;
		uint16_t *d = o->data;

		for (int64_t i = 0; i < t->nelem; i++)
			d[i] = ox_f32_to_f16(s[i]);
	} else {
		for (int64_t i = 0; i < t->nelem; i++)
			ox_set_f64(o, i, ox_get_f64(t, i));
	}
	return o;
}

int
ox_khalf(struct ox_kctx *k, ox_kernel_fn *fn)
{
	const struct ox_tensor *ins_small[8], **ins = ins_small;
	struct ox_tensor *tmp_small[8], **tmp = tmp_small;
	const struct ox_tensor **saved = k->in;
	int half = OX_UNDEFINED, r = 0;

	if (k->n_in > 8) {
		ins = calloc((size_t)k->n_in, sizeof *ins);
		tmp = calloc((size_t)k->n_in, sizeof *tmp);
		if (!ins || !tmp) {
			free(ins);
			free(tmp);
			return ox_kerr(k, OX_ENOMEM, "out of memory");
		}
	}
	for (int i = 0; i < k->n_in; i++) {
		tmp[i] = NULL;
		ins[i] = k->in[i];
		if (!ins[i] || !is_half(ins[i]->dtype))
			continue;
		if (half == OX_UNDEFINED)
			half = ins[i]->dtype;
		if (!(tmp[i] = ox_kconvert(k, ins[i], OX_FLOAT))) {
			r = OX_ENOMEM;
			goto out;
		}
		ins[i] = tmp[i];
	}
	k->in = ins;
	r = fn(k);
	k->in = saved;
	for (int i = 0; r >= 0 && half && i < k->n_out; i++) {
		struct ox_tensor *o;

		if (!k->out[i] || k->out[i]->dtype != OX_FLOAT)
			continue;
		if (!(o = ox_kconvert(k, k->out[i], half))) {
			r = OX_ENOMEM;
			break;
		}
		ox_xtensor_free(k->out[i]);
		k->out[i] = o;
	}
out:
	for (int i = 0; i < k->n_in; i++)
		ox_xtensor_free(tmp[i]);
	if (ins != ins_small) {
		free(ins);
		free(tmp);
	}
	return r;
}

/* tensor.c: element types and tensors. See tensor.h. */
#include "config.h"

#include "tensor.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"

static const struct {
	const char *name;
	int bits;
} dtypes[OX_DTYPE_COUNT] = {
	[OX_UNDEFINED] = { "undefined", 0 },
	[OX_FLOAT] = { "float", 32 },
	[OX_UINT8] = { "uint8", 8 },
	[OX_INT8] = { "int8", 8 },
	[OX_UINT16] = { "uint16", 16 },
	[OX_INT16] = { "int16", 16 },
	[OX_INT32] = { "int32", 32 },
	[OX_INT64] = { "int64", 64 },
	[OX_STRING] = { "string", 0 },
	[OX_BOOL] = { "bool", 8 },
	[OX_FLOAT16] = { "float16", 16 },
	[OX_DOUBLE] = { "double", 64 },
	[OX_UINT32] = { "uint32", 32 },
	[OX_UINT64] = { "uint64", 64 },
	[OX_COMPLEX64] = { "complex64", 64 },
	[OX_COMPLEX128] = { "complex128", 128 },
	[OX_BFLOAT16] = { "bfloat16", 16 },
	[OX_FLOAT8E4M3FN] = { "float8e4m3fn", 8 },
	[OX_FLOAT8E4M3FNUZ] = { "float8e4m3fnuz", 8 },
	[OX_FLOAT8E5M2] = { "float8e5m2", 8 },
	[OX_FLOAT8E5M2FNUZ] = { "float8e5m2fnuz", 8 },
	[OX_UINT4] = { "uint4", 4 },
	[OX_INT4] = { "int4", 4 },
	[OX_FLOAT4E2M1] = { "float4e2m1", 4 },
	[OX_FLOAT8E8M0] = { "float8e8m0", 8 },
	[OX_UINT2] = { "uint2", 2 },
	[OX_INT2] = { "int2", 2 },
};

int
ox_dtype_bits(int dtype)
{
	return dtype > 0 && dtype < OX_DTYPE_COUNT ? dtypes[dtype].bits : 0;
}

const char *
ox_dtype_name(int dtype)
{
	static _Thread_local char buf[24];

	if (dtype >= 0 && dtype < OX_DTYPE_COUNT)
		return dtypes[dtype].name;
	snprintf(buf, sizeof buf, "dtype(%d)", dtype);
	return buf;
}

int
ox_dtype_from_name(const char *name)
{
	for (int i = 0; i < OX_DTYPE_COUNT; i++)
		if (strcmp(dtypes[i].name, name) == 0)
			return i;
	return -1;
}

bool
ox_dtype_nbytes(int dtype, int64_t n, size_t *out)
{
	int bits = ox_dtype_bits(dtype);
	uint64_t b;

	if (bits == 0 || n < 0 || (uint64_t)n > UINT64_MAX / (uint64_t)bits)
		return false;
	b = ((uint64_t)n * (uint64_t)bits + 7) / 8;
	if (b > SIZE_MAX)
		return false;
	*out = (size_t)b;
	return true;
}

int64_t
ox_shape_numel(int ndim, const int64_t *dims)
{
	int64_t n = 1;

	for (int i = 0; i < ndim; i++) {
		if (dims[i] < 0)
			return -1;
		if (dims[i] && n > INT64_MAX / dims[i])
			return -1;
		n *= dims[i];
	}
	return n;
}

struct ox_tensor *
ox_tensor_new(struct ox_arena *a, int dtype, int ndim, const int64_t *dims)
{
	struct ox_tensor *t;
	int64_t n = ox_shape_numel(ndim, dims);

	if (n < 0 || ndim < 0)
		return NULL;
	t = ox_arena_alloc(a, sizeof *t);
	if (!t)
		return NULL;
	t->dtype = dtype;
	t->has_dtype = true;
	t->ndim = ndim;
	t->dims = ox_arena_calloc(a, (size_t)ndim + 1, sizeof *t->dims);
	if (!t->dims)
		return NULL;
	if (ndim)
		memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
	t->nelem = n;
	/* Strings have no raw form in ONNX: they go to string_data. */
	t->store = dtype == OX_STRING ? OX_STORE_FIELD : OX_STORE_RAW;
	if (dtype == OX_STRING) {
		t->strings = ox_arena_calloc(a, (size_t)n + 1, sizeof *t->strings);
		return t->strings ? t : NULL;
	}
	if (!ox_dtype_nbytes(dtype, n, &t->nbytes))
		return NULL;
	t->data = ox_arena_alloc(a, t->nbytes);
	return t->data ? t : NULL;
}

/* --- types as text --- */

static size_t
put(char *buf, size_t len, size_t at, const char *s)
{
	size_t n = strlen(s);

	if (at < len) {
		size_t room = len - at - 1;

		memcpy(buf + at, s, n < room ? n : room);
		buf[at + (n < room ? n : room)] = '\0';
	}
	return at + n;
}

static size_t
type_text(const struct ox_type *t, char *buf, size_t len, size_t at, int depth)
{
	char tmp[64];

	if (!t || depth > 8)
		return put(buf, len, at, "?");
	switch (t->kind) {
	case OX_TYPE_TENSOR:
	case OX_TYPE_SPARSE:
		if (t->kind == OX_TYPE_SPARSE)
			at = put(buf, len, at, "sparse ");
		at = put(buf, len, at, t->has_elem ? ox_dtype_name(t->elem) : "?");
		if (t->rank < 0)
			return put(buf, len, at, "[?]");
		at = put(buf, len, at, "[");
		for (int i = 0; i < t->rank; i++) {
			const struct ox_dim *d = &t->dims[i];

			if (i)
				at = put(buf, len, at, ",");
			if (d->kind == OX_DIM_VALUE) {
				snprintf(tmp, sizeof tmp, "%lld", (long long)d->value);
				at = put(buf, len, at, tmp);
			} else {
				at = put(buf, len, at, d->kind == OX_DIM_PARAM && d->param && *d->param ? d->param : "?");
			}
		}
		return put(buf, len, at, "]");
	case OX_TYPE_SEQUENCE:
	case OX_TYPE_OPTIONAL:
		at = put(buf, len, at, t->kind == OX_TYPE_SEQUENCE ? "seq(" : "optional(");
		at = type_text(t->inner, buf, len, at, depth + 1);
		return put(buf, len, at, ")");
	case OX_TYPE_MAP:
		at = put(buf, len, at, "map(");
		at = put(buf, len, at, ox_dtype_name(t->elem));
		at = put(buf, len, at, ",");
		at = type_text(t->inner, buf, len, at, depth + 1);
		return put(buf, len, at, ")");
	case OX_TYPE_OPAQUE:
		return put(buf, len, at, "opaque");
	default:
		return put(buf, len, at, "?");
	}
}

const char *
ox_type_format(const struct ox_type *t, char *buf, size_t len)
{
	buf[0] = '\0';
	type_text(t, buf, len, 0, 0);
	return buf;
}

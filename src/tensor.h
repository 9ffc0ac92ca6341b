/* tensor.h: element types, value types and tensors of the IR.
 *
 * Element type codes are ONNX's TensorProto.DataType numbers, so they pass through
 * files unchanged; a code onnx-opt does not know is kept on a type, not refused (a
 * tensor holding data of such a type is refused: its size cannot be checked).
 *
 * A tensor's elements are one dense little-endian buffer (sub-byte types packed two
 * or four to a byte, as in raw_data), whatever field the file stored them in; `store`
 * remembers that field so an untouched tensor is written back exactly as it came.
 * String tensors hold an array of byte strings instead. Everything a tensor points to
 * belongs to the model's arena, or to a file mapping the model keeps open.
 */
#ifndef OX_TENSOR_H
#define OX_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ox_arena;
struct ox_diag;

enum ox_dtype {
	OX_UNDEFINED = 0,
	OX_FLOAT = 1, OX_UINT8 = 2, OX_INT8 = 3, OX_UINT16 = 4, OX_INT16 = 5,
	OX_INT32 = 6, OX_INT64 = 7, OX_STRING = 8, OX_BOOL = 9, OX_FLOAT16 = 10,
	OX_DOUBLE = 11, OX_UINT32 = 12, OX_UINT64 = 13, OX_COMPLEX64 = 14,
	OX_COMPLEX128 = 15, OX_BFLOAT16 = 16, OX_FLOAT8E4M3FN = 17,
	OX_FLOAT8E4M3FNUZ = 18, OX_FLOAT8E5M2 = 19, OX_FLOAT8E5M2FNUZ = 20,
	OX_UINT4 = 21, OX_INT4 = 22, OX_FLOAT4E2M1 = 23, OX_FLOAT8E8M0 = 24,
	OX_UINT2 = 25, OX_INT2 = 26,
	OX_DTYPE_COUNT
};

/* Bits per element (0 for UNDEFINED, STRING and unknown codes). */
int ox_dtype_bits(int dtype);

/* The ONNX spelling, lower case ("float", "int64", "float8e4m3fn"); "dtype(N)" for
 * an unknown code, in a static buffer. */
const char *ox_dtype_name(int dtype);

/* The code for an ONNX spelling, or -1. */
int ox_dtype_from_name(const char *name);

/* Bytes that n elements of dtype take, packed; false on overflow or unknown size. */
bool ox_dtype_nbytes(int dtype, int64_t n, size_t *out);

/* A byte string (not NUL-terminated in general). */
struct ox_bytes {
	size_t len;
	const uint8_t *data;
};

/* An opaque protobuf fragment: the fields of a message that the IR does not model,
 * serialized. The format layer writes it back; nothing else looks inside. */
struct ox_blob {
	size_t len;
	const uint8_t *data;
};

/* One dimension of a shape. */
struct ox_dim {
	enum { OX_DIM_UNKNOWN, OX_DIM_VALUE, OX_DIM_PARAM } kind;
	int64_t value;          /* OX_DIM_VALUE */
	const char *param;      /* OX_DIM_PARAM: the symbol */
	const char *denotation; /* NULL when absent */
};

/* The type of a value. NULL pointers mean absent in the file. */
struct ox_type {
	enum {
		OX_TYPE_NONE, OX_TYPE_TENSOR, OX_TYPE_SEQUENCE, OX_TYPE_MAP,
		OX_TYPE_OPAQUE, OX_TYPE_SPARSE, OX_TYPE_OPTIONAL
	} kind;
	bool has_elem;          /* tensor/sparse: elem_type present */
	int elem;               /* tensor/sparse element dtype; map key dtype */
	int rank;               /* tensor/sparse: -1 when the shape is absent */
	struct ox_dim *dims;
	struct ox_type *inner;  /* sequence/optional element, map value */
	bool has_inner_field;   /* the message for kind is present even if empty */
	const char *denotation;
	struct ox_blob rest;    /* opaque domain/name and anything unmodelled */
};

/* Where a tensor's elements were stored in the file. */
enum ox_store {
	OX_STORE_NONE,     /* no data field present */
	OX_STORE_RAW,      /* raw_data */
	OX_STORE_FIELD,    /* the typed repeated field for its dtype */
	OX_STORE_EXTERNAL, /* a side file (data_location = EXTERNAL) */
};

struct ox_kv {
	const char *key, *value; /* NULL when absent */
};

struct ox_tensor {
	const char *name;      /* NULL when absent */
	int dtype;
	bool has_dtype;
	int ndim;
	int64_t *dims;
	int64_t nelem;         /* product of dims */
	void *data;            /* dense elements; NULL for strings */
	size_t nbytes;
	struct ox_bytes *strings; /* OX_STRING: nelem byte strings */
	enum ox_store store;
	bool has_location;     /* data_location field present */
	int location;          /* its value */
	struct ox_kv *external; /* external_data entries, in file order */
	size_t n_external;
	const char *doc;
	struct ox_blob rest;   /* segment, metadata_props, unknown fields */
};

/* A new tensor of dtype and shape with zeroed data in the arena, or NULL. */
struct ox_tensor *ox_tensor_new(struct ox_arena *a, int dtype, int ndim, const int64_t *dims);

/* nelem for dims, or -1 when a dim is negative or the product overflows. */
int64_t ox_shape_numel(int ndim, const int64_t *dims);

/* t as users read it, "float[batch,3,224,224]", "seq(int64[?])", "?" for unknown,
 * cut to fit buf (len > 0) with nesting beyond 8 shown as "?". Returns buf. */
const char *ox_type_format(const struct ox_type *t, char *buf, size_t len);

#endif

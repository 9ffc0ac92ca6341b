/* onnx_import.c: ModelProto -> IR. See onnx_io.h.
 *
 * The file is unpacked by protobuf-c with an allocator that draws from the model's
 * arena, so names, raw tensor bytes and typed arrays are used in place, not copied.
 * For each message the IR models, the modelled fields are taken out of the unpacked
 * struct and what remains (unmodelled and unknown fields) is packed again as the
 * node's, value's or tensor's opaque blob.
 *
 * Values are resolved in two phases per graph: first everything the graph defines
 * (inputs, initializers, node outputs) is named, then node inputs and subgraphs are
 * bound, so nodes may appear in any order and still be checked for cycles.
 */
#include "config.h"

#include "onnx_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx_pb.h"

struct ctx {
	struct ox_model *m;
	struct ox_arena *a;
	struct ox_diag *d;
	ProtobufCAllocator pa;
	int depth;
	const struct zc *zc; /* tickets for raw_data left in the mapped file, or NULL */
	size_t n_nodes, n_values;   /* against OX_MAX_NODES and OX_MAX_VALUES */
	bool in_place;       /* OX_LOAD_IN_PLACE, _READ_ONLY: misaligned data stays in the file too */
};

static const uint8_t *zc_redeem(const struct zc *z, const ProtobufCBinaryData *raw, size_t *len);

#define ERR(c, code, ...) ox_diag_error((c)->d, (code), __VA_ARGS__)
#define NOMEM(c) ERR(c, OX_ENOMEM, "out of memory")

/* Pack what is left of msg (the caller has taken out the modelled fields). */
static int
take_rest(struct ctx *c, const ProtobufCMessage *msg, struct ox_blob *out)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf;

	out->len = 0;
	out->data = NULL;
	if (n == 0)
		return 0;
	buf = ox_arena_alloc_raw(c->a, n);
	if (!buf)
		return NOMEM(c);
	protobuf_c_message_pack(msg, buf);
	out->data = buf;
	out->len = n;
	return 0;
}

static struct ox_kv *
import_kvs(struct ctx *c, Onnx__StringStringEntryProto **e, size_t n)
{
	struct ox_kv *kv = ox_arena_calloc(c->a, n + 1, sizeof *kv);

	if (!kv)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		kv[i].key = e[i]->key;
		kv[i].value = e[i]->value;
	}
	return kv;
}

/* --- types --- */

static int import_type(struct ctx *c, Onnx__TypeProto *tp, struct ox_type **out);

static int
import_shape(struct ctx *c, Onnx__TensorShapeProto *sp, struct ox_type *t)
{
	if (!sp) {
		t->rank = -1;
		return 0;
	}
	if (sp->n_dim > OX_MAX_RANK * 16)
		return ERR(c, OX_ELIMIT, "a shape has %zu dimensions", sp->n_dim);
	t->rank = (int)sp->n_dim;
	t->dims = ox_arena_calloc(c->a, sp->n_dim + 1, sizeof *t->dims);
	if (!t->dims)
		return NOMEM(c);
	for (size_t i = 0; i < sp->n_dim; i++) {
		Onnx__TensorShapeProto__Dimension *dp = sp->dim[i];
		struct ox_dim *dim = &t->dims[i];

		dim->denotation = dp->denotation;
		if (dp->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
			dim->kind = OX_DIM_VALUE;
			dim->value = dp->dim_value;
		} else if (dp->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM) {
			dim->kind = OX_DIM_PARAM;
			dim->param = dp->dim_param;
		}
	}
	return 0;
}

static int
import_type(struct ctx *c, Onnx__TypeProto *tp, struct ox_type **out)
{
	struct ox_type *t;
	int r = 0;

	*out = NULL;
	if (!tp)
		return 0;
	if (++c->depth > OX_MAX_GRAPH_DEPTH * 4)
		return ERR(c, OX_ELIMIT, "types nested deeper than %d", OX_MAX_GRAPH_DEPTH * 4);
	t = ox_arena_alloc(c->a, sizeof *t);
	if (!t)
		return NOMEM(c);
	t->rank = -1;
	t->denotation = tp->denotation;
	tp->denotation = NULL;
	switch (tp->value_case) {
	case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
	case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE: {
		/* Tensor and SparseTensor have the same layout: elem_type, shape. */
		Onnx__TypeProto__Tensor *tt = tp->tensor_type;

		t->kind = tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? OX_TYPE_TENSOR : OX_TYPE_SPARSE;
		t->has_elem = tt->has_elem_type;
		t->elem = tt->elem_type;
		r = import_shape(c, tt->shape, t);
		tp->value_case = ONNX__TYPE_PROTO__VALUE__NOT_SET;
		break;
	}
	case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
		t->kind = OX_TYPE_SEQUENCE;
		r = import_type(c, tp->sequence_type->elem_type, &t->inner);
		tp->value_case = ONNX__TYPE_PROTO__VALUE__NOT_SET;
		break;
	case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
		t->kind = OX_TYPE_OPTIONAL;
		r = import_type(c, tp->optional_type->elem_type, &t->inner);
		tp->value_case = ONNX__TYPE_PROTO__VALUE__NOT_SET;
		break;
	case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
		t->kind = OX_TYPE_MAP;
		t->has_elem = tp->map_type->has_key_type;
		t->elem = tp->map_type->key_type;
		r = import_type(c, tp->map_type->value_type, &t->inner);
		tp->value_case = ONNX__TYPE_PROTO__VALUE__NOT_SET;
		break;
	case ONNX__TYPE_PROTO__VALUE_OPAQUE_TYPE:
		t->kind = OX_TYPE_OPAQUE; /* domain and name stay in the blob */
		break;
	default:
		t->kind = OX_TYPE_NONE;
		break;
	}
	c->depth--;
	if (r < 0)
		return r;
	if ((r = take_rest(c, &tp->base, &t->rest)) < 0)
		return r;
	*out = t;
	return 0;
}

/* --- tensors --- */

static bool
safe_component(const char *p)
{
	/* p is relative, has no ".." component and no NUL tricks (the string ended). */
	if (*p == '/' || *p == '\0')
		return false;
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return false;
		if (!e)
			break;
		s = e + 1;
	}
	return true;
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* Map the file at dir/location (read-only), reusing an earlier mapping. */
static int
map_external(struct ctx *c, const char *tname, const char *location, const uint8_t **base,
	     size_t *size)
{
	struct ox_model *m = c->m;
	char *full, *real = NULL;
	struct ox_mapping *map;
	struct stat st;
	size_t dl;
	int fd;

	if (!m->dir)
		return ERR(c, OX_EINVAL, "tensor '%s' has external data but the model has no directory", tname);
	if (!safe_component(location))
		return ERR(c, OX_EINVAL, "tensor '%s': external data location '%s' is absolute or leaves the model's directory",
			   tname, location);
	if (asprintf(&full, "%s/%s", m->dir, location) < 0)
		return NOMEM(c);
	real = realpath(full, NULL);
	free(full);
	if (!real)
		return ERR(c, OX_EIO, "tensor '%s': external data file '%s': %s", tname, location, strerror(errno));
	dl = strlen(m->dir);
	if (strncmp(real, m->dir, dl) != 0 || (real[dl] != '/' && strcmp(m->dir, "/") != 0)) {
		free(real);
		return ERR(c, OX_EINVAL, "tensor '%s': external data location '%s' resolves outside the model's directory",
			   tname, location);
	}
	for (map = m->mappings; map; map = map->next) {
		if (strcmp(map->path, real) == 0) {
			free(real);
			*base = map->addr;
			*size = map->len;
			return 0;
		}
	}
	fd = open(real, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		free(real);
		return ERR(c, OX_EIO, "tensor '%s': external data file '%s': %s", tname, location,
			   fd >= 0 && e == 0 ? "not a regular file" : strerror(e));
	}
	map = calloc(1, sizeof *map);
	if (!map) {
		close(fd);
		free(real);
		return NOMEM(c);
	}
	map->path = real;
	map->len = (size_t)st.st_size;
	map->addr = map->len ? mmap(NULL, map->len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (map->len && map->addr == MAP_FAILED) {
		int e = errno;

		free(map->path);
		free(map);
		return ERR(c, OX_EIO, "tensor '%s': cannot map external data file '%s': %s", tname, location, strerror(e));
	}
	map->readonly = true;
	map->next = m->mappings;
	m->mappings = map;
	*base = map->addr;
	*size = map->len;
	return 0;
}

/* Tensor data inside a mapped file (raw_data left in place, external data) is used
 * there when it is aligned for its element type, as C and the kernels need; else it
 * is copied into the arena (16-byte aligned) and the file's whole pages under it are
 * dropped again, so the copy does not cost the memory twice. NULL: out of memory. */
static void *
place(struct ctx *c, const uint8_t *p, size_t n, int dtype)
{
	int bits = ox_dtype_bits(dtype);
	uintptr_t align = bits >= 64 ? 8 : bits >= 8 ? (uintptr_t)bits / 8 : 1;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), lo, hi;
	uint8_t *q;

	if (c->in_place || ((uintptr_t)p & (align - 1)) == 0)
		return (void *)p;
	if (!(q = ox_arena_alloc_raw(c->a, n ? n : 1)))
		return NULL;
	memcpy(q, p, n);
	lo = ((uintptr_t)p + page - 1) & ~(page - 1);
	hi = ((uintptr_t)p + n) & ~(page - 1);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
	return q;
}

static int
import_external(struct ctx *c, Onnx__TensorProto *tp, struct ox_tensor *t, const char *tname)
{
	const char *location = NULL;
	uint64_t offset = 0, length = 0;
	bool has_length = false;
	const uint8_t *base = NULL;
	size_t size = 0;
	int r;

	for (size_t i = 0; i < tp->n_external_data; i++) {
		const char *k = tp->external_data[i]->key, *v = tp->external_data[i]->value;

		if (!k)
			continue;
		if (strcmp(k, "location") == 0) {
			location = v;
		} else if (strcmp(k, "offset") == 0) {
			if (parse_u64(v, &offset) < 0)
				return ERR(c, OX_EINVAL, "tensor '%s': bad external data offset '%s'", tname, v ? v : "");
		} else if (strcmp(k, "length") == 0) {
			if (parse_u64(v, &length) < 0)
				return ERR(c, OX_EINVAL, "tensor '%s': bad external data length '%s'", tname, v ? v : "");
			has_length = true;
		}
	}
	if (!location)
		return ERR(c, OX_EINVAL, "tensor '%s' has external data without a location", tname);
	if ((r = map_external(c, tname, location, &base, &size)) < 0)
		return r;
	if (offset > size)
		return ERR(c, OX_EINVAL, "tensor '%s': external data offset %llu is past the end of '%s' (%zu bytes)",
			   tname, (unsigned long long)offset, location, size);
	if (!has_length)
		length = size - offset;
	if (length > size - offset)
		return ERR(c, OX_EINVAL, "tensor '%s': external data [%llu, +%llu) runs past the end of '%s' (%zu bytes)",
			   tname, (unsigned long long)offset, (unsigned long long)length, location, size);
	if (t->dtype == OX_STRING)
		return ERR(c, OX_EINVAL, "tensor '%s': string tensors cannot be stored externally", tname);
	if (ox_dtype_bits(t->dtype) && length != t->nbytes)
		return ERR(c, OX_EINVAL, "tensor '%s': external data has %llu bytes, its shape needs %zu",
			   tname, (unsigned long long)length, t->nbytes);
	if (length == 0)
		t->data = (void *)(base + offset);
	else if (!(t->data = place(c, base + offset, (size_t)length, t->dtype)))
		return NOMEM(c);
	t->nbytes = (size_t)length;
	return 0;
}

/* Widen a typed repeated field into the dense buffer for dtype. Values that do not
 * fit the element type make the tensor invalid (they could not be written back). */
static int
from_int32(struct ctx *c, const int32_t *src, size_t n, struct ox_tensor *t, const char *tname)
{
	int bits = ox_dtype_bits(t->dtype);
	bool is_signed = t->dtype == OX_INT8 || t->dtype == OX_INT16 || t->dtype == OX_INT32;
	bool packed = bits < 8;
	size_t want = packed ? t->nbytes : (size_t)t->nelem;
	uint8_t *p;

	if (n != want)
		return ERR(c, OX_EINVAL, "tensor '%s' has %zu values in int32_data, its shape needs %zu",
			   tname, n, want);
	if (bits == 32) {
		t->data = (void *)src;
		return 0;
	}
	p = ox_arena_alloc_raw(c->a, t->nbytes ? t->nbytes : 1);
	if (!p)
		return NOMEM(c);
	for (size_t i = 0; i < n; i++) {
		int32_t v = src[i];
		int64_t lo = is_signed ? -((int64_t)1 << (bits - 1)) : 0;
		int64_t hi = is_signed ? ((int64_t)1 << (bits - 1)) - 1 : ((int64_t)1 << (packed ? 8 : bits)) - 1;

		if (packed) {
			lo = 0;
			hi = 255;
		}
		if (v < lo || v > hi)
			return ERR(c, OX_EINVAL, "tensor '%s': int32_data value %d does not fit %s",
				   tname, (int)v, ox_dtype_name(t->dtype));
		if (bits == 16) {
			uint16_t u = (uint16_t)v;

			memcpy(p + 2 * i, &u, 2);
		} else {
			p[i] = (uint8_t)v;
		}
	}
	t->data = p;
	return 0;
}

static int
import_fields(struct ctx *c, Onnx__TensorProto *tp, struct ox_tensor *t, const char *tname)
{
	size_t n_el = (size_t)t->nelem;
	bool complex = t->dtype == OX_COMPLEX64 || t->dtype == OX_COMPLEX128;
	size_t want = complex ? 2 * n_el : n_el;
	const char *field = NULL;
	size_t have = 0;

	switch (t->dtype) {
	case OX_FLOAT:
	case OX_COMPLEX64:
		field = "float_data";
		have = tp->n_float_data;
		t->data = tp->float_data;
		break;
	case OX_DOUBLE:
	case OX_COMPLEX128:
		field = "double_data";
		have = tp->n_double_data;
		t->data = tp->double_data;
		break;
	case OX_INT64:
		field = "int64_data";
		have = tp->n_int64_data;
		t->data = tp->int64_data;
		break;
	case OX_UINT64:
		field = "uint64_data";
		have = tp->n_uint64_data;
		t->data = tp->uint64_data;
		break;
	case OX_UINT32: {
		uint32_t *p;

		if (tp->n_uint64_data != n_el)
			return ERR(c, OX_EINVAL, "tensor '%s' has %zu values in uint64_data, its shape needs %zu",
				   tname, tp->n_uint64_data, n_el);
		p = ox_arena_alloc_raw(c->a, t->nbytes ? t->nbytes : 1);
		if (!p)
			return NOMEM(c);
		for (size_t i = 0; i < n_el; i++) {
			if (tp->uint64_data[i] > UINT32_MAX)
				return ERR(c, OX_EINVAL, "tensor '%s': uint64_data value does not fit uint32", tname);
			p[i] = (uint32_t)tp->uint64_data[i];
		}
		t->data = p;
		return 0;
	}
	case OX_STRING:
		if (tp->n_string_data != n_el)
			return ERR(c, OX_EINVAL, "tensor '%s' has %zu strings, its shape needs %zu",
				   tname, tp->n_string_data, n_el);
		t->strings = ox_arena_calloc(c->a, n_el + 1, sizeof *t->strings);
		if (!t->strings)
			return NOMEM(c);
		for (size_t i = 0; i < n_el; i++) {
			t->strings[i].len = tp->string_data[i].len;
			t->strings[i].data = tp->string_data[i].data;
		}
		return 0;
	default:
		if (ox_dtype_bits(t->dtype) == 0)
			return ERR(c, OX_EINVAL, "tensor '%s' has typed data but element type %s",
				   tname, ox_dtype_name(t->dtype));
		return from_int32(c, tp->int32_data, tp->n_int32_data, t, tname);
	}
	if (have != want)
		return ERR(c, OX_EINVAL, "tensor '%s' has %zu values in %s, its shape needs %zu",
			   tname, have, field, want);
	return 0;
}

/* Count how many typed fields hold data, and whether the one that does is the one
 * the element type calls for (import_fields checks the counts). */
static int
typed_fields(const Onnx__TensorProto *tp)
{
	return (tp->n_float_data > 0) + (tp->n_int32_data > 0) + (tp->n_string_data > 0) +
	       (tp->n_int64_data > 0) + (tp->n_double_data > 0) + (tp->n_uint64_data > 0);
}

static int
import_tensor(struct ctx *c, Onnx__TensorProto *tp, struct ox_tensor **out)
{
	struct ox_tensor *t = ox_arena_alloc(c->a, sizeof *t);
	const char *tname = tp->name ? tp->name : "(unnamed)";
	int r, nfields = typed_fields(tp);

	*out = NULL;
	if (!t)
		return NOMEM(c);
	if (tp->n_dims > OX_MAX_RANK)
		return ERR(c, OX_ELIMIT, "tensor '%s' has rank %zu (limit %d)", tname, tp->n_dims, OX_MAX_RANK);
	t->name = tp->name;
	t->doc = tp->doc_string;
	t->has_dtype = tp->has_data_type;
	t->dtype = tp->data_type;
	t->ndim = (int)tp->n_dims;
	t->dims = tp->dims;
	t->nelem = ox_shape_numel(t->ndim, t->dims);
	if (t->nelem < 0)
		return ERR(c, OX_EINVAL, "tensor '%s' has a negative dimension or too many elements", tname);
	t->has_location = tp->has_data_location;
	t->location = tp->data_location;
	t->external = import_kvs(c, tp->external_data, tp->n_external_data);
	t->n_external = tp->n_external_data;
	if (!t->external)
		return NOMEM(c);
	if (ox_dtype_bits(t->dtype) && !ox_dtype_nbytes(t->dtype, t->nelem, &t->nbytes))
		return ERR(c, OX_EINVAL, "tensor '%s' is too large", tname);
	/* An unknown code is kept on a type, but data of unknown element size cannot be
	 * checked against the shape. */
	if (t->dtype != OX_STRING && t->dtype != OX_UNDEFINED && !ox_dtype_bits(t->dtype) &&
	    (tp->has_raw_data || nfields || tp->has_data_location))
		return ERR(c, OX_EINVAL, "tensor '%s' has element type %d, which ONNX does not define",
			   tname, (int)t->dtype);

	if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
		t->store = OX_STORE_EXTERNAL;
		if (tp->has_raw_data || nfields)
			return ERR(c, OX_EINVAL, "tensor '%s' is external but also has data inside the model", tname);
		if ((r = import_external(c, tp, t, tname)) < 0)
			return r;
	} else if (tp->has_raw_data) {
		const uint8_t *in_file;
		size_t n;

		if ((in_file = zc_redeem(c->zc, &tp->raw_data, &n))) {
			if (!(tp->raw_data.data = place(c, in_file, n, tp->data_type)))
				return NOMEM(c);
			tp->raw_data.len = n;
		}
		t->store = OX_STORE_RAW;
		if (nfields)
			return ERR(c, OX_EINVAL, "tensor '%s' has both raw_data and typed data", tname);
		if (t->dtype == OX_STRING)
			return ERR(c, OX_EINVAL, "tensor '%s': string tensors cannot use raw_data", tname);
		if (ox_dtype_bits(t->dtype) && tp->raw_data.len != t->nbytes)
			return ERR(c, OX_EINVAL, "tensor '%s' has %zu bytes of raw_data, its shape needs %zu",
				   tname, tp->raw_data.len, t->nbytes);
		t->data = tp->raw_data.data;
		t->nbytes = tp->raw_data.len;
	} else if (nfields) {
		t->store = OX_STORE_FIELD;
		if (nfields > 1)
			return ERR(c, OX_EINVAL, "tensor '%s' has data in more than one field", tname);
		if ((r = import_fields(c, tp, t, tname)) < 0)
			return r;
	} else {
		t->store = OX_STORE_NONE;
		if (t->nelem > 0 && t->has_dtype && t->dtype != OX_UNDEFINED)
			return ERR(c, OX_EINVAL, "tensor '%s' has %lld elements but no data",
				   tname, (long long)t->nelem);
		if (t->dtype == OX_STRING) {
			t->strings = ox_arena_calloc(c->a, 1, sizeof *t->strings);
			if (!t->strings)
				return NOMEM(c);
		}
	}
	if (t->dtype == OX_STRING)
		t->nbytes = 0;
	tp->n_dims = 0;
	tp->has_data_type = 0;
	tp->n_float_data = tp->n_int32_data = tp->n_string_data = 0;
	tp->n_int64_data = tp->n_double_data = tp->n_uint64_data = 0;
	tp->name = tp->doc_string = NULL;
	tp->has_raw_data = 0;
	tp->n_external_data = 0;
	tp->has_data_location = 0;
	if ((r = take_rest(c, &tp->base, &t->rest)) < 0)
		return r;
	*out = t;
	return 0;
}

/* --- graphs --- */

static int import_graph(struct ctx *c, Onnx__GraphProto *gp, struct ox_graph *g);

static int
import_subgraph(struct ctx *c, Onnx__GraphProto *gp, struct ox_node *owner, struct ox_graph **out)
{
	struct ox_graph *g;
	int r;

	if (c->depth >= OX_MAX_GRAPH_DEPTH)
		return ERR(c, OX_ELIMIT, "subgraphs nested deeper than %d", OX_MAX_GRAPH_DEPTH);
	g = ox_graph_new(c->m, owner ? owner->graph : NULL);
	if (!g)
		return NOMEM(c);
	g->owner = owner;
	c->depth++;
	r = import_graph(c, gp, g);
	c->depth--;
	*out = g;
	return r;
}

/* --- sparse tensors: kept as blobs, but their shape and indices are checked here, so
 * that nothing densifying one later can index outside it. --- */

/* Index i of a sparse tensor's int64 indices (raw bytes, or int64_data when raw is
 * NULL). */
static int64_t
sparse_index(const Onnx__TensorProto *ip, const uint8_t *raw, size_t i)
{
	int64_t v;

	if (!raw)
		return ip->int64_data[i];
	memcpy(&v, raw + 8 * i, 8);
	return v;
}

static int
check_sparse(struct ctx *c, const Onnx__SparseTensorProto *sp)
{
	const Onnx__TensorProto *vp = sp->values, *ip = sp->indices;
	const char *name = vp && vp->name ? vp->name : "(unnamed)";
	int64_t dense, nnz;
	size_t count, rank = sp->n_dims, raw_len = 0;
	const uint8_t *raw = NULL;

	if (!vp)
		return ERR(c, OX_EINVAL, "sparse tensor has no values tensor");
	if (rank > OX_MAX_RANK)
		return ERR(c, OX_ELIMIT, "sparse tensor '%s' has rank %zu (limit %d)", name, rank, OX_MAX_RANK);
	if (vp->n_dims != 1)
		return ERR(c, OX_EINVAL, "sparse tensor '%s': values must have rank 1, not %zu", name, vp->n_dims);
	dense = ox_shape_numel((int)rank, sp->dims);
	nnz = vp->dims[0];
	if (dense < 0)
		return ERR(c, OX_EINVAL, "sparse tensor '%s' has a dense dimension below zero or too many elements",
			   name);
	if (nnz < 0 || nnz > dense)
		return ERR(c, OX_EINVAL, "sparse tensor '%s' has %lld values for %lld dense elements", name,
			   (long long)nnz, (long long)dense);
	if (!ip)
		return nnz ? ERR(c, OX_EINVAL, "sparse tensor '%s' has %lld values but no indices", name,
				 (long long)nnz) : 0;
	if (ip->has_data_location && ip->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return ERR(c, OX_EUNSUPPORTED, "sparse tensor '%s': indices stored externally", name);
	if (ip->has_raw_data && !(raw = zc_redeem(c->zc, &ip->raw_data, &raw_len))) {
		raw = ip->raw_data.data ? ip->raw_data.data : (const uint8_t *)"";
		raw_len = ip->raw_data.len;
	}
	if (ip->data_type != OX_INT64 || raw_len % 8)
		return ERR(c, OX_EINVAL, "sparse tensor '%s': indices must be int64", name);
	count = raw ? raw_len / 8 : ip->n_int64_data;
	if (count == (size_t)nnz && ip->n_dims <= 1) {
		for (size_t i = 0; i < count; i++)
			if (sparse_index(ip, raw, i) < 0 || sparse_index(ip, raw, i) >= dense)
				return ERR(c, OX_EINVAL, "sparse tensor '%s': index %lld at position %zu is outside [0, %lld)",
					   name, (long long)sparse_index(ip, raw, i), i, (long long)dense);
		return 0;
	}
	if (rank && count / rank == (size_t)nnz && count % rank == 0 && ip->n_dims == 2) {
		for (size_t i = 0; i < count; i++)
			if (sparse_index(ip, raw, i) < 0 || sparse_index(ip, raw, i) >= sp->dims[i % rank])
				return ERR(c, OX_EINVAL, "sparse tensor '%s': index %lld at position %zu is outside [0, %lld)",
					   name, (long long)sparse_index(ip, raw, i), i / rank, (long long)sp->dims[i % rank]);
		return 0;
	}
	return ERR(c, OX_EINVAL, "sparse tensor '%s' has %zu indices for %lld values", name, count, (long long)nnz);
}

/* The value fields an attribute holds, one bit per AttributeType code. */
static unsigned
attr_fields(const Onnx__AttributeProto *ap)
{
	return (unsigned)ap->has_f << 1 | (unsigned)ap->has_i << 2 | (unsigned)ap->has_s << 3 |
	       (unsigned)!!ap->t << 4 | (unsigned)!!ap->g << 5 | (unsigned)!!ap->n_floats << 6 |
	       (unsigned)!!ap->n_ints << 7 | (unsigned)!!ap->n_strings << 8 |
	       (unsigned)!!ap->n_tensors << 9 | (unsigned)!!ap->n_graphs << 10 |
	       (unsigned)!!ap->sparse_tensor << 11 | (unsigned)!!ap->n_sparse_tensors << 12 |
	       (unsigned)!!ap->tp << 13 | (unsigned)!!ap->n_type_protos << 14;
}

static const char *const attr_type_names[] = {
	"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS",
	"TENSORS", "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS",
};

/* A value in a field that the declared type does not name: which value is meant is
 * anybody's guess, so the model is refused. */
static int
check_attr_type(struct ctx *c, const Onnx__AttributeProto *ap)
{
	unsigned have = attr_fields(ap), other;
	int k = 0;

	if (!ap->name || !*ap->name)
		return ERR(c, OX_EINVAL, "an attribute has an empty name");
	if (!ap->has_type || ap->type <= 0 || ap->type > 14)
		return 0;
	other = have & ~(1u << ap->type);
	if (!other)
		return 0;
	while (!(other & (1u << k)))
		k++;
	return ERR(c, OX_EINVAL, "attribute '%s' is typed %s but holds a%s %s value", ap->name ? ap->name : "",
		   attr_type_names[ap->type], k == 2 || k == 7 ? "n" : "", attr_type_names[k]);
}

static int
import_attr(struct ctx *c, Onnx__AttributeProto *ap, struct ox_attr *a, struct ox_node *owner)
{
	int r;

	c->d->node = owner ? owner->name : NULL;
	c->d->op = owner ? owner->op_type : NULL;
	r = check_attr_type(c, ap);
	c->d->node = c->d->op = NULL;
	if (r < 0)
		return r;
	if (ap->sparse_tensor && (r = check_sparse(c, ap->sparse_tensor)) < 0)
		return r;
	for (size_t i = 0; i < ap->n_sparse_tensors; i++)
		if ((r = check_sparse(c, ap->sparse_tensors[i])) < 0)
			return r;

	a->name = ap->name;
	a->has_type = ap->has_type;
	a->type = ap->type;
	a->ref_attr_name = ap->ref_attr_name;
	a->doc = ap->doc_string;
	a->has_f = ap->has_f;
	a->f = ap->f;
	a->has_i = ap->has_i;
	a->i = ap->i;
	a->has_s = ap->has_s;
	a->s.len = ap->s.len;
	a->s.data = ap->s.data;
	a->floats = ap->floats;
	a->n_floats = ap->n_floats;
	a->ints = ap->ints;
	a->n_ints = ap->n_ints;
	a->n_strings = ap->n_strings;
	a->strings = ox_arena_calloc(c->a, ap->n_strings + 1, sizeof *a->strings);
	a->n_tensors = ap->n_tensors;
	a->tensors = ox_arena_calloc(c->a, ap->n_tensors + 1, sizeof *a->tensors);
	a->n_graphs = ap->n_graphs;
	a->graphs = ox_arena_calloc(c->a, ap->n_graphs + 1, sizeof *a->graphs);
	if (!a->strings || !a->tensors || !a->graphs)
		return NOMEM(c);
	for (size_t i = 0; i < ap->n_strings; i++) {
		a->strings[i].len = ap->strings[i].len;
		a->strings[i].data = ap->strings[i].data;
	}
	if (ap->t && (r = import_tensor(c, ap->t, &a->t)) < 0)
		return r;
	for (size_t i = 0; i < ap->n_tensors; i++)
		if ((r = import_tensor(c, ap->tensors[i], &a->tensors[i])) < 0)
			return r;
	if (ap->g && (r = import_subgraph(c, ap->g, owner, &a->g)) < 0)
		return r;
	for (size_t i = 0; i < ap->n_graphs; i++)
		if ((r = import_subgraph(c, ap->graphs[i], owner, &a->graphs[i])) < 0)
			return r;
	ap->name = ap->ref_attr_name = ap->doc_string = NULL;
	ap->has_type = ap->has_f = ap->has_i = ap->has_s = 0;
	ap->n_floats = ap->n_ints = ap->n_strings = ap->n_tensors = ap->n_graphs = 0;
	ap->t = NULL;
	ap->g = NULL;
	return take_rest(c, &ap->base, &a->rest);
}

/* Make vp the ValueInfoProto of v. */
static int
import_info(struct ctx *c, Onnx__ValueInfoProto *vp, struct ox_value *v)
{
	struct ox_type *type;
	int r;

	if ((r = import_type(c, vp->type, &type)) < 0)
		return r;
	v->has_info = true;
	v->type = type;
	v->doc = vp->doc_string;
	vp->name = NULL;
	vp->type = NULL;
	vp->doc_string = NULL;
	return take_rest(c, &vp->base, &v->info_rest);
}

/* vp serialized, for entries kept verbatim and for comparing duplicates. */
static int
pack_info(struct ctx *c, const Onnx__ValueInfoProto *vp, struct ox_blob *out)
{
	size_t n = protobuf_c_message_get_packed_size(&vp->base);
	uint8_t *buf = ox_arena_alloc_raw(c->a, n ? n : 1);

	if (!buf)
		return NOMEM(c);
	protobuf_c_message_pack(&vp->base, buf);
	out->data = buf;
	out->len = n;
	return 0;
}

static bool
blob_eq(const struct ox_blob *a, const struct ox_blob *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static int
define(struct ctx *c, struct ox_graph *g, const char *name, struct ox_value **out)
{
	struct ox_value *v;

	*out = NULL;
	if (!name || !*name)
		return ERR(c, OX_EINVAL, "graph '%s': a value has an empty name", g->name ? g->name : "");
	if (ox_graph_lookup(g, name))
		return ERR(c, OX_EINVAL, "graph '%s': value '%s' is defined more than once",
			   g->name ? g->name : "", name);
	if (++c->n_values > OX_MAX_VALUES)
		return ERR(c, OX_ELIMIT, "the model defines more than %zu values", OX_MAX_VALUES);
	v = ox_value_new(g, name);
	if (!v)
		return NOMEM(c);
	*out = v;
	return 0;
}

static int
import_node_shell(struct ctx *c, Onnx__NodeProto *np, struct ox_graph *g)
{
	struct ox_node *node = ox_arena_alloc(c->a, sizeof *node);
	struct ox_node **slot;
	int r;

	if (!node)
		return NOMEM(c);
	if (++c->n_nodes > OX_MAX_NODES)
		return ERR(c, OX_ELIMIT, "the model has more than %zu nodes", OX_MAX_NODES);
	slot = ox_arena_push(c->a, &g->nodes, &g->n_nodes, &g->cap_nodes, sizeof *g->nodes);
	if (!slot)
		return NOMEM(c);
	*slot = node;
	node->id = (int)(g->n_nodes - 1);
	node->graph = g;
	node->name = np->name;
	node->op_type = np->op_type ? np->op_type : "";
	node->domain = np->domain;
	node->doc = np->doc_string;
	if (np->n_input > INT32_MAX / 2 || np->n_output > INT32_MAX / 2)
		return ERR(c, OX_ELIMIT, "node '%s' has too many inputs or outputs", np->name ? np->name : "");
	node->n_in = (int)np->n_input;
	node->n_out = (int)np->n_output;
	node->in = ox_arena_calloc(c->a, np->n_input + 1, sizeof *node->in);
	node->out = ox_arena_calloc(c->a, np->n_output + 1, sizeof *node->out);
	if (!node->in || !node->out)
		return NOMEM(c);
	for (size_t i = 0; i < np->n_output; i++) {
		struct ox_value *v;

		if (!np->output[i] || !*np->output[i])
			continue;
		c->d->node = node->name;
		c->d->op = node->op_type;
		r = define(c, g, np->output[i], &v);
		c->d->node = c->d->op = NULL;
		if (r < 0)
			return r;
		v->producer = node;
		v->producer_index = (int)i;
		node->out[i] = v;
	}
	return 0;
}

static int
import_node_body(struct ctx *c, Onnx__NodeProto *np, struct ox_node *node)
{
	struct ox_graph *g = node->graph;
	int r;

	c->d->node = node->name;
	c->d->op = node->op_type;
	for (size_t i = 0; i < np->n_input; i++) {
		struct ox_value *v;

		if (!np->input[i] || !*np->input[i])
			continue;
		v = ox_graph_lookup(g, np->input[i]);
		if (!v)
			return ERR(c, OX_EINVAL, "input '%s' is not defined", np->input[i]);
		if ((r = ox_node_set_input(node, (int)i, v)) < 0)
			return NOMEM(c);
	}
	c->d->node = c->d->op = NULL;
	node->n_attrs = np->n_attribute;
	node->attrs = ox_arena_calloc(c->a, np->n_attribute + 1, sizeof *node->attrs);
	if (!node->attrs)
		return NOMEM(c);
	for (size_t i = 0; i < np->n_attribute; i++)
		if ((r = import_attr(c, np->attribute[i], &node->attrs[i], node)) < 0)
			return r;
	np->n_input = np->n_output = np->n_attribute = 0;
	np->name = np->op_type = np->domain = np->doc_string = NULL;
	return take_rest(c, &np->base, &node->rest);
}

/* Nodes into g: first their outputs are named (phase 1, with whatever g defined
 * before), then inputs and subgraphs are bound (phase 2). */
static int
import_nodes(struct ctx *c, Onnx__NodeProto **nodes, size_t n, struct ox_graph *g)
{
	size_t first = g->n_nodes;
	int r;

	for (size_t i = 0; i < n; i++)
		if ((r = import_node_shell(c, nodes[i], g)) < 0)
			return r;
	for (size_t i = 0; i < n; i++)
		if ((r = import_node_body(c, nodes[i], g->nodes[first + i])) < 0)
			return r;
	return 0;
}

static int
import_graph(struct ctx *c, Onnx__GraphProto *gp, struct ox_graph *g)
{
	/* Inputs and outputs serialized, to tell a repeated entry from a differing one. */
	struct ox_blob *in_packed, *out_packed;
	int r;

	g->name = gp->name;
	g->doc = gp->doc_string;
	in_packed = ox_arena_calloc(c->a, gp->n_input + 1, sizeof *in_packed);
	out_packed = ox_arena_calloc(c->a, gp->n_output + 1, sizeof *out_packed);
	if (!in_packed || !out_packed)
		return NOMEM(c);

	/* Phase 1: every name this graph defines. */
	for (size_t i = 0; i < gp->n_input; i++) {
		Onnx__ValueInfoProto *vp = gp->input[i];
		struct ox_value *v;

		if ((r = define(c, g, vp->name, &v)) < 0 || (r = pack_info(c, vp, &in_packed[i])) < 0 ||
		    (r = import_info(c, vp, v)) < 0)
			return r;
		if (ox_graph_add_input(g, v) < 0)
			return NOMEM(c);
	}
	for (size_t i = 0; i < gp->n_initializer; i++) {
		Onnx__TensorProto *tp = gp->initializer[i];
		struct ox_value *v = tp->name ? ox_strmap_get(&g->names, tp->name) : NULL;
		struct ox_tensor *t;

		if (v && (v->init || !v->is_input))
			v = NULL, r = ERR(c, OX_EINVAL, "initializer '%s' is defined more than once", tp->name);
		else if (!v)
			r = define(c, g, tp->name, &v);
		else
			r = 0;
		if (r < 0)
			return r;
		if ((r = import_tensor(c, tp, &t)) < 0)
			return r;
		if (ox_graph_add_init(g, v, t) < 0)
			return NOMEM(c);
	}
	for (size_t i = 0; i < gp->n_sparse_initializer; i++) {
		Onnx__SparseTensorProto *sp = gp->sparse_initializer[i];
		const char *name = sp->values ? sp->values->name : NULL;
		struct ox_value *v = name ? ox_strmap_get(&g->names, name) : NULL;
		struct ox_value **slot;

		if (v && (v->init || v->is_sparse || !v->is_input))
			return ERR(c, OX_EINVAL, "sparse initializer '%s' is defined more than once", name);
		if ((r = check_sparse(c, sp)) < 0)
			return r;
		if (!v && (r = define(c, g, name, &v)) < 0)
			return r;
		v->is_sparse = true;
		if ((r = take_rest(c, &sp->base, &v->sparse)) < 0)
			return r;
		slot = ox_arena_push(c->a, &g->sparse_inits, &g->n_sparse_inits, &g->cap_sparse_inits,
				     sizeof *g->sparse_inits);
		if (!slot)
			return NOMEM(c);
		*slot = v;
	}
	if ((r = import_nodes(c, gp->node, gp->n_node, g)) < 0)
		return r;

	/* Outputs and value_info name values defined above (or in an outer scope). */
	for (size_t i = 0; i < gp->n_output; i++) {
		Onnx__ValueInfoProto *vp = gp->output[i];
		struct ox_value *v = vp->name ? ox_graph_lookup(g, vp->name) : NULL;
		const struct ox_blob *first = NULL;

		if (!v)
			return ERR(c, OX_EINVAL, "graph output '%s' is not defined", vp->name ? vp->name : "");
		if (ox_graph_add_output(g, v) < 0 || (r = pack_info(c, vp, &out_packed[i])) < 0)
			return NOMEM(c);
		if (v->graph == g && !v->has_info) {
			if ((r = import_info(c, vp, v)) < 0)
				return r;
			continue;
		}
		/* Listed before: the entry repeats the value's info, or is kept verbatim. */
		for (size_t k = 0; k < gp->n_input && !first; k++)
			if (g->inputs[k] == v)
				first = &in_packed[k];
		for (size_t k = 0; k < i && !first; k++)
			if (g->outputs[k] == v && !(g->output_info && g->output_info[k].data))
				first = &out_packed[k];
		if (v->graph == g && first && blob_eq(first, &out_packed[i]))
			continue;
		if (!g->output_info && !(g->output_info = ox_arena_calloc(c->a, gp->n_output + 1,
									     sizeof *g->output_info)))
			return NOMEM(c);
		g->output_info[i] = out_packed[i];
	}
	for (size_t i = 0; i < gp->n_value_info; i++) {
		Onnx__ValueInfoProto *vp = gp->value_info[i];
		struct ox_value *v = vp->name ? ox_strmap_get(&g->names, vp->name) : NULL;
		struct ox_blob packed;

		if (v && !v->has_info) {
			if ((r = import_info(c, vp, v)) < 0 || ox_graph_add_value_info(g, v) < 0)
				return r < 0 ? r : NOMEM(c);
			continue;
		}
		/* A value that already has its info, or a name nothing defines: this entry
		 * travels verbatim. */
		if ((r = pack_info(c, vp, &packed)) < 0)
			return r;
		v = ox_arena_alloc(c->a, sizeof *v);
		if (!v || ox_graph_add_value_info(g, v) < 0)
			return NOMEM(c);
		v->name = vp->name ? vp->name : "";
		v->graph = g;
		v->info_only = true;
		v->info_rest = packed;
	}
	gp->n_node = gp->n_initializer = gp->n_sparse_initializer = 0;
	gp->n_input = gp->n_output = gp->n_value_info = 0;
	gp->name = gp->doc_string = NULL;
	return take_rest(c, &gp->base, &g->rest);
}

/* --- functions and the model --- */

static int
import_opsets(struct ctx *c, Onnx__OperatorSetIdProto **ops, size_t n, struct ox_opset **out)
{
	struct ox_opset *o = ox_arena_calloc(c->a, n + 1, sizeof *o);

	if (!o)
		return NOMEM(c);
	for (size_t i = 0; i < n; i++) {
		o[i].domain = ops[i]->domain;
		o[i].has_version = ops[i]->has_version;
		o[i].version = ops[i]->version;
	}
	*out = o;
	return 0;
}

static int
import_function(struct ctx *c, Onnx__FunctionProto *fp, struct ox_function *f)
{
	struct ox_graph *g = ox_graph_new(c->m, NULL);
	int r;

	if (!g)
		return NOMEM(c);
	f->body = g;
	f->name = fp->name;
	f->domain = fp->domain;
	f->doc = fp->doc_string;
	f->attr_names = (const char **)fp->attribute;
	f->n_attr_names = fp->n_attribute;
	if ((r = import_opsets(c, fp->opset_import, fp->n_opset_import, &f->opsets)) < 0)
		return r;
	f->n_opsets = fp->n_opset_import;
	for (size_t i = 0; i < fp->n_input; i++) {
		struct ox_value *v;

		if ((r = define(c, g, fp->input[i], &v)) < 0 || (r = ox_graph_add_input(g, v)) < 0)
			return r < 0 ? r : NOMEM(c);
	}
	if ((r = import_nodes(c, fp->node, fp->n_node, g)) < 0)
		return r;
	for (size_t i = 0; i < fp->n_output; i++) {
		struct ox_value *v = ox_graph_lookup(g, fp->output[i]);

		if (!v)
			return ERR(c, OX_EINVAL, "function '%s': output '%s' is not defined",
				   f->name ? f->name : "", fp->output[i]);
		if (ox_graph_add_output(g, v) < 0)
			return NOMEM(c);
	}
	f->n_attr_defaults = fp->n_attribute_proto;
	f->attr_defaults = ox_arena_calloc(c->a, fp->n_attribute_proto + 1, sizeof *f->attr_defaults);
	if (!f->attr_defaults)
		return NOMEM(c);
	for (size_t i = 0; i < fp->n_attribute_proto; i++) {
		/* A default's subgraph (if any) binds to no scope. */
		if ((r = import_attr(c, fp->attribute_proto[i], &f->attr_defaults[i], NULL)) < 0)
			return r;
	}
	fp->name = fp->domain = fp->doc_string = NULL;
	fp->n_attribute = fp->n_opset_import = fp->n_input = fp->n_output = fp->n_node = 0;
	fp->n_attribute_proto = 0;
	/* value_info, overload and metadata stay in the blob. */
	return take_rest(c, &fp->base, &f->rest);
}

static int
import_model(struct ctx *c, Onnx__ModelProto *mp)
{
	struct ox_model *m = c->m;
	int r;

	if (!mp->graph)
		return ERR(c, OX_EINVAL, "not an ONNX model: it has no graph");
	m->has_ir_version = mp->has_ir_version;
	m->ir_version = mp->ir_version;
	m->producer_name = mp->producer_name;
	m->producer_version = mp->producer_version;
	m->domain = mp->domain;
	m->has_model_version = mp->has_model_version;
	m->model_version = mp->model_version;
	m->doc = mp->doc_string;
	if ((r = import_opsets(c, mp->opset_import, mp->n_opset_import, &m->opsets)) < 0)
		return r;
	m->n_opsets = m->cap_opsets = mp->n_opset_import;
	m->metadata = import_kvs(c, mp->metadata_props, mp->n_metadata_props);
	if (!m->metadata)
		return NOMEM(c);
	m->n_metadata = m->cap_metadata = mp->n_metadata_props;
	m->functions = ox_arena_calloc(c->a, mp->n_functions + 1, sizeof *m->functions);
	if (!m->functions)
		return NOMEM(c);
	for (size_t i = 0; i < mp->n_functions; i++) {
		m->functions[i] = ox_arena_alloc(c->a, sizeof **m->functions);
		if (!m->functions[i])
			return NOMEM(c);
		if ((r = import_function(c, mp->functions[i], m->functions[i])) < 0)
			return r;
		m->n_functions++;
	}
	m->graph = ox_graph_new(m, NULL);
	if (!m->graph)
		return NOMEM(c);
	if ((r = import_graph(c, mp->graph, m->graph)) < 0)
		return r;
	mp->has_ir_version = mp->has_model_version = 0;
	mp->producer_name = mp->producer_version = mp->domain = mp->doc_string = NULL;
	mp->n_opset_import = mp->n_metadata_props = mp->n_functions = 0;
	mp->graph = NULL;
	return take_rest(c, &mp->base, &m->rest);
}

/* Cycles are checked on every graph, subgraphs included. */
static int
check_acyclic(struct ox_graph *g, struct ox_diag *d);

static int
check_sub(struct ox_graph *sub, void *d)
{
	return check_acyclic(sub, d);
}

/* A node of g that reads its own output, directly or from inside one of its
 * subgraphs: a cycle of one node, which the sort does not see (it skips self-edges). */
static int
check_self_loops(struct ox_graph *g, struct ox_diag *d)
{
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];

		for (int o = 0; o < node->n_out; o++) {
			struct ox_value *v = node->out[o];

			for (size_t u = 0; v && u < v->n_uses; u++) {
				struct ox_node *user = v->uses[u].node;

				while (user && user->graph != g)
					user = user->graph->owner;
				if (user == node)
					return ox_diag_error(d, OX_EINVAL, "the graph has a cycle: node '%s' (%s) reads its own output '%s'",
							     node->name ? node->name : "", node->op_type, v->name);
			}
		}
	}
	return 0;
}

static int
check_acyclic(struct ox_graph *g, struct ox_diag *d)
{
	int r;

	if ((r = check_self_loops(g, d)) < 0)
		return r;

	if (!ox_graph_is_sorted(g)) {
		/* Not in order: only a cycle makes it an error; the order is kept. */
		struct ox_node **saved = malloc((g->n_nodes + 1) * sizeof *saved);

		if (!saved)
			return ox_diag_error(d, OX_ENOMEM, "out of memory");
		memcpy(saved, g->nodes, g->n_nodes * sizeof *saved);
		r = ox_graph_toposort(g, d);
		memcpy(g->nodes, saved, g->n_nodes * sizeof *saved);
		for (size_t i = 0; i < g->n_nodes; i++)
			g->nodes[i]->id = (int)i;
		free(saved);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < g->n_nodes; i++)
		if ((r = ox_node_foreach_subgraph(g->nodes[i], check_sub, d)) < 0)
			return r;
	return 0;
}

/* protobuf-c unpacks nested messages by recursion with no limit, so a hostile file
 * nesting subgraphs 10,000 deep would overflow the stack. This walk over the wire
 * format measures the nesting first (only message fields nest; bytes are skipped)
 * and stops at MAX_NESTING; malformed input is left for protobuf-c to reject. */
#define MAX_NESTING (OX_MAX_GRAPH_DEPTH * 4 + 32)

static const uint8_t *
read_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; p < end && shift < 64; shift += 7) {
		uint8_t b = *p++;

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return p;
	}
	return NULL;
}

/* One field of a message on the wire: its tag, where the tag ends, and for a
 * length-delimited field its payload [data, data + len). */
struct wire_field {
	uint64_t tag;
	const uint8_t *after_tag, *data;
	uint64_t len;
};

/* Read the field at p: the byte after it, or NULL when it is malformed (groups
 * included: protobuf-c refuses those itself). */
static const uint8_t *
next_field(const uint8_t *p, const uint8_t *end, struct wire_field *wf)
{
	uint64_t v;

	if (!(p = read_varint(p, end, &wf->tag)))
		return NULL;
	wf->after_tag = p;
	wf->data = NULL;
	wf->len = 0;
	switch (wf->tag & 7) {
	case 0:
		return read_varint(p, end, &v);
	case 1:
		return (size_t)(end - p) >= 8 ? p + 8 : NULL;
	case 5:
		return (size_t)(end - p) >= 4 ? p + 4 : NULL;
	case 2:
		if (!(p = read_varint(p, end, &wf->len)) || wf->len > (uint64_t)(end - p))
			return NULL;
		wf->data = p;
		return p + wf->len;
	default:
		return NULL;
	}
}

/* The descriptor of a length-delimited field of desc, or NULL. */
static const ProtobufCFieldDescriptor *
field_of(const ProtobufCMessageDescriptor *desc, const struct wire_field *wf)
{
	if ((wf->tag & 7) != 2 || wf->tag >> 3 > UINT32_MAX)
		return NULL;
	return protobuf_c_message_descriptor_get_field(desc, (unsigned)(wf->tag >> 3));
}

static int
nesting(const ProtobufCMessageDescriptor *desc, const uint8_t *p, const uint8_t *end, int depth)
{
	int deepest = depth;

	if (depth > MAX_NESTING)
		return depth;
	while (p < end) {
		const ProtobufCFieldDescriptor *f;
		struct wire_field wf;

		if (!(p = next_field(p, end, &wf)))
			break; /* malformed: protobuf-c will refuse it */
		f = field_of(desc, &wf);
		if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
			int dd = nesting(f->descriptor, wf.data, wf.data + wf.len, depth + 1);

			if (dd > deepest)
				deepest = dd;
			if (deepest > MAX_NESTING)
				return deepest;
		}
	}
	return deepest;
}

/* --- zero-copy raw_data ---
 *
 * protobuf-c copies every bytes field it unpacks, so a 100 MB model would sit in
 * memory twice: the mapped file and the unpacked copy. Instead the loader unpacks a
 * skeleton of the file in which each large raw_data payload is replaced by a 16-byte
 * ticket (a nonce drawn for this load, then an index), and import_tensor points the
 * tensor at the payload inside the mapped file, which the model keeps mapped. The
 * nonce makes a real 16-byte raw_data that looks like a ticket impossible to forge.
 * Only tensors on paths that import_tensor imports are rewritten (initializers and
 * tensor attributes of nodes in graphs, subgraphs and functions); every other field
 * is copied into the skeleton byte for byte. */
#define ZC_MIN 4096 /* smaller payloads are not worth a ticket */
#define ZC_TICKET 16

struct zc_ref {
	size_t off, len; /* the payload within the mapped file */
};

struct zc {
	const uint8_t *base; /* the mapped file */
	uint8_t *out;        /* the skeleton */
	size_t pos, cap;
	struct zc_ref *refs;
	size_t n_refs, cap_refs;
	uint64_t nonce;
};

/* Does the loader follow field f of desc when building the skeleton? */
static bool
zc_follow(const ProtobufCMessageDescriptor *desc, const ProtobufCFieldDescriptor *f)
{
	static const struct {
		const ProtobufCMessageDescriptor *desc;
		const char *field;
	} path[] = {
		{ &onnx__model_proto__descriptor, "graph" },
		{ &onnx__model_proto__descriptor, "functions" },
		{ &onnx__graph_proto__descriptor, "initializer" },
		{ &onnx__graph_proto__descriptor, "node" },
		{ &onnx__function_proto__descriptor, "node" },
		{ &onnx__node_proto__descriptor, "attribute" },
		{ &onnx__attribute_proto__descriptor, "t" },
		{ &onnx__attribute_proto__descriptor, "tensors" },
		{ &onnx__attribute_proto__descriptor, "g" },
		{ &onnx__attribute_proto__descriptor, "graphs" },
	};

	for (size_t i = 0; i < sizeof path / sizeof path[0]; i++)
		if (path[i].desc == desc && strcmp(path[i].field, f->name) == 0)
			return true;
	return false;
}

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

/* Room for n more bytes in the skeleton (it is mostly far smaller than the file). */
static bool
zc_reserve(struct zc *z, size_t n)
{
	uint8_t *out;
	size_t cap;

	if (z->pos + n <= z->cap)
		return true;
	cap = z->cap ? z->cap : 1 << 16;
	while (cap < z->pos + n)
		cap *= 2;
	if (!(out = realloc(z->out, cap)))
		return false;
	z->out = out;
	z->cap = cap;
	return true;
}

/* Append the skeleton of the message desc at [p, end) to z->out. Returns false on
 * malformed input (protobuf-c then reports it on the original bytes). */
static bool
zc_message(struct zc *z, const ProtobufCMessageDescriptor *desc, const uint8_t *p, const uint8_t *end)
{
	bool tensor = desc == &onnx__tensor_proto__descriptor;

	while (p < end) {
		const uint8_t *field = p;
		const ProtobufCFieldDescriptor *f;
		struct wire_field wf;
		size_t tag_len;

		if (!(p = next_field(p, end, &wf)))
			return false;
		f = field_of(desc, &wf);
		tag_len = (size_t)(wf.after_tag - field);
		if (f && tensor && f->type == PROTOBUF_C_TYPE_BYTES && strcmp(f->name, "raw_data") == 0 &&
		    wf.len >= ZC_MIN) {
			if (!zc_reserve(z, tag_len + 1 + ZC_TICKET))
				return false;
			if (z->n_refs == z->cap_refs) {
				size_t cap = z->cap_refs ? 2 * z->cap_refs : 64;
				struct zc_ref *r = realloc(z->refs, cap * sizeof *r);

				if (!r)
					return false;
				z->refs = r;
				z->cap_refs = cap;
			}
			z->refs[z->n_refs] = (struct zc_ref){ (size_t)(wf.data - z->base), (size_t)wf.len };
			memcpy(z->out + z->pos, field, tag_len);
			z->pos += tag_len;
			z->out[z->pos++] = ZC_TICKET;
			memcpy(z->out + z->pos, &z->nonce, 8);
			memcpy(z->out + z->pos + 8, &(uint64_t){ z->n_refs++ }, 8);
			z->pos += ZC_TICKET;
		} else if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && zc_follow(desc, f)) {
			size_t at, body;

			if (!zc_reserve(z, tag_len + 10))
				return false;
			memcpy(z->out + z->pos, field, tag_len);
			z->pos += tag_len;
			at = z->pos;
			z->pos += 10; /* room for the longest length varint */
			if (!zc_message(z, f->descriptor, wf.data, wf.data + wf.len))
				return false;
			body = z->pos - at - 10;
			z->pos = at + put_varint(z->out + at, body);
			memmove(z->out + z->pos, z->out + at + 10, body);
			z->pos += body;
		} else {
			if (!zc_reserve(z, (size_t)(p - field)))
				return false;
			memcpy(z->out + z->pos, field, (size_t)(p - field));
			z->pos += (size_t)(p - field);
		}
	}
	return true;
}

/* The payload a raw_data ticket stands for, or NULL when raw is an ordinary value. */
static const uint8_t *
zc_redeem(const struct zc *z, const ProtobufCBinaryData *raw, size_t *len)
{
	uint64_t idx;

	if (!z || raw->len != ZC_TICKET || memcmp(raw->data, &z->nonce, 8) != 0)
		return NULL;
	memcpy(&idx, raw->data + 8, 8);
	if (idx >= z->n_refs)
		return NULL;
	*len = z->refs[idx].len;
	return z->base + z->refs[idx].off;
}

/* Build the skeleton of the mapped file buf into z; false when it is not worth it
 * (no large raw_data), malformed (protobuf-c reports that) or memory is short. */
static bool
zc_build(struct zc *z, const uint8_t *buf, size_t len)
{
	memset(z, 0, sizeof *z);
	if (len < 4 * ZC_MIN || getrandom(&z->nonce, sizeof z->nonce, 0) != sizeof z->nonce)
		return false;
	z->base = buf;
	if (zc_message(z, &onnx__model_proto__descriptor, buf, buf + len) && z->n_refs > 0)
		return true;
	free(z->out);
	free(z->refs);
	memset(z, 0, sizeof *z);
	return false;
}

/* Load buf; when map is not NULL, buf is that mapping of the model file, which the
 * model takes (also on failure) and keeps for the raw_data it leaves in place. */
static int
load(const uint8_t *buf, size_t len, const char *dir, struct ox_mapping *map, unsigned flags,
     struct ox_model **out, struct ox_diag *d)
{
	struct ox_model *m;
	struct ctx c;
	struct zc z = { 0 };
	Onnx__ModelProto *mp;
	int r;

	*out = NULL;
	if (len == 0)
		r = ox_diag_error(d, OX_EPARSE, "the file is empty");
	else if (nesting(&onnx__model_proto__descriptor, buf, buf + len, 0) > MAX_NESTING)
		r = ox_diag_error(d, OX_ELIMIT, "messages nested deeper than %d (subgraphs deeper than %d)",
				  MAX_NESTING, OX_MAX_GRAPH_DEPTH);
	else if (!(m = ox_model_new()))
		r = ox_diag_error(d, OX_ENOMEM, "out of memory");
	else
		r = 0;
	if (r < 0) {
		if (map) {
			munmap(map->addr, map->len);
			free(map->path);
			free(map);
		}
		return r;
	}
	if (map) {
		map->next = m->mappings;
		m->mappings = map;
	}
	if (dir && !(m->dir = realpath(dir, NULL))) {
		ox_model_free(m);
		return ox_diag_error(d, OX_EIO, "cannot resolve directory '%s': %s", dir, strerror(errno));
	}
	memset(&c, 0, sizeof c);
	c.m = m;
	c.a = &m->arena;
	c.d = d;
	c.pa = ox_pb_allocator(&m->arena);
	c.in_place = (flags & (OX_LOAD_IN_PLACE | OX_LOAD_READ_ONLY)) != 0;
	if (map && zc_build(&z, buf, len)) {
		c.zc = &z;
		mp = onnx__model_proto__unpack(&c.pa, z.pos, z.out);
		free(z.out);
		z.out = NULL;
	} else {
		mp = onnx__model_proto__unpack(&c.pa, len, buf);
		if (map) { /* everything was copied: the mapping is not needed */
			m->mappings = map->next;
			munmap(map->addr, map->len);
			free(map->path);
			free(map);
		}
	}
	if (!mp) {
		free(z.refs);
		ox_model_free(m);
		return ox_diag_error(d, OX_EPARSE, "not an ONNX model: the protobuf is truncated or malformed");
	}
	r = import_model(&c, mp);
	free(z.refs);
	if (r == 0)
		r = check_acyclic(m->graph, d);
	for (size_t i = 0; r == 0 && i < m->n_functions; i++)
		r = check_acyclic(m->functions[i]->body, d);
	if (r < 0) {
		ox_model_free(m);
		return r;
	}
	*out = m;
	return 0;
}

int
ox_model_load_buffer(const void *buf, size_t len, const char *dir, struct ox_model **out,
		     struct ox_diag *d)
{
	return load(buf, len, dir, NULL, 0, out, d);
}

int
ox_model_load(const char *path, struct ox_model **out, struct ox_diag *d)
{
	return ox_model_load_flags(path, 0, out, d);
}

int
ox_model_load_flags(const char *path, unsigned flags, struct ox_model **out, struct ox_diag *d)
{
	struct ox_mapping *map;
	struct stat st;
	char *dir, *slash;
	int fd, r;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ox_diag_error(d, OX_EIO, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ox_diag_error(d, OX_EIO, "not a regular file");
	}
	if (st.st_size == 0) {
		close(fd);
		return ox_diag_error(d, OX_EPARSE, "the file is empty");
	}
	if (!(map = calloc(1, sizeof *map))) {
		close(fd);
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	}
	/* Private and writable: a pass that changes a tensor in place gets its own copy
	 * of the page, the file never changes. Read-only when asked: no page can then
	 * hold the only copy of anything, so readers may drop pages. */
	map->len = (size_t)st.st_size;
	map->readonly = (flags & OX_LOAD_READ_ONLY) != 0;
	map->addr = mmap(NULL, map->len, map->readonly ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE,
			 fd, 0);
	close(fd);
	if (map->addr == MAP_FAILED) {
		free(map);
		return ox_diag_error(d, OX_EIO, "cannot map the file: %s", strerror(errno));
	}
	if (!(dir = strdup(path)) || !(map->path = strdup(path))) {
		free(dir);
		munmap(map->addr, map->len);
		free(map);
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	}
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	r = load(map->addr, map->len, dir, map, flags, out, d);
	if (r == 0 && !((*out)->path = strdup(path))) {
		ox_model_free(*out);
		*out = NULL;
		r = ox_diag_error(d, OX_ENOMEM, "out of memory");
	}
	free(dir);
	return r;
}

bool
ox_model_data_readonly(const struct ox_model *m, const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	for (const struct ox_mapping *map = m ? m->mappings : NULL; map; map = map->next) {
		uintptr_t lo = (uintptr_t)map->addr;

		if (map->readonly && a >= lo && a - lo <= map->len && n <= map->len - (a - lo))
			return true;
	}
	return false;
}

size_t
ox_model_drop_pages(const struct ox_model *m, const void *p, size_t n)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), lo, hi;

	if (!p || !ox_model_data_readonly(m, p, n))
		return 0;
	lo = ((uintptr_t)p + page - 1) & ~(page - 1);
	hi = ((uintptr_t)p + n) & ~(page - 1);
	if (hi <= lo || madvise((void *)lo, hi - lo, MADV_DONTNEED) < 0)
		return 0;
	return hi - lo;
}

int
ox_tensor_load(const char *path, struct ox_arena *a, struct ox_tensor **out, struct ox_diag *d)
{
	struct ctx c;
	Onnx__TensorProto *tp;
	struct stat st;
	uint8_t *buf;
	ssize_t got;
	size_t len = 0;
	int fd, r;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ox_diag_error(d, OX_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ox_diag_error(d, OX_EIO, "'%s' is not a regular file", path);
	}
	/* Read, not map: the tensor is small next to a model, and protobuf-c copies the
	 * bytes into the arena anyway. */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	}
	while (len < (size_t)st.st_size && (got = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)got;
	close(fd);
	if (len != (size_t)st.st_size) {
		free(buf);
		return ox_diag_error(d, OX_EIO, "cannot read '%s'", path);
	}
	memset(&c, 0, sizeof c);
	c.a = a;
	c.d = d;
	c.pa = ox_pb_allocator(a);
	tp = onnx__tensor_proto__unpack(&c.pa, len, buf);
	free(buf);
	if (!tp)
		return ox_diag_error(d, OX_EPARSE, "'%s' is not a serialized TensorProto", path);
	/* External data is resolved against a model's directory; a lone tensor has none. */
	if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return ox_diag_error(d, OX_EUNSUPPORTED, "'%s': tensor with external data", path);
	r = import_tensor(&c, tp, out);
	if (r == 0 && (*out)->dtype != OX_STRING && (*out)->nelem > 0 && !(*out)->data)
		r = ox_diag_error(d, OX_EINVAL, "'%s': tensor has no data", path);
	if (r < 0)
		*out = NULL;
	return r;
}

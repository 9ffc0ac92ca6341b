/* validate.c: see validate.h. The rules follow what onnx.checker enforces (and, with
 * OX_VALIDATE_FULL, its shape-inference pass); docs/validate.md lists each code and
 * says where onnx-opt deliberately differs. */
#include "config.h"

#include "validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_io.h"
#include "ops.h"
#include "shape.h"

/* The newest IR version any ONNX release defines (onnx-opset-releases.tsv). */
#define NEWEST_IR 13

/* --- codes --- */

const char *
ox_validate_code_name(int code)
{
	switch (code) {
#define X(num, id, name, sev) case num: return name;
		OX_VALIDATE_CODES(X)
#undef X
	}
	return NULL;
}

enum ox_severity
ox_validate_code_severity(int code)
{
	switch (code) {
#define X(num, id, name, sev) case num: return sev;
		OX_VALIDATE_CODES(X)
#undef X
	}
	return OX_ERROR;
}

const char *
ox_validate_code_id(int code, char *buf, size_t len)
{
	snprintf(buf, len, "OX-V%03d", code);
	return buf;
}

/* --- reports --- */

void
ox_vreport_init(struct ox_vreport *r, const char *file)
{
	memset(r, 0, sizeof *r);
	r->file = file;
}

void
ox_vreport_release(struct ox_vreport *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->issues[i].graph);
		free(r->issues[i].node);
		free(r->issues[i].op);
		free(r->issues[i].message);
	}
	free(r->issues);
	r->issues = NULL;
	r->n = r->cap = r->n_errors = r->n_warnings = r->n_notes = 0;
}

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void
vadd(struct ox_vreport *r, int code, const char *graph, const char *node, const char *op,
     const char *fmt, va_list ap)
{
	struct ox_vissue *e;
	char *msg = NULL;
	int n;
	va_list aq;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		void *p = realloc(r->issues, cap * sizeof *r->issues);

		if (!p) {
			r->oom = true;
			return;
		}
		r->issues = p;
		r->cap = cap;
	}
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || !(msg = malloc((size_t)n + 1))) {
		r->oom = true;
		return;
	}
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	e = &r->issues[r->n++];
	e->code = code;
	e->severity = ox_validate_code_severity(code);
	e->graph = dup_or_null(graph);
	e->node = node || op ? strdup(node ? node : "") : NULL;
	e->op = dup_or_null(op);
	e->message = msg;
	if ((graph && !e->graph) || (op && !e->op))
		r->oom = true;
	switch (e->severity) {
	case OX_ERROR: r->n_errors++; break;
	case OX_WARNING: r->n_warnings++; break;
	case OX_NOTE: r->n_notes++; break;
	}
}

static void
add(struct ox_vreport *r, int code, const char *graph, const char *node, const char *op,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
add(struct ox_vreport *r, int code, const char *graph, const char *node, const char *op,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(r, code, graph, node, op, fmt, ap);
	va_end(ap);
}

/* --- the walk's context --- */

/* Which values of one graph are defined so far, in node order: the checker's
 * "lexical scope". A subgraph is checked while its owner node is, so the frames of
 * the enclosing graphs say what was defined before the owner. */
struct frame {
	const struct ox_graph *g;
	unsigned char *seen;        /* by value id */
	struct frame *up;
};

struct ctx {
	struct ox_vreport *r;
	struct ox_model *m;
	int64_t ir;                 /* the model's IR version (0 when absent) */
	const struct ox_opset *opsets; /* of the model, or of the function being checked */
	size_t n_opsets;
	bool in_function;
	int depth;                  /* 0: the main graph or a function body */
	char path[1024];            /* where we are, for issue.graph; "" at the top */
	struct frame *scope;
	/* With --full, type constraints wait for inference to fill the types in. */
	bool defer_types;
	bool full;                  /* OX_VALIDATE_FULL */
	struct ox_strmap reported;  /* keys of issues reported once per model */
	struct ox_arena keys;       /* those keys */
};

static void
issue(struct ctx *c, int code, const struct ox_node *node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
issue(struct ctx *c, int code, const struct ox_node *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(c->r, code, c->path[0] ? c->path : NULL, node ? (node->name ? node->name : "") : NULL,
	     node ? node->op_type : NULL, fmt, ap);
	va_end(ap);
}

/* true the first time key is seen in this model: for problems that would otherwise
 * repeat on every node (a domain nobody imported, one custom op used 500 times). */
static bool
first_time(struct ctx *c, const char *fmt, const char *a, const char *b)
{
	char *key = ox_arena_printf(&c->keys, fmt, a ? a : "", b ? b : "");

	if (!key)
		return true;
	if (ox_strmap_get(&c->reported, key))
		return false;
	ox_strmap_put(&c->reported, key, key);
	return true;
}

static const char *
domain_of(const char *d)
{
	return d ? d : "";
}

static const char *
shown_domain(const char *d)
{
	return d && *d ? d : "ai.onnx";
}

/* --- element types and value types --- */

/* The IR version that introduced dtype, or 0 for a code no release defines. */
static int
dtype_min_ir(int dtype)
{
	if (dtype >= OX_FLOAT && dtype <= OX_BFLOAT16)
		return 1;
	if (dtype >= OX_FLOAT8E4M3FN && dtype <= OX_FLOAT8E5M2FNUZ)
		return 9;
	if (dtype == OX_UINT4 || dtype == OX_INT4)
		return 10;
	if (dtype == OX_FLOAT4E2M1)
		return 11;
	if (dtype == OX_FLOAT8E8M0)
		return 12;
	if (dtype == OX_UINT2 || dtype == OX_INT2)
		return 13;
	return 0;
}

/* Report dtype when no IR version, or not the model's, has it. what names the
 * holder ("tensor 'w'", "value 'x'"). */
static void
check_dtype(struct ctx *c, const struct ox_node *node, int dtype, const char *what, const char *name)
{
	int ir = dtype_min_ir(dtype);

	if (!ir)
		issue(c, OX_V_DTYPE_UNKNOWN, node, "%s '%s' has element type %d, which ONNX does not define",
		      what, name, dtype);
	else if (c->ir > 0 && c->ir < ir)
		issue(c, OX_V_DTYPE_UNKNOWN, node, "%s '%s' has element type %s, which needs IR version %d "
		      "(the model declares %lld)", what, name, ox_dtype_name(dtype), ir, (long long)c->ir);
}

static void
check_type_dtypes(struct ctx *c, const struct ox_type *t, const char *name)
{
	for (int guard = 0; t && guard < 64; t = t->inner, guard++) {
		if ((t->kind == OX_TYPE_TENSOR || t->kind == OX_TYPE_SPARSE) && t->has_elem && t->elem != 0)
			check_dtype(c, NULL, t->elem, "value", name);
		if (t->kind == OX_TYPE_TENSOR || t->kind == OX_TYPE_SPARSE)
			break;
	}
}

/* A graph input or output of the main graph must say what it is: the checker
 * requires the type, and for tensors the element type and the shape. */
static void
check_io_type(struct ctx *c, const struct ox_value *v, const char *role)
{
	const struct ox_type *t = v->type;

	if (!t || t->kind == OX_TYPE_NONE) {
		issue(c, OX_V_VALUE_TYPE_MISSING, NULL, "graph %s '%s' has no type", role, v->name);
		return;
	}
	switch (t->kind) {
	case OX_TYPE_TENSOR:
	case OX_TYPE_SPARSE:
		if (!t->has_elem || t->elem == 0)
			issue(c, OX_V_VALUE_ELEM_TYPE_MISSING, NULL, "graph %s '%s' has no element type",
			      role, v->name);
		if (t->rank < 0)
			issue(c, OX_V_VALUE_SHAPE_MISSING, NULL, "graph %s '%s' has no shape (a rank is "
			      "required; dims may be symbolic)", role, v->name);
		break;
	case OX_TYPE_SEQUENCE:
	case OX_TYPE_OPTIONAL:
		if (!t->inner)
			issue(c, OX_V_VALUE_ELEM_TYPE_MISSING, NULL, "graph %s '%s' is a %s without an element type",
			      role, v->name, t->kind == OX_TYPE_SEQUENCE ? "sequence" : "optional");
		break;
	case OX_TYPE_MAP:
		if (!t->has_elem || !t->inner)
			issue(c, OX_V_VALUE_ELEM_TYPE_MISSING, NULL, "graph %s '%s' is a map without %s type",
			      role, v->name, !t->has_elem ? "a key" : "a value");
		break;
	default:
		break;
	}
}

/* --- a small protobuf wire reader, for the messages the IR keeps as blobs (sparse
 * tensors, and the sparse/type fields of attributes). Nothing else is parsed here. */

struct wire {
	const uint8_t *p, *end;
};

static bool
wire_varint(struct wire *w, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (w->p >= w->end)
			return false;
		uint8_t b = *w->p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* The next field: its number, wire type, varint value or length-delimited bytes. */
static bool
wire_next(struct wire *w, uint32_t *field, int *wt, uint64_t *val, struct ox_bytes *bytes)
{
	uint64_t key, n;

	if (!wire_varint(w, &key))
		return false;
	*field = (uint32_t)(key >> 3);
	*wt = (int)(key & 7);
	switch (*wt) {
	case 0:
		return wire_varint(w, val);
	case 1:
		if (w->end - w->p < 8)
			return false;
		w->p += 8;
		return true;
	case 2:
		if (!wire_varint(w, &n) || n > (uint64_t)(w->end - w->p))
			return false;
		bytes->data = w->p;
		bytes->len = (size_t)n;
		w->p += n;
		return true;
	case 5:
		if (w->end - w->p < 4)
			return false;
		w->p += 4;
		return true;
	}
	return false;
}

/* true when blob holds field number `field` at least once (malformed: false). */
static bool
blob_has_field(const struct ox_blob *blob, uint32_t field)
{
	struct wire w = { blob->data, blob->data + blob->len };
	uint32_t f;
	int wt;
	uint64_t v;
	struct ox_bytes b;

	while (w.p < w.end) {
		if (!wire_next(&w, &f, &wt, &v, &b))
			return false;
		if (f == field)
			return true;
	}
	return false;
}

/* The parts of a TensorProto that sparse checks need. */
struct wtensor {
	bool present, has_dtype, external;
	int dtype;
	int ndim;
	int64_t dims[OX_MAX_RANK];
	struct ox_bytes name, raw, msg;
	bool has_raw, has_int64;
};

static bool
wire_tensor(struct ox_bytes msg, struct wtensor *t)
{
	struct wire w = { msg.data, msg.data + msg.len };
	uint32_t f;
	int wt;
	uint64_t v;
	struct ox_bytes b;

	memset(t, 0, sizeof *t);
	t->present = true;
	t->msg = msg;
	while (w.p < w.end) {
		if (!wire_next(&w, &f, &wt, &v, &b))
			return false;
		if (f == 1 && wt == 0) {
			if (t->ndim >= OX_MAX_RANK)
				return false;
			t->dims[t->ndim++] = (int64_t)v;
		} else if (f == 1 && wt == 2) {
			struct wire p = { b.data, b.data + b.len };

			while (p.p < p.end) {
				if (t->ndim >= OX_MAX_RANK || !wire_varint(&p, &v))
					return false;
				t->dims[t->ndim++] = (int64_t)v;
			}
		} else if (f == 2 && wt == 0) {
			t->has_dtype = true;
			t->dtype = (int)v;
		} else if (f == 8 && wt == 2) {
			t->name = b;
		} else if (f == 9 && wt == 2) {
			t->has_raw = true;
			t->raw = b;
		} else if (f == 7) {
			t->has_int64 = true;
		} else if (f == 14 && wt == 0 && v == 1) {
			t->external = true;
		}
	}
	return true;
}

/* The int64 elements of t (raw_data or int64_data), malloc'ed into *out; the count,
 * or -1 when malformed or out of memory. At most cap elements are read. */
static int64_t
wire_int64s(const struct wtensor *t, int64_t cap, int64_t **out)
{
	int64_t n = 0;
	int64_t *a;

	*out = NULL;
	if (t->has_raw) {
		n = (int64_t)(t->raw.len / 8);
		if (n > cap)
			n = cap;
		if (!(a = malloc(((size_t)n + 1) * sizeof *a)))
			return -1;
		for (int64_t i = 0; i < n; i++) {
			uint64_t x = 0;

			for (int k = 7; k >= 0; k--)
				x = x << 8 | t->raw.data[i * 8 + k];
			a[i] = (int64_t)x;
		}
		*out = a;
		return n;
	}
	/* Each varint takes at least one byte, so the message length bounds the count. */
	if (!(a = malloc((t->msg.len + 1) * sizeof *a)))
		return -1;
	struct wire w = { t->msg.data, t->msg.data + t->msg.len };
	uint32_t f;
	int wt;
	uint64_t v;
	struct ox_bytes b;

	while (w.p < w.end && n < cap) {
		if (!wire_next(&w, &f, &wt, &v, &b)) {
			free(a);
			return -1;
		}
		if (f != 7)
			continue;
		if (wt == 0) {
			a[n++] = (int64_t)v;
		} else if (wt == 2) {
			struct wire p = { b.data, b.data + b.len };

			while (p.p < p.end && n < cap) {
				if (!wire_varint(&p, &v)) {
					free(a);
					return -1;
				}
				a[n++] = (int64_t)v;
			}
		}
	}
	*out = a;
	return n;
}

/* A SparseTensorProto: values [NNZ], indices [NNZ] (linear) or [NNZ, rank], dims. */
static void
check_sparse(struct ctx *c, const struct ox_node *node, struct ox_bytes msg)
{
	struct wire w = { msg.data, msg.data + msg.len };
	struct wtensor values = { 0 }, indices = { 0 };
	int64_t dims[OX_MAX_RANK];
	int ndim = 0;
	uint32_t f;
	int wt;
	uint64_t v;
	struct ox_bytes b;
	char name[256];
	int64_t nnz, dense = 1, *idx = NULL, n;
	bool overflow = false;

	while (w.p < w.end) {
		if (!wire_next(&w, &f, &wt, &v, &b))
			goto malformed;
		if (f == 1 && wt == 2) {
			if (!wire_tensor(b, &values))
				goto malformed;
		} else if (f == 2 && wt == 2) {
			if (!wire_tensor(b, &indices))
				goto malformed;
		} else if (f == 3 && wt == 0) {
			if (ndim >= OX_MAX_RANK)
				goto malformed;
			dims[ndim++] = (int64_t)v;
		} else if (f == 3 && wt == 2) {
			struct wire p = { b.data, b.data + b.len };

			while (p.p < p.end) {
				if (ndim >= OX_MAX_RANK || !wire_varint(&p, &v))
					goto malformed;
				dims[ndim++] = (int64_t)v;
			}
		}
	}
	snprintf(name, sizeof name, "%.*s", (int)(values.name.len < 200 ? values.name.len : 200),
		 values.name.data ? (const char *)values.name.data : "");
	if (!values.present) {
		issue(c, OX_V_SPARSE_VALUES_RANK, node, "sparse tensor has no values tensor");
		return;
	}
	if (!values.has_dtype || values.dtype == 0)
		issue(c, OX_V_TENSOR_DTYPE_MISSING, node, "sparse tensor '%s': its values have no element type", name);
	else
		check_dtype(c, node, values.dtype, "sparse tensor", name);
	if (values.ndim != 1) {
		issue(c, OX_V_SPARSE_VALUES_RANK, node, "sparse tensor '%s': values must have rank 1 ([NNZ]), not %d",
		      name, values.ndim);
		return;
	}
	nnz = values.dims[0];
	if (ndim == 0) {
		issue(c, OX_V_SPARSE_DIMS, node, "sparse tensor '%s' has no dense shape (dims)", name);
		return;
	}
	for (int i = 0; i < ndim; i++) {
		if (dims[i] <= 0) {
			issue(c, OX_V_SPARSE_DIMS, node, "sparse tensor '%s': dense dimension %d is %lld, not positive",
			      name, i, (long long)dims[i]);
			return;
		}
		if (dense > INT64_MAX / dims[i])
			overflow = true;
		else
			dense *= dims[i];
	}
	if (!indices.present) {
		if (nnz != 0)
			issue(c, OX_V_SPARSE_NO_INDICES, node, "sparse tensor '%s' has %lld values but no indices",
			      name, (long long)nnz);
		return;
	}
	if (!indices.has_dtype || indices.dtype != OX_INT64) {
		issue(c, OX_V_SPARSE_INDICES_TYPE, node, "sparse tensor '%s': indices must be int64, not %s",
		      name, indices.has_dtype ? ox_dtype_name(indices.dtype) : "unset");
		return;
	}
	if (indices.external || values.external)
		return; /* their bytes live in a side file this check does not read */
	if (indices.ndim == 1) {
		if (indices.dims[0] != nnz) {
			issue(c, OX_V_SPARSE_INDICES_SHAPE, node, "sparse tensor '%s' has %lld indices for %lld values",
			      name, (long long)indices.dims[0], (long long)nnz);
			return;
		}
	} else if (indices.ndim == 2) {
		if (indices.dims[0] != nnz || indices.dims[1] != ndim) {
			issue(c, OX_V_SPARSE_INDICES_SHAPE, node, "sparse tensor '%s': indices have shape [%lld, %lld], "
			      "expected [%lld, %d]", name, (long long)indices.dims[0], (long long)indices.dims[1],
			      (long long)nnz, ndim);
			return;
		}
	} else {
		issue(c, OX_V_SPARSE_INDICES_SHAPE, node, "sparse tensor '%s': indices must have rank 1 or 2, not %d",
		      name, indices.ndim);
		return;
	}
	int64_t want = indices.ndim == 1 ? nnz : (nnz > INT64_MAX / ndim ? -1 : nnz * ndim);

	if (want < 0 || (n = wire_int64s(&indices, want, &idx)) < 0)
		goto malformed;
	if (n != want) {
		issue(c, OX_V_SPARSE_INDICES_SHAPE, node, "sparse tensor '%s': indices hold %lld numbers, their "
		      "shape needs %lld", name, (long long)n, (long long)want);
		free(idx);
		return;
	}
	int64_t prev = -1;

	for (int64_t k = 0; k < nnz; k++) {
		int64_t lin = 0;

		if (indices.ndim == 1) {
			lin = idx[k];
			if (lin < 0 || (!overflow && lin >= dense)) {
				issue(c, OX_V_SPARSE_INDEX_RANGE, node, "sparse tensor '%s': index %lld at position %lld "
				      "is outside [0, %lld)", name, (long long)lin, (long long)k, (long long)dense);
				break;
			}
		} else {
			bool bad = false;

			for (int j = 0; j < ndim && !bad; j++) {
				int64_t x = idx[k * ndim + j];

				if (x < 0 || x >= dims[j]) {
					issue(c, OX_V_SPARSE_INDEX_RANGE, node, "sparse tensor '%s': index [%lld, %d] = %lld "
					      "is outside [0, %lld)", name, (long long)k, j, (long long)x, (long long)dims[j]);
					bad = true;
				}
				lin = overflow ? 0 : lin * dims[j] + x;
			}
			if (bad)
				break;
		}
		if (!overflow && lin <= prev) {
			issue(c, OX_V_SPARSE_INDEX_ORDER, node, "sparse tensor '%s': index at position %lld is not "
			      "after the one before it (indices must be sorted and distinct)", name, (long long)k);
			break;
		}
		prev = lin;
	}
	free(idx);
	return;
malformed:
	issue(c, OX_V_SPARSE_MALFORMED, node, "a sparse tensor is not a well-formed SparseTensorProto");
}

/* --- dense tensors --- */

static void
check_tensor(struct ctx *c, const struct ox_node *node, const struct ox_tensor *t, const char *fallback)
{
	const char *name = t->name && *t->name ? t->name : fallback;

	if (!t->has_dtype || t->dtype == OX_UNDEFINED) {
		issue(c, OX_V_TENSOR_DTYPE_MISSING, node, "tensor '%s' has no element type (data_type %s)", name,
		      t->has_dtype ? "is UNDEFINED" : "missing");
		return;
	}
	check_dtype(c, node, t->dtype, "tensor", name);
	if (t->nelem == 0 && t->store != OX_STORE_EXTERNAL &&
	    ((t->store == OX_STORE_RAW && t->nbytes > 0) || (t->store == OX_STORE_FIELD && t->nbytes > 0)))
		issue(c, OX_V_TENSOR_EMPTY_WITH_DATA, node, "tensor '%s' has no elements but carries data", name);
}

/* --- nodes --- */

/* The version the current context imports for domain d: >= 0, or -1 when none.
 * *alias tells that it was found only under the other spelling of ONNX's domain. */
static int64_t
imported(const struct ctx *c, const char *d, bool *alias)
{
	*alias = false;
	for (size_t i = 0; i < c->n_opsets; i++)
		if (!strcmp(domain_of(c->opsets[i].domain), d))
			return c->opsets[i].has_version ? c->opsets[i].version : 0;
	if (!strcmp(d, "") || !strcmp(d, "ai.onnx")) {
		const char *other = *d ? "" : "ai.onnx";

		for (size_t i = 0; i < c->n_opsets; i++)
			if (!strcmp(domain_of(c->opsets[i].domain), other)) {
				*alias = true;
				return c->opsets[i].has_version ? c->opsets[i].version : 0;
			}
	}
	return -1;
}

static bool
domain_has_registry(const char *d)
{
	return !strcmp(d, "") || !strcmp(d, "ai.onnx") || !strcmp(d, "ai.onnx.ml");
}

static const char *attr_type_names[] = {
	"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS",
	"TENSORS", "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS",
};

static const char *
attr_type_name(int t)
{
	return t >= 0 && t < (int)(sizeof attr_type_names / sizeof *attr_type_names) ? attr_type_names[t] : "?";
}

/* The value fields an attribute carries, as a bit set of attribute types. */
static unsigned
attr_fields(const struct ox_attr *a)
{
	unsigned f = 0;

	f |= a->has_f ? 1u << OX_ATTR_FLOAT : 0;
	f |= a->has_i ? 1u << OX_ATTR_INT : 0;
	f |= a->has_s ? 1u << OX_ATTR_STRING : 0;
	f |= a->t ? 1u << OX_ATTR_TENSOR : 0;
	f |= a->g ? 1u << OX_ATTR_GRAPH : 0;
	f |= a->n_floats ? 1u << OX_ATTR_FLOATS : 0;
	f |= a->n_ints ? 1u << OX_ATTR_INTS : 0;
	f |= a->n_strings ? 1u << OX_ATTR_STRINGS : 0;
	f |= a->n_tensors ? 1u << OX_ATTR_TENSORS : 0;
	f |= a->n_graphs ? 1u << OX_ATTR_GRAPHS : 0;
	if (a->rest.len) {
		/* AttributeProto fields 14 tp, 15 type_protos, 22 sparse_tensor,
		 * 23 sparse_tensors: the IR keeps them in the blob. */
		f |= blob_has_field(&a->rest, 14) ? 1u << OX_ATTR_TYPE_PROTO : 0;
		f |= blob_has_field(&a->rest, 15) ? 1u << OX_ATTR_TYPE_PROTOS : 0;
		f |= blob_has_field(&a->rest, 22) ? 1u << OX_ATTR_SPARSE_TENSOR : 0;
		f |= blob_has_field(&a->rest, 23) ? 1u << OX_ATTR_SPARSE_TENSORS : 0;
	}
	return f;
}

static int popcount(unsigned x)
{
	int n = 0;

	for (; x; x &= x - 1)
		n++;
	return n;
}

static void check_graph(struct ctx *c, struct ox_graph *g);

static void
check_sparse_fields(struct ctx *c, const struct ox_node *node, const struct ox_attr *a)
{
	struct wire w = { a->rest.data, a->rest.data + a->rest.len };
	uint32_t f;
	int wt;
	uint64_t v;
	struct ox_bytes b;

	while (w.p < w.end) {
		if (!wire_next(&w, &f, &wt, &v, &b))
			return;
		if ((f == 22 || f == 23) && wt == 2)
			check_sparse(c, node, b);
	}
}

static void
check_subgraph(struct ctx *c, struct ox_node *node, const char *attr, size_t k, bool many,
	       struct ox_graph *sub)
{
	size_t len = strlen(c->path);
	const char *who = node->name && *node->name ? node->name : node->op_type;

	if (many)
		snprintf(c->path + len, sizeof c->path - len, "%s%s/%s[%zu]", len ? "/" : "", who, attr, k);
	else
		snprintf(c->path + len, sizeof c->path - len, "%s%s/%s", len ? "/" : "", who, attr);
	c->depth++;
	check_graph(c, sub);
	c->depth--;
	c->path[len] = '\0';
}

/* What the checker asks of any attribute, whatever its op: a name, a type, one value
 * field matching the type; then its tensors and subgraphs. */
static void
check_attr_generic(struct ctx *c, struct ox_node *node, struct ox_attr *a)
{
	unsigned fields = attr_fields(a);
	bool ref = a->ref_attr_name && *a->ref_attr_name;

	if (!a->name || !*a->name)
		issue(c, OX_V_ATTRIBUTE_NAME_EMPTY, node, "an attribute has no name");
	if (!a->has_type && c->ir >= 2)
		issue(c, OX_V_ATTRIBUTE_TYPE_MISSING, node, "attribute '%s' has no type field", a->name ? a->name : "");
	if (a->has_type && fields & ~(1u << a->type)) {
		int other = 0;

		while (!(fields & ~(1u << a->type) & (1u << other)))
			other++;
		issue(c, OX_V_ATTRIBUTE_VALUE_FIELD, node, "attribute '%s' is typed %s but holds a %s value",
		      a->name ? a->name : "", attr_type_name(a->type), attr_type_name(other));
	} else if (popcount(fields) > 1) {
		issue(c, OX_V_ATTRIBUTE_VALUE_FIELD, node, "attribute '%s' holds more than one value field",
		      a->name ? a->name : "");
	}
	if (ref && fields && (c->in_function || c->depth > 0))
		issue(c, OX_V_ATTRIBUTE_REF_WITH_VALUE, node, "attribute '%s' refers to the caller's '%s' but also "
		      "holds a value", a->name ? a->name : "", a->ref_attr_name);
	if (a->t)
		check_tensor(c, node, a->t, a->name ? a->name : "");
	for (size_t k = 0; k < a->n_tensors; k++)
		check_tensor(c, node, a->tensors[k], a->name ? a->name : "");
	if (fields & (1u << OX_ATTR_SPARSE_TENSOR | 1u << OX_ATTR_SPARSE_TENSORS))
		check_sparse_fields(c, node, a);
	if (a->g)
		check_subgraph(c, node, a->name ? a->name : "", 0, false, a->g);
	for (size_t k = 0; k < a->n_graphs; k++)
		check_subgraph(c, node, a->name ? a->name : "", k, true, a->graphs[k]);
}

/* The kind and element type of v where known: tensor, seq(tensor), optional(...). */
struct vt {
	int kind;        /* 0 unknown, 1 tensor, 2 seq, 3 optional(tensor), 4 optional(seq) */
	int elem;
};

static struct vt
value_vt(const struct ox_value *v)
{
	const struct ox_type *t = v->type;
	struct vt r = { 0, 0 };

	if (!t) {
		if (v->init && v->init->has_dtype && v->init->dtype) {
			r.kind = 1;
			r.elem = v->init->dtype;
		}
		return r;
	}
	if (t->kind == OX_TYPE_TENSOR && t->has_elem && t->elem) {
		r.kind = 1;
		r.elem = t->elem;
	} else if (t->kind == OX_TYPE_SEQUENCE && t->inner && t->inner->kind == OX_TYPE_TENSOR &&
		   t->inner->has_elem && t->inner->elem) {
		r.kind = 2;
		r.elem = t->inner->elem;
	} else if (t->kind == OX_TYPE_OPTIONAL && t->inner) {
		struct ox_value tmp = { .type = t->inner };
		struct vt in = value_vt(&tmp);

		if (in.kind == 1 || in.kind == 2) {
			r.kind = in.kind + 2;
			r.elem = in.elem;
		}
	}
	return r;
}

static const char *
vt_text(struct vt t, char *buf, size_t n)
{
	static const char *fmt[] = { "?", "tensor(%s)", "seq(tensor(%s))", "optional(tensor(%s))",
				     "optional(seq(tensor(%s)))" };

	snprintf(buf, n, fmt[t.kind], ox_dtype_name(t.elem));
	return buf;
}

/* Check one argument against its formal: the constraint's allowed types, and the
 * constraint's binding so far (bound[tc]). */
static void
check_arg(struct ctx *c, const struct ox_node *node, const struct ox_op_schema *s,
	  const struct ox_op_formal *f, const struct ox_value *v, const char *role, int i,
	  struct vt *bound, const char **bound_by)
{
	struct vt t = value_vt(v);
	char buf[64], buf2[64];
	bool ok;

	/* An element type no release defines, or not at the model's IR version, is
	 * reported once, as dtype-unknown. */
	if (!t.kind || !f || !dtype_min_ir(t.elem) || (c->ir > 0 && c->ir < dtype_min_ir(t.elem)))
		return;
	if (f->tc < 0) {
		if (t.kind != 1 || !f->tensor)
			return; /* concrete non-tensor types: not modelled by the registry masks */
		ok = ox_op_mask_has(f->tensor, t.elem);
	} else {
		const struct ox_op_tc *tc = &s->tcs[f->tc];
		uint64_t mask = t.kind == 1 ? tc->tensor : t.kind == 2 ? tc->seq : t.kind == 3 ? tc->opt : tc->opt_seq;

		ok = ox_op_mask_has(mask, t.elem);
	}
	if (!ok) {
		issue(c, OX_V_TYPE_CONSTRAINT, node, "%s %d ('%s') is %s, which %s-%d does not allow for %s (%s)",
		      role, i, v->name, vt_text(t, buf, sizeof buf), s->name, s->since_version, f->name, f->type);
		return;
	}
	if (!bound || f->tc < 0 || f->heterogeneous || f->tc >= 32)
		return;
	if (!bound[f->tc].kind) {
		bound[f->tc] = t;
		bound_by[f->tc] = v->name;
	} else if (bound[f->tc].kind != t.kind || bound[f->tc].elem != t.elem) {
		issue(c, OX_V_TYPE_BINDING, node, "type parameter %s is bound to %s by '%s' and to %s by '%s'",
		      f->type, vt_text(bound[f->tc], buf, sizeof buf), bound_by[f->tc], vt_text(t, buf2, sizeof buf2),
		      v->name);
	}
}

static bool
is_local_function(const struct ctx *c, const char *domain, const char *op)
{
	for (size_t i = 0; i < c->m->n_functions; i++) {
		const struct ox_function *f = c->m->functions[i];

		if (f->name && !strcmp(f->name, op) && !strcmp(domain_of(f->domain), domain))
			return true;
	}
	return false;
}

/* The type constraints that the checker's check_type adds, on every argument whose
 * type is known (declared, an initializer's, or inferred with --full). */
static void
check_types(struct ctx *c, const struct ox_node *node, const struct ox_op_schema *s)
{
	struct vt bound[32] = { { 0, 0 } };
	const char *bound_by[32] = { 0 };

	for (int i = 0; i < node->n_in; i++)
		if (node->in[i])
			check_arg(c, node, s, ox_op_input(s, i), node->in[i], "input", i, bound, bound_by);
	/* With --full, inference already compared each declared output with what the
	 * inputs give; a binding issue would say that again. Membership still
	 * matters: an inferred output type can break the constraint (Constant-1 of
	 * an int64 tensor). */
	for (int i = 0; i < node->n_out; i++)
		if (node->out[i])
			check_arg(c, node, s, ox_op_output(s, i), node->out[i], "output", i,
				  c->full ? NULL : bound, bound_by);
}

/* The node against its registry row: what OpSchema::Verify checks, then the types. */
static void
check_schema(struct ctx *c, struct ox_node *node, const struct ox_op_schema *s)
{

	if (node->n_in < s->min_inputs || node->n_in > s->max_inputs) {
		if (s->max_inputs == OX_OP_UNBOUNDED)
			issue(c, OX_V_INPUT_COUNT, node, "has %d inputs; %s-%d takes at least %d", node->n_in,
			      s->name, s->since_version, s->min_inputs);
		else
			issue(c, OX_V_INPUT_COUNT, node, "has %d inputs; %s-%d takes %d to %d", node->n_in,
			      s->name, s->since_version, s->min_inputs, s->max_inputs);
	}
	if (node->n_out < s->min_outputs || node->n_out > s->max_outputs) {
		if (s->max_outputs == OX_OP_UNBOUNDED)
			issue(c, OX_V_OUTPUT_COUNT, node, "has %d outputs; %s-%d gives at least %d", node->n_out,
			      s->name, s->since_version, s->min_outputs);
		else
			issue(c, OX_V_OUTPUT_COUNT, node, "has %d outputs; %s-%d gives %d to %d", node->n_out,
			      s->name, s->since_version, s->min_outputs, s->max_outputs);
	}
	for (int i = 0; i < node->n_in && i < s->n_inputs; i++)
		if (!node->in[i] && s->inputs[i].option == OX_OP_SINGLE)
			issue(c, OX_V_REQUIRED_INPUT_EMPTY, node, "input %d ('%s') is required but left empty",
			      i, s->inputs[i].name);
	for (int i = 0; i < node->n_out && i < s->n_outputs; i++)
		if (!node->out[i] && s->outputs[i].option == OX_OP_SINGLE)
			issue(c, OX_V_REQUIRED_OUTPUT_EMPTY, node, "output %d ('%s') is required but left empty",
			      i, s->outputs[i].name);

	for (size_t k = 0; k < node->n_attrs; k++) {
		const struct ox_attr *a = &node->attrs[k];
		const struct ox_op_attr *sa;
		unsigned fields;

		/* Names starting with two underscores are implementation details that
		 * ONNX tells checkers to ignore. */
		if (!a->name || (a->name[0] == '_' && a->name[1] == '_'))
			continue;
		for (size_t j = 0; j < k; j++)
			if (node->attrs[j].name && !strcmp(node->attrs[j].name, a->name)) {
				issue(c, OX_V_ATTRIBUTE_DUPLICATE, node, "attribute '%s' is given twice", a->name);
				break;
			}
		sa = ox_op_attr_find(s, a->name);
		if (!sa) {
			issue(c, OX_V_UNKNOWN_ATTRIBUTE, node, "%s-%d has no attribute '%s'", s->name,
			      s->since_version, a->name);
			continue;
		}
		if ((a->has_type || c->ir < 2) && a->type != sa->type) {
			issue(c, OX_V_ATTRIBUTE_TYPE, node, "attribute '%s' is %s; %s-%d wants %s", a->name,
			      attr_type_name(a->type), s->name, s->since_version, attr_type_name(sa->type));
			continue;
		}
		if (a->ref_attr_name && *a->ref_attr_name)
			continue;
		fields = attr_fields(a);
		if (sa->type != OX_ATTR_FLOAT && sa->type != OX_ATTR_INT && sa->type != OX_ATTR_STRING &&
		    !(fields & 1u << sa->type))
			issue(c, OX_V_ATTRIBUTE_VALUE_EMPTY, node, "attribute '%s' (%s) has no value%s", a->name,
			      attr_type_name(sa->type), sa->type >= OX_ATTR_FLOATS && sa->type != OX_ATTR_SPARSE_TENSOR &&
			      sa->type != OX_ATTR_TYPE_PROTO ? " (an empty list is not allowed)" : "");
	}
	for (int k = 0; k < s->n_attrs; k++) {
		const struct ox_op_attr *sa = &s->attrs[k];

		if (sa->required && !ox_node_attr(node, sa->name))
			issue(c, OX_V_ATTRIBUTE_MISSING, node, "required attribute '%s' is missing", sa->name);
	}

	if (!c->defer_types)
		check_types(c, node, s);
}

static void
check_node(struct ctx *c, struct ox_node *node)
{
	const char *d = domain_of(node->domain);
	const struct ox_op_schema *s;
	bool alias;
	int64_t ver;

	if (!node->op_type || !*node->op_type)
		issue(c, OX_V_OP_TYPE_EMPTY, node, "a node has no op_type");
	if (node->n_in == 0 && node->n_out == 0)
		issue(c, OX_V_NODE_NO_IO, node, "the node has neither inputs nor outputs");
	for (size_t k = 0; k < node->n_attrs; k++)
		check_attr_generic(c, node, &node->attrs[k]);
	/* A node without inputs and outputs fails every arity; one issue says it. */
	if (!node->op_type || !*node->op_type || (node->n_in == 0 && node->n_out == 0))
		return;

	ver = imported(c, d, &alias);
	if (ver < 0) {
		/* A model with no opset_import at all has that reported once, as
		 * opset-missing. */
		if (!c->in_function && c->m->n_opsets == 0)
			return;
		if (first_time(c, "noimport\x1f%s\x1f%s", c->in_function ? c->path : "", d))
			issue(c, OX_V_OPSET_NOT_IMPORTED, node, "domain '%s' is used but not in %s opset_import "
			      "(reported once)", shown_domain(node->domain), c->in_function ? "the function's" : "the model's");
		return;
	}
	if (alias && first_time(c, "alias\x1f%s\x1f%s", d, ""))
		issue(c, OX_V_DOMAIN_ALIAS, node, "domain '%s' is imported as '%s'; both name ONNX's default domain "
		      "(onnx 1.12's checker does not accept the mix)", *d ? d : "", *d ? "" : "ai.onnx");
	if (!domain_has_registry(d)) {
		if (!is_local_function(c, d, node->op_type) &&
		    first_time(c, "custom\x1f%s\x1f%s", d, node->op_type))
			issue(c, OX_V_CUSTOM_OP, node, "%s:%s has no schema here; its nodes are not checked "
			      "(reported once)", d, node->op_type);
		return;
	}
	if (ver <= 0)
		return; /* already reported as opset-version-invalid */
	s = ox_op_find(d, node->op_type, ver > INT32_MAX ? INT32_MAX : (int)ver);
	if (!s) {
		int n;

		if (ox_op_versions(d, node->op_type, &n))
			issue(c, OX_V_UNKNOWN_OP, node, "%s is not defined at opset %lld of %s (it first appears "
			      "in opset %d)", node->op_type, (long long)ver, shown_domain(node->domain),
			      ox_op_versions(d, node->op_type, &n)->since_version);
		else
			issue(c, OX_V_UNKNOWN_OP, node, "%s is not an operator of %s", node->op_type,
			      shown_domain(node->domain));
		return;
	}
	if (s->deprecated) {
		issue(c, OX_V_DEPRECATED_OP, node, "%s is deprecated (removed) from opset %d of %s; the model "
		      "imports %lld", node->op_type, s->since_version, shown_domain(node->domain), (long long)ver);
		return;
	}
	check_schema(c, node, s);
}

/* --- graphs --- */

static bool
defined(const struct ctx *c, const struct ox_value *v)
{
	for (const struct frame *f = c->scope; f; f = f->up)
		if (f->g == v->graph)
			return v->id >= 0 && (size_t)v->id < f->g->n_values && f->g->values[v->id] == v
				? f->seen[v->id] : true;
	return true; /* a value of a graph we are not inside: the loader bound it */
}

static void
mark(struct frame *f, const struct ox_value *v)
{
	if (v && v->graph == f->g && v->id >= 0 && (size_t)v->id < f->g->n_values && f->g->values[v->id] == v)
		f->seen[v->id] = 1;
}

static void
check_graph(struct ctx *c, struct ox_graph *g)
{
	struct frame fr = { g, calloc(g->n_values + 1, 1), c->scope };
	struct ox_strmap node_names;
	bool main_graph = c->depth == 0 && !c->in_function;

	if (!fr.seen) {
		c->r->oom = true;
		return;
	}
	c->scope = &fr;
	ox_strmap_init(&node_names);
	if (!c->in_function && (!g->name || !*g->name))
		issue(c, OX_V_GRAPH_NAME_EMPTY, NULL, "the %s has no name", c->depth ? "subgraph" : "graph");

	for (size_t i = 0; i < g->n_inputs; i++) {
		struct ox_value *v = g->inputs[i];

		mark(&fr, v);
		if (main_graph)
			check_io_type(c, v, "input");
		check_type_dtypes(c, v->type, v->name);
	}
	for (size_t i = 0; i < g->n_inits; i++) {
		struct ox_value *v = g->inits[i];

		mark(&fr, v);
		check_tensor(c, NULL, v->init, v->name);
		/* Before IR 4 every initializer had to be a graph input too. */
		if (c->ir > 0 && c->ir < 4 && !v->is_input)
			issue(c, OX_V_INITIALIZER_NOT_INPUT, NULL, "initializer '%s' is not a graph input (required "
			      "before IR version 4)", v->name);
	}
	for (size_t i = 0; i < g->n_sparse_inits; i++) {
		struct ox_value *v = g->sparse_inits[i];
		struct ox_bytes b = { v->sparse.len, v->sparse.data };

		mark(&fr, v);
		check_sparse(c, NULL, b);
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];

		if (node->dead)
			continue;
		for (int k = 0; k < node->n_in; k++) {
			struct ox_value *v = node->in[k];

			if (v && !defined(c, v))
				issue(c, OX_V_NOT_TOPOLOGICAL, node, "input '%s' is used before the node that "
				      "produces it%s", v->name, v->graph != g ? " (in the enclosing graph)" : "");
		}
		if (node->name && *node->name) {
			if (ox_strmap_get(&node_names, node->name))
				issue(c, OX_V_DUPLICATE_NODE_NAME, node, "another node of this graph has the same name");
			else if (ox_strmap_put(&node_names, node->name, node) < 0)
				c->r->oom = true;
		}
		check_node(c, node);
		for (int k = 0; k < node->n_out; k++)
			mark(&fr, node->out[k]);
	}
	for (size_t i = 0; i < g->n_outputs; i++) {
		struct ox_value *v = g->outputs[i];

		/* An output listed with its own entry (an outer value, a repeat) carries
		 * that entry's type in a blob; the value's own type stands in for it. */
		if (main_graph && !(g->output_info && g->output_info[i].data))
			check_io_type(c, v, "output");
		if (!v->is_input)
			check_type_dtypes(c, v->type, v->name);
	}
	for (size_t i = 0; i < g->n_value_info; i++)
		if (!g->value_info[i]->info_only)
			check_type_dtypes(c, g->value_info[i]->type, g->value_info[i]->name);

	ox_strmap_release(&node_names);
	c->scope = fr.up;
	free(fr.seen);
}

/* The deferred type pass: every node of g and its subgraphs whose schema resolves. */
static void
types_graph(struct ctx *c, struct ox_graph *g)
{
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];
		const char *d = domain_of(node->domain);
		const struct ox_op_schema *s;
		bool alias;
		int64_t ver;

		if (node->dead)
			continue;
		for (size_t k = 0; k < node->n_attrs; k++) {
			const struct ox_attr *a = &node->attrs[k];

			if (a->g)
				types_graph(c, a->g);
			for (size_t j = 0; j < a->n_graphs; j++)
				types_graph(c, a->graphs[j]);
		}
		ver = imported(c, d, &alias);
		if (ver <= 0 || ver > INT32_MAX || !domain_has_registry(d) || !node->op_type)
			continue;
		s = ox_op_find(d, node->op_type, (int)ver);
		if (s && !s->deprecated)
			check_types(c, node, s);
	}
}

/* --- model header --- */

/* The IR version that first carried opset v of domain d; 0 when unknown. From
 * onnx-opset-releases.tsv: the release that introduced the opset. */
static int
opset_min_ir(const char *d, int64_t v)
{
	static const signed char onnx_ir[] = { 0, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5, 6, 7, 7, 7, 8, 8, 8, 8,
					       9, 9, 10, 10, 11, 12, 13, 13, 13, 13 };
	static const signed char ml_ir[] = { 0, 3, 6, 8, 9, 10 };

	if (!strcmp(d, "") || !strcmp(d, "ai.onnx"))
		return v > 0 && v < (int64_t)sizeof onnx_ir ? onnx_ir[v] : 0;
	if (!strcmp(d, "ai.onnx.ml"))
		return v > 0 && v < (int64_t)sizeof ml_ir ? ml_ir[v] : 0;
	if (!strcmp(d, "ai.onnx.preview.training"))
		return v == 1 ? 7 : 0;
	return -1; /* not a domain ONNX versions */
}

static void
check_opsets(struct ctx *c, const struct ox_opset *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *d = domain_of(o[i].domain);
		int min_ir;

		for (size_t j = 0; j < i; j++) {
			const char *e = domain_of(o[j].domain);

			if (!strcmp(d, e) || ((!*d || !strcmp(d, "ai.onnx")) && (!*e || !strcmp(e, "ai.onnx")))) {
				issue(c, OX_V_OPSET_DUPLICATE, NULL, "domain '%s' is imported more than once",
				      shown_domain(o[i].domain));
				break;
			}
		}
		if (!o[i].has_version) {
			issue(c, OX_V_OPSET_VERSION_INVALID, NULL, "the import of domain '%s' has no version",
			      shown_domain(o[i].domain));
			continue;
		}
		min_ir = opset_min_ir(d, o[i].version);
		if (o[i].version <= 0 || min_ir == 0)
			issue(c, OX_V_OPSET_VERSION_INVALID, NULL, "no ONNX release defines opset %lld of '%s'",
			      (long long)o[i].version, shown_domain(o[i].domain));
		else if (min_ir > 0 && c->ir > 0 && c->ir < min_ir && !c->in_function)
			issue(c, OX_V_IR_OPSET_MISMATCH, NULL, "opset %lld of '%s' came with IR version %d; the model "
			      "declares IR version %lld", (long long)o[i].version, shown_domain(o[i].domain), min_ir,
			      (long long)c->ir);
	}
}

static void
check_function(struct ctx *c, struct ox_function *f)
{
	const struct ox_opset *mo = c->opsets;
	size_t mn = c->n_opsets;
	struct ox_graph *b = f->body;

	snprintf(c->path, sizeof c->path, "function %s:%s", shown_domain(f->domain), f->name ? f->name : "");
	if (!f->name || !*f->name)
		issue(c, OX_V_FUNCTION_NAME_EMPTY, NULL, "a model-local function has no name");
	if (c->ir >= 8 && !f->domain)
		issue(c, OX_V_FUNCTION_DOMAIN_MISSING, NULL, "the function has no domain field (required from IR 8)");
	for (size_t i = 0; b && i < b->n_outputs; i++)
		for (size_t j = 0; j < i; j++)
			if (b->outputs[i] == b->outputs[j]) {
				issue(c, OX_V_FUNCTION_DUPLICATE_OUTPUT, NULL, "output '%s' is listed twice",
				      b->outputs[i]->name);
				break;
			}
	for (size_t i = 0; i < f->n_attr_names + f->n_attr_defaults; i++) {
		const char *a = i < f->n_attr_names ? f->attr_names[i] : f->attr_defaults[i - f->n_attr_names].name;

		for (size_t j = 0; j < i && a; j++) {
			const char *e = j < f->n_attr_names ? f->attr_names[j] : f->attr_defaults[j - f->n_attr_names].name;

			if (e && !strcmp(a, e)) {
				issue(c, OX_V_FUNCTION_DUPLICATE_ATTRIBUTE, NULL, "attribute '%s' is declared twice", a);
				break;
			}
		}
	}
	c->in_function = true;
	c->opsets = f->opsets;
	c->n_opsets = f->n_opsets;
	check_opsets(c, f->opsets, f->n_opsets);
	/* An op the function imports at another version than the model must resolve to
	 * the same schema under both. */
	for (size_t i = 0; b && i < b->n_nodes; i++) {
		const struct ox_node *node = b->nodes[i];
		const char *d = domain_of(node->domain);
		bool alias;
		int64_t fv = imported(c, d, &alias), mv = -1;

		for (size_t k = 0; k < mn; k++)
			if (!strcmp(domain_of(mo[k].domain), d) && mo[k].has_version)
				mv = mo[k].version;
		if (fv > 0 && mv > 0 && fv != mv && domain_has_registry(d) && fv <= INT32_MAX && mv <= INT32_MAX) {
			const struct ox_op_schema *fs = ox_op_find(d, node->op_type, (int)fv);
			const struct ox_op_schema *ms = ox_op_find(d, node->op_type, (int)mv);

			if ((fs || ms) && fs != ms)
				issue(c, OX_V_FUNCTION_OPSET_MISMATCH, node, "the function imports %s at %lld and the "
				      "model at %lld, which give %s different versions", shown_domain(node->domain),
				      (long long)fv, (long long)mv, node->op_type);
		}
	}
	if (b)
		check_graph(c, b);
	c->in_function = false;
	c->opsets = mo;
	c->n_opsets = mn;
	c->path[0] = '\0';
}

static void
check_header(struct ctx *c)
{
	struct ox_model *m = c->m;

	if (!m->has_ir_version)
		issue(c, OX_V_IR_VERSION_MISSING, NULL, "the model has no ir_version");
	else if (m->ir_version <= 0 || m->ir_version > NEWEST_IR)
		issue(c, OX_V_IR_VERSION_UNKNOWN, NULL, "IR version %lld is not one ONNX defines (1 to %d)",
		      (long long)m->ir_version, NEWEST_IR);
	if (m->has_ir_version && m->ir_version >= 3 && m->n_opsets == 0)
		issue(c, OX_V_OPSET_MISSING, NULL, "a model of IR version 3 or later must have opset_import");
	if (m->has_ir_version && m->ir_version > 0 && m->ir_version < 3 && m->n_opsets > 0)
		issue(c, OX_V_OPSET_FORBIDDEN, NULL, "a model of IR version %lld cannot have opset_import",
		      (long long)m->ir_version);
	check_opsets(c, m->opsets, m->n_opsets);
}

/* --- entry points --- */

void
ox_validate_prepare(void)
{
	ox_shape_register();
}

static void
full_check(struct ctx *c)
{
	struct ox_diag d;
	int n;

	ox_diag_init(&d, NULL);
	n = ox_shape_infer(c->m, 0, &d);
	for (size_t i = 0; i < d.n; i++) {
		const struct ox_diag_entry *e = &d.entries[i];

		if (e->severity != OX_ERROR)
			continue;
		if (e->code == OX_ENOMEM) {
			c->r->oom = true;
			continue;
		}
		add(c->r, OX_V_SHAPE_CONTRADICTION, NULL, e->op ? (e->node ? e->node : "") : e->node, e->op,
		     "%s", e->message);
	}
	if (n < 0 && d.n_errors == 0)
		issue(c, OX_V_SHAPE_CONTRADICTION, NULL, "shape inference could not run: %s", ox_strerror(n));
	ox_diag_release(&d);
}

int
ox_validate_model(struct ox_model *m, unsigned flags, struct ox_vreport *r)
{
	struct ctx c;
	size_t errors0 = r->n_errors;

	memset(&c, 0, sizeof c);
	c.r = r;
	c.m = m;
	c.ir = m->has_ir_version ? m->ir_version : 0;
	c.opsets = m->opsets;
	c.n_opsets = m->n_opsets;
	ox_strmap_init(&c.reported);
	ox_arena_init(&c.keys);

	c.full = c.defer_types = flags & OX_VALIDATE_FULL;
	check_header(&c);
	for (size_t i = 0; i < m->n_functions; i++)
		check_function(&c, m->functions[i]);
	if (m->graph)
		check_graph(&c, m->graph);
	/* Inference on a structurally broken model would only repeat the problems
	 * above in other words, or trip over them. */
	if (flags & OX_VALIDATE_FULL && r->n_errors == errors0)
		full_check(&c);
	if (c.defer_types && m->graph)
		types_graph(&c, m->graph);

	ox_strmap_release(&c.reported);
	ox_arena_release(&c.keys);
	r->status = r->n_errors > 0 ? OX_INVALID : OX_VALID;
	return r->oom ? OX_ENOMEM : (int)(r->n_errors - errors0);
}

/* Which rule a loader refusal breaks, by the words of its message; LOAD_REJECTED
 * when none matches. The loader's messages are the interface here: check_validate
 * pins one model per row so a reworded message shows up as a test failure. */
static const struct {
	const char *words;
	int code;
} load_rules[] = {
	{ "values must have rank 1", OX_V_SPARSE_VALUES_RANK },
	{ "has no values tensor", OX_V_SPARSE_VALUES_RANK },
	{ "dense dimension below zero", OX_V_SPARSE_DIMS },
	{ "dense elements", OX_V_SPARSE_DIMS },
	{ "but no indices", OX_V_SPARSE_NO_INDICES },
	{ "indices must be int64", OX_V_SPARSE_INDICES_TYPE },
	{ "is outside [0,", OX_V_SPARSE_INDEX_RANGE },
	{ "indices for", OX_V_SPARSE_INDICES_SHAPE },
	{ "is typed", OX_V_ATTRIBUTE_VALUE_FIELD },
	{ "which ONNX does not define", OX_V_DTYPE_UNKNOWN },
	{ "external data", OX_V_EXTERNAL_DATA },
	{ "stored externally", OX_V_EXTERNAL_DATA },
	{ "is not defined", OX_V_UNDEFINED_VALUE },
	{ "defined more than once", OX_V_DUPLICATE_DEFINITION },
	{ "empty name", OX_V_EMPTY_NAME },
	{ "cycle", OX_V_CYCLE },
	{ "shape needs", OX_V_TENSOR_DATA_SIZE },
	{ "but no data", OX_V_TENSOR_DATA_SIZE },
	{ "more than one field", OX_V_TENSOR_DATA_SIZE },
	{ "both raw_data and typed data", OX_V_TENSOR_DATA_SIZE },
	{ "cannot use raw_data", OX_V_TENSOR_DATA_SIZE },
	{ "does not fit", OX_V_TENSOR_DATA_SIZE },
	{ "has typed data but element type", OX_V_TENSOR_DATA_SIZE },
	{ "negative dimension", OX_V_TENSOR_DATA_SIZE },
};

int
ox_validate_file(const char *path, unsigned flags, struct ox_vreport *r)
{
	struct ox_model *m = NULL;
	struct ox_diag d;
	int rc;

	ox_diag_init(&d, path);
	rc = ox_model_load_flags(path, OX_LOAD_IN_PLACE, &m, &d);
	if (rc < 0) {
		/* The first error is the cause; later ones (if any) follow from it. */
		const struct ox_diag_entry *e = d.n ? &d.entries[0] : NULL;
		const char *msg = e ? e->message : ox_strerror(rc);
		int code = OX_V_UNREADABLE;

		if (rc == OX_ENOMEM) {
			ox_diag_release(&d);
			r->oom = true;
			return OX_ENOMEM;
		}
		/* A protobuf without a graph is what any byte string may decode to: not an
		 * ONNX model, rather than an invalid one. */
		if (rc == OX_EINVAL && !strstr(msg, "no graph")) {
			code = OX_V_LOAD_REJECTED;
			for (size_t i = 0; i < sizeof load_rules / sizeof *load_rules; i++)
				if (strstr(msg, load_rules[i].words)) {
					code = load_rules[i].code;
					break;
				}
		}
		add(r, code, NULL, e && (e->node || e->op) ? (e->node ? e->node : "") : NULL, e ? e->op : NULL,
		     "%s", msg);
		r->status = code == OX_V_UNREADABLE ? OX_UNREADABLE : OX_INVALID;
		ox_diag_release(&d);
		return r->oom ? OX_ENOMEM : 1;
	}
	ox_diag_release(&d);
	rc = ox_validate_model(m, flags, r);
	ox_model_free(m);
	return rc;
}

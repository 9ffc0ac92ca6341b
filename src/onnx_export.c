/* onnx_export.c: IR -> ModelProto. See onnx_io.h.
 *
 * The protobuf-c structs are built in a scratch arena that points at the IR's own
 * strings and tensor bytes (nothing large is copied), then streamed to the file.
 * Each message starts from its opaque blob (the fields the IR does not model) and the
 * modelled fields are filled in on top.
 */
#include "config.h"

#include "onnx_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx_pb.h"

struct ectx {
	struct ox_arena a;      /* scratch: released after writing */
	struct ox_diag *d;
	ProtobufCAllocator pa;
	/* Tensors whose bytes go to a side file instead of the model. */
	const char *side_name;  /* location written into the model, or NULL */
	FILE *side;             /* the open side file */
	uint64_t side_off;
	size_t threshold;
	bool relocate_external; /* external tensors are copied to the side file */
};

#define NOMEM(e) ox_diag_error((e)->d, OX_ENOMEM, "out of memory while writing")

/* A message of type desc, started from blob (its unmodelled fields). */
static void *
start(struct ectx *e, const ProtobufCMessageDescriptor *desc, const struct ox_blob *blob)
{
	ProtobufCMessage *m;

	if (blob && blob->len) {
		m = protobuf_c_message_unpack(desc, &e->pa, blob->len, blob->data);
		if (!m)
			ox_diag_error(e->d, OX_EINVAL, "an opaque %s fragment is corrupt", desc->short_name);
		return m;
	}
	m = ox_arena_alloc(&e->a, desc->sizeof_message);
	if (!m) {
		NOMEM(e);
		return NULL;
	}
	desc->message_init(m);
	return m;
}

static void *
array(struct ectx *e, size_t n, size_t size)
{
	void *p = ox_arena_calloc(&e->a, n + 1, size);

	if (!p)
		NOMEM(e);
	return p;
}

static Onnx__StringStringEntryProto **
export_kvs(struct ectx *e, const struct ox_kv *kv, size_t n)
{
	Onnx__StringStringEntryProto **out = array(e, n, sizeof *out);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = start(e, &onnx__string_string_entry_proto__descriptor, NULL);
		if (!out[i])
			return NULL;
		out[i]->key = (char *)kv[i].key;
		out[i]->value = (char *)kv[i].value;
	}
	return out;
}

/* --- types --- */

static Onnx__TypeProto *export_type(struct ectx *e, const struct ox_type *t);

static Onnx__TensorShapeProto *
export_shape(struct ectx *e, const struct ox_type *t)
{
	Onnx__TensorShapeProto *sp;

	if (t->rank < 0)
		return NULL;
	sp = start(e, &onnx__tensor_shape_proto__descriptor, NULL);
	if (!sp || !(sp->dim = array(e, (size_t)t->rank, sizeof *sp->dim)))
		return NULL;
	sp->n_dim = (size_t)t->rank;
	for (int i = 0; i < t->rank; i++) {
		Onnx__TensorShapeProto__Dimension *dp =
			start(e, &onnx__tensor_shape_proto__dimension__descriptor, NULL);

		if (!dp)
			return NULL;
		dp->denotation = (char *)t->dims[i].denotation;
		if (t->dims[i].kind == OX_DIM_VALUE) {
			dp->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			dp->dim_value = t->dims[i].value;
		} else if (t->dims[i].kind == OX_DIM_PARAM) {
			dp->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			dp->dim_param = (char *)t->dims[i].param;
		}
		sp->dim[i] = dp;
	}
	return sp;
}

static Onnx__TypeProto *
export_type(struct ectx *e, const struct ox_type *t)
{
	Onnx__TypeProto *tp;

	if (!t)
		return NULL;
	tp = start(e, &onnx__type_proto__descriptor, &t->rest);
	if (!tp)
		return NULL;
	tp->denotation = (char *)t->denotation;
	switch (t->kind) {
	case OX_TYPE_TENSOR:
	case OX_TYPE_SPARSE: {
		Onnx__TypeProto__Tensor *tt = start(e, t->kind == OX_TYPE_TENSOR
						    ? &onnx__type_proto__tensor__descriptor
						    : &onnx__type_proto__sparse_tensor__descriptor, NULL);

		if (!tt)
			return NULL;
		tt->has_elem_type = t->has_elem;
		tt->elem_type = t->elem;
		tt->shape = export_shape(e, t);
		if (t->rank >= 0 && !tt->shape)
			return NULL;
		if (t->kind == OX_TYPE_TENSOR) {
			tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
			tp->tensor_type = tt;
		} else {
			tp->value_case = ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE;
			tp->sparse_tensor_type = (Onnx__TypeProto__SparseTensor *)tt;
		}
		break;
	}
	case OX_TYPE_SEQUENCE: {
		Onnx__TypeProto__Sequence *s = start(e, &onnx__type_proto__sequence__descriptor, NULL);

		if (!s)
			return NULL;
		s->elem_type = export_type(e, t->inner);
		tp->value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
		tp->sequence_type = s;
		break;
	}
	case OX_TYPE_OPTIONAL: {
		Onnx__TypeProto__Optional *o = start(e, &onnx__type_proto__optional__descriptor, NULL);

		if (!o)
			return NULL;
		o->elem_type = export_type(e, t->inner);
		tp->value_case = ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE;
		tp->optional_type = o;
		break;
	}
	case OX_TYPE_MAP: {
		Onnx__TypeProto__Map *mt = start(e, &onnx__type_proto__map__descriptor, NULL);

		if (!mt)
			return NULL;
		mt->has_key_type = t->has_elem;
		mt->key_type = t->elem;
		mt->value_type = export_type(e, t->inner);
		tp->value_case = ONNX__TYPE_PROTO__VALUE_MAP_TYPE;
		tp->map_type = mt;
		break;
	}
	default:
		break; /* NONE, or OPAQUE carried whole by the blob */
	}
	return tp;
}

/* --- tensors --- */

static int
to_int32(struct ectx *e, const struct ox_tensor *t, Onnx__TensorProto *tp)
{
	int bits = ox_dtype_bits(t->dtype);
	size_t n = bits < 8 ? t->nbytes : (size_t)t->nelem;
	int32_t *out;

	if (bits == 32) {
		tp->int32_data = t->data;
		tp->n_int32_data = n;
		return 0;
	}
	out = array(e, n, sizeof *out);
	if (!out)
		return OX_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = t->data;

		if (bits == 16) {
			uint16_t u;

			memcpy(&u, p + 2 * i, 2);
			out[i] = t->dtype == OX_INT16 ? (int32_t)(int16_t)u : (int32_t)u;
		} else {
			out[i] = t->dtype == OX_INT8 ? (int32_t)(int8_t)p[i] : (int32_t)p[i];
		}
	}
	tp->int32_data = out;
	tp->n_int32_data = n;
	return 0;
}

static int
export_fields(struct ectx *e, const struct ox_tensor *t, Onnx__TensorProto *tp)
{
	size_t n = (size_t)t->nelem;
	bool complex = t->dtype == OX_COMPLEX64 || t->dtype == OX_COMPLEX128;

	switch (t->dtype) {
	case OX_FLOAT:
	case OX_COMPLEX64:
		tp->float_data = t->data;
		tp->n_float_data = complex ? 2 * n : n;
		return 0;
	case OX_DOUBLE:
	case OX_COMPLEX128:
		tp->double_data = t->data;
		tp->n_double_data = complex ? 2 * n : n;
		return 0;
	case OX_INT64:
		tp->int64_data = t->data;
		tp->n_int64_data = n;
		return 0;
	case OX_UINT64:
		tp->uint64_data = t->data;
		tp->n_uint64_data = n;
		return 0;
	case OX_UINT32: {
		const uint32_t *src = t->data;

		if (!(tp->uint64_data = array(e, n, sizeof *tp->uint64_data)))
			return OX_ENOMEM;
		for (size_t i = 0; i < n; i++)
			tp->uint64_data[i] = src[i];
		tp->n_uint64_data = n;
		return 0;
	}
	case OX_STRING:
		if (!(tp->string_data = array(e, n, sizeof *tp->string_data)))
			return OX_ENOMEM;
		for (size_t i = 0; i < n; i++) {
			tp->string_data[i].len = t->strings[i].len;
			tp->string_data[i].data = (uint8_t *)t->strings[i].data;
		}
		tp->n_string_data = n;
		return 0;
	default:
		return to_int32(e, t, tp);
	}
}

/* Write t's bytes to the side file and point tp at them. */
static int
to_side_file(struct ectx *e, const struct ox_tensor *t, Onnx__TensorProto *tp)
{
	struct ox_kv kv[3];
	char *off, *len;

	/* Keep tensors page-aligned so that readers can map them. */
	while (e->side_off % 4096) {
		if (fputc(0, e->side) == EOF)
			return ox_diag_error(e->d, OX_EIO, "cannot write external data: %s", strerror(errno));
		e->side_off++;
	}
	if (t->nbytes && fwrite(t->data, 1, t->nbytes, e->side) != t->nbytes)
		return ox_diag_error(e->d, OX_EIO, "cannot write external data: %s", strerror(errno));
	off = ox_arena_printf(&e->a, "%llu", (unsigned long long)e->side_off);
	len = ox_arena_printf(&e->a, "%zu", t->nbytes);
	if (!off || !len)
		return NOMEM(e);
	e->side_off += t->nbytes;
	kv[0] = (struct ox_kv){ "location", e->side_name };
	kv[1] = (struct ox_kv){ "offset", off };
	kv[2] = (struct ox_kv){ "length", len };
	if (!(tp->external_data = export_kvs(e, kv, 3)))
		return OX_ENOMEM;
	tp->n_external_data = 3;
	tp->has_data_location = 1;
	tp->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	return 0;
}

static Onnx__TensorProto *
export_tensor(struct ectx *e, const struct ox_tensor *t)
{
	Onnx__TensorProto *tp = start(e, &onnx__tensor_proto__descriptor, &t->rest);
	bool side;
	int r = 0;

	if (!tp)
		return NULL;
	tp->name = (char *)t->name;
	tp->doc_string = (char *)t->doc;
	tp->has_data_type = t->has_dtype;
	tp->data_type = t->dtype;
	tp->dims = t->dims;
	tp->n_dims = (size_t)t->ndim;
	tp->has_data_location = t->has_location;
	tp->data_location = t->location;
	side = e->side && t->dtype != OX_STRING && t->data &&
	       (t->store == OX_STORE_EXTERNAL ? e->relocate_external
					      : e->side_name && t->nbytes >= e->threshold && t->nbytes > 0);
	if (side) {
		r = to_side_file(e, t, tp);
	} else {
		switch (t->store) {
		case OX_STORE_NONE:
			break;
		case OX_STORE_RAW:
			tp->has_raw_data = 1;
			tp->raw_data.len = t->nbytes;
			tp->raw_data.data = t->data;
			break;
		case OX_STORE_FIELD:
			r = export_fields(e, t, tp);
			break;
		case OX_STORE_EXTERNAL:
			tp->external_data = export_kvs(e, t->external, t->n_external);
			tp->n_external_data = t->n_external;
			if (!tp->external_data)
				r = OX_ENOMEM;
			break;
		}
	}
	return r < 0 ? NULL : tp;
}

/* --- graphs --- */

static Onnx__GraphProto *export_graph(struct ectx *e, const struct ox_graph *g);

static Onnx__AttributeProto *
export_attr(struct ectx *e, const struct ox_attr *a)
{
	Onnx__AttributeProto *ap = start(e, &onnx__attribute_proto__descriptor, &a->rest);

	if (!ap)
		return NULL;
	ap->name = (char *)a->name;
	ap->has_type = a->has_type;
	ap->type = a->type;
	ap->ref_attr_name = (char *)a->ref_attr_name;
	ap->doc_string = (char *)a->doc;
	ap->has_f = a->has_f;
	ap->f = a->f;
	ap->has_i = a->has_i;
	ap->i = a->i;
	ap->has_s = a->has_s;
	ap->s.len = a->s.len;
	ap->s.data = (uint8_t *)a->s.data;
	ap->floats = a->floats;
	ap->n_floats = a->n_floats;
	ap->ints = a->ints;
	ap->n_ints = a->n_ints;
	if (a->n_strings) {
		if (!(ap->strings = array(e, a->n_strings, sizeof *ap->strings)))
			return NULL;
		for (size_t i = 0; i < a->n_strings; i++) {
			ap->strings[i].len = a->strings[i].len;
			ap->strings[i].data = (uint8_t *)a->strings[i].data;
		}
		ap->n_strings = a->n_strings;
	}
	if (a->t && !(ap->t = export_tensor(e, a->t)))
		return NULL;
	if (a->n_tensors) {
		if (!(ap->tensors = array(e, a->n_tensors, sizeof *ap->tensors)))
			return NULL;
		for (size_t i = 0; i < a->n_tensors; i++)
			if (!(ap->tensors[i] = export_tensor(e, a->tensors[i])))
				return NULL;
		ap->n_tensors = a->n_tensors;
	}
	if (a->g && !(ap->g = export_graph(e, a->g)))
		return NULL;
	if (a->n_graphs) {
		if (!(ap->graphs = array(e, a->n_graphs, sizeof *ap->graphs)))
			return NULL;
		for (size_t i = 0; i < a->n_graphs; i++)
			if (!(ap->graphs[i] = export_graph(e, a->graphs[i])))
				return NULL;
		ap->n_graphs = a->n_graphs;
	}
	return ap;
}

static char *
value_name(const struct ox_value *v)
{
	return (char *)(v ? v->name : "");
}

static Onnx__NodeProto *
export_node(struct ectx *e, const struct ox_node *node)
{
	Onnx__NodeProto *np = start(e, &onnx__node_proto__descriptor, &node->rest);

	if (!np)
		return NULL;
	np->name = (char *)node->name;
	np->op_type = (char *)node->op_type;
	np->domain = (char *)node->domain;
	np->doc_string = (char *)node->doc;
	np->input = array(e, (size_t)node->n_in, sizeof *np->input);
	np->output = array(e, (size_t)node->n_out, sizeof *np->output);
	np->attribute = array(e, node->n_attrs, sizeof *np->attribute);
	if (!np->input || !np->output || !np->attribute)
		return NULL;
	np->n_input = (size_t)node->n_in;
	np->n_output = (size_t)node->n_out;
	for (int i = 0; i < node->n_in; i++)
		np->input[i] = value_name(node->in[i]);
	for (int i = 0; i < node->n_out; i++)
		np->output[i] = value_name(node->out[i]);
	np->n_attribute = node->n_attrs;
	for (size_t i = 0; i < node->n_attrs; i++)
		if (!(np->attribute[i] = export_attr(e, &node->attrs[i])))
			return NULL;
	return np;
}

static Onnx__ValueInfoProto *
export_info(struct ectx *e, const struct ox_value *v, const struct ox_blob *verbatim)
{
	Onnx__ValueInfoProto *vp;

	if (verbatim && verbatim->data)
		return start(e, &onnx__value_info_proto__descriptor, verbatim);
	if (v->info_only)
		return start(e, &onnx__value_info_proto__descriptor, &v->info_rest);
	vp = start(e, &onnx__value_info_proto__descriptor, &v->info_rest);
	if (!vp)
		return NULL;
	vp->name = (char *)v->name;
	vp->type = export_type(e, v->type);
	vp->doc_string = (char *)v->doc;
	if (v->type && !vp->type)
		return NULL;
	return vp;
}

static Onnx__ValueInfoProto **
export_infos(struct ectx *e, struct ox_value *const *vals, size_t n, const struct ox_blob *verbatim)
{
	Onnx__ValueInfoProto **out = array(e, n, sizeof *out);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(out[i] = export_info(e, vals[i], verbatim ? &verbatim[i] : NULL)))
			return NULL;
	return out;
}

static Onnx__GraphProto *
export_graph(struct ectx *e, const struct ox_graph *g)
{
	Onnx__GraphProto *gp = start(e, &onnx__graph_proto__descriptor, &g->rest);
	size_t nn = 0;

	if (!gp)
		return NULL;
	gp->name = (char *)g->name;
	gp->doc_string = (char *)g->doc;
	if (!(gp->node = array(e, g->n_nodes, sizeof *gp->node)))
		return NULL;
	for (size_t i = 0; i < g->n_nodes; i++) {
		if (g->nodes[i]->dead)
			continue;
		if (!(gp->node[nn++] = export_node(e, g->nodes[i])))
			return NULL;
	}
	gp->n_node = nn;
	if (!(gp->initializer = array(e, g->n_inits, sizeof *gp->initializer)))
		return NULL;
	for (size_t i = 0; i < g->n_inits; i++) {
		struct ox_tensor t = *g->inits[i]->init;

		t.name = g->inits[i]->name; /* the value's name wins after renames */
		if (!(gp->initializer[i] = export_tensor(e, &t)))
			return NULL;
	}
	gp->n_initializer = g->n_inits;
	if (!(gp->sparse_initializer = array(e, g->n_sparse_inits, sizeof *gp->sparse_initializer)))
		return NULL;
	for (size_t i = 0; i < g->n_sparse_inits; i++) {
		gp->sparse_initializer[i] = start(e, &onnx__sparse_tensor_proto__descriptor,
						  &g->sparse_inits[i]->sparse);
		if (!gp->sparse_initializer[i])
			return NULL;
	}
	gp->n_sparse_initializer = g->n_sparse_inits;
	if (!(gp->input = export_infos(e, g->inputs, g->n_inputs, NULL)) ||
	    !(gp->output = export_infos(e, g->outputs, g->n_outputs, g->output_info)) ||
	    !(gp->value_info = export_infos(e, g->value_info, g->n_value_info, NULL)))
		return NULL;
	gp->n_input = g->n_inputs;
	gp->n_output = g->n_outputs;
	gp->n_value_info = g->n_value_info;
	return gp;
}

static Onnx__OperatorSetIdProto **
export_opsets(struct ectx *e, const struct ox_opset *o, size_t n)
{
	Onnx__OperatorSetIdProto **out = array(e, n, sizeof *out);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!(out[i] = start(e, &onnx__operator_set_id_proto__descriptor, NULL)))
			return NULL;
		out[i]->domain = (char *)o[i].domain;
		out[i]->has_version = o[i].has_version;
		out[i]->version = o[i].version;
	}
	return out;
}

static Onnx__FunctionProto *
export_function(struct ectx *e, const struct ox_function *f)
{
	Onnx__FunctionProto *fp = start(e, &onnx__function_proto__descriptor, &f->rest);
	const struct ox_graph *g = f->body;
	size_t nn = 0;

	if (!fp)
		return NULL;
	fp->name = (char *)f->name;
	fp->domain = (char *)f->domain;
	fp->doc_string = (char *)f->doc;
	fp->attribute = (char **)f->attr_names;
	fp->n_attribute = f->n_attr_names;
	if (!(fp->opset_import = export_opsets(e, f->opsets, f->n_opsets)))
		return NULL;
	fp->n_opset_import = f->n_opsets;
	fp->input = array(e, g->n_inputs, sizeof *fp->input);
	fp->output = array(e, g->n_outputs, sizeof *fp->output);
	fp->node = array(e, g->n_nodes, sizeof *fp->node);
	fp->attribute_proto = array(e, f->n_attr_defaults, sizeof *fp->attribute_proto);
	if (!fp->input || !fp->output || !fp->node || !fp->attribute_proto)
		return NULL;
	for (size_t i = 0; i < g->n_inputs; i++)
		fp->input[i] = (char *)g->inputs[i]->name;
	for (size_t i = 0; i < g->n_outputs; i++)
		fp->output[i] = (char *)g->outputs[i]->name;
	fp->n_input = g->n_inputs;
	fp->n_output = g->n_outputs;
	for (size_t i = 0; i < g->n_nodes; i++)
		if (!g->nodes[i]->dead && !(fp->node[nn++] = export_node(e, g->nodes[i])))
			return NULL;
	fp->n_node = nn;
	for (size_t i = 0; i < f->n_attr_defaults; i++)
		if (!(fp->attribute_proto[i] = export_attr(e, &f->attr_defaults[i])))
			return NULL;
	fp->n_attribute_proto = f->n_attr_defaults;
	return fp;
}

static Onnx__ModelProto *
export_model(struct ectx *e, const struct ox_model *m)
{
	Onnx__ModelProto *mp = start(e, &onnx__model_proto__descriptor, &m->rest);

	if (!mp)
		return NULL;
	mp->has_ir_version = m->has_ir_version;
	mp->ir_version = m->ir_version;
	mp->producer_name = (char *)m->producer_name;
	mp->producer_version = (char *)m->producer_version;
	mp->domain = (char *)m->domain;
	mp->has_model_version = m->has_model_version;
	mp->model_version = m->model_version;
	mp->doc_string = (char *)m->doc;
	if (!(mp->opset_import = export_opsets(e, m->opsets, m->n_opsets)))
		return NULL;
	mp->n_opset_import = m->n_opsets;
	if (!(mp->metadata_props = export_kvs(e, m->metadata, m->n_metadata)))
		return NULL;
	mp->n_metadata_props = m->n_metadata;
	if (!(mp->functions = array(e, m->n_functions, sizeof *mp->functions)))
		return NULL;
	for (size_t i = 0; i < m->n_functions; i++)
		if (!(mp->functions[i] = export_function(e, m->functions[i])))
			return NULL;
	mp->n_functions = m->n_functions;
	if (m->graph && !(mp->graph = export_graph(e, m->graph)))
		return NULL;
	return mp;
}

static void
ectx_init(struct ectx *e, struct ox_diag *d)
{
	memset(e, 0, sizeof *e);
	ox_arena_init(&e->a);
	e->d = d;
	e->pa = ox_pb_allocator(&e->a);
}

/* Protobuf messages are limited to 2 GiB. */
#define PB_MAX ((size_t)INT32_MAX)

int
ox_model_save_buffer(struct ox_model *m, uint8_t **buf, size_t *len, struct ox_diag *d)
{
	struct ectx e;
	Onnx__ModelProto *mp;
	size_t n;

	*buf = NULL;
	*len = 0;
	ectx_init(&e, d);
	mp = export_model(&e, m);
	if (!mp) {
		ox_arena_release(&e.a);
		return d && d->n_errors ? d->entries[d->n - 1].code : OX_ENOMEM;
	}
	n = protobuf_c_message_get_packed_size(&mp->base);
	*buf = malloc(n ? n : 1);
	if (!*buf) {
		ox_arena_release(&e.a);
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	}
	*len = protobuf_c_message_pack(&mp->base, *buf);
	ox_arena_release(&e.a);
	return 0;
}

/* Stream packed bytes to a FILE. */
struct file_buffer {
	ProtobufCBuffer base;
	FILE *f;
	bool failed;
};

static void
file_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
	struct file_buffer *fb = (struct file_buffer *)b;

	if (!fb->failed && len && fwrite(data, 1, len, fb->f) != len)
		fb->failed = true;
}

/* Directory part of path ("." when none), malloc'ed. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* A temporary file beside path, opened for writing; *tmp gets its name. */
static FILE *
open_temp(const char *path, char **tmp)
{
	int fd;
	FILE *f;

	if (asprintf(tmp, "%s.tmp-XXXXXX", path) < 0) {
		*tmp = NULL;
		return NULL;
	}
	fd = mkstemp(*tmp);
	if (fd < 0) {
		free(*tmp);
		*tmp = NULL;
		return NULL;
	}
	fchmod(fd, 0644);
	f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
	}
	return f;
}

/* Flush, fsync and close f; false on any error. */
static bool
finish(FILE *f)
{
	bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;

	return fclose(f) == 0 && ok;
}

static bool
has_external(const struct ox_graph *g);

static bool
attr_has_external(const struct ox_attr *a)
{
	if (a->t && a->t->store == OX_STORE_EXTERNAL)
		return true;
	for (size_t i = 0; i < a->n_tensors; i++)
		if (a->tensors[i]->store == OX_STORE_EXTERNAL)
			return true;
	if (a->g && has_external(a->g))
		return true;
	for (size_t i = 0; i < a->n_graphs; i++)
		if (has_external(a->graphs[i]))
			return true;
	return false;
}

static bool
has_external(const struct ox_graph *g)
{
	for (size_t i = 0; i < g->n_inits; i++)
		if (g->inits[i]->init->store == OX_STORE_EXTERNAL)
			return true;
	for (size_t i = 0; i < g->n_nodes; i++)
		for (size_t k = 0; k < g->nodes[i]->n_attrs; k++)
			if (attr_has_external(&g->nodes[i]->attrs[k]))
				return true;
	return false;
}

int
ox_model_save(struct ox_model *m, const char *path, const struct ox_save_opts *opts,
	      struct ox_diag *d)
{
	struct ectx e;
	Onnx__ModelProto *mp;
	struct file_buffer fb;
	char *tmp = NULL, *side_tmp = NULL, *side_path = NULL, *out_dir, *real_out = NULL;
	FILE *f = NULL;
	size_t n;
	int r = 0;

	ectx_init(&e, d);
	out_dir = dir_of(path);
	if (!out_dir)
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	real_out = realpath(out_dir, NULL);
	if (!real_out) {
		r = ox_diag_error(d, OX_EIO, "output directory '%s': %s", out_dir, strerror(errno));
		goto done;
	}
	e.relocate_external = m->graph && has_external(m->graph) &&
			      (!m->dir || strcmp(m->dir, real_out) != 0 || (opts && opts->external_file));
	if ((opts && opts->external_file) || e.relocate_external) {
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

		if (opts && opts->external_file) {
			if (strchr(opts->external_file, '/') || !strcmp(opts->external_file, "..") ||
			    !strcmp(opts->external_file, ".") || !*opts->external_file) {
				r = ox_diag_error(d, OX_EUSAGE, "external data file '%s' must be a plain file name",
						  opts->external_file);
				goto done;
			}
			e.side_name = opts->external_file;
			e.threshold = opts->external_threshold;
		} else {
			e.side_name = ox_arena_printf(&e.a, "%s.data", base);
			e.threshold = SIZE_MAX;
		}
		if (!e.side_name || asprintf(&side_path, "%s/%s", out_dir, e.side_name) < 0) {
			side_path = NULL;
			r = ox_diag_error(d, OX_ENOMEM, "out of memory");
			goto done;
		}
		e.side = open_temp(side_path, &side_tmp);
		if (!e.side) {
			r = ox_diag_error(d, OX_EIO, "cannot create '%s': %s", side_path, strerror(errno));
			goto done;
		}
	}
	mp = export_model(&e, m);
	if (!mp) {
		r = d && d->n_errors ? d->entries[d->n - 1].code : OX_ENOMEM;
		goto done;
	}
	n = protobuf_c_message_get_packed_size(&mp->base);
	if (n > PB_MAX) {
		r = ox_diag_error(d, OX_ELIMIT,
				  "the model is %zu bytes, over protobuf's 2 GiB limit: save with --external-data", n);
		goto done;
	}
	f = open_temp(path, &tmp);
	if (!f) {
		r = ox_diag_error(d, OX_EIO, "cannot create a file beside '%s': %s", path, strerror(errno));
		goto done;
	}
	memset(&fb, 0, sizeof fb);
	fb.base.append = file_append;
	fb.f = f;
	protobuf_c_message_pack_to_buffer(&mp->base, &fb.base);
	if (fb.failed | !finish(f)) {
		f = NULL;
		r = ox_diag_error(d, OX_EIO, "cannot write '%s': %s", path, strerror(errno));
		goto done;
	}
	f = NULL;
	if (e.side) {
		bool ok = finish(e.side);

		e.side = NULL;
		if (!ok || rename(side_tmp, side_path) < 0) {
			r = ox_diag_error(d, OX_EIO, "cannot write '%s': %s", side_path, strerror(errno));
			goto done;
		}
		free(side_tmp);
		side_tmp = NULL;
	}
	if (rename(tmp, path) < 0) {
		r = ox_diag_error(d, OX_EIO, "cannot write '%s': %s", path, strerror(errno));
		goto done;
	}
	free(tmp);
	tmp = NULL;
done:
	if (f)
		fclose(f);
	if (e.side)
		fclose(e.side);
	if (tmp)
		unlink(tmp);
	if (side_tmp)
		unlink(side_tmp);
	free(tmp);
	free(side_tmp);
	free(side_path);
	free(out_dir);
	free(real_out);
	ox_arena_release(&e.a);
	return r;
}

int
ox_tensor_save(const struct ox_tensor *t, const char *path, struct ox_diag *d)
{
	struct ectx e;
	Onnx__TensorProto *tp;
	struct file_buffer fb;
	char *tmp = NULL;
	FILE *f;
	int r = 0;

	ectx_init(&e, d);
	tp = export_tensor(&e, t);
	if (!tp) {
		ox_arena_release(&e.a);
		return d && d->n_errors ? d->entries[d->n - 1].code : OX_ENOMEM;
	}
	f = open_temp(path, &tmp);
	if (!f) {
		ox_arena_release(&e.a);
		return ox_diag_error(d, OX_EIO, "cannot create a file beside '%s': %s", path, strerror(errno));
	}
	memset(&fb, 0, sizeof fb);
	fb.base.append = file_append;
	fb.f = f;
	protobuf_c_message_pack_to_buffer(&tp->base, &fb.base);
	if (fb.failed | !finish(f) || rename(tmp, path) < 0) {
		r = ox_diag_error(d, OX_EIO, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	ox_arena_release(&e.a);
	return r;
}

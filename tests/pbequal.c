/* pbequal.c: see pbequal.h. */
#include "config.h"

#include "pbequal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
scalar_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static bool equal_at(const char *path, const ProtobufCMessage *a, const ProtobufCMessage *b, char **where);

static bool
fail(char **where, const char *path, const char *field, long index)
{
	if (where && !*where) {
		size_t n = strlen(path) + strlen(field) + 32;

		*where = malloc(n);
		if (*where) {
			if (index >= 0)
				snprintf(*where, n, "%s%s%s[%ld]", path, *path ? "." : "", field, index);
			else
				snprintf(*where, n, "%s%s%s", path, *path ? "." : "", field);
		}
	}
	return false;
}

static bool
value_equal(const char *path, const ProtobufCFieldDescriptor *f, const void *pa, const void *pb,
	    long index, char **where)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *x = *(char *const *)pa, *y = *(char *const *)pb;

		if ((!x) != (!y) || (x && strcmp(x, y)))
			return fail(where, path, f->name, index);
		return true;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *x = pa, *y = pb;

		if (x->len != y->len || (x->len && memcmp(x->data, y->data, x->len)))
			return fail(where, path, f->name, index);
		return true;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *x = *(ProtobufCMessage *const *)pa, *y = *(ProtobufCMessage *const *)pb;
		char sub[1024];

		if ((!x) != (!y))
			return fail(where, path, f->name, index);
		if (!x)
			return true;
		if (index >= 0)
			snprintf(sub, sizeof sub, "%s%s%s[%ld]", path, *path ? "." : "", f->name, index);
		else
			snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", f->name);
		return equal_at(sub, x, y, where);
	}
	default:
		if (memcmp(pa, pb, scalar_size(f->type)))
			return fail(where, path, f->name, index);
		return true;
	}
}

static bool
equal_at(const char *path, const ProtobufCMessage *a, const ProtobufCMessage *b, char **where)
{
	const ProtobufCMessageDescriptor *desc = a->descriptor;

	if (b->descriptor != desc)
		return fail(where, path, "(type)", -1);
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		const char *ca = (const char *)a, *cb = (const char *)b;
		const void *pa = ca + f->offset, *pb = cb + f->offset;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t na = *(const size_t *)(ca + f->quantifier_offset);
			size_t nb = *(const size_t *)(cb + f->quantifier_offset);
			const char *xa = *(char *const *)pa, *xb = *(char *const *)pb;
			size_t sz = scalar_size(f->type);

			if (na != nb)
				return fail(where, path, f->name, -1);
			for (size_t k = 0; k < na; k++)
				if (!value_equal(path, f, xa + k * sz, xb + k * sz, (long)k, where))
					return false;
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t qa = *(const uint32_t *)(ca + f->quantifier_offset);
			uint32_t qb = *(const uint32_t *)(cb + f->quantifier_offset);

			if ((qa == f->id) != (qb == f->id))
				return fail(where, path, f->name, -1);
			if (qa != f->id)
				continue;
		} else if (f->quantifier_offset && f->type != PROTOBUF_C_TYPE_STRING &&
			   f->type != PROTOBUF_C_TYPE_MESSAGE) {
			protobuf_c_boolean ha = *(const protobuf_c_boolean *)(ca + f->quantifier_offset);
			protobuf_c_boolean hb = *(const protobuf_c_boolean *)(cb + f->quantifier_offset);

			if (!ha != !hb)
				return fail(where, path, f->name, -1);
			if (!ha)
				continue;
		}
		if (!value_equal(path, f, pa, pb, -1, where))
			return false;
	}
	if (a->n_unknown_fields != b->n_unknown_fields)
		return fail(where, path, "(unknown fields)", -1);
	for (unsigned i = 0; i < a->n_unknown_fields; i++) {
		const ProtobufCMessageUnknownField *x = &a->unknown_fields[i], *y = &b->unknown_fields[i];

		if (x->tag != y->tag || x->wire_type != y->wire_type || x->len != y->len ||
		    (x->len && memcmp(x->data, y->data, x->len)))
			return fail(where, path, "(unknown fields)", (long)i);
	}
	return true;
}

bool
ox_pb_equal(const ProtobufCMessage *a, const ProtobufCMessage *b, char **where)
{
	if (where)
		*where = NULL;
	return equal_at("", a, b, where);
}

/* audit.c: checking every node of a model against target profiles. See audit.h and
 * docs/target-profile.md for the rules. */
#include "config.h"

#include "audit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "onnx_io.h"
#include "ops.h"
#include "shape.h"

static const char *const verdict_names[] = { "supported", "partial", "unsupported" };

const char *
ox_verdict_name(enum ox_verdict v)
{
	return (unsigned)v < 3 ? verdict_names[v] : "?";
}

static const struct {
	const char *id, *text;
} rules[OX_RULE_COUNT] = {
	[OX_RULE_NONE] = { "supported", "The node runs on the target." },
	[OX_RULE_UNSUPPORTED_OP] = { "unsupported-op",
		"The target has no kernel for this operator in any version, or says it "
		"does not support it." },
	[OX_RULE_UNSUPPORTED_VERSION] = { "unsupported-version",
		"The target supports the operator, but not the schema version the "
		"model's opset resolves it to." },
	[OX_RULE_UNSUPPORTED_OPSET] = { "unsupported-opset",
		"The model's opset import for the node's domain is outside the range "
		"the target accepts." },
	[OX_RULE_UNSUPPORTED_TYPE] = { "unsupported-type",
		"The target supports this operator version, but not for the tensor "
		"types the node sees." },
	[OX_RULE_CUSTOM_OP] = { "custom-op",
		"An operator of a custom (non-ONNX) domain that the target does not "
		"know." },
	[OX_RULE_RESTRICTION] = { "restriction",
		"The target supports the operator only under conditions (constant "
		"inputs, attribute values, ranks, shapes) that this node does not meet." },
};

const char *
ox_audit_rule_id(enum ox_audit_rule r)
{
	return (unsigned)r < OX_RULE_COUNT ? rules[r].id : "?";
}

const char *
ox_audit_rule_text(enum ox_audit_rule r)
{
	return (unsigned)r < OX_RULE_COUNT ? rules[r].text : "?";
}

/* --- SHA-256 (FIPS 180-4), for the model summary --- */

struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	size_t fill;
	uint64_t len;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static uint32_t
ror(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static void
sha_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3;
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10;

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(a, s->h, sizeof a);
	for (int i = 0; i < 64; i++) {
		uint32_t e1 = ror(a[4], 6) ^ ror(a[4], 11) ^ ror(a[4], 25);
		uint32_t ch = (a[4] & a[5]) ^ (~a[4] & a[6]);
		uint32_t t1 = a[7] + e1 + ch + sha_k[i] + w[i];
		uint32_t e0 = ror(a[0], 2) ^ ror(a[0], 13) ^ ror(a[0], 22);
		uint32_t maj = (a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]);

		memmove(a + 1, a, 7 * sizeof *a);
		a[4] += t1;
		a[0] = t1 + e0 + maj;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += a[i];
}

static void
sha_init(struct sha256 *s)
{
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memset(s, 0, sizeof *s);
	memcpy(s->h, h0, sizeof h0);
}

static void
sha_update(struct sha256 *s, const uint8_t *p, size_t n)
{
	s->len += n;
	while (n) {
		size_t k = 64 - s->fill < n ? 64 - s->fill : n;

		memcpy(s->buf + s->fill, p, k);
		s->fill += k;
		p += k;
		n -= k;
		if (s->fill == 64) {
			sha_block(s, s->buf);
			s->fill = 0;
		}
	}
}

static void
sha_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, len[8];

	sha_update(s, &pad, 1);
	pad = 0;
	while (s->fill != 56)
		sha_update(s, &pad, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(s, len, 8);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

static void
file_digest(const char *path, struct ox_audit_model *am)
{
	FILE *f = fopen(path, "rb");
	uint8_t buf[1 << 16];
	struct sha256 s;
	size_t n;

	if (!f)
		return;
	sha_init(&s);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sha_update(&s, buf, n);
	if (!ferror(f)) {
		am->file_size = s.len;
		sha_hex(&s, am->sha256);
	}
	fclose(f);
}

/* --- types as ONNX spells them --- */

/* The type of v as text ("tensor(float)"), NULL when inference left it open. This
 * is the one place that decides where the audit's types come from: value->type
 * holds the declared type, refined by ox_shape_infer() when opts->infer is set. */
static const char *
seen_type(struct ox_arena *a, const struct ox_type *t)
{
	const char *inner;

	if (!t)
		return NULL;
	switch (t->kind) {
	case OX_TYPE_TENSOR:
	case OX_TYPE_SPARSE:
		if (!t->has_elem || t->elem == OX_UNDEFINED)
			return NULL;
		return ox_arena_printf(a, "%s(%s)", t->kind == OX_TYPE_TENSOR ? "tensor"
							: "sparse_tensor", ox_dtype_name(t->elem));
	case OX_TYPE_SEQUENCE:
	case OX_TYPE_OPTIONAL:
		if (!(inner = seen_type(a, t->inner)))
			return NULL;
		return ox_arena_printf(a, "%s(%s)", t->kind == OX_TYPE_SEQUENCE ? "seq"
							: "optional", inner);
	case OX_TYPE_MAP:
		if (!t->has_elem || !(inner = seen_type(a, t->inner)))
			return NULL;
		return ox_arena_printf(a, "map(%s,%s)", ox_dtype_name(t->elem), inner);
	default:
		return NULL;
	}
}

static const char *
value_type(struct ox_arena *a, const struct ox_value *v)
{
	return v ? seen_type(a, v->type) : NULL;
}

/* Type strings compare without spaces: schemas write "map(int64, float)". */
static bool
type_eq(const char *x, const char *y)
{
	for (;;) {
		while (*x == ' ')
			x++;
		while (*y == ' ')
			y++;
		if (*x != *y)
			return false;
		if (!*x)
			return true;
		x++;
		y++;
	}
}

static const char *
convert_type(const struct ox_target *t, const char *ty)
{
	for (size_t i = 0; ty && i < t->n_conversions; i++)
		if (type_eq(t->conversions[i].from, ty))
			return t->conversions[i].to;
	return ty;
}

static bool
type_in(const char *ty, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (type_eq(ty, list[i]))
			return true;
	return false;
}

/* --- the run over one model --- */

struct ctx {
	struct ox_audit_model *am;
	struct ox_model *m;
	struct ox_target *const *targets;
	size_t nt;
	size_t cap_nodes, cap_optypes;
	struct ox_strmap optype_index;   /* key in am->arena -> index + 1 */
	/* Opset imports in force: the function's while auditing a function body. */
	const struct ox_opset *fn_opsets;
	size_t n_fn_opsets;
	/* Per model-local function: its worst check per target (NULL until audited). */
	struct ox_audit_check **fn_checks;
	bool *fn_busy;                    /* recursion guard */
	int depth;
};

/* Results of one check. */
enum { R_PASS, R_FAIL, R_UNKNOWN };

static int64_t
opset_of(const struct ctx *c, const char *domain)
{
	if (c->fn_opsets) {
		for (size_t i = 0; i < c->n_fn_opsets; i++) {
			const struct ox_opset *o = &c->fn_opsets[i];

			if ((ox_domain_is_onnx(o->domain) && ox_domain_is_onnx(domain)) ||
			    (o->domain && domain && !strcmp(o->domain, domain)))
				return o->has_version ? o->version : -1;
		}
	}
	return ox_model_opset(c->m, domain);
}

static bool
is_custom_domain(const char *dom)
{
	return !ox_domain_is_onnx(dom) && strcmp(dom, "ai.onnx") && strncmp(dom, "ai.onnx.", 8);
}

static void
add_note(struct ctx *c, struct ox_audit_check *ck, const char *note)
{
	const char **p;

	if (!note)
		return;
	for (size_t i = 0; i < ck->n_notes; i++)
		if (!strcmp(ck->notes[i], note))
			return;
	p = ox_arena_alloc(&c->am->arena, (ck->n_notes + 1) * sizeof *p);
	if (!p)
		return;
	if (ck->n_notes)
		memcpy(p, ck->notes, ck->n_notes * sizeof *p);
	p[ck->n_notes++] = note;
	ck->notes = p;
}

/* A tensor's elements as doubles, for const_input's `equals`. false when the dtype
 * is one this does not read. */
static bool
tensor_all_equal(const struct ox_tensor *t, double want, bool *equal)
{
	const uint8_t *p = t->data;

	*equal = true;
	if (!p && t->nelem)
		return false;
	for (int64_t i = 0; i < t->nelem; i++) {
		double v;

		switch (t->dtype) {
		case OX_FLOAT: { float f; memcpy(&f, p + 4 * i, 4); v = f; break; }
		case OX_DOUBLE: memcpy(&v, p + 8 * i, 8); break;
		case OX_INT8: v = (int8_t)p[i]; break;
		case OX_UINT8: case OX_BOOL: v = p[i]; break;
		case OX_INT16: { int16_t x; memcpy(&x, p + 2 * i, 2); v = x; break; }
		case OX_UINT16: { uint16_t x; memcpy(&x, p + 2 * i, 2); v = x; break; }
		case OX_INT32: { int32_t x; memcpy(&x, p + 4 * i, 4); v = x; break; }
		case OX_UINT32: { uint32_t x; memcpy(&x, p + 4 * i, 4); v = x; break; }
		case OX_INT64: { int64_t x; memcpy(&x, p + 8 * i, 8); v = (double)x; break; }
		case OX_UINT64: { uint64_t x; memcpy(&x, p + 8 * i, 8); v = (double)x; break; }
		default: return false;
		}
		if (v != want) {
			*equal = false;
			return true;
		}
	}
	return true;
}

/* The constant behind v: an initializer or a Constant node's value. *is_const says
 * whether v is constant at all; the tensor may be NULL for Constant forms that are
 * not a tensor attribute (value_float, ...). */
static const struct ox_tensor *
constant_of(const struct ox_value *v, bool *is_const)
{
	*is_const = false;
	if (v->init) {
		*is_const = true;
		return v->init;
	}
	if (v->is_sparse) {
		*is_const = true;
		return NULL;
	}
	if (v->producer && ox_node_is(v->producer, "", "Constant")) {
		const struct ox_attr *a = ox_node_attr(v->producer, "value");

		*is_const = true;
		return a ? a->t : NULL;
	}
	return NULL;
}

/* The attribute's type; files written before IR 2 may leave it out, and then the
 * field that is set says it. 0 when nothing does. */
static int
attr_type(const struct ox_attr *a)
{
	if (a->has_type)
		return a->type;
	if (a->has_i)
		return OX_ATTR_INT;
	if (a->has_f)
		return OX_ATTR_FLOAT;
	if (a->has_s)
		return OX_ATTR_STRING;
	if (a->n_ints)
		return OX_ATTR_INTS;
	if (a->n_floats)
		return OX_ATTR_FLOATS;
	if (a->n_strings)
		return OX_ATTR_STRINGS;
	return 0;
}

static int
scalar_attr_match(const struct ox_attr *a, const struct ox_op_attr *dflt, size_t k,
		  const struct ox_scalar *want)
{
	/* a: the node's attribute, or NULL to use dflt; k: element of a list. */
	int type = a ? attr_type(a) : dflt->type;

	switch (type) {
	case OX_ATTR_INT:
		return !want->s && want->num == (double)(a ? a->i : dflt->i);
	case OX_ATTR_FLOAT:
		return !want->s && (float)want->num == (a ? a->f : dflt->f);
	case OX_ATTR_STRING:
		if (!want->s)
			return 0;
		if (a)
			return a->s.len == strlen(want->s) && !memcmp(a->s.data, want->s, a->s.len);
		return dflt->s && !strcmp(dflt->s, want->s);
	case OX_ATTR_INTS:
		return !want->s && want->num == (double)(a ? a->ints[k] : dflt->ints[k]);
	case OX_ATTR_FLOATS:
		return !want->s && (float)want->num == (a ? a->floats[k] : dflt->floats[k]);
	case OX_ATTR_STRINGS:
		if (!want->s)
			return 0;
		if (a)
			return a->strings[k].len == strlen(want->s) &&
			       !memcmp(a->strings[k].data, want->s, a->strings[k].len);
		return !strcmp(dflt->strings[k], want->s);
	default:
		return -1;
	}
}

static size_t
attr_len(const struct ox_attr *a, const struct ox_op_attr *dflt)
{
	int type = a ? attr_type(a) : dflt->type;

	if (type == OX_ATTR_INTS)
		return a ? a->n_ints : (size_t)dflt->n;
	if (type == OX_ATTR_FLOATS)
		return a ? a->n_floats : (size_t)dflt->n;
	if (type == OX_ATTR_STRINGS)
		return a ? a->n_strings : (size_t)dflt->n;
	return 1;
}

static bool
attr_is_list(const struct ox_attr *a, const struct ox_op_attr *dflt)
{
	int type = a ? attr_type(a) : dflt->type;

	return type == OX_ATTR_INTS || type == OX_ATTR_FLOATS || type == OX_ATTR_STRINGS;
}

static int
eval_attr(const struct ox_node *node, const struct ox_op_schema *s,
	  const struct ox_restriction *r, char *why, size_t len)
{
	const struct ox_attr *a = ox_node_attr(node, r->attr);
	const struct ox_op_attr *dflt = s ? ox_op_attr_find(s, r->attr) : NULL;
	size_t n;

	if (!a && (!dflt || !dflt->has_default))
		return R_PASS;
	if (a && !attr_type(a))
		return R_UNKNOWN;
	n = attr_is_list(a, dflt) ? attr_len(a, dflt) : 1;
	for (size_t k = 0; k < n; k++) {
		bool hit = false;

		for (size_t j = 0; j < r->n_vals; j++) {
			int m = scalar_attr_match(a, dflt, k, &r->vals[j]);

			if (m < 0)
				return R_UNKNOWN;
			hit = hit || m;
		}
		if (r->attr_mode == OX_ATTR_FORBIDDEN ? hit : !hit) {
			snprintf(why, len, "attribute %s%s has a value the target %s", r->attr,
				 a ? "" : " (default)",
				 r->attr_mode == OX_ATTR_FORBIDDEN ? "forbids" : "does not allow");
			return R_FAIL;
		}
	}
	return R_PASS;
}

static int
eval_attr_absent(const struct ox_node *node, const struct ox_op_schema *s,
		 const struct ox_restriction *r, char *why, size_t len)
{
	const struct ox_attr *a = ox_node_attr(node, r->attr);
	const struct ox_op_attr *dflt = s ? ox_op_attr_find(s, r->attr) : NULL;

	if (!a)
		return R_PASS;
	if (dflt && dflt->has_default && attr_type(a) == dflt->type) {
		size_t n = attr_len(a, dflt);
		bool same = n == attr_len(NULL, dflt);

		for (size_t k = 0; same && k < n; k++) {
			struct ox_scalar sc = { 0 };

			/* Compare the node's element k with the default's through a scalar. */
			switch (dflt->type) {
			case OX_ATTR_INT: sc.num = (double)dflt->i; break;
			case OX_ATTR_FLOAT: sc.num = dflt->f; break;
			case OX_ATTR_STRING: sc.s = dflt->s ? dflt->s : ""; break;
			case OX_ATTR_INTS: sc.num = (double)dflt->ints[k]; break;
			case OX_ATTR_FLOATS: sc.num = dflt->floats[k]; break;
			case OX_ATTR_STRINGS: sc.s = dflt->strings[k]; break;
			default: same = false; continue;
			}
			same = scalar_attr_match(a, NULL, k, &sc) == 1;
		}
		if (same)
			return R_PASS;
	}
	snprintf(why, len, "attribute %s is set", r->attr);
	return R_FAIL;
}

/* Rank of v: -1 when unknown. */
static int
rank_of(const struct ox_value *v)
{
	if (!v || !v->type || (v->type->kind != OX_TYPE_TENSOR && v->type->kind != OX_TYPE_SPARSE))
		return -1;
	return v->type->rank;
}

static int
eval_static(const struct ox_value *v, const char *what, int idx, char *why, size_t len)
{
	int rank = rank_of(v);

	if (!v)
		return R_PASS;
	if (rank < 0)
		return R_UNKNOWN;
	for (int i = 0; i < rank; i++) {
		const struct ox_dim *d = &v->type->dims[i];

		if (d->kind == OX_DIM_PARAM) {
			snprintf(why, len, "%s %d has the dynamic dimension '%s'", what, idx,
				 d->param ? d->param : "?");
			return R_FAIL;
		}
		if (d->kind != OX_DIM_VALUE)
			return R_UNKNOWN;
	}
	return R_PASS;
}

/* Check every input and output type of node against list: must (allowed) or must
 * not (unsupported) contain it. */
static int
eval_types(struct ctx *c, const struct ox_target *t, const struct ox_node *node,
	   const struct ox_restriction *r, bool allowed, char *why, size_t len)
{
	int res = R_PASS;

	for (int io = 0; io < 2; io++) {
		int n = io ? node->n_out : node->n_in;

		for (int i = 0; i < n; i++) {
			const struct ox_value *v = io ? node->out[i] : node->in[i];
			const char *ty;

			if (!v)
				continue;
			ty = convert_type(t, value_type(&c->am->arena, v));
			if (!ty) {
				res = R_UNKNOWN;
				continue;
			}
			if (type_in(ty, r->types, r->n_types) != allowed) {
				snprintf(why, len, "%s %d is %s", io ? "output" : "input", i, ty);
				return R_FAIL;
			}
		}
	}
	return res;
}

static int
eval_max_rank(const struct ox_node *node, int max, char *why, size_t len)
{
	int res = R_PASS;

	for (int io = 0; io < 2; io++) {
		int n = io ? node->n_out : node->n_in;

		for (int i = 0; i < n; i++) {
			const struct ox_value *v = io ? node->out[i] : node->in[i];
			int rank;

			if (!v)
				continue;
			if ((rank = rank_of(v)) < 0) {
				res = R_UNKNOWN;
				continue;
			}
			if (rank > max) {
				snprintf(why, len, "%s %d has rank %d, above %d",
					 io ? "output" : "input", i, rank, max);
				return R_FAIL;
			}
		}
	}
	return res;
}

static int
eval_restriction(struct ctx *c, const struct ox_target *t, const struct ox_node *node,
		 const struct ox_op_schema *s, const struct ox_restriction *r,
		 char *why, size_t len)
{
	const char *nm = r->io_name ? r->io_name : "";
	const struct ox_value *v;
	int res;

	switch (r->kind) {
	case OX_R_NOTE:
		return R_PASS;
	case OX_R_CONST_INPUT: {
		const struct ox_tensor *k;
		bool is_const, equal;

		if (r->input >= node->n_in || !(v = node->in[r->input]))
			return R_PASS;
		k = constant_of(v, &is_const);
		if (!is_const) {
			snprintf(why, len, "input %d (%s) is not a constant", r->input, nm);
			return R_FAIL;
		}
		if (!r->has_equals)
			return R_PASS;
		if (!k || !tensor_all_equal(k, r->equals, &equal))
			return R_UNKNOWN;
		if (!equal) {
			snprintf(why, len, "input %d (%s) is not all %g", r->input, nm, r->equals);
			return R_FAIL;
		}
		return R_PASS;
	}
	case OX_R_INPUT_ABSENT:
		if (r->input >= node->n_in || !node->in[r->input])
			return R_PASS;
		snprintf(why, len, "input %d (%s) is given", r->input, nm);
		return R_FAIL;
	case OX_R_OUTPUT_ABSENT:
		if (r->output >= node->n_out || !node->out[r->output])
			return R_PASS;
		snprintf(why, len, "output %d (%s) is requested", r->output, nm);
		return R_FAIL;
	case OX_R_INPUT_RANK: {
		int rank;

		if (r->input >= node->n_in || !(v = node->in[r->input]))
			return R_PASS;
		if ((rank = rank_of(v)) < 0)
			return R_UNKNOWN;
		for (size_t i = 0; i < r->n_ranks; i++)
			if (r->ranks[i] == rank)
				return R_PASS;
		snprintf(why, len, "input %d (%s) has rank %d", r->input, nm, rank);
		return R_FAIL;
	}
	case OX_R_STATIC_SHAPE:
		if (r->input >= 0)
			return eval_static(r->input < node->n_in ? node->in[r->input] : NULL,
					   "input", r->input, why, len);
		if (r->output >= 0)
			return eval_static(r->output < node->n_out ? node->out[r->output] : NULL,
					   "output", r->output, why, len);
		res = R_PASS;
		for (int i = 0; i < node->n_in; i++) {
			int x = eval_static(node->in[i], "input", i, why, len);

			if (x == R_FAIL)
				return x;
			if (x == R_UNKNOWN)
				res = x;
		}
		return res;
	case OX_R_ATTR:
		return eval_attr(node, s, r, why, len);
	case OX_R_ATTR_ABSENT:
		return eval_attr_absent(node, s, r, why, len);
	case OX_R_UNSUPPORTED_TYPES:
		return eval_types(c, t, node, r, false, why, len);
	case OX_R_ALLOWED_TYPES:
		return eval_types(c, t, node, r, true, why, len);
	case OX_R_MAX_RANK:
		return eval_max_rank(node, r->rank, why, len);
	default:
		return R_UNKNOWN;
	}
}

/* The type bound to constraint name for node: the first present input, else
 * output, that the schema declares with it. *absent when none is present. */
static const char *
bound_type(struct ctx *c, const struct ox_node *node, const struct ox_op_schema *s,
	   const char *name, bool *absent)
{
	*absent = false;
	for (int io = 0; io < 2; io++) {
		int n = io ? node->n_out : node->n_in;

		for (int i = 0; i < n; i++) {
			const struct ox_value *v = io ? node->out[i] : node->in[i];
			const struct ox_op_formal *f = io ? ox_op_output(s, i) : ox_op_input(s, i);

			if (v && f && f->tc >= 0 && !strcmp(s->tcs[f->tc].name, name))
				return value_type(&c->am->arena, v);
		}
	}
	*absent = true;
	return NULL;
}

/* Does entry e accept the node's types? On failure, why says which. */
static int
eval_entry_types(struct ctx *c, const struct ox_target *t, const struct ox_target_op *e,
		 const struct ox_node *node, const struct ox_op_schema *s,
		 char *why, size_t len)
{
	int res = R_PASS;

	for (size_t k = 0; k < e->n_types; k++) {
		const char *name = e->types[k].key, *ty;
		bool absent;

		if (!strcmp(name, "*")) {
			if (!s)
				continue;
			if (ox_op_tc_find(s, "T"))
				name = "T";
			else if (s->n_inputs && s->inputs[0].tc >= 0)
				name = s->tcs[s->inputs[0].tc].name;
			else
				continue;
		} else if (!s || !ox_op_tc_find(s, name)) {
			/* A formal name with a fixed type, or a custom op without schema:
			 * nothing to bind it to, so the format lets it go unchecked. */
			continue;
		}
		ty = bound_type(c, node, s, name, &absent);
		if (absent)
			continue;
		ty = convert_type(t, ty);
		if (!ty) {
			res = R_UNKNOWN;
			continue;
		}
		if (!type_in(ty, e->types[k].types, e->types[k].n)) {
			snprintf(why, len, "%s=%s", name, ty);
			return R_FAIL;
		}
	}
	return res;
}

/* "versions 7-11, 12, 16 and later" of the supported entries. */
static char *
ranges_text(struct ox_arena *a, const struct ox_target_op *ents, size_t n)
{
	char buf[512] = "versions";
	size_t at = strlen(buf);
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; ents[i].supported && j < ents[i].n_versions &&
				   at < sizeof buf; j++) {
			const struct ox_range *r = &ents[i].versions[j];
			const char *sep = first ? " " : ", ";

			first = false;
			if (r->lo == r->hi)
				at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%d", sep, r->lo);
			else if (r->hi == OX_RANGE_OPEN)
				at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%d and later",
						       sep, r->lo);
			else
				at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%d-%d", sep,
						       r->lo, r->hi);
		}
	}
	return ox_arena_strdup(a, buf);
}

static bool
range_has(const struct ox_range *r, int64_t v)
{
	return v >= r->lo && v <= r->hi;
}

/* Does some supported entry serve since_version v in a model at opset? */
static bool
served(const struct ox_target_op *ents, size_t n, int v, int64_t opset)
{
	for (size_t i = 0; i < n; i++) {
		if (!ents[i].supported)
			continue;
		if (ents[i].has_opset_range && opset >= 0 && !range_has(&ents[i].opset_range, opset))
			continue;
		for (size_t j = 0; j < ents[i].n_versions; j++)
			if (range_has(&ents[i].versions[j], v))
				return true;
	}
	return false;
}

static bool
opset_allowed(const struct ox_target *t, const char *dom, int64_t opset)
{
	for (size_t i = 0; i < t->n_opset_ranges; i++)
		if (!strcmp(t->opset_ranges[i].domain, dom) && !range_has(&t->opset_ranges[i].r, opset))
			return false;
	return !t->opset || opset <= t->opset || *dom;
}

/* An opset at which op resolves to a version the target serves: the newest one not
 * above the model's opset, else the oldest above it; 0 when there is none. Only for
 * ai.onnx. */
static int
suggest_opset(const struct ox_target *t, const struct ox_target_op *ents, size_t n,
	      const char *op, int64_t opset)
{
	int newest = ox_target_newest_opset(), below = 0, above = 0;

	/* For opset:N the answer is N itself when N serves the op. */
	if (t->opset) {
		const struct ox_op_schema *s = ox_op_find("", op, t->opset);

		if (s && !s->deprecated && served(ents, n, s->since_version, t->opset))
			return t->opset;
	}
	for (int k = 1; k <= newest; k++) {
		const struct ox_op_schema *s = ox_op_find("", op, k);

		if (!s || s->deprecated || !opset_allowed(t, "", k) ||
		    !served(ents, n, s->since_version, k))
			continue;
		if (k <= opset)
			below = k;
		else if (!above)
			above = k;
	}
	return below ? below : above;
}

/* Passes that remove an op outright in common graphs. */
static const struct {
	const char *op, *text;
} removable[] = {
	{ "Identity", "the eliminate_identity pass removes it" },
	{ "Dropout", "the eliminate_nop_dropout pass removes it in inference graphs" },
	{ "BatchNormalization", "fuse_bn_into_conv removes it where it follows a Conv" },
	{ "Pad", "fuse_pad_into_conv removes it where it feeds a Conv" },
	{ "Transpose", "eliminate_nop_transpose or fuse_consecutive_transposes may remove it" },
	{ "Constant", "fold_constants turns it into an initializer" },
	{ "Shape", "fold_constants removes it when the input shape is static" },
};

static const char *
suggest_for_op(struct ctx *c, const struct ox_target *t, const struct ox_target_op *ents,
	       size_t n, const struct ox_node *node, const struct ox_op_schema *s,
	       int64_t opset)
{
	if (s && !*s->domain) {
		int k = suggest_opset(t, ents, n, node->op_type, opset);

		if (k) {
			const struct ox_op_schema *sk = ox_op_find("", node->op_type, k);

			return ox_arena_printf(&c->am->arena, "convert to opset %d (%s-%d is "
					       "supported): onnx-opt convert --opset %d", k,
					       node->op_type, sk->since_version, k);
		}
	}
	if (s && !*s->domain)
		for (size_t i = 0; i < sizeof removable / sizeof *removable; i++)
			if (!strcmp(removable[i].op, node->op_type))
				return removable[i].text;
	if (s && s->function) {
		int nv;
		const struct ox_op_schema *first = ox_op_versions(s->domain, s->name, &nv);

		/* Converting below the op's first opset is what expands it. */
		if (!*s->domain && first && first->since_version > 7)
			return ox_arena_printf(&c->am->arena, "decompose it into its ONNX "
					       "function body: onnx-opt convert --opset %d may "
					       "do it", first->since_version - 1);
		return "decompose it into its ONNX function body";
	}
	return NULL;
}

static void
set_verdict(struct ox_audit_check *ck, enum ox_verdict v, enum ox_audit_rule rule,
	    const char *reason, const char *suggestion)
{
	ck->verdict = v;
	ck->rule = rule;
	ck->reason = reason;
	ck->suggestion = suggestion;
}

/* Function-bodied ops without a kernel: the runtime expands them (ort-cpu.md). */
static bool
expand(struct ctx *c, const struct ox_target *t, const struct ox_op_schema *s,
       struct ox_audit_check *ck)
{
	if (!s || !s->function || !t->expands_functions)
		return false;
	set_verdict(ck, OX_VERDICT_SUPPORTED, OX_RULE_NONE, NULL, NULL);
	add_note(c, ck, ox_arena_printf(&c->am->arena, "no kernel for %s-%d: the runtime "
					"expands its ONNX function body (the body's ops are not "
					"checked)", s->name, s->since_version));
	return true;
}

static void
check_target(struct ctx *c, const struct ox_target *t, const struct ox_node *node,
	     const char *dom, const struct ox_op_schema *s, int since, int64_t opset,
	     struct ox_audit_check *ck)
{
	struct ox_arena *a = &c->am->arena;
	const char *op = node->op_type, *shown_dom = *dom ? dom : "ai.onnx";
	const struct ox_target_op *ents;
	size_t n, n_served = 0, n_typed = 0;
	char why[256] = "", best_why[256] = "";
	const struct ox_target_op *fail_e = NULL;
	const struct ox_restriction *fail_r = NULL;
	bool any_unknown = false;

	set_verdict(ck, OX_VERDICT_SUPPORTED, OX_RULE_NONE, NULL, NULL);
	for (size_t i = 0; i < t->n_opset_ranges; i++) {
		const struct ox_target_opset_range *r = &t->opset_ranges[i];

		if (strcmp(r->domain, dom) || opset < 0 || range_has(&r->r, opset))
			continue;
		set_verdict(ck, OX_VERDICT_UNSUPPORTED, OX_RULE_UNSUPPORTED_OPSET,
			    r->r.hi == OX_RANGE_OPEN
			    ? ox_arena_printf(a, "the model imports %s opset %lld; %s accepts "
					      "opset %d and later", shown_dom, (long long)opset,
					      t->name, r->r.lo)
			    : ox_arena_printf(a, "the model imports %s opset %lld; %s accepts "
					      "opsets %d to %d", shown_dom, (long long)opset,
					      t->name, r->r.lo, r->r.hi),
			    *dom ? NULL : ox_arena_printf(a, "convert to opset %d: onnx-opt convert "
							  "--opset %d",
							  opset < r->r.lo ? r->r.lo : r->r.hi,
							  opset < r->r.lo ? r->r.lo : r->r.hi));
		return;
	}
	ents = ox_target_find(t, dom, op, &n);
	if (!n) {
		if (expand(c, t, s, ck))
			return;
		if (is_custom_domain(dom))
			set_verdict(ck, OX_VERDICT_UNSUPPORTED, OX_RULE_CUSTOM_OP,
				    ox_arena_printf(a, "custom-domain op %s:%s; %s has no kernel "
						    "for it", dom, op, t->name), NULL);
		else if (!s)
			set_verdict(ck, OX_VERDICT_UNSUPPORTED, OX_RULE_UNSUPPORTED_OP,
				    ox_arena_printf(a, "no kernel for %s:%s; %s does not know it",
						    shown_dom, op, t->name), NULL);
		else if (t->opset)
			set_verdict(ck, OX_VERDICT_UNSUPPORTED, OX_RULE_UNSUPPORTED_OP,
				    ox_arena_printf(a, "%s is not in ONNX opset %d (%s-%d is newer)",
						    op, t->opset, op, since),
				    suggest_for_op(c, t, ents, n, node, s, opset));
		else
			set_verdict(ck, OX_VERDICT_UNSUPPORTED, OX_RULE_UNSUPPORTED_OP,
				    ox_arena_printf(a, "no kernel for %s-%d; %s supports no version "
						    "of %s", op, since, t->name, op),
				    suggest_for_op(c, t, ents, n, node, s, opset));
		return;
	}
	/* Versions. A schema the registry does not know (custom domains, removed
	 * experimental ops) resolves against the target's own version list. */
	if (since < 0) {
		int64_t lim = opset < 0 ? OX_RANGE_OPEN : opset;

		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < ents[i].n_versions; j++)
				if (ents[i].versions[j].lo <= lim && ents[i].versions[j].lo > since)
					since = ents[i].versions[j].lo;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ox_target_op *e = &ents[i];
		bool ver = false;
		int tr;

		if (!e->supported || since < 0)
			continue;
		if (e->has_opset_range && opset >= 0 && !range_has(&e->opset_range, opset))
			continue;
		for (size_t j = 0; j < e->n_versions && !ver; j++)
			ver = range_has(&e->versions[j], since);
		if (!ver)
			continue;
		n_served++;
		tr = eval_entry_types(c, t, e, node, s, why, sizeof why);
		if (tr == R_FAIL) {
			if (!*best_why)
				snprintf(best_why, sizeof best_why, "%s", why);
			continue;
		}
		n_typed++;
		{
			const struct ox_restriction *failed = NULL;
			bool unknown = tr == R_UNKNOWN;
			char rwhy[256] = "";

			for (size_t k = 0; k < e->n_restrictions && !failed; k++) {
				int rr = eval_restriction(c, t, node, s, &e->restrictions[k],
							  rwhy, sizeof rwhy);

				if (rr == R_FAIL)
					failed = &e->restrictions[k];
				else if (rr == R_UNKNOWN)
					unknown = true;
			}
			if (!failed && t->default_max_rank >= 0) {
				int rr = eval_max_rank(node, t->default_max_rank, rwhy, sizeof rwhy);

				if (rr == R_FAIL) {
					static const struct ox_restriction max_rank = {
						.kind = OX_R_MAX_RANK,
						.text = "the target's default_max_rank",
					};

					failed = &max_rank;
				} else if (rr == R_UNKNOWN) {
					unknown = true;
				}
			}
			if (failed) {
				if (!fail_e) {
					fail_e = e;
					fail_r = failed;
					snprintf(best_why, sizeof best_why, "%s", rwhy);
				}
				continue;
			}
			/* This entry accepts the node. Keep looking only if it was
			 * undecided, in case another entry settles it. */
			ck->verdict = OX_VERDICT_SUPPORTED;
			ck->rule = OX_RULE_NONE;
			ck->reason = NULL;
			for (size_t k = 0; k < e->n_restrictions; k++)
				if (e->restrictions[k].kind == OX_R_NOTE)
					add_note(c, ck, e->restrictions[k].text);
			if (!unknown) {
				ck->unverified = false;
				return;
			}
			any_unknown = true;
			ck->unverified = true;
		}
	}
	if (any_unknown) {
		add_note(c, ck, "some types or shapes are unknown: restrictions not verified");
		return;
	}
	if (fail_e) {
		set_verdict(ck, OX_VERDICT_PARTIAL, OX_RULE_RESTRICTION,
			    ox_arena_printf(a, "%s-%d on %s: %s (%s)", op, since, t->name,
					    fail_r->text, best_why),
			    fail_r->kind == OX_R_CONST_INPUT
			    ? "fold_constants can make the input constant when it is computed "
			      "from constants only" : NULL);
		return;
	}
	if (expand(c, t, s, ck))
		return;
	if (n_served && !n_typed) {
		set_verdict(ck, OX_VERDICT_UNSUPPORTED, OX_RULE_UNSUPPORTED_TYPE,
			    ox_arena_printf(a, "no kernel for %s-%d with %s on %s", op, since,
					    best_why, t->name),
			    "cast the input to a type the target serves");
		return;
	}
	/* No entry serves the version: say what the target does serve. */
	{
		bool any_supported = false;
		const char *reason = NULL;

		for (size_t i = 0; i < n; i++) {
			any_supported = any_supported || ents[i].supported;
			if (!ents[i].supported && !reason)
				reason = ents[i].reason;
		}
		if (!any_supported) {
			set_verdict(ck, OX_VERDICT_UNSUPPORTED, OX_RULE_UNSUPPORTED_OP,
				    reason ? ox_arena_printf(a, "%s does not support %s: %s",
							     t->name, op, reason)
					   : ox_arena_printf(a, "%s does not support %s", t->name, op),
				    suggest_for_op(c, t, ents, 0, node, s, opset));
			return;
		}
		if (since < 0) {
			set_verdict(ck, OX_VERDICT_UNSUPPORTED, OX_RULE_UNSUPPORTED_VERSION,
				    ox_arena_printf(a, "%s:%s at opset %lld: %s serves only %s",
						    shown_dom, op, (long long)opset, t->name,
						    ranges_text(a, ents, n)), NULL);
			return;
		}
		if (t->opset)
			set_verdict(ck, OX_VERDICT_UNSUPPORTED, OX_RULE_UNSUPPORTED_VERSION,
				    ox_arena_printf(a, "%s-%d is newer than ONNX opset %d, which has "
						    "%s-%d", op, since, t->opset, op,
						    ents[0].n_versions ? ents[0].versions[0].lo : 0),
				    suggest_for_op(c, t, ents, n, node, s, opset));
		else
			set_verdict(ck, OX_VERDICT_UNSUPPORTED, OX_RULE_UNSUPPORTED_VERSION,
				    ox_arena_printf(a, "no kernel for %s-%d%s; %s serves %s %s", op,
						    since, served(ents, n, since, -1)
						    ? " at this model opset" : "", t->name, op,
						    ranges_text(a, ents, n)),
				    suggest_for_op(c, t, ents, n, node, s, opset));
	}
}

/* --- walking the graphs --- */

static int audit_graph(struct ctx *c, struct ox_graph *g, const char *path, bool in_fn);

static int
function_index(const struct ox_model *m, const struct ox_node *node)
{
	for (size_t i = 0; i < m->n_functions; i++) {
		const struct ox_function *f = m->functions[i];

		if (f->name && !strcmp(f->name, node->op_type) &&
		    ((ox_domain_is_onnx(f->domain) && ox_domain_is_onnx(node->domain)) ||
		     (f->domain && node->domain && !strcmp(f->domain, node->domain))))
			return (int)i;
	}
	return -1;
}

/* Audit function i's body once; its worst check per target stands for each call. */
static int
audit_function(struct ctx *c, int i)
{
	struct ox_function *f = c->m->functions[i];
	const struct ox_opset *save = c->fn_opsets;
	size_t save_n = c->n_fn_opsets, first = c->am->n_nodes_audited;
	struct ox_audit_check *worst;
	int r;

	if (c->fn_checks[i] || c->fn_busy[i] || !f->body)
		return 0;
	worst = ox_arena_calloc(&c->am->arena, c->nt ? c->nt : 1, sizeof *worst);
	if (!worst)
		return OX_ENOMEM;
	c->fn_busy[i] = true;
	c->fn_opsets = f->opsets;
	c->n_fn_opsets = f->n_opsets;
	r = audit_graph(c, f->body, ox_arena_printf(&c->am->arena, "function %s%s%s",
						    f->domain ? f->domain : "",
						    f->domain && *f->domain ? ":" : "",
						    f->name ? f->name : "?"), true);
	c->fn_opsets = save;
	c->n_fn_opsets = save_n;
	c->fn_busy[i] = false;
	if (r < 0)
		return r;
	for (size_t k = first; k < c->am->n_nodes_audited; k++) {
		const struct ox_audit_node *an = &c->am->nodes[k];

		for (size_t t = 0; t < c->nt; t++) {
			if (an->checks[t].verdict > worst[t].verdict) {
				worst[t] = an->checks[t];
				worst[t].reason = ox_arena_printf(&c->am->arena, "in the body of "
								  "function %s: %s (%s)",
								  f->name ? f->name : "?",
								  an->checks[t].reason, an->op);
			}
			worst[t].unverified = worst[t].unverified || an->checks[t].unverified;
		}
	}
	c->fn_checks[i] = worst;
	return 0;
}

static int
count_optype(struct ctx *c, const struct ox_audit_node *an)
{
	struct ox_audit_model *am = c->am;
	char *key = ox_arena_printf(&am->arena, "%s\x1f%s\x1f%d", an->domain, an->op,
				    an->since_version);
	struct ox_audit_optype *o;
	size_t idx;

	if (!key)
		return OX_ENOMEM;
	idx = (size_t)(uintptr_t)ox_strmap_get(&c->optype_index, key);
	if (!idx) {
		o = ox_arena_push(&am->arena, &am->optypes, &am->n_optypes, &c->cap_optypes,
				  sizeof *o);
		if (!o)
			return OX_ENOMEM;
		o->domain = an->domain;
		o->op = an->op;
		o->since_version = an->since_version;
		o->custom = an->custom;
		o->worst = ox_arena_calloc(&am->arena, c->nt + 1, sizeof *o->worst);
		o->reason = ox_arena_calloc(&am->arena, c->nt + 1, sizeof *o->reason);
		if (!o->worst || !o->reason)
			return OX_ENOMEM;
		idx = am->n_optypes;
		if (ox_strmap_put(&c->optype_index, key, (void *)(uintptr_t)idx) < 0)
			return OX_ENOMEM;
	}
	o = &am->optypes[idx - 1];
	o->count++;
	for (size_t t = 0; t < c->nt; t++) {
		if (an->checks[t].verdict > o->worst[t] ||
		    (an->checks[t].verdict && !o->reason[t])) {
			o->worst[t] = an->checks[t].verdict;
			o->reason[t] = an->checks[t].reason;
		}
	}
	return 0;
}

static int
audit_node(struct ctx *c, struct ox_node *node, const char *path, bool in_fn)
{
	struct ox_audit_model *am = c->am;
	struct ox_arena *a = &am->arena;
	const char *dom = ox_domain_is_onnx(node->domain) ? "" : node->domain;
	const struct ox_op_schema *s = NULL;
	int64_t opset = opset_of(c, dom);
	struct ox_audit_node *an;
	int fn = -1;

	if (!*dom || !strcmp(dom, "ai.onnx.ml"))
		s = opset >= 0 ? ox_op_find(dom, node->op_type, opset > INT_MAX ? INT_MAX
									 : (int)opset) : NULL;
	if (!s) {
		fn = function_index(c->m, node);
		if (fn >= 0) {
			int r = audit_function(c, fn);

			if (r < 0)
				return r;
			if (!c->fn_checks[fn])
				fn = -1;        /* a function calling itself */
		}
	}
	an = ox_arena_push(a, &am->nodes, &am->n_nodes_audited, &c->cap_nodes, sizeof *an);
	if (!an)
		return OX_ENOMEM;
	/* The model goes away before the reports are written: copy its strings. */
	an->node = node;
	an->name = ox_arena_strdup(a, node->name ? node->name : "");
	an->graph = path;
	an->domain = *dom ? ox_arena_strdup(a, dom) : "ai.onnx";
	an->op = ox_arena_strdup(a, node->op_type);
	an->since_version = s ? s->since_version : -1;
	an->custom = is_custom_domain(dom);
	an->in_function = in_fn;
	an->n_inputs = node->n_in;
	an->n_outputs = node->n_out;
	an->inputs = ox_arena_calloc(a, (size_t)node->n_in + 1, sizeof *an->inputs);
	an->outputs = ox_arena_calloc(a, (size_t)node->n_out + 1, sizeof *an->outputs);
	an->checks = ox_arena_calloc(a, c->nt + 1, sizeof *an->checks);
	if (!an->inputs || !an->outputs || !an->checks || !an->name || !an->domain || !an->op)
		return OX_ENOMEM;
	for (int i = 0; i < node->n_in; i++) {
		const char *ty = value_type(a, node->in[i]);

		an->inputs[i] = !node->in[i] ? "" : ty ? ty : "?";
	}
	for (int i = 0; i < node->n_out; i++) {
		const char *ty = value_type(a, node->out[i]);

		an->outputs[i] = !node->out[i] ? "" : ty ? ty : "?";
	}
	for (size_t t = 0; t < c->nt; t++) {
		if (fn >= 0 && c->fn_checks[fn]) {
			size_t n;

			if (!ox_target_find(c->targets[t], dom, node->op_type, &n)) {
				/* Runtimes inline model-local functions: judge the body. */
				an->checks[t] = c->fn_checks[fn][t];
				add_note(c, &an->checks[t], ox_arena_printf(a, "model-local function "
						"%s: verdict of its body's nodes", node->op_type));
				continue;
			}
		}
		check_target(c, c->targets[t], node, dom, s, an->since_version, opset,
			     &an->checks[t]);
	}
	if (!in_fn) {
		for (size_t t = 0; t < c->nt; t++) {
			struct ox_audit_summary *sm = &am->summary[t];

			switch (an->checks[t].verdict) {
			case OX_VERDICT_SUPPORTED: sm->supported++; break;
			case OX_VERDICT_PARTIAL: sm->partial++; break;
			default: sm->unsupported++; break;
			}
			sm->unverified += an->checks[t].unverified;
			if (an->checks[t].verdict > sm->verdict)
				sm->verdict = an->checks[t].verdict;
		}
		return count_optype(c, an);
	}
	return 0;
}

static int
audit_graph(struct ctx *c, struct ox_graph *g, const char *path, bool in_fn)
{
	int r;

	if (!path)
		return OX_ENOMEM;
	if (++c->depth > OX_MAX_GRAPH_DEPTH) {
		c->depth--;
		return 0;
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		struct ox_node *node = g->nodes[i];

		if (node->dead)
			continue;
		if ((r = audit_node(c, node, path, in_fn)) < 0)
			return r;
		for (size_t k = 0; k < node->n_attrs; k++) {
			const struct ox_attr *at = &node->attrs[k];
			const char *owner = node->name && *node->name ? node->name : node->op_type;

			if (at->g) {
				c->am->n_subgraphs += !in_fn;
				r = audit_graph(c, at->g, ox_arena_printf(&c->am->arena, "%s/%s/%s",
									   path, owner, at->name),
						in_fn);
				if (r < 0)
					return r;
			}
			for (size_t j = 0; j < at->n_graphs; j++) {
				c->am->n_subgraphs += !in_fn;
				r = audit_graph(c, at->graphs[j],
						ox_arena_printf(&c->am->arena, "%s/%s/%s[%zu]", path,
								owner, at->name, j), in_fn);
				if (r < 0)
					return r;
			}
		}
	}
	c->depth--;
	return 0;
}

static void
count_params(struct ox_audit_model *am, const struct ox_graph *g, int depth)
{
	if (depth > OX_MAX_GRAPH_DEPTH)
		return;
	for (size_t i = 0; i < g->n_inits; i++) {
		am->n_initializers++;
		if (g->inits[i]->init)
			am->n_params += g->inits[i]->init->nelem;
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];

		for (size_t k = 0; k < node->n_attrs; k++) {
			if (node->attrs[k].g)
				count_params(am, node->attrs[k].g, depth + 1);
			for (size_t j = 0; j < node->attrs[k].n_graphs; j++)
				count_params(am, node->attrs[k].graphs[j], depth + 1);
		}
	}
}

static struct ox_audit_model *
result_new(const char *label, size_t n_targets)
{
	struct ox_audit_model *am = calloc(1, sizeof *am);

	if (!am)
		return NULL;
	ox_arena_init(&am->arena);
	am->path = ox_arena_strdup(&am->arena, label ? label : "");
	am->summary = ox_arena_calloc(&am->arena, n_targets + 1, sizeof *am->summary);
	am->n_targets = n_targets;
	if (!am->path || !am->summary) {
		ox_audit_model_free(am);
		return NULL;
	}
	return am;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
audit_into(struct ox_audit_model *am, struct ox_model *m, struct ox_target *const *targets,
	   size_t n_targets, const struct ox_audit_opts *opts)
{
	struct ctx c = { .am = am, .m = m, .targets = targets, .nt = n_targets };
	int r = 0;

	am->has_ir_version = m->has_ir_version;
	am->ir_version = m->ir_version;
	am->producer_name = ox_arena_strdup(&am->arena, m->producer_name);
	am->producer_version = ox_arena_strdup(&am->arena, m->producer_version);
	am->n_functions = m->n_functions;
	am->opsets = ox_arena_calloc(&am->arena, m->n_opsets + 1, sizeof *am->opsets);
	if (!am->opsets)
		return OX_ENOMEM;
	for (size_t i = 0; i < m->n_opsets; i++) {
		am->opsets[i].domain = ox_domain_is_onnx(m->opsets[i].domain) ? "ai.onnx"
			: ox_arena_strdup(&am->arena, m->opsets[i].domain);
		am->opsets[i].version = m->opsets[i].has_version ? m->opsets[i].version : -1;
	}
	am->n_opsets = m->n_opsets;
	if (!m->graph)
		return 0;
	if (!opts || opts->infer) {
		struct ox_diag d;

		ox_diag_init(&d, am->path);
		am->infer_conflicts = ox_shape_infer(m, 0, &d);
		ox_diag_release(&d);
	}
	am->n_nodes = ox_graph_count_nodes(m->graph, false);
	am->n_nodes_deep = ox_graph_count_nodes(m->graph, true);
	count_params(am, m->graph, 0);
	ox_strmap_init(&c.optype_index);
	c.fn_checks = calloc(m->n_functions + 1, sizeof *c.fn_checks);
	c.fn_busy = calloc(m->n_functions + 1, sizeof *c.fn_busy);
	if (!c.fn_checks || !c.fn_busy)
		r = OX_ENOMEM;
	else
		r = audit_graph(&c, m->graph, "main", false);
	free(c.fn_checks);
	free(c.fn_busy);
	ox_strmap_release(&c.optype_index);
	return r;
}

void
ox_audit_prepare(void)
{
	ox_shape_register();
}

int
ox_audit_loaded(struct ox_model *m, const char *label, struct ox_target *const *targets,
		size_t n_targets, const struct ox_audit_opts *opts,
		struct ox_audit_model **out)
{
	struct ox_audit_model *am = result_new(label, n_targets);
	double t0 = now();
	int r;

	*out = NULL;
	if (!am)
		return OX_ENOMEM;
	r = audit_into(am, m, targets, n_targets, opts);
	if (r < 0) {
		ox_audit_model_free(am);
		return r;
	}
	am->seconds = now() - t0;
	*out = am;
	return 0;
}

int
ox_audit_file(const char *path, struct ox_target *const *targets, size_t n_targets,
	      const struct ox_audit_opts *opts, struct ox_audit_model **out)
{
	struct ox_audit_model *am = result_new(path, n_targets);
	struct ox_model *m = NULL;
	struct ox_diag d;
	double t0 = now();
	int r;

	*out = NULL;
	if (!am)
		return OX_ENOMEM;
	file_digest(path, am);
	ox_diag_init(&d, path);
	r = ox_model_load_flags(path, OX_LOAD_IN_PLACE, &m, &d);
	if (r < 0) {
		char *msg = d.n ? ox_diag_format(&d, 0) : NULL;

		am->status = r;
		am->error = ox_arena_strdup(&am->arena, msg ? msg : ox_strerror(r));
		free(msg);
		ox_diag_release(&d);
		if (r == OX_ENOMEM) {
			ox_audit_model_free(am);
			return r;
		}
		am->seconds = now() - t0;
		*out = am;
		return 0;
	}
	ox_diag_release(&d);
	r = audit_into(am, m, targets, n_targets, opts);
	ox_model_free(m);
	if (r < 0) {
		ox_audit_model_free(am);
		return r;
	}
	am->seconds = now() - t0;
	*out = am;
	return 0;
}

void
ox_audit_model_free(struct ox_audit_model *am)
{
	if (!am)
		return;
	ox_arena_release(&am->arena);
	free(am);
}

enum ox_verdict
ox_audit_batch_verdict(struct ox_audit_model *const *models, size_t n, size_t t)
{
	enum ox_verdict v = OX_VERDICT_SUPPORTED;

	for (size_t i = 0; i < n; i++)
		if (models[i] && models[i]->status == 0 && t < models[i]->n_targets &&
		    models[i]->summary[t].verdict > v)
			v = models[i]->summary[t].verdict;
	return v;
}

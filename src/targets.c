/* targets.c: loading, validating and looking up runtime profiles. See targets.h. */
#include "config.h"

#include "targets.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "graph.h"
#include "ops.h"

/* Profile files are small (the largest built-in one is about 200 KB); a bigger one
 * is a mistake, not a profile. */
#define MAX_PROFILE_BYTES (64u << 20)

static const char *const kind_names[OX_R_KIND_COUNT] = {
	[OX_R_NOTE] = "note", [OX_R_CONST_INPUT] = "const_input",
	[OX_R_INPUT_ABSENT] = "input_absent", [OX_R_OUTPUT_ABSENT] = "output_absent",
	[OX_R_INPUT_RANK] = "input_rank", [OX_R_STATIC_SHAPE] = "static_shape",
	[OX_R_ATTR] = "attr", [OX_R_ATTR_ABSENT] = "attr_absent",
	[OX_R_UNSUPPORTED_TYPES] = "unsupported_types",
	[OX_R_ALLOWED_TYPES] = "allowed_types", [OX_R_MAX_RANK] = "max_rank",
};

const char *
ox_restr_kind_name(enum ox_restr_kind k)
{
	return (unsigned)k < OX_R_KIND_COUNT ? kind_names[k] : "?";
}

/* --- parsing with validation --- */

struct parse {
	struct ox_target *t;
	struct ox_diag *d;
	const char *origin;
	int errors;
};

static void __attribute__((format(printf, 3, 4)))
bad(struct parse *p, const char *where, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ox_diag_error(p->d, OX_EINVAL, "target profile %s: %s%s%s", p->origin,
		      where, *where ? ": " : "", msg);
	p->errors++;
}

/* Every key of o must be one of allowed (a NULL-terminated list) or start "x-". */
static void
check_keys(struct parse *p, const char *where, json_t *o, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		bool ok = !strncmp(key, "x-", 2);

		for (const char *const *a = allowed; !ok && *a; a++)
			ok = !strcmp(key, *a);
		if (!ok)
			bad(p, where, "unknown key '%s'", key);
	}
}

static const char *
get_string(struct parse *p, const char *where, json_t *o, const char *key, bool required)
{
	json_t *v = json_object_get(o, key);

	if (!v) {
		if (required)
			bad(p, where, "missing '%s'", key);
		return NULL;
	}
	if (!json_is_string(v) || !json_string_length(v)) {
		bad(p, where, "'%s' must be a non-empty string", key);
		return NULL;
	}
	return ox_arena_strdup(&p->t->arena, json_string_value(v));
}

/* An index (input/output position, rank): a non-negative integer below INT_MAX. */
static int
get_index(struct parse *p, const char *where, json_t *v, const char *what)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= INT_MAX) {
		bad(p, where, "'%s' must be a non-negative integer", what);
		return -1;
	}
	return (int)json_integer_value(v);
}

static bool
get_range(struct parse *p, const char *where, json_t *v, struct ox_range *r)
{
	json_t *lo, *hi;

	if (!json_is_array(v) || json_array_size(v) != 2) {
		bad(p, where, "a range must be [low, high]");
		return false;
	}
	lo = json_array_get(v, 0);
	hi = json_array_get(v, 1);
	if (!json_is_integer(lo) || json_integer_value(lo) < 1 ||
	    json_integer_value(lo) >= INT_MAX) {
		bad(p, where, "the low end of a range must be an integer >= 1");
		return false;
	}
	if (!json_is_null(hi) && (!json_is_integer(hi) || json_integer_value(hi) < 1 ||
				  json_integer_value(hi) >= INT_MAX)) {
		bad(p, where, "the high end of a range must be an integer >= 1 or null");
		return false;
	}
	r->lo = (int)json_integer_value(lo);
	r->hi = json_is_null(hi) ? OX_RANGE_OPEN : (int)json_integer_value(hi);
	if (r->hi < r->lo) {
		bad(p, where, "range [%d, %d] is out of order", r->lo, r->hi);
		return false;
	}
	return true;
}

/* A type string as ONNX writes it in schemas: "tensor(float)", "seq(tensor(int64))". */
static bool
type_string_ok(const char *s)
{
	static const char *const heads[] = { "tensor(", "sparse_tensor(", "seq(",
					     "optional(", "map(" };
	size_t n = strlen(s);

	if (n < 3 || s[n - 1] != ')')
		return false;
	for (size_t i = 0; i < sizeof heads / sizeof *heads; i++)
		if (!strncmp(s, heads[i], strlen(heads[i])) && n > strlen(heads[i]) + 1)
			return true;
	return false;
}

static const char *const *
get_types(struct parse *p, const char *where, json_t *v, size_t *n)
{
	const char **out;
	size_t i;
	json_t *e;

	*n = 0;
	if (!json_is_array(v) || !json_array_size(v)) {
		bad(p, where, "must be a non-empty list of type strings");
		return NULL;
	}
	out = ox_arena_calloc(&p->t->arena, json_array_size(v), sizeof *out);
	if (!out)
		return NULL;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || !type_string_ok(json_string_value(e))) {
			bad(p, where, "item %zu is not an ONNX type string such as "
			    "\"tensor(float)\"", i);
			return NULL;
		}
		out[i] = ox_arena_strdup(&p->t->arena, json_string_value(e));
	}
	*n = json_array_size(v);
	return out;
}

static const struct ox_scalar *
get_scalars(struct parse *p, const char *where, json_t *v, size_t *n)
{
	struct ox_scalar *out;
	size_t i;
	json_t *e;

	*n = 0;
	if (!json_is_array(v) || !json_array_size(v)) {
		bad(p, where, "must be a non-empty list of strings or numbers");
		return NULL;
	}
	out = ox_arena_calloc(&p->t->arena, json_array_size(v), sizeof *out);
	if (!out)
		return NULL;
	json_array_foreach(v, i, e) {
		if (json_is_string(e))
			out[i].s = ox_arena_strdup(&p->t->arena, json_string_value(e));
		else if (json_is_number(e))
			out[i].num = json_number_value(e);
		else if (json_is_boolean(e))
			out[i].num = json_is_true(e);
		else {
			bad(p, where, "item %zu must be a string or a number", i);
			return NULL;
		}
	}
	*n = json_array_size(v);
	return out;
}

static void
parse_restriction(struct parse *p, const char *where, json_t *o, struct ox_restriction *r)
{
	static const char *const k_note[] = { "kind", "text", NULL };
	static const char *const k_in[] = { "kind", "text", "input", "input_name", NULL };
	static const char *const k_const[] = { "kind", "text", "input", "input_name",
					       "equals", NULL };
	static const char *const k_out[] = { "kind", "text", "output", "output_name", NULL };
	static const char *const k_rank[] = { "kind", "text", "input", "input_name", "ranks",
					      NULL };
	static const char *const k_static[] = { "kind", "text", "input", "input_name",
						"output", "output_name", NULL };
	static const char *const k_attr[] = { "kind", "text", "attr", "allowed", "forbidden",
					      "allowed_elements", NULL };
	static const char *const k_attr_absent[] = { "kind", "text", "attr", NULL };
	static const char *const k_types[] = { "kind", "text", "types", NULL };
	static const char *const k_max[] = { "kind", "text", "rank", NULL };
	static const char *const *const keys[OX_R_KIND_COUNT] = {
		[OX_R_NOTE] = k_note, [OX_R_CONST_INPUT] = k_const,
		[OX_R_INPUT_ABSENT] = k_in, [OX_R_OUTPUT_ABSENT] = k_out,
		[OX_R_INPUT_RANK] = k_rank, [OX_R_STATIC_SHAPE] = k_static,
		[OX_R_ATTR] = k_attr, [OX_R_ATTR_ABSENT] = k_attr_absent,
		[OX_R_UNSUPPORTED_TYPES] = k_types, [OX_R_ALLOWED_TYPES] = k_types,
		[OX_R_MAX_RANK] = k_max,
	};
	const char *kind;
	json_t *v;
	int k;

	r->input = r->output = -1;
	if (!json_is_object(o)) {
		bad(p, where, "a restriction must be an object");
		return;
	}
	kind = json_string_value(json_object_get(o, "kind"));
	if (!kind) {
		bad(p, where, "missing 'kind'");
		return;
	}
	for (k = 0; k < OX_R_KIND_COUNT; k++)
		if (!strcmp(kind, kind_names[k]))
			break;
	if (k == OX_R_KIND_COUNT) {
		bad(p, where, "unknown kind '%s'", kind);
		return;
	}
	r->kind = (enum ox_restr_kind)k;
	check_keys(p, where, o, keys[k]);
	r->text = get_string(p, where, o, "text", true);
	if ((v = json_object_get(o, "input")))
		r->input = get_index(p, where, v, "input");
	if ((v = json_object_get(o, "output")))
		r->output = get_index(p, where, v, "output");
	r->io_name = get_string(p, where, o, r->output >= 0 ? "output_name" : "input_name",
				false);
	switch (r->kind) {
	case OX_R_CONST_INPUT:
	case OX_R_INPUT_ABSENT:
	case OX_R_INPUT_RANK:
		if (!json_object_get(o, "input"))
			bad(p, where, "%s needs 'input'", kind);
		if (r->kind == OX_R_CONST_INPUT && (v = json_object_get(o, "equals"))) {
			if (!json_is_number(v) && !json_is_boolean(v))
				bad(p, where, "'equals' must be a number or a boolean");
			r->has_equals = true;
			r->equals = json_is_boolean(v) ? json_is_true(v) : json_number_value(v);
		}
		if (r->kind == OX_R_INPUT_RANK) {
			json_t *ranks = json_object_get(o, "ranks"), *e;
			int *rs;
			size_t i;

			if (!json_is_array(ranks) || !json_array_size(ranks)) {
				bad(p, where, "input_rank needs a non-empty 'ranks' list");
				break;
			}
			rs = ox_arena_calloc(&p->t->arena, json_array_size(ranks), sizeof *rs);
			if (!rs)
				break;
			json_array_foreach(ranks, i, e)
				rs[i] = get_index(p, where, e, "ranks");
			r->ranks = rs;
			r->n_ranks = json_array_size(ranks);
		}
		break;
	case OX_R_OUTPUT_ABSENT:
		if (!json_object_get(o, "output"))
			bad(p, where, "output_absent needs 'output'");
		break;
	case OX_R_STATIC_SHAPE:
		if (r->input >= 0 && r->output >= 0)
			bad(p, where, "static_shape takes 'input' or 'output', not both");
		break;
	case OX_R_ATTR: {
		static const char *const modes[] = { "allowed", "forbidden", "allowed_elements" };
		int found = 0;

		r->attr = get_string(p, where, o, "attr", true);
		for (int m = 0; m < 3; m++) {
			if (!(v = json_object_get(o, modes[m])))
				continue;
			found++;
			r->attr_mode = m == 0 ? OX_ATTR_ALLOWED : m == 1 ? OX_ATTR_FORBIDDEN
								  : OX_ATTR_ALLOWED_ELEMENTS;
			r->vals = get_scalars(p, where, v, &r->n_vals);
		}
		if (found != 1)
			bad(p, where, "attr needs exactly one of 'allowed', 'forbidden', "
			    "'allowed_elements'");
		break;
	}
	case OX_R_ATTR_ABSENT:
		r->attr = get_string(p, where, o, "attr", true);
		break;
	case OX_R_UNSUPPORTED_TYPES:
	case OX_R_ALLOWED_TYPES:
		r->types = get_types(p, where, json_object_get(o, "types"), &r->n_types);
		break;
	case OX_R_MAX_RANK:
		if (!(v = json_object_get(o, "rank")))
			bad(p, where, "max_rank needs 'rank'");
		else
			r->rank = get_index(p, where, v, "rank");
		break;
	default:
		break;
	}
}

static void
parse_op(struct parse *p, size_t idx, json_t *o, struct ox_target_op *op)
{
	static const char *const keys[] = { "domain", "op", "supported", "versions",
					    "opset_range", "types", "restrictions", "reason",
					    "comment", NULL };
	char where[160];
	const char *dom;
	json_t *v, *e;
	size_t i;

	snprintf(where, sizeof where, "ops[%zu]", idx);
	if (!json_is_object(o)) {
		bad(p, where, "an op entry must be an object");
		return;
	}
	check_keys(p, where, o, keys);
	dom = get_string(p, where, o, "domain", true);
	op->op = get_string(p, where, o, "op", true);
	if (op->op)
		snprintf(where, sizeof where, "ops[%zu] (%s)", idx, op->op);
	op->domain = !dom || !strcmp(dom, "ai.onnx") ? "" : dom;
	v = json_object_get(o, "supported");
	if (!json_is_boolean(v))
		bad(p, where, "'supported' must be true or false");
	op->supported = json_is_true(v);
	v = json_object_get(o, "versions");
	if (!json_is_array(v)) {
		bad(p, where, "'versions' must be a list of ranges");
	} else {
		struct ox_range *rs = ox_arena_calloc(&p->t->arena, json_array_size(v) + 1,
						      sizeof *rs);
		size_t n = 0;

		if (!rs)
			return;
		json_array_foreach(v, i, e)
			if (get_range(p, where, e, &rs[n]))
				n++;
		op->versions = rs;
		op->n_versions = n;
		if (op->supported && !json_array_size(v))
			bad(p, where, "a supported op needs at least one version range");
		if (!op->supported && json_array_size(v))
			bad(p, where, "an unsupported op must have empty 'versions'");
	}
	if ((v = json_object_get(o, "opset_range")))
		op->has_opset_range = get_range(p, where, v, &op->opset_range);
	if ((v = json_object_get(o, "types"))) {
		struct ox_target_types *ts;
		const char *key;

		if (!json_is_object(v)) {
			bad(p, where, "'types' must be an object");
		} else if ((ts = ox_arena_calloc(&p->t->arena, json_object_size(v) + 1,
						 sizeof *ts))) {
			json_object_foreach(v, key, e) {
				ts[op->n_types].key = ox_arena_strdup(&p->t->arena, key);
				ts[op->n_types].types = get_types(p, where, e, &ts[op->n_types].n);
				op->n_types++;
			}
			op->types = ts;
		}
	}
	if ((v = json_object_get(o, "restrictions"))) {
		struct ox_restriction *rs;

		if (!json_is_array(v)) {
			bad(p, where, "'restrictions' must be a list");
		} else if ((rs = ox_arena_calloc(&p->t->arena, json_array_size(v) + 1,
						 sizeof *rs))) {
			json_array_foreach(v, i, e) {
				char w2[200];

				snprintf(w2, sizeof w2, "%s.restrictions[%zu]", where, i);
				parse_restriction(p, w2, e, &rs[i]);
			}
			op->restrictions = rs;
			op->n_restrictions = json_array_size(v);
		}
	}
	op->reason = get_string(p, where, o, "reason", false);
	op->comment = get_string(p, where, o, "comment", false);
}

static int
op_cmp(const void *a, const void *b)
{
	const struct ox_target_op *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	return c ? c : strcmp(x->op, y->op);
}

/* qsort is not stable; entries of one op keep file order through this wrapper. */
struct op_slot {
	struct ox_target_op op;
	size_t order;
};

static int
slot_cmp(const void *a, const void *b)
{
	const struct op_slot *x = a, *y = b;
	int c = op_cmp(&x->op, &y->op);

	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static int
sort_ops(struct ox_target *t, struct ox_target_op *ops, size_t n)
{
	struct op_slot *s = malloc((n ? n : 1) * sizeof *s);

	if (!s)
		return OX_ENOMEM;
	for (size_t i = 0; i < n; i++)
		s[i] = (struct op_slot){ ops[i], i };
	qsort(s, n, sizeof *s, slot_cmp);
	for (size_t i = 0; i < n; i++)
		ops[i] = s[i].op;
	free(s);
	t->ops = ops;
	t->n_ops = n;
	return 0;
}

static struct ox_target *
target_new(void)
{
	struct ox_target *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	ox_arena_init(&t->arena);
	t->default_max_rank = -1;
	return t;
}

int
ox_target_parse(const char *buf, size_t len, const char *origin,
		struct ox_target **out, struct ox_diag *d)
{
	static const char *const keys[] = { "schema_version", "name", "runtime",
					    "runtime_version", "device", "source", "notes",
					    "default_max_rank", "expands_functions",
					    "opset_ranges", "type_conversions", "ops", NULL };
	struct parse p = { .d = d, .origin = origin ? origin : "(profile)" };
	json_error_t jerr;
	json_t *root, *v, *e;
	const char *key;
	size_t i;
	int r = 0;

	*out = NULL;
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return ox_diag_error(d, OX_EINVAL, "target profile %s: not valid JSON: "
				     "line %d column %d: %s", p.origin, jerr.line,
				     jerr.column, jerr.text);
	if (!(p.t = target_new())) {
		json_decref(root);
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	}
	if (!json_is_object(root)) {
		bad(&p, "", "the top level must be an object");
		goto done;
	}
	check_keys(&p, "top level", root, keys);
	v = json_object_get(root, "schema_version");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		bad(&p, "schema_version", "must be 1 (this onnx-opt reads format 1)");
	p.t->path = origin ? ox_arena_strdup(&p.t->arena, origin) : NULL;
	p.t->name = get_string(&p, "top level", root, "name", true);
	p.t->runtime = get_string(&p, "top level", root, "runtime", true);
	p.t->runtime_version = get_string(&p, "top level", root, "runtime_version", true);
	p.t->device = get_string(&p, "top level", root, "device", false);
	p.t->source = get_string(&p, "top level", root, "source", false);
	if ((v = json_object_get(root, "notes"))) {
		const char **ns = ox_arena_calloc(&p.t->arena, json_array_size(v) + 1,
						  sizeof *ns);

		if (!json_is_array(v) || !ns)
			bad(&p, "notes", "must be a list of strings");
		else {
			json_array_foreach(v, i, e) {
				if (!json_is_string(e))
					bad(&p, "notes", "item %zu is not a string", i);
				else
					ns[p.t->n_notes++] = ox_arena_strdup(&p.t->arena,
									     json_string_value(e));
			}
			p.t->notes = ns;
		}
	}
	v = json_object_get(root, "default_max_rank");
	if (v && !json_is_null(v))
		p.t->default_max_rank = get_index(&p, "default_max_rank", v, "default_max_rank");
	v = json_object_get(root, "expands_functions");
	if (v && !json_is_boolean(v))
		bad(&p, "expands_functions", "must be true or false");
	p.t->expands_functions = json_is_true(v);
	if ((v = json_object_get(root, "opset_ranges"))) {
		struct ox_target_opset_range *rs =
			ox_arena_calloc(&p.t->arena, json_object_size(v) + 1, sizeof *rs);

		if (!json_is_object(v) || !rs)
			bad(&p, "opset_ranges", "must be an object of domain: [low, high]");
		else {
			json_object_foreach(v, key, e) {
				struct ox_target_opset_range *x = &rs[p.t->n_opset_ranges];

				x->domain = !strcmp(key, "ai.onnx") ? ""
								    : ox_arena_strdup(&p.t->arena, key);
				if (get_range(&p, "opset_ranges", e, &x->r))
					p.t->n_opset_ranges++;
			}
			p.t->opset_ranges = rs;
		}
	}
	if ((v = json_object_get(root, "type_conversions"))) {
		struct ox_target_conversion *cs =
			ox_arena_calloc(&p.t->arena, json_object_size(v) + 1, sizeof *cs);

		if (!json_is_object(v) || !cs)
			bad(&p, "type_conversions", "must be an object of type: type");
		else {
			json_object_foreach(v, key, e) {
				if (!type_string_ok(key) || !json_is_string(e) ||
				    !type_string_ok(json_string_value(e))) {
					bad(&p, "type_conversions", "'%s' must map an ONNX type "
					    "string to another", key);
					continue;
				}
				cs[p.t->n_conversions].from = ox_arena_strdup(&p.t->arena, key);
				cs[p.t->n_conversions++].to =
					ox_arena_strdup(&p.t->arena, json_string_value(e));
			}
			p.t->conversions = cs;
		}
	}
	v = json_object_get(root, "ops");
	if (!json_is_array(v)) {
		bad(&p, "ops", "missing or not a list");
	} else {
		struct ox_target_op *ops = ox_arena_calloc(&p.t->arena, json_array_size(v) + 1,
							   sizeof *ops);

		if (!ops) {
			r = ox_diag_error(d, OX_ENOMEM, "out of memory");
			goto done;
		}
		json_array_foreach(v, i, e)
			parse_op(&p, i, e, &ops[i]);
		if (!p.errors)
			r = sort_ops(p.t, ops, json_array_size(v));
	}
done:
	json_decref(root);
	if (!r && p.errors)
		r = OX_EINVAL;
	if (r) {
		ox_target_free(p.t);
		return r;
	}
	*out = p.t;
	return 0;
}

int
ox_target_load_file(const char *path, struct ox_target **out, struct ox_diag *d)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;
	size_t n;
	int r;

	*out = NULL;
	if (!f)
		return ox_diag_error(d, OX_EIO, "target profile %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return ox_diag_error(d, OX_EIO, "target profile %s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > MAX_PROFILE_BYTES) {
		fclose(f);
		return ox_diag_error(d, OX_ELIMIT, "target profile %s: larger than %u MB",
				     path, MAX_PROFILE_BYTES >> 20);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fclose(f);
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return ox_diag_error(d, OX_EIO, "target profile %s: read error", path);
	}
	fclose(f);
	r = ox_target_parse(buf, n, path, out, d);
	free(buf);
	return r;
}

void
ox_target_free(struct ox_target *t)
{
	if (!t)
		return;
	ox_arena_release(&t->arena);
	free(t);
}

const struct ox_target_op *
ox_target_find(const struct ox_target *t, const char *domain, const char *op, size_t *n)
{
	struct ox_target_op key = { .domain = ox_domain_is_onnx(domain) ? "" : domain,
				    .op = op };
	const struct ox_target_op *hit;
	size_t lo, hi;

	*n = 0;
	hit = bsearch(&key, t->ops, t->n_ops, sizeof *t->ops, op_cmp);
	if (!hit)
		return NULL;
	lo = hi = (size_t)(hit - t->ops);
	while (lo > 0 && !op_cmp(&t->ops[lo - 1], &key))
		lo--;
	while (hi + 1 < t->n_ops && !op_cmp(&t->ops[hi + 1], &key))
		hi++;
	*n = hi - lo + 1;
	return &t->ops[lo];
}

/* --- opset:N from the registry --- */

int
ox_target_newest_opset(void)
{
	int newest = 1;

	for (int i = 0; i < ox_op_count(); i++) {
		const struct ox_op_schema *s = ox_op_at(i);

		if (!*s->domain && s->since_version > newest)
			newest = s->since_version;
	}
	return newest;
}

int
ox_target_opset(int n, struct ox_target **out, struct ox_diag *d)
{
	int newest = ox_target_newest_opset(), rows = ox_op_count();
	struct ox_target_op *ops;
	struct ox_target *t;
	size_t k = 0;

	*out = NULL;
	if (n < 1 || n > newest)
		return ox_diag_error(d, OX_EUSAGE, "opset:%d: the registry knows ai.onnx "
				     "opsets 1 to %d", n, newest);
	if (!(t = target_new()))
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	t->name = ox_arena_printf(&t->arena, "opset:%d", n);
	t->opset = n;
	t->runtime = "ONNX";
	t->runtime_version = ox_arena_printf(&t->arena, "opset %d", n);
	t->source = "onnx-opt's operator registry (generated from the ONNX schemas)";
	ops = ox_arena_calloc(&t->arena, (size_t)rows + 1, sizeof *ops);
	if (!ops || !t->name || !t->runtime_version) {
		ox_target_free(t);
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	}
	for (int i = 0; i < rows; i++) {
		const struct ox_op_schema *s = ox_op_at(i), *cur;
		struct ox_target_op *op;
		struct ox_range *r;

		/* One entry per op: visit each op's newest row only. */
		if (i + 1 < rows && !strcmp(ox_op_at(i + 1)->name, s->name) &&
		    !strcmp(ox_op_at(i + 1)->domain, s->domain))
			continue;
		op = &ops[k];
		op->domain = s->domain;
		op->op = s->name;
		if (*s->domain) {
			/* ai.onnx.ml has its own opset numbers; opset:N limits ai.onnx only. */
			if (!(r = ox_arena_alloc(&t->arena, sizeof *r)))
				goto oom;
			*r = (struct ox_range){ 1, OX_RANGE_OPEN };
			op->supported = true;
			op->versions = r;
			op->n_versions = 1;
			k++;
			continue;
		}
		cur = ox_op_find("", s->name, n);
		if (!cur)
			continue;       /* introduced after opset n: no entry */
		if (cur->deprecated) {
			op->reason = ox_arena_printf(&t->arena, "%s is deprecated as of opset "
						     "%d (since opset %d)", s->name, n,
						     cur->since_version);
			if (!op->reason)
				goto oom;
			k++;
			continue;
		}
		if (!(r = ox_arena_alloc(&t->arena, sizeof *r)))
			goto oom;
		*r = (struct ox_range){ cur->since_version, cur->since_version };
		op->supported = true;
		op->versions = r;
		op->n_versions = 1;
		k++;
	}
	/* The registry is sorted by (domain, op) like profiles, so no sort is needed. */
	t->ops = ops;
	t->n_ops = k;
	*out = t;
	return 0;
oom:
	ox_target_free(t);
	return ox_diag_error(d, OX_ENOMEM, "out of memory");
}

/* --- onnx-opt: the built-in executor --- */

int
ox_target_exec(struct ox_target **out, struct ox_diag *d)
{
	int rows = ox_op_count();
	struct ox_target_op *ops;
	struct ox_target *t;
	size_t k = 0;

	*out = NULL;
	if (!(t = target_new()))
		return ox_diag_error(d, OX_ENOMEM, "out of memory");
	t->name = "onnx-opt";
	t->runtime = "onnx-opt executor";
	t->runtime_version = PACKAGE_VERSION;
	t->device = "CPU";
	t->source = "the executor's kernel table (src/ops/kernels.def), asked at run time";
	t->default_max_rank = -1;
	ops = ox_arena_calloc(&t->arena, (size_t)rows + ox_exec_kernel_count() + 1, sizeof *ops);
	if (!ops)
		goto oom;
	for (int i = 0; i < rows; i++) {
		const struct ox_op_schema *s = ox_op_at(i);
		struct ox_target_op *op;
		struct ox_range *r;
		int first = s->since_version;

		/* The registry is sorted by (domain, op, since_version): take each op once,
		 * at its oldest row, and skip the rows after it. */
		if (i > 0 && !strcmp(ox_op_at(i - 1)->name, s->name) &&
		    !strcmp(ox_op_at(i - 1)->domain, s->domain))
			continue;
		op = &ops[k++];
		op->domain = s->domain;
		op->op = s->name;
		if (!ox_exec_has_kernel(s->domain, s->name, first)) {
			op->reason = ox_arena_printf(&t->arena, "the onnx-opt executor has no "
						     "kernel for %s%s%s", s->domain,
						     *s->domain ? "." : "", s->name);
			if (!op->reason)
				goto oom;
			continue;
		}
		if (!(r = ox_arena_alloc(&t->arena, sizeof *r)))
			goto oom;
		*r = (struct ox_range){ first, OX_RANGE_OPEN };
		op->supported = true;
		op->versions = r;
		op->n_versions = 1;
	}
	/* Kernels for ops the registry lacks serve every version. */
	for (size_t i = 0; i < ox_exec_kernel_count(); i++) {
		const char *dom, *name;
		struct ox_range *r;

		ox_exec_kernel_at(i, &dom, &name);
		if (ox_op_find(dom, name, INT_MAX))
			continue;
		if (!(r = ox_arena_alloc(&t->arena, sizeof *r)))
			goto oom;
		*r = (struct ox_range){ 1, OX_RANGE_OPEN };
		ops[k++] = (struct ox_target_op){ .domain = dom, .op = name, .supported = true,
						  .versions = r, .n_versions = 1 };
	}
	qsort(ops, k, sizeof *ops, op_cmp);
	t->ops = ops;
	t->n_ops = k;
	*out = t;
	return 0;
oom:
	ox_target_free(t);
	return ox_diag_error(d, OX_ENOMEM, "out of memory");
}

/* --- built-in profiles --- */

static bool
is_dir(const char *p)
{
	struct stat st;

	return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *
ox_targets_dir(void)
{
	static char beside[4096];
	const char *env = getenv("ONNX_OPT_TARGETS");
	ssize_t n;

	if (env && *env)
		return env;     /* taken as given, so a wrong setting shows as an error */
#ifdef OX_TARGETS_DIR
	if (is_dir(OX_TARGETS_DIR))
		return OX_TARGETS_DIR;
#endif
#ifdef OX_TARGETS_SRCDIR
	if (is_dir(OX_TARGETS_SRCDIR))
		return OX_TARGETS_SRCDIR;
#endif
	/* A binary run from its build tree (libtool puts the real one in .libs/). */
	n = readlink("/proc/self/exe", beside, sizeof beside - 32);
	if (n > 0) {
		char *slash;

		beside[n] = '\0';
		for (int up = 0; up < 2 && (slash = strrchr(beside, '/')); up++) {
			strcpy(slash, "/targets");
			if (is_dir(beside))
				return beside;
			*slash = '\0';
		}
	}
	return NULL;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
ox_target_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
ox_target_names(char ***names, size_t *n, struct ox_diag *d)
{
	const char *dir = ox_targets_dir();
	char **v = NULL;
	size_t len = 0, cap = 0;
	struct dirent *e;
	DIR *dp;

	*names = NULL;
	*n = 0;
	if (!dir)
		return ox_diag_error(d, OX_EIO, "no targets directory: set ONNX_OPT_TARGETS "
				     "or install onnx-opt");
	if (!(dp = opendir(dir)))
		return ox_diag_error(d, OX_EIO, "targets directory %s: %s", dir, strerror(errno));
	while ((e = readdir(dp))) {
		size_t l = strlen(e->d_name);

		/* The JSON Schema of the format sits beside the profiles. */
		if (l <= 5 || strcmp(e->d_name + l - 5, ".json") ||
		    strstr(e->d_name, ".schema.") || e->d_name[0] == '.')
			continue;
		if (len == cap) {
			char **p = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v);

			if (!p)
				goto oom;
			v = p;
		}
		if (!(v[len] = strndup(e->d_name, l - 5)))
			goto oom;
		len++;
	}
	closedir(dp);
	if (len)
		qsort(v, len, sizeof *v, name_cmp);
	*names = v;
	*n = len;
	return 0;
oom:
	closedir(dp);
	ox_target_names_free(v, len);
	return ox_diag_error(d, OX_ENOMEM, "out of memory");
}

int
ox_target_open(const char *spec, struct ox_target **out, struct ox_diag *d)
{
	size_t l = strlen(spec);
	const char *dir;
	char path[4096], **names;
	size_t n;
	int r;

	*out = NULL;
	if (!strncmp(spec, "opset:", 6)) {
		char *end;
		long v;

		errno = 0;
		v = strtol(spec + 6, &end, 10);
		if (errno || end == spec + 6 || *end || v < 1 || v > INT_MAX)
			return ox_diag_error(d, OX_EUSAGE, "'%s': write opset:N with N a "
					     "positive number", spec);
		return ox_target_opset((int)v, out, d);
	}
	if (strchr(spec, '/') || (l > 5 && !strcmp(spec + l - 5, ".json")))
		return ox_target_load_file(spec, out, d);
	if (!strcmp(spec, "onnx-opt"))
		return ox_target_exec(out, d);
	dir = ox_targets_dir();
	if (dir && !strchr(spec, '.') &&
	    (size_t)snprintf(path, sizeof path, "%s/%s.json", dir, spec) < sizeof path &&
	    access(path, R_OK) == 0)
		return ox_target_load_file(path, out, d);
	r = ox_target_names(&names, &n, d);
	if (r < 0)
		return ox_diag_error(d, OX_EUSAGE, "unknown target '%s' (use opset:N or a "
				     "profile file)", spec);
	{
		char list[1024] = "";
		size_t at = 0;

		for (size_t i = 0; i < n && at < sizeof list; i++)
			at += (size_t)snprintf(list + at, sizeof list - at, "%s%s",
					       i ? ", " : "", names[i]);
		ox_target_names_free(names, n);
		return ox_diag_error(d, OX_EUSAGE, "unknown target '%s'; built-in: %s, "
				     "onnx-opt, opset:N; or a profile file FILE.json", spec, list);
	}
}

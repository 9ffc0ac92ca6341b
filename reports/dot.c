/* reports/dot.c: a model as a cgraph graph, Netron-style. See dot.h for what is
 * drawn and the counting rule. */
#include "config.h"

#include "dot.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* How long a line inside a box may get, in code points, before it is cut with "…". */
#define ROW_MAX 40
#define HEADER_MAX 32
/* Rows inside one box, beyond which the rest is summed up as "… N more". */
#define ROWS_MAX 12
/* Past this many nodes, layout trades tidiness for time (big_graph). */
#define BIG_GRAPH 1000
#define NS_ITERATIONS 100
/* List elements printed before a list attribute or small tensor is cut. */
#define LIST_MAX 16

#define TIMES "\u00D7"
#define LANGLE "\u27E8"
#define RANGLE "\u27E9"
#define ELLIPSIS "\u2026"

/* Netron's fills per category (its grapher.css), light ones with dark text. The
 * browns for shape/tensor/transform and the orange for quantization are ours. */
_Static_assert(OX_OPC_COUNT == 17, "a new op category needs a colour here");
static const struct {
	const char *fill, *text;
} palette[OX_OPC_COUNT] = {
	[OX_OPC_LAYER] = { "#335588", "#FFFFFF" },
	[OX_OPC_ACTIVATION] = { "#702921", "#FFFFFF" },
	[OX_OPC_POOL] = { "#335533", "#FFFFFF" },
	[OX_OPC_NORMALIZATION] = { "#335544", "#FFFFFF" },
	[OX_OPC_DROPOUT] = { "#454770", "#FFFFFF" },
	[OX_OPC_SHAPE] = { "#6C4F47", "#FFFFFF" },
	[OX_OPC_TENSOR] = { "#59423B", "#FFFFFF" },
	[OX_OPC_TRANSFORM] = { "#7A5C3E", "#FFFFFF" },
	[OX_OPC_DATA] = { "#EEEEEE", "#000000" },
	[OX_OPC_QUANTIZATION] = { "#B35C00", "#FFFFFF" },
	[OX_OPC_CONTROL] = { "#EEEEEE", "#000000" },
	[OX_OPC_LOGIC] = { "#404040", "#FFFFFF" },
	[OX_OPC_ARITHMETIC] = { "#404040", "#FFFFFF" },
	[OX_OPC_REDUCE] = { "#404040", "#FFFFFF" },
	[OX_OPC_SEQUENCE] = { "#404040", "#FFFFFF" },
	[OX_OPC_ML] = { "#404040", "#FFFFFF" },
	[OX_OPC_OTHER] = { "#404040", "#FFFFFF" },
};

/* Border colour and legend swatch per mark bit (new, partial, unsupported). */
static const char *const mark_colour[OX_DOT_MARK_BITS] = { "#2E9E44", "#F08C00", "#D32F2F" };

/* --- a growable string --------------------------------------------------- */

struct sb {
	char *p;
	size_t n, cap;
	bool oom;
};

static void
sb_putn(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->n + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[256], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		sb_putn(b, tmp, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_putn(b, big, (size_t)n);
	free(big);
}

static void
sb_reset(struct sb *b)
{
	b->n = 0;
	if (b->p)
		b->p[0] = '\0';
}

/* Decode one UTF-8 sequence at s (len > 0 bytes left): the code point, or U+FFFD for
 * a malformed, overlong or surrogate sequence, which then consumes one byte. */
static uint32_t
utf8_next(const unsigned char *s, size_t len, size_t *used)
{
	uint32_t c = s[0], min;
	size_t n;

	*used = 1;
	if (c < 0x80)
		return c;
	if ((c & 0xE0) == 0xC0)
		n = 2, c &= 0x1F, min = 0x80;
	else if ((c & 0xF0) == 0xE0)
		n = 3, c &= 0x0F, min = 0x800;
	else if ((c & 0xF8) == 0xF0)
		n = 4, c &= 0x07, min = 0x10000;
	else
		return 0xFFFD;
	if (n > len)
		return 0xFFFD;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0xFFFD;
		c = c << 6 | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0xFFFD;
	*used = n;
	return c;
}

/* Append s[0..len) as text of a Graphviz HTML-like label, cut after max code points
 * (0: no cut) with "…". Markup characters become entities and everything outside
 * printable ASCII a numeric reference, so the DOT stays ASCII whatever the model
 * holds; characters XML refuses (controls, U+FFFE/U+FFFF) and bad UTF-8 show as
 * U+FFFD. */
static void
sb_html(struct sb *b, const char *s, size_t len, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, cps = 0, used;

	while (i < len) {
		uint32_t c;

		if (max && cps == max - 1) {
			/* Room for one more: cut unless it is the last one. */
			c = utf8_next(u + i, len - i, &used);
			if (i + used < len) {
				sb_puts(b, "&#8230;");
				return;
			}
		}
		c = utf8_next(u + i, len - i, &used);
		i += used;
		cps++;
		if (c < 0x20 || c == 0x7F || c == 0xFFFE || c == 0xFFFF)
			c = 0xFFFD;
		switch (c) {
		case '&': sb_puts(b, "&amp;"); break;
		case '<': sb_puts(b, "&lt;"); break;
		case '>': sb_puts(b, "&gt;"); break;
		case '"': sb_puts(b, "&quot;"); break;
		case '\'': sb_puts(b, "&#39;"); break;
		default:
			if (c < 0x80) {
				char ch = (char)c;

				sb_putn(b, &ch, 1);
			} else {
				sb_printf(b, "&#%u;", (unsigned)c);
			}
		}
	}
}

static void
sb_html_str(struct sb *b, const char *s, size_t max)
{
	sb_html(b, s ? s : "", s ? strlen(s) : 0, max);
}

/* --- a pointer map: IR objects to the DOT nodes drawing them -------------- */

struct ptrmap {
	const void **keys;
	void **vals;
	size_t cap, n;
};

static size_t
ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static void *
pm_get(const struct ptrmap *m, const void *k)
{
	if (!m->cap || !k)
		return NULL;
	for (size_t i = ptr_hash(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == k)
			return m->vals[i];
		if (!m->keys[i])
			return NULL;
	}
}

static int
pm_put(struct ptrmap *m, const void *k, void *v)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct ptrmap big = { 0 };

		big.cap = m->cap ? m->cap * 2 : 64;
		big.keys = calloc(big.cap, sizeof *big.keys);
		big.vals = calloc(big.cap, sizeof *big.vals);
		if (!big.keys || !big.vals) {
			free(big.keys);
			free(big.vals);
			return OX_ENOMEM;
		}
		for (i = 0; i < m->cap; i++)
			if (m->keys[i])
				pm_put(&big, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = big;
	}
	for (i = ptr_hash(k) & (m->cap - 1); m->keys[i] && m->keys[i] != k; i = (i + 1) & (m->cap - 1))
		;
	if (!m->keys[i])
		m->n++;
	m->keys[i] = k;
	m->vals[i] = v;
	return 0;
}

static void
pm_release(struct ptrmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

/* --- plain text of types, tensors and attributes (UTF-8, escaped later) --- */

static void
dims_text(struct sb *b, const struct ox_type *t, const char *sep)
{
	for (int i = 0; i < t->rank; i++) {
		const struct ox_dim *dm = &t->dims[i];

		if (i)
			sb_puts(b, sep);
		if (dm->kind == OX_DIM_VALUE)
			sb_printf(b, "%lld", (long long)dm->value);
		else if (dm->kind == OX_DIM_PARAM && dm->param && *dm->param)
			sb_puts(b, dm->param);
		else
			sb_puts(b, "?");
	}
}

/* An edge label: "1x64x56x56", "?" for an unknown rank, "scalar" for rank 0. */
static void
shape_text(struct sb *b, const struct ox_type *t, int depth)
{
	if (!t || depth > 8) {
		sb_puts(b, "?");
		return;
	}
	switch (t->kind) {
	case OX_TYPE_TENSOR:
	case OX_TYPE_SPARSE:
		if (t->rank < 0)
			sb_puts(b, "?");
		else if (t->rank == 0)
			sb_puts(b, "scalar");
		else
			dims_text(b, t, "x");
		return;
	case OX_TYPE_SEQUENCE:
	case OX_TYPE_OPTIONAL:
		sb_puts(b, t->kind == OX_TYPE_SEQUENCE ? "seq(" : "optional(");
		shape_text(b, t->inner, depth + 1);
		sb_puts(b, ")");
		return;
	case OX_TYPE_MAP:
		sb_puts(b, "map");
		return;
	default:
		sb_puts(b, "?");
	}
}

/* An input/output ellipse's type: "float[batch,3,224,224]". */
static void
type_text(struct sb *b, const struct ox_type *t)
{
	char buf[2048];

	sb_puts(b, ox_type_format(t, buf, sizeof buf));
}

static float
half_to_float(uint16_t h)
{
	int e = h >> 10 & 0x1F, m = h & 0x3FF;
	float v;

	if (e == 0)
		v = ldexpf((float)m, -24);
	else if (e == 31)
		v = m ? NAN : INFINITY;
	else
		v = ldexpf((float)(m | 0x400), e - 25);
	return h & 0x8000 ? -v : v;
}

/* Element i of t as text; false when its type or storage is not one we print. */
static bool
elem_text(struct sb *b, const struct ox_tensor *t, int64_t i)
{
	int bits = ox_dtype_bits(t->dtype), size = bits / 8;
	const unsigned char *p;
	union {
		float f;
		double d;
		int8_t i8;
		uint8_t u8;
		int16_t i16;
		uint16_t u16;
		int32_t i32;
		uint32_t u32;
		int64_t i64;
		uint64_t u64;
	} u;

	if (!t->data || bits < 8 || bits % 8 || i < 0 || i >= t->nelem ||
	    (uint64_t)(i + 1) * (uint64_t)size > t->nbytes)
		return false;
	p = (const unsigned char *)t->data + (size_t)i * (size_t)size;
	memcpy(&u, p, (size_t)size);
	switch (t->dtype) {
	case OX_FLOAT: sb_printf(b, "%.4g", (double)u.f); return true;
	case OX_DOUBLE: sb_printf(b, "%.4g", u.d); return true;
	case OX_FLOAT16: sb_printf(b, "%.4g", (double)half_to_float(u.u16)); return true;
	case OX_BFLOAT16: {
		uint32_t w = (uint32_t)u.u16 << 16;
		float f;

		memcpy(&f, &w, sizeof f);
		sb_printf(b, "%.4g", (double)f);
		return true;
	}
	case OX_INT8: sb_printf(b, "%d", u.i8); return true;
	case OX_UINT8: sb_printf(b, "%u", u.u8); return true;
	case OX_INT16: sb_printf(b, "%d", u.i16); return true;
	case OX_UINT16: sb_printf(b, "%u", u.u16); return true;
	case OX_INT32: sb_printf(b, "%d", (int)u.i32); return true;
	case OX_UINT32: sb_printf(b, "%u", (unsigned)u.u32); return true;
	case OX_INT64: sb_printf(b, "%lld", (long long)u.i64); return true;
	case OX_UINT64: sb_printf(b, "%llu", (unsigned long long)u.u64); return true;
	case OX_BOOL: sb_puts(b, u.u8 ? "true" : "false"); return true;
	default: return false;
	}
}

/* "name = 0.5", "name = [1, -1]" for a scalar or a short integer vector, else
 * "name⟨64×3×7×7⟩". */
static void
tensor_text(struct sb *b, const char *name, const struct ox_tensor *t)
{
	bool ints = t->dtype == OX_INT64 || t->dtype == OX_INT32;

	if (t->nelem == 1 && t->ndim <= 1) {
		size_t at = b->n;

		sb_printf(b, "%s = ", name);
		if (elem_text(b, t, 0))
			return;
		if (t->dtype == OX_STRING && t->strings) {
			sb_puts(b, "\"");
			sb_putn(b, (const char *)t->strings[0].data,
				t->strings[0].len < 64 ? t->strings[0].len : 64);
			sb_puts(b, "\"");
			return;
		}
		b->n = at; /* not printable: dims instead */
	} else if (ints && t->ndim == 1 && t->nelem <= 8) {
		size_t at = b->n;
		bool ok = true;

		sb_printf(b, "%s = [", name);
		for (int64_t i = 0; ok && i < t->nelem; i++) {
			if (i)
				sb_puts(b, ", ");
			ok = elem_text(b, t, i);
		}
		if (ok) {
			sb_puts(b, "]");
			return;
		}
		b->n = at;
	}
	if (b->p)
		b->p[b->n] = '\0';
	sb_puts(b, name);
	sb_puts(b, LANGLE);
	for (int i = 0; i < t->ndim; i++)
		sb_printf(b, i ? TIMES "%lld" : "%lld", (long long)t->dims[i]);
	sb_puts(b, RANGLE);
}

static void
bytes_text(struct sb *b, const struct ox_bytes *s)
{
	sb_puts(b, "\"");
	sb_putn(b, (const char *)s->data, s->len < 64 ? s->len : 64);
	sb_puts(b, "\"");
}

/* "name = value" for an attribute; false for graph attributes (drawn as clusters). */
static bool
attr_text(struct sb *b, const struct ox_attr *a)
{
	const char *name = a->name ? a->name : "?";
	size_t n;

	switch (a->type) {
	case OX_ATTR_INT: sb_printf(b, "%s = %lld", name, (long long)a->i); return true;
	case OX_ATTR_FLOAT: sb_printf(b, "%s = %.4g", name, (double)a->f); return true;
	case OX_ATTR_STRING:
		sb_printf(b, "%s = ", name);
		bytes_text(b, &a->s);
		return true;
	case OX_ATTR_INTS:
	case OX_ATTR_FLOATS:
	case OX_ATTR_STRINGS:
		n = a->type == OX_ATTR_INTS ? a->n_ints :
		    a->type == OX_ATTR_FLOATS ? a->n_floats : a->n_strings;
		sb_printf(b, "%s = [", name);
		for (size_t i = 0; i < n && i < LIST_MAX; i++) {
			if (i)
				sb_puts(b, ", ");
			if (a->type == OX_ATTR_INTS)
				sb_printf(b, "%lld", (long long)a->ints[i]);
			else if (a->type == OX_ATTR_FLOATS)
				sb_printf(b, "%.4g", (double)a->floats[i]);
			else
				bytes_text(b, &a->strings[i]);
		}
		sb_puts(b, n > LIST_MAX ? ", " ELLIPSIS "]" : "]");
		return true;
	case OX_ATTR_TENSOR:
		if (!a->t)
			break;
		tensor_text(b, name, a->t);
		return true;
	case OX_ATTR_GRAPH:
	case OX_ATTR_GRAPHS:
		return false;
	case OX_ATTR_TENSORS: sb_printf(b, "%s = %zu tensors", name, a->n_tensors); return true;
	default:
		break;
	}
	sb_printf(b, "%s = " ELLIPSIS, name);
	return true;
}

/* --- repeated blocks (--max-nodes) ----------------------------------------- */

/* Longest block and most candidate starts looked at per run: ResNet bottlenecks
 * are 10 to 12 nodes, a BERT layer from PyTorch about 80 with its shape
 * arithmetic; beyond a few hundred a "block" is no longer a thing one reads. */
#define REPEAT_MAX_LEN 400

/* A run of count structurally identical blocks of len nodes each, starting at
 * position start of the main graph's live nodes; the first block is drawn, the
 * other count - 1 become one box. */
struct repeat {
	size_t start, len, count;
	size_t saved;        /* boxes fewer: (count - 1) * len - 1 */
};

/* How good a run is to collapse: the boxes it saves, weighted by how often the
 * block repeats, so that five bottlenecks in a row beat two copies of a long
 * stretch that happens to match (a stage boundary and all). */
static double
merit(const struct repeat *r)
{
	return (double)r->saved * (double)r->count;
}

/* The main graph's live nodes in order, with a node -> position + 1 map. */
struct order {
	const struct ox_node **nodes;
	size_t n;
	struct ptrmap pos;
	uint64_t *sig;
};

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

/* What two nodes must share to stand at the same place of two blocks. */
static uint64_t
node_sig(const struct ox_node *node)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, ox_domain_is_onnx(node->domain) ? "" :
			 node->domain);

	h = fnv(h, node->op_type);
	h = (h ^ (uint64_t)node->n_in) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)node->n_out << 8) * 0x100000001b3ULL;
	return h;
}

static void
order_release(struct order *o)
{
	free(o->nodes);
	free(o->sig);
	pm_release(&o->pos);
}

static int
order_init(struct order *o, const struct ox_graph *g)
{
	memset(o, 0, sizeof *o);
	o->nodes = calloc(g->n_nodes + 1, sizeof *o->nodes);
	o->sig = calloc(g->n_nodes + 1, sizeof *o->sig);
	if (!o->nodes || !o->sig)
		return OX_ENOMEM;
	for (size_t i = 0; i < g->n_nodes; i++) {
		if (g->nodes[i]->dead)
			continue;
		o->sig[o->n] = node_sig(g->nodes[i]);
		o->nodes[o->n++] = g->nodes[i];
		if (pm_put(&o->pos, g->nodes[i], (void *)(uintptr_t)o->n) < 0)
			return OX_ENOMEM;
	}
	return 0;
}

/* Where v comes from, seen from a block at [at, at + len): its offset inside the
 * block, or -1 from before the block, -2 an initializer or outer-scope value, -3
 * omitted. */
static long
source_class(const struct order *o, const struct ox_value *v, size_t at, size_t len)
{
	size_t p;

	if (!v)
		return -3;
	if (v->init || !v->producer)
		return -2;
	p = (size_t)(uintptr_t)pm_get(&o->pos, v->producer);
	if (!p)
		return -2;
	p--;
	return p >= at && p < at + len ? (long)(p - at) : -1;
}

/* Is the block at b a copy of the block at a (same ops, wired the same way)? */
static bool
same_block(const struct order *o, size_t a, size_t b, size_t len)
{
	for (size_t j = 0; j < len; j++) {
		const struct ox_node *x = o->nodes[a + j], *y = o->nodes[b + j];

		if (strcmp(x->op_type, y->op_type) || x->n_in != y->n_in || x->n_out != y->n_out ||
		    strcmp(ox_domain_is_onnx(x->domain) ? "" : x->domain,
			   ox_domain_is_onnx(y->domain) ? "" : y->domain))
			return false;
		for (int k = 0; k < x->n_in; k++)
			if (source_class(o, x->in[k], a, len) != source_class(o, y->in[k], b, len))
				return false;
	}
	return true;
}

/* Values crossing the border of the block at [at, at + len): inputs from outside
 * plus outputs read outside. A block cut at its natural seams has few. */
static size_t
crossings(const struct order *o, size_t at, size_t len)
{
	size_t n = 0;

	for (size_t j = at; j < at + len; j++) {
		const struct ox_node *x = o->nodes[j];

		for (int k = 0; k < x->n_in; k++)
			n += source_class(o, x->in[k], at, len) == -1;
		for (int k = 0; k < x->n_out; k++) {
			const struct ox_value *v = x->out[k];

			for (size_t u = 0; v && u < v->n_uses; u++) {
				size_t p = (size_t)(uintptr_t)pm_get(&o->pos, v->uses[u].node);

				if (!p || p - 1 < at || p - 1 >= at + len) {
					n++;
					break;
				}
			}
		}
	}
	return n;
}

/* The best run starting at each position, from op signatures alone: for each
 * block length L, the number of positions from s on that repeat L later, counted
 * backwards in one sweep, gives the repeats at every s in O(n) per L. */
static void
best_runs(const struct order *o, struct repeat *best)
{
	size_t maxlen = o->n / 2 < REPEAT_MAX_LEN ? o->n / 2 : REPEAT_MAX_LEN;

	for (size_t len = 1; len <= maxlen; len++) {
		size_t run = 0;

		for (size_t s = o->n - len; s-- > 0;) {
			size_t count, saved;

			run = o->sig[s] == o->sig[s + len] ? run + 1 : 0;
			count = 1 + run / len;
			if (count < 2)
				continue;
			saved = (count - 1) * len - 1;
			if ((double)saved * (double)count > merit(&best[s]))
				best[s] = (struct repeat){ s, len, count, saved };
		}
	}
}

/* Does the block at b read something the block just before it makes? Blocks that
 * do not feed each other (say, the Identity nodes an exporter puts on shared
 * weights) are side by side, not a chain: one box for them would be a hub. */
static bool
chained(const struct order *o, size_t b, size_t len)
{
	for (size_t j = b; j < b + len; j++) {
		const struct ox_node *x = o->nodes[j];

		for (int k = 0; k < x->n_in; k++)
			if (source_class(o, x->in[k], b - len, len) >= 0)
				return true;
	}
	return false;
}

/* Confirm the run r against the wiring, dropping blocks from the first that
 * differs or does not follow on from the one before; false when fewer than two
 * remain or nothing would be saved. */
static bool
confirm(const struct order *o, struct repeat *r)
{
	size_t k = 1;

	while (k < r->count && same_block(o, r->start, r->start + k * r->len, r->len) &&
	       chained(o, r->start + k * r->len, r->len))
		k++;
	r->count = k;
	r->saved = k >= 2 ? (k - 1) * r->len - 1 : 0;
	return r->saved > 0;
}

static int
saved_cmp(const void *a, const void *b)
{
	const struct repeat *x = a, *y = b;

	if (x->saved != y->saved)
		return x->saved < y->saved ? 1 : -1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int
start_cmp(const void *a, const void *b)
{
	const struct repeat *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* A candidate run and what orders candidates: merit, then fewer values crossing the
 * block's border (a block cut at the model's own seams), then position. */
struct cand {
	struct repeat r;
	double merit;
	size_t cross;
};

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->merit != y->merit)
		return x->merit < y->merit ? 1 : -1;
	if (x->cross != y->cross)
		return x->cross < y->cross ? -1 : 1;
	return x->r.start < y->r.start ? -1 : x->r.start > y->r.start;
}

/* Take the best candidate run first, confirm it against the wiring, keep it unless
 * it overlaps one already taken, and so on; then collapse only the runs that save
 * most, until the boxes drawn are at most limit. *runs is malloc'ed, or NULL when
 * no run applies. */
static int
pick_runs(const struct order *o, size_t total, size_t limit, struct repeat **runs,
	  size_t *n_runs, size_t *drawn)
{
	struct repeat *best = calloc(o->n + 1, sizeof *best), *out = NULL;
	struct cand *c = calloc(o->n + 1, sizeof *c);
	bool *taken = calloc(o->n + 1, sizeof *taken);
	size_t n_c = 0, n = 0, keep = 0;
	int r = OX_ENOMEM;

	*runs = NULL;
	*n_runs = 0;
	*drawn = total;
	if (!best || !c || !taken || !(out = calloc(o->n / 2 + 1, sizeof *out)))
		goto done;
	if (o->n >= 2)
		best_runs(o, best);
	for (size_t s = 0; s < o->n; s++)
		if (best[s].saved)
			c[n_c++] = (struct cand){ best[s], merit(&best[s]),
						 crossings(o, s, best[s].len) };
	qsort(c, n_c, sizeof *c, cand_cmp);
	for (size_t i = 0; i < n_c; i++) {
		struct repeat rr = c[i].r;
		size_t end;
		bool free_span = true;

		if (taken[rr.start] || !confirm(o, &rr))
			continue;
		end = rr.start + rr.count * rr.len;
		for (size_t p = rr.start; p < end && free_span; p++)
			free_span = !taken[p];
		if (!free_span)
			continue;
		memset(taken + rr.start, 1, end - rr.start);
		out[n++] = rr;
	}
	qsort(out, n, sizeof *out, saved_cmp);
	while (keep < n && *drawn > limit)
		*drawn -= out[keep++].saved;
	qsort(out, keep, sizeof *out, start_cmp);
	r = 0;
	if (keep) {
		*runs = out;
		*n_runs = keep;
		out = NULL;
	}
done:
	free(best);
	free(c);
	free(taken);
	free(out);
	return r;
}

/* --- building ---------------------------------------------------------- */

struct build {
	const struct ox_model *m;
	const struct ox_dot_opts *o;
	struct ox_diag *d;
	struct ox_dot_stats st;
	Agraph_t *root;
	Agsym_t *n_label, *n_shape, *n_style, *n_fill, *n_color, *n_fontsize;
	Agsym_t *e_label, *e_xlabel, *e_style, *e_color;
	Agsym_t *g_label, *g_style, *g_color, *g_bgcolor, *g_fontsize;
	struct ptrmap src;   /* ox_value -> Agnode_t defining it (producer box, input) */
	struct ptrmap box;   /* ox_node -> its box; &graph->outputs[i] -> output ellipse */
	unsigned seq;        /* for DOT ids */
	/* --max-nodes: runs of repeated blocks of the main graph drawn as one box. */
	struct order ord;
	struct repeat *runs;
	size_t n_runs;
	struct ptrmap hidden;   /* ox_node -> 1 + its run, for nodes in a box */
	Agnode_t **run_box;     /* per run, once made */
	bool big;            /* over BIG_GRAPH nodes: layout shortcuts (big_graph) */
	struct sb html, raw;
	int err;
};

static int
oom(struct build *b)
{
	if (!b->err)
		b->err = ox_diag_error(b->d, OX_ENOMEM, "out of memory while drawing");
	return b->err;
}

static void
set_html(struct build *b, void *obj, Agsym_t *sym, const char *html)
{
	char *h = agstrdup_html(b->root, (char *)html);

	agxset(obj, sym, h);
	agstrfree(b->root, h);
}

static Agnode_t *
new_node(struct build *b, Agraph_t *where, const char *prefix)
{
	char id[32];

	snprintf(id, sizeof id, "%s%u", prefix, b->seq++);
	b->st.nodes++;
	return agnode(where, id, 1);
}

static const struct ox_op_schema *
schema_of(const struct ox_model *m, const struct ox_node *node)
{
	const char *dom = ox_domain_is_onnx(node->domain) ? "" : node->domain;
	int64_t v = ox_model_opset(m, dom);
	const struct ox_op_schema *s = NULL;

	if (v > 0)
		s = ox_op_find(dom, node->op_type, v < INT_MAX ? (int)v : INT_MAX);
	/* An op newer than the imported opset is still drawn in its colour. */
	return s ? s : ox_op_find(dom, node->op_type, INT_MAX);
}

/* An input or output ellipse for v; in_sub: a body's formal parameter. */
static Agnode_t *
io_node(struct build *b, Agraph_t *where, const struct ox_value *v, bool output)
{
	Agnode_t *n = new_node(b, where, output ? "o" : "i");

	if (!n)
		return NULL;
	agxset(n, b->n_shape, "ellipse");
	agxset(n, b->n_style, "filled");
	agxset(n, b->n_fill, output ? "#F3F3F3" : "#E8E8E8");
	agxset(n, b->n_color, "#9E9E9E");
	agxset(n, b->n_fontsize, "9");
	sb_reset(&b->html);
	sb_puts(&b->html, "<B>");
	sb_html_str(&b->html, v->name, ROW_MAX);
	sb_puts(&b->html, "</B><BR/><FONT POINT-SIZE=\"8\">");
	sb_reset(&b->raw);
	type_text(&b->raw, v->type);
	sb_html(&b->html, b->raw.p ? b->raw.p : "", b->raw.n, ROW_MAX);
	sb_puts(&b->html, "</FONT>");
	if (b->html.oom || b->raw.oom)
		return NULL;
	set_html(b, n, b->n_label, b->html.p);
	return n;
}

static void
row(struct build *b, size_t *rows)
{
	if (*rows == ROWS_MAX) {
		(*rows)++;
		sb_puts(&b->html, "<TR><TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"8\">&#8230;</FONT></TD></TR>");
		return;
	}
	if (*rows > ROWS_MAX)
		return;
	(*rows)++;
	sb_puts(&b->html, "<TR><TD ALIGN=\"LEFT\"><FONT POINT-SIZE=\"8\">");
	sb_html(&b->html, b->raw.p ? b->raw.p : "", b->raw.n, ROW_MAX);
	sb_puts(&b->html, "</FONT></TD></TR>");
}

/* The HTML label of node's box. */
/* The border of a box: the colour of its highest mark, thick, or plain grey. */
static void
border_of(unsigned marks, const char **border, const char **width)
{
	*border = "#7F7F7F";
	*width = "1";
	for (int k = OX_DOT_MARK_BITS - 1; k >= 0; k--)
		if (marks & 1u << k) {
			*border = mark_colour[k];
			*width = "3";
			return;
		}
}

static void
box_label(struct build *b, const struct ox_node *node, unsigned marks)
{
	const struct ox_op_schema *s = schema_of(b->m, node);
	enum ox_op_category c = s ? s->category : OX_OPC_OTHER;
	const char *border, *width;
	bool show_attrs = b->o->attrs || ox_node_is(node, "", "Constant");
	size_t rows = 0;

	border_of(marks, &border, &width);
	sb_reset(&b->html);
	/* No table BGCOLOR: the page is white already, and a rounded fill is a long
	 * SVG path per node. */
	sb_printf(&b->html, "<TABLE BORDER=\"%s\" CELLBORDER=\"0\" CELLSPACING=\"0\" "
		  "CELLPADDING=\"3\" STYLE=\"rounded\" COLOR=\"%s\">"
		  "<TR><TD BGCOLOR=\"%s\"><FONT COLOR=\"%s\"><B>",
		  width, border, palette[c].fill, palette[c].text);
	if (b->o->names && node->name && *node->name) {
		sb_html_str(&b->html, node->name, HEADER_MAX);
		sb_puts(&b->html, "</B><BR/><FONT POINT-SIZE=\"8\">");
		sb_html_str(&b->html, node->op_type, HEADER_MAX);
		sb_puts(&b->html, "</FONT><B>");
	} else {
		sb_html_str(&b->html, node->op_type, HEADER_MAX);
	}
	sb_puts(&b->html, "</B>");
	if (marks & OX_DOT_NEW)
		sb_puts(&b->html, " <FONT POINT-SIZE=\"8\">(new)</FONT>");
	sb_puts(&b->html, "</FONT></TD></TR>");
	for (int i = 0; !b->o->no_weights && i < node->n_in; i++) {
		const struct ox_value *v = node->in[i];
		const struct ox_op_formal *f = s ? ox_op_input(s, i) : NULL;

		if (!v || !v->init)
			continue;
		sb_reset(&b->raw);
		tensor_text(&b->raw, f ? f->name : v->name ? v->name : "?", v->init);
		row(b, &rows);
	}
	for (size_t i = 0; show_attrs && i < node->n_attrs; i++) {
		sb_reset(&b->raw);
		if (attr_text(&b->raw, &node->attrs[i]))
			row(b, &rows);
	}
	sb_puts(&b->html, "</TABLE>");
}

static int add_nodes(struct build *b, Agraph_t *where, const struct ox_graph *g, int depth);

/* The label of the box standing for the blocks 2..count of run r: the count, then
 * the block's ops packed into a few rows. */
static void
repeat_label(struct build *b, const struct repeat *r, unsigned marks)
{
	const char *border, *width;
	size_t rows = 0, line = 0, j;

	border_of(marks, &border, &width);
	sb_reset(&b->html);
	sb_printf(&b->html, "<TABLE BORDER=\"%s\" CELLBORDER=\"0\" CELLSPACING=\"0\" "
		  "CELLPADDING=\"3\" STYLE=\"rounded\" COLOR=\"%s\">"
		  "<TR><TD BGCOLOR=\"#D6D6D6\"><B>&#215;%zu repeated</B></TD></TR>",
		  width, border, r->count - 1);
	sb_reset(&b->raw);
	sb_printf(&b->raw, "the block above, %zu node%s:", r->len, r->len == 1 ? "" : "s");
	row(b, &rows);
	sb_reset(&b->raw);
	for (j = 0; j < r->len && rows < 4; j++) {
		const char *op = b->ord.nodes[r->start + j]->op_type;
		size_t l = strlen(op);

		if (line && line + 2 + l > ROW_MAX) {
			sb_puts(&b->raw, ",");
			row(b, &rows);
			sb_reset(&b->raw);
			line = 0;
		}
		if (line) {
			sb_puts(&b->raw, ", ");
			line += 2;
		}
		sb_puts(&b->raw, op);
		line += l;
	}
	if (j < r->len)
		sb_puts(&b->raw, ", " ELLIPSIS);
	if (line)
		row(b, &rows);
	sb_puts(&b->html, "</TABLE>");
}

/* Node lies in the box of run ri: make the box on the first call, and let the box
 * stand for the node as the source of its outputs and the target of its inputs. */
static int
repeat_box(struct build *b, Agraph_t *where, const struct ox_node *node, size_t ri)
{
	const struct repeat *r = &b->runs[ri];
	Agnode_t *n = b->run_box[ri];

	if (!n) {
		unsigned marks = 0;

		for (size_t p = r->start + r->len; p < r->start + r->count * r->len; p++) {
			unsigned mk = b->o->mark ? b->o->mark(b->ord.nodes[p], b->o->mark_arg) : 0;

			for (int k = 0; k < OX_DOT_MARK_BITS; k++)
				b->st.marked[k] += mk >> k & 1;
			marks |= mk;
		}
		n = b->run_box[ri] = new_node(b, where, "r");
		if (!n)
			return oom(b);
		b->st.repeats++;
		b->st.hidden += (r->count - 1) * r->len;
		repeat_label(b, r, marks);
		if (b->html.oom || b->raw.oom)
			return oom(b);
		set_html(b, n, b->n_label, b->html.p);
	}
	if (pm_put(&b->box, node, n) < 0)
		return oom(b);
	for (int k = 0; k < node->n_out; k++)
		if (node->out[k] && pm_put(&b->src, node->out[k], n) < 0)
			return oom(b);
	return 0;
}

static int
add_cluster(struct build *b, Agraph_t *where, const struct ox_node *owner,
	    const struct ox_attr *a, const struct ox_graph *sub, int depth)
{
	char id[32];
	Agraph_t *c;

	snprintf(id, sizeof id, "cluster_%u", b->seq++);
	c = agsubg(where, id, 1);
	if (!c)
		return oom(b);
	b->st.clusters++;
	agxset(c, b->g_style, "rounded");
	agxset(c, b->g_color, "#AAAAAA");
	agxset(c, b->g_bgcolor, "#FAFAFA");
	agxset(c, b->g_fontsize, "9");
	sb_reset(&b->html);
	sb_puts(&b->html, "<I>");
	sb_html_str(&b->html, b->o->names && owner->name && *owner->name ? owner->name :
		    owner->op_type, HEADER_MAX);
	sb_puts(&b->html, " &#183; ");
	sb_html_str(&b->html, a->name, HEADER_MAX);
	sb_puts(&b->html, "</I>");
	if (b->html.oom)
		return oom(b);
	set_html(b, c, b->g_label, b->html.p);
	return add_nodes(b, c, sub, depth + 1);
}

/* Phase one: every DOT node of g and its subgraphs, so that phase two finds the
 * source of any value, whatever the order of the nodes and scopes. */
static int
add_nodes(struct build *b, Agraph_t *where, const struct ox_graph *g, int depth)
{
	if (depth > OX_MAX_GRAPH_DEPTH)
		return b->err = ox_diag_error(b->d, OX_ELIMIT, "subgraphs nested deeper than %d",
					      OX_MAX_GRAPH_DEPTH);
	for (size_t i = 0; i < g->n_inputs; i++) {
		const struct ox_value *v = g->inputs[i];
		Agnode_t *n;

		if (v->init || v->dead)
			continue;
		n = io_node(b, where, v, false);
		if (!n || pm_put(&b->src, v, n) < 0)
			return oom(b);
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];
		unsigned marks = 0;
		size_t ri;
		Agnode_t *n;

		if (node->dead)
			continue;
		if (b->n_runs && (ri = (size_t)(uintptr_t)pm_get(&b->hidden, node))) {
			if (repeat_box(b, where, node, ri - 1) < 0)
				return b->err;
			continue;
		}
		if (b->o->mark)
			marks = b->o->mark(node, b->o->mark_arg);
		for (int k = 0; k < OX_DOT_MARK_BITS; k++)
			b->st.marked[k] += marks >> k & 1;
		n = new_node(b, where, "n");
		if (!n || pm_put(&b->box, node, n) < 0)
			return oom(b);
		box_label(b, node, marks);
		if (b->html.oom || b->raw.oom)
			return oom(b);
		set_html(b, n, b->n_label, b->html.p);
		for (int k = 0; k < node->n_out; k++)
			if (node->out[k] && pm_put(&b->src, node->out[k], n) < 0)
				return oom(b);
		for (size_t k = 0; k < node->n_attrs; k++) {
			const struct ox_attr *a = &node->attrs[k];

			if (a->g && add_cluster(b, where, node, a, a->g, depth) < 0)
				return b->err;
			for (size_t j = 0; j < a->n_graphs; j++)
				if (a->graphs[j] && add_cluster(b, where, node, a, a->graphs[j], depth) < 0)
					return b->err;
		}
	}
	for (size_t i = 0; i < g->n_outputs; i++) {
		const struct ox_value *v = g->outputs[i];
		Agnode_t *n = io_node(b, where, v, true);

		if (!n || pm_put(&b->box, &g->outputs[i], n) < 0)
			return oom(b);
	}
	return 0;
}

static Agedge_t *
new_edge(struct build *b, Agnode_t *from, Agnode_t *to, const struct ox_value *v, bool dashed)
{
	Agedge_t *e = agedge(b->root, from, to, NULL, 1);

	if (!e)
		return NULL;
	b->st.edges++;
	if (dashed) {
		agxset(e, b->e_style, "dashed");
		agxset(e, b->e_color, "#8C8C8C");
	}
	if (v && b->o->shapes && v->type) {
		sb_reset(&b->raw);
		shape_text(&b->raw, v->type, 0);
		sb_reset(&b->html);
		sb_html(&b->html, b->raw.p ? b->raw.p : "", b->raw.n, ROW_MAX);
		if (b->html.oom || b->raw.oom)
			return NULL;
		set_html(b, e, b->big ? b->e_xlabel : b->e_label, b->html.p);
	}
	return e;
}

/* A repeat box has one edge per neighbour, and none to itself. */
static bool
skip_edge(struct build *b, Agnode_t *from, Agnode_t *to)
{
	if (!b->n_runs)
		return false;
	if (from == to)
		return true;
	return (agnameof(from)[0] == 'r' || agnameof(to)[0] == 'r') &&
	       agedge(b->root, from, to, NULL, 0) != NULL;
}

/* Phase two: the edges of g and its subgraphs. */
static int
add_edges(struct build *b, const struct ox_graph *g)
{
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];
		Agnode_t *to = pm_get(&b->box, node);
		bool hidden = b->n_runs && pm_get(&b->hidden, node);

		if (node->dead || !to)
			continue;
		for (int k = 0; k < node->n_in; k++) {
			const struct ox_value *v = node->in[k];
			Agnode_t *from;

			if (!v || v->init)
				continue;
			from = pm_get(&b->src, v);
			/* An undefined name (a broken model) has nothing to draw from. */
			if (!from || skip_edge(b, from, to))
				continue;
			if (!new_edge(b, from, to, v, v->graph != g))
				return oom(b);
		}
		if (hidden)
			continue;       /* its bodies are not drawn */
		for (size_t k = 0; k < node->n_attrs; k++) {
			const struct ox_attr *a = &node->attrs[k];

			for (size_t j = 0; j < a->n_graphs + (a->g != NULL); j++) {
				const struct ox_graph *sub = j < a->n_graphs ? a->graphs[j] : a->g;

				if (!sub)
					continue;
				if (add_edges(b, sub) < 0)
					return b->err;
				/* What the body hands back flows into its owner. */
				for (size_t o = 0; o < sub->n_outputs; o++) {
					Agnode_t *from = pm_get(&b->box, &sub->outputs[o]);

					if (from && !skip_edge(b, from, to) &&
					    !new_edge(b, from, to, NULL, true))
						return oom(b);
				}
			}
		}
	}
	for (size_t i = 0; i < g->n_outputs; i++) {
		const struct ox_value *v = g->outputs[i];
		Agnode_t *from = v->init ? NULL : pm_get(&b->src, v);
		Agnode_t *to = pm_get(&b->box, &g->outputs[i]);

		if (from && to && !skip_edge(b, from, to) && !new_edge(b, from, to, v, v->graph != g))
			return oom(b);
	}
	return 0;
}

/* The legend above the diagram: one line per mark in use. */
static void
legend(struct build *b)
{
	bool any = false;

	for (int k = 0; k < OX_DOT_MARK_BITS; k++)
		any |= b->o->legend[k] && b->st.marked[k];
	if (!any)
		return;
	sb_reset(&b->html);
	sb_puts(&b->html, "<TABLE BORDER=\"0\" CELLSPACING=\"4\" CELLPADDING=\"2\">");
	for (int k = OX_DOT_MARK_BITS - 1; k >= 0; k--) {
		if (!b->o->legend[k] || !b->st.marked[k])
			continue;
		sb_printf(&b->html, "<TR><TD BORDER=\"3\" COLOR=\"%s\" STYLE=\"rounded\" "
			  "WIDTH=\"24\" HEIGHT=\"14\"> </TD><TD ALIGN=\"LEFT\">", mark_colour[k]);
		sb_html_str(&b->html, b->o->legend[k], 80);
		sb_printf(&b->html, " (%zu)</TD></TR>", b->st.marked[k]);
	}
	sb_puts(&b->html, "</TABLE>");
	if (!b->html.oom)
		set_html(b, b->root, b->g_label, b->html.p);
}

static void
declare(struct build *b)
{
	Agraph_t *g = b->root;

	agattr(g, AGRAPH, "rankdir", b->o->left_right ? "LR" : "TB");
	agattr(g, AGRAPH, "fontname", "Helvetica");
	agattr(g, AGRAPH, "nodesep", "0.25");
	agattr(g, AGRAPH, "ranksep", "0.3");
	agattr(g, AGRAPH, "labelloc", "t");
	agattr(g, AGRAPH, "labeljust", "l");
	b->g_fontsize = agattr(g, AGRAPH, "fontsize", "10");
	b->g_label = agattr(g, AGRAPH, "label", "");
	b->g_style = agattr(g, AGRAPH, "style", "");
	b->g_color = agattr(g, AGRAPH, "color", "");
	b->g_bgcolor = agattr(g, AGRAPH, "bgcolor", "#FFFFFF");
	agattr(g, AGNODE, "fontname", "Helvetica");
	b->n_fontsize = agattr(g, AGNODE, "fontsize", "10");
	b->n_shape = agattr(g, AGNODE, "shape", "plain");
	b->n_style = agattr(g, AGNODE, "style", "");
	b->n_fill = agattr(g, AGNODE, "fillcolor", "");
	b->n_color = agattr(g, AGNODE, "color", "");
	b->n_label = agattr(g, AGNODE, "label", "");
	agattr(g, AGEDGE, "fontname", "Helvetica");
	agattr(g, AGEDGE, "fontsize", "8");
	agattr(g, AGEDGE, "fontcolor", "#555555");
	agattr(g, AGEDGE, "arrowsize", "0.6");
	b->e_color = agattr(g, AGEDGE, "color", "#555555");
	b->e_style = agattr(g, AGEDGE, "style", "");
	b->e_label = agattr(g, AGEDGE, "label", "");
	if (b->big)
		b->e_xlabel = agattr(g, AGEDGE, "xlabel", "");
}

/* dot's network simplex (ranking, then x positions) runs up to nslimit * nodes
 * iterations of O(nodes) each: over a minute for 5,000 nodes. A budget of a
 * hundred iterations keeps big layouts to seconds, a little less tidy; small
 * diagrams keep the full optimization. Edge labels of big graphs are xlabels,
 * placed after layout, because a label is a node of its own to dot's ranking and
 * doubles the work. */
static void
big_graph(struct build *b)
{
	char v[32];

	if (!b->big)
		return;
	snprintf(v, sizeof v, "%.4f", (double)NS_ITERATIONS / (double)b->st.nodes);
	agsafeset(b->root, "nslimit", v, "");
	agsafeset(b->root, "nslimit1", v, "");
}

/* Over o->max_nodes: pick the runs of repeated blocks to draw as boxes, or fail
 * when even all of them leave too many nodes. */
static int
collapse(struct build *b, size_t total, size_t *drawn)
{
	size_t limit = b->o->max_nodes;

	if (order_init(&b->ord, b->m->graph) < 0 ||
	    pick_runs(&b->ord, total, limit, &b->runs, &b->n_runs, drawn) < 0)
		return oom(b);
	if (*drawn > limit) {
		if (!b->n_runs)
			return b->err = ox_diag_error(b->d, OX_ELIMIT, "%zu nodes, more than "
						      "--max-nodes %zu, and no repeated blocks to "
						      "collapse: raise --max-nodes (0: no limit)",
						      total, limit);
		return b->err = ox_diag_error(b->d, OX_ELIMIT, "%zu nodes, still %zu after "
					      "collapsing %zu run%s of repeated blocks: more than "
					      "--max-nodes %zu; raise it (0: no limit)", total,
					      *drawn, b->n_runs, b->n_runs == 1 ? "" : "s", limit);
	}
	if (!(b->run_box = calloc(b->n_runs, sizeof *b->run_box)))
		return oom(b);
	for (size_t ri = 0; ri < b->n_runs; ri++) {
		const struct repeat *r = &b->runs[ri];

		for (size_t p = r->start + r->len; p < r->start + r->count * r->len; p++)
			if (pm_put(&b->hidden, b->ord.nodes[p], (void *)(uintptr_t)(ri + 1)) < 0)
				return oom(b);
	}
	return 0;
}

int
ox_dot_build(const struct ox_model *m, const struct ox_dot_opts *o, Agraph_t **out,
	     struct ox_dot_stats *st, struct ox_diag *d)
{
	struct build b = { .m = m, .o = o, .d = d };
	size_t drawn;

	*out = NULL;
	if (!m->graph)
		return ox_diag_error(d, OX_EINVAL, "the model has no graph to draw");
	drawn = ox_graph_count_nodes(m->graph, true);
	if (o->max_nodes && drawn > o->max_nodes && collapse(&b, drawn, &drawn) < 0)
		goto done;
	ox_dot_quiet();
	b.root = agopen("onnx", Agdirected, NULL);
	if (!b.root) {
		oom(&b);
		goto done;
	}
	b.big = drawn > BIG_GRAPH;
	declare(&b);
	if (add_nodes(&b, b.root, m->graph, 0) == 0 && add_edges(&b, m->graph) == 0) {
		legend(&b);
		big_graph(&b);
	}
	if (!b.err && (b.html.oom || b.raw.oom))
		oom(&b);
done:
	free(b.html.p);
	free(b.raw.p);
	pm_release(&b.src);
	pm_release(&b.box);
	pm_release(&b.hidden);
	order_release(&b.ord);
	free(b.runs);
	free(b.run_box);
	if (b.err) {
		if (b.root)
			agclose(b.root);
		return b.err;
	}
	if (st)
		*st = b.st;
	*out = b.root;
	return 0;
}

int
ox_dot_write(Agraph_t *g, FILE *f, struct ox_diag *d)
{
	ox_dot_quiet();
	if (agwrite(g, f) != 0 || ferror(f))
		return ox_diag_error(d, OX_EIO, "cannot write the DOT text: %s", strerror(errno));
	return 0;
}

void
ox_dot_free(Agraph_t *g)
{
	if (g)
		agclose(g);
}

/* --- diff ----------------------------------------------------------------- */

/* The key under which --diff matches nodes: domain, op type, input names. */
static void
node_key(struct sb *k, const struct ox_node *node)
{
	sb_reset(k);
	sb_puts(k, ox_domain_is_onnx(node->domain) ? "" : node->domain);
	sb_putn(k, "\x1f", 1);
	sb_puts(k, node->op_type);
	for (int i = 0; i < node->n_in; i++) {
		sb_putn(k, "\x1f", 1);
		if (node->in[i] && node->in[i]->name)
			sb_puts(k, node->in[i]->name);
	}
}

static int
diff_add(struct ox_dot_diff *df, const struct ox_graph *g, int depth)
{
	if (depth > OX_MAX_GRAPH_DEPTH)
		return OX_ELIMIT;
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct ox_node *node = g->nodes[i];
		struct sb k = { 0 };
		char *key;

		if (node->dead)
			continue;
		node_key(&k, node);
		key = k.oom ? NULL : ox_arena_strdup(&df->arena, k.p);
		free(k.p);
		if (!key || ox_strmap_put(&df->keys, key, (void *)node) < 0)
			return OX_ENOMEM;
		df->base_nodes++;
		for (size_t k = 0; k < node->n_attrs; k++) {
			const struct ox_attr *a = &node->attrs[k];
			int r;

			if (a->g && (r = diff_add(df, a->g, depth + 1)) < 0)
				return r;
			for (size_t j = 0; j < a->n_graphs; j++)
				if (a->graphs[j] && (r = diff_add(df, a->graphs[j], depth + 1)) < 0)
					return r;
		}
	}
	return 0;
}

int
ox_dot_diff_init(struct ox_dot_diff *df, const struct ox_model *base, struct ox_diag *d)
{
	int r;

	memset(df, 0, sizeof *df);
	ox_strmap_init(&df->keys);
	ox_arena_init(&df->arena);
	if (!base->graph)
		return ox_diag_error(d, OX_EINVAL, "the model to compare with has no graph");
	r = diff_add(df, base->graph, 0);
	if (r == OX_ENOMEM)
		return ox_diag_error(d, r, "out of memory while comparing the models");
	if (r < 0)
		return ox_diag_error(d, r, "subgraphs nested too deep");
	return 0;
}

void
ox_dot_diff_release(struct ox_dot_diff *df)
{
	ox_strmap_release(&df->keys);
	ox_arena_release(&df->arena);
}

unsigned
ox_dot_diff_mark(const struct ox_node *node, void *arg)
{
	struct ox_dot_diff *df = arg;
	struct sb k = { 0 };
	unsigned r;

	node_key(&k, node);
	/* Out of memory: claim nothing rather than everything. */
	r = !k.oom && !ox_strmap_get(&df->keys, k.p) ? OX_DOT_NEW : 0;
	free(k.p);
	return r;
}

/* --- Graphviz messages ------------------------------------------------------ */

static char gv_msg[512];
static size_t gv_len;

static int
gv_capture(char *msg)
{
	size_t n = strlen(msg);

	if (n > sizeof gv_msg - 1 - gv_len)
		n = sizeof gv_msg - 1 - gv_len;
	memcpy(gv_msg + gv_len, msg, n);
	gv_len += n;
	gv_msg[gv_len] = '\0';
	return 0;
}

void
ox_dot_quiet(void)
{
	/* Below AGERR, cgraph keeps messages to itself; errors come to gv_capture. */
	agseterr(AGERR);
	agseterrf(gv_capture);
}

const char *
ox_dot_graphviz_error(void)
{
	static char out[sizeof gv_msg];
	char *s = gv_msg;
	size_t n;

	if (!gv_len)
		return NULL;
	if (!strncmp(s, "Error: ", 7))
		s += 7;
	n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	memcpy(out, s, n);
	out[n] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
	gv_len = 0;
	gv_msg[0] = '\0';
	return out;
}

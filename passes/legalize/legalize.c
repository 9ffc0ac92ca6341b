/* passes/legalize/legalize.c: the driver (see legalize.h): audit, convert, rewrite
 * in rounds, audit again. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legalize.h"
#include "onnx_io.h"
#include "ops.h"
#include "../pass.h"
#include "../convert/convert.h"
#include "shape.h"
#include "../../reports/audit.h"

#define MAX_ROUNDS_DEFAULT 8

static const char *const strategy_names[] = {
	"convert", "function", "decompose", "cast", "fold",
};

const char *
ox_lg_strategy_name(enum ox_lg_strategy s)
{
	return (unsigned)s < sizeof strategy_names / sizeof *strategy_names ? strategy_names[s] : "?";
}

struct score {
	size_t unsupported, partial;
};

/* Why strategies did not apply to a node, kept across rounds for the report. */
struct tried {
	char *key, *why;
};

struct lg {
	struct ox_model *m;
	const struct ox_target *t;
	struct ox_lg_report *rep;
	struct ox_diag *d;
	struct tried *tried;
	size_t n_tried;
};

static char *
dup(const char *s)
{
	return strdup(s ? s : "");
}

static int
audit(struct ox_model *m, const struct ox_target *t, struct ox_audit_model **am)
{
	struct ox_target *ts[1] = { (struct ox_target *)t };
	struct ox_audit_opts o = { .infer = true };

	return ox_audit_loaded(m, "model", ts, 1, &o, am);
}

static struct score
score_of(const struct ox_audit_model *am)
{
	struct score s = { 0, 0 };

	for (size_t i = 0; i < am->n_nodes_audited; i++) {
		const struct ox_audit_node *an = &am->nodes[i];

		if (an->in_function)
			continue;
		if (an->checks[0].verdict == OX_VERDICT_UNSUPPORTED)
			s.unsupported++;
		else if (an->checks[0].verdict == OX_VERDICT_PARTIAL)
			s.partial++;
	}
	return s;
}

static bool
better(struct score a, struct score b)
{
	return a.unsupported < b.unsupported ||
	       (a.unsupported == b.unsupported && a.partial < b.partial);
}

static int
add_rewrite(struct ox_lg_report *rep, enum ox_lg_strategy st, const char *graph,
	    const char *node, const char *from, const char *to, const char *why)
{
	struct ox_lg_rewrite *w;

	if (rep->n_rewrites == rep->cap_rewrites) {
		size_t cap = rep->cap_rewrites ? 2 * rep->cap_rewrites : 16;

		if (!(w = realloc(rep->rewrites, cap * sizeof *w)))
			return OX_ENOMEM;
		rep->rewrites = w;
		rep->cap_rewrites = cap;
	}
	w = &rep->rewrites[rep->n_rewrites];
	w->strategy = st;
	w->graph = dup(graph);
	w->node = dup(node);
	w->from = dup(from);
	w->to = dup(to);
	w->why = dup(why);
	if (!w->graph || !w->node || !w->from || !w->to || !w->why)
		return OX_ENOMEM;
	rep->n_rewrites++;
	return 0;
}

static void
truncate_rewrites(struct ox_lg_report *rep, size_t n)
{
	while (rep->n_rewrites > n) {
		struct ox_lg_rewrite *w = &rep->rewrites[--rep->n_rewrites];

		free(w->graph);
		free(w->node);
		free(w->from);
		free(w->to);
		free(w->why);
	}
}

static char *
node_key(const struct ox_audit_node *an)
{
	size_t n = strlen(an->graph) + strlen(an->name) + strlen(an->op) + 3;
	char *k = malloc(n);

	if (k)
		snprintf(k, n, "%s\x1f%s\x1f%s", an->graph, an->name, an->op);
	return k;
}

static int
note_tried(struct lg *c, const struct ox_audit_node *an, const char *why)
{
	char *key = node_key(an);
	struct tried *t;

	if (!key)
		return OX_ENOMEM;
	for (size_t i = 0; i < c->n_tried; i++) {
		if (!strcmp(c->tried[i].key, key)) {
			free(key);
			free(c->tried[i].why);
			return (c->tried[i].why = dup(why)) ? 0 : OX_ENOMEM;
		}
	}
	if (!(t = realloc(c->tried, (c->n_tried + 1) * sizeof *t))) {
		free(key);
		return OX_ENOMEM;
	}
	c->tried = t;
	t[c->n_tried].key = key;
	if (!(t[c->n_tried].why = dup(why)))
		return OX_ENOMEM;
	c->n_tried++;
	return 0;
}

static const char *
tried_why(const struct lg *c, const struct ox_audit_node *an)
{
	char *key = node_key(an);
	const char *w = NULL;

	for (size_t i = 0; key && i < c->n_tried && !w; i++)
		if (!strcmp(c->tried[i].key, key))
			w = c->tried[i].why;
	free(key);
	return w;
}

/* A private copy of m, through the serializer. */
static struct ox_model *
copy_model(struct ox_model *m, struct ox_diag *d)
{
	struct ox_model *c = NULL;
	uint8_t *buf;
	size_t len;

	if (ox_model_save_buffer(m, &buf, &len, d) < 0)
		return NULL;
	if (ox_model_load_buffer(buf, len, m->dir, &c, d) < 0)
		c = NULL;
	free(buf);
	return c;
}

static void
add_candidate(int *cand, int *n, int k)
{
	if (k < 7 || k > ox_convert_newest_opset())
		return;
	for (int i = 0; i < *n; i++)
		if (cand[i] == k)
			return;
	cand[(*n)++] = k;
}

/* Step 1: whole-model conversion to an opset the target accepts or at which the
 * failing nodes resolve to versions it serves; kept when the audit improves (or,
 * with or_equal, when it gets no worse). */
static int
try_convert(struct lg *c, struct ox_audit_model *am, struct score *cur, bool or_equal)
{
	int64_t from = ox_model_opset(c->m, "");
	int cand[64], n = 0;
	struct ox_model *best = NULL;
	struct score best_s = *cur;
	const char *why = NULL;
	int best_k = 0, r = 0;

	if (from < 0)
		return 0;
	if (c->t->opset && from > c->t->opset)
		add_candidate(cand, &n, c->t->opset);
	for (size_t i = 0; i < c->t->n_opset_ranges; i++) {
		const struct ox_target_opset_range *or = &c->t->opset_ranges[i];

		if (*or->domain)
			continue;
		if (from < or->r.lo)
			add_candidate(cand, &n, or->r.lo);
		else if (or->r.hi != OX_RANGE_OPEN && from > or->r.hi)
			add_candidate(cand, &n, or->r.hi);
	}
	for (size_t i = 0; i < am->n_nodes_audited && n < 60; i++) {
		const struct ox_audit_check *ck = &am->nodes[i].checks[0];
		const char *p = ck->suggestion ? strstr(ck->suggestion, "convert to opset ") : NULL;
		int k;

		if (ck->verdict == OX_VERDICT_SUPPORTED)
			continue;
		if (!why)
			why = ck->reason;
		if (p && sscanf(p, "convert to opset %d", &k) == 1 && k != from)
			add_candidate(cand, &n, k);
	}
	for (int i = 0; i < n && r >= 0; i++) {
		struct ox_convert_opts co = { .target = cand[i] };
		struct ox_convert_report crep = { 0 };
		struct ox_audit_model *am2 = NULL;
		struct ox_model *cp;
		struct ox_diag d2;
		struct score s;

		ox_diag_init(&d2, NULL);
		cp = copy_model(c->m, &d2);
		if (!cp) {
			ox_diag_release(&d2);
			return ox_diag_error(c->d, OX_ENOMEM, "cannot copy the model");
		}
		r = ox_convert_model(cp, &co, &crep, &d2);
		ox_convert_report_release(&crep);
		ox_diag_release(&d2);
		if (r != 0) {
			/* Incomplete: some nodes would stay at versions the new opset does
			 * not resolve to. Not an error for legalize. */
			ox_model_free(cp);
			r = 0;
			continue;
		}
		if ((r = audit(cp, c->t, &am2)) < 0) {
			ox_model_free(cp);
			break;
		}
		s = score_of(am2);
		ox_audit_model_free(am2);
		if (better(s, best_s) || (or_equal && !best && !better(best_s, s))) {
			ox_model_free(best);
			best = cp;
			best_s = s;
			best_k = cand[i];
		} else {
			ox_model_free(cp);
		}
	}
	if (r < 0) {
		ox_model_free(best);
		return r;
	}
	if (best) {
		char f[32], t[32];

		snprintf(f, sizeof f, "opset %lld", (long long)from);
		snprintf(t, sizeof t, "opset %d", best_k);
		ox_model_free(c->m);
		c->m = best;
		*cur = best_s;
		if ((r = add_rewrite(c->rep, OX_LG_CONVERT, "main", "", f, t, why)) < 0)
			return r;
	}
	return 0;
}

static bool
wants_fold(const struct ox_audit_check *ck)
{
	return ck->verdict == OX_VERDICT_PARTIAL && ck->suggestion &&
	       !strncmp(ck->suggestion, "fold_constants", 14);
}

static int
fold(struct lg *c)
{
	struct ox_pipeline_opts po = { .passes = "fold_constants" };
	struct ox_pipeline_report pr;
	long n = 0;
	int r;

	if ((r = ox_pipeline_run(c->m, &po, &pr, c->d)) < 0)
		return r;
	for (size_t i = 0; i < pr.n_passes; i++)
		n += pr.passes[i].rewrites;
	ox_pipeline_report_release(&pr);
	return n > 0;
}

/* One rewrite of one failing node; 1 when it changed the graph. */
static int
rewrite_node(struct lg *c, const struct ox_audit_node *an)
{
	const struct ox_audit_check *ck = &an->checks[0];
	struct ox_node *node = an->node;
	char why[256] = "", to[160] = "", from[96];
	enum ox_lg_strategy st = OX_LG_FUNCTION;
	int r = 0;

	snprintf(from, sizeof from, "%s-%d", an->op, an->since_version);
	if (ck->rule == OX_RULE_UNSUPPORTED_TYPE) {
		st = OX_LG_CAST;
		r = ox_lg_cast_around(node, to, sizeof to, why, sizeof why);
	} else {
		char w1[256] = "";

		r = ox_lg_inline(node, an->since_version, w1, sizeof w1, c->d);
		if (r > 0) {
			snprintf(to, sizeof to, "its ONNX function body");
		} else if (r == 0) {
			st = OX_LG_DECOMPOSE;
			r = ox_lg_decompose(node, to, sizeof to, why, sizeof why);
			if (r == 0) {
				char both[600];

				snprintf(both, sizeof both, "function body: %s; decomposition: %s",
					 w1, why);
				return note_tried(c, an, both);
			}
		}
	}
	if (r < 0)
		return r;
	if (r == 0)
		return note_tried(c, an, why);
	if ((r = add_rewrite(c->rep, st, an->graph, an->name, from, to, ck->reason)) < 0)
		return r;
	return 1;
}

static int
sort_graph(struct ox_graph *g, void *d)
{
	int r;

	ox_graph_compact(g);
	if ((r = ox_graph_toposort(g, d)) < 0)
		return r;
	for (size_t i = 0; i < g->n_nodes; i++)
		if ((r = ox_node_foreach_subgraph(g->nodes[i], sort_graph, d)) < 0)
			return r;
	return 0;
}

/* One round over the failing nodes: >0 when something changed. */
static int
round_once(struct lg *c, struct ox_audit_model *am)
{
	bool need_fold = false;
	int changed = 0, r;

	for (size_t i = 0; i < am->n_nodes_audited; i++) {
		const struct ox_audit_node *an = &am->nodes[i];
		const struct ox_audit_check *ck = &an->checks[0];

		if (an->in_function || ck->verdict == OX_VERDICT_SUPPORTED || !an->node ||
		    an->node->dead || an->custom)
			continue;
		if (wants_fold(ck)) {
			need_fold = true;
			continue;
		}
		if ((r = rewrite_node(c, an)) < 0)
			return r;
		changed += r;
	}
	if (need_fold) {
		size_t mark = c->rep->n_rewrites;

		if ((r = fold(c)) < 0)
			return r;
		if (r > 0) {
			changed++;
			for (size_t i = 0; i < am->n_nodes_audited; i++) {
				const struct ox_audit_node *an = &am->nodes[i];
				char from[96];

				if (an->in_function || !wants_fold(&an->checks[0]))
					continue;
				snprintf(from, sizeof from, "%s-%d", an->op, an->since_version);
				if ((r = add_rewrite(c->rep, OX_LG_FOLD, an->graph, an->name, from,
						     "the same op, inputs folded to constants",
						     an->checks[0].reason)) < 0)
					return r;
			}
		}
		(void)mark;
	}
	if (changed && (r = sort_graph(c->m->graph, c->d)) < 0)
		return r;
	return changed;
}

static int
fill_left(struct lg *c, struct ox_audit_model *am)
{
	struct ox_lg_report *rep = c->rep;

	for (size_t i = 0; i < am->n_nodes_audited; i++) {
		const struct ox_audit_node *an = &am->nodes[i];
		const struct ox_audit_check *ck = &an->checks[0];
		const char *tw = tried_why(c, an);
		struct ox_lg_left *l;

		if (an->in_function || ck->verdict == OX_VERDICT_SUPPORTED)
			continue;
		if (rep->n_left == rep->cap_left) {
			size_t cap = rep->cap_left ? 2 * rep->cap_left : 16;

			if (!(l = realloc(rep->left, cap * sizeof *l)))
				return OX_ENOMEM;
			rep->left = l;
			rep->cap_left = cap;
		}
		l = &rep->left[rep->n_left++];
		memset(l, 0, sizeof *l);
		l->graph = dup(an->graph);
		l->node = dup(an->name);
		l->op = dup(an->op);
		l->since_version = an->since_version;
		l->partial = ck->verdict == OX_VERDICT_PARTIAL;
		l->rule = dup(ox_audit_rule_id(ck->rule));
		l->reason = dup(ck->reason);
		l->tried = tw ? dup(tw) : NULL;
		if (!l->graph || !l->node || !l->op || !l->rule || !l->reason || (tw && !l->tried))
			return OX_ENOMEM;
	}
	return 0;
}

static int
legalize(struct lg *c, const struct ox_lg_opts *o)
{
	int max = o && o->max_rounds > 0 ? o->max_rounds : MAX_ROUNDS_DEFAULT;
	struct ox_audit_model *am = NULL;
	struct score s;
	int r;

	ox_shape_register();
	if (!c->m->graph)
		return ox_diag_error(c->d, OX_EINVAL, "the model has no graph");
	c->rep->opset_before = ox_model_opset(c->m, "");
	c->rep->nodes_before = ox_graph_count_nodes(c->m->graph, true);
	if ((r = audit(c->m, c->t, &am)) < 0)
		return r;
	s = score_of(am);
	c->rep->unsupported_before = s.unsupported;
	c->rep->partial_before = s.partial;
	if (s.unsupported + s.partial && (r = try_convert(c, am, &s, false)) < 0)
		goto out;
	for (int round = 0; round < max && s.unsupported + s.partial; round++) {
		size_t mark = c->rep->n_rewrites;
		struct score s2;
		uint8_t *snap = NULL;
		size_t snap_len = 0;

		ox_audit_model_free(am);
		am = NULL;
		if ((r = audit(c->m, c->t, &am)) < 0)
			goto out;
		if ((r = ox_model_save_buffer(c->m, &snap, &snap_len, c->d)) < 0)
			goto out;
		r = round_once(c, am);
		if (r <= 0) {
			free(snap);
			if (r < 0)
				goto out;
			break;
		}
		c->rep->rounds++;
		ox_audit_model_free(am);
		am = NULL;
		if ((r = audit(c->m, c->t, &am)) < 0) {
			free(snap);
			goto out;
		}
		s2 = score_of(am);
		if (better(s, s2)) {
			/* Worse than before the round: undo it. */
			struct ox_model *back = NULL;

			r = ox_model_load_buffer(snap, snap_len, c->m->dir, &back, c->d);
			free(snap);
			if (r < 0)
				goto out;
			ox_model_free(c->m);
			c->m = back;
			truncate_rewrites(c->rep, mark);
			c->rep->rounds--;
			break;
		}
		free(snap);
		s = s2;
	}
	ox_audit_model_free(am);
	am = NULL;
	if ((r = audit(c->m, c->t, &am)) < 0)
		goto out;
	s = score_of(am);
	/* opset:N wants the import at N too, once no node needs the newer opset. */
	if (c->t->opset && ox_model_opset(c->m, "") > c->t->opset) {
		if ((r = try_convert(c, am, &s, true)) < 0)
			goto out;
		ox_audit_model_free(am);
		am = NULL;
		if ((r = audit(c->m, c->t, &am)) < 0)
			goto out;
		s = score_of(am);
	}
	c->rep->unsupported_after = s.unsupported;
	c->rep->partial_after = s.partial;
	c->rep->opset_after = ox_model_opset(c->m, "");
	c->rep->nodes_after = ox_graph_count_nodes(c->m->graph, true);
	if ((r = fill_left(c, am)) < 0)
		goto out;
	r = (int)(s.unsupported + s.partial);
out:
	ox_audit_model_free(am);
	return r;
}

int
ox_legalize_model(struct ox_model **m, const struct ox_target *t, const struct ox_lg_opts *o,
		  struct ox_lg_report *rep, struct ox_diag *d)
{
	struct lg c = { .m = *m, .t = t, .rep = rep, .d = d };
	int r = legalize(&c, o);

	*m = c.m;
	for (size_t i = 0; i < c.n_tried; i++) {
		free(c.tried[i].key);
		free(c.tried[i].why);
	}
	free(c.tried);
	if (r == OX_ENOMEM && !d->n)
		ox_diag_error(d, r, "out of memory");
	return r;
}

void
ox_lg_report_release(struct ox_lg_report *rep)
{
	truncate_rewrites(rep, 0);
	free(rep->rewrites);
	for (size_t i = 0; i < rep->n_left; i++) {
		struct ox_lg_left *l = &rep->left[i];

		free(l->graph);
		free(l->node);
		free(l->op);
		free(l->rule);
		free(l->reason);
		free(l->tried);
	}
	free(rep->left);
	memset(rep, 0, sizeof *rep);
}

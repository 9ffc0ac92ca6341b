/* audit_text.c: the audit as text for terminals: per model a verdict table and the
 * op types that some target does not fully support (every node with verbose). */
#include "config.h"

#include <string.h>

#include "audit.h"
#include "strmap.h"
#include "table.h"

static enum ox_style
verdict_style(enum ox_verdict v)
{
	return v == OX_VERDICT_UNSUPPORTED ? OX_STYLE_BAD
	     : v == OX_VERDICT_PARTIAL ? OX_STYLE_WARN : OX_STYLE_RESET;
}

/* Columns 1.. of a table are counts. */
static void
right_from(struct ox_table *tb, int first)
{
	for (int c = first; c < OX_TABLE_MAX_COLS; c++)
		ox_table_right(tb, c);
}

static void
print_check(FILE *f, const char *indent, const struct ox_target *t,
	    const struct ox_audit_check *ck)
{
	fprintf(f, "%s%s: %s", indent, t->name, ox_verdict_name(ck->verdict));
	if (ck->reason)
		fprintf(f, ": %s", ck->reason);
	fputc('\n', f);
	if (ck->suggestion)
		fprintf(f, "%s  suggestion: %s\n", indent, ck->suggestion);
}

static int
print_model(FILE *f, const struct ox_audit_model *am, struct ox_target *const *targets,
	    size_t nt, bool verbose)
{
	struct ox_table tb;
	int r;

	fprintf(f, "%s\n", am->path);
	if (am->status) {
		fprintf(f, "  error: %s\n\n", am->error ? am->error : "cannot load");
		return 0;
	}
	fprintf(f, "  ir_version %lld, opsets", am->has_ir_version ? (long long)am->ir_version : -1LL);
	for (size_t i = 0; i < am->n_opsets; i++)
		fprintf(f, " %s %lld", am->opsets[i].domain, (long long)am->opsets[i].version);
	fprintf(f, "; %zu nodes (%zu with subgraphs)\n", am->n_nodes, am->n_nodes_deep);
	ox_table_init(&tb, "  ");
	right_from(&tb, 2);
	ox_table_header(&tb, "target", "verdict", "supported", "partial", "unsupported",
			"unverified", NULL);
	for (size_t t = 0; t < nt; t++) {
		const struct ox_audit_summary *s = &am->summary[t];

		ox_table_row(&tb, false, verdict_style(s->verdict));
		ox_table_cell(&tb, targets[t]->name);
		ox_table_cell(&tb, ox_verdict_name(s->verdict));
		ox_table_cellf(&tb, "%zu", s->supported);
		ox_table_cellf(&tb, "%zu", s->partial);
		ox_table_cellf(&tb, "%zu", s->unsupported);
		ox_table_cellf(&tb, "%zu", s->unverified);
	}
	r = ox_table_print(&tb, f);
	ox_table_release(&tb);
	if (r < 0)
		return r;
	if (verbose) {
		for (size_t i = 0; i < am->n_nodes_audited; i++) {
			const struct ox_audit_node *an = &am->nodes[i];

			fprintf(f, "  node %s%s%s (%s:%s", *an->name ? "'" : "",
				*an->name ? an->name : "(unnamed)", *an->name ? "'" : "",
				an->domain, an->op);
			if (an->since_version >= 0)
				fprintf(f, "-%d", an->since_version);
			fprintf(f, ") in %s%s\n", an->graph, an->custom ? ", custom domain" : "");
			fprintf(f, "    inputs:");
			for (int k = 0; k < an->n_inputs; k++)
				fprintf(f, " %s", *an->inputs[k] ? an->inputs[k] : "-");
			fprintf(f, "\n");
			for (size_t t = 0; t < nt; t++) {
				print_check(f, "    ", targets[t], &an->checks[t]);
				for (size_t k = 0; k < an->checks[t].n_notes; k++)
					fprintf(f, "      note: %s\n", an->checks[t].notes[k]);
			}
		}
	} else {
		for (size_t i = 0; i < am->n_optypes; i++) {
			const struct ox_audit_optype *ot = &am->optypes[i];
			bool header = false;

			for (size_t t = 0; t < nt; t++) {
				if (ot->worst[t] == OX_VERDICT_SUPPORTED)
					continue;
				if (!header) {
					fprintf(f, "  %s:%s", ot->domain, ot->op);
					if (ot->since_version >= 0)
						fprintf(f, "-%d", ot->since_version);
					fprintf(f, " x%zu%s\n", ot->count,
						ot->custom ? " (custom domain)" : "");
					header = true;
				}
				fprintf(f, "    %s: %s: %s\n", targets[t]->name,
					ox_verdict_name(ot->worst[t]),
					ot->reason[t] ? ot->reason[t] : "");
			}
		}
		/* One suggestion per distinct text, so a long model stays readable. */
		for (size_t t = 0; t < nt; t++) {
			struct ox_strmap seen;

			ox_strmap_init(&seen);
			for (size_t i = 0; i < am->n_nodes_audited; i++) {
				const struct ox_audit_check *ck = &am->nodes[i].checks[t];

				if (!ck->suggestion || ck->verdict == OX_VERDICT_SUPPORTED ||
				    ox_strmap_get(&seen, ck->suggestion))
					continue;
				/* Out of memory only costs a repeated line. */
				(void)ox_strmap_put(&seen, ck->suggestion, (void *)ck);
				fprintf(f, "    %s: %s:%s: suggestion: %s\n", targets[t]->name,
					am->nodes[i].domain, am->nodes[i].op, ck->suggestion);
			}
			ox_strmap_release(&seen);
		}
	}
	fputc('\n', f);
	return 0;
}

int
ox_audit_text(FILE *f, struct ox_audit_model *const *models, size_t n,
	      struct ox_target *const *targets, size_t nt, bool verbose)
{
	struct ox_table tb;
	size_t failed = 0;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		r = print_model(f, models[i], targets, nt, verbose);
		failed += models[i]->status != 0;
	}
	if (r == 0 && n > 1) {
		fprintf(f, "%zu models (%zu failed to load)\n", n, failed);
		ox_table_init(&tb, "  ");
		right_from(&tb, 1);
		ox_table_header(&tb, "target", "supported", "partial", "unsupported", NULL);
		for (size_t t = 0; t < nt; t++) {
			size_t cnt[3] = { 0 };

			for (size_t i = 0; i < n; i++)
				if (!models[i]->status)
					cnt[models[i]->summary[t].verdict]++;
			ox_table_row(&tb, false, OX_STYLE_RESET);
			ox_table_cell(&tb, targets[t]->name);
			for (int v = 0; v < 3; v++)
				ox_table_cellf(&tb, "%zu", cnt[v]);
		}
		r = ox_table_print(&tb, f);
		ox_table_release(&tb);
	}
	if (r < 0)
		return r;
	return ferror(f) ? OX_EIO : 0;
}

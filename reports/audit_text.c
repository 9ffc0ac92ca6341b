/* audit_text.c: the audit as text for terminals: per model a verdict table and the
 * op types that some target does not fully support (every node with verbose). */
#include "config.h"

#include <string.h>

#include "audit.h"

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

static void
print_model(FILE *f, const struct ox_audit_model *am, struct ox_target *const *targets,
	    size_t nt, bool verbose)
{
	fprintf(f, "%s\n", am->path);
	if (am->status) {
		fprintf(f, "  error: %s\n\n", am->error ? am->error : "cannot load");
		return;
	}
	fprintf(f, "  ir_version %lld, opsets", am->has_ir_version ? (long long)am->ir_version : -1LL);
	for (size_t i = 0; i < am->n_opsets; i++)
		fprintf(f, " %s %lld", am->opsets[i].domain, (long long)am->opsets[i].version);
	fprintf(f, "; %zu nodes (%zu with subgraphs)\n", am->n_nodes, am->n_nodes_deep);
	fprintf(f, "  %-16s %-12s %9s %7s %11s %10s\n", "target", "verdict", "supported",
		"partial", "unsupported", "unverified");
	for (size_t t = 0; t < nt; t++) {
		const struct ox_audit_summary *s = &am->summary[t];

		fprintf(f, "  %-16s %-12s %9zu %7zu %11zu %10zu\n", targets[t]->name,
			ox_verdict_name(s->verdict), s->supported, s->partial, s->unsupported,
			s->unverified);
	}
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
			const char *last = NULL;

			for (size_t i = 0; i < am->n_nodes_audited; i++) {
				const struct ox_audit_check *ck = &am->nodes[i].checks[t];

				if (!ck->suggestion || ck->verdict == OX_VERDICT_SUPPORTED ||
				    (last && !strcmp(last, ck->suggestion)))
					continue;
				fprintf(f, "    %s: %s:%s: suggestion: %s\n", targets[t]->name,
					am->nodes[i].domain, am->nodes[i].op, ck->suggestion);
				last = ck->suggestion;
			}
		}
	}
	fputc('\n', f);
}

int
ox_audit_text(FILE *f, struct ox_audit_model *const *models, size_t n,
	      struct ox_target *const *targets, size_t nt, bool verbose)
{
	size_t failed = 0;

	for (size_t i = 0; i < n; i++) {
		print_model(f, models[i], targets, nt, verbose);
		failed += models[i]->status != 0;
	}
	if (n > 1) {
		fprintf(f, "%zu models (%zu failed to load)\n", n, failed);
		for (size_t t = 0; t < nt; t++) {
			size_t cnt[3] = { 0 };

			for (size_t i = 0; i < n; i++)
				if (!models[i]->status)
					cnt[models[i]->summary[t].verdict]++;
			fprintf(f, "  %-16s %zu supported, %zu partial, %zu unsupported\n",
				targets[t]->name, cnt[0], cnt[1], cnt[2]);
		}
	}
	return ferror(f) ? OX_EIO : 0;
}

/* audit_json.c: the audit as JSON, in the format of docs/audit-json.md (checked
 * against reports/audit.schema.json by the tests). Every key is always present
 * unless the document says it is optional, so consumers need no guessing. */
#include "config.h"

#include <jansson.h>

#include "audit.h"

/* json_object_set_new that tolerates a NULL value from a failed allocation: the
 * caller notices the missing key no later than the final check of the root. */
static void
put(json_t *o, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(o, key, v);
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *
strings(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i] ? v[i] : ""));
	return a;
}

static json_t *
version_or_null(int v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *
target_json(const struct ox_target *t)
{
	json_t *o = json_object();

	put(o, "name", json_string(t->name));
	put(o, "runtime", json_string(t->runtime));
	put(o, "runtime_version", json_string(t->runtime_version));
	put(o, "device", str_or_null(t->device));
	put(o, "source", str_or_null(t->source));
	put(o, "file", str_or_null(t->path));
	return o;
}

static json_t *
check_json(const struct ox_audit_check *ck)
{
	json_t *o = json_object();

	put(o, "verdict", json_string(ox_verdict_name(ck->verdict)));
	put(o, "rule", ck->verdict == OX_VERDICT_SUPPORTED ? json_null()
			: json_string(ox_audit_rule_id(ck->rule)));
	put(o, "reason", str_or_null(ck->reason));
	put(o, "suggestion", str_or_null(ck->suggestion));
	put(o, "unverified", json_boolean(ck->unverified));
	put(o, "notes", strings(ck->notes, ck->n_notes));
	return o;
}

static json_t *
node_json(const struct ox_audit_node *an, struct ox_target *const *targets, size_t nt)
{
	json_t *o = json_object(), *v = json_object();

	put(o, "name", json_string(an->name));
	put(o, "graph", json_string(an->graph));
	put(o, "domain", json_string(an->domain));
	put(o, "op", json_string(an->op));
	put(o, "since_version", version_or_null(an->since_version));
	put(o, "custom_domain", json_boolean(an->custom));
	put(o, "in_function", json_boolean(an->in_function));
	put(o, "inputs", strings(an->inputs, (size_t)an->n_inputs));
	put(o, "outputs", strings(an->outputs, (size_t)an->n_outputs));
	for (size_t t = 0; v && t < nt; t++)
		put(v, targets[t]->name, check_json(&an->checks[t]));
	put(o, "targets", v);
	return o;
}

static json_t *
model_json(const struct ox_audit_model *am, struct ox_target *const *targets, size_t nt)
{
	json_t *o = json_object(), *x;

	put(o, "path", json_string(am->path));
	put(o, "status", json_string(am->status ? "error" : "ok"));
	put(o, "error", str_or_null(am->status ? am->error : NULL));
	put(o, "sha256", am->sha256[0] ? json_string(am->sha256) : json_null());
	put(o, "file_size", json_integer((json_int_t)am->file_size));
	if (am->status)
		return o;
	put(o, "ir_version", am->has_ir_version ? json_integer(am->ir_version) : json_null());
	x = json_object();
	put(x, "name", str_or_null(am->producer_name));
	put(x, "version", str_or_null(am->producer_version));
	put(o, "producer", x);
	x = json_object();
	for (size_t i = 0; x && i < am->n_opsets; i++)
		put(x, am->opsets[i].domain, json_integer(am->opsets[i].version));
	put(o, "opsets", x);
	put(o, "nodes", json_integer((json_int_t)am->n_nodes));
	put(o, "nodes_with_subgraphs", json_integer((json_int_t)am->n_nodes_deep));
	put(o, "subgraphs", json_integer((json_int_t)am->n_subgraphs));
	put(o, "functions", json_integer((json_int_t)am->n_functions));
	put(o, "initializers", json_integer((json_int_t)am->n_initializers));
	put(o, "parameters", json_integer(am->n_params));
	put(o, "type_inference_conflicts", json_integer(am->infer_conflicts));

	x = json_array();
	for (size_t i = 0; x && i < am->n_optypes; i++) {
		const struct ox_audit_optype *ot = &am->optypes[i];
		json_t *r = json_object(), *v = json_object();

		put(r, "domain", json_string(ot->domain));
		put(r, "op", json_string(ot->op));
		put(r, "since_version", version_or_null(ot->since_version));
		put(r, "custom_domain", json_boolean(ot->custom));
		put(r, "count", json_integer((json_int_t)ot->count));
		for (size_t t = 0; v && t < nt; t++) {
			json_t *e = json_object();

			put(e, "verdict", json_string(ox_verdict_name(ot->worst[t])));
			put(e, "reason", str_or_null(ot->reason[t]));
			put(v, targets[t]->name, e);
		}
		put(r, "targets", v);
		json_array_append_new(x, r);
	}
	put(o, "op_types", x);

	x = json_array();
	for (size_t i = 0; x && i < am->n_nodes_audited; i++)
		json_array_append_new(x, node_json(&am->nodes[i], targets, nt));
	put(o, "node_list", x);

	x = json_array();
	for (size_t i = 0; x && i < am->n_nodes_audited; i++) {
		const struct ox_audit_node *an = &am->nodes[i];

		for (size_t t = 0; t < nt; t++) {
			const struct ox_audit_check *ck = &an->checks[t];
			json_t *f;

			if (ck->verdict == OX_VERDICT_SUPPORTED)
				continue;
			f = json_object();
			put(f, "target", json_string(targets[t]->name));
			put(f, "node", json_string(an->name));
			put(f, "graph", json_string(an->graph));
			put(f, "domain", json_string(an->domain));
			put(f, "op", json_string(an->op));
			put(f, "since_version", version_or_null(an->since_version));
			put(f, "in_function", json_boolean(an->in_function));
			put(f, "verdict", json_string(ox_verdict_name(ck->verdict)));
			put(f, "rule", json_string(ox_audit_rule_id(ck->rule)));
			put(f, "reason", str_or_null(ck->reason));
			put(f, "suggestion", str_or_null(ck->suggestion));
			json_array_append_new(x, f);
		}
	}
	put(o, "findings", x);

	x = json_object();
	for (size_t t = 0; x && t < nt; t++) {
		const struct ox_audit_summary *s = &am->summary[t];
		json_t *e = json_object();

		put(e, "verdict", json_string(ox_verdict_name(s->verdict)));
		put(e, "supported", json_integer((json_int_t)s->supported));
		put(e, "partial", json_integer((json_int_t)s->partial));
		put(e, "unsupported", json_integer((json_int_t)s->unsupported));
		put(e, "unverified", json_integer((json_int_t)s->unverified));
		put(x, targets[t]->name, e);
	}
	put(o, "summary", x);
	return o;
}

json_t *
ox_audit_json(struct ox_audit_model *const *models, size_t n,
	      struct ox_target *const *targets, size_t nt)
{
	json_t *root = json_object(), *x;

	if (!root)
		return NULL;
	put(root, "schema_version", json_integer(OX_AUDIT_SCHEMA_VERSION));
	x = json_object();
	put(x, "name", json_string("onnx-opt"));
	put(x, "version", json_string(PACKAGE_VERSION));
	put(root, "tool", x);
	x = json_array();
	for (size_t t = 0; x && t < nt; t++)
		json_array_append_new(x, target_json(targets[t]));
	put(root, "targets", x);
	x = json_array();
	for (size_t i = 0; x && i < n; i++)
		json_array_append_new(x, model_json(models[i], targets, nt));
	put(root, "models", x);

	x = json_object();
	for (size_t t = 0; x && t < nt; t++) {
		size_t cnt[3] = { 0 }, failed = 0;
		json_t *e = json_object();

		for (size_t i = 0; i < n; i++) {
			if (models[i]->status)
				failed++;
			else
				cnt[models[i]->summary[t].verdict]++;
		}
		put(e, "verdict", json_string(ox_verdict_name(ox_audit_batch_verdict(models, n, t))));
		put(e, "models_supported", json_integer((json_int_t)cnt[OX_VERDICT_SUPPORTED]));
		put(e, "models_partial", json_integer((json_int_t)cnt[OX_VERDICT_PARTIAL]));
		put(e, "models_unsupported", json_integer((json_int_t)cnt[OX_VERDICT_UNSUPPORTED]));
		put(e, "models_failed", json_integer((json_int_t)failed));
		put(x, targets[t]->name, e);
	}
	put(root, "summary", x);
	if (!json_object_get(root, "summary")) {
		json_decref(root);
		return NULL;
	}
	return root;
}

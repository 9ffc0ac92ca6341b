/* audit_sarif.c: the audit as a SARIF 2.1.0 log, for code-scanning UIs.
 *
 * One run; one result per (node, target) that is not supported, ruleId from
 * ox_audit_rule_id(), level error (unsupported) or warning (partial), the model
 * file as physical location and the node as logical location; one result of rule
 * "model-load-error" per model that did not load. tools/validate_sarif.py checks
 * the output against the OASIS schema. */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"

#define RULE_LOAD_ERROR OX_RULE_COUNT   /* index of the extra rule */

static void
put(json_t *o, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(o, key, v);
}

static json_t *
text(const char *s)
{
	json_t *o = json_object();

	put(o, "text", json_string(s ? s : ""));
	return o;
}

/* A file path as a URI reference: unreserved bytes and '/' kept, the rest %XX;
 * absolute paths become file:// URIs. The caller frees the result. */
static char *
path_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path);
	char *out = malloc(3 * n + 8), *p = out;

	if (!out)
		return NULL;
	if (path[0] == '/') {
		memcpy(p, "file://", 7);
		p += 7;
	}
	for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~/", *s)) {
			*p++ = (char)*s;
		} else {
			*p++ = '%';
			*p++ = hex[*s >> 4];
			*p++ = hex[*s & 15];
		}
	}
	*p = '\0';
	return out;
}

static json_t *
rule_json(const char *id, const char *description, const char *level)
{
	json_t *r = json_object(), *cfg = json_object();

	put(r, "id", json_string(id));
	put(r, "shortDescription", text(id));
	put(r, "fullDescription", text(description));
	put(cfg, "level", json_string(level));
	put(r, "defaultConfiguration", cfg);
	return r;
}

static json_t *
location(const char *uri, size_t artifact, const char *node_name, const char *fq)
{
	json_t *loc = json_object(), *phys = json_object(), *art = json_object();

	put(art, "uri", json_string(uri ? uri : ""));
	put(art, "index", json_integer((json_int_t)artifact));
	put(phys, "artifactLocation", art);
	put(loc, "physicalLocation", phys);
	if (node_name) {
		json_t *ll = json_array(), *l = json_object();

		put(l, "name", json_string(node_name));
		put(l, "fullyQualifiedName", json_string(fq));
		put(l, "kind", json_string("object"));
		json_array_append_new(ll, l);
		put(loc, "logicalLocations", ll);
	}
	return loc;
}

json_t *
ox_audit_sarif(struct ox_audit_model *const *models, size_t n,
	       struct ox_target *const *targets, size_t nt)
{
	json_t *root = json_object(), *runs = json_array(), *run = json_object();
	json_t *tool = json_object(), *driver = json_object(), *rules = json_array();
	json_t *results = json_array(), *artifacts = json_array(), *inv = json_object();
	json_t *notes = json_array(), *invs = json_array(), *props;
	bool ok = true;

	if (!root || !runs || !run || !tool || !driver || !rules || !results || !artifacts ||
	    !inv || !notes || !invs) {
		json_decref(root); json_decref(runs); json_decref(run); json_decref(tool);
		json_decref(driver); json_decref(rules); json_decref(results);
		json_decref(artifacts); json_decref(inv); json_decref(notes); json_decref(invs);
		return NULL;
	}
	put(root, "$schema", json_string("https://json.schemastore.org/sarif-2.1.0.json"));
	put(root, "version", json_string("2.1.0"));
	put(driver, "name", json_string("onnx-opt"));
	put(driver, "version", json_string(PACKAGE_VERSION));
	put(driver, "semanticVersion", json_string(PACKAGE_VERSION));
	for (int r = 1; r < OX_RULE_COUNT; r++)
		json_array_append_new(rules, rule_json(ox_audit_rule_id(r), ox_audit_rule_text(r),
						       r == OX_RULE_RESTRICTION ? "warning" : "error"));
	json_array_append_new(rules, rule_json("model-load-error", "The model file could not "
					       "be read or is not a valid ONNX model.", "error"));
	put(driver, "rules", rules);
	put(tool, "driver", driver);
	put(run, "tool", tool);

	for (size_t i = 0; i < n; i++) {
		const struct ox_audit_model *am = models[i];
		char *uri = path_uri(am->path);
		json_t *art = json_object(), *aloc = json_object();

		put(aloc, "uri", json_string(uri ? uri : ""));
		put(art, "location", aloc);
		if (am->sha256[0]) {
			json_t *h = json_object();

			put(h, "sha-256", json_string(am->sha256));
			put(art, "hashes", h);
			put(art, "length", json_integer((json_int_t)am->file_size));
		}
		json_array_append_new(artifacts, art);
		if (am->status) {
			json_t *res = json_object(), *locs = json_array(), *note = json_object();

			put(res, "ruleId", json_string("model-load-error"));
			put(res, "ruleIndex", json_integer(RULE_LOAD_ERROR - 1));
			put(res, "level", json_string("error"));
			put(res, "message", text(am->error));
			json_array_append_new(locs, location(uri, i, NULL, NULL));
			put(res, "locations", locs);
			json_array_append_new(results, res);
			put(note, "level", json_string("error"));
			put(note, "message", text(am->error));
			json_array_append_new(notes, note);
			ok = false;
			free(uri);
			continue;
		}
		for (size_t k = 0; k < am->n_nodes_audited; k++) {
			const struct ox_audit_node *an = &am->nodes[k];
			char name[512], fq[1024];

			if (*an->name)
				snprintf(name, sizeof name, "%s", an->name);
			else
				snprintf(name, sizeof name, "(unnamed %s)", an->op);
			snprintf(fq, sizeof fq, "%s/%s", an->graph, name);
			for (size_t t = 0; t < nt; t++) {
				const struct ox_audit_check *ck = &an->checks[t];
				json_t *res, *locs;
				char *msg;
				size_t len;

				if (ck->verdict == OX_VERDICT_SUPPORTED)
					continue;
				len = strlen(targets[t]->name) + strlen(ck->reason ? ck->reason : "") +
				      strlen(ck->suggestion ? ck->suggestion : "") + 64;
				if (!(msg = malloc(len)))
					continue;
				snprintf(msg, len, "%s: %s%s%s%s", targets[t]->name,
					 ck->reason ? ck->reason : ox_verdict_name(ck->verdict),
					 ck->suggestion ? ". Suggestion: " : "",
					 ck->suggestion ? ck->suggestion : "",
					 ck->suggestion ? "." : "");
				res = json_object();
				put(res, "ruleId", json_string(ox_audit_rule_id(ck->rule)));
				put(res, "ruleIndex", json_integer(ck->rule - 1));
				put(res, "level", json_string(ck->verdict == OX_VERDICT_PARTIAL
							      ? "warning" : "error"));
				put(res, "message", text(msg));
				free(msg);
				locs = json_array();
				json_array_append_new(locs, location(uri, i, name, fq));
				put(res, "locations", locs);
				props = json_object();
				put(props, "target", json_string(targets[t]->name));
				put(props, "domain", json_string(an->domain));
				put(props, "op", json_string(an->op));
				if (an->since_version >= 0)
					put(props, "sinceVersion", json_integer(an->since_version));
				put(props, "verdict", json_string(ox_verdict_name(ck->verdict)));
				put(res, "properties", props);
				json_array_append_new(results, res);
			}
		}
		free(uri);
	}
	put(inv, "executionSuccessful", json_boolean(ok));
	if (json_array_size(notes))
		put(inv, "toolExecutionNotifications", notes);
	else
		json_decref(notes);
	json_array_append_new(invs, inv);
	put(run, "invocations", invs);
	put(run, "artifacts", artifacts);
	put(run, "results", results);
	json_array_append_new(runs, run);
	put(root, "runs", runs);
	return root;
}

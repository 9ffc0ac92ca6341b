/* check_audit.c: the operator audit on small models built by hand, against the
 * built-in profiles in targets/. Each expectation is a fact one can look up outside
 * the code: the ONNX operator changelog (Gelu appears in opset 20, Celu in 12,
 * ReduceSum takes axes as an input from 13), and the profile files themselves
 * (tensorrt.json: Gelu versions [20, 24] on float and others, no Swish entry,
 * ReduceSum "axes must be an initializer"; ort-cpu.json: Gelu-20 on float only). */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../reports/audit.h"
#include "exec.h"
#include "graph.h"
#include "targets.h"

static struct ox_model *
model(int opset)
{
	struct ox_model *m = ox_model_new();
	struct ox_opset *o;

	ck_assert_ptr_nonnull(m);
	o = ox_arena_push(&m->arena, &m->opsets, &m->n_opsets, &m->cap_opsets, sizeof *m->opsets);
	o->has_version = true;
	o->version = opset;
	m->has_ir_version = true;
	m->ir_version = 9;
	m->graph = ox_graph_new(m, NULL);
	return m;
}

static void
import(struct ox_model *m, const char *domain, int version)
{
	struct ox_opset *o = ox_arena_push(&m->arena, &m->opsets, &m->n_opsets, &m->cap_opsets,
					   sizeof *m->opsets);

	o->domain = domain;
	o->has_version = true;
	o->version = version;
}

static struct ox_type *
ttype(struct ox_model *m, int elem, int rank)
{
	struct ox_type *t = ox_arena_alloc(&m->arena, sizeof *t);

	t->kind = OX_TYPE_TENSOR;
	t->has_elem = true;
	t->elem = elem;
	t->rank = rank;
	t->dims = ox_arena_calloc(&m->arena, (size_t)rank + 1, sizeof *t->dims);
	for (int i = 0; i < rank; i++) {
		t->dims[i].kind = OX_DIM_VALUE;
		t->dims[i].value = 2;
	}
	return t;
}

/* A graph input of element type elem (0: no type at all) and rank 2. */
static struct ox_value *
input(struct ox_model *m, const char *name, int elem)
{
	struct ox_value *v = ox_value_new(m->graph, name);

	if (elem) {
		v->type = ttype(m, elem, 2);
		v->has_info = true;
	}
	ox_graph_add_input(m->graph, v);
	return v;
}

static struct ox_value *
init_i64(struct ox_model *m, const char *name, int64_t n, const int64_t *vals)
{
	struct ox_value *v = ox_value_new(m->graph, name);
	struct ox_tensor *t = ox_tensor_new(&m->arena, OX_INT64, 1, &n);

	memcpy(t->data, vals, (size_t)n * sizeof *vals);
	ck_assert_int_eq(ox_graph_add_init(m->graph, v, t), 0);
	return v;
}

static struct ox_node *
node_in(struct ox_graph *g, const char *domain, const char *op, const char *name, int n_in, ...)
{
	struct ox_node *nd = ox_node_new(g, op, domain, n_in, 1);
	va_list ap;

	nd->name = name;
	va_start(ap, n_in);
	for (int i = 0; i < n_in; i++)
		ox_node_set_input(nd, i, va_arg(ap, struct ox_value *));
	va_end(ap);
	return nd;
}

static struct ox_target *
target(const char *name)
{
	struct ox_target *t = NULL;
	struct ox_diag d;
	int r;

	ox_diag_init(&d, NULL);
	r = ox_target_open(name, &t, &d);
	if (r < 0)
		ox_diag_print(&d, "check_audit");
	ox_diag_release(&d);
	ck_assert_int_eq(r, 0);
	ck_assert_ptr_nonnull(t);
	return t;
}

struct run {
	struct ox_target *t[4];
	size_t nt;
	struct ox_audit_model *am;
};

/* Audit m against the named targets (NULL-terminated); m is freed. */
static void
audit(struct run *r, struct ox_model *m, bool infer, ...)
{
	struct ox_audit_opts opts = { .infer = infer };
	const char *name;
	va_list ap;

	memset(r, 0, sizeof *r);
	va_start(ap, infer);
	while ((name = va_arg(ap, const char *)))
		r->t[r->nt++] = target(name);
	va_end(ap);
	ox_audit_prepare();
	ck_assert_int_eq(ox_audit_loaded(m, "test.onnx", r->t, r->nt, &opts, &r->am), 0);
	ox_model_free(m);
}

static void
done(struct run *r)
{
	ox_audit_model_free(r->am);
	for (size_t i = 0; i < r->nt; i++)
		ox_target_free(r->t[i]);
}

/* The check of the node called name on target t. */
static const struct ox_audit_check *
check_of(const struct run *r, const char *name, size_t t)
{
	for (size_t i = 0; i < r->am->n_nodes_audited; i++)
		if (!strcmp(r->am->nodes[i].name, name))
			return &r->am->nodes[i].checks[t];
	ck_abort_msg("no node %s", name);
	return NULL;
}

static const struct ox_audit_node *
node_of(const struct run *r, const char *name)
{
	for (size_t i = 0; i < r->am->n_nodes_audited; i++)
		if (!strcmp(r->am->nodes[i].name, name))
			return &r->am->nodes[i];
	ck_abort_msg("no node %s", name);
	return NULL;
}

START_TEST(gelu_20)
{
	struct ox_model *m = model(20);
	struct ox_node *n = node_in(m->graph, NULL, "Gelu", "g", 1, input(m, "x", OX_FLOAT));
	struct run r;

	ox_graph_add_output(m->graph, n->out[0]);
	audit(&r, m, true, "ort-cpu", "tensorrt", "opset:17", NULL);
	ck_assert_int_eq(node_of(&r, "g")->since_version, 20);
	ck_assert_str_eq(node_of(&r, "g")->inputs[0], "tensor(float)");
	ck_assert_int_eq(check_of(&r, "g", 0)->verdict, OX_VERDICT_SUPPORTED);
	ck_assert_int_eq(check_of(&r, "g", 1)->verdict, OX_VERDICT_SUPPORTED);
	/* Gelu does not exist before opset 20. */
	ck_assert_int_eq(check_of(&r, "g", 2)->verdict, OX_VERDICT_UNSUPPORTED);
	ck_assert_int_eq(check_of(&r, "g", 2)->rule, OX_RULE_UNSUPPORTED_OP);
	ck_assert_int_eq(r.am->summary[2].verdict, OX_VERDICT_UNSUPPORTED);
	done(&r);
}
END_TEST

/* ort-cpu has a Gelu-20 kernel for float only, but Gelu has an ONNX function body
 * and ONNX Runtime expands such ops when no kernel fits. */
START_TEST(gelu_20_float16_on_ort)
{
	struct ox_model *m = model(20);
	struct ox_node *n = node_in(m->graph, NULL, "Gelu", "g", 1, input(m, "x", OX_FLOAT16));
	const struct ox_audit_check *c;
	struct run r;

	ox_graph_add_output(m->graph, n->out[0]);
	audit(&r, m, true, "ort-cpu", "tensorrt", NULL);
	c = check_of(&r, "g", 0);
	ck_assert_int_eq(c->verdict, OX_VERDICT_SUPPORTED);
	ck_assert_uint_eq(c->n_notes, 1);
	ck_assert_ptr_nonnull(strstr(c->notes[0], "function body"));
	ck_assert_int_eq(check_of(&r, "g", 1)->verdict, OX_VERDICT_SUPPORTED);
	done(&r);
}
END_TEST

/* Max-13 has no int16 kernel in ort-cpu (ONNX Runtime fails to load
 * test_max_int16 of the backend suite) and no function body. */
START_TEST(max_int16_on_ort)
{
	struct ox_model *m = model(13);
	struct ox_value *a = input(m, "a", OX_INT16), *b = input(m, "b", OX_INT16);
	struct ox_node *n = node_in(m->graph, NULL, "Max", "max", 2, a, b);
	const struct ox_audit_check *c;
	struct run r;

	ox_graph_add_output(m->graph, n->out[0]);
	audit(&r, m, true, "ort-cpu", NULL);
	c = check_of(&r, "max", 0);
	ck_assert_int_eq(c->verdict, OX_VERDICT_UNSUPPORTED);
	ck_assert_int_eq(c->rule, OX_RULE_UNSUPPORTED_TYPE);
	ck_assert_ptr_nonnull(strstr(c->reason, "T=tensor(int16)"));
	done(&r);
}
END_TEST

START_TEST(swish_not_in_tensorrt)
{
	struct ox_model *m = model(24);
	struct ox_node *n = node_in(m->graph, NULL, "Swish", "s", 1, input(m, "x", OX_FLOAT));
	const struct ox_audit_check *c;
	struct run r;

	ox_graph_add_output(m->graph, n->out[0]);
	audit(&r, m, true, "tensorrt", NULL);
	c = check_of(&r, "s", 0);
	ck_assert_int_eq(c->verdict, OX_VERDICT_UNSUPPORTED);
	ck_assert_int_eq(c->rule, OX_RULE_UNSUPPORTED_OP);
	ck_assert_ptr_nonnull(strstr(c->reason, "Swish-24"));
	done(&r);
}
END_TEST

START_TEST(opset11_rejects_newer)
{
	struct ox_model *m = model(13);
	int64_t ax[] = { 1 };
	struct ox_value *x = input(m, "x", OX_FLOAT);
	struct ox_node *celu = node_in(m->graph, NULL, "Celu", "celu", 1, x);
	struct ox_node *rs = node_in(m->graph, NULL, "ReduceSum", "rs", 2, celu->out[0],
				     init_i64(m, "axes", 1, ax));
	struct ox_node *add = node_in(m->graph, NULL, "Add", "add", 2, rs->out[0], rs->out[0]);
	const struct ox_audit_check *c;
	struct run r;

	ox_graph_add_output(m->graph, add->out[0]);
	audit(&r, m, true, "opset:11", "opset:13", NULL);
	/* Celu appears in opset 12. */
	c = check_of(&r, "celu", 0);
	ck_assert_int_eq(c->verdict, OX_VERDICT_UNSUPPORTED);
	ck_assert_int_eq(c->rule, OX_RULE_UNSUPPORTED_OP);
	/* ReduceSum-13 (axes as an input) is newer than opset 11's ReduceSum-11. */
	c = check_of(&r, "rs", 0);
	ck_assert_int_eq(node_of(&r, "rs")->since_version, 13);
	ck_assert_int_eq(c->rule, OX_RULE_UNSUPPORTED_VERSION);
	ck_assert_ptr_nonnull(c->suggestion);
	ck_assert_ptr_nonnull(strstr(c->suggestion, "convert to opset 11"));
	/* Add-13 too (opset 11 has Add-7). */
	ck_assert_int_eq(check_of(&r, "add", 0)->verdict, OX_VERDICT_UNSUPPORTED);
	ck_assert_int_eq(r.am->summary[1].verdict, OX_VERDICT_SUPPORTED);
	ck_assert_uint_eq(r.am->summary[1].supported, 3);
	done(&r);
}
END_TEST

static struct ox_model *
reduce_model(bool const_axes)
{
	struct ox_model *m = model(13);
	int64_t ax[] = { 1 };
	struct ox_value *axes;
	struct ox_node *n;

	if (const_axes) {
		axes = init_i64(m, "axes", 1, ax);
	} else {
		axes = ox_value_new(m->graph, "axes");
		axes->type = ttype(m, OX_INT64, 1);
		axes->has_info = true;
		ox_graph_add_input(m->graph, axes);
	}
	n = node_in(m->graph, NULL, "ReduceSum", "rs", 2, input(m, "x", OX_FLOAT), axes);
	ox_graph_add_output(m->graph, n->out[0]);
	return m;
}

START_TEST(non_constant_axes_partial)
{
	const struct ox_audit_check *c;
	struct run r;

	audit(&r, reduce_model(false), true, "tensorrt", "ort-cpu", NULL);
	c = check_of(&r, "rs", 0);
	ck_assert_int_eq(c->verdict, OX_VERDICT_PARTIAL);
	ck_assert_int_eq(c->rule, OX_RULE_RESTRICTION);
	ck_assert_ptr_nonnull(strstr(c->reason, "axes must be an initializer"));
	ck_assert_int_eq(r.am->summary[0].verdict, OX_VERDICT_PARTIAL);
	/* ort-cpu has no such restriction. */
	ck_assert_int_eq(check_of(&r, "rs", 1)->verdict, OX_VERDICT_SUPPORTED);
	done(&r);

	audit(&r, reduce_model(true), true, "tensorrt", NULL);
	ck_assert_int_eq(check_of(&r, "rs", 0)->verdict, OX_VERDICT_SUPPORTED);
	done(&r);
}
END_TEST

START_TEST(custom_domain)
{
	struct ox_model *m = model(17);
	struct ox_node *n;
	const struct ox_audit_node *an;
	struct run r;

	import(m, "com.example", 1);
	n = node_in(m->graph, "com.example", "Frobnicate", "f", 1, input(m, "x", OX_FLOAT));
	ox_graph_add_output(m->graph, n->out[0]);
	audit(&r, m, true, "ort-cpu", NULL);
	an = node_of(&r, "f");
	ck_assert(an->custom);
	ck_assert_str_eq(an->domain, "com.example");
	ck_assert_int_eq(an->checks[0].verdict, OX_VERDICT_UNSUPPORTED);
	ck_assert_int_eq(an->checks[0].rule, OX_RULE_CUSTOM_OP);
	ck_assert(r.am->optypes[0].custom);
	done(&r);
}
END_TEST

START_TEST(subgraph_nodes)
{
	struct ox_model *m = model(20);
	struct ox_value *x = input(m, "x", OX_FLOAT), *cond = input(m, "c", OX_BOOL);
	struct ox_node *iff = node_in(m->graph, NULL, "If", "if", 1, cond);
	const char *names[2] = { "then_branch", "else_branch" };
	struct run r;

	iff->attrs = ox_arena_calloc(&m->arena, 2, sizeof *iff->attrs);
	iff->n_attrs = 2;
	for (int b = 0; b < 2; b++) {
		struct ox_graph *g = ox_graph_new(m, m->graph);
		struct ox_node *n = node_in(g, NULL, b ? "Relu" : "Gelu", b ? "relu" : "gelu", 1, x);

		g->owner = iff;
		ox_graph_add_output(g, n->out[0]);
		iff->attrs[b].name = names[b];
		iff->attrs[b].has_type = true;
		iff->attrs[b].type = OX_ATTR_GRAPH;
		iff->attrs[b].g = g;
	}
	ox_graph_add_output(m->graph, iff->out[0]);
	audit(&r, m, false, "opset:17", NULL);
	ck_assert_uint_eq(r.am->n_nodes_audited, 3);
	ck_assert_ptr_nonnull(strstr(node_of(&r, "gelu")->graph, "then_branch"));
	/* The Gelu inside the If is what makes the model fail on opset 17. */
	ck_assert_int_eq(check_of(&r, "gelu", 0)->verdict, OX_VERDICT_UNSUPPORTED);
	ck_assert_int_eq(check_of(&r, "relu", 0)->verdict, OX_VERDICT_SUPPORTED);
	ck_assert_int_eq(r.am->summary[0].verdict, OX_VERDICT_UNSUPPORTED);
	done(&r);
}
END_TEST

/* A call of a model-local function is as good as the function's body: HardSwish
 * appears in opset 14. */
START_TEST(local_function)
{
	struct ox_model *m = model(17);
	struct ox_function *f = ox_arena_alloc(&m->arena, sizeof *f);
	struct ox_graph *body = ox_graph_new(m, NULL);
	struct ox_value *fx = ox_value_new(body, "fx");
	struct ox_node *hs, *call;
	struct run r;

	ox_graph_add_input(body, fx);
	hs = node_in(body, NULL, "HardSwish", "hs", 1, fx);
	ox_graph_add_output(body, hs->out[0]);
	import(m, "local", 1);
	f->name = "Act";
	f->domain = "local";
	f->body = body;
	f->opsets = m->opsets;
	f->n_opsets = m->n_opsets;
	m->functions = ox_arena_alloc(&m->arena, sizeof *m->functions);
	m->functions[0] = f;
	m->n_functions = 1;
	call = node_in(m->graph, "local", "Act", "call", 1, input(m, "x", OX_FLOAT));
	ox_graph_add_output(m->graph, call->out[0]);
	audit(&r, m, false, "opset:13", "opset:17", NULL);
	ck_assert(node_of(&r, "hs")->in_function);
	ck_assert_int_eq(node_of(&r, "hs")->since_version, 14);
	ck_assert_int_eq(check_of(&r, "call", 0)->verdict, OX_VERDICT_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(check_of(&r, "call", 0)->reason, "HardSwish"));
	ck_assert_int_eq(check_of(&r, "call", 1)->verdict, OX_VERDICT_SUPPORTED);
	/* Only the call counts in the summary, not the body's node. */
	ck_assert_uint_eq(r.am->summary[0].unsupported, 1);
	ck_assert_uint_eq(r.am->summary[0].supported, 0);
	done(&r);
}
END_TEST

START_TEST(unknown_type_is_unverified)
{
	struct ox_model *m = model(20);
	struct ox_node *n = node_in(m->graph, NULL, "Gelu", "g", 1, input(m, "x", 0));
	const struct ox_audit_check *c;
	struct run r;

	ox_graph_add_output(m->graph, n->out[0]);
	audit(&r, m, false, "ort-cpu", NULL);
	c = check_of(&r, "g", 0);
	ck_assert_int_eq(c->verdict, OX_VERDICT_SUPPORTED);
	ck_assert(c->unverified);
	ck_assert_str_eq(node_of(&r, "g")->inputs[0], "?");
	done(&r);
}
END_TEST

START_TEST(json_and_sarif_structure)
{
	struct ox_audit_model *ms[1];
	json_t *j, *mj, *f, *s, *res;
	struct run r;
	size_t i;
	bool found = false;

	audit(&r, reduce_model(false), true, "tensorrt", NULL);
	ms[0] = r.am;
	j = ox_audit_json(ms, 1, r.t, r.nt);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "schema_version")), 1);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "targets")), 1);
	mj = json_array_get(json_object_get(j, "models"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(mj, "status")), "ok");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(mj, "opsets"),
							    "ai.onnx")), 13);
	ck_assert_int_eq(json_integer_value(json_object_get(mj, "parameters")), 0);
	ck_assert(json_is_array(json_object_get(mj, "op_types")));
	ck_assert(json_is_array(json_object_get(mj, "node_list")));
	json_array_foreach(json_object_get(mj, "findings"), i, f) {
		ck_assert_str_eq(json_string_value(json_object_get(f, "target")), "tensorrt");
		ck_assert_str_eq(json_string_value(json_object_get(f, "verdict")), "partial");
		ck_assert_str_eq(json_string_value(json_object_get(f, "rule")), "restriction");
		ck_assert_int_eq(json_integer_value(json_object_get(f, "since_version")), 13);
		found = true;
	}
	ck_assert(found);
	s = json_object_get(json_object_get(mj, "summary"), "tensorrt");
	ck_assert_str_eq(json_string_value(json_object_get(s, "verdict")), "partial");
	ck_assert_int_eq(json_integer_value(json_object_get(s, "partial")), 1);
	s = json_object_get(json_object_get(j, "summary"), "tensorrt");
	ck_assert_int_eq(json_integer_value(json_object_get(s, "models_partial")), 1);
	json_decref(j);

	j = ox_audit_sarif(ms, 1, r.t, r.nt);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "version")), "2.1.0");
	res = json_object_get(json_array_get(json_object_get(j, "runs"), 0), "results");
	ck_assert_uint_eq(json_array_size(res), 1);
	f = json_array_get(res, 0);
	ck_assert_str_eq(json_string_value(json_object_get(f, "ruleId")), "restriction");
	ck_assert_str_eq(json_string_value(json_object_get(f, "level")), "warning");
	f = json_array_get(json_object_get(json_array_get(json_object_get(f, "locations"), 0),
					   "logicalLocations"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(f, "name")), "rs");
	json_decref(j);
	done(&r);
}
END_TEST

/* x -> Relu r [-> ImageDecoder g] -> output, at opset 20. */
static struct ox_model *
relu_gelu(bool gelu)
{
	struct ox_model *m = model(20);
	struct ox_node *n = node_in(m->graph, NULL, "Relu", "r", 1, input(m, "x", OX_FLOAT));

	if (gelu)
		n = node_in(m->graph, NULL, "ImageDecoder", "g", 1, n->out[0]);
	ox_graph_add_output(m->graph, n->out[0]);
	return m;
}

/* The onnx-opt profile says what the executor does: the model it calls supported
 * runs, the one it calls unsupported fails to run for want of a kernel. The
 * executor has a Relu kernel and none for ImageDecoder (opset 20). */
START_TEST(onnx_opt_profile_matches_executor)
{
	for (int gelu = 0; gelu < 2; gelu++) {
		struct ox_model *m = relu_gelu(gelu);
		int64_t dims[2] = { 2, 2 };
		struct ox_tensor *in = ox_xtensor_new(OX_FLOAT, 2, dims), *out[1] = { NULL };
		struct ox_diag d;
		struct run r;
		int rc;

		ck_assert_ptr_nonnull(in);
		ox_diag_init(&d, "test.onnx");
		rc = ox_exec_run(m, &in, 1, out, &d);
		ox_xtensor_free(in);
		ox_xtensor_free(out[0]);
		if (gelu) {
			ck_assert_int_eq(rc, OX_EUNSUPPORTED);
			ck_assert_ptr_nonnull(strstr(d.entries[0].message, "no kernel for ImageDecoder"));
		} else {
			ck_assert_int_eq(rc, 0);
		}
		ox_diag_release(&d);
		ox_model_free(m);

		audit(&r, relu_gelu(gelu), true, "onnx-opt", NULL);
		ck_assert_str_eq(r.t[0]->name, "onnx-opt");
		ck_assert_int_eq(check_of(&r, "r", 0)->verdict, OX_VERDICT_SUPPORTED);
		if (gelu) {
			ck_assert_int_eq(check_of(&r, "g", 0)->verdict, OX_VERDICT_UNSUPPORTED);
			ck_assert_int_eq(r.am->summary[0].verdict, OX_VERDICT_UNSUPPORTED);
		} else {
			ck_assert_int_eq(r.am->summary[0].verdict, OX_VERDICT_SUPPORTED);
		}
		done(&r);
	}
	ck_assert(ox_exec_has_kernel("", "Relu", 14));
	ck_assert(ox_exec_has_kernel("ai.onnx", "Relu", 1));
	ck_assert(!ox_exec_has_kernel(NULL, "ImageDecoder", 20));
	ck_assert(!ox_exec_has_kernel("com.example", "Relu", 1));
	/* The registry lacks the training ops; the executor has them, so the profile too. */
	{
		struct ox_target *t = target("onnx-opt");
		size_t n;
		const struct ox_target_op *op = ox_target_find(t, "ai.onnx.preview.training",
							       "Adagrad", &n);

		ck_assert(ox_exec_has_kernel("ai.onnx.preview.training", "Adagrad", 1));
		ck_assert_ptr_nonnull(op);
		ck_assert(op->supported);
		ox_target_free(t);
	}
}
END_TEST

START_TEST(bad_profiles)
{
	static const char *bad =
		"{\"schema_version\": 1, \"name\": \"x\", \"runtime\": \"r\", "
		"\"runtime_version\": \"1\", \"ops\": [{\"domain\": \"ai.onnx\", \"op\": \"Relu\", "
		"\"supported\": true, \"versions\": [[14, 6]], \"restrictions\": "
		"[{\"kind\": \"const_input\", \"inptu\": 1, \"text\": \"t\"}]}]}";
	static const char *good =
		"{\"schema_version\": 1, \"name\": \"acme\", \"runtime\": \"r\", "
		"\"runtime_version\": \"1\", \"x-mine\": 3, \"ops\": [{\"domain\": \"ai.onnx\", "
		"\"op\": \"Relu\", \"supported\": true, \"versions\": [[6, 13], [14, null]]}]}";
	struct ox_target *t = NULL;
	struct ox_diag d;
	bool order = false, key = false;
	size_t n;

	ox_diag_init(&d, NULL);
	ck_assert_int_eq(ox_target_parse(bad, strlen(bad), "bad.json", &t, &d), OX_EINVAL);
	ck_assert_ptr_null(t);
	for (size_t i = 0; i < d.n; i++) {
		order = order || strstr(d.entries[i].message, "out of order");
		key = key || strstr(d.entries[i].message, "unknown key 'inptu'");
	}
	ck_assert(order && key);
	ck_assert_int_eq(ox_target_parse("{", 1, "trunc.json", &t, &d), OX_EINVAL);
	ck_assert_int_eq(ox_target_parse(good, strlen(good), "good.json", &t, &d), 0);
	ck_assert_ptr_nonnull(ox_target_find(t, "", "Relu", &n));
	ck_assert_uint_eq(t->ops[0].n_versions, 2);
	ck_assert_int_eq(t->ops[0].versions[1].hi, OX_RANGE_OPEN);
	ox_target_free(t);
	ck_assert_int_eq(ox_target_open("no-such-runtime", &t, &d), OX_EUSAGE);
	ck_assert_int_eq(ox_target_open("opset:0", &t, &d), OX_EUSAGE);
	ox_diag_release(&d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");
	SRunner *sr;
	const char *srcdir = getenv("srcdir");
	char dir[4096];
	int failed;

	/* The profiles of this source tree, not an installed copy. */
	snprintf(dir, sizeof dir, "%s/targets", srcdir ? srcdir : ".");
	setenv("ONNX_OPT_TARGETS", dir, 1);
	tcase_add_test(tc, gelu_20);
	tcase_add_test(tc, gelu_20_float16_on_ort);
	tcase_add_test(tc, max_int16_on_ort);
	tcase_add_test(tc, swish_not_in_tensorrt);
	tcase_add_test(tc, opset11_rejects_newer);
	tcase_add_test(tc, non_constant_axes_partial);
	tcase_add_test(tc, custom_domain);
	tcase_add_test(tc, subgraph_nodes);
	tcase_add_test(tc, local_function);
	tcase_add_test(tc, unknown_type_is_unverified);
	tcase_add_test(tc, json_and_sarif_structure);
	tcase_add_test(tc, bad_profiles);
	tcase_add_test(tc, onnx_opt_profile_matches_executor);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

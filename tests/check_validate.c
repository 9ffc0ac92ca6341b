/* check_validate.c: validate.h reports exactly the code each broken model breaks.
 *
 * Every tests/invalid/CODE--WHAT.onnx (written by tools/make_invalid_models.py) breaks
 * one rule: its file name starts with the code name it must produce, and no other
 * error may appear. Models that onnx.checker accepts (the repo's examples and test
 * models) must be valid, with and without --full. Hand-built IR models pin rules that
 * the loader lets through. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/graph.h"
#include "../src/validate.h"

static const char *
srcdir(void)
{
	return getenv("srcdir") ? getenv("srcdir") : ".";
}

/* The code called name, or 0. */
static int
code_named(const char *name, size_t len)
{
	for (int c = 1; c < 100; c++) {
		const char *n = ox_validate_code_name(c);

		if (n && strlen(n) == len && !strncmp(n, name, len))
			return c;
	}
	return 0;
}

static bool
has_code(const struct ox_vreport *r, int code)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->issues[i].code == code)
			return true;
	return false;
}

static void
dump(const struct ox_vreport *r)
{
	char id[16];

	for (size_t i = 0; i < r->n; i++)
		fprintf(stderr, "  %s %s: %s\n", ox_validate_code_id(r->issues[i].code, id, sizeof id),
			ox_validate_code_name(r->issues[i].code), r->issues[i].message);
}

START_TEST(test_invalid_models)
{
	char dir[4096], path[8192];
	DIR *dp;
	struct dirent *e;
	int n = 0;

	ox_validate_prepare();
	snprintf(dir, sizeof dir, "%s/tests/invalid", srcdir());
	dp = opendir(dir);
	ck_assert_msg(dp != NULL, "cannot open %s", dir);
	while ((e = readdir(dp))) {
		const char *sep = strstr(e->d_name, "--");
		struct ox_vreport r;
		char want_name[128];
		int want;

		if (!sep || !strstr(e->d_name, ".onnx"))
			continue;
		snprintf(want_name, sizeof want_name, "%.*s", (int)(sep - e->d_name), e->d_name);
		want = code_named(want_name, strlen(want_name));
		ck_assert_msg(want != 0, "%s: no code called '%s'", e->d_name, want_name);
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		ox_vreport_init(&r, path);
		ck_assert_int_ge(ox_validate_file(path, OX_VALIDATE_FULL, &r), 0);
		if (!has_code(&r, want) || r.status == OX_VALID)
			dump(&r);
		ck_assert_msg(r.status != OX_VALID, "%s: reported valid", e->d_name);
		ck_assert_msg(has_code(&r, want), "%s: %s not reported", e->d_name, want_name);
		/* One rule broken, one error reported. */
		for (size_t i = 0; i < r.n; i++)
			if (r.issues[i].severity == OX_ERROR && r.issues[i].code != want) {
				dump(&r);
				ck_abort_msg("%s: also reports %s", e->d_name, ox_validate_code_name(r.issues[i].code));
			}
		ox_vreport_release(&r);
		n++;
	}
	closedir(dp);
	ck_assert_int_ge(n, 40);
}
END_TEST

static void
expect_valid(const char *sub)
{
	char dir[4096], path[8192];
	DIR *dp;
	struct dirent *e;

	ox_validate_prepare();
	snprintf(dir, sizeof dir, "%s/%s", srcdir(), sub);
	dp = opendir(dir);
	ck_assert_msg(dp != NULL, "cannot open %s", dir);
	while ((e = readdir(dp))) {
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 5, ".onnx"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		for (unsigned flags = 0; flags <= OX_VALIDATE_FULL; flags += OX_VALIDATE_FULL) {
			struct ox_vreport r;

			ox_vreport_init(&r, path);
			ck_assert_int_ge(ox_validate_file(path, flags, &r), 0);
			if (r.status != OX_VALID)
				dump(&r);
			ck_assert_msg(r.status == OX_VALID, "%s (flags %u) is not valid", path, flags);
			ox_vreport_release(&r);
		}
	}
	closedir(dp);
}

START_TEST(test_examples_valid)
{
	expect_valid("examples");
	expect_valid("tests/models");
}
END_TEST

START_TEST(test_unreadable)
{
	char path[4096];
	struct ox_vreport r;

	snprintf(path, sizeof path, "%s/tests/invalid/no-such-file.onnx", srcdir());
	ox_vreport_init(&r, path);
	ox_validate_file(path, 0, &r);
	ck_assert_int_eq(r.status, OX_UNREADABLE);
	ck_assert(has_code(&r, OX_V_UNREADABLE));
	ox_vreport_release(&r);

	/* Any file that is not a protobuf: this source file. */
	snprintf(path, sizeof path, "%s/tests/check_validate.c", srcdir());
	ox_vreport_init(&r, path);
	ox_validate_file(path, 0, &r);
	ck_assert_int_eq(r.status, OX_UNREADABLE);
	ox_vreport_release(&r);
}
END_TEST

/* x -> Relu -> y, built in the IR: a valid model to break by hand. */
static struct ox_model *
tiny(struct ox_node **relu)
{
	struct ox_model *m = ox_model_new();
	struct ox_graph *g;
	struct ox_value *x;
	struct ox_type *t;

	ck_assert_ptr_nonnull(m);
	m->has_ir_version = true;
	m->ir_version = 8;
	m->opsets = ox_arena_calloc(&m->arena, 2, sizeof *m->opsets);
	m->opsets[0] = (struct ox_opset){ "", true, 15 };
	m->n_opsets = m->cap_opsets = 1;
	g = m->graph = ox_graph_new(m, NULL);
	g->name = "g";
	t = ox_arena_calloc(&m->arena, 1, sizeof *t);
	t->kind = OX_TYPE_TENSOR;
	t->has_elem = true;
	t->elem = OX_FLOAT;
	t->rank = 0;
	x = ox_value_new(g, "x");
	x->type = t;
	x->has_info = true;
	ck_assert_int_eq(ox_graph_add_input(g, x), 0);
	*relu = ox_node_new(g, "Relu", "", 1, 1);
	ck_assert_int_eq(ox_node_set_input(*relu, 0, x), 0);
	(*relu)->name = "r";
	(*relu)->out[0]->type = t;
	(*relu)->out[0]->has_info = true;
	ck_assert_int_eq(ox_graph_add_output(g, (*relu)->out[0]), 0);
	return m;
}

static struct ox_vreport
run(struct ox_model *m, unsigned flags)
{
	struct ox_vreport r;

	ox_vreport_init(&r, "tiny");
	ck_assert_int_ge(ox_validate_model(m, flags, &r), 0);
	return r;
}

START_TEST(test_ir_valid_and_every_problem)
{
	struct ox_node *relu;
	struct ox_model *m = tiny(&relu);
	struct ox_vreport r = run(m, OX_VALIDATE_FULL);

	if (r.n)
		dump(&r);
	ck_assert_int_eq(r.status, OX_VALID);
	ck_assert_uint_eq(r.n, 0);
	ox_vreport_release(&r);

	/* Two problems at once: both are listed, each with its node. */
	relu->attrs = ox_arena_calloc(&m->arena, 1, sizeof *relu->attrs);
	relu->attrs[0] = (struct ox_attr){ .name = "alpha", .has_type = true, .type = OX_ATTR_FLOAT, .has_f = true };
	relu->n_attrs = 1;
	ox_node_add_input(relu, relu->in[0]);
	r = run(m, 0);
	ck_assert_int_eq(r.status, OX_INVALID);
	ck_assert_uint_eq(r.n_errors, 2);
	ck_assert(has_code(&r, OX_V_UNKNOWN_ATTRIBUTE));
	ck_assert(has_code(&r, OX_V_INPUT_COUNT));
	ck_assert_str_eq(r.issues[0].node, "r");
	ck_assert_str_eq(r.issues[0].op, "Relu");
	ox_vreport_release(&r);
	ox_model_free(m);
}
END_TEST

START_TEST(test_warnings_do_not_invalidate)
{
	struct ox_node *relu;
	struct ox_model *m = tiny(&relu);
	struct ox_vreport r;

	/* IR 3 with opset 15 (which came with IR 8) is a warning; the checker takes it. */
	m->ir_version = 3;
	r = run(m, 0);
	ck_assert_int_eq(r.status, OX_VALID);
	ck_assert(has_code(&r, OX_V_IR_OPSET_MISMATCH));
	ck_assert_uint_eq(r.n_warnings, 1);
	ox_vreport_release(&r);
	ox_model_free(m);
}
END_TEST

START_TEST(test_code_table)
{
	char id[16];

	ck_assert_str_eq(ox_validate_code_id(OX_V_UNKNOWN_ATTRIBUTE, id, sizeof id), "OX-V037");
	ck_assert_str_eq(ox_validate_code_name(OX_V_UNKNOWN_ATTRIBUTE), "unknown-attribute");
	ck_assert_ptr_null(ox_validate_code_name(99));
	ck_assert_int_eq(ox_validate_code_severity(OX_V_DUPLICATE_NODE_NAME), OX_WARNING);
}
END_TEST

/* docs/validate.md lists every code with its name. */
START_TEST(test_docs_list_every_code)
{
	char path[4096], id[16], want[160];
	FILE *f;
	char *text;
	long len;

	snprintf(path, sizeof path, "%s/docs/validate.md", srcdir());
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc((size_t)len + 1, 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	for (int c = 1; c < 100; c++) {
		const char *n = ox_validate_code_name(c);

		if (!n)
			continue;
		snprintf(want, sizeof want, "%s | `%s`", ox_validate_code_id(c, id, sizeof id), n);
		ck_assert_msg(strstr(text, want) != NULL, "docs/validate.md lacks '%s'", want);
	}
	free(text);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("validate");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_invalid_models);
	tcase_add_test(tc, test_examples_valid);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_ir_valid_and_every_problem);
	tcase_add_test(tc, test_warnings_do_not_invalidate);
	tcase_add_test(tc, test_code_table);
	tcase_add_test(tc, test_docs_list_every_code);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* check_equiv.c: equiv.h on hand-made tensors whose errors are worked out by hand
 * (powers of two, so every expected number is exact), and on the models of
 * tests/models/check (tools/make_check_models.py): a model equals itself with zero
 * error, a copy with one weight scaled by 1.001 does not, and --localize's search
 * names the node that was changed. */
#include "config.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/equiv.h"
#include "../src/exec.h"
#include "../src/onnx_io.h"

static struct ox_tensor *
tensor(int dtype, int n, const void *data)
{
	int64_t dims[1] = { n };
	struct ox_tensor *t = ox_xtensor_new(dtype, 1, dims);

	ck_assert_ptr_nonnull(t);
	memcpy(t->data, data, t->nbytes);
	return t;
}

static void
compare(const struct ox_tensor *a, const struct ox_tensor *b, const struct ox_equiv_opts *o,
	struct ox_equiv_stats *s)
{
	ck_assert_int_eq(ox_equiv_compare(a, b, o, s, NULL), 0);
}

START_TEST(test_float32_measures)
{
	/* 2 + 2^-10 against 2: abs 2^-10, rel 2^-11, 2^12 ULPs (a ULP is 2^-22 in [2, 4)).
	 * 2^-17 against 0: within atol, no relative error, and as many ULPs as 2^-17's
	 * bit pattern counts: (127 - 17) << 23. */
	float va[] = { 1.0f, 2.0f, 0.0f, -4.0f }, vb[] = { 1.0f, 2.0009765625f, 0x1p-17f, -4.0f };
	struct ox_tensor *a = tensor(OX_FLOAT, 4, va), *b = tensor(OX_FLOAT, 4, vb);
	struct ox_equiv_opts o;
	struct ox_equiv_stats s;

	ox_equiv_opts_init(&o);
	compare(a, b, &o, &s);
	ck_assert(s.dtype_ok && s.shape_ok);
	ck_assert_int_eq(s.count, 4);
	ck_assert(s.max_abs == 0x1p-10);
	ck_assert(s.max_rel == 0x1p-11);
	ck_assert_uint_eq(s.max_ulp, (uint64_t)110 << 23);
	ck_assert(s.max_ref == 4.0);
	ck_assert_int_eq(s.mismatches, 1);
	ck_assert_int_eq(s.first_bad, 1);
	ck_assert(!s.pass);
	/* 4096 ULPs allowed: element 1 passes on ULPs alone. */
	o.max_ulp = 4096;
	compare(a, b, &o, &s);
	ck_assert_int_eq(s.mismatches, 0);
	ck_assert(s.pass);
	o.max_ulp = 4095;
	compare(a, b, &o, &s);
	ck_assert_int_eq(s.mismatches, 1);
	/* rtol 2^-11 exactly admits element 1 (the bound is inclusive). */
	ox_equiv_opts_init(&o);
	o.rtol = 0x1p-11;
	compare(a, b, &o, &s);
	ck_assert(s.pass);
	/* Against itself: zero everywhere. */
	compare(a, a, &o, &s);
	ck_assert(s.pass && s.max_abs == 0 && s.max_rel == 0 && s.max_ulp == 0 && s.first_bad == -1);
	ox_xtensor_free(a);
	ox_xtensor_free(b);
}
END_TEST

START_TEST(test_ulp_across_zero)
{
	/* -0 and +0 are one value; the two smallest subnormals are 2 apart, through 0. */
	float va[] = { -0.0f, -0x1p-149f }, vb[] = { 0.0f, 0x1p-149f };
	struct ox_tensor *a = tensor(OX_FLOAT, 2, va), *b = tensor(OX_FLOAT, 2, vb);
	struct ox_equiv_opts o;
	struct ox_equiv_stats s;

	ox_equiv_opts_init(&o);
	o.atol = 0;
	o.rtol = 0;
	compare(a, b, &o, &s);
	ck_assert_uint_eq(s.max_ulp, 2);
	ck_assert_int_eq(s.mismatches, 1);
	ck_assert_int_eq(s.first_bad, 1);
	o.max_ulp = 2;
	compare(a, b, &o, &s);
	ck_assert(s.pass);
	ox_xtensor_free(a);
	ox_xtensor_free(b);
}
END_TEST

START_TEST(test_nan_inf)
{
	float va[] = { NAN, INFINITY, -INFINITY, 1.0f, NAN, -INFINITY };
	float vb[] = { NAN, INFINITY, INFINITY, NAN, 1.0f, -INFINITY };
	struct ox_tensor *a = tensor(OX_FLOAT, 6, va), *b = tensor(OX_FLOAT, 6, vb);
	struct ox_equiv_opts o;
	struct ox_equiv_stats s;

	ox_equiv_opts_init(&o);
	o.atol = 1e30; /* no tolerance excuses a NaN or an infinity */
	o.max_ulp = INT64_MAX;
	compare(a, b, &o, &s);
	ck_assert_int_eq(s.nan_diff, 2);
	ck_assert_int_eq(s.inf_diff, 1);
	ck_assert_int_eq(s.mismatches, 3);
	ck_assert_int_eq(s.first_bad, 2);
	ck_assert(s.max_abs == 0 && s.max_ulp == 0);
	ck_assert(!s.pass);
	compare(a, a, &o, &s); /* NaN equals NaN, infinities themselves */
	ck_assert(s.pass);
	ox_xtensor_free(a);
	ox_xtensor_free(b);
}
END_TEST

START_TEST(test_half_double)
{
	uint16_t ha[] = { 0x3C00 }, hb[] = { 0x3C01 };   /* float16 1 and 1 + 2^-10 */
	uint16_t ba[] = { 0x3F80 }, bb[] = { 0x3F82 };   /* bfloat16 1 and 1 + 2^-6 */
	double da[] = { 1.0 }, db[] = { 0 };
	struct ox_tensor *a, *b;
	struct ox_equiv_opts o;
	struct ox_equiv_stats s;

	ox_equiv_opts_init(&o);
	a = tensor(OX_FLOAT16, 1, ha);
	b = tensor(OX_FLOAT16, 1, hb);
	compare(a, b, &o, &s);
	ck_assert_uint_eq(s.max_ulp, 1);
	ck_assert(s.max_abs == 0x1p-10);
	ck_assert_int_eq(s.mismatches, 1);
	ox_xtensor_free(a);
	ox_xtensor_free(b);
	a = tensor(OX_BFLOAT16, 1, ba);
	b = tensor(OX_BFLOAT16, 1, bb);
	compare(a, b, &o, &s);
	ck_assert_uint_eq(s.max_ulp, 2);
	ck_assert(s.max_abs == 0x1p-6);
	ox_xtensor_free(a);
	ox_xtensor_free(b);
	db[0] = nextafter(1.0, 2.0);
	a = tensor(OX_DOUBLE, 1, da);
	b = tensor(OX_DOUBLE, 1, db);
	compare(a, b, &o, &s);
	ck_assert_uint_eq(s.max_ulp, 1);
	ck_assert(s.max_abs == 0x1p-52);
	ck_assert(s.pass);
	/* The two ends of the doubles: a distance beyond INT64_MAX, computed unsigned. */
	da[0] = -DBL_MAX;
	db[0] = DBL_MAX;
	memcpy(a->data, da, 8);
	memcpy(b->data, db, 8);
	compare(a, b, &o, &s);
	ck_assert_uint_eq(s.max_ulp, 2 * (uint64_t)0x7FEFFFFFFFFFFFFFull);
	ox_xtensor_free(a);
	ox_xtensor_free(b);
}
END_TEST

START_TEST(test_exact_types)
{
	int64_t ia[] = { 1, 5, 7 }, ib[] = { 1, 6, 7 };
	uint8_t ba[] = { 0, 1 }, bb[] = { 1, 1 };
	int64_t dims[1] = { 2 };
	struct ox_tensor *a = tensor(OX_INT64, 3, ia), *b = tensor(OX_INT64, 3, ib);
	struct ox_equiv_opts o;
	struct ox_equiv_stats s;

	ox_equiv_opts_init(&o);
	o.atol = 10; /* tolerances are for floats only */
	o.max_ulp = 10;
	compare(a, b, &o, &s);
	ck_assert_int_eq(s.mismatches, 1);
	ck_assert_int_eq(s.first_bad, 1);
	ck_assert(s.max_abs == 1.0);
	ck_assert(!s.pass);
	ox_xtensor_free(a);
	ox_xtensor_free(b);
	a = tensor(OX_BOOL, 2, ba);
	b = tensor(OX_BOOL, 2, bb);
	compare(a, b, &o, &s);
	ck_assert_int_eq(s.mismatches, 1);
	ox_xtensor_free(a);
	ox_xtensor_free(b);
	a = ox_xtensor_new(OX_STRING, 1, dims);
	b = ox_xtensor_new(OX_STRING, 1, dims);
	ck_assert(!ox_xtensor_set_string(a, 0, "ab", 2) && !ox_xtensor_set_string(a, 1, "c", 1));
	ck_assert(!ox_xtensor_set_string(b, 0, "ab", 2) && !ox_xtensor_set_string(b, 1, "cd", 2));
	compare(a, b, &o, &s);
	ck_assert_int_eq(s.mismatches, 1);
	ck_assert_int_eq(s.first_bad, 1);
	compare(a, a, &o, &s);
	ck_assert(s.pass);
	ox_xtensor_free(a);
	ox_xtensor_free(b);
}
END_TEST

START_TEST(test_shape_dtype_mismatch)
{
	float v[4] = { 0 };
	int64_t d22[2] = { 2, 2 };
	struct ox_tensor *a = tensor(OX_FLOAT, 4, v), *b = ox_xtensor_new(OX_FLOAT, 2, d22);
	struct ox_tensor *c = tensor(OX_INT32, 4, v);
	struct ox_equiv_opts o;
	struct ox_equiv_stats s;

	ox_equiv_opts_init(&o);
	compare(a, b, &o, &s);
	ck_assert(!s.shape_ok && s.dtype_ok && !s.pass);
	compare(a, c, &o, &s);
	ck_assert(!s.dtype_ok && !s.pass);
	ox_xtensor_free(a);
	ox_xtensor_free(b);
	ox_xtensor_free(c);
}
END_TEST

START_TEST(test_atol_dominates)
{
	float va[] = { 3e-9f }, vb[] = { 6e-9f };
	struct ox_tensor *a = tensor(OX_FLOAT, 1, va), *b = tensor(OX_FLOAT, 1, vb);
	struct ox_equiv_opts o;
	struct ox_equiv_stats s;

	ox_equiv_opts_init(&o);
	compare(a, b, &o, &s);
	ck_assert(s.pass); /* a 100% error, under atol */
	ck_assert(ox_equiv_atol_dominates(&s, &o));
	o.atol = 0;
	compare(a, b, &o, &s);
	ck_assert(!s.pass && !ox_equiv_atol_dominates(&s, &o));
	ox_xtensor_free(a);
	ox_xtensor_free(b);
}
END_TEST

static struct ox_model *
load(const char *name)
{
	char path[4096];
	struct ox_model *m = NULL;
	struct ox_diag d;

	snprintf(path, sizeof path, "%s/tests/models/check/%s",
		 getenv("srcdir") ? getenv("srcdir") : ".", name);
	ox_diag_init(&d, path);
	ck_assert_msg(ox_model_load(path, &m, &d) == 0, "cannot load %s", path);
	ox_diag_release(&d);
	return m;
}

static void
run_models(const char *na, const char *nb, bool localize, struct ox_equiv_report *r)
{
	struct ox_model *a = load(na), *b = load(nb);
	struct ox_equiv_opts o;
	struct ox_diag d;

	ox_equiv_opts_init(&o);
	o.n_sets = 2;
	ox_diag_init(&d, NULL);
	ck_assert_int_eq(ox_equiv_models(a, b, &o, r, &d), 0);
	if (localize)
		ck_assert_int_eq(ox_equiv_localize(a, b, &o, r, &d), 0);
	ck_assert_int_eq((int)d.n_errors, 0);
	ox_diag_release(&d);
	ox_model_free(a);
	ox_model_free(b);
}

START_TEST(test_model_against_itself)
{
	struct ox_equiv_report r;

	run_models("base.onnx", "base.onnx", true, &r);
	ck_assert(r.pass);
	ck_assert_int_eq(r.n_sets, 2);
	ck_assert_int_eq(r.first_failing_set, -1);
	ck_assert_int_eq((int)r.n_outputs, 1);
	ck_assert_str_eq(r.outputs[0].name_a, "y");
	ck_assert_int_eq(r.outputs[0].st.count, 8); /* 2 sets of [1,4] */
	ck_assert(r.outputs[0].st.max_abs == 0 && r.outputs[0].st.max_ulp == 0);
	/* Localizing equal models finds nothing among the 8 shared node results. */
	ck_assert(!r.div.found);
	ck_assert_int_eq((int)r.div.n_compared, 8);
	ox_equiv_report_release(&r);
}
END_TEST

START_TEST(test_weight_scaled)
{
	struct ox_equiv_report r;

	run_models("base.onnx", "w1001.onnx", true, &r);
	ck_assert(!r.pass);
	ck_assert_int_eq(r.first_failing_set, 0);
	ck_assert(!r.outputs[0].st.pass);
	ck_assert_int_gt(r.outputs[0].st.mismatches, 0);
	ck_assert(r.outputs[0].st.max_abs > 1e-4);
	ck_assert(r.div.found);
	ck_assert_str_eq(r.div.value, "conv2_out");
	ck_assert_str_eq(r.div.node_a, "conv2");
	ck_assert_str_eq(r.div.op_a, "Conv");
	ck_assert_str_eq(r.div.node_b, "conv2");
	ox_equiv_report_release(&r);
}
END_TEST

START_TEST(test_broken_localized)
{
	struct ox_equiv_report r;

	run_models("base.onnx", "broken.onnx", true, &r);
	ck_assert(!r.pass);
	ck_assert(r.div.found);
	ck_assert_str_eq(r.div.value, "relu2_out");
	ck_assert_str_eq(r.div.node_a, "relu2");
	ck_assert_str_eq(r.div.op_a, "Relu");
	ck_assert_str_eq(r.div.op_b, "Sigmoid");
	ox_equiv_report_release(&r);
}
END_TEST

START_TEST(test_renamed_outputs)
{
	struct ox_equiv_report r;

	/* No name in common: inputs and outputs pair up by position. */
	run_models("base.onnx", "renamed.onnx", false, &r);
	ck_assert(r.pass);
	ck_assert_str_eq(r.outputs[0].name_b, "scores");
	ox_equiv_report_release(&r);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("equiv");
	TCase *t = tcase_create("tensors");
	TCase *m = tcase_create("models");

	tcase_add_test(t, test_float32_measures);
	tcase_add_test(t, test_ulp_across_zero);
	tcase_add_test(t, test_nan_inf);
	tcase_add_test(t, test_half_double);
	tcase_add_test(t, test_exact_types);
	tcase_add_test(t, test_shape_dtype_mismatch);
	tcase_add_test(t, test_atol_dominates);
	tcase_add_test(m, test_model_against_itself);
	tcase_add_test(m, test_weight_scaled);
	tcase_add_test(m, test_broken_localized);
	tcase_add_test(m, test_renamed_outputs);
	tcase_set_timeout(m, 60);
	suite_add_tcase(s, t);
	suite_add_tcase(s, m);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* check_roundtrip.c: every model read and written back without passes equals the
 * original as a protobuf message, and its IR passes ox_graph_verify().
 *
 * Models: every model.onnx of the ONNX backend suite (libonnx-testdata; the directory
 * is $ONNX_TESTDATA or /usr/share/libonnx-testdata/data) and every .onnx file under
 * the directories named on the command line, or by default under $srcdir/tests/models
 * and $srcdir/examples (the repository's own PyTorch exports). */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/onnx_io.h"
#include "onnx.pb-c.h"
#include "pbequal.h"

static char **files;
static size_t n_files, cap_files;

static int
collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t n = strlen(path);

	(void)st;
	(void)ftw;
	if (type == FTW_F && n > 5 && strcmp(path + n - 5, ".onnx") == 0) {
		if (n_files == cap_files) {
			cap_files = cap_files ? cap_files * 2 : 256;
			files = realloc(files, cap_files * sizeof *files);
			if (!files)
				return -1;
		}
		files[n_files++] = strdup(path);
	}
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

START_TEST(test_roundtrip)
{
	const char *path = files[_i];
	struct ox_diag d;
	struct ox_model *m = NULL;
	uint8_t *orig, *out = NULL;
	size_t orig_len, out_len = 0;
	Onnx__ModelProto *a, *b;
	char *where = NULL;
	int r;

	ox_diag_init(&d, path);
	orig = slurp(path, &orig_len);
	ck_assert_msg(orig != NULL, "%s: cannot read", path);
	r = ox_model_load(path, &m, &d);
	if (r < 0) {
		char *msg = d.n ? ox_diag_format(&d, 0) : strdup("?");

		ck_abort_msg("%s: load failed: %s", path, msg);
	}
	ck_assert_msg(ox_graph_verify(m->graph, &d) == 0, "%s: verify failed", path);
	ck_assert_int_eq(ox_model_save_buffer(m, &out, &out_len, &d), 0);
	a = onnx__model_proto__unpack(NULL, orig_len, orig);
	b = onnx__model_proto__unpack(NULL, out_len, out);
	ck_assert(a && b);
	ck_assert_msg(ox_pb_equal(&a->base, &b->base, &where), "%s: differs at %s", path,
		      where ? where : "?");
	onnx__model_proto__free_unpacked(a, NULL);
	onnx__model_proto__free_unpacked(b, NULL);
	free(orig);
	free(out);
	ox_model_free(m);
	ox_diag_release(&d);
}
END_TEST

/* Is p inside one of the model's file mappings? */
static bool
mapped(const struct ox_model *m, const void *p)
{
	for (const struct ox_mapping *map = m->mappings; map; map = map->next)
		if ((const char *)p >= (const char *)map->addr &&
		    (const char *)p < (const char *)map->addr + map->len)
			return true;
	return false;
}

static const struct ox_tensor *
node_tensor(const struct ox_graph *g, const char *node)
{
	for (size_t i = 0; i < g->n_nodes; i++)
		if (g->nodes[i]->name && strcmp(g->nodes[i]->name, node) == 0)
			return ox_node_attr(g->nodes[i], "value")->t;
	return NULL;
}

/* The loader leaves large raw_data in the mapped file on every path it imports and
 * copies the small ones; the round trip above proves the bytes are the right ones. */
/* A large tensor is used inside the mapped file exactly when its bytes there are
 * aligned for its element type (float: 4), and copied otherwise; either way the
 * data are the file's bytes and aligned. */
static void
assert_placed(const struct ox_model *m, const uint8_t *file, size_t len, const struct ox_tensor *t,
	      const char *what)
{
	const uint8_t *at = memmem(file, len, t->data, t->nbytes);

	ck_assert_msg(at != NULL, "%s: its bytes are not in the file", what);
	ck_assert_msg(((uintptr_t)t->data & 3) == 0, "%s: data not aligned", what);
	if ((size_t)(at - file) % 4 == 0)
		ck_assert_msg(mapped(m, t->data), "%s: aligned in the file, but copied", what);
	else
		ck_assert_msg(!mapped(m, t->data), "%s: misaligned in the file, used there", what);
}

START_TEST(test_zero_copy)
{
	const char *src = getenv("srcdir") ? getenv("srcdir") : ".";
	char path[4096];
	struct ox_diag d;
	struct ox_model *m = NULL;
	const struct ox_graph *g, *then_g = NULL;
	const struct ox_value *w, *b, *wt;
	uint8_t *file;
	size_t len;

	snprintf(path, sizeof path, "%s/tests/models/zero_copy.onnx", src);
	file = slurp(path, &len);
	ck_assert(file != NULL);
	ox_diag_init(&d, path);
	ck_assert_int_eq(ox_model_load(path, &m, &d), 0);
	g = m->graph;
	w = ox_strmap_get(&g->names, "W");
	b = ox_strmap_get(&g->names, "b");
	ck_assert(w && w->init && b && b->init);
	ck_assert_uint_eq(w->init->nbytes, 32 * 64 * 4);
	assert_placed(m, file, len, w->init, "initializer W");
	ck_assert_msg(!mapped(m, b->init->data), "small initializer b was not copied");
	assert_placed(m, file, len, node_tensor(g, "const"), "Constant c");
	for (size_t i = 0; i < g->n_nodes; i++)
		if (strcmp(g->nodes[i]->op_type, "If") == 0)
			then_g = ox_node_attr(g->nodes[i], "then_branch")->g;
	ck_assert(then_g);
	wt = ox_strmap_get(&then_g->names, "Wt");
	ck_assert(wt && wt->init);
	assert_placed(m, file, len, wt->init, "branch initializer Wt");
	ck_assert_uint_eq(m->n_functions, 1);
	assert_placed(m, file, len, m->functions[0]->body->nodes[0]->attrs[0].t, "function Constant");
	free(file);
	ox_model_free(m);
	ox_diag_release(&d);
}
END_TEST

int
main(int argc, char **argv)
{
	const char *suite_dir = getenv("ONNX_TESTDATA");
	size_t from_suite;
	SRunner *sr;
	Suite *s;
	TCase *tc;
	int failed;

	if (!suite_dir)
		suite_dir = "/usr/share/libonnx-testdata/data";
	if (nftw(suite_dir, collect, 16, FTW_PHYS) < 0)
		fprintf(stderr, "check_roundtrip: %s: no ONNX backend suite here\n", suite_dir);
	from_suite = n_files;
	for (int i = 1; i < argc; i++)
		nftw(argv[i], collect, 16, FTW_PHYS);
	if (argc == 1) {
		const char *src = getenv("srcdir") ? getenv("srcdir") : ".";
		char dir[4096];

		snprintf(dir, sizeof dir, "%s/tests/models", src);
		nftw(dir, collect, 16, FTW_PHYS);
		snprintf(dir, sizeof dir, "%s/examples", src);
		nftw(dir, collect, 16, FTW_PHYS);
	}
	qsort(files, n_files, sizeof *files, by_name);
	printf("check_roundtrip: %zu models (%zu from the ONNX backend suite)\n", n_files, from_suite);
	if (n_files == 0)
		return 1;
	s = suite_create("roundtrip");
	tc = tcase_create("models");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_roundtrip, 0, (int)n_files);
	if (argc == 1)
		tcase_add_test(tc, test_zero_copy);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (size_t i = 0; i < n_files; i++)
		free(files[i]);
	free(files);
	return failed ? 1 : 0;
}

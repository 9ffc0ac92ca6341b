/* cmd_run.c: `onnx-opt run`: execute a model with the built-in CPU executor.
 *
 * Inputs come from TensorProto files (-i FILE in the order of the graph's inputs that
 * have no initializer, or -i NAME=FILE); inputs not given are filled with seeded
 * random values. Outputs are summarized on stdout and, with -O DIR, written as
 * DIR/output_K.pb. --benchmark N times N runs after a warm-up and prints one JSON
 * line. Any error (bad input file, dtype or shape, unsupported op or dtype) exits 2.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "exec.h"
#include "inputs.h"
#include "onnx_io.h"
#include "ops/kernel.h"

static void
help(void)
{
	printf("Usage: %s run MODEL [options]\n\n"
	       "Run MODEL with the built-in CPU executor.\n\n"
	       "Options:\n"
	       "  -i, --input [NAME=]FILE   a serialized TensorProto for the next input (in the\n"
	       "                            order of the graph's inputs without initializer),\n"
	       "                            or for the input NAME; repeatable\n"
	       "  -O, --output-dir DIR      write each output K to DIR/output_K.pb\n"
	       "      --seed N              seed for inputs not given (default 0)\n"
	       "      --shape NAME=AxBxC    dims of input NAME for random data (dynamic dims)\n"
	       "      --threads N           BLAS threads (default: all cores)\n"
	       "      --benchmark N         warm up, time N runs, print min/median/max ms as JSON\n"
	       "      --memory-limit BYTES  most memory the tensors of a run may take (K, M, G\n"
	       "                            allowed; default 75%% of RAM, at most 16G)\n"
	       "  -h, --help                show this help\n\n"
	       "Exit status: 0 ok, 2 usage, input or run error (the message names the node).\n",
	       ox_prog);
}

static void
summarize(const char *name, const struct ox_tensor *t)
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, "%s[", ox_dtype_name(t->dtype));

	for (int i = 0; i < t->ndim && n < (int)sizeof buf; i++)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%lld", i ? "," : "", (long long)t->dims[i]);
	if (n < (int)sizeof buf)
		snprintf(buf + n, sizeof buf - (size_t)n, "]");
	printf("%s  %s", name, buf);
	if (t->dtype != OX_STRING && t->nelem > 0 && ox_dtype_bits(t->dtype) % 8 == 0) {
		double mn = INFINITY, mx = -INFINITY, sum = 0;

		for (int64_t i = 0; i < t->nelem; i++) {
			double v = ox_get_f64(t, i);

			mn = v < mn ? v : mn;
			mx = v > mx ? v : mx;
			sum += v;
		}
		printf("  min %.6g  max %.6g  mean %.6g", mn, mx, sum / (double)t->nelem);
		printf("  first");
		for (int64_t i = 0; i < t->nelem && i < 5; i++)
			printf(" %.6g", ox_get_f64(t, i));
	}
	printf("\n");
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
ox_cmd_run(int argc, char **argv)
{
	enum { OPT_SEED = 256, OPT_SHAPE, OPT_THREADS, OPT_BENCH, OPT_MEMLIMIT };
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output-dir", required_argument, NULL, 'O' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "shape", required_argument, NULL, OPT_SHAPE },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "benchmark", required_argument, NULL, OPT_BENCH },
		{ "memory-limit", required_argument, NULL, OPT_MEMLIMIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
	struct ox_shape_opt *shapes = calloc((size_t)argc + 1, sizeof *shapes);
	size_t ninputs = 0, nshapes = 0, nfeed = 0, nout = 0;
	const char *outdir = NULL, *path;
	uint64_t seed = 0;
	long threads = sysconf(_SC_NPROCESSORS_ONLN), bench = 0;
	struct ox_exec_cache *cache = NULL;
	struct ox_model *m = NULL;
	struct ox_tensor **feed = NULL, **out = NULL;
	bool *owned = NULL;
	struct ox_arena arena;
	struct ox_diag d;
	int c, rc = OX_EXIT_ERROR;
	char *end;

	ox_arena_init(&arena);
	ox_diag_init(&d, NULL);
	if (!inputs || !shapes) {
		free(inputs);
		free(shapes);
		return OX_EXIT_ERROR;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:O:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': inputs[ninputs++] = optarg; break;
		case 'O': outdir = optarg; break;
		case OPT_SEED:
			seed = strtoull(optarg, &end, 10);
			if (*end || !*optarg) {
				rc = ox_cli_usage_error("run", "bad seed '%s'", optarg);
				goto done;
			}
			break;
		case OPT_SHAPE:
			if (!ox_inputs_parse_shape(optarg, &shapes[nshapes++])) {
				rc = ox_cli_usage_error("run", "bad --shape (want NAME=1x3x224x224)");
				goto done;
			}
			break;
		case OPT_THREADS:
			threads = strtol(optarg, &end, 10);
			if (*end || threads < 1 || threads > 1024) {
				rc = ox_cli_usage_error("run", "bad thread count '%s'", optarg);
				goto done;
			}
			break;
		case OPT_MEMLIMIT:
			if ((rc = ox_cli_memory_limit("run", optarg)) != 0)
				goto done;
			rc = OX_EXIT_ERROR;
			break;
		case OPT_BENCH:
			bench = strtol(optarg, &end, 10);
			if (*end || bench < 1 || bench > 1000000) {
				rc = ox_cli_usage_error("run", "bad run count '%s'", optarg);
				goto done;
			}
			break;
		case 'h':
			help();
			rc = OX_EXIT_OK;
			goto done;
		default:
			rc = ox_cli_usage_error("run", "bad option");
			goto done;
		}
	}
	if (optind != argc - 1) {
		rc = ox_cli_usage_error("run", "expected one MODEL");
		goto done;
	}
	path = argv[optind];
	/* The executor only reads the model: read-only weights let it drop each one's
	 * pages once no node needs them (exec.h), so a run never holds the whole model. */
	d.file = path;
	if (ox_model_load_flags(path, OX_LOAD_READ_ONLY, &m, &d) < 0)
		goto done;
	if (!m->graph) {
		ox_diag_error(&d, OX_EINVAL, "the model has no graph");
		goto done;
	}
	ox_exec_set_threads((int)threads);
	nfeed = ox_exec_n_feeds(m->graph);
	nout = m->graph->n_outputs;
	feed = calloc(nfeed + 1, sizeof *feed);
	owned = calloc(nfeed + 1, sizeof *owned);
	out = calloc(nout + 1, sizeof *out);
	if (!feed || !owned || !out) {
		ox_diag_error(&d, OX_ENOMEM, "out of memory");
		goto done;
	}
	{
		/* A bad -i is a usage error, reported as run's others are. */
		struct ox_diag ld;
		int lrc;

		ox_diag_init(&ld, path);
		lrc = ox_inputs_load(m->graph, inputs, ninputs, &arena, feed, &ld);
		if (lrc == OX_EUSAGE && ld.n)
			rc = ox_cli_usage_error("run", "%s", ld.entries[ld.n - 1].message);
		else if (lrc < 0)
			ox_diag_print(&ld, ox_prog);
		ox_diag_release(&ld);
		if (lrc < 0)
			goto done;
	}
	seed = ox_inputs_seed(seed);
	if (ox_inputs_fill_random(m->graph, shapes, nshapes, &seed, feed, owned, &d) < 0)
		goto done;
	/* Timed runs share the weights the kernels pack (the first run is the warm-up
	 * that packs them); a single run keeps nothing, so its peak memory stays low. */
	if (bench > 0 && !(cache = ox_exec_cache_new())) {
		ox_diag_error(&d, OX_ENOMEM, "out of memory");
		goto done;
	}
	if (ox_exec_run_cached(m, cache, feed, nfeed, out, &d) < 0)
		goto done;
	if (bench > 0) {
		double *ms = calloc((size_t)bench, sizeof *ms);

		if (!ms) {
			ox_diag_error(&d, OX_ENOMEM, "out of memory");
			goto done;
		}
		for (long r = 0; r < bench; r++) {
			double t0;

			for (size_t i = 0; i < nout; i++) {
				ox_xtensor_free(out[i]);
				out[i] = NULL;
			}
			t0 = now_ms();
			if (ox_exec_run_cached(m, cache, feed, nfeed, out, &d) < 0) {
				free(ms);
				goto done;
			}
			ms[r] = now_ms() - t0;
		}
		qsort(ms, (size_t)bench, sizeof *ms, cmp_double);
		printf("{\"model\": \"%s\", \"threads\": %ld, \"runs\": %ld, \"min_ms\": %.3f, "
		       "\"median_ms\": %.3f, \"max_ms\": %.3f}\n", path, threads, bench, ms[0],
		       bench % 2 ? ms[bench / 2] : (ms[bench / 2 - 1] + ms[bench / 2]) / 2, ms[bench - 1]);
		free(ms);
	} else {
		for (size_t i = 0; i < nout; i++)
			summarize(m->graph->outputs[i]->name, out[i]);
	}
	if (outdir) {
		if (mkdir(outdir, 0777) < 0 && errno != EEXIST) {
			ox_diag_error(&d, OX_EIO, "cannot create '%s': %s", outdir, strerror(errno));
			goto done;
		}
		for (size_t i = 0; i < nout; i++) {
			char *p;

			if (asprintf(&p, "%s/output_%zu.pb", outdir, i) < 0) {
				ox_diag_error(&d, OX_ENOMEM, "out of memory");
				goto done;
			}
			out[i]->name = m->graph->outputs[i]->name;
			if (ox_tensor_save(out[i], p, &d) < 0) {
				free(p);
				goto done;
			}
			free(p);
		}
	}
	rc = OX_EXIT_OK;
done:
	ox_diag_print(&d, ox_prog);
	for (size_t i = 0; out && i < nout; i++)
		ox_xtensor_free(out[i]);
	ox_inputs_free_feed(feed, owned, nfeed);
	free(out);
	free(feed);
	free(owned);
	ox_diag_release(&d);
	ox_exec_cache_free(cache);
	ox_model_free(m);
	ox_arena_release(&arena);
	free(inputs);
	free(shapes);
	return rc;
}

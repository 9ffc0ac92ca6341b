/* cmd_infer.c: `onnx-opt infer`: fill value_info with inferred types and save. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "onnx_io.h"
#include "shape.h"

static void
help(void)
{
	printf("Usage: %s infer MODEL -o OUT [--strict]\n\n"
	       "Infer the element type and shape of every value, as\n"
	       "onnx.shape_inference.infer_shapes does, and write the model with a value_info\n"
	       "entry for each intermediate value (existing entries are kept and refined).\n"
	       "Sizes that depend on data get symbols named unk__N. Contradictions (a declared\n"
	       "type that disagrees with the inferred one, MatMul inner dims that differ, ...)\n"
	       "are reported with the node that shows them.\n\n"
	       "Options:\n"
	       "  -o, --output OUT  where to write the model (required)\n"
	       "  -s, --strict      exit with status 1 when inference finds a contradiction\n"
	       "  -t, --time        print the time inference took (not loading or saving)\n"
	       "  -h, --help        show this help\n\n"
	       "Exit status: 0 done, 1 contradictions with --strict (the model is still\n"
	       "written), 2 usage or input error.\n", ox_prog);
}

int
ox_cmd_infer(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "strict", no_argument, NULL, 's' },
		{ "time", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	bool strict = false, timing = false;
	struct timespec t0, t1;
	struct ox_model *m;
	struct ox_diag d;
	int c, n, rc = OX_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:sth", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 's': strict = true; break;
		case 't': timing = true; break;
		case 'h': help(); return OX_EXIT_OK;
		default: return ox_cli_usage_error("infer", "bad option");
		}
	}
	if (optind != argc - 1)
		return ox_cli_usage_error("infer", "expected one MODEL");
	if (!out)
		return ox_cli_usage_error("infer", "-o OUT is required");
	m = ox_cli_load(argv[optind]);
	if (!m)
		return OX_EXIT_ERROR;
	ox_diag_init(&d, argv[optind]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = ox_shape_infer(m, OX_SHAPE_ADD_VALUE_INFO, &d);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (timing)
		fprintf(stderr, "%s infer: %zu nodes in %.3f ms\n", ox_prog,
			m->graph ? ox_graph_count_nodes(m->graph, true) : 0,
			(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (n < 0) {
		rc = OX_EXIT_ERROR;
	} else {
		if (n > 0 && strict)
			rc = OX_EXIT_FINDING;
		/* Inference findings name the input; a failed save names the output. */
		ox_diag_print(&d, ox_prog);
		ox_diag_release(&d);
		ox_diag_init(&d, out);
		if (ox_model_save(m, out, NULL, &d) < 0)
			rc = OX_EXIT_ERROR;
	}
	ox_diag_print(&d, ox_prog);
	ox_diag_release(&d);
	ox_model_free(m);
	return rc;
}

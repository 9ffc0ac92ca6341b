/* cmd_optimize.c: `onnx-opt optimize`: load, run passes, save. */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "onnx_io.h"

static void
help(void)
{
	printf("Usage: %s optimize MODEL -o OUT [options]\n\n"
	       "Rewrite MODEL with optimization passes and write the result to OUT.\n"
	       "OUT is written to a temporary file and renamed, so OUT may be MODEL.\n\n"
	       "Options:\n"
	       "  -o, --output FILE                 where to write the model (required)\n"
	       "  -p, --passes LIST                 'none' writes the model back unchanged\n"
	       "      --external-data[=FILE]        store large tensors in FILE, beside OUT\n"
	       "                                    (default FILE: OUT's name + '.data')\n"
	       "      --external-data-threshold N   smallest tensor, in bytes, to store\n"
	       "                                    externally (default 1024; K, M, G allowed)\n"
	       "      --verify                      check the IR's invariants before saving\n"
	       "  -h, --help                        show this help\n", ox_prog);
}

int
ox_cmd_optimize(int argc, char **argv)
{
	enum { OPT_EXT = 256, OPT_EXT_THRESHOLD, OPT_VERIFY };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "passes", required_argument, NULL, 'p' },
		{ "external-data", optional_argument, NULL, OPT_EXT },
		{ "external-data-threshold", required_argument, NULL, OPT_EXT_THRESHOLD },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *passes = "none", *in;
	struct ox_save_opts so = { NULL, 1024 };
	char *ext_default = NULL;
	bool external = false, verify = false;
	struct ox_model *m;
	struct ox_diag d;
	int c, rc = OX_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'p': passes = optarg; break;
		case OPT_EXT:
			external = true;
			so.external_file = optarg;
			break;
		case OPT_EXT_THRESHOLD:
			if (!ox_cli_parse_size(optarg, &so.external_threshold))
				return ox_cli_usage_error("optimize", "bad byte count '%s'", optarg);
			break;
		case OPT_VERIFY: verify = true; break;
		case 'h': help(); return OX_EXIT_OK;
		default: return ox_cli_usage_error("optimize", "bad option");
		}
	}
	if (optind != argc - 1)
		return ox_cli_usage_error("optimize", "expected one MODEL");
	if (!out)
		return ox_cli_usage_error("optimize", "missing -o OUT");
	if (strcmp(passes, "none") != 0)
		return ox_cli_usage_error("optimize", "unknown pass list '%s' (this version knows 'none')", passes);
	in = argv[optind];
	if (external && !so.external_file) {
		const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;

		if (asprintf(&ext_default, "%s.data", base) < 0)
			return OX_EXIT_ERROR;
		so.external_file = ext_default;
	}
	m = ox_cli_load(in);
	if (!m) {
		free(ext_default);
		return OX_EXIT_ERROR;
	}
	ox_diag_init(&d, in);
	if (verify && ox_graph_verify(m->graph, &d) < 0) {
		rc = OX_EXIT_ERROR;
	} else {
		d.file = out;
		if (ox_model_save(m, out, external ? &so : NULL, &d) < 0)
			rc = OX_EXIT_ERROR;
	}
	ox_diag_print(&d, ox_prog);
	ox_diag_release(&d);
	ox_model_free(m);
	free(ext_default);
	return rc;
}

/* cmd_targets.c: `onnx-opt targets`: the runtime profiles `audit --target` knows. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "targets.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: %s targets [--verbose]\n\n"
		"List the built-in runtime profiles for '%s audit --target NAME', with the\n"
		"runtime and version each describes, and where they are read from\n"
		"($ONNX_OPT_TARGETS overrides the directory).\n\n"
		"  -v, --verbose   also the source and notes of each profile\n"
		"  -h, --help      this text\n", ox_prog, ox_prog);
}

int
ox_cmd_targets(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool verbose = false;
	struct ox_table tb;
	struct ox_target *exec;
	struct ox_diag d;
	char **names;
	size_t n;
	int c, status = OX_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return OX_EXIT_OK;
		default:
			return ox_cli_usage_error("targets", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ox_cli_usage_error("targets", "unexpected argument '%s'", argv[optind]);
	ox_diag_init(&d, NULL);
	if (ox_target_names(&names, &n, &d) < 0) {
		ox_diag_print(&d, ox_prog);
		ox_diag_release(&d);
		return OX_EXIT_ERROR;
	}
	ox_table_init(&tb, "");
	ox_table_right(&tb, 3);
	ox_table_header(&tb, "name", "runtime", "version", "ops", "device", NULL);
	for (size_t i = 0; i < n; i++) {
		struct ox_target *t;

		if (ox_target_open(names[i], &t, &d) < 0) {
			status = OX_EXIT_ERROR;
			continue;
		}
		ox_table_row(&tb, false, OX_STYLE_RESET);
		ox_table_cell(&tb, t->name);
		ox_table_cell(&tb, t->runtime);
		ox_table_cell(&tb, t->runtime_version);
		ox_table_cellf(&tb, "%zu", t->n_ops);
		ox_table_cell(&tb, t->device);
		/* Verbose details are lines of their own, under the profile they describe. */
		if (verbose && t->source)
			ox_table_line(&tb, "    source: %s", t->source);
		for (size_t k = 0; verbose && k < t->n_notes; k++)
			ox_table_line(&tb, "    note: %s", t->notes[k]);
		ox_target_free(t);
	}
	if (ox_target_exec(&exec, &d) == 0) {
		size_t n_sup = 0;

		for (size_t k = 0; k < exec->n_ops; k++)
			n_sup += exec->ops[k].supported;
		ox_table_row(&tb, false, OX_STYLE_RESET);
		ox_table_cell(&tb, exec->name);
		ox_table_cell(&tb, exec->runtime);
		ox_table_cell(&tb, exec->runtime_version);
		ox_table_cellf(&tb, "%zu", n_sup);
		ox_table_cell(&tb, "the built-in executor's kernels");
		if (verbose && exec->source)
			ox_table_line(&tb, "    source: %s", exec->source);
		ox_target_free(exec);
	} else {
		status = OX_EXIT_ERROR;
	}
	ox_table_row(&tb, false, OX_STYLE_RESET);
	ox_table_cell(&tb, "opset:N");
	ox_table_cell(&tb, "ONNX");
	ox_table_cell(&tb, "opset N");
	ox_table_cell(&tb, "");
	ox_table_cell(&tb, "plain ONNX at opset N, from the operator registry");
	if (ox_table_print(&tb, stdout) < 0)
		status = OX_EXIT_ERROR;
	ox_table_release(&tb);
	printf("\nProfiles from %s; onnx-opt and opset:N are made at run time. A profile\n"
	       "file of your own: --target FILE.json (format: docs/target-profile.md).\n",
	       ox_targets_dir());
	ox_target_names_free(names, n);
	if (d.n)
		ox_diag_print(&d, ox_prog);
	ox_diag_release(&d);
	return status;
}

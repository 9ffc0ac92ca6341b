/* cmd_passes.c: `onnx-opt passes`: every pass with its summary, in pipeline order. */
#include "config.h"

#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "../passes/pass.h"

static void
help(void)
{
	printf("Usage: %s passes\n\n"
	       "List every optimization pass in the order the default pipeline runs them,\n"
	       "with a mark for those in it and what each one does.\n\n"
	       "Options:\n"
	       "  -h, --help   show this help\n", ox_prog);
}

int
ox_cmd_passes(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ox_pass_info *p;
	struct ox_table tb;
	size_t n;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			help();
			return OX_EXIT_OK;
		}
		return ox_cli_usage_error("passes", "bad option");
	}
	if (optind != argc)
		return ox_cli_usage_error("passes", "takes no arguments");
	p = ox_pass_list(&n);
	ox_table_init(&tb, "");
	ox_table_header(&tb, "pass", "default", "summary", NULL);
	for (size_t i = 0; i < n; i++) {
		ox_table_row(&tb, false, OX_STYLE_RESET);
		ox_table_cell(&tb, p[i].name);
		ox_table_cell(&tb, p[i].in_default ? "yes" : "no");
		ox_table_cell(&tb, p[i].summary);
	}
	r = ox_table_print(&tb, stdout);
	ox_table_release(&tb);
	return r < 0 ? OX_EXIT_ERROR : OX_EXIT_OK;
}

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
	size_t n, width = 0;
	int c;

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
	for (size_t i = 0; i < n; i++)
		if (strlen(p[i].name) > width)
			width = strlen(p[i].name);
	printf("%-*s  default  summary\n", (int)width, "pass");
	for (size_t i = 0; i < n; i++)
		printf("%-*s  %-7s  %s\n", (int)width, p[i].name, p[i].in_default ? "yes" : "no",
		       p[i].summary);
	return OX_EXIT_OK;
}

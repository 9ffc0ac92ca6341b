/* main.c: onnx-opt's entry point: pick the subcommand and run it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "term.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
} commands[] = {
#define CMD(name, fn, summary) { #name, fn, summary },
#include "commands.def"
#undef CMD
};

static void
usage(FILE *f)
{
	fprintf(f, "Usage: %s COMMAND [OPTIONS] MODEL...\n\n"
		   "Optimize, audit, draw and check ONNX models.\n\nCommands:\n", ox_prog);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nGlobal options, accepted anywhere before '--':\n"
		   "  -q, --quiet  no progress line and no summaries on stderr\n"
		   "  --no-color   no colour even on a terminal (so does NO_COLOR=1)\n"
		   "\n'%s COMMAND --help' describes one command; see also onnx-opt(1).\n"
		   "Exit status: 0 success, 1 a finding (unsupported op, mismatch), 2 an error.\n",
		ox_prog);
}

/* Take the global options out of argv, wherever they stand before "--", so that no
 * subcommand has to know them; the new argc. */
static int
global_options(int argc, char **argv)
{
	bool no_color = false, quiet = false;
	int k = 1, i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--no-color"))
			no_color = true;
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			quiet = true;
		else
			argv[k++] = argv[i];
	}
	while (i < argc)
		argv[k++] = argv[i++];
	argv[k] = NULL;
	ox_term_init(no_color, quiet);
	return k;
}

int
main(int argc, char **argv)
{
	argc = global_options(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return OX_EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return OX_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("%s %s\n", ox_prog, PACKAGE_VERSION);
		return OX_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s' (try '%s --help')\n", ox_prog, argv[1], ox_prog);
	return OX_EXIT_ERROR;
}

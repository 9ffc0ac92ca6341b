/* main.c: onnx-opt's entry point: pick the subcommand and run it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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
	fprintf(f, "\n'%s COMMAND --help' describes one command; see also onnx-opt(1).\n"
		   "Exit status: 0 success, 1 a finding (unsupported op, mismatch), 2 an error.\n",
		ox_prog);
}

int
main(int argc, char **argv)
{
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

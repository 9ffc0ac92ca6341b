/* optimize_example.c: the smallest program that embeds libonnxopt. It loads a
 * model, runs the default optimization passes and saves the result, using nothing
 * but the installed header and library:
 *
 *	cc optimize_example.c $(pkg-config --cflags --libs onnxopt) -o optimize_example
 *	./optimize_example model.onnx model.opt.onnx
 *
 * Exit status as onnx-opt's: 0 done, 2 a usage or input error (the message, on
 * standard error, names the file).
 */
#include <stdio.h>
#include <stdlib.h>

#include <onnxopt.h>

int
main(int argc, char **argv)
{
	struct ox_model *m = NULL;
	char *err = NULL;
	size_t before;
	int rc = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s MODEL OUT (libonnxopt %s)\n", argv[0], ox_version());
		return 2;
	}
	if (ox_load(argv[1], &m, &err) < 0) {
		fprintf(stderr, "%s\n", err ? err : "cannot load the model");
		free(err);
		return 2;
	}
	before = ox_model_node_count(m);
	if (ox_optimize(m, NULL, &err) < 0 || ox_save(m, argv[2], &err) < 0) {
		fprintf(stderr, "%s\n", err ? err : "cannot optimize the model");
		rc = 2;
	} else {
		printf("%s: %zu nodes, %s: %zu nodes\n", argv[1], before, argv[2],
		       ox_model_node_count(m));
	}
	free(err);
	ox_model_free(m);
	return rc;
}

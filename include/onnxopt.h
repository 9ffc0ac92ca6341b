/* onnxopt.h: the public interface of libonnxopt, the library behind onnx-opt.
 *
 * A program loads an ONNX model, rewrites it with optimization passes and saves it:
 *
 *	struct ox_model *m;
 *	char *err = NULL;
 *
 *	if (ox_load("in.onnx", &m, &err) < 0 || ox_optimize(m, NULL, &err) < 0 ||
 *	    ox_save(m, "out.onnx", &err) < 0)
 *		fprintf(stderr, "%s\n", err);
 *	free(err);
 *	ox_model_free(m);
 *
 * Functions return 0 (or a count) on success and a negative OX_E* code on failure.
 * Those that take `char **err` store there, on failure, a malloc'ed text that the
 * caller frees with free(): every problem found, one per line, each naming the file
 * and, where there is one, the node. err may be NULL; on success it is left alone.
 *
 * A struct ox_model owns everything it holds (graph, tensors, mappings of external
 * data); nothing it returns outlives ox_model_free(). Separate models may be used
 * from separate threads; one model from one thread at a time.
 *
 * This header is the whole stable interface: the library's other symbols are
 * internal and may change between versions.
 */
#ifndef ONNXOPT_H
#define ONNXOPT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes (all negative but OX_OK); ox_strerror() names them. */
enum {
	OX_OK = 0,
	OX_ENOMEM = -1,       /* out of memory, or over --memory-limit */
	OX_EIO = -2,          /* a file could not be read or written */
	OX_EPARSE = -3,       /* not a well-formed ONNX protobuf */
	OX_EINVAL = -4,       /* well-formed but not a valid model */
	OX_EUNSUPPORTED = -5, /* valid, but beyond what onnx-opt handles */
	OX_ELIMIT = -6,       /* over a safety limit (sizes, depth, counts) */
	OX_EUSAGE = -7,       /* a bad argument */
};

/* A loaded model; its contents are private to the library. */
struct ox_model;

/* The library's version, "MAJOR.MINOR.PATCH" (the onnx-opt release it comes from). */
const char *ox_version(void);

/* A short name for an OX_E* code ("out of memory", "invalid model", ...). */
const char *ox_strerror(int code);

/* Load the ONNX model at path (tensors in external data files are mapped, and must
 * lie inside the model's directory). On success *out is a model the caller frees
 * with ox_model_free(); on failure *out is NULL. */
int ox_load(const char *path, struct ox_model **out, char **err);

/* Rewrite m with optimization passes: passes is a comma-separated list of pass
 * names (as `onnx-opt passes` lists them), "none", or NULL or "default" for the
 * default pipeline, repeated until nothing changes. The graph's inputs and outputs
 * keep their names and types. ox_model_node_count() before and after tells what
 * it removed. */
int ox_optimize(struct ox_model *m, const char *passes, char **err);

/* Write m to path atomically (a temporary file in the same directory, then rename):
 * on failure nothing is left behind and an existing file at path is untouched. */
int ox_save(struct ox_model *m, const char *path, char **err);

/* The number of nodes in m's main graph (nodes inside subgraphs not counted). */
size_t ox_model_node_count(const struct ox_model *m);

/* Release m and everything it owns. NULL is fine. */
void ox_model_free(struct ox_model *m);

#ifdef __cplusplus
}
#endif

#endif

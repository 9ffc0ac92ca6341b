/* onnx_io.h: reading and writing ONNX files (the format layer).
 *
 * onnx_import.c and onnx_export.c are the only files that see protobuf: they turn a
 * ModelProto into the IR of graph.h and back. A model that no pass touched is written
 * back equal, as a protobuf message, to the one read: every field the IR does not
 * model travels with it as an opaque blob.
 *
 * External data (tensors stored beside the model) is mapped, not read: the model
 * keeps the mappings until it is freed. A location must be a relative path that stays
 * inside the model's directory, symlinks included.
 */
#ifndef OX_ONNX_IO_H
#define OX_ONNX_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "graph.h"

/* Load the model at path. On success *out owns everything (free it with
 * ox_model_free); on failure *out is NULL and d says why. Returns 0 or OX_E*. */
int ox_model_load(const char *path, struct ox_model **out, struct ox_diag *d);

/* Large tensor data (raw_data of 4 KiB or more, external data) stays inside the
 * mapped file when it is aligned for its element type and is copied otherwise, so
 * kernels can read it as typed arrays. With OX_LOAD_IN_PLACE it stays in the file
 * even when misaligned: for callers that never read the elements of large tensors
 * as typed arrays (info, validate, audit), which then load without copying. */
#define OX_LOAD_IN_PLACE 1u
/* OX_LOAD_READ_ONLY: as OX_LOAD_IN_PLACE, and the model file is mapped PROT_READ, so
 * the model's large tensors may never be written (a write faults): for callers that
 * only execute the model (run). In exchange, a reader done with such a tensor may drop
 * its pages (madvise MADV_DONTNEED) at any time: nothing is lost, the next read faults
 * them back in from the page cache. Elements may be misaligned for their type; the
 * executor copies those before a kernel reads them. */
#define OX_LOAD_READ_ONLY 2u
int ox_model_load_flags(const char *path, unsigned flags, struct ox_model **out,
			struct ox_diag *d);

/* True when the n bytes at p lie inside one of m's read-only file mappings (the
 * model file loaded with OX_LOAD_READ_ONLY, external data files, which are always
 * mapped read-only): only then may a caller drop their pages. */
bool ox_model_data_readonly(const struct ox_model *m, const void *p, size_t n);

/* Drop the whole pages inside [p, p + n) when they lie in a read-only mapping of m,
 * so they no longer count in this process's memory until they are read again.
 * Returns the bytes dropped (0 when the range is not read-only or holds no whole
 * page). */
size_t ox_model_drop_pages(const struct ox_model *m, const void *p, size_t n);

/* Load a model from memory; external data is looked up in dir (NULL: refused). */
int ox_model_load_buffer(const void *buf, size_t len, const char *dir,
			 struct ox_model **out, struct ox_diag *d);

struct ox_save_opts {
	/* Write tensors of at least external_threshold bytes to this side file, a plain
	 * file name in the output's directory; NULL keeps data inside the model, except
	 * tensors that were external already (see ox_model_save). */
	const char *external_file;
	size_t external_threshold;
};

/* Write m to path atomically: a temporary file in the same directory, fsync, rename;
 * on failure nothing is left behind and an existing file is untouched. Tensors that
 * were external keep their references when path is in the model's own directory;
 * elsewhere their bytes go to "<output file>.data". opts may be NULL. */
int ox_model_save(struct ox_model *m, const char *path, const struct ox_save_opts *opts,
		  struct ox_diag *d);

/* Serialize m to a malloc'ed buffer (external tensors stay references). The caller
 * frees *buf. */
int ox_model_save_buffer(struct ox_model *m, uint8_t **buf, size_t *len, struct ox_diag *d);

/* Read a serialized TensorProto (the backend test suite's input_K.pb/output_K.pb) into
 * a tensor allocated in a. External data is refused. Returns 0 or OX_E*. */
int ox_tensor_load(const char *path, struct ox_arena *a, struct ox_tensor **out,
		   struct ox_diag *d);

/* Write t as a serialized TensorProto to path, atomically as ox_model_save does. */
int ox_tensor_save(const struct ox_tensor *t, const char *path, struct ox_diag *d);

#endif

/* exec.h: the built-in CPU executor.
 *
 * ox_exec_run() evaluates a graph on given inputs: nodes run in topological order,
 * each through the kernel that src/ops/kernels.def names for its (domain, op_type);
 * every intermediate buffer is freed right after its last use. The executor never
 * writes to the model: initializers and caller inputs are read in place, except an
 * initializer whose elements are misaligned for their type (a model loaded with
 * OX_LOAD_READ_ONLY or OX_LOAD_IN_PLACE, onnx_io.h), which is copied into an aligned
 * block just before the first node that reads it and freed after the last one.
 *
 * Weights in a read-only mapping (ox_model_data_readonly) leave memory once read: a
 * run without a cache drops the pages of each initializer of the main graph after its
 * last reader; a cached run drops those of weights that kernels packed into the cache
 * (and of the misaligned ones, whose aligned copies the cache keeps). A later read
 * faults them back in from the page cache, so this costs time, never correctness.
 *
 * Tensors the executor makes ("heap tensors") are one malloc'ed block each (header,
 * dims and elements; a string tensor's bytes are separate blocks it owns), released
 * with ox_xtensor_free(). The outputs of a run are heap tensors the caller owns.
 *
 * Every failure (no kernel, a dtype or attribute a kernel does not handle, shapes that
 * do not fit at run time, memory) is a negative OX_E* code with a diagnostic naming
 * the node, its op and, where it matters, the dtype. Nothing aborts on bad input.
 */
#ifndef OX_EXEC_H
#define OX_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "graph.h"
#include "tensor.h"

/* Sequence values (SequenceConstruct, SplitToSequence, Loop scan state, ...) travel
 * as heap tensors of this pseudo dtype: nelem elements, data an array of nelem heap
 * tensors the sequence owns, location the element dtype. Never written to a file. */
#define OX_XSEQ 0x10000

/* An empty sequence of elem_dtype with room for cap elements, or NULL. */
struct ox_tensor *ox_xseq_new(int elem_dtype, int64_t cap);

/* The i-th element of a sequence. */
static inline struct ox_tensor *
ox_xseq_at(const struct ox_tensor *seq, int64_t i)
{
	return ((struct ox_tensor **)seq->data)[i];
}

/* A heap tensor of dtype and shape with zeroed elements (empty strings), or NULL when
 * the size overflows or memory runs out. */
struct ox_tensor *ox_xtensor_new(int dtype, int ndim, const int64_t *dims);

/* The same with the elements left uninitialised, for kernels that write them all
 * (numeric types; string tensors are always cleared). */
struct ox_tensor *ox_xtensor_new_raw(int dtype, int ndim, const int64_t *dims);

/* A heap copy of any tensor (arena or heap), or NULL. */
struct ox_tensor *ox_xtensor_copy(const struct ox_tensor *t);

/* Copy len bytes into string element i of heap tensor t (replacing what was there).
 * 0 or OX_ENOMEM. */
int ox_xtensor_set_string(struct ox_tensor *t, int64_t i, const void *data, size_t len);

/* Release a heap tensor. NULL is fine; arena tensors must never be passed. */
void ox_xtensor_free(struct ox_tensor *t);

/* Use n threads for the executor's own parallel loops and GEMM blocks (OpenBLAS
 * itself is pinned to one thread so that its spinning workers do not starve ours);
 * n <= 0 leaves the count as it is. */
void ox_exec_set_threads(int n);

/* --memory-limit: the most, in bytes, that the executor's tensors (and the blocks it
 * keeps for reuse) may take at once, in this process; constant folding runs through
 * the same allocator. 0 restores the default. An allocation past the limit fails as
 * out of memory, and the kernel's error names the limit. */
void ox_exec_set_memory_limit(size_t bytes);
size_t ox_exec_memory_limit(void);
/* min(75% of physical memory, 16 GiB). */
size_t ox_exec_default_memory_limit(void);
/* True once an allocation has failed against the limit. */
bool ox_exec_memory_limit_hit(void);

/* The number of g's inputs that are fed (those without an initializer), in order. */
size_t ox_exec_n_feeds(const struct ox_graph *g);

/* Does the executor have a kernel for version since_version of (domain, op)?
 * domain NULL, "" and "ai.onnx" are ONNX. One kernel serves every version of its op
 * (it reads the opset and switches where the semantics changed), so today the answer
 * does not depend on since_version; it is part of the question so that callers need
 * not change when a kernel covers only some versions. Which dtypes a kernel takes is
 * decided inside it at run time and cannot be asked. The `onnx-opt` target profile
 * (targets.h) is built from this. */
bool ox_exec_has_kernel(const char *domain, const char *op, int since_version);

/* The kernel table itself, for ops the registry does not know (the training ops of
 * ai.onnx.preview.training): its length, and the (domain, op) of row i. */
size_t ox_exec_kernel_count(void);
void ox_exec_kernel_at(size_t i, const char **domain, const char **op);

/* Run the main graph of m. inputs[i] feeds the i-th input of g that has no
 * initializer (see ox_exec_n_feeds); n_inputs must equal that count, and an entry may
 * be NULL only for an input that an initializer backs. outputs receives
 * m->graph->n_outputs heap tensors that the caller frees with ox_xtensor_free(). The
 * graph's node order may be changed to a topological one. 0 or OX_E*. */
int ox_exec_run(struct ox_model *m, struct ox_tensor *const *inputs, size_t n_inputs,
		struct ox_tensor **outputs, struct ox_diag *d);

/* What runs of one unchanged model can share: the weights kernels packed from
 * initializers, aligned copies of misaligned ones, and a plan of where each run's
 * blocks go (made from the first run's requests, so later runs allocate nothing).
 * Make one with ox_exec_cache_new() (NULL when out of memory), pass it to every
 * ox_exec_run_cached() of the same model, and free it before the model is changed or
 * freed. */
struct ox_exec_cache;
struct ox_exec_cache *ox_exec_cache_new(void);
void ox_exec_cache_free(struct ox_exec_cache *c);

/* ox_exec_run() keeping what it can in c (NULL: nothing is kept). */
int ox_exec_run_cached(struct ox_model *m, struct ox_exec_cache *c, struct ox_tensor *const *inputs,
		       size_t n_inputs, struct ox_tensor **outputs, struct ox_diag *d);

/* Run one node of m on given tensors, as constant folding does: ins[0..node->n_in)
 * (heap or arena tensors, borrowed; NULL for omitted inputs). outs[0..node->n_out)
 * receive heap tensors that the caller frees with ox_xtensor_free(), also on failure
 * (entries of omitted outputs stay NULL). Nodes holding subgraphs are refused
 * (OX_EUNSUPPORTED), like nodes without a kernel. 0 or OX_E* with a diagnostic that
 * names the node. */
int ox_exec_node(struct ox_model *m, struct ox_node *node, const struct ox_tensor *const *ins,
		 struct ox_tensor **outs, struct ox_diag *d);

#endif

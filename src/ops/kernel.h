/* ops/kernel.h: what kernels see, and the helpers they share.
 *
 * A kernel is `int fn(struct ox_kctx *k)`: it reads k->in (NULL entries are omitted
 * optional inputs; the tensors belong to the executor or the model and must not be
 * changed), makes each output with ox_kout() (the executor owns the result, also on
 * failure), and returns 0 or a negative OX_E* code after ox_kerr(). One kernel serves
 * every version of its op: k->opset is the version the model imports for the node's
 * domain, and the kernel switches on it where the semantics changed.
 *
 * Broadcasting (multidirectional, numpy-style) is implemented once, here: ox_bcast.
 */
#ifndef OX_OPS_KERNEL_H
#define OX_OPS_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "exec.h"
#include "graph.h"
#include "tensor.h"

struct ox_frame;

struct ox_kctx {
	struct ox_node *node;
	int64_t opset;
	const struct ox_tensor **in;
	int n_in;
	struct ox_tensor **out;
	int n_out;
	struct ox_diag *d;
	struct ox_frame *frame;     /* the running graph, for subgraph kernels */
	/* An epilogue the executor fused into this node (Conv, Gemm, MatMul) at plan
	 * time: out = act(out + add). add is a tensor the kernel may take as a residual
	 * (same shape as the output) or, for Gemm/MatMul, a bias along the last dim;
	 * act is OX_ACT_* (ops/fast.h) with bounds lo, hi. A kernel that applies all
	 * of it sets fused; otherwise the executor runs the fused nodes after it. */
	const struct ox_tensor *fuse_add;
	int fuse_act;
	float fuse_lo, fuse_hi;
	bool fused;
};

typedef int ox_kernel_fn(struct ox_kctx *k);

/* Declarations of every kernel, from the table. */
#define KERNEL(domain, op, fn) ox_kernel_fn fn;
#include "kernels.def"
#undef KERNEL

/* The kernel for (domain, op_type), or NULL. */
ox_kernel_fn *ox_kernel_find(const char *domain, const char *op_type);

/* Input i, or NULL when omitted or beyond the node's inputs. */
static inline const struct ox_tensor *
ox_kin(const struct ox_kctx *k, int i)
{
	return i < k->n_in ? k->in[i] : NULL;
}

/* Make output i (zeroed). NULL after recording an error (overflow, memory, no such
 * output). */
struct ox_tensor *ox_kout(struct ox_kctx *k, int i, int dtype, int ndim, const int64_t *dims);

/* The same, elements uninitialised: only for kernels that write every element. */
struct ox_tensor *ox_kout_raw(struct ox_kctx *k, int i, int dtype, int ndim, const int64_t *dims);

/* Record an error for the current node and return code. */
int ox_kerr(struct ox_kctx *k, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "dtype D is not supported" for the current node; returns OX_EUNSUPPORTED. */
int ox_kdtype(struct ox_kctx *k, int dtype);

/* Check that input i is present; records an error and returns false otherwise. */
bool ox_kneed(struct ox_kctx *k, int i);

/* Attributes. */
int64_t ox_kattr_i(const struct ox_kctx *k, const char *name, int64_t dflt);
float ox_kattr_f(const struct ox_kctx *k, const char *name, float dflt);
/* The string attribute copied into buf (NUL-terminated), or dflt when absent. */
const char *ox_kattr_s(const struct ox_kctx *k, const char *name, const char *dflt, char *buf,
		       size_t len);
/* The ints attribute: count, or -1 when absent. */
int64_t ox_kattr_ints(const struct ox_kctx *k, const char *name, const int64_t **out);
int64_t ox_kattr_floats(const struct ox_kctx *k, const char *name, const float **out);

/* Element access for any numeric or bool dtype (float16/bfloat16 included). */
double ox_get_f64(const struct ox_tensor *t, int64_t i);
int64_t ox_get_i64(const struct ox_tensor *t, int64_t i);
void ox_set_f64(struct ox_tensor *t, int64_t i, double v);
bool ox_dtype_is_float(int dtype);   /* float, double, float16, bfloat16 */
bool ox_dtype_is_int(int dtype);     /* signed and unsigned integers */
bool ox_dtype_is_signed(int dtype);

/* A 1-D integer tensor (int32 or int64) read into a malloc'ed array: count, or a
 * negative code after an error. what names the input in messages. */
int64_t ox_kints(struct ox_kctx *k, const struct ox_tensor *t, const char *what, int64_t **out);

/* Normalize axis into [0, rank); false after an error. */
bool ox_kaxis(struct ox_kctx *k, int64_t axis, int rank, int *out);

/* half precision */
float ox_f16_to_f32(uint16_t h);
uint16_t ox_f32_to_f16(float f);
float ox_bf16_to_f32(uint16_t h);
uint16_t ox_f32_to_bf16(float f);

/* A heap copy of t converted (through double) to dtype, or NULL after an error. */
struct ox_tensor *ox_kconvert(struct ox_kctx *k, const struct ox_tensor *t, int dtype);

/* Convert x into o (same element count; o's dtype) with Cast's rules. */
int ox_cast_into(struct ox_kctx *k, const struct ox_tensor *x, struct ox_tensor *o);

/* Run fn with every float16/bfloat16 input widened to float and every float output
 * narrowed back to that type: kernels written for float serve the half types. */
int ox_khalf(struct ox_kctx *k, ox_kernel_fn *fn);

/* Multidirectional broadcasting of up to OX_BCAST_MAX inputs into one output.
 * After ox_bcast_init, iterate rows: each row is `inner` elements; input j's row
 * starts at off[j + 1] and advances by istride[j] (0 or 1); the output row starts at
 * off[0] and is contiguous. Dims are coalesced, so equal shapes make one row. */
#define OX_BCAST_MAX 4
struct ox_bcast {
	int n;                       /* inputs */
	int ndim;                    /* of the output */
	int64_t dims[OX_MAX_RANK];
	int64_t nelem;
	/* coalesced iteration space */
	int cdim;
	int64_t cdims[OX_MAX_RANK];
	int64_t cstr[OX_BCAST_MAX][OX_MAX_RANK];
	int64_t inner, istride[OX_BCAST_MAX];
	int64_t idx[OX_MAX_RANK];
	int64_t pos[OX_BCAST_MAX + 1];
	int64_t rows, row;
};
int ox_bcast_init(struct ox_kctx *k, struct ox_bcast *b, int n, const struct ox_tensor *const *ts);
/* The next row's offsets into off[0..n]; false when done. */
bool ox_bcast_next(struct ox_bcast *b, int64_t *off);

/* Sliding-window geometry for Conv, ConvTranspose and pooling: from the attributes
 * kernel_shape (or kshape, the weight's spatial dims), strides, dilations, pads,
 * auto_pad and ceil_mode. With transpose the output sizes are left to the caller. */
#define OX_WIN_MAX 8
struct ox_window {
	int nsp;
	int64_t in[OX_WIN_MAX], out[OX_WIN_MAX], kernel[OX_WIN_MAX], stride[OX_WIN_MAX];
	int64_t dil[OX_WIN_MAX], pad0[OX_WIN_MAX], pad1[OX_WIN_MAX];
	bool ceil;
	int auto_pad;              /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
};
int ox_kwindow(struct ox_kctx *k, struct ox_window *w, const struct ox_tensor *x,
	       const int64_t *kshape, bool transpose);

/* Buffers a kernel derives from constant inputs (packed weights), kept by the
 * executor between runs of the same plan (ox_exec_run_cached). key says what the
 * buffer was made from (e.g. the weight's data pointer). get: the buffer stored for
 * this node and key, or NULL. put: hand p (malloc'ed) over to the cache; false when
 * the run keeps no cache, and then the caller still owns p. */
void *ox_kcache_get(struct ox_kctx *k, const void *key);
bool ox_kcache_put(struct ox_kctx *k, const void *key, void *p);
/* True when the run keeps a cache: packing a whole constant operand ahead pays off
 * only then; a one-shot run packs block by block, with no operand-sized buffer. */
bool ox_kcache_on(const struct ox_kctx *k);

/* True when input i is an initializer of the model (constant for every run), also
 * when it reaches the node through Identity nodes. */
bool ox_kconst(const struct ox_kctx *k, int i);

/* Run a subgraph of the current node with the given inputs (heap or arena tensors,
 * borrowed) and return its outputs as heap tensors the caller owns. */
int ox_kexec_subgraph(struct ox_kctx *k, struct ox_graph *g, const struct ox_tensor *const *inputs,
		      int n_inputs, struct ox_tensor **outputs);

#endif

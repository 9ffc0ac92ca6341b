/* equiv.h: numerical equivalence of tensors and of whole models (`onnx-opt check`,
 * `optimize --check`).
 *
 * Two tensors agree when dtype and shape are equal and every element passes:
 *   - floats (float, double, float16, bfloat16; complex as its two float parts):
 *     |b - a| <= atol + rtol * |a|, a being the reference; when max_ulp >= 0 an element
 *     within max_ulp units in the last place passes too. NaN equals NaN; an infinity
 *     must be matched by the same infinity. Elements where either side is NaN or
 *     infinite never enter max_abs/max_rel/max_ulp: they are counted apart.
 *   - integers, bools, strings and every other dtype: exactly equal.
 * ULP distance is the difference of the two values' positions in the ordered list of
 * all values of their format (-0 and +0 share one), so it means the same for float16
 * as for double.
 *
 * A model comparison runs both models with the built-in executor on the same inputs
 * (given files and/or seeded random sets, see inputs.h) and compares outputs matched
 * by name or by position. Ownership: the report owns its output array and the names
 * it copies; release it with ox_equiv_report_release(). The models are run, so their
 * node order may become a topological one, but nothing else in them changes.
 */
#ifndef OX_EQUIV_H
#define OX_EQUIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "graph.h"
#include "inputs.h"
#include "tensor.h"

/* Defaults, chosen on measurements (docs/check-json.md, "Tolerances"): float32
 * rounding differences between two correct evaluations of the same network stay
 * below them, while a 0.1% change of one weight does not. */
#define OX_EQUIV_RTOL 1e-4
#define OX_EQUIV_ATOL 1e-5

struct ox_equiv_opts {
	double rtol, atol;
	int64_t max_ulp;        /* < 0: ULP distance alone never passes an element */
	bool by_position;       /* match outputs (and inputs) by position, not name */
	/* Inputs: -i specs ("FILE" or "NAME=FILE") shared by every set; the rest of each
	 * set is random, set k drawn from seed + k. */
	char *const *input_specs;
	size_t n_input_specs;
	const struct ox_shape_opt *shapes;
	size_t n_shapes;
	int n_sets;             /* >= 1; only 1 is used when every input is given */
	uint64_t seed;
	/* Called on the caller's thread after every input set with the sets done and
	 * the sets to run (a progress line); NULL for none. */
	void (*progress)(void *arg, int done, int total);
	void *progress_arg;
};

/* rtol/atol defaults, no ULP allowance, match by name, one random set, seed 0,
 * no progress callback. */
void ox_equiv_opts_init(struct ox_equiv_opts *o);

struct ox_equiv_stats {
	bool dtype_ok, shape_ok;
	int64_t count;          /* elements compared */
	int64_t mismatches;     /* elements that fail (NaN/Inf differences included) */
	int64_t nan_diff;       /* one side NaN, the other not */
	int64_t inf_diff;       /* an infinity not matched by the same infinity */
	int64_t first_bad;      /* flat index of the first failing element, or -1 */
	double max_abs;         /* max |b - a| over finite pairs */
	double max_rel;         /* max |b - a| / |a| over finite pairs with a != 0 */
	uint64_t max_ulp;       /* max ULP distance over finite pairs (floats only) */
	double max_ref;         /* max |a| over finite elements: the scale atol meets */
	bool pass;
};

/* Compare b against the reference a into s (always filled, s->pass the verdict).
 * Heap tensors and arena tensors alike; sequences (OX_XSEQ) are unsupported.
 * 0, or OX_EUNSUPPORTED recorded in d (d may be NULL). */
int ox_equiv_compare(const struct ox_tensor *a, const struct ox_tensor *b,
		     const struct ox_equiv_opts *o, struct ox_equiv_stats *s, struct ox_diag *d);

/* true when atol exceeds rtol * max|a|, so that every element's bound is mostly
 * atol: outputs that small (untrained networks give 1e-9) pass any error below atol,
 * and the caller should say so. */
bool ox_equiv_atol_dominates(const struct ox_equiv_stats *s, const struct ox_equiv_opts *o);

/* Merge s into total (another input set of the same output). */
void ox_equiv_stats_merge(struct ox_equiv_stats *total, const struct ox_equiv_stats *s);

struct ox_equiv_output {
	char *name_a, *name_b;  /* name_b NULL: B has no matching output */
	int dtype_a, dtype_b;   /* of the first set's tensors, -1 when unknown */
	int ndim_a, ndim_b;
	int64_t dims_a[OX_MAX_RANK], dims_b[OX_MAX_RANK];
	struct ox_equiv_stats st; /* over every set */
};

/* Where two models first disagree (ox_equiv_localize). */
struct ox_equiv_divergence {
	bool found;
	char *value;            /* the first value, in A's topological order, that differs */
	char *node_a, *op_a;    /* its producer in A (node_a NULL when the node is unnamed) */
	char *node_b, *op_b;    /* and in B */
	struct ox_equiv_stats st;
	size_t n_compared;      /* values both models compute that could be compared */
	int set;                /* the input set that showed it */
};

struct ox_equiv_report {
	struct ox_equiv_output *outputs; /* one per output of A */
	size_t n_outputs;
	size_t n_extra_b;       /* outputs of B that nothing in A matched */
	int n_sets;             /* input sets run */
	int first_failing_set;  /* -1 when every set passed */
	bool pass;
	struct ox_equiv_divergence div; /* filled by ox_equiv_localize */
};

/* Run a and b on the same inputs and compare every output of a with its match in b.
 * The verdict is r->pass. 0, or OX_E* (inputs that cannot be made, a run that fails)
 * recorded in d; r is then released. d->file is set to each model's path while it
 * runs. */
int ox_equiv_models(struct ox_model *a, struct ox_model *b, const struct ox_equiv_opts *o,
		    struct ox_equiv_report *r, struct ox_diag *d);

/* Find the first disagreeing value: on private copies of a and b (made through the
 * serializer, so a and b are not touched), expose every node result that exists in
 * both (same name) as a graph output, run both on each input set in turn, and record
 * in r->div the first value in a's topological order that differs. r->div.found stays
 * false when no shared value differs. 0 or OX_E*. */
int ox_equiv_localize(struct ox_model *a, struct ox_model *b, const struct ox_equiv_opts *o,
		      struct ox_equiv_report *r, struct ox_diag *d);

/* Release what r owns and zero it. */
void ox_equiv_report_release(struct ox_equiv_report *r);

#endif

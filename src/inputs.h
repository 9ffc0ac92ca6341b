/* inputs.h: the inputs a model is run on, shared by `onnx-opt run` and `check`.
 *
 * A feed is the array that ox_exec_run() takes: one slot per graph input without an
 * initializer (ox_exec_n_feeds), in the graph's order. Slots come from TensorProto
 * files (-i FILE takes the next free slot, -i NAME=FILE the input called NAME) or from
 * seeded random data, so that two runs, or two models, see the same numbers on every
 * machine: floats uniform in [-1, 1), integers in [0, 9], bools 0 or 1.
 *
 * Ownership: loaded tensors live in the arena the caller passes; random tensors are
 * heap tensors, marked in owned[], that the caller frees (ox_inputs_free_feed).
 */
#ifndef OX_INPUTS_H
#define OX_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "graph.h"
#include "tensor.h"

/* --shape NAME=AxBxC: the dims random data for input NAME gets. name points into the
 * parsed argument. */
struct ox_shape_opt {
	const char *name;
	int ndim;
	int64_t dims[OX_MAX_RANK];
};

/* Parse "NAME=AxBxC" ("NAME=" is a scalar; ',' also separates) into o. s is cut at
 * the '='. false when malformed. */
bool ox_inputs_parse_shape(char *s, struct ox_shape_opt *o);

/* The generator state for a user's seed: every seed, 0 included, gives a usable
 * stream. */
uint64_t ox_inputs_seed(uint64_t seed);

/* The next 64 random bits of state (xorshift64*). */
uint64_t ox_inputs_next(uint64_t *state);

/* A heap tensor of random data for graph input v, shaped by its type or by the
 * matching --shape. NULL, with OX_EUSAGE (no type, dynamic dims without --shape) or
 * OX_EUNSUPPORTED (strings, sub-byte types) recorded in d. */
struct ox_tensor *ox_inputs_random(const struct ox_value *v, const struct ox_shape_opt *shapes,
				   size_t nshapes, uint64_t *state, struct ox_diag *d);

/* Fill feed (ox_exec_n_feeds(g) slots, all NULL on entry) from the -i specs "FILE" or
 * "NAME=FILE", loading into a. specs are not modified. 0, or OX_EUSAGE (unknown name,
 * too many files, a slot given twice) or a load error, recorded in d. */
int ox_inputs_load(const struct ox_graph *g, char *const *specs, size_t nspecs,
		   struct ox_arena *a, struct ox_tensor **feed, struct ox_diag *d);

/* Fill the NULL slots of feed with random data drawn from state, in input order,
 * setting owned[k] for each. 0 or an error from ox_inputs_random. */
int ox_inputs_fill_random(const struct ox_graph *g, const struct ox_shape_opt *shapes,
			  size_t nshapes, uint64_t *state, struct ox_tensor **feed, bool *owned,
			  struct ox_diag *d);

/* Free the owned slots of an n-slot feed and clear them. */
void ox_inputs_free_feed(struct ox_tensor **feed, bool *owned, size_t n);

#endif

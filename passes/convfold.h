/* passes/convfold.h: what fuse_add_bias_into_conv and fuse_mul_into_conv share: a
 * Conv with constant weights whose output one Add or Mul alone reads, against a
 * constant that is the same along every dim but the channel. */
#ifndef OX_CONVFOLD_H
#define OX_CONVFOLD_H

#include "pass.h"

struct ox_convfold {
	struct ox_node *conv, *op;
	const struct ox_tensor *w, *b; /* weights; bias or NULL */
	const struct ox_tensor *c;     /* the other operand of op */
	int64_t m;                     /* output channels */
	bool per_channel;              /* c has m elements, else one */
};

/* Whether op (an Add or Mul) reads a foldable Conv; fills f. */
bool ox_convfold_match(struct ox_node *op, struct ox_convfold *f);

/* Point conv at new weights w (NULL keeps them) and bias b, and let op's readers read
 * the conv's output. 1 or a negative code. */
int ox_convfold_apply(struct ox_convfold *f, struct ox_value *w, struct ox_value *b);

#endif

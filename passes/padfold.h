/* passes/padfold.h: what fuse_pad_into_conv and fuse_pad_into_pool share: reading a
 * constant-mode Pad that pads only spatial dims, and adding it to a window op's pads. */
#ifndef OX_PADFOLD_H
#define OX_PADFOLD_H

#include "pass.h"

/* The Pad producing in: its pads (2 * rank entries, begins then ends, every batch and
 * channel entry zero, none negative) and constant value. The rank, or -1 when in is
 * no such Pad. */
int ox_padfold_read(const struct ox_value *in, int64_t *pads, double *value);

/* Add the spatial part of pads (rank R) to node's pads attribute, make node read
 * the Pad's input and let the Pad die when unread. 0 or a negative code. */
int ox_padfold_apply(struct ox_node *node, const int64_t *pads, int R);

#endif

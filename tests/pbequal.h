/* pbequal.h: protobuf message equality for tests, driven by protobuf-c descriptors.
 *
 * Two messages are equal when every field has the same presence and value (repeated
 * fields element by element, in order, sub-messages recursively) and their unknown
 * fields are the same bytes in the same order. Floats compare by bit pattern, so a
 * NaN equals itself. On a difference, *where gets a malloc'ed path to it
 * ("graph.node[3].attribute[0].i"); the caller frees it.
 */
#ifndef OX_PBEQUAL_H
#define OX_PBEQUAL_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

bool ox_pb_equal(const ProtobufCMessage *a, const ProtobufCMessage *b, char **where);

#endif

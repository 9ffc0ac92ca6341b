/* onnx_pb.h: what the format layer's two protobuf-c users (onnx_import.c and
 * onnx_export.c) share. Not for anything else: the rest of onnx-opt sees the IR. */
#ifndef OX_ONNX_PB_H
#define OX_ONNX_PB_H

#include "arena.h"
#include "onnx.pb-c.h"

static inline void *
ox_pb_alloc(void *arena, size_t size)
{
	return ox_arena_alloc_raw(arena, size);
}

static inline void
ox_pb_free(void *arena, void *p)
{
	(void)arena;
	(void)p; /* released with the arena */
}

/* A protobuf-c allocator drawing from arena a: unpacked messages live as long as it. */
static inline ProtobufCAllocator
ox_pb_allocator(struct ox_arena *a)
{
	return (ProtobufCAllocator){ .alloc = ox_pb_alloc, .free = ox_pb_free, .allocator_data = a };
}

#endif

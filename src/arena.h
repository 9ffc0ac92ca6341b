/* arena.h: bump allocation for everything a model owns.
 *
 * A model's graphs, nodes, values, names and tensor data live in one arena and are
 * released together by ox_arena_release(); nothing in it is freed one by one. Blocks
 * larger than a quarter of the chunk size get a chunk of their own, so a 100 MB
 * initializer costs 100 MB and no more. Allocations are zeroed and aligned to 16
 * bytes. An allocation failure returns NULL; callers turn it into OX_ENOMEM.
 */
#ifndef OX_ARENA_H
#define OX_ARENA_H

#include <stddef.h>

struct ox_arena_chunk;

struct ox_arena {
	struct ox_arena_chunk *head; /* newest chunk first */
	size_t used;                 /* bytes handed out, for statistics and limits */
	size_t limit;                /* 0 = none; past it allocations fail */
};

/* Start an empty arena; no memory is taken until the first allocation. */
void ox_arena_init(struct ox_arena *a);

/* Give every chunk back; the arena may be used again afterwards. */
void ox_arena_release(struct ox_arena *a);

/* n zeroed bytes, 16-byte aligned, or NULL when memory (or the limit) runs out. */
void *ox_arena_alloc(struct ox_arena *a, size_t n);

/* n uninitialised bytes: for buffers that are filled at once (tensor data). */
void *ox_arena_alloc_raw(struct ox_arena *a, size_t n);

/* count * size zeroed bytes, or NULL if the product overflows. */
void *ox_arena_calloc(struct ox_arena *a, size_t count, size_t size);

/* A copy of the n bytes at p (plus a NUL, so strings stay terminated). */
void *ox_arena_memdup(struct ox_arena *a, const void *p, size_t n);

/* A copy of the string s; NULL stays NULL. */
char *ox_arena_strdup(struct ox_arena *a, const char *s);

/* A formatted string in the arena. */
char *ox_arena_printf(struct ox_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Grow an arena array: *arr holds *n items of size bytes with room for *cap;
 * make room for one more, doubling. Returns 0 or -1 when memory runs out.
 * The old block stays in the arena: growth wastes at most what it keeps. */
int ox_arena_grow(struct ox_arena *a, void **arr, size_t *cap, size_t n, size_t size);

/* Append one zeroed item to an arena array (*arr, *n items, room for *cap), growing it
 * by doubling as ox_arena_grow() does. Returns the new item, or NULL. */
void *ox_arena_push(struct ox_arena *a, void *arr, size_t *n, size_t *cap, size_t size);

#endif

/* arena.c: see arena.h. */
#include "config.h"

#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (256u * 1024u)
#define ALIGN 16u

struct ox_arena_chunk {
	struct ox_arena_chunk *next;
	size_t size;  /* usable bytes after the header */
	size_t off;   /* next free byte */
	_Alignas(16) unsigned char mem[];
};

void
ox_arena_init(struct ox_arena *a)
{
	a->head = NULL;
	a->used = 0;
	a->limit = 0;
}

void
ox_arena_release(struct ox_arena *a)
{
	struct ox_arena_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->used = 0;
}

static struct ox_arena_chunk *
chunk_new(size_t size)
{
	struct ox_arena_chunk *c;

	if (size > SIZE_MAX - sizeof *c)
		return NULL;
	c = malloc(sizeof *c + size);
	if (!c)
		return NULL;
	c->size = size;
	c->off = 0;
	c->next = NULL;
	return c;
}

void *
ox_arena_alloc_raw(struct ox_arena *a, size_t n)
{
	struct ox_arena_chunk *c = a->head;
	size_t need;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ALIGN)
		return NULL;
	need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (a->limit && (need > a->limit || a->used > a->limit - need))
		return NULL;
	if (need > CHUNK_SIZE / 4) {
		/* A big block gets its own chunk, linked behind the current one so
		 * that the current chunk's free space stays in use. */
		struct ox_arena_chunk *big = chunk_new(need);

		if (!big)
			return NULL;
		big->off = need;
		if (c) {
			big->next = c->next;
			c->next = big;
		} else {
			a->head = big;
		}
		a->used += need;
		return big->mem;
	}
	if (!c || c->size - c->off < need) {
		c = chunk_new(CHUNK_SIZE);
		if (!c)
			return NULL;
		c->next = a->head;
		a->head = c;
	}
	c->off += need;
	a->used += need;
	return c->mem + c->off - need;
}

void *
ox_arena_alloc(struct ox_arena *a, size_t n)
{
	void *p = ox_arena_alloc_raw(a, n);

	if (p)
		memset(p, 0, n ? n : 1);
	return p;
}

void *
ox_arena_calloc(struct ox_arena *a, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	return ox_arena_alloc(a, count * size);
}

void *
ox_arena_memdup(struct ox_arena *a, const void *p, size_t n)
{
	unsigned char *q;

	if (n == SIZE_MAX)
		return NULL;
	q = ox_arena_alloc_raw(a, n + 1);
	if (!q)
		return NULL;
	if (n)
		memcpy(q, p, n);
	q[n] = 0;
	return q;
}

char *
ox_arena_strdup(struct ox_arena *a, const char *s)
{
	return s ? ox_arena_memdup(a, s, strlen(s)) : NULL;
}

char *
ox_arena_printf(struct ox_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = ox_arena_alloc_raw(a, (size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

int
ox_arena_grow(struct ox_arena *a, void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 4;
	void *p;

	if (ncap < n + 1)
		ncap = n + 1;
	p = ox_arena_calloc(a, ncap, size);
	if (!p)
		return -1;
	if (n)
		memcpy(p, *arr, n * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

void *
ox_arena_push(struct ox_arena *a, void *arr, size_t *n, size_t *cap, size_t size)
{
	void **parr = arr;
	unsigned char *slot;

	if (*n == *cap && ox_arena_grow(a, parr, cap, *n, size) < 0)
		return NULL;
	slot = (unsigned char *)*parr + *n * size;
	memset(slot, 0, size);
	(*n)++;
	return slot;
}

/* strmap.c: see strmap.h. */
#include "config.h"

#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char gone_mark;
#define GONE (&gone_mark)

void
ox_strmap_init(struct ox_strmap *m)
{
	memset(m, 0, sizeof *m);
}

void
ox_strmap_release(struct ox_strmap *m)
{
	free(m->slots);
	ox_strmap_init(m);
}

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct ox_strmap_slot *
find(const struct ox_strmap *m, const char *key)
{
	size_t mask, i;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	for (i = hash(key) & mask;; i = (i + 1) & mask) {
		struct ox_strmap_slot *s = &m->slots[i];

		if (!s->key)
			return NULL;
		if (s->key != GONE && strcmp(s->key, key) == 0)
			return s;
	}
}

void *
ox_strmap_get(const struct ox_strmap *m, const char *key)
{
	struct ox_strmap_slot *s = find(m, key);

	return s ? s->value : NULL;
}

static int
rehash(struct ox_strmap *m, size_t cap)
{
	struct ox_strmap_slot *old = m->slots;
	size_t oldcap = m->cap;

	m->slots = calloc(cap, sizeof *m->slots);
	if (!m->slots) {
		m->slots = old;
		return -1;
	}
	m->cap = cap;
	m->used = m->live = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key && old[i].key != GONE)
			ox_strmap_put(m, old[i].key, old[i].value);
	free(old);
	return 0;
}

int
ox_strmap_put(struct ox_strmap *m, const char *key, void *value)
{
	struct ox_strmap_slot *s = find(m, key);
	size_t mask, i;

	if (s) {
		s->value = value;
		return 0;
	}
	if ((m->used + 1) * 4 >= m->cap * 3 &&
	    rehash(m, m->live * 2 >= m->cap / 2 ? (m->cap ? m->cap * 2 : 16) : (m->cap ? m->cap : 16)) < 0)
		return -1;
	mask = m->cap - 1;
	for (i = hash(key) & mask; m->slots[i].key && m->slots[i].key != GONE; i = (i + 1) & mask)
		;
	if (!m->slots[i].key)
		m->used++;
	m->slots[i].key = key;
	m->slots[i].value = value;
	m->live++;
	return 0;
}

void
ox_strmap_del(struct ox_strmap *m, const char *key)
{
	struct ox_strmap_slot *s = find(m, key);

	if (s) {
		s->key = GONE;
		s->value = NULL;
		m->live--;
	}
}

/* strmap.h: a hash map from NUL-terminated strings to pointers.
 *
 * Keys are not copied: they must outlive the map (in the IR they live in the arena).
 * Open addressing with linear probing, FNV-1a hashing; the table is malloc'ed and
 * belongs to the map. Removal leaves a tombstone.
 */
#ifndef OX_STRMAP_H
#define OX_STRMAP_H

#include <stddef.h>

struct ox_strmap_slot {
	const char *key;  /* NULL: empty; OX_STRMAP_GONE: removed */
	void *value;
};

struct ox_strmap {
	struct ox_strmap_slot *slots;
	size_t cap;       /* a power of two, or 0 */
	size_t used;      /* live entries plus tombstones */
	size_t live;
};

void ox_strmap_init(struct ox_strmap *m);
void ox_strmap_release(struct ox_strmap *m);

/* The value stored under key, or NULL. */
void *ox_strmap_get(const struct ox_strmap *m, const char *key);

/* Store value under key, replacing any old value. 0, or -1 when memory runs out. */
int ox_strmap_put(struct ox_strmap *m, const char *key, void *value);

/* Remove key if present. */
void ox_strmap_del(struct ox_strmap *m, const char *key);

#endif

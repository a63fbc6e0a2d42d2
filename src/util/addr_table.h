/* addr_table.h - sets and maps keyed by non-zero target addresses: open
 * addressing, linear probing, grown to stay at most half full (internal). */
#ifndef PYX_ADDR_TABLE_H
#define PYX_ADDR_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct addr_set {
	uint64_t *slots;
	size_t cap, n;
};

/* Insert a (non-zero); false if it was there, or on no memory (then
 * *oom is set). */
bool addr_set_add(struct addr_set *s, uint64_t a, bool *oom);
void addr_set_free(struct addr_set *s);

/* Address -> index. */
struct addr_map {
	uint64_t *keys;
	size_t *vals;
	size_t cap, n;
};

/* Set key (non-zero) to val; false on no memory. */
bool addr_map_put(struct addr_map *m, uint64_t key, size_t val);
bool addr_map_get(const struct addr_map *m, uint64_t key, size_t *val);
void addr_map_free(struct addr_map *m);

#endif

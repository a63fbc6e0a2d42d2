/* addr_table.c - sets and maps keyed by non-zero target addresses. */
#include <stdlib.h>

#include "util/addr_table.h"

static size_t addr_hash(uint64_t a, size_t cap)
{
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdull;
	a ^= a >> 33;
	return (size_t)a & (cap - 1);
}

bool addr_set_add(struct addr_set *s, uint64_t a, bool *oom)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint64_t *slots = calloc(cap, sizeof(*slots));
		if (!slots) {
			*oom = true;
			return false;
		}
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slots[i])
				continue;
			size_t k = addr_hash(s->slots[i], cap);
			while (slots[k])
				k = (k + 1) & (cap - 1);
			slots[k] = s->slots[i];
		}
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	size_t k = addr_hash(a, s->cap);
	while (s->slots[k]) {
		if (s->slots[k] == a)
			return false;
		k = (k + 1) & (s->cap - 1);
	}
	s->slots[k] = a;
	s->n++;
	return true;
}

bool addr_map_put(struct addr_map *m, uint64_t key, size_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		uint64_t *keys = calloc(cap, sizeof(*keys));
		size_t *vals = calloc(cap, sizeof(*vals));
		if (!keys || !vals) {
			free(keys);
			free(vals);
			return false;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->keys[i])
				continue;
			size_t k = addr_hash(m->keys[i], cap);
			while (keys[k])
				k = (k + 1) & (cap - 1);
			keys[k] = m->keys[i];
			vals[k] = m->vals[i];
		}
		free(m->keys);
		free(m->vals);
		m->keys = keys;
		m->vals = vals;
		m->cap = cap;
	}
	size_t k = addr_hash(key, m->cap);
	while (m->keys[k] && m->keys[k] != key)
		k = (k + 1) & (m->cap - 1);
	if (!m->keys[k])
		m->n++;
	m->keys[k] = key;
	m->vals[k] = val;
	return true;
}

bool addr_map_get(const struct addr_map *m, uint64_t key, size_t *val)
{
	if (!m->cap || !key)
		return false;
	size_t k = addr_hash(key, m->cap);
	while (m->keys[k]) {
		if (m->keys[k] == key) {
			*val = m->vals[k];
			return true;
		}
		k = (k + 1) & (m->cap - 1);
	}
	return false;
}

void addr_set_free(struct addr_set *s)
{
	free(s->slots);
}

void addr_map_free(struct addr_map *m)
{
	free(m->keys);
	free(m->vals);
}

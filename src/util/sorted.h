/* sorted.h - finding a value in a sorted array of addresses (internal). */
#ifndef PYX_SORTED_H
#define PYX_SORTED_H

#include <stddef.h>
#include <stdint.h>

/* The index of x in v[lo, hi) (sorted ascending), or -1. */
static inline int64_t sorted_u64_find(const uint64_t *v, size_t lo, size_t hi, uint64_t x)
{
	size_t end = hi;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < end && v[lo] == x ? (int64_t)lo : -1;
}

#endif

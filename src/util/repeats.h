/* repeats.h - runs of frames that repeat (deep recursion), so that the
 * answers can count them and the text collapse them (internal). */
#ifndef PYX_REPEATS_H
#define PYX_REPEATS_H

#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

/* keys[first .. first + length) is followed by `more` further copies of
 * itself. */
struct repeat {
	size_t first;
	size_t length;
	size_t more;
};

/* The runs in keys[0..n) (one key per frame, equal keys for equal
 * frames): a block of up to 16 frames that comes at least 3 times in a
 * row, the longest coverage first, scanning from the start.  *ret is
 * malloc'ed (NULL when there are none); returns how many, or (size_t)-1
 * when out of memory. */
size_t find_repeats(const uint64_t *keys, size_t n, struct repeat **ret);

/* [{"first", "frames", "more"}, ...] */
void repeats_json(const struct repeat *r, size_t n, struct strbuf *sb);

#endif

/* repeats.c - finding runs of repeated frames. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/repeats.h"

#define MAX_PERIOD 16
#define MIN_COPIES 3

size_t find_repeats(const uint64_t *keys, size_t n, struct repeat **ret)
{
	struct repeat *out = NULL;
	size_t nout = 0, cap = 0;
	*ret = NULL;
	for (size_t i = 0; i < n;) {
		size_t best_len = 0, best_copies = 1;
		for (size_t len = 1; len <= MAX_PERIOD && i + 2 * len <= n; len++) {
			size_t copies = 1;
			while (i + (copies + 1) * len <= n &&
			       memcmp(&keys[i], &keys[i + copies * len], len * sizeof(*keys)) == 0)
				copies++;
			if (copies >= MIN_COPIES &&
			    (copies - 1) * len > (best_copies - 1) * best_len) {
				best_len = len;
				best_copies = copies;
			}
		}
		if (!best_len) {
			i++;
			continue;
		}
		if (nout == cap) {
			cap = cap ? cap * 2 : 4;
			struct repeat *v = realloc(out, cap * sizeof(*v));
			if (!v) {
				free(out);
				return (size_t)-1;
			}
			out = v;
		}
		out[nout++] = (struct repeat){ i, best_len, best_copies - 1 };
		i += best_len * best_copies;
	}
	*ret = out;
	return nout;
}

void repeats_json(const struct repeat *r, size_t n, struct strbuf *sb)
{
	strbuf_puts(sb, "[");
	for (size_t i = 0; i < n; i++)
		strbuf_printf(sb, "%s{\"first\": %zu, \"frames\": %zu, \"more\": %zu}",
			      i ? ", " : "", r[i].first, r[i].length, r[i].more);
	strbuf_puts(sb, "]");
}

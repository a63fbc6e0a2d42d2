/* unicode.c - decoding str objects of every kind (compact ASCII, compact
 * 1/2/4-byte, and legacy strings with a separate data buffer). */
#include <stdlib.h>
#include <string.h>

#include "objects/object.h"
#include "util/strbuf.h"

#define MAX_STR_LENGTH (1ll << 40)
/* str_read's whole copy; longer texts stream through str_view_read. */
#define MAX_STR_READ (1u << 24)

static unsigned field_bits(uint32_t state, int64_t mask)
{
	if (mask == PYX_ABSENT || mask == 0)
		return 0;
	uint32_t m = (uint32_t)mask;
	return (state & m) >> __builtin_ctz(m);
}

struct pyx_error *str_view(struct pyx_program *prog, uint64_t addr, struct str_view *ret)
{
	uint8_t hdr[64];
	size_t hsize = (size_t)LV(prog, PyASCIIObject);
	if (hsize > sizeof(hdr))
		hsize = sizeof(hdr);
	PYX_TRY(pyx_target_read(prog->target, addr, hdr, hsize));
	int64_t len;
	uint32_t state;
	memcpy(&len, hdr + LV(prog, PyASCIIObject_length), 8);
	memcpy(&state, hdr + LV(prog, PyASCIIObject_state), 4);
	if (len < 0 || len > MAX_STR_LENGTH)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"str at 0x%llx has an impossible length %lld",
			(unsigned long long)addr, (long long)len);
	unsigned kind = field_bits(state, LV(prog, PyASCIIObject_state_kind));
	bool compact = field_bits(state, LV(prog, PyASCIIObject_state_compact));
	bool ascii = field_bits(state, LV(prog, PyASCIIObject_state_ascii));
	if (HAS(prog, PyASCIIObject_state_ready) &&
	    !field_bits(state, LV(prog, PyASCIIObject_state_ready)))
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"str at 0x%llx is a legacy string that is not ready",
			(unsigned long long)addr);
	if (kind != 1 && kind != 2 && kind != 4)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"str at 0x%llx has an impossible kind %u",
			(unsigned long long)addr, kind);
	uint64_t data;
	if (compact && ascii)
		data = addr + (uint64_t)LV(prog, PyASCIIObject);
	else if (compact)
		data = addr + (uint64_t)LV(prog, PyCompactUnicodeObject);
	else
		PYX_TRY(read_ptr(prog, addr + LV(prog, PyUnicodeObject_data), &data));
	ret->addr = addr;
	ret->data = data;
	ret->kind = kind;
	ret->length = (size_t)len;
	return NULL;
}

struct pyx_error *str_view_read(struct pyx_program *prog, const struct str_view *v,
				size_t first, size_t n, uint32_t *out)
{
	if (first > v->length || n > v->length - first)
		return pyx_error_create(PYX_ERR_INVALID_ARGUMENT,
			"code points %zu..%zu of a str of %zu", first, first + n, v->length);
	/* Through a buffer of at most 256 KiB: memory stays bounded by what
	 * is asked for, and big reads still go to the target in one piece. */
	size_t per = (256u << 10) / v->kind;
	if (per > n)
		per = n;
	uint8_t *raw = malloc(per * v->kind + 1);
	if (!raw)
		return pyx_error_no_memory();
	for (size_t done = 0; done < n;) {
		size_t m = n - done < per ? n - done : per;
		struct pyx_error *err = pyx_target_read(prog->target,
			v->data + (first + done) * v->kind, raw, m * v->kind);
		if (err) {
			free(raw);
			return err;
		}
		for (size_t i = 0; i < m; i++) {
			if (v->kind == 1) {
				out[done + i] = raw[i];
			} else if (v->kind == 2) {
				uint16_t c;
				memcpy(&c, raw + 2 * i, 2);
				out[done + i] = c;
			} else {
				uint32_t c;
				memcpy(&c, raw + 4 * i, 4);
				out[done + i] = c;
			}
		}
		done += m;
	}
	free(raw);
	return NULL;
}

struct pyx_error *str_read(struct pyx_program *prog, uint64_t addr, size_t max,
			   uint32_t **cps, size_t *n, size_t *length)
{
	struct str_view v;
	PYX_TRY(str_view(prog, addr, &v));
	size_t count = v.length < max ? v.length : max;
	if (count > MAX_STR_READ)
		return pyx_error_create(PYX_ERR_LIMIT, "str at 0x%llx: %zu characters are "
			"more than pyxray decodes at once", (unsigned long long)addr, count);
	uint32_t *out = malloc((count + 1) * sizeof(*out));
	if (!out)
		return pyx_error_no_memory();
	struct pyx_error *err = str_view_read(prog, &v, 0, count, out);
	if (err) {
		free(out);
		return err;
	}
	*cps = out;
	*n = count;
	*length = v.length;
	return NULL;
}

struct pyx_error *object_str_utf8(struct pyx_program *prog, uint64_t addr,
				  size_t max, char **ret)
{
	uint32_t *cps;
	size_t n, length;
	PYX_TRY(str_read(prog, addr, max, &cps, &n, &length));
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = cps[i];
		strbuf_put_utf8(&sb, (c >= 0xd800 && c <= 0xdfff) ? 0xfffd : c);
	}
	free(cps);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *str_equals(struct pyx_program *prog, uint64_t addr,
			     const char *s, bool *ret)
{
	size_t want = strlen(s);
	uint32_t *cps;
	size_t n, length;
	/* Compare as UTF-8 via code points: fine for the ASCII names we
	 * look up (attributes, module names). */
	PYX_TRY(str_read(prog, addr, want + 1, &cps, &n, &length));
	bool eq = length == want;
	for (size_t i = 0; eq && i < n; i++)
		eq = cps[i] == (unsigned char)s[i];
	free(cps);
	*ret = eq;
	return NULL;
}

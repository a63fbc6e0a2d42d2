/* numbers.c - int (any size, both digit layouts), float, and the item
 * arrays of tuples, lists and bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects/object.h"
#include "util/strbuf.h"

#define MAX_INT_DIGITS (1ull << 24)
#define MAX_ITEMS (1ll << 31)

struct pyx_error *long_digits(struct pyx_program *prog, uint64_t addr,
			      uint64_t *ndigits, int *sign)
{
	if (HAS(prog, PyLongObject_lv_tag)) {
		uint64_t tag;
		PYX_TRY(read_ptr(prog, addr + LV(prog, PyLongObject_lv_tag), &tag));
		*ndigits = tag >> LV(prog, _PyLong_NON_SIZE_BITS);
		unsigned s = tag & 3;
		*sign = s == 0 ? 1 : s == 1 ? 0 : -1;
		if (s == 3)
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"int at 0x%llx has an impossible sign",
				(unsigned long long)addr);
	} else {
		int64_t size;
		PYX_TRY(var_size(prog, addr, &size));
		*sign = size > 0 ? 1 : size < 0 ? -1 : 0;
		*ndigits = size < 0 ? 0 - (uint64_t)size : (uint64_t)size;
	}
	if (*ndigits > MAX_INT_DIGITS)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"int at 0x%llx has an impossible size",
			(unsigned long long)addr);
	if (*sign == 0)
		*ndigits = 0;
	return NULL;
}

static struct pyx_error *read_digits(struct pyx_program *prog, uint64_t addr,
				     uint64_t n, uint32_t **ret)
{
	uint32_t *d = malloc((n ? n : 1) * sizeof(*d));
	if (!d)
		return pyx_error_no_memory();
	struct pyx_error *err = pyx_target_read(prog->target,
		addr + LV(prog, PyLongObject_ob_digit), d, n * sizeof(*d));
	if (err) {
		free(d);
		return err;
	}
	*ret = d;
	return NULL;
}

struct pyx_error *long_value(struct pyx_program *prog, uint64_t addr,
			     int64_t *ret, bool *fits)
{
	uint64_t n;
	int sign;
	PYX_TRY(long_digits(prog, addr, &n, &sign));
	unsigned shift = (unsigned)LV(prog, PyLong_SHIFT);
	*fits = false;
	if (n * shift > 64 + shift)
		return NULL;
	uint32_t *d;
	PYX_TRY(read_digits(prog, addr, n, &d));
	uint64_t v = 0;
	bool overflow = false;
	for (uint64_t i = n; i-- > 0 && !overflow;) {
		if (v > (UINT64_MAX >> shift))
			overflow = true;
		else
			v = (v << shift) | (d[i] & ((1u << shift) - 1));
	}
	free(d);
	if (overflow)
		return NULL;
	if (sign < 0) {
		*fits = v <= (uint64_t)INT64_MAX + 1;
		*ret = *fits ? (int64_t)(0 - v) : 0;
	} else {
		*fits = v <= (uint64_t)INT64_MAX;
		*ret = *fits ? (int64_t)v : 0;
	}
	return NULL;
}

struct pyx_error *long_decimal(struct pyx_program *prog, uint64_t addr,
			       size_t max_digits, char **ret)
{
	uint64_t n;
	int sign;
	PYX_TRY(long_digits(prog, addr, &n, &sign));
	unsigned shift = (unsigned)LV(prog, PyLong_SHIFT);
	/* log10(2) ~ 0.30103: decimal digits needed. */
	uint64_t approx = (uint64_t)((double)n * shift * 0.30103) + 1;
	if (approx > max_digits) {
		char *s;
		if (asprintf(&s, "<int with about %llu digits>",
			     (unsigned long long)approx) < 0)
			return pyx_error_no_memory();
		*ret = s;
		return NULL;
	}
	uint32_t *d;
	PYX_TRY(read_digits(prog, addr, n, &d));
	/* Repeatedly fold base-2^shift digits into base-10^9 limbs. */
	size_t cap = (size_t)(approx / 9) + 2, used = 0;
	uint32_t *limbs = calloc(cap, sizeof(*limbs));
	if (!limbs) {
		free(d);
		return pyx_error_no_memory();
	}
	for (uint64_t i = n; i-- > 0;) {
		uint64_t carry = d[i] & ((1u << shift) - 1);
		for (size_t j = 0; j < used; j++) {
			uint64_t z = ((uint64_t)limbs[j] << shift) + carry;
			limbs[j] = (uint32_t)(z % 1000000000u);
			carry = z / 1000000000u;
		}
		while (carry && used < cap) {
			limbs[used++] = (uint32_t)(carry % 1000000000u);
			carry /= 1000000000u;
		}
	}
	free(d);
	struct strbuf sb = STRBUF_INIT;
	if (sign < 0)
		strbuf_putc(&sb, '-');
	if (!used) {
		strbuf_putc(&sb, '0');
	} else {
		strbuf_printf(&sb, "%u", limbs[used - 1]);
		for (size_t j = used - 1; j-- > 0;)
			strbuf_printf(&sb, "%09u", limbs[j]);
	}
	free(limbs);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *float_value(struct pyx_program *prog, uint64_t addr, double *ret)
{
	return pyx_target_read(prog->target, addr + LV(prog, PyFloatObject_ob_fval),
			       ret, sizeof(*ret));
}

struct pyx_error *sequence_items(struct pyx_program *prog, uint64_t addr,
				 bool is_list, size_t max, uint64_t **items,
				 size_t *n, size_t *total)
{
	return sequence_items_at(prog, addr, is_list, 0, max, items, n, total);
}

struct pyx_error *sequence_items_at(struct pyx_program *prog, uint64_t addr,
				    bool is_list, size_t first, size_t max,
				    uint64_t **items, size_t *n, size_t *total)
{
	int64_t size;
	PYX_TRY(var_size(prog, addr, &size));
	if (size < 0 || size > MAX_ITEMS)
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"%s at 0x%llx has an impossible size %lld",
			is_list ? "list" : "tuple", (unsigned long long)addr,
			(long long)size);
	uint64_t base;
	if (is_list) {
		int64_t allocated;
		PYX_TRY(read_ptr(prog, addr + LV(prog, PyListObject_ob_item), &base));
		PYX_TRY(read_i64(prog, addr + LV(prog, PyListObject_allocated), &allocated));
		if (allocated < size || (size && !base))
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"list at 0x%llx is inconsistent (size %lld, allocated %lld)",
				(unsigned long long)addr, (long long)size,
				(long long)allocated);
	} else {
		base = addr + (uint64_t)LV(prog, PyTupleObject_ob_item);
	}
	size_t left = first < (size_t)size ? (size_t)size - first : 0;
	size_t count = left < max ? left : max;
	if (count > PYX_MAX_READ / 8)
		return pyx_error_create(PYX_ERR_LIMIT, "%s at 0x%llx: %zu items are more "
			"than pyxray reads at once", is_list ? "list" : "tuple",
			(unsigned long long)addr, count);
	uint64_t *v = malloc((count ? count : 1) * sizeof(*v));
	if (!v)
		return pyx_error_no_memory();
	struct pyx_error *err = pyx_target_read(prog->target, base + first * 8, v, count * 8);
	if (err) {
		free(v);
		return err;
	}
	*items = v;
	*n = count;
	*total = (size_t)size;
	return NULL;
}

struct pyx_error *bytes_read(struct pyx_program *prog, uint64_t addr, size_t max,
			     uint8_t **data, size_t *n, size_t *length)
{
	int64_t size;
	PYX_TRY(var_size(prog, addr, &size));
	if (size < 0 || size > (1ll << 40))
		return pyx_error_create(PYX_ERR_INVALID_OBJECT,
			"bytes at 0x%llx has an impossible size %lld",
			(unsigned long long)addr, (long long)size);
	size_t count = (size_t)size < max ? (size_t)size : max;
	if (count > PYX_MAX_READ)
		return pyx_error_create(PYX_ERR_LIMIT, "bytes at 0x%llx: %zu bytes are more "
			"than pyxray reads at once", (unsigned long long)addr, count);
	uint8_t *b = malloc(count ? count : 1);
	if (!b)
		return pyx_error_no_memory();
	struct pyx_error *err = pyx_target_read(prog->target,
		addr + LV(prog, PyBytesObject_ob_sval), b, count);
	if (err) {
		free(b);
		return err;
	}
	*data = b;
	*n = count;
	*length = (size_t)size;
	return NULL;
}

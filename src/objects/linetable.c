/* linetable.c - decoding the three line-number formats CPython has used:
 * co_lnotab (3.8, 3.9), the 3.10 co_linetable, and the 3.11+ location
 * table (Objects/locations.md). */
#include <stdbool.h>
#include <stdlib.h>

#include "objects/linetable.h"
#include "objects/object.h"

#define MAX_TABLE (16u << 20)

int lnotab_addr2line(const uint8_t *tab, size_t n, int firstlineno, int addr)
{
	int line = firstlineno, a = 0;
	for (size_t i = 0; i + 1 < n; i += 2) {
		a += tab[i];
		if (a > addr)
			break;
		line += (int8_t)tab[i + 1];
	}
	return line;
}

int linetable310_addr2line(const uint8_t *tab, size_t n, int firstlineno, int addr)
{
	/* Pairs (start delta, line delta); line delta -128 means no line.
	 * Empty ranges still move the line. */
	int computed = firstlineno, start = 0, end = 0, line;
	for (size_t i = 0; i + 1 < n; i += 2) {
		start = end;
		end += tab[i];
		int8_t ld = (int8_t)tab[i + 1];
		if (ld != -128) {
			computed += ld;
			line = computed;
		} else {
			line = -1;
		}
		if (start <= addr && addr < end)
			return line;
	}
	return -1;
}

static size_t read_varint(const uint8_t *tab, size_t n, size_t i, unsigned *ret)
{
	unsigned v = 0, shift = 0;
	while (i < n) {
		uint8_t b = tab[i++];
		v |= (unsigned)(b & 63) << shift;
		shift += 6;
		if (!(b & 64) || shift > 30)
			break;
	}
	*ret = v;
	return i;
}

static size_t read_svarint(const uint8_t *tab, size_t n, size_t i, int *ret)
{
	unsigned u;
	i = read_varint(tab, n, i, &u);
	*ret = (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
	return i;
}

int locations_addr2line(const uint8_t *tab, size_t n, int firstlineno, int addr)
{
	int computed = firstlineno;
	int start = 0, end = 0; /* in bytes */
	size_t i = 0;
	while (i < n) {
		uint8_t first = tab[i];
		if (!(first & 128))
			return -1; /* malformed */
		int code = (first >> 3) & 15;
		int units = (first & 7) + 1;
		int delta = 0;
		bool no_line = code == 15;
		if (code == 14 || code == 13)
			read_svarint(tab, n, i + 1, &delta);
		else if (code >= 10 && code <= 12)
			delta = code - 10;
		computed += delta;
		start = end;
		end += units * 2;
		if (start <= addr && addr < end)
			return no_line ? -1 : computed;
		/* Skip to the next entry: the next byte with the high bit set. */
		i++;
		while (i < n && !(tab[i] & 128))
			i++;
	}
	return -1;
}

void lnotab_ranges(const uint8_t *tab, size_t n, int firstlineno, int code_len,
		   line_range_fn visit, void *arg)
{
	int line = firstlineno, a = 0, start = 0;
	for (size_t i = 0; i + 1 < n; i += 2) {
		a += tab[i];
		if (a > start) {
			visit(arg, start, a, line);
			start = a;
		}
		line += (int8_t)tab[i + 1];
	}
	if (code_len > start)
		visit(arg, start, code_len, line);
}

void linetable310_ranges(const uint8_t *tab, size_t n, int firstlineno,
			 line_range_fn visit, void *arg)
{
	int computed = firstlineno, end = 0;
	for (size_t i = 0; i + 1 < n; i += 2) {
		int start = end;
		end += tab[i];
		int8_t ld = (int8_t)tab[i + 1];
		if (ld != -128)
			computed += ld;
		if (end > start)
			visit(arg, start, end, ld != -128 ? computed : -1);
	}
}

void locations_ranges(const uint8_t *tab, size_t n, int firstlineno,
		      line_range_fn visit, void *arg)
{
	int computed = firstlineno, end = 0;
	size_t i = 0;
	while (i < n) {
		uint8_t first = tab[i];
		if (!(first & 128))
			return; /* malformed */
		int code = (first >> 3) & 15;
		int delta = 0;
		if (code == 14 || code == 13)
			read_svarint(tab, n, i + 1, &delta);
		else if (code >= 10 && code <= 12)
			delta = code - 10;
		computed += delta;
		int start = end;
		end += ((first & 7) + 1) * 2;
		visit(arg, start, end, code == 15 ? -1 : computed);
		i++;
		while (i < n && !(tab[i] & 128))
			i++;
	}
}

static struct pyx_error *code_table(struct pyx_program *prog, uint64_t code,
				    int32_t *first, uint8_t **tab, size_t *n)
{
	uint64_t table;
	size_t length;
	PYX_TRY(read_i32(prog, code + LV(prog, PyCodeObject_co_firstlineno), first));
	bool lnotab = HAS(prog, PyCodeObject_co_lnotab);
	PYX_TRY(read_ptr(prog, code + (lnotab ? LV(prog, PyCodeObject_co_lnotab)
						: LV(prog, PyCodeObject_co_linetable)), &table));
	return bytes_read(prog, table, MAX_TABLE, tab, n, &length);
}

struct pyx_error *code_line_ranges(struct pyx_program *prog, uint64_t code,
				   int code_len, line_range_fn visit, void *arg)
{
	int32_t first;
	uint8_t *tab;
	size_t n;
	PYX_TRY(code_table(prog, code, &first, &tab, &n));
	if (HAS(prog, PyCodeObject_co_lnotab))
		lnotab_ranges(tab, n, first, code_len, visit, arg);
	else if (prog->minor == 10)
		linetable310_ranges(tab, n, first, visit, arg);
	else
		locations_ranges(tab, n, first, visit, arg);
	free(tab);
	return NULL;
}

struct pyx_error *code_addr2line(struct pyx_program *prog, uint64_t code,
				 int64_t addr, int *line)
{
	int32_t first;
	uint8_t *tab;
	size_t n;
	if (addr < 0)
		return read_i32(prog, code + LV(prog, PyCodeObject_co_firstlineno), line);
	PYX_TRY(code_table(prog, code, &first, &tab, &n));
	if (HAS(prog, PyCodeObject_co_lnotab))
		*line = lnotab_addr2line(tab, n, first, (int)addr);
	else if (prog->minor == 10)
		*line = linetable310_addr2line(tab, n, first, (int)addr);
	else
		*line = locations_addr2line(tab, n, first, (int)addr);
	free(tab);
	return NULL;
}

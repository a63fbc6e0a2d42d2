/* test_decoders.c - the pure decoders: line tables (against vectors from
 * real CPython builds), and repr() of floats, str and bytes, and JSON
 * strings (against what CPython's repr() prints). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "objects/linetable.h"
#include "linetable_vectors.h"
#include "objects/repr.h"
#include "util/strbuf.h"

/* ---- line tables -------------------------------------------------------- */

static int decode(enum linetable_format f, const uint8_t *tab, size_t n,
		  int firstlineno, int addr)
{
	switch (f) {
	case LT_LNOTAB:
		return lnotab_addr2line(tab, n, firstlineno, addr);
	case LT_310:
		return linetable310_addr2line(tab, n, firstlineno, addr);
	case LT_LOCATIONS:
		return locations_addr2line(tab, n, firstlineno, addr);
	}
	return -2;
}

/* A copy of the first n bytes in a buffer of exactly n bytes, so that
 * ASan sees any read past the table. */
static uint8_t *exact_copy(const uint8_t *tab, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	if (!p)
		abort();
	memcpy(p, tab, n);
	return p;
}

/* Every offset of every code object gives the line CPython gives. */
static void test_linetable_vectors(void)
{
	size_t nvec = sizeof(linetable_vectors) / sizeof(linetable_vectors[0]);
	CHECK(nvec >= 30);
	bool seen[3] = { false, false, false };
	for (size_t v = 0; v < nvec; v++) {
		const struct linetable_vector *lv = &linetable_vectors[v];
		seen[lv->format] = true;
		uint8_t *tab = exact_copy(lv->table, lv->table_len);
		size_t bad = 0, first_bad = 0;
		int got_first = 0;
		for (size_t i = 0; i < lv->nlines; i++) {
			int got = decode(lv->format, tab, lv->table_len,
					 lv->firstlineno, (int)(2 * i));
			if (got != lv->lines[i] && bad++ == 0) {
				first_bad = i;
				got_first = got;
			}
		}
		if (!CHECK_EQ_INT(bad, 0))
			printf("    %s %s: %zu of %zu offsets wrong; offset %zu: "
			       "got %d, CPython says %d\n", lv->python, lv->name, bad,
			       lv->nlines, 2 * first_bad, got_first,
			       lv->lines[first_bad]);
		free(tab);
	}
	CHECK(seen[LT_LNOTAB] && seen[LT_310] && seen[LT_LOCATIONS]);
}

/* The range walkers (py-break's "which lines does this code have") agree
 * with addr2line at every offset, and their ranges follow each other. */
struct range_check {
	const struct linetable_vector *lv;
	int next_start;
	size_t bad, ranges;
};

static void range_visit(void *arg, int start, int end, int line)
{
	struct range_check *rc = arg;
	rc->ranges++;
	if (start != rc->next_start || end <= start)
		rc->bad++;
	rc->next_start = end;
	for (int a = start; a < end; a += 2) {
		size_t i = (size_t)a / 2;
		if (i < rc->lv->nlines && rc->lv->lines[i] != line)
			rc->bad++;
	}
}

static void test_linetable_ranges(void)
{
	size_t nvec = sizeof(linetable_vectors) / sizeof(linetable_vectors[0]);
	for (size_t v = 0; v < nvec; v++) {
		const struct linetable_vector *lv = &linetable_vectors[v];
		uint8_t *tab = exact_copy(lv->table, lv->table_len);
		struct range_check rc = { .lv = lv };
		int code_len = (int)(2 * lv->nlines);
		switch (lv->format) {
		case LT_LNOTAB:
			lnotab_ranges(tab, lv->table_len, lv->firstlineno, code_len,
				      range_visit, &rc);
			break;
		case LT_310:
			linetable310_ranges(tab, lv->table_len, lv->firstlineno,
					    range_visit, &rc);
			break;
		case LT_LOCATIONS:
			locations_ranges(tab, lv->table_len, lv->firstlineno,
					 range_visit, &rc);
			break;
		}
		if (!CHECK_EQ_INT(rc.bad, 0) || !CHECK(rc.next_start >= code_len))
			printf("    %s %s: ranges disagree with the lines CPython gives\n",
			       lv->python, lv->name);
		CHECK(rc.ranges > 0 || lv->nlines == 0);
		free(tab);
	}
}

/* Past the end of the code: the 3.10+ tables say "no line"; lnotab keeps
 * the last line (as CPython 3.8 does). */
static void test_linetable_past_end(void)
{
	size_t nvec = sizeof(linetable_vectors) / sizeof(linetable_vectors[0]);
	for (size_t v = 0; v < nvec; v++) {
		const struct linetable_vector *lv = &linetable_vectors[v];
		if (!lv->nlines)
			continue;
		int end = (int)(2 * lv->nlines) + 1000;
		int got = decode(lv->format, lv->table, lv->table_len, lv->firstlineno, end);
		if (lv->format == LT_LNOTAB)
			CHECK_EQ_INT(got, lv->lines[lv->nlines - 1]);
		else
			CHECK_EQ_INT(got, -1);
	}
}

/* Truncated and empty tables: any answer, but no read outside them. */
static void test_linetable_truncated(void)
{
	size_t nvec = sizeof(linetable_vectors) / sizeof(linetable_vectors[0]);
	size_t calls = 0;
	for (size_t v = 0; v < nvec; v++) {
		const struct linetable_vector *lv = &linetable_vectors[v];
		size_t step = lv->table_len > 64 ? lv->table_len / 16 : 1;
		for (size_t n = 0; n < lv->table_len; n += step) {
			uint8_t *tab = exact_copy(lv->table, n);
			for (size_t i = 0; i < lv->nlines; i += 7) {
				int got = decode(lv->format, tab, n, lv->firstlineno, (int)(2 * i));
				calls++;
				if (got < -1 || got > 100000) {
					CHECK(got >= -1 && got <= 100000);
					break;
				}
			}
			free(tab);
		}
	}
	CHECK(calls > 0);
	/* Empty tables. */
	CHECK_EQ_INT(lnotab_addr2line(NULL, 0, 10, 0), 10);
	CHECK_EQ_INT(lnotab_addr2line(NULL, 0, 10, 100), 10);
	CHECK_EQ_INT(linetable310_addr2line(NULL, 0, 10, 0), -1);
	CHECK_EQ_INT(locations_addr2line(NULL, 0, 10, 0), -1);
}

/* Hand-made entries of the 3.11 location table (Objects/locations.md). */
static void test_locations_forms(void)
{
	const uint8_t tab[] = {
		0x80 | (13 << 3) | 0, 0x04,          /* no columns, line +2, 1 unit */
		0x80 | (14 << 3) | 1, 0x03, 0, 1, 5, /* long form, line -1, 2 units */
		0x80 | (11 << 3) | 0, 3, 9,          /* one-line form, +1, 1 unit */
		0x80 | (5 << 3) | 2, 0x12,           /* short form, same line, 3 units */
		0x80 | (15 << 3) | 0,                /* no location, 1 unit */
		0x80 | (13 << 3) | 0, 0x41, 0x02,    /* two-byte varint: line -64 */
	};
	CHECK_EQ_INT(locations_addr2line(tab, sizeof(tab), 100, 0), 102);
	CHECK_EQ_INT(locations_addr2line(tab, sizeof(tab), 100, 2), 101);
	CHECK_EQ_INT(locations_addr2line(tab, sizeof(tab), 100, 4), 101);
	CHECK_EQ_INT(locations_addr2line(tab, sizeof(tab), 100, 6), 102);
	CHECK_EQ_INT(locations_addr2line(tab, sizeof(tab), 100, 8), 102);
	CHECK_EQ_INT(locations_addr2line(tab, sizeof(tab), 100, 12), 102);
	CHECK_EQ_INT(locations_addr2line(tab, sizeof(tab), 100, 14), -1);
	/* 0x41 0x02: 1 | (2 << 6) = 129, odd: -(129 >> 1) = -64. */
	CHECK_EQ_INT(locations_addr2line(tab, sizeof(tab), 100, 16), 38);
	CHECK_EQ_INT(locations_addr2line(tab, sizeof(tab), 100, 18), -1);
}

/* ---- repr of floats ------------------------------------------------------ */

struct float_case {
	double v;
	const char *want;   /* repr() in CPython 3.11 */
};

static const struct float_case float_cases[] = {
	{ 0.0, "0.0" },
	{ -0.0, "-0.0" },
	{ 1.0, "1.0" },
	{ -1.0, "-1.0" },
	{ 0.1, "0.1" },
	{ 0.2, "0.2" },
	{ 0.30000000000000004, "0.30000000000000004" },
	{ 1.0 / 3, "0.3333333333333333" },
	{ 2.0 / 3, "0.6666666666666666" },
	{ -2.0 / 3, "-0.6666666666666666" },
	{ 1e16, "1e+16" },
	{ 1e15, "1000000000000000.0" },
	{ 9999999999999998.0, "9999999999999998.0" },
	{ 1e17, "1e+17" },
	{ 123456789012345678.0, "1.2345678901234568e+17" },
	{ 1e-5, "1e-05" },
	{ 0.0001, "0.0001" },
	{ 0.001, "0.001" },
	{ 1.5e-7, "1.5e-07" },
	{ 123456789.123, "123456789.123" },
	{ 1.5, "1.5" },
	{ 100.0, "100.0" },
	{ 1e22, "1e+22" },
	{ 1e23, "1e+23" },
	{ 2.5e-308, "2.5e-308" },
	{ 5e-324, "5e-324" },
	{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
	{ 1.7976931348623157e308, "1.7976931348623157e+308" },
	{ M_PI, "3.141592653589793" },
	{ M_E, "2.718281828459045" },
	{ 1e100, "1e+100" },
	{ -1.2345678901234567e-300, "-1.2345678901234568e-300" },
	{ 123.456, "123.456" },
	{ 4.35, "4.35" },
	{ 0x1p53, "9007199254740992.0" },
	{ 0x1p53 + 2, "9007199254740994.0" },
	{ 0.5, "0.5" },
	{ 12345678901234567890.0, "1.2345678901234567e+19" },
	{ INFINITY, "inf" },
	{ -INFINITY, "-inf" },
	{ NAN, "nan" },
	{ 0x1p-24, "5.960464477539063e-08" },
	{ 0x1p-44, "5.684341886080802e-14" },
	{ 0x1p89, "6.189700196426902e+26" },
	{ -NAN, "nan" },
};

static void test_repr_float(void)
{
	size_t n = sizeof(float_cases) / sizeof(float_cases[0]);
	CHECK(n >= 40);
	for (size_t i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		repr_float(float_cases[i].v, &sb);
		CHECK(!sb.oom);
		if (!check_report(sb.s && strcmp(sb.s, float_cases[i].want) == 0,
				  __FILE__, __LINE__, "repr_float(%.17g) = \"%s\", CPython "
				  "says \"%s\"", float_cases[i].v, sb.s ? sb.s : "(null)",
				  float_cases[i].want)) {
			strbuf_release(&sb);
			continue;
		}
		/* The text reads back as the same double. */
		if (isfinite(float_cases[i].v))
			CHECK(strtod(sb.s, NULL) == float_cases[i].v);
		strbuf_release(&sb);
	}
}

/* The fewest significant digits that read back as v: the correctly
 * rounded p-digit string, or one next to it, for the smallest p. */
static int min_digits(double v)
{
	for (int p = 1; p <= 17; p++) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%.*e", p - 1, fabs(v));
		char *e = strchr(buf, 'e');
		int exp = atoi(e + 1);
		unsigned long long m = 0;
		for (char *s = buf; s < e; s++)
			if (*s != '.')
				m = m * 10 + (unsigned long long)(*s - '0');
		for (int d = -1; d <= 1; d++) {
			snprintf(buf, sizeof(buf), "%llue%d", m + (unsigned long long)d,
				 exp - (p - 1));
			if (strtod(buf, NULL) == fabs(v))
				return p;
		}
	}
	return 17;
}

/* Significant digits in a repr: "1.2e+16" -> 2, "100.0" -> 1. */
static int repr_digits(const char *s)
{
	char digits[64];
	int n = 0;
	for (; *s && *s != 'e' && n < 63; s++)
		if (*s >= '0' && *s <= '9' && (n || *s != '0'))
			digits[n++] = *s;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	return n;
}

static bool repr_is_shortest(double v, int *got, int *want)
{
	struct strbuf sb = STRBUF_INIT;
	repr_float(v, &sb);
	bool ok = sb.s && strtod(sb.s, NULL) == v;
	*got = sb.s ? repr_digits(sb.s) : 0;
	*want = min_digits(v);
	strbuf_release(&sb);
	return ok && *got == *want;
}

/* CPython's repr gives the shortest digits that read back, also where the
 * interval of values that round to v is lopsided (powers of two). */
static void test_repr_float_shortest_powers_of_two(void)
{
	int wrong = 0, first = 0, got = 0, want = 0;
	for (int e = -1074; e <= 1023; e++) {
		int g, w;
		if (!repr_is_shortest(ldexp(1.0, e), &g, &w) && wrong++ == 0) {
			first = e;
			got = g;
			want = w;
		}
	}
	if (!CHECK_EQ_INT(wrong, 0))
		printf("    %d powers of two are not shortest; first 2**%d: "
		       "%d digits, %d needed\n", wrong, first, got, want);
}

static void test_repr_float_shortest_random(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int wrong = 0;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double v;
		memcpy(&v, &x, sizeof(v));
		if (!isfinite(v))
			continue;
		int g, w;
		if (!repr_is_shortest(v, &g, &w) && wrong++ == 0)
			printf("    %.17g: %d digits, %d needed\n", v, g, w);
	}
	CHECK_EQ_INT(wrong, 0);
}

/* ---- repr of str and bytes ----------------------------------------------- */

struct str_case {
	size_t n;
	uint32_t cps[8];
	const char *want;   /* repr() in CPython 3.11, as UTF-8 */
};

static const struct str_case str_cases[] = {
	{ 5, { 0x68, 0x65, 0x6c, 0x6c, 0x6f }, "'hello'" },
	{ 4, { 0x69, 0x74, 0x27, 0x73 }, "\"it's\"" },
	{ 8, { 0x73, 0x61, 0x79, 0x20, 0x22, 0x68, 0x69, 0x22 }, "'say \"hi\"'" },
	{ 8, { 0x69, 0x74, 0x27, 0x73, 0x20, 0x22, 0x78, 0x22 }, "'it\\'s \"x\"'" },
	{ 3, { 0x61, 0x5c, 0x62 }, "'a\\\\b'" },
	{ 6, { 0x9, 0xa, 0xd, 0x0, 0x1f, 0x7f }, "'\\t\\n\\r\\x00\\x1f\\x7f'" },
	{ 7, { 0x63, 0x61, 0x66, 0xe9, 0x20, 0xf1, 0xfc }, "'caf\xc3\xa9 \xc3\xb1\xc3\xbc'" },
	{ 1, { 0xa0 }, "'\\xa0'" },
	{ 1, { 0xad }, "'\\xad'" },
	{ 1, { 0x85 }, "'\\x85'" },
	{ 1, { 0x200b }, "'\\u200b'" },
	{ 1, { 0x2028 }, "'\\u2028'" },
	{ 1, { 0x3000 }, "'\\u3000'" },
	{ 1, { 0xfeff }, "'\\ufeff'" },
	{ 2, { 0xd800, 0xdfff }, "'\\ud800\\udfff'" },
	{ 1, { 0x1f600 }, "'\xf0\x9f\x98\x80'" },
	{ 1, { 0xe0001 }, "'\\U000e0001'" },
	{ 1, { 0x10ffff }, "'\\U0010ffff'" },
	{ 4, { 0x3a9, 0x3c0, 0x4e2d, 0x6587 }, "'\xce\xa9\xcf\x80\xe4\xb8\xad\xe6\x96\x87'" },
	{ 2, { 0x65, 0x301 }, "'e\xcc\x81'" },
	{ 0, { 0 }, "''" },
	{ 1, { 0x27 }, "\"'\"" },
	{ 1, { 0x22 }, "'\"'" },
	{ 3, { 0x27, 0x22, 0x5c }, "'\\'\"\\\\'" },
	{ 6, { 0x78, 0x1f40d, 0x79, 0x20ac, 0xff, 0x80 }, "'x\xf0\x9f\x90\x8dy\xe2\x82\xac\xc3\xbf\\x80'" },
};

static void test_repr_str(void)
{
	size_t n = sizeof(str_cases) / sizeof(str_cases[0]);
	for (size_t i = 0; i < n; i++) {
		const struct str_case *c = &str_cases[i];
		struct strbuf sb = STRBUF_INIT;
		repr_str_cps(c->cps, c->n, c->n, &sb);
		check_report(sb.s && strcmp(sb.s, c->want) == 0, __FILE__, __LINE__,
			     "repr of str case %zu: got %s, CPython says %s", i,
			     sb.s ? sb.s : "(null)", c->want);
		strbuf_release(&sb);
	}
}

static void test_repr_str_truncated(void)
{
	const uint32_t cps[] = { 'a', 'b', 'c', 'd', 'e', 'f' };
	struct strbuf sb = STRBUF_INIT;
	repr_str_cps(cps, 3, 6, &sb);
	CHECK_STR_EQ(sb.s, "'abc'...(3 more)");
	strbuf_release(&sb);
	/* Nothing shown of a long string. */
	repr_str_cps(cps, 0, 1000000, &sb);
	CHECK_STR_EQ(sb.s, "''...(1000000 more)");
	strbuf_release(&sb);
	/* Cut in the middle of an escape-worthy tail: what is shown is whole. */
	const uint32_t tail[] = { 'x', 0x1f600, '\n', 0xd800 };
	repr_str_cps(tail, 2, 4, &sb);
	CHECK_STR_EQ(sb.s, "'x\xf0\x9f\x98\x80'...(2 more)");
	strbuf_release(&sb);
}

struct bytes_case {
	size_t n;
	uint8_t b[8];
	const char *want;   /* repr() in CPython 3.11 */
};

static const struct bytes_case bytes_cases[] = {
{ 0, { 0 }, "b''" },
	{ 3, { 0x61, 0x62, 0x63 }, "b'abc'" },
	{ 4, { 0x69, 0x74, 0x27, 0x73 }, "b\"it's\"" },
	{ 8, { 0x73, 0x61, 0x79, 0x20, 0x22, 0x68, 0x69, 0x22 }, "b'say \"hi\"'" },
	{ 7, { 0x62, 0x6f, 0x74, 0x68, 0x20, 0x27, 0x22 }, "b'both \\'\"'" },
	{ 1, { 0x5c }, "b'\\\\'" },
	{ 8, { 0x09, 0x0a, 0x0d, 0x00, 0x1f, 0x7f, 0x80, 0xff }, "b'\\t\\n\\r\\x00\\x1f\\x7f\\x80\\xff'" },
	{ 5, { 0x63, 0x61, 0x66, 0xc3, 0xa9 }, "b'caf\\xc3\\xa9'" },
};

/* repr(bytes(range(256))) in CPython 3.11. */
#define ALL_BYTES_REPR \
	"b'\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\t\\n\\x0b\\x" \
	"0c\\r\\x0e\\x0f\\x10\\x11\\x12\\x13\\x14\\x15\\x16\\x17\\x18\\" \
	"x19\\x1a\\x1b\\x1c\\x1d\\x1e\\x1f !\"#$%&\\'()*+,-./012345678" \
	"9:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqr" \
	"stuvwxyz{|}~\\x7f\\x80\\x81\\x82\\x83\\x84\\x85\\x86\\x87\\x8" \
	"8\\x89\\x8a\\x8b\\x8c\\x8d\\x8e\\x8f\\x90\\x91\\x92\\x93\\x94" \
	"\\x95\\x96\\x97\\x98\\x99\\x9a\\x9b\\x9c\\x9d\\x9e\\x9f\\xa0\\" \
	"xa1\\xa2\\xa3\\xa4\\xa5\\xa6\\xa7\\xa8\\xa9\\xaa\\xab\\xac\\x" \
	"ad\\xae\\xaf\\xb0\\xb1\\xb2\\xb3\\xb4\\xb5\\xb6\\xb7\\xb8\\xb" \
	"9\\xba\\xbb\\xbc\\xbd\\xbe\\xbf\\xc0\\xc1\\xc2\\xc3\\xc4\\xc5" \
	"\\xc6\\xc7\\xc8\\xc9\\xca\\xcb\\xcc\\xcd\\xce\\xcf\\xd0\\xd1\\" \
	"xd2\\xd3\\xd4\\xd5\\xd6\\xd7\\xd8\\xd9\\xda\\xdb\\xdc\\xdd\\x" \
	"de\\xdf\\xe0\\xe1\\xe2\\xe3\\xe4\\xe5\\xe6\\xe7\\xe8\\xe9\\xe" \
	"a\\xeb\\xec\\xed\\xee\\xef\\xf0\\xf1\\xf2\\xf3\\xf4\\xf5\\xf6" \
	"\\xf7\\xf8\\xf9\\xfa\\xfb\\xfc\\xfd\\xfe\\xff'"

static void test_repr_bytes(void)
{
	size_t n = sizeof(bytes_cases) / sizeof(bytes_cases[0]);
	for (size_t i = 0; i < n; i++) {
		const struct bytes_case *c = &bytes_cases[i];
		struct strbuf sb = STRBUF_INIT;
		repr_bytes(c->b, c->n, c->n, &sb);
		check_report(sb.s && strcmp(sb.s, c->want) == 0, __FILE__, __LINE__,
			     "repr of bytes case %zu: got %s, CPython says %s", i,
			     sb.s ? sb.s : "(null)", c->want);
		strbuf_release(&sb);
	}
	/* All 256 byte values, against CPython's repr(bytes(range(256))). */
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	struct strbuf sb = STRBUF_INIT;
	repr_bytes(all, sizeof(all), sizeof(all), &sb);
	CHECK_STR_EQ(sb.s, ALL_BYTES_REPR);
	strbuf_release(&sb);
	repr_bytes(&all['a'], 2, 200, &sb);
	CHECK_STR_EQ(sb.s, "b'ab'...(198 more)");
	strbuf_release(&sb);
}

/* ---- str.isprintable() ------------------------------------------------- */

/* A fingerprint of str.isprintable() over all code points in CPython 3.11
 * (Unicode 14.0.0): printable code points per plane, and the FNV-1a hash
 * of the bitmap (bit cp set when printable, least significant bit first). */
static void test_unicode_printable(void)
{
	static const unsigned want_planes[17] = {
		55506, 22959, 60872, 4939, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 240, 0, 0,
	};
	unsigned planes[17] = {0};
	uint64_t h = 0xcbf29ce484222325ull;
	for (uint32_t byte = 0; byte < 0x110000 / 8; byte++) {
		uint8_t bits = 0;
		for (uint32_t b = 0; b < 8; b++) {
			uint32_t cp = byte * 8 + b;
			if (unicode_is_printable(cp)) {
				bits |= (uint8_t)(1u << b);
				planes[cp >> 16]++;
			}
		}
		h = (h ^ bits) * 0x100000001b3ull;
	}
	for (int p = 0; p < 17; p++)
		if (!CHECK_EQ_INT(planes[p], want_planes[p]))
			printf("    plane %d\n", p);
	CHECK_EQ_U64(h, 0xd89a51cb6cfd7ce1ull);
	CHECK(!unicode_is_printable(0x110000));
	CHECK(!unicode_is_printable(UINT32_MAX));
}

/* ---- JSON strings -------------------------------------------------------- */

static void check_json(const char *in, size_t n, const char *want, int line)
{
	struct strbuf sb = STRBUF_INIT;
	json_string_n(&sb, in, n);
	check_report(sb.s && strcmp(sb.s, want) == 0, __FILE__, line,
		     "json_string_n: got %s, want %s", sb.s ? sb.s : "(null)", want);
	strbuf_release(&sb);
}

#define JSON(in, want) check_json((in), sizeof(in) - 1, (want), __LINE__)

static void test_json_string(void)
{
	JSON("plain", "\"plain\"");
	JSON("", "\"\"");
	JSON("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	JSON("\n\t\r", "\"\\n\\t\\r\"");
	JSON("\x01\x1f\b\f\x7f", "\"\\u0001\\u001f\\u0008\\u000c\\u007f\"");
	/* A NUL inside the given length is text like any other. */
	JSON("a\0b", "\"a\\u0000b\"");
	/* Valid UTF-8 goes through unchanged. */
	JSON("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80",
	     "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"");
	JSON("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");          /* U+10FFFF */
	/* Invalid bytes become U+FFFD, one for each byte not in a sequence. */
#define R "\xef\xbf\xbd"
	JSON("\xff", "\"" R "\"");
	JSON("a\x80z", "\"a" R "z\"");
	JSON("\xc3", "\"" R "\"");                              /* cut at the end */
	JSON("\xe2\x82", "\"" R R "\"");
	JSON("\xe2\x82z", "\"" R R "z\"");                      /* cut by ASCII */
	JSON("\xc0\x80", "\"" R R "\"");                        /* overlong NUL */
	JSON("\xe0\x80\xaf", "\"" R R R "\"");                  /* overlong '/' */
	JSON("\xed\xa0\x80", "\"" R R R "\"");                  /* a surrogate */
	JSON("\xf4\x90\x80\x80", "\"" R R R R "\"");            /* past U+10FFFF */
	JSON("\xf8\x88\x80\x80\x80", "\"" R R R R R "\"");      /* 5-byte form */
	JSON("\xc3\x28", "\"" R "(\"");
#undef R
	/* json_string stops at the NUL. */
	struct strbuf sb = STRBUF_INIT;
	json_string(&sb, "ab\0cd");
	CHECK_STR_EQ(sb.s, "\"ab\"");
	strbuf_release(&sb);
}

/* ---- strbuf --------------------------------------------------------------- */

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *s = NULL;
	/* An empty buffer finishes as "". */
	if (CHECK_OK(strbuf_finish(&sb, &s)))
		CHECK_STR_EQ(s, "");
	free(s);
	/* printf longer than its small buffer. */
	char big[1001];
	memset(big, 'z', 1000);
	big[1000] = '\0';
	strbuf_printf(&sb, "<%s|%d>", big, 42);
	CHECK_EQ_INT(sb.len, 1000 + 5);
	CHECK(sb.s && sb.s[0] == '<' && strcmp(sb.s + 1001, "|42>") == 0);
	strbuf_truncate(&sb, 3);
	CHECK_STR_EQ(sb.s, "<zz");
	strbuf_truncate(&sb, 10); /* longer: no change */
	CHECK_STR_EQ(sb.s, "<zz");
	strbuf_release(&sb);
	/* UTF-8 at every length boundary; beyond U+10FFFF becomes U+FFFD. */
	static const uint32_t cps[] = {
		0x7f, 0x80, 0x7ff, 0x800, 0xffff, 0x10000, 0x10ffff, 0x110000,
	};
	for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++)
		strbuf_put_utf8(&sb, cps[i]);
	CHECK_STR_EQ(sb.s, "\x7f" "\xc2\x80" "\xdf\xbf" "\xe0\xa0\x80"
		     "\xef\xbf\xbf" "\xf0\x90\x80\x80" "\xf4\x8f\xbf\xbf"
		     "\xef\xbf\xbd");
	strbuf_release(&sb);
	json_key(&sb, "k");
	json_hex(&sb, 0xdeadbeef);
	CHECK_STR_EQ(sb.s, "\"k\": \"0xdeadbeef\"");
	if (CHECK_OK(strbuf_finish(&sb, &s)))
		CHECK_STR_EQ(s, "\"k\": \"0xdeadbeef\"");
	free(s);
}

int main(void)
{
	RUN(test_linetable_vectors);
	RUN(test_linetable_past_end);
	RUN(test_linetable_ranges);
	RUN(test_linetable_truncated);
	RUN(test_locations_forms);
	RUN(test_repr_float);
	RUN(test_repr_float_shortest_powers_of_two);
	RUN(test_repr_float_shortest_random);
	RUN(test_repr_str);
	RUN(test_repr_str_truncated);
	RUN(test_repr_bytes);
	RUN(test_unicode_printable);
	RUN(test_json_string);
	RUN(test_strbuf);
	return check_finish();
}

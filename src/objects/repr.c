/* repr.c - safe reprs: bounded in depth, items and string length,
 * cycle-safe, and never trusting a pointer it has not checked.  For the
 * built-in types the text is what repr() prints in the process. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "objects/lock.h"
#include "objects/object.h"
#include "objects/repr.h"
#include "objects/typeinfo.h"

#define MAX_STACK 64

struct repr_ctx {
	struct pyx_program *prog;
	struct pyx_repr_limits lim;
	struct strbuf *sb;
	uint64_t stack[MAX_STACK];
	int depth;
	bool truncated;   /* a limit cut something short */
};

void repr_limits_normalize(struct pyx_repr_limits *l)
{
	if (l->max_depth <= 0)
		l->max_depth = REPR_DEFAULT_DEPTH;
	if (l->max_depth > REPR_MAX_DEPTH)
		l->max_depth = REPR_MAX_DEPTH;
	if (l->max_items <= 0)
		l->max_items = REPR_DEFAULT_ITEMS;
	if (l->max_string <= 0)
		l->max_string = REPR_DEFAULT_STRING;
}

/* ---- scalars ------------------------------------------------------------ */

/* Where the doubles around v are spaced unevenly (at powers of two), a
 * p-digit string next to the correctly rounded one may read back as v
 * when the correctly rounded one does not.  buf holds the correctly
 * rounded p-digit form ([-]d.ddde[+-]X); on success it is replaced. */
static bool shortest_neighbour(double v, int p, char *buf, size_t size)
{
	char *e = strchr(buf, 'e');
	if (!e || p > 17)
		return false;
	int exp = atoi(e + 1);
	const char *s = buf + (buf[0] == '-');
	unsigned long long m = 0;
	for (; s < e; s++)
		if (*s != '.')
			m = m * 10 + (unsigned long long)(*s - '0');
	unsigned long long lo = 1;
	for (int i = 1; i < p; i++)
		lo *= 10;
	for (int delta = -1; delta <= 1; delta += 2) {
		unsigned long long c = m + (unsigned long long)(long long)delta;
		if (c < lo || c >= lo * 10)
			continue; /* the digit count would change */
		char digits[24], cand[64];
		snprintf(digits, sizeof(digits), "%llu", c);
		snprintf(cand, sizeof(cand), "%s%c%s%s%se%d", v < 0 ? "-" : "", digits[0],
			 p > 1 ? "." : "", digits + 1, "", exp);
		if (strtod(cand, NULL) == v) {
			snprintf(buf, size, "%s", cand);
			return true;
		}
	}
	return false;
}

void repr_float(double v, struct strbuf *sb)
{
	if (isnan(v)) {
		strbuf_puts(sb, "nan");
		return;
	}
	if (isinf(v)) {
		strbuf_puts(sb, v < 0 ? "-inf" : "inf");
		return;
	}
	char buf[64];
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (strtod(buf, NULL) == v || shortest_neighbour(v, p, buf, sizeof(buf)))
			break;
	}
	/* buf: [-]d[.ddd]e[+-]XX */
	const char *s = buf;
	bool neg = *s == '-';
	if (neg)
		s++;
	char digits[32];
	size_t nd = 0;
	for (; *s && *s != 'e'; s++)
		if (*s != '.' && nd < sizeof(digits) - 1)
			digits[nd++] = *s;
	digits[nd] = '\0';
	int exp = *s == 'e' ? atoi(s + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	int decpt = exp + 1;
	if (neg)
		strbuf_putc(sb, '-');
	if (decpt > -4 && decpt <= 16) {
		if (decpt <= 0) {
			strbuf_puts(sb, "0.");
			for (int i = 0; i < -decpt; i++)
				strbuf_putc(sb, '0');
			strbuf_puts(sb, digits);
		} else if ((size_t)decpt >= nd) {
			strbuf_puts(sb, digits);
			for (size_t i = nd; i < (size_t)decpt; i++)
				strbuf_putc(sb, '0');
			strbuf_puts(sb, ".0");
		} else {
			strbuf_append(sb, digits, (size_t)decpt);
			strbuf_putc(sb, '.');
			strbuf_puts(sb, digits + decpt);
		}
	} else {
		strbuf_putc(sb, digits[0]);
		if (nd > 1) {
			strbuf_putc(sb, '.');
			strbuf_puts(sb, digits + 1);
		}
		strbuf_printf(sb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	}
}

/* repr() quotes with ' unless the text has ' and no ". */
static char str_quote(bool has_sq, bool has_dq)
{
	return (has_sq && !has_dq) ? '"' : '\'';
}

static void scan_quotes(const uint32_t *cps, size_t n, bool *has_sq, bool *has_dq)
{
	for (size_t i = 0; i < n; i++) {
		*has_sq |= cps[i] == '\'';
		*has_dq |= cps[i] == '"';
	}
}

/* Escaped text gathered in a small buffer and appended a piece at a time:
 * a repr of millions of characters is not millions of appends. */
struct outbuf {
	struct strbuf *sb;
	size_t n;
	char b[2048];
};

static void ob_flush(struct outbuf *o)
{
	strbuf_append(o->sb, o->b, o->n);
	o->n = 0;
}

static void ob_put(struct outbuf *o, const char *s, size_t n)
{
	if (o->n + n > sizeof(o->b))
		ob_flush(o);
	memcpy(o->b + o->n, s, n);
	o->n += n;
}

static void ob_putc(struct outbuf *o, char c)
{
	if (o->n == sizeof(o->b))
		ob_flush(o);
	o->b[o->n++] = c;
}

/* Python's escape of one character of a str or bytes repr, if it needs
 * one: \\, \', \t, \n, \r, \xhh (and, for str, \uhhhh, \Uhhhhhhhh). */
static size_t escape(uint32_t c, char q, bool is_str, char *out)
{
	if (c == (uint32_t)q || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		return 2;
	}
	if (c == '\t')
		return (size_t)sprintf(out, "\\t");
	if (c == '\n')
		return (size_t)sprintf(out, "\\n");
	if (c == '\r')
		return (size_t)sprintf(out, "\\r");
	if (c < 0x20 || c == 0x7f || (!is_str && c >= 0x80))
		return (size_t)sprintf(out, "\\x%02x", c);
	if (c < 0x7f || !is_str || unicode_is_printable(c))
		return 0;
	if (c <= 0xff)
		return (size_t)sprintf(out, "\\x%02x", c);
	if (c <= 0xffff)
		return (size_t)sprintf(out, "\\u%04x", c);
	return (size_t)sprintf(out, "\\U%08x", c);
}

/* The inside of a str's repr, quoted with q. */
static void put_cps(const uint32_t *cps, size_t n, char q, struct strbuf *sb)
{
	struct outbuf o = { .sb = sb };
	char esc[16];
	for (size_t i = 0; i < n; i++) {
		uint32_t c = cps[i];
		if (c >= 0x20 && c < 0x7f && c != (uint32_t)q && c != '\\') {
			ob_putc(&o, (char)c); /* the common case, first */
			continue;
		}
		size_t k = escape(c, q, true, esc);
		if (k) {
			ob_put(&o, esc, k);
		} else if (c < 0x80) {
			ob_putc(&o, (char)c);
		} else {
			if (c > 0x10ffff)
				c = 0xfffd;
			if (c < 0x800) {
				esc[0] = (char)(0xc0 | (c >> 6));
				esc[1] = (char)(0x80 | (c & 0x3f));
				k = 2;
			} else if (c < 0x10000) {
				esc[0] = (char)(0xe0 | (c >> 12));
				esc[1] = (char)(0x80 | ((c >> 6) & 0x3f));
				esc[2] = (char)(0x80 | (c & 0x3f));
				k = 3;
			} else {
				esc[0] = (char)(0xf0 | (c >> 18));
				esc[1] = (char)(0x80 | ((c >> 12) & 0x3f));
				esc[2] = (char)(0x80 | ((c >> 6) & 0x3f));
				esc[3] = (char)(0x80 | (c & 0x3f));
				k = 4;
			}
			ob_put(&o, esc, k);
		}
	}
	ob_flush(&o);
}

void repr_str_cps(const uint32_t *cps, size_t n, size_t length, struct strbuf *sb)
{
	bool has_sq = false, has_dq = false;
	scan_quotes(cps, n, &has_sq, &has_dq);
	char q = str_quote(has_sq, has_dq);
	strbuf_putc(sb, q);
	put_cps(cps, n, q, sb);
	strbuf_putc(sb, q);
	if (length > n)
		strbuf_printf(sb, "...(%zu more)", length - n);
}

/* The inside of a bytes repr, quoted with q. */
static void put_bytes(const uint8_t *b, size_t n, char q, struct strbuf *sb)
{
	struct outbuf o = { .sb = sb };
	char esc[16];
	for (size_t i = 0; i < n; i++) {
		uint8_t c = b[i];
		if (c >= 0x20 && c < 0x7f && c != (uint8_t)q && c != '\\') {
			ob_putc(&o, (char)c);
			continue;
		}
		size_t k = escape(c, q, false, esc);
		if (k)
			ob_put(&o, esc, k);
		else
			ob_putc(&o, (char)b[i]);
	}
	ob_flush(&o);
}

void repr_bytes(const uint8_t *b, size_t n, size_t length, struct strbuf *sb)
{
	char q = str_quote(memchr(b, '\'', n) != NULL, memchr(b, '"', n) != NULL);
	strbuf_putc(sb, 'b');
	strbuf_putc(sb, q);
	put_bytes(b, n, q, sb);
	strbuf_putc(sb, q);
	if (length > n)
		strbuf_printf(sb, "...(%zu more)", length - n);
}

/* ---- helpers ------------------------------------------------------------ */

static void put_invalid(struct repr_ctx *c, uint64_t addr)
{
	strbuf_printf(c->sb, "<invalid object at 0x%llx>", (unsigned long long)addr);
}

static void put_error(struct repr_ctx *c, const char *what, uint64_t addr,
		      struct pyx_error *err)
{
	strbuf_printf(c->sb, "<%s at 0x%llx: unreadable>", what, (unsigned long long)addr);
	pyx_error_destroy(err);
}

static void repr_inner(struct repr_ctx *c, uint64_t addr);

/* A str's repr streams from the target into the output a piece at a
 * time, twice (the quote depends on all of the shown text): memory stays
 * bounded whatever --string asks for. */
#define STREAM_CHUNK 65536u

static void put_str(struct repr_ctx *c, uint64_t addr)
{
	struct str_view v;
	struct pyx_error *err = str_view(c->prog, addr, &v);
	if (err) {
		put_error(c, "str", addr, err);
		return;
	}
	size_t shown = v.length < (size_t)c->lim.max_string ? v.length
							    : (size_t)c->lim.max_string;
	uint32_t *cps = malloc((shown < STREAM_CHUNK ? shown + 1 : STREAM_CHUNK) * sizeof(*cps));
	if (!cps) {
		c->sb->oom = true;
		return;
	}
	bool has_sq = false, has_dq = false;
	for (size_t at = 0; !err && at < shown && !(has_sq && has_dq); at += STREAM_CHUNK) {
		size_t m = shown - at < STREAM_CHUNK ? shown - at : STREAM_CHUNK;
		err = str_view_read(c->prog, &v, at, m, cps);
		if (!err)
			scan_quotes(cps, m, &has_sq, &has_dq);
	}
	if (err) {
		free(cps);
		put_error(c, "str", addr, err);
		return;
	}
	char q = str_quote(has_sq, has_dq);
	strbuf_putc(c->sb, q);
	for (size_t at = 0; at < shown && !c->sb->oom; at += STREAM_CHUNK) {
		size_t m = shown - at < STREAM_CHUNK ? shown - at : STREAM_CHUNK;
		err = str_view_read(c->prog, &v, at, m, cps);
		if (err) {
			strbuf_printf(c->sb, "<unreadable from character %zu>", at);
			pyx_error_destroy(err);
			break;
		}
		put_cps(cps, m, q, c->sb);
	}
	free(cps);
	strbuf_putc(c->sb, q);
	if (v.length > shown) {
		c->truncated = true;
		strbuf_printf(c->sb, "...(%zu more)", v.length - shown);
	}
}

static void put_bytes_object(struct repr_ctx *c, uint64_t addr)
{
	struct pyx_program *p = c->prog;
	int64_t size;
	struct pyx_error *err = var_size(p, addr, &size);
	if (!err && (size < 0 || size > MAX_OBJECT_BYTES))
		err = pyx_error_create(PYX_ERR_INVALID_OBJECT, "bytes at 0x%llx has an "
			"impossible size %lld", (unsigned long long)addr, (long long)size);
	if (err) {
		put_error(c, "bytes", addr, err);
		return;
	}
	uint64_t data = addr + (uint64_t)LV(p, PyBytesObject_ob_sval);
	size_t length = (size_t)size;
	size_t shown = length < (size_t)c->lim.max_string ? length : (size_t)c->lim.max_string;
	uint8_t *b = malloc(shown < STREAM_CHUNK ? shown + 1 : STREAM_CHUNK);
	if (!b) {
		c->sb->oom = true;
		return;
	}
	bool has_sq = false, has_dq = false;
	for (size_t at = 0; !err && at < shown && !(has_sq && has_dq); at += STREAM_CHUNK) {
		size_t m = shown - at < STREAM_CHUNK ? shown - at : STREAM_CHUNK;
		err = pyx_target_read(p->target, data + at, b, m);
		if (!err) {
			has_sq |= memchr(b, '\'', m) != NULL;
			has_dq |= memchr(b, '"', m) != NULL;
		}
	}
	if (err) {
		free(b);
		put_error(c, "bytes", addr, err);
		return;
	}
	char q = str_quote(has_sq, has_dq);
	strbuf_putc(c->sb, 'b');
	strbuf_putc(c->sb, q);
	for (size_t at = 0; at < shown && !c->sb->oom; at += STREAM_CHUNK) {
		size_t m = shown - at < STREAM_CHUNK ? shown - at : STREAM_CHUNK;
		err = pyx_target_read(p->target, data + at, b, m);
		if (err) {
			strbuf_printf(c->sb, "<unreadable from byte %zu>", at);
			pyx_error_destroy(err);
			break;
		}
		put_bytes(b, m, q, c->sb);
	}
	free(b);
	strbuf_putc(c->sb, q);
	if (length > shown) {
		c->truncated = true;
		strbuf_printf(c->sb, "...(%zu more)", length - shown);
	}
}

/* Append a str's text without quotes (names, qualnames). */
static void put_plain_str(struct repr_ctx *c, uint64_t addr, const char *fallback)
{
	char *s = NULL;
	struct pyx_error *err = addr ? object_str_utf8(c->prog, addr, 200, &s) : NULL;
	if (err || !s) {
		pyx_error_destroy(err);
		strbuf_puts(c->sb, fallback);
		return;
	}
	strbuf_puts(c->sb, s);
	free(s);
}

static bool on_stack(struct repr_ctx *c, uint64_t addr)
{
	for (int i = 0; i < c->depth; i++)
		if (c->stack[i] == addr)
			return true;
	return false;
}

/* Is addr on the stack below its own entry (the innermost one)? */
static bool on_stack_below(struct repr_ctx *c, uint64_t addr)
{
	for (int i = 0; i + 1 < c->depth; i++)
		if (c->stack[i] == addr)
			return true;
	return false;
}

static void put_more(struct repr_ctx *c, size_t shown, size_t total)
{
	if (total > shown)
		c->truncated = true;
	if (total > shown)
		strbuf_printf(c->sb, "%s...(%zu more)", shown ? ", " : "", total - shown);
}

/* ---- containers --------------------------------------------------------- */

static void put_sequence(struct repr_ctx *c, uint64_t addr, bool is_list)
{
	uint64_t *items;
	size_t n, total;
	struct pyx_error *err = sequence_items(c->prog, addr, is_list,
					       (size_t)c->lim.max_items, &items, &n, &total);
	if (err) {
		put_error(c, is_list ? "list" : "tuple", addr, err);
		return;
	}
	const char *open = is_list ? "[" : "(", *close = is_list ? "]" : ")";
	strbuf_puts(c->sb, open);
	if (total && c->depth > c->lim.max_depth) {
		c->truncated = true;
		strbuf_printf(c->sb, "<%zu item%s>%s", total, total == 1 ? "" : "s", close);
		free(items);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_puts(c->sb, ", ");
		repr_inner(c, items[i]);
	}
	put_more(c, n, total);
	if (!is_list && total == 1)
		strbuf_putc(c->sb, ',');
	strbuf_puts(c->sb, close);
	free(items);
}

struct dict_repr {
	struct repr_ctx *c;
	size_t shown;
};

static int dict_repr_visit(void *arg, uint64_t key, uint64_t value)
{
	struct dict_repr *d = arg;
	if (d->shown == (size_t)d->c->lim.max_items)
		return 1;
	if (d->shown)
		strbuf_puts(d->c->sb, ", ");
	repr_inner(d->c, key);
	strbuf_puts(d->c->sb, ": ");
	repr_inner(d->c, value);
	d->shown++;
	return 0;
}

static void put_dict(struct repr_ctx *c, uint64_t addr)
{
	int64_t used;
	struct pyx_error *err = dict_used(c->prog, addr, &used);
	if (err || used < 0) {
		put_error(c, "dict", addr, err);
		return;
	}
	strbuf_putc(c->sb, '{');
	if (used && c->depth > c->lim.max_depth) {
		c->truncated = true;
		strbuf_printf(c->sb, "<%lld item%s>}", (long long)used, used == 1 ? "" : "s");
		return;
	}
	struct dict_repr d = { c, 0 };
	err = dict_iterate(c->prog, addr, dict_repr_visit, &d);
	if (err) {
		strbuf_puts(c->sb, "<unreadable entries>");
		pyx_error_destroy(err);
	}
	put_more(c, d.shown, (size_t)used > d.shown ? (size_t)used : d.shown);
	strbuf_putc(c->sb, '}');
}

static int set_repr_visit(void *arg, uint64_t key)
{
	struct dict_repr *d = arg;
	if (d->shown == (size_t)d->c->lim.max_items)
		return 1;
	if (d->shown)
		strbuf_puts(d->c->sb, ", ");
	repr_inner(d->c, key);
	d->shown++;
	return 0;
}

static void put_set(struct repr_ctx *c, uint64_t addr, const char *name, bool plain)
{
	int64_t used;
	struct pyx_error *err = set_used(c->prog, addr, &used);
	if (err || used < 0) {
		put_error(c, name, addr, err);
		return;
	}
	if (used == 0) {
		strbuf_printf(c->sb, "%s()", name);
		return;
	}
	if (!plain)
		strbuf_printf(c->sb, "%s(", name);
	strbuf_putc(c->sb, '{');
	if (c->depth > c->lim.max_depth) {
		c->truncated = true;
		strbuf_printf(c->sb, "<%lld item%s>", (long long)used, used == 1 ? "" : "s");
	} else {
		struct dict_repr d = { c, 0 };
		err = set_iterate(c->prog, addr, set_repr_visit, &d);
		if (err) {
			strbuf_puts(c->sb, "<unreadable entries>");
			pyx_error_destroy(err);
		}
		put_more(c, d.shown, (size_t)used);
	}
	strbuf_putc(c->sb, '}');
	if (!plain)
		strbuf_putc(c->sb, ')');
}

/* ---- other kinds -------------------------------------------------------- */

static void put_int(struct repr_ctx *c, uint64_t addr)
{
	char *s;
	struct pyx_error *err = long_decimal(c->prog, addr, 4300, &s);
	if (err) {
		put_error(c, "int", addr, err);
		return;
	}
	if (s[0] == '<')
		c->truncated = true; /* <int with about N digits> */
	strbuf_puts(c->sb, s);
	free(s);
}

static void put_type(struct repr_ctx *c, uint64_t addr)
{
	char *name;
	struct pyx_error *err = type_qualified_name(c->prog, addr, &name);
	if (err) {
		put_error(c, "type", addr, err);
		return;
	}
	strbuf_printf(c->sb, "<class '%s'>", name);
	free(name);
}

static void put_function(struct repr_ctx *c, uint64_t addr)
{
	uint64_t qualname = 0;
	struct pyx_error *err = read_ptr(c->prog, addr + LV(c->prog, PyFunctionObject_func_qualname),
					 &qualname);
	pyx_error_destroy(err);
	strbuf_puts(c->sb, "<function ");
	put_plain_str(c, qualname, "?");
	strbuf_printf(c->sb, " at 0x%llx>", (unsigned long long)addr);
}

static void put_code(struct repr_ctx *c, uint64_t addr)
{
	struct pyx_program *p = c->prog;
	uint64_t name = 0, file = 0;
	int32_t line = 0;
	struct pyx_error *err = read_ptr(p, addr + LV(p, PyCodeObject_co_name), &name);
	if (!err)
		err = read_ptr(p, addr + LV(p, PyCodeObject_co_filename), &file);
	if (!err)
		err = read_i32(p, addr + LV(p, PyCodeObject_co_firstlineno), &line);
	if (err) {
		put_error(c, "code object", addr, err);
		return;
	}
	strbuf_puts(c->sb, "<code object ");
	put_plain_str(c, name, "?");
	strbuf_printf(c->sb, " at 0x%llx, file \"", (unsigned long long)addr);
	put_plain_str(c, file, "?");
	strbuf_printf(c->sb, "\", line %d>", line);
}

/* What importlib's _module_repr_from_spec says from a module's
 * __spec__: "from 'ORIGIN'" when the spec has a location, "(ORIGIN)"
 * otherwise ("(frozen)", "(built-in)").  False when there is no spec to
 * go by (then __file__ decides, as importlib's fallback does). */
static bool put_module_origin(struct repr_ctx *c, uint64_t spec)
{
	struct pyx_program *p = c->prog;
	struct object_head h;
	uint64_t origin = 0, has_location = 0;
	if (!spec || spec == p->wk.none)
		return false;
	struct pyx_error *err = object_head(p, spec, &h);
	if (!err)
		err = instance_attr(p, spec, "origin", &origin);
	if (err) {
		pyx_error_destroy(err);
		return false;
	}
	struct object_head oh;
	err = object_head(p, origin, &oh);
	if (err || !(oh.type_flags & TPF_UNICODE_SUBCLASS)) {
		pyx_error_destroy(err);
		return false;
	}
	err = instance_attr(p, spec, "_set_fileattr", &has_location);
	pyx_error_destroy(err);
	if (has_location == p->wk.true_) {
		strbuf_puts(c->sb, " from ");
		put_str(c, origin);
	} else {
		strbuf_puts(c->sb, " (");
		put_plain_str(c, origin, "?");
		strbuf_putc(c->sb, ')');
	}
	return true;
}

static void put_module(struct repr_ctx *c, uint64_t addr)
{
	struct pyx_program *p = c->prog;
	uint64_t dict = 0, name = 0, file = 0, spec = 0;
	struct pyx_error *err = read_ptr(p, addr + LV(p, PyModuleObject_md_dict), &dict);
	if (!err && dict)
		err = dict_lookup_str(p, dict, "__name__", &name);
	pyx_error_destroy(err);
	err = dict ? dict_lookup_str(p, dict, "__spec__", &spec) : NULL;
	pyx_error_destroy(err);
	err = dict ? dict_lookup_str(p, dict, "__file__", &file) : NULL;
	pyx_error_destroy(err);
	strbuf_puts(c->sb, "<module ");
	if (name)
		put_str(c, name);
	else
		strbuf_puts(c->sb, "'?'");
	if (put_module_origin(c, spec)) {
		/* as importlib says it */
	} else if (file) {
		struct object_head h;
		err = object_head(p, file, &h);
		if (!err && (h.type_flags & TPF_UNICODE_SUBCLASS)) {
			strbuf_puts(c->sb, " from ");
			put_str(c, file);
		} else {
			pyx_error_destroy(err);
			strbuf_puts(c->sb, " (built-in)");
		}
	} else {
		strbuf_puts(c->sb, " (built-in)");
	}
	strbuf_putc(c->sb, '>');
}

/* <generator object qualname at 0x...> (and coroutines, async gens). */
static void put_generator(struct repr_ctx *c, const struct object_head *h, const char *what)
{
	uint64_t qualname = 0;
	struct pyx_error *err = read_ptr(c->prog, h->addr + LV(c->prog, PyGenObject_gi_qualname),
					 &qualname);
	pyx_error_destroy(err);
	strbuf_printf(c->sb, "<%s object ", what);
	put_plain_str(c, qualname, "?");
	strbuf_printf(c->sb, " at 0x%llx>", (unsigned long long)h->addr);
}

/* <frame at 0x..., file '...', line N, code name> */
static void put_frame(struct repr_ctx *c, uint64_t addr)
{
	struct pyx_program *p = c->prog;
	uint64_t code = 0, file = 0, name = 0;
	int line = 0;
	struct pyx_error *err = frame_object_location(p, addr, &code, &line);
	if (!err)
		err = read_ptr(p, code + LV(p, PyCodeObject_co_filename), &file);
	if (!err)
		err = read_ptr(p, code + LV(p, PyCodeObject_co_name), &name);
	if (err) {
		put_error(c, "frame", addr, err);
		return;
	}
	strbuf_printf(c->sb, "<frame at 0x%llx, file ", (unsigned long long)addr);
	put_str(c, file);
	strbuf_printf(c->sb, ", line %d, code ", line);
	put_plain_str(c, name, "?");
	strbuf_putc(c->sb, '>');
}

static void put_cell(struct repr_ctx *c, uint64_t addr)
{
	uint64_t ref;
	struct pyx_error *err = read_ptr(c->prog, addr + LV(c->prog, PyCellObject_ob_ref), &ref);
	if (err) {
		put_error(c, "cell", addr, err);
		return;
	}
	strbuf_printf(c->sb, "<cell at 0x%llx: ", (unsigned long long)addr);
	if (!ref) {
		strbuf_puts(c->sb, "empty>");
		return;
	}
	struct object_head h;
	char *tn = NULL;
	err = object_head(c->prog, ref, &h);
	if (!err)
		err = type_tp_name(c->prog, h.type, &tn);
	if (err) {
		pyx_error_destroy(err);
		strbuf_printf(c->sb, "invalid object at 0x%llx>", (unsigned long long)ref);
		return;
	}
	strbuf_printf(c->sb, "%s object at 0x%llx>", tn, (unsigned long long)ref);
	free(tn);
}

static void put_method(struct repr_ctx *c, uint64_t addr)
{
	struct pyx_program *p = c->prog;
	uint64_t func = 0, self = 0, qualname = 0;
	struct pyx_error *err = read_ptr(p, addr + LV(p, PyMethodObject_im_func), &func);
	if (!err)
		err = read_ptr(p, addr + LV(p, PyMethodObject_im_self), &self);
	if (err) {
		put_error(c, "method", addr, err);
		return;
	}
	err = read_ptr(p, func + LV(p, PyFunctionObject_func_qualname), &qualname);
	pyx_error_destroy(err);
	strbuf_puts(c->sb, "<bound method ");
	put_plain_str(c, qualname, "?");
	strbuf_puts(c->sb, " of ");
	repr_inner(c, self);
	strbuf_putc(c->sb, '>');
}

static void put_exception(struct repr_ctx *c, const struct object_head *h)
{
	char *tn = NULL;
	struct pyx_error *err = type_tp_name(c->prog, h->type, &tn);
	if (err) {
		put_error(c, "exception", h->addr, err);
		return;
	}
	const char *dot = strrchr(tn, '.');
	strbuf_puts(c->sb, dot ? dot + 1 : tn);
	free(tn);
	uint64_t args = 0;
	err = read_ptr(c->prog, h->addr + LV(c->prog, PyBaseExceptionObject_args), &args);
	uint64_t *items = NULL;
	size_t n = 0, total = 0;
	if (!err && args)
		err = sequence_items(c->prog, args, false, (size_t)c->lim.max_items,
				     &items, &n, &total);
	if (err) {
		pyx_error_destroy(err);
		strbuf_puts(c->sb, "(<unreadable args>)");
		return;
	}
	strbuf_putc(c->sb, '(');
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_puts(c->sb, ", ");
		repr_inner(c, items[i]);
	}
	put_more(c, n, total);
	strbuf_putc(c->sb, ')');
	free(items);
}

/* Attribute values, after an instance's "<T object at 0x..." or a
 * subclass's base repr: "; name=value, name=value".  Past the depth
 * limit (or on a cycle) only "; ..." says there are some. */
struct attr_values {
	struct repr_ctx *c;
	size_t shown, total;
	bool names_only;
};

static int attr_value_visit(void *arg, uint64_t key, uint64_t value)
{
	struct attr_values *a = arg;
	a->total++;
	if (a->names_only || a->shown == (size_t)a->c->lim.max_items)
		return 0;
	strbuf_puts(a->c->sb, a->shown ? ", " : "; ");
	put_plain_str(a->c, key, "?");
	strbuf_putc(a->c->sb, '=');
	repr_inner(a->c, value);
	a->shown++;
	return 0;
}

static void put_attr_values(struct repr_ctx *c, const struct object_head *h, bool nested)
{
	struct attr_values a = { c, 0, 0, nested };
	struct pyx_error *err = instance_attrs_iterate(c->prog, h->addr, h, attr_value_visit, &a);
	pyx_error_destroy(err);
	/* __slots__ members (and an extension type's object members). */
	const struct type_info *ti = type_info_lookup(c->prog, h->type);
	for (size_t i = 0; ti && ti->heap && i < ti->nslots; i++) {
		uint64_t v = 0;
		err = read_ptr(c->prog, h->addr + ti->slots[i].offset, &v);
		if (err || !v) {
			pyx_error_destroy(err);
			continue;
		}
		a.total++;
		if (a.names_only || a.shown == (size_t)c->lim.max_items)
			continue;
		strbuf_puts(c->sb, a.shown ? ", " : "; ");
		strbuf_printf(c->sb, "%s=", ti->slots[i].name ? ti->slots[i].name : "?");
		repr_inner(c, v);
		a.shown++;
	}
	if (a.names_only && a.total) {
		c->truncated = true;
		strbuf_puts(c->sb, "; ...");
	} else if (a.total > a.shown) {
		c->truncated = true;
		strbuf_printf(c->sb, ", ...(%zu more)", a.total - a.shown);
	}
}

/* An instance: "<mod.Job object at 0x...; n=3, data=[0, 1, 2]>", Python's
 * default repr followed by the attribute values (the instance's dict and
 * its __slots__). */
static void put_instance(struct repr_ctx *c, const struct object_head *h)
{
	char *name = NULL;
	struct pyx_error *err = type_qualified_name(c->prog, h->type, &name);
	if (err) {
		pyx_error_destroy(err);
		put_invalid(c, h->addr);
		return;
	}
	strbuf_printf(c->sb, "<%s object at 0x%llx", name, (unsigned long long)h->addr);
	free(name);
	/* c->depth counts this object already. */
	put_attr_values(c, h, c->depth > c->lim.max_depth || on_stack_below(c, h->addr));
	strbuf_putc(c->sb, '>');
}

/* ---- built-in callables, descriptors and locks ------------------------ */

/* Append a C string of the target (ml_name, tp_name). */
static void put_cstr(struct repr_ctx *c, uint64_t addr, const char *fallback)
{
	char *s = NULL;
	struct pyx_error *err = addr ? target_read_cstr(c->prog->target, addr, 200, &s) : NULL;
	if (err || !s) {
		pyx_error_destroy(err);
		strbuf_puts(c->sb, fallback);
		return;
	}
	strbuf_puts(c->sb, s);
	free(s);
}

/* The tp_name of an object's type, as "%s" of Py_TYPE(o)->tp_name. */
static void put_type_name_of(struct repr_ctx *c, uint64_t obj)
{
	struct object_head h;
	char *tn = NULL;
	struct pyx_error *err = object_head(c->prog, obj, &h);
	if (!err)
		err = type_tp_name(c->prog, h.type, &tn);
	if (err) {
		pyx_error_destroy(err);
		strbuf_puts(c->sb, "?");
		return;
	}
	strbuf_puts(c->sb, tn);
	free(tn);
}

static bool is_module(struct repr_ctx *c, uint64_t obj)
{
	struct object_head h;
	struct pyx_error *err = object_head(c->prog, obj, &h);
	if (err) {
		pyx_error_destroy(err);
		return false;
	}
	return h.type == c->prog->wk.module_type ||
	       type_is_subtype(c->prog, h.type, c->prog->wk.module_type);
}

/* <built-in function len>, <built-in method readlines of
 * _io.TextIOWrapper object at 0x...> (Objects/methodobject.c, meth_repr). */
static void put_cfunction(struct repr_ctx *c, uint64_t addr)
{
	struct pyx_program *p = c->prog;
	uint64_t ml = 0, self = 0, name = 0;
	struct pyx_error *err = read_ptr(p, addr + LV(p, PyCFunctionObject_m_ml), &ml);
	if (!err)
		err = read_ptr(p, addr + LV(p, PyCFunctionObject_m_self), &self);
	if (!err && ml)
		err = read_ptr(p, ml + LV(p, PyMethodDef_ml_name), &name);
	if (err) {
		put_error(c, "builtin_function_or_method", addr, err);
		return;
	}
	if (!self || is_module(c, self)) {
		strbuf_puts(c->sb, "<built-in function ");
		put_cstr(c, name, "?");
		strbuf_putc(c->sb, '>');
		return;
	}
	strbuf_puts(c->sb, "<built-in method ");
	put_cstr(c, name, "?");
	strbuf_puts(c->sb, " of ");
	put_type_name_of(c, self);
	strbuf_printf(c->sb, " object at 0x%llx>", (unsigned long long)self);
}

/* <method-wrapper '__add__' of int object at 0x...> */
static void put_method_wrapper(struct repr_ctx *c, uint64_t addr)
{
	struct pyx_program *p = c->prog;
	uint64_t descr = 0, self = 0, name = 0;
	struct pyx_error *err = read_ptr(p, addr + LV(p, wrapperobject_descr), &descr);
	if (!err)
		err = read_ptr(p, addr + LV(p, wrapperobject_self), &self);
	if (!err && descr)
		err = read_ptr(p, descr + LV(p, PyDescrObject_d_name), &name);
	if (err) {
		put_error(c, "method-wrapper", addr, err);
		return;
	}
	strbuf_puts(c->sb, "<method-wrapper '");
	put_plain_str(c, name, "?");
	strbuf_puts(c->sb, "' of ");
	put_type_name_of(c, self);
	strbuf_printf(c->sb, " object at 0x%llx>", (unsigned long long)self);
}

/* <method 'append' of 'list' objects>, <slot wrapper '__add__' of 'int'
 * objects>, <member 'x' of 'Slotted' objects>, <attribute 'real' of 'int'
 * objects> (Objects/descrobject.c, descr_repr). */
static void put_descriptor(struct repr_ctx *c, uint64_t addr, const char *what)
{
	struct pyx_program *p = c->prog;
	uint64_t type = 0, name = 0;
	struct pyx_error *err = read_ptr(p, addr + LV(p, PyDescrObject_d_type), &type);
	if (!err)
		err = read_ptr(p, addr + LV(p, PyDescrObject_d_name), &name);
	char *tn = NULL;
	if (!err && type)
		err = type_tp_name(p, type, &tn);
	if (err) {
		put_error(c, what, addr, err);
		return;
	}
	strbuf_printf(c->sb, "<%s '", what);
	put_plain_str(c, name, "?");
	strbuf_printf(c->sb, "' of '%s' objects>", tn ? tn : "?");
	free(tn);
}

/* <classmethod(<function A.f at 0x...>)> from 3.10; before, the default
 * repr. */
static void put_wrapped_callable(struct repr_ctx *c, const struct object_head *h,
				 const char *what, int64_t off)
{
	if (c->prog->minor < 10 || off == PYX_ABSENT) {
		strbuf_printf(c->sb, "<%s object at 0x%llx>", what, (unsigned long long)h->addr);
		return;
	}
	uint64_t callable = 0;
	struct pyx_error *err = read_ptr(c->prog, h->addr + (uint64_t)off, &callable);
	if (err) {
		put_error(c, what, h->addr, err);
		return;
	}
	strbuf_printf(c->sb, "<%s(", what);
	repr_inner(c, callable);
	strbuf_puts(c->sb, ")>");
}

/* threading.Lock and RLock (Modules/_threadmodule.c, lock_repr and
 * rlock_repr): "<locked _thread.lock object at 0x...>", "<locked
 * _thread.RLock object owner=140... count=2 at 0x...>". */
static bool put_lock(struct repr_ctx *c, const struct object_head *h, const char *tp_name)
{
	struct pyx_program *p = c->prog;
	bool rlock = strcmp(tp_name, "_thread.RLock") == 0;
	if (!rlock && strcmp(tp_name, "_thread.lock") != 0)
		return false;
	if (!lock_is_pymutex(p) && !HAS(p, lockobject_locked))
		return false;  /* no layout: shown as an instance */
	struct lock_state st;
	struct pyx_error *err = lock_state_read(p, h->addr, rlock, &st);
	if (err) {
		put_error(c, tp_name, h->addr, err);
		return true;
	}
	strbuf_printf(c->sb, "<%s %s object", st.locked ? "locked" : "unlocked", tp_name);
	if (rlock)
		strbuf_printf(c->sb, " owner=%llu count=%llu", (unsigned long long)st.owner,
			      (unsigned long long)st.count);
	strbuf_printf(c->sb, " at 0x%llx>", (unsigned long long)h->addr);
	return true;
}

/* Objects of other types: the locks by their type's name, everything
 * else as an instance. */
static void put_other(struct repr_ctx *c, const struct object_head *h)
{
	/* The type's name as the type cache keeps it: tp_name for static
	 * types, __module__.__qualname__ for heap types (the same text for
	 * _thread's types, static up to 3.11 and heap types from 3.12). */
	const struct type_info *ti = type_info_lookup(c->prog, h->type);
	if (ti && ti->name && put_lock(c, h, ti->name))
		return;
	put_instance(c, h);
}

/* A subclass of a built-in value type: "Name(<base repr>)". */
static void put_subclass_open(struct repr_ctx *c, const struct object_head *h)
{
	char *name = NULL;
	struct pyx_error *err = type_qualified_name(c->prog, h->type, &name);
	if (err) {
		pyx_error_destroy(err);
		strbuf_puts(c->sb, "?(");
		return;
	}
	strbuf_printf(c->sb, "%s(", name);
	free(name);
}

static void repr_inner(struct repr_ctx *c, uint64_t addr)
{
	struct pyx_program *p = c->prog;
	const struct well_known *wk = &p->wk;
	if (addr == 0) {
		strbuf_puts(c->sb, "<NULL>");
		return;
	}
	if (addr == wk->none) {
		strbuf_puts(c->sb, "None");
		return;
	}
	if (addr == wk->true_ || addr == wk->false_) {
		strbuf_puts(c->sb, addr == wk->true_ ? "True" : "False");
		return;
	}
	if (addr == wk->ellipsis) {
		strbuf_puts(c->sb, "Ellipsis");
		return;
	}
	if (addr == wk->notimplemented) {
		strbuf_puts(c->sb, "NotImplemented");
		return;
	}
	struct object_head h;
	struct pyx_error *err = object_head(p, addr, &h);
	if (err) {
		pyx_error_destroy(err);
		put_invalid(c, addr);
		return;
	}
	uint64_t t = h.type, f = h.type_flags;
	bool container = (f & (TPF_LIST_SUBCLASS | TPF_TUPLE_SUBCLASS | TPF_DICT_SUBCLASS)) ||
			 t == wk->set_type || t == wk->frozenset_type;
	if (container && on_stack(c, addr)) {
		strbuf_puts(c->sb, (f & TPF_LIST_SUBCLASS) ? "[...]"
				   : (f & TPF_TUPLE_SUBCLASS) ? "(...)"
				   : (f & TPF_DICT_SUBCLASS) ? "{...}" : "set(...)");
		return;
	}
	if (c->depth >= MAX_STACK) {
		strbuf_puts(c->sb, "...");
		return;
	}
	c->stack[c->depth++] = addr;
	bool exact = true;
	if (t == wk->long_type) {
		put_int(c, addr);
	} else if (t == wk->unicode_type) {
		put_str(c, addr);
	} else if (t == wk->float_type) {
		double v;
		err = float_value(p, addr, &v);
		if (err)
			put_error(c, "float", addr, err);
		else
			repr_float(v, c->sb);
	} else if (t == wk->bytes_type) {
		put_bytes_object(c, addr);
	} else if (t == wk->tuple_type) {
		put_sequence(c, addr, false);
	} else if (t == wk->list_type) {
		put_sequence(c, addr, true);
	} else if (t == wk->dict_type) {
		put_dict(c, addr);
	} else if (t == wk->set_type) {
		put_set(c, addr, "set", true);
	} else if (t == wk->frozenset_type) {
		put_set(c, addr, "frozenset", false);
	} else if (t == wk->function_type) {
		put_function(c, addr);
	} else if (t == wk->code_type) {
		put_code(c, addr);
	} else if (t == wk->module_type) {
		put_module(c, addr);
	} else if (t == wk->cell_type) {
		put_cell(c, addr);
	} else if (t == wk->method_type) {
		put_method(c, addr);
	} else if (t == wk->frame_type) {
		put_frame(c, addr);
	} else if (wk->gen_type && t == wk->gen_type) {
		put_generator(c, &h, "generator");
	} else if (wk->coro_type && t == wk->coro_type) {
		put_generator(c, &h, "coroutine");
	} else if (wk->async_gen_type && t == wk->async_gen_type) {
		put_generator(c, &h, "async_generator");
	} else if (t == wk->cfunction_type || (wk->cmethod_type && t == wk->cmethod_type)) {
		put_cfunction(c, addr);
	} else if (wk->methodwrapper_type && t == wk->methodwrapper_type) {
		put_method_wrapper(c, addr);
	} else if (t == wk->methoddescr_type || (wk->classmethoddescr_type &&
						 t == wk->classmethoddescr_type)) {
		put_descriptor(c, addr, "method");
	} else if (t == wk->wrapperdescr_type) {
		put_descriptor(c, addr, "slot wrapper");
	} else if (t == wk->memberdescr_type) {
		put_descriptor(c, addr, "member");
	} else if (t == wk->getsetdescr_type) {
		put_descriptor(c, addr, "attribute");
	} else if (t == wk->classmethod_type) {
		put_wrapped_callable(c, &h, "classmethod", LV(p, classmethod_cm_callable));
	} else if (t == wk->staticmethod_type) {
		put_wrapped_callable(c, &h, "staticmethod", LV(p, staticmethod_sm_callable));
	} else if (f & TPF_TYPE_SUBCLASS) {
		put_type(c, addr);
	} else if (f & TPF_BASE_EXC_SUBCLASS) {
		put_exception(c, &h);
	} else {
		exact = false;
	}
	if (!exact) {
		/* Subclasses of value types show their base's repr inside,
		 * then their own attributes: "MyList([1, 2]; tag='x')". */
		bool sub = true;
		if (f & TPF_LONG_SUBCLASS) {
			put_subclass_open(c, &h);
			put_int(c, addr);
		} else if (f & TPF_UNICODE_SUBCLASS) {
			put_subclass_open(c, &h);
			put_str(c, addr);
		} else if (f & TPF_LIST_SUBCLASS) {
			put_subclass_open(c, &h);
			put_sequence(c, addr, true);
		} else if (f & TPF_TUPLE_SUBCLASS) {
			put_subclass_open(c, &h);
			put_sequence(c, addr, false);
		} else if (f & TPF_DICT_SUBCLASS) {
			put_subclass_open(c, &h);
			put_dict(c, addr);
		} else {
			sub = false;
			put_other(c, &h);
		}
		if (sub) {
			put_attr_values(c, &h, c->depth > c->lim.max_depth);
			strbuf_putc(c->sb, ')');
		}
	}
	c->depth--;
}

bool repr_object_limited(struct pyx_program *prog, uint64_t addr,
			 const struct pyx_repr_limits *limits, struct strbuf *sb)
{
	struct repr_ctx c = { .prog = prog, .sb = sb };
	if (limits)
		c.lim = *limits;
	repr_limits_normalize(&c.lim);
	repr_inner(&c, addr);
	return c.truncated;
}

void repr_object(struct pyx_program *prog, uint64_t addr,
		 const struct pyx_repr_limits *limits, struct strbuf *sb)
{
	repr_object_limited(prog, addr, limits, sb);
}

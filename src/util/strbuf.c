/* strbuf.c - growable strings and JSON text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/strbuf.h"

static bool strbuf_reserve(struct strbuf *sb, size_t extra)
{
	if (sb->oom)
		return false;
	if (sb->len + extra + 1 <= sb->cap)
		return true;
	size_t cap = sb->cap ? sb->cap : 256;
	while (cap < sb->len + extra + 1) {
		if (cap > SIZE_MAX / 2) {
			sb->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *s = realloc(sb->s, cap);
	if (!s) {
		sb->oom = true;
		return false;
	}
	sb->s = s;
	sb->cap = cap;
	return true;
}

static void append_raw(struct strbuf *sb, const char *s, size_t n)
{
	if (!strbuf_reserve(sb, n))
		return;
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

static void json_escape(struct strbuf *sb, const char *str, size_t n);

void strbuf_append(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->json)
		json_escape(sb, s, n);
	else
		append_raw(sb, s, n);
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_append(sb, s, strlen(s));
}

void strbuf_putc(struct strbuf *sb, char c)
{
	strbuf_append(sb, &c, 1);
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		strbuf_append(sb, small, (size_t)n);
		return;
	}
	if (sb->json) {
		char *big = NULL;
		va_start(ap, fmt);
		if (vasprintf(&big, fmt, ap) < 0)
			big = NULL;
		va_end(ap);
		if (!big) {
			sb->oom = true;
			return;
		}
		json_escape(sb, big, strlen(big));
		free(big);
		return;
	}
	if (!strbuf_reserve(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void strbuf_put_utf8(struct strbuf *sb, uint32_t cp)
{
	char b[4];
	size_t n;
	if (cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	strbuf_append(sb, b, n);
}

void strbuf_truncate(struct strbuf *sb, size_t len)
{
	if (len < sb->len) {
		sb->len = len;
		sb->s[len] = '\0';
	}
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->s);
	memset(sb, 0, sizeof(*sb));
}

struct pyx_error *strbuf_finish(struct strbuf *sb, char **ret)
{
	if (!sb->oom && !sb->s)
		strbuf_reserve(sb, 0);
	if (sb->oom) {
		strbuf_release(sb);
		return pyx_error_no_memory();
	}
	sb->s[sb->len] = '\0';
	*ret = sb->s;
	memset(sb, 0, sizeof(*sb));
	return NULL;
}

/* Decode one UTF-8 sequence; returns its length (>= 1) and sets *cp, or
 * U+FFFD for a malformed sequence (consuming one byte). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2; v = c & 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3; v = c & 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4; v = c & 0x07; min = 0x10000;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	if (len > n) {
		*cp = 0xfffd;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = v;
	return len;
}

static void json_escape(struct strbuf *sb, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		/* Runs of plain ASCII go in at once. */
		size_t run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > i) {
			append_raw(sb, str + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = s[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			append_raw(sb, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': append_raw(sb, "\\n", 2); break;
			case '\t': append_raw(sb, "\\t", 2); break;
			case '\r': append_raw(sb, "\\r", 2); break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				append_raw(sb, esc, 6);
				break;
			}
			i++;
		} else {
			uint32_t cp;
			size_t len = utf8_decode(s + i, n - i, &cp);
			if (cp != 0xfffd || len > 1)
				append_raw(sb, str + i, len);
			else
				append_raw(sb, "\xef\xbf\xbd", 3);
			i += len;
		}
	}
}

void json_string_n(struct strbuf *sb, const char *str, size_t n)
{
	append_raw(sb, "\"", 1);
	json_escape(sb, str, n);
	append_raw(sb, "\"", 1);
}

void json_string_begin(struct strbuf *sb)
{
	append_raw(sb, "\"", 1);
	sb->json = true;
}

void json_string_end(struct strbuf *sb)
{
	sb->json = false;
	append_raw(sb, "\"", 1);
}

void json_string(struct strbuf *sb, const char *s)
{
	json_string_n(sb, s, strlen(s));
}

void json_key(struct strbuf *sb, const char *key)
{
	json_string(sb, key);
	strbuf_puts(sb, ": ");
}

void json_hex(struct strbuf *sb, uint64_t v)
{
	strbuf_printf(sb, "\"0x%llx\"", (unsigned long long)v);
}

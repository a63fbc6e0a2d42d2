/* strbuf.h - a growable string with a sticky out-of-memory flag, and the
 * JSON writing helpers built on it (internal). */
#ifndef PYX_STRBUF_H
#define PYX_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pyx_error;

struct strbuf {
	char *s;
	size_t len;
	size_t cap;
	bool oom;
	/* While set, everything appended is escaped as the inside of a JSON
	 * string: a repr streams into its JSON document with no copy. */
	bool json;
};

#define STRBUF_INIT {0}

void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append a code point as UTF-8. */
void strbuf_put_utf8(struct strbuf *sb, uint32_t cp);
void strbuf_truncate(struct strbuf *sb, size_t len);
void strbuf_release(struct strbuf *sb);
/* Hand the string over (NUL-terminated) or fail with no-memory. */
struct pyx_error *strbuf_finish(struct strbuf *sb, char **ret);

/* Open a JSON string literal whose contents are appended (escaped) until
 * json_string_end closes it. */
void json_string_begin(struct strbuf *sb);
void json_string_end(struct strbuf *sb);

/* JSON: a string literal from UTF-8 text (invalid bytes become U+FFFD). */
void json_string(struct strbuf *sb, const char *s);
void json_string_n(struct strbuf *sb, const char *s, size_t n);
void json_key(struct strbuf *sb, const char *key); /* "key": */
void json_hex(struct strbuf *sb, uint64_t v);       /* "0x..." */

#endif

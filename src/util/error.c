/* error.c - struct pyx_error: a code, a one-line message, and details. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static struct pyx_error pyx_error_oom = {
	.code = PYX_ERR_NO_MEMORY,
	.message = "out of memory",
	.is_static = true,
};

static struct pyx_error pyx_error_interrupted_ = {
	.code = PYX_ERR_INTERRUPTED,
	.message = "interrupted",
	.is_static = true,
};

char *message_one_line(char *s)
{
	if (!s)
		return NULL;
	size_t bad = 0, n = 0;
	for (; s[n]; n++)
		bad += (unsigned char)s[n] < 0x20 || s[n] == 0x7f;
	if (!bad)
		return s;
	char *out = malloc(n + 3 * bad + 1);
	if (!out) {
		free(s);
		return NULL;
	}
	char *o = out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			o += sprintf(o, "\\x%02x", c);
		else
			*o++ = (char)c;
	}
	*o = '\0';
	free(s);
	return out;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return message_one_line(s);
}

static struct pyx_error *error_new(enum pyx_error_code code, int errnum,
				   uint64_t address, const char *fmt, va_list ap)
{
	struct pyx_error *err = calloc(1, sizeof(*err));
	if (!err)
		return &pyx_error_oom;
	err->message = vformat(fmt, ap);
	if (!err->message) {
		free(err);
		return &pyx_error_oom;
	}
	err->code = code;
	err->errnum = errnum;
	err->address = address;
	return err;
}

struct pyx_error *pyx_error_create(enum pyx_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct pyx_error *err = error_new(code, 0, 0, fmt, ap);
	va_end(ap);
	return err;
}

struct pyx_error *pyx_error_fault(uint64_t address, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct pyx_error *err = error_new(PYX_ERR_FAULT, 0, address, fmt, ap);
	va_end(ap);
	return err;
}

struct pyx_error *pyx_error_os(int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum pyx_error_code code = (errnum == EPERM || errnum == EACCES)
		? PYX_ERR_PERMISSION : PYX_ERR_OS;
	struct pyx_error *err = error_new(code, errnum, 0, fmt, ap);
	va_end(ap);
	return err;
}

struct pyx_error *pyx_error_no_memory(void)
{
	return &pyx_error_oom;
}

struct pyx_error *pyx_error_interrupted(void)
{
	return &pyx_error_interrupted_;
}

struct pyx_error *pyx_error_wrap(struct pyx_error *err, const char *fmt, ...)
{
	if (!err || err->is_static)
		return err;
	va_list ap;
	va_start(ap, fmt);
	char *prefix = vformat(fmt, ap);
	va_end(ap);
	char *joined = NULL;
	if (prefix && asprintf(&joined, "%s: %s", prefix, err->message) >= 0) {
		free(err->message);
		err->message = joined;
	}
	free(prefix);
	return err;
}

struct pyx_error *pyx_error_append(struct pyx_error *err, const char *fmt, ...)
{
	if (!err || err == &pyx_error_oom)
		return err;
	va_list ap;
	va_start(ap, fmt);
	char *suffix = vformat(fmt, ap);
	va_end(ap);
	char *joined = NULL;
	if (suffix && asprintf(&joined, "%s %s", err->message, suffix) >= 0) {
		free(err->message);
		err->message = joined;
	}
	free(suffix);
	return err;
}

enum pyx_error_code pyx_error_code(const struct pyx_error *err)
{
	return err ? err->code : 0;
}

const char *pyx_error_message(const struct pyx_error *err)
{
	return err ? err->message : "";
}

uint64_t pyx_error_address(const struct pyx_error *err)
{
	return err ? err->address : 0;
}

int pyx_error_errno(const struct pyx_error *err)
{
	return err ? err->errnum : 0;
}

const char *pyx_error_code_name(enum pyx_error_code code)
{
	switch (code) {
	case PYX_ERR_NO_MEMORY: return "no-memory";
	case PYX_ERR_OS: return "os";
	case PYX_ERR_FAULT: return "fault";
	case PYX_ERR_INVALID_ARGUMENT: return "invalid-argument";
	case PYX_ERR_NOT_PYTHON: return "not-python";
	case PYX_ERR_UNSUPPORTED_VERSION: return "unsupported-version";
	case PYX_ERR_NO_DEBUG_INFO: return "no-debug-info";
	case PYX_ERR_BAD_CORE: return "bad-core";
	case PYX_ERR_INVALID_OBJECT: return "invalid-object";
	case PYX_ERR_LIMIT: return "limit";
	case PYX_ERR_NOT_FOUND: return "not-found";
	case PYX_ERR_ELF: return "elf";
	case PYX_ERR_NOT_INITIALIZED: return "not-initialized";
	case PYX_ERR_PERMISSION: return "permission";
	case PYX_ERR_INTERRUPTED: return "interrupted";
	}
	return "unknown";
}

void pyx_error_destroy(struct pyx_error *err)
{
	if (!err || err->is_static)
		return;
	free(err->message);
	free(err);
}

void pyx_free(void *ptr)
{
	free(ptr);
}

/* error.h - constructing struct pyx_error values (internal). */
#ifndef PYX_ERROR_H
#define PYX_ERROR_H

#include <stdbool.h>

#include "pyxray.h"

struct pyx_error {
	enum pyx_error_code code;
	int errnum;
	uint64_t address;
	char *message;
	bool is_static;   /* one of the shared errors below: never freed */
};

/* printf-style; never returns NULL (falls back to a static out-of-memory
 * error, which pyx_error_destroy knows not to free). */
struct pyx_error *pyx_error_create(enum pyx_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct pyx_error *pyx_error_fault(uint64_t address, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct pyx_error *pyx_error_os(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct pyx_error *pyx_error_no_memory(void);
/* PYX_ERR_INTERRUPTED: the front door asked the running query to stop.
 * Shared, so that a walk failing a million reads allocates nothing. */
struct pyx_error *pyx_error_interrupted(void);

/* Prefix an error's message with context ("reading thread 12: ..."). */
struct pyx_error *pyx_error_wrap(struct pyx_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A message is one line: control characters in it (a file name from a
 * damaged core with a newline in it ...) become \xNN escapes.  Takes s
 * (malloc'ed) and returns it or its escaped copy; NULL when out of memory. */
char *message_one_line(char *s);

/* Add a remark after an error's message ("... (note: ...)"). */
struct pyx_error *pyx_error_append(struct pyx_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Evaluate an expression returning struct pyx_error *; return it if set. */
#define PYX_TRY(expr)                                    \
	do {                                             \
		struct pyx_error *pyx_try_err_ = (expr); \
		if (pyx_try_err_)                        \
			return pyx_try_err_;             \
	} while (0)

#endif

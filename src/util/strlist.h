/* strlist.h - a growing array of malloc'ed strings: the notes an answer
 * collects on its way (internal). */
#ifndef PYX_STRLIST_H
#define PYX_STRLIST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Append a formatted string to (*v)[0..*n); false when out of memory
 * (the array is left as it was). */
bool strlist_vappendf(char ***v, size_t *n, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
bool strlist_appendf(char ***v, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

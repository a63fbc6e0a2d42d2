/* strlist.c - a growing array of malloc'ed strings. */
#include <stdio.h>
#include <stdlib.h>

#include "util/strlist.h"

bool strlist_vappendf(char ***v, size_t *n, const char *fmt, va_list ap)
{
	char **grown = realloc(*v, (*n + 1) * sizeof(**v));
	if (!grown)
		return false;
	*v = grown;
	if (vasprintf(&grown[*n], fmt, ap) < 0)
		return false;
	(*n)++;
	return true;
}

bool strlist_appendf(char ***v, size_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = strlist_vappendf(v, n, fmt, ap);
	va_end(ap);
	return ok;
}

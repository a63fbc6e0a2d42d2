/* repr.h - bounded, cycle-safe reprs of target objects (internal). */
#ifndef PYX_REPR_H
#define PYX_REPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

struct pyx_program;
struct pyx_repr_limits;

#define REPR_DEFAULT_DEPTH 3
#define REPR_DEFAULT_ITEMS 10
#define REPR_DEFAULT_STRING 200
/* The deepest nesting a repr shows (its cycle check keeps a stack). */
#define REPR_MAX_DEPTH 62

/* Fill in defaults for zero or negative fields. */
void repr_limits_normalize(struct pyx_repr_limits *limits);

/* Append the repr of the object at addr.  Never fails but for lack of
 * memory: unreadable or bogus objects render as <invalid object at 0x..>. */
void repr_object(struct pyx_program *prog, uint64_t addr,
		 const struct pyx_repr_limits *limits, struct strbuf *sb);
/* The same; true when a limit (depth, items, string length, an int's
 * digits) cut the repr short. */
bool repr_object_limited(struct pyx_program *prog, uint64_t addr,
			 const struct pyx_repr_limits *limits, struct strbuf *sb);

/* Python's repr() of a float (shortest round-trip digits). */
void repr_float(double v, struct strbuf *sb);
/* Python's repr() of a str given as code points: n of them shown, out of
 * length in all. */
void repr_str_cps(const uint32_t *cps, size_t n, size_t length, struct strbuf *sb);
/* Python's repr() of bytes. */
void repr_bytes(const uint8_t *b, size_t n, size_t length, struct strbuf *sb);

/* str.isprintable() for one code point (src/objects/unicode_printable.c). */
bool unicode_is_printable(uint32_t cp);

#endif

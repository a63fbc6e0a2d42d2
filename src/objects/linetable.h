/* linetable.h - line numbers from code objects (internal). */
#ifndef PYX_LINETABLE_H
#define PYX_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

/* Pure decoders, on the table's bytes.  addr is a byte offset into the
 * bytecode; the result is a line number, or -1 where the code has none. */
int lnotab_addr2line(const uint8_t *tab, size_t n, int firstlineno, int addr);
int linetable310_addr2line(const uint8_t *tab, size_t n, int firstlineno, int addr);
int locations_addr2line(const uint8_t *tab, size_t n, int firstlineno, int addr);

/* The same tables as ranges of byte offsets [start, end) with their line
 * (-1: none), in order.  lnotab needs the code's length for its last range. */
typedef void (*line_range_fn)(void *arg, int start, int end, int line);
void lnotab_ranges(const uint8_t *tab, size_t n, int firstlineno, int code_len,
		   line_range_fn visit, void *arg);
void linetable310_ranges(const uint8_t *tab, size_t n, int firstlineno,
			 line_range_fn visit, void *arg);
void locations_ranges(const uint8_t *tab, size_t n, int firstlineno,
		      line_range_fn visit, void *arg);

struct pyx_program;
struct pyx_error;
/* The line of byte offset addr in the code object at code (any version). */
struct pyx_error *code_addr2line(struct pyx_program *prog, uint64_t code,
				 int64_t addr, int *line);
/* The line ranges of the code object at code, whose bytecode is code_len
 * bytes long. */
struct pyx_error *code_line_ranges(struct pyx_program *prog, uint64_t code,
				   int code_len, line_range_fn visit, void *arg);

#endif

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

struct pyx_program;
struct pyx_error;
/* The line of byte offset addr in the code object at code (any version). */
struct pyx_error *code_addr2line(struct pyx_program *prog, uint64_t code,
				 int64_t addr, int *line);

#endif

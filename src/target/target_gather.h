/* target_gather.h - many small reads at once (internal). */
#ifndef PYX_TARGET_GATHER_H
#define PYX_TARGET_GATHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pyx_target;
struct pyx_error;

/* Read n ranges of len bytes, the i-th at addrs[i], into out + i * len.
 * A live process is read with one process_vm_readv(2) per IOV_MAX ranges,
 * past the page cache (scattered headers would otherwise pull whole
 * windows of memory into it); a core is read from its file.  A range
 * that cannot be read is zeroed and gets ok[i] = false; with ok NULL the
 * first such range fails the call (PYX_ERR_FAULT). */
struct pyx_error *target_read_gather(struct pyx_target *t, const uint64_t *addrs,
				     size_t n, size_t len, void *out, bool *ok);

#endif

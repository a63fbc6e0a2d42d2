/* target_gather.c - many small reads at once: process_vm_readv(2) with
 * one remote iovec per range for live processes, the core's file for
 * cores. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/uio.h>

#include "util/error.h"
#include "target/target.h"
#include "target/target_gather.h"

#define GATHER_IOVECS 1024  /* IOV_MAX on Linux */

/* One range through the ordinary reader: the exact error, or success. */
static struct pyx_error *read_one(struct pyx_target *t, uint64_t addr, size_t len,
				  uint8_t *dst, bool *ok)
{
	struct pyx_error *err = pyx_target_read(t, addr, dst, len);
	if (!err) {
		if (ok)
			*ok = true;
		return NULL;
	}
	memset(dst, 0, len);
	if (!ok || pyx_error_code(err) != PYX_ERR_FAULT)
		return err;
	pyx_error_destroy(err);
	*ok = false;
	return NULL;
}

static struct pyx_error *gather_pid(struct pyx_target *t, const uint64_t *addrs,
				    size_t n, size_t len, uint8_t *out, bool *ok)
{
	size_t i = 0;
	while (i < n) {
		size_t batch = n - i < GATHER_IOVECS ? n - i : GATHER_IOVECS;
		struct iovec local = { out + i * len, batch * len };
		struct iovec rv[GATHER_IOVECS];
		for (size_t k = 0; k < batch; k++) {
			rv[k].iov_base = (void *)(uintptr_t)addrs[i + k];
			rv[k].iov_len = len;
		}
		ssize_t got = process_vm_readv(t->pid, &local, 1, rv, batch, 0);
		if (got < 0 && errno != EFAULT) {
			/* ESRCH, EPERM, ENOSYS ...: the ordinary reader says
			 * what it means (or falls back to /proc/PID/mem). */
			for (size_t k = 0; k < batch; k++)
				PYX_TRY(read_one(t, addrs[i + k], len, out + (i + k) * len,
						 ok ? &ok[i + k] : NULL));
			i += batch;
			continue;
		}
		/* Partial transfers stop at a whole iovec: the ranges before
		 * it are complete, it failed (or was cut short). */
		size_t done = got > 0 ? (size_t)got / len : 0;
		if (ok)
			for (size_t k = 0; k < done; k++)
				ok[i + k] = true;
		i += done;
		if (done < batch) {
			PYX_TRY(read_one(t, addrs[i], len, out + i * len, ok ? &ok[i] : NULL));
			i++;
		}
	}
	return NULL;
}

struct pyx_error *target_read_gather(struct pyx_target *t, const uint64_t *addrs,
				     size_t n, size_t len, void *out, bool *ok)
{
	if (!n || !len)
		return NULL;
	if (t->kind == TARGET_PID && !t->use_proc_mem && len <= SSIZE_MAX / GATHER_IOVECS)
		return gather_pid(t, addrs, n, len, out, ok);
	uint8_t *dst = out;
	for (size_t i = 0; i < n; i++)
		PYX_TRY(read_one(t, addrs[i], len, dst + i * len, ok ? &ok[i] : NULL));
	return NULL;
}

/* target.c - the target abstraction shared by live processes and cores. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "target/target.h"

static struct pyx_target *target_new(enum target_kind kind)
{
	struct pyx_target *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->kind = kind;
	t->mem_fd = -1;
	t->core_fd = -1;
	page_cache_init(&t->cache);
	return t;
}

struct pyx_error *pyx_target_create_pid(int pid, struct pyx_target **ret)
{
	if (pid <= 0)
		return pyx_error_create(PYX_ERR_INVALID_ARGUMENT,
					"invalid process id %d", pid);
	struct pyx_target *t = target_new(TARGET_PID);
	if (!t)
		return pyx_error_no_memory();
	struct pyx_error *err = target_pid_open(t, pid);
	if (err) {
		pyx_target_destroy(t);
		return err;
	}
	*ret = t;
	return NULL;
}

struct pyx_error *pyx_target_create_core(const char *core_path,
					 const char *executable,
					 struct pyx_target **ret)
{
	if (!core_path || !*core_path)
		return pyx_error_create(PYX_ERR_INVALID_ARGUMENT,
					"no core file named");
	struct pyx_target *t = target_new(TARGET_CORE);
	if (!t)
		return pyx_error_no_memory();
	struct pyx_error *err = target_core_open(t, core_path, executable);
	if (err) {
		pyx_target_destroy(t);
		return err;
	}
	*ret = t;
	return NULL;
}

struct pyx_error *target_create_image(uint64_t vaddr, const void *data, size_t size,
				      struct pyx_target **ret)
{
	if (vaddr + size < vaddr)
		return pyx_error_create(PYX_ERR_INVALID_ARGUMENT,
					"a memory image cannot wrap around");
	struct pyx_target *t = target_new(TARGET_CORE);
	if (!t)
		return pyx_error_no_memory();
	t->image = true;
	uint8_t *copy = malloc(size ? size : 1);
	t->core_path = strdup("(memory image)");
	t->segments = calloc(1, sizeof(*t->segments));
	if (!copy || !t->core_path || !t->segments) {
		free(copy);
		pyx_target_destroy(t);
		return pyx_error_no_memory();
	}
	if (size)
		memcpy(copy, data, size);
	t->core_data = copy;
	t->core_size = size;
	t->segments[0] = (struct core_segment){ vaddr, size, size, 0 };
	t->nsegments = 1;
	*ret = t;
	return NULL;
}

void pyx_target_destroy(struct pyx_target *t)
{
	if (!t)
		return;
	if (t->kind == TARGET_PID)
		target_pid_close(t);
	else
		target_core_close(t);
	page_cache_clear(&t->cache);
	for (size_t i = 0; i < t->nwarnings; i++)
		free(t->warnings[i]);
	free(t->warnings);
	free(t->exe_path);
	free(t);
}

struct pyx_error *pyx_target_read(struct pyx_target *t, uint64_t addr,
				  void *buf, size_t len)
{
	if (len == 0)
		return NULL;
	if (addr + len < addr)
		return pyx_error_fault(addr, "cannot read %zu bytes at 0x%llx: "
				       "the range wraps around", len,
				       (unsigned long long)addr);
	if (len > PYX_MAX_READ) {
		struct pyx_error *err = pyx_error_create(PYX_ERR_LIMIT,
			"will not read %zu bytes at 0x%llx at once (at most %u MiB): "
			"a size read from the target is corrupt?", len,
			(unsigned long long)addr, PYX_MAX_READ >> 20);
		err->address = addr;
		return err;
	}
	if (t->kind == TARGET_PID) {
		/* The common case: a small read inside a page seen lately. */
		uint64_t pageno = addr >> PYX_PAGE_SHIFT;
		size_t off = addr & (PYX_PAGE_SIZE - 1);
		size_t slot = (size_t)(pageno & 63);
		if (off + len <= PYX_PAGE_SIZE && t->cache.tlb_key[slot] == pageno + 1 &&
		    t->cache.tlb_data[slot]) {
			memcpy(buf, t->cache.tlb_data[slot] + off, len);
			return NULL;
		}
		return target_pid_read(t, addr, buf, len);
	}
	return target_core_read(t, addr, buf, len);
}

void pyx_target_flush(struct pyx_target *t)
{
	if (t && t->kind == TARGET_PID)
		page_cache_clear(&t->cache);
}

bool pyx_target_is_live(const struct pyx_target *t)
{
	return t->kind == TARGET_PID;
}

int pyx_target_pid(const struct pyx_target *t)
{
	return t->pid;
}

size_t pyx_target_num_warnings(const struct pyx_target *t)
{
	return t->nwarnings;
}

const char *pyx_target_warning(const struct pyx_target *t, size_t i)
{
	return i < t->nwarnings ? t->warnings[i] : NULL;
}

void pyx_target_crash_info(const struct pyx_target *t,
			   struct pyx_crash_info *info)
{
	*info = t->crash;
}

void pyx_target_set_crash_info(struct pyx_target *t,
			       const struct pyx_crash_info *info)
{
	t->crash = *info;
}

struct pyx_error *target_add_warning(struct pyx_target *t, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0 || !(msg = message_one_line(msg)))
		return pyx_error_no_memory();
	for (size_t i = 0; i < t->nwarnings; i++) {
		if (strcmp(t->warnings[i], msg) == 0) {
			free(msg);
			return NULL;
		}
	}
	char **w = realloc(t->warnings, (t->nwarnings + 1) * sizeof(*w));
	if (!w) {
		free(msg);
		return pyx_error_no_memory();
	}
	t->warnings = w;
	t->warnings[t->nwarnings++] = msg;
	return NULL;
}

struct pyx_error *target_read_u64(struct pyx_target *t, uint64_t addr, uint64_t *ret)
{
	return pyx_target_read(t, addr, ret, sizeof(*ret));
}

struct pyx_error *target_read_u32(struct pyx_target *t, uint64_t addr, uint32_t *ret)
{
	return pyx_target_read(t, addr, ret, sizeof(*ret));
}

struct pyx_error *target_read_cstr(struct pyx_target *t, uint64_t addr,
				   size_t max, char **ret)
{
	char *s = malloc(max + 1);
	if (!s)
		return pyx_error_no_memory();
	size_t n = 0;
	while (n < max) {
		/* Read up to the end of the page, so an unreadable next page
		 * does not fail a short string. */
		size_t chunk = PYX_PAGE_SIZE - ((addr + n) & (PYX_PAGE_SIZE - 1));
		if (chunk > max - n)
			chunk = max - n;
		struct pyx_error *err = pyx_target_read(t, addr + n, s + n, chunk);
		if (err) {
			free(s);
			return err;
		}
		char *nul = memchr(s + n, '\0', chunk);
		if (nul) {
			*ret = s;
			return NULL;
		}
		n += chunk;
	}
	s[max] = '\0';
	*ret = s;
	return NULL;
}

const char *target_executable(struct pyx_target *t)
{
	return t->exe_path;
}

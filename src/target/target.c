/* target.c - the target abstraction shared by live processes and cores. */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
					 const struct pyx_core_options *opts,
					 struct pyx_target **ret)
{
	if (!core_path || !*core_path)
		return pyx_error_create(PYX_ERR_INVALID_ARGUMENT,
					"no core file named");
	struct pyx_target *t = target_new(TARGET_CORE);
	if (!t)
		return pyx_error_no_memory();
	struct pyx_error *err = target_core_open(t, core_path, opts);
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
	t->segments[0] = (struct core_segment){ vaddr, size, size, 0, PF_R | PF_W };
	t->nsegments = 1;
	*ret = t;
	return NULL;
}

void pyx_target_destroy(struct pyx_target *t)
{
	if (!t)
		return;
	if (t->kind == TARGET_PID) {
		pyx_target_resume(t);
		free(t->paused);
		target_pid_close(t);
	}
	else
		target_core_close(t);
	page_cache_clear(&t->cache);
	for (size_t i = 0; i < t->nwarnings; i++)
		free(t->warnings[i]);
	free(t->warnings);
	free(t->exe_path);
	free(t->proc_root);
	free(t);
}

const char *target_root(struct pyx_target *t)
{
	return t->kind == TARGET_CORE ? t->sysroot : t->proc_root;
}

/* initial-exec: a pointer fits the static TLS any dlopen may use, and
 * reads of it need no __tls_get_addr call. */
static __thread struct page_cache *thread_cache __attribute__((tls_model("initial-exec")));

struct page_cache *target_cache(struct pyx_target *t)
{
	return thread_cache ? thread_cache : &t->cache;
}

void target_set_thread_cache(struct page_cache *pc)
{
	thread_cache = pc;
}

size_t target_walk_threads(size_t work, size_t parallel_min)
{
	const char *env = getenv("PYXRAY_THREADS");
	long n = env ? strtol(env, NULL, 10) : 0;
	if (n <= 0) {
		if (work < parallel_min)
			return 1;
		n = sysconf(_SC_NPROCESSORS_ONLN);
	}
	return n < 1 ? 1 : n > 8 ? 8 : (size_t)n;
}

struct pyx_error *pyx_target_read(struct pyx_target *t, uint64_t addr,
				  void *buf, size_t len)
{
	if (len == 0)
		return NULL;
	if (__atomic_load_n(&t->interrupted, __ATOMIC_RELAXED))
		return pyx_error_interrupted();
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
		const struct page_cache *pc = target_cache(t);
		if (off + len <= PYX_PAGE_SIZE && pc->tlb_key[slot] == pageno + 1 &&
		    pc->tlb_data[slot]) {
			memcpy(buf, pc->tlb_data[slot] + off, len);
			return NULL;
		}
		return target_pid_read(t, addr, buf, len);
	}
	return target_core_read(t, addr, buf, len);
}

void pyx_target_flush(struct pyx_target *t)
{
	if (t && t->kind == TARGET_PID)
		page_cache_forget(&t->cache);
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

/* Reads from the threads of a parallel walk may add warnings. */
static pthread_mutex_t warnings_lock = PTHREAD_MUTEX_INITIALIZER;

struct pyx_error *target_add_warning(struct pyx_target *t, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0 || !(msg = message_one_line(msg)))
		return pyx_error_no_memory();
	struct pyx_error *err = NULL;
	pthread_mutex_lock(&warnings_lock);
	for (size_t i = 0; i < t->nwarnings; i++) {
		if (strcmp(t->warnings[i], msg) == 0) {
			free(msg);
			msg = NULL;
			break;
		}
	}
	if (msg) {
		char **w = realloc(t->warnings, (t->nwarnings + 1) * sizeof(*w));
		if (!w) {
			free(msg);
			err = pyx_error_no_memory();
		} else {
			t->warnings = w;
			t->warnings[t->nwarnings++] = msg;
		}
	}
	pthread_mutex_unlock(&warnings_lock);
	return err;
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

void target_thread_syscall(struct pyx_target *t, int tid, struct target_syscall *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->nr = -1;
	if (t->kind == TARGET_CORE) {
		for (size_t i = 0; i < t->nthreads; i++) {
			const struct target_thread *th = &t->threads[i];
			if (th->tid != tid)
				continue;
			ret->known = true;
			ret->nr = th->orig_rax >= 0 ? (long)th->orig_rax : -1;
			memcpy(ret->args, th->args, sizeof(ret->args));
			ret->sp = th->sp;
			ret->pc = th->pc;
			return;
		}
		return;
	}
	/* "NR ARG1 ... ARG6 SP PC" while in a system call; "running" or
	 * "-1 SP PC" (blocked, not in a call) otherwise. */
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", t->pid, tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char *s = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!s || strncmp(buf, "running", 7) == 0)
		return;
	char *words[9];
	size_t n = 0;
	for (char *save = NULL, *w = strtok_r(buf, " \n", &save); w && n < 9;
	     w = strtok_r(NULL, " \n", &save))
		words[n++] = w;
	if (n < 3)
		return;
	ret->known = true;
	ret->nr = strtol(words[0], NULL, 10);
	ret->sp = strtoull(words[n - 2], NULL, 16);
	ret->pc = strtoull(words[n - 1], NULL, 16);
	for (size_t i = 1; i + 2 < n && i <= 6; i++)
		ret->args[i - 1] = strtoull(words[i], NULL, 16);
}

uint64_t target_thread_sp(struct pyx_target *t, int tid)
{
	struct target_syscall sc;
	target_thread_syscall(t, tid, &sc);
	return sc.sp;
}

bool target_region(struct pyx_target *t, uint64_t addr, uint64_t *lo, uint64_t *hi)
{
	if (t->kind == TARGET_CORE) {
		for (size_t i = 0; i < t->nsegments; i++) {
			const struct core_segment *s = &t->segments[i];
			if (addr >= s->vaddr && addr - s->vaddr < s->memsz) {
				*lo = s->vaddr;
				*hi = s->vaddr + s->memsz;
				return true;
			}
		}
		return false;
	}
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", t->pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		if (sscanf(line, "%llx-%llx", &a, &b) == 2 && addr >= a && addr < b) {
			*lo = a;
			*hi = b;
			found = true;
		}
	}
	fclose(f);
	return found;
}

void target_regions_free(struct target_region *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].path);
	free(r);
}

static struct pyx_error *region_push(struct target_region **v, size_t *n, size_t *cap,
				     const struct target_region *r)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct target_region *g = realloc(*v, c * sizeof(*g));
		if (!g)
			return pyx_error_no_memory();
		*v = g;
		*cap = c;
	}
	(*v)[(*n)++] = *r;
	return NULL;
}

static struct pyx_error *live_regions(struct pyx_target *t, bool with_rss,
				      struct target_region **ret, size_t *n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", t->pid, with_rss ? "smaps" : "maps");
	FILE *f = fopen(path, "r");
	if (!f)
		return pyx_error_os(errno, "cannot read %s: %s", path, strerror(errno));
	struct target_region *v = NULL;
	size_t cap = 0;
	*n = 0;
	char line[4608];
	struct pyx_error *err = NULL;
	while (!err && fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		char perms[8];
		int name_at = 0;
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &a, &b, perms, &name_at) >= 3 &&
		    name_at > 0) {
			struct target_region r = {
				.start = a, .end = b, .readable = perms[0] == 'r',
				.writable = perms[1] == 'w', .executable = perms[2] == 'x',
				.rss = with_rss ? 0 : -1,
			};
			char *name = line + name_at;
			name[strcspn(name, "\n")] = '\0';
			if (*name) {
				r.path = strdup(name);
				if (!r.path)
					err = pyx_error_no_memory();
			}
			if (!err)
				err = region_push(&v, n, &cap, &r);
		} else if (with_rss && *n && strncmp(line, "Rss:", 4) == 0) {
			unsigned long long kb;
			if (sscanf(line + 4, "%llu", &kb) == 1)
				v[*n - 1].rss = (int64_t)kb * 1024;
		}
	}
	fclose(f);
	if (err) {
		target_regions_free(v, *n);
		return err;
	}
	*ret = v;
	return NULL;
}

struct pyx_error *target_regions(struct pyx_target *t, bool with_rss,
				 struct target_region **ret, size_t *n)
{
	if (t->kind == TARGET_PID)
		return live_regions(t, with_rss, ret, n);
	struct target_region *v = NULL;
	size_t cap = 0;
	*n = 0;
	for (size_t i = 0; i < t->nsegments; i++) {
		const struct core_segment *s = &t->segments[i];
		struct target_region r = {
			.start = s->vaddr, .end = s->vaddr + s->memsz,
			.readable = s->flags & PF_R, .writable = s->flags & PF_W,
			.executable = s->flags & PF_X, .rss = -1,
		};
		for (size_t k = 0; k < t->nmappings; k++) {
			const struct file_mapping *m = &t->mappings[k];
			if (s->vaddr >= m->start && s->vaddr < m->end && m->file->path) {
				r.path = strdup(m->file->path);
				if (!r.path) {
					target_regions_free(v, *n);
					return pyx_error_no_memory();
				}
				break;
			}
		}
		struct pyx_error *err = region_push(&v, n, &cap, &r);
		if (err) {
			free(r.path);
			target_regions_free(v, *n);
			return err;
		}
	}
	*ret = v;
	return NULL;
}

#define PAGEMAP_PFN ((1ull << 55) - 1)

/* The frame of the kernel's shared zero page, which a read of untouched
 * anonymous memory maps (a debugger's read too) and which smaps does not
 * count as resident: found by reading an untouched page of our own.  0
 * when pagemap hides frame numbers (without CAP_SYS_ADMIN). */
static uint64_t zero_page_frame(void)
{
	static uint64_t pfn = UINT64_MAX;
	if (pfn != UINT64_MAX)
		return pfn;
	pfn = 0;
	volatile uint8_t *p = mmap(NULL, TARGET_PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
				   -1, 0);
	if (p == MAP_FAILED)
		return pfn;
	(void)p[0];
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t e = 0;
	if (fd >= 0 && pread(fd, &e, 8, (off_t)((uintptr_t)p / TARGET_PAGE_SIZE * 8)) == 8 &&
	    (e >> 63))
		pfn = e & PAGEMAP_PFN;
	if (fd >= 0)
		close(fd);
	munmap((void *)p, TARGET_PAGE_SIZE);
	return pfn;
}

struct pyx_error *target_resident_pages(struct pyx_target *t, uint64_t start, uint64_t end,
					uint8_t *bits)
{
	uint64_t zero = zero_page_frame();
	if (t->kind != TARGET_PID)
		return pyx_error_create(PYX_ERR_NOT_FOUND, "a core has no resident pages");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", t->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pyx_error_os(errno, "cannot read %s: %s", path, strerror(errno));
	uint64_t npages = (end - start) / TARGET_PAGE_SIZE;
	memset(bits, 0, (size_t)((npages + 7) / 8));
	uint64_t buf[4096];
	struct pyx_error *err = NULL;
	for (uint64_t i = 0; i < npages && !err;) {
		uint64_t want = npages - i < 4096 ? npages - i : 4096;
		off_t off = (off_t)((start / TARGET_PAGE_SIZE + i) * 8);
		ssize_t got = pread(fd, buf, (size_t)want * 8, off);
		if (got <= 0) {
			err = pyx_error_os(got < 0 ? errno : EIO, "cannot read %s: %s", path,
					   strerror(got < 0 ? errno : EIO));
			break;
		}
		for (uint64_t k = 0; k < (uint64_t)got / 8; k++, i++)
			if ((buf[k] >> 63) && /* present in RAM */
			    (!zero || (buf[k] & PAGEMAP_PFN) != zero))
				bits[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	close(fd);
	return err;
}

void pyx_target_interrupt(struct pyx_target *t, bool on)
{
	__atomic_store_n(&t->interrupted, on ? 1 : 0, __ATOMIC_RELAXED);
}

bool pyx_target_interrupted(const struct pyx_target *t)
{
	return __atomic_load_n(&t->interrupted, __ATOMIC_RELAXED) != 0;
}

void pyx_target_set_progress(struct pyx_target *t, pyx_progress_fn fn, void *arg)
{
	t->progress_fn = fn;
	t->progress_arg = arg;
	t->progress_calls = 0;
	t->progress_last_ns = 0;
}

/* Items are cheap (an object) when there are many and dear (an arena of
 * a MiB) when there are few: look at the clock accordingly. */
#define PROGRESS_CHECK_EVERY 1024u
#define PROGRESS_FEW_ITEMS 65536u
#define PROGRESS_INTERVAL_NS 100000000ull

void target_progress(struct pyx_target *t, const char *what, uint64_t done,
		     uint64_t total)
{
	if (!t->progress_fn)
		return;
	bool few = total && total < PROGRESS_FEW_ITEMS;
	if (!few && (++t->progress_calls % PROGRESS_CHECK_EVERY) != 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (now - t->progress_last_ns < PROGRESS_INTERVAL_NS)
		return;
	t->progress_last_ns = now;
	t->progress_fn(t->progress_arg, what, done, total);
}

/* target.h - where target bytes come from: live processes and core files
 * (internal).  Public entry points are in pyxray.h. */
#ifndef PYX_TARGET_H
#define PYX_TARGET_H

#include <gelf.h>

#include "target/page_cache.h"
#include "pyxray.h"

enum target_kind {
	TARGET_PID,
	TARGET_CORE,
};

/* One PT_LOAD segment of a core file. */
struct core_segment {
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t filesz;   /* bytes present in the core (after truncation) */
	uint64_t offset;
	uint32_t flags;    /* PF_R, PF_W, PF_X */
};

/* A file named in the NT_FILE note, and what we found on disk. */
enum mapped_file_state {
	MAPPED_FILE_OK,
	MAPPED_FILE_MISSING,
	MAPPED_FILE_MISMATCH,
};

struct mapped_file {
	char *path;          /* as named in the core */
	char *used_path;     /* the file we read (path, or the executable) */
	enum mapped_file_state state;
	const uint8_t *data; /* mmap of the file */
	size_t size;
};

/* One NT_FILE range: [start, end) maps file bytes from offset. */
struct file_mapping {
	uint64_t start, end, offset;
	struct mapped_file *file;
};

/* x86-64's registers in DWARF order: rax, rdx, rcx, rbx, rsi, rdi, rbp,
 * rsp, r8 - r15, then rip. */
#define TARGET_NREGS 17

struct target_thread {
	int tid;
	int signo;  /* pr_cursig for cores */
	uint64_t sp; /* the stack pointer (NT_PRSTATUS) */
	uint64_t pc;
	int64_t orig_rax;   /* the system call it was in, or -1 */
	uint64_t args[6];   /* rdi, rsi, rdx, r10, r8, r9 */
	uint64_t regs[TARGET_NREGS]; /* DWARF order: see target_thread_regs() */
};

/* The threads pyx_target_pause() stopped. */
struct paused_thread {
	int tid;
	int signo;     /* a signal it stopped for, given back at resume */
	bool stopped;  /* its stop was seen */
};

struct pyx_target {
	enum target_kind kind;
	int pid;
	char **warnings;
	size_t nwarnings;
	struct pyx_crash_info crash;

	/* pyx_target_interrupt(): reads fail while set. */
	volatile int interrupted;
	pyx_progress_fn progress_fn;
	void *progress_arg;
	uint64_t progress_calls;
	uint64_t progress_last_ns;

	/* live */
	int mem_fd;           /* /proc/PID/mem, opened on demand */
	bool use_proc_mem;    /* process_vm_readv unavailable */
	struct page_cache cache;
	struct paused_thread *paused;  /* pyx_target_pause() */
	size_t npaused;
	bool is_paused;

	/* core */
	char *core_path;
	int core_fd;
	const uint8_t *core_data;
	size_t core_size;
	Elf *core_elf;
	struct core_segment *segments;
	size_t nsegments;
	size_t last_segment;
	struct mapped_file *files;
	size_t nfiles;
	struct file_mapping *mappings;
	size_t nmappings;
	struct target_thread *threads;
	size_t nthreads;
	char *exe_path;        /* from NT_FILE or the caller */
	char *proc_root;       /* live, in another mount namespace: /proc/PID/root */
	char *sysroot;         /* prefix for the paths the core names, or NULL */
	char **lib_dirs;       /* where files are also looked for by base name */
	size_t nlib_dirs;
	const char *compression; /* "gzip", "zstd", or NULL */
	uint64_t missing_bytes; /* memory a truncated core lacks */
	bool notes_missing;    /* its notes are cut off or absent */
	bool image;            /* core_data is a malloc'ed memory image */
};

/* The page cache reads go through: the target's own, or the calling
 * thread's (a worker of a parallel walk gives each thread one: reading a
 * target from several threads is safe only that way). */
struct page_cache *target_cache(struct pyx_target *t);
void target_set_thread_cache(struct page_cache *pc);

/* How many threads a parallel walk over `work` items takes: $PYXRAY_THREADS
 * when it is set (1: serial), else one per online core once work reaches
 * parallel_min; never more than 8. */
size_t target_walk_threads(size_t work, size_t parallel_min);

struct pyx_error *target_add_warning(struct pyx_target *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A target over a copy of size bytes of memory, seen at vaddr: a core
 * with one segment and no notes, for the unit tests and the fuzzers. */
struct pyx_error *target_create_image(uint64_t vaddr, const void *data, size_t size,
				      struct pyx_target **ret);

/* Is the target a live process with a thread that is not stopped (by a
 * signal or a debugger)?  False for cores. */
bool target_process_running(struct pyx_target *t);

/* Why the OS refused to let us read process pid (EPERM, EACCES), and
 * what to do: run as its owner or root, CAP_SYS_PTRACE, ptrace_scope. */
struct pyx_error *target_permission_error(int pid, int errnum);

/* Backends */
struct pyx_error *target_pid_open(struct pyx_target *t, int pid);
struct pyx_error *target_pid_read(struct pyx_target *t, uint64_t addr,
				  void *buf, size_t len);
void target_pid_close(struct pyx_target *t);

struct pyx_error *target_core_open(struct pyx_target *t, const char *path,
				   const struct pyx_core_options *opts);
struct pyx_error *target_core_read(struct pyx_target *t, uint64_t addr,
				   void *buf, size_t len);
void target_core_close(struct pyx_target *t);

/* The thread ids of the target: a core's NT_PRSTATUS notes in order (the
 * first took the signal), or /proc/PID/task.  *ret is malloc'ed. */
struct pyx_error *target_thread_ids(struct pyx_target *t, int **ret, size_t *n);

/* A file the core names, found as it was mapped (build-id checked), or
 * NULL: the path pyxray opened for it. */
const char *target_core_file(const struct pyx_target *t, const char *path);

/* The root of the target's files: a core's sysroot; for a live process
 * in another mount namespace (a container, a chroot), /proc/PID/root.
 * NULL when the files are where their names say.  Owned by the target. */
const char *target_root(struct pyx_target *t);

/* The stack pointer of thread tid: from a core's NT_PRSTATUS; for a live
 * thread blocked in a system call, from /proc/PID/task/TID/syscall.  0
 * when it is not known (a live thread running user code). */
uint64_t target_thread_sp(struct pyx_target *t, int tid);

/* Where a thread was: its stack pointer and pc, and the system call it
 * was blocked in (nr >= 0) with its arguments.  A core's NT_PRSTATUS
 * registers; a live thread's /proc/PID/task/TID/syscall, which knows a
 * thread only while it is blocked (known is false for one running user
 * code, and for a tid the target does not have). */
struct target_syscall {
	bool known;
	long nr;             /* -1: not in a system call */
	uint64_t args[6];
	uint64_t sp, pc;
};
void target_thread_syscall(struct pyx_target *t, int tid, struct target_syscall *ret);

/* A thread's registers (TARGET_NREGS, in DWARF order): from a core's
 * NT_PRSTATUS, or from a live thread pyx_target_pause() stopped (call it
 * from the pausing thread).  PYX_ERR_NOT_FOUND otherwise. */
struct pyx_error *target_thread_regs(struct pyx_target *t, int tid, uint64_t *regs);

/* The threads a paused live process has (or a core's), in order. */
size_t target_paused_tids(struct pyx_target *t, int **ret);

/* The memory region holding addr: a live process's mapping
 * (/proc/PID/maps), a core's PT_LOAD segment.  False when none holds it. */
bool target_region(struct pyx_target *t, uint64_t addr, uint64_t *lo, uint64_t *hi);

/* A mapping of a live process (/proc/PID/maps, with its resident size
 * from smaps when asked), or a core's PT_LOAD segment (with the file the
 * NT_FILE note says it maps, if any). */
struct target_region {
	uint64_t start, end;
	bool readable, writable, executable;
	char *path;          /* a file's path, "[heap]", "[stack]" ...; NULL if anonymous */
	int64_t rss;         /* resident bytes (smaps), or -1 */
};

/* Every region of the target, sorted by address.  with_rss reads
 * /proc/PID/smaps (slower) for a live process's resident sizes. */
struct pyx_error *target_regions(struct pyx_target *t, bool with_rss,
				 struct target_region **ret, size_t *n);
void target_regions_free(struct target_region *r, size_t n);

/* Which pages of [start, end) (page-aligned) a live process has resident,
 * from /proc/PID/pagemap: bit i of bits (LSB first) for the page at
 * start + i * page size.  PYX_ERR_NOT_FOUND on a core. */
struct pyx_error *target_resident_pages(struct pyx_target *t, uint64_t start, uint64_t end,
					uint8_t *bits);
#define TARGET_PAGE_SIZE 4096u

/* The name of the process's executable, if known (core: NT_FILE's first
 * mapping or the caller's; live: /proc/PID/exe).  May be NULL. */
const char *target_executable(struct pyx_target *t);

/* Long walks call this for each item: it hands progress to the front
 * door's pyx_target_set_progress() hook, about ten times a second. */
void target_progress(struct pyx_target *t, const char *what, uint64_t done,
		     uint64_t total);
/* No single read is bigger (a count read from a corrupted object must not
 * become a giant allocation and copy): callers read big things in parts. */
#define PYX_MAX_READ (256u << 20)

/* Little helpers used everywhere. */
struct pyx_error *target_read_u64(struct pyx_target *t, uint64_t addr, uint64_t *ret);
struct pyx_error *target_read_u32(struct pyx_target *t, uint64_t addr, uint32_t *ret);
/* Read a NUL-terminated string of at most max bytes (truncated silently). */
struct pyx_error *target_read_cstr(struct pyx_target *t, uint64_t addr,
				   size_t max, char **ret);

#endif

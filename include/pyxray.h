/*
 * pyxray.h - the one public header of libpyxray.
 *
 * libpyxray reads a CPython process from the outside: a live process (by
 * pid) or an ELF core file.  It never writes to the target and never runs
 * code in it.  Results come back as data: C structs, or JSON text for the
 * front doors (the gdb commands and the pyxray CLI).
 *
 * Conventions
 *   - Every fallible function returns a struct pyx_error *: NULL on success,
 *     otherwise an error the caller owns and frees with pyx_error_destroy().
 *   - Objects come in _create/_destroy pairs; _destroy(NULL) is a no-op.
 *   - Strings returned through char ** are malloc'ed; free them with
 *     pyx_free() (the same as free(), exported for ctypes users).
 */
#ifndef PYXRAY_H
#define PYXRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with -fvisibility=hidden: what this header
 * declares is its whole exported interface. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define PYX_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

enum pyx_error_code {
	PYX_ERR_NO_MEMORY = 1,     /* allocation failed */
	PYX_ERR_OS,                /* a system call failed: errno and path */
	PYX_ERR_FAULT,             /* target memory at an address is unreadable */
	PYX_ERR_INVALID_ARGUMENT,  /* the caller passed something unusable */
	PYX_ERR_NOT_PYTHON,        /* no CPython runtime in the target */
	PYX_ERR_UNSUPPORTED_VERSION, /* a CPython version without a layout */
	PYX_ERR_NO_DEBUG_INFO,     /* needed symbols live only in debug info */
	PYX_ERR_BAD_CORE,          /* the core file is malformed or truncated */
	PYX_ERR_INVALID_OBJECT,    /* an address does not hold a PyObject */
	PYX_ERR_LIMIT,             /* a walk exceeded its bound (corruption?) */
	PYX_ERR_NOT_FOUND,         /* a thread, symbol or object was not found */
	PYX_ERR_ELF,               /* libelf/libdw could not read a file */
	PYX_ERR_NOT_INITIALIZED,   /* the interpreter is not (or no longer) running */
	PYX_ERR_PERMISSION,        /* the OS refused access to the process */
	PYX_ERR_INTERRUPTED,       /* pyx_target_interrupt() stopped the query */
};

struct pyx_error;

enum pyx_error_code pyx_error_code(const struct pyx_error *err);
/* One line, no trailing newline, saying what happened and what to do. */
const char *pyx_error_message(const struct pyx_error *err);
/* The target address for PYX_ERR_FAULT / PYX_ERR_INVALID_OBJECT, else 0. */
uint64_t pyx_error_address(const struct pyx_error *err);
/* errno for PYX_ERR_OS / PYX_ERR_PERMISSION, else 0. */
int pyx_error_errno(const struct pyx_error *err);
/* A stable short name for the code, e.g. "fault", "not-python". */
const char *pyx_error_code_name(enum pyx_error_code code);
void pyx_error_destroy(struct pyx_error *err);

void pyx_free(void *ptr);

/* ------------------------------------------------------------------ */
/* Targets: where the bytes come from                                  */
/* ------------------------------------------------------------------ */

struct pyx_target;

/* A live process.  Reads use process_vm_readv(2), falling back to
 * /proc/PID/mem.  The process should be stopped (by pyx_target_pause(),
 * or by a debugger such as gdb) for consistent answers; call
 * pyx_target_flush() whenever it may have run. */
struct pyx_error *pyx_target_create_pid(int pid, struct pyx_target **ret);

/* Where the files a core names are, when not where the crashed process
 * had them (a core from another machine or a container).  Every file is
 * used only when its build-id is the one the process mapped. */
struct pyx_core_options {
	/* The executable, when it is not at the path the core names (or
	 * that file is another build).  NULL: the core's. */
	const char *executable;
	/* A directory holding a copy of the crashed machine's (or
	 * container's) files: /usr/lib/x.so is looked for as
	 * SYSROOT/usr/lib/x.so first, like gdb's `set sysroot`. */
	const char *sysroot;
	/* Directories, separated by ':', where files are also looked for by
	 * their base name (a libpython that moved), like gdb's
	 * solib-search-path. */
	const char *lib_search_path;
};

/* An ELF core file: plain, or compressed with gzip (.gz) or zstd (.zst,
 * as systemd-coredump stores them), decompressed into an unnamed
 * temporary file.  opts may be NULL. */
struct pyx_error *pyx_target_create_core(const char *core_path,
					 const struct pyx_core_options *opts,
					 struct pyx_target **ret);

void pyx_target_destroy(struct pyx_target *target);

/* Read exactly len bytes at addr, or fail with PYX_ERR_FAULT. */
struct pyx_error *pyx_target_read(struct pyx_target *target, uint64_t addr,
				  void *buf, size_t len);

/* Forget cached memory (live targets; no-op for cores). */
void pyx_target_flush(struct pyx_target *target);

bool pyx_target_is_live(const struct pyx_target *target);
int pyx_target_pid(const struct pyx_target *target);

/* Pausing a live process, so that what is read is one moment of it.
 *
 * pyx_target_pause() stops every thread of the process with ptrace
 * (PTRACE_SEIZE, then PTRACE_INTERRUPT; threads that start meanwhile are
 * caught too) and waits until they have stopped; a process that was
 * already stopped (kill -STOP) stays stopped afterwards.  The calling
 * thread becomes the tracer: call pyx_target_resume() (and
 * pyx_native_unwind()) from the same thread.  pyx_target_destroy()
 * resumes a paused process, and if the caller dies, the kernel detaches
 * and the process runs on, since PTRACE_SEIZE sends it no SIGSTOP.  A
 * no-op for cores and for a process already paused.  Fails with
 * PYX_ERR_PERMISSION when the process is traced by another debugger (see
 * pyx_target_tracer()) or ptrace is not allowed; nothing stays stopped
 * then.  A thread that does not stop within a second (in uninterruptible
 * sleep) adds a warning and is read running. */
struct pyx_error *pyx_target_pause(struct pyx_target *target);

/* Let a paused process run again (a no-op if it is not paused): every
 * thread is detached, with the signal it stopped for, if any. */
void pyx_target_resume(struct pyx_target *target);

bool pyx_target_is_paused(const struct pyx_target *target);

/* The process id of the debugger tracing a live target (TracerPid in
 * /proc/PID/status), 0 if none (and for cores). */
int pyx_target_tracer(const struct pyx_target *target);

/* Stopping long work from another thread or a signal handler: while on
 * is set, every read fails with PYX_ERR_INTERRUPTED, so the query
 * running on the target returns within milliseconds and keeps no
 * half-built index (a front door also calls pyx_program_flush() after an
 * interrupted query).  Async-signal-safe.  Cleared by calling it with
 * on = false. */
void pyx_target_interrupt(struct pyx_target *target, bool on);
bool pyx_target_interrupted(const struct pyx_target *target);

/* Progress of long walks (the referrer index, py-census --all-heap):
 * fn(arg, what, done, total) is called from the thread running the
 * query, at most about ten times a second; total is 0 when unknown.
 * what names the work ("indexing references").  fn NULL turns it off. */
typedef void (*pyx_progress_fn)(void *arg, const char *what, uint64_t done,
				uint64_t total);
void pyx_target_set_progress(struct pyx_target *target, pyx_progress_fn fn,
			     void *arg);

/* Warnings gathered while opening (a missing or different file named in a
 * core, a truncated core, missing debug info ...).  Valid until destroy. */
size_t pyx_target_num_warnings(const struct pyx_target *target);
const char *pyx_target_warning(const struct pyx_target *target, size_t i);

/* ------------------------------------------------------------------ */
/* Programs: a target with its symbols, layouts and Python runtime     */
/* ------------------------------------------------------------------ */

struct pyx_program;

struct pyx_program_options {
	/* The executable, when the caller knows it better than the target. */
	const char *executable;
	/* Where to look for separate debug info, in libdwfl's syntax
	 * (":.debug:/usr/lib/debug"); NULL for the default.  The gdb front
	 * door passes gdb's debug-file-directory. */
	const char *debuginfo_path;
};

/* Takes ownership of target (also on failure). */
struct pyx_error *pyx_program_create(struct pyx_target *target,
				     const struct pyx_program_options *opts,
				     struct pyx_program **ret);
void pyx_program_destroy(struct pyx_program *prog);

struct pyx_target *pyx_program_target(struct pyx_program *prog);

/* The target's CPython version as PY_VERSION_HEX (0x030b02f0 = 3.11.2). */
uint32_t pyx_program_python_version(const struct pyx_program *prog);
bool pyx_program_is_debug_build(const struct pyx_program *prog);

/* Warnings gathered by the target and while resolving the program. */
size_t pyx_program_num_warnings(const struct pyx_program *prog);
const char *pyx_program_warning(const struct pyx_program *prog, size_t i);

/* Re-read everything that may change when a live process runs. */
void pyx_program_flush(struct pyx_program *prog);

/* ------------------------------------------------------------------ */
/* Crash information (cores, and live processes stopped by a signal)   */
/* ------------------------------------------------------------------ */

struct pyx_crash_info {
	int signo;             /* 0 when the target did not take a signal */
	int tid;               /* the thread that took it, or 0 */
	bool has_address;
	uint64_t address;      /* si_addr for faults */
	int code;              /* si_code: > 0 a fault the kernel found,
				* <= 0 sent (SI_USER by kill(), SI_TKILL by
				* tkill()/tgkill(), raise() and abort() among them) */
	bool has_sender;       /* sent (si_code <= 0): who sent it */
	int sender_pid;
	int sender_uid;
};

/* Fills *info; zeros when nothing is known.  Never fails. */
void pyx_target_crash_info(const struct pyx_target *target,
			   struct pyx_crash_info *info);

/* A live front door (gdb) that knows the thread stopped by a signal. */
void pyx_target_set_crash_info(struct pyx_target *target,
			       const struct pyx_crash_info *info);

/* ------------------------------------------------------------------ */
/* Queries that return JSON (the shapes are documented in docs/)       */
/* ------------------------------------------------------------------ */

enum pyx_stack_flags {
	PYX_STACK_LOCALS = 1 << 0, /* add "locals" to each frame */
	PYX_STACK_EXCEPTIONS = 1 << 1, /* add each thread's "exception" */
	PYX_STACK_NATIVE_ALL = 1 << 2, /* pyx_stack_native_json: also the threads
					* that never ran Python (native frames only) */
};

/* py-stack: every thread's Python stack, frames outermost first.
 * thread selects one thread by OS thread id or threading.get_ident()
 * value; 0 means all threads. */
struct pyx_error *pyx_stack_json(struct pyx_program *prog, uint64_t thread,
				 unsigned flags, char **ret);

struct pyx_repr_limits {
	int max_depth;     /* nesting of containers; default 3 */
	int max_items;     /* items shown per container; default 10 */
	int max_string;    /* characters shown of a str/bytes; default 200 */
};

/* py-object: type, refcount, size, gc state and a safe repr. */
struct pyx_error *pyx_object_json(struct pyx_program *prog, uint64_t address,
				  const struct pyx_repr_limits *limits,
				  char **ret);

/* py-object --fields: each reference the object holds (attribute,
 * item, dict value or key, C field) with its label, kind, the address
 * and type of the object it points to, and a short repr:
 * {"address", "fields": [{"name", "kind", "address", "type", "repr"}],
 * "more_fields": N}.  Shape in docs/py-object.md. */
struct pyx_error *pyx_object_fields_json(struct pyx_program *prog, uint64_t address,
					 const struct pyx_repr_limits *limits,
					 char **ret);

/* The qualified name of an object's type ("int", "app.Job"), checking
 * that address holds an object; cheap (no repr, no gc walk), for
 * breakpoint conditions. */
struct pyx_error *pyx_object_type_name(struct pyx_program *prog, uint64_t address,
				       char **ret);

/* A safe repr alone (ret is a malloc'ed C string). */
struct pyx_error *pyx_object_repr(struct pyx_program *prog, uint64_t address,
				  const struct pyx_repr_limits *limits,
				  char **ret);

/* What pyxray found: version, build, modules, debug info, layout source. */
struct pyx_error *pyx_info_json(struct pyx_program *prog, char **ret);

/* The ELF modules mapped in the target: {"modules": [{"name", "start",
 * "end", "build_id"}]}, addresses as "0x..." strings. */
struct pyx_error *pyx_modules_json(struct pyx_program *prog, char **ret);

/* ------------------------------------------------------------------ */
/* The garbage collector: py-gc, py-census                             */
/* ------------------------------------------------------------------ */

/* py-gc: enabled/collecting, and per generation the list length walked,
 * count, threshold and gc.get_stats() counters. */
struct pyx_error *pyx_gc_json(struct pyx_program *prog, char **ret);

struct pyx_census_options {
	int generation;   /* -1: 0-2 (what gc.get_objects() sees); 0, 1, 2;
			   * 3: the permanent generation; 4: all of them */
	int top;          /* at most this many types; 0: all */
	int sort_by_size; /* by bytes instead of count */
	const char *type; /* only this type (qualified or last component) */
};

/* py-census: gc-tracked objects by type: count, bytes, samples. */
struct pyx_error *pyx_census_json(struct pyx_program *prog,
				  const struct pyx_census_options *opts,
				  char **ret);

/* py-census --all-heap: every object, tracked by the gc or not (found in
 * pymalloc's blocks, and through references outside it), and how much of
 * pymalloc's memory that accounts for.  Needs pymalloc's state (and so,
 * up to 3.11, the full symbol table). */
struct pyx_error *pyx_census_all_heap_json(struct pyx_program *prog,
					   const struct pyx_census_options *opts,
					   char **ret);

/* ------------------------------------------------------------------ */
/* The process's memory: py-memory                                     */
/* ------------------------------------------------------------------ */

struct pyx_memory_options {
	int top;          /* owner types shown; 0: 10, -1: all */
	int no_objects;   /* skip the object walk: kinds without owners */
};

/* Every byte of the process's mappings by kind (pymalloc in use and
 * free, malloc owned by objects, not attributed and free, thread stacks,
 * mapped files, other anonymous), adding up to VSZ and, on a live
 * process, to RSS; and the types that own the most. */
struct pyx_error *pyx_memory_json(struct pyx_program *prog,
				  const struct pyx_memory_options *opts, char **ret);

/* ------------------------------------------------------------------ */
/* References: py-referrers, py-path                                   */
/* ------------------------------------------------------------------ */

/* Every object (and running frame) that refers to address, with the
 * edge.  The first call indexes the heap; later ones reuse the index
 * until pyx_program_flush(). */
struct pyx_error *pyx_referrers_json(struct pyx_program *prog, uint64_t address,
				     char **ret);

/* The shortest chain of references from a root to address. */
struct pyx_error *pyx_path_json(struct pyx_program *prog, uint64_t address,
				int max_depth, char **ret);

/* A Graphviz digraph of the references into address, depth levels back,
 * at most max_nodes nodes, written to path. */
struct pyx_error *pyx_path_dot(struct pyx_program *prog, uint64_t address,
			       int depth, int max_nodes, const char *path);

/* The referrer index's size and build time. */
struct pyx_error *pyx_index_json(struct pyx_program *prog, char **ret);

/* ------------------------------------------------------------------ */
/* Leaks: py-leaks                                                     */
/* ------------------------------------------------------------------ */

/* Save what py-leaks diff compares, atomically, to path: every object
 * (the whole heap when pymalloc can be walked, else the gc's objects) by
 * type with what it owns and its address, the process's memory by kind,
 * and tracemalloc's traces by allocation site when it traces. */
struct pyx_error *pyx_leaks_snapshot(struct pyx_program *prog, const char *path,
				     char **ret);

struct pyx_leaks_diff_options {
	int top;          /* types (or sites) shown; 0: all */
	int sort_by_size; /* types by bytes grown instead of count */
	int by_site;      /* tracemalloc's traces by allocation site instead */
};

/* Types whose count or bytes grew since the snapshot at path, with
 * samples of objects that did not exist then, and the memory kinds'
 * growth; or (by_site) the growth of each allocation site, as
 * tracemalloc's Snapshot.compare_to(old, 'traceback') computes it. */
struct pyx_error *pyx_leaks_diff_json(struct pyx_program *prog, const char *path,
				      const struct pyx_leaks_diff_options *opts, char **ret);

/* ob_refcnt against the references found, most unexplained first. */
struct pyx_error *pyx_leaks_refcheck_json(struct pyx_program *prog, int top,
					  char **ret);

/* ------------------------------------------------------------------ */
/* The small-object allocator: py-pools, py-arenas, py-malloc          */
/* ------------------------------------------------------------------ */

/* py-pools: pymalloc's size classes and totals, the numbers
 * sys._debugmallocstats() prints.  Fails with PYX_ERR_NO_DEBUG_INFO when
 * pymalloc's static state needs symbols that are missing (3.8 - 3.11),
 * PYX_ERR_NOT_FOUND when pymalloc is not in use (PYTHONMALLOC=malloc). */
struct pyx_error *pyx_pools_json(struct pyx_program *prog, char **ret);

/* py-arenas: every arena with its pools and bytes in use, and the top
 * (0: 10) arenas holding the least live memory. */
struct pyx_error *pyx_arenas_json(struct pyx_program *prog, unsigned top,
				  char **ret);

/* py-arenas --map: an SVG picture of every arena, one cell per pool. */
struct pyx_error *pyx_arenas_map_svg(struct pyx_program *prog, char **ret);

/* py-malloc: which arena, pool, size class and block address falls in,
 * whether the block is allocated, and the object it holds. */
struct pyx_error *pyx_malloc_json(struct pyx_program *prog, uint64_t address,
				  char **ret);

/* ------------------------------------------------------------------ */
/* Hung services: py-tasks, py-locks                                  */
/* ------------------------------------------------------------------ */

/* py-tasks: every asyncio task of every event loop: name, state, the
 * chain of coroutines it is suspended in (outermost first), what it
 * awaits (tasks, or a description of a Future, a sleep, a socket read)
 * and which tasks await it, and the cycles of tasks awaiting each other.
 * Shape in docs/py-tasks.md. */
struct pyx_error *pyx_tasks_json(struct pyx_program *prog, char **ret);

/* py-locks: every thread blocked on a threading.Lock or RLock, or in a
 * Condition, Event, Semaphore, Barrier, queue.Queue or Thread.join: the
 * object, its type, the Python names that refer to it, its holder when
 * that can be read (an RLock's owner; the thread in a `with` block on a
 * Lock), and cycles of threads waiting for each other.  Shape in
 * docs/py-locks.md. */
struct pyx_error *pyx_locks_json(struct pyx_program *prog, char **ret);

/* ------------------------------------------------------------------ */
/* Native frames: py-stack --native, py-triage, a Python-aware bt      */
/* ------------------------------------------------------------------ */

/* One native frame as an unwinder (gdb, or pyx_native_unwind) saw it. */
struct pyx_native_frame {
	uint64_t pc;            /* for callers, the return address */
	const char *function;   /* NULL: named from the ELF symbols */
	const char *module;     /* file name of its ELF module; NULL: found by pc */
	const char *file;       /* source file, or NULL */
	int line;               /* source line, 0 if unknown */
	uint64_t sp;            /* the stack pointer in this frame, 0 if unknown */
	bool inlined;           /* a function inlined into the next (outer) frame,
				 * which has the same pc */
	bool signal_frame;      /* the kernel's signal trampoline (gdb's
				 * "<signal handler called>") */
	bool activation;        /* pc is where the frame was interrupted (the
				 * innermost frame, or one a signal interrupted),
				 * not a return address */
};

struct pyx_native_thread {
	int tid;                /* OS thread id */
	const char *name;       /* the thread's name, or NULL */
	const struct pyx_native_frame *frames; /* innermost first */
	size_t nframes;
	bool truncated;         /* the unwinder stopped at its frame limit:
				 * outer frames are missing */
	const char *error;      /* why the unwind stopped early, or NULL */
};

/* Native stacks of some threads.  The engine only reads them; a caller
 * that builds its own keeps ownership.  Those pyx_native_unwind makes are
 * freed with pyx_native_stacks_destroy. */
struct pyx_native_stacks {
	const struct pyx_native_thread *threads;
	size_t nthreads;
};

/* Unwind every thread's native stack with elfutils' unwinder: from the
 * registers in a core file, or, for a live process, from its threads
 * stopped by pyx_target_pause() (call it from the pausing thread), or
 * else by pausing it for the moment the unwind takes (the process must not
 * be traced by another debugger).  Memory is read through the target
 * (its page cache), the registers from the core's notes or the stopped
 * threads.  Frames are named as gdb's
 * bt names them: functions inlined at a pc come as frames of their own
 * (inlined set), from the DWARF where the module has it, with source
 * file and line; C++ names demangled.  Every thread, also those that
 * never ran Python. */
struct pyx_error *pyx_native_unwind(struct pyx_program *prog,
				    struct pyx_native_stacks **ret);
void pyx_native_stacks_destroy(struct pyx_native_stacks *stacks);

/* The registers of one thread, for pyx_native_unwind_registers(): x86-64's
 * in DWARF order (rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, r8 - r15), then
 * rip. */
struct pyx_thread_registers {
	int tid;
	const char *name;       /* the thread's name, or NULL */
	uint64_t regs[17];
};

/* As pyx_native_unwind, from registers the caller read (a debugger that
 * has the threads stopped, gdb): the stacks are read through the
 * target's memory, nothing is attached to. */
struct pyx_error *pyx_native_unwind_registers(struct pyx_program *prog,
					      const struct pyx_thread_registers *threads,
					      size_t n, struct pyx_native_stacks **ret);

/* py-stack --native: like pyx_stack_json, but each thread's "frames"
 * merges its native frames (from native, when it has that thread) with
 * the Python ones, outermost first, each with "kind": "native" or
 * "python"; a Python frame follows the eval-loop frame that runs it.
 * Native frames carry "index", their position in the given list. */
struct pyx_error *pyx_stack_native_json(struct pyx_program *prog, uint64_t thread,
					unsigned flags,
					const struct pyx_native_stacks *native,
					char **ret);

/* py-triage: signal, fault address and thread, verdict, GIL holder, gc
 * state, and each thread (the faulting one first) with its Python frames,
 * the native frames between its last Python frame and where it stopped,
 * and its exception.  Shape in docs/py-triage.md. */
struct pyx_error *pyx_triage_json(struct pyx_program *prog,
				  const struct pyx_native_stacks *native,
				  char **ret);

/* ------------------------------------------------------------------ */
/* Running frames: py-break, show-location                             */
/* ------------------------------------------------------------------ */

struct pyx_frame_info {
	uint64_t frame;         /* _PyInterpreterFrame (3.11+) or PyFrameObject */
	uint64_t code;          /* its code object */
	uint64_t instr_address; /* where the frame stores its instruction pointer
				 * (rewritten at every bytecode instruction) */
	int instr_size;         /* its size in bytes */
	int line;               /* the current line (first_line before the
				 * first instruction ran) */
	int first_line;         /* co_firstlineno */
	bool started;           /* the frame is past its start: past its RESUME
				 * (3.11+), or has run an instruction */
	/* The code's co_name and co_filename objects: with code and
	 * first_line, what tells a code object from an earlier one freed at
	 * the same address. */
	uint64_t code_name;
	uint64_t code_file;
	/* 3.11+: the Python frame this one returns to, or that called the C
	 * code it returns to (0: none); whether it returns to C (entered
	 * from C); and, when it returns to a Python frame, where that frame
	 * will find the return value: its next value stack slot (0 when
	 * unknown).  Up to 3.10: f_back, false and 0. */
	uint64_t previous;
	bool entered_from_c;
	uint64_t return_slot;
	/* What the frame's instruction pointer holds: 3.11 and 3.12 the
	 * last instruction started (prev_instr), from 3.13 the one running
	 * (instr_ptr), up to 3.10 f_lasti (a byte offset, -1 before the
	 * first); and (3.11+) the address of the RESUME its code starts
	 * with, else 0. */
	uint64_t instr;
	uint64_t resume;
};

/* The innermost Python frame of the thread with OS thread id tid, also
 * one being entered.  PYX_ERR_NOT_FOUND if the thread runs no Python. */
struct pyx_error *pyx_thread_frame(struct pyx_program *prog, int tid,
				   struct pyx_frame_info *ret);

/* The frame a call is pushing on thread tid's stack to run code (3.11+):
 * the eval loop can read code's first instruction before the thread's
 * current frame points at the new frame.  PYX_ERR_NOT_FOUND when the
 * frame at the top of the thread's data stack does not run code. */
struct pyx_error *pyx_thread_pushed_frame(struct pyx_program *prog, int tid, uint64_t code,
					  struct pyx_frame_info *ret);

/* The Python frame at address frame. */
struct pyx_error *pyx_frame_info_at(struct pyx_program *prog, uint64_t frame,
				    struct pyx_frame_info *ret);

/* One Python frame, for a debugger that selected it (py-locals,
 * py-print): {"frame", "code", "function", "file", "line", "first_line",
 * "kind" (function, module or class), "globals", "builtins", "locals":
 * [{"name", "address", "type", "repr"}]}; or, with name, that name looked
 * up as Python would - the frame's locals, its globals, the builtins:
 * {"name", "scope" (local, global, builtin), "address", "type", "repr",
 * and the frame's fields}, PYX_ERR_NOT_FOUND when it is none of them. */
struct pyx_error *pyx_frame_json(struct pyx_program *prog, uint64_t frame,
				 const char *name, const struct pyx_repr_limits *limits,
				 char **ret);

/* The code objects a Python breakpoint can watch: those whose co_name is
 * name and whose co_filename's last component is file's (either NULL
 * for any), and which have instructions on line (0: any); found from
 * the gc's functions and generators and the running frames, with the
 * code objects among their constants, recursively; or (root != 0) the
 * code object root and those among its constants.  {"codes": [{"code",
 * "function", "file", "first_line", "name_object", "file_object",
 * "entry" (the instruction the eval loop reads when the code starts: its
 * RESUME from 3.11, its first instruction before), "line_addresses" (the
 * first instruction of each run of line), "unit" (an instruction's
 * size)}], "scanned": N}. */
struct pyx_error *pyx_code_find_json(struct pyx_program *prog, uint64_t root,
				     const char *name, const char *file, int line,
				     char **ret);

/* A code object: {"function": qualname, "name", "file", "first_line",
 * "lines": [every line that has instructions]}. */
struct pyx_error *pyx_code_json(struct pyx_program *prog, uint64_t code,
				char **ret);

/* Where the eval loop starts running a Python function, for breakpoints:
 * {"kind": "resume", "addresses": [...]} (3.11+: the code that runs the
 * RESUME instruction every function starts with), or
 * {"kind": "eval-function", "addresses": [...], "frame_argument": N}
 * (3.8 - 3.10: _PyEval_EvalFrameDefault, whose argument N is the frame),
 * with "eval_code": PyEval_EvalCode (called with the code object of
 * each module, exec() and eval() about to run), or null.
 * PYX_ERR_NO_DEBUG_INFO when that needs symbols that are missing. */
struct pyx_error *pyx_entry_points_json(struct pyx_program *prog, char **ret);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* PYXRAY_H */

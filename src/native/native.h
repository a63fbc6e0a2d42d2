/* native.h - native frames next to Python ones (internal). */
#ifndef PYX_NATIVE_H
#define PYX_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/program.h"
#include "threads/frames.h"
#include "util/strbuf.h"

/* One entry of a thread's merged stack: a native frame (index into the
 * thread's native frames) or a Python frame (index into its frames). */
struct merged_frame {
	bool python;
	size_t index;
};

/* One function at a native pc (native/symbols.c). */
struct native_loc {
	const char *function;  /* NULL when nothing names it */
	const char *file;      /* source file, or NULL */
	int line;
	bool inlined;          /* inlined into the next one */
};

/* The functions at pc, innermost (inlined) first, the physical one last:
 * n >= 1.  call_site: pc is a return address (look up pc - 1).  *ret
 * points into a per-program cache: copy what you keep before the next
 * call. */
size_t native_locate(struct pyx_program *prog, uint64_t pc, bool call_site,
		     const struct native_loc **ret);

/* A symbol as gdb prints a frame's function: without a version suffix
 * (@@GLIBC_2.34), demangled, without a C++ parameter list.  malloc'ed. */
char *native_clean_name(const char *raw);

/* pc's offset in its module's file (what addr2line -e MODULE takes). */
bool native_module_offset(struct pyx_program *prog, uint64_t pc, uint64_t *ret);

/* Is this the name of the eval loop (or of a part the compiler split
 * off it, "_PyEval_EvalFrameDefault.cold")? */
bool native_is_eval(const char *function);

/* The thread with OS thread id tid in stacks, or NULL. */
const struct pyx_native_thread *native_thread(const struct pyx_native_stacks *stacks,
					      int tid);

/* The function of native frame i: as the unwinder named it, else from the
 * ELF symbols (for callers, at pc - 1: the call, not what follows it). */
const char *native_function(struct pyx_program *prog, const struct pyx_native_thread *nt,
			    size_t i);

/* The file name (without directories) of the module holding frame i. */
const char *native_module(struct pyx_program *prog, const struct pyx_native_thread *nt,
			  size_t i);

/* Place the Python frames (innermost first, as thread_frames gives them)
 * inside the eval-loop frames that run them: the merged stack, innermost
 * first.  Up to 3.10 each eval frame runs one Python frame; from 3.11 a
 * run of them, up to one entered from C.  Counted from the top of both
 * stacks, or from the bottom when the C stack has more eval frames than
 * there are runs (the top one has not linked its Python frame yet);
 * Python frames no eval frame accounts for come last. */
struct pyx_error *native_merge(struct pyx_program *prog, const struct pyx_native_thread *nt,
			       const struct pyx_frame *py, size_t npy,
			       struct merged_frame **ret, size_t *n);

/* {"kind": "native", "function", "address", "module", "module_offset",
 * "file", "line", "inlined", "index"} */
void native_frame_json(struct pyx_program *prog, const struct pyx_native_thread *nt,
		       size_t i, struct strbuf *sb);

#endif

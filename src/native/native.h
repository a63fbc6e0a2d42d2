/* native.h - native frames next to Python ones (internal). */
#ifndef PYX_NATIVE_H
#define PYX_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "threads/frames.h"
#include "util/strbuf.h"

/* One entry of a thread's merged stack: a native frame (index into the
 * thread's native frames) or a Python frame (index into its frames). */
struct merged_frame {
	bool python;
	size_t index;
};

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

/* {"kind": "native", "function", "address", "module", "file", "line",
 * "index"} */
void native_frame_json(struct pyx_program *prog, const struct pyx_native_thread *nt,
		       size_t i, struct strbuf *sb);

#endif

/* frames.h - walking a thread's Python frames (internal). */
#ifndef PYX_FRAMES_H
#define PYX_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "objects/object.h"

#define MAX_FRAMES (1u << 20)

struct pyx_frame {
	uint64_t frame;      /* _PyInterpreterFrame (3.11+) or PyFrameObject */
	uint64_t code;
	int line;            /* -1 when the code has no line there */
	bool entry;          /* entered from C (3.11+: is_entry / shim frames) */
	char *function;      /* co_qualname (3.11+) or co_name */
	char *file;          /* co_filename */
};

/* The Python frames of the thread whose PyThreadState is at tstate,
 * innermost first, skipping incomplete frames as tracebacks do (but
 * keeping an innermost one, being entered, at its first line).  When the
 * walk stops early (unreadable memory, a loop, a frame that runs no code
 * object), the error says where, and *ret still holds the frames found
 * before it: the caller shows both. */
struct pyx_error *thread_frames(struct pyx_program *prog, uint64_t tstate,
				struct pyx_frame **ret, size_t *n);
void frames_free(struct pyx_frame *frames, size_t n);

/* The frame a thread runs now: tstate->frame (3.8 - 3.10), the current
 * _PyInterpreterFrame (3.11+, possibly a shim); 0 for none. */
struct pyx_error *thread_newest_frame(struct pyx_program *prog, uint64_t tstate,
				      uint64_t *ret);

/* Where the eval loop reads a code object's instructions (3.11+: its
 * adaptive copy inside the code object; up to 3.10: co_code's bytes),
 * and their length in bytes. */
struct pyx_error *code_bytecode(struct pyx_program *prog, uint64_t code, uint64_t *base,
				int64_t *length);

/* Fill f->function (co_qualname, else co_name) and f->file (co_filename). */
struct pyx_error *code_names(struct pyx_program *prog, uint64_t code,
			     struct pyx_frame *f);

/* The frame's arguments and locals as (name str, value) pairs, cells
 * dereferenced, unbound names left out (like frame.f_locals). */
struct pyx_error *frame_locals(struct pyx_program *prog, const struct pyx_frame *f,
			       dict_visit_fn visit, void *arg);

/* The words of a frame's locals, cells and whole value stack (as
 * deep as the code may use it, past what is live: callers check what
 * they find), stack references untagged.  *ret is malloc'ed. */
struct pyx_error *frame_slots(struct pyx_program *prog, const struct pyx_frame *f,
			      uint64_t **ret, size_t *n);

/* The globals dict a frame runs with. */
struct pyx_error *frame_globals(struct pyx_program *prog, const struct pyx_frame *f,
				uint64_t *ret);

#endif

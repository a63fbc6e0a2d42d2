/* stack_json.h - the pieces of py-stack's JSON that py-triage shares
 * (internal). */
#ifndef PYX_STACK_JSON_H
#define PYX_STACK_JSON_H

#include "threads/frames.h"
#include "threads/locks.h"
#include "threads/threads.h"
#include "util/strbuf.h"

/* An internal flag next to the public PYX_STACK_*: frames carry "kind"
 * and native frames are merged in. */
#define STACK_KIND (1u << 16)

/* {"function", "file", "line", "address", "entered_from_c"[, "locals"]} */
void stack_frame_json(struct pyx_program *prog, const struct pyx_frame *f,
		      unsigned flags, struct strbuf *sb);
/* "tid": ..., "thread_id": ..., "interpreter": ..., "name": ...,
 * "holds_gil": ..., "is_crashed": ..., (with the trailing ", ") */
void stack_thread_head_json(const struct pyx_thread *t, struct strbuf *sb);
/* "exception": {"type", "message", "raised"} or null */
void stack_exception_json(struct pyx_program *prog, uint64_t tstate, struct strbuf *sb);
/* "crash": {"signal", "tid", "address"} or null */
void stack_crash_json(struct pyx_program *prog, struct strbuf *sb);

/* What the thread status lines need, read once per answer. */
struct stack_context {
	struct pyx_locks *locks;  /* NULL when they could not be read */
	bool gc_known, gc_collecting;
};
void stack_context_init(struct pyx_program *prog, struct stack_context *ctx);
void stack_context_release(struct stack_context *ctx);

/* Keys for find_repeats(): equal for equal frames. */
uint64_t stack_python_key(const struct pyx_frame *f);
uint64_t stack_native_key(struct pyx_program *prog, const struct pyx_native_thread *nt,
			  size_t i);
/* ", \"native_truncated\": ..[, \"native_error\": ..]" */
void stack_limits_json(const struct pyx_native_thread *nt, struct strbuf *sb);

/* "SIGSEGV" for SIGSEGV; buf holds the result. */
const char *signal_name(int sig, char *buf, size_t size);

#endif

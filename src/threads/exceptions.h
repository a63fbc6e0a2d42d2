/* exceptions.h - the exception a thread is raising or handling (internal). */
#ifndef PYX_EXCEPTIONS_H
#define PYX_EXCEPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "objects/object.h"

struct thread_exception {
	uint64_t value;  /* the exception (or, not normalized, its argument); 0: none */
	uint64_t type;   /* set when only the type is known (not normalized) */
	bool raised;     /* being raised, not yet caught (else: being handled) */
};

/* What the thread whose PyThreadState is at tstate is raising, else the
 * innermost exception it is handling (sys.exc_info()); zeros for none. */
struct pyx_error *thread_exception(struct pyx_program *prog, uint64_t tstate,
				   struct thread_exception *ret);

/* type(e).__name__ as tp_name holds it, and str(e) for the exceptions
 * whose __str__ is BaseException's (malloc'ed). */
struct pyx_error *exception_describe(struct pyx_program *prog,
				     const struct thread_exception *exc,
				     char **type_name, char **message);

/* A thread's exception as text, for answers: present is false when the
 * thread has none; type and message are malloc'ed ("?" and
 * "<unreadable: CODE>" where memory could not be read). */
struct exception_text {
	bool present;
	bool raised;
	char *type;
	char *message;
};

void thread_exception_text(struct pyx_program *prog, uint64_t tstate,
			   struct exception_text *ret);
void exception_text_release(struct exception_text *t);

struct strbuf;
/* "exception": {"type", "message", "raised"} or null */
void exception_text_json(const struct exception_text *t, struct strbuf *sb);

#endif

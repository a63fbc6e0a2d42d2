/* exceptions.h - the exception a thread is raising or handling (internal). */
#ifndef PYX_EXCEPTIONS_H
#define PYX_EXCEPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "object.h"

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

#endif

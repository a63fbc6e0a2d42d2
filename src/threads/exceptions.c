/* exceptions.c - the exception a thread is raising or handling.
 *
 * A thread has two kinds: one being raised and not yet caught
 * (tstate->curexc_* up to 3.11, tstate->current_exception from 3.12), and
 * the ones being handled in except blocks (the exc_info stack, what
 * sys.exc_info() reads).  Up to 3.11 a raised exception may not be
 * normalized yet: the value may be NULL, a str or a tuple of arguments. */
#include <stdlib.h>
#include <string.h>

#include "threads/exceptions.h"
#include "objects/repr.h"
#include "util/strbuf.h"

#define MAX_EXC_STACK 1000

static bool is_nothing(struct pyx_program *prog, uint64_t obj)
{
	return obj == 0 || obj == prog->wk.none;
}

struct pyx_error *thread_exception(struct pyx_program *prog, uint64_t tstate,
				   struct thread_exception *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (HAS(prog, PyThreadState_current_exception)) {
		uint64_t exc;
		PYX_TRY(read_ptr(prog, tstate + LV(prog, PyThreadState_current_exception), &exc));
		if (!is_nothing(prog, exc)) {
			ret->value = exc;
			ret->raised = true;
			return NULL;
		}
	} else {
		uint64_t type, value;
		PYX_TRY(read_ptr(prog, tstate + LV(prog, PyThreadState_curexc_type), &type));
		PYX_TRY(read_ptr(prog, tstate + LV(prog, PyThreadState_curexc_value), &value));
		if (type) {
			ret->type = type;
			ret->value = value;
			ret->raised = true;
			return NULL;
		}
	}
	/* Handled: the topmost item of the exc_info stack that holds one. */
	uint64_t item;
	PYX_TRY(read_ptr(prog, tstate + LV(prog, PyThreadState_exc_info), &item));
	for (int i = 0; item && i < MAX_EXC_STACK; i++) {
		uint64_t value;
		PYX_TRY(read_ptr(prog, item + LV(prog, _PyErr_StackItem_exc_value), &value));
		if (!is_nothing(prog, value)) {
			ret->value = value;
			return NULL;
		}
		PYX_TRY(read_ptr(prog, item + LV(prog, _PyErr_StackItem_previous_item), &item));
	}
	return NULL;
}

/* str() of one exception argument: a str as it is, anything else as its
 * safe repr (which is what str() gives for numbers and containers). */
static void arg_text(struct pyx_program *prog, uint64_t arg, bool as_repr,
		     struct strbuf *sb)
{
	struct object_head h;
	struct pyx_error *err = object_head(prog, arg, &h);
	if (!err && !as_repr && h.type == prog->wk.unicode_type) {
		char *s = NULL;
		err = object_str_utf8(prog, arg, 2000, &s);
		if (!err) {
			strbuf_puts(sb, s);
			free(s);
			return;
		}
	}
	pyx_error_destroy(err);
	struct pyx_repr_limits limits = { .max_depth = 2, .max_items = 10, .max_string = 2000 };
	repr_object(prog, arg, &limits, sb);
}

static bool type_named(struct pyx_program *prog, uint64_t type, const char *name)
{
	char *n = NULL;
	struct pyx_error *err = type_tp_name(prog, type, &n);
	bool same = !err && n && strcmp(n, name) == 0;
	pyx_error_destroy(err);
	free(n);
	return same;
}

struct pyx_error *exception_describe(struct pyx_program *prog,
				     const struct thread_exception *exc,
				     char **type_name, char **message)
{
	*type_name = NULL;
	*message = NULL;
	uint64_t type = exc->type;
	uint64_t args = 0;      /* the arguments: a tuple, or one object */
	bool args_tuple = false;
	if (exc->value) {
		struct object_head h;
		PYX_TRY(object_head(prog, exc->value, &h));
		if (type_is_subtype(prog, h.type, prog->wk.base_exception_type)) {
			type = h.type;
			PYX_TRY(read_ptr(prog, exc->value + LV(prog, PyBaseExceptionObject_args),
					 &args));
			args_tuple = true;
		} else if (!type) {
			return pyx_error_create(PYX_ERR_INVALID_OBJECT,
				"0x%llx is not an exception", (unsigned long long)exc->value);
		} else {
			/* Not normalized (3.11 and before): the value is the
			 * single argument, or a tuple of them. */
			args = exc->value;
			args_tuple = h.type == prog->wk.tuple_type;
		}
	}
	PYX_TRY(type_tp_name(prog, type, type_name));
	struct strbuf sb = STRBUF_INIT;
	if (args && args_tuple) {
		uint64_t *items = NULL;
		size_t n = 0, total = 0;
		struct pyx_error *err = sequence_items(prog, args, false, 16, &items, &n, &total);
		if (err) {
			pyx_error_destroy(err);
			strbuf_puts(&sb, "<unreadable arguments>");
		} else if (total == 1 && n == 1) {
			/* BaseException.__str__: str(args[0]); KeyError shows
			 * the key's repr. */
			arg_text(prog, items[0], type_named(prog, type, "KeyError"), &sb);
		} else if (total > 1) {
			struct pyx_repr_limits limits = { .max_depth = 2, .max_items = 10,
							  .max_string = 2000 };
			repr_object(prog, args, &limits, &sb);
		}
		free(items);
	} else if (args) {
		arg_text(prog, args, false, &sb);
	}
	return strbuf_finish(&sb, message);
}

void thread_exception_text(struct pyx_program *prog, uint64_t tstate,
			   struct exception_text *ret)
{
	memset(ret, 0, sizeof(*ret));
	struct thread_exception exc;
	struct pyx_error *err = thread_exception(prog, tstate, &exc);
	if (!err && !exc.value && !exc.type)
		return;
	ret->present = true;
	ret->raised = !err && exc.raised;
	if (!err)
		err = exception_describe(prog, &exc, &ret->type, &ret->message);
	if (err) {
		free(ret->message);
		struct strbuf sb = STRBUF_INIT;
		strbuf_printf(&sb, "<unreadable: %s>", pyx_error_code_name(pyx_error_code(err)));
		struct pyx_error *e2 = strbuf_finish(&sb, &ret->message);
		pyx_error_destroy(e2);
		pyx_error_destroy(err);
	}
	if (!ret->type)
		ret->type = strdup("?");
}

void exception_text_release(struct exception_text *t)
{
	free(t->type);
	free(t->message);
}

void exception_text_json(const struct exception_text *t, struct strbuf *sb)
{
	json_key(sb, "exception");
	if (!t->present) {
		strbuf_puts(sb, "null");
		return;
	}
	strbuf_puts(sb, "{");
	json_key(sb, "type");
	json_string(sb, t->type ? t->type : "?");
	strbuf_puts(sb, ", ");
	json_key(sb, "message");
	json_string(sb, t->message ? t->message : "<unreadable>");
	strbuf_puts(sb, ", ");
	json_key(sb, "raised");
	strbuf_puts(sb, t->raised ? "true}" : "false}");
}

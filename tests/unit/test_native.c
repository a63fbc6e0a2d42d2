/* test_native.c - placing Python frames inside the eval-loop frames that
 * run them (native_merge), on stacks shaped like the real ones: one C call
 * per Python frame (3.8 - 3.10), runs of Python frames per C call (3.11+),
 * a C extension calling back into Python, and the stops where the two
 * stacks disagree (an eval frame that has not linked its Python frame yet,
 * a C stack gdb could not unwind to the bottom). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "native/native.h"
#include "runtime/program.h"

#define EVAL "_PyEval_EvalFrameDefault"

static struct pyx_program prog;

/* "N" native frame names, innermost first, into a thread. */
static struct pyx_native_thread thread_of(const char *const *names, size_t n,
					  struct pyx_native_frame *buf)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (struct pyx_native_frame){ .pc = 0x1000 + i, .function = names[i],
						    .module = "python3" };
	return (struct pyx_native_thread){ .tid = 1, .frames = buf, .nframes = n };
}

/* The merged stack as text, innermost first: "n0 p0 p1 n1 ...". */
static char *merged_text(const struct pyx_native_thread *nt, const struct pyx_frame *py,
			 size_t npy)
{
	struct merged_frame *m;
	size_t n;
	struct pyx_error *err = native_merge(&prog, nt, py, npy, &m, &n);
	if (err) {
		pyx_error_destroy(err);
		return strdup("error");
	}
	char *out = calloc(1, 8 * (n + 1));
	for (size_t i = 0; i < n; i++)
		sprintf(out + strlen(out), "%s%c%zu", i ? " " : "", m[i].python ? 'p' : 'n',
			m[i].index);
	free(m);
	return out;
}

#define CHECK_MERGED(nt, py, npy, want) do { \
	char *got_ = merged_text(nt, py, npy); \
	CHECK_STR_EQ(got_, want); \
	free(got_); \
} while (0)

static void test_is_eval(void)
{
	CHECK(native_is_eval(EVAL));
	CHECK(native_is_eval(EVAL ".cold"));
	CHECK(!native_is_eval(EVAL "X"));
	CHECK(!native_is_eval("_PyEval_EvalFrame"));
	CHECK(!native_is_eval(NULL));
}

/* 3.11+: crash_on_null <- vectorcall <- eval(validate, parse, handle,
 * <module>) <- _PyEval_Vector <- main. */
static void test_one_run(void)
{
	prog.minor = 11;
	const char *names[] = { "crash_on_null", "PyObject_Vectorcall", EVAL,
				"_PyEval_Vector", "main" };
	struct pyx_native_frame buf[5];
	struct pyx_native_thread nt = thread_of(names, 5, buf);
	struct pyx_frame py[4] = { { .entry = false }, { .entry = false }, { .entry = false },
				   { .entry = true } };
	CHECK_MERGED(&nt, py, 4, "n0 n1 p0 p1 p2 p3 n2 n3 n4");
}

/* C calls back into Python: the inner run belongs to the inner eval
 * frame, the outer run to the outer one. */
static void test_callback_runs(void)
{
	prog.minor = 12;
	const char *names[] = { "leaf_c", EVAL, "call_then_crash", "vectorcall", EVAL, "main" };
	struct pyx_native_frame buf[6];
	struct pyx_native_thread nt = thread_of(names, 6, buf);
	struct pyx_frame py[3] = { { .entry = true }, { .entry = false }, { .entry = true } };
	CHECK_MERGED(&nt, py, 3, "n0 p0 n1 n2 n3 p1 p2 n4 n5");
}

/* Up to 3.10: every Python frame has its own eval frame. */
static void test_one_frame_per_call(void)
{
	prog.minor = 10;
	const char *names[] = { "c_func", EVAL, "function_code_fastcall", EVAL, "main" };
	struct pyx_native_frame buf[5];
	struct pyx_native_thread nt = thread_of(names, 5, buf);
	struct pyx_frame py[2] = { { 0 }, { 0 } };
	CHECK_MERGED(&nt, py, 2, "n0 p0 n1 n2 p1 n3 n4");
}

/* Stopped at the eval loop's entry: the innermost eval frame has no
 * Python frame yet, so counting starts from the bottom. */
static void test_unlinked_eval_frame(void)
{
	prog.minor = 9;
	const char *names[] = { EVAL, "function_code_fastcall", EVAL, "main" };
	struct pyx_native_frame buf[4];
	struct pyx_native_thread nt = thread_of(names, 4, buf);
	struct pyx_frame py[1] = { { 0 } };
	CHECK_MERGED(&nt, py, 1, "n0 n1 p0 n2 n3");
}

/* The C stack ends early (unwinding failed): the Python frames no eval
 * frame accounts for come last, outermost last. */
static void test_truncated_native(void)
{
	prog.minor = 11;
	const char *names[] = { "c_func", EVAL, "broken" };
	struct pyx_native_frame buf[3];
	struct pyx_native_thread nt = thread_of(names, 3, buf);
	struct pyx_frame py[3] = { { .entry = true }, { .entry = false }, { .entry = true } };
	CHECK_MERGED(&nt, py, 3, "n0 p0 n1 n2 p1 p2");
}

/* No native stack at all, or no Python frames. */
static void test_one_side_missing(void)
{
	prog.minor = 13;
	struct pyx_frame py[2] = { { .entry = false }, { .entry = true } };
	CHECK_MERGED(NULL, py, 2, "p0 p1");
	const char *names[] = { "poll", "main" };
	struct pyx_native_frame buf[2];
	struct pyx_native_thread nt = thread_of(names, 2, buf);
	CHECK_MERGED(&nt, NULL, 0, "n0 n1");
}

int main(void)
{
	RUN(test_is_eval);
	RUN(test_one_run);
	RUN(test_callback_runs);
	RUN(test_one_frame_per_call);
	RUN(test_unlinked_eval_frame);
	RUN(test_truncated_native);
	RUN(test_one_side_missing);
	return check_finish();
}

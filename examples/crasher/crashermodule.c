/* _pyxray_crasher - a C extension that crashes on purpose, for pyxray's
 * examples and tests: the mistakes that take real services down.
 *   crash_on_null()      a plain NULL dereference
 *   call_then_crash(f)   calls back into Python first, then crashes
 *   first_item(list)     trusts its argument: an empty list has no item 0
 *   crash_without_gil()  crashes after releasing the GIL, while another
 *                        thread runs Python
 *   checked_first(list)  asserts the list is not empty: abort() with
 *                        glibc's assertion message
 *   recurse_deeply()     recurses in C until the stack overflows
 * and one that does its job properly, to step into with py-break:
 *   checksum(list)       the sum of a list of ints
 *
 * Build against the interpreter you will run it with, e.g.
 *     make -C examples crasher PYTHON=python3.11
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <unistd.h>
/* The assertion stays in, whatever the build flags say. */
#undef NDEBUG
#include <assert.h>

/* The compiler cannot prove this is NULL, so the store really happens. */
static int *volatile null_pointer;

static PyObject *crash_on_null(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	*null_pointer = 42; /* SIGSEGV */
	Py_RETURN_NONE;
}

static PyObject *call_then_crash(PyObject *self, PyObject *callable)
{
	/* Call back into Python first, so the C frame sits between two
	 * Python frames in the native backtrace. */
	PyObject *r = PyObject_CallObject(callable, NULL);
	if (!r)
		return NULL;
	Py_DECREF(r);
	return crash_on_null(self, NULL);
}

static PyObject *first_item(PyObject *self, PyObject *seq)
{
	(void)self;
	/* The bug: no check of the type or the length.  An empty list's
	 * ob_item is NULL, so this reads address 0. */
	PyObject *item = PyList_GET_ITEM(seq, 0);
	Py_INCREF(item);
	return item;
}

static PyObject *crash_without_gil(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	Py_BEGIN_ALLOW_THREADS
	/* Long enough for a thread waiting for the GIL to take it. */
	usleep(300 * 1000);
	*null_pointer = 42; /* SIGSEGV, without the GIL */
	Py_END_ALLOW_THREADS
	Py_RETURN_NONE;
}

static PyObject *checked_first(PyObject *self, PyObject *seq)
{
	(void)self;
	/* Checked this time, by an assertion: SIGABRT, with glibc's message
	 * "...: checked_first: Assertion `PyList_GET_SIZE(seq) > 0' failed." */
	assert(PyList_GET_SIZE(seq) > 0);
	PyObject *item = PyList_GET_ITEM(seq, 0);
	Py_INCREF(item);
	return item;
}

/* Each level keeps a buffer live across the call, so that neither the
 * call nor the frame can be optimized away. */
static __attribute__((noinline)) long descend(long depth, volatile char *parent)
{
	volatile char buf[512];
	buf[0] = (char)depth;
	buf[sizeof(buf) - 1] = parent ? parent[0] : 0;
	long below = descend(depth + 1, buf);
	return below + buf[0] + buf[sizeof(buf) - 1];
}

static PyObject *recurse_deeply(PyObject *self, PyObject *args)
{
	(void)self;
	(void)args;
	return PyLong_FromLong(descend(0, NULL)); /* SIGSEGV: the stack runs out */
}

static PyObject *checksum(PyObject *self, PyObject *seq)
{
	(void)self;
	if (!PyList_Check(seq)) {
		PyErr_SetString(PyExc_TypeError, "checksum() needs a list");
		return NULL;
	}
	long total = 0;
	for (Py_ssize_t i = 0; i < PyList_GET_SIZE(seq); i++) {
		long v = PyLong_AsLong(PyList_GET_ITEM(seq, i));
		if (v == -1 && PyErr_Occurred())
			return NULL;
		total += v;
	}
	return PyLong_FromLong(total);
}

static PyMethodDef methods[] = {
	{ "crash_on_null", crash_on_null, METH_NOARGS,
	  "Dereference a NULL pointer: the process dies with SIGSEGV." },
	{ "call_then_crash", call_then_crash, METH_O,
	  "Call the argument, then dereference a NULL pointer." },
	{ "first_item", first_item, METH_O,
	  "Return list[0], without checking anything (crashes on [])." },
	{ "crash_without_gil", crash_without_gil, METH_NOARGS,
	  "Release the GIL, wait 0.3 s, then dereference a NULL pointer." },
	{ "checksum", checksum, METH_O, "The sum of a list of ints." },
	{ "checked_first", checked_first, METH_O,
	  "Return list[0], asserting the list is not empty (aborts on [])." },
	{ "recurse_deeply", recurse_deeply, METH_NOARGS,
	  "Recurse in C until the stack overflows (SIGSEGV)." },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_pyxray_crasher",
	"Crash on purpose (pyxray examples and tests).", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__pyxray_crasher(void)
{
	return PyModule_Create(&module);
}

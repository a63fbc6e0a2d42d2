/* _pyxray_crasher - a C extension that crashes on purpose, for pyxray's
 * examples and tests: a NULL dereference reached from Python.
 *
 * Build against the interpreter you will run it with, e.g.
 *     make -C examples crasher PYTHON=python3.11
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

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

static PyMethodDef methods[] = {
	{ "crash_on_null", crash_on_null, METH_NOARGS,
	  "Dereference a NULL pointer: the process dies with SIGSEGV." },
	{ "call_then_crash", call_then_crash, METH_O,
	  "Call the argument, then dereference a NULL pointer." },
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

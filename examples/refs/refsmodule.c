/* _pyxray_leaky / _pyxray_clean - the same C extension twice: the leaky
 * build forgets one Py_DECREF per call, the clean one does not.  For
 * py-leaks refcheck's example and tests.
 *
 *   tag(obj) -> int   remembers nothing, returns id-like number of calls
 *
 * Built by examples/build-ext for an interpreter: once with -DLEAKY as
 * _pyxray_leaky, once without as _pyxray_clean. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifdef LEAKY
#define MODULE_NAME "_pyxray_leaky"
#define INIT PyInit__pyxray_leaky
#else
#define MODULE_NAME "_pyxray_clean"
#define INIT PyInit__pyxray_clean
#endif

static long calls;

static PyObject *tag(PyObject *self, PyObject *obj)
{
	(void)self;
	/* Look at the object the way real code does: hold a reference
	 * while working with it ... */
	Py_INCREF(obj);
	PyObject *type = PyObject_Type(obj);
	if (!type) {
		Py_DECREF(obj);
		return NULL;
	}
	Py_DECREF(type);
	calls++;
#ifndef LEAKY
	/* ... and give it back.  The leaky build forgets this. */
	Py_DECREF(obj);
#endif
	return PyLong_FromLong(calls);
}

static PyMethodDef methods[] = {
	{ "tag", tag, METH_O, "Count a call on obj (the leaky build leaks a reference to obj)." },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, MODULE_NAME,
	"Reference-leak example for pyxray (py-leaks refcheck).", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC INIT(void)
{
	return PyModule_Create(&module);
}

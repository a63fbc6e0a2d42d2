// _pyxray_peer - a C++ extension that starts a thread of its own, one
// that never runs Python (a peer-to-peer transport's receive loop, say),
// for pyxray's examples and tests: its frames are C++ (names that must
// be demangled) with a function inlined into another, and it belongs in
// `py-stack --native-all` and py-triage although it has no Python
// thread state.
//
//     start()   start the thread; returns its OS thread id once it waits
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace peer {

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wakeup = PTHREAD_COND_INITIALIZER;
static pthread_cond_t started = PTHREAD_COND_INITIALIZER;
static long thread_tid;

// Inlined into registered_thread: gdb's bt shows it as a frame of its own.
static inline __attribute__((always_inline)) void wait_for_messages()
{
	pthread_mutex_lock(&mutex);
	thread_tid = syscall(SYS_gettid);
	pthread_cond_signal(&started);
	for (;;)
		pthread_cond_wait(&wakeup, &mutex);
}

void *registered_thread(void *)
{
	wait_for_messages();
	return nullptr;
}

}  // namespace peer

static PyObject *start(PyObject *, PyObject *)
{
	pthread_t t;
	pthread_mutex_lock(&peer::mutex);
	if (pthread_create(&t, nullptr, peer::registered_thread, nullptr) != 0) {
		pthread_mutex_unlock(&peer::mutex);
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	while (!peer::thread_tid)
		pthread_cond_wait(&peer::started, &peer::mutex);
	long tid = peer::thread_tid;
	pthread_mutex_unlock(&peer::mutex);
	return PyLong_FromLong(tid);
}

static PyMethodDef methods[] = {
	{ "start", start, METH_NOARGS,
	  "Start the C++ thread; return its OS thread id once it waits." },
	{ nullptr, nullptr, 0, nullptr },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_pyxray_peer",
	"A C++ thread that never runs Python (pyxray examples and tests).", -1, methods,
	nullptr, nullptr, nullptr, nullptr,
};

PyMODINIT_FUNC PyInit__pyxray_peer(void)
{
	return PyModule_Create(&module);
}

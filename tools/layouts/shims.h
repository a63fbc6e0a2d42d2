/* shims.h - private CPython structs that a version's installed headers do
 * not declare, transcribed from that version's sources so that the layout
 * probe can take their offsets.  Each one is verified against the DWARF of
 * a real build by tests/tools/check_layout_dwarf.c (tests/pyxray.base/layout.exp). */
#ifndef PYX_LAYOUT_SHIMS_H
#define PYX_LAYOUT_SHIMS_H

#if PY_VERSION_HEX < 0x030B0000
/* Objects/dict-common.h, 3.8 - 3.10 */
typedef struct {
	Py_hash_t me_hash;
	PyObject *me_key;
	PyObject *me_value;
} PyDictKeyEntry;

typedef Py_ssize_t (*pyx_dict_lookup_func)(PyDictObject *mp, PyObject *key,
					   Py_hash_t hash, PyObject **value_addr);

struct _dictkeysobject {
	Py_ssize_t dk_refcnt;
	Py_ssize_t dk_size;
	pyx_dict_lookup_func dk_lookup;
	Py_ssize_t dk_usable;
	Py_ssize_t dk_nentries;
	char dk_indices[];
};
#endif

#if PY_VERSION_HEX < 0x030A0000
/* Objects/moduleobject.c, 3.8 - 3.9 */
typedef struct {
	PyObject_HEAD
	PyObject *md_dict;
	struct PyModuleDef *md_def;
	void *md_state;
	PyObject *md_weaklist;
	PyObject *md_name;
} PyModuleObject;
#endif

#if PY_VERSION_HEX < 0x030C0000
/* Objects/obmalloc.c, 3.8 - 3.11 (64-bit builds): pymalloc's constants and
 * structs, private to that file until 3.12 moved them to
 * Include/internal/pycore_obmalloc.h.  3.10 turned on the arena radix tree
 * (WITH_PYMALLOC_RADIX_TREE), and with it USE_LARGE_ARENAS and
 * USE_LARGE_POOLS: 1 MiB arenas of 16 KiB pools instead of 256 KiB arenas
 * of 4 KiB (SYSTEM_PAGE_SIZE) pools. */
#define ALIGNMENT               16
#define ALIGNMENT_SHIFT         4
#define SMALL_REQUEST_THRESHOLD 512
#define NB_SMALL_SIZE_CLASSES   (SMALL_REQUEST_THRESHOLD / ALIGNMENT)
#if PY_VERSION_HEX >= 0x030A0000
#define ARENA_SIZE              (1 << 20)
#define POOL_SIZE               (1 << 14)
#else
#define ARENA_SIZE              (256 << 10)
#define POOL_SIZE               (4 * 1024)
#endif

struct pool_header {
	union {
		unsigned char *_padding;
		unsigned int count;
	} ref;
	unsigned char *freeblock;
	struct pool_header *nextpool;
	struct pool_header *prevpool;
	unsigned int arenaindex;
	unsigned int szidx;
	unsigned int nextoffset;
	unsigned int maxnextoffset;
};

struct arena_object {
	uintptr_t address;
	unsigned char *pool_address;
	unsigned int nfreepools;
	unsigned int ntotalpools;
	struct pool_header *freepools;
	struct arena_object *nextarena;
	struct arena_object *prevarena;
};

#define POOL_OVERHEAD _Py_SIZE_ROUND_UP(sizeof(struct pool_header), ALIGNMENT)

/* The debug hooks' per-domain record (the static _PyMem_Debug holds three:
 * raw, mem, obj). */
typedef struct {
	char api_id;
	PyMemAllocatorEx alloc;
} debug_alloc_api_t;
#endif

#if PY_VERSION_HEX < 0x030C0000
/* Modules/_tracemalloc.c, 3.8 - 3.11: a frame of a traceback (packed to
 * 12 bytes), an interned traceback (most recent frame first). */
typedef struct __attribute__((packed)) {
	PyObject *filename;
	unsigned int lineno;
} frame_t;

typedef struct {
	Py_uhash_t hash;
#if PY_VERSION_HEX < 0x03090000
	int nframe;
#else
	uint16_t nframe;
	uint16_t total_nframe;
#endif
	frame_t frames[1];
} traceback_t;
#endif

/* Modules/_tracemalloc.c (3.8 - 3.11), Python/tracemalloc.c (3.12 on):
 * what a traced allocation maps to. */
typedef struct {
	size_t size;
	void *traceback;
} trace_t;

#if PY_VERSION_HEX < 0x03090000
/* Modules/hashtable.h, 3.8: entries carry their key and data inline. */
typedef struct _Py_slist_item_s {
	struct _Py_slist_item_s *next;
} _Py_slist_item_t;

typedef struct {
	_Py_slist_item_t *head;
} _Py_slist_t;

typedef struct {
	_Py_slist_item_t _Py_slist_item;
	Py_uhash_t key_hash;
} _Py_hashtable_entry_t;

typedef struct _Py_hashtable_t {
	size_t num_buckets;
	size_t entries;
	_Py_slist_t *buckets;
	size_t key_size;
	size_t data_size;
	void *hash_func, *compare_func, *copy_data_func, *free_data_func,
	     *get_data_size_func;
	struct { void *malloc, *free; } alloc;
} _Py_hashtable_t;
#endif

/* Modules/_asynciomodule.c: futures and tasks.  Task is a Future with
 * more fields after the shared head; the head changed in 3.9 (the
 * cancellation message and state), 3.10 (the exception's traceback),
 * 3.11 (the cancelled exception object), 3.13 (bit fields, the managed
 * dict and weak references) and 3.14 (awaited_by, is_task, and the
 * node that links every task into its thread's list). */
typedef enum { STATE_PENDING, STATE_CANCELLED, STATE_FINISHED } fut_state;

#if PY_VERSION_HEX < 0x03090000
#define PYX_FUTURE_HEAD(prefix) \
	PyObject_HEAD \
	PyObject *prefix##_loop; \
	PyObject *prefix##_callback0; \
	PyObject *prefix##_context0; \
	PyObject *prefix##_callbacks; \
	PyObject *prefix##_exception; \
	PyObject *prefix##_result; \
	PyObject *prefix##_source_tb; \
	fut_state prefix##_state; \
	int prefix##_log_tb; \
	int prefix##_blocking; \
	PyObject *dict; \
	PyObject *prefix##_weakreflist;
#elif PY_VERSION_HEX < 0x030A0000
#define PYX_FUTURE_HEAD(prefix) \
	PyObject_HEAD \
	PyObject *prefix##_loop; \
	PyObject *prefix##_callback0; \
	PyObject *prefix##_context0; \
	PyObject *prefix##_callbacks; \
	PyObject *prefix##_exception; \
	PyObject *prefix##_result; \
	PyObject *prefix##_source_tb; \
	PyObject *prefix##_cancel_msg; \
	fut_state prefix##_state; \
	int prefix##_log_tb; \
	int prefix##_blocking; \
	PyObject *dict; \
	PyObject *prefix##_weakreflist; \
	_PyErr_StackItem prefix##_cancelled_exc_state;
#elif PY_VERSION_HEX < 0x030B0000
#define PYX_FUTURE_HEAD(prefix) \
	PyObject_HEAD \
	PyObject *prefix##_loop; \
	PyObject *prefix##_callback0; \
	PyObject *prefix##_context0; \
	PyObject *prefix##_callbacks; \
	PyObject *prefix##_exception; \
	PyObject *prefix##_exception_tb; \
	PyObject *prefix##_result; \
	PyObject *prefix##_source_tb; \
	PyObject *prefix##_cancel_msg; \
	fut_state prefix##_state; \
	int prefix##_log_tb; \
	int prefix##_blocking; \
	PyObject *dict; \
	PyObject *prefix##_weakreflist; \
	_PyErr_StackItem prefix##_cancelled_exc_state;
#elif PY_VERSION_HEX < 0x030D0000
#define PYX_FUTURE_HEAD(prefix) \
	PyObject_HEAD \
	PyObject *prefix##_loop; \
	PyObject *prefix##_callback0; \
	PyObject *prefix##_context0; \
	PyObject *prefix##_callbacks; \
	PyObject *prefix##_exception; \
	PyObject *prefix##_exception_tb; \
	PyObject *prefix##_result; \
	PyObject *prefix##_source_tb; \
	PyObject *prefix##_cancel_msg; \
	fut_state prefix##_state; \
	int prefix##_log_tb; \
	int prefix##_blocking; \
	PyObject *dict; \
	PyObject *prefix##_weakreflist; \
	PyObject *prefix##_cancelled_exc;
#elif PY_VERSION_HEX < 0x030E0000
#define PYX_FUTURE_HEAD(prefix) \
	PyObject_HEAD \
	PyObject *prefix##_loop; \
	PyObject *prefix##_callback0; \
	PyObject *prefix##_context0; \
	PyObject *prefix##_callbacks; \
	PyObject *prefix##_exception; \
	PyObject *prefix##_exception_tb; \
	PyObject *prefix##_result; \
	PyObject *prefix##_source_tb; \
	PyObject *prefix##_cancel_msg; \
	PyObject *prefix##_cancelled_exc; \
	fut_state prefix##_state; \
	unsigned prefix##_log_tb: 1; \
	unsigned prefix##_blocking: 1;
#else
#define PYX_FUTURE_HEAD(prefix) \
	PyObject_HEAD \
	PyObject *prefix##_loop; \
	PyObject *prefix##_callback0; \
	PyObject *prefix##_context0; \
	PyObject *prefix##_callbacks; \
	PyObject *prefix##_exception; \
	PyObject *prefix##_exception_tb; \
	PyObject *prefix##_result; \
	PyObject *prefix##_source_tb; \
	PyObject *prefix##_cancel_msg; \
	PyObject *prefix##_cancelled_exc; \
	PyObject *prefix##_awaited_by; \
	fut_state prefix##_state; \
	char prefix##_is_task; \
	char prefix##_awaited_by_is_set; \
	unsigned prefix##_log_tb: 1; \
	unsigned prefix##_blocking: 1;
#endif

typedef struct {
	PYX_FUTURE_HEAD(fut)
} FutureObj;

#if PY_VERSION_HEX < 0x030B0000
typedef struct {
	PYX_FUTURE_HEAD(task)
	PyObject *task_fut_waiter;
	PyObject *task_coro;
	PyObject *task_name;
	PyObject *task_context;
	int task_must_cancel;
	int task_log_destroy_pending;
} TaskObj;
#elif PY_VERSION_HEX < 0x030D0000
typedef struct {
	PYX_FUTURE_HEAD(task)
	PyObject *task_fut_waiter;
	PyObject *task_coro;
	PyObject *task_name;
	PyObject *task_context;
	int task_must_cancel;
	int task_log_destroy_pending;
	int task_num_cancels_requested;
} TaskObj;
#else
struct pyx_llist_node {
	struct pyx_llist_node *next;
	struct pyx_llist_node *prev;
};

typedef struct {
	PYX_FUTURE_HEAD(task)
	unsigned task_must_cancel: 1;
	unsigned task_log_destroy_pending: 1;
	int task_num_cancels_requested;
	PyObject *task_fut_waiter;
	PyObject *task_coro;
	PyObject *task_name;
	PyObject *task_context;
#if PY_VERSION_HEX >= 0x030E0000
	struct pyx_llist_node task_node;
#endif
} TaskObj;
#endif

typedef struct {
	PyObject_HEAD
	FutureObj *future;
} futureiterobject;

#if PY_VERSION_HEX >= 0x030E0000
/* What 3.14's _asyncio puts in its .AsyncioDebug section (the symbol
 * _AsyncioDebug) for out-of-process tools. */
struct _Py_AsyncioModuleDebugOffsets {
	struct _asyncio_task_object {
		uint64_t size;
		uint64_t task_name;
		uint64_t task_awaited_by;
		uint64_t task_is_task;
		uint64_t task_awaited_by_is_set;
		uint64_t task_coro;
		uint64_t task_node;
	} asyncio_task_object;
	struct _asyncio_interpreter_state {
		uint64_t size;
		uint64_t asyncio_tasks_head;
	} asyncio_interpreter_state;
	struct _asyncio_thread_state {
		uint64_t size;
		uint64_t asyncio_running_loop;
		uint64_t asyncio_running_task;
		uint64_t asyncio_tasks_head;
	} asyncio_thread_state;
};
#endif

/* Objects/descrobject.c: a method-wrapper, a slot wrapper bound to an
 * object ((1).__add__). */
typedef struct {
	PyObject_HEAD
	PyWrapperDescrObject *descr;
	PyObject *self;
} wrapperobject;

/* Objects/funcobject.c: classmethod and staticmethod objects. */
typedef struct {
	PyObject_HEAD
	PyObject *cm_callable;
	PyObject *cm_dict;
} classmethod;

typedef struct {
	PyObject_HEAD
	PyObject *sm_callable;
	PyObject *sm_dict;
} staticmethod;

/* Modules/_threadmodule.c: threading.Lock and RLock.  Up to 3.13 they
 * hold a PyThread_type_lock (a malloc'ed sem_t on Linux, what a blocked
 * thread's futex waits on); 3.14 embeds a PyMutex, and the waiting
 * thread parks in Python/parking_lot.c on a wait_entry on its own
 * stack that names the mutex's address. */
#if PY_VERSION_HEX < 0x030E0000
typedef struct {
	PyObject_HEAD
	PyThread_type_lock lock_lock;
	PyObject *in_weakreflist;
	char locked;
} lockobject;

typedef struct {
	PyObject_HEAD
	PyThread_type_lock rlock_lock;
	unsigned long rlock_owner;
	unsigned long rlock_count;
	PyObject *in_weakreflist;
} rlockobject;
#else
#include "internal/pycore_lock.h"
typedef struct {
	PyObject_HEAD
	PyMutex lock;
} lockobject;

typedef struct {
	PyObject_HEAD
	_PyRecursiveMutex lock;
} rlockobject;
#endif

#if PY_VERSION_HEX >= 0x030D0000
struct wait_entry {
	void *park_arg;
	uintptr_t addr;
	_PySemaphore sema;
	struct pyx_llist_node node;
	bool is_unparking;
};
#endif

#endif

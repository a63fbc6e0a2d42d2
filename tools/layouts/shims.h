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

/* Modules/_threadmodule.c: _thread.lock (threading.Lock) and
 * _thread.RLock.  3.13 gave the RLock's owner the type PyThread_ident_t
 * (the same 8 bytes); 3.14 made both locks PyMutex based. */
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

#endif

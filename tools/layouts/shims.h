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

#endif

/* modules.h - the target's loaded ELF modules, their symbols and debug
 * info, through elfutils' libdwfl (internal). */
#ifndef PYX_MODULES_H
#define PYX_MODULES_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>

#include "pyxray.h"

struct pyx_target;

struct symbol_entry {
	const char *name;   /* points into the module's string table */
	uint64_t addr;
	uint64_t size;
	bool code;          /* a function (STT_FUNC, STT_GNU_IFUNC) */
	bool global;
};

struct pyx_module {
	Dwfl_Module *mod;
	const char *name;      /* file name as reported */
	uint64_t start, end;
	bool has_symtab;       /* a full .symtab, not only .dynsym */
	const char *build_id_hex; /* may be NULL */
	struct symbol_entry *syms; /* sorted by name, built on demand */
	size_t nsyms;
	uint32_t *by_addr;     /* indexes into syms, sorted by address */
	size_t nby_addr;
	bool syms_loaded;
};

struct pyx_modules {
	Dwfl *dwfl;
	Dwfl_Callbacks callbacks;
	struct pyx_target *target; /* where files are: core files found, roots */
	char *debuginfo_path;
	struct pyx_module *mods;
	size_t nmods;
	bool state_attached;   /* the unwinder knows the threads (unwind.c) */
	void *unwind_state;    /* unwind.c's callbacks' state; elfutils frees it */
};

struct pyx_error *modules_create(struct pyx_target *target,
				 const char *executable,
				 const char *debuginfo_path,
				 struct pyx_modules **ret);
void modules_destroy(struct pyx_modules *m);

/* Find a symbol in one module: the exact name, or an LTO-renamed static
 * ("name.lto_priv.0", "name.lto_priv"), or a compiler-suffixed static
 * ("name.0").  Returns false if not there. */
bool module_lookup(struct pyx_module *mod, const char *name, uint64_t *addr,
		   uint64_t *size);

/* Find a symbol in any module; *which gets the module (may be NULL). */
bool modules_lookup(struct pyx_modules *m, const char *name, uint64_t *addr,
		    struct pyx_module **which);

/* The address of a named ELF section in mod, if the module's file is there. */
bool module_section(struct pyx_module *mod, const char *name, uint64_t *addr,
		    uint64_t *size);

/* The module's writable segments (.data, .bss: C global and static
 * variables), as [start, end) pairs in ranges[0..2*max); returns how many. */
size_t module_writable_ranges(struct pyx_module *mod, uint64_t *ranges, size_t max);

/* Does the module have DWARF (in its file or separate debug info)?
 * This loads it, which is slow for big compressed debug files. */
bool module_has_dwarf(struct pyx_module *mod);

/* The module containing addr, or NULL. */
struct pyx_module *modules_find_addr(struct pyx_modules *m, uint64_t addr);

/* The name of the function (or object) symbol containing addr, and the
 * offset into it; NULL if unknown.  The string lives as long as m.
 * Symbol addresses are the file's values plus the module's load bias,
 * as the dynamic loader and gdb place them (libdwfl's own adjustment
 * for prelinked files goes wrong for executables edited by patchelf). */
const char *modules_symbolize(struct pyx_modules *m, uint64_t addr,
			      uint64_t *offset);

#endif

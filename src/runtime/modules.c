/* modules.c - loaded modules and symbols through libdwfl.
 *
 * For a live process libdwfl reads /proc/PID/maps; for a core it reads the
 * link map and NT_FILE note and finds each file by build-id.  Separate
 * debug info (Debian's python3.11-dbg, for example) is found by build-id
 * under the debuginfo path, and with it the full .symtab holding statics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "runtime/modules.h"
#include "target/target.h"

static int collect_module(Dwfl_Module *mod, void **userdata, const char *name,
			  Dwarf_Addr start, void *arg)
{
	(void)userdata;
	struct pyx_modules *m = arg;
	struct pyx_module *mods = realloc(m->mods, (m->nmods + 1) * sizeof(*mods));
	if (!mods)
		return DWARF_CB_ABORT;
	m->mods = mods;
	struct pyx_module *pm = &mods[m->nmods++];
	memset(pm, 0, sizeof(*pm));
	pm->mod = mod;
	Dwarf_Addr end;
	const char *mainfile = NULL;
	dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, &mainfile, NULL);
	pm->name = name;
	pm->start = start;
	pm->end = end;
	return DWARF_CB_OK;
}

struct pyx_error *modules_create(struct pyx_target *target,
				 const char *executable,
				 const char *debuginfo_path,
				 struct pyx_modules **ret)
{
	struct pyx_modules *m = calloc(1, sizeof(*m));
	if (!m)
		return pyx_error_no_memory();
	if (debuginfo_path && *debuginfo_path) {
		m->debuginfo_path = strdup(debuginfo_path);
		if (!m->debuginfo_path) {
			free(m);
			return pyx_error_no_memory();
		}
	}
	m->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
	m->callbacks.debuginfo_path = &m->debuginfo_path;
	m->callbacks.find_elf = target->kind == TARGET_PID
		? dwfl_linux_proc_find_elf : dwfl_build_id_find_elf;
	m->dwfl = dwfl_begin(&m->callbacks);
	if (!m->dwfl) {
		modules_destroy(m);
		return pyx_error_create(PYX_ERR_ELF, "libdwfl: %s", dwfl_errmsg(-1));
	}
	dwfl_report_begin(m->dwfl);
	if (target->kind == TARGET_PID) {
		int rc = dwfl_linux_proc_report(m->dwfl, target->pid);
		if (rc == EPERM || rc == EACCES) {
			modules_destroy(m);
			return target_permission_error(target->pid, rc);
		}
		if (rc != 0) {
			modules_destroy(m);
			return pyx_error_os(rc > 0 ? rc : 0,
					    "cannot list the modules of process %d: %s",
					    target->pid, rc > 0 ? strerror(rc)
					    : dwfl_errmsg(-1));
		}
	} else {
		const char *exe = executable ? executable : target->exe_path;
		int n = dwfl_core_file_report(m->dwfl, target->core_elf, exe);
		if (n < 0) {
			modules_destroy(m);
			return pyx_error_create(PYX_ERR_BAD_CORE,
						"cannot find the modules in core file %s: %s",
						target->core_path, dwfl_errmsg(-1));
		}
	}
	if (dwfl_report_end(m->dwfl, NULL, NULL) != 0) {
		modules_destroy(m);
		return pyx_error_create(PYX_ERR_ELF, "libdwfl: %s", dwfl_errmsg(-1));
	}
	if (dwfl_getmodules(m->dwfl, collect_module, m, 0) != 0) {
		modules_destroy(m);
		return pyx_error_no_memory();
	}
	*ret = m;
	return NULL;
}

void modules_destroy(struct pyx_modules *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nmods; i++)
		free(m->mods[i].syms);
	free(m->mods);
	if (m->dwfl)
		dwfl_end(m->dwfl);
	free(m->debuginfo_path);
	free(m);
}

static int cmp_symbol(const void *a, const void *b)
{
	const struct symbol_entry *x = a, *y = b;
	return strcmp(x->name, y->name);
}

static void load_symbols(struct pyx_module *pm)
{
	if (pm->syms_loaded)
		return;
	pm->syms_loaded = true;
	int n = dwfl_module_getsymtab(pm->mod);
	if (n <= 0)
		return;
	pm->syms = malloc((size_t)n * sizeof(*pm->syms));
	if (!pm->syms)
		return;
	for (int i = 0; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		GElf_Word shndx;
		const char *name = dwfl_module_getsym_info(pm->mod, i, &sym, &addr,
							   &shndx, NULL, NULL);
		if (!name || !*name || sym.st_shndx == SHN_UNDEF)
			continue;
		int type = GELF_ST_TYPE(sym.st_info);
		if (type != STT_OBJECT && type != STT_FUNC && type != STT_TLS &&
		    type != STT_NOTYPE && type != STT_GNU_IFUNC)
			continue;
		if (GELF_ST_BIND(sym.st_info) == STB_LOCAL)
			pm->has_symtab = true;
		pm->syms[pm->nsyms].name = name;
		pm->syms[pm->nsyms].addr = addr;
		pm->syms[pm->nsyms].size = sym.st_size;
		pm->nsyms++;
	}
	qsort(pm->syms, pm->nsyms, sizeof(*pm->syms), cmp_symbol);
}

static const struct symbol_entry *find_exact(struct pyx_module *pm, const char *name)
{
	if (!pm->nsyms)
		return NULL; /* no symbols: pm->syms may be NULL, bsearch's undefined */
	struct symbol_entry key = { .name = name };
	return bsearch(&key, pm->syms, pm->nsyms, sizeof(*pm->syms), cmp_symbol);
}

bool module_lookup(struct pyx_module *pm, const char *name, uint64_t *addr,
		   uint64_t *size)
{
	load_symbols(pm);
	const struct symbol_entry *e = find_exact(pm, name);
	if (!e) {
		/* Statics renamed by LTO or by the compiler sort right after
		 * the plain name: "name.lto_priv.0", "name.0". */
		size_t len = strlen(name);
		struct symbol_entry key = { .name = name };
		size_t lo = 0, hi = pm->nsyms;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (cmp_symbol(&pm->syms[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < pm->nsyms; i++) {
			const char *s = pm->syms[i].name;
			if (strncmp(s, name, len) != 0)
				break;
			if (s[len] == '.') {
				e = &pm->syms[i];
				break;
			}
		}
	}
	if (!e)
		return false;
	if (addr)
		*addr = e->addr;
	if (size)
		*size = e->size;
	return true;
}

bool modules_lookup(struct pyx_modules *m, const char *name, uint64_t *addr,
		    struct pyx_module **which)
{
	for (size_t i = 0; i < m->nmods; i++) {
		if (module_lookup(&m->mods[i], name, addr, NULL)) {
			if (which)
				*which = &m->mods[i];
			return true;
		}
	}
	return false;
}

bool module_section(struct pyx_module *pm, const char *name, uint64_t *addr,
		    uint64_t *size)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(pm->mod, &bias);
	if (!elf)
		return false;
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return false;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && strcmp(n, name) == 0) {
			*addr = sh.sh_addr + bias;
			if (size)
				*size = sh.sh_size;
			return true;
		}
	}
	return false;
}

bool module_has_dwarf(struct pyx_module *pm)
{
	/* dwfl_module_getdwarf() decompresses the debug sections: only ask
	 * when someone wants to know. */
	GElf_Addr bias;
	return dwfl_module_getdwarf(pm->mod, &bias) != NULL;
}

struct pyx_module *modules_find_addr(struct pyx_modules *m, uint64_t addr)
{
	for (size_t i = 0; i < m->nmods; i++)
		if (addr >= m->mods[i].start && addr < m->mods[i].end)
			return &m->mods[i];
	return NULL;
}

const char *modules_symbolize(struct pyx_modules *m, uint64_t addr,
			      uint64_t *offset)
{
	if (!m || !m->dwfl)
		return NULL;
	Dwfl_Module *mod = dwfl_addrmodule(m->dwfl, addr);
	if (!mod)
		return NULL;
	GElf_Off off;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL,
						NULL, NULL);
	if (name && offset)
		*offset = off;
	return name;
}

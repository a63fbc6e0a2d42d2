/* modules.c - loaded modules and symbols through libdwfl.
 *
 * For a live process libdwfl reads /proc/PID/maps; for a core it reads the
 * link map and NT_FILE note and finds each file by build-id.  Separate
 * debug info (Debian's python3.11-dbg, for example) is found by build-id
 * under the debuginfo path, and with it the full .symtab holding statics.
 *
 * Files are looked for where the target's files are: a live process in
 * another mount namespace (a container) has them under /proc/PID/root; a
 * core's were found by target/target_core.c (sysroot, library search
 * path, build-id checked).  Separate debug files are also looked for in
 * ROOT/usr/lib/debug/.build-id for each such root, and for the tree a
 * file sits in (an interpreter unpacked under DIR/usr/bin has its debug
 * files in DIR/usr/lib/debug).
 */
#include <dirent.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "runtime/modules.h"
#include "target/target.h"

/* The callbacks reach the modules through each module's userdata (set
 * once reported); while libdwfl reports modules, through this. */
static __thread struct pyx_modules *reporting;

static struct pyx_modules *modules_of(void **userdata)
{
	if (userdata && *userdata)
		return *userdata;
	return reporting;
}

static int open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A live process in another root names its files from inside it: as
 * /usr/lib/x.so (a container that pivoted its root), or with the root's
 * own path in front (a chroot seen from another mount namespace:
 * /srv/ct/usr/lib/x.so, where /proc/PID/root points at /srv/ct).  Try the
 * file through /proc/PID/root both ways, then the mapping itself
 * (/proc/PID/map_files, which needs more privilege). */
static char *live_file(struct pyx_target *t, Dwfl_Module *mod, const char *modname)
{
	const char *root = target_root(t);
	char *path = NULL;
	if (root && modname[0] == '/') {
		char inside[4096];
		ssize_t n = readlink(root, inside, sizeof(inside) - 1);
		if (n > 1) {
			inside[n] = '\0';
			size_t len = (size_t)n;
			if (strncmp(modname, inside, len) == 0 && modname[len] == '/' &&
			    asprintf(&path, "%s%s", root, modname + len) >= 0) {
				if (access(path, R_OK) == 0)
					return path;
				free(path);
			}
		}
		if (asprintf(&path, "%s%s", root, modname) >= 0) {
			if (access(path, R_OK) == 0)
				return path;
			free(path);
		}
	}
	if (root) {
		Dwarf_Addr start, end;
		dwfl_module_info(mod, NULL, &start, &end, NULL, NULL, NULL, NULL);
		char dir[64];
		snprintf(dir, sizeof(dir), "/proc/%d/map_files", t->pid);
		if (asprintf(&path, "%s/%llx-", dir, (unsigned long long)start) < 0)
			return NULL;
		/* The entry is named START-END of the first mapping. */
		DIR *d = opendir(dir);
		struct dirent *e;
		char *found = NULL;
		const char *want = path + strlen(dir) + 1;
		while (d && (e = readdir(d))) {
			if (strncmp(e->d_name, want, strlen(want)) == 0) {
				if (asprintf(&found, "%s/%s", dir, e->d_name) < 0)
					found = NULL;
				break;
			}
		}
		if (d)
			closedir(d);
		free(path);
		return found;
	}
	return NULL;
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
		    Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct pyx_modules *m = modules_of(userdata);
	if (m && m->target) {
		char *path = NULL;
		const char *found = target_core_file(m->target, modname);
		if (found)
			path = strdup(found);
		else if (m->target->kind == TARGET_PID)
			path = live_file(m->target, mod, modname);
		int fd = path ? open_regular(path) : -1;
		if (fd >= 0) {
			*file_name = path;
			*elfp = NULL;
			return fd;
		}
		free(path);
	}
	if (m && m->target && m->target->kind == TARGET_PID)
		return dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp);
	return dwfl_build_id_find_elf(mod, userdata, modname, base, file_name, elfp);
}

/* DIR when path is DIR/usr/..., else NULL (malloc'ed). */
static char *tree_root(const char *path)
{
	const char *u = path ? strstr(path, "/usr/") : NULL;
	if (!u || u == path)
		return NULL;
	return strndup(path, (size_t)(u - path));
}

static int debug_file_in(const char *root, const unsigned char *id, int len,
			 char **debuginfo_file_name)
{
	char hexid[2 * 64 + 1];
	if (len <= 1 || len > 64)
		return -1;
	for (int i = 0; i < len; i++)
		sprintf(hexid + 2 * i, "%02x", id[i]);
	char *path;
	if (asprintf(&path, "%s/usr/lib/debug/.build-id/%.2s/%s.debug", root, hexid,
		     hexid + 2) < 0)
		return -1;
	int fd = open_regular(path);
	if (fd >= 0) {
		/* Only the file with the same build-id will do. */
		Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		const void *got = NULL;
		ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &got) : -1;
		bool same = n == len && memcmp(got, id, (size_t)len) == 0;
		if (elf)
			elf_end(elf);
		if (same) {
			*debuginfo_file_name = path;
			return fd;
		}
		close(fd);
	}
	free(path);
	return -1;
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			  GElf_Addr base, const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	int fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
					      debuglink_file, debuglink_crc,
					      debuginfo_file_name);
	if (fd >= 0)
		return fd;
	const unsigned char *id;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &id, &vaddr);
	if (len <= 0)
		return -1;
	struct pyx_modules *m = modules_of(userdata);
	const char *root = m && m->target ? target_root(m->target) : NULL;
	if (root && (fd = debug_file_in(root, id, len, debuginfo_file_name)) >= 0)
		return fd;
	const char *names[2] = { file_name, modname };
	for (int i = 0; i < 2 && fd < 0; i++) {
		char *tree = tree_root(names[i]);
		if (tree)
			fd = debug_file_in(tree, id, len, debuginfo_file_name);
		free(tree);
	}
	return fd;
}

static int collect_module(Dwfl_Module *mod, void **userdata, const char *name,
			  Dwarf_Addr start, void *arg)
{
	struct pyx_modules *m = arg;
	*userdata = m;
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
	m->target = target;
	m->callbacks.find_debuginfo = find_debuginfo;
	m->callbacks.debuginfo_path = &m->debuginfo_path;
	m->callbacks.find_elf = find_elf;
	m->dwfl = dwfl_begin(&m->callbacks);
	if (!m->dwfl) {
		modules_destroy(m);
		return pyx_error_create(PYX_ERR_ELF, "libdwfl: %s", dwfl_errmsg(-1));
	}
	reporting = m;
	dwfl_report_begin(m->dwfl);
	if (target->kind == TARGET_PID) {
		int rc = dwfl_linux_proc_report(m->dwfl, target->pid);
		if (rc == EPERM || rc == EACCES) {
			modules_destroy(m);
			return target_permission_error(target->pid, rc);
		}
		if (rc != 0) {
			reporting = NULL;
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
			reporting = NULL;
			modules_destroy(m);
			return pyx_error_create(PYX_ERR_BAD_CORE,
						"cannot find the modules in core file %s: %s",
						target->core_path, dwfl_errmsg(-1));
		}
	}
	if (dwfl_report_end(m->dwfl, NULL, NULL) != 0) {
		reporting = NULL;
		modules_destroy(m);
		return pyx_error_create(PYX_ERR_ELF, "libdwfl: %s", dwfl_errmsg(-1));
	}
	int rc = dwfl_getmodules(m->dwfl, collect_module, m, 0);
	reporting = NULL;
	if (rc != 0) {
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
	for (size_t i = 0; i < m->nmods; i++) {
		free(m->mods[i].syms);
		free(m->mods[i].by_addr);
	}
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

static const struct pyx_module *sort_module;

static int cmp_by_addr(const void *a, const void *b)
{
	const struct symbol_entry *x = &sort_module->syms[*(const uint32_t *)a];
	const struct symbol_entry *y = &sort_module->syms[*(const uint32_t *)b];
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* At one address, the one to name it by last: a global function. */
	if (x->code != y->code)
		return x->code ? 1 : -1;
	if (x->global != y->global)
		return x->global ? 1 : -1;
	return 0;
}

static void load_symbols(struct pyx_module *pm)
{
	if (pm->syms_loaded)
		return;
	pm->syms_loaded = true;
	int n = dwfl_module_getsymtab(pm->mod);
	if (n <= 0)
		return;
	GElf_Addr bias = 0;
	if (!dwfl_module_getelf(pm->mod, &bias))
		bias = 0;
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
		struct symbol_entry *e = &pm->syms[pm->nsyms++];
		e->name = name;
		/* The file's address plus the load bias (see modules.h). */
		e->addr = type == STT_TLS || sym.st_shndx == SHN_ABS ? addr : sym.st_value + bias;
		e->size = sym.st_size;
		e->code = type == STT_FUNC || type == STT_GNU_IFUNC;
		e->global = GELF_ST_BIND(sym.st_info) != STB_LOCAL;
	}
	qsort(pm->syms, pm->nsyms, sizeof(*pm->syms), cmp_symbol);
	pm->by_addr = malloc((pm->nsyms ? pm->nsyms : 1) * sizeof(*pm->by_addr));
	if (!pm->by_addr)
		return;
	for (size_t i = 0; i < pm->nsyms; i++) {
		const char *nm = pm->syms[i].name;
		/* Local labels and section-end markers name nothing useful. */
		if (pm->syms[i].addr < pm->start || pm->syms[i].addr >= pm->end ||
		    (nm[0] == '.' && nm[1] == 'L'))
			continue;
		pm->by_addr[pm->nby_addr++] = (uint32_t)i;
	}
	sort_module = pm;
	qsort(pm->by_addr, pm->nby_addr, sizeof(*pm->by_addr), cmp_by_addr);
	sort_module = NULL;
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
	for (size_t i = 0; m && i < m->nmods; i++) {
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

size_t module_writable_ranges(struct pyx_module *pm, uint64_t *ranges, size_t max)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(pm->mod, &bias);
	size_t phnum, n = 0;
	if (!elf || elf_getphdrnum(elf, &phnum) != 0)
		return 0;
	for (size_t i = 0; i < phnum && n < max; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_W) || !ph.p_memsz)
			continue;
		ranges[2 * n] = bias + ph.p_vaddr;
		ranges[2 * n + 1] = bias + ph.p_vaddr + ph.p_memsz;
		n++;
	}
	return n;
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
	if (!m)
		return NULL;
	struct pyx_module *pm = modules_find_addr(m, addr);
	if (!pm)
		return NULL;
	load_symbols(pm);
	size_t lo = 0, hi = pm->nby_addr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pm->syms[pm->by_addr[mid]].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo - 1: the last symbol at or below addr (the preferred one of
	 * several at one address sorts last).  A sized symbol must contain
	 * addr; an unsized one names what follows it. */
	if (lo == 0)
		return NULL;
	const struct symbol_entry *e = &pm->syms[pm->by_addr[lo - 1]];
	if (e->size && addr >= e->addr + e->size)
		return NULL;
	if (offset)
		*offset = addr - e->addr;
	return e->name;
}

/* symbols.c - what a native pc is, as gdb's bt names it: the functions at
 * it from the module's DWARF (functions inlined there first, each with
 * its file and line: the innermost from the line table, each outer one
 * at the inlined call's DW_AT_call_file/line), else the ELF symbol.
 * C++ names are demangled (libstdc++'s __cxa_demangle, the demangler gdb
 * uses too) and printed without their parameter list, as bt does; symbol
 * version suffixes (memcpy@@GLIBC_2.14) are dropped.  Answers are cached
 * per program and pc: every thread of a process runs the same code.
 *
 * What the DWARF says about a module's offsets is also kept on disk,
 * under the module's build-id ($XDG_CACHE_HOME/pyxray/symbols, or
 * $PYXRAY_SYMBOL_CACHE; PYXRAY_SYMBOL_CACHE=off turns it off): the next
 * run names those pcs without loading the module's DWARF, whose
 * decompression is most of a cold unwind's time.  A build-id names one
 * build of one file, so an entry never goes stale; entries are only
 * added, a line each. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "native/native.h"
#include "runtime/modules.h"
#include "util/error.h"
#include "util/strbuf.h"

/* libstdc++'s demangler (extern "C" in cxxabi.h). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

#define MAX_INLINE_DEPTH 64

struct entry {
	uint64_t key;          /* pc << 1 | call_site; 0: empty */
	uint32_t first, n;     /* into locs */
};

/* A module whose entries on disk were read (or that has none). */
struct disk_module {
	const struct pyx_module *pm;
	int fd;                /* open for appending, or -1 */
	Dwarf_Addr bias;
};

struct sym_cache {
	struct entry *slots;
	size_t cap, used;
	struct disk_module *mods;
	size_t nmods;
	struct native_loc *locs;
	size_t nlocs, caplocs;
	char **strs;           /* every string the locs point at */
	size_t nstrs, capstrs;
};

static void sym_cache_free(void *p)
{
	struct sym_cache *c = p;
	if (!c)
		return;
	for (size_t i = 0; i < c->nmods; i++)
		if (c->mods[i].fd >= 0)
			close(c->mods[i].fd);
	free(c->mods);
	for (size_t i = 0; i < c->nstrs; i++)
		free(c->strs[i]);
	free(c->strs);
	free(c->locs);
	free(c->slots);
	free(c);
}

static const char *keep(struct sym_cache *c, char *s)
{
	if (!s)
		return NULL;
	if (c->nstrs == c->capstrs) {
		size_t cap = c->capstrs ? c->capstrs * 2 : 64;
		char **v = realloc(c->strs, cap * sizeof(*v));
		if (!v) {
			free(s);
			return NULL;
		}
		c->strs = v;
		c->capstrs = cap;
	}
	c->strs[c->nstrs++] = s;
	return s;
}

/* ---- names ---------------------------------------------------------------- */

/* Drop a C++ name's parameter list (and what follows it: " const"),
 * as gdb's bt prints frames: "ns::f(int) const" -> "ns::f". */
static void remove_params(char *s)
{
	size_t n = strlen(s);
	/* The last ')' that closes the parameter list. */
	ssize_t close = -1;
	for (ssize_t i = (ssize_t)n - 1; i >= 0; i--)
		if (s[i] == ')') {
			close = i;
			break;
		}
	if (close < 0)
		return;
	int depth = 0;
	for (ssize_t i = close; i >= 0; i--) {
		if (s[i] == ')')
			depth++;
		else if (s[i] == '(' && --depth == 0) {
			/* "(anonymous namespace)" at the start is not a list. */
			if (i == 0)
				return;
			s[i] = '\0';
			return;
		}
	}
}

char *native_clean_name(const char *raw)
{
	if (!raw)
		return NULL;
	char *s = strdup(raw);
	if (!s)
		return NULL;
	/* memcpy@@GLIBC_2.14, __libc_start_main@GLIBC_2.2.5 */
	char *at = strchr(s, '@');
	if (at && at != s)
		*at = '\0';
	if (strncmp(s, "_Z", 2) == 0) {
		int status = -1;
		char *d = __cxa_demangle(s, NULL, NULL, &status);
		if (d && status == 0) {
			free(s);
			remove_params(d);
			return d;
		}
		free(d);
	}
	return s;
}

static const char *die_string(Dwarf_Die *die, int name)
{
	Dwarf_Attribute a;
	return dwarf_formstring(dwarf_attr_integrate(die, name, &a));
}

static bool is_cplusplus(Dwarf_Die *cudie)
{
	int lang = dwarf_srclang(cudie);
	return lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_11 ||
	       lang == DW_LANG_C_plus_plus_14 || lang == DW_LANG_C_plus_plus_03;
}

/* A C++ name without a linkage name (a static inline function): qualified
 * by the namespaces and classes around its declaration, as gdb does. */
static char *qualified(Dwarf_Die *die, const char *name)
{
	Dwarf_Attribute a;
	Dwarf_Die decl = *die, origin;
	/* The abstract origin (or specification) holds the declaration. */
	for (int i = 0; i < 4; i++) {
		if (dwarf_formref_die(dwarf_attr(&decl, DW_AT_abstract_origin, &a), &origin) ||
		    dwarf_formref_die(dwarf_attr(&decl, DW_AT_specification, &a), &origin))
			decl = origin;
		else
			break;
	}
	Dwarf_Die *scopes = NULL;
	int n = dwarf_getscopes_die(&decl, &scopes);
	struct strbuf sb = STRBUF_INIT;
	for (int i = n - 1; i > 0; i--) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_namespace && tag != DW_TAG_class_type &&
		    tag != DW_TAG_structure_type && tag != DW_TAG_union_type)
			continue;
		const char *part = dwarf_diename(&scopes[i]);
		strbuf_puts(&sb, part ? part : "(anonymous namespace)");
		strbuf_puts(&sb, "::");
	}
	free(scopes);
	strbuf_puts(&sb, name);
	char *out = NULL;
	struct pyx_error *err = strbuf_finish(&sb, &out);
	if (err) {
		pyx_error_destroy(err);
		return strdup(name);
	}
	return out;
}

/* A subprogram's or inlined subroutine's name as gdb prints it. */
static char *die_function(Dwarf_Die *cudie, Dwarf_Die *die)
{
	const char *linkage = die_string(die, DW_AT_linkage_name);
	if (!linkage)
		linkage = die_string(die, DW_AT_MIPS_linkage_name);
	if (linkage)
		return native_clean_name(linkage);
	const char *name = die_string(die, DW_AT_name);
	if (name && is_cplusplus(cudie))
		return qualified(die, name);
	return name ? strdup(name) : NULL;
}

static char *call_file(Dwarf_Die *cudie, Dwarf_Die *inl)
{
	Dwarf_Attribute a;
	Dwarf_Word idx;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &idx) != 0)
		return NULL;
	Dwarf_Files *files;
	size_t nfiles;
	if (dwarf_getsrcfiles(cudie, &files, &nfiles) != 0 || idx >= nfiles)
		return NULL;
	const char *f = dwarf_filesrc(files, idx, NULL, NULL);
	return f ? strdup(f) : NULL;
}

static int call_line(Dwarf_Die *inl)
{
	Dwarf_Attribute a;
	Dwarf_Word line;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &a), &line) != 0)
		return 0;
	return (int)line;
}

/* ---- one pc ------------------------------------------------------------------ */

/* The subprogram and inlined subroutines containing addr, outermost
 * first, found by descending from the CU into the children that hold
 * it.  (libdw's dwarf_getscopes finds nothing in the LTO units of
 * Debian's python3.11, whose functions refer to abstract origins in
 * other units.)  Returns how many, at most max. */
static int scopes_at(Dwarf_Die *cudie, Dwarf_Addr addr, Dwarf_Die *out, int max)
{
	int n = 0;
	Dwarf_Die parent = *cudie, child;
	/* Each level: find the child holding addr; imported units are
	 * searched as if their children were ours. */
	for (int level = 0; level < 256 && n < max; level++) {
		if (dwarf_child(&parent, &child) != 0)
			break;
		bool found = false;
		Dwarf_Die stack[8];
		int depth = 0;
		for (;;) {
			int tag = dwarf_tag(&child);
			if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
			    tag == DW_TAG_lexical_block || tag == DW_TAG_try_block ||
			    tag == DW_TAG_catch_block) {
				if (dwarf_haspc(&child, addr) == 1) {
					found = true;
					break;
				}
			} else if (tag == DW_TAG_imported_unit && depth < 8) {
				Dwarf_Attribute a;
				Dwarf_Die unit, first;
				if (dwarf_formref_die(dwarf_attr(&child, DW_AT_import, &a), &unit) &&
				    dwarf_child(&unit, &first) == 0) {
					stack[depth++] = child;
					child = first;
					continue;
				}
			}
			while (dwarf_siblingof(&child, &child) != 0) {
				if (depth == 0)
					goto next_level;
				child = stack[--depth];
			}
		}
	next_level:
		if (!found)
			break;
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine)
			out[n++] = child;
		parent = child;
	}
	return n;
}

static bool push(struct sym_cache *c, const struct native_loc *l)
{
	if (c->nlocs == c->caplocs) {
		size_t cap = c->caplocs ? c->caplocs * 2 : 256;
		struct native_loc *v = realloc(c->locs, cap * sizeof(*v));
		if (!v)
			return false;
		c->locs = v;
		c->caplocs = cap;
	}
	c->locs[c->nlocs++] = *l;
	return true;
}

/* The source line of addr (module-relative) as gdb reads the line table:
 * the rows at the highest address not above addr, and of several rows
 * at that address the last that starts a statement (libdw's own lookup
 * takes the last row, which may be a non-statement row of another
 * file). */
static bool line_at(Dwarf_Die *cudie, Dwarf_Addr addr, const char **file, int *line)
{
	Dwarf_Lines *lines;
	size_t n;
	if (dwarf_getsrclines(cudie, &lines, &n) != 0 || !n)
		return false;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		Dwarf_Addr a;
		dwarf_lineaddr(dwarf_onesrcline(lines, mid), &a);
		if (a <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	Dwarf_Line *last = dwarf_onesrcline(lines, lo - 1);
	bool end;
	if (dwarf_lineendsequence(last, &end) != 0 || end)
		return false;
	Dwarf_Addr at;
	dwarf_lineaddr(last, &at);
	Dwarf_Line *pick = last;
	for (size_t i = lo; i-- > 0;) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		Dwarf_Addr a;
		bool stmt = false;
		dwarf_lineaddr(l, &a);
		if (a != at)
			break;
		if (dwarf_linebeginstatement(l, &stmt) == 0 && stmt) {
			pick = l;
			break;
		}
	}
	*file = dwarf_linesrc(pick, NULL, NULL);
	return *file && dwarf_lineno(pick, line) == 0;
}

/* The functions at lookup (pc, or pc - 1 for a call site), innermost
 * first, appended to the cache's locs. */
static bool resolve(struct pyx_program *prog, struct sym_cache *c, uint64_t lookup)
{
	struct pyx_module *pm = modules_find_addr(prog->modules, lookup);
	/* The DWARF's addresses are the file's: pc minus the load bias of
	 * the module's ELF file, as for its symbols (libdwfl's own bias for
	 * the debug file goes wrong for executables edited by patchelf). */
	Dwarf_Addr bias = 0, dwbias = 0;
	Dwarf_Die cu_mem, *cudie = NULL;
	Dwarf *dw = pm && dwfl_module_getelf(pm->mod, &bias)
		? dwfl_module_getdwarf(pm->mod, &dwbias) : NULL;
	if (dw && dwarf_addrdie(dw, lookup - bias, &cu_mem))
		cudie = &cu_mem;
	size_t start = c->nlocs;
	const char *line_file = NULL;
	int line_no = 0;
	if (cudie) {
		const char *f = NULL;
		int lineno = 0;
		if (line_at(cudie, lookup - bias, &f, &lineno)) {
			line_file = keep(c, strdup(f));
			line_no = lineno;
		}
	}
	if (cudie) {
		Dwarf_Die scopes[MAX_INLINE_DEPTH];
		int n = scopes_at(cudie, lookup - bias, scopes, MAX_INLINE_DEPTH);
		const char *file = line_file;
		int lineno = line_no;
		/* Innermost first. */
		for (int i = n - 1; i >= 0; i--) {
			int tag = dwarf_tag(&scopes[i]);
			struct native_loc l = {
				.function = keep(c, die_function(cudie, &scopes[i])),
				.file = file, .line = lineno,
				.inlined = tag == DW_TAG_inlined_subroutine,
			};
			if (!l.function)
				break;
			push(c, &l);
			if (tag == DW_TAG_subprogram)
				break;
			/* The caller's location: where the inlined call is. */
			file = keep(c, call_file(cudie, &scopes[i]));
			lineno = call_line(&scopes[i]);
		}
	}
	if (c->nlocs == start) {
		/* No DWARF for it: the ELF symbol (the .symtab of separate
		 * debug info when there is one, else .dynsym). */
		const char *sym = modules_symbolize(prog->modules, lookup, NULL);
		struct native_loc l = {
			.function = sym ? keep(c, native_clean_name(sym)) : NULL,
			.file = line_file, .line = line_no,
		};
		push(c, &l);
	}
	/* The last one is the physical frame. */
	if (c->nlocs > start)
		c->locs[c->nlocs - 1].inlined = false;
	/* Worth keeping on disk when it needed the module's DWARF (also when
	 * no unit of it covers the pc: the next run need not load it to
	 * learn that again). */
	return dw != NULL && c->nlocs > start;
}

static size_t hash(uint64_t k, size_t cap)
{
	k ^= k >> 31;
	k *= 0x7fb5d329728ea185ull;
	k ^= k >> 27;
	return (size_t)k & (cap - 1);
}

static bool grow(struct sym_cache *c)
{
	size_t cap = c->cap ? c->cap * 2 : 1024;
	struct entry *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return false;
	for (size_t i = 0; i < c->cap; i++) {
		if (!c->slots[i].key)
			continue;
		size_t k = hash(c->slots[i].key, cap);
		while (slots[k].key)
			k = (k + 1) & (cap - 1);
		slots[k] = c->slots[i];
	}
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
	return true;
}

/* ---- the entries on disk ------------------------------------------------------- */

static char *cache_path(const struct pyx_module *pm)
{
	const char *env = getenv("PYXRAY_SYMBOL_CACHE");
	if (env && (strcmp(env, "off") == 0 || strcmp(env, "0") == 0))
		return NULL;
	/* The build-id names the file's contents. */
	const unsigned char *bits;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(pm->mod, &bits, &vaddr);
	if (len <= 0 || len > 64)
		return NULL;
	char id[129];
	for (int i = 0; i < len; i++)
		snprintf(id + 2 * i, 3, "%02x", bits[i]);
	char dir[4096];
	if (env && *env) {
		snprintf(dir, sizeof(dir), "%s", env);
	} else {
		const char *xdg = getenv("XDG_CACHE_HOME");
		const char *home = getenv("HOME");
		if (xdg && *xdg)
			snprintf(dir, sizeof(dir), "%s/pyxray/symbols", xdg);
		else if (home && *home)
			snprintf(dir, sizeof(dir), "%s/.cache/pyxray/symbols", home);
		else
			return NULL;
	}
	/* Make the directories, each private to the user. */
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return NULL;
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return NULL;
	char *path = NULL;
	if (asprintf(&path, "%s/%s.v1", dir, id) < 0)
		return NULL;
	return path;
}

static bool insert(struct sym_cache *c, uint64_t key, size_t first, size_t n);
static bool find(struct sym_cache *c, uint64_t key, size_t *slot);

/* "OFFSET\tN" then per function "\tINLINED\tLINE\tFUNCTION\tFILE". */
static void load_line(struct sym_cache *c, char *line, Dwarf_Addr bias)
{
	char *save = NULL;
	char *f = strtok_r(line, "\t\n", &save);
	if (!f)
		return;
	uint64_t offset = strtoull(f, NULL, 16);
	f = strtok_r(NULL, "\t\n", &save);
	unsigned long n = f ? strtoul(f, NULL, 10) : 0;
	if (!n || n > MAX_INLINE_DEPTH)
		return;
	size_t first = c->nlocs;
	for (unsigned long i = 0; i < n; i++) {
		char *inl = strtok_r(NULL, "\t\n", &save);
		char *ln = strtok_r(NULL, "\t\n", &save);
		char *fn = strtok_r(NULL, "\t\n", &save);
		char *file = strtok_r(NULL, "\t\n", &save);
		if (!inl || !ln || !fn || !file) {
			c->nlocs = first;
			return;
		}
		struct native_loc l = {
			.function = strcmp(fn, "-") ? keep(c, strdup(fn)) : NULL,
			.file = strcmp(file, "-") ? keep(c, strdup(file)) : NULL,
			.line = atoi(ln), .inlined = inl[0] == '1',
		};
		if (!push(c, &l)) {
			c->nlocs = first;
			return;
		}
	}
	if (!insert(c, ((offset + bias) << 1) | 1, first, c->nlocs - first))
		c->nlocs = first;
}

/* The module's entries on disk, once per program. */
static struct disk_module *disk_module(struct pyx_program *prog, struct sym_cache *c,
				       const struct pyx_module *pm)
{
	for (size_t i = 0; i < c->nmods; i++)
		if (c->mods[i].pm == pm)
			return &c->mods[i];
	struct disk_module *v = realloc(c->mods, (c->nmods + 1) * sizeof(*v));
	if (!v)
		return NULL;
	c->mods = v;
	struct disk_module *d = &v[c->nmods++];
	d->pm = pm;
	d->fd = -1;
	d->bias = 0;
	if (!dwfl_module_getelf(pm->mod, &d->bias))
		return d;
	char *path = cache_path(pm);
	if (!path)
		return d;
	FILE *fp = fopen(path, "r");
	if (fp) {
		char line[8192];
		while (fgets(line, sizeof(line), fp))
			load_line(c, line, d->bias);
		fclose(fp);
	}
	d->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	return d;
}

static bool clean(const char *s)
{
	return !s || (!strchr(s, '\t') && !strchr(s, '\n') && strcmp(s, "-") != 0 && *s);
}

/* Add what the DWARF said about one offset, in one write (O_APPEND:
 * processes writing at once do not interleave lines). */
static void save_entry(const struct disk_module *d, uint64_t lookup,
		       const struct native_loc *locs, size_t n)
{
	if (d->fd < 0)
		return;
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "%llx\t%zu", (unsigned long long)(lookup - d->bias), n);
	for (size_t i = 0; i < n; i++) {
		if (!clean(locs[i].function) || !clean(locs[i].file)) {
			strbuf_release(&sb);
			return;
		}
		strbuf_printf(&sb, "\t%d\t%d\t%s\t%s", locs[i].inlined ? 1 : 0, locs[i].line,
			      locs[i].function ? locs[i].function : "-",
			      locs[i].file ? locs[i].file : "-");
	}
	strbuf_puts(&sb, "\n");
	if (!sb.oom && sb.len < 4096 && write(d->fd, sb.s, sb.len) != (ssize_t)sb.len) {
		/* A cache that cannot be written is only slower. */
	}
	strbuf_release(&sb);
}

size_t native_locate(struct pyx_program *prog, uint64_t pc, bool call_site,
		     const struct native_loc **ret)
{
	static const struct native_loc unknown = { 0 };
	*ret = &unknown;
	struct sym_cache *c = program_cache(prog, PROGRAM_CACHE_NATIVE);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return 1;
		program_cache_set(prog, PROGRAM_CACHE_NATIVE, c, sym_cache_free);
	}
	uint64_t lookup = call_site && pc ? pc - 1 : pc;
	uint64_t key = (lookup << 1) | 1;
	struct pyx_module *pm = modules_find_addr(prog->modules, lookup);
	struct disk_module *d = pm ? disk_module(prog, c, pm) : NULL;
	size_t k;
	if (!find(c, key, &k)) {
		size_t first = c->nlocs;
		bool dwarf = resolve(prog, c, lookup);
		if (c->nlocs == first || !insert(c, key, first, c->nlocs - first))
			return 1;
		if (dwarf && d)
			save_entry(d, lookup, &c->locs[first], c->nlocs - first);
		if (!find(c, key, &k))
			return 1;
	}
	*ret = &c->locs[c->slots[k].first];
	return c->slots[k].n;
}

static bool find(struct sym_cache *c, uint64_t key, size_t *slot)
{
	if (!c->cap)
		return false;
	size_t k = hash(key, c->cap);
	while (c->slots[k].key) {
		if (c->slots[k].key == key) {
			*slot = k;
			return true;
		}
		k = (k + 1) & (c->cap - 1);
	}
	return false;
}

static bool insert(struct sym_cache *c, uint64_t key, size_t first, size_t n)
{
	if ((c->used + 1) * 2 > c->cap && !grow(c))
		return false;
	size_t k = hash(key, c->cap);
	while (c->slots[k].key && c->slots[k].key != key)
		k = (k + 1) & (c->cap - 1);
	if (!c->slots[k].key)
		c->used++;
	c->slots[k] = (struct entry){ key, (uint32_t)first, (uint32_t)n };
	return true;
}

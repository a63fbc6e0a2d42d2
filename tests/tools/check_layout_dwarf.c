/* check_layout_dwarf.c - cross-check a layout table against a build's DWARF.
 *
 *	check-layout-dwarf MODULE_PATH TABLE_NAME [LABEL]
 *
 * MODULE_PATH is the ELF file holding the interpreter (/usr/bin/python3.11,
 * a pyenv build's libpython3.12.so.1.0, ...); TABLE_NAME is a layout's
 * .name ("3.8" ... "3.13", "3.11d").  Every OFFSET and SIZE entry of the
 * table (those with members[id].ctype set) is looked up in the module's
 * DWARF, found through libdwfl as gdb would (separate debug info by
 * build-id, e.g. Debian's python3.11-dbg), and one line per entry says
 * whether they agree:
 *
 *	CHECK ok LABEL: IDNAME ctype.member = VALUE
 *	CHECK ok LABEL: IDNAME sizeof(ctype) = VALUE
 *	CHECK FAIL LABEL: IDNAME ctype.member: table says X, DWARF says Y
 *	CHECK FAIL LABEL: IDNAME ctype.member: not found in DWARF
 *	CHECK skip LABEL: IDNAME ctype: type not in DWARF
 *	CHECK-END
 *
 * Exit status: 0 when nothing failed, 1 when something did, 2 on a usage
 * error or when the module has no (usable) DWARF.  Constants and bit masks
 * (members[id].ctype == NULL) are not checked here.
 *
 * Type names: "struct X" / "union X" is the complete definition of that
 * tag; a bare name is a typedef, resolved through typedefs and qualifiers
 * (a typedef of an incomplete struct takes that struct's complete
 * definition from another CU), or else a struct/union tag of that name.
 * Member paths are dotted ("threads.head"); a component not found
 * directly is looked for inside anonymous struct/union members.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "runtime/layout.h"
#include "layout_names.h"

_Static_assert(sizeof(pyx_layout_id_names) / sizeof(pyx_layout_id_names[0])
	       == PYX_L_COUNT, "layout_names.h is stale");

#define MAX_ANON_DEPTH 8
#define MAX_TYPE_CHAIN 64

/* ------------------------------------------------------------------ */
/* Complete struct/union definitions by tag name                       */
/* ------------------------------------------------------------------ */

struct type_entry {
	const char *name;       /* in the DWARF's string table; NULL = empty */
	int tag;                /* DW_TAG_structure_type or DW_TAG_union_type */
	Dwarf_Die die;          /* the first complete definition seen */
	Dwarf_Word size;
	Dwarf_Word other_size;  /* a later definition's differing size */
	bool conflict;
};

struct type_map {
	struct type_entry *slots;
	size_t cap;             /* a power of two */
	size_t used;
};

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct type_entry *map_slot(const struct type_map *m, const char *name)
{
	size_t mask = m->cap - 1;
	for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
		struct type_entry *e = &m->slots[i];
		if (!e->name || strcmp(e->name, name) == 0)
			return e;
	}
}

static struct pyx_error *map_grow(struct type_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 4096;
	struct type_entry *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return pyx_error_no_memory();
	struct type_map bigger = { slots, cap, m->used };
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].name)
			*map_slot(&bigger, m->slots[i].name) = m->slots[i];
	free(m->slots);
	*m = bigger;
	return NULL;
}

/* Record a complete definition; the first one wins, a later one of a
 * different size is remembered as a conflict. */
static struct pyx_error *map_add(struct type_map *m, const char *name, int tag,
				 Dwarf_Die *die, Dwarf_Word size)
{
	if ((m->used + 1) * 2 > m->cap)
		PYX_TRY(map_grow(m));
	struct type_entry *e = map_slot(m, name);
	if (e->name) {
		if (e->size != size && !e->conflict) {
			e->conflict = true;
			e->other_size = size;
		}
		return NULL;
	}
	*e = (struct type_entry){ .name = name, .tag = tag, .die = *die, .size = size };
	m->used++;
	return NULL;
}

static const struct type_entry *map_get(const struct type_map *m,
					const char *name, int tag)
{
	if (!m->cap)
		return NULL;
	const struct type_entry *e = map_slot(m, name);
	return e->name && e->tag == tag ? e : NULL;
}

/* ------------------------------------------------------------------ */
/* The names the table asks for                                        */
/* ------------------------------------------------------------------ */

/* A bare type name: the typedef seen for it during the scan. */
struct bare_name {
	const char *name;
	bool complete;          /* die is the resolved, complete type */
	Dwarf_Die die;
	const char *decl_name;  /* else: the tag of an incomplete struct/union */
	int decl_tag;
	bool any_typedef;
};

struct ctx {
	struct type_map structs;
	struct bare_name *bare;  /* sorted by name */
	size_t nbare;
};

static int compare_bare(const void *a, const void *b)
{
	return strcmp(((const struct bare_name *)a)->name,
		      ((const struct bare_name *)b)->name);
}

static int compare_key_bare(const void *key, const void *b)
{
	return strcmp(key, ((const struct bare_name *)b)->name);
}

static struct bare_name *find_bare(const struct ctx *c, const char *name)
{
	if (!c->nbare)
		return NULL;
	return bsearch(name, c->bare, c->nbare, sizeof(*c->bare), compare_key_bare);
}

/* "struct X" -> (X, DW_TAG_structure_type); "union X" likewise; a bare
 * name -> (name, 0). */
static const char *split_ctype(const char *ctype, int *tag)
{
	if (strncmp(ctype, "struct ", 7) == 0) {
		*tag = DW_TAG_structure_type;
		return ctype + 7;
	}
	if (strncmp(ctype, "union ", 6) == 0) {
		*tag = DW_TAG_union_type;
		return ctype + 6;
	}
	*tag = 0;
	return ctype;
}

static struct pyx_error *collect_bare_names(struct ctx *c,
					    const struct pyx_layout *l)
{
	c->bare = calloc(PYX_L_COUNT, sizeof(*c->bare));
	if (!c->bare)
		return pyx_error_no_memory();
	for (size_t id = 0; id < PYX_L_COUNT; id++) {
		const char *ctype = l->members[id].ctype;
		if (!ctype)
			continue;
		int tag;
		const char *name = split_ctype(ctype, &tag);
		if (tag)
			continue;
		bool seen = false;
		for (size_t i = 0; i < c->nbare && !seen; i++)
			seen = strcmp(c->bare[i].name, name) == 0;
		if (!seen)
			c->bare[c->nbare++].name = name;
	}
	qsort(c->bare, c->nbare, sizeof(*c->bare), compare_bare);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Types                                                               */
/* ------------------------------------------------------------------ */

static bool is_aggregate(int tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type;
}

static bool is_complete_aggregate(Dwarf_Die *die)
{
	return is_aggregate(dwarf_tag(die)) && !dwarf_hasattr(die, DW_AT_declaration)
		&& dwarf_hasattr(die, DW_AT_byte_size);
}

static bool type_of(Dwarf_Die *die, Dwarf_Die *ret)
{
	Dwarf_Attribute attr;
	return dwarf_attr_integrate(die, DW_AT_type, &attr)
		&& dwarf_formref_die(&attr, ret);
}

/* Follow typedefs and qualifiers from die to the type itself.  A
 * struct/union declaration is replaced by the complete definition of its
 * tag when map is given and has one.  False for void, a broken chain, or
 * an incomplete type (then *ret is that declaration). */
static bool resolve_type(const struct type_map *map, Dwarf_Die *die, Dwarf_Die *ret)
{
	Dwarf_Die cur = *die;
	for (int i = 0; i < MAX_TYPE_CHAIN; i++) {
		int tag = dwarf_tag(&cur);
		switch (tag) {
		case DW_TAG_typedef:
		case DW_TAG_const_type:
		case DW_TAG_volatile_type:
		case DW_TAG_restrict_type:
		case DW_TAG_atomic_type:
			if (!type_of(&cur, &cur))
				return false;
			continue;
		case DW_TAG_structure_type:
		case DW_TAG_union_type: {
			*ret = cur;
			if (!dwarf_hasattr(&cur, DW_AT_declaration))
				return true;
			const char *name = dwarf_diename(&cur);
			const struct type_entry *e = map && name ? map_get(map, name, tag) : NULL;
			if (!e)
				return false;
			*ret = e->die;
			return true;
		}
		default:
			*ret = cur;
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* The one pass over every unit                                        */
/* ------------------------------------------------------------------ */

static void note_typedef(struct bare_name *b, Dwarf_Die *die)
{
	b->any_typedef = true;
	if (b->complete)
		return;
	Dwarf_Die t;
	if (resolve_type(NULL, die, &t)) {
		b->complete = true;
		b->die = t;
		return;
	}
	int tag = dwarf_tag(&t);
	const char *name = is_aggregate(tag) ? dwarf_diename(&t) : NULL;
	if (name && !b->decl_name) {
		b->decl_name = name;
		b->decl_tag = tag;
	}
}

static struct pyx_error *scan_unit(struct ctx *c, Dwarf_Die *unit)
{
	Dwarf_Die die;
	if (dwarf_child(unit, &die) != 0)
		return NULL;
	do {
		int tag = dwarf_tag(&die);
		if (tag == DW_TAG_typedef) {
			const char *name = dwarf_diename(&die);
			struct bare_name *b = name ? find_bare(c, name) : NULL;
			if (b)
				note_typedef(b, &die);
		} else if (is_aggregate(tag)) {
			const char *name = dwarf_diename(&die);
			Dwarf_Word size;
			if (name && is_complete_aggregate(&die)
			    && dwarf_aggregate_size(&die, &size) == 0)
				PYX_TRY(map_add(&c->structs, name, tag, &die, size));
		}
	} while (dwarf_siblingof(&die, &die) == 0);
	return NULL;
}

/* Every unit of dw: compile, partial (dwz), type and skeleton units. */
static struct pyx_error *scan_dwarf(struct ctx *c, Dwarf *dw)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, subdie;
	uint8_t unit_type;
	int rc;
	while ((rc = dwarf_get_units(dw, cu, &cu, NULL, &unit_type, &cudie, &subdie)) == 0) {
		PYX_TRY(scan_unit(c, &cudie));
		if (unit_type == DW_UT_skeleton && dwarf_tag(&subdie) == DW_TAG_compile_unit)
			PYX_TRY(scan_unit(c, &subdie));
	}
	if (rc < 0)
		return pyx_error_create(PYX_ERR_ELF, "reading DWARF units: %s",
					dwarf_errmsg(-1));
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Looking up one entry                                                */
/* ------------------------------------------------------------------ */

/* The complete type a table's ctype names, or false if the DWARF has
 * none.  *conflict is set to the map entry when its tag was defined with
 * two different sizes. */
static bool find_type(const struct ctx *c, const char *ctype, Dwarf_Die *ret,
		      const struct type_entry **conflict)
{
	int tag;
	const char *name = split_ctype(ctype, &tag);
	const struct type_entry *e = NULL;
	*conflict = NULL;
	if (tag) {
		e = map_get(&c->structs, name, tag);
	} else {
		struct bare_name *b = find_bare(c, name);
		if (b && b->complete) {
			*ret = b->die;
			const char *sname = dwarf_diename(ret);
			int stag = dwarf_tag(ret);
			if (sname && is_aggregate(stag)) {
				const struct type_entry *s = map_get(&c->structs, sname, stag);
				if (s && s->conflict)
					*conflict = s;
			}
			return true;
		}
		if (b && b->decl_name)
			e = map_get(&c->structs, b->decl_name, b->decl_tag);
		if (!e && !(b && b->any_typedef)) {
			e = map_get(&c->structs, name, DW_TAG_structure_type);
			if (!e)
				e = map_get(&c->structs, name, DW_TAG_union_type);
		}
	}
	if (!e)
		return false;
	*ret = e->die;
	if (e->conflict)
		*conflict = e;
	return true;
}

static bool member_location(Dwarf_Die *member, Dwarf_Word *ret)
{
	Dwarf_Attribute attr;
	/* Absent: the member starts where its parent does (union members). */
	if (!dwarf_attr_integrate(member, DW_AT_data_member_location, &attr)) {
		*ret = 0;
		return true;
	}
	if (dwarf_formudata(&attr, ret) == 0)
		return true;
	/* DWARF 2/3: a location expression, DW_OP_plus_uconst N. */
	Dwarf_Op *ops;
	size_t nops;
	if (dwarf_getlocation(&attr, &ops, &nops) == 0 && nops == 1
	    && ops[0].atom == DW_OP_plus_uconst) {
		*ret = ops[0].number;
		return true;
	}
	return false;
}

/* Member `name` (len bytes) of the complete struct/union `type`, also
 * inside anonymous struct/union members; adds its offset to *offset. */
static bool find_member(const struct ctx *c, Dwarf_Die *type, const char *name,
			size_t len, Dwarf_Word *offset, Dwarf_Die *ret, int depth)
{
	Dwarf_Die first, it;
	if (depth > MAX_ANON_DEPTH || dwarf_child(type, &first) != 0)
		return false;
	it = first;
	do {
		if (dwarf_tag(&it) != DW_TAG_member)
			continue;
		const char *n = dwarf_diename(&it);
		if (n && strlen(n) == len && memcmp(n, name, len) == 0) {
			Dwarf_Word loc;
			if (!member_location(&it, &loc))
				return false;
			*offset += loc;
			*ret = it;
			return true;
		}
	} while (dwarf_siblingof(&it, &it) == 0);
	it = first;
	do {
		if (dwarf_tag(&it) != DW_TAG_member || dwarf_diename(&it))
			continue;
		Dwarf_Die inner;
		Dwarf_Word loc, sub = 0;
		if (!type_of(&it, &inner) || !resolve_type(&c->structs, &inner, &inner)
		    || !is_aggregate(dwarf_tag(&inner)) || !member_location(&it, &loc))
			continue;
		if (find_member(c, &inner, name, len, &sub, ret, depth + 1)) {
			*offset += loc + sub;
			return true;
		}
	} while (dwarf_siblingof(&it, &it) == 0);
	return false;
}

/* offsetof(type, path) for a dotted path. */
static bool member_offset(const struct ctx *c, Dwarf_Die *type, const char *path,
			  Dwarf_Word *ret)
{
	Dwarf_Die cur = *type;
	Dwarf_Word offset = 0;
	const char *p = path;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		Dwarf_Die member;
		if (!is_aggregate(dwarf_tag(&cur)) || len == 0
		    || !find_member(c, &cur, p, len, &offset, &member, 0))
			return false;
		if (!dot)
			break;
		if (!type_of(&member, &cur) || !resolve_type(&c->structs, &cur, &cur))
			return false;
		p = dot + 1;
	}
	*ret = offset;
	return true;
}

/* ------------------------------------------------------------------ */
/* Opening the module                                                  */
/* ------------------------------------------------------------------ */

/* $PYXRAY_DEBUGINFO_PATH, in libdwfl's syntax (":.debug:DIR:DIR"), adds
 * debug directories (an unpacked interpreter keeps its own). */
static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

static struct pyx_error *open_dwarf(const char *path, const struct pyx_layout *l,
				    Dwfl **ret_dwfl, Dwarf **ret_dwarf)
{
	struct pyx_error *err;
	Dwfl *dwfl = dwfl_begin(&offline_callbacks);
	if (!dwfl)
		return pyx_error_create(PYX_ERR_ELF, "libdwfl: %s", dwfl_errmsg(-1));
	dwfl_report_begin(dwfl);
	Dwfl_Module *mod = dwfl_report_offline(dwfl, path, path, -1);
	if (!mod) {
		err = pyx_error_create(PYX_ERR_ELF, "%s: %s", path, dwfl_errmsg(-1));
		goto fail;
	}
	if (dwfl_report_end(dwfl, NULL, NULL) != 0) {
		err = pyx_error_create(PYX_ERR_ELF, "%s: %s", path, dwfl_errmsg(-1));
		goto fail;
	}
	Dwarf_Addr bias;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	if (!dw) {
		const char *why = dwfl_errmsg(-1);
		const unsigned char *bits;
		GElf_Addr vaddr;
		char id[2 * 64 + 1] = "";
		int n = dwfl_module_build_id(mod, &bits, &vaddr);
		for (int i = 0; i < n && i < 64; i++)
			snprintf(id + 2 * i, 3, "%02x", bits[i]);
		err = pyx_error_create(PYX_ERR_NO_DEBUG_INFO,
				       "%s: debug info is missing (%s; looked for "
				       "/usr/lib/debug/.build-id/%.2s/%s.debug): install "
				       "python3.%d-dbg, or use a build made with -g",
				       path, why, n > 0 ? id : "??",
				       n > 0 ? id + 2 : "<no build-id>", l->minor);
		goto fail;
	}
	*ret_dwfl = dwfl;
	*ret_dwarf = dw;
	return NULL;
fail:
	dwfl_end(dwfl);
	return err;
}

/* ------------------------------------------------------------------ */
/* main                                                                */
/* ------------------------------------------------------------------ */

static const struct pyx_layout *find_layout(const char *name)
{
	for (size_t i = 0; pyx_layouts[i]; i++)
		if (strcmp(pyx_layouts[i]->name, name) == 0)
			return pyx_layouts[i];
	return NULL;
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: check-layout-dwarf MODULE_PATH TABLE_NAME [LABEL]\n"
		"  cross-checks every offset and size of a pyxray layout table\n"
		"  against the DWARF of MODULE_PATH (separate debug info is found\n"
		"  by build-id).  Tables:");
	for (size_t i = 0; pyx_layouts[i]; i++)
		fprintf(fp, " %s", pyx_layouts[i]->name);
	fprintf(fp, "\n");
}

struct counts {
	int ok, skip, fail;
};

static void check_entry(const struct ctx *c, const struct pyx_layout *l,
			size_t id, const char *label, struct counts *n)
{
	const char *idname = pyx_layout_id_names[id];
	const char *ctype = l->members[id].ctype;
	const char *member = l->members[id].member;
	char what[512];
	if (member)
		snprintf(what, sizeof(what), "%s.%s", ctype, member);
	else
		snprintf(what, sizeof(what), "sizeof(%s)", ctype);

	Dwarf_Die type;
	const struct type_entry *conflict;
	if (!find_type(c, ctype, &type, &conflict)) {
		printf("CHECK skip %s: %s %s: type not in DWARF\n", label, idname, ctype);
		n->skip++;
		return;
	}
	if (conflict)
		fprintf(stderr, "check-layout-dwarf: warning: %s has complete "
			"definitions of %" PRIu64 " and %" PRIu64 " bytes in different "
			"units; using the first\n", ctype, (uint64_t)conflict->size,
			(uint64_t)conflict->other_size);

	Dwarf_Word dwarf_value;
	bool found;
	if (member) {
		found = member_offset(c, &type, member, &dwarf_value);
	} else {
		found = dwarf_aggregate_size(&type, &dwarf_value) == 0;
	}
	if (!found) {
		printf("CHECK FAIL %s: %s %s: not found in DWARF\n", label, idname, what);
		n->fail++;
		return;
	}
	int64_t table = l->v[id];
	if (table == PYX_ABSENT) {
		printf("CHECK FAIL %s: %s %s: table says absent, DWARF says %" PRIu64 "\n",
		       label, idname, what, (uint64_t)dwarf_value);
		n->fail++;
	} else if (table < 0 || (uint64_t)table != (uint64_t)dwarf_value) {
		printf("CHECK FAIL %s: %s %s: table says %" PRId64 ", DWARF says %" PRIu64 "\n",
		       label, idname, what, table, (uint64_t)dwarf_value);
		n->fail++;
	} else {
		printf("CHECK ok %s: %s %s = %" PRId64 "\n", label, idname, what, table);
		n->ok++;
	}
}

int main(int argc, char **argv)
{
	debuginfo_path = getenv("PYXRAY_DEBUGINFO_PATH");
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc < 3 || argc > 4) {
		usage(stderr);
		return 2;
	}
	const char *path = argv[1];
	const struct pyx_layout *l = find_layout(argv[2]);
	const char *label = argc == 4 ? argv[3] : argv[2];
	if (!l) {
		fprintf(stderr, "check-layout-dwarf: no layout table named \"%s\"\n", argv[2]);
		usage(stderr);
		return 2;
	}

	Dwfl *dwfl = NULL;
	Dwarf *dw = NULL;
	struct pyx_error *err = open_dwarf(path, l, &dwfl, &dw);
	if (err) {
		fprintf(stderr, "check-layout-dwarf: %s\n", pyx_error_message(err));
		pyx_error_destroy(err);
		return 2;
	}

	int status = 2;
	struct ctx c = { 0 };
	err = collect_bare_names(&c, l);
	if (!err)
		err = scan_dwarf(&c, dw);
	Dwarf *alt = err ? NULL : dwarf_getalt(dw);
	if (!err && alt)
		err = scan_dwarf(&c, alt);
	if (err) {
		fprintf(stderr, "check-layout-dwarf: %s: %s\n", path, pyx_error_message(err));
		pyx_error_destroy(err);
		goto out;
	}

	/* DWARF without types (-g1, or types stripped) would check nothing. */
	bool any = false;
	for (size_t id = 0; id < PYX_L_COUNT && !any; id++) {
		Dwarf_Die type;
		const struct type_entry *conflict;
		any = l->members[id].ctype
			&& find_type(&c, l->members[id].ctype, &type, &conflict);
	}
	if (!any) {
		fprintf(stderr, "check-layout-dwarf: %s: its DWARF has none of the "
			"table's types: the debug info is incomplete (built with -g1?)\n",
			path);
		goto out;
	}

	struct counts n = { 0 };
	for (size_t id = 0; id < PYX_L_COUNT; id++)
		if (l->members[id].ctype)
			check_entry(&c, l, id, label, &n);
	printf("CHECK-END\n");
	fprintf(stderr, "check-layout-dwarf: %s: table %s (%s) against %s: "
		"%d ok, %d skip, %d FAIL\n", label, l->name, l->source, path,
		n.ok, n.skip, n.fail);
	status = n.fail ? 1 : 0;
out:
	free(c.structs.slots);
	free(c.bare);
	dwfl_end(dwfl);
	return status;
}

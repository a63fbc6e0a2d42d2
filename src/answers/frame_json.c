/* frame_json.c - one Python frame for a debugger that has selected it:
 * where it is, its locals with their addresses and types, and a name
 * looked up as Python would (locals, then globals, then builtins).
 * Shapes in docs/py-locals.md and docs/py-print.md. */
#include <stdlib.h>
#include <string.h>

#include "objects/object.h"
#include "objects/repr.h"
#include "answers/value_json.h"
#include "threads/frames.h"
#include "util/strbuf.h"

#define CO_OPTIMIZED 0x0001

enum local_kind { LOCAL_PLAIN, LOCAL_ARGUMENT, LOCAL_CELL, LOCAL_FREE };
static const char *const local_kind_names[] = { "local", "argument", "cell", "free" };

/* A name of the code's locals and what it is; names are compared by
 * address (the frame's locals are visited with the same str objects). */
struct local_name {
	uint64_t name;
	enum local_kind kind;
};

struct frame_view {
	struct pyx_frame f;      /* frame, code, line, function, file */
	int first_line;
	bool optimized;          /* a function's frame: fast locals */
	uint64_t globals, builtins, locals_dict;
	struct local_name *names;
	size_t nnames;
};

static void frame_view_release(struct frame_view *v)
{
	free(v->f.function);
	free(v->f.file);
	free(v->names);
}

static struct pyx_error *add_names(struct pyx_program *prog, struct frame_view *v,
				   uint64_t tuple, const uint8_t *kinds, size_t nkinds,
				   size_t nargs, enum local_kind kind)
{
	if (!tuple)
		return NULL;
	uint64_t *items;
	size_t n, total;
	PYX_TRY(sequence_items(prog, tuple, false, 1u << 16, &items, &n, &total));
	struct local_name *grown = realloc(v->names, (v->nnames + n + 1) * sizeof(*grown));
	if (!grown) {
		free(items);
		return pyx_error_no_memory();
	}
	v->names = grown;
	int64_t cell = LV(prog, CO_FAST_CELL), free_ = LV(prog, CO_FAST_FREE);
	for (size_t i = 0; i < n; i++) {
		enum local_kind k = kind;
		if (kinds && i < nkinds)
			k = (kinds[i] & free_) ? LOCAL_FREE : (kinds[i] & cell) ? LOCAL_CELL
									: LOCAL_PLAIN;
		if (i < nargs)
			k = LOCAL_ARGUMENT;
		v->names[v->nnames].name = items[i];
		v->names[v->nnames].kind = k;
		v->nnames++;
	}
	free(items);
	return NULL;
}

/* What each of the code's local names is: its arguments come first
 * (co_varnames up to 3.10, co_localsplusnames from 3.11). */
static struct pyx_error *read_local_names(struct pyx_program *prog, struct frame_view *v,
					  int32_t flags)
{
	int32_t argc = 0, kwonly = 0;
	PYX_TRY(read_i32(prog, v->f.code + LV(prog, PyCodeObject_co_argcount), &argc));
	PYX_TRY(read_i32(prog, v->f.code + LV(prog, PyCodeObject_co_kwonlyargcount), &kwonly));
	size_t nargs = (size_t)(argc > 0 ? argc : 0) + (size_t)(kwonly > 0 ? kwonly : 0) +
		       ((flags & LV(prog, CO_VARARGS)) ? 1 : 0) +
		       ((flags & LV(prog, CO_VARKEYWORDS)) ? 1 : 0);
	uint64_t t;
	if (HAS(prog, PyCodeObject_co_localsplusnames)) {
		uint64_t kinds_b;
		PYX_TRY(read_ptr(prog, v->f.code + LV(prog, PyCodeObject_co_localsplusnames), &t));
		PYX_TRY(read_ptr(prog, v->f.code + LV(prog, PyCodeObject_co_localspluskinds),
				 &kinds_b));
		uint8_t *kinds = NULL;
		size_t nkinds = 0, klen;
		PYX_TRY(bytes_read(prog, kinds_b, 1u << 16, &kinds, &nkinds, &klen));
		struct pyx_error *err = add_names(prog, v, t, kinds, nkinds, nargs, LOCAL_PLAIN);
		free(kinds);
		return err;
	}
	PYX_TRY(read_ptr(prog, v->f.code + LV(prog, PyCodeObject_co_varnames), &t));
	PYX_TRY(add_names(prog, v, t, NULL, 0, nargs, LOCAL_PLAIN));
	/* A captured argument is also among the cells: it stays an argument. */
	size_t first_cell = v->nnames;
	PYX_TRY(read_ptr(prog, v->f.code + LV(prog, PyCodeObject_co_cellvars), &t));
	PYX_TRY(add_names(prog, v, t, NULL, 0, 0, LOCAL_CELL));
	for (size_t i = first_cell; i < v->nnames; i++)
		for (size_t k = 0; k < nargs && k < first_cell; k++)
			if (v->names[k].name == v->names[i].name)
				v->names[i].kind = LOCAL_ARGUMENT;
	PYX_TRY(read_ptr(prog, v->f.code + LV(prog, PyCodeObject_co_freevars), &t));
	return add_names(prog, v, t, NULL, 0, 0, LOCAL_FREE);
}

static const char *local_kind(const struct frame_view *v, uint64_t name)
{
	for (size_t i = 0; i < v->nnames; i++)
		if (v->names[i].name == name)
			return local_kind_names[v->names[i].kind];
	return local_kind_names[LOCAL_PLAIN];
}

static struct pyx_error *frame_view_read(struct pyx_program *prog, uint64_t frame,
					 struct frame_view *v)
{
	memset(v, 0, sizeof(*v));
	struct pyx_frame_info info;
	PYX_TRY(pyx_frame_info_at(prog, frame, &info));
	v->f.frame = frame;
	v->f.code = info.code;
	v->f.line = info.line;
	v->first_line = info.first_line;
	int32_t flags = 0;
	PYX_TRY(read_i32(prog, info.code + LV(prog, PyCodeObject_co_flags), &flags));
	v->optimized = flags & CO_OPTIMIZED;
	if (v->optimized) {
		struct pyx_error *err = read_local_names(prog, v, flags);
		if (err) {
			free(v->names);
			return err;
		}
	}
	bool iframe = HAS(prog, _PyInterpreterFrame);
	int64_t g = iframe ? LV(prog, _PyInterpreterFrame_globals) : LV(prog, PyFrameObject_f_globals);
	int64_t b = iframe ? LV(prog, _PyInterpreterFrame_builtins)
			   : LV(prog, PyFrameObject_f_builtins);
	int64_t l = iframe ? LV(prog, _PyInterpreterFrame_locals) : LV(prog, PyFrameObject_f_locals);
	struct pyx_error *err = read_ptr(prog, frame + (uint64_t)g, &v->globals);
	if (!err)
		err = read_ptr(prog, frame + (uint64_t)b, &v->builtins);
	if (!err)
		err = read_ptr(prog, frame + (uint64_t)l, &v->locals_dict);
	if (!err)
		err = code_names(prog, info.code, &v->f);
	if (err)
		frame_view_release(v);
	return err;
}

static const char *frame_kind(const struct frame_view *v)
{
	if (v->optimized)
		return "function";
	return v->locals_dict && v->locals_dict != v->globals ? "class" : "module";
}

/* The locals, or the one local named want. */
struct locals_walk {
	struct pyx_program *prog;
	const struct frame_view *v;
	const struct pyx_repr_limits *limits;
	struct strbuf *sb;     /* every local, or NULL */
	const char *want;      /* the name looked for, or NULL */
	uint64_t found;
	bool first;
};

static int locals_walk_visit(void *arg, uint64_t name, uint64_t value)
{
	struct locals_walk *w = arg;
	char *n = NULL;
	struct pyx_error *err = object_str_utf8(w->prog, name, 400, &n);
	if (err) {
		pyx_error_destroy(err);
		return 0;
	}
	if (w->want) {
		bool hit = strcmp(n, w->want) == 0;
		free(n);
		if (hit)
			w->found = value;
		return hit;
	}
	strbuf_puts(w->sb, w->first ? "{" : ", {");
	w->first = false;
	json_key(w->sb, "name");
	json_string(w->sb, n);
	strbuf_puts(w->sb, ", ");
	json_key(w->sb, "kind");
	json_string(w->sb, w->v->optimized ? local_kind(w->v, name) : "local");
	strbuf_puts(w->sb, ", ");
	value_json(w->prog, value, w->limits, w->sb);
	strbuf_puts(w->sb, "}");
	free(n);
	return 0;
}

static struct pyx_error *walk_locals(struct pyx_program *prog, const struct frame_view *v,
				     struct locals_walk *w)
{
	if (!v->optimized && v->locals_dict)
		return dict_iterate(prog, v->locals_dict, locals_walk_visit, w);
	return frame_locals(prog, &v->f, locals_walk_visit, w);
}

static void frame_head_json(struct pyx_program *prog, const struct frame_view *v,
			    struct strbuf *sb)
{
	json_key(sb, "frame");
	json_hex(sb, v->f.frame);
	strbuf_puts(sb, ", ");
	json_key(sb, "code");
	json_hex(sb, v->f.code);
	strbuf_puts(sb, ", ");
	json_key(sb, "function");
	json_string(sb, v->f.function);
	strbuf_puts(sb, ", ");
	json_key(sb, "file");
	json_string(sb, v->f.file);
	strbuf_puts(sb, ", ");
	json_key(sb, "line");
	strbuf_printf(sb, "%d, ", v->f.line);
	json_key(sb, "first_line");
	strbuf_printf(sb, "%d, ", v->first_line);
	json_key(sb, "kind");
	json_string(sb, frame_kind(v));
	strbuf_puts(sb, ", ");
	json_key(sb, "globals");
	json_hex(sb, v->globals);
	strbuf_puts(sb, ", ");
	json_key(sb, "builtins");
	json_hex(sb, v->builtins);
}

static struct pyx_error *lookup_json(struct pyx_program *prog, const struct frame_view *v,
				     const char *name, const struct pyx_repr_limits *limits,
				     struct strbuf *sb)
{
	struct locals_walk w = { .prog = prog, .v = v, .limits = limits, .want = name };
	const char *scope = "local";
	PYX_TRY(walk_locals(prog, v, &w));
	uint64_t found = w.found;
	const uint64_t dicts[2] = { v->globals, v->builtins };
	const char *scopes[2] = { "global", "builtin" };
	for (int i = 0; i < 2 && !found; i++) {
		if (!dicts[i])
			continue;
		struct pyx_error *err = dict_lookup_str(prog, dicts[i], name, &found);
		if (err && pyx_error_code(err) != PYX_ERR_NOT_FOUND)
			return err;
		pyx_error_destroy(err);
		if (found)
			scope = scopes[i];
	}
	if (!found)
		return pyx_error_create(PYX_ERR_NOT_FOUND,
			"name '%s' is not defined in %s (not a local, a global of %s, or a "
			"builtin)", name, v->f.function ? v->f.function : "?",
			v->f.file ? v->f.file : "?");
	strbuf_puts(sb, "{");
	json_key(sb, "name");
	json_string(sb, name);
	strbuf_puts(sb, ", ");
	json_key(sb, "scope");
	json_string(sb, scope);
	strbuf_puts(sb, ", ");
	value_json(prog, found, limits, sb);
	strbuf_puts(sb, ", ");
	frame_head_json(prog, v, sb);
	strbuf_puts(sb, "}");
	return NULL;
}

struct pyx_error *pyx_frame_json(struct pyx_program *prog, uint64_t frame, const char *name,
				 const struct pyx_repr_limits *limits, char **ret)
{
	struct frame_view v;
	PYX_TRY(frame_view_read(prog, frame, &v));
	struct strbuf sb = STRBUF_INIT;
	struct pyx_error *err = NULL;
	if (name) {
		err = lookup_json(prog, &v, name, limits, &sb);
	} else {
		strbuf_puts(&sb, "{");
		frame_head_json(prog, &v, &sb);
		strbuf_puts(&sb, ", ");
		json_key(&sb, "locals");
		strbuf_puts(&sb, "[");
		struct locals_walk w = { .prog = prog, .v = &v, .limits = limits, .sb = &sb,
					 .first = true };
		err = walk_locals(prog, &v, &w);
		strbuf_puts(&sb, "]}");
	}
	frame_view_release(&v);
	if (err) {
		strbuf_release(&sb);
		return err;
	}
	return strbuf_finish(&sb, ret);
}

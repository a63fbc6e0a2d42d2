/* referrers_json.c - py-referrers, py-path (JSON and Graphviz), and the
 * index statistics. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap/heap.h"
#include "objects/repr.h"
#include "util/strbuf.h"

#define DEFAULT_MAX_DEPTH 30

const char *ref_root_name(const struct ref_index *ri, uint32_t s, char *buf, size_t size)
{
	if (ref_source_is_frame(ri, s)) {
		snprintf(buf, size, "a running frame of thread %d",
			 ri->frame_tids[s - ri->nobjs]);
		return buf;
	}
	if (s >= ri->nobjs)
		return NULL;
	uint64_t addr = ri->objs[s];
	for (size_t i = 0; i < ri->nroots; i++)
		if (ri->roots[i] == addr)
			return ri->root_names[i];
	return NULL;
}

/* The type name and the list/tuple/set word for a source. */
static void source_names(struct pyx_program *prog, const struct ref_index *ri, uint32_t s,
			 const char **type, const char **holder)
{
	*type = "frame";
	*holder = "frame";
	if (ref_source_is_frame(ri, s))
		return;
	if (s >= ri->nobjs) {
		*type = *holder = "code";
		return;
	}
	uint64_t t;
	const struct type_info *ti;
	struct pyx_error *err = read_ptr(prog, ri->objs[s] + LV(prog, PyObject_ob_type), &t);
	if (!err)
		err = type_info_get(prog, t, &ti);
	if (err) {
		pyx_error_destroy(err);
		*type = *holder = "?";
		return;
	}
	*type = ti->name;
	*holder = ti->kind == KIND_LIST ? "list" : ti->kind == KIND_TUPLE ? "tuple"
		: ti->kind == KIND_SET ? ti->name : ti->name;
}

static void put_edge_label(struct pyx_program *prog, const struct ref_index *ri,
			   uint32_t s, const struct edge *e, struct strbuf *sb)
{
	const char *type, *holder;
	source_names(prog, ri, s, &type, &holder);
	edge_label(prog, e, holder, sb);
}

/* ---- py-referrers ------------------------------------------------------ */

struct ref_list {
	struct pyx_program *prog;
	const struct ref_index *ri;
	struct strbuf *sb;
	size_t n;
};

static int referrer_json(void *arg, uint32_t s, const struct edge *e)
{
	struct ref_list *l = arg;
	const struct ref_index *ri = l->ri;
	const char *type, *holder;
	source_names(l->prog, ri, s, &type, &holder);
	struct strbuf label = STRBUF_INIT;
	edge_label(l->prog, e, holder, &label);
	strbuf_puts(l->sb, l->n ? ", {" : "{");
	json_key(l->sb, "address");
	json_hex(l->sb, ref_source_addr(ri, s));
	strbuf_puts(l->sb, ", ");
	json_key(l->sb, "type");
	json_string(l->sb, type);
	strbuf_puts(l->sb, ", ");
	json_key(l->sb, "edge");
	json_string_n(l->sb, label.s ? label.s : "", label.len);
	strbuf_puts(l->sb, ", ");
	json_key(l->sb, "holder");
	if (s < ri->nobjs) {
		strbuf_printf(l->sb, "\"object\", \"generation\": %d", ri->gen[s]);
	} else if (!ref_source_is_frame(ri, s)) {
		strbuf_puts(l->sb, "\"code\"");
	} else {
		strbuf_printf(l->sb, "\"frame\", \"tid\": %d", ri->frame_tids[s - ri->nobjs]);
	}
	strbuf_puts(l->sb, "}");
	strbuf_release(&label);
	l->n++;
	return 0;
}

static struct pyx_error *referrers_json_answer(struct pyx_program *prog,
					       uint64_t address, char **ret)
{
	struct object_head h;
	PYX_TRY(object_head(prog, address, &h));
	const struct ref_index *ri;
	PYX_TRY(ref_index_get(prog, &ri));
	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, "{\"target\": ");
	json_hex(&sb, address);
	strbuf_printf(&sb, ", \"indexed\": %s, \"referrers\": [",
		      ref_index_find(ri, address) >= 0 ? "true" : "false");
	struct ref_list l = { prog, ri, &sb, 0 };
	struct pyx_error *err = referrers_foreach(prog, ri, address, referrer_json, &l);
	if (err) {
		strbuf_release(&sb);
		return err;
	}
	strbuf_puts(&sb, "]}");
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_referrers_json(struct pyx_program *prog, uint64_t address,
				     char **ret)
{
	return program_explain(prog, referrers_json_answer(prog, address, ret));
}

/* ---- py-path ------------------------------------------------------------ */

#define NO_PARENT UINT32_MAX
#define PARENT_TARGET (UINT32_MAX - 1)

struct bfs {
	struct pyx_program *prog;
	const struct ref_index *ri;
	uint32_t *parent;       /* per source: who it refers to on the way to the target */
	uint32_t *queue;
	size_t qhead, qtail, qcap;
	uint32_t *order;        /* every source reached, nearest first */
	size_t norder;
	uint32_t cur;           /* the node whose referrers are being listed */
	uint32_t found;         /* the root source reached, or NO_PARENT */
	bool frames_are_roots;
	bool depth_reached;     /* stopped at max_depth with objects left to visit */
	struct pyx_error *err;
};

static bool is_root(const struct ref_index *ri, uint32_t s)
{
	char buf[8];
	return ref_root_name(ri, s, buf, sizeof(buf)) != NULL;
}

static bool bfs_root(const struct bfs *b, uint32_t s)
{
	if (ref_source_is_frame(b->ri, s))
		return b->frames_are_roots;
	return is_root(b->ri, s);
}

static bool push(struct bfs *b, uint32_t s, uint32_t parent)
{
	if (b->parent[s] != NO_PARENT)
		return false;
	b->parent[s] = parent;
	b->order[b->norder++] = s;
	if (bfs_root(b, s)) {
		b->found = s;
		return true;
	}
	if (s >= b->ri->nobjs)
		return false;
	b->queue[b->qtail++] = s;
	return false;
}

static int bfs_visit(void *arg, uint32_t s, const struct edge *e)
{
	(void)e;
	struct bfs *b = arg;
	return push(b, s, b->cur);
}

/* The label of the edge from source s to addr. */
struct first_edge {
	uint64_t target;
	struct edge e;
	bool found;
};

static int first_edge_visit(void *arg, const struct edge *e)
{
	struct first_edge *f = arg;
	if (e->target != f->target)
		return 0;
	f->e = *e;
	f->found = true;
	return 1;
}

/* One node of the path: the object, and the reference into it from the
 * node before (none for the root). */
static void hop_json(struct pyx_program *prog, const struct ref_index *ri, uint32_t s,
		     uint64_t addr, int64_t from, struct strbuf *sb, bool first)
{
	const char *type = "frame", *holder;
	if (s != PARENT_TARGET) {
		source_names(prog, ri, s, &type, &holder);
	} else {
		int64_t t = ref_index_find(ri, addr);
		if (t >= 0)
			source_names(prog, ri, (uint32_t)t, &type, &holder);
		else
			type = NULL;
	}
	strbuf_puts(sb, first ? "{" : ", {");
	json_key(sb, "address");
	json_hex(sb, addr);
	strbuf_puts(sb, ", ");
	json_key(sb, "type");
	char *tn = NULL;
	if (!type) {
		struct object_head h;
		struct pyx_error *err = object_head(prog, addr, &h);
		if (!err)
			err = type_qualified_name(prog, h.type, &tn);
		pyx_error_destroy(err);
	}
	json_string(sb, type ? type : tn ? tn : "?");
	free(tn);
	strbuf_puts(sb, ", ");
	json_key(sb, "edge");
	if (from < 0) {
		strbuf_puts(sb, "null");
	} else {
		struct first_edge f = { .target = addr };
		struct pyx_error *err = ref_source_edges(prog, ri, (uint32_t)from, first_edge_visit, &f);
		pyx_error_destroy(err);
		struct strbuf label = STRBUF_INIT;
		if (f.found)
			put_edge_label(prog, ri, (uint32_t)from, &f.e, &label);
		else
			strbuf_puts(&label, "?");
		json_string_n(sb, label.s ? label.s : "", label.len);
		strbuf_release(&label);
	}
	if (s == PARENT_TARGET || s < ri->nobjs) {
		struct pyx_repr_limits lim = { .max_depth = 1, .max_items = 4, .max_string = 60 };
		struct strbuf r = STRBUF_INIT;
		repr_object(prog, addr, &lim, &r);
		strbuf_puts(sb, ", ");
		json_key(sb, "repr");
		json_string_n(sb, r.s ? r.s : "", r.len);
		strbuf_release(&r);
	}
	strbuf_puts(sb, "}");
}

/* Breadth-first search backwards from the target; with a dot graph,
 * keep going to depth levels and record every edge seen. */
static struct pyx_error *bfs_run(struct bfs *b, uint64_t target, int max_depth,
				 bool stop_at_root)
{
	const struct ref_index *ri = b->ri;
	size_t total = ri->nobjs + ri->nframes + ri->ncodes;
	b->parent = malloc((total ? total : 1) * sizeof(*b->parent));
	b->queue = malloc((ri->nobjs ? ri->nobjs : 1) * sizeof(*b->queue));
	b->order = malloc((total ? total : 1) * sizeof(*b->order));
	if (!b->parent || !b->queue || !b->order)
		return pyx_error_no_memory();
	memset(b->parent, 0xff, total * sizeof(*b->parent));
	b->found = NO_PARENT;
	int64_t t = ref_index_find(ri, target);
	if (t >= 0) {
		b->parent[t] = PARENT_TARGET;
		if (bfs_root(b, (uint32_t)t) && stop_at_root) {
			b->found = (uint32_t)t;
			return NULL;
		}
		b->queue[b->qtail++] = (uint32_t)t;
	} else {
		/* Not a gc object: its referrers come from a full scan. */
		b->cur = PARENT_TARGET;
		PYX_TRY(referrers_foreach(b->prog, ri, target, bfs_visit, b));
		if (b->found != NO_PARENT && stop_at_root)
			return NULL;
	}
	for (int depth = 1; depth < max_depth && b->qhead < b->qtail; depth++) {
		size_t level_end = b->qtail;
		while (b->qhead < level_end) {
			uint32_t node = b->queue[b->qhead++];
			b->cur = node;
			for (uint32_t k = ri->start[node]; k < ri->start[node + 1]; k++) {
				if (push(b, ri->src[k], node) && stop_at_root)
					return NULL;
			}
		}
	}
	b->depth_reached = b->qhead < b->qtail;
	return NULL;
}

static void bfs_release(struct bfs *b)
{
	free(b->parent);
	free(b->queue);
	free(b->order);
}

/* The shortest chain from a root: module globals and the interpreter's
 * tables first; a frame that holds the object is the answer only when
 * nothing else leads to it.  Release *b with bfs_release. */
static struct pyx_error *shortest_path(struct pyx_program *prog, const struct ref_index *ri,
				       uint64_t address, int max_depth, struct bfs *b)
{
	*b = (struct bfs){ .prog = prog, .ri = ri };
	struct pyx_error *err = bfs_run(b, address, max_depth, true);
	if (!err && b->found == NO_PARENT) {
		bfs_release(b);
		*b = (struct bfs){ .prog = prog, .ri = ri, .frames_are_roots = true };
		err = bfs_run(b, address, max_depth, true);
	}
	return err;
}

static struct pyx_error *path_json_answer(struct pyx_program *prog, uint64_t address,
					  int max_depth, char **ret)
{
	struct object_head h;
	PYX_TRY(object_head(prog, address, &h));
	if (max_depth <= 0)
		max_depth = DEFAULT_MAX_DEPTH;
	const struct ref_index *ri;
	PYX_TRY(ref_index_get(prog, &ri));
	struct bfs b;
	struct pyx_error *err = shortest_path(prog, ri, address, max_depth, &b);
	struct strbuf sb = STRBUF_INIT;
	if (!err) {
		strbuf_puts(&sb, "{\"target\": ");
		json_hex(&sb, address);
		bool found = b.found != NO_PARENT;
		strbuf_printf(&sb, ", \"max_depth\": %d, \"found\": %s, \"truncated\": %s, "
			      "\"limit\": {\"max_depth\": %d}", max_depth, found ? "true" : "false",
			      !found && b.depth_reached ? "true" : "false", max_depth);
		if (b.found != NO_PARENT) {
			char buf[64];
			strbuf_puts(&sb, ", \"root\": ");
			json_string(&sb, ref_root_name(ri, b.found, buf, sizeof(buf)));
			strbuf_puts(&sb, ", \"path\": [");
			int64_t from = -1;
			uint32_t s = b.found;
			for (int hops = 0; hops <= max_depth + 1; hops++) {
				bool last = s == PARENT_TARGET || ref_source_addr(ri, s) == address;
				uint64_t addr = s == PARENT_TARGET ? address : ref_source_addr(ri, s);
				hop_json(prog, ri, last ? PARENT_TARGET : s, addr, from, &sb, from < 0);
				if (last)
					break;
				from = s;
				s = b.parent[s];
			}
			strbuf_puts(&sb, "]");
		}
		struct pyx_repr_limits lim = { .max_depth = 1, .max_items = 4, .max_string = 60 };
		strbuf_puts(&sb, ", \"target_type\": ");
		char *tn = NULL;
		struct pyx_error *e2 = type_qualified_name(prog, h.type, &tn);
		json_string(&sb, e2 ? "?" : tn);
		pyx_error_destroy(e2);
		free(tn);
		strbuf_puts(&sb, ", \"target_repr\": ");
		struct strbuf r = STRBUF_INIT;
		repr_object(prog, address, &lim, &r);
		json_string_n(&sb, r.s ? r.s : "", r.len);
		strbuf_release(&r);
		strbuf_puts(&sb, "}");
	}
	bfs_release(&b);
	if (err) {
		strbuf_release(&sb);
		return err;
	}
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_path_json(struct pyx_program *prog, uint64_t address,
				int max_depth, char **ret)
{
	return program_explain(prog, path_json_answer(prog, address, max_depth, ret));
}

/* ---- Graphviz ----------------------------------------------------------- */

static void dot_escape(struct strbuf *sb, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '"' || c == '\\')
			strbuf_putc(sb, '\\');
		if (c == '\n') {
			strbuf_puts(sb, "\\n");
			continue;
		}
		strbuf_putc(sb, c);
	}
}

static void dot_node(struct pyx_program *prog, const struct ref_index *ri, uint32_t s,
		     uint64_t addr, const char *color, struct strbuf *sb)
{
	const char *type = "?", *holder;
	struct strbuf label = STRBUF_INIT;
	char buf[64];
	const char *root = NULL;
	if (s != PARENT_TARGET) {
		source_names(prog, ri, s, &type, &holder);
		root = ref_root_name(ri, s, buf, sizeof(buf));
	} else {
		struct object_head h;
		char *tn = NULL;
		struct pyx_error *err = object_head(prog, addr, &h);
		if (!err)
			err = type_qualified_name(prog, h.type, &tn);
		pyx_error_destroy(err);
		strbuf_puts(&label, tn ? tn : "?");
		free(tn);
	}
	if (s != PARENT_TARGET)
		strbuf_puts(&label, type);
	strbuf_printf(&label, "\n0x%llx", (unsigned long long)addr);
	if (root)
		strbuf_printf(&label, "\n%s", root);
	else if (s == PARENT_TARGET || s < ri->nobjs) {
		struct pyx_repr_limits lim = { .max_depth = 1, .max_items = 3, .max_string = 24 };
		strbuf_putc(&label, '\n');
		size_t before = label.len;
		repr_object(prog, addr, &lim, &label);
		if (label.len - before > 48) {
			strbuf_truncate(&label, before + 45);
			strbuf_puts(&label, "...");
		}
	}
	strbuf_printf(sb, "  \"0x%llx\" [label=\"", (unsigned long long)addr);
	dot_escape(sb, label.s ? label.s : "", label.len);
	strbuf_printf(sb, "\", fillcolor=\"%s\"];\n", color);
	strbuf_release(&label);
}

/* One arrow per drawn pair: the first reference from a drawn node to
 * another drawn node. */
struct drawn_edges {
	struct pyx_program *prog;
	const struct ref_index *ri;
	uint32_t src;
	uint64_t src_addr;
	const uint64_t *drawn;
	size_t ndrawn;
	struct strbuf *sb;
	bool done[256];
};

static int drawn_edge_visit(void *arg, const struct edge *e)
{
	struct drawn_edges *d = arg;
	for (size_t j = 0; j < d->ndrawn && j < 256; j++) {
		if (d->drawn[j] != e->target || d->done[j] || d->drawn[j] == d->src_addr)
			continue;
		d->done[j] = true;
		struct strbuf label = STRBUF_INIT;
		put_edge_label(d->prog, d->ri, d->src, e, &label);
		strbuf_printf(d->sb, "  \"0x%llx\" -> \"0x%llx\" [label=\"",
			      (unsigned long long)d->src_addr, (unsigned long long)e->target);
		dot_escape(d->sb, label.s ? label.s : "", label.len);
		strbuf_puts(d->sb, "\"];\n");
		strbuf_release(&label);
	}
	return 0;
}

static struct pyx_error *path_dot_answer(struct pyx_program *prog, uint64_t address,
					 int depth, int max_nodes, const char *path)
{
	struct object_head h;
	PYX_TRY(object_head(prog, address, &h));
	if (depth <= 0)
		depth = 4;
	if (max_nodes <= 0)
		max_nodes = 60;
	int asked_nodes = max_nodes;
	if (max_nodes > 250)
		max_nodes = 250;
	const struct ref_index *ri;
	PYX_TRY(ref_index_get(prog, &ri));
	/* The chain py-path would print is always drawn ... */
	uint32_t chain[DEFAULT_MAX_DEPTH + 2];
	size_t nchain = 0;
	struct bfs pb;
	struct pyx_error *err = shortest_path(prog, ri, address, DEFAULT_MAX_DEPTH, &pb);
	if (!err && pb.found != NO_PARENT) {
		for (uint32_t s = pb.found; s != PARENT_TARGET && nchain < DEFAULT_MAX_DEPTH + 1;
		     s = pb.parent[s]) {
			if (ref_source_addr(ri, s) == address)
				break;
			chain[nchain++] = s;
		}
	}
	bfs_release(&pb);
	/* ... then the nearest referrers, breadth first, up to the limit. */
	struct bfs b = { .prog = prog, .ri = ri, .frames_are_roots = true };
	if (!err)
		err = bfs_run(&b, address, depth + 1, false);
	struct strbuf sb = STRBUF_INIT;
	strbuf_puts(&sb, "digraph backrefs {\n"
		    "  // py-path --dot: references into an object, as objgraph's show_backrefs draws them.\n"
		    "  rankdir=BT;\n"
		    "  node [shape=box, style=\"filled,rounded\", fontname=\"monospace\", fontsize=10];\n"
		    "  edge [fontname=\"monospace\", fontsize=9];\n");
	/* The target and the nearest max_nodes referrers, then every
	 * reference among them (one arrow per pair). */
	uint64_t *drawn = NULL;
	uint32_t *drawn_src = NULL;
	size_t ndrawn = 0;
	if (!err) {
		size_t cap = (size_t)max_nodes + 1 + nchain;
		drawn = malloc(cap * sizeof(*drawn));
		drawn_src = malloc(cap * sizeof(*drawn_src));
		if (!drawn || !drawn_src)
			err = pyx_error_no_memory();
	}
	if (!err) {
		drawn[ndrawn] = address;
		drawn_src[ndrawn++] = PARENT_TARGET;
		dot_node(prog, ri, PARENT_TARGET, address, "#f4a582", &sb);
		for (size_t i = 0; i < nchain; i++) {
			drawn[ndrawn] = ref_source_addr(ri, chain[i]);
			drawn_src[ndrawn++] = chain[i];
			dot_node(prog, ri, chain[i], drawn[ndrawn - 1],
				 is_root(ri, chain[i]) ? "#a6dba0" : "#fee391", &sb);
		}
		size_t next = 0;
		for (; next < b.norder && ndrawn <= (size_t)max_nodes; next++) {
			uint32_t s = b.order[next];
			uint64_t a = ref_source_addr(ri, s);
			bool seen = a == address;
			for (size_t k = 0; k < nchain && !seen; k++)
				seen = chain[k] == s;
			if (seen)
				continue;
			drawn[ndrawn] = a;
			drawn_src[ndrawn++] = s;
			dot_node(prog, ri, s, a, is_root(ri, s) ? "#a6dba0" : "#f7f7f7", &sb);
		}
		/* Say what the limits left out. */
		if (next < b.norder)
			strbuf_printf(&sb, "  // truncated: %zu more referrers within %d levels are not "
				      "drawn (at most %d nodes)\n", b.norder - next, depth, max_nodes);
		if (asked_nodes > max_nodes)
			strbuf_printf(&sb, "  // %d nodes were asked for; a graph holds at most %d\n",
				      asked_nodes, max_nodes);
		for (size_t i = 1; i < ndrawn; i++) {
			struct drawn_edges d = {
				.prog = prog, .ri = ri, .src = drawn_src[i], .src_addr = drawn[i],
				.drawn = drawn, .ndrawn = ndrawn, .sb = &sb,
			};
			struct pyx_error *e2 = ref_source_edges(prog, ri, drawn_src[i], drawn_edge_visit, &d);
			pyx_error_destroy(e2);
		}
		strbuf_puts(&sb, "}\n");
	}
	free(drawn);
	free(drawn_src);
	bfs_release(&b);
	if (err) {
		strbuf_release(&sb);
		return err;
	}
	char *text;
	PYX_TRY(strbuf_finish(&sb, &text));
	/* Write atomically: a half-written graph is worse than none. */
	char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp%d", path, (int)getpid()) < 0) {
		free(text);
		return pyx_error_no_memory();
	}
	FILE *f = fopen(tmp, "w");
	if (!f) {
		err = pyx_error_os(errno, "cannot write %s: %s", tmp, strerror(errno));
	} else {
		size_t len = strlen(text);
		bool ok = fwrite(text, 1, len, f) == len;
		ok = (fclose(f) == 0) && ok;
		if (!ok || rename(tmp, path) != 0) {
			err = pyx_error_os(errno, "cannot write %s: %s", path, strerror(errno));
			unlink(tmp);
		}
	}
	free(tmp);
	free(text);
	return err;
}

struct pyx_error *pyx_path_dot(struct pyx_program *prog, uint64_t address, int depth,
			       int max_nodes, const char *path)
{
	return program_explain(prog, path_dot_answer(prog, address, depth, max_nodes, path));
}

static struct pyx_error *index_json_answer(struct pyx_program *prog, char **ret)
{
	const struct ref_index *ri;
	PYX_TRY(ref_index_get(prog, &ri));
	struct strbuf sb = STRBUF_INIT;
	strbuf_printf(&sb, "{\"objects\": %zu, \"frames\": %zu, \"code_objects\": %zu, \"edges\": %zu, "
		      "\"unknown_layout\": %zu, \"roots\": %zu, \"bytes\": %zu, "
		      "\"bytes_per_object\": %.1f, \"build_seconds\": %.3f}",
		      ri->nobjs, ri->nframes, ri->ncodes, ri->nedges, ri->unknown_layout, ri->nroots,
		      ri->bytes, ri->nobjs ? (double)ri->bytes / (double)ri->nobjs : 0.0,
		      ri->build_seconds);
	return strbuf_finish(&sb, ret);
}

struct pyx_error *pyx_index_json(struct pyx_program *prog, char **ret)
{
	return program_explain(prog, index_json_answer(prog, ret));
}

"""Running a command: the parsed arguments, a Program, and the text to
print.  Both front doors call run(), so `pyxray stack --pid N` and gdb's
`py-stack` print the same text, and --json the same document."""

from . import jsontext, render
from .errors import Error, UsageError

__all__ = ["run", "to_json"]


def to_json(doc):
    return jsontext.dumps_indented(doc) + "\n"


def _write(path, text):
    try:
        with open(path, "w") as fp:
            fp.write(text)
    except OSError as e:
        raise Error("cannot write %s: %s" % (path, e.strerror), "os")


def run(prog, name, args, *, width=0):
    """What command name prints for args (an options namespace whose
    objects are already addresses): text, or JSON with args.json."""
    as_json = getattr(args, "json", False)

    def out(doc, text):
        return to_json(doc) if as_json else text()

    if name == "stack":
        doc = prog.stack(thread=args.thread, locals=args.locals, native=args.native,
                         native_all=getattr(args, "native_all", False))
        return out(doc, lambda: render.render_stack(doc, locals=args.locals, width=width,
                                                    group=not args.all))
    if name == "triage":
        doc = prog.triage()
        return out(doc, lambda: render.render_triage(doc, width=width))
    if name == "tasks":
        doc = prog.tasks()
        return out(doc, lambda: render.render_tasks(doc, width=width))
    if name == "locks":
        doc = prog.locks()
        return out(doc, lambda: render.render_locks(doc, width=width))
    if name == "object":
        doc = prog.object(args.address, depth=args.depth, items=args.items,
                          string=args.string, fields=args.fields)
        return out(doc, lambda: render.render_object(doc, width=width))
    if name == "info":
        doc = prog.info()
        return out(doc, lambda: render.render_info(doc, width=width))
    if name == "gc":
        doc = prog.gc()
        return out(doc, lambda: render.render_gc(doc, width=width))
    if name == "census":
        top = args.top if args.top is not None else (0 if as_json else 30)
        doc = prog.census(generation=args.generation, top=top, sort=args.sort,
                          type=args.type, all_heap=args.all_heap)
        if args.type and not doc["types"]:
            raise UsageError("--type %s: no objects of a type by that name were counted "
                             "(names are qualified, app.models.User, or their last part, "
                             "User; py-census without --type lists them)" % args.type)
        return out(doc, lambda: render.render_census(doc, generation=args.generation,
                                                     width=width))
    if name == "memory":
        top = args.top if args.top is not None else 10
        doc = prog.memory(top=top, objects=not args.no_objects)
        return out(doc, lambda: render.render_memory(doc, width=width))
    if name == "referrers":
        doc = prog.referrers(args.address)
        return out(doc, lambda: render.render_referrers(doc, width=width))
    if name == "path":
        if args.dot:
            prog.path_dot(args.address, args.dot, depth=args.depth, nodes=args.nodes)
            return render.render_path_dot(args.dot)
        doc = prog.path(args.address, max_depth=args.max_depth)
        return out(doc, lambda: render.render_path(doc, width=width))
    if name == "leaks":
        if args.action == "snapshot":
            doc = prog.leaks_snapshot(args.file)
            return out(doc, lambda: render.render_leaks_snapshot(doc, args.file, width=width))
        if args.action == "diff":
            doc = prog.leaks_diff(args.file, top=args.top, sort=args.sort, by_site=args.by_site)
            if args.by_site:
                return out(doc, lambda: render.render_leaks_sites(doc, width=width))
            return out(doc, lambda: render.render_leaks_diff(doc, width=width))
        doc = prog.refcheck(top=args.top)
        return out(doc, lambda: render.render_refcheck(doc, width=width))
    if name == "pools":
        doc = prog.pools()
        return out(doc, lambda: render.render_pools(doc, width=width))
    if name == "arenas":
        doc = prog.arenas(top=args.top or 0)
        if args.map:
            _write(args.map, prog.arenas_map())
        return out(doc, lambda: render.render_arenas(doc, width=width) +
                   (render.render_arenas_map(doc, args.map) if args.map else ""))
    if name == "malloc":
        doc = prog.malloc(args.address)
        return out(doc, lambda: render.render_malloc(doc, width=width))
    raise Error("no command %r" % name, "invalid-argument")

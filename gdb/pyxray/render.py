"""The text of every command: one renderer per document.

Each render_X(doc, ...) takes the document a Program method returns (the
command's --json) and gives the text the gdb command and the CLI both
print.  width (gdb's `set width`, the terminal's for the CLI; 0 for no
limit) bounds the lines whose last column can grow without bound: sample
lists, reprs, locals.
"""
from __future__ import annotations

__all__ = ["render_stack", "render_triage", "render_tasks", "render_locks", "render_object",
           "render_bt", "render_frame", "render_locals", "render_print", "render_source",
           "render_info", "render_gc",
           "render_census", "render_referrers", "render_path", "render_path_dot",
           "render_leaks_snapshot", "render_leaks_diff", "render_refcheck",
           "render_pools", "render_arenas", "render_arenas_map", "render_malloc",
           "frame_lines", "fit"]


# ---- helpers ---------------------------------------------------------------

def fit(line: str, width: int) -> str:
    """line, cut to width columns with "..." (width 0: as it is)."""
    if not width or len(line) <= width:
        return line
    return line[:max(width - 3, 0)] + "..."


def fit_list(prefix: str, items: list[str], width: int, sep: str = ", ") -> str:
    """prefix followed by as many items as fit in width, and "..." when
    some were left out."""
    whole = prefix + sep.join(items)
    if not width or len(whole) <= width:
        return whole
    line = prefix
    for i, item in enumerate(items):
        piece = (sep if i else "") + item
        # Room for this item and the "..." that says more follow.
        if len(line) + len(piece) + len(sep) + 3 > width:
            break
        line += piece
    else:
        return line
    return fit(line + (sep if line != prefix else "") + "...", width)


def thousands(n):
    return "{:,}".format(n)


def plural(n, word, words=None):
    return word if n == 1 else (words or word + "s")


def source_line(path, line):
    """The stripped source line, when the file is readable here."""
    if not path or line is None or line <= 0:
        return None
    import linecache  # imported when a stack is shown, not by every command
    text = linecache.getline(path, line)
    return text.strip() or None


# ---- py-stack ----------------------------------------------------------------

def thread_header(t, crash):
    name = " (%s)" % t["name"] if t.get("name") else ""
    parts = []
    if t.get("is_crashed") and crash:
        where = " at %s" % crash["address"] if crash.get("address") else ""
        parts.append("crashed here: %s%s" % (crash["signal"], where))
    if t.get("holds_gil"):
        parts.append("holds the GIL")
    in_c = t.get("in_c") or {}
    if in_c.get("state"):
        parts.append(in_c["state"])
    interp = " [interpreter %d]" % t["interpreter"] if t.get("interpreter") else ""
    head = "Thread %d%s%s" % (t["tid"], name, interp)
    return head + (" " + ", ".join(parts) if parts else "") + ":"


def frame_lines(f: dict) -> list[str]:
    """The lines of one Python frame, as a traceback prints them."""
    line = f["line"] if f["line"] >= 0 else "?"
    out = ['  File "%s", line %s, in %s' % (f["file"], line, f["function"])]
    src = source_line(f["file"], f["line"])
    if src:
        out.append("    " + src)
    return out


def native_frame_line(f):
    where = ""
    if f.get("file"):
        where = " at %s:%s" % (f["file"], f["line"] if f.get("line") else "?")
    module = " [%s]" % f["module"] if f.get("module") else ""
    name = f.get("function")
    if not name:
        # Unnamed: where to look it up later (addr2line -e MODULE OFFSET).
        name = "?? (%s+%s)" % (f["module"], f["module_offset"]) \
            if f.get("module") and f.get("module_offset") else "?? (%s)" % f["address"]
    inlined = " (inlined)" if f.get("inlined") else ""
    return "  (C) %s%s%s%s" % (name, inlined, where, module)


def status_line(t):
    """"  status: waiting for the GIL" for a thread whose document has one."""
    st = t.get("status")
    return "  status: %s" % st["text"] if st and st.get("text") else None


def collapsed(frames, repeats):
    """frames, with each run that repeats given once and then
    ("repeat", number of frames, how many more times) for the copies."""
    skip = {r["first"]: r for r in repeats or ()}
    i = 0
    while i < len(frames):
        r = skip.get(i)
        if r:
            for f in frames[i:i + r["frames"]]:
                yield f
            yield ("repeat", r["frames"], r["more"])
            i += r["frames"] * (r["more"] + 1)
            continue
        yield frames[i]
        i += 1


def repeat_line(n, more):
    return "  [the %s above repeated %s more %s]" % (
        "frame" if n == 1 else "%d frames" % n, thousands(more), plural(more, "time"))


def _stack_key(t, locals):
    """What makes two threads' stacks the same: their frames (and locals
    when shown), not their ids, names or addresses."""
    frames = tuple((f.get("kind"), f.get("function"), f.get("file"), f.get("line"),
                    f.get("module"), f.get("entered_from_c"),
                    tuple(sorted(f.get("locals", {}).items())) if locals else ())
                   for f in t["frames"])
    return (frames, t.get("error"), repr(t.get("in_c")),
            (t.get("status") or {}).get("state"), repr(t.get("repeats")))


# What a group of threads in the same state is doing, when each waits on
# its own object (the text names it).
_STATE_WORDS = {"running": "running Python", "gil_wait": "waiting for the GIL",
                "c_call": "in a C call", "lock_wait": "blocked on a lock",
                "loop_idle": "idle in the event loop", "syscall": "in a system call",
                "gc": "collecting garbage", "no_python": "runs no Python code"}


def _group_status(t, members):
    """t with the status all the members share: the same text, or the
    state in words when each names its own lock or call."""
    texts = {(m.get("status") or {}).get("text") for m in members}
    if len(texts) == 1 or not t.get("status"):
        return t
    state = t["status"].get("state")
    return dict(t, status={"state": state,
                           "text": "%s (each its own; --all shows each thread)"
                                   % _STATE_WORDS.get(state, state)})


def _common_through(t, members):
    """t with only the "called_through" every member of its group has:
    the C frames of a call may tell it in one thread and not in another
    (a call site the interpreter specialized meanwhile)."""
    frames = []
    for i, f in enumerate(t["frames"]):
        if f.get("called_through") and len({m["frames"][i].get("called_through")
                                             for m in members}) > 1:
            f = {k: v for k, v in f.items() if k != "called_through"}
        frames.append(f)
    return dict(t, frames=frames)


def _alone(t):
    """A thread shown on its own even when others are at the same place."""
    return bool(t.get("holds_gil") or t.get("is_crashed") or t.get("error") or
                not t["frames"])


def _thread_names(ts):
    names = [t.get("name") or str(t["tid"]) for t in ts]
    if len(names) <= 4:
        return ", ".join(names)
    return "%s \u2026 %s" % (names[0], names[-1])


def _called_from_c(f, indent, width):
    """The line before a frame entered from C, with what its caller
    called when gdb's C frames tell ("called_through")."""
    if f.get("called_through"):
        return fit("%s(called from C, through %s)" % (indent, f["called_through"]), width)
    return "%s(called from C)" % indent


def _stack_body(t, locals, width):
    out = []
    if t.get("error"):
        out.append("  error: %s" % t["error"])
    frames = t["frames"]
    if not frames and not t.get("error"):
        out.append("  (no Python frames)")
    elif frames:
        out.append("Traceback (most recent call last):")
    previous = None
    for f in collapsed(frames, t.get("repeats")):
        if isinstance(f, tuple):
            out.append(repeat_line(f[1], f[2]))
            continue
        if f.get("kind") == "native":
            out.append(native_frame_line(f))
        else:
            if f.get("entered_from_c") and previous is not None and \
                    previous.get("kind") != "native":
                out.append(_called_from_c(f, "  ", width))
            out.extend(frame_lines(f))
            if locals:
                for name, value in f.get("locals", {}).items():
                    out.append(fit("      %s = %s" % (name, value), width))
        previous = f
    calling = (t.get("in_c") or {}).get("calling")
    if calling and frames:
        out.append(fit("  (in C: %s)" % calling, width))
    out.extend(limit_lines(t))
    # What the thread is doing now, after its innermost frame.
    st = status_line(t)
    said = (t.get("in_c") or {}).get("state")
    if st and not (said and said in st):
        out.append(fit(st, width))
    return out


def render_stack(doc: dict, *, locals: bool = False, width: int = 0,
                 group: bool = True) -> str:
    """py-stack: one block per thread, each like a traceback; threads at
    the same place (the same frames) are printed once, as a group, unless
    group is False."""
    out = []
    crash = doc.get("crash")
    threads = doc["threads"]
    groups = {}
    if group:
        for t in threads:
            if not _alone(t):
                groups.setdefault(_stack_key(t, locals), []).append(t)
    done = set()
    for t in threads:
        key = _stack_key(t, locals) if group and not _alone(t) else None
        members = groups.get(key, [t]) if key is not None else [t]
        if len(members) > 1:
            if key in done:
                continue
            done.add(key)
            state = (t.get("in_c") or {}).get("state")
            out.append("%d threads (%s) are here%s:" % (len(members), _thread_names(members),
                                                      ", " + state if state else ""))
            t = _group_status(_common_through(t, members), members)
        else:
            out.append(thread_header(t, crash))
        out.extend(_stack_body(t, locals, width))
        out.append("")
    return "\n".join(out)


def limit_lines(t):
    """What the unwinder could not give, said under the frames."""
    out = []
    if t.get("native_truncated"):
        out.append("  [native frames stop here: the unwinder's limit was reached; "
                   "outer frames are not shown]")
    if t.get("native_error"):
        out.append("  [no native frames: %s]" % t["native_error"])
    return out


# ---- py-bt, py-frame, py-locals, py-print, py-list (gdb's selected frame) ---

def _args_text(args, width=0):
    return ", ".join("%s=%s" % (a["name"], a["repr"]) for a in args)


def render_frame(f: dict, *, level: int | None = None, args: list | None = None,
                 source: bool = True, width: int = 0) -> str:
    """One Python frame the way gdb prints a frame: "#N  function (args)
    at file:line" and its source line.  f: a stack frame (function, file,
    line); args: its arguments ({"name", "repr"})."""
    head = "#%-2d " % level if level is not None else ""
    line = f["line"] if f.get("line", -1) >= 0 else "?"
    out = [fit("%s%s (%s) at %s:%s" % (head, f["function"], _args_text(args or []), f["file"],
                                       line), width)]
    if source:
        text = _raw_source_line(f["file"], f.get("line"))
        if text is not None:
            out.append("%s\t%s" % (line, text))
    return "\n".join(out) + "\n"


def _raw_source_line(path, line):
    if not path or line is None or line <= 0:
        return None
    import linecache
    text = linecache.getline(path, line)
    return text.rstrip("\n") if text else None


def render_bt(frames: list, *, full: bool = False, width: int = 0) -> str:
    """py-bt: the selected thread's Python frames, innermost first, each
    as py-frame prints it (without source); frames: {"function", "file",
    "line", "entered_from_c", "args": [...], "locals": [...]}."""
    if not frames:
        return "No Python frames in this thread.\n"
    out = []
    for i, f in enumerate(frames):
        out.append(render_frame(f, level=i, args=f.get("args"), source=False,
                                width=width).rstrip("\n"))
        if full:
            rest = [l for l in f.get("locals", []) if l.get("kind") != "argument"]
            if not rest:
                out.append("No locals.")
            for l in rest:
                out.append(fit("        %s = %s" % (l["name"], l["repr"]), width))
        if f.get("entered_from_c") and i + 1 < len(frames):
            out.append(_called_from_c(f, "    ", width))
    return "\n".join(out) + "\n"


def render_locals(d: dict, *, width: int = 0) -> str:
    """py-locals: name = repr, one per line."""
    if not d["locals"]:
        return "No locals.\n"
    return "".join(fit("%s = %s" % (l["name"], l["repr"]), width) + "\n"
                   for l in d["locals"])


def render_print(d: dict, *, width: int = 0) -> str:
    """py-print: "local 'x' = repr" (global, builtin), or "EXPR = repr"."""
    if d.get("scope"):
        return "%s '%s' = %s\n" % (d["scope"], d["name"], d["repr"])
    return "%s = %s\n" % (d["name"], d["repr"])


def render_source(path: str, lines: list, current: int | None) -> str:
    """py-list: numbered lines (number, text), ">" at the current one."""
    return "".join("%s%4d    %s\n" % (">" if n == current else " ", n, text.rstrip("\n"))
                   for n, text in lines)


# ---- py-triage ---------------------------------------------------------------

def render_triage(doc: dict, *, width: int = 0) -> str:
    """py-triage: the verdict, the signal, and every thread."""
    out = [doc["verdict"], ""]
    sig = doc["signal"]
    if sig != "none":
        where = " at %s" % doc["fault_address"] if doc["fault_address"] else ""
        out.append("Signal:      %s%s in thread %s" % (sig, where, doc["crashed_tid"] or "?"))
        sender = doc.get("signal_sender")
        if doc.get("faulthandler_reraised"):
            out.append("Sent by:     faulthandler, re-raising the original signal after "
                       "printing the traceback")
        elif sender:
            out.append("Sent by:     %s" % ("the process itself (raise(), abort())"
                                           if sender.get("self") else
                                           "process %d (uid %d)" % (sender["pid"],
                                                                    sender["uid"])))
        else:
            out.append("Sent by:     the kernel (a fault)")
        if doc.get("abort_message"):
            out.append("Abort:       %s" % doc["abort_message"])
    holder = doc["gil_holder"]
    out.append("GIL holder:  %s" % ("thread %d" % holder if holder else "none"))
    gc_state = {True: "collecting", False: "not collecting", None: "unknown"}
    out.append("GC:          %s" % gc_state[doc["gc_collecting"]])
    locks = doc.get("locks") or {}
    for d in locks.get("deadlocks", []):
        out.append("Deadlock:    threads %s wait for each other (py-locks)"
                   % ", ".join(str(t) for t in d["tids"]))
    out.append("")
    crash = {"signal": sig, "address": doc["fault_address"]} if sig != "none" else None
    for t in doc["threads"]:
        out.append(thread_header(t, crash))
        if status_line(t):
            out.append(status_line(t))
        if t.get("error"):
            out.append("  error: %s" % t["error"])
        if t["frames"]:
            out.append("Traceback (most recent call last):")
        for f in collapsed(t["frames"], t.get("repeats")):
            if isinstance(f, tuple):
                out.append(repeat_line(f[1], f[2]))
            else:
                out.extend(frame_lines(f))
        for f in collapsed(t["native_frames"], t.get("native_repeats")):
            if isinstance(f, tuple):
                out.append(repeat_line(f[1], f[2]))
            else:
                out.append(native_frame_line(f))
        out.extend(limit_lines(t))
        if not t["frames"] and not t["native_frames"]:
            out.append("  (no frames)")
        exc = t.get("exception")
        if exc:
            out.append("%s %s: %s" % ("Raising" if exc.get("raised") else "Handling",
                                      exc["type"], exc["message"]))
        out.append("")
    if locks.get("waits"):
        out.append("Locks:")
        out.append(render_locks({"waits": locks["waits"], "deadlocks": locks["deadlocks"]},
                                width=width).rstrip("\n"))
        out.append("")
    return "\n".join(out)


# ---- py-tasks ----------------------------------------------------------------

def task_label(t):
    state = "" if t["state"] == "pending" else " (%s)" % t["state"]
    if t.get("cancelling"):
        state += " (cancelling)"
    if t.get("running"):
        state += " (running)"
    return "(T) %s [%s]%s" % (t["name"], t["id"], state)


def render_tasks(doc: dict, *, width: int = 0) -> str:
    """py-tasks: per event loop, the tree `python -m asyncio pstree`
    draws (tasks, the coroutines they are suspended in, and what they
    await), then the deadlocks."""
    if not doc["asyncio_imported"]:
        return "asyncio is not imported: no tasks\n"
    by_id = {t["id"]: t for t in doc["tasks"]}
    out = []
    shown = set()

    def tree(t, prefix, last, path):
        out.append(fit(prefix + ("└── " if last else "├── ") + task_label(t), width))
        inner = prefix + ("    " if last else "│   ")
        if t["id"] in path:
            out.append(fit(inner + "└── (awaits a task above it: a deadlock)", width))
            return
        if t["id"] in shown:
            out.append(fit(inner + "└── (shown above)", width))
            return
        shown.add(t["id"])
        for c in t["coroutines"]:
            out.append(fit(inner + "└──  %s %s:%d" % (c["function"], c["file"], c["line"]),
                           width))
            inner += "    "
        if t.get("coroutines_cut"):
            out.append(inner + "└── (more coroutines not shown)")
        kids = [by_id[i] for i in t["awaits"] if i in by_id]
        others = [a for a in t["awaits"] if a not in by_id]
        items = [("task", k) for k in kids] + [("other", o) for o in others]
        for n, (kind, item) in enumerate(items):
            end = n == len(items) - 1
            if kind == "task":
                tree(item, inner, end, path | {t["id"]})
            else:
                out.append(fit(inner + ("└── " if end else "├── ") + "awaits " + item, width))

    for loop in doc["loops"]:
        where = ""
        if loop.get("tid"):
            where = " running in thread %d" % loop["tid"]
        elif loop.get("thread_id") is None:
            where = " (not running)"
        out.append("Event loop %s%s: %d %s" % (loop["id"], where, loop["tasks"],
                                               plural(loop["tasks"], "task")))
        tasks = [t for t in doc["tasks"] if t["loop"] == loop["id"]]
        roots = [t for t in tasks if not t["awaited_by"]]
        for i, t in enumerate(roots):
            tree(t, "", i == len(roots) - 1 and all(x["id"] in shown for x in tasks), set())
        # Tasks no root leads to: those in (or under) a cycle.
        for t in tasks:
            if t["id"] not in shown:
                tree(t, "", True, set())
        out.append("")
    if not doc["tasks"]:
        out.append("no asyncio tasks")
        out.append("")
    for cycle in doc["deadlocks"]:
        names = ["%s [%s]" % (by_id[i]["name"], i) if i in by_id else i for i in cycle]
        text = "%s awaits %s" % (names[0], names[1 % len(names)])
        for n in names[2:] + ([names[0]] if len(names) > 1 else []):
            text += ", which awaits %s" % n
        out.append("Deadlock: %s" % text)
    for n in doc.get("notes", []):
        out.append("note: %s" % n)
    return "\n".join(out).rstrip("\n") + "\n"


# ---- py-locks ----------------------------------------------------------------

_WAITS_FOR = {
    "threading.Event": "until another thread calls set()",
    "threading.Condition": "until another thread calls notify()",
    "threading.Semaphore": "until another thread calls release()",
    "threading.Barrier": "until the other parties arrive",
}


def thread_text(tid, name):
    return "thread %d%s" % (tid, " (%s)" % name if name else "")


def lock_text(w):
    """threading.Lock 0x7f.., named lock_b (global of app)"""
    kind = w["kind"] if w["type"] in ("_thread.lock", "_thread.RLock") else w["type"]
    named = ", named " + "; ".join(w["names"]) if w["names"] else ""
    return "%s %s%s" % (kind, w["lock"], named)


def holder_line(w):
    if w["holder_tid"]:
        who = thread_text(w["holder_tid"], w.get("holder_name"))
        how = {"RLock owner": "its owner, count %s" % w.get("count"),
               "with block": "inside a `with` block on it",
               "the thread joined": "still running"}.get(w.get("holder_known_by"),
                                                          w.get("holder_known_by") or "")
        if w["kind"] == "threading.Thread":
            return "waits for %s to finish: %s" % (who, how)
        return "held by %s: %s" % (who, how)
    if w.get("owner_exited"):
        return "owned by a thread that has exited: it can never be released"
    if w["kind"] in ("threading.Lock", "threading.RLock"):
        if w.get("locked") is False:
            return "not held (the thread is about to get it)"
        return "holder unknown (taken with acquire(), which records no owner)"
    if w["kind"] == "queue.Queue":
        return "until another thread calls %s" % ("get()" if w["method"].endswith("put")
                                                 else "task_done()"
                                                 if w["method"].endswith("join")
                                                 else "put()")
    if w["kind"] == "threading.Thread":
        return "the thread joined has finished or is not known"
    return _WAITS_FOR.get(w["kind"], "no holder")


def short_lock(w):
    """A lock as the deadlock line names it: its first name, else its
    type and address."""
    if w.get("names"):
        return w["names"][0].split(" (")[0]
    return "%s %s" % (w.get("type", "?"), w.get("lock", "?"))


def render_locks(doc: dict, *, width: int = 0) -> str:
    """py-locks: one entry per waiting thread, then the deadlocks."""
    out = []
    for w in doc["waits"]:
        how = "`with`" if w["method"] == "with" else w["method"] + "()"
        state = "blocked" if w["blocked"] else "waiting"
        out.append(fit("Thread %d%s %s in %s on %s" % (
            w["tid"], " (%s)" % w["thread_name"] if w.get("thread_name") else "", state, how,
            lock_text(w)), width))
        if w.get("frame"):
            out.append("    at %s" % w["frame"])
        out.append("    " + holder_line(w))
    if not doc["waits"]:
        out.append("no thread waits on a lock")
    by_tid = {w["tid"]: w for w in doc["waits"]}
    for d in doc["deadlocks"]:
        parts = []
        n = len(d["tids"])
        for k, tid in enumerate(d["tids"]):
            w = by_tid.get(tid, {})
            held = by_tid.get(d["tids"][k - 1], {})
            parts.append("%s holds %s and waits for %s" % (
                thread_text(tid, w.get("thread_name")), short_lock(held) if n > 1 else "it",
                short_lock(w)))
        out.append("")
        out.append("Deadlock: " + "; ".join(parts))
    for n in doc.get("notes", []):
        out.append("note: %s" % n)
    return "\n".join(out) + "\n"


# ---- py-object ---------------------------------------------------------------

def render_object(d: dict, *, width: int = 0) -> str:
    """py-object: one field per line."""
    lines = ["object    %s" % d["address"],
             "type      %s" % d["type"],
             "refcount  %d%s" % (d["refcount"], " (immortal)" if d.get("immortal") else ""),
             "size      %s" % ("%d bytes" % d["size"] if d["size"] is not None else "?")]
    if d["gc_tracked"]:
        gen = d["generation"]
        where = ("permanent generation" if gen == 3 else "generation %d" % gen) \
            if gen is not None else "generation not found"
        lines.append("gc        tracked, %s" % where)
    else:
        lines.append("gc        not tracked")
    lines.append("repr      %s" % d["repr"])
    if d.get("allocated_at"):
        lines.append("allocated (tracemalloc, most recent call last):")
        for f in d["allocated_at"]:
            lines.append('  File "%s", line %d' % (f["file"], f["line"]))
    if d.get("allocated_at_note"):
        lines.append("note      %s" % d["allocated_at_note"])
    for e in d.get("errors", []) + d.get("notes", []):
        lines.append("note      %s" % e)
    if "fields" in d:
        lines.append("fields    %d" % (len(d["fields"]) + d.get("more_fields", 0)))
        col = min(max([len(f["name"]) for f in d["fields"]] + [4]), 30)
        acol = max([len(f["address"]) for f in d["fields"]] + [4])
        tcol = min(max([len(f["type"] or "?") for f in d["fields"]] + [4]), 24)
        for f in d["fields"]:
            lines.append(fit("  %-*s %-*s %-*s %s" % (col, f["name"], acol, f["address"], tcol,
                                                      f["type"] or "?", f["repr"]), width))
        if d.get("more_fields"):
            lines.append("  ... %d more fields not listed" % d["more_fields"])
        if d.get("fields_error"):
            lines.append("note      the fields stop early: %s" % d["fields_error"])
    return "\n".join(lines) + "\n"


# ---- py-info -----------------------------------------------------------------

def render_info(d: dict, *, width: int = 0) -> str:
    """py-info: what pyxray found, one row per fact."""
    rows = [
        ("target", "%s %d%s" % (d["target"], d["pid"],
                                " (%s)" % d["core_file"] if d.get("core_file") else "")),
        ("executable", d.get("executable") or "?"),
        ("python", "%s%s" % (d["python_version"], " (debug build)" if d["debug_build"] else "")),
        ("runtime", "_PyRuntime at %s in %s" % (d["runtime_address"], d["python_module"])),
        ("symbols", "full (.symtab)" if d["debug_symbols"] else "exported only (.dynsym)"),
        ("dwarf", "yes" if d["dwarf"] else "no"),
        ("layout", "%s, from %s%s" % (d["layout"], d["layout_source"],
                                      "; _Py_DebugOffsets from the target"
                                      if d["debug_offsets"] else "")),
        ("library", d.get("library") or "?"),
    ]
    out = ["%-11s %s" % row for row in rows]
    out += ["warning     %s" % w for w in d["warnings"]]
    return "\n".join(out) + "\n"


# ---- py-gc, py-census ----------------------------------------------------------

def render_gc(d: dict, *, width: int = 0) -> str:
    """py-gc: a row per generation."""
    out = ["gc %s, %s" % ("enabled" if d["enabled"] else "disabled",
                          "collecting now" if d["collecting"] else "not collecting"),
           "generation   objects     count  threshold  collections   collected  uncollectable"]
    for g in d["generations"]:
        out.append("%-10d %9d %9d %10d %12d %11d %14d" % (
            g["index"], g["objects"], g["count"], g["threshold"], g["collections"],
            g["collected"], g["uncollectable"]))
    out.append("permanent  %9d   (gc.freeze())" % d["permanent"]["objects"])
    if d.get("collector") == "incremental":
        visited = d.get("visited_space")
        out.append("incremental collector (3.14.0 to 3.14.4): generation 0 is the young "
                   "list, 1 and 2 the two old spaces%s" % (
                       "" if visited is None else "; old space %d is being visited" % visited))
    out += ["warning: %s" % w for w in d.get("warnings", [])]
    return "\n".join(out) + "\n"


def render_census(d: dict, *, generation: int | None = None, width: int = 0) -> str:
    """py-census: a row per type, then the totals.  generation: the one
    asked for (None: 0-2)."""
    if d.get("all_heap"):
        generation = "all-heap"
    # 40 columns for the type; on a narrow screen, only what the names need.
    col = 40
    if width:
        col = min(col, max([len("type")] + [len(t["type"]) for t in d["types"]]))
    out = ["%9s %14s  %-*s %s" % ("count", "bytes", col, "type", "sample")]
    for t in d["types"]:
        prefix = "%9d %14s  %-*s " % (t["count"], thousands(t["bytes"]), col, t["type"])
        out.append(fit_list(prefix, t["sample"], width))
    which = {None: "generations 0-2", 3: "the permanent generation",
             "all-heap": "the whole heap, tracked or not"}.get(generation,
                                                              "generation %s" % generation)
    out.append("%d objects, %s bytes in %d types (%s)" % (
        d["total_objects"], thousands(d["total_bytes"]), d["types_total"], which))
    if d.get("all_heap"):
        pm = d["pymalloc"]
        out.append("objects account for %s of the %s bytes in pymalloc blocks (%.1f%%); "
                   "%d objects found outside pymalloc" % (
                       thousands(pm["attributed_bytes"]), thousands(pm["allocated_bytes"]),
                       100.0 * pm["attributed_fraction"], d["outside_pymalloc_objects"]))
    if d.get("unreadable_objects"):
        out.append("%d objects on the lists were unreadable (corrupted heap?)"
                   % d["unreadable_objects"])
    return "\n".join(out) + "\n"


# ---- py-memory -------------------------------------------------------------------

def mb(n):
    """Bytes as MB with one decimal (what ps and top users read)."""
    return "%.1f MB" % (n / 1e6)


def render_memory(d: dict, *, width: int = 0) -> str:
    """py-memory: a row per kind, the total, then the owners."""
    live = d["rss_bytes"] is not None
    head = ("process: RSS %s, VSZ %s" % (mb(d["rss_bytes"]), mb(d["vsz_bytes"])) if live
            else "core: %s of mappings" % mb(d["vsz_bytes"]))
    out = ["%s in %d mappings, %d thread stacks" % (head, d["mappings"], d["thread_stacks"]),
           "%-26s %12s %12s" % ("kind", "resident", "virtual")]
    for k in d["kinds"]:
        out.append("%-26s %12s %12s" % (k["kind"], mb(k["rss_bytes"]) if live else "-",
                                        mb(k["bytes"])))
    out.append("%-26s %12s %12s" % ("total",
                                    mb(sum(k["rss_bytes"] for k in d["kinds"])) if live else "-",
                                    mb(sum(k["bytes"] for k in d["kinds"]))))
    if d["top_owners"]:
        out.append("")
        out.append("types owning the most (bytes: sys.getsizeof with buffers; malloc: "
                   "the chunks they own):")
        out.append("%10s %14s %14s  %s" % ("count", "bytes", "malloc", "type"))
        for o in d["top_owners"]:
            out.append(fit("%10s %14s %14s  %s" % (thousands(o["count"]), thousands(o["bytes"]),
                                                   thousands(o["malloc_bytes"]), o["type"]),
                           width))
        if d.get("truncated"):
            out.append("(%d of %d types; --top 0 for all)" % (len(d["top_owners"]),
                                                              d["owner_types"]))
    o = d["objects"]
    if o:
        out.append("%s objects (%s bytes), %s outside pymalloc, %s buffers they own" % (
            thousands(o["count"]), thousands(o["bytes"]), thousands(o["outside_pymalloc"]),
            thousands(o["owned_buffers"])))
    m = d["malloc"]
    if m:
        out.append("malloc: %d heaps; in use %s in %s chunks (%s of them mmapped); "
                   "free %s; cached in tcache/fastbins %s" % (
                       m["heaps"], mb(m["in_use_bytes"] + m["mmapped_bytes"]),
                       thousands(m["in_use_chunks"] + m["mmapped_chunks"]),
                       thousands(m["mmapped_chunks"]), mb(m["free_bytes"] + m["top_bytes"]),
                       mb(m["cached_bytes"])))
    for n in d["notes"]:
        out.append("note: " + n)
    return "\n".join(out) + "\n"


# ---- py-referrers, py-path -------------------------------------------------------

def holder_text(r):
    if r["holder"] == "frame":
        return "frame of thread %d" % r["tid"]
    return "%s at %s" % (r["type"], r["address"])


def render_referrers(d: dict, *, width: int = 0) -> str:
    """py-referrers: a line per reference, holder then edge."""
    refs = d["referrers"]
    if not refs:
        return ("nothing pyxray can see refers to %s (references from C code, the C "
                "stack and untracked objects are not visible)\n" % d["target"])
    out = ["%d %s to %s:" % (len(refs), plural(len(refs), "reference"), d["target"])]
    col = max(len(holder_text(r)) for r in refs)
    for r in refs:
        out.append(fit("  %-*s  %s" % (col, holder_text(r), r["edge"]), width))
    return "\n".join(out) + "\n"


def render_path(d: dict, *, width: int = 0) -> str:
    """py-path: the root, then a hop per line."""
    if not d["found"]:
        return ("no path from a root to %s within %d references (%s); %s\n"
                % (d["target"], d["max_depth"], d["target_repr"],
                   "the search stopped there with referrers left: try a larger --max-depth"
                   if d.get("truncated") else "it may be held only by C code, the C stack, "
                   "or a cycle the gc has not collected yet"))
    out = ["%s" % d["root"]]
    for hop in d["path"]:
        what = "%s at %s" % (hop["type"], hop["address"])
        rep = hop.get("repr")
        edge = hop["edge"] or ""
        line = "  %-24s -> %s" % (edge, what) if edge else "  %s" % what
        if rep and not rep.startswith("<"):
            if len(rep) > 60:
                rep = rep[:57] + "..."
            line += "  " + rep
        out.append(fit(line, width))
    return "\n".join(out) + "\n"


def render_path_dot(file: str) -> str:
    """py-path --dot: where the picture went."""
    return "wrote %s (render: dot -Tpng %s -o backrefs.png)\n" % (file, file)


# ---- py-leaks ------------------------------------------------------------------

def signed_mb(n):
    return "%+.1f MB" % (n / 1e6)


def render_leaks_snapshot(d: dict, file: str, *, width: int = 0) -> str:
    what = "every object" if d.get("scope") == "heap" else "every gc-tracked object"
    out = ["saved %s: %s objects (%s bytes) of %d types to %s" % (
        what, thousands(d["total_objects"]), thousands(d["total_bytes"]), d["types"], file)]
    if d.get("scope_note"):
        out.append("note: " + d["scope_note"])
    if d.get("rss_bytes") is not None:
        out.append("the process's memory by kind (RSS %s)" % mb(d["rss_bytes"]))
    if d.get("tracemalloc_sites") is not None:
        out.append("tracemalloc's traces at %s allocation sites (for diff --by-site)"
                   % thousands(d["tracemalloc_sites"]))
    return "\n".join(out) + "\n"


def render_leaks_diff(d: dict, *, width: int = 0) -> str:
    """py-leaks diff: the types that grew, with new objects, then how the
    memory grew by kind."""
    scope = "objects" if d.get("scope") == "heap" else "gc-tracked objects"
    out = ["since snapshot %s (Python %s): %s -> %s %s" % (
        d["snapshot"], d["snapshot_python_version"], thousands(d["total_objects_before"]),
        thousands(d["total_objects_after"]), scope)]
    if not d["types"]:
        out.append("no type grew")
    else:
        out.append("%10s %10s %11s  %-34s %s" % ("count", "grew by", "bytes grew", "type",
                                                 "new objects"))
        for t in d["types"]:
            prefix = "%10s %+10d %11s  %-34s " % (thousands(t["count_after"]),
                                                  t["count_growth"],
                                                  signed_mb(t["bytes_growth"]), t["type"])
            out.append(fit_list(prefix, t["new_samples"], width))
        if d.get("truncated"):
            out.append("(%d of %d types that grew; --top 0 for all)" % (
                len(d["types"]), d["types_grown"]))
    m = d.get("memory")
    if m:
        head = "memory: RSS %s, VSZ %s" % (
            signed_mb(m["rss_growth"]) if m["rss_growth"] is not None else "?",
            signed_mb(m["vsz_growth"]))
        grew = ["%s %s" % (k["kind"], signed_mb(k["bytes_growth"])) for k in m["kinds"]
                if abs(k["bytes_growth"]) >= 50000]
        out.append(fit(head + ("; " + ", ".join(grew) if grew else ""), width))
    for n in d.get("notes", []):
        out.append("note: " + n)
    return "\n".join(out) + "\n"


def render_leaks_sites(d: dict, *, width: int = 0) -> str:
    """py-leaks diff --by-site: like tracemalloc's StatisticDiff lines, each
    with its traceback, most recent call last."""
    out = ["since snapshot %s: traced memory %s -> %s" % (
        d["snapshot"], mb(d["traced_memory_before"]), mb(d["traced_memory_after"]))]
    if not d["sites"]:
        out.append("no allocation site changed")
    for st in d["sites"]:
        last = st["traceback"][-1] if st["traceback"] else {"file": "?", "line": 0}
        avg = st["size"] // st["count"] if st["count"] else 0
        out.append("%s:%d: size=%s (%s), count=%d (%+d), average=%d B" % (
            last["file"], last["line"], mb(st["size"]), signed_mb(st["size_diff"]),
            st["count"], st["count_diff"], avg))
        for f in st["traceback"]:
            out.append(fit('  File "%s", line %d' % (f["file"], f["line"]), width))
    if d.get("truncated"):
        out.append("(%d of %d sites; --top 0 for all)" % (len(d["sites"]), d["sites_total"]))
    return "\n".join(out) + "\n"


def render_refcheck(d: dict, *, width: int = 0) -> str:
    """py-leaks refcheck: the unexplained references, why each is
    suspicious, what was scanned, and the blind spots."""
    out = []
    sc = d.get("scanned")
    if not d["objects"]:
        out.append("every reference to the %d objects checked is accounted for" % d["checked"])
    else:
        out.append("%d of %d objects have more references than pyxray can find; "
                   "the most unexplained first:" % (d["with_excess"], d["checked"]))
        out.append("%8s %9s %7s  %-30s %-16s %s" % ("excess", "refcount", "found", "type",
                                                   "address", "repr"))
        for o in d["objects"]:
            rep = o["repr"] if len(o["repr"]) <= 50 else o["repr"][:47] + "..."
            out.append(fit("%8d %9d %7d  %-30s %-16s %s" % (
                o["excess"], o["refcount"], o["found"], o["type"], o["address"], rep), width))
            if o.get("could_be"):
                out.append(fit("%8s could be: %s" % ("", o["could_be"]), width))
    if sc:
        out.append("references counted from %s objects, %s running frames, and by a scan of "
                   "%s bytes of C globals, %s of C stacks, %s of interpreter and thread "
                   "states, %s of extension module states" % (
                       thousands(sc["objects"]), thousands(sc["frames"]),
                       thousands(sc["c_globals_bytes"]), thousands(sc["c_stacks_bytes"]),
                       thousands(sc["interpreter_states_bytes"]),
                       thousands(sc["module_states_bytes"])))
    out.append("pyxray cannot see:")
    for b in d["blind_spots"]:
        out.append("  - " + b)
    out.append("A large excess on one object, growing over time, is the signature of a "
               "missing Py_DECREF; small ones usually come from the above.")
    return "\n".join(out) + "\n"


# ---- py-pools, py-arenas, py-malloc ---------------------------------------------

def printone(label, value):
    """A summary line as CPython's printone() writes it: the label padded
    to 35 columns, '=', the value with thousands separators right-aligned
    in 21 columns."""
    return "%-35s=%21s" % (label, thousands(value))


def render_pools(d: dict, *, width: int = 0) -> str:
    """py-pools: the table sys._debugmallocstats() prints."""
    out = ["Small block threshold = %d, in %d size classes (%s)."
           % (d["small_request_threshold"], d["size_classes"], d["allocator"]),
           "",
           "class   size   num pools   blocks in use  avail blocks",
           "-----   ----   ---------   -------------  ------------"]
    for c in d["classes"]:
        out.append("%5u %6u %11u %15u %13u" % (c["class"], c["size"], c["pools"],
                                               c["blocks_in_use"], c["blocks_avail"]))
    a, b = d["arenas"], d["bytes"]
    out += ["",
            printone("# arenas allocated total", a["allocated_total"]),
            printone("# arenas reclaimed", a["reclaimed"]),
            printone("# arenas highwater mark", a["highwater"]),
            printone("# arenas allocated current", a["current"]),
            printone("%d arenas * %d bytes/arena" % (a["current"], d["arena_size"]),
                     a["current"] * d["arena_size"]),
            "",
            printone("# bytes in allocated blocks", b["allocated_blocks"]),
            printone("# bytes in available blocks", b["available_blocks"]),
            printone("%d unused pools * %d bytes" % (b["unused_pools"] // d["pool_size"],
                                                     d["pool_size"]), b["unused_pools"]),
            printone("# bytes lost to pool headers", b["pool_headers"]),
            printone("# bytes lost to quantization", b["quantization"]),
            printone("# bytes lost to arena alignment", b["arena_alignment"]),
            printone("Total", b["allocated_blocks"] + b["available_blocks"]
                     + b["unused_pools"] + b["pool_headers"] + b["quantization"]
                     + b["arena_alignment"])]
    out += ["warning: %s" % w for w in d.get("warnings", [])]
    return "\n".join(out) + "\n"


def class_ranges(classes):
    """[0, 1, 2, 5, 7, 8] -> "0-2,5,7-8"."""
    out = []
    for c in classes:
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return ",".join("%d" % a if a == b else "%d-%d" % (a, b) for a, b in out) or "-"


def size_text(n):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return "%d %s" % (n // scale, unit)
    return "%s bytes" % thousands(n)


def render_arenas(d: dict, *, width: int = 0) -> str:
    """py-arenas: a row per arena, then the fragmentation ranking."""
    t = d["totals"]
    out = ["%d arenas of %s (%s): %d of %d pools used, %s of %s in use (%.1f%%)"
           % (t["arenas"], size_text(d["arena_size"]), d["allocator"], t["pools_used"],
              t["pools_total"], thousands(t["bytes_in_use"]),
              thousands(t["arena_bytes"]), 100 * t["utilization"]),
           "",
           "arena  address             pools used/free/total  blocks in use  bytes in use"
           "   use%  size classes"]
    for a in d["arenas"]:
        out.append(fit("%5d  %-18s  %10d/%d/%d  %13d  %12d  %5.1f  %s"
                       % (a["index"], a["address"], a["pools_used"], a["pools_free"],
                          a["pools_total"], a["blocks_in_use"], a["bytes_in_use"],
                          100 * a["utilization"], class_ranges(a["size_classes"])), width))
    frag = d["fragmentation"]
    if frag:
        out += ["",
                "Fragmentation: the arenas holding the most memory for the least use.",
                "An arena goes back to the OS only when its last block is freed:"]
        for f in frag:
            out.append("  %2d. arena %d at %s: %d live %s (%s bytes) in %d %s "
                       "keep %s (%.2f%% used)"
                       % (f["rank"], f["index"], f["address"], f["blocks_in_use"],
                          plural(f["blocks_in_use"], "block"), thousands(f["bytes_in_use"]),
                          f["pools_used"], plural(f["pools_used"], "pool"),
                          size_text(d["arena_size"]), 100 * f["utilization"]))
    out += ["warning: %s" % w for w in d.get("warnings", [])]
    return "\n".join(out) + "\n"


def render_arenas_map(d: dict, file: str) -> str:
    """py-arenas --map: where the picture went."""
    return "wrote %s: %d arenas, %d pools\n" % (file, d["totals"]["arenas"],
                                                d["totals"]["pools_total"])


REGIONS = {
    "arena-alignment": "in the arena's alignment padding, before its first pool",
    "arena-unused": "in the arena's pools that were never used",
    "pool-unused": "in a pool with no blocks in use (free, waiting for reuse)",
    "pool-header": "in the pool's header (struct pool_header)",
    "pool-tail": "in the tail of the pool that no whole block fits in",
}

APIS = {"o": "the object API (PyObject_Malloc)", "m": "the mem API (PyMem_Malloc)",
        "r": "the raw API (PyMem_RawMalloc)"}


def block_state(b):
    if b["state"] == "allocated":
        return "allocated"
    if b["state"] == "free":
        pos = b.get("free_list_position", 0)
        return "free (%s on the pool's free list)" % ("first" if pos == 1 else "#%d" % pos)
    return "free, never handed out (past the pool's nextoffset)"


def describe_offset(d):
    """How the object sits in its block, in words."""
    obj, block = d["object"], d["block"]
    start = int(obj["address"], 16) - int(block["address"], 16)
    if start == 0:
        return None
    parts = []
    pre = start
    if d.get("debug"):
        parts.append("16 bytes of debug-hook header")
        pre -= 16
    if pre == 16:
        parts.append("its 16-byte PyGC_Head")
    elif pre == 32:
        parts.append("its PyGC_Head and the two pre-header words of a managed dict")
    elif pre:
        parts.append("%d bytes" % pre)
    return "the object starts %d bytes into the block, after %s" % (start, " and ".join(parts))


def render_malloc(d: dict, *, width: int = 0) -> str:
    """py-malloc: arena, pool, block, and the object in it."""
    addr = d["address"]
    if not d["in_pymalloc"]:
        return ("%s is not in pymalloc: none of its %d arenas holds it (memory from "
                "malloc: objects over 512 bytes, buffers of C extensions, or not heap "
                "memory at all)\n" % (addr, d.get("arenas", 0)))
    a = d["arena"]
    out = ["%s is in pymalloc (%s)" % (addr, d["allocator"]),
           "arena     %d at %s (%d KiB)" % (a["index"], a["address"], a["size"] // 1024)]
    p = d.get("pool")
    if p:
        if p["blocks_in_use"]:
            out.append("pool      %s: size class %d (%d-byte blocks), %d of %d blocks in use"
                       % (p["address"], p["size_class"], p["block_size"],
                          p["blocks_in_use"], p["blocks_total"]))
        else:
            out.append("pool      %s: no blocks in use" % p["address"])
    if d["region"] != "block":
        out.append("where     %s" % REGIONS.get(d["region"], d["region"]))
        return "\n".join(out) + "\n"
    b = d["block"]
    off = "; the address is %d bytes into it" % b["offset"] if b["offset"] else ""
    out.append("block     %s (#%d in the pool), %s%s"
               % (b["address"], b["index"], block_state(b), off))
    dbg = d.get("debug")
    if dbg:
        out.append("debug     %d bytes requested through %s; data at %s; padding %s"
                   % (dbg["requested_size"], APIS.get(dbg["api"], dbg["api"]), dbg["data"],
                      "intact" if dbg["tail_intact"] else "OVERWRITTEN (a buffer overrun?)"))
    obj = d.get("object")
    if obj:
        where = describe_offset(d)
        rel = "" if obj["offset"] == 0 else " (the address is %d bytes %s it)" % (
            abs(obj["offset"]), "into" if obj["offset"] > 0 else "before")
        out.append("object    %s%s" % (obj["address"], rel))
        if where:
            out.append("          %s" % where)
        out.append("type      %s" % obj["type"])
        out.append("refcount  %d" % obj["refcount"])
        if obj.get("size") is not None:
            out.append("size      %d bytes" % obj["size"])
        out.append("repr      %s" % obj["repr"])
    elif b["state"] == "allocated":
        out.append("object    none: the block does not start with an object header (memory "
                   "from PyMem_Malloc/PyObject_Malloc: a list's items, a dict's keys ...)")
    return "\n".join(out) + "\n"

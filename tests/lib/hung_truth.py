"""Comparisons of py-tasks, py-locks, the threads' status lines and
py-triage's verdicts with what the programs recorded about themselves
(tests/fixtures/tasks_fixture.py, tests/fixtures/locks_fixture.py,
tests/fixtures/status_fixture.py, examples/crasher/*.py).  Shared by the
CLI checks (hung_check.py) and the gdb checks (hung_gdb.py); each
function returns a list of (ok, name, detail).
"""
import os


def _chain(frames):
    return [(f["function"], f["file"], f["line"]) for f in frames]


def compare_tasks(doc, rec, label):
    """py-tasks --json against asyncio.all_tasks(), get_stack() and the
    cr_await chains the fixture recorded at the same moment."""
    out = []

    def report(ok, name, detail=""):
        out.append((bool(ok), "%s: %s" % (label, name), detail))

    got = {t["id"]: t for t in doc["tasks"]}
    want = {t["id"]: t for t in rec["tasks"]}
    report(set(got) == set(want), "every task of asyncio.all_tasks(), and no other",
           "missing %s, extra %s" % (sorted(set(want) - set(got)), sorted(set(got) - set(want))))
    for tid, w in sorted(want.items(), key=lambda kv: kv[1]["name"]):
        g = got.get(tid)
        if g is None:
            continue
        name = "task %s" % w["name"]
        report(g["name"] == w["name"] and g["state"] == w["state"], name + ": name and state",
               "got %s %s" % (g["name"], g["state"]))
        report(_chain(g["coroutines"]) == _chain(w["coroutines"]),
               name + ": the coroutine chain (cr_await)",
               "got %s, want %s" % (_chain(g["coroutines"]), _chain(w["coroutines"])))
        if w["stack"]:
            report(_chain(g["coroutines"][:1]) == _chain(w["stack"][:1]),
                   name + ": the outermost coroutine is get_stack()'s frame",
                   "got %s, want %s" % (_chain(g["coroutines"][:1]), _chain(w["stack"][:1])))
        tasks = sorted(a for a in g["awaits"] if a in got)
        report(tasks == w["awaits"], name + ": the tasks it awaits",
               "got %s, want %s" % (tasks, w["awaits"]))
        others = [a for a in g["awaits"] if a not in got]
        for fut in w["awaits_other"]:
            report(any(fut in o for o in others), name + ": names the future it awaits",
                   "want %s in %s" % (fut, others))
        by = sorted(g["awaited_by"])
        inverse = sorted(t for t, x in want.items() if tid in x["awaits"])
        report(by == inverse, name + ": the tasks that await it",
               "got %s, want %s" % (by, inverse))
        if "call_graph_awaited_by" in w:
            # 3.14+: what asyncio's own records say awaits it (futures
            # that are tasks) is among them.
            own = sorted(f for f in w["call_graph_awaited_by"] if f in want)
            report(set(own) <= set(by), name + ": includes asyncio's own awaited_by records",
                   "asyncio says %s, pyxray %s" % (own, by))
    cycles = sorted(sorted(c) for c in doc["deadlocks"])
    report(cycles == sorted(rec["deadlocks"]), "deadlocks: the two tasks awaiting each other",
           "got %s, want %s" % (cycles, rec["deadlocks"]))
    loops = [l for l in doc["loops"] if l["id"] == rec["loop"]]
    report(len(loops) == 1 and loops[0]["tasks"] == len(want),
           "the event loop and its task count", repr(doc["loops"]))
    return out


def compare_locks(doc, rec, label, live=True):
    """py-locks --json against what each thread wrote down before it
    blocked, and repr() of the RLock."""
    out = []

    def report(ok, name, detail=""):
        out.append((bool(ok), "%s: %s" % (label, name), detail))

    got = {w["tid"]: w for w in doc["waits"]}
    for tid, plan in sorted(rec["plans"].items(), key=lambda kv: kv[1]["name"]):
        g = got.get(int(tid))
        name = "thread %s" % plan["name"]
        report(g is not None, name + ": found waiting")
        if g is None:
            continue
        report(g["lock"] == plan["object"] and g["kind"] == plan["kind"],
               name + ": the object it waits on",
               "got %s %s, want %s %s" % (g["lock"], g["kind"], plan["object"], plan["kind"]))
        report(g["holder_tid"] == plan["holder"], name + ": its holder",
               "got %s, want %s" % (g["holder_tid"], plan["holder"]))
        report(all(n in g["names"] for n in plan["names"]), name + ": the names that refer to it",
               "got %s, want %s" % (g["names"], plan["names"]))
    extra = sorted(set(got) - {int(t) for t in rec["plans"]})
    report(not extra, "no other thread reported waiting", repr([got[t] for t in extra]))
    rlock = [w for w in doc["waits"] if w["kind"] == "threading.RLock"]
    if rlock:
        count = rec["rlock_repr"].split("count=")[1].split()[0]
        report(str(rlock[0]["count"]) == count, "the RLock's count, as repr() says",
               "got %s, repr %s" % (rlock[0]["count"], rec["rlock_repr"]))
    cycles = [sorted(d["tids"]) for d in doc["deadlocks"]]
    report(cycles == [rec["deadlock"]], "deadlocks: the two threads waiting for each other",
           "got %s, want %s" % (cycles, [rec["deadlock"]]))
    return out


def compare_status(doc, rec, label):
    """The status of each thread in a stack (or triage) document against
    what the thread wrote down it was about to do; the main thread holds
    the GIL while it stops or aborts itself."""
    out = []

    def report(ok, name, detail=""):
        out.append((bool(ok), "%s: %s" % (label, name), detail))

    got = {t["tid"]: t for t in doc["threads"]}
    for tid, plan in sorted(rec["plans"].items(), key=lambda kv: kv[1]["name"]):
        t = got.get(int(tid))
        name = "thread %s" % plan["name"]
        if t is None:
            report(False, name + ": found", sorted(got))
            continue
        st = t.get("status") or {}
        want = plan["state"]
        if want == "gil_wait" and t["holds_gil"]:
            want = "running"
        report(st.get("state") == want and all(x in st.get("text", "") for x in plan["texts"]),
               "%s: status %s%s" % (name, want,
                                     " naming %s" % ", ".join(plan["texts"]) if plan["texts"]
                                     else ""), repr(st))
    main = got.get(rec["main_tid"])
    st = (main or {}).get("status") or {}
    report(main is not None and main["holds_gil"] and "holding the GIL" in st.get("text", ""),
           "the main thread's status says it holds the GIL", repr(st))
    return out


def compare_verdict(doc, rec, scenario, label):
    """py-triage --json of a crash example's core against its record."""
    out = []

    def report(ok, name, detail=""):
        out.append((bool(ok), "%s: %s" % (label, name), detail))

    v = doc["verdict"]
    py = rec["frames"][-1] if rec.get("frames") else None
    where = "%s:%d in %s()" % (os.path.basename(py["file"]), py["line"], py["function"]) \
        if py else None
    crashed = doc["threads"][0] if doc["threads"] else {}
    report(crashed.get("tid") == rec["tid"] and crashed.get("is_crashed"),
           "the faulting thread comes first", "got %s" % crashed.get("tid"))
    if where and scenario != "overflow-python":
        report(("called from %s" % where) in v, "the verdict names the Python line", v)
    if scenario == "kill":
        sender = doc.get("signal_sender") or {}
        report(doc["signal"] == "SIGABRT" and sender.get("pid") == rec["killer"]
               and sender.get("self") is False, "the signal's sender is the killing process",
               repr(sender))
        report("sent by process %d" % rec["killer"] in v and "did not fault" in v,
               "the verdict says who sent it", v)
        report(doc["fault_address"] is None, "no fault address for a sent signal",
               repr(doc["fault_address"]))
        if rec.get("peer_tid"):
            peer = [t for t in doc["threads"] if t["tid"] == rec["peer_tid"]]
            names = [f.get("function") for f in peer[0]["native_frames"]] if peer else []
            report(peer and peer[0]["thread_id"] is None and
                   "peer::registered_thread" in names and "peer::wait_for_messages" in names,
                   "the C++ thread that never ran Python is shown, names demangled",
                   repr(names))
    elif scenario == "faulthandler":
        report(doc["signal"] == "SIGSEGV" and doc.get("faulthandler_reraised"),
               "faulthandler's re-raise is recognised", repr(doc.get("signal_sender")))
        report(doc["fault_address"] == "0x0", "the original fault address",
               repr(doc["fault_address"]))
        report(v.startswith("SIGSEGV in module %s, function %s()" % (
            os.path.basename(rec["module"]), rec["c_function"])),
            "the verdict names the original fault", v)
    elif scenario == "assert":
        report(doc["signal"] == "SIGABRT" and (doc.get("signal_sender") or {}).get("self"),
               "SIGABRT raised by the process itself", repr(doc.get("signal_sender")))
        report(rec["assertion"] in (doc.get("abort_message") or ""),
               "abort()'s message is glibc's assertion", repr(doc.get("abort_message")))
        report(rec["assertion"] in v and "from abort()" in v, "the verdict says why", v)
    elif scenario.startswith("overflow"):
        report(doc["signal"] == "SIGSEGV" and doc.get("stack_overflow"),
               "a stack overflow is recognised", repr(doc.get("fault_address")))
        report(v.startswith("SIGSEGV: stack overflow: ") and
               ("%s()" % rec["recursion"]) in v and "(recursion)" in v,
               "the verdict names the function that recursed", v)
        t = crashed
        reps = t.get("repeats" if scenario == "overflow-python" else "native_repeats") or []
        report(any(r["more"] >= 50 for r in reps), "the repeated frames are counted",
               repr(reps[:3]))
    elif scenario == "fatal-error":
        report(doc["signal"] == "SIGABRT" and (doc.get("signal_sender") or {}).get("self"),
               "SIGABRT raised by the process itself", repr(doc.get("signal_sender")))
        report("from abort() in the process itself: Py_FatalError()" in v and
               "called by ctypes through libffi" in v and "??" not in v,
               "the verdict names Py_FatalError() and ctypes", v)
    elif scenario in ("ctypes-memmove", "ctypes-abort"):
        fn = rec["c_function"]
        # Named, or, when the C library has no symbols for it (a libc
        # without debug info), placed at its offset in the library.
        report((("in %s() of libc" % fn) in v or "in unnamed code at libc" in v) and
               "called by ctypes through libffi" in v,
               "the verdict names the C function ctypes called", v)
    return out

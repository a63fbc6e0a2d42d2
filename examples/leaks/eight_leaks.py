"""Eight leaks, each the way a real service ends up with it.

    python3 eight_leaks.py RECORD [--requests N] [--rounds R] [--tracemalloc]

  logger         a logging.Logger and handler per request: the logging
                 manager keeps every logger ever named;
  lru_method     functools.lru_cache on a method: the cache keeps self and
                 a result per distinct argument;
  numpy          numpy arrays appended to a module-level history list (the
                 data is malloc'ed, outside the objects);
  lxml           lxml trees kept in a dict by request id (libxml2 memory);
  resurrect      a __del__ that puts its object back into a list;
  tasks          asyncio tasks started and kept in a set nobody empties;
  event_waiters  asyncio tasks waiting on an Event that is never set: only
                 the Event's deque of waiters holds them;
  local          a threading.local whose list grows with every request.

numpy and lxml are used when they can be imported (Debian's python3-numpy
and python3-lxml), and left out otherwise.  Each round serves N requests
(default 200), then writes RECORD.ROUND (JSON: what the process says about
itself) and stops itself with SIGSTOP; continued, it serves the next round.
The record has, per leak, the type that grows, how many there are, the
sum of their sys.getsizeof (and, for numpy, of nbytes), the address of
the newest one, and whether gc.get_referrers() leads from it to this
module's globals (what objgraph's find_backref_chain does).  With
--tracemalloc, tracemalloc traces every allocation and the record has the
allocation site of each sample, tracemalloc's own per-line statistics and,
from the second round, its Snapshot.compare_to(first, 'traceback') for the
sites in serve().
"""
import asyncio
import functools
import gc
import io
import json
import logging
import os
import signal
import sys
import threading

ARGS = sys.argv[1:]
RECORD = ARGS[0]


def option(name, default):
    if name in ARGS:
        return int(ARGS[ARGS.index(name) + 1])
    return default


REQUESTS = option("--requests", 200)
ROUNDS = option("--rounds", 2)
TRACE = "--tracemalloc" in ARGS
if TRACE:
    import tracemalloc
    tracemalloc.start(8)

try:
    import numpy
except ImportError:
    numpy = None
try:
    import lxml.etree
except ImportError:
    lxml = None


# --- the leaks -----------------------------------------------------------------

class Result:
    def __init__(self, key):
        self.key = key
        self.payload = [key] * 4


class Catalog:
    @functools.lru_cache(maxsize=100000)
    def lookup(self, key):
        return Result(key)


CATALOG = Catalog()
HISTORY = []
DOCUMENTS = {}
GRAVEYARD = []
BACKGROUND = set()
READY = None   # an asyncio.Event, made in the loop
LOOP = asyncio.new_event_loop()
STATE = threading.local()
STATE.seen = []


class Zombie:
    def __init__(self, n):
        self.n = n

    def __del__(self):
        GRAVEYARD.append(self)


class LocalEntry:
    def __init__(self, n):
        self.n = n


def serve(n):
    log = logging.getLogger("request.%d" % n)
    log.addHandler(logging.StreamHandler(io.StringIO()))
    log.propagate = False
    CATALOG.lookup(n)
    if numpy is not None:
        HISTORY.append(numpy.full(1000, n, dtype=numpy.float64))
    if lxml is not None:
        DOCUMENTS[n] = lxml.etree.fromstring(
            "<order id='%d'><item sku='a'/><item sku='b'/></order>" % n)
    Zombie(n)

    async def work():
        await asyncio.sleep(3600)
    BACKGROUND.add(LOOP.create_task(work()))
    LOOP.create_task(READY.wait())
    STATE.seen.append(LocalEntry(n))


def serve_round():
    global READY
    if READY is None:
        async def make():
            return asyncio.Event()
        READY = LOOP.run_until_complete(make())
    base = serve_round.served
    for n in range(base, base + REQUESTS):
        serve(n)
    serve_round.served += REQUESTS
    # Let the tasks start and block.
    LOOP.run_until_complete(asyncio.sleep(0))
    LOOP.run_until_complete(asyncio.sleep(0))


serve_round.served = 0
FIRST_SNAPSHOT = None


def serve_lines():
    """The lines of serve(), whose allocations are the leaks."""
    import inspect
    first = serve.__code__.co_firstlineno
    return range(first, first + len(inspect.getsource(serve).splitlines()))


# --- what the process says about itself -----------------------------------------

def qualname(t):
    return t.__qualname__ if t.__module__ == "builtins" else "%s.%s" % (t.__module__, t.__qualname__)


def reachable_from_globals(obj, limit=16):
    """objgraph's find_backref_chain, as a yes/no."""
    target = globals()
    seen = {id(obj)}
    level = [obj]
    for _ in range(limit):
        up = []
        for o in level:
            for r in gc.get_referrers(o):
                if r is target:
                    return True
                if id(r) in seen or r is level or r is up or isinstance(r, type(sys._getframe())):
                    continue
                seen.add(id(r))
                up.append(r)
        level = up
    return False


def site(obj):
    if not TRACE:
        return None
    tb = tracemalloc.get_object_traceback(obj)
    if tb is None:
        return None
    return [{"file": f.filename, "line": f.lineno} for f in tb]


def leak(name, objs, newest, extra=None):
    objs = list(objs)
    entry = {
        "type": qualname(type(newest)) if newest is not None else None,
        "count": len(objs),
        "getsizeof": sum(sys.getsizeof(o) for o in objs),
        "newest": "0x%x" % id(newest) if newest is not None else None,
        "reachable": newest is not None and reachable_from_globals(newest),
        "allocated_at": site(newest) if newest is not None else None,
    }
    if extra:
        entry.update(extra)
    return entry


def record(round_no):
    gc.collect()
    gc.disable()
    loggers = [v for v in logging.Logger.manager.loggerDict.values()
               if isinstance(v, logging.Logger) and v.name.startswith("request.")]
    tasks = list(BACKGROUND)
    waiting = [t for t in asyncio.all_tasks(LOOP) if t not in BACKGROUND]
    results = [o for o in gc.get_objects() if type(o) is Result]
    leaks = {
        "logger": leak("logger", loggers, loggers[-1] if loggers else None),
        "lru_method": leak("lru_method", results,
                           CATALOG.lookup(serve_round.served - 1)),
        "resurrect": leak("resurrect", GRAVEYARD, GRAVEYARD[-1] if GRAVEYARD else None),
        "tasks": leak("tasks", tasks, max(tasks, key=id) if tasks else None),
        "event_waiters": leak("event_waiters", waiting,
                              waiting[-1] if waiting else None,
                              {"waiter": "0x%x" % id(READY._waiters[-1])}),
        "local": leak("local", STATE.seen, STATE.seen[-1],
                      {"list": "0x%x" % id(STATE.seen)}),
    }
    if numpy is not None:
        leaks["numpy"] = leak("numpy", HISTORY, HISTORY[-1],
                              {"nbytes": sum(a.nbytes for a in HISTORY)})
    if lxml is not None:
        docs = list(DOCUMENTS.values())
        leaks["lxml"] = leak("lxml", docs, docs[-1])
    data = {
        "pid": os.getpid(),
        "version": sys.version.split()[0],
        "round": round_no,
        "requests": serve_round.served,
        "leaks": leaks,
        "have_numpy": numpy is not None,
        "have_lxml": lxml is not None,
        "tracemalloc": TRACE,
    }
    if TRACE:
        global FIRST_SNAPSHOT
        snap = tracemalloc.take_snapshot()
        stats = snap.statistics("lineno")
        here = os.path.abspath(__file__)
        data["tracemalloc_top"] = [
            {"file": s.traceback[0].filename, "line": s.traceback[0].lineno,
             "size": s.size, "count": s.count}
            for s in stats if s.traceback[0].filename == here][:20]
        if FIRST_SNAPSHOT is None:
            FIRST_SNAPSHOT = snap   # kept: its traces are in every later round
        else:
            lines = serve_lines()
            data["compare_traceback"] = [
                {"traceback": [[f.filename, f.lineno] for f in d.traceback],
                 "size_diff": d.size_diff, "count_diff": d.count_diff}
                for d in snap.compare_to(FIRST_SNAPSHOT, "traceback")
                if d.count_diff and any(f.filename == here and f.lineno in lines
                                        for f in d.traceback)]
    path = "%s.%d" % (RECORD, round_no)
    with open(path + ".tmp", "w") as fp:
        json.dump(data, fp, indent=1)
    os.rename(path + ".tmp", path)
    del results, loggers, tasks, waiting


def main():
    for r in range(1, ROUNDS + 1):
        serve_round()
        record(r)
        os.kill(os.getpid(), signal.SIGSTOP)
        gc.enable()


main()

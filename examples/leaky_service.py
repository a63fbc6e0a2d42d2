"""A service that leaks, three ways, for pyxray's py-leaks and py-path:

  - a global cache of sessions that is never evicted (SESSION_CACHE);
  - request/handler reference cycles, piling up because the service turns
    the garbage collector off "for latency";
  - with the example C extension built (examples/build-ext), a missing
    Py_DECREF: every request tags its config object through
    _pyxray_leaky.tag(), which keeps a reference it never gives back.

    python3 leaky_service.py [EXTENSION_DIR] [--requests N] [--stop]

It prints its pid, serves N requests (default 2000) in rounds, and with
--stop stops itself (SIGSTOP) after each round so a debugger can take a
snapshot, continue it, and diff.
"""
import gc
import os
import signal
import sys

args = sys.argv[1:]
ext_dir = args[0] if args and not args[0].startswith("--") else None
if ext_dir:
    sys.path.insert(0, ext_dir)
try:
    import _pyxray_leaky as tagger
except ImportError:
    tagger = None

SESSION_CACHE = {}


class Session:
    def __init__(self, user):
        self.user = user
        self.history = []


class Request:
    def __init__(self, number, session):
        self.number = number
        self.session = session
        self.handler = None


class Handler:
    def __init__(self, request):
        self.request = request        # Request <-> Handler: a cycle
        self.buffer = bytearray(64)


class ServiceConfig:
    """One per service: every request tags it (and the C code leaks it)."""
    def __init__(self):
        self.name = "leaky-service"


CONFIG = ServiceConfig()


def handle(number):
    user = "user-%d" % number
    session = SESSION_CACHE.setdefault(user, Session(user))   # never evicted
    request = Request(number, session)
    request.handler = Handler(request)
    session.history.append(number)
    if tagger:
        tagger.tag(CONFIG)
    return request.number


def main():
    gc.disable()  # "for latency": the Request/Handler cycles now pile up
    rounds = 3
    requests = 2000
    if "--requests" in args:
        requests = int(args[args.index("--requests") + 1])
    print("pid %d" % os.getpid(), flush=True)
    for r in range(rounds):
        for n in range(requests):
            handle(r * requests + n)
        print("round %d done: %d sessions" % (r, len(SESSION_CACHE)), flush=True)
        if "--stop" in args:
            os.kill(os.getpid(), signal.SIGSTOP)


if __name__ == "__main__":
    main()

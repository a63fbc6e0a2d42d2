"""A service that hangs until another process kills it.

    python3 hang.py EXTENSION_DIR

It writes its record (PYXRAY_EXPECT), then waits in time.sleep() inside
poll_forever(), with a C++ thread of _pyxray_peer beside it (one that
never runs Python).  The tests send it SIGABRT from another process
(kill -ABRT PID): py-triage must say who sent the signal, not blame the
function that happened to run.
"""
import os
import sys
import time

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))
from expect import expect  # noqa: E402

try:
    import _pyxray_peer  # noqa: E402
except ImportError:
    _pyxray_peer = None


class _Libc:
    __file__ = "libc.so.6"


def poll_forever(peer):
    while True:
        expect("clock_nanosleep", _Libc, peer_tid=peer)
        time.sleep(3600)


if __name__ == "__main__":
    poll_forever(_pyxray_peer.start() if _pyxray_peer else None)

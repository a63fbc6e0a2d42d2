"""The physical limit beside a heap command's time: how long copying the
same bytes out of the process takes with process_vm_readv(2) in 1 MiB
blocks, the fastest way to read another process's memory (what pyxray
itself uses).  A command cannot read the heap faster than this; the
distance between the two is pyxray's own work.

    copy_seconds(pid, [(start, length), ...]) -> seconds (best of 3)
    arena_ranges(cli, pid) -> pymalloc's arenas, from `pyxray arenas --json`
"""
import ctypes
import json
import subprocess
import time

BLOCK = 1 << 20


class _IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.process_vm_readv.restype = ctypes.c_ssize_t
_libc.process_vm_readv.argtypes = [ctypes.c_int, ctypes.POINTER(_IoVec), ctypes.c_ulong,
                                   ctypes.POINTER(_IoVec), ctypes.c_ulong, ctypes.c_ulong]


def copy_seconds(pid, ranges, runs=3):
    buf = ctypes.create_string_buffer(BLOCK)
    local = _IoVec(ctypes.cast(buf, ctypes.c_void_p), BLOCK)
    best = None
    for _ in range(runs):
        t0 = time.perf_counter()
        for start, length in ranges:
            off = 0
            while off < length:
                n = min(BLOCK, length - off)
                local.len = n
                remote = _IoVec(start + off, n)
                if _libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote),
                                          1, 0) < 0:
                    break
                off += n
        t = time.perf_counter() - t0
        best = t if best is None else min(best, t)
    return best


def arena_ranges(cli, pid):
    p = subprocess.run([cli, "arenas", "--top", "0", "--json", "--pid", str(pid)],
                       capture_output=True, text=True, timeout=600)
    d = json.loads(p.stdout)
    return [(int(a["address"], 16), d["arena_size"]) for a in d["arenas"]]

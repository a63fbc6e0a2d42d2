"""The target for bench/bench_memory.py's malloc walk: N chunks of malloc
memory made through ctypes (96 bytes asked: 112-byte chunks), then every
tenth freed again so the heap has free chunks too (in the tcache and the
fastbins), then glibc's own
accounting timed in the process - mallinfo2() and malloc_info() - as the
peer.

    python malloc_target.py N

Prints "READY pid seconds_mallinfo2 seconds_malloc_info in_use_bytes" and
stops itself with SIGSTOP; it exits when killed.
"""
import ctypes
import os
import signal
import sys
import time

N = int(sys.argv[1])
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]


class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]


libc.mallinfo2.restype = Mallinfo2
malloc = libc.malloc
free = libc.free
ptrs = (ctypes.c_void_p * N)()
for i in range(N):
    ptrs[i] = malloc(96)
for i in range(9, N, 10):
    free(ptrs[i])
del ptrs
t0 = time.perf_counter()
info = libc.mallinfo2()
t_info = time.perf_counter() - t0
buf = ctypes.c_char_p()
size = ctypes.c_size_t()
libc.open_memstream.restype = ctypes.c_void_p
f = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
t0 = time.perf_counter()
libc.malloc_info(0, ctypes.c_void_p(f))
t_xml = time.perf_counter() - t0
libc.fclose(ctypes.c_void_p(f))
print("READY %d %.6f %.6f %d" % (os.getpid(), t_info, t_xml, info.uordblks + info.hblkhd),
      flush=True)
os.kill(os.getpid(), signal.SIGSTOP)
signal.pause()

"""make bench's py-break target: N calls of a small function, timed by the
process itself (startup excluded); prints "calls/s X"."""
import sys
import time


def leaf(i):
    return i + 1


def never_called():
    pass


def main():
    n = int(sys.argv[1])
    t = time.perf_counter()
    for i in range(n):
        leaf(i)
    dt = time.perf_counter() - t
    print("calls/s %.1f" % (n / dt), flush=True)


if __name__ == "__main__":
    main()

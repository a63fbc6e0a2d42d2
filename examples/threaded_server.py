"""A small threaded "service" for pyxray's demo: a dispatcher hands jobs to
a pool of workers through a queue; one worker is busy resizing an image
(a loop that holds the GIL), the others wait for work, and a reporter
sleeps between reports.  It keeps a cache of results in a global dict.

    python3 threaded_server.py [--stop]

It prints its pid and the address of RESULT_CACHE, then runs until
killed (with --stop it stops itself with SIGSTOP once it is ready, so the
snapshot is deterministic).
"""
import os
import queue
import signal
import sys
import threading
import time

RESULT_CACHE = {}
jobs = queue.Queue()
ready = threading.Event()


class Job:
    def __init__(self, job_id, width, height):
        self.job_id = job_id
        self.width = width
        self.height = height


def resize(job):
    pixels = 0
    for row in range(job.height):
        for col in range(job.width):
            pixels += (row * col) % 7
    return pixels


def worker(number):
    while True:
        job = jobs.get()
        if job is None:
            return
        RESULT_CACHE[job.job_id] = resize(job)
        jobs.task_done()


def reporter():
    while True:
        ready.set()
        time.sleep(60)


def main():
    pool = [threading.Thread(target=worker, args=(n,), name="worker-%d" % n, daemon=True)
            for n in range(3)]
    for t in pool:
        t.start()
    threading.Thread(target=reporter, name="reporter", daemon=True).start()
    RESULT_CACHE["warmup"] = [1, 2.5, "three", (4, None)]
    jobs.put(Job("huge-image", 10 ** 9, 10 ** 9))   # one worker stays busy
    ready.wait()
    time.sleep(0.5)
    print("pid %d RESULT_CACHE 0x%x" % (os.getpid(), id(RESULT_CACHE)), flush=True)
    if "--stop" in sys.argv:
        os.kill(os.getpid(), signal.SIGSTOP)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()

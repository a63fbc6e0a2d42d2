#!/usr/bin/env python3
"""Run a command; then print "maxrss KB" of it (and what it started).

    maxrss.py CMD [ARG ...]

Its output goes to /dev/null (a test that measures memory should not
hold the output in memory too); its exit status is passed on.
"""
import resource
import subprocess
import sys

rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
print("maxrss %d" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)

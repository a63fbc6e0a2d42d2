"""What the Python tests share: the checkout's top, the package on
sys.path (the staged copy in build/python when make has run, else
gdb/), the saved documents."""
import json
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCUMENTS = os.path.join(TOP, "tests", "python", "documents")

for _p in (os.path.join(TOP, "build", "python"), os.path.join(TOP, "gdb")):
    if os.path.exists(os.path.join(_p, "pyxray", "__init__.py")):
        if _p not in sys.path:
            sys.path.insert(0, _p)
        break


def document(name):
    """A saved --json document; {top} stands for the checkout."""
    with open(os.path.join(DOCUMENTS, name + ".json")) as fp:
        return json.loads(fp.read().replace("{top}", TOP))


def expected(name):
    with open(os.path.join(DOCUMENTS, name + ".txt")) as fp:
        return fp.read().replace("{top}", TOP)

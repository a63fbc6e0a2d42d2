#!/usr/bin/env python3
"""Generate a pyxray layout table from one CPython version's headers.

    generate.py --include DIR [--include DIR ...] --out FILE [--debug]
                [--python EXE]
    generate.py --ids src/runtime/layout_ids.h

The first form compiles a probe against the headers in DIR (the directory
that holds Python.h; its internal/ subdirectory must be there), with
Py_BUILD_CORE so the internal structs are visible, runs it, and writes a C
file defining `const struct pyx_layout pyx_layout_<name>`.  Some builds
change struct layouts with flags that only their own compile line carries
(Debian's 3.14 and 3.15 are built with the experimental JIT compiled in:
-D_Py_TIER2=3 -D_Py_JIT, which adds fields to the thread state): --python
names the interpreter the headers belong to, and the probe is compiled
with the -D_Py*/-DPy_* flags of its sysconfig PY_CORE_CFLAGS.  The second
form writes the enum of field ids shared by every table.

The output is committed, so machines without CPython's headers still build.
`make layouts` runs this for every interpreter it finds.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fields import FIELDS  # noqa: E402

HEADER_INCLUDES = """
#define Py_BUILD_CORE 1
#include <Python.h>
#include <frameobject.h>
#include <opcode.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#if PY_VERSION_HEX < 0x03090000
#  include "internal/pycore_pystate.h"
#  include "internal/pycore_pymem.h"
#else
#  include "internal/pycore_runtime.h"
#  include "internal/pycore_interp.h"
#  include "internal/pycore_pystate.h"
#  include "internal/pycore_gc.h"
#endif
#include "internal/pycore_code.h"
#if PY_VERSION_HEX >= 0x030A0000
#  include "internal/pycore_moduleobject.h"
#endif
#if PY_VERSION_HEX >= 0x030B0000
#  include "internal/pycore_frame.h"
#  include "internal/pycore_dict.h"
#endif
#if PY_VERSION_HEX >= 0x030C0000
#  include "internal/pycore_long.h"
#endif
#if PY_VERSION_HEX >= 0x03090000
#  include "internal/pycore_hashtable.h"
#endif
#if PY_VERSION_HEX >= 0x03090000 && PY_VERSION_HEX < 0x030C0000
#  include "internal/pycore_pymem.h"
#endif
#if PY_VERSION_HEX >= 0x030D0000
#  include "internal/pycore_lock.h"
#  include "internal/pycore_semaphore.h"
#  include "internal/pycore_tstate.h"
#endif
#include <stdbool.h>
#include "shims.h"
"""


def ids():
    seen = []
    for f in FIELDS:
        if f["id"] not in seen:
            seen.append(f["id"])
    return seen


def version_of(include):
    with open(os.path.join(include, "patchlevel.h")) as fp:
        text = fp.read()
    m = re.search(r'#define\s+PY_VERSION\s+"([^"]+)"', text)
    return m.group(1)


def applicable(field, minor):
    return field["since"] <= (3, minor) <= field["until"]


def probe_source(minor):
    lines = [HEADER_INCLUDES, "int main(void) {"]
    for f in FIELDS:
        if not applicable(f, minor):
            continue
        i = f["id"]
        if f["kind"] == "offset":
            lines.append('  printf("%s %%lld\\n", (long long)offsetof(%s, %s));'
                         % (i, f["ctype"], f["expr"]))
        elif f["kind"] == "size":
            lines.append('  printf("%s %%lld\\n", (long long)sizeof(%s));'
                         % (i, f["ctype"]))
        elif f["kind"] == "msize":
            lines.append('  printf("%s %%lld\\n", (long long)sizeof(((%s *)0)->%s));'
                         % (i, f["ctype"], f["expr"]))
        elif f["kind"] == "const":
            lines.append('  printf("%s %%lld\\n", (long long)(%s));'
                         % (i, f["expr"]))
        elif f["kind"] == "bits":
            member, field = f["expr"]
            lines.append("  { %s o; uint32_t w; memset(&o, 0, sizeof(o));"
                         " o.%s.%s = ~0u; memcpy(&w, (char *)&o + offsetof(%s, %s), 4);"
                         ' printf("%s %%lld\\n", (long long)w); }'
                         % (f["ctype"], member, field, f["ctype"], member, i))
    lines.append("  return 0;\n}")
    return "\n".join(lines)


def core_defines(python):
    """The -D_Py.../-DPy_... flags the interpreter itself was compiled with."""
    if not python:
        return []
    out = subprocess.run([python, "-c", "import sysconfig; print(sysconfig."
                          "get_config_var('PY_CORE_CFLAGS') or '')"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("generate.py: %s does not run: %s" % (python, out.stderr.strip()))
    return [f for f in out.stdout.split()
            if f.startswith(("-D_Py", "-DPy_")) and not f.startswith("-DPy_BUILD_CORE")]


def run_probe(includes, minor, cc, cflags):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        exe = os.path.join(tmp, "probe")
        with open(src, "w") as fp:
            fp.write(probe_source(minor))
        cmd = [cc, "-w", "-I", HERE] + cflags
        for inc in includes:
            cmd += ["-I", inc, "-I", os.path.join(inc, "internal")]
        # Debian's pyconfig.h includes <TRIPLET/python3.X/pyconfig.h> from
        # the directory above (/usr/include, or an unpacked copy of it).
        for inc in includes:
            cmd += ["-idirafter", os.path.dirname(os.path.abspath(inc))]
        cmd += [src, "-o", exe]
        subprocess.run(cmd, check=True)
        out = subprocess.run([exe], check=True, capture_output=True,
                             text=True).stdout
    values = {}
    for line in out.splitlines():
        name, value = line.split()
        values[name] = int(value)
    return values


def c_name(version, debug):
    major, minor = version.split(".")[:2]
    return "cpython_%s_%s%s" % (major, minor, "_debug" if debug else "")


def write_table(path, version, debug, values, minor):
    name = c_name(version, debug)
    out = ["/* Generated by tools/layouts/generate.py from the CPython %s%s"
           % (version, " (Py_DEBUG)" if debug else ""),
           " * headers.  Do not edit: change tools/layouts/fields.py and run"
           " `make layouts`. */",
           '#include "runtime/layout.h"', "",
           "const struct pyx_layout pyx_layout_%s = {" % name,
           '\t.name = "%s.%s%s",' % (3, minor, "d" if debug else ""),
           '\t.source = "CPython %s headers",' % version,
           "\t.minor = %d," % minor,
           "\t.debug = %s," % ("true" if debug else "false"),
           "\t.v = {"]
    for i in ids():
        v = values.get(i)
        out.append("\t\t[PYX_L_%s] = %s," % (i, "PYX_ABSENT" if v is None else "%dLL" % v))
    out += ["\t},", "\t.members = {"]
    for f in FIELDS:
        if applicable(f, minor) and f["kind"] in ("offset", "size"):
            out.append('\t\t[PYX_L_%s] = { "%s", %s },' % (
                f["id"], f["ctype"],
                '"%s"' % f["expr"] if f["expr"] else "NULL"))
    out += ["\t},", "};", ""]
    with open(path, "w") as fp:
        fp.write("\n".join(out))


def write_ids(path):
    out = ["/* Generated by tools/layouts/generate.py from tools/layouts/fields.py."
           " Do not edit. */",
           "#ifndef PYX_LAYOUT_IDS_H", "#define PYX_LAYOUT_IDS_H", "",
           "enum pyx_layout_id {"]
    for i in ids():
        out.append("\tPYX_L_%s," % i)
    out += ["\tPYX_L_COUNT", "};", "", "#endif", ""]
    with open(path, "w") as fp:
        fp.write("\n".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--include", action="append", default=[])
    ap.add_argument("--out")
    ap.add_argument("--debug", action="store_true",
                    help="the headers are a Py_DEBUG build's")
    ap.add_argument("--python", help="the interpreter these headers belong to")
    ap.add_argument("--ids")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    args = ap.parse_args()
    if args.ids:
        write_ids(args.ids)
    if args.out:
        version = version_of(args.include[0])
        minor = int(version.split(".")[1])
        cflags = ["-DPy_DEBUG"] if args.debug else []
        cflags += [f for f in core_defines(args.python) if f not in cflags]
        values = run_probe(args.include, minor, args.cc, cflags)
        write_table(args.out, version, args.debug, values, minor)
        print("%s: %d values from CPython %s headers" % (args.out, len(values), version))


if __name__ == "__main__":
    main()

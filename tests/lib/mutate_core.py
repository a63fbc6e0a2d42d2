#!/usr/bin/env python3
"""Copy an ELF core file and damage the copy in a chosen way.

    mutate_core.py CORE OUT [EDIT ...]

The robustness tests (tests/pyxray.base/robust.exp) make a fresh core of a
fixture, then use this to reproduce one kind of damage at a time, so no
damaged core is ever committed.  Edits apply in order; addresses are the
target's virtual addresses, mapped to file offsets through the core's
PT_LOAD program headers.  A number is decimal or 0x-hex; *X means the
8-byte little-endian value stored at address X (in the copy as the
edits before this one left it); X+N and X-N add and subtract, and (...) groups.

    truncate=N        cut the file to its first N bytes
    ptr=A:V           store the 8-byte value V at address A
    zero=A:N          zero N bytes at address A
    byte=A:V          store one byte V at address A
    read=A            print the 8-byte value at A as 0x... (changes nothing)

OUT is overwritten: the copy is made first, then damaged in place (give
truncate last: the edits read and write the copy).

Example: make the first object of a gc list point at itself:
    mutate_core.py core out 'ptr=*0x55d0c0a8:*0x55d0c0a8'
"""
import re
import shutil
import struct
import sys

PT_LOAD = 1


def load_segments(f):
    """[(vaddr, memsz, offset, filesz)] of the PT_LOAD headers."""
    f.seek(0)
    head = f.read(64)
    if head[:4] != b"\x7fELF" or head[4] != 2:
        raise SystemExit("mutate_core.py: not an ELF64 file")
    (phoff,) = struct.unpack_from("<Q", head, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
    f.seek(phoff)
    table = f.read(phentsize * phnum)
    segs = []
    for i in range(phnum):
        p_type, _flags, offset, vaddr, _paddr, filesz, memsz, _align = \
            struct.unpack_from("<IIQQQQQQ", table, i * phentsize)
        if p_type == PT_LOAD:
            segs.append((vaddr, memsz, offset, filesz))
    return segs


class Core:
    """The copy being damaged, read and written in place."""

    def __init__(self, path):
        self.f = open(path, "r+b")
        self.segments = load_segments(self.f)

    def offset(self, addr, n):
        for vaddr, memsz, offset, filesz in self.segments:
            if vaddr <= addr and addr + n <= vaddr + min(memsz, filesz):
                return offset + (addr - vaddr)
        raise SystemExit("mutate_core.py: 0x%x (%d bytes) is not in the core" % (addr, n))

    def read_u64(self, addr):
        self.f.seek(self.offset(addr, 8))
        return struct.unpack("<Q", self.f.read(8))[0]

    def write(self, addr, raw):
        self.f.seek(self.offset(addr, len(raw)))
        self.f.write(raw)


def value(core, text):
    """Evaluate NUMBER, *X (the u64 stored at X), (X), X+Y and X-Y."""
    tokens = re.findall(r"0[xX][0-9a-fA-F]+|\d+|[-+*()]", text)
    if "".join(tokens) != re.sub(r"\s+", "", text):
        raise SystemExit("mutate_core.py: cannot read '%s'" % text)
    pos = 0

    def expr():
        nonlocal pos
        v = term()
        while pos < len(tokens) and tokens[pos] in "+-":
            op = tokens[pos]
            pos += 1
            v = v + term() if op == "+" else v - term()
        return v

    def term():
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok == "*":
            return core.read_u64(term())
        if tok == "(":
            v = expr()
            pos += 1  # ")"
            return v
        return int(tok, 0)

    v = expr()
    if pos != len(tokens):
        raise SystemExit("mutate_core.py: cannot read '%s'" % text)
    return v


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    src, dst, edits = argv[1], argv[2], argv[3:]
    shutil.copyfile(src, dst)
    core = Core(dst)
    for edit in edits:
        kind, _, arg = edit.partition("=")
        if kind == "truncate":
            core.f.truncate(value(core, arg))
        elif kind == "ptr":
            a, _, v = arg.partition(":")
            core.write(value(core, a), struct.pack("<Q", value(core, v) & (2**64 - 1)))
        elif kind == "byte":
            a, _, v = arg.partition(":")
            core.write(value(core, a), bytes([value(core, v) & 0xFF]))
        elif kind == "zero":
            a, _, n = arg.partition(":")
            core.write(value(core, a), bytes(value(core, n)))
        elif kind == "read":
            print("0x%x" % core.read_u64(value(core, arg)))
        else:
            raise SystemExit("mutate_core.py: unknown edit '%s'" % edit)
    core.f.close()


if __name__ == "__main__":
    main(sys.argv)

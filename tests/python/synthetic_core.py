"""Small ELF64 x86-64 core files written with struct, for the Python
tests: the kernel's layouts spelled out by hand, sharing nothing with the
engine's reader (nor with tests/unit/synthetic_core.c)."""
import struct

ET_CORE, EM_X86_64 = 4, 62
PT_LOAD, PT_NOTE = 1, 4
NT_PRSTATUS, NT_PRPSINFO = 1, 3
PRSTATUS_SIZE = 336   # struct elf_prstatus on x86-64
PR_PID_OFFSET = 32
PR_CURSIG_OFFSET = 12


def _note(name, ntype, desc):
    name_b = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name_b), len(desc), ntype) + pad(name_b) + pad(desc)


def prstatus(tid, cursig=0):
    desc = bytearray(PRSTATUS_SIZE)
    struct.pack_into("<h", desc, PR_CURSIG_OFFSET, cursig)
    struct.pack_into("<i", desc, PR_PID_OFFSET, tid)
    return _note("CORE", NT_PRSTATUS, bytes(desc))


def write_core(path, segments, tids=(4242,), truncate_to=None):
    """segments: [(vaddr, bytes)].  The first thread took no signal.
    truncate_to: cut the file to that many bytes (a core whose writer ran
    out of disk)."""
    notes = b"".join(prstatus(t) for t in tids)
    nph = 1 + len(segments)
    ehsize, phsize = 64, 56
    offset = ehsize + phsize * nph
    note_off = offset
    offset += len(notes)
    offset = (offset + 4095) & ~4095
    phdrs = [struct.pack("<IIQQQQQQ", PT_NOTE, 0, note_off, 0, 0, len(notes), 0, 4)]
    body = []
    for vaddr, data in segments:
        phdrs.append(struct.pack("<IIQQQQQQ", PT_LOAD, 5, offset, vaddr, 0, len(data),
                                 len(data), 4096))
        body.append((offset, data))
        offset += (len(data) + 4095) & ~4095
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", ET_CORE, EM_X86_64, 1, 0, ehsize, 0, 0,
                               ehsize, phsize, nph, 64, 0, 0)
    image = bytearray(offset)
    image[0:len(ehdr)] = ehdr
    pos = ehsize
    for ph in phdrs:
        image[pos:pos + phsize] = ph
        pos += phsize
    image[note_off:note_off + len(notes)] = notes
    for off, data in body:
        image[off:off + len(data)] = data
    if truncate_to is not None:
        image = image[:truncate_to]
    with open(path, "wb") as fp:
        fp.write(image)

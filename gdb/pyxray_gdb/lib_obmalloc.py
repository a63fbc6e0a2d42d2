"""ctypes prototypes of libpyxray's allocator entry points (py-pools,
py-arenas, py-malloc), kept apart from lib.py's table of the others."""
import ctypes

from . import lib

_P = ctypes.c_void_p
_ready = False


def _lib():
    global _ready
    l = lib.lib()
    if not _ready:
        l.pyx_pools_json.restype = _P
        l.pyx_pools_json.argtypes = [_P, ctypes.POINTER(_P)]
        l.pyx_arenas_json.restype = _P
        l.pyx_arenas_json.argtypes = [_P, ctypes.c_uint, ctypes.POINTER(_P)]
        l.pyx_arenas_map_svg.restype = _P
        l.pyx_arenas_map_svg.argtypes = [_P, ctypes.POINTER(_P)]
        l.pyx_malloc_json.restype = _P
        l.pyx_malloc_json.argtypes = [_P, ctypes.c_uint64, ctypes.POINTER(_P)]
        _ready = True
    return l


def pools(prog):
    """py-pools --json as Python data."""
    return prog._json(_lib().pyx_pools_json)


def arenas(prog, top=0):
    """py-arenas --json as Python data (top: length of the ranking)."""
    return prog._json(_lib().pyx_arenas_json, top)


def arenas_map_svg(prog):
    """The --map picture, as SVG text."""
    out = _P()
    lib._check(_lib().pyx_arenas_map_svg(prog._handle(), ctypes.byref(out)))
    return lib._take_string(out)


def malloc(prog, address):
    """py-malloc --json of one address as Python data."""
    return prog._json(_lib().pyx_malloc_json, address & 0xFFFFFFFFFFFFFFFF)

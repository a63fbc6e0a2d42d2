"""The --json text: exactly json.dumps(doc, indent=2), written without
the standard library's indenting encoder, which is pure Python built of
nested generators (1.5 s for the 41 MB document of 100,000 asyncio
tasks); this one appends to one list and uses the C string encoder,
about twice as fast.  tests/python/test_jsontext.py holds it to
json.dumps on every saved document."""
from json.encoder import INFINITY, encode_basestring_ascii as _string

__all__ = ["dumps_indented"]


def _float(o):
    if o != o:
        return "NaN"
    if o == INFINITY:
        return "Infinity"
    if o == -INFINITY:
        return "-Infinity"
    return float.__repr__(o)


def _key(k):
    if isinstance(k, str):
        return k
    if isinstance(k, float):
        return _float(k)
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if isinstance(k, int):
        return int.__repr__(k)
    raise TypeError("keys must be str, int, float, bool or None, not %s" % type(k).__name__)


def dumps_indented(doc):
    """json.dumps(doc, indent=2)."""
    out = []
    put = out.append

    def enc(o, ind):
        if isinstance(o, str):
            put(_string(o))
        elif o is None:
            put("null")
        elif o is True:
            put("true")
        elif o is False:
            put("false")
        elif isinstance(o, int):
            put(int.__repr__(o))
        elif isinstance(o, float):
            put(_float(o))
        elif isinstance(o, dict):
            if not o:
                put("{}")
                return
            inner = ind + "  "
            sep = "{\n" + inner
            for k, v in o.items():
                put(sep)
                put(_string(_key(k)))
                put(": ")
                enc(v, inner)
                sep = ",\n" + inner
            put("\n" + ind + "}")
        elif isinstance(o, (list, tuple)):
            if not o:
                put("[]")
                return
            inner = ind + "  "
            sep = "[\n" + inner
            for v in o:
                put(sep)
                enc(v, inner)
                sep = ",\n" + inner
            put("\n" + ind + "]")
        else:
            raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)

    enc(doc, "")
    return "".join(out)

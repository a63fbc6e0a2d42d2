"""The binding against the header: every function and struct field of
include/pyxray.h has its entry in pyxray/_lib.py, and the other way
round; every error code has a name and a class."""
import os
import re
import unittest

from common import TOP  # first: it puts the package on sys.path

import pyxray
from pyxray import _lib, errors

HEADER = os.path.join(TOP, "include", "pyxray.h")


def header_text():
    with open(HEADER) as fp:
        text = fp.read()
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def header_functions():
    return set(re.findall(r"\b(pyx_[a-z0-9_]+)\s*\(", header_text()))


def header_structs():
    """{name: [field, ...]} of the header's structs with a body."""
    out = {}
    for name, body in re.findall(r"struct\s+(pyx_[a-z0-9_]+)\s*\{(.*?)\};", header_text(), re.S):
        fields = []
        for decl in body.split(";"):
            decl = decl.strip()
            if decl:
                fields.append(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[[^]]*\])?$",
                                         decl)[0])
        out[name] = fields
    return out


class TestBinding(unittest.TestCase):
    def test_every_function_is_bound(self):
        missing = header_functions() - set(_lib.FUNCTIONS)
        self.assertFalse(missing, "pyx_ functions of pyxray.h without an entry in _lib.py")

    def test_every_binding_is_in_the_header(self):
        extra = set(_lib.FUNCTIONS) - header_functions()
        self.assertFalse(extra, "_lib.py binds functions pyxray.h does not declare")

    def test_every_function_loads_with_its_prototype(self):
        lib = _lib.lib()
        for name, (restype, argtypes) in _lib.FUNCTIONS.items():
            self.assertEqual(getattr(lib, name).argtypes, argtypes, name)

    def test_structs_match_field_for_field(self):
        structs = header_structs()
        self.assertEqual(set(structs), set(_lib.STRUCTS),
                         "structs of pyxray.h and of _lib.py differ")
        for name, fields in structs.items():
            bound = [f[0] for f in _lib.STRUCTS[name]._fields_]
            self.assertEqual(bound, fields, "struct %s" % name)

    def test_version_is_the_header_s(self):
        m = re.search(r'#define PYX_VERSION_STRING "([^"]+)"', header_text())
        self.assertEqual(pyxray.__version__, m.group(1))

    def test_every_error_code_has_a_name(self):
        body = re.search(r"enum pyx_error_code \{(.*?)\};", header_text(), re.S).group(1)
        codes = re.findall(r"(PYX_ERR_[A-Z_]+)", body)
        lib = _lib.lib()
        names = [lib.pyx_error_code_name(i).decode() for i in range(1, len(codes) + 1)]
        self.assertNotIn("unknown", names)
        self.assertEqual(len(set(names)), len(codes))
        for name in errors.CLASSES:
            self.assertIn(name, names)

    def test_classes(self):
        self.assertTrue(issubclass(pyxray.FaultError, pyxray.Error))
        self.assertTrue(issubclass(pyxray.SystemCallError, OSError))
        self.assertTrue(issubclass(pyxray.SystemCallError, pyxray.Error))
        e = pyxray.SystemCallError(2, "cannot open core file x: No such file or directory")
        self.assertEqual((e.errno, str(e), e.code), (2, e.strerror, "os"))

    def test_all(self):
        for name in pyxray.__all__:
            self.assertTrue(hasattr(pyxray, name), name)
        self.assertIn("attach", pyxray.__all__)
        self.assertIn("open_core", pyxray.__all__)

    def test_docstrings_name_their_page(self):
        for name in ("stack", "triage", "object", "info", "gc", "census", "referrers", "path",
                     "leaks_snapshot", "leaks_diff", "refcheck", "pools", "arenas", "malloc"):
            doc = getattr(pyxray.Program, name).__doc__
            self.assertRegex(doc, r"docs/[a-z-]+\.md", name)
            page = re.search(r"docs/[a-z-]+\.md", doc).group(0)
            self.assertTrue(os.path.exists(os.path.join(TOP, page)), page)


if __name__ == "__main__":
    unittest.main()

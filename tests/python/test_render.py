"""The renderers on saved documents (tests/python/documents/NAME.json,
real answers of the CLI with paths made neutral) against the text they
must give (NAME.txt).  After a deliberate change of a renderer's text,
`python3 tests/python/test_render.py --regenerate` rewrites the .txt
files; review the diff."""
import os
import re
import sys
import unittest

from common import DOCUMENTS, TOP, document, expected

from pyxray import render

# expected-text name: (document, renderer, keyword arguments)
CASES = {
    "stack": ("stack", render.render_stack, {}),
    "stack_locals": ("stack_locals", render.render_stack, {"locals": True}),
    "stack_locals_w60": ("stack_locals", render.render_stack, {"locals": True, "width": 60}),
    "stack_native": ("stack_native", render.render_stack, {}),
    "stack_session": ("stack_session", render.render_stack, {}),
    "stack_session_all": ("stack_session", render.render_stack, {"group": False}),
    "stack_through": ("stack_through", render.render_stack, {}),
    "stack_through_group": ("stack_through_group", render.render_stack, {}),
    "stack_through_group_all": ("stack_through_group", render.render_stack, {"group": False}),
    "object_fields": ("object_fields", render.render_object, {}),
    "frame_locals": ("frame_locals", render.render_locals, {}),
    "triage": ("triage", render.render_triage, {}),
    "triage_overflow": ("triage_overflow", render.render_triage, {}),
    "triage_kill": ("triage_kill", render.render_triage, {}),
    "tasks": ("tasks", render.render_tasks, {}),
    "locks": ("locks", render.render_locks, {}),
    "object_dict": ("object_dict", render.render_object, {}),
    "object_list": ("object_list", render.render_object, {}),
    "info": ("info", render.render_info, {}),
    "gc": ("gc", render.render_gc, {}),
    "census": ("census", render.render_census, {}),
    "census_w80": ("census", render.render_census, {"width": 80}),
    "census_gen3": ("census", render.render_census, {"generation": 3}),
    "referrers": ("referrers", render.render_referrers, {}),
    "path": ("path", render.render_path, {}),
    "path_w50": ("path", render.render_path, {"width": 50}),
    "path_orphan": ("path_orphan", render.render_path, {}),
    "leaks_diff": ("leaks_diff", render.render_leaks_diff, {}),
    "leaks_diff_w100": ("leaks_diff", render.render_leaks_diff, {"width": 100}),
    "refcheck": ("refcheck", render.render_refcheck, {}),
    "leaks_sites": ("leaks_sites", render.render_leaks_sites, {}),
    "leaks_sites_w70": ("leaks_sites", render.render_leaks_sites, {"width": 70}),
    "memory": ("memory", render.render_memory, {}),
    "object_traced": ("object_traced", render.render_object, {}),
    "pools": ("pools", render.render_pools, {}),
    "arenas": ("arenas", render.render_arenas, {}),
    "malloc": ("malloc", render.render_malloc, {}),
}


def rendered(name):
    doc, fn, kw = CASES[name]
    return fn(document(doc), **kw)


class TestRender(unittest.TestCase):
    def test_cases(self):
        for name in CASES:
            with self.subTest(name=name):
                self.assertEqual(rendered(name), expected(name))

    def test_width_bounds_the_growing_lines(self):
        for name, (doc, fn, kw) in CASES.items():
            width = kw.get("width")
            if not width:
                continue
            wide = fn(document(doc), **dict(kw, width=0)).splitlines()
            narrow = fn(document(doc), **kw).splitlines()
            self.assertEqual(len(wide), len(narrow), name)
            # The lines that grow with the data (samples, reprs, locals)
            # fit; the fixed parts (headers, tracebacks) stay whole.
            changed = [n for w, n in zip(wide, narrow) if w != n]
            self.assertTrue(any(n.endswith("...") for n in changed),
                            "%s: width %d cut nothing" % (name, width))
            for n in changed:
                self.assertLessEqual(len(n), width, "%s: %r" % (name, n))

    def test_documents_are_neutral(self):
        """No machine's paths in the committed documents."""
        for f in os.listdir(DOCUMENTS):
            with open(os.path.join(DOCUMENTS, f)) as fp:
                text = fp.read()
            self.assertIsNone(re.search(r"(?<![\w/])/(root|home|work|tmp)/", text), f)

    def test_fit(self):
        self.assertEqual(render.fit("abcdef", 0), "abcdef")
        self.assertEqual(render.fit("abcdef", 6), "abcdef")
        self.assertEqual(render.fit("abcdefgh", 6), "abc...")
        self.assertEqual(render.fit_list("x: ", ["aa", "bb", "cc"], 0), "x: aa, bb, cc")
        self.assertEqual(render.fit_list("x: ", ["aa", "bb", "cc"], 13), "x: aa, bb, cc")
        self.assertEqual(render.fit_list("x: ", ["aa", "bb", "cc"], 12), "x: aa, ...")
        self.assertEqual(render.fit_list("x: ", ["aaaaaa", "bb"], 8), "x: ...")


def regenerate():
    for name in CASES:
        with open(os.path.join(DOCUMENTS, name + ".txt"), "w") as fp:
            fp.write(rendered(name).replace(TOP, "{top}"))


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate"]:
        regenerate()
    else:
        unittest.main()

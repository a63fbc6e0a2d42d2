"""pyxray.jsontext.dumps_indented is json.dumps(doc, indent=2), on every
saved document and on the values JSON can hold."""
import glob
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gdb"))
from pyxray.jsontext import dumps_indented  # noqa: E402


class TestJsonText(unittest.TestCase):
    def test_saved_documents(self):
        paths = glob.glob(os.path.join(HERE, "documents", "*.json"))
        self.assertTrue(paths)
        for path in paths:
            with open(path) as fp:
                doc = json.load(fp)
            self.assertEqual(dumps_indented(doc), json.dumps(doc, indent=2), path)

    def test_values(self):
        doc = {"s": "caf\u00e9 \"q\" \\ \n\x01 \U0001f600", "i": -12, "big": 2 ** 80,
               "f": 0.1, "inf": float("inf"), "ninf": float("-inf"), "nan": float("nan"),
               "t": True, "n": None, "e": [], "d": {}, "nested": [[{"a": [1, (2, 3)]}]],
               1: "int key", 2.5: "float key", False: "bool key", None: "none key"}
        self.assertEqual(dumps_indented(doc), json.dumps(doc, indent=2))
        for scalar in ("x", 0, 1.5, True, None, [], {}):
            self.assertEqual(dumps_indented(scalar), json.dumps(scalar, indent=2))

    def test_not_serializable(self):
        with self.assertRaises(TypeError):
            dumps_indented({"x": object()})
        with self.assertRaises(TypeError):
            dumps_indented({(1, 2): 3})


if __name__ == "__main__":
    unittest.main()

"""The progress line: nothing for short work, one line rewritten in
place, erased at the end."""
import unittest

from common import TOP  # noqa: F401  (puts the package on sys.path)

from pyxray.progress import ProgressLine


class TestProgress(unittest.TestCase):
    def test_line(self):
        out = []
        p = ProgressLine(out.append, delay=1.0)
        p("indexing references", 10, 100, 0.5)
        self.assertEqual(out, [])
        p("indexing references", 50, 100, 1.2)
        p("indexing references", 50, 100, 1.3)
        p("indexing references", 1000, 0, 1.4)
        p(None, 0, 0, 1.5)
        first = "pyxray: indexing references: 50 of 100 (50%)"
        self.assertEqual(out, [
            "\r" + first,
            "\r" + "pyxray: indexing references: 1,000 so far".ljust(len(first)),
            "\r%s\r" % (" " * len(first))])

    def test_nothing_shown_nothing_erased(self):
        out = []
        p = ProgressLine(out.append, delay=1.0)
        p("x", 1, 2, 0.1)
        p(None, 0, 0, 0.2)
        self.assertEqual(out, [])


if __name__ == "__main__":
    unittest.main()

"""pyxray.cli.main(argv) in-process: exit statuses and the one line it
prints, on bad usage and on targets that are not what they should be."""
import io
import os
import tempfile
import unittest

from common import TOP  # noqa: F401  (puts the package on sys.path)

import pyxray
from pyxray import cli

import synthetic_core


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


class TestCli(unittest.TestCase):
    def test_version(self):
        import contextlib
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = cli.main(["--version"])
        self.assertEqual((status, out.getvalue()), (0, "pyxray %s\n" % pyxray.__version__))

    def test_help_per_command(self):
        import contextlib
        for name in ("stack", "census", "leaks"):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                status = cli.main([name, "--help"])
            self.assertEqual(status, 0)
            self.assertTrue(out.getvalue().startswith("usage: pyxray %s " % name), name)

    def test_usage_errors_are_one_line_and_exit_2(self):
        for argv, line in (
                ([], "pyxray: which command? (see `pyxray --help`)\n"),
                (["census", "--top", "x", "--pid", "1"],
                 "pyxray census: --top takes a number, not 'x' (see `pyxray census --help`)\n"),
                (["census", "--top", "-3", "--pid", "1"],
                 "pyxray census: --top takes a number >= 0, not '-3' "
                 "(see `pyxray census --help`)\n"),
                (["stack", "--items", "3", "--pid", "1"],
                 "pyxray stack: unknown option '--items' (see `pyxray stack --help`)\n"),
                (["stack", "--pid", "abc"],
                 "pyxray stack: --pid takes a process id (a number), not 'abc' "
                 "(see `pyxray stack --help`)\n")):
            with self.subTest(argv=argv):
                self.assertEqual(run(argv), (2, "", line))

    def test_errors_are_one_line_and_exit_1(self):
        status, out, err = run(["stack", "--core", "/nonexistent/core"])
        self.assertEqual((status, out, err), (1, "", "pyxray: cannot open core file "
                                                     "/nonexistent/core: No such file or "
                                                     "directory\n"))
        status, out, err = run(["stack", "--pid", "999999999"])
        self.assertEqual((status, err), (1, "pyxray: no process with id 999999999\n"))

    def test_a_core_that_is_not_python(self):
        with tempfile.TemporaryDirectory() as tmp:
            core = os.path.join(tmp, "core")
            synthetic_core.write_core(core, [(0x400000, b"\x90" * 64)])
            status, out, err = run(["info", "--core", core])
        self.assertEqual((status, out), (1, ""))
        self.assertRegex(err, r"^pyxray: core file .* is not from a CPython process: no "
                              r"_PyRuntime in its modules .*\n$")


if __name__ == "__main__":
    unittest.main()

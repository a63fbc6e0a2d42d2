"""open_core on synthetic core files: the errors come back as the classes
of the one table (pyxray.errors.CLASSES), with their details."""
import ctypes
import errno
import os
import tempfile
import unittest

from common import TOP  # noqa: F401  (puts the package on sys.path)

import pyxray
from pyxray import _lib

import synthetic_core

DATA = b"pyxray synthetic segment " * 40


class TestSyntheticCore(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.core = os.path.join(self.tmp.name, "core")
        synthetic_core.write_core(self.core, [(0x400000, DATA)], tids=(4242, 4243))

    def tearDown(self):
        self.tmp.cleanup()

    def target(self, path):
        t = ctypes.c_void_p()
        _lib.check(_lib.lib().pyx_target_create_core(os.fsencode(path), None,
                                                     ctypes.byref(t)))
        self.addCleanup(_lib.lib().pyx_target_destroy, t)
        return t

    def test_not_python(self):
        with self.assertRaises(pyxray.Error) as e:
            pyxray.open_core(self.core)
        self.assertEqual(e.exception.code, "not-python")
        self.assertNotIsInstance(e.exception, OSError)

    def test_missing_core_is_an_os_error(self):
        with self.assertRaises(OSError) as e:
            pyxray.open_core(os.path.join(self.tmp.name, "nothing"))
        self.assertIsInstance(e.exception, pyxray.SystemCallError)
        self.assertEqual((e.exception.errno, e.exception.code), (errno.ENOENT, "os"))

    def test_not_a_core(self):
        with open(os.path.join(self.tmp.name, "text"), "w") as fp:
            fp.write("hello\n")
        with self.assertRaises(pyxray.Error) as e:
            pyxray.open_core(os.path.join(self.tmp.name, "text"))
        self.assertEqual(e.exception.code, "bad-core")

    def test_reads_and_faults(self):
        t = self.target(self.core)
        lib = _lib.lib()
        buf = ctypes.create_string_buffer(len(DATA))
        _lib.check(lib.pyx_target_read(t, 0x400000, buf, len(DATA)))
        self.assertEqual(buf.raw, DATA)
        with self.assertRaises(pyxray.FaultError) as e:
            _lib.check(lib.pyx_target_read(t, 0x900000, buf, 8))
        self.assertEqual((e.exception.code, e.exception.address), ("fault", 0x900000))
        self.assertFalse(lib.pyx_target_is_live(t))
        self.assertEqual(lib.pyx_target_tracer(t), 0)
        # Pausing a core does nothing, and says so by succeeding.
        _lib.check(lib.pyx_target_pause(t))
        self.assertFalse(lib.pyx_target_is_paused(t))

    def test_interrupt_fails_reads_until_cleared(self):
        t = self.target(self.core)
        lib = _lib.lib()
        buf = ctypes.create_string_buffer(8)
        lib.pyx_target_interrupt(t, True)
        with self.assertRaises(pyxray.Error) as e:
            _lib.check(lib.pyx_target_read(t, 0x400000, buf, 8))
        self.assertEqual(e.exception.code, "interrupted")
        lib.pyx_target_interrupt(t, False)
        _lib.check(lib.pyx_target_read(t, 0x400000, buf, 8))
        self.assertEqual(buf.raw, DATA[:8])

    def test_truncated_core_warns(self):
        cut = os.path.join(self.tmp.name, "core.cut")
        synthetic_core.write_core(cut, [(0x400000, DATA * 10)], truncate_to=4096 + 100)
        t = self.target(cut)
        lib = _lib.lib()
        warnings = [lib.pyx_target_warning(t, i).decode()
                    for i in range(lib.pyx_target_num_warnings(t))]
        self.assertTrue(any("truncated" in w for w in warnings), warnings)


if __name__ == "__main__":
    unittest.main()

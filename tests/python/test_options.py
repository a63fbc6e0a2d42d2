"""One table per command, two parsers: the same argv gives the same
namespace in gdb and in the CLI; errors are one line; completion offers
what the table declares."""
import unittest

from common import TOP  # noqa: F401  (puts the package on sys.path)

from pyxray import options
from pyxray.errors import UsageError
from pyxray.options import Deferred

TARGET = {a.dest for a in options.TARGET_ARGUMENTS} | {"command"}

# argv (after the command name) that both front doors take.
SAMPLES = {
    "stack": [[], ["--locals"], ["--thread", "1234", "--native", "--json"], ["--native-all"],
              ["--thread", "worker-3", "--all"]],
    "triage": [[], ["--json"]],
    "tasks": [[], ["--json"]],
    "locks": [[], ["--json"]],
    "object": [["0x7f0010"], ["0x7f0010", "--depth", "2", "--items", "3", "--string", "9"],
               ["--json", "140000"], ["0x10", "--fields", "--json"]],
    "info": [[], ["--json"]],
    "gc": [[], ["--json"]],
    "census": [[], ["--gen", "3"], ["--top", "5", "--sort", "size", "--type", "dict"],
               ["--all-heap", "--top", "0", "--json"], ["--sort=count"]],
    "referrers": [["0x10"], ["0x10", "--json"]],
    "path": [["0x10"], ["0x10", "--max-depth", "5", "--json"],
             ["0x10", "--dot", "/var/tmp/my snap.dot", "--depth", "2", "--nodes", "9"]],
    "memory": [[], ["--top", "0", "--no-objects", "--json"]],
    "leaks": [["snapshot", "/var/tmp/a snap"], ["diff", "f", "--top", "3"],
              ["diff", "f", "--sort", "size"], ["diff", "f", "--by-site", "--json"],
              ["refcheck"], ["refcheck", "--top", "0", "--json"]],
    "pools": [[], ["--json"]],
    "arenas": [[], ["--top", "3", "--map", "x.svg", "--json"]],
    "malloc": [["0x10"], ["0x10", "--json"]],
}

# argv and the message both front doors give.
ERRORS = {
    "stack": [(["--bogus"], "unknown option '--bogus'"),
              (["extra"], "unexpected argument 'extra'"),
              (["--thread"], "--thread needs a value"),
              (["--thread", ""], "--thread takes a thread number, id or name, not ''")],
    "object": [(["0x10", "--depth", "x"], "--depth takes a number, not 'x'"),
               (["0x10", "--depth", "-1"], "--depth takes a number >= 0, not '-1'")],
    "census": [(["--gen", "7"], "--gen takes 0, 1, 2 or 3 (the permanent generation)"),
               (["--sort", "weight"], "--sort takes count or size, not 'weight'"),
               (["--top", "-1"], "--top takes a number >= 0, not '-1'"),
               (["--all-heap", "--gen", "1"], "--all-heap counts every object: it takes no --gen")],
    "path": [(["0x10", "--depth", "3"], "--depth and --nodes go with --dot FILE")],
    "arenas": [(["--map", "x.png"], "--map writes SVG: name the file FILE.svg")],
}


def gdb_namespace(name, argv):
    ns = vars(options.parse_gdb(options.command(name), argv))
    if "address" in ns:
        ns["address"] = int(ns["address"], 0)  # what gdb evaluates
    return ns


def cli_namespace(name, argv):
    cmd, ns = options.parse_cli([name] + argv + ["--pid", "1"], "0")
    return {k: v for k, v in vars(ns).items() if k not in TARGET}


class TestParsers(unittest.TestCase):
    def test_every_cli_command_has_samples(self):
        self.assertEqual(set(SAMPLES), {c.name for c in options.COMMANDS if c.cli})

    def test_same_namespace_in_both_front_doors(self):
        for name, argvs in SAMPLES.items():
            for argv in argvs:
                with self.subTest(command=name, argv=argv):
                    self.assertEqual(gdb_namespace(name, argv), cli_namespace(name, argv))

    def test_same_errors_in_both_front_doors(self):
        for name, cases in ERRORS.items():
            for argv, message in cases:
                with self.subTest(command=name, argv=argv):
                    with self.assertRaises(UsageError) as g:
                        options.parse_gdb(options.command(name), argv)
                    with self.assertRaises(UsageError) as c:
                        options.parse_cli([name] + argv + ["--pid", "1"], "0")
                    self.assertEqual(str(g.exception), message)
                    self.assertEqual(str(c.exception), message)

    def test_gdb_expressions_are_words_joined(self):
        ns = options.parse_gdb(options.command("object"),
                               ["(PyObject", "*)", "$rdi", "--depth", "2"])
        self.assertEqual((ns.address, ns.depth), ("(PyObject *) $rdi", 2))

    def test_cli_target(self):
        for argv, message in (
                (["stack"], "give exactly one of --pid PID and --core CORE"),
                (["stack", "--pid", "1", "--core", "c"],
                 "give exactly one of --pid PID and --core CORE"),
                (["stack", "--pid", "0"], "--pid takes a process id (a number) >= 1, not '0'"),
                (["stack", "--core", "c", "--no-block"],
                 "--no-block is for a live process (--pid): a core does not run"),
                (["frobnicate"], "unknown command 'frobnicate'"),
                ([], "which command?"),
                (["leaks", "--pid", "1"], "leaks takes snapshot FILE, diff FILE or refcheck"),
                (["object", "--pid", "1"], "which object? give an address")):
            with self.subTest(argv=argv):
                with self.assertRaises(UsageError) as e:
                    options.parse_cli(argv, "0")
                self.assertEqual(str(e.exception), message)

    def test_gdb_missing_words(self):
        for name, argv, message in (
                ("object", [], "which object? give an address or expression"),
                ("leaks", [], "py-leaks takes snapshot FILE, diff FILE or refcheck"),
                ("leaks", ["bogus"], "py-leaks takes snapshot FILE, diff FILE or refcheck"),
                ("leaks", ["snapshot"], "py-leaks snapshot needs a FILE")):
            with self.assertRaises(UsageError) as e:
                options.parse_gdb(options.command(name), argv)
            self.assertEqual(str(e.exception), message)


class TestText(unittest.TestCase):
    def test_summaries_are_sentences(self):
        for cmd in options.COMMANDS:
            self.assertRegex(cmd.summary, r"^[A-Z].*\.$", cmd.name)
            for sub in cmd.subcommands:
                self.assertRegex(sub.summary, r"^[A-Z].*\.$", sub.name)

    def test_gdb_doc(self):
        doc = options.gdb_doc(options.command("stack"))
        self.assertTrue(doc.startswith("Print the Python stack of every thread.\n\n"
                                       "Usage: py-stack [--thread THREAD] [--locals] [--native] "
                                       "[--native-all] [--all] [--json]\n"))
        for cmd in options.COMMANDS:
            doc = options.gdb_doc(cmd)
            for a in cmd.all_arguments():
                if not a.positional:
                    self.assertIn(a.flags[-1], doc, "%s: %s" % (cmd.name, a.flags[-1]))

    def test_usage_lines(self):
        self.assertEqual(options.usage_lines(options.command("object"), "gdb"),
                         ["py-object EXPR [--depth N] [--items N] [--string N] [--fields] "
                          "[--json]"])
        self.assertEqual(options.usage_lines(options.command("object"), "cli"),
                         ["pyxray object ADDRESS [--depth N] [--items N] [--string N] "
                          "[--fields] [--json] TARGET"])
        self.assertEqual(options.usage_lines(options.command("list"), "gdb"),
                         ["py-list [LINE|START,END]"])


class TestCompletion(unittest.TestCase):
    def c(self, name, words, current):
        return options.completions(options.command(name), words, current)

    def test_option_names(self):
        self.assertEqual(self.c("census", [], "--s"), ["--sort"])
        self.assertEqual(self.c("stack", [], "--"),
                         ["--all", "--json", "--locals", "--native", "--native-all",
                          "--thread"])

    def test_option_values(self):
        self.assertEqual(self.c("census", ["--sort"], ""), ["count", "size"])
        self.assertEqual(self.c("census", ["--sort"], "s"), ["size"])
        self.assertEqual(self.c("census", [], "--sort=c"), ["--sort=count"])
        self.assertEqual(self.c("census", ["--top"], ""), [])

    def test_files(self):
        self.assertEqual(self.c("path", ["0x10", "--dot"], "/tm"), Deferred("file"))
        self.assertEqual(self.c("arenas", [], "--map=/tm"), Deferred("file", "--map="))
        self.assertEqual(self.c("leaks", ["snapshot"], ""), Deferred("file"))
        self.assertEqual(self.c("leaks", ["diff", "--top", "3"], "/v"), Deferred("file"))

    def test_subcommands(self):
        self.assertEqual(self.c("leaks", [], ""), ["snapshot", "diff", "refcheck"])
        self.assertEqual(self.c("leaks", [], "re"), ["refcheck"])
        self.assertEqual(self.c("leaks", ["refcheck"], "--"), ["--json", "--top"])

    def test_expressions(self):
        self.assertEqual(self.c("object", [], "Py_"), Deferred("expression"))
        self.assertEqual(self.c("object", ["--depth", "3"], "op"), Deferred("expression"))
        self.assertEqual(self.c("malloc", [], ""), Deferred("expression"))


if __name__ == "__main__":
    unittest.main()

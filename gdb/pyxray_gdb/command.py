"""The py-* commands: parse with the shared option tables, run on the
session's Program, print the shared renderer's text.

Arguments are split as gdb splits its own (gdb.string_to_argv: quotes,
backslashes, --).  A command never shows a Python traceback: engine
errors and bad input become one gdb error line, and unexpected
exceptions say they are a bug.
"""
import os

import gdb

from pyxray import commands, options
from pyxray.errors import Error, UsageError
from pyxray.progress import ProgressLine

from . import session


def address_of(expr):
    """The address an expression names: a pointer's value, an integer, or
    the address of an object (`*op`)."""
    try:
        value = gdb.parse_and_eval(expr)
    except gdb.error as e:
        try:
            return int(expr, 0)
        except ValueError:
            raise Error("cannot evaluate '%s': %s" % (expr, e), "bad-expression")
    t = value.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR:
        return int(value.cast(gdb.lookup_type("unsigned long")))
    if t.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_ENUM):
        return int(value) & 0xFFFFFFFFFFFFFFFF
    if t.code == gdb.TYPE_CODE_STRUCT and value.address is not None:
        return int(value.address.cast(gdb.lookup_type("unsigned long")))
    raise Error("'%s' is a %s, not a pointer or an address" % (expr, value.type),
                "bad-expression")


def width():
    """gdb's `set width`: 0 when unlimited."""
    try:
        w = gdb.parameter("width")
    except RuntimeError:
        return 0
    return w or 0


def progress_writer():
    """A progress line on gdb's stderr, for commands typed at a terminal."""
    return ProgressLine(lambda s: (gdb.write(s, gdb.STDERR), gdb.flush(gdb.STDERR)))


def split(arg):
    try:
        return gdb.string_to_argv(arg)
    except gdb.error as e:  # an unbalanced quote
        raise UsageError(str(e))


class PyxrayCommand(gdb.Command):
    """Base class: run(arg, from_tty) does the work; errors become one
    gdb error line named after the command."""

    def __init__(self, name, command_class=gdb.COMMAND_DATA):
        super().__init__(name, command_class)
        self.command_name = name

    def invoke(self, arg, from_tty):
        name = getattr(self, "display_name", self.command_name)
        try:
            self.run(arg, from_tty)
        except UsageError as e:
            raise gdb.GdbError("%s: %s (see `help %s`)" % (name, e, name))
        except Error as e:
            raise gdb.GdbError("%s: %s" % (name, e))
        except gdb.GdbError:
            raise
        except KeyboardInterrupt:
            raise gdb.GdbError("%s: interrupted" % name)
        except Exception as e:  # a bug in pyxray: say so, keep gdb alive
            raise gdb.GdbError("%s: internal error: %s: %s (please report this)"
                               % (name, type(e).__name__, e))


class TableCommand(PyxrayCommand):
    """`pyxray NAME`, also known as py-NAME: a command of the shared
    table (pyxray.options.COMMANDS)."""

    def __init__(self, cmd):
        self.cmd = cmd
        self.display_name = cmd.gdb_name
        self.__doc__ = options.gdb_doc(cmd)
        super().__init__("pyxray " + cmd.name)

    def run(self, arg, from_tty):
        args = options.parse_gdb(self.cmd, split(arg))
        if getattr(args, "address", None) is not None:
            args.address = address_of(args.address)
        prog = session.program()
        prog.on_progress = progress_writer() if from_tty else None
        try:
            text = commands.run(prog, self.cmd.name, args, width=width())
        finally:
            prog.on_progress = None
        gdb.write(text)

    def complete(self, text, word):
        return complete(self.cmd, text, word)


def complete(cmd, text, word):
    """gdb's completer for a table command: option names, option values
    (--sort count|size), file names, symbols for EXPR.

    gdb calls this twice: first with word None (the answer could change
    how gdb splits the line: pyxray keeps gdb's default), then with the
    word being completed, cut at gdb's break characters (which include
    '-', '=', '/' and '.'): each candidate is then the part of a whole
    word from where that word starts."""
    if word is None:
        return None
    try:
        words = gdb.string_to_argv(text)
    except gdb.error:
        return []
    current = "" if (not text or text[-1].isspace()) else (words.pop() if words else "")
    got = options.completions(cmd, words, current)
    if isinstance(got, options.Deferred):
        find = file_candidates if got.kind == "file" else expression_candidates
        got = [got.prefix + c for c in find(current[len(got.prefix):])]
    cut = len(current) - len(word)
    if cut < 0:
        return []
    return [c[cut:] for c in got if c.startswith(current)]


def file_candidates(current):
    """Files and directories (with a trailing /) whose path starts with
    current.  gdb's own filename completer completes a whole argument
    string, not the last of several words."""
    import os
    head, tail = os.path.split(current)
    try:
        names = os.listdir(os.path.expanduser(head) or ".")
    except OSError:
        return []
    out = []
    for n in sorted(names):
        if n.startswith(tail) and (tail.startswith(".") or not n.startswith(".")):
            path = os.path.join(head, n)
            out.append(path + "/" if os.path.isdir(os.path.expanduser(path)) else path)
    return out


def expression_candidates(current):
    """Symbols and expressions, as gdb's `print` completes them."""
    try:
        text = gdb.execute("complete print " + current, to_string=True)
    except gdb.error:
        return []
    return [line[len("print "):] for line in text.splitlines() if line.startswith("print ")]


class PrefixCommand(gdb.Command):
    """Interpreter-aware debugging of CPython processes and core files.

pyxray reads the CPython interpreter in the process or core file gdb has
loaded, without running code in it: every thread's Python stack, objects,
the garbage collector, referrers, leaks, pymalloc, crashes.  Each command
below is also known as py-NAME (py-stack ...), and runs outside gdb as
`pyxray NAME --pid PID` or `--core CORE`; `help py-NAME` says more, and
docs/ has a page per command.  `set pyxray` and `show pyxray` hold the
settings."""

    def __init__(self):
        super().__init__("pyxray", gdb.COMMAND_DATA, prefix=True)

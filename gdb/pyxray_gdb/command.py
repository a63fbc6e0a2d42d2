"""What every py-* command shares: option parsing and error handling.

A command never shows a Python traceback: engine errors and bad input
become one gdb error line, and unexpected exceptions say they are a bug.
"""
import gdb

from .lib import PyxrayError


class UsageError(Exception):
    pass


def parse_options(arg, flags=(), valued=(), positional="none", strings=()):
    """Split a command's argument string.

    flags: options without a value ("--json"); valued: options taking an
    integer ("--depth"); strings: options taking a word ("--type").
    positional: "none", or "rest" to return the remaining words joined (a
    gdb expression may contain spaces).  Returns (options dict, rest).
    """
    words = arg.split()
    opts = {}
    rest = []
    i = 0
    while i < len(words):
        w = words[i]
        if w.startswith("--") and len(w) > 2:
            name, eq, value = w[2:].partition("=")
            if name in flags and not eq:
                opts[name] = True
            elif name in strings:
                if not eq:
                    i += 1
                    if i >= len(words):
                        raise UsageError("--%s needs a value" % name)
                    value = words[i]
                opts[name] = value
            elif name in valued:
                if not eq:
                    i += 1
                    if i >= len(words):
                        raise UsageError("--%s needs a value" % name)
                    value = words[i]
                try:
                    opts[name] = int(value, 0)
                except ValueError:
                    raise UsageError("--%s takes a number, not '%s'" % (name, value))
            else:
                raise UsageError("unknown option '%s'" % w)
        else:
            rest.append(w)
        i += 1
    if rest and positional == "none":
        raise UsageError("unexpected argument '%s'" % rest[0])
    return opts, " ".join(rest)


class PyxrayCommand(gdb.Command):
    """Base class: subclasses implement run(arg, from_tty)."""

    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_DATA)
        self.command_name = name

    def invoke(self, arg, from_tty):
        try:
            self.run(arg, from_tty)
        except UsageError as e:
            raise gdb.GdbError("%s: %s (see `help %s`)" % (self.command_name, e,
                                                        self.command_name))
        except PyxrayError as e:
            raise gdb.GdbError("%s: %s" % (self.command_name, e))
        except gdb.GdbError:
            raise
        except KeyboardInterrupt:
            raise gdb.GdbError("%s: interrupted" % self.command_name)
        except Exception as e:  # a bug in pyxray: say so, keep gdb alive
            raise gdb.GdbError("%s: internal error: %s: %s (please report this)"
                               % (self.command_name, type(e).__name__, e))

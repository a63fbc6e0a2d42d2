"""The pyxray command line: `pyxray COMMAND [options] (--pid PID | --core CORE)`.

Prints the text the gdb command py-COMMAND prints, or with --json its
documented JSON (docs/cli.md).  A live process is paused while it is read
(--no-block reads it running).  Exit status: 0 on success, 1 on an error
(one line on stderr), 2 on bad usage (one line), 130 on Ctrl-C, 143 on
SIGTERM.
"""
from __future__ import annotations

import gc
import os
import signal
import sys

from . import __version__, commands, options
from .errors import Error, UsageError
from .program import attach, open_core
from .progress import ProgressLine

__all__ = ["main"]


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: stop the query, let the target go."""

    def __init__(self, signo):
        super().__init__(signo)
        self.signo = signo


def _on_signal(signo, frame):
    raise Terminated(signo)


def _command_word(argv):
    """The command named in argv, for usage messages."""
    for w in argv:
        if not w.startswith("-"):
            return w if w in {c.name for c in options.COMMANDS if c.cli} else None
    return None


def _width(stream):
    """The terminal's width; 0 (no limit) when the output is not one."""
    if not stream.isatty():
        return 0
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError):
        return int(os.environ.get("COLUMNS", "0") or 0)


def _open(args):
    if args.core is not None:
        return open_core(args.core, exe=args.exe, debuginfo_path=args.debuginfo,
                         sysroot=args.sysroot, lib_path=args.lib_path)
    return attach(args.pid, block=not args.no_block, debuginfo_path=args.debuginfo)


def main(argv: list[str] | None = None, *, stdout=None, stderr=None) -> int:
    """Run the CLI on argv (default sys.argv[1:]); the exit status."""
    # One command: the documents parsed are trees, never cycles worth
    # collecting, and collections over them cost a tenth of a stack's time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _main(argv, stdout, stderr)
    finally:
        if was_enabled:
            gc.enable()


def _main(argv, stdout, stderr):
    argv = sys.argv[1:] if argv is None else list(argv)
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        cmd, args = options.parse_cli(argv, __version__)
    except SystemExit as e:  # --help, --version
        return e.code or 0
    except UsageError as e:
        name = _command_word(argv)
        where = "pyxray %s" % name if name else "pyxray"
        stderr.write("%s: %s (see `%s --help`)\n" % (where, e, where))
        return 2
    saved = {}
    try:
        for s in (signal.SIGTERM, signal.SIGHUP):
            saved[s] = signal.signal(s, _on_signal)
        # Ctrl-C stops the query even when this process was started with
        # SIGINT ignored (a background job of a non-interactive shell).
        saved[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:
        pass  # not the main thread (main() called by a program): its signals stay
    prog = None
    try:
        prog = _open(args)
        said = set()

        def warn():
            for w in prog.warnings:
                if w not in said:
                    said.add(w)
                    stderr.write("pyxray: warning: %s\n" % w)
        warn()
        if stderr.isatty():
            prog.on_progress = ProgressLine(lambda s: (stderr.write(s), stderr.flush()))
        text = commands.run(prog, cmd.name, args, width=_width(stdout))
        warn()
        stdout.write(text)
        stdout.flush()
        return 0
    except UsageError as e:
        stderr.write("pyxray %s: %s (see `pyxray %s --help`)\n" % (cmd.name, e, cmd.name))
        return 2
    except Error as e:
        stderr.write("pyxray: %s\n" % e)
        return 1
    except KeyboardInterrupt:
        stderr.write("pyxray: interrupted\n")
        return 130
    except Terminated as e:
        return 128 + e.signo
    except BrokenPipeError:
        # `pyxray ... | head`: the reader went away; say nothing more.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except Exception as e:  # a bug in pyxray: one line, unless asked for more
        if os.environ.get("PYXRAY_DEBUG"):
            raise
        stderr.write("pyxray: internal error: %s: %s (please report this; "
                     "PYXRAY_DEBUG=1 shows where)\n" % (type(e).__name__, e))
        return 1
    finally:
        if prog is not None:
            prog.close()
        for s, h in saved.items():
            signal.signal(s, h)


if __name__ == "__main__":
    sys.exit(main())

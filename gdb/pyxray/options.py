"""Every command's options, declared once.

One table per command (COMMANDS) from which both front doors build their
argparse parsers: the CLI's subcommands (`pyxray census --top 5 --pid N`)
and the gdb commands (`py-census --top 5`, whose argument string gdb
splits with gdb.string_to_argv).  The one difference: an object is an
EXPR in gdb (any expression, evaluated by gdb; several words joined with
spaces) and an ADDRESS in the CLI (a number).  A parser never exits: bad
arguments raise UsageError with one line saying what is wrong.
"""
import argparse
import re

from .errors import UsageError

__all__ = ["argument", "Command", "COMMANDS", "command", "gdb_parser", "cli_parser",
           "TARGET_ARGUMENTS", "UsageError", "parse_gdb", "parse_cli", "usage_line",
           "completions", "Deferred"]


# ---- value types: each says what it wanted, in words -----------------------

def number(text, minimum=None, what="a number"):
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError("takes %s, not '%s'" % (what, text))
    if minimum is not None and value < minimum:
        raise argparse.ArgumentTypeError("takes %s >= %d, not '%s'" % (what, minimum, text))
    return value


def count(text):
    """A number >= 0 (--top, --depth ...)."""
    return number(text, 0)


def thread_id(text):
    return number(text, 1, "a thread id (a number)")


def thread_spec(text):
    """A thread: a number (the CLI: its OS thread id or
    threading.get_ident() value; gdb: also gdb's thread number), a gdb
    convenience variable ($_thread) in gdb, or a Python thread name."""
    if not text:
        raise argparse.ArgumentTypeError("takes a thread number, id or name, not ''")
    return text


def line_range(text):
    """py-list's LINE or START,END."""
    m = re.match(r"^\s*(\d+)\s*(?:,\s*(\d+)\s*)?$", text)
    if not m or int(m.group(1)) < 1 or (m.group(2) and int(m.group(2)) < int(m.group(1))):
        raise argparse.ArgumentTypeError("takes LINE or START,END (line numbers), not '%s'"
                                         % text)
    return (int(m.group(1)), int(m.group(2)) if m.group(2) else None)


def process_id(text):
    return number(text, 1, "a process id (a number)")


def address(text):
    """An address, for the CLI: 0x7f12a4b0c0c0 or a decimal number."""
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(
            "takes an address (0x7f12a4b0c0c0), not '%s'" % text)
    if not 0 <= value <= 0xFFFFFFFFFFFFFFFF:
        raise argparse.ArgumentTypeError("'%s' is not a 64-bit address" % text)
    return value


def generation(text):
    value = number(text, what="0, 1, 2 or 3 (the permanent generation)")
    if value not in (0, 1, 2, 3):
        raise argparse.ArgumentTypeError("takes 0, 1, 2 or 3 (the permanent generation)")
    return value


class choice:
    """A value from a fixed set, completed from it in gdb."""

    def __init__(self, *values):
        self.values = values
        self.__name__ = "choice"

    def __call__(self, text):
        if text not in self.values:
            raise argparse.ArgumentTypeError("takes %s, not '%s'" % (
                " or ".join(self.values), text))
        return text


def svg_file(text):
    if not text.lower().endswith(".svg"):
        raise argparse.ArgumentTypeError("writes SVG: name the file FILE.svg")
    return text


# ---- declarations --------------------------------------------------------------

class argument:
    """One option or positional argument: what argparse's add_argument()
    takes, plus

    complete: how gdb completes its value: "file", "expression" (a
        symbol or expression), or None (a choice completes from its
        values; others not at all);
    expression: a positional object: EXPR in gdb (words joined with
        spaces, evaluated by gdb), ADDRESS in the CLI;
    missing: the message when a required positional is absent;
"""

    def __init__(self, *flags, complete=None, expression=False, missing=None, **kwargs):
        self.flags = flags
        self.complete = complete
        self.expression = expression
        self.missing = missing
        self.kwargs = kwargs

    @property
    def positional(self):
        return not self.flags[0].startswith("-")

    @property
    def dest(self):
        if "dest" in self.kwargs:
            return self.kwargs["dest"]
        name = self.flags[0] if self.positional else next(
            (f for f in self.flags if f.startswith("--")), self.flags[0])
        return name.lstrip("-").replace("-", "_")

    @property
    def takes_value(self):
        return self.kwargs.get("action") not in ("store_true", "store_false", "store_const")

    @property
    def choices(self):
        t = self.kwargs.get("type")
        return t.values if isinstance(t, choice) else ()

    def metavar(self, front):
        if self.expression:
            return "EXPR" if front == "gdb" else "ADDRESS"
        return self.kwargs.get("metavar") or self.dest.upper()

    def add_to(self, parser, front):
        kw = dict(self.kwargs)
        if self.expression:
            kw["metavar"] = self.metavar(front)
            if front == "gdb":
                kw["nargs"] = "+"
            else:
                kw["type"] = address
        if self.positional:
            kw.pop("dest", None)
            parser.add_argument(self.flags[0], **kw)
        else:
            parser.add_argument(*self.flags, **kw)


class Command:
    """One command: its name (CLI `pyxray NAME`, gdb `py-NAME` and
    `pyxray NAME`), a one-sentence summary, a description, its
    arguments, and subcommands (py-leaks snapshot ...).

    check(args) enforces what argparse cannot say (options that go
    together); it raises UsageError."""

    def __init__(self, name, summary, description="", arguments=(), subcommands=(),
                 usage=None, cli=True, check=None, notes=""):
        self.name = name
        self.summary = summary
        self.description = description.strip("\n")
        self.arguments = arguments
        self.subcommands = subcommands
        self.usage = usage
        self.cli = cli
        self.check = check
        self.notes = notes.strip("\n")

    @property
    def gdb_name(self):
        return "py-" + self.name

    def all_arguments(self):
        for a in self.arguments:
            yield a
        for sub in self.subcommands:
            yield from sub.arguments


JSON = argument("--json", action="store_true", help="print JSON instead (the shape is in the "
                "command's docs page)")


def _check_census(args):
    if args.all_heap and args.generation is not None:
        raise UsageError("--all-heap counts every object: it takes no --gen")


def _check_path(args):
    if not args.dot and (args.depth is not None or args.nodes is not None):
        raise UsageError("--depth and --nodes go with --dot FILE")
    if args.dot and args.max_depth is not None:
        raise UsageError("--max-depth is for the chain; with --dot, --depth says how far back")
    if args.dot and args.json:
        raise UsageError("--dot writes a picture: it takes no --json")


def _check_break(args):
    given = [n for n in ("delete", "disable", "enable") if getattr(args, n) is not None]
    if len(given) > 1 or (given and args.location):
        raise UsageError("give one of FUNCTION, FILE:LINE, --delete, --disable or --enable")


COMMANDS = [
    Command(
        "stack", "Print the Python stack of every thread.",
        """
Reads the CPython interpreter state of the process or core file, without
running code in it, and prints each thread's Python stack like a
traceback, outermost call first: which thread holds the GIL, which one
took a fatal signal, and the source line of each frame when the file is
readable.  Frames that C code called into are marked "(called from C)".""",
        arguments=(
            argument("--thread", metavar="THREAD", type=thread_spec,
                     help="only this thread: its OS thread id (as in `info threads`), its "
                     "threading.get_ident() value or its Python name; in gdb also gdb's "
                     "thread number or $_thread"),
            argument("--locals", action="store_true",
                     help="show each frame's arguments and locals as safe reprs"),
            argument("--native", action="store_true",
                     help="merge in the native (C) frames: the Python frames appear inside "
                     "the eval-loop frames that run them, and the C functions they call "
                     "come after them"),
            argument("--native-all", action="store_true",
                     help="as --native, and also the threads that never ran Python (their "
                     "native frames only)"),
            argument("--all", action="store_true",
                     help="print every thread's stack, also when several threads are at the "
                     "same place (the text groups them by default; JSON always lists "
                     "every thread)"),
            JSON),
        notes="Works on CPython 3.8 to 3.15, release and debug builds.  In gdb, run\n"
              "through `thread apply`, it prints the thread gdb selected."),
    Command(
        "triage", "Explain a crash: signal, faulting thread, Python and C frames.",
        """
On a core file, or a live process stopped by a fatal signal, prints a
one-line verdict such as

  SIGSEGV in module _ext.so, function parse_item(), called from app.py:42
  in handle()

then the signal and fault address, which thread holds the GIL, whether
the garbage collector was running, and every thread's Python stack (the
faulting thread first) followed by the native frames between its last
Python frame and where it stopped, and the exception it was raising or
handling, if any.  On a live process that took no signal it describes
where each thread is.""",
        arguments=(JSON,)),
    Command(
        "tasks", "Show every asyncio task: what it awaits, who awaits it, and deadlocks.",
        """
Reads asyncio's own record of its tasks (3.14+: the task list of every
thread; before: the sets asyncio.tasks keeps) and draws, for each event
loop, the tree `python -m asyncio pstree` draws: every task with the
chain of coroutines it is suspended in (outermost first, with file and
line), the tasks it awaits under its innermost coroutine (an awaited
task, gather()'s children, a TaskGroup's tasks), or what else it awaits
(a Future, a sleep, a socket read).  Tasks that await each other in a
cycle can never finish: each cycle is reported as a deadlock.""",
        arguments=(JSON,),
        notes="Works on CPython 3.8 to 3.15, live and on cores; the process need not run\n"
              "(3.14's own `python -m asyncio pstree` needs a live 3.14+ process)."),
    Command(
        "locks", "Show what each blocked thread waits on, who holds it, and deadlocks.",
        """
For every thread blocked acquiring a threading.Lock or RLock, or waiting in
a Condition, Event, Semaphore, Barrier, queue.Queue or Thread.join(): the
object it waits on (address, type, the Python names that refer to it),
the Python line that waits, and who holds it: an RLock's owner; for a
Lock, the thread inside a `with` block on it (a Lock taken with acquire()
records no holder: "holder unknown"); for join(), the thread joined.
Threads that wait for each other in a cycle are reported as a deadlock:
"thread A holds X and waits for Y; thread B holds Y and waits for X".
Which lock a thread blocks on is what the kernel says: the futex its
system call waits on.""",
        arguments=(JSON,),
        notes="Works on CPython 3.8 to 3.15, live and on cores."),
    Command(
        "object", "Decode a Python object: type, refcount, size, gc state and a safe repr.",
        """
EXPR is any gdb expression that yields a PyObject* (or an address, or a
PyObject lvalue): `py-object 0x7f12a4b0c0`, `py-object $rdi`,
`py-object frame->f_locals`; the CLI takes an ADDRESS.  pyxray checks
that the address really holds an object before decoding it, and prints
"<invalid object at 0x...>" for anything inside that is not one.

The repr is what repr() would print for None, bool, int, float, str,
bytes, tuple, list, dict, set, frozenset, functions, code objects, modules,
types and exceptions; other instances show their type, address and
attribute names.  It is bounded and safe on cycles.""",
        arguments=(
            argument("address", expression=True,
                     missing="which object? give an address or expression",
                     help="the object"),
            argument("--depth", metavar="N", type=count,
                     help="nesting of containers shown (default 3)"),
            argument("--items", metavar="N", type=count,
                     help="items shown per container (default 10)"),
            argument("--string", metavar="N", type=count,
                     help="characters shown of a str or bytes (default 200)"),
            argument("--fields", action="store_true",
                     help="also list each attribute, item, dict value or C field the object "
                     "holds, with the address, type and a short repr of the object it "
                     "points to (to look into one step at a time)"),
            JSON),
        notes="size is what sys.getsizeof() would say; generation is the gc list that\n"
              "holds the object (3 is the permanent generation of gc.freeze())."),
    Command(
        "info", "Show what pyxray found in the target.",
        """
The CPython version and build, where _PyRuntime is, which layout table
it uses, whether debug symbols were found, the library answering, and
any warnings (a missing file behind a core, missing debug info ...).""",
        arguments=(JSON,)),
    Command(
        "gc", "Show the garbage collector's state, as the gc module would in the process.",
        """
For each generation: the objects on its list (counted by walking it), the
count field, the threshold, and the collections, collected and
uncollectable counters of gc.get_stats(); whether the gc is enabled and
whether a collection is running (then the lists are in flux).""",
        arguments=(JSON,)),
    Command(
        "census", "Count the objects the garbage collector tracks, by type.",
        """
Walks the gc generation lists once and, per type, counts the objects and
their bytes (what sys.getsizeof() says: the object, its variable part, and
the buffers lists, dicts and sets own), with a few sample addresses to feed
py-object, py-referrers or py-path.  Without --all-heap only objects the
gc tracks are counted: str, int, float and most tuples of them are not.""",
        arguments=(
            argument("--gen", dest="generation", metavar="N", type=generation,
                     help="only generation N (0, 1, 2, or 3 for the permanent one); "
                     "default: 0-2, the objects gc.get_objects() returns"),
            argument("--top", metavar="K", type=count,
                     help="the K largest types (default 30 in text, all in JSON; 0 for all)"),
            argument("--sort", metavar="count|size", type=choice("count", "size"),
                     default="count", help="order by count (the default) or by bytes"),
            argument("--type", metavar="NAME",
                     help="only types named NAME (\"dict\", \"app.models.User\", or the "
                     "last part \"User\")"),
            argument("--all-heap", action="store_true",
                     help="every object, tracked by the gc or not: the gc lists, then every "
                     "pymalloc block holding an object, then objects outside pymalloc found "
                     "through references; says how much of pymalloc's memory the objects "
                     "account for (needs pymalloc's state: on Debian's python3.11, "
                     "python3.11-dbg)"),
            JSON),
        usage=("[--gen N] [--top K] [--sort count|size] [--type NAME] [--json]",
               "--all-heap [--top K] [--sort count|size] [--type NAME] [--json]"),
        check=_check_census),
    Command(
        "memory", "Account for every byte of the process's memory, by kind.",
        """
Splits the process's mappings (its VSZ) and their resident pages (its RSS)
into kinds: pymalloc's blocks in use and the rest of its arenas; glibc
malloc's chunks owned by an object (the object itself, a list's items, a
dict's keys, a numpy array's data ...), in use but owned by no object
pyxray sees (C libraries, extension buffers), and free; thread stacks;
mapped files (code, data, mmapped files); and other anonymous memory.
The kinds add up to VSZ and, on a live process, to RSS (resident pages
come from /proc/PID/pagemap); on a core, to its segments.  Then the
types whose objects own the most, with the malloc chunks they own.""",
        arguments=(
            argument("--top", metavar="K", type=count,
                     help="the K types owning the most (default 10; 0 for all)"),
            argument("--no-objects", action="store_true",
                     help="skip the walk of every object: the kinds without owners "
                     "(malloc in use counts as not attributed)"),
            JSON),
        notes="glibc malloc only (other allocators' memory counts as other anonymous).\n"
              "Up to CPython 3.11 pymalloc's state needs the full symbol table:\n"
              "Debian's python3.X needs python3.X-dbg."),
    Command(
        "referrers", "List every object that refers to an object, with the reference.",
        """
The object is given as for py-object.  Each referrer comes with its edge:
list[3], tuple[0], dict['key'] (the key's repr), dict key, .attr (an
instance attribute or __slots__ member), local 'x' in func() for a
running frame, cell, closure, __mro__, __class__ ..., or +0x18 when a
conservative scan of an object of unknown layout found the pointer.

The first query indexes every gc-tracked object (and every running frame);
later queries reuse the index until the process runs again.  Referrers are
the objects gc.get_referrers() would return, plus running frames (3.11+),
which the gc does not see.""",
        arguments=(
            argument("address", expression=True,
                     missing="which object? give an address or expression",
                     help="the object"),
            JSON)),
    Command(
        "path", "Show the shortest chain of references from a root to an object.",
        """
Roots are what keeps objects alive from outside the heap: sys.modules
(so a module's globals), sys and builtins, the dicts of built-in types, and
the locals of running frames (used only when nothing else leads to the
object).  The answer is one hop per line, each with the reference that
leads to the next object: the chain to follow to find out why an object
is still alive.""",
        arguments=(
            argument("address", expression=True,
                     missing="which object? give an address or expression",
                     help="the object"),
            argument("--max-depth", metavar="N", type=count,
                     help="give up after N references (default 30)"),
            argument("--dot", metavar="FILE", complete="file",
                     help="write a Graphviz picture of the references into the object to "
                     "FILE (render it with `dot -Tpng FILE -o backrefs.png`): the chain "
                     "(yellow, its root green), then the nearest referrers breadth first"),
            argument("--depth", metavar="N", type=count,
                     help="with --dot: how many references back (default 4)"),
            argument("--nodes", metavar="N", type=count,
                     help="with --dot: at most N referrers drawn (default 60)"),
            JSON),
        usage=("EXPR [--max-depth N] [--json]", "EXPR --dot FILE [--depth N] [--nodes N]"),
        check=_check_path),
    Command(
        "leaks", "Find memory leaks: growth between snapshots, and refcount anomalies.",
        """
snapshot  saves every object (the whole heap, tracked by the gc or not)
          by type with its address and the bytes it owns, the process's
          memory by kind (as py-memory), and, when the process runs
          tracemalloc, its traced memory by allocation site, to FILE
          (written atomically; the file has a format version).
diff      compares now with the snapshot in FILE - a later stop of the same
          process, another attach, or a later core of it - and lists the
          types whose count or bytes grew (bytes with what they own: a
          numpy array's data, a list's items), with samples of objects that
          did not exist at the snapshot (feed them to py-path to see who
          holds them), and how each kind of memory grew (malloc not
          attributed grows with C-level leaks).  Addresses are compared, so
          an object freed and another allocated at the same address counts
          as old.  With --by-site, the growth of each allocation site
          (traceback) tracemalloc recorded, as its
          Snapshot.compare_to(old, 'traceback') would say.
refcheck  for each gc-tracked object, compares ob_refcnt with the references
          pyxray finds from every gc-tracked container, every running frame
          and the interpreter's own tables, and ranks the unexplained
          excess: the signature of a C extension that forgets a Py_DECREF,
          which no in-process tool can see.  The output says what pyxray
          cannot see, so you know how far to trust it.""",
        subcommands=(
            Command("snapshot", "Save every object, the memory by kind and the allocation "
                    "sites to FILE.",
                    arguments=(argument("file", metavar="FILE", complete="file",
                                        missing="{cmd} snapshot needs a FILE",
                                        help="where to save the snapshot"), JSON)),
            Command("diff", "List the types that grew since the snapshot in FILE.",
                    arguments=(argument("file", metavar="FILE", complete="file",
                                        missing="{cmd} diff needs a FILE",
                                        help="a snapshot saved by `snapshot`"),
                               argument("--top", metavar="K", type=count, default=20,
                                        help="the K types (or sites) that grew most "
                                        "(default 20; 0 for all)"),
                               argument("--sort", metavar="count|size",
                                        type=choice("count", "size"), default="count",
                                        help="types by objects grown (the default) or by "
                                        "bytes grown"),
                               argument("--by-site", action="store_true",
                                        help="group tracemalloc's traced memory by the "
                                        "traceback that allocated it (the process must "
                                        "run tracemalloc)"),
                               JSON)),
            Command("refcheck", "Rank the objects with more references than pyxray finds.",
                    arguments=(argument("--top", metavar="K", type=count, default=20,
                                        help="the K largest excesses (default 20; 0 for "
                                        "all)"),
                               JSON)),
        ),
        usage=("snapshot FILE", "diff FILE [--top K] [--sort count|size] [--json]",
               "diff FILE --by-site [--top K] [--json]", "refcheck [--top K] [--json]")),
    Command(
        "pools", "Show pymalloc's size classes and totals, as sys._debugmallocstats() would.",
        """
Reads CPython's small-object allocator (pymalloc) from the outside and
prints the table sys._debugmallocstats() prints inside the process: for
each size class with pools, its block size, how many pools serve it, and
how many blocks are in use and available; then the arenas allocated in
total, reclaimed, at the highwater mark and now; and where the arenas'
bytes go: allocated blocks, available blocks, unused pools, pool headers,
quantization (the tail of each pool no block fits in) and arena alignment.
Every number is the one CPython would print at this moment.""",
        arguments=(JSON,),
        notes="Up to CPython 3.11 pymalloc's state is in static variables that only the\n"
              "full symbol table names: Debian's python3.X needs python3.X-dbg."),
    Command(
        "arenas", "List pymalloc's arenas and rank the ones a few live blocks keep alive.",
        """
One line per arena pymalloc has allocated: its slot in the arena table,
its address, its pools used, free and in all, the blocks and bytes in
use, how full it is, and the size classes its pools serve.  Then the
fragmentation ranking: the arenas with the fewest live bytes first.  An
arena is returned to the OS only when every one of its blocks is free, so
an arena near the top holds a whole arena (1 MiB from CPython 3.10,
256 KiB before) for a handful of objects - the reason a Python process
often does not give memory back after freeing most of what it built.""",
        arguments=(
            argument("--top", metavar="N", type=count,
                     help="rank N arenas (default 10)"),
            argument("--map", metavar="FILE.svg", type=svg_file, complete="file",
                     help="also write FILE.svg, an SVG picture of every arena: one cell per "
                     "pool, darker the more of its blocks are in use, white for free pools, "
                     "grey for pools never used"),
            JSON)),
    Command(
        "malloc", "Show where an address falls in pymalloc and what its block holds.",
        """
The address is given as for py-object.  Says which arena, pool, size
class and block hold it, whether the block is allocated, free (on its
pool's free list) or never handed out, and when an allocated block holds
a Python object, the object's type, refcount, size and a safe repr, and
where in the block it starts: gc objects begin after their PyGC_Head (and
from CPython 3.11 managed-dict objects after two pre-header words), and
under the debug allocator hooks (debug builds, PYTHONMALLOC=debug) every
block starts with a 16-byte header recording the requested size, followed
by the data and 8 guard bytes.  An address outside pymalloc's arenas says
so.""",
        arguments=(
            argument("address", expression=True,
                     missing="which address? give an address or expression",
                     help="the address"),
            JSON)),
    Command(
        "bt", "Print the Python stack of the selected thread, innermost frame first.",
        """
Like gdb's bt for the Python frames of the thread gdb has selected: one
line per frame, numbered from 0 (the innermost), with its arguments as
safe reprs, and "(called from C)" where C code called into Python.  The
numbers are the ones py-frame takes.  libpython's py-bt prints the same
frames as a traceback.""",
        arguments=(
            argument("--full", action="store_true",
                     help="also print each frame's locals, as bt full does"),
        ),
        cli=False),
    Command(
        "frame", "Select a Python frame and print it.",
        """
Selects Python frame N of the selected thread (0 is the innermost, as
py-bt numbers them) and the C frame of the eval loop that runs it, so
that gdb's info locals, up, down and finish work from there; without N,
prints the selected Python frame.  The selected Python frame is the one
py-list, py-locals and py-print look at; after the program stops again
it is the innermost one, or the one inside the C frame selected with
gdb's frame, up and down.""",
        arguments=(
            argument("level", metavar="N", type=count, nargs="?",
                     help="the frame's number in py-bt"),
        ),
        cli=False),
    Command(
        "up", "Select the Python frame that called this one (N frames up).",
        """
Moves to an older Python frame of the selected thread, across the C
frames between them, and selects the eval-loop C frame that runs it.
At the outermost frame it says so and stays.""",
        arguments=(
            argument("count", metavar="N", type=count, nargs="?", default=1,
                     help="how many frames (default 1)"),
        ),
        cli=False),
    Command(
        "down", "Select the Python frame this one called (N frames down).",
        """
Moves to a newer Python frame of the selected thread and selects the
eval-loop C frame that runs it.  At the innermost frame it says so and
stays.""",
        arguments=(
            argument("count", metavar="N", type=count, nargs="?", default=1,
                     help="how many frames (default 1)"),
        ),
        cli=False),
    Command(
        "list", "List the source around the selected Python frame's line.",
        """
Prints the lines around the line the selected Python frame is at (five
before and after), marking it with ">", read from the file on disk.
LINE lists ten lines from LINE; START,END lists those lines.  If the
file is not there, or has changed since the program loaded it (the
function's first line no longer defines it), it says so.""",
        arguments=(
            argument("lines", metavar="LINE|START,END", type=line_range, nargs="?",
                     help="the lines to list"),
        ),
        cli=False),
    Command(
        "locals", "Print the selected Python frame's local variables.",
        """
One line per local variable of the selected Python frame, name = safe
repr, arguments first; a module's or class body's frame shows the
names in its namespace.""",
        arguments=(
            argument("--depth", metavar="N", type=count,
                     help="nesting of containers shown (default 3)"),
            argument("--items", metavar="N", type=count,
                     help="items shown per container (default 10)"),
            argument("--string", metavar="N", type=count,
                     help="characters shown of a str or bytes (default 200)"),
            JSON),
        cli=False),
    Command(
        "print", "Print a Python name of the selected frame, or an object.",
        """
NAME is looked up as Python would in the selected Python frame: its
locals, then its module's globals, then the builtins; NAME.attr.attr
follows instance attributes.  Anything else (or a name that is none of
those) is a gdb expression that yields a PyObject* (or an address):
py-print op, py-print $rdi, py-print frame->f_locals.""",
        arguments=(
            argument("name", metavar="NAME|EXPR", nargs="+",
                     missing="what to print? give a Python name or an expression",
                     help="the name or expression"),
            argument("--depth", metavar="N", type=count,
                     help="nesting of containers shown (default 3)"),
            argument("--items", metavar="N", type=count,
                     help="items shown per container (default 10)"),
            argument("--string", metavar="N", type=count,
                     help="characters shown of a str or bytes (default 200)"),
            JSON),
        cli=False),
    Command(
        "next", "Run to the next line of the selected Python frame (or of its caller).",
        """
Lets the program run until the selected Python frame reaches another
line, stepping over the calls it makes, or returns (then it stops in the
frame it returns to).  Only Python frames of the selected frame's thread
count; other threads run meanwhile.  Built on the same hardware
watchpoints as py-break, so the calls in between run at full speed; the
stop is in the interpreter's C code, where gdb's step, next and advance
go on in C.""",
        arguments=(),
        cli=False),
    Command(
        "step", "Run to the next Python line, entering the functions called.",
        """
Like py-next, but also stops at the first line of any Python function
the thread calls before that (directly, or through C code such as map()
or a C extension).""",
        arguments=(),
        cli=False),
    Command(
        "finish", "Run until the selected Python frame returns; print its return value.",
        """
Lets the program run until the selected Python frame returns, then
prints the value it returned (a safe repr) and where the program is now.
A frame that C code called is finished by gdb's finish of the eval-loop
C frame that runs it.""",
        arguments=(),
        cli=False),
    Command(
        "break", "Stop when Python code enters a function or reaches a line.",
        """
FUNCTION is a function's name or qualified name (handle, Server.handle).
FILE is the source file's name or a path ending (app.py, pkg/app.py).
The process stops as the function starts (its arguments are shown), or
when the line is reached; then `step`, `next`, `advance` or `finish` work
as usual in the interpreter's C code and the extensions it calls, and
py-stack and bt show the Python frames.

Works on a live process (attached with `gdb -p PID`, or started by gdb;
set before `run`, a breakpoint waits until the interpreter is loaded).
Every Python call in the process then costs a short stop in gdb; a line
breakpoint also single-traps each bytecode instruction of the frames it
watches.  See docs/py-break.md for how it works and what it costs.""",
        arguments=(
            argument("location", metavar="FUNCTION|FILE:LINE", nargs="?",
                     complete="expression",
                     help="where to stop; without it, list the Python breakpoints"),
            argument("--delete", metavar="N", type=count, nargs="?", const=0,
                     help="delete breakpoint N (all without N)"),
            argument("--disable", metavar="N", type=count, help="disable breakpoint N"),
            argument("--enable", metavar="N", type=count, help="enable breakpoint N"),
        ),
        usage=("FUNCTION", "FILE:LINE", "", "--delete [N]", "--disable N", "--enable N"),
        cli=False, check=_check_break),
]

_BY_NAME = {c.name: c for c in COMMANDS}


def command(name):
    return _BY_NAME[name]


# The CLI's target: which process or core, how to read it.
TARGET_ARGUMENTS = (
    argument("--pid", metavar="PID", type=process_id,
             help="a live process: paused while pyxray reads it (see --no-block)"),
    argument("--core", metavar="CORE", complete="file", help="a core file"),
    argument("--exe", metavar="EXECUTABLE", complete="file",
             help="the executable, when the path recorded in the core is missing or wrong "
             "here (the build-id is checked)"),
    argument("--debuginfo", metavar="PATH",
             help="where to look for separate debug info, in libdwfl's syntax "
             "(:.debug:/usr/lib/debug)"),
    argument("--sysroot", metavar="DIR", complete="file",
             help="the root of the machine the core comes from: its libraries are "
             "looked for under DIR"),
    argument("--lib-path", metavar="DIRS",
             help="more directories (colon-separated) to look for the core's libraries in"),
    argument("--no-block", action="store_true",
             help="read a live process while it runs, without pausing it (a read that "
             "meets a list changing under it is tried again, then fails saying so)"),
)


# ---- usage and help text ----------------------------------------------------------

def _usage_words(arguments, front):
    words = []
    for a in arguments:
        if a.positional:
            m = a.metavar(front)
            words.append("[%s]" % m if a.kwargs.get("nargs") == "?" else m)
        elif a.takes_value:
            words.append("[%s %s]" % (a.flags[-1] if a.flags[-1].startswith("--") else
                                      a.flags[0], a.metavar(front)))
        else:
            words.append("[%s]" % a.flags[0])
    return " ".join(words)


def usage_lines(cmd, front):
    """The command's usage lines, without "Usage:" (gdb: py-stack ...;
    CLI: pyxray stack ...)."""
    prog = cmd.gdb_name if front == "gdb" else "pyxray " + cmd.name
    if cmd.usage:
        bodies = [u.replace("EXPR", "EXPR" if front == "gdb" else "ADDRESS")
                  for u in cmd.usage]
    else:
        bodies = [_usage_words(cmd.arguments, front)]
    out = []
    for b in bodies:
        line = ("%s %s" % (prog, b)).rstrip()
        if front == "cli":
            line += " TARGET"
        out.append(line)
    return out


def usage_line(cmd, front):
    return usage_lines(cmd, front)[0]


def _option_help(arguments, front):
    """"  --thread TID   only this thread ..." lines, wrapped."""
    import textwrap
    rows = []
    for a in arguments:
        if a.positional:
            continue
        head = a.flags[-1] if a.flags[-1].startswith("--") else a.flags[0]
        if a.takes_value:
            head += " " + a.metavar(front)
        rows.append((head, a.kwargs.get("help", "")))
    if not rows:
        return []
    col = min(max(len(h) for h, _ in rows) + 4, 22)
    out = []
    for head, text in rows:
        wrapped = textwrap.wrap(text, 76 - col) or [""]
        first = "  " + head
        if len(first) + 1 >= col:
            out.append(first)
            out.extend(" " * col + w for w in wrapped)
        else:
            out.append(first.ljust(col) + wrapped[0])
            out.extend(" " * col + w for w in wrapped[1:])
    return out


def gdb_doc(cmd):
    """The gdb command's docstring: a sentence, usage, what it does,
    options."""
    lines = [cmd.summary, ""]
    usage = usage_lines(cmd, "gdb")
    lines.append("Usage: " + usage[0])
    lines += ["       " + u for u in usage[1:]]
    if cmd.description:
        lines += ["", cmd.description]
    opts = _option_help(list(cmd.all_arguments()) if cmd.subcommands else cmd.arguments,
                        "gdb")
    seen = set()
    opts = [o for o in opts if not (o in seen or seen.add(o))]
    if opts:
        lines += [""] + opts
    if cmd.notes:
        lines += ["", cmd.notes]
    return "\n".join(lines)


# ---- parsers -------------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (UsageError), never an
    exit: gdb must keep running, and the CLI prints the line itself."""

    def __init__(self, *args, missing=None, **kwargs):
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self.missing = dict(missing or {})

    def error(self, message):
        raise UsageError(_rewrite(message, self.missing))

    def exit(self, status=0, message=None):
        # --help and --version print, then exit: the CLI's own wrapper
        # turns this into its return value.
        raise SystemExit(status)


def _rewrite(message, missing):
    """argparse's message, said the way pyxray says things."""
    m = re.match(r"the following arguments are required: (.*)$", message)
    if m:
        names = [n.strip() for n in m.group(1).split(",")]
        for n in names:
            if n in missing:
                return missing[n]
        return "missing %s" % " and ".join(names)
    m = re.match(r"unrecognized arguments: (.*)$", message)
    if m:
        word = m.group(1).split()[0]
        if word.startswith("-"):
            return "unknown option '%s'" % word
        return "unexpected argument '%s'" % word
    m = re.match(r"argument (\S+?)(?:/\S+)?: expected one argument$", message)
    if m:
        return "%s needs a value" % m.group(1)
    m = re.match(r"argument (\S+?)(?:/\S+)?: invalid choice: '([^']*)' \(choose from (.*)\)$",
                 message)
    if m:
        if m.group(1) == "COMMAND":
            return "unknown command '%s'" % m.group(2)
        if m.group(1) in missing:
            return missing[m.group(1)]
        return "%s takes %s, not '%s'" % (m.group(1), m.group(3).replace("'", ""),
                                           m.group(2))
    m = re.match(r"argument (\S+?)(?:/\S+)?: (.*)$", message)
    if m:
        return "%s %s" % (m.group(1), m.group(2))
    return message


def _missing_messages(arguments, front, cmd_name=""):
    out = {}
    for a in arguments:
        if a.missing:
            text = a.missing.format(cmd=cmd_name)
            if a.expression and front == "cli":
                text = text.replace(" or expression", "")
            out[a.metavar(front)] = text
            out[a.dest] = text
    return out


def _add_arguments(parser, cmd, front):
    for a in cmd.arguments:
        a.add_to(parser, front)
    if cmd.subcommands:
        subs = parser.add_subparsers(dest="action", metavar="ACTION",
                                     parser_class=type(parser))
        subs.required = True
        for sub in cmd.subcommands:
            p = subs.add_parser(sub.name, prog="%s %s" % (parser.prog, sub.name),
                                missing=_missing_messages(
                                    sub.arguments, front,
                                    cmd.gdb_name if front == "gdb" else cmd.name),
                                help=sub.summary)
            if front == "cli":
                p.formatter_class = HelpFormatter
                p.description = sub.summary
                p.epilog = "TARGET is --pid PID or --core CORE [--exe EXECUTABLE]."
                p.add_argument("-h", "--help", action="help", help="show this help and exit")
            _add_arguments(p, sub, front)
            if front == "cli":
                _add_target(p)


_LEAKS_TAKES = "takes snapshot FILE, diff FILE or refcheck"


class GdbParser(Parser):
    """A gdb command's parser: it must never exit gdb."""

    def exit(self, status=0, message=None):
        raise UsageError((message or "").strip() or "see `help %s`" % self.prog)


def gdb_parser(cmd):
    """The argparse parser of gdb command py-NAME."""
    missing = _missing_messages(cmd.arguments, "gdb")
    if cmd.subcommands:
        missing["action"] = missing["ACTION"] = "%s %s" % (cmd.gdb_name, _LEAKS_TAKES)
    p = GdbParser(prog=cmd.gdb_name, usage=usage_line(cmd, "gdb"), missing=missing)
    _add_arguments(p, cmd, "gdb")
    return p


def parse_gdb(cmd, argv):
    """gdb's argument words (gdb.string_to_argv) to a namespace; an EXPR
    becomes one string."""
    args = gdb_parser(cmd).parse_args(argv)
    for a in cmd.all_arguments():
        if a.expression and isinstance(getattr(args, a.dest, None), list):
            setattr(args, a.dest, " ".join(getattr(args, a.dest)))
    _defaults(cmd, args)
    if cmd.check:
        cmd.check(args)
    return args


def _defaults(cmd, args):
    """Every argument of every subcommand has its attribute."""
    for a in cmd.all_arguments():
        if not hasattr(args, a.dest):
            setattr(args, a.dest, a.kwargs.get("default", False if not a.takes_value
                                               else None))
    if cmd.subcommands and not hasattr(args, "action"):
        args.action = None


def _add_target(parser):
    g = parser.add_argument_group("target (one of --pid and --core)")
    for a in TARGET_ARGUMENTS:
        a.add_to(g, "cli")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=24, width=79)


def cli_parser(version, only=None):
    """The CLI's parser: `pyxray COMMAND [options] TARGET`.  only: build
    just that command's subparser (what a run needs; the CLI starts
    faster)."""
    top = Parser(prog="pyxray", formatter_class=HelpFormatter,
                 usage="pyxray COMMAND [options] (--pid PID | --core CORE [--exe EXECUTABLE])",
                 description="Interpreter-aware debugging of CPython processes and core "
                 "files, without gdb.\nEach command prints the text of the gdb command "
                 "py-COMMAND, or with --json its documented JSON.",
                 epilog="`pyxray COMMAND --help` says more about each.  docs/cli.md, "
                 "docs/python-api.md.",
                 missing={"command": "which command?", "COMMAND": "which command?"})
    top.add_argument("--version", action="version", version="pyxray %s" % version)
    top.add_argument("-h", "--help", action="help", help="show this help and exit")
    subs = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser,
                              title="commands")
    subs.required = True
    for cmd in COMMANDS:
        if not cmd.cli or (only and cmd.name != only):
            continue
        desc = cmd.summary + ("\n\n" + cmd.description if cmd.description else "")
        p = subs.add_parser(cmd.name, prog="pyxray " + cmd.name, help=cmd.summary,
                            usage="\n       ".join(usage_lines(cmd, "cli")),
                            description=desc, formatter_class=HelpFormatter,
                            epilog="TARGET is --pid PID or --core CORE [--exe EXECUTABLE]."
                            + ("\n\n" + cmd.notes if cmd.notes else ""),
                            missing=dict(_missing_messages(cmd.arguments, "cli"),
                                         action="%s %s" % (cmd.name, _LEAKS_TAKES),
                                         ACTION="%s %s" % (cmd.name, _LEAKS_TAKES)))
        p.add_argument("-h", "--help", action="help", help="show this help and exit")
        _add_arguments(p, cmd, "cli")
        if not cmd.subcommands:
            _add_target(p)
    return top


def parse_cli(argv, version):
    """The CLI's argv (without the program name) to (Command, namespace)."""
    first = argv[0] if argv else None
    only = first if first in _BY_NAME and _BY_NAME[first].cli else None
    args = cli_parser(version, only).parse_args(argv)
    cmd = command(args.command)
    _defaults(cmd, args)
    for a in TARGET_ARGUMENTS:
        if not hasattr(args, a.dest):
            setattr(args, a.dest, False if not a.takes_value else None)
    if (args.pid is None) == (args.core is None):
        raise UsageError("give exactly one of --pid PID and --core CORE")
    if args.pid is not None and (args.exe or getattr(args, "sysroot", None)):
        raise UsageError("--exe and --sysroot are for a core file, not --pid")
    if args.core is not None and args.no_block:
        raise UsageError("--no-block is for a live process (--pid): a core does not run")
    if cmd.check:
        cmd.check(args)
    return cmd, args


# ---- completion (gdb) --------------------------------------------------------------

class Deferred:
    """A completion the front door does itself: kind "file" or
    "expression", of the text after prefix (--map=FILE)."""

    def __init__(self, kind, prefix=""):
        self.kind = kind
        self.prefix = prefix

    def __eq__(self, other):
        return isinstance(other, Deferred) and (self.kind, self.prefix) == (other.kind,
                                                                           other.prefix)

    def __repr__(self):
        return "Deferred(%r, %r)" % (self.kind, self.prefix)


def completions(cmd, words, current):
    """What gdb's completer offers for cmd, given the words before the
    one being completed and that word: a list of whole words, or a
    Deferred for file names and expressions."""
    arguments = list(cmd.arguments)
    if cmd.subcommands:
        names = [s.name for s in cmd.subcommands]
        if not words:
            return [n for n in names if n.startswith(current)]
        sub = next((s for s in cmd.subcommands if s.name == words[0]), None)
        if sub is None:
            return []
        arguments = list(sub.arguments)
        words = words[1:]
    by_flag = {f: a for a in arguments for f in a.flags if f.startswith("-")}
    prev = words[-1] if words else None
    # The value of an option: --sort <TAB>, or --sort=<TAB>.
    if current.startswith("--") and "=" in current:
        flag, _, value = current.partition("=")
        a = by_flag.get(flag)
        if a and a.takes_value:
            return _value_completions(a, value, prefix=flag + "=")
        return []
    if prev in by_flag and by_flag[prev].takes_value and \
            by_flag[prev].kwargs.get("nargs") != "?":
        return _value_completions(by_flag[prev], current)
    if current.startswith("-"):
        return sorted(f for f in by_flag if f.startswith(current) and f.startswith("--"))
    positional = [a for a in arguments if a.positional]
    if positional:
        a = positional[0]
        if a.complete or a.expression:
            return Deferred(a.complete or "expression")
        return []
    return []


def _value_completions(a, value, prefix=""):
    if a.choices:
        return [prefix + c for c in a.choices if c.startswith(value)]
    if a.complete:
        return Deferred(a.complete, prefix)
    return []

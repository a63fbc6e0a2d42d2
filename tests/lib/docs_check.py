#!/usr/bin/env python3
"""docs_check.py CLI TOP STACK_RECORD HEAP_RECORD MALLOC_RECORD SCRATCH [TASKS_RECORD
LOCKS_RECORD]:
every docs page matches what the commands do.

For each page of a command (docs/py-NAME.md):

* its synopsis (the first code block) is the command's usage, in gdb and
  in the CLI, as the option table (pyxray/options.py) makes it;
* every option of the command is on the page, and every option the
  page's synopsis or option table names is the command's;
* every documented command line in an example ("(gdb) py-..." or
  "$ pyxray ...") parses, runs on a fixture (through the CLI, which
  prints the gdb command's text) with the fixture's addresses and
  scratch files put in for the page's, and has the documented shape: its
  first word, and every line of the example that holds no data (headers,
  labels: no digits, no addresses, not a source line) is in the output;
* every JSON example's keys are in the document the command gives, with
  the same types, and every field its table names is there (with the
  type the table says, where it says one).

An example that cannot run on the fixtures is marked in the page with
<!-- docs-check: skip (why) --> before its block; a JSON example of
another command line than the page's plain one with
<!-- docs-check: COMMAND ARGS -->.  Prints CHECK lines.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check_line  # noqa: E402

results = []


def check(ok, name, detail=""):
    results.append((bool(ok), name, detail))


HEX = re.compile(r"0x[0-9a-fA-F]+")
FENCE = re.compile(r"^```(\w*)\s*$")
HINT = re.compile(r"^<!-- docs-check: (.*?) -->\s*$")


def blocks(path):
    """[(language, [lines], hint)] of a markdown file's fenced blocks."""
    out = []
    with open(path) as fp:
        lines = fp.read().splitlines()
    i = 0
    hint = None
    while i < len(lines):
        m = HINT.match(lines[i])
        if m:
            hint = m.group(1)
        m = FENCE.match(lines[i])
        if m:
            lang = m.group(1)
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            out.append((lang, lines[i + 1:j], hint, i + 1))
            hint = None
            i = j + 1
            continue
        if lines[i].strip() and not HINT.match(lines[i]):
            hint = None if not lines[i].startswith("<!--") else hint
        i += 1
    return out


def squash(line):
    return " ".join(line.split())


def has_data(line):
    return bool(re.search(r"\d|0x|/|'|\"", line))


class Page:
    def __init__(self, ctx, name):
        self.ctx = ctx
        self.name = name
        self.cmd = ctx.options.command(name)
        self.path = os.path.join(ctx.top, "docs", "py-%s.md" % name)
        with open(self.path) as fp:
            self.text = fp.read()
        self.blocks = blocks(self.path)
        self.seen_addresses = {}
        self.first_example = None

    # -- synopsis and options ------------------------------------------------

    def check_synopsis(self):
        o = self.ctx.options
        lang, lines, hint, at = self.blocks[0]
        got = [l.split("  #")[0].rstrip() for l in lines if l.strip()]
        want = o.usage_lines(self.cmd, "gdb")
        if self.cmd.cli:
            want += o.usage_lines(self.cmd, "cli")
        if self.name == "break":
            got = [g for g in got if g.startswith("py-break")]
        check(got == want, "docs/py-%s.md: the synopsis is the command's usage" % self.name,
              "page %r, table %r" % (got, want))

    def check_options(self):
        flags = {f for a in self.cmd.all_arguments() if not a.positional for f in a.flags
                 if f.startswith("--")}
        target = {f for a in self.ctx.options.TARGET_ARGUMENTS for f in a.flags}
        for f in sorted(flags):
            check(f in self.text, "docs/py-%s.md names %s" % (self.name, f))
        lang, lines, hint, at = self.blocks[0]
        named = set(re.findall(r"(--[a-z][a-z-]*)", "\n".join(lines)))
        named |= set(re.findall(r"^\| `(--[a-z][a-z-]*)", self.text, re.M))
        extra = named - flags - target
        check(not extra, "docs/py-%s.md names only the command's options" % self.name,
              "not options of py-%s: %s" % (self.name, sorted(extra)))

    # -- examples ------------------------------------------------------------

    def examples(self):
        """(command line, documented output lines, hint, line number)."""
        for lang, lines, hint, at in self.blocks[1:]:
            if lang == "json":
                continue
            i = 0
            while i < len(lines):
                line = lines[i]
                cmd = None
                if line == "(gdb) continue":
                    cmd = "continue"
                elif line.startswith("(gdb) py-%s" % self.name):
                    cmd = line[len("(gdb) "):]
                elif line.startswith("$ pyxray %s" % self.name):
                    cmd = line[len("$ "):]
                j = i + 1
                while j < len(lines) and not lines[j].startswith(("(gdb) ", "$ ")):
                    j += 1
                if cmd is not None:
                    yield cmd, lines[i + 1:j], hint, at + i + 1
                i = j

    def substitute(self, cmd):
        """The fixture's addresses and scratch files for the page's: the
        page's addresses in order of appearance get the page's fixture
        addresses in order; a gdb expression gets the first."""
        addrs = self.ctx.addresses.get(self.name, [])
        seen = self.seen_addresses

        def addr(m):
            a = m.group(0).lower()
            if a not in seen:
                seen[a] = addrs[min(len(seen), len(addrs) - 1)] if addrs else a
            return seen[a]
        words = cmd.split()
        if words[0].startswith("py-") and addrs:
            try:
                ns = self.ctx.options.parse_gdb(self.cmd, words[1:])
                expr = getattr(ns, "address", None)
                if expr and not HEX.fullmatch(expr):
                    cmd = cmd.replace(expr, addrs[0])
            except self.ctx.options.UsageError:
                pass
        cmd = HEX.sub(addr, cmd)
        cmd = re.sub(r"(?<=\s)(/tmp/\S+|\S+\.(?:dot|svg|snap))", lambda m: os.path.join(
            self.ctx.scratch, os.path.basename(m.group(0))), cmd)
        return cmd

    def check_examples(self):
        o = self.ctx.options
        for cmd, doc_out, hint, at in self.examples():
            where = "docs/py-%s.md:%d %s" % (self.name, at, cmd)
            if hint and hint.startswith("skip"):
                continue
            if cmd == "continue":
                # The heap fixture runs one round (more objects) and stops.
                check(self.ctx.continue_fixture(self.ctx.fixture_for(self.name)),
                      "%s: the fixture ran a round and stopped" % where)
                continue
            words = cmd.split()
            try:
                if words[0] == "pyxray":
                    o.parse_cli(words[1:] + ["--pid", "1"], "0")
                else:
                    o.parse_gdb(self.cmd, words[1:])
                check(True, "%s: parses" % where)
            except o.UsageError as e:
                check(False, "%s: parses" % where, str(e))
                continue
            real = self.substitute(cmd).split()
            if self.first_example is None:
                self.first_example = real
            argv = real[1:] if real[0] == "pyxray" else real[1:]
            if real[0] != "pyxray":
                argv = [self.name] + argv
            else:
                argv = [a for a in argv]
                # --pid/--core of the page's example: the fixture's.
                argv = strip_target(argv)
            fixture = self.ctx.fixture_for(self.name)
            p = subprocess.run([self.ctx.cli] + argv + ["--pid", str(fixture)],
                               capture_output=True, text=True, timeout=300)
            if p.returncode != 0:
                check(False, "%s: runs" % where, p.stderr.strip())
                continue
            out = p.stdout.splitlines()
            if not doc_out:
                check(True, "%s: runs" % where)
                continue
            self.compare_shape(where, doc_out, out, [w for w in words[1:]
                                                     if not w.startswith("-")])

    def compare_shape(self, where, doc_out, out, data_words):
        def first_word(lines):
            for l in lines:
                if l.strip() and l.strip() != "...":
                    w = l.split()[0]
                    if HEX.fullmatch(w):
                        return "H"
                    return "N" if re.match(r"^[\d,.+-]+$", w) else w
            return None
        check(first_word(doc_out) == first_word(out),
              "%s: the output starts as documented" % where,
              "page %r, output %r" % (first_word(doc_out), first_word(out)))
        have = {squash(l) for l in out}
        missing = []
        prev_file = False
        for l in doc_out:
            s = l.strip()
            is_source = prev_file and l.startswith("    ")
            prev_file = l.startswith("  File ")
            if not s or s == "..." or is_source or has_data(l) or \
                    any(w in l for w in data_words):
                continue
            if squash(l) not in have:
                missing.append(l)
        check(not missing, "%s: every line without data is in the output" % where,
              "not in the output: %r" % missing)

    # -- JSON ----------------------------------------------------------------

    def check_json(self):
        for lang, lines, hint, at in self.blocks:
            if lang != "json":
                continue
            where = "docs/py-%s.md:%d" % (self.name, at)
            if hint and hint.startswith("skip"):
                continue
            try:
                want = json.loads(unellipsize("\n".join(lines)))
            except ValueError as e:
                check(False, "%s: the JSON example is JSON" % where, str(e))
                continue
            if hint:
                argv = self.substitute(" ".join(["py-" + hint.split()[0]] +
                                                hint.split()[1:])).split()
                argv = [self.name] + argv[1:]
            elif self.first_example:
                argv = strip_target(self.first_example[1:]) if \
                    self.first_example[0] == "pyxray" else [self.name] + self.first_example[1:]
            else:
                argv = [self.name]
            got = self.ctx.run_json(self.name, argv)
            if got is None:
                check(False, "%s: the command runs" % where, " ".join(argv))
                continue
            bad = []
            compare_keys(want, got, "", bad, self.optional_fields())
            check(not bad, "%s: the JSON example's keys and types are the command's" % where,
                  "; ".join(bad[:5]))
            self.check_fields(where, got)

    def json_section(self):
        section = self.text.split("## JSON", 1)[1] if "## JSON" in self.text else ""
        return section.split("\n## ", 1)[0]

    def optional_fields(self):
        """Fields the page says are there only sometimes."""
        out = set()
        for line in self.json_section().splitlines():
            if re.search(r"present when|present only|only when|only with|with `--", line):
                first = re.search(r"`([a-z_][a-z_.\[\]]*)`", line)
                if first:
                    out.add(first.group(1).split(".")[-1].rstrip("[]"))
        return out

    def check_fields(self, where, got):
        section = self.text.split("## JSON", 1)[1] if "## JSON" in self.text else ""
        section = section.split("\n## ", 1)[0]
        bad = []
        for row in re.findall(r"^\| (`[^|]*`) \|([^|]*)\|([^\n]*)$", section, re.M):
            names = re.findall(r"`([^`]+)`", row[0])
            kind = row[1].strip()
            # "present only when ...", "true with `--all-heap`": optional.
            optional = re.search(r"\bonly\b|with `--", row[1] + row[2])
            for n in names:
                if n.startswith("--") or " " in n:
                    continue
                values = lookup(got, n)
                if values is None:
                    if not optional:
                        bad.append("%s is not in the document" % n)
                    continue
                if kind and not all(type_ok(v, kind) for v in values):
                    bad.append("%s is not %s: %r" % (n, kind, values[:1]))
        check(not bad, "%s: the fields the page's table names are in the document" % where,
              "; ".join(bad[:5]))


def strip_target(argv):
    out = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--pid", "--core", "--exe"):
            skip = True
            continue
        out.append(a)
    return out


def unellipsize(text):
    """JSON with the page's "..." shorthand taken out."""
    text = re.sub(r"(?m)^\s*\.\.\.,?\s*$\n?", "", text)
    text = re.sub(r",\s*\.\.\.", "", text)
    text = re.sub(r"\[\s*\.\.\.\s*\]", "[]", text)
    text = re.sub(r"\{\s*\.\.\.\s*\}", "{}", text)
    text = re.sub(r"\.\.\.\s*,", "", text)
    text = re.sub(r",(\s*[\]}])", r"\1", text)
    return text


# Objects whose keys are data (a frame's local variables by name).
MAPPINGS = {"locals"}


def compare_keys(want, got, path, bad, optional=()):
    if want is None or got is None:
        return
    if path.rstrip(".").rsplit(".", 1)[-1] in MAPPINGS:
        if not isinstance(got, dict):
            bad.append("%s: an object on the page, %s in the document" % (path[:-1],
                                                                        type(got).__name__))
        return
    if isinstance(want, dict):
        if not isinstance(got, dict):
            bad.append("%s: an object on the page, %s in the document" % (path or "top",
                                                                        type(got).__name__))
            return
        for k, v in want.items():
            if k not in got:
                # Keys the page says are there only sometimes (the debug
                # hooks' header) may be absent.
                if k not in optional:
                    bad.append("%s%s is not in the document" % (path, k))
                continue
            compare_keys(v, got[k], "%s%s." % (path, k), bad, optional)
    elif isinstance(want, list):
        if not isinstance(got, list):
            bad.append("%s: a list on the page, %s in the document" % (path, type(got).__name__))
            return
        if want and got:
            compare_keys(want[0], got[0], path[:-1] + "[].", bad, optional)
    else:
        kinds = (bool,) if isinstance(want, bool) else (int, float) if isinstance(
            want, (int, float)) else (str,)
        if isinstance(got, bool) and kinds != (bool,):
            bad.append("%s: a %s on the page, a bool in the document" % (path[:-1],
                                                                       type(want).__name__))
        elif not isinstance(got, kinds):
            bad.append("%s: a %s on the page, a %s in the document" % (
                path[:-1], type(want).__name__, type(got).__name__))


def lookup(doc, dotted):
    """The values at a documented path ("threads[].tid"; "frames[].line"
    is looked for wherever "frames" is), or None."""
    first = dotted.split(".")[0].rstrip("[]")
    values = [doc]
    while values and not any(isinstance(v, dict) and first in v for v in values):
        nxt = []
        for v in values:
            if isinstance(v, dict):
                nxt.extend(v.values())
            elif isinstance(v, list):
                nxt.extend(v)
        values = nxt
    if not values:
        return None
    for part in dotted.split("."):
        many = part.endswith("[]")
        key = part[:-2] if many else part
        nxt = []
        for v in values:
            if not isinstance(v, dict) or key not in v:
                continue
            x = v[key]
            if many:
                if not isinstance(x, list):
                    return None
                nxt.extend(x)
            else:
                nxt.append(x)
        if not nxt and not any(isinstance(v, dict) and key in v for v in values):
            return None
        values = nxt
    return values


def type_ok(v, kind):
    kinds = [k.strip() for k in kind.replace(" or ", ",").split(",") if k.strip()]
    names = {"int": int, "str": str, "bool": bool, "object": dict, "list": list,
             "[str]": list, "float": float, "number": (int, float)}
    if not all(k in names or k == "null" for k in kinds):
        return True  # a description, not a type
    if v is None:
        return "null" in kinds
    for k in kinds:
        t = names.get(k)
        if t is None:
            continue
        if isinstance(v, bool) and t is not bool:
            continue
        if isinstance(v, t):
            return True
    return False


class Context:
    def __init__(self, cli, top, stack_rec, heap_rec, malloc_rec, scratch, tasks_rec=None,
                 locks_rec=None):
        sys.path.insert(0, os.path.join(top, "gdb"))
        from pyxray import options
        self.options = options
        self.cli, self.top, self.scratch = cli, top, scratch
        self.stack = json.load(open(stack_rec))
        self.heap = json.load(open(heap_rec))
        self.malloc = json.load(open(malloc_rec))
        self.tasks = json.load(open(tasks_rec)) if tasks_rec else None
        self.locks = json.load(open(locks_rec)) if locks_rec else None
        self.addresses = {
            "object": [self.stack["objects"]["dict"]["address"]],
            "referrers": [self.heap["target"]],
            "path": [self.heap["target"], self.heap["target"]],
            "malloc": [self.malloc["objects"]["instance"]["address"], self.malloc["freed"],
                       self.malloc["outside"]],
        }

    def fixture_for(self, name):
        if name == "tasks" and self.tasks:
            return self.tasks["pid"]
        if name == "locks" and self.locks:
            return self.locks["pid"]
        if name in ("stack", "object", "info", "triage"):
            return self.stack["pid"]
        if name in ("pools", "arenas", "malloc"):
            return self.malloc["pid"]
        return self.heap["pid"]

    def continue_fixture(self, pid):
        os.kill(pid, signal.SIGCONT)
        for _ in range(600):
            time.sleep(0.1)
            with open("/proc/%d/stat" % pid) as fp:
                if fp.read().rsplit(")", 1)[1].split()[0] == "T":
                    return True
        return False

    def run_json(self, name, argv):
        p = subprocess.run([self.cli] + argv + ["--json", "--pid", str(self.fixture_for(name))],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout)


def check_cli_page(ctx):
    """docs/cli.md: its synopsis names every command and only real
    options; its examples parse, and those on a --pid run with the
    documented shape."""
    path = os.path.join(ctx.top, "docs", "cli.md")
    bl = blocks(path)
    o = ctx.options
    named = set()
    for line in bl[0][1]:
        m = re.match(r"^pyxray (\w+)\s", line)
        if not m:
            continue
        name = m.group(1)
        named.add(name)
        cmd = o.command(name)
        flags = {f for a in cmd.all_arguments() for f in a.flags} | \
            {f for a in o.TARGET_ARGUMENTS for f in a.flags}
        extra = set(re.findall(r"--[a-z][a-z-]*", line)) - flags
        check(not extra, "docs/cli.md: pyxray %s takes the options the synopsis names" % name,
              "not options: %s" % sorted(extra))
    check(named == {c.name for c in o.COMMANDS if c.cli},
          "docs/cli.md: the synopsis names every command", repr(sorted(named)))
    for lang, lines, hint, at in bl[1:]:
        for k, line in enumerate(lines):
            text = line[2:] if line.startswith("$ ") else line
            if not text.startswith("pyxray "):
                continue
            words = text.split("#")[0].split(">")[0].split()
            where = "docs/cli.md:%d %s" % (at + k + 1, " ".join(words))
            try:
                cmd, args = o.parse_cli(words[1:], "0")
                check(True, "%s: parses" % where)
            except o.UsageError as e:
                check(False, "%s: parses" % where, str(e))
                continue
            if args.pid is None or not line.startswith("$ "):
                continue
            out_doc = []
            for l in lines[k + 1:]:
                if l.startswith("$ "):
                    break
                out_doc.append(l)
            argv = strip_target(words[1:])
            fixture = ctx.fixture_for(cmd.name)
            p = subprocess.run([ctx.cli] + argv + ["--pid", str(fixture)],
                               capture_output=True, text=True, timeout=300)
            check(p.returncode == 0, "%s: runs" % where, p.stderr.strip())
            if p.returncode == 0:
                Page(ctx, cmd.name).compare_shape(where, out_doc, p.stdout.splitlines(), [])


def check_api_page(ctx):
    """docs/python-api.md: the methods its table shows are the Program's,
    with the keywords it says."""
    import inspect
    sys.path.insert(0, os.path.join(ctx.top, "gdb"))
    import pyxray
    with open(os.path.join(ctx.top, "docs", "python-api.md")) as fp:
        text = fp.read()
    for sig in re.findall(r"^\| `([^|]*)` \|", text, re.M):
        for one in re.findall(r"(\w+)\(([^)]*)\)", sig):
            name, params = one
            fn = getattr(pyxray.Program, name, None)
            where = "docs/python-api.md: Program.%s" % name
            if fn is None:
                check(False, where + " exists")
                continue
            real = inspect.signature(fn)
            documented = [p.strip().split("=")[0] for p in params.split(",") if p.strip()]
            actual = [p for p in real.parameters if p != "self"]
            doc_names = [d for d in documented if d not in ("*", "...")]
            check(all(d in actual for d in doc_names), where + " takes what the page says",
                  "page %s, Program %s" % (doc_names, actual))
            for p in params.split(","):
                if "=" in p:
                    k, v = (x.strip() for x in p.split("=", 1))
                    want = real.parameters[k].default if k in real.parameters else None
                    check(repr(want) == v.replace('"', "'"),
                          "%s: %s defaults to %s" % (where, k, v), "it is %r" % (want,))
    for name in ("attach", "open_core"):
        m = re.search(r"`pyxray\.%s\(([^)]*)\)`" % name, text.replace("\n", " "))
        check(m is not None, "docs/python-api.md shows pyxray.%s()" % name)
        if m:
            real = inspect.signature(getattr(pyxray, name))
            names = [p.strip().split("=")[0] for p in m.group(1).split(",")
                     if p.strip() not in ("*", "")]
            check(names == list(real.parameters),
                  "docs/python-api.md: pyxray.%s's parameters" % name,
                  "page %s, code %s" % (names, list(real.parameters)))


def check_readme(ctx):
    """README.md's table of commands names real options; its pyxray
    command lines parse."""
    o = ctx.options
    with open(os.path.join(ctx.top, "README.md")) as fp:
        text = fp.read()
    for cell in re.findall(r"^\| (`py-[^|]*(?:\\\|[^|]*)*)\|", text, re.M):
        for usage in re.findall(r"`(py-[a-z]+[^`]*)`", cell):
            name = usage.split()[0][3:]
            flags = {f for a in o.command(name).all_arguments() for f in a.flags}
            extra = set(re.findall(r"--[a-z][a-z-]*", usage)) - flags
            check(not extra, "README.md: %s names py-%s's options" % (usage, name),
                  "not options: %s" % sorted(extra))
    for line in re.findall(r"^\$ (pyxray .*)$", text, re.M):
        words = [w.replace("PID", "1") for w in line.split()]
        try:
            o.parse_cli(words[1:], "0")
            check(True, "README.md: %s parses" % line)
        except o.UsageError as e:
            check(False, "README.md: %s parses" % line, str(e))


def main():
    ctx = Context(*sys.argv[1:9])
    check_readme(ctx)
    for cmd in ctx.options.COMMANDS:
        page = Page(ctx, cmd.name)
        page.check_synopsis()
        page.check_options()
        if cmd.cli:
            page.check_examples()
            page.check_json()
    check_cli_page(ctx)
    check_api_page(ctx)
    for ok, name, detail in results:
        print(check_line(ok, name, detail))
    print("CHECK-END")


if __name__ == "__main__":
    main()

"""Every ``>>>`` block replays as shown when a reader copies it into ``python``.

`make doctest` runs a page's ``{doctest}`` blocks with the hidden
``{testsetup}`` and with ``os`` and ``sys`` from conf.py's
``doctest_global_setup``. A reader has neither: they press a block's copy
button, paste into a fresh interactive ``python`` and compare what it prints
with the page. This test does what they do, page by page:

1. It reads the page's Markdown source (markdown-it) and takes its
   ``{doctest}`` fences in order.
2. It turns each into what the copy button copies, with the prompt pattern
   of conf.py (``copybutton_prompt_text``): only the lines that start with
   ``>>> `` or ``... ``, without the prompt; a bare ``...`` line copies as an
   empty line, which ends a compound statement in the interactive
   interpreter. The copy button drops the copied text's final newline, and
   the reader's Enter after the paste gives it back: so a bare ``...`` that
   ends a block ends nothing, and the next block must not need it.
3. It feeds the lines of all blocks, one after another, into ONE
   ``code.InteractiveConsole`` in a fresh subprocess whose ``sys.stdout`` and
   ``sys.stderr`` both write to one "screen", and cuts what the screen shows
   into the output of each ``>>>`` example.
4. It compares that with the page's expected output using doctest's own
   ``OutputChecker`` and the flags `make doctest` uses (Sphinx's
   ``doctest_default_flags``, the block's ``:options:`` and the example's
   ``# doctest:`` directives). An expected ``Traceback (most recent call
   last):`` is compared as doctest compares it: the exception's last line.
   Mismatches read ``docs/<page>.md:<line>: expected ... got ...``.

Where the reader starts ``python``, and with which environment, is prose on
the page: the paragraph right before the page's first ``{doctest}`` block
(hidden ``{testsetup}`` fences in between do not count) must contain

    Start `python` in `examples/<topic>/`

optionally followed by `` with `NAME` set`` (or `` with `NAME` and `OTHER`
set``). The console starts in that folder, relative to the repository root,
with a clean environment: ``PATH`` (the virtual environment's ``bin`` first,
as after ``activate``), ``HOME``, the locale and ``TMPDIR``, and nothing
else; in particular no ``DJANGO_*`` variable. A name the sentence lists
gets a fresh random value, as the ``export DJANGO_SECRET_KEY=...`` command
of servers/index.md makes one: the page only says the variable is set, so
any value must do. Write `` `NAME=value` `` for a variable that needs one
value. Everything else a reader needs (imports, ``os.environ`` settings,
``django.setup()``, ``migrate``) is a visible ``>>>`` line.

The hidden ``{testsetup}`` then does only what the prose already says, for
the doctest builder that runs from the repository root, plus redirections
of side effects a reader would not want in their checkout. This test reads
it and fails on anything else. Allowed: ``os.chdir()`` into the folder the
prose names, ``sys.path.insert(0, ".")``, setting the variables the prose
names, removing a variable from ``os.environ`` (the clean environment),
importing ``tempfile`` or ``shutil`` and keeping a temporary path in a
``_private`` name, and setting a variable of ``REDIRECTS`` below. For each
redirected variable the console gets the same redirection: the variable is
in its environment from the start, pointing at a temporary folder of its
own.
"""

from __future__ import annotations

import ast
import doctest
import json
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# Variables a hidden {testsetup} may set to keep files out of the reader's
# checkout, and what the console gets instead: a fresh temporary folder.
REDIRECTS = {
    "DJANGO_STATIC_ROOT": "where collectstatic writes (examples/servers/)",
}

START = re.compile(
    r"Start `python` in `(?P<folder>[^`]+)`"
    r"(?: with (?P<env>`[^`]+`(?:(?:,| and) `[^`]+`)*) set)?")
HIDDEN = {"{testsetup}", "{testcleanup}"}
INHERITED = ("HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR")


# --------------------------------------------------------------------------
# What conf.py configures
# --------------------------------------------------------------------------

def _conf_values() -> dict:
    tree = ast.parse((ROOT / "conf.py").read_text())
    values = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], ast.Name):
            values[stmt.targets[0].id] = stmt.value
    return values


CONF = _conf_values()
assert ast.literal_eval(CONF["copybutton_prompt_is_regexp"]) is True
assert ast.literal_eval(CONF["copybutton_only_copy_prompt_lines"]) is True
assert ast.literal_eval(CONF["copybutton_copy_empty_lines"]) is False
# formatCopyText() of sphinx-copybutton: '^(' + prompt + ')(.*)', per line.
COPIED = re.compile("^(" + ast.literal_eval(CONF["copybutton_prompt_text"]) + ")(.*)")
if "doctest_default_flags" in CONF:
    DEFAULT_FLAGS = eval(compile(ast.Expression(CONF["doctest_default_flags"]), "conf.py", "eval"),
                         {"doctest": doctest, **doctest.OPTIONFLAGS_BY_NAME})
else:  # sphinx.ext.doctest's default
    DEFAULT_FLAGS = (doctest.DONT_ACCEPT_TRUE_FOR_1 | doctest.ELLIPSIS
                     | doctest.IGNORE_EXCEPTION_DETAIL)


# --------------------------------------------------------------------------
# Reading a page
# --------------------------------------------------------------------------

@dataclass
class Example:
    line: int                 # 1-based line of its first `>>>` in the page
    source: str
    want: str
    exc_msg: str | None
    flags: int
    copied: list[str] = field(default_factory=list)


@dataclass
class Page:
    name: str                 # docname, e.g. "servers/index"
    folder: str = ""
    env: dict = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)
    redirects: list[str] = field(default_factory=list)
    changes_folder: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"docs/{self.name}.md"


def _blocks(text: str):
    """The page's block tokens in order: fences, and the opening of each paragraph."""
    tokens = MarkdownIt("commonmark").parse(text)
    return [t for t in tokens if t.block and t.nesting in (0, 1) and t.type != "inline"]


def _block_options(content: str, first_line: int):
    """MyST ``:name: value`` lines at the top of a fence: (options, body, body's first line)."""
    lines = content.splitlines(keepends=True)
    options = {}
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        name, _, value = lines.pop(0)[1:].partition(":")
        options[name] = value.strip()
        first_line += 1
    return options, "".join(lines), first_line


def _flags(options: dict, where: str, problems: list) -> int:
    flags = DEFAULT_FLAGS
    for name in set(options) - {"options"}:
        problems.append(f"{where}: the option :{name}: is not replayed by this test")
    for option in options.get("options", "").replace(",", " ").split():
        flag = doctest.OPTIONFLAGS_BY_NAME[option[1:]]
        flags = flags | flag if option[0] == "+" else flags & ~flag
    return flags


def read_page(name: str) -> Page:
    page = Page(name)
    text = (DOCS / f"{name}.md").read_text()
    blocks = _blocks(text)
    doctests = [i for i, t in enumerate(blocks)
                if t.type == "fence" and t.info.strip() == "{doctest}"]
    if not doctests:
        return page
    # Where and with what to start python: the paragraph before the first block.
    i = doctests[0] - 1
    while i >= 0 and blocks[i].type == "fence" and blocks[i].info.strip() in HIDDEN:
        i -= 1
    prose = ""
    if i >= 0 and blocks[i].type == "paragraph_open":
        prose = " ".join(text.splitlines()[blocks[i].map[0]:blocks[i].map[1]])
    match = START.search(" ".join(prose.split()))
    first = blocks[doctests[0]].map[0] + 1
    if not match:
        page.problems.append(
            f"{page.path}:{first}: the paragraph right before the first doctest block must say "
            "where to start python: Start `python` in `examples/<topic>/` (with `NAME` set)")
        return page
    page.folder = match["folder"].rstrip("/") or "."
    for item in re.findall(r"`([^`]+)`", match["env"] or ""):
        key, has_value, value = item.partition("=")
        page.env[key] = value if has_value else secrets.token_urlsafe(50)
    if not (ROOT / page.folder).is_dir():
        page.problems.append(f"{page.path}:{first}: no folder {page.folder}/ to start python in")

    parser = doctest.DocTestParser()
    for token in blocks:
        if token.type != "fence":
            continue
        kind = token.info.strip()
        line = token.map[0] + 2  # 1-based, after the opening fence
        options, body, line = _block_options(token.content, line)
        if kind == "{testsetup}":
            _check_hidden_setup(page, body, line)
        if kind != "{doctest}":
            continue
        flags = _flags(options, f"{page.path}:{line}", page.problems)
        examples = parser.get_examples(body, name)
        starts = [ex.lineno for ex in examples]
        for ex in examples:
            run = flags
            for flag, on in ex.options.items():
                run = run | flag if on else run & ~flag
            if run & doctest.SKIP:
                page.problems.append(f"{page.path}:{line + ex.lineno}: a skipped example")
            page.examples.append(Example(line + ex.lineno, ex.source, ex.want, ex.exc_msg, run))
        if not page.changes_folder and page.folder != ".":
            page.problems.append(f"{page.path}:{line}: no hidden {{testsetup}} before this block "
                                 f"does os.chdir(\"{page.folder}\") for make doctest, which "
                                 "runs from the repository root")
            page.changes_folder = True  # say it once
        block = page.examples[len(page.examples) - len(examples):]
        # What the copy button copies, line by line, each line given to the
        # example it sits in (a bare "..." in an expected traceback, too).
        copied = []
        for offset, raw in enumerate(body.splitlines()):
            found = COPIED.match(raw)
            if found:
                owner = max((k for k, s in enumerate(starts) if s <= offset), default=0)
                copied.append((owner, found.group(2)))
        if copied and copied[-1][1] == "":
            copied.pop()  # the copy button drops the final newline
        for owner, text_line in copied:
            block[owner].copied.append(text_line)
    return page


def _check_hidden_setup(page: Page, code: str, line: int) -> None:
    """Fail on anything a hidden {testsetup} does besides what the prose says."""
    def bad(stmt, why):
        page.problems.append(f"{page.path}:{line + stmt.lineno - 1}: hidden setup {why}: "
                             f"{ast.unparse(stmt)}")

    def environ_key(node):
        if (isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ"
                and isinstance(node.slice, ast.Constant)):
            return node.slice.value
        return None

    for stmt in ast.parse(code).body:
        if isinstance(stmt, ast.Import):
            if any(alias.name not in ("os", "sys", "tempfile", "shutil") for alias in stmt.names):
                bad(stmt, "imports what a reader would have to import too")
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call, args = ast.unparse(stmt.value.func), stmt.value.args
            values = [a.value if isinstance(a, ast.Constant) else None for a in args]
            if call == "os.chdir":
                page.changes_folder = True
                folder = (values[0] or "").rstrip("/")
                if folder != page.folder:
                    bad(stmt, f"changes into another folder than the prose ({page.folder}/)")
            elif call == "sys.path.insert" and values == [0, "."]:
                pass
            elif call == "os.environ.pop" and len(values) == 2 and values[1] is None:
                pass  # the console's environment is clean too
            else:
                bad(stmt, "runs code that the reader does not see")
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            key = environ_key(target)
            if key in page.env:
                pass  # what the prose says the reader has set
            elif key in REDIRECTS:
                page.redirects.append(key)
            elif (isinstance(target, ast.Name) and target.id.startswith("_")
                  and ast.unparse(stmt.value).startswith("tempfile.")):
                pass
            else:
                bad(stmt, "sets what the prose does not tell the reader to set")
        elif not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            bad(stmt, "runs code that the reader does not see")


def pages_with_doctests() -> list[str]:
    names = []
    for path in sorted(DOCS.rglob("*.md")):
        if any(part.startswith("_") for part in path.relative_to(DOCS).parts):
            continue
        if "```{doctest}" in path.read_text():
            names.append(path.relative_to(DOCS).with_suffix("").as_posix())
    return names


# --------------------------------------------------------------------------
# The reader's interpreter
# --------------------------------------------------------------------------

# Runs inside `python -c "exec(DRIVER, {...})"`, so that the console's
# namespace, __main__'s, holds nothing the driver defines.
DRIVER = r'''
import code, io, json, sys, traceback
import __main__

examples_path, results_path = sys.argv[1:3]
sys.argv[:] = [""]
sys.ps1, sys.ps2 = ">>> ", "... "
with open(examples_path) as f:
    examples = json.load(f)

screen = []

class Stream(io.TextIOBase):
    """sys.stdout or sys.stderr: both show on the reader's one terminal."""
    encoding, errors = "utf-8", "strict"
    def writable(self):
        return True
    def write(self, text):
        screen.append(text)
        return len(text)

sys.stdout, sys.stderr = Stream(), Stream()

class Console(code.InteractiveConsole):
    exc = None
    def _record(self):
        kind, value = sys.exc_info()[:2]
        self.exc = traceback.format_exception_only(kind, value)[-1]
    def showtraceback(self):
        self._record()
        super().showtraceback()
    def showsyntaxerror(self, filename=None, **kwargs):
        self._record()
        super().showsyntaxerror(filename, **kwargs)

console = Console(__main__.__dict__)
with open(results_path, "w") as results:
    for lines in examples:
        start, console.exc, more = len(screen), None, False
        for line in lines:
            more = console.push(line)
        results.write(json.dumps({"output": "".join(screen[start:]), "exc": console.exc,
                                  "open": more}) + "\n")
        results.flush()
'''


def clean_environment(page: Page, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k in INHERITED}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env.update(page.env)
    for name in page.redirects:
        target = tmp_path / name.lower()
        target.mkdir()
        env[name] = str(target)
    return env


def replay(page: Page, tmp_path: Path, timeout: float = 120) -> tuple[list[dict], str]:
    """Feed the page's copied lines to one fresh console; (results, stray output)."""
    examples_path, results_path = tmp_path / "examples.json", tmp_path / "results.jsonl"
    examples_path.write_text(json.dumps([ex.copied for ex in page.examples]))
    launch = f"exec({DRIVER!r}, {{'__name__': '_copied_snippets_driver'}})"
    done = subprocess.run(
        [sys.executable, "-c", launch, str(examples_path), str(results_path)],
        cwd=ROOT / page.folder, env=clean_environment(page, tmp_path),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    results = [json.loads(line) for line in results_path.read_text().splitlines()] \
        if results_path.exists() else []
    stray = done.stdout + done.stderr
    if done.returncode:
        stray += f"\n(the console exited with status {done.returncode})"
    return results, stray


def _short(text: str | None, limit: int = 600) -> str:
    shown = repr(text)
    return shown if len(shown) <= limit else shown[:limit] + "...'"


def mismatches(page: Page, results: list[dict]) -> list[str]:
    checker = doctest.OutputChecker()
    found = []
    for ex, got in zip(page.examples, results):
        where = f"{page.path}:{ex.line}"
        if got["open"]:
            found.append(f"{where}: the statement is still open after its last copied line "
                         "(end it with a bare `...` line, and not at the end of a block)")
            continue
        if got["exc"] is None:
            if ex.exc_msg is not None:
                found.append(f"{where}: expected {_short(ex.exc_msg)} got {_short(got['output'])}")
            elif not checker.check_output(ex.want, got["output"], ex.flags):
                found.append(f"{where}: expected {_short(ex.want)} got {_short(got['output'])}")
            continue
        if ex.exc_msg is None:
            found.append(f"{where}: expected {_short(ex.want)} got {_short(got['exc'])}")
        elif not (checker.check_output(ex.exc_msg, got["exc"], ex.flags) or (
                ex.flags & doctest.IGNORE_EXCEPTION_DETAIL and checker.check_output(
                    doctest._strip_exception_details(ex.exc_msg),
                    doctest._strip_exception_details(got["exc"]), ex.flags))):
            found.append(f"{where}: expected {_short(ex.exc_msg)} got {_short(got['exc'])}")
    if len(results) < len(page.examples):
        missing = page.examples[len(results)]
        found.append(f"{page.path}:{missing.line}: the console stopped before this example")
    return found


# --------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------

PAGES = pages_with_doctests()


def test_the_site_has_pages_with_doctests():
    assert {"overview", "application", "servers/index"} <= set(PAGES), PAGES


@pytest.mark.parametrize("name", PAGES)
def test_copied_blocks_replay_as_shown(name, tmp_path):
    page = read_page(name)
    assert not page.problems, "\n".join(page.problems)
    assert page.examples, f"{page.path}: no >>> example"
    results, stray = replay(page, tmp_path)
    problems = mismatches(page, results)
    if stray.strip():
        problems.append(f"{page.path}: printed outside sys.stdout and sys.stderr, "
                        f"or crashed: {_short(stray)}")
    assert not problems, "\n".join(problems)


# The checker itself, on small pages of its own: it must catch what a reader meets.

def fake_page(tmp_path, monkeypatch, text: str) -> Page:
    docs = tmp_path / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "demo.md").write_text(text)
    monkeypatch.setattr(sys.modules[__name__], "DOCS", docs)
    return read_page("demo")


def run_fake(tmp_path, monkeypatch, text: str) -> list[str]:
    page = fake_page(tmp_path, monkeypatch, text)
    assert not page.problems, page.problems
    work = tmp_path / "work"
    work.mkdir()
    results, stray = replay(page, work)
    assert not stray.strip(), stray
    return mismatches(page, results)


PROSE = "Start `python` in `.`:\n\n"


def test_a_name_from_hidden_setup_is_a_name_error(tmp_path, monkeypatch):
    problems = run_fake(tmp_path, monkeypatch, PROSE + "```{doctest}\n>>> os.sep\n'/'\n```\n")
    # The interpreter's own words: Python 3.12 added "Did you forget to
    # import 'os'", and 3.13 its question mark (the Django 6.1 series).
    hint = {(3, 11): "", (3, 12): ". Did you forget to import 'os'"}.get(
        sys.version_info[:2], ". Did you forget to import 'os'?")
    assert problems == ["docs/demo.md:4: expected \"'/'\\n\" got "
                        f"\"NameError: name 'os' is not defined{hint}\\n\""], problems


def test_a_compound_statement_without_a_bare_ellipsis_is_a_syntax_error(tmp_path, monkeypatch):
    problems = run_fake(tmp_path, monkeypatch, PROSE + (
        "```{doctest}\n>>> def f():\n...     return 1\n>>> f()\n1\n```\n"))
    assert problems[0].startswith("docs/demo.md:4: the statement is still open"), problems
    assert problems[1].startswith("docs/demo.md:6: expected '1\\n' got "), problems
    assert "SyntaxError" in problems[1] and len(problems) == 2, problems
    assert run_fake(tmp_path / "ok", monkeypatch, PROSE + (
        "```{doctest}\n>>> def f():\n...     return 1\n...\n>>> f()\n1\n```\n")) == []


def test_a_block_that_ends_open_breaks_the_next_block(tmp_path, monkeypatch):
    problems = run_fake(tmp_path, monkeypatch, PROSE + (
        "```{doctest}\n>>> for i in range(2):\n...     print(i)\n...\n0\n1\n```\n\n"
        "```{doctest}\n>>> print('next')\nnext\n```\n"))
    assert problems[0].startswith("docs/demo.md:4: the statement is still open"), problems


def test_output_and_tracebacks_compare_as_doctest_does(tmp_path, monkeypatch):
    assert run_fake(tmp_path, monkeypatch, PROSE + (
        "```{doctest}\n>>> import sys\n>>> print('a', 'long', 'line')\na ... line\n"
        ">>> print('to stderr', file=sys.stderr)\nto stderr\n"
        ">>> 1 / 0\nTraceback (most recent call last):\n  ...\n"
        "ZeroDivisionError: the detail is ignored\n```\n")) == []
    problems = run_fake(tmp_path / "bad", monkeypatch, PROSE + (
        "```{doctest}\n>>> 1 / 0\nTraceback (most recent call last):\n  ...\n"
        "ValueError: no\n>>> 2\n3\n```\n"))
    assert problems == [
        "docs/demo.md:4: expected 'ValueError: no\\n' got 'ZeroDivisionError: division by zero\\n'",
        "docs/demo.md:8: expected '3\\n' got '2\\n'"], problems


def test_the_console_starts_where_and_with_what_the_prose_says(tmp_path, monkeypatch):
    text = ("Start `python` in `tests/` with `DEMO_ONE=1` and `DEMO_KEY` set:\n\n"
            "```{testsetup}\nos.chdir(\"tests\")\nos.environ[\"DEMO_KEY\"] = \"x\"\n```\n\n"
            "```{doctest}\n>>> import os\n>>> os.getcwd().endswith('tests')\nTrue\n"
            ">>> os.environ['DEMO_ONE'], len(os.environ['DEMO_KEY']) > 20\n('1', True)\n"
            ">>> sorted(k for k in os.environ if k.startswith('DJANGO_'))\n[]\n```\n")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "inherited.settings")
    assert run_fake(tmp_path, monkeypatch, text) == []


def test_hidden_setup_may_only_do_what_the_prose_says(tmp_path, monkeypatch):
    page = fake_page(tmp_path, monkeypatch, (
        "Start `python` in `tests/`:\n\n```{testsetup}\nimport tempfile\nos.chdir(\"docs\")\n"
        "import django\ndjango.setup()\nos.environ[\"DJANGO_SECRET_KEY\"] = \"k\"\n"
        "os.environ[\"DJANGO_STATIC_ROOT\"] = tempfile.mkdtemp()\n```\n\n"
        "```{doctest}\n>>> 1\n1\n```\n"))
    assert [p.split(": ", 1)[1].split(":")[0] for p in page.problems] == [
        "hidden setup changes into another folder than the prose (tests/)",
        "hidden setup imports what a reader would have to import too",
        "hidden setup runs code that the reader does not see",
        "hidden setup sets what the prose does not tell the reader to set"], page.problems
    assert page.redirects == ["DJANGO_STATIC_ROOT"]


def test_a_page_must_say_where_to_start_python(tmp_path, monkeypatch):
    page = fake_page(tmp_path, monkeypatch, "Run this:\n\n```{doctest}\n>>> 1\n1\n```\n")
    assert page.problems and "Start `python` in" in page.problems[0]

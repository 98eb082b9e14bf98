"""Which test proves each code block of the site: the snippet inventory.

Every code block on an English page must be one of these kinds:

example   a ``literalinclude`` of a file under ``examples/<name>/``, where a
          test names that example: ``example("<name>")``,
          ``Example.named("<name>")``, ``EXAMPLES / "<name>"`` or a string
          holding ``examples/<name>``.
file      a ``literalinclude`` of another file of the repository (such as a
          table that ``make bench`` writes) whose path a test names.
doctest   a ``{doctest}``, ``{testcode}`` or ``{testoutput}`` block:
          ``make doctest`` runs it.
console   one ``$ `` command of a ``console`` fence that a test runs. A test
          declares it by calling ``command(page, startswith)`` from
          docs/_tools/page_commands.py with arguments read from its source:
          literal strings, module-level string constants, names filled by
          ``@pytest.mark.parametrize`` or by ``for NAME in ("a", "b")``, and
          f-strings made of these. ``commands(page)`` (all of a page's
          commands) declares nothing: say which ones the test runs.
install   a ``$ pip install ...`` command: each package it names (and every
          package its extras pull in) is pinned in requirements.txt, so the
          tests ran against exactly what it installs.

Anything else, a console fence without a ``$ `` line, or a command no test
runs, is "uncovered" and fails ``make snippets`` and tests/test_snippets.py
with its page and line.

    python docs/_tools/snippets.py [DOCTREE_DIR]

builds the English doctrees into DOCTREE_DIR (default _build/snippets/doctrees)
with the ``dummy`` builder, prints the inventory as a table and exits 1 when
a block is uncovered.
"""

from __future__ import annotations

import ast
import importlib.metadata
import pickle
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes
from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TESTS = ROOT / "tests"
REQUIREMENTS = ROOT / "requirements.txt"
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The doctrees hold nodes of the project's own extensions: unpickling needs them.
sys.path.insert(0, str(DOCS / "_ext"))

import page_commands  # noqa: E402

DOCTEST_NODES = {"doctest", "testcode", "testoutput"}
INSTALL = re.compile(r"^(python3? -m )?pip3? install ")


@dataclass(frozen=True)
class Snippet:
    page: str          # docname, e.g. "servers/uvicorn"
    line: int          # 1-based line in `source`
    source: str        # the file the block is written in, relative to ROOT
    kind: str          # example, file, doctest, console, install or uncovered
    covered_by: str    # what proves it, or why nothing does
    text: str = ""

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"

    @property
    def covered(self) -> bool:
        return self.kind != "uncovered"


# --------------------------------------------------------------------------
# What the tests declare
# --------------------------------------------------------------------------

@dataclass
class TestDeclarations:
    """What the test files say they exercise, read from their source."""

    commands: dict          # (page, startswith) -> ["tests/test_x.py:12", ...]
    examples: dict          # example name -> ["tests/test_x.py", ...]
    paths: dict             # repository path -> ["tests/test_x.py", ...]
    problems: list          # calls to command() whose arguments cannot be read


def _strings(node, constants: dict, params: dict) -> list[str] | None:
    """The string values an expression can take, or None if unknown."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name):
        if node.id in params:
            return params[node.id]
        if node.id in constants:
            return constants[node.id]
    if isinstance(node, ast.JoinedStr):  # f"uvicorn {app}"
        values = [""]
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                options = _strings(part.value, constants, params)
                if options is None or part.format_spec is not None or part.conversion != -1:
                    return None
            else:
                options = [part.value]
            values = [v + o for v in values for o in options]
        return values
    return None


def _module_constants(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level NAME = "text" assignments."""
    constants = {}
    for stmt in tree.body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)):
            constants[stmt.targets[0].id] = [stmt.value.value]
    return constants


def _module_lists(tree: ast.Module) -> dict[str, ast.AST]:
    return {stmt.targets[0].id: stmt.value for stmt in tree.body
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and isinstance(stmt.value, (ast.List, ast.Tuple))}


def _loop_names(func: ast.AST, lists: dict) -> dict[str, list[str]]:
    """Names bound by `for NAME in ("a", "b")` (a loop or a comprehension)."""
    names: dict[str, list[str]] = {}
    for node in ast.walk(func):
        if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name):
            values = node.iter
            if isinstance(values, ast.Name):
                values = lists.get(values.id)
            if isinstance(values, (ast.List, ast.Tuple)) and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in values.elts):
                names.setdefault(node.target.id, []).extend(e.value for e in values.elts)
    return names


def _parametrized(func: ast.AST, lists: dict) -> dict[str, list[str]]:
    """Names filled by @pytest.mark.parametrize with literal string values."""
    params: dict[str, list[str]] = _loop_names(func, lists)
    for deco in getattr(func, "decorator_list", []):
        if not (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute)
                and deco.func.attr == "parametrize" and len(deco.args) >= 2):
            continue
        names_node, values = deco.args[0], deco.args[1]
        if isinstance(names_node, ast.Constant) and isinstance(names_node.value, str):
            names = [n.strip() for n in names_node.value.split(",") if n.strip()]
        elif isinstance(names_node, (ast.List, ast.Tuple)):
            names = [e.value for e in names_node.elts if isinstance(e, ast.Constant)]
        else:
            continue
        if isinstance(values, ast.Name):
            values = lists.get(values.id)
        if not isinstance(values, (ast.List, ast.Tuple)):
            continue
        for row in values.elts:
            if (isinstance(row, ast.Call) and getattr(row.func, "attr", "") == "param"):
                row = ast.Tuple(elts=row.args) if len(names) > 1 else row.args[0]
            cells = row.elts if len(names) > 1 and isinstance(row, (ast.List, ast.Tuple)) else [row]
            for name, cell in zip(names, cells):
                if isinstance(cell, ast.Constant) and isinstance(cell.value, str):
                    params.setdefault(name, []).append(cell.value)
    return params


def read_tests(tests_dir: Path = TESTS) -> TestDeclarations:
    found = TestDeclarations({}, {}, {}, [])
    for path in sorted(tests_dir.glob("*.py")):
        name = path.relative_to(tests_dir.parent).as_posix()
        tree = ast.parse(path.read_text(), str(path))
        constants, lists = _module_constants(tree), _module_lists(tree)
        # Which function each call sits in decides the parametrize names.
        scopes = [(tree, {})] + [
            (fn, _parametrized(fn, lists)) for fn in ast.walk(tree)
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))]
        wrappers, inside = _wrappers(tree)
        seen = set(inside)  # command(page, startswith) inside a wrapper: see its callers
        for scope, params in reversed(scopes):  # innermost functions first
            for node in ast.walk(scope):
                if id(node) in seen:
                    continue
                seen.add(id(node))
                _read_node(node, name, constants, params, found, wrappers)
    return found


def _called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")


def _wrappers(tree: ast.Module) -> tuple[dict[str, tuple[int, int]], set[int]]:
    """Helpers such as ``def argv_for(page, startswith, port): ... command(page, startswith)``.

    A call ``argv_for("servers/uvicorn", "uvicorn ", port)`` then declares that
    command, as if the test had called ``command`` itself.
    """
    wrappers, inside = {}, set()
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        names = [a.arg for a in fn.args.args]
        for node in ast.walk(fn):
            if (isinstance(node, ast.Call) and _called(node) == "command"
                    and len(node.args) == 2
                    and all(isinstance(a, ast.Name) and a.id in names for a in node.args)):
                wrappers[fn.name] = (names.index(node.args[0].id), names.index(node.args[1].id))
                inside.add(id(node))
    return wrappers, inside


def _read_node(node, name, constants, params, found: TestDeclarations, wrappers=None):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        for match in re.finditer(r"examples/([A-Za-z0-9_]+)", node.value):
            found.examples.setdefault(match.group(1), []).append(name)
        if "/" in node.value and not node.value.startswith(("http", "/")):
            found.paths.setdefault(node.value.strip("/"), []).append(name)
    if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
            and isinstance(node.left, ast.Name) and node.left.id.endswith("EXAMPLES")):
        for value in _strings(node.right, constants, params) or []:
            found.examples.setdefault(value.split("/")[0], []).append(name)
    if not isinstance(node, ast.Call):
        return
    func = node.func
    called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if called in ("example", "named") and node.args:
        for value in _strings(node.args[0], constants, params) or []:
            found.examples.setdefault(value, []).append(name)
    if called in (wrappers or {}):
        positions = wrappers[called]
        if len(node.args) <= max(positions):
            return
        args = [node.args[i] for i in positions]
    elif called == "command":
        args = list(node.args[:2])
        keywords = {k.arg: k.value for k in node.keywords}
        args += [keywords[k] for k in ("page", "startswith")[len(args):] if k in keywords]
        if len(args) != 2:
            return
    if called == "command" or called in (wrappers or {}):
        pages, starts = (_strings(a, constants, params) for a in args)
        if pages is None or starts is None:
            found.problems.append(
                f"{name}:{node.lineno}: {called}() with arguments that are neither "
                "literal strings, module-level constants, parametrize or for-loop values")
            return
        if len(pages) == len(starts) and len(pages) > 1:
            pairs = zip(pages, starts)  # filled row by row by one parametrize
        else:
            pairs = ((p, s) for p in pages for s in starts)
        for pair in pairs:
            found.commands.setdefault(pair, []).append(f"{name}:{node.lineno}")


# --------------------------------------------------------------------------
# Install commands
# --------------------------------------------------------------------------

def read_pins(path: Path = REQUIREMENTS) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line, _, marker = line.split("#")[0].strip().partition(";")
        if marker and not Marker(marker).evaluate():
            continue  # a pin for another Python (Sphinx has one per version)
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


def check_install(text: str, pins: dict[str, str]) -> tuple[bool, str]:
    """(covered, explanation) for a ``pip install`` command."""
    args = shlex.split(text)
    args = args[args.index("install") + 1:]
    if args[:2] == ["-r", "requirements.txt"]:
        return True, "installs requirements.txt itself"
    named = [a for a in args if not a.startswith("-")]
    options = [a for a in args if a.startswith("-")]
    if options or not named:
        return False, f"pip install with options {options} or no package: no test covers it"
    notes, missing = [], []
    for arg in named:
        req = Requirement(arg)
        key = canonicalize_name(req.name)
        if key not in pins:
            missing.append(f"{req.name} is not pinned in requirements.txt")
            continue
        if req.specifier and not req.specifier.contains(pins[key]):
            missing.append(f"{arg} does not allow the pinned {req.name}=={pins[key]}")
            continue
        notes.append(f"{req.name}=={pins[key]}")
        for extra in sorted(req.extras):
            for dep in _extra_requirements(req.name, extra):
                if canonicalize_name(dep) not in pins:
                    missing.append(f"{req.name}[{extra}] pulls in {dep}, "
                                   "which is not pinned in requirements.txt")
    if missing:
        return False, "; ".join(missing)
    return True, "requirements.txt pins " + ", ".join(notes)


def _extra_requirements(dist: str, extra: str) -> list[str]:
    env = default_environment()
    deps = []
    for line in importlib.metadata.requires(dist) or []:
        req = Requirement(line)
        if req.marker and req.marker.evaluate({**env, "extra": extra}) \
                and not req.marker.evaluate({**env, "extra": ""}):
            deps.append(req.name)
    return deps


# --------------------------------------------------------------------------
# The inventory
# --------------------------------------------------------------------------

def build_doctrees(doctree_dir: Path, docs: Path = DOCS, conf_dir: Path = ROOT) -> None:
    """Build (or bring up to date) the English doctrees."""
    out = doctree_dir.parent / "dummy"
    subprocess.run(
        [str(Path(sys.executable).parent / "sphinx-build"), "-b", "dummy", "-q",
         "-c", str(conf_dir), "-D", "language=en", "-d", str(doctree_dir),
         str(docs), str(out)],
        check=True)


def _relative(path: str | None, root: Path) -> str:
    if not path:
        return "?"
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return path


def inventory(doctree_dir: Path, root: Path = ROOT, tests: TestDeclarations | None = None,
              pins: dict | None = None) -> list[Snippet]:
    tests = tests if tests is not None else read_tests(root / "tests")
    pins = pins if pins is not None else read_pins(root / "requirements.txt")
    snippets = []
    for path in sorted(doctree_dir.rglob("*.doctree")):
        page = path.relative_to(doctree_dir).with_suffix("").as_posix()
        doctree = pickle.loads(path.read_bytes())
        for node in doctree.findall(lambda n: isinstance(n, (nodes.literal_block,
                                                             nodes.doctest_block))):
            snippets.extend(classify(page, node, root, tests, pins))
    return snippets


def classify(page, node, root, tests: TestDeclarations, pins) -> list[Snippet]:
    source = _relative(node.source, root)
    line = node.line or 0
    text = node.astext()

    def one(kind, covered_by):
        return [Snippet(page, line, source, kind, covered_by, text)]

    if node.get("testnodetype") in DOCTEST_NODES:
        return one("doctest", "make doctest")
    if isinstance(node, nodes.doctest_block):
        return one("uncovered", "a plain >>> block: doctest does not run it; "
                                "use a {doctest} block")
    included = node.get("source")
    if included:
        target = _relative(included, root)
        parts = target.split("/")
        if parts[0] == "examples" and len(parts) > 2:
            users = sorted(set(tests.examples.get(parts[1], [])))
            if users:
                return one("example", ", ".join(users))
            return one("uncovered", f"no test uses examples/{parts[1]}/ "
                                    f"(shows {target})")
        users = sorted(set(tests.paths.get(target, [])))
        if users:
            return one("file", f"{target}: " + ", ".join(users))
        return one("uncovered", f"no test names {target}")
    if node.get("language") == "console":
        return _console(page, node, source, line, root, tests, pins)
    language = node.get("language", "none")
    return one("uncovered", f"a {language!r} code block that nothing runs; "
                            "include it from examples/ or make it a doctest")


def _console(page, node, source, line, root, tests, pins) -> list[Snippet]:
    # The page's own commands, with their lines, as tests read them.
    if source.startswith("docs/") and source.endswith(".md"):
        origin = source[len("docs/"):-len(".md")]
        shown = [c for c in page_commands.commands(origin)
                 if line < c.line <= line + node.astext().count("\n") + 2]
    else:
        origin, shown = page, []
    if not shown:
        return [Snippet(page, line, source, "uncovered",
                        "a console block without a `$ ` command", node.astext())]
    run_by = {}
    for (cmd_page, startswith), where in tests.commands.items():
        if cmd_page != origin:
            continue
        try:
            found = page_commands.command(cmd_page, startswith)
        except LookupError:
            continue
        run_by.setdefault(found.line, []).extend(where)
    result = []
    for cmd in shown:
        if cmd.line in run_by:
            result.append(Snippet(page, cmd.line, source, "console",
                                  ", ".join(sorted(set(run_by[cmd.line]))), cmd.text))
        elif INSTALL.match(cmd.text):
            ok, why = check_install(cmd.text, pins)
            result.append(Snippet(page, cmd.line, source, "install" if ok else "uncovered",
                                  why, cmd.text))
        else:
            start = " ".join(cmd.text.split()[:2])
            result.append(Snippet(page, cmd.line, source, "uncovered",
                                  f"no test declares `{cmd.text[:50]}`: call "
                                  f"command({origin!r}, {start!r}) in the test that runs it",
                                  cmd.text))
    return result


def stale_declarations(tests: TestDeclarations) -> list[str]:
    """Tests that name a command no page shows (or shows twice)."""
    stale = []
    for (page, startswith), where in sorted(tests.commands.items()):
        try:
            page_commands.command(page, startswith)
        except (LookupError, FileNotFoundError) as error:
            stale.append(f"{', '.join(where)}: {error}")
    return stale + tests.problems


def table(snippets: list[Snippet]) -> str:
    rows = [("page", "line", "kind", "covered by")]
    for s in snippets:
        where = str(s.line) if s.source == f"docs/{s.page}.md" else f"{s.line} ({s.source})"
        rows.append((s.page, where, s.kind, s.covered_by))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[3])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 10)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    doctree_dir = Path(argv[0] if argv else ROOT / "_build" / "snippets" / "doctrees")
    build_doctrees(doctree_dir)
    snippets = inventory(doctree_dir)
    print(table(snippets))
    kinds = {}
    for s in snippets:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    print("\n" + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    problems = [f"{s.where}: {s.covered_by}" for s in snippets if not s.covered]
    problems += stale_declarations(read_tests())
    for problem in problems:
        print(f"snippets: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Every code block on every page is proven by a test (docs/_tools/snippets.py).

`make snippets` prints the same inventory as a table.
"""

import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))

import page_commands  # noqa: E402
import snippets  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    doctrees = tmp_path_factory.mktemp("snippets") / "doctrees"
    snippets.build_doctrees(doctrees)
    return snippets.inventory(doctrees)


def test_every_code_block_on_the_site_is_covered(site):
    uncovered = [f"{s.where} ({s.page}): {s.covered_by}" for s in site if not s.covered]
    assert not uncovered, "code blocks no test proves:\n" + "\n".join(uncovered)


def test_the_site_has_code_blocks_of_each_proven_kind(site):
    kinds = {s.kind for s in site}
    assert {"example", "doctest"} <= kinds, kinds


def test_every_command_a_test_names_is_on_its_page():
    stale = snippets.stale_declarations(snippets.read_tests())
    assert not stale, "\n".join(stale)


# The checker itself, on a small site of its own: it must catch what is not run.

PAGE = """\
# Demo

```{literalinclude} ../examples/demo/app.py
```

```{literalinclude} ../examples/other/app.py
```

```python
print("never run")
```

```console
$ pip install uvicorn
$ pip install unpinned-package
$ pip install "uvicorn[standard]"
$ demo-server --port 8000
$ demo-server --help
$ other-tool one
$ other-tool two
$ third-tool run
```

```console
output without a prompt
```
"""

TEST_FILE = '''\
from page_commands import command

PAGE = "index"

def test_server(example):
    example("demo")
    command(PAGE, "demo-server --port")

def test_other_tool():
    for word in ("one", "two"):
        command(PAGE, f"other-tool {word}")

def argv_for(page, startswith, port):
    return command(page, startswith).with_port(port).split()

def test_third_tool():
    argv_for(PAGE, "third-tool", 8001)
'''


def test_checker_reports_what_no_test_runs(tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(PAGE)
    (tmp_path / "conf.py").write_text('extensions = ["myst_parser"]\n')
    for name in ("demo", "other"):
        (tmp_path / "examples" / name).mkdir(parents=True)
        (tmp_path / "examples" / name / "app.py").write_text("app = None\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_demo.py").write_text(TEST_FILE)
    monkeypatch.setattr(page_commands, "DOCS", tmp_path / "docs")

    snippets.build_doctrees(tmp_path / "doctrees", tmp_path / "docs", tmp_path)
    found = snippets.inventory(tmp_path / "doctrees", root=tmp_path,
                               tests=snippets.read_tests(tmp_path / "tests"),
                               pins={"uvicorn": "0.54.0"})
    got = [(s.line, s.kind) for s in found]
    assert got == [
        (3, "example"),      # examples/demo is named by a test
        (6, "uncovered"),    # examples/other is not
        (9, "uncovered"),    # a python fence nothing runs
        (14, "install"),     # uvicorn is pinned
        (15, "uncovered"),   # unpinned-package is not
        (16, "uncovered"),   # the extra's dependencies are not pinned
        (17, "console"),     # a test calls command("index", "demo-server --port")
        (18, "uncovered"),   # no test runs --help
        (19, "console"),     # command(PAGE, f"other-tool {word}") in a for loop
        (20, "console"),
        (21, "console"),     # declared through a helper that calls command()
        (24, "uncovered"),   # a console block with no command
    ], snippets.table(found)
    assert found[6].covered_by == "tests/test_demo.py:7"
    assert found[10].covered_by == "tests/test_demo.py:17"
    assert "uvloop" in found[5].covered_by or "httptools" in found[5].covered_by


NESTED_PAGE = """\
# Nested

````{note}
Inside a directive fenced with backticks:

```console
$ nested-tool run
```
````

:::{tip}
```console
$ colon-tool run
```
:::
"""

NESTED_TEST = '''\
from page_commands import command

def test_nested():
    command("index", "nested-tool run")
    command("index", "colon-tool run")
'''


def test_a_console_block_inside_a_directive_can_be_declared(tmp_path, monkeypatch):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(NESTED_PAGE)
    (tmp_path / "conf.py").write_text(
        'extensions = ["myst_parser"]\nmyst_enable_extensions = ["colon_fence"]\n')
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_nested.py").write_text(NESTED_TEST)
    monkeypatch.setattr(page_commands, "DOCS", tmp_path / "docs")

    assert [(c.line, c.text) for c in page_commands.commands("index")] == [
        (7, "nested-tool run"), (13, "colon-tool run")]
    snippets.build_doctrees(tmp_path / "doctrees", tmp_path / "docs", tmp_path)
    found = snippets.inventory(tmp_path / "doctrees", root=tmp_path,
                               tests=snippets.read_tests(tmp_path / "tests"), pins={})
    assert [(s.line, s.kind) for s in found] == [(7, "console"), (13, "console")], \
        snippets.table(found)

"""Every example's asgi.py is shown on a page, and that page's doctests run it.

A page "runs" an example when its doctests change into the example's folder
and import ``mysite.asgi``. `make doctest` then executes them.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = sorted(p.parent.parent.name for p in (ROOT / "examples").glob("*/mysite/asgi.py"))
PAGES = {p: p.read_text() for p in DOCS.rglob("*.md") if "_" not in p.parts[-2][:1]}


def shows(page_text: str, example: str) -> bool:
    return re.search(
        rf"```{{literalinclude}} (\.\./)+examples/{example}/mysite/asgi\.py\n", page_text
    ) is not None


def runs(page_text: str, example: str) -> bool:
    doctests = re.findall(r"```\{(?:doctest|testcode)\}\n(.*?)```", page_text, re.S)
    return (f'os.chdir("examples/{example}")' in page_text
            and any("from mysite.asgi import application" in block for block in doctests))


def test_every_example_has_an_asgi_py():
    assert set(EXAMPLES) >= {"startproject", "settings", "middleware", "embedding",
                             "async_safety", "servers"}


@pytest.mark.parametrize("example", EXAMPLES)
def test_asgi_py_is_shown_and_run_by_a_page(example):
    pages = [p.relative_to(DOCS).as_posix() for p, text in PAGES.items()
             if shows(text, example) and runs(text, example)]
    assert pages, (f"examples/{example}/mysite/asgi.py: no page both shows it with "
                   f"literalinclude and imports it in a doctest")

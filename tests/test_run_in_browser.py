"""Run, in Chromium: each runnable doctest block runs in the reader's browser.

Every page of conf.py's ``run_in_browser_pages``, in both languages, is
opened in the published site (tests/test_browser.py's server and Chromium);
the reader presses Run on its last runnable block, which runs every block up
to it in a Web Worker with Pyodide, the site's wheels and the example's
files, and the output each block shows is compared, example by example,
with what the page's doctest expects (doctest's own comparison, with the
flags ``make doctest`` uses). One browser context, as one reader: the first
run fetches the runtime and makes Python's memory snapshot, the others find
both in the browser's cache. Nothing may come from another origin, and no page loads
any of the runtime before Run.
"""

import ast
import doctest
import re
import sys
import time
from pathlib import Path

import pytest

from playwright.sync_api import sync_playwright
from test_browser import SITE, Watch, site  # noqa: F401
from chromium import ChromiumMissing, launch  # noqa: E402  (test_browser puts docs/_tools on the path)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
from run_in_browser import example_of, runnable  # noqa: E402
from sphinx.errors import ExtensionError  # noqa: E402

FENCE = re.compile(r"^```\{(doctest|testsetup)\}[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
# sphinx.ext.doctest's default doctest_default_flags (conf.py keeps them).
FLAGS = doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL | doctest.DONT_ACCEPT_TRUE_FOR_1
RUN_TIMEOUT = 90_000  # ms; a loaded CI machine
AT_ONCE = 3  # pages run side by side, once the runtime and the snapshot are cached
DONE = """last => {
    const bar = document.querySelector('#' + last).nextElementSibling;
    return !bar.querySelector('button').disabled && bar.querySelector('.run-status').textContent;
}"""


def conf_value(name: str):
    """A literal of conf.py, read without running conf.py."""
    for node in ast.parse((ROOT / "conf.py").read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"conf.py sets no {name}")


PAGES = conf_value("run_in_browser_pages")
NOT_PAGES = conf_value("run_in_browser_not")


def doctest_blocks(page: str) -> list[str]:
    """The {doctest} blocks of docs/PAGE.md, as make doctest reads them."""
    text = (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")
    return ["".join(line for line in body.splitlines(keepends=True) if not line.startswith(":"))
            for kind, body in FENCE.findall(text) if kind == "doctest"]


def runnable_blocks(page: str) -> dict[int, str]:
    return {n: block for n, block in enumerate(doctest_blocks(page), 1) if runnable(block)}


def exception_message(output: str) -> str:
    """What doctest compares of a traceback: the lines after its last frame."""
    lines = output.splitlines(keepends=True)
    start = max((i for i, line in enumerate(lines) if line.startswith(" ")), default=0) + 1
    return "".join(lines[start:])


def mismatches(page: str, number: int, expected: str, shown: list[tuple[str, str]]) -> list[str]:
    """Where the (source, output) pairs shown differ from the block's doctest."""
    checker = doctest.OutputChecker()
    examples = doctest.DocTestParser().get_examples(expected)
    problems = []
    if [e.source for e in examples] != [source for source, _ in shown]:
        return [f"{page} block {number}: ran {[s for s, _ in shown]}, expected "
                f"{[e.source for e in examples]}"]
    for example, (source, got) in zip(examples, shown):
        if example.exc_msg is not None:  # as doctest compares exceptions, with these flags
            strip = doctest._strip_exception_details
            ok = got.startswith("Traceback (most recent call last):") and checker.check_output(
                strip(example.exc_msg), strip(exception_message(got)), FLAGS)
        else:
            ok = checker.check_output(example.want, got, FLAGS)
        if not ok:
            problems.append(f"{page} block {number}: {source.strip()!r}\n"
                            f"  expected: {example.want!r}\n  shown:    {got!r}")
    return problems


def shown_examples(page, number: int) -> list[tuple[str, str]]:
    """(source, output) of each example in the output area below block ``number``,
    as the reader sees them: the prompts taken off the source again."""
    output = page.locator(f"#run-block-{number} ~ [data-run-output]").first
    assert output.is_visible(), f"block {number}: no output shown"
    pairs = []
    for example in output.locator(".run-example").all():
        source = example.locator(".run-source").text_content()
        code = "".join(line[4:] + "\n" for line in source.splitlines())
        pairs.append((code, example.locator(".run-got").text_content()))
    return pairs


def press_run(page, number: int):
    page.locator(f"#run-block-{number} + .run-bar button").click()


def status_of(page, number: int) -> str:
    return page.locator(f"#run-block-{number} + .run-bar .run-status").text_content()


def wait_done(page, number: int) -> str:
    page.wait_for_function(DONE, arg=f"run-block-{number}", timeout=RUN_TIMEOUT)
    return status_of(page, number)


@pytest.fixture(scope="module")
def browser():
    """test_browser.py's Chromium, running WebAssembly with its baseline
    compiler only: a Run's Python is done before the optimizing compiler
    would pay for itself, and the 18 runs take about a third less CPU."""
    with sync_playwright() as playwright:
        try:
            browser = launch(playwright, "--js-flags=--liftoff-only")
        except ChromiumMissing as error:
            pytest.fail(str(error))
        yield browser
        browser.close()


def test_every_doctest_page_runs_in_the_browser_or_says_why_not():
    names = [p.relative_to(ROOT / "docs").with_suffix("") for p in (ROOT / "docs").rglob("*.md")]
    pages = sorted(name.as_posix() for name in names
                   if not any(part.startswith("_") for part in name.parts)
                   and doctest_blocks(name.as_posix()))
    assert not set(PAGES) & set(NOT_PAGES)
    assert sorted(set(PAGES) | set(NOT_PAGES)) == pages, (
        "each doctest page goes in conf.py's run_in_browser_pages, or in run_in_browser_not "
        "with the error it ends in in the browser")
    for page in PAGES:
        assert runnable_blocks(page), f"{page}: listed, but none of its doctest blocks can run"


def test_only_the_runnable_blocks_get_a_run_button():
    for folder in ("en", "zh_CN"):
        for html in sorted((SITE / folder).rglob("*.html")):
            page = html.relative_to(SITE / folder).with_suffix("").as_posix()
            text = html.read_text(encoding="utf-8")
            marked = {int(n) for n in re.findall(r'id="run-block-(\d+)"', text)}
            expected = set(runnable_blocks(page)) if page in PAGES else set()
            assert marked == expected, f"{folder}/{page}: Run on blocks {marked}, not {expected}"
            assert ('id="run-in-browser"' in text) == bool(expected), f"{folder}/{page}"


def test_a_listed_page_whose_example_is_missing_names_its_file(tmp_path):
    (tmp_path / "startproject").mkdir()
    assert example_of('os.chdir("examples/startproject")', "docs/x.md", tmp_path) == "startproject"
    with pytest.raises(ExtensionError, match=r"^docs/x\.md: its \{testsetup\} changes into "
                                             r"examples/missing/, which does not exist"):
        example_of('os.chdir("examples/missing")', "docs/x.md", tmp_path)
    with pytest.raises(ExtensionError, match=r"^docs/x\.md: run_in_browser_pages lists this page, "
                                             r"but its \{testsetup\} does not change into"):
        example_of('os.chdir("elsewhere")', "docs/x.md", tmp_path)


@pytest.fixture(scope="module")
def runs(browser, site):
    """One reader, in one browser context: every page opened in both
    languages, then Run pressed on its last runnable block, the first page
    alone (it fills the cache), then AT_ONCE pages at a time.
    -> {(folder, page): (tab, watch, status)}."""
    started = time.monotonic()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch = Watch(context, site)
    tabs = []
    for folder in ("en", "zh_CN"):
        for page in PAGES:
            tab = context.new_page()
            # Each navigation starts from a timer, so that none waits for the others.
            tab.evaluate("url => { setTimeout(() => { location.href = url; }, 0); }",
                         f"{site}/{folder}/{page}.html")
            tabs.append(((folder, page), tab))
    for (folder, page), tab in tabs:
        tab.wait_for_url(f"{site}/{folder}/{page}.html")
        tab.wait_for_load_state("load")
    watch.wait_until_quiet(tabs[-1][1])
    before_run = [r.url for r in watch.requests if "/_runner/" in r.url]
    assert before_run == [], f"pages loaded the runner before Run: {before_run}"
    done, waiting, running = {}, list(tabs), []
    first = waiting.pop(0)
    press_run(first[1], max(runnable_blocks(first[0][1])))
    done[first[0]] = (first[1], watch, wait_done(first[1], max(runnable_blocks(first[0][1]))))
    while waiting or running:  # then AT_ONCE at a time, the next as soon as one ends
        while waiting and len(running) < AT_ONCE:
            (folder, page), tab = waiting.pop(0)
            press_run(tab, max(runnable_blocks(page)))
            running.append(((folder, page), tab))
        for (folder, page), tab in list(running):
            last = max(runnable_blocks(page))
            if tab.evaluate(DONE, f"run-block-{last}"):
                running.remove(((folder, page), tab))
                done[folder, page] = (tab, watch, status_of(tab, last))
        if running:
            running[0][1].wait_for_timeout(100)
        assert time.monotonic() - started < RUN_TIMEOUT / 1000 * 3, f"still running: {running}"
    yield done
    context.close()


@pytest.mark.parametrize("folder", ["en", "zh_CN"])
def test_run_shows_what_each_doctest_expects(runs, folder):
    problems = []
    for page in PAGES:
        tab, watch, status = runs[folder, page]
        for number, block in runnable_blocks(page).items():
            problems += mismatches(f"{folder}/{page}", number, block, shown_examples(tab, number))
    assert problems == [], "\n".join(problems)
    for page in PAGES:
        tab, watch, status = runs[folder, page]
        watch.assert_clean()


def test_the_runtime_comes_from_the_site_once_then_from_the_cache(runs, site):
    tab, watch, _ = runs["en", PAGES[0]]
    fetched = [r.url for r in watch.requests if r.url.startswith(f"{site}/_runner/")]
    for big in ("pyodide.asm.wasm", "python_stdlib.zip", "site-packages-"):
        assert sum(big in url for url in fetched) == 1, (big, fetched)
    watch.assert_clean()  # nothing from another origin


def test_an_edited_block_shows_the_edited_result(runs):
    tab, watch, _ = runs["en", "middleware"]
    pre = tab.locator("#run-block-1 pre")
    text = pre.inner_text()
    old = 'response.headers.get_list("server-timing")'
    assert old in text
    pre.fill(text.replace(old, 'response.headers.get_list("content-type")'))
    press_run(tab, 1)
    wait_done(tab, 1)
    shown = dict(shown_examples(tab, 1))
    edited = '[metric.split(";")[0] for metric in response.headers.get_list("content-type")]\n'
    assert shown[edited] == "['text/plain']\n", shown
    watch.assert_clean()

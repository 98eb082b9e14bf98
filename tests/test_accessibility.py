"""Every page of the site in Chromium, loaded once with an empty cache:
what its first load costs (bytes, gzip and raw, and requests, all from
this origin), and axe-core on it in both colour schemes, on a desktop and
on a 390 px phone.

axe-core is the copy that axe-playwright-python bundles (no download). The
site, the browser and the page watch are tests/test_browser.py's; this file
is apart from it so that `make pytest` runs it beside the other browser
tests: loading every page and running axe on it is the slowest check of
the suite, so it is done once for the three tests that read it, in two
halves: the English pages (with the root's) in TestEnglishHalf, and the
Chinese ones in TestChineseHalf. pytest-xdist (the Makefile's --dist
loadscope) keeps a class's tests together, and gives the two classes to two
workers, which load the halves side by side.
"""

import functools
import gzip
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import pytest
from axe_playwright_python.base import AXE_SCRIPT

from test_browser import (DESKTOP, PHONE, SITE, Watch, browser, same_page_in,  # noqa: F401
                          site, site_pages)


AXE_COLOUR_RULES = ["color-contrast", "link-in-text-block"]
COLOUR = {"runOnly": {"type": "rule", "values": AXE_COLOUR_RULES}}
NOT_COLOUR = {"rules": {rule: {"enabled": False} for rule in AXE_COLOUR_RULES}}
AXE_AT_ONCE = 3  # pages loaded and checked side by side, each in a browser context of its own
# Budgets for one page's first load, empty cache: the heaviest pages
# weighed 61 KB gzip in 18 requests when these were set (most 36-50 KB in
# 15-16). The search pages load the search index besides.
GZIP_BUDGET = 64 * 1024
REQUEST_BUDGET = 18
SEARCH_GZIP_BUDGET = 96 * 1024
SEARCH_REQUEST_BUDGET = 20
WIDE_TABLE_PAGE = "en/choosing-a-server.html"  # a table wider than a phone, narrower than a desktop
COMPRESSED_TYPES = {"application/javascript", "application/json", "image/svg+xml",
                    "application/xml", "application/manifest+json"}
CODE_BLOCK = re.compile(r'<div class="highlight"><pre[^>]*>(.*?)</pre></div>', re.S)


def code_blocks(path: str) -> list[str]:
    return CODE_BLOCK.findall((SITE / path).read_text(encoding="utf-8"))


CHROME_COLOUR_PAGES = {"en/index.html", "en/servers/uvicorn.html",
                       "zh_CN/index.html", "zh_CN/servers/uvicorn.html"}
HIGHLIGHTED_LINE = re.compile(r'<span class="hll">(.*?)</span>\n?', re.S)
TOKEN = re.compile(r'<span class="([a-z0-9]+)">')


def code_colours(path: str) -> set[str]:
    """The kinds of token in a page's code blocks: each is drawn in the one
    colour of its class over the code background (or, as "hll:" + class,
    over the background of a highlighted line)."""
    kinds = set()
    for block in code_blocks(path):
        for line in HIGHLIGHTED_LINE.findall(block):
            kinds |= {"hll:" + kind for kind in TOKEN.findall(line)}
        kinds |= set(TOKEN.findall(HIGHLIGHTED_LINE.sub("", block)))
    return kinds


@functools.cache
def code_colour_pages() -> frozenset[str]:
    """A few pages whose code blocks hold between them every kind of token on
    the site, picked greedily (the page with most kinds not yet held first)."""
    left = {path: code_colours(path) for path in site_pages() if path != "index.html"}
    wanted, picked = set().union(*left.values()), set()
    while wanted:
        path = max(sorted(left), key=lambda p: len(left[p] & wanted))
        picked.add(path)
        wanted -= left.pop(path)
    return frozenset(picked)


def axe_runs(path: str) -> list[tuple]:
    """(scheme, viewport, scope, options) of each axe run on ``path``.

    furo changes only the layout with the width, never a colour (there is no
    colour in its max-width media queries), and only colours with the
    scheme. So every rule runs on the whole page in the light desktop view
    and in the dark phone view, and the colour rules run in the two other
    views on what only they show: the sidebars in dark on a desktop, the
    header in light on a phone. Colour contrast is most of axe's time, and
    most of that goes to the tokens of code blocks, where a token's colours
    depend only on its kind: the colour rules check code blocks on the few
    pages of code_colour_pages(), which hold every kind of token there is,
    and leave them out elsewhere. Likewise the sidebars and the phone's
    header are the same on every page of a language but for which links are
    current (the same classes on every page): the colour rules check them in
    the two other views on CHROME_COLOUR_PAGES, a top page and a page one
    folder down in each language."""
    if path in code_colour_pages():  # every rule at once
        whole = [("light", DESKTOP, None, {}), ("dark", PHONE, None, {})]
    else:
        whole = [("light", DESKTOP, None, NOT_COLOUR),
                 ("light", DESKTOP, {"exclude": [["div.highlight"]]}, COLOUR),
                 ("dark", PHONE, None, NOT_COLOUR),
                 ("dark", PHONE, {"exclude": [["div.highlight"]]}, COLOUR)]
    if path not in CHROME_COLOUR_PAGES:
        return whole
    return [
        *whole,
        ("dark", DESKTOP, {"include": [[".sidebar-drawer"], [".toc-drawer"]]}, COLOUR),
        ("light", PHONE, {"include": [[".mobile-header"]]}, COLOUR),
    ]


def axe_report(path, scheme, viewport, violations) -> list[str]:
    lines = []
    for v in violations:
        for node in v["nodes"]:
            lines.append(f"{path} [{scheme}, {viewport['width']} px]: {v['id']} ({v['impact']}): "
                         f"{v['help']}\n    at {' '.join(node['target'])}: {node['html'][:200]}")
    return lines


@dataclass
class FirstLoad:
    """What one page cost on its first load, and what axe found in it."""
    requests: list = field(default_factory=list)  # (url, content type, body, headers size)
    problems: list = field(default_factory=list)  # other origins, 404s, console errors
    axe: list = field(default_factory=list)
    phone: dict = field(default_factory=dict)  # what PHONE_LAYOUT found in the dark, 390 px wide

    @property
    def raw(self) -> int:
        return sum(len(body) + headers for _, _, body, headers in self.requests)

    @property
    def gzip(self) -> int:
        """Bytes on the wire from a host that gzips text, as GitHub Pages and
        nginx's gzip_types do: each text body compressed at gzip's default
        level; fonts and images as they are."""
        return sum((len(gzip.compress(body, 6)) if compressible(kind) else len(body)) + headers
                   for _, kind, body, headers in self.requests)


def compressible(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip()
    return kind.startswith("text/") or kind in COMPRESSED_TYPES


def record(watch: Watch) -> list[tuple]:
    """(url, content type, body, headers size) of each response from the
    site. The server sends the site's files as they are, so each body is
    read from the file, and its size checked against what Chromium got."""
    out = []
    for request in watch.requests:
        response = request.response()
        if response is None or not request.url.startswith(watch.origin + "/"):
            continue
        path = urlsplit(request.url).path.lstrip("/")
        file = SITE / unquote(path) / "index.html" if path.endswith("/") or not path else SITE / unquote(path)
        body, sizes = file.read_bytes(), request.sizes()
        assert sizes["responseBodySize"] == len(body), (request.url, sizes, len(body))
        out.append((request.url, response.headers.get("content-type", ""), body,
                    sizes["responseHeadersSize"]))
    assert out, f"no response from {watch.origin} was recorded"
    return out


# On a phone in the dark: inline code split over two lines, code tokens
# drawn underlined (as links are), and each table wrapper's scroll cue.
PHONE_LAYOUT = """() => ({
    split: [...document.querySelectorAll("code.literal span.pre")]
        .filter(piece => piece.getClientRects().length > 1).map(piece => piece.textContent),
    underlined: [...document.querySelectorAll(".highlight pre span")]
        .filter(token => getComputedStyle(token).textDecorationLine.includes("underline"))
        .map(token => token.className + ": " + token.textContent),
    tables: [...document.querySelectorAll("article .table-wrapper")].map(wrapper => ({
        overflows: wrapper.scrollWidth > wrapper.clientWidth,
        scroll: wrapper.dataset.scroll,
        shaded: getComputedStyle(wrapper).boxShadow !== "none"})),
})"""


def half(path: str) -> str:
    """The half of the site a page is checked with: its language's, or the
    English one for the pages at the root."""
    return "zh_CN" if path.startswith("zh_CN/") else "en"


def load_half(browser, site, language: str) -> dict[str, FirstLoad]:
    """Every page of one half of the site loaded once, in a browser context
    of its own (an empty cache), measured, then checked by axe in each of
    axe_runs(); a few pages side by side. The root page only sends the
    reader on to a language at once: it is measured with the page it goes
    to, and axe skips it."""
    everything = site_pages()
    assert {"index.html", "en/search.html", "zh_CN/genindex.html", "404.html",
            "zh_CN/servers/index.html"} <= set(everything)
    paths = [path for path in everything if half(path) == language]
    # The halves hold every page between them, each about as many.
    assert 0.4 < len(paths) / len(everything) < 0.6
    loads = {}
    for start in range(0, len(paths), AXE_AT_ONCE):
        batch = []
        for path in paths[start:start + AXE_AT_ONCE]:
            context = browser.new_context(viewport=DESKTOP, color_scheme="light")
            context.add_init_script(AXE_SCRIPT)
            watch = Watch(context, site)
            page = context.new_page()
            # Each navigation starts from a timer, so that none waits for the others.
            page.evaluate("url => { setTimeout(() => { location.href = url; }, 0); }",
                          f"{site}/{'' if path == 'index.html' else path}")
            batch.append((path, page, watch, axe_runs(path) if path != "index.html" else []))
        for path, page, watch, _ in batch:
            page.wait_for_url(lambda url: url.startswith(site + "/"), wait_until="load")
            watch.wait_until_quiet(page)
            loads[path] = FirstLoad(record(watch))
        for step in range(max(len(steps) for *_, steps in batch)):
            # Start axe in every page of the batch, then collect: they run side by side.
            running = [(path, page, steps[step]) for path, page, _, steps in batch
                       if step < len(steps)]
            for path, page, (scheme, viewport, scope, options) in running:
                page.emulate_media(color_scheme=scheme)
                page.set_viewport_size(viewport)
                # Colours change with a transition (sphinx-design's tabs):
                # axe checks them once every transition has ended.
                page.evaluate("""([scope, options]) => {
                    window.axeRun = Promise.all(document.getAnimations().map(a => a.finished))
                        .then(() => axe.run(scope || document, options)); }""",
                              [scope, {"resultTypes": ["violations"], **options}])
            for path, page, (scheme, viewport, _, _) in running:
                result = page.evaluate("() => window.axeRun")
                loads[path].axe.append(axe_report(path, scheme, viewport, result["violations"]))
        for path, page, watch, steps in batch:
            if steps:
                page.emulate_media(color_scheme="dark")
                page.set_viewport_size(PHONE)
                page.evaluate("() => Promise.all(document.getAnimations().map(a => a.finished))")
                loads[path].phone = page.evaluate(PHONE_LAYOUT)
            loads[path].problems = [f"{path}: {p}" for p in watch.problems]
            page.context.close()
    return loads


class Half:
    """The checks that read the first loads of one half of the site
    (load_half): a subclass names the half."""

    LANGUAGE = ""

    @pytest.fixture(scope="class")
    @classmethod
    def first_loads(cls, browser, site) -> dict[str, FirstLoad]:
        return load_half(browser, site, cls.LANGUAGE)

    def test_no_page_has_an_axe_violation_in_either_scheme_or_width(self, first_loads):
        # The code blocks are highlighted: the kinds of token are there to check.
        assert {"k", "nn", "s2", "gp", "go"} <= set().union(*map(code_colours, code_colour_pages()))
        checked = {path: load for path, load in first_loads.items() if path != "index.html"}
        assert all(len(load.axe) == len(axe_runs(path)) >= 2 for path, load in checked.items())
        assert {p for p in CHROME_COLOUR_PAGES if half(p) == self.LANGUAGE} <= set(checked)
        problems = [line for load in checked.values() for run in load.axe for line in run]
        problems += [line for load in checked.values() for line in load.problems]
        assert problems == [], f"{len(problems)} accessibility problems:\n" + "\n".join(problems)

    def test_every_page_loads_under_budget_from_this_origin_only(self, first_loads):
        """Each page's first load (empty cache): nothing from another origin, no
        404, no console error, and within the budgets in bytes and requests."""
        print(f"\n{'gzip KB':>8} {'raw KB':>8} {'requests':>8}  page")
        for path, load in sorted(first_loads.items(), key=lambda item: -item[1].gzip):
            print(f"{load.gzip / 1024:8.1f} {load.raw / 1024:8.1f} {len(load.requests):8}  {path}")
        problems = [line for load in first_loads.values() for line in load.problems]
        assert problems == [], "\n".join(problems)
        heavy = {}
        for path, load in first_loads.items():
            search = path.endswith("/search.html")
            gzip_budget = SEARCH_GZIP_BUDGET if search else GZIP_BUDGET
            request_budget = SEARCH_REQUEST_BUDGET if search else REQUEST_BUDGET
            if load.gzip > gzip_budget or len(load.requests) > request_budget:
                heavy[path] = (f"{load.gzip / 1024:.1f} KB gzip (budget {gzip_budget // 1024}), "
                               f"{len(load.requests)} requests (budget {request_budget})")
        assert heavy == {}, "over budget on first load:\n" + "\n".join(
            f"{path}: {why}" for path, why in heavy.items())
        # The figures were really measured: every page has its HTML, CSS and script.
        for path, load in first_loads.items():
            kinds = {kind.split(";")[0] for _, kind, _, _ in load.requests}
            assert {"text/html", "text/css", "text/javascript"} <= kinds, (path, kinds)
            assert 0 < load.gzip < load.raw, path

    def test_on_a_phone_code_stays_whole_plain_and_wide_tables_show_they_scroll(self, first_loads):
        """Every page, 390 px wide, dark: no inline code split inside a word
        (after the `--` of an option, say), no code token underlined as if it
        were a link, and a table wider than the screen shaded at the edge it
        scrolls towards, while a table that fits is not."""
        checked = {path: load.phone for path, load in first_loads.items() if path != "index.html"}
        split = {path: phone["split"] for path, phone in checked.items() if phone["split"]}
        assert split == {}
        underlined = {path: phone["underlined"] for path, phone in checked.items() if phone["underlined"]}
        assert underlined == {}
        tables = [(path, table) for path, phone in checked.items() for table in phone["tables"]]
        wrong = [(path, table) for path, table in tables
                 if (table["scroll"], table["shaded"]) != (("right", True) if table["overflows"]
                                                            else ("none", False))]
        assert wrong == []
        # Both kinds are on the site at this width, in each language.
        assert {table["overflows"] for path, table in tables} == {True, False}
        # Code blocks with module names are there to be checked.
        assert any('class="nn"' in block for block in code_blocks("en/embedding.html"))


class TestEnglishHalf(Half):
    LANGUAGE = "en"


class TestChineseHalf(Half):
    LANGUAGE = "zh_CN"


def test_a_wide_table_shades_the_side_left_to_see_as_it_scrolls(browser, site):
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{site}/{WIDE_TABLE_PAGE}")
        wrapper = page.locator("article .table-wrapper[data-scroll=right]").first.element_handle()
        wrapper.evaluate("w => { w.scrollLeft = 40; }")
        page.wait_for_function("w => w.dataset.scroll === 'both'", arg=wrapper)
        wrapper.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
        page.wait_for_function("w => w.dataset.scroll === 'left'", arg=wrapper)
        assert wrapper.evaluate("w => getComputedStyle(w).boxShadow") != "none"
        page.set_viewport_size(DESKTOP)
        page.wait_for_function("w => w.dataset.scroll === 'none'", arg=wrapper)
        assert wrapper.evaluate("w => getComputedStyle(w).boxShadow") == "none"
    finally:
        context.close()

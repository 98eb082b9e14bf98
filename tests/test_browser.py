"""The published site as a reader's browser sees it.

``make site`` assembles _build/site/ (or $SITE_DIR); these tests serve it
with ``python -m http.server`` on a free 127.0.0.1 port and drive the
system's Chromium (/usr/bin/chromium, never a downloaded browser) through
Playwright. Every page a test opens is watched: a request to any other
origin, a 404 response, a console error or an uncaught exception fails it.

The Chinese search tests need the Chinese pages to be translated: with
English text in the zh_CN build there is nothing Chinese to find.
"""

import os
import re
import sys
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright

from server import Server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))
from chromium import ChromiumMissing, launch  # noqa: E402
from page_commands import commands  # noqa: E402

SITE = Path(os.environ.get("SITE_DIR") or ROOT / "_build" / "site")
SCREENSHOTS = SITE.parent / "screenshots"
LANGUAGES = {"en": "en", "zh_CN": "zh-CN"}  # folder -> hreflang / lang


def site_pages() -> list[str]:
    """Every HTML page of the site, as a path from the site root."""
    pages = [p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")]
    return sorted(p for p in pages if not re.search(r"(^|/)_", p))


def same_page_in(folder: str, path: str) -> str:
    """``en/servers/index.html`` -> ``zh_CN/servers/index.html``."""
    return folder + "/" + path.split("/", 1)[1]


class Watch:
    """Everything one browser context asked for and complained about."""

    def __init__(self, context, origin: str):
        self.origin = origin
        self.requests = []
        self.problems = []
        self.allowed_404 = set()
        self.started = self.ended = 0
        context.on("request", self._request)
        context.on("requestfinished", self._finished)
        context.on("requestfailed", self._failed)
        context.on("response", self._response)
        context.on("console", self._console)
        context.on("weberror", lambda e: self.problems.append(f"uncaught: {e.error}"))

    def _request(self, request):
        self.started += 1
        url = request.url
        if not url.startswith(self.origin + "/") and not url.startswith(("data:", "blob:", "about:")):
            self.problems.append(f"other origin: {url}")

    def _finished(self, request):
        self.ended += 1
        self.requests.append(request)

    def wait_until_quiet(self, page, quiet_ms=150):
        """Like Playwright's networkidle, which waits 500 ms: every request
        the page started has ended, and none started for ``quiet_ms``."""
        while True:
            seen = self.started
            page.wait_for_timeout(quiet_ms)
            if self.started == seen and self.ended == self.started:
                return

    def _failed(self, request):
        self.ended += 1
        # ERR_ABORTED: the page went elsewhere before this loaded (a redirect).
        if "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"failed: {request.url} {request.failure}")

    def _response(self, response):
        if response.status == 404 and response.url not in self.allowed_404:
            self.problems.append(f"404: {response.url}")

    def _console(self, message):
        if message.type == "error" and message.location.get("url") not in self.allowed_404:
            self.problems.append(f"console error: {message.text}")

    def assert_clean(self):
        assert self.problems == [], "\n".join(self.problems)


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE} holds no site: run `make site` first (`make test` does)")
    argv = ["python", "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(SITE), "{port}"]
    with Server(argv, cwd=ROOT) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        try:
            browser = launch(playwright)
        except ChromiumMissing as error:
            pytest.fail(str(error))
        yield browser
        browser.close()


@pytest.fixture
def reader(browser, site):
    """``reader(locale="zh-CN")`` -> (page, watch) in a fresh browser context."""
    contexts = []

    def open_context(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        contexts.append(context)
        watch = Watch(context, site)
        return context.new_page(), watch

    yield open_context
    for context in contexts:
        context.close()


def test_site_has_both_languages_and_the_hosting_files():
    for name in ["index.html", "404.html", "sitemap.xml", "favicon.svg",
                 "en/index.html", "zh_CN/index.html", "en/search.html", "zh_CN/search.html"]:
        assert (SITE / name).is_file(), f"{SITE / name} is missing"
    en = {p.split("/", 1)[1] for p in site_pages() if p.startswith("en/")}
    zh = {p.split("/", 1)[1] for p in site_pages() if p.startswith("zh_CN/")}
    assert en == zh
    sitemap = (SITE / "sitemap.xml").read_text()
    for page in en - {"404.html", "search.html", "genindex.html"}:
        for folder in LANGUAGES:
            assert f"/{folder}/{page}</loc>" in sitemap, f"{folder}/{page} not in sitemap.xml"


@pytest.mark.parametrize("locale, folder", [("zh-CN", "zh_CN"), ("zh-TW", "zh_CN"),
                                            ("en-US", "en"), ("fr-FR", "en")])
def test_root_page_picks_the_readers_language(reader, site, locale, folder):
    page, watch = reader(locale=locale)
    page.goto(site + "/")
    page.wait_for_url(f"{site}/{folder}/index.html")
    assert page.get_attribute("html", "lang") == LANGUAGES[folder]
    watch.assert_clean()


def test_root_page_remembers_the_language_picked(reader, site):
    page, watch = reader(locale="zh-CN")
    page.goto(site + "/")
    page.wait_for_url(f"{site}/zh_CN/index.html")
    page.click(".language-switcher a[hreflang=en]")
    page.wait_for_url(f"{site}/en/index.html")
    page.goto(site + "/")
    page.wait_for_url(f"{site}/en/index.html")
    watch.assert_clean()


def test_language_switcher_lands_on_the_same_page(reader, site):
    page, watch = reader()
    pages = [p for p in site_pages() if p.startswith("en/") and p != "en/404.html"]
    assert "en/servers/index.html" in pages  # a page one folder down
    for path in pages:
        page.goto(f"{site}/{path}")
        switcher = page.locator(".language-switcher")
        assert switcher.is_visible(), f"{path}: no visible language switcher"
        assert switcher.locator("[aria-current=page]").inner_text() == "English"
        switcher.get_by_text("简体中文").click()
        page.wait_for_url(f"{site}/{same_page_in('zh_CN', path)}")
        assert page.get_attribute("html", "lang") == "zh-CN"
        page.locator(".language-switcher").get_by_text("English").click()
        page.wait_for_url(f"{site}/{path}")
    watch.assert_clean()


def test_every_page_names_its_other_languages():
    """The <link rel="alternate" hreflang> tags, for search engines: static
    HTML that no script touches, so read from the files the site serves."""
    for path in site_pages():
        if path in ("index.html", "404.html") or path.endswith("/404.html"):
            continue
        head = (SITE / path).read_text(encoding="utf-8").split("</head>", 1)[0]
        alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', head))
        assert set(alternates) == {"en", "zh-CN", "x-default"}, path
        for folder, tag in LANGUAGES.items():
            assert alternates[tag].endswith("/" + same_page_in(folder, path)), (path, alternates)


def search(page, watch, site, folder, query):
    """Search with the sidebar box, as a reader does; return the result links."""
    page.goto(f"{site}/{folder}/index.html")
    page.fill("input.sidebar-search", query)
    page.press("input.sidebar-search", "Enter")
    page.wait_for_url(re.compile(re.escape(f"{site}/{folder}/search.html?q=") + ".*"))
    summary = page.locator("#search-results .search-summary")
    try:
        page.wait_for_function(
            "() => document.querySelector('#search-results .search-summary')?.textContent",
            timeout=10_000)
    except PlaywrightTimeoutError:
        raise AssertionError(f"search for {query!r} still not finished after 10 s; "
                             f"the page said: {watch.problems}") from None
    return summary.inner_text(), page.locator("#search-results ul.search li > a")


def test_search_in_english_finds_and_opens_a_page(reader, site):
    page, watch = reader()
    summary, results = search(page, watch, site, "en", "middleware")
    assert results.count() > 0, summary
    hrefs = [a.get_attribute("href") for a in results.all()]
    assert any("middleware.html" in h for h in hrefs), hrefs
    results.first.click()
    page.wait_for_load_state()
    assert "middleware" in page.locator("article").inner_text().lower()
    assert page.locator("article .highlighted").count() > 0  # the term is marked on the page
    watch.assert_clean()


@pytest.mark.parametrize("query, expected", [
    ("部署", ["部署"]),
    ("中间件", ["中间件"]),
    ("异步安全", ["异步安全"]),
    ("如何部署中间件", ["中间件"]),  # typed without spaces, as readers do
], ids=["deploy", "middleware", "async-safety", "typed-without-spaces"])
def test_search_in_chinese_finds_and_opens_a_page(reader, site, query, expected):
    page, watch = reader(locale="zh-CN")
    summary, results = search(page, watch, site, "zh_CN", query)
    assert results.count() > 0, f"{query}: {summary}"
    results.first.click()
    page.wait_for_load_state()
    text = page.locator("article").inner_text()
    for word in expected:
        assert word in text, f"{query}: {page.url} does not contain {word}"
    assert page.locator("article .highlighted").count() > 0
    watch.assert_clean()


def test_chinese_search_page_does_not_hang(reader, site):
    """Sphinx 9.0.4 broke zh search (window.Stemmer = ChineseStemmer); an
    unknown word must still end in a finished search, not 'Searching...'."""
    page, watch = reader(locale="zh-CN")
    summary, results = search(page, watch, site, "zh_CN", "麒麟火锅")  # on no page
    assert results.count() == 0
    assert summary.strip()
    watch.assert_clean()


def copy_each_block(page, kind):
    """Click the copy button of every ``highlight-<kind>`` block on the page;
    yield (what the page shows, what the clipboard holds) for each.

    A block in a tab that is not selected is hidden: open its tab first, as a
    reader does (sphinx-design puts each tab's label right before its content)."""
    blocks = page.locator(f"div.highlight-{kind}")
    for i in range(blocks.count()):
        block = blocks.nth(i)
        tab = block.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), "
                            "' sd-tab-content ')][1]/preceding-sibling::label[1]")
        if tab.count():
            tab.click()
        block.scroll_into_view_if_needed()
        block.hover()
        page.evaluate("navigator.clipboard.writeText('')")
        block.locator("button.copybtn").click()
        yield block.inner_text(), page.evaluate("navigator.clipboard.readText()")


def pages_showing(kind):
    return [p for p in site_pages() if p.startswith("en/")
            and f'class="highlight-{kind} ' in (SITE / p).read_text()]


def test_copy_buttons_copy_console_commands_without_prompts_or_output(reader, site):
    page, watch = reader(permissions=["clipboard-read", "clipboard-write"])
    copied_any = False
    for path in pages_showing("console"):
        page.goto(f"{site}/{path}")
        docname = path.removeprefix("en/").removesuffix(".html")
        documented = {" ".join(c.text.split()) for c in commands(docname)}
        for shown, copied in copy_each_block(page, "console"):
            assert shown.startswith("$ ")  # the page shows the prompt ...
            lines = [line for line in copied.replace("\\\n", " ").splitlines() if line.strip()]
            assert lines, f"{path}: nothing copied from {shown!r}"
            for line in lines:  # ... the copy holds commands only, as the page's source has them
                assert " ".join(line.split()) in documented, f"{path}: {line!r} is not a command"
            copied_any = True
    assert copied_any, "no console block on any page"
    watch.assert_clean()


def test_server_tabs_show_one_server_and_remember_the_one_picked(reader, site):
    """servers/index shows the same step per server in tabs synced by server."""
    page, watch = reader()
    page.goto(f"{site}/en/servers/index.html")
    tabs = page.locator(".sd-tab-set").first
    shown = tabs.locator("div.highlight-console:visible")

    def visible_command():
        assert shown.count() == 1
        return shown.inner_text()

    assert "$ uvicorn mysite.asgi:application" in visible_command()  # the first tab
    tabs.locator("label.sd-tab-label", has_text="Granian").click()
    assert "$ granian mysite.asgi_granian:application" in visible_command()
    page.reload()  # the pick is kept for the next page a reader opens
    assert "$ granian mysite.asgi_granian:application" in visible_command()
    watch.assert_clean()


def test_copy_buttons_copy_python_code_without_prompts_output_or_tracebacks(reader, site):
    page, watch = reader(permissions=["clipboard-read", "clipboard-write"])
    seen_output = False
    for path in pages_showing("pycon"):
        page.goto(f"{site}/{path}")
        for shown, copied in copy_each_block(page, "pycon"):
            code, other = [], []
            for line in shown.splitlines():
                if line.startswith((">>> ", "... ")):
                    code.append(line[4:])
                elif line == "...":
                    code.append("")
                elif line.strip():
                    other.append(line)
            assert copied == "\n".join(code).rstrip("\n"), f"{path}: copied {copied!r} from {shown!r}"
            seen_output = seen_output or bool(other)
    assert seen_output, "no >>> block with output on any page"
    watch.assert_clean()


def test_404_page_works_at_the_root_and_in_each_language(reader, site):
    page, watch = reader()
    for path, lang, home in [("404.html", "en", "en/index.html"),
                             ("en/404.html", "en", "en/index.html"),
                             ("zh_CN/404.html", "zh-CN", "zh_CN/index.html")]:
        page.goto(f"{site}/{path}")
        assert page.get_attribute("html", "lang") == lang
        assert page.locator("#page-not-found h1").is_visible()
        page.locator("#page-not-found a").click()
        page.wait_for_url(f"{site}/{home}")
    watch.assert_clean()


def test_missing_pages_get_the_404_page_of_their_language(reader, site):
    """GitHub Pages answers any missing URL with the root 404.html: emulate that."""
    page, watch = reader()
    root_404 = (SITE / "404.html").read_text()
    missing = [f"{site}/en/no/such/page.html", f"{site}/zh_CN/no-such-page.html"]
    watch.allowed_404.update(missing)
    page.route(re.compile(r".*/no[-/]such[-/]page\.html$"),
               lambda route: route.fulfill(status=404, body=root_404, content_type="text/html"))

    page.goto(missing[0])
    assert page.locator("#page-not-found h1").is_visible()
    assert page.url == missing[0]
    page.goto(missing[1])
    page.wait_for_url(f"{site}/zh_CN/404.html")
    assert page.get_attribute("html", "lang") == "zh-CN"
    watch.assert_clean()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_home_page_screenshots(reader, site, scheme):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page, watch = reader(color_scheme=scheme)
    backgrounds = set()
    for folder in LANGUAGES:
        page.goto(f"{site}/{folder}/index.html", wait_until="networkidle")
        page.screenshot(path=SCREENSHOTS / f"home-{folder}-{scheme}.png")
        backgrounds.add(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    assert len(backgrounds) == 1
    dark = sum(map(int, re.findall(r"\d+", backgrounds.pop())[:3])) < 3 * 128
    assert dark == (scheme == "dark")
    watch.assert_clean()


def test_sphinx_design_loads_only_on_pages_that_use_it():
    """docs/_ext/design_where_used.py: its 55 KB stylesheet and its script
    are on the pages with tabs, and on no other page."""
    with_design, without = [], []
    for path in sorted(SITE.glob("*/**/*.html")):
        html = path.read_text(encoding="utf-8")
        head = html.split("</head>", 1)[0]
        uses = 'class="sd-' in html
        loads = ["sphinx-design.min.css" in head, 'design-tabs.js?v=' in html]
        assert loads == [uses, uses], path
        (with_design if uses else without).append(path.relative_to(SITE).as_posix())
    assert "en/servers/index.html" in with_design and "zh_CN/servers/index.html" in with_design
    assert "en/overview.html" in with_design  # startproject's files of each Django series
    assert "en/application.html" in without and "zh_CN/search.html" in without


# The benchmark's chart on "Choosing a server": inline SVG in the reader's
# language, text at least 11 CSS px on a phone, colours from the page's theme.
CHART_TEXT = """() => {
  const svg = document.querySelector("svg.bench-chart");
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const texts = [...svg.querySelectorAll("text")];
  return {
    lang: svg.getAttribute("lang"),
    smallest: Math.min(...texts.map(t => parseFloat(t.getAttribute("font-size")) * scale)),
    chartRight: svg.getBoundingClientRect().right,
    viewport: document.documentElement.clientWidth,
    text: texts.map(t => t.textContent).join(" "),
    fill: getComputedStyle(texts[0]).fill,
    bar: getComputedStyle(svg.querySelector("rect")).fill,
  };
}"""


def _light(colour: str) -> bool:
    return sum(map(int, re.findall(r"\d+", colour)[:3])) > 3 * 128


@pytest.mark.parametrize("folder, label", [("en", "requests per second"),
                                           ("zh_CN", "每秒请求数")])
def test_benchmark_chart_is_legible_on_a_phone_in_the_readers_language(reader, site, folder,
                                                                       label):
    page, watch = reader(viewport={"width": 390, "height": 844}, is_mobile=True,
                         device_scale_factor=2)
    page.goto(f"{site}/{folder}/choosing-a-server.html", wait_until="networkidle")
    chart = page.evaluate(CHART_TEXT)
    assert chart["lang"] == LANGUAGES[folder]
    assert label in chart["text"]
    assert chart["smallest"] >= 11, chart["smallest"]
    assert chart["chartRight"] <= chart["viewport"]  # no sideways scrolling for it
    watch.assert_clean()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_benchmark_chart_follows_the_system_and_the_theme_switch(reader, site, scheme):
    page, watch = reader(color_scheme=scheme)
    page.goto(f"{site}/zh_CN/choosing-a-server.html", wait_until="networkidle")
    # furo's "auto" follows the system; its switch forces light or dark.
    seen = {}
    for theme in ("auto", "light", "dark"):
        page.evaluate(f"document.body.dataset.theme = '{theme}'")
        chart = page.evaluate(CHART_TEXT)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        seen[theme] = (_light(chart["fill"]), _light(background))
    page_dark = scheme == "dark"
    # Light text on a dark page, dark text on a light one, whichever decides.
    assert seen["auto"] == (page_dark, not page_dark)
    assert seen["light"] == (False, True)
    assert seen["dark"] == (True, False)
    watch.assert_clean()


DESKTOP = {"width": 1440, "height": 900}  # both of furo's sidebars shown (82em and up)
PHONE = {"width": 390, "height": 844}  # both folded into closed drawers


# --------------------------------------------------------------------------
# Keyboard use on a phone: the Tab key lands only on what the reader sees,
# and shows where it is.

# What the focused element looks like. furo scrolls smoothly and fades
# controls in, so the state is read once the element is on the screen and
# opaque, or after 2 s without that (then it is reported as it is).
FOCUSED = """async () => {
  const focused = document.activeElement;
  // sphinx-design's tabs are radio buttons shown by their labels, which it
  // outlines when the button has the focus.
  const el = focused.matches(".sd-tab-set > input") ? focused.nextElementSibling : focused;
  const state = () => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    const drawer = el.closest(".sidebar-drawer, .toc-drawer");
    return {
      html: focused.outerHTML.slice(0, 120),
      seen: el.checkVisibility({opacityProperty: true, visibilityProperty: true})
        && parseFloat(style.opacity) > 0.9,
      inViewport: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
        && box.top < innerHeight && box.left < innerWidth,
      inClosedDrawer: !!drawer && getComputedStyle(drawer).visibility !== "visible",
      outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
      shadow: style.boxShadow !== "none",
    };
  };
  const end = performance.now() + 2000;
  let now = state();
  while (!(now.seen && now.inViewport) && performance.now() < end) {
    await new Promise(requestAnimationFrame);
    now = state();
  }
  return now;
}"""


def tab_through(page, presses):
    """Press Tab ``presses`` times; return what each press focused."""
    seen = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUSED))
    return seen


def unseen_focus(stops):
    return [s for s in stops if not (s["seen"] and s["inViewport"] and not s["inClosedDrawer"]
                                     and (s["outline"] or s["shadow"]))]


@pytest.mark.parametrize("path", ["en/streaming.html", "zh_CN/middleware.html"])
def test_tab_on_a_phone_lands_only_on_visible_controls_with_a_visible_focus(reader, site, path):
    page, watch = reader(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{site}/{path}")
    stops = tab_through(page, 30)
    assert unseen_focus(stops) == [], "\n".join(map(str, unseen_focus(stops)))
    htmls = [s["html"] for s in stops]
    # The drawer's links are not among them; the page's own controls are.
    assert not any("sidebar-brand" in h or "reference internal" in h and "toctree" in h for h in htmls)
    assert any(h.startswith("<button") and "nav-overlay-icon" in h for h in htmls), htmls
    assert any(h.startswith("<pre") for h in htmls), htmls  # a code block, to scroll it
    assert any("copybtn" in h for h in htmls), htmls
    watch.assert_clean()


def test_keyboard_opens_the_navigation_drawer_reaches_search_and_closes_it(reader, site):
    page, watch = reader(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{site}/zh_CN/streaming.html")
    menu = page.locator("button.nav-overlay-icon")
    assert menu.get_attribute("aria-expanded") == "false"
    assert menu.get_attribute("aria-label") == "切换站点导航侧栏"
    menu.focus()
    page.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    page.locator(".sidebar-drawer").wait_for(state="visible")
    stops = [page.evaluate(FOCUSED)]  # the drawer's first link has the focus
    assert "sidebar-brand" in stops[0]["html"]
    search_box = page.locator(".sidebar-drawer input.sidebar-search")
    while not search_box.evaluate("el => el === document.activeElement"):
        assert len(stops) < 5, [s["html"] for s in stops]
        stops += tab_through(page, 1)
    stops += tab_through(page, 3)  # on into the drawer's list of pages
    assert unseen_focus(stops) == [], "\n".join(map(str, unseen_focus(stops)))
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"
    assert menu.evaluate("el => el === document.activeElement")
    page.wait_for_function("getComputedStyle(document.querySelector('.sidebar-drawer')).visibility"
                           " === 'hidden'")
    watch.assert_clean()


# --------------------------------------------------------------------------
# The language switch keeps the reader's place, and is one tap away on a phone.

def test_language_switch_keeps_the_section_and_the_search_query(reader, site):
    page, watch = reader(viewport=DESKTOP)
    page.goto(f"{site}/en/middleware.html#the-order-the-layers-run-in")
    page.locator(".language-switcher").get_by_text("简体中文").click()
    page.wait_for_url(f"{site}/zh_CN/middleware.html#the-order-the-layers-run-in")
    assert page.locator("#the-order-the-layers-run-in h2").is_visible()
    # A section picked on the page after it loaded goes along too.
    page.locator(".toc-tree a[href='#where-the-wrapping-goes']").click()
    page.locator(".language-switcher").get_by_text("English").click()
    page.wait_for_url(f"{site}/en/middleware.html#where-the-wrapping-goes")
    page.goto(f"{site}/en/search.html?q=lifespan")
    page.locator(".language-switcher").get_by_text("简体中文").click()
    page.wait_for_url(re.compile(re.escape(f"{site}/zh_CN/search.html?q=lifespan")))
    page.wait_for_function(
        "() => document.querySelector('#search-results .search-summary')?.textContent")
    assert page.locator("#search-results ul.search li").count() > 0
    watch.assert_clean()


@pytest.mark.parametrize("folder, other, name", [("en", "zh_CN", "简体中文"), ("zh_CN", "en", "English")])
def test_language_switch_is_in_the_header_on_a_phone(reader, site, folder, other, name):
    page, watch = reader(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{site}/{folder}/servers/uvicorn.html")
    assert not page.locator(".sidebar-drawer .language-switcher").is_visible()  # the drawer is closed
    link = page.locator(".mobile-header a.header-language")
    assert link.is_visible() and link.inner_text() == name
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    link.tap()
    page.wait_for_url(f"{site}/{other}/servers/uvicorn.html")
    watch.assert_clean()


# --------------------------------------------------------------------------
# The way back to the source, and when the page last changed.

CONF = (ROOT / "conf.py").read_text(encoding="utf-8")
SOURCE_REPOSITORY = os.environ.get("SOURCE_REPOSITORY") or re.search(
    r'"SOURCE_REPOSITORY", "([^"]+)"', CONF)[1]
SOURCE_BRANCH = os.environ.get("SOURCE_BRANCH") or re.search(r'"SOURCE_BRANCH", "([^"]+)"', CONF)[1]


@pytest.mark.parametrize("folder, source, view, edit", [
    ("en", "docs/servers/daphne.md", "View this page", "Edit this page"),
    ("zh_CN", "locale/zh_CN/LC_MESSAGES/servers/daphne.po", "查看本页源文件", "编辑本页"),
])
def test_view_and_edit_buttons_open_the_pages_own_source(reader, site, folder, source, view, edit):
    page, watch = reader()
    page.goto(f"{site}/{folder}/servers/daphne.html")
    view_link = page.locator(".content-icon-container .view-this-page a")
    edit_link = page.locator(".content-icon-container .edit-this-page a")
    assert view_link.is_visible() and edit_link.is_visible()
    assert view_link.get_attribute("href") == f"{SOURCE_REPOSITORY}/blob/{SOURCE_BRANCH}/{source}"
    assert edit_link.get_attribute("href") == f"{SOURCE_REPOSITORY}/edit/{SOURCE_BRANCH}/{source}"
    assert (view_link.get_attribute("title"), edit_link.get_attribute("title")) == (view, edit)
    assert "_sources/" not in page.content()  # no link to the English copy any more
    watch.assert_clean()

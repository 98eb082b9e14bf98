"""The site's search as a reader uses it (docs/_ext/search_tuning.js).

Served and driven like tests/test_browser.py, whose fixtures these share: a
page whose title holds the query's words comes first, and each result's
snippet starts and ends at a word.
"""

import re

import pytest

from test_browser import browser, reader, search, site  # noqa: F401  (fixtures)

BOUNDARY = re.compile(r"[\s,.;:!?()，。；：！？、（）「」“”]")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize("folder, query, first", [
    ("zh_CN", "如何部署中间件", "用 ASGI 中间件包装 Django"),
    ("zh_CN", "数据库", "ASGI 下的数据库"),
    ("en", "middleware", "Wrapping Django in ASGI middleware"),
    ("en", "troubleshooting error", "Troubleshooting by error message"),
], ids=["zh-typed-without-spaces", "zh-databases", "en-middleware", "en-two-words"])
def test_a_page_whose_title_holds_the_query_ranks_first(reader, site, folder, query, first):
    page, watch = reader(locale="zh-CN" if folder == "zh_CN" else "en-US")
    summary, results = search(page, watch, site, folder, query)
    titles = [a.inner_text() for a in results.all()]
    assert titles and titles[0] == first, titles
    # The home page, whose title or text may hold the words too, is not first.
    assert not results.first.get_attribute("href").endswith("index.html")
    watch.assert_clean()


@pytest.mark.parametrize("folder, query", [("en", "server"), ("zh_CN", "服务器")])
def test_snippets_start_and_end_at_a_word(reader, site, folder, query):
    page, watch = reader(locale="zh-CN" if folder == "zh_CN" else "en-US")
    search(page, watch, site, folder, query)
    page.wait_for_function("() => document.querySelectorAll('#search-results p.context')"
                           ".length >= 5", timeout=10_000)
    checked = 0
    for item in page.locator("#search-results ul.search li").all()[:8]:
        snippet = item.locator("p.context")
        if snippet.count() == 0:
            continue
        shown = snippet.inner_text()
        href = item.locator("a").first.get_attribute("href")
        # The page's text as the search itself reads it.
        text = page.evaluate("""async (href) => {
            const html = await (await fetch(href)).text();
            const anchor = new URL(href, location.href).hash;
            return Search.htmlToText(html, anchor).replace(/\\s+/g, " ");
        }""", href)
        body = shown.removeprefix("… ").removesuffix(" …")
        where = text.find(body)
        assert where > -1, (href, body[:60])
        if shown.startswith("… "):
            assert where > 0 and BOUNDARY.match(text[where - 1]), (href, text[where - 5:where + 20])
        if shown.endswith(" …"):
            after = where + len(body)
            assert after < len(text) and BOUNDARY.match(text[after]), (href, body[-20:])
        checked += 1
    assert checked >= 5
    watch.assert_clean()


@pytest.mark.parametrize("folder", ["en", "zh_CN"])
def test_the_results_page_has_a_search_field_on_a_phone(reader, site, folder):
    page, watch = reader(locale="zh-CN" if folder == "zh_CN" else "en-US", **PHONE)
    page.goto(f"{site}/{folder}/search.html?q=asgi")
    field = page.locator("article form[role=search] input[name=q]")
    assert field.is_visible()
    assert field.input_value() == "asgi"
    field.fill("nginx")
    field.press("Enter")
    page.wait_for_url(re.compile(r".*search\.html\?q=nginx.*"))
    page.wait_for_function(
        "() => document.querySelector('#search-results .search-summary')?.textContent",
        timeout=10_000)
    assert page.locator("#search-results ul.search li").count() > 0
    watch.assert_clean()

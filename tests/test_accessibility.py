"""Accessibility: axe-core on every page of the site, in both languages and
colour schemes, on a desktop and on a 390 px phone.

axe-core is the copy that axe-playwright-python bundles (no download). The
site, the browser and the page watch are tests/test_browser.py's; this file
is apart from it so that `make pytest` runs it beside the other browser
tests: axe is the slowest check of the suite.
"""

import re

from axe_playwright_python.base import AXE_SCRIPT

from test_browser import (DESKTOP, PHONE, SITE, Watch, browser, same_page_in,  # noqa: F401
                          site, site_pages)


AXE_COLOUR_RULES = ["color-contrast", "link-in-text-block"]
COLOUR = {"runOnly": {"type": "rule", "values": AXE_COLOUR_RULES}}
NOT_COLOUR = {"rules": {rule: {"enabled": False} for rule in AXE_COLOUR_RULES}}
AXE_AT_ONCE = 3  # pages checked side by side, each in a browser context of its own
CODE_BLOCK = re.compile(r'<div class="highlight"><pre[^>]*>(.*?)</pre></div>', re.S)


def code_blocks(path: str) -> list[str]:
    return CODE_BLOCK.findall((SITE / path).read_text(encoding="utf-8"))


def axe_runs(path: str) -> list[tuple]:
    """(scheme, viewport, scope, options) of each axe run on ``path``.

    furo changes only the layout with the width, never a colour (there is no
    colour in its max-width media queries), and only colours with the
    scheme. So every rule runs on the whole page in the light desktop view
    and in the dark phone view, and the colour rules run in the two other
    views on what only they show: the sidebars in dark on a desktop, the
    header in light on a phone. Colour contrast is most of axe's time, and
    most of that goes to the tokens of code blocks: where a Chinese page's
    code blocks are the English page's, byte for byte (code is not
    translated), the colour rules check them on the English page only."""
    same_code = (path.startswith("zh_CN/")
                 and code_blocks(path) == code_blocks(same_page_in("en", path)))
    page = {"exclude": [["div.highlight"]]} if same_code else None
    return [
        ("light", DESKTOP, None, NOT_COLOUR),
        ("light", DESKTOP, page, COLOUR),
        ("dark", PHONE, None, NOT_COLOUR),
        ("dark", PHONE, page, COLOUR),
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


def test_no_page_has_an_axe_violation_in_either_scheme_or_width(browser, site):
    # The root index.html only sends the reader on to a language at once.
    paths = [p for p in site_pages() if p != "index.html"]
    assert {"en/search.html", "zh_CN/genindex.html", "404.html", "zh_CN/servers/index.html"} <= set(paths)
    assert code_blocks("en/middleware.html") == code_blocks("zh_CN/middleware.html") != []
    slots = []
    for _ in range(AXE_AT_ONCE):
        context = browser.new_context(viewport=DESKTOP)
        context.add_init_script(AXE_SCRIPT)
        slots.append((context.new_page(), Watch(context, site)))
    problems, runs = [], 0
    for start in range(0, len(paths), AXE_AT_ONCE):
        batch = [(path, page, axe_runs(path))
                 for path, (page, _) in zip(paths[start:start + AXE_AT_ONCE], slots)]
        for path, page, _ in batch:
            page.emulate_media(color_scheme="light")
            page.set_viewport_size(DESKTOP)
            page.goto(f"{site}/{path}")
        for step in range(len(batch[0][2])):
            # Start axe in every page of the batch, then collect: they run side by side.
            for path, page, steps in batch:
                scheme, viewport, scope, options = steps[step]
                page.emulate_media(color_scheme=scheme)
                page.set_viewport_size(viewport)
                page.evaluate("([scope, options]) => { window.axeRun = axe.run(scope || document, options); }",
                              [scope, {"resultTypes": ["violations"], **options}])
            for path, page, steps in batch:
                scheme, viewport, _, _ = steps[step]
                result = page.evaluate("() => window.axeRun")
                runs += 1
                problems += axe_report(path, scheme, viewport, result["violations"])
    for page, watch in slots:
        problems += watch.problems
        page.context.close()
    assert runs == len(paths) * 6
    assert problems == [], f"{len(problems)} accessibility problems:\n" + "\n".join(problems)

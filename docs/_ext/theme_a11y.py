"""What furo's pages need for keyboard and screen-reader use, done at build time.

axe-core (tests/test_browser.py) reports these on furo's stock pages; each is
fixed here in the HTML Sphinx writes, not by script in the reader's browser:

* a code block or a table wider than the page scrolls sideways, and a
  region that scrolls must be reachable by keyboard
  (``scrollable-region-focusable``): every ``<pre>`` of a highlighted block
  and every table's wrapper (furo's ``div.table-wrapper``) gets
  ``tabindex="0"`` (whether one scrolls depends on the reader's screen, so
  all of them do); the stylesheet ``a11y.css`` shows where the focus is;
* the captions of the toctrees (in the sidebar and on the home page) have
  ``role="heading"`` without the ``aria-level`` that role requires
  (``aria-required-attr``): they get level 2, under the page's title;
* in furo's page (the ``theme_a11y`` filter, used by ``_templates/page.html``):
  the two drawers are both unnamed ``<aside>`` landmarks
  (``landmark-unique``), and the buttons above the article (view, edit,
  theme, contents) are outside every landmark (``region``): the drawers get
  names, and the ``main`` landmark is moved from ``<article>`` to the block
  that holds both the buttons and the article. The language link for phones
  goes into furo's mobile header.

Each change names what it looks for, so that a furo release that writes
its page differently fails the build (with -W) instead of silently undoing
the fix.

``a11y.js`` does what only a browser can: furo's drawer switches are
``<label>`` elements, which a keyboard cannot reach; it makes them buttons.
"""

from __future__ import annotations

import re

from markupsafe import Markup
from sphinx.util import logging

logger = logging.getLogger(__name__)

CODE = re.compile(r'(<div class="highlight"><pre)(?=[\s>])')
TABLE = re.compile(r'(<div class="table-wrapper[^"]*")(?![^>]*tabindex)')
CAPTION = re.compile(r'(<p class="caption" role="heading")(?![^>]*aria-level)')


def focusable_code(html: str) -> str:
    return TABLE.sub(r'\1 tabindex="0"', CODE.sub(r'\1 tabindex="0"', html))


def caption_levels(html: str) -> str:
    return CAPTION.sub(r'\1 aria-level="2"', html)


def fix_page_parts(app, pagename, templatename, context, doctree) -> None:
    if app.builder.format != "html":
        return
    if "body" in context:
        context["body"] = caption_levels(focusable_code(context["body"]))
    # furo's sidebar tree, computed by furo's own handler (priority 500).
    if context.get("furo_navigation_tree"):
        context["furo_navigation_tree"] = caption_levels(context["furo_navigation_tree"])


# (what it looks for in furo's page, what it becomes); {x} are filled in.
PAGE_CHANGES = [
    ('<aside class="sidebar-drawer"', '<aside class="sidebar-drawer" aria-label="{navigation}"'),
    ('<aside class="toc-drawer', '<aside aria-label="{contents}" class="toc-drawer'),
    ('<div class="article-container">', '<div class="article-container" role="main">'),
    ('<article role="main" id="furo-main-content">', '<article id="furo-main-content">'),
    ('<div class="header-right">', '<div class="header-right">{header_language}'),
]


def theme_a11y(html: str, navigation: str, contents: str, header_language: str = "") -> Markup:
    """furo's rendered page with the changes of PAGE_CHANGES."""
    values = {"navigation": navigation, "contents": contents,
              "header_language": header_language}
    for old, new in PAGE_CHANGES:
        if html.count(old) != 1:
            logger.warning("theme_a11y: furo's page has %d times %r (expected once); "
                           "docs/_ext/theme_a11y.py needs updating for this furo",
                           html.count(old), old, type="theme_a11y")
            continue
        html = html.replace(old, new.format(**{k: str(Markup.escape(v)) if k != "header_language"
                                                else str(v) for k, v in values.items()}))
    return Markup(html)


def unchanged(html: str, *args, **kwargs) -> Markup:
    """The EPUB builder renders the same templates with its own theme, not furo."""
    return Markup(html)


def add_filter(app) -> None:
    if app.builder.format == "html" and hasattr(app.builder, "templates"):
        furo = app.builder.name not in {"epub"}
        app.builder.templates.environment.filters["theme_a11y"] = theme_a11y if furo else unchanged


def setup(app):
    app.connect("builder-inited", add_filter)
    # After furo's own handler, which renders the sidebar tree.
    app.connect("html-page-context", fix_page_parts, priority=600)
    app.add_css_file("a11y.css")
    app.add_js_file("a11y.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}

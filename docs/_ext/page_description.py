"""A ``<meta name="description">`` for every page, in the page's language.

Every page of the guide opens with a paragraph that says what the reader will
have at the end of it (docs STYLE: "Start with what the reader will have at
the end"). That paragraph is the page's description: its first sentences, up
to about what a search engine shows. It is taken from the finished doctree,
so on a Chinese page it is the Chinese paragraph from the page's catalogue,
and it never drifts from the page.

A page may set its own, with MyST front matter (``html_meta: {description:
...}``, which gettext extracts and the catalogue translates); it is then
kept. The pages Sphinx writes without a source (search, index, 404) get
theirs from ``_templates/page.html``, through the theme catalogue. A content
page without any paragraph fails the build (with -W), naming its file.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

# Characters of description, about what search results show.
LONGEST = {"en": 200, "zh": 100}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`(\"'])|(?<=[。！？])")


def describe(text: str, language: str) -> str:
    """The first sentences of ``text`` that fit; when they would make less
    than half of it, the text cut at a word, with an ellipsis."""
    text = " ".join(text.split())
    longest = LONGEST["zh" if language.startswith("zh") else "en"]
    if len(text) <= longest:
        return text
    kept = ""
    for sentence in SENTENCE_END.split(text):
        joined = f"{kept} {sentence}".strip() if not language.startswith("zh") else kept + sentence
        if len(joined) > longest:
            break
        kept = joined
    if len(kept) >= longest // 2:
        return kept
    cut = text[:longest - 1]
    if not language.startswith("zh") and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut + "…"


def first_paragraph(doctree) -> str | None:
    for paragraph in doctree.findall(nodes.paragraph):
        inside = paragraph.parent
        while inside is not None and not isinstance(inside, (nodes.Admonition, nodes.table,
                                                             nodes.sidebar, nodes.topic)):
            inside = inside.parent
        if inside is None and paragraph.astext().strip():
            return paragraph.astext()
    return None


def add_description(app, pagename, templatename, context, doctree) -> None:
    if app.builder.format != "html" or doctree is None:
        return
    if 'name="description"' in (context.get("metatags") or ""):
        return  # the page's own, from its front matter
    text = first_paragraph(doctree)
    if text is None:
        logger.warning("%s: no paragraph to describe the page with; give it an opening "
                       "paragraph or a front-matter html_meta description",
                       app.env.doc2path(pagename), type="page_description")
        return
    context["page_description"] = describe(text, app.config.language)


def setup(app):
    app.connect("html-page-context", add_description)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Show the file written for the language being built.

``make bench`` writes its tables and charts once per language
(``results.en.txt``, ``results.zh_CN.svg``...). The ``language-file``
directive takes a path with ``{language}`` in it, relative to the page, and
shows the file of the build's language:

    ```{language-file} _static/bench/results.{language}.svg
    :as: svg
    ```

``:as: text`` (the default) shows it as a literal block, as
``literalinclude`` would (and records the file in the node's ``source``, so
that the snippet inventory sees which file it is); ``:as: svg`` puts the SVG
into the page's HTML as it is, inline, so that the CSS inside it sees the
page (furo's ``body[data-theme]`` for the light and dark themes) and its
text is the page's text. The file is recorded as a dependency: the page is
rebuilt when it changes.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective


BLOCK = re.compile(r"^(?:`{3,}|~{3,}|:{3,})\{language-file\}[ \t]+(\S+)", re.M)


def used_by(markdown: str) -> list[str]:
    """The paths (with ``{language}`` in them) of a page's language-file
    blocks, read from its Markdown: what the translation status counts."""
    return BLOCK.findall(markdown)


class LanguageFile(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = False
    option_spec = {"as": lambda value: directives.choice(value, ("text", "svg"))}

    def run(self) -> list[nodes.Node]:
        language = self.config.language or "en"
        relative, absolute = self.env.relfn2path(
            self.arguments[0].replace("{language}", language))
        path = Path(absolute)
        if not path.is_file():
            raise self.error(f"language-file: {relative} does not exist")
        self.env.note_dependency(relative)
        text = path.read_text(encoding="utf-8")
        if self.options.get("as", "text") == "svg":
            if not text.lstrip().startswith("<svg"):
                raise self.error(f"language-file: {relative} does not start with <svg")
            container = nodes.container(classes=["language-file-svg"])
            container += nodes.raw("", text, format="html")
            self.set_source_info(container)
            return [container]
        block = nodes.literal_block(text, text, source=str(path), language="text")
        self.set_source_info(block)
        return [block]


def setup(app):
    app.add_directive("language-file", LanguageFile)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

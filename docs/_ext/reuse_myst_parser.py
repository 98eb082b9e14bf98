"""Translated builds without the per-message set-up cost of MyST.

Sphinx's i18n transform parses every translated message (msgstr) on its own:
for each one it asks for a new MyST parser, and myst-parser 5.2 then

* builds a new markdown-it parser with all its plugins and a new renderer
  (whose ``__init__`` inspects all of its methods), and
* creates a throwaway docutils document with the default settings, which
  means a new optparse ``OptionParser`` of ~70 options: ``setup_render`` has
  ``options.get("document", make_document())``, whose default is computed
  even when a document is given, as it always is under Sphinx.

With ~1,500 messages that was about half of a zh_CN build. This extension

* keeps the markdown-it parsers it made and hands a free one to the next
  parse that has the same MyST configuration (the project's, or a page's
  front matter's), and
* makes ``make_document`` copy default settings built once per parser class,
  instead of building them anew.

The output is unchanged: the renderer resets all of its per-document state
in ``setup_render``, and a parse that starts while another is running (a
nested parse) gets a parser of its own. tests/test_site.py builds both
languages with and without this extension and compares every file.
Setting ``DOCS_PLAIN_BUILD=1`` in the environment leaves myst-parser as it is.
"""

from __future__ import annotations

import copy
import os

from docutils.frontend import get_default_settings
from docutils.utils import new_document
from myst_parser.config.main import TopmatterReadError, merge_file_level, read_topmatter
from myst_parser.mdit_to_docutils import base
from myst_parser.mdit_to_docutils.sphinx_ import SphinxRenderer
from myst_parser.parsers.mdit import create_md_parser
from myst_parser.parsers.sphinx_ import MystParser
from myst_parser.warnings_ import create_warning

_DEFAULT_SETTINGS = {}  # parser class -> docutils settings with its defaults
_FREE_PARSERS = []  # (MyST configuration, markdown-it parser) not in use


def make_document(source_path="notset", parser_cls=base.RSTParser):
    """myst-parser's ``make_document``, with the default settings built once."""
    if parser_cls not in _DEFAULT_SETTINGS:
        _DEFAULT_SETTINGS[parser_cls] = get_default_settings(parser_cls)
    return new_document(source_path, settings=copy.copy(_DEFAULT_SETTINGS[parser_cls]))


class ReusingMystParser(MystParser):
    """MystParser whose markdown-it parsers are reused from one parse to the next."""

    def parse(self, inputstring, document) -> None:
        # What MystParser.parse does, but with a parser from the pool.
        config = document.settings.env.myst_config
        try:
            topmatter = read_topmatter(inputstring)
        except TopmatterReadError:
            pass  # reported during the render
        else:
            if topmatter:
                warning = lambda wtype, msg: create_warning(  # noqa: E731
                    document, msg, wtype, line=1, append_to=document
                )
                config = merge_file_level(config, topmatter, warning)
        parser = _take_parser(config)
        parser.options["document"] = document
        try:
            parser.render(inputstring)
        finally:
            del parser.options["document"]
            _FREE_PARSERS.append((config, parser))


def _take_parser(config):
    for i, (free_config, parser) in enumerate(_FREE_PARSERS):
        if free_config == config:
            del _FREE_PARSERS[i]
            return parser
    return create_md_parser(config, SphinxRenderer)


def setup(app):
    if not os.environ.get("DOCS_PLAIN_BUILD"):
        app.setup_extension("myst_parser")
        base.make_document = make_document
        app.add_source_parser(ReusingMystParser, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

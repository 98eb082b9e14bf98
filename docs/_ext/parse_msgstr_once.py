"""Each translated message parsed once, not twice.

Sphinx's i18n transform (``Locale.apply``) goes over a page's messages
twice. The first pass parses every translation to fix up section titles and
drops the result for anything else; the second parses the same text again,
from the same place in the page, for every message the first pass did not
finish. That second parse was ~40 % of the time the zh_CN build spent
parsing translations.

Here the first parse of a message is remembered (a copy of its nodes) until
the transform moves on to another page, and the second gets a copy of it:
the same nodes the parse would make, as the parse of the same text in a
document of its own depends on nothing else. tests/test_site.py builds the
site with and without this (``DOCS_PLAIN_BUILD=1``) and compares every file.
"""

from __future__ import annotations

import os

from docutils import nodes
from sphinx.transforms import i18n

_parse = i18n._publish_msgstr
_parsed: dict[tuple[str, str, int], nodes.Element] = {}  # messages of one page


def publish_msgstr(source, source_path, source_line, **kwargs):
    key = (source, source_path, source_line)
    if key in _parsed:
        return _parsed[key].deepcopy()
    if _parsed and next(iter(_parsed))[1] != source_path:
        _parsed.clear()  # a new page
    patch = _parse(source, source_path, source_line, **kwargs)
    if isinstance(patch, nodes.Element) and not isinstance(patch, nodes.document):
        _parsed[key] = patch.deepcopy()
    return patch


def setup(app):
    if not os.environ.get("DOCS_PLAIN_BUILD"):
        i18n._publish_msgstr = publish_msgstr
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Chinese search that finds what Chinese readers type.

Only the zh_CN build is touched; for every other language this does nothing.

* A small project dictionary (``zh_dict.txt``, one word a line) is added to
  jieba's through ``html_search_options = {"dict": ...}``, so that domain
  terms such as 异步安全 or 中间件 are indexed as words. It replaces Sphinx's
  default, which re-adds jieba's whole 350,000-word dictionary on each build.
* jieba's DEBUG messages ("Building prefix dict ...") are silenced.
* Sphinx before 9.1.1 names the JavaScript stemmer after ``language_name``
  and so writes ``window.Stemmer = ChineseStemmer;`` into
  ``language_data.js``, but Chinese uses ``english-stemmer.js``, which
  defines ``EnglishStemmer``: the script fails and search hangs on
  "Searching" (sphinx #14229). Sphinx 9.1.1 derives the name from the
  stemmer's file instead; on older releases (9.0.4, the newest for Python
  3.11) the subclass below names the stemmer that is really there.
  tests/test_zh_cn_site.py checks the built file on whichever Sphinx runs.
* ``zh_split.js`` replaces the query splitter so that a query typed without
  spaces (如何部署中间件) is cut into words the index knows.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sphinx

HERE = Path(__file__).resolve().parent
DICTIONARY = HERE / "zh_dict.txt"

# sphinx #14229 is fixed from Sphinx 9.1.1 on. Delete this, and the
# language_name line below, once no supported Python gets an older Sphinx
# (requirements.txt pins 9.0.4 for Python 3.11 only).
STEMMER_NAMED_AFTER_LANGUAGE = sphinx.version_info[:3] < (9, 1, 1)


def search_language():
    """The Chinese search language. Imported only by the zh builds: it and
    jieba take ~0.1 s of CPU to import, in every build and doctest process."""
    from sphinx.search.zh import SearchChinese

    class ProjectSearchChinese(SearchChinese):
        js_splitter_code = (HERE / "zh_split.js").read_text(encoding="utf-8")
        if STEMMER_NAMED_AFTER_LANGUAGE:
            # Used only to build "window.Stemmer = <language_name>Stemmer;" and a log label.
            language_name = "English"

    return ProjectSearchChinese


def chinese_search_options(app, config) -> None:
    if not (config.language or "").startswith("zh"):
        return
    import jieba

    jieba.setLogLevel(logging.WARNING)
    app.add_search_language(search_language())
    config.html_search_options = {**(config.html_search_options or {}), "dict": str(DICTIONARY)}


def setup(app):
    app.connect("config-inited", chinese_search_options)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Chinese search that finds what Chinese readers type.

Only the zh_CN build is touched; for every other language this does nothing.

* A small project dictionary (``zh_dict.txt``, one word a line) is added to
  jieba's through ``html_search_options = {"dict": ...}``, so that domain
  terms such as 异步安全 or 中间件 are indexed as words. It replaces Sphinx's
  default, which re-adds jieba's whole 350,000-word dictionary on each build.
* jieba's DEBUG messages ("Building prefix dict ...") are silenced.
* jieba's dictionary is loaded bigram by bigram, as the text being indexed
  needs it (jieba_by_bigram.py), and jieba is imported without
  ``pkg_resources``, which it imports only to open its own files (~0.2 s of
  CPU; without it jieba opens them by path). Each word's stem is computed
  once (stem_once.py). ``DOCS_PLAIN_BUILD=1`` turns all three off.
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
import os
import sys
from pathlib import Path

import sphinx
from stem_once import StemsOnce

HERE = Path(__file__).resolve().parent
DICTIONARY = HERE / "zh_dict.txt"

# sphinx #14229 is fixed from Sphinx 9.1.1 on. Delete this, and the
# language_name line below, once no supported Python gets an older Sphinx
# (requirements.txt pins 9.0.4 for Python 3.11 only).
STEMMER_NAMED_AFTER_LANGUAGE = sphinx.version_info[:3] < (9, 1, 1)
PLAIN = bool(os.environ.get("DOCS_PLAIN_BUILD"))


def search_language():
    """The Chinese search language. Imported only by the zh builds: it and
    jieba take ~0.1 s of CPU to import, in every build and doctest process."""
    import jieba
    import jieba_by_bigram
    from sphinx.search.zh import SearchChinese

    class ProjectSearchChinese(StemsOnce, SearchChinese):
        js_splitter_code = (HERE / "zh_split.js").read_text(encoding="utf-8")
        if STEMMER_NAMED_AFTER_LANGUAGE:
            # Used only to build "window.Stemmer = <language_name>Stemmer;" and a log label.
            language_name = "English"

        def __init__(self, options) -> None:
            self.dictionary = None
            if not PLAIN:
                # Before SearchChinese adds the project's words to jieba's.
                self.dictionary = jieba_by_bigram.load(jieba.dt)
                if self.dictionary is not None:
                    self.dictionary.load_for(Path(options["dict"]).read_text(encoding="utf-8"))
            super().__init__(options)

        def split(self, input: str) -> list[str]:
            if self.dictionary is not None:
                self.dictionary.load_for(input)
            return super().split(input)

    return ProjectSearchChinese


def import_jieba():
    """jieba 0.42.1 imports ``pkg_resources`` (when setuptools is there)
    only to open its own files, and opens them by path without it."""
    if PLAIN or "pkg_resources" in sys.modules:
        import jieba
    else:
        sys.modules["pkg_resources"] = None  # so that importing it fails
        try:
            import jieba
        finally:
            del sys.modules["pkg_resources"]
    return jieba


def chinese_search_options(app, config) -> None:
    if not (config.language or "").startswith("zh"):
        return
    jieba = import_jieba()
    jieba.setLogLevel(logging.WARNING)
    app.add_search_language(search_language())
    config.html_search_options = {**(config.html_search_options or {}), "dict": str(DICTIONARY)}


def setup(app):
    app.connect("config-inited", chinese_search_options)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

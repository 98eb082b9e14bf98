"""Search stems computed once per word in a build, not once per page.

Sphinx's search index stems every word of every page (snowballstemmer's
English stemmer, in pure Python, for the English site and for the Latin
words of the Chinese one), remembering the stems of one page only
(``IndexBuilder.feed``). The site's ~10,000 indexed words a language are
~2,400 different ones, and stemming was ~15 % of the English build. A stem
depends on nothing but the word, so one cache for the whole build changes
nothing in ``searchindex.js``: tests/test_site.py builds the site with and
without it (``DOCS_PLAIN_BUILD=1``) and compares every file.
"""

from __future__ import annotations

import os

from sphinx.search.en import SearchEnglish


class StemCache:
    """A snowballstemmer stemmer that stems each word once."""

    def __init__(self, stemmer) -> None:
        self._stem_word = stemmer.stemWord
        self._stems: dict[str, str] = {}

    def stemWord(self, word: str) -> str:  # snowballstemmer's name
        try:
            return self._stems[word]
        except KeyError:
            stem = self._stems[word] = self._stem_word(word)
            return stem


class StemsOnce:
    """For a SearchLanguage whose ``stem`` goes through ``self.stemmer``."""

    def __init__(self, options) -> None:
        super().__init__(options)
        if not os.environ.get("DOCS_PLAIN_BUILD"):
            self.stemmer = StemCache(self.stemmer)


class SearchEnglishStemsOnce(StemsOnce, SearchEnglish):
    pass


def setup(app):
    app.add_search_language(SearchEnglishStemsOnce)  # zh_search.py's Chinese has it too
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""jieba's dictionary, loaded only as far as the text being cut needs it.

jieba keeps its default dictionary as one dict (``Tokenizer.FREQ``: ~500,000
words and word prefixes, each with a frequency) and unmarshals all of it
before cutting the first sentence: ~0.7 s of a zh_CN build, most of it the
memory a fresh process has to get for it. Yet every key jieba looks up
while cutting a text (in ``get_DAG``, ``calc``, ``__cut_DAG``,
``cut_for_search`` and, for the project's own words, ``suggest_freq``) is a
piece of that text. So a piece of two characters or more starts with one of
the text's bigrams, and the site's Chinese text has ~3 % of the
dictionary's keys behind its bigrams.

This module keeps the dictionary split by first bigram in the virtual
environment (``<sys.prefix>/jieba/``, as the bytecode is in its
``pycache/``), made from the ``FREQ`` that jieba itself loads by the first
build that finds none for this copy of jieba's dictionary file (its name
holds the file's size and time). A tokenizer gets every one-character key and jieba's
total at once, and the keys behind a text's bigrams just before that text
is cut (``Dictionary.load_for``). Whatever jieba looks up is then exactly
what the whole dictionary holds, and the project's words, added after the
keys behind their bigrams, are never overwritten: the cut is the same.
tests/test_site.py builds the site with and without this (``DOCS_PLAIN_BUILD=1``)
and compares every file, search index included.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections import defaultdict
from pathlib import Path

FORMAT = 1  # bump when the layout of the file below changes


def bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


class Dictionary:
    """The default dictionary of ``tokenizer``, loaded bigram by bigram."""

    def __init__(self, tokenizer, total: int, singles: dict, by_first: dict) -> None:
        tokenizer.FREQ = self.freq = dict(singles)
        tokenizer.total = total
        tokenizer.initialized = True
        self.by_first = by_first  # first character -> {bigram: marshalled keys}, marshalled
        self.seen: set[str] = set()

    def load_for(self, text: str) -> None:
        """Load the keys that cutting ``text`` can look up."""
        new = bigrams(text) - self.seen
        self.seen |= new
        for bigram in new:
            inner = self.by_first.get(bigram[0])
            if inner is None:
                continue
            if isinstance(inner, bytes):
                inner = self.by_first[bigram[0]] = marshal.loads(inner)
            keys = inner.get(bigram)
            if keys is not None:
                self.freq.update(marshal.loads(keys))


def _file() -> Path:
    import jieba

    source = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    mark = source.stat()
    return Path(sys.prefix) / "jieba" / f"by-bigram-{FORMAT}-{mark.st_size}-{mark.st_mtime_ns}.marshal"


def _split(tokenizer, path: Path) -> None:
    """Load all of jieba's dictionary into ``tokenizer``, as jieba does
    (with its own cache beside ``path``, not in /tmp), and write it split."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        tokenizer.initialize()  # a read-only environment: every build loads all of it
        return
    tokenizer.tmp_dir = tokenizer.tmp_dir or str(path.parent)
    tokenizer.initialize()
    freq = tokenizer.FREQ
    singles = {key: n for key, n in freq.items() if len(key) == 1}
    by_bigram: dict[str, dict] = defaultdict(dict)
    for key, n in freq.items():
        if len(key) > 1:
            by_bigram[key[:2]][key] = n
    by_first: dict[str, dict] = defaultdict(dict)
    for bigram, keys in by_bigram.items():
        by_first[bigram[0]][bigram] = marshal.dumps(keys)
    data = (tokenizer.total, singles,
            {first: marshal.dumps(inner) for first, inner in by_first.items()})
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    partial.write_bytes(marshal.dumps(data))
    os.replace(partial, path)  # builds side by side each see a whole file or none


def load(tokenizer) -> Dictionary | None:
    """Give ``tokenizer`` (jieba's default, not yet initialised) a
    Dictionary; or, the first time, load all of jieba's as usual, write the
    split file for the builds after this one and return None."""
    path = _file()
    try:
        total, singles, by_first = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        _split(tokenizer, path)
        return None
    return Dictionary(tokenizer, total, singles, by_first)


if __name__ == "__main__":
    # tests/test_site.py runs this before its builds, so that they find the
    # file; with --path it only prints where the file goes.
    import jieba

    jieba.setLogLevel(60)
    path = _file()
    if sys.argv[1:] != ["--path"] and not path.exists():
        load(jieba.dt)
    print(path)

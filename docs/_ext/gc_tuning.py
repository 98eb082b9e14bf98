"""A build that spends its time building, not collecting garbage.

Python's cycle collector runs whenever 700 more objects have been made than
freed, and now and then goes over every object there is. A Sphinx build
makes millions of short-lived objects and keeps ~1 million (docutils trees,
MyST parsers, jieba's dictionary): collecting took ~1 s of a 5.5 s zh_CN
build and ~0.5 s of the English one, and freed next to nothing, since a
build is one process that exits when it is done.

So, once the builder is set up, everything there is then is left out of
collections for good (``gc.freeze``: modules, classes, the configuration),
and a collection starts only once 200,000 more objects have been made than
freed (mypy does the same, for the same reason). The collector still runs:
what is garbage is still freed, ~15 MB later. The doctest builder is left
as it is, so that the examples run as they would anywhere. Nothing else
changes: tests/test_site.py builds the site with and without this
(``DOCS_PLAIN_BUILD=1``) and compares every file.
"""

from __future__ import annotations

import gc
import os

THRESHOLD = 200_000


def collect_less(app) -> None:
    if app.builder.name == "doctest":
        return  # the examples' code runs as it would anywhere else
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(THRESHOLD, older, oldest)
    # Python collects once more as it exits (~0.3 s): nothing left to go over.
    app.connect("build-finished", lambda app, exception: gc.freeze(), priority=1000)


def setup(app):
    if not os.environ.get("DOCS_PLAIN_BUILD"):
        app.connect("builder-inited", collect_less, priority=0)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

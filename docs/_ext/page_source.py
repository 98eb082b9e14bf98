"""The way back to each page's source, and the day it last changed.

A page is written in two files: the English Markdown (``docs/<page>.md``)
and its Chinese catalogue (``locale/zh_CN/LC_MESSAGES/<page>.po``). For each
page this extension puts into the template context:

``page_source``
    the file this page was made from, in its language: the ``.md`` on an
    English page, the ``.po`` on a Chinese one (the ``.md`` while a page has
    no catalogue yet), with ``view`` and ``edit`` links into the repository
    (``source_repository`` and ``source_branch`` in conf.py), shown by
    ``_templates/components/view-this-page.html`` and ``edit-this-page.html``
    where furo shows its view and edit buttons;
``last_updated``
    the date of the last commit that touched the page's Markdown, and on a
    Chinese page its catalogue too, written for the language (furo shows it
    at the foot of the page; ``<time datetime>`` holds the ISO date).

The dates come from ``git log``, once per build. A build outside a git
checkout, or in a shallow clone (whose history is cut off, so every file
would seem to date from the newest commit), shows no date rather than a
wrong one, and says why in the build log.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from markupsafe import Markup
from sphinx.util import logging

logger = logging.getLogger(__name__)

CATALOGUES = "locale/{language}/LC_MESSAGES"
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def format_date(day: dt.date, language: str) -> str:
    if language.startswith("zh"):
        return f"{day.year} 年 {day.month} 月 {day.day} 日"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          check=True).stdout


def last_changes(root: Path, paths: list[str]) -> tuple[dict[str, dt.date], str | None]:
    """({path relative to root: date of the last commit touching it}, None),
    or ({}, why there are no dates)."""
    try:
        top = _git(root, "rev-parse", "--show-toplevel").strip()
    except (OSError, subprocess.CalledProcessError):
        return {}, f"{root} is not a git checkout"
    if Path(top).resolve() != root.resolve():
        return {}, f"{root} is not the top of a git checkout"
    if _git(root, "rev-parse", "--is-shallow-repository").strip() == "true":
        return {}, ("a shallow clone has no history of its files "
                    "(`git fetch --unshallow` gives it)")
    # Newest first: the first commit that names a file is its last change.
    log = _git(root, "log", "--format=@%ct", "--name-only", "--no-renames", "--", *paths)
    dates: dict[str, dt.date] = {}
    when = None
    for line in log.splitlines():
        if line.startswith("@"):
            when = dt.datetime.fromtimestamp(int(line[1:]), dt.timezone.utc).date()
        elif line and when is not None:
            dates.setdefault(line, when)
    return dates, None


def read_history(app) -> None:
    app.page_source_dates = {}
    if app.builder.format != "html":
        return
    root = Path(app.confdir)
    source = Path(app.srcdir).relative_to(root).as_posix()
    catalogues = CATALOGUES.format(language=app.config.language)
    dates, why = last_changes(root, [source, catalogues])
    if why:
        logger.info("page_source: no last-updated dates: %s", why)
    app.page_source_dates = dates


def _repository_url(app, kind: str, path: str) -> str:
    repo = app.config.source_repository.rstrip("/")
    return f"{repo}/{kind}/{app.config.source_branch}/{path}"


def add_page_source(app, pagename, templatename, context, doctree) -> None:
    if app.builder.format != "html" or pagename not in app.env.all_docs:
        return
    root = Path(app.confdir)
    markdown = Path(app.env.doc2path(pagename)).resolve().relative_to(root).as_posix()
    files = [markdown]
    shown = markdown
    language = app.config.language
    if language != "en":
        catalogue = f"{CATALOGUES.format(language=language)}/{pagename}.po"
        if (root / catalogue).is_file():
            files.append(catalogue)
            shown = catalogue
    if app.config.source_repository:
        context["page_source"] = {
            "path": shown,
            "view": _repository_url(app, "blob", shown),
            "edit": _repository_url(app, "edit", shown),
        }
    dates = [d for d in (app.page_source_dates.get(f) for f in files) if d]
    if dates:
        day = max(dates)
        context["last_updated"] = Markup('<time datetime="{}">{}</time>').format(
            day.isoformat(), format_date(day, language))


def setup(app):
    app.add_config_value("source_repository", "", "html", types=[str])
    app.add_config_value("source_branch", "main", "html", types=[str])
    app.connect("builder-inited", read_history)
    app.connect("html-page-context", add_page_source)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

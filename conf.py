"""Sphinx configuration for "Deploying Django with ASGI".

Sources live in docs/; this file sits at the top of the repository and is
found with ``sphinx-build -c .``.  Anything that depends on the language
being built reads ``app.config.language`` inside an event hook (see the
extensions in docs/_ext/), never at module level.
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import build_catalogues  # noqa: E402  (docs/_ext)

sys.path.insert(0, str(ROOT / "docs" / "_tools"))
import series_requirements  # noqa: E402  (docs/_tools)

project = "Deploying Django with ASGI"
author = "The Deploying Django with ASGI authors"
copyright = "2026, " + author

extensions = [
    "gc_tuning",  # docs/_ext: fewer garbage collections, none over what is loaded at the start
    "myst_parser",
    "reuse_myst_parser",  # docs/_ext: translated messages parsed without MyST's set-up cost
    "parse_msgstr_once",  # docs/_ext: ... and each of them once, not twice
    "stem_once",  # docs/_ext: each word of the search index stemmed once a build
    "sphinx.ext.doctest",
    "sphinx_copybutton",
    "sphinx_design",
    "sphinx_sitemap",
    "notfound.extension",
    "language_links",  # docs/_ext: language switcher, hreflang, per-language URLs
    "zh_search",  # docs/_ext: Chinese search (dictionary, splitter, stemmer fix before Sphinx 9.1.1)
    "translation_notice",  # docs/_ext: "not yet translated" notice, status page
    "doctest_lines",  # docs/_ext: doctest failures at the right line of a Markdown page
    "design_where_used",  # docs/_ext: sphinx-design's CSS and JS only where a page uses them
    "language_files",  # docs/_ext: a file per language (make bench's tables and charts)
]

root_doc = "index"
exclude_patterns = ["_build", "_ext", "_runner", "_static", "_templates"]
language = "en"

# Translations: one catalogue per page in locale/. The builds read a copy
# under the build folder (docs/_ext/build_catalogues.py), where Sphinx also
# writes the compiled .mo files: a build writes nothing outside _build/, and
# a deleted catalogue is gone from the site too. The path is absolute, so
# that it holds wherever sphinx-build is started from; sphinx-intl is given
# `-d locale` by the Makefile.
BUILD_DIR = Path(os.environ.get("DOCS_BUILD_DIR") or ROOT / "_build")
locale_dirs = [str(build_catalogues.mirror(ROOT / "locale", BUILD_DIR / "locale"))]
gettext_compact = False
gettext_uuid = False
gettext_location = True

myst_enable_extensions = ["colon_fence", "deflist", "substitution"]
# The Django series the guide is checked on, read from the files the two
# virtual environments are made from, so that the pages never name another:
# {{ django_5_2 }} on Python {{ python_5_2 }}, {{ django_6_1 }} on {{ python_6_1 }}.
SERIES = {"5_2": ROOT / "requirements.txt", "6_1": ROOT / "requirements-django-6.1.txt"}
myst_substitutions = {}
for _series, _file in SERIES.items():
    myst_substitutions[f"django_{_series}"] = series_requirements.pin(_file, "Django")
    myst_substitutions[f"python_{_series}"] = series_requirements.pythons(_file)[0]
myst_heading_anchors = 3

html_theme = "furo"
html_title = "Deploying Django with ASGI"
html_static_path = ["docs/_static"]
templates_path = ["docs/_templates"]
html_last_updated_fmt = None
html_show_sphinx = False
# Search: a page whose title holds the query's words ranks first, and snippets
# start and end at a word (inlined into language_data.js, the search page only).
html_search_scorer = "docs/_ext/search_tuning.js"
html_favicon = "docs/_static/favicon.svg"
# Every page carries the theme's translated strings, but Sphinx rewrites a page
# only when its own catalogue changes. A digest of the theme catalogue in the
# html context makes an edit to it rewrite every page.
html_context = {
    "theme_catalogue": hashlib.sha256(
        (ROOT / "locale" / "zh_CN" / "LC_MESSAGES" / "sphinx.po").read_bytes()
    ).hexdigest()[:12],
}

# Where the site is published (GitHub Pages sets SITE_URL); `make serve` by
# default. language_links derives html_baseurl (canonical links) and the 404
# page's notfound_urls_prefix from it for each language.
site_url = os.environ.get("SITE_URL", "http://127.0.0.1:8000/")
sitemap_locales = ["en", "zh_CN"]
sitemap_excludes = ["404.html", "search.html", "genindex.html"]
notfound_template = "notfound.html"

# Copy buttons copy only the lines that start with a prompt, without it:
# output, blank output lines and tracebacks stay behind. The prompts must stay
# in the copied text for that (excluding .gp would hide them and copy
# everything). A bare "..." line copies as an empty line (it ends a block in
# the REPL); a console line ending in "\" carries on to the next.
# Checked by tests/test_browser.py.
copybutton_exclude = ".linenos"
copybutton_prompt_text = r">>> |\.\.\.(?: |$)|\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
copybutton_copy_empty_lines = False
copybutton_line_continuation_character = "\\"

# Doctests run against the example projects; paths are relative to the
# repository root, where `make doctest` runs.
doctest_global_setup = """
import os, sys
"""

# `make linkcheck` (docs/_tools/linkcheck.py): the pages' links to a server
# the reader started on their own machine are not for it to check.
linkcheck_ignore = [r"https?://(127\.0\.0\.1|localhost)[:/]"]
linkcheck_timeout = 15

# --- issue 14: accessibility, the way back to the source, page descriptions
# (docs/_ext/theme_a11y.py, docs/_ext/page_source.py) ---------------------
extensions += [
    "theme_a11y",  # docs/_ext: landmarks, focusable code blocks, heading levels
    "page_source",  # docs/_ext: view/edit links to each page's source, last-updated date
    "page_description",  # docs/_ext: <meta name="description"> in the page's language
]
# Where each page's "View this page" and "Edit this page" buttons open its
# source (the .md on an English page, the .po on a Chinese one). The Pages
# workflow sets SOURCE_REPOSITORY and SOURCE_BRANCH to the repository and
# branch it builds; elsewhere these defaults hold.
source_repository = os.environ.get(
    "SOURCE_REPOSITORY", "https://github.com/deploying-django-asgi/deploying-django-asgi")
source_branch = os.environ.get("SOURCE_BRANCH", "main")
# --- end of issue 14 --------------------------------------------------------

# --- issue 16: the in-process examples run in the reader's browser
# (docs/_ext/run_in_browser.py, docs/_runner/, `make runner`) ---------------
extensions += ["run_in_browser"]
# The pages whose doctests call an example project in-process: each of their
# doctest blocks gets a Run button, but a block that starts a process or
# opens a socket (run_in_browser.CANNOT_RUN). The example is the folder the
# page's {testsetup} changes into.
run_in_browser_pages = [
    "overview", "application", "settings", "middleware", "async-safety", "embedding",
    "streaming", "servers/index", "behind-a-proxy",
]
# The doctest pages that cannot run in the browser, each with the error its
# first block ends in there (tests/test_run_in_browser.py checks both lists).
run_in_browser_not = {
    # psycopg needs libpq (no wheel for the browser), and its pool opens
    # connections to PostgreSQL in threads.
    "databases": ("django.core.exceptions.ImproperlyConfigured: "
                  "Error loading psycopg2 or psycopg module"),
    # A server's module (Uvicorn's Gunicorn worker), not an example project.
    "servers/uvicorn": "ModuleNotFoundError: No module named 'uvicorn'",
}
# What `make runner` assembled: Pyodide, the wheels, the examples packed.
run_in_browser_dir = str(BUILD_DIR / "runner")
# --- end of issue 16 --------------------------------------------------------

# The site's name in each language; module-level code only ever sees "en",
# so the title is chosen once the language of the build is known.
TITLES = {"en": "Deploying Django with ASGI", "zh_CN": "使用 ASGI 部署 Django"}


def _title_for_language(app, config):
    config.html_title = TITLES.get(config.language, TITLES["en"])
    config.epub_title = config.html_title


# The EPUB of each language (`make site`), offered on the home page. Its
# version is the date of the commit it was built from.
epub_basename = "deploying-django-with-asgi"
epub_author = epub_publisher = author
epub_copyright = copyright
epub_show_urls = "no"
# The benchmarks' data and text files: the pages inline what they show of them,
# and an EPUB has no media type for them.
epub_exclude_files = ["search.html"] + sorted(
    f"_static/bench/{f.name}" for f in (ROOT / "docs/_static/bench").iterdir()
    if f.suffix not in {".svg", ".png"})


def _epub_version(app):
    """EPUB 3 wants a version; the HTML pages show none, so only its builder
    gets one, and a new commit does not make Sphinx read every page again."""
    if app.builder.name == "epub":
        app.config.version = app.config.release = subprocess.run(
            ["git", "log", "-1", "--format=%cd", "--date=format:%Y.%m.%d"], cwd=ROOT,
            capture_output=True, text=True).stdout.strip() or "unreleased"


def setup(app):
    app.connect("config-inited", _title_for_language)
    app.connect("builder-inited", _epub_version, priority=100)  # before EPUB checks it

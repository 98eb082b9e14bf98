# Deploying Django with ASGI: every entry point of the project.
# `make html` and `make test` are the whole set-up on a fresh machine.

# The Django series: DJANGO=5.2 (the LTS, the default) runs in .venv from
# requirements.txt and builds into _build/; DJANGO=6.1 runs in .venv-6.1
# (requirements.txt with the lines of requirements-django-6.1.txt instead of
# its Django ones) and builds into _build/django-6.1/, so that the two series
# share no doctrees, bytecode or output. `make test-all` runs both.
DJANGO   ?= 5.2
ifeq ($(DJANGO),5.2)
PYTHON   ?= python3
VENV     := .venv
BUILD    ?= _build
REQUIREMENTS := requirements.txt
else ifeq ($(DJANGO),6.1)
# The interpreter is looked for only when .venv-6.1 is made (PYTHON_6_1=...
# names one): docs/_tools/find_python.sh says where it looked.
PYTHONS_6_1 := 3.13 3.12
VENV     := .venv-6.1
BUILD    ?= _build/django-6.1
REQUIREMENTS := requirements.txt requirements-django-6.1.txt
else
$(error DJANGO=$(DJANGO): the guide is checked on DJANGO=5.2 (the default) and DJANGO=6.1)
endif
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
SPHINX   := $(BIN)/sphinx-build
# The venv's Python by its real path (in a copy of the project .venv may be a
# link), as the scripts' #! lines name it: its packages' bytecode is then the
# same files for every copy. Expanded when a recipe runs, once .venv exists.
PY        = $(realpath $(VENV))/bin/python
SPHINXOPTS ?= -W --keep-going -q
LANGS    := en zh_CN
# conf.py keeps its copy of the catalogues (and Sphinx its .mo files) here:
# nothing a target runs writes outside $(BUILD), but for bytecode and jieba's
# dictionary split by bigram (docs/_ext/jieba_by_bigram.py), both in $(VENV).
export DOCS_BUILD_DIR := $(abspath $(BUILD))
# Python keeps its bytecode in $(VENV)/pycache, none in the sources. pip
# installs without compiling (compiling every package took 8 of its 20 s); the
# first build compiles what it imports, and a copy of the project whose .venv
# links to this one (the tests' and bench-build's) shares that, so that no
# build from nothing starts by compiling Sphinx and Django again (about 2.8 s
# of CPU each time).
export PYTHONPYCACHEPREFIX := $(abspath $(VENV))/pycache
# So write it even where the shell says not to.
unexport PYTHONDONTWRITEBYTECODE
SRC      := docs

.DEFAULT_GOAL := help
.PHONY: help venv html html-en html-zh_CN doctest test test-all pytest clean snippets bench-build \
  bench bench-db bench-static linkcheck runner

help: ## List the targets, one line each
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The virtual environment is made anew whenever requirements.txt is newer,
# so that a requirement removed from the file is gone from .venv too.
ifeq ($(DJANGO),5.2)
$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; install Python 3.11 or newer (PYTHON=... to pick one)" >&2; exit 1; }
	@rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile --disable-pip-version-check -r requirements.txt
	@touch $@
else
$(STAMP): $(REQUIREMENTS)
	@python=$$(sh docs/_tools/find_python.sh "Django $(DJANGO)" PYTHON_6_1 $(PYTHONS_6_1)) || exit 1; \
	  set -x; rm -rf $(VENV) && $$python -m venv $(VENV)
	$(BIN)/python docs/_tools/series_requirements.py $(REQUIREMENTS) $(VENV)/requirements.txt
	$(BIN)/python -m pip install --quiet --no-compile --disable-pip-version-check -r $(VENV)/requirements.txt
	@touch $@
endif

venv: $(STAMP) ## Create .venv from the pinned requirements.txt (DJANGO=6.1: .venv-6.1, with requirements-django-6.1.txt)

# The examples' runner in the reader's browser (docs/_ext/run_in_browser.py):
# Pyodide from npm (package.json and package-lock.json, `npm ci` into
# node_modules/), the wheels of requirements-browser.txt (pip downloads them
# once into $(BUILD)/runner-wheels/) and examples/ packed, in $(BUILD)/runner/,
# which `make html` copies to the site's _runner/. Without npm, `make html`
# builds the pages without Run buttons and says so; `make test` needs npm.
NPM      ?= npm
RUNNER   := $(BUILD)/runner
node_modules/.package-lock.json: package.json package-lock.json
	@command -v $(NPM) >/dev/null || { echo "make runner: npm not found: install Node.js and npm (Debian: apt-get install npm; .ci/run does)" >&2; exit 1; }
	$(NPM) ci --no-audit --no-fund --loglevel=error

runner: $(STAMP) node_modules/.package-lock.json ## Pyodide (npm ci), the browser's wheels (pip download) and examples/, packed into _build/runner/
	@$(PY) docs/_tools/build_runner.py $(RUNNER) $(BUILD)/runner-wheels $(REQUIREMENTS)

html: $(STAMP) ## Build the site in both languages into _build/html/ (with the Run buttons' runner when npm is there)
	@if [ ! -f package.json ]; then rm -rf $(RUNNER); echo "make html: no package.json: the pages are built without Run buttons"; \
	elif ! command -v $(NPM) >/dev/null 2>&1; then rm -rf $(RUNNER); echo "make html: npm not found: the pages are built without Run buttons (make test needs npm)"; \
	else $(MAKE) --no-print-directory runner || exit 1; fi
	@$(MAKE) --no-print-directory -j2 html-en html-zh_CN
	@cp $(SRC)/_root/index.html $(BUILD)/html/index.html
	@rm -rf $(BUILD)/html/_runner; if [ -d $(RUNNER) ]; then cp -r $(RUNNER) $(BUILD)/html/_runner; fi
	@echo "Site built: $(BUILD)/html/index.html (en/, zh_CN/)"

html-en html-zh_CN: html-%: $(STAMP)
	$(SPHINX) -b html -c . -D language=$* -d $(BUILD)/doctrees/$* $(SPHINXOPTS) $(SRC) $(BUILD)/html/$*

# Each page's doctests run in a process of their own: Django configures its
# settings once per process, and each page imports a different project. A
# failing page does not stop the others; the summary says which failed.
# DOCTEST_PAGES=docs/overview.md runs only the pages named.
DOCTEST_PAGES ?=
doctest: $(STAMP) ## Run every doctest block of every page, then print a per-page summary
	@$(PY) docs/_tools/doctest_pages.py $(BUILD) $(DOCTEST_PAGES)

# The test files run side by side (pytest-xdist), two processes per core (at
# most 8): most tests spend their time waiting for servers, timeouts and
# builds, so a core has room for two. A file's tests stay together, so they
# share its servers and workspaces, but for a class's, which go together on
# their own (test_accessibility.py's two halves of the site run side by side
# so; --dist loadgroup with xdist_group marks would not: on pytest 9.2 the
# marks are silently ignored, pytest-xdist #1386). tests/conftest.py puts the
# longest files first, and --no-loadscope-reorder keeps that order
# (pytest-xdist would hand out the files with the most tests first instead).
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); w=$$((2 * n)); [ $$w -gt 8 ] && w=8; echo $$w)
PYTEST_OPTS ?= -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder
pytest: $(STAMP) ## Run the pytest suite only (PYTEST_OPTS=... to change how)
	$(PY) -m pytest -o cache_dir=$(BUILD)/pytest-cache $(PYTEST_OPTS)

# Each step names the series it runs on, as the report headers of pytest do.
SERIES = $(shell $(BIN)/python -c 'import django, platform; print(f"Django {django.get_version()}, Python {platform.python_version()}")')
test: $(STAMP) ## The catalogue checks, both languages built afresh, the doctests and the whole test suite (DJANGO=6.1 for that series)
	@command -v $(NPM) >/dev/null || { echo "make test: npm not found: the browser tests run the examples in Pyodide, which npm installs (install Node.js and npm; .ci/run does)" >&2; exit 1; }
	@echo "make test: $(SERIES), building into $(BUILD)/"
	@$(MAKE) --no-print-directory site
	@# The doctests run beside pytest, which spends most of its time waiting on
	@# servers and timeouts; their log follows pytest's, and either failing fails.
	@$(MAKE) --no-print-directory doctest > $(BUILD)/doctest.log 2>&1 & doctests=$$!; \
	  $(MAKE) --no-print-directory pytest; tests=$$?; \
	  wait $$doctests; doctested=$$?; cat $(BUILD)/doctest.log; \
	  [ $$doctested = 0 ] || echo "make test: make doctest failed (its log is above)" >&2; \
	  [ $$tests = 0 ] && [ $$doctested = 0 ]
	@echo "make test: passed on $(SERIES)"

# Both series, one after the other; the second runs even when the first
# fails, and the last lines say how each went.
test-all: ## `make test` on Django 5.2 LTS, then on Django 6.1 (DJANGO=6.1); fails if either fails
	@lts=passed; new=passed; \
	  $(MAKE) --no-print-directory test DJANGO=5.2 || lts=FAILED; \
	  $(MAKE) --no-print-directory test DJANGO=6.1 || new=FAILED; \
	  echo "make test-all: Django 5.2 $$lts, Django 6.1 $$new"; \
	  [ $$lts = passed ] && [ $$new = passed ]

snippets: $(STAMP) ## Show which test proves each code block; fail on any unproven
	@$(PY) docs/_tools/snippets.py $(BUILD)/snippets/doctrees

linkcheck: $(STAMP) ## Check the site's external links (needs the network; the Pages workflow runs it)
	@$(PY) docs/_tools/linkcheck.py $(BUILD)/linkcheck

bench-build: $(STAMP) ## Time cold, no-op, one-page and whole-site builds against bare Sphinx+MyST
	@$(PY) docs/_tools/bench_build.py

bench: $(STAMP) ## Load-test each documented server: sync page, async view, idle SSE (needs wrk); writes docs/_static/bench/
	@$(PY) docs/_tools/bench.py

bench-db: $(STAMP) ## Count PostgreSQL connections per database setting under load (needs wrk, postgresql)
	@$(PY) docs/_tools/bench_db.py

bench-static: $(STAMP) ## Serve the same static files with WhiteNoise and ServeStatic under Uvicorn (needs wrk)
	@$(PY) docs/_tools/bench_static.py

# The site as published: both languages, the root page that picks one, 404,
# sitemap. SITE_URL (default http://127.0.0.1:8000/) is where it will live.
.PHONY: site serve livehtml offline-en offline-zh_CN epub-en epub-zh_CN pdf-en pdf-zh_CN
PORT ?= 8000
export SITE_DIR := $(abspath $(BUILD)/site)

# Nothing reaches _build/site/ unless the catalogues pass intl-check and both
# languages build without a warning. Both are written afresh (Sphinx keeps
# its environment, so this is quick), so a removed page is gone from the
# site and from every sidebar.
site: $(STAMP) ## Check the catalogues, build both languages afresh, assemble _build/site/ (SITE_URL=...)
	@$(MAKE) --no-print-directory intl-check || \
	  { echo "site: not assembled: fix what is named above" >&2; exit 1; }
	@rm -rf $(BUILD)/html/en $(BUILD)/html/zh_CN
	@$(MAKE) --no-print-directory html || \
	  { echo "site: not assembled: fix what is named above" >&2; exit 1; }
	@$(MAKE) --no-print-directory -j2 offline-en offline-zh_CN || \
	  { echo "site: not assembled: fix what is named above" >&2; exit 1; }
	@$(PY) docs/_tools/assemble_site.py $(BUILD)/html $(BUILD)/site $(BUILD)/epub $(BUILD)/pdf

# The EPUB and the PDF of one language, from the doctrees its HTML build left
# (one after the other: they share that environment).
offline-en offline-zh_CN: offline-%: $(STAMP)
	@$(MAKE) --no-print-directory epub-$*
	@$(MAKE) --no-print-directory pdf-$*

epub-en epub-zh_CN: epub-%: $(STAMP)
	@rm -rf $(BUILD)/epub/$*
	$(SPHINX) -b epub -c . -D language=$* -d $(BUILD)/doctrees/$* $(SPHINXOPTS) $(SRC) $(BUILD)/epub/$*

# The PDF: every page in one HTML file (singlehtml), printed by Chromium.
pdf-en pdf-zh_CN: pdf-%: $(STAMP)
	@rm -rf $(BUILD)/singlehtml/$* $(BUILD)/pdf/$*
	$(SPHINX) -b singlehtml -c . -D language=$* -d $(BUILD)/doctrees/$* $(SPHINXOPTS) $(SRC) $(BUILD)/singlehtml/$*
	@$(PY) docs/_tools/print_pdf.py $(BUILD)/singlehtml/$*/index.html $(BUILD)/pdf/$*/deploying-django-with-asgi.pdf

serve: site ## Serve _build/site on http://127.0.0.1:8000/, with its 404 pages (PORT=...)
	@$(PY) docs/_tools/serve_site.py $(BUILD)/site $(PORT)

livehtml: $(STAMP) ## Serve the English site on 127.0.0.1:8000, rebuilt on each change (PORT=...)
	$(BIN)/sphinx-autobuild -b html -c . -D language=en -d $(BUILD)/doctrees/livehtml \
	  --host 127.0.0.1 --port $(PORT) --watch conf.py --watch examples \
	  --re-ignore '__pycache__|\.sqlite3' $(SRC) $(BUILD)/livehtml

# Translation: English messages -> _build/gettext/*.pot (one per page, plus
# sphinx.pot for the theme's strings) -> locale/zh_CN/LC_MESSAGES/*.po.
.PHONY: gettext intl-update intl-stats intl-check
GETTEXT  := $(BUILD)/gettext
INTL     := zh_CN
PODIR    := locale/$(INTL)/LC_MESSAGES

gettext: $(STAMP) ## Extract the English messages into _build/gettext/ (one .pot per page)
	@rm -rf $(GETTEXT)
	$(SPHINX) -b gettext -c . -d $(BUILD)/doctrees/gettext $(SPHINXOPTS) $(SRC) $(GETTEXT)
	@$(PY) docs/_tools/intl_tools.py theme-pot $(GETTEXT)/sphinx.pot --language $(INTL)

intl-update: gettext ## Merge new English messages into locale/zh_CN/LC_MESSAGES/*.po
	@$(PY) docs/_tools/intl_tools.py prepare $(PODIR) --compendium $(BUILD)/intl-compendium.po
	$(BIN)/sphinx-intl update -p $(GETTEXT) -l $(INTL) -d locale -w 79 --no-obsolete
	@$(PY) docs/_tools/intl_tools.py wrap --pot-dir $(GETTEXT) --compendium $(BUILD)/intl-compendium.po $(PODIR)

intl-stats: gettext ## Per-page translation progress (translated, fuzzy, untranslated)
	@$(PY) docs/_tools/intl_tools.py stats --pot-dir $(GETTEXT) $(PODIR)

intl-check: gettext ## Fail on zh_CN catalogues that are broken, stale, incomplete or badly typeset
	@$(PY) docs/_tools/intl_check.py --pot-dir $(GETTEXT) --glossary locale/$(INTL)/glossary.csv $(PODIR)

clean: ## Remove the build output (keeps .venv), and .mo files older versions left in locale/
	rm -rf $(BUILD)
	find locale -name '*.mo' -delete

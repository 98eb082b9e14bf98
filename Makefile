# Deploying Django with ASGI: every entry point of the project.
# `make html` and `make test` are the whole set-up on a fresh machine.

PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
SPHINX   := $(BIN)/sphinx-build
SPHINXOPTS ?= -W --keep-going -q
LANGS    := en zh_CN
BUILD    := _build
SRC      := docs
PAGES    := $(shell find $(SRC) -name '*.md' -not -path '*/_*' | sort)

.DEFAULT_GOAL := help
.PHONY: help venv html html-en html-zh_CN doctest test pytest clean snippets bench-build bench

help: ## List the targets, one line each
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The virtual environment is rebuilt whenever requirements.txt is newer.
$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(STAMP) ## Create .venv from the pinned requirements.txt

html: $(STAMP) ## Build the site in both languages into _build/html/
	@$(MAKE) --no-print-directory -j2 html-en html-zh_CN
	@cp $(SRC)/_root/index.html $(BUILD)/html/index.html
	@echo "Site built: $(BUILD)/html/index.html (en/, zh_CN/)"

html-en html-zh_CN: html-%: $(STAMP)
	$(SPHINX) -b html -c . -D language=$* -d $(BUILD)/doctrees/$* $(SPHINXOPTS) $(SRC) $(BUILD)/html/$*

# Each page's doctests run in a process of their own: Django configures its
# settings once per process, and each page imports a different project.
doctest: $(STAMP) ## Run every doctest block of every page
	@set -e; for page in $(PAGES); do \
	  $(SPHINX) -b doctest -c . -d $(BUILD)/doctrees/doctest $(SPHINXOPTS) \
	    $(SRC) $(BUILD)/doctest/$$(echo $$page | sed 's|^$(SRC)/||; s|\.md$$||') $$page; \
	done
	@$(BIN)/python docs/_tools/doctest_summary.py $(BUILD)/doctest $(BUILD)/doctrees/doctest

pytest: $(STAMP) ## Run the pytest suite only
	$(BIN)/python -m pytest

test: $(STAMP) ## Build both languages, run the doctests and the whole test suite
	@$(MAKE) --no-print-directory html
	@$(MAKE) --no-print-directory site
	@$(MAKE) --no-print-directory doctest
	@$(MAKE) --no-print-directory pytest
	@$(MAKE) --no-print-directory intl-check

snippets: $(STAMP) ## Show which test proves each code block; fail on any unproven
	@$(BIN)/python docs/_tools/snippets.py $(BUILD)/snippets/doctrees

bench-build: $(STAMP) ## Time cold, no-op and one-page builds per language against bare Sphinx+MyST
	@$(BIN)/python docs/_tools/bench_build.py

bench: $(STAMP) ## Load-test each documented server (needs wrk); writes docs/_static/bench/
	@$(BIN)/python docs/_tools/bench.py

# The site as published: both languages, the root page that picks one, 404,
# sitemap. SITE_URL (default http://127.0.0.1:8000/) is where it will live.
.PHONY: site serve livehtml
PORT ?= 8000
export SITE_DIR := $(abspath $(BUILD)/site)

site: html ## Assemble the publishable site in _build/site/ (SITE_URL=... for its address)
	@$(BIN)/python docs/_tools/assemble_site.py $(BUILD)/html $(BUILD)/site

serve: site ## Serve _build/site on http://127.0.0.1:8000/ (PORT=... for another port)
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory $(BUILD)/site $(PORT)

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
	@$(BIN)/python docs/_tools/intl_tools.py theme-pot $(GETTEXT)/sphinx.pot --language $(INTL)

intl-update: gettext ## Merge new English messages into locale/zh_CN/LC_MESSAGES/*.po
	$(BIN)/sphinx-intl update -p $(GETTEXT) -l $(INTL) -d locale -w 79 --no-obsolete
	@$(BIN)/python docs/_tools/intl_tools.py wrap --pot-dir $(GETTEXT) $(PODIR)

intl-stats: gettext ## Per-page translation progress (translated, fuzzy, untranslated)
	@$(BIN)/python docs/_tools/intl_tools.py stats --pot-dir $(GETTEXT) $(PODIR)

intl-check: gettext ## Fail on zh_CN catalogues that are broken, stale, incomplete or badly typeset
	@$(BIN)/python docs/_tools/intl_check.py --pot-dir $(GETTEXT) --glossary locale/$(INTL)/glossary.csv $(PODIR)

clean: ## Remove the build output (keeps .venv)
	rm -rf $(BUILD)

"""A Run button beside each doctest block that can run in the reader's browser.

conf.py names the pages (``run_in_browser_pages``): their doctests call an
example project in-process, with no server. On those pages every
``{doctest}`` block gets the class ``run-in-browser`` and the id
``run-block-N`` (N counts the page's doctest blocks from 1), unless its code
starts a process or opens a socket (``CANNOT_RUN``); the page gets
docs/_templates/partials/run_in_browser.html: the Run button, the note and
the output area, as a ``<template>``, and docs/_runner/page.js inline, which
adds them to the blocks. Nothing of the runtime loads until a reader
presses Run (docs/_runner/worker.js).

The example a page runs is the folder its ``{testsetup}`` changes into
(``os.chdir("examples/NAME")``), as for ``make doctest``. Doctest pages
that cannot run at all are listed in ``run_in_browser_not``, each with the
error they end in; tests/test_run_in_browser.py holds every doctest page to
one list or the other.

The runtime is what ``make runner`` assembled (``run_in_browser_dir``, its
manifest.json); without it (no npm) the pages are built without Run buttons.
Only the HTML builder adds them (not the EPUB).
"""

import json
import re
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PAGE_SCRIPT = HERE.parent / "_runner" / "page.js"
# A block that needs what the browser's Python does not have.
CANNOT_RUN = re.compile(r"\b(subprocess|socket|threading|multiprocessing)\b")
CHDIR = re.compile(r"""os\.chdir\(\s*["']examples/([^"'/]+)/?["']\s*\)""")


def example_of(setup: str, where: str, examples: Path) -> str:
    """The example folder a page's {testsetup} changes into; ``where`` names
    the page in the error."""
    found = CHDIR.findall(setup)
    if not found:
        raise ExtensionError(f"{where}: run_in_browser_pages lists this page, but its "
                             "{testsetup} does not change into an examples/ folder "
                             '(os.chdir("examples/NAME"))')
    name = found[0]
    if not (examples / name).is_dir():
        raise ExtensionError(f"{where}: its {{testsetup}} changes into examples/{name}/, "
                             f"which does not exist ({examples / name})")
    return name


def compact_script(text: str) -> str:
    """page.js as the pages inline it: without its comment lines and
    indentation (every byte of a page's first load counts)."""
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


def runnable(code: str) -> bool:
    return not CANNOT_RUN.search(code)


def _manifest(app):
    path = Path(app.config.run_in_browser_dir) / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _enabled(app) -> bool:
    return app.builder.name == "html" and app._run_in_browser_manifest is not None


def load_manifest(app):
    app._run_in_browser_manifest = _manifest(app)
    app._run_in_browser_jobs = {}
    if app.builder.name == "html" and app._run_in_browser_manifest is None:
        logger.info("run_in_browser: no runner in %s (make runner): no Run buttons",
                    app.config.run_in_browser_dir)


def outdated(app, env, added, changed, removed):
    """A new runner (new examples, wheels or worker) rewrites the pages that name it."""
    stamp = json.dumps(app._run_in_browser_manifest, sort_keys=True)
    if getattr(env, "run_in_browser_stamp", None) == stamp:
        return []
    env.run_in_browser_stamp = stamp
    return [page for page in app.config.run_in_browser_pages if page in env.found_docs]


def check_pages(app, config):
    unknown = set(config.run_in_browser_pages) & set(config.run_in_browser_not)
    if unknown:
        raise ExtensionError(f"conf.py: {', '.join(sorted(unknown))} in both run_in_browser_pages "
                             "and run_in_browser_not")


def mark_blocks(app, doctree, docname):
    if docname not in app.config.run_in_browser_pages or not _enabled(app):
        return
    setup = "\n".join(node.astext() for node in doctree.findall(nodes.Element)
                      if node.get("testnodetype") == "testsetup")
    where = app.env.doc2path(docname)
    try:
        where = Path(where).relative_to(Path(app.confdir)).as_posix()
    except ValueError:
        pass
    example = example_of(setup, where, Path(app.confdir) / "examples")
    manifest = app._run_in_browser_manifest
    if example not in manifest["examples"]:
        raise ExtensionError(f"{where}: examples/{example}/ is not in the runner "
                             f"({app.config.run_in_browser_dir}): run `make runner` again")
    blocks = [node for node in doctree.findall(nodes.literal_block)
              if node.get("testnodetype") == "doctest"]
    marked = 0
    for number, node in enumerate(blocks, 1):
        if runnable(node.astext()):
            node["classes"].append("run-in-browser")
            node["ids"].append(f"run-block-{number}")
            marked += 1
    if marked:
        app._run_in_browser_jobs[docname] = {"setup": setup, "example": example}


def page_context(app, pagename, templatename, context, doctree):
    jobs = app._run_in_browser_jobs
    if pagename not in jobs or not _enabled(app):
        return
    manifest = app._run_in_browser_manifest
    depth = pagename.count("/") + 1  # the language folder, then the page's own
    job = {
        "base": "../" * depth + "_runner/",
        "worker": manifest["worker"],
        "page": manifest["page"],
        "pyodide": manifest["pyodide"],
        "sitePackages": manifest["site_packages"],
        "runtime": manifest["runtime"],
        "example": manifest["examples"][jobs[pagename]["example"]],
        "setup": jobs[pagename]["setup"],
    }
    context["run_in_browser"] = {
        "job": json.dumps(job, separators=(",", ":")),
        "script": compact_script(PAGE_SCRIPT.read_text(encoding="utf-8")),
        "python": manifest["python"],
        "django": manifest["packages"]["Django"],
        "size": manifest["download_mb"],
    }


def setup(app):
    app.add_config_value("run_in_browser_pages", [], "env")
    app.add_config_value("run_in_browser_not", {}, "env")
    app.add_config_value("run_in_browser_dir", "", "env")
    app.connect("config-inited", check_pages)
    app.connect("builder-inited", load_manifest)
    app.connect("env-get-outdated", outdated)
    app.connect("doctree-resolved", mark_blocks)
    app.connect("html-page-context", page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

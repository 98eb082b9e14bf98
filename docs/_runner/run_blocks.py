"""Run a page's doctest blocks in the browser, as a reader's interpreter would.

The Web Worker (worker.js) calls ``start(setup, root)`` once with the page's
hidden {testsetup} code, then ``run(text)`` for each block, in order, with
the text the reader sees (and may have edited): prompts, code and expected
output. Each example runs in one namespace for the whole page, as
``make doctest`` runs them; ``run`` returns, for each example, its source
and what it printed, or the traceback it raised as the interactive
interpreter prints it.
"""

import doctest
import importlib
import io
import json
import os
import sys
import traceback

import inline_threads

_page = {}


class _Output(io.StringIO):
    """The page's stdout: like doctest's, one stream for every example."""

    def take(self) -> str:
        text = self.getvalue()
        self.seek(0)
        self.truncate()
        return text


def start(setup: str, root: str) -> None:
    """A new page: asyncio and asgiref without threads, the folder the
    doctests start in (the repository's root, where examples/ is), then
    conf.py's doctest_global_setup and the page's {testsetup}."""
    importlib.invalidate_caches()  # the wheels and the example were just unpacked
    inline_threads.install()
    os.chdir(root)
    _page.clear()
    _page["__name__"] = "__main__"
    _page["__builtins__"] = __builtins__
    exec(compile("import os, sys\n" + setup, "<testsetup>", "exec"), _page)


def run(text: str, name: str = "<stdin>") -> list[dict]:
    """Run the examples of ``text`` (a doctest block): for each, its source
    and what it wrote to stdout (with the traceback, if it raised: doctest
    compares that) and to stderr (which doctest does not compare)."""
    stdout, stderr = _Output(), _Output()
    results = []
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    try:
        for example in doctest.DocTestParser().get_examples(text):
            try:
                exec(compile(example.source, name, "single", dont_inherit=True), _page)
                raised = ""
            except BaseException as error:  # even SystemExit: shown as the interpreter shows it
                raised = _traceback(error)
            results.append({"source": example.source, "stdout": stdout.take() + raised,
                            "stderr": stderr.take()})
    finally:
        sys.stdout, sys.stderr = saved
    return results


def run_json(text: str, name: str = "<stdin>") -> str:
    return json.dumps(run(text, name))


def _traceback(error: BaseException) -> str:
    """The traceback as the interpreter prints it, less this module's frame."""
    tb = error.__traceback__
    if tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))

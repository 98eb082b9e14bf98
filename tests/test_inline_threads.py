"""docs/_runner/inline_threads.py, the shim that lets Django's ASGI handler
run in a Python with no threads: checked in that Python itself (the Pyodide
the site ships, under Node, with the site's site-packages), and the doctest
pages that conf.py says cannot run in the browser checked to fail there as
it says. tests/test_run_in_browser.py runs the examples through it in
Chromium.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from test_browser import SITE
from test_run_in_browser import FENCE, NOT_PAGES, doctest_blocks

ROOT = Path(__file__).resolve().parent.parent
RUNNER = SITE / "_runner"

SHIM_CHECKS = r'''
import asyncio, contextvars, json, threading, time
results = {}

def check(name, function):
    try:
        results[name] = function()
    except BaseException as error:
        results[name] = f"raised {type(error).__name__}: {error}"

def start_a_thread():
    threading.Thread(target=print).start()
check("thread before install", start_a_thread)

import inline_threads
inline_threads.install()
from asgiref.sync import async_to_sync, sync_to_async, ThreadSensitiveContext

def no_loop_here():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return "no loop"
    return "a loop runs"
check("top level", no_loop_here)

async def answer():
    await asyncio.sleep(0)
    return 42
check("asyncio.run", lambda: asyncio.run(answer()))

main = threading.get_ident()
def in_sync_code(x):
    return [x, no_loop_here(), threading.get_ident() == main]
check("sync_to_async", lambda: asyncio.run(sync_to_async(in_sync_code)(7)))

def fails():
    raise ValueError("from sync code")
async def catch():
    try:
        await sync_to_async(fails)()
    except ValueError as error:
        return str(error)
check("sync_to_async raises", lambda: asyncio.run(catch()))

var = contextvars.ContextVar("var", default="unset")
def set_var():
    var.set("set in sync code")
async def context_back():
    await sync_to_async(set_var)()
    return var.get()
check("context", lambda: asyncio.run(context_back()))

async def executor():
    loop = asyncio.get_running_loop()
    return [await loop.run_in_executor(None, in_sync_code, 1), threading.active_count()]
check("run_in_executor", lambda: asyncio.run(executor()))

def sync_calls_async():
    return async_to_sync(answer)()
check("async_to_sync in sync code", lambda: asyncio.run(sync_to_async(sync_calls_async)()))

async def async_to_sync_in_loop():
    return async_to_sync(answer)()
check("async_to_sync in the loop", lambda: asyncio.run(async_to_sync_in_loop()))

async def sensitive():
    async with ThreadSensitiveContext():
        await sync_to_async(in_sync_code)(2)
    return threading.active_count()
check("ThreadSensitiveContext", lambda: asyncio.run(sensitive()))

async def three_naps():
    start = time.perf_counter()
    await asyncio.gather(*(asyncio.sleep(0.1) for _ in range(3)))
    return time.perf_counter() - start
check("timers", lambda: asyncio.run(three_naps()))

async def forever():
    await asyncio.get_running_loop().create_future()
check("nothing to wait for", lambda: asyncio.run(forever()))

print(json.dumps(results))
'''


def in_pyodide(code: str, *examples: str) -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install Node.js and npm (.ci/run does)")
    if not (RUNNER / "manifest.json").is_file():
        pytest.fail(f"{RUNNER} holds no runner: run `make site` with npm (`make test` does)")
    done = subprocess.run([node, "tests/pyodide_node.mjs", str(RUNNER), *examples], input=code,
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_shim_runs_sync_code_inline_without_threads_or_a_selector():
    results = json.loads(in_pyodide(SHIM_CHECKS).splitlines()[-1])
    assert results.pop("thread before install") == "raised RuntimeError: can't start new thread"
    timers = results.pop("timers")
    assert 0.1 <= timers < 0.25, timers  # the three sleeps at once, in real time
    assert results == {
        "top level": "no loop",  # Pyodide's own loop no longer runs at the top level
        "asyncio.run": 42,
        "sync_to_async": [7, "no loop", True],  # inline, in this thread, as if in another
        "sync_to_async raises": "from sync code",
        "context": "set in sync code",
        "run_in_executor": [[1, "no loop", True], 1],  # and no thread started
        "async_to_sync in sync code": 42,
        "async_to_sync in the loop": "raised RuntimeError: You cannot use AsyncToSync in the "
                                     "same thread as an async event loop - just await the async "
                                     "function directly.",
        "ThreadSensitiveContext": 1,
        "nothing to wait for": "raised RuntimeError: the event loop waits for an event that "
                               "nothing can send (no threads and no sockets in this Python)",
    }


CHDIR = re.compile(r"""os\.chdir\(\s*["']examples/([^"'/]+)""")


def test_the_pages_left_out_of_the_browser_fail_there_as_conf_py_says():
    manifest = json.loads((RUNNER / "manifest.json").read_text())
    code, archives = ["import json, run_blocks", "ran = {}"], []
    for page, error in NOT_PAGES.items():
        text = (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")
        setup = "".join(body for kind, body in FENCE.findall(text) if kind == "testsetup")
        archives.append(manifest["examples"][CHDIR.search(setup)[1]])
        code += [f"run_blocks.start({setup!r}, '/project')",
                 f"ran[{page!r}] = run_blocks.run({doctest_blocks(page)[0]!r})"]
    code.append("print(json.dumps(ran))")
    ran = json.loads(in_pyodide("\n".join(code), *archives).splitlines()[-1])
    for page, error in NOT_PAGES.items():
        outputs = [example["stdout"] for example in ran[page]]
        assert any(output.rstrip().endswith(error) for output in outputs), (page, outputs)

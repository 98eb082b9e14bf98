"""The ASGI server pages (docs/servers/) and their example, examples/servers/.

Every server is started with the exact command its page shows, read from the
page's source (port 8000 replaced by a free one), in the example's folder,
with the static files collected into a temporary STATIC_ROOT. The tests then
check what a reader would see: the pages, the header of the example's ASGI
middleware, a static file, a 404, how the server treats proxy headers, what
happens to a request still running at SIGTERM, the exit status, that no
worker process outlives the server, and that the log holds no traceback and
none of the lifespan messages the pages promise to keep out.
"""

import importlib.util
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))

from page_commands import command  # noqa: E402
from server import Server, free_port  # noqa: E402

EXAMPLE = ROOT / "examples/servers"
DOCS = ROOT / "docs"
INDEX = "servers/index"
COLLECTSTATIC = "python manage.py collectstatic"

# The example's settings read the secret key from the environment.
SECRET_KEY = secrets.token_urlsafe(50)

APP = "mysite.asgi:application"
STARTPROJECT_APP = "mysite.asgi:django_application"
# Hypercorn, Granian and Gunicorn's ASGI worker run the same application
# wrapped for forwarded headers.
APPS = re.compile(r"mysite\.asgi(_hypercorn|_granian|_gunicorn)?:application")
FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}

# What the servers log when Django rejects the lifespan scope.
UVICORN_LIFESPAN = "ASGI 'lifespan' protocol appears unsupported."
HYPERCORN_LIFESPAN = "ASGI Framework Lifespan error, continuing without Lifespan support"
GRANIAN_LIFESPAN = "ASGI Lifespan errored, continuing without Lifespan support"
GRANIAN_KILL_TIMEOUT = 30  # the page's --workers-kill-timeout
GRANIAN_SPURIOUS_KILL = re.compile(r"\[WARNING\] Killing worker-\d+ after it refused to gracefully stop")
LIFESPAN_NOISE = [UVICORN_LIFESPAN, HYPERCORN_LIFESPAN, GRANIAN_LIFESPAN,
                  "Django can only handle ASGI/HTTP connections"]
# What Uvicorn without --workers logs when its port is taken, in asyncio's
# words: Python 3.13 (Django 6.1's series) adds the errno.
UVICORN_IN_USE_BY_PYTHON = {
    (3, 11): "error while attempting to bind on address ('127.0.0.1', {port}): "
             "address already in use",
    (3, 13): "error while attempting to bind on address ('127.0.0.1', {port}): "
             "[errno 98] address already in use",
}
UVICORN_ONE_PROCESS_IN_USE = UVICORN_IN_USE_BY_PYTHON[
    (3, 13) if sys.version_info >= (3, 13) else (3, 11)]
# What the example's settings and collectstatic keep out of every log.
OTHER_NOISE = ["Traceback", "StreamingHttpResponse must consume", "No directory at"]

# (page, start of the command) for every server command the pages show.
SERVERS = [
    ("servers/uvicorn", "uvicorn "),
    ("servers/uvicorn", "gunicorn mysite.asgi:application "),
    ("servers/hypercorn", "hypercorn "),
    ("servers/daphne", "daphne "),
    ("servers/granian", "granian "),
    ("servers/gunicorn", "gunicorn mysite.asgi_gunicorn:application "),
]
# Gunicorn's own ASGI worker (-k asgi), the sixth server.
GASGI = "gunicorn mysite.asgi_gunicorn:application "


def short_name(startswith: str) -> str:
    """uvicorn, gunicorn, hypercorn, daphne, granian or gunicorn-asgi."""
    return "gunicorn-asgi" if startswith == GASGI else startswith.split()[0]


@dataclass
class Expected:
    """What the page says the server does; the tests hold it to that."""
    workers: int                # worker processes the command starts
    ready: str                  # logged once per worker when it serves
    worker_pid: str | None      # regex for a worker's pid in the log
    forwarded: str              # /client/ (address, scheme) for FORWARDED from 127.0.0.1
    finishes_running: bool | None  # a request running at SIGTERM gets its answer
                                   # (None: a matter of timing, nothing promised)
    exit_code: int
    stop_log: list = field(default_factory=list)
    serve_log: list = field(default_factory=list)
    lifespan_log: str | None = None      # with startproject's asgi.py
    lifespan_quiet: str | None = None    # what the page says when there is none
    lifespan_switch: tuple | None = None  # (old, new, ready): the page's way to silence it
    port_in_use: tuple | None = None     # (exit code, message in the output)
    log_lines: str | None = None         # regex that every line of the log matches


EXPECTED = {
    "uvicorn ": Expected(
        workers=2, ready="Application startup complete.",
        worker_pid=r"Started server process \[(\d+)\]",
        forwarded="203.0.113.7 https", finishes_running=True, exit_code=0,
        stop_log=["Received SIGTERM, exiting."],
        lifespan_log=UVICORN_LIFESPAN,
        lifespan_switch=("--host", "--lifespan off --host", "Started server process"),
        port_in_use=(3, "[Errno 98] Address already in use")),
    "gunicorn mysite.asgi:application ": Expected(
        workers=2, ready="Application startup complete.",
        worker_pid=r"Booting worker with pid: (\d+)",
        forwarded="203.0.113.7 https", finishes_running=True, exit_code=0,
        stop_log=["Handling signal: term"],
        lifespan_log=UVICORN_LIFESPAN),
    "hypercorn ": Expected(
        workers=2, ready="Running on http://127.0.0.1:",
        worker_pid=r"\[(\d+)\] \[INFO\] Running on",
        forwarded="203.0.113.7 https", finishes_running=False, exit_code=0,
        lifespan_log=HYPERCORN_LIFESPAN,
        port_in_use=(1, "OSError: [Errno 98] Address already in use"),
        # "Running on" of each worker, and the access log.
        log_lines=r'\[INFO\] (Running on http://127\.0\.0\.1:\d+ |127\.0\.0\.1:\d+ - - \[.*\] "GET )'),
    "daphne ": Expected(
        workers=1, ready="Listening on TCP address", worker_pid=None,
        forwarded="203.0.113.7 https", finishes_running=None, exit_code=0,
        stop_log=["Killed 1 pending application instances"],
        lifespan_quiet="Daphne never sends the lifespan events",
        serve_log=['"GET /nowhere/" 404'],  # the access log; Django's warning: test_logging.py
        port_in_use=(1, "Listen failure: Couldn't listen on 127.0.0.1:{port}: "
                        "[Errno 98] Address already in use.")),
    "granian ": Expected(
        workers=2, ready="Started worker-",
        worker_pid=r"Spawning worker-\d+ with PID: (\d+)",
        forwarded="203.0.113.7 https", finishes_running=True, exit_code=0,
        stop_log=["Shutting down granian", "Granian shutdown completed, see ya!"],
        lifespan_log=GRANIAN_LIFESPAN,
        lifespan_switch=("--interface asgi ", "--interface asginl ", "Started worker-"),
        port_in_use=(1, "RuntimeError: Address already in use (os error 98)"),
        log_lines=r"^\[INFO\] "),
    GASGI: Expected(
        workers=2, ready="ASGI server listening on http://127.0.0.1:",
        worker_pid=r"Booting worker with pid: (\d+)",
        forwarded="203.0.113.7 https", finishes_running=True, exit_code=0,
        stop_log=["Handling signal: term", "Worker shutting down..."],
        serve_log=['"GET /nowhere/ HTTP/1.1" 404'],
        lifespan_quiet="the log looks just the same"),
}


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def page_text(page: str) -> str:
    """The page's source with all whitespace runs made single spaces."""
    return " ".join((DOCS / f"{page}.md").read_text().split())


def argv_for(page: str, startswith: str, port: int) -> list[str]:
    return shlex.split(command(page, startswith).with_port(port))


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # state, ppid, pgrp, session, ...


def running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def session_members(sid: int) -> list[int]:
    """Live processes in the session the server was started in."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and fields[0] != "Z" and int(fields[3]) == sid:
                members.append(int(entry.name))
    return members


def wait_until(condition, timeout: float, what: str, log=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{log()}")


def request_read(port: int, netns: int | None = None) -> bool:
    """Whether the server on ``port`` has read a request from a connection
    that is still open: the kernel received bytes for it (ss's
    bytes_received) and none wait unread (Recv-Q 0)."""
    argv = ["ss", "-Htin", "state", "established", f"( sport = :{port} )"]
    if netns:
        argv = ["nsenter", "-t", str(netns), "-n", *argv]
    lines = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.splitlines()
    for head, info in zip(lines[::2], lines[1::2]):
        received = re.search(r"bytes_received:(\d+)", info)
        if received and int(received.group(1)) > 0 and head.split()[0] == "0":
            return True
    return False


def until_the_view_runs(port: int, netns: int | None = None):
    wait_until(lambda: request_read(port, netns), 10, f"the request to reach port {port}")
    time.sleep(0.2)  # the server has parsed the request; the view is sleeping


def collectstatic(root: Path) -> None:
    """Run the page's collectstatic into ``root``, as STATIC_ROOT."""
    argv = shlex.split(command(INDEX, COLLECTSTATIC).text)
    assert argv[0] == "python"
    done = subprocess.run([sys.executable, *argv[1:]], cwd=EXAMPLE,
                          env={**os.environ, **server_env(root)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "1 static file copied" in done.stdout and "1 post-processed" in done.stdout
    assert (root / "site.css").read_bytes() == (EXAMPLE / "mysite/static/site.css").read_bytes()


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """A temporary STATIC_ROOT that the page's collectstatic filled."""
    root = tmp_path_factory.mktemp("static_root")
    collectstatic(root)
    return root


def server_env(static_root: Path) -> dict:
    # Gunicorn 27 keeps its control socket under $XDG_RUNTIME_DIR or $HOME:
    # give each run its own, so servers started at the same time do not share it.
    return {"DJANGO_SECRET_KEY": SECRET_KEY, "DJANGO_STATIC_ROOT": str(static_root),
            "XDG_RUNTIME_DIR": str(static_root.parent), "HOME": str(static_root.parent)}


@contextmanager
def started(argv, port, static_root, expected: "Expected"):
    """The server, once every worker has said it is serving; stopped on exit.

    Read ``server.log`` inside the block: the log file goes with the server.
    """
    with Server(argv, cwd=EXAMPLE, env=server_env(static_root), port=port,
                timeout=20) as server:
        wait_until(lambda: server.log.count(expected.ready) >= expected.workers, 30,
                   f"{expected.workers} x {expected.ready!r}", lambda: server.log)
        yield server


# --------------------------------------------------------------------------
# The example and the overview page
# --------------------------------------------------------------------------

def test_collectstatic_output_stays_out_of_the_repository(static_root):
    ignored = subprocess.run(["git", "check-ignore", "-q", "examples/servers/staticfiles/site.css"],
                             cwd=ROOT)
    assert ignored.returncode == 0
    assert "DJANGO_STATIC_ROOT" in (EXAMPLE / "mysite/settings.py").read_text()


# The example's settings with DEBUG on and ServeStatic left out.
DEBUG_SETTINGS = """
from mysite.settings import *  # noqa: F403
from mysite.settings import MIDDLEWARE

DEBUG = True
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("servestatic.")]
"""


def test_under_asgi_django_serves_no_static_files_even_with_debug_on(tmp_path, static_root):
    """The overview: DEBUG does not make Django's ASGI handler serve static files."""
    (tmp_path / "debug_settings.py").write_text(DEBUG_SETTINGS)
    env = {**server_env(static_root), "DJANGO_SETTINGS_MODULE": "debug_settings",
           "PYTHONPATH": str(tmp_path)}
    assert env["DJANGO_SECRET_KEY"]
    with Server(["uvicorn", STARTPROJECT_APP, "--host", "127.0.0.1", "--port", "{port}"],
                cwd=EXAMPLE, env=env) as server:
        css = httpx.get(server.url + "/static/site.css")
    assert css.status_code == 404
    # Django's own 404 page for DEBUG on: Django answered, and found no view.
    assert "Using the URLconf defined in <code>mysite.urls</code>" in css.text
    # The same settings under runserver: staticfiles serves the file.
    port = free_port()
    with Server(["python", "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=EXAMPLE, env=env, port=port) as server:
        css = httpx.get(server.url + "/static/site.css")
    assert css.status_code == 200
    assert css.content == (EXAMPLE / "mysite/static/site.css").read_bytes()
    text = page_text(INDEX)
    assert "With `DEBUG` off, Django no longer serves static files." not in text
    assert ("Under an ASGI server, Django does not serve static files on its own, "
            "even with `DEBUG` on") in text


def test_index_links_every_server_page():
    toctree = (DOCS / "servers/index.md").read_text().split("```{toctree}")[1].split("```")[0]
    entries = toctree.split()[2:]
    assert entries[:5] == ["uvicorn", "hypercorn", "daphne", "granian", "gunicorn"]


# --------------------------------------------------------------------------
# Each documented command, on a real server
# --------------------------------------------------------------------------

def slow_request(server, seconds=1) -> tuple[threading.Thread, dict]:
    """GET /slow/?seconds=N in a thread; the dict gets its response or error."""
    result = {}

    def slow():
        try:
            result["response"] = httpx.get(server.url + f"/slow/?seconds={seconds}", timeout=10)
        except httpx.TransportError as error:
            result["error"] = error

    request = threading.Thread(target=slow)
    request.start()
    return request, result


def stop_during_slow_request(server, seconds=1) -> dict:
    """SIGTERM while /slow/?seconds=N is running; what the client got back."""
    request, result = slow_request(server, seconds)
    until_the_view_runs(server.port)
    server.stop()
    request.join(10)
    return result


@pytest.mark.parametrize("page, startswith", SERVERS)
def test_documented_command_serves_the_example(page, startswith, static_root):
    expected = EXPECTED[startswith]
    argv = argv_for(page, startswith, port := free_port())
    assert any(APPS.fullmatch(a) for a in argv) and "127.0.0.1" in " ".join(argv)
    with started(argv, port, static_root, expected) as server:
        home = httpx.get(server.url + "/")
        assert home.status_code == 200
        assert home.text == "Hello over ASGI 3.0, HTTP/1.1\n"
        assert home.headers["x-served-by"] == "asgi"

        css = httpx.get(server.url + "/static/site.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert css.headers["x-served-by"] == "asgi"
        assert css.content == (EXAMPLE / "mysite/static/site.css").read_bytes()

        missing = httpx.get(server.url + "/nowhere/")
        assert missing.status_code == 404
        assert missing.headers["x-served-by"] == "asgi"

        client = httpx.get(server.url + "/client/", headers=FORWARDED)
        assert client.text == f"{expected.forwarded} 127.0.0.1:{port}\n"

        workers = ([int(p) for p in re.findall(expected.worker_pid, server.log)]
                   if expected.worker_pid else [server.process.pid])
        assert len(workers) == expected.workers, server.log
        assert set(workers) <= set(session_members(server.process.pid))

        serving_log = server.log
        stopping = time.monotonic()
        # A server that cuts the request off gets a longer one: on a busy
        # machine, a worker that stops "at once" can take most of a second.
        result = stop_during_slow_request(server, 3 if expected.finishes_running is False else 1)
        stopped_in = time.monotonic() - stopping
        assert server.returncode == expected.exit_code, server.log
        wait_until(lambda: not session_members(server.process.pid), 3,
                   "every worker process to exit", lambda: server.log)
        assert not any(running(pid) for pid in workers)
        log = server.log

    if expected.finishes_running:
        assert "response" in result, f"{result}\n{log}"
        assert result["response"].status_code == 200
        assert result["response"].text == "Slept 1 s\n"
    elif expected.finishes_running is False:
        assert "error" in result, f"the running request was answered: {result}"

    for line in expected.serve_log:
        assert line in serving_log, serving_log
    for line in expected.stop_log:
        assert line in log, log
    # Daphne cancels the running request and Django may log a traceback for
    # it; until SIGTERM its log is held to the same standard as the others'.
    checked = log if expected.finishes_running else serving_log
    for noise in LIFESPAN_NOISE + OTHER_NOISE:
        assert noise not in checked, checked
    if expected.log_lines:
        lines = checked.splitlines()
        if startswith == "granian " and stopped_in < GRANIAN_KILL_TIMEOUT:
            assert argv[argv.index("--workers-kill-timeout") + 1] == str(GRANIAN_KILL_TIMEOUT)
            # Granian joins each worker for what is left of the kill timeout,
            # then checks once, 1 ms later, whether it is still alive: on a
            # busy machine a worker that has just exited (its join returned
            # well before the timeout) can still look alive, and is "killed".
            lines = [line for line in lines if not GRANIAN_SPURIOUS_KILL.fullmatch(line)]
        assert lines and all(re.search(expected.log_lines, line) for line in lines), checked


def test_uvicorn_logs_the_lifespan_answer_of_each_worker(static_root):
    """The page: each worker logs the start-up lines, and nothing else about lifespan."""
    expected = EXPECTED["uvicorn "]
    argv = argv_for("servers/uvicorn", "uvicorn ", port := free_port())
    with started(argv, port, static_root, expected) as server:
        server.stop()
        log = server.log
    assert log.count("Waiting for application startup.") == expected.workers
    assert log.count("Application shutdown complete.") == expected.workers


def line_numbers(log: str, text: str) -> list[int]:
    """The numbers of the log lines that end with ``text``."""
    return [n for n, line in enumerate(log.splitlines()) if line.endswith(text)]


def test_uvicorn_logs_its_start_up_lines_around_the_lifespan_message(static_root):
    """The page: with startproject's asgi.py each worker logs both start-up lines,
    the lifespan message between them, and nothing about lifespan at shut-down."""
    expected = EXPECTED["uvicorn "]
    port = free_port()
    argv = [STARTPROJECT_APP if a.startswith("mysite.asgi") and a.endswith(":application")
            else a for a in argv_for("servers/uvicorn", "uvicorn ", port)]
    assert STARTPROJECT_APP in argv
    with started(argv, port, static_root, expected) as server:
        assert httpx.get(server.url + "/").status_code == 200
        server.stop()
        log = server.log
    waiting = line_numbers(log, "Waiting for application startup.")
    unsupported = line_numbers(log, UVICORN_LIFESPAN)
    complete = line_numbers(log, "Application startup complete.")
    assert len(waiting) == len(unsupported) == len(complete) == expected.workers, log
    # The workers' lines interleave, but the n-th of each kind comes in this order.
    assert all(w < u < c for w, u, c in zip(waiting, unsupported, complete)), log
    assert "Waiting for application shutdown." not in log
    assert "Application shutdown complete." not in log
    text = page_text("servers/uvicorn")
    assert "appears unsupported.` at INFO level instead" not in text
    assert ("each worker still logs `Waiting for application startup.` and `Application "
            "startup complete.`, and between the two `ASGI 'lifespan' protocol appears "
            "unsupported.`, all at INFO level. At shut-down it logs nothing about "
            "lifespan") in text


def kill_first_worker(server, expected: Expected) -> int:
    pid = int(re.search(expected.worker_pid, server.log).group(1))
    os.kill(pid, signal.SIGKILL)
    return pid


def test_gunicorn_replaces_a_worker_that_dies(static_root):
    expected = EXPECTED["gunicorn mysite.asgi:application "]
    argv = argv_for("servers/uvicorn", "gunicorn mysite.asgi:application ", port := free_port())
    with started(argv, port, static_root, expected) as server:
        dead = kill_first_worker(server, expected)
        wait_until(lambda: len(re.findall(expected.worker_pid, server.log)) == 3, 15,
                   "a new worker", lambda: server.log)
        assert f"Worker (pid:{dead}) was sent SIGKILL!" in server.log
        wait_until(lambda: server.log.count(expected.ready) == 3, 15,
                   "the new worker to serve", lambda: server.log)
        assert httpx.get(server.url + "/").status_code == 200
        # Gunicorn 27's control socket, under $XDG_RUNTIME_DIR as the page says.
        assert f"Control socket listening at {static_root.parent}/gunicorn.ctl" in server.log
        assert server.stop() == 0
    assert "restarts one that dies" in page_text("servers/uvicorn")
    assert "`$XDG_RUNTIME_DIR/gunicorn.ctl`" in page_text("servers/uvicorn")


def test_old_uvicorn_workers_path_still_runs_and_gunicorn_does_not_warn(static_root):
    """The page: uvicorn.workers is deprecated, but the warning is not in Gunicorn's log."""
    expected = EXPECTED["gunicorn mysite.asgi:application "]
    shown = command("servers/uvicorn", "gunicorn mysite.asgi:application ").with_port(port := free_port())
    argv = shlex.split(shown.replace("uvicorn_worker.UvicornWorker", "uvicorn.workers.UvicornWorker"))
    assert "uvicorn.workers.UvicornWorker" in argv
    with started(argv, port, static_root, expected) as server:
        assert httpx.get(server.url + "/").status_code == 200
        server.stop()
        log = server.log
    assert "Using worker: uvicorn.workers.UvicornWorker" in log
    assert "deprecated" not in log


def gunicorn_settings(argv: list[str], static_root: Path, **env: str) -> dict:
    """Gunicorn's resolved settings for ``argv``, from ``--print-config``.

    Gunicorn prints them and exits after loading the application: it binds
    nothing and starts no worker.
    """
    environ = {k: v for k, v in os.environ.items()
               if k not in ("DJANGO_SETTINGS_MODULE", "PORT", "WEB_CONCURRENCY")}
    environ.update(server_env(static_root), **env)
    done = subprocess.run([str(Path(sys.executable).parent / argv[0]), *argv[1:],
                           "--print-config"], cwd=EXAMPLE, env=environ,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return dict(re.findall(r"^(\w+) += (.*)$", done.stdout, re.M))


def test_gunicorn_takes_its_defaults_from_web_concurrency_and_port(static_root):
    """The page: without the flags, $WEB_CONCURRENCY and $PORT decide."""
    shown = argv_for("servers/uvicorn", "gunicorn mysite.asgi:application ", 8000)
    bare = list(shown)
    for flag in ("--workers", "--bind"):
        i = bare.index(flag)
        del bare[i:i + 2]
    platform = {"WEB_CONCURRENCY": "3", "PORT": "8123"}

    def workers_and_bind(argv, **env):
        settings = gunicorn_settings(argv, static_root, **env)
        return settings["workers"], settings["bind"]

    assert workers_and_bind(bare) == ("1", "['127.0.0.1:8000']")
    assert workers_and_bind(bare, **platform) == ("3", "['0.0.0.0:8123']")
    # The page's flags win over both variables.
    assert workers_and_bind(shown, **platform) == ("2", "['127.0.0.1:8000']")
    text = page_text("servers/uvicorn")
    assert "Gunicorn's default is 1." not in text
    assert ("Without the flag, Gunicorn 27 reads `$WEB_CONCURRENCY`, and starts one worker "
            "if that is not set either.") in text
    assert ("Without the flag, Gunicorn 27 listens on `127.0.0.1:8000`, unless `$PORT` is "
            "set: then it listens on `0.0.0.0:$PORT`") in text


def test_granian_respawns_a_failed_worker(static_root):
    expected = EXPECTED["granian "]
    argv = argv_for("servers/granian", "granian ", port := free_port())
    assert "--respawn-failed-workers" in argv
    with started(argv, port, static_root, expected) as server:
        kill_first_worker(server, expected)
        wait_until(lambda: server.log.count(expected.ready) == 3, 15,
                   "a new worker-1", lambda: server.log)
        assert "Unexpected exit from worker-1" in server.log
        assert "Respawning worker-1" in server.log
        assert httpx.get(server.url + "/").status_code == 200
        assert server.stop() == 0


def test_granian_without_respawn_stops_when_a_worker_dies(static_root):
    expected = EXPECTED["granian "]
    argv = argv_for("servers/granian", "granian ", port := free_port())
    argv.remove("--respawn-failed-workers")
    with started(argv, port, static_root, expected) as server:
        kill_first_worker(server, expected)
        assert server.process.wait(15) == 1, server.log
        assert "Granian shutdown completed" in server.log
    assert ("Without it, Granian shuts down completely when a worker dies, and exits "
            "with status 1") in page_text("servers/granian")


def test_uvicorn_in_one_process_finishes_requests_then_dies_by_sigterm(static_root):
    """Without --workers, Uvicorn 0.54 re-raises SIGTERM after a clean shutdown."""
    argv = argv_for("servers/uvicorn", "uvicorn ", port := free_port())
    i = argv.index("--workers")
    del argv[i:i + 2]
    one = Expected(1, "Application startup complete.", None, "", True, -15)
    with started(argv, port, static_root, one) as server:
        result = stop_during_slow_request(server)
        log = server.log
    assert result["response"].text == "Slept 1 s\n", result
    assert server.returncode == -15
    assert "Traceback" not in log
    assert "subprocess` a return code of -15" in page_text("servers/uvicorn")


# Uvicorn's own command line, in a Python where neither WebSocket package
# can be imported: what a plain `pip install uvicorn` gives you.
WITHOUT_WEBSOCKET_PACKAGES = """
import sys
sys.modules["websockets"] = sys.modules["wsproto"] = None  # import fails
sys.argv[0] = "uvicorn"
from uvicorn.main import main
main()
"""
UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def test_plain_uvicorn_has_no_websocket_support(static_root):
    """The page: websockets or wsproto is needed, and only the extra brings one."""
    import importlib.metadata

    from packaging.requirements import Requirement

    requires = [Requirement(r) for r in importlib.metadata.requires("uvicorn")]

    def installed_with(extra: str) -> set:
        return {r.name for r in requires
                if r.marker is None or r.marker.evaluate({"extra": extra})}

    assert installed_with("") == {"click", "h11"}
    assert "websockets" in installed_with("standard")
    assert "wsproto" not in installed_with("standard")

    argv = ["python", "-c", WITHOUT_WEBSOCKET_PACKAGES, APP,
            "--host", "127.0.0.1", "--port", "{port}"]
    with Server(argv, cwd=EXAMPLE, env=server_env(static_root)) as server:
        response = httpx.get(server.url + "/", headers=UPGRADE)
        server.stop()
        log = server.log
    # No switch to WebSocket: Django answered an ordinary HTTP request.
    assert response.status_code == 200
    assert "upgrade" not in response.headers
    assert response.headers["x-served-by"] == "asgi"
    assert "WARNING:  Unsupported upgrade request." in log
    assert "WARNING:  No supported WebSocket library detected." in log
    text = page_text("servers/uvicorn")
    assert ("Without either, Uvicorn treats an upgrade request as an ordinary HTTP request, "
            "so the application gets an `http` scope, and logs two WARNINGs: "
            "`Unsupported upgrade request.` and `No supported WebSocket library "
            "detected.`") in text


# --------------------------------------------------------------------------
# Lifespan with the asgi.py that startproject generates
# --------------------------------------------------------------------------

@pytest.mark.parametrize("page, startswith", SERVERS)
def test_what_each_server_logs_for_startproject_asgi(page, startswith, static_root):
    """Each page says what the server logs for Django's own application."""
    expected = EXPECTED[startswith]
    port = free_port()
    argv = [STARTPROJECT_APP if APPS.fullmatch(a) else a for a in argv_for(page, startswith, port)]
    with started(argv, port, static_root, expected) as server:
        assert httpx.get(server.url + "/").status_code == 200
        server.stop()
        log = server.log
    if expected.lifespan_log:
        assert log.count(expected.lifespan_log) == expected.workers, log
        assert expected.lifespan_log in page_text(page)
    else:
        assert expected.lifespan_quiet in page_text(page)
    for noise in LIFESPAN_NOISE + OTHER_NOISE:
        if noise != expected.lifespan_log:
            assert noise not in log, log


@pytest.mark.parametrize("page, startswith", [("servers/uvicorn", "uvicorn "),
                                              ("servers/granian", "granian ")])
def test_the_switch_each_page_names_silences_lifespan(page, startswith, static_root):
    expected = EXPECTED[startswith]
    old, new, ready = expected.lifespan_switch
    shown = command(page, startswith).with_port(port := free_port())
    switch = new.replace("--host", "").strip()  # as the page writes it
    assert old in shown and f"`{switch}`" in page_text(page)
    argv = shlex.split(APPS.sub(STARTPROJECT_APP, shown.replace(old, new, 1)))
    # Without lifespan, Uvicorn logs no "Application startup complete.".
    with started(argv, port, static_root, replace(expected, ready=ready)) as server:
        assert httpx.get(server.url + "/").status_code == 200
        server.stop()
        log = server.log
    for noise in LIFESPAN_NOISE + OTHER_NOISE:
        assert noise not in log, log


NO_LIFESPAN_GUNICORN = "gunicorn mysite.asgi:django_application "
NO_LIFESPAN_WORKER = "mysite.workers.NoLifespanUvicornWorker"


def test_a_worker_class_with_lifespan_off_runs_startproject_asgi_quietly(static_root):
    """The page's own worker class: Django's application, no lifespan in the log."""
    port = free_port()
    argv = shlex.split(command("servers/uvicorn", NO_LIFESPAN_GUNICORN).with_port(port))
    plain = argv_for("servers/uvicorn", "gunicorn mysite.asgi:application ", port)
    # The first Gunicorn command of the page, with startproject's application
    # and the example's worker class.
    assert argv == [STARTPROJECT_APP if a == plain[1] else
                    NO_LIFESPAN_WORKER if a == "uvicorn_worker.UvicornWorker" else a
                    for a in plain]
    expected = replace(EXPECTED["gunicorn mysite.asgi:application "], ready="Started server process")
    with started(argv, port, static_root, expected) as server:
        home = httpx.get(server.url + "/")
        assert home.status_code == 200
        assert "x-served-by" not in home.headers  # Django's own application
        assert server.stop() == 0
        log = server.log
    assert f"Using worker: {NO_LIFESPAN_WORKER}" in log
    assert log.count("Started server process") == expected.workers
    for line in [*LIFESPAN_NOISE, *OTHER_NOISE, "Waiting for application startup.",
                 "Application startup complete."]:
        assert line not in log, log
    text = page_text("servers/uvicorn")
    assert "has no setting to turn lifespan off" not in text
    assert ("each worker logs `Started server process` and nothing about start-up, "
            "as with `uvicorn --lifespan off`") in text
    assert "the worker has no switch" not in page_text(INDEX)


# --------------------------------------------------------------------------
# A port that is already taken
# --------------------------------------------------------------------------

@pytest.mark.parametrize("page, startswith", [("servers/uvicorn", "uvicorn "),
                                              ("servers/hypercorn", "hypercorn "),
                                              ("servers/daphne", "daphne "),
                                              ("servers/granian", "granian ")])
def test_a_taken_port_is_a_clear_error(page, startswith, static_root):
    exit_code, message = EXPECTED[startswith].port_in_use
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = argv_for(page, startswith, port)
        done = run_until_exit(argv, static_root)
    assert done.returncode == exit_code, done.stdout
    assert message.format(port=port) in done.stdout
    assert message.format(port=8000) in page_text(page)


def test_uvicorn_in_one_process_names_the_taken_address(static_root):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = argv_for("servers/uvicorn", "uvicorn ", port)
        i = argv.index("--workers")
        del argv[i:i + 2]
        done = run_until_exit(argv, static_root)
    assert done.returncode == 3
    assert UVICORN_ONE_PROCESS_IN_USE.format(port=port) in done.stdout
    assert UVICORN_ONE_PROCESS_IN_USE.format(port=8000) in page_text("servers/uvicorn")


@pytest.mark.parametrize("rust_backtrace", [None, "1"])
def test_granian_adds_its_rust_stack_trace_only_with_rust_backtrace(
        rust_backtrace, static_root, monkeypatch):
    error = "RuntimeError: Address already in use (os error 98)"
    monkeypatch.delenv("RUST_LIB_BACKTRACE", raising=False)
    if rust_backtrace is None:
        monkeypatch.delenv("RUST_BACKTRACE", raising=False)
    else:
        monkeypatch.setenv("RUST_BACKTRACE", rust_backtrace)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_until_exit(argv_for("servers/granian", "granian ", port), static_root)
    assert done.returncode == 1, done.stdout
    lines = done.stdout.splitlines()
    after = lines[lines.index(error) + 1:]
    if rust_backtrace is None:
        assert after == [], done.stdout  # the Python traceback ends the output
    else:
        assert "Stack backtrace:" in after, done.stdout
    text = page_text("servers/granian")
    assert "followed by a stack trace of its Rust code." not in text
    assert ("With `RUST_BACKTRACE` set, to anything but `0`, a stack trace of Granian's "
            "Rust code follows it.") in text


def run_until_exit(argv, static_root) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(server_env(static_root), PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    return subprocess.run(argv, cwd=EXAMPLE, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=30)


# --------------------------------------------------------------------------
# The secret key comes from the environment
# --------------------------------------------------------------------------

SECRET_MISSING = ("ImproperlyConfigured: The DJANGO_SECRET_KEY environment variable is not "
                  "set; mysite.settings reads the secret key from it.")


def test_the_pages_export_then_check_deploy_passes(static_root):
    export = command(INDEX, "export DJANGO_SECRET_KEY=").text
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
               DJANGO_STATIC_ROOT=str(static_root))
    done = subprocess.run(["bash", "-euc", f"{export}\npython manage.py check --deploy"],
                          cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "System check identified no issues (1 silenced).\n"
    assert done.stderr == ""


def test_without_the_secret_key_manage_py_stops(static_root):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_STATIC_ROOT"] = str(static_root)
    check = subprocess.run([sys.executable, "manage.py", "check"], cwd=EXAMPLE, env=env,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 1
    assert check.stderr.strip().splitlines()[-1] == f"django.core.exceptions.{SECRET_MISSING}"
    assert SECRET_MISSING in page_text(INDEX)


@pytest.mark.parametrize("page, startswith", SERVERS)
def test_without_the_secret_key_every_server_logs_why(page, startswith, static_root, tmp_path):
    """Some servers exit, others retry their workers: each logs the cause."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(PATH=f"{Path(sys.executable).parent}:{env['PATH']}",
               DJANGO_STATIC_ROOT=str(static_root), HOME=str(tmp_path),
               XDG_RUNTIME_DIR=str(tmp_path))
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(argv_for(page, startswith, free_port()), cwd=EXAMPLE,
                                   env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_until(lambda: SECRET_MISSING in log.read_text() or process.poll() is not None,
                   30, "the server to log the missing key", log.read_text)
        assert SECRET_MISSING in log.read_text()
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


# --------------------------------------------------------------------------
# When asgi.py fails to import (servers/index.md)
# --------------------------------------------------------------------------

from contextlib import ExitStack  # noqa: E402

IMPORT_CHECK = 'python -c "import mysite.asgi"'
SETTINGS_EXAMPLE = ROOT / "examples/settings"


@contextmanager
def without_the_key(argv, static_root, folder: Path, cwd=EXAMPLE, shell=False, **env):
    """``argv`` started with no DJANGO_* variable (plus ``env``); yields the
    process and its log file. Stopped with SIGTERM, then killed, on exit."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    folder.mkdir()
    environ.update(PATH=f"{Path(sys.executable).parent}:{environ['PATH']}",
                   DJANGO_STATIC_ROOT=str(static_root), HOME=str(folder),
                   XDG_RUNTIME_DIR=str(folder), PYTHONUNBUFFERED="1", **env)
    log = folder / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(["bash", "-c", argv] if shell else argv, cwd=cwd,
                                   env=environ, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield process, log
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


UVICORN_RESTART = re.compile(r"Child process \[\d+\] died")
GRANIAN_RESPAWN = "[INFO] Respawning worker-"
GRANIAN_GIVES_UP = "[ERROR] Worker crash loop detected, exiting"


def test_when_asgi_py_fails_to_import_each_server_exits_or_restarts(static_root, tmp_path):
    """The table of servers/index.md: the five commands, side by side, without the key."""
    uvicorn_port, granian_port = free_port(), free_port()
    commands = {
        "uvicorn ": argv_for("servers/uvicorn", "uvicorn ", uvicorn_port),
        "gunicorn mysite.asgi:application ": argv_for(
            "servers/uvicorn", "gunicorn mysite.asgi:application ", free_port()),
        "hypercorn ": argv_for("servers/hypercorn", "hypercorn ", free_port()),
        "daphne ": argv_for("servers/daphne", "daphne ", free_port()),
        "granian ": argv_for("servers/granian", "granian ", granian_port),
        GASGI: argv_for("servers/gunicorn", GASGI, free_port()),
    }
    assert list(commands) == [startswith for _, startswith in SERVERS]
    with ExitStack() as stack:
        runs = {startswith: stack.enter_context(without_the_key(
                    argv, static_root, tmp_path / startswith.strip().replace(" ", "_")))
                for startswith, argv in commands.items()}

        def log(startswith):
            return runs[startswith][1].read_text()

        def exited(startswith):
            return runs[startswith][0].poll() is not None

        def settled():
            return (all(exited(s) for s in ("gunicorn mysite.asgi:application ",
                                             "hypercorn ", "daphne ", GASGI))
                    and (exited("uvicorn ") or len(UVICORN_RESTART.findall(log("uvicorn "))) >= 3)
                    and (exited("granian ") or log("granian ").count(GRANIAN_RESPAWN) >= 3))

        # Two workers fail at start; a third failure is one of their replacements.
        wait_until(settled, 40, "each server to exit, or to restart a restarted worker",
                   lambda: "\n".join(f"--- {s}\n{log(s)}" for s in runs))
        # Running, and answering nothing.
        unanswered = {}
        for startswith, port in [("uvicorn ", uvicorn_port), ("granian ", granian_port)]:
            if not exited(startswith):
                try:
                    unanswered[startswith] = httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                except httpx.TransportError as error:
                    unanswered[startswith] = error
        logs = {s: log(s) for s in runs}
        codes = {s: runs[s][0].poll() for s in runs}
        # The restarting ones are still running, and stop when told to.
        uvicorn_was_running = codes["uvicorn "] is None
        for process, _ in runs.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
                process.wait(15)

    for startswith, text in logs.items():
        assert SECRET_MISSING in text, f"{startswith}:\n{text}"
    # Uvicorn: a new worker for each failed one, replacements included.
    assert uvicorn_was_running, logs["uvicorn "]
    assert all(isinstance(answer, httpx.TransportError) for answer in unanswered.values()), \
        unanswered
    assert "uvicorn " in unanswered
    assert len(UVICORN_RESTART.findall(logs["uvicorn "])) >= 3
    assert logs["uvicorn "].count(SECRET_MISSING) >= 3
    assert "Application startup complete." not in logs["uvicorn "]
    # Gunicorn halts at the first worker that fails to boot; if it reaps the
    # other one while it stops, that raises again, and Python exits with 1.
    # Its own ASGI worker fails the same way.
    for key in ("gunicorn mysite.asgi:application ", GASGI):
        assert_gunicorn_halted(codes[key], logs[key])
    assert codes["hypercorn "] == 0, logs["hypercorn "]
    assert "Running on" not in logs["hypercorn "]
    assert codes["daphne "] == 1, logs["daphne "]
    assert "Listening on TCP address" not in logs["daphne "]
    # Granian respawns, and gives up when a worker fails again soon after
    # its respawn: after one respawn or after many, as timing has it.
    granian = logs["granian "]
    if codes["granian "] is None:
        assert granian.count(GRANIAN_RESPAWN) >= 3, granian
    else:
        assert codes["granian "] == 1, granian
        assert granian.count(GRANIAN_RESPAWN) >= 1 and GRANIAN_GIVES_UP in granian, granian
    assert "[INFO] Started worker-" not in granian

    text = page_text(INDEX)
    for row in [
        "| Uvicorn (`--workers 2`) | starts a new worker for each one that failed, again and again,",
        "| Gunicorn with Uvicorn workers | logs `Reason: Worker failed to boot.` and exits with status "
        "3; when its other worker fails while it stops, Gunicorn 27.0.1 ends with a `HaltServer` "
        "traceback and status 1 instead |",
        "| Hypercorn | exits with status 0,",
        "| Daphne | exits with status 1 |",
        "| Granian (`--respawn-failed-workers`) | respawns the failed workers until one fails again "
        "soon after its respawn, then logs `Worker crash loop detected, exiting` and exits with "
        "status 1 |",
        "| Gunicorn's ASGI worker | as with Uvicorn workers | as with Uvicorn workers |",
    ]:
        assert row in text, row


def assert_gunicorn_halted(code, log):
    """Gunicorn stopped at a worker that failed to boot: status 3, or 1 with
    a HaltServer traceback when it reaped the other failed worker meanwhile."""
    if code == 3:
        assert "Reason: Worker failed to boot." in log, log
    else:
        assert code == 1, log
        assert log.rstrip().endswith(
            "gunicorn.errors.HaltServer: <HaltServer 'Worker failed to boot.' 3>"), log


def test_what_makes_each_server_fail_fast(static_root, tmp_path):
    """The last column of the table, and the import check, side by side."""
    def without(argv, flag, values=0):
        i = argv.index(flag)
        return argv[:i] + argv[i + 1 + values:]

    uvicorn = without(argv_for("servers/uvicorn", "uvicorn ", free_port()), "--workers", 1)
    granian = without(argv_for("servers/granian", "granian ", free_port()),
                      "--respawn-failed-workers")
    gunicorn = argv_for("servers/uvicorn", "gunicorn mysite.asgi:application ",
                        free_port()) + ["--preload"]
    gasgi = argv_for("servers/gunicorn", GASGI, free_port()) + ["--preload"]
    check = command(INDEX, IMPORT_CHECK).text
    assert check == IMPORT_CHECK
    hypercorn = command("servers/hypercorn", "hypercorn ").with_port(free_port())
    settings_uvicorn = argv_for("settings", "uvicorn ", free_port())
    with ExitStack() as stack:
        runs = {
            "uvicorn": stack.enter_context(without_the_key(uvicorn, static_root, tmp_path / "u")),
            "granian": stack.enter_context(without_the_key(granian, static_root, tmp_path / "g")),
            "gunicorn": stack.enter_context(without_the_key(gunicorn, static_root, tmp_path / "gu")),
            "gunicorn -k asgi": stack.enter_context(without_the_key(gasgi, static_root,
                                                                    tmp_path / "ga")),
            "check": stack.enter_context(without_the_key(check, static_root, tmp_path / "c",
                                                          shell=True)),
            "check && hypercorn": stack.enter_context(without_the_key(
                f"{check} && {hypercorn}", static_root, tmp_path / "ch", shell=True)),
            "check with the key": stack.enter_context(without_the_key(
                check, static_root, tmp_path / "ck", shell=True, DJANGO_SECRET_KEY=SECRET_KEY)),
            "check --deploy": stack.enter_context(without_the_key(
                "python manage.py check --deploy", static_root, tmp_path / "cd", shell=True)),
            "settings page": stack.enter_context(without_the_key(
                settings_uvicorn, static_root, tmp_path / "s", cwd=SETTINGS_EXAMPLE,
                DJANGO_ALLOWED_HOSTS="example.com")),
        }
        wait_until(lambda: all(p.poll() is not None for p, _ in runs.values()), 30,
                   "every command to exit",
                   lambda: "\n".join(f"--- {n}\n{log.read_text()}" for n, (_, log) in runs.items()))
        codes = {name: process.returncode for name, (process, _) in runs.items()}
        logs = {name: log.read_text() for name, (_, log) in runs.items()}

    assert codes == {"uvicorn": 1, "granian": 1, "gunicorn": 1, "gunicorn -k asgi": 1, "check": 1,
                     "check && hypercorn": 1, "check with the key": 0, "check --deploy": 1,
                     "settings page": 1}, logs
    for name in ("uvicorn", "granian", "gunicorn", "gunicorn -k asgi", "check",
                 "check && hypercorn",
                 "check --deploy"):
        assert SECRET_MISSING in logs[name], f"{name}:\n{logs[name]}"
    assert logs["check"].splitlines()[-1] == f"django.core.exceptions.{SECRET_MISSING}"
    assert logs["check with the key"] == ""
    # --preload: the main process fails, before any worker.
    assert "Booting worker" not in logs["gunicorn"]
    assert "Booting worker" not in logs["gunicorn -k asgi"]
    # Hypercorn never started.
    assert "Running on" not in logs["check && hypercorn"]
    assert GRANIAN_RESPAWN not in logs["granian"]
    assert ("mysite.settings.prod reads it at start-up." in logs["settings page"])

    text = page_text(INDEX)
    assert "Uvicorn in one process, without `--workers`, exits with status 1" in text
    assert ("with `--preload`, Gunicorn imports the application before it starts any worker, "
            "and exits with status 1") in text
    assert ("without `--respawn-failed-workers`, Granian exits with status 1 at the first "
            "failure") in text
    assert ("`python -c \"import mysite.asgi\" && hypercorn ...` in the script that starts it: "
            "without the key, that line exits with status 1, and Hypercorn never starts") in text
    assert "`python manage.py check --deploy` also exits with status 1 without the key" in text
    settings = page_text("settings")
    assert "and exits instead of starting" not in settings
    assert ("Uvicorn in one process, as started below, exits with status 1, but some servers "
            "start their worker processes again and again, and Hypercorn exits with status 0"
            ) in settings


# --------------------------------------------------------------------------
# Gunicorn's own ASGI worker (servers/gunicorn.md)
# --------------------------------------------------------------------------

GASGI_PAGE = "servers/gunicorn"
DJANGO_LIFESPAN_ERROR = "Django can only handle ASGI/HTTP connections, not lifespan."


def gasgi_argv(port: int, *extra: str, app: str | None = None) -> list[str]:
    """The page's command on ``port``, with ``extra`` flags and another application."""
    argv = argv_for(GASGI_PAGE, GASGI, port) + list(extra)
    return [app if app and APPS.fullmatch(a) else a for a in argv]


def test_gunicorn_asgi_worker_lifespan_switches(static_root, tmp_path):
    """The page: auto keeps Django's error at DEBUG, off sends nothing, on stops Gunicorn."""
    from server import enter_side_by_side
    expected = EXPECTED[GASGI]
    ports = [free_port() for _ in range(3)]
    with ExitStack() as stack:
        auto, off = enter_side_by_side(stack, [
            started(gasgi_argv(ports[0], "--log-level", "debug", app=STARTPROJECT_APP),
                    ports[0], static_root, expected),
            started(gasgi_argv(ports[1], "--log-level", "debug", "--asgi-lifespan", "off"),
                    ports[1], static_root, expected)])
        required, required_log = stack.enter_context(without_the_key(
            gasgi_argv(ports[2], "--asgi-lifespan", "on", app=STARTPROJECT_APP), static_root,
            tmp_path / "on", DJANGO_SECRET_KEY=SECRET_KEY))
        for server in (auto, off):
            assert httpx.get(server.url + "/").status_code == 200
        wait_until(lambda: required.poll() is not None, 30, "Gunicorn to stop",
                   required_log.read_text)
        logs = {"auto": auto.log, "off": off.log, "on": required_log.read_text()}
    # auto: Django's error, at DEBUG only, once per worker; Django still answers.
    assert logs["auto"].count(f"[DEBUG] ASGI lifespan not supported by app: Lifespan startup "
                              f"failed: {DJANGO_LIFESPAN_ERROR}") == expected.workers, logs["auto"]
    assert not re.search(r"\[(INFO|WARNING|ERROR)\].*lifespan", logs["auto"], re.I), logs["auto"]
    # uvloop is not installed: each worker runs asyncio's own loop.
    assert importlib.util.find_spec("uvloop") is None
    assert logs["auto"].count("[DEBUG] Using asyncio event loop") == expected.workers
    # off: not a word about lifespan, even at DEBUG.
    messages = [line for line in logs["off"].splitlines() if not line.startswith(" ")]
    assert messages and not any("lifespan" in line.lower() for line in messages), logs["off"]
    # on: every worker that started fails, and Gunicorn halts.
    assert (f"[ERROR] ASGI lifespan startup failed: Lifespan startup failed: "
            f"{DJANGO_LIFESPAN_ERROR}") in logs["on"]
    assert_gunicorn_halted(required.returncode, logs["on"])
    assert "ASGI server listening" not in logs["on"]
    text = page_text(GASGI_PAGE)
    assert ("logs it only at the DEBUG level (`ASGI lifespan not supported by app`), and "
            "serves without lifespan") in text
    assert ("each worker logs `ASGI lifespan startup failed: Lifespan startup failed: Django "
            "can only handle ASGI/HTTP connections, not lifespan.` and exits, and Gunicorn "
            "stops with `Worker failed to boot.`") in text
    assert "`--asgi-lifespan off` : Never send the lifespan events." in text
    assert ("It uses uvloop when that package is installed, and asyncio's own event loop "
            "otherwise (`--asgi-loop`).") in text


def thread_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def signal_during_slow_request(server, signum, seconds=1) -> dict:
    """``signum`` to the main process while /slow/ runs; what the client got back.

    Django runs each request with a thread of its own, which ends with the
    request (docs/capacity.md): a worker with a second thread is running it.
    """
    workers = [int(p) for p in re.findall(r"Booting worker with pid: (\d+)", server.log)]
    wait_until(lambda: all(thread_count(pid) == 1 for pid in workers), 10,
               "idle workers", lambda: server.log)
    request, result = slow_request(server, seconds)
    wait_until(lambda: any(thread_count(pid) > 1 for pid in workers), 10,
               "the request to reach the view", lambda: server.log)
    os.kill(server.process.pid, signum)
    server.process.wait(15)
    request.join(10)
    return result


def test_sigint_and_sigquit_cut_off_running_requests_only_under_the_asgi_worker(static_root):
    """The page: SIGINT and SIGQUIT stop -k asgi's workers within a second
    (each checks once a second whether to stop), so a 3 s request is cut off.
    Uvicorn's workers finish a 1 s request but do not exit: Gunicorn kills
    them after --graceful-timeout (3 s here instead of the page's 30)."""
    from concurrent.futures import ThreadPoolExecutor

    from server import enter_side_by_side
    uvicorn_worker = "gunicorn mysite.asgi:application "
    shown_by = {GASGI: command("servers/gunicorn", "gunicorn mysite.asgi_gunicorn:application "),
                uvicorn_worker: command("servers/uvicorn", "gunicorn mysite.asgi:application ")}
    runs = [(GASGI, signal.SIGINT), (GASGI, signal.SIGQUIT),
            (uvicorn_worker, signal.SIGINT), (uvicorn_worker, signal.SIGQUIT)]
    seconds = {GASGI: 3, uvicorn_worker: 1}  # how long the running request takes
    with ExitStack() as stack:
        managers = []
        for startswith, _ in runs:
            port = free_port()
            shown = shown_by[startswith].with_port(port)
            if startswith == uvicorn_worker:
                assert "--graceful-timeout 30" in shown
                shown = shown.replace("--graceful-timeout 30", "--graceful-timeout 3")
            managers.append(started(shlex.split(shown), port, static_root,
                                    EXPECTED[startswith]))
        servers = enter_side_by_side(stack, managers)
        with ThreadPoolExecutor(len(runs)) as pool:
            results = list(pool.map(signal_during_slow_request, servers,
                                    [signum for _, signum in runs],
                                    [seconds[startswith] for startswith, _ in runs]))
        codes = [server.process.returncode for server in servers]
        for server in servers:
            wait_until(lambda: not session_members(server.process.pid), 3,
                       "every worker process to exit", lambda: server.log)
        logs = [server.log for server in servers]
    assert codes == [0, 0, 0, 0], logs
    for (startswith, signum), result, log in zip(runs, results, logs):
        name = signal.Signals(signum).name.lower().removeprefix("sig")
        assert f"Handling signal: {name}" in log, log
        if startswith == GASGI:
            assert "error" in result, f"answered: {result}\n{log}"
            # The access log says 500, for a response that never went out.
            assert '"GET /slow/?seconds=3 HTTP/1.1" 500 0 ' in log, log
        else:
            assert result["response"].text == "Slept 1 s\n", f"{result}\n{log}"
            assert log.count("was sent SIGKILL! Perhaps out of memory?") == 2, log
    text = page_text(GASGI_PAGE)
    assert ("`SIGINT` (Ctrl+C) and `SIGQUIT` stop the workers within a second: each worker "
            "checks once a second whether to stop, and then stops without waiting. A request "
            "still running is cut off, and the client gets no response at all; the access log "
            "still shows it, as `500 0`. Gunicorn exits with status 0 here too.") in text
    assert ("| `SIGINT`, `SIGQUIT` | running requests are cut off within a second, and Gunicorn exits | "
            "running requests finish, but the workers do not exit: Gunicorn kills them after "
            "`--graceful-timeout` and logs `was sent SIGKILL! Perhaps out of memory?` |") in text


WEBSOCKET_UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket",
                     "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def test_gunicorn_asgi_worker_threads_websocket_and_keep_alive(static_root):
    """The page: --threads is only warned about, WebSocket reaches Django (which
    refuses it), every response names the server, and the keep-alive setting."""
    port = free_port()
    argv = gasgi_argv(port, "--threads", "4")
    expected = EXPECTED[GASGI]
    with started(argv, port, static_root, expected) as server:
        home = httpx.get(server.url + "/")
        upgrade = httpx.get(server.url + "/", headers=WEBSOCKET_UPGRADE)
        wait_until(lambda: "not websocket." in server.log, 5, "the traceback", lambda: server.log)
        # Gunicorn replaces a worker that dies, as with Uvicorn's worker class.
        dead = kill_first_worker(server, expected)
        wait_until(lambda: server.log.count(expected.ready) == 3, 15,
                   "a new worker to serve", lambda: server.log)
        assert f"Worker (pid:{dead}) was sent SIGKILL!" in server.log
        assert len(re.findall(expected.worker_pid, server.log)) == 3
        log = server.log
    assert home.headers["server"] == "gunicorn/asgi"
    assert (upgrade.status_code, upgrade.content) == (500, b"")
    assert ("[WARNING] ASGI worker does not use threads configuration. Use worker_connections "
            "instead.") in log
    assert "[ERROR] Error in WebSocket ASGI application\nTraceback" in log, log
    assert "ValueError: Django can only handle ASGI/HTTP connections, not websocket." in log
    # Gunicorn's own WebSocket code, not the websockets package.
    from gunicorn.asgi import websocket
    assert not re.search(r"^\s*(import|from) (websockets|wsproto)",
                         Path(websocket.__file__).read_text(), re.M)
    # The page's settings against Gunicorn's defaults.
    shown = argv_for(GASGI_PAGE, GASGI, 8000)
    bare = list(shown)
    for flag in ("--keep-alive", "--graceful-timeout", "--access-logfile"):
        i = bare.index(flag)
        del bare[i:i + 2]
    settings, defaults = (gunicorn_settings(a, static_root) for a in (shown, bare))
    assert (settings["keepalive"], settings["graceful_timeout"], settings["accesslog"]) == \
        ("5", "30", "-")
    assert (defaults["keepalive"], defaults["graceful_timeout"], defaults["accesslog"],
            defaults["loglevel"], defaults["worker_class"]) == ("2", "30", "None", "info", "asgi")
    text = page_text(GASGI_PAGE)
    assert "Each response also carries `Server: gunicorn/asgi`." in text
    assert ("with `--threads 4`, Gunicorn logs `ASGI worker does not use threads configuration. "
            "Use worker_connections instead.`") in text
    assert ("an upgrade request to the example gets `500 Internal Server Error`, and the log "
            "shows `Error in WebSocket ASGI application` with a traceback that ends in "
            "`ValueError: Django can only handle ASGI/HTTP connections, not websocket.`") in text
    assert "Close an idle keep-alive connection after 5 seconds. Gunicorn's default is 2 seconds." \
        in text
    assert "30 seconds is the default." in text and "Gunicorn's default log level is INFO" in text
    assert "restarts if they die" in text and "restart of a worker that dies" in text


# The example's settings without SECURE_PROXY_SSL_HEADER: request.scheme is
# then the scope's, as the server set it.
SCOPE_SCHEME_SETTINGS = """
from mysite.settings import *  # noqa: F403

SECURE_PROXY_SSL_HEADER = None
"""


def test_the_asgi_worker_takes_the_scheme_but_never_the_address(static_root, tmp_path):
    """The page: without the wrapper, X-Forwarded-For changes nothing, and the
    worker sets the scope's scheme only for a peer in --forwarded-allow-ips."""
    from server import enter_side_by_side
    (tmp_path / "scope_scheme.py").write_text(SCOPE_SCHEME_SETTINGS)
    scope_scheme = {"DJANGO_SETTINGS_MODULE": "scope_scheme", "PYTHONPATH": str(tmp_path),
                    "PYTHONDONTWRITEBYTECODE": "1"}
    ports = [free_port() for _ in range(3)]

    def one_worker(argv):  # the scope's scheme does not depend on the worker count
        return [("1" if before == "--workers" else a) for before, a in zip([None, *argv], argv)]

    untrusted = [a.replace("127.0.0.1", "10.0.0.1") if a == "127.0.0.1" else a
                 for a in one_worker(gasgi_argv(ports[2], app=APP))]
    assert untrusted[untrusted.index("--forwarded-allow-ips") + 1] == "10.0.0.1"
    assert untrusted[untrusted.index("--workers") + 1] == "1"
    runs = [(gasgi_argv(ports[0], app=APP), {}),
            (one_worker(gasgi_argv(ports[1], app=APP)), scope_scheme), (untrusted, scope_scheme)]
    with ExitStack() as stack:
        servers = enter_side_by_side(stack, [
            Server(argv, cwd=EXAMPLE, env={**server_env(static_root), **env}, port=port,
                   timeout=30) for (argv, env), port in zip(runs, ports)])
        seen = [httpx.get(server.url + "/client/", headers=FORWARDED).text for server in servers]
    assert seen == [f"127.0.0.1 https 127.0.0.1:{ports[0]}\n",  # Django's setting
                    f"127.0.0.1 https 127.0.0.1:{ports[1]}\n",  # the worker's scope
                    f"127.0.0.1 http 127.0.0.1:{ports[2]}\n"]   # an untrusted peer
    text = page_text(GASGI_PAGE)
    assert ("with `mysite.asgi` alone, it shows `127.0.0.1 https 127.0.0.1:8000`") in text
    assert "`203.0.113.7 https 127.0.0.1:8000` on `/client/`" in text

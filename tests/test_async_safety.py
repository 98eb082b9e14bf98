"""examples/async_safety and docs/async-safety.md: sync-only calls from async code.

Each test gets its own SQLite file through NOTES_DB and creates its tables
with the `migrate` command the page shows, so nothing is left in the example.
"""

import json
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "_tools"))

from example import ROOT, Example  # noqa: E402
from page_commands import command  # noqa: E402
from server import Server, free_port  # noqa: E402

PAGE = "async-safety"
MESSAGE = "You cannot call this from an async context - use a thread or sync_to_async."
EXCEPTION_LINE = f"django.core.exceptions.SynchronousOnlyOperation: {MESSAGE}"

# Sends a list of requests, one after another, to mysite.asgi:application in
# one process and prints what came back as JSON (stderr keeps the log).
_SEND = """
import asyncio, json, sys, httpx
from mysite.asgi import application

async def main(steps):
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
        return [
            {"status": r.status_code, "type": r.headers.get("content-type"), "text": r.text}
            for r in [await c.request(m, p, **kw) for m, p, kw in steps]
        ]

print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
"""


def env_and_argv(text: str) -> tuple[dict, list[str]]:
    """Split a page command such as `VAR=1 python manage.py check` into env and argv."""
    words = shlex.split(text)
    env = {}
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, words


@pytest.fixture
def project(tmp_path):
    """The example with a fresh database, made by the page's migrate command."""
    project = Example.named("async_safety").with_env(NOTES_DB=str(tmp_path / "notes.sqlite3"))
    env, argv = env_and_argv(command(PAGE, "python manage.py migrate").text)
    assert argv[0] == "python" and not env
    done = project.run(*argv[1:])
    assert done.returncode == 0, done.stderr
    assert "Applying notes.0001_initial... OK" in done.stdout
    assert (tmp_path / "notes.sqlite3").exists()
    return project


def send(project: Example, *steps) -> tuple[list[dict], str]:
    """Send (method, path, httpx kwargs) steps; return the responses and the log."""
    done = project.run("-c", _SEND, json.dumps([list(s) for s in steps]))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_the_database_file_is_never_committed():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "examples/async_safety/db.sqlite3"], cwd=ROOT)
    assert ignored.returncode == 0
    tracked = subprocess.run(
        ["git", "ls-files", "examples/async_safety"], cwd=ROOT,
        capture_output=True, text=True, check=True).stdout.split()
    assert "examples/async_safety/notes/migrations/0001_initial.py" in tracked
    assert not [f for f in tracked if f.endswith(".sqlite3")]


def test_message_is_the_one_the_installed_django_raises(project):
    done = project.python("""
        import asyncio
        from django.utils.asyncio import async_unsafe

        @async_unsafe
        def query():
            return "ran"

        async def view():
            return query()

        try:
            asyncio.run(view())
        except Exception as e:
            print(f"{type(e).__module__}.{type(e).__name__}: {e}")
        print(query())
    """)
    assert done.stdout.splitlines() == [EXCEPTION_LINE, "ran"], done.stderr


def test_broken_view_is_a_500_with_the_exception_in_the_log(project):
    [response], log = send(project, ("GET", "/count/broken/", {}))
    assert response["status"] == 500
    assert "<h1>Server Error (500)</h1>" in response["text"]
    assert "SynchronousOnly" not in response["text"]  # DEBUG is off: no details
    assert "Internal Server Error: /count/broken/" in log
    assert "in count_broken\n    count = Note.objects.count()" in log
    assert log.rstrip().endswith(EXCEPTION_LINE)


def test_async_orm_view_creates_lists_and_gets_notes(project):
    responses, log = send(
        project,
        ("GET", "/notes/", {}),
        ("POST", "/notes/", {"data": {"title": "Buy milk"}}),
        ("POST", "/notes/", {"data": {"title": "Call Ada"}}),
        ("GET", "/notes/", {}),
        ("GET", "/notes/2/", {}),
        ("GET", "/notes/99/", {}),
    )
    empty, first, second, listing, detail, missing = responses
    assert empty["text"] == "notes: 0; event loop in this thread: True\n"
    assert (first["status"], first["text"]) == (201, "created note 1\n")
    assert (second["status"], second["text"]) == (201, "created note 2\n")
    assert listing["status"] == 200
    assert listing["type"] == "text/plain"
    assert listing["text"] == (
        "notes: 2; event loop in this thread: True\n1: Buy milk\n2: Call Ada\n")
    assert (detail["status"], detail["text"]) == (200, "2: Call Ada\n")
    assert missing["status"] == 404
    assert log == ""


def test_sync_to_async_view_runs_its_helper_in_a_thread(project):
    responses, log = send(
        project,
        ("POST", "/notes/", {"data": {"title": "Buy milk"}}),
        ("POST", "/notes/import/", {"content": "Pay rent\nWater plants"}),
        ("GET", "/notes/", {}),
    )
    _, imported, listing = responses
    assert imported["status"] == 201
    assert imported["text"] == (
        "added 2 notes, 3 in all; event loop in the helper's thread: False\n")
    assert listing["text"].splitlines()[1:] == ["1: Buy milk", "2: Pay rent", "3: Water plants"]
    assert log == ""


def test_sync_view_runs_in_a_worker_thread(project):
    (created, response), _ = send(
        project, ("POST", "/notes/", {"data": {"title": "Buy milk"}}), ("GET", "/count/sync/", {}))
    assert created["status"] == 201
    assert response["status"] == 200
    assert response["text"] == "notes: 1; event loop in this thread: False\n"


def test_blocking_sleep_holds_up_concurrent_requests(project):
    """Five requests at once: the time.sleep() naps run one after another,
    the asyncio.sleep() ones side by side. Told by the order in which the
    naps start and end, not by how long they take."""
    done = project.python("""
        import asyncio, time, httpx
        from mysite.asgi import application

        naps = []  # (start, end) of every nap the views take

        def timed(sleep):
            def blocking(seconds):
                start = time.perf_counter(); sleep(seconds); naps.append((start, time.perf_counter()))
            async def non_blocking(seconds):
                start = time.perf_counter(); await sleep(seconds); naps.append((start, time.perf_counter()))
            return non_blocking if asyncio.iscoroutinefunction(sleep) else blocking

        time.sleep, asyncio.sleep = timed(time.sleep), timed(asyncio.sleep)

        async def five_at_once(path):
            naps.clear()
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
                rs = await asyncio.gather(*(c.get(path) for _ in range(5)))
                assert [r.text for r in rs] == ["awake\\n"] * 5
            # The most naps under way at one moment.
            return max(sum(s <= start < e for s, e in naps) for start, _ in naps)

        print(asyncio.run(five_at_once("/nap/blocking/")))
        print(asyncio.run(five_at_once("/nap/")))
    """)
    assert done.returncode == 0, done.stderr
    blocking, non_blocking = map(int, done.stdout.split())
    assert (blocking, non_blocking) == (1, 5)
    page = " ".join((ROOT / "docs" / f"{PAGE}.md").read_text().split())
    assert ("Five requests at once to the non-blocking view take their five naps together, "
            "all at the same time.") in page


def test_allow_async_unsafe_hides_the_error_and_check_deploy_reports_it(project):
    unsafe = project.with_env(DJANGO_ALLOW_ASYNC_UNSAFE="true")
    [response], log = send(unsafe, ("GET", "/count/broken/", {}))
    assert (response["status"], response["text"]) == (200, "notes: 0\n")
    assert log == ""

    env, argv = env_and_argv(command(PAGE, "DJANGO_ALLOW_ASYNC_UNSAFE=").text)
    assert env == {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"} and argv[0] == "python"
    reported = project.with_env(**env).run(*argv[1:])
    assert reported.returncode == 1
    assert "(async.E001) You should not set the DJANGO_ALLOW_ASYNC_UNSAFE" in reported.stderr

    clean = project.run(*argv[1:])
    assert clean.returncode == 0, clean.stderr
    assert "System check identified no issues" in clean.stdout


def test_real_server_from_the_page_logs_the_exception(project):
    port = free_port()
    env, argv = env_and_argv(command(PAGE, "uvicorn ").with_port(port))
    assert argv[:2] == ["uvicorn", "mysite.asgi:application"] and not env
    with Server(argv, cwd=project.path, env=project.env, port=port) as server:
        broken = httpx.get(server.url + "/count/broken/")
        created = httpx.post(server.url + "/notes/", data={"title": "Buy milk"})
        listing = httpx.get(server.url + "/notes/")
        log = server.log
    assert broken.status_code == 500
    assert "<h1>Server Error (500)</h1>" in broken.text
    assert "Internal Server Error: /count/broken/" in log
    assert EXCEPTION_LINE in log
    assert created.status_code == 201
    assert listing.text == "notes: 1; event loop in this thread: True\n1: Buy milk\n"

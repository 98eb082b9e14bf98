"""docs/static-files.md: WhiteNoise and ServeStatic under a real ASGI server.

The servers example runs under Uvicorn twice, side by side, each time with
one library's middleware in place of the example's own and that library's
CompressedManifestStaticFilesStorage, over a STATIC_ROOT of its own that
`collectstatic` filled with the example's site.css and a large file of
random bytes. The tests check what a browser gets (bytes, headers, the
compressed copy, 304, ranges), what the server does while large downloads
wait for slow clients (threads, memory, Django's warning), and that the
table `make bench-static` committed is the rendering of its results.
"""

import ast
import json
import os
import re
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import django
import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))

import bench_static  # noqa: E402
from server import Server, enter_side_by_side  # noqa: E402
from test_capacity import rss_kib, threads  # noqa: E402
from test_servers import EXAMPLE, SECRET_KEY, page_text, wait_until  # noqa: E402

PAGE = "static-files"
ARGV = ["uvicorn", "mysite.asgi:application", "--host", "127.0.0.1", "--port", "{port}"]
CSS = (EXAMPLE / "mysite/static/site.css").read_bytes()
LARGE = bench_static.LARGE_NAME
LARGE_SIZE = 4 * 1024 * 1024
# Text that compresses, unlike site.css: 83 bytes, too few for gzip to save the
# 5% both libraries ask for before they keep a compressed copy.
TEXT_NAME, TEXT = "text.css", b"p { margin: 0 0 1em; }\n" * 200
HELD = 8  # large downloads held open at once
NAMES = [name for name, *_ in bench_static.LIBRARIES]
IDENTITY = {"Accept-Encoding": "identity"}
# The tables the page shows, one per language (written by `make bench-static`).
TABLES = {"en": "docs/_static/bench/static.en.txt", "zh_CN": "docs/_static/bench/static.zh_CN.txt"}


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """{library: (server env, STATIC_ROOT)}, each root filled by collectstatic."""
    tmp = tmp_path_factory.mktemp("static_files")
    extra = tmp / "extra"
    extra.mkdir()
    (extra / LARGE).write_bytes(os.urandom(LARGE_SIZE))
    (extra / TEXT_NAME).write_bytes(TEXT)
    envs = {}
    for name, dist, middleware in bench_static.LIBRARIES:
        root = tmp / f"root_{dist}"
        env = {"DJANGO_SECRET_KEY": SECRET_KEY, "DJANGO_STATIC_ROOT": str(root),
               **bench_static.write_settings(
                   tmp / "settings", f"static_{dist}", middleware, extra,
                   storage=f"{dist}.storage.CompressedManifestStaticFilesStorage")}
        envs[name] = (env, root)
    with ThreadPoolExecutor(len(envs)) as pool:  # both at once
        list(pool.map(bench_static.collectstatic, [env for env, _ in envs.values()]))
    return envs


@contextmanager
def serving(collected):
    """{library: (server, STATIC_ROOT)}, both servers started side by side."""
    with ExitStack() as stack:
        servers = enter_side_by_side(stack, [Server(ARGV, cwd=EXAMPLE, env=env)
                                             for env, _ in collected.values()])
        yield {name: (server, root) for name, server, (_, root)
               in zip(collected, servers, collected.values())}


@pytest.fixture(scope="module")
def served(collected):
    with serving(collected) as servers:
        yield servers


def manifest_name(root: Path, name: str) -> str:
    return json.loads((root / "staticfiles.json").read_text())["paths"][name]


def test_both_serve_the_files_collectstatic_wrote_with_the_same_headers(served):
    seen = {}
    for name, (server, root) in served.items():
        get = lambda path, **headers: httpx.get(server.url + path, headers=headers)  # noqa: E731
        css = get("/static/site.css", **IDENTITY)
        assert css.status_code == 200, name
        assert css.content == CSS
        assert css.headers["content-type"] == 'text/css; charset="utf-8"'
        assert css.headers["cache-control"] == "max-age=60, public"
        assert "content-encoding" not in css.headers
        # The security middleware before it still adds its headers.
        assert css.headers["x-content-type-options"] == "nosniff"

        hashed = get("/static/" + manifest_name(root, "site.css"), **IDENTITY)
        assert hashed.content == CSS, name
        assert hashed.headers["cache-control"] == "max-age=315360000, public, immutable"

        # The compressed copy collectstatic wrote, for a client that asks for it.
        assert sorted(p.name for p in root.glob("*.gz")) == sorted(
            [f"{TEXT_NAME}.gz", manifest_name(root, TEXT_NAME) + ".gz"]), name
        gzipped = get(f"/static/{TEXT_NAME}", **{"Accept-Encoding": "gzip"})
        assert gzipped.headers["content-encoding"] == "gzip", name
        assert gzipped.headers["vary"] == "Accept-Encoding"
        assert gzipped.content == TEXT  # httpx decompressed it
        assert int(gzipped.headers["content-length"]) == (root / f"{TEXT_NAME}.gz").stat().st_size
        assert int(gzipped.headers["content-length"]) < len(TEXT) // 10
        # No Brotli copy without the brotli package: a br-only client gets the file.
        assert not list(root.glob("*.br"))
        brotli = get(f"/static/{TEXT_NAME}", **{"Accept-Encoding": "br"})
        assert "content-encoding" not in brotli.headers and brotli.content == TEXT
        # Neither site.css nor random bytes compress: no copy of them.

        again = get("/static/site.css", **{"If-None-Match": css.headers["etag"], **IDENTITY})
        assert again.status_code == 304, name
        assert again.content == b""

        part = get("/static/site.css", Range="bytes=0-3", **IDENTITY)
        assert part.status_code == 206, name
        assert part.headers["content-range"] == f"bytes 0-3/{len(CSS)}"
        assert part.content == CSS[:4]

        large = get(f"/static/{LARGE}")
        assert large.content == (root.parent / "extra" / LARGE).read_bytes()
        seen[name] = {k: v for k, v in css.headers.items()
                      if k not in ("date", "etag", "last-modified")}
    whitenoise, servestatic = seen.values()
    assert whitenoise == servestatic
    # Each library's storage wrote the same files.
    roots = [root for _, root in served.values()]
    assert len({tuple(sorted(p.name for p in root.iterdir())) for root in roots}) == 1


def test_servestatic_reads_whitenoises_settings_under_its_own_prefix():
    """The page: SERVESTATIC_MAX_AGE for WHITENOISE_MAX_AGE, and so on."""
    import servestatic.middleware
    import whitenoise.middleware

    read = {module: set(re.findall(r"\b(?:WHITENOISE|SERVESTATIC)_[A-Z_]+\b",
                                   Path(module.__file__).read_text()))
            for module in (whitenoise.middleware, servestatic.middleware)}
    renamed = {name.replace("WHITENOISE_", "SERVESTATIC_") for name in read[whitenoise.middleware]}
    assert "SERVESTATIC_MAX_AGE" in renamed
    assert renamed <= read[servestatic.middleware]


def hold_downloads(server, count: int) -> list[socket.socket]:
    return bench_static.hold(server.port, f"/static/{LARGE}", count)


def test_large_downloads_threads_memory_and_the_warning(collected):
    """On servers of its own: on Django 6.1, the other tests' responses may
    keep a thread of ServeStatic's until the garbage collector runs (below)."""
    with serving(collected) as served:
        check_large_downloads(served)


def check_large_downloads(served):
    pids = {name: server.process.pid for name, (server, _) in served.items()}
    wait_until(lambda: all(threads(pid) == 1 for pid in pids.values()), 10, "idle servers",
               lambda: f"threads: { {n: threads(p) for n, p in pids.items()} }")
    before = {name: rss_kib(pid) for name, pid in pids.items()}
    held = []
    try:
        for server, _ in served.values():
            # Each has sent the first bytes of the body: WhiteNoise's file
            # was read whole before that, ServeStatic's first block.
            held += hold_downloads(server, HELD)
        counts = {name: threads(pid) for name, pid in pids.items()}
        grown = {name: rss_kib(pid) - before[name] for name, pid in pids.items()}
    finally:
        for client in held:
            client.close()
    # Django's thread of each request, for the whole request; ServeStatic
    # reads each file in a thread of its own besides.
    assert counts == {"WhiteNoise": 1 + HELD, "ServeStatic": 1 + 2 * HELD}
    # WhiteNoise's file is in memory once per download; ServeStatic's is not.
    # (The allocator may reuse what the earlier download of the file freed:
    # up to one file's worth.)
    assert grown["WhiteNoise"] > (HELD - 2) * LARGE_SIZE // 1024
    assert grown["ServeStatic"] < LARGE_SIZE // 1024
    wait_until(lambda: all(threads(pid) == 1 for pid in pids.values()), 10,
               "the downloads' threads to end")
    logs = {name: server.log for name, (server, _) in served.items()}
    assert bench_static.WARNING in logs["WhiteNoise"]
    assert bench_static.WARNING not in logs["ServeStatic"]
    assert "Traceback" not in logs["WhiteNoise"] + logs["ServeStatic"]


def test_a_response_outlives_its_request_on_django_6_1_until_the_collector_runs(collected):
    """The page: Django 6.1 keeps each response in a reference cycle after
    the request, so what the response holds waits for the garbage collector
    (Django ticket #36700); on 5.2 it is freed as the request ends."""
    code = """
import asyncio, gc, weakref, django
from django.core.handlers.asgi import ASGIHandler
from mysite.asgi import application
responses = []
send_response = ASGIHandler.send_response
async def keep_a_weak_reference(self, response, send):
    responses.append(weakref.ref(response))
    await send_response(self, response, send)
ASGIHandler.send_response = keep_a_weak_reference
async def get(path):
    # A bare ASGI call: httpx's ASGITransport keeps the response alive itself.
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": [(b"host", b"localhost")],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}
    requested, sent = False, []
    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b""}
        await asyncio.Event().wait()  # the client stays connected
    async def send(message):
        sent.append(message)
    await application(scope, receive, send)
    return sent[0]["status"]
async def main():
    for path in ("/", "/static/site.css"):
        assert await get(path) == 200
gc.disable()
asyncio.run(main())
alive = [ref() is not None for ref in responses]
gc.collect()
print(django.get_version(), alive, [ref() is not None for ref in responses])
"""
    env = {**os.environ, **collected["ServeStatic"][0]}
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(EXAMPLE)])
    done = subprocess.run([sys.executable, "-c", code], cwd=EXAMPLE, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    version, alive, after_collection = done.stdout.split(" ", 1)[0], *map(
        ast.literal_eval, re.findall(r"\[[^]]*\]", done.stdout))
    cycle = django.VERSION[:2] >= (6, 1)
    assert version == django.get_version()
    assert alive == [cycle, cycle], done.stdout
    assert after_collection == [False, False]


# --------------------------------------------------------------------------
# The committed measurement, and the page
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def results():
    return json.loads((bench_static.OUT / "static.json").read_text())


def test_committed_tables_are_the_rendering_of_the_results(results):
    assert [lib["name"] for lib in results["libraries"]] == NAMES
    assert tuple(TABLES) == bench_static.bench.LANGUAGES
    for language, table in TABLES.items():
        committed = (ROOT / table).read_text()
        assert committed == bench_static.render_table(results, language), language
    page = (ROOT / "docs" / f"{PAGE}.md").read_text()
    assert "```{language-file} _static/bench/static.{language}.txt\n```" in page


def test_the_measurement_shows_what_the_tests_show(results):
    whitenoise, servestatic = results["libraries"]
    assert (whitenoise["warning"], servestatic["warning"]) == (True, False)
    for lib in results["libraries"]:
        for kind in ("small", "large"):
            assert lib[kind]["requests"] > 0
            assert not any(r["errors"] for r in lib[kind]["rounds"]), (lib["name"], kind)
    held = results["load"]["large_bytes"] * whitenoise["held"]["downloads"] // 1024
    assert whitenoise["held"]["rss_kib"] - whitenoise["held"]["rss_before_kib"] >= held * 0.9
    assert servestatic["held"]["rss_kib"] - servestatic["held"]["rss_before_kib"] < held * 0.1
    assert servestatic["held"]["threads"] > whitenoise["held"]["threads"]
    assert results["command"] == bench_static.bench.page_command(
        bench_static.PAGE, bench_static.STARTSWITH).text


def test_the_page_says_what_the_tests_show():
    text = page_text(PAGE)
    assert HELD == 8 and LARGE_SIZE == 4 * 1024 * 1024 == bench_static.LARGE_SIZE
    assert "The tests hold eight downloads of a 4 MiB file open at once" in text
    assert (f"the Uvicorn process holds the file eight times, {HELD * LARGE_SIZE >> 20} MiB "
            "more than when idle; with ServeStatic it grows by less than one file") in text
    assert (f"the process has {1 + HELD} threads with WhiteNoise and {1 + 2 * HELD} with "
            "ServeStatic, one main thread and one or two per download") in text
    for header in ('`Content-Type: text/css; charset="utf-8"`', "`Cache-Control: max-age=60, public`",
                   "`max-age=315360000, public, immutable`", "`304 Not Modified`",
                   "`206 Partial Content`", "`Content-Encoding: gzip`", "`Vary: Accept-Encoding`"):
        assert header in text
    assert f"On each fresh server it holds {bench_static.HELD} downloads of the large file open" in text
    assert bench_static.ROUNDS == 3
    assert "in three rounds in which the two servers take turns" in text
    assert "python -m pip install servestatic" in text


def test_the_page_gives_the_measured_figures(results):
    whitenoise, servestatic = results["libraries"]
    text = page_text(PAGE)

    def ratio(kind):
        return servestatic[kind]["requests_per_s"] / whitenoise[kind]["requests_per_s"]

    def grown(lib, key="rss"):
        held = lib["held"]
        if key == "threads":
            return held["threads"] - held["threads_before"]
        return round((held["rss_kib"] - held["rss_before_kib"]) / 1024)

    rounds = results["load"]["rounds"]
    for kind in ("small", "large"):
        pairs = list(zip(whitenoise[kind]["rounds"], servestatic[kind]["rounds"]))
        assert len(pairs) == rounds >= 3
        # "WhiteNoise answered more requests in every round"
        assert all(w["requests_per_s"] > s["requests_per_s"] for w, s in pairs), kind
    assert (f"ServeStatic's median was {ratio('small'):.2f} times WhiteNoise's for `site.css`, "
            f"and {ratio('large'):.2f} times for the 4 MiB file.") in text
    # "about half as many requests for a small file ..., and about a quarter for a large one"
    assert 0.4 <= ratio("small") <= 0.6 and 0.2 <= ratio("large") <= 0.3
    assert ("in the run above it answered about half as many requests for a small file as "
            "WhiteNoise, and about a quarter for a large one") in text
    held = whitenoise["held"]["downloads"]
    assert held == servestatic["held"]["downloads"] == bench_static.HELD
    assert (grown(whitenoise, "threads"), grown(servestatic, "threads")) == (held, 2 * held)
    per_download = (whitenoise["held"]["rss_kib"] - whitenoise["held"]["rss_before_kib"]) / held
    assert round(per_download / 1024) == results["load"]["large_bytes"] >> 20
    assert (f"While the {held} downloads were held, WhiteNoise's processes had {held} more "
            f"threads and {grown(whitenoise)} MiB more memory, about "
            f"{results['load']['large_bytes'] >> 20} MiB per download; ServeStatic's had "
            f"{2 * held} more threads, two per download, and {grown(servestatic)} MiB more "
            "memory.") in text

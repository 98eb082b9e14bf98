"""docs/streaming.md and examples/streaming/: async views and streaming on every server.

Every server is started with the exact command the page shows (the same as
its own page's), in the example's folder, next to a small upstream service
that runs in this process (tests/upstream.py) and answers only when the test
says so. That makes each ordering deterministic: a report's first line must
reach the client while the view is still waiting on the upstream, because
the upstream only answers once the test has decided. Each server is reached
directly and through nginx with the example's configuration,
examples/streaming/deploy/nginx.conf; nginx with the servers example's
configuration shows what proxy buffering does to a stream.

All servers and proxies start side by side once for the module.
"""

import os
import shlex
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from nginx import Nginx
from server import Server, free_port
from test_servers import EXPECTED, ROOT, SECRET_KEY, SERVERS, page_text, short_name, wait_until
from upstream import Upstream

sys.path.insert(0, str(ROOT / "docs" / "_tools"))
from page_commands import command  # noqa: E402

PAGE = "streaming"
EXAMPLE = ROOT / "examples/streaming"
STREAMING_CONF = EXAMPLE / "deploy/nginx.conf"
SERVERS_CONF = ROOT / "examples/servers/deploy/nginx.conf"
NAMES = [short_name(startswith) for _, startswith in SERVERS]
VIAS = ["direct", "nginx"]
SYNC_WARNING = ("StreamingHttpResponse must consume synchronous iterators in order to "
                "serve them asynchronously. Use an asynchronous iterator instead.")
DAPHNE_TIMEOUT = "Application timed out while sending response"
KEEPALIVE = "0.2"      # seconds between keep-alive comments in the tests
SHORT_HTTP_TIMEOUT = "1"  # Daphne's --http-timeout for the truncation test
# How long a stream that is held back gets to show a first line anyway.
PATIENCE = 0.5
BACKPRESSURE = 5  # Granian's --backpressure for the test of its cap


@dataclass
class Deployed:
    server: Server
    proxy: Nginx        # the streaming example's nginx configuration
    buffering: Nginx    # the servers example's, which buffers /report/


def page_commands() -> dict:
    """{server name: argv}, the commands of this page, for a free port each."""
    found = {}
    for startswith in ("uvicorn ", "gunicorn mysite.asgi:application ", "hypercorn ",
                       "daphne ", "granian ", "gunicorn mysite.asgi_gunicorn:application "):
        port = free_port()
        found[short_name(startswith)] = (shlex.split(command(PAGE, startswith).with_port(port)),
                                        port, startswith)
    assert [s for _, s in SERVERS] == [s for _, _, s in found.values()]  # every server page
    return found


@pytest.fixture(scope="module")
def upstream():
    with Upstream() as service:
        yield service


@pytest.fixture(scope="module")
def deployed(upstream, tmp_path_factory):
    """{name: Deployed} for every server, plus "daphne-short": Daphne with a
    short --http-timeout. Started side by side, stopped on exit."""
    commands = page_commands()
    shown = command(PAGE, "daphne ").with_port(port := free_port())
    assert "--http-timeout 60 " in shown
    commands["daphne-short"] = (
        shlex.split(shown.replace("--http-timeout 60 ", f"--http-timeout {SHORT_HTTP_TIMEOUT} ")),
        port, "daphne ")
    # The servers' configuration names a static folder; no test asks nginx for a file.
    static_root = tmp_path_factory.mktemp("static")
    started = {}
    for name, (argv, port, startswith) in commands.items():
        home = tmp_path_factory.mktemp(name)  # Gunicorn's control socket
        env = {"DJANGO_SECRET_KEY": SECRET_KEY, "STREAMING_UPSTREAM_URL": upstream.url,
               "SSE_KEEPALIVE_SECONDS": KEEPALIVE, "HOME": str(home),
               "XDG_RUNTIME_DIR": str(home)}
        server = Server(argv, cwd=EXAMPLE, env=env, port=port, timeout=30)
        started[name] = [server, Nginx(STREAMING_CONF, f"127.0.0.1:{port}", None),
                         Nginx(SERVERS_CONF, f"127.0.0.1:{port}", static_root)]
    with ThreadPoolExecutor(len(started) * 3) as pool, ExitStack() as stack:
        parts = [part for group in started.values() for part in group]
        entering = [(part, pool.submit(part.__enter__)) for part in parts]
        entered = []
        # On the way out: every nginx at once, then every server at once.
        stack.callback(lambda: list(pool.map(lambda p: p.__exit__(None, None, None),
                                             [p for p in entered if isinstance(p, Server)])))
        stack.callback(lambda: list(pool.map(lambda p: p.__exit__(None, None, None),
                                             [p for p in entered if isinstance(p, Nginx)])))
        failures = []
        for part, future in entering:
            try:
                future.result()
                entered.append(part)
            except Exception as error:  # the others are stopped on the way out
                failures.append(error)
        if failures:
            raise failures[0]
        for name, (_, _, startswith) in commands.items():
            expected, server = EXPECTED[startswith], started[name][0]
            wait_until(lambda: server.log.count(expected.ready) >= expected.workers, 30,
                       f"{name}: {expected.workers} x {expected.ready!r}", lambda: server.log)
        yield {name: Deployed(*group) for name, group in started.items()}


LONG_STREAM = 6.0  # seconds: more than the pages' 5 s keep-alive timeouts


@pytest.fixture(scope="module")
def long_streams(deployed, upstream):
    """{name: future of the number of keep-alive comments}: an event stream
    per server, held open LONG_STREAM seconds, then sent one event. They
    start with the module's first test and run while the others do."""
    def stream(name):
        topic = key("long", name)
        with httpx.Client(timeout=10) as client, \
                client.stream("GET", f"{deployed[name].server.url}/events/?topic={topic}") as r:
            chunks = r.iter_raw()
            opened, seen = time.monotonic(), b""
            while time.monotonic() - opened < LONG_STREAM:
                seen += next(chunks)
            upstream.push(topic, 1, "still here")
            seen += read_until(chunks, b"data: still here\n\n")
        return seen.count(b": keep-alive\n\n")

    with ThreadPoolExecutor(len(NAMES)) as pool:
        yield {name: pool.submit(stream, name) for name in NAMES}


@pytest.fixture(autouse=True)
def logs_when_a_test_fails(request):
    """The module's servers and proxies outlive a failing test: print their logs."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and "deployed" in request.fixturenames:
        for part in request.getfixturevalue("deployed").values():
            part.server.show_logs()
            part.proxy.show_logs()


def client_and_url(deployed: dict, name: str, via: str, http2=True):
    part = deployed[name]
    if via == "direct":
        return httpx.Client(timeout=10), part.server.url
    proxy = part.proxy if via == "nginx" else part.buffering
    return proxy.client(http2=http2), proxy.https_url


def command_of(name: str) -> str:
    return next(s for _, s in SERVERS if short_name(s) == name)


def key(*parts) -> str:
    return "-".join(parts)


def stream_report(client, url: str, upstream: Upstream, report_id: str, streams: bool) -> tuple:
    """Stream ``url`` while its view waits on the upstream for ``report_id``.

    The upstream answers only once the client has the first line (``streams``)
    or, if the line is expected to be held back, once the client has had
    PATIENCE seconds to get it anyway. Returns (what had arrived when the
    upstream answered, the whole body, the response).
    """
    received, first, result = [], threading.Event(), {}

    def read():
        with client, client.stream("GET", url) as response:
            result["response"] = response
            for chunk in response.iter_raw():
                received.append(chunk)
                first.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert upstream.arrived(report_id).wait(10), "the view never asked the upstream"
    first.wait(10 if streams else PATIENCE)
    before = b"".join(received)
    upstream.release(report_id)
    reader.join(10)
    assert not reader.is_alive()
    return before, b"".join(received), result["response"]


# --------------------------------------------------------------------------
# The page's commands
# --------------------------------------------------------------------------

@pytest.mark.parametrize("page, startswith", [
    ("servers/uvicorn", "uvicorn "), ("servers/uvicorn", "gunicorn mysite.asgi:application "),
    ("servers/hypercorn", "hypercorn "), ("servers/daphne", "daphne "),
    ("servers/granian", "granian "),
    ("servers/gunicorn", "gunicorn mysite.asgi_gunicorn:application ")])
def test_the_page_shows_each_servers_own_command(page, startswith):
    """The fixture below starts each of them; here, they match the server pages',
    but for Granian's cap on streams per worker."""
    extra = " --backpressure 1000" if startswith == "granian " else ""
    assert command(PAGE, startswith).text == command(page, startswith).text + extra


# --------------------------------------------------------------------------
# Async views, streaming, the sync-iterator trap
# --------------------------------------------------------------------------

@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("name", NAMES)
def test_an_async_view_awaits_the_upstream(deployed, upstream, long_streams, name, via):
    client, url = client_and_url(deployed, name, via)
    with client:
        response = client.get(url + "/quote/")
        # The view with a client per event loop: the second request reuses it.
        shared = [client.get(url + "/quote-shared/") for _ in range(2)]
    assert response.status_code == 200
    assert response.text == "Quote: 42\n"
    assert [(r.status_code, r.text) for r in shared] == [(200, "Quote: 42\n")] * 2


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("name", NAMES)
def test_an_async_iterator_sends_each_line_as_it_comes(deployed, upstream, name, via):
    client, url = client_and_url(deployed, name, via)
    report_id = key("async", name, via)
    before, body, response = stream_report(client, f"{url}/report/?id={report_id}",
                                           upstream, report_id, streams=True)
    assert response.status_code == 200
    # The first line arrived while the view still waited on the upstream.
    assert before == b"Report started\n"
    assert body == f"Report started\nReport finished: {report_id}\n".encode()


@pytest.mark.parametrize("via", VIAS)
def test_a_sync_iterator_arrives_all_at_once_with_a_warning(deployed, upstream, via):
    """Every server at once: each holds back PATIENCE seconds, side by side."""
    def sync_report(name):
        client, url = client_and_url(deployed, name, via)
        report_id = key("sync", name, via)
        before, body, response = stream_report(client, f"{url}/report-sync/?id={report_id}",
                                               upstream, report_id, streams=False)
        assert response.status_code == 200
        return before, body == f"Report started\nReport finished: {report_id}\n".encode()

    with ThreadPoolExecutor(len(NAMES)) as pool:
        results = dict(zip(NAMES, pool.map(sync_report, NAMES)))
    # Nothing came while the view waited on the upstream; then all of it.
    assert results == {name: (b"", True) for name in NAMES}
    for name in NAMES:
        log = deployed[name].server.log
        if name == "daphne":
            # Daphne sends Python's warnings to Twisted's log, which it discards.
            assert "StreamingHttpResponse" not in log
        else:
            assert SYNC_WARNING in log, log
            # Python's default filter: once per process, however many responses.
            assert log.count(SYNC_WARNING) <= EXPECTED[command_of(name)].workers, log


def test_nginx_buffers_a_stream_unless_told_not_to(deployed, upstream):
    """The servers example's nginx.conf holds /report/ back (HTTP/1.1 client);
    proxy_buffering off (/report/ in the streaming example's) or the
    X-Accel-Buffering header (/events/) lets each line through."""
    def through_nginx(name):
        client, url = client_and_url(deployed, name, "buffering", http2=False)
        report_id = key("buffered", name)
        buffered, body, _ = stream_report(client, f"{url}/report/?id={report_id}",
                                          upstream, report_id, streams=False)
        assert body.endswith(f"{report_id}\n".encode()), name
        client, url = client_and_url(deployed, name, "nginx", http2=False)
        report_id = key("unbuffered", name)
        unbuffered, _, _ = stream_report(client, f"{url}/report/?id={report_id}",
                                         upstream, report_id, streams=True)
        client, url = client_and_url(deployed, name, "buffering", http2=False)
        topic = key("buffering", name)
        with client, client.stream("GET", f"{url}/events/?topic={topic}") as response:
            assert "x-accel-buffering" not in response.headers  # nginx keeps it
            events = next(response.iter_raw())
        return buffered, unbuffered, events

    with ThreadPoolExecutor(len(NAMES)) as pool:
        results = dict(zip(NAMES, pool.map(through_nginx, NAMES)))
    assert results == {name: (b"", b"Report started\n", b"retry: 3000\n\n") for name in NAMES}


# --------------------------------------------------------------------------
# Server-Sent Events
# --------------------------------------------------------------------------

def read_until(chunks, marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        seen += next(chunks)
    return seen


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("name", NAMES)
def test_events_resume_after_the_last_event_id_with_keep_alives_between(
        deployed, upstream, name, via):
    topic = key("sse", name, via)
    for n in (1, 2, 3):
        upstream.push(topic, n, f"event {n}")
    client, url = client_and_url(deployed, name, via)
    with client, client.stream("GET", f"{url}/events/?topic={topic}",
                               headers={"Last-Event-ID": "2"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["cache-control"] == "no-cache"
        if via == "direct":
            assert response.headers["x-accel-buffering"] == "no"
        chunks = response.iter_raw()
        seen = read_until(chunks, b"\n: keep-alive\n\n: keep-alive\n\n")
        upstream.push(topic, 4, "event 4")
        seen += read_until(chunks, b"id: 4\n")
    assert seen.startswith(b"retry: 3000\n\n")
    assert b"id: 3\ndata: event 3\n\n" in seen
    assert b"id: 1\n" not in seen and b"id: 2\n" not in seen
    # Two keep-alive comments came before the event pushed after them.
    assert seen.index(b": keep-alive\n\n: keep-alive\n\n") < seen.index(b"id: 4\n")
    assert ("/events/", {"topic": topic, "after": "2"}) in upstream.requests


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("name", NAMES)
def test_a_client_that_goes_away_ends_the_view_and_its_upstream_connection(
        deployed, upstream, name, via):
    topic = key("gone", name, via)
    upstream.push(topic, 1, "hello")
    client, url = client_and_url(deployed, name, via)
    with client, client.stream("GET", f"{url}/events/?topic={topic}") as response:
        # Keep the iterator: once it is collected, httpx closes the connection.
        chunks = response.iter_raw()
        read_until(chunks, b"data: hello\n\n")
        # Streaming: the view holds its connection to the upstream open.
        assert upstream.opened(topic).is_set()
        assert not upstream.closed(topic).is_set(), upstream.ended.get(topic)
    # The client has gone: the view's finally closed the upstream connection.
    assert upstream.closed(topic).wait(10), deployed[name].server.log


# Django's own ASGI handler, called the way a server calls it, with a send()
# that is still sending the first event when the client goes away: where
# Django's cancellation then lands is no longer a matter of timing.
DISCONNECT_WHILE_SENDING = """
import asyncio, gc, sys
sys.path.insert(0, ".")
from mysite.asgi import application
from mysite import views

if sys.argv[1] == "generator-only":  # the same events, without EventStream.close()
    EventStream = views.EventStream
    views.EventStream = lambda topic, last_event_id: EventStream(topic, last_event_id).events()

async def main(topic):
    loop = asyncio.get_running_loop()
    gone = asyncio.Event()
    received = []

    async def receive():
        received.append(1)
        if len(received) == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if b"data: one" in message.get("body", b""):
            gone.set()                   # the client goes away...
            await asyncio.Event().wait()  # ...while this piece is being sent

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": "/events/",
             "raw_path": b"/events/", "query_string": f"topic={topic}".encode(),
             "root_path": "", "headers": [(b"host", b"127.0.0.1")],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    await application(scope, receive, send)
    print("handled", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    gc.collect()
    print("collected", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # the loop runs until then

asyncio.run(main(sys.argv[2]))
"""


def test_a_client_gone_while_django_sends_leaves_the_generator_to_close(upstream):
    """Django 5.2 does not close the generator then: its finally waits for the
    garbage collector; EventStream.close(), which Django calls, does not wait."""
    env = {**os.environ, "DJANGO_SECRET_KEY": SECRET_KEY, "STREAMING_UPSTREAM_URL": upstream.url,
           "PYTHONPATH": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def run(variant):
        """(closed before gc.collect(), closed after it) for one variant."""
        topic = key("while-sending", variant)
        upstream.push(topic, 1, "one")
        script = subprocess.Popen([sys.executable, "-c", DISCONNECT_WHILE_SENDING, variant, topic],
                                  cwd=EXAMPLE, env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert script.stdout.readline() == "handled\n"
            assert upstream.opened(topic).is_set()
            before = upstream.closed(topic).wait(5 if variant == "event-stream" else PATIENCE)
            script.stdin.write("collect\n")
            script.stdin.flush()
            assert script.stdout.readline() == "collected\n"
            after = upstream.closed(topic).wait(5)
            script.stdin.write("done\n")
            script.stdin.flush()
        finally:
            output, _ = script.communicate(timeout=10)
        assert script.returncode == 0, output
        return before, after

    with ThreadPoolExecutor(2) as pool:
        results = dict(zip(["event-stream", "generator-only"],
                           pool.map(run, ["event-stream", "generator-only"])))
    assert results == {"event-stream": (True, True), "generator-only": (False, True)}


# --------------------------------------------------------------------------
# What cuts a long response
# --------------------------------------------------------------------------

def test_daphnes_http_timeout_ends_a_stream_as_if_it_were_complete(deployed, upstream):
    part = deployed["daphne-short"]
    report_id = "daphne-timeout"
    with httpx.Client(timeout=10) as client, \
            client.stream("GET", f"{part.server.url}/report/?id={report_id}") as response:
        body = b"".join(response.iter_raw())  # no error: the response just ends
        # The view was still waiting on the upstream when the body ended.
        assert upstream.arrived(report_id).is_set()
    upstream.release(report_id)
    assert response.status_code == 200
    assert body == b"Report started\n"
    wait_until(lambda: DAPHNE_TIMEOUT in part.server.log, 5,
               "Daphne's warning", lambda: part.server.log)
    # Daphne under the page's own command has not cut the other streams.
    assert "timed out" not in deployed["daphne"].server.log


def test_no_servers_keep_alive_timeout_cuts_a_stream(deployed, long_streams):
    """The pages' keep-alive timeouts (5 s) close idle connections, not a
    response that is being sent: an event stream outlived them on every server,
    Daphne with the page's --http-timeout 60 included."""
    keepalives = {name: future.result(30) for name, future in long_streams.items()}
    # One comment every 0.2 s for 6 s, and then the event pushed after them.
    assert all(count >= 10 for count in keepalives.values()), keepalives


def test_a_granian_worker_holds_no_more_streams_than_its_backpressure(upstream):
    """One worker, --backpressure 5: the sixth stream gets nothing until one of
    the five ends, and then its first event."""
    shown = command(PAGE, "granian ").with_port(port := free_port())
    assert "--workers 2 " in shown and shown.endswith("--backpressure 1000")
    argv = shlex.split(shown.replace("--workers 2 ", "--workers 1 ")
                       .replace("--backpressure 1000", f"--backpressure {BACKPRESSURE}"))
    env = {"DJANGO_SECRET_KEY": SECRET_KEY, "STREAMING_UPSTREAM_URL": upstream.url}
    with Server(argv, cwd=EXAMPLE, env=env, port=port, timeout=30), ExitStack() as streams:
        def open_stream(n):
            client = streams.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{port}",
                                                        timeout=30))
            response = streams.enter_context(
                client.stream("GET", f"/events/?topic={key('backpressure', str(n))}"))
            assert response.status_code == 200
            # Kept, not dropped: a dropped iterator closes the response.
            chunks = response.iter_raw()
            assert next(chunks).startswith(b"retry: ")
            return client, chunks
        held = [open_stream(n) for n in range(BACKPRESSURE)]
        with ThreadPoolExecutor(1) as pool:
            sixth = pool.submit(open_stream, BACKPRESSURE)
            time.sleep(PATIENCE)
            assert not sixth.done(), "the sixth stream was answered while five were open"
            client, chunks = held.pop(0)
            chunks.close()
            client.close()
            sixth.result(30)  # its status and first event, checked in open_stream


def test_the_page_says_what_the_tests_found():
    text = page_text(PAGE)
    settings = (EXAMPLE / "mysite/settings.py").read_text()
    assert f"`{SYNC_WARNING}`" in text
    assert "under Daphne the buffering is silent" in text
    assert f"The tests start Daphne with `--http-timeout {SHORT_HTTP_TIMEOUT}`" in text
    assert "Daphne logs `Application timed out while sending response` as a WARNING" in text
    # The defaults the tests kept, as the page states them.
    assert '"SSE_RETRY_MILLISECONDS", "3000"' in settings and "starts with `retry: 3000`" in text
    assert '"SSE_KEEPALIVE_SECONDS", "15"' in settings and "every 15 seconds" in text
    assert "proxy_read_timeout 5m;" in STREAMING_CONF.read_text() and "5 minutes" in text
    assert "proxy_buffering off;" in STREAMING_CONF.read_text()
    assert "proxy_buffering" not in SERVERS_CONF.read_text()
    assert (f"The tests start Granian with one worker and `--backpressure {BACKPRESSURE}`"
            in text)
    assert ("With `EventStream`, the upstream sees the connection close as soon as Django is "
            "done; with the generator alone, only after `gc.collect()`.") in text

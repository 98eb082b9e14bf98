"""examples/middleware: Django wrapped in pure ASGI middleware.

The stack in mysite/asgi.py, from the outside in:
ServerTimingMiddleware("total") > GZipMiddleware > ServerTimingMiddleware("django")
> LowercaseHeadersMiddleware > Django.
"""

import gzip
import json

import pytest

REPORT = "".join(f"line {n:03}: all systems nominal\n" for n in range(1, 101))

# Send one request straight to an ASGI application and print, as JSON, the
# messages it sent back: header names exactly as the application wrote them,
# and the raw (possibly compressed) body bytes as latin-1.
RAW_ASGI = """
import asyncio, json, sys
sys.path.insert(0, ".")
from mysite.asgi import application, django_application
from starlette.middleware.gzip import GZipMiddleware

app = {APP}

async def main():
    scope = {{"type": "http", "asgi": {{"version": "3.0"}}, "http_version": "1.1",
              "method": "GET", "scheme": "http", "path": "{PATH}", "raw_path": b"{PATH}",
              "query_string": b"", "root_path": "", "server": ("localhost", 80),
              "client": ("127.0.0.1", 5000),
              "headers": [(b"host", b"localhost"), (b"accept-encoding", b"{ENCODING}")]}}
    sent = []
    requests = [{{"type": "http.request", "body": b"", "more_body": False}}]
    async def receive():
        if requests:
            return requests.pop()
        await asyncio.Event().wait()  # no disconnect until the response is sent
    async def send(message):
        sent.append(message)
    await app(scope, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    print(json.dumps({{"status": start["status"],
                      "headers": [[k.decode(), v.decode()] for k, v in start["headers"]],
                      "body": body.decode("latin-1")}}))

asyncio.run(main())
"""


def raw_asgi(project, app="application", path="/report/", encoding="gzip"):
    done = project.python(RAW_ASGI.format(APP=app, PATH=path, ENCODING=encoding))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["body"] = result["body"].encode("latin-1")
    return result


def names(headers, name):
    return [v for k, v in headers if k.lower() == name]


@pytest.fixture
def project(example):
    return example("middleware")


def test_the_view_sees_the_outermost_layer_first(project):
    response = project.get("/layers/")
    assert response.status == 200
    assert response.text == "total > django > view\n"


def test_server_timing_metrics_come_back_innermost_first(project):
    response = project.get("/layers/")
    metrics = response.all("server-timing")
    assert [m.split(";")[0] for m in metrics] == ["django", "total"]
    django_ms, total_ms = (float(m.split("dur=")[1]) for m in metrics)
    # The outer layer starts its clock earlier and stops it later.
    assert total_ms >= django_ms > 0


def test_large_response_is_gzipped_when_the_client_accepts_it(project):
    response = raw_asgi(project, path="/report/", encoding="gzip")
    headers = response["headers"]
    assert response["status"] == 200
    assert names(headers, "content-encoding") == ["gzip"]
    assert names(headers, "vary") == ["Accept-Encoding"]
    # One Content-Length, and it is the compressed size.
    assert names(headers, "content-length") == [str(len(response["body"]))]
    assert len(response["body"]) < len(REPORT)
    assert gzip.decompress(response["body"]).decode() == REPORT


def test_httpx_client_sees_the_decompressed_report(project):
    response = project.get("/report/", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.header("content-encoding") == "gzip"
    assert response.text == REPORT


def test_large_response_is_plain_when_the_client_does_not_accept_gzip(project):
    response = raw_asgi(project, path="/report/", encoding="identity")
    headers = response["headers"]
    assert names(headers, "content-encoding") == []
    assert names(headers, "vary") == ["Accept-Encoding"]
    assert names(headers, "content-length") == [str(len(REPORT))]
    assert response["body"].decode() == REPORT


def test_small_response_is_never_compressed(project):
    response = raw_asgi(project, path="/layers/", encoding="gzip")
    assert names(response["headers"], "content-encoding") == []
    assert response["body"] == b"total > django > view\n"


def test_every_response_header_name_is_lowercase(project):
    response = raw_asgi(project, path="/report/", encoding="gzip")
    header_names = [k for k, _ in response["headers"]]
    assert "content-type" in header_names
    assert header_names == [k.lower() for k in header_names]


def test_django_itself_sends_header_names_in_their_own_case(project):
    """Why LowercaseHeadersMiddleware exists: Django 5.2 keeps the case."""
    response = raw_asgi(project, app="django_application", path="/report/")
    header_names = [k for k, _ in response["headers"]]
    assert "Content-Length" in header_names
    assert "Content-Type" in header_names


def test_gzip_straight_around_django_leaves_a_stale_content_length(project):
    """The trap the page warns about: two different Content-Length headers."""
    response = raw_asgi(project, app="GZipMiddleware(django_application)", path="/report/")
    lengths = names(response["headers"], "content-length")
    assert names(response["headers"], "content-encoding") == ["gzip"]
    assert lengths == [str(len(REPORT)), str(len(response["body"]))]


PASS_THROUGH = """
import asyncio, sys
sys.path.insert(0, ".")
import mysite.asgi
from mysite.asgi_middleware import LowercaseHeadersMiddleware, ServerTimingMiddleware

seen = []
async def inner(scope, receive, send):
    seen.append(scope)
    await send({"type": "inner.was.called"})

async def main():
    for middleware in (LowercaseHeadersMiddleware(inner), ServerTimingMiddleware(inner, "t")):
        for kind in ("lifespan", "websocket"):
            scope = {"type": kind, "asgi": {"version": "3.0"}, "path": "/"}
            messages = []
            async def send(message):
                messages.append(message)
            await middleware(scope, None, send)
            assert seen.pop() is scope, (middleware, kind)
            assert messages == [{"type": "inner.was.called"}], (middleware, kind)
    print("untouched")

asyncio.run(main())
"""


def test_lifespan_and_websocket_pass_through_untouched(project):
    done = project.python(PASS_THROUGH)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "untouched"


LIFESPAN = """
import asyncio, sys
sys.path.insert(0, ".")
from asgiref.testing import ApplicationCommunicator
from mysite.asgi import application

async def main():
    lifespan = ApplicationCommunicator(application, {"type": "lifespan", "asgi": {"version": "3.0"}})
    await lifespan.send_input({"type": "lifespan.startup"})
    await lifespan.receive_output()

asyncio.run(main())
"""


def test_the_wrapped_stack_still_hands_lifespan_to_django(project):
    """No layer answers lifespan, so Django's refusal reaches the server."""
    done = project.python(LIFESPAN)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ValueError: Django can only handle ASGI/HTTP connections, not lifespan.")

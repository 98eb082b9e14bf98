"""docs/application.md: the `application` object of examples/startproject."""

import json
import shlex
import subprocess
import sys
from pathlib import Path

import httpx

from example import Example
from server import BIN, Server, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "_tools"))
from page_commands import command  # noqa: E402


def project() -> Example:
    return Example.named("startproject")


def run_json(code: str) -> dict:
    """Run ``code`` in the example's folder; it prints one JSON object last."""
    done = project().python(code)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_get_asgi_application_sets_up_django_and_returns_an_asgi_handler():
    result = run_json("""
        import json
        from django.apps import apps
        from django.conf import settings
        from django.core.asgi import get_asgi_application
        before = settings.configured
        from mysite.asgi import application
        print(json.dumps({
            "configured_after_import": before,
            "configured": settings.configured,
            "module": settings.SETTINGS_MODULE,
            "apps_ready": apps.ready,
            "class": f"{type(application).__module__}.{type(application).__name__}",
        }))
    """)
    assert result == {
        "configured_after_import": False,
        "configured": True,
        "module": "mysite.settings",
        "apps_ready": True,
        "class": "django.core.handlers.asgi.ASGIHandler",
    }


def test_importing_a_model_before_setup_fails():
    done = project().python("""
        import os
        try:
            from django.contrib.auth.models import User
        except Exception as exc:
            print(type(exc).__name__, exc)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
        try:
            from django.contrib.auth.models import User
        except Exception as exc:
            print(type(exc).__name__, exc)
        from mysite.asgi import application
        from django.contrib.auth.models import User
        print("imported", User.__name__)
    """)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ImproperlyConfigured Requested setting INSTALLED_APPS")
    assert "DJANGO_SETTINGS_MODULE" in lines[0]
    assert lines[1] == "AppRegistryNotReady Apps aren't loaded yet."
    assert lines[2] == "imported User"


def test_raw_asgi_messages():
    result = run_json("""
        import asyncio, json
        from asgiref.testing import ApplicationCommunicator
        from mysite.asgi import application

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": "/hello/",
            "raw_path": b"/hello/", "root_path": "", "query_string": b"",
            "headers": [(b"host", b"localhost")],
            "client": ("127.0.0.1", 50000), "server": ("localhost", 80),
        }

        async def call():
            communicator = ApplicationCommunicator(application, scope)
            await communicator.send_input({"type": "http.request", "body": b""})
            start = await communicator.receive_output()
            body = await communicator.receive_output()
            await communicator.wait()
            return start, body

        start, body = asyncio.run(call())
        print(json.dumps({
            "start_type": start["type"], "status": start["status"],
            "headers": {k.decode(): v.decode() for k, v in start["headers"]},
            "body_type": body["type"], "body": body["body"].decode(),
            "more_body": body["more_body"],
        }))
    """)
    assert result["start_type"] == "http.response.start"
    assert result["status"] == 200
    assert result["headers"]["Content-Type"] == "text/plain"
    assert result["headers"]["Content-Length"] == "23"
    assert result["body_type"] == "http.response.body"
    assert result["body"] == "Hello from ASGIRequest\n"
    assert result["more_body"] is False


def test_lifespan_scope_is_rejected():
    done = project().python("""
        import asyncio
        from asgiref.testing import ApplicationCommunicator
        from mysite.asgi import application

        async def lifespan():
            communicator = ApplicationCommunicator(
                application, {"type": "lifespan", "asgi": {"version": "3.0"}})
            await communicator.send_input({"type": "lifespan.startup"})
            await communicator.wait()

        asyncio.run(lifespan())
    """)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "ValueError: Django can only handle ASGI/HTTP connections, not lifespan.")


def test_uvicorn_command_on_the_page_serves_hello():
    """The reader's command, run as shown from the folder that holds manage.py."""
    shown = command("application", "uvicorn ")
    assert shown.text == "uvicorn mysite.asgi:application --port 8000"
    port = free_port()
    with Server(shlex.split(shown.with_port(port)), cwd=project().path, port=port,
                ready_path="/hello/") as server:
        response = httpx.get(server.url + "/hello/")
    assert response.status_code == 200
    assert response.text == "Hello from ASGIRequest\n"


def test_uvicorn_needs_module_colon_attribute():
    done = subprocess.run(
        [str(BIN / "uvicorn"), "mysite.asgi", "--port", "0"],
        cwd=project().path, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode != 0
    assert 'Import string "mysite.asgi" must be in format "<module>:<attribute>".' in (
        done.stdout + done.stderr)


COUNTING_APP = '''
import json

calls = []  # the scope type of every call, in order


async def app(scope, receive, send):
    calls.append(scope["type"])
    call = len(calls)
    if scope["type"] == "http":
        body = json.dumps({"call": call, "port": scope["client"][1]}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
    elif scope["type"] == "websocket":
        while True:
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
            elif message["type"] == "websocket.receive":
                await send({"type": "websocket.send", "text": json.dumps({"call": call})})
            else:
                return
'''


def test_a_server_calls_application_once_per_request_not_per_connection(tmp_path):
    """The page: one call per HTTP request, one per WebSocket connection."""
    (tmp_path / "counting.py").write_text(COUNTING_APP)
    from websockets.sync.client import connect

    with Server(["uvicorn", "counting:app", "--port", "{port}", "--lifespan", "off"],
                cwd=tmp_path) as server:
        # Two requests over one keep-alive connection: the same client port...
        with httpx.Client(base_url=server.url) as client:
            first, second = client.get("/").json(), client.get("/").json()
        assert first["port"] == second["port"]
        # ...and still two calls.
        assert second["call"] == first["call"] + 1
        # A WebSocket connection is one call, however many messages it carries.
        with connect(server.url.replace("http", "ws") + "/") as websocket:
            websocket.send("one")
            one = json.loads(websocket.recv())
            websocket.send("two")
            two = json.loads(websocket.recv())
        assert one["call"] == two["call"] == second["call"] + 1

    page = " ".join((Path(__file__).resolve().parent.parent / "docs/application.md")
                    .read_text().split())
    assert "once per connection" not in page
    assert ("A server calls it once for each HTTP request, even when several requests "
            "share one keep-alive connection, and once for the whole of a WebSocket "
            "connection.") in page

"""docs/choosing-a-server.md: the feature table, checked against the installed servers.

Each claim of the table is either observed on a running server (HTTP/2 over
plain TCP, or its absence) or read from the server's own --help and package.
The benchmark half of the page is checked by tests/test_bench.py.
"""

import importlib.metadata
import importlib.util
import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from example import Example
from server import Server

BIN = Path(sys.executable).parent
SERVERS_EXAMPLE = Example.named("servers").path
APP = "mysite.asgi:application"
# The servers example reads its secret key from the environment.
SECRET = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}


def help_text(program: str) -> str:
    done = subprocess.run([str(BIN / program), "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def get_over_cleartext_http2(url: str) -> httpx.Response:
    """An HTTP/2 request with prior knowledge: no TLS, no upgrade."""
    with httpx.Client(http1=False, http2=True, timeout=5) as client:
        return client.get(url + "/")


SPEAK_H2C = {
    "Hypercorn": ["hypercorn", APP, "--bind", "127.0.0.1:{port}"],
    "Granian": ["granian", "--interface", "asgi", APP, "--port", "{port}"],
    "Gunicorn's ASGI worker": ["gunicorn", APP, "-k", "asgi", "--bind", "127.0.0.1:{port}",
                               "--http-protocols", "h2,h1", "--http2-cleartext",
                               "prior-knowledge"],
}
NO_H2C = {
    "Uvicorn": ["uvicorn", APP, "--port", "{port}"],
    "Gunicorn with Uvicorn workers": ["gunicorn", APP, "-k", "uvicorn_worker.UvicornWorker",
                                      "--bind", "127.0.0.1:{port}"],
    "Daphne": ["daphne", "-p", "{port}", APP],
    "Granian --http 1": ["granian", "--interface", "asgi", "--http", "1", APP,
                         "--port", "{port}"],
    "Gunicorn's ASGI worker": ["gunicorn", APP, "-k", "asgi", "--bind", "127.0.0.1:{port}"],
}


@pytest.mark.parametrize("name", SPEAK_H2C)
def test_server_answers_http2_over_plain_tcp(name):
    with Server(SPEAK_H2C[name], cwd=SERVERS_EXAMPLE, env=SECRET) as server:
        response = get_over_cleartext_http2(server.url)
    assert response.http_version == "HTTP/2"
    # The example's view prints the HTTP version the server put in the scope.
    assert response.text == "Hello over ASGI 3.0, HTTP/2\n"


@pytest.mark.parametrize("name", NO_H2C)
def test_server_does_not_answer_http2_over_plain_tcp(name):
    with Server(NO_H2C[name], cwd=SERVERS_EXAMPLE, env=SECRET) as server:
        # The server closes the connection without an answer. The client sees
        # the end of the stream, or a reset when the frames it sent after the
        # preface were still unread (the kernel's choice, as the close races
        # them: seen once with Uvicorn's worker on a loaded CI run).
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            get_over_cleartext_http2(server.url)
        http1 = httpx.get(server.url + "/")
        log = server.log
    assert http1.text == "Hello over ASGI 3.0, HTTP/1.1\n"
    if name == "Daphne":
        # Its HTTP/2 is there, for TLS endpoints only: Twisted's extras are installed.
        assert "HTTP/2 support enabled" in log


def test_gunicorn_asgi_http2_needs_h2_and_then_refuses_http1_from_its_proxy():
    """Its page: prior-knowledge h2c needs the h2 package, and a trusted peer
    (127.0.0.1 is in the default --forwarded-allow-ips) must speak HTTP/2."""
    from gunicorn.config import Config
    from gunicorn.http2 import is_http2_available

    assert importlib.util.find_spec("h2") is not None and is_http2_available()
    assert Config().http_protocols == ["h1"] and Config().http2_cleartext == "off"
    with Server(SPEAK_H2C["Gunicorn's ASGI worker"], cwd=SERVERS_EXAMPLE, env=SECRET) as server:
        http1 = httpx.get(server.url + "/")
    assert http1.status_code == 400
    assert http1.text == "Invalid HTTP/2 connection preface"
    page = " ".join((Path(__file__).resolve().parent.parent / "docs/servers/gunicorn.md")
                    .read_text().split())
    assert "A peer in that list must then speak HTTP/2 on the port: an HTTP/1.1 request from it "\
           "gets `400 Bad Request`." in page


def test_uvicorn_http2_needs_the_zttp_package():
    assert importlib.util.find_spec("zttp") is None
    done = subprocess.run([str(BIN / "uvicorn"), "--http2", APP, "--port", "1"],
                          cwd=SERVERS_EXAMPLE, env={**os.environ, **SECRET},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "HTTP/2 requires the `zttp` HTTP protocol" in done.stderr
    assert "--http [auto|h11|httptools|zttp]" in help_text("uvicorn")


def test_hypercorn_http3_needs_quic_bind_and_aioquic():
    assert "--quic-bind" in help_text("hypercorn")
    quic = Path(importlib.util.find_spec("hypercorn").origin).parent / "protocol" / "quic.py"
    assert "from aioquic" in quic.read_text()


@pytest.mark.parametrize("program, option", [
    ("uvicorn", "--workers"), ("gunicorn", "--workers"), ("hypercorn", "--workers"),
    ("granian", "--workers")])
def test_worker_processes_option(program, option):
    assert option in help_text(program)


def test_daphne_has_no_worker_option():
    text = help_text("daphne")
    assert "--workers" not in text and " -w " not in text


@pytest.mark.parametrize("program, option", [
    ("uvicorn", "--ws "), ("hypercorn", "--websocket-ping-interval"),
    ("daphne", "--websocket_timeout"), ("granian", "--ws / --no-ws"),
    ("granian", "--http [auto|1|2]")])
def test_websocket_and_protocol_options(program, option):
    assert option in help_text(program)


def test_django_answers_http_only(example):
    done = example("servers", **SECRET).python("""
        import asyncio
        from mysite.asgi import django_application

        async def receive():
            return {"type": "websocket.connect"}

        async def send(message):
            pass

        asyncio.run(django_application({"type": "websocket", "path": "/"}, receive, send))
    """)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "ValueError: Django can only handle ASGI/HTTP connections, not websocket.")


def test_granian_is_rust_and_the_others_are_python():
    def compiled(package):
        folder = Path(importlib.util.find_spec(package).origin).parent
        return sorted(p.name for p in folder.rglob("*.so"))

    assert [name.split(".")[0] for name in compiled("granian")] == ["_granian"]
    for package in ("uvicorn", "gunicorn", "hypercorn", "daphne", "uvicorn_worker"):
        assert compiled(package) == [], package
    assert importlib.util.find_spec("twisted") is not None  # Daphne runs on Twisted


def test_gunicorn_ships_its_own_asgi_worker():
    from gunicorn.workers import SUPPORTED_WORKERS
    from uvicorn_worker import UvicornWorker

    assert SUPPORTED_WORKERS["asgi"] == "gunicorn.workers.gasgi.ASGIWorker"
    assert "--asgi-lifespan" in help_text("gunicorn")
    # The Uvicorn worker runs Uvicorn's own HTTP/1.1 protocol, without HTTP/2.
    assert UvicornWorker.CONFIG_KWARGS == {"loop": "auto", "http": "auto"}


def test_uvicorn_websockets_need_a_package_that_a_plain_install_lacks():
    plain = [r for r in importlib.metadata.requires("uvicorn") if "extra ==" not in r]
    assert not any(r.startswith(("websockets", "wsproto")) for r in plain), plain
    page = " ".join((Path(__file__).resolve().parent.parent / "docs/choosing-a-server.md")
                    .read_text().split())
    assert "| only with the `websockets` or `wsproto` package;" in page

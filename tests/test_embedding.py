"""examples/embedding: Django mounted under /django/ in another ASGI application.

Two front applications serve the same site: mysite.asgi:application (Starlette)
and mysite.asgi_router:application (the hand-written PrefixRouter).
"""

import sys
from pathlib import Path

import httpx
import pytest

from server import Server, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "_tools"))
from page_commands import command  # noqa: E402

FRONTS = ["mysite.asgi:application", "mysite.asgi_router:application"]

WHERE_UNDER_DJANGO = (
    "path: /django/where/\n"
    "path_info: /where/\n"
    "SCRIPT_NAME: /django\n"
    "reverse('where'): /django/where/\n"
    "reverse('admin:index'): /django/admin/\n"
)


@pytest.fixture
def project(example):
    return example("embedding")


@pytest.mark.parametrize("app", FRONTS)
def test_health_is_answered_by_the_front_application(project, app):
    response = project.get("/health", app=app)
    assert response.status == 200
    assert response.text == "ok\n"
    assert response.header("content-type") == "text/plain; charset=utf-8"
    # Django's XFrameOptionsMiddleware adds this to every Django response.
    assert response.header("x-frame-options") is None


@pytest.mark.parametrize("app", FRONTS)
def test_django_answers_under_the_prefix_and_reverse_adds_it(project, app):
    response = project.get("/django/where/", app=app)
    assert response.status == 200
    assert response.header("x-frame-options") == "DENY"
    assert response.text == WHERE_UNDER_DJANGO


@pytest.mark.parametrize("app", FRONTS)
def test_admin_redirects_to_its_login_page_under_the_prefix(project, app):
    response = project.get("/django/admin/", app=app)
    assert response.status == 302
    assert response.header("location") == "/django/admin/login/?next=/django/admin/"


@pytest.mark.parametrize("app", FRONTS)
def test_append_slash_redirect_keeps_the_prefix(project, app):
    response = project.get("/django/where", app=app)
    assert response.status == 301
    assert response.header("location") == "/django/where/"


def test_django_alone_has_no_prefix(project):
    response = project.get("/where/", app="mysite.asgi:django_application")
    assert response.status == 200
    assert "SCRIPT_NAME: \n" in response.text
    assert "reverse('where'): /where/\n" in response.text


def test_starlette_answers_paths_outside_its_routes(project):
    response = project.get("/where/", app="mysite.asgi:application")
    assert response.status == 404
    assert response.text == "Not Found"
    assert response.header("x-frame-options") is None


def test_starlette_redirects_the_bare_prefix_to_its_slash(project):
    response = project.get("/django", app="mysite.asgi:application")
    assert response.status == 307
    assert response.header("location") == "http://localhost/django/"


def test_router_answers_paths_under_no_prefix(project):
    for path in ("/", "/where/", "/healthz", "/djangox/where/"):
        response = project.get(path, app="mysite.asgi_router:application")
        assert (response.status, response.text) == (404, "Not Found\n"), path
        assert response.header("x-frame-options") is None, path


ROOT_PATH = """
import asyncio, sys
sys.path.insert(0, ".")
from mysite.asgi_router import application

async def main():
    # A server started with --root-path /site: the path includes the root path.
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": "/site/django/where/",
             "root_path": "/site", "query_string": b"", "server": ("localhost", 80),
             "headers": [(b"host", b"localhost")]}
    requests = [{"type": "http.request", "body": b""}]
    async def receive():
        if requests:
            return requests.pop()
        await asyncio.Event().wait()
    body = []
    async def send(message):
        body.append(message.get("body", b""))
    await application(scope, receive, send)
    print(b"".join(body).decode(), end="")

asyncio.run(main())
"""


def test_router_adds_its_prefix_to_an_existing_root_path(project):
    done = project.python(ROOT_PATH)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "path: /site/django/where/\n"
        "path_info: /where/\n"
        "SCRIPT_NAME: /site/django\n"
        "reverse('where'): /site/django/where/\n"
        "reverse('admin:index'): /site/django/admin/\n"
    )


LIFESPAN = """
import asyncio, sys
sys.path.insert(0, ".")
from asgiref.testing import ApplicationCommunicator
from {module} import {name} as app

async def main():
    lifespan = ApplicationCommunicator(app, {{"type": "lifespan", "asgi": {{"version": "3.0"}}}})
    await lifespan.send_input({{"type": "lifespan.startup"}})
    print(await lifespan.receive_output())
    await lifespan.send_input({{"type": "lifespan.shutdown"}})
    print(await lifespan.receive_output())
    await lifespan.wait()
    print("finished")

asyncio.run(main())
"""


def lifespan(project, app):
    module, name = app.split(":")
    return project.python(LIFESPAN.format(module=module, name=name))


@pytest.mark.parametrize("app", FRONTS)
def test_front_application_completes_lifespan_startup_and_shutdown(project, app):
    done = lifespan(project, app)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "{'type': 'lifespan.startup.complete'}",
        "{'type': 'lifespan.shutdown.complete'}",
        "finished",
    ]


def test_django_rejects_the_lifespan_scope(project):
    done = lifespan(project, "mysite.asgi:django_application")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines()[-1] == (
        "ValueError: Django can only handle ASGI/HTTP connections, not lifespan.")


@pytest.mark.parametrize("app", FRONTS)
def test_uvicorn_serves_the_page_command_with_lifespan_supported(project, app):
    port = free_port()
    argv = command("embedding", f"uvicorn {app}").with_port(port).split()
    with Server(argv, cwd=project.path, port=port, ready_path="/health") as server:
        health = httpx.get(server.url + "/health")
        where = httpx.get(server.url + "/django/where/")
        server.stop()
        log = server.log
    assert server.returncode in (0, -15), log  # uvicorn 0.54 re-raises SIGTERM
    assert (health.status_code, health.text) == (200, "ok\n")
    assert (where.status_code, where.text) == (200, WHERE_UNDER_DJANGO)
    assert "Application startup complete." in log
    # Django alone makes uvicorn log "ASGI 'lifespan' protocol appears unsupported."
    assert "lifespan" not in log.lower(), log
    assert "Application shutdown complete." in log

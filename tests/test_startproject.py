"""examples/startproject: the project `django-admin startproject` makes."""

import subprocess
import sys
from pathlib import Path

import httpx

from example import Example
from server import Server


def test_asgi_py_is_what_the_installed_django_generates(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite"],
        cwd=tmp_path, check=True,
    )
    generated = (tmp_path / "mysite" / "mysite" / "asgi.py").read_text()
    ours = Example.named("startproject").path / "mysite" / "asgi.py"
    assert ours.read_text() == generated


def test_hello_is_served_by_the_asgi_handler(example):
    response = example("startproject").get("/hello/")
    assert response.status == 200
    assert response.header("content-type") == "text/plain"
    assert response.text == "Hello from ASGIRequest\n"


def test_unknown_path_is_a_404(example):
    assert example("startproject").get("/nowhere/").status == 404


def test_runserver_does_not_use_asgi_py(example):
    """The development server answers with a WSGIRequest, not an ASGIRequest."""
    project = example("startproject")
    with Server(["python", "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"],
                cwd=project.path, ready_path="/hello/") as server:
        response = httpx.get(server.url + "/hello/")
    assert response.status_code == 200
    assert response.text == "Hello from WSGIRequest\n"
    assert server.returncode in (0, -15), server.log

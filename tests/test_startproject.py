"""examples/startproject: the project `django-admin startproject` makes.

The example project was made by Django 5.2; examples/startproject/django-6.1/
holds the asgi.py and settings.py that Django 6.1 writes instead. The overview
shows both, and each is checked on the series that writes it.
"""

import re
import subprocess
import sys
from pathlib import Path

import django
import httpx
import pytest
from django.conf import global_settings

from example import Example
from server import Server

STARTPROJECT = Example.named("startproject").path
# Where the overview's copy of each series' generated files lives.
GENERATED = {(5, 2): STARTPROJECT / "mysite", (6, 1): STARTPROJECT / "django-6.1"}
# Each run of startproject draws a new key; nothing else may differ.
SECRET_KEY = re.compile(r"^SECRET_KEY = .*$", re.M)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A project made by `startproject` of the installed Django."""
    folder = tmp_path_factory.mktemp("startproject")
    subprocess.run([sys.executable, "-m", "django", "startproject", "mysite"], cwd=folder,
                   check=True)
    return folder / "mysite"


def shown(name: str) -> Path:
    """The file of this series that the overview shows."""
    series = django.VERSION[:2]
    assert series in GENERATED, (f"Django {django.get_version()}: the overview shows the files "
                                 f"of Django {' and '.join('%d.%d' % s for s in GENERATED)} only")
    return GENERATED[series] / name


@pytest.mark.parametrize("name", ["asgi.py", "settings.py"])
def test_the_files_shown_are_what_the_installed_django_generates(generated, name):
    theirs = (generated / "mysite" / name).read_text()
    assert SECRET_KEY.sub("", shown(name).read_text()) == SECRET_KEY.sub("", theirs)


def test_the_two_series_generate_the_same_asgi_py_but_for_the_docs_link():
    lts, new = (GENERATED[s] / "asgi.py" for s in sorted(GENERATED))
    assert lts.read_text().replace("/en/5.2/", "/en/6.1/") == new.read_text()


def test_both_series_give_a_new_project_bigautofield(generated):
    """5.2 writes DEFAULT_AUTO_FIELD into settings.py; 6.1 needs no line for
    it (BigAutoField is the default from Django 6.0), and writes MAILERS."""
    settings = (generated / "mysite" / "settings.py").read_text()
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings; print(settings.DEFAULT_AUTO_FIELD)"],
        cwd=generated, capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines()[-1:] == ["django.db.models.BigAutoField"], done.stderr
    if django.VERSION >= (6, 0):
        assert global_settings.DEFAULT_AUTO_FIELD == "django.db.models.BigAutoField"
        assert "DEFAULT_AUTO_FIELD" not in settings
        assert "\nMAILERS = {\n    'default': {\n        'BACKEND': " \
               "'django.core.mail.backends.console.EmailBackend',\n" in settings
    else:
        assert global_settings.DEFAULT_AUTO_FIELD == "django.db.models.AutoField"
        assert "\nDEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n" in settings
        assert "MAILERS" not in settings


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

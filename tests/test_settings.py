"""examples/settings and docs/settings.md: a settings package with dev and prod modules."""

import os
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from example import Example
from server import BIN, Server, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "_tools"))
from page_commands import command  # noqa: E402

PROD = "mysite.settings.prod"
DEV = "mysite.settings.dev"
SECRET_MESSAGE = (
    "django.core.exceptions.ImproperlyConfigured: The DJANGO_SECRET_KEY environment "
    "variable is not set; mysite.settings.prod reads it at start-up.")


def project(**env: str) -> Example:
    return Example.named("settings", **env)


def production(**env: str) -> Example:
    """The project with what prod.py needs in the environment."""
    return project(DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
                   DJANGO_ALLOWED_HOSTS="localhost", **env)


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


# Which settings each entry point loads -------------------------------------

def test_environment_wins_over_the_default_in_asgi_py():
    response = project(DJANGO_SETTINGS_MODULE=DEV).get("/settings/")
    assert response.status == 200
    assert response.header("content-type") == "text/plain"
    assert response.text == "SETTINGS_MODULE: mysite.settings.dev\nDEBUG: True\n"


def test_asgi_py_defaults_to_production_settings():
    done = production().python("""
        import asyncio, httpx
        from mysite.asgi import application

        async def get():
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="https://localhost") as c:
                return await c.get("/settings/")

        r = asyncio.run(get())
        print(r.status_code, r.headers["strict-transport-security"])
        print(r.text, end="")
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "200 max-age=31536000; includeSubDomains; preload\n"
        "SETTINGS_MODULE: mysite.settings.prod\nDEBUG: False\n")


def test_wsgi_py_defaults_to_production_settings_too():
    done = production().python("""
        from mysite.wsgi import application
        from django.conf import settings
        print(settings.SETTINGS_MODULE, settings.DEBUG)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "mysite.settings.prod False\n"


def test_production_redirects_plain_http_to_https():
    response = production().get("/settings/")
    assert response.status == 301
    assert response.header("location") == "https://localhost/settings/"


def test_production_rejects_hosts_not_in_allowed_hosts():
    response = production().request("GET", "/settings/", headers={"host": "evil.example"})
    assert response.status == 400


def test_manage_py_defaults_to_dev_and_the_environment_wins():
    show = "from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"
    dev = project().manage("shell", "-c", show)
    assert dev.returncode == 0, dev.stderr
    assert last_line(dev.stdout) == "mysite.settings.dev True"
    prod = production(DJANGO_SETTINGS_MODULE=PROD).manage("shell", "-c", show)
    assert prod.returncode == 0, prod.stderr
    assert last_line(prod.stdout) == "mysite.settings.prod False"


def test_the_package_itself_holds_no_settings():
    done = project(DJANGO_SETTINGS_MODULE="mysite.settings").python("""
        from django.conf import settings
        print(settings.INSTALLED_APPS, hasattr(settings, "ROOT_URLCONF"))
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[] False\n"
    with pytest.raises(AssertionError,
                       match="AttributeError: 'Settings' object has no attribute 'ROOT_URLCONF'"):
        project(DJANGO_SETTINGS_MODULE="mysite.settings").get("/settings/")


# check --deploy ------------------------------------------------------------

def test_check_deploy_passes_without_warnings_on_production_settings():
    done = production(DJANGO_SETTINGS_MODULE=PROD).manage("check", "--deploy")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "System check identified no issues (0 silenced).\n"
    assert "WARNINGS" not in done.stdout + done.stderr
    assert done.stderr == ""


def test_check_deploy_warns_on_development_settings():
    """The check is not vacuous: the dev settings fail it."""
    done = project().manage("check", "--deploy")
    assert "WARNINGS" in done.stderr
    for warning in ("security.W008", "security.W009", "security.W018", "security.W020"):
        assert warning in done.stderr


def test_console_commands_on_the_page_pass_check_deploy():
    """The four commands of the page's first console block, run as a reader would."""
    block = [
        command("settings", "export DJANGO_SETTINGS_MODULE=").text,
        command("settings", "export DJANGO_SECRET_KEY=").text,
        command("settings", "export DJANGO_ALLOWED_HOSTS=").text,
        command("settings", "python manage.py check --deploy").text,
    ]
    assert block[0] == f"export DJANGO_SETTINGS_MODULE={PROD}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["PATH"] = f"{BIN}:{env['PATH']}"
    done = subprocess.run(
        ["bash", "-euc", "\n".join(block)], cwd=project().path, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "System check identified no issues (0 silenced).\n"
    assert "WARNINGS" not in done.stderr


# Failures that name their cause --------------------------------------------

def test_missing_secret_key_names_the_variable():
    env = {"DJANGO_SETTINGS_MODULE": PROD, "DJANGO_ALLOWED_HOSTS": "example.com"}
    done = project(**env).manage("check", "--deploy")
    assert done.returncode == 1
    assert last_line(done.stderr) == SECRET_MESSAGE


def test_missing_secret_key_stops_asgi_py_too():
    done = project(DJANGO_ALLOWED_HOSTS="example.com").python("from mysite.asgi import application")
    assert done.returncode == 1
    assert last_line(done.stderr) == SECRET_MESSAGE


def test_empty_secret_key_counts_as_missing():
    env = {"DJANGO_SETTINGS_MODULE": PROD, "DJANGO_SECRET_KEY": "",
           "DJANGO_ALLOWED_HOSTS": "example.com"}
    done = project(**env).manage("check")
    assert last_line(done.stderr) == SECRET_MESSAGE


def test_uvicorn_exits_when_the_secret_key_is_missing():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_ALLOWED_HOSTS"] = "example.com"
    argv = shlex.split(command("settings", "uvicorn ").with_port(free_port()))
    done = subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=project().path, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert SECRET_MESSAGE in done.stdout + done.stderr


def test_missing_allowed_hosts_names_the_variable():
    done = project(DJANGO_SECRET_KEY=secrets.token_urlsafe(50)).python(
        "from mysite.asgi import application")
    assert done.returncode == 1
    assert last_line(done.stderr) == (
        "django.core.exceptions.ImproperlyConfigured: The DJANGO_ALLOWED_HOSTS environment "
        "variable is not set; mysite.settings.prod reads it at start-up.")


def test_wrong_settings_module_names_the_module():
    typo = production(DJANGO_SETTINGS_MODULE="mysite.settings.typo")
    done = typo.manage("check")
    assert done.returncode == 1
    assert last_line(done.stderr) == "ModuleNotFoundError: No module named 'mysite.settings.typo'"
    served = typo.python("from mysite.asgi import application")
    assert served.returncode == 1
    assert last_line(served.stderr) == (
        "ModuleNotFoundError: No module named 'mysite.settings.typo'")


def test_typo_in_the_package_name_names_the_package():
    done = production(DJANGO_SETTINGS_MODULE="mysit.settings.prod").manage("check")
    assert done.returncode == 1
    assert last_line(done.stderr) == "ModuleNotFoundError: No module named 'mysit'"


# A real server ---------------------------------------------------------------

def test_uvicorn_on_the_page_loads_production_settings_by_default():
    port = free_port()
    argv = shlex.split(command("settings", "uvicorn ").with_port(port))
    env = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    with Server(argv, cwd=project().path, env=env, port=port) as server:
        plain = httpx.get(server.url + "/settings/")
        proxied = httpx.get(server.url + "/settings/", headers={"X-Forwarded-Proto": "https"})
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://127.0.0.1:{port}/settings/"
    assert proxied.status_code == 200
    assert proxied.text == "SETTINGS_MODULE: mysite.settings.prod\nDEBUG: False\n"
    assert proxied.headers["strict-transport-security"] == (
        "max-age=31536000; includeSubDomains; preload")

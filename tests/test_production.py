"""docs/production.md: the checklist's own commands and numbers.

Each item links to the page that proves it in full; what the checklist
states itself is checked here: the pre-start commands, the health check and
the shutdown timeouts, read from the files the page summarises.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from server import free_port
from test_servers import (EXAMPLE, EXPECTED, ROOT, SERVERS, argv_for, page_text, server_env,
                          started, static_root)  # noqa: F401  (static_root: a fixture)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "_tools"))
from page_commands import command  # noqa: E402

PAGE = "production"
BIN = Path(sys.executable).parent
DEPLOY = EXAMPLE / "deploy"


def shell(line: str, env: dict) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environ.update(env, PATH=f"{BIN}:{environ['PATH']}")
    return subprocess.run(["bash", "-euc", line], cwd=EXAMPLE, env=environ,
                          capture_output=True, text=True, timeout=60)


def test_the_pre_start_commands_pass_on_the_example(static_root):
    env = server_env(static_root)
    check = shell(command(PAGE, "python manage.py check --deploy").text, env)
    assert check.returncode == 0, check.stderr
    assert check.stdout == "System check identified no issues (1 silenced).\n"
    collect = shell(command(PAGE, "python manage.py collectstatic").text, env)
    assert collect.returncode == 0, collect.stderr
    assert "0 static files copied" in collect.stdout  # already collected: nothing new


def test_check_deploy_stops_a_release_that_cannot_import_its_settings(static_root):
    env = {k: v for k, v in server_env(static_root).items() if k != "DJANGO_SECRET_KEY"}
    check = shell(command(PAGE, "python manage.py check --deploy").text, env)
    assert check.returncode == 1
    assert check.stderr.strip().splitlines()[-1].endswith(
        "The DJANGO_SECRET_KEY environment variable is not set; "
        "mysite.settings reads the secret key from it.")


def test_a_health_check_passes_with_a_listed_host_and_fails_with_an_address(static_root):
    expected = EXPECTED["uvicorn "]
    argv = argv_for("servers/uvicorn", "uvicorn ", port := free_port())
    health = command(PAGE, "curl ")
    with started(argv, port, static_root, expected) as server:
        done = shell(health.with_port(port), {})
        by_address = httpx.get(server.url + "/", headers={"Host": "10.0.0.5"})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello over ASGI 3.0, HTTP/1.1\n"
    assert done.stdout.strip() in (Path(__file__).parent.parent / "docs/production.md").read_text()
    assert by_address.status_code == 400
    assert "`400 Bad Request`" in page_text(PAGE)


@pytest.mark.parametrize("page, startswith", SERVERS)
def test_each_servers_graceful_timeout_is_30_seconds(page, startswith):
    graceful = {"--timeout-graceful-shutdown", "--graceful-timeout", "--workers-kill-timeout"}
    argv = shlex.split(command(page, startswith).text)
    flags = graceful.intersection(argv)
    if startswith == "daphne ":
        assert not flags  # Daphne has none: it cancels running requests
        return
    (flag,) = flags
    assert argv[argv.index(flag) + 1] == "30", (page, flag)
    assert "| 30 seconds |" in page_text(PAGE)


def test_the_shutdown_timeouts_are_the_ones_in_the_files():
    text = page_text(PAGE)
    units = sorted(DEPLOY.glob("*.service"))
    assert len(units) == len(SERVERS)
    for unit in units:
        assert re.search(r"^TimeoutStopSec=35s?$", unit.read_text(), re.M), unit
    assert "| `TimeoutStopSec` in each unit | 35 seconds |" in text
    assert "| a container | `docker stop --time` | 35 seconds |" in text
    assert "docker stop --time 35" in page_text("process-managers")


@pytest.mark.parametrize("target", ["settings.md", "servers/index.md", "behind-a-proxy.md",
                                    "choosing-a-server.md", "process-managers.md", "capacity.md",
                                    "logging.md", "databases.md", "static-files.md"])
def test_every_page_the_checklist_sends_you_to_exists(target):
    assert f"]({target}" in (Path(__file__).parent.parent / "docs/production.md").read_text()
    assert (Path(__file__).parent.parent / "docs" / target).is_file()


def test_the_pinned_django_has_every_asgi_security_fix_the_page_lists():
    import django

    page = (ROOT / "docs/production.md").read_text()
    section = page.split("## Security releases that fix ASGI", 1)[1]
    rows = re.findall(r"^\| (CVE-[\d-]+) \| .+ \| 5\.2\.(\d+) \| 6\.0\.(\d+) \|$",
                      section, re.MULTILINE)
    assert [cve for cve, *_ in rows] == ["CVE-2025-14550", "CVE-2026-3902", "CVE-2026-5766"]
    series, patch = django.VERSION[:2], django.VERSION[2]
    for cve, fixed_52, fixed_60 in rows:
        if series == (5, 2):
            assert patch >= int(fixed_52), (cve, django.get_version())
        elif series == (6, 0):
            assert patch >= int(fixed_60), (cve, django.get_version())
        else:  # "every 6.1 release has them"
            assert series >= (6, 1), (cve, django.get_version())

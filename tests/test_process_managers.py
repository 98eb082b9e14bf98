"""docs/process-managers.md: systemd units and a container image for every server page's command.

systemd is not PID 1 on the test machines and there is no Docker, so each
piece is proven the way the tools that are there allow:

- Each unit in examples/servers/deploy/ is checked with `systemd-analyze
  verify`, on a copy with this run's paths filled in (the venv's bin folder,
  the example's folder, the secret file the page's commands wrote) and
  nothing else changed, and its ExecStart is held to the server page's
  command.
- Each unit's ExecStart runs as systemd runs it: in its WorkingDirectory,
  with the environment of its EnvironmentFile= and Environment= lines, in a
  session of its own (the test's stand-in for the unit's control group). It
  is stopped as systemd stops it, with a request running: SIGTERM to every
  process at once (KillMode=control-group, the default), or to the main
  process alone and SIGKILL to whatever is left once it has exited
  (KillMode=mixed), both with the unit's TimeoutStopSec.
- The socket units' services run under `systemd-socket-activate`, which
  passes a listening socket as systemd does (fd 3, LISTEN_FDS, LISTEN_PID).
- The Dockerfile is not built. Its CMD and ENV, read from the file, run as
  PID 1 of new PID, mount and network namespaces (util-linux's unshare, as
  root), reached over a veth pair from a second network namespace that
  stands for the outside of the container, and are stopped as `docker stop`
  stops a container: SIGTERM to PID 1, SIGKILL when the time is up.

The tests run as root (the units' User= is not switched to), with the
capabilities to make namespaces (a container for CI must be privileged), and
need Debian's systemd (systemd-analyze, systemd-socket-activate,
systemd-path), util-linux (unshare, nsenter) and iproute2 (ip, ss).
"""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from packaging.markers import Marker

from server import BIN, Server, enter_side_by_side, free_port
from test_servers import (EXAMPLE, EXPECTED, FORWARDED, ROOT, SERVERS, running,
                          session_members, static_root, until_the_view_runs,  # noqa: F401 (a fixture)
                          wait_until)

sys.path.insert(0, str(ROOT / "docs" / "_tools"))
from page_commands import command  # noqa: E402

PAGE = "process-managers"
DEPLOY = EXAMPLE / "deploy"
ACTIVATION = DEPLOY / "socket-activation"
DOCKERFILE = DEPLOY / "Dockerfile"

# What the units and the page name, and what a test run puts in their place.
VENV_BIN = "/srv/mysite/.venv/bin/"
PROJECT = "/srv/mysite"
SECRET_DIR = "/etc/mysite"
SECRET_FILE = "/etc/mysite/secret.env"
UNIT_PATH = "/etc/systemd/system/"

# The server pages' commands (test_servers.SERVERS), written out so that the
# snippet inventory sees which commands these tests run.
PAGE_COMMANDS = [
    ("servers/uvicorn", "uvicorn "),
    ("servers/uvicorn", "gunicorn mysite.asgi:application "),
    ("servers/hypercorn", "hypercorn "),
    ("servers/daphne", "daphne "),
    ("servers/granian", "granian "),
    ("servers/gunicorn", "gunicorn mysite.asgi_gunicorn:application "),
]
ACTIVATED_COMMANDS = [  # Granian cannot take a socket
    ("servers/uvicorn", "uvicorn "),
    ("servers/uvicorn", "gunicorn mysite.asgi:application "),
    ("servers/hypercorn", "hypercorn "),
    ("servers/daphne", "daphne "),
    ("servers/gunicorn", "gunicorn mysite.asgi_gunicorn:application "),
]

# The unit of each server page's command, and the flag whose seconds its
# TimeoutStopSec must exceed (Daphne has none: it does not wait).
UNITS = {
    "uvicorn ": ("uvicorn.service", "--timeout-graceful-shutdown"),
    "gunicorn mysite.asgi:application ": ("gunicorn.service", "--graceful-timeout"),
    "hypercorn ": ("hypercorn.service", "--graceful-timeout"),
    "daphne ": ("daphne.service", None),
    "granian ": ("granian.service", "--workers-kill-timeout"),
    "gunicorn mysite.asgi_gunicorn:application ": ("gunicorn-asgi.service", "--graceful-timeout"),
}

# Socket activation: the service that runs on systemd's socket, and how its
# command differs from the page's (Gunicorn's needs no change).
ACTIVATED = {
    "uvicorn ": (ACTIVATION / "uvicorn.service", "--host 127.0.0.1 --port 8000", "--fd 3"),
    "gunicorn mysite.asgi:application ": (DEPLOY / "gunicorn.service", "", ""),
    "hypercorn ": (ACTIVATION / "hypercorn.service", "--bind 127.0.0.1:8000", "--bind fd://3"),
    "daphne ": (ACTIVATION / "daphne.service", "--bind 127.0.0.1 --port 8000", "--fd 3"),
    "gunicorn mysite.asgi_gunicorn:application ": (DEPLOY / "gunicorn-asgi.service", "", ""),
}
SOCKETS = {"uvicorn ": ACTIVATION / "uvicorn.socket",
           "gunicorn mysite.asgi:application ": ACTIVATION / "gunicorn.socket",
           "hypercorn ": ACTIVATION / "hypercorn.socket",
           "daphne ": ACTIVATION / "daphne.socket",
           "gunicorn mysite.asgi_gunicorn:application ": ACTIVATION / "gunicorn-asgi.socket"}
# What each server logs when it serves on the socket it was given.
ON_THE_SOCKET = {
    "uvicorn ": "Uvicorn running on socket ('127.0.0.1', {port})",
    "gunicorn mysite.asgi:application ": "Listening at: http://127.0.0.1:{port} ",
    "hypercorn ": "Running on http://127.0.0.1:{port} ",
    "daphne ": "Configuring endpoint fd:fileno=3",
    "gunicorn mysite.asgi_gunicorn:application ": "Listening at: http://127.0.0.1:{port} ",
}
SOCKET_ACTIVATE = "systemd-socket-activate "

# The page's table "How systemd stops each server": one row per command, the
# page's own or with one change, and what a request that is running gets.
FINISHES, CUT_OFF, CANCELLED = "finishes", "is cut off", "is cancelled"
STOP_ROWS = {
    # row: (command start, --workers instead of the page's, {KillMode: outcome}, to set)
    "Uvicorn (`--workers 2`)": (
        "uvicorn ", None, {"control-group": FINISHES, "mixed": FINISHES}, "`KillMode=mixed`"),
    "Gunicorn with Uvicorn workers": (
        "gunicorn mysite.asgi:application ", None,
        {"control-group": FINISHES, "mixed": FINISHES}, "`KillMode=mixed`"),
    "Hypercorn (`--workers 2`)": (
        "hypercorn ", None, {"control-group": CUT_OFF, "mixed": CUT_OFF},
        "nothing helps: run `--workers 1`"),
    "Hypercorn (`--workers 1`)": (
        "hypercorn ", "1", {"control-group": CUT_OFF, "mixed": FINISHES}, "`KillMode=mixed`"),
    "Daphne": (
        "daphne ", None, {"control-group": CANCELLED, "mixed": CANCELLED},
        "either; Daphne cancels them"),
    "Granian": (
        "granian ", None, {"control-group": FINISHES, "mixed": FINISHES}, "`KillMode=mixed`"),
    "Gunicorn's ASGI worker": (
        "gunicorn mysite.asgi_gunicorn:application ", None,
        {"control-group": FINISHES, "mixed": FINISHES}, "`KillMode=mixed`"),
}
KILL_MODES = ["control-group", "mixed"]
SLOW = "/slow/?seconds=2"
SLEPT = "Slept 2 s\n"


# --------------------------------------------------------------------------
# Reading the files
# --------------------------------------------------------------------------

def unit_settings(text: str) -> dict[str, list[str]]:
    """{"Section.Key": [values]} of a unit file, continued lines joined."""
    found, section, pending = {}, "", ""
    for line in text.splitlines():
        if pending:
            line, pending = pending + " " + line.strip(), ""
        elif not line.strip() or line.startswith(("#", ";")):
            continue
        if line.endswith("\\"):
            pending = line[:-1].rstrip()
            continue
        if line.startswith("["):
            section = line.strip("[] ")
            continue
        key, _, value = line.partition("=")
        found.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return found


class Unit:
    """A unit of examples/servers/deploy/, with this run's paths filled in."""

    def __init__(self, path: Path, secret_file: Path | None = None):
        self.path = path
        self.original = unit_settings(path.read_text())
        text = path.read_text().replace(VENV_BIN, f"{BIN}/")
        text = text.replace(f"WorkingDirectory={PROJECT}\n", f"WorkingDirectory={EXAMPLE}\n")
        if secret_file:
            text = text.replace(SECRET_FILE, str(secret_file))
        self.text = text
        self.settings = unit_settings(text)

    def one(self, key: str) -> str:
        values = self.settings.get(key, [])
        assert len(values) == 1, f"{self.path.name}: {key} = {values}"
        return values[0]

    def argv(self, port: int | None = None) -> list[str]:
        line = self.one("Service.ExecStart")
        return shlex.split(line.replace("8000", str(port)) if port else line)

    @property
    def cwd(self) -> Path:
        return Path(self.one("Service.WorkingDirectory"))

    @property
    def timeout_stop(self) -> float:
        return float(self.one("Service.TimeoutStopSec").removesuffix("s"))

    def env(self, runtime: Path) -> dict:
        """What systemd puts in the environment: its own PATH, EnvironmentFile=,
        then Environment=, with %t (the runtime folder) in ``runtime``, where
        the RuntimeDirectory= folders are made as systemd makes them."""
        env = {"PATH": systemd_path()}
        for name in self.settings.get("Service.EnvironmentFile", []):
            env.update(environment_file(Path(name)))
        for folder in self.settings.get("Service.RuntimeDirectory", []):
            (runtime / folder).mkdir(parents=True, exist_ok=True)
        for assignment in self.settings.get("Service.Environment", []):
            key, _, value = assignment.partition("=")
            env[key] = value.replace("%t", str(runtime))
        return env


def systemd_path() -> str:
    """The PATH systemd gives a service: no virtual environment in it."""
    done = subprocess.run(["systemd-path", "search-binaries-default"], capture_output=True,
                          text=True, timeout=10)
    assert done.returncode == 0 and str(BIN) not in done.stdout, done.stderr
    return done.stdout.strip()


def environment_file(path: Path) -> dict:
    """KEY=VALUE lines, as systemd reads them; only plain values here."""
    env = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert re.fullmatch(r"[A-Za-z0-9_-]+", value), f"{path}: a value systemd might unquote"
            env[key] = value
    return env


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continued lines joined."""
    found, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        name, _, rest = line.strip().partition(" ")
        found.append((name, rest.strip()))
    return found


def docker_cmd_and_env() -> tuple[list[str], dict]:
    cmd = [json.loads(rest) for name, rest in dockerfile() if name == "CMD"]
    assert len(cmd) == 1 and isinstance(cmd[0], list), "CMD must be in exec form, once"
    env = {}
    for name, rest in dockerfile():
        if name == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(rest))
    return cmd[0], env


def page_argv(page: str, startswith: str) -> list[str]:
    return shlex.split(command(page, startswith).text)


def requirement_pins() -> dict:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line, _, marker = line.split("#")[0].strip().partition(";")
        if marker and not Marker(marker).evaluate():
            continue  # a pin for another Python
        if "==" in line:
            name, version = line.strip().split("==")
            pins[name.lower()] = version
    return pins


# --------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def secret_file(tmp_path_factory) -> Path:
    """The secret file, written by the page's two commands (in a temporary
    folder instead of /etc/mysite)."""
    folder = tmp_path_factory.mktemp("etc") / "mysite"
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    for start in ("install -d ", "python3 -c "):
        line = command(PAGE, start).text
        assert SECRET_DIR in line
        done = subprocess.run(["bash", "-euc", line.replace(SECRET_DIR, str(folder))],
                              env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
    return folder / "secret.env"


@contextmanager
def serving(argv, cwd, env, port, expected):
    """The server, once every worker has said it is serving; stopped on exit."""
    with Server(argv, cwd=cwd, env=env, port=port, timeout=30) as server:
        wait_until(lambda: server.log.count(expected.ready) >= expected.workers, 30,
                   f"{expected.workers} x {expected.ready!r}", lambda: server.log)
        yield server


def slow_request(url: str, result: dict, headers=None) -> threading.Thread:
    def run():
        try:
            result["response"] = httpx.get(url + SLOW, headers=headers, timeout=40)
        except httpx.TransportError as error:
            result["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def stop_like_systemd(server: Server, kill_mode: str, timeout: float) -> dict:
    """A request running, then the server stopped as systemd stops its unit."""
    result = {}
    request = slow_request(server.url, result)
    until_the_view_runs(server.port)
    session = server.process.pid
    began = time.monotonic()
    # SIGTERM; server.stop fails the test if the main process outlives the timeout.
    result["code"] = server.stop(timeout=timeout, group=(kill_mode == "control-group"))
    if kill_mode == "control-group":
        # systemd waits for every process of the unit, up to TimeoutStopSec.
        while session_members(session) and time.monotonic() - began < timeout:
            time.sleep(0.05)
    result["seconds"] = time.monotonic() - began
    # What is left now gets SIGKILL: at once with mixed, after the timeout otherwise.
    result["killed"] = []
    for pid in session_members(session):
        # An empty command line: a process already on its way out.
        if name := cmdline(pid):
            result["killed"].append(name)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    request.join(10)
    result["log"] = server.log
    return result


# --------------------------------------------------------------------------
# The page's user and secret
# --------------------------------------------------------------------------

def test_the_pages_useradd_makes_a_system_user_without_a_home(tmp_path):
    """The page's command, with --prefix: it changes a copy of /etc, not /etc."""
    argv = page_argv(PAGE, "useradd ")
    (tmp_path / "etc").mkdir()
    for name in ("passwd", "group", "shadow", "gshadow", "login.defs"):
        shutil.copy(f"/etc/{name}", tmp_path / "etc" / name)
    done = subprocess.run([argv[0], "--prefix", str(tmp_path), *argv[1:]],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    user = [line.split(":") for line in (tmp_path / "etc/passwd").read_text().splitlines()
            if line.startswith("mysite:")]
    assert len(user) == 1
    _, _, uid, gid, _, home, shell = user[0]
    assert int(uid) < 1000 and shell == "/usr/sbin/nologin"
    assert not (tmp_path / home.lstrip("/")).exists()
    # User= alone: systemd runs the server with the user's own group.
    groups = [line.split(":") for line in (tmp_path / "etc/group").read_text().splitlines()]
    assert ["mysite", "x", gid, ""] in groups
    for path in [*DEPLOY.glob("*.service"), *ACTIVATION.glob("*.service")]:
        assert Unit(path).original["Service.User"] == ["mysite"], path
        assert "Service.Group" not in Unit(path).original, path


def test_the_pages_secret_file_is_for_root_only(secret_file):
    assert stat.S_IMODE(secret_file.parent.stat().st_mode) == 0o700
    assert re.fullmatch(r"DJANGO_SECRET_KEY=[A-Za-z0-9_-]{60,}\n", secret_file.read_text())
    assert command(PAGE, "python3 -c ").text.endswith(f"> {SECRET_FILE}")


# --------------------------------------------------------------------------
# The units
# --------------------------------------------------------------------------

def test_these_are_the_server_pages_commands():
    assert PAGE_COMMANDS == SERVERS
    assert list(UNITS) == [s for _, s in SERVERS] and list(ACTIVATED) == list(SOCKETS)
    assert [s for _, s in ACTIVATED_COMMANDS] == list(ACTIVATED)


@pytest.mark.parametrize("page, startswith", PAGE_COMMANDS)
def test_each_unit_runs_its_server_pages_command(page, startswith):
    name, graceful = UNITS[startswith]
    unit = Unit(DEPLOY / name)
    shown = page_argv(page, startswith)
    service = unit.original
    (exec_start,) = service["Service.ExecStart"]
    argv = shlex.split(exec_start)
    assert argv == [VENV_BIN + shown[0], *shown[1:]]
    assert service["Service.WorkingDirectory"] == [PROJECT]
    assert service["Service.EnvironmentFile"] == [SECRET_FILE]
    assert service["Service.Restart"] == ["on-failure"]
    assert service["Service.KillMode"] == ["mixed"]
    assert service["Service.Type"] == (["notify"] if shown[0] == "gunicorn" else ["exec"])
    assert service["Install.WantedBy"] == ["multi-user.target"]
    if graceful:
        assert unit.timeout_stop > float(argv[argv.index(graceful) + 1])
    assert unit.timeout_stop == 35  # as for every server: docs/production.md lines them up


@pytest.mark.parametrize("page, startswith", ACTIVATED_COMMANDS)
def test_each_socket_units_service_runs_the_pages_command_on_fd_3(page, startswith):
    path, old, new = ACTIVATED[startswith]
    shown = command(page, startswith).text
    assert old in shown
    argv = shlex.split(shown.replace(old, new, 1))
    service = Unit(path).original
    assert shlex.split(service["Service.ExecStart"][0]) == [VENV_BIN + argv[0], *argv[1:]]
    plain = Unit(DEPLOY / UNITS[startswith][0]).original
    # Everything else as in the unit that binds its own port.
    for key in ("Service.User", "Service.WorkingDirectory", "Service.EnvironmentFile",
                "Service.Restart", "Service.KillMode", "Service.TimeoutStopSec"):
        assert service[key] == plain[key], key
    sock = unit_settings(SOCKETS[startswith].read_text())
    assert sock["Socket.ListenStream"] == ["127.0.0.1:8000"]
    if path.parent == ACTIVATION:  # the socket unit's own service: started by it
        assert service["Unit.Requires"] == [SOCKETS[startswith].name]
        assert "Install.WantedBy" not in service
    assert path.stem == SOCKETS[startswith].stem  # X.socket starts X.service


def test_granian_has_no_way_to_take_a_socket_from_systemd():
    done = subprocess.run([str(BIN / "granian"), "--help"], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0
    for word in ("--fd", "fd://", "file descriptor", "LISTEN_FDS", "systemd"):
        assert word not in done.stdout
    assert "--uds PATH" in done.stdout


def all_units() -> list[Path]:
    return sorted([*DEPLOY.glob("*.service"), *ACTIVATION.glob("*.s*")])


def test_systemd_analyze_verify_reports_nothing(secret_file, tmp_path):
    """Every unit, filled in, as the page's command checks it; and why the
    output is what counts: a wrong value exits 0 with a message."""
    for path in all_units():
        folder = tmp_path / path.parent.name
        folder.mkdir(exist_ok=True)
        (folder / path.name).write_text(Unit(path, secret_file).text)
    shown = command(PAGE, "systemd-analyze verify ").text
    assert shown == f"systemd-analyze verify {UNIT_PATH}uvicorn.service"
    checked = []
    for path in all_units():
        copy = tmp_path / path.parent.name / path.name
        for gone in (PROJECT, SECRET_DIR):
            assert gone not in copy.read_text()
        files = [copy]
        if path.suffix == ".socket":  # a socket unit needs the service it starts
            service = (DEPLOY if path.stem.startswith("gunicorn") else ACTIVATION) \
                / f"{path.stem}.service"
            files.append(tmp_path / service.parent.name / service.name)
        argv = shlex.split(shown.replace(f"{UNIT_PATH}uvicorn.service",
                                         shlex.join(map(str, files))))
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), path
        checked.append(path.relative_to(DEPLOY).as_posix())
    assert len(checked) == 14, checked

    broken = tmp_path / "deploy" / "uvicorn.service"
    broken.write_text(broken.read_text().replace("KillMode=mixed", "KillMode=mixd"))
    done = subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0
    assert "Failed to parse kill mode specification, ignoring: mixd" in done.stderr
    # The units as they are name paths that do not exist here.
    done = subprocess.run(["systemd-analyze", "verify", str(DEPLOY / "uvicorn.service")],
                          capture_output=True, text=True, timeout=30)
    assert "Command /srv/mysite/.venv/bin/uvicorn is not executable" in done.stderr


# --------------------------------------------------------------------------
# Socket activation
# --------------------------------------------------------------------------

def first_request(server: Server, result: dict) -> threading.Thread:
    """A request sent as soon as the socket listens, before the server runs."""
    def run():
        while not hasattr(server, "_logfile"):
            time.sleep(0.01)
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
                break
            except ConnectionRefusedError:
                time.sleep(0.01)
        with sock:
            result["log at connect"] = server.log
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        result["answer"] = answer.decode()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_socket_activation(secret_file, static_root, tmp_path):
    """Each service of a socket unit, under systemd-socket-activate."""
    key = environment_file(secret_file)
    runs = {}
    for startswith, (path, _, _) in ACTIVATED.items():
        unit = Unit(path, secret_file)
        port = free_port()
        listen = unit_settings(SOCKETS[startswith].read_text())["Socket.ListenStream"][0]
        extra = {"DJANGO_STATIC_ROOT": str(static_root), "PYTHONUNBUFFERED": "1"}
        if startswith == "uvicorn ":
            # The page's own command; the test adds only its static folder.
            argv = shlex.split(command(PAGE, SOCKET_ACTIVATE).with_port(port))
            start = argv.index("uvicorn")
            assert argv[:start] == ["systemd-socket-activate", "-l", f"127.0.0.1:{port}",
                                    "-E", "DJANGO_SECRET_KEY"]
            assert [f"{BIN}/uvicorn", *argv[start + 1:]] == unit.argv()
            argv[start:start] = [f"-E{k}={v}" for k, v in extra.items()]
            # The reader's shell: the virtual environment on PATH, the key exported.
            env = {**key, "PATH": f"{BIN}:{os.environ['PATH']}"}
        else:
            env = {**unit.env(tmp_path / "run"), **extra}
            if startswith.startswith("gunicorn"):
                env["NOTIFY_SOCKET"] = str(tmp_path / "notify")
            argv = ["systemd-socket-activate", "-l", listen.replace("8000", str(port)),
                    *[f"-E{k}={v}" for k, v in env.items()], *unit.argv()]
        runs[startswith] = (argv, unit.cwd, env, port)

    with ExitStack() as stack:
        # Where Gunicorn sends READY=1, as to systemd's NOTIFY_SOCKET.
        notify = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
        notify.bind(str(tmp_path / "notify"))
        managers = [serving(argv, cwd, env, port, EXPECTED[startswith])
                    for startswith, (argv, cwd, env, port) in runs.items()]
        servers = enter_side_by_side(stack, managers)
        for startswith, server in zip(runs, servers):
            port = server.port
            home = httpx.get(server.url + "/")
            assert (home.status_code, home.text) == (200, "Hello over ASGI 3.0, HTTP/1.1\n")
            client = httpx.get(server.url + "/client/", headers=FORWARDED)
            assert client.text == f"203.0.113.7 https 127.0.0.1:{port}\n"
            log = server.log
            assert f"Listening on 127.0.0.1:{port} as 3." in log
            assert ON_THE_SOCKET[startswith].format(port=port) in log, log
            assert ":8000" not in log.split("Execing", 1)[1].split("\n", 1)[1], log
            assert "Traceback" not in log, log
        gunicorn = servers[list(runs).index("gunicorn mysite.asgi:application ")]
        assert f"Control socket listening at {tmp_path}/run/gunicorn/gunicorn.ctl" in gunicorn.log
        gasgi = servers[list(runs).index("gunicorn mysite.asgi_gunicorn:application ")]
        assert (f"Control socket listening at {tmp_path}/run/gunicorn-asgi/gunicorn.ctl"
                in gasgi.log)
        notify.settimeout(5)
        # One READY=1 from each Gunicorn.
        for _ in range(2):
            assert "READY=1" in notify.recv(4096).decode().split("\n")
        for server in servers:
            assert server.stop() == 0, server.log


def test_a_request_before_the_server_runs_waits_in_the_socket(secret_file, static_root,
                                                              tmp_path):
    """systemd-socket-activate, like systemd, listens first and starts the
    server on the first connection: that connection gets its answer."""
    unit = Unit(ACTIVATED["uvicorn "][0], secret_file)
    port = free_port()
    env = {**unit.env(tmp_path), "DJANGO_STATIC_ROOT": str(static_root)}
    argv = ["systemd-socket-activate", "-l", f"127.0.0.1:{port}",
            *[f"-E{k}={v}" for k, v in env.items()], *unit.argv()]
    server = Server(argv, cwd=unit.cwd, env=env, port=port, timeout=30)
    result = {}
    thread = first_request(server, result)
    with server:
        thread.join(30)
    assert "Uvicorn running on" not in result["log at connect"]
    assert result["answer"].startswith("HTTP/1.1 200 OK\r\n"), result
    assert result["answer"].endswith("\r\n\r\nHello over ASGI 3.0, HTTP/1.1\n")


def test_systemd_socket_activate_passes_only_a_few_variables(tmp_path):
    """The page: PATH and the like, and what -E names; nothing else of the shell's."""
    port = free_port()
    out = tmp_path / "env.txt"
    with out.open("w") as stdout:
        process = subprocess.Popen(
            ["systemd-socket-activate", "-l", f"127.0.0.1:{port}", "-E", "DJANGO_SECRET_KEY",
             "env"], env={**os.environ, "DJANGO_SECRET_KEY": "k", "DJANGO_STATIC_ROOT": "/x"},
            stdout=stdout, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_until(lambda: _connects(port), 5, "systemd-socket-activate to listen")
            assert process.wait(5) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    names = {line.split("=", 1)[0] for line in out.read_text().splitlines()}
    assert "DJANGO_SECRET_KEY=k" in out.read_text().splitlines()
    assert {"PATH", "LISTEN_FDS", "LISTEN_PID"} <= names
    assert "DJANGO_STATIC_ROOT" not in names and len(names) < 10, names


def _connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except ConnectionResetError:  # it listened, and the command it ran has already exited
        return True
    except ConnectionRefusedError:
        return False


# --------------------------------------------------------------------------
# How systemd stops each server
# --------------------------------------------------------------------------

def row_command(row: str, port: int, secret_file: Path, runtime: Path, static_root: Path):
    startswith, workers, _, _ = STOP_ROWS[row]
    unit = Unit(DEPLOY / UNITS[startswith][0], secret_file)
    argv = unit.argv(port)
    expected = EXPECTED[startswith]
    if workers:
        argv[argv.index("--workers") + 1] = workers
        expected = replace(expected, workers=int(workers))
    env = {**unit.env(runtime / row.split()[0]), "DJANGO_STATIC_ROOT": str(static_root)}
    return unit, serving(argv, unit.cwd, env, port, expected)


@pytest.mark.parametrize("kill_mode", KILL_MODES)
def test_how_systemd_stops_each_server(kill_mode, secret_file, static_root, tmp_path):
    rows = list(STOP_ROWS)
    with ExitStack() as stack:
        started = [row_command(row, free_port(), secret_file, tmp_path, static_root)
                   for row in rows]
        servers = enter_side_by_side(stack, [manager for _, manager in started])
        with ThreadPoolExecutor(len(servers)) as pool:
            results = list(pool.map(
                lambda pair: stop_like_systemd(pair[0], kill_mode, pair[1].timeout_stop),
                [(server, unit) for server, (unit, _) in zip(servers, started)]))

    for row, result in zip(rows, results):
        outcome = STOP_ROWS[row][2][kill_mode]
        where = f"{row}, KillMode={kill_mode}: {result}\n{result['log']}"
        statuses, why_not_0 = exit_statuses(row, kill_mode)
        assert result["code"] in statuses, where
        if result["code"] != 0:
            assert why_not_0 in result["log"], where
        if kill_mode == "control-group":
            assert result["killed"] == [], where  # every process ended on its own
        else:  # only multiprocessing's helper may still be on its way out
            assert all("multiprocessing.resource_tracker" in c for c in result["killed"]), where
        if outcome == FINISHES:
            assert "response" in result and result["response"].text == SLEPT, where
        elif outcome == CUT_OFF:
            assert "error" in result, where
        else:  # Daphne: the request is cancelled; whether an answer gets out is timing
            assert "Killed 1 pending application instances" in result["log"], where
        assert result["seconds"] < 5, where  # the server, not the timeout, ended it


# The main process exits with status 0 but in these cases: under
# control-group, a Granian worker that exits on its own SIGTERM before the main
# process has begun to stop it is "unexpected", and Granian exits with 1.
EXIT_STATUSES = {("Granian", "control-group"): ({0, 1}, "Unexpected exit from worker-")}


def exit_statuses(row: str, kill_mode: str) -> tuple[set[int], str | None]:
    """The statuses the main process may exit with, and the log line a status
    other than 0 comes with."""
    return EXIT_STATUSES.get((row, kill_mode), ({0}, None))


def table_row(row: str) -> str:
    _, _, outcomes, to_set = STOP_ROWS[row]
    cells = [f"{outcomes[mode]}, exit status "
             + " or ".join(map(str, sorted(exit_statuses(row, mode)[0])))
             for mode in KILL_MODES]
    return f"| {row} | {cells[0]} | {cells[1]} | {to_set} |"


def test_the_pages_table_says_what_the_servers_did():
    text = (ROOT / "docs" / f"{PAGE}.md").read_text()
    for row in STOP_ROWS:
        assert table_row(row) in text, table_row(row)
    assert ("Granian logs `Unexpected exit from worker-2` (or whichever worker it was), "
            "stops the other workers "
            "(a running request still finishes), and exits with status 1, so systemd "
            "marks the unit as failed.") in " ".join(text.split())


def test_the_servers_index_says_which_sigterm_its_table_is_about():
    section = (ROOT / "docs/servers/index.md").read_text().split("## Stopping a server")[1]
    section = " ".join(section.split())
    assert "(../process-managers.md" in section
    assert "| Server | Requests still running when only the main process gets `SIGTERM` |" \
        in section
    # The index's rows say what this page's main-process column says.
    for row in ("Uvicorn (`--workers 2`)", "Gunicorn with Uvicorn workers", "Granian",
                "Gunicorn's ASGI worker"):
        assert STOP_ROWS[row][2]["mixed"] == FINISHES
        assert f"| {row} | finish, up to " in section, row
    assert STOP_ROWS["Hypercorn (`--workers 2`)"][2]["mixed"] == CUT_OFF
    assert "| Hypercorn (`--workers 2`) | are cut off |" in section
    assert "| Daphne | are cancelled;" in section


# --------------------------------------------------------------------------
# The container
# --------------------------------------------------------------------------

# An HTTP client for another network namespace: nsenter runs it there.
CLIENT = """
import http.client, json, sys
host, port, path, headers = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
try:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    print(json.dumps({"status": response.status, "text": response.read().decode()}))
except (OSError, http.client.HTTPException) as error:
    print(json.dumps({"error": type(error).__name__}))
"""


def get_in(netns_pid: int, host: str, path: str, headers=None, port=8000) -> dict:
    """GET from inside the network namespace of ``netns_pid``, as Host: localhost."""
    done = subprocess.run(
        ["nsenter", "-t", str(netns_pid), "-n", sys.executable, "-c", CLIENT, host, str(port),
         path, json.dumps({"Host": "localhost", **(headers or {})})],
        capture_output=True, text=True, timeout=40)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def run(argv):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"{argv}: {done.stderr}"


@pytest.fixture(scope="module")
def outside():
    """A network namespace of its own: the outside of the containers."""
    process = subprocess.Popen(["unshare", "--net", "sleep", "600"], start_new_session=True)
    ours = os.readlink("/proc/self/ns/net")
    try:
        wait_until(lambda: os.readlink(f"/proc/{process.pid}/ns/net") != ours, 5,
                   "unshare --net (as root)")
        yield process.pid
    finally:
        process.kill()
        process.wait()


class Container:
    """``argv`` as PID 1 of new PID, mount and network namespaces, as a
    container runtime starts a CMD: the loopback interface up first, then
    exec. A veth pair links it to ``outside``: 198.51.100.{4n+2} inside,
    198.51.100.{4n+1} outside."""

    def __init__(self, argv, env, outside: int, n: int):
        self.argv, self.env, self.outside = argv, env, outside
        self.address, self.peer = f"198.51.100.{4 * n + 2}", f"198.51.100.{4 * n + 1}"
        self.veth = f"mysite{n}"

    @property
    def log(self) -> str:
        self._logfile.flush()
        return Path(self._logfile.name).read_text(errors="replace")

    def __enter__(self):
        self._logfile = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", "--net", "--",
             "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *self.argv],
            cwd=EXAMPLE, env=self.env, stdout=self._logfile, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            wait_until(lambda: children(self.process.pid), 5, "PID 1 of the container",
                       lambda: self.log)
            (self.pid1,) = children(self.process.pid)
            run(["nsenter", "-t", str(self.outside), "-n", "ip", "link", "add", self.veth,
                 "type", "veth", "peer", "name", "eth0", "netns", str(self.pid1)])
            run(["nsenter", "-t", str(self.outside), "-n", "sh", "-c",
                 f"ip addr add {self.peer}/30 dev {self.veth} && ip link set {self.veth} up"])
            run(["nsenter", "-t", str(self.pid1), "-n", "sh", "-c",
                 f"ip addr add {self.address}/30 dev eth0 && ip link set eth0 up"])
            wait_until(lambda: self.log.count("Application startup complete.") >= 2
                       or self.process.poll() is not None, 30,
                       "two Uvicorn workers", lambda: self.log)
            assert self.process.poll() is None, f"exited with {self.process.returncode}"
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, exc_type, *exc):
        try:
            if running(self.pid1):  # the end of every process in the namespace
                os.kill(self.pid1, signal.SIGKILL)
        except (AttributeError, ProcessLookupError):
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        if exc_type is not None:
            print(f"--- log of {' '.join(self.argv)} ---\n{self.log}")
        self._logfile.close()
        os.unlink(self._logfile.name)


def test_the_dockerfile_runs_the_uvicorn_pages_command_on_every_address():
    cmd, env = docker_cmd_and_env()
    shown = page_argv("servers/uvicorn", "uvicorn ")
    i = shown.index("--forwarded-allow-ips")
    trusted = shown[i + 1]
    del shown[i:i + 2]
    assert cmd == [("0.0.0.0" if a == "127.0.0.1" else a) for a in shown]
    assert env["FORWARDED_ALLOW_IPS"] == trusted
    instructions = dockerfile()
    assert ("WORKDIR", PROJECT) in instructions
    assert ("RUN", command(PAGE, "useradd ").text) in instructions
    assert ("USER", "mysite") in instructions
    assert not [name for name, _ in instructions if name in ("ENTRYPOINT", "STOPSIGNAL")]
    (install,) = [rest for name, rest in instructions if rest.startswith("python -m pip install")]
    pins = dict(arg.lower().split("==") for arg in install.split() if "==" in arg)
    assert pins == {name: requirement_pins()[name] for name in pins}
    assert set(pins) == {"django", "asgiref", "servestatic", "uvicorn"}


def test_the_dockerfiles_collectstatic_runs_with_its_build_time_key(tmp_path):
    (line,) = [rest for name, rest in dockerfile() if name == "RUN" and "collectstatic" in rest]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(PATH=f"{BIN}:{env['PATH']}", DJANGO_STATIC_ROOT=str(tmp_path))
    done = subprocess.run(["sh", "-c", line], cwd=EXAMPLE, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site.css").exists()
    assert "DJANGO_SECRET_KEY" not in dict(docker_cmd_and_env()[1])


def test_the_cmd_as_pid_1(outside, secret_file, static_root):
    """Exec form: Uvicorn is PID 1, serves on 0.0.0.0 and drains on SIGTERM.
    On 127.0.0.1 nothing outside reaches it. Shell form: sh is PID 1 and the
    SIGTERM goes nowhere."""
    cmd, image_env = docker_cmd_and_env()
    base = {"PATH": f"{BIN}:{os.environ['PATH']}", **image_env,
            **environment_file(secret_file),  # docker run --env-file /etc/mysite/secret.env
            "DJANGO_STATIC_ROOT": str(static_root)}
    loopback = [("127.0.0.1" if a == "0.0.0.0" else a) for a in cmd]
    shell_form = ["/bin/sh", "-c", " ".join(cmd)]  # what Docker makes of CMD uvicorn ...
    exec_c, loop_c, shell_c = (Container(cmd, base, outside, 0),
                               Container(loopback, base, outside, 1),
                               Container(shell_form, base, outside, 2))
    # docker run -e FORWARDED_ALLOW_IPS=<the proxy's address>, for the first one.
    exec_c.env = {**base, "FORWARDED_ALLOW_IPS": exec_c.peer}
    with ExitStack() as stack:
        enter_side_by_side(stack, [exec_c, loop_c, shell_c])
        assert "/uvicorn mysite.asgi:application --host 0.0.0.0 " in cmdline(exec_c.pid1)
        assert cmdline(shell_c.pid1).startswith("/bin/sh -c uvicorn mysite.asgi:application ")

        home = get_in(outside, exec_c.address, "/")
        assert home == {"status": 200, "text": "Hello over ASGI 3.0, HTTP/1.1\n"}
        client = get_in(outside, exec_c.address, "/client/", FORWARDED)
        assert client == {"status": 200, "text": "203.0.113.7 https localhost\n"}
        # The image's own FORWARDED_ALLOW_IPS, 127.0.0.1, does not trust a proxy
        # outside: Django sees the proxy's address. (The scheme comes from
        # Django's SECURE_PROXY_SSL_HEADER, whatever the server believes.)
        client = get_in(outside, shell_c.address, "/client/", FORWARDED)
        assert client == {"status": 200, "text": f"{shell_c.peer} https localhost\n"}

        assert get_in(outside, loop_c.address, "/") == {"error": "ConnectionRefusedError"}
        assert get_in(loop_c.pid1, "127.0.0.1", "/")["status"] == 200

        results = {"exec": {}, "shell": {}}

        def docker_stop_exec():
            request = threading.Thread(target=lambda: results["exec"].update(
                get_in(outside, exec_c.address, SLOW)))
            request.start()
            until_the_view_runs(8000, exec_c.pid1)
            os.kill(exec_c.pid1, signal.SIGTERM)
            results["exec"]["code"] = exec_c.process.wait(35)
            request.join(10)

        def docker_stop_shell():
            request = threading.Thread(target=lambda: results["shell"].update(
                get_in(outside, shell_c.address, SLOW)))
            request.start()
            until_the_view_runs(8000, shell_c.pid1)
            os.kill(shell_c.pid1, signal.SIGTERM)
            request.join(10)  # the server was never told: the request simply ends
            results["shell"]["after"] = get_in(outside, shell_c.address, "/")
            results["shell"]["running"] = running(shell_c.pid1)
            os.kill(shell_c.pid1, signal.SIGKILL)  # docker stop, once its time is up
            shell_c.process.wait(10)

        with ThreadPoolExecutor(2) as pool:
            for future in [pool.submit(docker_stop_exec), pool.submit(docker_stop_shell)]:
                future.result()
        exec_log, shell_log = exec_c.log, shell_c.log

    assert results["exec"]["code"] == 0, exec_log
    assert results["exec"]["text"] == SLEPT, (results, exec_log)
    assert "Received SIGTERM, exiting." in exec_log
    assert exec_log.count("Finished server process") == 2

    shell = results["shell"]
    assert shell["text"] == SLEPT and shell["running"], (shell, shell_log)
    assert shell["after"] == {"status": 200, "text": "Hello over ASGI 3.0, HTTP/1.1\n"}
    for line in ("Received SIGTERM", "Shutting down", "Finished server process"):
        assert line not in shell_log, shell_log
    assert not session_members(shell_c.process.pid)

"""docs/logging.md: the traceback of a 500, and the access logs, under every server.

Each test starts the servers it needs side by side, with the exact commands
of the server pages (and of docs/logging.md), in examples/servers/, and reads
what they write. The example's settings have a LOGGING setting; the tests
compare it with the same settings without it, and with Python's default
``disable_existing_loggers``, from a settings module in a temporary folder.
"""

import re
import shlex
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))

from page_commands import command  # noqa: E402
from server import BIN, Server, enter_side_by_side, free_port  # noqa: E402
from test_servers import (EXAMPLE, EXPECTED, GASGI, SERVERS, argv_for, page_text,  # noqa: E402,F401
                          server_env, static_root, wait_until)

PAGE = "logging"

LOGGING_HYPERCORN = "hypercorn "
LOGGING_GRANIAN = "granian "
LOGGING_GASGI = "gunicorn mysite.asgi_gunicorn:application "

ERROR = "RuntimeError: The boom view always fails."
TRACEBACK = "Traceback (most recent call last):"
# The example's formatter: time, level, logger name, message.
ERROR_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ERROR django\.request "
    r"Internal Server Error: /boom/$", re.M)
# Daphne's own format, without the example's LOGGING.
DAPHNE_ERROR_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ERROR +Internal Server Error: /boom/$", re.M)

TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}"
CLF_TIME = r"\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d"
# The access line of GET /boom/, as each server writes it.
ACCESS = {
    "uvicorn ": r'INFO:     127\.0\.0\.1:\d+ - "GET /boom/ HTTP/1\.1" 500 Internal Server Error',
    "gunicorn mysite.asgi:application ": r'127\.0\.0\.1:\d+ - "GET /boom/ HTTP/1\.1" 500',
    "hypercorn ": (rf'\[{TIME}\] \[\d+\] \[INFO\] 127\.0\.0\.1:\d+ - - \[{CLF_TIME} [+-]\d{{4}}\] '
                   r'"GET /boom/ 1\.1" 500 \d+ "-" "python-httpx/[\d.]+"'),
    "daphne ": rf'127\.0\.0\.1:\d+ - - \[{CLF_TIME}\] "GET /boom/" 500 \d+',
    "granian --access-log": rf'\[{TIME}\] 127\.0\.0\.1 - "GET /boom/ HTTP/1\.1" 500 \d+\.\d{{3}}',
    # The two commands of docs/logging.md that make the lines alike.
    "hypercorn --access-logformat": (rf'\[{TIME}\] \[\d+\] \[INFO\] '
                                     r'127\.0\.0\.1:\d+ - "GET /boom/ HTTP/1\.1" 500'),
    "granian --access-log-fmt": r'127\.0\.0\.1 - "GET /boom/ HTTP/1\.1" 500',
    GASGI: (rf'127\.0\.0\.1 - - \[{CLF_TIME} [+-]\d{{4}}\] "GET /boom/ HTTP/1\.1" 500 \d+ "-" '
            r'"python-httpx/[\d.]+"'),
}


def lines(log: str, pattern: str) -> list[str]:
    return [line for line in log.splitlines() if re.fullmatch(pattern, line)]


def shown_on_the_page(pattern: str) -> str:
    """The one sample line on docs/logging.md that has the server's shape."""
    source = (ROOT / "docs" / f"{PAGE}.md").read_text()
    samples = [s for s in re.findall(r"`([^`\n]+)`", source) if re.fullmatch(pattern, s)]
    assert len(samples) == 1, f"docs/logging.md shows {len(samples)} lines like {pattern!r}"
    return samples[0]


@contextmanager
def servers(commands: dict, static_root, ready=True, **env):
    """{name: Server} for {name: (argv, port, key of EXPECTED[, env])}, started
    at the same time, with ``env`` (and the command's own) added to the
    example's environment; each once all its workers are ready (or, with
    ``ready=False``, once it answers). Stopped on exit."""
    started = {}
    for name, (argv, port, _, *own) in commands.items():
        environ = {**server_env(static_root), **env, **(own[0] if own else {})}
        started[name] = Server(argv, cwd=EXAMPLE, env=environ, port=port, timeout=30)
    with ExitStack() as stack:
        enter_side_by_side(stack, list(started.values()))
        for name, (_, _, key, *_) in commands.items():
            expected, server = EXPECTED[key], started[name]
            if ready:
                wait_until(lambda: server.log.count(expected.ready) >= expected.workers, 30,
                           f"{name}: {expected.workers} x {expected.ready!r}",
                           lambda: server.log)
        yield started


def page_command(page: str, startswith: str, key: str = None) -> tuple:
    """(argv, port, key of EXPECTED) for servers(): the page's command on a free port."""
    port = free_port()
    return shlex.split(command(page, startswith).with_port(port)), port, key or startswith


def documented() -> dict:
    """The six commands of SERVERS, each on a free port."""
    commands = {
        "uvicorn ": page_command("servers/uvicorn", "uvicorn "),
        "gunicorn mysite.asgi:application ": page_command(
            "servers/uvicorn", "gunicorn mysite.asgi:application "),
        "hypercorn ": page_command("servers/hypercorn", "hypercorn "),
        "daphne ": page_command("servers/daphne", "daphne "),
        "granian ": page_command("servers/granian", "granian "),
        GASGI: page_command("servers/gunicorn", "gunicorn mysite.asgi_gunicorn:application "),
    }
    assert list(commands) == [startswith for _, startswith in SERVERS]
    return commands


def without(argv: list[str], flag: str, values: int = 1) -> list[str]:
    i = argv.index(flag)
    return argv[:i] + argv[i + 1 + values:]


def logs_once(started: dict, done, what: str) -> dict:
    """The logs, once ``done(name, log)`` holds for every server."""
    wait_until(lambda: all(done(name, s.log) for name, s in started.items()), 5, what,
               lambda: "\n".join(f"--- {name}\n{s.log}" for name, s in started.items()))
    return {name: server.log for name, server in started.items()}


def get(started: dict, *paths: str) -> None:
    for name, server in started.items():
        for path, status in paths:
            assert httpx.get(server.url + path).status_code == status, f"{name}:\n{server.log}"


# --------------------------------------------------------------------------
# The traceback of a 500
# --------------------------------------------------------------------------

def test_with_the_examples_logging_every_server_logs_the_traceback_once(static_root):
    commands = documented()
    # Granian's access log in its own format: the page's command without
    # --access-log-fmt.
    argv, port, _ = page_command(PAGE, LOGGING_GRANIAN)
    commands["granian --access-log"] = (without(argv, "--access-log-fmt"), port, "granian ")
    with servers(commands, static_root) as started:
        get(started, ("/boom/", 500), ("/nowhere/", 404), ("/", 200))
        # A server writes its access line after the response.
        logs = logs_once(started, lambda name, log: ERROR in log and (
            name not in ACCESS or lines(log, ACCESS[name])), "every traceback and access line")

    for name, log in logs.items():
        assert log.count(ERROR) == 1, f"{name}:\n{log}"
        assert log.count(TRACEBACK) == 1, f"{name}:\n{log}"
        assert len(ERROR_LINE.findall(log)) == 1, f"{name}:\n{log}"
        # The traceback follows its record's line.
        after = log.split(ERROR_LINE.search(log).group(0), 1)[1].splitlines()
        assert after[1] == TRACEBACK and ERROR in after, f"{name}:\n{log}"
        # Warnings stay out, under Daphne too.
        assert "Not Found: /nowhere/" not in log, f"{name}:\n{log}"
    # The access line of each server, as the page's table shows it.
    for name in ("uvicorn ", "gunicorn mysite.asgi:application ", "hypercorn ", "daphne ",
                 "granian --access-log", GASGI):
        assert len(lines(logs[name], ACCESS[name])) == 1, f"{name}:\n{logs[name]}"
        shown_on_the_page(ACCESS[name])
    # Granian, as its page starts it, logs no requests.
    assert "GET /boom/" not in logs["granian "]

    text = page_text(PAGE)
    shown_on_the_page(ERROR_LINE.pattern.strip("^$"))
    assert f"`{ERROR}` Each appears once." in text
    assert ("Under Daphne, the `Not Found` warnings are gone too: the setting keeps only "
            "errors, under every server alike.") in text


# The example's settings without its LOGGING, and with dictConfig's default.
NO_LOGGING = """\
from mysite.settings import *  # noqa: F403

del LOGGING  # noqa: F821
"""
DISABLE_EXISTING = """\
from mysite.settings import *  # noqa: F403

LOGGING = {**LOGGING, "disable_existing_loggers": True}  # noqa: F405
"""
PROPAGATE = """\
from mysite.settings import *  # noqa: F403

LOGGING = {**LOGGING, "loggers": {"django": {  # noqa: F405
    **LOGGING["loggers"]["django"], "propagate": True}}}  # noqa: F405
"""


def settings_module(tmp_path: Path, name: str, source: str) -> dict:
    """The environment that makes Django load ``source`` as its settings."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / f"{name}.py").write_text(source)
    return {"DJANGO_SETTINGS_MODULE": name, "PYTHONPATH": str(folder),
            "PYTHONDONTWRITEBYTECODE": "1"}


def test_without_logging_only_daphne_logs_the_traceback(static_root, tmp_path):
    env = settings_module(tmp_path, "no_logging", NO_LOGGING)
    with servers(documented(), static_root, **env) as started:
        get(started, ("/boom/", 500), ("/nowhere/", 404), ("/", 200))
        logs = logs_once(started, lambda name, log: name not in ACCESS or lines(log, ACCESS[name]),
                         "every access line")

    for name, log in logs.items():
        if name == "daphne ":
            continue
        # The 500 is in the access log, where there is one; its cause is not.
        assert ERROR not in log and TRACEBACK not in log, f"{name}:\n{log}"
        if name != "granian ":
            assert len(lines(log, ACCESS[name])) == 1, f"{name}:\n{log}"
    daphne = logs["daphne "]
    assert daphne.count(ERROR) == 1 and daphne.count(TRACEBACK) == 1, daphne
    assert len(DAPHNE_ERROR_LINE.findall(daphne)) == 1, daphne
    assert re.search(r"^\S+ \S+ WARNING +Not Found: /nowhere/$", daphne, re.M), daphne

    text = page_text(PAGE)
    assert ("So under Uvicorn, Gunicorn, Hypercorn and Granian, the log tells you that a "
            "request failed, and never why.") in text
    assert ("So under Daphne the traceback is there, in Daphne's format, and so are Django's "
            "warnings, such as `Not Found: /nowhere/` for a 404.") in text
    assert ("without a `LOGGING` setting of your own, Django's log messages, such as "
            "`Not Found: /nowhere/` warnings, appear next to it") in page_text("servers/daphne")


def test_djangos_default_logging_keeps_errors_from_the_console_without_debug():
    """What the page says of Django's default: console with DEBUG on, mail without."""
    from django.utils.log import DEFAULT_LOGGING

    django_logger = DEFAULT_LOGGING["loggers"]["django"]
    assert django_logger["handlers"] == ["console", "mail_admins"]
    assert DEFAULT_LOGGING["handlers"]["console"]["filters"] == ["require_debug_true"]
    assert DEFAULT_LOGGING["handlers"]["mail_admins"]["filters"] == ["require_debug_false"]
    # ...and the example sets no ADMINS to mail.
    assert not re.search(r"^ADMINS\b", (EXAMPLE / "mysite/settings.py").read_text(), re.M)


def test_disable_existing_loggers_would_silence_the_servers(static_root, tmp_path):
    env = settings_module(tmp_path, "disable_existing", DISABLE_EXISTING)
    commands = documented()
    argv, port, key = commands["granian "]
    commands["granian "] = (argv + ["--access-log"], port, key)
    # And Daphne, with the example's LOGGING but "propagate": True.
    commands["daphne, propagating"] = (*page_command("servers/daphne", "daphne "),
                                       settings_module(tmp_path, "propagate", PROPAGATE))
    # Django turns the servers' loggers off, start-up lines included: wait
    # for an answer instead.
    with servers(commands, static_root, ready=False, **env) as started:
        get(started, ("/boom/", 500), ("/", 200))
        logs = logs_once(started, lambda name, log: ERROR in log and (
            name != "hypercorn " or lines(log, ACCESS[name])), "every traceback")

    for name in ("uvicorn ", "gunicorn mysite.asgi:application ", GASGI):
        assert "GET /boom/" not in logs[name], logs[name]
    assert "GET /boom/" not in logs["granian "], logs["granian "]
    assert "Listening on TCP address" not in logs["daphne "]
    assert "Killed 0 pending application instances" not in logs["daphne "]
    assert len(lines(logs["hypercorn "], ACCESS["hypercorn "])) == 1, logs["hypercorn "]
    # Propagated, the record reaches Daphne's handler on the root logger too.
    daphne = logs["daphne, propagating"]
    assert daphne.count(ERROR) == daphne.count(TRACEBACK) == 2, daphne
    assert len(ERROR_LINE.findall(daphne)) == len(DAPHNE_ERROR_LINE.findall(daphne)) == 1, daphne
    assert ("Without it, it would go on to the root logger, where Daphne's handler would "
            "write it a second time, in Daphne's format.") in page_text(PAGE)
    assert ("the access logs of Uvicorn, Gunicorn and Granian, and every message of "
            "Daphne's own, are then gone. Hypercorn's log stays as it was.") in page_text(PAGE)


# --------------------------------------------------------------------------
# Making the access lines alike
# --------------------------------------------------------------------------

def test_the_access_lines_made_alike(static_root):
    argv, port, key = page_command("servers/uvicorn", "gunicorn mysite.asgi:application ")
    commands = {
        "hypercorn --access-logformat": page_command(PAGE, LOGGING_HYPERCORN),
        "granian --access-log-fmt": page_command(PAGE, LOGGING_GRANIAN),
        # Gunicorn's own format option does nothing to the Uvicorn worker's line.
        "gunicorn --access-logformat": (argv + ["--access-logformat", "GUNICORN %(h)s %(r)s"],
                                        port, key),
        "gunicorn -k asgi --access-logformat": page_command(PAGE, LOGGING_GASGI, GASGI),
    }
    # Each is the command of the server's page with the access log flags added.
    for name, page, startswith in [("hypercorn --access-logformat", "servers/hypercorn",
                                    "hypercorn "),
                                   ("granian --access-log-fmt", "servers/granian", "granian "),
                                   ("gunicorn -k asgi --access-logformat", "servers/gunicorn",
                                    GASGI)]:
        shown, port, _ = commands[name]
        base = argv_for(page, startswith, port)
        assert shown[:len(base)] == base and len(shown) > len(base)
    with servers(commands, static_root) as started:
        get(started, ("/boom/", 500), ("/client/?x=1", 200))
        logs = logs_once(started, lambda name, log: "GET /client/" in log, "the access lines")

    for name in ("hypercorn --access-logformat", "granian --access-log-fmt"):
        assert len(lines(logs[name], ACCESS[name])) == 1, logs[name]
        shown_on_the_page(ACCESS[name])
    assert len(lines(logs["gunicorn --access-logformat"],
                     ACCESS["gunicorn mysite.asgi:application "])) == 1
    assert "GUNICORN" not in logs["gunicorn --access-logformat"]
    # Gunicorn's own worker takes the format: Granian's line, query string included.
    gasgi = logs["gunicorn -k asgi --access-logformat"]
    assert len(lines(gasgi, ACCESS["granian --access-log-fmt"])) == 1, gasgi
    assert lines(gasgi, r'127\.0\.0\.1 - "GET /client/\?x=1 HTTP/1\.1" 200'), gasgi
    # The query string: in Hypercorn's %(Uq)s, not in Granian's %(path)s.
    assert '"GET /client/?x=1 HTTP/1.1" 200' in logs["hypercorn --access-logformat"]
    assert lines(logs["granian --access-log-fmt"], r'127\.0\.0\.1 - "GET /client/ HTTP/1\.1" 200')
    text = page_text(PAGE)
    assert "`%(Uq)s` is the path with its query string." in text
    assert ("`%(path)s` is the path without its query string, which `%(query_string)s` holds."
            ) in text
    assert "Gunicorn's own `--access-logformat` has no effect there" in text


def test_uvicorn_and_daphne_have_no_access_log_format_option(static_root, tmp_path):
    """The page: no flag for the line's format, only where the log goes."""
    def access_flags(argv):
        done = subprocess.run([str(BIN / argv[0]), *argv[1:], "--help"], capture_output=True,
                              text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout, set(re.findall(r"--[\w-]*access[\w-]*", done.stdout))

    uvicorn, flags = access_flags(["uvicorn"])
    assert flags == {"--access-log", "--no-access-log"}
    assert "--log-config" in uvicorn
    daphne, flags = access_flags(["daphne"])
    assert flags == {"--access-log"}
    assert "--log-fmt" in daphne
    # --log-fmt reaches Daphne's own messages, not its access line.
    argv = argv_for("servers/daphne", "daphne ", port := free_port())
    with Server(argv[:1] + ["--log-fmt", "DAPHNE %(message)s"] + argv[1:], cwd=EXAMPLE,
                env=server_env(static_root), port=port) as server:
        assert httpx.get(server.url + "/boom/").status_code == 500
        wait_until(lambda: "GET /boom/" in server.log, 5, "the access line", lambda: server.log)
        log = server.log
    assert "DAPHNE Listening on TCP address" in log
    assert len(lines(log, ACCESS["daphne "])) == 1, log
    text = page_text(PAGE)
    assert "Has no flag for the format of the line. Its `--log-config` takes" in text
    assert ("`--log-fmt` changes Daphne's other messages, not this line.") in text

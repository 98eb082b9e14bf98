"""docs/capacity.md: threads per request, caps per worker, recycling, and
Gunicorn's control socket, on real servers.

The commands are the page's own (port 8000 replaced by a free one), run in
examples/servers/ with the static files collected; the servers of one test
start side by side. Requests that must overlap are sent together from one
asyncio event loop, each on a connection of its own.
"""

import asyncio
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))

from page_commands import command  # noqa: E402
from server import BIN, Server, free_port  # noqa: E402
from test_logging import servers  # noqa: E402
from test_servers import (EXAMPLE, gunicorn_settings, page_text, server_env,  # noqa: E402,F401
                          static_root, wait_until)

PAGE = "capacity"
THREADS = "uvicorn mysite.asgi:application --port"
UVICORN_LIMIT = "uvicorn mysite.asgi:application --limit-concurrency"
GUNICORN_LIMIT = "gunicorn mysite.asgi:application -k mysite.limited_worker"
GRANIAN_LIMIT = "granian mysite.asgi_granian:application --interface asgi --port 8000 --backpressure"
GUNICORN_RECYCLE = "gunicorn mysite.asgi:application -k uvicorn_worker.UvicornWorker --workers 2 --bind 127.0.0.1:8000 --max-requests"
UVICORN_RECYCLE = "uvicorn mysite.asgi:application --workers 2 --limit-max-requests"
HYPERCORN_RECYCLE = "hypercorn "
GRANIAN_RECYCLE = "granian mysite.asgi_granian:application --interface asgi --port 8000 --workers-max-rss"
GUNICORN_OWN_SOCKET = "gunicorn mysite.asgi:application -k uvicorn_worker.UvicornWorker --workers 2 --bind 127.0.0.1:8000 --control-socket"
GUNICORNC_DEFAULT = "gunicornc -c"
GUNICORNC_OWN = "gunicornc -s"
SERVERS_GUNICORN = "gunicorn mysite.asgi:application "


def on_port(page: str, startswith: str, key: str = "uvicorn ") -> tuple:
    """(argv, port, key) for test_logging.servers(): the page's command on a
    free port (the key of EXPECTED matters only with ready=True)."""
    port = free_port()
    return shlex.split(command(page, startswith).with_port(port)), port, key


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB$", status, re.M).group(1))


def at_once(first: list[str], then: list[str] = (), settle: float = 0.5) -> list[tuple]:
    """(status, text, started, ended) for each URL of ``first`` and then of
    ``then``, each on its own connection (times from time.monotonic()). The
    ``first`` ones are sent together; the ``then`` ones ``settle`` seconds
    after every one of ``first`` has been written to its socket (httpx's
    trace), however long that took on a busy machine."""
    async def main():
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
        written = [asyncio.Event() for _ in first]

        async def fetch(client, url, sent=None):
            async def trace(name, info):
                if sent is not None and name == "http11.send_request_body.complete":
                    sent.set()
            started = time.monotonic()
            response = await client.get(url, extensions={"trace": trace})
            return response.status_code, response.text, started, time.monotonic()

        async def later(client, url):
            await asyncio.gather(*(event.wait() for event in written))
            await asyncio.sleep(settle)
            return await fetch(client, url)

        async with httpx.AsyncClient(limits=limits, timeout=20) as client:
            return await asyncio.gather(*(fetch(client, url, event)
                                          for url, event in zip(first, written)),
                                        *(later(client, url) for url in then))
    return asyncio.run(main())


def in_background(function, *args):
    result = {}
    thread = threading.Thread(target=lambda: result.update(value=function(*args)))
    thread.start()
    return thread, result


# --------------------------------------------------------------------------
# Workers and threads
# --------------------------------------------------------------------------

def example_middleware_is_async_capable() -> bool:
    """Whether every middleware of the example can run in the event loop."""
    done = subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; "
         "from django.utils.module_loading import import_string; django.setup(); "
         "print(all(getattr(import_string(m), 'async_capable', False) "
         "for m in settings.MIDDLEWARE))"],
        cwd=EXAMPLE, env={**os.environ, "DJANGO_SETTINGS_MODULE": "mysite.settings",
                          "DJANGO_SECRET_KEY": "capacity-check"},
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() == "True"


def test_each_running_request_holds_a_thread(static_root):
    # One process each, so that each count is of one kind of request.
    runs = {"/slow-sync/?seconds=2": on_port(PAGE, THREADS),
            "/slow/?seconds=2": on_port(PAGE, THREADS)}
    assert all("--workers" not in argv for argv, *_ in runs.values())
    with servers(runs, static_root, ready=False) as started:
        pids = {run: server.process.pid for run, server in started.items()}
        # Idle, a process has its main thread alone (the thread of the
        # start-up check's request may take a moment to end).
        wait_until(lambda: all(threads(pid) == 1 for pid in pids.values()), 5, "idle processes")
        requests = [started[run].url + run for run in runs for _ in range(8)]
        thread, result = in_background(at_once, requests)
        seen = {run: [] for run in runs}
        # Counted for as long as the requests run, however late they start.
        while thread.is_alive():
            for run, pid in pids.items():
                seen[run].append(threads(pid))
            time.sleep(0.05)
        wait_until(lambda: all(threads(pid) == 1 for pid in pids.values()), 5,
                   "the threads to end")
    assert [status for status, *_ in result["value"]] == [200] * 16
    assert all(ended - started >= 1.9 for *_, started, ended in result["value"])
    # One main thread; eight running requests, eight more threads. Under load,
    # when the requests do not all overlap, one more now and then, for a moment.
    most = {run: max(counts) for run, counts in seen.items()}
    assert all(n in (9, 10) for n in most.values()), (most, seen)
    text = page_text(PAGE)
    assert ("With eight requests for `/slow-sync/?seconds=2` running, the Uvicorn process has "
            "nine threads") in text
    assert "the tests now and then count one more, for a moment" in text
    assert ("Eight requests for the asynchronous `/slow/` view also make nine threads, "
            "although every middleware of the example can run asynchronously.") in text
    assert example_middleware_is_async_capable()
    assert "run in the main thread alone" not in text


# --------------------------------------------------------------------------
# Caps per worker
# --------------------------------------------------------------------------

def test_what_a_client_gets_beyond_each_cap(static_root):
    plain_argv, plain_port, _ = on_port(PAGE, GUNICORN_LIMIT)
    plain_argv[plain_argv.index("mysite.limited_worker.LimitedUvicornWorker")] = \
        "uvicorn_worker.UvicornWorker"
    commands = {
        "uvicorn": on_port(PAGE, UVICORN_LIMIT),
        "gunicorn, limited worker": on_port(PAGE, GUNICORN_LIMIT),
        "gunicorn, uvicorn_worker": (plain_argv, plain_port, "uvicorn "),
        "hypercorn": on_port("servers/hypercorn", "hypercorn "),
        "daphne": on_port("servers/daphne", "daphne "),
        "granian": on_port(PAGE, GRANIAN_LIMIT),
    }
    gasgi_argv, gasgi_port, _ = on_port(PAGE, GUNICORN_LIMIT)
    gasgi_argv[gasgi_argv.index("mysite.limited_worker.LimitedUvicornWorker")] = "asgi"
    commands["gunicorn -k asgi"] = (gasgi_argv, gasgi_port, "uvicorn ")
    assert "--worker-connections" in plain_argv
    with servers(commands, static_root, ready=False) as started:
        def url(name, seconds):
            return f"{started[name].url}/slow/?seconds={seconds}"

        # Two requests hold each capped server; a third comes once they are sent.
        capped = ["uvicorn", "gunicorn, limited worker", "granian"]
        uncapped = {"gunicorn, uvicorn_worker": 5, "hypercorn": 6, "daphne": 6,
                    "gunicorn -k asgi": 5}
        plan = [url(name, 2) for name in capped for _ in range(2)]
        plan += [url(name, 2) for name, count in uncapped.items() for _ in range(count)]
        answers = at_once(plan, [url(name, 0) for name in capped])
        logs = {name: server.log for name, server in started.items()}

        # Idle keep-alive connections count against Uvicorn's limit too.
        uvicorn = started["uvicorn"].url
        with httpx.Client() as first, httpx.Client() as second:
            assert first.get(uvicorn + "/").status_code == second.get(uvicorn + "/").status_code == 200
            while_idle = httpx.get(uvicorn + "/")
        after_closing = httpx.get(uvicorn + "/")

    held = {name: [answers[2 * i], answers[2 * i + 1]] for i, name in enumerate(capped)}
    third = dict(zip(capped, answers[-len(capped):]))
    for name in capped:
        assert [status for status, *_ in held[name]] == [200, 200], (name, held[name])
    for name in ("uvicorn", "gunicorn, limited worker"):
        status, text, _, ended = third[name]
        assert (status, text) == (503, "Service Unavailable"), (name, third[name])
        # At once: while both requests it was refused for were still running.
        assert ended < min(end for *_, end in held[name]), (third[name], held[name])
        assert "Exceeded concurrency limit." in logs[name], logs[name]
    assert "WARNING:  Exceeded concurrency limit." in logs["uvicorn"]
    # Granian: no error, a wait until one of the two has finished.
    status, text, _, ended = third["granian"]
    assert (status, text) == (200, "Slept 0 s\n")
    assert ended >= min(end for *_, end in held["granian"]), (third["granian"], held["granian"])
    # No cap: every request ran at the same time as the others: they ended
    # within the two seconds each one sleeps (one after another, they would
    # end two seconds apart or more).
    first = 2 * len(capped)
    for name, count in uncapped.items():
        mine, first = answers[first:first + count], first + count
        assert [status for status, *_ in mine] == [200] * count, (name, mine)
        ends = [end for *_, end in mine]
        assert max(ends) - min(ends) < 2, (name, mine)
    assert while_idle.status_code == 503 and after_closing.status_code == 200

    text = page_text(PAGE)
    for line in ["| Uvicorn | `--limit-concurrency N` | `503 Service Unavailable` at once |",
                 "| Hypercorn | none | no cap |", "| Daphne | none | no cap |",
                 "| Granian | `--backpressure N` | the request waits until a running one has "
                 "finished |",
                 "| Gunicorn's ASGI worker | `--worker-connections N` does nothing | no cap |"]:
        assert line in text, line
    assert "So with `--limit-concurrency 3`, two requests run at once, and the third gets the "\
           "503." in text
    assert "Idle keep-alive connections count too: with two of them open, a third client gets "\
           "the 503" in text
    assert "with `-k uvicorn_worker.UvicornWorker --worker-connections 3`, five requests still "\
           "run at once" in text
    assert "In a test, six requests for `/slow/` ran at once under each." in text
    assert ("with `-k asgi --worker-connections 3` in the command above, five requests still "
            "run at once") in text
    assert "two requests for `/slow/?seconds=2` running, a third request waits for about two "\
           "seconds" in text


def test_the_caps_as_the_servers_describe_them(static_root):
    """Defaults and help texts the page quotes."""
    from gunicorn.config import WorkerConnections

    assert "only affects the ``gthread`` and ``gevent`` worker types" in WorkerConnections.desc
    limited = shlex.split(command(PAGE, GUNICORN_LIMIT).text)
    i = limited.index("--worker-connections")
    settings = gunicorn_settings(limited[:i] + limited[i + 2:], static_root)
    assert settings["worker_connections"] == "1000"
    assert settings["worker_class"] == "mysite.limited_worker.LimitedUvicornWorker"

    def help_text(program):
        done = subprocess.run([str(BIN / program), "--help"], capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, done.stderr
        return " ".join(done.stdout.split())

    for program in ("hypercorn", "daphne"):
        assert "concurren" not in help_text(program).lower(), program
    # Nor does Daphne replace its process after some requests, or some time.
    daphne = help_text("daphne")
    assert "max-requests" not in daphne and "lifetime" not in daphne and "rss" not in daphne
    assert "--backlog BACKLOG The maximum number of pending connections" in help_text("hypercorn")
    granian = help_text("granian")
    assert ("--backpressure INTEGER RANGE Maximum number of requests to process concurrently "
            "(per worker) [env var: GRANIAN_BACKPRESSURE; default: (backlog/workers); x>=1]"
            ) in granian
    assert "--backlog INTEGER RANGE Maximum number of connections to hold in backlog [env var: "\
           "GRANIAN_BACKLOG; default: 1024; x>=128]" in granian
    assert "(or a human-readable duration) a worker will be kept alive before respawn [env var: "\
           "GRANIAN_WORKERS_LIFETIME; x>=60]" in granian
    assert "for the resource monitor [env var: GRANIAN_RSS_SAMPLE_INTERVAL; default: 30;" in granian
    text = page_text(PAGE)
    assert "It defaults to the backlog, 1024, divided by the number of workers." in text
    assert "Gunicorn's `--worker-connections` is 1000 by default" in text
    assert "any worker older than that, 60 seconds at least" in text


# --------------------------------------------------------------------------
# Replacing workers
# --------------------------------------------------------------------------

def _requests(url: str, count: int, stop_at_error: bool = False) -> list:
    """The statuses of ``count`` requests one after another, each on a new
    connection; the name of the error instead of a status (and, with
    ``stop_at_error``, no more requests after it)."""
    statuses = []
    for _ in range(count):
        try:
            statuses.append(httpx.get(url, timeout=20).status_code)
        except httpx.TransportError as error:
            statuses.append(type(error).__name__)
            if stop_at_error:
                break
    return statuses


DROPPED = {"RemoteProtocolError", "ReadError"}  # the connection ended unanswered


LIMIT = re.compile(r"Maximum request limit of (\d+) exceeded\. Terminating process\.")


def test_workers_are_replaced_after_their_requests_or_over_their_memory(static_root):
    single_argv, single_port, _ = on_port(PAGE, UVICORN_RECYCLE)
    i = single_argv.index("--workers")
    single_argv = single_argv[:i] + single_argv[i + 2:]
    commands = {
        "gunicorn": on_port(PAGE, GUNICORN_RECYCLE),
        "uvicorn": on_port(PAGE, UVICORN_RECYCLE),
        "uvicorn in one process": (single_argv, single_port, "uvicorn "),
        "hypercorn": on_port(PAGE, HYPERCORN_RECYCLE),
        "granian": on_port(PAGE, GRANIAN_RECYCLE),
    }
    gasgi_argv, gasgi_port, _ = on_port(PAGE, GUNICORN_RECYCLE)
    gasgi_argv[gasgi_argv.index("uvicorn_worker.UvicornWorker")] = "asgi"
    commands["gunicorn -k asgi"] = (gasgi_argv, gasgi_port, "uvicorn ")
    assert "--max-requests-jitter" in commands["hypercorn"][0]
    with servers(commands, static_root, ready=False) as started:
        # Two workers with at most 25 requests each: 51 requests replace one
        # at least. The one process stops after its own.
        sent = {name: in_background(_requests, started[name].url + "/client/", 51 if name !=
                                    "uvicorn in one process" else 500,
                                    name == "uvicorn in one process")
                for name in ("gunicorn", "uvicorn", "hypercorn", "uvicorn in one process",
                             "gunicorn -k asgi")}
        granian = started["granian"]
        rss = []

        def worker_rss():
            # The newest worker, once started; it may be replaced meanwhile.
            if not granian.log.rstrip().endswith("[INFO] Started worker-1"):
                return False
            pid = int(re.findall(r"Spawning worker-1 with PID: (\d+)", granian.log)[-1])
            try:
                rss.append(rss_kib(pid))
            except OSError:
                return False
            return True

        wait_until(worker_rss, 15, "a started Granian worker", lambda: granian.log)
        for thread, _ in sent.values():
            thread.join(60)
        # Then four clients at once, until a request fails.
        with ThreadPoolExecutor(3) as pool:
            under_load = dict(zip(("gunicorn", "uvicorn", "hypercorn"), pool.map(
                lambda name: _until_one_fails(started[name].url + "/client/", 4, 4000),
                ("gunicorn", "uvicorn", "hypercorn"))))
        single = started["uvicorn in one process"]
        single_code = single.process.wait(10)
        wait_until(lambda: "Stopped old worker-1" in granian.log, 20,
                   "Granian to replace its worker", lambda: granian.log)
        granian_answer = httpx.get(granian.url + "/client/").status_code
        wait_until(lambda: len(re.findall(r"\] \[(\d+)\] \[INFO\] Running on",
                                          started["hypercorn"].log)) >= 3, 30,
                   "a new Hypercorn worker", lambda: started["hypercorn"].log)
        logs = {name: server.log for name, server in started.items()}
    statuses = {name: result["value"] for name, (_, result) in sent.items()}

    for name in ("gunicorn", "uvicorn", "hypercorn", "gunicorn -k asgi"):
        # One after another: answered, but now and then (seen under load) one
        # that reaches the old worker as it stops, with no error page.
        assert len(statuses[name]) == 51 and set(statuses[name]) <= {200} | DROPPED, statuses
        assert statuses[name].count(200) >= 49, (name, statuses[name])
    for name in ("gunicorn", "uvicorn", "hypercorn"):
        # Together, one fails, the same way.
        failures = set(under_load[name]) - {200}
        assert failures and failures <= DROPPED, under_load
    for name, new_worker in [("gunicorn", r"Booting worker with pid: (\d+)"),
                             ("uvicorn", r"Started server process \[(\d+)\]")]:
        limits = [int(n) for n in LIMIT.findall(logs[name])]
        assert limits and all(20 <= n <= 25 for n in limits), logs[name]
        assert len(set(re.findall(new_worker, logs[name]))) >= 3, logs[name]
    assert re.search(r"Child process \[\d+\] died", logs["uvicorn"])
    # Gunicorn's own ASGI worker: its own line, then a new worker.
    gasgi = logs["gunicorn -k asgi"]
    assert "[INFO] Autorestarting worker after current request." in gasgi, gasgi
    assert len(set(re.findall(r"Booting worker with pid: (\d+)", gasgi))) >= 3, gasgi
    assert "Maximum request limit" not in gasgi
    # Without --workers, Uvicorn exits at its limit, with status 0.
    assert single_code == 0, logs["uvicorn in one process"]
    assert 20 <= int(LIMIT.search(logs["uvicorn in one process"]).group(1)) <= 25
    served = statuses["uvicorn in one process"]
    # The request after the last one answered fails: refused once the process
    # has gone, or cut off when it arrives while the process is stopping.
    assert served[:19] == [200] * 19, served
    assert served[-1] in {"ConnectError", "ReadError", "RemoteProtocolError"}, served
    assert served[:-1] == [200] * (len(served) - 1), served
    # Hypercorn: a worker that has gone served more than its 20 requests.
    hypercorn = logs["hypercorn"]
    workers = re.findall(r"\] \[(\d+)\] \[INFO\] Running on", hypercorn)
    # (The start-up check's GET / counts too.)
    served_by = {pid: len(re.findall(rf"\] \[{pid}\] \[INFO\] 127\.0\.0\.1:\d+ - - .*\"GET /",
                                     hypercorn)) for pid in workers}
    assert max(served_by.values()) > 20, served_by
    # Granian: over 20 MiB from the start, replaced; the new worker first.
    assert rss[0] > 20 * 1024, rss
    granian_log = logs["granian"]
    order = ["worker-1 RSS over threshold, gracefully respawning..", "Respawning worker-1",
             "Spawning worker-1 with PID:", "Stopping old worker-1", "Stopped old worker-1"]
    position = 0
    for line in order:  # in this order, after the first start
        position = granian_log.find(line, position + 1)
        assert position > 0, f"{line!r} in order:\n{granian_log}"
    assert len(set(re.findall(r"Spawning worker-1 with PID: (\d+)", granian_log))) >= 2
    assert granian_answer == 200

    text = page_text(PAGE)
    assert "With the numbers below, each worker's limit is between 20 and 25 requests." in text
    assert ("A request can fail as a worker stops: the old worker closes a connection it has "
            "accepted but not yet read") in text
    assert ("a client that sends one request after another can meet it too, when its next "
            "request reaches the old worker just as it stops") in text
    assert ("in one process, Uvicorn exits with status 0 |") in text
    assert "A worker of the example already uses more than 20 MiB when it starts" in text
    assert ("| Gunicorn's ASGI worker | `--max-requests N --max-requests-jitter J` | the worker "
            "stops after its requests, and Gunicorn starts a new one |") in text
    assert ("With `-k asgi` instead of the Uvicorn worker class, a worker logs `Autorestarting "
            "worker after current request.` when it reaches its limit") in text


def _until_one_fails(url: str, clients: int, most: int) -> dict:
    """{outcome: count} of requests from ``clients`` clients at once, each
    request on a new connection, until one fails or ``most`` were sent."""
    async def client(http, outcomes, sent):
        while sent[0] < most and not set(outcomes) - {200}:
            sent[0] += 1
            try:
                outcome = (await http.get(url)).status_code
            except httpx.TransportError as error:
                outcome = type(error).__name__
            outcomes[outcome] = outcomes.get(outcome, 0) + 1

    async def main():
        outcomes, sent = {}, [0]
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=20) as http:
            await asyncio.gather(*(client(http, outcomes, sent) for _ in range(clients)))
        return outcomes
    return asyncio.run(main())


# --------------------------------------------------------------------------
# Gunicorn's control socket
# --------------------------------------------------------------------------

def gunicornc(text: str, home: Path) -> subprocess.CompletedProcess:
    """A gunicornc command line, run by bash with ``home`` as $HOME."""
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    env.update(PATH=f"{BIN}:{env['PATH']}", HOME=str(home), XDG_RUNTIME_DIR=str(home))
    return subprocess.run(["bash", "-c", text], env=env, capture_output=True, text=True,
                          timeout=30)


def stats_pid(done: subprocess.CompletedProcess) -> int:
    assert done.returncode == 0, done.stderr
    return int(re.search(r"^PID:\s+(\d+)$", done.stdout, re.M).group(1))


def test_two_gunicorn_instances_under_one_user(static_root, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {**server_env(static_root), "HOME": str(home), "XDG_RUNTIME_DIR": str(home)}
    default = home / "gunicorn.ctl"
    shown = command("servers/uvicorn", SERVERS_GUNICORN)

    def start(argv, port):
        server = stack.enter_context(Server(argv, cwd=EXAMPLE, env=env, port=port, timeout=30))
        wait_until(lambda: "Control socket listening at" in server.log or
                   "--no-control-socket" in argv, 10, "the control socket", lambda: server.log)
        return server

    with ExitStack() as stack:
        first = start(shlex.split(shown.with_port(port := free_port())), port)
        second = start(shlex.split(shown.with_port(port := free_port())), port)
        own_port = free_port()
        own_text = command(PAGE, GUNICORN_OWN_SOCKET).with_port(own_port)
        assert not (home / ".gunicorn").exists()
        own = start(shlex.split(own_text.replace("$HOME", str(home))), own_port)
        quiet = start(shlex.split(shown.with_port(port := free_port()))
                      + ["--no-control-socket"], port)
        stats = gunicornc(command(PAGE, GUNICORNC_DEFAULT).text, home)
        as_json = gunicornc(command(PAGE, GUNICORNC_DEFAULT).text + " -j", home)
        own_stats = gunicornc(command(PAGE, GUNICORNC_OWN).with_port(own_port), home)
        second.stop()
        after = gunicornc(command(PAGE, GUNICORNC_DEFAULT).text, home)
        own_after = gunicornc(command(PAGE, GUNICORNC_OWN).with_port(own_port), home)
        first_still_serves = httpx.get(first.url + "/").status_code
        logs = [s.log for s in (first, second, own, quiet)]

    # The second instance took the path over, silently.
    assert f"Control socket listening at {default}" in logs[0] and \
        f"Control socket listening at {default}" in logs[1]
    assert not any("WARNING" in log for log in logs), logs
    assert stats_pid(stats) == second.process.pid
    assert f'"pid": {second.process.pid}' in as_json.stdout
    # Stopping it deleted the socket the first one had lost.
    assert first_still_serves == 200 and not default.exists()
    assert after.returncode == 1
    assert (after.stdout + after.stderr).strip() == (
        f"Error: Failed to connect to {default}: [Errno 2] No such file or directory")
    # A socket of its own, in a folder Gunicorn made, answered before and after.
    assert (home / ".gunicorn").is_dir()
    assert stats_pid(own_stats) == stats_pid(own_after) == own.process.pid
    assert f"Control socket listening at {home}/.gunicorn/mysite-{own_port}.ctl" in logs[2]
    assert "Control socket" not in logs[3]

    # Without XDG_RUNTIME_DIR, the default is under $HOME.
    environ = {k: v for k, v in os.environ.items()
               if k not in ("XDG_RUNTIME_DIR", "DJANGO_SETTINGS_MODULE")}
    environ.update(server_env(static_root), HOME=str(home))
    del environ["XDG_RUNTIME_DIR"]
    done = subprocess.run([str(BIN / "gunicorn"), *shlex.split(shown.text)[1:], "--print-config"],
                          cwd=EXAMPLE, env=environ, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert re.search(rf"^control_socket += {home}/\.gunicorn/gunicorn\.ctl$", done.stdout, re.M)

    text = page_text(PAGE)
    assert "The second instance deletes the first one's socket and opens its own at the same "\
           "path. Neither logs a warning." in text
    assert "`Error: Failed to connect to` the path, `[Errno 2] No such file or directory`, and "\
           "exits with status 1" in text
    assert "With `--no-control-socket`, an instance opens no socket at all." in text

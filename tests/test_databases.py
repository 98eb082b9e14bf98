"""docs/databases.md and examples/databases/: Django on a real PostgreSQL.

One PostgreSQL server (tests/postgres.py) runs for the whole module; each
test starts Uvicorn with the exact command the page shows (port 8000
replaced by a free one, its leading NAME=value assignments as environment
variables), runs the page's own curl and psql commands against it, and
counts the connections PostgreSQL sees: opened (PostgreSQL logs each one),
open now, and the most open at once (sampled while the load runs). Counts
are asserted, never times.
"""

import asyncio
import inspect
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg_pool
import pytest

from pgbouncer import PgBouncer
from postgres import Postgres
from server import Server, free_port

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))
from page_commands import command  # noqa: E402

PAGE = "databases"
EXAMPLE = ROOT / "examples/databases"
BIN = Path(sys.executable).parent
SECRET_KEY = secrets.token_urlsafe(50)
APP = "mysite"  # the application_name of the example's connections

# The page's commands, by how they start.
MIGRATE = "python manage.py migrate"
PSQL = "psql mysite -c "
UVICORN = "uvicorn mysite.asgi:application --port 8000 --workers 2"
TRAP = "DB_CONN_MAX_AGE=60 uvicorn "
POOL = "DB_POOL=1 DB_POOL_MAX_SIZE=4 "
EXHAUST = "DB_POOL=1 DB_POOL_MAX_SIZE=2 "
BOUNCER = "DB_PORT=6432 DB_PGBOUNCER=1 "
LOAD = "seq 40 | xargs -P 8 "
HOLD = "seq 4 | xargs -P 4 "
THREAD = "curl http://127.0.0.1:8000/thread/"
WSGI = "DB_CONN_MAX_AGE=60 gunicorn mysite.wsgi "
REQUESTS, AT_ONCE = 40, 8  # what LOAD sends


def split_assignments(text: str) -> tuple[dict, list[str]]:
    """``A=1 B=2 prog args`` -> ({"A": "1", "B": "2"}, ["prog", "args"])."""
    words = shlex.split(text)
    env = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, words


def shell_env(pg: Postgres, **extra) -> dict:
    """A reader's shell: the venv first on PATH, DJANGO_SECRET_KEY set, and
    psql and the settings pointed at the test PostgreSQL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DB_", "PG"))}
    return {**env, "PATH": f"{BIN}:{env['PATH']}", "DJANGO_SECRET_KEY": SECRET_KEY,
            "PGHOST": pg.host, "PGPORT": str(pg.port), "PGUSER": "postgres", **pg.env(), **extra}


def run_page_command(pg, shown, port=None, **replace) -> subprocess.CompletedProcess:
    """Run one of the page's commands (``command(PAGE, ...)``) in bash."""
    text = shown.with_port(port) if port else shown.text
    for old, new in replace.items():
        text = text.replace(old, new)
    done = subprocess.run(["bash", "-ec", text], cwd=EXAMPLE, env=shell_env(pg),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{text}\n{done.stdout}{done.stderr}"
    return done


@pytest.fixture(scope="module")
def pg():
    with Postgres() as pg:
        run_page_command(pg, command(PAGE, MIGRATE))
        yield pg


@pytest.fixture
def db(pg, request):
    """The module's PostgreSQL, with nothing of the example connected; its
    log is printed if the test fails."""
    wait_until(lambda: pg.connections() == 0, "connections of an earlier test to close")
    yield pg
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        pg.show_logs()


@pytest.fixture(scope="module")
def default_server(pg):
    """The page's plain Uvicorn command (CONN_MAX_AGE 0), shared by the tests
    that need nothing else."""
    with serve(pg, command(PAGE, UVICORN)) as server:
        yield server


def wait_until(condition, what, timeout=15):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        time.sleep(0.05)


@contextmanager
def serve(pg, shown, wait_closed=True, replace=None, **extra_env):
    """The page's server command (``command(PAGE, ...)``), on a free port."""
    port = free_port()
    text = shown.with_port(port)
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    env, argv = split_assignments(text)
    with Server(argv, cwd=EXAMPLE, env={**shell_env(pg), **extra_env, **env}, port=port,
                ready_path="/thread/") as server:
        yield server
    # The worker processes are gone: so are their connections.
    if wait_closed:
        wait_until(lambda: pg.connections() == 0, "the stopped server's connections to close")


def run_in_example(pg, code: str, **env) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=EXAMPLE,
                          env=shell_env(pg, **env), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


# --------------------------------------------------------------------------
# The example project
# --------------------------------------------------------------------------

def test_migrate_creates_the_two_accounts(db):
    assert db.query("SELECT name, balance FROM accounts_account ORDER BY name") == [
        ("alice", 100), ("bob", 100)]


def test_postgres_limits_the_sizing_starts_from(db):
    """max_connections 100, of which 3 are kept for superusers: Debian's
    PostgreSQL 15 as installed, since tests/postgres.py sets neither."""
    assert db.query("SHOW max_connections") == [("100",)]
    assert db.query("SHOW superuser_reserved_connections") == [("3",)]
    assert inspect.signature(psycopg_pool.ConnectionPool).parameters["timeout"].default == 30.0


# --------------------------------------------------------------------------
# One thread per request, and the trap
# --------------------------------------------------------------------------

def test_each_request_runs_its_sync_code_in_a_new_thread(db, default_server):
    shown = command(PAGE, THREAD)
    names = [run_page_command(db, shown, default_server.port).stdout.strip() for _ in range(5)]
    assert all(re.fullmatch(r"ThreadPoolExecutor-\d+_0 of process \d+", name)
               for name in names), names
    assert len(set(names)) == 5, names


def test_under_wsgi_conn_max_age_60_keeps_one_connection_per_worker(db, tmp_path):
    mark = db.log_mark()
    # Gunicorn 27 keeps a control socket under $HOME: one of its own.
    with serve(db, command(PAGE, WSGI), HOME=str(tmp_path)) as server:
        run_page_command(db, command(PAGE, LOAD), server.port)
        assert 1 <= db.connections_opened(APP, since=mark) <= 2  # --workers 2
        assert 1 <= db.connections(APP) <= 2


def test_conn_max_age_60_opens_one_connection_per_request_and_leaves_them_open(db):
    mark = db.log_mark()
    with serve(db, command(PAGE, TRAP)) as server:
        run_page_command(db, command(PAGE, LOAD), server.port)
        assert db.connections_opened(APP, since=mark) == REQUESTS
        # Many more are still open, idle, than requests ever ran at once.
        table = run_page_command(db, command(PAGE, PSQL)).stdout
        idle = int(re.search(r"^\s*idle\s*\|\s*(\d+)\s*$", table, re.M)[1])
        assert idle > AT_ONCE, table
        assert db.connections(APP) > AT_ONCE


def test_the_garbage_collector_closes_connections_left_behind(db):
    """With the collector off, every request's connection stays open; a
    collection closes all of them. In process, through the ASGI handler."""
    code = """
import asyncio, gc
gc.disable()
import httpx
from mysite.asgi import application
from django.db import connection

async def main():
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        for _ in range(10):
            assert (await client.get("/accounts/")).status_code == 200

asyncio.run(main())
print("ready", flush=True)
input()
gc.collect()
print("collected", flush=True)
input()
"""
    with subprocess.Popen([sys.executable, "-c", code], cwd=EXAMPLE, text=True,
                          env=shell_env(db, DB_CONN_MAX_AGE="60"), stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        try:
            assert process.stdout.readline() == "ready\n", process.stderr.read()
            assert db.connections(APP) == 10
            process.stdin.write("\n")
            process.stdin.flush()
            assert process.stdout.readline() == "collected\n", process.stderr.read()
            wait_until(lambda: db.connections(APP) == 0, "the collected connections to close")
        finally:
            process.kill()


def test_connections_left_behind_run_postgresql_out_of_connections():
    """A PostgreSQL of its own with max_connections 10: with CONN_MAX_AGE 60
    and no garbage collection, the eleventh request finds no connection left.
    /hold/ needs no table, so this server needs no migrate."""
    code = """
import asyncio, gc
gc.disable()
import httpx
from mysite.asgi import application

async def main():
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        for _ in range(14):
            print((await client.get("/hold/?seconds=0")).status_code)

asyncio.run(main())
"""
    with Postgres(max_connections=10) as small:
        try:
            done = subprocess.run([sys.executable, "-c", code], cwd=EXAMPLE, text=True,
                                  env=shell_env(small, DB_CONN_MAX_AGE="60"),
                                  capture_output=True, timeout=60)
            assert done.stdout.split() == ["200"] * 10 + ["500"] * 4, done.stderr
            assert done.stderr.count("Internal Server Error: /hold/") == 4
            assert small.log.count("FATAL:  sorry, too many clients already") == 4
        except AssertionError:
            small.show_logs()
            raise


# --------------------------------------------------------------------------
# The fix
# --------------------------------------------------------------------------

def test_conn_max_age_0_closes_every_connection_at_the_end_of_its_request(db, default_server):
    mark = db.log_mark()
    run_page_command(db, command(PAGE, LOAD), default_server.port)
    assert db.connections_opened(APP, since=mark) == REQUESTS
    # Nothing is left while the server still runs.
    wait_until(lambda: db.connections(APP) == 0, "the requests' connections to close")


def test_pool_holds_at_most_workers_times_max_size(db):
    mark = db.log_mark()
    with serve(db, command(PAGE, POOL)) as server, db.peak() as peak:
        run_page_command(db, command(PAGE, LOAD), server.port)
        opened = db.connections_opened(APP, since=mark)
        open_now = db.connections(APP)
    workers, max_size = 2, 4
    assert 2 <= opened <= workers * max_size
    assert peak.peak <= workers * max_size
    min_size = 2  # the example's default
    assert min_size <= open_now <= workers * max_size  # kept for the next requests


def test_pool_refuses_conn_max_age(db):
    out = run_in_example(db, """
from django.core.exceptions import ImproperlyConfigured
from mysite.asgi import application
from django.db import connection
try:
    connection.ensure_connection()
except ImproperlyConfigured as error:
    print(error)
""", DB_POOL="1", DB_CONN_MAX_AGE="60")
    assert out == "Pooling doesn't support persistent connections.\n"


def test_exhausted_pool_answers_500_after_its_timeout(db):
    mark = db.log_mark()
    with serve(db, command(PAGE, EXHAUST)) as server:
        # The pool opens with the first request that needs it: open it, so
        # that the four below find its two connections ready.
        httpx.get(server.url + "/accounts/").raise_for_status()
        out = run_page_command(db, command(PAGE, HOLD), server.port).stdout
        log = server.log
    assert out.count("held a connection for 2 s") == 2, out
    assert out.count("<h1>Server Error (500)</h1>") == 2, out
    assert log.count("Internal Server Error: /hold/") == 2, log
    assert log.count("psycopg_pool.PoolTimeout: couldn't get a connection after 0.50 sec") == 2
    assert db.connections_opened(APP, since=mark) == 2


# --------------------------------------------------------------------------
# Async views, transactions
# --------------------------------------------------------------------------

def test_async_views_share_one_connection_per_request(db, default_server):
    mark = db.log_mark()
    out = run_page_command(db, command(PAGE, "curl http://127.0.0.1:8000/async/accounts/ "),
                           default_server.port).stdout
    # acount() and the iteration of the first request: one connection.
    assert db.connections_opened(APP, since=mark) == 2
    assert out == "2 accounts\nalice 100\nbob 100\nalice 100\n"
    assert httpx.get(default_server.url + "/async/accounts/nobody/").status_code == 404


def balances(pg):
    return dict(pg.query("SELECT name, balance FROM accounts_account"))


def test_transaction_from_async_code_commits_or_rolls_back(db, default_server):
    port, url = default_server.port, default_server.url + "/async/transfer/"
    moved = run_page_command(
        db, command(PAGE, "curl -d from=alice -d to=bob -d amount=30 "), port).stdout
    assert moved == "moved 30 from alice to bob\n"
    assert balances(db) == {"alice": 70, "bob": 130}
    refused = run_page_command(
        db, command(PAGE, "curl -d from=alice -d to=bob -d amount=1000 "), port).stdout
    assert refused == "alice has less than 1000\n"
    status = httpx.post(url, data={"from": "alice", "to": "bob", "amount": "1000"}).status_code
    assert status == 409
    # The credit to bob, saved before the check, was rolled back.
    assert balances(db) == {"alice": 70, "bob": 130}
    httpx.post(url, data={"from": "bob", "to": "alice", "amount": "30"}).raise_for_status()
    assert balances(db) == {"alice": 100, "bob": 100}


def test_atomic_and_cursor_need_sync_to_async_but_the_async_orm_does_not(db):
    out = run_in_example(db, """
import asyncio
from mysite.asgi import application
from django.core.exceptions import SynchronousOnlyOperation
from django.db import connection, transaction
from accounts.models import Account

async def main():
    for name, call in [("atomic", lambda: transaction.atomic().__enter__()),
                       ("cursor", connection.cursor)]:
        try:
            call()
            print(name, "ran")
        except SynchronousOnlyOperation as error:
            print(name, error)
    print("acount", await Account.objects.acount())

asyncio.run(main())
""")
    message = "You cannot call this from an async context - use a thread or sync_to_async."
    assert out == f"atomic {message}\ncursor {message}\nacount 2\n"


# --------------------------------------------------------------------------
# PgBouncer
# --------------------------------------------------------------------------

def test_pgbouncer_holds_at_most_default_pool_size_connections(db):
    config = EXAMPLE / "deploy/pgbouncer.ini"
    pool_size = int(re.search(r"^default_pool_size = (\d+)$", config.read_text(), re.M)[1])
    assert pool_size == 10
    with PgBouncer(config, db) as bouncer:
        mark = db.log_mark()
        try:
            with serve(db, command(PAGE, BOUNCER), wait_closed=False,
                       replace={"6432": str(bouncer.port)}) as server, \
                    db.peak() as peak:
                async def load():
                    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                        return await asyncio.gather(
                            *[client.get("/accounts/") for _ in range(REQUESTS)])
                answers = asyncio.run(load())
                # Django's connections go to PgBouncer; PostgreSQL sees PgBouncer's.
                opened = db.connections_opened(since=mark)
        except BaseException:
            bouncer.show_logs()
            raise
    assert [a.status_code for a in answers] == [200] * REQUESTS
    assert {a.text for a in answers} == {"alice 100\nbob 100\n"}  # iterator() works
    assert 1 <= opened <= pool_size
    assert peak.peak <= pool_size


# --------------------------------------------------------------------------
# The measured table (make bench-db)
# --------------------------------------------------------------------------

sys.path.insert(0, str(ROOT / "docs" / "_tools"))
import bench_db  # noqa: E402

BENCH = ROOT / "docs/_static/bench/db.json"
TABLES = {"en": "docs/_static/bench/db.en.txt", "zh_CN": "docs/_static/bench/db.zh_CN.txt"}


def test_bench_db_measured_every_configuration_without_errors():
    results = json.loads(BENCH.read_text())
    runs = {r["name"]: r for r in results["runs"]}
    assert list(runs) == [name for name, *_ in bench_db.CONFIGS]
    shown = {UVICORN: command(PAGE, UVICORN).text, TRAP: command(PAGE, TRAP).text,
             POOL: command(PAGE, POOL).text, BOUNCER: command(PAGE, BOUNCER).text}
    for name, startswith, _ in bench_db.CONFIGS:
        run = runs[name]
        # Change the page's command and this fails until `make bench-db` runs again.
        assert run["command"] == shown[startswith]
        assert run["socket_errors"] == 0 and run["non_2xx_3xx"] == 0, run
        assert run["requests"] > 0 and run["connections_opened"] >= 1, run
    workers, max_size, pool_size = 2, 4, 10
    assert runs["pool"]["peak_connections"] <= workers * max_size
    assert runs["PgBouncer"]["peak_connections"] <= pool_size
    # Without a pool, one connection per request.
    for name in ("CONN_MAX_AGE=0", "CONN_MAX_AGE=60"):
        assert runs[name]["connections_opened"] >= runs[name]["requests"]
    assert runs["CONN_MAX_AGE=60"]["peak_connections"] > 10 * runs["pool"]["peak_connections"]
    assert results["machine"]["django"] == "5.2.19"
    assert results["load"]["max_connections"] == bench_db.MAX_CONNECTIONS


def test_bench_db_table_is_rendered_from_its_json():
    results = json.loads(BENCH.read_text())
    for language, path in TABLES.items():
        table = (ROOT / path).read_text(encoding="utf-8")
        assert table == bench_db.render_table(results, language), language
        header = table.splitlines()[8].split()
        assert header[:3] == (["configuration", "requests", "errors"] if language == "en"
                              else ["配置", "请求数", "错误"]), header
    page = (ROOT / "docs/databases.md").read_text(encoding="utf-8")
    assert "```{language-file} _static/bench/db.{language}.txt\n```" in page

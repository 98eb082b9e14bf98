"""`make bench-db`: the connection settings of "Databases under ASGI" under load.

It starts Debian's PostgreSQL in a temporary folder (tests/postgres.py),
migrates examples/databases/ into it, and then, for each configuration in
CONFIGS, starts the server with the exact command docs/databases.md shows
(read with page_commands.py, port 8000 replaced by a free port) and loads
/accounts/ with `wrk`, as `make bench` does, for DURATION seconds. Meanwhile
it samples pg_stat_activity for the most connections open at once, and it
counts from PostgreSQL's log the connections opened. PgBouncer
(tests/pgbouncer.py, with the example's configuration) is measured when it
is installed.

PostgreSQL runs with max_connections = MAX_CONNECTIONS, far above its
default of 100, so that no configuration runs out and every row shows how
many connections it really wanted. Any socket error or non-2xx/3xx answer
fails the run and nothing is written. Otherwise it writes, into
docs/_static/bench/:

db.json   every number, the commands, versions, machine and date
db.txt    the same as a text table (docs/databases.md shows it)

`python docs/_tools/bench_db.py --render` rewrites db.txt from db.json
without measuring; tests/test_databases.py checks that the committed table
is exactly that rendering. Only 127.0.0.1 is loaded, and every process is
stopped by its pid.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_tools"))
sys.path.insert(0, str(ROOT / "tests"))

import bench  # noqa: E402
from page_commands import command  # noqa: E402

PAGE = "databases"
EXAMPLE = ROOT / "examples" / "databases"
OUT = ROOT / "docs" / "_static" / "bench"
PATH = "/accounts/"
EXPECTED = "alice 100\nbob 100\n"
CONNECTIONS = 16
THREADS = 2
DURATION = 10   # seconds of load per configuration
MAX_CONNECTIONS = 1000
PGBOUNCER_PORT = "6432"  # in the page's command, replaced by PgBouncer's port

# row name, start of the page's command, needs PgBouncer
CONFIGS = [
    ("CONN_MAX_AGE=0", "uvicorn mysite.asgi:application --port 8000 --workers 2", False),
    ("CONN_MAX_AGE=60", "DB_CONN_MAX_AGE=60 uvicorn ", False),
    ("pool", "DB_POOL=1 DB_POOL_MAX_SIZE=4 ", False),
    ("PgBouncer", "DB_PORT=6432 DB_PGBOUNCER=1 ", True),
]


def split_assignments(text: str) -> tuple[dict, list[str]]:
    words = shlex.split(text)
    env = {}
    while words and "=" in words[0] and words[0].split("=", 1)[0].isupper():
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, words


def measure(pg, name: str, startswith: str, bouncer=None) -> dict:
    import httpx
    from server import Server, free_port

    shown = command(PAGE, startswith)
    port = free_port()
    text = shown.with_port(port)
    if bouncer is not None:
        text = text.replace(PGBOUNCER_PORT, str(bouncer.port))
    assignments, argv = split_assignments(text)
    env = {**pg.env(), "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), **assignments}
    print(f"bench-db: {name}: {text}", flush=True)
    wait_for_no_connections(pg)
    mark = pg.log_mark()
    with Server(argv, cwd=EXAMPLE, env=env, port=port, ready_path="/thread/") as server:
        answer = httpx.get(server.url + PATH)
        if answer.status_code != 200 or answer.text != EXPECTED:
            raise SystemExit(f"bench-db: {name} answered {answer.status_code} "
                             f"{answer.text[:200]!r}:\n{server.log[-3000:]}")
        with pg.peak() as peak:
            result = bench.wrk(server.url + PATH, DURATION, CONNECTIONS, THREADS)
        time.sleep(0.5)  # let the last connections show up in the log
        result["connections_opened"] = pg.connections_opened(since=mark)
        result["connections_open_after"] = pg.connections()
        result["peak_connections"] = max(peak.peak, result["connections_open_after"])
        if server.process.poll() is not None:
            raise SystemExit(f"bench-db: {name} died under load:\n{server.log[-3000:]}")
    return {"name": name, "command": shown.text, "line": shown.line, **result}


def wait_for_no_connections(pg, timeout=30):
    deadline = time.monotonic() + timeout
    while pg.connections() and time.monotonic() < deadline:
        time.sleep(0.1)


def migrate(pg) -> None:
    shown = command(PAGE, "python manage.py migrate")
    env = {**os.environ, **pg.env(), "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run(["bash", "-ec", shown.text], cwd=EXAMPLE, env=env, check=True)


# --------------------------------------------------------------------------
# Rendering (a pure function of db.json)
# --------------------------------------------------------------------------

def render_table(results: dict) -> str:
    m, load = results["machine"], results["load"]
    lines = [
        f"Measured {results['date']}, one run per configuration, "
        f"GET {load['path']} of examples/databases",
        f"Machine:  {m['cpu']}, {m['cores']} cores, {m['os']}",
        f"Software: Python {m['python']}, Django {m['django']}, psycopg {m['psycopg']},",
        f"          psycopg-pool {m['psycopg_pool']}, Uvicorn {m['uvicorn']},",
        f"          PostgreSQL {m['postgresql']} (max_connections {load['max_connections']}), "
        f"{m['pgbouncer']}",
        f"Load:     {m['load_tool']} on the same machine, {load['connections']} connections, "
        f"{load['threads']} threads,",
        f"          {load['duration_s']} s per configuration",
        "",
    ]
    rows = [("configuration", "requests", "errors", "peak connections", "connections opened",
             "p50 ms", "p99 ms")]
    for r in results["runs"]:
        rows.append((r["name"], str(r["requests"]), str(r["socket_errors"] + r["non_2xx_3xx"]),
                     str(r["peak_connections"]), str(r["connections_opened"]),
                     f"{r['latency_ms']['p50']:.1f}", f"{r['latency_ms']['p99']:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        cells = [c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += ["", "peak connections: the most open at once in pg_stat_activity, sampled",
              "every 10 ms; connections opened: PostgreSQL's log, from the server's start.",
              "Each configuration ran the command docs/databases.md shows (a free port",
              "in place of 8000, PgBouncer's in place of 6432):"]
    for r in results["runs"]:
        lines += textwrap.wrap(f"{r['name']}: $ {r['command']}", width=78, initial_indent="  ",
                               subsequent_indent="      ", break_on_hyphens=False,
                               break_long_words=False)
    return "\n".join(lines) + "\n"


def write_rendered(results: dict, out: Path | None = None) -> None:
    (out or OUT).joinpath("db.txt").write_text(render_table(results))


# --------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    if argv == ["--render"]:
        write_rendered(json.loads((OUT / "db.json").read_text()))
        return 0
    if shutil.which("wrk") is None:
        print(bench.INSTALL_WRK.replace("make bench", "make bench-db"), file=sys.stderr)
        return 2
    from pgbouncer import PGBOUNCER, PgBouncer
    from postgres import Postgres

    have_bouncer = Path(PGBOUNCER).exists()
    if not have_bouncer:
        print("bench-db: pgbouncer is not installed (`apt-get install pgbouncer`): "
              "its row is left out", flush=True)
    runs, failures = [], []
    with Postgres(max_connections=MAX_CONNECTIONS) as pg:
        migrate(pg)
        postgresql = pg.query("SHOW server_version")[0][0].split()[0]
        for name, startswith, needs_bouncer in CONFIGS:
            if needs_bouncer and not have_bouncer:
                continue
            if needs_bouncer:
                with PgBouncer(EXAMPLE / "deploy" / "pgbouncer.ini", pg) as bouncer:
                    result = measure(pg, name, startswith, bouncer)
            else:
                result = measure(pg, name, startswith)
            errors = result["socket_errors"] + result["non_2xx_3xx"]
            print(f"bench-db: {name}: {result['requests']} requests, {errors} errors, "
                  f"peak {result['peak_connections']} connections, "
                  f"{result['connections_opened']} opened", flush=True)
            if errors:
                failures.append(f"{name}: {result['socket_errors']} socket errors, "
                                f"{result['non_2xx_3xx']} non-2xx/3xx answers")
            runs.append(result)
    if failures:
        print("bench-db: errors under load, nothing written:\n  " + "\n  ".join(failures),
              file=sys.stderr)
        return 1
    bouncer_version = "PgBouncer not installed"
    if have_bouncer:
        out = subprocess.run([PGBOUNCER, "--version"], capture_output=True, text=True).stdout
        bouncer_version = out.splitlines()[0] if out else "PgBouncer ?"
    machine = bench.machine()
    machine.update(psycopg=version("psycopg"), psycopg_pool=version("psycopg-pool"),
                   uvicorn=version("uvicorn"), postgresql=postgresql, pgbouncer=bouncer_version)
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "machine": machine,
        "load": {"path": PATH, "connections": CONNECTIONS, "threads": THREADS,
                 "duration_s": DURATION, "max_connections": MAX_CONNECTIONS},
        "runs": runs,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "db.json").write_text(json.dumps(results, indent=2) + "\n")
    write_rendered(results)
    print(render_table(results))
    print(f"bench-db: wrote {OUT.relative_to(ROOT)}/db.json, db.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

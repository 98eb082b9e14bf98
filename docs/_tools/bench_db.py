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

db.json              every number, the commands, versions, machine and date
db.{en,zh_CN}.txt    the same as a text table in each language
                     (docs/databases.md shows the one of the page's language)

`python docs/_tools/bench_db.py --render` rewrites the tables from db.json
without measuring; tests/test_databases.py checks that the committed table
are exactly that rendering. Only 127.0.0.1 is loaded, and every process is
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

TEXT = {
    "en": {
        "measured": "Measured {date}, one run per configuration, GET {path} of examples/databases",
        "machine": "Machine:  {cpu}, {cores} cores, {os}",
        "software": ("Software: Python {python}, Django {django}, psycopg {psycopg},\n"
                     "          psycopg-pool {psycopg_pool}, Uvicorn {uvicorn},\n"
                     "          PostgreSQL {postgresql} (max_connections {max_connections}), "
                     "{pgbouncer}"),
        "load": ("Load:     {tool} on the same machine, {connections} connections, "
                 "{threads} threads,\n          {duration} s per configuration"),
        "names": {},
        "columns": ("configuration", "requests", "errors", "peak connections",
                    "connections opened", "p50 ms", "p99 ms"),
        "notes": ["peak connections: the most open at once in pg_stat_activity, sampled",
                  "every 10 ms; connections opened: PostgreSQL's log, from the server's start.",
                  "Each configuration ran the command docs/databases.md shows (a free port",
                  "in place of 8000, PgBouncer's in place of 6432):"],
    },
    "zh_CN": {
        "measured": "测量于 {date}，每种配置运行一次，请求 examples/databases 的 GET {path}",
        "machine": "机器：{cpu}，{cores} 核，{os}",
        "software": ("软件：Python {python}，Django {django}，psycopg {psycopg}，\n"
                     "      psycopg-pool {psycopg_pool}，Uvicorn {uvicorn}，\n"
                     "      PostgreSQL {postgresql}（max_connections {max_connections}），"
                     "{pgbouncer}"),
        "load": ("负载：{tool}，与服务器在同一台机器上，{connections} 个连接，{threads} 个线程，\n"
                 "      每种配置测 {duration} 秒"),
        "names": {"pool": "连接池"},
        "columns": ("配置", "请求数", "错误", "最多同时连接", "新建连接", "p50 毫秒", "p99 毫秒"),
        "notes": ["最多同时连接：每 10 毫秒查询一次 pg_stat_activity，取同一时刻打开连接数的最大值；",
                  "新建连接：从服务器启动算起，PostgreSQL 日志中记录的连接数。",
                  "每种配置运行的都是 docs/databases.md 给出的命令（8000 换成一个空闲端口，",
                  "6432 换成 PgBouncer 的端口）："],
    },
}


def render_table(results: dict, language: str = "en") -> str:
    t, m, load = TEXT[language], results["machine"], results["load"]
    lines = [t["measured"].format(date=results["date"], path=load["path"]),
             t["machine"].format(**m),
             *t["software"].format(max_connections=load["max_connections"], **m).split("\n"),
             *t["load"].format(tool=m["load_tool"], connections=load["connections"],
                               threads=load["threads"], duration=load["duration_s"]).split("\n"),
             ""]
    names = [t["names"].get(r["name"], r["name"]) for r in results["runs"]]
    rows = [t["columns"]]
    for name, r in zip(names, results["runs"]):
        rows.append((name, str(r["requests"]), str(r["socket_errors"] + r["non_2xx_3xx"]),
                     str(r["peak_connections"]), str(r["connections_opened"]),
                     f"{r['latency_ms']['p50']:.1f}", f"{r['latency_ms']['p99']:.1f}"))
    lines += bench.table(rows)
    lines += ["", *t["notes"]]
    for name, r in zip(names, results["runs"]):
        lines += textwrap.wrap(f"{name}: $ {r['command']}", width=78, initial_indent="  ",
                               subsequent_indent="      ", break_on_hyphens=False,
                               break_long_words=False)
    return "\n".join(lines) + "\n"


def write_rendered(results: dict, out: Path | None = None) -> None:
    for language in TEXT:
        (out or OUT).joinpath(f"db.{language}.txt").write_text(
            render_table(results, language), encoding="utf-8")


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
    print(f"bench-db: wrote {OUT.relative_to(ROOT)}/db.json, db.{{en,zh_CN}}.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

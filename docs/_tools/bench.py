"""`make bench`: the documented servers under the same load, on loopback.

Each server in SERVERS is started with the exact command its page shows
(read with page_commands.py, port 8000 replaced by a free port), and
measured in three scenarios, one after another, a few seconds each:

sync    GET / of examples/servers: a synchronous Django view, loaded with
        `wrk` at SYNC_CONNECTIONS connections.
async   GET /quote-shared/ of examples/streaming: an async view that awaits an
        upstream HTTP service which takes UPSTREAM_DELAY seconds to answer
        (docs/_tools/bench_upstream.py, a process of its own), loaded with
        `wrk` at each of ASYNC_CONNECTIONS.
sse     SSE_CONNECTIONS idle Server-Sent Events connections to /events/ of
        examples/streaming, held open at once (each view keeps a connection
        to the upstream open too); the resident memory of the server's
        processes before and after, divided by the connections.

Before each measurement it waits (at most QUIET_WAIT seconds) until other
processes leave the CPU nearly idle, and records how much CPU they took
during it. A failed request is counted, never hidden: the run is written
with its errors, and the table says where they were. The file descriptor
limit is raised first (the servers inherit it), so that a thousand
connections do not run out of descriptors. It writes into
docs/_static/bench/:

results.json          every number, the commands, versions, machine and date
results.LANG.txt      the tables, in English and in Chinese
results.LANG.svg      the charts (plain SVG, no script), in English and in
                      Chinese; docs/choosing-a-server.md shows the one of the
                      reader's language, inline, so that it follows the
                      page's light or dark theme

`python docs/_tools/bench.py --render` rewrites the .txt and .svg files
from results.json without measuring; tests/test_bench.py checks that the
committed files are exactly that rendering.

Only 127.0.0.1 is ever loaded, every measurement stops after a bounded
time, and every server is stopped by its process id (tests/server.py).
"""

from __future__ import annotations

import asyncio
import datetime
import html
import json
import os
import platform
import re
import resource
import secrets
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
import unicodedata
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_tools"))
sys.path.insert(0, str(ROOT / "tests"))

from page_commands import command  # noqa: E402

EXAMPLES = ROOT / "examples"
OUT = ROOT / "docs" / "_static" / "bench"
LANGUAGES = ("en", "zh_CN")
THREADS = 2     # wrk threads
WARMUP = 1      # seconds of load before each measurement, not recorded
DURATION = 5    # seconds of measured load per measurement of the synchronous page
ASYNC_DURATION = 10  # and of the async view, at each number of connections: at 1,024
                     # connections its first answers can take several seconds
TIMEOUT = 10    # wrk counts a request still unanswered after this as an error
QUIET_PERCENT = 10  # before each measurement, wait until other processes use
QUIET_WAIT = 60     # less CPU than this, but no longer than this many seconds

SYNC = {"example": "servers", "path": "/", "expected": "Hello over ASGI"}
SYNC_CONNECTIONS = 64
ASYNC = {"example": "streaming", "path": "/quote-shared/", "expected": "Quote: 42"}
ASYNC_CONNECTIONS = (64, 256, 1024)
UPSTREAM_DELAY = 0.1  # seconds the upstream takes to answer /quote/
SSE = {"example": "streaming", "path": "/events/?topic=bench"}
STREAMING_PAGE = "streaming"  # whose commands start the streaming example
SSE_CONNECTIONS = 1000
SSE_TIMEOUT = 30  # seconds a connection may take to get its first event
SSE_SETTLE = 2  # seconds between the last connection opening and reading the memory

# name, page, start of the page's command, distributions whose versions are shown
SERVERS = [
    ("Uvicorn", "servers/uvicorn", "uvicorn ", ["uvicorn"]),
    ("Gunicorn with Uvicorn workers", "servers/uvicorn", "gunicorn mysite.asgi:application ",
     ["gunicorn", "uvicorn-worker"]),
    ("Hypercorn", "servers/hypercorn", "hypercorn ", ["hypercorn"]),
    ("Daphne", "servers/daphne", "daphne ", ["daphne"]),
    ("Granian", "servers/granian", "granian ", ["granian"]),
    ("Gunicorn's ASGI worker", "servers/gunicorn", "gunicorn mysite.asgi_gunicorn:application ",
     ["gunicorn"]),
]

INSTALL_WRK = """\
bench: `wrk` (https://github.com/wg/wrk) is not installed. It is the load
generator `make bench` uses; it is not needed by `make test`. Install it with
    sudo apt-get install wrk      (Debian, Ubuntu)
    brew install wrk              (macOS)
and run `make bench` again."""


# --------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------

def raise_file_limit(wanted: int = 65536) -> int:
    """Raise the soft limit on open files (the servers, wrk and the upstream
    inherit it): a thousand connections need a descriptor each, twice over
    for a view that holds one to the upstream too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def wrk(url: str, seconds: int, connections: int, threads: int = THREADS) -> dict:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
            "--timeout", f"{TIMEOUT}s", "--latency", url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(output: str) -> dict:
    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$",
                                output, re.M).groups()
        return round(float(value) * _UNITS[unit], 3)

    requests, seconds = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output).groups()[:2]
    errors = sum(int(n) for n in re.findall(
        r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": int(requests),
        "requests_per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]), 1),
        "latency_ms": {"p50": latency(50), "p90": latency(90), "p99": latency(99)},
        "socket_errors": errors,
        "non_2xx_3xx": int(non_2xx[1]) if non_2xx else 0,
    }


def errors_of(result: dict) -> int:
    if "socket_errors" in result:
        return result["socket_errors"] + result["non_2xx_3xx"]
    return result["errors"]


def page_command(page: str, startswith: str):
    """The command a server page shows, as bench runs it."""
    return command(page, startswith)


def start_server(name: str, argv: list[str], example: str, env: dict, ready_path: str,
                 port: int):
    from server import Server

    print(f"bench: {name}: {' '.join(argv)} (in examples/{example}/)", flush=True)
    server = Server(argv, cwd=EXAMPLES / example, env=env, port=port, ready_path=ready_path)
    return server.__enter__()


def stop_server(server) -> str:
    try:
        time.sleep(1)  # let the last connections close before stopping it
        try:
            server.stop()
            return "SIGTERM"
        except AssertionError:  # it was sent SIGKILL after ignoring SIGTERM
            return "SIGKILL (SIGTERM not obeyed within 15 s)"
    finally:
        server.__exit__(None, None, None)


def check_answer(name: str, server, path: str, expected: str) -> None:
    import httpx

    answer = httpx.get(server.url + path, timeout=10)
    if answer.status_code != 200 or not answer.text.startswith(expected):
        raise SystemExit(f"bench: {name} answered {answer.status_code} "
                         f"{answer.text[:200]!r} to {path}, not {expected!r}:\n{tail(server)}")


def load(name: str, server, path: str, connections: int, seconds: int = DURATION,
         warmup: int = WARMUP) -> dict:
    """Warm up (unless `warmup` is 0), then measure `path` with wrk at `connections`."""
    if warmup:
        wait_for_quiet(server.process.pid)
        wrk(server.url + path, warmup, connections)
    # The requests the warm-up (or what came before) left behind go first.
    wait_for_idle(server.process.pid)
    wait_for_quiet(server.process.pid)
    # Other work on the machine skews the numbers: measure how much there was.
    before = cpu_snapshot(server.process.pid)
    result = wrk(server.url + path, seconds, connections)
    result["other_cpu_percent"] = other_cpu_percent(before, cpu_snapshot(server.process.pid))
    if server.process.poll() is not None:
        raise SystemExit(f"bench: {name} died under load:\n{tail(server)}")
    print(f"bench: {name}: GET {path} at {connections} connections: "
          f"{result['requests_per_s']} requests/s, p50 {result['latency_ms']['p50']} ms, "
          f"p99 {result['latency_ms']['p99']} ms, {errors_of(result)} errors, "
          f"other processes used {result['other_cpu_percent']}% of the CPU", flush=True)
    return {"connections": connections, **result}


def session_rss_kib(session: int) -> tuple[int, int]:
    """Resident memory of every process of the server's session, and how many."""
    total, count = 0, 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) != session:
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, ValueError):
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        if found:
            total += int(found[1])
            count += 1
    return total, count


async def _open_sse(port: int, path: str, held: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    held.append(writer)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    seen = b""
    while b"retry:" not in seen:  # the first event the view sends
        chunk = await reader.read(4096)
        if not chunk:
            raise ConnectionError(f"closed before the first event: {seen[:200]!r}")
        seen += chunk
    if not seen.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(f"not a 200: {seen[:200]!r}")


async def _hold_sse(session: int, port: int, path: str, count: int) -> dict:
    held: list = []
    opening = asyncio.Semaphore(50)  # at most 50 being opened at once

    async def one():
        async with opening:
            await asyncio.wait_for(_open_sse(port, path, held), SSE_TIMEOUT)

    before, processes = session_rss_kib(session)
    outcomes = await asyncio.gather(*(one() for _ in range(count)), return_exceptions=True)
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    await asyncio.sleep(SSE_SETTLE)
    after, processes_after = session_rss_kib(session)
    for writer in held:
        writer.close()
    await asyncio.sleep(0.5)
    opened = count - len(failed)
    kinds = sorted({f"{type(f).__name__}: {f}"[:120] for f in failed})
    return {
        "connections": count,
        "opened": opened,
        "errors": len(failed),
        "error_kinds": kinds[:5],
        "processes": processes_after,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "kib_per_connection": round((after - before) / opened, 1) if opened else None,
    }


def hold_sse(name: str, server, path: str, count: int) -> dict:
    wait_for_quiet(server.process.pid)
    result = asyncio.run(_hold_sse(server.process.pid, server.port, path, count))
    print(f"bench: {name}: {result['opened']} of {count} SSE connections open, "
          f"{result['errors']} errors, {result['processes']} processes, RSS "
          f"{result['rss_before_kib']} -> {result['rss_after_kib']} KiB, "
          f"{result['kib_per_connection']} KiB per connection", flush=True)
    if result["error_kinds"]:
        print("bench:   " + "\n bench:   ".join(result["error_kinds"]), flush=True)
    if server.process.poll() is not None:
        raise SystemExit(f"bench: {name} died holding SSE connections:\n{tail(server)}")
    return result


def measure(name: str, page: str, startswith: str, upstream_url: str) -> dict:
    from server import free_port

    shown = page_command(page, startswith)
    # The examples read their secret key from the environment.
    env = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "STREAMING_UPSTREAM_URL": upstream_url}
    stopped = []

    port = free_port()
    server = start_server(name, shlex.split(shown.with_port(port)), SYNC["example"], env,
                          SYNC["path"], port)
    try:
        check_answer(name, server, SYNC["path"], SYNC["expected"])
        sync = load(name, server, SYNC["path"], SYNC_CONNECTIONS)
    finally:
        stopped.append(stop_server(server))

    # The streaming example runs with the streaming page's command, which for
    # Granian raises the streams a worker holds (--backpressure).
    streamed = page_command(STREAMING_PAGE, startswith)
    port = free_port()
    server = start_server(name, shlex.split(streamed.with_port(port)), ASYNC["example"], env,
                          ASYNC["path"], port)
    try:
        check_answer(name, server, ASYNC["path"], ASYNC["expected"])
        # The idle connections first, on a fresh server: the memory they take
        # is not hidden in what the load left allocated. A few first, so that
        # what the first one imports is not counted.
        asyncio.run(_hold_sse(server.process.pid, port, SSE["path"], 10))
        sse = hold_sse(name, server, SSE["path"], SSE_CONNECTIONS)
        # Closing them leaves the server work to do: let it finish first.
        wait_for_idle(server.process.pid)
        # No warm-up of their own: the SSE connections and the check above
        # have run the view's code already.
        async_ = [load(name, server, ASYNC["path"], n, ASYNC_DURATION, 0)
                  for n in ASYNC_CONNECTIONS]
    finally:
        stopped.append(stop_server(server))
    return {"command": shown.text, "page": page, "line": shown.line,
            "streaming_command": streamed.text,
            "sync": sync, "async": async_, "sse": sse,
            "stopped_by": stopped[0] if len(set(stopped)) == 1 else ", ".join(stopped)}


class Upstream:
    """docs/_tools/bench_upstream.py in a process of its own."""

    def __enter__(self):
        from server import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("bench_upstream.py")),
             str(self.port), str(UPSTREAM_DELAY)],
            stdout=subprocess.PIPE, text=True, start_new_session=True)
        if self.process.stdout.readline().strip() != "ready":
            self.process.kill()
            raise SystemExit("bench: the upstream service did not start")
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def cpu_snapshot(session: int) -> dict:
    """CPU seconds so far: the whole machine, the server's processes, and ours."""
    hz = os.sysconf("SC_CLK_TCK")
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    server = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            after = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # The server's processes (a session of their own) and the upstream's,
        # which is part of the async measurements.
        if int(after[3]) in (session, _UPSTREAM_SESSION):
            server += int(after[11]) + int(after[12])
    own = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return {
        "time": time.monotonic(),
        "machine": (user + nice + system + irq + softirq + steal) / hz,
        "server": server / hz,
        "bench": sum(r.ru_utime + r.ru_stime for r in own),  # this script and wrk
    }


_UPSTREAM_SESSION = -1


def other_cpu_percent(before: dict, after: dict) -> float:
    """Share of all cores that processes other than the server, wrk and the upstream used."""
    delta = {k: after[k] - before[k] for k in before}
    other = max(0.0, delta["machine"] - delta["server"] - delta["bench"])
    return round(100 * other / (delta["time"] * (os.cpu_count() or 1)), 1)


def wait_for_quiet(session: int, limit: float = QUIET_PERCENT, patience: int = QUIET_WAIT) -> None:
    """Wait, at most `patience` seconds, until other processes use under `limit`% CPU."""
    deadline = time.monotonic() + patience
    while True:
        before = cpu_snapshot(session)
        time.sleep(1)
        busy = other_cpu_percent(before, cpu_snapshot(session))
        if busy < limit:
            return
        if time.monotonic() > deadline:
            print(f"bench: other processes still use {busy}% of the CPU after "
                  f"{patience} s; measuring anyway", flush=True)
            return


def wait_for_idle(session: int, limit: float = QUIET_PERCENT, patience: int = 30) -> None:
    """Wait, at most `patience` seconds, until the server's own processes are idle."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        before = cpu_snapshot(session)
        time.sleep(1)
        after = cpu_snapshot(session)
        busy = 100 * (after["server"] - before["server"]) / (after["time"] - before["time"])
        if busy < limit:
            return


def tail(server, lines: int = 30) -> str:
    return "\n".join(server.log.splitlines()[-lines:])


# --------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": version("django"),
        "httpx": version("httpx"),
        "load_tool": "wrk " + (wrk_version.split()[1] if wrk_version else "?"),
    }


# --------------------------------------------------------------------------
# Rendering (a pure function of results.json), in each language
# --------------------------------------------------------------------------

TEXT = {
    "en": {
        "measured": "Measured {date}, one run, each server with the command its page shows",
        "machine": "Machine:  {cpu}, {cores} cores, {os}",
        "software": "Software: Python {python}, Django {django}, httpx {httpx}",
        "load": "Load:     {tool} on the same machine, over loopback, {threads} threads,",
        "load2": ("{duration} s for the synchronous page after {warmup} s of warm-up, "
                  "{async_duration} s for the async view at each number of connections"),
        "sync_title": "1. Synchronous page: GET {path} of examples/servers, {connections} "
                      "connections",
        "async_title": ("2. Async view that awaits an upstream answering in {delay} ms: "
                        "GET {path} of examples/streaming"),
        "sse_title": ("3. {connections} idle Server-Sent Events connections held open: "
                      "GET {path} of examples/streaming"),
        "server": "server", "connections": "connections", "rps": "requests/s",
        "vs_best": "vs best", "p50": "p50 ms", "p99": "p99 ms", "errors": "errors",
        "open": "open", "rss_before": "MiB before", "rss_after": "MiB after",
        "per_connection": "KiB each", "processes": "processes",
        "vs_best_note": ("\"vs best\": requests/s as a share of the most any server answered "
                         "at the same connections; for the SSE table, the least memory "
                         "per connection divided by this server's."),
        "errors_none": "Every request of every measurement was answered, without errors.",
        "errors_some": ("Failed requests (socket errors, requests unanswered after {timeout} s, "
                        "answers other than 2xx/3xx, and SSE connections without their first "
                        "event after {sse_timeout} s):"),
        "error_line": "  {name}, {scenario}: {errors} errors",
        "scenario_sync": "synchronous page",
        "scenario_async": "async view at {connections} connections",
        "scenario_sse": "SSE connections ({opened} of {connections} opened)",
        "details": ("For each server: its version, the share of the CPU that other "
                    "processes took during each measurement (work that competed with it), "
                    "and the command its page shows (run with a free port in place of 8000):"),
        "other_cpu": "    other processes took {sync}% of the CPU (sync), {async_} (async)",
        "streaming_command": "    and for the streaming example (async view, SSE), the streaming "
                             "page's:",
        # The charts
        "chart_title": "ASGI servers on one machine",
        "number": "{:,.0f}", "number1": "{:,.1f}",
        "chart_sync": "1. Synchronous page, {connections} connections",
        "chart_async": "2. Async view awaiting a {delay} ms upstream",
        "chart_sse": "3. Memory per idle SSE connection",
        "unit_rps": "requests per second, higher is better",
        "unit_async": "requests per second at 64, 256 and 1024 connections, "
                      "higher is better",
        "unit_kib": "KiB of resident memory, {connections} connections held, lower is better",
        "conn_label": "{connections}",
        "value_errors": "{value}, {errors} errors",
        "kib": "{value} KiB",
        "footer": "{cpu}, {cores} cores, Python {python}, Django {django}, {tool}, {date}",
    },
    "zh_CN": {
        "measured": "测量于 {date}，每台服务器运行一次，均使用其页面给出的命令",
        "machine": "机器：{cpu}，{cores} 核，{os}",
        "software": "软件：Python {python}，Django {django}，httpx {httpx}",
        "load": "负载：{tool}，与服务器在同一台机器上，经回环接口，{threads} 个线程，",
        "load2": "同步页面先预热 {warmup} 秒再测 {duration} 秒，异步视图在每种连接数下各测 {async_duration} 秒",
        "sync_title": "1. 同步页面：examples/servers 的 GET {path}，{connections} 个连接",
        "async_title": "2. 等待上游（{delay} 毫秒后响应）的异步视图：examples/streaming 的 GET {path}",
        "sse_title": "3. 同时保持 {connections} 个空闲的 Server-Sent Events 连接：examples/streaming 的 GET {path}",
        "server": "服务器", "connections": "连接数", "rps": "请求/秒",
        "vs_best": "相对最佳", "p50": "p50 毫秒", "p99": "p99 毫秒", "errors": "错误",
        "open": "已打开", "rss_before": "之前 MiB", "rss_after": "之后 MiB",
        "per_connection": "每个 KiB", "processes": "进程数",
        "vs_best_note": ("“相对最佳”：在相同连接数下，该服务器的每秒请求数占各服务器最高值的比例；"
                         "SSE 表中则是各服务器每个连接的最少内存除以该服务器的值。"),
        "errors_none": "每项测量的每个请求都得到了响应，没有错误。",
        "errors_some": ("失败的请求（套接字错误、{timeout} 秒内没有响应的请求、2xx/3xx 以外的响应，"
                        "以及 {sse_timeout} 秒内没有收到第一个事件的 SSE 连接）："),
        "error_line": "  {name}，{scenario}：{errors} 个错误",
        "scenario_sync": "同步页面",
        "scenario_async": "异步视图，{connections} 个连接",
        "scenario_sse": "SSE 连接（{connections} 个中打开了 {opened} 个）",
        "details": ("各服务器的版本、每项测量期间其他进程占用的 CPU 比例（与它争用 CPU 的工作），"
                    "以及其页面给出的命令（运行时把 8000 换成一个空闲端口）："),
        "other_cpu": "    其他进程占用的 CPU：{sync}%（同步），{async_}（异步）",
        "streaming_command": "    流式示例（异步视图、SSE）则用流式页面给出的命令：",
        "chart_title": "同一台机器上的各 ASGI 服务器",
        "number": "{:.0f}", "number1": "{:.1f}",
        "chart_sync": "1. 同步页面，{connections} 个连接",
        "chart_async": "2. 等待上游 {delay} 毫秒的异步视图",
        "chart_sse": "3. 每个空闲 SSE 连接占用的内存",
        "unit_rps": "每秒请求数，越高越好",
        "unit_async": "64、256 和 1024 个连接时的每秒请求数，越高越好",
        "unit_kib": "常驻内存 KiB，保持 {connections} 个连接，越低越好",
        "conn_label": "{connections}",
        "value_errors": "{value}，{errors} 个错误",
        "kib": "{value} KiB",
        "footer": "{cpu}，{cores} 核，Python {python}，Django {django}，{tool}，{date}",
        "server_names": {"Gunicorn with Uvicorn workers": "Gunicorn 搭配 Uvicorn 工作进程",
                         "Gunicorn's ASGI worker": "Gunicorn 自带的 ASGI 工作进程"},
    },
}


def server_name(t: dict, name: str) -> str:
    """A server's name in the language of ``t``: a product name stays as it
    is, a setup's name is translated (as the pages call it)."""
    return t.get("server_names", {}).get(name, name)


def width(text: str) -> int:
    """Columns a monospace font gives `text`: two for each wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(rows: list[tuple]) -> list[str]:
    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        cells = []
        for j, (cell, w) in enumerate(zip(row, widths)):
            pad = " " * (w - width(cell))
            cells.append(cell + pad if j == 0 else pad + cell)
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def _wrap(text: str, indent: str = "", columns: int = 78) -> list[str]:
    """Wrap `text` to `columns` monospace columns, at spaces, or anywhere in CJK text."""
    lines, line = [], indent
    for piece in re.findall(r"[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff"
                            r"\uff00-\uffef\u3000-\u303f]+\s*|\s+", text):
        if width(line + piece.rstrip()) > columns and line.strip():
            lines.append(line.rstrip())
            line = indent + piece.lstrip()
        else:
            line += piece
    if line.strip():
        lines.append(line.rstrip())
    return lines


def render_table(results: dict, language: str = "en") -> str:
    t = TEXT[language]
    m, load_ = results["machine"], results["load"]
    servers = results["servers"]
    lines = [t["measured"].format(date=results["date"]),
             t["machine"].format(**m),
             t["software"].format(**m)]
    values = dict(tool=m["load_tool"], threads=load_["threads"], duration=load_["duration_s"],
                  warmup=load_["warmup_s"], async_duration=load_["async"]["duration_s"])
    lines.append(t["load"].format(**values))
    lines += _wrap(t["load2"].format(**values), " " * width(t["load"].split("{")[0]))
    lines.append("")

    sync = load_["sync"]
    lines += _wrap(t["sync_title"].format(**sync)) + [""]
    best = max(s["sync"]["requests_per_s"] for s in servers)
    rows = [(t["server"], t["rps"], t["vs_best"], t["p50"], t["p99"], t["errors"])]
    for s in servers:
        r = s["sync"]
        rows.append((server_name(t, s["name"]), f"{r['requests_per_s']:.1f}",
                     f"{r['requests_per_s'] / best:.2f}x", f"{r['latency_ms']['p50']:.1f}",
                     f"{r['latency_ms']['p99']:.1f}", str(errors_of(r))))
    lines += table(rows) + [""]

    asy = load_["async"]
    lines += _wrap(t["async_title"].format(delay=asy["upstream_delay_ms"], path=asy["path"]))
    lines.append("")
    rows = [(t["server"], t["connections"], t["rps"], t["vs_best"], t["p50"], t["p99"],
             t["errors"])]
    for level, n in enumerate(asy["connections"]):
        best = max(s["async"][level]["requests_per_s"] for s in servers)
        for s in servers:
            r = s["async"][level]
            rows.append((server_name(t, s["name"]), str(n), f"{r['requests_per_s']:.1f}",
                         f"{r['requests_per_s'] / best:.2f}x" if best else "-",
                         f"{r['latency_ms']['p50']:.1f}", f"{r['latency_ms']['p99']:.1f}",
                         str(errors_of(r))))
    lines += table(rows) + [""]

    sse = load_["sse"]
    lines += _wrap(t["sse_title"].format(**sse)) + [""]
    least = min(s["sse"]["kib_per_connection"] for s in servers
                if s["sse"]["kib_per_connection"] is not None)
    rows = [(t["server"], t["open"], t["errors"], t["processes"], t["rss_before"],
             t["rss_after"], t["per_connection"], t["vs_best"])]
    for s in servers:
        r = s["sse"]
        each = r["kib_per_connection"]
        rows.append((server_name(t, s["name"]), str(r["opened"]), str(r["errors"]), str(r["processes"]),
                     f"{r['rss_before_kib'] / 1024:.1f}", f"{r['rss_after_kib'] / 1024:.1f}",
                     "-" if each is None else f"{each:.1f}",
                     "-" if not each or each <= 0 else f"{least / each:.2f}x"))
    lines += table(rows) + [""]

    lines += _wrap(t["vs_best_note"]) + [""]
    failed = error_list(results)
    if failed:
        lines += _wrap(t["errors_some"].format(timeout=load_["timeout_s"],
                                               sse_timeout=load_["sse"]["timeout_s"]))
        for name, scenario, errors in failed:
            lines.append(t["error_line"].format(name=server_name(t, name), errors=errors,
                                                scenario=scenario_name(t, scenario)))
    else:
        lines += _wrap(t["errors_none"])
    lines.append("")

    lines += _wrap(t["details"])
    for s in servers:
        lines.append(f"  {server_name(t, s['name'])} {s['version']}")
        lines.append(t["other_cpu"].format(
            sync=f"{s['sync']['other_cpu_percent']:.0f}",
            async_=" / ".join(f"{r['other_cpu_percent']:.0f}%" for r in s["async"])))
        lines += textwrap.wrap(s["command"], width=78, initial_indent="    $ ",
                               subsequent_indent="        ", break_on_hyphens=False,
                               break_long_words=False)
        if s.get("streaming_command", s["command"]) != s["command"]:
            lines.append(t["streaming_command"])
            lines += textwrap.wrap(s["streaming_command"], width=78, initial_indent="    $ ",
                                   subsequent_indent="        ", break_on_hyphens=False,
                                   break_long_words=False)
    return "\n".join(lines) + "\n"


def error_list(results: dict) -> list[tuple[str, dict, int]]:
    """(server, scenario, errors) for every measurement with a failed request."""
    failed = []
    for s in results["servers"]:
        if errors_of(s["sync"]):
            failed.append((s["name"], {"kind": "sync"}, errors_of(s["sync"])))
        for r in s["async"]:
            if errors_of(r):
                failed.append((s["name"], {"kind": "async", "connections": r["connections"]},
                               errors_of(r)))
        if s["sse"]["errors"]:
            failed.append((s["name"], {"kind": "sse", **s["sse"]}, s["sse"]["errors"]))
    return failed


def scenario_name(t: dict, scenario: dict) -> str:
    return t["scenario_" + scenario["kind"]].format(**scenario)


# The charts: plain SVG drawn here, so that every size is known. The page
# inlines the file, scaled to the width of its column (at most MAX_WIDTH
# CSS px): at a 390 px wide column every text is FONT_MIN * 390 / VIEW_WIDTH
# CSS px or more.
VIEW_WIDTH = 400
MAX_WIDTH = 440
FONT_TITLE, FONT, FONT_MIN = 15, 13, 13
BAR, GAP = 14, 6
COLOURS = {
    # class: (light, dark)
    "text": ("#1b1f24", "#e6e8eb"),
    "muted": ("#4a5159", "#b4bac2"),
    "bar": ("#2b6cb0", "#63a4ff"),
    "level0": ("#90b8e6", "#2f5f99"),
    "level1": ("#4a86c8", "#4f8fdc"),
    "level2": ("#1f4e8a", "#9cc7ff"),
    "mem": ("#7a4fb0", "#b894f0"),
    "err": ("#b3261e", "#ff8a80"),
}


def _text_width(text: str, size: float) -> float:
    """A generous estimate of how wide `text` is drawn at `size`: sans-serif
    Latin about 0.6 em a character, CJK 1 em."""
    return sum(size if width(c) == 2 else 0.6 * size for c in text)


def _svg_text(x, y, text, cls="text", size=FONT, anchor="start", weight=None) -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" font-size="{size}"'
            f' text-anchor="{anchor}"{bold}>{html.escape(text)}</text>')


def _svg_lines(text: str, size: float, limit: float = VIEW_WIDTH) -> list[str]:
    """Split `text` into lines no wider than `limit` at `size`."""
    lines, line = [], ""
    for piece in re.findall(r"[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff"
                            r"\uff00-\uffef\u3000-\u303f]+\s*|\s+", text):
        if _text_width((line + piece).rstrip(), size) > limit and line.strip():
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    if line.strip():
        lines.append(line.rstrip())
    return lines


def chart_order(results: dict) -> list[str]:
    """The servers in the order of the tables (and of SERVERS)."""
    return [s["name"] for s in results["servers"]]


def render_chart(results: dict, language: str = "en") -> str:
    t = TEXT[language]
    m, load_ = results["machine"], results["load"]
    servers = results["servers"]
    out, y = [], 0.0

    def heading(text, size=FONT_TITLE, cls="text", weight="bold"):
        nonlocal y
        for line in _svg_lines(text, size):
            y += size * 1.3
            out.append(_svg_text(0, y, line, cls, size, weight=weight))

    def shown(value, errors):
        text = t["number"].format(value)
        return t["value_errors"].format(value=text, errors=errors) if errors else text

    def panel(title, unit, rows):
        """rows: (server, [(label or None, value, shown, bar class)]), in the
        order of the table; one scale for the whole panel, so that the same
        length is the same number, and each value written after its bar."""
        nonlocal y
        heading(title)
        heading(unit, FONT, "muted", None)
        y += 6
        labels = [label for _, bars in rows for label, *_ in bars if label]
        left = max((_text_width(label, FONT) for label in labels), default=-GAP) + GAP
        room = VIEW_WIDTH - left
        scale = min((room - GAP - _text_width(text, FONT)) / value
                    for _, bars in rows for _, value, text, _ in bars if value > 0)
        for name, bars in rows:
            heading(name, FONT, "text", None)
            y += 3
            for label, value, text, cls in bars:
                length = max(1.0, value * scale)
                out.append(f'<rect x="{left:.1f}" y="{y:.1f}" width="{length:.1f}"'
                           f' height="{BAR}" class="{cls}"/>')
                if label:
                    out.append(_svg_text(left - GAP, y + BAR - 2.5, label, "muted", FONT,
                                         anchor="end"))
                failed = text != shown(value, 0) and not text.endswith("KiB")
                out.append(_svg_text(left + length + GAP, y + BAR - 2.5, text,
                                     "err" if failed else "text", FONT))
                y += BAR + 4
        y += 12

    heading(t["chart_title"], FONT_TITLE + 1)
    y += 6
    panel(t["chart_sync"].format(connections=load_["sync"]["connections"]), t["unit_rps"],
          [(server_name(t, s["name"]), [(None, s["sync"]["requests_per_s"],
                         shown(s["sync"]["requests_per_s"], errors_of(s["sync"])), "bar")])
           for s in servers])
    panel(t["chart_async"].format(delay=load_["async"]["upstream_delay_ms"]),
          t["unit_async"],
          [(server_name(t, s["name"]), [(t["conn_label"].format(connections=r["connections"]),
                         r["requests_per_s"], shown(r["requests_per_s"], errors_of(r)),
                         f"level{i}") for i, r in enumerate(s["async"])])
           for s in servers])
    rows = []
    for s in servers:
        r = s["sse"]
        each = r["kib_per_connection"] or 0
        text = t["kib"].format(value=t["number1"].format(each))
        if r["errors"]:
            text = t["value_errors"].format(value=text, errors=r["errors"])
        rows.append((server_name(t, s["name"]), [(None, max(each, 0), text, "mem")]))
    panel(t["chart_sse"], t["unit_kib"].format(connections=load_["sse"]["connections"]), rows)

    heading(t["footer"].format(cpu=m["cpu"], cores=m["cores"], python=m["python"],
                               django=m["django"], tool=m["load_tool"], date=results["date"]),
            FONT, "muted", None)
    height = round(y + 8)

    light = "\n".join(f".bench-chart .{k}{{fill:{v[0]}}}" for k, v in COLOURS.items())
    dark = "\n".join(f".bench-chart .{k}{{fill:{v[1]}}}" for k, v in COLOURS.items())
    forced_light = "\n".join(f'body[data-theme="light"] .bench-chart .{k}{{fill:{v[0]}}}'
                             for k, v in COLOURS.items())
    forced_dark = "\n".join(f'body[data-theme="dark"] .bench-chart .{k}{{fill:{v[1]}}}'
                            for k, v in COLOURS.items())
    style = (
        "/* Light by default; dark when the system asks for it, unless the page's\n"
        "   theme switch (furo's body[data-theme]) says otherwise. */\n"
        ".bench-chart text{font-family:var(--font-stack,system-ui,-apple-system,'Segoe UI',"
        "Roboto,'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif)}\n"
        f"{light}\n@media (prefers-color-scheme: dark){{\n{dark}\n}}\n"
        f"{forced_light}\n{forced_dark}"
    )
    title = t["chart_title"]
    lang = language.replace("_", "-")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bench-chart" lang="{lang}"'
        f' viewBox="0 0 {VIEW_WIDTH} {height}" width="100%"'
        f' style="max-width:{MAX_WIDTH}px;height:auto" role="img"'
        f' aria-label="{html.escape(title)}">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{style}\n</style>\n"
        + "\n".join(out) + "\n</svg>\n"
    )


def write_rendered(results: dict, out: Path | None = None) -> None:
    out = out or OUT
    for language in LANGUAGES:
        (out / f"results.{language}.txt").write_text(render_table(results, language))
        (out / f"results.{language}.svg").write_text(render_chart(results, language))


# --------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    global _UPSTREAM_SESSION
    if argv == ["--render"]:
        write_rendered(json.loads((OUT / "results.json").read_text()))
        return 0
    if shutil.which("wrk") is None:
        print(INSTALL_WRK, file=sys.stderr)
        return 2
    files = raise_file_limit()
    print(f"bench: up to {files} open files per process", flush=True)
    servers = []
    with Upstream() as upstream:
        _UPSTREAM_SESSION = upstream.process.pid
        for name, page, startswith, dists in SERVERS:
            versions = [version(dists[0])] + [f"{d} {version(d)}" for d in dists[1:]]
            servers.append({"name": name, "version": ", ".join(versions),
                            **measure(name, page, startswith, upstream.url)})
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "machine": machine(),
        "load": {
            "threads": THREADS, "warmup_s": WARMUP, "duration_s": DURATION,
            "timeout_s": TIMEOUT, "open_files_limit": files,
            "sync": {"example": SYNC["example"], "path": SYNC["path"],
                     "connections": SYNC_CONNECTIONS},
            "async": {"example": ASYNC["example"], "path": ASYNC["path"],
                      "duration_s": ASYNC_DURATION, "warmup_s": 0,
                      "upstream_delay_ms": round(UPSTREAM_DELAY * 1000),
                      "connections": list(ASYNC_CONNECTIONS)},
            "sse": {"example": SSE["example"], "path": SSE["path"],
                    "connections": SSE_CONNECTIONS, "settle_s": SSE_SETTLE,
                    "timeout_s": SSE_TIMEOUT},
        },
        "servers": servers,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    write_rendered(results)
    print(render_table(results))
    failed = error_list(results)
    if failed:
        print("bench: written, with errors (the table lists them):\n  " + "\n  ".join(
            f"{name}: {scenario_name(TEXT['en'], s)}: {n}" for name, s, n in failed),
            file=sys.stderr)
    print(f"bench: wrote {OUT.relative_to(ROOT)}/results.json, results.{{en,zh_CN}}.txt, "
          "results.{en,zh_CN}.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

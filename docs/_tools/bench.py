"""`make bench`: the documented servers under the same load, on loopback.

Each server in SERVERS is started with the exact command its page shows
(read with page_commands.py, port 8000 replaced by a free port) in
examples/servers/, checked to answer that project's page, then loaded with
`wrk` for a bounded time. Before each server it waits (at most QUIET_WAIT
seconds) until other processes leave the CPU nearly idle, and it records how
much CPU they took during the measurement. Any socket error or non-2xx/3xx
answer fails the run and nothing is written. Otherwise it writes into
docs/_static/bench/:

results.json   every number, the commands, versions, machine and date
results.txt    the same as a text table (docs/choosing-a-server.md shows it)
results.svg    requests per second as a bar chart (plain SVG, no script)

`python docs/_tools/bench.py --render` rewrites results.txt and results.svg
from results.json without measuring; tests/test_bench.py checks that the
committed files are exactly that rendering.

Only 127.0.0.1 is ever loaded, every run stops after DURATION seconds, and
every server is stopped by its process id (tests/server.py).
"""

from __future__ import annotations

import datetime
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
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_tools"))
sys.path.insert(0, str(ROOT / "tests"))

from page_commands import command  # noqa: E402

EXAMPLE = ROOT / "examples" / "servers"
OUT = ROOT / "docs" / "_static" / "bench"
PATH = "/"
EXPECTED = "Hello over ASGI"
CONNECTIONS = 64
THREADS = 2
WARMUP = 2      # seconds of load before measuring, not recorded
DURATION = 10   # seconds of measured load per server
QUIET_PERCENT = 10  # before each server, wait until other processes use less CPU
QUIET_WAIT = 120    # than this, but no longer than this many seconds

# name, page, start of the page's command, distributions whose versions are shown
SERVERS = [
    ("Uvicorn", "servers/uvicorn", "uvicorn ", ["uvicorn"]),
    ("Gunicorn with Uvicorn workers", "servers/uvicorn", "gunicorn mysite.asgi:application ",
     ["gunicorn", "uvicorn-worker"]),
    ("Hypercorn", "servers/hypercorn", "hypercorn ", ["hypercorn"]),
    ("Daphne", "servers/daphne", "daphne ", ["daphne"]),
    ("Granian", "servers/granian", "granian ", ["granian"]),
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

def wrk(url: str, seconds: int, connections: int = CONNECTIONS, threads: int = THREADS) -> dict:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
            "--timeout", "5s", "--latency", url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
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


def page_command(page: str, startswith: str):
    """The command a server page shows, as bench runs it."""
    return command(page, startswith)


def measure(name: str, page: str, startswith: str) -> dict:
    import httpx
    from server import Server, free_port

    port = free_port()
    shown = page_command(page, startswith)
    argv = shlex.split(shown.with_port(port))
    print(f"bench: {name}: {' '.join(argv)}", flush=True)
    # The example reads its secret key from the environment.
    env = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    server = Server(argv, cwd=EXAMPLE, env=env, port=port, ready_path=PATH).__enter__()
    try:
        answer = httpx.get(server.url + PATH)
        if answer.status_code != 200 or not answer.text.startswith(EXPECTED):
            raise SystemExit(f"bench: {name} answered {answer.status_code} "
                             f"{answer.text[:200]!r}, not the example's page:\n{tail(server)}")
        wait_for_quiet(server.process.pid)
        wrk(server.url + PATH, WARMUP)
        # Other work on the machine skews the numbers: measure how much there was.
        before = cpu_snapshot(server.process.pid)
        result = wrk(server.url + PATH, DURATION)
        result["other_cpu_percent"] = other_cpu_percent(before, cpu_snapshot(server.process.pid))
        if server.process.poll() is not None:
            raise SystemExit(f"bench: {name} died under load:\n{tail(server)}")
        time.sleep(1)  # let the last connections close before stopping it
        try:
            server.stop()
            result["stopped_by"] = "SIGTERM"
        except AssertionError:  # it was sent SIGKILL after ignoring SIGTERM
            result["stopped_by"] = "SIGKILL (SIGTERM not obeyed within 15 s)"
    finally:
        server.__exit__(None, None, None)
    return {"command": shown.text, "page": page, "line": shown.line, **result}


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
        if int(after[3]) == session:  # started in a session of its own
            server += int(after[11]) + int(after[12])
    own = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return {
        "time": time.monotonic(),
        "machine": (user + nice + system + irq + softirq + steal) / hz,
        "server": server / hz,
        "bench": sum(r.ru_utime + r.ru_stime for r in own),  # this script and wrk
    }


def other_cpu_percent(before: dict, after: dict) -> float:
    """Share of all cores that processes other than the server and wrk used."""
    delta = {k: after[k] - before[k] for k in before}
    other = max(0.0, delta["machine"] - delta["server"] - delta["bench"])
    return round(100 * other / (delta["time"] * (os.cpu_count() or 1)), 1)


def wait_for_quiet(session: int, limit: float = QUIET_PERCENT, patience: int = QUIET_WAIT) -> None:
    """Wait, at most `patience` seconds, until other processes use under `limit`% CPU."""
    deadline = time.monotonic() + patience
    while True:
        before = cpu_snapshot(session)
        time.sleep(2)
        busy = other_cpu_percent(before, cpu_snapshot(session))
        if busy < limit:
            return
        if time.monotonic() > deadline:
            print(f"bench: other processes still use {busy}% of the CPU after "
                  f"{patience} s; measuring anyway", flush=True)
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
        "load_tool": "wrk " + (wrk_version.split()[1] if wrk_version else "?"),
    }


# --------------------------------------------------------------------------
# Rendering (a pure function of results.json)
# --------------------------------------------------------------------------

def render_table(results: dict) -> str:
    m, load = results["machine"], results["load"]
    fastest = max(s["requests_per_s"] for s in results["servers"])
    lines = [
        f"Measured {results['date']}, one run per server, GET {load['path']} of examples/servers",
        f"Machine:  {m['cpu']}, {m['cores']} cores, {m['os']}",
        f"Software: Python {m['python']}, Django {m['django']}",
        f"Load:     {m['load_tool']} on the same machine, {load['connections']} connections,",
        f"          {load['threads']} threads, {load['duration_s']} s per server "
        f"after {load['warmup_s']} s of warm-up",
        "",
    ]
    rows = [("server", "requests/s", "vs fastest", "p50 ms", "p90 ms", "p99 ms", "errors")]
    for s in results["servers"]:
        rows.append((s["name"], f"{s['requests_per_s']:.1f}",
                     f"{s['requests_per_s'] / fastest:.2f}x",
                     f"{s['latency_ms']['p50']:.1f}", f"{s['latency_ms']['p90']:.1f}",
                     f"{s['latency_ms']['p99']:.1f}",
                     str(s["socket_errors"] + s["non_2xx_3xx"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        cells = [c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += ["", "For each server: its version, the requests answered, the share of the CPU",
              "that other processes took meanwhile (work that competed with it), and the",
              "command its page shows (run with a free port in place of 8000):"]
    for s in results["servers"]:
        lines.append(f"  {s['name']} {s['version']}")
        lines.append(f"    {s['requests']} requests; other processes took "
                     f"{s['other_cpu_percent']:.0f}% of the CPU")
        lines += textwrap.wrap(s["command"], width=78, initial_indent="    $ ",
                               subsequent_indent="        ", break_on_hyphens=False,
                               break_long_words=False)
    return "\n".join(lines) + "\n"


def render_chart(results: dict) -> str:
    import pygal
    from pygal.style import Style

    m = results["machine"]
    servers = results["servers"]
    chart = pygal.HorizontalBar(
        js=[],  # no script: the SVG loads nothing from elsewhere
        width=860, height=120 + 52 * len(servers),
        show_legend=False, print_values=True, print_values_position="top",
        value_formatter=lambda v: f"{v:,.0f}",
        title=(f"Requests per second, GET {results['load']['path']} (higher is better)\n"
               f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, "
               f"Django {m['django']}, {results['date']}"),
        style=Style(background="white", plot_background="white",
                    font_family="sans-serif", title_font_size=15, label_font_size=13,
                    value_font_size=13, colors=("#2b6cb0",)),
        truncate_label=-1,
    )
    # pygal draws the first label at the bottom; list the fastest at the top.
    ordered = sorted(servers, key=lambda s: s["requests_per_s"])
    chart.x_labels = [f"{s['name']} {s['version'].split(',')[0]}" for s in ordered]
    chart.add("requests/s", [s["requests_per_s"] for s in ordered])
    svg = chart.render(is_unicode=True)
    # js=[] loads no script from elsewhere; drop the inline config script too.
    svg = re.sub(r"<script[^>]*>.*?</script>", "", svg, flags=re.S)
    # Make the file a function of the results alone: a fixed id, no render date.
    svg = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "bench", svg)
    svg = re.sub(r"<!--Generated with pygal.*?-->", f"<!--pygal {version('pygal')}-->", svg)
    return svg + "\n"


def write_rendered(results: dict, out: Path | None = None) -> None:
    out = out or OUT
    (out / "results.txt").write_text(render_table(results))
    (out / "results.svg").write_text(render_chart(results))


# --------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    if argv == ["--render"]:
        write_rendered(json.loads((OUT / "results.json").read_text()))
        return 0
    if shutil.which("wrk") is None:
        print(INSTALL_WRK, file=sys.stderr)
        return 2
    servers, failures = [], []
    for name, page, startswith, dists in SERVERS:
        versions = [version(dists[0])] + [f"{d} {version(d)}" for d in dists[1:]]
        result = {"name": name, "version": ", ".join(versions),
                  **measure(name, page, startswith)}
        errors = result["socket_errors"] + result["non_2xx_3xx"]
        print(f"bench: {name}: {result['requests_per_s']} requests/s, "
              f"p50 {result['latency_ms']['p50']} ms, p99 {result['latency_ms']['p99']} ms, "
              f"{errors} errors, other processes used {result['other_cpu_percent']}% "
              "of the CPU", flush=True)
        if errors:
            failures.append(f"{name}: {result['socket_errors']} socket errors, "
                            f"{result['non_2xx_3xx']} non-2xx/3xx answers")
        servers.append(result)
    if failures:
        print("bench: errors under load, nothing written:\n  " + "\n  ".join(failures),
              file=sys.stderr)
        return 1
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "machine": machine(),
        "load": {"path": PATH, "connections": CONNECTIONS, "threads": THREADS,
                 "warmup_s": WARMUP, "duration_s": DURATION},
        "servers": servers,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_rendered(results)
    print(render_table(results))
    print(f"bench: wrote {OUT.relative_to(ROOT)}/results.json, results.txt, results.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

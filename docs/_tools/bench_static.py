"""`make bench-static`: WhiteNoise and ServeStatic serving the same files.

The servers example (examples/servers/) is run with the exact command the
Uvicorn page shows (port 8000 replaced by a free one), twice at the same
time, each with one library's middleware in MIDDLEWARE in place of the
example's, on the same STATIC_ROOT. `collectstatic` fills it with the
example's site.css and a LARGE_SIZE file of random bytes (so that no
compressed copy could help). It measures:

held    on each fresh server in turn, HELD downloads of large.bin whose
        client reads nothing after the first bytes of the body, held open at
        once: the threads and the resident memory of the server's processes
        before and while they are held
small   GET /static/site.css with `wrk` at SMALL_CONNECTIONS connections
large   GET /static/large.bin with `wrk` at LARGE_CONNECTIONS connections,

each load in ROUNDS rounds of DURATION seconds in which the libraries take
turns, so that what else runs on the machine falls on both alike; the table
shows the round with the median requests/s, and every round's. It also
records whether each server's output has Django's warning
"StreamingHttpResponse must consume synchronous iterators". It writes into
docs/_static/bench/:

static.json        every number, the command, versions, machine and date
static.LANG.txt    the table, in English and in Chinese (docs/static-files.md
                   shows the one of the reader's language)

`python docs/_tools/bench_static.py --render` rewrites the .txt files from
static.json without measuring; tests/test_static_files.py checks that the
committed tables are exactly that rendering. Only 127.0.0.1 is loaded, and
every server is stopped by its process id (tests/server.py).
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_tools"))
sys.path.insert(0, str(ROOT / "tests"))

import bench  # noqa: E402

EXAMPLE = ROOT / "examples" / "servers"
OUT = ROOT / "docs" / "_static" / "bench"
PAGE, STARTSWITH = "servers/uvicorn", "uvicorn "
# The example's own middleware, which each run replaces.
EXAMPLE_MIDDLEWARE = "servestatic.middleware.ServeStaticMiddleware"
# name, distribution, the middleware in MIDDLEWARE
LIBRARIES = [
    ("WhiteNoise", "whitenoise", "whitenoise.middleware.WhiteNoiseMiddleware"),
    ("ServeStatic", "servestatic", "servestatic.middleware.ServeStaticMiddleware"),
]
WARNING = "StreamingHttpResponse must consume synchronous iterators"
LARGE_NAME = "large.bin"
LARGE_SIZE = 4 * 1024 * 1024
SMALL_CONNECTIONS = 64
LARGE_CONNECTIONS = 4
DURATION = 3   # seconds of each measured load of site.css
LARGE_DURATION = 6  # and of the large file, long enough for several downloads each
ROUNDS = 3     # of each load, the libraries taking turns; the table shows the median
IDLE_WAIT = 10  # seconds at most to wait for the server to go idle before each load
HELD = 32      # large downloads held open at once
HELD_SETTLE = 2  # seconds between the last one's headers and the count

SETTINGS = '''\
"""The servers example with {middleware} serving its static files."""
from mysite.settings import *  # noqa: F403
from mysite.settings import MIDDLEWARE, STATICFILES_DIRS

if {example!r} not in MIDDLEWARE:
    raise RuntimeError("mysite.settings has no {example} in MIDDLEWARE to replace")
MIDDLEWARE = [{middleware!r} if m == {example!r} else m for m in MIDDLEWARE]
STATICFILES_DIRS = [*STATICFILES_DIRS, {extra!r}]
'''
STORAGE = '''\
STORAGES = {{**STORAGES, "staticfiles": {{"BACKEND": {storage!r}}}}}
'''


def write_settings(folder: Path, module: str, middleware: str, extra: Path,
                   storage: str | None = None) -> dict:
    """Write ``folder/module.py``, the example's settings with ``middleware``
    in place of the example's own and ``extra`` as one more folder of static
    files (and ``storage`` as the staticfiles storage); the environment that
    selects it."""
    text = SETTINGS.format(middleware=middleware, example=EXAMPLE_MIDDLEWARE, extra=str(extra))
    if storage:
        text += STORAGE.format(storage=storage)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(text)
    return {"DJANGO_SETTINGS_MODULE": module, "PYTHONPATH": str(folder)}


def collectstatic(env: dict) -> None:
    done = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"],
                          cwd=EXAMPLE, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"bench-static: collectstatic failed:\n{done.stdout}{done.stderr}")


def session_threads(session: int) -> int:
    """Threads of every process of the server's session."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[3]) == session:
                total += len(list((stat.parent / "task").iterdir()))
        except (OSError, ValueError):
            continue
    return total


def hold(port: int, path: str, count: int) -> list[socket.socket]:
    """``count`` GETs of ``path``, each on its own connection, whose client
    reads the headers and the first bytes of the body, and then no more: the
    server has started sending the file and waits for the client."""
    held = []
    for _ in range(count):
        client = socket.create_connection(("127.0.0.1", port), timeout=30)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        held.append(client)
    for client in held:
        seen = b""
        while b"\r\n\r\n" not in seen or seen.endswith(b"\r\n\r\n"):
            chunk = client.recv(1024)
            if not chunk:
                break
            seen += chunk
        if not seen.startswith(b"HTTP/1.1 200") or seen.endswith(b"\r\n\r\n"):
            raise AssertionError(f"{path} answered {seen[:300]!r}, not a 200 with a body")
    return held


def measure_held(name: str, server) -> dict:
    session = server.process.pid
    bench.wait_for_idle(session)
    threads_before, (rss_before, processes) = session_threads(session), bench.session_rss_kib(session)
    held = hold(server.port, f"/static/{LARGE_NAME}", HELD)
    try:
        time.sleep(HELD_SETTLE)
        threads, (rss, _) = session_threads(session), bench.session_rss_kib(session)
    finally:
        for client in held:
            client.close()
    result = {"downloads": HELD, "processes": processes,
              "threads_before": threads_before, "threads": threads,
              "rss_before_kib": rss_before, "rss_kib": rss}
    print(f"bench-static: {name}: {HELD} held downloads: threads {threads_before} -> {threads}, "
          f"RSS {rss_before} -> {rss} KiB", flush=True)
    return result


def start(name: str, middleware: str, static_root: Path, extra: Path, folder: Path):
    """The Uvicorn page's command with ``middleware`` serving the files; started."""
    from server import free_port

    env = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
           "DJANGO_STATIC_ROOT": str(static_root),
           **write_settings(folder, f"static_bench_{name.lower()}", middleware, extra)}
    shown = bench.page_command(PAGE, STARTSWITH)
    port = free_port()
    server = bench.start_server(name, shlex.split(shown.with_port(port)), "servers", env,
                                "/static/site.css", port)
    bench.check_answer(name, server, "/static/site.css", "body")
    return shown.text, server


def load_once(name: str, server, path: str, connections: int, seconds: int) -> dict:
    """One wrk run, with the share of the CPU that other processes took."""
    session = server.process.pid
    bench.wait_for_idle(session, patience=IDLE_WAIT)
    before = bench.cpu_snapshot(session)
    result = bench.wrk(server.url + path, seconds, connections)
    result["other_cpu_percent"] = bench.other_cpu_percent(before, bench.cpu_snapshot(session))
    if server.process.poll() is not None:
        raise SystemExit(f"bench-static: {name} died under load:\n{bench.tail(server)}")
    print(f"bench-static: {name}: GET {path} at {connections} connections: "
          f"{result['requests_per_s']} requests/s, {bench.errors_of(result)} errors, "
          f"other processes used {result['other_cpu_percent']}% of the CPU", flush=True)
    return result


def median_run(runs: list[dict]) -> dict:
    """The run with the median requests/s, and every round's figures."""
    middle = sorted(runs, key=lambda r: r["requests_per_s"])[len(runs) // 2]
    return {**middle, "rounds": [{"requests_per_s": r["requests_per_s"],
                                  "other_cpu_percent": r["other_cpu_percent"],
                                  "errors": bench.errors_of(r)} for r in runs]}


def measure(servers: dict) -> dict:
    """{name: results}: the held downloads on each fresh server, then ROUNDS
    rounds of each load in which the libraries take turns, so that whatever
    else the machine does falls on both alike."""
    results = {name: {"held": measure_held(name, server)} for name, server in servers.items()}
    loads = [("small", "/static/site.css", SMALL_CONNECTIONS, DURATION),
             ("large", f"/static/{LARGE_NAME}", LARGE_CONNECTIONS, LARGE_DURATION)]
    for name, server in servers.items():  # warm-up, not recorded
        for _, path, connections, _ in loads:
            bench.wrk(server.url + path, bench.WARMUP, connections)
    for kind, path, connections, seconds in loads:
        runs = {name: [] for name in servers}
        for _ in range(ROUNDS):
            for name, server in servers.items():
                runs[name].append(load_once(name, server, path, connections, seconds))
        for name in servers:
            results[name][kind] = median_run(runs[name])
    for name, server in servers.items():
        results[name]["warning"] = WARNING in server.log
    return results


# --------------------------------------------------------------------------
# Rendering (a pure function of static.json), in each language
# --------------------------------------------------------------------------

TEXT = {
    "en": {
        "measured": ("Measured {date}, one run, both libraries at once, each under the command "
                     "of the Uvicorn page:"),
        "machine": "Machine:  {cpu}, {cores} cores, {os}",
        "software": "Software: Python {python}, Django {django}, {libraries}",
        "load": ("Load:     {tool} on the same machine, over loopback, {threads} threads, "
                 "after {warmup} s of warm-up, {rounds} rounds of each load ({duration} s "
                 "for site.css, {large_duration} s for the large file), the libraries taking "
                 "turns"),
        "library": "library", "rps": "requests/s", "ratio": "vs WhiteNoise",
        "rounds": "rounds",
        "threads": "threads", "rss": "MiB", "warning": "warning", "other_cpu": "other CPU",
        "small": "site.css ({size} bytes), {connections} connections",
        "large": "{name} ({mib} MiB), {connections} connections",
        "held": "{downloads} downloads of {name} held open (threads and memory of "
                "the {processes} processes, idle -> held)",
        "yes": "yes", "no": "no",
        "other_cpu_note": ("\"requests/s\" and the columns after it: the round with the median "
                           "requests/s; \"rounds\": the requests/s of every round. \"other CPU\": "
                           "the share of the CPU that other processes took during that round "
                           "(work that competed with the server)."),
        "warning_note": ("\"warning\": the server's output has Django's \"StreamingHttpResponse "
                         "must consume synchronous iterators\"."),
        "and": ", ",
        "errors_none": "Every request of every measurement was answered, without errors.",
        "errors_some": "Failed requests: {errors}.",
    },
    "zh_CN": {
        "measured": "测量于 {date}，运行一次，两个库同时运行，各自使用 Uvicorn 页面给出的命令：",
        "machine": "机器：{cpu}，{cores} 核，{os}",
        "software": "软件：Python {python}，Django {django}，{libraries}",
        "load": ("负载：{tool}，与服务器在同一台机器上，经回环接口，{threads} 个线程，预热 {warmup} 秒后，"
                 "每种负载测 {rounds} 轮（site.css 每轮 {duration} 秒，大文件每轮 {large_duration} 秒），"
                 "两个库轮流进行"),
        "library": "库", "rps": "请求/秒", "ratio": "相对 WhiteNoise",
        "rounds": "各轮",
        "threads": "线程", "rss": "MiB", "warning": "警告", "other_cpu": "其他进程 CPU",
        "small": "site.css（{size} 字节），{connections} 个连接",
        "large": "{name}（{mib} MiB），{connections} 个连接",
        "held": "同时保持 {downloads} 个 {name} 下载（{processes} 个进程的线程数和内存，空闲 -> 保持时）",
        "yes": "有", "no": "无",
        "other_cpu_note": ("“请求/秒”及其后各列：每秒请求数居中的那一轮；“各轮”：每一轮的每秒请求数。"
                           "“其他进程 CPU”：那一轮中其他进程占用的 CPU 比例（与服务器争用 CPU 的工作）。"),
        "warning_note": ("“警告”：服务器的输出中有 Django 的 “StreamingHttpResponse must consume "
                         "synchronous iterators”。"),
        "and": "、",
        "errors_none": "每次测量的每个请求都得到了响应，没有错误。",
        "errors_some": "失败的请求：{errors}。",
    },
}


def hanging(text: str, columns: int = 78) -> list[str]:
    """``text`` ("Label: ...") wrapped, its later lines under the first's text."""
    label = text.split("：" if "：" in text.split(" ", 1)[0] else ":", 1)[0]
    head = len(label) + 1
    while head < len(text) and text[head] == " ":
        head += 1
    indent = " " * bench.width(text[:head])
    body = bench._wrap(text[head:], columns=columns - len(indent))
    return [text[:head] + body[0]] + [indent + line for line in body[1:]]


def render_table(results: dict, language: str = "en") -> str:
    t = TEXT[language]
    m, load = results["machine"], results["load"]
    libraries = results["libraries"]
    base = libraries[0]
    lines = bench._wrap(t["measured"].format(date=results["date"]))
    lines += textwrap.wrap(results["command"], width=78, initial_indent="  $ ",
                           subsequent_indent="      ", break_on_hyphens=False,
                           break_long_words=False)
    lines += [t["machine"].format(**m),
              t["software"].format(libraries=t["and"].join(f"{lib['name']} {lib['version']}"
                                                        for lib in libraries), **m)]
    lines += hanging(t["load"].format(tool=m["load_tool"], threads=load["threads"],
                                      duration=load["duration_s"], warmup=load["warmup_s"],
                                      rounds=load["rounds"],
                                      large_duration=load["large_duration_s"]))
    lines.append("")

    for kind in ("small", "large"):
        title = t[kind].format(size=load["small_bytes"], name=load["large_name"],
                               mib=load["large_bytes"] // (1024 * 1024),
                               connections=load[f"{kind}_connections"])
        lines += bench._wrap(title) + [""]
        rows = [(t["library"], t["rps"], t["ratio"], "p50 ms", "p99 ms", t["other_cpu"],
                 t["rounds"])]
        for lib in libraries:
            r = lib[kind]
            rows.append((lib["name"], f"{r['requests_per_s']:.1f}",
                         f"{r['requests_per_s'] / base[kind]['requests_per_s']:.2f}x",
                         f"{r['latency_ms']['p50']:.1f}", f"{r['latency_ms']['p99']:.1f}",
                         f"{r['other_cpu_percent']:.0f}%",
                         " ".join(f"{x['requests_per_s']:.0f}" for x in r["rounds"])))
        lines += bench.table(rows) + [""]

    held = base["held"]
    lines += bench._wrap(t["held"].format(downloads=held["downloads"], name=load["large_name"],
                                          processes=held["processes"])) + [""]
    rows = [(t["library"], t["threads"], t["rss"], t["warning"])]
    for lib in libraries:
        h = lib["held"]
        rows.append((lib["name"], f"{h['threads_before']} -> {h['threads']}",
                     f"{h['rss_before_kib'] / 1024:.0f} -> {h['rss_kib'] / 1024:.0f}",
                     t["yes"] if lib["warning"] else t["no"]))
    lines += bench.table(rows) + [""]
    lines += bench._wrap(t["other_cpu_note"]) + bench._wrap(t["warning_note"])
    errors = [f"{lib['name']} {kind} {x['errors']}" for lib in libraries
              for kind in ("small", "large") for x in lib[kind]["rounds"] if x["errors"]]
    lines += bench._wrap(t["errors_some"].format(errors=", ".join(errors)) if errors
                         else t["errors_none"])
    return "\n".join(lines) + "\n"


def write_rendered(results: dict, out: Path | None = None) -> None:
    out = out or OUT
    for language in bench.LANGUAGES:
        (out / f"static.{language}.txt").write_text(render_table(results, language))


def main(argv: list[str]) -> int:
    if argv == ["--render"]:
        write_rendered(json.loads((OUT / "static.json").read_text()))
        return 0
    if shutil.which("wrk") is None:
        print(bench.INSTALL_WRK.replace("make bench", "make bench-static"), file=sys.stderr)
        return 2
    bench.raise_file_limit()
    libraries = []
    with tempfile.TemporaryDirectory(prefix="bench-static-") as tmp:
        tmp = Path(tmp)
        extra, static_root = tmp / "extra", tmp / "static_root"
        extra.mkdir()
        (extra / LARGE_NAME).write_bytes(os.urandom(LARGE_SIZE))
        collectstatic({"DJANGO_SECRET_KEY": "collectstatic", "DJANGO_STATIC_ROOT": str(static_root),
                       **write_settings(tmp / "settings", "static_bench_collect",
                                        EXAMPLE_MIDDLEWARE, extra)})
        servers, stopped = {}, []
        try:
            for name, dist, middleware in LIBRARIES:
                command, servers[name] = start(name, middleware, static_root, extra,
                                               tmp / "settings")
            measured = measure(servers)
        finally:
            for server in servers.values():
                stopped.append(bench.stop_server(server))
        for name, dist, middleware in LIBRARIES:
            libraries.append({"name": name, "version": version(dist), "middleware": middleware,
                              **measured[name]})
    small_bytes = (EXAMPLE / "mysite/static/site.css").stat().st_size
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "machine": bench.machine(),
        "command": command,
        "stopped_by": ", ".join(sorted(set(stopped))),
        "load": {"threads": bench.THREADS, "warmup_s": bench.WARMUP, "duration_s": DURATION,
                 "large_duration_s": LARGE_DURATION,
                 "rounds": ROUNDS,
                 "timeout_s": bench.TIMEOUT, "small_bytes": small_bytes,
                 "small_connections": SMALL_CONNECTIONS, "large_name": LARGE_NAME,
                 "large_bytes": LARGE_SIZE, "large_connections": LARGE_CONNECTIONS,
                 "held_settle_s": HELD_SETTLE},
        "libraries": libraries,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "static.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    write_rendered(results)
    print(render_table(results))
    print(f"bench-static: wrote {OUT.relative_to(ROOT)}/static.json, static.{{en,zh_CN}}.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Start a real server process on a free 127.0.0.1 port and stop it by pid.

    with Server(["uvicorn", "mysite.asgi:application", "--port", "{port}"],
                cwd=example.path) as server:
        httpx.get(server.url + "/hello/")

``{port}`` in the command is replaced by a free port (``uds=PATH`` waits for a
server on that Unix socket instead). The server's output
goes to a log file; ``server.log`` reads it. If the server never answers,
the error shows that log. Leaving the block sends SIGTERM and records the
exit code in ``server.returncode``; if the block fails, the server's log is
printed, and pytest shows it with the failure.
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


# Ports below the kernel's ephemeral range, so that no client socket and no bind
# to port 0 can take one between free_port() and the server's own bind. Each
# pytest-xdist worker (and the main process) draws from its own slice, in turn,
# so that two workers, or two servers of one test, never get the same port.
PORTS_LOW, SLICES = 10000, 17
_SLICE = (_ephemeral_low() - PORTS_LOW) // SLICES


def _slice_start() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ...
    index = int(worker[2:]) + 1 if worker[2:].isdigit() else 0
    return PORTS_LOW + (index % SLICES) * _SLICE


_next_in_slice = os.getpid() % _SLICE  # a child process that also picks starts elsewhere


def free_port() -> int:
    """A port of 127.0.0.1 that nothing is bound to, from this process's slice."""
    global _next_in_slice
    start = _slice_start()
    for _ in range(_SLICE):
        port = start + _next_in_slice
        _next_in_slice = (_next_in_slice + 1) % _SLICE
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use, or still in TIME_WAIT
            return port
    raise OSError(f"no free port on 127.0.0.1 in {start}-{start + _SLICE - 1}")


class ServerDidNotStart(AssertionError):
    pass


class Server:
    def __init__(self, argv, cwd, env=None, port=None, ready_path="/", timeout=30, uds=None):
        self.port = port or free_port()
        self.uds = uds  # a Unix socket the server listens on instead of the port
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        if not os.path.isabs(self.argv[0]) and (BIN / self.argv[0]).exists():
            self.argv[0] = str(BIN / self.argv[0])
        self.cwd = Path(cwd)
        inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        self.env = {**inherited, "PATH": f"{BIN}:{os.environ['PATH']}",
                    "PYTHONUNBUFFERED": "1", **(env or {})}
        self.ready_path = ready_path
        self.timeout = timeout
        self.url = f"http://127.0.0.1:{self.port}"
        self.returncode = None

    @property
    def log(self) -> str:
        self._logfile.flush()
        return Path(self._logfile.name).read_text(errors="replace")

    def __enter__(self):
        self._logfile = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdout=self._logfile,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerDidNotStart(
                    f"{' '.join(self.argv)} exited with {self.process.returncode}:\n{self.log}")
            try:
                transport = httpx.HTTPTransport(uds=str(self.uds)) if self.uds else None
                with httpx.Client(transport=transport, timeout=1) as client:
                    client.get(self.url + self.ready_path)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise ServerDidNotStart(
            f"{' '.join(self.argv)} did not answer on {self.url} within {self.timeout}s:\n{self.log}")

    def stop(self, timeout=15, group=False) -> int:
        """SIGTERM to the main process, or with ``group`` to every process of
        its session at once, as systemd's default KillMode=control-group does;
        then wait up to ``timeout`` for the main process to exit."""
        if self.process.poll() is None:
            if group:
                os.killpg(self.process.pid, signal.SIGTERM)
            else:
                os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                raise AssertionError(f"{self.argv[0]} ignored SIGTERM for {timeout}s:\n{self.log}")
        self.returncode = self.process.returncode
        return self.returncode

    def show_logs(self):
        print(f"--- log of {' '.join(self.argv)} ---\n{self.log}")

    def __exit__(self, exc_type, *exc):
        try:
            self.stop()
        finally:
            if exc_type is not None:
                self.show_logs()
            # Children that outlived their parent (worker processes) go too.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._logfile.close()
            os.unlink(self._logfile.name)


def enter_side_by_side(stack: ExitStack, managers: list) -> list:
    """Enter every context manager at once, each in a thread; ``stack`` exits them."""
    with ThreadPoolExecutor(len(managers)) as pool:
        futures = [pool.submit(manager.__enter__) for manager in managers]
    values, error = [], None
    for manager, future in zip(managers, futures):
        try:
            values.append(future.result())
            stack.push(manager.__exit__)
        except BaseException as exc:  # noqa: BLE001 - raised below, once all are on the stack
            error = error or exc
    if error:
        raise error
    return values

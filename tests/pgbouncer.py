"""Start Debian's PgBouncer in front of a test PostgreSQL, and stop it by pid.

    with Postgres() as pg, PgBouncer(EXAMPLE / "deploy/pgbouncer.ini", pg) as bouncer:
        env = pg.env(DB_PORT=str(bouncer.port), DB_PGBOUNCER="1")

The configuration is the example's own file with only its ports and paths
filled in: PgBouncer listens on a free port of 127.0.0.1 and forwards to the
test PostgreSQL; its log and pid file go to a temporary folder, and clients
are trusted, as the test PostgreSQL trusts them. If the block fails, its log
is printed. Like PostgreSQL, PgBouncer refuses to run as root; as root it runs
as the ``postgres`` user (postgres.unprivileged()).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from postgres import USER, unprivileged
from server import free_port

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"

# The example's production values, and what a test run puts in their place.
EXAMPLE_SERVER = "host=127.0.0.1 port=5432"
EXAMPLE_LISTEN = "listen_port = 6432"
EXAMPLE_AUTH = "auth_type = scram-sha-256"
EXAMPLE_AUTH_FILE = "auth_file = /etc/pgbouncer/userlist.txt"
EXAMPLE_LOG = "logfile = /var/log/postgresql/pgbouncer.log"
EXAMPLE_PID = "pidfile = /var/run/postgresql/pgbouncer.pid"


class PgBouncerDidNotStart(AssertionError):
    pass


class PgBouncer:
    def __init__(self, config: Path, postgres, timeout=10):
        if not Path(PGBOUNCER).exists():
            raise PgBouncerDidNotStart(
                "pgbouncer is not installed: `apt-get install pgbouncer` (.ci/run does it)")
        self.config = Path(config)
        self.postgres = postgres
        self.port = free_port()
        self.timeout = timeout
        self.as_user, self.owner = unprivileged()

    def filled_in(self, text: str) -> str:
        """The example's configuration with this run's ports and paths."""
        replacements = [
            (EXAMPLE_SERVER, f"host={self.postgres.host} port={self.postgres.port}"),
            (EXAMPLE_LISTEN, f"listen_port = {self.port}"),
            (EXAMPLE_AUTH, "auth_type = trust"),
            (EXAMPLE_AUTH_FILE, f"auth_file = {self.dir}/userlist.txt"),
            (EXAMPLE_LOG, f"logfile = {self.dir}/pgbouncer.log"),
            (EXAMPLE_PID, f"pidfile = {self.dir}/pgbouncer.pid"),
        ]
        for old, new in replacements:
            if old not in text:
                raise ValueError(f"{self.config}: expected {old!r} in the configuration")
            text = text.replace(old, new)
        return text

    @property
    def log(self) -> str:
        path = self.dir / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def show_logs(self):
        print(f"--- PgBouncer log ({self.dir}/pgbouncer.log) ---\n{self.log}")

    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        (self.dir / "userlist.txt").write_text(f'"{USER}" ""\n')
        (self.dir / "pgbouncer.ini").write_text(self.filled_in(self.config.read_text()))
        if self.owner:
            for path in (self.dir, *self.dir.iterdir()):
                os.chown(path, *self.owner)
        self.process = subprocess.Popen(
            [*self.as_user, PGBOUNCER, str(self.dir / "pgbouncer.ini")], cwd=self.dir,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log
                self.__exit__(PgBouncerDidNotStart, None, None)
                raise PgBouncerDidNotStart(
                    f"pgbouncer exited with {self.process.returncode}:\n{log}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        log = self.log
        self.__exit__(PgBouncerDidNotStart, None, None)
        raise PgBouncerDidNotStart(f"pgbouncer did not listen within {self.timeout}s:\n{log}")

    def stop(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)  # immediate shutdown
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __exit__(self, exc_type, *exc):
        try:
            self.stop()
            if exc_type is not None:
                self.show_logs()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

"""Start Debian's PostgreSQL in a temporary data folder, and stop it by pid.

    with Postgres() as pg:
        env = pg.env()                     # DB_HOST, DB_PORT, DB_NAME, DB_USER
        pg.query("SELECT count(*) FROM pg_stat_activity")

``initdb`` makes a new cluster in a temporary folder; ``postgres`` then
listens on a free port of 127.0.0.1 and on a Unix socket in a private folder,
with PostgreSQL's own ``max_connections`` unless one is given, and logs every connection
(``log_connections``), so ``connections_opened(application_name)`` counts
what a program opened from the log. Durability is off (``fsync``), as befits
a throwaway cluster. The server's output goes to a log file
(``pg.log``); if the block fails, the log is printed, and pytest shows it
with the failure. Leaving the block sends SIGINT ("fast" shutdown) to the
postgres process itself, by its pid, and deletes the folder.

PostgreSQL refuses to run as root. When the tests run as root (in a
container), initdb and postgres run as the ``postgres`` user that Debian's
package creates, through ``setpriv``, which execs the program itself: the
pid we hold is the server's.
"""

import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from server import free_port

INSTALL = ("PostgreSQL's server programs (initdb, postgres) were not found: "
           "install Debian's `postgresql` package (`apt-get install postgresql`; "
           ".ci/run does it)")
# Only the tests' own database user and database.
USER = "postgres"
DATABASE = "mysite"


def bindir() -> Path:
    """The folder of initdb and postgres: pg_config's, else Debian's newest."""
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if done.returncode == 0:
            candidates.append(done.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(re.search(r"/(\d+)/bin", p)[1]), reverse=True)
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "postgres").exists():
            return Path(folder)
    raise PostgresDidNotStart(INSTALL)


class PostgresDidNotStart(AssertionError):
    pass


def unprivileged():
    """(argv prefix, (uid, gid) or None): how to run a program that refuses root."""
    if os.geteuid() != 0:
        return [], None
    try:
        pw = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresDidNotStart(
            "running as root, and there is no `postgres` user to run PostgreSQL "
            "as (Debian's postgresql package creates it)") from None
    return (["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups", "--"],
            (pw.pw_uid, pw.pw_gid))


class Postgres:
    def __init__(self, max_connections=None, timeout=30, settings=None):
        self.bin = bindir()
        self.port = free_port()
        self.host = "127.0.0.1"
        self.max_connections = max_connections
        self.settings = settings or {}
        self.timeout = timeout
        self.as_user, self.owner = unprivileged()

    # ----------------------------------------------------------------------

    def _owned(self, path: Path) -> Path:
        if self.owner:
            os.chown(path, *self.owner)
        return path

    @property
    def log(self) -> str:
        path = self.dir / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def show_logs(self):
        print(f"--- PostgreSQL log ({self.dir}/postgres.log) ---\n{self.log}")

    def env(self, **extra) -> dict:
        """Environment variables that point the example's settings here."""
        return {"DB_HOST": self.host, "DB_PORT": str(self.port), "DB_NAME": DATABASE,
                "DB_USER": USER, **extra}

    def connect(self, dbname=DATABASE, **kwargs) -> psycopg.Connection:
        return psycopg.connect(host=self.host, port=self.port, user=USER, dbname=dbname,
                               autocommit=True, application_name="tests-monitor", **kwargs)

    def query(self, sql, params=None, dbname=DATABASE):
        with self.connect(dbname) as conn:
            return conn.execute(sql, params).fetchall()

    def connections(self, application_name=None) -> int:
        """Connections to the database open right now: those with this
        application_name, or all but the tests' own."""
        sql = ("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
               "AND datname = %s AND application_name <> 'tests-monitor'")
        params = [DATABASE]
        if application_name is not None:
            sql += " AND application_name = %s"
            params.append(application_name)
        return self.query(sql, params)[0][0]

    def log_mark(self) -> int:
        """Where the log ends now: connections_opened(since=...) counts after it."""
        return len(self.log)

    def connections_opened(self, application_name=None, since=0) -> int:
        """Connections to the database opened so far (after the log position
        ``since``), with this application_name or by anything but the tests."""
        # PostgreSQL 15 leaves application_name out of the line when a client
        # (PgBouncer, for one) sends none.
        found = re.findall(
            rf"connection authorized: user=\S+ database={DATABASE}(?: application_name=(.*))?$",
            self.log[since:], re.M)
        if application_name is not None:
            return found.count(application_name)
        return len([name for name in found if name != "tests-monitor"])

    def peak(self, application_name=None) -> "Peak":
        """``with pg.peak() as peak:``: the most connections open at once
        while the block ran, in ``peak.peak``, sampled every 10 ms (so the
        true peak may be higher, never lower)."""
        return Peak(self, application_name)

    # ----------------------------------------------------------------------

    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="postgres-"))
        self._owned(self.dir)
        data = self.dir / "data"
        data.mkdir(mode=0o700)
        self._owned(data)
        sockets = self.dir / "sockets"
        sockets.mkdir(mode=0o700)
        self._owned(sockets)
        self.socket_dir = sockets
        try:
            initdb = subprocess.run(
                [*self.as_user, str(self.bin / "initdb"), "-D", str(data), "-U", USER,
                 "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C"],
                capture_output=True, text=True, cwd=self.dir)
            if initdb.returncode != 0:
                raise PostgresDidNotStart(
                    f"initdb failed ({initdb.returncode}):\n{initdb.stdout}{initdb.stderr}")
            settings = {"listen_addresses": self.host, "port": self.port,
                        "unix_socket_directories": str(sockets),
                        "log_connections": "on", "log_disconnections": "on",
                        "fsync": "off", "full_page_writes": "off",
                        "synchronous_commit": "off", **self.settings}
            if self.max_connections is not None:
                settings["max_connections"] = self.max_connections
            argv = [*self.as_user, str(self.bin / "postgres"), "-D", str(data)]
            for name, value in settings.items():
                argv += ["-c", f"{name}={value}"]
            # The log file is ours (root's); the server writes to the open
            # descriptor it inherits.
            self._logfile = open(self.dir / "postgres.log", "w")
            self.process = subprocess.Popen(argv, stdout=self._logfile,
                                            stderr=subprocess.STDOUT, cwd=self.dir,
                                            start_new_session=True)
            self._wait_until_ready()
            with self.connect("postgres") as conn:
                conn.execute(f"CREATE DATABASE {DATABASE}")
        except BaseException:
            self.__exit__(PostgresDidNotStart, None, None)
            raise
        return self

    def _wait_until_ready(self):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PostgresDidNotStart(
                    f"postgres exited with {self.process.returncode}:\n{self.log}")
            try:
                self.connect("postgres", connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.05)
        raise PostgresDidNotStart(
            f"postgres did not accept connections within {self.timeout}s:\n{self.log}")

    def stop(self):
        process = getattr(self, "process", None)
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGINT)  # fast shutdown: ends every session
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def __exit__(self, exc_type, *exc):
        try:
            self.stop()
            if exc_type is not None:
                self.show_logs()
        finally:
            if getattr(self, "_logfile", None):
                self._logfile.close()
            shutil.rmtree(self.dir, ignore_errors=True)


class Peak(threading.Thread):
    def __init__(self, pg, application_name=None):
        super().__init__(daemon=True)
        self.pg, self.application_name = pg, application_name
        self.peak, self._done = 0, threading.Event()

    def run(self):
        with self.pg.connect() as conn:
            while not self._done.is_set():
                count = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                    " AND datname = %s AND application_name <> 'tests-monitor'"
                    + (" AND application_name = %s" if self.application_name else ""),
                    [DATABASE, *([self.application_name] if self.application_name else [])],
                ).fetchone()[0]
                self.peak = max(self.peak, count)
                time.sleep(0.01)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self.join()

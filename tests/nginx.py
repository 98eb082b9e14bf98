"""Start Debian's nginx in front of a server, with real TLS, and stop it by pid.

    with Nginx(EXAMPLE / "deploy/nginx.conf", upstream="127.0.0.1:8123",
               static_root=root) as proxy:
        proxy.client().get(proxy.https_url + "/")

The site configuration is the example's own file with only its ports and
paths filled in: the two ``listen`` ports become free ports on 127.0.0.1, the
upstream becomes ``upstream``, the certificate is one made for this run by
trustme, and the static folder is ``static_root`` (None for a configuration
that serves no static files). A small main
configuration around it keeps everything nginx writes (pid, logs, temporary
files) in a temporary folder. If the block fails, nginx's error log and the
tail of its access log are printed (``show_logs()``), and pytest shows them
with the failure.
"""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import trustme

from server import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIME_TYPES = Path("/etc/nginx/mime.types")

# The example's production values, and what a test run puts in their place.
EXAMPLE_UPSTREAM = "server 127.0.0.1:8000;"
EXAMPLE_CERT = "/etc/ssl/example.com/fullchain.pem"
EXAMPLE_KEY = "/etc/ssl/example.com/privkey.pem"
EXAMPLE_STATIC = "/srv/mysite/staticfiles/"

MAIN_CONF = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 256; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    log_format upstream '$remote_addr "$request" $status upstream=$upstream_addr';
    access_log {dir}/access.log upstream;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/site.conf;
}}
"""


class NginxDidNotStart(AssertionError):
    pass


class Nginx:
    def __init__(self, site_conf: Path, upstream: str, static_root: Path | None, timeout=10):
        if not Path(NGINX).exists():
            raise NginxDidNotStart(
                "nginx is not installed: `apt-get install nginx` (.ci/run does it)")
        self.site_conf = Path(site_conf)
        self.upstream = upstream
        self.static_root = Path(static_root) if static_root is not None else None
        self.timeout = timeout
        self.http_port = free_port()
        self.https_port = free_port()
        self.http_url = f"http://localhost:{self.http_port}"
        self.https_url = f"https://localhost:{self.https_port}"
        self.ca = trustme.CA()

    def site(self, text: str) -> str:
        """The example's site configuration with this run's ports and paths."""
        replacements = [
            (EXAMPLE_UPSTREAM, f"server {self.upstream};"),
            ("listen 80;", f"listen 127.0.0.1:{self.http_port};"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https_port} ssl http2;"),
            (":443$request_uri", f":{self.https_port}$request_uri"),
            (EXAMPLE_CERT, str(self.dir / "cert.pem")),
            (EXAMPLE_KEY, str(self.dir / "key.pem")),
        ]
        if self.static_root is not None:  # a configuration without static files has none
            replacements.append((EXAMPLE_STATIC, f"{self.static_root}/"))
        elif EXAMPLE_STATIC in text:
            raise ValueError(f"{self.site_conf} serves static files: give a static_root")
        for old, new in replacements:
            if old not in text:
                raise ValueError(f"{self.site_conf}: expected {old!r} in the configuration")
            text = text.replace(old, new)
        return text

    def _log(self, name: str) -> str:
        path = self.dir / name
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def error_log(self) -> str:
        return self._log("error.log")

    @property
    def access_log(self) -> str:
        return self._log("access.log")

    def client(self, local_address=None, http2=True, **kwargs) -> httpx.Client:
        """A client that trusts this run's certificate (HTTP/2 unless told)."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        transport = httpx.HTTPTransport(verify=context, http2=http2, local_address=local_address)
        return httpx.Client(transport=transport, timeout=10, **kwargs)

    def __enter__(self):
        # nginx's workers run as an unprivileged user when nginx starts as
        # root: they must be able to reach the static files and temp folders.
        self.dir = Path(tempfile.mkdtemp(prefix="nginx-"))
        self.dir.chmod(0o755)
        cert = self.ca.issue_cert("localhost", "127.0.0.1")
        cert.private_key_pem.write_to_path(self.dir / "key.pem")
        cert.cert_chain_pems[0].write_to_path(self.dir / "cert.pem")
        for extra in cert.cert_chain_pems[1:]:
            extra.write_to_path(self.dir / "cert.pem", append=True)
        (self.dir / "site.conf").write_text(self.site(self.site_conf.read_text()))
        (self.dir / "nginx.conf").write_text(
            MAIN_CONF.format(dir=self.dir, mime_types=MIME_TYPES))
        argv = [NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                "-e", str(self.dir / "error.log")]
        tested = subprocess.run([*argv, "-t"], capture_output=True, text=True)
        if tested.returncode != 0:
            raise NginxDidNotStart(f"nginx -t rejected {self.site_conf}:\n{tested.stderr}")
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NginxDidNotStart(
                    f"nginx exited with {self.process.returncode}:\n{self.error_log}")
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise NginxDidNotStart(f"nginx did not listen within {self.timeout}s:\n{self.error_log}")

    def stop(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGQUIT)  # graceful shutdown
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def show_logs(self):
        """Print nginx's error log and the end of its access log."""
        print(f"--- nginx error log ({self.dir}/error.log) ---\n{self.error_log}")
        print("--- nginx access log, last lines ---\n"
              + "\n".join(self.access_log.splitlines()[-20:]))

    def __exit__(self, exc_type, *exc):
        try:
            self.stop()
            if exc_type is not None:
                self.show_logs()
        finally:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            shutil.rmtree(self.dir, ignore_errors=True)

"""docs/behind-a-proxy.md: every server page's command behind real nginx with TLS.

nginx runs the example's own configuration, examples/servers/deploy/nginx.conf,
with only its ports and paths filled in (tests/nginx.py), in front of each
server started with the exact command its page shows. The client connects
from 127.0.0.2, nginx listens on 127.0.0.1: so the address Django reports
tells the client (127.0.0.2) from the proxy (127.0.0.1).
"""

import re
import secrets
import shlex
import socket
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from nginx import Nginx
from server import Server, free_port
from test_servers import (EXAMPLE, EXPECTED, ROOT, SERVERS, argv_for, collectstatic, page_text,
                          server_env, short_name, started, wait_until)

sys.path.insert(0, str(ROOT / "docs" / "_tools"))
from page_commands import command  # noqa: E402

SITE_CONF = EXAMPLE / "deploy/nginx.conf"
PAGE = "behind-a-proxy"
CLIENT = "127.0.0.2"
# What Django logs when it refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE.
BODY_TOO_BIG = "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."
FORGED = {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Host": "evil.example",
          "X-Forwarded-Proto": "http", "X-Forwarded-Port": "1"}
HSTS = "max-age=31536000; includeSubDomains; preload"
# The common nginx line that appends the client's address to what it sent.
APPEND = ("proxy_set_header X-Forwarded-For $remote_addr;",
          "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;")


@pytest.fixture(scope="module")
def readable_static_root():
    """collectstatic into a folder that nginx's workers (user nobody) can read."""
    root = Path(tempfile.mkdtemp(prefix="static-"))
    root.chmod(0o755)
    collectstatic(root)
    return root


@pytest.fixture(scope="module", params=SERVERS, ids=[short_name(s) for _, s in SERVERS])
def proxied(request, readable_static_root):
    """(server, nginx): the page's server command, behind the example's nginx."""
    page, startswith = request.param
    expected = EXPECTED[startswith]
    port = free_port()
    argv = argv_for(page, startswith, port)
    with started(argv, port, readable_static_root, expected) as server, \
            Nginx(SITE_CONF, f"127.0.0.1:{port}", readable_static_root) as proxy:
        yield server, proxy


@pytest.fixture(autouse=True)
def logs_when_a_test_fails(request):
    """The module-scoped nginx and server outlive a failing test: print their logs."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and "proxied" in request.fixturenames:
        server, proxy = request.getfixturevalue("proxied")
        proxy.show_logs()
        server.show_logs()


def get(proxy, path, **kwargs):
    with proxy.client(local_address=CLIENT) as client:
        return client.get(proxy.https_url + path, **kwargs)


def test_https_through_nginx_is_http2_with_hsts(proxied):
    server, proxy = proxied
    response = get(proxy, "/")
    assert response.status_code == 200
    assert response.http_version == "HTTP/2"
    assert response.headers["strict-transport-security"] == HSTS
    assert response.headers["x-served-by"] == "asgi"
    # nginx speaks HTTP/1.1 to the server, whatever the client speaks.
    assert response.text == "Hello over ASGI 3.0, HTTP/1.1\n"


def test_django_sees_the_client_https_and_the_host(proxied):
    server, proxy = proxied
    response = get(proxy, "/client/")
    assert response.text == f"{CLIENT} https localhost:{proxy.https_port}\n"


def test_forwarded_headers_from_the_client_change_nothing(proxied):
    server, proxy = proxied
    response = get(proxy, "/client/", headers=FORGED)
    assert response.status_code == 200
    assert response.text == f"{CLIENT} https localhost:{proxy.https_port}\n"


def test_plain_http_is_one_redirect_to_https(proxied):
    server, proxy = proxied
    with proxy.client() as client:
        redirect = client.get(proxy.http_url + "/client/?page=2")
        assert redirect.status_code == 301
        assert redirect.headers["location"] == f"{proxy.https_url}/client/?page=2"
        followed = client.get(proxy.http_url + "/client/?page=2", follow_redirects=True)
    assert len(followed.history) == 1
    assert followed.status_code == 200
    assert " https " in followed.text
    # nginx answered the plain request itself.
    wait_until(lambda: '"GET /client/?page=2 HTTP/1.1" 301 upstream=-' in proxy.access_log, 5,
               "the 301 in nginx's access log", lambda: proxy.access_log)


def test_a_post_with_its_csrf_token_passes_the_origin_check(proxied):
    server, proxy = proxied
    with proxy.client(local_address=CLIENT) as client:
        form = client.get(proxy.https_url + "/form/")
        assert "Secure" in form.headers["set-cookie"]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        posted = client.post(proxy.https_url + "/form/",
                             data={"csrfmiddlewaretoken": token, "name": "Ada"},
                             headers={"Origin": proxy.https_url})
        forged = client.post(proxy.https_url + "/form/",
                             data={"csrfmiddlewaretoken": token, "name": "Eve"},
                             headers={"Origin": "https://evil.example"})
    assert posted.status_code == 200, posted.text
    assert posted.text == "Thanks, Ada\n"
    assert forged.status_code == 403


def test_static_files_come_from_nginx_with_a_long_cache(proxied, readable_static_root):
    server, proxy = proxied
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', get(proxy, "/form/").text).group(1)
    assert re.fullmatch(r"/static/site\.[0-9a-f]{12}\.css", href)
    hashed = get(proxy, href)
    assert hashed.status_code == 200
    assert hashed.headers["content-type"] == "text/css"
    assert hashed.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "x-served-by" not in hashed.headers  # never reached the ASGI server
    assert hashed.content == (EXAMPLE / "mysite/static/site.css").read_bytes()
    plain = get(proxy, "/static/site.css")
    assert plain.headers["cache-control"] == "public, max-age=60"
    assert "x-served-by" not in plain.headers


def test_a_body_over_the_limit_gets_413_from_nginx(proxied):
    server, proxy = proxied
    # Over HTTP/1.1: httpx's HTTP/2 client keeps sending the body and never
    # reads nginx's early answer.
    with proxy.client(local_address=CLIENT, http2=False) as client:
        response = client.post(proxy.https_url + "/form/", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert "x-served-by" not in response.headers
    assert "413 Request Entity Too Large" in response.text
    # nginx never opened a connection to the server (it logs once the
    # connection is done, a moment after the client has its answer).
    wait_until(lambda: '"POST /form/ HTTP/1.1" 413 upstream=-' in proxy.access_log, 5,
               "the 413 in nginx's access log", lambda: proxy.access_log)


def test_the_page_shows_the_example_configuration():
    text = (Path(__file__).parent.parent / "docs" / f"{PAGE}.md").read_text()
    assert "../examples/servers/deploy/nginx.conf" in text
    conf = SITE_CONF.read_text()
    assert "proxy_add_x_forwarded_for" not in conf.replace(
        "($proxy_add_x_forwarded_for)", "")  # named in a comment, never used


# --------------------------------------------------------------------------
# What the page says goes wrong without each piece
# --------------------------------------------------------------------------

def test_no_server_limits_the_body_it_passes_to_django(proxied):
    """Sent straight to the server, a 4 MiB POST reaches Django."""
    server, proxy = proxied
    response = httpx.post(server.url + "/", content=b"x" * (4 * 1024 * 1024), timeout=30)
    # Django answers it: the CSRF check, which runs once the body is in.
    assert response.status_code == 403
    assert response.headers["x-served-by"] == "asgi"


def test_a_header_spelled_with_underscores_changes_nothing(proxied):
    """CVE-2026-3902: X_Forwarded_Proto is dropped; X-Forwarded-Proto is read."""
    server, proxy = proxied
    hyphens = httpx.get(server.url + "/client/", headers={"X-Forwarded-Proto": "https"})
    underscores = httpx.get(server.url + "/client/", headers={"X_Forwarded_Proto": "https"})
    assert hyphens.text.split()[1] == "https"
    assert underscores.status_code == 200
    assert underscores.text.split()[1] == "http"


def test_a_body_sent_in_chunks_is_limited_like_any_other(proxied):
    """CVE-2026-5766: without Content-Length, DATA_UPLOAD_MAX_MEMORY_SIZE still holds."""
    server, proxy = proxied
    with httpx.Client(base_url=server.url, timeout=30) as client:
        form = client.get("/form/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        # The cookie is Secure, which a client keeps off plain HTTP: send it by hand.
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Cookie": f"csrftoken={form.cookies['csrftoken']}"}

        def chunked(body: bytes):
            for start in range(0, len(body), 64 * 1024):
                yield body[start:start + 64 * 1024]

        small = f"csrfmiddlewaretoken={token}&name=Ada".encode()
        large = small + b"&padding=" + b"x" * (4 * 1024 * 1024)
        posted = client.post("/form/", content=chunked(small), headers=headers)
        refused = client.post("/form/", content=chunked(large), headers=headers)
    assert posted.request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in posted.request.headers
    assert (posted.status_code, posted.text) == (200, "Thanks, Ada\n")
    assert refused.status_code == 400
    wait_until(lambda: BODY_TOO_BIG in server.log,
               10, "Django's RequestDataTooBig warning", lambda: server.log)


def test_hsts_only_on_requests_django_takes_to_be_secure(proxied):
    server, proxy = proxied
    assert "strict-transport-security" not in httpx.get(server.url + "/").headers


def configuration_with(old: str, new: str) -> Path:
    """The example's nginx configuration with one line changed."""
    conf = SITE_CONF.read_text()
    assert conf.count(old) == 1, old
    path = Path(tempfile.mkdtemp()) / "nginx.conf"
    path.write_text(conf.replace(old, new))
    return path


def test_appending_to_x_forwarded_for_lets_a_client_choose_its_address_under_daphne(
        readable_static_root):
    """The common `$proxy_add_x_forwarded_for`: Daphne reads the client's entry."""
    appended = configuration_with(*APPEND)
    expected = EXPECTED["daphne "]
    argv = argv_for("servers/daphne", "daphne ", port := free_port())
    with started(argv, port, readable_static_root, expected), \
            Nginx(appended, f"127.0.0.1:{port}", readable_static_root) as proxy:
        response = get(proxy, "/client/", headers={"X-Forwarded-For": "6.6.6.6"})
    assert response.text == f"6.6.6.6 https localhost:{proxy.https_port}\n"
    assert "`$proxy_add_x_forwarded_for`" in page_text(PAGE)


def test_nginx_host_without_the_port_fails_the_csrf_check(readable_static_root):
    """`$host` drops the port: on a port other than 443, the Origin no longer matches."""
    no_port = configuration_with("proxy_set_header Host $http_host;",
                                 "proxy_set_header Host $host;")
    expected = EXPECTED["uvicorn "]
    argv = argv_for("servers/uvicorn", "uvicorn ", port := free_port())
    with started(argv, port, readable_static_root, expected), \
            Nginx(no_port, f"127.0.0.1:{port}", readable_static_root) as proxy, \
            proxy.client() as client:
        form = client.get(proxy.https_url + "/form/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        posted = client.post(proxy.https_url + "/form/",
                             data={"csrfmiddlewaretoken": token, "name": "Ada"},
                             headers={"Origin": proxy.https_url})
    assert posted.status_code == 403


@pytest.mark.parametrize("allow, nginx_line, seen", [
    ("127.0.0.1", None, "-"), ("'*'", None, CLIENT), ("'*'", APPEND, "6.6.6.6")])
def test_uvicorn_on_a_unix_socket_trusts_forwarded_headers_only_from_star(
        allow, nginx_line, seen, readable_static_root):
    """Over a Unix socket Uvicorn knows no peer address: 127.0.0.1 matches nothing,
    and `*` takes the leftmost entry, so appending lets the client choose."""
    socket_dir = Path(tempfile.mkdtemp())
    socket_dir.chmod(0o755)
    uds = socket_dir / "mysite.sock"
    shown = command("servers/uvicorn", "uvicorn ").text
    assert "--host 127.0.0.1 --port 8000" in shown
    argv = shlex.split(shown.replace("--host 127.0.0.1 --port 8000", f"--uds {uds}")
                       .replace("--forwarded-allow-ips 127.0.0.1", f"--forwarded-allow-ips {allow}"))
    conf = configuration_with(*nginx_line) if nginx_line else SITE_CONF
    with Server(argv, cwd=EXAMPLE, env=server_env(readable_static_root), uds=uds), \
            Nginx(conf, f"unix:{uds}", readable_static_root) as proxy:
        response = get(proxy, "/client/", headers=FORGED)
    assert response.text == f"{seen} https localhost:{proxy.https_port}\n"
    assert "`--forwarded-allow-ips '*'`" in page_text(PAGE)


@pytest.mark.parametrize("header_setting, redirects", [(True, 0), (False, None)])
def test_redirecting_settings_loop_behind_nginx_without_the_proxy_header(
        header_setting, redirects, tmp_path, readable_static_root):
    """examples/settings' production settings, under a server that keeps the scheme."""
    settings_example = ROOT / "examples/settings"
    (tmp_path / "without_proxy_header.py").write_text(
        "from mysite.settings.prod import *  # noqa: F403\nSECURE_PROXY_SSL_HEADER = None\n")
    module = "mysite.settings.prod" if header_setting else "without_proxy_header"
    port = free_port()
    env = {"DJANGO_SETTINGS_MODULE": module, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
           "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
           "PYTHONPATH": f"{tmp_path}:{settings_example}"}
    argv = ["hypercorn", "mysite.asgi:application", "--bind", f"127.0.0.1:{port}"]
    with Server(argv, cwd=settings_example, env=env, port=port, ready_path="/settings/"), \
            Nginx(SITE_CONF, f"127.0.0.1:{port}", readable_static_root) as proxy, \
            proxy.client() as client:
        if redirects is None:
            first = client.get(proxy.https_url + "/settings/")
            assert first.status_code == 301
            assert first.headers["location"] == f"{proxy.https_url}/settings/"  # itself
            with pytest.raises(httpx.TooManyRedirects):
                client.get(proxy.https_url + "/settings/", follow_redirects=True)
        else:
            response = client.get(proxy.https_url + "/settings/", follow_redirects=True)
            assert len(response.history) == redirects
            assert response.text == "SETTINGS_MODULE: mysite.settings.prod\nDEBUG: False\n"


def test_uvicorn_and_hypercorn_wait_for_a_half_sent_body_past_their_keep_alive(
        readable_static_root):
    """The page: these two keep a stalled body's connection open; nginx must time it out."""
    waited = 6.5  # the commands' keep-alive timeout is 5 s
    with ExitStack() as stack:
        connections = {}
        for page, startswith in [("servers/uvicorn", "uvicorn "),
                                 ("servers/hypercorn", "hypercorn ")]:
            argv = argv_for(page, startswith, port := free_port())
            stack.enter_context(started(argv, port, readable_static_root, EXPECTED[startswith]))
            conn = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
            conn.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n"
                         + b"x" * 10)
            connections[startswith.strip()] = conn
        time.sleep(waited)
        for name, conn in connections.items():
            conn.settimeout(0.5)
            with pytest.raises(TimeoutError):  # nothing received, not closed
                conn.recv(1)
    assert "Uvicorn (with h11) and Hypercorn keep waiting" in page_text(PAGE)

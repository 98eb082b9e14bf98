"""docs/troubleshooting.md: every message on it is one the pinned versions print.

Each message comes from one of two places. Most are what another test already
checks against a real server's or Django's output: those tests keep them in
constants, imported here. The rest are made here, in one subprocess per
example project, the way a reader meets them.
"""

import json
import os
import re
import subprocess
import sys

import pytest

import test_async_safety
import test_behind_a_proxy
import test_servers
import test_streaming
from example import EXAMPLES, ROOT

PAGE = ROOT / "docs/troubleshooting.md"

# Requests that the servers example answers with an error, in one process;
# it prints every message Django logged, and the lifespan refusal.
_SERVERS_EXAMPLE = """
import asyncio, json, logging, httpx
from asgiref.testing import ApplicationCommunicator
from django.core.asgi import get_asgi_application
from mysite.asgi import application

messages = []
class Keep(logging.Handler):
    def emit(self, record):
        messages.append(record.getMessage())
# The example's LOGGING keeps errors only; the CSRF check logs a warning.
logging.getLogger("django").setLevel(logging.WARNING)
logging.getLogger("django").addHandler(Keep())

async def main():
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
        statuses = [(await c.get("/", headers={"Host": "10.0.0.5"})).status_code,
                    (await c.post("/form/", headers={"Origin": "https://evil.example"})).status_code]
    lifespan = ApplicationCommunicator(get_asgi_application(), {"type": "lifespan"})
    await lifespan.send_input({"type": "lifespan.startup"})
    try:
        await lifespan.receive_output(5)
    except ValueError as error:
        messages.append(f"ValueError: {error}")
    return statuses

print(json.dumps({"statuses": asyncio.run(main()), "messages": messages}))
"""


def last_line_of_stderr(argv, cwd, env) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0, done.stdout
    return done.stderr.strip().splitlines()[-1]


def exception_name_dropped(line: str) -> str:
    """django.core.exceptions.X: message -> X: message, as the page shows it."""
    return re.sub(r"^(?:\w+\.)+(\w+: )", r"\1", line)


@pytest.fixture(scope="module")
def made_here(tmp_path_factory) -> dict[str, list[str]]:
    """{"logged": what Django logged, "raised": the last line of two tracebacks}."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DJANGO_SECRET_KEY"] = test_servers.SECRET_KEY
    env["DJANGO_STATIC_ROOT"] = str(tmp_path_factory.mktemp("static"))
    done = subprocess.run([sys.executable, "-c", _SERVERS_EXAMPLE], cwd=EXAMPLES / "servers",
                          env={**env, "DJANGO_SETTINGS_MODULE": "mysite.settings"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    servers = json.loads(done.stdout.splitlines()[-1])
    assert servers["statuses"] == [400, 403]
    unconfigured = last_line_of_stderr(
        [sys.executable, "-c", "from django.contrib.auth.models import User"], ROOT, env)
    typo = last_line_of_stderr([sys.executable, "manage.py", "check"], EXAMPLES / "settings",
                               {**env, "DJANGO_SETTINGS_MODULE": "mysite.settings.typo"})
    return {"logged": servers["messages"], "raised": [exception_name_dropped(unconfigured), typo]}


def checked_elsewhere() -> list[str]:
    """Messages other tests hold real output to, as their constants say them."""
    expected = test_servers.EXPECTED
    port_in_use = [e.port_in_use[1].format(port=8000)
                   for e in expected.values() if e.port_in_use]
    return [
        test_servers.UVICORN_LIFESPAN, test_servers.HYPERCORN_LIFESPAN,
        test_servers.GRANIAN_LIFESPAN, test_servers.SECRET_MISSING,
        *port_in_use, *(m.format(port=8000) for m in test_servers.UVICORN_IN_USE_BY_PYTHON.values()),
        test_async_safety.EXCEPTION_LINE.removeprefix("django.core.exceptions."),
        test_streaming.SYNC_WARNING, test_streaming.DAPHNE_TIMEOUT,
        test_behind_a_proxy.BODY_TOO_BIG, *expected["daphne "].stop_log,
    ]


def messages_on_the_page() -> list[str]:
    """The terms of the page's definition lists: a literal alone on its line."""
    text = PAGE.read_text()
    return re.findall(r"^`([^`]+)`\n: ", text, re.MULTILINE)


def test_every_message_on_the_page_is_one_the_pinned_versions_print(made_here):
    known = set(checked_elsewhere())
    for message in messages_on_the_page():
        assert message in known or message in made_here["logged"] + made_here["raised"], message


def test_every_message_the_tests_check_is_on_the_page(made_here):
    made = ["ValueError: Django can only handle ASGI/HTTP connections, not lifespan.",
            "Invalid HTTP_HOST header: '10.0.0.5'. You may need to add '10.0.0.5' to "
            "ALLOWED_HOSTS.",
            "Forbidden (Origin checking failed - https://evil.example does not match any "
            "trusted origins.): /form/"]
    assert all(message in made_here["logged"] for message in made), made_here
    assert sorted(set(checked_elsewhere() + made + made_here["raised"])) == sorted(
        messages_on_the_page())


def test_every_entry_links_to_the_section_that_explains_it():
    entries = re.split(r"^`[^`]+`\n: ", PAGE.read_text(), flags=re.MULTILINE)[1:]
    assert len(entries) == len(messages_on_the_page())
    for entry in entries:
        assert re.search(r"\]\([\w/-]+\.md#[\w-]+\)", entry.split("\n\n")[0]), entry

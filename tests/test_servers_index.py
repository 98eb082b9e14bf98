"""The "Install and start a server" tabs of docs/servers/index.md.

Each tab shows, for one server, the install command and the start command of
that server's own page, with a link to it. The tests hold each tab to its
page (same commands, right link, right sync key), and start the command the
tab shows, read from the index page's source, on a free port in
examples/servers/ with the static files collected, as a reader would.
"""

import shlex
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))

from page_commands import command, commands  # noqa: E402
from server import free_port  # noqa: E402
from test_servers import APPS, EXPECTED, started, static_root  # noqa: E402,F401

INDEX = "servers/index"
SOURCE = ROOT / "docs" / "servers" / "index.md"

# (tab title, sync key, server page, start of its command, link in the tab)
TABS = [
    ("Uvicorn", "uvicorn", "servers/uvicorn", "uvicorn ", "uvicorn.md"),
    ("Gunicorn", "gunicorn", "servers/uvicorn", "gunicorn mysite.asgi:application ",
     "uvicorn.md#gunicorn-with-uvicorn-workers"),
    ("Hypercorn", "hypercorn", "servers/hypercorn", "hypercorn ", "hypercorn.md"),
    ("Daphne", "daphne", "servers/daphne", "daphne ", "daphne.md"),
    ("Granian", "granian", "servers/granian", "granian ", "granian.md"),
    ("Gunicorn's ASGI worker", "gunicorn-asgi", "servers/gunicorn",
     "gunicorn mysite.asgi_gunicorn:application ", "gunicorn.md"),
]


def tabs() -> dict:
    """{title: (sync key, first line, last line, text)} of the page's tab items."""
    lines = SOURCE.read_text().splitlines()
    found, current = {}, None
    for number, line in enumerate(lines, start=1):
        if line.startswith(":::{tab-item} "):
            current = [line.removeprefix(":::{tab-item} ").strip(), None, number, []]
        elif current is not None and line.strip() == ":::":
            title, sync, first, text = current
            found[title] = (sync, first, number, "\n".join(text))
            current = None
        elif current is not None:
            if line.startswith(":sync: "):
                current[1] = line.removeprefix(":sync: ").strip()
            current[3].append(line)
    return found


def test_the_tabs_are_one_synced_set_in_the_pages_order():
    text = SOURCE.read_text()
    assert text.count("::::{tab-set}") == 1
    assert ":sync-group: server" in text.split("::::{tab-set}")[1].split(":::{tab-item}")[0]
    assert [(title, sync) for title, (sync, *_) in tabs().items()] == \
        [(title, sync) for title, sync, *_ in TABS]


@pytest.mark.parametrize("title, sync, page, startswith, link", TABS)
def test_tab_shows_the_install_and_start_command_of_the_servers_page(
        title, sync, page, startswith, link):
    _, first, last, text = tabs()[title]
    shown = [c for c in commands(INDEX) if first < c.line < last]
    start = command(INDEX, startswith)
    assert [c.text for c in shown][1:] == [start.text], f"{title} tab: {shown}"
    assert start.text == command(page, startswith).text
    install = shown[0].text
    assert install.startswith("python -m pip install ")
    assert install in [c.text for c in commands(page)], f"{page} does not install with {install!r}"
    assert f"]({link})" in text


@pytest.mark.parametrize("title, sync, page, startswith, link", TABS)
def test_tab_command_serves_the_example(title, sync, page, startswith, link, static_root):
    port = free_port()
    argv = shlex.split(command(INDEX, startswith).with_port(port))
    assert any(APPS.fullmatch(a) for a in argv) and str(port) in " ".join(argv)
    with started(argv, port, static_root, EXPECTED[startswith]) as server:
        home = httpx.get(server.url + "/")
        assert home.status_code == 200
        assert home.headers["x-served-by"] == "asgi"
        assert home.text == "Hello over ASGI 3.0, HTTP/1.1\n"

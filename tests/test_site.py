"""The publishing pipeline: `make site`, `make doctest`, `make clean`, `make serve`,
`make venv` and `make linkcheck`, each run on a copy of the project broken
the way an author or translator breaks it.

A module-scoped workspace holds a copy of the sources with .venv and
examples/ linked, and a site that `make site` assembled; each test works on
a copy of that, so the real tree is never touched. The copy has only the
pages the tests use (tests/workspace.py): each build there is quick.
"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))

import linkcheck  # noqa: E402
from server import free_port  # noqa: E402
from workspace import bytecode_env, copy_workspace, slim_copy  # noqa: E402

PO = "locale/zh_CN/LC_MESSAGES"
# The real pages the tests break, remove or run (with index.md, and what
# workspace.slim_copy adds: the pages these link to), and the status page,
# which links to every page.
PAGES = ["overview", "middleware", "translation-status"]


def make(ws: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("SITE_DIR", "DOCS_BUILD_DIR", "MAKEFLAGS", "MAKELEVEL", "DJANGO")}
    environ = bytecode_env(environ)
    environ.update(env or {})
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ws, env=environ,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    ws = slim_copy(tmp_path_factory.mktemp("site") / "repo", PAGES)
    # The split dictionary the first zh_CN build in .venv writes: the builds
    # below then load jieba's dictionary bigram by bigram.
    subprocess.run([sys.executable, ROOT / "docs/_ext/jieba_by_bigram.py"], check=True,
                   capture_output=True)
    done = make(ws, "site")
    assert done.returncode == 0, done.stdout + done.stderr
    return ws


@pytest.fixture
def ws(built, tmp_path):
    return copy_workspace(built, tmp_path / "repo")


def site_files(ws: Path) -> dict:
    site = ws / "_build/site"
    return {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def break_entry(ws: Path, page: str, old: str, new: str) -> int:
    """Replace ``old`` in the catalogue of ``page``; return its line number."""
    path = ws / PO / f"{page}.po"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


# --------------------------------------------------------------------------
# make site: nothing broken is assembled, nothing stale is published

@pytest.mark.parametrize("old, new, reason", [
    ('msgstr "使用 ASGI 部署 Django"', 'msgstr "使用 ASGI 部署 Django', "does not compile"),
    ('msgstr "为什么选择 ASGI"', 'msgstr "为什么选择 ASGI\\n\\n第二段"', "paragraph"),
], ids=["does-not-compile", "two-paragraphs"])
def test_site_refuses_a_broken_catalogue_and_keeps_the_last_site(ws, old, new, reason):
    page = "index" if "部署" in old else "overview"
    before = site_files(ws)
    line = break_entry(ws, page, old, new)  # the line of the broken msgstr
    done = make(ws, "site")
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert f"{PO}/{page}.po:" in output, output
    assert reason in output, output
    assert "site: not assembled: fix what is named above" in output
    assert site_files(ws) == before  # the last good site is untouched
    reported = int(output.split(f"{PO}/{page}.po:")[1].split(":")[0])
    assert line <= reported <= line + 1  # msgfmt names the line after an open string


def test_site_refuses_a_page_that_warns(ws):
    page = ws / "docs/overview.md"
    page.write_text(page.read_text() + "\nSee [nowhere](no-such-page.md).\n")
    done = make(ws, "site")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "docs/overview.md" in output and "no-such-page" in output, output
    assert "site: not assembled: fix what is named above" in output


def test_a_removed_page_leaves_the_site_and_every_sidebar(ws):
    (ws / "docs/middleware.md").unlink()  # a page no other page links to
    (ws / PO / "middleware.po").unlink()
    index = ws / "docs/index.md"
    index.write_text(index.read_text().replace("middleware\n", "", 1))
    done = make(ws, "site")
    assert done.returncode == 0, done.stdout + done.stderr
    site = ws / "_build/site"
    for language in ("en", "zh_CN"):
        assert not (site / language / "middleware.html").exists()
        pages = list((site / language).rglob("*.html"))
        assert pages
        linking = [p for p in pages if 'middleware.html"' in p.read_text()]
        assert linking == [], linking


def test_the_build_speedups_change_nothing_in_either_language(ws):
    """What only saves build time (docs/_ext/gc_tuning.py, reuse_myst_parser.py,
    parse_msgstr_once.py, stem_once.py and, in zh_search.py, jieba's dictionary
    loaded by bigram and jieba imported without pkg_resources) changes no
    file: without it (DOCS_PLAIN_BUILD=1) both languages are built into the
    same files, search indexes included."""
    # The sped-up build (the `built` fixture's) found the split dictionary.
    split = subprocess.run([sys.executable, "-W", "ignore", ROOT / "docs/_ext/jieba_by_bigram.py",
                            "--path"], capture_output=True, text=True, check=True).stdout
    assert Path(split.strip()).is_file(), split
    done = make(ws, "html", "BUILD=_build-plain", env={"DOCS_PLAIN_BUILD": "1"})
    assert done.returncode == 0, done.stdout + done.stderr

    def files(folder):
        # .buildinfo is not published, and its config digest holds the path
        # of this copy of the workspace (the dictionary of zh search).
        return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*")
                if p.is_file() and p.name != ".buildinfo"}

    fast, plain = files(ws / "_build/html"), files(ws / "_build-plain/html")
    assert len(fast) > 50 and {p.parts[0] for p in fast} >= {"en", "zh_CN"}
    assert sorted(fast) == sorted(plain)
    assert [p for p in fast if fast[p] != plain[p]] == []


# --------------------------------------------------------------------------
# Generated files live under _build/ only

def test_builds_write_nothing_into_locale_and_a_deleted_catalogue_is_gone(ws):
    assert not list((ws / "locale").rglob("*.mo"))
    assert list((ws / "_build/locale").rglob("*.mo"))
    (ws / PO / "middleware.po").unlink()
    done = make(ws, "html")
    assert done.returncode == 0, done.stdout + done.stderr
    page = (ws / "_build/html/zh_CN/middleware.html").read_text()
    assert "<h1>Wrapping Django in ASGI middleware" in page  # English, as the notice says
    assert "阅读英文原版" in page
    assert not (ws / "_build/locale" / "zh_CN/LC_MESSAGES/middleware.mo").exists()
    assert not list((ws / "locale").rglob("*.mo"))


def test_make_site_leaves_no_bytecode_or_caches_in_the_sources(built):
    left = [p.relative_to(built) for p in built.rglob("*")
            if p.name in ("__pycache__", ".pytest_cache") or p.suffix in (".mo", ".pyc")
            if "_build" not in p.relative_to(built).parts]
    assert left == []


def test_make_clean_removes_the_build_and_old_mo_files(ws):
    stray = ws / PO / "index.mo"
    stray.write_bytes(b"left by an older version")
    done = make(ws, "clean")
    assert done.returncode == 0, done.stderr
    assert not (ws / "_build").exists()
    assert not stray.exists()
    assert (ws / PO / "index.po").exists()


# --------------------------------------------------------------------------
# make doctest

def test_doctest_ignores_an_exported_settings_module(ws):
    done = make(ws, "doctest", "DOCTEST_PAGES=docs/middleware.md",
                env={"DJANGO_SETTINGS_MODULE": "someproject.settings"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "doctest: " in done.stdout and " on 1 pages" in done.stdout


def test_doctest_reports_the_failing_line_and_runs_every_page(ws):
    page = ws / "docs/overview.md"
    lines = page.read_text().splitlines()
    wrong = next(i for i, line in enumerate(lines) if line == "Hello from ASGIRequest")
    lines[wrong] = "Hello from somewhere else"
    page.write_text("\n".join(lines) + "\n")
    done = make(ws, "doctest", "DOCTEST_PAGES=docs/overview.md docs/middleware.md")
    assert done.returncode != 0
    # The example is the `>>>` line above the expected output.
    assert f'File "docs/overview.md", line {wrong}, in default' in done.stdout, done.stdout
    assert "  middleware " in done.stdout  # the page after the failure ran
    assert "doctest: failed on 1 of 2 pages: docs/overview.md" in done.stdout


# --------------------------------------------------------------------------
# make serve

def test_serve_on_a_taken_port_says_so_in_one_line(built):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "docs/_tools/serve_site.py",
                               str(built / "_build/site"), str(port)],
                              cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        f"serve: cannot listen on 127.0.0.1:{port}: Address already in use; is another "
        f"server running there? Try `make serve PORT={port + 1}`.")


def test_serve_answers_a_missing_page_with_the_sites_404(built):
    site = built / "_build/site"
    sys.path.insert(0, str(ROOT / "docs/_tools"))
    import functools
    import http.server

    import serve_site
    handler = functools.partial(serve_site.SiteHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        for path in ("/en/no-such-page.html", "/zh_CN/no-such-page.html"):
            response = httpx.get(url + path)
            assert response.status_code == 404
            assert response.content == (site / "404.html").read_bytes()
        assert httpx.get(url + "/en/index.html").status_code == 200
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------
# make venv: the environment is exactly requirements.txt

def wheel(folder: Path, name: str) -> None:
    """A minimal pure-Python wheel, so that pip needs no index."""
    dist = f"{name}-1.0.dist-info"
    with zipfile.ZipFile(folder / f"{name}-1.0-py3-none-any.whl", "w") as whl:
        whl.writestr(f"{name}/__init__.py", "")
        whl.writestr(f"{dist}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        whl.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\n"
                                      "Root-Is-Purelib: true\nTag: py3-none-any\n")
        whl.writestr(f"{dist}/RECORD", f"{name}/__init__.py,,\n{dist}/METADATA,,\n"
                                       f"{dist}/WHEEL,,\n{dist}/RECORD,,\n")


def test_a_removed_requirement_leaves_the_venv(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel(wheels, "kept")
    wheel(wheels, "dropped")
    ws = tmp_path / "repo"
    ws.mkdir()
    shutil.copy2(ROOT / "Makefile", ws / "Makefile")
    # PIP_NO_COMPILE: pip (in `python -m venv` too) leaves out the bytecode.
    env = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_NO_COMPILE": "1",
           "PYTHON": sys.executable}
    requirements = ws / "requirements.txt"
    requirements.write_text("kept==1.0\ndropped==1.0\n")
    # The .venv that an earlier `make venv` left: both installed by pip, and
    # the stamp. Made without pip in it (its copy of pip is the slow part of
    # `python -m venv`), installed into by the test's own pip.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", ws / ".venv"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", ws / ".venv/bin/python", "install",
                    "--quiet", "--disable-pip-version-check", "-r", requirements],
                   env=os.environ | env, check=True)
    (ws / ".venv/.installed").touch()
    site_packages = list((ws / ".venv/lib").glob("python*/site-packages"))[0]
    assert (site_packages / "dropped").is_dir()
    requirements.write_text("kept==1.0\n")
    os.utime(requirements, (os.path.getmtime(ws / ".venv/.installed") + 5,) * 2)
    done = make(ws, "venv", env=env)
    assert done.returncode == 0, done.stderr
    site_packages = list((ws / ".venv/lib").glob("python*/site-packages"))[0]
    assert (site_packages / "kept").is_dir()
    assert not (site_packages / "dropped").exists()


# --------------------------------------------------------------------------
# make linkcheck

def test_linkcheck_without_network_says_it_needs_the_network():
    unreachable = [{"filename": "overview.md", "lineno": 3, "status": "broken",
                    "uri": f"https://docs.example/{i}", "info": "Max retries exceeded with url"}
                   for i in range(3)]
    status, lines = linkcheck.report(unreachable + [
        {"filename": "index.md", "lineno": 1, "status": "ignored", "uri": "http://127.0.0.1:8000/",
         "info": ""}])
    assert status == 2
    assert lines == ["linkcheck: none of the 3 external links could be reached: "
                     "`make linkcheck` needs the network (the Pages workflow runs it)"]


def test_linkcheck_names_the_page_and_line_of_a_broken_link():
    status, lines = linkcheck.report([
        {"filename": "overview.md", "lineno": 3, "status": "working", "uri": "https://a.example/",
         "info": ""},
        {"filename": "servers/index.md", "lineno": 40, "status": "broken",
         "uri": "https://b.example/gone", "info": "404 Client Error: Not Found"}])
    assert status == 1
    assert lines == ["docs/servers/index.md:40: https://b.example/gone: 404 Client Error: Not Found",
                     "linkcheck: 2 external links, 1 broken"]

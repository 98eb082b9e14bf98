"""The translators' gate: docs/_tools/intl_check.py (`make intl-check`).

Each test copies the project (conf.py, Makefile, and of docs/ and locale/
everything but the real pages these tests do not use and their catalogues:
tests/workspace.py) into a temporary folder, adds a small orphan page with a
complete, correct Chinese catalogue, breaks that catalogue in one way, and
runs the checker on it, as `make intl-check` does: it must exit non-zero and
name the file, the line and the reason.

What this proves, and what it does not:

* every failure class below is caught, at the right line, and the correct
  catalogue passes (so the failures come from the breakage);
* `test_sphinx_lets_these_through` builds the Chinese site from a broken
  copy and shows that `sphinx-build -W` accepts it and publishes the broken
  text: the checker, run by `make test` after the build, is the only gate;
* `test_the_messages_say_what_the_site_shows` builds the Chinese page from
  msgstrs that are not one paragraph: what each message says the reader sees
  (a Chinese heading, only a first paragraph, the English text, code as plain
  text) is what the built page shows;
* a catalogue in GBK, with a BOM or with CRLF line endings is named with its
  line, and `make intl-update` turns it back into the correct catalogue; a
  paragraph moved to another page keeps its translation there
  (tests/test_intl_update.py, apart so that the two files run side by side);
* `make intl-stats` and the site's "Translation status" page agree, row by
  row and in total, on the real catalogues of the copy's pages;
* `test_the_real_catalogues_pass` runs the checker on the project's own
  catalogues against the current English pages; the site that `make html`
  builds from them therefore has none of these faults, as far as the
  checker can see them. It fails until every page is translated.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from workspace import bytecode_env, copy_workspace, slim_copy

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PO = "locale/zh_CN/LC_MESSAGES/intl-fixture.po"
# The real pages the workspace needs: the fixture page links to the overview,
# test_intl_stats_counts_what_sphinx_can_read breaks middleware.po, and the
# status page is checked. workspace.slim_copy adds what these link to.
PAGES = ["overview", "middleware", "translation-status"]
MAKE = ["make", "--no-print-directory", "-o", ".venv/.installed", "SPHINXOPTS=-q"]

PAGE = """\
---
orphan: true
---

# Serve the example project

Start the `uvicorn` application server from the example project.

Read {doc}`the overview <overview>` first, then the [Django deployment guide](https://docs.djangoproject.com/en/5.2/howto/deployment/asgi/).

Each **worker process** runs its own event loop, and *every* request goes through the middleware.
"""

UNTRANSLATED = """\
---
orphan: true
---

# A page nobody has translated

It is shown in English on the Chinese site.
"""

TITLE = "Serve the example project"
START = "Start the `uvicorn` application server from the example project."
READ = (
    "Read {doc}`the overview <overview>` first, then the [Django deployment guide]"
    "(https://docs.djangoproject.com/en/5.2/howto/deployment/asgi/)."
)
EACH = "Each **worker process** runs its own event loop, and *every* request goes through the middleware."

CHINESE = {
    TITLE: "运行示例项目",
    START: "在示例项目中启动 `uvicorn` 应用服务器。",
    READ: (
        "先阅读{doc}`概述 <overview>`，再阅读 [Django 部署指南]"
        "(https://docs.djangoproject.com/en/5.2/howto/deployment/asgi/)。"
    ),
    EACH: "每个**工作进程**都运行自己的事件循环，*每一个*请求都会经过中间件。",
}


# A make started by `make test` must not pass its settings (BUILD=..., -j,
# DJANGO=6.1: the copy's .venv is already the series under test) on to the
# make run inside the copy, nor its build folder to the copy's conf.py
# (DOCS_BUILD_DIR: where the builds keep their catalogues).
ENV = bytecode_env({
    k: v
    for k, v in os.environ.items()
    if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "DOCS_BUILD_DIR", "SITE_DIR",
                 "DJANGO"}
})


def run(cmd, cwd, check=True):
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=ENV)
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A copy of the project with the fixture page and its full translation,
    catalogues made by `make intl-update` as a translator would."""
    ws = slim_copy(tmp_path_factory.mktemp("intl") / "repo", PAGES)
    (ws / "docs" / "intl-fixture.md").write_text(PAGE, encoding="utf-8")
    (ws / "docs" / "intl-untranslated.md").write_text(UNTRANSLATED, encoding="utf-8")
    run([*MAKE, "intl-update"], ws)
    catalogue = polib.pofile(str(ws / PO), wrapwidth=79)
    assert {e.msgid for e in catalogue} == set(CHINESE), "the gettext builder split the page differently"
    for entry in catalogue:
        entry.msgstr = CHINESE[entry.msgid]
    catalogue.save()
    return ws


@pytest.fixture
def ws(pristine, tmp_path):
    return copy_workspace(pristine, tmp_path / "repo")


def check(ws, *paths):
    """Run the checker as `make intl-check` does; return (exit code, output)."""
    cmd = [PYTHON, "docs/_tools/intl_check.py", "--pot-dir", "_build/gettext"]
    cmd += ["--glossary", "locale/zh_CN/glossary.csv", *(paths or [PO])]
    result = run(cmd, ws, check=False)
    return result.returncode, result.stdout + result.stderr


def edit(ws, old, new, path=PO):
    """Replace one exact piece of a file; return the line it is on."""
    file = ws / path
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    file.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def retranslate(ws, msgid, old, new, path=PO):
    """Change part of one msgstr, saved the way polib (and intl-update) saves."""
    catalogue = polib.pofile(str(ws / path), wrapwidth=79)
    entry = catalogue.find(msgid)
    assert entry.msgstr.count(old) == 1, f"{old!r} must occur once in {entry.msgstr!r}"
    entry.msgstr = entry.msgstr.replace(old, new)
    catalogue.save()


def line_of(ws, msgid, path=PO):
    """The line of an entry's msgstr: polib numbers the entry's first line."""
    start = polib.pofile(str(ws / path)).find(msgid).linenum
    lines = (ws / path).read_text(encoding="utf-8").splitlines()
    return next(n for n in range(start, len(lines) + 1) if lines[n - 1].startswith("msgstr "))


def reported(output, path=PO):
    """[(line, reason)] of the checker's FILE:LINE: reason messages."""
    return [(int(m[1]), m[2]) for m in re.finditer(rf"^{re.escape(path)}:(\d+): (.+)$", output, re.M)]


def assert_fails(ws, line, *words, path=PO):
    code, output = check(ws, path)
    assert code != 0, output
    found = reported(output, path)
    assert any(n == line and all(w in reason for w in words) for n, reason in found), (
        f"expected {path}:{line}: ...{words}... in:\n{output}"
    )
    return found


# --------------------------------------------------------------------------


def test_the_correct_catalogue_passes(pristine):
    code, output = check(pristine)
    assert code == 0, output
    assert "1 catalogues OK" in output
    # intl-update dropped the format flag Babel guesses from the role
    assert polib.pofile(str(pristine / PO)).find(READ).flags == []


def test_unterminated_string_does_not_compile(ws):
    line = edit(ws, f'msgstr "{CHINESE[TITLE]}"', f'msgstr "{CHINESE[TITLE]}')
    code, output = check(ws)
    assert code != 0
    # msgfmt's own line: where it meets the end of the line inside the string
    assert any(n in (line, line + 1) and "does not compile" in r and "end-of-line" in r for n, r in reported(output)), output


def test_catalogue_out_of_sync_with_the_english_page(ws):
    old_line = line_of(ws, START)
    edit(ws, "Start the `uvicorn` application server", "Start the `uvicorn` ASGI server", path="docs/intl-fixture.md")
    run([*MAKE, "gettext"], ws)
    found = assert_fails(ws, old_line, "out of sync", "obsolete", "Start the `uvicorn` application")
    assert any(
        n == 1 and "out of sync" in r and "missing" in r and "docs/intl-fixture.md:7" in r and "ASGI server" in r
        for n, r in found
    ), found


def test_page_without_catalogue(ws):
    (ws / PO).unlink()
    code, output = check(ws, "locale/zh_CN/LC_MESSAGES")
    assert code != 0
    assert (1, "untranslated: no catalogue for page 'intl-fixture' (4 messages; run make intl-update)") in reported(
        output
    ), output


def test_untranslated_entry(ws):
    retranslate(ws, START, CHINESE[START], "")
    assert_fails(ws, line_of(ws, START), "untranslated", "Start the `uvicorn`")


def test_fuzzy_entry(ws):
    edit(ws, '#: docs/intl-fixture.md:7\n', '#: docs/intl-fixture.md:7\n#, fuzzy\n')
    assert_fails(ws, line_of(ws, START), "fuzzy")


def test_dropped_inline_literal(ws):
    retranslate(ws, START, "启动 `uvicorn` 应用", "启动 uvicorn 应用")
    assert_fails(ws, line_of(ws, START), "markup differs", "dropped inline literal `uvicorn`")


def test_added_link(ws):
    retranslate(ws, EACH, "都会经过中间件", "都会经过[中间件](https://example.com/)")
    assert_fails(ws, line_of(ws, EACH), "markup differs", "added link to https://example.com/")


def test_dropped_role(ws):
    retranslate(ws, READ, "{doc}`概述 <overview>`", "概述")
    assert_fails(ws, line_of(ws, READ), "markup differs", "dropped role {doc}`overview`")


def test_changed_link_target(ws):
    retranslate(ws, READ, "/en/5.2/howto/deployment/asgi/", "/zh-hans/5.2/")
    assert_fails(ws, line_of(ws, READ), "dropped link to https://docs.djangoproject.com/en/5.2/")


def test_unclosed_emphasis(ws):
    retranslate(ws, EACH, "*每一个*请求", "*每一个请求")
    assert_fails(ws, line_of(ws, EACH), "markup differs", "dropped emphasis")


# What the site shows for a msgstr that is not one paragraph depends on what
# it translates; test_the_messages_say_what_the_site_shows builds these.


def test_msgstr_of_a_heading_that_is_a_heading(ws):
    retranslate(ws, TITLE, "运行", "# 运行")
    assert_fails(ws, line_of(ws, TITLE), "parses as heading", 'the site shows the heading "运行示例项目"')


def test_msgstr_of_a_paragraph_that_is_a_heading(ws):
    retranslate(ws, START, "在示例", "# 在示例")
    assert_fails(ws, line_of(ws, START), "parses as heading", "the site shows the English text")


def test_second_paragraph_in_the_msgstr_of_a_heading(ws):
    retranslate(ws, TITLE, "项目", "项目\n\n第二段")
    assert_fails(
        ws, line_of(ws, TITLE), "parses as paragraph + paragraph", 'the heading "运行示例项目" and drops the rest'
    )


def test_second_paragraph_in_the_msgstr_of_a_paragraph(ws):
    retranslate(ws, EACH, "中间件。", "中间件。\n\n第二段")
    assert_fails(
        ws,
        line_of(ws, EACH),
        "parses as paragraph + paragraph",
        'only the first paragraph, "每个工作进程都运行自己的事件循环，每一个请求都会经过中间件。", and drops the rest',
    )


def test_msgstr_of_a_paragraph_that_is_a_list(ws):
    retranslate(ws, START, "在示例", "- 在示例")
    assert_fails(ws, line_of(ws, START), "parses as bullet list", "the site shows the English text")


def test_missing_space_between_chinese_and_english(ws):
    retranslate(ws, START, "启动 `uvicorn` 应用服务器", "启动`uvicorn`应用服务器")
    assert_fails(ws, line_of(ws, START), "CJK typography", "启动 `uvicorn` 应用")


def test_missing_space_before_a_link(ws):
    retranslate(ws, READ, "再阅读 [Django", "再阅读[Django")
    assert_fails(ws, line_of(ws, READ), "CJK typography", "再阅读 Django")


def test_half_width_comma_in_chinese(ws):
    retranslate(ws, EACH, "事件循环，", "事件循环,")
    assert_fails(ws, line_of(ws, EACH), "CJK typography", "事件循环，每一个")


def test_half_width_parenthesis_in_chinese(ws):
    retranslate(ws, TITLE, "运行示例项目", "运行示例项目(ASGI)")
    assert_fails(ws, line_of(ws, TITLE), "CJK typography", 'half-width "("')


def test_glossary_term_not_used(ws):
    retranslate(ws, TITLE, "示例项目", "样例工程")
    assert_fails(ws, line_of(ws, TITLE), "glossary", '"example project"', '"示例项目"')


def test_glossary_wrong_rendering_is_named_with_what_to_use(ws):
    retranslate(ws, TITLE, "示例项目", "示例项目应答")
    assert_fails(ws, line_of(ws, TITLE), "glossary", '"应答" is a wrong rendering', "处理 or 响应")


def test_glossary_term_inside_a_longer_one_is_the_longer_one(ws):
    """START says "application server": 应用服务器 is what it asks for, not the
    rendering of "application" alone (ASGI 应用)."""
    assert check(ws)[0] == 0
    retranslate(ws, START, "应用服务器", "服务器")
    found = assert_fails(ws, line_of(ws, START), "glossary", '"application server"', '"应用服务器"')
    assert not any('"application"' in reason for _, reason in found), found


def test_sentence_that_ends_in_a_literal_without_a_full_stop(ws):
    retranslate(ws, START, "应用服务器。", "应用服务器。然后打开 `http://127.0.0.1:8000/`")
    assert_fails(ws, line_of(ws, START), "ends in a literal without", "。")
    retranslate(ws, START, "`http://127.0.0.1:8000/`", "`http://127.0.0.1:8000/`。")
    code, output = check(ws)
    assert "ends in a literal" not in output, output


def test_thousands_separator_in_chinese_text(ws):
    retranslate(ws, START, "启动", "启动 1,000 个")
    assert_fails(ws, line_of(ws, START), "no thousands separator", '"1000" for "1,000"')


def test_glossary_opt_out_is_explicit(ws):
    retranslate(ws, TITLE, "示例项目", "样例工程")
    edit(ws, "#: docs/intl-fixture.md:5\n", "# intl-check: allow glossary\n#: docs/intl-fixture.md:5\n")
    code, output = check(ws)
    assert code == 0, output


THEME = "locale/zh_CN/LC_MESSAGES/sphinx.po"


def test_theme_catalogue_is_synced_with_sphinx_pot(ws):
    """sphinx.po is compared with the sphinx.pot of `intl_tools.py theme-pot`."""
    code, output = check(ws, THEME)
    assert code == 0, output
    catalogue = polib.pofile(str(ws / THEME), wrapwidth=79)
    before = {e.msgid: e.msgstr for e in catalogue}
    catalogue.remove(catalogue.find("Back to top"))
    catalogue.append(polib.POEntry(msgid="A string furo no longer has", msgstr="furo 不再有的字符串"))
    catalogue.save()
    obsolete = line_of(ws, "A string furo no longer has", THEME)
    found = assert_fails(ws, obsolete, "out of sync", "obsolete", "A string furo no longer has", path=THEME)
    assert any(
        n == 1 and "out of sync: missing msgid from furo/theme/furo/page.html:" in r and '"Back to top"' in r
        for n, r in found
    ), found
    # the whole directory, as make intl-check runs it, says the same
    code, output = check(ws, "locale/zh_CN/LC_MESSAGES")
    assert code != 0 and "catalogues OK" not in output
    assert sorted(reported(output, THEME)) == sorted(found), output
    # make intl-update brings the entry back, and loses no translation
    run([*MAKE, "intl-update"], ws)
    after = {e.msgid: e.msgstr for e in polib.pofile(str(ws / THEME))}
    assert after == {k: v for k, v in before.items() if k != "Back to top"} | {"Back to top": ""}


def test_theme_catalogue_missing(ws):
    (ws / THEME).unlink()
    code, output = check(ws, "locale/zh_CN/LC_MESSAGES")
    assert code != 0
    assert any(
        n == 1 and r.startswith("untranslated: no catalogue for the theme's interface strings") for n, r in reported(output, THEME)
    ), output


def test_theme_catalogue_compiles(ws):
    theme = THEME
    line = line_of(ws, "Copyright &#169; %(copyright)s", theme)
    edit(ws, 'msgstr "版权所有 &#169; %(copyright)s"', 'msgstr "版权所有 &#169; %(copyright)"', path=theme)
    code, output = check(ws, theme)
    assert code != 0
    assert any(n in (line, line + 1) and "does not compile" in r for n, r in reported(output, theme)), output


def test_sphinx_lets_these_through(ws):
    """sphinx-build -W accepts these broken translations and publishes them."""
    retranslate(ws, EACH, "都会经过中间件", "都会经过[中间件](https://example.com/)")
    retranslate(ws, EACH, "事件循环，", "事件循环,")
    edit(ws, "#: docs/intl-fixture.md:7\n", "#: docs/intl-fixture.md:7\n#, fuzzy\n")
    edit(ws, f'msgstr "{CHINESE[TITLE]}"', f'msgstr "{CHINESE[TITLE]}')  # unterminated
    code, output = check(ws)
    assert code != 0
    build = run(
        [ws / ".venv/bin/sphinx-build", "-b", "html", "-c", ".", "-D", "language=zh_CN", "-q"]
        + ["-d", "_build/doctrees/zh_CN", "docs", "_build/html/zh_CN"],
        ws,
        check=False,
    )
    # Other pages may warn while they are being written; this one must not.
    assert "intl-fixture" not in build.stderr, build.stderr
    page = (ws / "_build/html/zh_CN/intl-fixture.html").read_text(encoding="utf-8")
    assert "<h1>运行示例项<a" in page  # the unterminated string, cut short
    assert "Start the <code" in page  # the fuzzy entry, shown in English
    assert 'href="https://example.com/"' in page  # the added link
    assert "事件循环,<em>每一个</em>" in page  # the half-width comma
    # the notice counts the fuzzy entry, and links to the English page
    assert "本页还有 1 处内容（共 4 处）尚未翻译或有待校对" in page
    assert '<a href="../en/intl-fixture.html" hreflang="en">阅读英文原版</a>' in page


def page_text(html):
    """The text of a built page's article, as a reader sees it."""
    body = html[html.index('<article'):html.index("</article>")]
    body = re.sub(r'<a class="headerlink".*?</a>', "", body, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def quoted(reason):
    """The text between the first pair of double quotes after "shows"."""
    return reason.split("shows", 1)[1].split('"')[1]


def test_the_messages_say_what_the_site_shows(ws):
    """Build the Chinese page from msgstrs that are not one paragraph: each
    message says what the built page really shows."""
    retranslate(ws, TITLE, "运行", "# 运行")  # a heading as the msgstr of a heading
    retranslate(ws, START, "服务器。", "服务器。\n\n第二段")  # two paragraphs
    retranslate(ws, EACH, "每个", "# 每个")  # a heading as the msgstr of a paragraph
    catalogue = polib.pofile(str(ws / PO), wrapwidth=79)
    catalogue.find(READ).msgstr = "```\n代码\n```"  # a code fence
    catalogue.save()
    code, output = check(ws)
    reasons = dict(reported(output))
    title, start, each, read = (reasons[line_of(ws, m)] for m in (TITLE, START, EACH, READ))
    page = page_text(sphinx_html(ws, "zh_CN").joinpath("intl-fixture.html").read_text(encoding="utf-8"))

    assert 'the site shows the heading "运行示例项目"' in title
    assert page.startswith("运行示例项目 ")  # the Chinese heading, without "#"

    assert 'the site shows only the first paragraph, "在示例项目中启动 uvicorn 应用服务器。", and drops the rest' in start
    assert quoted(start) in page and "第二段" not in page

    assert "the site shows the English text" in each
    assert "Each worker process runs its own event loop" in page and "每个" not in page

    assert 'the site shows the code "代码" as plain text' in read
    html = (ws / "_build/html/zh_CN/intl-fixture.html").read_text(encoding="utf-8")
    assert re.search(r"<p>代码\s*</p>", html), html  # a paragraph, not a code block


def test_the_real_catalogues_pass():
    """The project's own catalogues against the English messages that the
    last `make site` (which `make test` runs first) extracted from the pages."""
    pot = Path(os.environ.get("DOCS_BUILD_DIR") or ROOT / "_build") / "gettext"
    if not (pot / "sphinx.pot").is_file():
        pytest.fail(f"{pot} has no catalogue templates: run `make site` (`make test` does)")
    result = run([PYTHON, "docs/_tools/intl_check.py", "--pot-dir", pot], ROOT, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    assert "catalogues OK" in result.stdout


# --------------------------------------------------------------------------
# The notice on partly translated pages, and the translation status page


def sphinx_html(ws, language):
    run(
        [ws / ".venv/bin/sphinx-build", "-b", "html", "-c", ".", "-D", f"language={language}", "-q"]
        + ["-d", f"_build/doctrees/{language}", "docs", f"_build/html/{language}"],
        ws,
        check=False,  # other pages may warn while they are being written
    )
    return ws / "_build/html" / language


@pytest.fixture(scope="module")
def built(pristine):
    return {language: sphinx_html(pristine, language) for language in ("en", "zh_CN")}


def status_rows(html):
    """{page: (messages, translated, fuzzy, untranslated, done)} of the status table."""
    table = html[html.index('<table class="translation-status'):]
    table = table[: table.index("</table>")]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        href = re.search(r'href="([^"]*)"', row)
        page = "total" if href is None else href.group(1).removesuffix(".html")
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows["translation-status" if page == "#" else page] = tuple(cells[1:])
    return rows


def test_notice_only_on_pages_not_fully_translated(built):
    done = (built["zh_CN"] / "intl-fixture.html").read_text(encoding="utf-8")
    assert "translation-notice" not in done
    assert "<h1>运行示例项目<a" in done
    untranslated = (built["zh_CN"] / "intl-untranslated.html").read_text(encoding="utf-8")
    assert "本页尚未翻译，下面显示的是英文原文。" in untranslated
    assert '<a href="../en/intl-untranslated.html" hreflang="en">' in untranslated
    for language in ("en",):
        page = (built[language] / "intl-untranslated.html").read_text(encoding="utf-8")
        assert "translation-notice" not in page


def test_status_page_counts_what_gettext_extracts(pristine, built):
    zh = status_rows((built["zh_CN"] / "translation-status.html").read_text(encoding="utf-8"))
    en = status_rows((built["en"] / "translation-status.html").read_text(encoding="utf-8"))
    assert zh == en
    assert zh["intl-fixture"] == ("4", "4", "0", "0", "100%")
    assert zh["intl-untranslated"] == ("2", "0", "0", "2", "0%")
    pots = pristine / "_build/gettext"
    for pot in pots.rglob("*.pot"):
        page = pot.relative_to(pots).with_suffix("").as_posix()
        if page == "sphinx":
            continue
        messages = sum(1 for e in polib.pofile(str(pot)) if not e.obsolete)
        assert zh[page][0] == str(messages), page
    assert "已翻译" in (built["zh_CN"] / "translation-status.html").read_text(encoding="utf-8")
    assert "Translated" in (built["en"] / "translation-status.html").read_text(encoding="utf-8")


def stats_rows(ws):
    """{page: (messages, translated, fuzzy, untranslated, done)} of intl-stats."""
    cmd = [PYTHON, "docs/_tools/intl_tools.py", "stats", "--pot-dir", "_build/gettext", "locale/zh_CN/LC_MESSAGES"]
    row = re.compile(r"^(.+?)\s{2,}(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+%|-)(?:\s{2,}.*)?$")
    return {m[1]: m.groups()[1:] for m in map(row.match, run(cmd, ws).stdout.splitlines()) if m}


def test_intl_stats_and_the_status_page_agree(pristine, built):
    """The real catalogues of the copy's pages (and the two fixture pages):
    `make intl-stats` shows the numbers of the site's "Translation status"
    page, total included; the theme's strings, on no page, are listed after
    the total."""
    status = status_rows((built["zh_CN"] / "translation-status.html").read_text(encoding="utf-8"))
    stats = stats_rows(pristine)
    theme = stats.pop("sphinx (theme strings)")
    assert theme[0] == str(sum(1 for e in polib.pofile(str(pristine / "_build/gettext/sphinx.pot"))))
    assert stats == {page: row for page, row in status.items() if row[0] != "0"}, (stats, status)
    assert stats["total"] == status["total"]
    assert stats["intl-untranslated"] == ("2", "0", "0", "2", "0%")


def test_a_table_written_per_language_counts_as_one_message(ws):
    """A {language-file} block: untranslated while its Chinese file is a copy
    of the English one, translated once it is not; intl-stats agrees."""
    for language in ("en", "zh_CN"):
        (ws / f"docs/_static/fixture.{language}.txt").write_text("Requests per second\n")
    page = ws / "docs/intl-fixture.md"
    page.write_text(page.read_text(encoding="utf-8")
                    + "\n```{language-file} _static/fixture.{language}.txt\n```\n", encoding="utf-8")
    rows = []
    for chinese in ("Requests per second\n", "每秒请求数\n"):
        (ws / "docs/_static/fixture.zh_CN.txt").write_text(chinese, encoding="utf-8")
        html = sphinx_html(ws, "zh_CN")
        status = status_rows((html / "translation-status.html").read_text(encoding="utf-8"))
        assert stats_rows(ws)["intl-fixture"] == status["intl-fixture"]
        rows.append(status["intl-fixture"])
        assert chinese.strip() in (html / "intl-fixture.html").read_text(encoding="utf-8")
    assert rows == [("5", "4", "0", "1", "80%"), ("5", "5", "0", "0", "100%")]


def test_intl_stats_counts_what_sphinx_can_read(ws):
    """A fuzzy entry and a GBK catalogue (which Sphinx cannot read, so its page
    is English): intl-stats and the status page still agree."""
    edit(ws, "#: docs/intl-fixture.md:7\n", "#: docs/intl-fixture.md:7\n#, fuzzy\n")
    middleware = ws / "locale/zh_CN/LC_MESSAGES/middleware.po"
    text = middleware.read_text(encoding="utf-8").replace("charset=utf-8", "charset=GBK")
    middleware.write_bytes(text.encode("gbk"))
    for mo in (ws / "_build").rglob("*.mo"):  # a fresh build, as CI's: no .mo left from before
        mo.unlink()
    html = sphinx_html(ws, "zh_CN")
    status = status_rows((html / "translation-status.html").read_text(encoding="utf-8"))
    stats = stats_rows(ws)
    stats.pop("sphinx (theme strings)")
    assert stats == {page: row for page, row in status.items() if row[0] != "0"}, (stats, status)
    assert stats["intl-fixture"] == ("4", "3", "1", "0", "75%")
    assert stats["middleware"][1:] == ("0", "0", stats["middleware"][0], "0%")
    assert "<h1>Wrapping Django in ASGI middleware" in (html / "middleware.html").read_text(encoding="utf-8")

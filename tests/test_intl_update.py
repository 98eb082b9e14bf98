"""`make intl-update` and the file itself: a catalogue in GBK, with a
byte-order mark or with CRLF line endings is named by the checker with its
line, and `make intl-update` (or its `wrap` step alone) turns it back into
the very bytes of the correct catalogue; a paragraph moved to another page
keeps its translation there, as a fuzzy entry; a second run changes nothing.

The workspace, the fixture page and its catalogue are tests/test_intl_check.py's.
"""

import re

import polib
import pytest

from test_intl_check import (CHINESE, EACH, MAKE, PO, PYTHON, ROOT, assert_fails,  # noqa: F401
                             check, edit, line_of, pristine, reported, run, ws)


# --------------------------------------------------------------------------
# The file itself: charset, byte-order mark, line endings


def fix_with(ws, how):
    """Repair the catalogues as a translator would: `make intl-update`, or the
    `wrap` step alone (which make intl-update runs after sphinx-intl)."""
    if how == "make intl-update":
        return run([*MAKE, "intl-update"], ws)
    cmd = [PYTHON, "docs/_tools/intl_tools.py", "wrap", "--pot-dir", "_build/gettext", "locale/zh_CN/LC_MESSAGES"]
    return run(cmd, ws)


def only_problem(ws, path=PO):
    """The checker's one FILE:LINE: message about path, and nothing else."""
    code, output = check(ws, path)
    assert code != 0, output
    assert "Traceback" not in output, output
    found = reported(output, path)
    assert len(found) == 1, output  # every other check passed: the file was read right
    return found[0]


REPAIRS = ["make intl-update", "wrap"]


@pytest.mark.parametrize("how", REPAIRS)
def test_catalogue_in_gbk(pristine, ws, how):
    """A GBK catalogue is valid gettext, but Sphinx reads catalogues as UTF-8
    (its page would be English): the checker reads it with its charset, says
    so at the header line, and make intl-update converts it, losing nothing."""
    text = (ws / PO).read_text(encoding="utf-8")
    assert text.count("charset=utf-8") == 1
    (ws / PO).write_bytes(text.replace("charset=utf-8", "charset=GBK").encode("gbk"))
    header = next(n for n, line in enumerate(text.splitlines(), 1) if "charset=" in line)
    line, reason = only_problem(ws)
    assert line == header, reason
    assert reason.startswith("declared charset=GBK, but Sphinx reads catalogues as UTF-8"), reason
    assert "make intl-update converts it to UTF-8" in reason
    done = fix_with(ws, how)
    assert "Traceback" not in done.stderr
    assert (ws / PO).read_bytes() == (pristine / PO).read_bytes()  # UTF-8 again, nothing lost
    assert check(ws)[0] == 0


def test_catalogue_that_is_not_valid_in_its_charset(ws):
    """Bytes that are not what the header declares: FILE:LINE:, no traceback,
    from the checker and from the wrap step of make intl-update."""
    text = (ws / PO).read_text(encoding="utf-8")
    (ws / PO).write_bytes(text.encode("gbk"))  # still says charset=utf-8
    bad = next(n for n, line in enumerate(text.splitlines(), 1) if not line.isascii())
    code, output = check(ws)
    assert code != 0 and "Traceback" not in output, output
    assert any(n == bad and r.startswith("is not valid utf-8: byte 0x") for n, r in reported(output)), output
    done = run([*MAKE, "intl-update"], ws, check=False)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert re.search(rf"^{re.escape(PO)}:{bad}: is not valid utf-8: byte 0x", done.stderr, re.M), done.stderr
    assert (ws / PO).read_bytes() == text.encode("gbk")  # left alone


@pytest.mark.parametrize("how", REPAIRS)
def test_catalogue_with_a_byte_order_mark(pristine, ws, how):
    (ws / PO).write_bytes(b"\xef\xbb\xbf" + (ws / PO).read_bytes())
    assert only_problem(ws) == (1, "starts with a byte-order mark (BOM); make intl-update removes it")
    fix_with(ws, how)
    assert (ws / PO).read_bytes() == (pristine / PO).read_bytes()
    assert check(ws)[0] == 0


@pytest.mark.parametrize("how", REPAIRS)
def test_catalogue_with_crlf_line_endings(pristine, ws, how):
    (ws / PO).write_bytes((ws / PO).read_bytes().replace(b"\n", b"\r\n"))
    line, reason = only_problem(ws)
    assert (line, reason.split(",")[0]) == (1, "has CRLF line endings"), reason
    assert "make intl-update converts them to LF" in reason
    fix_with(ws, how)
    assert (ws / PO).read_bytes() == (pristine / PO).read_bytes()
    assert check(ws)[0] == 0


def test_catalogue_with_every_fault_at_once(pristine, ws):
    """BOM, GBK and CRLF together: each reported, and all repaired by one
    make intl-update (its prepare step, before sphinx-intl reads the file)."""
    text = (ws / PO).read_text(encoding="utf-8").replace("charset=utf-8", "charset=GBK")
    (ws / PO).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("gbk"))
    code, output = check(ws)
    reasons = [r for _, r in reported(output)]
    assert len(reasons) == 3, output
    assert sorted(r.split(",")[0] for r in reasons) == [
        "declared charset=GBK",
        "has CRLF line endings",
        "starts with a byte-order mark (BOM); make intl-update removes it",
    ], output
    run([*MAKE, "intl-update"], ws)
    assert (ws / PO).read_bytes() == (pristine / PO).read_bytes()


# --------------------------------------------------------------------------
# make intl-update


def test_a_paragraph_moved_to_another_page_keeps_its_translation(pristine, ws):
    """sphinx-intl drops the entry from the old page and adds an empty one to
    the new page; intl-update fills it from the translations it had before,
    marked fuzzy, and intl-check names it until the translator checks it."""
    edit(ws, f"\n{EACH}\n", "", path="docs/intl-fixture.md")
    page = ws / "docs/intl-untranslated.md"
    page.write_text(page.read_text(encoding="utf-8") + f"\n{EACH}\n", encoding="utf-8")
    done = run([*MAKE, "intl-update"], ws)
    target = "locale/zh_CN/LC_MESSAGES/intl-untranslated.po"
    moved = polib.pofile(str(ws / target)).find(EACH)
    assert moved is not None and moved.msgstr == CHINESE[EACH]
    assert moved.flags == ["fuzzy"]
    assert moved.occurrences == [("docs/intl-untranslated.md", "9")]
    line = line_of(ws, EACH, target)
    assert f"{target}:{line}: translation taken from intl-fixture.po, marked fuzzy" in done.stdout, done.stdout
    # the old page lost only that entry
    old = {e.msgid: e.msgstr for e in polib.pofile(str(ws / PO))}
    assert old == {k: v for k, v in CHINESE.items() if k != EACH}
    # intl-check names the fuzzy entry at its msgstr line
    assert_fails(ws, line, "fuzzy", "Each **worker process**", path=target)
    # and a second run changes nothing
    before = {p: p.read_bytes() for p in (ws / "locale").rglob("*.po")}
    run([*MAKE, "intl-update"], ws)
    assert before == {p: p.read_bytes() for p in (ws / "locale").rglob("*.po")}


def test_babel_is_pinned_to_what_writes_the_headers(pristine):
    """Babel writes "Generated-By: Babel X" into each catalogue it updates: the
    pin keeps that header from changing with every Babel release."""
    from importlib.metadata import version

    pins = dict(  # name==version, less any environment marker (; python_version ...)
        line.split(";")[0].strip().split("==")
        for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line
    )
    assert pins.get("Babel") == version("babel")
    header = polib.pofile(str(pristine / PO)).metadata["Generated-By"]
    assert header == f"Babel {pins['Babel']}"


def test_intl_update_is_stable(ws):
    """A second `make intl-update` changes no byte: diffs stay clean."""
    before = {p: p.read_bytes() for p in (ws / "locale").rglob("*.po")}
    run([*MAKE, "intl-update"], ws)
    after = {p: p.read_bytes() for p in (ws / "locale").rglob("*.po")}
    assert before == after



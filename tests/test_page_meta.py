"""What each built page says about itself: its description, in its own
language, and the day it last changed, from git (docs/_ext/page_description.py,
docs/_ext/page_source.py).

These read the site that ``make site`` assembled (_build/site/, or $SITE_DIR),
as tests/test_browser.py does, and ask git what it knows.
"""

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import page_description  # noqa: E402
import page_source  # noqa: E402

SITE = Path(os.environ.get("SITE_DIR") or ROOT / "_build" / "site")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def built_pages(folder: str) -> list[str]:
    base = SITE / folder
    if not base.is_dir():
        pytest.fail(f"{base} is missing: run `make site` first (`make test` does)")
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*.html")
                  if not any(part.startswith("_") for part in p.relative_to(base).parts))


def meta_description(path: Path) -> str | None:
    head = path.read_text(encoding="utf-8").split("</head>", 1)[0]
    found = re.findall(r'<meta name="description" content="([^"]*)"', head)
    assert len(found) <= 1, f"{path}: {len(found)} descriptions"
    return html.unescape(found[0]) if found else None


def test_every_page_has_a_description_in_its_own_language():
    en, zh = built_pages("en"), built_pages("zh_CN")
    assert en == zh and len(en) >= 20 and "search.html" in en and "404.html" in en
    for page in en:
        english = meta_description(SITE / "en" / page)
        chinese = meta_description(SITE / "zh_CN" / page)
        assert english and chinese, f"{page}: no description ({english!r}, {chinese!r})"
        assert not CHINESE.search(english), f"en/{page}: {english!r}"
        assert len(CHINESE.findall(chinese)) >= 5, f"zh_CN/{page}: not Chinese: {chinese!r}"
        assert len(english) <= 201 and len(chinese) <= 101, page


def test_a_description_is_the_opening_paragraph_in_whole_sentences_when_it_can_be():
    opening = ("By the end of this page your project has two settings modules, one for "
               "your machine and one for production. Each reads its secrets from the "
               "environment.")
    text = opening + " Then it runs the checks of `manage.py check --deploy`, " * 3
    assert page_description.describe(text, "en") == opening
    # No sentence end early enough: cut at a word, and say so.
    long = "word " * 100
    cut = page_description.describe(long, "en")
    assert cut.endswith("word…") and len(cut) <= 200
    zh = "读完本页，你的项目会有两个配置模块。" + "另一个用于生产环境，" * 20
    assert page_description.describe(zh, "zh_CN").endswith("…")
    assert page_description.describe("短句。", "zh_CN") == "短句。"


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                          check=True, env={**os.environ, "TZ": "UTC"}).stdout.strip()


def last_commit_day(*paths: str) -> str:
    return git("log", "-1", "--format=%cd", "--date=format-local:%Y-%m-%d", "--", *paths,
               cwd=ROOT)


LAST_UPDATED = re.compile(r'<div class="last-updated">\s*(.*?)\s*<time datetime="([\d-]+)">(.*?)</time>')


def test_each_page_shows_the_day_its_sources_last_changed_in_both_languages():
    if git("rev-parse", "--is-shallow-repository") == "true":
        pytest.fail("this checkout is a shallow clone: the pages show no dates "
                    "(see test_a_shallow_clone_shows_no_date); `git fetch --unshallow`")
    pages = ["middleware", "servers/daphne", "index"]
    for name in pages:
        en_day = last_commit_day(f"docs/{name}.md")
        zh_day = max(en_day, last_commit_day(f"locale/zh_CN/LC_MESSAGES/{name}.po"))
        for folder, day, words in [("en", en_day, "Last updated on"), ("zh_CN", zh_day, "最后更新于")]:
            found = LAST_UPDATED.search((SITE / folder / f"{name}.html").read_text(encoding="utf-8"))
            assert found, f"{folder}/{name}.html: no last-updated date"
            label, iso, shown = found.groups()
            assert (label, iso) == (words, day), f"{folder}/{name}.html"
            y, m, d = map(int, day.split("-"))
            assert shown == (f"{y} 年 {m} 月 {d} 日" if folder == "zh_CN"
                             else f"{d} {page_source.MONTHS[m - 1]} {y}")
    # Generated pages have no source, and so no date.
    assert not LAST_UPDATED.search((SITE / "en" / "search.html").read_text(encoding="utf-8"))


def test_a_shallow_clone_shows_no_date_and_says_why(tmp_path):
    origin = tmp_path / "origin"
    origin.mkdir()
    git("init", "-q", "-b", "main", cwd=origin)
    (origin / "docs").mkdir()
    env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@example.org",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@example.org"}
    for day in ("2026-01-05T10:00:00Z", "2026-03-07T10:00:00Z"):
        (origin / "docs" / "page.md").write_text(day)
        subprocess.run(["git", "-C", str(origin), "add", "."], check=True)
        subprocess.run(["git", "-C", str(origin), "commit", "-q", "-m", day],
                       env={**os.environ, **env, "GIT_AUTHOR_DATE": day,
                            "GIT_COMMITTER_DATE": day}, check=True)
    (origin / "docs" / "other.md").write_text("not committed")
    dates, why = page_source.last_changes(origin, ["docs"])
    assert (dates, why) == ({"docs/page.md": page_source.dt.date(2026, 3, 7)}, None)

    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow)],
                   check=True)
    dates, why = page_source.last_changes(shallow, ["docs"])
    assert dates == {} and "shallow clone" in why

    not_git = tmp_path / "copy"
    not_git.mkdir()
    assert page_source.last_changes(not_git, ["docs"])[1].endswith("is not a git checkout")

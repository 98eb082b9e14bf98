"""llms.txt and the Markdown copy of each page (docs/_tools/markdown_copies.py).

They are read from the site `make site` assembled (_build/site/ or $SITE_DIR),
as a tool that reads docs would fetch them.
"""

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))
from page_commands import commands  # noqa: E402

SITE = Path(os.environ.get("SITE_DIR") or ROOT / "_build" / "site")
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def llms() -> str:
    path = SITE / "llms.txt"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make site` first (`make test` does)")
    return path.read_text(encoding="utf-8")


def listed(llms: str, language: str) -> list[str]:
    """The addresses llms.txt lists under one language's heading, in order."""
    heading = {"en": "## English", "zh_CN": "## 简体中文"}[language]
    section = llms.split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- \[[^\]]+\]\(([^)]+)\)", section, re.MULTILINE)


def local(address: str) -> Path:
    """http://host/en/page.md -> the file in the site."""
    return SITE / address.split("/", 3)[3]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_llms_txt_lists_every_page_in_reading_order(llms, language):
    addresses = listed(llms, language)
    sitemap = (SITE / language / "sitemap.xml").read_text(encoding="utf-8")
    pages = [url.removesuffix(".html") + ".md" for url in re.findall(r"<loc>([^<]+)</loc>",
                                                                     sitemap)]
    assert sorted(addresses) == sorted(pages)
    assert all(local(a).is_file() for a in addresses)
    # The home page, then the guide in the sidebar's order.
    names = [a.rsplit(f"/{language}/", 1)[1] for a in addresses]
    assert names[:3] == ["index.md", "overview.md", "application.md"]
    assert names.index("servers/index.md") < names.index("servers/uvicorn.md") < names.index(
        "production.md") < names.index("troubleshooting.md")


def test_each_entry_has_the_pages_title_and_a_description(llms):
    entries = re.findall(r"^- \[([^\]]+)\]\(([^)]+)\): (.+)$", llms, re.MULTILINE)
    assert len(entries) == len(listed(llms, "en")) + len(listed(llms, "zh_CN"))
    for title, address, description in entries:
        copy = local(address).read_text(encoding="utf-8")
        assert copy.startswith(f"# {title}\n"), address
        assert len(description) <= 201 and not description.endswith(" "), description
    titles = dict((a.rsplit("/", 1)[1], t) for t, a, _ in entries if "/zh_CN/" in a)
    assert titles["troubleshooting.md"] == "按错误信息排查问题"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_a_copy_keeps_the_commands_and_links_to_the_other_copies(language):
    copy = (SITE / language / "streaming.md").read_text(encoding="utf-8")
    flat = " ".join(copy.replace("\\\n", " ").split())
    for shown in commands("streaming"):
        assert f"$ {' '.join(shown.text.split())}" in flat, shown.text
    assert "```console\n$ granian mysite.asgi_granian:application" in copy
    assert "```python\nasync def quote(request):" in copy
    assert "**Granian**" in copy  # a tab's label, above its command
    assert "¶" not in copy and "<a " not in copy
    links = LINK.findall(copy)
    internal = [link for link in links if "://" not in link]
    assert internal and all(link.split("#")[0] == "" or link.split("#")[0].endswith(".md")
                            for link in internal), internal
    for link in internal:
        target = link.split("#")[0]
        if target:
            assert (SITE / language / target).is_file(), link


def test_the_chinese_copy_is_the_translated_page():
    english = (SITE / "en" / "troubleshooting.md").read_text(encoding="utf-8")
    chinese = (SITE / "zh_CN" / "troubleshooting.md").read_text(encoding="utf-8")
    assert english.startswith("# Troubleshooting by error message\n")
    assert chinese.startswith("# 按错误信息排查问题\n")
    # The messages themselves are the same in both.
    message = "`RuntimeError: Address already in use (os error 98)`"
    assert message in english and message in chinese

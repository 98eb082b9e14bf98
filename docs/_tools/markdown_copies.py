"""A Markdown copy of every page, and the site's llms.txt, for tools that read docs.

assemble_site.py calls ``write(site)`` once both languages are in place:

    en/streaming.md, zh_CN/streaming.md, ...   each page's main text, taken
        from its built HTML (so the Chinese copy is the translated page, and
        included files and generated tables are there), in Markdown; links
        between pages point at the other pages' copies
    llms.txt    the site's title, what it is, and every page in reading
        order (the theme's "next" links), per language, with its description

The conversion is markdownify's; this module only picks the page's article,
drops what is there for the browser alone, and rewrites the links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from markdownify import MarkdownConverter

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
TITLE = "Deploying Django with ASGI / 使用 ASGI 部署 Django"
SUMMARY = ("A bilingual guide to running Django under ASGI servers, from `startproject` to "
           "production behind nginx, in which every snippet is a file that the tests run. "
           "/ 一份中英双语指南：从 `startproject` 到部署在 nginx 后面的生产环境，"
           "在 ASGI 服务器下运行 Django；文中每个代码片段都是经过测试运行的文件。")
# What the browser shows and a Markdown reader does not need.
DROP = ["a.headerlink", "script", "style", "input"]
DESCRIPTION_LENGTH = 200


@dataclass
class Page:
    html: Path      # under the language folder
    title: str
    description: str


def code_language(element) -> str:
    """Pygments marks a block with highlight-<lexer> on a parent div."""
    for node in [element, *element.parents]:
        for name in node.get("class") or []:
            if name.startswith("highlight-") and name != "highlight-default":
                return name.removeprefix("highlight-")
    return ""


def internal_md(href: str) -> str:
    """page.html#part -> page.md#part, for links within the site only."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.endswith(".html"):
        return href
    return href.replace(".html", ".md", 1)


def first_words(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(",;:，；：") + "…"


def convert(html_file: Path) -> tuple[str, Page]:
    soup = BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser")
    article = soup.find("article", id="furo-main-content") or soup.find("article")
    if article is None:
        raise SystemExit(f"{html_file}: no <article> to copy")
    for selector in DROP:
        for element in article.select(selector):
            element.decompose()
    # A chart drawn inline stays as its title; the table under it has the figures.
    for chart in article.find_all("svg"):
        name = chart.find("title")
        if name is not None and name.get_text(strip=True):
            chart.replace_with(soup.new_string(f"[{name.get_text(' ', strip=True)}]"))
        else:
            chart.decompose()
    # A tab's label becomes a line of its own, in bold, above the tab's content.
    for label in article.select("label.sd-tab-label"):
        strong = soup.new_tag("strong")
        strong.string = label.get_text(strip=True)
        label.name = "p"
        label.clear()
        label.append(strong)
    for link in article.find_all("a", href=True):
        link["href"] = internal_md(link["href"])
    heading = article.find("h1")
    title = heading.get_text(" ", strip=True) if heading else html_file.stem
    meta = soup.find("meta", attrs={"name": "description"})
    paragraph = article.find("p")
    description = (meta.get("content") if meta and meta.get("content")
                   else paragraph.get_text() if paragraph else "")
    markdown = MarkdownConverter(heading_style="ATX", bullets="-",
                                 code_language_callback=code_language).convert_soup(article)
    markdown = re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"
    return markdown, Page(html_file, title, first_words(description))


def reading_order(lang_dir: Path, pages: list[Path]) -> list[Path]:
    """From index.html along the theme's "next" links; pages off that path last."""
    order, current = [], lang_dir / "index.html"
    while current in pages and current not in order:
        order.append(current)
        soup = BeautifulSoup(current.read_text(encoding="utf-8"), "html.parser")
        following = soup.select_one("a.next-page")
        if following is None:
            break
        current = (current.parent / following["href"]).resolve()
    return order + sorted(p for p in pages if p not in order)


def published_pages(lang_dir: Path) -> dict[Path, str]:
    """{page: its address}, as the language's sitemap lists them."""
    sitemap = (lang_dir / "sitemap.xml").read_text(encoding="utf-8")
    pages = {}
    for url in re.findall(r"<loc>([^<]+)</loc>", sitemap):
        relative = urlsplit(url).path.split(f"/{lang_dir.name}/", 1)[1]
        page = (lang_dir / relative).resolve()
        if not page.is_file():
            raise SystemExit(f"{lang_dir / 'sitemap.xml'}: lists {url}, which is not built")
        pages[page] = url
    return pages


def write(site: Path) -> int:
    """Write every copy and llms.txt; return the number of copies."""
    lines = [f"# {TITLE}", "", f"> {SUMMARY}", "",
             "Each page below is the Markdown copy of an HTML page at the same address "
             "with `.md` in place of `.html`.", ""]
    written = 0
    for lang, name in LANGUAGES.items():
        lang_dir = (site / lang).resolve()
        lines += [f"## {name}", ""]
        pages = published_pages(lang_dir)
        for html_file in reading_order(lang_dir, list(pages)):
            markdown, page = convert(html_file)
            html_file.with_suffix(".md").write_text(markdown, encoding="utf-8")
            written += 1
            address = pages[html_file].removesuffix(".html") + ".md"
            entry = f"- [{page.title}]({address})"
            lines.append(f"{entry}: {page.description}" if page.description else entry)
        lines.append("")
    (site / "llms.txt").write_text("\n".join(lines), encoding="utf-8")
    return written

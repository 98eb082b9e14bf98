"""Assemble the publishable site from the two language builds.

    python docs/_tools/assemble_site.py _build/html _build/site [_build/epub [_build/pdf]]

_build/site/ gets::

    en/  zh_CN/      each language build, without Sphinx's .buildinfo, and
                     its EPUB (from _build/epub/<lang>/) and its PDF (from
                     _build/pdf/<lang>/) when those are given
    index.html       picks the reader's language (docs/_root/index.html)
    404.html         the English 404 page; its links are absolute, and it
                     sends readers under /zh_CN/ to the Chinese 404 page
    sitemap.xml      the <url> entries of both languages' sitemaps
    llms.txt         every page's Markdown copy (en/page.md, zh_CN/page.md),
                     in reading order: see markdown_copies.py
    favicon.svg      for the root page
    _runner/         what the Run buttons load, when `make html` had npm
                     (docs/_tools/build_runner.py)

The folder is replaced as a whole, so nothing stale is published.
"""

import shutil
import sys
from pathlib import Path
from xml.etree import ElementTree

import markdown_copies

LANGUAGES = ["en", "zh_CN"]
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"
EPUB = "deploying-django-with-asgi.epub"  # conf.py's epub_basename
PDF = "deploying-django-with-asgi.pdf"  # the Makefile's pdf-% target
ROOT_PAGE = Path(__file__).resolve().parent.parent / "_root" / "index.html"


def merge_sitemaps(paths: list[Path], out: Path) -> int:
    ElementTree.register_namespace("", SITEMAP)
    ElementTree.register_namespace("xhtml", XHTML)
    urlset = ElementTree.Element(f"{{{SITEMAP}}}urlset")
    for path in paths:
        urlset.extend(ElementTree.parse(path).getroot().findall(f"{{{SITEMAP}}}url"))
    ElementTree.indent(urlset)
    ElementTree.ElementTree(urlset).write(out, xml_declaration=True, encoding="utf-8")
    return len(urlset)


def main(html: Path, site: Path, epub: Path | None = None, pdf: Path | None = None) -> None:
    missing = [lang for lang in LANGUAGES if not (html / lang / "index.html").is_file()]
    if missing:
        sys.exit(f"{html}: no build for {', '.join(missing)}; run `make html` first")
    books = [(folder / lang / name, lang, name) for folder, name in ((epub, EPUB), (pdf, PDF))
             if folder is not None for lang in LANGUAGES]
    for book, _, _ in books:
        if not book.is_file():  # before the last site is touched
            sys.exit(f"{book}: missing; `make site` builds it")
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    for lang in LANGUAGES:
        shutil.copytree(html / lang, site / lang, ignore=shutil.ignore_patterns(".buildinfo"))
    if (html / "_runner").is_dir():  # what the Run buttons load (make runner)
        shutil.copytree(html / "_runner", site / "_runner")
    shutil.copyfile(ROOT_PAGE, site / "index.html")
    shutil.copyfile(html / "en" / "404.html", site / "404.html")
    shutil.copyfile(html / "en" / "_static" / "favicon.svg", site / "favicon.svg")
    urls = merge_sitemaps([html / lang / "sitemap.xml" for lang in LANGUAGES], site / "sitemap.xml")
    for book, lang, name in books:
        shutil.copyfile(book, site / lang / name)
    copies = markdown_copies.write(site)
    print(f"Site assembled: {site}/ ({', '.join(LANGUAGES)}; {urls} pages in sitemap.xml, "
          f"{copies} Markdown copies listed in llms.txt)")


if __name__ == "__main__":
    main(*map(Path, sys.argv[1:5]))

"""The EPUB of each language that `make site` publishes and the home page offers."""

import os
import re
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("SITE_DIR") or ROOT / "_build" / "site")
BOOK = "deploying-django-with-asgi.epub"
TITLES = {"en": ("Deploying Django with ASGI", "Troubleshooting by error message"),
          "zh_CN": ("使用 ASGI 部署 Django", "按错误信息排查问题")}


@pytest.fixture(params=list(TITLES))
def language(request):
    if not (SITE / request.param / BOOK).is_file():
        pytest.fail(f"{SITE / request.param / BOOK} is missing: run `make site` (`make test` does)")
    return request.param


def test_the_home_page_offers_the_book(language):
    home = (SITE / language / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{BOOK}">' in home
    assert '<a href="../llms.txt">' in home and (SITE / "llms.txt").is_file()


def test_the_book_is_an_epub_of_every_page_in_its_language(language):
    with zipfile.ZipFile(SITE / language / BOOK) as book:
        first = book.infolist()[0]
        # What readers check first: an uncompressed "mimetype" entry, then the package.
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert book.read("mimetype") == b"application/epub+zip"
        assert book.testzip() is None
        package = book.read("content.opf").decode()
        title, troubleshooting = TITLES[language]
        assert f"<dc:title>{title}</dc:title>" in package
        assert re.search(r'ibooks:version">\d{4}\.\d{2}\.\d{2}<', package)
        sitemap = (SITE / language / "sitemap.xml").read_text(encoding="utf-8")
        pages = [url.rsplit(f"/{language}/", 1)[1].removesuffix(".html")
                 for url in re.findall(r"<loc>([^<]+)</loc>", sitemap)]
        names = set(book.namelist())
        assert [p for p in pages if f"{p}.xhtml" not in names] == []
        chapter = " ".join(re.sub(r"<[^>]+>", "", book.read("troubleshooting.xhtml").decode())
                           .split())
        assert troubleshooting in chapter
        assert "RuntimeError: Address already in use (os error 98)" in chapter

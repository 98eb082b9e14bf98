"""The PDF of each language that `make site` prints and the home page offers.

Chromium prints the one-page build (docs/_tools/print_pdf.py); these tests
read the PDF back as a reader's PDF viewer would: its outline, its fonts and
the text of its pages."""

import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("SITE_DIR") or ROOT / "_build" / "site")
BOOK = "deploying-django-with-asgi.pdf"
SKIP_LINK = {"en": "Skip to content", "zh_CN": "跳到正文"}


@pytest.fixture(params=["en", "zh_CN"])
def language(request):
    if not (SITE / request.param / BOOK).is_file():
        pytest.fail(f"{SITE / request.param / BOOK} is missing: run `make site` (`make test` does)")
    return request.param


@pytest.fixture
def pdf(language):
    return PdfReader(SITE / language / BOOK)


def outline(reader, items=None, depth=0):
    """[(title, depth, first page number)] of every entry of the PDF's outline."""
    found = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            found += outline(reader, item, depth + 1)
        else:
            found.append((item.title, depth, reader.get_destination_page_number(item)))
    return found


def page_titles(language):
    """The <h1> of every page of the site in ``language``, in sitemap order."""
    sitemap = (SITE / language / "sitemap.xml").read_text(encoding="utf-8")
    titles = []
    for url in re.findall(r"<loc>([^<]+)</loc>", sitemap):
        page = SITE / language / url.rsplit(f"/{language}/", 1)[1]
        heading = re.search(r"<h1>(.*?)<a class=\"headerlink\"", page.read_text(encoding="utf-8"),
                            re.S)
        titles.append(" ".join(re.sub(r"<[^>]+>", "", heading[1]).split()))
    return titles


def text_of(reader, title):
    """The text of the section ``title``: its pages, up to the next entry of
    the outline at its depth or above."""
    entries = outline(reader)
    at = next(n for n, (name, _, _) in enumerate(entries) if name == title)
    _, depth, first = entries[at]
    end = next((page for _, d, page in entries[at + 1:] if d <= depth), len(reader.pages))
    return " ".join(" ".join(reader.pages[n].extract_text().split())
                    for n in range(first, max(end, first) + 1) if n < len(reader.pages))


def test_the_home_page_offers_the_pdf(language):
    home = (SITE / language / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{BOOK}">PDF</a>' in home


def test_every_page_of_the_site_is_in_the_outline_in_its_language(pdf, language):
    titles = {title for title, _, _ in outline(pdf)}
    missing = [title for title in page_titles(language) if title not in titles]
    assert missing == []
    assert pdf.metadata.title == ("Deploying Django with ASGI" if language == "en"
                                  else "使用 ASGI 部署 Django")


def test_the_chinese_pdf_is_set_in_a_chinese_font(pdf, language):
    fonts = {str(font.get_object().get("/BaseFont"))
             for page in pdf.pages
             for font in ((page.get("/Resources") or {}).get("/Font") or {}).values()}
    cjk = {font for font in fonts if "WenQuanYi" in font}
    assert bool(cjk) == (language == "zh_CN"), fonts
    if language == "zh_CN":
        text = text_of(pdf, "按错误信息排查问题")
        assert "按错误信息排查问题" in text
        assert "\ufffd" not in text


def test_messages_and_long_code_lines_are_printed_whole(pdf, language):
    title = "Troubleshooting by error message" if language == "en" else "按错误信息排查问题"
    text = text_of(pdf, title)
    assert "RuntimeError: Address already in use (os error 98)" in text
    # A traceback line far wider than the page wraps instead of being cut off.
    application = text_of(pdf, "The application object" if language == "en" else "application 对象")
    assert ("Requested setting INSTALLED_APPS, but settings are not configured. You must either "
            "define the environment variable DJANGO_SETTINGS_MODULE") in application


def test_every_tab_is_printed_with_its_label_and_no_control_is(pdf, language):
    """On screen only the picked tab shows; on paper each one does."""
    text = text_of(pdf, "Why ASGI" if language == "en" else "为什么选择 ASGI")
    assert "Django 5.2 LTS" in text and "Django 6.1" in text
    for series in ("5.2", "6.1"):  # each tab's asgi.py links to its own series' docs
        assert f"https://docs.djangoproject.com/en/{series}/howto/deployment/asgi/" in text
    assert "DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'" in text  # 5.2's settings tab
    assert "MAILERS = {" in text  # 6.1's
    everything = " ".join(page.extract_text() for page in pdf.pages[:3])
    assert SKIP_LINK[language] not in everything

"""Print the one-page build of a language to PDF with Debian's Chromium.

    python docs/_tools/print_pdf.py _build/singlehtml/zh_CN/index.html OUT.pdf

Sphinx's ``singlehtml`` builder puts every page into one HTML file whose
links between pages are links inside it; Chromium prints that file as the
reader's browser would (the print rules of ``_static/a11y.css``: every tab
shown, no controls), with the fonts of the system (the Chinese one is
Debian's fonts-wqy-microhei), A4, a page number at the foot of each page,
and an outline of the headings for the PDF reader's sidebar.
"""

import sys
from pathlib import Path

FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def print_pdf(page: Path, out: Path) -> None:
    """Print ``page`` to ``out``."""
    from playwright.sync_api import sync_playwright

    from chromium import ChromiumMissing, launch

    if not page.is_file():
        sys.exit(f"print_pdf: {page} is missing; the singlehtml build writes it")
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        try:
            browser = launch(playwright)
        except ChromiumMissing as error:
            sys.exit(f"print_pdf: the PDF cannot be printed: {error}; `make html` needs none of it")
        try:
            tab = browser.new_page()
            tab.goto(page.resolve().as_uri(), wait_until="load")
            tab.evaluate("document.fonts.ready.then(() => true)")
            tab.pdf(path=str(out), format="A4", print_background=True, outline=True,
                    tagged=True, display_header_footer=True, header_template="<span></span>",
                    footer_template=FOOTER,
                    margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"})
        finally:
            browser.close()


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    print_pdf(source, target)
    print(f"PDF printed: {target} ({target.stat().st_size // 1024} KB)")

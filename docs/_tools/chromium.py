"""Debian's Chromium, launched through Playwright: the one browser of the
project, never a browser Playwright downloads.

    from chromium import launch
    with sync_playwright() as playwright:
        browser = launch(playwright)

`make site` prints the PDF with it (print_pdf.py) and the browser tests drive
it (tests/test_browser.py and the files that share its fixtures). The flags
keep it off the network: this machine's closed network refuses Chromium's
background connections, many at a time.
"""

from pathlib import Path

PATH = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-gpu", "--no-first-run"]
MISSING = (f"{PATH} is missing: install the Debian package `chromium` (.ci/run does); "
           "Playwright's own browser downloads are not used")


class ChromiumMissing(RuntimeError):
    pass


def launch(playwright, *flags: str):
    """A headless Chromium, with ``flags`` added to ARGS."""
    if not PATH.exists():
        raise ChromiumMissing(MISSING)
    return playwright.chromium.launch(executable_path=str(PATH), args=[*ARGS, *flags])

"""Run the doctest blocks of each page in a process of its own, then sum up.

    python docs/_tools/doctest_pages.py BUILD_DIR [PAGE.md ...]

Without pages, every page of docs/ (outside its _folders).

Django configures its settings once per process and each page imports a
different example project, so every page gets its own sphinx-build. A page
that fails does not stop the others: every page runs, the summary of
doctest_summary.py follows, and the exit status is 1 if any page failed.

The pages set DJANGO_SETTINGS_MODULE for their own project; a value exported
in the developer's shell (common on Django machines) is left out.
"""

import os
import subprocess
import sys
from pathlib import Path

import doctest_summary

SPHINX = Path(sys.executable).parent / "sphinx-build"
OPTIONS = ["-W", "--keep-going", "-q"]


def run_page(page: Path, build: Path) -> bool:
    name = page.relative_to("docs").with_suffix("").as_posix()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [str(SPHINX), "-b", "doctest", "-c", ".", "-d", str(build / "doctrees" / "doctest"),
         *OPTIONS, "docs", str(build / "doctest" / name), str(page)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        print(f"--- {page}: doctest failed (sphinx-build exited {done.returncode}) ---")
        print(done.stdout.rstrip())
    return done.returncode == 0


def all_pages() -> list[str]:
    return sorted(str(p) for p in Path("docs").rglob("*.md")
                  if not any(part.startswith("_") for part in p.parts))


def main(build: str, *pages: str) -> int:
    build_dir = Path(build)
    whole_site = not pages
    pages = pages or tuple(all_pages())
    passed = [run_page(Path(page), build_dir) for page in pages]
    summary = doctest_summary.main(str(build_dir / "doctest"),
                                   str(build_dir / "doctrees" / "doctest"),
                                   pages=[Path(p).relative_to("docs").with_suffix("").as_posix()
                                          for p in pages],
                                   whole_site=whole_site)
    failed = [page for page, ok in zip(pages, passed) if not ok]
    if failed:
        print(f"doctest: failed on {len(failed)} of {len(pages)} pages: {', '.join(failed)}")
    return 1 if failed or summary else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

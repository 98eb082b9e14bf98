"""`make bench-build`: how long the site takes to build, against bare Sphinx.

In a temporary copy of the repository (the checkout is never touched) it
times, once each:

cold      a build from nothing (no doctrees, no output),
no-op     the same build again with nothing changed,
edit      the build after one sentence is added to one page,

for each language through the Makefile's own ``make html-<lang>``, and for a
bare Sphinx + MyST build of the same pages (a conf.py with only myst_parser
and the default theme, so its unknown directives only warn). It prints the
times and the ratio of each language to the bare build.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import cpu_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
LANGS = ["en", "zh_CN"]
EDITED_PAGE = "docs/overview.md"
COPIED = ["conf.py", "Makefile", "requirements.txt", "docs", "examples", "locale"]
BARE_CONF = '''\
# Bare Sphinx + MyST: the same pages, nothing else.
project = "bare"
extensions = ["myst_parser"]
exclude_patterns = ["_build", "_ext", "_static", "_templates"]
'''


def copy_repo(into: Path) -> None:
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, into / name)
    # The copy builds with the checkout's virtual environment.
    (into / ".venv").symlink_to(ROOT / ".venv")
    (into / "bare").mkdir()
    (into / "bare" / "conf.py").write_text(BARE_CONF)


def timed(argv: list[str], cwd: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, done.returncode, done.stdout + done.stderr


def three_builds(argv: list[str], work: Path, label: str, out: str, must_pass: bool) -> dict:
    page = work / EDITED_PAGE
    original = page.read_text()
    times, warnings = {}, 0
    for step in ("cold", "no-op", "edit"):
        if step == "edit":
            page.write_text(original + f"\nThis sentence was added by bench-build ({label}).\n")
        elapsed, code, output = timed(argv, work)
        if must_pass and code != 0:
            raise SystemExit(f"bench-build: {' '.join(argv)} failed:\n{output}")
        if step == "cold":
            warnings = output.count("WARNING") + output.count("ERROR")
        times[step] = elapsed
    built = work / out / Path(EDITED_PAGE).with_suffix(".html").name
    if f"added by bench-build ({label})" not in built.read_text():
        raise SystemExit(f"bench-build: the edit build of {label} did not rewrite {built}")
    page.write_text(original)
    return {"times": times, "warnings": warnings}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        work = Path(tmp)
        copy_repo(work)
        results = {}
        for lang in LANGS:
            argv = ["make", "--no-print-directory", f"html-{lang}", "BUILD=_build"]
            results[lang] = three_builds(argv, work, lang, f"_build/html/{lang}", must_pass=True)
        bare = [str(ROOT / ".venv" / "bin" / "sphinx-build"), "-b", "html", "-q",
                "-c", "bare", "-d", "_build/bare-doctrees", "docs", "_build/bare"]
        results["bare"] = three_builds(bare, work, "bare", "_build/bare", must_pass=False)
        pages = len([p for p in (work / "docs").rglob("*.md")
                     if not any(part.startswith("_") for part in p.relative_to(work).parts)])

    steps = ["cold", "no-op", "edit"]
    cpu = cpu_model()
    print(f"Build times of {pages} pages, one run each, on {cpu} ({os.cpu_count()} cores), "
          f"Python {platform.python_version()}, Sphinx {version('sphinx')}, "
          f"myst-parser {version('myst-parser')}")
    print(f"edit = one sentence added to {EDITED_PAGE}; the bare build warned "
          f"{results['bare']['warnings']} times\n(about the directives and settings it lacks, "
          "such as sphinx.ext.doctest's and myst_heading_anchors)\n")
    print(f"  {'build':<40}" + "".join(f"{s:>9}" for s in steps))
    names = {lang: f"{lang}: make html-{lang}" for lang in LANGS}
    names["bare"] = "bare: Sphinx + myst_parser, alabaster"
    for key in LANGS + ["bare"]:
        print(f"  {names[key]:<40}" + "".join(f"{results[key]['times'][s]:>8.2f}s" for s in steps))
    print()
    for lang in LANGS:
        ratios = [results[lang]["times"][s] / results["bare"]["times"][s] for s in steps]
        print(f"  {lang + ' / bare':<40}" + "".join(f"{r:>8.2f}x" for r in ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())

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

Then, right after a bare cold build, the whole cold ``make html`` (both
languages side by side, as the Makefile runs them), and the same once more
with ``DOCS_PLAIN_BUILD=1`` (without what only saves build time:
docs/_ext/gc_tuning.py, reuse_myst_parser.py, parse_msgstr_once.py,
stem_once.py and jieba's dictionary loaded by bigram, jieba_by_bigram.py): it
prints both against that bare build, and fails unless the two sites are
identical, file for file and byte for byte.
"""

from __future__ import annotations

import os
import platform
import resource
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
COPIED = ["conf.py", "Makefile", "requirements.txt", "requirements-django-6.1.txt", "docs", "examples", "locale"]
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


def tree(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def whole_site(work: Path, bare: list[str]) -> dict:
    """Cold bare build, then cold `make html` with and without the speedup."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "DOCS_BUILD_DIR", "SITE_DIR")}
    shutil.rmtree(work / "_build" / "bare-doctrees", ignore_errors=True)
    shutil.rmtree(work / "_build" / "bare", ignore_errors=True)
    times, cpu = {}, {}
    for key, build, extra in (("bare", None, {}), ("site", "_build-site", {}),
                              ("plain", "_build-plain", {"DOCS_PLAIN_BUILD": "1"})):
        argv = bare if build is None else ["make", "--no-print-directory", "html", f"BUILD={build}"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=work, capture_output=True, text=True, env={**env, **extra})
        times[key] = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[key] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if build is not None and done.returncode != 0:
            raise SystemExit(f"bench-build: {' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    site, plain = tree(work / "_build-site" / "html"), tree(work / "_build-plain" / "html")
    differ = sorted(str(p) for p in set(site) | set(plain) if site.get(p) != plain.get(p))
    if differ:
        raise SystemExit("bench-build: the speed-ups (DOCS_PLAIN_BUILD) change the site: "
                         + ", ".join(differ[:10]))
    return {"wall": times, "cpu": cpu, "files": len(site)}


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
        whole = whole_site(work, bare)
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
    wall, cpu = whole["wall"], whole["cpu"]
    print("\nThe whole site from nothing, one after the other (CPU = user + system time of "
          "all the processes,\nwhat a machine busy with other work cannot blur):")
    print(f"  {'build':<40}{'wall':>9}{'ratio':>9}{'CPU':>9}{'ratio':>9}")
    for key, name in (("bare", "bare: Sphinx + myst_parser, alabaster"),
                      ("site", "make html (both languages, -j2)"),
                      ("plain", "  the same, DOCS_PLAIN_BUILD=1")):
        print(f"  {name:<40}{wall[key]:>8.2f}s{wall[key] / wall['bare']:>8.2f}x"
              f"{cpu[key]:>8.2f}s{cpu[key] / cpu['bare']:>8.2f}x")
    print(f"  make html wrote the same site both times ({whole['files']} files, byte for byte)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

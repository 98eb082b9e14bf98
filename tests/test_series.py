"""The two Django series: their requirement files, their environments, and
what `make` does when the Python that Django 6.1 needs is missing.

requirements.txt pins everything with Django 5.2 LTS; requirements-django-6.1.txt
holds only what differs for Django 6.1 (docs/_tools/series_requirements.py).
The home page names both series from these files; the first test, run on each
series, checks that the run is on what the page names.
"""

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import django
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_tools"))

import series_requirements  # noqa: E402
from series_requirements import SeriesError  # noqa: E402

LTS = ROOT / "requirements.txt"
SERIES = {(5, 2): (LTS, ".venv"), (6, 1): (ROOT / "requirements-django-6.1.txt", ".venv-6.1")}


def test_this_run_is_on_the_series_the_home_page_names():
    series = django.VERSION[:2]
    assert series in SERIES, f"Django {django.get_version()} is neither series the guide names"
    requirements, venv = SERIES[series]
    assert django.get_version() == series_requirements.pin(requirements, "Django")
    assert "%d.%d" % sys.version_info[:2] in series_requirements.pythons(requirements), \
        f"Python {platform.python_version()}: {requirements.name} names another"
    assert Path(sys.prefix).name == venv


def test_both_series_install_the_same_packages_and_differ_only_in_the_series_lines(tmp_path):
    series = SERIES[6, 1][0]
    combined = tmp_path / "requirements.txt"
    combined.write_text(series_requirements.combine(LTS, series))
    lts, new = (series_requirements.requirements(f) for f in (LTS, combined))
    own = series_requirements.packages(series)
    assert own and own <= series_requirements.packages(LTS)
    assert series_requirements.packages(combined) == series_requirements.packages(LTS)
    # Line for line, after the "do not edit" line: only the series' own lines differ.
    assert len(new) == len(lts) + 1
    assert {name for (line, name), other in zip(lts, new[1:]) if (line, name) != other} <= own
    assert series_requirements.pin(combined, "Django") == series_requirements.pin(series, "Django")


def test_a_series_file_cannot_pin_a_package_the_lts_file_does_not(tmp_path):
    base, series = tmp_path / "requirements.txt", tmp_path / "requirements-django-6.1.txt"
    base.write_text("Django==5.2.19\nhttpx==0.28.1\n")
    series.write_text("# Python 3.13\nDjango==6.1.3\nnewthing==1.0\n")
    assert series_requirements.combine(base, tmp_path / "requirements.txt") == \
        "# Written by docs/_tools/series_requirements.py from requirements.txt and " \
        "requirements.txt: do not edit.\nDjango==5.2.19\nhttpx==0.28.1\n"
    with pytest.raises(SeriesError, match=r"requirements-django-6\.1\.txt pins newthing, which "
                                          r".*requirements\.txt does not: add it to"):
        series_requirements.combine(base, series)
    series.write_text("-r requirements.txt\nDjango==6.1.3\n")
    with pytest.raises(SeriesError, match=r"requirements-django-6\.1\.txt:1: pip options"):
        series_requirements.combine(base, series)


def test_the_makefile_looks_for_the_pythons_the_6_1_file_names():
    makefile = (ROOT / "Makefile").read_text()
    looked_for = re.search(r"^PYTHONS_6_1 := (.*)$", makefile, re.M)[1].split()
    assert looked_for == series_requirements.pythons(SERIES[6, 1][0])


def make_copy(tmp_path: Path) -> Path:
    """Just what `make venv DJANGO=6.1` reads."""
    ws = tmp_path / "repo"
    (ws / "docs" / "_tools").mkdir(parents=True)
    for name in ("Makefile", "requirements.txt", "requirements-django-6.1.txt",
                 "docs/_tools/find_python.sh", "docs/_tools/series_requirements.py"):
        shutil.copy2(ROOT / name, ws / name)
    return ws


def make(ws: Path, *args, **env):
    environ = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MAKELEVEL", "DJANGO", "PYTHON_6_1", "PYENV_ROOT")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ws, text=True,
                          capture_output=True, timeout=60, env={**environ, **env})


def test_without_a_python_for_django_6_1_make_says_which_and_where_it_looked(tmp_path):
    ws = make_copy(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A pyenv shim: on PATH, but fails unless its version is selected.
    (bin_dir / "python3.13").write_text("#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\n"
                                        "exit 127\n")
    (bin_dir / "python3.13").chmod(0o755)
    home = tmp_path / "home"
    (home / ".pyenv" / "versions" / "3.12.1" / "bin").mkdir(parents=True)  # no python in it
    done = make(ws, "venv", "DJANGO=6.1", HOME=str(home), PATH=f"{bin_dir}:/usr/bin:/bin")
    assert done.returncode != 0
    assert done.stderr.splitlines()[:6] == [
        "make: Django 6.1 needs Python 3.13 or 3.12, and none was found. Looked for:",
        f"  python3.13 on PATH: {bin_dir}/python3.13 does not run"
        " (a pyenv shim of a version not selected?)",
        "  python3.12 on PATH: not there",
        f"  {home}/.pyenv/versions/3.13.*/bin/python3.13: not there",
        f"  {home}/.pyenv/versions/3.12.*/bin/python3.12: not there",
        "Install one (pyenv install 3.13, or your system's python3.13 package), or name it:"
        " PYTHON_6_1=/path/to/python3.13",
    ]
    assert not (ws / ".venv-6.1").exists()


def test_python_6_1_names_the_interpreter_and_a_too_old_one_is_refused(tmp_path):
    ws = make_copy(tmp_path)
    old = tmp_path / "python3.11"
    old.write_text("#!/bin/sh\necho 3.11\n")
    old.chmod(0o755)
    done = make(ws, "venv", "DJANGO=6.1", f"PYTHON_6_1={old}")
    assert done.returncode != 0
    assert done.stderr.splitlines()[0] == \
        f"make: PYTHON_6_1={old} is Python 3.11; Django 6.1 needs Python 3.12 or newer"
    done = make(ws, "venv", "DJANGO=7.0")
    assert done.returncode != 0
    assert "DJANGO=7.0: the guide is checked on DJANGO=5.2 (the default) and DJANGO=6.1" \
        in done.stderr

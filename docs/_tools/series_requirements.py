"""The pins of each Django series the guide is checked against.

    python docs/_tools/series_requirements.py requirements.txt requirements-django-6.1.txt OUT

requirements.txt pins everything, with the Django 5.2 LTS series. A series
file such as requirements-django-6.1.txt holds only the lines that differ:
OUT gets every line of requirements.txt, where each package the series file
names has its lines replaced by the series file's (in the same place). So
the shared pins are kept in one file only, and a package cannot be added to
one series and not to the other: a series file that names a package
requirements.txt does not pin is an error that names both files.

Standard library only: the Makefile runs it with the interpreter it is about
to make .venv-6.1 with. conf.py and tests/test_series.py import it.
"""

import re
import sys
from pathlib import Path

NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)\s*(?:#.*)?$")
# "# Python 3.13 or 3.12 (...)": the Pythons a series is checked on, best first.
PYTHONS = re.compile(r"^# Python (\d+\.\d+(?: or \d+\.\d+)*)\b", re.M)


class SeriesError(Exception):
    pass


def canonical(name: str) -> str:
    """The name pip compares (PEP 503): Django, django and DJANGO are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(path: Path) -> list[tuple[str, str | None]]:
    """(line, canonical package name or None) for each line of ``path``."""
    lines = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            lines.append((line, None))
            continue
        if text.startswith("-"):
            raise SeriesError(f"{path}:{number}: pip options (-r, -c, --...) are not used here: {text}")
        lines.append((line, canonical(NAME.match(text)[1])))
    return lines


def packages(path: Path) -> set[str]:
    """The canonical names of the packages ``path`` pins."""
    return {name for _, name in requirements(path) if name}


def pin(path: Path, package: str) -> str:
    """The version ``path`` pins ``package`` to (``==`` without a marker)."""
    for line, name in requirements(path):
        if name == canonical(package) and (m := PIN.match(line.strip())):
            return m[2]
    raise SeriesError(f"{path}: no `{package}==VERSION` line")


def pythons(path: Path) -> list[str]:
    """The Python versions a series file says it is checked on, best first."""
    found = PYTHONS.search(Path(path).read_text(encoding="utf-8"))
    if not found:
        raise SeriesError(f"{path}: no '# Python X.Y' line saying which Python the series runs on")
    return found[1].split(" or ")


def combine(base: Path, series: Path) -> str:
    """requirements.txt ``base`` with the lines of ``series`` in place of its
    lines for the same packages."""
    replacing: dict[str, list[str]] = {}
    for line, name in requirements(series):
        if name:
            replacing.setdefault(name, []).append(line.strip())
    missing = sorted(set(replacing) - packages(base))
    if missing:
        raise SeriesError(f"{series} pins {', '.join(missing)}, which {base} does not: "
                          f"add it to {base} first, so that both series install it")
    out = [f"# Written by docs/_tools/series_requirements.py from {Path(base).name} and "
           f"{Path(series).name}: do not edit."]
    done = set()
    for line, name in requirements(base):
        if name in replacing:
            if name not in done:
                out += replacing[name]
                done.add(name)
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def main(base: str, series: str, out: str) -> int:
    try:
        text = combine(Path(base), Path(series))
    except SeriesError as error:
        print(f"series_requirements: {error}", file=sys.stderr)
        return 1
    Path(out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[0])
    sys.exit(main(*sys.argv[1:]))

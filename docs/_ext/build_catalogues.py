"""Give Sphinx a copy of locale/ under the build folder.

Sphinx compiles every .po it reads into a .mo next to it, and then reads the
.mo files. Pointed at locale/ itself, it would write into the sources, and a
.mo whose .po was deleted would keep its page translated. ``mirror`` copies
the .po files (and glossaries and the like) into the build folder, removes
what locale/ no longer has, .mo files included, and returns the folder for
``locale_dirs``.

Two builds may run side by side (`make -j2 html`): every write is a rename
of a finished file, and a file that is already gone is fine.
"""

import os
import tempfile
from pathlib import Path


def mirror(source: Path, target: Path) -> Path:
    wanted = {p.relative_to(source) for p in source.rglob("*.po")}
    for relative in wanted:
        _copy_if_changed(source / relative, target / relative)
    if target.exists():
        for path in list(target.rglob("*.po")) + list(target.rglob("*.mo")):
            if path.relative_to(target).with_suffix(".po") not in wanted:
                path.unlink(missing_ok=True)
    return target


def _copy_if_changed(src: Path, dst: Path) -> None:
    data = src.read_bytes()
    if dst.exists() and dst.read_bytes() == data:
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".", suffix=".po.tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, dst)

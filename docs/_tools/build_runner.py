"""Assemble what a reader's browser runs the examples with, when they press Run.

    python docs/_tools/build_runner.py OUT WHEELS REQUIREMENTS...

OUT (``_build/runner/``, which ``make html`` copies to the site's
``_runner/``) gets, each under a name that changes with its content, so that
the browser may keep it for good (docs/_runner/worker.js caches it):

    pyodide-VERSION/       the files of the npm package ``pyodide`` that a
                           browser loads (from node_modules/, ``npm ci``),
                           its modules named .js
    site-packages-HASH.zip the wheels of requirements-browser.txt, which pip
                           downloads into WHEELS once (a cache kept between
                           builds), unpacked into one archive less what no
                           example uses (the translations of Django but
                           English, django.contrib.gis and .postgres), and
                           compiled to bytecode by the same Pyodide under
                           Node (precompile_site_packages.mjs): a Run then
                           unpacks 1,400 files, not 4,000, and compiles none
    examples/NAME-HASH.zip each folder of examples/, as examples/NAME/...
    python-HASH.zip        docs/_runner/*.py: the shim and the block runner
    worker-HASH.js         docs/_runner/worker.js, the Web Worker
    run-HASH.js            docs/_runner/run.js, what the page's Run buttons do
    manifest.json          all these names, for docs/_ext/run_in_browser.py

REQUIREMENTS are the series' requirement files (requirements.txt, and with
DJANGO=6.1 requirements-django-6.1.txt): a package that
requirements-browser.txt names without a version gets their pin.
"""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import series_requirements

ROOT = Path(__file__).resolve().parent.parent.parent
PYODIDE = ROOT / "node_modules" / "pyodide"
# What loadPyodide() fetches or imports in a browser, and the name each gets;
# the rest of the package (Node's files, the type definitions, the source
# maps) stays behind. The two modules are named .js: a static server need not
# know .mjs (Python 3.11's http.server sends it as application/octet-stream,
# which a browser refuses for a module); worker.js imports pyodide.asm.js
# itself and hands it to loadPyodide().
PYODIDE_FILES = {"pyodide.mjs": "pyodide.js", "pyodide.asm.mjs": "pyodide.asm.js",
                 "pyodide.asm.wasm": "pyodide.asm.wasm", "python_stdlib.zip": "python_stdlib.zip",
                 "pyodide-lock.json": "pyodide-lock.json"}
RUNNER = ROOT / "docs" / "_runner"
BROWSER_REQUIREMENTS = ROOT / "requirements-browser.txt"
SKIPPED = {"__pycache__", "db.sqlite3", "staticfiles", ".pytest_cache"}
# What the browser's site-packages leaves out of the wheels: no example uses it.
PRUNED = re.compile(r"(^|/)locale/(?!en/)[^/]+/|^django/contrib/(gis|postgres)/")
PRECOMPILE = Path(__file__).resolve().parent / "precompile_site_packages.mjs"
# The Python the wheels are for: the one pyodide-lock.json names.
PIP = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
       "--only-binary=:all:", "--no-deps", "--platform", "any", "--implementation", "py"]


class RunnerError(Exception):
    pass


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def browser_pins(series: list[Path]) -> list[str]:
    """``name==version`` for each line of requirements-browser.txt."""
    merged = {}
    for path in series:
        for line, name in series_requirements.requirements(path):
            if name and (m := series_requirements.PIN.match(line.strip())):
                merged[name] = m[2]
    pins = []
    for number, line in enumerate(BROWSER_REQUIREMENTS.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if "==" in text:
            pins.append(text)
            continue
        name = series_requirements.canonical(text)
        if name not in merged:
            raise RunnerError(f"{BROWSER_REQUIREMENTS.name}:{number}: {text} has no version, and "
                              f"{', '.join(p.name for p in series)} pin no {text}")
        pins.append(f"{text}=={merged[name]}")
    return pins


def wheel_name(pin: str) -> str:
    name, version = pin.split("==")
    return f"{series_requirements.canonical(name).replace('-', '_')}-{version}-"


def download_wheels(pins: list[str], cache: Path, python: str) -> list[Path]:
    """The wheel of each pin, from ``cache``; pip downloads those missing."""
    cache.mkdir(parents=True, exist_ok=True)

    def find(pin):
        return [w for w in cache.glob("*.whl") if w.name.lower().startswith(wheel_name(pin).lower())]

    missing = [pin for pin in pins if not find(pin)]
    if missing:
        done = subprocess.run([*PIP, "--python-version", python, "--dest", str(cache), *missing],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RunnerError(f"pip could not download the browser's wheels ({' '.join(missing)}):\n"
                              + done.stderr.strip())
    wheels = []
    for pin in pins:
        found = find(pin)
        if len(found) != 1:
            raise RunnerError(f"{cache}: expected one pure-Python wheel for {pin}, found "
                              f"{[w.name for w in found] or 'none'}")
        wheels.append(found[0])
    return wheels


def pack(files: list[tuple[str, Path]]) -> bytes:
    """A zip of ``(name in the zip, file)``, the same bytes for the same files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def example_files(folder: Path) -> list[tuple[str, Path]]:
    return [(f"examples/{folder.name}/{p.relative_to(folder).as_posix()}", p)
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not SKIPPED & set(p.relative_to(folder).parts) and p.suffix != ".pyc"]


def precompiled(wheels: list[Path], cache: Path) -> bytes:
    """site-packages from ``wheels``, pruned and compiled (kept in ``cache``
    for the same wheels, pruning and compiler)."""
    key = digest(json.dumps([w.name for w in wheels]).encode() + PRUNED.pattern.encode()
                 + PRECOMPILE.read_bytes() + (PYODIDE / "package.json").read_bytes())
    done = cache / f"site-packages-{key}.zip"
    if done.is_file():
        return done.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as archive:
                for member in archive.infolist():
                    if not member.is_dir() and not PRUNED.search(member.filename):
                        bundle.writestr(member.filename, archive.read(member))
    raw = cache / "site-packages.raw.zip"
    raw.write_bytes(buffer.getvalue())
    node = shutil.which("node")
    if node is None:
        raise RunnerError("node not found: it compiles the browser's site-packages "
                          "(it comes with npm)")
    compiled = subprocess.run([node, str(PRECOMPILE), str(raw), str(done)], cwd=ROOT,
                              capture_output=True, text=True)
    raw.unlink()
    if compiled.returncode != 0 or not done.is_file():
        raise RunnerError(f"{PRECOMPILE.name} failed:\n{compiled.stderr.strip()[-2000:]}")
    return done.read_bytes()


def write_hashed(out: Path, stem: str, suffix: str, data: bytes) -> str:
    name = f"{stem}-{digest(data)}{suffix}"
    (out / name).parent.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(data)
    return name


def build(out: Path, cache: Path, series: list[Path]) -> dict:
    if not (PYODIDE / "package.json").is_file():
        raise RunnerError(f"{PYODIDE} is missing: run `npm ci` (make runner does)")
    version = json.loads((PYODIDE / "package.json").read_text())["version"]
    lock = json.loads((PYODIDE / "pyodide-lock.json").read_text())
    python = ".".join(lock["info"]["python"].split(".")[:2])
    pins = browser_pins(series)
    wheels = download_wheels(pins, cache, python)

    new = out.with_name(out.name + ".new")
    shutil.rmtree(new, ignore_errors=True)
    (new / f"pyodide-{version}").mkdir(parents=True)
    for name, published in PYODIDE_FILES.items():
        shutil.copy2(PYODIDE / name, new / f"pyodide-{version}" / published)
    site_packages = write_hashed(new, "site-packages", ".zip", precompiled(wheels, cache))
    examples = {folder.name: write_hashed(new, f"examples/{folder.name}", ".zip",
                                          pack(example_files(folder)))
                for folder in sorted((ROOT / "examples").iterdir()) if folder.is_dir()}
    manifest = {
        "pyodide": f"pyodide-{version}/",
        "python": lock["info"]["python"],
        "packages": dict(pin.split("==") for pin in pins),
        "wheels": [w.name for w in wheels],
        "site_packages": site_packages,
        "runtime": write_hashed(new, "python", ".zip",
                                pack([(p.name, p) for p in sorted(RUNNER.glob("*.py"))])),
        "worker": write_hashed(new, "worker", ".js", (RUNNER / "worker.js").read_bytes()),
        "page": write_hashed(new, "run", ".js", (RUNNER / "run.js").read_bytes()),
        "examples": examples,
    }
    # What the first Run downloads: all but the other examples.
    manifest["download_mb"] = round(sum(
        p.stat().st_size for p in new.rglob("*") if p.is_file() and "examples" not in p.parts) / 1e6)
    (new / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    os.replace(new, out)
    return manifest


def main(out: str, cache: str, *series: str) -> int:
    try:
        manifest = build(Path(out), Path(cache), [Path(s) for s in series])
    except RunnerError as error:
        print(f"make runner: {error}", file=sys.stderr)
        return 1
    print(f"make runner: Pyodide {manifest['pyodide'].strip('/').split('-')[1]} "
          f"(Python {manifest['python']}), Django {manifest['packages']['Django']}, "
          f"{len(manifest['wheels'])} wheels, {len(manifest['examples'])} examples -> {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

"""Check the English site's external links: `make linkcheck`.

    python docs/_tools/linkcheck.py _build/linkcheck

Runs Sphinx's linkcheck builder (links to this machine are ignored, see
conf.py), then prints one ``docs/PAGE.md:LINE: URL: reason`` line per broken
link. When not one external link could be reached, the machine has no
network: it says so and exits 2 rather than calling every link broken.
The Pages workflow runs it where the network is available.
"""

import json
import subprocess
import sys
from pathlib import Path

SPHINX = Path(sys.executable).parent / "sphinx-build"
# What requests says when it never got an answer.
UNREACHABLE = ("Max retries exceeded", "NameResolutionError", "Failed to resolve",
               "ConnectionError", "Connection refused", "timed out", "Network is unreachable")


def read_results(out: Path) -> list[dict]:
    path = out / "output.json"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def report(results: list[dict]) -> tuple[int, list[str]]:
    """(exit status, lines to print) for linkcheck's results."""
    external = [r for r in results if r["status"] not in ("unchecked", "ignored")]
    broken = [r for r in external if r["status"] == "broken"]
    if external and len(broken) == len(external) and all(
            any(sign in r.get("info", "") for sign in UNREACHABLE) for r in broken):
        return 2, [f"linkcheck: none of the {len(external)} external links could be reached: "
                   "`make linkcheck` needs the network (the Pages workflow runs it)"]
    lines = [f"docs/{r['filename']}:{r['lineno']}: {r['uri']}: {r.get('info', '')}"
             for r in broken]
    lines.append(f"linkcheck: {len(external)} external links, {len(broken)} broken")
    return (1 if broken else 0), lines


def main(out: str) -> int:
    out_dir = Path(out)
    subprocess.run([str(SPHINX), "-b", "linkcheck", "-c", ".", "-D", "language=en", "-q",
                    "-d", str(out_dir / "doctrees"), "docs", str(out_dir)])
    status, lines = report(read_results(out_dir))
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

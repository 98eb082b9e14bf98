"""Sum up `make doctest`: one output folder per page, one line per page.

Fails when any page had a failure, when a doctest block is marked to be
skipped, or when the site holds fewer than MIN_BLOCKS doctest blocks.
"""

import pickle
import re
import sys
from pathlib import Path

from docutils import nodes

# Unpickling a doctree imports the node classes of the local extensions.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "_ext"))

MIN_BLOCKS = 12
TEST_BLOCKS = {"doctest", "testcode"}


def count_blocks(doctree_dir: Path) -> dict[str, tuple[int, int]]:
    """Map each page to (doctest blocks, blocks carrying a skipif option)."""
    counts = {}
    for path in sorted(doctree_dir.rglob("*.doctree")):
        doctree = pickle.loads(path.read_bytes())
        blocks = [
            node
            for node in doctree.findall(nodes.Element)
            if node.get("testnodetype") in TEST_BLOCKS
        ]
        skipped = [n for n in blocks if n.get("skipif") or "skipif" in n.get("options", {})]
        page = path.relative_to(doctree_dir).with_suffix("").as_posix()
        counts[page] = (len(blocks), len(skipped))
    return counts


def series() -> str:
    """The Django and Python the doctests ran on (the same interpreter's)."""
    import platform

    import django
    return f"Django {django.get_version()}, Python {platform.python_version()}"


def main(out_dir: str, doctree_dir: str, pages: list[str] | None = None,
         whole_site: bool = True) -> int:
    """Print one line per page that has doctest blocks; 1 on any failure.

    ``pages`` limits the summary to those pages (doctrees of pages that no
    longer exist are left out); the minimum of MIN_BLOCKS applies only to a
    run of the whole site.
    """
    failed = False
    total_tests = 0
    counts = count_blocks(Path(doctree_dir))
    if pages is not None:
        counts = {page: n for page, n in counts.items() if page in pages}
    for page, (blocks, skipped) in sorted(counts.items()):
        if not blocks:
            continue
        report = Path(out_dir, page, "output.txt")
        if not report.exists():
            print(f"{page}: no doctest report at {report}")
            failed = True
            continue
        text = report.read_text()
        tests = int(re.search(r"^\s+(\d+) tests?$", text, re.M).group(1))
        failures = sum(int(n) for n in re.findall(r"^\s+(\d+) failures? in", text, re.M))
        total_tests += tests
        print(f"  {page:<28} {blocks:>2} blocks {tests:>3} examples {failures} failures")
        if failures or skipped:
            failed = True
            if skipped:
                print(f"  {page}: {skipped} doctest block(s) marked skipif; none may be skipped")
    total_blocks = sum(b for b, _ in counts.values())
    where = "across the site" if whole_site else f"on {len(counts)} pages"
    print(f"doctest: {total_blocks} blocks, {total_tests} examples {where}, run on {series()}")
    if whole_site and total_blocks < MIN_BLOCKS:
        print(f"doctest: expected at least {MIN_BLOCKS} doctest blocks, found {total_blocks}")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

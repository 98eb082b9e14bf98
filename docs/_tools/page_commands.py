"""The console commands a page shows, read from the page's own source.

Tests and benchmarks run these exact commands, so what a reader copies is
what was run. A command is a ``$ `` line inside a ```` ```console ```` fence;
a trailing backslash continues it on the next line.

    >>> commands("servers/uvicorn")        # doctest: +SKIP
    [Command(page='servers/uvicorn', line=12, text='uvicorn mysite.asgi:application ...')]
"""

from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

DOCS = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Command:
    page: str
    line: int
    text: str

    def with_port(self, port: int, default: int = 8000) -> str:
        """The command with the page's example port replaced by ``port``."""
        return self.text.replace(str(default), str(port))


def commands(page: str) -> list[Command]:
    source = DOCS / f"{page}.md"
    if not source.exists():
        raise FileNotFoundError(f"no page {source}")
    found = []
    for token in MarkdownIt("commonmark").parse(source.read_text()):
        if token.type != "fence" or token.info.strip() != "console":
            continue
        first = token.map[0] + 2  # 1-based, after the opening fence
        pending, start = None, 0
        for offset, raw in enumerate(token.content.splitlines()):
            if pending is not None:
                pending += " " + raw.strip().removesuffix("\\").strip()
            elif raw.startswith("$ "):
                pending, start = raw[2:].removesuffix("\\").strip(), first + offset
            else:
                continue
            if not raw.rstrip().endswith("\\"):
                found.append(Command(page, start, pending))
                pending = None
    return found


def command(page: str, startswith: str) -> Command:
    """The one command on ``page`` that begins with ``startswith``."""
    matches = [c for c in commands(page) if c.text.startswith(startswith)]
    if len(matches) != 1:
        raise LookupError(
            f"docs/{page}.md: expected one console command starting with "
            f"{startswith!r}, found {len(matches)}: {[c.text for c in matches]}")
    return matches[0]

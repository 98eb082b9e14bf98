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
# Directives whose body is code or a list, not Markdown that could hold a fence.
CODE_DIRECTIVES = {"{code-block}", "{code}", "{literalinclude}", "{doctest}", "{testcode}",
                   "{testoutput}", "{testsetup}", "{testcleanup}", "{toctree}", "{image}",
                   "{language-file}"}


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
    return _console_commands(page, source.read_text(), offset=0)


def _console_commands(page: str, text: str, offset: int) -> list[Command]:
    """The ``$ `` commands of every console fence in ``text``, whose first line
    is line ``offset + 1`` of the page. A fence whose info string is a MyST
    directive (```` ````{note} ```` and the like) holds Markdown: it is
    searched too, so a console block inside a directive is found."""
    found = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type != "fence":
            continue
        info = token.info.strip()
        if info.startswith("{") and info.split("}")[0] + "}" not in CODE_DIRECTIVES:
            found += _console_commands(page, token.content, offset + token.map[0] + 1)
            continue
        if info != "console":
            continue
        first = offset + token.map[0] + 2  # 1-based, after the opening fence
        pending, start = None, 0
        for line, raw in enumerate(token.content.splitlines(), start=first):
            if pending is not None:
                pending += " " + raw.strip().removesuffix("\\").strip()
            elif raw.startswith("$ "):
                pending, start = raw[2:].removesuffix("\\").strip(), line
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

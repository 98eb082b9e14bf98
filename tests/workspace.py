"""A small working copy of the project, for the tests that build it.

The tests of the build pipeline (test_site.py) and of the translators' gate
(test_intl_check.py) run `make site`, `make intl-update`, sphinx-build and
the like on a copy of the project, many times; every one of those builds
every page it finds, in both languages. They need only a few real pages, so
``slim_copy(dest, pages)`` copies:

* conf.py, the Makefile and the requirement files (with their times, so
  that the linked .venv's stamp stays newer than them);
* everything of docs/ that is not a page (_ext, _templates, _static, _root,
  _tools, ...);
* the pages asked for, docs/index.md, and the pages whose toctree lists
  them, whole;
* every other page that a copied page links to (or whose toctree lists
  one), as a stub: its title, its first paragraph (the page's description),
  its headings and the labels before them (the targets of the links) and
  its toctrees, with the catalogue entries of just those messages. The copy
  builds without a warning and passes intl-check, as the real tree does,
  at a fraction of the cost of every page;
* in each copied page, its toctrees as they are, less the entries of the
  pages that were not copied (a toctree left empty keeps its caption, which
  is one of the page's messages);
* locale/ without .mo files, with the catalogues of the copied pages (a
  stub's cut down to its messages) and every catalogue that is not a page's
  (the theme's sphinx.po), and the glossary;
* examples/ as a link to the real one, and .venv as a link to the virtual
  environment running the tests: .venv-6.1 when they run on Django 6.1, so
  that the workspace's `make` (DJANGO=5.2, its default) builds on the series
  under test.

``copy_workspace``
copies a workspace for one test; ``bytecode_env`` is the environment that
lets the builds in a workspace keep their bytecode.
"""

import os
import re
import sys
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LC_MESSAGES = Path("locale/zh_CN/LC_MESSAGES")

TOCTREE = re.compile(r"^(```+|:::+)\{toctree\}[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
MD_LINK = re.compile(r"\]\(\s*<?([^)\s>#]+\.md)(?:#[^)\s>]*)?>?\s*\)")
DOC_ROLE = re.compile(r"\{doc\}`(?:[^`<]*<([^`>]+)>|([^`<]+))`")


def _is_page(path: Path, docs: Path) -> bool:
    relative = path.relative_to(docs)
    return path.suffix == ".md" and not any(part.startswith("_") for part in relative.parts)


def pages(ws: Path) -> list[str]:
    """The docnames of the pages in ``ws/docs``."""
    docs = ws / "docs"
    return sorted(p.relative_to(docs).with_suffix("").as_posix() for p in docs.rglob("*.md") if _is_page(p, docs))


def _resolve(docname: str, target: str) -> str:
    """A link or toctree target of page ``docname``, as a docname."""
    target = target.strip().removesuffix(".md")
    if target.startswith("/"):
        return target.lstrip("/")
    parts = []
    for part in (Path(docname).parent / target).as_posix().split("/"):
        if part == "..":
            parts and parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _toctree_entries(block: str):
    """(line, target) of the entries of a toctree's body."""
    for line in block.splitlines(keepends=True):
        entry = line.strip()
        if not entry or entry.startswith(":"):
            continue
        titled = re.fullmatch(r".*<([^<>]+)>", entry)
        yield line, titled[1] if titled else entry


def _links(docname: str, text: str) -> set[str]:
    """The pages that page ``docname`` links to (Markdown links, {doc})."""
    found = set(MD_LINK.findall(text)) | {a or b for a, b in DOC_ROLE.findall(text)}
    return {_resolve(docname, t) for t in found if "://" not in t}


def _keep_entries(docname: str, text: str, kept: set[str], everything: set[str]) -> str:
    """The page with its toctrees less the entries of pages not kept."""

    def keep(line: str) -> bool:
        entry = next((target for _, target in _toctree_entries(line)), None)
        if entry is None:  # an option or a blank line
            return True
        target = _resolve(docname, entry)
        return target in kept or target not in everything

    def filtered(match):
        body = "".join(line for line in match[2].splitlines(keepends=True) if keep(line))
        start, end = match.start(2) - match.start(0), match.end(2) - match.start(0)
        return match[0][:start] + body + match[0][end:]

    return TOCTREE.sub(filtered, text)


FENCE = re.compile(r"^(`{3,}|~{3,})")
HEADING = re.compile(r"^#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
LABEL = re.compile(r"^\([^()\s]+\)=[ \t]*$")
CAPTION = re.compile(r"^:caption:[ \t]*(.*?)[ \t]*$", re.M)


def stub(text: str) -> tuple[str, set[str]]:
    """A page cut down to what other pages and the build need of it, and its
    messages (whitespace squeezed, as ``_squeezed`` makes them).

    Kept: the title and the paragraph after it, every heading outside code
    and the labels before them, and every toctree.
    """
    kept, messages = [], set()
    lines = text.splitlines(keepends=True)
    fence, block, first_paragraph = None, [], None
    for number, line in enumerate(lines):
        if fence:  # inside a fenced block: kept only if it is a toctree
            if block is not None:
                block.append(line)
            if line.strip() == fence:
                if block is not None:
                    kept.append("".join(block) + "\n")
                    messages |= {_squeezed(c) for c in CAPTION.findall("".join(block))}
                fence, block = None, None
            continue
        if match := FENCE.match(line):
            fence = match[1]
            block = [line] if line[len(fence):].startswith("{toctree}") else None
            continue
        if match := HEADING.match(line):
            kept.append(line + "\n")
            messages.add(_squeezed(match[1]))
            if first_paragraph is None:
                paragraph = []
                for following in lines[number + 1:]:
                    if paragraph and not following.strip():
                        break
                    if following.strip():
                        paragraph.append(following)
                first_paragraph = "".join(paragraph)
                kept.append(first_paragraph + "\n")
                messages.add(_squeezed(first_paragraph))
        elif LABEL.match(line):
            kept.append(line)
    return "".join(kept), messages


def _squeezed(message: str) -> str:
    return " ".join(message.split())


def closure(wanted) -> tuple[set[str], set[str]]:
    """(whole, stubbed): the pages ``wanted``, index and the pages whose
    toctrees list them, whole; the pages those link to, and their toctree
    parents, as stubs (with what stubs link to, as stubs too)."""
    texts = {d: (DOCS / f"{d}.md").read_text(encoding="utf-8") for d in pages(ROOT)}
    parents = {}  # docname -> pages whose toctree lists it
    for docname, text in texts.items():
        for m in TOCTREE.finditer(text):
            for _, target in _toctree_entries(m[2]):
                parents.setdefault(_resolve(docname, target), set()).add(docname)

    def spread(start: set[str], links) -> set[str]:
        found, todo = set(), set(start)
        while todo:
            docname = todo.pop()
            if docname in found:
                continue
            if docname not in texts:
                raise AssertionError(f"no page docs/{docname}.md")
            found.add(docname)
            todo |= links(docname) | parents.get(docname, set())
        return found

    whole = spread({"index", *wanted}, lambda d: set())
    linked = set().union(*(_links(d, texts[d]) & set(texts) for d in whole))
    stubbed = spread(linked - whole,
                     lambda d: {t for t in _links(d, stub(texts[d])[0]) & set(texts)}) - whole
    return whole, stubbed


def slim_copy(ws: Path, wanted) -> Path:
    """Copy the project into ``ws`` (a new folder) with only the pages needed
    for ``wanted`` (docnames); return ``ws``."""
    everything = set(pages(ROOT))
    whole, stubbed = closure(wanted)
    kept = whole | stubbed
    stub_messages = {}
    ws.mkdir(parents=True, exist_ok=True)
    for name in ("conf.py", "Makefile", "requirements.txt", "requirements-django-6.1.txt"):
        shutil.copy2(ROOT / name, ws / name)  # keeps .venv's stamp newer
    ignore = shutil.ignore_patterns("__pycache__", "*.mo")
    for path in sorted(DOCS.rglob("*")):
        relative = path.relative_to(DOCS)
        if path.is_dir() or "__pycache__" in relative.parts:
            continue
        if _is_page(path, DOCS):
            docname = relative.with_suffix("").as_posix()
            if docname not in kept:
                continue
            text = path.read_text(encoding="utf-8")
            if docname in stubbed:
                text, stub_messages[docname] = stub(text)
            text = _keep_entries(docname, text, kept, everything)
            (ws / "docs" / relative).parent.mkdir(parents=True, exist_ok=True)
            (ws / "docs" / relative).write_text(text, encoding="utf-8")
            shutil.copystat(path, ws / "docs" / relative)
            continue
        (ws / "docs" / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, ws / "docs" / relative)
    shutil.copytree(ROOT / "locale", ws / "locale", ignore=ignore)
    catalogues = ws / LC_MESSAGES
    for po in list(catalogues.rglob("*.po")):
        domain = po.relative_to(catalogues).with_suffix("").as_posix()
        if domain in everything and domain not in kept:
            po.unlink()
        elif domain in stub_messages:
            _cut_catalogue(po, ROOT / LC_MESSAGES / f"{domain}.po", stub_messages[domain])
    for folder in sorted(catalogues.rglob("*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    (ws / "examples").symlink_to(ROOT / "examples")
    (ws / ".venv").symlink_to(sys.prefix)
    return ws


def _cut_catalogue(po: Path, original: Path, messages: set[str]) -> None:
    """Keep only the entries of ``messages`` in catalogue ``po``, a copy of
    ``original`` (whose times it keeps)."""
    import polib

    catalogue = polib.pofile(str(po), wrapwidth=79)
    for entry in [e for e in catalogue if e.obsolete or _squeezed(e.msgid) not in messages]:
        catalogue.remove(entry)
    catalogue.save()
    shutil.copystat(original, po)


def bytecode_env(env: dict) -> dict:
    """``env`` for the processes a test starts, so that they do not compile
    all of Sphinx again, every one of them.

    The Makefile keeps bytecode in $(VENV)/pycache (PYTHONPYCACHEPREFIX); a
    workspace's .venv links to the real one, so its builds share that
    bytecode. A PYTHONDONTWRITEBYTECODE=1 from the caller's shell (some CI
    images set it) would leave the workspace's own modules uncompiled, so it
    is dropped (test_site.py checks that the sources get no bytecode).
    Processes started without make keep theirs where `make` does.
    """
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("PYTHONPYCACHEPREFIX", str(ROOT / ".venv" / "pycache"))
    return env


def _link_or_copy(src, dst):
    # Bytecode is replaced, never changed in place: the copy may share it.
    if "pycache" in Path(src).parts:
        try:
            os.link(src, dst)
            return dst
        except OSError:
            pass
    return shutil.copy2(src, dst)


def copy_workspace(ws: Path, dest: Path) -> Path:
    """A copy of workspace ``ws`` (links kept as links, times kept) at ``dest``."""
    shutil.copytree(ws, dest, symlinks=True, copy_function=_link_or_copy)
    return dest

"""Check the Chinese catalogues before they reach the site.

Many broken translations pass ``sphinx-build -W`` silently: an unterminated
string, a fuzzy or empty entry, or a msgstr that is not a single paragraph
falls back to English; unclosed markup is rendered literally.  This script is
the gate instead.  For each ``.po`` file it reports, as ``FILE:LINE: reason``:

* the catalogue does not compile (``msgfmt --check-format -c``);
* it is out of sync with the English sources: a msgid of the fresh ``.pot``
  from ``make gettext`` is missing, or an entry's msgid is no longer in the
  sources (skipped for ``sphinx.po``, the theme's interface strings);
* an entry is untranslated or fuzzy;
* a msgstr is not the same kind of block as its msgid (a heading, a list, two
  paragraphs: Sphinx would show the English text);
* a msgstr drops or adds markup: inline literals, roles and their targets,
  links, images, emphasis, substitutions, footnote references, inline HTML
  (compared as multisets, parsed with MyST's own Markdown parser);
* the prose breaks Chinese typography: ``autocorrect_py.format`` (autocorrect
  2.14) must leave it unchanged, and half-width ``( ) ;`` must not touch a
  Chinese character;
* a glossary term of the msgid is not rendered with its Chinese term
  (``locale/zh_CN/glossary.csv``).

An entry may opt out of the glossary or typography check, never of the others,
with a translator comment ``# intl-check: allow glossary`` (or ``typography``).

Usage (``make intl-check`` runs it after ``make gettext``)::

    python docs/_tools/intl_check.py [--pot-dir _build/gettext]
        [--glossary locale/zh_CN/glossary.csv] [PO_FILE_OR_DIR ...]

Given a directory (default ``locale/zh_CN/LC_MESSAGES``) it also reports the
pages that have no catalogue at all.  Exit status 1 when anything is wrong.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import autocorrect_py
import polib
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

THEME_DOMAIN = "sphinx"  # sphinx.po: theme strings, no English page behind it
OPT_OUT = re.compile(r"intl-check:\s*allow\s+([a-z, ]+)")
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HALF_WIDTH = re.compile(rf"[{CJK}][();]|[();][{CJK}]")
# Sphinx's explicit title syntax: "title <target>"
EXPLICIT_TITLE = re.compile(r"^(.+?)\s*<([^<>]*?)>$", re.DOTALL)
# Roles whose content is text to translate, not a reference to keep.
TEXT_ROLES = {"abbr", "sub", "sup", "guilabel", "menuselection", "dfn", "emphasis", "strong"}


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


# --------------------------------------------------------------------------
# MyST markup, parsed the way the site parses it


@lru_cache(maxsize=1)
def _md():
    config = MdParserConfig(enable_extensions={"colon_fence", "deflist", "substitution"})
    return create_md_parser(config, RendererHTML)


def _inline(text: str):
    tokens = _md().parseInline(text)
    return tokens[0].children or [] if tokens else []


def _role_parts(name: str, content: str) -> tuple[str | None, str]:
    """(explicit title or None, target) of a role's content."""
    match = EXPLICIT_TITLE.match(content)
    if match:
        return match.group(1), match.group(2)
    return None, content


def markup(text: str) -> Counter:
    """The multiset of markup tokens a msgid or msgstr contains."""
    found: Counter = Counter()
    for tok in _inline(text):
        kind = tok.type
        if kind == "code_inline":
            found[("inline literal", tok.content)] += 1
        elif kind == "myst_role":
            name = tok.meta.get("name", "")
            target = "" if name in TEXT_ROLES else _role_parts(name, tok.content)[1]
            found[("role", name, target)] += 1
        elif kind == "link_open":
            found[("link", tok.attrs.get("href", ""))] += 1
        elif kind == "image":
            found[("image", tok.attrs.get("src", ""))] += 1
        elif kind == "strong_open":
            found[("strong emphasis",)] += 1
        elif kind == "em_open":
            found[("emphasis",)] += 1
        elif kind == "substitution_inline":
            found[("substitution", tok.content.strip())] += 1
        elif kind == "footnote_ref":
            found[("footnote reference", tok.meta.get("label", ""))] += 1
        elif kind == "html_inline":
            found[("inline HTML", tok.content)] += 1
    return found


def describe(token: tuple) -> str:
    kind = token[0]
    if kind == "inline literal":
        return f"inline literal `{token[1]}`"
    if kind == "role":
        return f"role {{{token[1]}}}`{token[2]}`" if token[2] else f"role {{{token[1]}}}"
    if kind == "link":
        return f"link to {token[1]}"
    if kind == "image":
        return f"image {token[1]}"
    if kind == "strong emphasis":
        return "strong emphasis **…**"
    if kind == "emphasis":
        return "emphasis *…*"
    if kind == "substitution":
        return f"substitution {{{{ {token[1]} }}}}"
    if kind == "footnote reference":
        return f"footnote reference [^{token[1]}]"
    return f"{kind} {token[1]}"


BLOCK_NAMES = {
    "paragraph_open": "paragraph",
    "heading_open": "heading",
    "bullet_list_open": "bullet list",
    "ordered_list_open": "numbered list",
    "blockquote_open": "block quote",
    "fence": "code fence",
    "code_block": "indented code block",
    "hr": "horizontal rule",
    "table_open": "table",
    "html_block": "HTML block",
    "dl_open": "definition list",
    "myst_target": "target",
    "myst_line_comment": "comment",
    "myst_block_break": "block break",
    "footnote_block_open": "footnote",
}


def blocks(text: str) -> list[str]:
    """The top-level blocks a message parses as, e.g. ['paragraph']."""
    return [
        BLOCK_NAMES.get(tok.type, tok.type.removesuffix("_open"))
        for tok in _md().parse(text)
        if tok.level == 0 and tok.nesting >= 0 and tok.type != "inline"
    ]


def _letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


def prose(text: str) -> tuple[str, dict[str, str]]:
    """The text a reader sees, with markup reduced to placeholders.

    Inline literals and images become ASCII words (``Zza``): Chinese text needs
    a space before and after them.  References whose text comes from elsewhere
    (``{doc}`page```) become ``〔a〕``, which needs none.  Returns the text and
    a map from each placeholder back to its markup, for messages.
    """
    parts: list[str] = []
    back: dict[str, str] = {}

    def hold(source: str, word: bool) -> None:
        key = ("Zz" if word else "〔") + _letters(len(back)) + ("" if word else "〕")
        back[key] = source
        parts.append(key)

    for tok in _inline(text):
        kind = tok.type
        if kind == "text":
            parts.append(tok.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kind == "code_inline":
            hold(tok.markup + tok.content + tok.markup, word=True)
        elif kind == "myst_role":
            name = tok.meta.get("name", "")
            title, _ = _role_parts(name, tok.content)
            if name in TEXT_ROLES:
                parts.append(tok.content)
            elif title is not None:
                parts.append(title)
            else:
                hold(f"{{{name}}}`{tok.content}`", word=False)
        elif kind in ("image", "footnote_ref", "substitution_inline", "html_inline"):
            hold(tok.content or tok.type, word=kind == "image")
        # emphasis and link markers show no text of their own
    return "".join(parts), back


def _restore(text: str, back: dict[str, str]) -> str:
    for key in sorted(back, key=len, reverse=True):  # "Zzaa" before "Zza"
        text = text.replace(key, back[key])
    return text


def _excerpt(old: str, new: str, width: int = 12) -> tuple[str, str]:
    """The first place where two strings differ, with a little context."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    ops = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    first, last = ops[0], ops[-1]
    if last[1] - first[2] > 2 * width:
        last = first
    return (
        old[max(0, first[1] - width) : last[2] + width],
        new[max(0, first[3] - width) : last[4] + width],
    )


def typography(msgstr: str) -> list[str]:
    text, back = prose(msgstr)
    reasons = []
    fixed = autocorrect_py.format(text)
    if fixed != text:
        old, new = _excerpt(_restore(text, back), _restore(fixed, back))
        reasons.append(f'CJK typography: "{old}" should read "{new}" (autocorrect)')
    for match in HALF_WIDTH.finditer(text):
        mark = next(c for c in match.group() if c in "();")
        full = {"(": "（", ")": "）", ";": "；"}[mark]
        start = max(0, match.start() - 8)
        near = _restore(text[start : match.end() + 8], back)
        reasons.append(f'CJK typography: half-width "{mark}" next to Chinese, use "{full}": "{near}"')
    return reasons


# --------------------------------------------------------------------------
# Glossary


@dataclass(frozen=True)
class Term:
    english: str  # as written in the file, for messages
    pattern: re.Pattern
    chinese: tuple[str, ...]


def load_glossary(path: Path | None) -> list[Term]:
    """``english,chinese[,note]`` rows; ``|`` separates variants.

    An English variant ending in ``*`` matches any word that starts with it
    (``deploy*``: deploy, deploys, deployment); the msgstr must contain one of
    the Chinese variants.
    """
    if path is None or not path.exists():
        return []
    terms = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            english = (row.get("english") or "").strip()
            chinese = tuple(c.strip() for c in (row.get("chinese") or "").split("|") if c.strip())
            if not english or not chinese:
                continue
            variants = []
            for variant in english.split("|"):
                variant = variant.strip().lower()
                words = [re.escape(w) for w in variant.rstrip("*").split()]
                tail = r"\w*" if variant.endswith("*") else ""
                variants.append(r"[\s-]+".join(words) + tail)
            pattern = re.compile(r"(?<![\w-])(?:" + "|".join(variants) + r")(?![\w-])", re.IGNORECASE)
            terms.append(Term(english, pattern, chinese))
    return terms


def glossary(msgid: str, msgstr: str, terms: list[Term]) -> list[str]:
    if not terms:
        return []
    english = re.sub(r"Zz[a-z]+|〔[a-z]+〕", " ", prose(msgid)[0])
    chinese = prose(msgstr)[0]
    reasons = []
    for term in terms:
        match = term.pattern.search(english)
        if match and not any(c in chinese for c in term.chinese):
            wanted = " or ".join(f'"{c}"' for c in term.chinese)
            reasons.append(f'glossary: msgid has "{match.group()}", msgstr must use {wanted}')
    return reasons


# --------------------------------------------------------------------------
# Catalogues


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def compile_errors(po: Path) -> list[Problem] | None:
    """msgfmt's own FILE:LINE: messages, or None when it compiles."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        sys.exit("intl-check: msgfmt not found; install GNU gettext (apt-get install gettext)")
    shown = _display(po)
    result = subprocess.run(
        [msgfmt, "--check-format", "-c", "-o", os.devnull, shown],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    if result.returncode == 0:
        return None
    problems = []
    for line in result.stderr.splitlines():
        match = re.match(re.escape(shown) + r":(\d+):(?:\d+:)?\s*(.*)", line)
        if match and not match.group(2).startswith("warning"):
            problems.append(Problem(shown, int(match.group(1)), f"does not compile: {match.group(2)}"))
    if not problems:
        problems.append(Problem(shown, 1, "does not compile: " + _short(result.stderr, 200)))
    return problems


def _opt_outs(entry: polib.POEntry) -> set[str]:
    found = set()
    for match in OPT_OUT.finditer(entry.tcomment or ""):
        found.update(w.strip() for w in match.group(1).replace(",", " ").split())
    return found


def check_entry(entry: polib.POEntry, terms: list[Term]) -> list[str]:
    if entry.fuzzy:
        return [f'fuzzy: check the translation, then remove the fuzzy flag: "{_short(entry.msgid)}"']
    if not entry.msgstr.strip():
        return [f'untranslated: "{_short(entry.msgid)}"']
    reasons = []
    want, have = blocks(entry.msgid), blocks(entry.msgstr)
    if want != have:
        reasons.append(
            f"msgstr parses as {' + '.join(have) or 'nothing'} but its msgid is "
            f"{' + '.join(want)}: Sphinx would show the English text"
        )
    source, target = markup(entry.msgid), markup(entry.msgstr)
    changes = [f"dropped {describe(t)}" for t in sorted(source - target)]
    changes += [f"added {describe(t)}" for t in sorted(target - source)]
    if changes:
        reasons.append("markup differs from msgid: " + "; ".join(changes))
    allowed = _opt_outs(entry)
    if "typography" not in allowed:
        reasons += typography(entry.msgstr)
    if "glossary" not in allowed:
        reasons += glossary(entry.msgid, entry.msgstr, terms)
    return reasons


def _source_of(entry: polib.POEntry, pot: Path, pot_dir: Path) -> str:
    """Where the English text is: .pot locations are relative to pot_dir."""
    if not entry.occurrences:
        return _display(pot)
    path, line = entry.occurrences[0]
    return f"{_display((pot_dir.resolve() / path).resolve())}:{line}"


def check_sync(po_path: Path, catalogue: polib.POFile, pot: Path, pot_dir: Path) -> list[Problem]:
    shown = _display(po_path)
    lines = po_path.read_text(encoding="utf-8").splitlines()
    if not pot.exists():
        return [Problem(shown, 1, f"out of sync: no English page for this catalogue ({_display(pot)} not found)")]
    template = polib.pofile(str(pot))
    wanted = {e.msgid: e for e in template if not e.obsolete}
    present = {e.msgid: e for e in catalogue if not e.obsolete}
    problems = []
    for msgid, entry in wanted.items():
        if msgid not in present:
            problems.append(
                Problem(
                    shown,
                    1,
                    f'out of sync: missing msgid from {_source_of(entry, pot, pot_dir)} "{_short(msgid)}" '
                    "(run make intl-update)",
                )
            )
    for msgid, entry in present.items():
        if msgid not in wanted:
            problems.append(
                Problem(
                    shown,
                    _msgstr_line(lines, entry),
                    f'out of sync: obsolete msgid, no longer in the English sources "{_short(msgid)}" '
                    "(run make intl-update)",
                )
            )
    return problems


def check_catalogue(po_path: Path, domain: str, pot_dir: Path | None, terms: list[Term]) -> list[Problem]:
    problems = compile_errors(po_path) or []
    if any("format" not in p.reason for p in problems):
        return problems  # a syntax error: what polib would read is not what was meant
    shown = _display(po_path)
    try:
        catalogue = polib.pofile(str(po_path))
    except (OSError, ValueError) as exc:
        return problems + [Problem(shown, 1, f"cannot be parsed: {exc}")]
    if pot_dir is not None and domain != THEME_DOMAIN:
        problems += check_sync(po_path, catalogue, pot_dir / f"{domain}.pot", pot_dir)
    lines = po_path.read_text(encoding="utf-8").splitlines()
    for entry in catalogue:
        if entry.obsolete:
            continue
        line = _msgstr_line(lines, entry)
        problems += [Problem(shown, line, reason) for reason in check_entry(entry, terms)]
    return problems


def _msgstr_line(lines: list[str], entry: polib.POEntry) -> int:
    """The line of the entry's msgstr (polib numbers the entry's first line)."""
    for number in range(entry.linenum, len(lines) + 1):
        if lines[number - 1].startswith("msgstr"):
            return number
    return entry.linenum


def _catalogues(paths: list[Path]) -> list[tuple[Path, str, Path | None]]:
    """(po file, domain, the directory it was found in, if any)."""
    found = []
    for path in paths:
        if path.is_dir():
            for po in sorted(path.rglob("*.po")):
                found.append((po, po.relative_to(path).with_suffix("").as_posix(), path))
        else:
            found.append((path, path.stem, None))
    return found


def run(paths: list[Path], pot_dir: Path | None, glossary_path: Path | None) -> list[Problem]:
    terms = load_glossary(glossary_path)
    problems = []
    catalogues = _catalogues(paths)
    for po, domain, base in catalogues:
        if base is None and pot_dir is not None:
            # a single file: its domain is its path below LC_MESSAGES
            parts = po.resolve().parts
            if "LC_MESSAGES" in parts:
                domain = "/".join(parts[parts.index("LC_MESSAGES") + 1 :]).removesuffix(".po")
        problems += check_catalogue(po, domain, pot_dir, terms)
    # Pages without any catalogue are wholly untranslated.
    if pot_dir is not None:
        for base in {b for _, _, b in catalogues if b is not None} | {p for p in paths if p.is_dir()}:
            for pot in sorted(pot_dir.rglob("*.pot")):
                domain = pot.relative_to(pot_dir).with_suffix("").as_posix()
                po = base / f"{domain}.po"
                if domain != THEME_DOMAIN and not po.exists():
                    count = sum(1 for e in polib.pofile(str(pot)) if not e.obsolete)
                    problems.append(
                        Problem(
                            _display(po),
                            1,
                            f"untranslated: no catalogue for page '{domain}' "
                            f"({count} messages; run make intl-update)",
                        )
                    )
    return sorted(set(problems))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="po files or directories")
    parser.add_argument("--pot-dir", type=Path, default=Path("_build/gettext"))
    parser.add_argument("--glossary", type=Path, default=Path("locale/zh_CN/glossary.csv"))
    parser.add_argument("--no-sync", action="store_true", help="skip the comparison with the .pot files")
    args = parser.parse_args(argv)
    paths = args.paths or [Path("locale/zh_CN/LC_MESSAGES")]
    pot_dir = None if args.no_sync else args.pot_dir
    if pot_dir is not None and not pot_dir.is_dir():
        print(f"intl-check: {pot_dir} not found; run make gettext first", file=sys.stderr)
        return 2
    if args.glossary and not args.glossary.exists():
        print(f"intl-check: glossary {args.glossary} not found", file=sys.stderr)
        return 2
    for path in paths:
        if not path.exists():
            print(f"intl-check: {path} not found", file=sys.stderr)
            return 2
    problems = run(paths, pot_dir, args.glossary)
    for problem in problems:
        print(problem)
    count = len(_catalogues(paths))
    if problems:
        files = len({p.path for p in problems})
        print(f"intl-check: {len(problems)} problems in {files} files", file=sys.stderr)
        return 1
    print(f"intl-check: {count} catalogues OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Check the Chinese catalogues before they reach the site.

Many broken translations pass ``sphinx-build -W`` silently: an unterminated
string, a fuzzy or empty entry, or a msgstr that is not a single paragraph
falls back to English; unclosed markup is rendered literally.  This script is
the gate instead.  For each ``.po`` file it reports, as ``FILE:LINE: reason``:

* the file is not what Sphinx and ``msgfmt`` read: a byte-order mark (BOM),
  a charset other than UTF-8 (Sphinx reads catalogues as UTF-8 and shows the
  page in English), CRLF line endings (every update would then rewrite the
  whole file); ``make intl-update`` fixes all three;
* the catalogue does not compile (``msgfmt --check-format -c``);
* it is out of sync with the English sources: a msgid of the fresh ``.pot``
  from ``make gettext`` is missing, or an entry's msgid is no longer in the
  sources; for ``sphinx.po``, the theme's interface strings, the template is
  the ``sphinx.pot`` that ``intl_tools.py theme-pot`` writes;
* an entry is untranslated or fuzzy;
* a msgstr of a page is not a single paragraph (a heading, a list, two
  paragraphs...); the message says what the site then shows, worked out the
  way Sphinx's ``Locale`` transform does it (MyST parses the msgstr, and only
  a first paragraph, or for a heading the first title or paragraph, is used);
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
import codecs
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
from docutils import nodes
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
    "footnote_reference_open": "footnote",
    "colon_fence": "directive",
    "front_matter": "front matter",
}


def _block_name(tok) -> str:
    if tok.type in ("fence", "colon_fence") and tok.info.strip().startswith("{"):
        return "directive " + tok.info.strip().split()[0]
    return BLOCK_NAMES.get(tok.type, tok.type.removesuffix("_open"))


def blocks(text: str) -> list[str]:
    """The top-level blocks a message parses as, e.g. ['paragraph']."""
    return [
        _block_name(tok)
        for tok in _md().parse(text)
        if tok.level == 0 and tok.nesting >= 0 and tok.type != "inline"
    ]


# --------------------------------------------------------------------------
# What the site shows for a msgstr that is not one paragraph
#
# Sphinx's Locale transform (sphinx/transforms/i18n.py, Sphinx 9.0) parses
# each msgstr with the page's parser, MyST, and keeps the first node of the
# result, ``doc[0]``:
#
# * for a section title it first tries the msgstr as it is: a paragraph there
#   becomes the title; otherwise it appends a reST underline
#   (``msgstr + "\n" + "=" * 2 * len(msgstr)``), parses again and takes
#   ``doc[0].next_node()``: the first node inside whatever came first;
# * for anything else (paragraph, list item, table cell) it takes ``doc[0]``;
# * it uses that node's children if it is a paragraph, a title, a literal
#   block or raw HTML (shown as plain text) or an image, and otherwise leaves
#   the English text.
#
# MyST's docutils parser builds the same nodes as its Sphinx parser for
# block structure, so the checker replays this on it; Sphinx roles and
# directives the plain parser lacks are registered as stand-ins that keep
# their text.  Checked against real builds by test_intl_check.py.

KEPT = (nodes.paragraph, nodes.title, nodes.literal_block, nodes.doctest_block, nodes.math_block, nodes.raw, nodes.image)
HEADING, PARAGRAPH, VERBATIM = "heading", "paragraph", "verbatim"


@lru_cache(maxsize=1)
def _docutils_settings():
    import warnings

    import docutils.frontend
    from myst_parser.parsers.docutils_ import Parser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        settings = docutils.frontend.get_default_settings(Parser)
    settings.myst_enable_extensions = ["colon_fence", "deflist"]  # as in conf.py
    settings.report_level = 5  # quiet, but system messages stay in the tree as in Sphinx
    settings.halt_level = 5
    settings.warning_stream = open(os.devnull, "w")  # noqa: SIM115 (kept for the process)
    return settings


def _stand_in_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    title, target = _role_parts(name, text)
    return [nodes.inline(rawtext, title if title is not None else target)], []


def _register_stand_ins(text: str) -> None:
    """Sphinx's roles and directives ({doc}, {ref}, {note}...) for the plain parser."""
    from docutils.parsers.rst import Directive, directives, roles

    class StandIn(Directive):
        has_content = True
        optional_arguments = 1
        final_argument_whitespace = True
        option_spec = None

        def run(self):
            node = nodes.container()
            if self.arguments:
                node += nodes.paragraph(text=self.arguments[0])
            self.state.nested_parse(self.content, self.content_offset, node)
            return [node]

    for tok in _md().parse(text):
        for child in [tok, *(tok.children or [])]:
            if child.type == "myst_role":
                name = child.meta.get("name", "")
                if name and name not in roles._roles and name not in roles._role_registry:
                    roles.register_local_role(name, _stand_in_role)
            elif child.type in ("fence", "colon_fence") and child.info.strip().startswith("{"):
                name = child.info.strip().split()[0].strip("{}")
                if name and name not in directives._directives and name not in directives._directive_registry:
                    directives.register_directive(name, StandIn)


def _publish(text: str) -> nodes.Node:
    """``doc[0]`` of the msgstr parsed as Sphinx parses it (the document if empty)."""
    import docutils.utils
    from myst_parser.parsers.docutils_ import Parser

    _register_stand_ins(text)
    doc = docutils.utils.new_document("<msgstr>", _docutils_settings())
    Parser().parse(text, doc)
    return doc[0] if len(doc) else doc


def sphinx_uses(msgstr: str, kind: str) -> nodes.Node | None:
    """The node whose text replaces the English one, or None: English stays."""
    if kind == HEADING:
        patch = _publish(msgstr)
        if isinstance(patch, nodes.paragraph):
            return patch
        patch = _publish(msgstr + "\n" + "=" * len(msgstr) * 2).next_node()
    else:
        patch = _publish(msgstr)
    return patch if isinstance(patch, KEPT) else None


def what_the_site_shows(msgid: str, msgstr: str, kind: str) -> str | None:
    """None when the msgstr is one paragraph (shown whole), else a reason."""
    have = blocks(msgstr)
    parsed = " + ".join(have) or "nothing"
    if kind == VERBATIM:  # theme strings and toctree captions: never parsed
        want = blocks(msgid)
        if have == want:
            return None
        return (
            f"msgstr parses as {parsed} but its msgid is {' + '.join(want) or 'nothing'}: "
            f'the site shows the msgstr as written, "{_short(msgstr)}"'
        )
    if have == ["paragraph"]:
        return None
    head = f"msgstr parses as {parsed}, not as a single paragraph"
    patch = sphinx_uses(msgstr, kind)
    if patch is None:
        return f"{head}: the site shows the English text"
    text = f'"{_short(patch.astext())}"'
    rest = " and drops the rest" if len(have) > 1 else ""
    if kind == HEADING:
        shows = f"the heading {text}"
    elif isinstance(patch, nodes.raw):
        shows = f"the HTML {text} as plain text"
    elif isinstance(patch, (nodes.literal_block, nodes.doctest_block, nodes.math_block)):
        shows = f"the code {text} as plain text"
    elif isinstance(patch, nodes.image):
        shows = f"an image {patch.get('uri', '')}"
    elif len(have) > 1 and have[0] == "paragraph":
        shows = f"only the first paragraph, {text},"
    else:
        shows = text
    return f"{head}: the site shows {shows}{rest}"


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


THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
ENDS_IN_LITERAL = re.compile(r"`[^`]+`\s*$")


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
    for match in THOUSANDS.finditer(text):
        reasons.append(f'CJK typography: no thousands separator in Chinese text, write '
                       f'"{match.group().replace(",", "")}" for "{match.group()}"')
    # A Chinese sentence ends with 。 even after a literal that ends with its
    # own full stop; a table cell (no 。 anywhere) needs none.
    ending = ENDS_IN_LITERAL.search(msgstr)
    if ending and "。" in msgstr[:ending.start()]:
        reasons.append(f'CJK typography: the last sentence ends in a literal without "。": '
                       f'"...{msgstr[-40:]}"')
    return reasons


# --------------------------------------------------------------------------
# Glossary


@dataclass(frozen=True)
class Term:
    english: str  # as written in the file, for messages
    pattern: re.Pattern
    chinese: tuple[str, ...]
    wrong: tuple[str, ...] = ()  # renderings never to use, wherever they appear
    note: str = ""


def load_glossary(path: Path | None) -> list[Term]:
    """``english,chinese[,note[,wrong]]`` rows; ``|`` separates variants.

    An English variant ending in ``*`` matches any word that starts with it
    (``deploy*``: deploy, deploys, deployment); the msgstr must contain one of
    the Chinese variants. A ``wrong`` rendering may appear in no msgstr at all;
    a row may have wrong renderings only, its ``chinese`` left empty and what
    to write instead said in its note.
    """
    if path is None or not path.exists():
        return []
    terms = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            english = (row.get("english") or "").strip()
            chinese = tuple(c.strip() for c in (row.get("chinese") or "").split("|") if c.strip())
            wrong = tuple(c.strip() for c in (row.get("wrong") or "").split("|") if c.strip())
            if not english or not (chinese or wrong):
                continue
            variants = []
            for variant in english.split("|"):
                variant = variant.strip().lower()
                words = [re.escape(w) for w in variant.rstrip("*").split()]
                tail = r"\w*" if variant.endswith("*") else ""
                variants.append(r"[\s-]+".join(words) + tail)
            pattern = re.compile(r"(?<![\w-])(?:" + "|".join(variants) + r")(?![\w-])", re.IGNORECASE)
            terms.append(Term(english, pattern, chinese, wrong, (row.get("note") or "").strip()))
    return terms


def _longer_terms(term: Term, terms: list[Term]) -> list[Term]:
    """The terms whose English holds this term's first variant and more."""
    first = term.english.split("|")[0].rstrip("*").lower()
    return [other for other in terms if other is not term
            and any(first in variant.lower() and len(variant.rstrip("*")) > len(first)
                    for variant in other.english.split("|"))]


def glossary(msgid: str, msgstr: str, terms: list[Term]) -> list[str]:
    if not terms:
        return []
    english = re.sub(r"Zz[a-z]+|〔[a-z]+〕", " ", prose(msgid)[0])
    chinese = prose(msgstr)[0]
    reasons = []
    for term in terms:
        # A term is not matched inside a longer term of the glossary: the
        # "application" of "application server", the "worker" of "worker process".
        text = english
        for longer in _longer_terms(term, terms):
            text = longer.pattern.sub(" ", text)
        for bad in term.wrong:
            if bad in chinese:
                instead = (" or ".join(f'"{c}"' for c in term.chinese) if term.chinese
                           else term.note)
                reasons.append(f'glossary: "{bad}" is a wrong rendering of "{term.english}"; '
                               f"use {instead}")
        match = term.pattern.search(text)
        if term.chinese and match and not any(c in chinese for c in term.chinese):
            wanted = " or ".join(f'"{c}"' for c in term.chinese)
            reasons.append(f'glossary: msgid has "{match.group()}", msgstr must use {wanted}')
    return reasons


# --------------------------------------------------------------------------
# Messages


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------
# The file itself, as Sphinx and msgfmt read it

# How polib finds the declared charset (polib.detect_encoding), with its line.
CHARSET = re.compile(rb'"?Content-Type:.+? charset=([\w_\-:\.]+)')


@dataclass
class Decoded:
    """A catalogue's bytes, decoded the way the workflow needs them."""

    text: str | None  # without BOM, LF line endings; None when it cannot be decoded
    data: bytes  # the bytes without the BOM (what msgfmt is given)
    bom: bool
    charset: str  # as declared ("utf-8" when nothing is declared)
    charset_line: int
    crlf_line: int  # first line that ends in CRLF, 0 if none
    error: str | None  # why text is None
    error_line: int = 1


def decode_catalogue(raw: bytes) -> Decoded:
    """Decode a .po file with the charset its header declares, as polib does.

    Sphinx itself opens catalogues as UTF-8 only, so a BOM, another charset
    or CRLF line endings are problems of their own (``intl-check``) that
    ``intl_tools.py wrap`` and ``prepare`` remove, losing nothing.
    """
    bom = raw.startswith(codecs.BOM_UTF8)
    if bom:
        raw = raw[len(codecs.BOM_UTF8) :]
    match = CHARSET.search(raw)
    charset = match.group(1).decode("ascii") if match else "utf-8"
    charset_line = raw[: match.start()].count(b"\n") + 1 if match else 1
    crlf = raw.find(b"\r\n")
    crlf_line = raw[:crlf].count(b"\n") + 1 if crlf >= 0 else 0
    decoded = Decoded(None, raw, bom, charset, charset_line, crlf_line, None)
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        decoded.error, decoded.error_line = f'declares an unknown charset "{charset}"', charset_line
        return decoded
    try:
        decoded.text = raw.decode(codec.name).replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start : exc.start + 1].hex()
        decoded.error = f"is not valid {charset}: byte 0x{byte} cannot be decoded"
        decoded.error_line = raw[: exc.start].count(b"\n") + 1
    return decoded


def is_utf8(charset: str) -> bool:
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


def file_problems(shown: str, decoded: Decoded) -> list[Problem]:
    problems = []
    if decoded.bom:
        problems.append(Problem(shown, 1, "starts with a byte-order mark (BOM); make intl-update removes it"))
    if decoded.error:
        problems.append(Problem(shown, decoded.error_line, decoded.error))
    elif not is_utf8(decoded.charset):
        problems.append(
            Problem(
                shown,
                decoded.charset_line,
                f"declared charset={decoded.charset}, but Sphinx reads catalogues as UTF-8 only: it cannot "
                "read this one and shows all of its messages in English; make intl-update converts it to UTF-8",
            )
        )
    if decoded.crlf_line:
        problems.append(
            Problem(
                shown,
                decoded.crlf_line,
                "has CRLF line endings, so every update rewrites the whole file; "
                "make intl-update converts them to LF",
            )
        )
    return problems


def compile_errors(po: Path, data: bytes | None = None) -> list[Problem] | None:
    """msgfmt's own FILE:LINE: messages, or None when it compiles.

    ``data`` (the file without its BOM, which msgfmt rejects) is given on
    standard input, so that a BOM does not hide the real errors.
    """
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        sys.exit("intl-check: msgfmt not found; install GNU gettext (apt-get install gettext)")
    shown = _display(po)
    if data is None:
        data = po.read_bytes()
    result = subprocess.run(
        [msgfmt, "--check-format", "-c", "-o", os.devnull, "-"],
        input=data,
        capture_output=True,
        env={**os.environ, "LC_ALL": "C"},
    )
    if result.returncode == 0:
        return None
    stderr = result.stderr.decode("utf-8", "replace").replace("<stdin>", shown)
    problems = []
    for line in stderr.splitlines():
        match = re.match(re.escape(shown) + r":(\d+):(?:\d+:)?\s*(.*)", line)
        if match and not match.group(2).startswith("warning"):
            problems.append(Problem(shown, int(match.group(1)), f"does not compile: {match.group(2)}"))
    if not problems:
        problems.append(Problem(shown, 1, "does not compile: " + _short(stderr, 200)))
    return problems


# --------------------------------------------------------------------------
# Entries


def _opt_outs(entry: polib.POEntry) -> set[str]:
    found = set()
    for match in OPT_OUT.finditer(entry.tcomment or ""):
        found.update(w.strip() for w in match.group(1).replace(",", " ").split())
    return found


def check_entry(entry: polib.POEntry, terms: list[Term], kinds: frozenset[str] = frozenset({PARAGRAPH})) -> list[str]:
    if entry.fuzzy:
        return [f'fuzzy: check the translation, then remove the fuzzy flag: "{_short(entry.msgid)}"']
    if not entry.msgstr.strip():
        return [f'untranslated: "{_short(entry.msgid)}"']
    reasons = []
    shown = {kind: what_the_site_shows(entry.msgid, entry.msgstr, kind) for kind in sorted(kinds)}
    found = {reason for reason in shown.values() if reason}
    if len(found) == 1:
        reasons += found
    else:  # the same msgid as a heading and as a paragraph: say which is which
        names = {HEADING: "a heading", PARAGRAPH: "a paragraph", VERBATIM: "a toctree caption"}
        reasons += [f"where it is {names[kind]}: {reason}" for kind, reason in shown.items() if reason]
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


@lru_cache(maxsize=None)
def _page_structure(path: Path) -> tuple[frozenset[int], frozenset[int]]:
    """(lines that start a heading, lines that open a toctree) of a Markdown page."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return frozenset(), frozenset()
    headings, toctrees = set(), set()
    for tok in _md().parse(text):
        if tok.map is None or tok.level != 0:
            continue
        if tok.type == "heading_open":
            headings.add(tok.map[0] + 1)
        elif tok.type in ("fence", "colon_fence") and tok.info.strip().startswith("{toctree}"):
            toctrees.add(tok.map[0] + 1)
    return frozenset(headings), frozenset(toctrees)


def _source_path(path: str, pot_dir: Path | None) -> Path:
    """A location of a .pot (relative to pot_dir) or of a .po (relative to the repository)."""
    if path.startswith("../") and pot_dir is not None:
        return (pot_dir.resolve() / path).resolve()
    return Path(path).resolve()


def kinds_of(occurrences, pot_dir: Path | None) -> frozenset[str]:
    """What the English text is at its locations: a heading, a paragraph (or a
    list item, a table cell...), or a toctree caption, which Sphinx uses as
    written (VERBATIM)."""
    kinds = set()
    for path, line in occurrences:
        file = _source_path(path, pot_dir)
        if file.suffix != ".md":
            kinds.add(VERBATIM)
            continue
        headings, toctrees = _page_structure(file)
        number = int(line) if str(line).isdigit() else 0
        kinds.add(HEADING if number in headings else VERBATIM if number in toctrees else PARAGRAPH)
    return frozenset(kinds or {PARAGRAPH})


# --------------------------------------------------------------------------
# Catalogues


def _source_of(entry: polib.POEntry, pot: Path, pot_dir: Path) -> str:
    """Where the English text is: page locations in a .pot are relative to
    pot_dir; the theme's (furo/..., docs/_templates/...) are shown as they are."""
    if not entry.occurrences:
        return _display(pot)
    path, line = entry.occurrences[0]
    if not path.startswith("../"):
        return f"{path}:{line}"
    return f"{_display(_source_path(path, pot_dir))}:{line}"


def check_sync(
    po_path: Path, catalogue: polib.POFile, pot: Path, pot_dir: Path, lines: list[str], domain: str = ""
) -> list[Problem]:
    shown = _display(po_path)
    if not pot.exists():
        if domain == THEME_DOMAIN:
            reason = f"out of sync: no template for the theme's strings ({_display(pot)} not found; run make gettext)"
        else:
            reason = f"out of sync: no English page for this catalogue ({_display(pot)} not found)"
        return [Problem(shown, 1, reason)]
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
    shown = _display(po_path)
    decoded = decode_catalogue(po_path.read_bytes())
    problems = file_problems(shown, decoded)
    compiled = compile_errors(po_path, decoded.data) or []
    problems += compiled
    if decoded.text is None or any("format" not in p.reason for p in compiled):
        return problems  # a syntax error: what polib would read is not what was meant
    try:
        catalogue = polib.pofile(decoded.text)
    except (OSError, ValueError) as exc:
        return problems + [Problem(shown, 1, f"cannot be parsed: {exc}")]
    lines = decoded.text.split("\n")
    where: dict[str, list] = {}
    if pot_dir is not None:
        pot = pot_dir / f"{domain}.pot"
        problems += check_sync(po_path, catalogue, pot, pot_dir, lines, domain)
        if pot.exists():
            where = {e.msgid: e.occurrences for e in polib.pofile(str(pot))}
    for entry in catalogue:
        if entry.obsolete:
            continue
        line = _msgstr_line(lines, entry)
        if domain == THEME_DOMAIN:
            kinds = frozenset({VERBATIM})  # inserted into the templates as written
        elif entry.msgid in where:
            kinds = kinds_of(where[entry.msgid], pot_dir)
        else:
            kinds = kinds_of(entry.occurrences, pot_dir)
        problems += [Problem(shown, line, reason) for reason in check_entry(entry, terms, kinds)]
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
                if not po.exists():
                    count = sum(1 for e in polib.pofile(str(pot)) if not e.obsolete)
                    what = "the theme's interface strings" if domain == THEME_DOMAIN else f"page '{domain}'"
                    problems.append(
                        Problem(
                            _display(po),
                            1,
                            f"untranslated: no catalogue for {what} ({count} messages; run make intl-update)",
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

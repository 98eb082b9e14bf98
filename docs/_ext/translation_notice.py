"""Tell readers of the Chinese site what is not translated yet.

Both builds record, for every page, the messages the gettext builder
extracts: a transform that runs just before Sphinx's ``Locale`` transform
sees the English text in the Chinese build too, and the messages whose nodes
are gone from the finished doctree (the front matter) are dropped.  A message counts as
translated when the page's catalogue ``locale/zh_CN/LC_MESSAGES/<page>.po``
(read with polib) has a non-empty msgstr for it that is not fuzzy: exactly the
messages Sphinx replaces; the others fall back to English.

* In the ``zh_CN`` build, a page with any such message gets, at the top of
  its body, a notice in Chinese with a link to the same page of the English
  build (``../en/<page>.html`` from the root of the build: the builds sit
  side by side in ``_build/html/en`` and ``_build/html/zh_CN``).
* The ``translation-status`` directive renders a table of every page with
  its numbers, computed at build time in both languages.
"""

from __future__ import annotations

import html
from pathlib import Path

import polib
from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util.docutils import SphinxDirective
from sphinx.util.i18n import docname_to_domain
from sphinx.util.nodes import extract_messages

from language_files import used_by

TRANSLATION = "zh_CN"  # the language whose progress is tracked
SOURCE = "en"  # the language of the sources, and the folder of its build

LABELS = {
    "en": ("Page", "Messages", "Translated", "Fuzzy", "Untranslated", "Done", "Total"),
    "zh": ("页面", "消息", "已翻译", "待校对", "未翻译", "完成度", "合计"),
}


_pending: dict[str, list] = {}  # docname -> [(node, msgid)] until doctree-read


class RecordMessages(SphinxTransform):
    """Remember the page's translatable messages before Sphinx translates them."""

    default_priority = 19  # sphinx.transforms.i18n.Locale is 20

    def apply(self, **kwargs) -> None:
        docname = self.env.current_document.docname
        _pending[docname] = list(extract_messages(self.document))


def keep_messages(app, doctree) -> None:
    """Keep the messages whose nodes are still in the finished doctree.

    Like the gettext builder, which extracts from the finished doctree, this
    leaves out the page's metadata (front matter such as ``orphan: true``,
    which Sphinx removes after reading).
    """
    docname = app.env.current_document.docname
    present = {id(node) for node in doctree.findall(nodes.Element)}
    messages = {msg for node, msg in _pending.pop(docname, []) if id(node) in present}
    if not hasattr(app.env, "intl_messages"):
        app.env.intl_messages = {}
    app.env.intl_messages[docname] = sorted(messages)


def _catalogue(app, docname: str) -> Path | None:
    domain = docname_to_domain(docname, app.config.gettext_compact)
    for folder in app.config.locale_dirs:
        path = Path(app.srcdir, folder, TRANSLATION, "LC_MESSAGES", f"{domain}.po")
        if path.exists():
            return path
    return None


def progress(app, docname: str) -> tuple[int, int, int]:
    """(messages, translated, fuzzy) of a page, against its current source,
    its language files included (``with_language_files``)."""
    messages = getattr(app.env, "intl_messages", {}).get(docname, [])
    path = _catalogue(app, docname)
    return with_language_files(tally(read_entries(path), messages), Path(app.env.doc2path(docname)))


def language_files(page: Path) -> tuple[int, int]:
    """(files, translated) of the ``{language-file}`` blocks of ``page``: the
    tables and charts written once per language (language_files.py). One
    counts as translated when its TRANSLATION file exists and is not the
    SOURCE one, byte for byte."""
    try:
        text = page.read_text(encoding="utf-8")
    except OSError:
        return 0, 0
    total = translated = 0
    for name in used_by(text):
        total += 1
        ours, theirs = (page.parent / name.replace("{language}", lang) for lang in (TRANSLATION, SOURCE))
        if ours.is_file() and not (theirs.is_file() and ours.read_bytes() == theirs.read_bytes()):
            translated += 1
    return total, translated


def with_language_files(row: tuple[int, int, int], page: Path) -> tuple[int, int, int]:
    """A page's (messages, translated, fuzzy) with its language files added:
    each one counts as one message."""
    files, translated = language_files(page)
    return row[0] + files, row[1] + translated, row[2]


def read_entries(path) -> dict:
    """{msgid: entry} of a catalogue, as Sphinx reads it; {} if it cannot.

    Sphinx opens catalogues as UTF-8 whatever charset they declare (a GBK one
    is a "reading error" and its page stays English), and Babel skips a
    leading byte-order mark.  ``make intl-stats`` reads with this function too.
    """
    if path is None:
        return {}
    try:
        data = Path(path).read_bytes()
        # Each page's catalogue is asked for by its notice and by the status
        # table, in both builds: parse each version of a file once.
        if data not in _entries:
            text = data.decode("utf-8-sig")
            _entries[data] = {e.msgid: e for e in polib.pofile(text) if not e.obsolete}
        return _entries[data]
    except (OSError, ValueError):
        return {}  # missing or unreadable: nothing counts as translated


_entries: dict[bytes, dict] = {}  # a catalogue's bytes -> read_entries() of them


def tally(entries: dict, msgids) -> tuple[int, int, int]:
    """(messages, translated, fuzzy) of ``msgids`` in a catalogue's ``entries``.

    Translated means a non-empty msgstr without the fuzzy flag: exactly what
    Sphinx uses. Everything else is shown in English. ``make intl-stats``
    counts with this function too, and totals its rows with ``add_up`` and
    prints them with ``numbers``, so that its table and the status page agree.
    """
    translated = fuzzy = 0
    for msgid in msgids:
        entry = entries.get(msgid)
        if entry is None or not entry.msgstr.strip():
            continue
        if entry.fuzzy:
            fuzzy += 1
        else:
            translated += 1
    return len(msgids), translated, fuzzy


# --------------------------------------------------------------------------
# The notice


def add_notice(app, pagename, templatename, context, doctree) -> None:
    if doctree is None or app.config.language != TRANSLATION or "body" not in context:
        return
    total, translated, _fuzzy = progress(app, pagename)
    missing = total - translated
    if not missing:
        return
    uri = app.builder.get_target_uri(pagename)
    english = "../" * (uri.count("/") + 1) + f"{SOURCE}/{uri}"
    if translated:
        text = (
            f"本页还有 {missing} 处内容（共 {total} 处）尚未翻译或有待校对，"
            f"这些段落暂时以英文原文显示。"
        )
    else:
        text = "本页尚未翻译，下面显示的是英文原文。"
    notice = (
        '<div class="admonition note translation-notice" role="note">'
        '<p class="admonition-title">翻译尚未完成</p>'
        f"<p>{html.escape(text)}"
        f'<a href="{html.escape(english)}" hreflang="{SOURCE}">阅读英文原版</a>。</p>'
        "</div>\n"
    )
    context["body"] = notice + context["body"]


# --------------------------------------------------------------------------
# The status page


class translation_status(nodes.General, nodes.Element):
    """Replaced by the table once every page has been read."""


class TranslationStatus(SphinxDirective):
    has_content = False

    def run(self):
        return [translation_status()]


def _reading_order(env) -> list[str]:
    order: list[str] = []

    def visit(docname: str) -> None:
        if docname in order:
            return
        order.append(docname)
        for child in env.toctree_includes.get(docname, []):
            visit(child)

    visit(env.config.root_doc)
    order += sorted(set(env.found_docs) - set(order))
    return order


def _row(cells):
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        entry += cell if isinstance(cell, nodes.Node) else nodes.paragraph(text=str(cell))
        row += entry
    return row


def build_table(app, fromdocname: str) -> nodes.table:
    labels = LABELS["zh" if (app.config.language or "").startswith("zh") else "en"]
    table = nodes.table(classes=["translation-status"])
    group = nodes.tgroup(cols=6)
    table += group
    for width in (40, 12, 12, 12, 12, 12):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row(labels[:6])
    group += head
    body = nodes.tbody()
    rows = []
    for docname in _reading_order(app.env):
        total, translated, fuzzy = progress(app, docname)
        rows.append((total, translated, fuzzy))
        title = app.env.titles.get(docname)
        link = nodes.paragraph()
        ref = nodes.reference(
            "",
            "",
            internal=True,
            refuri=app.builder.get_relative_uri(fromdocname, docname),
        )
        ref += nodes.Text(title.astext() if title is not None else docname)
        link += ref
        body += _row([link, *numbers(total, translated, fuzzy)])
    body += _row([nodes.strong(text=labels[6]), *numbers(*add_up(rows))])
    group += body
    return table


def add_up(rows) -> tuple[int, int, int]:
    """The total of (messages, translated, fuzzy) rows: the pages of the site.

    The theme's interface strings (``sphinx.po``) belong to no page and are not
    part of it; ``make intl-stats`` shows them on a line of their own.
    """
    rows = list(rows)
    return tuple(sum(row[i] for row in rows) for i in range(3))  # type: ignore[return-value]


def numbers(total: int, translated: int, fuzzy: int) -> list[str]:
    """The cells of a row: messages, translated, fuzzy, untranslated, done."""
    done = f"{100 * translated // total}%" if total else "-"
    return [str(total), str(translated), str(fuzzy), str(total - translated - fuzzy), done]


def _skip(self, node) -> None:
    raise nodes.SkipNode


def fill_tables(app, doctree, fromdocname) -> None:
    for node in list(doctree.findall(translation_status)):
        node.replace_self(build_table(app, fromdocname))


# --------------------------------------------------------------------------
# Keeping the environment right across incremental builds


def purge(app, env, docname) -> None:
    getattr(env, "intl_messages", {}).pop(docname, None)
    getattr(env, "intl_status_pages", set()).discard(docname)


def merge(app, env, docnames, other) -> None:
    env.intl_messages = getattr(env, "intl_messages", {})
    env.intl_messages.update({d: m for d, m in getattr(other, "intl_messages", {}).items() if d in docnames})
    env.intl_status_pages = getattr(env, "intl_status_pages", set())
    env.intl_status_pages |= {d for d in getattr(other, "intl_status_pages", set()) if d in docnames}


def note_status_page(app, doctree) -> None:
    if any(True for _ in doctree.findall(translation_status)):
        if not hasattr(app.env, "intl_status_pages"):
            app.env.intl_status_pages = set()
        app.env.intl_status_pages.add(app.env.current_document.docname)


def outdated(app, env, added, changed, removed):
    # The numbers depend on every page and catalogue: always rebuild the
    # pages that show them.
    return sorted(getattr(env, "intl_status_pages", set()) - set(removed))


def setup(app):
    app.add_transform(RecordMessages)
    app.add_node(translation_status, html=(_skip, None), text=(_skip, None))
    app.add_directive("translation-status", TranslationStatus)
    app.connect("doctree-read", keep_messages, priority=900)  # after the metadata collector
    app.connect("doctree-read", note_status_page)
    app.connect("doctree-resolved", fill_tables)
    app.connect("html-page-context", add_notice)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("env-get-outdated", outdated)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}

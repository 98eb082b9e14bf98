"""Link every page to the same page in the other language.

Each language is its own Sphinx build, and the builds sit side by side::

    _build/html/en/<page>.html
    _build/html/zh_CN/<page>.html

so the same page in another language is always ``../<code>/<page>.html``
seen from the root of the current build.  For each page this extension puts
into the template context:

``language_links``
    one entry per language (code, BCP 47 tag, name, URL, current or not),
    shown by ``_templates/sidebar/language-switcher.html``, which is added to
    the sidebar right under the site name;
``language_alternates``
    ``<link rel="alternate" hreflang>`` targets for ``en``, ``zh-CN`` and
    ``x-default`` (the root page, which picks a language), written by
    ``_templates/page.html``; absolute when ``site_url`` is known.

It also derives the settings that depend on the language being built, in a
``config-inited`` hook (``conf.py`` at module level always sees the default
language):

* ``html_baseurl`` = ``site_url`` + ``<code>/``, so Sphinx's canonical link
  and the sitemap name the real address of each page;
* ``notfound_urls_prefix`` = path of ``site_url`` + ``<code>/``, so that the
  404 page loads its styles from absolute paths, whatever URL it is served
  at (``/en/missing.html``, ``/zh_CN/a/b/c``, or ``/404.html`` on the root).

Finally it completes the sitemap: sphinx-sitemap 2.9.0 lists only the pages
written by the current build, so after an incremental build ``sitemap.xml``
misses every unchanged page (sphinx-sitemap issue #13, open). Just before it
writes the file, the pages it did not see are added, and all are sorted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sphinx_sitemap import is_excluded

# code -> (BCP 47 tag for hreflang/lang, the language's own name)
LANGUAGES = {
    "en": ("en", "English"),
    "zh_CN": ("zh-CN", "简体中文"),
}
SWITCHER = "sidebar/language-switcher.html"


def _site_path(site_url: str | None) -> str:
    """The path part of ``site_url``: '/' locally, '/<repo>/' on GitHub Pages."""
    path = urlsplit(site_url or "/").path or "/"
    return path if path.endswith("/") else path + "/"


def per_language_settings(app, config) -> None:
    language = config.language
    if language not in LANGUAGES:
        return
    site_url = config.site_url
    if site_url:
        site_url = site_url.rstrip("/") + "/"
        config.site_url = site_url
        config.html_baseurl = f"{site_url}{language}/"
    config.notfound_urls_prefix = f"{_site_path(site_url)}{language}/"


def add_language_links(app, pagename, templatename, context, doctree) -> None:
    if app.builder.format != "html":
        return
    current = app.config.language
    if current not in LANGUAGES:
        return
    site_url = app.config.site_url
    site_path = _site_path(site_url)
    is_404 = pagename == getattr(app.config, "notfound_pagename", None)

    if is_404:
        # Served at any depth, so absolute paths; the other language's 404
        # page would be no help, its home page is.
        target = app.builder.get_target_uri(app.config.root_doc)
        up = site_path
    else:
        target = app.builder.get_target_uri(pagename)
        # From this page up to the folder that holds every language.
        up = "../" * pagename.count("/") + "../"

    links, alternates = [], []
    for code, (tag, name) in LANGUAGES.items():
        links.append({
            "code": code, "tag": tag, "name": name,
            "url": f"{up}{code}/{target}", "current": code == current,
        })
        if not is_404:
            href = f"{site_url}{code}/{target}" if site_url else f"{up}{code}/{target}"
            alternates.append((tag, href))
    if alternates:
        alternates.append(("x-default", site_url or up))

    context["language_links"] = links
    context["language_alternates"] = alternates
    if is_404:
        # Where another language's 404 page lives, for the root 404.html
        # (a copy of the English one) to send /zh_CN/... readers there.
        context["pageurl"] = None  # no canonical link: it is served at any URL
        page_404 = app.builder.get_target_uri(pagename)
        context["language_404_pages"] = {
            f"{site_path}{code}/": f"{site_path}{code}/{page_404}"
            for code in LANGUAGES if code != current
        }

    sidebars = context.get("sidebars")
    if sidebars is not None and SWITCHER not in sidebars:
        at = sidebars.index("sidebar/brand.html") + 1 if "sidebar/brand.html" in sidebars else 0
        sidebars.insert(at, SWITCHER)


def complete_sitemap(app, exception) -> None:
    queue = getattr(app, "sitemap_links", None)  # filled by sphinx-sitemap
    if exception or queue is None or app.builder.format != "html":
        return
    entries = []
    while not queue.empty():
        entries.append(queue.get_nowait())
    listed = {link for link, _ in entries}
    for docname in app.env.found_docs:
        link = app.builder.get_target_uri(docname)
        if link not in listed and not is_excluded(link, app.config.sitemap_excludes):
            entries.append((link, None))
    for entry in sorted(entries, key=lambda e: e[0]):
        queue.put(entry)


def setup(app):
    # The settings filled in above belong to these two extensions.
    app.setup_extension("sphinx_sitemap")
    app.setup_extension("notfound.extension")
    # Before notfound's own check of notfound_urls_prefix (priority 500).
    app.connect("config-inited", per_language_settings, priority=400)
    app.connect("html-page-context", add_language_links)
    # Before sphinx-sitemap writes sitemap.xml (priority 500).
    app.connect("build-finished", complete_sitemap, priority=400)
    app.add_css_file("language.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}

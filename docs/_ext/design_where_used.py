"""sphinx-design's stylesheet and script only on the pages that use it.

sphinx-design registers ``sphinx-design.min.css`` (about 55 KB) and
``design-tabs.js`` for every page. A page whose body has no ``sd-`` class
(no tab set, card or grid) needs neither, so they are left out of its
``<head>``: its first load stays light.
"""

DESIGN_FILES = ("sphinx-design.min.css", "design-tabs.js")


def _is_design(asset) -> bool:
    return str(getattr(asset, "filename", asset)).endswith(DESIGN_FILES)


def drop_unused_design_assets(app, pagename, templatename, context, doctree):
    if 'class="sd-' in context.get("body", ""):
        return
    for key in ("css_files", "script_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_design(asset)]


def setup(app):
    app.connect("html-page-context", drop_unused_design_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Doctest failures that point at the right line of the Markdown page.

sphinx.ext.doctest takes one from a node's line, which suits reST, where
the node starts on the line after the directive. MyST gives the line of the
opening fence itself, so every failure was reported one line too early.
Failures also name the file from the repository root (docs/overview.md),
as the rest of the project's messages do.
"""

import os

from sphinx.ext.doctest import DocTestBuilder


class MarkdownDocTestBuilder(DocTestBuilder):
    def get_filename_for_node(self, node, docname):
        filename = super().get_filename_for_node(node, docname)
        if os.path.isabs(filename):
            return filename
        return os.path.relpath(self.env.doc2path(docname), os.getcwd())

    @staticmethod
    def get_line_number(node):
        if node.line is not None and (node.source or "").endswith(".md"):
            return node.line
        return DocTestBuilder.get_line_number(node)


def setup(app):
    app.setup_extension("sphinx.ext.doctest")
    app.add_builder(MarkdownDocTestBuilder, override=True)
    return {"parallel_read_safe": True}

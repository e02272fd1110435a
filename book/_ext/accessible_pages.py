"""Sphinx extension: the book's pages for every reader, on phones, in dark mode and with a screen reader.

- ``mc-site.css`` (book/_static): display equations scroll sideways with a visible cue on narrow screens, API
  signatures, field lists and the general index wrap instead of widening the page, tables get padding, links inside
  exercise boxes and the standard widgets' primary button get enough contrast.
- ``mc-site.js`` (book/_static): names the theme's buttons by what they show, and disables the buttons of standard
  ipywidgets, which call Python and do nothing in the static book, saying why.
- Two fixes of the HTML that Sphinx and myst-nb write, made on each page's body before the theme wraps it:
  the "Show code cell source" toggles lose an ``aria-label`` ("Toggle hidden content") that hid their visible
  label from assistive technology, and the bibliography's entries, ``role="doc-biblioentry"`` (deprecated) inside
  a ``role="list"``, become list items.
"""

from __future__ import annotations

from sphinx.application import Sphinx

# (what Sphinx or myst-nb writes, what the page gets instead)
BODY_FIXES = [
    # myst-nb's folded cells: the summary shows "Show code cell source"; a fixed aria-label replaced that name.
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
    # docutils' citation list (role="list"): a list needs list items (axe-core: aria-required-children, critical).
    (' role="doc-biblioentry"', ' role="listitem"'),
]


def fix_body(body: str) -> str:
    """The page body with :data:`BODY_FIXES` applied."""
    for old, new in BODY_FIXES:
        body = body.replace(old, new)
    return body


def fix_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if "body" in context:
        context["body"] = fix_body(context["body"])


def setup(app: Sphinx) -> dict:
    app.add_css_file("mc-site.css")
    app.add_js_file("mc-site.js", loading_method="defer")
    app.connect("html-page-context", fix_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

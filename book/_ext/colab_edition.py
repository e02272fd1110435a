"""Sphinx extension: write the Colab edition of the book and point the site's Colab launch buttons at it.

Colab shows MyST as raw text, so the "Colab" launch button of a chapter opens ``colab/NAME.ipynb``, the chapter
written out in plain Markdown by :mod:`mobilenet_course.colab_edition`, instead of ``book/NAME.ipynb``. When the
build starts, this writes that edition into the ``colab/`` folder beside the book's ``_toc.yml`` (from the notebooks'
stored outputs, so that the committed edition is what the committed book gives; only changed files are rewritten).
A chapter whose MyST has no plain-Markdown form stops the build with the generator's message.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from mobilenet_course.colab_edition import EDITION_FOLDER, ColabEditionError, write_edition

LOGGER = logging.getLogger(__name__)


def write(app: Sphinx) -> None:
    root = Path(app.srcdir)
    try:
        written = write_edition(root, root / EDITION_FOLDER)
    except ColabEditionError as error:
        raise ExtensionError(f"the Colab edition cannot be written: {error}") from error
    if written:
        LOGGER.info(f"Colab edition: rewrote {', '.join(p.name for p in written)} in {root / EDITION_FOLDER}")


def colab_button(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Make a chapter's Colab button open ``colab/NAME.ipynb``; runs after sphinx-book-theme's launch buttons."""
    edition = Path(app.srcdir) / EDITION_FOLDER / f"{Path(pagename).name}.ipynb"
    if not edition.is_file():
        return
    groups = [b for b in context.get("header_buttons", []) if b.get("label") == "launch-buttons"]
    buttons = [b for group in groups for b in group.get("buttons", []) if b.get("text") == "Colab"]
    for button in buttons:
        source = f"/{pagename}.ipynb"
        if not button["url"].endswith(source):
            LOGGER.warning(f"{pagename}: the Colab launch button opens {button['url']}, not {source}; it was left "
                           "as it is (has sphinx-book-theme changed how it builds launch buttons?)")
            continue
        # the repository path of the book's root (path_to_book), where colab/ lies beside _toc.yml
        button["url"] = f"{button['url'][: -len(source)]}/{EDITION_FOLDER}/{edition.name}"


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", write)
    # sphinx-book-theme adds the launch buttons at priority 501; this edits them afterwards
    app.connect("html-page-context", colab_button, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

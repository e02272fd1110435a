"""Sphinx extension: write the Colab edition of the book and point the site's Colab launch buttons at it.

Colab shows MyST as raw text, so the "Colab" launch button of a chapter opens ``colab/NAME.ipynb``, the chapter
written out in plain Markdown by :mod:`mobilenet_course.colab_edition`, instead of ``book/NAME.ipynb``. When the
build starts, this writes that edition into the ``colab/`` folder beside the book's ``_toc.yml`` (from the notebooks'
stored outputs, so that the committed edition is what the committed book gives; only changed files are rewritten).
With ``colab_edition_mode: check`` (Sphinx config; the tests' builds set it) it writes nothing and stops the build
when ``colab/`` is stale. A chapter whose MyST has no plain-Markdown form stops the build with the generator's
message.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from mobilenet_course.colab_edition import EDITION_FOLDER, ColabEditionError, edition_files, write_edition

LOGGER = logging.getLogger(__name__)


def write(app: Sphinx) -> None:
    root = Path(app.srcdir)
    mode = app.config.colab_edition_mode
    if mode not in ("write", "check"):
        raise ExtensionError(f"colab_edition_mode is {mode!r}; allowed: 'write' (make book) or 'check' (the tests)")
    try:
        if mode == "check":
            stale = stale_files(root)
            if stale:
                raise ExtensionError(f"the Colab edition in {root / EDITION_FOLDER} is stale ({', '.join(stale)}): "
                                     "run `make colab` (or `make book`) and commit colab/")
            return
        written = write_edition(root, root / EDITION_FOLDER)
    except ColabEditionError as error:
        raise ExtensionError(f"the Colab edition cannot be written: {error}") from error
    if written:
        LOGGER.info(f"Colab edition: rewrote {', '.join(p.name for p in written)} in {root / EDITION_FOLDER}")


def stale_files(root: Path) -> list[str]:
    """The edition's files that are missing from ``root/colab`` or differ from what the book gives."""
    folder = root / EDITION_FOLDER
    return sorted(name for name, text in edition_files(root).items()
                  if not (folder / name).is_file() or (folder / name).read_text() != text)


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
    # "write": bring colab/ up to date (make book); "check": fail the build when it is stale, writing nothing (the
    # tests' build, so that a build during the tests cannot hide a stale committed edition)
    app.add_config_value("colab_edition_mode", "write", "env", types=[str])
    app.connect("builder-inited", write)
    # sphinx-book-theme adds the launch buttons at priority 501; this edits them afterwards
    app.connect("html-page-context", colab_button, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

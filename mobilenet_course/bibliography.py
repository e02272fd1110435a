"""The course's bibliography style (pybtex): author-year labels, author-year order, titles as written.

The book's site (book/_ext/bibliography_style.py, for sphinxcontrib-bibtex) and its Colab edition
(:mod:`mobilenet_course.colab_edition`) both format ``book/references.bib`` with :class:`CourseStyle`, so an entry
reads the same in both: "Howard et al., 2017", then the authors, the title as the .bib file writes it (pybtex's
``unsrt`` would lower-case "MobileNets" to "Mobilenets"), the venue, and its arXiv identifier and DOI as links.
"""

from __future__ import annotations

import pybtex.plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.template import field, sentence

__all__ = ["AuthorYearLabelStyle", "CourseStyle", "author_year", "cited_authors"]


def cited_authors(entry) -> str:
    """How the text names an entry's authors (or, lacking them, its editors): "Sifre", "Ioffe and Szegedy",
    "Howard et al.", with LaTeX in the names decoded.

    Raises
    ------
    ValueError
        The entry has neither authors nor editors.
    """
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    if not people:
        raise ValueError(f"{entry.key} has no author or editor to cite it by")
    last = [Text.from_latex(" ".join(p.prelast_names + p.last_names)).render_as("text") for p in people]
    return last[0] if len(last) == 1 else " and ".join(last) if len(last) == 2 else f"{last[0]} et al."


def author_year(entry) -> str:
    """How the text cites ``entry``: "Sifre, 2014", "Ioffe and Szegedy, 2015", "Howard et al., 2017"."""
    return f"{cited_authors(entry)}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """An entry's label is its citation (:func:`author_year`)."""

    def format_labels(self, sorted_entries):
        return (author_year(entry) for entry in sorted_entries)


class CourseStyle(UnsrtStyle):
    """pybtex's ``unsrt`` with author-year labels, author-year order and titles kept as written."""

    default_label_style = "course_author_year"
    default_sorting_style = "author_year_title"

    def format_title(self, e, which_field, as_sentence=True):
        title = field(which_field)
        return sentence[title] if as_sentence else title


pybtex.plugin.register_plugin("pybtex.style.labels", "course_author_year", AuthorYearLabelStyle)
pybtex.plugin.register_plugin("pybtex.style.formatting", "course", CourseStyle)

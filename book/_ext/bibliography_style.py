"""Sphinx extension: the bibliography in author-year style, matching the citations in the text.

Citations read "(Howard et al., 2017)" and "(Chollet, 2017; Sifre, 2014)" (the referencing style
``author_year_round``: sphinxcontrib-bibtex's author-year style with round brackets and semicolons), and the
bibliography lists each entry under the same "Howard et al., 2017", in the course's pybtex style ``course``
(:mod:`mobilenet_course.bibliography`: author-year order, titles as written, arXiv and DOI links).
"""

from __future__ import annotations

import dataclasses

from sphinx.application import Sphinx
from sphinxcontrib.bibtex.plugin import register_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

import mobilenet_course.bibliography  # noqa: F401  (registers the pybtex style "course")


def round_brackets() -> BracketStyle:
    return BracketStyle(left="(", right=")", sep="; ", sep2="; ", last_sep="; ")


@dataclasses.dataclass
class RoundAuthorYearReferenceStyle(AuthorYearReferenceStyle):
    """``{cite:p}`` -> "(Howard et al., 2017)", ``{cite:t}`` -> "Howard et al. (2017)"."""

    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=round_brackets)
    bracket_textual: BracketStyle = dataclasses.field(default_factory=round_brackets)
    bracket_author: BracketStyle = dataclasses.field(default_factory=round_brackets)
    bracket_label: BracketStyle = dataclasses.field(default_factory=round_brackets)
    bracket_year: BracketStyle = dataclasses.field(default_factory=round_brackets)


def setup(app: Sphinx) -> dict:
    register_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_round", RoundAuthorYearReferenceStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Sphinx extension: show each exercise as its stub, then its solution folded, from the chapter's one marked cell.

A chapter notebook writes an exercise's solution once, between otter-grader's markers
(:mod:`mobilenet_course.exercise_source`). Before myst-nb reads a notebook (Sphinx's ``source-read``), this turns
every such cell into the stub a student gets (its output removed) and the solution without markers (folded, with
the check's verdict as its output), so the page shows what the student edition and the Colab edition show, with
the solution a click away. The notebook that is executed (through the execution cache) is this one, stubs
included: a stub's check answers with a placeholder reminder, never an error.
"""

from __future__ import annotations

import json

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

from mobilenet_course.exercise_source import ExerciseSourceError, split_exercises


def show_stubs(app: Sphinx, docname: str, source: list[str]) -> None:
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    notebook = json.loads(source[0])
    try:
        split = split_exercises(notebook)
    except ExerciseSourceError as error:
        raise ExtensionError(f"{docname}.ipynb: {error}") from error
    if split != notebook:
        source[0] = json.dumps(split, ensure_ascii=False)


def setup(app: Sphinx) -> dict:
    app.connect("source-read", show_stubs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

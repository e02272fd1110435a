"""otter-grader master notebooks of the chapters' exercises, for ``otter assign`` (Gradescope, hidden tests, Colab).

``mobilenet-course make-otter OUT`` writes ``OUT/NN_chapter.ipynb`` for every chapter with auto-checked exercises,
an otter-assign master notebook (otter-grader's "v1" format) holding:

- the assignment configuration (``runs_on: colab``, with the tests in files: ``--tests-url`` lets the student
  notebook download them in Colab; ``generate``,
  so ``otter assign`` also writes the Gradescope autograder zip; ``requirements.txt`` with the course package);
- the chapter's setup cells (installing the course package in Colab, the imports; ``otter assign`` adds its own
  cell that installs otter-grader) and its
  "Exercises" section, written in the plain Markdown Colab shows (:mod:`mobilenet_course.colab_edition`);
- each auto-checked exercise as a question (``q4_1``, one point): its text, its one marked solution cell
  (:mod:`mobilenet_course.exercise_source`; its markers are otter's own, so ``otter assign`` makes the same stub as
  the course's student edition), a public test (the check's feedback, worth nothing) and a hidden test worth the
  point, which checks the answer with a fresh copy of the course's checks (the loader of
  :mod:`mobilenet_course.grading`, written into the test) so that nothing a submission does to the imported package
  changes its grade. Discussion exercises stay as text,
  without their model answers (otter copies Markdown to the student notebook as it is).

Then ``otter assign OUT/04_width_multiplier.ipynb DIST`` writes ``DIST/student`` (the stubs, no hidden tests) and
``DIST/autograder`` (the solutions, all tests, the autograder zip); ``otter run`` grades a submission locally.

Book: "For instructors".
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from .exercise_source import exercise_cells
from .exercises import EXERCISES
from .grading import FRESH_LOADER

__all__ = ["master_notebook", "make_otter", "exercise_section"]

REQUIREMENTS = "mobilenet-course[widgets] @ git+https://github.com/mobilenet-course/mobilenet-course@v0.1.0\n"


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _heading(cell: dict, level_two: str) -> bool:
    return cell["cell_type"] == "markdown" and _source(cell).startswith(f"## {level_two}")


def exercise_section(notebook: dict) -> tuple[list[int], list[int]]:
    """The indices of a chapter's setup cells (its code cells before the first section heading) and of its
    "Exercises" section (from the Markdown cell that begins with the heading "Exercises" to the next section)."""
    cells = notebook["cells"]
    first = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and _source(c).startswith("## ")),
                 len(cells))
    setup = [i for i in range(first) if cells[i]["cell_type"] == "code"]
    start = next((i for i, c in enumerate(cells) if _heading(c, "Exercises")), None)
    if start is None:
        return setup, []
    end = next((i for i in range(start + 1, len(cells)) if cells[i]["cell_type"] == "markdown"
                and _source(cells[i]).startswith("## ")), len(cells))
    return setup, list(range(start, end))


def _raw(text: str) -> dict:
    import nbformat

    return nbformat.v4.new_raw_cell(text)


def _code(text: str, outputs: list | None = None) -> dict:
    import nbformat

    cell = nbformat.v4.new_code_cell(text)
    cell["outputs"] = outputs or []
    return cell


def _test(exercise_id: str, answer: str, hidden: bool) -> dict:
    """A test cell: the public one runs the course's check; the hidden one holds the fresh loader of
    :mod:`mobilenet_course.grading` itself, so that nothing the notebook patched is imported. A failure shows the
    check's feedback."""
    config = f'""" # BEGIN TEST CONFIG\nhidden: {str(hidden).lower()}\npoints: {int(hidden)}\n""" # END TEST CONFIG\n'
    if hidden:
        body = (f"_mc = {{}}\nexec({FRESH_LOADER!r}, _mc)\n"
                f"_feedback = _mc['_mc_fresh_exercises']().check({exercise_id!r}, {answer})\n")
    else:
        body = f"_feedback = mc.exercises.check({exercise_id!r}, {answer})\n"
    return _code(config + body + "assert _feedback.correct, str(_feedback)")


def master_notebook(notebook: dict, docname: str, book, *, tests_url: str | None = None) -> dict:
    """The otter-assign master notebook of one chapter (``book``: :func:`mobilenet_course.colab_edition.read_book`).

    ``tests_url``: where the student notebook downloads its public tests in Colab (otter's ``tests.url_prefix``),
    ``{chapter}`` replaced by the chapter's file name (``04_width_multiplier``); without it, students upload the
    ``tests/`` folder that ``otter assign`` writes beside their notebook.
    """
    import nbformat

    from .colab_edition import chapter_context, convert_markdown

    setup, section = exercise_section(notebook)
    exercises = {e.index: e for e in exercise_cells(notebook)}
    outside = [e.id for i, e in exercises.items() if i not in section]
    if outside:
        raise ValueError(f"{docname}.ipynb: exercise(s) {', '.join(outside)} lie outside the chapter's "
                         "\"## Exercises\" section (a Markdown cell that begins with that heading), which the "
                         "master notebook is made of")
    # otter assign copies Markdown outside the questions' solution blocks to the students: no discussion solutions
    context = chapter_context(notebook, docname, book, solutions=False)
    config = {"name": Path(docname).name, "runs_on": "colab", "requirements": "requirements.txt",
              "generate": True, "export_cell": False, "check_all_cell": False, "init_cell": True,
              "tests": {"files": True}}
    if tests_url is not None:
        config["tests"]["url_prefix"] = tests_url.replace("{chapter}", Path(docname).name)
    cells = [_raw("# ASSIGNMENT CONFIG\n" + "\n".join(f"{k}: {json.dumps(v)}" for k, v in config.items())),
             nbformat.v4.new_markdown_cell(f"# {book.titles.get(docname, docname)}: exercises\n\n"
                                           "Answer each question in its cell, run it, then run the test cell "
                                           "below it. Before you hand the notebook in, run it from the top in a "
                                           "fresh kernel.")]
    cells += [_code(_source(notebook["cells"][i])) for i in setup]
    pending: list[tuple[bool, dict]] = []  # cells since the last question; True for an exercise's text
    for index in section:
        cell = notebook["cells"][index]
        if cell["cell_type"] == "markdown":
            context.cell = index
            text = convert_markdown(_source(cell), book, context)
            pending.append(("```{exercise}" in _source(cell), nbformat.v4.new_markdown_cell(text)))
            continue
        if index not in exercises:
            pending.append((False, _code(_source(cell))))
            continue
        exercise = exercises[index]
        if exercise.id not in EXERCISES:
            raise ValueError(f"{docname}.ipynb: exercise {exercise.id} has no check in mobilenet_course.exercises")
        start = max((k for k, (is_text, _) in enumerate(pending) if is_text), default=len(pending))
        cells += [c for _, c in pending[:start]]
        name = "q" + exercise.id.replace(".", "_")
        cells += [_raw(f"# BEGIN QUESTION\nname: {name}\npoints: 1"), *(c for _, c in pending[start:]),
                  _raw("# BEGIN SOLUTION"), _code(exercise.source), _raw("# END SOLUTION"),
                  _raw("# BEGIN TESTS"), _test(exercise.id, exercise.answer, hidden=False),
                  _test(exercise.id, exercise.answer, hidden=True), _raw("# END TESTS"), _raw("# END QUESTION")]
        pending = []
    cells += [c for _, c in pending]
    master = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nbformat.validate(master)
    return master


def make_otter(root: str | Path, out: str | Path, *, force: bool = False, tests_url: str | None = None) -> list[Path]:
    """Write an otter master notebook for every chapter with auto-checked exercises into ``out``; returns them.

    ``out`` must be new or empty (with ``force``, the master notebooks and ``requirements.txt`` there are replaced);
    everything is written to a temporary folder first, so an error leaves ``out`` as it was. ``tests_url``: see
    :func:`master_notebook`; it must be an https address ending in ``/`` (the test files' names are appended).
    """
    import nbformat

    from .colab_edition import read_book
    from .student import course_root

    root, out = course_root(root), Path(out).resolve()
    if tests_url is not None and not (tests_url.startswith("https://") and tests_url.endswith("/")):
        raise ValueError(f"--tests-url {tests_url!r}: give the https address of the folder that will hold a "
                         "chapter's tests/ files, ending in '/', with {chapter} for the chapter's name, e.g. "
                         "https://raw.githubusercontent.com/ORG/REPO/main/otter/{chapter}/tests/")
    if out == root or root in out.parents:
        raise ValueError(f"write the master notebooks outside the course repository {root}, not in {out}")
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder; give a new or empty folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ValueError(f"{out} exists and is not empty; give a new or empty folder, or --force to replace the "
                         "master notebooks there")
    book = read_book(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.otter-"))
    try:
        names = []
        for docname, chapter in book.chapters.items():
            path = root / f"{docname}.ipynb"
            if chapter is None or not path.is_file():
                continue
            notebook = json.loads(path.read_text())
            if not exercise_cells(notebook):
                continue
            name = f"{Path(docname).name}.ipynb"
            master = master_notebook(notebook, docname, book, tests_url=tests_url)
            nbformat.write(nbformat.from_dict(master), work / name)
            names.append(name)
        (work / "requirements.txt").write_text(REQUIREMENTS)
        out.mkdir(exist_ok=True)
        for name in [*names, "requirements.txt"]:
            os.replace(work / name, out / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return [out / name for name in names]

"""grade: points from the objects a submission defines, checked by a fresh copy of the checks; nothing earned by
printing "Correct!" or replacing the check; a cell that never ends is stopped and the batch goes on."""

import csv
import json
from pathlib import Path

import nbformat
import pytest

from mobilenet_course import cli
from mobilenet_course.grading import answers, fresh_check
from mobilenet_course.otter_export import exercise_section
from mobilenet_course.student import student_notebook

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["01_standard_convolution.ipynb", "04_width_multiplier.ipynb"]


def sheet():
    """The set-up cells and the exercises of chapters 1 and 4, solved: a short notebook to grade."""
    cells = []
    for name in CHAPTERS:
        notebook = json.loads((ROOT / "book" / name).read_text())
        setup, section = exercise_section(notebook)
        cells += [notebook["cells"][i] for i in setup + section]
    solved = nbformat.v4.new_notebook(cells=[nbformat.from_dict({**c, "id": f"cell-{i}"}) for i, c in enumerate(cells)])
    solved.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for cell in solved.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return solved


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    solved = sheet()
    stubs = nbformat.from_dict(student_notebook(solved))
    cheat = nbformat.from_dict(student_notebook(solved))
    cheat.cells.append(nbformat.v4.new_code_cell(
        "import mobilenet_course.exercises, mobilenet_course.grading\n"
        "mobilenet_course.exercises.check = lambda *args: print('Correct!')\n"
        "mobilenet_course.grading.fresh_check = lambda *args: True\n"
        "mc.exercises.EXERCISES.clear()\n"
        "for exercise_id in ['1.1', '1.2', '1.3', '4.1', '4.2', '4.3']:\n"
        "    print(f'Exercise {exercise_id}: Correct!')"))
    loop = nbformat.from_dict(json.loads(json.dumps(solved)))
    loop.cells.insert(4, nbformat.v4.new_code_cell("while True:\n    pass"))
    hang = nbformat.from_dict(json.loads(json.dumps(solved)))  # 1.2's function never returns
    hang.cells.append(nbformat.v4.new_code_cell("def conv_cost(d_k, m, n, d_f):\n    while True:\n        pass"))
    for name, notebook in [("alice", solved), ("bob", loop), ("carol", stubs), ("dave", cheat), ("frank", hang)]:
        nbformat.write(notebook, folder / f"{name}.ipynb")
    (folder / "erin.ipynb").write_text('{"name": "not a notebook", "cells": 3}')
    out = folder / "grades.csv"
    paths = [str(folder / f"{n}.ipynb") for n in ("alice", "bob", "carol", "dave", "erin", "frank")]
    assert cli.main(["grade", *paths, "--out", str(out), "--timeout", "10"]) == 0
    with out.open() as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}, folder


@pytest.mark.slow
def test_a_solved_notebook_earns_every_point(graded):
    rows, folder = graded
    ids = ["1.1", "1.2", "1.3", "4.1", "4.2", "4.3"]
    assert list(rows["alice"])[1:] == [*ids, "total", "error"]
    assert [rows["alice"][i] for i in ids] == ["1"] * 6 and rows["alice"]["total"] == "6", rows["alice"]
    assert rows["alice"]["error"] == ""
    feedback = (folder / "alice.feedback.txt").read_text()
    assert "alice: 6 of 6 points" in feedback and feedback.count("Correct!") == 6


@pytest.mark.slow
def test_stubs_earn_nothing_and_are_told_what_to_do(graded):
    rows, folder = graded
    assert rows["carol"]["total"] == "0" and rows["carol"]["error"] == "", rows["carol"]
    assert "placeholder" in (folder / "carol.feedback.txt").read_text()


@pytest.mark.slow
def test_printing_correct_and_replacing_the_check_earn_nothing(graded):
    rows, _ = graded
    assert rows["dave"]["total"] == "0", rows["dave"]


@pytest.mark.slow
def test_a_cell_that_never_ends_is_stopped_noted_and_the_batch_goes_on(graded):
    rows, _ = graded
    assert "was stopped after 10 s" in rows["bob"]["error"], rows["bob"]
    assert rows["bob"]["total"] == "6", "the cells after the stopped one still ran"
    assert rows["carol"] and rows["dave"], "the submissions after it were graded"


@pytest.mark.slow
def test_a_function_that_never_returns_costs_its_exercise_only(graded):
    rows, folder = graded
    assert rows["frank"]["1.2"] == "0" and rows["frank"]["total"] == "5", rows["frank"]
    assert "ran past the 10 s limit" in (folder / "frank.feedback.txt").read_text()


@pytest.mark.slow
def test_a_file_that_is_not_a_notebook_gets_an_error_row(graded):
    rows, _ = graded
    assert rows["erin"]["total"] == "0" and "not a notebook" in rows["erin"]["error"], rows["erin"]


def test_answers_are_read_from_the_check_calls():
    solved = sheet()
    assert answers(solved) == {"1.1": "layer_cost()", "1.2": "conv_cost", "1.3": "output_side",
                               "4.1": "explorer", "4.2": "width_ratio", "4.3": "parameters_075()"}


def test_fresh_check_ignores_a_replaced_check(monkeypatch):
    import mobilenet_course as mc

    monkeypatch.setattr(mc.exercises, "check", lambda *args: True)
    monkeypatch.setattr(mc.costs, "standard_conv", lambda *args, **kwargs: None)
    assert not fresh_check("1.1", (1, 2))
    assert fresh_check("1.1", (5 * 5 * 64 * 128, 5 * 5 * 64 * 128 * 56 * 56))


def test_grade_refuses_two_submissions_with_one_name(tmp_path, capsys):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        nbformat.write(sheet(), tmp_path / folder / "same.ipynb")
    paths = [str(tmp_path / "a" / "same.ipynb"), str(tmp_path / "b" / "same.ipynb")]
    assert cli.main(["grade", *paths, "--out", str(tmp_path / "g.csv")]) == 2
    assert "share a file name" in capsys.readouterr().err

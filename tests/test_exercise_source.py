"""The one source of an exercise: the stub is what otter-grader makes of the marked cell, and malformed cells are
refused with a message that says what is wrong."""

import json
from pathlib import Path

import pytest

from mobilenet_course.exercise_source import ExerciseSourceError, exercise_cells, solution, split_exercises, stub

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9]*.ipynb"))


def cell(text):
    return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": text}


def test_markers_become_placeholders_as_otter_writes_them():
    source = ('def f(x):\n    """Doc."""\n    # BEGIN SOLUTION\n    y = x + 1\n    return y\n    # END SOLUTION\n'
              "a = 2  # SOLUTION\nb, c[0] = 1, 2  # SOLUTION\nprint(a)  # SOLUTION\nsecret = 1  # SOLUTION NO PROMPT\n"
              '""" # BEGIN PROMPT\nd = ...\n""" # END PROMPT\n  # BEGIN SOLUTION NO PROMPT\n  z = 1\n  # END SOLUTION\n'
              'mc.exercises.check("1.1", f)')
    assert stub(source) == ('def f(x):\n    """Doc."""\n    ...\na = ...\nb, c[0] = ...\n...\nd = ...\n'
                            'mc.exercises.check("1.1", f)')
    assert solution(source) == ('def f(x):\n    """Doc."""\n    y = x + 1\n    return y\na = 2\nb, c[0] = 1, 2\n'
                                'print(a)\nsecret = 1\n  z = 1\nmc.exercises.check("1.1", f)')


def test_every_stub_of_the_book_is_otters():
    replace_solutions = pytest.importorskip("otter.assign.solutions").replace_solutions
    for path in CHAPTERS:
        for exercise in exercise_cells(json.loads(path.read_text())):
            otter = "\n".join(replace_solutions(exercise.source.split("\n"), "python"))
            assert exercise.stub == otter, f"{path.name} {exercise.id}"


@pytest.mark.parametrize("source, message", [
    ("x = 1  # SOLUTION\nprint(x)", "does not end with mc.exercises.check"),
    ("# BEGIN SOLUTION\nx = 1\nmc.exercises.check('1.1', x)", "without # END SOLUTION"),
    ("x = 1\n# END SOLUTION\nmc.exercises.check('1.1', x)  # SOLUTION", "without # BEGIN SOLUTION"),
    ("x = 1  # SOLUTION\nmc.exercises.check(1.1, x)", "names the exercise"),
    ("x = (  # SOLUTION\nmc.exercises.check('1.1', x)", "not valid Python"),
])
def test_a_malformed_exercise_cell_is_refused(source, message):
    with pytest.raises(ExerciseSourceError, match=message):
        exercise_cells({"cells": [cell(source)]})


def test_an_id_written_twice_is_refused():
    source = "x = 1  # SOLUTION\nmc.exercises.check('1.1', x)"
    with pytest.raises(ExerciseSourceError, match="exercise 1.1 is written twice"):
        exercise_cells({"cells": [cell(source), cell(source)]})


def test_split_gives_the_stub_then_the_folded_solution_with_its_output():
    output = {"output_type": "stream", "name": "stdout", "text": "Correct!"}
    notebook = {"cells": [{**cell("x = 1  # SOLUTION\nmc.exercises.check('1.1', x)"), "id": "a", "outputs": [output]}]}
    shown = split_exercises(notebook)["cells"]
    assert [c["source"] for c in shown] == ["x = ...\nmc.exercises.check('1.1', x)", "x = 1\nmc.exercises.check('1.1', x)"]
    assert shown[0]["outputs"] == [] and "remove-output" in shown[0]["metadata"]["tags"]
    assert shown[1]["outputs"] == [output] and "hide-cell" in shown[1]["metadata"]["tags"]
    assert [c["source"] for c in split_exercises(notebook, solutions=False)["cells"]] == [shown[0]["source"]]

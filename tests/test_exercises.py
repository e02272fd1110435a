"""Every exercise: its solution passes its check, a wrong answer fails with feedback, and the book matches."""

import json
from pathlib import Path

import pytest

import mobilenet_course as mc
from mobilenet_course import exercises, student

BOOK = Path(__file__).resolve().parents[1] / "book"


@pytest.mark.parametrize("exercise_id", list(exercises.EXERCISES))
def test_solution_passes_and_wrong_answer_fails_with_feedback(exercise_id):
    exercise = exercises.EXERCISES[exercise_id]
    passed = exercises.check(exercise_id, exercise.solution())
    assert passed and passed.message and str(passed).startswith("Correct!")
    failed = exercises.check(exercise_id, exercise.wrong_answer())
    assert not failed and str(failed).startswith("Not yet:") and len(failed.message) > 10
    assert failed.hint or "expected" in failed.message, f"{exercise_id}: feedback should say what is wrong"


def test_placeholder_and_bad_types_get_guidance():
    assert "placeholder" in str(exercises.check("4.1", ...))
    assert "could not be checked" in str(exercises.check("5.1", "alpha=1"))
    with pytest.raises(ValueError, match="no exercise '9.9'"):
        exercises.check("9.9", 1)


def test_checks_accept_any_correct_form():
    assert exercises.check("6.1", "0.5_MobileNet_small")  # another spelling of 0.5-MobileNet-160
    assert exercises.check("5.2", ["fc"]) and exercises.check("5.2", "fc")
    assert exercises.check("2.1", float(mc.costs.reduction_ratio(5, 256)))
    assert exercises.check("1.2", lambda d_k, m, n, d_f: [d_k**2 * m * n, d_k**2 * m * n * d_f**2])


def notebooks():
    return sorted(BOOK.glob("[0-9]*.ipynb"))


def test_every_checked_exercise_has_a_stub_and_a_solution_in_the_book():
    in_book = {}
    for path in notebooks():
        for exercise_id in student.exercise_cells(json.loads(path.read_text())):
            in_book[exercise_id] = path.name
    assert set(in_book) == set(exercises.EXERCISES), (set(in_book) ^ set(exercises.EXERCISES))
    for exercise_id, name in in_book.items():
        assert name.startswith(f"0{exercises.EXERCISES[exercise_id].chapter}_"), (exercise_id, name)


def test_every_chapter_has_exercises_of_several_kinds():
    kinds = {e.kind for e in exercises.EXERCISES.values()}
    assert {"compute", "code", "widget"} <= kinds
    for path in notebooks():
        text = path.read_text()
        assert "{exercise}" in text, f"{path.name} has no exercises"


def test_stored_solution_outputs_say_correct():
    for path in notebooks():
        notebook = json.loads(path.read_text())
        for exercise_id, cells in student.exercise_cells(notebook).items():
            outputs = notebook["cells"][cells["solution"]]["outputs"]
            text = json.dumps(outputs)
            assert "Correct!" in text, f"{path.name}: the stored solution of {exercise_id} does not pass its check"


def test_instructors_guide_lists_every_checked_exercise():
    guide = (BOOK / "instructors.md").read_text()
    for exercise_id, exercise in exercises.EXERCISES.items():
        assert f"| {exercise_id} | {exercise.chapter} | {exercise.title} | {exercise.kind} |" in guide, exercise_id

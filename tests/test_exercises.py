"""Every exercise of the book: its one marked solution passes its check, its stub gets a placeholder reminder, a wrong
answer fails with feedback, and the book, the registry and the instructors' guide agree."""

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

import mobilenet_course as mc
from mobilenet_course import exercises
from mobilenet_course.exercise_source import exercise_cells, is_exercise_cell

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("[0-9]*.ipynb"))


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def book_exercises():
    """(chapter notebook, its cells, the exercise) for every exercise of the book."""
    for path in CHAPTERS:
        notebook = json.loads(path.read_text())
        for exercise in exercise_cells(notebook):
            yield path, notebook["cells"], exercise


EXERCISES_IN_BOOK = {e.id: (path, cells, e) for path, cells, e in book_exercises()}


def namespace(cells, exercise):
    """What the exercise cell runs in: the chapter's imports, and the widget cell just before it (if any)."""
    import statistics

    from torch import nn

    from mobilenet_course.widgets import BudgetPicker, CostExplorer

    ns = {"mc": mc, "nn": nn, "Fraction": Fraction, "statistics": statistics, "CostExplorer": CostExplorer,
          "BudgetPicker": BudgetPicker}
    before = cells[exercise.index - 1]
    if before["cell_type"] == "code" and not is_exercise_cell(before) and re.match(
            r"\w+ = (CostExplorer|BudgetPicker|mc\.widgets\.\w+)\(", source(before)):
        exec(source(before), ns)
    return ns


def answer_of(cell_source, exercise, ns):
    """Run the cell without its final check call, then evaluate the answer the call passes."""
    exec(cell_source.rsplit("mc.exercises.check(", 1)[0], ns)
    return eval(exercise.answer, ns)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES_IN_BOOK))
def test_the_solution_passes_and_the_stub_gets_a_reminder(exercise_id):
    path, cells, exercise = EXERCISES_IN_BOOK[exercise_id]
    passed = exercises.check(exercise_id, answer_of(exercise.source, exercise, namespace(cells, exercise)))
    assert passed, f"{path.name}: the solution of {exercise_id} fails its check: {passed}"
    assert str(passed).startswith("Correct!") and len(passed.message) > 10
    stub = exercises.check(exercise_id, answer_of(exercise.stub, exercise, namespace(cells, exercise)))
    if exercises.EXERCISES[exercise_id].kind == "widget":  # the stub reads the widget as it was first shown
        assert not stub and stub.hint, f"{exercise_id}: the untouched widget should get feedback, got {stub}"
    else:
        assert not stub and "placeholder" in stub.message, f"{exercise_id}: the stub should get a reminder: {stub}"


def explorer(**kwargs):
    from mobilenet_course.widgets import CostExplorer

    return CostExplorer(**kwargs)


class Panel:
    """A stand-in for the training and benchmark panels: what their checks read."""

    def __init__(self, **values):
        from types import SimpleNamespace

        options = {"alpha": [1.0, 0.75, 0.5, 0.25], "resolution": [224, 192, 160, 128]}
        self.controls = {k: SimpleNamespace(value=v, options=options.get(k, [v])) for k, v in values.items()}


def picker(**kwargs):
    from mobilenet_course.widgets import BudgetPicker

    return BudgetPicker(**kwargs)


# A wrong answer for every exercise, with a word the feedback must contain (what is wrong, or the hint's point).
WRONG = {
    "1.1": (lambda: (204_800, 204_800 * 56), "D_G"),
    "1.2": (lambda: (lambda d_k, m, n, d_f: (d_k * m * n, d_k * m * n * d_f * d_f)), "both spatial"),
    "1.3": (lambda: (lambda d_f, d_k, s, p: (d_f + 2 * p - d_k) / s + 1), "round down"),
    "2.1": (lambda: 1 / 25, "floor"),
    "2.2": (lambda: (lambda m, n, stride=1: __import__("torch").nn.Conv2d(m, n, 3, stride, 1, bias=False)), "groups"),
    "2.3": (lambda: 31, "not yet 7"),
    "3.1": (lambda: 7, "224 px"),
    "3.2": (lambda: 100 * mc.costs.profile(mc.MobileNetV1(num_classes=10)).shares()["fc"][1], "percentage"),
    "3.3": (lambda: mc.costs.profile(mc.MobileNetV1()).shares()["pointwise"][0], "mult-adds"),
    "4.1": (lambda: explorer(alpha=0.5), "wider model"),
    "4.2": (lambda: (lambda d_k, n, alpha: alpha**2), "depthwise term"),
    "4.3": (lambda: sum(c.params for c in mc.family.family_costs(0.75, 224)), "batch norm"),
    "5.1": (lambda: explorer(alpha=0.5, resolution=192), "fewer parameters"),
    "5.2": (lambda: {"depthwise"}, "1 x 1 input"),
    "5.3": (lambda: 192, "over 300 million"),
    "6.1": (lambda: picker(max_mult_adds_m=100, max_size_mb=8), "6 MB"),
    "6.2": (lambda: mc.costs.profile(mc.MobileNetV1()).mult_adds / mc.costs.profile(mc.ConvMobileNet()).mult_adds,
            "other way round"),
    "6.3": (lambda: "1.0-MobileNet-224", "cheaper model"),
    "7.1": (lambda: 4.0, "estimate"),
    "7.2": (lambda: Panel(alpha=0.5, resolution=28), "fits too"),
    "7.3": (lambda: 10_000 * mc.costs.profile(mc.MobileNetV1(0.5, 28, 10, in_channels=1, small_input=True)).mult_adds,
            "60,000"),
    "8.1": (lambda: exercises._floor_ms("0.5-MobileNet-160", 100e9) / 2, "two FLOPs"),
    "8.2": (lambda: Panel(alpha=0.5, resolution=160), "over 1 ms"),
    "8.3": (lambda: (lambda slow, fast: sum(slow) / len(slow) / (sum(fast) / len(fast))), "median"),
    "9.1": (lambda: picker(max_mult_adds_m=330, max_size_mb=6), "no size"),
    "9.2": (lambda: (lambda costs, accuracies: __import__("numpy").polyfit(__import__("numpy").log(costs), accuracies,
                                                                          1)[0]), "natural logarithm"),
    "9.3": (lambda: -1 * conv_minus_separable(), "other way round"),
}


def conv_minus_separable():
    summary = mc.experiments.summarise(mc.experiments.load())
    key = (mc.experiments.CONV_ALPHA, mc.experiments.CONV_RESOLUTION)
    return summary[("ConvMobileNet", *key)].mean - summary[("MobileNet", *key)].mean


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_a_wrong_answer_fails_with_feedback_that_says_what_is_wrong(exercise_id):
    make, word = WRONG[exercise_id]
    failed = exercises.check(exercise_id, make())
    assert not failed and str(failed).startswith("Not yet:"), f"{exercise_id}: {failed}"
    assert word in failed.message + failed.hint, f"{exercise_id}: the feedback should mention {word!r}: {failed}"


def test_every_exercise_has_a_wrong_answer_here():
    assert set(WRONG) == set(exercises.EXERCISES)


def test_the_students_own_exceptions_show_and_forms_are_explained():
    def broken(d_k, m, n, d_f):
        return undefined_name  # noqa: F821  (the student's bug)

    with pytest.raises(NameError):
        exercises.check("1.2", broken)
    assert "not of the form" in str(exercises.check("5.1", "alpha=1"))
    assert "placeholder" in str(exercises.check("1.1", (..., ...)))
    assert "placeholder" in str(exercises.check("1.2", lambda d_k, m, n, d_f: (..., ...)))
    with pytest.raises(ValueError, match="no exercise '9.9'"):
        exercises.check("9.9", 1)


def test_checks_accept_any_correct_form():
    import numpy as np

    cheapest = min((m for m in mc.family.grid() if m.top1 >= 65), key=lambda m: m.mult_adds)
    assert exercises.check("6.3", cheapest.name.replace("-", "_"))
    assert exercises.check("5.2", ["fc"]) and exercises.check("5.2", "fc")
    assert exercises.check("2.1", float(mc.costs.reduction_ratio(5, 256)))
    assert exercises.check("2.3", np.int64(32))
    assert exercises.check("1.2", lambda d_k, m, n, d_f: [d_k**2 * m * n, d_k**2 * m * n * d_f**2])


def test_the_package_hands_out_no_solution():
    assert {f for f in exercises.Exercise.__dataclass_fields__} == {"id", "kind", "check"}
    for name in dir(exercises):
        assert "solution" not in name.lower(), f"mobilenet_course.exercises.{name}"


def test_book_and_registry_agree_with_three_checked_exercises_per_chapter_and_a_widget_one_from_chapter_4():
    assert set(EXERCISES_IN_BOOK) == set(exercises.EXERCISES), set(EXERCISES_IN_BOOK) ^ set(exercises.EXERCISES)
    for path in CHAPTERS:
        chapter = int(path.name[:2])
        ids = [i for i, (p, _, _) in EXERCISES_IN_BOOK.items() if p == path]
        assert len(ids) >= 3, f"{path.name}: {len(ids)} auto-checked exercises"
        assert all(exercises.EXERCISES[i].chapter == chapter for i in ids), (path.name, ids)
        if chapter >= 4:
            assert any(exercises.EXERCISES[i].kind == "widget" for i in ids), f"{path.name}: no widget exercise"


def test_the_id_in_the_check_call_is_the_number_sphinx_exercise_shows():
    # sphinx-exercise numbers a chapter's exercises 1, 2, 3 in order; the id is written once, in the check call.
    for path in CHAPTERS:
        chapter, count = int(path.name[:2]), 0
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                count += source(cell).count("```{exercise}")
            elif is_exercise_cell(cell):
                exercise_id = re.search(r'exercises\.check\("([\d.]+)"', source(cell))[1]
                assert exercise_id == f"{chapter}.{count}", f"{path.name}: exercise {chapter}.{count} checks {exercise_id}"


def test_stored_solution_outputs_say_correct():
    for exercise_id, (path, cells, exercise) in EXERCISES_IN_BOOK.items():
        text = json.dumps(cells[exercise.index]["outputs"])
        assert "Correct!" in text, f"{path.name}: the stored solution of {exercise_id} does not pass its check"


def test_instructors_guide_lists_every_checked_exercise():
    guide = (BOOK / "instructors.md").read_text()
    for exercise_id, (path, cells, exercise) in EXERCISES_IN_BOOK.items():
        markdown = [source(c) for c in cells[:exercise.index] if c["cell_type"] == "markdown"
                    and "```{exercise}" in source(c)][-1]
        title = re.findall(r"```\{exercise\} (.+)", markdown)[-1]
        kind = exercises.EXERCISES[exercise_id].kind
        assert f"| {exercise_id} | {title} | {kind} |" in guide, exercise_id

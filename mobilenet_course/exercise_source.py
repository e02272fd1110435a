"""The one source of an exercise: its solution cell, between otter-grader's markers, and the stub made from it.

An auto-checked exercise of a chapter notebook is one code cell. The solution is written there once, marked as
otter-grader marks solutions, and the cell ends with the call that checks the answer, which names the exercise::

    def layer_cost():
        \"\"\"(parameters, mult-adds) of a 5x5 conv from 56x56x64 to 128 channels, stride 1, same padding.\"\"\"
        # BEGIN SOLUTION
        params = 5 * 5 * 64 * 128
        return params, params * 56 * 56
        # END SOLUTION


    mc.exercises.check("1.1", layer_cost())

The markers are otter-grader's (``otter assign``), not nbgrader's (``### BEGIN SOLUTION``), because otter runs in
Google Colab, where the course's readers are, and exports Gradescope autograders; nbgrader needs a Jupyter server of
its own. So the instructor's notebook is also an otter master notebook (``mobilenet-course make-otter``), and
:func:`stub` gives what ``otter assign`` gives:

- the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` become one ``...`` (``# BEGIN SOLUTION NO PROMPT``:
  nothing);
- a line ending in ``# SOLUTION`` keeps what is left of ``=`` and gets ``...`` (``x = 2  # SOLUTION`` becomes
  ``x = ...``), any other such line becomes ``...``; a line ending in ``# SOLUTION NO PROMPT`` goes;
- between ``\"\"\" # BEGIN PROMPT`` and ``\"\"\" # END PROMPT`` (a string, so the solution ignores it) is code only the
  student sees; the two marker lines go.

The exercise's id ("4.1") is written once, in the check call; its number on the site is sphinx-exercise's count of
the chapter's exercises, and the tests check that the two agree. The answer the check receives (``layer_cost()``) is
what the grader evaluates in the student's kernel (:mod:`mobilenet_course.grading`). A stub leaves placeholders
``...`` that the check recognises, so "Run all" runs through a notebook of stubs.

Book: "For instructors".
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

__all__ = ["ExerciseCell", "ExerciseSourceError", "stub", "solution", "is_exercise_cell", "exercise_cells", "check_call",
           "split_exercises"]

BEGIN_SOLUTION = re.compile(r"^(\s*)# BEGIN SOLUTION( NO PROMPT)?\s*$")
END_SOLUTION = "# END SOLUTION"
LINE_SOLUTION = re.compile(r"^(?P<indent>\s*)(?P<code>.*?)\s*# ?SOLUTION\s*$")
ASSIGNMENT = re.compile(r"^(?P<target>(?:[\w.]+(?:\[[^\]]*\])*(?:,\s*)?)+\s*=)")
SKIPPED = ("# SOLUTION NO PROMPT", "# BEGIN PROMPT", "# END PROMPT")
MARKERS = ("# BEGIN SOLUTION", "# SOLUTION")


class ExerciseSourceError(ValueError):
    """A marked cell that is not a well-formed exercise (unbalanced markers, no check call, a repeated id)."""


def stub(source: str) -> str:
    """The student's cell for a marked solution cell: otter-grader's replacement of the solution markers."""
    lines, out, inside = source.split("\n"), [], False
    for number, line in enumerate(lines, 1):
        stripped = line.rstrip()
        if any(stripped.endswith(suffix) for suffix in SKIPPED):
            continue
        if stripped.endswith(END_SOLUTION):
            if not inside:
                raise ExerciseSourceError(f"line {number}: # END SOLUTION without # BEGIN SOLUTION")
            inside = False
            continue
        if inside:
            continue
        begin = BEGIN_SOLUTION.match(line)
        if begin:
            inside = True
            if not begin[2]:
                out.append(begin[1] + "...")
            continue
        marked = LINE_SOLUTION.match(line)
        if marked:
            target = ASSIGNMENT.match(marked["code"])
            line = marked["indent"] + (target["target"] + " ..." if target else "...")
        out.append(line)
    if inside:
        raise ExerciseSourceError("# BEGIN SOLUTION without # END SOLUTION")
    return "\n".join(out)


def is_exercise_cell(cell: dict) -> bool:
    """Whether a notebook cell is an exercise's solution cell (a code cell with otter's solution markers)."""
    return cell.get("cell_type") == "code" and any(
        re.search(r"# ?SOLUTION( NO PROMPT)?$", line.rstrip()) or line.strip().startswith(MARKERS[0])
        for line in _source(cell).split("\n"))


@dataclass(frozen=True)
class ExerciseCell:
    """An exercise as its notebook writes it: the id, the cell's index and source, and the answer's expression."""

    id: str
    index: int
    source: str
    answer: str  # the expression the check receives, e.g. "layer_cost()"

    @property
    def chapter(self) -> int:
        return int(self.id.split(".")[0])

    @property
    def stub(self) -> str:
        return stub(self.source)


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def check_call(node: ast.AST) -> tuple[str, ast.expr] | None:
    """The id and the answer of a ``mc.exercises.check("X.Y", answer)`` call; None for any other node."""
    if (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("exercises.check") and len(node.args) == 2
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
            and re.fullmatch(r"\d+\.\d+", node.args[0].value)):
        return node.args[0].value, node.args[1]
    return None


def _check_call(source: str, index: int) -> tuple[str, str]:
    """The id and the answer expression of the ``mc.exercises.check(ID, ANSWER)`` call that ends a cell."""
    where = f"cell {index}"
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ExerciseSourceError(f"{where} is not valid Python: {error}") from error
    last = tree.body[-1] if tree.body else None
    found = check_call(last.value) if isinstance(last, ast.Expr) else None
    if found is None:
        raise ExerciseSourceError(f"{where} has solution markers but does not end with mc.exercises.check(\"X.Y\", "
                                  "answer): the check call names the exercise")
    return found[0], ast.get_source_segment(source, found[1])


def exercise_cells(notebook: dict) -> list[ExerciseCell]:
    """The notebook's exercises, in order; raises ExerciseSourceError for a malformed one or an id used twice."""
    found: list[ExerciseCell] = []
    for index, cell in enumerate(notebook["cells"]):
        if not is_exercise_cell(cell):
            continue
        source = _source(cell)
        try:
            stub(source)
        except ExerciseSourceError as error:
            raise ExerciseSourceError(f"cell {index}: {error}") from None
        exercise_id, answer = _check_call(source, index)
        if any(e.id == exercise_id for e in found):
            raise ExerciseSourceError(f"exercise {exercise_id} is written twice (cell {index})")
        found.append(ExerciseCell(exercise_id, index, source, answer))
    return found


def solution(source: str) -> str:
    """The solution as a reader should see it: the marked cell without its markers (and without the prompts that only
    the student's stub shows)."""
    out, prompt = [], False
    for line in source.split("\n"):
        stripped = line.rstrip()
        if stripped.endswith("# BEGIN PROMPT"):
            prompt = True
            continue
        if stripped.endswith("# END PROMPT"):
            prompt = False
            continue
        if prompt or BEGIN_SOLUTION.match(line) or stripped.endswith(END_SOLUTION):
            continue
        out.append(re.sub(r"\s*# ?SOLUTION( NO PROMPT)?$", "", stripped))
    return "\n".join(out)


def split_exercises(notebook: dict, *, solutions: bool = True) -> dict:
    """A copy of ``notebook`` in which each exercise cell becomes the student's stub (tagged ``remove-output``: its
    stored output would be the instructor's) followed, when ``solutions``, by the solution (tagged ``hide-cell``,
    with the exercise cell's outputs: the check's verdict on the solution).

    The site (``book/_ext/exercise_cells.py``) and the Colab edition show the book this way; the student edition
    leaves the solutions out.
    """
    import copy

    split = copy.deepcopy(notebook)
    exercises = {e.index: e for e in exercise_cells(notebook)}
    cells = []
    for index, cell in enumerate(split["cells"]):
        if index not in exercises:
            cells.append(cell)
            continue
        exercise = exercises[index]
        tags = [t for t in cell.get("metadata", {}).get("tags", []) if t not in ("hide-cell", "remove-output")]
        base_id = cell.get("id", f"exercise-{exercise.id}")
        stub_cell = {"cell_type": "code", "execution_count": None, "id": f"{base_id}-stub",
                     "metadata": {"tags": [*tags, "remove-output"], "exercise": exercise.id},
                     "outputs": [], "source": exercise.stub}
        cells.append(stub_cell)
        if solutions:
            cell["source"] = solution(exercise.source)
            cell.setdefault("metadata", {})["tags"] = [*tags, "hide-cell"]
            cell["metadata"]["solution"] = exercise.id
            cells.append(cell)
    split["cells"] = cells
    return split

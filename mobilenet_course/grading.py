"""Grade submitted notebooks: run each in a fresh kernel, then check its exercises against the objects it defined.

``mobilenet-course grade SUBMISSION.ipynb... --out grades.csv [--timeout SECONDS]`` does, for each submission:

1. read it (a file that is not a notebook gets a row with the error and no points);
2. run it top to bottom in a fresh kernel in the submission's folder, each cell stopped after ``--timeout`` seconds
   (interrupted, noted, and the run goes on with the next cell), errors in cells noted;
3. in that kernel, evaluate each exercise's answer as the exercise's check call writes it (``layer_cost()``,
   ``explorer``: the objects the student's code defined, never printed text) and check it with the checks of a
   *fresh copy* of this package, imported under another name from the installed files, so that nothing the
   notebook did to ``mobilenet_course`` (replacing ``mc.exercises.check``, say) reaches the grading.

Each exercise earns 1 point when its check says correct, else 0: a placeholder, a wrong answer, an exception raised
by the student's code, or no check call for the exercise at all. A notebook that prints "Correct!" earns nothing
for it. The exercises graded are those of the chapters the submission's check calls name (all of a chapter's
auto-checked exercises, so a deleted cell counts as 0).

It writes the CSV (one row per submission, named by its file stem: a column per exercise id with its points,
``total`` and ``error``, empty when every cell ran) and, beside it, ``STEM.feedback.txt`` for each submission: each
exercise's points and the check's feedback, and what went wrong while running. A widget exercise is graded on the
widget as the notebook leaves it when run from the top: the feedback tells students to set their answer in code.

What this cannot stop: a submission runs arbitrary code, in a kernel with the grader's rights. Grade in a container
or a throw-away account, as with any autograder (otter-grader's Gradescope autograder runs in one).

Book: "For instructors".
"""

from __future__ import annotations

import ast
import csv
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .exercises import EXERCISES
from .files import atomic_write, check_output

__all__ = ["Submission", "answers", "fresh_check", "grade", "grade_notebook"]

TIMEOUT_NAME = "CellTimeout"


@dataclass
class Submission:
    """One graded notebook: points per exercise, the check's feedback for each, and what went wrong."""

    name: str
    points: dict[str, int] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.points.values())

    def row(self, exercise_ids: list[str]) -> dict[str, object]:
        return {"submission": self.name, **{i: self.points.get(i, 0) for i in exercise_ids}, "total": self.total,
                "error": "; ".join(self.errors)}

    def report(self, exercise_ids: list[str]) -> str:
        lines = [f"{self.name}: {self.total} of {len(exercise_ids)} points", ""]
        for exercise_id in exercise_ids:
            text = self.feedback.get(exercise_id, "no cell of the notebook checks this exercise")
            lines.append(f"Exercise {exercise_id}: {self.points.get(exercise_id, 0)} point(s)")
            lines += [f"  {line}" for line in text.splitlines()] + [""]
        if self.errors:
            lines += ["While running the notebook:"] + [f"  {e}" for e in self.errors]
        return "\n".join(lines) + "\n"


def answers(notebook: dict) -> dict[str, str]:
    """Exercise id to the answer expression of its check call (``mc.exercises.check("1.1", layer_cost())``), from
    every code cell of ``notebook`` that parses; the last call for an id counts, as it would in the kernel."""
    found: dict[str, str] = {}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        try:
            tree = ast.parse("\n".join(line for line in source.split("\n") if not line.lstrip().startswith(("%", "!"))))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("exercises.check")
                    and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value in EXERCISES):
                found[node.args[0].value] = ast.unparse(node.args[1])
    return found


FRESH_LOADER = """
def _mc_fresh_exercises(package):
    # A fresh copy of mobilenet_course, imported from its files under another name: what a notebook did to the
    # imported package (mc.exercises.check replaced, mc.costs patched) does not reach it. The widgets module is
    # the imported one, since the widgets a student moved are instances of its classes.
    import importlib, importlib.util, secrets, sys
    name = "_mc_grading_" + secrets.token_hex(6)
    spec = importlib.util.spec_from_file_location(name, package + "/__init__.py",
                                                  submodule_search_locations=[package])
    if "mobilenet_course.widgets" in sys.modules:
        sys.modules[name + ".widgets"] = sys.modules["mobilenet_course.widgets"]
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return importlib.import_module(name + ".exercises")
"""
PACKAGE = str(Path(__file__).resolve().parent)


def fresh_check(exercise_id: str, answer: object):
    """The check of exercise ``exercise_id`` on ``answer``, from a fresh copy of the package's checks: what the
    otter-grader hidden tests (``make-otter``) call, as ``grade`` does in the kernel."""
    namespace: dict[str, object] = {}
    exec(FRESH_LOADER, namespace)
    return namespace["_mc_fresh_exercises"](PACKAGE).check(exercise_id, answer)


def _grading_code(expressions: dict[str, str], nonce: str) -> str:
    """What runs in the student's kernel after the notebook: a fresh copy of the package checks each answer."""
    return FRESH_LOADER + f"""
def _mc_grade():
    import json
    exercises = _mc_fresh_exercises({PACKAGE!r})
    results = {{}}
    for exercise_id, expression in {expressions!r}.items():
        try:
            feedback = exercises.check(exercise_id, eval(expression, get_ipython().user_ns))
            results[exercise_id] = [bool(feedback.correct), str(feedback)]
        except BaseException as error:
            results[exercise_id] = [False, "the check could not run: " + type(error).__name__ + ": " + str(error)]
    print({nonce!r} + json.dumps(results))
_mc_grade()
"""


def grade_notebook(path: str | Path, *, timeout: float = 600) -> Submission:
    """Run the notebook at ``path`` in a fresh kernel and grade its exercises (see the module's description)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.util import run_sync

    path = Path(path)
    submission = Submission(path.stem)
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # not JSON, not a notebook, unreadable: the row says so
        submission.errors.append(f"not a notebook that can be run ({type(error).__name__}: {error})")
        return submission
    expressions = answers(notebook)
    chapters = {int(i.split(".")[0]) for i in expressions}
    for exercise_id, exercise in EXERCISES.items():
        if exercise.chapter in chapters:
            submission.points[exercise_id] = 0
    if not expressions:
        submission.errors.append("no exercise check call (mc.exercises.check(\"X.Y\", answer)) in the notebook")
        return submission

    timed_out: list[int] = []

    def executed(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {}) if execute_reply else {}
        if content.get("ename") == TIMEOUT_NAME:
            timed_out.append(cell_index)
            submission.errors.append(f"cell {cell_index} was stopped after {timeout:g} s")
        elif content.get("status") == "error":
            submission.errors.append(f"cell {cell_index} raised {content.get('ename')}: {content.get('evalue')}")

    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": TIMEOUT_NAME, "evalue": f"stopped after {timeout:g} s", "traceback": []},
        resources={"metadata": {"path": str(path.resolve().parent)}}, on_cell_executed=executed)
    nonce = secrets.token_hex(8)
    outputs: list[str] = []

    def collect(message):
        if message["header"]["msg_type"] == "stream":
            outputs.append(message["content"]["text"])

    try:
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)
            run_sync(client.kc.execute_interactive)(_grading_code(expressions, nonce), output_hook=collect,
                                                    timeout=max(timeout, 60))
    except Exception as error:  # the kernel died, or the grading itself timed out: the run's other notes stay
        submission.errors.append(f"the notebook could not be run to the end ({type(error).__name__}: {error})")
    results = next((json.loads(line[len(nonce):]) for line in "".join(outputs).splitlines()
                    if line.startswith(nonce)), None)
    if results is None:
        submission.errors.append("the grading step printed no result (the notebook replaced the output streams, "
                                 "or its kernel stopped)")
        return submission
    for exercise_id, (correct, text) in results.items():
        submission.points[exercise_id] = int(correct)
        submission.feedback[exercise_id] = text
    return submission


def grade(submissions: list[str | Path], out: str | Path, *, timeout: float = 600) -> list[dict[str, object]]:
    """Grade each submission into the CSV ``out`` and a feedback file beside it for each; returns the CSV's rows."""
    out = check_output(out, what="--out", suffixes=(".csv",))
    stems = [Path(s).stem for s in submissions]
    repeated = sorted({s for s in stems if stems.count(s) > 1})
    if repeated:
        raise ValueError(f"two submissions share a file name ({', '.join(repeated)}): rows and feedback files are "
                         "named by it; rename one")
    graded = []
    for index, path in enumerate(submissions, 1):
        print(f"[{index}/{len(submissions)}] grading {path}", flush=True)
        graded.append(grade_notebook(path, timeout=timeout))
    exercise_ids = sorted({i for s in graded for i in s.points}, key=lambda i: tuple(map(int, i.split("."))))
    rows = [s.row(exercise_ids) for s in graded]
    with atomic_write(out, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["submission", *exercise_ids, "total", "error"])
        writer.writeheader()
        writer.writerows(rows)
    for submission in graded:
        with atomic_write(out.parent / f"{submission.name}.feedback.txt") as handle:
            handle.write(submission.report([i for i in exercise_ids if i in submission.points]))
    return rows

"""Grade submitted notebooks: run each in a fresh kernel, then check its exercises against the objects it defined.

``mobilenet-course grade SUBMISSION.ipynb... --out grades.csv [--timeout SECONDS]`` does, for each submission:

1. read it (a file that is not a notebook gets a row with the error and no points);
2. run it top to bottom in a fresh kernel, in an empty temporary folder of its own, each cell stopped after
   ``--timeout`` seconds (interrupted, noted, and the run goes on with the next cell), errors in cells noted;
3. in that kernel, for each exercise in turn (each under the same time limit, so a function that never returns
   costs that exercise only), evaluate the answer as the exercise's check call writes it (``layer_cost()``,
   ``explorer``: the objects the student's code defined, never printed text) and check it with the checks of a
   *fresh copy* of this package, imported under another name from the installed files, so that nothing the
   notebook did to ``mobilenet_course`` (replacing ``mc.exercises.check``, patching ``mc.costs`` or
   ``mobilenet_course.grading``) reaches the grading.

Each exercise earns 1 point when its check says correct, else 0: a placeholder, a wrong answer, an exception raised
by the student's code, or no check call for the exercise at all. A notebook that prints "Correct!" earns nothing
for it. The exercises graded are those of the chapters the submission's check calls name (all of a chapter's
auto-checked exercises, so a deleted cell counts as 0).

It writes the CSV (one row per submission, named by its file stem: a column per exercise id with its points,
``total`` and ``error``, empty when every cell ran) and, beside it, ``STEM.feedback.txt`` for each submission: each
exercise's points and the check's feedback, and what went wrong while running. A widget exercise is graded on the
widget as the notebook leaves it when run from the top: the feedback tells students to set their answer in code.

What this cannot stop: the checks run in the student's kernel, as otter-grader's hidden tests do, so a notebook that
rewrites Python itself there (``builtins.print``, ``math.isclose``, torch) can fake a verdict; the feedback file
shows every verdict and its reason, and the notebook is there to read when one looks too good. And a submission
runs arbitrary code with the grader's rights: grade in a container or a throw-away account, as with any autograder
(otter-grader's Gradescope autograder runs in one).

Book: "For instructors".
"""

from __future__ import annotations

import ast
import csv
import json
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .exercise_source import check_call
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
            call = check_call(node)
            if call is not None and call[0] in EXERCISES:
                found[call[0]] = ast.unparse(call[1])
    return found


FRESH_LOADER = """
def _mc_fresh_exercises():
    # A fresh copy of mobilenet_course, imported from its files (found by the import system, not through the imported
    # package) under another name: what a notebook did to the imported package (mc.exercises.check replaced,
    # mc.costs or mobilenet_course.grading patched) does not reach it. The widgets module is the imported one,
    # since the widgets a student moved are instances of its classes.
    import importlib, importlib.util, secrets, sys
    # asked of the import system's finders themselves, which do not look at the imported package
    found = (f.find_spec("mobilenet_course", None) for f in sys.meta_path if hasattr(f, "find_spec"))
    package = next(s for s in found if s is not None).submodule_search_locations[0]
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


def fresh_check(exercise_id: str, answer: object):
    """The check of exercise ``exercise_id`` on ``answer``, from a fresh copy of the package's checks (as ``grade``
    runs them in the kernel; the otter hidden tests of ``make-otter`` hold the same loader)."""
    namespace: dict[str, object] = {}
    exec(FRESH_LOADER, namespace)
    return namespace["_mc_fresh_exercises"]().check(exercise_id, answer)


def _grading_code(exercise_id: str, expression: str, nonce: str) -> str:
    """What runs in the student's kernel after the notebook, once per exercise: a fresh copy of the checks judges
    the answer, the object the exercise's check call passes. One request per exercise, so that a student's function
    that never returns costs that exercise only."""
    return FRESH_LOADER + f"""
def _mc_grade():
    import json
    try:
        feedback = _mc_fresh_exercises().check({exercise_id!r}, eval({expression!r}, get_ipython().user_ns))
        result = [bool(feedback.correct), str(feedback)]
    except BaseException as error:
        result = [False, "your code raised " + type(error).__name__ + ": " + str(error)]
    print({nonce!r} + json.dumps(result))
_mc_grade()
"""


def _grade_one(client, exercise_id: str, expression: str, nonce: str, timeout: float) -> str:
    """Judge one exercise in the kernel; its result line (``nonce`` then JSON), or what went wrong."""
    from nbclient.util import run_sync

    printed: list[str] = []

    def collect(message):
        if message["header"]["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    try:
        run_sync(client.kc.execute_interactive)(_grading_code(exercise_id, expression, nonce), output_hook=collect,
                                                timeout=timeout)
    except TimeoutError:
        run_sync(client.km.interrupt_kernel)()
        return f"your answer's code ran past the {timeout:g} s limit and was stopped"
    line = next((line for line in "".join(printed).splitlines() if line.startswith(nonce)), None)
    return line or ("the check printed no result: the notebook replaced the output streams, or the kernel "
                    "stopped")


def grade_notebook(path: str | Path, *, timeout: float = 600) -> Submission:
    """Run the notebook at ``path`` in a fresh kernel and grade its exercises (see the module's description)."""
    import nbformat
    from nbclient import NotebookClient

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

    def executed(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {}) if execute_reply else {}
        if content.get("ename") == TIMEOUT_NAME:
            submission.errors.append(f"cell {cell_index} was stopped after {timeout:g} s")
        elif content.get("status") == "error":
            submission.errors.append(f"cell {cell_index} raised {content.get('ename')}: {content.get('evalue')}")

    nonce = secrets.token_hex(8)
    with tempfile.TemporaryDirectory(prefix="mc-grade-") as folder:  # its own folder: no classmate's file in reach
        client = NotebookClient(
            notebook, timeout=timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMEOUT_NAME, "evalue": f"stopped after {timeout:g} s", "traceback": []},
            resources={"metadata": {"path": folder}}, on_cell_executed=executed)
        _run_and_grade(client, notebook, expressions, submission, nonce, timeout)
    return submission


def _run_and_grade(client, notebook, expressions: dict[str, str], submission: Submission, nonce: str,
                   timeout: float) -> None:
    try:
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)
            for exercise_id, expression in expressions.items():
                submission.points[exercise_id] = 0
                submission.feedback[exercise_id] = _grade_one(client, exercise_id, expression, nonce, timeout)
                if submission.feedback[exercise_id].startswith(nonce):
                    correct, text = json.loads(submission.feedback[exercise_id][len(nonce):])
                    submission.points[exercise_id], submission.feedback[exercise_id] = int(correct), text
    except Exception as error:  # the kernel died: the run's other notes stay
        submission.errors.append(f"the notebook could not be run to the end ({type(error).__name__}: {error})")


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

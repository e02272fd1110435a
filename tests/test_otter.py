"""make-otter: otter-grader's own `otter assign` accepts every master notebook, its student notebooks hold the
course's stubs, and `otter run` gives the solution full marks and the stubs zero."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mobilenet_course import cli
from mobilenet_course.exercise_source import exercise_cells

ROOT = Path(__file__).resolve().parents[1]
OTTER = Path(sys.executable).with_name("otter")
RUN = ["01_standard_convolution", "04_width_multiplier"]  # a code and compute chapter, and a widget one

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    if not OTTER.exists():
        pytest.skip("otter-grader is not installed (pip install 'mobilenet-course[instructor]')")
    folder = tmp_path_factory.mktemp("otter")
    assert cli.main(["make-otter", str(folder / "masters"), "--book", str(ROOT)]) == 0
    masters = sorted((folder / "masters").glob("*.ipynb"))
    assert [m.stem for m in masters] == [p.stem for p in sorted((ROOT / "book").glob("[0-9]*.ipynb"))]
    for master in masters:
        flags = ["--no-run-tests"]  # the solutions are run by `otter run` below
        result = subprocess.run([str(OTTER), "assign", *flags, str(master), str(folder / "dist" / master.stem)],
                                capture_output=True, text=True, cwd=folder)
        assert result.returncode == 0, f"otter assign {master.name}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    return folder


def test_otter_assign_accepts_every_master_and_makes_the_courses_stubs(assigned):
    for dist in sorted((assigned / "dist").iterdir()):
        student = json.loads((dist / "student" / f"{dist.name}.ipynb").read_text())
        sources = ["".join(c["source"]) for c in student["cells"] if c["cell_type"] == "code"]
        book = json.loads((ROOT / "book" / f"{dist.name}.ipynb").read_text())
        for exercise in exercise_cells(book):
            assert exercise.stub in sources, f"{dist.name}: the stub of {exercise.id} differs from the course's"
        text = json.dumps(student)
        assert "BEGIN SOLUTION" not in text and "_mc_fresh_exercises" not in text, dist.name
        assert list((dist / "autograder").glob("*-autograder_*.zip")), f"{dist.name}: no autograder zip"
        hidden = (dist / "autograder" / "tests").glob("q*.py")
        assert all("_mc_fresh_exercises" in path.read_text() for path in hidden), dist.name


def otter_score(assigned, chapter, notebook):
    dist = assigned / "dist" / chapter
    out = assigned / "runs" / f"{chapter}-{notebook.parent.name}-{notebook.stem}"
    out.mkdir(parents=True)
    zip_file = next((dist / "autograder").glob("*-autograder_*.zip"))
    result = subprocess.run([str(OTTER), "run", "-a", str(zip_file), "-o", str(out), str(notebook)],
                            capture_output=True, text=True, cwd=dist)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    tests = json.loads((out / "results.json").read_text())["tests"]
    scored = [t for t in tests if "max_score" in t]  # "Public Tests" is a summary without points
    return sum(t["score"] for t in scored), sum(t["max_score"] for t in scored)


def test_otter_hidden_tests_ignore_a_replaced_check(assigned):
    # stubs, and a cell that makes every check of the imported package (and its grading module) say yes
    import nbformat

    chapter = RUN[0]
    notebook = nbformat.read(assigned / "dist" / chapter / "student" / f"{chapter}.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import mobilenet_course.exercises, mobilenet_course.grading\n"
        "yes = mobilenet_course.exercises.Feedback(True, 'yes')\n"
        "mobilenet_course.exercises.check = lambda *args: yes\n"
        "mobilenet_course.grading.fresh_check = lambda *args: yes"))
    cheat = assigned / "cheat" / f"{chapter}.ipynb"
    cheat.parent.mkdir()
    nbformat.write(notebook, cheat)
    score, total = otter_score(assigned, chapter, cheat)
    assert total > 0 and score == 0, f"the cheat got {score} of {total}"


@pytest.mark.parametrize("chapter", RUN)
def test_otter_run_gives_the_solution_full_marks_and_the_stubs_zero(assigned, chapter):
    dist = assigned / "dist" / chapter
    score, total = otter_score(assigned, chapter, dist / "autograder" / f"{chapter}.ipynb")
    assert total == len(exercise_cells(json.loads((ROOT / "book" / f"{chapter}.ipynb").read_text())))
    assert score == total, f"{chapter}: the solution got {score} of {total}"
    score, _ = otter_score(assigned, chapter, dist / "student" / f"{chapter}.ipynb")
    assert score == 0, f"{chapter}: the stubs got {score}"


def test_tests_url_names_each_chapters_folder_and_a_bad_one_is_refused(tmp_path, capsys):
    url = "https://raw.githubusercontent.com/org/students/main/otter/{chapter}/tests/"
    assert cli.main(["make-otter", str(tmp_path / "m"), "--book", str(ROOT), "--tests-url", url]) == 0
    master = json.loads((tmp_path / "m" / "04_width_multiplier.ipynb").read_text())
    config = "".join(master["cells"][0]["source"])
    assert config.startswith("# ASSIGNMENT CONFIG") and "runs_on: \"colab\"" in config
    assert '"url_prefix": "https://raw.githubusercontent.com/org/students/main/otter/04_width_multiplier/tests/"' in config
    assert cli.main(["make-otter", str(tmp_path / "n"), "--book", str(ROOT), "--tests-url", "http://x/"]) == 2
    assert "https address" in capsys.readouterr().err and not (tmp_path / "n").exists()

"""Student and instructor editions: solutions gone from the student copy, every stub matched, both build."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mobilenet_course import cli, student

ROOT = Path(__file__).resolve().parents[1]


def load(folder):
    return {p.name: json.loads(p.read_text()) for p in sorted((folder / "book").glob("[0-9]*.ipynb"))}


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    out = tmp_path_factory.mktemp("editions")
    assert cli.main(["make-student", str(out / "student"), "--book", str(ROOT)]) == 0
    assert cli.main(["make-instructor", str(out / "instructor"), "--book", str(ROOT)]) == 0
    return out / "student", out / "instructor"


def test_student_copy_has_stubs_and_no_solutions(editions):
    student_dir, _ = editions
    for name, notebook in load(student_dir).items():
        tags = [t for c in notebook["cells"] for t in c.get("metadata", {}).get("tags", [])]
        text = json.dumps(notebook)
        assert "solution" not in tags, name
        assert "# Solution" not in text and "{solution}" not in text, name
        original = json.loads((ROOT / "book" / name).read_text())
        assert text.count("raise NotImplementedError") == json.dumps(original).count("raise NotImplementedError")


def test_instructor_copy_keeps_everything(editions):
    _, instructor_dir = editions
    for name, notebook in load(instructor_dir).items():
        assert notebook == json.loads((ROOT / "book" / name).read_text()), name


def test_every_stub_is_matched():
    for path in sorted((ROOT / "book").glob("[0-9]*.ipynb")):
        cells = student.exercise_cells(json.loads(path.read_text()))
        assert all(set(c) == {"stub", "solution"} for c in cells.values()), path.name


def test_unmatched_stub_is_refused():
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "source": 'raise NotImplementedError("Exercise 9.1: x")'}]}
    with pytest.raises(student.StubError, match="exercise 9.1 has no solution cell"):
        student.exercise_cells(notebook)


def test_copy_refuses_to_overwrite_the_book():
    with pytest.raises(ValueError, match="outside the book's own folders"):
        student.make_copy(ROOT, ROOT / "book" / "student", student=True)


@pytest.mark.slow
def test_student_edition_builds(editions):
    student_dir, _ = editions
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jupyter_book), "build", str(student_dir), "-W"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (student_dir / "_build" / "html" / "book" / "04_width_multiplier.html").read_text()
    assert "student edition" in html and "Exercise 4.1" in html and "Solution 4.1" not in html

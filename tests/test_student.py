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
    with pytest.raises(ValueError, match="outside the course repository"):
        student.make_copy(ROOT, ROOT / "book" / "student", student=True)


@pytest.mark.slow
def test_student_edition_builds(editions):
    student_dir, _ = editions
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jupyter_book), "build", str(student_dir), "-W"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (student_dir / "_build" / "html" / "book" / "04_width_multiplier.html").read_text()
    assert "student edition" in html and "Exercise 4.1" in html and "Solution 4.1" not in html


def fake_course(tmp_path, stub_without_solution=False):
    """A course repository with one chapter (copied from the real one) and the real _toc.yml and _config.yml."""
    root = tmp_path / "course"
    (root / "book").mkdir(parents=True)
    for name in ("_toc.yml", "_config.yml"):
        (root / name).write_text((ROOT / name).read_text())
    chapter = sorted((ROOT / "book").glob("[0-9]*.ipynb"))[-1]
    (root / "book" / chapter.name).write_text(chapter.read_text())
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    if stub_without_solution:
        bad = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                          "source": 'raise NotImplementedError("Exercise 9.1: x")'}],
               "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (root / "book" / "99_bad.ipynb").write_text(json.dumps(bad))
    return root


@pytest.mark.parametrize("where", ["parent", "root", "inside", "book", "symlink"])
def test_copy_never_writes_over_or_into_the_course(tmp_path, where):
    # Issue 13 item 1: from a clone at /tmp/x/book, `make-student ..` deleted the whole clone, .git included.
    root = fake_course(tmp_path)
    (root / "book" / "notes.md").write_text("uncommitted work")
    out = {"parent": root.parent, "root": root, "inside": root / "student", "book": root / "book",
           "symlink": tmp_path / "link"}[where]
    if where == "symlink":
        out.symlink_to(root / "book")
    before = sorted(str(p) for p in root.rglob("*"))
    code = cli.main(["make-student", str(out), "--book", str(root), "--force"])
    assert code == 2, f"{where}: writing the edition to {out} must be refused"
    assert sorted(str(p) for p in root.rglob("*")) == before, f"{where}: the course was changed"
    assert (root / "book" / "notes.md").read_text() == "uncommitted work"


def test_copy_refuses_a_folder_with_work_in_it_unless_forced(tmp_path, capsys):
    # Issue 13 item 2: an existing OUT/book (with the user's notes.md) was silently wiped.
    root = fake_course(tmp_path)
    out = tmp_path / "mine"
    (out / "book").mkdir(parents=True)
    (out / "book" / "notes.md").write_text("mine")
    (out / "_toc.yml").write_text("mine")
    (out / "keep.txt").write_text("mine")
    assert cli.main(["make-student", str(out), "--book", str(root)]) == 2
    err = capsys.readouterr().err
    assert "is not empty" in err and "--force" in err, err
    assert (out / "book" / "notes.md").read_text() == "mine" and (out / "_toc.yml").read_text() == "mine"
    # with --force only the edition's entries are replaced; the rest of OUT stays
    assert cli.main(["make-student", str(out), "--book", str(root), "--force"]) == 0
    assert (out / "keep.txt").read_text() == "mine"
    assert not (out / "book" / "notes.md").exists() and (out / "_toc.yml").read_text() != "mine"
    assert sorted(p.name for p in out.iterdir()) == ["_config.yml", "_toc.yml", "book", "keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mine.")], "temporary folder left behind"
    # an empty existing folder is fine without --force
    (tmp_path / "empty").mkdir()
    assert cli.main(["make-instructor", str(tmp_path / "empty"), "--book", str(root)]) == 0


def test_failed_copy_leaves_the_earlier_edition_and_no_solutions(tmp_path, capsys):
    # Issue 13 item 3: a stub without a solution returned 2, but OUT already held chapters with solution cells and
    # the earlier OUT/book was gone.
    good = fake_course(tmp_path)
    out = tmp_path / "edition"
    assert cli.main(["make-student", str(out), "--book", str(good)]) == 0
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    bad = fake_course(tmp_path / "bad", stub_without_solution=True)
    for fresh in (False, True):
        target = tmp_path / "new" if fresh else out
        assert cli.main(["make-student", str(target), "--book", str(bad), "--force"]) == 2
        assert "exercise 9.1 has no solution cell" in capsys.readouterr().err
    assert not (tmp_path / "new").exists(), "a failed copy into a new folder must leave nothing"
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "temporary folder left behind"

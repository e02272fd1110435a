"""The student edition: stubs and no solution anywhere, launch buttons that open the student notebooks at the given
address, nothing of the instructor's machine, and a folder that is never half-written or written over."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mobilenet_course import cli, colab_edition, student
from mobilenet_course.exercise_source import exercise_cells

ROOT = Path(__file__).resolve().parents[1]
REPO = "https://github.com/example-class/mobilenet-students"


def load(folder, sub="book"):
    return {p.name: json.loads(p.read_text()) for p in sorted((folder / sub).glob("[0-9]*.ipynb"))}


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("edition") / "students"
    assert cli.main(["make-student", str(out), "--book", str(ROOT), "--repository", REPO, "--branch", "fall"]) == 0
    return out


def test_student_chapters_have_every_stub_and_no_solution(edition):
    chapters = load(edition)
    assert set(chapters) == {p.name for p in (ROOT / "book").glob("[0-9]*.ipynb")}
    for name, notebook in chapters.items():
        text = json.dumps(notebook)
        for marker in ("# BEGIN SOLUTION", "# SOLUTION", "{solution}", '"solution"', "hide-cell"):
            assert marker not in text, f"{name}: {marker}"
        original = exercise_cells(json.loads((ROOT / "book" / name).read_text()))
        stubs = [c for c in notebook["cells"] if c.get("metadata", {}).get("exercise")]
        assert ["".join(c["source"]) for c in stubs] == [e.stub for e in original], name
        assert all(not c["outputs"] for c in stubs), f"{name}: a stub keeps the instructor's output"
    assert student.leaks(edition, source=ROOT) == []


def test_no_saved_widget_state_but_what_the_students_notebooks_show(edition):
    # a solution's own widget (explorer = CostExplorer(alpha=0.7)) is saved by Jupyter with the answer in it
    for folder in ("book", "colab"):
        for name, notebook in load(edition, folder).items():
            state = notebook.get("metadata", {}).get("widgets", {}).get(colab_edition.WIDGET_STATE, {}).get("state", {})
            shown = {o["data"][colab_edition.WIDGET_VIEW]["model_id"] for c in notebook["cells"]
                     for o in c.get("outputs", []) if colab_edition.WIDGET_VIEW in o.get("data", {})}
            reachable, todo = set(), list(shown)
            while todo:
                model = todo.pop()
                if model not in reachable and model in state:
                    reachable.add(model)
                    todo += colab_edition._model_references(state[model]["state"])
            assert set(state) == reachable, f"{folder}/{name}: saved widgets no output shows"
            answers = {"04_width_multiplier.ipynb": ("alpha", 0.7), "05_resolution_multiplier.ipynb": ("resolution", 104)}
            if name in answers:
                key, value = answers[name]
                assert all(m["state"].get(key) != value for m in state.values()), f"{folder}/{name}: the answer"
    book = json.loads((ROOT / "book" / "04_width_multiplier.ipynb").read_text())
    saved = book["metadata"]["widgets"][colab_edition.WIDGET_STATE]["state"]
    assert any(m["state"].get("alpha") == 0.7 for m in saved.values()), "the control: the book saves the solution's"


def test_the_colab_edition_is_the_students_and_points_at_their_repository(edition):
    chapters = load(edition, "colab")
    assert len(chapters) == len(load(edition))
    for name, notebook in chapters.items():
        text = json.dumps(notebook)
        assert "Solution" not in text and "<details>" not in text, name
        assert "example-class/mobilenet-students" in text and "mobilenet-course/mobilenet-course/" not in text, name


def test_config_names_the_students_repository_and_no_path_of_this_machine(edition):
    config = (edition / "_config.yml").read_text()
    assert f"url: {REPO}" in config and "branch: fall" in config and "student edition" in config
    assert "execute_notebooks: 'off'" in config or "execute_notebooks: off" in config
    assert "instructors" not in (edition / "_toc.yml").read_text()
    for page in (edition / "book").rglob("*.md"):  # `git clone` the student repository (pip lines keep the package's)
        assert "github.com/mobilenet-course/mobilenet-course " not in page.read_text().replace("&&", " "), page
    assert f"git clone {REPO}" in (edition / "book" / "index.md").read_text()
    assert not (edition / "book" / "instructors.md").exists()
    for path in edition.rglob("*"):
        if path.is_file() and path.suffix in (".yml", ".md", ".ipynb", ".json", ".py"):
            assert str(ROOT) not in path.read_text(), path


@pytest.mark.parametrize("bad", ["github.com/a/b", "https://gitlab.com/a/b", "https://github.com/a", "not a url"])
def test_a_repository_that_is_not_on_github_is_refused(tmp_path, capsys, bad):
    assert cli.main(["make-student", str(tmp_path / "x"), "--book", str(ROOT), "--repository", bad]) == 2
    assert "https://github.com/ORG/REPO" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_without_the_course_source_it_says_what_it_needs(tmp_path, capsys):
    assert cli.main(["make-student", str(tmp_path / "x"), "--book", str(tmp_path), "--repository", REPO]) == 2
    err = capsys.readouterr().err
    assert "is not the course's source" in err and "git clone" in err and "--book" in err, err


def test_a_leaking_edition_is_refused_and_nothing_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(student, "student_notebook", lambda notebook: notebook)  # solutions left in
    assert cli.main(["make-student", str(tmp_path / "x"), "--book", str(ROOT), "--repository", REPO]) == 2
    assert "would give away" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_every_launch_link_of_the_built_edition_opens_a_student_notebook(edition):
    (edition / "node_modules").symlink_to(ROOT / "node_modules")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jupyter_book), "build", str(edition), "-W"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html_files = sorted((edition / "_build" / "html").rglob("*.html"))
    followed = 0
    for page in html_files:
        html = page.read_text()
        assert not re.search(r"github\.com/mobilenet-course/mobilenet-course(?!@)", html), \
            f"{page.name} links to the instructor's repository"
        for link in re.findall(r'href="([^"]+\.ipynb)"', html):
            if link.startswith("https://colab.research.google.com/github/"):
                prefix = "https://colab.research.google.com/github/example-class/mobilenet-students/blob/fall/"
                assert link.startswith(prefix), f"{page.name}: {link}"
                target = edition / link.removeprefix(prefix)
            else:
                target = (page.parent / link).resolve()
            assert target.is_file(), f"{page.name}: {link} leads to no notebook of the student edition"
            text = target.read_text()
            assert "# BEGIN SOLUTION" not in text and "# SOLUTION" not in text and "Solution" not in text, link
            followed += 1
    assert followed >= 8, f"only {followed} links to notebooks found"
    chapter4 = (edition / "_build" / "html" / "book" / "04_width_multiplier.html").read_text()
    assert "student edition" in chapter4 and "Exercise 4.1" in chapter4 and "explorer = CostExplorer(alpha" not in chapter4


def fake_course(tmp_path):
    """A course repository with one chapter (copied from the real one) and the real _toc.yml and _config.yml."""
    root = tmp_path / "course"
    (root / "book").mkdir(parents=True)
    for name in ("_toc.yml", "_config.yml"):
        (root / name).write_text((ROOT / name).read_text())
    chapter = sorted((ROOT / "book").glob("[0-9]*.ipynb"))[0]
    (root / "book" / chapter.name).write_text(chapter.read_text())
    (root / "book" / "index.md").write_text("# Index\n")
    (root / "book" / "references.bib").write_text((ROOT / "book" / "references.bib").read_text())
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return root


@pytest.mark.parametrize("where", ["parent", "root", "inside", "book", "symlink"])
def test_the_edition_never_writes_over_or_into_the_course(tmp_path, where):
    # from a clone at /tmp/x/book, an earlier `make-student ..` deleted the whole clone, .git included
    root = fake_course(tmp_path)
    (root / "book" / "notes.md").write_text("uncommitted work")
    out = {"parent": root.parent, "root": root, "inside": root / "student", "book": root / "book",
           "symlink": tmp_path / "link"}[where]
    if where == "symlink":
        out.symlink_to(root / "book")
    before = sorted(str(p) for p in root.rglob("*"))
    code = cli.main(["make-student", str(out), "--book", str(root), "--repository", REPO, "--force"])
    assert code == 2, f"{where}: writing the edition to {out} must be refused"
    assert sorted(str(p) for p in root.rglob("*")) == before, f"{where}: the course was changed"


def test_a_folder_with_work_in_it_is_refused_unless_forced_and_then_only_the_edition_is_replaced(tmp_path, capsys):
    root = fake_course(tmp_path)
    out = tmp_path / "mine"
    (out / "book").mkdir(parents=True)
    (out / "book" / "notes.md").write_text("mine")
    (out / ".git").mkdir()
    (out / "keep.txt").write_text("mine")
    assert cli.main(["make-student", str(out), "--book", str(root), "--repository", REPO]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert (out / "book" / "notes.md").read_text() == "mine"
    assert cli.main(["make-student", str(out), "--book", str(root), "--repository", REPO, "--force"]) == 0
    assert (out / "keep.txt").read_text() == "mine" and (out / ".git").is_dir()
    assert not (out / "book" / "notes.md").exists() and (out / "colab").is_dir()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mine.")], "temporary folder left behind"

"""The student edition: the book with every solution left out, whose launch buttons open the student notebooks.

``mobilenet-course make-student OUT --repository https://github.com/ORG/REPO [--branch B]`` writes, into OUT, a
repository to push to that address:

- ``book/``: the chapter notebooks with each exercise as its stub (made from the chapter's one marked solution cell,
  :mod:`mobilenet_course.exercise_source`; the stub's output removed) and no solution: no solution cell, no
  discussion ``{solution}`` block; the book's other pages and the Sphinx extensions it builds with, except the
  instructors' guide;
- ``colab/``: the same notebooks in the plain Markdown Colab shows (:mod:`mobilenet_course.colab_edition`, without
  solutions), which the site's Colab buttons open;
- ``_toc.yml``, ``_config.yml`` (titled "student edition", its repository the given address and branch, so every
  launch button, the repository button and the Colab notes point at the student notebooks there; the notebooks are
  not executed at build time, since stubs have nothing to compute), ``package.json`` with its lock file (the
  site's front-end files, ``npm ci``) and a README.

Nothing in it names a path of the instructor's machine, and before it is moved into place every file is searched:
an edition with a solution marker, a solution cell or the source path in it is refused. It is made in a temporary
folder beside OUT and moved into place only when complete, so an error leaves OUT as it was.

It needs the course's source (a clone of the repository: ``_toc.yml``, ``_config.yml``, ``book/``), not only the
installed package, and PyYAML (``pip install "mobilenet-course[instructor]"``); it says so when either is missing.

Book: "For instructors".
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from .colab_edition import keep_shown_widgets
from .exercise_source import ExerciseSourceError, exercise_cells, split_exercises

__all__ = ["student_notebook", "make_student", "StudentEditionError", "EDITION_FILES", "leaks", "course_root"]

# What an edition consists of in OUT: all that ``make_student(force=True)`` replaces there.
EDITION_FILES = ("book", "colab", "_toc.yml", "_config.yml", "package.json", "package-lock.json", "README.md",
                 ".gitignore")
LEFT_OUT_PAGES = ("instructors",)  # the instructors' guide: how to grade, where the solutions are
SOLUTION_BLOCK = re.compile(r"```\{solution\}.*?\n```\n?", re.S)
GITHUB = re.compile(r"^https://github\.com/[A-Za-z0-9][\w.-]*/[\w.-]+$")
SOURCE_URL = "https://github.com/mobilenet-course/mobilenet-course"
PACKAGE_PIP = f"git+{SOURCE_URL}@v0.1.0"  # the course package, as the notebooks' install cell installs it


class StudentEditionError(ValueError):
    """The edition cannot be written: no course source, a bad address, an exercise without its check, a leak."""


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def student_notebook(notebook: dict) -> dict:
    """A chapter as a student gets it: each exercise its stub, no solution cell, no ``{solution}`` block, and no
    saved state of a widget that no remaining output shows (a solution's widget, set to the answer)."""
    student = split_exercises(notebook, solutions=False)
    for cell in student["cells"]:
        if cell["cell_type"] == "markdown" and "{solution}" in _source(cell):
            cell["source"] = SOLUTION_BLOCK.sub("", _source(cell)).rstrip("\n")
    student["cells"] = [c for c in student["cells"] if c["cell_type"] != "markdown" or _source(c).strip()]
    keep_shown_widgets(student)
    return student


LEAK_MARKERS = ("# BEGIN SOLUTION", "# END SOLUTION", "# SOLUTION", "{solution}", '"solution":')


def leaks(folder: str | Path, *, source: str | Path | None = None) -> list[str]:
    """Where a written edition would give something away: a solution marker, a solution cell, a discussion solution,
    or the path of the instructor's checkout, as ``"FILE: what"`` lines (empty when there is none)."""
    found = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.suffix not in (".ipynb", ".md", ".yml", ".py", ".json", ".txt"):
            continue
        text = path.read_text(errors="replace")
        name = path.relative_to(folder)
        found += [f"{name}: {marker!r}" for marker in LEAK_MARKERS if marker in text]
        if source is not None and str(Path(source).resolve()) in text:
            found.append(f"{name}: the path {Path(source).resolve()}")
        if path.suffix in (".md", ".yml") and re.search(re.escape(SOURCE_URL) + r"(?!@)", text):
            found.append(f"{name}: the address of the course's repository, which holds the solutions")
    return found


def course_root(root: str | Path) -> Path:
    """``root`` resolved, once checked to be a clone of the course's source (``_toc.yml``, ``_config.yml``,
    ``book/``); raises :class:`StudentEditionError` saying how to get one. make-student and make-otter start here."""
    root = Path(root).resolve()
    missing = [name for name in ("_toc.yml", "_config.yml", "book") if not (root / name).exists()]
    if missing:
        raise StudentEditionError(
            f"{root} is not the course's source ({', '.join(missing)} missing there). The student edition is made "
            "from the book's notebooks, which the installed package does not hold: clone the course "
            f"(git clone {SOURCE_URL}), then run make-student in that folder or pass --book PATH_TO_CLONE")
    return root


def make_student(root: str | Path, out: str | Path, *, repository: str, branch: str = "main",
                 force: bool = False) -> list[Path]:
    """Write the student edition of the book at ``root`` into ``out``, for ``repository`` (on GitHub) at ``branch``;
    returns the chapter notebooks written.

    Nothing the caller did not ask to replace is deleted or overwritten:

    - ``out`` may not be, contain or lie inside the course repository ``root`` (paths resolved, symlinks included);
    - an existing ``out`` that is not empty is refused unless ``force``; with ``force`` only the edition's own entries
      there (:data:`EDITION_FILES`) are replaced, anything else in ``out`` (a ``.git`` folder) stays;
    - the edition is written to a temporary folder beside ``out`` and moved into place only once complete and
      searched for leaks (:func:`leaks`).

    Raises
    ------
    StudentEditionError
        ``root`` is not the course's source, ``repository`` is not a GitHub repository's address, an exercise has no
        check, or the written edition would leak a solution or a path.
    ValueError
        ``out`` overlaps the course, is not a folder, or is not empty without ``force``.
    """
    root, out = course_root(root), Path(out).resolve()
    repository = repository.rstrip("/").removesuffix(".git")
    if not GITHUB.match(repository):
        raise StudentEditionError(f"--repository {repository!r}: give the address of the GitHub repository the "
                                  "student edition will be pushed to, https://github.com/ORG/REPO (Colab opens "
                                  "notebooks from GitHub)")
    if not re.fullmatch(r"[\w./-]+", branch) or branch.startswith(("/", "-")) or ".." in branch:
        raise StudentEditionError(f"--branch {branch!r} is not a branch name (letters, digits, '.', '_', '-', '/')")
    if out == root or root in out.parents or out in root.parents:
        raise ValueError(f"write the edition outside the course repository {root}: {out} "
                         f"{'is' if out == root else 'lies inside' if root in out.parents else 'contains'} it "
                         "(give a folder elsewhere, such as ../student-edition)")
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder; give a new or empty folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ValueError(f"{out} exists and is not empty; give a new or empty folder, or --force to replace the "
                         f"edition's {', '.join(EDITION_FILES)} there (nothing else in it is touched)")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.edition-"))
    try:
        written = [out / p.relative_to(work) for p in _write_edition(root, work, repository, branch)]
        found = leaks(work, source=root)
        if found:
            raise StudentEditionError("the student edition would give away: " + "; ".join(found[:10])
                                      + ("; ..." if len(found) > 10 else "") + ". Nothing was written.")
        if not out.exists() or not any(out.iterdir()):
            os.replace(work, out)  # rename(2) replaces an empty folder in one step
        else:
            old = work / ".replaced"
            old.mkdir()
            for name in EDITION_FILES:
                if os.path.lexists(out / name):
                    os.replace(out / name, old / name)
                if os.path.lexists(work / name):
                    os.replace(work / name, out / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return written


def _write_edition(root: Path, out: Path, repository: str, branch: str) -> list[Path]:
    """Write the edition into the empty folder ``out``."""
    try:
        import yaml
    except ImportError:
        raise StudentEditionError('make-student needs PyYAML: pip install "mobilenet-course[instructor]"') from None
    from . import colab_edition
    from .exercises import EXERCISES

    shutil.copytree(root / "book", out / "book", ignore=shutil.ignore_patterns(
        "_build", ".ipynb_checkpoints", "__pycache__", *(f"{page}.*" for page in LEFT_OUT_PAGES)))
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    for part in toc.get("parts", []):
        part["chapters"] = [c for c in part["chapters"] if Path(c["file"]).name not in LEFT_OUT_PAGES]
    (out / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    config = yaml.safe_load((root / "_config.yml").read_text())
    config["title"] += " (student edition)"
    config["execute"]["execute_notebooks"] = "off"  # the stored outputs; a stub has nothing to compute
    config["repository"] = {**config.get("repository", {}), "url": repository, "branch": branch}
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    for page in (out / "book").rglob("*.md"):  # "git clone" the student repository, not the one with the solutions
        page.write_text(re.sub(re.escape(SOURCE_URL) + r"(?!@)", repository, page.read_text()))
    (out / ".gitignore").write_text("_build/\nnode_modules/\n.ipynb_checkpoints/\n__pycache__/\n")
    for name in ("package.json", "package-lock.json"):
        if (root / name).is_file():
            shutil.copy2(root / name, out / name)
    written = []
    for path in sorted((out / "book").glob("*.ipynb")):
        notebook = json.loads(path.read_text())
        try:
            exercises = exercise_cells(notebook)
        except ExerciseSourceError as error:
            raise StudentEditionError(f"{path.name}: {error}") from None
        for exercise in exercises:
            if exercise.id not in EXERCISES:
                raise StudentEditionError(f"{path.name}: exercise {exercise.id} has no check in "
                                          "mobilenet_course.exercises")
        path.write_text(json.dumps(student_notebook(notebook), indent=1, ensure_ascii=False) + "\n")
        written.append(path)
    colab_edition.write_edition(out, out / colab_edition.EDITION_FOLDER)
    (out / "README.md").write_text(_readme(config["title"], repository, branch))
    return written


def _readme(title: str, repository: str, branch: str) -> str:
    colab = f"https://colab.research.google.com/github/{repository.removeprefix('https://github.com/')}/blob/{branch}"
    return (f"# {title}\n\n"
            "The exercises of each chapter are stubs: replace each `...` with your answer and run the cell; "
            "`mc.exercises.check` tells you whether it is right, and if not, what is wrong and a hint.\n\n"
            f"- In Google Colab: open a chapter from `colab/`, for example {colab}/colab/01_standard_convolution.ipynb\n"
            f"- In Jupyter: the notebooks in `book/` (`pip install \"mobilenet-course[widgets] @ {PACKAGE_PIP}\"` "
            "first, as each notebook's first cell does in Colab).\n"
            f"- The site: `pip install \"mobilenet-course[book] @ {PACKAGE_PIP}\" && npm ci && jupyter-book build .`\n\n"
            "Before you hand a notebook in, run it from the top in a fresh kernel (Restart and run all): it is "
            "graded that way.\n")

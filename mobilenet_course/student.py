"""Student and instructor copies of the book: solutions removed, stubs kept, every stub matched to a solution.

In a chapter notebook an exercise is a stub cell, whose code raises ``NotImplementedError("Exercise X.Y: ...")``,
followed by its solution: a cell tagged ``solution`` whose code starts with ``# Solution X.Y``. Discussion exercises
have a ``{solution}`` block in the markdown. The student copy drops solution cells (and their outputs) and the
``{solution}`` blocks; the instructor copy keeps everything. Both copies are complete books that ``jupyter-book build``
turns into a site.

Book: "For instructors".
"""

from __future__ import annotations

import copy
import json
import re
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["exercise_cells", "student_notebook", "make_copy", "StubError", "EDITION_FILES"]

# What an edition consists of in OUT: all that ``make_copy(force=True)`` replaces there.
EDITION_FILES = ("book", "_toc.yml", "_config.yml")

STUB = re.compile(r'raise NotImplementedError\("Exercise (\d+\.\d+)')
SOLUTION = re.compile(r"^# Solution (\d+\.\d+)", re.M)
SOLUTION_BLOCK = re.compile(r"```\{solution\}.*?\n```\n?", re.S)


class StubError(ValueError):
    """A stub without a solution, a solution without a stub, or an exercise the checks do not know."""


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def exercise_cells(notebook: dict) -> dict[str, dict[str, int]]:
    """``{exercise id: {"stub": cell index, "solution": cell index}}`` for a notebook; raises StubError if unmatched."""
    found: dict[str, dict[str, int]] = {}
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        text = _source(cell)
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution" in tags:
            match = SOLUTION.search(text)
            if not match:
                raise StubError(f"cell {i} is tagged solution but does not start with '# Solution X.Y'")
            found.setdefault(match[1], {})["solution"] = i
        elif STUB.search(text):
            found.setdefault(STUB.search(text)[1], {})["stub"] = i
    for exercise, cells in found.items():
        if set(cells) != {"stub", "solution"}:
            missing = ({"stub", "solution"} - set(cells)).pop()
            raise StubError(f"exercise {exercise} has no {missing} cell")
        if cells["solution"] < cells["stub"]:
            raise StubError(f"exercise {exercise}: the solution comes before the stub")
    return found


def student_notebook(notebook: dict) -> dict:
    """A copy of ``notebook`` without solution cells and without ``{solution}`` blocks in its markdown."""
    student = copy.deepcopy(notebook)
    student["cells"] = [c for c in student["cells"] if "solution" not in c.get("metadata", {}).get("tags", [])]
    for cell in student["cells"]:
        if cell["cell_type"] == "markdown" and "{solution}" in _source(cell):
            cell["source"] = SOLUTION_BLOCK.sub("", _source(cell))
    student["cells"] = [c for c in student["cells"] if c["cell_type"] != "markdown" or _source(c).strip()]
    return student


def make_copy(root: str | Path, out: str | Path, *, student: bool, force: bool = False) -> list[Path]:
    """Write a student (or instructor) copy of the book at ``root`` into ``out``; returns the notebooks written.

    ``out`` gets the chapters, the book's pages and static files, ``_toc.yml`` and a ``_config.yml`` titled as the
    edition, whose extensions point back to this repository, so that ``jupyter-book build OUT`` works.

    Nothing the caller did not ask to replace is deleted or overwritten:

    - ``out`` may not be, contain or lie inside the course repository ``root`` (paths are resolved, symlinks
      included), so the copy can never delete the course or its ``book/`` folder;
    - an existing ``out`` that is not empty is refused unless ``force``; with ``force`` only the edition's own
      entries there (:data:`EDITION_FILES`: ``book/``, ``_toc.yml``, ``_config.yml``) are replaced, anything else in
      ``out`` stays;
    - the edition is written to a temporary folder beside ``out`` and moved into place only once it is complete: an
      error (a stub without a solution, a full disk) leaves ``out`` as it was and no partial edition behind.

    Parameters
    ----------
    root : path
        The course repository (with ``_toc.yml`` and ``book/``).
    out : path
        The folder to write; created if missing.
    student : bool
        True: solutions removed; False: the instructor edition, everything kept.
    force : bool
        Replace the edition entries of a non-empty ``out`` (an earlier edition).

    Raises
    ------
    ValueError
        ``root`` is not the course, ``out`` overlaps it, is not a folder, or is not empty without ``force``.
    StubError
        An exercise without its solution or without a check; nothing is written then.
    """
    root, out = Path(root).resolve(), Path(out).resolve()
    if not (root / "_toc.yml").is_file() or not (root / "book").is_dir():
        raise ValueError(f"{root} is not the course repository (no _toc.yml and book/ there)")
    if out == root or root in out.parents or out in root.parents:
        raise ValueError(f"write the copy outside the course repository {root}: {out} "
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
        written = [out / p.relative_to(work) for p in _write_edition(root, work, student=student)]
        if not out.exists() or not any(out.iterdir()):
            os.replace(work, out)  # rename(2) replaces an empty folder in one step
        else:
            old = work / ".replaced"
            old.mkdir()
            for name in EDITION_FILES:
                if os.path.lexists(out / name):
                    os.replace(out / name, old / name)
                os.replace(work / name, out / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return written


def _write_edition(root: Path, out: Path, *, student: bool) -> list[Path]:
    """Write the edition into the empty folder ``out``."""
    from .exercises import EXERCISES

    import yaml

    shutil.copytree(root / "book", out / "book", ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
    shutil.copy2(root / "_toc.yml", out / "_toc.yml")
    config = yaml.safe_load((root / "_config.yml").read_text())
    config["title"] += " (student edition)" if student else " (instructor edition)"
    config["execute"]["execute_notebooks"] = "off"  # the stored outputs; stubs would stop a fresh execution
    config["sphinx"]["local_extensions"] = {k: str(root / v) for k, v in config["sphinx"]["local_extensions"].items()}
    (out / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    written = []
    for path in sorted((out / "book").glob("*.ipynb")):
        notebook = json.loads(path.read_text())
        for exercise in exercise_cells(notebook):
            if exercise not in EXERCISES:
                raise StubError(f"{path.name}: exercise {exercise} has no check in mobilenet_course.exercises")
        if student:
            notebook = student_notebook(notebook)
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        written.append(path)
    return written

"""The Colab edition (colab/): up to date with the book, free of MyST, and each conversion checked on small notebooks.

The site-based tests compare the edition's equation and exercise numbers with what the built book shows.
"""

import json
import re
from pathlib import Path

import nbformat
import pytest
from markdown_it import MarkdownIt

from book import ROOT
from mobilenet_course import colab_edition as ce

EDITION = ROOT / "colab"


def markdown_cells(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"]


def chapter_notebooks() -> list[Path]:
    return [ROOT / f"{d}.ipynb" for d in ce.read_book(ROOT).chapters if (ROOT / f"{d}.ipynb").is_file()]


# --- the committed edition --------------------------------------------------------------------------------------------

def test_committed_edition_is_what_the_book_gives():
    expected = ce.edition_files(ROOT)
    present = {p.name for p in EDITION.iterdir() if p.is_file()} if EDITION.is_dir() else set()
    stale = sorted(name for name, text in expected.items()
                   if name not in present or (EDITION / name).read_text() != text)
    extra = sorted(present - set(expected))
    assert not stale and not extra, (
        f"colab/ is stale (differs: {stale}; not part of the edition: {extra}): run `make colab` (or "
        "`python -m mobilenet_course.colab_edition` from the repository root, or `make book`) and commit colab/")


def test_every_chapter_has_its_colab_notebook():
    names = sorted(p.name for p in EDITION.glob("*.ipynb"))
    assert names == sorted(p.name for p in chapter_notebooks())


@pytest.mark.parametrize("notebook", sorted(p.name for p in EDITION.glob("*.ipynb")))
def test_colab_notebook_has_no_myst_once_rendered(notebook):
    left = [f"cell {i}: {x}" for i, text in enumerate(markdown_cells(EDITION / notebook)) for x in ce.myst_left(text)]
    assert not left, f"colab/{notebook} shows MyST as raw text in Colab: {left[:5]}"


def test_the_myst_check_finds_the_books_myst():
    # The check above can fail: the book's own chapters, as Colab would render them, are full of MyST.
    book = ROOT / "book" / "01_standard_convolution.ipynb"
    found = " ".join(x for text in markdown_cells(book) for x in ce.myst_left(text))
    for what in ("a MyST role", "a MyST directive", "a directive option line", "an equation label"):
        assert what in found, f"myst_left found no {what} in {book.name}"


def test_edition_keeps_every_glued_number_equation_and_exercise():
    from myst_nb.core.variables import format_plain_text

    for book_path in chapter_notebooks():
        source = "\n".join(markdown_cells(book_path))
        edition = "\n".join(markdown_cells(EDITION / book_path.name))
        notebook = json.loads(book_path.read_text())
        values = ce._glue_values(notebook)
        for name in set(re.findall(r"\{glue:text\}`([^`:]+)`", source)):
            shown = format_plain_text(values[name], "")
            assert shown in edition, f"{book_path.name}: glued {name} = {shown!r} is missing from the Colab edition"
        assert edition.count("\\tag{") == len(ce.LABELLED_MATH.findall(source)), book_path.name
        chapter = int(book_path.name[:2])
        for number in range(1, source.count("```{exercise}") + 1):
            assert f"**Exercise {chapter}.{number}: " in edition, f"{book_path.name}: Exercise {chapter}.{number}"
    first = nbformat.read(EDITION / chapter_notebooks()[0].name, as_version=4)
    install = next(c for c in first.cells if c.cell_type == "code")
    assert "remove-cell" in install.metadata.get("tags", []) and "%pip install" in install.source


def test_edition_numbers_equations_and_exercises_as_the_site(site):
    for book_path in chapter_notebooks():
        page = site / "book" / f"{book_path.stem}.html"
        html = page.read_text()
        edition = "\n".join(markdown_cells(EDITION / book_path.name))
        site_equations = re.findall(r'<span class="eqno">\(([\d.]+)\)', html)
        assert re.findall(r"\\tag\{([\d.]+)\}", edition) == site_equations, book_path.name
        site_exercises = re.findall(r'<span class="caption-number">Exercise ([\d.]+) </span>', html)
        assert re.findall(r"\*\*Exercise ([\d.]+):", edition) == site_exercises, book_path.name
        site_refs = re.findall(r'href="[^"]*#equation-[\w-]+">\(([\d.]+)\)</a>', html)
        for number in set(site_refs):
            assert f"({number})" in edition, f"{book_path.name}: reference ({number}) missing"


# --- conversions on a small book -------------------------------------------------------------------------------------

BIB = """
@article{one2020, title = {One}, author = {Solo, Ann}, journal = {J}, year = {2020}}
@article{two2019, title = {Two}, author = {First, Ben and Second, Cy}, journal = {J}, year = {2019}}
@article{three2017, title = {Three}, author = {Howard, Andrew G. and Zhu, Menglong and Chen, Bo}, journal = {J},
         year = {2017}}
"""


def glue_output(name: str, value: str) -> dict:
    """A stored output as myst-nb's glue writes it (display=False)."""
    return nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": repr(value)},
                                  metadata={"scrapbook": {"name": name, "mime_prefix": "application/papermill.record/"}})


def small_book(root: Path, first: list[str], second: list[str] | None = None, glue: dict | None = None,
               code: list[nbformat.NotebookNode] = ()) -> Path:
    """A book with an unnumbered intro, chapter 1 (``first``, markdown cells) and chapter 2 (``second``)."""
    (root / "book").mkdir(parents=True, exist_ok=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/index\nparts:\n"
                                   "  - caption: Intro\n    chapters:\n      - file: book/intro\n"
                                   "  - caption: Main\n    numbered: 1\n    chapters:\n"
                                   "      - file: book/01_first\n      - file: book/02_second\n")
    (root / "_config.yml").write_text("title: t\nbibtex_bibfiles: [book/references.bib]\n"
                                      "repository: {url: 'https://github.com/org/repo', branch: main}\n"
                                      "launch_buttons: {colab_url: 'https://colab.research.google.com'}\n")
    (root / "book" / "references.bib").write_text(BIB)
    (root / "book" / "intro.md").write_text("# Intro\n\n$$\nx\n$$ (eq-intro)\n")
    for name, cells in (("01_first", first), ("02_second", second or ["# Second"])):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(c) for c in cells])
        if name == "01_first":
            glue_cell = nbformat.v4.new_code_cell("glue(...)", outputs=[glue_output(k, v) for k, v in (glue or {}).items()])
            notebook.cells = [*code, glue_cell, *notebook.cells]
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(notebook, root / "book" / f"{name}.ipynb")
    return root


def converted(root: Path, name: str = "01_first") -> nbformat.NotebookNode:
    files = ce.edition_files(root)
    return nbformat.reads(files[f"{name}.ipynb"], as_version=4)


def markdown_of(notebook) -> str:
    return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def rendered(notebook) -> str:
    return MarkdownIt("commonmark").render(markdown_of(notebook))


def test_glue_writes_the_value_as_myst_nb_shows_it(tmp_path):
    root = small_book(tmp_path, ["# First\n\nIt has {glue:text}`params` parameters, {glue:text}`ratio:.2f` "
                                 "of the cost, {glue:text}`star` here."],
                      glue={"params": "18,432", "ratio": "0.11311", "star": "a*b_c"})
    text = markdown_of(converted(root))
    assert "It has 18,432 parameters, 0.11 of the cost" in text, text
    assert "<p>It has 18,432 parameters, 0.11 of the cost, a*b_c here.</p>" in rendered(converted(root))


def test_missing_glue_value_names_the_cell_and_what_to_do(tmp_path):
    root = small_book(tmp_path, ["# First", "Value {glue:text}`nowhere`."])
    with pytest.raises(ce.ColabEditionError, match=r"01_first.ipynb, cell 2: .*'nowhere'.*jupyter execute"):
        ce.edition_files(root)


def test_equations_are_tagged_and_referenced_by_chapter_number(tmp_path):
    second = ["# Second\n\n$$\nunlabelled\n$$\n\nfirst\n\n$$\na\n$$ (eq-a)\n\nthen\n\n$$ b $$ (eq-b)\n\nBy {eq}`eq-b`, {eq}`eq-first` and {eq}`eq-intro`."]
    root = small_book(tmp_path, ["# First\n\n$$\nf = 1\n$$ (eq-first)\n\nSee {eq}`eq-b`.\n\n$$\nno label\n$$"],
                      second)
    first, two = markdown_of(converted(root)), markdown_of(converted(root, "02_second"))
    assert "$$\nf = 1 \\tag{1.1}\n$$" in first and "See (2.2)." in first, first
    assert "$$\nno label\n$$" in first
    assert "$$\nunlabelled\n$$\n\nfirst\n\n$$\na \\tag{2.1}\n$$" in two and "$$ b \\tag{2.2}\n$$" in two and "By (2.2), (1.1) and (1)." in two, two
    assert ce.read_book(root).equations == {"eq-intro": "1", "eq-first": "1.1", "eq-a": "2.1", "eq-b": "2.2"}


def test_duplicate_and_unknown_equation_labels_are_refused(tmp_path):
    root = small_book(tmp_path, ["# First\n\n$$\nx\n$$ (eq-a)"], ["# Second\n\n$$\ny\n$$ (eq-a)"])
    with pytest.raises(ce.ColabEditionError, match="'eq-a' is used twice"):
        ce.read_book(root)
    root = small_book(tmp_path / "b", ["# First\n\nSee {eq}`eq-none`."])
    with pytest.raises(ce.ColabEditionError, match="no display equation of a chapter is labelled 'eq-none'"):
        ce.edition_files(root)


def test_citations_are_author_year_and_listed_at_the_end(tmp_path):
    root = small_book(tmp_path, ["# First\n\nAs shown {cite:p}`three2017,two2019`, and {cite}`one2020`; "
                                 "{cite:t}`three2017` says so."])
    notebook = converted(root)
    text = markdown_of(notebook)
    assert "As shown (Howard et al., 2017; First and Second, 2019), and (Solo, 2020); Howard et al. (2017) says" in text
    references = notebook.cells[-1].source
    assert references.startswith("## References") and references.count("\n- ") == 3, references
    assert "**Howard et al. (2017)**: Andrew G" in references
    root = small_book(tmp_path / "b", ["# First\n\n{cite:p}`nobody`"])
    with pytest.raises(ce.ColabEditionError, match="citation key 'nobody' is not in the bibliography"):
        ce.edition_files(root)


def test_exercises_admonitions_and_solutions_become_markdown(tmp_path):
    cells = ["# First\n\n```{admonition} Learning goals\n:class: tip\n- one $x$\n- two\n```",
             "```{exercise} Before\nNo label: numbered by its place.\n```",
             "```{exercise} The width ratio\n:label: ex-1-2\nWrite $f$, by {eq}`eq-x`.\n\n$$\nx\n$$ (eq-x)\n```\n\n"
             "```{solution} ex-1-2\n:class: dropdown\nBecause *so*.\n```\n\n```{solution} ex-1-2\nOpen.\n```",
             "```{note}\nA note.\n```\n\n```python\n{eq}`kept as code`\n```"]
    notebook = converted(small_book(tmp_path, cells))
    text = markdown_of(notebook)
    assert "> **Learning goals**\n>\n> - one $x$\n> - two" in text, text
    assert "> **Exercise 1.1: Before**" in text
    assert "> **Exercise 1.2: The width ratio**\n>\n> Write $f$, by (1.1).\n>\n> $$\n> x \\tag{1.1}\n> $$" in text
    assert "<details>\n<summary><b>Solution to Exercise 1.2</b></summary>\n\nBecause *so*.\n\n</details>" in text
    assert "> **Solution to Exercise 1.2**\n>\n> Open." in text and "> **Note**\n>\n> A note." in text
    assert "```python\n{eq}`kept as code`\n```" in text
    html = rendered(notebook)
    assert "<blockquote>\n<p><strong>Exercise 1.2: The width ratio</strong></p>" in html
    assert "<p>Because <em>so</em>.</p>" in html  # Markdown inside the fold is rendered


@pytest.mark.parametrize("cell, message", [
    ("```{exercise} T\n:label: ex-2-1\nx\n```", "this is exercise 1.1 of the chapter, so its label is ex-1-1"),
    ("```{exercise} T\n:label: first\nx\n```", "so its label is ex-1-1"),
    ("```{exercise} T\nx\n```\n\n```{solution} ex-1-1\ny\n```", "not the label of an exercise of this chapter"),
    ("```{exercise} T\n:label: ex-1-1\n:weight: 3\nx\n```", "option.* weight have no Colab form; allowed: class"),
    ("```{figure} a.png\n```", r"directive \{figure\} has no Colab form; supported directives: admonition"),
    ("Press {kbd}`Ctrl`.", r"role \{kbd\} has no Colab form; supported roles: glue"),
    ("See {ref}`sec-x`.", "references to exercises"),
    ("The {glue}`x` value.", r"role \{glue\} has no Colab form"),
    (":::{note}\nx\n:::\n\n:::\nbare\n:::", "colon fence"),
])
def test_unsupported_myst_is_refused_with_what_is_supported(tmp_path, cell, message):
    root = small_book(tmp_path, ["# First", cell])
    with pytest.raises(ce.ColabEditionError, match=message):
        ce.edition_files(root)


def test_code_cells_exercise_split_into_stub_and_folded_solution_install_cell_kept(tmp_path):
    install = nbformat.v4.new_code_cell("# install\n%pip install x", metadata={"tags": ["remove-cell"]})
    shown = nbformat.v4.new_output("stream", name="stdout", text="Correct!\n")
    exercise = nbformat.v4.new_code_cell('def f():\n    return 1  # SOLUTION\n\n\nmc.exercises.check("1.1", f)',
                                         outputs=[shown])
    plot = nbformat.v4.new_code_cell("plot()", metadata={"tags": ["hide-input"]}, outputs=[shown])
    root = small_book(tmp_path, ["# First\n\n(sec-first)=\n## Part\n\n% a comment\ntext"],
                      code=[install, exercise, plot])
    notebook = converted(root)
    cells = notebook.cells
    assert cells[0].cell_type == "markdown" and "book/01_first.ipynb" in cells[0].source
    assert cells[1].source == install.source and cells[1].metadata["tags"] == ["remove-cell"]
    assert cells[2].outputs == [] and cells[2].source == 'def f():\n    ...\n\n\nmc.exercises.check("1.1", f)'
    assert cells[2].metadata["exercise"] == "1.1"
    assert cells[3].source.splitlines()[:3] == ["#@title Solution 1.1", "def f():", "    return 1"]
    assert cells[3].metadata["cellView"] == "form" and cells[3].outputs[0]["text"] == "Correct!\n"
    assert cells[4].metadata["tags"] == ["hide-input"] and cells[4].outputs[0]["text"] == "Correct!\n"
    title = next(c.source for c in cells if c.cell_type == "markdown" and c.source.startswith("# "))
    assert title == "# 1. First\n\n## Part\n\ntext", title
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.metadata["colab_edition"] == {"source": "book/01_first.ipynb"}


def test_doc_links_open_the_colab_edition(tmp_path):
    root = small_book(tmp_path, ["# First\n\nRead {doc}`02_second`, {doc}`the intro <intro>`, {doc}`/book/index`."])
    (root / "book" / "index.md").write_text("# Home\n")
    text = markdown_of(converted(root))
    assert ("Read [Second](https://colab.research.google.com/github/org/repo/blob/main/colab/02_second.ipynb), "
            "[the intro](https://github.com/org/repo/blob/main/book/intro.md), "
            "[Home](https://github.com/org/repo/blob/main/book/index.md).") in text, text
    root = small_book(tmp_path / "b", ["# First\n\nRead {doc}`nowhere`."])
    with pytest.raises(ce.ColabEditionError, match="target 'nowhere' is not a page of _toc.yml"):
        ce.edition_files(root)


def test_write_edition_writes_changed_files_only_and_removes_its_stale_notebooks(tmp_path, capsys):
    root = small_book(tmp_path / "book", ["# First"])
    out = tmp_path / "colab"
    assert sorted(p.name for p in ce.write_edition(root, out)) == ["01_first.ipynb", "02_second.ipynb", "README.md"]
    assert ce.write_edition(root, out) == []
    old = nbformat.read(out / "01_first.ipynb", as_version=4)
    nbformat.write(old, out / "00_renamed.ipynb")  # an earlier edition's chapter
    (out / "notes.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    ce.write_edition(root, out)
    assert not (out / "00_renamed.ipynb").exists() and (out / "notes.ipynb").exists()
    # An error writes nothing: the edition stays as it was.
    (root / "book" / "02_second.ipynb").write_text(
        nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("{kbd}`x`")])))
    before = {p.name: p.read_text() for p in out.iterdir()}
    assert ce.main(["--root", str(root), str(out)]) == 2
    assert "colab_edition: error: book/02_second.ipynb, cell 0: the MyST role {kbd}" in capsys.readouterr().err
    assert {p.name: p.read_text() for p in out.iterdir()} == before


# --- the Sphinx extension's launch button -----------------------------------------------------------------------------

def load_extension():
    import importlib.util

    spec = importlib.util.spec_from_file_location("colab_edition_ext", ROOT / "book" / "_ext" / "colab_edition.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def launch_context(url: str) -> dict:
    """The page context as sphinx-book-theme leaves it: a group of launch buttons among the header buttons."""
    buttons = [{"type": "link", "text": "Binder", "url": "https://mybinder.org/x"}, {"type": "link", "text": "Colab", "url": url}]
    return {"header_buttons": [{"label": "download-buttons", "buttons": []},
                               {"type": "group", "label": "launch-buttons", "buttons": buttons}]}


def test_launch_button_opens_the_colab_edition(tmp_path, caplog):
    from types import SimpleNamespace

    extension = load_extension()
    (tmp_path / "colab").mkdir()
    (tmp_path / "colab" / "01_first.ipynb").write_text("{}")
    app = SimpleNamespace(srcdir=str(tmp_path))
    base = "https://colab.research.google.com/github/org/repo/blob/main"
    context = launch_context(f"{base}/book/01_first.ipynb")
    extension.colab_button(app, "book/01_first", "page.html", context, None)
    colab = context["header_buttons"][1]["buttons"][1]
    assert colab["url"] == f"{base}/colab/01_first.ipynb"
    assert context["header_buttons"][1]["buttons"][0]["url"] == "https://mybinder.org/x"  # other buttons untouched
    # A page without a Colab edition keeps its button; a button of an unexpected form is kept, with a warning.
    context = launch_context(f"{base}/book/api.ipynb")
    extension.colab_button(app, "book/api", "page.html", context, None)
    assert context["header_buttons"][1]["buttons"][1]["url"] == f"{base}/book/api.ipynb"
    context = launch_context(f"{base}/elsewhere.ipynb")
    extension.colab_button(app, "book/01_first", "page.html", context, None)
    assert context["header_buttons"][1]["buttons"][1]["url"] == f"{base}/elsewhere.ipynb"
    assert "book/01_first: the Colab launch button opens" in caplog.text, caplog.text


def test_build_writes_the_edition_or_in_check_mode_refuses_a_stale_one(tmp_path):
    from types import SimpleNamespace

    from sphinx.errors import ExtensionError

    extension = load_extension()
    root = small_book(tmp_path, ["# First"])

    def app(mode):
        return SimpleNamespace(srcdir=str(root), config=SimpleNamespace(colab_edition_mode=mode))

    with pytest.raises(ExtensionError, match=r"stale \(01_first.ipynb, 02_second.ipynb, README.md\).*make colab"):
        extension.write(app("check"))
    assert not (root / "colab").exists()  # check mode writes nothing
    extension.write(app("write"))
    assert sorted(p.name for p in (root / "colab").iterdir()) == ["01_first.ipynb", "02_second.ipynb", "README.md"]
    extension.write(app("check"))  # up to date: no error
    with pytest.raises(ExtensionError, match="allowed: 'write'"):
        extension.write(app("maybe"))
    (root / "book" / "01_first.ipynb").write_text(
        nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("{kbd}`x`")])))
    with pytest.raises(ExtensionError, match="cannot be written: book/01_first.ipynb, cell 0: the MyST role"):
        extension.write(app("write"))

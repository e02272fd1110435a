"""The Colab edition of the book: every chapter notebook in the plain Markdown and LaTeX that Google Colab shows.

Colab renders a notebook's Markdown as CommonMark with ``$`` maths: the book's MyST roles and directives would show
there as raw text, and every number that the prose takes from the code (``{glue:text}``) would be missing. This
module writes, for each chapter notebook of ``_toc.yml``, a copy in which the MyST is replaced by what the site shows:

- ``{glue:text}`name```: the glued value's ``text/plain``, formatted as myst-nb formats it (quotes of a string's
  repr removed, an optional ``:format`` applied), taken from the notebook's stored outputs (``{glue}``, which shows
  a value by its richest output, is refused: the book glues text);
- ``$$ ... $$ (eq-label)``: the display maths with ``\\tag{2.5}``, numbered as the build numbers it (chapter number
  from the numbered parts of ``_toc.yml``, then the order of labelled equations in the chapter); ``{eq}`eq-label```
  becomes that number in brackets, as the site prints it, in any chapter (labels are global);
- ``{cite:p}`a,b``` (and ``{cite}``): ``(Howard et al., 2017; Sifre, 2014)``, ``{cite:t}``: ``Howard et al. (2017)``,
  from ``book/references.bib``; a "References" cell at the end lists the works the chapter cites;
- ``{admonition}`` (and ``{note}``, ``{tip}``, ``{warning}``, ...): a blockquote under a bold title;
  ``{exercise}``: a blockquote under **Exercise 4.2: title**, numbered as sphinx-exercise numbers it (the chapter,
  then the exercise's place in it); a ``:label:`` must spell that number (``ex-4-2``);
- ``{solution}`` (the discussion solutions, ``:class: dropdown`` on the site): folded in an HTML ``<details>``
  element, which Colab's Markdown shows closed under "Solution to Exercise 4.3", as the site's dropdown does. They are
  kept because the Colab edition is the book's (the instructor's) edition, like the site; the student edition
  (``mobilenet-course make-student``, which calls :func:`convert_notebook` with ``solutions=False``) leaves them
  out. A solution without ``:class: dropdown`` is shown open, as a blockquote;
- ``{doc}`page```: a link to that chapter's Colab edition (or to the page on GitHub), ``{ref}``/``{numref}`` to an
  exercise label: "Exercise 4.2", ``{math}``: ``$...$``; ``(label)=`` targets and ``%`` comment lines are dropped.

Code cells: each exercise's marked cell (:mod:`mobilenet_course.exercise_source`) becomes the student's stub, then
the solution without markers, folded with Colab's form view: a ``#@title Solution X.Y`` first line and the cell
metadata ``cellView: form``, so Colab shows the title and hides the code until the reader opens it (running it
defines the solution, as in the book). A cell tagged ``remove-output`` (a stub among them) loses its stored outputs;
every other cell, its tags (``remove-cell``: the first cell, which installs the package in Colab, stays), its outputs
and the notebook's metadata (kernelspec, widget state) are kept.

Any other MyST role or directive stops the conversion with a :class:`ColabEditionError` that names the notebook, the
cell and what is supported, so that nothing reaches Colab unconverted.

The edition lives in the repository's ``colab/`` folder, committed, because Colab opens notebooks from GitHub; the
site's "Colab" launch buttons point there (``book/_ext/colab_edition.py``). ``make book`` writes it; so do
``make colab`` and ``python -m mobilenet_course.colab_edition`` (from the repository root).

Book: "For instructors" (the editions of the book).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .exercise_source import ExerciseSourceError, split_exercises
from .files import atomic_write

__all__ = ["ColabEditionError", "Book", "read_book", "convert_markdown", "convert_notebook", "write_edition",
           "myst_left", "EDITION_FOLDER", "main"]

EDITION_FOLDER = "colab"  # relative to the repository root; the launch buttons open colab/NAME.ipynb
MARKER = "colab_edition"  # notebook metadata key: {"source": "book/NAME.ipynb"}; marks files the generator owns

ADMONITIONS = ("admonition", "note", "tip", "hint", "important", "warning", "caution", "attention", "danger",
               "error", "seealso")
DIRECTIVES = (*ADMONITIONS, "exercise", "solution")
ROLES = ("glue:text", "eq", "cite", "cite:p", "cite:t", "doc", "ref", "numref", "math")

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE = re.compile(r"^\{(?P<name>[^}\s]+)\}\s*(?P<argument>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
ROLE = re.compile(r"\{(?P<name>[A-Za-z][\w:+-]*)\}`(?P<content>[^`]+)`")
LABELLED_MATH = re.compile(r"\$\$(?P<body>(?:(?!\$\$).)+)\$\$[ \t]*\((?P<label>[^()\s]+)\)[ \t]*$", re.S | re.M)
TARGET = re.compile(r"^\s*\([^()\s]+\)=\s*$")
EXERCISE_LABEL = re.compile(r"^ex-(\d+)-(\d+)$")
MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>$])")


class ColabEditionError(ValueError):
    """MyST that the Colab edition cannot write as plain Markdown, or a book it cannot read."""


@dataclass
class Reference:
    """One bibliography entry: how the prose cites it and how the references list prints it."""

    authors: str  # "Howard et al.", "Ioffe and Szegedy", "Sifre"
    year: str
    full: str  # the entry in Markdown (mobilenet_course.bibliography.CourseStyle, as the site's bibliography)

    @property
    def parenthetical(self) -> str:
        return f"{self.authors}, {self.year}"

    @property
    def textual(self) -> str:
        return f"{self.authors} ({self.year})"


@dataclass
class Book:
    """What the conversion needs to know about the whole book.

    ``chapters``: docname (``book/01_standard_convolution``) to chapter number (None for the root page and in
    unnumbered parts), in ``_toc.yml`` order; ``titles``: docname to its first heading; ``equations``: label to number (``"2.5"``);
    ``references``: bibliography key to :class:`Reference`; ``colab_url``: the Colab address of the edition's folder
    (``https://colab.research.google.com/github/ORG/REPO/blob/BRANCH/colab``); ``repository_url``: the book's
    repository on GitHub with its branch (``https://github.com/ORG/REPO/blob/BRANCH``).
    """

    root: Path
    chapters: dict[str, int | None]
    titles: dict[str, str] = field(default_factory=dict)
    equations: dict[str, str] = field(default_factory=dict)
    references: dict[str, Reference] = field(default_factory=dict)
    colab_url: str = ""
    repository_url: str = ""


@dataclass
class Context:
    """Where a piece of Markdown comes from (for error messages) and the notebook's glued values."""

    docname: str
    chapter: int | None
    glue: dict[str, str]
    cell: int = 0
    cited: list[str] = field(default_factory=list)
    exercise_labels: dict[str, str] = field(default_factory=dict)  # label to number ("4.3"), as sphinx-exercise counts
    exercises_seen: int = 0
    solutions: bool = True  # False: the student edition, which leaves the {solution} blocks out

    def error(self, message: str) -> ColabEditionError:
        return ColabEditionError(f"{self.docname}.ipynb, cell {self.cell}: {message}")


# --- the whole book -------------------------------------------------------------------------------------------------

def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _toc_chapters(root: Path) -> dict[str, int | None]:
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    chapters: dict[str, int | None] = {str(toc["root"]).removesuffix(".ipynb").removesuffix(".md"): None}
    number = 0
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        for chapter in part.get("chapters", []):
            if chapter.get("sections"):
                raise ColabEditionError(f"_toc.yml: {chapter['file']} has sections; the Colab edition numbers "
                                        "chapters without sections only")
            name = str(chapter["file"]).removesuffix(".ipynb").removesuffix(".md")
            if part.get("numbered"):
                number += 1
                chapters[name] = number
            else:
                chapters[name] = None
    return chapters


def _markdown_cells(root: Path, docname: str) -> list[str]:
    """The Markdown of a page: every markdown cell of a notebook, or a .md page's text."""
    notebook = root / f"{docname}.ipynb"
    if notebook.is_file():
        cells = json.loads(notebook.read_text())["cells"]
        return [_source(c) for c in cells if c["cell_type"] == "markdown"]
    page = root / f"{docname}.md"
    return [page.read_text()] if page.is_file() else []


def _outside_code_fences(text: str) -> str:
    """``text`` with the lines of ordinary code blocks blanked (directives' bodies are kept)."""
    lines, out, closing = text.split("\n"), [], None
    for line in lines:
        if closing is not None:
            out.append("")
            if line.strip().startswith(closing) and not line.strip().strip(closing[0]):
                closing = None
            continue
        match = FENCE.match(line)
        if match and match["fence"][0] != ":" and not match["info"].strip().startswith("{"):
            closing = match["fence"]
            out.append("")
            continue
        out.append(line)
    return "\n".join(out)


def _number_equations(root: Path, chapters: dict[str, int | None]) -> dict[str, str]:
    """Label to number for every labelled display equation: "2.5" in chapter 2, "5" on an unnumbered page."""
    numbers: dict[str, str] = {}
    for docname, chapter in chapters.items():
        count = 0
        for text in _markdown_cells(root, docname):
            for match in LABELLED_MATH.finditer(_outside_code_fences(text)):
                label = match["label"]
                if label in numbers:
                    raise ColabEditionError(f"{docname}: equation label {label!r} is used twice in the book")
                count += 1
                numbers[label] = f"{chapter}.{count}" if chapter is not None else str(count)
    return numbers


def _read_references(bibfiles: list[Path]) -> dict[str, Reference]:
    """Author-year labels ("Howard et al.", "2017") and full entries for every key of the bibliography files."""
    import pybtex.database

    from .bibliography import CourseStyle, cited_authors

    style = CourseStyle()  # as the site's bibliography formats them
    references: dict[str, Reference] = {}
    for bibfile in bibfiles:
        data = pybtex.database.parse_file(str(bibfile))
        formatted = {entry.key: entry for entry in style.format_entries(data.entries.values())}
        for key, entry in data.entries.items():
            try:
                authors = cited_authors(entry)  # as the site's citations and bibliography labels name them
            except ValueError as error:
                raise ColabEditionError(f"{bibfile.name}: {error}") from error
            full = " ".join(formatted[key].text.render_as("markdown").split())
            references[key] = Reference(authors, entry.fields.get("year", "n.d."), full)
    return references


def _split_repo_url(url: str) -> tuple[str, str]:
    match = re.fullmatch(r"https?://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?", url.strip())
    if not match:
        raise ColabEditionError(f"_config.yml: repository.url {url!r} is not a GitHub repository; Colab opens "
                                "notebooks from https://github.com/ORG/REPO")
    return match[1], match[2]


def read_book(root: str | Path) -> Book:
    """Read ``_toc.yml``, ``_config.yml``, the chapters' Markdown and the bibliography of the book at ``root``."""
    import yaml

    root = Path(root).resolve()
    if not (root / "_toc.yml").is_file() or not (root / "_config.yml").is_file():
        raise ColabEditionError(f"{root} is not the course repository (no _toc.yml and _config.yml there)")
    config = yaml.safe_load((root / "_config.yml").read_text())
    chapters = _toc_chapters(root)
    titles = {}
    for docname in chapters:
        for text in _markdown_cells(root, docname):
            heading = re.search(r"^# (.+)$", _outside_code_fences(text), re.M)
            if heading:
                titles[docname] = heading[1].strip()
                break
    repository = config.get("repository", {})
    org, repo = _split_repo_url(repository.get("url", ""))
    branch = repository.get("branch", "main")
    colab = config.get("launch_buttons", {}).get("colab_url", "https://colab.research.google.com").rstrip("/")
    return Book(root=root, chapters=chapters, titles=titles, equations=_number_equations(root, chapters),
                references=_read_references([root / b for b in config.get("bibtex_bibfiles", [])]),
                colab_url=f"{colab}/github/{org}/{repo}/blob/{branch}/{EDITION_FOLDER}",
                repository_url=f"https://github.com/{org}/{repo}/blob/{branch}")


# --- Markdown -------------------------------------------------------------------------------------------------------

def _glue_values(notebook: dict) -> dict[str, str]:
    """Name to ``text/plain`` of every value the notebook's code cells glue (myst-nb's scrapbook outputs)."""
    values = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook")
            if scrapbook:
                plain = output.get("data", {}).get(scrapbook.get("mime_prefix", "") + "text/plain")
                if plain is not None:
                    values[scrapbook["name"]] = "".join(plain) if isinstance(plain, list) else plain
    return values


def _escape(text: str) -> str:
    """Plain text that CommonMark shows as it is (a glued value may hold ``*``, ``_`` or ``$``)."""
    return MARKDOWN_SPECIALS.sub(r"\\\1", text)


EXERCISE_DIRECTIVE = re.compile(r"^```\{exercise\}.*\n(?P<options>(?::[\w-]+:.*\n)*)", re.M)


def _exercise_labels(notebook: dict, context: Context) -> dict[str, str]:
    """Each exercise label of a chapter to its number, as sphinx-exercise numbers them: the chapter, then the
    exercise's place among the chapter's exercises. A label must spell that number (ex-4-2 is Exercise 4.2), so that
    the label read in the source and the number shown agree."""
    labels, count = {}, 0
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for match in EXERCISE_DIRECTIVE.finditer(_source(cell)):
            count += 1
            label = re.search(r"^:label:\s*(\S+)", match["options"], re.M)
            if not label:
                continue
            context.cell = index
            expected = f"ex-{context.chapter}-{count}"
            if context.chapter is None or label[1] != expected:
                raise context.error(f"exercise label {label[1]!r}: this is exercise {context.chapter}.{count} of the "
                                    f"chapter, so its label is {expected} (labels spell the number the site shows)")
            labels[label[1]] = f"{context.chapter}.{count}"
    return labels


def chapter_context(notebook: dict, docname: str, book: Book, *, solutions: bool = True) -> Context:
    """What converting one chapter's Markdown needs: its number, its glued values and its exercises' labels."""
    context = Context(docname=docname, chapter=book.chapters.get(docname), glue=_glue_values(notebook),
                      solutions=solutions)
    context.exercise_labels = _exercise_labels(notebook, context)
    return context


def _exercise_number(label: str, context: Context) -> str:
    if label.strip() not in context.exercise_labels:
        raise context.error(f"{label!r} is not the label of an exercise of this chapter; the labels are "
                            f"{', '.join(context.exercise_labels) or 'none'}")
    return context.exercise_labels[label.strip()]


def _cite(keys: str, textual: bool, book: Book, context: Context) -> str:
    refs = []
    for key in (k.strip() for k in keys.split(",")):
        if key not in book.references:
            raise context.error(f"citation key {key!r} is not in the bibliography "
                                f"({', '.join(sorted(book.references)) or 'no entries'})")
        if key not in context.cited:
            context.cited.append(key)
        refs.append(book.references[key])
    if textual:
        return ", ".join(r.textual for r in refs)
    return "(" + "; ".join(r.parenthetical for r in refs) + ")"


def _doc_link(target: str, book: Book, context: Context) -> str:
    explicit = re.fullmatch(r"(?P<text>.+?)\s*<(?P<target>[^<>]+)>", target, re.S)
    text, target = (explicit["text"], explicit["target"]) if explicit else (None, target)
    name = target.strip().removesuffix(".ipynb").removesuffix(".md")
    if not name.startswith("/"):
        name = str(Path(context.docname).parent / name)
    name = name.lstrip("/")
    if name not in book.chapters:
        raise context.error(f"{{doc}} target {target!r} is not a page of _toc.yml")
    text = text or book.titles.get(name, name)
    if (book.root / f"{name}.ipynb").is_file():
        return f"[{text}]({book.colab_url}/{Path(name).name}.ipynb)"
    return f"[{text}]({book.repository_url}/{name}.md)"


def _role(match: re.Match, book: Book, context: Context) -> str:
    name, content = match["name"], match["content"]
    if name == "glue:text":
        key, _, fmt_spec = content.partition(":")
        if "::" in content:
            raise context.error(f"{{{name}}}`{content}` glues from another notebook; the Colab edition takes values "
                                "from the notebook itself only")
        if key not in context.glue:
            raise context.error(f"{{{name}}}`{key}`: no code cell of the notebook glues {key!r} in its stored "
                                "outputs (execute the notebook: .venv/bin/jupyter execute --inplace NOTEBOOK)")
        from myst_nb.core.variables import format_plain_text  # exactly as {glue:text} shows it on the site

        return _escape(format_plain_text(context.glue[key], fmt_spec))
    if name == "eq":
        if content not in book.equations:
            raise context.error(f"{{eq}}`{content}`: no display equation of a chapter is labelled {content!r}")
        return f"({book.equations[content]})"
    if name in ("cite", "cite:p", "cite:t"):
        return _cite(content, name == "cite:t", book, context)
    if name == "doc":
        return _doc_link(content, book, context)
    if name in ("ref", "numref"):
        explicit = re.fullmatch(r"(?P<text>.+?)\s*<(?P<target>[^<>]+)>", content, re.S)
        if explicit:
            return explicit["text"]
        if EXERCISE_LABEL.match(content):
            return f"Exercise {_exercise_number(content, context)}"
        raise context.error(f"{{{name}}}`{content}`: the Colab edition writes references to exercises (ex-N-M) or "
                            "with an explicit text (`text <label>`) only")
    if name == "math":
        return f"${content}$"
    raise context.error(f"the MyST role {{{name}}} has no Colab form; supported roles: {', '.join(ROLES)}")


def _inline(text: str, book: Book, context: Context) -> str:
    """Roles, equation labels, targets and comments of Markdown outside code blocks."""
    def tag(match: re.Match) -> str:
        label = match["label"]
        number = book.equations.get(label)
        if number is None:
            raise context.error(f"equation label {label!r} was not numbered (is the page in _toc.yml?)")
        return f"$${match['body'].rstrip()} \\tag{{{number}}}\n$$"

    text = LABELLED_MATH.sub(tag, text)
    lines = [line for line in text.split("\n") if not TARGET.match(line) and not line.startswith("%")]
    return ROLE.sub(lambda m: _role(m, book, context), "\n".join(lines))


def _quote(title: str, body: str) -> str:
    """A blockquote: the bold title, then the body."""
    lines = [f"**{title}**", ""] + body.strip("\n").split("\n")
    return "\n".join(f"> {line}".rstrip() for line in lines)


def _directive(name: str, argument: str, body_lines: list[str], book: Book, context: Context) -> str:
    if name not in DIRECTIVES:
        raise context.error(f"the MyST directive {{{name}}} has no Colab form; supported directives: "
                            f"{', '.join(DIRECTIVES)}")
    options: dict[str, str] = {}
    while body_lines and OPTION.match(body_lines[0]):
        match = OPTION.match(body_lines.pop(0))
        options[match["key"]] = match["value"].strip()
    if body_lines and body_lines[0].strip() == "---":
        raise context.error(f"{{{name}}}: options in a YAML block (---) are not supported; write them as :key: value")
    allowed = {"class", "label", "name"}
    unknown = set(options) - allowed
    if unknown:
        raise context.error(f"{{{name}}}: option(s) {', '.join(sorted(unknown))} have no Colab form; allowed: "
                            f"{', '.join(sorted(allowed))}")
    body = convert_markdown("\n".join(body_lines), book, context)
    if name == "exercise":
        context.exercises_seen += 1
        title = f"Exercise {context.chapter}.{context.exercises_seen}"
        return _quote(f"{title}: {_inline(argument, book, context)}" if argument else title, body)
    if name == "solution":
        if not argument:
            raise context.error("a {solution} names the label of its exercise (```{solution} ex-4-3)")
        title = f"Solution to Exercise {_exercise_number(argument, context)}"
        if not context.solutions:
            return ""
        if "dropdown" in options.get("class", "").split():
            return f"<details>\n<summary><b>{title}</b></summary>\n\n{body.strip()}\n\n</details>"
        return _quote(title, body)
    title = _inline(argument, book, context) if name == "admonition" else name.capitalize()
    if name == "admonition" and not argument:
        raise context.error("an {admonition} needs a title")
    return _quote(title, body)


def convert_markdown(text: str, book: Book, context: Context) -> str:
    """MyST Markdown to CommonMark with ``$`` maths: directives and roles written out (see the module docstring)."""
    lines, out = text.split("\n"), []
    plain: list[str] = []
    i = 0

    def flush() -> None:
        if plain:
            out.append(_inline("\n".join(plain), book, context))
            plain.clear()

    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            plain.append(lines[i])
            i += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        # the fence closes at a line of the same character, at least as long, with nothing else on it
        end = next((j for j in range(i + 1, len(lines))
                    if re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*", lines[j])), len(lines))
        directive = DIRECTIVE.match(info)
        if directive:
            flush()
            out.append(_directive(directive["name"], directive["argument"].strip(), lines[i + 1:end], book, context))
        elif fence[0] == ":":
            raise context.error(f"a colon fence ({fence}{info}) must open a directive: {fence}{{name}}")
        else:  # an ordinary code block: kept as it is, roles inside it included
            flush()
            out.append("\n".join(lines[i:end + 1]))
        i = end + 1
    flush()
    return "\n".join(out)


# What MyST looks like once CommonMark has rendered it: (pattern in the HTML, what it is)
LEFTOVERS = [
    (re.compile(r"\{[A-Za-z][\w:+-]*\}<code>"), "a MyST role ({name}`...`)"),
    (re.compile(r"\{(?:glue|eq|cite|doc|ref|numref)[:}]"), "a MyST role"),
    (re.compile(r'<code class="language-\{'), "a MyST directive (```{name})"),
    (re.compile(r"(?:^|>):(?:label|class|name|nonumber|hidden|dropdown):", re.M), "a directive option line (:key:)"),
    (re.compile(r"\$\$\s*\([^()\s]+\)"), "an equation label ($$ (label))"),
    (re.compile(r"(?:^|>)\([^()\s]+\)=\s*(?:$|<)", re.M), "a MyST target ((label)=)"),
]


def myst_left(markdown: str) -> list[str]:
    """What MyST is left in ``markdown`` once a CommonMark renderer (markdown-it-py, as Colab) has rendered it.

    Ordinary code blocks are not searched: their text is shown as written, on the site too.

    Returns one line per find, "what: the rendered text around it"; an empty list when there is none.
    """
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").render(markdown)
    # ordinary code blocks show their text as it is; a block whose language is {name} is a directive, kept
    html = re.sub(r'<pre><code(?: class="language-(?!\{)[^"]*")?>.*?</code></pre>', "<pre></pre>", html, flags=re.S)
    found = []
    for pattern, what in LEFTOVERS:
        for match in pattern.finditer(html):
            found.append(f"{what}: {html[max(0, match.start() - 40):match.end() + 40]!r}")
    return found


# --- notebooks ------------------------------------------------------------------------------------------------------

def _note(docname: str, chapter: int | None, book: Book) -> str:
    what = f"chapter {chapter}" if chapter is not None else "a page"
    repo = book.repository_url.rsplit("/blob/", 1)[0]
    return (f"*The Colab edition of {what} of [MobileNet from first principles]({repo}), written out in plain "
            "Markdown. Run the next cell first: it installs the course package. This notebook is generated from "
            f"`{docname}.ipynb` by `python -m mobilenet_course.colab_edition`: edit that notebook, not this one.*")


def _references_cell(cited: list[str], book: Book) -> str:
    rows = sorted((book.references[k] for k in cited), key=lambda r: (r.authors, r.year))
    return "## References\n\n" + "\n".join(f"- **{r.textual}**: {r.full}" for r in rows)


def _fold_solution(cell: dict) -> None:
    cell["source"] = f"#@title Solution {cell['metadata']['solution']}\n{_source(cell)}"
    cell["metadata"]["cellView"] = "form"


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _model_references(value) -> list[str]:
    """The widget models a saved state refers to (``"IPY_MODEL_<id>"``, in lists and dicts too)."""
    if isinstance(value, str):
        return [value.removeprefix("IPY_MODEL_")] if value.startswith("IPY_MODEL_") else []
    if isinstance(value, dict):
        return [r for v in value.values() for r in _model_references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _model_references(v)]
    return []


def keep_shown_widgets(notebook: dict) -> None:
    """Keep, of the notebook's saved widget state, the models that an output shows and those they refer to.

    Jupyter saves the state of every widget alive at the end of the run, shown or not: a solution cell's own widget
    (``explorer = CostExplorer(alpha=0.7)``) would carry the answer into the student's notebook and page.
    """
    saved = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE)
    if not saved:
        return
    state = saved.get("state", {})
    todo = [o["data"][WIDGET_VIEW]["model_id"] for c in notebook["cells"] for o in c.get("outputs", [])
            if WIDGET_VIEW in o.get("data", {})]
    keep: set[str] = set()
    while todo:
        model = todo.pop()
        if model in keep or model not in state:
            continue
        keep.add(model)
        todo += _model_references(state[model].get("state", {}))
    saved["state"] = {k: v for k, v in state.items() if k in keep}


def convert_notebook(notebook: dict, docname: str, book: Book, *, solutions: bool = True) -> dict:
    """The Colab edition of one chapter notebook (a new notebook; ``notebook`` is not changed).

    Each exercise becomes its stub and, with ``solutions``, its solution folded in Colab's form view; without, the
    discussion exercises' ``{solution}`` blocks go too (the student edition).
    """
    import nbformat

    context = chapter_context(notebook, docname, book, solutions=solutions)
    try:
        edition = split_exercises(notebook, solutions=solutions)
    except ExerciseSourceError as error:
        raise ColabEditionError(f"{docname}.ipynb: {error}") from None
    for index, cell in enumerate(edition["cells"]):
        context.cell = index
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "markdown":
            text = convert_markdown(_source(cell), book, context)
            if context.chapter is not None and index == _first_markdown(edition):
                text = re.sub(r"^# ", f"# {context.chapter}. ", text, count=1, flags=re.M)
            cell["source"] = text
        elif cell["cell_type"] == "code":
            if "solution" in cell.get("metadata", {}):
                _fold_solution(cell)
            if "remove-output" in tags:
                cell["outputs"] = []
                cell["execution_count"] = None
    keep_shown_widgets(edition)  # the widgets of removed outputs, and a solution's own, go from the saved state
    edition["cells"].insert(0, nbformat.v4.new_markdown_cell(_note(docname, context.chapter, book),
                                                             id="colab-edition-note"))
    if context.cited:
        edition["cells"].append(nbformat.v4.new_markdown_cell(_references_cell(context.cited, book),
                                                              id="colab-edition-references"))
    edition.setdefault("metadata", {})[MARKER] = {"source": f"{docname}.ipynb"}
    edition["metadata"]["colab"] = {"provenance": [], "toc_visible": True}
    for index, cell in enumerate(edition["cells"]):
        left = myst_left(_source(cell)) if cell["cell_type"] == "markdown" else []
        if left:
            context.cell = index
            raise context.error("MyST left after the conversion (a case colab_edition.py does not handle): "
                                + "; ".join(left))
    edition = nbformat.from_dict(edition)
    nbformat.validate(edition)
    return edition


def _first_markdown(notebook: dict) -> int:
    return next((i for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "markdown"), -1)


def _readme(book: Book) -> str:
    return ("# The Colab edition of the book\n\n"
            "Generated: do not edit. Each notebook here is a chapter of `book/` with its MyST written out as plain "
            "Markdown and LaTeX (computed numbers, equation numbers, citations, exercises), which is what Google "
            "Colab can show. The book's \"Colab\" launch buttons open these notebooks.\n\n"
            "`make book` rewrites this folder; so do `make colab` and, from the repository root,\n\n"
            "```bash\npython -m mobilenet_course.colab_edition\n```\n\n"
            "`tests/test_colab_edition.py` fails when this folder differs from what the book's notebooks give.\n")


def edition_files(root: str | Path) -> dict[str, str]:
    """The edition as file name to text, from the book at ``root`` (nothing is written)."""
    import nbformat

    book = read_book(root)
    files = {"README.md": _readme(book)}
    for docname in book.chapters:
        path = book.root / f"{docname}.ipynb"
        if not path.is_file():
            continue
        if f"{path.name}" in files:
            raise ColabEditionError(f"two chapters are named {path.name}; the Colab edition puts every chapter in "
                                    "one folder, so chapter file names must differ")
        edition = convert_notebook(json.loads(path.read_text()), docname, book)
        files[f"{Path(docname).name}.ipynb"] = nbformat.writes(edition) + "\n"
    return files


def write_edition(root: str | Path = ".", out: str | Path | None = None) -> list[Path]:
    """Write the Colab edition of the book at ``root`` into ``out`` (default ``ROOT/colab``); returns the files written.

    Every file is converted before any is written, so an error leaves ``out`` as it was. Files are written atomically
    and only when their text changed. A notebook in ``out`` that an earlier edition wrote (its metadata carries
    ``colab_edition``) and that is no longer part of it (a chapter renamed or removed) is deleted; nothing else there
    is touched.
    """
    root = Path(root).resolve()
    out = Path(out) if out is not None else root / EDITION_FOLDER
    files = edition_files(root)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = out / name
        if not path.is_file() or path.read_text() != text:
            with atomic_write(path) as f:
                f.write(text)
            written.append(path)
    for path in sorted(out.glob("*.ipynb")):
        if path.name not in files:
            try:
                stale = MARKER in json.loads(path.read_text()).get("metadata", {})
            except (ValueError, OSError):
                stale = False
            if stale:
                path.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobilenet_course.colab_edition",
                                     description="Write the Colab edition of the book (plain Markdown, no MyST).")
    parser.add_argument("out", nargs="?", help=f"folder to write (default: ROOT/{EDITION_FOLDER})")
    parser.add_argument("--root", default=".", help="the course repository (default: the current folder)")
    args = parser.parse_args(argv)
    try:
        written = write_edition(args.root, args.out)
    except ColabEditionError as error:
        print(f"colab_edition: error: {error}", file=sys.stderr)
        return 2
    print(f"{len(written)} file(s) rewritten" + "".join(f"\n  {p}" for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every number stated in a chapter's prose is computed: it appears in an output of that chapter's cells (most come
through myst-nb glue), or it is a figure the paper prints (mobilenet_course.reference), quoted as such.

Numbers inside maths ($...$) are part of the derivation, numbers in code spans are code, and numbers that name a
chapter, table, figure or equation are references, so those are not counted."""

import json
import re
from pathlib import Path

import pytest

from mobilenet_course import reference

BOOK = Path(__file__).resolve().parents[1] / "book"
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
REFERENCE_WORDS = re.compile(r"(?:chapters?|Tables?|Figures?|equations?|sections?|Exercises?)\s+\d+(?:\s*(?:,|and|-|to)\s*\d+)*",
                             re.I)
STRIP = [
    re.compile(r"\$\$.*?\$\$(?:\s*\([\w-]+\))?", re.S),  # display maths and its label
    re.compile(r"\$[^$\n]+\$"),  # inline maths
    re.compile(r"```.*?```", re.S),  # fenced blocks (code and directives' option lines are checked below)
    re.compile(r"`[^`\n]*`"),  # code spans and the targets of roles
    re.compile(r"^:\w+:.*$", re.M),  # directive options
    re.compile(r"\[[^\]]*\]\([^)]*\)"),  # links
    re.compile(r"\d+(?:\.\d+)?[- _](?:Conv|Shallow)?MobileNet[- _]\d+"),  # the paper's model names
    re.compile(r"\w+-\d+(?:-\d+)*"),  # labels such as ex-1-2
]


def prose(cell_source: str) -> str:
    text = cell_source
    # Keep the text inside admonitions, exercises and solutions: only the fence lines go.
    text = re.sub(r"^```\{[\w:-]+\}.*$|^```\s*$", "", text, flags=re.M)
    for pattern in STRIP:
        text = pattern.sub(" ", text)
    return REFERENCE_WORDS.sub(" ", text)


def normalise(token: str) -> str:
    return token.replace(",", "").rstrip(".")


SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)


def output_texts(output: dict) -> list[str]:
    """The text of an output: streams and text-like data; of an SVG figure only its words (tick labels, legends),
    never its coordinates; no other image."""
    texts = [output.get("text", "")]
    for mime, data in output.get("data", {}).items():
        data = "".join(data) if isinstance(data, list) else str(data)
        if mime == "image/svg+xml":
            texts += [re.sub(r"<[^>]*>", "", t) for t in SVG_TEXT.findall(data)]
        elif not mime.startswith("image/"):
            texts.append(data)
    return ["".join(t) if isinstance(t, list) else str(t) for t in texts]


def output_numbers(notebook: dict) -> set[str]:
    found = set()
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            for text in output_texts(output):
                found |= {normalise(t) for t in NUMBER.findall(text)}
    return found


def figure_texts(cell: dict) -> list[str]:
    """A code cell's figure caption and alt text (myst-nb metadata): prose the book shows."""
    options = cell.get("metadata", {}).get("mystnb", {})
    return [options.get("figure", {}).get("caption", ""), options.get("image", {}).get("alt", "")]


def paper_numbers() -> set[str]:
    values = [*reference.SLIM_TOP1.values(), *reference.FASHION_MNIST_BENCHMARK.values()]
    for table in (reference.TABLE4, reference.TABLE5, reference.TABLE6, reference.TABLE7):
        for row in table:
            values += [row.top1, row.million_mult_adds, row.million_params]
    for pair in reference.TABLE2.values():
        values += list(pair)
    return {f"{v:g}" for v in values} | {f"{v:.1f}" for v in values} | {f"{v:.2f}" for v in values}


CHAPTERS = sorted(BOOK.glob("[0-9]*.ipynb"))


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_numbers_in_prose_are_computed_or_quoted_from_the_paper(path):
    notebook = json.loads(path.read_text())
    allowed = output_numbers(notebook) | paper_numbers()
    typed = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            typed += [t for text in figure_texts(cell) for t in NUMBER.findall(prose(text))
                      if normalise(t) not in allowed]
        if cell["cell_type"] != "markdown":
            continue
        source = re.sub(r"^#.*$", "", "".join(cell["source"]), flags=re.M)  # headings carry chapter numbers
        typed += [t for t in NUMBER.findall(prose(source)) if normalise(t) not in allowed]
    assert not typed, (f"{path.name}: numbers typed into the prose (or a figure's caption or alt text) instead of "
                       f"computed by a cell: {typed}")


def test_the_check_catches_a_typed_number(tmp_path):
    notebook = {"cells": [{"cell_type": "markdown", "source": ["The layer costs 123,456 mult-adds."]}]}
    allowed = output_numbers(notebook) | paper_numbers()
    assert [t for t in NUMBER.findall(prose(notebook["cells"][0]["source"][0])) if normalise(t) not in allowed]


def test_svg_coordinates_are_not_computed_numbers_but_its_labels_are():
    svg = ('<svg><path d="M 123.456 78 L 9 10"/><text style="font-size: 10px">0.5625</text>'
           '<g><text x="1"><tspan>2048</tspan></text></g></svg>')
    notebook = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "display_data",
                                                             "data": {"image/svg+xml": svg}}]}]}
    assert output_numbers(notebook) == {"0.5625", "2048"}


def test_the_check_reads_figure_captions_and_alt_text():
    cell = {"cell_type": "code", "metadata": {"mystnb": {"figure": {"caption": "Mult-adds of 17 layers"},
                                                          "image": {"alt": "a bar chart"}}}}
    assert [t for text in figure_texts(cell) for t in NUMBER.findall(prose(text))] == ["17"]

"""The book's tables (tables.py and costs.profile) keep their columns apart in text and in HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

import mobilenet_course as mc
from mobilenet_course.tables import Table, html_table


def cell_spans(line: str, cells: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where each cell's text lies in a line of a text table, found left to right."""
    spans, position = [], 0
    for cell in cells:
        start = line.index(cell, position)
        spans.append((start, start + len(cell)))
        position = start + len(cell)
    return spans


def column_gaps(lines: list[str], rows: list[tuple[str, ...]]) -> list[int]:
    """For each pair of neighbouring columns, the fewest spaces between the first's text and the second's, over all
    lines, when the columns are read as blocks (a column ends where its widest cell ends)."""
    spans = [cell_spans(line, row) for line, row in zip(lines, rows)]
    gaps = []
    for i in range(len(rows[0]) - 1):
        end = max(s[i][1] for s in spans)
        start = min(s[i + 1][0] for s in spans)
        gaps.append(start - end)
    return gaps


def all_tables() -> dict[str, Table]:
    table6, table7 = mc.tables.multiplier_tables()
    table4, table5 = mc.tables.variant_tables()
    return {"table 1": mc.tables.table1(), "table 4": table4, "table 5": table5, "table 6": table6,
            "table 7": table7}


@pytest.mark.parametrize("name, table", all_tables().items())
def test_text_columns_are_two_spaces_apart_at_least(name, table):
    lines = table.to_text().splitlines()[1:]  # the caption first
    gaps = column_gaps(lines, [table.columns, *table.rows])
    assert min(gaps) >= 2, f"{name}: columns {gaps.index(min(gaps))} and the next are {min(gaps)} spaces apart"


def test_profile_text_columns_are_two_spaces_apart_at_least():
    p = mc.costs.profile(mc.MobileNetV1())
    lines = p.to_text().splitlines()[:-1]  # the summary line last
    gaps = column_gaps(lines, [p._COLUMNS, *[p._cells(r) for r in p.layers]])
    assert min(gaps) >= 2, gaps


class Cells(HTMLParser):
    """The style of every th and td, and the text inside each."""

    def __init__(self):
        super().__init__()
        self.cells: list[dict] = []
        self.boxes: list[str] = []
        self.box_attrs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("td", "th"):
            self.cells.append({"style": attrs.get("style", ""), "text": ""})
        if tag == "div":
            self.boxes.append(attrs.get("style", ""))
            self.box_attrs.append(attrs)

    def handle_data(self, data):
        if self.cells:
            self.cells[-1]["text"] += data


def css(style: str) -> dict[str, str]:
    return {k.strip(): v.strip() for k, v in (p.split(":", 1) for p in style.split(";") if ":" in p)}


def horizontal_padding_em(style: dict[str, str]) -> float:
    """The left and right padding of a cell in em, from a ``padding`` shorthand of one or two values."""
    values = style.get("padding", "0").split()
    horizontal = values[1] if len(values) > 1 else values[0]
    match = re.fullmatch(r"([\d.]+)em", horizontal)
    assert match, f"padding {horizontal!r} is not in em"
    return float(match.group(1))


HTML_TABLES = {**{name: t._repr_html_() for name, t in all_tables().items()},
               "profile": mc.costs.profile(mc.MobileNetV1())._repr_html_()}


@pytest.mark.parametrize("name", HTML_TABLES)
def test_html_cells_are_padded_unwrapped_and_the_table_scrolls_in_its_box(name):
    parser = Cells()
    parser.feed(HTML_TABLES[name])
    assert parser.cells, name
    for cell in parser.cells:
        style = css(cell["style"])
        # 0.5 em on each side of each cell: neighbouring columns are at least one em apart whatever the page's CSS.
        assert horizontal_padding_em(style) >= 0.5, (name, cell)
        assert style.get("white-space") == "nowrap", (name, cell)
    assert parser.boxes and css(parser.boxes[0]).get("overflow-x") == "auto", name
    # a box that scrolls must be reachable from the keyboard, and named (axe-core: scrollable-region-focusable)
    assert parser.box_attrs[0].get("tabindex") == "0" and parser.box_attrs[0].get("aria-label"), parser.box_attrs[0]


def test_html_escapes_cells_and_aligns_numbers_right():
    page = html_table(("name", "value"), [("<b>", "1,024")], right_from=1)
    parser = Cells()
    parser.feed(page)
    assert [c["text"] for c in parser.cells] == ["name", "value", "<b>", "1,024"]
    assert [css(c["style"])["text-align"] for c in parser.cells] == ["left", "right", "left", "right"]
    assert "<b>" not in page


def test_the_text_check_catches_columns_that_touch():
    lines = ["ab cd", "abcdef"]
    assert column_gaps(lines, [("ab", "cd"), ("abc", "def")]) == [0]

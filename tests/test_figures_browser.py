"""The built book's figures and tables read on a phone (390 px) and on a desktop (1280 px), in a real browser.

A figure's smallest text as drawn on the page must be at least 9 CSS px: for an SVG, the smallest font size in the file
times the width the page gives the image over the SVG's own width (its viewBox); for a PNG, the figures' smallest font
(plots.MIN_FONT_PT) at the PNG's dpi, times the displayed over the natural width. Every figure fits its column, has a
caption and alt text that says what it shows (not a file name). A table's columns never run together.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from book import toc_pages
from browser import probe

from mobilenet_course.plots import MIN_FONT_PT

MIN_PX = 9.0
WIDTHS = (390, 1280)
CHAPTERS = [page for page in toc_pages() if re.match(r"book/\d\d_", page)]
TABLE_PAGES = ["book/03_architecture", "book/06_model_family"]
IMAGE_FILE = re.compile(r"\.(png|svg|jpe?g|gif|webp)$", re.I)

# The book's figures: images in a notebook cell's output, not those a widget draws (widgets keep their own images).
FIGURES_JS = """() => [...document.querySelectorAll('main .cell_output img, main figure img')]
    .filter(img => !img.closest('.jupyter-widgets, .widget-subarea'))
    .map(img => {
        const column = img.closest('article, main').getBoundingClientRect();
        const box = img.getBoundingClientRect();
        const figure = img.closest('figure');
        const caption = figure && figure.querySelector('figcaption');
        return {src: img.currentSrc || img.src, alt: img.getAttribute('alt') || '', width: box.width,
                natural: img.naturalWidth, complete: img.complete, left: box.left, right: box.right,
                columnLeft: column.left, columnRight: column.right,
                caption: caption ? caption.innerText.trim() : ''};
    })"""

# The box around each table the package renders: it must fit the column (a wide table scrolls inside it).
TABLE_BOXES_JS = """() => [...document.querySelectorAll('main table.mc-table, main table.mc-profile')]
    .map(table => ({right: table.parentElement.getBoundingClientRect().right, page: window.innerWidth,
                    overflow: getComputedStyle(table.parentElement).overflowX}))"""

# For every row of every table the package renders, the horizontal gaps between the text of neighbouring cells.
TABLE_GAPS_JS = """() => [...document.querySelectorAll('main table.mc-table, main table.mc-profile')]
    .filter(table => table.offsetParent !== null)
    .map(table => [...table.rows].map(row => {
        const boxes = [...row.cells].map(cell => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const r = range.getBoundingClientRect();
            return {left: r.left, right: r.right, text: cell.innerText};
        });
        return boxes.slice(1).map((box, i) => ({gap: box.left - boxes[i].right,
                                                 pair: boxes[i].text + ' | ' + box.text}));
    }))"""


# Read on each page when it is opened for the checks (browser.RenderedSite, shared with tests/test_accessibility.py).
probe("figures", pages=[c + ".html" for c in CHAPTERS], widths=WIDTHS)(lambda page: page.evaluate(FIGURES_JS))
probe("table_gaps", pages=[t + ".html" for t in TABLE_PAGES], widths=WIDTHS)(lambda page: page.evaluate(TABLE_GAPS_JS))
probe("table_boxes", pages=[t + ".html" for t in TABLE_PAGES], widths=WIDTHS)(
    lambda page: page.evaluate(TABLE_BOXES_JS))


def svg_smallest_font(svg: str) -> tuple[float, float]:
    """The smallest font size in an SVG, in its own units, and the width of its viewBox in the same units."""
    view_box = re.search(r'viewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)', svg)
    assert view_box, "the SVG has no viewBox, so the browser cannot scale it"
    sizes = [float(s) for s in re.findall(r"font-size:\s*([\d.]+)(?:px)?", svg)]
    sizes += [float(s) for s in re.findall(r'font-size="([\d.]+)(?:px)?"', svg)]
    sizes += [float(s) for s in re.findall(r"font:[^;\"']*?([\d.]+)px", svg)]
    has_text = "<text" in svg
    assert sizes or not has_text, "the SVG has text without a font size"
    return (min(sizes) if sizes else float("inf")), float(view_box.group(1))


def png_size_and_dpi(data: bytes) -> tuple[int, float | None]:
    """A PNG's width in pixels and its dpi (from the pHYs chunk, None without one)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width = struct.unpack(">I", data[16:20])[0]
    position = 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"pHYs":
            per_unit, _, unit = struct.unpack(">IIB", data[position + 8:position + 17])
            return width, per_unit * 0.0254 if unit == 1 else None
        position += 12 + length
    return width, None


def smallest_text_px(path: Path, displayed_width: float) -> float:
    """The smallest figure text of the image file at ``path``, in CSS px, when it is shown ``displayed_width`` wide."""
    if path.suffix == ".svg":
        font, own_width = svg_smallest_font(path.read_text())
        return font * displayed_width / own_width
    width, dpi = png_size_and_dpi(path.read_bytes())
    assert dpi, f"{path.name}: a PNG without its dpi; its text size cannot be known"
    return MIN_FONT_PT / 72 * dpi * displayed_width / width


def says_what_it_shows(alt: str) -> bool:
    """Alt text that is a sentence or two, not empty and not an image's file name or path."""
    alt = alt.strip()
    return len(alt) >= 20 and not IMAGE_FILE.search(alt) and "/" not in alt.split()[0]


def local_file(site: Path, url: str) -> Path:
    return site / unquote(urlparse(url).path).lstrip("/")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page_name", CHAPTERS)
def test_figures_are_readable_fit_the_column_and_say_what_they_show(rendered, site, page_name, width):
    figures = rendered.measured(page_name + ".html", width)["figures"]
    problems = []
    for fig in figures:
        name = Path(urlparse(fig["src"]).path).name
        if not fig["complete"] or fig["natural"] == 0:
            problems.append(f"{name}: not drawn")
            continue
        text_px = smallest_text_px(local_file(site, fig["src"]), fig["width"])
        if text_px < MIN_PX:
            problems.append(f"{name}: smallest text {text_px:.1f} px at {fig['width']:.0f} px wide")
        if fig["right"] > fig["columnRight"] + 0.5 or fig["left"] < fig["columnLeft"] - 0.5:
            problems.append(f"{name}: {fig['width']:.0f} px wide, wider than its column")
        if not says_what_it_shows(fig["alt"]):
            problems.append(f"{name}: alt text {fig['alt']!r} does not say what the figure shows")
        if not fig["caption"]:
            problems.append(f"{name}: no caption")
    assert not problems, f"{page_name} at {width} px:\n" + "\n".join(problems)


def test_every_chapter_figure_is_checked(rendered):
    # The figure check above must see the book's figures: a selector that matched nothing would pass vacuously.
    figures = rendered.measured("book/03_architecture.html", 1280)["figures"]
    assert len(figures) >= 2 and all(f["src"].endswith(".svg") for f in figures), figures


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page_name", TABLE_PAGES)
def test_table_columns_never_run_together(rendered, page_name, width):
    measured = rendered.measured(page_name + ".html", width)
    tables, boxes = measured["table_gaps"], measured["table_boxes"]
    assert all(b["right"] <= b["page"] and b["overflow"] == "auto" for b in boxes), boxes
    assert tables, f"no table of the package on {page_name}"
    tight = [(g["pair"], round(g["gap"], 1)) for table in tables for row in table for g in row if g["gap"] < 8]
    assert not tight, f"{page_name} at {width} px: cells closer than 8 px: {tight[:10]}"


def test_the_size_check_catches_a_small_svg_and_a_png_without_dpi(tmp_path):
    # Negative controls: 10-unit text in an SVG 1000 units wide, shown 358 px wide, is 3.6 px.
    svg = tmp_path / "wide.svg"
    svg.write_text('<svg viewBox="0 0 1000 500"><text style="font-size: 10px">x</text></svg>')
    assert smallest_text_px(svg, 358) == pytest.approx(3.58)
    png = tmp_path / "plain.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I4sIIBBBBB", 13, b"IHDR", 740, 440, 8, 6, 0, 0, 0)
                    + b"\0" * 4 + struct.pack(">I4s", 0, b"IEND") + b"\0" * 4)
    with pytest.raises(AssertionError, match="without its dpi"):
        smallest_text_px(png, 358)


def test_the_alt_check_rejects_file_names():
    # What the book's figures had before: myst-nb's default alt text, the image's path.
    assert not says_what_it_shows("../_images/2fce9941c436d151a5ddfe63709efa2d98f899a5add995f98c4b94b16d587a7c.png")
    assert not says_what_it_shows("")
    assert says_what_it_shows("Two bar charts over the layers of a network in forward order.")

"""The paper's tables rebuilt from the package, next to the figures the paper prints.

Book: chapter 3 (:func:`table1`), chapter 6 (:func:`multiplier_tables`, :func:`variant_tables`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from . import reference
from .costs import profile
from .model import ConvMobileNet, MobileNetV1, ShallowMobileNet

__all__ = ["Table", "Comparison", "table1", "multiplier_tables", "variant_tables", "compare", "html_table"]

# Inline styles, so that the padding holds wherever the HTML is shown (Jupyter, Colab, the book) whatever the page's
# CSS: cells never run together, a cell never wraps inside itself ("1 x 1 x 1024 x 1024" stays on one line), and a
# table wider than a phone's column scrolls sideways in its box instead of squeezing its columns.
CELL_STYLE = "padding: 0.25em 0.75em; white-space: nowrap; text-align: {align}"
BOX_STYLE = "overflow-x: auto; max-width: 100%"


def html_table(columns: tuple[str, ...], rows: list[tuple[str, ...]], *, caption: str = "", css_class: str = "",
               right_from: int | None = None) -> str:
    """An HTML table with padded cells, in a box that scrolls sideways when the table is wider than the page.

    The box is focusable (``tabindex='0'``) and named by the caption, so that it can be scrolled from the keyboard
    (axe-core's rule scrollable-region-focusable).

    ``right_from`` right-aligns the columns from that index on (numbers); the others are left-aligned.
    """

    def cell(tag: str, text: object, i: int) -> str:
        align = "right" if right_from is not None and i >= right_from else "left"
        return f"<{tag} style='{CELL_STYLE.format(align=align)}'>{html.escape(str(text))}</{tag}>"

    head = "".join(cell("th", c, i) for i, c in enumerate(columns))
    body = "".join("<tr>" + "".join(cell("td", c, i) for i, c in enumerate(r)) + "</tr>" for r in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    # The box can scroll, so it takes the keyboard focus (arrow keys scroll it) and has a name for screen readers.
    name = html.escape(caption or "table", quote=True)
    return (f"<div style='{BOX_STYLE}' tabindex='0' role='region' aria-label='{name}'>"
            f"<table class='{css_class}' style='border-collapse: collapse'>{cap}"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


@dataclass
class Table:
    """A small table with a text and an HTML rendering."""

    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    caption: str = ""

    def to_text(self) -> str:
        """The table in fixed-width text, columns left-aligned and two spaces apart."""
        widths = [max(len(str(r[i])) for r in [self.columns, *self.rows]) for i in range(len(self.columns))]
        lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [self.columns, *self.rows]]
        return "\n".join(([self.caption] if self.caption else []) + lines)

    def __str__(self) -> str:
        return self.to_text()

    __repr__ = to_text

    def _repr_html_(self) -> str:
        return html_table(self.columns, self.rows, caption=self.caption, css_class="mc-table")


def table1(model: MobileNetV1 | None = None) -> Table:
    """Paper Table 1 ("MobileNet Body Architecture") rebuilt from the layers of a real model.

    Each row is read from the model by :func:`mobilenet_course.costs.profile`: type and stride, filter shape,
    input size. With the default 1.0-MobileNet-224 it is the paper's table, except for the row the paper misprints:
    the last depthwise conv is stride 1 (its input and the next layer's are both 7x7), not "s2".
    """
    model = MobileNetV1() if model is None else model
    rows = []
    last = None  # the conv layer before the classifier: its output is what the pool sees
    for layer in profile(model).layers:
        size = f"{layer.input_size} x {layer.input_size} x {layer.in_channels}"
        k = layer.kernel
        if layer.kind == "fc":
            d = last.output_size
            rows.append(("Avg Pool / s1", f"Pool {d} x {d}", f"{d} x {d} x {last.out_channels}"))
            rows.append(("FC / s1", f"{layer.in_channels} x {layer.out_channels}", f"1 x 1 x {layer.in_channels}"))
            rows.append(("Softmax / s1", "Classifier", f"1 x 1 x {layer.out_channels}"))
        elif layer.kind == "depthwise":
            rows.append((f"Conv dw / s{layer.stride}", f"{k} x {k} x {layer.in_channels} dw", size))
        else:
            rows.append((f"Conv / s{layer.stride}", f"{k} x {k} x {layer.in_channels} x {layer.out_channels}", size))
        last = layer
    return Table(("Type / Stride", "Filter Shape", "Input Size"), rows, f"Table 1 rebuilt from {model.name}")


@dataclass
class Comparison:
    """Our computed costs for one model next to the paper's printed figures."""

    model: str
    paper: reference.PaperRow
    mult_adds: int
    params: int

    @property
    def million_mult_adds(self) -> float:
        return self.mult_adds / 1e6

    @property
    def million_params(self) -> float:
        return self.params / 1e6

    @property
    def matches(self) -> bool:
        """True when each of the paper's figures is ours rounded or cut off to its printed digits.

        The printed digits are those of the figure in :mod:`mobilenet_course.reference` (569: whole millions; 4.2:
        one decimal). A printed 290 matches 290.7 million (cut off) and 289.5 to 290.5 (rounded, either way at the
        half), nothing else: not 289.4, not 291.0. A printed 4.2 matches from 4.15 up to, not including, 4.3 million.
        The test is exact (fractions of the whole counts), so no float rounding can tip it.
        """
        return (_printed_as(self.mult_adds, self.paper.million_mult_adds)
                and _printed_as(self.params, self.paper.million_params))


def _printed_as(count: int, printed_millions: float) -> bool:
    """Whether ``count`` in millions, rounded (half up or half even) or cut off at the decimals ``printed_millions``
    is written with, gives ``printed_millions``."""
    printed = Decimal(repr(printed_millions))
    step = Fraction(1, 10 ** max(0, -printed.as_tuple().exponent))
    ours, printed = Fraction(count, 10**6), Fraction(printed)
    return abs(ours - printed) <= step / 2 or printed <= ours < printed + step


def compare(model: MobileNetV1, paper: reference.PaperRow) -> Comparison:
    """Profile ``model`` and put its costs next to a row of the paper."""
    p = profile(model)
    return Comparison(model.name, paper, p.mult_adds, p.params)


def _comparison_table(comparisons: list[Comparison], caption: str) -> Table:
    rows = [(c.model, f"{c.paper.top1:.1f}", f"{c.paper.million_mult_adds:g}", f"{c.million_mult_adds:.1f}",
             f"{c.paper.million_params:g}", f"{c.million_params:.2f}", "yes" if c.matches else "NO")
            for c in comparisons]
    columns = ("model", "paper top-1 %", "paper M mult-adds", "our M mult-adds", "paper M params", "our M params",
               "matches")
    return Table(columns, rows, caption)


def multiplier_tables() -> tuple[Table, Table]:
    """Paper Tables 6 (alpha at 224 px) and 7 (resolution at alpha 1.0) with our computed costs."""
    table6 = [compare(MobileNetV1(alpha=a), row) for a, row in zip((1.0, 0.75, 0.5, 0.25), reference.TABLE6)]
    table7 = [compare(MobileNetV1(resolution=r), row) for r, row in zip((224, 192, 160, 128), reference.TABLE7)]
    return (_comparison_table(table6, "Table 6: width multiplier"),
            _comparison_table(table7, "Table 7: resolution multiplier"))


def variant_tables() -> tuple[Table, Table]:
    """Paper Tables 4 (full versus separable convolutions) and 5 (narrow versus shallow) with our costs."""
    table4 = [compare(ConvMobileNet(), reference.TABLE4[0]), compare(MobileNetV1(), reference.TABLE4[1])]
    table5 = [compare(MobileNetV1(alpha=0.75), reference.TABLE5[0]), compare(ShallowMobileNet(), reference.TABLE5[1])]
    return (_comparison_table(table4, "Table 4: depthwise separable versus full convolution"),
            _comparison_table(table5, "Table 5: narrow versus shallow"))

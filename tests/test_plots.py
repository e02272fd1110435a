"""The book's figures read at any width: no text under the minimum size, no two labels on top of each other, legends
that list what is drawn and hide no data, nothing cut off by the figure's edge."""

from __future__ import annotations

import itertools
import re
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.text import Annotation, Text  # noqa: E402

import mobilenet_course as mc  # noqa: E402
from mobilenet_course import plots  # noqa: E402

TRAINED = [  # rows as chapter 7's width comparison makes them (the accuracies are made up)
    {"model": "0.25-MobileNet-28", "mult_adds": 2_900_000, "test_accuracy": 0.64},
    {"model": "0.5-MobileNet-28", "mult_adds": 10_900_000, "test_accuracy": 0.73},
    {"model": "1.0-MobileNet-28", "mult_adds": 41_000_000, "test_accuracy": 0.78},
]


def epochs(n: int = 4):
    return [SimpleNamespace(epoch=i + 1, train_loss=2 / (i + 1), test_loss=3 / (i + 1), train_accuracy=0.2 * i,
                            test_accuracy=0.2 * i + 0.01) for i in range(n)]


def latency_rows():
    return [r for r in mc.bench.read_results(mc.bench.bundled_results("grid-latency-amd-epyc-2-cores.json"))
            if r["path"] == "channels_last"]


def timed_grid():
    results = mc.bench.bundled_results("grid-latency-amd-epyc-2-cores.json")
    return mc.family.grid(mc.family.load_latencies(results, "channels_last"))


# Every figure of the book, drawn from the data the chapters use (chapter 7's training results made up).
FIGURES = {
    "ch1 layer costs": lambda: plots.layer_costs_plot(mc.costs.profile(mc.ConvMobileNet())),
    "ch2 reduction ratio": lambda: plots.reduction_ratio_plot([2**k for k in range(3, 12)]),
    "ch3 cost by kind": lambda: plots.cost_by_kind_plot(mc.costs.profile(mc.MobileNetV1())),
    "ch3 layer costs": lambda: plots.layer_costs_plot(mc.costs.profile(mc.MobileNetV1())),
    "ch4 width ratio": lambda: plots.width_ratio_plot([0.75, 0.5, 0.25]),
    "ch6 accuracy/mult-adds": lambda: plots.accuracy_cost_plot(mc.family.grid()),
    "ch6 accuracy/latency": lambda: plots.accuracy_cost_plot(timed_grid(), highlight="0.25-MobileNet-224",
                                                             x="latency_ms"),
    "ch7 images": lambda: plots.image_grid(torch.zeros(10, 1, 28, 28, dtype=torch.uint8), torch.arange(10),
                                           mc.data.FASHION_MNIST_CLASSES),
    "ch7 training curves": lambda: plots.training_curves_plot(epochs()),
    "ch7 accuracy/mult-adds": lambda: plots.accuracy_mult_adds_plot(TRAINED),
    "ch8 latency": lambda: plots.latency_plot(latency_rows(), title="the grid, channels-last fp32"),
}


@pytest.fixture(autouse=True)
def book_style():
    """The notebooks' style (mc.notebook.setup applies plots.STYLE); every figure closed afterwards."""
    with plt.rc_context(plots.STYLE):
        yield
    plt.close("all")


def drawn(fig):
    fig.canvas.draw()
    return fig, fig.canvas.get_renderer()


def tick_labels(axis) -> list[Text]:
    """The tick labels an axis draws: major and minor, with text, at a tick inside the view."""
    if not axis.axes.axison or not axis.get_visible():
        return []
    lo, hi = sorted(axis.get_view_interval())
    ticks = axis.get_major_ticks() + axis.get_minor_ticks()
    return [t.label1 for t in ticks if lo <= t.get_loc() <= hi and t.label1.get_visible() and t.label1.get_text()]


def texts(fig) -> list[Text]:
    """Every piece of text the figure draws (tick labels only where a tick is drawn)."""
    ticks = {id(t) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
             for t in axis.get_major_ticks() + axis.get_minor_ticks() for t in (t.label1, t.label2)}
    shown = [t for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) for t in tick_labels(axis)]
    others = [t for t in fig.findobj(Text) if id(t) not in ticks and t.get_visible() and t.get_text().strip()]
    return shown + others


def overlapping_pairs(items: list[Text], renderer) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in items]
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]


def data_points(ax) -> list[tuple[float, float]]:
    """Display coordinates of the points an axes draws: line vertices and scatter points."""
    points = []
    for line in ax.get_lines():
        if line.get_xydata().size:
            points += [tuple(p) for p in line.get_transform().transform(line.get_xydata())]
    for collection in ax.collections:
        if isinstance(collection, PathCollection) and len(collection.get_offsets()):
            points += [tuple(p) for p in collection.get_offset_transform().transform(collection.get_offsets())]
    return points


def bars(ax) -> list:
    return [p.get_window_extent() for p in ax.patches if isinstance(p, Rectangle) and p.get_height() > 0]


def point_labels(ax) -> list[Text]:
    """Text placed at a data point (annotations and ``ax.text`` in data coordinates)."""
    return [t for t in ax.texts if (t.xycoords == "data" if isinstance(t, Annotation)
                                    else t.get_transform() == ax.transData)]


def legends(fig) -> list:
    return list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]


@pytest.mark.parametrize("name", FIGURES)
def test_no_text_is_smaller_than_the_minimum_and_no_maths_shrinks_it(name):
    fig, _ = drawn(FIGURES[name]())
    assert fig.get_figwidth() <= plots.FIGURE_WIDTH
    small = [(t.get_text(), t.get_fontsize()) for t in texts(fig) if t.get_fontsize() < plots.MIN_FONT_PT]
    assert not small, f"{name}: text under {plots.MIN_FONT_PT} pt: {small}"
    # Mathtext draws sub- and superscripts at 70% of the font size, under the minimum.
    maths = [t.get_text() for t in texts(fig) if re.search(r"(?<!\\)\$", t.get_text())]
    assert not maths, f"{name}: mathtext, whose sub- and superscripts are small: {maths}"


@pytest.mark.parametrize("name", FIGURES)
def test_no_two_labels_overlap(name):
    fig, renderer = drawn(FIGURES[name]())
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            assert not overlapping_pairs(tick_labels(axis), renderer), f"{name}: tick labels overlap"
    # Titles, axis labels, legend entries, annotations and tick labels of different axes: none on another
    # (a legend's own entries are laid out by matplotlib in rows and columns, so they are compared as one box).
    in_legends = {id(t) for leg in legends(fig) for t in leg.get_texts() + [leg.get_title()]}
    free = [t for t in texts(fig) if id(t) not in in_legends]
    pairs = overlapping_pairs(free, renderer)
    assert not pairs, f"{name}: overlapping text: {pairs}"
    for leg in legends(fig):
        box = leg.get_window_extent(renderer)
        hit = [t.get_text() for t in free if t.get_window_extent(renderer).overlaps(box)]
        assert not hit, f"{name}: the legend covers {hit}"


@pytest.mark.parametrize("name", FIGURES)
def test_nothing_is_cut_off_and_legends_hide_no_data(name):
    fig, renderer = drawn(FIGURES[name]())
    page = fig.bbox
    cut = [t.get_text() for t in texts(fig)
           if not (page.x0 - 1 <= t.get_window_extent(renderer).x0 and t.get_window_extent(renderer).x1 <= page.x1 + 1
                   and page.y0 - 1 <= t.get_window_extent(renderer).y0
                   and t.get_window_extent(renderer).y1 <= page.y1 + 1)]
    assert not cut, f"{name}: text outside the figure: {cut}"
    for ax in fig.axes:
        # Point labels stay inside their axes, where the reader looks for them, not across an axis line.
        for label in point_labels(ax):
            box = label.get_window_extent(renderer)
            assert (ax.bbox.x0 <= box.x0 and box.x1 <= ax.bbox.x1 and ax.bbox.y0 <= box.y0 and box.y1 <= ax.bbox.y1), \
                f"{name}: the label {label.get_text()!r} crosses the edge of its axes"
        for leg in legends(fig):
            box = leg.get_window_extent(renderer)
            hidden = [p for p in data_points(ax) if box.contains(*p)]
            assert not hidden, f"{name}: the legend hides {len(hidden)} data points"
            assert not [b for b in bars(ax) if b.overlaps(box)], f"{name}: the legend covers bars"


@pytest.mark.parametrize("model, kinds", [(mc.ConvMobileNet, ["conv", "fc"]),
                                          (mc.MobileNetV1, ["conv", "depthwise", "pointwise", "fc"])])
def test_layer_costs_legend_lists_only_the_kinds_present(model, kinds):
    fig = plots.layer_costs_plot(mc.costs.profile(model()))
    (legend,) = legends(fig)
    assert [t.get_text() for t in legend.get_texts()] == kinds


def test_log_axes_are_labelled_with_plain_numbers():
    fig, _ = drawn(plots.accuracy_cost_plot(mc.family.grid()))
    labels = [t.get_text() for t in tick_labels(fig.axes[0].xaxis)]
    assert labels and all(re.fullmatch(r"\d+(\.\d+)?", label) for label in labels), labels


def test_width_ratio_ticks_are_the_alpha_squares():
    fig, _ = drawn(plots.width_ratio_plot([0.75, 0.5, 0.25]))
    assert [t.get_text() for t in tick_labels(fig.axes[0].yaxis)] == ["0.0625", "0.25", "0.5625", "1"]


def test_the_checks_catch_the_old_log_axis_and_legend():
    # Negative control: matplotlib's default log labels on chapter 6's range (minor labels "3x10^1" and "4x10^1"
    # run into each other) and a legend laid over the data, as the figures were drawn before.
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(np.geomspace(14, 569, 40), np.linspace(41, 71, 40), marker="o", label="a line")
    ax.set_xscale("log")
    ax.legend(loc="center", fontsize=30)
    fig, renderer = drawn(fig)
    assert overlapping_pairs(tick_labels(ax.xaxis), renderer)
    box = ax.get_legend().get_window_extent(renderer)
    assert [p for p in data_points(ax) if box.contains(*p)]
    assert [t for t in texts(fig) if t.get_fontsize() < plots.MIN_FONT_PT or "$" in t.get_text()]
    # and a point label that runs across the axes' edge, as chapter 7's did
    ax.annotate("0.25-MobileNet-28", (14, 41), textcoords="offset points", xytext=(4, -10))
    fig, renderer = drawn(fig)
    box = point_labels(ax)[0].get_window_extent(renderer)
    assert box.y0 < ax.bbox.y0

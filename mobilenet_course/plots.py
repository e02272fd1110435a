"""Figures of the book, kept here so that chapters show one line instead of plotting boilerplate.

Every figure is :data:`FIGURE_WIDTH` inches wide with no text under :data:`MIN_FONT_PT` points, so that it reads on
a phone as well as on a desktop: the notebooks show figures as SVG (:func:`mobilenet_course.notebook.setup`), which a
browser scales down to a phone's column (about 340 px on a 390 px phone), and 10.5 pt text in a 4.8-inch figure
(461 px, 471 px with its margin) is still drawn at about 10 px there. Legends list only what a figure draws and sit where no data is; log axes are labelled with
plain numbers (1, 2, 5 times a power of ten) instead of scientific notation, whose exponents are small text.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator

from . import bench
from .costs import KINDS, Profile, reduction_ratio

__all__ = ["reduction_ratio_plot", "cost_by_kind_plot", "layer_costs_plot", "width_ratio_plot", "accuracy_cost_plot",
           "image_grid", "accuracy_mult_adds_plot", "training_curves_plot", "latency_plot", "KIND_COLOURS", "STYLE",
           "FIGURE_WIDTH", "MIN_FONT_PT"]

KIND_COLOURS = {"conv": "#7f7f7f", "depthwise": "#1f77b4", "pointwise": "#ff7f0e", "fc": "#2ca02c"}

FIGURE_WIDTH = 4.8
"""Width of every figure in inches (461 CSS px): under the book's desktop column (about 690 px)."""

MIN_FONT_PT = 10.5
"""The smallest text of any figure, in points (1/72 inch): shown 340 px wide, a figure of 4.8 inches and 0.05-inch
margins draws it at 10.5 / 72 * 96 * 340 / 471 = 10.1 px."""

STYLE = {
    "figure.figsize": (FIGURE_WIDTH, 3.2), "figure.dpi": 100, "savefig.pad_inches": 0.05, "font.size": MIN_FONT_PT,
    "axes.titlesize": 11.5, "axes.labelsize": MIN_FONT_PT, "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT, "legend.fontsize": MIN_FONT_PT, "legend.title_fontsize": MIN_FONT_PT,
    "figure.titlesize": 11.5,
    "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
    # SVG keeps text as text (sharp at any zoom, and its size can be checked); the salt makes its ids reproducible.
    "svg.fonttype": "none", "svg.hashsalt": "mobilenet-course",
}
"""Matplotlib settings of the book's figures, applied by :func:`mobilenet_course.notebook.setup`."""


def _figure(*args, **kwargs):
    """``plt.subplots`` under :data:`STYLE`, with constrained layout (nothing cut off, legends outside fit)."""
    with plt.rc_context(STYLE):
        return plt.subplots(*args, layout="constrained", **kwargs)


def _plain_log_axis(axis, subs: Sequence[float] = (1, 2, 5)) -> None:
    """Major ticks at ``subs`` times powers of ten written as plain numbers (20, 50, 100); no minor labels."""
    axis.set_major_locator(LogLocator(subs=subs))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


def _kinds_present(kinds: Sequence[str]) -> list[str]:
    """The layer kinds that occur in ``kinds``, in the order of :data:`KINDS`."""
    return [k for k in KINDS if k in set(kinds)]


def _kind_legend(fig: Figure, kinds: Sequence[str]) -> None:
    """One colour patch per layer kind in ``kinds``, in a row below the axes."""
    fig.legend(handles=[Patch(color=KIND_COLOURS[k], label=k) for k in kinds], loc="outside lower center",
               ncols=len(kinds), frameon=False)


def reduction_ratio_plot(ns: Sequence[int], kernels: Sequence[int] = (3, 5, 7)) -> Figure:
    """The reduction ``1/N + 1/D_K^2`` against N for a few kernel sizes, with its floor ``1/D_K^2`` (chapter 2)."""
    fig, ax = _figure(figsize=(FIGURE_WIDTH, 3.6))
    for d_k in kernels:
        line, = ax.plot(ns, [float(reduction_ratio(d_k, n)) for n in ns], marker=".", label=f"{d_k}×{d_k} kernel")
        ax.axhline(1 / d_k**2, color=line.get_color(), linestyle=":", linewidth=1.2)
    ax.plot([], [], color="black", linestyle=":", linewidth=1.2,
            label="floor " + ", ".join(f"1/{d_k**2}" for d_k in kernels))
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(list(ns)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yscale("log")
    _plain_log_axis(ax.yaxis)
    ax.set_xlabel("output channels N")
    ax.set_ylabel("separable / standard cost")
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return fig


def cost_by_kind_plot(profile: Profile) -> Figure:
    """Shares of mult-adds and parameters by layer kind, as two stacked bars (chapter 3, paper Table 2)."""
    fig, ax = _figure(figsize=(FIGURE_WIDTH, 2.4))
    shares = profile.shares()
    for row, index in ((0, 0), (1, 1)):
        left = 0.0
        for kind in KINDS:
            share = shares[kind][index]
            ax.barh(row, share, left=left, color=KIND_COLOURS[kind])
            if share > 0.1:
                ax.text(left + share / 2, row, f"{share:.0%}", ha="center", va="center", color="white")
            left += share
    ax.set_yticks([0, 1], ["mult-adds", "parameters"])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0%}"))
    ax.set_xlabel("share of the whole network")
    kinds = [k for k in KINDS if any(shares[k])]
    _kind_legend(fig, kinds)
    ax.grid(False)
    return fig


def layer_costs_plot(profile: Profile) -> Figure:
    """Mult-adds and parameters of every layer, coloured by kind; the legend lists the kinds present (chapters 1, 3)."""
    fig, axes = _figure(2, 1, figsize=(FIGURE_WIDTH, 4.4), sharex=True)
    x = range(len(profile.layers))
    colours = [KIND_COLOURS[r.kind] for r in profile.layers]
    axes[0].bar(x, [r.mult_adds / 1e6 for r in profile.layers], color=colours)
    axes[0].set_ylabel("million mult-adds")
    axes[1].bar(x, [r.params / 1e6 for r in profile.layers], color=colours)
    axes[1].set_ylabel("million params")
    axes[1].set_xlabel("layer (in forward order)")
    kinds = _kinds_present([r.kind for r in profile.layers])
    _kind_legend(fig, kinds)
    if profile.name:
        fig.suptitle(profile.name)
    return fig


def width_ratio_plot(alphas: Sequence[float]) -> Figure:
    """Each layer's cost at alpha over its cost at 1, against alpha^2 (chapter 4).

    The dotted lines are at alpha^2, labelled on the right with their alpha; the y ticks are those alpha^2 and 1.
    """
    from .family import family_costs, layer_table

    table = layer_table()
    base = family_costs(1.0, 224, table)
    fig, ax = _figure(figsize=(FIGURE_WIDTH, 3.4))
    for alpha in alphas:
        ratios = [c.mult_adds / b.mult_adds for c, b in zip(family_costs(alpha, 224, table), base)]
        ax.scatter(range(len(ratios)), ratios, c=[KIND_COLOURS[r["kind"]] for r in table], s=16, zorder=3)
        ax.axhline(alpha**2, color="black", linestyle=":", linewidth=1)
        ax.annotate(f"α = {alpha:g}", (1, alpha**2), xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", va="center", ha="left")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(FixedLocator(sorted({a**2 for a in alphas} | {1.0})))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylim(min(alphas) ** 2 / 1.3, 1.3)
    ax.set_xlabel("layer (in forward order)")
    ax.set_ylabel("mult-adds at α / at 1")
    kinds = _kinds_present([r["kind"] for r in table])
    handles = [Line2D([], [], marker="o", linestyle="", color=KIND_COLOURS[k], label=k) for k in kinds]
    fig.legend(handles=handles, loc="outside upper center", ncols=len(kinds), frameon=False)
    return fig


def accuracy_cost_plot(models, highlight: str | None = None, x: str = "mult_adds") -> Figure:
    """ImageNet top-1 against mult-adds (log scale) for grid models, one line per alpha (chapter 6).

    ``x="latency_ms"`` puts measured latency on the horizontal axis instead. The points of the narrowest alpha's
    line carry their resolution; the legend, in the empty lower right, names the lines.
    """
    fig, ax = _figure(figsize=(FIGURE_WIDTH, 3.6))
    scale = 1e6 if x == "mult_adds" else 1
    alphas = sorted({m.alpha for m in models}, reverse=True)
    for alpha in alphas:
        row = sorted((m for m in models if m.alpha == alpha), key=lambda m: getattr(m, x))
        xs = [getattr(m, x) / scale for m in row]
        ax.plot(xs, [m.top1 for m in row], marker="o", label=f"α = {alpha:g}")
        if alpha == alphas[-1]:
            for m, xv in zip(row, xs):
                ax.annotate(f"{m.resolution} px", (xv, m.top1), textcoords="offset points", xytext=(6, -3),
                            ha="left", va="top")
    if highlight is not None:
        m = next(m for m in models if m.name == highlight)
        ax.scatter([getattr(m, x) / scale], [m.top1], s=160, facecolors="none", edgecolors="red", linewidths=2,
                   zorder=5, label=highlight)
    ax.set_xscale("log")
    _plain_log_axis(ax.xaxis, subs=(1, 2, 3, 5))
    ax.margins(x=0.08, y=0.08)
    ax.set_xlabel("million mult-adds (log scale)" if x == "mult_adds" else "measured latency, ms (log scale)")
    ax.set_ylabel("ImageNet top-1 (%)")
    ax.legend(loc="lower right")
    return fig


def image_grid(images, labels, class_names: Sequence[str], n: int = 10, columns: int = 5) -> Figure:
    """The first ``n`` images (uint8, N x C x H x W) with their class names, ``columns`` to a row (chapter 7)."""
    rows = -(-n // columns)
    fig, axes = _figure(rows, columns, figsize=(FIGURE_WIDTH, 1.25 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < min(n, len(images)):
            image = images[i]
            ax.imshow(image.permute(1, 2, 0).squeeze(-1).numpy(), cmap="gray" if image.shape[0] == 1 else None)
            ax.set_title(class_names[int(labels[i])], fontsize=MIN_FONT_PT)
    return fig


def accuracy_mult_adds_plot(rows: Sequence[dict]) -> Figure:
    """Test accuracy against mult-adds for trained models (rows with mult_adds, test_accuracy, model), chapter 7.

    Each point carries its model's name above it, running right from points in the left half of the axes and left
    from points in the right half, so that no name leaves the axes.
    """
    fig, ax = _figure()
    xs = [r["mult_adds"] / 1e6 for r in rows]
    ys = [100 * r["test_accuracy"] for r in rows]
    ax.scatter(xs, ys, s=40, c=[f"C{i}" for i in range(len(rows))], zorder=3)
    ax.set_xscale("log")
    _plain_log_axis(ax.xaxis, subs=(1, 2, 3, 5))
    ax.margins(x=0.15, y=0.2)
    ax.set_xlabel("million mult-adds per image (log scale)")
    ax.set_ylabel("test accuracy (%)")
    fig.canvas.draw()  # fixes the limits, so that each label can be placed by where its point is
    for r, xv, yv in zip(rows, xs, ys):
        left_half = ax.transAxes.inverted().transform(ax.transData.transform((xv, yv)))[0] < 0.5
        ax.annotate(r["model"], (xv, yv), textcoords="offset points", xytext=(-4 if left_half else 4, 7),
                    ha="left" if left_half else "right", va="bottom")
    return fig


def training_curves_plot(epochs: Sequence) -> Figure:
    """Loss and accuracy against epoch, training and test (``History.plot``, chapter 7): two panels, one legend."""
    fig, (ax1, ax2) = _figure(1, 2, figsize=(FIGURE_WIDTH, 2.8))
    x = [e.epoch for e in epochs]
    ax1.plot(x, [e.train_loss for e in epochs], marker="o", label="train")
    ax1.plot(x, [e.test_loss for e in epochs], marker="o", label="test")
    ax1.set_ylabel("loss")
    ax2.plot(x, [100 * e.train_accuracy for e in epochs], marker="o", label="train")
    ax2.plot(x, [100 * e.test_accuracy for e in epochs], marker="o", label="test")
    ax2.set_ylabel("accuracy (%)")
    for ax in (ax1, ax2):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(FixedLocator(x))
    fig.legend(handles=ax1.get_lines(), loc="outside upper center", ncols=2, frameon=False)  # one for both panels
    return fig


def latency_plot(rows: Sequence[dict], title: str = "") -> Figure:
    """Measured latency against mult-adds (log-log), one series per machine and path (chapter 8 and `report`)."""
    fig, ax = _figure(figsize=(FIGURE_WIDTH, 3.6))
    series: dict[str, list[dict]] = {}
    for r in rows:
        machine = r.get("machine", {})
        label = f"{bench.machine_label(machine, threads=r.get('threads', '?'))}: {r['path']}"
        series.setdefault(label, []).append(r)
    for label, points in series.items():
        points = sorted(points, key=lambda r: r["mult_adds"])
        ax.errorbar([p["mult_adds"] / 1e6 for p in points], [p["median_ms"] for p in points],
                    yerr=[[p["median_ms"] - p["p10_ms"] for p in points], [p["p90_ms"] - p["median_ms"] for p in points]],
                    marker="o", capsize=2, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # ticks at 1, 2, 5 x 10^k, written as plain numbers
        _plain_log_axis(axis)
    ax.set_xlabel("million mult-adds (log scale)")
    ax.set_ylabel("latency, ms (log scale)\nmedian, bars p10-p90")
    if title:
        ax.set_title(title)
    fig.legend(loc="outside lower center", ncols=1, frameon=False)
    return fig


def miniature_plot(summaries, paper_points, x: str = "mult_adds") -> Figure:
    """The paper's Figure 4 (``x="mult_adds"``) or Figure 5 (``x="params"``) beside its miniature (chapter 9).

    Left: Fashion-MNIST test accuracy of the miniature sweep (:func:`mobilenet_course.experiments.summarise`), the
    mean over seeds with bars from the lowest to the highest seed, one line per alpha, and the full-convolution and
    shallow variants as single points. Right: the paper's 16 models on ImageNet
    (:func:`mobilenet_course.experiments.paper_grid_points`). Both on a logarithmic cost axis.
    """
    fig, (mini, paper) = _figure(1, 2, figsize=(FIGURE_WIDTH, 3.4))
    index = {"mult_adds": 3, "params": 4}[x]
    for alpha in sorted({s.alpha for s in summaries if s.architecture == "MobileNet"}, reverse=True):
        row = sorted((s for s in summaries if s.architecture == "MobileNet" and s.alpha == alpha),
                     key=lambda s: getattr(s, x))
        xs = [getattr(s, x) / 1e6 for s in row]
        line = mini.errorbar(xs, [s.mean for s in row], yerr=[[s.mean - s.low for s in row],
                                                               [s.high - s.mean for s in row]],
                             marker="o", capsize=2, label=f"α = {alpha:g}")
        points = sorted((p for p in paper_points if p[0] == alpha), key=lambda p: p[index])
        paper.plot([p[index] / 1e6 for p in points], [p[2] for p in points], marker="o",
                   color=line.lines[0].get_color())
    for architecture, marker in (("ConvMobileNet", "s"), ("ShallowMobileNet", "^")):
        for s in (s for s in summaries if s.architecture == architecture):
            mini.errorbar([getattr(s, x) / 1e6], [s.mean], yerr=[[s.mean - s.low], [s.high - s.mean]], marker=marker,
                          color="black", linestyle="none", capsize=2, label=f"{s.name}")
    for ax, title, label in ((mini, "miniature (Fashion-MNIST)", "test accuracy (%)"),
                             (paper, "paper (ImageNet, TF-slim)", "top-1 (%)")):
        ax.set_xscale("log")
        _plain_log_axis(ax.xaxis, subs=(1, 2, 5))
        ax.set_xlabel(("million mult-adds" if x == "mult_adds" else "million parameters") + " (log scale)")
        ax.set_ylabel(label)
        ax.set_title(title)
        ax.margins(x=0.08, y=0.08)
    fig.legend(*mini.get_legend_handles_labels(), loc="outside lower center", ncols=3, frameon=False)
    return fig

"""Figures of the book, kept here so that chapters show one line instead of plotting boilerplate."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from .costs import KINDS, Profile, reduction_ratio

__all__ = ["reduction_ratio_plot", "cost_by_kind_plot", "layer_costs_plot", "KIND_COLOURS"]

KIND_COLOURS = {"conv": "#7f7f7f", "depthwise": "#1f77b4", "pointwise": "#ff7f0e", "fc": "#2ca02c"}


def reduction_ratio_plot(ns: Sequence[int], kernels: Sequence[int] = (3, 5, 7)) -> Figure:
    """The reduction ``1/N + 1/D_K^2`` against N for a few kernel sizes, with its floor ``1/D_K^2`` (chapter 2)."""
    fig, ax = plt.subplots()
    for d_k in kernels:
        line, = ax.plot(ns, [float(reduction_ratio(d_k, n)) for n in ns], marker=".", label=f"$D_K = {d_k}$")
        ax.axhline(1 / d_k**2, color=line.get_color(), linestyle=":", linewidth=1)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("output channels $N$")
    ax.set_ylabel("separable / standard cost")
    ax.set_title("Cost reduction $1/N + 1/D_K^2$ (dotted: the floor $1/D_K^2$)")
    ax.legend()
    fig.tight_layout()
    return fig


def cost_by_kind_plot(profile: Profile) -> Figure:
    """Shares of mult-adds and parameters by layer kind, as two stacked bars (chapter 3, paper Table 2)."""
    fig, ax = plt.subplots(figsize=(6.4, 2.4))
    shares = profile.shares()
    for row, (label, index) in enumerate((("mult-adds", 0), ("parameters", 1))):
        left = 0.0
        for kind in KINDS:
            share = shares[kind][index]
            ax.barh(row, share, left=left, color=KIND_COLOURS[kind], label=kind if row == 0 else None)
            if share > 0.05:
                ax.text(left + share / 2, row, f"{share:.0%}", ha="center", va="center", color="white")
            left += share
    ax.set_yticks([0, 1], ["mult-adds", "parameters"])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the whole network")
    ax.legend(ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.35), frameon=False)
    ax.grid(False)
    fig.tight_layout()
    return fig


def layer_costs_plot(profile: Profile) -> Figure:
    """Mult-adds and parameters of every layer, coloured by kind (chapter 3)."""
    fig, axes = plt.subplots(2, 1, figsize=(7.5, 4.5), sharex=True)
    x = range(len(profile.layers))
    colours = [KIND_COLOURS[r.kind] for r in profile.layers]
    axes[0].bar(x, [r.mult_adds / 1e6 for r in profile.layers], color=colours)
    axes[0].set_ylabel("million mult-adds")
    axes[1].bar(x, [r.params / 1e6 for r in profile.layers], color=colours)
    axes[1].set_ylabel("million params")
    axes[1].set_xlabel("layer (in forward order)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=KIND_COLOURS[k]) for k in KINDS]
    axes[0].legend(handles, KINDS, ncols=4, loc="upper left", frameon=False)
    axes[0].set_title(profile.name)
    fig.tight_layout()
    return fig


def width_ratio_plot(alphas: Sequence[float]) -> Figure:
    """Each layer's cost at alpha over its cost at 1, against alpha^2 (chapter 4)."""
    from .family import family_costs, layer_table

    table = layer_table()
    base = family_costs(1.0, 224, table)
    fig, ax = plt.subplots()
    for alpha in alphas:
        ratios = [c.mult_adds / b.mult_adds for c, b in zip(family_costs(alpha, 224, table), base)]
        dots = ax.scatter(range(len(ratios)), ratios, c=[KIND_COLOURS[r["kind"]] for r in table], s=14)
        ax.axhline(alpha**2, color="black", linestyle=":", linewidth=1)
        ax.text(len(ratios) - 0.5, alpha**2, f" $\\alpha^2$ = {alpha**2:.3g}", va="bottom", ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("layer (in forward order)")
    ax.set_ylabel("mult-adds at $\\alpha$ / at 1")
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=KIND_COLOURS[k]) for k in KINDS]
    ax.legend(handles, KINDS, ncols=4, fontsize=8, loc="lower left")
    ax.set_title(f"Per-layer cost ratio for $\\alpha$ in {', '.join(f'{a:g}' for a in alphas)}")
    fig.tight_layout()
    return fig


def accuracy_cost_plot(models, highlight: str | None = None, x: str = "mult_adds") -> Figure:
    """ImageNet top-1 against mult-adds (log scale) for grid models, one line per alpha (chapter 6).

    ``x="latency_ms"`` puts measured latency on the horizontal axis instead.
    """
    fig, ax = plt.subplots()
    alphas = sorted({m.alpha for m in models}, reverse=True)
    for alpha in alphas:
        row = sorted((m for m in models if m.alpha == alpha), key=lambda m: getattr(m, x))
        xs = [getattr(m, x) / (1e6 if x == "mult_adds" else 1) for m in row]
        ax.plot(xs, [m.top1 for m in row], marker="o", label=f"$\\alpha$ = {alpha:g}")
        for m, xv in zip(row, xs):
            ax.annotate(str(m.resolution), (xv, m.top1), textcoords="offset points", xytext=(3, -9), fontsize=7)
    if highlight is not None:
        m = next(m for m in models if m.name == highlight)
        ax.scatter([getattr(m, x) / (1e6 if x == "mult_adds" else 1)], [m.top1], s=160, facecolors="none",
                   edgecolors="red", linewidths=2, zorder=5, label=highlight)
    ax.set_xscale("log")
    ax.set_xlabel("million mult-adds (log scale)" if x == "mult_adds" else "measured latency, ms (log scale)")
    ax.set_ylabel("ImageNet top-1 (%)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def image_grid(images, labels, class_names: Sequence[str], n: int = 10) -> Figure:
    """The first ``n`` images (uint8, N x C x H x W) with their class names (chapter 7)."""
    fig, axes = plt.subplots(1, n, figsize=(1.2 * n, 1.6))
    for ax, image, label in zip(axes, images[:n], labels[:n]):
        ax.imshow(image.permute(1, 2, 0).squeeze(-1).numpy(), cmap="gray" if image.shape[0] == 1 else None)
        ax.set_title(class_names[int(label)], fontsize=7)
        ax.axis("off")
    fig.tight_layout()
    return fig


def accuracy_mult_adds_plot(rows: Sequence[dict]) -> Figure:
    """Test accuracy against mult-adds for trained models (rows with mult_adds, test_accuracy, model), chapter 7."""
    fig, ax = plt.subplots()
    for r in rows:
        ax.scatter(r["mult_adds"] / 1e6, 100 * r["test_accuracy"], s=40)
        ax.annotate(r["model"], (r["mult_adds"] / 1e6, 100 * r["test_accuracy"]), textcoords="offset points",
                    xytext=(4, -10), fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("million mult-adds per image (log scale)")
    ax.set_ylabel("test accuracy (%)")
    fig.tight_layout()
    return fig


def latency_plot(rows: Sequence[dict], title: str = "") -> Figure:
    """Measured latency against mult-adds (log-log), one series per machine and path (chapter 8 and `report`)."""
    fig, ax = plt.subplots()
    series: dict[str, list[dict]] = {}
    for r in rows:
        machine = r.get("machine", {})
        label = f"{machine.get('cpu', '?')} ({machine.get('arch', '?')}, {r.get('threads', '?')} thr): {r['path']}"
        series.setdefault(label, []).append(r)
    for label, points in series.items():
        points = sorted(points, key=lambda r: r["mult_adds"])
        ax.errorbar([p["mult_adds"] / 1e6 for p in points], [p["median_ms"] for p in points],
                    yerr=[[p["median_ms"] - p["p10_ms"] for p in points], [p["p90_ms"] - p["median_ms"] for p in points]],
                    marker="o", capsize=2, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # ticks at 1, 2, 5 x 10^k, written as plain numbers
        axis.set_major_locator(LogLocator(subs=(1, 2, 5)))
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("million mult-adds (log scale)")
    ax.set_ylabel("median latency, ms (log scale; bars p10-p90)")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig

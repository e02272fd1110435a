"""Interactive widgets of the course: the cost explorer of M(alpha, rho), the budget picker and "measure on this
device".

All three are anywidgets whose arithmetic runs in JavaScript (``static/*.js``) from data that Python hands over, so they
respond in Jupyter (ipywidgets 8), Google Colab (ipywidgets 7.7) and the static published book, where there is no
kernel. The Python methods compute the same values with the package, for tests and for scripts.

Book: chapter 4 (cost explorer), chapter 6 (budget picker), chapter 8 (measure on this device: it times the model in
the browser with ONNX Runtime Web, from files the published book serves; in Jupyter and Colab it says where to run it).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import anywidget
import traitlets

from . import checks, family
from .model import MAX_CLASSES, REFERENCE_RESOLUTION

__all__ = ["CostExplorer", "BudgetPicker", "DeviceBenchmark", "ALPHA_RANGE", "RESOLUTION_RANGE", "WidgetArgumentError"]

STATIC = Path(__file__).parent / "static"
ALPHA_RANGE = (0.25, 1.0)
"""The explorer's alpha slider: the paper's range, in steps of 0.01."""
RESOLUTION_RANGE = (32, 320)
"""The explorer's resolution slider, in pixels (steps of 1; buttons for 224, 192, 160 and 128)."""


class WidgetArgumentError(checks.ArgumentError, traitlets.TraitError):
    """A widget argument of the wrong type or out of its range: a ``ValueError`` (as the package's other argument
    errors, :class:`mobilenet_course.checks.ArgumentError`) and a ``traitlets.TraitError`` (as traitlets raises when
    a trait is set to a bad value)."""


def _checked(check, *args, **kwargs):
    """Run a :mod:`~mobilenet_course.checks` rule, raising :class:`WidgetArgumentError` when it fails."""
    try:
        return check(*args, **kwargs)
    except checks.ArgumentError as error:
        raise WidgetArgumentError(str(error)) from None


def _alpha(value, name: str = "alpha") -> float:
    return _checked(checks.number, value, name, low=ALPHA_RANGE[0], high=ALPHA_RANGE[1],
                    hint=" (the explorer's slider)")


def _resolution(value, name: str = "resolution") -> int:
    return _checked(checks.whole, value, name, low=RESOLUTION_RANGE[0], high=RESOLUTION_RANGE[1],
                    hint=" (pixels, the explorer's slider)")


def _budget(value, name: str) -> float | None:
    return _checked(checks.number, value, name, low=0, low_open=True, allow_none=True,
                    hint=" (None means no limit)")


class _Checked(traitlets.TraitType):
    """A trait whose values follow the package's rules (``rule(value, name)``), when built and whenever set:
    NumPy scalars are numbers; bools and strings are not (traitlets' Float and Int would take True as 1)."""

    def __init__(self, rule, default_value, **kwargs) -> None:
        self.rule = rule
        super().__init__(default_value, **kwargs)

    def validate(self, obj, value):
        return self.rule(value, self.name)


def _module(name: str) -> str:
    """A widget's JavaScript module: the shared helpers, then the widget's own file."""
    return (STATIC / "common.js").read_text() + "\n" + (STATIC / name).read_text()


class CostExplorer(anywidget.AnyWidget):
    """Sliders for alpha and resolution; shows mult-adds, parameters, size, the ratio to 1.0-MobileNet-224 next to
    alpha^2 rho^2, and a per-layer bar chart coloured by kind.

    Parameters
    ----------
    alpha : float
        Starting width multiplier, in [0.25, 1.0].
    resolution : int
        Starting input resolution in pixels, a whole number in [32, 320].
    num_classes : int
        Classifier outputs (1000 for ImageNet).

    Raises
    ------
    WidgetArgumentError
        A ``ValueError`` (and ``traitlets.TraitError``) naming the argument, for a value of the wrong type (a bool or
        a string; NumPy scalars are accepted) or off the sliders, here or when ``alpha`` or ``resolution`` is set
        later.

    Examples
    --------
    >>> explorer = CostExplorer(alpha=0.5)
    >>> round(explorer.values()["mult_adds"] / 1e6, 1)
    149.5
    """

    _esm = _module("cost_explorer.js")
    _css = STATIC / "widgets.css"
    alpha = _Checked(_alpha, 1.0).tag(sync=True)
    resolution = _Checked(_resolution, REFERENCE_RESOLUTION).tag(sync=True)
    layers = traitlets.List(traitlets.Dict()).tag(sync=True)

    def __init__(self, alpha: float = 1.0, resolution: int = REFERENCE_RESOLUTION, num_classes: int = 1000,
                 **kwargs) -> None:
        num_classes = _checked(checks.whole, num_classes, "num_classes", low=1, high=MAX_CLASSES)
        super().__init__(alpha=_alpha(alpha), resolution=_resolution(resolution),
                         layers=family.layer_table(num_classes), **kwargs)

    def values(self) -> dict[str, object]:
        """What the widget shows for its current alpha and resolution, computed in Python."""
        costs = family.family_costs(self.alpha, self.resolution, self.layers)
        base = family.family_costs(1.0, REFERENCE_RESOLUTION, self.layers)
        mult_adds = sum(c.mult_adds for c in costs)
        params = sum(c.params for c in costs)
        rho = self.resolution / REFERENCE_RESOLUTION
        by_kind: dict[str, int] = {}
        for row, cost in zip(self.layers, costs):
            by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + cost.mult_adds
        return {
            "mult_adds": mult_adds,
            "params": params,
            "size_mb": params * family.BYTES_PER_PARAM / 1e6,
            "ratio": mult_adds / sum(c.mult_adds for c in base),
            "alpha2_rho2": self.alpha**2 * rho**2,
            "layer_mult_adds": [c.mult_adds for c in costs],
            "mult_adds_by_kind": by_kind,
        }

    def __repr__(self) -> str:  # stable text for stored notebook outputs (no object address)
        return f"CostExplorer(alpha={self.alpha:g}, resolution={self.resolution})"


class BudgetPicker(anywidget.AnyWidget):
    """Budgets on mult-adds, size and (with a measured table) latency; shows the most accurate grid model within them
    on the accuracy-versus-mult-adds plot.

    Parameters
    ----------
    max_mult_adds_m, max_size_mb, max_latency_ms : float, optional
        Starting budgets (millions of mult-adds, megabytes of fp32 weights, milliseconds): positive, finite numbers
        (NumPy scalars too), or None for no limit. A latency budget needs ``latencies``.
    latencies : mapping of model name to milliseconds, optional
        Measured latencies, e.g. ``family.load_latencies("results.json")`` from ``mobilenet-course bench --grid``.
        It must hold all 16 models of the grid (by their names, ``"1.0-MobileNet-224"``), each a positive number.

    Raises
    ------
    WidgetArgumentError
        A ``ValueError`` (and ``traitlets.TraitError``) for a budget that is not None or a positive, finite number
        (0, negative, infinite, NaN, a bool or a string), here or when a budget is set later.
    ValueError
        For a latency table that misses models of the grid (naming them), or a latency budget without a table.

    A valid budget that no model meets is not an error: :meth:`best` returns None and the widget reads "No model
    of the grid fits this budget." (``family.pick`` with the same budgets says what the cheapest model needs).
    """

    _esm = _module("budget_picker.js")
    _css = STATIC / "widgets.css"
    models = traitlets.List(traitlets.Dict()).tag(sync=True)
    max_mult_adds_m = _Checked(_budget, None, allow_none=True).tag(sync=True)
    max_size_mb = _Checked(_budget, None, allow_none=True).tag(sync=True)
    max_latency_ms = _Checked(_budget, None, allow_none=True).tag(sync=True)

    def __init__(self, max_mult_adds_m: float | None = None, max_size_mb: float | None = None,
                 max_latency_ms: float | None = None, latencies: Mapping[str, float] | None = None,
                 **kwargs) -> None:
        budgets = {"max_mult_adds_m": max_mult_adds_m, "max_size_mb": max_size_mb, "max_latency_ms": max_latency_ms}
        budgets = {name: _budget(value, name) for name, value in budgets.items()}
        if budgets["max_latency_ms"] is not None and latencies is None:
            raise ValueError("max_latency_ms needs a latency table: pass latencies={model name: milliseconds}")
        self._grid = family.grid(latencies)
        missing = [m.name for m in self._grid if m.latency_ms is None]
        if latencies is not None and missing:
            raise ValueError(
                f"the latency table misses {len(missing)} of the grid's {len(self._grid)} models: "
                f"{', '.join(missing)}. Measure them all (`mobilenet-course bench --grid --out results.json`, then "
                "family.load_latencies('results.json')), or leave latencies out and budget mult-adds and size only.")
        super().__init__(models=family.as_rows(self._grid), **budgets, **kwargs)

    def best(self) -> family.GridModel | None:
        """The model the widget shows, computed in Python; None when no model meets the budgets (the widget then
        reads "No model of the grid fits this budget.").

        Raises ValueError when a latency budget is set on a picker without a latency table.
        """
        if self.max_latency_ms is not None and any(m.latency_ms is None for m in self._grid):
            raise ValueError("max_latency_ms needs a latency table: build the picker with "
                             "latencies={model name: milliseconds}")
        try:
            return family.pick(self._grid,
                               max_mult_adds=None if self.max_mult_adds_m is None else self.max_mult_adds_m * 1e6,
                               max_size_mb=self.max_size_mb, max_latency_ms=self.max_latency_ms)
        except family.NoModelFits:
            return None

    def __repr__(self) -> str:
        return (f"BudgetPicker(max_mult_adds_m={self.max_mult_adds_m}, max_size_mb={self.max_size_mb}, "
                f"max_latency_ms={self.max_latency_ms})")


class DeviceBenchmark(anywidget.AnyWidget):
    """Pick a width and resolution (or the paper's whole grid), press Run, and MobileNet is timed in the reader's
    browser with ONNX Runtime Web (WebAssembly): median, p10 and p90 like :func:`mobilenet_course.bench.benchmark`,
    plotted against mult-adds beside ``stored`` rows, with a button that copies the rows (the package's schema) as
    JSON for ``mobilenet-course report``.

    It runs in the published book, which serves the runtime (npm's ``onnxruntime-web``) and one ONNX file per width
    (:mod:`mobilenet_course.browser`); nothing is fetched before Run. In Jupyter and Colab it shows one line saying
    where to run it and pointing at :func:`benchmark_panel`, which times on the kernel's machine. On its page it
    also defines ``window.mobilenetCourse.measure({alpha, resolution, runs})`` and ``.logits({alpha, resolution})``.

    Parameters
    ----------
    stored : list of result rows, optional
        Latency rows to plot beside this device's (:func:`mobilenet_course.bench.check_latency_row` says what a row
        needs), for instance ``bench.read_results(bench.bundled_results("grid-latency-amd-epyc-2-cores.json"))``.
        A bad row is a ``ValueError`` naming it.

    Book: chapter 8, "Measure on this device".
    """

    _esm = _module("device_benchmark.js")
    _css = STATIC / "widgets.css"
    layers = traitlets.List(traitlets.Dict()).tag(sync=True)
    alphas = traitlets.List(traitlets.Float()).tag(sync=True)
    resolutions = traitlets.List(traitlets.Int()).tag(sync=True)
    min_resolution = traitlets.Int().tag(sync=True)
    max_resolution = traitlets.Int().tag(sync=True)
    runtime_dir = traitlets.Unicode().tag(sync=True)
    runtime_version = traitlets.Unicode().tag(sync=True)
    models_dir = traitlets.Unicode().tag(sync=True)
    service_worker = traitlets.Unicode().tag(sync=True)
    not_on_site = traitlets.Unicode().tag(sync=True)
    stored = traitlets.List(traitlets.Dict()).tag(sync=True)

    def __init__(self, stored: list[dict] | None = None, **kwargs) -> None:
        from . import bench, browser

        stored = list(stored or [])
        for i, row in enumerate(stored):
            bench.check_latency_row(row, f"stored[{i}]")
        super().__init__(
            layers=family.layer_table(), alphas=list(browser.ALPHAS), resolutions=list(browser.RESOLUTIONS),
            min_resolution=browser.MIN_RESOLUTION, max_resolution=browser.MAX_RESOLUTION,
            runtime_dir=browser.RUNTIME_DIR, runtime_version=browser.RUNTIME_VERSION, models_dir=browser.MODELS_DIR,
            service_worker=browser.SERVICE_WORKER, not_on_site=NOT_ON_SITE,
            stored=[{"model": row["model"], "path": row["path"], "median_ms": row["median_ms"],
                     "mult_adds": row["mult_adds"], "machine": bench.machine_label(row.get("machine") or {})}
                    for row in stored], **kwargs)

    def __repr__(self) -> str:
        return f"DeviceBenchmark(stored={len(self.stored)} rows)"


NOT_ON_SITE = ("This widget measures in the published book's page (chapter 8, \"Measure on this device\"), which "
               "serves the browser runtime and the models; here, time this machine with mc.widgets.benchmark_panel().")


def _figure_png(fig) -> bytes:
    """A figure as PNG bytes, for an HTML widget (which the static book shows; an Output widget it cannot)."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def _png_html(png: bytes, alt: str) -> str:
    """An ``<img>`` of PNG bytes with its text alternative, for an ipywidgets HTML widget.

    ipywidgets' Image has no ``alt``, and its ``tooltip`` (ipywidgets 8) makes the static book's widget manager
    fail to draw it ("Could not create a view"); an HTML widget shows the same picture, with ``alt``, in Jupyter,
    Colab (ipywidgets 7.7) and the static book.

    >>> _png_html(b"\\x89PNG", 'latency "p10"')
    '<img class="mc-plot" alt="latency &quot;p10&quot;" style="max-width: 100%" src="data:image/png;base64,iVBORw==">'
    """
    import base64
    import html

    data = base64.b64encode(png).decode("ascii")
    return (f'<img class="mc-plot" alt="{html.escape(alt, quote=True)}" style="max-width: 100%" '
            f'src="data:image/png;base64,{data}">')


def latency_plot_description(rows: list[dict]) -> str:
    """What the benchmark panel's plot shows, in words: its text alternative (chapter 8).

    >>> latency_plot_description([{"path": "eager", "mult_adds": 149e6, "median_ms": 4.2},
    ...                           {"path": "onnxruntime", "mult_adds": 569e6, "median_ms": 7.5}])
    'Plot of median latency (ms, log scale) against million mult-adds (log scale) for 2 measurements, paths eager and onnxruntime: from 4.2 ms at 149 million mult-adds to 7.5 ms at 569 million.'
    """
    if not rows:
        return "Plot of latency against mult-adds: no measurements yet."
    paths = sorted({r["path"] for r in rows})
    low = min(rows, key=lambda r: r["median_ms"])
    high = max(rows, key=lambda r: r["median_ms"])
    named = paths[0] if len(paths) == 1 else ", ".join(paths[:-1]) + " and " + paths[-1]
    return (f"Plot of median latency (ms, log scale) against million mult-adds (log scale) for {len(rows)} "
            f"measurement{'s' if len(rows) != 1 else ''}, path{'s' if len(paths) != 1 else ''} {named}: "
            f"from {low['median_ms']:.1f} ms at {low['mult_adds'] / 1e6:.0f} million mult-adds to "
            f"{high['median_ms']:.1f} ms at {high['mult_adds'] / 1e6:.0f} million.")


def training_panel(splits, *, subset: int = 10_000, num_classes: int = 10):
    """Pick alpha, resolution and epochs, press Train, and watch the loss curve grow (chapter 7).

    Plain ipywidgets (7.7 in Colab, 8 elsewhere): it needs a running kernel to train, so the static book leaves
    it out. The returned box's ``controls`` maps "alpha", "resolution" and "epochs" to their widgets.
    """
    import ipywidgets as w
    import torch

    from . import data, train
    from .model import MobileNetV1

    alpha = w.FloatSlider(value=0.5, min=0.25, max=1.0, step=0.05, description="alpha")
    resolution = w.Dropdown(options=[28, 32, 40, 56], value=28, description="resolution")
    epochs = w.IntSlider(value=3, min=1, max=10, description="epochs")
    button = w.Button(description="Train", button_style="primary")
    curve = w.HTML()

    def run(_):
        button.disabled = True
        channels = splits["train"][0].shape[1]
        torch.manual_seed(0)  # the same settings train the same model, from the same weights, at every press
        # small images: the stride-1 first convolution (chapter 7)
        # the slider's steps of 0.05 arrive as floats such as 0.35000000000000003: round them, so the model is
        # named 0.35-MobileNet-28 (a model's name spells its alpha exactly)
        model = MobileNetV1(round(alpha.value, 2), resolution.value, num_classes, in_channels=channels,
                            small_input=True)
        loaders = data.loaders(splits, resolution.value, subset=subset)

        def draw(history: train.History) -> None:
            fig = history.plot()
            fig.suptitle(f"{model.name}: test accuracy {history.test_accuracy:.1%}")
            curve.value = _png_html(_figure_png(fig), f"Training curves of {model.name}: loss and accuracy by "
                                    f"epoch; test accuracy {history.test_accuracy:.1%} after epoch "
                                    f"{len(history.epochs)}.")

        try:
            train.fit(model, *loaders, epochs=epochs.value, progress=False, on_epoch=draw)
        finally:
            button.disabled = False

    button.on_click(run)
    panel = w.VBox([w.HBox([alpha, resolution, epochs, button]), curve])
    panel.controls = {"alpha": alpha, "resolution": resolution, "epochs": epochs}  # what exercise 7.2 reads
    return panel


def benchmark_panel(stored: list[dict] | None = None):
    """Pick alpha, resolution, inference path and threads, press Measure, and see the latency (with its spread) join
    the latency-against-mult-adds plot; the stored results (for instance ``bench.bundled_results(...)``) are drawn
    first. Plain ipywidgets: the static book shows the controls and the stored results; measuring needs a running
    kernel (Jupyter or Colab).

    The returned box's ``controls`` maps "alpha", "resolution", "path" and "threads" to their widgets.

    Book: chapter 8, "Build your own trade-off curve".
    """
    import ipywidgets as w
    import torch

    from . import bench, inference, plots
    from .names import model_name, from_name

    rows = list(stored or [])
    alpha = w.Dropdown(options=[1.0, 0.75, 0.5, 0.25], value=0.5, description="alpha")
    resolution = w.Dropdown(options=[224, 192, 160, 128], value=160, description="resolution")
    path = w.Dropdown(options=inference.available_paths(), value="eager", description="path")
    threads = w.BoundedIntText(value=min(torch.get_num_threads(), checks.max_threads()), min=1,
                               max=checks.max_threads(), description="threads")
    button = w.Button(description="Measure", button_style="primary")
    status = w.HTML("Press <b>Measure</b> to time a model on this machine (needs a running kernel: Jupyter or Colab).")
    plot = w.HTML()

    def draw() -> None:
        if rows:
            figure = plots.latency_plot(rows, title="latency against mult-adds on the machines measured")
            plot.value = _png_html(_figure_png(figure), latency_plot_description(rows))

    def measure(_) -> None:
        button.disabled = True
        name = model_name(alpha.value, resolution.value)
        status.value = f"measuring {name} through {path.value} with {threads.value} threads..."
        try:
            row = bench.benchmark(from_name(name), path=path.value, threads=threads.value)
        except inference.Unavailable as why:
            status.value = f"{path.value} cannot run here: {why}"
        else:
            rows.append(row)
            status.value = (f"{name}, {path.value}: {row['median_ms']:.2f} ms (p10 {row['p10_ms']:.2f}, "
                            f"p90 {row['p90_ms']:.2f})")
            draw()
        finally:
            button.disabled = False

    button.on_click(measure)
    draw()
    controls = w.HBox([alpha, resolution, path, threads, button], layout=w.Layout(flex_flow="row wrap"))
    panel = w.VBox([controls, status, plot])
    panel.controls = {"alpha": alpha, "resolution": resolution, "path": path, "threads": threads}  # exercise 8.2
    return panel

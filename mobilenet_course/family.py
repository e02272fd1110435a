"""The model family M(alpha, rho): closed-form costs for any alpha and resolution, the paper's 16-model grid with
accuracies, and picking the best model for a budget.

Book: chapter 4 (:func:`layer_table`, :func:`family_costs`), chapter 5, chapter 6 (:func:`grid`, :func:`pick`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from . import checks, reference
from .costs import Cost, profile
from .model import REFERENCE_RESOLUTION, MobileNetV1
from .names import PAPER_ALPHAS, PAPER_RESOLUTIONS, model_name

__all__ = ["layer_table", "family_costs", "GridModel", "grid", "pick", "load_latencies", "BYTES_PER_PARAM",
           "NoModelFits"]

BYTES_PER_PARAM = 4
"""Model size counts 4 bytes (fp32) per parameter of the paper's counting convention."""


class NoModelFits(ValueError):
    """No model of the grid meets the budget given to :func:`pick` (the budget itself was valid)."""


def layer_table(num_classes: int = 1000, in_channels: int = 3, small_input: bool = False) -> list[dict]:
    """The layers of MobileNet at alpha 1, as data: kind, kernel, stride and channels before the width multiplier.

    This is what the cost explorer's JavaScript receives; with it, :func:`family_costs` (and the same arithmetic in
    the browser) gives the cost of ``M(alpha, rho)`` for any alpha and resolution without building a model.
    """
    return [dict(row) for row in _layer_table(num_classes, in_channels, small_input)]


@functools.lru_cache(maxsize=8)
def _layer_table(num_classes: int, in_channels: int, small_input: bool) -> tuple[tuple[tuple[str, object], ...], ...]:
    base = MobileNetV1(1.0, 224, num_classes, in_channels=in_channels, small_input=small_input)
    rows = []
    for i, layer in enumerate(profile(base).layers):
        rows.append({"kind": layer.kind, "kernel": layer.kernel, "stride": layer.stride,
                     "in": layer.in_channels, "out": layer.out_channels,
                     # the image's channels and the classes are not scaled by alpha
                     "scale_in": i > 0, "scale_out": layer.kind != "fc"})
    return tuple(tuple(row.items()) for row in rows)


def family_costs(alpha: float, resolution: int, table: list[dict] | None = None) -> list[Cost]:
    """Per-layer mult-adds and parameters of ``M(alpha, resolution)`` from the layer table, in closed form.

    The arithmetic of chapter 4: channels become ``max(8, int(c * alpha))``, every feature map side follows
    ``floor((D_F + 2p - D_K) / s) + 1``. It equals ``mc.costs.profile(mc.MobileNetV1(alpha, resolution))`` layer by
    layer (tested), and the cost explorer's JavaScript does the same steps.
    """
    table = layer_table() if table is None else table

    def scaled(c: int, scale: bool) -> int:
        return max(8, int(c * alpha)) if scale else c

    size, costs = resolution, []
    for row in table:
        m, n = scaled(row["in"], row["scale_in"]), scaled(row["out"], row["scale_out"])
        if row["kind"] == "fc":
            costs.append(Cost(m * n, m * n + n))
            continue
        k = row["kernel"]
        size = (size + 2 * (k // 2) - k) // row["stride"] + 1
        per_output = k * k * (1 if row["kind"] == "depthwise" else m)
        n = m if row["kind"] == "depthwise" else n
        costs.append(Cost(per_output * n * size * size, per_output * n))
    return costs


@dataclass(frozen=True)
class GridModel:
    """One model of the paper's grid with its costs, the TF-slim checkpoint's top-1 and, if measured, latency."""

    name: str
    alpha: float
    resolution: int
    mult_adds: int
    params: int
    top1: float
    latency_ms: float | None = None

    @property
    def size_mb(self) -> float:
        """fp32 weights in megabytes (10^6 bytes)."""
        return self.params * BYTES_PER_PARAM / 1e6

    @property
    def rho(self) -> float:
        return self.resolution / REFERENCE_RESOLUTION


def load_latencies(path: str | Path, path_name: str = "eager") -> dict[str, float]:
    """Median latencies (ms) by model name from a results file of ``mobilenet-course bench`` (JSON rows)."""
    rows = json.loads(Path(path).read_text())
    if not isinstance(rows, list) or not all(isinstance(r, dict) and {"model", "median_ms"} <= r.keys() for r in rows):
        raise ValueError(f"{path}: expected a JSON list of rows with 'model' and 'median_ms' (written by "
                         "`mobilenet-course bench --grid --out FILE`)")
    return {r["model"]: r["median_ms"] for r in rows if r.get("path", "eager") == path_name}


def grid(latencies: Mapping[str, float] | None = None) -> list[GridModel]:
    """The 16 models of the paper's grid, costs computed here, top-1 from the TF-slim checkpoints (reference).

    ``latencies`` maps model names to measured milliseconds (positive, finite numbers); a model missing from it
    has ``latency_ms=None``, which :func:`pick` refuses when it is given a latency budget.
    """
    if latencies is not None:
        if not isinstance(latencies, Mapping):
            raise checks.ArgumentError(f"latencies must be a mapping of model name to milliseconds, such as "
                                       f"{{'1.0-MobileNet-224': 21.5}}, got {type(latencies).__name__}")
        latencies = {name: checks.number(ms, f"latencies[{name!r}]", low=0, low_open=True)
                     for name, ms in latencies.items()}
    models = []
    for alpha in PAPER_ALPHAS:
        for resolution in PAPER_RESOLUTIONS:
            costs = family_costs(alpha, resolution)
            name = model_name(alpha, resolution)
            models.append(GridModel(name, alpha, resolution, sum(c.mult_adds for c in costs),
                                    sum(c.params for c in costs), reference.SLIM_TOP1[(alpha, resolution)],
                                    None if latencies is None else latencies.get(name)))
    return models


def pick(models: Iterable[GridModel], *, max_mult_adds: float | None = None, max_size_mb: float | None = None,
         max_latency_ms: float | None = None) -> GridModel:
    """The most accurate model within every given budget (ties go to the cheaper model).

    Each budget is None (no limit) or a positive, finite number (NumPy scalars too). Raises ValueError naming the
    budget that nothing meets (:class:`NoModelFits`), with the cheapest model's figures;
    :class:`mobilenet_course.checks.ArgumentError` (a ValueError) for a budget that is not a positive finite number;
    ValueError for ``max_latency_ms`` when a model has no measured latency (naming them). Book: chapter 6, "Picking
    a model for a budget" (the seed text's "10 ms and 5 MB").
    """
    models = list(models)
    if not models:
        raise checks.ArgumentError("pick needs at least one model, got none")
    limits = {"max_mult_adds": max_mult_adds, "max_size_mb": max_size_mb, "max_latency_ms": max_latency_ms}
    limits = {key: checks.number(value, key, low=0, low_open=True, allow_none=True) for key, value in limits.items()}
    max_mult_adds, max_size_mb, max_latency_ms = limits.values()
    if max_latency_ms is not None and any(m.latency_ms is None for m in models):
        missing = [m.name for m in models if m.latency_ms is None]
        raise ValueError(f"max_latency_ms needs a measured latency for every model; missing: {', '.join(missing)}")
    fits = [m for m in models
            if (max_mult_adds is None or m.mult_adds <= max_mult_adds)
            and (max_size_mb is None or m.size_mb <= max_size_mb)
            and (max_latency_ms is None or m.latency_ms <= max_latency_ms)]
    if not fits:
        cheapest = min(models, key=lambda m: m.mult_adds)
        raise NoModelFits(f"no model meets the budget {({k: v for k, v in limits.items() if v is not None})}; the "
                         f"cheapest, {cheapest.name}, needs {cheapest.mult_adds / 1e6:.1f} million mult-adds, "
                         f"{cheapest.size_mb:.2f} MB" + (f", {cheapest.latency_ms:.2f} ms" if cheapest.latency_ms
                                                         else ""))
    return max(fits, key=lambda m: (m.top1, -m.mult_adds))


def as_rows(models: Iterable[GridModel]) -> list[dict]:
    """Grid models as plain dicts (for JSON and the budget picker's JavaScript)."""
    return [{**asdict(m), "size_mb": m.size_mb} for m in models]

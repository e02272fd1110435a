"""The cost model: mult-adds and parameters of convolutions, in closed form and measured on a real model.

Counting convention (the paper's "Mult-Adds"): one mult-add is one multiply-accumulate of a convolution or fully
connected layer. Batch norm, activations and pooling are not counted; a layer's bias counts as parameters only.

Book: chapter 1 (:func:`standard_conv`), chapter 2 (:func:`depthwise_separable`, :func:`reduction_ratio`),
chapter 3 (:func:`profile`), chapters 4-5 (:func:`multiplier_ratio`).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

import torch
from torch import nn

__all__ = [
    "Cost",
    "SeparableCost",
    "LayerCost",
    "Profile",
    "output_size",
    "standard_conv",
    "depthwise_conv",
    "pointwise_conv",
    "depthwise_separable",
    "reduction_ratio",
    "multiplier_ratio",
    "arithmetic_intensity",
    "counted_mult_adds",
    "profile",
    "KINDS",
]

KINDS = ("conv", "depthwise", "pointwise", "fc")
"""The kinds of layer that carry mult-adds: full conv, depthwise conv, 1x1 pointwise conv, fully connected."""


@dataclass(frozen=True)
class Cost:
    """Mult-adds and parameters of one layer (or a sum of layers)."""

    mult_adds: int
    params: int

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.mult_adds + other.mult_adds, self.params + other.params)


@dataclass(frozen=True)
class SeparableCost(Cost):
    """Cost of a depthwise separable convolution, with its two steps kept apart."""

    depthwise: Cost = field(default=Cost(0, 0))
    pointwise: Cost = field(default=Cost(0, 0))


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")


def output_size(d_f: int, d_k: int, stride: int = 1, padding: int | None = None) -> int:
    """Side of the output feature map: ``floor((D_F + 2 p - D_K) / s) + 1``.

    ``padding=None`` means "same" padding, ``D_K // 2``, which with stride 1 and an odd kernel keeps ``D_F``.
    """
    _check_positive(d_f=d_f, d_k=d_k, stride=stride)
    padding = d_k // 2 if padding is None else padding
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    size = (d_f + 2 * padding - d_k) // stride + 1
    if size < 1:
        raise ValueError(f"a {d_k}x{d_k} kernel with padding {padding} does not fit a {d_f}x{d_f} input")
    return size


def standard_conv(
    d_k: int, m: int, n: int, d_f: int, *, stride: int = 1, padding: int | None = None, bias: bool = False
) -> Cost:
    """A standard ``D_K x D_K`` convolution from ``M`` to ``N`` channels on a ``D_F x D_F`` input.

    Parameters ``D_K * D_K * M * N``; mult-adds ``D_K * D_K * M * N * D_G * D_G``, where ``D_G`` is the output side:
    the paper's equation (2), written there with ``D_F`` for the output side (stride 1 and same padding, where
    ``D_G = D_F``); the paper's equation (1) is the output itself. Book: chapter 1, :eq:`eq-standard-params` and
    :eq:`eq-standard-cost`, with the output side from :eq:`eq-output-size`.
    """
    _check_positive(m=m, n=n)
    d_g = output_size(d_f, d_k, stride, padding)
    return Cost(mult_adds=d_k * d_k * m * n * d_g * d_g, params=d_k * d_k * m * n + (n if bias else 0))


def depthwise_conv(d_k: int, m: int, d_f: int, *, stride: int = 1, padding: int | None = None) -> Cost:
    """One ``D_K x D_K`` filter per input channel: ``D_K * D_K * M * D_G * D_G`` mult-adds.

    The paper's equation (4), with ``D_F`` for the output side; the paper's equation (3) is the depthwise output
    itself. Book: chapter 2, :eq:`eq-depthwise-cost`.
    """
    _check_positive(m=m)
    d_g = output_size(d_f, d_k, stride, padding)
    return Cost(mult_adds=d_k * d_k * m * d_g * d_g, params=d_k * d_k * m)


def pointwise_conv(m: int, n: int, d_f: int) -> Cost:
    """A 1x1 convolution from ``M`` to ``N`` channels: ``M * N * D_F * D_F`` mult-adds. Book: :eq:`eq-pointwise-cost`."""
    return standard_conv(1, m, n, d_f)


def depthwise_separable(
    d_k: int, m: int, n: int, d_f: int, *, stride: int = 1, padding: int | None = None
) -> SeparableCost:
    """Depthwise ``D_K x D_K`` conv (stride ``s``) then pointwise 1x1 conv.

    Mult-adds ``D_K * D_K * M * D_G * D_G + M * N * D_G * D_G`` (the paper's equation (5), with ``D_F`` for the
    output side); parameters ``D_K * D_K * M + M * N``.
    Book: chapter 2, :eq:`eq-separable-cost`.
    """
    dw = depthwise_conv(d_k, m, d_f, stride=stride, padding=padding)
    d_g = output_size(d_f, d_k, stride, padding)
    pw = pointwise_conv(m, n, d_g)
    return SeparableCost(dw.mult_adds + pw.mult_adds, dw.params + pw.params, depthwise=dw, pointwise=pw)


def reduction_ratio(d_k: int, n: int) -> Fraction:
    """Cost of a depthwise separable conv over a standard one with the same output: ``1/N + 1/D_K**2``.

    Exact (a :class:`fractions.Fraction`), not approximate: with the same ``D_K``, ``M``, ``N`` and output size the
    ``M * D_G * D_G`` factor cancels, whatever the stride and padding. The paper writes this ratio, the paper's equation (5)
    over the paper's equation (2), in an unnumbered line. Book: chapter 2, :eq:`eq-reduction`.
    """
    _check_positive(d_k=d_k, n=n)
    return Fraction(1, n) + Fraction(1, d_k * d_k)


def multiplier_ratio(d_k: int, m: int, n: int, d_f: int, alpha: float, rho: float = 1.0) -> float:
    """Cost of a separable layer under width ``alpha`` and resolution ``rho``, over its cost at 1 and 1.

    ``(D_K^2 alpha M (rho D_F)^2 + alpha M alpha N (rho D_F)^2) / (D_K^2 M D_F^2 + M N D_F^2)``: the depthwise term
    scales as ``alpha rho^2``, the pointwise term as ``alpha^2 rho^2``. The numerator is the paper's equation (7)
    (the paper's equation (6) is the case ``rho = 1``), without rounding channels to whole numbers; the denominator
    is the paper's equation (5).
    Book: chapter 4, :eq:`eq-width-ratio`, and chapter 5, :eq:`eq-alpha-rho-cost`.
    """
    base = d_k * d_k * m + m * n
    return (d_k * d_k * alpha * m + alpha * m * alpha * n) * rho * rho / base


def arithmetic_intensity(mult_adds: int, *tensor_elements: int, bytes_per_element: int = 4) -> float:
    """Mult-adds per byte moved, if each tensor (input, output, weights) is read or written once.

    A layer far below the processor's mult-adds-per-byte balance point is memory-bound: a depthwise 3x3 conv does
    about one mult-add per byte in fp32. Book: chapter 2, "Measured time against the theoretical ratio".
    """
    return mult_adds / (bytes_per_element * sum(tensor_elements))


def counted_mult_adds(module: nn.Module, x: torch.Tensor) -> int:
    """Mult-adds of ``module(x)`` as PyTorch's own FLOP counter sees them (its FLOPs / 2): an independent check.

    Book: chapter 1, "Check it in code".
    """
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(x)
    return counter.get_total_flops() // 2


@dataclass(frozen=True)
class LayerCost:
    """One row of a :class:`Profile`: a convolution or fully connected layer of a real model."""

    name: str
    kind: str
    kernel: int
    stride: int
    in_channels: int
    out_channels: int
    input_size: int
    output_size: int
    mult_adds: int
    params: int


class Profile:
    """Per-layer costs of a model, with totals, shares by kind and text/HTML tables.

    Attributes
    ----------
    layers : list of LayerCost
        One row per ``nn.Conv2d`` and ``nn.Linear`` in the order the forward pass runs them.
    mult_adds, params : int
        Totals over ``layers`` (the paper's counting convention: no batch norm).
    trainable_params : int
        Every trainable parameter of the model, batch norm scale and shift included.
    """

    def __init__(self, layers: Iterable[LayerCost], trainable_params: int, name: str = "") -> None:
        self.layers = list(layers)
        self.trainable_params = trainable_params
        self.name = name
        self.mult_adds = sum(row.mult_adds for row in self.layers)
        self.params = sum(row.params for row in self.layers)

    def by_kind(self) -> dict[str, Cost]:
        """Mult-adds and parameters summed over each kind of layer, in the order of :data:`KINDS`."""
        totals = {kind: Cost(0, 0) for kind in KINDS}
        for row in self.layers:
            totals[row.kind] += Cost(row.mult_adds, row.params)
        return totals

    def shares(self) -> dict[str, tuple[float, float]]:
        """Fraction of all mult-adds and of all parameters in each kind of layer (paper Table 2)."""
        return {k: (c.mult_adds / self.mult_adds, c.params / self.params) for k, c in self.by_kind().items()}

    def __len__(self) -> int:
        return len(self.layers)

    _COLUMNS = ("name", "kind", "kernel", "stride", "in", "out", "input", "output", "mult-adds", "params")

    def _cells(self, row: LayerCost) -> tuple[str, ...]:
        return (row.name, row.kind, f"{row.kernel}x{row.kernel}", str(row.stride), str(row.in_channels),
                str(row.out_channels), f"{row.input_size}x{row.input_size}", f"{row.output_size}x{row.output_size}",
                f"{row.mult_adds:,}", f"{row.params:,}")

    def _summary(self) -> str:
        shares = ", ".join(f"{k} {m:.1%}" for k, (m, _) in self.shares().items() if m)
        return (f"{self.name + ': ' if self.name else ''}{self.mult_adds / 1e6:.1f} million mult-adds, "
                f"{self.params / 1e6:.2f} million parameters ({len(self.layers)} layers; mult-adds by kind: {shares})")

    def to_text(self) -> str:
        """The profile as a fixed-width text table with a summary line."""
        rows = [self._COLUMNS] + [self._cells(r) for r in self.layers]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self._COLUMNS))]
        lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
                 for r in rows]
        return "\n".join(lines + [self._summary()])

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Profile {self._summary()}>"

    def _repr_html_(self) -> str:
        from .tables import html_table

        table = html_table(self._COLUMNS, [self._cells(r) for r in self.layers], css_class="mc-profile", right_from=2)
        return f"{table}<p>{html.escape(self._summary())}</p>"


def _kind(module: nn.Module) -> str:
    if isinstance(module, nn.Linear):
        return "fc"
    if module.groups == 1:
        return "pointwise" if module.kernel_size == (1, 1) else "conv"
    if module.groups == module.in_channels:
        return "depthwise"
    raise ValueError(f"grouped convolutions other than depthwise are not part of MobileNet: {module}")


def profile(model: nn.Module, input_size: tuple[int, int, int] | None = None) -> Profile:
    """Measure the mult-adds and parameters of every conv and fully connected layer of ``model``.

    Runs one forward pass on a zero image with hooks on each ``nn.Conv2d`` and ``nn.Linear``, so the profile
    follows whatever model it is given: any alpha, resolution, variant or hand-made network.

    Parameters
    ----------
    model : nn.Module
        A MobileNet of this package (its ``in_channels`` and ``resolution`` give the input) or any network.
    input_size : (channels, height, width), optional
        Required for a model that does not have ``in_channels`` and ``resolution`` attributes.

    Book: chapter 3, "Where the computation goes".
    """
    if input_size is None:
        if not (hasattr(model, "in_channels") and hasattr(model, "resolution")):
            raise ValueError("profile needs input_size=(channels, height, width) for a model without "
                             "in_channels and resolution attributes")
        input_size = (model.in_channels, model.resolution, model.resolution)
    rows: list[LayerCost] = []

    def record(name: str):
        def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
            params = sum(p.numel() for p in module.parameters(recurse=False))
            if isinstance(module, nn.Linear):
                rows.append(LayerCost(name, "fc", 1, 1, module.in_features, module.out_features, 1, 1,
                                      module.in_features * module.out_features, params))
                return
            kh, kw = module.kernel_size
            out_h, out_w = output.shape[-2:]
            mult_adds = out_h * out_w * module.out_channels * (module.in_channels // module.groups) * kh * kw
            rows.append(LayerCost(name, _kind(module), kh, module.stride[0], module.in_channels, module.out_channels,
                                  inputs[0].shape[-1], out_w, mult_adds, params))
        return hook

    handles = [m.register_forward_hook(record(n)) for n, m in model.named_modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            device = next((p.device for p in model.parameters()), torch.device("cpu"))
            model(torch.zeros(1, *input_size, device=device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return Profile(rows, trainable, getattr(model, "name", type(model).__name__))

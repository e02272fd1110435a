"""Published figures the course compares its own numbers against. Nothing here is computed by the package.

Book: chapter 3 (Table 1), chapter 6 (Tables 4-7 and the checkpoint accuracies), chapter 7 (Fashion-MNIST).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["PaperRow", "TABLE2", "TABLE4", "TABLE5", "TABLE6", "TABLE7", "SLIM_TOP1", "FASHION_MNIST_BENCHMARK", "PAPER"]

PAPER = "Howard et al. 2017, MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications, " \
        "arXiv:1704.04861"


class PaperRow(NamedTuple):
    """One row of a results table of the paper: ImageNet top-1 and costs as printed (millions, rounded)."""

    model: str
    top1: float
    million_mult_adds: float
    million_params: float


TABLE2 = {"pointwise": (94.86, 74.59), "depthwise": (3.06, 1.06), "conv": (1.19, 0.02), "fc": (0.18, 24.33)}
"""Paper Table 2: share (%) of mult-adds and of parameters by layer kind in 1.0-MobileNet-224, as printed.

The full 3x3 conv's mult-add share is printed 1.19%; computed it is 1.91% (the digits are swapped: the other three
shares add up to 98.10%). The parameter shares differ from ours by 0.02 points at most.
"""

TABLE4 = (
    PaperRow("Conv MobileNet", 71.7, 4866, 29.3),
    PaperRow("MobileNet", 70.6, 569, 4.2),
)
"""Paper Table 4: depthwise separable versus full convolutions."""

TABLE5 = (
    PaperRow("0.75 MobileNet", 68.4, 325, 2.6),
    PaperRow("Shallow MobileNet", 65.3, 307, 2.9),
)
"""Paper Table 5: narrow versus shallow MobileNet."""

TABLE6 = (
    PaperRow("1.0 MobileNet-224", 70.6, 569, 4.2),
    PaperRow("0.75 MobileNet-224", 68.4, 325, 2.6),
    PaperRow("0.5 MobileNet-224", 63.7, 149, 1.3),
    PaperRow("0.25 MobileNet-224", 50.6, 41, 0.5),
)
"""Paper Table 6: the width multiplier at 224 px."""

TABLE7 = (
    PaperRow("1.0 MobileNet-224", 70.6, 569, 4.2),
    PaperRow("1.0 MobileNet-192", 69.1, 418, 4.2),
    PaperRow("1.0 MobileNet-160", 67.2, 290, 4.2),
    PaperRow("1.0 MobileNet-128", 64.4, 186, 4.2),
)
"""Paper Table 7: the resolution multiplier at alpha 1.0."""

SLIM_TOP1: dict[tuple[float, int], float] = {
    (1.0, 224): 70.9, (1.0, 192): 70.0, (1.0, 160): 68.0, (1.0, 128): 65.2,
    (0.75, 224): 68.4, (0.75, 192): 67.2, (0.75, 160): 65.3, (0.75, 128): 62.1,
    (0.5, 224): 63.3, (0.5, 192): 61.7, (0.5, 160): 59.1, (0.5, 128): 56.3,
    (0.25, 224): 49.8, (0.25, 192): 47.7, (0.25, 160): 45.5, (0.25, 128): 41.5,
}
"""ImageNet top-1 (%) of the released TF-slim checkpoints, by (alpha, resolution)."""

FASHION_MNIST_BENCHMARK = {
    "MobileNet (with flips)": 95.0,
    "ResNet18": 94.9,
    "2 conv layers, under 100K parameters": 92.5,
}
"""Test accuracy (%) of some entries of Fashion-MNIST's own benchmark table."""

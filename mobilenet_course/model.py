"""The MobileNet v1 family (Howard et al. 2017), written to read like the paper's Table 1.

Book: chapter 3, "The MobileNet architecture"; the multipliers are chapters 4 and 5.

``MobileNetV1(alpha, resolution)`` is the paper's model ``M(alpha, rho)``:

* ``alpha``, the width multiplier, scales the channel count of *every* layer, the first convolution included,
  by the TF-slim and Keras rule ``max(8, int(c * alpha))``. Cost and parameters fall roughly as ``alpha**2``:
  ImageNet top-1 / million mult-adds / million parameters at 224 px are 70.6% / 569 / 4.2 for alpha 1.0,
  68.4% / 325 / 2.6 for 0.75, 63.7% / 149 / 1.3 for 0.5 and 50.6% / 41 / 0.5 for 0.25 (paper Table 6).
* ``resolution`` (or the paper's ``rho = resolution / 224``), the resolution multiplier, sets the input size.
  Cost falls as ``rho**2``; parameters do not change: 569 / 418 / 290 / 186 million mult-adds at
  224 / 192 / 160 / 128 px, always 4.2 million parameters (paper Table 7).

Every convolution is followed by batch norm and ReLU (``activation="relu6"`` gives the ReLU6 of the Keras, TF-slim
and timm models). Global average pooling and one fully connected layer make the classifier.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

__all__ = [
    "Block",
    "TABLE1_FIRST_CONV",
    "TABLE1_BLOCKS",
    "REFERENCE_RESOLUTION",
    "MobileNetV1",
    "ConvMobileNet",
    "ShallowMobileNet",
    "scaled_channels",
    "format_alpha",
]

REFERENCE_RESOLUTION = 224
"""The resolution at which rho = 1."""


class Block(NamedTuple):
    """One depthwise separable block of Table 1: a 3x3 depthwise conv, then a 1x1 pointwise conv."""

    stride: int
    """Stride of the depthwise 3x3 convolution ("Conv dw / s1" or "/ s2")."""
    out_channels: int
    """Output channels of the pointwise 1x1 convolution, before the width multiplier."""


TABLE1_FIRST_CONV = Block(stride=2, out_channels=32)
"""Table 1, first row: "Conv / s2, 3x3x3x32": a full 3x3 convolution, stride 2, 32 filters."""

# Paper Table 1, the 13 depthwise separable blocks. Each "Conv dw / s" row and the "Conv / s1" 1x1 row after it
# form one block. Input sizes are those of a 224 px image.
TABLE1_BLOCKS: tuple[Block, ...] = (
    Block(1, 64),  # 112x112x32  -> 112x112x64
    Block(2, 128),  # 112x112x64  -> 56x56x128
    Block(1, 128),  # 56x56x128   -> 56x56x128
    Block(2, 256),  # 56x56x128   -> 28x28x256
    Block(1, 256),  # 28x28x256   -> 28x28x256
    Block(2, 512),  # 28x28x256   -> 14x14x512
    Block(1, 512),  # 5x: 14x14x512 -> 14x14x512
    Block(1, 512),
    Block(1, 512),
    Block(1, 512),
    Block(1, 512),
    Block(2, 1024),  # 14x14x512  -> 7x7x1024
    Block(1, 1024),  # 7x7x1024 -> 7x7x1024. The paper prints "s2" here; the next input is still 7x7: stride 1.
)

SHALLOW_REMOVED = range(6, 11)
"""Indices in TABLE1_BLOCKS of the five 14x14x512 blocks that ShallowMobileNet removes (paper Table 5)."""

ACTIVATIONS = {"relu": nn.ReLU, "relu6": nn.ReLU6}


def format_alpha(alpha: float) -> str:
    """Alpha as the paper writes it in a model name: 1.0, 0.75, 0.5, 0.25."""
    text = f"{alpha:g}"
    return text if "." in text else text + ".0"


def scaled_channels(channels: int, alpha: float) -> int:
    """Channels of a layer after the width multiplier: ``max(8, int(channels * alpha))`` (TF-slim, Keras).

    Book: chapter 4, "Rounding channels to integers".
    """
    return max(8, int(channels * alpha))


class ConvBNAct(nn.Sequential):
    """A convolution (no bias), batch norm and the activation: one row of Table 1."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int, groups: int, activation: str
    ) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, groups=groups, bias=False),
            nn.BatchNorm2d(out_channels),
            ACTIVATIONS[activation](inplace=True),
        )


class DepthwiseSeparable(nn.Sequential):
    """Paper Figure 3 (right): 3x3 depthwise conv, BN, ReLU, then 1x1 pointwise conv, BN, ReLU.

    Book: chapter 2, "Depthwise separable convolution".
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, activation: str) -> None:
        super().__init__()
        self.depthwise = ConvBNAct(in_channels, in_channels, 3, stride, groups=in_channels, activation=activation)
        self.pointwise = ConvBNAct(in_channels, out_channels, 1, 1, groups=1, activation=activation)


class FullConvBlock(nn.Sequential):
    """Paper Figure 3 (left): the standard 3x3 convolution a separable block replaces (Table 4)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, activation: str) -> None:
        super().__init__()
        self.conv = ConvBNAct(in_channels, out_channels, 3, stride, groups=1, activation=activation)


def _resolve_resolution(resolution: int | None, rho: float | None) -> int:
    if rho is not None and resolution is not None:
        if resolution != round(rho * REFERENCE_RESOLUTION):
            raise ValueError(
                f"resolution={resolution} and rho={rho} disagree: rho is resolution / {REFERENCE_RESOLUTION}, "
                f"so rho={rho} means resolution={round(rho * REFERENCE_RESOLUTION)}. Give one of them."
            )
    if rho is not None:
        if not (isinstance(rho, (int, float)) and math.isfinite(rho) and rho > 0):
            raise ValueError(f"rho must be a positive number (resolution / {REFERENCE_RESOLUTION}), got {rho!r}")
        return round(rho * REFERENCE_RESOLUTION)
    if resolution is None:
        return REFERENCE_RESOLUTION
    if isinstance(resolution, bool) or not isinstance(resolution, int):
        raise ValueError(f"resolution must be a whole number of pixels, got {resolution!r}")
    return resolution


class MobileNetV1(nn.Module):
    """MobileNet v1, paper Table 1, with width multiplier ``alpha`` and resolution multiplier ``rho``.

    Book: chapter 3 (the architecture), chapter 4 (alpha), chapter 5 (rho), chapter 6 (the family).

    Parameters
    ----------
    alpha : float
        Width multiplier in (0, 1.5]. Every layer, the first conv included, gets ``max(8, int(c * alpha))``
        channels. The paper's models use 1.0, 0.75, 0.5 and 0.25: at 224 px they cost 569, 325, 149 and 41 million
        mult-adds and have 4.2, 2.6, 1.3 and 0.5 million parameters.
    resolution : int, optional
        Input height and width in pixels (default 224). The paper uses 224, 192, 160 and 128; cost scales with
        ``rho**2`` and the parameters stay the same. At least 32 (16 with ``small_input``).
    num_classes : int
        Outputs of the fully connected classifier (1000 for ImageNet).
    rho : float, optional
        The paper's resolution multiplier, ``resolution / 224``; give it instead of ``resolution``.
    in_channels : int
        Image channels: 3 for RGB, 1 for grey-scale images such as Fashion-MNIST.
    small_input : bool
        For 28-32 px images (Fashion-MNIST, CIFAR-10): the first conv gets stride 1 instead of 2, so the body of
        Table 1 is kept but sees a 4x larger feature map in every later layer (about 4x the mult-adds, same
        parameters; ``mc.costs.profile`` shows it). The final feature map of a 32 px input is then 2x2, not 1x1.
    activation : {"relu", "relu6"}
        The paper's ReLU, or the ReLU6 of the Keras, TF-slim and timm implementations.
    dropout : float
        Dropout before the classifier (Keras uses 0.001; 0 disables it).

    Examples
    --------
    >>> import mobilenet_course as mc
    >>> model = mc.MobileNetV1(alpha=0.75, resolution=128)
    >>> model.rho
    0.5714285714285714
    >>> round(mc.costs.profile(model).mult_adds / 1e6)
    104
    """

    blocks: tuple[Block, ...] = TABLE1_BLOCKS

    def __init__(
        self,
        alpha: float = 1.0,
        resolution: int | None = None,
        num_classes: int = 1000,
        *,
        rho: float | None = None,
        in_channels: int = 3,
        small_input: bool = False,
        activation: str = "relu",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not (0 < alpha <= 1.5):
            raise ValueError(f"alpha must be a number in (0, 1.5] (the paper uses 1, 0.75, 0.5, 0.25), got {alpha!r}")
        resolution = _resolve_resolution(resolution, rho)
        strides = [TABLE1_FIRST_CONV.stride if not small_input else 1] + [b.stride for b in self.blocks]
        min_resolution = 2 ** sum(s == 2 for s in strides)
        if resolution < min_resolution:
            raise ValueError(
                f"resolution {resolution} px is too small for this network: its {sum(s == 2 for s in strides)} "
                f"stride-2 layers need at least {min_resolution} px"
                + ("" if small_input else " (or use small_input=True for 28-32 px images, which allows 16 px)")
            )
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive whole number, got {num_classes!r}")
        if not isinstance(in_channels, int) or in_channels < 1:
            raise ValueError(f"in_channels must be a positive whole number, got {in_channels!r}")
        if not (0.0 <= dropout < 1.0):
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")

        self.alpha = float(alpha)
        self.resolution = resolution
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.small_input = small_input
        self.activation = activation

        channels = scaled_channels(TABLE1_FIRST_CONV.out_channels, alpha)
        layers: list[nn.Module] = [ConvBNAct(in_channels, channels, 3, strides[0], groups=1, activation=activation)]
        for block in self.blocks:
            out_channels = scaled_channels(block.out_channels, alpha)
            layers.append(self.make_block(channels, out_channels, block.stride, activation))
            channels = out_channels
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(channels, num_classes)
        self.num_features = channels

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    @staticmethod
    def make_block(in_channels: int, out_channels: int, stride: int, activation: str) -> nn.Module:
        """One row pair of Table 1: a depthwise separable block."""
        return DepthwiseSeparable(in_channels, out_channels, stride, activation)

    @property
    def rho(self) -> float:
        """The resolution multiplier, ``resolution / 224``."""
        return self.resolution / REFERENCE_RESOLUTION

    @property
    def name(self) -> str:
        """The paper's name for this model, such as ``"0.75-MobileNet-128"`` (``"1.0-ConvMobileNet-224"``)."""
        return f"{format_alpha(self.alpha)}-{type(self).__name__.removesuffix('V1')}-{self.resolution}"

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ValueError unless ``x`` is a batch of ``in_channels`` x ``resolution`` x ``resolution`` images."""
        expected = (self.in_channels, self.resolution, self.resolution)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"{self.name} takes a batch of shape (N, {expected[0]}, {expected[1]}, {expected[2]}), got "
                f"{tuple(x.shape)}. Resize the images to {self.resolution} px, or build the model with "
                f"resolution={x.shape[-1] if x.dim() == 4 else '...'}"
                + (f" and in_channels={x.shape[1]}" if x.dim() == 4 and x.shape[1] != self.in_channels else "")
                + "."
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        x = self.features(x)
        x = self.pool(x).flatten(1)
        return self.classifier(self.dropout(x))

    def extra_repr(self) -> str:
        return f"alpha={self.alpha:g}, resolution={self.resolution}, rho={self.rho:.4g}"


class ConvMobileNet(MobileNetV1):
    """MobileNet with every depthwise separable block replaced by one full 3x3 convolution (paper Table 4).

    Book: chapter 6, "Why depthwise separable?". The paper's figures: 71.7% top-1, 4866 million mult-adds, 29.3
    million parameters, against 70.6%, 569 and 4.2 for MobileNet. Takes the same arguments as MobileNetV1.
    """

    @staticmethod
    def make_block(in_channels: int, out_channels: int, stride: int, activation: str) -> nn.Module:
        return FullConvBlock(in_channels, out_channels, stride, activation)


class ShallowMobileNet(MobileNetV1):
    """MobileNet without the five 14x14x512 separable blocks (paper Table 5, "Shallow MobileNet").

    Book: chapter 6, "Narrow or shallow?". The paper's figures: 65.3% top-1, 307 million mult-adds, 2.9 million
    parameters, against 68.4%, 325 and 2.6 for the narrower 0.75-MobileNet-224. Takes MobileNetV1's arguments.
    """

    blocks = tuple(b for i, b in enumerate(TABLE1_BLOCKS) if i not in SHALLOW_REMOVED)

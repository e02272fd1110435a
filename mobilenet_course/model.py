"""The MobileNet v1 family (Howard et al. 2017), written to read like the paper's Table 1.

Book: chapter 3, "The MobileNet architecture"; the multipliers are chapters 4 and 5.

``MobileNetV1(alpha, resolution)`` is the paper's model ``M(alpha, rho)``:

* ``alpha``, the width multiplier, scales the channel count of *every* layer, the first convolution included,
  by TF-slim's rule ``max(8, int(c * alpha))`` (its ``min_depth=8``). Keras rounds with ``int(c * alpha)`` and
  no floor of 8; the two agree for ``alpha >= 0.25``, the paper's four values included, where no layer falls below
  8 channels. Cost and parameters fall roughly as ``alpha**2``:
  ImageNet top-1 / million mult-adds / million parameters at 224 px are 70.6% / 569 / 4.2 for alpha 1.0,
  68.4% / 325 / 2.6 for 0.75, 63.7% / 149 / 1.3 for 0.5 and 50.6% / 41 / 0.5 for 0.25 (paper Table 6).
* ``resolution`` (or the paper's ``rho = resolution / 224``), the resolution multiplier, sets the input size.
  Cost falls as ``rho**2``; parameters do not change: 569 / 418 / 290 / 186 million mult-adds at
  224 / 192 / 160 / 128 px, always 4.2 million parameters (paper Table 7).

Every convolution is followed by batch norm and ReLU (``activation="relu6"`` gives the ReLU6 of the Keras, TF-slim
and timm models). Global average pooling and one fully connected layer make the classifier.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from . import checks

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
    "check_arguments",
    "ALPHA_LIMITS",
    "MAX_RESOLUTION",
    "MAX_CLASSES",
    "MAX_IN_CHANNELS",
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
"""The first row of Table 1, "Conv / s2, 3x3x3x32", a full 3x3 convolution with stride 2 and 32 filters.

(No colon before the description: napoleon reads "text: more" in an attribute's docstring as "type: description".)
"""

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
    """Alpha as the paper writes it in a model name: 1.0, 0.75, 0.5, 0.25.

    The shortest decimal that reads back as the same float (Python's ``repr``), so that every model's name gives
    back the same model: ``0.123456789`` stays ``0.123456789``, not ``0.123457``. Alpha must be in the models'
    range, ``ALPHA_LIMITS`` (where the decimal never needs an exponent).
    """
    alpha = checks.number(alpha, "alpha", low=ALPHA_LIMITS[0], high=ALPHA_LIMITS[1])
    return repr(alpha)


def scaled_channels(channels: int, alpha: float) -> int:
    """Channels of a layer after the width multiplier: ``max(8, int(channels * alpha))``.

    TF-slim's rule (``min_depth=8``). Keras uses ``int(channels * alpha)`` with no floor; the two differ only below
    ``alpha = 0.25``, where the 32 channels of the first convolution would fall under 8.

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


ALPHA_LIMITS = (0.01, 1.5)
"""The width multipliers a model accepts. Below about 0.008 every layer sits at the floor of 8 channels anyway;
above 1.5 the network is wider than anything the paper or the released checkpoints use."""

MAX_RESOLUTION = 1024
"""The largest input resolution a model accepts, in pixels (rho = 1024 / 224, about 4.6): 1.0-MobileNet-1024
already costs about 12 billion mult-adds an image."""

MAX_CLASSES = 100_000
"""The most classifier outputs a model accepts (ImageNet-21k has 21,841 classes)."""

MAX_IN_CHANNELS = 512
"""The most image channels a model accepts (hyperspectral images have a few hundred bands)."""


def check_arguments(alpha: float = 1.0, resolution: int | None = None, num_classes: int = 1000, *,
                    rho: float | None = None, in_channels: int = 3, small_input: bool = False,
                    activation: str = "relu", dropout: float = 0.0, blocks: tuple[Block, ...] = TABLE1_BLOCKS
                    ) -> dict:
    """Check the arguments of :class:`MobileNetV1` without building anything; return them normalised.

    The model classes call this first; it is public so that scripts and tests can check a configuration, and
    read its name, without allocating a network. Raises :class:`mobilenet_course.checks.ArgumentError` (a
    ``ValueError``) naming the argument, with what is allowed. NumPy scalars are accepted as numbers; bools and
    strings are not.

    Returns
    -------
    dict
        ``alpha`` (float), ``resolution`` (int), ``num_classes``, ``in_channels`` (ints), ``small_input`` (bool),
        ``activation`` (str) and ``dropout`` (float).
    """
    alpha = checks.number(alpha, "alpha", low=ALPHA_LIMITS[0], high=ALPHA_LIMITS[1],
                          hint=" (the paper uses 1, 0.75, 0.5, 0.25)")
    small_input = checks.flag(small_input, "small_input")
    rho = checks.number(rho, "rho", low=0, low_open=True, allow_none=True,
                        hint=f" (rho is resolution / {REFERENCE_RESOLUTION})")
    resolution = checks.whole(resolution, "resolution", low=1, high=MAX_RESOLUTION, allow_none=True,
                              hint=" (pixels; the paper uses 224, 192, 160, 128)")
    if rho is not None:
        if rho * REFERENCE_RESOLUTION > MAX_RESOLUTION + 0.5:
            raise checks.ArgumentError(
                f"rho must be at most {MAX_RESOLUTION}/{REFERENCE_RESOLUTION} = "
                f"{MAX_RESOLUTION / REFERENCE_RESOLUTION:.4g} (resolution {MAX_RESOLUTION} px), got {rho!r}")
        from_rho = round(rho * REFERENCE_RESOLUTION)
        if resolution is not None and resolution != from_rho:
            raise checks.ArgumentError(
                f"resolution={resolution} and rho={rho} disagree: rho is resolution / {REFERENCE_RESOLUTION}, "
                f"so rho={rho} means resolution={from_rho}. Give one of them.")
        resolution = from_rho
    if resolution is None:
        resolution = REFERENCE_RESOLUTION
    strides = [TABLE1_FIRST_CONV.stride if not small_input else 1] + [b.stride for b in blocks]
    halvings = sum(s == 2 for s in strides)
    if resolution < 2**halvings:
        raise checks.ArgumentError(
            f"resolution {resolution} px is too small for this network"
            + (f" (rho={rho} gives {resolution} px)" if rho is not None else "")
            + f": its {halvings} stride-2 layers need at least {2**halvings} px"
            + ("" if small_input else " (or use small_input=True for 28-32 px images, which allows 16 px)"))
    return {
        "alpha": alpha,
        "resolution": resolution,
        "num_classes": checks.whole(num_classes, "num_classes", low=1, high=MAX_CLASSES),
        "in_channels": checks.whole(in_channels, "in_channels", low=1, high=MAX_IN_CHANNELS,
                                    hint=" (3 for RGB, 1 for grey-scale)"),
        "small_input": small_input,
        "activation": checks.choice(activation, "activation", sorted(ACTIVATIONS)),
        "dropout": checks.number(dropout, "dropout", low=0, high=1, high_open=True),
    }


class MobileNetV1(nn.Module):
    """MobileNet v1, paper Table 1, with width multiplier ``alpha`` and resolution multiplier ``rho``.

    Book: chapter 3 (the architecture), chapter 4 (alpha), chapter 5 (rho), chapter 6 (the family).

    Parameters
    ----------
    alpha : float
        Width multiplier in [0.01, 1.5] (``ALPHA_LIMITS``). Every layer, the first conv included, gets
        ``max(8, int(c * alpha))`` channels. The paper's models use 1.0, 0.75, 0.5 and 0.25: at 224 px they cost
        569, 325, 149 and 41 million mult-adds and have 4.2, 2.6, 1.3 and 0.5 million parameters.
    resolution : int, optional
        Input height and width in pixels (default 224). The paper uses 224, 192, 160 and 128; cost scales with
        ``rho**2`` and the parameters stay the same. At least 32 (16 with ``small_input``), at most 1024.
    num_classes : int
        Outputs of the fully connected classifier (1000 for ImageNet), at most 100,000.
    rho : float, optional
        The paper's resolution multiplier, ``resolution / 224``; give it instead of ``resolution``.
    in_channels : int
        Image channels: 3 for RGB, 1 for grey-scale images such as Fashion-MNIST (at most 512).
    small_input : bool
        For 28-32 px images (Fashion-MNIST, CIFAR-10): the first conv gets stride 1 instead of 2, so the body of
        Table 1 is kept but sees a 4x larger feature map in every later layer (about 4x the mult-adds, same
        parameters; ``mc.costs.profile`` shows it). The final feature map of a 32 px input is then 2x2, not 1x1.
    activation : {"relu", "relu6"}
        The paper's ReLU, or the ReLU6 of the Keras, TF-slim and timm implementations.
    dropout : float
        Dropout before the classifier, in [0, 1) (Keras uses 0.001; 0 disables it).

    Raises
    ------
    mobilenet_course.checks.ArgumentError
        A ``ValueError`` naming the argument when one has the wrong type (a bool or a string for a number, a float
        for a whole number, anything but True or False for ``small_input``) or lies out of its range (infinite and
        NaN values included). NumPy scalars such as ``np.float32(0.5)`` or ``np.int64(224)`` are numbers. Every
        model that builds has a :attr:`name` that :func:`mobilenet_course.from_name` reads back to the same alpha,
        resolution and class. See :func:`check_arguments`.

    Examples
    --------
    >>> import mobilenet_course as mc
    >>> model = mc.MobileNetV1(alpha=0.75, resolution=128)
    >>> model.rho
    0.5714285714285714
    >>> round(mc.costs.profile(model).mult_adds / 1e6)
    107
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
        config = check_arguments(alpha, resolution, num_classes, rho=rho, in_channels=in_channels,
                                 small_input=small_input, activation=activation, dropout=dropout, blocks=self.blocks)
        super().__init__()
        alpha, resolution, num_classes = config["alpha"], config["resolution"], config["num_classes"]
        in_channels, small_input, activation = config["in_channels"], config["small_input"], config["activation"]
        strides = [TABLE1_FIRST_CONV.stride if not small_input else 1] + [b.stride for b in self.blocks]

        self.alpha = alpha
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
        self.dropout = nn.Dropout(config["dropout"])
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

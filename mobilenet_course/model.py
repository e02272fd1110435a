"""The MobileNet v1 family (Howard et al. 2017), written to read like the paper's Table 1.

Book: chapter 3, "The MobileNet architecture"; the multipliers are chapters 4 and 5.

``MobileNetV1(alpha, resolution)`` is the paper's model ``M(alpha, rho)``:

* ``alpha``, the width multiplier, scales the channel count of *every* layer, the first convolution included,
  by TF-slim's rule ``max(8, int(c * alpha))`` (its ``min_depth=8``). Keras rounds with ``int(c * alpha)`` and
  no floor of 8, timm to the nearest multiple of 8 (``CHANNEL_ROUNDING`` has all three); all three agree on the
  paper's four values. Cost and parameters fall roughly as ``alpha**2``:
  ImageNet top-1 / million mult-adds / million parameters at 224 px are 70.6% / 569 / 4.2 for alpha 1.0,
  68.4% / 325 / 2.6 for 0.75, 63.7% / 149 / 1.3 for 0.5 and 50.6% / 41 / 0.5 for 0.25 (paper Table 6).
* ``resolution`` (or the paper's ``rho = resolution / 224``), the resolution multiplier, sets the input size.
  Cost falls as ``rho**2``; parameters do not change: 569 / 418 / 290 / 186 million mult-adds at
  224 / 192 / 160 / 128 px, always 4.2 million parameters (paper Table 7).

Every convolution is followed by batch norm and ReLU (``activation="relu6"`` gives the ReLU6 of the Keras, TF-slim
and timm models). Global average pooling and one fully connected layer make the classifier.

Four options, off by default, make the model the same network as the peers' (``mobilenet_course.pretrained``
loads their weights; book: chapter 6, "The same network in Keras and timm"): ``activation="relu6"``,
``padding="keras"`` (where the five stride-2 layers put their padding), ``bn_eps=1e-3`` (Keras' batch-norm
epsilon) and ``rounding="keras"`` or ``"timm"`` (channel counts off the paper's grid).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
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
    "CHANNEL_ROUNDING",
    "PADDINGS",
    "PaddedConv2d",
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

PEER_DEFAULTS = {"activation": "relu", "padding": "symmetric", "bn_eps": 1e-5, "rounding": "tf-slim"}
"""The options that make the model the same network as another library's, with their defaults."""


def format_alpha(alpha: float) -> str:
    """Alpha as the paper writes it in a model name: 1.0, 0.75, 0.5, 0.25.

    The shortest decimal that reads back as the same float (Python's ``repr``), so that every model's name gives
    back the same model: ``0.123456789`` stays ``0.123456789``, not ``0.123457``. Alpha must be in the models'
    range, ``ALPHA_LIMITS`` (where the decimal never needs an exponent).
    """
    alpha = checks.number(alpha, "alpha", low=ALPHA_LIMITS[0], high=ALPHA_LIMITS[1])
    return repr(alpha)


def _timm_channels(channels: int, alpha: float) -> int:
    # timm's round_channels -> make_divisible(channels * alpha, divisor=8, min_value=8, round_limit=0.9)
    value = channels * alpha
    rounded = max(8, int(value + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * value else rounded


CHANNEL_ROUNDING = {
    "tf-slim": lambda channels, alpha: max(8, int(channels * alpha)),
    "keras": lambda channels, alpha: int(channels * alpha),
    "timm": _timm_channels,
}
"""How each implementation turns ``channels * alpha`` into a whole number of channels (book: chapter 4).

* ``"tf-slim"``, the package's default, TF-slim's ``mobilenet_v1`` (``min_depth=8``): ``max(8, int(c * alpha))``.
* ``"keras"``, ``keras.applications.MobileNet``: ``int(c * alpha)``, no floor (alpha 0.1 gives the first
  convolution 3 channels).
* ``"timm"``, timm's ``round_channels``: the nearest multiple of 8, at least 8, and one multiple more where
  rounding down would lose over 10 % (alpha 0.35 gives 16, 24 and 48 channels where the others give 11, 22, 44).

All three give the same channels for the paper's alphas 1, 0.75, 0.5 and 0.25, and for 1.25.
"""


def scaled_channels(channels: int, alpha: float, rounding: str = "tf-slim") -> int:
    """Channels of a layer after the width multiplier; by default TF-slim's ``max(8, int(channels * alpha))``.

    ``rounding`` names the rule of :data:`CHANNEL_ROUNDING`: ``"tf-slim"`` (``min_depth=8``), ``"keras"``
    (``int(channels * alpha)``, no floor: it differs from TF-slim only below ``alpha = 0.25``, where the 32 channels
    of the first convolution fall under 8) or ``"timm"`` (multiples of 8).

    Book: chapter 4, "Rounding channels to integers".
    """
    return CHANNEL_ROUNDING[checks.choice(rounding, "rounding", list(CHANNEL_ROUNDING))](channels, alpha)


PADDINGS = ("symmetric", "keras")
"""Where a stride-2 3x3 convolution puts its padding.

* ``"symmetric"`` (PyTorch, timm and the package's default): one pixel on every side.
* ``"keras"`` (``keras.applications.MobileNet``, and TensorFlow's ``"SAME"`` on every even side): none on the
  top and left, one on the bottom and right, on the stem (TensorFlow's ``"SAME"``: an odd side gets one on every
  side) and before each stride-2 depthwise convolution (``ZeroPadding2D(((0, 1), (0, 1)))``, whatever the side).
  The sampling grid moves by one pixel, so every output of the layer changes, not only the border.
"""


class PaddedConv2d(nn.Conv2d):
    """A convolution that zero-pads its input by ``pad`` = (left, right, top, bottom) itself and then pads no more.

    The weights are an ``nn.Conv2d``'s (same names and shapes), so a state dict moves between the two.
    """

    def __init__(self, *args, pad: tuple[int, int, int, int], **kwargs) -> None:
        super().__init__(*args, padding=0, **kwargs)
        self.pad = tuple(pad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.pad))

    def extra_repr(self) -> str:
        return super().extra_repr() + f", pad={self.pad}"


def _conv(in_channels: int, out_channels: int, kernel_size: int, stride: int, groups: int, padding: str,
          side: int, stem: bool) -> nn.Conv2d:
    """The convolution of one row of Table 1, padded as ``padding`` says for an input ``side`` pixels wide."""
    if padding == "keras" and stride == 2 and not (stem and side % 2):
        return PaddedConv2d(in_channels, out_channels, kernel_size, stride, groups=groups, bias=False,
                            pad=(0, 1, 0, 1))
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, groups=groups, bias=False)


class Options(NamedTuple):
    """How every layer is made: the activation, where stride-2 layers pad, and batch norm's epsilon."""

    activation: str = "relu"
    padding: str = "symmetric"
    bn_eps: float = 1e-5


class ConvBNAct(nn.Sequential):
    """A convolution (no bias), batch norm and the activation: one row of Table 1.

    ``side`` is the width of the input in pixels (it decides the stem's padding where ``padding="keras"``).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, groups: int,
                 options: Options = Options(), side: int = 0, stem: bool = False) -> None:
        super().__init__(
            _conv(in_channels, out_channels, kernel_size, stride, groups, options.padding, side, stem),
            nn.BatchNorm2d(out_channels, eps=options.bn_eps),
            ACTIVATIONS[options.activation](inplace=True),
        )


class DepthwiseSeparable(nn.Sequential):
    """Paper Figure 3 (right): 3x3 depthwise conv, BN, ReLU, then 1x1 pointwise conv, BN, ReLU.

    Book: chapter 2, "Depthwise separable convolution".
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int, options: Options = Options()) -> None:
        super().__init__()
        self.depthwise = ConvBNAct(in_channels, in_channels, 3, stride, groups=in_channels, options=options)
        self.pointwise = ConvBNAct(in_channels, out_channels, 1, 1, groups=1, options=options)


class FullConvBlock(nn.Sequential):
    """Paper Figure 3 (left): the standard 3x3 convolution a separable block replaces (Table 4)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, options: Options = Options()) -> None:
        super().__init__()
        self.conv = ConvBNAct(in_channels, out_channels, 3, stride, groups=1, options=options)


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
                    activation: str = "relu", dropout: float = 0.0, padding: str = "symmetric",
                    bn_eps: float = 1e-5, rounding: str = "tf-slim", blocks: tuple[Block, ...] = TABLE1_BLOCKS
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
        ``activation`` (str), ``dropout`` (float), ``padding`` (str), ``bn_eps`` (float) and ``rounding`` (str).
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
    rounding = checks.choice(rounding, "rounding", list(CHANNEL_ROUNDING))
    if scaled_channels(TABLE1_FIRST_CONV.out_channels, alpha, rounding) < 1:
        raise checks.ArgumentError(
            f"alpha={alpha} gives the first convolution no channel with rounding={rounding!r} (int(32 * alpha) = 0); "
            f"alpha must be at least 1/32 = 0.03125 there, or use rounding='tf-slim' (at least 8 channels)")
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
        "padding": checks.choice(padding, "padding", list(PADDINGS)),
        "bn_eps": checks.number(bn_eps, "bn_eps", low=0, low_open=True, high=1,
                                hint=" (PyTorch's default is 1e-5, Keras' 1e-3)"),
        "rounding": rounding,
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
    padding : {"symmetric", "keras"}
        Where the five stride-2 layers (the stem, depthwise blocks 2, 4, 6 and 12) pad: one pixel on every side
        (PyTorch's and timm's convention), or none on the top and left and one on the bottom and right, as Keras
        and TensorFlow's ``"SAME"`` do (:data:`PADDINGS` gives the exact rule). Weights trained with one padding
        give different outputs with the other: the sampling grid of the layer moves by a pixel. With ``"keras"``
        an odd side is halved downwards (25 px become 12, not 13), as in Keras.
    bn_eps : float
        Batch norm's epsilon, added to the variance (PyTorch's and timm's 1e-5; Keras' 1e-3).
    rounding : {"tf-slim", "keras", "timm"}
        How ``channels * alpha`` becomes a whole number (:data:`CHANNEL_ROUNDING`). The three agree for the
        paper's alphas.

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
        padding: str = "symmetric",
        bn_eps: float = 1e-5,
        rounding: str = "tf-slim",
    ) -> None:
        config = check_arguments(alpha, resolution, num_classes, rho=rho, in_channels=in_channels,
                                 small_input=small_input, activation=activation, dropout=dropout, padding=padding,
                                 bn_eps=bn_eps, rounding=rounding, blocks=self.blocks)
        super().__init__()
        alpha, resolution, num_classes = config["alpha"], config["resolution"], config["num_classes"]
        in_channels, small_input, activation = config["in_channels"], config["small_input"], config["activation"]
        stem_stride = TABLE1_FIRST_CONV.stride if not small_input else 1

        self.alpha = alpha
        self.resolution = resolution
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.small_input = small_input
        self.activation = activation
        self.padding = config["padding"]
        self.bn_eps = config["bn_eps"]
        self.rounding = config["rounding"]
        options = Options(activation, self.padding, self.bn_eps)

        channels = scaled_channels(TABLE1_FIRST_CONV.out_channels, alpha, self.rounding)
        layers: list[nn.Module] = [ConvBNAct(in_channels, channels, 3, stem_stride, groups=1, options=options,
                                             side=resolution, stem=True)]
        for block in self.blocks:
            out_channels = scaled_channels(block.out_channels, alpha, self.rounding)
            layers.append(self.make_block(channels, out_channels, block.stride, options))
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
    def make_block(in_channels: int, out_channels: int, stride: int, options: Options) -> nn.Module:
        """One row pair of Table 1: a depthwise separable block."""
        return DepthwiseSeparable(in_channels, out_channels, stride, options)

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
        peers = "".join(f", {key}={getattr(self, key)!r}" for key, default in PEER_DEFAULTS.items()
                        if getattr(self, key) != default)
        return f"alpha={self.alpha:g}, resolution={self.resolution}, rho={self.rho:.4g}" + peers


class ConvMobileNet(MobileNetV1):
    """MobileNet with every depthwise separable block replaced by one full 3x3 convolution (paper Table 4).

    Book: chapter 6, "Why depthwise separable?". The paper's figures: 71.7% top-1, 4866 million mult-adds, 29.3
    million parameters, against 70.6%, 569 and 4.2 for MobileNet. Takes the same arguments as MobileNetV1.
    """

    @staticmethod
    def make_block(in_channels: int, out_channels: int, stride: int, options: Options) -> nn.Module:
        return FullConvBlock(in_channels, out_channels, stride, options)


class ShallowMobileNet(MobileNetV1):
    """MobileNet without the five 14x14x512 separable blocks (paper Table 5, "Shallow MobileNet").

    Book: chapter 6, "Narrow or shallow?". The paper's figures: 65.3% top-1, 307 million mult-adds, 2.9 million
    parameters, against 68.4%, 325 and 2.6 for the narrower 0.75-MobileNet-224. Takes MobileNetV1's arguments.
    """

    blocks = tuple(b for i, b in enumerate(TABLE1_BLOCKS) if i not in SHALLOW_REMOVED)

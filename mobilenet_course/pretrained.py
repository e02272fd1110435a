"""The peers' MobileNet v1 weights in the package's model: timm's and Keras', with the same outputs.

Book: chapter 6, "The same network in Keras and timm".

timm's ``mobilenetv1_100`` and Keras' ``keras.applications.MobileNet`` are the network of the paper's Table 1, as
:class:`~mobilenet_course.MobileNetV1` is, layer for layer. What differs is how each library builds a layer:

* timm: ReLU6, batch-norm epsilon 1e-5 and PyTorch's symmetric padding, so ``MobileNetV1(alpha,
  activation="relu6")`` is timm's model; off the paper's alphas timm rounds channels to multiples of 8.
* Keras: ReLU6, batch-norm epsilon 1e-3, and TensorFlow's padding on the five stride-2 layers (nothing on the
  top and left, one pixel on the bottom and right); it rounds channels with ``int(c * alpha)`` and no floor.

:func:`from_timm` and :func:`from_keras` build the package's model with those options
(``mobilenet_course.model.PEER_DEFAULTS`` names them) and copy the weights into it. Each returned model carries the
:class:`Preprocessing` its weights were trained with as ``model.preprocessing``; :func:`predict` applies it to a
photo, so the package's top-5 is the source library's.

Neither function downloads anything: give them a model or weights you have (``timm.create_model(
"mobilenetv1_100.ra4_e3600_r224_in1k", pretrained=True)``, ``keras.applications.MobileNet()``), and they need
neither library for a state dict (timm) or a model object (Keras) beyond the object itself.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from torch import nn

from .model import TABLE1_BLOCKS, TABLE1_FIRST_CONV, MobileNetV1, scaled_channels

__all__ = ["Preprocessing", "timm_preprocessing", "keras_preprocessing", "TIMM_STAGES", "timm_key", "timm_mobilenet",
           "from_timm",
           "keras_layer", "from_keras", "predict", "keras_mobilenet", "keras_batch_norm_from_data", "keras_difference",
           "keras_differences", "logit_difference"]

TIMM_STAGES = (1, 2, 2, 6, 2)
"""Depthwise separable blocks in each of timm's five stages (its ``arch_def``: ``dsa_r1``, ``r2``, ``r2``, ``r6``,
``r2``); block ``k`` of Table 1 is timm's ``blocks.{stage}.{index}``."""

BASE_WIDTHS = (TABLE1_FIRST_CONV.out_channels,) + tuple(block.out_channels for block in TABLE1_BLOCKS)
"""Channels of the stem and of each block's pointwise convolution before the width multiplier (Table 1)."""


@dataclass(frozen=True)
class Preprocessing:
    """How a photo becomes the input a model's weights were trained on.

    Resize so that the shorter side is ``floor(resolution / crop_fraction)`` pixels with ``interpolation`` (PIL's
    filter of that name) and cut the centre ``resolution`` x ``resolution`` square; with ``crop_fraction`` None,
    resize the whole photo to the square instead (its aspect ratio is lost, as in Keras' ``load_img``). Then
    ``(pixel / 255 - mean) / std`` per channel.
    """

    source: str
    resolution: int
    interpolation: str
    crop_fraction: float | None
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)

    def resize(self, image: Any) -> np.ndarray:
        """The resized and cropped photo: uint8, (resolution, resolution, 3)."""
        from PIL import Image

        image = _as_image(image)
        filters = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
        if self.interpolation not in filters:
            raise ValueError(f"interpolation must be one of {sorted(filters)}, got {self.interpolation!r}")
        size = self.resolution
        if self.crop_fraction is None:
            return np.asarray(image.resize((size, size), filters[self.interpolation]))
        # torchvision's Resize(int) then CenterCrop, as timm's eval transform does
        short = int(size / self.crop_fraction)
        width, height = image.size
        if width <= height:
            new = (short, int(short * height / width))
        else:
            new = (int(short * width / height), short)
        image = image.resize(new, filters[self.interpolation])
        left, top = int(round((new[0] - size) / 2)), int(round((new[1] - size) / 2))
        return np.asarray(image.crop((left, top, left + size, top + size)))

    def __call__(self, image: Any) -> torch.Tensor:
        """A batch of one: the photo as the model's input, float32, (1, 3, resolution, resolution)."""
        pixels = torch.from_numpy(self.resize(image).astype(np.float32) / 255).permute(2, 0, 1)
        mean = torch.tensor(self.mean).view(3, 1, 1)
        std = torch.tensor(self.std).view(3, 1, 1)
        return ((pixels - mean) / std).unsqueeze(0)

    def as_metadata(self) -> dict:
        """The preprocessing as :func:`mobilenet_course.deploy.describe` stores it in a deployed file."""
        rule = (f"resize to {self.resolution}x{self.resolution}, {self.interpolation}" if self.crop_fraction is None
                else f"shorter side to {int(self.resolution / self.crop_fraction)} px, {self.interpolation}, "
                     f"centre crop {self.resolution}")
        return {"mean": list(self.mean), "std": list(self.std), "resize": f"{rule} ({self.source})"}


def timm_preprocessing(resolution: int = 224) -> Preprocessing:
    """timm's evaluation transform for ``mobilenetv1_100.ra4_e3600_r224_in1k`` (its ``pretrained_cfg``): shorter
    side to ``floor(resolution / 0.875)`` (256 for 224), bicubic, centre crop, mean and std 0.5 (the "Inception"
    normalisation)."""
    return Preprocessing("timm", resolution, "bicubic", 0.875)


def keras_preprocessing(resolution: int = 224) -> Preprocessing:
    """Keras' documented use: ``load_img(path, target_size=(r, r))`` (nearest neighbour, the whole photo) and
    ``mobilenet.preprocess_input`` (``x / 127.5 - 1``, which is mean and std 0.5 on ``x / 255``)."""
    return Preprocessing("keras", resolution, "nearest", None)


def _as_image(image: Any):
    """A PIL image in RGB from a path, a PIL image or a (H, W, 3) uint8 array."""
    from PIL import Image

    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if not path.is_file():
            raise ValueError(f"no image file at {path}")
        with Image.open(path) as opened:
            return opened.convert("RGB")
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise ValueError("an image is a file path, a PIL image or a (height, width, 3) uint8 array; got "
                         f"{type(image).__name__} of dtype {array.dtype} and shape {array.shape}")
    return Image.fromarray(array)


def predict(model: nn.Module, image: Any, top: int = 5) -> list[tuple[int, float]]:
    """The ``top`` classes of a photo, with their probabilities, as ``[(class index, probability), ...]``.

    The photo (a path, a PIL image or an (H, W, 3) uint8 array) is prepared by ``model.preprocessing``, the
    :class:`Preprocessing` that :func:`from_timm` and :func:`from_keras` attach. ImageNet's class names are not part of
    the package: timm's ``ImageNetInfo`` and Keras' ``decode_predictions`` give them.
    """
    preprocessing = getattr(model, "preprocessing", None)
    if not isinstance(preprocessing, Preprocessing):
        raise ValueError("predict needs a model with a .preprocessing (from_timm and from_keras attach one); "
                         "set model.preprocessing = mobilenet_course.pretrained.Preprocessing(...) for another model")
    if not 1 <= top <= model.num_classes:
        raise ValueError(f"top must be between 1 and the model's {model.num_classes} classes, got {top}")
    device = next(model.parameters()).device
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            probabilities = model(preprocessing(image).to(device)).softmax(1)[0].cpu()
    finally:
        model.train(was_training)
    values, indices = probabilities.topk(top)
    return [(int(i), float(p)) for i, p in zip(indices, values)]


def _infer_alpha(channels: list[int], rules: tuple[str, ...], hint: str | None = None) -> tuple[float, str]:
    """The width multiplier and rounding rule that give these 14 channel counts.

    Many alphas give the same channels (any alpha in [0.75, 0.7509) gives 0.75's); this returns the one with the
    fewest decimals, the smallest of those, trying the rules in order (the package's default first). ``hint``, an
    alpha a model's name gives, is tried before all.
    """
    import math

    ratios = [c / w for c, w in zip(channels, BASE_WIDTHS)]
    low, high = min(ratios) * 0.8, max(ratios) * 1.25
    candidates = [float(hint)] if hint else []
    for digits in range(1, 5):
        scale = 10**digits
        candidates += [k / scale for k in range(max(1, math.ceil(low * scale)), math.floor(high * scale) + 1)]
    for alpha in candidates:
        for rule in rules:
            if _gives(alpha, rule, channels):
                return alpha, rule
    raise ValueError(f"no width multiplier gives the channels {channels} with rounding {' or '.join(rules)}; "
                     "give alpha= (and check that the model is a MobileNet v1)")


def _gives(alpha: float, rule: str, channels: list[int]) -> bool:
    """Whether width ``alpha``, rounded by ``rule``, gives the stem and the 13 blocks these channels."""
    return alpha > 0 and [scaled_channels(w, alpha, rule) for w in BASE_WIDTHS] == channels


def _check_rounding(alpha: float, channels: list[int], rules: tuple[str, ...]) -> str:
    for rule in rules:
        if _gives(alpha, rule, channels):
            return rule
    raise ValueError(f"alpha={alpha} does not give the model's channels {channels} with rounding "
                     f"{' or '.join(rules)}")


# timm ---------------------------------------------------------------------------------------------------------------

def timm_key(key: str) -> str:
    """The name timm's MobileNet v1 gives the package's state-dict entry ``key``.

    ``features.0`` (the stem) is timm's ``conv_stem`` and ``bn1``; block ``k`` of Table 1 (``features.k``) is timm's
    ``blocks.{stage}.{index}`` (:data:`TIMM_STAGES`), whose ``conv_dw``, ``bn1``, ``conv_pw`` and ``bn2`` are the
    package's ``depthwise.0``, ``depthwise.1``, ``pointwise.0`` and ``pointwise.1``; ``classifier`` is ``classifier``.
    """
    parts = key.split(".")
    if parts[0] == "classifier":
        return key
    if parts[0] != "features":
        raise KeyError(f"{key} is not a weight of MobileNetV1")
    layer = int(parts[1])
    if layer == 0:
        return {"0": "conv_stem", "1": "bn1"}[parts[2]] + "." + ".".join(parts[3:])
    stage, index = _timm_position(layer - 1)
    name = {("depthwise", "0"): "conv_dw", ("depthwise", "1"): "bn1", ("pointwise", "0"): "conv_pw",
            ("pointwise", "1"): "bn2"}[parts[2], parts[3]]
    return f"blocks.{stage}.{index}.{name}." + ".".join(parts[4:])


def _timm_position(block: int) -> tuple[int, int]:
    for stage, count in enumerate(TIMM_STAGES):
        if block < count:
            return stage, block
        block -= count
    raise KeyError(f"MobileNet v1 has {sum(TIMM_STAGES)} blocks, not {block + sum(TIMM_STAGES) + 1}")


def timm_mobilenet(name: str = "mobilenetv1_100.ra4_e3600_r224_in1k", *, pretrained: bool = False) -> nn.Module:
    """timm's MobileNet v1 ``name`` (``timm.create_model``); ``pretrained=True`` downloads its ImageNet weights from
    the Hugging Face Hub (about 17 MB for ``mobilenetv1_100``). Needs timm, and a torchvision that matches torch
    (Colab has both)."""
    try:
        import timm
    except Exception as error:  # ImportError, or torchvision's own error when it does not match torch
        raise ImportError(f"this needs timm (pip install timm) and a torchvision that imports beside torch "
                          f"{torch.__version__}: {type(error).__name__}: {error}") from error
    return timm.create_model(name, pretrained=pretrained).eval()


def from_timm(model_or_state_dict: nn.Module | Mapping[str, torch.Tensor], *, alpha: float | None = None,
              resolution: int | None = None, bn_eps: float | None = None) -> MobileNetV1:
    """The package's :class:`~mobilenet_course.MobileNetV1` with the weights of a timm MobileNet v1.

    Parameters
    ----------
    model_or_state_dict : nn.Module or mapping
        ``timm.create_model("mobilenetv1_100", pretrained=True)`` (or ``mobilenetv1_125``, or any width built by
        timm's ``_gen_mobilenet_v1``), or its ``state_dict()`` (a ``.pth`` file loaded with ``torch.load``). The
        ``mobilenetv1_100h`` variant adds a 1x1 head convolution that is not in the paper and is refused.
    alpha : float, optional
        The width multiplier; by default found from the channels (timm's rounding: multiples of 8).
    resolution : int, optional
        The input size of the returned model; by default the model's ``pretrained_cfg`` input size, else 224
        (timm's weights were trained at 224 and are tested at 256).
    bn_eps : float, optional
        Batch norm's epsilon; by default the model's, else timm's 1e-5.

    Returns
    -------
    MobileNetV1
        With ``activation="relu6"``, its logits equal timm's for the same input (bit for bit on the CPU), and
        ``model.preprocessing`` is :func:`timm_preprocessing` (with the model's own mean and std where it has a
        ``pretrained_cfg``).
    """
    source = model_or_state_dict
    preprocessing = timm_preprocessing(resolution or 224)
    activation = "relu6"
    if isinstance(source, nn.Module):
        config = getattr(source, "pretrained_cfg", None) or {}
        resolution = resolution or (config.get("input_size") or (None, None, 224))[-1]
        preprocessing = Preprocessing("timm", resolution, config.get("interpolation", "bicubic"),
                                      config.get("crop_pct", 0.875), tuple(config.get("mean", (0.5,) * 3)),
                                      tuple(config.get("std", (0.5,) * 3)))
        norm = getattr(source, "bn1", None)
        if bn_eps is None and norm is not None:
            bn_eps = norm.eps
        act = getattr(norm, "act", None)
        if act is not None:
            activation = {"ReLU6": "relu6", "ReLU": "relu"}.get(type(act).__name__, "")
            if not activation:
                raise ValueError(f"timm model's activation is {type(act).__name__}; MobileNetV1 has ReLU or ReLU6")
        state = source.state_dict()
    elif isinstance(source, Mapping):
        state = dict(source)
    else:
        raise TypeError(f"from_timm takes a timm model or its state dict, not {type(source).__name__}")
    if any(key.startswith("conv_head") for key in state):
        raise ValueError("this timm model has a 1x1 head convolution (conv_head, as mobilenetv1_100h): it is not the "
                         "paper's MobileNet v1, which MobileNetV1 builds")
    for needed in ("conv_stem.weight", "classifier.weight", f"blocks.{len(TIMM_STAGES) - 1}.0.conv_pw.weight"):
        if needed not in state:
            raise ValueError(f"not a timm MobileNet v1 state dict: it has no {needed!r} "
                             f"(its first keys: {', '.join(list(state)[:4])})")

    stem = state["conv_stem.weight"]
    pointwise = [state[f"blocks.{s}.{i}.conv_pw.weight"] for s, n in enumerate(TIMM_STAGES) for i in range(n)]
    channels = [stem.shape[0]] + [w.shape[0] for w in pointwise]
    rules = ("tf-slim", "timm")  # the package's default where it gives the same network
    if alpha is None:
        alpha, rounding = _infer_alpha(channels, rules)
    else:
        rounding = _check_rounding(alpha, channels, rules)
    model = MobileNetV1(alpha, resolution or 224, state["classifier.weight"].shape[0], in_channels=stem.shape[1],
                        activation=activation, bn_eps=1e-5 if bn_eps is None else bn_eps, rounding=rounding)
    ours = model.state_dict()
    missing = [timm_key(key) for key in ours if timm_key(key) not in state]
    unexpected = sorted(set(state) - {timm_key(key) for key in ours})
    if missing or unexpected:
        raise ValueError("the state dict is not a timm MobileNet v1 of this shape: "
                         + (f"missing {missing[:5]}" if missing else "") + (" " if missing and unexpected else "")
                         + (f"unexpected {unexpected[:5]}" if unexpected else ""))
    for key, value in ours.items():
        source_value = state[timm_key(key)]
        if source_value.shape != value.shape:
            raise ValueError(f"{timm_key(key)} has shape {tuple(source_value.shape)}, the package's {key} "
                             f"{tuple(value.shape)}")
        value.copy_(source_value)
    model.preprocessing = preprocessing
    return model.eval()


# Keras --------------------------------------------------------------------------------------------------------------

KERAS_FILE = re.compile(r"mobilenet_(1_0|7_5|5_0|2_5)_(\d+)_tf(_no_top)?\.h5$")
"""The names of Keras' ImageNet weight files, ``mobilenet_{alpha}_{resolution}_tf.h5``."""


def keras_layer(key: str) -> str:
    """The name of the Keras layer that holds the package's state-dict entry ``key``.

    The stem (``features.0``) is ``conv1`` and ``conv1_bn``; block ``k`` of Table 1 (``features.k``) is ``conv_dw_k``,
    ``conv_dw_k_bn``, ``conv_pw_k`` and ``conv_pw_k_bn``; the classifier is ``conv_preds``, a 1x1 convolution with a
    bias (a fully connected layer on the pooled features).
    """
    parts = key.split(".")
    if parts[0] == "classifier":
        return "conv_preds"
    if parts[0] != "features":
        raise KeyError(f"{key} is not a weight of MobileNetV1")
    layer = int(parts[1])
    if layer == 0:
        return {"0": "conv1", "1": "conv1_bn"}[parts[2]]
    kind = {"depthwise": "dw", "pointwise": "pw"}[parts[2]]
    return f"conv_{kind}_{layer}" + {"0": "", "1": "_bn"}[parts[3]]


def _import_keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError as error:
        raise ImportError("this needs Keras 3: pip install keras (with KERAS_BACKEND=torch it runs on this torch)") \
            from error
    return keras


def keras_mobilenet(alpha: float = 1.0, resolution: int = 224, *, weights: str | None = None, classes: int = 1000):
    """``keras.applications.MobileNet`` returning logits (``classifier_activation=None``), channels last.

    ``weights`` is None (random weights, no download) or a weights file you have; Keras' ``"imagenet"`` downloads
    its files from Google's storage. Keras runs on whichever backend ``KERAS_BACKEND`` names (this sets ``torch``
    when it is unset and Keras is not yet imported).
    """
    keras = _import_keras()
    return keras.applications.MobileNet(input_shape=(resolution, resolution, 3), alpha=alpha, weights=weights,
                                        classes=classes, classifier_activation=None)


def from_keras(model_or_weights_file: Any, *, alpha: float | None = None,
               resolution: int | None = None) -> MobileNetV1:
    """The package's :class:`~mobilenet_course.MobileNetV1` with the weights of a Keras ``applications.MobileNet``.

    Parameters
    ----------
    model_or_weights_file : keras.Model or path
        A ``keras.applications.MobileNet`` with its classifier (``include_top=True``), or one of Keras' weight files
        (``mobilenet_1_0_224_tf.h5``: alpha and resolution are read from the name) or a file saved by
        ``model.save_weights`` (give ``alpha`` and ``resolution``); a file is loaded with Keras.
    alpha : float, optional
        The width multiplier; by default the model's name or channels give it (Keras' ``int(c * alpha)``).
        Keras' ``depth_multiplier`` is not the paper's resolution multiplier, whatever its docstring says: it
        multiplies the channels of each depthwise convolution, and must be 1 here.
    resolution : int, optional
        Needed when the model or file does not fix it.

    Returns
    -------
    MobileNetV1
        With ``activation="relu6"``, ``padding="keras"`` and the model's batch-norm epsilon (1e-3), its logits equal
        Keras' to about 1e-5 (float32 rounding), and ``model.preprocessing`` is :func:`keras_preprocessing`. Feed it
        channels-first images: ``x.permute(0, 3, 1, 2)`` of Keras' ``(N, H, W, 3)``.
    """
    source = model_or_weights_file
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"no Keras weights file at {path}")
        match = KERAS_FILE.search(path.name)
        if match and match.group(3):
            raise ValueError(f"{path.name} holds no classifier (_no_top); MobileNetV1 needs one")
        if match:
            alpha = alpha or {"1_0": 1.0, "7_5": 0.75, "5_0": 0.5, "2_5": 0.25}[match.group(1)]
            resolution = resolution or int(match.group(2))
        if alpha is None or resolution is None:
            raise ValueError(f"{path.name} is not named as Keras' weight files (mobilenet_1_0_224_tf.h5): give "
                             "alpha= and resolution=")
        source = keras_mobilenet(alpha, resolution, weights=str(path))
    layers = {layer.name: layer for layer in getattr(source, "layers", [])}
    if "conv1" not in layers or "conv_pw_13" not in layers:
        raise TypeError(f"from_keras takes a keras.applications.MobileNet or its weights file, not "
                        f"{type(source).__name__}")
    if "conv_preds" not in layers:
        raise ValueError("this Keras MobileNet has no classifier (include_top=False); MobileNetV1 needs one")
    channels_first = layers["conv1"].data_format == "channels_first"
    shape = tuple(source.input_shape[1:])
    height, width, in_channels = (shape[1], shape[2], shape[0]) if channels_first else shape
    if height != width or height is None:
        if resolution is None:
            raise ValueError(f"the Keras model's input is {height}x{width}: MobileNetV1 takes square images of "
                             "a fixed size; give resolution=")
    resolution = resolution or height

    def weights(name: str) -> list[np.ndarray]:
        return [np.asarray(w) for w in layers[name].get_weights()]

    for block in range(1, 14):
        dw = weights(f"conv_dw_{block}")[0]
        if dw.shape[3] != 1:
            raise ValueError(f"conv_dw_{block} has depth_multiplier {dw.shape[3]}; MobileNet v1 has 1")
    channels = [weights("conv1")[0].shape[3]] + [weights(f"conv_pw_{b}")[0].shape[3] for b in range(1, 14)]
    rules = ("tf-slim", "keras")
    if alpha is not None:
        rounding = _check_rounding(alpha, channels, rules)
    else:
        hint = re.fullmatch(r"mobilenet_([0-9.]+)_\d+", source.name or "")
        alpha, rounding = _infer_alpha(channels, rules, hint.group(1) if hint else None)
    eps = {layers[name].epsilon for name in layers if name.endswith("_bn")}
    if len(eps) != 1:
        raise ValueError(f"the Keras model's batch norms use different epsilons {sorted(eps)}")
    for name in ("conv1_relu", "conv_pw_13_relu"):
        if getattr(layers[name], "max_value", None) != 6:
            raise ValueError(f"{name} is not ReLU6; Keras' MobileNet uses ReLU(6.0)")
    classifier_kernel, classifier_bias = weights("conv_preds")
    model = MobileNetV1(alpha, resolution, classifier_kernel.shape[3], in_channels=in_channels, activation="relu6",
                        padding="keras", bn_eps=eps.pop(), rounding=rounding)

    batch_norm = {"weight": 0, "bias": 1, "running_mean": 2, "running_var": 3}  # gamma, beta, moving mean, variance
    with torch.no_grad():
        for key, value in model.state_dict().items():
            if key.endswith("num_batches_tracked"):
                continue
            layer, kind = keras_layer(key), key.rsplit(".", 1)[1]
            if layer.endswith("_bn"):
                source_value = torch.from_numpy(weights(layer)[batch_norm[kind]])
            elif kind == "bias":  # the classifier's
                source_value = torch.from_numpy(weights(layer)[1])
            else:  # Keras' kernels are (height, width, in, out); a depthwise kernel (height, width, channels, 1)
                kernel = torch.from_numpy(weights(layer)[0])
                source_value = (kernel[0, 0].T if layer == "conv_preds" else
                                kernel.permute(2, 3, 0, 1) if layer.startswith("conv_dw") else kernel.permute(3, 2, 0, 1))
            if tuple(source_value.shape) != tuple(value.shape):
                raise ValueError(f"Keras' {layer} gives {key} the shape {tuple(source_value.shape)}, the package's "
                                 f"is {tuple(value.shape)}")
            value.copy_(source_value)
    model.preprocessing = keras_preprocessing(resolution)
    return model.eval()


def keras_batch_norm_from_data(keras_model: Any, images: np.ndarray, seed: int = 0) -> None:
    """Give every batch norm of a Keras model statistics measured on ``images``, and random scales and shifts.

    A model built with ``weights=None`` has moving means 0 and variances 1, where a trained one has statistics of
    its data; an equivalence check on the former would hide a wrong epsilon or a swapped mean and variance. Each
    batch norm in turn gets the mean and variance of its input over ``images`` (channels last), given the batch
    norms before it, and a scale in [0.5, 1.5] and a shift in [-0.5, 0.5]: one pass through the model's chain of
    layers, in inference mode.
    """
    keras = _import_keras()
    rng = np.random.default_rng(seed)
    x = images
    for layer in keras_model.layers[1:]:  # Keras' MobileNet is one chain of layers after its input
        if layer.name.endswith("_bn"):
            inputs = keras.ops.convert_to_numpy(x)
            mean, variance = inputs.mean(axis=(0, 1, 2)), inputs.var(axis=(0, 1, 2))
            gamma = rng.uniform(0.5, 1.5, mean.shape).astype(np.float32)
            beta = rng.uniform(-0.5, 0.5, mean.shape).astype(np.float32)
            layer.set_weights([gamma, beta, mean.astype(np.float32), variance.astype(np.float32)])
        x = layer(x, training=False)


def keras_difference(alpha: float, resolution: int, *, padding: str = "keras", bn_eps: float | None = None,
                     batch: int = 4, seed: int = 0) -> float:
    """The largest difference between the logits of Keras' MobileNet and the package's copy of it, random weights.

    Builds ``keras.applications.MobileNet(alpha, resolution, weights=None)`` (no download), gives its batch norms
    statistics from a forward pass (:func:`keras_batch_norm_from_data`), copies it with :func:`from_keras` and runs
    both on ``batch`` random images in [-1, 1]. ``padding`` and ``bn_eps`` change the copy's options, to show what
    each one is worth (``padding="symmetric"``: PyTorch's padding with Keras' weights).

    The statistics come from ``batch`` images; below about 64 px the last layers see one pixel an image, and
    statistics of a few pixels have tiny variances that magnify float32 rounding (1.0-MobileNet-32 differs by 2e-3
    with 2 images, 7e-5 with 16): give such sizes a larger batch.

    Book: chapter 6, "The same network in Keras and timm".
    """
    changes = {"padding": padding} if bn_eps is None else {"padding": padding, "bn_eps": bn_eps}
    return keras_differences(alpha, resolution, {"": changes}, batch=batch, seed=seed)[""]


def keras_differences(alpha: float, resolution: int, variants: Mapping[str, dict], *, batch: int = 4,
                      seed: int = 0) -> dict[str, float]:
    """:func:`keras_difference` for several variants of the copy at once, from one Keras model and one set of images.

    ``variants`` maps a label to the options changed in the copy (``{"padding": "symmetric"}``, ``{"bn_eps": 1e-5}``,
    ``{}`` for the copy as :func:`from_keras` makes it); returns the largest logit difference of each.
    """
    keras = _import_keras()
    keras.utils.set_random_seed(seed)
    source = keras_mobilenet(alpha, resolution)
    images = np.random.default_rng(seed).uniform(-1, 1, (batch, resolution, resolution, 3)).astype(np.float32)
    keras_batch_norm_from_data(source, images, seed)
    copy = from_keras(source)
    out = {}
    for label, changes in variants.items():
        options = {"activation": copy.activation, "padding": copy.padding, "bn_eps": copy.bn_eps,
                   "rounding": copy.rounding, **changes}
        changed = MobileNetV1(copy.alpha, copy.resolution, copy.num_classes, **options).eval()
        changed.load_state_dict(copy.state_dict())
        out[label] = logit_difference(source, changed, images)
    return out


def logit_difference(source: Any, model: nn.Module, images: np.ndarray | torch.Tensor) -> float:
    """The largest absolute difference between the logits of a source model (Keras or timm) and the package's model.

    ``images``: for a Keras model a channels-last float32 array (N, H, W, 3), which the package's model gets
    transposed to channels first; for a timm model (an ``nn.Module``) a (N, 3, H, W) tensor both models get.
    Both run in inference mode; a timm model stays on its device and a copy of ``model`` runs there.
    """
    import copy

    if isinstance(source, nn.Module) and not hasattr(source, "get_layer"):  # Keras' models are modules on torch
        device = next(source.parameters()).device
        model = copy.deepcopy(model).to(device).eval()
        was_training = source.training
        try:
            source.eval()
            with torch.no_grad():
                images = images.to(device)
                return float((model(images) - source(images)).abs().max())
        finally:
            source.train(was_training)
    model = copy.deepcopy(model).cpu().eval()
    keras = _import_keras()
    expected = keras.ops.convert_to_numpy(source(images, training=False))
    with torch.no_grad():
        logits = model(torch.from_numpy(np.asarray(images)).permute(0, 3, 1, 2).contiguous()).numpy()
    return float(np.abs(logits - expected).max())

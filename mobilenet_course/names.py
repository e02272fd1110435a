"""The paper's model names, ``"0.75-MobileNet-128"``, and its 16-model grid.

Book: chapter 6, "The model family M(alpha, rho)".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from . import checks
from .model import MAX_RESOLUTION, ConvMobileNet, MobileNetV1, ShallowMobileNet, format_alpha

__all__ = ["PAPER_ALPHAS", "PAPER_RESOLUTIONS", "RESOLUTION_ALIASES", "from_name", "model_name", "parse_name",
           "paper_grid"]

PAPER_ALPHAS: tuple[float, ...] = (1.0, 0.75, 0.5, 0.25)
"""The width multipliers of the paper's Table 6 and of the released checkpoints."""

PAPER_RESOLUTIONS: tuple[int, ...] = (224, 192, 160, 128)
"""The input resolutions of the paper's Table 7 and of the released checkpoints."""

RESOLUTION_ALIASES = {"baseline": 224, "medium": 192, "small": 160, "tiny": 128}
"""Words that one of the seed texts uses for the four resolutions, as in ``"0.5_MobileNet_small"``."""

FAMILIES = {"mobilenet": MobileNetV1, "convmobilenet": ConvMobileNet, "shallowmobilenet": ShallowMobileNet}

MAX_NAME_LENGTH = 100
"""The longest model name :func:`parse_name` reads, in characters (the longest real one has about 40)."""

# Between the parts: "-" or "_" with optional spaces around, or spaces alone. Written as two alternatives so that a
# run of spaces can be split in only one way: the old "\s*[-_ ]\s*" could split n spaces in about n**2 ways, and a
# long run of spaces took minutes to refuse.
_SEP = r"(?:\s*[-_]\s*|\s+)"
_NAME = re.compile(
    r"(?P<alpha>\d+(?:\.\d+)?|\.\d+)" + _SEP + r"(?P<family>(?:conv|shallow)?mobilenet)" + _SEP
    + r"(?P<resolution>\d+|" + "|".join(RESOLUTION_ALIASES) + r")",
    re.IGNORECASE,
)


def model_name(alpha: float, resolution: int, family: str = "MobileNet") -> str:
    """The paper's name of ``M(alpha, resolution)``: ``model_name(0.75, 128) == "0.75-MobileNet-128"``.

    ``family`` is ``"MobileNet"``, ``"ConvMobileNet"`` or ``"ShallowMobileNet"``. Alpha and resolution are checked
    as the models check them (:func:`mobilenet_course.model.check_arguments`), so the name always reads back with
    :func:`parse_name`. Raises :class:`mobilenet_course.checks.ArgumentError` (a ``ValueError``) otherwise.
    """
    family = checks.choice(family, "family", [c.__name__.removesuffix("V1") for c in FAMILIES.values()])
    resolution = checks.whole(resolution, "resolution", low=1, high=MAX_RESOLUTION)
    return f"{format_alpha(alpha)}-{family}-{resolution}"


def parse_name(name: str) -> tuple[float, int, type[MobileNetV1]]:
    """Split a model name into ``(alpha, resolution, model class)``.

    Accepted forms: the paper's ``"0.75-MobileNet-128"`` and ``"1.0 MobileNet-224"``, the alias
    ``"0.75_MobileNet_128"``, a resolution word ``"0.5_MobileNet_small"`` (baseline 224, medium 192, small 160,
    tiny 128), and the variants ``"1.0-ConvMobileNet-224"`` and ``"1.0-ShallowMobileNet-224"``. A name has at most
    ``MAX_NAME_LENGTH`` characters. The numbers are read, not checked: :func:`from_name` checks them by building
    the model (alpha in [0.01, 1.5], resolution up to 1024 px).
    """
    if not isinstance(name, str):
        raise checks.ArgumentError(f"a model name is a string such as '0.75-MobileNet-128', got {name!r}")
    if len(name) > MAX_NAME_LENGTH:
        raise checks.ArgumentError(f"a model name has at most {MAX_NAME_LENGTH} characters, such as "
                                   f"'0.75-MobileNet-128'; got {len(name)} characters ({name[:20]!r}...)")
    match = _NAME.fullmatch(name.strip())
    if match is None:
        raise checks.ArgumentError(
            f"cannot read model name {name!r}. Use ALPHA-MobileNet-RESOLUTION, such as '0.75-MobileNet-128', "
            f"'1.0 MobileNet-224' or '0.5_MobileNet_160'; the resolution may also be one of "
            f"{', '.join(RESOLUTION_ALIASES)}; ConvMobileNet and ShallowMobileNet are accepted as the family."
        )
    size = match["resolution"].lower()
    resolution = RESOLUTION_ALIASES[size] if size in RESOLUTION_ALIASES else int(size)
    return float(match["alpha"]), resolution, FAMILIES[match["family"].lower()]


def from_name(name: str, **kwargs: Any) -> MobileNetV1:
    """Build a model from its paper name: ``from_name("0.75-MobileNet-128", num_classes=10)``.

    Keyword arguments go to the model class (``num_classes``, ``in_channels``, ``small_input``, ...). See
    :func:`parse_name` for the accepted spellings.
    """
    alpha, resolution, family = parse_name(name)
    return family(alpha=alpha, resolution=resolution, **kwargs)


def paper_grid() -> Iterator[str]:
    """The names of the paper's 16 models, alpha in (1, 0.75, 0.5, 0.25) by resolution in (224, 192, 160, 128)."""
    for alpha in PAPER_ALPHAS:
        for resolution in PAPER_RESOLUTIONS:
            yield model_name(alpha, resolution)

"""Inference paths: ways to run a trained model faster, each checked against eager fp32.

A path turns a model into a callable that takes a batch of images (NCHW float32) and returns logits. Paths that need
an optional package (onnxruntime, torchao) say why they cannot run instead of failing, so that the benchmark runs on a
Raspberry Pi with only torch installed.

Book: chapter 8, "Inference paths side by side".
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["Path", "PATHS", "Unavailable", "prepare", "available_paths"]


class Unavailable(RuntimeError):
    """A path cannot run here; the message says why (a missing package, the wrong processor)."""


@dataclass(frozen=True)
class Path:
    """An inference path: its name, what it does, how to build it, and its tolerance against eager fp32."""

    name: str
    description: str
    build: Callable[[nn.Module, torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]
    atol: float  # largest allowed absolute difference of logits from eager fp32 (for fp32 paths)
    quantized: bool = False


def _eager(model: nn.Module, example: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    return model.eval()


def _channels_last(model: nn.Module, example: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    fast = copy.deepcopy(model).eval().to(memory_format=torch.channels_last)

    def run(x: torch.Tensor) -> torch.Tensor:
        return fast(x.contiguous(memory_format=torch.channels_last))

    return run


PATHS: dict[str, Path] = {
    "eager": Path("eager", "the model as written, fp32, NCHW", _eager, atol=0.0),
    "channels_last": Path("channels_last", "fp32 with NHWC (channels-last) memory layout", _channels_last, atol=1e-4),
}


def prepare(name: str, model: nn.Module, example: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """Build path ``name`` for ``model``; raises :class:`Unavailable` if it cannot run here."""
    if name not in PATHS:
        raise ValueError(f"unknown inference path {name!r}; the paths are {', '.join(PATHS)}")
    with torch.no_grad():
        return PATHS[name].build(model, example)


def available_paths() -> list[str]:
    """The names of all paths, in the order the benchmark runs them."""
    return list(PATHS)

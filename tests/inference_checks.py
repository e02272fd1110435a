"""Shared by test_inference.py and test_benchmarks.py: which paths are slow to build, when a path may decline to run,
and what a path must leave as it was in the caller's model."""

import copy
import importlib.util

import pytest
import torch

from mobilenet_course import inference

OPTIONAL = {"int8": ["torchao"], "onnxruntime": ["onnxruntime", "onnxscript"], "executorch": ["executorch"],
            "executorch_int8": ["executorch", "torchao"]}  # packages a path may lack
SLOW = {"compile", "int8",  # inductor writes and builds C++: tens of seconds each on 2 cores
        "executorch", "executorch_int8"}  # ExecuTorch's lowering passes: 5-10 s each on 2 cores


def path_params(slow: set[str] = SLOW) -> list:
    """Every path, those in ``slow`` marked slow."""
    return [pytest.param(name, marks=pytest.mark.slow) if name in slow else name for name in inference.PATHS]


def device_params() -> list:
    """Where the caller's model lies: the CPU, and CUDA where there is a GPU (conftest skips the rest)."""
    return ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


def skip_if_allowed(name: str, why: inference.Unavailable) -> None:
    """Skip when path ``name`` declined for an allowed reason (a Raspberry Pi with torch alone); else re-raise."""
    if name in ("compile", "int8") and inference.missing_build_tools():
        pytest.skip(f"{name}: {why}")
    if any(importlib.util.find_spec(m) is None for m in OPTIONAL.get(name, ())):
        pytest.skip(f"{name}: {why}")
    raise why


def as_left_by_training(model: torch.nn.Module, device: str) -> torch.nn.Module:
    """A copy of ``model`` the way a caller may hold it: on ``device``, in training mode, channels-last."""
    held = copy.deepcopy(model).to(device, memory_format=torch.channels_last).train()
    layout = {name: (t.device, t.stride()) for name, t in held.state_dict().items()}
    assert layout != {name: (t.device, t.stride()) for name, t in model.state_dict().items()}, "nothing to keep"
    return held


def state_of(model: torch.nn.Module) -> dict:
    """What a path must leave as it was: the mode, and every parameter and buffer's device, layout and values."""
    return {"training": [m.training for m in model.modules()],
            "tensors": {name: (t.device, t.stride(), t.detach().clone()) for name, t in model.state_dict().items()}}


def assert_as_before(model: torch.nn.Module, before: dict) -> None:
    after = state_of(model)
    assert after["training"] == before["training"], "the model's training/eval mode changed"
    for name, (device, stride, values) in before["tensors"].items():
        now_device, now_stride, now_values = after["tensors"][name]
        assert now_device == device, f"{name} moved from {device} to {now_device}"
        assert now_stride == stride, f"{name}'s memory layout changed (strides {stride} -> {now_stride})"
        assert torch.equal(now_values, values), f"{name} changed"

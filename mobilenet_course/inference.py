"""Inference paths: ways to run a trained model faster, each checked against eager fp32.

A path turns a model into a callable that takes a batch of images (NCHW float32) and returns logits, all on the CPU:
the model may be on any device (a GPU after training, say), and each path runs a CPU copy of it, leaving the model as
it was. Paths that need an optional package (onnxruntime, torchao, executorch) say why they cannot run instead of failing, so that
the benchmark runs on a Raspberry Pi with only torch installed.

Book: chapter 8, "Inference paths side by side".
"""

from __future__ import annotations

import copy
import os
import platform
import shutil
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["Path", "PATHS", "Unavailable", "prepare", "available_paths", "cpu_copy", "cxx_compiler",
           "missing_build_tools"]


class Unavailable(RuntimeError):
    """A path cannot run here; the message says why (a missing package, the wrong processor)."""


@dataclass(frozen=True)
class Path:
    """An inference path: its name, what it does, how to build it, and its tolerance against eager fp32.

    ``build(model, example, calibration)`` gets what :func:`prepare` hands it: a private CPU copy of the model in eval
    mode (:func:`cpu_copy`), which it may change, and CPU tensors.
    """

    name: str
    description: str
    build: Callable[[nn.Module, torch.Tensor, torch.Tensor], Callable[[torch.Tensor], torch.Tensor]]
    atol: float | None  # fp32 paths: largest absolute difference of logits from eager fp32
    min_agreement: float = 1.0  # int8 paths: least share of top-1 predictions equal to eager fp32's
    quantized: bool = False


def cpu_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` on the CPU, in eval mode and the default (NCHW) memory format: what the CPU paths run.

    The model may be on any device (CUDA, MPS, CPU), in training or eval mode and in either memory format; it is
    left as it was (device, memory format, mode, parameters and batch-norm statistics). A model that training left
    on a GPU is copied there first (``copy.deepcopy``), then the copy moves to the CPU.

    Parameters
    ----------
    model : nn.Module
        Any model, such as a :class:`mobilenet_course.MobileNetV1` after :func:`mobilenet_course.train.fit`.

    Returns
    -------
    nn.Module
        The copy, sharing no tensor with ``model``.
    """
    return copy.deepcopy(model).to("cpu", memory_format=torch.contiguous_format).eval()


def _eager(model: nn.Module, example: torch.Tensor, calibration: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    return model


def _channels_last(model: nn.Module, example: torch.Tensor, calibration: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    fast = model.to(memory_format=torch.channels_last)

    def run(x: torch.Tensor) -> torch.Tensor:
        return fast(x.contiguous(memory_format=torch.channels_last))

    return run


def fold_batch_norm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` (in eval mode, on the model's device) with every batch norm folded into the convolution
    before it; ``model`` itself is left as it was.

    In inference, ``BN(conv(x)) = gamma (W x - mu) / sigma + beta`` is itself a convolution with weights
    ``gamma W / sigma`` and bias ``beta - gamma mu / sigma``: one layer fewer to run, the same output.
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    folded = copy.deepcopy(model).eval()
    for module in folded.modules():
        children = list(module.named_children())
        for (name, child), (next_name, following) in zip(children, children[1:]):
            if isinstance(child, nn.Conv2d) and isinstance(following, nn.BatchNorm2d):
                setattr(module, name, fuse_conv_bn_eval(child, following))
                setattr(module, next_name, nn.Identity())
    return folded


def _fold_bn(model: nn.Module, example: torch.Tensor, calibration: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    return _channels_last(fold_batch_norm(model), example, calibration)


def cxx_compiler() -> str | None:
    """The C++ compiler torch.compile's inductor would use on a CPU (``$CXX``, else g++), or None if there is none."""
    import torch._inductor.config as inductor_config

    names = inductor_config.cpp.cxx if isinstance(inductor_config.cpp.cxx, tuple) else (inductor_config.cpp.cxx,)
    found = [shutil.which(name) for name in names if name]
    return next((path for path in found if path), None)


def missing_build_tools() -> list[str]:
    """What torch.compile's inductor needs on a CPU and this machine lacks: a C++ compiler, Python's C headers.

    Inductor writes C++ for the model, including ``Python.h``, and builds it. A minimal Raspberry Pi OS has neither
    (``sudo apt install g++ python3-dev``).
    """
    missing = []
    if cxx_compiler() is None:
        missing.append("a C++ compiler (g++ or $CXX)")
    if not os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")):
        missing.append("Python's C headers (Python.h)")
    return missing


def _require_build_tools() -> None:
    missing = missing_build_tools()
    if missing:
        raise Unavailable(f"torch.compile builds C++ and needs {' and '.join(missing)}, not found here; "
                          "sudo apt install g++ python3-dev")


def _compiled_frozen(module: nn.Module, example: torch.Tensor,
                     memory_format: torch.memory_format = torch.contiguous_format) -> Callable[[torch.Tensor], torch.Tensor]:
    """``torch.compile(module)`` with freezing, compiled now on ``example`` rather than in the first timed call.

    Freezing turns the weights into constants the compiler can pre-pack and fold (inference only).
    """
    import torch._inductor.config as inductor_config

    compiled = torch.compile(module, dynamic=False)  # static shapes: a second model of another size must not
    # turn on dynamic shapes, which broke mkldnn's fused convolutions (a stride assertion) in torch 2.13

    def run(x: torch.Tensor) -> torch.Tensor:
        with inductor_config.patch(freezing=True):
            return compiled(x.contiguous(memory_format=memory_format))

    with torch.no_grad():
        run(example)
    return run


def _compile(model: nn.Module, example: torch.Tensor, calibration: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    _require_build_tools()
    folded = fold_batch_norm(model).to(memory_format=torch.channels_last)
    return _compiled_frozen(folded, example, torch.channels_last)


def _int8(model: nn.Module, example: torch.Tensor, calibration: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """Post-training static int8 quantization through PT2E (torchao): export, annotate, calibrate, convert, compile."""
    try:
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    except ImportError as error:
        if isinstance(error, ModuleNotFoundError) and error.name == "torchao":
            raise Unavailable(f"needs torchao ({error}); pip install torchao") from error
        # installed, but made for another torch (each torchao release supports a few torch releases)
        raise Unavailable(f"torchao is installed but does not import with torch {torch.__version__} ({error}); "
                          "install the torchao release made for this torch") from error
    _require_build_tools()
    if platform.machine() in ("aarch64", "arm64"):
        from torchao.quantization.pt2e.quantizer.arm_inductor_quantizer import (
            ArmInductorQuantizer as Quantizer,
            get_default_arm_inductor_quantization_config as default_config,
        )
    else:
        from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
            X86InductorQuantizer as Quantizer,
            get_default_x86_inductor_quantization_config as default_config,
        )
    exported = torch.export.export(model, (example,)).module()
    prepared = prepare_pt2e(exported, Quantizer().set_global(default_config()))
    with torch.no_grad():  # the exported graph takes batches of the example's size only
        for chunk in calibration.split(example.shape[0]):
            if chunk.shape[0] == example.shape[0]:
                prepared(chunk)
    return _compiled_frozen(convert_pt2e(prepared), example)


def _executorch_path(int8: bool) -> Callable:
    """ExecuTorch with the XNNPACK delegate (:func:`mobilenet_course.deploy.to_pte`), fp32 or int8, run in memory by
    ``executorch.runtime`` with as many threads as torch has: the file ``mobilenet-course export`` writes."""

    def build(model: nn.Module, example: torch.Tensor, calibration: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        from . import deploy

        data = deploy.to_pte(model, example, int8=int8, calibration=calibration)
        return deploy.DeployedModel(data, "pte", threads=torch.get_num_threads(),
                                    name=getattr(model, "name", type(model).__name__))

    return build


def _onnxruntime(model: nn.Module, example: torch.Tensor, calibration: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    try:
        import onnxruntime as ort
    except ImportError as error:
        raise Unavailable(f"needs onnxruntime ({error}); pip install onnx onnxscript onnxruntime") from error
    from . import deploy

    data = deploy.to_onnx(model, example)  # the package's one ONNX export (mobilenet-course export uses it too)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # ONNX Runtime's worker threads keep spinning for over 100 ms after a call, on the cores the next path needs:
    # ExecuTorch timed in turns right after it took 5.9 ms instead of 3.5 (1.0-MobileNet-224, 2 cores). Stopping
    # the spin when a call returns (spinning within a call stays) cost onnxruntime itself 3-11 % there (3.4-3.5 ms
    # against 3.2-3.3), where turning spinning off altogether cost it over 20 % (4.0 ms).
    options.add_session_config_entry("session.force_spinning_stop", "1")
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])

    def run(x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(session.run(None, {"images": x.numpy()})[0])

    return run


PATHS: dict[str, Path] = {
    "eager": Path("eager", "the model as written, fp32, NCHW", _eager, atol=0.0),
    "channels_last": Path("channels_last", "fp32 with NHWC (channels-last) memory layout", _channels_last, atol=1e-4),
    "fold_bn": Path("fold_bn", "fp32, batch norm folded into the convolutions, channels-last", _fold_bn, atol=1e-4),
    "compile": Path("compile", "fp32, folded, torch.compile (inductor) with freezing", _compile, atol=1e-3),
    "int8": Path("int8", "int8 post-training quantization, PT2E with torchao's x86 (or Arm) inductor quantizer",
                 _int8, atol=None, min_agreement=0.99, quantized=True),
    "onnxruntime": Path("onnxruntime", "fp32, exported to ONNX and run by onnxruntime", _onnxruntime, atol=1e-3),
    "executorch": Path("executorch", "fp32, exported to ExecuTorch with the XNNPACK delegate (a .pte file)",
                       _executorch_path(int8=False), atol=1e-3),
    "executorch_int8": Path("executorch_int8", "int8 post-training quantization with XNNPACKQuantizer, ExecuTorch and XNNPACK",
                            _executorch_path(int8=True), atol=None, min_agreement=0.99, quantized=True),
}


def prepare(name: str, model: nn.Module, example: torch.Tensor,
            calibration: torch.Tensor | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
    """Build path ``name`` for ``model``: a function from a CPU batch of images to CPU logits.

    Every path is a CPU path. The model may be on any device (CUDA, MPS, CPU) and in either mode: the path runs a
    CPU copy in eval mode (:func:`cpu_copy`) and leaves the model as it was (device, memory format, mode,
    parameters).

    Parameters
    ----------
    name : str
        One of :data:`PATHS` (``available_paths()``).
    model : nn.Module
        The model to run, on any device.
    example : torch.Tensor
        A batch of the shape the path will be called with (NCHW float32; moved to the CPU if it is elsewhere).
    calibration : torch.Tensor, optional
        Images the int8 paths observe to choose their scales (real images, ideally a few hundred); default
        ``example``.

    Raises
    ------
    ValueError
        ``name`` is not a path.
    Unavailable
        The path cannot run on this machine (the message says why).
    """
    if name not in PATHS:
        raise ValueError(f"unknown inference path {name!r}; the paths are {', '.join(PATHS)}")
    example = example.to("cpu")
    calibration = example if calibration is None else calibration.to("cpu")
    with torch.no_grad():
        return PATHS[name].build(cpu_copy(model), example, calibration)


def available_paths() -> list[str]:
    """The names of all paths, in the order the benchmark runs them."""
    return list(PATHS)

"""Deployable files: a model exported once on the laptop, run on the device with only a runtime installed.

Two formats, both of which the device runs without a compiler (no ``torch.compile``, no g++):

- **ExecuTorch** (``.pte``), the route PyTorch maintains for phones and boards such as the Raspberry Pi:
  ``torch.export`` -> ``to_edge_transform_and_lower(partitioner=[XnnpackPartitioner()])`` -> ``to_executorch()``;
  every convolution, the pooling and the classifier are delegated to XNNPACK's kernels. int8 goes through
  ``XNNPACKQuantizer`` (symmetric, per-channel weights) with torchao's ``prepare_pt2e`` / ``convert_pt2e``,
  calibrated on real images, before the same lowering. ``executorch.runtime`` runs the file.
- **ONNX** (``.onnx``): ``torch.onnx.export`` (the dynamo exporter), run by onnxruntime.

Each file carries what the device needs to use it (:func:`describe`): the model's name, alpha, resolution, input
channels, class names and the preprocessing its weights expect (resize rule, mean and std). In a ``.pte`` it is a
constant method, ``metadata_json``, returning the JSON as bytes; in an ``.onnx`` it is the model's
``metadata_props``. :func:`export` writes the file atomically, after loading it back with its runtime and checking
its outputs against the model.

Book: chapter 8, "On a Raspberry Pi".
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from . import checks
from .inference import Unavailable  # one exception for "not installed here", shared with the inference paths

__all__ = ["FORMATS", "METADATA_FORMAT", "DeployedModel", "Unavailable", "describe", "to_pte", "to_onnx", "export",
           "load", "set_executorch_threads", "xnnpack_int8"]

FORMATS = {"pte": ".pte", "onnx": ".onnx"}
"""Export formats and their file suffixes."""

METADATA_FORMAT = "mobilenet-course deployed model 1"


def _executorch():
    try:
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
        from executorch.exir import to_edge_transform_and_lower
    except ImportError as error:
        raise Unavailable(f"needs executorch ({error}); pip install executorch") from error
    return XnnpackPartitioner, to_edge_transform_and_lower


def _runtime():
    try:
        from executorch.runtime import Runtime
    except ImportError as error:
        raise Unavailable(f"needs executorch's runtime ({error}); pip install executorch") from error
    return Runtime.get()


def set_executorch_threads(threads: int) -> None:
    """Size ExecuTorch's thread pool (XNNPACK's threads) to ``threads``; it is one pool for the whole process."""
    from executorch.extension.pybindings.portable_lib import _threadpool_get_thread_count, _unsafe_reset_threadpool

    if _threadpool_get_thread_count() != threads:
        _unsafe_reset_threadpool(threads)


def describe(model: nn.Module, *, int8: bool = False, class_names: Sequence[str] | None = None,
             preprocessing: dict | None = None) -> dict:
    """What a device needs to know to use an exported ``model``: the metadata stored in the file.

    It includes the model's mult-adds and parameters (:func:`mobilenet_course.costs.profile`), so that a benchmark of
    the file reports them whatever the model's class. ``preprocessing`` is ``{"mean": m, "std": s, "resize": rule}`` (how :class:`mobilenet_course.data.ImageDataset`
    made the training images: ``(pixel / 255 - mean) / std``), or None for a model that was never trained.
    """
    num_classes = getattr(model, "num_classes", None)
    if class_names is not None:
        class_names = [str(name) for name in class_names]
        if num_classes is not None and len(class_names) != num_classes:
            raise ValueError(f"{len(class_names)} class names for a model with {num_classes} outputs")
    from .costs import profile

    cost = profile(model)
    return {"format": METADATA_FORMAT, "model": getattr(model, "name", type(model).__name__),
            "alpha": getattr(model, "alpha", None), "resolution": model.resolution,
            "in_channels": model.in_channels, "num_classes": num_classes,
            "small_input": getattr(model, "small_input", None), "mult_adds": cost.mult_adds, "params": cost.params,
            "int8": int8,
            "class_names": class_names, "preprocessing": preprocessing}


def xnnpack_int8(model: nn.Module, example: torch.Tensor, calibration: torch.Tensor) -> torch.fx.GraphModule:
    """``model`` quantized to int8 for XNNPACK: PT2E post-training static quantization, calibrated on ``calibration``.

    ``XNNPACKQuantizer`` with symmetric per-channel int8 weights and int8 activations; the observers see the
    calibration images in batches of the example's size (the exported graph's shape).
    """
    try:
        from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
            XNNPACKQuantizer,
            get_symmetric_quantization_config,
        )
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    except ImportError as error:
        raise Unavailable(f"int8 for XNNPACK needs executorch and torchao ({error}); pip install executorch") \
            from error
    exported = torch.export.export(model, (example,)).module()
    quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    prepared = prepare_pt2e(exported, quantizer)
    with torch.no_grad():
        for chunk in calibration.split(example.shape[0]):
            if chunk.shape[0] == example.shape[0]:
                prepared(chunk)
    return convert_pt2e(prepared)


def to_pte(model: nn.Module, example: torch.Tensor, *, int8: bool = False, calibration: torch.Tensor | None = None,
           metadata: dict | None = None) -> bytes:
    """An ExecuTorch program for ``model`` with the XNNPACK delegate, as the bytes of a ``.pte`` file.

    The program takes batches of ``example``'s shape. ``int8`` quantizes first (:func:`xnnpack_int8`, calibrated
    on ``calibration``, default ``example``). ``metadata`` is stored as the constant method ``metadata_json``.
    """
    XnnpackPartitioner, to_edge_transform_and_lower = _executorch()
    model = model.eval()
    with warnings.catch_warnings():
        # executorch 1.5 pickles pytree specs that torch 2.13 warns about (LeafSpec), once per graph: not the user's
        warnings.filterwarnings("ignore", message=".*LeafSpec.*", category=FutureWarning)
        if int8:
            model = xnnpack_int8(model, example, example if calibration is None else calibration)
        exported = torch.export.export(model, (example,))
        constants = {}
        if metadata is not None:
            blob = json.dumps(metadata).encode()
            constants["metadata_json"] = torch.frombuffer(bytearray(blob), dtype=torch.uint8).clone()
        program = to_edge_transform_and_lower(exported, partitioner=[XnnpackPartitioner()],
                                              constant_methods=constants or None).to_executorch()
    return program.buffer


def to_onnx(model: nn.Module, example: torch.Tensor, *, metadata: dict | None = None,
            dynamic_shapes: tuple | None = None) -> bytes:
    """``model`` exported to ONNX (``torch.onnx.export``, dynamo), as the bytes of an ``.onnx`` file.

    Input ``images``, output ``logits``; ``metadata`` is stored as the model's ``metadata_props`` (key
    ``mobilenet_course``, the JSON text). ``dynamic_shapes`` is ``torch.onnx.export``'s, for instance
    ``({2: "height", 3: "width"},)`` for an input of any size (:mod:`mobilenet_course.browser`).
    """
    try:
        import onnx
        import onnxscript  # noqa: F401  (torch's ONNX exporter needs it)
    except ImportError as error:
        raise Unavailable(f"ONNX export needs onnx and onnxscript ({error}); pip install onnx onnxscript") \
            from error
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.onnx")
        torch.onnx.export(model.eval(), (example,), path, input_names=["images"], output_names=["logits"],
                          dynamic_shapes=dynamic_shapes, dynamo=True, verbose=False)
        proto = onnx.load(path)
    if metadata is not None:
        entry = proto.metadata_props.add()
        entry.key, entry.value = "mobilenet_course", json.dumps(metadata)
    return proto.SerializeToString()


class DeployedModel:
    """A deployed file loaded with its runtime: call it on a batch of images to get the logits.

    Attributes
    ----------
    metadata : dict
        What :func:`describe` stored in the file (``{}`` for a file exported elsewhere).
    format : str
        ``"pte"`` or ``"onnx"``.
    size_bytes : int
        The file's size.
    input_shape : tuple
        The batch shape the file takes.
    """

    def __init__(self, data: bytes, format: str, *, threads: int | None = None, name: str = "model") -> None:
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
        self.format, self.size_bytes, self.name = format, len(data), name
        self.sha256 = hashlib.sha256(data).hexdigest()
        threads = checks.threads(threads) or torch.get_num_threads()
        self.threads = threads
        if format == "pte":
            runtime = _runtime()
            set_executorch_threads(threads)
            try:
                program = runtime.load_program(data)
            except Exception as error:
                raise ValueError(f"{name} is not an ExecuTorch program this runtime can load ({error})") from error
            self._program = program  # the method runs inside it: keep it alive
            self._method = program.load_method("forward")
            self.input_shape = tuple(self._method.metadata.input_tensor_meta(0).sizes())
            self.metadata = {}
            if "metadata_json" in program.method_names:
                blob = program.load_method("metadata_json").execute([])[0]
                self.metadata = json.loads(bytes(blob.tolist()).decode())
        else:
            try:
                import onnxruntime as ort
            except ImportError as error:
                raise Unavailable(f"needs onnxruntime ({error}); pip install onnxruntime") from error
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            try:
                self._session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
            except Exception as error:
                raise ValueError(f"{name} is not an ONNX model onnxruntime can load ({error})") from error
            self.input_shape = tuple(self._session.get_inputs()[0].shape)
            text = self._session.get_modelmeta().custom_metadata_map.get("mobilenet_course")
            self.metadata = json.loads(text) if text else {}

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of preprocessed images (float32, the file's input shape)."""
        images = torch.as_tensor(images, dtype=torch.float32)
        if not (images.is_contiguous() or images.is_contiguous(memory_format=torch.channels_last)):
            images = images.contiguous()
        if tuple(images.shape) != self.input_shape:
            raise ValueError(f"{self.name} takes batches of shape {self.input_shape}, got {tuple(images.shape)}")
        if self.format == "pte":
            return self._method.execute([images])[0]
        feed = {self._session.get_inputs()[0].name: images.contiguous().numpy()}  # onnxruntime reads NCHW arrays
        return torch.from_numpy(self._session.run(None, feed)[0])

    def preprocess(self, pixels: torch.Tensor) -> torch.Tensor:
        """uint8 images (N, C, H, W) as the file's model wants them, by the preprocessing stored in the file."""
        from .data import ImageDataset

        pre = self.metadata.get("preprocessing")
        if not pre:
            raise ValueError(f"{self.name} stores no preprocessing (a model that was never trained?)")
        dataset = ImageDataset(pixels, torch.zeros(len(pixels), dtype=torch.long), self.metadata["resolution"],
                               mean=pre["mean"], std=pre["std"])
        return dataset.images


def load(path: str | os.PathLike, *, threads: int | None = None) -> DeployedModel:
    """Load a ``.pte`` (ExecuTorch) or ``.onnx`` (onnxruntime) file with its runtime.

    ``threads``: the runtime's threads (default: torch's intra-op threads). Raises ValueError for a file of another
    kind or one the runtime cannot load, :class:`Unavailable` when the runtime is not installed.
    """
    path = Path(path)
    formats = {suffix: name for name, suffix in FORMATS.items()}
    if path.suffix.lower() not in formats:
        raise ValueError(f"{path}: a deployed model is a .pte (ExecuTorch) or .onnx file, not {path.suffix or 'a file without suffix'}")
    if not path.is_file():
        raise ValueError(f"no file at {path}")
    return DeployedModel(path.read_bytes(), formats[path.suffix.lower()], threads=threads, name=str(path))


def export(model: nn.Module, out: str | os.PathLike, *, int8: bool = False, batch: int = 1,
           calibration: torch.Tensor | None = None, class_names: Sequence[str] | None = None,
           preprocessing: dict | None = None) -> dict:
    """Write ``model`` as a deployable file: ``.pte`` (ExecuTorch, XNNPACK) or ``.onnx``, by ``out``'s suffix.

    The file takes batches of ``batch`` images and stores :func:`describe`'s metadata. Before it is renamed into
    place it is loaded back with its runtime and run on up to 64 of the ``calibration`` images (or a random batch): fp32
    logits must agree with the model's within 1e-3, and a trained model's int8 top-1 predictions (one exported with
    its ``preprocessing``) on at least 90 % of the images, so a broken export leaves no file behind. Returns the metadata with the file's ``size_bytes`` and ``sha256``.

    Raises
    ------
    ValueError
        A suffix other than .pte or .onnx, ``int8`` with ``.onnx``, or a file that fails its check.
    Unavailable
        The exporter or runtime is not installed.
    """
    from .files import atomic_write, check_output
    from .inference import cpu_copy

    out = check_output(out, what="the export", suffixes=tuple(FORMATS.values()))
    format = "pte" if out.suffix.lower() == ".pte" else "onnx"
    if int8 and format != "pte":
        raise ValueError("int8 export is for .pte files (XNNPACK); give an .pte name or leave out int8")
    batch = checks.whole(batch, "batch", low=1, high=1024)
    model = cpu_copy(model)  # the caller's model stays as it was
    example = torch.randn(batch, model.in_channels, model.resolution, model.resolution)
    metadata = describe(model, int8=int8, class_names=class_names, preprocessing=preprocessing)
    if format == "pte":
        data = to_pte(model, example, int8=int8, calibration=calibration, metadata=metadata)
    else:
        data = to_onnx(model, example, metadata=metadata)
    deployed = DeployedModel(data, format, name=str(out))
    check = example if calibration is None else calibration[:64 - 64 % batch or batch]
    _verify(model, deployed, check, trained=preprocessing is not None)
    with atomic_write(out, "wb") as f:
        f.write(data)
    return {**metadata, "size_bytes": len(data), "sha256": deployed.sha256}


def _verify(model: nn.Module, deployed: DeployedModel, images: torch.Tensor, *, trained: bool) -> None:
    """Raise ValueError unless the file's logits match the model's: fp32 within 1e-3, int8 (for a trained model,
    whose predictions mean something) the same top-1 on 90 % of the images; an untrained int8 model's only in shape
    and finiteness (its logits are too close together to rank)."""
    batch = deployed.input_shape[0]
    chunks = [chunk for chunk in images.split(batch) if len(chunk) == batch]
    with torch.no_grad():
        expected = torch.cat([model(chunk) for chunk in chunks])
        got = torch.cat([deployed(chunk) for chunk in chunks])
    if got.shape != expected.shape:
        raise ValueError(f"the exported file gives logits of shape {tuple(got.shape)}, the model {tuple(expected.shape)}")
    if not torch.isfinite(got).all():
        raise ValueError("the exported file gives logits that are not finite")
    if deployed.metadata.get("int8"):
        if not trained:
            return
        same = (got.argmax(1) == expected.argmax(1)).float().mean().item()
        if len(images) >= 10 and same < 0.9:
            raise ValueError(f"the int8 file agrees with the model on only {same:.0%} of the check images")
    elif not torch.allclose(got, expected, atol=1e-3, rtol=1e-3):
        raise ValueError(f"the exported file's logits differ from the model's by up to "
                         f"{(got - expected).abs().max().item():.2g}")

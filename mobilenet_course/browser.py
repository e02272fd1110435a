"""The models the book runs in the reader's browser (ONNX Runtime Web), and the PyTorch models they equal.

Book: chapter 8, "Measure on this device". The published book serves one ONNX file per width of the paper's grid
(:data:`ALPHAS`); the input's height and width are dynamic, so each file runs every resolution. The files are made
here, at build time (``book/_ext/offline_assets.py`` calls :func:`write_site_models`), from the package's own
``MobileNetV1``:

1. :func:`reference_model` builds ``MobileNetV1(alpha)`` from a fixed seed, gives each batch norm the statistics of
   its input on fixed random images (so that activations neither vanish nor explode through 28 layers, as they
   would in a real trained network), folds every batch norm into its convolution
   (:func:`mobilenet_course.inference.fold_batch_norm`) and rounds every weight to half precision.
2. :func:`to_onnx` exports it (``torch.onnx.export``, dynamo) and stores the weights in half precision, each
   followed by a ``Cast`` to float32: the files are half the size, and since the rounded weights are exactly
   float32 numbers, ONNX Runtime (which folds the casts when it loads the file) computes in float32 with exactly
   the weights of :func:`reference_model`.

So the browser's logits for :func:`fixed_input` equal ``reference_model(alpha, resolution)(fixed_input(resolution))``
up to float32 rounding (tested within 1e-4), and what the browser times is the package's network.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from torch import nn

from . import checks
from .names import PAPER_ALPHAS, PAPER_RESOLUTIONS

__all__ = ["ALPHAS", "RESOLUTIONS", "MIN_RESOLUTION", "MAX_RESOLUTION", "SEED", "MANIFEST", "RUNTIME_VERSION",
           "RUNTIME_DIR", "MODELS_DIR", "SERVICE_WORKER", "ISOLATION_HEADERS", "serve", "model_file", "reference_model", "fixed_input", "to_onnx",
           "write_site_models"]

ALPHAS: tuple[float, ...] = PAPER_ALPHAS
"""One ONNX file per width of the paper's grid."""

RESOLUTIONS: tuple[int, ...] = PAPER_RESOLUTIONS
"""The resolutions the widget offers (any of 32 to 512 px runs)."""

MIN_RESOLUTION, MAX_RESOLUTION = 32, 512
SEED = 0
"""The seed of every browser model's weights (and of the images its batch norms are calibrated on)."""

RUNTIME_VERSION = "1.31.1"
"""The version of npm's ``onnxruntime-web`` the book serves (package.json pins the same; a test checks)."""

RUNTIME_DIR = "_static/offline/onnxruntime-web/"
MODELS_DIR = "_static/models/"
SERVICE_WORKER = "coi-serviceworker.js"
"""Where the built site holds the runtime, the models and coi-serviceworker, from the site's root."""

MANIFEST = "manifest.json"
"""The file beside the models that lists them: alpha, file name, bytes and SHA-256 of each."""


def model_file(alpha: float) -> str:
    """The name of the ONNX file for width ``alpha``: ``mobilenet-1.0.onnx``, ``mobilenet-0.25.onnx``."""
    return f"mobilenet-{_alpha(alpha)}.onnx"


def _alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or float(alpha) not in ALPHAS:
        raise checks.ArgumentError(f"alpha must be one of the browser models' widths {list(ALPHAS)}, got {alpha!r}")
    return float(alpha)


def _resolution(resolution: int) -> int:
    return checks.whole(resolution, "resolution", low=MIN_RESOLUTION, high=MAX_RESOLUTION)


def fixed_input(resolution: int = 224) -> torch.Tensor:
    """The input the browser's ``window.mobilenetCourse.logits`` uses: shape (1, 3, R, R), the same on every machine.

    Element ``i`` of the flattened tensor (channel, then row, then column) is ``(i * 7919 mod 256) / 127.5 - 1``, a
    value in [-1, 1] that JavaScript computes in exactly the same float32 number.

    >>> x = fixed_input(32)
    >>> tuple(x.shape), x.flatten()[:3].tolist()
    ((1, 3, 32, 32), [-1.0, 0.8745098114013672, 0.7411764860153198])
    """
    resolution = _resolution(resolution)
    i = torch.arange(3 * resolution * resolution, dtype=torch.float64)
    return ((i * 7919) % 256 / 127.5 - 1).float().reshape(1, 3, resolution, resolution)


def reference_model(alpha: float, resolution: int = 224) -> nn.Module:
    """The network the browser's file for ``alpha`` holds, as a PyTorch model for input side ``resolution``.

    A ``MobileNetV1(alpha, resolution)`` (1000 classes) in eval mode, batch norm folded, weights rounded to half
    precision: the same weights at every resolution.
    """
    from .inference import fold_batch_norm
    from .model import MobileNetV1

    alpha, resolution = _alpha(alpha), _resolution(resolution)
    with torch.random.fork_rng(devices=[]):  # the weights, then the calibration images, from one seed
        torch.manual_seed(SEED)
        model = MobileNetV1(alpha, resolution)
        images = torch.randn(8, 3, 224, 224)
    calibrated = MobileNetV1(alpha, 224)
    calibrated.load_state_dict(model.state_dict())
    for module in calibrated.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.momentum = None  # the running statistics become those of the one batch below
    calibrated.train()
    with torch.no_grad():
        calibrated(images)
    model.load_state_dict(calibrated.state_dict())
    folded = fold_batch_norm(model.eval())
    with torch.no_grad():
        for tensor in (*folded.parameters(), *folded.buffers()):
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().float())
    return folded


class _AnyResolution(nn.Module):
    """The model's layers without its input check, so that the export keeps height and width dynamic."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.model
        return m.classifier(m.dropout(m.pool(m.features(x)).flatten(1)))


def to_onnx(alpha: float) -> bytes:
    """The ONNX file of :func:`reference_model` for ``alpha``: input ``images`` (1, 3, height, width), output
    ``logits`` (1, 1000); weights stored in half precision, each cast to float32 as the model loads.

    The package's costs of each grid resolution are stored in the model's ``metadata_props`` (key
    ``mobilenet_course``), as in files from ``mobilenet-course export``.
    """
    from .deploy import to_onnx as export  # raises deploy.Unavailable, saying what to install, without onnx

    alpha = _alpha(alpha)
    data = export(_AnyResolution(reference_model(alpha)), fixed_input(224), dynamic_shapes=({2: "height", 3: "width"},))
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    proto = onnx.load_from_string(data)
    graph = proto.graph
    casts = []
    for initializer in graph.initializer:
        if initializer.data_type != TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(initializer)
        half = numpy_helper.from_array(values.astype("float16"), initializer.name + "_fp16")
        initializer.CopyFrom(half)
        casts.append(helper.make_node("Cast", [half.name], [half.name.removesuffix("_fp16")], to=TensorProto.FLOAT))
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    entry = proto.metadata_props.add()
    entry.key = "mobilenet_course"
    entry.value = json.dumps({"alpha": alpha, "seed": SEED, "weights": "fp16, batch norm folded",
                              "models": _costs(alpha)})
    onnx.checker.check_model(proto)
    return proto.SerializeToString()


def _costs(alpha: float) -> dict[str, dict[str, int]]:
    """The grid models of width ``alpha``: their mult-adds and parameters (``mobilenet_course.family.grid``)."""
    from . import family

    return {m.name: {"mult_adds": m.mult_adds, "params": m.params} for m in family.grid() if m.alpha == alpha}


def write_site_models(folder: str | os.PathLike, *, progress: bool = True) -> list[dict]:
    """Write one ONNX file per width of :data:`ALPHAS` and the :data:`MANIFEST` into ``folder``; return the manifest.

    A file whose manifest entry (same package source, same bytes) is already there is kept, so a second build
    exports nothing. Each file is written atomically and checked against its SHA-256 after writing; two builds at
    once take turns (a lock on the manifest), so a manifest never lists another process's file.
    """
    from .files import locked

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with locked(folder / MANIFEST):
        return _write_site_models(folder, progress)


def _write_site_models(folder: Path, progress: bool) -> list[dict]:
    from .files import atomic_write

    stamp = _source_stamp()
    try:
        old = {entry["file"]: entry for entry in json.loads((folder / MANIFEST).read_text())}
    except (OSError, ValueError, TypeError, KeyError):
        old = {}
    manifest = []
    for alpha in ALPHAS:
        name = model_file(alpha)
        entry = old.get(name)
        if entry and entry.get("source") == stamp and _sha256(folder / name) == entry.get("sha256"):
            manifest.append(entry)
            continue
        if progress:
            print(f"exporting {name} for the browser", flush=True)
        data = to_onnx(alpha)
        with atomic_write(folder / name, "wb") as f:
            f.write(data)
        digest = hashlib.sha256(data).hexdigest()
        if _sha256(folder / name) != digest:
            raise OSError(f"{folder / name} does not hold what was written (SHA-256 differs)")
        manifest.append({"alpha": alpha, "file": name, "bytes": len(data), "sha256": digest, "source": stamp})
    with atomic_write(folder / MANIFEST) as f:
        json.dump(manifest, f, indent=1)
    return manifest


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _source_stamp() -> str:
    """A digest of what makes the files: the package's modules that build, fold, export and describe the model, and
    the versions of torch, onnx and onnxscript."""
    import onnx
    import onnxscript

    here = Path(__file__).parent
    digest = hashlib.sha256(f"{torch.__version__} {onnx.__version__} {onnxscript.__version__}".encode())
    for name in ("browser.py", "model.py", "inference.py", "deploy.py", "family.py", "names.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


ISOLATION_HEADERS = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
"""The two headers that make a page cross-origin isolated, which WebAssembly threads need (SharedArrayBuffer)."""


def serve(folder: str | os.PathLike, *, isolated: bool = True, port: int = 0):
    """Serve the built book from ``folder`` on 127.0.0.1 in a background thread; return the server and its URL.

    With ``isolated`` every response carries :data:`ISOLATION_HEADERS`, so chapter 8's widget measures with threads,
    as a host that sends them would (GitHub Pages cannot: there the widget installs coi-serviceworker, and threads
    work from the next load of the page). ``port`` 0 takes a free one. Stop it with ``server.shutdown()``.
    """
    import functools
    import http.server
    import threading

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: build the book first (`make book` writes _build/html)")
    headers = ISOLATION_HEADERS if isolated else {}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def end_headers(self) -> None:
            for key, value in headers.items():
                self.send_header(key, value)
            super().end_headers()

        def log_message(self, *args) -> None:  # quiet: the caller reports what matters
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"

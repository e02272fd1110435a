"""Training a MobileNet: a loop that fits on one screen, with checkpoints that resume to the same result.

Book: chapter 7, "Training a small MobileNet".
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from . import checks
from .data import ImageDataset
from .files import atomic_write

__all__ = ["EpochStats", "History", "fit", "evaluate", "pick_device", "save_checkpoint", "load_checkpoint",
           "CheckpointError"]


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt or does not fit the model."""


@dataclass
class EpochStats:
    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float
    lr: float


@dataclass
class History:
    """What happened in training, one row per epoch; ``plot()`` draws the curves."""

    epochs: list[EpochStats] = field(default_factory=list)

    @property
    def test_accuracy(self) -> float:
        """Test accuracy after the last epoch (a fraction)."""
        return self.epochs[-1].test_accuracy if self.epochs else float("nan")

    @property
    def seconds(self) -> float:
        return sum(e.seconds for e in self.epochs)

    def to_dicts(self) -> list[dict]:
        return [asdict(e) for e in self.epochs]

    def plot(self):
        """Loss and accuracy against epochs, training and test."""
        import matplotlib.pyplot as plt

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3))
        x = [e.epoch for e in self.epochs]
        ax1.plot(x, [e.train_loss for e in self.epochs], marker="o", label="train")
        ax1.plot(x, [e.test_loss for e in self.epochs], marker="o", label="test")
        ax1.set_xlabel("epoch")
        ax1.set_ylabel("loss")
        ax1.legend()
        ax2.plot(x, [100 * e.train_accuracy for e in self.epochs], marker="o", label="train")
        ax2.plot(x, [100 * e.test_accuracy for e in self.epochs], marker="o", label="test")
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("accuracy (%)")
        ax2.legend()
        fig.tight_layout()
        return fig


def pick_device(device: str = "auto") -> torch.device:
    """``"auto"``: CUDA if present, else Apple's MPS, else the CPU; or ``"cpu"``, ``"cuda"`` (``"cuda:1"``) or
    ``"mps"``, which must be present. Raises ValueError naming the device and what this machine has otherwise."""
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps:
            return torch.device("mps")
        return torch.device("cpu")
    here = ", ".join(["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (["mps"] if mps else []))
    allowed = f"device must be 'auto', 'cpu', 'cuda' (or 'cuda:N') or 'mps'; this machine has: {here}"
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise checks.ArgumentError(f"{allowed}; got {device!r}")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise checks.ArgumentError(f"{allowed}; got {device!r}") from None
    if dev.type not in ("cpu", "cuda", "mps"):
        raise checks.ArgumentError(f"{allowed}; got {device!r} (training cannot run there)")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            why = "built without CUDA" if torch.version.cuda is None else "no GPU found"
            raise checks.ArgumentError(f"device {device!r}: CUDA is not available here (torch {torch.__version__}, "
                                       f"{why}); {allowed}")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise checks.ArgumentError(f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA "
                                       f"device(s), numbered from 0")
    if dev.type == "mps" and not mps:
        raise checks.ArgumentError(f"device {device!r}: Apple's MPS is not available here; {allowed}")
    return dev


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write ``state`` (tensors, numbers, strings, lists, dicts) atomically, with a SHA-256 file beside it.

    The data goes to a temporary file in the same folder, is flushed to disk, and only then renamed over ``path``:
    a crash at any moment leaves either the old checkpoint or the new one, never half of one.
    """
    path = Path(path)
    with atomic_write(path, "wb") as f:
        torch.save(state, f)
    with atomic_write(path.with_name(path.name + ".sha256")) as f:
        f.write(f"{_sha256(path)}  {path.name}\n")
    return path


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`, after checking its SHA-256.

    Loaded with ``torch.load(weights_only=True)``: tensors and plain data only, so a checkpoint can never run code.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    sidecar = path.with_name(path.name + ".sha256")
    if not sidecar.is_file():
        raise CheckpointError(f"{sidecar} is missing: cannot verify {path}")
    expected = sidecar.read_text().split()[0]
    if _sha256(path) != expected:
        raise CheckpointError(f"{path} is corrupt: its SHA-256 is not {expected} (recorded in {sidecar})")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise CheckpointError(f"{path} is not a checkpoint of this course: {error}") from error


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, device: torch.device | str = "cpu",
             channels_last: bool = False) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy (a fraction) of ``model`` on ``loader``."""
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        logits = model(x)
        loss_sum += nn.functional.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
        count += len(y)
    return loss_sum / count, correct / count


def fit(model: nn.Module, train_loader: DataLoader, test_loader: DataLoader, *, epochs: int = 5, lr: float = 0.004,
        weight_decay: float = 0.05, label_smoothing: float = 0.1, device: str = "auto",
        channels_last: bool | None = None, seed: int = 0, checkpoint: str | os.PathLike | None = None,
        resume: bool = False, progress: bool = True,
        on_epoch: Callable[[History], None] | None = None) -> History:
    """Train ``model`` with AdamW and a one-cycle learning-rate schedule; evaluate after every epoch.

    The model is trained in place on the training device and stays there: after training on a GPU, ``model.cpu()``
    brings it back (for saving it, exporting it, or running it beside CPU tensors). On CUDA, the loaders' data sets
    (:class:`~mobilenet_course.data.ImageDataset`, read by a DataLoader with ``num_workers=0`` and without
    ``pin_memory``, as :func:`~mobilenet_course.data.loaders` makes them) are moved to the GPU once, before the first
    epoch: every batch is then indexed, padded or resized and augmented there, and an epoch is bound by the model's
    compute, not by copying images. They stay on the GPU too (``loader.dataset.to("cpu")`` brings one back). On the
    CPU and on Apple's MPS the data sets stay where they are, and each batch is moved to the device as it comes.

    Parameters
    ----------
    epochs, lr, weight_decay, label_smoothing
        The schedule rises to ``lr`` and anneals to nearly zero over all ``epochs``. ``epochs`` is a whole number
        from 1 to 10,000, ``lr`` a number in (0, 10], ``weight_decay`` in [0, 10], ``label_smoothing`` in [0, 1);
        anything else (infinite, NaN, a string) raises :class:`~mobilenet_course.checks.ArgumentError`, a
        ValueError naming the argument, before any work.
    device : {"auto", "cpu", "cuda", "mps"}
        Where to train; "auto" picks a GPU when there is one.
    channels_last : bool, optional
        NHWC memory layout; default: on for the CPU, where depthwise convolutions run much faster with it.
    seed : int
        Seeds the weights' training order and augmentation; each epoch reseeds from (seed, epoch), so training is
        deterministic on the CPU and a resumed run reproduces an uninterrupted one.
    checkpoint, resume
        Save model, optimizer, schedule and history to ``checkpoint`` after every epoch (atomically); with
        ``resume`` continue from it if it exists.
    progress : bool
        tqdm progress bars (notebook or terminal).
    on_epoch : callable, optional
        Called with the history after every epoch (the training widget draws its curve with it).

    Returns
    -------
    History
        One row per epoch, including those of a resumed checkpoint.
    """
    from tqdm.auto import tqdm

    epochs = checks.whole(epochs, "epochs", low=1, high=10_000)
    lr = checks.number(lr, "lr", low=0, high=10, low_open=True, hint=" (AdamW's useful range is about 1e-4 to 1e-2)")
    weight_decay = checks.number(weight_decay, "weight_decay", low=0, high=10)
    label_smoothing = checks.number(label_smoothing, "label_smoothing", low=0, high=1, high_open=True)
    seed = checks.whole(seed, "seed", low=0, high=2**32 - 1)
    channels_last = None if channels_last is None else checks.flag(channels_last, "channels_last")
    resume, progress = checks.flag(resume, "resume"), checks.flag(progress, "progress")
    dev = pick_device(device)
    channels_last = dev.type == "cpu" if channels_last is None else channels_last
    model.to(dev)
    if dev.type == "cuda":
        for loader in (train_loader, test_loader):
            if isinstance(loader.dataset, ImageDataset) and loader.num_workers == 0 and not loader.pin_memory:
                loader.dataset.to(dev)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, epochs=epochs,
                                                   steps_per_epoch=len(train_loader), pct_start=0.25)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    history, start = History(), 0
    if resume and checkpoint is not None and Path(checkpoint).exists():
        state = load_checkpoint(checkpoint)
        if state.get("epochs") != epochs:
            raise CheckpointError(f"{checkpoint} was made for {state.get('epochs')} epochs, not {epochs}: the "
                                  "learning-rate schedule would differ")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        history = History([EpochStats(**e) for e in state["history"]])
        start = len(history.epochs)

    for epoch in range(start, epochs):
        torch.manual_seed(seed * 1_000_003 + epoch)
        if train_loader.generator is not None:
            train_loader.generator.manual_seed(seed * 1_000_003 + epoch)
        if hasattr(train_loader.dataset, "set_epoch"):
            train_loader.dataset.set_epoch(epoch, seed)
        model.train()
        began, loss_sum, correct, count = time.perf_counter(), 0.0, 0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=False)
        for x, y in bar:
            x, y = x.to(dev), y.to(dev)  # no copy when the data set is on the device already
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            logits = model(x)
            loss = loss_fn(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
            bar.set_postfix(loss=f"{loss_sum / count:.3f}", acc=f"{correct / count:.3f}")
        test_loss, test_accuracy = evaluate(model, test_loader, dev, channels_last)
        history.epochs.append(EpochStats(epoch + 1, loss_sum / count, correct / count, test_loss, test_accuracy,
                                         time.perf_counter() - began, schedule.get_last_lr()[0]))
        if checkpoint is not None:
            save_checkpoint(checkpoint, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                         "schedule": schedule.state_dict(), "epochs": epochs,
                                         "history": history.to_dicts(), "config": _config(model)})
        if on_epoch is not None:
            on_epoch(history)
    model.to(memory_format=torch.contiguous_format)
    return history


def _config(model: nn.Module) -> dict:
    """What is needed to rebuild the model a checkpoint holds (MobileNetV1 and its variants)."""
    keys = ("alpha", "resolution", "num_classes", "in_channels", "small_input", "activation")
    return {"class": type(model).__name__, **{k: getattr(model, k) for k in keys if hasattr(model, k)}}


def write_metrics(path: str | os.PathLike, metrics: dict) -> None:
    """Write a metrics JSON file atomically."""
    with atomic_write(path) as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")

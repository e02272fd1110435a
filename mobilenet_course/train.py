"""Training a MobileNet: a loop that fits on one screen, with checkpoints that resume to the same result.

Book: chapter 7, "Training a small MobileNet".
"""

from __future__ import annotations

import hashlib
import io
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
           "model_from_checkpoint", "process_group", "is_main_process", "CheckpointError"]


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
        """Loss and accuracy against epochs, training and test (:func:`mobilenet_course.plots.training_curves_plot`)."""
        from .plots import training_curves_plot

        return training_curves_plot(self.epochs)


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


def process_group() -> tuple[int, int]:
    """``(rank, world size)`` of this process: ``(0, 1)`` alone, else as ``torchrun`` set them.

    Under ``torchrun --nproc-per-node N`` (``WORLD_SIZE`` > 1 in the environment) this joins the process group
    the first time it is called: NCCL when CUDA is available, else gloo (the CPU).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), dist.get_world_size()


def is_main_process() -> bool:
    """True alone, and in rank 0 of a ``torchrun`` run: the process that writes checkpoints and results."""
    return int(os.environ.get("RANK", "0")) == 0


def _shard(loader: DataLoader, rank: int, world: int, seed: int) -> DataLoader:
    """The training loader of one of ``world`` processes: a ``DistributedSampler``'s share of the data set, and a
    ``world``-th of the batch, so that the processes together take the steps one process would."""
    from torch.utils.data.distributed import DistributedSampler

    if loader.batch_size % world:
        raise checks.ArgumentError(f"the batch size {loader.batch_size} must split evenly among the {world} "
                                   "processes: give a multiple of the number of processes")
    sampler = DistributedSampler(loader.dataset, num_replicas=world, rank=rank, shuffle=True, seed=seed)
    return DataLoader(loader.dataset, batch_size=loader.batch_size // world, sampler=sampler,
                      num_workers=loader.num_workers, collate_fn=loader.collate_fn)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


CHECKPOINT_FORMAT = "mobilenet-course checkpoint 2"


def save_checkpoint(path: str | os.PathLike, state: dict) -> Path:
    """Write ``state`` (tensors, numbers, strings, lists, dicts) atomically, as one self-verifying file.

    The file is a torch file (a zip archive) holding ``{"format": CHECKPOINT_FORMAT, "sha256": ..., "payload": ...}``:
    ``payload`` is ``state`` serialized by ``torch.save`` (a byte tensor) and ``sha256`` its SHA-256, checked by
    :func:`load_checkpoint`. A checksum inside the file cannot get out of step with it, as a separate ``.sha256`` file
    could (a kill between the two writes left a good checkpoint that resume refused); any damage, truncation
    included, is caught by the zip archive's own structure and CRC-32s or by the SHA-256.

    The file goes to a temporary file in the same folder, is flushed to disk, and only then renamed over ``path``
    (:func:`mobilenet_course.files.atomic_write`): a crash at any moment leaves either the old checkpoint or the new
    one, never half of one. A ``.sha256`` file beside ``path`` from an older version is removed.
    """
    path = Path(path)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    wrapper = {"format": CHECKPOINT_FORMAT, "sha256": hashlib.sha256(payload).hexdigest(),
               "payload": torch.frombuffer(bytearray(payload), dtype=torch.uint8)}
    with atomic_write(path, "wb") as f:
        torch.save(wrapper, f)
    Path(os.path.realpath(path) + ".sha256").unlink(missing_ok=True)
    return path


def _load(source, path: Path) -> object:
    try:
        return torch.load(source, map_location="cpu", weights_only=True)
    except Exception as error:
        raise CheckpointError(f"{path} is corrupt or not a checkpoint of this course: {error}") from error


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`, after checking its SHA-256; returns its state dict.

    Loaded with ``torch.load(weights_only=True)``: tensors and plain data only, so a checkpoint can never run code.
    Checkpoints of earlier versions (a plain torch file and a ``NAME.sha256`` file beside it) are still read, and
    checked against that file. Raises :class:`CheckpointError` naming the file for a missing, truncated, corrupt or
    foreign file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    outer = _load(path, path)
    if isinstance(outer, dict) and outer.get("format") == CHECKPOINT_FORMAT:
        payload, expected = outer.get("payload"), outer.get("sha256")
        if not (isinstance(payload, torch.Tensor) and payload.dtype == torch.uint8 and payload.dim() == 1
                and isinstance(expected, str)):
            raise CheckpointError(f"{path} is corrupt: its payload or SHA-256 is missing")
        data = payload.numpy().tobytes()
        if hashlib.sha256(data).hexdigest() != expected:
            raise CheckpointError(f"{path} is corrupt: its payload's SHA-256 is not the {expected} recorded in it")
        state = _load(io.BytesIO(data), path)
    elif isinstance(outer, dict) and {"format", "sha256", "payload"} & outer.keys():
        raise CheckpointError(f"{path} is corrupt: its format record is damaged")
    else:  # the format before version 2: the SHA-256 in a separate NAME.sha256 file
        sidecar = path.with_name(path.name + ".sha256")
        if not sidecar.is_file():
            raise CheckpointError(f"{path} is corrupt or not a checkpoint of this course: it holds no SHA-256, and "
                                  f"{sidecar} is missing (a checkpoint of an older version has one beside it)")
        fields = sidecar.read_text(errors="replace").split()
        if not fields or _sha256(path) != fields[0]:
            raise CheckpointError(f"{path} is corrupt: its SHA-256 is not the one recorded in {sidecar}"
                                  + ("" if fields else " (which is empty)"))
        state = outer
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} holds a {type(state).__name__}, not a checkpoint of this course (a dict)")
    return state


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
        NHWC memory layout; default: on for the CPU. Measured for training (0.5-MobileNet-28 with the stride-1 stem,
        batch 128, 2048 images, 2 threads, torch 2.13.0, a 2-core AMD EPYC, three runs in turn): an epoch took
        1.2-1.3 s with it (2.2 s the first time, the process's first training) against 1.9-2.0 s without. It is not
        faster everywhere: for inference at batch 1 the shipped grid (``results/grid-latency-amd-epyc-2-cores.json``)
        has it at 0.88x to 1.45x eager's speed, slower for 1.0-MobileNet-192 and 1.0-MobileNet-160.
    seed : int
        Seeds the training order, the augmentation and dropout; each epoch reseeds from (seed, epoch), so training
        is deterministic on the CPU and a resumed run reproduces an uninterrupted one. The starting weights were
        drawn when ``model`` was built: call ``torch.manual_seed`` before building it, so that the run does not
        depend on what ran before it in the process (:func:`mobilenet_course.cli.run_training` does).
    checkpoint, resume
        Save model, optimizer, schedule, history, the model's configuration and the training settings and the
        images' normalisation (``preprocessing``: mean and std, what a deployed model needs) to
        ``checkpoint`` after every epoch (atomically, one self-verifying file: :func:`save_checkpoint`); with
        ``resume`` continue from it if it exists. Resuming needs the checkpoint's configuration: a model of another
        configuration, or other epochs, lr, weight decay, label smoothing, seed, batch size, steps per epoch or
        number of training images (another subset) raise :class:`CheckpointError` naming each difference, before
        any training (nothing is taken silently from the checkpoint, so a result is never labelled with settings
        that did not produce it).
    progress : bool
        tqdm progress bars (notebook or terminal).
    on_epoch : callable, optional
        Called with the history after every epoch (the training widget draws its curve with it).

    Several processes
        Under ``torchrun --nproc-per-node N`` (:func:`process_group`) the model is wrapped in
        ``DistributedDataParallel`` (gloo on the CPU, NCCL with one GPU per process), each process reads its share
        of the training set through a ``DistributedSampler`` with a ``N``-th of the batch (the batch size must
        divide by ``N``), so the processes together take the steps, and see the batch size, of one process.
        Gradients and batch-norm statistics are kept equal across processes, every process evaluates the whole
        test set, the history holds the training loss and accuracy of all processes, and only rank 0 writes
        the checkpoint, calls ``on_epoch`` and shows progress.

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
    rank, world = process_group()
    if world > 1 and dev.type == "cuda":
        dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(dev)
    main = rank == 0
    progress = progress and main
    channels_last = dev.type == "cpu" if channels_last is None else channels_last
    model.to(dev)
    if dev.type == "cuda":
        for loader in (train_loader, test_loader):
            if isinstance(loader.dataset, ImageDataset) and loader.num_workers == 0 and not loader.pin_memory:
                loader.dataset.to(dev)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    settings_batch = train_loader.batch_size
    network = model
    if world > 1:
        train_loader = _shard(train_loader, rank, world, seed)
        network = nn.parallel.DistributedDataParallel(model, device_ids=[dev.index] if dev.type == "cuda" else None)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, epochs=epochs,
                                                   steps_per_epoch=len(train_loader),
                                                   pct_start=_warmup_fraction(epochs * len(train_loader)))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    settings = {"epochs": epochs, "lr": lr, "weight_decay": weight_decay, "label_smoothing": label_smoothing,
                "seed": seed, "batch_size": settings_batch, "steps_per_epoch": len(train_loader),
                "training_images": len(train_loader.dataset)}
    history, start = History(), 0
    if resume and checkpoint is not None and Path(checkpoint).exists():
        state = load_checkpoint(checkpoint)
        _check_resumable(checkpoint, state, _config(model), settings)
        try:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            schedule.load_state_dict(state["schedule"])
            history = History([EpochStats(**e) for e in state["history"]])
        except (RuntimeError, ValueError, TypeError, KeyError) as error:
            raise CheckpointError(f"{checkpoint} does not fit this model and training: {error}") from error
        start = len(history.epochs)

    for epoch in range(start, epochs):
        torch.manual_seed(seed * 1_000_003 + epoch)
        if train_loader.generator is not None:
            train_loader.generator.manual_seed(seed * 1_000_003 + epoch)
        if hasattr(train_loader.sampler, "set_epoch"):  # a DistributedSampler: a new order every epoch
            train_loader.sampler.set_epoch(epoch)
        if hasattr(train_loader.dataset, "set_epoch"):  # each process its own augmentation draws
            train_loader.dataset.set_epoch(epoch, seed + rank * 7_919)
        model.train()
        began, loss_sum, correct, count = time.perf_counter(), 0.0, 0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=False)
        for x, y in bar:
            x, y = x.to(dev), y.to(dev)  # no copy when the data set is on the device already
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            logits = network(x)
            loss = loss_fn(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
            bar.set_postfix(loss=f"{loss_sum / count:.3f}", acc=f"{correct / count:.3f}")
        if world > 1:  # the training figures of all processes
            import torch.distributed as dist

            totals = torch.tensor([loss_sum, correct, count], dtype=torch.float64, device=dev)
            dist.all_reduce(totals)
            loss_sum, correct, count = totals[0].item(), int(totals[1].item()), int(totals[2].item())
            for buffer in model.buffers():  # batch norm's statistics as rank 0 has them, in every process
                dist.broadcast(buffer, 0)
        test_loss, test_accuracy = evaluate(model, test_loader, dev, channels_last)
        history.epochs.append(EpochStats(epoch + 1, loss_sum / count, correct / count, test_loss, test_accuracy,
                                         time.perf_counter() - began, schedule.get_last_lr()[0]))
        if checkpoint is not None and main:
            save_checkpoint(checkpoint, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                         "schedule": schedule.state_dict(), "epochs": epochs,
                                         "history": history.to_dicts(), "config": _config(model),
                                         "training": settings, "preprocessing": _preprocessing(train_loader)})
        if on_epoch is not None and main:
            on_epoch(history)
    model.to(memory_format=torch.contiguous_format)
    return history


def _warmup_fraction(total_steps: int) -> float:
    """The one-cycle schedule's warm-up share: a quarter of the steps, except where that is exactly one step.

    ``OneCycleLR`` ends its warm-up at step ``pct_start * total_steps - 1``; at 0 (a quarter of 4 steps) it divides
    by zero on its first step, so 4 steps get a warm-up of 0.3.
    """
    return 0.3 if 0.25 * total_steps == 1 else 0.25


def _check_resumable(checkpoint, state: dict, config: dict, settings: dict) -> None:
    """Raise CheckpointError naming every setting in which ``state`` differs from the run about to resume it."""
    missing = [k for k in ("model", "optimizer", "schedule", "history") if k not in state]
    if missing:
        raise CheckpointError(f"{checkpoint} is not a training checkpoint: it has no {', '.join(missing)}")
    saved = dict(state.get("training") or {"epochs": state.get("epochs")})  # before version 2: epochs only
    differences = [f"{k}={saved[k]!r}, not {v!r}" for k, v in settings.items() if k in saved and saved[k] != v]
    if "config" in state:
        differences += [f"model {k}={state['config'].get(k)!r}, not {v!r}" for k, v in config.items()
                        if state["config"].get(k) != v]
    if differences:
        raise CheckpointError(f"{checkpoint} was made with {'; '.join(differences)}: resume with the checkpoint's "
                              "settings, or start a new run with another checkpoint file")


def _preprocessing(loader: DataLoader) -> dict | None:
    """How the training images were made from pixels (``(pixel / 255 - mean) / std``), for deployment; None when
    the loader's data set does not say (not an :class:`~mobilenet_course.data.ImageDataset`)."""
    dataset = loader.dataset
    if not hasattr(dataset, "mean") or not hasattr(dataset, "std"):
        return None
    return {"mean": float(dataset.mean), "std": float(dataset.std),
            "resize": "pad with black up to 4 px larger, else bilinear (mobilenet_course.data.ImageDataset)"}


def _config(model: nn.Module) -> dict:
    """What is needed to rebuild the model a checkpoint holds (MobileNetV1 and its variants)."""
    keys = ("alpha", "resolution", "num_classes", "in_channels", "small_input", "activation", "padding", "bn_eps",
            "rounding")
    return {"class": type(model).__name__, **{k: getattr(model, k) for k in keys if hasattr(model, k)}}


def model_from_checkpoint(path: str | os.PathLike) -> tuple[nn.Module, dict]:
    """The trained model a checkpoint of :func:`fit` holds, in eval mode on the CPU, and the checkpoint's state.

    The model is rebuilt from the checkpoint's ``config`` (its class, a :class:`~mobilenet_course.MobileNetV1` or
    one of its variants, and their arguments), then given the saved weights. Raises :class:`CheckpointError` for a
    checkpoint without a model or configuration, or whose weights do not fit it.
    """
    import mobilenet_course

    state = load_checkpoint(path)
    config = dict(state.get("config") or {})
    if "model" not in state or "alpha" not in config:
        raise CheckpointError(f"{path} holds no model and configuration: not a checkpoint of `mobilenet-course train`")
    kind = getattr(mobilenet_course, config.pop("class", "MobileNetV1"), None)
    if not (isinstance(kind, type) and issubclass(kind, nn.Module)):
        raise CheckpointError(f"{path} holds a model of an unknown class {state['config'].get('class')!r}")
    try:
        model = kind(config.pop("alpha"), config.pop("resolution"), config.pop("num_classes"), **config)
        model.load_state_dict(state["model"])
    except (TypeError, ValueError, RuntimeError, KeyError) as error:
        raise CheckpointError(f"{path}: its weights do not fit the model it describes ({error})") from error
    return model.eval(), state


def write_metrics(path: str | os.PathLike, metrics: dict) -> None:
    """Write a metrics JSON file atomically."""
    with atomic_write(path) as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")

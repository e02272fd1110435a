"""Data sets for the training chapter: Fashion-MNIST and CIFAR-10, found locally or downloaded and verified.

Fashion-MNIST is looked up in this order: an explicit ``path``, the folder in ``$MOBILENET_COURSE_DATA``, the user
cache (``~/.cache/mobilenet-course``), the system folder ``/usr/share/datasets/fashion-mnist`` (Debian's package
``dataset-fashion-mnist``); failing all of them it is downloaded from the data set's official address into the cache.
Every file is verified before use; a corrupt, truncated or wrong file raises an error naming the file and the
checksum expected. Downloads go through pooch: written to a temporary file, verified, then moved into place, so an
interrupted download leaves nothing in the cache.

Book: chapter 7, "Training a small MobileNet".
"""

from __future__ import annotations

import gzip
import hashlib
import io
import operator
import os
import pickle
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

__all__ = ["FASHION_MNIST", "CIFAR10", "DataError", "find_fashion_mnist", "load_fashion_mnist", "load_cifar10",
           "fetch", "ImageDataset", "pixel_statistics", "loaders", "FASHION_MNIST_CLASSES", "CIFAR10_CLASSES",
           "cache_dir"]

ENV_DATA = "MOBILENET_COURSE_DATA"
SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


class DataError(ValueError):
    """A data file is missing, corrupt, truncated or not the expected file."""


@dataclass(frozen=True)
class DataFile:
    """One file of a data set: its name, the MD5 of the published file and, where known, of its content."""

    name: str
    md5: str  # of the file as published at the official address
    content_sha256: str | None = None  # of the uncompressed content (any local copy, recompressed or not)


@dataclass(frozen=True)
class DataSource:
    url: str
    files: tuple[DataFile, ...]


# The official address and MD5s published with Fashion-MNIST (github.com/zalandoresearch/fashion-mnist). The
# content SHA-256s were computed from Debian's dataset-fashion-mnist, which recompresses the .gz files (so their
# MD5s differ) but holds the same IDX data.
FASHION_MNIST = DataSource(
    url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    files=(
        DataFile("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                 "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        DataFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe",
                 "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        DataFile("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79",
                 "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        DataFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310",
                 "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    ),
)

# The python version of CIFAR-10 from its official page (www.cs.toronto.edu/~kriz/cifar.html), with its MD5.
CIFAR10 = DataSource(url="https://www.cs.toronto.edu/~kriz/",
                     files=(DataFile("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a"),))

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                         "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def cache_dir() -> Path:
    """The user cache for downloads: ``$XDG_CACHE_HOME/mobilenet-course`` or ``~/.cache/mobilenet-course``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mobilenet-course"


def _digest(path: Path, algorithm: str, gunzip: bool = False) -> str:
    h = hashlib.new(algorithm)
    opener = gzip.open if gunzip else open
    try:
        with opener(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except (OSError, EOFError, gzip.BadGzipFile) as error:  # truncated or not gzip
        raise DataError(f"{path} cannot be read as {'gzip' if gunzip else 'a file'}: {error}") from error
    return h.hexdigest()


def verify(path: Path, file: DataFile) -> None:
    """Raise DataError unless ``path`` is the published file, or (for a recompressed copy) has its content."""
    if not path.is_file():
        raise DataError(f"{path} does not exist")
    if _digest(path, "md5") == file.md5:
        return
    if file.content_sha256 is not None and path.suffix == ".gz":
        try:
            if _digest(path, "sha256", gunzip=True) == file.content_sha256:
                return
        except DataError as error:
            raise DataError(f"{path} is corrupt or truncated ({error}); expected MD5 {file.md5} (the published "
                            f"file) or uncompressed SHA-256 {file.content_sha256}") from error
    raise DataError(f"{path} is not the expected {file.name}: expected MD5 {file.md5}"
                    + (f" (or uncompressed SHA-256 {file.content_sha256})" if file.content_sha256 else "")
                    + ". Delete it to download it again, or point to a good copy.")


def fetch(file: DataFile, url: str, folder: Path, *, progress: bool = True) -> Path:
    """Download ``url`` + ``file.name`` into ``folder``, verified against ``file.md5``; returns the path.

    A good file already in ``folder`` is not downloaded again. The download goes through pooch into a private
    folder ``folder/.download-PID-XXXXXXXX`` and is moved into place only once its hash is right: an interrupted or
    corrupt download leaves no file behind, and the private folder is removed whatever happens; one that a killed
    process left (its PID no longer running) is removed by the next download into ``folder``.
    """
    import pooch

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file.name
    if target.is_file() and _digest(target, "md5") == file.md5:
        return target
    _remove_stale_downloads(folder)
    work = Path(tempfile.mkdtemp(dir=folder, prefix=f".download-{os.getpid()}-"))
    try:
        path = pooch.retrieve(url + file.name, known_hash=f"md5:{file.md5}", fname=file.name, path=work,
                              progressbar=progress)
        os.replace(path, target)
    except ValueError as error:  # pooch's hash mismatch
        raise DataError(f"downloaded {url + file.name} does not match MD5 {file.md5}: {error}") from error
    except OSError as error:
        raise DataError(f"could not download {url + file.name} into {folder}: {error}") from error
    except Exception as error:  # network errors of requests, interrupted transfers
        raise DataError(f"could not download {url + file.name}: {error}") from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _remove_stale_downloads(folder: Path) -> None:
    """Remove the private download folders of processes that no longer run (killed during a download)."""
    from .files import _alive

    for entry in folder.glob(".download-*-*"):
        pid = entry.name.split("-")[1]
        if entry.is_dir() and not entry.is_symlink() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _candidates(path: str | os.PathLike | None) -> Iterator[tuple[str, Path]]:
    if path is not None:
        yield "path", Path(path)
        return
    if os.environ.get(ENV_DATA):
        yield f"${ENV_DATA}", Path(os.environ[ENV_DATA]) / "fashion-mnist"
    yield "cache", cache_dir() / "fashion-mnist"
    yield "system", SYSTEM_FASHION_MNIST


def find_fashion_mnist(path: str | os.PathLike | None = None, *, download: bool = True,
                       source: DataSource = FASHION_MNIST, progress: bool = True) -> dict[str, Path]:
    """Locate (or download) Fashion-MNIST's four files, verified; returns their paths by file name.

    The first folder in the lookup order that holds all four files is used, and its files must verify: a corrupt
    file is an error, not a reason to look further. With an explicit ``path`` nothing else is tried.
    """
    names = [f.name for f in source.files]
    tried = []
    for where, folder in _candidates(path):
        if all((folder / n).is_file() for n in names):
            for f in source.files:
                verify(folder / f.name, f)
            return {n: folder / n for n in names}
        tried.append(f"{where} {folder}")
    if path is not None or not download:
        raise DataError(f"Fashion-MNIST not found (looked in: {'; '.join(tried)}); it needs the files "
                        f"{', '.join(names)}. Install Debian's dataset-fashion-mnist, set ${ENV_DATA}, or allow "
                        "download=True.")
    folder = cache_dir() / "fashion-mnist"
    return {f.name: fetch(f, source.url, folder, progress=progress) for f in source.files}


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into a NumPy array, checking its header against its size."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    if len(data) - offset != int(np.prod(shape)):
        raise DataError(f"{path}: header says shape {shape}, but the file holds {len(data) - offset} values")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape)


def load_fashion_mnist(path: str | os.PathLike | None = None, *, download: bool = True,
                       source: DataSource = FASHION_MNIST) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Fashion-MNIST as uint8 image tensors (N, 1, 28, 28) and int64 labels: ``{"train": ..., "test": ...}``."""
    files = find_fashion_mnist(path, download=download, source=source)
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(files[f"{prefix}-images-idx3-ubyte.gz"])
        labels = read_idx(files[f"{prefix}-labels-idx1-ubyte.gz"])
        if len(images) != len(labels):
            raise DataError(f"{split}: {len(images)} images but {len(labels)} labels")
        out[split] = (torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64)))
    return out


class _ArraysOnly(pickle.Unpickler):
    """Unpickle CIFAR-10's batches (dicts of lists, bytes and NumPy arrays) and refuse anything else."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar")}

    def find_class(self, module: str, name: str):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise DataError(f"CIFAR-10 batch refers to {module}.{name}, which a data file never needs: refusing it")


def load_cifar10(path: str | os.PathLike | None = None, *, download: bool = True,
                 source: DataSource = CIFAR10) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """CIFAR-10 from its official python archive, as uint8 tensors (N, 3, 32, 32) and labels.

    ``path`` is the archive ``cifar-10-python.tar.gz`` or the folder that holds it; otherwise it is looked for in
    ``$MOBILENET_COURSE_DATA`` and the cache, then downloaded. The archive's MD5 is verified first, and its pickled batches are read with an
    unpickler that accepts only NumPy arrays (no code runs).
    """
    file = source.files[0]
    if path is not None:
        archive = Path(path)
        if archive.is_dir():  # the folder that holds the archive, as `train --data FOLDER` says
            if not (archive / file.name).is_file():
                raise DataError(f"{archive} is a folder without {file.name} in it; give the archive "
                                f"{file.name} itself or the folder that holds it")
            archive = archive / file.name
    else:
        places = ([Path(os.environ[ENV_DATA]) / file.name] if os.environ.get(ENV_DATA) else []) + \
                 [cache_dir() / "cifar-10" / file.name]
        archive = next((p for p in places if p.is_file()), None)
        if archive is None:
            if not download:
                raise DataError(f"CIFAR-10 not found in {', '.join(map(str, places))}; allow download=True")
            archive = fetch(file, source.url, cache_dir() / "cifar-10")
    verify(archive, file)
    splits: dict[str, list] = {"train": [], "test": []}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            base = os.path.basename(member.name)
            split = "train" if base.startswith("data_batch") else "test" if base == "test_batch" else None
            if split:
                batch = _ArraysOnly(io.BytesIO(tar.extractfile(member).read()), encoding="bytes").load()
                splits[split].append(batch)
    out = {}
    for split, batches in splits.items():
        if not batches:
            raise DataError(f"{archive} holds no {split} batches")
        images = np.concatenate([b[b"data"] for b in batches]).reshape(-1, 3, 32, 32)
        labels = np.concatenate([np.asarray(b[b"labels"]) for b in batches]).astype(np.int64)
        out[split] = (torch.from_numpy(images), torch.from_numpy(labels))
    return out


def pixel_statistics(images: torch.Tensor) -> tuple[float, float]:
    """Mean and standard deviation (unbiased, as ``Tensor.std``) of uint8 images' pixels scaled to [0, 1].

    Computed from the 256-bin histogram of the pixel values, so no float copy of the images is ever made: the
    statistics of CIFAR-10's 150 million training pixels take a few kilobytes, and are exact to float64.
    """
    if images.dtype != torch.uint8:
        raise ValueError(f"images must be uint8, got {images.dtype}")
    if images.numel() < 2:
        raise ValueError(f"the statistics need at least 2 pixels, got {images.numel()}")
    counts = torch.bincount(images.reshape(-1), minlength=256).double().cpu()
    values = torch.arange(256, dtype=torch.float64) / 255
    n = counts.sum()
    mean = (counts * values).sum() / n
    var = (counts * (values - mean) ** 2).sum() / (n - 1)
    return float(mean), float(var.sqrt())


class ImageDataset(Dataset):
    """Images as the model wants them: float, normalised, at the model's resolution, lightly augmented if asked.

    The raw uint8 images are kept as they are (``raw``), and every batch is converted when it is drawn: normalised,
    padded or resized, augmented. Memory therefore stays at the raw data's size at any resolution (CIFAR-10's 50,000
    training images take 150 MB, where converting them all up front at 224 px would take 30 GB). A DataLoader fetches
    a whole batch in one call (:meth:`__getitems__`), so the work is a few tensor operations per batch, not per
    image. On a GPU (:meth:`to`) the batches are made there.

    Parameters
    ----------
    images : torch.Tensor
        uint8 images (N, C, H, W), H == W.
    labels : torch.Tensor
        int64 labels (N,).
    resolution : int
        Output side. Equal to the images' side: unchanged. Up to 4 px larger: padded with the background, black
        (28 px Fashion-MNIST in a 32 px network). Otherwise resized bilinearly, antialiased when shrinking: the
        resolution multiplier applied to the data.
    augment : bool
        Random horizontal flips (with probability 2/5) and random shifts of up to 2 px in each direction, filled
        with the background; for training only. The draws come from ``generator``, reseeded by :meth:`set_epoch`.
    mean, std : float, optional
        Normalisation; defaults are the images' own pixel statistics (:func:`pixel_statistics`).
    seed : int
        Seeds the augmentation until the first :meth:`set_epoch`.

    Examples
    --------
    >>> images = torch.zeros(10, 1, 28, 28, dtype=torch.uint8)
    >>> images[:, :, 10:18, 10:18] = 255
    >>> dataset = ImageDataset(images, torch.arange(10), 32)
    >>> x, y = dataset[3]
    >>> tuple(x.shape), int(y)
    ((1, 32, 32), 3)
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, resolution: int, *, augment: bool = False,
                 mean: float | None = None, std: float | None = None, seed: int = 0) -> None:
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 4 \
                or images.shape[-1] != images.shape[-2]:
            raise ValueError("images must be a uint8 tensor of shape (N, C, H, W) with H == W, got "
                             + (f"{images.dtype} {tuple(images.shape)}" if isinstance(images, torch.Tensor)
                                else type(images).__name__))
        if not isinstance(labels, torch.Tensor) or labels.shape != (len(images),):
            raise ValueError(f"labels must be a tensor of shape ({len(images)},), one per image, got "
                             + (f"{tuple(labels.shape)}" if isinstance(labels, torch.Tensor)
                                else type(labels).__name__))
        if resolution < 8:
            raise ValueError(f"resolution must be at least 8 px, got {resolution}")
        if mean is None or std is None:
            own_mean, own_std = pixel_statistics(images)
            mean = own_mean if mean is None else mean
            std = own_std if std is None else std
        if not std > 0:
            raise ValueError(f"std must be positive, got {std} (are all the images one colour?)")
        self.raw, self.labels = images, labels
        self.resolution = resolution
        self.augment = augment
        self.mean, self.std = float(mean), float(std)
        # a black pixel, normalised as every pixel is (the padding value)
        self.background = self._normalise(torch.zeros((), dtype=torch.uint8)).item()
        self.generator = torch.Generator().manual_seed(seed)  # on the CPU wherever the images are: same draws

    @property
    def device(self) -> torch.device:
        """Where the images are, and so where batches are made."""
        return self.raw.device

    def to(self, device: torch.device | str) -> ImageDataset:
        """Move the raw images and labels to ``device`` (in place; returns the data set).

        On a GPU the batches are then made there, and the training loop copies nothing per batch. Read such a data
        set with a DataLoader that has ``num_workers=0`` and ``pin_memory=False`` (the defaults): worker processes
        cannot use CUDA tensors, and only CPU tensors can be pinned.
        """
        self.raw, self.labels = self.raw.to(device), self.labels.to(device)
        return self

    def set_epoch(self, epoch: int, seed: int = 0) -> None:
        """Reseed the augmentation for ``epoch``, so that a resumed run draws the same augmentations."""
        self.generator.manual_seed(seed * 1_000_003 + epoch)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Image ``i`` as the model sees it, float (C, R, R) with R the resolution, and its label."""
        try:
            i = operator.index(i)
        except TypeError:
            raise TypeError(f"an ImageDataset is indexed by one int, got {type(i).__name__}; for many images use "
                            "__getitems__(indices) or a DataLoader") from None
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} is out of range for {len(self)} images")
        x, y = self.batch([i])
        return x[0], y[0]

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The images and labels at ``indices``, made as one batch; a DataLoader calls this once per batch.

        Returns a list of ``(x, y)`` pairs, as PyTorch's ``Dataset.__getitems__`` protocol asks, so any collate
        function works; the default one stacks them back into a batch.
        """
        x, y = self.batch(indices)
        return list(zip(x.unbind(0), y.unbind(0)))

    def batch(self, indices: Sequence[int] | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The images at ``indices`` as one float tensor (n, C, R, R), and their labels (n,).

        The images are augmented if the data set augments (``augment``), drawing from its generator.
        """
        index = torch.as_tensor(indices, dtype=torch.long, device=self.device)
        return self.transform(self.raw[index]), self.labels[index]

    @property
    def images(self) -> torch.Tensor:
        """Every image as the model sees it, never augmented: float (N, C, R, R), made on each access.

        This takes N x C x R x R x 4 bytes (188 MB for Fashion-MNIST's training split at 28 px, but 30 GB for
        CIFAR-10's at 224 px): use it for small splits; training reads batches.
        """
        c, r = self.raw.shape[1], self.resolution
        out = torch.empty((len(self), c, r, r), dtype=torch.float32, device=self.device)
        for start in range(0, len(self), 1024):
            out[start:start + 1024] = self.transform(self.raw[start:start + 1024], augment=False)
        return out

    def transform(self, raw: torch.Tensor, augment: bool | None = None) -> torch.Tensor:
        """uint8 images (n, C, H, W) to the model's input: padded or resized, augmented, normalised.

        ``augment`` defaults to the data set's own setting; each augmented image takes three draws from
        ``generator``, in order, so a batch draws what its images would draw one at a time. Where the images are
        padded, padding and shifts move the uint8 pixels (a quarter of the bytes of floats: one pad, one gather)
        before they are normalised; the result is the same, to the bit, as normalising first and padding with the
        normalised black, ``background``.
        """
        augment = self.augment if augment is None else augment
        side, r = raw.shape[-1], self.resolution
        grow = r - side
        if 0 <= grow <= 4:  # padded (or unchanged): all geometry on the uint8 pixels, black = 0
            lo, hi = grow // 2, grow - grow // 2
            if augment:  # room for the shift as well
                return self._normalise(self._flip_and_shift(F.pad(raw, (lo + 2, hi + 2, lo + 2, hi + 2))))
            return self._normalise(F.pad(raw, (lo, hi, lo, hi)) if grow else raw)
        x = F.interpolate(self._normalise(raw), size=(r, r), mode="bilinear", align_corners=False,
                          antialias=r < side)
        return self._flip_and_shift(F.pad(x, (2, 2, 2, 2), value=self.background)) if augment else x

    def _normalise(self, raw: torch.Tensor) -> torch.Tensor:
        return (raw.float() / 255 - self.mean) / self.std

    def _flip_and_shift(self, padded: torch.Tensor) -> torch.Tensor:
        """Crop (n, C, R + 4, R + 4) images to R: a flip (draw 0 odd) and a shift by (draw 1 - 2, draw 2 - 2) px."""
        n, c, w = len(padded), padded.shape[1], padded.shape[-1]
        r = w - 4
        flip, dx, dy = torch.randint(0, 5, (n, 3), generator=self.generator).to(padded.device).unbind(1)
        steps = torch.arange(r, device=padded.device)
        rows = dy[:, None] + steps
        # flipping then shifting: output column j is column w - 1 - (dx + j) of the padded, unflipped image
        cols = torch.where((flip % 2 == 1)[:, None], w - 1 - dx[:, None] - steps, dx[:, None] + steps)
        index = (rows[:, :, None] * w + cols[:, None, :]).view(n, 1, r * r).expand(n, c, r * r)
        return padded.reshape(n, c, w * w).gather(2, index).view(n, c, r, r)


def loaders(splits: Mapping[str, tuple[torch.Tensor, torch.Tensor]], resolution: int, *, batch_size: int = 128,
            augment: bool = True, subset: int | None = None, seed: int = 0) -> tuple[DataLoader, DataLoader]:
    """Training and test DataLoaders for a model of ``resolution`` px (test data is never augmented).

    Both hold :class:`ImageDataset` s, which keep the uint8 images and make each batch as it is drawn, in this
    process (no worker processes, no pinned memory): so :func:`mobilenet_course.train.fit` can move the data to a
    GPU once and make the batches there.

    Parameters
    ----------
    splits : mapping
        ``{"train": (images, labels), "test": (images, labels)}``, uint8 images (N, C, H, W), as
        :func:`load_fashion_mnist` and :func:`load_cifar10` return them.
    resolution : int
        The model's input side; see :class:`ImageDataset` for the padding and resizing rule.
    batch_size : int
        Of the training loader; the test loader reads 512 images at a time.
    augment : bool
        Flip and shift the training images.
    subset : int, optional
        Keep the first N training images (a fixed, class-balanced enough prefix) for quick runs.
    seed : int
        Seeds the training order and the augmentation; :func:`mobilenet_course.train.fit` reseeds both every epoch.
    """
    train_images, train_labels = splits["train"]
    if subset is not None:
        if not 0 < subset <= len(train_labels):
            raise ValueError(f"subset must be in [1, {len(train_labels)}], got {subset}")
        train_images, train_labels = train_images[:subset], train_labels[:subset]
    train = ImageDataset(train_images, train_labels, resolution, augment=augment, seed=seed)
    test = ImageDataset(*splits["test"], resolution, mean=train.mean, std=train.std)
    generator = torch.Generator().manual_seed(seed)
    return (DataLoader(train, batch_size=batch_size, shuffle=True, generator=generator),
            DataLoader(test, batch_size=512, shuffle=False))

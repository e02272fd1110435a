"""Every way Fashion-MNIST and CIFAR-10 are found, verified and downloaded, on small files the tests write."""

import gzip
import hashlib
import http.server
import io
import os
import pickle
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from mobilenet_course import data
from mobilenet_course.data import DataError, DataFile, DataSource

NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def make_files(folder, n_train=12, n_test=6, seed=0):
    """Four small gzip IDX files in ``folder``; returns a DataSource whose checksums match them."""
    rng = np.random.default_rng(seed)
    arrays = {NAMES[0]: rng.integers(0, 256, (n_train, 28, 28)), NAMES[1]: rng.integers(0, 10, n_train),
              NAMES[2]: rng.integers(0, 256, (n_test, 28, 28)), NAMES[3]: rng.integers(0, 10, n_test)}
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, array in arrays.items():
        raw = idx_bytes(array)
        packed = gzip.compress(raw, mtime=0)
        (folder / name).write_bytes(packed)
        files.append(DataFile(name, hashlib.md5(packed).hexdigest(), hashlib.sha256(raw).hexdigest()))
    return DataSource("unused://", tuple(files)), arrays


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real data anywhere: empty cache, no environment variable, an empty system folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(data.ENV_DATA, raising=False)
    monkeypatch.setattr(data, "SYSTEM_FASHION_MNIST", tmp_path / "system")
    return tmp_path


def test_explicit_path_is_read(isolated):
    source, arrays = make_files(isolated / "mine")
    splits = data.load_fashion_mnist(isolated / "mine", source=source)
    images, labels = splits["train"]
    assert images.shape == (12, 1, 28, 28) and images.dtype == torch.uint8
    assert np.array_equal(images[:, 0].numpy(), arrays[NAMES[0]]) and np.array_equal(labels.numpy(), arrays[NAMES[1]])
    assert splits["test"][0].shape == (6, 1, 28, 28)


@pytest.mark.parametrize("place", ["env", "cache", "system"])
def test_lookup_order_finds_each_place(isolated, monkeypatch, place):
    folder = {"env": isolated / "env" / "fashion-mnist", "cache": isolated / "cache" / "mobilenet-course" / "fashion-mnist",
              "system": isolated / "system"}[place]
    if place == "env":
        monkeypatch.setenv(data.ENV_DATA, str(isolated / "env"))
    source, _ = make_files(folder)
    found = data.find_fashion_mnist(source=source, download=False)
    assert set(found) == set(NAMES) and all(p.parent == folder for p in found.values())


def test_environment_variable_comes_before_the_system_folder(isolated, monkeypatch):
    source, _ = make_files(isolated / "system")
    make_files(isolated / "env" / "fashion-mnist")  # same checksums: same seed
    monkeypatch.setenv(data.ENV_DATA, str(isolated / "env"))
    found = data.find_fashion_mnist(source=source, download=False)
    assert found[NAMES[0]].parent == isolated / "env" / "fashion-mnist"


def test_nothing_found_without_download_says_where_it_looked(isolated):
    with pytest.raises(DataError, match="not found.*cache.*system.*dataset-fashion-mnist"):
        data.find_fashion_mnist(download=False)


def test_wrong_file_names_file_and_expected_checksum(isolated):
    source, _ = make_files(isolated / "mine")
    (isolated / "mine" / NAMES[1]).write_bytes(gzip.compress(b"not labels"))
    with pytest.raises(DataError, match=rf"{NAMES[1]} is not the expected .*{source.files[1].md5}"):
        data.find_fashion_mnist(isolated / "mine", source=source)


def test_truncated_file_is_reported(isolated):
    source, _ = make_files(isolated / "mine")
    path = isolated / "mine" / NAMES[0]
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError, match=rf"{NAMES[0]} is corrupt or truncated.*{source.files[0].md5}"):
        data.find_fashion_mnist(isolated / "mine", source=source)


def test_recompressed_copy_with_the_same_content_is_accepted(isolated):
    # Debian's package recompresses the published .gz files: their MD5 differs, their content does not.
    source, arrays = make_files(isolated / "mine")
    path = isolated / "mine" / NAMES[1]
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()), compresslevel=1, mtime=12345))
    assert hashlib.md5(path.read_bytes()).hexdigest() != source.files[1].md5
    assert np.array_equal(data.load_fashion_mnist(isolated / "mine", source=source)["train"][1].numpy(),
                          arrays[NAMES[1]])


def test_idx_header_must_match_size(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((4, 28, 28)))[:-10]))
    with pytest.raises(DataError, match="header says shape"):
        data.read_idx(path)


class Server:
    """A local HTTP server: /good/ serves the files, /corrupt/ flips a byte, /drop/ closes the connection midway."""

    def __init__(self, folder):
        root = folder

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                mode, name = self.path.strip("/").split("/", 1)
                body = (root / name).read_bytes()
                if mode == "corrupt":
                    body = body[:50] + bytes([body[50] ^ 0xFF]) + body[51:]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if mode == "drop":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.close()
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()


@pytest.fixture
def server(isolated):
    source, arrays = make_files(isolated / "served")
    s = Server(isolated / "served")
    yield s, source, arrays
    s.close()


def cache_files(isolated):
    folder = isolated / "cache" / "mobilenet-course" / "fashion-mnist"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_good_files_into_the_cache(isolated, server):
    s, source, arrays = server
    good = DataSource(s.url + "/good/", source.files)
    splits = data.load_fashion_mnist(source=good)
    assert np.array_equal(splits["test"][1].numpy(), arrays[NAMES[3]])
    assert cache_files(isolated) == sorted(NAMES)
    # The second time, the cache answers: the server is not needed.
    s.close()
    assert data.find_fashion_mnist(source=good, download=False)[NAMES[0]].is_file()


def test_corrupt_download_is_rejected_and_leaves_nothing(isolated, server):
    s, source, _ = server
    with pytest.raises(DataError, match=rf"does not match MD5 {source.files[0].md5}"):
        data.load_fashion_mnist(source=DataSource(s.url + "/corrupt/", source.files))
    assert cache_files(isolated) == []


def test_interrupted_download_leaves_no_partial_file(isolated, server):
    s, source, _ = server
    folder = isolated / "cache" / "mobilenet-course" / "fashion-mnist"
    folder.mkdir(parents=True)
    (folder / "tmp-notes.txt").write_text("someone else's file")  # named like a temporary file, but not ours
    with pytest.raises(DataError, match="could not download"):
        data.load_fashion_mnist(source=DataSource(s.url + "/drop/", source.files))
    assert cache_files(isolated) == ["tmp-notes.txt"]


def reference_item(images, i, dataset, draws=None):
    """Image ``i`` as the first implementation made it: the whole image normalised, then padded or resized, then
    flipped and shifted with the three draws ``draws`` (one image at a time), filling with the background."""
    x = (images[i:i + 1].float() / 255 - dataset.mean) / dataset.std
    side, r = x.shape[-1], dataset.resolution
    if 0 < r - side <= 4:
        lo = (r - side) // 2
        x = torch.nn.functional.pad(x, (lo, r - side - lo, lo, r - side - lo), value=dataset.background)
    elif r != side:
        x = torch.nn.functional.interpolate(x, size=(r, r), mode="bilinear", align_corners=False, antialias=r < side)
    x = x[0]
    if draws is not None:
        flip, dx, dy = draws
        if flip % 2:
            x = x.flip(-1)
        x = torch.nn.functional.pad(x, (2, 2, 2, 2), value=dataset.background)[:, dy:dy + r, dx:dx + r]
    return x


@pytest.mark.parametrize("channels, resolution", [(1, 28), (1, 31), (1, 32), (3, 32), (1, 33), (1, 64), (3, 20)])
@pytest.mark.parametrize("augment", [False, True])
def test_batches_are_what_the_first_implementation_made(channels, resolution, augment):
    # 28 px images: unchanged, padded by 3 (1 + 2) and by 4, resized up beyond the padding rule, shrunk.
    g = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (12, channels, 28, 28), dtype=torch.uint8, generator=g)
    dataset = data.ImageDataset(images, torch.arange(12), resolution, augment=augment, seed=4)
    indices = [7, 0, 11, 3, 3, 9]
    x, y = dataset.batch(indices)
    draws = torch.randint(0, 5, (len(indices), 3), generator=torch.Generator().manual_seed(4)).tolist()
    expected = torch.stack([reference_item(images, i, dataset, d if augment else None)
                            for i, d in zip(indices, draws)])
    assert x.shape == (6, channels, resolution, resolution) and x.dtype == torch.float32
    assert y.tolist() == indices
    if resolution in (20, 33, 64):  # bilinear: interpolating a batch may round differently from one image
        torch.testing.assert_close(x, expected, rtol=0, atol=1e-5)
    else:
        assert torch.equal(x, expected)


def test_image_dataset_pads_with_black_and_normalises():
    images = torch.randint(0, 256, (4, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(4)
    padded = data.ImageDataset(images, labels, 32)
    x, y = padded[1]
    assert x.shape == (1, 32, 32) and y == 1
    assert torch.equal(x[:, 2:30, 2:30], (images[1].float() / 255 - padded.mean) / padded.std)
    border = torch.ones(32, 32, dtype=torch.bool)
    border[2:30, 2:30] = False
    assert torch.equal(x[0][border], torch.full((32 * 32 - 28 * 28,), padded.background))
    assert padded.background == pytest.approx(-padded.mean / padded.std, rel=1e-6)  # a black pixel, normalised
    assert torch.equal(padded[1][0], x)  # not augmented: the same every time
    assert data.ImageDataset(images, labels, 64)[0][0].shape == (1, 64, 64)  # rho applies to the data too
    assert torch.equal(padded[-1][0], padded[3][0])
    with pytest.raises(IndexError, match="index 4 is out of range for 4 images"):
        padded[4]
    with pytest.raises(TypeError, match="indexed by one int, got slice"):
        padded[1:3]


def test_augmentation_flips_and_shifts_each_image_and_reseeds_by_epoch():
    image = torch.zeros(1, 1, 28, 28, dtype=torch.uint8)
    image[0, 0, 5:12, 3:9] = 255  # an off-centre block: every flip and shift shows
    dataset = data.ImageDataset(image.expand(200, 1, 28, 28), torch.zeros(200, dtype=torch.long), 28, augment=True,
                                mean=0.5, std=0.5)
    x, _ = dataset.batch(range(200))
    plain = (image[0].float() / 255 - 0.5) / 0.5
    candidates = {}
    for flip in (False, True):
        for dx in range(5):
            for dy in range(5):
                source = plain.flip(-1) if flip else plain
                shifted = torch.nn.functional.pad(source, (2, 2, 2, 2), value=-1.0)[:, dy:dy + 28, dx:dx + 28]
                candidates[flip, dx, dy] = shifted
    seen = set()
    for image_x in x:
        match = [key for key, value in candidates.items() if torch.equal(value, image_x)]
        assert len(match) == 1, "every augmented image is one flip and shift of the original"
        seen.add(match[0])
    assert len(seen) > 35  # of 50 (flips happen with probability 2/5): the draws differ from image to image
    dataset.set_epoch(3, seed=1)
    first = dataset.batch(range(20))[0]
    assert not torch.equal(first, dataset.batch(range(20))[0])
    dataset.set_epoch(3, seed=1)
    assert torch.equal(first, dataset.batch(range(20))[0])


@pytest.mark.parametrize("augment", [False, True])
def test_one_item_at_a_time_equals_one_batch(augment):
    images = torch.randint(0, 256, (10, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    dataset = data.ImageDataset(images, torch.arange(10) % 3, 36, augment=augment)
    dataset.set_epoch(2)
    items = [dataset[i] for i in (4, 1, 8)]
    dataset.set_epoch(2)
    batch = dataset.__getitems__([4, 1, 8])
    assert len(batch) == 3
    for (xa, ya), (xb, yb) in zip(items, batch):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)


def test_images_property_is_every_image_unaugmented():
    images = torch.randint(0, 256, (1500, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(3))
    dataset = data.ImageDataset(images, torch.zeros(1500, dtype=torch.long), 30, augment=True)
    dataset.augment = False
    expected = torch.stack([dataset[i][0] for i in range(1500)])
    dataset.augment = True
    assert torch.equal(dataset.images, expected)  # more than one chunk of 1024, and never augmented


def test_statistics_are_exact_and_used_by_the_test_split():
    g = torch.Generator().manual_seed(5)
    images = torch.randint(0, 256, (300, 3, 16, 16), dtype=torch.uint8, generator=g)
    pixels = images.double() / 255
    mean, std = data.pixel_statistics(images)
    assert mean == pytest.approx(pixels.mean().item(), rel=1e-12)
    assert std == pytest.approx(pixels.std().item(), rel=1e-12)  # unbiased, as Tensor.std
    splits = {"train": (images, torch.zeros(300, dtype=torch.long)),
              "test": (torch.zeros(5, 3, 16, 16, dtype=torch.uint8), torch.zeros(5, dtype=torch.long))}
    train_loader, test_loader = data.loaders(splits, 16)
    assert (train_loader.dataset.mean, train_loader.dataset.std) == (mean, std)
    assert (test_loader.dataset.mean, test_loader.dataset.std) == (mean, std)  # the training images' statistics
    with pytest.raises(ValueError, match="must be uint8, got torch.float32"):
        data.pixel_statistics(images.float())


def test_image_dataset_refuses_what_it_cannot_use():
    images = torch.zeros(4, 1, 28, 28, dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"images must be a uint8 tensor of shape \(N, C, H, W\) with H == W, got "
                                         r"torch.float32 \(4, 1, 28, 28\)"):
        data.ImageDataset(images.float(), torch.arange(4), 28)
    with pytest.raises(ValueError, match=r"with H == W, got torch.uint8 \(4, 1, 28, 20\)"):
        data.ImageDataset(images[..., :20], torch.arange(4), 28)
    with pytest.raises(ValueError, match=r"labels must be a tensor of shape \(4,\), one per image, got \(3,\)"):
        data.ImageDataset(images, torch.arange(3), 28)
    with pytest.raises(ValueError, match="resolution must be at least 8 px, got 4"):
        data.ImageDataset(images, torch.arange(4), 4)
    with pytest.raises(ValueError, match="std must be positive, got 0.0"):
        data.ImageDataset(images, torch.arange(4), 28)  # all black: nothing to normalise by


def test_loaders_fetch_whole_batches():
    splits = {"train": (torch.randint(0, 256, (300, 1, 28, 28), dtype=torch.uint8), torch.arange(300) % 10),
              "test": (torch.randint(0, 256, (40, 1, 28, 28), dtype=torch.uint8), torch.arange(40) % 10)}
    train_loader, test_loader = data.loaders(splits, 32, batch_size=64, subset=200, seed=1)
    calls = []
    fetch = train_loader.dataset.__getitems__
    train_loader.dataset.__getitems__ = lambda indices: calls.append(len(indices)) or fetch(indices)
    sizes = [tuple(x.shape) for x, _ in train_loader]
    assert sizes == [(64, 1, 32, 32)] * 3 + [(8, 1, 32, 32)] and calls == [64, 64, 64, 8]
    x, y = next(iter(test_loader))
    assert x.shape == (40, 1, 32, 32) and torch.equal(y, splits["test"][1])
    assert torch.equal(x, test_loader.dataset.images)
    with pytest.raises(ValueError, match=r"subset must be in \[1, 300\], got 301"):
        data.loaders(splits, 32, subset=301)


MEMORY_CHECK = """
import resource, sys, torch
from mobilenet_course import data
torch.set_num_threads(1)  # the same time on a busy machine; memory does not depend on it
g = torch.Generator().manual_seed(0)
splits = {split: (torch.empty((n, 3, 32, 32), dtype=torch.uint8).random_(0, 256, generator=g),
                  torch.randint(0, 10, (n,), generator=g)) for split, n in (("train", 50_000), ("test", 10_000))}
train_loader, test_loader = data.loaders(splits, 224, batch_size=128)
shapes = []
for i, (x, y) in enumerate(train_loader):
    shapes.append(tuple(x.shape))
    if i == 1:
        break
x, y = next(iter(test_loader))
shapes.append(tuple(x.shape))
print(shapes, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


@pytest.mark.slow  # about 10 s on 2 busy cores: three batches at 224 px and a fresh interpreter
def test_cifar10_sized_split_at_224_px_stays_near_its_raw_size():
    # 50,000 + 10,000 images of 3 x 32 x 32 are 184 MB as uint8; converted up front at 224 px they would be 36 GB
    # (the first implementation peaked at 6.6 GB on this check at 64 px; this one at 0.6 GB there, 1.2 GB at 224).
    # A subprocess, so that only this check's memory counts; its peak resident size must stay under 2 GB.
    package_root = str(Path(data.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", MEMORY_CHECK], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    shapes, peak = result.stdout.strip().rsplit("] ", 1)
    assert shapes + "]" == str([(128, 3, 224, 224)] * 2 + [(512, 3, 224, 224)])
    assert int(peak) < 2 * 1024 ** 3, f"peak memory {int(peak) / 1024 ** 3:.2f} GB"


def cifar_archive(path, extra=None):
    rng = np.random.default_rng(0)
    with tarfile.open(path, "w:gz") as tar:
        for name in ["data_batch_1", "data_batch_2", "test_batch"]:
            batch = {b"data": rng.integers(0, 256, (5, 3072)).astype(np.uint8), b"labels": list(range(5))}
            payload = pickle.dumps(batch if extra is None or name != "test_batch" else extra)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return DataSource("unused://", (DataFile("cifar-10-python.tar.gz", hashlib.md5(path.read_bytes()).hexdigest()),))


def test_cifar10_from_its_archive(isolated):
    path = isolated / "cifar-10-python.tar.gz"
    source = cifar_archive(path)
    splits = data.load_cifar10(path, source=source)
    assert splits["train"][0].shape == (10, 3, 32, 32) and splits["test"][1].tolist() == [0, 1, 2, 3, 4]
    # the folder that holds the archive, as `train --data FOLDER` gives it (issue 13, 20: "does not exist" before)
    assert torch.equal(data.load_cifar10(isolated, source=source)["train"][0], splits["train"][0])


class Exploit:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_cifar10_refuses_pickles_that_would_run_code(isolated, capsys):
    path = isolated / "cifar-10-python.tar.gz"
    source = cifar_archive(path, extra={b"data": Exploit(), b"labels": []})
    with pytest.raises(DataError, match="builtins.print.*refusing"):
        data.load_cifar10(path, source=source)
    assert "must never run" not in capsys.readouterr().out


def test_cifar10_wrong_archive(isolated):
    path = isolated / "cifar-10-python.tar.gz"
    cifar_archive(path)
    with pytest.raises(DataError, match=f"expected MD5 {data.CIFAR10.files[0].md5}"):
        data.load_cifar10(path)


def dead_pid():
    """The PID of a process that has exited (and been reaped)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_download_removes_what_a_killed_download_left_and_nothing_else(isolated, server):
    # Issue 13 item 5: a killed download left pooch's tmpXXXX in the cache for good.
    s, source, _ = server
    folder = isolated / "cache" / "mobilenet-course" / "fashion-mnist"
    dead, alive = folder / f".download-{dead_pid()}-abc", folder / f".download-{os.getpid()}-def"
    for f in (dead, alive):
        f.mkdir(parents=True)
        (f / "tmp1234").write_bytes(b"half a file")
    data.load_fashion_mnist(source=DataSource(s.url + "/good/", source.files))
    assert not dead.exists(), "the killed process's download folder must go"
    assert (alive / "tmp1234").exists(), "a download in progress in a live process must stay"
    assert cache_files(isolated) == sorted([alive.name, *NAMES])

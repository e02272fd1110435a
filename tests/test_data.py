"""Every way Fashion-MNIST and CIFAR-10 are found, verified and downloaded, on small files the tests write."""

import gzip
import hashlib
import http.server
import io
import pickle
import tarfile
import threading

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


def test_image_dataset_pads_resizes_and_augments():
    images = torch.randint(0, 256, (4, 1, 28, 28), dtype=torch.uint8)
    labels = torch.arange(4)
    padded = data.ImageDataset(images, labels, 32)
    assert padded[0][0].shape == (1, 32, 32)
    assert torch.allclose(padded[0][0][:, 2:30, 2:30], (images[0].float() / 255 - padded.mean) / padded.std)
    assert data.ImageDataset(images, labels, 64)[0][0].shape == (1, 64, 64)  # rho applies to the data too
    plain = data.ImageDataset(images, labels, 28)
    assert torch.equal(plain[1][0], plain[1][0])  # no augmentation: the same every time
    augmented = data.ImageDataset(images, labels, 28, augment=True, seed=3)
    draws = [augmented[0][0] for _ in range(20)]
    assert any(not torch.equal(d, draws[0]) for d in draws)
    augmented.set_epoch(1)
    first = [augmented[0][0] for _ in range(5)]
    augmented.set_epoch(1)
    assert all(torch.equal(a, b) for a, b in zip(first, [augmented[0][0] for _ in range(5)]))


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

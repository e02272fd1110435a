"""Training: deterministic on the CPU, resumable to the same result, checkpoints atomic and verified."""

import json

import pytest
import torch
from torch.utils.data import DataLoader

import mobilenet_course as mc
from mobilenet_course import cli, data, train


@pytest.fixture(autouse=True)
def one_thread():
    """Train on one thread: for these tiny models two threads' hand-offs cost more than they gain (several times
    more on a busy machine), and the tests check determinism, not speed."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_data(n_train=384, n_test=64):
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 10, (n_train + n_test,), generator=g)
    images = torch.randint(0, 60, (n_train + n_test, 1, 28, 28), dtype=torch.uint8, generator=g)
    for i, y in enumerate(labels):  # a learnable pattern: a bright square whose row depends on the class
        images[i, 0, 2 * y: 2 * y + 6, 8:20] = 250
    return {"train": (images[:n_train], labels[:n_train]), "test": (images[n_train:], labels[n_train:])}


def run(epochs, checkpoint=None, resume=False, stop_after=None, n_train=384):
    """Train the smallest model on ``tiny_data``; returns the model, its history and the two loaders."""
    torch.manual_seed(0)
    model = mc.MobileNetV1(0.25, 28, 10, in_channels=1, small_input=True)
    # No augmentation: shifts of 2 px would blur classes that differ by 2 rows.
    train_loader, test_loader = data.loaders(tiny_data(n_train), 28, batch_size=32, seed=5, augment=False)
    history = train.History()

    def stop(h):
        if stop_after is not None and len(h.epochs) == stop_after:
            raise KeyboardInterrupt  # the session ends abruptly after this epoch's checkpoint

    try:
        history = train.fit(model, train_loader, test_loader, epochs=epochs, lr=0.01, device="cpu", seed=5,
                            checkpoint=checkpoint, resume=resume, progress=False, on_epoch=stop)
    except KeyboardInterrupt:
        pass
    return model, history, (train_loader, test_loader)


def test_training_learns_and_records_history():
    # On 48 steps of a toy task, batch norm's running statistics lag far behind the weights, so test accuracy says
    # little here; that the loop learns shows in the training accuracy (chance is 0.1). The chapter 7 notebook
    # asserts test accuracy on real Fashion-MNIST.
    model, history, loaders = run(4)
    assert len(history.epochs) == 4 and [e.epoch for e in history.epochs] == [1, 2, 3, 4]
    assert history.epochs[-1].train_accuracy > 0.9, history.to_dicts()
    assert history.epochs[-1].train_loss < history.epochs[0].train_loss / 2
    # on the CPU nothing moves but the batches: the data sets stay where they were
    assert all(loader.dataset.device.type == "cpu" for loader in loaders)
    assert all(p.device.type == "cpu" for p in model.parameters())


def test_history_plot_draws_the_history():
    import matplotlib.pyplot as plt

    history = train.History([train.EpochStats(1, 2.0, 0.30, 2.2, 0.25, 3.0, 0.004),
                             train.EpochStats(2, 1.5, 0.55, 1.7, 0.50, 3.0, 0.002),
                             train.EpochStats(3, 1.0, 0.80, 1.4, 0.70, 3.0, 0.0)])
    fig = history.plot()
    try:
        loss, accuracy = fig.axes
        assert (loss.get_ylabel(), accuracy.get_ylabel()) == ("loss", "accuracy (%)")
        drawn = {(ax.get_ylabel(), line.get_label()): (list(line.get_xdata()), list(line.get_ydata()))
                 for ax in fig.axes for line in ax.get_lines()}
        assert drawn == {("loss", "train"): ([1, 2, 3], [2.0, 1.5, 1.0]),
                         ("loss", "test"): ([1, 2, 3], [2.2, 1.7, 1.4]),
                         ("accuracy (%)", "train"): ([1, 2, 3], [100 * 0.30, 100 * 0.55, 100 * 0.80]),
                         ("accuracy (%)", "test"): ([1, 2, 3], [100 * 0.25, 100 * 0.50, 100 * 0.70])}
    finally:
        plt.close(fig)


def test_evaluate_matches_a_direct_computation():
    model, _, (_, test_loader) = run(1, n_train=64)
    loss, accuracy = train.evaluate(model, test_loader)
    x = torch.stack([test_loader.dataset[i][0] for i in range(len(test_loader.dataset))])
    y = test_loader.dataset.labels
    with torch.no_grad():
        logits = model.eval()(x)
    assert accuracy == (logits.argmax(1) == y).float().mean().item()
    assert loss == pytest.approx(torch.nn.functional.cross_entropy(logits, y).item(), rel=1e-5)


def test_resumed_training_equals_uninterrupted(tmp_path):
    whole, whole_history, _ = run(3, n_train=96)
    ckpt = tmp_path / "run.pt"
    run(3, checkpoint=ckpt, stop_after=1, n_train=96)
    assert len(train.load_checkpoint(ckpt)["history"]) == 1
    resumed, resumed_history, _ = run(3, checkpoint=ckpt, resume=True, n_train=96)
    for (name, a), (_, b) in zip(whole.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), f"{name} differs after resuming"
    strip = [{k: v for k, v in e.items() if k != "seconds"} for e in whole_history.to_dicts()]
    assert [{k: v for k, v in e.items() if k != "seconds"} for e in resumed_history.to_dicts()] == strip


def test_checkpoint_is_verified(tmp_path):
    path = train.save_checkpoint(tmp_path / "c.pt", {"model": {"w": torch.ones(3)}, "epochs": 2})
    assert torch.equal(train.load_checkpoint(path)["model"]["w"], torch.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"], "one file: no .sha256 beside it, no temporary"
    raw = bytearray(path.read_bytes())
    raw[-20] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(train.CheckpointError, match="c.pt is corrupt"):
        train.load_checkpoint(path)
    with pytest.raises(train.CheckpointError, match="no checkpoint"):
        train.load_checkpoint(tmp_path / "missing.pt")


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch, on a damaged pickle header
def test_every_damaged_or_truncated_checkpoint_is_refused(tmp_path):
    # Issue 13 item 5: the checksum lives in the checkpoint. A flipped byte anywhere, or a file cut short at any
    # length, is refused as corrupt; the only flips that load are those in the zip's padding, and they load the
    # very same state.
    state = {"model": {"w": torch.arange(3000, dtype=torch.float32)}, "epochs": 2, "history": [{"a": 1.5}]}
    path = train.save_checkpoint(tmp_path / "c.pt", state)
    good = path.read_bytes()
    refused = 0
    for i in range(0, len(good), max(1, len(good) // 300)):
        raw = bytearray(good)
        raw[i] ^= 0x5A
        path.write_bytes(bytes(raw))
        try:
            back = train.load_checkpoint(path)
        except train.CheckpointError as error:
            assert "c.pt is corrupt" in str(error), (i, str(error))
            refused += 1
        else:
            assert torch.equal(back["model"]["w"], state["model"]["w"]) and back["history"] == state["history"], i
    assert refused > 250, refused
    for n in range(0, len(good), max(1, len(good) // 100)):
        path.write_bytes(good[:n])
        with pytest.raises(train.CheckpointError, match="c.pt is corrupt"):
            train.load_checkpoint(path)


def test_older_two_file_checkpoints_still_load_and_bad_sidecars_are_clear(tmp_path):
    path = tmp_path / "old.pt"
    torch.save({"model": {"w": torch.ones(2)}, "epochs": 1}, path)
    sidecar = tmp_path / "old.pt.sha256"
    sidecar.write_text(f"{train._sha256(path)}  old.pt\n")
    assert torch.equal(train.load_checkpoint(path)["model"]["w"], torch.ones(2))
    sidecar.write_text("")  # an empty .sha256 was an IndexError (issue 13 item 17)
    with pytest.raises(train.CheckpointError, match="old.pt is corrupt.*which is empty"):
        train.load_checkpoint(path)
    sidecar.unlink()
    with pytest.raises(train.CheckpointError, match="old.pt.sha256 is missing"):
        train.load_checkpoint(path)
    # saving over it leaves one file: the old .sha256 cannot get out of step
    sidecar.write_text("x")
    train.save_checkpoint(path, {"epochs": 1})
    assert not sidecar.exists()


@pytest.mark.parametrize("content, message", [([1, 2], "holds a list, not a checkpoint"),
                                              ({"epochs": 2}, "not a training checkpoint: it has no model")])
def test_resume_from_something_else_is_a_clear_error(tmp_path, content, message):
    ckpt = tmp_path / "x.pt"
    train.save_checkpoint(ckpt, content)
    with pytest.raises(train.CheckpointError, match=message):
        run(2, checkpoint=ckpt, resume=True, n_train=64)


class Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_checkpoint_cannot_run_code(tmp_path, capsys):
    # A file that verifies (its SHA-256 matches) but holds a pickled object: weights_only refuses it, in the old
    # two-file format and inside the payload of the new one.
    import hashlib
    import io

    path = tmp_path / "evil.pt"
    torch.save({"model": Payload()}, path)
    digest = train._sha256(path)
    path.with_name("evil.pt.sha256").write_text(f"{digest}  evil.pt\n")
    with pytest.raises(train.CheckpointError, match="not a checkpoint of this course"):
        train.load_checkpoint(path)
    buffer = io.BytesIO()
    torch.save({"model": Payload()}, buffer)
    payload = buffer.getvalue()
    torch.save({"format": train.CHECKPOINT_FORMAT, "sha256": hashlib.sha256(payload).hexdigest(),
                "payload": torch.frombuffer(bytearray(payload), dtype=torch.uint8)}, tmp_path / "evil2.pt")
    with pytest.raises(train.CheckpointError, match="not a checkpoint of this course"):
        train.load_checkpoint(tmp_path / "evil2.pt")
    assert "must never run" not in capsys.readouterr().out


def test_resume_refuses_a_different_schedule(tmp_path):
    ckpt = tmp_path / "run.pt"
    run(2, checkpoint=ckpt, stop_after=1, n_train=96)
    with pytest.raises(train.CheckpointError, match="made with epochs=2, not 3"):
        run(3, checkpoint=ckpt, resume=True, n_train=96)


def run_with(checkpoint, resume=False, stop_after=None, epochs=2, n_train=64, batch_size=32, lr=0.01,
             resolution=28, small_input=True):
    torch.manual_seed(0)
    model = mc.MobileNetV1(0.25, resolution, 10, in_channels=1, small_input=small_input)
    train_loader, test_loader = data.loaders(tiny_data(n_train, 32), resolution, batch_size=batch_size, seed=5,
                                             augment=False)

    def stop(h):
        if stop_after is not None and len(h.epochs) == stop_after:
            raise KeyboardInterrupt

    try:
        return train.fit(model, train_loader, test_loader, epochs=epochs, lr=lr, device="cpu", seed=5,
                         checkpoint=checkpoint, resume=resume, progress=False, on_epoch=stop)
    except KeyboardInterrupt:
        return None


@pytest.mark.parametrize("change, message", [
    (dict(resolution=32), "model resolution=28, not 32"),
    (dict(small_input=False, resolution=32), "model small_input=True, not False"),
    (dict(batch_size=16), "batch_size=32, not 16"),
    (dict(lr=0.02), "lr=0.01, not 0.02"),
    (dict(n_train=96), "training_images=64, not 96"),  # another --subset: was the scheduler's "Tried to step"
    (dict(epochs=3), "epochs=2, not 3"),
])
def test_resume_refuses_another_configuration(tmp_path, change, message):
    # Issue 13 item 9: a resumed run with other settings was labelled with them, or died in the scheduler.
    ckpt = tmp_path / "run.pt"
    run_with(ckpt, stop_after=1)
    before = ckpt.read_bytes()
    with pytest.raises(train.CheckpointError, match=f"run.pt was made with .*{message}"):
        run_with(ckpt, resume=True, **change)
    assert ckpt.read_bytes() == before, "the checkpoint must stay as it was"


@pytest.mark.parametrize("epochs, n_train", [(1, 128), (2, 64), (4, 32)])
def test_a_schedule_of_four_steps_trains(epochs, n_train):
    # OneCycleLR's warm-up of a quarter of 4 steps ends at step 0: it divided by zero.
    history = run_with(None, epochs=epochs, n_train=n_train)
    assert len(history.epochs) == epochs


def test_pick_device(monkeypatch):
    assert train.pick_device("cpu") == torch.device("cpu")
    mps = getattr(torch.backends, "mps", None)
    expected = ("cuda" if torch.cuda.is_available() else
                "mps" if mps is not None and mps.is_available() else "cpu")
    assert train.pick_device("auto").type == expected
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert train.pick_device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    if mps is not None:
        monkeypatch.setattr(mps, "is_available", lambda: False)
    assert train.pick_device("auto").type == "cpu"
    with pytest.raises(ValueError, match=r"device must be 'auto', 'cpu', 'cuda' \(or 'cuda:N'\) or 'mps'.*got 'tpu9'"):
        train.pick_device("tpu9")


@pytest.mark.parametrize("device, message", [
    ("cuda", "device 'cuda': CUDA is not available here"),  # was an AssertionError deep in torch (issue 13, 17)
    ("cuda:1", "device 'cuda:1': CUDA is not available here"),
    ("mps", "device 'mps': Apple's MPS is not available here"),
    ("meta", "got 'meta' \\(training cannot run there\\)"),  # was a failure inside the training loop
    (3, "got 3"),
])
def test_pick_device_refuses_what_this_machine_cannot_train_on(monkeypatch, device, message):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None:
        monkeypatch.setattr(mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match=message):
        train.pick_device(device)


def test_pick_device_checks_the_cuda_index(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert train.pick_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(ValueError, match="device 'cuda:2': this machine has 2 CUDA device"):
        train.pick_device("cuda:2")


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": float("inf")}, r"lr must be a number in \(0, 10\], got inf"),  # trained to 10% and wrote Infinity
    ({"lr": 0}, r"lr must be a number in \(0, 10\], got 0"),  # trained nothing without a word
    ({"lr": float("nan")}, "lr must be"),
    ({"lr": "0.01"}, "lr must be"),
    ({"epochs": 0}, "epochs must be a whole number in"),
    ({"epochs": 2.0}, "epochs must be a whole number in"),
    ({"label_smoothing": 1.0}, "label_smoothing must be"),
    ({"seed": -1}, "seed must be"),
    ({"resume": "no"}, "resume must be True or False"),
])
def test_fit_refuses_bad_arguments_before_any_work(kwargs, message):
    model = mc.MobileNetV1(0.25, 28, 10, in_channels=1, small_input=True)
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=message):
        train.fit(model, None, None, **{"device": "cpu", **kwargs})
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_train_command_writes_checkpoint_and_metrics(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "fmnist"
    splits = tiny_data(n_train=96)
    monkeypatch.setattr(data, "load_fashion_mnist", lambda path=None, **kw: splits)
    code = cli.main(["train", "--alpha", "0.25", "--epochs", "1", "--batch-size", "32", "--no-progress",
                     "--data", str(folder), "--checkpoint", str(tmp_path / "m.pt"), "--metrics",
                     str(tmp_path / "m.json")])
    assert code == 0
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert {"test_accuracy", "wall_s", "epochs", "alpha", "resolution", "threads"} <= metrics.keys()
    assert metrics["alpha"] == 0.25 and metrics["epochs"] == 1 and len(metrics["history"]) == 1
    state = train.load_checkpoint(tmp_path / "m.pt")
    assert state["config"] == {"class": "MobileNetV1", "alpha": 0.25, "resolution": 28, "num_classes": 10,
                               "in_channels": 1, "small_input": True, "activation": "relu", "padding": "symmetric",
                               "bn_eps": 1e-5, "rounding": "tf-slim"}
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["test_accuracy"] == metrics["test_accuracy"]


@pytest.mark.cuda
def test_fit_on_cuda_trains_there_and_keeps_model_and_data_on_the_gpu():
    inputs = []
    torch.manual_seed(0)
    model = mc.MobileNetV1(0.25, 28, 10, in_channels=1, small_input=True)
    train_loader, test_loader = data.loaders(tiny_data(), 28, batch_size=32, seed=5, augment=False)
    assert train_loader.dataset.device.type == "cpu" and test_loader.dataset.device.type == "cpu"
    # every forward pass (12 training batches and 1 test batch per epoch) records where its input and the data are
    model.register_forward_pre_hook(lambda module, args: inputs.append(
        (args[0].device.type, train_loader.dataset.raw.device.type, test_loader.dataset.raw.device.type)))
    history = train.fit(model, train_loader, test_loader, epochs=4, lr=0.01, device="cuda", seed=5, progress=False)
    assert inputs == [("cuda", "cuda", "cuda")] * (4 * 13), "batches are made from the GPU-resident data sets"
    assert all(p.is_cuda for p in model.parameters()) and all(b.is_cuda for b in model.buffers()), \
        "fit leaves the model on the training device"
    assert train_loader.dataset.labels.is_cuda and test_loader.dataset.labels.is_cuda
    x, y = next(iter(train_loader))
    assert x.is_cuda and y.is_cuda and x.shape == (32, 1, 28, 28)
    assert history.epochs[-1].train_accuracy > 0.9, history.to_dicts()  # it learns there as on the CPU
    assert next(model.cpu().parameters()).device.type == "cpu"  # what the docstring says brings it back


@pytest.mark.cuda
@pytest.mark.parametrize("resolution", [28, 32, 64])
def test_batches_made_on_the_gpu_equal_those_made_on_the_cpu(resolution):
    loaders = [data.loaders(tiny_data(), resolution, batch_size=64, seed=2)[0] for _ in range(2)]
    loaders[1].dataset.to("cuda")
    for loader in loaders:  # epoch 1 of seed 2, as fit would set it: the same order and augmentation on both
        loader.generator.manual_seed(2 * 1_000_003 + 1)
        loader.dataset.set_epoch(1, 2)
    batches = 0
    for (x_cpu, y_cpu), (x_gpu, y_gpu) in zip(*loaders):
        assert x_gpu.is_cuda and y_gpu.is_cuda and not x_cpu.is_cuda
        torch.testing.assert_close(x_gpu.cpu(), x_cpu)  # float rounding of the GPU's bilinear resize at most
        assert torch.equal(y_gpu.cpu(), y_cpu)
        batches += 1
    assert batches == 6


@pytest.mark.cuda
def test_fit_on_cuda_leaves_data_on_the_cpu_for_a_loader_that_pins_memory():
    # Only CPU tensors can be pinned, and worker processes cannot use CUDA: such loaders keep their data where it is
    splits = tiny_data(n_train=64)
    train_set = data.ImageDataset(*splits["train"], 28)
    test_set = data.ImageDataset(*splits["test"], 28, mean=train_set.mean, std=train_set.std)
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True, pin_memory=True,
                              generator=torch.Generator().manual_seed(0))
    test_loader = DataLoader(test_set, batch_size=64, pin_memory=True)
    model = mc.MobileNetV1(0.25, 28, 10, in_channels=1, small_input=True)
    history = train.fit(model, train_loader, test_loader, epochs=1, device="cuda", progress=False)
    assert train_set.device.type == "cpu" and test_set.device.type == "cpu"
    assert next(model.parameters()).is_cuda and len(history.epochs) == 1
    assert 0 <= history.test_accuracy <= 1


def _train_to_the_end(checkpoint, epochs, n_train):
    torch.set_num_threads(1)
    run_with(checkpoint, resume=True, epochs=epochs, n_train=n_train)


@pytest.mark.slow  # about 13 s on a shared 2-core machine, minutes when it is overloaded
def test_training_killed_at_random_moments_resumes_to_the_same_weights(tmp_path):
    # Issue 13 item 5: a kill between the checkpoint and its .sha256 left a good checkpoint that resume refused,
    # and killed writes left temporary files. Here a training run (forked, so that no interpreter starts each time)
    # is killed with SIGKILL at least 20 times, at random moments and, every other time, the moment a checkpoint's
    # temporary file appears (inside the write); each time it is resumed, until it ends. The checkpoint must always
    # load, and the final weights must equal those of an uninterrupted run.
    import multiprocessing
    import os
    import random
    import signal
    import time

    fork = multiprocessing.get_context("fork")
    epochs, n_train = 3, 64
    reference = tmp_path / "reference.pt"
    began = time.perf_counter()
    child = fork.Process(target=_train_to_the_end, args=(reference, epochs, n_train))
    child.start()
    child.join(120)
    assert child.exitcode == 0
    seconds = time.perf_counter() - began
    expected = train.load_checkpoint(reference)["model"]

    rng = random.Random(13)
    folder = tmp_path / "killed"
    folder.mkdir()
    ckpt = folder / "run.pt"
    kills = 0
    while True:
        child = fork.Process(target=_train_to_the_end, args=(ckpt, epochs, n_train))
        child.start()
        # after 20 kills the run is left to finish: the loop ends, however slow the machine
        deadline = time.perf_counter() + (rng.uniform(0, seconds / 2) if kills < 20 else 600)
        aim_at_write = kills % 2 == 1
        while child.is_alive() and time.perf_counter() < deadline:
            if aim_at_write and any(f".tmp-{child.pid}-" in name for name in os.listdir(folder)):
                break
            time.sleep(0.0005 if aim_at_write else 0.005)
        if child.is_alive() and kills < 20:
            os.kill(child.pid, signal.SIGKILL)
            kills += 1
        child.join(120)
        assert child.exitcode in (0, -signal.SIGKILL), child.exitcode
        if not ckpt.exists():
            continue
        state = train.load_checkpoint(ckpt)  # never refused, never half a checkpoint
        if len(state["history"]) == epochs:
            for name, value in expected.items():
                assert torch.equal(state["model"][name], value), f"{name} differs after {kills} kills"
            assert [p.name for p in folder.iterdir()] == ["run.pt"], "temporary files left behind"
            if kills >= 20:
                break
            ckpt.unlink()  # and train again from the start, killed again


def test_the_same_seed_gives_the_same_model_and_metrics_whatever_ran_before(tmp_path, monkeypatch, capsys):
    """Through the entry point of `mobilenet-course train`: a random draw made earlier in the process (as
    benchmarks/inference.py makes before it trains) changes neither the starting weights, nor the data order and
    augmentation, nor the metrics."""
    splits = tiny_data(n_train=96)
    monkeypatch.setattr(data, "load_fashion_mnist", lambda path=None, **kw: splits)

    def train_once(name):
        code = cli.main(["train", "--alpha", "0.25", "--epochs", "2", "--batch-size", "32", "--no-progress",
                         "--seed", "3", "--data", str(tmp_path), "--checkpoint", str(tmp_path / f"{name}.pt"),
                         "--metrics", str(tmp_path / f"{name}.json")])
        assert code == 0
        metrics = json.loads((tmp_path / f"{name}.json").read_text())
        timings = ("seconds", "wall_s", "train_s")
        history = [{k: v for k, v in epoch.items() if k not in timings} for epoch in metrics.pop("history")]
        return train.load_checkpoint(tmp_path / f"{name}.pt")["model"], history, metrics

    first = train_once("first")
    torch.randn(5)  # unrelated work between the two runs
    second = train_once("second")
    assert first[0].keys() == second[0].keys()
    assert all(torch.equal(first[0][k], second[0][k]) for k in first[0]), "same seed, different weights"
    assert first[1] == second[1] and len(first[1]) == 2
    assert first[2]["test_accuracy"] == second[2]["test_accuracy"]

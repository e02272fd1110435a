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
    assert not list(tmp_path.glob("*.tmp")), "no temporary files left behind"
    raw = bytearray(path.read_bytes())
    raw[-20] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(train.CheckpointError, match="corrupt: its SHA-256 is not"):
        train.load_checkpoint(path)
    with pytest.raises(train.CheckpointError, match="no checkpoint"):
        train.load_checkpoint(tmp_path / "missing.pt")


class Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_checkpoint_cannot_run_code(tmp_path, capsys):
    # A file that verifies (its SHA-256 file matches) but holds a pickled object: weights_only refuses it.
    path = tmp_path / "evil.pt"
    torch.save({"model": Payload()}, path)
    digest = train._sha256(path)
    path.with_name("evil.pt.sha256").write_text(f"{digest}  evil.pt\n")
    with pytest.raises(train.CheckpointError, match="not a checkpoint of this course"):
        train.load_checkpoint(path)
    assert "must never run" not in capsys.readouterr().out


def test_resume_refuses_a_different_schedule(tmp_path):
    ckpt = tmp_path / "run.pt"
    run(2, checkpoint=ckpt, stop_after=1, n_train=96)
    with pytest.raises(train.CheckpointError, match="made for 2 epochs, not 3"):
        run(3, checkpoint=ckpt, resume=True, n_train=96)


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
                               "in_channels": 1, "small_input": True, "activation": "relu"}
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

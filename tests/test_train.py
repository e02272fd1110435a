"""Training: deterministic on the CPU, resumable to the same result, checkpoints atomic and verified."""

import json

import pytest
import torch

import mobilenet_course as mc
from mobilenet_course import cli, data, train


def tiny_data(n_train=384, n_test=64):
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 10, (n_train + n_test,), generator=g)
    images = torch.randint(0, 60, (n_train + n_test, 1, 28, 28), dtype=torch.uint8, generator=g)
    for i, y in enumerate(labels):  # a learnable pattern: a bright square whose row depends on the class
        images[i, 0, 2 * y: 2 * y + 6, 8:20] = 250
    return {"train": (images[:n_train], labels[:n_train]), "test": (images[n_train:], labels[n_train:])}


def run(epochs, checkpoint=None, resume=False, stop_after=None):
    torch.manual_seed(0)
    model = mc.MobileNetV1(0.25, 28, 10, in_channels=1, small_input=True)
    # No augmentation: shifts of 2 px would blur classes that differ by 2 rows.
    train_loader, test_loader = data.loaders(tiny_data(), 28, batch_size=32, seed=5, augment=False)
    history = train.History()

    def stop(h):
        if stop_after is not None and len(h.epochs) == stop_after:
            raise KeyboardInterrupt  # the session ends abruptly after this epoch's checkpoint

    try:
        history = train.fit(model, train_loader, test_loader, epochs=epochs, lr=0.01, device="cpu", seed=5,
                            checkpoint=checkpoint, resume=resume, progress=False, on_epoch=stop)
    except KeyboardInterrupt:
        pass
    return model, history


def test_training_learns_and_records_history():
    # On 48 steps of a toy task, batch norm's running statistics lag far behind the weights, so test accuracy says
    # little here; that the loop learns shows in the training accuracy (chance is 0.1). The chapter 7 notebook
    # asserts test accuracy on real Fashion-MNIST.
    model, history = run(4)
    assert len(history.epochs) == 4 and history.epochs[-1].epoch == 4
    assert history.epochs[-1].train_accuracy > 0.9, history.to_dicts()
    assert history.epochs[-1].train_loss < history.epochs[0].train_loss / 2
    assert history.plot() is not None


def test_evaluate_matches_a_direct_computation():
    model, _ = run(1)
    _, test_loader = data.loaders(tiny_data(), 28, batch_size=32, augment=False)
    loss, accuracy = train.evaluate(model, test_loader)
    x = torch.stack([test_loader.dataset[i][0] for i in range(len(test_loader.dataset))])
    y = test_loader.dataset.labels
    with torch.no_grad():
        logits = model.eval()(x)
    assert accuracy == (logits.argmax(1) == y).float().mean().item()
    assert loss == pytest.approx(torch.nn.functional.cross_entropy(logits, y).item(), rel=1e-5)


def test_resumed_training_equals_uninterrupted(tmp_path):
    whole, whole_history = run(3)
    ckpt = tmp_path / "run.pt"
    run(3, checkpoint=ckpt, stop_after=1)
    assert len(train.load_checkpoint(ckpt)["history"]) == 1
    resumed, resumed_history = run(3, checkpoint=ckpt, resume=True)
    for (name, a), (_, b) in zip(whole.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), f"{name} differs after resuming"
    assert resumed_history.to_dicts()[1:][0]["test_accuracy"] == whole_history.to_dicts()[1]["test_accuracy"]


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
    run(2, checkpoint=ckpt, stop_after=1)
    with pytest.raises(train.CheckpointError, match="made for 2 epochs, not 3"):
        run(3, checkpoint=ckpt, resume=True)


def test_pick_device():
    assert train.pick_device("cpu").type == "cpu"
    assert train.pick_device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(ValueError, match="device must be"):
        train.pick_device("tpu9")


def test_train_command_writes_checkpoint_and_metrics(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "fmnist"
    splits = tiny_data()
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

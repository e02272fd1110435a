"""Deployable files: exported once, run with the runtime alone, carrying what the device needs, never half-written."""

import importlib.util
import json
import os
import re

import numpy as np
import pytest
import torch

import mobilenet_course as mc
from mobilenet_course import bench, cli, deploy, train

HAS_EXECUTORCH = importlib.util.find_spec("executorch") is not None
HAS_ONNX = all(importlib.util.find_spec(m) for m in ("onnx", "onnxscript", "onnxruntime"))
needs_executorch = pytest.mark.skipif(not HAS_EXECUTORCH, reason="executorch is not installed (pip install executorch)")
needs_onnx = pytest.mark.skipif(not HAS_ONNX, reason="onnx, onnxscript and onnxruntime are not installed")

PREPROCESSING = {"mean": 0.5, "std": 0.25, "resize": "pad"}
CLASSES = [f"stripes {i}" for i in range(10)]


@pytest.fixture(scope="module")
def exported(trained, tmp_path_factory):
    """The trained test model exported once in each form (an ExecuTorch lowering takes 5-10 s on 2 cores)."""
    model, _, calibration, _ = trained
    folder, files = tmp_path_factory.mktemp("exported"), {}
    for suffix, int8, available in [(".pte", False, HAS_EXECUTORCH), (".pte", True, HAS_EXECUTORCH),
                                    (".onnx", False, HAS_ONNX)]:
        if available:
            out = folder / f"model{'-int8' if int8 else ''}{suffix}"
            info = deploy.export(model, out, int8=int8, batch=64, calibration=calibration, class_names=CLASSES,
                                 preprocessing=PREPROCESSING)
            files[suffix, int8] = out, info
    return folder, files


# ExecuTorch's lowering takes seconds per model: slow, like the inference paths that compile.
@pytest.mark.parametrize("suffix, int8", [pytest.param(".pte", False, marks=[needs_executorch, pytest.mark.slow]),
                                          pytest.param(".pte", True, marks=[needs_executorch, pytest.mark.slow]),
                                          pytest.param(".onnx", False, marks=needs_onnx)])
def test_exported_file_runs_like_the_model_and_carries_its_metadata(trained, exported, suffix, int8):
    model, images, _, expected = trained
    folder, files = exported
    out, info = files[suffix, int8]
    assert out.stat().st_size == info["size_bytes"] and not [p for p in os.listdir(folder) if p.startswith(".")]
    loaded = deploy.load(out)
    assert loaded.metadata == {k: v for k, v in info.items() if k not in ("size_bytes", "sha256")}
    assert loaded.metadata["class_names"] == CLASSES and loaded.metadata["preprocessing"] == PREPROCESSING
    assert loaded.metadata["resolution"] == 32 and loaded.metadata["int8"] is int8 and loaded.input_shape == (64, 1, 32, 32)
    got = torch.cat([loaded(chunk) for chunk in images.split(64)])
    agreement = (got.argmax(1) == expected.argmax(1)).float().mean().item()
    if int8:
        assert agreement >= mc.inference.PATHS["executorch_int8"].min_agreement, agreement
    else:
        assert (got - expected).abs().max().item() <= 1e-3 and agreement == 1.0


@pytest.mark.slow
@needs_executorch
def test_int8_file_is_much_smaller_than_fp32(exported):
    fp32, int8 = exported[1][".pte", False][1]["size_bytes"], exported[1][".pte", True][1]["size_bytes"]
    # int8 weights are a quarter of fp32's; the graph and the scales take the rest (about 3x for this tiny model;
    # benchmarks/inference.py reports 1.0-MobileNet-224's ratio)
    assert fp32 / int8 > 2.5, (fp32, int8)


def test_export_refuses_what_it_cannot_write(tmp_path):
    model = mc.MobileNetV1(0.25, 32, 10)
    with pytest.raises(ValueError, match=r"must end in \.pte or \.onnx, not '\.tflite'"):
        deploy.export(model, tmp_path / "model.tflite")
    with pytest.raises(ValueError, match="int8 export is for .pte files"):
        deploy.export(model, tmp_path / "model.onnx", int8=True)
    with pytest.raises(ValueError, match="is a folder"):
        deploy.export(model, tmp_path, int8=True)
    with pytest.raises(ValueError, match="3 class names for a model with 10 outputs"):
        deploy.export(model, tmp_path / "model.onnx", class_names=["a", "b", "c"])
    assert list(tmp_path.iterdir()) == []


@needs_onnx
def test_a_file_that_fails_its_check_is_not_written(tmp_path, monkeypatch):
    model = mc.MobileNetV1(0.25, 32, 10)
    (tmp_path / "model.onnx").write_bytes(b"the previous export")

    def wrong(self, images):  # a runtime that computes something else
        return torch.ones(len(images), 10) * 7

    monkeypatch.setattr(deploy.DeployedModel, "__call__", wrong)
    with pytest.raises(ValueError, match="logits differ from the model's"):
        deploy.export(model, tmp_path / "model.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]
    assert (tmp_path / "model.onnx").read_bytes() == b"the previous export"


def test_load_refuses_other_files(tmp_path):
    with pytest.raises(ValueError, match=r"a deployed model is a \.pte \(ExecuTorch\) or \.onnx file, not \.pt"):
        deploy.load(tmp_path / "model.pt")
    with pytest.raises(ValueError, match="no file at"):
        deploy.load(tmp_path / "missing.pte")
    (tmp_path / "text.pte").write_text("not a program")
    if HAS_EXECUTORCH:
        with pytest.raises(ValueError, match="not an ExecuTorch program"):
            deploy.load(tmp_path / "text.pte")


def test_model_from_checkpoint_rebuilds_the_trained_model(tmp_path):
    torch.manual_seed(0)
    model = mc.MobileNetV1(0.25, 28, 10, in_channels=1, small_input=True).eval()
    path = train.save_checkpoint(tmp_path / "m.pt", {"model": model.state_dict(), "config": train._config(model)})
    rebuilt, state = train.model_from_checkpoint(path)
    x = torch.randn(2, 1, 28, 28)
    assert not rebuilt.training and rebuilt.name == model.name and torch.equal(rebuilt(x), model(x))
    train.save_checkpoint(tmp_path / "other.pt", {"weights": 1})
    with pytest.raises(train.CheckpointError, match="holds no model and configuration"):
        train.model_from_checkpoint(tmp_path / "other.pt")


def test_the_check_batch_is_the_same_everywhere():
    # NumPy's PCG64 stream with seed 0 is fixed: the first numbers are those of NumPy's documented stream.
    x = bench.check_batch((2, 1, 4, 4))
    assert x.dtype == torch.float32 and x.shape == (2, 1, 4, 4)
    assert torch.equal(x, bench.check_batch((2, 1, 4, 4)))
    assert np.allclose(x.flatten()[:3].numpy(), np.random.Generator(np.random.PCG64(0)).standard_normal(3, dtype=np.float32))


@pytest.mark.slow  # trains a small model on Fashion-MNIST (shared with test_benchmarks), exports twice
@needs_executorch
def test_export_a_checkpoint_then_bench_the_file_alone(checkpoint, tmp_path, capsys):
    out, results = tmp_path / "small-int8.pte", tmp_path / "device.json"
    assert cli.main(["export", str(checkpoint), "--int8", "--calibration", "200", "--out", str(out)]) == 0
    assert cli.main(["bench", "--pte", str(out), "--threads", "1", "--runs", "5", "--warmup", "2",
                     "--min-time", "0", "--out", str(results)]) == 0
    printed = capsys.readouterr().out
    row = json.loads(results.read_text())[-1]
    assert row["path"] == "executorch_int8" and row["model"] == "0.25-MobileNet-28" and row["threads"] == 1
    assert row["runs"] == 5 and row["warmup"] == 2 and row["file_bytes"] == out.stat().st_size
    assert 0 < row["p10_ms"] <= row["median_ms"] <= row["p90_ms"] <= row["p99_ms"] and row["first_ms"] > 0
    assert row["mult_adds"] == mc.costs.profile(mc.MobileNetV1(0.25, 28, 10, in_channels=1, small_input=True)).mult_adds
    assert len(row["check_top1"]) == 16 and " ".join(map(str, row["check_top1"])) in printed
    meta = deploy.load(out).metadata
    assert meta["class_names"] == list(mc.data.FASHION_MNIST_CLASSES)
    state = train.load_checkpoint(checkpoint)
    assert meta["preprocessing"] == state["preprocessing"] and 0 < meta["preprocessing"]["std"] < 1
    # the stored preprocessing makes raw pixels into what the model was trained on
    splits = mc.data.load_fashion_mnist()
    pixels, labels = splits["test"][0][:200], splits["test"][1][:200]
    model = deploy.load(out)
    top1 = torch.cat([model(image[None]).argmax(1) for image in model.preprocess(pixels)])
    assert (top1 == labels).float().mean().item() >= 0.6


@pytest.mark.parametrize("argv, message", [
    (["export", "1.0-MobileNet-224", "--out", "m.tflite"], r"--out m.tflite must end in .pte or .onnx"),
    (["export", "1.0-MobileNet-224", "--format", "onnx", "--out", "m.pte"], r"must end in .onnx for --format onnx"),
    (["export", "1.0-MobileNet-224", "--int8", "--out", "m.onnx"], r"--int8 is for --format pte"),
    (["export", "smal.pt", "--out", "m.pte"], r"smal.pt is neither a checkpoint file nor a paper name"),
    (["bench", "--pte", "missing.pte"], r"--pte missing.pte: no such file"),
    (["bench", "--onnx", "model.pte"], r"--onnx model.pte: expected a .onnx file"),
    (["bench", "--pte", "m.pte", "--grid"], r"time either deployed files"),
])
def test_export_and_bench_file_errors_are_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("mobilenet-course: error:") and len(err.strip().splitlines()) == 1, err
    assert re.search(message, err), err
    assert list(tmp_path.iterdir()) == []


def test_the_stored_cost_is_the_models_own_whatever_its_class():
    # bench --pte reports the file's mult-adds from its metadata: a ConvMobileNet must not be costed as a MobileNet
    for model in (mc.ConvMobileNet(), mc.ShallowMobileNet(), mc.MobileNetV1(0.5, 28, 10, in_channels=1, small_input=True)):
        meta, cost = deploy.describe(model), mc.costs.profile(model)
        assert (meta["mult_adds"], meta["params"]) == (cost.mult_adds, cost.params), model.name

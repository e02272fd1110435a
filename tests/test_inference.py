"""Every inference path gives eager fp32's predictions within its stated tolerance, or says why it cannot run."""

import importlib.util
import platform
import sys
import sysconfig

import pytest
import torch

import mobilenet_course as mc
from mobilenet_course import data, inference, train


OPTIONAL = {"int8": ["torchao"], "onnxruntime": ["onnxruntime", "onnxscript"]}  # packages a path may lack


@pytest.fixture(scope="module")
def trained():
    """A small model trained briefly on real Fashion-MNIST, and test images it has not seen."""
    torch.manual_seed(0)
    splits = data.load_fashion_mnist(download=False)
    model = mc.MobileNetV1(0.25, 28, 10, in_channels=1, small_input=True)
    train_loader, test_loader = data.loaders(splits, 28, subset=4000, batch_size=128)
    train.fit(model, train_loader, test_loader, epochs=1, progress=False)
    images = torch.stack([test_loader.dataset[i][0] for i in range(512)])
    calibration = torch.stack([train_loader.dataset[i][0] for i in range(256)])
    return model.eval(), images, calibration


@pytest.mark.parametrize("name", list(inference.PATHS))
def test_path_matches_eager_fp32(trained, name):
    model, images, calibration = trained
    path = inference.PATHS[name]
    with torch.no_grad():
        expected = model(images)
    try:
        run = inference.prepare(name, model, images[:64], calibration)
    except inference.Unavailable as why:
        # Allowed reasons only (a Raspberry Pi with torch alone); with everything installed, every path must run.
        if name == "int8_qnnpack" and platform.machine() not in ("aarch64", "arm64"):
            assert "Arm" in str(why)
            pytest.skip(f"{name}: {why}")
        if name in ("compile", "int8") and inference.missing_build_tools():
            pytest.skip(f"{name}: {why}")
        if any(importlib.util.find_spec(m) is None for m in OPTIONAL.get(name, ())):
            pytest.skip(f"{name}: {why}")
        raise
    with torch.no_grad():
        got = torch.cat([run(chunk) for chunk in images.split(64)])
    assert got.shape == expected.shape
    agreement = (got.argmax(1) == expected.argmax(1)).float().mean().item()
    if path.atol is not None:
        assert (got - expected).abs().max().item() <= path.atol, f"{name}: logits differ by more than {path.atol}"
        assert agreement == 1.0
    else:
        assert agreement >= path.min_agreement, f"{name}: top-1 agreement {agreement:.3f} < {path.min_agreement}"


def test_fold_batch_norm_removes_every_batch_norm(trained):
    model, images, _ = trained
    folded = inference.fold_batch_norm(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()), "the original is left alone"
    with torch.no_grad():
        assert torch.allclose(folded(images[:8]), model(images[:8]), atol=1e-4)


def test_unknown_path_says_which_exist():
    with pytest.raises(ValueError, match="unknown inference path 'tensorrt'.*eager.*onnxruntime"):
        inference.prepare("tensorrt", mc.MobileNetV1(0.25, 32, 10), torch.zeros(1, 3, 32, 32))


def test_compile_without_a_compiler_says_so():
    import torch._inductor.config as inductor_config

    # torch's own patch: monkeypatch's undo would delete the setting, which hides it from inductor for good
    with inductor_config.patch({"cpp.cxx": (None, "no-such-compiler++")}):
        assert inference.cxx_compiler() is None
        with pytest.raises(inference.Unavailable, match=r"C\+\+ compiler.*apt install g\+\+ python3-dev"):
            inference.prepare("compile", mc.MobileNetV1(0.25, 32, 10), torch.zeros(1, 3, 32, 32))
    assert inference.cxx_compiler() is not None


def test_compile_without_python_headers_says_so(monkeypatch, tmp_path):
    # Found on Debian arm64: with g++ but without python3-dev, inductor fails to build its Python.h wrapper.
    paths = sysconfig.get_paths()
    monkeypatch.setattr(sysconfig, "get_paths", lambda *a, **k: {**paths, "include": str(tmp_path)})
    assert inference.missing_build_tools() == ["Python's C headers (Python.h)"]
    with pytest.raises(inference.Unavailable, match=r"Python.h.*python3-dev"):
        inference.prepare("compile", mc.MobileNetV1(0.25, 32, 10), torch.zeros(1, 3, 32, 32))


PT2E = "torchao.quantization.pt2e.quantize_pt2e"


class HideTorchao:
    """An import hook under which torchao looks not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torchao":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def test_int8_without_torchao_says_install_it(monkeypatch):
    for name in [n for n in sys.modules if n.split(".")[0] == "torchao"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [HideTorchao(), *sys.meta_path])
    with pytest.raises(inference.Unavailable, match="needs torchao.*pip install torchao"):
        inference.prepare("int8", mc.MobileNetV1(0.25, 32, 10), torch.zeros(1, 3, 32, 32))


def test_int8_with_a_torchao_for_another_torch_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, PT2E, None)  # imports fail below the top level, as on a version mismatch
    with pytest.raises(inference.Unavailable, match="torchao is installed but does not import with torch"):
        inference.prepare("int8", mc.MobileNetV1(0.25, 32, 10), torch.zeros(1, 3, 32, 32))

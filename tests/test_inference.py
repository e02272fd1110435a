"""Every inference path gives eager fp32's predictions within its stated tolerance, or says why it cannot run, and
leaves the caller's model as it was, wherever the model lies."""

import sys
import sysconfig

import pytest
import torch

import mobilenet_course as mc
from mobilenet_course import inference

from inference_checks import as_left_by_training, assert_as_before, device_params, path_params, skip_if_allowed, \
    state_of


@pytest.mark.parametrize("device", device_params())
@pytest.mark.parametrize("name", path_params())
def test_path_matches_eager_fp32_and_leaves_the_model_as_it_was(trained, name, device):
    model, images, calibration, expected = trained
    path = inference.PATHS[name]
    held = as_left_by_training(model, device)  # on the device, in training mode, channels-last
    before = state_of(held)
    try:
        run = inference.prepare(name, held, images[:64], calibration)
    except inference.Unavailable as why:
        # Allowed reasons only (a Raspberry Pi with torch alone); with everything installed, every path must run.
        skip_if_allowed(name, why)
    with torch.no_grad():
        got = torch.cat([run(chunk) for chunk in images.split(64)])
    assert_as_before(held, before)
    assert got.device.type == "cpu" and got.shape == expected.shape
    agreement = (got.argmax(1) == expected.argmax(1)).float().mean().item()
    if path.atol is not None:
        assert (got - expected).abs().max().item() <= path.atol, f"{name}: logits differ by more than {path.atol}"
        assert agreement == 1.0
    else:
        assert agreement >= path.min_agreement, f"{name}: top-1 agreement {agreement:.3f} < {path.min_agreement}"


def test_cpu_copy_is_an_eval_nchw_cpu_copy_sharing_nothing(trained):
    model = as_left_by_training(trained[0], "cpu")
    before = state_of(model)
    copied = inference.cpu_copy(model)
    assert_as_before(model, before)
    assert not any(m.training for m in copied.modules())
    assert all(t.device.type == "cpu" and t.is_contiguous() for t in copied.state_dict().values())
    assert not {t.data_ptr() for t in copied.state_dict().values()} & {t.data_ptr() for t in model.state_dict().values()}


def test_fold_batch_norm_removes_every_batch_norm(trained):
    model, images, _, _ = trained
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


@pytest.mark.slow
@pytest.mark.skipif(bool(inference.missing_build_tools()), reason="torch.compile needs a C++ compiler and Python's headers")
def test_compile_twice_with_models_of_different_sizes():
    # A reader compiles one model, then another: dynamo recompiles the same forward with new shapes, and with
    # automatic dynamic shapes inductor's fused mkldnn convolutions failed a stride assertion (torch 2.13).
    for model, batch in [(mc.from_name("0.25-MobileNet-128"), 1),
                         (mc.MobileNetV1(0.25, 28, 10, in_channels=1, small_input=True), 64)]:
        model.eval()
        x = torch.randn(batch, model.in_channels, model.resolution, model.resolution)
        run = inference.prepare("compile", model, x)
        with torch.no_grad():
            torch.testing.assert_close(run(x), model(x), atol=inference.PATHS["compile"].atol, rtol=0)

"""The models the book serves to the browser (mobilenet_course.browser) and the widget that runs them, in Python.

What the browser itself does with them (threads, logits, the plot, the row) is tested in Chromium by
tests/test_device_browser.py.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import mobilenet_course as mc
from mobilenet_course import browser, family
from mobilenet_course.widgets import DeviceBenchmark

ROOT = Path(__file__).resolve().parents[1]


def test_fixed_input_is_the_documented_formula():
    x = browser.fixed_input(40)
    i = np.arange(3 * 40 * 40, dtype=np.float64)
    expected = ((i * 7919) % 256 / 127.5 - 1).astype(np.float32).reshape(1, 3, 40, 40)
    assert x.dtype == torch.float32 and np.array_equal(x.numpy(), expected)
    assert x.min() >= -1 and x.max() <= 1 and len(torch.unique(x)) == 256


@pytest.mark.parametrize("bad", [31, 513, 100.5, True, "224"])
def test_fixed_input_refuses_bad_resolutions(bad):
    with pytest.raises(ValueError, match="resolution"):
        browser.fixed_input(bad)


@pytest.mark.parametrize("bad", [0.3, 2, "1.0", True, None])
def test_only_the_served_widths(bad):
    with pytest.raises(ValueError, match=r"one of the browser models' widths \[1.0, 0.75, 0.5, 0.25\]"):
        browser.reference_model(bad)


def test_reference_model_is_folded_half_precision_and_the_same_at_every_resolution():
    a, b = browser.reference_model(0.25, 128), browser.reference_model(0.25, 224)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in a.modules()), "batch norm is folded into the convolutions"
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(p, q), f"{name} differs between resolutions"
        if p.is_floating_point():
            assert torch.equal(p, p.half().float()), f"{name} is not a half-precision number"
    # calibrated batch norm: the logits are neither vanishing nor exploding
    spread = a(browser.fixed_input(128)).std().item()
    assert 1e-3 < spread < 10, spread


def test_onnx_file_gives_the_reference_logits_at_any_resolution():
    ort = pytest.importorskip("onnxruntime")
    import onnx

    data = browser.to_onnx(0.25)
    proto = onnx.load_from_string(data)
    floats = [t for t in proto.graph.initializer if t.data_type == onnx.TensorProto.FLOAT]
    assert not floats, f"weights stored in float32: {[t.name for t in floats][:3]}"
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, "height", "width"], dims
    meta = json.loads({p.key: p.value for p in proto.metadata_props}["mobilenet_course"])
    for name, costs in meta["models"].items():
        alpha, resolution = mc.names.parse_name(name)[:2]
        profiled = mc.costs.profile(mc.MobileNetV1(alpha, resolution))
        assert (costs["mult_adds"], costs["params"]) == (profiled.mult_adds, profiled.params), name
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    for resolution in (128, 97):
        x = browser.fixed_input(resolution)
        expected = browser.reference_model(0.25, resolution)(x).detach().numpy()
        got = session.run(None, {"images": x.numpy()})[0]
        assert got.shape == (1, 1000)
        assert np.abs(got - expected).max() < 1e-4, (resolution, np.abs(got - expected).max())
    fp32_bytes = 4 * sum(p.numel() for p in browser.reference_model(0.25).parameters())
    assert len(data) < 0.6 * fp32_bytes, (len(data), fp32_bytes)


def test_site_models_are_written_once_and_rewritten_when_damaged(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setattr(browser, "ALPHAS", (0.25,))
    manifest = browser.write_site_models(tmp_path, progress=False)
    entry, = manifest
    assert entry["file"] == "mobilenet-0.25.onnx" and (tmp_path / entry["file"]).stat().st_size == entry["bytes"]
    assert json.loads((tmp_path / browser.MANIFEST).read_text()) == manifest

    def no_export(alpha):
        raise AssertionError("exported again although the file was up to date")

    with monkeypatch.context() as patch:
        patch.setattr(browser, "to_onnx", no_export)
        assert browser.write_site_models(tmp_path, progress=False) == manifest
    (tmp_path / entry["file"]).write_bytes(b"half a file")
    assert browser.write_site_models(tmp_path, progress=False)[0]["sha256"] == entry["sha256"]
    assert (tmp_path / entry["file"]).stat().st_size == entry["bytes"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "a temporary file was left behind"


def test_runtime_version_is_the_one_package_json_pins():
    pins = json.loads((ROOT / "package.json").read_text())["dependencies"]
    assert pins["onnxruntime-web"] == browser.RUNTIME_VERSION
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    assert lock["node_modules/onnxruntime-web"]["version"] == browser.RUNTIME_VERSION


def test_device_widget_hands_the_browser_what_it_needs():
    stored = mc.bench.read_results(mc.bench.bundled_results("grid-latency-amd-epyc-2-cores.json"))
    widget = DeviceBenchmark(stored=stored)
    state = widget.get_state()
    assert state["layers"] == family.layer_table() and state["alphas"] == list(browser.ALPHAS)
    assert len(state["stored"]) == len(stored)
    assert state["stored"][0] == {key: stored[0][key] for key in ("model", "path", "median_ms", "mult_adds")} | {
        "machine": "AMD EPYC (x86_64)"}
    assert "window.mobilenetCourse" in state["_esm"] and "export function familyCosts" in state["_esm"]
    assert "benchmark_panel" in state["not_on_site"], "in Jupyter the widget points at the native panel"
    assert repr(widget) == f"DeviceBenchmark(stored={len(stored)} rows)"


@pytest.mark.parametrize("bad, message", [
    ({"model": "x"}, r"stored\[0\] has no path, median_ms, p10_ms, p90_ms, mult_adds"),
    ("row", r"stored\[0\] is a str, not a result row"),
    ({"model": "x", "path": "eager", "median_ms": float("nan"), "p10_ms": 1, "p90_ms": 1, "mult_adds": 1},
     r"stored\[0\]'s median_ms is nan, not a finite number"),
])
def test_device_widget_refuses_rows_it_cannot_plot(bad, message):
    with pytest.raises(ValueError, match=message):
        DeviceBenchmark(stored=[bad])


def test_serve_sends_isolation_headers_only_when_asked(tmp_path):
    import urllib.request

    (tmp_path / "index.html").write_text("<p>hi</p>")
    for isolated in (True, False):
        server, url = browser.serve(tmp_path, isolated=isolated)
        try:
            headers = urllib.request.urlopen(url + "index.html").headers
        finally:
            server.shutdown()
        assert (headers.get("Cross-Origin-Embedder-Policy") == "require-corp") is isolated
        assert (headers.get("Cross-Origin-Opener-Policy") == "same-origin") is isolated
    with pytest.raises(FileNotFoundError, match="build the book first"):
        browser.serve(tmp_path / "missing")


def test_report_plots_browser_rows_beside_native_ones(tmp_path, capsys):
    from mobilenet_course import cli

    shipped = mc.bench.bundled_results("browser-amd-epyc-2-cores.json")
    rows = mc.bench.read_results(shipped)
    paths = {r["path"] for r in rows}
    assert paths == {"onnxruntime-web wasm", "onnxruntime", "eager"}, paths
    web = [r for r in rows if r["path"] == "onnxruntime-web wasm"]
    assert all(r["machine"]["browser"] and r["machine"]["cross_origin_isolated"] for r in web)
    assert cli.main(["report", shipped, "--out", str(tmp_path / "plot.png")]) == 0
    out = capsys.readouterr().out
    assert f"{mc.bench.machine_label(web[0]['machine'])}" in out and "AMD EPYC (x86_64)" in out, out
    assert (tmp_path / "plot.png").stat().st_size > 0

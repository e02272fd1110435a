"""bench.benchmark times any model through any path and leaves the model as it was; the benchmark scripts run end to
end on a small model and print what their docstrings promise."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mobilenet_course as mc
from mobilenet_course import bench, inference

from inference_checks import SLOW, as_left_by_training, assert_as_before, device_params, path_params, skip_if_allowed, \
    state_of

ROOT = Path(__file__).resolve().parents[1]


def run_script(name: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *args], capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, f"{name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_time_call_deciles_lie_between_the_fastest_and_slowest_run():
    pauses = iter([0.0, 0.02])  # two runs far apart, as on a busy machine
    timing = bench.time_call(lambda: time.sleep(next(pauses)), warmup=0, runs=2)
    assert 0 < timing.p10_ms <= timing.median_ms <= timing.p90_ms < 1e3, timing


def test_time_interleaved_takes_turns_in_blocks_after_an_untimed_call():
    calls = []
    timings = bench.time_interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                                     warmup=1, runs=5, block=3)
    assert {name: t.runs for name, t in timings.items()} == {"a": 6, "b": 6}, "runs round up to whole turns of 3"
    turn = ["a"] * 4 + ["b"] * 4  # one untimed call, then three timed ones, each
    assert calls == ["a", "b"] + turn + turn, calls
    with pytest.raises(ValueError, match="block"):
        bench.time_interleaved({"a": lambda: None}, block=0)


# The ONNX export takes seconds: test_inference.py checks what each path's preparation leaves, quick paths here suffice.
# benchmark() times whatever prepare() builds, so the ExecuTorch paths (5-10 s of lowering each) are left to
# test_inference.py and to the benchmark script's test below.
@pytest.mark.parametrize("device", device_params())
@pytest.mark.parametrize("name", [p for p in path_params(SLOW | {"onnxruntime"})
                                  if getattr(p, "values", [p])[0] not in ("executorch", "executorch_int8")])
def test_benchmark_times_the_model_on_the_cpu_and_leaves_it_as_it_was(name, device):
    model = as_left_by_training(mc.MobileNetV1(0.25, 32, 10, in_channels=1), device)  # in training mode, channels-last
    before = state_of(model)
    try:
        row = bench.benchmark(model, path=name, threads=1, warmup=1, runs=3, min_time_s=0)
    except inference.Unavailable as why:
        skip_if_allowed(name, why)
    assert_as_before(model, before)
    assert row["path"] == name and row["model"] == model.name and row["threads"] == 1 and row["runs"] == 3
    assert 0 < row["p10_ms"] <= row["median_ms"] <= row["p90_ms"]
    assert row["mult_adds"] == mc.costs.profile(mc.MobileNetV1(0.25, 32, 10, in_channels=1)).mult_adds


@pytest.mark.slow  # times every path, two of them compiled (minutes on 2 cores)
def test_inference_script_prints_every_path_and_the_json_line(checkpoint, tmp_path):
    out = tmp_path / "inference.json"
    printed = run_script("inference.py", "--model", "0.25-MobileNet-128", "--runs", "4", "--block", "2", "--warmup", "1",
                         "--checkpoint", str(checkpoint), "--out", str(out))
    last = json.loads(printed.strip().splitlines()[-1])
    assert {"median_ms", "floor_ms", "int8_top1_agreement", "threads"} <= set(last)
    assert last["threads"] == 2 and last["floor_ms"] > 0
    ran = set(last["median_ms"]) | set(last["skipped"])
    assert ran == set(inference.PATHS), ran
    assert "onnxruntime" in last["median_ms"] and "eager" in last["median_ms"]
    for name, median in last["median_ms"].items():  # every path timed in the same turns, with its spread
        assert 0 < last["p10_ms"][name] <= median <= last["p90_ms"][name], name
    assert last["test_accuracy"]["fp32"] >= 0.5, "a model this poor would make the agreement meaningless"
    quantized = {name for name in inference.PATHS if inference.PATHS[name].quantized}
    assert set(last["int8_top1_agreement"]) == quantized & set(last["median_ms"]) == set(last["test_accuracy"]) - {"fp32"}
    for name, agreement in last["int8_top1_agreement"].items():
        assert 0.9 <= agreement <= 1.0, name
    for name in last["median_ms"]:
        assert f"{name} " in printed and f"{name} " in printed.split("ratios to eager fp32:")[1]
        assert last["p90_ms"][name] <= last["p99_ms"][name] and last["first_ms"][name] > 0, name
    assert "compute floor" in printed and "fastest package fp32 path" in printed and "fastest int8 path" in printed
    targets = last["targets"]  # the case that applies is recorded with the measured ratios
    assert targets["int8_speedup_needed"] == (4.0 if bench.int8_dot_product() else 2.0)
    assert targets["fastest_int8"] in quantized and targets["int8_speedup"] > 0 and targets["fp32_vs_onnxruntime"] > 0
    if "executorch" in last["median_ms"]:
        assert last["file_bytes"]["executorch"] > 3 * last["file_bytes"]["executorch_int8"] > 0
        assert targets["pte_size_ratio"] > 3 and "ExecuTorch files: fp32" in printed
    assert json.loads(out.read_text())[-1]["median_ms"] == last["median_ms"]


@pytest.mark.slow  # exports every layer to ONNX (about a minute on 2 cores)
def test_layers_script_times_every_layer_both_ways():
    printed = run_script("layers.py", "--model", "0.25-MobileNet-128", "--threads", "1", "--runs", "3")
    rows = [line.split() for line in printed.splitlines() if line[:5].strip().isdigit()]
    assert [int(r[0]) for r in rows] == list(range(27)), "one row per conv layer of Table 1"
    assert {r[1] for r in rows} == {"full", "depthwise", "pointwise"}
    # mult-adds, then ms and GFLOP/s for each path: all measured, none rounded to 0 (a small layer's rate on a busy
    # machine, below 0.5 GFLOP/s, once printed as 0), each with 3 significant digits
    values = [value for r in rows for value in r[-5:]]
    assert all(float(value) > 0 for value in values), [r for r in rows if min(map(float, r[-5:])) <= 0]
    assert all(len(value.replace(".", "").lstrip("0")) >= 3 for value in values), values
    assert "oneDNN" in printed and "onnxruntime" in printed and "matmul peak" in printed

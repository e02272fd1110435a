"""The benchmark scripts run end to end on a small model and print what their docstrings promise."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mobilenet_course import cli, inference

ROOT = Path(__file__).resolve().parents[1]


def run_script(name: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *args], capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, f"{name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A small model trained briefly, as `mobilenet-course train` writes it."""
    path = tmp_path_factory.mktemp("ckpt") / "small.pt"
    assert cli.main(["train", "--subset", "2000", "--epochs", "1", "--threads", "1", "--no-progress",
                     "--checkpoint", str(path)]) == 0
    return path


def test_inference_script_prints_every_path_and_the_json_line(checkpoint, tmp_path):
    out = tmp_path / "inference.json"
    printed = run_script("inference.py", "--model", "0.25-MobileNet-128", "--runs", "3", "--min-time", "0",
                         "--checkpoint", str(checkpoint), "--out", str(out))
    last = json.loads(printed.strip().splitlines()[-1])
    assert {"median_ms", "floor_ms", "int8_top1_agreement", "threads"} <= set(last)
    assert last["threads"] == 2 and last["floor_ms"] > 0
    ran = set(last["median_ms"]) | set(last["skipped"])
    assert ran == set(inference.PATHS), ran
    assert "onnxruntime" in last["median_ms"] and "eager" in last["median_ms"]
    assert 0.9 <= last["int8_top1_agreement"] <= 1.0
    for name in last["median_ms"]:
        assert f"{name} " in printed and f"{name} " in printed.split("ratios to eager fp32:")[1]
    assert "compute floor" in printed and "fastest package fp32 path" in printed
    assert json.loads(out.read_text())[-1]["median_ms"] == last["median_ms"]


def test_layers_script_times_every_layer_both_ways():
    printed = run_script("layers.py", "--model", "0.25-MobileNet-128", "--threads", "1", "--runs", "3")
    rows = [line.split() for line in printed.splitlines() if line[:5].strip().isdigit()]
    assert [int(r[0]) for r in rows] == list(range(27)), "one row per conv layer of Table 1"
    assert {r[1] for r in rows} == {"full", "depthwise", "pointwise"}
    assert all(float(value) > 0 for r in rows for value in r[-4:])
    assert "oneDNN" in printed and "onnxruntime" in printed and "matmul peak" in printed

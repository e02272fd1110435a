"""The trainer under ``torchrun --nproc-per-node 2`` on the CPU (gloo): DistributedDataParallel, each process its
shard, rank 0 alone writing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

TESTS = Path(__file__).parent


def torchrun(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env_threads = {"OMP_NUM_THREADS": "1"}  # two processes on a 2-core machine
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           *args], capture_output=True, text=True, cwd=cwd, timeout=600,
                          env={**os.environ, **env_threads})


@pytest.mark.slow
def test_two_processes_end_with_identical_weights_and_one_checkpoint(tmp_path):
    result = torchrun(str(TESTS / "ddp_worker.py"), str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2]
    for key, value in ranks[0]["state"].items():
        assert torch.equal(value, ranks[1]["state"][key]), f"{key} differs between the two processes"
    without_time = [[{k: v for k, v in e.items() if k != "seconds"} for e in r["history"]] for r in ranks]
    assert without_time[0] == without_time[1], "the processes should report the same training and test figures"
    # each process took half the batch on half the data: 2000 images, batch 32 -> 63 steps, as one process takes
    assert ranks[0]["steps"] == -(-2000 // 32)
    # one process reaches 95 % on this split in these 3 epochs (conftest's `trained` fixture)
    assert ranks[0]["history"][-1]["test_accuracy"] > 0.9, "two processes should learn the synthetic stripes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt", "rank0.pt", "rank1.pt"]
    from mobilenet_course import train

    saved = train.load_checkpoint(tmp_path / "checkpoint.pt")
    assert all(torch.equal(saved["model"][k], v) for k, v in ranks[0]["state"].items())


@pytest.mark.slow
def test_train_command_under_torchrun_writes_one_results_row(tmp_path):
    result = torchrun("-m", "mobilenet_course", "train", "--alpha", "0.25", "--resolution", "20",
                      "--small-input", "--epochs", "1", "--subset", "512", "--batch-size", "64",
                      "--metrics", "row.json", "--checkpoint", "run.pt", "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    printed = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(printed) == 1, f"one results line expected, got {len(printed)}:\n{result.stdout}"
    row = json.loads((tmp_path / "row.json").read_text())
    assert row["processes"] == 2 and json.loads(printed[0])["test_accuracy"] == row["test_accuracy"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["row.json", "run.pt"]

"""The sweep of the paper's experiments in miniature: its jobs, a real (tiny) run that stops and resumes, results."""

import json
import math

import pytest

from mobilenet_course import experiments
from mobilenet_course.experiments import Job


def test_jobs_cover_the_grid_and_tables_4_and_5_with_three_seeds():
    jobs = experiments.jobs()
    assert len(jobs) == 3 * (16 + 2) and len({job.id for job in jobs}) == len(jobs)
    for seed in experiments.SEEDS:
        grid = {(j.alpha, j.resolution) for j in jobs if j.seed == seed and j.architecture == "MobileNet"}
        assert grid == {(a, r) for a in experiments.ALPHAS for r in experiments.RESOLUTIONS}
        # Table 4's and Table 5's partners are in the grid
        assert (experiments.CONV_ALPHA, experiments.CONV_RESOLUTION) in grid and (0.75, 28) in grid
    assert jobs[0] == Job("MobileNet", 0.25, 20, 0), "the cheapest configuration comes first"


def test_job_command_is_the_train_command_with_the_recipe(tmp_path):
    command = Job("ConvMobileNet", 0.5, 20, 2).command(tmp_path, threads=1)
    text = " ".join(command)
    assert command[1:4] == ["-m", "mobilenet_course", "train"]
    for part in ("--architecture ConvMobileNet", "--alpha 0.5", "--resolution 20", "--seed 2", "--epochs 2",
                 "--subset 20000", "--small-input", "--resume", "--threads 1",
                 f"--checkpoint {tmp_path / 'checkpoints' / 'ConvMobileNet-0.5-20-seed2.pt'}",
                 f"--metrics {tmp_path / 'rows' / 'ConvMobileNet-0.5-20-seed2.json'}"):
        assert part in text, part


@pytest.mark.slow
def test_a_sweep_runs_skips_what_is_done_resumes_and_collects(tmp_path, capsys):
    recipe = {**experiments.RECIPE, "epochs": 2, "subset": 512}
    job = Job("MobileNet", 0.25, 20, 0)
    first = {**recipe, "epochs": 2}
    assert experiments.run(tmp_path, [job], recipe=first, threads=2) == []
    row = json.loads((tmp_path / "rows" / f"{job.id}.json").read_text())
    assert len(row["history"]) == 2 and row["architecture"] == "MobileNet" and row["subset"] == 512
    assert "epoch 2: test accuracy" in (tmp_path / "logs" / f"{job.id}.log").read_text()
    # a job stopped after its checkpoint and before its row: the sweep resumes it from the checkpoint (no epoch
    # trained again) and writes the same row
    (tmp_path / "rows" / f"{job.id}.json").unlink()
    assert experiments.run(tmp_path, [job], recipe=first) == []
    assert "test accuracy" not in (tmp_path / "logs" / f"{job.id}.log").read_text()
    again = json.loads((tmp_path / "rows" / f"{job.id}.json").read_text())
    assert again["test_accuracy"] == row["test_accuracy"] and again["history"] == row["history"]
    # a second sweep skips it
    capsys.readouterr()
    assert experiments.run(tmp_path, [job], recipe=first) == []
    assert "0 jobs to run" in capsys.readouterr().out
    results = experiments.collect(tmp_path, tmp_path / "results.json", recipe=first)
    assert results[0]["test_accuracy"] == row["test_accuracy"] and results[0]["recipe"] == first
    assert experiments.load(tmp_path / "results.json") == results
    summary = experiments.summarise(results)[("MobileNet", 0.25, 20)]
    assert summary.runs == 1 and summary.mean == 100 * row["test_accuracy"] and summary.params == row["params"]
    # a job that fails is reported, with its log, and writes no row
    bad = Job("MobileNet", 0.25, 8, 0)
    assert experiments.run(tmp_path, [bad], recipe=first) == [bad.id]
    assert not (tmp_path / "rows" / f"{bad.id}.json").exists()
    assert "too small" in (tmp_path / "logs" / f"{bad.id}.log").read_text()


def test_summarise_gives_mean_and_spread_over_seeds():
    rows = [{"architecture": "MobileNet", "alpha": 0.5, "resolution": 28, "seed": s, "test_accuracy": a,
             "mult_adds": 10, "params": 5, "wall_s": w} for s, a, w in ((0, 0.90, 10), (1, 0.92, 12), (2, 0.91, 14))]
    summary = experiments.summarise(rows)[("MobileNet", 0.5, 28)]
    assert (summary.runs, summary.low, summary.high, summary.wall_s) == (3, 90.0, 92.0, 12)
    assert summary.mean == pytest.approx(91.0) and summary.sd == pytest.approx(1.0)
    assert summary.name == "0.5-MobileNet-28"


def test_loglinear_fit_recovers_a_line_and_refuses_what_cannot_be_fitted():
    costs = [1e6, 2e6, 4e6, 8e6]
    fit = experiments.loglinear(costs, [60.0, 63.0, 66.0, 69.0])  # 3 points a doubling
    assert fit.slope == pytest.approx(3.0) and fit.r2 == pytest.approx(1.0)
    assert fit.intercept + fit.slope * math.log2(16e6) == pytest.approx(72.0)  # the line goes on
    noisy = experiments.loglinear(costs, [60.0, 64.0, 65.0, 69.0])
    assert 0 < noisy.r2 < 1
    with pytest.raises(ValueError, match="at least 3"):
        experiments.loglinear(costs[:2], [1.0, 2.0])
    with pytest.raises(ValueError, match="all equal"):
        experiments.loglinear([5e6] * 3, [1.0, 2.0, 3.0])


def test_the_papers_grid_is_log_linear_in_mult_adds():
    points = experiments.paper_grid_points()
    assert len(points) == 16
    fit = experiments.loglinear([p[3] for p in points], [p[2] for p in points])
    # Figure 4: roughly a straight line on a log axis; about 5 points of top-1 for each doubling of mult-adds
    assert fit.r2 > 0.9 and 3 < fit.slope < 8, fit


@pytest.mark.slow
def test_the_cheapest_shipped_run_is_reproduced_within_the_spread_of_its_seeds(tmp_path):
    """The shipped results can be reproduced: the cheapest configuration, trained again from its row's recipe and
    seed, reaches the stored accuracy within the range its seeds span."""
    results = experiments.load()
    cheapest = min(results, key=lambda row: (row["mult_adds"], row["seed"]))
    same = [row["test_accuracy"] for row in results if (row["architecture"], row["alpha"], row["resolution"])
            == (cheapest["architecture"], cheapest["alpha"], cheapest["resolution"])]
    assert len(same) >= 3
    job = Job(cheapest["architecture"], cheapest["alpha"], cheapest["resolution"], cheapest["seed"])
    assert experiments.run(tmp_path, [job], recipe=cheapest["recipe"], threads=cheapest["threads"]) == []
    again = json.loads((tmp_path / "rows" / f"{job.id}.json").read_text())
    spread = max(same) - min(same)
    assert abs(again["test_accuracy"] - cheapest["test_accuracy"]) <= spread, (again["test_accuracy"], cheapest, same)

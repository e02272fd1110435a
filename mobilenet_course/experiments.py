"""The paper's experiments in miniature: its Tables 4 to 7 and Figures 4 and 5, trained on Fashion-MNIST.

Book: chapter 9, "The paper's experiments in miniature".

Every run is a *job*: one architecture, width, resolution and seed, trained with one recipe (:data:`RECIPE`) by
``mobilenet-course train``, with its own checkpoint and its own result row (the metrics JSON that command
writes). :func:`run` starts the jobs that have no row yet, several at once where asked (processes on the CPU, one
GPU each), and resumes a job from its checkpoint; :func:`collect` gathers the rows into one results file, and
:func:`summarise` gives each configuration's mean and spread over its seeds.

``benchmarks/paper_experiments.py`` is the command line of this module.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from .files import atomic_write

__all__ = ["RECIPE", "ALPHAS", "RESOLUTIONS", "SEEDS", "CONV_ALPHA", "CONV_RESOLUTION", "SHALLOW_RESOLUTION", "Job",
           "LogLinearFit", "loglinear", "paper_grid_points", "compare", "jobs", "run", "collect", "load",
           "Summary", "summarise"]

RECIPE = {"epochs": 2, "subset": 20_000, "batch_size": 128, "lr": 0.004, "small_input": True,
          "dataset": "fashion-mnist"}
"""The one training recipe of every job: AdamW and a one-cycle schedule (``mobilenet_course.train.fit``), two epochs
over the first 20,000 of Fashion-MNIST's 60,000 training images, with the stride-1 first convolution of 28 px
images (``small_input``; the paper's stride-2 stem would need 32 px at least). Tested on all 10,000 test images.
Small enough that the 54 runs train on two CPU cores in about an hour; the default preset of chapter 7 trains one
model for eight epochs on all 60,000."""

ALPHAS = (1.0, 0.75, 0.5, 0.25)
"""The paper's four widths (Table 6)."""

RESOLUTIONS = (32, 28, 24, 20)
"""Four input sides, as Table 7 has four: 28 px is the data's own, 32 pads it (as the resolution multiplier 8/7
above it), 24 and 20 shrink it (6/7 and 5/7). Each side is a multiple of 4, so that the stride-2 layers halve it
cleanly down to a final map of 1 or 2 pixels."""

SEEDS = (0, 1, 2)
"""Three seeds for every configuration: each seed draws other starting weights, batches and augmentations."""

CONV_ALPHA, CONV_RESOLUTION = 0.5, 20
"""Table 4's full-convolution MobileNet costs about 8.6 times MobileNet's mult-adds (paper: 4866 against 569
million); it is trained at width 0.5 and 20 px, the cheapest side, and compared there with 0.5-MobileNet-20 of
the grid (the paper compares at width 1 and 224 px: the ratio of costs is about the same at any width)."""

SHALLOW_RESOLUTION = 28
"""Table 5's shallow MobileNet (alpha 1) is compared at the data's own 28 px with 0.75-MobileNet-28 of the grid."""


@dataclass(frozen=True)
class Job:
    """One training run of the sweep."""

    architecture: str
    alpha: float
    resolution: int
    seed: int

    @property
    def id(self) -> str:
        """The job's name, used for its checkpoint, its row and its log: ``MobileNet-0.5-28-seed1``."""
        return f"{self.architecture}-{self.alpha:g}-{self.resolution}-seed{self.seed}"

    def command(self, out: Path, recipe: dict = RECIPE, *, threads: int | None = None, device: str = "cpu",
                data: str | None = None) -> list[str]:
        """The ``mobilenet-course train`` command line of this job, writing into the sweep's folder ``out``."""
        command = [sys.executable, "-m", "mobilenet_course", "train", "--architecture", self.architecture,
                   "--alpha", repr(self.alpha), "--resolution", str(self.resolution), "--seed", str(self.seed),
                   "--epochs", str(recipe["epochs"]), "--batch-size", str(recipe["batch_size"]),
                   "--lr", repr(recipe["lr"]), "--dataset", recipe["dataset"],
                   "--small-input" if recipe["small_input"] else "--no-small-input",
                   "--checkpoint", str(out / "checkpoints" / f"{self.id}.pt"), "--resume",
                   "--metrics", str(out / "rows" / f"{self.id}.json"), "--device", device, "--no-progress"]
        if recipe.get("subset"):
            command += ["--subset", str(recipe["subset"])]
        if threads:
            command += ["--threads", str(threads)]
        if data:
            command += ["--data", data]
        return command


def jobs(seeds: Sequence[int] = SEEDS) -> list[Job]:
    """Every job of the sweep, cheapest configuration first within each seed: the 16 models of Tables 6 and 7
    (:data:`ALPHAS` x :data:`RESOLUTIONS`), Table 4's full-convolution MobileNet and Table 5's shallow one."""
    out = []
    for seed in seeds:
        grid = [Job("MobileNet", alpha, resolution, seed) for alpha in ALPHAS for resolution in RESOLUTIONS]
        grid.sort(key=lambda job: (job.alpha, job.resolution))
        out += grid + [Job("ShallowMobileNet", 1.0, SHALLOW_RESOLUTION, seed),
                       Job("ConvMobileNet", CONV_ALPHA, CONV_RESOLUTION, seed)]
    return out


def _done(out: Path, job: Job) -> bool:
    return (out / "rows" / f"{job.id}.json").is_file()


def run(out: str | os.PathLike, todo: Iterable[Job] | None = None, *, workers: int = 1, threads: int | None = None,
        devices: Sequence[str] = ("cpu",), recipe: dict = RECIPE, data: str | None = None) -> list[str]:
    """Run the jobs that have no row in ``out/rows`` yet, ``workers`` at a time; return the ids that failed.

    Each job is one ``mobilenet-course train`` process (its output in ``out/logs/ID.log``) that resumes from
    ``out/checkpoints/ID.pt`` where an earlier sweep stopped it, and writes ``out/rows/ID.json`` when it ends.
    Worker ``k`` trains on ``devices[k % len(devices)]`` (``("cuda:0", "cuda:1")`` spreads the jobs over two GPUs)
    with ``threads`` torch threads. A line per finished job says its accuracy and time.
    """
    out = Path(out)
    for folder in ("rows", "checkpoints", "logs"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    pending = [job for job in (jobs() if todo is None else todo) if not _done(out, job)]
    print(f"{len(pending)} jobs to run in {out} ({workers} at a time)", flush=True)
    slots = list(range(workers))
    failed: list[str] = []
    began = time.perf_counter()

    def one(index: int, job: Job) -> None:
        slot = slots.pop()
        try:
            device = devices[slot % len(devices)]
            env = dict(os.environ)
            if threads:
                env["OMP_NUM_THREADS"] = str(threads)
            with open(out / "logs" / f"{job.id}.log", "w") as log:
                code = subprocess.call(job.command(out, recipe, threads=threads, device=device, data=data),
                                       stdout=log, stderr=subprocess.STDOUT, env=env)
            if code != 0 or not _done(out, job):
                failed.append(job.id)
                print(f"[{index + 1}/{len(pending)}] {job.id} FAILED (exit {code}): see {out / 'logs' / job.id}.log",
                      flush=True)
                return
            row = json.loads((out / "rows" / f"{job.id}.json").read_text())
            print(f"[{index + 1}/{len(pending)}] {job.id}: test accuracy {row['test_accuracy']:.4f}, "
                  f"{row['wall_s']:.0f} s on {device} (sweep {time.perf_counter() - began:.0f} s)", flush=True)
        finally:
            slots.append(slot)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(one, i, job) for i, job in enumerate(pending)]:
            future.result()
    return failed


def collect(out: str | os.PathLike, path: str | os.PathLike, *, recipe: dict = RECIPE) -> list[dict]:
    """Gather the rows of the sweep in ``out`` into one results file at ``path`` (written atomically).

    The file is a JSON list of rows, as every results file of the package (``mobilenet_course.bench.read_results``
    reads it): one row per run with its configuration, seed, test accuracy, mult-adds, parameters, wall time,
    per-epoch test accuracy, and the recipe and the machine (CPU, cores, Python and torch versions) it ran with.
    """
    rows = []
    for file in sorted((Path(out) / "rows").glob("*.json")):
        metrics = json.loads(file.read_text())
        rows.append({"id": file.stem, "architecture": metrics.get("architecture", "MobileNet"),
                     "alpha": metrics["alpha"], "resolution": metrics["resolution"], "seed": metrics["seed"],
                     "test_accuracy": metrics["test_accuracy"], "mult_adds": metrics["mult_adds"],
                     "params": metrics.get("params"), "wall_s": metrics["wall_s"], "train_s": metrics["train_s"],
                     "threads": metrics["threads"], "processes": metrics.get("processes", 1),
                     "device": metrics.get("device", "cpu"),
                     "epochs": [round(e["test_accuracy"], 4) for e in metrics["history"]],
                     "recipe": recipe, "machine": metrics["machine"]})
    if not rows:
        raise ValueError(f"no rows in {Path(out) / 'rows'}: run the sweep first")
    with atomic_write(path) as f:
        json.dump(rows, f, indent=1)
        f.write("\n")
    return rows


def load(path: str | os.PathLike | None = None) -> list[dict]:
    """The rows of a results file of :func:`collect`; by default the one shipped with the package."""
    if path is None:
        from .bench import bundled_results

        path = bundled_results("paper-experiments-amd-epyc-2-cores.json")
    return json.loads(Path(path).read_text())


@dataclass(frozen=True)
class Summary:
    """One configuration over its seeds: test accuracy in percent (mean, sample standard deviation, lowest and
    highest), its cost, and the mean wall time of a run."""

    architecture: str
    alpha: float
    resolution: int
    runs: int
    mean: float
    sd: float
    low: float
    high: float
    mult_adds: int
    params: int | None
    wall_s: float

    @property
    def name(self) -> str:
        """The paper's name of the configuration, such as ``1.0-ShallowMobileNet-28``."""
        from .model import format_alpha

        return f"{format_alpha(self.alpha)}-{self.architecture}-{self.resolution}"

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(rows: Iterable[dict]) -> dict[tuple[str, float, int], Summary]:
    """Each configuration's :class:`Summary` over the rows of its seeds, keyed by ``(architecture, alpha,
    resolution)``."""
    groups: dict[tuple[str, float, int], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["architecture"], row["alpha"], row["resolution"]), []).append(row)
    out = {}
    for key, rows in groups.items():
        accuracies = [100 * row["test_accuracy"] for row in rows]
        out[key] = Summary(*key, len(rows), statistics.fmean(accuracies),
                           statistics.stdev(accuracies) if len(rows) > 1 else 0.0, min(accuracies), max(accuracies),
                           rows[0]["mult_adds"], rows[0]["params"], statistics.fmean(r["wall_s"] for r in rows))
    return out


@dataclass(frozen=True)
class LogLinearFit:
    """``accuracy = intercept + slope * log2(cost)`` by least squares: ``slope`` is the accuracy, in points, that
    each doubling of the cost buys; ``r2`` how much of the accuracy's variation the line explains."""

    slope: float
    intercept: float
    r2: float


def loglinear(costs: Sequence[float], accuracies: Sequence[float]) -> LogLinearFit:
    """Fit accuracy (percent) against the base-2 logarithm of a cost (mult-adds or parameters): the paper's Figures 4
    and 5 show such lines for the 16 models ("log linear")."""
    import math

    if len(costs) != len(accuracies) or len(costs) < 3:
        raise ValueError(f"a fit needs at least 3 (cost, accuracy) pairs of equal number, got {len(costs)} and "
                         f"{len(accuracies)}")
    if min(costs) <= 0:
        raise ValueError("costs must be positive to take their logarithm")
    x = [math.log2(c) for c in costs]
    mx, my = statistics.fmean(x), statistics.fmean(accuracies)
    sxx = sum((a - mx) ** 2 for a in x)
    if sxx == 0:
        raise ValueError("the costs are all equal: there is no line to fit")
    slope = sum((a - mx) * (b - my) for a, b in zip(x, accuracies)) / sxx
    intercept = my - slope * mx
    total = sum((b - my) ** 2 for b in accuracies)
    residual = sum((b - intercept - slope * a) ** 2 for a, b in zip(x, accuracies))
    return LogLinearFit(slope, intercept, 1 - residual / total if total else 1.0)


def paper_grid_points() -> list[tuple[float, int, float, int, int]]:
    """The paper's 16 models as ``(alpha, resolution, ImageNet top-1 %, mult-adds, parameters)``: the TF-slim
    checkpoints' accuracy (:data:`mobilenet_course.reference.SLIM_TOP1`) and the package's costs."""
    from . import costs
    from .model import MobileNetV1
    from .reference import SLIM_TOP1

    out = []
    for (alpha, resolution), top1 in SLIM_TOP1.items():
        profile = costs.profile(MobileNetV1(alpha, resolution))
        out.append((alpha, resolution, top1, profile.mult_adds, profile.params))
    return out


def compare(a: Summary, b: Summary) -> str:
    """Two configurations side by side: mean accuracy and seed range, mult-adds and parameters, then the difference
    of the means and the ratio of the mult-adds (``a`` over ``b``), as chapter 9 prints Tables 4 and 5."""
    lines = [f"{s.name:24} {s.mean:.2f}% (seeds {s.low:.2f} to {s.high:.2f}), {s.mult_adds / 1e6:.1f} million "
             f"mult-adds, {s.params / 1e6:.2f} million parameters" for s in (a, b)]
    lines.append(f"difference {a.mean - b.mean:+.2f} points for {a.mult_adds / b.mult_adds:.2f} times the mult-adds")
    return "\n".join(lines)

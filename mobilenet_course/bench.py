"""Measuring latency: warm-up, many timed runs, median and spread.

Book: chapter 2 ("Measured time against the theoretical ratio"), chapter 8 (benchmarking on your own hardware).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["Timing", "time_call", "time_module", "machine"]


@dataclass(frozen=True)
class Timing:
    """Wall-clock times of repeated runs, in milliseconds."""

    median_ms: float
    p10_ms: float
    p90_ms: float
    runs: int

    def __str__(self) -> str:
        return f"{self.median_ms:.3f} ms (p10 {self.p10_ms:.3f}, p90 {self.p90_ms:.3f}, {self.runs} runs)"


def time_call(fn: Callable[[], object], *, warmup: int = 5, runs: int = 30, min_time_s: float = 0.0) -> Timing:
    """Time ``fn()``: ``warmup`` untimed calls, then at least ``runs`` timed calls (more until ``min_time_s``)."""
    if warmup < 0 or runs < 1:
        raise ValueError(f"warmup must be >= 0 and runs >= 1, got warmup={warmup}, runs={runs}")
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < runs or time.perf_counter() - start < min_time_s:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    deciles = statistics.quantiles(times, n=10) if len(times) > 1 else [times[0]] * 9
    return Timing(statistics.median(times), deciles[0], deciles[-1], len(times))


def time_module(module: torch.nn.Module, x: torch.Tensor, *, warmup: int = 5, runs: int = 30,
                min_time_s: float = 0.0) -> Timing:
    """Time ``module(x)`` in inference mode (no autograd), as :func:`time_call` does."""
    module.eval()

    def run() -> None:
        with torch.inference_mode():
            module(x)

    return time_call(run, warmup=warmup, runs=runs, min_time_s=min_time_s)


def cpu_model() -> str:
    """The CPU's marketing name, from /proc/cpuinfo on Linux (Raspberry Pi OS included), else platform."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Model", "Hardware"):
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, object]:
    """Describe the machine a measurement comes from: CPU, cores, architecture, OS, Python and torch."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "arch": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }

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

__all__ = ["Timing", "time_call", "time_interleaved", "time_module", "inference", "machine"]


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
    return _summarise(times)


def time_interleaved(fns: dict[str, Callable[[], object]], *, warmup: int = 5, runs: int = 30) -> dict[str, Timing]:
    """Time several functions in turns (a, b, c, a, b, c, ...), so that each sees the same machine state.

    Comparing two layers by timing one after the other is biased by whatever else the machine does meanwhile
    (another process, clock changes); taking turns spreads those effects over all of them. Book: chapter 2.
    """
    if not fns or runs < 1:
        raise ValueError("time_interleaved needs at least one function and runs >= 1")
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return {name: _summarise(t) for name, t in times.items()}


def _summarise(times: list[float]) -> Timing:
    deciles = statistics.quantiles(times, n=10) if len(times) > 1 else [times[0]] * 9
    return Timing(statistics.median(times), deciles[0], deciles[-1], len(times))


def inference(module: torch.nn.Module, x: torch.Tensor) -> Callable[[], object]:
    """A function that runs ``module(x)`` in inference mode (no autograd), for the timing functions."""
    module.eval()

    def run() -> object:
        with torch.inference_mode():
            return module(x)

    return run


def time_module(module: torch.nn.Module, x: torch.Tensor, *, warmup: int = 5, runs: int = 30,
                min_time_s: float = 0.0) -> Timing:
    """Time ``module(x)`` in inference mode (no autograd), as :func:`time_call` does."""
    return time_call(inference(module, x), warmup=warmup, runs=runs, min_time_s=min_time_s)


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

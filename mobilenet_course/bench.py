"""Measuring latency: warm-up, many timed runs, median and spread.

Book: chapter 2 ("Measured time against the theoretical ratio"), chapter 8 (benchmarking on your own hardware).
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from . import checks

__all__ = ["Timing", "time_call", "time_interleaved", "time_module", "inference", "machine", "benchmark",
           "benchmark_file", "check_batch", "int8_dot_product", "write_results", "read_results", "bundled_results", "matmul_peak", "machine_label",
           "check_latency_row"]


@dataclass(frozen=True)
class Timing:
    """Wall-clock times of repeated runs, in milliseconds."""

    median_ms: float
    p10_ms: float
    p90_ms: float
    runs: int
    p99_ms: float  # the tail that deployment suites report besides p90

    def __str__(self) -> str:
        return f"{self.median_ms:.3f} ms (p10 {self.p10_ms:.3f}, p90 {self.p90_ms:.3f}, {self.runs} runs)"


def time_call(fn: Callable[[], object], *, warmup: int = 5, runs: int = 30, min_time_s: float = 0.0) -> Timing:
    """Time ``fn()``: ``warmup`` untimed calls, then at least ``runs`` timed calls (more until ``min_time_s``).

    ``warmup`` is a whole number from 0 to 100,000, ``runs`` from 1 to 1,000,000, ``min_time_s`` a finite number of
    seconds from 0 to 3600 (``inf`` would never stop); anything else raises
    :class:`~mobilenet_course.checks.ArgumentError`, a ValueError naming the argument.
    """
    warmup, runs, min_time_s = _check_timing(warmup, runs, min_time_s)
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < runs or time.perf_counter() - start < min_time_s:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return _summarise(times)


def _check_timing(warmup: int, runs: int, min_time_s: float) -> tuple[int, int, float]:
    return (checks.whole(warmup, "warmup", low=0, high=100_000),
            checks.whole(runs, "runs", low=1, high=1_000_000),
            checks.number(min_time_s, "min_time_s", low=0, high=3600, hint=" (seconds)"))


def time_interleaved(fns: dict[str, Callable[[], object]], *, warmup: int = 5, runs: int = 30,
                     block: int = 1) -> dict[str, Timing]:
    """Time several functions in turns (a, b, c, a, b, c, ...), so that each sees the same machine state.

    Comparing two layers by timing one after the other is biased by whatever else the machine does meanwhile
    (another process, clock changes); taking turns spreads those effects over all of them. Book: chapter 2.

    With ``block`` above 1, each turn makes one untimed call and then ``block`` timed calls of the same function
    (``runs`` is rounded up to whole turns). Use it for functions from different runtimes: ONNX Runtime's and
    OpenMP's threads keep spinning for a while after a call, and would slow the first call of the next function.
    """
    if not fns:
        raise ValueError("time_interleaved needs at least one function")
    warmup, runs, _ = _check_timing(warmup, runs, 0.0)
    block = checks.whole(block, "block", low=1, high=10_000)
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(-(-runs // block)):
        for name, fn in fns.items():
            if block > 1:
                fn()
            for _ in range(block):
                t0 = time.perf_counter()
                fn()
                times[name].append((time.perf_counter() - t0) * 1e3)
    return {name: _summarise(t) for name, t in times.items()}


def _summarise(times: list[float]) -> Timing:
    # "inclusive": deciles between the fastest and slowest run. The default ("exclusive") extrapolates beyond them
    # for a few runs: a p10 below 0 ms from three runs whose spread was large.
    centiles = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else [times[0]] * 99
    return Timing(statistics.median(times), centiles[9], centiles[89], len(times), centiles[98])


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


def machine_label(machine: dict, threads: object = None) -> str:
    """How a row's machine is named in tables and legends: its CPU and architecture; for a row measured in a browser
    (chapter 8's widget, whose ``machine`` has a ``browser`` key), the browser and the CPU or platform, since a
    browser does not name the CPU it runs on. With ``threads``, the row's threads join the parentheses.

    >>> machine_label({"cpu": "AMD EPYC", "arch": "x86_64"}), machine_label({"browser": "Chromium 140", "system": "Linux"})
    ('AMD EPYC (x86_64)', 'Chromium 140 on Linux')
    >>> machine_label({"cpu": "AMD EPYC", "arch": "x86_64"}, 2), machine_label({"browser": "Chromium 140"}, 1)
    ('AMD EPYC (x86_64, 2 thr)', 'Chromium 140 on ? (1 thr)')
    """
    thr = "" if threads is None else f"{threads} thr"
    if "browser" in machine:
        return f"{machine['browser']} on {machine.get('cpu') or machine.get('system', '?')}" + (f" ({thr})" if thr else "")
    return f"{machine.get('cpu', '?')} ({machine.get('arch', '?')}{', ' + thr if thr else ''})"


def matmul_peak(threads: int | None = None, seconds: float = 0.5) -> float:
    """This machine's fp32 matrix-multiply throughput in GFLOP/s: the best of torch's two GEMM routes.

    ``torch.mm`` (MKL) and a large 1x1 convolution in channels-last (oneDNN; a 1x1 convolution is a matrix product,
    chapter 3) are both timed and the faster counts: on AMD processors MKL can take a path at half the speed
    oneDNN reaches. A model's compute floor is ``2 * mult_adds / peak``: a practical floor, the time its mult-adds
    take at the best matrix-product rate measured here. It is not a hardware limit: the processor's theoretical peak
    is higher, and an algorithm that does fewer multiplications (Winograd's, for 3x3 convolutions) could go below it.
    Book: chapter 8.
    """
    threads = checks.threads(threads)
    seconds = checks.number(seconds, "seconds", low=0, high=3600)
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        rates = []
        a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
        t = time_call(lambda: torch.mm(a, b), warmup=3, runs=5, min_time_s=seconds)
        rates.append(2 * 1024**3 / (t.median_ms * 1e-3) / 1e9)
        n, c, d = 8, 512, 14
        conv = torch.nn.Conv2d(c, c, 1, bias=False).eval().to(memory_format=torch.channels_last)
        x = torch.randn(n, c, d, d).contiguous(memory_format=torch.channels_last)
        t = time_module(conv, x, warmup=3, runs=5, min_time_s=seconds)
        rates.append(2 * n * c * c * d * d / (t.median_ms * 1e-3) / 1e9)
        return max(rates)
    finally:
        torch.set_num_threads(previous)


# ---------------------------------------------------------------------------------------------------------------
# Benchmarking models: result rows that several machines can append to one file


def benchmark(model: torch.nn.Module, *, path: str = "eager", batch: int = 1, threads: int | None = None,
              warmup: int = 10, runs: int = 30, min_time_s: float = 1.0) -> dict[str, object]:
    """Median latency of ``model`` through inference ``path`` on the CPU, as a result row (a dict for JSON or CSV).

    The row holds the median, p10, p90 and p99 of the timed runs, the first call after the path was built
    (``first_ms``, which pays for set-up), the numbers of runs and warm-up calls, the threads, the model's
    mult-adds and parameters, and the machine.

    Parameters
    ----------
    model : MobileNetV1 or a variant
        The model (its ``in_channels`` and ``resolution`` give the input). It may be on any device (CUDA, MPS, CPU)
        and in either mode: the benchmark times and profiles a CPU copy (:func:`mobilenet_course.inference.cpu_copy`)
        and leaves the model as it was.
    path : str
        An inference path of :mod:`mobilenet_course.inference` (``"eager"`` times the model as written). Raises
        :class:`mobilenet_course.inference.Unavailable` when the path cannot run on this machine.
    batch : int
        Images per call.
    threads : int, optional
        torch's intra-op threads for the measurement (restored afterwards), from 1 to 4 times the machine's CPUs
        (:func:`mobilenet_course.checks.max_threads`); default: leave as is.
    warmup, runs, min_time_s : int, int, float
        Untimed calls first, then at least ``runs`` timed calls and at least ``min_time_s`` seconds of them
        (checked as :func:`time_call` checks them).

    Raises
    ------
    mobilenet_course.checks.ArgumentError
        A ValueError naming the argument, for a bad argument, before anything is timed.
    """
    from .costs import profile
    from .inference import cpu_copy, prepare

    batch = checks.whole(batch, "batch", low=1, high=1024)
    threads = checks.threads(threads)
    warmup, runs, min_time_s = _check_timing(warmup, runs, min_time_s)
    if not isinstance(path, str):
        raise checks.ArgumentError(f"path must be the name of an inference path such as 'eager', got {path!r}")
    model = cpu_copy(model)  # timed and profiled; the caller's model stays where it is, as it is
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        x = torch.randn(batch, model.in_channels, model.resolution, model.resolution)
        run = prepare(path, model, x)

        def call() -> None:
            with torch.inference_mode():
                run(x)

        t0 = time.perf_counter()
        call()
        first_ms = (time.perf_counter() - t0) * 1e3
        timing = time_call(call, warmup=warmup, runs=runs, min_time_s=min_time_s)
        measured_threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(previous)
    p = profile(model)
    return {
        "model": getattr(model, "name", type(model).__name__), "path": path, "batch": batch,
        "threads": measured_threads, "median_ms": round(timing.median_ms, 4), "p10_ms": round(timing.p10_ms, 4),
        "p90_ms": round(timing.p90_ms, 4), "p99_ms": round(timing.p99_ms, 4), "first_ms": round(first_ms, 4),
        "runs": timing.runs, "warmup": warmup, "mult_adds": p.mult_adds, "params": p.params,
        "machine": machine(),
    }


def int8_dot_product() -> str | None:
    """The CPU's int8 dot-product instructions, which make int8 convolutions several times faster than fp32 ones:
    ``avx512_vnni`` or ``avx_vnni`` (x86), ``asimddp`` (Arm's dot product, a Raspberry Pi 5's Cortex-A76 has it);
    None when /proc/cpuinfo lists none of them (or there is no /proc/cpuinfo)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(f.read().split())
    except OSError:
        return None
    return next((flag for flag in ("avx512_vnni", "avx_vnni", "asimddp") if flag in flags), None)


def check_batch(shape: tuple[int, ...]) -> torch.Tensor:
    """A fixed batch of inputs, the same on every machine: standard normal numbers from NumPy's PCG64 with seed 0.

    ``mobilenet-course bench --pte`` reports a deployed file's top-1 predictions on it, so that two machines (a
    laptop and a Raspberry Pi) can be seen to run the same file to the same answers.
    """
    import numpy as np

    return torch.from_numpy(np.random.default_rng(0).standard_normal(shape, dtype=np.float32))


def benchmark_file(path: str | os.PathLike, *, threads: int | None = None, warmup: int = 10, runs: int = 50,
                   min_time_s: float = 1.0) -> dict[str, object]:
    """Time a deployed file (``.pte`` or ``.onnx`` from ``mobilenet-course export``) with its runtime alone.

    Needs only the runtime (executorch or onnxruntime) and torch: no compiler. The row has the keys of
    :func:`benchmark`'s, with ``path`` the runtime's path name (``executorch``, ``executorch_int8``,
    ``onnxruntime``), and what deployment benchmarks report besides: ``first_ms`` (the first inference after
    loading, which pays for set-up), ``p99_ms``, ``warmup``, ``file`` and ``file_bytes`` (the size on disk), and
    ``check_top1``, the top-1 predictions on :func:`check_batch`'s 16 fixed images.
    """
    from . import deploy

    warmup, runs, min_time_s = _check_timing(warmup, runs, min_time_s)
    model = deploy.load(path, threads=threads)
    batch = model.input_shape[0]
    x = check_batch((-(-16 // batch) * batch, *model.input_shape[1:]))  # 16 images or more, in the file's batches
    t0 = time.perf_counter()
    first = model(x[:batch])
    first_ms = (time.perf_counter() - t0) * 1e3
    check_top1 = first.argmax(1).tolist() + [i for chunk in x[batch:].split(batch) for i in model(chunk).argmax(1).tolist()]
    x = x[:batch]
    timing = time_call(lambda: model(x), warmup=warmup, runs=runs, min_time_s=min_time_s)
    meta = model.metadata
    row = {"model": meta.get("model", os.path.basename(path)),
           "path": ("executorch_int8" if meta.get("int8") else "executorch") if model.format == "pte" else "onnxruntime",
           "batch": model.input_shape[0], "threads": model.threads, "median_ms": round(timing.median_ms, 4),
           "p10_ms": round(timing.p10_ms, 4), "p90_ms": round(timing.p90_ms, 4), "p99_ms": round(timing.p99_ms, 4),
           "first_ms": round(first_ms, 4), "runs": timing.runs, "warmup": warmup, "file": os.path.basename(path),
           "file_bytes": model.size_bytes, "check_top1": check_top1}
    row.update({key: meta[key] for key in ("mult_adds", "params") if key in meta})  # stored by the export
    row["machine"] = machine()
    row["machine"]["threads"] = model.threads
    return row


def write_results(rows: list[dict], out: str | os.PathLike, *, append: bool = True) -> list[dict]:
    """Write result rows to ``out`` (.json: a list of rows; .csv: one row a line), atomically, under a lock.

    With ``append`` the rows join those already in the file, so several machines (or several runs at once) can fill
    one file: the file is read, extended and rewritten while holding an exclusive lock on ``out.lock`` beside it
    (:func:`mobilenet_course.files.locked`, ``fcntl.flock``), so concurrent appends all land. It is written to a
    temporary name beside it and renamed, so an interrupted run leaves the old file intact. A symbolic link ``out``
    stays a link: its target is written.

    Raises
    ------
    ValueError
        ``out`` is not .json or .csv, or the file there is not a results file (see :func:`read_results`); the file
        is left as it was.
    """
    import csv
    import json
    from pathlib import Path

    from .files import atomic_write, locked

    out = Path(out)
    if out.suffix not in (".json", ".csv"):
        raise ValueError(f"results go to a .json or .csv file, got {out}")
    with locked(out):
        existing: list[dict] = []
        if append and out.exists():
            existing = read_results(out)
        all_rows = existing + rows
        with atomic_write(out, newline="") as f:
            if out.suffix == ".json":
                json.dump(all_rows, f, indent=1)
                f.write("\n")
            else:
                flat = [_flatten(r) for r in all_rows]
                fields = list(dict.fromkeys(k for r in flat for k in r))
                writer = csv.DictWriter(f, fieldnames=fields)
                writer.writeheader()
                writer.writerows(flat)
    return all_rows


def _flatten(row: dict) -> dict:
    flat = {k: v for k, v in row.items() if k != "machine"}
    flat.update({f"machine_{k}": v for k, v in row.get("machine", {}).items()})
    return flat


RESULTS_DIR = os.path.join(os.path.dirname(__file__), "results")


def bundled_results(name: str | None = None) -> str | list[str]:
    """Results files measured by the course's authors and shipped with the package (for the book's chapters).

    With no name, the list of names; with a name, the file's path. Each row records the machine it came from.
    """
    names = sorted(f for f in os.listdir(RESULTS_DIR) if f.endswith((".json", ".csv")))
    if name is None:
        return names
    if name not in names:
        raise ValueError(f"no bundled results file {name!r}; there are: {', '.join(names)}")
    return os.path.join(RESULTS_DIR, name)


# The columns of a latency row (what `bench` writes and `report` plots) and the numbers among a CSV's columns.
LATENCY_KEYS = ("model", "path", "median_ms", "p10_ms", "p90_ms", "mult_adds")
_FLOATS = ("median_ms", "p10_ms", "p90_ms", "p99_ms", "first_ms")
_INTS = ("batch", "threads", "runs", "warmup", "mult_adds", "params", "file_bytes")


def read_results(path: str | os.PathLike, *, latency: bool = False) -> list[dict]:
    """Rows from a results file written by :func:`write_results` (JSON or CSV).

    Parameters
    ----------
    path : path
        A .json file holding a list of row objects, or a .csv file with a header line.
    latency : bool
        Also require every row to be a latency row of :func:`benchmark`: ``model`` and ``path`` strings and finite
        numbers ``median_ms``, ``p10_ms``, ``p90_ms`` and ``mult_adds`` (what ``mobilenet-course report`` plots).

    Raises
    ------
    ValueError
        One message naming the file and what is wrong with it: unreadable, empty, binary, not valid JSON, not a
        list of row objects, ``machine`` not an object, a missing column or key, or a value that is not a number.
    """
    import csv
    import json
    from pathlib import Path

    path = Path(path)
    if path.suffix not in (".json", ".csv"):
        raise ValueError(f"results are .json or .csv files, got {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a results file: it is not text (a binary file?)") from None
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not a results file") from None
    if not text.strip():
        raise ValueError(f"{path} is empty: a results file holds a JSON list of rows or a CSV with a header")
    if "\x00" in text:
        raise ValueError(f"{path} is not a results file: it is not text (a binary file?)")
    if path.suffix == ".json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON ({error})") from None
        if not isinstance(rows, list):
            raise ValueError(f"{path}: a results file holds a JSON list of rows, not a {type(rows).__name__}")
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise ValueError(f"{path}: row {i} is a {type(row).__name__} ({str(row)[:40]}); a results file "
                                 "holds a JSON list of row objects")
    else:
        rows = []
        reader = csv.DictReader(text.splitlines())
        if latency:
            missing = [k for k in LATENCY_KEYS if k not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{path}: the CSV has no column {', '.join(missing)} (its columns: "
                                 f"{', '.join(reader.fieldnames or [])})")
        for r in reader:
            if None in r or None in r.values():
                raise ValueError(f"{path}, line {reader.line_num}: not as many values as the header has columns")
            row = {k: v for k, v in r.items() if not k.startswith("machine_")}
            for key, kind in [(k, float) for k in _FLOATS] + [(k, int) for k in _INTS]:
                if key in row and row[key] == "":  # a column of other rows
                    del row[key]
                elif key in row:
                    try:
                        row[key] = kind(row[key])
                    except ValueError:
                        raise ValueError(f"{path}, line {reader.line_num}: {key} is {row[key]!r}, not "
                                         f"{'a number' if kind is float else 'an integer'}") from None
            row["machine"] = {k.removeprefix("machine_"): v for k, v in r.items() if k.startswith("machine_")}
            rows.append(row)
    for i, row in enumerate(rows):
        if "machine" in row and not isinstance(row["machine"], dict):
            raise ValueError(f"{path}: row {i}'s machine is a {type(row['machine']).__name__}, not an object of "
                             "cpu, cores, arch, ...")
        if latency:
            check_latency_row(row, f"{path}: row {i}")
    return rows


def check_latency_row(row: dict, where: str) -> None:
    """Raise ValueError, naming ``where``, unless ``row`` is a latency row of :func:`benchmark`: it has
    :data:`LATENCY_KEYS`, ``model`` and ``path`` are strings, the times and ``mult_adds`` finite numbers."""
    if not isinstance(row, dict):
        raise ValueError(f"{where} is a {type(row).__name__}, not a result row")
    missing = [k for k in LATENCY_KEYS if k not in row]
    if missing:
        raise ValueError(f"{where} has no {', '.join(missing)}: not a latency row of `mobilenet-course bench`")
    for key in ("model", "path"):
        if not isinstance(row[key], str):
            raise ValueError(f"{where}'s {key} is {row[key]!r}, not a string")
    for key in ("median_ms", "p10_ms", "p90_ms", "mult_adds"):
        value = row[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{where}'s {key} is {value!r}, not a finite number")

"""MobileNet in the browser against native code, measured in one run on one machine.

    make book                       # builds the site: chapter 8's widget, ONNX Runtime Web and the models
    python benchmarks/browser.py    # then this: Debian's headless Chromium against onnxruntime and PyTorch

For 1.0-MobileNet-224 and 0.25-MobileNet-128 it times, in turns (browser, native, eager; three rounds, the median
of the rounds' medians kept):
  - the browser: chapter 8's page served with the cross-origin isolation headers, in headless Chromium, through
    ``window.mobilenetCourse.measure`` (ONNX Runtime Web, WebAssembly with SIMD, ``--threads`` threads);
  - native onnxruntime on the same ONNX file, with ``--threads`` intra-op threads;
  - PyTorch eager on the package's model as written (``mc.bench.benchmark``, path ``eager``).
It prints browser / native and browser / eager, and with ``--out`` writes the rows (the package's schema; the
browser's rows describe the browser in ``machine``) for chapter 8. ``--explore`` also times the session options tried
(graph optimisation level, fixed or free input size) and one thread.
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

import torch

import mobilenet_course as mc
from mobilenet_course import bench, browser

ROOT = Path(__file__).resolve().parents[1]
PAGE = "book/08_benchmarking.html"
MODELS = [(1.0, 224), (0.25, 128)]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps"]

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--site", default=str(ROOT / "_build" / "html"), help="the built book (default _build/html)")
parser.add_argument("--threads", type=int, default=2, help="threads for every runtime (default 2)")
parser.add_argument("--rounds", type=int, default=3, choices=range(1, 21), metavar="1-20",
                    help="rounds of browser, native, eager (default 3)")
parser.add_argument("--out", help="write the rows here (.json), e.g. mobilenet_course/results/browser-NAME.json")
parser.add_argument("--explore", action="store_true", help="also time the session options tried, and one thread")
args = parser.parse_args()

site = Path(args.site)
if not (site / PAGE).exists() or not (site / browser.MODELS_DIR / browser.MANIFEST).exists():
    sys.exit(f"{site / PAGE} or the browser's models are missing: build the book first (`make book`)")
chromium = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(chromium):
    sys.exit("Debian's chromium is not installed: apt-get install chromium (make setup does)")
if args.threads > (os.cpu_count() or 1):
    sys.exit(f"--threads {args.threads} is more than this machine's {os.cpu_count()} CPUs")

import onnxruntime as ort  # noqa: E402  (after the checks above, which need neither)
from playwright.sync_api import sync_playwright  # noqa: E402

torch.set_num_threads(args.threads)
RUNS = dict(runs=30, warmup=10)
GRID = {m.name: m for m in mc.family.grid()}  # the grid's models, with their mult-adds and parameters


def native_session(alpha: float, resolution: int, threads: int):
    """The browser's session, natively: the same file, optimisations and input size fixed as the page fixes it."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_free_dimension_override_by_name("height", resolution)
    options.add_free_dimension_override_by_name("width", resolution)
    return ort.InferenceSession(str(site / browser.MODELS_DIR / browser.model_file(alpha)), options,
                                providers=["CPUExecutionProvider"])


def native_row(alpha: float, resolution: int) -> dict:
    session = native_session(alpha, resolution, args.threads)
    feed = {"images": browser.fixed_input(resolution).numpy()}
    timing = bench.time_call(lambda: session.run(None, feed), warmup=RUNS["warmup"], runs=RUNS["runs"], min_time_s=1.0)
    model = GRID[mc.names.model_name(alpha, resolution)]
    machine = bench.machine() | {"threads": args.threads, "onnxruntime": ort.__version__}
    return {"model": model.name, "path": "onnxruntime", "batch": 1,
            "threads": args.threads, "median_ms": round(timing.median_ms, 4), "p10_ms": round(timing.p10_ms, 4),
            "p90_ms": round(timing.p90_ms, 4), "p99_ms": round(timing.p99_ms, 4), "runs": timing.runs,
            "warmup": RUNS["warmup"], "mult_adds": model.mult_adds, "params": model.params, "machine": machine}


def browser_row(page, alpha: float, resolution: int, extra: dict | None = None) -> dict:
    request = {"alpha": alpha, "resolution": resolution, "minTimeMs": 1000, **RUNS, **(extra or {})}
    return page.evaluate("r => mobilenetCourse.measure(r)", request)


def open_chapter(playwright, isolated: bool):
    server, url = browser.serve(site, isolated=isolated)
    instance = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
    page = instance.new_page()
    page.goto(url + PAGE, wait_until="networkidle")
    page.wait_for_function("typeof window.mobilenetCourse?.measure === 'function'", timeout=60_000)
    return server, instance, page


def median_row(rows: list[dict]) -> dict:
    """The round whose median is the median of the rounds' (the row as measured, not a blend)."""
    ordered = sorted(rows, key=lambda r: r["median_ms"])
    return ordered[(len(ordered) - 1) // 2] | {"rounds": [r["median_ms"] for r in rows]}


rows: list[dict] = []
with sync_playwright() as playwright:
    server, instance, page = open_chapter(playwright, isolated=True)
    try:
        if page.evaluate("window.mobilenetCourse.environment().threads") != args.threads:
            sys.exit(f"the browser offers {page.evaluate('navigator.hardwareConcurrency')} threads, not "
                     f"--threads {args.threads}: run on a machine (or taskset) with {args.threads} CPUs")
        for alpha, resolution in MODELS:
            name = mc.names.model_name(alpha, resolution)
            measured: dict[str, list[dict]] = {"browser": [], "native": [], "eager": []}
            for round_ in range(args.rounds):
                measured["browser"].append(browser_row(page, alpha, resolution))
                measured["native"].append(native_row(alpha, resolution))
                measured["eager"].append(bench.benchmark(mc.MobileNetV1(alpha, resolution), path="eager",
                                                         threads=args.threads, **RUNS))
            chosen = {key: median_row(value) for key, value in measured.items()}
            chosen["browser"]["machine"]["cpu"] = bench.cpu_model()  # what the browser cannot say, this script can
            rows += list(chosen.values())
            b, n, e = (chosen[k]["median_ms"] for k in ("browser", "native", "eager"))
            print(f"{name}: browser {b:.2f} ms, native onnxruntime {n:.2f} ms, PyTorch eager {e:.2f} ms; "
                  f"browser / native {b / n:.2f}, browser / eager {b / e:.2f}", flush=True)
        if args.explore:
            print("session options, 1.0-MobileNet-224 in the browser (median ms):")
            for label, extra in [("as shipped (all optimisations, input size fixed)", {}),
                                 ("input size left free", {"fixShape": False}),
                                 ("graph optimisation 'basic'", {"graphOptimizationLevel": "basic"}),
                                 ("graph optimisation 'disabled'", {"graphOptimizationLevel": "disabled"})]:
                print(f"  {label}: {browser_row(page, 1.0, 224, extra)['median_ms']:.2f}", flush=True)
    finally:
        instance.close()
        server.shutdown()
    if args.explore:
        server, instance, page = open_chapter(playwright, isolated=False)
        try:
            one = browser_row(page, 1.0, 224)
            print(f"  one thread (page not isolated): {one['median_ms']:.2f} (threads {one['threads']})")
        finally:
            instance.close()
            server.shutdown()
        session = native_session(1.0, 224, 1)
        feed = {"images": browser.fixed_input(224).numpy()}
        print(f"  native onnxruntime, one thread: {bench.time_call(lambda: session.run(None, feed), **RUNS).median_ms:.2f}")

if args.out:
    bench.write_results(rows, args.out, append=False)
    print(f"wrote {len(rows)} rows to {args.out}")
print(json.dumps([{k: r[k] for k in ("model", "path", "threads", "median_ms")} for r in rows]))

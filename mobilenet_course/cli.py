"""The ``mobilenet-course`` command line. ``mobilenet-course --help`` lists the commands.

Every option is checked by the rules of :mod:`mobilenet_course.checks` as it is read, before any work. Every error
ends as one line, ``mobilenet-course: error: ...``, naming the option or the file, with exit status 2; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import bench, checks, costs, inference, tables
from .files import check_output
from .model import ALPHA_LIMITS, MAX_CLASSES, MAX_IN_CHANNELS, MAX_RESOLUTION
from .names import FAMILIES, from_name, paper_grid


def _profile(args: argparse.Namespace) -> int:
    model = from_name(args.model, num_classes=args.num_classes, in_channels=args.in_channels,
                      small_input=args.small_input)
    print(costs.profile(model).to_text())
    return 0


def _tables(args: argparse.Namespace) -> int:
    for table in (tables.table1(), *tables.multiplier_tables(), *tables.variant_tables()):
        print(table.to_text(), end="\n\n")
    return 0


def _check_results_out(out: str | None) -> None:
    """Refuse a bad ``--out`` before any timing: a wrong suffix, an unwritable folder, a file that is not a results
    file."""
    if out:
        check_output(out, what="--out", suffixes=(".json", ".csv"))
        if os.path.exists(out):
            bench.read_results(out)


def _write_rows(rows: list[dict], out: str | None) -> None:
    """Add the rows to ``--out``; if the write fails although ``out`` was checked, print them as JSON first."""
    if not out:
        return
    try:
        bench.write_results(rows, out)
    except (ValueError, OSError) as error:
        import json

        print(json.dumps(rows))
        raise ValueError(f"could not add the rows to --out {out} ({error}); they are printed above as JSON") \
            from error
    print(f"wrote {len(rows)} rows to {out}")


def _bench_files(args: argparse.Namespace) -> int:
    """``bench --pte FILE`` / ``--onnx FILE``: time deployed files with their runtime alone."""
    files = [(f, ".pte") for f in args.pte or []] + [(f, ".onnx") for f in args.onnx or []]
    for path, suffix in files:
        if not path.lower().endswith(suffix):
            raise ValueError(f"--{suffix[1:]} {path}: expected a {suffix} file")
        if not os.path.isfile(path):
            raise ValueError(f"--{suffix[1:]} {path}: no such file")
    _check_results_out(args.out)
    rows = [bench.benchmark_file(path, threads=args.threads, warmup=args.warmup, runs=args.runs,
                                 min_time_s=args.min_time) for path, _ in files]
    print(f"{'file':28} {'path':16} {'median ms':>10} {'p90':>8} {'p99':>8} {'first':>8} {'runs':>5} {'MB':>6}")
    for r in rows:
        print(f"{r['file'][:28]:28} {r['path']:16} {r['median_ms']:10.3f} {r['p90_ms']:8.3f} {r['p99_ms']:8.3f} "
              f"{r['first_ms']:8.2f} {r['runs']:5} {r['file_bytes'] / 1e6:6.2f}")
    for r in rows:
        print(f"{r['file']}: {r['model']}, {r['warmup']} warm-up runs, {r['threads']} threads; top-1 on the fixed "
              f"check batch: {' '.join(map(str, r['check_top1']))}")
    m = bench.machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['arch']}")
    _write_rows(rows, args.out)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    if args.pte or args.onnx:
        if args.grid or args.model:
            raise ValueError("time either deployed files (--pte, --onnx) or models (--model, --grid), not both")
        return _bench_files(args)
    if args.grid == bool(args.model):
        raise ValueError("give either --model NAME (repeatable), --grid, or a deployed file (--pte/--onnx FILE)")
    names = list(paper_grid()) if args.grid else args.model
    paths = inference.available_paths() if args.paths == ["all"] else args.paths
    for path in paths:
        if path not in inference.PATHS:
            raise ValueError(f"unknown path {path!r}; choose from {', '.join(inference.PATHS)} or all")
    models = [from_name(n, num_classes=args.num_classes) for n in names]  # bad names fail before any timing
    _check_results_out(args.out)
    rows, skipped = [], []
    for model in tqdm(models, desc="models", disable=len(models) == 1):
        for path in paths:
            try:
                rows.append(bench.benchmark(model, path=path, batch=args.batch, threads=args.threads,
                                            warmup=args.warmup, runs=args.runs, min_time_s=args.min_time))
            except inference.Unavailable as why:
                skipped.append(f"{model.name} {path}: skipped, {why}")
    print(f"{'model':20} {'path':14} {'median ms':>10} {'p10':>8} {'p90':>8} {'M mult-adds':>12} {'GMAC/s':>7}")
    for r in rows:
        rate = r["mult_adds"] * r["batch"] / (r["median_ms"] * 1e6)
        print(f"{r['model']:20} {r['path']:14} {r['median_ms']:10.3f} {r['p10_ms']:8.3f} {r['p90_ms']:8.3f} "
              f"{r['mult_adds'] / 1e6:12.1f} {rate:7.2f}")
    for line in skipped:
        print(line)
    m = bench.machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['arch']}, torch {m['torch']}; batch {args.batch}, "
          f"{rows[0]['threads'] if rows else torch_threads()} threads")
    _write_rows(rows, args.out)
    return 0


def _export(args: argparse.Namespace) -> int:
    import torch

    from . import data, deploy, train

    suffix = os.path.splitext(args.out)[1].lower()
    format = args.format or {suffix: name for name, suffix in deploy.FORMATS.items()}.get(suffix)
    if format is None or deploy.FORMATS[format] != suffix:
        raise ValueError(f"--out {args.out} must end in {deploy.FORMATS[format] if format else '.pte or .onnx'}"
                         + (f" for --format {format}" if format else ""))
    if args.int8 and format != "pte":
        raise ValueError("--int8 is for --format pte (XNNPACK); ONNX files are exported in fp32")
    check_output(args.out, what="--out", suffixes=(suffix,))
    if os.path.isfile(args.model):
        model, state = train.model_from_checkpoint(args.model)
        preprocessing = state.get("preprocessing")
        if preprocessing is None:
            raise ValueError(f"{args.model} holds no preprocessing (made by an earlier version of the course): "
                             "retrain it with `mobilenet-course train`, which stores the mean and std")
        kind = {(1, 10): ("fashion-mnist", data.FASHION_MNIST_CLASSES),
                (3, 10): ("cifar10", data.CIFAR10_CLASSES)}.get((model.in_channels, model.num_classes))
        class_names = list(kind[1]) if kind else [f"class {i}" for i in range(model.num_classes)]
        calibration = None
        if args.int8:  # calibrated on training images, normalised as in training
            if kind is None:
                raise ValueError(f"int8 calibration needs training images; {args.model} was not trained on "
                                 "Fashion-MNIST or CIFAR-10")
            splits = data.load_fashion_mnist() if kind[0] == "fashion-mnist" else data.load_cifar10()
            images = splits["train"][0]
            pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))[:args.calibration]
            calibration = data.ImageDataset(images[pick], splits["train"][1][pick], model.resolution,
                                            mean=preprocessing["mean"], std=preprocessing["std"]).images
        source = f"checkpoint {args.model}"
    elif os.path.exists(args.model):
        raise ValueError(f"{args.model} is not a file: give a checkpoint file or a paper name such as 1.0-MobileNet-224")
    else:
        try:
            model = from_name(args.model)  # random weights: for timing only; calibrated on random images
        except ValueError as error:
            raise ValueError(f"{args.model} is neither a checkpoint file nor a paper name ({error})") from None
        class_names, preprocessing, calibration = None, None, None
        if args.int8:
            calibration = torch.randn(args.calibration, model.in_channels, model.resolution, model.resolution,
                                      generator=torch.Generator().manual_seed(0))
        source = f"{model.name} with random weights (for timing; export a checkpoint for predictions)"
    print(f"exporting {source} to {args.out} ({format}{', int8' if args.int8 else ', fp32'}, batch {args.batch})...",
          flush=True)
    info = deploy.export(model, args.out, int8=args.int8, batch=args.batch, calibration=calibration,
                         class_names=class_names, preprocessing=preprocessing)
    print(f"wrote {args.out}: {info['model']}, {info['size_bytes'] / 1e6:.2f} MB, sha256 {info['sha256'][:16]}...; "
          f"on the device: mobilenet-course bench --{format} {os.path.basename(args.out)}")
    return 0


TRAIN_PRESETS = {
    # The course's default: about 5 minutes on the 2-core AMD EPYC server that built the book
    # (benchmarks/train_fashion_mnist.py; results/train-fashion-mnist-amd-epyc-2-cores.json).
    # Eight epochs at a peak rate of 0.005 reach 92% there (7 epochs at 0.004 gave 91.5%).
    "default": dict(alpha=0.5, resolution=28, small_input=True, epochs=8, batch_size=128, lr=0.005),
    # Longer and wider, for the best accuracy of the chapter.
    "long": dict(alpha=0.75, resolution=28, small_input=True, epochs=20, batch_size=128, lr=0.004),
}


ARCHITECTURES = tuple(kind.__name__.removesuffix("V1") for kind in FAMILIES.values())
"""What `train --architecture` builds, by the family names of the paper's model names (``mobilenet_course.names``):
MobileNetV1, or the paper's Table 4 and Table 5 variants."""


def run_training(alpha: float, resolution: int, small_input: bool, epochs: int, batch_size: int, lr: float,
                 dataset: str = "fashion-mnist", data_path: str | None = None, subset: int | None = None,
                 threads: int | None = None, seed: int = 0, device: str = "auto", checkpoint: str | None = None,
                 resume: bool = False, progress: bool = True, architecture: str = "MobileNet") -> dict:
    """Train one configuration and return its metrics (what `mobilenet-course train` and the benchmark print).

    The same ``seed`` gives the same starting weights, data order, augmentation and (on the CPU) metrics, whatever
    ran before in the process. ``architecture`` is one of :data:`ARCHITECTURES`. Under ``torchrun`` every process
    trains its share (:func:`mobilenet_course.train.fit`) and returns the same metrics.
    """
    import time

    import torch

    from . import data, train
    from .model import check_arguments

    # checked before the data are read: a bad device or configuration fails at once
    train.pick_device(device)
    kind = FAMILIES[checks.choice(architecture, "architecture", list(ARCHITECTURES)).lower()]
    check_arguments(alpha, resolution, 10, small_input=small_input, blocks=kind.blocks)
    if threads is not None:
        torch.set_num_threads(checks.threads(threads))
    began = time.perf_counter()
    if dataset == "fashion-mnist":
        splits, channels = data.load_fashion_mnist(data_path), 1
    elif dataset == "cifar10":
        splits, channels = data.load_cifar10(data_path), 3
    else:
        raise ValueError(f"dataset must be fashion-mnist or cifar10, got {dataset!r}")
    # Seeded just before the model is built, so that the seed fixes the starting weights whatever drew random
    # numbers earlier in the process; the loaders have their own generators and fit reseeds every epoch.
    torch.manual_seed(seed)
    model = kind(alpha, resolution, 10, in_channels=channels, small_input=small_input)
    train_loader, test_loader = data.loaders(splits, resolution, batch_size=batch_size, subset=subset, seed=seed)
    history = train.fit(model, train_loader, test_loader, epochs=epochs, lr=lr, device=device, seed=seed,
                        checkpoint=checkpoint, resume=resume, progress=progress,
                        on_epoch=lambda h: print(f"epoch {h.epochs[-1].epoch}: test accuracy "
                                                 f"{h.epochs[-1].test_accuracy:.4f}, {h.epochs[-1].seconds:.0f} s",
                                                 flush=True))
    wall_s = round(time.perf_counter() - began, 1)
    trained_on = str(next(model.parameters()).device)
    cost = costs.profile(model.cpu())
    return {"test_accuracy": history.test_accuracy, "wall_s": wall_s,
            "train_s": round(history.seconds, 1), "epochs": epochs, "alpha": alpha, "resolution": resolution,
            "small_input": small_input, "batch_size": batch_size, "lr": lr, "threads": torch.get_num_threads(),
            "dataset": dataset, "subset": subset, "seed": seed, "model": model.name, "architecture": architecture,
            "processes": train.process_group()[1],
            "mult_adds": cost.mult_adds, "params": cost.params, "device": trained_on,
            "machine": bench.machine(), "history": history.to_dicts()}


def _train(args: argparse.Namespace) -> int:
    import json

    from .train import is_main_process, write_metrics

    for option, value in (("--checkpoint", args.checkpoint), ("--metrics", args.metrics)):
        if value:
            check_output(value, what=option)
    if args.checkpoint and os.path.exists(args.checkpoint) and not args.resume and not args.force:
        raise ValueError(f"--checkpoint {args.checkpoint} exists: give --resume to continue it, --force to replace "
                         "it, or another file")
    config = dict(TRAIN_PRESETS[args.preset])
    for key in ("alpha", "resolution", "epochs", "batch_size", "lr"):
        if getattr(args, key) is not None:
            config[key] = getattr(args, key)
    if args.small_input is not None:
        config["small_input"] = args.small_input
    metrics = run_training(**config, dataset=args.dataset, data_path=args.data, subset=args.subset,
                           threads=args.threads, seed=args.seed, device=args.device, checkpoint=args.checkpoint,
                           resume=args.resume, progress=not args.no_progress, architecture=args.architecture)
    if not is_main_process():  # under torchrun, rank 0 alone writes and prints the results
        return 0
    if args.metrics:
        try:
            write_metrics(args.metrics, metrics)
        except OSError as error:  # checked before training, yet the write failed: print them, not lose them
            print(json.dumps(metrics))
            raise ValueError(f"could not write --metrics {args.metrics} ({error}); the metrics are printed "
                             "above") from error
    print(json.dumps({k: v for k, v in metrics.items() if k != "history"}))
    return 0


def _report(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from . import plots

    check_output(args.out, what="--out", suffixes=(".png", ".svg", ".pdf"))
    rows = []
    for path in args.files:
        file_rows = bench.read_results(path, latency=True)
        if not file_rows:
            raise ValueError(f"{path} holds no result rows")
        rows += file_rows
    machines = sorted({bench.machine_label(r.get("machine", {})) for r in rows})
    print(f"{len(rows)} rows from {len(args.files)} files; machines: {'; '.join(machines)}")
    by_model: dict[str, dict[str, float]] = {}
    for r in rows:
        key = f"{bench.machine_label(r.get('machine', {}))} {r['path']} {r.get('threads', '?')}thr"
        by_model.setdefault(r["model"], {})[key] = r["median_ms"]
    columns = sorted({k for v in by_model.values() for k in v})
    width = max(10, *(len(c) for c in columns))  # whole column names: machine, path and threads
    print(f"{'model':20} " + " ".join(f"{c:>{width}}" for c in columns))
    for model, times in by_model.items():
        print(f"{model:20} " + " ".join(f"{times[c]:{width}.3f}" if c in times else f"{'-':>{width}}" for c in columns))
    fig = plots.latency_plot(rows, title="latency against mult-adds")
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return 0


def _make_student(args: argparse.Namespace) -> int:
    from .student import make_student

    written = make_student(args.book, args.out, repository=args.repository, branch=args.branch, force=args.force)
    print(f"wrote the student edition: {len(written)} chapters in {args.out}/book and their Colab edition in "
          f"{args.out}/colab; push {args.out} to {args.repository} ({args.branch}), and build its site with: "
          f"jupyter-book build {args.out}")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from .grading import grade

    rows = grade(args.submissions, args.out, timeout=args.timeout)
    failed = sum(1 for row in rows if row["error"])
    print(f"graded {len(rows)} submission(s) into {args.out}" + (f"; {failed} with an error noted" if failed else ""))
    return 0


def _make_otter(args: argparse.Namespace) -> int:
    from .otter_export import make_otter

    written = make_otter(args.book, args.out, force=args.force, tests_url=args.tests_url)
    print(f"wrote {len(written)} otter master notebooks in {args.out}; for each: otter assign "
          f"{args.out}/NAME.ipynb DIST")
    return 0


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


class UsageError(Exception):
    """A command line that argparse cannot read: :func:`main` prints it as one line and returns 2."""

    def __init__(self, message: str, parser: argparse.ArgumentParser) -> None:
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line raises :class:`UsageError` instead of exiting (``main`` reports it)."""

    def error(self, message: str):
        raise UsageError(message, self)


NUM_CLASSES = checks.cli_whole(low=1, high=MAX_CLASSES)
"""``--num-classes``: 1 to 100,000 (refused before any model is allocated)."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mobilenet-course", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_parser = commands.add_parser

    def add_command(*args, **kwargs) -> argparse.ArgumentParser:
        sub = add_parser(*args, **kwargs)
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show the traceback of an error")
        return sub

    commands.add_parser = add_command

    p = commands.add_parser("profile", help="per-layer mult-adds and parameters of a model")
    p.add_argument("model", help="a paper name such as 0.75-MobileNet-128 (or 0.75_MobileNet_small)")
    p.add_argument("--num-classes", type=NUM_CLASSES, default=1000, help="classifier outputs (default 1000)")
    p.add_argument("--in-channels", type=checks.cli_whole(low=1, high=MAX_IN_CHANNELS), default=3,
                   help="image channels (default 3)")
    p.add_argument("--small-input", action="store_true", help="stride-1 first conv for 28-32 px images")
    p.set_defaults(run=_profile)

    p = commands.add_parser("tables", help="the paper's Tables 1 and 4-7 rebuilt from the package")
    p.set_defaults(run=_tables)

    p = commands.add_parser(
        "bench", help="measure latency on this machine (laptop CPU, Raspberry Pi, ...)",
        description="Time models through inference paths: warm-up, many timed runs, median and p10/p90. Results "
                    "print as a table and, with --out, join the rows already in the file (JSON or CSV), so results "
                    "from several machines can be compared with `mobilenet-course report`.")
    p.add_argument("--model", action="append", metavar="NAME",
                   help="a paper name such as 0.5-MobileNet-160; repeat for several models")
    p.add_argument("--grid", action="store_true", help="the paper's 16 models (alpha x resolution)")
    p.add_argument("--paths", type=lambda s: s.split(","), default=["eager"], metavar="P1,P2",
                   help=f"inference paths, comma-separated, or all ({', '.join(inference.PATHS)}); default eager")
    p.add_argument("--threads", type=checks.cli_threads, default=None,
                   help="torch intra-op threads, at most 4 per CPU of the machine (default: torch's choice, "
                        "usually the number of cores)")
    p.add_argument("--batch", type=checks.cli_whole(low=1, high=1024), default=1,
                   help="images per call, 1 to 1024 (default 1)")
    p.add_argument("--runs", type=checks.cli_whole(low=1, high=1_000_000), default=30,
                   help="timed runs at least (default 30)")
    p.add_argument("--warmup", type=checks.cli_whole(low=0, high=100_000), default=10,
                   help="untimed runs first (default 10)")
    p.add_argument("--min-time", type=checks.cli_number(low=0, high=3600), default=1.0,
                   help="seconds of timed runs at least, 0 to 3600 (default 1)")
    p.add_argument("--num-classes", type=NUM_CLASSES, default=1000, help="classifier outputs (default 1000)")
    p.add_argument("--out", metavar="FILE", help="append the result rows to FILE (.json or .csv)")
    p.add_argument("--pte", action="append", metavar="FILE",
                   help="time a deployed ExecuTorch file from `mobilenet-course export` with executorch's runtime "
                        "alone (repeatable); reports median, p90, p99, the first inference, the file's size")
    p.add_argument("--onnx", action="append", metavar="FILE",
                   help="time a deployed ONNX file with onnxruntime alone (repeatable)")
    p.set_defaults(run=_bench)

    p = commands.add_parser(
        "export", help="write a deployable file (.pte for ExecuTorch, .onnx) of a checkpoint or a paper model",
        description="Export a trained checkpoint (or a paper name, with random weights, for timing) to one file a "
                    "device runs with its runtime alone: ExecuTorch with the XNNPACK delegate (.pte, fp32 or "
                    "--int8) or ONNX (.onnx). The file holds the model's name, resolution, class names and "
                    "preprocessing. It is checked against the model before it is written.")
    p.add_argument("model", metavar="MODEL_OR_CHECKPOINT",
                   help="a checkpoint of `mobilenet-course train`, or a paper name such as 1.0-MobileNet-224")
    p.add_argument("--format", choices=["pte", "onnx"], help="the file's format (default: from --out's suffix)")
    p.add_argument("--int8", action="store_true",
                   help="int8 post-training quantization with XNNPACKQuantizer (pte only), calibrated on training "
                        "images")
    p.add_argument("--calibration", type=checks.cli_whole(low=1, high=60_000), default=500, metavar="N",
                   help="images to calibrate int8 on (default 500)")
    p.add_argument("--batch", type=checks.cli_whole(low=1, high=1024), default=1,
                   help="images per call the file takes (default 1)")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write (.pte or .onnx)")
    p.set_defaults(run=_export)

    p = commands.add_parser(
        "train", help="train a MobileNet on Fashion-MNIST (or CIFAR-10); writes a checkpoint and metrics",
        description="Train M(alpha, rho) with AdamW and a one-cycle schedule. Presets: "
                    + "; ".join(f"{k}: {v}" for k, v in TRAIN_PRESETS.items()) + ". Options override the preset.")
    p.add_argument("--preset", choices=sorted(TRAIN_PRESETS), default="default", help="starting configuration")
    p.add_argument("--alpha", type=checks.cli_number(low=ALPHA_LIMITS[0], high=ALPHA_LIMITS[1]),
                   help=f"width multiplier, {ALPHA_LIMITS[0]} to {ALPHA_LIMITS[1]}")
    p.add_argument("--resolution", type=checks.cli_whole(low=1, high=MAX_RESOLUTION),
                   help="input resolution in pixels (28 keeps Fashion-MNIST as it is)")
    p.add_argument("--small-input", dest="small_input", action="store_true", default=None,
                   help="stride-1 first convolution, for 28-32 px images")
    p.add_argument("--no-small-input", dest="small_input", action="store_false", help="the paper's stride-2 stem")
    p.add_argument("--epochs", type=checks.cli_whole(low=1, high=10_000), help="passes over the training set")
    p.add_argument("--batch-size", type=checks.cli_whole(low=1, high=65_536), help="images per step")
    p.add_argument("--lr", type=checks.cli_number(low=0, high=10, low_open=True),
                   help="peak learning rate of the one-cycle schedule, in (0, 10]")
    p.add_argument("--architecture", choices=ARCHITECTURES, default="MobileNet",
                   help="MobileNet (default), ConvMobileNet (full 3x3 convolutions, paper Table 4) or "
                        "ShallowMobileNet (five 14x14x512 blocks removed, Table 5)")
    p.add_argument("--dataset", choices=["fashion-mnist", "cifar10"], default="fashion-mnist", help="data set")
    p.add_argument("--data", metavar="PATH",
                   help="where the data set is: Fashion-MNIST's folder of four files; CIFAR-10's archive "
                        "cifar-10-python.tar.gz or the folder that holds it (default: look it up)")
    p.add_argument("--subset", type=checks.cli_whole(low=1), help="train on the first N training images only")
    p.add_argument("--threads", type=checks.cli_threads,
                   help="torch intra-op threads, at most 4 per CPU of the machine")
    p.add_argument("--seed", type=checks.cli_whole(low=0, high=2**32 - 1), default=0,
                   help="random seed (default 0)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (default auto)")
    p.add_argument("--checkpoint", metavar="FILE", help="save a checkpoint here after every epoch")
    p.add_argument("--resume", action="store_true",
                   help="continue from --checkpoint if it exists (with the same settings, or it is refused)")
    p.add_argument("--force", action="store_true", help="without --resume: replace an existing --checkpoint")
    p.add_argument("--metrics", metavar="FILE", help="write the metrics (with per-epoch history) as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(run=_train)

    p = commands.add_parser("report", help="compare results files from several machines in one table and plot",
                            description="Read results files written by `mobilenet-course bench --out` (from a "
                                        "laptop, a Raspberry Pi, ...) or copied from chapter 8's 'Measure on this "
                                        "device' (a browser's rows) and plot latency against mult-adds for all.")
    p.add_argument("files", nargs="+", metavar="FILE", help="results files (.json or .csv)")
    p.add_argument("--out", default="report.png", help="the plot to write: .png, .svg or .pdf (default report.png)")
    p.set_defaults(run=_report)

    p = commands.add_parser(
        "make-student", help="write the student edition of the book to OUT (no solutions; its Colab buttons open "
                             "the student notebooks at --repository)",
        description="Write the student edition into OUT, a repository to push to --repository: the chapters with "
                    "each exercise as its stub and no solution, their Colab edition, and a site configuration whose "
                    "launch buttons open those notebooks there. Needs the course's source (a clone). The edition is "
                    "made in a temporary folder beside OUT, searched for solutions, and moved into place when "
                    "complete. OUT must lie outside the course repository.")
    p.add_argument("out", help="folder to write (created if missing; must be empty unless --force)")
    p.add_argument("--repository", required=True, metavar="URL",
                   help="the GitHub repository the edition will be pushed to: https://github.com/ORG/REPO")
    p.add_argument("--branch", default="main", help="its branch (default main)")
    p.add_argument("--force", action="store_true",
                   help="replace an earlier edition in OUT (its book/, colab/, _toc.yml, _config.yml, package files "
                        "and README; nothing else, .git included)")
    p.add_argument("--book", default=".", help="the course's source, a clone of its repository (default: here)")
    p.set_defaults(run=_make_student)

    p = commands.add_parser(
        "grade", help="grade submitted notebooks into a CSV, with one feedback file per submission",
        description="Run each submitted notebook in a fresh kernel (each cell under --timeout seconds), then check "
                    "every exercise against the objects the notebook defined, with the checks of a fresh copy of "
                    "this package (never against printed text). Writes OUT (one row per submission: points per "
                    "exercise, total, error) and SUBMISSION.feedback.txt beside OUT for each submission.")
    p.add_argument("submissions", nargs="+", help="the notebooks handed in (SUBMISSION.ipynb ...)")
    p.add_argument("--out", default="grades.csv", help="the CSV to write (default grades.csv)")
    p.add_argument("--timeout", type=checks.cli_number(low=0, low_open=True), default=600, metavar="SECONDS",
                   help="the longest one cell may run before it is stopped (default 600)")
    p.set_defaults(run=_grade)

    p = commands.add_parser(
        "make-otter", help="write otter-grader master notebooks, one per chapter, to OUT",
        description="Write one otter-assign master notebook per chapter into OUT (runs_on: colab, each exercise a "
                    "question with a public test, the check's feedback, and a hidden test the grader runs). Then "
                    "`otter assign OUT/NN.ipynb DIST` writes the student notebook and the Gradescope autograder.")
    p.add_argument("out", help="folder to write (created if missing; must be empty unless --force)")
    p.add_argument("--force", action="store_true", help="replace the master notebooks already in OUT")
    p.add_argument("--tests-url", metavar="URL",
                   help="where students' notebooks download their public tests in Colab, with {chapter} for the "
                        "chapter's name (otter's tests.url_prefix), e.g. "
                        "https://raw.githubusercontent.com/ORG/REPO/main/otter/{chapter}/tests/; without it, students "
                        "upload the tests/ folder otter assign writes")
    p.add_argument("--book", default=".", help="the course's source, a clone of its repository (default: here)")
    p.set_defaults(run=_make_otter)
    return parser


EXPECTED_ERRORS = (ValueError, OSError, RuntimeError)
"""What a command may raise for a bad input: the package's own errors (``ArgumentError``, ``CheckpointError``,
``DataError``, ``StudentEditionError``, ``NoModelFits`` are ValueErrors; ``inference.Unavailable`` is a RuntimeError), files
that cannot be read or written, and what torch says about a checkpoint that does not fit. They print as their
message. Anything else still prints one line, with its class and a pointer to ``--debug``."""

MAX_MESSAGE = 1000
"""The longest error line main prints, in characters (torch's state-dict errors run to thousands)."""


def error_line(error: BaseException) -> str:
    """The one line :func:`main` prints for ``error``: ``mobilenet-course: error: ...``."""
    text = " ".join(str(error).split()) or "(no message)"
    if isinstance(error, KeyError) and len(error.args) == 1:
        text = f"missing key {error.args[0]!r}"
    if not isinstance(error, EXPECTED_ERRORS):
        text = f"{type(error).__name__}: {text} (unexpected: run with --debug for the traceback)"
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + f"... ({len(text) - MAX_MESSAGE} more characters; --debug shows them all)"
    return f"mobilenet-course: error: {text}"


def main(argv: list[str] | None = None) -> int:
    """Run ``mobilenet-course`` with ``argv`` (default: the process's arguments); returns the exit status.

    0 on success; 2 for any error, printed as one line on stderr, ``mobilenet-course: error: ...`` (after the
    command's usage line when the command line itself is wrong). With ``--debug`` the error is raised instead,
    with its traceback. ``--help`` exits through SystemExit(0), as argparse does.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as error:
        error.parser.print_usage(sys.stderr)
        print(error_line(ValueError(str(error))), file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except Exception as error:
        if args.debug:
            raise
        print(error_line(error), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

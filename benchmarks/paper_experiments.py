"""The paper's experiments in miniature: train every job of the sweep, then gather the rows into one results file.

    python benchmarks/paper_experiments.py                        # every job, one at a time, into sweep/
    python benchmarks/paper_experiments.py --workers 2 --threads 1   # two jobs at once, one thread each
    python benchmarks/paper_experiments.py --devices cuda:0,cuda:1 --workers 2   # one job on each of two GPUs
    python benchmarks/paper_experiments.py --seeds 0 --only MobileNet-0.25-20    # one configuration, one seed
    python benchmarks/paper_experiments.py --collect mobilenet_course/results/paper-experiments-amd-epyc-2-cores.json

Stop it at any time and start it again: a job with a row is skipped, a job with a checkpoint resumes from its last
finished epoch (mobilenet_course.experiments). The book's chapter 9 reads the collected file.
"""

import argparse
import sys
import time

from mobilenet_course import experiments

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="sweep", help="the sweep's folder: rows/, checkpoints/, logs/ (default sweep)")
parser.add_argument("--workers", type=int, default=1, help="jobs at once (default 1)")
parser.add_argument("--threads", type=int, help="torch threads per job (default: torch's own)")
parser.add_argument("--devices", default="cpu", help="comma-separated devices, one per worker in turn (default cpu)")
parser.add_argument("--seeds", default=",".join(map(str, experiments.SEEDS)), help="comma-separated seeds")
parser.add_argument("--only", action="append", default=[],
                    help="run only jobs whose id starts with this (repeatable), e.g. MobileNet-0.25-20")
parser.add_argument("--data", help="Fashion-MNIST's folder (default: looked up as `mobilenet-course train` does)")
parser.add_argument("--collect", metavar="FILE", help="gather the rows into FILE and stop (no training)")
args = parser.parse_args()

if args.collect:
    results = experiments.collect(args.out, args.collect)
    print(f"{len(results)} runs written to {args.collect}")
    sys.exit(0)
todo = [job for job in experiments.jobs([int(s) for s in args.seeds.split(",")])
        if not args.only or any(job.id.startswith(prefix) for prefix in args.only)]
began = time.perf_counter()
failed = experiments.run(args.out, todo, workers=args.workers, threads=args.threads,
                         devices=args.devices.split(","), data=args.data)
print(f"sweep: {len(todo) - len(failed)} of {len(todo)} jobs done in {time.perf_counter() - began:.0f} s"
      + (f"; failed: {', '.join(failed)}" if failed else ""))
sys.exit(1 if failed else 0)

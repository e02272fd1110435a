"""Train the course's default configuration on the full Fashion-MNIST training set and report accuracy and time.

    python benchmarks/train_fashion_mnist.py                 # the default preset: target >= 92% in <= 5 minutes on 2 cores
    python benchmarks/train_fashion_mnist.py --preset long   # the longer preset: target >= 94%

Prints progress per epoch; the last line is a JSON object with test_accuracy (a fraction), wall_s (the whole run:
loading data, building the model, training, evaluating), epochs, alpha, resolution and threads.
"""

import argparse
import json

import torch

from mobilenet_course.cli import TRAIN_PRESETS, run_training

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--preset", choices=sorted(TRAIN_PRESETS), default="default")
parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2, as on the 2-core machine that built the book)")
parser.add_argument("--checkpoint", metavar="FILE", help="also save the trained model there (for benchmarks/inference.py "
                    "--checkpoint)")
args = parser.parse_args()

config = TRAIN_PRESETS[args.preset]
print(f"preset {args.preset}: {config}; {args.threads} threads, torch {torch.__version__}", flush=True)
metrics = run_training(**config, threads=args.threads, checkpoint=args.checkpoint, progress=False)
targets = {"default": (0.92, 300.0), "long": (0.94, None)}[args.preset]
print(f"test accuracy {metrics['test_accuracy']:.4f} (target >= {targets[0]}), wall time {metrics['wall_s']:.0f} s"
      + (f" (target <= {targets[1]:.0f} s)" if targets[1] else ""))
print(json.dumps({k: v for k, v in metrics.items() if k != "history"}))

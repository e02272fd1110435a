"""Where a training epoch of the default preset goes: loader, forward, backward, optimizer, the per-epoch evaluation.

    python benchmarks/profile_epoch.py              # 2 threads, 100 training steps per variant, in turns
    python benchmarks/profile_epoch.py --steps 50 --threads 1

Times the steps of mobilenet_course.train.fit's loop one phase at a time (CPU work is synchronous, so a clock around
each phase measures it), for the default preset (0.5-MobileNet-28, stride-1 stem, batch 128, Fashion-MNIST, AdamW)
and for each change tried, all in one run and in turns; then projects each onto one epoch of 60,000 images plus one
evaluation of the 10,000 test images. Prints one line per variant and phase, and the ratio of each variant's epoch
to the baseline's.
"""

import argparse
import time

import torch
from torch import nn

import mobilenet_course as mc
from mobilenet_course import data

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=100, help="training steps timed per variant and round")
parser.add_argument("--rounds", type=int, default=2, help="rounds of all variants in turn (the best is kept)")
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)

splits = data.load_fashion_mnist(download=False)
train_loader, test_loader = data.loaders(splits, 28, batch_size=128)
steps_per_epoch = len(train_loader)

VARIANTS = {
    "baseline (as fit trains)": dict(channels_last=True, fused=False),
    "contiguous (NCHW) layout": dict(channels_last=False, fused=False),
    "AdamW fused": dict(channels_last=True, fused=True),
}


def profile(channels_last: bool, fused: bool) -> dict[str, float]:
    torch.manual_seed(0)
    model = mc.MobileNetV1(0.5, 28, 10, in_channels=1, small_input=True)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.004, weight_decay=0.05, fused=fused or None)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    phases = dict.fromkeys(("loader", "forward", "backward", "optimizer"), 0.0)
    batches = iter(train_loader)
    model.train()
    for step in range(args.steps + 5):
        t0 = time.perf_counter()
        x, y = next(batches)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        t1 = time.perf_counter()
        loss = loss_fn(model(x), y)
        t2 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        t3 = time.perf_counter()
        optimizer.step()
        t4 = time.perf_counter()
        if step >= 5:  # the first steps warm the allocator and the kernels
            for name, seconds in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                phases[name] += seconds
    per_epoch = {name: seconds / args.steps * steps_per_epoch for name, seconds in phases.items()}
    t = time.perf_counter()
    mc.train.evaluate(model, test_loader, "cpu", channels_last)
    per_epoch["evaluation"] = time.perf_counter() - t
    return per_epoch


best: dict[str, dict[str, float]] = {}
for round_ in range(args.rounds):
    for name, options in VARIANTS.items():
        result = profile(**options)
        if name not in best or sum(result.values()) < sum(best[name].values()):
            best[name] = result
print(f"torch {torch.__version__}, {args.threads} threads, {mc.bench.machine()['cpu']}; {steps_per_epoch} steps an "
      f"epoch; best of {args.rounds} rounds of {args.steps} steps, projected to one epoch (s)")
base = sum(best["baseline (as fit trains)"].values())
for name, phases in best.items():
    total = sum(phases.values())
    shares = ", ".join(f"{phase} {seconds:.1f} ({100 * seconds / total:.0f} %)" for phase, seconds in phases.items())
    print(f"{name}: epoch {total:.1f} s = {shares}; {total / base:.2f}x the baseline")

"""Data loading before and after issue 12: per-batch ImageDataset against the old convert-everything-up-front one.

On Fashion-MNIST at 28 px, prints in one run: (1) whether both give bit-identical batches (same statistics, same
augmentation draws); (2) one epoch of data loading over the full training split; (3) data + forward/backward of the
course's default model for 50 batches; each as a new/old time ratio (below 1: the new one is faster), best of 5 and
3, old and new interleaved. The old class is read from git (commit 6c19753), so run it in a clone of the repository:

    python benchmarks/data_loading.py            # THREADS=2 for two threads (default 1)
"""
import os
import re
import subprocess
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

import mobilenet_course as mc
from mobilenet_course import data

THREADS = int(os.environ.get("THREADS", "1"))
torch.set_num_threads(THREADS)

OLD_COMMIT = "6c19753"  # the last commit with the up-front ImageDataset
old_module = subprocess.run(["git", "show", f"{OLD_COMMIT}:mobilenet_course/data.py"], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[1]).stdout
OLD_SOURCE = re.search(r"^class ImageDataset\(Dataset\):.*?(?=^\S)", old_module, re.S | re.M).group(0)
exec(OLD_SOURCE.replace("class ImageDataset", "class OldImageDataset"))  # noqa: S102 - the old class, as it was


def make_loader(cls, images, labels, seed=0):
    dataset = cls(images, labels, 28, augment=True, seed=seed)
    return DataLoader(dataset, batch_size=128, shuffle=True, generator=torch.Generator().manual_seed(seed))


splits = data.load_fashion_mnist(download=False)
images, labels = splits["train"]

# (1) identical batches, epoch 2 of seed 7
loaders = {}
for name, cls in (("old", OldImageDataset), ("new", data.ImageDataset)):
    t = time.perf_counter()
    loaders[name] = make_loader(cls, images, labels)
    print(f"{name}: construction {time.perf_counter() - t:.2f} s, mean {loaders[name].dataset.mean!r}, "
          f"std {loaders[name].dataset.std!r}")
# The old statistics were float32 sums whose rounding depends on the thread count; compare the rest of the pipeline
# (padding, augmentation draws, flips, shifts) with both using the new, exact statistics.
old_dataset = loaders["old"].dataset
loaders["old"] = make_loader(lambda *a, **k: OldImageDataset(*a, mean=loaders["new"].dataset.mean,
                                                             std=loaders["new"].dataset.std, **k), images, labels)
same = True
for name in loaders:
    loaders[name].generator.manual_seed(7 * 1_000_003 + 2)
    loaders[name].dataset.set_epoch(2, 7)
for i, ((xo, yo), (xn, yn)) in enumerate(zip(loaders["old"], loaders["new"])):
    same &= torch.equal(xo, xn) and torch.equal(yo, yn)
    if i == 60:
        break
print(f"identical batches, given the same statistics (first 61 of an augmented epoch): {same}")
print(f"statistics: old - new: mean {old_dataset.mean - loaders['new'].dataset.mean:.2e}, "
      f"std {old_dataset.std - loaders['new'].dataset.std:.2e}")
del old_dataset


def epoch_time(loader):
    t = time.perf_counter()
    for x, y in loader:
        pass
    return time.perf_counter() - t


def train_time(loader, steps=50):
    torch.manual_seed(0)
    model = mc.MobileNetV1(0.5, 28, 10, in_channels=1, small_input=True).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    it = iter(loader)
    x, y = next(it)  # warm-up step, not timed (oneDNN builds its kernels)
    F.cross_entropy(model(x.contiguous(memory_format=torch.channels_last)), y).backward()
    t = time.perf_counter()
    for step, (x, y) in zip(range(steps), it):
        loss = F.cross_entropy(model(x.contiguous(memory_format=torch.channels_last)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - t


def best(measure, repeats):
    """Best time of each variant, old and new interleaved so that both see the same load on a shared machine."""
    times = {name: [] for name in loaders}
    for _ in range(repeats):
        for name, loader in loaders.items():
            times[name].append(measure(loader))
    return {name: min(t) for name, t in times.items()}


print(f"threads {THREADS}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
load = best(epoch_time, 5)
print(f"one epoch of data loading (60,000 images, augmented, batch 128): old {load['old']:.2f} s, "
      f"new {load['new']:.2f} s; ratio new/old {load['new'] / load['old']:.3f}")
fit = best(train_time, 3)
print(f"data + forward/backward of MobileNetV1(0.5, 28, small_input) for 50 batches: old {fit['old']:.2f} s, "
      f"new {fit['new']:.2f} s; ratio new/old {fit['new'] / fit['old']:.3f}")

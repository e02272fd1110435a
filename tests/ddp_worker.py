"""Run by tests/test_distributed.py under ``torchrun --nproc-per-node 2``: train 0.25-MobileNet-32 on a small
synthetic split with mobilenet_course.train.fit, and save this process's weights and history to OUT/rank{R}.pt.

    python -m torch.distributed.run --standalone --nproc-per-node 2 tests/ddp_worker.py OUT
"""

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from conftest import synthetic_splits  # noqa: E402

import mobilenet_course as mc  # noqa: E402
from mobilenet_course import data, train  # noqa: E402

out = Path(sys.argv[1])
rank, world = train.process_group()
torch.manual_seed(rank)  # different starting weights in each process: DistributedDataParallel must make them equal
model = mc.MobileNetV1(0.25, 32, 10, in_channels=1)
train_loader, test_loader = data.loaders(synthetic_splits(2000, 256), 32, batch_size=32, augment=False)
history = train.fit(model, train_loader, test_loader, epochs=3, lr=0.01, device="cpu", progress=False,
                    checkpoint=out / "checkpoint.pt")
torch.save({"rank": rank, "world": world, "state": model.state_dict(), "history": history.to_dicts(),
            "steps": len(train_loader)}, out / f"rank{rank}.pt")

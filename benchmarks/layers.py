"""Layer by layer: oneDNN, the library behind every fp32 torch path of the package, against ONNX Runtime.

    python benchmarks/layers.py                      # 1.0-MobileNet-224, batch 1, 2 threads
    python benchmarks/layers.py --model 0.5-MobileNet-160 --threads 4

Each conv-BN-ReLU row of paper Table 1 is folded and timed on its own, on its real input, twice: through oneDNN with
pre-packed weights and its own blocked memory layout (`torch.utils.mkldnn`, the kernels `torch.compile` calls, without
the compiled model's per-call overhead, which would swamp a single layer), and through the `onnxruntime` path of
`mobilenet_course.inference` (its own kernels, MLAS). One after the other, never in turns: ONNX Runtime's threads spin
after a call and would slow the next torch call. Prints each layer's median latency and achieved GFLOP/s, the totals
by kind of layer, and the machine's matmul peak, to show where a whole-model gap comes from. Every figure prints with
three significant digits, so that a small layer's few thousand mult-adds or a slow layer's rate below 1 GFLOP/s never
shows as 0. Needs onnxruntime and onnxscript (`pip install -e ".[deploy]"`).
"""

import argparse
import math
import warnings

import torch
from torch.utils import mkldnn

import mobilenet_course as mc
from mobilenet_course import bench, inference
from mobilenet_course.model import ConvBNAct

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", default="1.0-MobileNet-224", help="paper name of the model (default 1.0-MobileNet-224)")
parser.add_argument("--threads", type=int, default=2, help="torch and onnxruntime intra-op threads (default 2)")
parser.add_argument("--runs", type=int, default=100, help="timed runs per layer and path (default 100)")
args = parser.parse_args()
torch.set_num_threads(args.threads)
warnings.filterwarnings("ignore", category=UserWarning)
PATHS = ("oneDNN", "onnxruntime")


def significant(value: float, digits: int = 3) -> str:
    """``value`` with ``digits`` significant digits and no exponent: 0.000485, 0.0760, 12.3, 4812."""
    if value <= 0:  # never a measured time or rate; shown as it is rather than hidden
        return f"{value:g}"
    return f"{value:.{max(0, digits - 1 - math.floor(math.log10(value)))}f}"


model = mc.from_name(args.model).eval()
layers = [m for m in model.modules() if isinstance(m, ConvBNAct)]
inputs = {}
hooks = [layer.register_forward_hook(lambda m, i, o: inputs.__setitem__(m, i[0].detach())) for layer in layers]
with torch.no_grad():
    model(torch.randn(1, 3, model.resolution, model.resolution))
for hook in hooks:
    hook.remove()

totals = {}
print(f"{'layer':>5} {'kind':10} {'input':>16} {'M mult-adds':>11} " + " ".join(f"{p + ' ms':>15} {'GFLOP/s':>8}" for p in PATHS))
for index, layer in enumerate(layers):
    conv, x = layer[0], inputs[layer]
    kind = "depthwise" if conv.groups > 1 else "pointwise" if conv.kernel_size == (1, 1) else "full 3x3"
    mult_adds = mc.costs.profile(layer, tuple(x.shape[1:])).mult_adds
    cells = []
    packed, blocked = mkldnn.to_mkldnn(inference.fold_batch_norm(layer)), x.to_mkldnn()
    calls = {"oneDNN": lambda: packed(blocked), "onnxruntime": lambda: ort(x)}
    ort = inference.prepare("onnxruntime", layer, x)
    for path in PATHS:
        with torch.no_grad():
            t = bench.time_call(calls[path], warmup=10, runs=args.runs)
        totals[kind, path] = totals.get((kind, path), 0.0) + t.median_ms
        cells.append(f"{significant(t.median_ms):>15} {significant(2 * mult_adds / t.median_ms / 1e6):>8}")
    shape = "x".join(str(d) for d in x.shape[1:])
    print(f"{index:5} {kind:10} {shape:>16} {significant(mult_adds / 1e6):>11} " + " ".join(cells), flush=True)

print("\nsum of layer medians, by kind (each layer alone; for ONNX Runtime, conversions at its edges included):")
for kind in ("full 3x3", "depthwise", "pointwise"):
    print(f"  {kind:10} " + ", ".join(f"{path} {significant(totals[kind, path])} ms" for path in PATHS))
print("  all        " + ", ".join(f"{path} {significant(sum(v for (k, p), v in totals.items() if p == path))} ms"
                              for path in PATHS))
print(f"matmul peak of this machine: {bench.matmul_peak(threads=args.threads):.0f} GFLOP/s fp32 ({args.threads} threads)")
m = bench.machine()
print(f"machine: {m['cpu']}, {m['cores']} cores, {m['arch']}, torch {m['torch']}")

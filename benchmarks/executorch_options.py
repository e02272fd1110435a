"""What ExecuTorch's options change: the XNNPACK export of one model tried several ways, timed in turns in one run.

    python benchmarks/executorch_options.py                       # 1.0-MobileNet-224, batch 1, 2 threads
    python benchmarks/executorch_options.py --model 0.25-MobileNet-128

The package's `executorch` path (mobilenet_course.deploy.to_pte: torch.export, XnnpackPartitioner with its defaults,
an NCHW input) against variants that change one thing each:

- channels_last: the example (and so the program's input) in NHWC dim order, which XNNPACK computes in, so the first
  layer needs no transpose;
- fold_bn: batch norm folded into the convolutions before export (XNNPACK's own passes fuse it too);
- per_op: the partitioner's per_op_mode, one delegate call per operator instead of one for the whole network.

onnxruntime is timed in the same turns as the reference. ExecuTorch's thread pool belongs to the process, so the
thread count is compared in a second round: ExecuTorch and onnxruntime both on one thread. Each line gives the median
with p10 and p90 and the ratio to onnxruntime of that round; the last line is a JSON object of the ratios.
"""

import argparse
import functools
import json

import torch

import mobilenet_course as mc
from mobilenet_course import bench, deploy, inference

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", default="1.0-MobileNet-224", help="paper name of the model to time")
parser.add_argument("--threads", type=int, default=2, help="threads of both runtimes (default 2)")
parser.add_argument("--runs", type=int, default=100, help="timed runs of each variant, in turns (default 100)")
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
model = mc.from_name(args.model).eval()
x = torch.randn(1, model.in_channels, model.resolution, model.resolution)


def executorch(source: torch.nn.Module, example: torch.Tensor, **partitioner) -> deploy.DeployedModel:
    if partitioner:  # the package's to_pte takes the default partitioner; this variant builds its own
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
        from executorch.exir import to_edge_transform_and_lower

        exported = torch.export.export(source, (example,))
        data = to_edge_transform_and_lower(exported, partitioner=[XnnpackPartitioner(**partitioner)]).to_executorch().buffer
    else:
        data = deploy.to_pte(source, example)
    return deploy.DeployedModel(data, "pte", threads=args.threads, name="variant")


nhwc = x.contiguous(memory_format=torch.channels_last)
variants = {
    "executorch": (executorch(model, x), x),
    "channels_last": (executorch(model, nhwc), nhwc),
    "fold_bn": (executorch(inference.fold_batch_norm(model), x), x),
    "per_op": (executorch(model, x, per_op_mode=True), x),
}
onnx = inference.prepare("onnxruntime", model, x)
with torch.no_grad():
    expected = model(x)
for name, (run, example) in variants.items():
    difference = (run(example) - expected).abs().max().item()
    print(f"built {name}: logits within {difference:.1e} of eager fp32", flush=True)
fns = {name: functools.partial(run, example) for name, (run, example) in variants.items()}
fns["onnxruntime"] = functools.partial(onnx, x)
with torch.inference_mode():
    timings = bench.time_interleaved(fns, warmup=20, runs=args.runs, block=10)
ratios = {}
print(f"{model.name}, batch 1, {args.threads} threads, {args.runs} runs each in turns")
for name, t in timings.items():
    ratios[name] = round(t.median_ms / timings["onnxruntime"].median_ms, 3)
    print(f"{name:14} {t}  {ratios[name]:.2f}x onnxruntime")

# The same on one thread: ExecuTorch's pool is resized for the whole process, onnxruntime gets a new session.
torch.set_num_threads(1)
single = {"executorch": deploy.DeployedModel(deploy.to_pte(model, x), "pte", threads=1, name="1 thread"),
          "onnxruntime": inference.prepare("onnxruntime", model, x)}
with torch.inference_mode():
    one = bench.time_interleaved({k: functools.partial(f, x) for k, f in single.items()}, warmup=10,
                                 runs=args.runs // 2, block=10)
ratios["executorch_1_thread"] = round(one["executorch"].median_ms / one["onnxruntime"].median_ms, 3)
ratios["executorch_threads_vs_1"] = round(timings["executorch"].median_ms / one["executorch"].median_ms, 3)
for name, t in one.items():
    print(f"{name + ', 1 thread':24} {t}")
print(f"on one thread ExecuTorch took {ratios['executorch_1_thread']:.2f}x onnxruntime's time; on {args.threads} "
      f"threads it took {ratios['executorch_threads_vs_1']:.2f}x its one-thread time (rounds timed one after the other)")
m = bench.machine()
print(f"machine: {m['cpu']}, {m['cores']} cores, {m['arch']}, torch {m['torch']}; "
      f"int8 dot product: {bench.int8_dot_product() or 'none'}")
print(json.dumps({"model": model.name, "threads": args.threads, "ratio_to_onnxruntime": ratios,
                  "median_ms": {k: round(t.median_ms, 4) for k, t in timings.items()}}))

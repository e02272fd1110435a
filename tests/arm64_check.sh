#!/usr/bin/env bash
# The Raspberry Pi route on the Pi's instruction set, under emulation (never timed): a file exported on this x86
# machine runs on Debian arm64 with ExecuTorch's runtime and gives the same top-1 predictions, and the two ExecuTorch
# inference paths pass their tests there.
#
#   sudo bash ../shared/tools/arm64-env.sh          # Debian bookworm arm64 in /tmp/arm64, under qemu-user
#   sudo tests/arm64_check.sh [ARM64_ROOT] [VENV]   # default /tmp/arm64 and /opt/venv210 inside it
#
# The versions on arm64 are not x86's: PyPI's aarch64 torch 2.11 to 2.15 are CUDA builds that do not import without
# NVIDIA's libraries (PyPI has no aarch64 cuDNN), and executorch 1.5.1's extension loads beside PyPI's newest aarch64
# CPU torch, 2.10.0, but fails on its first call ("tensor does not have a device": it is built for torch 2.11's
# tensors). So arm64 gets torch 2.10.0 with executorch 1.1.0, the release made for it: the files exported here with
# executorch 1.5.1 must run on that runtime too. A Raspberry Pi takes torch from PyTorch's CPU index, not reachable
# from this machine, and the executorch release made for it.
set -euo pipefail
root=${1:-/tmp/arm64}
venv=${2:-/opt/venv210}
here=$(cd "$(dirname "$0")/.." && pwd)
py=$here/.venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# as in an activated venv: its bin/ first on PATH (executorch's lowering runs its flatc from there)
in_arm64() { chroot "$root" env -u PIP_FIND_LINKS PIP_CERT=/etc/ssl/certs/ca-certificates.crt PYTHONPATH=/course \
  OMP_NUM_THREADS=2 PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" "$@"; }

# 1. The arm64 side: the course's source at /course (its tracked files), and the venv.
rm -rf "$root/course" && mkdir -p "$root/course"
git -C "$here" ls-files -z mobilenet_course tests | (cd "$here" && xargs -0 cp --parents -t "$root/course")
if ! in_arm64 "$venv/bin/python" -c "import torch, executorch.runtime, torchao, mobilenet_course" 2>/dev/null; then
  [ -x "$root$venv/bin/python" ] || in_arm64 python3 -m venv "$venv"
  in_arm64 "$venv/bin/pip" install -q "torch==2.10.0"
  in_arm64 "$venv/bin/pip" install -q "executorch==1.1.0" matplotlib tqdm pooch torchinfo pytest hypothesis
fi
echo "arm64: $(in_arm64 "$venv/bin/python" -c 'import platform, torch, executorch.version; print(platform.machine(), "torch", torch.__version__, "executorch", executorch.version.__version__)')"

# 2. On x86: a small model trained on Fashion-MNIST, exported in fp32 and int8, and its predictions here.
"$py" -m mobilenet_course.cli train --alpha 0.25 --subset 6000 --epochs 2 --batch-size 64 --no-progress \
  --checkpoint "$work/small.pt" >/dev/null
for kind in fp32 int8; do
  "$py" -m mobilenet_course.cli export "$work/small.pt" $([ $kind = int8 ] && echo --int8) --out "$work/small-$kind.pte"
  cp "$work/small-$kind.pte" "$root/tmp/small-$kind.pte"
  "$py" -m mobilenet_course.cli bench --pte "$work/small-$kind.pte" --runs 3 --warmup 1 --min-time 0 \
    --out "$work/x86-$kind.json" >/dev/null
  in_arm64 "$venv/bin/python" -m mobilenet_course.cli bench --pte "/tmp/small-$kind.pte" --runs 3 --warmup 1 \
    --min-time 0 --out "/tmp/arm64-$kind.json" >/dev/null
  cp "$root/tmp/arm64-$kind.json" "$work/arm64-$kind.json"
  "$py" - "$work/x86-$kind.json" "$work/arm64-$kind.json" "$kind" <<'EOF'
import json, sys
x86, arm = (json.load(open(path))[-1] for path in sys.argv[1:3])
assert arm["machine"]["arch"] == "aarch64" and x86["machine"]["arch"] == "x86_64", (arm["machine"], x86["machine"])
assert x86["file_bytes"] == arm["file_bytes"], "not the same file"
same = sum(a == b for a, b in zip(x86["check_top1"], arm["check_top1"]))
print(f"{sys.argv[3]}: the same file on x86_64 and aarch64: {same} of {len(x86['check_top1'])} top-1 predictions "
      f"equal on the fixed check batch ({' '.join(map(str, arm['check_top1']))})")
assert same == len(x86["check_top1"]), (x86["check_top1"], arm["check_top1"])
EOF
done

# 3. The two ExecuTorch inference paths' tests, on arm64.
in_arm64 sh -c "cd /course/tests && $venv/bin/python -m pytest -q -p no:cacheprovider test_inference.py \
  -k 'executorch' -o addopts='' -p no:rerunfailures"
echo "arm64 check passed (behaviour only: emulated timings say nothing about a Raspberry Pi's speed)"

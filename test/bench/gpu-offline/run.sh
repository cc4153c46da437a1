#!/bin/bash
# Runs `npm run bench -- gpu` from dist/gpu-offline (pack.mjs) on a GPU machine without network or Node.js, from the
# repository root: unpacks Node.js and the modules, finds CUDA 13's runtime and cuBLAS (a CUDA toolkit, or PyTorch's
# nvidia-* wheels) and the driver, runs the bench, and leaves run.log and benchmarks.md (its gpu section) in $OUT.
OUT=${OUT:-/tmp/hotpath-gpu-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/run.log") 2>&1
here=dist/gpu-offline
T0=$(date +%s)
t() { echo "[+$(($(date +%s) - T0))s] $*"; }
t start
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tail -2
lscpu | grep -E 'Model name|^CPU\(s\)'
# Python's lzma, not the xz command: the GPU image has python3, not necessarily xz.
python3 - "$here" <<'PY' || exit 1
import lzma, os, shutil, sys, tarfile
here = sys.argv[1]
with lzma.open(f"{here}/node.xz") as s, open(f"{here}/node", "wb") as d:
    shutil.copyfileobj(s, d)
os.chmod(f"{here}/node", 0o755)
with tarfile.open(f"{here}/modules.tar.xz", "r:xz") as tf:
    tf.extractall(here)
PY
t "unpacked: $("$here/node" -v)"
LIBDIRS=$(python3 - <<'PY'
import os, site, sys
want = {"libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcuda.so.1"}
roots = site.getsitepackages() + ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
                                  "/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu"]
found = {}
for r in roots:
    for dirpath, _, files in os.walk(r):
        for f in files:
            if f in want and f not in found:
                found[f] = dirpath
print(":".join(dict.fromkeys(found.values())))
print(f"CUDA libraries: {found}; missing: {sorted(want - set(found))}", file=sys.stderr)
PY
)
export LD_LIBRARY_PATH="$LIBDIRS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# PTX compiled by the driver is cached on disk: the bench's processes share what the first compiled.
export CUDA_CACHE_PATH=/tmp/hotpath-nv-cache CUDA_CACHE_MAXSIZE=4294967296
mkdir -p "$here/docs" && cp docs/benchmarks.md "$here/docs/benchmarks.md"
"$here/node" "$here/test/bench/gpu.js" gpu "$@"
rc=$?
t "bench exit $rc"
cp "$here/docs/benchmarks.md" "$OUT/benchmarks.md"
exit $rc

#!/usr/bin/env bash
# Checks that LIBTORCH (a PyTorch install's torch/ directory) holds a libtorch fbw can build
# against: headers, libtorch.so, version 2.6 or newer.  Prints "VERSION cpu|cuda" and exits 0,
# or says what is wrong and how to fix it and exits 1.  Called by the Makefile before building.
set -u
dir="${1:-}"
fix="run 'make deps' (it installs PyTorch into .venv), or point the build at a PyTorch 2.6+
install with 'make LIBTORCH=<site-packages>/torch' (python3 -c 'import torch, os;
print(os.path.dirname(torch.__file__))' prints that directory)"
if [ -z "$dir" ]; then
    echo "fbw build: no libtorch found (no .venv/lib/python3*/site-packages/torch);" >&2
    echo "  $fix" >&2
    exit 1
fi
hdr=""
for h in include/torch/headeronly/version.h include/torch/csrc/api/include/torch/version.h; do
    if grep -q '#define TORCH_VERSION_MAJOR' "$dir/$h" 2>/dev/null; then hdr="$dir/$h"; break; fi
done
if [ -z "$hdr" ] || [ ! -e "$dir/lib/libtorch.so" ]; then
    echo "fbw build: LIBTORCH=$dir is not a PyTorch torch/ directory (no include/torch version" >&2
    echo "  header or no lib/libtorch.so); $fix" >&2
    exit 1
fi
major=$(awk '/#define TORCH_VERSION_MAJOR/ {print $3}' "$hdr")
minor=$(awk '/#define TORCH_VERSION_MINOR/ {print $3}' "$hdr")
patch=$(awk '/#define TORCH_VERSION_PATCH/ {print $3}' "$hdr")
if [ "$major" -lt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -lt 6 ]; }; then
    echo "fbw build: libtorch $major.$minor.$patch in $dir is too old: fbw needs 2.6 or newer" >&2
    echo "  (AOTInductor's package loader, scaled_dot_product_attention); $fix" >&2
    exit 1
fi
kind=cpu
[ -e "$dir/lib/libtorch_cuda.so" ] && kind=cuda
echo "$major.$minor.$patch $kind"

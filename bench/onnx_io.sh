#!/bin/sh
# Load+save an ONNX model with sp's reader/writer and compare with cp.
#
#   bench/onnx_io.sh BUILD_DIR MODEL.onnx [RUNS]
#
# Prints the best time of RUNS (default 5) for cp, for sp_onnx_load +
# sp_onnx_save (bench/onnx_copy.c, built here against BUILD_DIR's libraries),
# and for the same writing external data, with each ratio to cp.
# A big model to try: /usr/bin/python3 -c "import torch, torchvision;
#   torch.onnx.export(torchvision.models.resnet50().eval(),
#   torch.randn(1, 3, 224, 224), '/tmp/resnet50.onnx')"
set -eu
build=$(cd "$1" && pwd)
model=$2
runs=${3:-5}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/sp-bench-onnx-io-XXXXXX)
trap 'rm -rf "$work"' EXIT

lib() { find "$build" -name "lib$1.a" | head -n 1; }
${CC:-cc} -O2 -std=c11 -I"$src/include" -I"$build/gen" "$src/bench/onnx_copy.c" \
  "$(lib sp_onnx)" "$(lib sp_onnx_proto)" "$(lib sp_support)" -lprotobuf-c -lm \
  -o "$work/onnx_copy"

best() { # best wall time in seconds of running "$@" $runs times
  b=
  for _ in $(seq "$runs"); do
    t0=$(date +%s.%N)
    "$@"
    t=$(echo "$(date +%s.%N) - $t0" | bc)
    if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
  done
  echo "$b"
}

size=$(stat -c %s "$model")
cp_t=$(best cp "$model" "$work/cp.onnx")
sp_t=$(best "$work/onnx_copy" "$model" "$work/sp.onnx")
ext_t=$(best "$work/onnx_copy" "$model" "$work/ext.onnx" 1024)
cmp -s "$model" "$work/sp.onnx" && same="byte-identical" || same="differs"
printf '%s: %d MB, best of %d\n' "$(basename "$model")" $((size / 1000000)) "$runs"
printf '  cp                      %.3f s\n' "$cp_t"
printf '  sp load+save            %.3f s  %.2fx cp  (%s)\n' "$sp_t" \
  "$(echo "$sp_t / $cp_t" | bc -l)" "$same"
printf '  sp load+save external   %.3f s  %.2fx cp\n' "$ext_t" \
  "$(echo "$ext_t / $cp_t" | bc -l)"

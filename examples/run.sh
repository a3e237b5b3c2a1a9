#!/usr/bin/env bash
# The example `make run` runs (after `make deps build`), from the repository root:
#   1. sp-opt reads examples/fashion_resnet.onnx (a small ResNet trained on Fashion-MNIST
#      by examples/train_fashion_cnn.py), prints its parameter and MAC counts
#      (sp-model-stats) and writes the model back out as ONNX;
#   2. sp-translate shows the same model in sp's nn dialect (MLIR);
#   3. examples/compare_ort.py runs the original and the round-tripped model in ONNX
#      Runtime on Fashion-MNIST test images: same accuracy, same logits (<= 1e-5);
#   4. examples/prune_report.py prunes it at three ratios and prints parameters, MACs,
#      ONNX Runtime latency and top-1 (sp-run), also after sp-recalibrate-bn and after
#      a short fine-tune with sp-train.
# Environment: BUILD (default build), SP_EXAMPLE_IMAGES (default 1000),
# SP_EXAMPLE_TUNE_IMAGES (training images per fine-tune, default 20000),
# SP_EXAMPLE_KEEP=1 keeps the temporary directory.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
MODEL=examples/fashion_resnet.onnx
IMAGES=${SP_EXAMPLE_IMAGES:-1000}
PYTHON=/usr/bin/python3  # Debian's numpy/onnx; the python3 first on PATH may lack them

for tool in sp-opt sp-translate; do
  if [ ! -x "$BUILD/tools/$tool" ]; then
    echo "examples/run.sh: $BUILD/tools/$tool not found; run 'make build' first" >&2
    exit 1
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sp-example.XXXXXX")
if [ "${SP_EXAMPLE_KEEP:-0}" = 1 ]; then
  trap 'echo "(kept $tmp)"' EXIT
else
  trap 'rm -rf "$tmp"' EXIT
fi

echo "== 1. sp-opt: import $MODEL, count parameters and MACs, export again"
# --dim batch=1 makes every shape static for exact counts; the round trip keeps the
# symbolic batch.
echo "\$ sp-opt $MODEL --dim batch=1 --pass-pipeline='builtin.module(sp-model-stats)' -o /dev/null"
"$BUILD/tools/sp-opt" "$MODEL" --dim batch=1 --pass-pipeline='builtin.module(sp-model-stats)' \
  -o /dev/null 2>&1
echo "\$ sp-opt $MODEL -o \$tmp/roundtrip.onnx"
"$BUILD/tools/sp-opt" "$MODEL" -o "$tmp/roundtrip.onnx"
printf '%s: %s bytes; %s: %s bytes\n' "$MODEL" "$(stat -c %s "$MODEL")" \
  roundtrip.onnx "$(stat -c %s "$tmp/roundtrip.onnx")"

echo
echo "== 2. sp-translate: the model in sp's nn dialect (MLIR)"
echo "\$ sp-translate --import-onnx $MODEL -o \$tmp/model.mlir"
"$BUILD/tools/sp-translate" --import-onnx "$MODEL" -o "$tmp/model.mlir"
# Weights are nn.Initializer ops; show the first few, then the first network ops.
# Long lines are cut at 150 columns.
ops=$(grep -c '= "nn\.\|= "onnx\.' "$tmp/model.mlir" || true)
inits=$(grep -c '= "nn\.Initializer"' "$tmp/model.mlir" || true)
echo "($(wc -l <"$tmp/model.mlir") lines, $ops ops of which $inits nn.Initializer; excerpt:)"
awk '/func\.func @main/ { print; next }
     /= "nn\.Initializer"/ { if (++inits <= 2) print; else if (inits == 3) print "    ..."; next }
     /= "(nn|onnx)\./ { if (++ops <= 6) print; else if (ops == 7) print "    ..." }' \
  "$tmp/model.mlir" | cut -c1-150

echo
echo "== 3. ONNX Runtime: original vs round-tripped model on $IMAGES Fashion-MNIST test images"
"$PYTHON" examples/compare_ort.py "$MODEL" "$tmp/roundtrip.onnx" -n "$IMAGES"

echo
echo "== 4. Prune: dependency groups, L2 importance, prune-and-shrink, canonicalize;"
echo "      then adaptive BatchNorm (sp-recalibrate-bn) on 512 training images, or a"
echo "      fine-tune: sp-train pruned.onnx --data fashion-mnist --epochs 1 -o tuned.onnx"
echo "\$ sp-opt $MODEL --pass-pipeline='builtin.module(sp-canonicalize,sp-dependency-groups,sp-importance{criterion=l2},sp-prune{ratio=R round-to=4},sp-canonicalize)' -o pruned.onnx"
"$PYTHON" examples/prune_report.py --build "$BUILD" --ratios "${SP_EXAMPLE_RATIOS:-0.1,0.25,0.5}" \
  --tune-images "${SP_EXAMPLE_TUNE_IMAGES:-20000}"

#!/bin/sh
# sp-run CLI: --random/--bench output format, --input-dir/--output-dir round trip,
# --dim, usage errors and exit codes, --eval-idx on Fashion-MNIST (when installed)
# with a constant classifier (predicts class 0: exactly 10% of the balanced test set).
set -eu
SP_RUN=$1
PY=${SP_PYTHON:-/usr/bin/python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$PY" - "$T" <<'PYEOF'
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto as TP
d = sys.argv[1]
w = numpy_helper.from_array(np.zeros((784, 10), np.float32), 'W')
b = numpy_helper.from_array(np.array([1] + [0] * 9, np.float32), 'b')
shape = numpy_helper.from_array(np.array([-1, 784], np.int64), 'shape')
g = helper.make_graph(
    [helper.make_node('Reshape', ['x', 'shape'], ['flat']),
     helper.make_node('Gemm', ['flat', 'W', 'b'], ['y'])],
    'const_classifier', [helper.make_tensor_value_info('x', TP.FLOAT, ['batch', 1, 28, 28])],
    [helper.make_tensor_value_info('y', TP.FLOAT, ['batch', 10])], [w, b, shape])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), f'{d}/clf.onnx')
# a GEMM large enough for OpenBLAS's kernels (core swap check below)
rng = np.random.default_rng(0)
g = helper.make_graph(
    [helper.make_node('MatMul', ['x', 'W'], ['y'])], 'matmul',
    [helper.make_tensor_value_info('x', TP.FLOAT, [96, 256])],
    [helper.make_tensor_value_info('y', TP.FLOAT, [96, 192])],
    [numpy_helper.from_array(rng.standard_normal((256, 192)).astype(np.float32), 'W')])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), f'{d}/mm.onnx')
PYEOF

# --random with a symbolic dim, summary on stdout
"$SP_RUN" "$T/clf.onnx" --random --dim batch=3 > "$T/out.txt"
grep -q '^y: \[3, 10\] float: 1 0 0' "$T/out.txt" || fail "random run: $(cat "$T/out.txt")"

# --bench prints exactly one line
"$SP_RUN" "$T/clf.onnx" --bench 5 --threads 1 > "$T/bench.txt"
[ "$(wc -l < "$T/bench.txt")" -eq 1 ] || fail "bench printed more than one line"
grep -Eq '^latency_ms median=[0-9.]+ min=[0-9.]+$' "$T/bench.txt" || fail "bench: $(cat "$T/bench.txt")"

# --profile: one line per op type; --profile=nodes: one per node, named by its output
"$SP_RUN" "$T/clf.onnx" --bench 2 --threads 1 --profile 2> "$T/prof.txt" > /dev/null
grep -Eq '^Gemm +[0-9.]+ ms +5 calls' "$T/prof.txt" || fail "profile: $(cat "$T/prof.txt")"
"$SP_RUN" "$T/clf.onnx" --bench 2 --threads 1 --profile=nodes 2> "$T/prof.txt" > /dev/null
grep -Eq '^y \[Gemm\] +[0-9.]+ ms +5 calls' "$T/prof.txt" || fail "profile=nodes: $(cat "$T/prof.txt")"
grep -Eq '^flat \[Reshape\] ' "$T/prof.txt" || fail "profile=nodes: $(cat "$T/prof.txt")"
if "$SP_RUN" "$T/clf.onnx" --bench 2 --profile=layers 2> "$T/err.txt"; then fail "--profile=layers accepted"; fi
grep -q "profile" "$T/err.txt" || fail "profile usage: $(cat "$T/err.txt")"

# --input-dir / --output-dir
"$PY" -c "
import numpy as np, sys; sys.path.insert(0, '$(dirname "$0")/../tools'); import ortlib
ortlib.save_pb(np.ones((2, 1, 28, 28), np.float32), '$T/input_0.pb', 'x')"
"$SP_RUN" "$T/clf.onnx" --input-dir "$T" --output-dir "$T/o"
"$PY" -c "
import sys; sys.path.insert(0, '$(dirname "$0")/../tools'); import ortlib
y = ortlib.load_pb('$T/o/output_0.pb'); assert y.shape == (2, 10) and y[0, 0] == 1, y"

# errors: usage 2, runtime error 1 with a one-line message naming the file
set +e
"$SP_RUN" > /dev/null 2>&1; [ $? -eq 2 ] || fail "no model: want exit 2"
"$SP_RUN" "$T/missing.onnx" 2> "$T/err.txt"; [ $? -eq 1 ] || fail "missing model: want exit 1"
grep -q 'missing.onnx' "$T/err.txt" || fail "error does not name the file"
"$SP_RUN" "$T/clf.onnx" 2> "$T/err.txt"; [ $? -eq 1 ] || fail "no inputs: want exit 1"
set -e

# --eval-idx (Debian dataset-fashion-mnist)
FM=/usr/share/datasets/fashion-mnist
if [ -f "$FM/t10k-images-idx3-ubyte.gz" ]; then
  "$SP_RUN" "$T/clf.onnx" --eval-idx "$FM/t10k-images-idx3-ubyte.gz" "$FM/t10k-labels-idx1-ubyte.gz" \
      --mean 0.2860 --std 0.3530 > "$T/acc.txt"
  grep -q '^accuracy top1=0.1000 (1000/10000)$' "$T/acc.txt" || fail "eval: $(cat "$T/acc.txt")"
fi
# OpenBLAS core: force the generic Prescott kernels on a CPU with AVX2 (what
# Debian's OpenBLAS does by itself on some AVX-512 Xeons). A core the user named
# is kept, with one hint line naming OPENBLAS_CORETYPE (from --blas-core and from
# --bench; a plain run stays quiet); SP_BLAS_CORE=auto swaps it for the core this CPU wants, and the
# model computes the same numbers on it.
if grep -qw avx2 /proc/cpuinfo; then
  OPENBLAS_CORETYPE=Prescott "$SP_RUN" --blas-core > "$T/core.txt" 2> "$T/hint.txt"
  [ "$(cat "$T/core.txt")" = Prescott ] || fail "blas-core: $(cat "$T/core.txt")"
  grep -q "^sp: hint: OpenBLAS runs the 'Prescott' kernels .*set OPENBLAS_CORETYPE=" "$T/hint.txt" ||
    fail "no OpenBLAS hint: $(cat "$T/hint.txt")"
  OPENBLAS_CORETYPE=Prescott "$SP_RUN" "$T/clf.onnx" --random --bench 1 > /dev/null 2> "$T/hint.txt"
  [ "$(grep -c 'OPENBLAS_CORETYPE=' "$T/hint.txt")" -eq 1 ] || fail "bench hint: $(cat "$T/hint.txt")"
  # a plain run with a named core stays quiet (the user chose it)
  OPENBLAS_CORETYPE=Prescott "$SP_RUN" "$T/clf.onnx" --random -q 2> "$T/hint.txt"
  [ ! -s "$T/hint.txt" ] || fail "run hint: $(cat "$T/hint.txt")"
  OPENBLAS_CORETYPE=Prescott SP_BLAS_CORE=auto "$SP_RUN" --version > "$T/ver.txt" 2> "$T/hint.txt"
  grep -Eq "^openblas: (Haswell|SkylakeX) \(OpenBLAS chose Prescott; sp swapped it" "$T/ver.txt" ||
    fail "no core swap: $(cat "$T/ver.txt")"
  [ ! -s "$T/hint.txt" ] || fail "hint after the swap: $(cat "$T/hint.txt")"
  mkdir "$T/prescott" "$T/swapped"
  OPENBLAS_CORETYPE=Prescott SP_BLAS_CORE=keep "$SP_RUN" "$T/mm.onnx" --random --seed 3 \
      --output-dir "$T/prescott" -q 2> /dev/null
  OPENBLAS_CORETYPE=Prescott SP_BLAS_CORE=auto "$SP_RUN" "$T/mm.onnx" --random --seed 3 \
      --output-dir "$T/swapped" -q
  "$PY" - "$T" <<'PYEOF' || fail "outputs differ after the core swap"
import sys, numpy as np, onnx
from onnx import numpy_helper
d = sys.argv[1]
a, b = (numpy_helper.to_array(onnx.load_tensor(f'{d}/{k}/output_0.pb')) for k in ('prescott', 'swapped'))
assert a.shape == (96, 192) and np.abs(a).max() > 1, a.shape
assert np.allclose(a, b, rtol=1e-5, atol=1e-5), np.abs(a - b).max()
PYEOF
fi
echo "sp-run CLI: ok"

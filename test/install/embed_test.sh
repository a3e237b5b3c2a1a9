#!/usr/bin/env bash
# install.embed: install sp to a temporary prefix, build examples/embed against it
# twice (CMake find_package(SP) and a pkg-config compile line), run both and check
# them against the installed tools:
#   - the pruned model the C API wrote is byte-identical to sp-opt's for the same pipeline
#   - MACs went down, a bad pass option is refused with one error line
#   - the runtime's accuracy on 1,000 test images equals sp-run --eval-idx on sp-opt's model
#   - a runtime-only program links libsp_runtime.so and no MLIR/LLVM
#   - the installed libSPPlugin.so loads into mlir-opt-19
#   - docs/c-api.md's host program compiles with pkg-config and halves MACs
# usage: embed_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install.embed: FAIL: $*" >&2; exit 1; }

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/sp-opt bin/sp-run lib/libsp.so lib/libSPPlugin.so lib/libsp_runtime.so include/sp/sp.h \
         include/sp/onnx/onnx.pb-c.h lib/cmake/SP/SPConfig.cmake \
         lib/cmake/SP/SPConfigVersion.cmake lib/pkgconfig/sp.pc lib/pkgconfig/sp-runtime.pc; do
  [ -e "$prefix/$f" ] || fail "$f was not installed"
done

# The installed plugin loads into Debian's mlir-opt and lists sp's passes.
plugin_help=$(/usr/lib/llvm-19/bin/mlir-opt --load-pass-plugin="$prefix/lib/libSPPlugin.so" --help)
grep -q -- '--sp-prune ' <<<"$plugin_help" || fail "the installed libSPPlugin.so does not register sp-prune"

# The same example, once through CMake's package and once through pkg-config.
cmake -S "$src/examples/embed" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cc -std=c11 -Wall -Wextra -Werror "$src/examples/embed/embed.c" -o "$tmp/embed-pc" \
   $(pkg-config --cflags --libs sp) -Wl,-rpath,"$prefix/lib"
cc -std=c11 -Wall -Wextra -Werror "$src/examples/embed/run_model.c" -o "$tmp/run_model-pc" \
   $(pkg-config --cflags --libs sp-runtime) -Wl,-rpath,"$prefix/lib"

# docs/c-api.md's host program, as printed there, builds and prunes.
sed -n '/^```c$/,/^```$/p' "$src/docs/c-api.md" | sed '1d;$d' >"$tmp/host.c"
[ -s "$tmp/host.c" ] || fail "no C block in docs/c-api.md"
cc -std=c11 -Wall -Wextra -Werror "$tmp/host.c" -o "$tmp/host" $(pkg-config --cflags --libs sp) \
   -Wl,-rpath,"$prefix/lib"
host_out=$("$tmp/host" "$src/examples/fashion_resnet.onnx" "$tmp/host.onnx")
echo "docs/c-api.md host: $host_out"
grep -q "^MACs 9345920 -> [0-9]*$" <<<"$host_out" || fail "the host program printed '$host_out'"
[ "$(sed 's/.* -> //' <<<"$host_out")" -lt 4672960 ] || fail "the host program did not halve MACs"
[ -s "$tmp/host.onnx" ] || fail "the host program wrote no model"

# The runtime-only programs load no MLIR (captured first: grep -q may close a pipe early).
for exe in "$tmp/cmake-build/run_model" "$tmp/run_model-pc" "$prefix/lib/libsp_runtime.so"; do
  needed=$(readelf -d "$exe") loaded=$(ldd "$exe")
  case $exe in *run_model*) grep -q 'NEEDED.*libsp_runtime\.so' <<<"$needed" ||
                              fail "$exe does not link libsp_runtime.so";; esac
  if grep -E -q 'libMLIR|libLLVM|libsp\.so' <<<"$loaded"; then fail "$exe loads MLIR: $loaded"; fi
done

# 1,000 Fashion-MNIST test images as plain IDX files.
data=/usr/share/datasets/fashion-mnist
/usr/bin/python3 - "$data" "$tmp" <<'PY'
import gzip, struct, sys
data, out = sys.argv[1], sys.argv[2]
for name, magic, item in (("t10k-images-idx3-ubyte", 2051, 784), ("t10k-labels-idx1-ubyte", 2049, 1)):
    raw = gzip.open(f"{data}/{name}.gz").read()
    header = 16 if magic == 2051 else 8
    head = bytearray(raw[:header]); head[4:8] = struct.pack(">I", 1000)
    open(f"{out}/{name}", "wb").write(bytes(head) + raw[header:header + 1000 * item])
PY
images=$tmp/t10k-images-idx3-ubyte labels=$tmp/t10k-labels-idx1-ubyte

model=$src/examples/fashion_resnet.onnx
pipeline='sp-canonicalize,sp-dependency-groups,sp-importance{criterion=l2},sp-prune{ratio=0.25 round-to=4},sp-canonicalize'
"$tmp/cmake-build/embed" "$model" "$tmp/pruned-cmake.onnx" "$images" "$labels" "$pipeline" \
  >"$tmp/cmake.out"
"$tmp/embed-pc" "$model" "$tmp/pruned-pc.onnx" "$images" "$labels" "$pipeline" >"$tmp/pc.out"
cat "$tmp/cmake.out"
cmp -s "$tmp/cmake.out" "$tmp/pc.out" || fail "the CMake and pkg-config builds print different results"
cmp -s "$tmp/pruned-cmake.onnx" "$tmp/pruned-pc.onnx" || fail "the two builds wrote different models"

grep -q "^sp 0\.4\." "$tmp/cmake.out" || fail "no version line"
grep -q "^refused: pass 'sp-prune': ratio must be in \[0, 1), got 2$" "$tmp/cmake.out" ||
  fail "sp_add_pass did not refuse ratio=2 with its error line"
read -r before after < <(sed -n 's/^macs: \([0-9]*\) -> \([0-9]*\) .*/\1 \2/p' "$tmp/cmake.out")
[ -n "${before:-}" ] && [ "$after" -gt 0 ] && [ "$after" -lt $((before * 7 / 10)) ] ||
  fail "MACs did not drop below 0.7x: ${before:-?} -> ${after:-?}"

# The installed tools give the same model and the same accuracy.
"$prefix/bin/sp-opt" "$model" --pass-pipeline="builtin.module($pipeline)" -o "$tmp/ref.onnx"
cmp -s "$tmp/pruned-cmake.onnx" "$tmp/ref.onnx" || fail "the C API's pruned model differs from sp-opt's"
"$prefix/bin/sp-run" "$tmp/ref.onnx" --eval-idx "$images" "$labels" --mean 0.2860 --std 0.3530 \
  >"$tmp/sp-run.out"
want=$(grep '^accuracy top1=' "$tmp/sp-run.out") || fail "sp-run printed no accuracy"
got=$(grep '^accuracy top1=' "$tmp/cmake.out") || fail "embed printed no accuracy"
[ "$got" = "$want" ] || fail "embed's runtime says '$got', sp-run says '$want'"
run_out=$("$tmp/cmake-build/run_model" "$tmp/ref.onnx")
grep -q '^logits: 10 values, sum ' <<<"$run_out" || fail "run_model did not run the pruned model: $run_out"
echo "install.embed: ok ($before -> $after MACs, $got)"

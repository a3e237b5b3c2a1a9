// Mask mode records what it zeroed as `sp.mask` on each initializer (axis,
// then half-open index ranges); a second mask run adds to it; shrink carries
// it over to the kept indices; export writes it to the "sp.masks" metadata
// and import puts it back (docs/pruning.md, "Masks in the model file").

// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.5 mode=mask})' | FileCheck %s --check-prefix=MASK
// conv1's channels 1 and 3 go: every maskable member records them; the
// running statistics are not zeroed, so they carry no mask.
// Initializers print in order: w1, b1, bn_scale, bn_bias, bn_mean, bn_var, dw, w2.
// MASK: sp.mask = [array<i64: 0, 1, 2, 3, 4>], value = {{.*}} : tensor<4x2x1x1xf32>}
// MASK-NEXT: sp.mask = [array<i64: 0, 1, 2, 3, 4>], value = {{.*}} : tensor<4xf32>}
// MASK-NEXT: sp.mask = [array<i64: 0, 1, 2, 3, 4>], value = {{.*}} : tensor<4xf32>}
// MASK-NEXT: sp.mask = [array<i64: 0, 1, 2, 3, 4>], value = {{.*}} : tensor<4xf32>}
// MASK-NEXT: "nn.Initializer"() {onnx.names = ["bn_mean"], value = dense<0.000000e+00> : tensor<4xf32>}
// MASK-NEXT: "nn.Initializer"() {onnx.names = ["bn_var"], value = dense<1.000000e+00> : tensor<4xf32>}
// MASK-NEXT: sp.mask = [array<i64: 0, 1, 2, 3, 4>], value = {{.*}} : tensor<4x1x3x3xf32>}
// MASK-NEXT: sp.mask = [array<i64: 1, 1, 2, 3, 4>], value = {{.*}} : tensor<1x4x1x1xf32>}

// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.25 mode=mask},sp-importance,sp-prune{ratio=0.5 mode=mask})' | FileCheck %s --check-prefix=TWICE
// First channel 3 (norm 0.1), then channel 1 as well: the mask grows.
// TWICE: sp.mask = [array<i64: 0, 1, 2, 3, 4>], value = {{.*}} : tensor<4x2x1x1xf32>}

// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.5 mode=mask},sp-importance,sp-prune{ratio=0.25})' | FileCheck %s --check-prefix=SHRINK
// Shrinking one of the two zeroed channels (1, the tie's first) leaves
// channel 3 masked at its new index 2.
// SHRINK: sp.mask = [array<i64: 0, 2, 3>], value = {{.*}} : tensor<3x2x1x1xf32>}
// SHRINK: "nn.Initializer"() {onnx.names = ["bn_var"], value = {{.*}} : tensor<3xf32>}
// SHRINK: sp.mask = [array<i64: 1, 2, 3>], value = {{.*}} : tensor<1x3x1x1xf32>}

// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.5 mode=mask},sp-canonicalize{fold-bn=true})' | FileCheck %s --check-prefix=FOLD
// Folding the BatchNormalization into conv1 keeps the zeros: the new bias is
// zero where the BN scale and bias were masked, the new weight where it was.
// FOLD: onnx.names = ["w1_bn_bias_1"], sp.mask = [array<i64: 0, 1, 2, 3, 4>]{{.*}} : tensor<4xf32>
// FOLD-NEXT: onnx.names = ["w1_bn_0"], sp.mask = [array<i64: 0, 1, 2, 3, 4>]{{.*}} : tensor<4x2x1x1xf32>

// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.5 mode=mask})' -o %t.onnx
// RUN: %python -c "import onnx; m = onnx.load('%t.onnx'); print([p.value for p in m.metadata_props if p.key == 'sp.masks'][0])" | FileCheck %s --check-prefix=META
// META: {"version":1,"masks":[{"tensor":"w1","axis":0,"zeroed":{{\[\[}}1,2],[3,4]]},{"tensor":"b1","axis":0,"zeroed":{{\[\[}}1,2],[3,4]]},{"tensor":"bn_scale",
// META-SAME: {"tensor":"w2","axis":1,"zeroed":{{\[\[}}1,2],[3,4]]}]}
// RUN: sp-translate --import-onnx %t.onnx | FileCheck %s --check-prefix=IMPORT
// IMPORT-NOT: onnx.metadata_props
// IMPORT: sp.mask = [array<i64: 0, 1, 2, 3, 4>]{{.*}} : tensor<4x2x1x1xf32>
// RUN: sp-opt %t.onnx -o %t.again.onnx
// RUN: %python -c "import onnx; a, b = (onnx.load(f).metadata_props for f in ('%t.onnx', '%t.again.onnx')); assert list(a) == list(b), (a, b); print('same')" | FileCheck %s --check-prefix=SAME
// SAME: same

func.func @shrink(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w1 = "nn.Initializer"() {onnx.names = ["w1"], value = dense<[[[[3.0]], [[4.0]]], [[[1.0]], [[0.0]]], [[[-2.0]], [[2.0]]], [[[0.1]], [[0.0]]]]> : tensor<4x2x1x1xf32>} : () -> tensor<4x2x1x1xf32> loc("w1")
  %b1 = "nn.Initializer"() {onnx.names = ["b1"], value = dense<[10.0, 11.0, 12.0, 13.0]> : tensor<4xf32>} : () -> tensor<4xf32> loc("b1")
  %s = "nn.Initializer"() {onnx.names = ["bn_scale"], value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_scale")
  %o = "nn.Initializer"() {onnx.names = ["bn_bias"], value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_bias")
  %m = "nn.Initializer"() {onnx.names = ["bn_mean"], value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_mean")
  %v = "nn.Initializer"() {onnx.names = ["bn_var"], value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_var")
  %dw = "nn.Initializer"() {onnx.names = ["dw"], value = dense<1.0> : tensor<4x1x3x3xf32>} : () -> tensor<4x1x3x3xf32> loc("dw")
  %w2 = "nn.Initializer"() {onnx.names = ["w2"], value = dense<1.0> : tensor<1x4x1x1xf32>} : () -> tensor<1x4x1x1xf32> loc("w2")
  %a = "nn.Conv"(%x, %w1, %b1) : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %n = "nn.BatchNormalization"(%a, %s, %o, %m, %v) {result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32> loc("bn")
  %d = "nn.Conv"(%n, %dw) {group = 4 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x4x4xf32> loc("dwconv")
  %b = "nn.Conv"(%d, %w2) : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x4x4xf32> loc("conv2")
  return %b : tensor<1x1x4x4xf32>
}

// sp-importance{criterion=gate}: |g| of the sp-insert-gates gates per unit.
// @main: conv1 -> bn1 -> gate g1 -> relu1, then two branches conv2 -> g2 and
// conv2b -> g2b added (one residual group of 2 units with two gates), relu,
// conv3 (graph output, pinned).
//   group 0 (conv1, 3 units): |g1| = 0.5, 2, 1
//   group 1 (conv2 + conv2b): mean over the two gates (0.25+1)/2, (0+3)/2;
//   max: 1, 3; sum: 1.25, 3
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=gate})' | FileCheck %s --check-prefix=MEAN
// MEAN: sp.importance = [array<f32: 5.000000e-01, 2.000000e+00, 1.000000e+00>, array<f32: 6.250000e-01, 1.500000e+00>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=gate reduce=max})' | FileCheck %s --check-prefix=MAX
// MAX: sp.importance = [array<f32: 5.000000e-01, 2.000000e+00, 1.000000e+00>, array<f32: 1.000000e+00, 3.000000e+00>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=gate reduce=sum normalize=max})' | FileCheck %s --check-prefix=SUMMAX
// SUMMAX: sp.importance = [array<f32: 2.500000e-01, 1.000000e+00, 5.000000e-01>, array<f32: 0.416666657, 1.000000e+00>]
// sp-prune removes the unit with the smallest gate: conv1's unit 0 (0.5), the
// residual group's unit 0 (0.625); every gate loses that channel.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=gate},sp-prune{ratio=0.5})' | FileCheck %s --check-prefix=PRUNE
// PRUNE: sp.keep = [array<i64: 1, 2>, array<i64: 1>]
// PRUNE-DAG: "nn.Initializer"() {onnx.names = ["sp.gate.n1"], value = dense_resource<[[G1:.*]]> : tensor<1x2x1x1xf32>}
// PRUNE-DAG: "nn.Initializer"() {onnx.names = ["sp.gate.c2"], value = dense_resource<[[G2:.*]]> : tensor<1x1x1x1xf32>}
// PRUNE-DAG: "nn.Initializer"() {onnx.names = ["sp.gate.c2b"], value = dense_resource<[[G3:.*]]> : tensor<1x1x1x1xf32>}
// -2 and 1 (0xC0000000, 0x3F800000) stay of g1; 0 of g2, 3 (0x40400000) of g2b.
// PRUNE-DAG: [[G1]]: "0x{{[0-9A-F]+}}000000C00000803F"
// PRUNE-DAG: [[G2]]: "0x{{[0-9A-F]+}}00000000"
// PRUNE-DAG: [[G3]]: "0x{{[0-9A-F]+}}00004040"
// A group without a gate keeps its l2 scores (mean over the members): with
// only conv1's gate renamed, group 0 scores as criterion=l2 does.
// RUN: sed 's/sp\.gate\.n1/other.n1/' %s | sp-opt --pass-pipeline='builtin.module(sp-importance{criterion=gate})' | FileCheck %s --check-prefix=FALLBACK
// FALLBACK: sp.importance = [array<f32: 1.350000e+00, 1.63425851, 1.60009384>, array<f32: 6.250000e-01, 1.500000e+00>]
// A Mul by an initializer not named sp.gate.* is no gate; a model with none is an error.
// RUN: sed 's/sp\.gate\./other./' %s | sp-opt --pass-pipeline='builtin.module(sp-importance{criterion=l2})' | FileCheck %s --check-prefix=NONE
// RUN: sed 's/sp\.gate\./other./' %s | not sp-opt --pass-pipeline='builtin.module(sp-importance{criterion=gate})' 2>&1 | FileCheck %s --check-prefix=NOGATE
// NOGATE: error: sp-importance: criterion=gate: no prunable group has a gate (an initializer named sp.gate.*; run sp-insert-gates and sp-train --gate-l1 first)
// NONE: sp.importance = [array<f32: 1.350000e+00, 1.63425851, 1.60009384>, array<f32: 1.125000e+00, 1.750000e+00>]
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<[[[[3.0]], [[4.0]]], [[[1.0]], [[0.0]]], [[[-2.0]], [[2.0]]]]> : tensor<3x2x1x1xf32>} : () -> tensor<3x2x1x1xf32> loc("w1")
  %g = "nn.Initializer"() {value = dense<[0.5, -2.0, 1.0]> : tensor<3xf32>} : () -> tensor<3xf32> loc("gamma")
  %b = "nn.Initializer"() {value = dense<[0.1, 0.2, 0.3]> : tensor<3xf32>} : () -> tensor<3xf32> loc("beta")
  %m = "nn.Initializer"() {value = dense<0.0> : tensor<3xf32>} : () -> tensor<3xf32> loc("mean")
  %v = "nn.Initializer"() {value = dense<1.0> : tensor<3xf32>} : () -> tensor<3xf32> loc("var")
  %g1 = "nn.Initializer"() {onnx.names = ["sp.gate.n1"], value = dense<[[[[0.5]], [[-2.0]], [[1.0]]]]> : tensor<1x3x1x1xf32>} : () -> tensor<1x3x1x1xf32> loc("sp.gate.n1")
  %w2 = "nn.Initializer"() {value = dense<[[[[1.0]], [[2.0]], [[2.0]]], [[[0.0]], [[3.0]], [[4.0]]]]> : tensor<2x3x1x1xf32>} : () -> tensor<2x3x1x1xf32> loc("w2")
  %g2 = "nn.Initializer"() {onnx.names = ["sp.gate.c2"], value = dense<[[[[0.25]], [[0.0]]]]> : tensor<1x2x1x1xf32>} : () -> tensor<1x2x1x1xf32> loc("sp.gate.c2")
  %w2b = "nn.Initializer"() {value = dense<[[[[1.0]], [[0.0]], [[0.0]]], [[[0.0]], [[1.0]], [[0.0]]]]> : tensor<2x3x1x1xf32>} : () -> tensor<2x3x1x1xf32> loc("w2b")
  %b2b = "nn.Initializer"() {value = dense<[0.5, -0.5]> : tensor<2xf32>} : () -> tensor<2xf32> loc("b2b")
  %g2b = "nn.Initializer"() {onnx.names = ["sp.gate.c2b"], value = dense<[[[[1.0]], [[3.0]]]]> : tensor<1x2x1x1xf32>} : () -> tensor<1x2x1x1xf32> loc("sp.gate.c2b")
  %w3 = "nn.Initializer"() {value = dense<1.0> : tensor<1x2x1x1xf32>} : () -> tensor<1x2x1x1xf32> loc("w3")
  %c1 = "nn.Conv"(%x, %w1) {onnx.names = ["c1"]} : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x4x4xf32> loc("conv1")
  %n1 = "nn.BatchNormalization"(%c1, %g, %b, %m, %v) {onnx.names = ["n1"], result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32> loc("bn1")
  %q1 = "nn.Mul"(%n1, %g1) : (tensor<1x3x4x4xf32>, tensor<1x3x1x1xf32>) -> tensor<1x3x4x4xf32> loc("sp.gate.n1")
  %r1 = "nn.Relu"(%q1) : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> loc("relu1")
  %c2 = "nn.Conv"(%r1, %w2) {onnx.names = ["c2"]} : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  %q2 = "nn.Mul"(%c2, %g2) : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32> loc("sp.gate.c2")
  %c2b = "nn.Conv"(%r1, %w2b, %b2b) {onnx.names = ["c2b"]} : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32> loc("conv2b")
  %q2b = "nn.Mul"(%c2b, %g2b) : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32> loc("sp.gate.c2b")
  %s = "nn.Add"(%q2, %q2b) : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("add")
  %r2 = "nn.Relu"(%s) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("relu2")
  %c3 = "nn.Conv"(%r2, %w3) : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32> loc("conv3")
  return %c3 : tensor<1x1x4x4xf32>
}

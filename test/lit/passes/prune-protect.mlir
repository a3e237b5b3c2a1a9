// protect= pins the groups of the matching nodes: conv_a's channels stay,
// conv_b's go. A protected model with nothing left to prune is an error.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-prune{ratio=0.5 protect=conv_a})' | FileCheck %s
// CHECK: sp.keep = [array<i64>, array<i64: 3, 4, 5>, array<i64>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-prune{ratio=0.5 protect=conv_?})' --verify-diagnostics
// Global: one threshold across both groups (5 of 10 channels go in all).
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{normalize=max},sp-prune{ratio=0.5 global})' | FileCheck %s --check-prefix=GLOBAL
// GLOBAL: "onnx.Concat"{{.*}} -> tensor<1x5x8x8xf32>

// expected-error@+1 {{sp-prune: nothing is prunable (every group is pinned; see sp-dependency-groups{dump=-})}}
module {
func.func @concat_split(%x: tensor<1x3x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %wa = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("wa")
  %wb = "nn.Initializer"() {value = dense<1.0> : tensor<6x3x1x1xf32>} : () -> tensor<6x3x1x1xf32> loc("wb")
  %wc = "nn.Initializer"() {value = dense<1.0> : tensor<2x4x1x1xf32>} : () -> tensor<2x4x1x1xf32> loc("wc")
  %wd = "nn.Initializer"() {value = dense<1.0> : tensor<2x6x1x1xf32>} : () -> tensor<2x6x1x1xf32> loc("wd")
  %sizes = "nn.Constant"() {value = dense<[4, 6]> : tensor<2xi64>} : () -> tensor<2xi64> loc("sizes")
  %a = "nn.Conv"(%x, %wa) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv_a")
  %b = "nn.Conv"(%x, %wb) : (tensor<1x3x8x8xf32>, tensor<6x3x1x1xf32>) -> tensor<1x6x8x8xf32> loc("conv_b")
  %c = "onnx.Concat"(%a, %b) {axis = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<1x6x8x8xf32>) -> tensor<1x10x8x8xf32> loc("concat")
  %s:2 = "onnx.Split"(%c, %sizes) {axis = 1 : i64} : (tensor<1x10x8x8xf32>, tensor<2xi64>) -> (tensor<1x4x8x8xf32>, tensor<1x6x8x8xf32>) loc("split")
  %d = "nn.Conv"(%s#0, %wc) : (tensor<1x4x8x8xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x8x8xf32> loc("conv_c")
  %e = "nn.Conv"(%s#1, %wd) : (tensor<1x6x8x8xf32>, tensor<2x6x1x1xf32>) -> tensor<1x2x8x8xf32> loc("conv_d")
  %f = "nn.Add"(%d, %e) : (tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> loc("add")
  return %f : tensor<1x2x8x8xf32>
}
}

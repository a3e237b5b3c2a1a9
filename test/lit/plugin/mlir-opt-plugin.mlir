// Upstream mlir-opt-19 with libSPPlugin.so: the nn dialect loads (ops verify),
// sp passes run with their options, and the pruned IR is what sp-opt gives.
// REQUIRES: sp-plugin
// RUN: %mlir_opt %s --load-dialect-plugin=%sp_plugin --load-pass-plugin=%sp_plugin --pass-pipeline='builtin.module(sp-dependency-groups,sp-importance,sp-prune{ratio=0.5})' | FileCheck %s
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-dependency-groups,sp-importance,sp-prune{ratio=0.5})' | FileCheck %s
// Options reach the C pass: ratio=0.25 drops one of the 4 channels (channel 1,
// as sp-opt does: the group's mean score counts conv2's columns too).
// RUN: %mlir_opt %s --load-dialect-plugin=%sp_plugin --load-pass-plugin=%sp_plugin --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.25})' | FileCheck %s --check-prefix=RATIO
// RATIO: module attributes {sp.keep = {{\[}}array<i64: 0, 2, 3>]}
// RATIO: "nn.Conv"(%arg0, %{{.*}}, %{{.*}}) : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
// The pipeline mlir-opt prints (defaults filled in, unset options empty) parses back.
// RUN: %mlir_opt %s --load-dialect-plugin=%sp_plugin --load-pass-plugin=%sp_plugin --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.25})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=DUMP
// DUMP: sp-prune{{{.*}} mode=shrink per-mac=false protect= ratio=0.25 {{.*}}round-to=1
// RUN: %mlir_opt %s --load-dialect-plugin=%sp_plugin --load-pass-plugin=%sp_plugin --pass-pipeline='builtin.module(sp-importance{criterion=l2 calibration=},sp-prune{protect= head-ratio= ratio=0.25 mode=shrink})' | FileCheck %s --check-prefix=RATIO
// A bad option value is refused by sp's registry when mlir-opt parses the pipeline.
// RUN: not %mlir_opt %s --load-dialect-plugin=%sp_plugin --load-pass-plugin=%sp_plugin --pass-pipeline='builtin.module(sp-prune{ratio=2})' 2>&1 | FileCheck %s --check-prefix=BADOPT
// BADOPT: pass 'sp-prune': ratio must be in [0, 1), got 2
// Named pipelines are registered too: sp-prune-cnn ran (sp-prune set sp.keep)
// and its round-to=8 keeps all 4 channels of this small model.
// RUN: %mlir_opt %s --load-dialect-plugin=%sp_plugin --load-pass-plugin=%sp_plugin --pass-pipeline='builtin.module(sp-prune-cnn)' | FileCheck %s --check-prefix=NAMED
// NAMED: module attributes {sp.keep =
// NAMED: "nn.Conv"(%arg0, %{{.*}}, %{{.*}}) : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// Without the dialect plugin nn is unknown to mlir-opt.
// RUN: not %mlir_opt %s --load-pass-plugin=%sp_plugin 2>&1 | FileCheck %s --check-prefix=NODIALECT
// NODIALECT: operation being parsed with an unregistered dialect

// conv1's 4 channels have 2-norms 5, 1, 2.83, 0.1: ratio=0.5 keeps 0 and 2 in
// conv1, its bias, the BatchNormalization, the depthwise conv and conv2's inputs.
// CHECK-LABEL: module attributes {sp.keep = {{\[}}array<i64: 0, 2>]}
// CHECK-DAG: %[[W1:.*]] = "nn.Initializer"() {value = dense_resource<[[W1R:.*]]> : tensor<2x2x1x1xf32>}
// CHECK-DAG: %[[B1:.*]] = "nn.Initializer"() {value = dense_resource<[[B1R:.*]]> : tensor<2xf32>}
// CHECK-DAG: %[[DW:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<2x1x3x3xf32>}
// CHECK-DAG: %[[W2:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<1x2x1x1xf32>}
// CHECK: %[[A:.*]] = "nn.Conv"(%arg0, %[[W1]], %[[B1]]) : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
// CHECK: %[[N:.*]] = "nn.BatchNormalization"(%[[A]], {{.*}}) {{{.*}}} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
// CHECK: %[[D:.*]] = "nn.Conv"(%[[N]], %[[DW]]) {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x4x4xf32>
// CHECK: "nn.Conv"(%[[D]], %[[W2]]) : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
// Kept filters [3, 4] and [-2, 2]; kept biases 10 and 12.
// CHECK: [[W1R]]: "0x400000000000404000008040000000C000000040"
// CHECK: [[B1R]]: "0x400000000000204100004041"
func.func @shrink(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<[[[[3.0]], [[4.0]]], [[[1.0]], [[0.0]]], [[[-2.0]], [[2.0]]], [[[0.1]], [[0.0]]]]> : tensor<4x2x1x1xf32>} : () -> tensor<4x2x1x1xf32> loc("w1")
  %b1 = "nn.Initializer"() {value = dense<[10.0, 11.0, 12.0, 13.0]> : tensor<4xf32>} : () -> tensor<4xf32> loc("b1")
  %s = "nn.Initializer"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_scale")
  %o = "nn.Initializer"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_bias")
  %m = "nn.Initializer"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_mean")
  %v = "nn.Initializer"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_var")
  %dw = "nn.Initializer"() {value = dense<1.0> : tensor<4x1x3x3xf32>} : () -> tensor<4x1x3x3xf32> loc("dw")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<1x4x1x1xf32>} : () -> tensor<1x4x1x1xf32> loc("w2")
  %a = "nn.Conv"(%x, %w1, %b1) : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %n = "nn.BatchNormalization"(%a, %s, %o, %m, %v) {result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32> loc("bn")
  %d = "nn.Conv"(%n, %dw) {group = 4 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x4x4xf32> loc("dwconv")
  %b = "nn.Conv"(%d, %w2) : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x4x4xf32> loc("conv2")
  return %b : tensor<1x1x4x4xf32>
}

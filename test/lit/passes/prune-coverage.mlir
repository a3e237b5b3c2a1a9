// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.5})' | FileCheck %s

// sp-prune on the ops of dependency-groups-coverage.mlir (issue 12).

// LSTM hidden units (4 -> 2): every gate row of W, R and B shrinks, R's state dim,
// the outputs and hidden_size follow; the initial states are Expands (torch's
// zero state): of a constant holding the channels (entry -> 1, the constant is
// sliced) and of a broadcast scalar (entry -> the kept size).
// CHECK-LABEL: module attributes {sp.keep = {{\[}}array<i64: 2, 3>, array<i64>]}
// CHECK-DAG: %[[W:.*]] = "nn.Initializer"() {value = dense_resource<[[WR:.*]]> : tensor<1x8x1xf32>}
// CHECK-DAG: %[[R:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<1x8x2xf32>}
// CHECK-DAG: %[[B:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<1x16xf32>}
// CHECK-DAG: %[[Z:.*]] = "nn.Constant"() {value = dense_resource<{{.*}}> : tensor<1x1x2xf32>}
// CHECK-DAG: %[[FW:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<2x2xf32>}
// CHECK: %[[S1:.*]] = "nn.Where"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
// CHECK: %[[H0:.*]] = "nn.Expand"(%[[Z]], %[[S1]]) : (tensor<1x1x2xf32>, tensor<3xi64>) -> tensor<1x1x2xf32>
// CHECK: %[[K:.*]] = "nn.Constant"() {value = dense<[1, 1, 2]> : tensor<3xi64>}
// CHECK: %[[S2:.*]] = "nn.Where"(%{{.*}}, %[[K]], %{{.*}}) : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
// CHECK: %[[C0:.*]] = "nn.Expand"(%{{.*}}, %[[S2]]) : (tensor<1xf32>, tensor<3xi64>) -> tensor<1x1x2xf32>
// CHECK: %[[Y:.*]]:3 = "onnx.LSTM"(%arg0, %[[W]], %[[R]], %[[B]], %{{.*}}, %[[H0]], %[[C0]]) {hidden_size = 2 : i64} : (tensor<2x1x1xf32>, tensor<1x8x1xf32>, tensor<1x8x2xf32>, tensor<1x16xf32>, none, tensor<1x1x2xf32>, tensor<1x1x2xf32>) -> (tensor<2x1x1x2xf32>, tensor<1x1x2xf32>, tensor<1x1x2xf32>)
// CHECK: "nn.MatMul"(%[[Y]]#1, %[[FW]]) : (tensor<1x1x2xf32>, tensor<2x2xf32>) -> tensor<1x1x2xf32>
// W's rows 2, 3 of every gate: 2 3 6 7 10 11 14 15.
// CHECK: [[WR]]: "0x4000000000000040000040400000C0400000E04000002041000030410000604100007041"
func.func @lstm(%x: tensor<2x1x1xf32>) -> tensor<1x1x2xf32> {
  %none = "nn.None"() : () -> none loc("none")
  %w = "nn.Initializer"() {value = dense<[[[0.0], [1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0], [8.0], [9.0], [10.0], [11.0], [12.0], [13.0], [14.0], [15.0]]]> : tensor<1x16x1xf32>} : () -> tensor<1x16x1xf32> loc("w")
  %r = "nn.Initializer"() {value = dense<1.0> : tensor<1x16x4xf32>} : () -> tensor<1x16x4xf32> loc("r")
  %b = "nn.Initializer"() {value = dense<1.0> : tensor<1x32xf32>} : () -> tensor<1x32xf32> loc("b")
  %fw = "nn.Initializer"() {value = dense<1.0> : tensor<4x2xf32>} : () -> tensor<4x2xf32> loc("fw")
  %zero = "nn.Constant"() {value = dense<0.0> : tensor<1x1x4xf32>} : () -> tensor<1x1x4xf32> loc("zero")
  %scalar = "nn.Constant"() {value = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32> loc("scalar")
  %shape = "nn.Constant"() {value = dense<[1, 1, 4]> : tensor<3xi64>} : () -> tensor<3xi64> loc("shape")
  %h0 = "nn.Expand"(%zero, %shape) : (tensor<1x1x4xf32>, tensor<3xi64>) -> tensor<1x1x4xf32> loc("h0")
  %c0 = "nn.Expand"(%scalar, %shape) : (tensor<1xf32>, tensor<3xi64>) -> tensor<1x1x4xf32> loc("c0")
  %y:3 = "onnx.LSTM"(%x, %w, %r, %b, %none, %h0, %c0) {hidden_size = 4 : i64} : (tensor<2x1x1xf32>, tensor<1x16x1xf32>, tensor<1x16x4xf32>, tensor<1x32xf32>, none, tensor<1x1x4xf32>, tensor<1x1x4xf32>) -> (tensor<2x1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>) loc("lstm")
  %o = "nn.MatMul"(%y#1, %fw) : (tensor<1x1x4xf32>, tensor<4x2xf32>) -> tensor<1x1x2xf32> loc("fc")
  return %o : tensor<1x1x2xf32>
}

// -----

// Slice with step 2 from channel 1: units are rows of 2 channels; rows 2, 3 are
// kept, so the slice reads channels [1, 4) step 2 of the 4 kept (still offset 1).
// CHECK-LABEL: module attributes {sp.keep = {{\[}}array<i64: 2, 3>, array<i64>]}
// CHECK: %[[C:.*]] = "nn.Conv"(%arg0, %{{.*}}) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[S:.*]] = "nn.Constant"() {value = dense<1> : tensor<1xi64>}
// CHECK: %[[E:.*]] = "nn.Constant"() {value = dense<4> : tensor<1xi64>}
// CHECK: "nn.Slice"(%[[C]], %[[S]], %[[E]], %{{.*}}, %{{.*}}) {{.*}} -> tensor<1x2x4x4xf32>
func.func @slice_step(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<8x3x1x1xf32>} : () -> tensor<8x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x4x1x1xf32>} : () -> tensor<2x4x1x1xf32> loc("w2")
  %s = "nn.Constant"() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64> loc("s")
  %e = "nn.Constant"() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64> loc("e")
  %a = "nn.Constant"() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64> loc("a")
  %k = "nn.Constant"() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64> loc("k")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32> loc("conv1")
  %1 = "nn.Slice"(%0, %s, %e, %a, %k) {operand_segment_sizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<1x8x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x4x4xf32> loc("odd")
  %2 = "nn.Conv"(%1, %w2) : (tensor<1x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// Channel Gather: kept channels 1, 2 | 4 | 6 | 7 of conv1; the indices follow the
// kept channels (0 and 5 went with their units, 7 read twice stays twice).
// CHECK-LABEL: module attributes {sp.keep = {{\[}}array<i64: 1, 2>, array<i64>, array<i64: 1>, array<i64: 1>, array<i64>]}
// CHECK: %[[C:.*]] = "nn.Conv"(%arg0, %{{.*}}) : (tensor<1x3x4x4xf32>, tensor<5x3x1x1xf32>) -> tensor<1x5x4x4xf32>
// CHECK: %[[I:.*]] = "nn.Constant"() {value = dense<[0, 1, 3, 4, 4]> : tensor<5xi64>}
// CHECK: %[[G:.*]] = "nn.Gather"(%[[C]], %[[I]]) {axis = 1 : i64} : (tensor<1x5x4x4xf32>, tensor<5xi64>) -> tensor<1x5x4x4xf32>
// CHECK: "nn.Conv"(%[[G]], %{{.*}}) : (tensor<1x5x4x4xf32>, tensor<2x5x1x1xf32>)
func.func @gather_channels(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<8x3x1x1xf32>} : () -> tensor<8x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x7x1x1xf32>} : () -> tensor<2x7x1x1xf32> loc("w2")
  %idx = "nn.Constant"() {value = dense<[0, 1, 2, 5, 6, 7, 7]> : tensor<7xi64>} : () -> tensor<7xi64> loc("idx")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32> loc("conv1")
  %1 = "nn.Gather"(%0, %idx) {axis = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<7xi64>) -> tensor<1x7x4x4xf32> loc("pick")
  %2 = "nn.Conv"(%1, %w2) : (tensor<1x7x4x4xf32>, tensor<2x7x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// Channel Pad: conv1 keeps 2 of 4 channels, the pads stay 1 and 2: 5 channels.
// CHECK-LABEL: module attributes {sp.keep = {{\[}}array<i64: 2, 3>, array<i64>]}
// CHECK: %[[P:.*]] = "nn.Constant"() {value = dense<[0, 1, 0, 0, 0, 2, 0, 0]> : tensor<8xi64>}
// CHECK: %[[C:.*]] = "nn.Conv"(%arg0, %{{.*}}) : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x4xf32>
// CHECK: %[[Q:.*]] = "nn.Pad"(%[[C]], %[[P]])
// CHECK: "nn.Conv"(%[[Q]], %{{.*}}) : (tensor<?x?x?x?xf32>, tensor<2x5x1x1xf32>)
func.func @pad_channels(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x7x1x1xf32>} : () -> tensor<2x7x1x1xf32> loc("w2")
  %pads = "nn.Constant"() {value = dense<[0, 1, 0, 0, 0, 2, 0, 0]> : tensor<8xi64>} : () -> tensor<8xi64> loc("pads")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %1 = "nn.Pad"(%0, %pads) {mode = "constant", operand_segment_sizes = array<i32: 1, 1, 0, 0>} : (tensor<1x4x4x4xf32>, tensor<8xi64>) -> tensor<?x?x?x?xf32> loc("pad")
  %2 = "nn.Conv"(%1, %w2) : (tensor<?x?x?x?xf32>, tensor<2x7x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// Einsum: the mixing weight shrinks in both letters (c with conv1, d with conv2's
// input channels); the equation needs no rewrite.
// CHECK-LABEL: module attributes {sp.keep = {{\[}}array<i64: 2, 3>, array<i64: 3, 4, 5>, array<i64>]}
// CHECK: %[[M:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<3x2xf32>}
// CHECK: %[[C:.*]] = "nn.Conv"(%arg0, %{{.*}}) : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x4xf32>
// CHECK: %[[E:.*]] = "onnx.Einsum"(%[[C]], %[[M]]) {equation = "nchw, dc -> ndhw"} : (tensor<1x2x4x4xf32>, tensor<3x2xf32>) -> tensor<1x3x4x4xf32>
// CHECK: "nn.Conv"(%[[E]], %{{.*}}) : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>)
func.func @einsum(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %mix = "nn.Initializer"() {value = dense<1.0> : tensor<6x4xf32>} : () -> tensor<6x4xf32> loc("mix")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x6x1x1xf32>} : () -> tensor<2x6x1x1xf32> loc("w2")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %1 = "onnx.Einsum"(%0, %mix) {equation = "nchw, dc -> ndhw"} : (tensor<1x4x4x4xf32>, tensor<6x4xf32>) -> tensor<1x6x4x4xf32> loc("einsum")
  %2 = "nn.Conv"(%1, %w2) : (tensor<1x6x4x4xf32>, tensor<2x6x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %2 : tensor<1x2x4x4xf32>
}

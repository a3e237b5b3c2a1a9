// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.5})' | FileCheck %s

// Shape data computed at run time (dynamic dims, as torch exports Swin's padded
// windows) stays computed where pruning does not touch it.

// A Slice over the dynamic time axis: its computed end (T - 1) is kept, not
// replaced by the analysis's stand-in size for T; the hidden dim it carries shrinks.
// CHECK-LABEL: func.func @computed_slice
// CHECK: %[[I1:.*]] = "nn.Constant"() {value = dense<1> : tensor<1xi64>}
// CHECK: %[[END:.*]] = "nn.Sub"
// CHECK: %[[ZERO:.*]] = "nn.Constant"() {value = dense<0> : tensor<1xi64>}
// CHECK: "nn.Slice"(%{{.*}}, %[[ZERO]], %[[END]], %[[I1]]) {operand_segment_sizes = array<i32: 1, 1, 1, 1, 0>} : (tensor<1x?x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x2xf32>
func.func @computed_slice(%x: tensor<1x?x3xf32>) -> tensor<1x?x2xf32> {
  %w1 = "nn.Initializer"() {value = dense<[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]> : tensor<3x4xf32>} : () -> tensor<3x4xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<4x2xf32>} : () -> tensor<4x2xf32> loc("w2")
  %h = "nn.MatMul"(%x, %w1) : (tensor<1x?x3xf32>, tensor<3x4xf32>) -> tensor<1x?x4xf32> loc("mm1")
  %s = "nn.Shape"(%x) : (tensor<1x?x3xf32>) -> tensor<3xi64> loc("shape")
  %i1 = "nn.Constant"() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64> loc("i1")
  %t = "nn.Gather"(%s, %i1) {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64> loc("t")
  %end = "nn.Sub"(%t, %i1) : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64> loc("end")
  %zero = "nn.Constant"() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64> loc("zero")
  %sl = "nn.Slice"(%h, %zero, %end, %i1) {operand_segment_sizes = array<i32: 1, 1, 1, 1, 0>} : (tensor<1x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x4xf32> loc("slice")
  %y = "nn.MatMul"(%sl, %w2) : (tensor<1x?x4xf32>, tensor<4x2xf32>) -> tensor<1x?x2xf32> loc("mm2")
  return %y : tensor<1x?x2xf32>
}

// -----

// A Reshape whose computed target has several dynamic entries that are not the
// input's dims at the same positions (batch and time move right by one) and a
// static channel entry that pruning changes: the target becomes
// Where(static entries, new sizes, computed target).
// CHECK-LABEL: func.func @computed_reshape
// CHECK: %[[TGT:.*]] = "onnx.Concat"
// CHECK: %[[STATIC:.*]] = "nn.Constant"() {value = dense<[true, false, false, true]> : tensor<4xi1>}
// CHECK: %[[SIZES:.*]] = "nn.Constant"() {value = dense<[1, 0, 0, 2]> : tensor<4xi64>}
// CHECK: %[[NEW:.*]] = "nn.Where"(%[[STATIC]], %[[SIZES]], %[[TGT]]) : (tensor<4xi1>, tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
// CHECK: "nn.Reshape"(%{{.*}}, %[[NEW]]) : (tensor<?x?x2xf32>, tensor<4xi64>) -> tensor<1x?x?x2xf32>
func.func @computed_reshape(%x: tensor<?x?x3xf32>) -> tensor<1x?x?x2xf32> {
  %w1 = "nn.Initializer"() {value = dense<[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]> : tensor<3x4xf32>} : () -> tensor<3x4xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<4x2xf32>} : () -> tensor<4x2xf32> loc("w2")
  %h = "nn.MatMul"(%x, %w1) : (tensor<?x?x3xf32>, tensor<3x4xf32>) -> tensor<?x?x4xf32> loc("mm1")
  %s = "nn.Shape"(%x) : (tensor<?x?x3xf32>) -> tensor<3xi64> loc("shape")
  %zero = "nn.Constant"() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64> loc("zero")
  %two = "nn.Constant"() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64> loc("two")
  %bt = "nn.Slice"(%s, %zero, %two) {operand_segment_sizes = array<i32: 1, 1, 1, 0, 0>} : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64> loc("bt")
  %one = "nn.Constant"() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64> loc("one")
  %four = "nn.Constant"() {value = dense<4> : tensor<1xi64>} : () -> tensor<1xi64> loc("four")
  %tgt = "onnx.Concat"(%one, %bt, %four) {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>, tensor<1xi64>) -> tensor<4xi64> loc("target")
  %r = "nn.Reshape"(%h, %tgt) : (tensor<?x?x4xf32>, tensor<4xi64>) -> tensor<1x?x?x4xf32> loc("reshape")
  %y = "nn.MatMul"(%r, %w2) : (tensor<1x?x?x4xf32>, tensor<4x2xf32>) -> tensor<1x?x?x2xf32> loc("mm2")
  return %y : tensor<1x?x?x2xf32>
}

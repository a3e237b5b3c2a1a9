// RUN: sp-opt %s --split-input-file | sp-opt --split-input-file | FileCheck %s

// ONNX ops outside the nn dialect are unregistered `onnx.<OpType>` ops (sp's context allows
// unregistered dialects). Nothing verifies them, so values of mixed types are fine: this is
// why the variadic ops (Concat, Sum, Max, Min, Mean, Einsum, Split) are not nn ops: an IRDL
// 19 variadic segment forces one type on all its values.

// Channel concat of 3 and 5 channels.
// CHECK-LABEL: func @concat_mixed
// CHECK-SAME: (%[[A:[a-z0-9_]+]]: tensor<1x3x2x2xf32>{{[^,]*}}, %[[B:[a-z0-9_]+]]: tensor<1x5x2x2xf32>{{[^,]*}})
// CHECK: "onnx.Concat"(%[[A]], %[[B]]) {axis = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<1x5x2x2xf32>) -> tensor<1x8x2x2xf32>
func.func @concat_mixed(%a: tensor<1x3x2x2xf32>, %b: tensor<1x5x2x2xf32>) -> tensor<1x8x2x2xf32> {
  %0 = "onnx.Concat"(%a, %b) {axis = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<1x5x2x2xf32>) -> tensor<1x8x2x2xf32>
  return %0 : tensor<1x8x2x2xf32>
}

// -----

// Uneven split (opset 13: split sizes as an input; opset 18: num_outputs).
// CHECK-LABEL: func @split_uneven
// CHECK: %{{.*}}:2 = "onnx.Split"(%{{.*}}, %{{.*}}) {axis = 1 : i64} : (tensor<1x8xf32>, tensor<2xi64>) -> (tensor<1x3xf32>, tensor<1x5xf32>)
// CHECK: %{{.*}}:3 = "onnx.Split"(%{{.*}}) {axis = 1 : i64, num_outputs = 3 : i64} : (tensor<1x8xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>, tensor<1x2xf32>)
func.func @split_uneven(%x: tensor<1x8xf32>, %split: tensor<2xi64>) {
  %0:2 = "onnx.Split"(%x, %split) {axis = 1 : i64} : (tensor<1x8xf32>, tensor<2xi64>) -> (tensor<1x3xf32>, tensor<1x5xf32>)
  %1:3 = "onnx.Split"(%x) {axis = 1 : i64, num_outputs = 3 : i64} : (tensor<1x8xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>, tensor<1x2xf32>)
  return
}

// -----

// Variadic broadcasting elementwise ops and Einsum.
// CHECK-LABEL: func @variadic_elementwise
// CHECK: "onnx.Sum"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<2x3xf32>, tensor<3xf32>, tensor<f32>) -> tensor<2x3xf32>
// CHECK: "onnx.Mean"(%{{.*}}, %{{.*}}) : (tensor<2x3xf32>, tensor<3xf32>)
// CHECK: "onnx.Max"(%{{.*}}) : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: "onnx.Min"(%{{.*}}, %{{.*}}) : (tensor<2x3xf32>, tensor<*xf32>)
// CHECK: "onnx.Einsum"(%{{.*}}, %{{.*}}) {equation = "ij,j->i"} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2xf32>
func.func @variadic_elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %s: tensor<f32>, %u: tensor<*xf32>) {
  %0 = "onnx.Sum"(%a, %b, %s) : (tensor<2x3xf32>, tensor<3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %1 = "onnx.Mean"(%0, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %2 = "onnx.Max"(%1) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = "onnx.Min"(%2, %u) : (tensor<2x3xf32>, tensor<*xf32>) -> tensor<2x3xf32>
  %4 = "onnx.Einsum"(%3, %b) {equation = "ij,j->i"} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2xf32>
  return
}

// -----

// An ONNX op sp has no nn op for, and a custom-domain op with mixed-type operands and a
// hole (nn.None) in the middle of its inputs.
// CHECK-LABEL: func @unknown_ops
// CHECK: "onnx.NonZero"(%{{.*}}) : (tensor<3xf32>) -> tensor<1x?xi64>
// CHECK: "onnx.RandomNormal"() {dtype = 1 : i64, shape = array<i64: 2>} : () -> tensor<2xf32>
// CHECK: %[[N:.*]] = "nn.None"() : () -> none
// CHECK: %{{.*}}:2 = "onnx.FancyOp"(%{{.*}}, %[[N]], %{{.*}}) {alpha = 5.000000e-01 : f32, onnx.domain = "com.example", onnx.names = ["y", "idx"]} : (tensor<4x3xf32>, none, tensor<2x1xi64>) -> (tensor<4x3xf32>, tensor<2xi64>)
// CHECK: "onnx.ZipMap"(%{{.*}}) {onnx.domain = "ai.onnx.ml"} : (tensor<*xf32>) -> !nn.sequence<!nn.map<i64, f32>>
func.func @unknown_ops(%x: tensor<3xf32>, %data: tensor<4x3xf32>, %idx: tensor<2x1xi64>, %r: tensor<*xf32>) {
  %0 = "onnx.NonZero"(%x) : (tensor<3xf32>) -> tensor<1x?xi64>
  %1 = "onnx.RandomNormal"() {dtype = 1 : i64, shape = array<i64: 2>} : () -> tensor<2xf32>
  %n = "nn.None"() : () -> none
  %2:2 = "onnx.FancyOp"(%data, %n, %idx) {onnx.domain = "com.example", onnx.names = ["y", "idx"], alpha = 0.5 : f32} : (tensor<4x3xf32>, none, tensor<2x1xi64>) -> (tensor<4x3xf32>, tensor<2xi64>)
  %3 = "onnx.ZipMap"(%r) {onnx.domain = "ai.onnx.ml"} : (tensor<*xf32>) -> !nn.sequence<!nn.map<i64, f32>>
  return
}

// -----

// onnx.* and nn ops mix freely.
// CHECK-LABEL: func @mixed_graph
// CHECK: %[[C:.*]] = "onnx.Concat"
// CHECK: "nn.Relu"(%[[C]]) : (tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
func.func @mixed_graph(%a: tensor<1x3x2x2xf32>, %b: tensor<1x5x2x2xf32>) -> tensor<1x8x2x2xf32> {
  %0 = "onnx.Concat"(%a, %b) {axis = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<1x5x2x2xf32>) -> tensor<1x8x2x2xf32>
  %1 = "nn.Relu"(%0) : (tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  return %1 : tensor<1x8x2x2xf32>
}

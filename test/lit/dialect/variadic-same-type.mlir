// RUN: sp-opt %s --split-input-file --verify-diagnostics

// KNOWN LIMITATION (LLVM 19 IRDL), not desired behaviour: every case below is valid ONNX
// that the nn dialect rejects today. An IRDL constraint binds to the first type it accepts,
// so all values of one variadic segment must have the same type. When sp's loader or a
// newer LLVM lifts this, this file starts failing: move the cases to verify.mlir.

// Channel concat of tensors with different channel counts.
func.func @concat_mixed(%a: tensor<1x3x2x2xf32>, %b: tensor<1x5x2x2xf32>) {
  // expected-error@+1 {{expected 'tensor<1x3x2x2xf32>' but got 'tensor<1x5x2x2xf32>'}}
  %0 = "nn.Concat"(%a, %b) {axis = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<1x5x2x2xf32>) -> tensor<1x8x2x2xf32>
  return
}

// -----

// Uneven split.
func.func @split_uneven(%x: tensor<1x8xf32>, %split: tensor<2xi64>) {
  // expected-error@+1 {{expected 'tensor<1x3xf32>' but got 'tensor<1x5xf32>'}}
  %0:2 = "nn.Split"(%x, %split) {axis = 1 : i64} : (tensor<1x8xf32>, tensor<2xi64>) -> (tensor<1x3xf32>, tensor<1x5xf32>)
  return
}

// -----

// Variadic broadcasting.
func.func @sum_broadcast(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{expected 'tensor<2x3xf32>' but got 'tensor<3xf32>'}}
  %0 = "nn.Sum"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Resize(X, "", scales): an absent roi followed by scales.
func.func @resize_none_roi(%x: tensor<1x4x6x6xf32>, %scales: tensor<4xf32>) {
  %n = "nn.None"() : () -> none
  // expected-error@+1 {{expected 'none' but got 'tensor<4xf32>'}}
  %0 = "nn.Resize"(%x, %n, %scales) {mode = "nearest"} : (tensor<1x4x6x6xf32>, none, tensor<4xf32>) -> tensor<1x4x12x12xf32>
  return
}

// -----

// Pad(data, pads, constant_value): int64 pads and a float scalar.
func.func @pad_value(%x: tensor<1x4x6x6xf32>, %pads: tensor<8xi64>, %v: tensor<f32>) {
  // expected-error@+1 {{expected 'tensor<8xi64>' but got 'tensor<f32>'}}
  %0 = "nn.Pad"(%x, %pads, %v) : (tensor<1x4x6x6xf32>, tensor<8xi64>, tensor<f32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

// Any generic op with operands of different types.
func.func @generic_mixed(%data: tensor<4x3xf32>, %idx: tensor<2x1xi64>, %upd: tensor<2x3xf32>) {
  // expected-error@+1 {{expected 'tensor<4x3xf32>' but got 'tensor<2x1xi64>'}}
  %0 = "nn.Generic"(%data, %idx, %upd) {onnx.op_type = "ScatterND", onnx.domain = ""} : (tensor<4x3xf32>, tensor<2x1xi64>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return
}

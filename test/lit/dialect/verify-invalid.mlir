// RUN: sp-opt %s --split-input-file --verify-diagnostics

// What the IRDL definition of nn rejects: operand and result counts, non-tensor types,
// `none` where an input is required, undeclared ops and malformed nn types.

func.func @conv_one_operand(%x: tensor<1x3x8x8xf32>) {
  // expected-error@+1 {{op expects at least 2 operands, but got 1}}
  %0 = "nn.Conv"(%x) : (tensor<1x3x8x8xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// B is the only optional input, so the tail holds at most one value.
func.func @conv_four_operands(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error@+1 {{op expects at most 3 operands, but got 4}}
  %0 = "nn.Conv"(%x, %w, %b, %b) : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @relu_two_operands(%x: tensor<2xf32>) {
  // expected-error@+1 {{op expects exactly 1 operands, but got 2}}
  %0 = "nn.Relu"(%x, %x) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @relu_two_results(%x: tensor<2xf32>) {
  // expected-error@+1 {{op expects exactly 1 results, but got 2}}
  %0:2 = "nn.Relu"(%x) : (tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  return
}

// -----

func.func @batchnorm_missing_var(%x: tensor<1x4x6x6xf32>, %c: tensor<4xf32>) {
  // expected-error@+1 {{op expects exactly 5 operands, but got 4}}
  %0 = "nn.BatchNormalization"(%x, %c, %c, %c) : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @where_two_operands(%c: tensor<2xi1>, %x: tensor<2xf32>) {
  // expected-error@+1 {{op expects exactly 3 operands, but got 2}}
  %0 = "nn.Where"(%c, %x) : (tensor<2xi1>, tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @topk_one_result(%x: tensor<3xf32>, %k: tensor<1xi64>) {
  // expected-error@+1 {{op expects exactly 2 results, but got 1}}
  %0 = "nn.TopK"(%x, %k) : (tensor<3xf32>, tensor<1xi64>) -> tensor<1xf32>
  return
}

// -----

func.func @maxpool_three_results(%x: tensor<1x4x6x6xf32>) {
  // expected-error@+1 {{op expects at most 2 results, but got 3}}
  %0:3 = "nn.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>} : (tensor<1x4x6x6xf32>) -> (tensor<1x4x5x5xf32>, tensor<1x4x5x5xi64>, tensor<1x4x5x5xi64>)
  return
}

// -----

func.func @concat_two_results(%x: tensor<2xf32>) {
  // expected-error@+1 {{op expects exactly 1 results, but got 2}}
  %0:2 = "nn.Concat"(%x, %x) {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @constant_with_operand(%x: tensor<2xf32>) {
  // expected-error@+1 {{op expects exactly 0 operands, but got 1}}
  %0 = "nn.Constant"(%x) {value = dense<1.0> : tensor<2xf32>} : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @initializer_with_operand(%x: tensor<2xf32>) {
  // expected-error@+1 {{op expects exactly 0 operands, but got 1}}
  %0 = "nn.Initializer"(%x) {value = dense<1.0> : tensor<2xf32>} : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

// Operands are tensors (ranked or not), !nn.unknown, or none in a tail; never scalars.
func.func @relu_scalar(%x: i32) {
  // expected-error@+1 {{'i32' does not satisfy the constraint}}
  %0 = "nn.Relu"(%x) : (i32) -> tensor<2xf32>
  return
}

// -----

func.func @relu_memref_result(%x: tensor<2xf32>) {
  // expected-error@+1 {{'memref<2xf32>' does not satisfy the constraint}}
  %0 = "nn.Relu"(%x) : (tensor<2xf32>) -> memref<2xf32>
  return
}

// -----

func.func @conv_scalar_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: f32) {
  // expected-error@+1 {{'f32' does not satisfy the constraint}}
  %0 = "nn.Conv"(%x, %w, %b) : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, f32) -> tensor<1x4x6x6xf32>
  return
}

// -----

// A required input cannot be absent.
func.func @add_none(%x: tensor<2xf32>) {
  %n = "nn.None"() : () -> none
  // expected-error@+1 {{'none' does not satisfy the constraint}}
  %0 = "nn.Add"(%x, %n) : (tensor<2xf32>, none) -> tensor<2xf32>
  return
}

// -----

// Only Identity and Generic take sequences, optionals or maps.
func.func @relu_sequence(%s: !nn.sequence<tensor<2xf32>>) {
  // expected-error@+1 {{'!nn.sequence<tensor<2xf32>>' does not satisfy the constraint}}
  %0 = "nn.Relu"(%s) : (!nn.sequence<tensor<2xf32>>) -> tensor<2xf32>
  return
}

// -----

func.func @identity_map(%m: !nn.map<i64, tensor<2xf32>>) {
  // expected-error@+1 {{'!nn.map<i64, tensor<2xf32>>' does not satisfy the constraint}}
  %0 = "nn.Identity"(%m) : (!nn.map<i64, tensor<2xf32>>) -> !nn.map<i64, tensor<2xf32>>
  return
}

// -----

// An initializer always has a known shape.
func.func @initializer_unranked() {
  // expected-error@+1 {{expected base type 'builtin.tensor' but got 'builtin.unranked_tensor'}}
  %0 = "nn.Initializer"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<*xf32>
  return
}

// -----

func.func @none_as_tensor() {
  // expected-error@+1 {{expected 'none' but got 'tensor<f32>'}}
  %0 = "nn.None"() : () -> tensor<f32>
  return
}

// -----

// Every nn op must be declared; unknown ONNX ops are nn.Generic.
func.func @undeclared(%x: tensor<2xf32>) {
  // expected-error@+1 {{unregistered operation 'nn.NonZero' found in dialect ('nn') that does not allow unknown operations}}
  %0 = "nn.NonZero"(%x) : (tensor<2xf32>) -> tensor<1x?xi64>
  return
}

// -----

// expected-error@+1 {{expected 1 type arguments, but had 0}}
func.func @sequence_without_element(%s: !nn.sequence) {
  return
}

// -----

// expected-error@+1 {{expected 2 type arguments, but had 1}}
func.func @map_without_value(%m: !nn.map<i64>) {
  return
}

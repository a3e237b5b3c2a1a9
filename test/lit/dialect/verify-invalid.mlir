// RUN: sp-opt %s --split-input-file --verify-diagnostics

// What the IRDL definition of nn rejects: operand and result counts, wrong or missing
// segment sizes, non-tensor types, `none` values (nn ops have none: an absent input is an
// empty segment), undeclared ops (the variadic ONNX ops included) and malformed nn types.

func.func @conv_one_operand(%x: tensor<1x3x8x8xf32>) {
  // expected-error@+1 {{op expects at least 2 operands, but got 1}}
  %0 = "nn.Conv"(%x) : (tensor<1x3x8x8xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// B is the only optional input: one optional segment, at most one value.
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

func.func @gemm_two_results(%a: tensor<2x8xf32>, %b: tensor<8x16xf32>) {
  // expected-error@+1 {{op expects exactly 1 results, but got 2}}
  %0:2 = "nn.Gemm"(%a, %b) : (tensor<2x8xf32>, tensor<8x16xf32>) -> (tensor<2x16xf32>, tensor<2x16xf32>)
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

// Operands are tensors (ranked or not) or !nn.unknown; never scalars.
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

// nn.None is for onnx.* ops only: an absent optional input of an nn op is an empty segment.
func.func @conv_none_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  %n = "nn.None"() : () -> none
  // expected-error@+1 {{'none' does not satisfy the constraint}}
  %0 = "nn.Conv"(%x, %w, %n) : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, none) -> tensor<1x4x6x6xf32>
  return
}

// -----

// Resize(X, "", scales) with the old nn.None hole: roi must be left out instead.
func.func @resize_none_roi(%x: tensor<1x4x6x6xf32>, %scales: tensor<4xf32>) {
  %n = "nn.None"() : () -> none
  // expected-error@+1 {{'none' does not satisfy the constraint}}
  %0 = "nn.Resize"(%x, %n, %scales) {operand_segment_sizes = array<i32: 1, 1, 1, 0>} : (tensor<1x4x6x6xf32>, none, tensor<4xf32>) -> tensor<1x4x12x12xf32>
  return
}

// -----

// Segment sizes. More than one optional segment: the attribute is required.
func.func @resize_no_segment_sizes(%x: tensor<1x4x6x6xf32>, %scales: tensor<4xf32>) {
  // expected-error@+1 {{'operand_segment_sizes' attribute is expected but not provided}}
  %0 = "nn.Resize"(%x, %scales) : (tensor<1x4x6x6xf32>, tensor<4xf32>) -> tensor<1x4x12x12xf32>
  return
}

// -----

// Even with every optional input absent.
func.func @clip_no_segment_sizes(%x: tensor<2x4xf32>) {
  // expected-error@+1 {{'operand_segment_sizes' attribute is expected but not provided}}
  %0 = "nn.Clip"(%x) {min = 0.0 : f32, max = 6.0 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// IRDL spells it operand_segment_sizes, not ODS's operandSegmentSizes.
func.func @resize_camel_case(%x: tensor<1x4x6x6xf32>, %scales: tensor<4xf32>) {
  // expected-error@+1 {{'operand_segment_sizes' attribute is expected but not provided}}
  %0 = "nn.Resize"(%x, %scales) {operandSegmentSizes = array<i32: 1, 0, 1, 0>} : (tensor<1x4x6x6xf32>, tensor<4xf32>) -> tensor<1x4x12x12xf32>
  return
}

// -----

func.func @resize_segment_sizes_not_array(%x: tensor<1x4x6x6xf32>, %scales: tensor<4xf32>) {
  // expected-error@+1 {{'operand_segment_sizes' attribute is expected to be a dense i32 array}}
  %0 = "nn.Resize"(%x, %scales) {operand_segment_sizes = dense<[1, 0, 1, 0]> : vector<4xi32>} : (tensor<1x4x6x6xf32>, tensor<4xf32>) -> tensor<1x4x12x12xf32>
  return
}

// -----

// One entry per segment (Resize has four), not per operand.
func.func @resize_segment_sizes_per_operand(%x: tensor<1x4x6x6xf32>, %scales: tensor<4xf32>) {
  // expected-error@+1 {{'operand_segment_sizes' attribute for specifying operand segments must have 4 elements, but got 2}}
  %0 = "nn.Resize"(%x, %scales) {operand_segment_sizes = array<i32: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4xf32>) -> tensor<1x4x12x12xf32>
  return
}

// -----

func.func @clip_segment_sizes_sum(%x: tensor<2x4xf32>, %hi: tensor<f32>) {
  // expected-error@+1 {{sum of elements in 'operand_segment_sizes' attribute must be equal to the number of operands}}
  %0 = "nn.Clip"(%x, %hi) {operand_segment_sizes = array<i32: 1, 1, 1>} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  return
}

// -----

// An optional segment holds at most one value.
func.func @slice_two_in_one_segment(%x: tensor<1x8x2x2xf32>, %i: tensor<1xi64>) {
  // expected-error@+1 {{element 1 in 'operand_segment_sizes' attribute must be equal to 0 or 1}}
  %0 = "nn.Slice"(%x, %i, %i) {operand_segment_sizes = array<i32: 1, 2, 0, 0, 0>} : (tensor<1x8x2x2xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x2x2xf32>
  return
}

// -----

// A required input cannot be a size-0 segment.
func.func @pad_without_data(%pads: tensor<8xi64>) {
  // expected-error@+1 {{element 0 in 'operand_segment_sizes' attribute must be equal to 1}}
  %0 = "nn.Pad"(%pads) {operand_segment_sizes = array<i32: 0, 1, 0, 0>} : (tensor<8xi64>) -> tensor<1x4x8x8xf32>
  return
}

// -----

// Results: BatchNormalization has four optional results.
func.func @batchnorm_no_result_segment_sizes(%x: tensor<1x4x6x6xf32>, %c: tensor<4xf32>) {
  // expected-error@+1 {{'result_segment_sizes' attribute is expected but not provided}}
  %0 = "nn.BatchNormalization"(%x, %c, %c, %c, %c) : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @batchnorm_result_segment_sizes_sum(%x: tensor<1x4x6x6xf32>, %c: tensor<4xf32>) {
  // expected-error@+1 {{sum of elements in 'result_segment_sizes' attribute must be equal to the number of results}}
  %0:3 = "nn.BatchNormalization"(%x, %c, %c, %c, %c) {result_segment_sizes = array<i32: 1, 1, 0, 0, 0>} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

// Segment sizes in the wrong list: operand_segment_sizes does not count results.
func.func @layernorm_operand_sizes_for_results(%x: tensor<2x5x8xf32>, %g: tensor<8xf32>) {
  // expected-error@+1 {{'result_segment_sizes' attribute is expected but not provided}}
  %0:2 = "nn.LayerNormalization"(%x, %g) {operand_segment_sizes = array<i32: 1, 1, 0>} : (tensor<2x5x8xf32>, tensor<8xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>)
  return
}

// -----

// A none result in an optional result segment.
func.func @maxpool_none_indices(%x: tensor<1x4x6x6xf32>) {
  // expected-error@+1 {{'none' does not satisfy the constraint}}
  %0:2 = "nn.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>} : (tensor<1x4x6x6xf32>) -> (tensor<1x4x5x5xf32>, none)
  return
}

// -----

// Only Identity takes sequences or optionals; no nn op takes maps (onnx.* ops take anything).
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

// Every nn op must be declared; ONNX ops without an nn op are unregistered onnx.<OpType>.
func.func @undeclared(%x: tensor<2xf32>) {
  // expected-error@+1 {{unregistered operation 'nn.NonZero' found in dialect ('nn') that does not allow unknown operations}}
  %0 = "nn.NonZero"(%x) : (tensor<2xf32>) -> tensor<1x?xi64>
  return
}

// -----

// The variadic ONNX ops are not in the dialect: they are onnx.Concat, onnx.Split, ...
func.func @nn_concat(%x: tensor<2xf32>) {
  // expected-error@+1 {{unregistered operation 'nn.Concat' found in dialect ('nn') that does not allow unknown operations}}
  %0 = "nn.Concat"(%x, %x) {axis = 0 : i64} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  return
}

// -----

// nn.Generic is gone as well.
func.func @nn_generic(%x: tensor<3xf32>) {
  // expected-error@+1 {{unregistered operation 'nn.Generic' found in dialect ('nn') that does not allow unknown operations}}
  %0 = "nn.Generic"(%x) {onnx.op_type = "NonZero"} : (tensor<3xf32>) -> tensor<1x?xi64>
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

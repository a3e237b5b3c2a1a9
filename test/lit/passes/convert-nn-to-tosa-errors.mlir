// Ops and forms without a counterpart fail the conversion with one error at
// the op (its ONNX node name when imported from ONNX).
// RUN: sp-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(sp-convert-nn-to-tosa)'

func.func @grouped(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<4x2x1x1xf32>} : () -> tensor<4x2x1x1xf32>
  // expected-error@+1 {{sp-convert-nn-to-tosa: grouped Conv (group=2) has no TOSA form; only group=1 and depthwise}}
  %c = "nn.Conv"(%x, %w) {group = 2 : i64} : (tensor<1x4x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32>
  return %c : tensor<1x4x4x4xf32>
}

// -----

func.func @dynamic(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{sp-convert-nn-to-tosa: Relu result tensor<?x4xf32>: TOSA needs static f32 tensors (fix symbolic dims with --dim NAME=VALUE, fold shapes with sp-canonicalize)}}
  %r = "nn.Relu"(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

func.func @no_form(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error@+1 {{sp-convert-nn-to-tosa: no TOSA form for Mish}}
  %r = "nn.Mish"(%x) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// -----

func.func @ceil_pool(%x: tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32> {
  // expected-error@+1 {{sp-convert-nn-to-tosa: ceil_mode=1 pooling has no TOSA form}}
  %m = "nn.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode = 1 : i64} : (tensor<1x1x5x5xf32>) -> tensor<1x1x3x3xf32>
  return %m : tensor<1x1x3x3xf32>
}

// -----

func.func @bn_runtime_stats(%x: tensor<1x2x2x2xf32>, %s: tensor<2xf32>) -> tensor<1x2x2x2xf32> {
  // expected-error@+1 {{sp-convert-nn-to-tosa: BatchNormalization needs constant scale, B, mean and var (or run sp-canonicalize{fold-bn=true} first)}}
  %n = "nn.BatchNormalization"(%x, %s, %s, %s, %s) {result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %n : tensor<1x2x2x2xf32>
}

// -----

func.func @float_to_int(%x: tensor<4xf32>) -> tensor<4xi64> {
  // expected-error@+1 {{sp-convert-nn-to-tosa: Cast from float to integer truncates in ONNX but rounds in TOSA}}
  %c = "nn.Cast"(%x) {to = 7 : i64} : (tensor<4xf32>) -> tensor<4xi64>
  return %c : tensor<4xi64>
}

// -----

func.func @gather_axis1_runtime(%x: tensor<2x5xf32>, %i: tensor<3xi64>) -> tensor<2x3xf32> {
  // expected-error@+1 {{sp-convert-nn-to-tosa: Gather along axis 1 has a TOSA form only for one constant index}}
  %g = "nn.Gather"(%x, %i) {axis = 1 : i64} : (tensor<2x5xf32>, tensor<3xi64>) -> tensor<2x3xf32>
  return %g : tensor<2x3xf32>
}

// -----

func.func @gather_out_of_range(%x: tensor<5x2xf32>) -> tensor<2x2xf32> {
  %k = "nn.Constant"() {value = dense<[1, 5]> : tensor<2xi64>} : () -> tensor<2xi64>
  // expected-error@+1 {{sp-convert-nn-to-tosa: Gather index 5 out of range [-5, 5)}}
  %g = "nn.Gather"(%x, %k) : (tensor<5x2xf32>, tensor<2xi64>) -> tensor<2x2xf32>
  return %g : tensor<2x2xf32>
}

// -----

func.func @broadcast_batch_matmul(%a: tensor<1x2x3x4xf32>, %b: tensor<2x2x4x5xf32>) -> tensor<2x2x3x5xf32> {
  // expected-error@+1 {{sp-convert-nn-to-tosa: MatMul needs a 2-D right operand or equal batch dims (no broadcasting)}}
  %m = "nn.MatMul"(%a, %b) : (tensor<1x2x3x4xf32>, tensor<2x2x4x5xf32>) -> tensor<2x2x3x5xf32>
  return %m : tensor<2x2x3x5xf32>
}

// -----

func.func @int_arithmetic(%a: tensor<4xi64>) -> tensor<4xi64> {
  // expected-error@+1 {{sp-convert-nn-to-tosa: Mul result tensor<4xi64>: TOSA needs static f32 tensors}}
  %s = "nn.Mul"(%a, %a) : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %s : tensor<4xi64>
}

// -----

func.func @huge_table(%t: tensor<2147483648x1xf32>, %i: tensor<2xi64>) -> tensor<2x1xf32> {
  // expected-error@+1 {{sp-convert-nn-to-tosa: Gather of 2147483648 rows: TOSA indexes with int32}}
  %g = "nn.Gather"(%t, %i) : (tensor<2147483648x1xf32>, tensor<2xi64>) -> tensor<2x1xf32>
  return %g : tensor<2x1xf32>
}

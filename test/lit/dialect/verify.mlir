// RUN: sp-opt %s --split-input-file | sp-opt --split-input-file | FileCheck %s

// Valid uses of nn ops: each case parses, verifies against lib/dialect/nn.irdl.mlir and
// round-trips through the generic printer. One segment per ONNX input/output position; ops
// with more than one optional segment carry operand_segment_sizes / result_segment_sizes.
// The variadic ONNX ops and unknown ops are unregistered onnx.* ops: see onnx-ops.mlir.

// CHECK-LABEL: func @conv
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<1x3x8x8xf32>{{[^,]*}}, %[[W:[a-z0-9_]+]]: tensor<4x3x3x3xf32>{{[^,]*}})
// CHECK: %[[Y:.*]] = "nn.Conv"(%[[X]], %[[W]]) {kernel_shape = array<i64: 3, 3>}
// CHECK-SAME: (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
// CHECK: return %[[Y]]
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = "nn.Conv"(%x, %w) {kernel_shape = array<i64: 3, 3>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// Grouped conv with bias: B is the one optional segment, so no segment-size attribute.
// CHECK-LABEL: func @conv_grouped_bias
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<1x4x8x8xf32>{{[^,]*}}, %[[W:[a-z0-9_]+]]: tensor<6x2x3x3xf32>{{[^,]*}}, %[[B:[a-z0-9_]+]]: tensor<6xf32>{{[^,]*}})
// CHECK: "nn.Conv"(%[[X]], %[[W]], %[[B]])
// CHECK-SAME: group = 2 : i64
// CHECK-SAME: pads = array<i64: 1, 1, 1, 1>
func.func @conv_grouped_bias(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x8x8xf32> {
  %0 = "nn.Conv"(%x, %w, %b) {group = 2 : i64, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x8x8xf32>
  return %0 : tensor<1x6x8x8xf32>
}

// -----

// CHECK-LABEL: func @conv_transpose
// CHECK: "nn.ConvTranspose"(%{{.*}}, %{{.*}}, %{{.*}}) {strides = array<i64: 2, 2>}
func.func @conv_transpose(%x: tensor<1x4x4x4xf32>, %w: tensor<4x2x2x2xf32>, %b: tensor<2xf32>) -> tensor<1x2x8x8xf32> {
  %0 = "nn.ConvTranspose"(%x, %w, %b) {strides = array<i64: 2, 2>} : (tensor<1x4x4x4xf32>, tensor<4x2x2x2xf32>, tensor<2xf32>) -> tensor<1x2x8x8xf32>
  return %0 : tensor<1x2x8x8xf32>
}

// -----

// Weights are graph initializers holding dense_resource blobs. (Explicit module: sp-opt
// wraps a chunk without one in `module {}`, which would swallow the resource section.)
// CHECK-LABEL: func @initializer
// CHECK: %[[W:.*]] = "nn.Initializer"() {onnx.names = ["fc.weight"], value = dense_resource<fc.weight> : tensor<2xf32>} : () -> tensor<2xf32>
// CHECK: return %[[W]]
// CHECK: fc.weight: "0x040000000000803F00000040"
module {
  func.func @initializer() -> tensor<2xf32> {
    %0 = "nn.Initializer"() {value = dense_resource<fc.weight> : tensor<2xf32>, onnx.names = ["fc.weight"]} : () -> tensor<2xf32>
    return %0 : tensor<2xf32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      fc.weight: "0x040000000000803F00000040"
    }
  }
#-}

// -----

// BatchNormalization has four optional results, so even the inference form carries
// result_segment_sizes.
// CHECK-LABEL: func @batchnorm_inference
// CHECK: "nn.BatchNormalization"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {epsilon = 9.99999974E-6 : f32, result_segment_sizes = array<i32: 1, 0, 0, 0, 0>}
// CHECK-SAME: -> tensor<1x4x6x6xf32>
func.func @batchnorm_inference(%x: tensor<1x4x6x6xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<1x4x6x6xf32> {
  %0 = "nn.BatchNormalization"(%x, %s, %b, %m, %v) {epsilon = 1.0e-5 : f32, result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// Training mode, opset 14+: running_mean and running_var are the present optional results;
// opsets 9-13 add saved_mean and saved_var; an absent output in the middle (opset 9: Y, "",
// var) is a size-0 segment.
// CHECK-LABEL: func @batchnorm_training
// CHECK: %{{.*}}:3 = "nn.BatchNormalization"
// CHECK-SAME: {result_segment_sizes = array<i32: 1, 1, 1, 0, 0>, training_mode = 1 : i64}
// CHECK-SAME: -> (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %{{.*}}:5 = "nn.BatchNormalization"
// CHECK-SAME: {result_segment_sizes = array<i32: 1, 1, 1, 1, 1>}
// CHECK-SAME: -> (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %{{.*}}:2 = "nn.BatchNormalization"
// CHECK-SAME: {result_segment_sizes = array<i32: 1, 0, 1, 0, 0>}
// CHECK-SAME: -> (tensor<1x4x6x6xf32>, tensor<4xf32>)
func.func @batchnorm_training(%x: tensor<1x4x6x6xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<1x4x6x6xf32> {
  %0:3 = "nn.BatchNormalization"(%x, %s, %b, %m, %v) {training_mode = 1 : i64, result_segment_sizes = array<i32: 1, 1, 1, 0, 0>} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>)
  %1:5 = "nn.BatchNormalization"(%x, %s, %b, %m, %v) {result_segment_sizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  %2:2 = "nn.BatchNormalization"(%x, %s, %b, %m, %v) {result_segment_sizes = array<i32: 1, 0, 1, 0, 0>} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<1x4x6x6xf32>, tensor<4xf32>)
  return %0#0 : tensor<1x4x6x6xf32>
}

// -----

// LayerNormalization has two optional results (Mean, InvStdDev), so it always carries
// result_segment_sizes.
// CHECK-LABEL: func @norms
// CHECK: "nn.LayerNormalization"(%{{.*}}, %{{.*}}, %{{.*}}) {axis = -1 : i64, result_segment_sizes = array<i32: 1, 0, 0>}
// CHECK: "nn.LayerNormalization"(%{{.*}}, %{{.*}}) {axis = -1 : i64, result_segment_sizes = array<i32: 1, 1, 1>}
// CHECK-SAME: -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>, tensor<2x5x1xf32>)
// CHECK: "nn.LayerNormalization"(%{{.*}}, %{{.*}}) {axis = -1 : i64, result_segment_sizes = array<i32: 1, 0, 1>}
// CHECK-SAME: -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>)
// CHECK: "nn.InstanceNormalization"
// CHECK: "nn.GroupNormalization"(%{{.*}}, %{{.*}}, %{{.*}}) {num_groups = 2 : i64}
func.func @norms(%x: tensor<2x5x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %i: tensor<1x4x6x6xf32>, %c: tensor<4xf32>, %gs: tensor<2xf32>) {
  %0 = "nn.LayerNormalization"(%x, %g, %b) {axis = -1 : i64, result_segment_sizes = array<i32: 1, 0, 0>} : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  %1:3 = "nn.LayerNormalization"(%x, %g) {axis = -1 : i64, result_segment_sizes = array<i32: 1, 1, 1>} : (tensor<2x5x8xf32>, tensor<8xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>, tensor<2x5x1xf32>)
  %2:2 = "nn.LayerNormalization"(%x, %g) {axis = -1 : i64, result_segment_sizes = array<i32: 1, 0, 1>} : (tensor<2x5x8xf32>, tensor<8xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>)
  %3 = "nn.InstanceNormalization"(%i, %c, %c) : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  %4 = "nn.GroupNormalization"(%i, %gs, %gs) {num_groups = 2 : i64} : (tensor<1x4x6x6xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

// CHECK-LABEL: func @activations
// CHECK: "nn.Relu"
// CHECK: "nn.LeakyRelu"(%{{.*}}) {alpha = 0.00999999977 : f32}
// CHECK: "nn.PRelu"
// CHECK: "nn.Sigmoid"
// CHECK: "nn.HardSigmoid"
// CHECK: "nn.HardSwish"
// CHECK: "nn.Tanh"
// CHECK: "nn.Erf"
// CHECK: "nn.Gelu"(%{{.*}}) {approximate = "tanh"}
// CHECK: "nn.Softplus"
// CHECK: "nn.Elu"
// CHECK: "nn.Selu"
// CHECK: "nn.Mish"
// CHECK: "nn.Softmax"(%{{.*}}) {axis = 1 : i64}
// CHECK: "nn.LogSoftmax"
func.func @activations(%x: tensor<2x4xf32>, %slope: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = "nn.Relu"(%x) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = "nn.LeakyRelu"(%0) {alpha = 0.01 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = "nn.PRelu"(%1, %slope) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %3 = "nn.Sigmoid"(%2) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %4 = "nn.HardSigmoid"(%3) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %5 = "nn.HardSwish"(%4) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %6 = "nn.Tanh"(%5) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %7 = "nn.Erf"(%6) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %8 = "nn.Gelu"(%7) {approximate = "tanh"} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %9 = "nn.Softplus"(%8) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %10 = "nn.Elu"(%9) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %11 = "nn.Selu"(%10) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %12 = "nn.Mish"(%11) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %13 = "nn.Softmax"(%12) {axis = 1 : i64} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %14 = "nn.LogSoftmax"(%13) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %14 : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func @unary_math
// CHECK-COUNT-13: "nn.{{Sqrt|Neg|Exp|Log|Abs|Reciprocal|Floor|Ceil|Round|Sin|Cos|Identity|Dropout}}"
// CHECK: "nn.IsNaN"{{.*}} -> tensor<3xi1>
// CHECK: "nn.Not"
func.func @unary_math(%x: tensor<3xf32>) -> tensor<3xi1> {
  %0 = "nn.Sqrt"(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %1 = "nn.Neg"(%0) : (tensor<3xf32>) -> tensor<3xf32>
  %2 = "nn.Exp"(%1) : (tensor<3xf32>) -> tensor<3xf32>
  %3 = "nn.Log"(%2) : (tensor<3xf32>) -> tensor<3xf32>
  %4 = "nn.Abs"(%3) : (tensor<3xf32>) -> tensor<3xf32>
  %5 = "nn.Reciprocal"(%4) : (tensor<3xf32>) -> tensor<3xf32>
  %6 = "nn.Floor"(%5) : (tensor<3xf32>) -> tensor<3xf32>
  %7 = "nn.Ceil"(%6) : (tensor<3xf32>) -> tensor<3xf32>
  %8 = "nn.Round"(%7) : (tensor<3xf32>) -> tensor<3xf32>
  %9 = "nn.Sin"(%8) : (tensor<3xf32>) -> tensor<3xf32>
  %10 = "nn.Cos"(%9) : (tensor<3xf32>) -> tensor<3xf32>
  %11 = "nn.Identity"(%10) : (tensor<3xf32>) -> tensor<3xf32>
  %12 = "nn.Dropout"(%11) {operand_segment_sizes = array<i32: 1, 0, 0>} : (tensor<3xf32>) -> tensor<3xf32>
  %13 = "nn.IsNaN"(%12) : (tensor<3xf32>) -> tensor<3xi1>
  %14 = "nn.Not"(%13) : (tensor<3xi1>) -> tensor<3xi1>
  return %14 : tensor<3xi1>
}

// -----

// Clip before opset 11 (attributes) and from 11 (min, max: two optional segments). Clip(x,
// "", hi) has only max; min and max may differ in type (own constraints per segment).
// CHECK-LABEL: func @clip
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<2x4xf32>{{[^,]*}}, %[[LO:[a-z0-9_]+]]: tensor<f32>{{[^,]*}}, %[[HI:[a-z0-9_]+]]: tensor<f32>{{[^,]*}}, %[[U:[a-z0-9_]+]]: tensor<*xf32>{{[^,]*}})
// CHECK: "nn.Clip"(%[[X]]) {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32, operand_segment_sizes = array<i32: 1, 0, 0>}
// CHECK: "nn.Clip"(%{{.*}}, %[[LO]], %[[HI]]) {operand_segment_sizes = array<i32: 1, 1, 1>}
// CHECK: "nn.Clip"(%{{.*}}, %[[HI]]) {operand_segment_sizes = array<i32: 1, 0, 1>} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
// CHECK: "nn.Clip"(%{{.*}}, %[[LO]]) {operand_segment_sizes = array<i32: 1, 1, 0>}
// CHECK: "nn.Clip"(%{{.*}}, %[[LO]], %[[U]]) {operand_segment_sizes = array<i32: 1, 1, 1>} : (tensor<2x4xf32>, tensor<f32>, tensor<*xf32>) -> tensor<2x4xf32>
func.func @clip(%x: tensor<2x4xf32>, %lo: tensor<f32>, %hi: tensor<f32>, %u: tensor<*xf32>) -> tensor<2x4xf32> {
  %0 = "nn.Clip"(%x) {min = 0.0 : f32, max = 6.0 : f32, operand_segment_sizes = array<i32: 1, 0, 0>} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = "nn.Clip"(%0, %lo, %hi) {operand_segment_sizes = array<i32: 1, 1, 1>} : (tensor<2x4xf32>, tensor<f32>, tensor<f32>) -> tensor<2x4xf32>
  %2 = "nn.Clip"(%1, %hi) {operand_segment_sizes = array<i32: 1, 0, 1>} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %3 = "nn.Clip"(%2, %lo) {operand_segment_sizes = array<i32: 1, 1, 0>} : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %4 = "nn.Clip"(%3, %lo, %u) {operand_segment_sizes = array<i32: 1, 1, 1>} : (tensor<2x4xf32>, tensor<f32>, tensor<*xf32>) -> tensor<2x4xf32>
  return %4 : tensor<2x4xf32>
}

// -----

// Required operands have their own constraints, so broadcasting operands may differ in type.
// CHECK-LABEL: func @broadcast
// CHECK: "nn.Add"{{.*}} : (tensor<1x4x6x6xf32>, tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32>
// CHECK: "nn.Sub"
// CHECK: "nn.Mul"
// CHECK: "nn.Div"
// CHECK: "nn.Pow"
// CHECK: "nn.Equal"{{.*}} -> tensor<1x4x6x6xi1>
// CHECK: "nn.Less"
// CHECK: "nn.Greater"
// CHECK: "nn.And"
// CHECK: "nn.Or"
// CHECK: "nn.Where"{{.*}} : (tensor<1x4x6x6xi1>, tensor<1x4x6x6xf32>, tensor<f32>) -> tensor<1x4x6x6xf32>
func.func @broadcast(%x: tensor<1x4x6x6xf32>, %c: tensor<4x1x1xf32>, %s: tensor<f32>) -> tensor<1x4x6x6xf32> {
  %0 = "nn.Add"(%x, %c) : (tensor<1x4x6x6xf32>, tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32>
  %1 = "nn.Sub"(%0, %c) : (tensor<1x4x6x6xf32>, tensor<4x1x1xf32>) -> tensor<1x4x6x6xf32>
  %2 = "nn.Mul"(%1, %s) : (tensor<1x4x6x6xf32>, tensor<f32>) -> tensor<1x4x6x6xf32>
  %3 = "nn.Div"(%2, %s) : (tensor<1x4x6x6xf32>, tensor<f32>) -> tensor<1x4x6x6xf32>
  %4 = "nn.Pow"(%3, %s) : (tensor<1x4x6x6xf32>, tensor<f32>) -> tensor<1x4x6x6xf32>
  %5 = "nn.Equal"(%4, %c) : (tensor<1x4x6x6xf32>, tensor<4x1x1xf32>) -> tensor<1x4x6x6xi1>
  %6 = "nn.Less"(%4, %s) : (tensor<1x4x6x6xf32>, tensor<f32>) -> tensor<1x4x6x6xi1>
  %7 = "nn.Greater"(%4, %s) : (tensor<1x4x6x6xf32>, tensor<f32>) -> tensor<1x4x6x6xi1>
  %8 = "nn.And"(%5, %6) : (tensor<1x4x6x6xi1>, tensor<1x4x6x6xi1>) -> tensor<1x4x6x6xi1>
  %9 = "nn.Or"(%8, %7) : (tensor<1x4x6x6xi1>, tensor<1x4x6x6xi1>) -> tensor<1x4x6x6xi1>
  %10 = "nn.Where"(%9, %4, %s) : (tensor<1x4x6x6xi1>, tensor<1x4x6x6xf32>, tensor<f32>) -> tensor<1x4x6x6xf32>
  return %10 : tensor<1x4x6x6xf32>
}

// -----

// CHECK-LABEL: func @linear
// CHECK: "nn.MatMul"{{.*}} : (tensor<2x5x8xf32>, tensor<8x16xf32>) -> tensor<2x5x16xf32>
// CHECK: "nn.Gemm"(%{{.*}}, %{{.*}}, %{{.*}}) {transB = 1 : i64}
// CHECK: "nn.Gemm"(%{{.*}}, %{{.*}}) :
func.func @linear(%x: tensor<2x5x8xf32>, %w: tensor<8x16xf32>, %a: tensor<2x8xf32>, %wt: tensor<16x8xf32>, %b: tensor<16xf32>) {
  %0 = "nn.MatMul"(%x, %w) : (tensor<2x5x8xf32>, tensor<8x16xf32>) -> tensor<2x5x16xf32>
  %1 = "nn.Gemm"(%a, %wt, %b) {transB = 1 : i64} : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<2x16xf32>
  %2 = "nn.Gemm"(%a, %w) : (tensor<2x8xf32>, tensor<8x16xf32>) -> tensor<2x16xf32>
  return
}

// -----

// CHECK-LABEL: func @pooling
// CHECK: %{{.*}}:2 = "nn.MaxPool"
// CHECK-SAME: -> (tensor<1x4x3x3xf32>, tensor<1x4x3x3xi64>)
// CHECK: "nn.MaxPool"{{.*}} -> tensor<1x4x3x3xf32>
// CHECK: "nn.AveragePool"
// CHECK: "nn.GlobalAveragePool"{{.*}} -> tensor<1x4x1x1xf32>
// CHECK: "nn.GlobalMaxPool"
func.func @pooling(%x: tensor<1x4x6x6xf32>) {
  %0:2 = "nn.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x6x6xf32>) -> (tensor<1x4x3x3xf32>, tensor<1x4x3x3xi64>)
  %1 = "nn.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x3x3xf32>
  %2 = "nn.AveragePool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x3x3xf32>
  %3 = "nn.GlobalAveragePool"(%x) : (tensor<1x4x6x6xf32>) -> tensor<1x4x1x1xf32>
  %4 = "nn.GlobalMaxPool"(%x) : (tensor<1x4x6x6xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

// CHECK-LABEL: func @shape_ops
// CHECK: "nn.Flatten"(%{{.*}}) {axis = 1 : i64}
// CHECK: "nn.Shape"{{.*}} -> tensor<4xi64>
// CHECK: "nn.Size"{{.*}} -> tensor<i64>
// CHECK: "nn.Reshape"(%{{.*}}, %{{.*}}) : (tensor<1x4x6x6xf32>, tensor<2xi64>) -> tensor<1x144xf32>
// CHECK: "nn.Reshape"(%{{.*}}) {shape = array<i64: 1, 144>}
// CHECK: "nn.Transpose"(%{{.*}}) {perm = array<i64: 1, 0>}
// CHECK: "nn.Unsqueeze"(%{{.*}}, %{{.*}})
// CHECK: "nn.Squeeze"(%{{.*}}) {axes = array<i64: 0>}
// CHECK: "nn.Expand"
// CHECK: "nn.Tile"
func.func @shape_ops(%x: tensor<1x4x6x6xf32>, %shape: tensor<2xi64>, %axes: tensor<1xi64>) {
  %0 = "nn.Flatten"(%x) {axis = 1 : i64} : (tensor<1x4x6x6xf32>) -> tensor<1x144xf32>
  %1 = "nn.Shape"(%x) : (tensor<1x4x6x6xf32>) -> tensor<4xi64>
  %2 = "nn.Size"(%x) : (tensor<1x4x6x6xf32>) -> tensor<i64>
  %3 = "nn.Reshape"(%x, %shape) : (tensor<1x4x6x6xf32>, tensor<2xi64>) -> tensor<1x144xf32>
  %4 = "nn.Reshape"(%x) {shape = array<i64: 1, 144>} : (tensor<1x4x6x6xf32>) -> tensor<1x144xf32>
  %5 = "nn.Transpose"(%4) {perm = array<i64: 1, 0>} : (tensor<1x144xf32>) -> tensor<144x1xf32>
  %6 = "nn.Unsqueeze"(%5, %axes) : (tensor<144x1xf32>, tensor<1xi64>) -> tensor<1x144x1xf32>
  %7 = "nn.Squeeze"(%6) {axes = array<i64: 0>} : (tensor<1x144x1xf32>) -> tensor<144x1xf32>
  %8 = "nn.Expand"(%7, %shape) : (tensor<144x1xf32>, tensor<2xi64>) -> tensor<144x4xf32>
  %9 = "nn.Tile"(%8, %shape) : (tensor<144x4xf32>, tensor<2xi64>) -> tensor<144x4xf32>
  return
}

// -----

// Slice: attributes before opset 10, inputs from 10 (four optional segments). Slice(data,
// starts, ends, "", steps) skips axes.
// CHECK-LABEL: func @slice
// CHECK: "nn.Slice"(%{{.*}}) {axes = array<i64: 1>, ends = array<i64: 2>, operand_segment_sizes = array<i32: 1, 0, 0, 0, 0>, starts = array<i64: 0>}
// CHECK: "nn.Slice"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {operand_segment_sizes = array<i32: 1, 1, 1, 1, 1>} :
// CHECK: "nn.Slice"(%{{.*}}, %{{.*}}, %{{.*}}) {operand_segment_sizes = array<i32: 1, 1, 1, 0, 0>} :
// CHECK: "nn.Slice"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {operand_segment_sizes = array<i32: 1, 1, 1, 0, 1>} : (tensor<1x8x2x2xf32>, tensor<1xi64>, tensor<1xi32>, tensor<1xi64>)
func.func @slice(%x: tensor<1x8x2x2xf32>, %starts: tensor<1xi64>, %ends: tensor<1xi64>, %axes: tensor<1xi64>, %steps: tensor<1xi64>, %ends32: tensor<1xi32>) {
  %0 = "nn.Slice"(%x) {starts = array<i64: 0>, ends = array<i64: 2>, axes = array<i64: 1>, operand_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x8x2x2xf32>) -> tensor<1x2x2x2xf32>
  %1 = "nn.Slice"(%x, %starts, %ends, %axes, %steps) {operand_segment_sizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<1x8x2x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x2x2xf32>
  %2 = "nn.Slice"(%x, %starts, %ends) {operand_segment_sizes = array<i32: 1, 1, 1, 0, 0>} : (tensor<1x8x2x2xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x2x2xf32>
  %3 = "nn.Slice"(%x, %starts, %ends32, %steps) {operand_segment_sizes = array<i32: 1, 1, 1, 0, 1>} : (tensor<1x8x2x2xf32>, tensor<1xi64>, tensor<1xi32>, tensor<1xi64>) -> tensor<1x2x2x2xf32>
  return
}

// -----

// CHECK-LABEL: func @gather
// CHECK: "nn.Gather"(%{{.*}}, %{{.*}}) {axis = 0 : i64} : (tensor<100x16xf32>, tensor<2x5xi64>) -> tensor<2x5x16xf32>
// CHECK: "nn.GatherElements"
func.func @gather(%table: tensor<100x16xf32>, %ids: tensor<2x5xi64>, %idx: tensor<100x1xi64>) {
  %0 = "nn.Gather"(%table, %ids) {axis = 0 : i64} : (tensor<100x16xf32>, tensor<2x5xi64>) -> tensor<2x5x16xf32>
  %1 = "nn.GatherElements"(%table, %idx) {axis = 1 : i64} : (tensor<100x16xf32>, tensor<100x1xi64>) -> tensor<100x1xf32>
  return
}

// -----

// CHECK-LABEL: func @reductions
// CHECK: "nn.ReduceMean"(%{{.*}}) {axes = array<i64: 2, 3>, keepdims = 1 : i64}
// CHECK: "nn.ReduceMean"(%{{.*}}, %{{.*}}) :
// CHECK: "nn.ReduceSum"(%{{.*}}, %{{.*}}) {keepdims = 0 : i64}
// CHECK: "nn.ReduceMax"
// CHECK: "nn.ReduceMin"
// CHECK: "nn.ReduceL2"
// CHECK: "nn.ArgMax"{{.*}} -> tensor<1x6x6xi64>
func.func @reductions(%x: tensor<1x4x6x6xf32>, %axes: tensor<2xi64>) {
  %0 = "nn.ReduceMean"(%x) {axes = array<i64: 2, 3>, keepdims = 1 : i64} : (tensor<1x4x6x6xf32>) -> tensor<1x4x1x1xf32>
  %1 = "nn.ReduceMean"(%x, %axes) : (tensor<1x4x6x6xf32>, tensor<2xi64>) -> tensor<1x4x1x1xf32>
  %2 = "nn.ReduceSum"(%x, %axes) {keepdims = 0 : i64} : (tensor<1x4x6x6xf32>, tensor<2xi64>) -> tensor<1x4xf32>
  %3 = "nn.ReduceMax"(%x) : (tensor<1x4x6x6xf32>) -> tensor<1x1x1x1xf32>
  %4 = "nn.ReduceMin"(%x) : (tensor<1x4x6x6xf32>) -> tensor<1x1x1x1xf32>
  %5 = "nn.ReduceL2"(%x) : (tensor<1x4x6x6xf32>) -> tensor<1x1x1x1xf32>
  %6 = "nn.ArgMax"(%x) {axis = 1 : i64, keepdims = 0 : i64} : (tensor<1x4x6x6xf32>) -> tensor<1x6x6xi64>
  return
}

// -----

// Dropout in training form: ratio (f32) and training_mode (i1) are scalars of different
// types in their own segments. The outputs have one optional segment (mask): no attribute.
// CHECK-LABEL: func @dropout
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<2x4xf32>{{[^,]*}}, %[[R:[a-z0-9_]+]]: tensor<f32>{{[^,]*}}, %[[T:[a-z0-9_]+]]: tensor<i1>{{[^,]*}})
// CHECK: %{{.*}}:2 = "nn.Dropout"(%[[X]], %[[R]], %[[T]]) {operand_segment_sizes = array<i32: 1, 1, 1>} : (tensor<2x4xf32>, tensor<f32>, tensor<i1>) -> (tensor<2x4xf32>, tensor<2x4xi1>)
// CHECK: %{{.*}}:2 = "nn.Dropout"(%[[X]], %[[R]]) {operand_segment_sizes = array<i32: 1, 1, 0>} : (tensor<2x4xf32>, tensor<f32>) -> (tensor<2x4xf32>, tensor<2x4xi1>)
// CHECK: "nn.Dropout"(%[[X]], %[[T]]) {operand_segment_sizes = array<i32: 1, 0, 1>} : (tensor<2x4xf32>, tensor<i1>) -> tensor<2x4xf32>
func.func @dropout(%x: tensor<2x4xf32>, %ratio: tensor<f32>, %training: tensor<i1>) -> tensor<2x4xf32> {
  %0:2 = "nn.Dropout"(%x, %ratio, %training) {operand_segment_sizes = array<i32: 1, 1, 1>} : (tensor<2x4xf32>, tensor<f32>, tensor<i1>) -> (tensor<2x4xf32>, tensor<2x4xi1>)
  %1:2 = "nn.Dropout"(%x, %ratio) {operand_segment_sizes = array<i32: 1, 1, 0>} : (tensor<2x4xf32>, tensor<f32>) -> (tensor<2x4xf32>, tensor<2x4xi1>)
  %2 = "nn.Dropout"(%x, %training) {operand_segment_sizes = array<i32: 1, 0, 1>} : (tensor<2x4xf32>, tensor<i1>) -> tensor<2x4xf32>
  return %0#0 : tensor<2x4xf32>
}

// -----

// Pad: pads, constant_value and axes are optional segments (pads was an attribute before
// opset 11); the i64 pads and the f32 constant_value are of different types.
// CHECK-LABEL: func @pad
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<1x4x6x6xf32>{{[^,]*}}, %[[P:[a-z0-9_]+]]: tensor<8xi64>{{[^,]*}}, %[[V:[a-z0-9_]+]]: tensor<f32>{{[^,]*}}, %[[P4:[a-z0-9_]+]]: tensor<4xi64>{{[^,]*}}, %[[A:[a-z0-9_]+]]: tensor<2xi64>{{[^,]*}})
// CHECK: "nn.Pad"(%[[X]], %[[P]]) {mode = "reflect", operand_segment_sizes = array<i32: 1, 1, 0, 0>}
// CHECK: "nn.Pad"(%[[X]]) {mode = "constant", operand_segment_sizes = array<i32: 1, 0, 0, 0>, pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.000000e+00 : f32}
// CHECK: "nn.Pad"(%[[X]], %[[P]], %[[V]]) {operand_segment_sizes = array<i32: 1, 1, 1, 0>} : (tensor<1x4x6x6xf32>, tensor<8xi64>, tensor<f32>) -> tensor<1x4x8x8xf32>
// CHECK: "nn.Pad"(%[[X]], %[[P4]], %[[A]]) {operand_segment_sizes = array<i32: 1, 1, 0, 1>} : (tensor<1x4x6x6xf32>, tensor<4xi64>, tensor<2xi64>) -> tensor<1x4x8x8xf32>
func.func @pad(%x: tensor<1x4x6x6xf32>, %pads: tensor<8xi64>, %v: tensor<f32>, %pads4: tensor<4xi64>, %axes: tensor<2xi64>) {
  %0 = "nn.Pad"(%x, %pads) {mode = "reflect", operand_segment_sizes = array<i32: 1, 1, 0, 0>} : (tensor<1x4x6x6xf32>, tensor<8xi64>) -> tensor<1x4x8x8xf32>
  %1 = "nn.Pad"(%x) {mode = "constant", pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32, operand_segment_sizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x8x8xf32>
  %2 = "nn.Pad"(%x, %pads, %v) {operand_segment_sizes = array<i32: 1, 1, 1, 0>} : (tensor<1x4x6x6xf32>, tensor<8xi64>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %3 = "nn.Pad"(%x, %pads4, %axes) {operand_segment_sizes = array<i32: 1, 1, 0, 1>} : (tensor<1x4x6x6xf32>, tensor<4xi64>, tensor<2xi64>) -> tensor<1x4x8x8xf32>
  return
}

// -----

// Resize(X, roi, scales, sizes): an absent input in the middle is a size-0 segment, no
// nn.None. Upsample has one optional segment: no attribute.
// CHECK-LABEL: func @resample
// CHECK-SAME: (%[[X:[a-z0-9_]+]]: tensor<1x4x6x6xf32>{{[^,]*}}, %[[S:[a-z0-9_]+]]: tensor<4xf32>{{[^,]*}}, %[[SZ:[a-z0-9_]+]]: tensor<4xi64>{{[^,]*}}, %[[ROI:[a-z0-9_]+]]: tensor<8xf32>{{[^,]*}})
// CHECK: "nn.Resize"(%[[X]], %[[S]]) {mode = "nearest", operand_segment_sizes = array<i32: 1, 0, 1, 0>} : (tensor<1x4x6x6xf32>, tensor<4xf32>) -> tensor<1x4x12x12xf32>
// CHECK: "nn.Resize"(%[[X]], %[[SZ]]) {mode = "linear", operand_segment_sizes = array<i32: 1, 0, 0, 1>} : (tensor<1x4x6x6xf32>, tensor<4xi64>) -> tensor<1x4x12x12xf32>
// CHECK: "nn.Resize"(%[[X]], %[[ROI]], %[[S]]) {coordinate_transformation_mode = "tf_crop_and_resize", operand_segment_sizes = array<i32: 1, 1, 1, 0>}
// CHECK: "nn.Upsample"(%[[X]], %[[S]]) {mode = "nearest"}
func.func @resample(%x: tensor<1x4x6x6xf32>, %scales: tensor<4xf32>, %sizes: tensor<4xi64>, %roi: tensor<8xf32>) {
  %0 = "nn.Resize"(%x, %scales) {mode = "nearest", operand_segment_sizes = array<i32: 1, 0, 1, 0>} : (tensor<1x4x6x6xf32>, tensor<4xf32>) -> tensor<1x4x12x12xf32>
  %1 = "nn.Resize"(%x, %sizes) {mode = "linear", operand_segment_sizes = array<i32: 1, 0, 0, 1>} : (tensor<1x4x6x6xf32>, tensor<4xi64>) -> tensor<1x4x12x12xf32>
  %2 = "nn.Resize"(%x, %roi, %scales) {coordinate_transformation_mode = "tf_crop_and_resize", operand_segment_sizes = array<i32: 1, 1, 1, 0>} : (tensor<1x4x6x6xf32>, tensor<8xf32>, tensor<4xf32>) -> tensor<1x4x12x12xf32>
  %3 = "nn.Upsample"(%x, %scales) {mode = "nearest"} : (tensor<1x4x6x6xf32>, tensor<4xf32>) -> tensor<1x4x12x12xf32>
  return
}

// -----

// An absent input of an op with one optional segment is just a missing operand.
// CHECK-LABEL: func @absent_input
// CHECK: "nn.Gemm"(%{{.*}}, %{{.*}}) : (tensor<2x8xf32>, tensor<8x16xf32>) -> tensor<2x16xf32>
// CHECK: %{{.*}} = "nn.MaxPool"(%{{.*}}) {kernel_shape = array<i64: 2, 2>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x5x5xf32>
func.func @absent_input(%x: tensor<1x4x6x6xf32>, %a: tensor<2x8xf32>, %b: tensor<8x16xf32>) {
  %0 = "nn.Gemm"(%a, %b) : (tensor<2x8xf32>, tensor<8x16xf32>) -> tensor<2x16xf32>
  %1 = "nn.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x5x5xf32>
  return
}

// -----

// CHECK-LABEL: func @misc
// CHECK: "nn.Cast"(%{{.*}}) {to = 7 : i64} : (tensor<3xf32>) -> tensor<3xi64>
// CHECK: "nn.CastLike"
// CHECK: "nn.Range"
// CHECK: "nn.Trilu"(%{{.*}}) {upper = 0 : i64}
// CHECK: "nn.CumSum"
// CHECK: %{{.*}}:2 = "nn.TopK"(%{{.*}}, %{{.*}}) {axis = -1 : i64}
// CHECK: "nn.Constant"() {value = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>}
// CHECK: "nn.ConstantOfShape"
func.func @misc(%x: tensor<3xf32>, %i: tensor<3xi64>, %s: tensor<i64>, %m: tensor<4x4xf32>, %k: tensor<1xi64>) {
  %0 = "nn.Cast"(%x) {to = 7 : i64} : (tensor<3xf32>) -> tensor<3xi64>
  %1 = "nn.CastLike"(%0, %x) : (tensor<3xi64>, tensor<3xf32>) -> tensor<3xf32>
  %2 = "nn.Range"(%s, %s, %s) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %3 = "nn.Trilu"(%m) {upper = 0 : i64} : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %4 = "nn.CumSum"(%x, %s) : (tensor<3xf32>, tensor<i64>) -> tensor<3xf32>
  %5:2 = "nn.TopK"(%x, %k) {axis = -1 : i64} : (tensor<3xf32>, tensor<1xi64>) -> (tensor<1xf32>, tensor<1xi64>)
  %6 = "nn.Constant"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %7 = "nn.ConstantOfShape"(%i) {value = dense<0.0> : tensor<1xf32>} : (tensor<3xi64>) -> tensor<?x?x?xf32>
  return
}

// -----

// Non-tensor ONNX types, unknown types and unranked tensors.
// CHECK-LABEL: func @types
// CHECK-SAME: tensor<?x!nn.string>
// CHECK-SAME: !nn.sequence<tensor<?xf32>>
// CHECK-SAME: !nn.optional<tensor<f32>>
// CHECK-SAME: !nn.map<i64, tensor<?xf32>>
// CHECK-SAME: !nn.unknown
// CHECK: "nn.Identity"(%{{.*}}) : (!nn.sequence<tensor<?xf32>>) -> !nn.sequence<tensor<?xf32>>
// CHECK: "nn.Identity"(%{{.*}}) : (!nn.optional<tensor<f32>>) -> !nn.optional<tensor<f32>>
// CHECK: "nn.Identity"(%{{.*}}) : (tensor<?x!nn.string>) -> tensor<?x!nn.string>
// CHECK: "nn.Relu"(%{{.*}}) : (!nn.unknown) -> !nn.unknown
// CHECK: "nn.Relu"(%{{.*}}) : (tensor<*xf32>) -> tensor<*xf32>
// CHECK: "nn.Add"(%{{.*}}, %{{.*}}) : (!nn.unknown, tensor<*xf32>) -> tensor<*xf32>
func.func @types(%s: tensor<?x!nn.string>, %q: !nn.sequence<tensor<?xf32>>, %o: !nn.optional<tensor<f32>>, %m: !nn.map<i64, tensor<?xf32>>, %u: !nn.unknown, %r: tensor<*xf32>) {
  %0 = "nn.Identity"(%q) : (!nn.sequence<tensor<?xf32>>) -> !nn.sequence<tensor<?xf32>>
  %1 = "nn.Identity"(%o) : (!nn.optional<tensor<f32>>) -> !nn.optional<tensor<f32>>
  %2 = "nn.Identity"(%s) : (tensor<?x!nn.string>) -> tensor<?x!nn.string>
  %3 = "nn.Relu"(%u) : (!nn.unknown) -> !nn.unknown
  %4 = "nn.Relu"(%r) : (tensor<*xf32>) -> tensor<*xf32>
  %5 = "nn.Add"(%u, %r) : (!nn.unknown, tensor<*xf32>) -> tensor<*xf32>
  return
}

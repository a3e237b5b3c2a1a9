// RUN: sp-opt %s --split-input-file | sp-opt --split-input-file | FileCheck %s

// Valid uses of nn ops: each case parses, verifies against lib/dialect/nn.irdl.mlir and
// round-trips through the generic printer.

// CHECK-LABEL: func @conv
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>)
// CHECK: %[[Y:.*]] = "nn.Conv"(%[[X]], %[[W]]) {kernel_shape = array<i64: 3, 3>}
// CHECK-SAME: (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
// CHECK: return %[[Y]]
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = "nn.Conv"(%x, %w) {kernel_shape = array<i64: 3, 3>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// Grouped conv with bias: B is the optional tail operand.
// CHECK-LABEL: func @conv_grouped_bias
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x8x8xf32>, %[[W:.*]]: tensor<6x2x3x3xf32>, %[[B:.*]]: tensor<6xf32>)
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

// CHECK-LABEL: func @batchnorm_inference
// CHECK: "nn.BatchNormalization"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) {epsilon = 9.99999974E-6 : f32}
// CHECK-SAME: -> tensor<1x4x6x6xf32>
func.func @batchnorm_inference(%x: tensor<1x4x6x6xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<1x4x6x6xf32> {
  %0 = "nn.BatchNormalization"(%x, %s, %b, %m, %v) {epsilon = 1.0e-5 : f32} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// Training mode: running_mean and running_var are the optional results.
// CHECK-LABEL: func @batchnorm_training
// CHECK: %{{.*}}:3 = "nn.BatchNormalization"
// CHECK-SAME: -> (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>)
func.func @batchnorm_training(%x: tensor<1x4x6x6xf32>, %s: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<1x4x6x6xf32> {
  %0:3 = "nn.BatchNormalization"(%x, %s, %b, %m, %v) {training_mode = 1 : i64} : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>)
  return %0#0 : tensor<1x4x6x6xf32>
}

// -----

// CHECK-LABEL: func @norms
// CHECK: "nn.LayerNormalization"(%{{.*}}, %{{.*}}, %{{.*}}) {axis = -1 : i64}
// CHECK: "nn.LayerNormalization"(%{{.*}}, %{{.*}}) {axis = -1 : i64}
// CHECK-SAME: -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>, tensor<2x5x1xf32>)
// CHECK: "nn.InstanceNormalization"
// CHECK: "nn.GroupNormalization"(%{{.*}}, %{{.*}}, %{{.*}}) {num_groups = 2 : i64}
func.func @norms(%x: tensor<2x5x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %i: tensor<1x4x6x6xf32>, %c: tensor<4xf32>, %gs: tensor<2xf32>) {
  %0 = "nn.LayerNormalization"(%x, %g, %b) {axis = -1 : i64} : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  %1:3 = "nn.LayerNormalization"(%x, %g) {axis = -1 : i64} : (tensor<2x5x8xf32>, tensor<8xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>, tensor<2x5x1xf32>)
  %2 = "nn.InstanceNormalization"(%i, %c, %c) : (tensor<1x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  %3 = "nn.GroupNormalization"(%i, %gs, %gs) {num_groups = 2 : i64} : (tensor<1x4x6x6xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x4x6x6xf32>
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
  %12 = "nn.Dropout"(%11) : (tensor<3xf32>) -> tensor<3xf32>
  %13 = "nn.IsNaN"(%12) : (tensor<3xf32>) -> tensor<3xi1>
  %14 = "nn.Not"(%13) : (tensor<3xi1>) -> tensor<3xi1>
  return %14 : tensor<3xi1>
}

// -----

// Clip before opset 11 (attributes) and from 11 (inputs of one type).
// CHECK-LABEL: func @clip
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>, %[[LO:.*]]: tensor<f32>, %[[HI:.*]]: tensor<f32>)
// CHECK: "nn.Clip"(%[[X]]) {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32}
// CHECK: "nn.Clip"(%{{.*}}, %[[LO]], %[[HI]])
func.func @clip(%x: tensor<2x4xf32>, %lo: tensor<f32>, %hi: tensor<f32>) -> tensor<2x4xf32> {
  %0 = "nn.Clip"(%x) {min = 0.0 : f32, max = 6.0 : f32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %1 = "nn.Clip"(%0, %lo, %hi) : (tensor<2x4xf32>, tensor<f32>, tensor<f32>) -> tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
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

// Variadic inputs of one type (see variadic-same-type.mlir for mixed types).
// CHECK-LABEL: func @variadic_elementwise
// CHECK: "nn.Sum"(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK: "nn.Mean"(%{{.*}}, %{{.*}})
// CHECK: "nn.Max"(%{{.*}})
// CHECK: "nn.Min"(%{{.*}}, %{{.*}})
func.func @variadic_elementwise(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "nn.Sum"(%a, %b, %a) : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = "nn.Mean"(%0, %b) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = "nn.Max"(%1) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = "nn.Min"(%2, %a) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %3 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @linear
// CHECK: "nn.MatMul"{{.*}} : (tensor<2x5x8xf32>, tensor<8x16xf32>) -> tensor<2x5x16xf32>
// CHECK: "nn.Gemm"(%{{.*}}, %{{.*}}, %{{.*}}) {transB = 1 : i64}
// CHECK: "nn.Gemm"(%{{.*}}, %{{.*}}) :
// CHECK: "nn.Einsum"(%{{.*}}, %{{.*}}) {equation = "ij,ij->i"}
func.func @linear(%x: tensor<2x5x8xf32>, %w: tensor<8x16xf32>, %a: tensor<2x8xf32>, %wt: tensor<16x8xf32>, %b: tensor<16xf32>) {
  %0 = "nn.MatMul"(%x, %w) : (tensor<2x5x8xf32>, tensor<8x16xf32>) -> tensor<2x5x16xf32>
  %1 = "nn.Gemm"(%a, %wt, %b) {transB = 1 : i64} : (tensor<2x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<2x16xf32>
  %2 = "nn.Gemm"(%a, %w) : (tensor<2x8xf32>, tensor<8x16xf32>) -> tensor<2x16xf32>
  %3 = "nn.Einsum"(%a, %a) {equation = "ij,ij->i"} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2xf32>
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

// CHECK-LABEL: func @concat_split
// CHECK: "nn.Concat"(%{{.*}}, %{{.*}}) {axis = 1 : i64} : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x8x2x2xf32>
// CHECK: %{{.*}}:2 = "nn.Split"(%{{.*}}, %{{.*}}) {axis = 1 : i64}
// CHECK: %{{.*}}:2 = "nn.Split"(%{{.*}}) {axis = 1 : i64, num_outputs = 2 : i64}
func.func @concat_split(%a: tensor<1x4x2x2xf32>, %b: tensor<1x4x2x2xf32>, %split: tensor<2xi64>) {
  %0 = "nn.Concat"(%a, %b) {axis = 1 : i64} : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x8x2x2xf32>
  %1:2 = "nn.Split"(%0, %split) {axis = 1 : i64} : (tensor<1x8x2x2xf32>, tensor<2xi64>) -> (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>)
  %2:2 = "nn.Split"(%0) {axis = 1 : i64, num_outputs = 2 : i64} : (tensor<1x8x2x2xf32>) -> (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>)
  return
}

// -----

// Slice: attributes before opset 10, inputs from 10.
// CHECK-LABEL: func @slice
// CHECK: "nn.Slice"(%{{.*}}) {axes = array<i64: 1>, ends = array<i64: 2>, starts = array<i64: 0>}
// CHECK: "nn.Slice"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) :
func.func @slice(%x: tensor<1x8x2x2xf32>, %starts: tensor<1xi64>, %ends: tensor<1xi64>, %axes: tensor<1xi64>, %steps: tensor<1xi64>) {
  %0 = "nn.Slice"(%x) {starts = array<i64: 0>, ends = array<i64: 2>, axes = array<i64: 1>} : (tensor<1x8x2x2xf32>) -> tensor<1x2x2x2xf32>
  %1 = "nn.Slice"(%x, %starts, %ends, %axes, %steps) : (tensor<1x8x2x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x2x2xf32>
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

// Dropout in training form: ratio and training_mode are scalars of different types, which
// one variadic segment cannot hold in LLVM 19 IRDL; ratio alone is fine.
// CHECK-LABEL: func @dropout
// CHECK: %{{.*}}:2 = "nn.Dropout"(%{{.*}}, %{{.*}}) : (tensor<2x4xf32>, tensor<f32>) -> (tensor<2x4xf32>, tensor<2x4xi1>)
func.func @dropout(%x: tensor<2x4xf32>, %ratio: tensor<f32>) -> tensor<2x4xf32> {
  %0:2 = "nn.Dropout"(%x, %ratio) : (tensor<2x4xf32>, tensor<f32>) -> (tensor<2x4xf32>, tensor<2x4xi1>)
  return %0#0 : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func @resample
// CHECK: "nn.Pad"(%{{.*}}, %{{.*}}) {mode = "reflect"}
// CHECK: "nn.Pad"(%{{.*}}) {mode = "constant", pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.000000e+00 : f32}
// CHECK: "nn.Resize"(%{{.*}}, %{{.*}}) {mode = "nearest"}
// CHECK: "nn.Upsample"(%{{.*}}, %{{.*}}) {mode = "nearest"}
func.func @resample(%x: tensor<1x4x6x6xf32>, %pads: tensor<8xi64>, %scales: tensor<4xf32>) {
  %0 = "nn.Pad"(%x, %pads) {mode = "reflect"} : (tensor<1x4x6x6xf32>, tensor<8xi64>) -> tensor<1x4x8x8xf32>
  %1 = "nn.Pad"(%x) {mode = "constant", pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 0.0 : f32} : (tensor<1x4x6x6xf32>) -> tensor<1x4x8x8xf32>
  %2 = "nn.Resize"(%x, %scales) {mode = "nearest"} : (tensor<1x4x6x6xf32>, tensor<4xf32>) -> tensor<1x4x12x12xf32>
  %3 = "nn.Upsample"(%x, %scales) {mode = "nearest"} : (tensor<1x4x6x6xf32>, tensor<4xf32>) -> tensor<1x4x12x12xf32>
  return
}

// -----

// An absent input in the middle of the ONNX input list is an nn.None value.
// CHECK-LABEL: func @none_input
// CHECK: %[[N:.*]] = "nn.None"() : () -> none
// CHECK: "nn.Resize"(%{{.*}}, %[[N]], %[[N]]) {mode = "nearest"}
// CHECK: "nn.Gemm"(%{{.*}}, %{{.*}}, %[[N]])
func.func @none_input(%x: tensor<1x4x6x6xf32>, %a: tensor<2x8xf32>, %b: tensor<8x16xf32>) {
  %n = "nn.None"() : () -> none
  %0 = "nn.Resize"(%x, %n, %n) {mode = "nearest"} : (tensor<1x4x6x6xf32>, none, none) -> tensor<1x4x6x6xf32>
  %1 = "nn.Gemm"(%a, %b, %n) : (tensor<2x8xf32>, tensor<8x16xf32>, none) -> tensor<2x16xf32>
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

// Ops without a specific nn op keep their ONNX type, domain and attributes.
// CHECK-LABEL: func @generic
// CHECK: "nn.Generic"(%{{.*}}) {onnx.domain = "", onnx.op_type = "NonZero"} : (tensor<3xf32>) -> tensor<1x?xi64>
// CHECK: "nn.Generic"() {dtype = 1 : i64, onnx.domain = "", onnx.op_type = "RandomNormal", shape = array<i64: 2>} : () -> tensor<2xf32>
// CHECK: %{{.*}}:2 = "nn.Generic"(%{{.*}}, %{{.*}}) {onnx.domain = "com.example", onnx.op_type = "Pair"}
func.func @generic(%x: tensor<3xf32>) {
  %0 = "nn.Generic"(%x) {onnx.op_type = "NonZero", onnx.domain = ""} : (tensor<3xf32>) -> tensor<1x?xi64>
  %1 = "nn.Generic"() {onnx.op_type = "RandomNormal", onnx.domain = "", dtype = 1 : i64, shape = array<i64: 2>} : () -> tensor<2xf32>
  %2:2 = "nn.Generic"(%x, %x) {onnx.op_type = "Pair", onnx.domain = "com.example"} : (tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
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
// CHECK: "nn.Generic"(%{{.*}}) {onnx.domain = "ai.onnx.ml", onnx.op_type = "ZipMap"}
func.func @types(%s: tensor<?x!nn.string>, %q: !nn.sequence<tensor<?xf32>>, %o: !nn.optional<tensor<f32>>, %m: !nn.map<i64, tensor<?xf32>>, %u: !nn.unknown, %r: tensor<*xf32>) {
  %0 = "nn.Identity"(%q) : (!nn.sequence<tensor<?xf32>>) -> !nn.sequence<tensor<?xf32>>
  %1 = "nn.Identity"(%o) : (!nn.optional<tensor<f32>>) -> !nn.optional<tensor<f32>>
  %2 = "nn.Identity"(%s) : (tensor<?x!nn.string>) -> tensor<?x!nn.string>
  %3 = "nn.Relu"(%u) : (!nn.unknown) -> !nn.unknown
  %4 = "nn.Relu"(%r) : (tensor<*xf32>) -> tensor<*xf32>
  %5 = "nn.Add"(%u, %r) : (!nn.unknown, tensor<*xf32>) -> tensor<*xf32>
  %6 = "nn.Generic"(%r) {onnx.op_type = "ZipMap", onnx.domain = "ai.onnx.ml"} : (tensor<*xf32>) -> !nn.sequence<!nn.map<i64, f32>>
  return
}

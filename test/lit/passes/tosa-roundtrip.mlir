// nn -> TOSA -> nn in one pipeline gives back the graph: no layout transposes
// left, the conv weight's bytes as they were (OIHW 1 2 3 4), the pads in ONNX
// order, Relu; BatchNormalization comes back as Mul + Add by constants.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-convert-nn-to-tosa,sp-convert-tosa-to-nn)' | FileCheck %s
// CHECK-LABEL: func @main
// CHECK-NOT: nn.Transpose
// CHECK-NOT: tosa.
// CHECK: %[[C:.*]] = "nn.Conv"(%arg0, %[[W:.*]], %{{.*}}) {{.*}}pads = array<i64: 1, 0, 2, 3>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>, tensor<1x2x1x2xf32>, tensor<1xf32>) -> tensor<1x1x4x3xf32>
// CHECK: %[[M:.*]] = "nn.Mul"(%[[C]], %{{.*}}) : (tensor<1x1x4x3xf32>, tensor<1x1x1x1xf32>)
// CHECK: %[[A:.*]] = "nn.Add"(%[[M]], %{{.*}}) : (tensor<1x1x4x3xf32>, tensor<1x1x1x1xf32>)
// CHECK: %[[R:.*]] = "nn.Relu"(%[[A]])
// CHECK: return %[[R]]
// CHECK: "0x400000000000803F000000400000404000008040"
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x3xf32> {
  %w = "nn.Initializer"() {value = dense<[[[[1.0, 2.0]], [[3.0, 4.0]]]]> : tensor<1x2x1x2xf32>} : () -> tensor<1x2x1x2xf32>
  %b = "nn.Initializer"() {value = dense<[0.5]> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = "nn.Conv"(%x, %w, %b) {pads = array<i64: 1, 0, 2, 3>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>, tensor<1x2x1x2xf32>, tensor<1xf32>) -> tensor<1x1x4x3xf32>
  %g = "nn.Initializer"() {value = dense<[2.0]> : tensor<1xf32>} : () -> tensor<1xf32>
  %be = "nn.Initializer"() {value = dense<[1.0]> : tensor<1xf32>} : () -> tensor<1xf32>
  %mu = "nn.Initializer"() {value = dense<[0.0]> : tensor<1xf32>} : () -> tensor<1xf32>
  %v = "nn.Initializer"() {value = dense<[1.0]> : tensor<1xf32>} : () -> tensor<1xf32>
  %n = "nn.BatchNormalization"(%c, %g, %be, %mu, %v) {result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x1x4x3xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x4x3xf32>
  %r = "nn.Relu"(%n) : (tensor<1x1x4x3xf32>) -> tensor<1x1x4x3xf32>
  return %r : tensor<1x1x4x3xf32>
}

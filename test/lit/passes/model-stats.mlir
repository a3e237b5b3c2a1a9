// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-model-stats{json=- table=none})' -o /dev/null | FileCheck %s
// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-model-stats{per-op})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=TABLE

// Conv: 4 out-channels x 6x6 outputs x (3 in-channels x 3x3 kernel) = 3888 MACs;
// params 4*3*3*3 + 4 = 112. Gemm: 1 x 10 x 4 = 40 MACs, params 40 + 10.
// BatchNorm's running mean/var are not parameters: 4 + 4 counted.
// CHECK-LABEL: "by_type"
// CHECK: "BatchNormalization": {
// CHECK-NEXT: "count": 1,
// CHECK-NEXT: "params": 8,
// CHECK-NEXT: "macs": 0
// CHECK: "Conv": {
// CHECK-NEXT: "count": 1,
// CHECK-NEXT: "params": 112,
// CHECK-NEXT: "macs": 3888
// CHECK: "Gemm": {
// CHECK-NEXT: "count": 1,
// CHECK-NEXT: "params": 50,
// CHECK-NEXT: "macs": 40
// CHECK: "name": "conv1",
// CHECK-NEXT: "type": "Conv",
// CHECK-NEXT: "result": "tensor<?x4x6x6xf32>",
// TABLE: conv1 Conv 112 3.888K  tensor<?x4x6x6xf32>
// TABLE: total 6 170 3.928K
// TABLE: (exact: 170 parameters, 3928 MACs)
func.func @main(%x: tensor<?x3x8x8xf32>) -> tensor<?x10xf32> {
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x3x3xf32>} : () -> tensor<4x3x3x3xf32>
  %b = "nn.Initializer"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %s = "nn.Initializer"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %o = "nn.Initializer"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %m = "nn.Initializer"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %v = "nn.Initializer"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %fw = "nn.Initializer"() {value = dense<1.0> : tensor<10x4xf32>} : () -> tensor<10x4xf32>
  %fb = "nn.Initializer"() {value = dense<0.0> : tensor<10xf32>} : () -> tensor<10xf32>
  %0 = "nn.Conv"(%x, %w, %b) {kernel_shape = array<i64: 3, 3>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x6x6xf32> loc("conv1")
  %1 = "nn.BatchNormalization"(%0, %s, %o, %m, %v) {result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<?x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x6x6xf32>
  %2 = "nn.Relu"(%1) : (tensor<?x4x6x6xf32>) -> tensor<?x4x6x6xf32>
  %3 = "nn.GlobalAveragePool"(%2) : (tensor<?x4x6x6xf32>) -> tensor<?x4x1x1xf32>
  %4 = "nn.Flatten"(%3) {axis = 1 : i64} : (tensor<?x4x1x1xf32>) -> tensor<?x4xf32>
  %5 = "nn.Gemm"(%4, %fw, %fb) {transB = 1 : i64} : (tensor<?x4xf32>, tensor<10x4xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %5 : tensor<?x10xf32>
}

// -----

// Grouped conv counts C/group per output; MatMul counts batch x M x N x K;
// ConvTranspose counts per input element; Einsum multiplies every extent.
// CHECK-LABEL: "by_type"
// CHECK: "Conv": {
// CHECK-NEXT: "count": 1,
// CHECK-NEXT: "params": 72,
// CHECK-NEXT: "macs": 9216
// CHECK: "ConvTranspose": {
// CHECK-NEXT: "count": 1,
// CHECK-NEXT: "params": 32,
// CHECK-NEXT: "macs": 4096
// CHECK: "Einsum": {
// CHECK-NEXT: "count": 1,
// CHECK-NEXT: "params": 0,
// CHECK-NEXT: "macs": 3072
// CHECK: "MatMul": {
// CHECK-NEXT: "count": 1,
// CHECK-NEXT: "params": 0,
// CHECK-NEXT: "macs": 3072
func.func @main(%x: tensor<2x8x8x8xf32>, %a: tensor<2x3x4x8xf32>, %b: tensor<2x3x8x16xf32>) -> (tensor<2x8x8x8xf32>, tensor<2x2x16x16xf32>, tensor<2x3x4x16xf32>, tensor<2x3x4x16xf32>) {
  // Depthwise: 2*8*8*8 outputs x 1*3*3 = 9216 MACs, 72 params.
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<8x1x3x3xf32>} : () -> tensor<8x1x3x3xf32>
  %0 = "nn.Conv"(%x, %w) {group = 8 : i64, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>} : (tensor<2x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<2x8x8x8xf32>
  // ConvTranspose: 1024 input elements x (1*2*2) = 4096 MACs, 32 params.
  %tw = "nn.Initializer"() {value = dense<1.0> : tensor<8x1x2x2xf32>} : () -> tensor<8x1x2x2xf32>
  %1 = "nn.ConvTranspose"(%x, %tw) {group = 2 : i64, strides = array<i64: 2, 2>} : (tensor<2x8x8x8xf32>, tensor<8x1x2x2xf32>) -> tensor<2x2x16x16xf32>
  // MatMul: 2*3*4*16 outputs x K=8 = 3072; Einsum: 2*3*4*8*16 = 3072.
  %2 = "nn.MatMul"(%a, %b) : (tensor<2x3x4x8xf32>, tensor<2x3x8x16xf32>) -> tensor<2x3x4x16xf32>
  %3 = "onnx.Einsum"(%a, %b) {equation = "bhik,bhkj->bhij"} : (tensor<2x3x4x8xf32>, tensor<2x3x8x16xf32>) -> tensor<2x3x4x16xf32>
  return %0, %1, %2, %3 : tensor<2x8x8x8xf32>, tensor<2x2x16x16xf32>, tensor<2x3x4x16xf32>, tensor<2x3x4x16xf32>
}

// -----

// LSTM: every one of T*N = 10 steps multiplies by W (1x16x3) and R (1x16x4):
// 10 * (48 + 64) = 1120 MACs; params W + R + B = 48 + 64 + 32.
// CHECK-LABEL: "by_type"
// CHECK: "LSTM": {
// CHECK-NEXT: "count": 1,
// CHECK-NEXT: "params": 144,
// CHECK-NEXT: "macs": 1120
func.func @main(%x: tensor<5x2x3xf32>) -> tensor<5x1x2x4xf32> {
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<1x16x3xf32>} : () -> tensor<1x16x3xf32>
  %r = "nn.Initializer"() {value = dense<1.0> : tensor<1x16x4xf32>} : () -> tensor<1x16x4xf32>
  %b = "nn.Initializer"() {value = dense<1.0> : tensor<1x32xf32>} : () -> tensor<1x32xf32>
  %y = "onnx.LSTM"(%x, %w, %r, %b) {hidden_size = 4 : i64} : (tensor<5x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x32xf32>) -> tensor<5x1x2x4xf32>
  return %y : tensor<5x1x2x4xf32>
}

// sp-sparsify{pattern=2:4} on a hand-computed fixture: conv1 (4 -> 8 channels)
// -> relu -> conv2 (8 -> 1, graph output).
// conv1's input is the graph input (pinned): its rows [1, 2, 3, 4] etc. keep
// their 2 largest in place: [0, 0, 3, 4], [5, -6, 0, 8] -> [0, -6, 0, 8] ...;
// sum |w| 61, kept 7+14+2+1+4+4+4+8 = 44 whatever the channel order of its rows.
// conv2's columns [1, 1, 1, 1, 0, 0, 0, 0]: without permutation the first run
// keeps 2 of its four ones and the second nothing: 2 of 4 (50%). Swapping
// channels between the runs (conv1's rows and bias move with them) keeps
// every one: [0, 0, 1, 1, 1, 1, 0, 0] (100%). Total (44+2)/65, (44+4)/65.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-sparsify{pattern=2:4 report=-})' 2>&1 | FileCheck %s
// CHECK: w1 axis 1: kept |w| 44 of 61: 72.13% without permutation, 72.13% with
// CHECK: w2 axis 1: kept |w| 4 of 4: 50.00% without permutation, 100.00% with
// CHECK: sp-sparsify: 2:4 on 2 weights (0 left dense): kept |w| 70.77% without permutation, 73.85% with (46 -> 48 of 65)
// CHECK: module attributes {onnx.metadata_props = {{\[\[}}"sp.sparsity", "{\22tensors\22:[{\22tensor\22:\22w1\22,\22axis\22:1},{\22tensor\22:\22w2\22,\22axis\22:1}],\22pattern\22:\222:4\22}"]]}
// The permutation: new channel order 4 5 2 3 0 1 6 7 (first-improvement swaps
// 0<->4, 1<->5). conv1's rows and bias follow it; w1 is masked after that.
// CHECK-DAG: "nn.Initializer"() {onnx.names = ["w1"], value = dense_resource<[[W1:.*]]> : tensor<8x4x1x1xf32>}
// CHECK-DAG: "nn.Initializer"() {onnx.names = ["b1"], value = dense_resource<[[B1:.*]]> : tensor<8xf32>}
// CHECK-DAG: "nn.Initializer"() {onnx.names = ["w2"], value = dense_resource<[[W2:.*]]> : tensor<1x8x1x1xf32>}
// b1 = [0.5, 1.5, 2.5, ..., 7.5] -> [4.5, 5.5, 2.5, 3.5, 0.5, 1.5, 6.5, 7.5]
// CHECK-DAG: [[B1]]: "0x{{[0-9A-F]+}}000090400000B04000002040000060400000003F0000C03F0000D0400000F040"
// w2 -> [0, 0, 1, 1, 1, 1, 0, 0]
// CHECK-DAG: [[W2]]: "0x{{[0-9A-F]+}}00000000000000000000803F0000803F0000803F0000803F0000000000000000"
// Permute only (mask=false): no zeros are added, no metadata; permute=false: no move.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-sparsify{mask=false report=-})' 2>&1 | FileCheck %s --check-prefix=ONLY
// ONLY-NOT: sp.sparsity
// ONLY: "nn.Initializer"() {onnx.names = ["w2"], value = dense_resource<[[W2:.*]]> : tensor<1x8x1x1xf32>}
// ONLY: [[W2]]: "0x{{[0-9A-F]+}}00000000000000000000803F0000803F0000803F0000803F0000000000000000"
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-sparsify{permute=false report=-})' 2>&1 | FileCheck %s --check-prefix=PLAIN
// PLAIN: w2 axis 1: kept |w| 2 of 4: 50.00% without permutation, 50.00% with
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-sparsify{pattern=1:2})' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: pass 'sp-sparsify': option 'pattern' must be one of 2:4, got '1:2'
func.func @main(%x: tensor<1x4x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %w1 = "nn.Initializer"() {onnx.names = ["w1"], value = dense<[[[[1.0]], [[2.0]], [[3.0]], [[4.0]]], [[[5.0]], [[-6.0]], [[-1.0]], [[8.0]]], [[[1.0]], [[1.0]], [[1.0]], [[1.0]]], [[[0.0]], [[0.0]], [[0.0]], [[1.0]]], [[[2.0]], [[0.0]], [[0.0]], [[2.0]]], [[[1.0]], [[2.0]], [[1.0]], [[2.0]]], [[[3.0]], [[1.0]], [[1.0]], [[1.0]]], [[[1.0]], [[1.0]], [[4.0]], [[4.0]]]]> : tensor<8x4x1x1xf32>} : () -> tensor<8x4x1x1xf32> loc("w1")
  %b1 = "nn.Initializer"() {onnx.names = ["b1"], value = dense<[0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]> : tensor<8xf32>} : () -> tensor<8xf32> loc("b1")
  %w2 = "nn.Initializer"() {onnx.names = ["w2"], value = dense<[[[[1.0]], [[1.0]], [[1.0]], [[1.0]], [[0.0]], [[0.0]], [[0.0]], [[0.0]]]]> : tensor<1x8x1x1xf32>} : () -> tensor<1x8x1x1xf32> loc("w2")
  %c1 = "nn.Conv"(%x, %w1, %b1) : (tensor<1x4x2x2xf32>, tensor<8x4x1x1xf32>, tensor<8xf32>) -> tensor<1x8x2x2xf32> loc("conv1")
  %r1 = "nn.Relu"(%c1) : (tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32> loc("relu1")
  %c2 = "nn.Conv"(%r1, %w2) : (tensor<1x8x2x2xf32>, tensor<1x8x1x1xf32>) -> tensor<1x1x2x2xf32> loc("conv2")
  return %c2 : tensor<1x1x2x2xf32>
}

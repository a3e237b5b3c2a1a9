// sp-insert-gates: conv1 -> bn1 -> relu1 -> conv2 -> relu2 -> conv3 (graph output).
// conv1's 3 channels get a gate after bn1 (its only user), conv2's 2 channels
// one right after conv2 (no BN); conv3's output is the graph output, pinned,
// so it gets none. Each gate is an initializer of ones named sp.gate.<value>.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-insert-gates)' | FileCheck %s
// CHECK-DAG: %[[G1:.*]] = "nn.Initializer"() {onnx.names = ["sp.gate.n1"], value = dense_resource<{{.*}}> : tensor<1x3x1x1xf32>}
// CHECK-DAG: %[[G2:.*]] = "nn.Initializer"() {onnx.names = ["sp.gate.c2"], value = dense_resource<{{.*}}> : tensor<1x2x1x1xf32>}
// CHECK: %[[C1:.*]] = "nn.Conv"
// CHECK: %[[N1:.*]] = "nn.BatchNormalization"(%[[C1]]
// CHECK: %[[M1:.*]] = "nn.Mul"(%[[N1]], %[[G1]]) {onnx.names = ["n1_gated"]}
// CHECK: "nn.Relu"(%[[M1]])
// CHECK: %[[C2:.*]] = "nn.Conv"
// CHECK: %[[M2:.*]] = "nn.Mul"(%[[C2]], %[[G2]])
// CHECK: "nn.Relu"(%[[M2]])
// CHECK: %[[C3:.*]] = "nn.Conv"
// CHECK-NOT: nn.Mul
// CHECK: return %[[C3]]
//
// The gate values are ones: 0x3F800000 (f32 1.0, little-endian) after the blob's alignment word.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-insert-gates)' | FileCheck %s --check-prefix=BLOB
// BLOB: sp_gate_0: "0x{{[0-9A-F]+}}0000803F0000803F0000803F"
//
// after-bn=false puts conv1's gate between conv1 and bn1; init= sets the value.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-insert-gates{after-bn=false init=0.5})' | FileCheck %s --check-prefix=NOBN
// NOBN: %[[C1:.*]] = "nn.Conv"
// NOBN: %[[M1:.*]] = "nn.Mul"(%[[C1]],
// NOBN: "nn.BatchNormalization"(%[[M1]]
// NOBN: sp_gate_0: "0x{{[0-9A-F]+}}0000003F0000003F0000003F"
//
// The gates join their producer's dependency group (broadcast along dim 1),
// so sp-prune slices them with the channels. Running the pass twice adds no
// second gate.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-insert-gates,sp-insert-gates,sp-dependency-groups{dump=-})' -o /dev/null | FileCheck %s --check-prefix=GROUPS
// GROUPS: group 0: 2 units
// GROUPS-NEXT: sp.gate.c2 dim 1 [0, 2) block 1 weight
// GROUPS-NEXT: w2#0 dim 0
// GROUPS: group 1: 3 units
// GROUPS-NEXT: sp.gate.n1 dim 1 [0, 3) block 1 weight
// GROUPS-NEXT: w1#0 dim 0
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-insert-gates,sp-insert-gates)' | grep -c '"nn.Mul"' | FileCheck %s --check-prefix=TWICE
// TWICE: 2
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-insert-gates,sp-prune{ratio=0.5})' | FileCheck %s --check-prefix=PRUNED
// PRUNED-DAG: onnx.names = ["sp.gate.n1"], value = dense_resource<{{.*}}> : tensor<1x2x1x1xf32>
// PRUNED-DAG: onnx.names = ["sp.gate.c2"], value = dense_resource<{{.*}}> : tensor<1x1x1x1xf32>
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<[[[[3.0]], [[4.0]]], [[[1.0]], [[0.0]]], [[[-2.0]], [[2.0]]]]> : tensor<3x2x1x1xf32>} : () -> tensor<3x2x1x1xf32> loc("w1")
  %g = "nn.Initializer"() {value = dense<[0.5, -2.0, 1.0]> : tensor<3xf32>} : () -> tensor<3xf32> loc("gamma")
  %b = "nn.Initializer"() {value = dense<0.0> : tensor<3xf32>} : () -> tensor<3xf32> loc("beta")
  %m = "nn.Initializer"() {value = dense<0.0> : tensor<3xf32>} : () -> tensor<3xf32> loc("mean")
  %v = "nn.Initializer"() {value = dense<1.0> : tensor<3xf32>} : () -> tensor<3xf32> loc("var")
  %w2 = "nn.Initializer"() {value = dense<[[[[1.0]], [[2.0]], [[2.0]]], [[[0.0]], [[3.0]], [[4.0]]]]> : tensor<2x3x1x1xf32>} : () -> tensor<2x3x1x1xf32> loc("w2")
  %w3 = "nn.Initializer"() {value = dense<1.0> : tensor<1x2x1x1xf32>} : () -> tensor<1x2x1x1xf32> loc("w3")
  %c1 = "nn.Conv"(%x, %w1) {onnx.names = ["c1"]} : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x4x4xf32> loc("conv1")
  %n1 = "nn.BatchNormalization"(%c1, %g, %b, %m, %v) {onnx.names = ["n1"], result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32> loc("bn1")
  %r1 = "nn.Relu"(%n1) : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> loc("relu1")
  %c2 = "nn.Conv"(%r1, %w2) {onnx.names = ["c2"]} : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  %r2 = "nn.Relu"(%c2) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("relu2")
  %c3 = "nn.Conv"(%r2, %w3) : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32> loc("conv3")
  return %c3 : tensor<1x1x4x4xf32>
}

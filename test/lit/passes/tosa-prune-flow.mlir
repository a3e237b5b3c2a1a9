// TOSA from another compiler pruned by sp: TOSA -> nn -> prune -> TOSA.
// conv1's output channels score (mean of the L2 norms of their conv1 rows,
// biases and conv2 columns) 0.97, 0.58, 1.51, 0.69: ratio 0.5 keeps 0 and 2,
// so conv1's OHWI weight becomes 2x1x1x2 (rows 1 1 and 2 2), its bias
// (0.5, 0.7) and conv2's weight 1x1x1x2.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-convert-tosa-to-nn,sp-dependency-groups,sp-importance,sp-prune{ratio=0.5},sp-canonicalize,sp-convert-nn-to-tosa)' | FileCheck %s
// The named pipeline does the same.
// RUN: sp-opt %s --pass-pipeline=sp-prune-tosa | FileCheck %s
// CHECK-NOT: "nn.
// CHECK: sp.keep = [array<i64: 0, 2>]
// CHECK-DAG: %[[B1:.*]] = "tosa.const"() <{value = dense_resource<[[B1R:.*]]> : tensor<2xf32>}>
// CHECK-DAG: %[[W1:.*]] = "tosa.const"() <{value = dense_resource<[[W1R:.*]]> : tensor<2x1x1x2xf32>}>
// CHECK: %[[C1:.*]] = tosa.conv2d %{{.*}}, %[[W1]], %[[B1]] {{.*}} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
// CHECK: tosa.clamp
// CHECK: %[[W2:.*]] = "tosa.const"() <{value = dense_resource<{{.*}}> : tensor<1x1x1x2xf32>}>
// CHECK: tosa.conv2d %{{.*}}, %[[W2]], %{{.*}} {{.*}} : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
// CHECK-NOT: "nn.
// CHECK-DAG: [[B1R]]: "0x400000000000003F3333333F"
// CHECK-DAG: [[W1R]]: "0x400000000000803F0000803F0000004000000040"
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %p = "tosa.const"() <{value = dense<[0, 2, 3, 1]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %q = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %w1 = "tosa.const"() <{value = dense<[[[[1.0, 1.0]]], [[[0.1, 0.1]]], [[[2.0, 2.0]]], [[[0.2, 0.2]]]]> : tensor<4x1x1x2xf32>}> : () -> tensor<4x1x1x2xf32>
  %b1 = "tosa.const"() <{value = dense<[0.5, 0.6, 0.7, 0.8]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %w2 = "tosa.const"() <{value = dense<1.0> : tensor<1x1x1x4xf32>}> : () -> tensor<1x1x1x4xf32>
  %b2 = "tosa.const"() <{value = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %xt = tosa.transpose %x, %p : (tensor<1x2x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x2xf32>
  %c1 = tosa.conv2d %xt, %w1, %b1 {dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<4x1x1x2xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %r = tosa.clamp %c1 {max_fp = 3.40282347E+38 : f32, max_int = 2147483647 : i64, min_fp = 0.0 : f32, min_int = 0 : i64} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c2 = tosa.conv2d %r, %w2, %b2 {dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  %y = tosa.transpose %c2, %q : (tensor<1x4x4x1xf32>, tensor<4xi32>) -> tensor<1x1x4x4xf32>
  return %y : tensor<1x1x4x4xf32>
}

// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-convert-tosa-to-nn)' | FileCheck %s
// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-convert-tosa-to-nn)' | FileCheck %s --check-prefix=NOTOSA
// NOTOSA-NOT: tosa.

// What sp-convert-nn-to-tosa writes for Conv + Relu comes back as the
// original nn graph: the NHWC transposes cancel, the OHWI weight (values
// 1 3 2 4) is OIHW again (1 2 3 4), TOSA pad [t, b, l, r] = [1, 2, 0, 3] is
// ONNX pads [t, l, b, r] = [1, 0, 2, 3], and clamp(0, FLT_MAX) is Relu.
// CHECK-LABEL: func @conv_relu
// CHECK-DAG: %[[B:.*]] = "nn.Initializer"() {{.*}}value = dense<5.000000e-01> : tensor<1xf32>
// CHECK-DAG: %[[W:.*]] = "nn.Initializer"() {{.*}}value = dense_resource<[[WR:.*]]> : tensor<1x2x1x2xf32>
// CHECK-NOT: nn.Transpose
// CHECK: %[[C:.*]] = "nn.Conv"(%arg0, %[[W]], %[[B]]) {dilations = array<i64: 1, 1>, group = 1 : i64, kernel_shape = array<i64: 1, 2>, pads = array<i64: 1, 0, 2, 3>, strides = array<i64: 2, 2>} : {{.*}} -> tensor<1x1x4x3xf32>
// CHECK: %[[R:.*]] = "nn.Relu"(%[[C]])
// CHECK: return %[[R]]
// CHECK: [[WR]]: "0x400000000000803F000000400000404000008040"
func.func @conv_relu(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x3xf32> {
  %b = "tosa.const"() <{value = dense<5.000000e-01> : tensor<1xf32>}> : () -> tensor<1xf32>
  %w = "tosa.const"() <{value = dense<[[[[1.0, 3.0], [2.0, 4.0]]]]> : tensor<1x1x2x2xf32>}> : () -> tensor<1x1x2x2xf32>
  %p = "tosa.const"() <{value = dense<[0, 2, 3, 1]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %xt = tosa.transpose %x, %p : (tensor<1x2x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x2xf32>
  %c = tosa.conv2d %xt, %w, %b {dilation = array<i64: 1, 1>, pad = array<i64: 1, 2, 0, 3>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>, tensor<1xf32>) -> tensor<1x4x3x1xf32>
  %q = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %y = tosa.transpose %c, %q : (tensor<1x4x3x1xf32>, tensor<4xi32>) -> tensor<1x1x4x3xf32>
  %r = tosa.clamp %y {max_fp = 3.40282347E+38 : f32, max_int = 2147483647 : i64, min_fp = 0.000000e+00 : f32, min_int = 0 : i64} : (tensor<1x1x4x3xf32>) -> tensor<1x1x4x3xf32>
  return %r : tensor<1x1x4x3xf32>
}

// -----

// NHWC TOSA from elsewhere: transposes stay where the layout really changes.
// Depthwise (KH,KW,C,M) = (1,1,2,2) -> (C*M,1,1,1) with group = C; clamp(0, 6)
// is Clip; a whole-plane avg_pool2d is GlobalAveragePool; fully_connected is
// Gemm with transB = 1.
// CHECK-LABEL: func @nhwc_depthwise_pool
// CHECK-DAG: %[[W:.*]] = "nn.Initializer"() {{.*}}value = dense_resource<{{.*}}> : tensor<4x1x1x1xf32>
// CHECK: %[[X:.*]] = "nn.Transpose"(%arg0) {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
// CHECK: %[[D:.*]] = "nn.Conv"(%[[X]], %[[W]], %{{.*}}) {{{.*}}group = 2 : i64{{.*}}} : {{.*}} -> tensor<1x4x4x4xf32>
// CHECK: %[[DT:.*]] = "nn.Transpose"(%[[D]]) {perm = array<i64: 0, 2, 3, 1>}
// CHECK: %[[CL:.*]] = "nn.Clip"(%[[DT]], %{{.*}}, %{{.*}}) {operand_segment_sizes = array<i32: 1, 1, 1>}
// CHECK: %[[CT:.*]] = "nn.Transpose"(%[[CL]]) {perm = array<i64: 0, 3, 1, 2>}
// CHECK: %[[M:.*]] = "nn.MaxPool"(%[[CT]]) {kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32>
// CHECK: %[[G:.*]] = "nn.GlobalAveragePool"(%[[M]]) : (tensor<1x4x2x2xf32>) -> tensor<1x4x1x1xf32>
// CHECK: %[[GT:.*]] = "nn.Transpose"(%[[G]])
// CHECK: %[[S:.*]] = "nn.Constant"() {{.*}}value = dense<[1, 4]> : tensor<2xi64>
// CHECK: %[[F:.*]] = "nn.Reshape"(%[[GT]], %[[S]])
// CHECK: "nn.Gemm"(%[[F]], %{{.*}}, %{{.*}}) {transB = 1 : i64} : (tensor<1x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x2xf32>
// CHECK: "0x400000000000803F000000400000404000008040"
func.func @nhwc_depthwise_pool(%x: tensor<1x4x4x2xf32>) -> tensor<1x2xf32> {
  %w = "tosa.const"() <{value = dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>}> : () -> tensor<1x1x2x2xf32>
  %z = "tosa.const"() <{value = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %d = tosa.depthwise_conv2d %x, %w, %z {dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %r = tosa.clamp %d {max_fp = 6.0 : f32, max_int = 6 : i64, min_fp = 0.0 : f32, min_int = 0 : i64} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %m = tosa.max_pool2d %r {kernel = array<i64: 2, 2>, pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 2, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x2x2x4xf32>
  %g = tosa.avg_pool2d %m {acc_type = f32, kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x4xf32>) -> tensor<1x1x1x4xf32>
  %f = tosa.reshape %g {new_shape = array<i64: 1, 4>} : (tensor<1x1x1x4xf32>) -> tensor<1x4xf32>
  %fw = "tosa.const"() <{value = dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>}> : () -> tensor<2x4xf32>
  %fb = "tosa.const"() <{value = dense<[0.0, 1.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %y = tosa.fully_connected %f, %fw, %fb : (tensor<1x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// tosa.pad (rank, 2) rows [low, high] -> ONNX pads [b0.., e0..] and the fill.
// CHECK-LABEL: func @pad
// CHECK-DAG: %[[P:.*]] = "nn.Constant"() {{.*}}value = dense<[0, 0, 1, 0, 0, 0, 1, 1]> : tensor<8xi64>
// CHECK-DAG: %[[V:.*]] = "nn.Initializer"() {{.*}}value = dense<-1.000000e+00> : tensor<f32>
// CHECK: "nn.Pad"(%arg0, %[[P]], %[[V]]) {operand_segment_sizes = array<i32: 1, 1, 1, 0>} : {{.*}} -> tensor<1x3x4x3xf32>
func.func @pad(%x: tensor<1x3x2x2xf32>) -> tensor<1x3x4x3xf32> {
  %p = "tosa.const"() <{value = dense<[[0, 0], [0, 0], [1, 1], [0, 1]]> : tensor<4x2xi32>}> : () -> tensor<4x2xi32>
  %v = "tosa.const"() <{value = dense<-1.0> : tensor<f32>}> : () -> tensor<f32>
  %y = tosa.pad %x, %p, %v : (tensor<1x3x2x2xf32>, tensor<4x2xi32>, tensor<f32>) -> tensor<1x3x4x3xf32>
  return %y : tensor<1x3x4x3xf32>
}

// -----

// The transformer ops: cast i64 -> i32 is Cast{to = INT32 (6)}; the index
// wrap-around (greater, add, select on i32) is Greater, Add, Where; gather with
// a batch of 1 is Gather (axis 0) of the values reshaped to the (K, C) table;
// tile is Tile by constant repeats; logical_not is Not, select is Where.
// CHECK-LABEL: func @transformer_ops
// CHECK: %[[T:.*]] = "nn.Initializer"() {{.*}}value = dense<{{.*}}> : tensor<1x2x4xf32>
// CHECK: %[[C:.*]] = "nn.Cast"(%arg0) {to = 6 : i64} : (tensor<1x3xi64>) -> tensor<1x3xi32>
// CHECK: %[[Z:.*]] = "nn.Constant"() {{.*}}value = dense<0> : tensor<1x1xi32>
// CHECK: %[[NEG:.*]] = "nn.Greater"(%[[Z]], %[[C]]) : (tensor<1x1xi32>, tensor<1x3xi32>) -> tensor<1x3xi1>
// CHECK: %[[K:.*]] = "nn.Constant"() {{.*}}value = dense<2> : tensor<1x1xi32>
// CHECK: %[[UP:.*]] = "nn.Add"(%[[C]], %[[K]]) : (tensor<1x3xi32>, tensor<1x1xi32>) -> tensor<1x3xi32>
// CHECK: %[[I:.*]] = "nn.Where"(%[[NEG]], %[[UP]], %[[C]]) : (tensor<1x3xi1>, tensor<1x3xi32>, tensor<1x3xi32>) -> tensor<1x3xi32>
// CHECK: %[[KC:.*]] = "nn.Constant"() {{.*}}value = dense<[2, 4]> : tensor<2xi64>
// CHECK: %[[TABLE:.*]] = "nn.Reshape"(%[[T]], %[[KC]]) : (tensor<1x2x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
// CHECK: %[[G:.*]] = "nn.Gather"(%[[TABLE]], %[[I]]) : (tensor<2x4xf32>, tensor<1x3xi32>) -> tensor<1x3x4xf32>
// CHECK: %[[REP:.*]] = "nn.Constant"() {{.*}}value = dense<[2, 3, 1]> : tensor<3xi64>
// CHECK: %[[E:.*]] = "nn.Tile"(%arg1, %[[REP]]) : (tensor<1x1x4xf32>, tensor<3xi64>) -> tensor<2x3x4xf32>
// CHECK: %[[N:.*]] = "nn.Not"(%arg2) : (tensor<1x1x2x2xi1>) -> tensor<1x1x2x2xi1>
// CHECK: %[[INF:.*]] = "nn.Initializer"() {{.*}}value = dense<0xFF800000> : tensor<1x1x1x1xf32>
// CHECK: %[[W:.*]] = "nn.Where"(%[[N]], %[[INF]], %arg3) : (tensor<1x1x2x2xi1>, tensor<1x1x1x1xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
// CHECK: return %[[G]], %[[E]], %[[W]]
func.func @transformer_ops(%ids: tensor<1x3xi64>, %c: tensor<1x1x4xf32>, %m: tensor<1x1x2x2xi1>, %x: tensor<1x2x2x2xf32>) -> (tensor<1x3x4xf32>, tensor<2x3x4xf32>, tensor<1x2x2x2xf32>) {
  %t = "tosa.const"() <{value = dense<[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]]> : tensor<1x2x4xf32>}> : () -> tensor<1x2x4xf32>
  %ci = tosa.cast %ids : (tensor<1x3xi64>) -> tensor<1x3xi32>
  %z = "tosa.const"() <{value = dense<0> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
  %neg = tosa.greater %z, %ci : (tensor<1x1xi32>, tensor<1x3xi32>) -> tensor<1x3xi1>
  %k = "tosa.const"() <{value = dense<2> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
  %up = tosa.add %ci, %k : (tensor<1x3xi32>, tensor<1x1xi32>) -> tensor<1x3xi32>
  %i = tosa.select %neg, %up, %ci : (tensor<1x3xi1>, tensor<1x3xi32>, tensor<1x3xi32>) -> tensor<1x3xi32>
  %g = tosa.gather %t, %i : (tensor<1x2x4xf32>, tensor<1x3xi32>) -> tensor<1x3x4xf32>
  %e = tosa.tile %c {multiples = array<i64: 2, 3, 1>} : (tensor<1x1x4xf32>) -> tensor<2x3x4xf32>
  %n = tosa.logical_not %m : (tensor<1x1x2x2xi1>) -> tensor<1x1x2x2xi1>
  %inf = "tosa.const"() <{value = dense<0xFF800000> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %w = tosa.select %n, %inf, %x : (tensor<1x1x2x2xi1>, tensor<1x1x1x1xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %g, %e, %w : tensor<1x3x4xf32>, tensor<2x3x4xf32>, tensor<1x2x2x2xf32>
}

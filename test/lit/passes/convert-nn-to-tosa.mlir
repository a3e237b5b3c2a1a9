// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-convert-nn-to-tosa)' | FileCheck %s
// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-convert-nn-to-tosa)' | FileCheck %s --check-prefix=NONN
// NONN-NOT: "nn.
// NONN-NOT: "onnx.

// Conv: NCHW -> NHWC transpose, OIHW weight stored as OHWI (1,2,1,2 -> 1,1,2,2:
// values 1 3 2 4), ONNX pads [t, l, b, r] = [1, 0, 2, 3] -> TOSA [t, b, l, r].
// CHECK-LABEL: func @conv_relu
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{value = dense<5.000000e-01> : tensor<1xf32>}>
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{value = dense_resource<[[WR:.*]]> : tensor<1x1x2x2xf32>}>
// CHECK-DAG: %[[P:.*]] = "tosa.const"() <{value = dense<[0, 2, 3, 1]> : tensor<4xi32>}>
// CHECK: %[[XT:.*]] = tosa.transpose %arg0, %[[P]] : (tensor<1x2x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x2xf32>
// CHECK: %[[C:.*]] = tosa.conv2d %[[XT]], %[[W]], %[[B]] {dilation = array<i64: 1, 1>, pad = array<i64: 1, 2, 0, 3>, stride = array<i64: 2, 2>} : {{.*}} -> tensor<1x4x3x1xf32>
// CHECK: %[[Q:.*]] = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}>
// CHECK: %[[Y:.*]] = tosa.transpose %[[C]], %[[Q]] : {{.*}} -> tensor<1x1x4x3xf32>
// CHECK: %[[R:.*]] = tosa.clamp %[[Y]] {max_fp = 3.40282347E+38 : f32, {{.*}}min_fp = 0.000000e+00 : f32
// CHECK: return %[[R]]
// CHECK: [[WR]]: "0x400000000000803F000040400000004000008040"
func.func @conv_relu(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x3xf32> {
  %w = "nn.Initializer"() {value = dense<[[[[1.0, 2.0]], [[3.0, 4.0]]]]> : tensor<1x2x1x2xf32>} : () -> tensor<1x2x1x2xf32> loc("w")
  %b = "nn.Initializer"() {value = dense<[0.5]> : tensor<1xf32>} : () -> tensor<1xf32> loc("b")
  %c = "nn.Conv"(%x, %w, %b) {pads = array<i64: 1, 0, 2, 3>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>, tensor<1x2x1x2xf32>, tensor<1xf32>) -> tensor<1x1x4x3xf32> loc("conv")
  %r = "nn.Relu"(%c) : (tensor<1x1x4x3xf32>) -> tensor<1x1x4x3xf32> loc("relu")
  return %r : tensor<1x1x4x3xf32>
}

// -----

// Depthwise (group = C = 2, multiplier 2): weight (4,1,1,1) -> (KH,KW,C,M) =
// (1,1,2,2); no bias -> zeros; Clip(0, 6) -> clamp.
// CHECK-LABEL: func @depthwise_clip
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{value = dense_resource<[[WR:.*]]> : tensor<1x1x2x2xf32>}>
// CHECK-DAG: %[[Z:.*]] = "tosa.const"() <{value = dense<0.000000e+00> : tensor<4xf32>}>
// CHECK: tosa.depthwise_conv2d %{{.*}}, %[[W]], %[[Z]] {{.*}} -> tensor<1x4x4x4xf32>
// CHECK: tosa.clamp %{{.*}} {max_fp = 6.000000e+00 : f32, max_int = 6 : i64, min_fp = 0.000000e+00 : f32, min_int = 0 : i64}
// Channel-major (c0m0 c0m1 c1m0 c1m1 = 1 2 3 4), not multiplier-major (1 3 2 4).
// CHECK: [[WR]]: "0x400000000000803F000000400000404000008040"
func.func @depthwise_clip(%x: tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %w = "nn.Initializer"() {value = dense<[[[[1.0]]], [[[2.0]]], [[[3.0]]], [[[4.0]]]]> : tensor<4x1x1x1xf32>} : () -> tensor<4x1x1x1xf32>
  %c = "nn.Conv"(%x, %w) {group = 2 : i64} : (tensor<1x2x4x4xf32>, tensor<4x1x1x1xf32>) -> tensor<1x4x4x4xf32>
  %lo = "nn.Constant"() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %hi = "nn.Constant"() {value = dense<6.0> : tensor<f32>} : () -> tensor<f32>
  %r = "nn.Clip"(%c, %lo, %hi) {operand_segment_sizes = array<i32: 1, 1, 1>} : (tensor<1x4x4x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x4x4x4xf32>
  return %r : tensor<1x4x4x4xf32>
}

// -----

// Pooling in NHWC; GlobalAveragePool is a whole-plane avg_pool2d; Flatten a
// reshape; Gemm with transB=0 stores B transposed (N, K) for fully_connected.
// CHECK-LABEL: func @pool_gemm
// CHECK: tosa.max_pool2d %{{.*}} {kernel = array<i64: 2, 2>, pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
// CHECK: tosa.avg_pool2d %{{.*}} {acc_type = f32, kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>) -> tensor<1x1x1x2xf32>
// CHECK: %[[F:.*]] = tosa.reshape %{{.*}} {new_shape = array<i64: 1, 2>} : (tensor<1x2x1x1xf32>) -> tensor<1x2xf32>
// CHECK: %[[W:.*]] = "tosa.const"() <{value = dense_resource<[[WR:.*]]> : tensor<3x2xf32>}>
// CHECK: tosa.fully_connected %[[F]], %[[W]], %{{.*}} : (tensor<1x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<1x3xf32>
// CHECK: [[WR]]: "0x400000000000803F00008040000000400000A040000040400000C040"
func.func @pool_gemm(%x: tensor<1x2x4x4xf32>) -> tensor<1x3xf32> {
  %m = "nn.MaxPool"(%x) {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %g = "nn.GlobalAveragePool"(%m) : (tensor<1x2x2x2xf32>) -> tensor<1x2x1x1xf32>
  %f = "nn.Flatten"(%g) {axis = 1 : i64} : (tensor<1x2x1x1xf32>) -> tensor<1x2xf32>
  %w = "nn.Initializer"() {value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %y = "nn.Gemm"(%f, %w) : (tensor<1x2xf32>, tensor<2x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// Elementwise with ONNX broadcasting: the lower-rank operand is reshaped to
// the result's rank; Div is a multiply by the reciprocal; BatchNormalization
// a multiply-add by per-channel constants of shape (1, C, 1, 1).
// CHECK-LABEL: func @elementwise_bn
// CHECK: %[[BR:.*]] = tosa.reshape %{{.*}} {new_shape = array<i64: 1, 2, 1, 1>} : (tensor<2x1x1xf32>) -> tensor<1x2x1x1xf32>
// CHECK: %[[A:.*]] = tosa.add %arg0, %[[BR]] : (tensor<1x2x3x3xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x3x3xf32>
// CHECK: %[[R:.*]] = tosa.reciprocal %{{.*}} : (tensor<1x1x1x1xf32>)
// CHECK: %[[D:.*]] = tosa.mul %[[A]], %[[R]] {shift = 0 : i8}
// CHECK-DAG: %[[S:.*]] = "tosa.const"() <{value = dense_resource<{{.*}}> : tensor<1x2x1x1xf32>}>
// CHECK-DAG: %[[T:.*]] = "tosa.const"() <{value = dense_resource<{{.*}}> : tensor<1x2x1x1xf32>}>
// CHECK: %[[M:.*]] = tosa.mul %[[D]], %[[S]] {shift = 0 : i8}
// CHECK: %[[Y:.*]] = tosa.add %[[M]], %[[T]]
// CHECK: tosa.sigmoid %[[Y]]
func.func @elementwise_bn(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %b = "nn.Initializer"() {value = dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>} : () -> tensor<2x1x1xf32>
  %a = "nn.Add"(%x, %b) : (tensor<1x2x3x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %two = "nn.Constant"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %d = "nn.Div"(%a, %two) : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %g = "nn.Initializer"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %be = "nn.Initializer"() {value = dense<[0.0, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %mu = "nn.Initializer"() {value = dense<[0.5, 0.5]> : tensor<2xf32>} : () -> tensor<2xf32>
  %v = "nn.Initializer"() {value = dense<[1.0, 4.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %n = "nn.BatchNormalization"(%d, %g, %be, %mu, %v) {epsilon = 0.0 : f32, result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %s = "nn.Sigmoid"(%n) : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %s : tensor<1x2x3x3xf32>
}

// -----

// Softmax over the last axis: exp(x - max) * 1/sum; ReduceMean: reduce_sum
// per axis times 1/count, then the keepdims=0 reshape; Concat, Slice and
// Transpose map one to one.
// CHECK-LABEL: func @softmax_reduce_shapes
// CHECK: %[[MX:.*]] = tosa.reduce_max %arg0 {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
// CHECK: %[[SH:.*]] = tosa.sub %arg0, %[[MX]]
// CHECK: %[[E:.*]] = tosa.exp %[[SH]]
// CHECK: %[[SUM:.*]] = tosa.reduce_sum %[[E]] {axis = 1 : i32}
// CHECK: %[[INV:.*]] = tosa.reciprocal %[[SUM]]
// CHECK: %[[SM:.*]] = tosa.mul %[[E]], %[[INV]]
// CHECK: %[[RS:.*]] = tosa.reduce_sum %[[SM]] {axis = 0 : i32} : (tensor<2x4xf32>) -> tensor<1x4xf32>
// CHECK: %[[HALF:.*]] = "tosa.const"() <{value = dense<5.000000e-01> : tensor<1x1xf32>}>
// CHECK: %[[MEAN:.*]] = tosa.mul %[[RS]], %[[HALF]]
// CHECK: %[[V:.*]] = tosa.reshape %[[MEAN]] {new_shape = array<i64: 4>}
// CHECK: %[[CAT:.*]] = tosa.concat %[[V]], %[[V]] {axis = 0 : i32} : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
// CHECK: %[[SL:.*]] = tosa.slice %[[CAT]] {size = array<i64: 3>, start = array<i64: 5>}
// CHECK: tosa.transpose %arg0, %{{.*}} : (tensor<2x4xf32>, tensor<2xi32>) -> tensor<4x2xf32>
func.func @softmax_reduce_shapes(%x: tensor<2x4xf32>) -> (tensor<3xf32>, tensor<4x2xf32>) {
  %s = "nn.Softmax"(%x) {axis = -1 : i64} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %m = "nn.ReduceMean"(%s) {axes = array<i64: 0>, keepdims = 0 : i64} : (tensor<2x4xf32>) -> tensor<4xf32>
  %c = "onnx.Concat"(%m, %m) {axis = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<8xf32>
  %st = "nn.Constant"() {value = dense<[-3]> : tensor<1xi64>} : () -> tensor<1xi64>
  %en = "nn.Constant"() {value = dense<[100]> : tensor<1xi64>} : () -> tensor<1xi64>
  %sl = "nn.Slice"(%c, %st, %en) {operand_segment_sizes = array<i32: 1, 1, 1, 0, 0>} : (tensor<8xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xf32>
  %t = "nn.Transpose"(%x) {perm = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
  return %sl, %t : tensor<3xf32>, tensor<4x2xf32>
}

// -----

// Split: one slice per result, offsets from the result types; Pow by 2 is
// x * x; Pad's [b0.., e0..] become (rank, 2) rows [low, high] and the fill a
// rank-0 pad_const.
// CHECK-LABEL: func @split_pad_pow
// CHECK: %[[A:.*]] = tosa.slice %arg0 {size = array<i64: 1, 1, 2, 2>, start = array<i64: 0, 0, 0, 0>}
// CHECK: %[[B:.*]] = tosa.slice %arg0 {size = array<i64: 1, 3, 2, 2>, start = array<i64: 0, 1, 0, 0>}
// CHECK: %[[SQ:.*]] = tosa.mul %[[A]], %[[A]] {shift = 0 : i8}
// CHECK: %[[P:.*]] = "tosa.const"() <{value = dense<{{\[}}[0, 0], [0, 0], [1, 1], [0, 1]]> : tensor<4x2xi32>}>
// CHECK: %[[V:.*]] = "tosa.const"() <{value = dense<-1.000000e+00> : tensor<f32>}>
// CHECK: %[[PAD:.*]] = tosa.pad %[[B]], %[[P]], %[[V]] : {{.*}} -> tensor<1x3x4x3xf32>
// CHECK: return %[[SQ]], %[[PAD]]
func.func @split_pad_pow(%x: tensor<1x4x2x2xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x3x4x3xf32>) {
  %a, %b = "onnx.Split"(%x) {axis = 1 : i64} : (tensor<1x4x2x2xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x3x2x2xf32>)
  %two = "nn.Constant"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %sq = "nn.Pow"(%a, %two) : (tensor<1x1x2x2xf32>, tensor<f32>) -> tensor<1x1x2x2xf32>
  %pads = "nn.Constant"() {value = dense<[0, 0, 1, 0, 0, 0, 1, 1]> : tensor<8xi64>} : () -> tensor<8xi64>
  %v = "nn.Constant"() {value = dense<-1.0> : tensor<f32>} : () -> tensor<f32>
  %p = "nn.Pad"(%b, %pads, %v) {operand_segment_sizes = array<i32: 1, 1, 1, 0>} : (tensor<1x3x2x2xf32>, tensor<8xi64>, tensor<f32>) -> tensor<1x3x4x3xf32>
  return %sq, %p : tensor<1x1x2x2xf32>, tensor<1x3x4x3xf32>
}

// -----

// LayerNormalization over the last axis: mean and variance by reduce_sum
// times 1/4, rsqrt(var + eps); Gelu as x/2 (1 + erf(x / sqrt 2)).
// CHECK-LABEL: func @layernorm_gelu
// CHECK: %[[S:.*]] = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
// CHECK: %[[Q:.*]] = "tosa.const"() <{value = dense<2.500000e-01> : tensor<1x1xf32>}>
// CHECK: %[[MEAN:.*]] = tosa.mul %[[S]], %[[Q]]
// CHECK: %[[C:.*]] = tosa.sub %arg0, %[[MEAN]]
// CHECK: %[[SQ:.*]] = tosa.mul %[[C]], %[[C]]
// CHECK: %[[SS:.*]] = tosa.reduce_sum %[[SQ]] {axis = 1 : i32}
// CHECK: %[[VAR:.*]] = tosa.mul %[[SS]], %[[Q]]
// CHECK: %[[VE:.*]] = tosa.add %[[VAR]], %{{.*}}
// CHECK: %[[R:.*]] = tosa.rsqrt %[[VE]]
// CHECK: %[[N:.*]] = tosa.mul %[[C]], %[[R]]
// CHECK: %[[SC:.*]] = tosa.mul %[[N]], %{{.*}} : (tensor<2x4xf32>, tensor<1x4xf32>)
// CHECK: %[[Y:.*]] = tosa.add %[[SC]], %{{.*}} : (tensor<2x4xf32>, tensor<1x4xf32>)
// CHECK: "tosa.const"() <{value = dense<0.707106769> : tensor<1x1xf32>}>
// CHECK: tosa.erf
func.func @layernorm_gelu(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %s = "nn.Initializer"() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %b = "nn.Initializer"() {value = dense<0.5> : tensor<4xf32>} : () -> tensor<4xf32>
  %n = "nn.LayerNormalization"(%x, %s, %b) {axis = -1 : i64, epsilon = 1.0e-5 : f32, result_segment_sizes = array<i32: 1, 0, 0>} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %g = "nn.Gelu"(%n) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %g : tensor<2x4xf32>
}

// -----

// Expand: reshape (1,4) -> (1,1,4) up to the result rank, then tile the size-1
// dims by result/input = [2, 3, 1]; an Expand that changes nothing is no op.
// CHECK-LABEL: func @expand
// CHECK: %[[R:.*]] = tosa.reshape %arg0 {new_shape = array<i64: 1, 1, 4>} : (tensor<1x4xf32>) -> tensor<1x1x4xf32>
// CHECK: %[[T:.*]] = tosa.tile %[[R]] {multiples = array<i64: 2, 3, 1>} : (tensor<1x1x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NOT: tosa.tile
// CHECK: return %[[T]], %arg1
func.func @expand(%x: tensor<1x4xf32>, %c: tensor<1x1x8xf32>) -> (tensor<2x3x4xf32>, tensor<1x1x8xf32>) {
  %s = "nn.Constant"() {value = dense<[2, 3, 4]> : tensor<3xi64>} : () -> tensor<3xi64>
  %e = "nn.Expand"(%x, %s) : (tensor<1x4xf32>, tensor<3xi64>) -> tensor<2x3x4xf32>
  %o = "nn.Constant"() {value = dense<1> : tensor<3xi64>} : () -> tensor<3xi64>
  %same = "nn.Expand"(%c, %o) : (tensor<1x1x8xf32>, tensor<3xi64>) -> tensor<1x1x8xf32>
  return %e, %same : tensor<2x3x4xf32>, tensor<1x1x8xf32>
}

// -----

// An embedding lookup by int64 token ids: the (10,4) table as values (1,10,4),
// the ids cast to i32 and flattened to (1, W), negative ones wrapped at run
// time (0 > id ? id + 10 : id: ONNX counts them from the end, TOSA does not),
// tosa.gather, reshaped to ids.shape + (4). Constant ids become an i32
// constant, negative ones wrapped here (-1 -> 4 of 5 rows).
// CHECK-LABEL: func @embedding
// CHECK: %[[V:.*]] = tosa.reshape %{{.*}} {new_shape = array<i64: 1, 10, 4>} : (tensor<10x4xf32>) -> tensor<1x10x4xf32>
// CHECK: %[[C:.*]] = tosa.cast %arg0 : (tensor<2x3xi64>) -> tensor<2x3xi32>
// CHECK: %[[I:.*]] = tosa.reshape %[[C]] {new_shape = array<i64: 1, 6>} : (tensor<2x3xi32>) -> tensor<1x6xi32>
// CHECK: %[[Z:.*]] = "tosa.const"() <{value = dense<0> : tensor<1x1xi32>}>
// CHECK: %[[NEG:.*]] = tosa.greater %[[Z]], %[[I]] : (tensor<1x1xi32>, tensor<1x6xi32>) -> tensor<1x6xi1>
// CHECK: %[[K:.*]] = "tosa.const"() <{value = dense<10> : tensor<1x1xi32>}>
// CHECK: %[[UP:.*]] = tosa.add %[[I]], %[[K]] : (tensor<1x6xi32>, tensor<1x1xi32>) -> tensor<1x6xi32>
// CHECK: %[[W:.*]] = tosa.select %[[NEG]], %[[UP]], %[[I]] : (tensor<1x6xi1>, tensor<1x6xi32>, tensor<1x6xi32>) -> tensor<1x6xi32>
// CHECK: %[[G:.*]] = tosa.gather %[[V]], %[[W]] : (tensor<1x10x4xf32>, tensor<1x6xi32>) -> tensor<1x6x4xf32>
// CHECK: %[[Y:.*]] = tosa.reshape %[[G]] {new_shape = array<i64: 2, 3, 4>} : (tensor<1x6x4xf32>) -> tensor<2x3x4xf32>
// CHECK: %[[P:.*]] = tosa.reshape %{{.*}} {new_shape = array<i64: 1, 5, 2>} : (tensor<5x2xf32>) -> tensor<1x5x2xf32>
// CHECK: %[[K:.*]] = "tosa.const"() <{value = dense<{{\[}}[4, 4, 0]]> : tensor<1x3xi32>}>
// CHECK: %[[G2:.*]] = tosa.gather %[[P]], %[[K]] : (tensor<1x5x2xf32>, tensor<1x3xi32>) -> tensor<1x3x2xf32>
// CHECK: tosa.reshape %[[G2]] {new_shape = array<i64: 3, 2>}
// CHECK: return %[[Y]]
func.func @embedding(%ids: tensor<2x3xi64>) -> (tensor<2x3x4xf32>, tensor<3x2xf32>) {
  %t = "nn.Initializer"() {value = dense<1.0> : tensor<10x4xf32>} : () -> tensor<10x4xf32>
  %e = "nn.Gather"(%t, %ids) : (tensor<10x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  %p = "nn.Initializer"() {value = dense<2.0> : tensor<5x2xf32>} : () -> tensor<5x2xf32>
  %k = "nn.Constant"() {value = dense<[4, -1, 0]> : tensor<3xi64>} : () -> tensor<3xi64>
  %pe = "nn.Gather"(%p, %k) : (tensor<5x2xf32>, tensor<3xi64>) -> tensor<3x2xf32>
  return %e, %pe : tensor<2x3x4xf32>, tensor<3x2xf32>
}

// -----

// Gather of one constant index along axis 1 (ViT's class token): a slice of
// that row, reshaped to drop the axis; Cast between integer types is tosa.cast.
// CHECK-LABEL: func @gather_row_cast
// CHECK: %[[S:.*]] = tosa.slice %arg0 {size = array<i64: 1, 1, 3>, start = array<i64: 0, 2, 0>} : (tensor<1x5x3xf32>) -> tensor<1x1x3xf32>
// CHECK: %[[R:.*]] = tosa.reshape %[[S]] {new_shape = array<i64: 1, 3>} : (tensor<1x1x3xf32>) -> tensor<1x3xf32>
// CHECK: %[[C:.*]] = tosa.cast %arg1 : (tensor<4xi64>) -> tensor<4xi32>
// CHECK: return %[[R]], %[[C]]
func.func @gather_row_cast(%x: tensor<1x5x3xf32>, %i: tensor<4xi64>) -> (tensor<1x3xf32>, tensor<4xi32>) {
  %k = "nn.Constant"() {value = dense<2> : tensor<i64>} : () -> tensor<i64>
  %g = "nn.Gather"(%x, %k) {axis = 1 : i64} : (tensor<1x5x3xf32>, tensor<i64>) -> tensor<1x3xf32>
  %c = "nn.Cast"(%i) {to = 6 : i64} : (tensor<4xi64>) -> tensor<4xi32>
  return %g, %c : tensor<1x3xf32>, tensor<4xi32>
}

// -----

// Attention scores (1,2,3,4) x (1,2,4,5): the equal batch dims fold into
// TOSA's one batch of 2.
// CHECK-LABEL: func @batched_matmul
// CHECK: %[[A:.*]] = tosa.reshape %arg0 {new_shape = array<i64: 2, 3, 4>}
// CHECK: %[[B:.*]] = tosa.reshape %arg1 {new_shape = array<i64: 2, 4, 5>}
// CHECK: %[[M:.*]] = tosa.matmul %[[A]], %[[B]] : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
// CHECK: tosa.reshape %[[M]] {new_shape = array<i64: 1, 2, 3, 5>} : (tensor<2x3x5xf32>) -> tensor<1x2x3x5xf32>
func.func @batched_matmul(%a: tensor<1x2x3x4xf32>, %b: tensor<1x2x4x5xf32>) -> tensor<1x2x3x5xf32> {
  %m = "nn.MatMul"(%a, %b) : (tensor<1x2x3x4xf32>, tensor<1x2x4x5xf32>) -> tensor<1x2x3x5xf32>
  return %m : tensor<1x2x3x5xf32>
}

// -----

// A causal mask: the bool dense_resource becomes inline dense bools (no LLVM
// constant form for an i1 resource), Slice and Not work on i1, Where is
// tosa.select with the scalar -inf reshaped to the result rank.
// CHECK-LABEL: func @mask_where
// CHECK: %[[M:.*]] = "tosa.const"() <{value = dense<{{\[\[\[\[}}true, false, true], [false, true, true]]]]> : tensor<1x1x2x3xi1>}>
// CHECK: %[[S:.*]] = tosa.slice %[[M]] {size = array<i64: 1, 1, 2, 2>, start = array<i64: 0, 0, 0, 0>} : (tensor<1x1x2x3xi1>) -> tensor<1x1x2x2xi1>
// CHECK: %[[N:.*]] = tosa.logical_not %[[S]] : (tensor<1x1x2x2xi1>) -> tensor<1x1x2x2xi1>
// CHECK: %[[I:.*]] = "tosa.const"() <{value = dense<0xFF800000> : tensor<f32>}>
// CHECK: %[[IR:.*]] = tosa.reshape %[[I]] {new_shape = array<i64: 1, 1, 1, 1>}
// CHECK: tosa.select %[[N]], %[[IR]], %arg0 : (tensor<1x1x2x2xi1>, tensor<1x1x1x1xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
func.func @mask_where(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %m = "nn.Initializer"() {value = dense_resource<mask> : tensor<1x1x2x3xi1>} : () -> tensor<1x1x2x3xi1>
  %s0 = "nn.Constant"() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %s1 = "nn.Constant"() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %ax = "nn.Constant"() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %s = "nn.Slice"(%m, %s0, %s1, %ax) {operand_segment_sizes = array<i32: 1, 1, 1, 1, 0>} : (tensor<1x1x2x3xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x2x2xi1>
  %n = "nn.Not"(%s) : (tensor<1x1x2x2xi1>) -> tensor<1x1x2x2xi1>
  %inf = "nn.Constant"() {value = dense<0xFF800000> : tensor<f32>} : () -> tensor<f32>
  %w = "nn.Where"(%n, %inf, %x) : (tensor<1x1x2x2xi1>, tensor<f32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %w : tensor<1x2x2x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      mask: "0x01000000010001000101"
    }
  }
#-}

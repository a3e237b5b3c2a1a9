// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.5})' | FileCheck %s
// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.5 mode=mask})' | FileCheck %s --check-prefix=MASK

// Shrink: conv1's 4 channels with 2-norms 5, 1, 2.83, 0.1 (plus conv2's
// all-ones columns); ratio=0.5 drops channels 1 and 3 from conv1's filters,
// its bias, the BatchNormalization parameters and statistics, the depthwise
// conv (whose `group` follows) and conv2's in-channels.
// CHECK-LABEL: module attributes {sp.keep = {{\[}}array<i64: 0, 2>]}
// CHECK-DAG: %[[W1:.*]] = "nn.Initializer"() {value = dense_resource<[[W1R:.*]]> : tensor<2x2x1x1xf32>}
// CHECK-DAG: %[[B1:.*]] = "nn.Initializer"() {value = dense_resource<[[B1R:.*]]> : tensor<2xf32>}
// CHECK-DAG: %[[DW:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<2x1x3x3xf32>}
// CHECK-DAG: %[[W2:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<1x2x1x1xf32>}
// CHECK: %[[A:.*]] = "nn.Conv"(%arg0, %[[W1]], %[[B1]]) : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
// CHECK: %[[N:.*]] = "nn.BatchNormalization"(%[[A]], {{.*}}) {{{.*}}} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
// CHECK: %[[D:.*]] = "nn.Conv"(%[[N]], %[[DW]]) {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x4x4xf32>
// CHECK: "nn.Conv"(%[[D]], %[[W2]]) : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
// Kept filters [3, 4] and [-2, 2]; kept biases 10 and 12 (after the 64-byte alignment word).
// CHECK: [[W1R]]: "0x400000000000404000008040000000C000000040"
// CHECK: [[B1R]]: "0x400000000000204100004041"
// Mask mode keeps every shape and zeroes channels 1 and 3.
// MASK-LABEL: module attributes {sp.keep = {{\[}}array<i64: 0, 2>]}
// MASK: "nn.Conv"(%arg0, %{{.*}}, %{{.*}}) : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// MASK: "nn.Conv"(%{{.*}}, %{{.*}}) {group = 4 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x4x4xf32>
// MASK: "0x4000000000004040000080400000000000000000000000C0000000400000000000000000"
// MASK: "0x4000000000002041000000000000404100000000"
func.func @shrink(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<[[[[3.0]], [[4.0]]], [[[1.0]], [[0.0]]], [[[-2.0]], [[2.0]]], [[[0.1]], [[0.0]]]]> : tensor<4x2x1x1xf32>} : () -> tensor<4x2x1x1xf32> loc("w1")
  %b1 = "nn.Initializer"() {value = dense<[10.0, 11.0, 12.0, 13.0]> : tensor<4xf32>} : () -> tensor<4xf32> loc("b1")
  %s = "nn.Initializer"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_scale")
  %o = "nn.Initializer"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_bias")
  %m = "nn.Initializer"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_mean")
  %v = "nn.Initializer"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_var")
  %dw = "nn.Initializer"() {value = dense<1.0> : tensor<4x1x3x3xf32>} : () -> tensor<4x1x3x3xf32> loc("dw")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<1x4x1x1xf32>} : () -> tensor<1x4x1x1xf32> loc("w2")
  %a = "nn.Conv"(%x, %w1, %b1) : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %n = "nn.BatchNormalization"(%a, %s, %o, %m, %v) {result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32> loc("bn")
  %d = "nn.Conv"(%n, %dw) {group = 4 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x4x4xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x4x4xf32> loc("dwconv")
  %b = "nn.Conv"(%d, %w2) : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x4x4xf32> loc("conv2")
  return %b : tensor<1x1x4x4xf32>
}

// -----

// Concat -> Split: the Split sizes follow the kept channels of each input.
// CHECK-LABEL: module attributes {sp.keep = {{\[}}array<i64: 2, 3>, array<i64: 3, 4, 5>, array<i64>]}
// CHECK: %[[C:.*]] = "onnx.Concat"(%{{.*}}, %{{.*}}) {axis = 1 : i64} : (tensor<1x2x8x8xf32>, tensor<1x3x8x8xf32>) -> tensor<1x5x8x8xf32>
// CHECK: %[[S:.*]] = "nn.Constant"() {value = dense<[2, 3]> : tensor<2xi64>}
// CHECK: "onnx.Split"(%[[C]], %[[S]]) {axis = 1 : i64} : (tensor<1x5x8x8xf32>, tensor<2xi64>) -> (tensor<1x2x8x8xf32>, tensor<1x3x8x8xf32>)
func.func @concat_split(%x: tensor<1x3x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %wa = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("wa")
  %wb = "nn.Initializer"() {value = dense<1.0> : tensor<6x3x1x1xf32>} : () -> tensor<6x3x1x1xf32> loc("wb")
  %wc = "nn.Initializer"() {value = dense<1.0> : tensor<2x4x1x1xf32>} : () -> tensor<2x4x1x1xf32> loc("wc")
  %wd = "nn.Initializer"() {value = dense<1.0> : tensor<2x6x1x1xf32>} : () -> tensor<2x6x1x1xf32> loc("wd")
  %sizes = "nn.Constant"() {value = dense<[4, 6]> : tensor<2xi64>} : () -> tensor<2xi64> loc("sizes")
  %a = "nn.Conv"(%x, %wa) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv_a")
  %b = "nn.Conv"(%x, %wb) : (tensor<1x3x8x8xf32>, tensor<6x3x1x1xf32>) -> tensor<1x6x8x8xf32> loc("conv_b")
  %c = "onnx.Concat"(%a, %b) {axis = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<1x6x8x8xf32>) -> tensor<1x10x8x8xf32> loc("concat")
  %s:2 = "onnx.Split"(%c, %sizes) {axis = 1 : i64} : (tensor<1x10x8x8xf32>, tensor<2xi64>) -> (tensor<1x4x8x8xf32>, tensor<1x6x8x8xf32>) loc("split")
  %d = "nn.Conv"(%s#0, %wc) : (tensor<1x4x8x8xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x8x8xf32> loc("conv_c")
  %e = "nn.Conv"(%s#1, %wd) : (tensor<1x6x8x8xf32>, tensor<2x6x1x1xf32>) -> tensor<1x2x8x8xf32> loc("conv_d")
  %f = "nn.Add"(%d, %e) : (tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> loc("add")
  return %f : tensor<1x2x8x8xf32>
}

// -----

// Channel shuffle: both Reshape targets are rewritten for 2 channels per branch.
// CHECK-LABEL: module attributes {sp.keep = {{\[}}array<i64: 2, 3>, array<i64>]}
// CHECK: %[[T1:.*]] = "nn.Constant"() {value = dense<[1, 2, 2, 8, 8]> : tensor<5xi64>}
// CHECK: "nn.Reshape"(%{{.*}}, %[[T1]]) : (tensor<1x4x8x8xf32>, tensor<5xi64>) -> tensor<1x2x2x8x8xf32>
// CHECK: "nn.Transpose"(%{{.*}}) {perm = array<i64: 0, 2, 1, 3, 4>} : (tensor<1x2x2x8x8xf32>) -> tensor<1x2x2x8x8xf32>
// CHECK: %[[T2:.*]] = "nn.Constant"() {value = dense<[1, 4, 8, 8]> : tensor<4xi64>}
// CHECK: "nn.Reshape"(%{{.*}}, %[[T2]]) : (tensor<1x2x2x8x8xf32>, tensor<4xi64>) -> tensor<1x4x8x8xf32>
func.func @channel_shuffle(%x: tensor<1x3x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %wa = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("wa")
  %wb = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("wb")
  %wo = "nn.Initializer"() {value = dense<1.0> : tensor<2x8x1x1xf32>} : () -> tensor<2x8x1x1xf32> loc("wo")
  %s5 = "nn.Constant"() {value = dense<[1, 2, 4, 8, 8]> : tensor<5xi64>} : () -> tensor<5xi64> loc("s5")
  %s4 = "nn.Constant"() {value = dense<[1, 8, 8, 8]> : tensor<4xi64>} : () -> tensor<4xi64> loc("s4")
  %a = "nn.Conv"(%x, %wa) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv_a")
  %b = "nn.Conv"(%x, %wb) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv_b")
  %c = "onnx.Concat"(%a, %b) {axis = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> loc("concat")
  %r = "nn.Reshape"(%c, %s5) : (tensor<1x8x8x8xf32>, tensor<5xi64>) -> tensor<1x2x4x8x8xf32> loc("reshape1")
  %t = "nn.Transpose"(%r) {perm = array<i64: 0, 2, 1, 3, 4>} : (tensor<1x2x4x8x8xf32>) -> tensor<1x4x2x8x8xf32> loc("transpose")
  %u = "nn.Reshape"(%t, %s4) : (tensor<1x4x2x8x8xf32>, tensor<4xi64>) -> tensor<1x8x8x8xf32> loc("reshape2")
  %o = "nn.Conv"(%u, %wo) : (tensor<1x8x8x8xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x8x8xf32> loc("conv_o")
  return %o : tensor<1x2x8x8xf32>
}

// -----

// GQA: one of the two K/V heads goes, with the two query heads that read it;
// the Expand that repeats K/V keeps the input's (pruned) head count.
// CHECK-LABEL: module attributes {sp.keep = [array<i64>, array<i64: 1>]}
// CHECK: "nn.MatMul"(%arg0, %{{.*}}) : (tensor<1x5x16xf32>, tensor<16x8xf32>) -> tensor<1x5x8xf32>
// CHECK: "nn.MatMul"(%arg0, %{{.*}}) : (tensor<1x5x16xf32>, tensor<16x4xf32>) -> tensor<1x5x4xf32>
// CHECK: %[[WH:.*]] = "nn.Where"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<5xi1>, tensor<5xi64>, tensor<5xi64>) -> tensor<5xi64>
// CHECK: "nn.Expand"(%{{.*}}, %[[WH]]) : (tensor<1x1x1x5x4xf32>, tensor<5xi64>) -> tensor<1x1x2x5x4xf32>
// CHECK: "nn.MatMul"(%{{.*}}, %{{.*}}) : (tensor<1x2x5x5xf32>, tensor<1x2x5x4xf32>) -> tensor<1x2x5x4xf32>
// CHECK: "nn.MatMul"(%{{.*}}, %{{.*}}) : (tensor<1x5x8xf32>, tensor<8x16xf32>) -> tensor<1x5x16xf32>
func.func @gqa(%x: tensor<1x5x16xf32>) -> tensor<1x5x16xf32> {
  %wq = "nn.Initializer"() {value = dense<1.0> : tensor<16x16xf32>} : () -> tensor<16x16xf32> loc("wq")
  %wk = "nn.Initializer"() {value = dense<1.0> : tensor<16x8xf32>} : () -> tensor<16x8xf32> loc("wk")
  %wv = "nn.Initializer"() {value = dense<1.0> : tensor<16x8xf32>} : () -> tensor<16x8xf32> loc("wv")
  %wo = "nn.Initializer"() {value = dense<1.0> : tensor<16x16xf32>} : () -> tensor<16x16xf32> loc("wo")
  %sq = "nn.Constant"() {value = dense<[1, 5, 4, 4]> : tensor<4xi64>} : () -> tensor<4xi64> loc("sq")
  %skv = "nn.Constant"() {value = dense<[1, 5, 2, 4]> : tensor<4xi64>} : () -> tensor<4xi64> loc("skv")
  %sx = "nn.Constant"() {value = dense<[1, 2, 2, 5, 4]> : tensor<5xi64>} : () -> tensor<5xi64> loc("sx")
  %sr = "nn.Constant"() {value = dense<[1, 4, 5, 4]> : tensor<4xi64>} : () -> tensor<4xi64> loc("sr")
  %so = "nn.Constant"() {value = dense<[1, 5, 16]> : tensor<3xi64>} : () -> tensor<3xi64> loc("so")
  %ax = "nn.Constant"() {value = dense<[2]> : tensor<1xi64>} : () -> tensor<1xi64> loc("ax")
  %q0 = "nn.MatMul"(%x, %wq) : (tensor<1x5x16xf32>, tensor<16x16xf32>) -> tensor<1x5x16xf32> loc("q_proj")
  %k0 = "nn.MatMul"(%x, %wk) : (tensor<1x5x16xf32>, tensor<16x8xf32>) -> tensor<1x5x8xf32> loc("k_proj")
  %v0 = "nn.MatMul"(%x, %wv) : (tensor<1x5x16xf32>, tensor<16x8xf32>) -> tensor<1x5x8xf32> loc("v_proj")
  %q1 = "nn.Reshape"(%q0, %sq) : (tensor<1x5x16xf32>, tensor<4xi64>) -> tensor<1x5x4x4xf32> loc("q_heads")
  %q = "nn.Transpose"(%q1) {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x5x4x4xf32>) -> tensor<1x4x5x4xf32> loc("q_t")
  %k1 = "nn.Reshape"(%k0, %skv) : (tensor<1x5x8xf32>, tensor<4xi64>) -> tensor<1x5x2x4xf32> loc("k_heads")
  %k2 = "nn.Transpose"(%k1) {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x5x2x4xf32>) -> tensor<1x2x5x4xf32> loc("k_t")
  %k3 = "nn.Unsqueeze"(%k2, %ax) : (tensor<1x2x5x4xf32>, tensor<1xi64>) -> tensor<1x2x1x5x4xf32> loc("k_unsq")
  %k4 = "nn.Expand"(%k3, %sx) : (tensor<1x2x1x5x4xf32>, tensor<5xi64>) -> tensor<1x2x2x5x4xf32> loc("k_rep")
  %k = "nn.Reshape"(%k4, %sr) : (tensor<1x2x2x5x4xf32>, tensor<4xi64>) -> tensor<1x4x5x4xf32> loc("k_all")
  %v1 = "nn.Reshape"(%v0, %skv) : (tensor<1x5x8xf32>, tensor<4xi64>) -> tensor<1x5x2x4xf32> loc("v_heads")
  %v2 = "nn.Transpose"(%v1) {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x5x2x4xf32>) -> tensor<1x2x5x4xf32> loc("v_t")
  %v3 = "nn.Unsqueeze"(%v2, %ax) : (tensor<1x2x5x4xf32>, tensor<1xi64>) -> tensor<1x2x1x5x4xf32> loc("v_unsq")
  %v4 = "nn.Expand"(%v3, %sx) : (tensor<1x2x1x5x4xf32>, tensor<5xi64>) -> tensor<1x2x2x5x4xf32> loc("v_rep")
  %v = "nn.Reshape"(%v4, %sr) : (tensor<1x2x2x5x4xf32>, tensor<4xi64>) -> tensor<1x4x5x4xf32> loc("v_all")
  %kt = "nn.Transpose"(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x4x5x4xf32>) -> tensor<1x4x4x5xf32> loc("k_tt")
  %s = "nn.MatMul"(%q, %kt) : (tensor<1x4x5x4xf32>, tensor<1x4x4x5xf32>) -> tensor<1x4x5x5xf32> loc("scores")
  %p = "nn.Softmax"(%s) {axis = -1 : i64} : (tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32> loc("softmax")
  %a = "nn.MatMul"(%p, %v) : (tensor<1x4x5x5xf32>, tensor<1x4x5x4xf32>) -> tensor<1x4x5x4xf32> loc("attn")
  %a1 = "nn.Transpose"(%a) {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x5x4xf32>) -> tensor<1x5x4x4xf32> loc("attn_t")
  %a2 = "nn.Reshape"(%a1, %so) : (tensor<1x5x4x4xf32>, tensor<3xi64>) -> tensor<1x5x16xf32> loc("attn_merge")
  %o = "nn.MatMul"(%a2, %wo) : (tensor<1x5x16xf32>, tensor<16x16xf32>) -> tensor<1x5x16xf32> loc("o_proj")
  %r = "nn.Add"(%o, %x) : (tensor<1x5x16xf32>, tensor<1x5x16xf32>) -> tensor<1x5x16xf32> loc("residual")
  return %r : tensor<1x5x16xf32>
}

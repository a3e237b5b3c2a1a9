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

// -----

// Grouped conv (G = 2) in a ResNeXt-style block: `group` stays 2 and the same
// positions go in every conv group. conv1's filters are one group of 4 units
// listed twice (unit u = channels u and 4 + u); with 2-norms dominated by the
// bias units 0 and 3 stay: channels 0, 3, 4, 7 (biases 10, 13, 14, 17). The
// grouped conv's own output group (3 units, gw rows 0.1, 2, 3 per conv group)
// keeps units 1 and 2: channels 1, 2, 4, 5 (biases 11, 12, 14, 15).
// CHECK-LABEL: module attributes {sp.keep = [array<i64: 2, 3>, array<i64: 0, 3>, array<i64: 1, 2>, array<i64>]}
// CHECK-DAG: %[[W1:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<4x2x1x1xf32>}
// CHECK-DAG: %[[B1:.*]] = "nn.Initializer"() {value = dense_resource<[[B1R:.*]]> : tensor<4xf32>}
// CHECK-DAG: %[[GW:.*]] = "nn.Initializer"() {value = dense_resource<[[GWR:.*]]> : tensor<4x2x1x1xf32>}
// CHECK-DAG: %[[GB:.*]] = "nn.Initializer"() {value = dense_resource<[[GBR:.*]]> : tensor<4xf32>}
// CHECK-DAG: %[[W3:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<2x4x1x1xf32>}
// CHECK: "nn.Conv"(%{{.*}}, %[[W1]], %[[B1]]) : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: "nn.Conv"(%{{.*}}, %[[GW]], %[[GB]]) {group = 2 : i64} : (tensor<1x4x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: "nn.Conv"(%{{.*}}, %[[W3]]) : (tensor<1x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x4x4xf32>
// CHECK: [[B1R]]: "0x4000000000002041000050410000604100008841"
// CHECK: [[GWR]]: "0x400000000000004000000040000040400000404000000040000000400000404000004040"
// CHECK: [[GBR]]: "0x4000000000003041000040410000604100007041"
// Mask mode zeroes the same channels and keeps `group` and every shape.
// MASK-LABEL: module attributes {sp.keep = [array<i64: 2, 3>, array<i64: 0, 3>, array<i64: 1, 2>, array<i64>]}
// MASK: "nn.Conv"(%{{.*}}, %{{.*}}, %{{.*}}) {group = 2 : i64} : (tensor<1x8x4x4xf32>, tensor<6x4x1x1xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
// MASK: "0x400000000000204100000000000000000000504100006041000000000000000000008841"
// MASK: "0x40000000000000000000304100004041000000000000604100007041"
func.func @grouped(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w0 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w0")
  %w1 = "nn.Initializer"() {value = dense<[[[[3.0]], [[3.0]], [[3.0]], [[3.0]]], [[[0.1]], [[0.1]], [[0.1]], [[0.1]]], [[[0.2]], [[0.2]], [[0.2]], [[0.2]]], [[[3.0]], [[3.0]], [[3.0]], [[3.0]]], [[[3.0]], [[3.0]], [[3.0]], [[3.0]]], [[[0.1]], [[0.1]], [[0.1]], [[0.1]]], [[[0.2]], [[0.2]], [[0.2]], [[0.2]]], [[[3.0]], [[3.0]], [[3.0]], [[3.0]]]]> : tensor<8x4x1x1xf32>} : () -> tensor<8x4x1x1xf32> loc("w1")
  %b1 = "nn.Initializer"() {value = dense<[10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0]> : tensor<8xf32>} : () -> tensor<8xf32> loc("b1")
  %w2 = "nn.Initializer"() {value = dense<[[[[0.1]], [[0.1]], [[0.1]], [[0.1]]], [[[2.0]], [[2.0]], [[2.0]], [[2.0]]], [[[3.0]], [[3.0]], [[3.0]], [[3.0]]], [[[0.1]], [[0.1]], [[0.1]], [[0.1]]], [[[2.0]], [[2.0]], [[2.0]], [[2.0]]], [[[3.0]], [[3.0]], [[3.0]], [[3.0]]]]> : tensor<6x4x1x1xf32>} : () -> tensor<6x4x1x1xf32> loc("gw")
  %b2 = "nn.Initializer"() {value = dense<[10.0, 11.0, 12.0, 13.0, 14.0, 15.0]> : tensor<6xf32>} : () -> tensor<6xf32> loc("gb")
  %w3 = "nn.Initializer"() {value = dense<1.0> : tensor<4x6x1x1xf32>} : () -> tensor<4x6x1x1xf32> loc("w3")
  %w4 = "nn.Initializer"() {value = dense<1.0> : tensor<2x4x1x1xf32>} : () -> tensor<2x4x1x1xf32> loc("w4")
  %a = "nn.Conv"(%x, %w0) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv0")
  %b = "nn.Conv"(%a, %w1, %b1) : (tensor<1x4x4x4xf32>, tensor<8x4x1x1xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32> loc("conv1")
  %c = "nn.Relu"(%b) : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> loc("relu1")
  %d = "nn.Conv"(%c, %w2, %b2) {group = 2 : i64} : (tensor<1x8x4x4xf32>, tensor<6x4x1x1xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32> loc("gconv")
  %e = "nn.Conv"(%d, %w3) : (tensor<1x6x4x4xf32>, tensor<4x6x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv3")
  %f = "nn.Add"(%e, %a) : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("add")
  %o = "nn.Conv"(%f, %w4) : (tensor<1x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv4")
  return %o : tensor<1x2x4x4xf32>
}

// -----

// Depthwise conv with channel multiplier 2: a dropped input channel takes its
// two output channels, and `group` follows the kept input channels.
// CHECK-LABEL: module attributes {sp.keep = [array<i64: 2, 3>, array<i64>]}
// CHECK-DAG: %[[DW:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<4x1x3x3xf32>}
// CHECK-DAG: %[[DB:.*]] = "nn.Initializer"() {value = dense_resource<[[DBR:.*]]> : tensor<4xf32>}
// CHECK: "nn.Conv"(%{{.*}}, %[[DW]], %[[DB]]) {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x8x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
// CHECK: "nn.Conv"(%{{.*}}, %{{.*}}) : (tensor<1x4x8x8xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x8x8xf32>
// CHECK: [[DBR]]: "0x4000000000006041000070410000804100008841"
// MASK-LABEL: module attributes {sp.keep = [array<i64: 2, 3>, array<i64>]}
// MASK: "nn.Conv"(%{{.*}}, %{{.*}}, %{{.*}}) {group = 4 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
func.func @depthwise_multiplier(%x: tensor<1x3x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %dw = "nn.Initializer"() {value = dense<1.0> : tensor<8x1x3x3xf32>} : () -> tensor<8x1x3x3xf32> loc("dw")
  %db = "nn.Initializer"() {value = dense<[10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0]> : tensor<8xf32>} : () -> tensor<8xf32> loc("db")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x8x1x1xf32>} : () -> tensor<2x8x1x1xf32> loc("w2")
  %a = "nn.Conv"(%x, %w1) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv")
  %b = "nn.Conv"(%a, %dw, %db) {group = 4 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32> loc("dwconv")
  %c = "nn.Conv"(%b, %w2) : (tensor<1x8x8x8xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x8x8xf32> loc("pwconv")
  return %c : tensor<1x2x8x8xf32>
}

// -----

// GroupNorm (torch's export): whole norm groups go. The conv's biases make
// groups 2 and 3 (channels 4..7) the strongest; the Reshape targets become
// (1, 2, 32) and the conv's (new) shape, the InstanceNormalization parameters
// keep 2 of 4 entries, gamma and beta 4 of 8.
// CHECK-LABEL: module attributes {sp.keep = [array<i64: 2, 3>, array<i64>]}
// CHECK-DAG: %[[B:.*]] = "nn.Initializer"() {value = dense_resource<[[BR:.*]]> : tensor<4xf32>}
// CHECK-DAG: %[[G:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<4x1x1xf32>}
// CHECK-DAG: %[[S:.*]] = "nn.Constant"() {value = dense_resource<{{.*}}> : tensor<2xf32>}
// CHECK: %[[C:.*]] = "nn.Conv"(%{{.*}}, %{{.*}}, %[[B]]) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[T1:.*]] = "nn.Constant"() {value = dense<[1, 2, 32]> : tensor<3xi64>}
// CHECK: %[[R:.*]] = "nn.Reshape"(%[[C]], %[[T1]]) : (tensor<1x4x4x4xf32>, tensor<3xi64>) -> tensor<1x2x32xf32>
// CHECK: %[[N:.*]] = "nn.InstanceNormalization"(%[[R]], %[[S]], %{{.*}}) {{.*}} : (tensor<1x2x32xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x32xf32>
// CHECK: %[[T2:.*]] = "nn.Constant"() {value = dense<[1, 4, 4, 4]> : tensor<4xi64>}
// CHECK: %[[BACK:.*]] = "nn.Reshape"(%[[N]], %[[T2]]) : (tensor<1x2x32xf32>, tensor<4xi64>) -> tensor<1x4x4x4xf32>
// CHECK: "nn.Mul"(%[[BACK]], %[[G]]) : (tensor<1x4x4x4xf32>, tensor<4x1x1xf32>) -> tensor<1x4x4x4xf32>
// CHECK: [[BR]]: "0x4000000000006041000070410000804100008841"
// Mask mode zeroes norm groups 0 and 1 and keeps the shapes.
// MASK-LABEL: module attributes {sp.keep = [array<i64: 2, 3>, array<i64>]}
// MASK: "nn.Reshape"(%{{.*}}, %{{.*}}) : (tensor<1x8x4x4xf32>, tensor<3xi64>) -> tensor<1x4x32xf32>
func.func @groupnorm(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<8x3x1x1xf32>} : () -> tensor<8x3x1x1xf32> loc("w")
  %b = "nn.Initializer"() {value = dense<[10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0]> : tensor<8xf32>} : () -> tensor<8xf32> loc("b")
  %gamma = "nn.Initializer"() {value = dense<1.0> : tensor<8x1x1xf32>} : () -> tensor<8x1x1xf32> loc("gamma")
  %beta = "nn.Initializer"() {value = dense<0.0> : tensor<8x1x1xf32>} : () -> tensor<8x1x1xf32> loc("beta")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x8x1x1xf32>} : () -> tensor<2x8x1x1xf32> loc("w2")
  %t = "nn.Constant"() {value = dense<[0, 4, -1]> : tensor<3xi64>} : () -> tensor<3xi64> loc("target")
  %s = "nn.Constant"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("in_scale")
  %z = "nn.Constant"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("in_bias")
  %0 = "nn.Conv"(%x, %w, %b) : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32> loc("conv")
  %1 = "nn.Reshape"(%0, %t) : (tensor<1x8x4x4xf32>, tensor<3xi64>) -> tensor<1x4x32xf32> loc("gn_groups")
  %2 = "nn.InstanceNormalization"(%1, %s, %z) {epsilon = 1.0E-5 : f32} : (tensor<1x4x32xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x32xf32> loc("gn_norm")
  %3 = "nn.Shape"(%0) : (tensor<1x8x4x4xf32>) -> tensor<4xi64> loc("gn_shape")
  %4 = "nn.Reshape"(%2, %3) : (tensor<1x4x32xf32>, tensor<4xi64>) -> tensor<1x8x4x4xf32> loc("gn_back")
  %5 = "nn.Mul"(%4, %gamma) : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32> loc("gn_scale")
  %6 = "nn.Add"(%5, %beta) : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32> loc("gn_shift")
  %7 = "nn.Conv"(%6, %w2) : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %7 : tensor<1x2x4x4xf32>
}

// -----

// Swin-style fused qkv with `qkv[0..2]` Gathers: head 1 (bias 5) stays. The
// Gathers keep their indices (the q/k/v dim does not shrink), the heads dim
// and every size-carrying operand follow: the window view's computed target
// keeps its leading entries (Where), the relative-position bias loses head 0.
// CHECK-LABEL: module attributes {sp.keep = [array<i64>, array<i64: 1>]}
// CHECK-DAG: %[[W:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<8x12xf32>}
// CHECK-DAG: %[[B:.*]] = "nn.Initializer"() {value = dense_resource<[[BR:.*]]> : tensor<12xf32>}
// CHECK-DAG: %[[PB:.*]] = "nn.Initializer"() {value = dense_resource<{{.*}}> : tensor<1x1x4x4xf32>}
// CHECK-DAG: %[[I0:.*]] = "nn.Constant"() {value = dense<0> : tensor<i64>}
// CHECK-DAG: %[[I1:.*]] = "nn.Constant"() {value = dense<1> : tensor<i64>}
// CHECK-DAG: %[[I2:.*]] = "nn.Constant"() {value = dense<2> : tensor<i64>}
// CHECK: %[[T5:.*]] = "nn.Constant"() {value = dense<[1, 4, 3, 1, 4]> : tensor<5xi64>}
// CHECK: "nn.Reshape"(%{{.*}}, %[[T5]]) : (tensor<1x4x12xf32>, tensor<5xi64>) -> tensor<1x4x3x1x4xf32>
// CHECK: %[[QKV:.*]] = "nn.Transpose"(%{{.*}}) {perm = array<i64: 2, 0, 3, 1, 4>} : (tensor<1x4x3x1x4xf32>) -> tensor<3x1x1x4x4xf32>
// CHECK: "nn.Gather"(%[[QKV]], %[[I0]]) {axis = 0 : i64} : (tensor<3x1x1x4x4xf32>, tensor<i64>) -> tensor<1x1x4x4xf32>
// CHECK: "nn.Gather"(%[[QKV]], %[[I1]]) {axis = 0 : i64} : (tensor<3x1x1x4x4xf32>, tensor<i64>) -> tensor<1x1x4x4xf32>
// CHECK: "nn.Gather"(%[[QKV]], %[[I2]]) {axis = 0 : i64} : (tensor<3x1x1x4x4xf32>, tensor<i64>) -> tensor<1x1x4x4xf32>
// CHECK: "nn.Add"(%{{.*}}, %[[PB]]) : (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
// CHECK: %[[WT:.*]] = "nn.Where"(%{{.*}}, %{{.*}}, %arg1) : (tensor<5xi1>, tensor<5xi64>, tensor<5xi64>) -> tensor<5xi64>
// CHECK: "nn.Reshape"(%{{.*}}, %[[WT]]) : (tensor<1x1x4x4xf32>, tensor<5xi64>) -> tensor<?x?x1x4x4xf32>
// CHECK: %[[T4:.*]] = "nn.Constant"() {value = dense<[-1, 1, 4, 4]> : tensor<4xi64>}
// CHECK: "nn.Reshape"(%{{.*}}, %[[T4]]) : (tensor<?x?x1x4x4xf32>, tensor<4xi64>) -> tensor<?x1x4x4xf32>
// CHECK: "nn.MatMul"(%{{.*}}, %{{.*}}) : (tensor<?x4x4xf32>, tensor<4x8xf32>) -> tensor<?x4x8xf32>
// Kept biases: q, k and v of head 1.
// CHECK: [[BR]]: "0x400000000000A0400000A0400000A0400000A0400000A0400000A0400000A0400000A0400000A0400000A0400000A0400000A040"
func.func @fused_qkv_gather_prune(%x: tensor<1x4x8xf32>, %t: tensor<5xi64>, %mask: tensor<1x?x1x4x4xf32>) -> tensor<?x4x8xf32> {
  %wqkv = "nn.Initializer"() {value = dense<1.0> : tensor<8x24xf32>} : () -> tensor<8x24xf32> loc("qkv_w")
  %bqkv = "nn.Initializer"() {value = dense<[0.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0, 0.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0, 0.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0]> : tensor<24xf32>} : () -> tensor<24xf32> loc("qkv_b")
  %bias = "nn.Initializer"() {value = dense<0.25> : tensor<1x2x4x4xf32>} : () -> tensor<1x2x4x4xf32> loc("pos_bias")
  %wo = "nn.Initializer"() {value = dense<1.0> : tensor<8x8xf32>} : () -> tensor<8x8xf32> loc("proj_w")
  %s5 = "nn.Constant"() {value = dense<[1, 4, 3, 2, 4]> : tensor<5xi64>} : () -> tensor<5xi64> loc("s5")
  %s4 = "nn.Constant"() {value = dense<[-1, 2, 4, 4]> : tensor<4xi64>} : () -> tensor<4xi64> loc("s4")
  %s3 = "nn.Constant"() {value = dense<[-1, 4, 8]> : tensor<3xi64>} : () -> tensor<3xi64> loc("s3")
  %i0 = "nn.Constant"() {value = dense<0> : tensor<i64>} : () -> tensor<i64> loc("i0")
  %i1 = "nn.Constant"() {value = dense<1> : tensor<i64>} : () -> tensor<i64> loc("i1")
  %i2 = "nn.Constant"() {value = dense<2> : tensor<i64>} : () -> tensor<i64> loc("i2")
  %0 = "nn.MatMul"(%x, %wqkv) : (tensor<1x4x8xf32>, tensor<8x24xf32>) -> tensor<1x4x24xf32> loc("qkv_mm")
  %1 = "nn.Add"(%bqkv, %0) : (tensor<24xf32>, tensor<1x4x24xf32>) -> tensor<1x4x24xf32> loc("qkv")
  %2 = "nn.Reshape"(%1, %s5) : (tensor<1x4x24xf32>, tensor<5xi64>) -> tensor<1x4x3x2x4xf32> loc("qkv_heads")
  %3 = "nn.Transpose"(%2) {perm = array<i64: 2, 0, 3, 1, 4>} : (tensor<1x4x3x2x4xf32>) -> tensor<3x1x2x4x4xf32> loc("qkv_t")
  %q = "nn.Gather"(%3, %i0) {axis = 0 : i64} : (tensor<3x1x2x4x4xf32>, tensor<i64>) -> tensor<1x2x4x4xf32> loc("q")
  %k = "nn.Gather"(%3, %i1) {axis = 0 : i64} : (tensor<3x1x2x4x4xf32>, tensor<i64>) -> tensor<1x2x4x4xf32> loc("k")
  %v = "nn.Gather"(%3, %i2) {axis = 0 : i64} : (tensor<3x1x2x4x4xf32>, tensor<i64>) -> tensor<1x2x4x4xf32> loc("v")
  %kt = "nn.Transpose"(%k) {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("k_t")
  %s = "nn.MatMul"(%q, %kt) : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("scores")
  %sb = "nn.Add"(%s, %bias) : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("scores_bias")
  %w = "nn.Reshape"(%sb, %t) : (tensor<1x2x4x4xf32>, tensor<5xi64>) -> tensor<?x?x2x4x4xf32> loc("windows")
  %wm = "nn.Add"(%w, %mask) : (tensor<?x?x2x4x4xf32>, tensor<1x?x1x4x4xf32>) -> tensor<?x?x2x4x4xf32> loc("masked")
  %u = "nn.Reshape"(%wm, %s4) : (tensor<?x?x2x4x4xf32>, tensor<4xi64>) -> tensor<?x2x4x4xf32> loc("unwindows")
  %p = "nn.Softmax"(%u) {axis = -1 : i64} : (tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32> loc("softmax")
  %a = "nn.MatMul"(%p, %v) : (tensor<?x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<?x2x4x4xf32> loc("attn")
  %a1 = "nn.Transpose"(%a) {perm = array<i64: 0, 2, 1, 3>} : (tensor<?x2x4x4xf32>) -> tensor<?x4x2x4xf32> loc("attn_t")
  %a2 = "nn.Reshape"(%a1, %s3) : (tensor<?x4x2x4xf32>, tensor<3xi64>) -> tensor<?x4x8xf32> loc("attn_merge")
  %o = "nn.MatMul"(%a2, %wo) : (tensor<?x4x8xf32>, tensor<8x8xf32>) -> tensor<?x4x8xf32> loc("proj")
  %r = "nn.Add"(%o, %x) : (tensor<?x4x8xf32>, tensor<1x4x8xf32>) -> tensor<?x4x8xf32> loc("residual")
  return %r : tensor<?x4x8xf32>
}

// -----

// Gather of channel 2 of conv1 (a one-channel group of its own): channel 0
// (norm 0.17) goes, so the index becomes 1.
// CHECK-LABEL: module attributes {sp.keep = [array<i64: 1>, array<i64>, array<i64>, array<i64>, array<i64>]}
// CHECK: %[[R:.*]] = "nn.Relu"(%{{.*}}) : (tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32>
// CHECK: %[[I:.*]] = "nn.Constant"() {value = dense<1> : tensor<i64>}
// CHECK: "nn.Gather"(%[[R]], %[[I]]) {axis = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<i64>) -> tensor<1x8x8xf32>
func.func @gather_channel_prune(%x: tensor<1x3x8x8xf32>, %j: tensor<i64>) -> (tensor<1x2x8x8xf32>, tensor<1x8x8xf32>, tensor<1x8x8xf32>) {
  %w1 = "nn.Initializer"() {value = dense<[[[[0.1]], [[0.1]], [[0.1]]], [[[2.0]], [[2.0]], [[2.0]]], [[[1.0]], [[1.0]], [[1.0]]], [[[1.0]], [[1.0]], [[1.0]]]]> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x4x1x1xf32>} : () -> tensor<2x4x1x1xf32> loc("w2")
  %w3 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w3")
  %i2 = "nn.Constant"() {value = dense<2> : tensor<i64>} : () -> tensor<i64> loc("i2")
  %a = "nn.Conv"(%x, %w1) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv1")
  %r = "nn.Relu"(%a) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("relu")
  %b = "nn.Conv"(%r, %w2) : (tensor<1x4x8x8xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x8x8xf32> loc("conv2")
  %g = "nn.Gather"(%r, %i2) {axis = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<i64>) -> tensor<1x8x8xf32> loc("take2")
  %c = "nn.Conv"(%x, %w3) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv3")
  %h = "nn.Gather"(%c, %j) {axis = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<i64>) -> tensor<1x8x8xf32> loc("take_j")
  return %b, %g, %h : tensor<1x2x8x8xf32>, tensor<1x8x8xf32>, tensor<1x8x8xf32>
}

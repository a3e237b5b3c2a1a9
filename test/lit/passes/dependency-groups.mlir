// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-dependency-groups{dump=-})' -o /dev/null | FileCheck %s
// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-dependency-groups)' | FileCheck %s --check-prefix=ATTR
// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-dependency-groups{dot=-})' -o /dev/null | FileCheck %s --check-prefix=DOT
// DOT-LABEL: digraph groups {
// DOT: g0 [shape=box,style=filled,fillcolor="lightblue",label="group 0\n4 units"];
// DOT: g0 -> "conv1#0" [label="dim 1 [0,+4)"];
// DOT: g1 [shape=box,style=filled,fillcolor="lightgray",label="group 1\n10 units\npinned"];

// Each case lists its groups (dump=-): units, pin reason, and every member as
// `value dim d [start, end) block b` (block = channels per unit in that member).

// Residual: two convs added together share one group; the classifier's
// in-features are a member too.
// ATTR: module attributes {sp.group_table = [{head = false, id = 0 : i64, members = 10 : i64, pinned = false, reason = "", reduced = false, units = 4 : i64}, {head = false, id = 1 : i64, members = 2 : i64, pinned = true, reason = "graph output", reduced = false, units = 10 : i64}]}
// ATTR-LABEL: func.func @residual
// ATTR: "nn.Initializer"() {sp.groups = {{\[\[}}array<i64: 0, 0, 0, 4, 1>]]
// ATTR: "nn.Initializer"() {sp.groups = {{\[\[}}array<i64: 0, 0, 0, 4, 1>, array<i64: 1, 0, 0, 4, 1>]]
// ATTR: "nn.Initializer"() {sp.groups = {{\[\[}}array<i64: 0, 1, 0, 10, 1>, array<i64: 1, 0, 0, 4, 1>]]
// ATTR: "nn.Conv"(%arg0, %{{.*}}) {sp.groups = {{\[\[}}array<i64: 1, 0, 0, 4, 1>]]}
// ATTR: "nn.Add"({{.*}}) {sp.groups = {{\[\[}}array<i64: 1, 0, 0, 4, 1>]]}
// ATTR: "nn.Gemm"({{.*}}) {sp.groups = {{\[\[}}array<i64: 1, 1, 0, 10, 1>]], transB = 1 : i64}
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   w1#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   w2#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   fw#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   conv1#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   relu1#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   conv2#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   add#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   gap#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   flatten#0 dim 1 [0, 4) block 1
// CHECK-NEXT: group 1: 10 units, pinned: graph output
// CHECK-NEXT:   fw#0 dim 0 [0, 10) block 1 weight
// CHECK-NEXT:   fc#0 dim 1 [0, 10) block 1
func.func @residual(%x: tensor<1x3x8x8xf32>) -> tensor<1x10xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<4x4x1x1xf32>} : () -> tensor<4x4x1x1xf32> loc("w2")
  %fw = "nn.Initializer"() {value = dense<1.0> : tensor<10x4xf32>} : () -> tensor<10x4xf32> loc("fw")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv1")
  %1 = "nn.Relu"(%0) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("relu1")
  %2 = "nn.Conv"(%1, %w2) : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv2")
  %3 = "nn.Add"(%2, %0) : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("add")
  %4 = "nn.GlobalAveragePool"(%3) : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32> loc("gap")
  %5 = "nn.Flatten"(%4) {axis = 1 : i64} : (tensor<1x4x1x1xf32>) -> tensor<1x4xf32> loc("flatten")
  %6 = "nn.Gemm"(%5, %fw) {transB = 1 : i64} : (tensor<1x4xf32>, tensor<10x4xf32>) -> tensor<1x10xf32> loc("fc")
  return %6 : tensor<1x10xf32>
}

// -----

// Concat then Split at the concat's boundaries: each Split output keeps the
// group of the concat input it came from.
// CHECK: 3 groups, 2 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   wa#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   wc#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   conv_a#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   concat#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   split#0 dim 1 [0, 4) block 1
// CHECK-NEXT: group 1: 6 units
// CHECK-NEXT:   wb#0 dim 0 [0, 6) block 1 weight
// CHECK-NEXT:   wd#0 dim 1 [0, 6) block 1 weight
// CHECK-NEXT:   conv_b#0 dim 1 [0, 6) block 1
// CHECK-NEXT:   concat#0 dim 1 [4, 10) block 1
// CHECK-NEXT:   split#1 dim 1 [0, 6) block 1
// CHECK-NEXT: group 2: 2 units, pinned: graph output
// CHECK-NEXT:   wc#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   wd#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   conv_c#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   conv_d#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   add#0 dim 1 [0, 2) block 1
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

// A Split that cuts a conv's output in the middle refines the group in two.
// CHECK: 2 groups, 2 prunable
// CHECK-NEXT: group 0: 2 units
// CHECK-NEXT:   w#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   wq#0 dim 1 [0, 2) block 1 weight
// CHECK-NEXT:   conv#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   split#0 dim 1 [0, 2) block 1
// CHECK-NEXT: group 1: 6 units
// CHECK-NEXT:   w#0 dim 0 [2, 8) block 1 weight
// CHECK-NEXT:   wr#0 dim 1 [0, 6) block 1 weight
// CHECK-NEXT:   conv#0 dim 1 [2, 8) block 1
// CHECK-NEXT:   split#1 dim 1 [0, 6) block 1
func.func @split_refines(%x: tensor<1x3x8x8xf32>) -> (tensor<1x1x8x8xf32>) {
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<8x3x1x1xf32>} : () -> tensor<8x3x1x1xf32> loc("w")
  %wq = "nn.Initializer"() {value = dense<1.0> : tensor<1x2x1x1xf32>} : () -> tensor<1x2x1x1xf32> loc("wq")
  %wr = "nn.Initializer"() {value = dense<1.0> : tensor<1x6x1x1xf32>} : () -> tensor<1x6x1x1xf32> loc("wr")
  %sizes = "nn.Constant"() {value = dense<[2, 6]> : tensor<2xi64>} : () -> tensor<2xi64> loc("sizes")
  %a = "nn.Conv"(%x, %w) : (tensor<1x3x8x8xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x8x8xf32> loc("conv")
  %s:2 = "onnx.Split"(%a, %sizes) {axis = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<2xi64>) -> (tensor<1x2x8x8xf32>, tensor<1x6x8x8xf32>) loc("split")
  %q = "nn.Conv"(%s#0, %wq) : (tensor<1x2x8x8xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x8x8xf32> loc("conv_q")
  %r = "nn.Conv"(%s#1, %wr) : (tensor<1x6x8x8xf32>, tensor<1x6x1x1xf32>) -> tensor<1x1x8x8xf32> loc("conv_r")
  %o = "nn.Add"(%q, %r) : (tensor<1x1x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32> loc("add")
  return %o : tensor<1x1x8x8xf32>
}

// -----

// Channel shuffle (ShuffleNet): concat of two branches, reshape to (2, 4),
// transpose, reshape back. The two branches become one group of 4 units,
// each unit one channel of each branch, interleaved (block 2) after the shuffle.
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   wa#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   wb#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   wo#0 dim 1 [0, 8) block 2 weight
// CHECK-NEXT:   conv_a#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   conv_b#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   concat#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   concat#0 dim 1 [4, 8) block 1
// CHECK-NEXT:   reshape1#0 dim 2 [0, 4) block 1
// CHECK-NEXT:   transpose#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   reshape2#0 dim 1 [0, 8) block 2
// CHECK-NEXT: group 1: 2 units, pinned: graph output
// CHECK-NEXT:   wo#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   conv_o#0 dim 1 [0, 2) block 1
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

// Depthwise conv: input channels, filters and output channels are one group
// (sp-prune rewrites `group`).
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   w1#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   dw#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   conv#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   dwconv#0 dim 1 [0, 4) block 1
// CHECK-NEXT: group 1: 2 units, pinned: graph output
// CHECK-NEXT:   w2#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   pwconv#0 dim 1 [0, 2) block 1
func.func @depthwise(%x: tensor<1x3x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %dw = "nn.Initializer"() {value = dense<1.0> : tensor<4x1x3x3xf32>} : () -> tensor<4x1x3x3xf32> loc("dw")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x4x1x1xf32>} : () -> tensor<2x4x1x1xf32> loc("w2")
  %a = "nn.Conv"(%x, %w1) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv")
  %b = "nn.Conv"(%a, %dw) {group = 4 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32> loc("dwconv")
  %c = "nn.Conv"(%b, %w2) : (tensor<1x4x8x8xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x8x8xf32> loc("pwconv")
  return %c : tensor<1x2x8x8xf32>
}

// -----

// ResNeXt-style block: the grouped conv (G = 2) keeps `group` and prunes the
// same positions in every conv group. Its output is 2 segments of one group
// of 3 units (the bias and conv3's in-channels follow); its input joins two
// copies of the filter's 4 in-channels, so conv1's 8 filters become one
// group of 4 units listed twice.
// CHECK: 4 groups, 3 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   w0#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   w1#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   w3#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   w4#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   conv0#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   conv3#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   add#0 dim 1 [0, 4) block 1
// CHECK-NEXT: group 1: 4 units
// CHECK-NEXT:   w1#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   w1#0 dim 0 [4, 8) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   conv1#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   conv1#0 dim 1 [4, 8) block 1
// CHECK-NEXT:   relu1#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   relu1#0 dim 1 [4, 8) block 1
// CHECK-NEXT: group 2: 3 units
// CHECK-NEXT:   w2#0 dim 0 [0, 3) block 1 weight
// CHECK-NEXT:   w2#0 dim 0 [3, 6) block 1 weight
// CHECK-NEXT:   b2#0 dim 0 [0, 3) block 1 weight
// CHECK-NEXT:   b2#0 dim 0 [3, 6) block 1 weight
// CHECK-NEXT:   w3#0 dim 1 [0, 3) block 1 weight
// CHECK-NEXT:   w3#0 dim 1 [3, 6) block 1 weight
// CHECK-NEXT:   gconv#0 dim 1 [0, 3) block 1
// CHECK-NEXT:   gconv#0 dim 1 [3, 6) block 1
// CHECK-NEXT: group 3: 2 units, pinned: graph output
// CHECK-NEXT:   w4#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   conv4#0 dim 1 [0, 2) block 1
// The annotations list one (dim, group, start, units, block) per segment.
// ATTR-LABEL: func.func @resnext
// ATTR: "nn.Conv"({{.*}}) {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, sp.groups = {{\[\[}}array<i64: 1, 2, 0, 3, 1>, array<i64: 1, 2, 3, 3, 1>]]}
func.func @resnext(%x: tensor<1x3x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %w0 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w0")
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<8x4x1x1xf32>} : () -> tensor<8x4x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<6x4x3x3xf32>} : () -> tensor<6x4x3x3xf32> loc("w2")
  %b2 = "nn.Initializer"() {value = dense<1.0> : tensor<6xf32>} : () -> tensor<6xf32> loc("b2")
  %w3 = "nn.Initializer"() {value = dense<1.0> : tensor<4x6x1x1xf32>} : () -> tensor<4x6x1x1xf32> loc("w3")
  %w4 = "nn.Initializer"() {value = dense<1.0> : tensor<2x4x1x1xf32>} : () -> tensor<2x4x1x1xf32> loc("w4")
  %a = "nn.Conv"(%x, %w0) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv0")
  %b = "nn.Conv"(%a, %w1) : (tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x8x8xf32> loc("conv1")
  %c = "nn.Relu"(%b) : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> loc("relu1")
  %d = "nn.Conv"(%c, %w2, %b2) {group = 2 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x8xf32>, tensor<6x4x3x3xf32>, tensor<6xf32>) -> tensor<1x6x8x8xf32> loc("gconv")
  %e = "nn.Conv"(%d, %w3) : (tensor<1x6x8x8xf32>, tensor<4x6x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv3")
  %f = "nn.Add"(%e, %a) : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("add")
  %o = "nn.Conv"(%f, %w4) : (tensor<1x4x8x8xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x8x8xf32> loc("conv4")
  return %o : tensor<1x2x8x8xf32>
}

// -----

// A grouped conv (G = 2, 4 channels per group) reading a Concat of 3 + 5
// channels: the concat boundary at 3 refines the filter's in-channels into
// [0, 3) and [3, 4), in both conv groups, and that cuts conv_b's 5 filters
// into 1 + 3 + 1. Positions 0..2 of each conv group (conv_a and conv_b's
// filters 1..3) are one group, position 3 (conv_b's 0 and 4) another.
// CHECK: 4 groups, 2 prunable
// CHECK-NEXT: group 0: 3 units
// CHECK-NEXT:   wa#0 dim 0 [0, 3) block 1 weight
// CHECK-NEXT:   wb#0 dim 0 [1, 4) block 1 weight
// CHECK-NEXT:   gw#0 dim 1 [0, 3) block 1 weight
// CHECK-NEXT:   conv_a#0 dim 1 [0, 3) block 1
// CHECK-NEXT:   conv_b#0 dim 1 [1, 4) block 1
// CHECK-NEXT:   concat#0 dim 1 [0, 3) block 1
// CHECK-NEXT:   concat#0 dim 1 [4, 7) block 1
// CHECK-NEXT: group 1: 1 units, not prunable
// CHECK-NEXT:   wb#0 dim 0 [0, 1) block 1 weight
// CHECK-NEXT:   wb#0 dim 0 [4, 5) block 1 weight
// CHECK-NEXT:   gw#0 dim 1 [3, 4) block 1 weight
// CHECK-NEXT:   conv_b#0 dim 1 [0, 1) block 1
// CHECK-NEXT:   conv_b#0 dim 1 [4, 5) block 1
// CHECK-NEXT:   concat#0 dim 1 [3, 4) block 1
// CHECK-NEXT:   concat#0 dim 1 [7, 8) block 1
// CHECK-NEXT: group 2: 2 units
// CHECK-NEXT:   gw#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   gw#0 dim 0 [2, 4) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [0, 2) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [2, 4) block 1 weight
// CHECK-NEXT:   gconv#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   gconv#0 dim 1 [2, 4) block 1
// CHECK-NEXT: group 3: 2 units, pinned: graph output
func.func @grouped_concat(%x: tensor<1x3x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %wa = "nn.Initializer"() {value = dense<1.0> : tensor<3x3x1x1xf32>} : () -> tensor<3x3x1x1xf32> loc("wa")
  %wb = "nn.Initializer"() {value = dense<1.0> : tensor<5x3x1x1xf32>} : () -> tensor<5x3x1x1xf32> loc("wb")
  %gw = "nn.Initializer"() {value = dense<1.0> : tensor<4x4x1x1xf32>} : () -> tensor<4x4x1x1xf32> loc("gw")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x4x1x1xf32>} : () -> tensor<2x4x1x1xf32> loc("w2")
  %a = "nn.Conv"(%x, %wa) : (tensor<1x3x8x8xf32>, tensor<3x3x1x1xf32>) -> tensor<1x3x8x8xf32> loc("conv_a")
  %b = "nn.Conv"(%x, %wb) : (tensor<1x3x8x8xf32>, tensor<5x3x1x1xf32>) -> tensor<1x5x8x8xf32> loc("conv_b")
  %c = "onnx.Concat"(%a, %b) {axis = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<1x5x8x8xf32>) -> tensor<1x8x8x8xf32> loc("concat")
  %d = "nn.Conv"(%c, %gw) {group = 2 : i64} : (tensor<1x8x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> loc("gconv")
  %e = "nn.Conv"(%d, %w2) : (tensor<1x4x8x8xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x8x8xf32> loc("pwconv")
  return %e : tensor<1x2x8x8xf32>
}

// -----

// Depthwise conv with a channel multiplier of 2 (8 filters over 4 channels):
// output channels 2c and 2c+1 read input c, so they go with it (block 2).
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   w1#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   dw#0 dim 0 [0, 8) block 2 weight
// CHECK-NEXT:   db#0 dim 0 [0, 8) block 2 weight
// CHECK-NEXT:   w2#0 dim 1 [0, 8) block 2 weight
// CHECK-NEXT:   conv#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   dwconv#0 dim 1 [0, 8) block 2
// CHECK-NEXT: group 1: 2 units, pinned: graph output
func.func @depthwise_multiplier(%x: tensor<1x3x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %dw = "nn.Initializer"() {value = dense<1.0> : tensor<8x1x3x3xf32>} : () -> tensor<8x1x3x3xf32> loc("dw")
  %db = "nn.Initializer"() {value = dense<1.0> : tensor<8xf32>} : () -> tensor<8xf32> loc("db")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x8x1x1xf32>} : () -> tensor<2x8x1x1xf32> loc("w2")
  %a = "nn.Conv"(%x, %w1) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv")
  %b = "nn.Conv"(%a, %dw, %db) {group = 4 : i64, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32> loc("dwconv")
  %c = "nn.Conv"(%b, %w2) : (tensor<1x8x8x8xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x8x8xf32> loc("pwconv")
  return %c : tensor<1x2x8x8xf32>
}

// -----

// Squeeze-and-excitation: the excitation's output multiplies the block's
// channels, so the expand conv joins the block's group; the squeeze conv's
// channels are a group of their own.
// CHECK: 3 groups, 2 prunable
// CHECK-NEXT: group 0: 8 units
// CHECK-NEXT:   w#0 dim 0 [0, 8) block 1 weight
// CHECK-NEXT:   w_squeeze#0 dim 1 [0, 8) block 1 weight
// CHECK-NEXT:   w_expand#0 dim 0 [0, 8) block 1 weight
// CHECK-NEXT:   b_expand#0 dim 0 [0, 8) block 1 weight
// CHECK-NEXT:   w_out#0 dim 1 [0, 8) block 1 weight
// CHECK-NEXT:   conv#0 dim 1 [0, 8) block 1
// CHECK-NEXT:   pool#0 dim 1 [0, 8) block 1
// CHECK-NEXT:   expand#0 dim 1 [0, 8) block 1
// CHECK-NEXT:   gate#0 dim 1 [0, 8) block 1
// CHECK-NEXT:   scale#0 dim 1 [0, 8) block 1
// CHECK-NEXT: group 1: 2 units
// CHECK-NEXT:   w_squeeze#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   b_squeeze#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   w_expand#0 dim 1 [0, 2) block 1 weight
// CHECK-NEXT:   squeeze#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   relu#0 dim 1 [0, 2) block 1
// CHECK-NEXT: group 2: 8 units, pinned: graph output
// CHECK-NEXT:   w_out#0 dim 0 [0, 8) block 1 weight
// CHECK-NEXT:   conv_out#0 dim 1 [0, 8) block 1
func.func @se_block(%x: tensor<1x3x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<8x3x1x1xf32>} : () -> tensor<8x3x1x1xf32> loc("w")
  %ws = "nn.Initializer"() {value = dense<1.0> : tensor<2x8x1x1xf32>} : () -> tensor<2x8x1x1xf32> loc("w_squeeze")
  %bs = "nn.Initializer"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32> loc("b_squeeze")
  %we = "nn.Initializer"() {value = dense<1.0> : tensor<8x2x1x1xf32>} : () -> tensor<8x2x1x1xf32> loc("w_expand")
  %be = "nn.Initializer"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32> loc("b_expand")
  %wo = "nn.Initializer"() {value = dense<1.0> : tensor<8x8x1x1xf32>} : () -> tensor<8x8x1x1xf32> loc("w_out")
  %a = "nn.Conv"(%x, %w) : (tensor<1x3x8x8xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x8x8xf32> loc("conv")
  %p = "nn.GlobalAveragePool"(%a) : (tensor<1x8x8x8xf32>) -> tensor<1x8x1x1xf32> loc("pool")
  %s = "nn.Conv"(%p, %ws, %bs) : (tensor<1x8x1x1xf32>, tensor<2x8x1x1xf32>, tensor<2xf32>) -> tensor<1x2x1x1xf32> loc("squeeze")
  %r = "nn.Relu"(%s) : (tensor<1x2x1x1xf32>) -> tensor<1x2x1x1xf32> loc("relu")
  %e = "nn.Conv"(%r, %we, %be) : (tensor<1x2x1x1xf32>, tensor<8x2x1x1xf32>, tensor<8xf32>) -> tensor<1x8x1x1xf32> loc("expand")
  %g = "nn.Sigmoid"(%e) : (tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xf32> loc("gate")
  %m = "nn.Mul"(%a, %g) : (tensor<1x8x8x8xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x8x8xf32> loc("scale")
  %o = "nn.Conv"(%m, %wo) : (tensor<1x8x8x8xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x8x8xf32> loc("conv_out")
  return %o : tensor<1x8x8x8xf32>
}

// -----

// A conv with one output channel: a group of one unit is never prunable.
// CHECK: 1 groups, 0 prunable
// CHECK-NEXT: group 0: 2 units, pinned: graph output
// CHECK-NEXT:   w2#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   conv2#0 dim 1 [0, 2) block 1
func.func @one_channel(%x: tensor<1x3x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<1x3x1x1xf32>} : () -> tensor<1x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32> loc("w2")
  %a = "nn.Conv"(%x, %w1) : (tensor<1x3x8x8xf32>, tensor<1x3x1x1xf32>) -> tensor<1x1x8x8xf32> loc("conv1")
  %b = "nn.Conv"(%a, %w2) : (tensor<1x1x8x8xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x8x8xf32> loc("conv2")
  return %b : tensor<1x2x8x8xf32>
}

// -----

// Dense block: every layer reads the concat of all earlier outputs; the
// concat's channels are a segment list of the layers' groups.
// CHECK: 4 groups, 3 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   w0#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   w1#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   w3#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   stem#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   cat1#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   cat2#0 dim 1 [0, 4) block 1
// CHECK-NEXT: group 1: 2 units
// CHECK-NEXT:   w1#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [4, 6) block 1 weight
// CHECK-NEXT:   w3#0 dim 1 [4, 6) block 1 weight
// CHECK-NEXT:   layer1#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   cat1#0 dim 1 [4, 6) block 1
// CHECK-NEXT:   cat2#0 dim 1 [4, 6) block 1
// CHECK-NEXT: group 2: 2 units
// CHECK-NEXT:   w2#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   w3#0 dim 1 [6, 8) block 1 weight
// CHECK-NEXT:   layer2#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   cat2#0 dim 1 [6, 8) block 1
// CHECK-NEXT: group 3: 2 units, pinned: graph output
// CHECK-NEXT:   w3#0 dim 0 [0, 2) block 1 weight
// CHECK-NEXT:   out#0 dim 1 [0, 2) block 1
func.func @dense_block(%x: tensor<1x4x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %w0 = "nn.Initializer"() {value = dense<1.0> : tensor<4x4x1x1xf32>} : () -> tensor<4x4x1x1xf32> loc("w0")
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<2x4x1x1xf32>} : () -> tensor<2x4x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x6x1x1xf32>} : () -> tensor<2x6x1x1xf32> loc("w2")
  %w3 = "nn.Initializer"() {value = dense<1.0> : tensor<2x8x1x1xf32>} : () -> tensor<2x8x1x1xf32> loc("w3")
  %a = "nn.Conv"(%x, %w0) : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> loc("stem")
  %b = "nn.Conv"(%a, %w1) : (tensor<1x4x8x8xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x8x8xf32> loc("layer1")
  %c = "onnx.Concat"(%a, %b) {axis = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<1x2x8x8xf32>) -> tensor<1x6x8x8xf32> loc("cat1")
  %d = "nn.Conv"(%c, %w2) : (tensor<1x6x8x8xf32>, tensor<2x6x1x1xf32>) -> tensor<1x2x8x8xf32> loc("layer2")
  %e = "onnx.Concat"(%c, %d) {axis = 1 : i64} : (tensor<1x6x8x8xf32>, tensor<1x2x8x8xf32>) -> tensor<1x8x8x8xf32> loc("cat2")
  %f = "nn.Conv"(%e, %w3) : (tensor<1x8x8x8xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x8x8xf32> loc("out")
  return %f : tensor<1x2x8x8xf32>
}

// -----

// Attention with grouped K/V heads (GQA): 4 query heads, 2 key/value heads
// repeated twice. Q, K, V and the output projection share one group of 2
// units (one K/V head and the two query heads reading it); the FFN-less
// residual stream is pinned at the graph input.
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 16 units, pinned: graph input
// CHECK-NEXT:   %arg0 dim 2 [0, 16) block 1
// CHECK-NEXT:   wq#0 dim 0 [0, 16) block 1 weight
// CHECK-NEXT:   wk#0 dim 0 [0, 16) block 1 weight
// CHECK-NEXT:   wv#0 dim 0 [0, 16) block 1 weight
// CHECK-NEXT:   wo#0 dim 1 [0, 16) block 1 weight
// CHECK-NEXT:   o_proj#0 dim 2 [0, 16) block 1
// CHECK-NEXT:   residual#0 dim 2 [0, 16) block 1
// CHECK-NEXT: group 1: 2 units (heads)
// CHECK-NEXT:   wq#0 dim 1 [0, 16) block 8 weight
// CHECK-NEXT:   wk#0 dim 1 [0, 8) block 4 weight
// CHECK-NEXT:   wv#0 dim 1 [0, 8) block 4 weight
// CHECK-NEXT:   wo#0 dim 0 [0, 16) block 8 weight
// CHECK-NEXT:   q_proj#0 dim 2 [0, 16) block 8
// CHECK-NEXT:   k_proj#0 dim 2 [0, 8) block 4
// CHECK-NEXT:   v_proj#0 dim 2 [0, 8) block 4
// CHECK-NEXT:   q_heads#0 dim 2 [0, 4) block 2
// CHECK-NEXT:   q_t#0 dim 1 [0, 4) block 2
// CHECK-NEXT:   k_heads#0 dim 2 [0, 2) block 1
// CHECK-NEXT:   k_t#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   k_unsq#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   k_rep#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   k_all#0 dim 1 [0, 4) block 2
// CHECK-NEXT:   v_heads#0 dim 2 [0, 2) block 1
// CHECK-NEXT:   v_t#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   v_unsq#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   v_rep#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   v_all#0 dim 1 [0, 4) block 2
// CHECK-NEXT:   k_tt#0 dim 1 [0, 4) block 2
// CHECK-NEXT:   scores#0 dim 1 [0, 4) block 2
// CHECK-NEXT:   softmax#0 dim 1 [0, 4) block 2
// CHECK-NEXT:   attn#0 dim 1 [0, 4) block 2
// CHECK-NEXT:   attn_t#0 dim 2 [0, 4) block 2
// CHECK-NEXT:   attn_merge#0 dim 2 [0, 16) block 8
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

// Pinning: an unknown op, a dim read as shape data.
// CHECK: 3 groups, 0 prunable
// CHECK-NEXT: group 0: 4 units, pinned: no coupling rule for onnx.FancyOp
// CHECK-NEXT:   w1#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   conv_a#0 dim 1 [0, 4) block 1
// CHECK-NEXT: group 1: 4 units, pinned: dim read as shape data
// CHECK-NEXT:   w2#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   conv_b#0 dim 1 [0, 4) block 1
// CHECK-NEXT: group 2: 4 units, pinned: graph output
// CHECK-NEXT:   w3#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   conv_c#0 dim 1 [0, 4) block 1
func.func @pins(%x: tensor<1x3x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<4xi64>) {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w2")
  %w3 = "nn.Initializer"() {value = dense<1.0> : tensor<4x4x1x1xf32>} : () -> tensor<4x4x1x1xf32> loc("w3")
  %a = "nn.Conv"(%x, %w1) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv_a")
  %u = "onnx.FancyOp"(%a) {onnx.domain = "com.example"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("fancy")
  %b = "nn.Conv"(%x, %w2) : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv_b")
  %s = "nn.Shape"(%b) : (tensor<1x4x8x8xf32>) -> tensor<4xi64> loc("shape")
  %c = "nn.Conv"(%u, %w3) : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> loc("conv_c")
  return %c, %s : tensor<1x4x8x8xf32>, tensor<4xi64>
}

// -----

// Per-channel parameters and a Flatten merge: BatchNormalization's scale,
// bias and running statistics join the conv's group; after Flatten the
// classifier's in-features hold 4 channels of 2x2 values each (block 4).
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   w#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   bn_scale#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   bn_bias#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   bn_mean#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   bn_var#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   fc_w#0 dim 0 [0, 16) block 4 weight
// CHECK-NEXT:   conv#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   bn#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   flatten#0 dim 1 [0, 16) block 4
// CHECK-NEXT: group 1: 5 units, pinned: graph output
// CHECK-NEXT:   fc_w#0 dim 1 [0, 5) block 1 weight
// CHECK-NEXT:   fc#0 dim 1 [0, 5) block 1
func.func @bn_flatten(%x: tensor<1x3x2x2xf32>) -> tensor<1x5xf32> {
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w")
  %s = "nn.Initializer"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_scale")
  %b = "nn.Initializer"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_bias")
  %m = "nn.Initializer"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_mean")
  %v = "nn.Initializer"() {value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_var")
  %fw = "nn.Initializer"() {value = dense<1.0> : tensor<16x5xf32>} : () -> tensor<16x5xf32> loc("fc_w")
  %0 = "nn.Conv"(%x, %w) : (tensor<1x3x2x2xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x2x2xf32> loc("conv")
  %1 = "nn.BatchNormalization"(%0, %s, %b, %m, %v) {result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x2x2xf32> loc("bn")
  %2 = "nn.Flatten"(%1) {axis = 1 : i64} : (tensor<1x4x2x2xf32>) -> tensor<1x16xf32> loc("flatten")
  %3 = "nn.Gemm"(%2, %fw) : (tensor<1x16xf32>, tensor<16x5xf32>) -> tensor<1x5xf32> loc("fc")
  return %3 : tensor<1x5xf32>
}

// -----

// Embedding Gather and LayerNorm: the table's columns start the residual
// group; the LayerNorm over it marks the group as reduced across; the FFN's
// hidden width is a group of its own.
// CHECK: 2 groups, 2 prunable
// CHECK-NEXT: group 0: 8 units, reduced by LayerNormalization
// CHECK-NEXT:   emb#0 dim 1 [0, 8) block 1 weight
// CHECK-NEXT:   ln_w#0 dim 0 [0, 8) block 1 weight
// CHECK-NEXT:   ln_b#0 dim 0 [0, 8) block 1 weight
// CHECK-NEXT:   up#0 dim 0 [0, 8) block 1 weight
// CHECK-NEXT:   down#0 dim 1 [0, 8) block 1 weight
// CHECK-NEXT:   head#0 dim 1 [0, 8) block 1 weight
// CHECK-NEXT:   lookup#0 dim 2 [0, 8) block 1
// CHECK-NEXT:   ln#0 dim 2 [0, 8) block 1
// CHECK-NEXT:   ffn_down#0 dim 2 [0, 8) block 1
// CHECK-NEXT:   residual#0 dim 2 [0, 8) block 1
// CHECK-NEXT:   head_t#0 dim 0 [0, 8) block 1
// CHECK-NEXT: group 1: 16 units
// CHECK-NEXT:   up#0 dim 1 [0, 16) block 1 weight
// CHECK-NEXT:   down#0 dim 0 [0, 16) block 1 weight
// CHECK-NEXT:   ffn_up#0 dim 2 [0, 16) block 1
// CHECK-NEXT:   ffn_act#0 dim 2 [0, 16) block 1
func.func @embedding(%ids: tensor<1x5xi64>) -> tensor<1x5x3xf32> {
  %emb = "nn.Initializer"() {value = dense<1.0> : tensor<10x8xf32>} : () -> tensor<10x8xf32> loc("emb")
  %g = "nn.Initializer"() {value = dense<1.0> : tensor<8xf32>} : () -> tensor<8xf32> loc("ln_w")
  %be = "nn.Initializer"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32> loc("ln_b")
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<8x16xf32>} : () -> tensor<8x16xf32> loc("up")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<16x8xf32>} : () -> tensor<16x8xf32> loc("down")
  %wh = "nn.Initializer"() {value = dense<1.0> : tensor<3x8xf32>} : () -> tensor<3x8xf32> loc("head")
  %0 = "nn.Gather"(%emb, %ids) {axis = 0 : i64} : (tensor<10x8xf32>, tensor<1x5xi64>) -> tensor<1x5x8xf32> loc("lookup")
  %1 = "nn.LayerNormalization"(%0, %g, %be) {axis = -1 : i64, result_segment_sizes = array<i32: 1, 0, 0>} : (tensor<1x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x5x8xf32> loc("ln")
  %2 = "nn.MatMul"(%1, %w1) : (tensor<1x5x8xf32>, tensor<8x16xf32>) -> tensor<1x5x16xf32> loc("ffn_up")
  %3 = "nn.Relu"(%2) : (tensor<1x5x16xf32>) -> tensor<1x5x16xf32> loc("ffn_act")
  %4 = "nn.MatMul"(%3, %w2) : (tensor<1x5x16xf32>, tensor<16x8xf32>) -> tensor<1x5x8xf32> loc("ffn_down")
  %5 = "nn.Add"(%4, %0) : (tensor<1x5x8xf32>, tensor<1x5x8xf32>) -> tensor<1x5x8xf32> loc("residual")
  %6 = "nn.Transpose"(%wh) {perm = array<i64: 1, 0>} : (tensor<3x8xf32>) -> tensor<8x3xf32> loc("head_t")
  %7 = "nn.MatMul"(%5, %6) : (tensor<1x5x8xf32>, tensor<8x3xf32>) -> tensor<1x5x3xf32> loc("logits")
  return %7 : tensor<1x5x3xf32>
}

// -----

// GroupNorm as torch exports it (opset 17): Reshape (N, 8, H, W) -> (N, 4, -1),
// InstanceNormalization with per-group scale and bias, Reshape back, Mul by
// gamma, Add beta. The regrouping reshape goes through (4, 2, H, W): the conv's
// channels become 4 units of 2 (one norm group each, marked as heads), so whole
// norm groups are pruned and the statistics of the others do not change.
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 4 units (heads)
// CHECK-NEXT:   w#0 dim 0 [0, 8) block 2 weight
// CHECK-NEXT:   b#0 dim 0 [0, 8) block 2 weight
// CHECK-NEXT:   gamma#0 dim 0 [0, 8) block 2 weight
// CHECK-NEXT:   beta#0 dim 0 [0, 8) block 2 weight
// CHECK-NEXT:   w2#0 dim 1 [0, 8) block 2 weight
// CHECK-NEXT:   in_scale#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   in_bias#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   conv#0 dim 1 [0, 8) block 2
// CHECK-NEXT:   gn_groups#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   gn_norm#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   gn_back#0 dim 1 [0, 8) block 2
// CHECK-NEXT:   gn_scale#0 dim 1 [0, 8) block 2
// CHECK-NEXT:   gn_shift#0 dim 1 [0, 8) block 2
// CHECK-NEXT: group 1: 2 units, pinned: graph output
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

// GroupNorm with one group normalizes across every channel: the channels
// stay one unit each (the reshape merges and splits them back) and the group
// is marked reduced, as under LayerNorm.
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 8 units, reduced by InstanceNormalization
// CHECK-NEXT:   w#0 dim 0 [0, 8) block 1 weight
// CHECK:        gn_groups#0 dim 2 [0, 128) block 16
// CHECK:        gn_back#0 dim 1 [0, 8) block 1
func.func @groupnorm_one(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<8x3x1x1xf32>} : () -> tensor<8x3x1x1xf32> loc("w")
  %b = "nn.Initializer"() {value = dense<[10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0]> : tensor<8xf32>} : () -> tensor<8xf32> loc("b")
  %gamma = "nn.Initializer"() {value = dense<1.0> : tensor<8x1x1xf32>} : () -> tensor<8x1x1xf32> loc("gamma")
  %beta = "nn.Initializer"() {value = dense<0.0> : tensor<8x1x1xf32>} : () -> tensor<8x1x1xf32> loc("beta")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x8x1x1xf32>} : () -> tensor<2x8x1x1xf32> loc("w2")
  %t = "nn.Constant"() {value = dense<[0, 1, -1]> : tensor<3xi64>} : () -> tensor<3xi64> loc("target")
  %s = "nn.Constant"() {value = dense<1.0> : tensor<1xf32>} : () -> tensor<1xf32> loc("in_scale")
  %z = "nn.Constant"() {value = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32> loc("in_bias")
  %0 = "nn.Conv"(%x, %w, %b) : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32> loc("conv")
  %1 = "nn.Reshape"(%0, %t) : (tensor<1x8x4x4xf32>, tensor<3xi64>) -> tensor<1x1x128xf32> loc("gn_groups")
  %2 = "nn.InstanceNormalization"(%1, %s, %z) {epsilon = 1.0E-5 : f32} : (tensor<1x1x128xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x128xf32> loc("gn_norm")
  %3 = "nn.Shape"(%0) : (tensor<1x8x4x4xf32>) -> tensor<4xi64> loc("gn_shape")
  %4 = "nn.Reshape"(%2, %3) : (tensor<1x1x128xf32>, tensor<4xi64>) -> tensor<1x8x4x4xf32> loc("gn_back")
  %5 = "nn.Mul"(%4, %gamma) : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32> loc("gn_scale")
  %6 = "nn.Add"(%5, %beta) : (tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) -> tensor<1x8x4x4xf32> loc("gn_shift")
  %7 = "nn.Conv"(%6, %w2) : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %7 : tensor<1x2x4x4xf32>
}

// -----

// Swin's fused projection: `qkv.reshape(B, N, 3, heads, head_dim).permute(2, 0,
// 3, 1, 4)` then `qkv[0]`, `qkv[1]`, `qkv[2]` (Gathers of one constant index).
// The size-3 dim is only ever indexed, so the reshape cuts the 24 channels at
// q|k|v and pairs the three rows: one group of 2 heads listed three times, on
// the heads dim, not pinned. The relative-position bias (1, heads, N, N) joins
// it, and so does the window mask's `view(B // nW, nW, heads, N, N)` whose
// leading sizes are unknown (a graph input here): the dims both shapes end with
// map 1:1.
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 8 units, pinned: graph input
// CHECK:      group 1: 2 units (heads){{$}}
// CHECK-NEXT:   qkv_w#0 dim 1 [0, 8) block 4 weight
// CHECK-NEXT:   qkv_w#0 dim 1 [8, 16) block 4 weight
// CHECK-NEXT:   qkv_w#0 dim 1 [16, 24) block 4 weight
// CHECK-NEXT:   qkv_b#0 dim 0 [0, 8) block 4 weight
// CHECK-NEXT:   qkv_b#0 dim 0 [8, 16) block 4 weight
// CHECK-NEXT:   qkv_b#0 dim 0 [16, 24) block 4 weight
// CHECK-NEXT:   pos_bias#0 dim 1 [0, 2) block 1 weight
// CHECK-NEXT:   proj_w#0 dim 0 [0, 8) block 4 weight
// CHECK:        qkv_heads#0 dim 3 [0, 2) block 1
// CHECK-NEXT:   qkv_t#0 dim 2 [0, 2) block 1
// CHECK-NEXT:   q#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   k#0 dim 1 [0, 2) block 1
// CHECK-NEXT:   v#0 dim 1 [0, 2) block 1
// CHECK:        windows#0 dim 2 [0, 2) block 1
// CHECK-NEXT:   masked#0 dim 2 [0, 2) block 1
// CHECK-NEXT:   unwindows#0 dim 1 [0, 2) block 1
// CHECK:        attn_merge#0 dim 2 [0, 8) block 4
func.func @fused_qkv_gather(%x: tensor<1x4x8xf32>, %t: tensor<5xi64>, %mask: tensor<1x?x1x4x4xf32>) -> tensor<?x4x8xf32> {
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

// A Gather of one constant index along a channel dim is a Slice of one channel:
// conv1's group is cut at 2 and 3, channels 0-1 stay prunable. An index that
// is not constant pins (conv3).
// CHECK: 5 groups, 1 prunable
// CHECK-NEXT: group 0: 2 units{{$}}
// CHECK-NEXT:   w1#0 dim 0 [0, 2) block 1 weight
// CHECK:      group 2: 4 units, pinned: Gather along a channel dim
// CHECK-NEXT:   w3#0 dim 0 [0, 4) block 1 weight
// CHECK:      group 3: 1 units, not prunable
// CHECK-NEXT:   w1#0 dim 0 [2, 3) block 1 weight
// CHECK:      group 4: 1 units, not prunable
// CHECK-NEXT:   w1#0 dim 0 [3, 4) block 1 weight
func.func @gather_channel(%x: tensor<1x3x8x8xf32>, %j: tensor<i64>) -> (tensor<1x2x8x8xf32>, tensor<1x8x8xf32>, tensor<1x8x8xf32>) {
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

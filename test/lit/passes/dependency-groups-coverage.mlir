// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-dependency-groups{dump=-})' -o /dev/null | FileCheck %s

// Ops pruned models use beyond CNNs and transformers (issue 12): recurrent layers,
// strided slices, gathers and pads along channels, channel means, Einsum.

// LSTM hidden units: one group of hidden_size units, held by each of the 4 gate
// rows of W and R, the 8 rows of B (Wb and Rb), R's state dim, the outputs' last
// dim (Y, Y_h, Y_c) and the classifier reading Y_h.
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   w#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   w#0 dim 1 [4, 8) block 1 weight
// CHECK-NEXT:   w#0 dim 1 [8, 12) block 1 weight
// CHECK-NEXT:   w#0 dim 1 [12, 16) block 1 weight
// CHECK-NEXT:   r#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   r#0 dim 1 [4, 8) block 1 weight
// CHECK-NEXT:   r#0 dim 1 [8, 12) block 1 weight
// CHECK-NEXT:   r#0 dim 1 [12, 16) block 1 weight
// CHECK-NEXT:   r#0 dim 2 [0, 4) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [4, 8) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [8, 12) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [12, 16) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [16, 20) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [20, 24) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [24, 28) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [28, 32) block 1 weight
// CHECK-NEXT:   fw#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   lstm#0 dim 3 [0, 4) block 1
// CHECK-NEXT:   lstm#1 dim 2 [0, 4) block 1
// CHECK-NEXT:   lstm#2 dim 2 [0, 4) block 1
// CHECK-NEXT: group 1: 2 units, pinned: graph output
func.func @lstm(%x: tensor<2x1x3xf32>) -> tensor<1x1x2xf32> {
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<1x16x3xf32>} : () -> tensor<1x16x3xf32> loc("w")
  %r = "nn.Initializer"() {value = dense<1.0> : tensor<1x16x4xf32>} : () -> tensor<1x16x4xf32> loc("r")
  %b = "nn.Initializer"() {value = dense<1.0> : tensor<1x32xf32>} : () -> tensor<1x32xf32> loc("b")
  %fw = "nn.Initializer"() {value = dense<1.0> : tensor<4x2xf32>} : () -> tensor<4x2xf32> loc("fw")
  %y:3 = "onnx.LSTM"(%x, %w, %r, %b) {hidden_size = 4 : i64} : (tensor<2x1x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, tensor<1x32xf32>) -> (tensor<2x1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>) loc("lstm")
  %o = "nn.MatMul"(%y#1, %fw) : (tensor<1x1x4xf32>, tensor<4x2xf32>) -> tensor<1x1x2xf32> loc("fc")
  return %o : tensor<1x1x2xf32>
}

// -----

// GRU (3 gates, B of 6 rows): an initial state fed by the graph input pins the
// hidden units (the caller's state keeps its size); sequence_lens omitted (none).
// CHECK: 2 groups, 0 prunable
// CHECK-NEXT: group 0: 2 units, pinned: graph input
// CHECK-NEXT:   %arg1 dim 2 [0, 2) block 1
// CHECK-NEXT:   w#0 dim 1 [0, 2) block 1 weight
// CHECK-NEXT:   w#0 dim 1 [2, 4) block 1 weight
// CHECK-NEXT:   w#0 dim 1 [4, 6) block 1 weight
// CHECK-NEXT:   r#0 dim 1 [0, 2) block 1 weight
// CHECK-NEXT:   r#0 dim 1 [2, 4) block 1 weight
// CHECK-NEXT:   r#0 dim 1 [4, 6) block 1 weight
// CHECK-NEXT:   r#0 dim 2 [0, 2) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [0, 2) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [2, 4) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [4, 6) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [6, 8) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [8, 10) block 1 weight
// CHECK-NEXT:   b#0 dim 1 [10, 12) block 1 weight
// CHECK-NEXT:   gru#0 dim 3 [0, 2) block 1
// CHECK-NEXT:   gru#1 dim 2 [0, 2) block 1
// CHECK-NEXT:   fw#0 dim 0 [0, 2) block 1 weight
func.func @gru_state_input(%x: tensor<2x1x3xf32>, %h0: tensor<1x1x2xf32>) -> tensor<1x1x2xf32> {
  %none = "nn.None"() : () -> none loc("none")
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<1x6x3xf32>} : () -> tensor<1x6x3xf32> loc("w")
  %r = "nn.Initializer"() {value = dense<1.0> : tensor<1x6x2xf32>} : () -> tensor<1x6x2xf32> loc("r")
  %b = "nn.Initializer"() {value = dense<1.0> : tensor<1x12xf32>} : () -> tensor<1x12xf32> loc("b")
  %y:2 = "onnx.GRU"(%x, %w, %r, %b, %none, %h0) {hidden_size = 2 : i64, linear_before_reset = 1 : i64} : (tensor<2x1x3xf32>, tensor<1x6x3xf32>, tensor<1x6x2xf32>, tensor<1x12xf32>, none, tensor<1x1x2xf32>) -> (tensor<2x1x1x2xf32>, tensor<1x1x2xf32>) loc("gru")
  %fw = "nn.Initializer"() {value = dense<1.0> : tensor<2x2xf32>} : () -> tensor<2x2xf32> loc("fw")
  %o = "nn.MatMul"(%y#1, %fw) : (tensor<1x1x2xf32>, tensor<2x2xf32>) -> tensor<1x1x2xf32> loc("fc")
  return %o : tensor<1x1x2xf32>
}

// -----

// Weights that disagree with hidden_size pin every dim the op touches, with the reason.
// CHECK: 1 groups, 0 prunable
// CHECK-NEXT: group 0: 3 units, pinned: RNN weights do not match hidden_size
// CHECK-NEXT:   fw#0 dim 1 [0, 3) block 1 weight
// CHECK-NEXT:   embed#0 dim 2 [0, 3) block 1
func.func @rnn_mismatch(%x: tensor<2x1x3xf32>) -> tensor<2x1x1x4xf32> {
  %fw = "nn.Initializer"() {value = dense<1.0> : tensor<3x3xf32>} : () -> tensor<3x3xf32> loc("fw")
  %a = "nn.MatMul"(%x, %fw) : (tensor<2x1x3xf32>, tensor<3x3xf32>) -> tensor<2x1x3xf32> loc("embed")
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<1x4x3xf32>} : () -> tensor<1x4x3xf32> loc("w")
  %r = "nn.Initializer"() {value = dense<1.0> : tensor<1x4x4xf32>} : () -> tensor<1x4x4xf32> loc("r")
  %y = "onnx.RNN"(%a, %w, %r) {hidden_size = 3 : i64} : (tensor<2x1x3xf32>, tensor<1x4x3xf32>, tensor<1x4x4xf32>) -> tensor<2x1x1x4xf32> loc("rnn")
  return %y : tensor<2x1x1x4xf32>
}

// -----

// Slice with step 2 along channels (`h[:, 1::2]`): conv1's 8 channels are 4 rows
// of 2, each giving the channel at offset 1; the units become rows (block 2 in
// conv1, block 1 after the slice).
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   w1#0 dim 0 [0, 8) block 2 weight
// CHECK-NEXT:   w2#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   conv1#0 dim 1 [0, 8) block 2
// CHECK-NEXT:   odd#0 dim 1 [0, 4) block 1
// CHECK-NEXT: group 1: 2 units, pinned: graph output
func.func @slice_step(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<8x3x1x1xf32>} : () -> tensor<8x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x4x1x1xf32>} : () -> tensor<2x4x1x1xf32> loc("w2")
  %s = "nn.Constant"() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64> loc("s")
  %e = "nn.Constant"() {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64> loc("e")
  %a = "nn.Constant"() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64> loc("a")
  %k = "nn.Constant"() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64> loc("k")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32> loc("conv1")
  %1 = "nn.Slice"(%0, %s, %e, %a, %k) {operand_segment_sizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<1x8x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x4x4x4xf32> loc("odd")
  %2 = "nn.Conv"(%1, %w2) : (tensor<1x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// A negative step reverses the channels (`h.flip(1)` exports as Slice step -1):
// pinned. A step that does not divide the channels into rows pins too.
// CHECK: 3 groups, 0 prunable
// CHECK-NEXT: group 0: 8 units, pinned: Slice with a negative step
// CHECK: group 1: 2 units, pinned: graph output
// CHECK: group 2: 9 units, pinned: Slice with a step cuts a unit of a group
func.func @slice_step_pinned(%x: tensor<1x3x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x5x4x4xf32>) {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<8x3x1x1xf32>} : () -> tensor<8x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x8x1x1xf32>} : () -> tensor<2x8x1x1xf32> loc("w2")
  %w3 = "nn.Initializer"() {value = dense<1.0> : tensor<9x3x1x1xf32>} : () -> tensor<9x3x1x1xf32> loc("w3")
  %s = "nn.Constant"() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64> loc("s")
  %e = "nn.Constant"() {value = dense<-9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64> loc("e")
  %a = "nn.Constant"() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64> loc("a")
  %k = "nn.Constant"() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64> loc("k")
  %z = "nn.Constant"() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64> loc("z")
  %big = "nn.Constant"() {value = dense<9> : tensor<1xi64>} : () -> tensor<1xi64> loc("big")
  %two = "nn.Constant"() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64> loc("two")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32> loc("conv1")
  %1 = "nn.Slice"(%0, %s, %e, %a, %k) {operand_segment_sizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<1x8x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x8x4x4xf32> loc("flip")
  %2 = "nn.Conv"(%1, %w2) : (tensor<1x8x4x4xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  %3 = "nn.Conv"(%x, %w3) : (tensor<1x3x4x4xf32>, tensor<9x3x1x1xf32>) -> tensor<1x9x4x4xf32> loc("conv3")
  %4 = "nn.Slice"(%3, %z, %big, %a, %two) {operand_segment_sizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<1x9x4x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x5x4x4xf32> loc("every_other")
  return %2, %4 : tensor<1x2x4x4xf32>, tensor<1x5x4x4xf32>
}

// -----

// Gather of constant channel indices (`h[:, [0, 1, 2, 5, 6, 7, 7]]`): each run of
// consecutive indices is a range of conv1's channels, so the groups are cut at
// every run's ends; channels 3, 4 nobody reads are a group of their own, channel
// 7 read twice is one group listed twice.
// CHECK: 5 groups, 3 prunable
// CHECK-NEXT: group 0: 3 units
// CHECK-NEXT:   w1#0 dim 0 [0, 3) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [0, 3) block 1 weight
// CHECK-NEXT:   conv1#0 dim 1 [0, 3) block 1
// CHECK-NEXT:   pick#0 dim 1 [0, 3) block 1
// CHECK-NEXT: group 1: 2 units, pinned: graph output
// CHECK:      group 2: 2 units
// CHECK-NEXT:   w1#0 dim 0 [3, 5) block 1 weight
// CHECK-NEXT:   conv1#0 dim 1 [3, 5) block 1
// CHECK-NEXT: group 3: 2 units
// CHECK-NEXT:   w1#0 dim 0 [5, 7) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [3, 5) block 1 weight
// CHECK-NEXT:   conv1#0 dim 1 [5, 7) block 1
// CHECK-NEXT:   pick#0 dim 1 [3, 5) block 1
// CHECK-NEXT: group 4: 1 units, not prunable
// CHECK-NEXT:   w1#0 dim 0 [7, 8) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [5, 6) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [6, 7) block 1 weight
// CHECK-NEXT:   conv1#0 dim 1 [7, 8) block 1
// CHECK-NEXT:   pick#0 dim 1 [5, 6) block 1
// CHECK-NEXT:   pick#0 dim 1 [6, 7) block 1
func.func @gather_channels(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<8x3x1x1xf32>} : () -> tensor<8x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x7x1x1xf32>} : () -> tensor<2x7x1x1xf32> loc("w2")
  %idx = "nn.Constant"() {value = dense<[0, 1, 2, 5, 6, 7, 7]> : tensor<7xi64>} : () -> tensor<7xi64> loc("idx")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<8x3x1x1xf32>) -> tensor<1x8x4x4xf32> loc("conv1")
  %1 = "nn.Gather"(%0, %idx) {axis = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<7xi64>) -> tensor<1x7x4x4xf32> loc("pick")
  %2 = "nn.Conv"(%1, %w2) : (tensor<1x7x4x4xf32>, tensor<2x7x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// Constant Pad along channels (1 before, 2 after): the result holds conv1's
// group at offset 1 between pad channels of its own (no origin).
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   w1#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [1, 5) block 1 weight
// CHECK-NEXT:   conv1#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   pad#0 dim 1 [1, 5) block 1
// CHECK-NEXT: group 1: 2 units, pinned: graph output
func.func @pad_channels(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x7x1x1xf32>} : () -> tensor<2x7x1x1xf32> loc("w2")
  %pads = "nn.Constant"() {value = dense<[0, 1, 0, 0, 0, 2, 0, 0]> : tensor<8xi64>} : () -> tensor<8xi64> loc("pads")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %1 = "nn.Pad"(%0, %pads) {mode = "constant", operand_segment_sizes = array<i32: 1, 1, 0, 0>} : (tensor<1x4x4x4xf32>, tensor<8xi64>) -> tensor<?x?x?x?xf32> loc("pad")
  %2 = "nn.Conv"(%1, %w2) : (tensor<?x?x?x?xf32>, tensor<2x7x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// Reflect padding copies border channels, negative pads crop them: both pin.
// CHECK: 3 groups, 0 prunable
// CHECK-NEXT: group 0: 4 units, pinned: Pad along a channel dim in reflect/edge mode
// CHECK: group 2: 4 units, pinned: Pad crops a channel dim
func.func @pad_channels_pinned(%x: tensor<1x3x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x3x4x4xf32>) {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x6x1x1xf32>} : () -> tensor<2x6x1x1xf32> loc("w2")
  %w3 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w3")
  %pads = "nn.Constant"() {value = dense<[0, 1, 0, 0, 0, 1, 0, 0]> : tensor<8xi64>} : () -> tensor<8xi64> loc("pads")
  %crop = "nn.Constant"() {value = dense<[0, -1, 0, 0, 0, 0, 0, 0]> : tensor<8xi64>} : () -> tensor<8xi64> loc("crop")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %1 = "nn.Pad"(%0, %pads) {mode = "reflect", operand_segment_sizes = array<i32: 1, 1, 0, 0>} : (tensor<1x4x4x4xf32>, tensor<8xi64>) -> tensor<1x6x4x4xf32> loc("reflect")
  %2 = "nn.Conv"(%1, %w2) : (tensor<1x6x4x4xf32>, tensor<2x6x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  %3 = "nn.Conv"(%x, %w3) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv3")
  %4 = "nn.Pad"(%3, %crop) {mode = "constant", operand_segment_sizes = array<i32: 1, 1, 0, 0>} : (tensor<1x4x4x4xf32>, tensor<8xi64>) -> tensor<1x3x4x4xf32> loc("crop_pad")
  return %2, %4 : tensor<1x2x4x4xf32>, tensor<1x3x4x4xf32>
}

// -----

// Einsum couples by index letter: `c` (contracted) joins conv1's channels with
// the mixing weight's dim 1, `d` is carried only by the weight, so it starts a
// group the result's dim 1 and conv2's input channels share.
// CHECK: 3 groups, 2 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   w1#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   mix#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   conv1#0 dim 1 [0, 4) block 1
// CHECK-NEXT: group 1: 6 units
// CHECK-NEXT:   mix#0 dim 0 [0, 6) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [0, 6) block 1 weight
// CHECK-NEXT:   einsum#0 dim 1 [0, 6) block 1
// CHECK-NEXT: group 2: 2 units, pinned: graph output
func.func @einsum(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %mix = "nn.Initializer"() {value = dense<1.0> : tensor<6x4xf32>} : () -> tensor<6x4xf32> loc("mix")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x6x1x1xf32>} : () -> tensor<2x6x1x1xf32> loc("w2")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %1 = "onnx.Einsum"(%0, %mix) {equation = "nchw, dc -> ndhw"} : (tensor<1x4x4x4xf32>, tensor<6x4xf32>) -> tensor<1x6x4x4xf32> loc("einsum")
  %2 = "nn.Conv"(%1, %w2) : (tensor<1x6x4x4xf32>, tensor<2x6x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %2 : tensor<1x2x4x4xf32>
}

// -----

// Ellipses and diagonals pin every dim the Einsum touches, with the reason.
// CHECK: 2 groups, 0 prunable
// CHECK-NEXT: group 0: 4 units, pinned: Einsum with an ellipsis
// CHECK: group 1: 4 units, pinned: Einsum takes a diagonal
func.func @einsum_pinned(%x: tensor<1x3x4x4xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4xf32>) {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w2")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %1 = "onnx.Einsum"(%0) {equation = "...chw->...chw"} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("ellipsis")
  %2 = "nn.Conv"(%x, %w2) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv2")
  %3 = "onnx.Einsum"(%2) {equation = "nccw->ncw"} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4xf32> loc("diagonal")
  return %1, %3 : tensor<1x4x4x4xf32>, tensor<1x4x4xf32>
}

// -----

// Channel means (`h.mean(1, keepdim=True)`, `h.mean(1)`): the group they average
// over is pruned, marked reduced (mask mode's zeros would count in the mean; the
// shrunk model averages the kept channels), never pinned.
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 4 units, reduced by ReduceMean
// CHECK-NEXT:   w1#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   conv1#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   centered#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   gated#0 dim 1 [0, 4) block 1
// CHECK-NEXT: group 1: 2 units, pinned: graph output
func.func @channel_means(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x4x1x1xf32>} : () -> tensor<2x4x1x1xf32> loc("w2")
  %one = "nn.Constant"() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64> loc("one")
  %0 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %1 = "nn.ReduceMean"(%0) {axes = array<i64: 1>, keepdims = 1 : i64} : (tensor<1x4x4x4xf32>) -> tensor<1x1x4x4xf32> loc("mean_keep")
  %2 = "nn.ReduceMean"(%0) {axes = array<i64: 1>, keepdims = 0 : i64} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4xf32> loc("mean")
  %3 = "nn.Unsqueeze"(%2, %one) : (tensor<1x4x4xf32>, tensor<1xi64>) -> tensor<1x1x4x4xf32> loc("unsqueeze")
  %4 = "nn.Sub"(%0, %1) : (tensor<1x4x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x4x4x4xf32> loc("centered")
  %5 = "nn.Mul"(%4, %3) : (tensor<1x4x4x4xf32>, tensor<1x1x4x4xf32>) -> tensor<1x4x4x4xf32> loc("gated")
  %6 = "nn.Conv"(%5, %w2) : (tensor<1x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %6 : tensor<1x2x4x4xf32>
}

// -----

// torch's F.pad exports its pads through Reshape (-1, 2) -> Slice step -1 ->
// Transpose -> Reshape (-1): shape evaluation folds the chain to
// [0, 1, 0, 0, 0, 2, 0, 0] (1 channel before, 2 after), as the constant case.
// CHECK: 2 groups, 1 prunable
// CHECK-NEXT: group 0: 4 units
// CHECK-NEXT:   w1#0 dim 0 [0, 4) block 1 weight
// CHECK-NEXT:   w2#0 dim 1 [1, 5) block 1 weight
// CHECK-NEXT:   conv1#0 dim 1 [0, 4) block 1
// CHECK-NEXT:   pad#0 dim 1 [1, 5) block 1
// CHECK-NEXT: group 1: 2 units, pinned: graph output
func.func @pad_torch_chain(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<4x3x1x1xf32>} : () -> tensor<4x3x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<2x7x1x1xf32>} : () -> tensor<2x7x1x1xf32> loc("w2")
  %p = "nn.Constant"() {value = dense<[0, 0, 0, 0, 1, 2, 0, 0]> : tensor<8xi64>} : () -> tensor<8xi64> loc("p")
  %rows = "nn.Constant"() {value = dense<[-1, 2]> : tensor<2xi64>} : () -> tensor<2xi64> loc("rows")
  %m1 = "nn.Constant"() {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64> loc("m1")
  %z = "nn.Constant"() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64> loc("z")
  %lo = "nn.Constant"() {value = dense<-9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64> loc("lo")
  %0 = "nn.Reshape"(%p, %rows) : (tensor<8xi64>, tensor<2xi64>) -> tensor<4x2xi64> loc("as_rows")
  %1 = "nn.Slice"(%0, %m1, %lo, %z, %m1) {operand_segment_sizes = array<i32: 1, 1, 1, 1, 1>} : (tensor<4x2xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4x2xi64> loc("reverse")
  %2 = "nn.Transpose"(%1) {perm = array<i64: 1, 0>} : (tensor<4x2xi64>) -> tensor<2x4xi64> loc("transpose")
  %3 = "nn.Reshape"(%2, %m1) : (tensor<2x4xi64>, tensor<1xi64>) -> tensor<8xi64> loc("flat")
  %4 = "nn.Conv"(%x, %w1) : (tensor<1x3x4x4xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %5 = "nn.Pad"(%4, %3) {mode = "constant", operand_segment_sizes = array<i32: 1, 1, 0, 0>} : (tensor<1x4x4x4xf32>, tensor<8xi64>) -> tensor<?x?x?x?xf32> loc("pad")
  %6 = "nn.Conv"(%5, %w2) : (tensor<?x?x?x?xf32>, tensor<2x7x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  return %6 : tensor<1x2x4x4xf32>
}

// -----

// LSTM with peepholes P (3 rows: i, o, f) and layout 1 (batch first): the hidden
// units are still every output's last dim; here Y is the graph output (pinned).
// CHECK: 1 groups, 0 prunable
// CHECK-NEXT: group 0: 4 units, pinned: graph output
// CHECK:        r#0 dim 2 [0, 4) block 1 weight
// CHECK-NEXT:   p#0 dim 1 [0, 4) block 1 weight
// CHECK-NEXT:   p#0 dim 1 [4, 8) block 1 weight
// CHECK-NEXT:   p#0 dim 1 [8, 12) block 1 weight
// CHECK-NEXT:   lstm#0 dim 3 [0, 4) block 1
// CHECK-NEXT:   lstm#1 dim 2 [0, 4) block 1
func.func @lstm_peepholes_layout1(%x: tensor<1x2x3xf32>) -> tensor<1x2x1x4xf32> {
  %none = "nn.None"() : () -> none loc("none")
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<1x16x3xf32>} : () -> tensor<1x16x3xf32> loc("w")
  %r = "nn.Initializer"() {value = dense<1.0> : tensor<1x16x4xf32>} : () -> tensor<1x16x4xf32> loc("r")
  %p = "nn.Initializer"() {value = dense<1.0> : tensor<1x12xf32>} : () -> tensor<1x12xf32> loc("p")
  %y:2 = "onnx.LSTM"(%x, %w, %r, %none, %none, %none, %none, %p) {hidden_size = 4 : i64, layout = 1 : i64} : (tensor<1x2x3xf32>, tensor<1x16x3xf32>, tensor<1x16x4xf32>, none, none, none, none, tensor<1x12xf32>) -> (tensor<1x2x1x4xf32>, tensor<1x1x4xf32>) loc("lstm")
  return %y#0 : tensor<1x2x1x4xf32>
}

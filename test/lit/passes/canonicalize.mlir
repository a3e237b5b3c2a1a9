// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-canonicalize)' | FileCheck %s
// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-canonicalize{fold-bn=true})' | FileCheck %s --check-prefix=BN
// A second run after upstream canonicalize and cse changes nothing.
// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-canonicalize{fold-bn=true},canonicalize,cse,sp-canonicalize{fold-bn=true stats=-})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=FIXED
// FIXED-NOT: folded={{[1-9]}}
// FIXED: folded=0 reshape_targets=0 identities=0 chains=0 concat_inputs=0 zero_branches=0 bn_folded=0 gates_folded=0 constants_merged=0 removed=0
// FIXED-NOT: folded={{[1-9]}}

// Static shapes: torch's Shape -> Gather -> Unsqueeze -> Concat chain becomes
// one constant target, and the chain disappears.
// CHECK-LABEL: func @static_chain
// CHECK-NOT: nn.Shape
// CHECK-NOT: nn.Gather
// CHECK-NOT: onnx.Concat
// CHECK: %[[T:.*]] = "nn.Constant"() {{.*}}value = dense<[2, 2, 58, 28, 28]> : tensor<5xi64>
// CHECK: "nn.Reshape"(%arg0, %[[T]])
// CHECK-NOT: nn.Unsqueeze
func.func @static_chain(%x: tensor<2x116x28x28xf32>) -> tensor<2x2x58x28x28xf32> {
  %s = "nn.Shape"(%x) : (tensor<2x116x28x28xf32>) -> tensor<4xi64>
  %i0 = "nn.Constant"() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %i2 = "nn.Constant"() {value = dense<2> : tensor<i64>} : () -> tensor<i64>
  %i3 = "nn.Constant"() {value = dense<3> : tensor<i64>} : () -> tensor<i64>
  %ax = "nn.Constant"() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %b = "nn.Gather"(%s, %i0) {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %h = "nn.Gather"(%s, %i2) {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %w = "nn.Gather"(%s, %i3) {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %ub = "nn.Unsqueeze"(%b, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %uh = "nn.Unsqueeze"(%h, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %uw = "nn.Unsqueeze"(%w, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %g = "nn.Constant"() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %c = "nn.Constant"() {value = dense<58> : tensor<1xi64>} : () -> tensor<1xi64>
  %t = "onnx.Concat"(%ub, %g, %c, %uh, %uw) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<5xi64>
  %r = "nn.Reshape"(%x, %t) : (tensor<2x116x28x28xf32>, tensor<5xi64>) -> tensor<2x2x58x28x28xf32>
  return %r : tensor<2x2x58x28x28xf32>
}

// -----

// A dynamic batch stays dynamic: dim 0 of the Reshape's own input is written
// as 0 (copy); the other dims come from the chain.
// CHECK-LABEL: func @dynamic_batch_copy
// CHECK: %[[T:.*]] = "nn.Constant"() {{.*}}value = dense<[0, 2, 58, 28, 28]> : tensor<5xi64>
// CHECK: "nn.Reshape"(%arg0, %[[T]])
// CHECK-NOT: nn.Shape
func.func @dynamic_batch_copy(%x: tensor<?x116x28x28xf32>) -> tensor<?x2x58x28x28xf32> {
  %s = "nn.Shape"(%x) : (tensor<?x116x28x28xf32>) -> tensor<4xi64>
  %i0 = "nn.Constant"() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %b = "nn.Gather"(%s, %i0) {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %rest = "nn.Constant"() {value = dense<[2, 58, 28, 28]> : tensor<4xi64>} : () -> tensor<4xi64>
  %t = "onnx.Concat"(%b, %rest) {axis = 0 : i64} : (tensor<1xi64>, tensor<4xi64>) -> tensor<5xi64>
  %r = "nn.Reshape"(%x, %t) : (tensor<?x116x28x28xf32>, tensor<5xi64>) -> tensor<?x2x58x28x28xf32>
  return %r : tensor<?x2x58x28x28xf32>
}

// -----

// Attention heads: [seq, batch * heads, head_dim] with a dynamic batch. The
// product is unknown, so it becomes -1 (the one inferred dim).
// CHECK-LABEL: func @dynamic_heads_infer
// CHECK: %[[T:.*]] = "nn.Constant"() {{.*}}value = dense<[197, -1, 64]> : tensor<3xi64>
// CHECK: "nn.Reshape"(%arg0, %[[T]])
// CHECK-NOT: nn.Mul
func.func @dynamic_heads_infer(%x: tensor<197x?x768xf32>) -> tensor<197x?x64xf32> {
  %s = "nn.Shape"(%x) : (tensor<197x?x768xf32>) -> tensor<3xi64>
  %i0 = "nn.Constant"() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %i1 = "nn.Constant"() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %i2 = "nn.Constant"() {value = dense<2> : tensor<i64>} : () -> tensor<i64>
  %heads = "nn.Constant"() {value = dense<12> : tensor<i64>} : () -> tensor<i64>
  %seq = "nn.Gather"(%s, %i0) {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %b = "nn.Gather"(%s, %i1) {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %e = "nn.Gather"(%s, %i2) {axis = 0 : i64} : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %bh = "nn.Mul"(%b, %heads) : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %hd = "nn.Div"(%e, %heads) : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %hd64 = "nn.Cast"(%hd) {to = 7 : i64} : (tensor<i64>) -> tensor<i64>
  %ax = "nn.Constant"() {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %u0 = "nn.Unsqueeze"(%seq, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %u1 = "nn.Unsqueeze"(%bh, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %u2 = "nn.Unsqueeze"(%hd64, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %t = "onnx.Concat"(%u0, %u1, %u2) {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %r = "nn.Reshape"(%x, %t) {allowzero = 0 : i64} : (tensor<197x?x768xf32>, tensor<3xi64>) -> tensor<197x?x64xf32>
  return %r : tensor<197x?x64xf32>
}

// -----

// Two unknown dims that are not copies: the target cannot be a constant and
// the chain stays (dynamic stays dynamic, correctly).
// CHECK-LABEL: func @two_unknowns_stay
// CHECK: nn.Shape
// CHECK: %[[T:.*]] = "onnx.Concat"
// CHECK: "nn.Reshape"(%arg0, %[[T]])
func.func @two_unknowns_stay(%x: tensor<?x?x768xf32>) -> tensor<?x?x12x64xf32> {
  %s = "nn.Shape"(%x) : (tensor<?x?x768xf32>) -> tensor<3xi64>
  %i = "nn.Constant"() {value = dense<[1, 0]> : tensor<2xi64>} : () -> tensor<2xi64>
  %sw = "nn.Gather"(%s, %i) {axis = 0 : i64} : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  %rest = "nn.Constant"() {value = dense<[12, 64]> : tensor<2xi64>} : () -> tensor<2xi64>
  %t = "onnx.Concat"(%sw, %rest) {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  %r = "nn.Reshape"(%x, %t) : (tensor<?x?x768xf32>, tensor<4xi64>) -> tensor<?x?x12x64xf32>
  return %r : tensor<?x?x12x64xf32>
}

// -----

// Integer arithmetic on known values folds: Add, Sub, Mul, Div (truncating),
// Equal, Where, Range, ConstantOfShape, Slice, Squeeze, Cast, Size.
// CHECK-LABEL: func @arith_folds
// CHECK-NOT: "nn.{{(Add|Sub|Mul|Div|Equal|Where|Range|ConstantOfShape|Slice|Squeeze|Cast|Size)}}"
// CHECK-DAG: value = dense<[7, 2, 5, -5]> : tensor<4xi64>
// CHECK-DAG: %[[EQ:.*]] = "nn.Constant"() {value = dense<true> : tensor<2xi1>}
// CHECK-DAG: "nn.Not"(%[[EQ]])
// CHECK-DAG: value = dense<5> : tensor<2xi64>
// CHECK-DAG: value = dense<[0, 2, 4]> : tensor<3xi64>
// CHECK-DAG: value = dense<3> : tensor<3xi32>
// CHECK-DAG: value = dense<[6, 8]> : tensor<2xi64>
// CHECK-DAG: value = dense<4> : tensor<i64>
// CHECK-DAG: value = dense<24> : tensor<i64>
// CHECK-NOT: "nn.{{(Add|Sub|Mul|Div|Equal|Where|Range|ConstantOfShape|Slice|Squeeze|Cast|Size|Shape)}}"
// CHECK: return
func.func @arith_folds(%x: tensor<2x3x4xf32>) -> (tensor<4xi64>, tensor<2xi1>, tensor<2xi64>, tensor<3xi64>, tensor<3xi32>, tensor<2xi64>, tensor<i64>, tensor<i64>) {
  %a = "nn.Constant"() {value = dense<[4, -1]> : tensor<2xi64>} : () -> tensor<2xi64>
  %b = "nn.Constant"() {value = dense<3> : tensor<i64>} : () -> tensor<i64>
  %add = "nn.Add"(%a, %b) : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %mul = "nn.Mul"(%a, %b) : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %sub = "nn.Sub"(%mul, %add) : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %div = "nn.Div"(%mul, %b) : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %four = "onnx.Concat"(%add, %sub) {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  %eq = "nn.Equal"(%div, %a) : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi1>
  %neq = "nn.Not"(%eq) : (tensor<2xi1>) -> tensor<2xi1>
  %eq2 = "nn.Equal"(%a, %b) : (tensor<2xi64>, tensor<i64>) -> tensor<2xi1>
  %fives = "nn.Constant"() {value = dense<5> : tensor<2xi64>} : () -> tensor<2xi64>
  %where = "nn.Where"(%eq2, %a, %fives) : (tensor<2xi1>, tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %z = "nn.Constant"() {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %six = "nn.Constant"() {value = dense<6> : tensor<i64>} : () -> tensor<i64>
  %two = "nn.Constant"() {value = dense<2> : tensor<i64>} : () -> tensor<i64>
  %range = "nn.Range"(%z, %six, %two) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %n = "nn.Constant"() {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %cos = "nn.ConstantOfShape"(%n) {value = dense<3> : tensor<1xi32>} : (tensor<1xi64>) -> tensor<3xi32>
  %sl_s = "nn.Constant"() {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %sl_e = "nn.Constant"() {value = dense<100> : tensor<1xi64>} : () -> tensor<1xi64>
  %shape = "nn.Shape"(%x) : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %tail = "nn.Slice"(%shape, %sl_s, %sl_e) {operand_segment_sizes = array<i32: 1, 1, 1, 0, 0>} : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %dbl = "nn.Mul"(%tail, %two) : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  %dbl32 = "nn.Cast"(%dbl) {to = 7 : i64} : (tensor<2xi64>) -> tensor<2xi64>
  %last = "nn.Slice"(%shape, %n, %sl_e) {operand_segment_sizes = array<i32: 1, 1, 1, 0, 0>} : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<0xi64>
  %l2 = "nn.Constant"() {value = dense<2> : tensor<1xi64>} : () -> tensor<1xi64>
  %one = "nn.Slice"(%shape, %l2, %sl_e) {operand_segment_sizes = array<i32: 1, 1, 1, 0, 0>} : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %sq = "nn.Squeeze"(%one) : (tensor<1xi64>) -> tensor<i64>
  %size = "nn.Size"(%x) : (tensor<2x3x4xf32>) -> tensor<i64>
  return %four, %neq, %where, %range, %cos, %dbl32, %sq, %size : tensor<4xi64>, tensor<2xi1>, tensor<2xi64>, tensor<3xi64>, tensor<3xi32>, tensor<2xi64>, tensor<i64>, tensor<i64>
}

// -----

// Dead code: unused ops, initializers and nn.None go; ops with a used result stay.
// CHECK-LABEL: func @dead_code
// CHECK-NOT: nn.Initializer
// CHECK-NOT: nn.None
// CHECK-NOT: nn.Sigmoid
// CHECK: %[[R:.*]] = "nn.Relu"(%arg0)
// CHECK-NEXT: return %[[R]]
func.func @dead_code(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = "nn.Initializer"() {value = dense<1.0> : tensor<4x4xf32>} : () -> tensor<4x4xf32>
  %none = "nn.None"() : () -> none
  %m = "nn.MatMul"(%x, %w) : (tensor<1x4xf32>, tensor<4x4xf32>) -> tensor<1x4xf32>
  %s = "nn.Sigmoid"(%m) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %r = "nn.Relu"(%x) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}

// -----

// Identities: Identity, inference Dropout, Cast to the same type, Reshape to
// the same shape, identity Transpose, one-input Concat, x + 0, x * 1.
// CHECK-LABEL: func @identities
// CHECK-NOT: "nn.{{(Identity|Dropout|Cast|Reshape|Transpose|Add|Mul)}}"
// CHECK-NOT: onnx.Concat
// CHECK: %[[R:.*]] = "nn.Relu"(%arg0)
// CHECK-NEXT: return %[[R]]
func.func @identities(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %a = "nn.Identity"(%x) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %b = "nn.Dropout"(%a) {operand_segment_sizes = array<i32: 1, 0, 0>} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %c = "nn.Cast"(%b) {to = 1 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %shape = "nn.Constant"() {value = dense<[-1, 8]> : tensor<2xi64>} : () -> tensor<2xi64>
  %d = "nn.Reshape"(%c, %shape) : (tensor<?x8xf32>, tensor<2xi64>) -> tensor<?x8xf32>
  %e = "nn.Transpose"(%d) {perm = array<i64: 0, 1>} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %f = "onnx.Concat"(%e) {axis = 1 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %zero = "nn.Constant"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %g = "nn.Add"(%zero, %f) : (tensor<8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %one = "nn.Initializer"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %h = "nn.Mul"(%g, %one) : (tensor<?x8xf32>, tensor<f32>) -> tensor<?x8xf32>
  %r = "nn.Relu"(%h) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// Not identities: Dropout in training mode, Add of a non-zero, a Reshape that
// moves the dynamic dim, x + 0 that broadcasts x to a larger shape.
// CHECK-LABEL: func @not_identities
// CHECK: nn.Dropout
// CHECK: nn.Add
// CHECK: nn.Reshape
// CHECK: nn.Add
func.func @not_identities(%x: tensor<?x8xf32>, %y: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %t = "nn.Constant"() {value = dense<true> : tensor<i1>} : () -> tensor<i1>
  %a = "nn.Dropout"(%x, %t) {operand_segment_sizes = array<i32: 1, 0, 1>} : (tensor<?x8xf32>, tensor<i1>) -> tensor<?x8xf32>
  %k = "nn.Constant"() {value = dense<[0.0, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %shape = "nn.Constant"() {value = dense<[-1, 2]> : tensor<2xi64>} : () -> tensor<2xi64>
  %r = "nn.Reshape"(%a, %shape) : (tensor<?x8xf32>, tensor<2xi64>) -> tensor<?x2xf32>
  %b = "nn.Add"(%r, %k) : (tensor<?x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %back = "nn.Constant"() {value = dense<[-1, 8]> : tensor<2xi64>} : () -> tensor<2xi64>
  %c = "nn.Reshape"(%b, %back) : (tensor<?x2xf32>, tensor<2xi64>) -> tensor<?x8xf32>
  %d = "nn.Add"(%y, %x) : (tensor<8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %a, %c, %d : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Chains: Reshape of Reshape is one Reshape; Transpose of Transpose is one
// Transpose with the composed permutation (or nothing when it is identity).
// CHECK-LABEL: func @chains
// CHECK: %[[S:.*]] = "nn.Constant"() {{.*}}dense<[2, 12]>
// CHECK: %[[R:.*]] = "nn.Reshape"(%arg0, %[[S]])
// CHECK: %[[T:.*]] = "nn.Transpose"(%arg1) {perm = array<i64: 2, 0, 1>}
// CHECK-NOT: nn.Transpose
// CHECK: return %[[R]], %[[T]], %arg1
func.func @chains(%x: tensor<2x3x4xf32>, %y: tensor<2x3x4xf32>) -> (tensor<2x12xf32>, tensor<4x2x3xf32>, tensor<2x3x4xf32>) {
  %s1 = "nn.Constant"() {value = dense<[6, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %s2 = "nn.Constant"() {value = dense<[2, 12]> : tensor<2xi64>} : () -> tensor<2xi64>
  %a = "nn.Reshape"(%x, %s1) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  %b = "nn.Reshape"(%a, %s2) : (tensor<6x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
  %t1 = "nn.Transpose"(%y) {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %t2 = "nn.Transpose"(%t1) {perm = array<i64: 1, 2, 0>} : (tensor<3x4x2xf32>) -> tensor<4x2x3xf32>
  %u1 = "nn.Transpose"(%y) {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  %u2 = "nn.Transpose"(%u1) {perm = array<i64: 0, 2, 1>} : (tensor<2x4x3xf32>) -> tensor<2x3x4xf32>
  return %b, %t2, %u2 : tensor<2x12xf32>, tensor<4x2x3xf32>, tensor<2x3x4xf32>
}

// -----

// A Reshape whose target copies a dim (0) of the inner Reshape's result
// cannot skip it.
// CHECK-LABEL: func @chain_with_copy
// CHECK: nn.Reshape
// CHECK: nn.Reshape
func.func @chain_with_copy(%x: tensor<?x12xf32>) -> tensor<?x4xf32> {
  %s1 = "nn.Constant"() {value = dense<[-1, 3, 4]> : tensor<3xi64>} : () -> tensor<3xi64>
  %s2 = "nn.Constant"() {value = dense<[0, 3, 4]> : tensor<3xi64>} : () -> tensor<3xi64>
  %s3 = "nn.Constant"() {value = dense<[-1, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %a = "nn.Reshape"(%x, %s1) : (tensor<?x12xf32>, tensor<3xi64>) -> tensor<?x3x4xf32>
  %b = "nn.Sigmoid"(%a) : (tensor<?x3x4xf32>) -> tensor<?x3x4xf32>
  %c = "nn.Reshape"(%b, %s3) : (tensor<?x3x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  return %c : tensor<?x4xf32>
}

// -----

// Concat inputs of width 0 along the axis are dropped; one left is the result.
// CHECK-LABEL: func @concat_zero_width
// CHECK: %[[C:.*]] = "onnx.Concat"(%arg0, %arg2) {axis = 1 : i64}
// CHECK: return %[[C]], %arg0
func.func @concat_zero_width(%a: tensor<?x4x8x8xf32>, %b: tensor<?x0x8x8xf32>, %c: tensor<?x2x8x8xf32>) -> (tensor<?x6x8x8xf32>, tensor<?x4x8x8xf32>) {
  %r = "onnx.Concat"(%a, %b, %c) {axis = 1 : i64} : (tensor<?x4x8x8xf32>, tensor<?x0x8x8xf32>, tensor<?x2x8x8xf32>) -> tensor<?x6x8x8xf32>
  %s = "onnx.Concat"(%b, %a) {axis = -3 : i64} : (tensor<?x0x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %r, %s : tensor<?x6x8x8xf32>, tensor<?x4x8x8xf32>
}

// -----

// A residual branch pruned to nothing: conv1 kept no output channels, so
// conv2 sums over width 0 and computes only its bias; x + branch(x) becomes
// x + bias (a (C, 1, 1) constant) and the branch dies. Without a bias the
// block is the identity.
// CHECK-LABEL: func @residual_pruned_to_nothing
// CHECK-NOT: nn.Conv
// CHECK-DAG: %[[B:.*]] = "nn.Initializer"() {{.*}}tensor<4x1x1xf32>
// CHECK-DAG: %[[S:.*]] = "nn.Add"(%arg0, %[[B]])
// CHECK: return %[[S]], %arg0
func.func @residual_pruned_to_nothing(%x: tensor<?x4x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %w1 = "nn.Initializer"() {value = dense<1.0> : tensor<0x4x3x3xf32>} : () -> tensor<0x4x3x3xf32>
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<4x0x3x3xf32>} : () -> tensor<4x0x3x3xf32>
  %b2 = "nn.Initializer"() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %h = "nn.Conv"(%x, %w1) {pads = array<i64: 1, 1, 1, 1>} : (tensor<?x4x8x8xf32>, tensor<0x4x3x3xf32>) -> tensor<?x0x8x8xf32>
  %r = "nn.Relu"(%h) : (tensor<?x0x8x8xf32>) -> tensor<?x0x8x8xf32>
  %y = "nn.Conv"(%r, %w2, %b2) {pads = array<i64: 1, 1, 1, 1>} : (tensor<?x0x8x8xf32>, tensor<4x0x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %s = "nn.Add"(%x, %y) : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %z = "nn.Conv"(%r, %w2) {pads = array<i64: 1, 1, 1, 1>} : (tensor<?x0x8x8xf32>, tensor<4x0x3x3xf32>) -> tensor<?x4x8x8xf32>
  %t = "nn.Add"(%z, %x) : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return %s, %t : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}

// -----

// BatchNormalization after a Conv folds into it with fold-bn=true: scale 2,
// var 3 (eps 1), mean 1, B 0.5 -> s = 1, W' = W, b' = (0 - 1) * 1 + 0.5.
// Without fold-bn the BatchNormalization stays. A Conv with a second user
// keeps its BatchNormalization.
// CHECK-LABEL: func @fold_bn
// CHECK: nn.BatchNormalization
// CHECK: nn.BatchNormalization
// BN-LABEL: func @fold_bn
// BN-DAG: %[[W:.*]] = "nn.Initializer"() {{.*}}tensor<2x1x1x1xf32>
// BN-DAG: %[[B:.*]] = "nn.Initializer"() {{.*}}tensor<2xf32>
// BN: %[[C:.*]] = "nn.Conv"(%arg0, %[[W]], %[[B]])
// BN: nn.BatchNormalization
// BN: return %[[C]]
func.func @fold_bn(%x: tensor<?x1x4x4xf32>) -> (tensor<?x2x4x4xf32>, tensor<?x2x4x4xf32>, tensor<?x2x4x4xf32>) {
  %w = "nn.Initializer"() {value = dense<[[[[1.0]]], [[[-1.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %scale = "nn.Initializer"() {value = dense<2.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %bias = "nn.Initializer"() {value = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %mean = "nn.Initializer"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %var = "nn.Initializer"() {value = dense<3.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "nn.Conv"(%x, %w) : (tensor<?x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x4x4xf32>
  %y = "nn.BatchNormalization"(%c, %scale, %bias, %mean, %var) {epsilon = 1.0 : f32, result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  %c2 = "nn.Conv"(%x, %w) : (tensor<?x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x4x4xf32>
  %y2 = "nn.BatchNormalization"(%c2, %scale, %bias, %mean, %var) {epsilon = 1.0 : f32, result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<?x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x4x4xf32>
  return %y, %y2, %c2 : tensor<?x2x4x4xf32>, tensor<?x2x4x4xf32>, tensor<?x2x4x4xf32>
}

// -----

// Duplicate constants merge into the first.
// CHECK-LABEL: func @merge_constants
// CHECK: %[[K:.*]] = "nn.Constant"() {value = dense<[-1, 4]> : tensor<2xi64>}
// CHECK-NOT: nn.Constant
// CHECK: "nn.Reshape"(%arg0, %[[K]])
// CHECK: "nn.Reshape"(%arg1, %[[K]])
func.func @merge_constants(%x: tensor<?x2x2xf32>, %y: tensor<?x4x1xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %k1 = "nn.Constant"() {value = dense<[-1, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %k2 = "nn.Constant"() {value = dense<[-1, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %a = "nn.Reshape"(%x, %k1) : (tensor<?x2x2xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  %b = "nn.Reshape"(%y, %k2) : (tensor<?x4x1xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  return %a, %b : tensor<?x4xf32>, tensor<?x4xf32>
}

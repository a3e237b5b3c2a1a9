// Head groups (3 heads of head_dim 2; group 0 is the pinned residual) under
// fpgm and bn-scale; the expected
// scores and how they were computed are in importance-criteria.mlir.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=fpgm})' | FileCheck %S/importance-criteria.mlir --check-prefix=HEADS
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=fpgm reduce=max})' | FileCheck %S/importance-criteria.mlir --check-prefix=HEADSMAX
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=bn-scale})' | FileCheck %S/importance-criteria.mlir --check-prefix=HEADSBN
// RUN: rm -rf %t && mkdir -p %t && %python %inputs/importance_fixture.py heads_cal %t/cal
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=activation calibration=%t/cal})' | FileCheck %S/importance-criteria.mlir --check-prefix=HEADSACT
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=apoz calibration=%t/cal})' | FileCheck %S/importance-criteria.mlir --check-prefix=HEADSBN
func.func @main(%x: tensor<1x5x6xf32>) -> tensor<1x5x6xf32> {
  %wq = "nn.Initializer"() {value = dense<[[2.0, 1.0, 0.0, -1.0, -1.0, -2.0], [-2.0, -2.0, -2.0, 2.0, 1.0, 2.0], [0.0, 1.0, 2.0, 1.0, 1.0, 0.0], [0.0, 2.0, -1.0, 2.0, 1.0, -2.0], [-1.0, 2.0, 0.0, -2.0, 1.0, 1.0], [2.0, -2.0, -2.0, 2.0, -2.0, 0.0]]> : tensor<6x6xf32>} : () -> tensor<6x6xf32> loc("wq")
  %wk = "nn.Initializer"() {value = dense<[[-2.0, -1.0, 0.0, 0.0, 0.0, -2.0], [-2.0, -2.0, -2.0, 1.0, 0.0, 1.0], [-1.0, 1.0, 1.0, -1.0, 0.0, 2.0], [2.0, 2.0, -1.0, 1.0, 2.0, 1.0], [2.0, 1.0, 1.0, -1.0, 2.0, -2.0], [0.0, 1.0, 2.0, 0.0, -1.0, -1.0]]> : tensor<6x6xf32>} : () -> tensor<6x6xf32> loc("wk")
  %wv = "nn.Initializer"() {value = dense<[[0.0, 0.0, 1.0, 2.0, -2.0, 2.0], [0.0, -1.0, 1.0, 0.0, -1.0, -1.0], [1.0, 0.0, 0.0, -1.0, 1.0, -1.0], [-1.0, 2.0, -1.0, -1.0, 1.0, 1.0], [-2.0, -2.0, -1.0, 2.0, 0.0, 1.0], [-1.0, -1.0, 1.0, 2.0, -2.0, -2.0]]> : tensor<6x6xf32>} : () -> tensor<6x6xf32> loc("wv")
  %wo = "nn.Initializer"() {value = dense<[[1.0, -1.0, 0.0, -2.0, 2.0, 0.0], [2.0, 1.0, 1.0, -1.0, 1.0, -2.0], [0.0, 0.0, 2.0, -2.0, 2.0, -2.0], [1.0, 0.0, 2.0, -1.0, 2.0, 1.0], [2.0, -2.0, 1.0, 2.0, -2.0, -1.0], [1.0, -2.0, 0.0, 1.0, 1.0, 2.0]]> : tensor<6x6xf32>} : () -> tensor<6x6xf32> loc("wo")
  %sh = "nn.Constant"() {value = dense<[1, 5, 3, 2]> : tensor<4xi64>} : () -> tensor<4xi64> loc("sh")
  %so = "nn.Constant"() {value = dense<[1, 5, 6]> : tensor<3xi64>} : () -> tensor<3xi64> loc("so")
  %q0 = "nn.MatMul"(%x, %wq) : (tensor<1x5x6xf32>, tensor<6x6xf32>) -> tensor<1x5x6xf32> loc("q_proj")
  %k0 = "nn.MatMul"(%x, %wk) : (tensor<1x5x6xf32>, tensor<6x6xf32>) -> tensor<1x5x6xf32> loc("k_proj")
  %v0 = "nn.MatMul"(%x, %wv) : (tensor<1x5x6xf32>, tensor<6x6xf32>) -> tensor<1x5x6xf32> loc("v_proj")
  %q1 = "nn.Reshape"(%q0, %sh) : (tensor<1x5x6xf32>, tensor<4xi64>) -> tensor<1x5x3x2xf32> loc("q_heads")
  %q = "nn.Transpose"(%q1) {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x5x3x2xf32>) -> tensor<1x3x5x2xf32> loc("q_t")
  %k1 = "nn.Reshape"(%k0, %sh) : (tensor<1x5x6xf32>, tensor<4xi64>) -> tensor<1x5x3x2xf32> loc("k_heads")
  %kt = "nn.Transpose"(%k1) {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x5x3x2xf32>) -> tensor<1x3x2x5xf32> loc("k_t")
  %v1 = "nn.Reshape"(%v0, %sh) : (tensor<1x5x6xf32>, tensor<4xi64>) -> tensor<1x5x3x2xf32> loc("v_heads")
  %v = "nn.Transpose"(%v1) {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x5x3x2xf32>) -> tensor<1x3x5x2xf32> loc("v_t")
  %s = "nn.MatMul"(%q, %kt) : (tensor<1x3x5x2xf32>, tensor<1x3x2x5xf32>) -> tensor<1x3x5x5xf32> loc("scores")
  %p = "nn.Softmax"(%s) {axis = -1 : i64} : (tensor<1x3x5x5xf32>) -> tensor<1x3x5x5xf32> loc("softmax")
  %a = "nn.MatMul"(%p, %v) : (tensor<1x3x5x5xf32>, tensor<1x3x5x2xf32>) -> tensor<1x3x5x2xf32> loc("attn")
  %a1 = "nn.Transpose"(%a) {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x3x5x2xf32>) -> tensor<1x5x3x2xf32> loc("attn_t")
  %a2 = "nn.Reshape"(%a1, %so) : (tensor<1x5x3x2xf32>, tensor<3xi64>) -> tensor<1x5x6xf32> loc("attn_merge")
  %o = "nn.MatMul"(%a2, %wo) : (tensor<1x5x6xf32>, tensor<6x6xf32>) -> tensor<1x5x6xf32> loc("o_proj")
  %r = "nn.Add"(%o, %x) : (tensor<1x5x6xf32>, tensor<1x5x6xf32>) -> tensor<1x5x6xf32> loc("residual")
  return %r : tensor<1x5x6xf32>
}

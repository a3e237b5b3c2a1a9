// sp-prune{global=true per-mac=true}: the global threshold ranks units by score
// divided by the MACs one unit of their group costs. x (1x1x4x4) -> convA (2
// channels, group 0) -> convB (2 channels, stride 2, group 1) -> convC (1).
// MACs: convA 2*16*1 = 32, convB 2*4*2 = 16, convC 1*4*2 = 8; total 56.
// One unit of group 0 costs 16 (convA) + 8 (convB's input) = 24; of group 1,
// 8 (convB) + 4 (convC's input) = 12.
// L2 scores, mean over each unit's slices:
//   group 0: unit 0 (|2| + ||(1, 0)||) / 2 = 1.5, unit 1 (|4| + ||(0, 1)||) / 2 = 2.5
//   group 1: unit 0 (||(1, 0)|| + |1|) / 2 = 1,   unit 1 (||(0, 1)|| + |3|) / 2 = 2
// per MAC: 1.5/24 = 0.0625, 2.5/24 = 0.104, 1/12 = 0.083, 2/12 = 0.167.

// ratio 0.25 of the 4 units drops one: by score group 1's unit 0 (1), per MAC
// group 0's unit 0 (0.0625).
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.25 global=true})' | FileCheck %s --check-prefix=SCORE
// SCORE: sp.keep = [array<i64>, array<i64: 1>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.25 global=true per-mac=true})' | FileCheck %s --check-prefix=PERMAC
// PERMAC: sp.keep = [array<i64: 1>, array<i64>]
// target-macs=40: per MAC one unit suffices (56 - 24 = 32); by score group 1's
// unit 0 leaves 44, so group 0's unit 0 (next lowest, 1.5) goes too: 24 MACs.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{target-macs=40 global=true per-mac=true},sp-model-stats)' 2>&1 | FileCheck %s --check-prefix=MACS40
// MACS40: exact: {{[0-9]+}} parameters, 32 MACs
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{target-macs=40 global=true},sp-model-stats)' 2>&1 | FileCheck %s --check-prefix=SCORE40
// SCORE40: exact: {{[0-9]+}} parameters, 24 MACs
// RUN: not sp-opt %s -o %t.mlir --pass-pipeline='builtin.module(sp-prune{ratio=0.25 per-mac=true})' 2>&1 | FileCheck %s --check-prefix=NOGLOBAL
// NOGLOBAL: error: sp-prune: per-mac ranks units across groups: it needs global=true
// RUN: not ls %t.mlir

module {
func.func @main(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %wa = "nn.Initializer"() {value = dense<[[[[2.0]]], [[[4.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32> loc("wa")
  %wb = "nn.Initializer"() {value = dense<[[[[1.0]], [[0.0]]], [[[0.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>} : () -> tensor<2x2x1x1xf32> loc("wb")
  %wc = "nn.Initializer"() {value = dense<[[[[1.0]], [[3.0]]]]> : tensor<1x2x1x1xf32>} : () -> tensor<1x2x1x1xf32> loc("wc")
  %a = "nn.Conv"(%x, %wa) : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> loc("convA")
  %b = "nn.Conv"(%a, %wb) {strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32> loc("convB")
  %c = "nn.Conv"(%b, %wc) : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x2x2xf32> loc("convC")
  return %c : tensor<1x1x2x2xf32>
}
}

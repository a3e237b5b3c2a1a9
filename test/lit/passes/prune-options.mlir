// Decisions of sp-prune on conv1's 4 channels: L2 scores averaged over the group's 6
// weights (conv1, its bias, BN scale/bias, depthwise filter, conv2) are
// 3.33, 2.83, 3.30, 3.02. Then the option checks.
// MACs: conv1 128 + depthwise 576 + conv2 64 = 768.

// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.5 round-to=4})' | FileCheck %s --check-prefix=ROUND
// ROUND: sp.keep = [array<i64>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.5 round-to=3})' | FileCheck %s --check-prefix=ROUND3
// ROUND3: sp.keep = [array<i64: 0, 2, 3>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.75 max-ratio=0.25})' | FileCheck %s --check-prefix=CAP
// CAP: sp.keep = [array<i64: 0, 2, 3>]
// ratio=0.9 would drop 3.6 channels: never the whole group, and floor(3.6) = 3.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{ratio=0.9})' | FileCheck %s --check-prefix=MOST
// MOST: sp.keep = [array<i64: 0>]
// 60% of 768 MACs = 460: one channel less leaves 576, two leave 384.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{target-macs=0.6})' | FileCheck %s --check-prefix=MACS
// MACS: sp.keep = [array<i64: 0, 2>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance,sp-prune{target-macs=600})' | FileCheck %s --check-prefix=MACS600
// MACS600: sp.keep = [array<i64: 0, 2, 3>]
// Random scores, seeded: the same decisions every run.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=random seed=7},sp-prune{ratio=0.5})' | FileCheck %s --check-prefix=RAND
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=random seed=7},sp-prune{ratio=0.5})' | FileCheck %s --check-prefix=RAND
// RAND: sp.keep = [array<i64: [[K:.*]]>]

// Options out of range are rejected by the registry, before anything runs.
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-prune{ratio=1})' 2>&1 | FileCheck %s --check-prefix=RATIO
// RATIO: pass 'sp-prune': ratio must be in [0, 1), got 1
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-prune{ratio=-0.1})' 2>&1 | FileCheck %s --check-prefix=RATIONEG
// RATIONEG: pass 'sp-prune': ratio must be in [0, 1), got -0.1
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-prune{head-ratio=1.5})' 2>&1 | FileCheck %s --check-prefix=HEAD
// HEAD: pass 'sp-prune': head-ratio must be in [0, 1), got 1.5
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-prune{round-to=0})' 2>&1 | FileCheck %s --check-prefix=ROUNDTO
// ROUNDTO: pass 'sp-prune': round-to must be in [1, 4096], got 0
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-prune{max-ratio=2})' 2>&1 | FileCheck %s --check-prefix=MAXR
// MAXR: pass 'sp-prune': max-ratio must be in [0, 1], got 2
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-prune{mode=cut})' 2>&1 | FileCheck %s --check-prefix=MODE
// MODE: pass 'sp-prune': option 'mode' must be one of shrink|mask, got 'cut'
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-prune{ratios=0.5})' 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: pass 'sp-prune' has no option 'ratios'

// Requests the model cannot meet are errors at the module, and the pass fails.
// RUN: sp-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(sp-prune{target-macs=100})'
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-prune{protect=nosuch*})' 2>&1 | FileCheck %s --check-prefix=PROTECT
// PROTECT: prune-options.mlir:[[@LINE+4]]:1: error: sp-prune: protect pattern 'nosuch*' matches no node


// expected-error@+1 {{sp-prune: cannot meet target-macs=100: pruning every group by 0.99 leaves 192 MACs (of 768)}}
module {
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
}

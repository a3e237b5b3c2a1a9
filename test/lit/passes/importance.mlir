// Per-unit scores of conv1's 3 output channels. Each unit has two weight
// slices: conv1's filter (out-channel) and conv2's in-channel column.
//   conv1 filters: [3, 4], [1, 0], [-2, 2]   (2-norms 5, 1, 2.83; 1-norms 7, 1, 4)
//   conv2 columns: 1, 1, 1
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance)' | FileCheck %s --check-prefix=L2
// L2: sp.importance = [array<f32: 3.000000e+00, 1.000000e+00, 1.91421354>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=l1})' | FileCheck %s --check-prefix=L1
// L1: sp.importance = [array<f32: 4.000000e+00, 1.000000e+00, 2.500000e+00>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{reduce=max})' | FileCheck %s --check-prefix=MAX
// MAX: sp.importance = [array<f32: 5.000000e+00, 1.000000e+00, 2.82842708>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{reduce=sum})' | FileCheck %s --check-prefix=SUM
// SUM: sp.importance = [array<f32: 6.000000e+00, 2.000000e+00, 3.82842708>]
// lp with p=3 as torch.nn.utils.prune.ln_structured: (27 + 64)^(1/3) = 4.498 -> mean with 1.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=lp p=3})' | FileCheck %s --check-prefix=LP
// LP: sp.importance = [array<f32: 2.74897075, 1.000000e+00, 1.75992107>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{normalize=max})' | FileCheck %s --check-prefix=NMAX
// NMAX: sp.importance = [array<f32: 1.000000e+00, 0.333333343, 0.638071179>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{normalize=sum})' | FileCheck %s --check-prefix=NSUM
// NSUM: sp.importance = [array<f32: 0.507252574, 0.169084191, 0.323663235>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{normalize=mean})' | FileCheck %s --check-prefix=NMEAN
// NMEAN: sp.importance = [array<f32: 1.52175772, 0.507252574, 0.970989763>]
// Lamp normalization: a score over the sum of the scores not smaller than it: 3/3, 1/5.91, 1.91/4.91.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{normalize=lamp})' | FileCheck %s --check-prefix=LAMP
// LAMP: sp.importance = [array<f32: 1.000000e+00, 0.169084191, 0.38952592>]
// Random is seeded: the same seed gives the same scores.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=random seed=1})' | FileCheck %s --check-prefix=RAND
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=random seed=1})' | FileCheck %s --check-prefix=RAND
// RAND: sp.importance = [array<f32: 0.368189514, 0.914022446, 0.73769927>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=random seed=2})' | FileCheck %s --check-prefix=RAND2
// RAND2: sp.importance = [array<f32: 0.392216474, 0.876675605, 0.587783396>]

// Bad options are rejected before anything runs.
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=l3})' 2>&1 | FileCheck %s --check-prefix=BADCRIT
// BADCRIT: pass 'sp-importance': option 'criterion' must be one of l1|l2|lp|random|bn-scale|fpgm|taylor-weight|fisher|hessian-diag|activation|apoz|taylor|gate, got 'l3'
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=lp p=0})' 2>&1 | FileCheck %s --check-prefix=BADP
// BADP: pass 'sp-importance': p must be in [0.0625, 64], got 0
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-importance{normalize=softmax})' 2>&1 | FileCheck %s --check-prefix=BADNORM
// BADNORM: option 'normalize' must be one of none|mean|max|sum|lamp, got 'softmax'
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<[[[[3.0]], [[4.0]]], [[[1.0]], [[0.0]]], [[[-2.0]], [[2.0]]]]> : tensor<3x2x1x1xf32>} : () -> tensor<3x2x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<1x3x1x1xf32>} : () -> tensor<1x3x1x1xf32> loc("w2")
  %a = "nn.Conv"(%x, %w1) : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x4x4xf32> loc("conv1")
  %r = "nn.Relu"(%a) : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> loc("relu")
  %b = "nn.Conv"(%r, %w2) : (tensor<1x3x4x4xf32>, tensor<1x3x1x1xf32>) -> tensor<1x1x4x4xf32> loc("conv2")
  return %b : tensor<1x1x4x4xf32>
}

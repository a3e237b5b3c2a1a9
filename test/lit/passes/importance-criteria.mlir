// Weight-based criteria beyond p-norms, on hand-computed fixtures.
//
// @main: conv1 -> bn -> relu -> conv2 -> relu -> conv3. Group 0 is conv1's 3
// output channels (filters [3,4], [1,0], [-2,2]; BN scale [0.5, -2, 1]);
// group 1 is conv2's 2 output channels (filters [1,2,2], [0,3,4]; no BN).
//
// bn-scale (network slimming): |gamma| = 0.5, 2, 1. Group 1 has no BN and keeps
// its L2 scores: filter norms 3, 5 and conv3's columns 1, 1, mean 2, 3.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=bn-scale})' | FileCheck %s --check-prefix=BN
// BN: sp.importance = [array<f32: 5.000000e-01, 2.000000e+00, 1.000000e+00>, array<f32: 2.000000e+00, 3.000000e+00>]
// normalize applies after the criterion: 0.5/2, 2/2, 1/2.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=bn-scale normalize=max})' | FileCheck %s --check-prefix=BNMAX
// BNMAX: sp.importance = [array<f32: 2.500000e-01, 1.000000e+00, 5.000000e-01>, array<f32: 0.666666686, 1.000000e+00>]
//
// fpgm: per producer filter, the summed distance to the layer's other filters.
// conv1: |f0-f1| = sqrt(20), |f0-f2| = sqrt(29), |f1-f2| = sqrt(13):
//   sqrt(20)+sqrt(29) = 9.8573, sqrt(20)+sqrt(13) = 8.0777, sqrt(29)+sqrt(13) = 8.9907.
// conv2: both filters are sqrt(6) = 2.4495 from each other.
// Only producer weights vote (not BN, not conv2's in-channel columns).
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=fpgm})' | FileCheck %s --check-prefix=FPGM
// FPGM: sp.importance = [array<f32: 9.85730075, 8.07768726, 8.99071598>, array<f32: 2.44948983, 2.44948983>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=fpgm normalize=sum})' | FileCheck %s --check-prefix=FPGMSUM
// FPGMSUM: sp.importance = [array<f32: 0.366092592, 0.299999118, 0.33390829>, array<f32: 5.000000e-01, 5.000000e-01>]
//
// activation / apoz on calibration data (two sets, importance_fixture.py act_cal;
// numpy's scores: act_expected). Group 0 is observed after relu1 (conv1 -> bn1
// -> relu1), group 1 after relu2: mean |a| per channel over both sets, and
// 1 - the share of zeros (APoZ, Hu et al. 2016).
// RUN: rm -rf %t && mkdir -p %t && %python %inputs/importance_fixture.py act_cal %t/act
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=activation calibration=%t/act})' | FileCheck %s --check-prefix=ACT
// ACT: sp.importance = [array<f32: 1.17186{{[0-9]*}}, 0.749996{{[0-9]*}}, 1.35936{{[0-9]*}}>, array<f32: 5.39059{{[0-9]*}}, 7.68746{{[0-9]*}}>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=apoz calibration=%t/act})' | FileCheck %s --check-prefix=APOZ
// APOZ: sp.importance = [array<f32: 5.312500e-01, 3.750000e-01, 3.750000e-01>, array<f32: 7.500000e-01, 4.375000e-01>]
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=apoz calibration=%t/act normalize=max})' | FileCheck %s --check-prefix=APOZMAX
// APOZMAX: sp.importance = [array<f32: 1.000000e+00, 0.70588237, 0.70588237>, array<f32: 1.000000e+00, 0.583333313>]
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=apoz})' 2>&1 | FileCheck %s --check-prefix=NOCAL
// NOCAL: error: sp-importance: criterion=apoz needs calibration=DIR (input_N.pb, as sp-recalibrate-bn reads) and no data=
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=activation calibration=%t/nowhere})' 2>&1 | FileCheck %s --check-prefix=NODIR
// NODIR: error: sp-importance: calibration directory '{{.*}}nowhere': No such file or directory
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-importance{criterion=fpgm calibration=%t/act})' 2>&1 | FileCheck %s --check-prefix=NOTREAD
// NOTREAD: error: sp-importance: calibration= and data= are read by criterion=taylor|taylor-weight|fisher|hessian-diag|activation|apoz only, not by criterion=fpgm
//
// Heads (@heads, below): 3 heads of 2 channels in q/k/v/o projections; a
// head's filter is its 2 columns of wq (and wk, wv): 12 numbers. numpy:
//   per producer sum of distances, mean over wq, wk, wv: 14.3205, 14.1375, 13.6308
//   max over them: 18.1591, 15.6874, 16.1830
// HEADS: sp.importance = [array<f32>, array<f32: 14.3204632, 14.137475, 13.6308012>]
// HEADSMAX: sp.importance = [array<f32>, array<f32: 18.1591396, 15.6874151, 16.183033>]
// bn-scale with no BatchNormalization in the model: the head group keeps L2 (mean of the column/row norms).
// activation per head: mean |x W| over each head's 2 columns and 5 tokens,
// mean over q, k, v (heads_expected): 3.1, 2.66667, 3.01667. apoz: no Relu
// follows a projection, so the group keeps L2 (as HEADSBN).
// HEADSACT: sp.importance = [array<f32>, array<f32: 3.100000e+00, 2.66666675, 3.01666665>]
// HEADSBN: sp.importance = [array<f32>, array<f32: 4.94161272, 4.748950e+00, 4.94259787>]
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w1 = "nn.Initializer"() {value = dense<[[[[3.0]], [[4.0]]], [[[1.0]], [[0.0]]], [[[-2.0]], [[2.0]]]]> : tensor<3x2x1x1xf32>} : () -> tensor<3x2x1x1xf32> loc("w1")
  %g = "nn.Initializer"() {value = dense<[0.5, -2.0, 1.0]> : tensor<3xf32>} : () -> tensor<3xf32> loc("gamma")
  %b = "nn.Initializer"() {value = dense<0.0> : tensor<3xf32>} : () -> tensor<3xf32> loc("beta")
  %m = "nn.Initializer"() {value = dense<0.0> : tensor<3xf32>} : () -> tensor<3xf32> loc("mean")
  %v = "nn.Initializer"() {value = dense<1.0> : tensor<3xf32>} : () -> tensor<3xf32> loc("var")
  %w2 = "nn.Initializer"() {value = dense<[[[[1.0]], [[2.0]], [[2.0]]], [[[0.0]], [[3.0]], [[4.0]]]]> : tensor<2x3x1x1xf32>} : () -> tensor<2x3x1x1xf32> loc("w2")
  %w3 = "nn.Initializer"() {value = dense<1.0> : tensor<1x2x1x1xf32>} : () -> tensor<1x2x1x1xf32> loc("w3")
  %c1 = "nn.Conv"(%x, %w1) : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x4x4xf32> loc("conv1")
  %n1 = "nn.BatchNormalization"(%c1, %g, %b, %m, %v) {result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32> loc("bn1")
  %r1 = "nn.Relu"(%n1) : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> loc("relu1")
  %c2 = "nn.Conv"(%r1, %w2) : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x4xf32> loc("conv2")
  %r2 = "nn.Relu"(%c2) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("relu2")
  %c3 = "nn.Conv"(%r2, %w3) : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32> loc("conv3")
  return %c3 : tensor<1x1x4x4xf32>
}

// drop-layers=N removes the N residual blocks with the smallest weight-based
// gain (sum of ||W||^2 / fan_in over the branch's weights): block1's conv has
// weights 0.1 (gain 0.04), block2's 1.0 (gain 4). A block is Add(s, f) where the
// shortcut s is an ancestor of f and the branch between them is private.
// The scores are recorded as sp.block_importance (here ||W||^2 / fan_in).
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-prune{ratio=0 drop-layers=1})' | FileCheck %s
// CHECK-LABEL: module attributes {sp.block_importance = {{\[}}["block1_add", 0.0400{{[0-9]*}}], ["block2_add", 4.000000e+00]], sp.dropped_blocks = ["block1_add"]
// CHECK-NOT: loc("block1_conv")
// CHECK: %[[C:.*]] = "nn.Conv"(%arg0, %{{.*}})
// CHECK: "nn.Conv"(%[[C]], %{{.*}})
// CHECK: "nn.Add"(%{{.*}}, %[[C]])
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-prune{ratio=0 drop-layers=2})' | FileCheck %s --check-prefix=TWO
// TWO: sp.dropped_blocks = ["block1_add", "block2_add"]
// With calibration data the model in IR is exported and run as is: block2's
// all-ones conv maps block1's output (equal channels: every conv here sums
// channels) to a multiple of itself, so cos = 1 and block2 goes first.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python -c "import numpy as np; from onnx import numpy_helper as h; open('%t/input_0.pb', 'wb').write(h.from_array(np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype(np.float32)).SerializeToString())"
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-prune{ratio=0 drop-layers=1 calibration=%t})' | FileCheck %s --check-prefix=CAL
// CAL: sp.block_importance = {{\[}}["block1_add", {{[0-9.e+-]+}}], ["block2_add", 0.000000e+00]], sp.dropped_blocks = ["block2_add"]
// TWO-NOT: "nn.Add"
// RUN: not sp-opt %s --pass-pipeline='builtin.module(sp-prune{ratio=0 drop-layers=3})' 2>&1 | FileCheck %s --check-prefix=THREE
// THREE: error: sp-prune: drop-layers=3 but the model has 2 removable residual blocks
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %w0 = "nn.Initializer"() {value = dense<1.0> : tensor<4x2x1x1xf32>} : () -> tensor<4x2x1x1xf32> loc("w0")
  %w1 = "nn.Initializer"() {value = dense<0.1> : tensor<4x4x1x1xf32>} : () -> tensor<4x4x1x1xf32> loc("w1")
  %w2 = "nn.Initializer"() {value = dense<1.0> : tensor<4x4x1x1xf32>} : () -> tensor<4x4x1x1xf32> loc("w2")
  %c = "nn.Conv"(%x, %w0) : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32> loc("stem")
  %a1 = "nn.Conv"(%c, %w1) : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32> loc("block1_conv")
  %r1 = "nn.Relu"(%a1) : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("block1_relu")
  %s1 = "nn.Add"(%r1, %c) : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("block1_add")
  %a2 = "nn.Conv"(%s1, %w2) : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32> loc("block2_conv")
  %s2 = "nn.Add"(%a2, %s1) : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("block2_add")
  return %s2 : tensor<1x4x4x4xf32>
}

// The IRDL verifier runs in mlir-opt: a Conv without its weight is refused.
// REQUIRES: sp-plugin
// RUN: not %mlir_opt %s --load-dialect-plugin=%sp_plugin 2>&1 | FileCheck %s --check-prefix=VERIFY
// VERIFY: error: op expects at least 2 operands, but got 1
func.func @bad_conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %a = "nn.Conv"(%x) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// --verify-diagnostics passes when the expected errors appear, and fails
// (naming both sides) when they do not.
// RUN: sp-opt %s --split-input-file --verify-diagnostics
// RUN: sed 's/expected-error@+1 {{.*}}/expected-error@+1 {{a message that never comes}}/' %s > %t.mlir
// RUN: not sp-opt %t.mlir --split-input-file --verify-diagnostics 2>&1 | FileCheck %s
// CHECK: error: unexpected error:
// CHECK: error: expected error "a message that never comes" was not produced

func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-error@+1 {{expects exactly 1 operands, but got 2}}
  %0 = "nn.Relu"(%x, %x) : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @main(%x: tensor<1x4xf32>) -> tensor<1x8xf32> {
  %0 = "nn.Relu"(%x) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  // expected-error@+1 {{type of return operand 0 ('tensor<1x4xf32>') doesn't match function result type ('tensor<1x8xf32>')}}
  return %0 : tensor<1x4xf32>
}

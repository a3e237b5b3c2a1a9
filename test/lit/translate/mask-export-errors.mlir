// An sp.mask that does not fit its initializer is an export error naming the
// op, and no file is written (the metadata would zero the wrong values).
// RUN: rm -f %t.onnx
// RUN: not sp-translate --export-onnx %s -o %t.onnx 2>&1 | FileCheck %s
// RUN: not test -e %t.onnx
// CHECK: op 'nn.Initializer' at 'w': sp.mask ranges do not fit the initializer's shape
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %w = "nn.Initializer"() {onnx.names = ["w"], sp.mask = [array<i64: 0, 3, 9>], value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("w")
  %y = "nn.Add"(%x, %w) : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32> loc("add")
  return %y : tensor<1x4xf32>
}


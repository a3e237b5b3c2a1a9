// sp passes mix with upstream ones; IR printing and timing work.
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-model-stats{table=none},canonicalize,cse,symbol-dce)' | FileCheck %s
// RUN: sp-opt %s --pass-pipeline='builtin.module(sp-model-stats{table=none},cse)' --mlir-print-ir-after-all --mlir-timing -o /dev/null 2>&1 | FileCheck %s --check-prefix=DUMP
// RUN: sp-opt %s | sp-opt | FileCheck %s

// CHECK-LABEL: func.func @main
// CHECK: %[[R:.*]] = "nn.Relu"(%arg0)
// CHECK: return %[[R]]
// DUMP: IR Dump After sp-model-stats{table=none}
// DUMP: nn.Relu
// DUMP: IR Dump After cse
// DUMP: Execution time report
// DUMP: sp-model-stats{table=none}
// DUMP: Total
func.func @main(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = "nn.Relu"(%x) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// sp-canonicalize folds sp-insert-gates gates into the op before them
// (fixture: importance-gate.mlir): g1 into bn1's scale and bias, g2 into
// conv2's weight, g2b into conv2b's weight and bias. No Mul is left.
// RUN: sp-opt %S/importance-gate.mlir --pass-pipeline='builtin.module(sp-canonicalize{stats=-})' 2>&1 | FileCheck %s
// CHECK: gates_folded=3
// CHECK-NOT: nn.Mul
// CHECK: %[[C1:.*]] = "nn.Conv"(%arg0, %{{.*}})
// CHECK: %[[N1:.*]] = "nn.BatchNormalization"(%[[C1]], %[[S:.*]], %[[B:.*]], %{{.*}}, %{{.*}})
// CHECK: "nn.Relu"(%[[N1]])
// CHECK-NOT: nn.Mul
// gamma * g1 = [0.25, 4, 1], beta * g1 = [0.05, -0.4, 0.3]; conv2's rows
// times [0.25, 0]: [0.25, 0.5, 0.5], [0, 0, 0]; conv2b's bias times [1, 3]: [0.5, -1.5].
// CHECK-DAG: {{[a-z0-9]+}}_gated_{{[0-9]+}}: "0x{{[0-9A-F]+}}0000803E000080400000803F"
// CHECK-DAG: {{[a-z0-9]+}}_gated_{{[0-9]+}}: "0x{{[0-9A-F]+}}CDCC4C3DCDCCCCBE9A99993E"
// CHECK-DAG: {{[a-z0-9]+}}_gated_{{[0-9]+}}: "0x{{[0-9A-F]+}}0000803E0000003F0000003F000000000000000000000000"
// CHECK-DAG: {{[a-z0-9]+}}_gated_{{[0-9]+}}: "0x{{[0-9A-F]+}}0000003F0000C0BF"
// fold-gates=false keeps them.
// RUN: sp-opt %S/importance-gate.mlir --pass-pipeline='builtin.module(sp-canonicalize{fold-gates=false})' | grep -c '"nn.Mul"' | FileCheck %s --check-prefix=KEPT
// KEPT: 3
// After sp-prune{mode=mask} (unit 0 of both groups zeroed) the folded weights
// keep the masks, so sp-train still holds those channels at zero.
// RUN: sp-opt %S/importance-gate.mlir --pass-pipeline='builtin.module(sp-importance{criterion=gate},sp-prune{ratio=0.5 mode=mask},sp-canonicalize)' | FileCheck %s --check-prefix=MASK
// MASK-NOT: nn.Mul
// MASK-DAG: sp.mask = [array<i64: 0, 0, 1>], value = dense_resource<{{.*}}> : tensor<2xf32>}
// MASK-DAG: sp.mask = [array<i64: 0, 0, 1>, array<i64: 1, 0, 1>], value = dense_resource<{{.*}}> : tensor<2x3x1x1xf32>}
// MASK-DAG: sp.mask = [array<i64: 0, 0, 1>], value = dense_resource<{{.*}}> : tensor<3xf32>}

// sp-dependency-groups{export=FILE} writes every group with every member
// slice as JSON (docs/pruning.md, "Groups as JSON"): unit u of a member is
// indices [start + u*block, start + (u+1)*block) along axis.
// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-dependency-groups{export=-})' -o /dev/null | FileCheck %s
// RUN: sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-dependency-groups{export=%t.json})' -o /dev/null
// RUN: %python -c "import json; d = json.load(open('%t.json')); print(len(d['groups']), d['groups'][0]['units'], len(d['groups'][0]['members']))" | FileCheck %s --check-prefix=FILE
// The last case's file replaces the first's: one group of 2 units, 6 members.
// FILE: 1 2 6
// RUN: not sp-opt %s --split-input-file --pass-pipeline='builtin.module(sp-dependency-groups{export=%t.missing/g.json})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=ERR
// ERR: sp-dependency-groups: cannot write '{{.*}}missing/g.json'

// A conv, its BatchNormalization (scale and bias train, the statistics do
// not) and the next conv's input channels.
// CHECK: {"version": 1, "groups": [
// CHECK-NEXT: {"id":0,"units":4,"prunable":true,"pinned":false,"reason":"","head":false,"reduced":false, "members": [
// CHECK-NEXT: {"tensor":"w1","kind":"initializer","stat":false,"shape":[4,2,1,1],"axis":0,"start":0,"channels":4,"block":1},
// CHECK-NEXT: {"tensor":"bn_scale","kind":"initializer","stat":false,"shape":[4],"axis":0,"start":0,"channels":4,"block":1},
// CHECK-NEXT: {"tensor":"bn_bias","kind":"initializer","stat":false,"shape":[4],"axis":0,"start":0,"channels":4,"block":1},
// CHECK-NEXT: {"tensor":"bn_mean","kind":"initializer","stat":true,"shape":[4],"axis":0,"start":0,"channels":4,"block":1},
// CHECK-NEXT: {"tensor":"bn_var","kind":"initializer","stat":true,"shape":[4],"axis":0,"start":0,"channels":4,"block":1},
// CHECK-NEXT: {"tensor":"w2","kind":"initializer","stat":false,"shape":[1,4,1,1],"axis":1,"start":0,"channels":4,"block":1},
// CHECK-NEXT: {"tensor":"a","kind":"value","stat":false,"shape":[1,4,4,4],"axis":1,"start":0,"channels":4,"block":1},
// CHECK-NEXT: {"tensor":"bn#0","kind":"value","stat":false,"shape":[1,4,4,4],"axis":1,"start":0,"channels":4,"block":1}]}
// CHECK-NEXT: ]}
func.func @conv_bn(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w1 = "nn.Initializer"() {onnx.names = ["w1"], value = dense<1.0> : tensor<4x2x1x1xf32>} : () -> tensor<4x2x1x1xf32> loc("w1")
  %s = "nn.Initializer"() {onnx.names = ["bn_scale"], value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_scale")
  %o = "nn.Initializer"() {onnx.names = ["bn_bias"], value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_bias")
  %m = "nn.Initializer"() {onnx.names = ["bn_mean"], value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_mean")
  %v = "nn.Initializer"() {onnx.names = ["bn_var"], value = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32> loc("bn_var")
  %w2 = "nn.Initializer"() {onnx.names = ["w2"], value = dense<1.0> : tensor<1x4x1x1xf32>} : () -> tensor<1x4x1x1xf32> loc("w2")
  %a = "nn.Conv"(%x, %w1) {onnx.names = ["a"]} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %n = "nn.BatchNormalization"(%a, %s, %o, %m, %v) {result_segment_sizes = array<i32: 1, 0, 0, 0, 0>} : (tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32> loc("bn")
  %b = "nn.Conv"(%n, %w2) : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x4x4xf32> loc("conv2")
  return %b : tensor<1x1x4x4xf32>
}

// -----

// A grouped conv: the same 2 positions go in both conv groups, so every
// member holds the group twice, at start 0 and 2.
// CHECK: {"id":0,"units":2,"prunable":true,{{.*}} "members": [
// CHECK-NEXT: {"tensor":"gw","kind":"initializer",{{.*}}"axis":0,"start":0,"channels":2,"block":1},
// CHECK-NEXT: {"tensor":"gw","kind":"initializer",{{.*}}"axis":0,"start":2,"channels":2,"block":1},
// CHECK-NEXT: {"tensor":"w2","kind":"initializer",{{.*}}"axis":1,"start":0,"channels":2,"block":1},
// CHECK-NEXT: {"tensor":"w2","kind":"initializer",{{.*}}"axis":1,"start":2,"channels":2,"block":1},
func.func @grouped(%x: tensor<1x4x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w1 = "nn.Initializer"() {onnx.names = ["gw"], value = dense<1.0> : tensor<4x2x1x1xf32>} : () -> tensor<4x2x1x1xf32> loc("gw")
  %w2 = "nn.Initializer"() {onnx.names = ["w2"], value = dense<1.0> : tensor<1x4x1x1xf32>} : () -> tensor<1x4x1x1xf32> loc("w2")
  %a = "nn.Conv"(%x, %w1) {group = 2 : i64, onnx.names = ["a"]} : (tensor<1x4x4x4xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x4x4xf32> loc("gconv")
  %b = "nn.Conv"(%a, %w2) : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x4x4xf32> loc("conv2")
  return %b : tensor<1x1x4x4xf32>
}

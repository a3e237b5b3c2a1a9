// TOSA without an nn form fails sp-convert-tosa-to-nn with one error at the op.
// RUN: sp-opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(sp-convert-tosa-to-nn)'

func.func @shift(%a: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{sp-convert-tosa-to-nn: tosa.mul with a shift (integer rescale)}}
  %m = tosa.mul %a, %a {shift = 1 : i8} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %m : tensor<2xf32>
}

// -----

func.func @no_form(%a: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{sp-convert-tosa-to-nn: no nn form for tosa.sin}}
  %s = tosa.sin %a : (tensor<2xf32>) -> tensor<2xf32>
  return %s : tensor<2xf32>
}

// -----

func.func @runtime_perms(%a: tensor<2x3xf32>, %p: tensor<2xi32>) -> tensor<3x2xf32> {
  // expected-error@+1 {{sp-convert-tosa-to-nn: tosa.transpose needs constant perms}}
  %t = tosa.transpose %a, %p : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
  return %t : tensor<3x2xf32>
}

// -----

func.func @integers(%a: tensor<2xi32>) -> tensor<2xi32> {
  // expected-error@+1 {{sp-convert-tosa-to-nn: tosa.abs result tensor<2xi32>: only static f32 tensors convert (i32, i64, i1 only through data movement and cast)}}
  %s = tosa.abs %a : (tensor<2xi32>) -> tensor<2xi32>
  return %s : tensor<2xi32>
}

// -----

func.func @dynamic_operand(%a: tensor<?xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{sp-convert-tosa-to-nn: tosa.identity operand 0 is tensor<?xf32>: only static tensors of rank <= 8 convert}}
  %s = "tosa.identity"(%a) : (tensor<?xf32>) -> tensor<2xf32>
  return %s : tensor<2xf32>
}

// -----

func.func @batched_gather(%v: tensor<2x5x3xf32>, %i: tensor<2x4xi32>) -> tensor<2x4x3xf32> {
  // expected-error@+1 {{sp-convert-tosa-to-nn: tosa.gather with a batch N > 1 has no nn form here (only N = 1, an embedding lookup)}}
  %g = tosa.gather %v, %i : (tensor<2x5x3xf32>, tensor<2x4xi32>) -> tensor<2x4x3xf32>
  return %g : tensor<2x4x3xf32>
}

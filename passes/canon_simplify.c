/* sp-canonicalize: local rewrites of what pruning and exporters leave behind.
 *
 * - identities: Identity, inference Dropout, Cast to the same type, Reshape
 *   to the same shape, Transpose by the identity permutation, one-input
 *   Concat, x + 0, x - 0, x * 1, x / 1 (constant 0/1, x already of the
 *   result's type);
 * - chains: Reshape(Reshape(x)) -> Reshape(x), Transpose(Transpose(x)) ->
 *   one Transpose;
 * - zero width: Concat inputs of width 0 along the axis are dropped; a
 *   Conv/Gemm/MatMul whose contraction has width 0 (every input channel
 *   pruned) computes only its bias, so an elementwise user that broadcasts it
 *   onto a full-size operand takes the bias as a small constant instead (0
 *   without a bias), and the branch behind it dies: x + branch(x) -> x. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon_internal.h"
#include "sp/dialect.h"

static MlirValue operand(MlirOperation op, intptr_t i) { return mlirOperationGetOperand(op, i); }
static MlirValue result(MlirOperation op) { return mlirOperationGetResult(op, 0); }
static MlirType type_of(MlirValue v) { return mlirValueGetType(v); }

static int bypass(canon_ctx *c, MlirOperation op, MlirValue with, long *counter) {
  if (canon_replace(result(op), with))
    return 0;
  (*counter)++;
  (void)c;
  return 1;
}

static int dynamic_dims(MlirType t) {
  int n = 0;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(t); ++i)
    n += mlirShapedTypeIsDynamicSize(mlirShapedTypeGetDimSize(t, i));
  return n;
}

// Reshape: the same type, and the element count pins the one dynamic dim (or
// the target copies every dynamic dim with 0).
static int reshape_is_identity(MlirOperation op) {
  MlirType in = type_of(operand(op, 0)), out = type_of(result(op));
  if (!canon_ranked(in) || !mlirTypeEqual(in, out))
    return 0;
  if (dynamic_dims(in) <= 1)
    return 1;
  int64_t target[64];
  long n = mlirOperationGetNumOperands(op) == 2 ? canon_const_ints(operand(op, 1), target, 64) : -1;
  if (n != mlirShapedTypeGetRank(in) || canon_int_attr(op, "allowzero", 0))
    return 0;
  for (long i = 0; i < n; ++i) {
    int64_t d = mlirShapedTypeGetDimSize(in, i);
    if (mlirShapedTypeIsDynamicSize(d) ? target[i] != 0 : target[i] != d && target[i] != 0)
      return 0;
  }
  return 1;
}

static int simplify_reshape(canon_ctx *c, MlirOperation op) {
  if (mlirOperationGetNumOperands(op) < 1)
    return 0;
  if (reshape_is_identity(op))
    return bypass(c, op, operand(op, 0), &c->stats.identities);
  // Reshape(Reshape(x, s1), s2) = Reshape(x, s2) unless s2 copies dims (0).
  MlirOperation inner = canon_def(operand(op, 0));
  if (!canon_is(inner, "nn.Reshape") || mlirOperationGetNumOperands(op) != 2)
    return 0;
  int64_t target[64];
  long n = canon_const_ints(operand(op, 1), target, 64);
  if (n < 0)
    return 0;
  if (!canon_int_attr(op, "allowzero", 0))
    for (long i = 0; i < n; ++i)
      if (target[i] == 0)
        return 0;
  mlirOperationSetOperand(op, 0, operand(inner, 0));
  c->stats.chains++;
  return 1;
}

static int perm_of(MlirOperation op, int64_t *perm, intptr_t rank) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str("perm"));
  if (mlirAttributeIsNull(a)) { // default: reverse the dims
    for (intptr_t i = 0; i < rank; ++i)
      perm[i] = rank - 1 - i;
    return 0;
  }
  if (!mlirAttributeIsADenseI64Array(a) || mlirDenseArrayGetNumElements(a) != rank)
    return -1;
  for (intptr_t i = 0; i < rank; ++i)
    perm[i] = mlirDenseI64ArrayGetElement(a, i);
  return 0;
}

static int simplify_transpose(canon_ctx *c, MlirOperation op) {
  MlirType in = type_of(operand(op, 0));
  if (!canon_ranked(in) || mlirShapedTypeGetRank(in) > 16)
    return 0;
  intptr_t rank = mlirShapedTypeGetRank(in);
  int64_t perm[16], inner_perm[16];
  if (perm_of(op, perm, rank))
    return 0;
  int identity = 1;
  for (intptr_t i = 0; i < rank; ++i)
    identity &= perm[i] == i;
  if (identity)
    return bypass(c, op, operand(op, 0), &c->stats.identities);
  MlirOperation inner = canon_def(operand(op, 0));
  if (!canon_is(inner, "nn.Transpose") || perm_of(inner, inner_perm, rank))
    return 0;
  // out[i] = mid[perm[i]] = x[inner_perm[perm[i]]]
  int64_t composed[16];
  identity = 1;
  for (intptr_t i = 0; i < rank; ++i) {
    composed[i] = inner_perm[perm[i]];
    identity &= composed[i] == i;
  }
  MlirValue x = operand(inner, 0);
  if (identity)
    return bypass(c, op, x, &c->stats.chains);
  mlirOperationSetOperand(op, 0, x);
  mlirOperationSetAttributeByName(op, sp_str("perm"), mlirDenseI64ArrayGet(c->mlir, rank, composed));
  c->stats.chains++;
  return 1;
}

static int simplify_dropout(canon_ctx *c, MlirOperation op) {
  if (mlirOperationGetNumResults(op) > 1 && !canon_unused(mlirOperationGetResult(op, 1)))
    return 0;
  MlirAttribute seg = mlirOperationGetAttributeByName(op, sp_str("operand_segment_sizes"));
  intptr_t nops = mlirOperationGetNumOperands(op);
  int has_training = 0;
  if (!mlirAttributeIsNull(seg) && mlirDenseArrayGetNumElements(seg) == 3)
    has_training = mlirDenseI32ArrayGetElement(seg, 2) == 1;
  if (has_training) {
    int64_t t;
    if (canon_const_ints(operand(op, nops - 1), &t, 1) != 1 || t != 0)
      return 0; // training mode on, or not known to be off
  }
  // With an unused mask result the op is dead once output is bypassed.
  return bypass(c, op, operand(op, 0), &c->stats.identities);
}

static int simplify_concat(canon_ctx *c, MlirOperation op) {
  intptr_t n = mlirOperationGetNumOperands(op);
  MlirType rt = type_of(result(op));
  if (!canon_ranked(rt) || n == 0)
    return 0;
  int64_t axis = canon_axis(canon_int_attr(op, "axis", 0), mlirShapedTypeGetRank(rt));
  if (axis < 0)
    return 0;
  MlirValue kept[256];
  intptr_t k = 0;
  if (n > 256)
    return 0;
  for (intptr_t i = 0; i < n; ++i) {
    MlirType t = type_of(operand(op, i));
    if (canon_ranked(t) && mlirShapedTypeGetRank(t) == mlirShapedTypeGetRank(rt) &&
        mlirShapedTypeGetDimSize(t, axis) == 0)
      continue;
    kept[k++] = operand(op, i);
  }
  if (k == 1 && bypass(c, op, kept[0], &c->stats.identities))
    return 1;
  if (k == n || k == 0)
    return 0;
  mlirOperationSetOperands(op, k, kept);
  c->stats.concat_inputs += n - k;
  return 1;
}

// 1 if v is a constant whose every element equals x.
static int const_all(MlirValue v, double x) {
  long n = 0;
  double *f = canon_const_floats(v, &n);
  if (f) {
    int ok = n > 0;
    for (long i = 0; i < n && ok; ++i)
      ok = f[i] == x;
    free(f);
    return ok;
  }
  int64_t ints[64];
  long m = canon_const_ints(v, ints, 64);
  if (m <= 0)
    return 0;
  for (long i = 0; i < m; ++i)
    if ((double)ints[i] != x)
      return 0;
  return 1;
}

// x + 0, 0 + x, x - 0, x * 1, 1 * x, x / 1 where x has the result's type.
static int simplify_arith(canon_ctx *c, MlirOperation op, const char *type) {
  if (mlirOperationGetNumOperands(op) != 2)
    return 0;
  MlirType rt = type_of(result(op));
  double neutral = (!strcmp(type, "Add") || !strcmp(type, "Sub")) ? 0.0 : 1.0;
  int commutes = !strcmp(type, "Add") || !strcmp(type, "Mul");
  for (int side = 0; side < 2; ++side) {
    if (side == 0 && !commutes)
      continue;
    MlirValue k = operand(op, side), x = operand(op, 1 - side);
    if (mlirTypeEqual(type_of(x), rt) && const_all(k, neutral))
      return bypass(c, op, x, &c->stats.identities);
  }
  return 0;
}

// The contraction width of a Conv/Gemm/MatMul, or -1 when not static.
static int64_t contraction_width(MlirOperation op, const char *type) {
  if (mlirOperationGetNumOperands(op) < 2)
    return -1;
  MlirType a = type_of(operand(op, 0)), b = type_of(operand(op, 1));
  if (!canon_ranked(a) || !canon_ranked(b) || mlirShapedTypeGetRank(b) < 2)
    return -1;
  int64_t k;
  if (!strcmp(type, "Conv"))
    k = mlirShapedTypeGetDimSize(b, 1);
  else if (!strcmp(type, "Gemm"))
    k = mlirShapedTypeGetDimSize(b, canon_int_attr(op, "transB", 0) ? 1 : 0);
  else
    k = mlirShapedTypeGetDimSize(b, mlirShapedTypeGetRank(b) - 2);
  return mlirShapedTypeIsDynamicSize(k) ? -1 : k;
}

// What a contraction of width 0 computes, as a constant that broadcasts onto
// its result: the bias as (M, 1, ..., 1) for Conv, beta * C for Gemm with a
// 1-D C, 0 without a bias. Null value when not expressible.
static MlirValue zero_width_value(canon_ctx *c, MlirOperation op, const char *type) {
  MlirType rt = type_of(result(op));
  if (!canon_ranked(rt) || !mlirTypeIsAF32(mlirShapedTypeGetElementType(rt)))
    return (MlirValue){NULL};
  intptr_t nops = mlirOperationGetNumOperands(op);
  if (strcmp(type, "MatMul") && nops == 3) {
    long n = 0;
    double *bias = canon_const_floats(operand(op, 2), &n);
    if (!bias)
      return (MlirValue){NULL};
    MlirType bt = type_of(operand(op, 2));
    int64_t shape[16];
    intptr_t rank;
    double scale = 1.0;
    if (!strcmp(type, "Conv")) {
      rank = mlirShapedTypeGetRank(rt) - 1;
      if (rank < 1 || rank > 16) {
        free(bias);
        return (MlirValue){NULL};
      }
      shape[0] = n;
      for (intptr_t i = 1; i < rank; ++i)
        shape[i] = 1;
    } else {
      if (mlirShapedTypeGetRank(bt) != 1) {
        free(bias);
        return (MlirValue){NULL};
      }
      rank = 1;
      shape[0] = n;
      MlirAttribute beta = mlirOperationGetAttributeByName(op, sp_str("beta"));
      if (!mlirAttributeIsNull(beta) && mlirAttributeIsAFloat(beta))
        scale = mlirFloatAttrGetValueDouble(beta);
    }
    float *f = malloc(((size_t)n + 1) * sizeof *f);
    for (long i = 0; i < n; ++i)
      f[i] = (float)(bias[i] * scale);
    free(bias);
    MlirType t = mlirRankedTensorTypeGet(rank, shape, mlirF32TypeGet(c->mlir), mlirAttributeGetNull());
    char *name = canon_result_name(op);
    char buf[300];
    snprintf(buf, sizeof buf, "%s_bias", name ? name : "pruned");
    free(name);
    MlirValue v = canon_make_f32_initializer(c, t, f, buf);
    free(f);
    return v;
  }
  float zero = 0.0f;
  MlirType t = mlirRankedTensorTypeGet(0, NULL, mlirF32TypeGet(c->mlir), mlirAttributeGetNull());
  MlirAttribute a = mlirDenseElementsAttrFloatGet(t, 1, &zero);
  return canon_make_constant(c, op, mlirOperationGetLocation(op), a, NULL);
}

static int is_broadcasting_binary(MlirOperation op) {
  return canon_is(op, "nn.Add") || canon_is(op, "nn.Sub") || canon_is(op, "nn.Mul") ||
         canon_is(op, "nn.Div");
}

static int simplify_zero_width(canon_ctx *c, MlirOperation op, const char *type) {
  if (contraction_width(op, type) != 0)
    return 0;
  MlirValue r = result(op);
  MlirValue small = {NULL};
  int changed = 0;
  for (MlirOpOperand u = mlirValueGetFirstUse(r); !mlirOpOperandIsNull(u);) {
    MlirOpOperand next = mlirOpOperandGetNextUse(u);
    MlirOperation user = mlirOpOperandGetOwner(u);
    intptr_t slot = (intptr_t)mlirOpOperandGetOperandNumber(u);
    if (is_broadcasting_binary(user) && mlirOperationGetNumOperands(user) == 2) {
      MlirValue other = operand(user, 1 - slot);
      if (mlirTypeEqual(type_of(other), type_of(result(user)))) {
        if (mlirValueIsNull(small))
          small = zero_width_value(c, op, type);
        if (mlirValueIsNull(small))
          return changed;
        // Constants are created before op or at the top: they dominate user.
        mlirOperationSetOperand(user, slot, small);
        c->stats.zero_branches++;
        changed = 1;
      }
    }
    u = next;
  }
  return changed;
}

long canon_simplify(canon_ctx *c) {
  long changes = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(c->body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirStringRef full = mlirIdentifierStr(mlirOperationGetName(op));
    if (full.length < 4 || full.length > 40 || mlirOperationGetNumResults(op) < 1)
      continue;
    char name[48];
    memcpy(name, full.data, full.length);
    name[full.length] = 0;
    const char *type = strchr(name, '.') ? strchr(name, '.') + 1 : name;
    int is_nn = !strncmp(name, "nn.", 3);
    if (is_nn && mlirOperationGetNumResults(op) == 1 && canon_unused(result(op)))
      continue; // dead: DCE takes it
    int changed = 0;
    if (!strcmp(name, "nn.Identity") && mlirOperationGetNumOperands(op) == 1)
      changed = bypass(c, op, operand(op, 0), &c->stats.identities);
    else if (!strcmp(name, "nn.Dropout"))
      changed = simplify_dropout(c, op);
    else if (!strcmp(name, "nn.Cast"))
      changed = mlirTypeEqual(type_of(operand(op, 0)), type_of(result(op))) &&
                bypass(c, op, operand(op, 0), &c->stats.identities);
    else if (!strcmp(name, "nn.Reshape"))
      changed = simplify_reshape(c, op);
    else if (!strcmp(name, "nn.Transpose"))
      changed = simplify_transpose(c, op);
    else if (!strcmp(name, "onnx.Concat"))
      changed = simplify_concat(c, op);
    else if (is_nn && (!strcmp(type, "Add") || !strcmp(type, "Sub") || !strcmp(type, "Mul") ||
                       !strcmp(type, "Div")))
      changed = simplify_arith(c, op, type);
    else if (is_nn && (!strcmp(type, "Conv") || !strcmp(type, "Gemm") || !strcmp(type, "MatMul")))
      changed = simplify_zero_width(c, op, type);
    changes += changed;
  }
  return changes;
}

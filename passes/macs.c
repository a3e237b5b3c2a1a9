/* MACs of one op (one multiply-add = 1 MAC), shared by sp-model-stats and
 * sp-prune's target-macs= search. Dims come through a callback so sp-prune
 * can count a model it has not rewritten yet. Every product is checked: a
 * count that does not fit in int64 is -1, never a wrapped number. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <string.h>

#include "sp/dialect.h"
#include "sp/groups.h"
#include "sp/passes.h"

typedef struct counter {
  sp_dim_fn dim;
  void *user;
} counter;

static int ranked(MlirType t) { return mlirTypeIsATensor(t) && mlirShapedTypeHasRank(t); }

static int64_t size(const counter *c, MlirValue v, intptr_t i) { return c->dim(c->user, v, i); }

/* a * b, or -1 if either is -1 (already overflowed) or the product overflows. */
static int64_t mul(int64_t a, int64_t b) {
  int64_t r;
  return a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) ? -1 : r;
}

static int64_t numel(const counter *c, MlirValue v) {
  MlirType t = mlirValueGetType(v);
  if (!ranked(t))
    return 0;
  int64_t n = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(t); ++i)
    n = mul(n, size(c, v, i));
  return n;
}

static intptr_t rank(MlirValue v) {
  MlirType t = mlirValueGetType(v);
  return ranked(t) ? mlirShapedTypeGetRank(t) : -1;
}

static int64_t int_attr(MlirOperation op, const char *name, int64_t dflt) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str(name));
  return mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a) ? dflt
                                                                : mlirIntegerAttrGetValueInt(a);
}

// Conv: Y is (N, M, *spatial), W is (M, C/group, *kernel).
static int64_t conv_macs(const counter *c, MlirOperation op) {
  MlirValue y = mlirOperationGetResult(op, 0), w = mlirOperationGetOperand(op, 1);
  if (rank(y) < 0 || rank(w) < 0)
    return 0;
  int64_t per_output = 1;
  for (intptr_t i = 1; i < rank(w); ++i)
    per_output = mul(per_output, size(c, w, i));
  return mul(numel(c, y), per_output);
}

// ConvTranspose: X is (N, C, *spatial), W is (C, M/group, *kernel).
static int64_t conv_transpose_macs(const counter *c, MlirOperation op) {
  MlirValue x = mlirOperationGetOperand(op, 0), w = mlirOperationGetOperand(op, 1);
  if (rank(x) < 0 || rank(w) < 0)
    return 0;
  int64_t per_input = 1;
  for (intptr_t i = 1; i < rank(w); ++i)
    per_input = mul(per_input, size(c, w, i));
  return mul(numel(c, x), per_input);
}

// Gemm: Y (M, N) = A (M, K) x B (K, N), transposes aside.
static int64_t gemm_macs(const counter *c, MlirOperation op) {
  MlirValue a = mlirOperationGetOperand(op, 0), y = mlirOperationGetResult(op, 0);
  if (rank(a) != 2 || rank(y) < 0)
    return 0;
  int64_t k = int_attr(op, "transA", 0) ? size(c, a, 0) : size(c, a, 1);
  return mul(numel(c, y), k);
}

// MatMul: every output element is a dot product over A's last dim.
static int64_t matmul_macs(const counter *c, MlirOperation op) {
  MlirValue a = mlirOperationGetOperand(op, 0), y = mlirOperationGetResult(op, 0);
  if (rank(a) <= 0 || rank(y) < 0)
    return 0;
  int64_t k = size(c, a, rank(a) - 1);
  int64_t outputs = rank(y) == 0 ? 1 : numel(c, y);
  return mul(outputs, k);
}

// Einsum: the product of the extents of every distinct index letter.
static int64_t einsum_macs(const counter *c, MlirOperation op) {
  MlirAttribute eq = mlirOperationGetAttributeByName(op, sp_str("equation"));
  if (mlirAttributeIsNull(eq) || !mlirAttributeIsAString(eq))
    return 0;
  MlirStringRef s = mlirStringAttrGetValue(eq);
  int64_t extent[128] = {0};
  intptr_t operand = 0, axis = 0;
  for (size_t i = 0; i < s.length; ++i) {
    char ch = s.data[i];
    if (ch == '-')
      break; // the output side adds no new letters
    if (ch == ',') {
      operand++;
      axis = 0;
      continue;
    }
    if (ch == '.' || ch == ' ')
      continue;
    if (operand >= mlirOperationGetNumOperands(op))
      return 0;
    MlirValue v = mlirOperationGetOperand(op, operand);
    if (rank(v) < 0 || axis >= rank(v))
      return 0;
    extent[(unsigned char)ch & 127] = size(c, v, axis++);
  }
  int64_t macs = 1;
  for (int i = 0; i < 128; ++i)
    if (extent[i])
      macs = mul(macs, extent[i]);
  return macs;
}

// RNN/GRU/LSTM: every step of every sequence multiplies X by W (D, gates*H, I)
// and the state by R (D, gates*H, H); X is (T, N, I) or (N, T, I).
static int64_t recurrent_macs(const counter *c, MlirOperation op) {
  if (mlirOperationGetNumOperands(op) < 3)
    return 0;
  MlirValue x = mlirOperationGetOperand(op, 0);
  if (rank(x) != 3)
    return 0;
  int64_t steps = mul(size(c, x, 0), size(c, x, 1));
  int64_t weights = numel(c, mlirOperationGetOperand(op, 1));
  int64_t recurrent = numel(c, mlirOperationGetOperand(op, 2));
  return mul(steps, weights < 0 || recurrent < 0 ? -1 : weights + recurrent);
}

int64_t sp_op_macs(MlirOperation op, const char *type, sp_dim_fn dim, void *user) {
  counter c = {dim, user};
  if (strcmp(type, "Conv") == 0) return conv_macs(&c, op);
  if (strcmp(type, "ConvTranspose") == 0) return conv_transpose_macs(&c, op);
  if (strcmp(type, "Gemm") == 0) return gemm_macs(&c, op);
  if (strcmp(type, "MatMul") == 0) return matmul_macs(&c, op);
  if (strcmp(type, "Einsum") == 0) return einsum_macs(&c, op);
  if (!strcmp(type, "LSTM") || !strcmp(type, "GRU") || !strcmp(type, "RNN"))
    return recurrent_macs(&c, op);
  return 0;
}

int64_t sp_type_dim(void *user, MlirValue v, intptr_t i) {
  (void)user;
  int64_t d = mlirShapedTypeGetDimSize(mlirValueGetType(v), i);
  return mlirShapedTypeIsDynamicSize(d) ? 1 : d;
}

int64_t sp_main_macs(MlirOperation module) {
  MlirOperation fn = sp_find_main(module);
  if (mlirOperationIsNull(fn))
    return -1;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  int64_t total = 0;
  char type[64];
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    int64_t macs = sp_op_macs(op, sp_op_type(op, type, sizeof type), sp_type_dim, NULL);
    if (macs < 0 || __builtin_add_overflow(total, macs, &total))
      return -1;
  }
  return total;
}

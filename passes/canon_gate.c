/* sp-canonicalize{fold-gates=true}: the gates of sp-insert-gates folded into
 * the op before them, so the exported model has no extra op. For
 * y' = Mul(y, g) with g an initializer named sp.gate.* holding one value per
 * channel of y (dim 1), when y's op has no other user:
 *   Conv (W (M, C/groups, k...), B):  W'[m] = g[m] W[m],  B'[m] = g[m] B[m]
 *   Gemm (A, B, C):  the columns m of op(B) times g[m],  C'[m] = g[m] beta C[m], beta = 1
 *   BatchNormalization (inference):  scale' = g scale,  B' = g B
 * sp.mask of the old weights carries over; channels whose gate is masked join
 * the mask (the folded rows are zero there). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon_internal.h"
#include "sp/dialect.h"
#include "sp/gates.h"

static int is_gate(MlirValue g) {
  MlirOperation def = canon_def(g);
  if (!canon_is(def, "nn.Initializer"))
    return 0;
  size_t len = 0;
  const char *name = sp_op_result_name(def, 0, &len);
  return sp_gate_name(name, len);
}

/* The gate's axis that lines up with y's dim 1 (numpy broadcasting), when
 * every other gate dim is 1 and that one has m entries; else -1. */
static int gate_axis(MlirType gt, MlirType yt, int64_t m) {
  if (!canon_static(gt) || !canon_ranked(yt))
    return -1;
  intptr_t r = mlirShapedTypeGetRank(gt), yr = mlirShapedTypeGetRank(yt);
  intptr_t axis = 1 - (yr - r);
  if (yr < 2 || r > yr || axis < 0 || axis >= r)
    return -1;
  for (intptr_t d = 0; d < r; ++d)
    if (mlirShapedTypeGetDimSize(gt, d) != (d == axis ? m : 1))
      return -1;
  return (int)axis;
}

static MlirValue make_init(canon_ctx *c, MlirType t, const float *data, MlirValue like) {
  char *base = canon_result_name(canon_def(like));
  char name[512];
  snprintf(name, sizeof name, "%s_gated", base ? base : "folded");
  free(base);
  return canon_make_f32_initializer(c, t, data, name);
}

/* new's sp.mask: old's, with the masked gate channels added along axis. */
static void carry_mask(MlirValue old, MlirValue new, int axis, const unsigned char *gate_masked,
                       int64_t m) {
  MlirType t = mlirValueGetType(old);
  int rank = (int)mlirShapedTypeGetRank(t);
  if (rank > 16)
    return;
  unsigned char *flags[16] = {0};
  int64_t sizes[16];
  MlirOperation def = canon_def(old);
  for (int d = 0; d < rank; ++d) {
    sizes[d] = mlirShapedTypeGetDimSize(t, d);
    flags[d] = calloc((size_t)sizes[d] + 1, 1);
    if (sp_mask_attr_flags(def, d, flags[d], sizes[d]) < 0)
      memset(flags[d], 0, (size_t)sizes[d]); /* malformed: claim nothing */
    for (int64_t ch = 0; d == axis && ch < m && ch < sizes[d]; ++ch)
      flags[d][ch] |= gate_masked[ch];
  }
  sp_mask_attr_set(canon_def(new), rank, flags, sizes);
  for (int d = 0; d < rank; ++d)
    free(flags[d]);
}

/* v scaled by g along axis (the elements at index ch of that axis times
 * g[ch]) as a new initializer; null value when v is not a constant. */
static MlirValue scaled(canon_ctx *c, MlirValue v, int axis, const double *g, int64_t m,
                        const unsigned char *gate_masked) {
  long n = 0;
  double *d = canon_const_floats(v, &n);
  MlirType t = mlirValueGetType(v);
  if (!d || !canon_static(t) || axis >= mlirShapedTypeGetRank(t) ||
      mlirShapedTypeGetDimSize(t, axis) != m) {
    free(d);
    return (MlirValue){NULL};
  }
  int64_t inner = 1;
  for (intptr_t k = axis + 1; k < mlirShapedTypeGetRank(t); ++k)
    inner *= mlirShapedTypeGetDimSize(t, k);
  float *out = malloc((size_t)n * sizeof *out);
  for (long i = 0; i < n; ++i)
    out[i] = (float)(d[i] * g[(i / inner) % m]);
  MlirValue r = make_init(c, t, out, v);
  carry_mask(v, r, axis, gate_masked, m);
  free(d);
  free(out);
  return r;
}

/* A (m) bias of value beta * C broadcast per column, scaled by g. */
static MlirValue gemm_bias(canon_ctx *c, MlirValue cv, double beta, const double *g, int64_t m,
                           const unsigned char *gate_masked) {
  long n = 0;
  double *d = canon_const_floats(cv, &n);
  if (!d || (n != 1 && n != m)) {
    free(d);
    return (MlirValue){NULL};
  }
  MlirType ct = mlirValueGetType(cv);
  if (n == m && mlirShapedTypeGetDimSize(ct, mlirShapedTypeGetRank(ct) - 1) != m) {
    free(d); // (M, 1) would broadcast per row, not per column
    return (MlirValue){NULL};
  }
  float *out = malloc((size_t)m * sizeof *out);
  for (int64_t ch = 0; ch < m; ++ch)
    out[ch] = (float)(beta * d[n == 1 ? 0 : ch] * g[ch]);
  MlirType t = mlirRankedTensorTypeGet(1, &m, mlirF32TypeGet(mlirTypeGetContext(ct)),
                                       mlirAttributeGetNull());
  MlirValue r = make_init(c, t, out, cv);
  unsigned char *none = calloc((size_t)m + 1, 1);
  for (int64_t ch = 0; ch < m; ++ch)
    none[ch] = gate_masked[ch];
  sp_mask_attr_set(canon_def(r), 1, &none, &m);
  free(none);
  free(d);
  free(out);
  return r;
}

static int fold_conv(canon_ctx *c, MlirOperation conv, const double *g, int64_t m,
                     const unsigned char *gm) {
  intptr_t nops = mlirOperationGetNumOperands(conv);
  if (nops < 2 || nops > 3)
    return 0;
  MlirValue w = scaled(c, mlirOperationGetOperand(conv, 1), 0, g, m, gm);
  MlirValue b = nops == 3 ? scaled(c, mlirOperationGetOperand(conv, 2), 0, g, m, gm)
                          : (MlirValue){NULL};
  if (mlirValueIsNull(w) || (nops == 3 && mlirValueIsNull(b)))
    return 0; // the new initializers are dead and erased
  mlirOperationSetOperand(conv, 1, w);
  if (nops == 3)
    mlirOperationSetOperand(conv, 2, b);
  return 1;
}

static int fold_gemm(canon_ctx *c, MlirOperation gemm, const double *g, int64_t m,
                     const unsigned char *gm) {
  intptr_t nops = mlirOperationGetNumOperands(gemm);
  if (nops < 2 || nops > 3)
    return 0;
  int trans_b = canon_int_attr(gemm, "transB", 0) != 0;
  MlirValue w = scaled(c, mlirOperationGetOperand(gemm, 1), trans_b ? 0 : 1, g, m, gm);
  double beta = 1.0;
  MlirAttribute ba = mlirOperationGetAttributeByName(gemm, sp_str("beta"));
  if (!mlirAttributeIsNull(ba) && mlirAttributeIsAFloat(ba))
    beta = mlirFloatAttrGetValueDouble(ba);
  MlirValue b = nops == 3 ? gemm_bias(c, mlirOperationGetOperand(gemm, 2), beta, g, m, gm)
                          : (MlirValue){NULL};
  if (mlirValueIsNull(w) || (nops == 3 && mlirValueIsNull(b)))
    return 0;
  mlirOperationSetOperand(gemm, 1, w);
  if (nops == 3) {
    mlirOperationSetOperand(gemm, 2, b);
    mlirOperationSetAttributeByName(gemm, sp_str("beta"),
                                    mlirFloatAttrDoubleGet(c->mlir, mlirF32TypeGet(c->mlir), 1.0));
  }
  return 1;
}

static int fold_bn(canon_ctx *c, MlirOperation bn, const double *g, int64_t m,
                   const unsigned char *gm) {
  if (mlirOperationGetNumOperands(bn) != 5 || mlirOperationGetNumResults(bn) != 1 ||
      canon_int_attr(bn, "training_mode", 0) != 0)
    return 0;
  MlirValue scale = scaled(c, mlirOperationGetOperand(bn, 1), 0, g, m, gm);
  MlirValue bias = scaled(c, mlirOperationGetOperand(bn, 2), 0, g, m, gm);
  if (mlirValueIsNull(scale) || mlirValueIsNull(bias))
    return 0;
  mlirOperationSetOperand(bn, 1, scale);
  mlirOperationSetOperand(bn, 2, bias);
  return 1;
}

static int fold_one(canon_ctx *c, MlirOperation mul) {
  if (mlirOperationGetNumOperands(mul) != 2 || !is_gate(mlirOperationGetOperand(mul, 1)))
    return 0;
  MlirValue y = mlirOperationGetOperand(mul, 0), gv = mlirOperationGetOperand(mul, 1);
  MlirValue out = mlirOperationGetResult(mul, 0);
  MlirType yt = mlirValueGetType(y);
  MlirOperation def = canon_def(y);
  if (mlirOperationIsNull(def) || canon_num_uses(y) != 1 || !canon_ranked(yt) ||
      mlirShapedTypeGetRank(yt) < 2 || !mlirTypeEqual(yt, mlirValueGetType(out)))
    return 0;
  int64_t m = mlirShapedTypeGetDimSize(yt, 1);
  int axis = m > 0 ? gate_axis(mlirValueGetType(gv), yt, m) : -1;
  long n = 0;
  double *g = axis >= 0 ? canon_const_floats(gv, &n) : NULL;
  if (!g || n != m) {
    free(g);
    return 0;
  }
  unsigned char *gm = calloc((size_t)m + 1, 1);
  if (sp_mask_attr_flags(canon_def(gv), axis, gm, m) < 0)
    memset(gm, 0, (size_t)m);
  int done = canon_is(def, "nn.Conv")                 ? fold_conv(c, def, g, m, gm)
             : canon_is(def, "nn.Gemm")               ? fold_gemm(c, def, g, m, gm)
             : canon_is(def, "nn.BatchNormalization") ? fold_bn(c, def, g, m, gm)
                                                      : 0;
  free(g);
  free(gm);
  if (!done)
    return 0;
  mlirValueReplaceAllUsesOfWith(out, y);
  c->stats.gates_folded++;
  return 1;
}

long canon_fold_gates(canon_ctx *c) {
  long n = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(c->body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    if (canon_is(op, "nn.Mul"))
      n += fold_one(c, op);
  return n;
}

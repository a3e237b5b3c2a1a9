/* sp-canonicalize{fold-bn=true}: BatchNormalization (inference form) folded
 * into the Conv or Gemm that produces its input, when that op has no other
 * user. With s = scale / sqrt(var + eps) per output channel c:
 *   W'[c] = W[c] * s[c],  b'[c] = (b[c] - mean[c]) * s[c] + B[c]
 * (Gemm: the columns of op(B) are scaled and C' = s * (beta*C - mean) + B,
 * beta = 1). New weights are new dense_resource blobs; the old ones die when
 * nothing else uses them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon_internal.h"
#include "sp/dialect.h"

typedef struct bn_params {
  long m;
  double *scale, *bias, *mean, *var;
} bn_params;

static void bn_free(bn_params *p) {
  free(p->scale);
  free(p->bias);
  free(p->mean);
  free(p->var);
}

static int read_bn(MlirOperation bn, bn_params *p) {
  memset(p, 0, sizeof *p);
  long n[4] = {0, 0, 0, 0};
  p->scale = canon_const_floats(mlirOperationGetOperand(bn, 1), &n[0]);
  p->bias = canon_const_floats(mlirOperationGetOperand(bn, 2), &n[1]);
  p->mean = canon_const_floats(mlirOperationGetOperand(bn, 3), &n[2]);
  p->var = canon_const_floats(mlirOperationGetOperand(bn, 4), &n[3]);
  p->m = n[0];
  if (!p->scale || !p->bias || !p->mean || !p->var || n[1] != p->m || n[2] != p->m ||
      n[3] != p->m) {
    bn_free(p);
    return -1;
  }
  return 0;
}

// Inference form: only Y, not training mode, per-channel (spatial) statistics.
static int is_inference_bn(MlirOperation bn) {
  if (mlirOperationGetNumOperands(bn) != 5 || mlirOperationGetNumResults(bn) != 1)
    return 0;
  if (canon_int_attr(bn, "training_mode", 0) != 0 || canon_int_attr(bn, "spatial", 1) != 1)
    return 0;
  MlirAttribute is_test = mlirOperationGetAttributeByName(bn, sp_str("is_test"));
  return mlirAttributeIsNull(is_test) || canon_int_attr(bn, "is_test", 1) != 0;
}

static double epsilon(MlirOperation bn) {
  MlirAttribute a = mlirOperationGetAttributeByName(bn, sp_str("epsilon"));
  return !mlirAttributeIsNull(a) && mlirAttributeIsAFloat(a) ? mlirFloatAttrGetValueDouble(a)
                                                             : 1e-5;
}

static char *weight_name(MlirValue v, const char *suffix) {
  char *base = canon_result_name(canon_def(v));
  char buf[512];
  snprintf(buf, sizeof buf, "%s%s", base ? base : "folded", suffix);
  free(base);
  return strdup(buf);
}

static MlirValue make_init(canon_ctx *c, MlirType t, const float *data, MlirValue like,
                           const char *suffix) {
  char *name = weight_name(like, suffix);
  MlirValue v = canon_make_f32_initializer(c, t, data, name);
  free(name);
  return v;
}

/* Mask flags of axis (n entries) of v's defining op; all 0 without one. */
static void mask_of(MlirValue v, int axis, unsigned char *flags, int64_t n) {
  MlirOperation def = canon_def(v);
  memset(flags, 0, (size_t)n);
  if (!mlirOperationIsNull(def) && sp_mask_attr_flags(def, axis, flags, n) < 0)
    memset(flags, 0, (size_t)n); /* malformed: claim nothing */
}

/* Folding keeps what sp-prune{mode=mask} recorded (W' = W * s is zero where
 * W is, and in every channel whose scale is masked, s = 0; b' = (b - mean) *
 * s + B is zero where scale and bias both are): the new weight and bias get
 * those as sp.mask, so sp-train still holds them at zero. */
static void fold_masks(MlirOperation bn, MlirValue old_w, MlirValue new_w, int channel_axis,
                       MlirValue new_b, int64_t m) {
  MlirType wt = mlirValueGetType(old_w);
  int rank = (int)mlirShapedTypeGetRank(wt);
  if (rank > 16)
    return;
  unsigned char *scale = malloc((size_t)m + 1), *bias = malloc((size_t)m + 1);
  unsigned char *flags[16] = {0};
  int64_t sizes[16];
  mask_of(mlirOperationGetOperand(bn, 1), 0, scale, m);
  mask_of(mlirOperationGetOperand(bn, 2), 0, bias, m);
  for (int d = 0; d < rank; ++d) {
    sizes[d] = mlirShapedTypeGetDimSize(wt, d);
    flags[d] = malloc((size_t)sizes[d] + 1);
    mask_of(old_w, d, flags[d], sizes[d]);
    for (int64_t ch = 0; d == channel_axis && ch < m; ++ch)
      flags[d][ch] |= scale[ch];
  }
  sp_mask_attr_set(canon_def(new_w), rank, flags, sizes);
  for (int64_t ch = 0; ch < m; ++ch)
    bias[ch] &= scale[ch];
  sp_mask_attr_set(canon_def(new_b), 1, &bias, &m);
  for (int d = 0; d < rank; ++d)
    free(flags[d]);
  free(scale);
  free(bias);
}

// Conv (X, W (M, C/g, k...), B?) followed by bn.
static int fold_into_conv(canon_ctx *c, MlirOperation conv, MlirOperation bn, const bn_params *p,
                          const double *s) {
  intptr_t nops = mlirOperationGetNumOperands(conv);
  if (nops < 2)
    return 0;
  MlirValue w = mlirOperationGetOperand(conv, 1);
  MlirType wt = mlirValueGetType(w);
  long nw = 0, nb = 0;
  double *wd = canon_const_floats(w, &nw);
  double *bd = nops == 3 ? canon_const_floats(mlirOperationGetOperand(conv, 2), &nb) : NULL;
  int ok = wd && (nops == 2 || (bd && nb == p->m)) && mlirShapedTypeGetRank(wt) >= 1 &&
           mlirShapedTypeGetDimSize(wt, 0) == p->m && nw % p->m == 0;
  if (!ok) {
    free(wd);
    free(bd);
    return 0;
  }
  long per = nw / p->m;
  float *nwd = malloc((size_t)nw * sizeof *nwd);
  float *nbd = malloc((size_t)p->m * sizeof *nbd);
  for (long ch = 0; ch < p->m; ++ch) {
    for (long i = 0; i < per; ++i)
      nwd[ch * per + i] = (float)(wd[ch * per + i] * s[ch]);
    nbd[ch] = (float)(((bd ? bd[ch] : 0.0) - p->mean[ch]) * s[ch] + p->bias[ch]);
  }
  int64_t m = p->m;
  MlirType bt = mlirRankedTensorTypeGet(1, &m, mlirF32TypeGet(c->mlir), mlirAttributeGetNull());
  MlirValue ops[3] = {mlirOperationGetOperand(conv, 0), make_init(c, wt, nwd, w, "_bn"),
                      make_init(c, bt, nbd, w, "_bn_bias")};
  fold_masks(bn, w, ops[1], 0, ops[2], m);
  mlirOperationSetOperands(conv, 3, ops);
  free(wd);
  free(bd);
  free(nwd);
  free(nbd);
  return 1;
}

// Gemm (A, B, C?) -> Y (N, M) followed by bn over dim 1.
static int fold_into_gemm(canon_ctx *c, MlirOperation gemm, MlirOperation bn, const bn_params *p,
                          const double *s) {
  intptr_t nops = mlirOperationGetNumOperands(gemm);
  MlirValue b = mlirOperationGetOperand(gemm, 1);
  MlirType bt = mlirValueGetType(b);
  MlirType yt = mlirValueGetType(mlirOperationGetResult(gemm, 0));
  if (!canon_static(bt) || mlirShapedTypeGetRank(bt) != 2 || !canon_ranked(yt) ||
      mlirShapedTypeGetRank(yt) != 2)
    return 0;
  int trans_b = canon_int_attr(gemm, "transB", 0) != 0;
  int64_t rows = mlirShapedTypeGetDimSize(bt, 0), cols = mlirShapedTypeGetDimSize(bt, 1);
  if ((trans_b ? rows : cols) != p->m)
    return 0;
  double beta = 1.0;
  MlirAttribute ba = mlirOperationGetAttributeByName(gemm, sp_str("beta"));
  if (!mlirAttributeIsNull(ba) && mlirAttributeIsAFloat(ba))
    beta = mlirFloatAttrGetValueDouble(ba);
  long nb = 0, nc = 0;
  double *bd = canon_const_floats(b, &nb);
  double *cd = nops == 3 ? canon_const_floats(mlirOperationGetOperand(gemm, 2), &nc) : NULL;
  // C must broadcast per column: a scalar, (M) or (1, M).
  if (!bd || (nops == 3 && (!cd || (nc != 1 && nc != p->m))) ||
      (nops == 3 && nc == p->m && canon_ranked(mlirValueGetType(mlirOperationGetOperand(gemm, 2))) &&
       mlirShapedTypeGetDimSize(mlirValueGetType(mlirOperationGetOperand(gemm, 2)),
                                mlirShapedTypeGetRank(mlirValueGetType(mlirOperationGetOperand(gemm, 2))) - 1) != p->m)) {
    free(bd);
    free(cd);
    return 0;
  }
  float *nbd = malloc((size_t)nb * sizeof *nbd);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t col = 0; col < cols; ++col)
      nbd[r * cols + col] = (float)(bd[r * cols + col] * s[trans_b ? r : col]);
  float *ncd = malloc((size_t)p->m * sizeof *ncd);
  for (long ch = 0; ch < p->m; ++ch) {
    double cv = cd ? beta * cd[nc == 1 ? 0 : ch] : 0.0;
    ncd[ch] = (float)((cv - p->mean[ch]) * s[ch] + p->bias[ch]);
  }
  int64_t m = p->m;
  MlirType ct = mlirRankedTensorTypeGet(1, &m, mlirF32TypeGet(c->mlir), mlirAttributeGetNull());
  MlirValue ops[3] = {mlirOperationGetOperand(gemm, 0), make_init(c, bt, nbd, b, "_bn"),
                      make_init(c, ct, ncd, b, "_bn_bias")};
  fold_masks(bn, b, ops[1], trans_b ? 0 : 1, ops[2], m);
  mlirOperationSetOperands(gemm, 3, ops);
  mlirOperationSetAttributeByName(gemm, sp_str("beta"),
                                  mlirFloatAttrDoubleGet(c->mlir, mlirF32TypeGet(c->mlir), 1.0));
  free(bd);
  free(cd);
  free(nbd);
  free(ncd);
  return 1;
}

static int fold_one(canon_ctx *c, MlirOperation bn) {
  if (!is_inference_bn(bn))
    return 0;
  MlirValue x = mlirOperationGetOperand(bn, 0);
  MlirOperation prod = canon_def(x);
  int is_conv = canon_is(prod, "nn.Conv"), is_gemm = canon_is(prod, "nn.Gemm");
  if ((!is_conv && !is_gemm) || canon_num_uses(x) != 1)
    return 0;
  MlirType yt = mlirValueGetType(mlirOperationGetResult(bn, 0));
  if (!canon_ranked(yt) || !mlirTypeIsAF32(mlirShapedTypeGetElementType(yt)) ||
      mlirShapedTypeGetRank(yt) < 2)
    return 0;
  bn_params p;
  if (read_bn(bn, &p))
    return 0;
  double eps = epsilon(bn);
  double *s = malloc((size_t)p.m * sizeof *s);
  for (long ch = 0; ch < p.m; ++ch)
    s[ch] = p.scale[ch] / sqrt(p.var[ch] + eps);
  int done = is_conv ? fold_into_conv(c, prod, bn, &p, s) : fold_into_gemm(c, prod, bn, &p, s);
  free(s);
  bn_free(&p);
  if (!done)
    return 0;
  // The producer now computes Y: give it Y's type and Y's users.
  MlirValue y = mlirOperationGetResult(bn, 0);
  mlirValueSetType(x, yt);
  mlirValueReplaceAllUsesOfWith(y, x);
  c->stats.bn_folded++;
  return 1;
}

long canon_fold_batchnorm(canon_ctx *c) {
  long n = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(c->body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    if (canon_is(op, "nn.BatchNormalization"))
      n += fold_one(c, op);
  return n;
}

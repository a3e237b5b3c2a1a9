/* sp-convert-nn-to-tosa: rewrite the nn ops of every func.func into upstream
 * MLIR's TOSA dialect (LLVM 19), so a model sp pruned can enter TOSA-based
 * compilers (mlir-opt's tosa-to-linalg, IREE, ...).
 *
 * Values keep their ONNX (NCHW) layout; each conv and pooling op, NHWC in
 * TOSA, gets a tosa.transpose on its input and one back on its result, and
 * its constant weight is stored once as OHWI (depthwise: KH,KW,C,M). Every
 * type must be static (fix symbolic dims with sp-opt --dim NAME=VALUE) and
 * f32; shape arithmetic must be folded first (sp-canonicalize). An op
 * without a TOSA form fails the pass with an error at its ONNX node. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sp/dialect.h"
#include "sp/passes.h"
#include "sp/weights.h"
#include "tosa_internal.h"

typedef struct n2t {
  tosa_builder b;
  MlirContext ctx;
  MlirType f32, i32, i64;
  int64_t opset;
} n2t;

static const int64_t TO_NHWC[4] = {0, 2, 3, 1};
static const int64_t TO_NCHW[4] = {0, 3, 1, 2};

static MlirNamedAttribute named(n2t *c, const char *name, MlirAttribute a) {
  return sp_named(c->ctx, name, a);
}

static MlirAttribute i64s(n2t *c, const int64_t *v, intptr_t n) {
  return mlirDenseI64ArrayGet(c->ctx, n, v);
}

static MlirAttribute i32_attr(n2t *c, int64_t v) { return mlirIntegerAttrGet(c->i32, v); }

static MlirValue make_const(n2t *c, MlirAttribute value) {
  MlirNamedAttribute a = named(c, "value", value);
  return tosa_build1(&c->b, "tosa.const", NULL, 0, mlirAttributeGetType(value), &a, 1);
}

static MlirValue f32_splat(n2t *c, const int64_t *shape, intptr_t rank, float v) {
  return make_const(c, mlirDenseElementsAttrFloatSplatGet(tosa_tensor(c->f32, shape, rank), v));
}

static MlirType f32_tensor(n2t *c, const int64_t *shape, intptr_t rank) {
  return tosa_tensor(c->f32, shape, rank);
}

static MlirValue transpose(n2t *c, MlirValue x, const int64_t *perm, intptr_t rank) {
  int64_t in[TOSA_MAX_RANK], out[TOSA_MAX_RANK];
  tosa_dims(mlirValueGetType(x), in);
  for (intptr_t d = 0; d < rank; ++d)
    out[d] = in[perm[d]];
  MlirValue ops[2] = {x, make_const(c, tosa_ints_attr(c->ctx, c->i32, perm, rank))};
  MlirType elem = mlirShapedTypeGetElementType(mlirValueGetType(x));
  return tosa_build1(&c->b, "tosa.transpose", ops, 2, tosa_tensor(elem, out, rank), NULL, 0);
}

static MlirValue reshape(n2t *c, MlirValue x, const int64_t *shape, intptr_t rank) {
  MlirNamedAttribute a = named(c, "new_shape", i64s(c, shape, rank));
  MlirType elem = mlirShapedTypeGetElementType(mlirValueGetType(x));
  return tosa_build1(&c->b, "tosa.reshape", &x, 1, tosa_tensor(elem, shape, rank), &a, 1);
}

// x with leading 1s up to rank (TOSA elementwise ops need equal ranks).
static MlirValue to_rank(n2t *c, MlirValue x, intptr_t rank) {
  int64_t in[TOSA_MAX_RANK], out[TOSA_MAX_RANK];
  intptr_t r = tosa_dims(mlirValueGetType(x), in);
  if (r == rank)
    return x;
  for (intptr_t d = 0; d < rank; ++d)
    out[d] = d < rank - r ? 1 : in[d - (rank - r)];
  return reshape(c, x, out, rank);
}

static MlirValue unary(n2t *c, const char *name, MlirValue x) {
  return tosa_build1(&c->b, name, &x, 1, mlirValueGetType(x), NULL, 0);
}

static MlirValue binary(n2t *c, const char *name, MlirValue a, MlirValue b, MlirType result) {
  intptr_t rank = mlirShapedTypeGetRank(result);
  MlirValue ops[2] = {to_rank(c, a, rank), to_rank(c, b, rank)};
  if (!strcmp(name, "tosa.mul")) {
    MlirType i8 = mlirIntegerTypeGet(c->ctx, 8);
    MlirNamedAttribute shift = named(c, "shift", mlirIntegerAttrGet(i8, 0));
    return tosa_build1(&c->b, name, ops, 2, result, &shift, 1);
  }
  return tosa_build1(&c->b, name, ops, 2, result, NULL, 0);
}

static MlirValue clamp(n2t *c, MlirValue x, double lo, double hi) {
  MlirNamedAttribute a[4] = {
      named(c, "min_int", mlirIntegerAttrGet(c->i64, lo < -2147483648.0 ? INT32_MIN : (int64_t)lo)),
      named(c, "max_int", mlirIntegerAttrGet(c->i64, hi > 2147483647.0 ? INT32_MAX : (int64_t)hi)),
      named(c, "min_fp", mlirFloatAttrDoubleGet(c->ctx, c->f32, lo)),
      named(c, "max_fp", mlirFloatAttrDoubleGet(c->ctx, c->f32, hi)),
  };
  return tosa_build1(&c->b, "tosa.clamp", &x, 1, mlirValueGetType(x), a, 4);
}

static MlirValue input(MlirOperation op, int pos) {
  intptr_t i = sp_op_input(op, pos);
  return i < 0 ? (MlirValue){NULL} : mlirOperationGetOperand(op, i);
}

static int64_t dim(MlirValue v, intptr_t d) {
  return mlirShapedTypeGetDimSize(mlirValueGetType(v), d);
}

// ONNX pads [top, left, bottom, right] -> TOSA [top, bottom, left, right].
static int spatial_attrs(MlirOperation op, int64_t *pad, int64_t *stride, int64_t *dilation) {
  int64_t p[4] = {0, 0, 0, 0}, s[2] = {1, 1}, d[2] = {1, 1};
  if (tosa_i64s_attr(op, "pads", p, 4) == 2 || tosa_i64s_attr(op, "strides", s, 2) == 1 ||
      tosa_i64s_attr(op, "dilations", d, 2) == 1)
    return -1;
  MlirAttribute auto_pad = mlirOperationGetAttributeByName(op, sp_str("auto_pad"));
  if (!mlirAttributeIsNull(auto_pad) && mlirAttributeIsAString(auto_pad)) {
    MlirStringRef v = mlirStringAttrGetValue(auto_pad);
    if (!(v.length == 6 && !memcmp(v.data, "NOTSET", 6)) &&
        !(v.length == 5 && !memcmp(v.data, "VALID", 5))) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: auto_pad=%.*s: fold it into explicit pads first",
                    (int)v.length, v.data);
      return -2;
    }
  }
  pad[0] = p[0], pad[1] = p[2], pad[2] = p[1], pad[3] = p[3];
  stride[0] = s[0], stride[1] = s[1];
  if (dilation)
    dilation[0] = d[0], dilation[1] = d[1];
  else if (d[0] != 1 || d[1] != 1)
    return -1;
  return 0;
}

static MlirValue nhwc_result_type_transpose(n2t *c, MlirOperation op, const char *name,
                                            MlirValue *operands, intptr_t n,
                                            MlirNamedAttribute *attrs, intptr_t na) {
  int64_t y[4];
  tosa_dims(mlirValueGetType(mlirOperationGetResult(op, 0)), y);
  int64_t yt[4] = {y[0], y[2], y[3], y[1]};
  MlirValue r = tosa_build1(&c->b, name, operands, n, f32_tensor(c, yt, 4), attrs, na);
  return transpose(c, r, TO_NCHW, 4);
}

static MlirValue convert_conv(n2t *c, MlirOperation op) {
  MlirValue x = input(op, 0), w = input(op, 1), bias = input(op, 2);
  int64_t wd[4], pad[4], stride[2], dilation[2];
  if (tosa_dims(mlirValueGetType(w), wd) != 4 || mlirShapedTypeGetRank(mlirValueGetType(x)) != 4) {
    sp_emit_error(op, "sp-convert-nn-to-tosa: only 2-D Conv has a TOSA form");
    return (MlirValue){NULL};
  }
  int rc = spatial_attrs(op, pad, stride, dilation);
  if (rc) {
    if (rc == -1)
      sp_emit_error(op, "sp-convert-nn-to-tosa: Conv pads/strides/dilations are not 2-D");
    return (MlirValue){NULL};
  }
  int64_t group = tosa_int_attr(op, "group", 1), channels = dim(x, 1);
  int depthwise = group > 1 && group == channels && wd[1] == 1;
  if (group != 1 && !depthwise) {
    sp_emit_error(op, "sp-convert-nn-to-tosa: grouped Conv (group=%lld) has no TOSA form; "
                  "only group=1 and depthwise", (long long)group);
    return (MlirValue){NULL};
  }
  // OIHW -> OHWI; depthwise (C*M,1,KH,KW) seen as (C,M,KH,KW) -> (KH,KW,C,M).
  int64_t src[4] = {wd[0], wd[1], wd[2], wd[3]};
  static const int64_t DW_PERM[4] = {2, 3, 0, 1};
  const int64_t *perm = TO_NHWC;
  if (depthwise) {
    src[0] = channels, src[1] = wd[0] / channels;
    perm = DW_PERM;
  }
  int64_t wt_shape[4] = {src[perm[0]], src[perm[1]], src[perm[2]], src[perm[3]]};
  int64_t count;
  float *wdata = tosa_const_f32_copy(w, &count);
  MlirValue weight;
  if (wdata) {
    float *buf = malloc((size_t)count * sizeof *buf + 1);
    tosa_permute4(wdata, src, perm, buf);
    weight = make_const(c, tosa_weight(&c->b, f32_tensor(c, wt_shape, 4), buf, "tosa_weight"));
    free(buf);
    free(wdata);
  } else {
    weight = transpose(c, depthwise ? reshape(c, w, src, 4) : w, perm, 4);
  }
  if (mlirValueIsNull(bias))
    bias = f32_splat(c, &wd[0], 1, 0.0f);
  MlirValue ops[3] = {transpose(c, x, TO_NHWC, 4), weight, bias};
  MlirNamedAttribute a[3] = {named(c, "pad", i64s(c, pad, 4)),
                             named(c, "stride", i64s(c, stride, 2)),
                             named(c, "dilation", i64s(c, dilation, 2))};
  return nhwc_result_type_transpose(c, op, depthwise ? "tosa.depthwise_conv2d" : "tosa.conv2d",
                                    ops, 3, a, 3);
}

static MlirValue convert_pool(n2t *c, MlirOperation op, int is_max, int global) {
  MlirValue x = input(op, 0);
  int64_t kernel[2], pad[4] = {0, 0, 0, 0}, stride[2] = {1, 1};
  if (mlirShapedTypeGetRank(mlirValueGetType(x)) != 4) {
    sp_emit_error(op, "sp-convert-nn-to-tosa: only 2-D pooling has a TOSA form");
    return (MlirValue){NULL};
  }
  if (global) {
    kernel[0] = dim(x, 2), kernel[1] = dim(x, 3);
  } else {
    if (tosa_i64s_attr(op, "kernel_shape", kernel, 2) != 2 ||
        spatial_attrs(op, pad, stride, NULL)) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: pooling needs a 2-D kernel_shape, no dilations");
      return (MlirValue){NULL};
    }
    if (tosa_int_attr(op, "ceil_mode", 0)) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: ceil_mode=1 pooling has no TOSA form");
      return (MlirValue){NULL};
    }
    // TOSA's average leaves padding out of the count.
    int padded = pad[0] || pad[1] || pad[2] || pad[3];
    if (!is_max && tosa_int_attr(op, "count_include_pad", 0) && padded) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: AveragePool with count_include_pad=1 and pads "
                    "has no TOSA form");
      return (MlirValue){NULL};
    }
  }
  MlirValue xt = transpose(c, x, TO_NHWC, 4);
  MlirNamedAttribute a[4] = {named(c, "kernel", i64s(c, kernel, 2)),
                             named(c, "stride", i64s(c, stride, 2)),
                             named(c, "pad", i64s(c, pad, 4)),
                             named(c, "acc_type", mlirTypeAttrGet(c->f32))};
  return nhwc_result_type_transpose(c, op, is_max ? "tosa.max_pool2d" : "tosa.avg_pool2d", &xt,
                                    1, a, is_max ? 3 : 4);
}

static MlirValue convert_gemm(n2t *c, MlirOperation op) {
  MlirValue a = input(op, 0), b = input(op, 1), bias = input(op, 2);
  MlirType y = mlirValueGetType(mlirOperationGetResult(op, 0));
  if (tosa_int_attr(op, "transA", 0) || tosa_float_attr(op, "alpha", 1) != 1 ||
      tosa_float_attr(op, "beta", 1) != 1) {
    sp_emit_error(op, "sp-convert-nn-to-tosa: Gemm with transA, alpha or beta has no TOSA form");
    return (MlirValue){NULL};
  }
  int64_t n = mlirShapedTypeGetDimSize(y, 1);
  int64_t bd[2];
  tosa_dims(mlirValueGetType(b), bd);
  MlirValue weight = b; // fully_connected's weight is (N, K): Gemm's B with transB=1
  if (!tosa_int_attr(op, "transB", 0)) {
    static const int64_t T2[2] = {1, 0};
    int64_t count;
    float *data = tosa_const_f32_copy(b, &count);
    int64_t wt[2] = {bd[1], bd[0]};
    if (data) {
      float *buf = malloc((size_t)count * sizeof *buf + 1);
      for (int64_t i = 0; i < bd[0]; ++i)
        for (int64_t j = 0; j < bd[1]; ++j)
          buf[j * bd[0] + i] = data[i * bd[1] + j];
      weight = make_const(c, tosa_weight(&c->b, f32_tensor(c, wt, 2), buf, "tosa_weight"));
      free(buf);
      free(data);
    } else {
      weight = transpose(c, b, T2, 2);
    }
  }
  if (mlirValueIsNull(bias)) {
    bias = f32_splat(c, &n, 1, 0.0f);
  } else {
    int64_t cd[TOSA_MAX_RANK];
    intptr_t r = tosa_dims(mlirValueGetType(bias), cd);
    if (!(r == 1 && cd[0] == n) && !(r == 2 && cd[0] == 1 && cd[1] == n)) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: Gemm's C must be a vector of N values");
      return (MlirValue){NULL};
    }
    if (r == 2)
      bias = reshape(c, bias, &n, 1);
  }
  MlirValue ops[3] = {a, weight, bias};
  return tosa_build1(&c->b, "tosa.fully_connected", ops, 3, y, NULL, 0);
}

// MatMul as tosa.matmul (batch, M, K) x (batch, K, N): leading dims of A fold
// into M when B is 2-D; equal rank-3 operands map directly.
static MlirValue convert_matmul(n2t *c, MlirOperation op) {
  MlirValue a = input(op, 0), b = input(op, 1);
  MlirType y = mlirValueGetType(mlirOperationGetResult(op, 0));
  int64_t ad[TOSA_MAX_RANK], bd[TOSA_MAX_RANK], yd[TOSA_MAX_RANK];
  intptr_t ar = tosa_dims(mlirValueGetType(a), ad), br = tosa_dims(mlirValueGetType(b), bd);
  intptr_t yr = tosa_dims(y, yd);
  int64_t a3[3], b3[3];
  if (br == 2 && ar >= 2) {
    a3[0] = 1, a3[1] = 1, a3[2] = ad[ar - 1];
    for (intptr_t i = 0; i < ar - 1; ++i)
      a3[1] *= ad[i];
    b3[0] = 1, b3[1] = bd[0], b3[2] = bd[1];
  } else if (ar == br && ar >= 3 && !memcmp(ad, bd, (size_t)(ar - 2) * sizeof *ad)) {
    // Equal batch dims (attention's (B, heads, S, d)): folded into TOSA's one batch.
    a3[0] = 1, a3[1] = ad[ar - 2], a3[2] = ad[ar - 1];
    for (intptr_t i = 0; i < ar - 2; ++i)
      a3[0] *= ad[i];
    b3[0] = a3[0], b3[1] = bd[br - 2], b3[2] = bd[br - 1];
  } else {
    sp_emit_error(op, "sp-convert-nn-to-tosa: MatMul needs a 2-D right operand or equal "
                  "batch dims (no broadcasting)");
    return (MlirValue){NULL};
  }
  MlirValue ops[2] = {reshape(c, a, a3, 3), reshape(c, b, b3, 3)};
  int64_t r3[3] = {a3[0], a3[1], b3[2]};
  MlirValue r = tosa_build1(&c->b, "tosa.matmul", ops, 2, f32_tensor(c, r3, 3), NULL, 0);
  return reshape(c, r, yd, yr);
}

// Inference BatchNormalization as y = x * s + t with s = gamma / sqrt(var + eps),
// t = beta - mean * s, both (1, C, 1, ...).
static MlirValue convert_batchnorm(n2t *c, MlirOperation op) {
  MlirValue x = input(op, 0);
  for (intptr_t i = 1; i < mlirOperationGetNumResults(op); ++i)
    if (!mlirOpOperandIsNull(mlirValueGetFirstUse(mlirOperationGetResult(op, i)))) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: training-mode BatchNormalization");
      return (MlirValue){NULL};
    }
  float *p[4] = {NULL, NULL, NULL, NULL};
  int64_t n[4];
  for (int i = 0; i < 4; ++i)
    if (!(p[i] = tosa_const_f32_copy(input(op, i + 1), &n[i])) || n[i] != dim(x, 1)) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: BatchNormalization needs constant "
                    "scale, B, mean and var (or run sp-canonicalize{fold-bn=true} first)");
      for (int j = 0; j <= i; ++j)
        free(p[j]);
      return (MlirValue){NULL};
    }
  double eps = tosa_float_attr(op, "epsilon", 1e-5);
  int64_t ch = n[0];
  float *s = malloc(2 * (size_t)ch * sizeof *s + 1), *t = s + ch;
  for (int64_t i = 0; i < ch; ++i) {
    s[i] = (float)(p[0][i] / sqrt((double)p[3][i] + eps));
    t[i] = (float)(p[1][i] - (double)p[2][i] * s[i]);
  }
  for (int i = 0; i < 4; ++i)
    free(p[i]);
  intptr_t rank = mlirShapedTypeGetRank(mlirValueGetType(x));
  int64_t shape[TOSA_MAX_RANK];
  for (intptr_t d = 0; d < rank; ++d)
    shape[d] = d == 1 ? ch : 1;
  MlirType st = f32_tensor(c, shape, rank);
  MlirValue sv = make_const(c, tosa_weight(&c->b, st, s, "tosa_bn_scale"));
  MlirValue tv = make_const(c, tosa_weight(&c->b, st, t, "tosa_bn_shift"));
  free(s);
  MlirType y = mlirValueGetType(x);
  return binary(c, "tosa.add", binary(c, "tosa.mul", x, sv, y), tv, y);
}

static MlirValue convert_clip(n2t *c, MlirOperation op) {
  double lo = -FLT_MAX, hi = FLT_MAX;
  for (int i = 1; i <= 2; ++i) {
    MlirValue v = input(op, i);
    if (mlirValueIsNull(v))
      continue;
    float bound;
    if (tosa_const_f32_scalar(v, &bound)) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: Clip bounds must be constant scalars");
      return (MlirValue){NULL};
    }
    *(i == 1 ? &lo : &hi) = bound;
  }
  lo = tosa_float_attr(op, "min", lo); // opset < 11
  hi = tosa_float_attr(op, "max", hi);
  return clamp(c, input(op, 0), lo, hi);
}

static int64_t norm_axis(int64_t axis, intptr_t rank) { return axis < 0 ? axis + rank : axis; }

static MlirValue reduce(n2t *c, const char *name, MlirValue x, int64_t axis) {
  int64_t shape[TOSA_MAX_RANK];
  intptr_t rank = tosa_dims(mlirValueGetType(x), shape);
  shape[axis] = 1;
  MlirNamedAttribute a = named(c, "axis", i32_attr(c, axis));
  return tosa_build1(&c->b, name, &x, 1, f32_tensor(c, shape, rank), &a, 1);
}

static MlirValue convert_reduce(n2t *c, MlirOperation op, const char *kind) {
  MlirValue x = input(op, 0);
  intptr_t rank = mlirShapedTypeGetRank(mlirValueGetType(x));
  int64_t axes[TOSA_MAX_RANK];
  long n = tosa_i64s_attr(op, "axes", axes, TOSA_MAX_RANK);
  if (n < 0 && mlirOperationGetNumOperands(op) > 1) {
    n = tosa_const_ints(mlirOperationGetOperand(op, 1), axes, TOSA_MAX_RANK);
    if (n < 0) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: reduction axes must be constant");
      return (MlirValue){NULL};
    }
  }
  if (n <= 0) { // no axes: every axis
    if (tosa_int_attr(op, "noop_with_empty_axes", 0))
      return x;
    for (n = 0; n < rank; ++n)
      axes[n] = n;
  }
  const char *name = !strcmp(kind, "max") ? "tosa.reduce_max"
                     : !strcmp(kind, "min") ? "tosa.reduce_min" : "tosa.reduce_sum";
  int64_t count = 1;
  MlirValue r = x;
  for (long i = 0; i < n; ++i) {
    int64_t axis = norm_axis(axes[i], rank);
    count *= dim(x, axis);
    r = reduce(c, name, r, axis);
  }
  if (!strcmp(kind, "mean")) {
    int64_t ones[TOSA_MAX_RANK];
    for (intptr_t d = 0; d < rank; ++d)
      ones[d] = 1;
    r = binary(c, "tosa.mul", r, f32_splat(c, ones, rank, (float)(1.0 / (double)count)),
               mlirValueGetType(r));
  }
  int64_t yd[TOSA_MAX_RANK];
  intptr_t yr = tosa_dims(mlirValueGetType(mlirOperationGetResult(op, 0)), yd);
  return yr == rank ? r : reshape(c, r, yd, yr);
}

static MlirValue convert_softmax(n2t *c, MlirOperation op) {
  MlirValue x = input(op, 0);
  MlirType t = mlirValueGetType(x);
  intptr_t rank = mlirShapedTypeGetRank(t);
  int64_t axis = norm_axis(tosa_int_attr(op, "axis", c->opset >= 13 ? -1 : 1), rank);
  if (c->opset < 13 && axis != rank - 1) {
    sp_emit_error(op, "sp-convert-nn-to-tosa: Softmax before opset 13 flattens; only its "
                  "last axis has a TOSA form");
    return (MlirValue){NULL};
  }
  MlirValue shifted = binary(c, "tosa.sub", x, reduce(c, "tosa.reduce_max", x, axis), t);
  MlirValue e = unary(c, "tosa.exp", shifted);
  MlirValue sum = reduce(c, "tosa.reduce_sum", e, axis);
  return binary(c, "tosa.mul", e, unary(c, "tosa.reciprocal", sum), t);
}

static MlirValue convert_slice(n2t *c, MlirOperation op) {
  MlirValue x = input(op, 0);
  int64_t xd[TOSA_MAX_RANK], yd[TOSA_MAX_RANK], starts[TOSA_MAX_RANK], axes[TOSA_MAX_RANK],
      steps[TOSA_MAX_RANK], start[TOSA_MAX_RANK] = {0};
  intptr_t rank = tosa_dims(mlirValueGetType(x), xd);
  tosa_dims(mlirValueGetType(mlirOperationGetResult(op, 0)), yd);
  long n = tosa_const_ints(input(op, 1), starts, TOSA_MAX_RANK);
  MlirValue axes_v = input(op, 3), steps_v = input(op, 4);
  long na = mlirValueIsNull(axes_v) ? n : tosa_const_ints(axes_v, axes, TOSA_MAX_RANK);
  long ns = mlirValueIsNull(steps_v) ? n : tosa_const_ints(steps_v, steps, TOSA_MAX_RANK);
  if (n < 0 || na != n || ns != n) {
    sp_emit_error(op, "sp-convert-nn-to-tosa: Slice needs constant starts, axes and steps");
    return (MlirValue){NULL};
  }
  for (long i = 0; i < n; ++i) {
    int64_t axis = mlirValueIsNull(axes_v) ? i : norm_axis(axes[i], rank);
    if (!mlirValueIsNull(steps_v) && steps[i] != 1) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: Slice with a step other than 1");
      return (MlirValue){NULL};
    }
    int64_t s = starts[i] < 0 ? starts[i] + xd[axis] : starts[i];
    start[axis] = s < 0 ? 0 : s > xd[axis] ? xd[axis] : s;
  }
  MlirNamedAttribute a[2] = {named(c, "start", i64s(c, start, rank)),
                             named(c, "size", i64s(c, yd, rank))};
  return tosa_build1(&c->b, "tosa.slice", &x, 1, mlirValueGetType(mlirOperationGetResult(op, 0)),
                     a, 2);
}

static MlirValue convert_layernorm(n2t *c, MlirOperation op);

// Constant-mode Pad: ONNX pads [b0.., e0..] (over axes, default all) -> TOSA
// padding (rank, 2) rows [low, high]; constant_value -> pad_const.
static MlirValue convert_pad(n2t *c, MlirOperation op) {
  MlirValue x = input(op, 0), pads_v = input(op, 1), value_v = input(op, 2), axes_v = input(op, 3);
  intptr_t rank = mlirShapedTypeGetRank(mlirValueGetType(x));
  int64_t pads[2 * TOSA_MAX_RANK], axes[TOSA_MAX_RANK], padding[2 * TOSA_MAX_RANK] = {0};
  MlirAttribute mode = mlirOperationGetAttributeByName(op, sp_str("mode"));
  long n = mlirValueIsNull(pads_v) ? tosa_i64s_attr(op, "pads", pads, 2 * TOSA_MAX_RANK)
                                   : tosa_const_ints(pads_v, pads, 2 * TOSA_MAX_RANK);
  long na = mlirValueIsNull(axes_v) ? n / 2 : tosa_const_ints(axes_v, axes, TOSA_MAX_RANK);
  int constant = mlirAttributeIsNull(mode) || (mlirAttributeIsAString(mode) &&
                 mlirStringAttrGetValue(mode).length == 8 &&
                 !memcmp(mlirStringAttrGetValue(mode).data, "constant", 8));
  if (!constant || n < 0 || n % 2 || na != n / 2) {
    sp_emit_error(op, "sp-convert-nn-to-tosa: only constant-mode Pad with constant pads has a "
                  "TOSA form");
    return (MlirValue){NULL};
  }
  for (long i = 0; i < na; ++i) {
    int64_t axis = mlirValueIsNull(axes_v) ? i : norm_axis(axes[i], rank);
    padding[2 * axis] = pads[i], padding[2 * axis + 1] = pads[na + i];
  }
  float fill = 0.0f;
  if (!mlirValueIsNull(value_v) && tosa_const_f32_scalar(value_v, &fill)) {
    sp_emit_error(op, "sp-convert-nn-to-tosa: Pad's constant_value must be a constant f32");
    return (MlirValue){NULL};
  }
  int64_t pshape[2] = {rank, 2};
  int32_t p32[2 * TOSA_MAX_RANK];
  for (intptr_t i = 0; i < 2 * rank; ++i)
    p32[i] = (int32_t)padding[i];
  MlirAttribute padding_attr =
      mlirDenseElementsAttrInt32Get(tosa_tensor(c->i32, pshape, 2), 2 * rank, p32);
  MlirAttribute fill_attr = mlirDenseElementsAttrFloatGet(tosa_tensor(c->f32, NULL, 0), 1, &fill);
  MlirValue ops[3] = {x, make_const(c, padding_attr), make_const(c, fill_attr)};
  return tosa_build1(&c->b, "tosa.pad", ops, 3, mlirValueGetType(mlirOperationGetResult(op, 0)),
                     NULL, 0);
}

// Expand (numpy broadcast to the static result shape): reshape up to the
// result rank, then tosa.tile by result/input along the size-1 dims.
static MlirValue convert_expand(n2t *c, MlirOperation op) {
  MlirValue x = input(op, 0);
  int64_t yd[TOSA_MAX_RANK], xd[TOSA_MAX_RANK], multiples[TOSA_MAX_RANK];
  intptr_t rank = tosa_dims(mlirValueGetType(mlirOperationGetResult(op, 0)), yd);
  MlirValue r = to_rank(c, x, rank);
  tosa_dims(mlirValueGetType(r), xd);
  int tiled = 0;
  for (intptr_t d = 0; d < rank; ++d) {
    if (xd[d] != yd[d] && xd[d] != 1) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: Expand of dim %ld from %lld to %lld is not a "
                    "broadcast", (long)d, (long long)xd[d], (long long)yd[d]);
      return (MlirValue){NULL};
    }
    multiples[d] = yd[d] / xd[d];
    tiled |= multiples[d] != 1;
  }
  if (!tiled)
    return r;
  MlirNamedAttribute a = named(c, "multiples", i64s(c, multiples, rank));
  return tosa_build1(&c->b, "tosa.tile", &r, 1, mlirValueGetType(mlirOperationGetResult(op, 0)),
                     &a, 1);
}

// Gather. One constant index: tosa.slice of that row + reshape. Else (axis 0,
// an embedding lookup): data (K, ...) seen as values (1, K, C), the indices
// flattened to (1, W) i32 (tosa.cast from i64), tosa.gather -> (1, W, C),
// reshaped to indices.shape + data.shape[1:]. Negative indices count from the
// end in ONNX, not in TOSA: constant ones are checked and wrapped here, run-time
// ones by select(0 > idx, idx + K, idx).
static MlirValue convert_gather(n2t *c, MlirOperation op) {
  MlirValue data = input(op, 0), idx = input(op, 1);
  MlirType y = mlirValueGetType(mlirOperationGetResult(op, 0));
  int64_t dd[TOSA_MAX_RANK], id[TOSA_MAX_RANK], yd[TOSA_MAX_RANK];
  intptr_t dr = tosa_dims(mlirValueGetType(data), dd), ir = tosa_dims(mlirValueGetType(idx), id);
  intptr_t yr = tosa_dims(y, yd);
  int64_t axis = norm_axis(tosa_int_attr(op, "axis", 0), dr), w = 1, k_rows = dd[axis];
  for (intptr_t d = 0; d < ir; ++d)
    w *= id[d];
  MlirType idx_elem = mlirShapedTypeGetElementType(mlirValueGetType(idx));
  if (!mlirTypeIsAInteger(idx_elem) || (mlirIntegerTypeGetWidth(idx_elem) != 32 &&
                                        mlirIntegerTypeGetWidth(idx_elem) != 64)) {
    sp_emit_error(op, "sp-convert-nn-to-tosa: Gather indices must be int32 or int64");
    return (MlirValue){NULL};
  }
  if (k_rows > INT32_MAX) { // tosa.gather's indices are i32
    sp_emit_error(op, "sp-convert-nn-to-tosa: Gather of %lld rows: TOSA indexes with int32",
                  (long long)k_rows);
    return (MlirValue){NULL};
  }
  int64_t *consts = malloc((size_t)w * sizeof *consts + 1);
  long nconst = tosa_const_ints(idx, consts, w);
  for (long i = 0; i < nconst; ++i) {
    if (consts[i] < -k_rows || consts[i] >= k_rows) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: Gather index %lld out of range [-%lld, %lld)",
                    (long long)consts[i], (long long)k_rows, (long long)k_rows);
      free(consts);
      return (MlirValue){NULL};
    }
    consts[i] += consts[i] < 0 ? k_rows : 0;
  }
  if (nconst == 1) { // one row: a slice
    int64_t start[TOSA_MAX_RANK] = {0}, size[TOSA_MAX_RANK];
    for (intptr_t d = 0; d < dr; ++d)
      size[d] = d == axis ? 1 : dd[d];
    start[axis] = consts[0];
    free(consts);
    MlirNamedAttribute a[2] = {named(c, "start", i64s(c, start, dr)),
                               named(c, "size", i64s(c, size, dr))};
    MlirType elem = mlirShapedTypeGetElementType(y);
    MlirValue s = tosa_build1(&c->b, "tosa.slice", &data, 1, tosa_tensor(elem, size, dr), a, 2);
    return reshape(c, s, yd, yr);
  }
  if (axis != 0) {
    free(consts);
    sp_emit_error(op, "sp-convert-nn-to-tosa: Gather along axis %lld has a TOSA form only for "
                  "one constant index", (long long)axis);
    return (MlirValue){NULL};
  }
  int64_t channels = 1;
  for (intptr_t d = 1; d < dr; ++d)
    channels *= dd[d];
  int64_t vshape[3] = {1, k_rows, channels}, ishape[2] = {1, w}, gshape[3] = {1, w, channels};
  MlirValue values = reshape(c, data, vshape, 3), indices;
  if (nconst == w) {
    int32_t *i32 = malloc((size_t)w * sizeof *i32 + 1);
    for (int64_t i = 0; i < w; ++i)
      i32[i] = (int32_t)consts[i];
    indices = make_const(c, mlirDenseElementsAttrInt32Get(tosa_tensor(c->i32, ishape, 2), w, i32));
    free(i32);
  } else {
    indices = idx;
    if (mlirIntegerTypeGetWidth(idx_elem) == 64)
      indices = tosa_build1(&c->b, "tosa.cast", &indices, 1, tosa_tensor(c->i32, id, ir), NULL, 0);
    indices = reshape(c, indices, ishape, 2);
    // ONNX wraps negative indices, tosa.gather does not: idx < 0 ? idx + K : idx.
    int64_t one[2] = {1, 1};
    int32_t zero = 0, rows = (int32_t)k_rows;
    MlirType i32s = tosa_tensor(c->i32, ishape, 2);
    MlirValue cmp[2] = {
        make_const(c, mlirDenseElementsAttrInt32Get(tosa_tensor(c->i32, one, 2), 1, &zero)),
        indices};
    MlirValue negative = tosa_build1(&c->b, "tosa.greater", cmp, 2,
                                     tosa_tensor(mlirIntegerTypeGet(c->ctx, 1), ishape, 2), NULL, 0);
    MlirValue add[2] = {
        indices, make_const(c, mlirDenseElementsAttrInt32Get(tosa_tensor(c->i32, one, 2), 1, &rows))};
    MlirValue sel[3] = {negative, tosa_build1(&c->b, "tosa.add", add, 2, i32s, NULL, 0), indices};
    indices = tosa_build1(&c->b, "tosa.select", sel, 3, i32s, NULL, 0);
  }
  free(consts);
  MlirValue ops[2] = {values, indices};
  MlirValue g = tosa_build1(&c->b, "tosa.gather", ops, 2,
                            tosa_tensor(mlirShapedTypeGetElementType(y), gshape, 3), NULL, 0);
  return reshape(c, g, yd, yr);
}

// Cast between integer/bool types, or integer to float. Float to integer is
// refused: ONNX truncates toward zero, TOSA's cast rounds to nearest.
static MlirValue convert_cast(n2t *c, MlirOperation op) {
  MlirValue x = input(op, 0);
  MlirType from = mlirShapedTypeGetElementType(mlirValueGetType(x));
  MlirType y = mlirValueGetType(mlirOperationGetResult(op, 0));
  MlirType to = mlirShapedTypeGetElementType(y);
  if (mlirTypeEqual(from, to))
    return x;
  if (mlirTypeIsAFloat(from) && mlirTypeIsAInteger(to)) {
    sp_emit_error(op, "sp-convert-nn-to-tosa: Cast from float to integer truncates in ONNX but "
                  "rounds in TOSA");
    return (MlirValue){NULL};
  }
  return tosa_build1(&c->b, "tosa.cast", &x, 1, y, NULL, 0);
}

static MlirValue convert_op(n2t *c, MlirOperation op, const char *name) {
  MlirValue x =
      mlirOperationGetNumOperands(op) ? mlirOperationGetOperand(op, 0) : (MlirValue){NULL};
  MlirType y = mlirValueGetType(mlirOperationGetResult(op, 0));
  static const char *const UNARY[][2] = {
      {"Sigmoid", "tosa.sigmoid"}, {"Tanh", "tosa.tanh"},   {"Exp", "tosa.exp"},
      {"Log", "tosa.log"},         {"Abs", "tosa.abs"},     {"Neg", "tosa.negate"},
      {"Floor", "tosa.floor"},     {"Ceil", "tosa.ceil"},   {"Erf", "tosa.erf"},
      {"Reciprocal", "tosa.reciprocal"},
  };
  for (size_t i = 0; i < sizeof UNARY / sizeof UNARY[0]; ++i)
    if (!strcmp(name, UNARY[i][0]))
      return unary(c, UNARY[i][1], x);
  static const char *const BINARY[][2] = {
      {"Add", "tosa.add"}, {"Sub", "tosa.sub"}, {"Mul", "tosa.mul"}};
  for (size_t i = 0; i < sizeof BINARY / sizeof BINARY[0]; ++i)
    if (!strcmp(name, BINARY[i][0]))
      return binary(c, BINARY[i][1], x, mlirOperationGetOperand(op, 1), y);
  if (!strcmp(name, "Div")) {
    MlirValue divisor = to_rank(c, mlirOperationGetOperand(op, 1), mlirShapedTypeGetRank(y));
    return binary(c, "tosa.mul", x, unary(c, "tosa.reciprocal", divisor), y);
  }
  if (!strcmp(name, "Pow")) {
    MlirValue e = mlirOperationGetOperand(op, 1);
    float exponent;
    if (!tosa_const_f32_scalar(e, &exponent) && exponent == 2.0f) // x^2, as in LayerNorms
      return binary(c, "tosa.mul", x, x, y);
    return binary(c, "tosa.pow", x, e, y);
  }
  if (!strcmp(name, "Max") || !strcmp(name, "Min")) {
    if (mlirOperationGetNumOperands(op) != 2) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: %s of other than two inputs", name);
      return (MlirValue){NULL};
    }
    return binary(c, name[1] == 'a' ? "tosa.maximum" : "tosa.minimum", x,
                  mlirOperationGetOperand(op, 1), y);
  }
  if (!strcmp(name, "Gelu")) { // x/2 (1 + erf(x / sqrt 2)); approximate=tanh is refused
    MlirAttribute approx = mlirOperationGetAttributeByName(op, sp_str("approximate"));
    if (!mlirAttributeIsNull(approx) && mlirAttributeIsAString(approx) &&
        mlirStringAttrGetValue(approx).length == 4) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: Gelu approximate=tanh");
      return (MlirValue){NULL};
    }
    int64_t ones[TOSA_MAX_RANK] = {1, 1, 1, 1, 1, 1, 1, 1};
    intptr_t rank = mlirShapedTypeGetRank(y);
    MlirValue scaled = binary(c, "tosa.mul", x, f32_splat(c, ones, rank, 0.70710678f), y);
    MlirValue erf_plus_1 =
        binary(c, "tosa.add", unary(c, "tosa.erf", scaled), f32_splat(c, ones, rank, 1.0f), y);
    MlirValue half = binary(c, "tosa.mul", x, f32_splat(c, ones, rank, 0.5f), y);
    return binary(c, "tosa.mul", half, erf_plus_1, y);
  }
  if (!strcmp(name, "Pad"))
    return convert_pad(c, op);
  if (!strcmp(name, "Expand"))
    return convert_expand(c, op);
  if (!strcmp(name, "Gather"))
    return convert_gather(c, op);
  if (!strcmp(name, "Cast"))
    return convert_cast(c, op);
  if (!strcmp(name, "Not"))
    return unary(c, "tosa.logical_not", x);
  if (!strcmp(name, "Greater"))
    return binary(c, "tosa.greater", x, mlirOperationGetOperand(op, 1), y);
  if (!strcmp(name, "Where")) { // tosa.select wants equal ranks
    intptr_t rank = mlirShapedTypeGetRank(y);
    MlirValue ops[3] = {to_rank(c, x, rank), to_rank(c, mlirOperationGetOperand(op, 1), rank),
                        to_rank(c, mlirOperationGetOperand(op, 2), rank)};
    return tosa_build1(&c->b, "tosa.select", ops, 3, y, NULL, 0);
  }
  if (!strcmp(name, "LayerNormalization"))
    return convert_layernorm(c, op);
  if (!strcmp(name, "Sqrt"))
    return unary(c, "tosa.reciprocal", unary(c, "tosa.rsqrt", x));
  if (!strcmp(name, "Relu"))
    return clamp(c, x, 0, FLT_MAX);
  if (!strcmp(name, "Clip"))
    return convert_clip(c, op);
  if (!strcmp(name, "LeakyRelu")) {
    int64_t ones[TOSA_MAX_RANK] = {1, 1, 1, 1, 1, 1, 1, 1};
    float alpha_value = (float)tosa_float_attr(op, "alpha", 0.01);
    MlirValue alpha = f32_splat(c, ones, mlirShapedTypeGetRank(y), alpha_value);
    return binary(c, "tosa.maximum", x, binary(c, "tosa.mul", x, alpha, y), y);
  }
  if (!strcmp(name, "HardSigmoid") || !strcmp(name, "HardSwish")) {
    int is_swish = !strcmp(name, "HardSwish");
    int64_t ones[TOSA_MAX_RANK] = {1, 1, 1, 1, 1, 1, 1, 1};
    intptr_t rank = mlirShapedTypeGetRank(y);
    double alpha = is_swish ? 1.0 / 6 : tosa_float_attr(op, "alpha", 0.2);
    double beta = is_swish ? 0.5 : tosa_float_attr(op, "beta", 0.5);
    MlirValue scaled = binary(c, "tosa.mul", x, f32_splat(c, ones, rank, (float)alpha), y);
    MlirValue lin = binary(c, "tosa.add", scaled, f32_splat(c, ones, rank, (float)beta), y);
    MlirValue hs = clamp(c, lin, 0, 1);
    return is_swish ? binary(c, "tosa.mul", x, hs, y) : hs;
  }
  if (!strcmp(name, "Conv"))
    return convert_conv(c, op);
  if (!strcmp(name, "MaxPool") || !strcmp(name, "AveragePool"))
    return convert_pool(c, op, !strcmp(name, "MaxPool"), 0);
  if (!strcmp(name, "GlobalAveragePool") || !strcmp(name, "GlobalMaxPool"))
    return convert_pool(c, op, !strcmp(name, "GlobalMaxPool"), 1);
  if (!strcmp(name, "Gemm"))
    return convert_gemm(c, op);
  if (!strcmp(name, "MatMul"))
    return convert_matmul(c, op);
  if (!strcmp(name, "BatchNormalization"))
    return convert_batchnorm(c, op);
  if (!strcmp(name, "Softmax"))
    return convert_softmax(c, op);
  if (!strcmp(name, "Slice"))
    return convert_slice(c, op);
  if (!strcmp(name, "ReduceMean") || !strcmp(name, "ReduceSum") || !strcmp(name, "ReduceMax") ||
      !strcmp(name, "ReduceMin")) {
    char kind[8];
    snprintf(kind, sizeof kind, "%s", name + 6);
    for (char *k = kind; *k; ++k)
      *k = (char)(*k | 0x20);
    return convert_reduce(c, op, kind);
  }
  if (!strcmp(name, "Flatten") || !strcmp(name, "Reshape") || !strcmp(name, "Squeeze") ||
      !strcmp(name, "Unsqueeze")) {
    int64_t yd[TOSA_MAX_RANK];
    intptr_t yr = tosa_dims(y, yd);
    return reshape(c, x, yd, yr);
  }
  if (!strcmp(name, "Transpose")) {
    int64_t perm[TOSA_MAX_RANK];
    intptr_t rank = mlirShapedTypeGetRank(y);
    if (tosa_i64s_attr(op, "perm", perm, TOSA_MAX_RANK) != rank)
      for (intptr_t d = 0; d < rank; ++d)
        perm[d] = rank - 1 - d;
    return transpose(c, x, perm, rank);
  }
  if (!strcmp(name, "Concat")) {
    intptr_t n = mlirOperationGetNumOperands(op);
    MlirValue *ops = malloc((size_t)n * sizeof *ops + 1);
    for (intptr_t i = 0; i < n; ++i)
      ops[i] = mlirOperationGetOperand(op, i);
    int64_t axis = norm_axis(tosa_int_attr(op, "axis", 0), mlirShapedTypeGetRank(y));
    MlirNamedAttribute a = named(c, "axis", i32_attr(c, axis));
    MlirValue r = tosa_build1(&c->b, "tosa.concat", ops, n, y, &a, 1);
    free(ops);
    return r;
  }
  if (!strcmp(name, "Identity") || !strcmp(name, "Dropout"))
    return x;
  sp_emit_error(op, "sp-convert-nn-to-tosa: no TOSA form for %s", name);
  return (MlirValue){NULL};
}

// Split (a generic onnx.Split): one tosa.slice per result, each starting where
// the previous result's extent along axis ends.
static int convert_split(n2t *c, MlirOperation op) {
  MlirValue x = mlirOperationGetOperand(op, 0);
  int64_t xd[TOSA_MAX_RANK], start[TOSA_MAX_RANK] = {0};
  intptr_t rank = tosa_dims(mlirValueGetType(x), xd);
  int64_t axis = norm_axis(tosa_int_attr(op, "axis", 0), rank);
  for (intptr_t i = 0; i < mlirOperationGetNumResults(op); ++i) {
    MlirValue res = mlirOperationGetResult(op, i);
    int64_t yd[TOSA_MAX_RANK];
    if (!tosa_static(mlirValueGetType(res))) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: Split results need static shapes");
      return -1;
    }
    tosa_dims(mlirValueGetType(res), yd);
    MlirNamedAttribute a[2] = {named(c, "start", i64s(c, start, rank)),
                               named(c, "size", i64s(c, yd, rank))};
    mlirValueReplaceAllUsesOfWith(
        res, tosa_build1(&c->b, "tosa.slice", &x, 1, mlirValueGetType(res), a, 2));
    start[axis] += yd[axis];
  }
  return 0;
}

// LayerNormalization over the axes from `axis` on: (x - mean) * rsqrt(var + eps)
// * scale + B, mean and var by reduce_sum times 1/count.
static MlirValue convert_layernorm(n2t *c, MlirOperation op) {
  MlirValue x = input(op, 0), scale = input(op, 1), bias = input(op, 2);
  MlirType t = mlirValueGetType(x);
  int64_t xd[TOSA_MAX_RANK], ones[TOSA_MAX_RANK];
  intptr_t rank = tosa_dims(t, xd);
  int64_t axis = norm_axis(tosa_int_attr(op, "axis", -1), rank), count = 1;
  for (intptr_t d = 0; d < rank; ++d)
    ones[d] = 1;
  for (intptr_t i = 1; i < mlirOperationGetNumResults(op); ++i)
    if (!mlirOpOperandIsNull(mlirValueGetFirstUse(mlirOperationGetResult(op, i)))) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: LayerNormalization's Mean/InvStdDev outputs");
      return (MlirValue){NULL};
    }
  MlirValue sum = x;
  for (int64_t d = axis; d < rank; ++d) {
    count *= xd[d];
    sum = reduce(c, "tosa.reduce_sum", sum, d);
  }
  MlirType rt = mlirValueGetType(sum);
  MlirValue inv_n = f32_splat(c, ones, rank, (float)(1.0 / (double)count));
  MlirValue centered = binary(c, "tosa.sub", x, binary(c, "tosa.mul", sum, inv_n, rt), t);
  MlirValue sq = binary(c, "tosa.mul", centered, centered, t);
  for (int64_t d = axis; d < rank; ++d)
    sq = reduce(c, "tosa.reduce_sum", sq, d);
  MlirValue var = binary(c, "tosa.mul", sq, inv_n, rt);
  MlirValue eps = f32_splat(c, ones, rank, (float)tosa_float_attr(op, "epsilon", 1e-5));
  MlirValue inv_std = unary(c, "tosa.rsqrt", binary(c, "tosa.add", var, eps, rt));
  MlirValue y = binary(c, "tosa.mul", binary(c, "tosa.mul", centered, inv_std, t), scale, t);
  return mlirValueIsNull(bias) ? y : binary(c, "tosa.add", y, bias, t);
}

// A bool dense_resource (an attention mask) as inline dense elements:
// mlir-translate has no LLVM constant form for a resource of i1. Others: v.
static MlirAttribute bools_inline(MlirAttribute v) {
  MlirType t = mlirAttributeGetType(v);
  MlirType elem = mlirShapedTypeGetElementType(t);
  if (!mlirTypeIsAInteger(elem) || mlirIntegerTypeGetWidth(elem) != 1 ||
      !mlirAttributeIsADenseResourceElements(v))
    return v;
  int64_t n = mlirElementsAttrGetNumElements(v);
  const void *data;
  size_t size;
  sp_error err = {{0}};
  if (sp_weight_data(v, &data, &size, &err) || size < (size_t)n)
    return v;
  int *bools = malloc((size_t)n * sizeof *bools + 1);
  for (int64_t i = 0; i < n; ++i)
    bools[i] = ((const uint8_t *)data)[i] != 0;
  MlirAttribute r = mlirDenseElementsAttrBoolGet(t, n, bools);
  free(bools);
  return r;
}

// 1 for the ops whose integer or bool results convert too (index and mask
// plumbing, Gather's index wrap-around); other arithmetic stays f32 only.
static int moves_integers(const char *name) {
  static const char *const OPS[] = {"Cast",    "Not",     "Slice",     "Reshape", "Flatten",
                                    "Squeeze", "Unsqueeze", "Transpose", "Concat", "Expand",
                                    "Gather",  "Identity", "Greater",   "Add",     "Where"};
  for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; ++i)
    if (!strcmp(name, OPS[i]))
      return 1;
  return 0;
}

// Converts one nn (or generic onnx.) op; 0 on success.
static int convert(n2t *c, MlirOperation op) {
  MlirStringRef full = mlirIdentifierStr(mlirOperationGetName(op));
  const char *dot = memchr(full.data, '.', full.length);
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)(full.length - (size_t)(dot - full.data) - 1), dot + 1);
  c->b.before = op;
  c->b.loc = mlirOperationGetLocation(op);
  if (!strcmp(name, "Initializer") || !strcmp(name, "Constant")) {
    MlirAttribute v = mlirOperationGetAttributeByName(op, sp_str("value"));
    if (mlirAttributeIsNull(v) || !mlirAttributeIsAElements(v)) {
      sp_emit_error(op, "sp-convert-nn-to-tosa: a constant without an elements value");
      return -1;
    }
    mlirValueReplaceAllUsesOfWith(mlirOperationGetResult(op, 0), make_const(c, bools_inline(v)));
    return 0;
  }
  if (mlirOperationGetNumResults(op) < 1)
    return 0;
  MlirType y = mlirValueGetType(mlirOperationGetResult(op, 0));
  if (!tosa_static(y) || mlirShapedTypeGetRank(y) > TOSA_MAX_RANK ||
      !(mlirTypeIsAF32(mlirShapedTypeGetElementType(y)) || moves_integers(name))) {
    char *t = sp_print_type(y);
    sp_emit_error(op, "sp-convert-nn-to-tosa: %s result %s: TOSA needs static f32 tensors "
                  "(fix symbolic dims with --dim NAME=VALUE, fold shapes with sp-canonicalize)",
                  name, t);
    free(t);
    return -1;
  }
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i) {
    MlirType t = mlirValueGetType(mlirOperationGetOperand(op, i));
    if (!tosa_static(t) || mlirShapedTypeGetRank(t) > TOSA_MAX_RANK) {
      char *ts = sp_print_type(t);
      sp_emit_error(op, "sp-convert-nn-to-tosa: %s operand %ld is %s: TOSA needs static tensors "
                    "of rank <= %d", name, (long)i, ts, TOSA_MAX_RANK);
      free(ts);
      return -1;
    }
  }
  if (!strcmp(name, "Split"))
    return convert_split(c, op);
  MlirValue r = convert_op(c, op, name);
  if (mlirValueIsNull(r))
    return -1;
  mlirValueReplaceAllUsesOfWith(mlirOperationGetResult(op, 0), r);
  return 0;
}

static int is_graph_op(MlirOperation op) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return (s.length > 3 && !memcmp(s.data, "nn.", 3)) ||
         (s.length > 5 && !memcmp(s.data, "onnx.", 5));
}

int sp_convert_nn_to_tosa_run(MlirOperation module, const sp_pass_args *args) {
  (void)args;
  n2t c;
  memset(&c, 0, sizeof c);
  c.ctx = mlirOperationGetContext(module);
  c.b.ctx = c.ctx;
  c.f32 = mlirF32TypeGet(c.ctx);
  c.i32 = mlirIntegerTypeGet(c.ctx, 32);
  c.i64 = mlirIntegerTypeGet(c.ctx, 64);
  c.opset = tosa_module_opset(module);
  mlirContextGetOrLoadDialect(c.ctx, sp_str("tosa"));
  MlirBlock top = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  for (MlirOperation fn = mlirBlockGetFirstOperation(top); !mlirOperationIsNull(fn);
       fn = mlirOperationGetNextInBlock(fn)) {
    if (!tosa_is(fn, "func.func") || mlirOperationGetNumRegions(fn) != 1)
      continue;
    MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
    if (mlirBlockIsNull(body))
      continue;
    // Ops are created before the one being converted, so walking on from op
    // visits only the original ones.
    for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op))
      if (is_graph_op(op) && convert(&c, op))
        return -1;
    tosa_erase_dead(body, "nn.");
    tosa_erase_dead(body, "onnx.");
    tosa_erase_dead(body, "tosa.");
    for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op))
      if (is_graph_op(op)) {
        sp_emit_error(op, "sp-convert-nn-to-tosa: op still in use after conversion");
        return -1;
      }
  }
  return 0;
}

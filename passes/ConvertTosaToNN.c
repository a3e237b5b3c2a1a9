/* sp-convert-tosa-to-nn: rewrite upstream TOSA ops (LLVM 19) of every
 * func.func into nn ops, so TOSA from another compiler (or from
 * sp-convert-nn-to-tosa) can be analysed, pruned and exported as ONNX.
 *
 * TOSA's NHWC conv/pool become nn.Transpose -> NCHW op -> nn.Transpose;
 * constant OHWI (depthwise KH,KW,C,M) weights are re-laid out as OIHW
 * nn.Initializers, so sp-prune sees ordinary Conv weights. Afterwards
 * transpose pairs that cancel are removed, so nn -> TOSA -> nn gives back
 * the original graph shape. An op without an nn form fails the pass with an
 * error at its location. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/dialect.h"
#include "sp/hashmap.h"
#include "sp/passes.h"
#include "tosa_internal.h"

typedef struct t2n {
  tosa_builder b;
  MlirContext ctx;
  MlirType f32, i64;
  int64_t opset;
  long const_counter;
  sp_map used_names; /* node names given out (ONNX node names must be unique) */
  char **names;      /* their storage */
  size_t num_names, cap_names;
} t2n;

// loc, or a NameLoc around it whose name (the node name ONNX export writes)
// no earlier op of this pass got: one TOSA op (and one ONNX node before it)
// may become several nn ops. suffix (may be NULL) marks helper ops.
static MlirLocation unique_loc(t2n *c, MlirLocation loc, const char *suffix) {
  int is_node = 0;
  char *name = sp_location_name(loc, &is_node);
  if (!name || !is_node) {
    free(name);
    return loc;
  }
  size_t cap = strlen(name) + (suffix ? strlen(suffix) : 0) + 24;
  char *candidate = malloc(cap);
  snprintf(candidate, cap, "%s%s", name, suffix ? suffix : "");
  for (long k = 1; sp_map_get_str(&c->used_names, candidate, NULL); ++k)
    snprintf(candidate, cap, "%s%s_%ld", name, suffix ? suffix : "", k);
  int renamed = strcmp(candidate, name) != 0;
  free(name);
  if (c->num_names == c->cap_names) {
    c->cap_names = c->cap_names ? 2 * c->cap_names : 64;
    c->names = realloc(c->names, c->cap_names * sizeof *c->names);
  }
  c->names[c->num_names++] = candidate;
  sp_map_put_str(&c->used_names, candidate, candidate);
  return renamed ? mlirLocationNameGet(c->ctx, sp_str(candidate), loc) : loc;
}

static MlirValue emit(t2n *c, const char *name, MlirValue *ops, intptr_t n, MlirType y,
                      MlirNamedAttribute *a, intptr_t na, const char *suffix) {
  MlirLocation saved = c->b.loc;
  c->b.loc = unique_loc(c, saved, suffix);
  MlirValue r = tosa_build1(&c->b, name, ops, n, y, a, na);
  c->b.loc = saved;
  return r;
}

static const int64_t TO_NHWC[4] = {0, 2, 3, 1};
static const int64_t TO_NCHW[4] = {0, 3, 1, 2};

static MlirNamedAttribute named(t2n *c, const char *name, MlirAttribute a) {
  return sp_named(c->ctx, name, a);
}

static MlirAttribute i64s(t2n *c, const int64_t *v, intptr_t n) {
  return mlirDenseI64ArrayGet(c->ctx, n, v);
}

// A new nn.Initializer (f32) or nn.Constant holding value, named for export.
static MlirValue make_const(t2n *c, MlirAttribute value) {
  int is_float = mlirTypeIsAF32(mlirShapedTypeGetElementType(mlirAttributeGetType(value)));
  char key[48];
  snprintf(key, sizeof key, "tosa_const_%ld", c->const_counter++);
  MlirLocation saved = c->b.loc;
  if (is_float)
    c->b.loc = mlirLocationNameGet(c->ctx, sp_str(key), mlirLocationUnknownGet(c->ctx));
  MlirAttribute name = mlirStringAttrGet(c->ctx, sp_str(key));
  MlirNamedAttribute a[2] = {named(c, "value", value),
                             named(c, "onnx.names", mlirArrayAttrGet(c->ctx, 1, &name))};
  MlirValue r = tosa_build1(&c->b, is_float ? "nn.Initializer" : "nn.Constant", NULL, 0,
                            mlirAttributeGetType(value), a, 2);
  c->b.loc = saved;
  return r;
}

static MlirValue i64_const(t2n *c, const int64_t *v, intptr_t n) {
  return make_const(c, tosa_ints_attr(c->ctx, c->i64, v, n));
}

static MlirValue f32_scalar(t2n *c, float v) {
  return make_const(c, mlirDenseElementsAttrFloatGet(tosa_tensor(c->f32, NULL, 0), 1, &v));
}

static MlirValue transpose(t2n *c, MlirValue x, const int64_t *perm, intptr_t rank) {
  int64_t in[TOSA_MAX_RANK], out[TOSA_MAX_RANK];
  tosa_dims(mlirValueGetType(x), in);
  for (intptr_t d = 0; d < rank; ++d)
    out[d] = in[perm[d]];
  MlirNamedAttribute a = named(c, "perm", i64s(c, perm, rank));
  MlirType elem = mlirShapedTypeGetElementType(mlirValueGetType(x));
  return emit(c, "nn.Transpose", &x, 1, tosa_tensor(elem, out, rank), &a, 1, "/transpose");
}

// An nn op with ops filling its first n input positions (later optional ones
// absent; operand_segment_sizes when the op's signature asks for it).
static MlirValue nn1(t2n *c, const char *name, MlirValue *ops, intptr_t n, MlirType y,
                     MlirNamedAttribute *a, intptr_t na) {
  // Generic onnx.* ops (Concat, Max, Min) have no signature.
  const sp_op_signature *sig = strncmp(name, "nn.", 3) ? NULL : sp_dialect_signature(name + 3);
  if (!sig || !sig->operand_segments_attr)
    return emit(c, name, ops, n, y, a, na, NULL);
  int32_t sizes[SP_MAX_SEGMENTS];
  for (int i = 0; i < sig->num_operands; ++i)
    sizes[i] = i < n;
  MlirNamedAttribute all[8];
  for (intptr_t i = 0; i < na && i < 7; ++i)
    all[i] = a[i];
  MlirAttribute segments = mlirDenseI32ArrayGet(c->ctx, sig->num_operands, sizes);
  all[na] = named(c, "operand_segment_sizes", segments);
  return emit(c, name, ops, n, y, all, na + 1, NULL);
}

static MlirValue nchw_op(t2n *c, MlirOperation op, const char *name, MlirValue *ops,
                         intptr_t n, MlirNamedAttribute *a, intptr_t na) {
  int64_t yt[4];
  tosa_dims(mlirValueGetType(mlirOperationGetResult(op, 0)), yt);
  int64_t y[4] = {yt[0], yt[3], yt[1], yt[2]};
  ops[0] = transpose(c, ops[0], TO_NCHW, 4);
  MlirValue r = nn1(c, name, ops, n, tosa_tensor(c->f32, y, 4), a, na);
  return transpose(c, r, TO_NHWC, 4);
}

// TOSA pad [top, bottom, left, right] -> ONNX pads [top, left, bottom, right].
static MlirAttribute onnx_pads(t2n *c, MlirOperation op) {
  int64_t p[4] = {0, 0, 0, 0};
  tosa_i64s_attr(op, "pad", p, 4);
  int64_t q[4] = {p[0], p[2], p[1], p[3]};
  return i64s(c, q, 4);
}

static MlirAttribute pair_attr(t2n *c, MlirOperation op, const char *name) {
  int64_t v[2] = {1, 1};
  tosa_i64s_attr(op, name, v, 2);
  return i64s(c, v, 2);
}

static MlirValue convert_conv(t2n *c, MlirOperation op, int depthwise) {
  MlirValue x = mlirOperationGetOperand(op, 0), w = mlirOperationGetOperand(op, 1);
  int64_t wd[4];
  tosa_dims(mlirValueGetType(w), wd);
  // OHWI -> OIHW; depthwise (KH,KW,C,M) -> (C,M,KH,KW), i.e. (C*M,1,KH,KW).
  static const int64_t DW_PERM[4] = {2, 3, 0, 1};
  const int64_t *perm = depthwise ? DW_PERM : TO_NCHW;
  int64_t oihw[4] = {wd[perm[0]], wd[perm[1]], wd[perm[2]], wd[perm[3]]};
  int64_t group = depthwise ? wd[2] : 1;
  if (depthwise)
    oihw[0] = wd[2] * wd[3], oihw[1] = 1;
  int64_t count;
  float *data = tosa_const_f32_copy(w, &count);
  MlirValue weight;
  if (data) {
    float *buf = malloc((size_t)count * sizeof *buf + 1);
    tosa_permute4(data, wd, perm, buf);
    weight = make_const(c, tosa_weight(&c->b, tosa_tensor(c->f32, oihw, 4), buf, "nn_weight"));
    free(buf);
    free(data);
  } else {
    weight = transpose(c, w, perm, 4);
    if (depthwise) {
      MlirValue ops[2] = {weight, i64_const(c, oihw, 4)};
      weight = nn1(c, "nn.Reshape", ops, 2, tosa_tensor(c->f32, oihw, 4), NULL, 0);
    }
  }
  MlirValue ops[3] = {x, weight, mlirOperationGetOperand(op, 2)};
  int64_t kernel[2] = {oihw[2], oihw[3]};
  MlirNamedAttribute a[5] = {named(c, "pads", onnx_pads(c, op)),
                             named(c, "strides", pair_attr(c, op, "stride")),
                             named(c, "dilations", pair_attr(c, op, "dilation")),
                             named(c, "kernel_shape", i64s(c, kernel, 2)),
                             named(c, "group", mlirIntegerAttrGet(c->i64, group))};
  return nchw_op(c, op, "nn.Conv", ops, 3, a, 5);
}

static MlirValue convert_pool(t2n *c, MlirOperation op, int is_max) {
  MlirValue ops[1] = {mlirOperationGetOperand(op, 0)};
  int64_t xd[4], kernel[2] = {1, 1}, pad[4] = {0, 0, 0, 0};
  tosa_dims(mlirValueGetType(ops[0]), xd);
  tosa_i64s_attr(op, "kernel", kernel, 2);
  tosa_i64s_attr(op, "pad", pad, 4);
  int whole = kernel[0] == xd[1] && kernel[1] == xd[2] && !pad[0] && !pad[1] && !pad[2] && !pad[3];
  if (whole)
    return nchw_op(c, op, is_max ? "nn.GlobalMaxPool" : "nn.GlobalAveragePool", ops, 1, NULL, 0);
  MlirNamedAttribute a[3] = {named(c, "kernel_shape", i64s(c, kernel, 2)),
                             named(c, "strides", pair_attr(c, op, "stride")),
                             named(c, "pads", onnx_pads(c, op))};
  return nchw_op(c, op, is_max ? "nn.MaxPool" : "nn.AveragePool", ops, 1, a, 3);
}

static MlirValue convert_clamp(t2n *c, MlirOperation op, MlirType y) {
  MlirValue x = mlirOperationGetOperand(op, 0);
  double lo = tosa_float_attr(op, "min_fp", -FLT_MAX), hi = tosa_float_attr(op, "max_fp", FLT_MAX);
  if (lo == 0 && hi >= FLT_MAX)
    return nn1(c, "nn.Relu", &x, 1, y, NULL, 0);
  MlirValue ops[3] = {x, f32_scalar(c, (float)lo), f32_scalar(c, (float)hi)};
  return nn1(c, "nn.Clip", ops, 3, y, NULL, 0);
}

static MlirValue convert_reduce(t2n *c, MlirOperation op, const char *name, MlirType y) {
  MlirValue x = mlirOperationGetOperand(op, 0);
  int64_t axis = tosa_int_attr(op, "axis", 0);
  MlirNamedAttribute keep = named(c, "keepdims", mlirIntegerAttrGet(c->i64, 1));
  // Since opset 13 ReduceSum takes its axes as an input; the others since 18.
  if (!strcmp(name, "nn.ReduceSum") || c->opset >= 18) {
    MlirValue ops[2] = {x, i64_const(c, &axis, 1)};
    return nn1(c, name, ops, 2, y, &keep, 1);
  }
  MlirNamedAttribute a[2] = {keep, named(c, "axes", i64s(c, &axis, 1))};
  return nn1(c, name, &x, 1, y, a, 2);
}

// The ONNX TensorProto element type of elem (FLOAT 1, INT32 6, INT64 7,
// BOOL 9), -1 for others.
static int64_t onnx_elem_type(MlirType elem) {
  if (mlirTypeIsAF32(elem))
    return 1;
  if (!mlirTypeIsAInteger(elem))
    return -1;
  switch (mlirIntegerTypeGetWidth(elem)) {
  case 1: return 9;
  case 32: return 6;
  case 64: return 7;
  default: return -1;
  }
}

// tosa.gather values (N, K, C), indices (N, W) -> (N, W, C). For N = 1 that
// is ONNX Gather (axis 0) of values reshaped to (K, C) by the (1, W) indices.
static MlirValue convert_gather(t2n *c, MlirOperation op, MlirType y) {
  MlirValue values = mlirOperationGetOperand(op, 0), indices = mlirOperationGetOperand(op, 1);
  int64_t vd[3];
  if (tosa_dims(mlirValueGetType(values), vd) != 3 || vd[0] != 1) {
    sp_emit_error(op, "sp-convert-tosa-to-nn: tosa.gather with a batch N > 1 has no nn form "
                  "here (only N = 1, an embedding lookup)");
    return (MlirValue){NULL};
  }
  int64_t table[2] = {vd[1], vd[2]};
  MlirType elem = mlirShapedTypeGetElementType(mlirValueGetType(values));
  MlirValue r[2] = {values, i64_const(c, table, 2)};
  MlirValue g[2] = {nn1(c, "nn.Reshape", r, 2, tosa_tensor(elem, table, 2), NULL, 0), indices};
  return nn1(c, "nn.Gather", g, 2, y, NULL, 0);
}

static MlirValue convert_op(t2n *c, MlirOperation op, const char *name) {
  MlirType y = mlirValueGetType(mlirOperationGetResult(op, 0));
  intptr_t n = mlirOperationGetNumOperands(op);
  MlirValue ops[3] = {{NULL}, {NULL}, {NULL}};
  for (intptr_t i = 0; i < n && i < 3; ++i)
    ops[i] = mlirOperationGetOperand(op, i);
  static const char *const SAME[][2] = {
      {"sigmoid", "nn.Sigmoid"}, {"tanh", "nn.Tanh"},   {"exp", "nn.Exp"},
      {"log", "nn.Log"},         {"abs", "nn.Abs"},     {"negate", "nn.Neg"},
      {"floor", "nn.Floor"},     {"ceil", "nn.Ceil"},   {"erf", "nn.Erf"},
      {"reciprocal", "nn.Reciprocal"}, {"add", "nn.Add"}, {"sub", "nn.Sub"},
      {"matmul", "nn.MatMul"},  {"pow", "nn.Pow"},
  };
  for (size_t i = 0; i < sizeof SAME / sizeof SAME[0]; ++i)
    if (!strcmp(name, SAME[i][0]))
      return nn1(c, SAME[i][1], ops, n, y, NULL, 0);
  if (!strcmp(name, "mul")) {
    if (tosa_int_attr(op, "shift", 0) != 0) {
      sp_emit_error(op, "sp-convert-tosa-to-nn: tosa.mul with a shift (integer rescale)");
      return (MlirValue){NULL};
    }
    return nn1(c, "nn.Mul", ops, 2, y, NULL, 0);
  }
  if (!strcmp(name, "rsqrt"))
    return nn1(c, "nn.Reciprocal", (MlirValue[]){nn1(c, "nn.Sqrt", ops, 1, y, NULL, 0)}, 1, y,
               NULL, 0);
  if (!strcmp(name, "maximum") || !strcmp(name, "minimum")) {
    // Max/Min are not nn ops: generic ONNX ops, exported as they are.
    return nn1(c, !strcmp(name, "maximum") ? "onnx.Max" : "onnx.Min", ops, 2, y, NULL, 0);
  }
  if (!strcmp(name, "clamp"))
    return convert_clamp(c, op, y);
  if (!strcmp(name, "conv2d") || !strcmp(name, "depthwise_conv2d"))
    return convert_conv(c, op, !strcmp(name, "depthwise_conv2d"));
  if (!strcmp(name, "max_pool2d") || !strcmp(name, "avg_pool2d"))
    return convert_pool(c, op, !strcmp(name, "max_pool2d"));
  if (!strcmp(name, "fully_connected")) {
    MlirNamedAttribute t = named(c, "transB", mlirIntegerAttrGet(c->i64, 1));
    return nn1(c, "nn.Gemm", ops, 3, y, &t, 1);
  }
  if (!strcmp(name, "reshape")) {
    int64_t shape[TOSA_MAX_RANK];
    intptr_t rank = tosa_dims(y, shape);
    ops[1] = i64_const(c, shape, rank);
    return nn1(c, "nn.Reshape", ops, 2, y, NULL, 0);
  }
  if (!strcmp(name, "transpose")) {
    int64_t perm[TOSA_MAX_RANK];
    intptr_t rank = mlirShapedTypeGetRank(y);
    if (tosa_const_ints(ops[1], perm, TOSA_MAX_RANK) != rank) {
      sp_emit_error(op, "sp-convert-tosa-to-nn: tosa.transpose needs constant perms");
      return (MlirValue){NULL};
    }
    return transpose(c, ops[0], perm, rank);
  }
  if (!strcmp(name, "concat")) {
    MlirValue *all = malloc((size_t)n * sizeof *all + 1);
    for (intptr_t i = 0; i < n; ++i)
      all[i] = mlirOperationGetOperand(op, i);
    int64_t axis = tosa_int_attr(op, "axis", 0);
    MlirNamedAttribute a = named(c, "axis", mlirIntegerAttrGet(c->i64, axis));
    MlirValue r = nn1(c, "onnx.Concat", all, n, y, &a, 1);
    free(all);
    return r;
  }
  if (!strcmp(name, "slice")) {
    int64_t start[TOSA_MAX_RANK], size[TOSA_MAX_RANK], end[TOSA_MAX_RANK], axes[TOSA_MAX_RANK];
    long rank = tosa_i64s_attr(op, "start", start, TOSA_MAX_RANK);
    if (rank < 0 || tosa_i64s_attr(op, "size", size, TOSA_MAX_RANK) != rank) {
      sp_emit_error(op, "sp-convert-tosa-to-nn: tosa.slice without start/size");
      return (MlirValue){NULL};
    }
    for (long d = 0; d < rank; ++d)
      end[d] = start[d] + size[d], axes[d] = d;
    MlirValue s[4] = {ops[0], i64_const(c, start, rank), i64_const(c, end, rank),
                      i64_const(c, axes, rank)};
    return nn1(c, "nn.Slice", s, 4, y, NULL, 0);
  }
  if (!strcmp(name, "pad")) {
    int64_t padding[2 * TOSA_MAX_RANK], pads[2 * TOSA_MAX_RANK];
    long np = tosa_const_ints(ops[1], padding, 2 * TOSA_MAX_RANK);
    intptr_t rank = mlirShapedTypeGetRank(y);
    if (np != 2 * rank) {
      sp_emit_error(op, "sp-convert-tosa-to-nn: tosa.pad needs constant padding");
      return (MlirValue){NULL};
    }
    for (intptr_t d = 0; d < rank; ++d) // (rank, 2) rows [low, high] -> [b0.., e0..]
      pads[d] = padding[2 * d], pads[rank + d] = padding[2 * d + 1];
    float fill = 0.0f;
    if (n > 2 && tosa_const_f32_scalar(ops[2], &fill)) {
      sp_emit_error(op, "sp-convert-tosa-to-nn: tosa.pad needs a constant pad_const");
      return (MlirValue){NULL};
    }
    MlirValue p[3] = {ops[0], i64_const(c, pads, 2 * rank), f32_scalar(c, fill)};
    return nn1(c, "nn.Pad", p, 3, y, NULL, 0);
  }
  if (!strcmp(name, "reduce_sum"))
    return convert_reduce(c, op, "nn.ReduceSum", y);
  if (!strcmp(name, "reduce_max"))
    return convert_reduce(c, op, "nn.ReduceMax", y);
  if (!strcmp(name, "reduce_min"))
    return convert_reduce(c, op, "nn.ReduceMin", y);
  if (!strcmp(name, "identity"))
    return ops[0];
  if (!strcmp(name, "tile")) {
    int64_t multiples[TOSA_MAX_RANK];
    long rank = tosa_i64s_attr(op, "multiples", multiples, TOSA_MAX_RANK);
    if (rank != mlirShapedTypeGetRank(y)) {
      sp_emit_error(op, "sp-convert-tosa-to-nn: tosa.tile without multiples");
      return (MlirValue){NULL};
    }
    MlirValue t[2] = {ops[0], i64_const(c, multiples, rank)};
    return nn1(c, "nn.Tile", t, 2, y, NULL, 0);
  }
  if (!strcmp(name, "gather"))
    return convert_gather(c, op, y);
  if (!strcmp(name, "cast")) {
    int64_t to = onnx_elem_type(mlirShapedTypeGetElementType(y));
    if (to < 0) {
      sp_emit_error(op, "sp-convert-tosa-to-nn: tosa.cast to a type ONNX export does not know");
      return (MlirValue){NULL};
    }
    MlirNamedAttribute a = named(c, "to", mlirIntegerAttrGet(c->i64, to));
    return nn1(c, "nn.Cast", ops, 1, y, &a, 1);
  }
  if (!strcmp(name, "greater"))
    return nn1(c, "nn.Greater", ops, 2, y, NULL, 0);
  if (!strcmp(name, "logical_not"))
    return nn1(c, "nn.Not", ops, 1, y, NULL, 0);
  if (!strcmp(name, "select"))
    return nn1(c, "nn.Where", ops, 3, y, NULL, 0);
  sp_emit_error(op, "sp-convert-tosa-to-nn: no nn form for tosa.%s", name);
  return (MlirValue){NULL};
}

// 1 for the ops whose integer or bool results convert too (index and mask
// plumbing, the wrap-around of Gather indices); other arithmetic stays f32
// only (tosa.mul of integers has a shift).
static int moves_integers(const char *name) {
  static const char *const OPS[] = {"cast",   "logical_not", "slice",  "reshape", "transpose",
                                    "concat", "tile",        "gather", "identity", "greater",
                                    "add",    "select"};
  for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; ++i)
    if (!strcmp(name, OPS[i]))
      return 1;
  return 0;
}

static int convert(t2n *c, MlirOperation op) {
  MlirStringRef full = mlirIdentifierStr(mlirOperationGetName(op));
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)(full.length - 5), full.data + 5);
  c->b.before = op;
  c->b.loc = mlirOperationGetLocation(op);
  if (!strcmp(name, "const")) {
    MlirAttribute v = mlirOperationGetAttributeByName(op, sp_str("value"));
    mlirValueReplaceAllUsesOfWith(mlirOperationGetResult(op, 0), make_const(c, v));
    return 0;
  }
  if (mlirOperationGetNumResults(op) != 1)
    return sp_emit_error(op, "sp-convert-tosa-to-nn: no nn form for tosa.%s", name), -1;
  MlirType y = mlirValueGetType(mlirOperationGetResult(op, 0));
  MlirType elem = mlirShapedTypeGetElementType(y);
  if (!tosa_static(y) || mlirShapedTypeGetRank(y) > TOSA_MAX_RANK ||
      !(mlirTypeIsAF32(elem) || (moves_integers(name) && onnx_elem_type(elem) > 0))) {
    char *t = sp_print_type(y);
    sp_emit_error(op, "sp-convert-tosa-to-nn: tosa.%s result %s: only static f32 tensors "
                  "convert (i32, i64, i1 only through data movement and cast)", name, t);
    free(t);
    return -1;
  }
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i) {
    MlirType t = mlirValueGetType(mlirOperationGetOperand(op, i));
    if (!tosa_static(t) || mlirShapedTypeGetRank(t) > TOSA_MAX_RANK) {
      char *ts = sp_print_type(t);
      sp_emit_error(op, "sp-convert-tosa-to-nn: tosa.%s operand %ld is %s: only static tensors "
                    "of rank <= %d convert", name, (long)i, ts, TOSA_MAX_RANK);
      free(ts);
      return -1;
    }
  }
  MlirValue r = convert_op(c, op, name);
  if (mlirValueIsNull(r))
    return -1;
  mlirValueReplaceAllUsesOfWith(mlirOperationGetResult(op, 0), r);
  return 0;
}

// Transpose(Transpose(x)) whose permutations compose to the identity -> x:
// the NHWC round trips between consecutive conv/pool ops.
static void cancel_transposes(MlirBlock body) {
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!tosa_is(op, "nn.Transpose"))
      continue;
    MlirValue in = mlirOperationGetOperand(op, 0);
    if (!mlirValueIsAOpResult(in) || !tosa_is(mlirOpResultGetOwner(in), "nn.Transpose"))
      continue;
    MlirOperation inner = mlirOpResultGetOwner(in);
    int64_t p[TOSA_MAX_RANK], q[TOSA_MAX_RANK];
    long n = tosa_i64s_attr(op, "perm", p, TOSA_MAX_RANK);
    if (n < 0 || tosa_i64s_attr(inner, "perm", q, TOSA_MAX_RANK) != n)
      continue;
    int identity = 1;
    for (long d = 0; d < n; ++d)
      identity &= q[p[d]] == d;
    if (identity)
      mlirValueReplaceAllUsesOfWith(mlirOperationGetResult(op, 0),
                                    mlirOperationGetOperand(inner, 0));
  }
}

static int convert_module(t2n *c, MlirOperation module);

int sp_convert_tosa_to_nn_run(MlirOperation module, const sp_pass_args *args) {
  (void)args;
  t2n c;
  memset(&c, 0, sizeof c);
  c.ctx = mlirOperationGetContext(module);
  c.b.ctx = c.ctx;
  c.f32 = mlirF32TypeGet(c.ctx);
  c.i64 = mlirIntegerTypeGet(c.ctx, 64);
  c.opset = tosa_module_opset(module);
  sp_map_init(&c.used_names);
  int rc = convert_module(&c, module);
  for (size_t i = 0; i < c.num_names; ++i)
    free(c.names[i]);
  free(c.names);
  sp_map_free(&c.used_names);
  return rc;
}

static int convert_module(t2n *c, MlirOperation module) {
  MlirBlock top = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  for (MlirOperation fn = mlirBlockGetFirstOperation(top); !mlirOperationIsNull(fn);
       fn = mlirOperationGetNextInBlock(fn)) {
    if (!tosa_is(fn, "func.func") || mlirOperationGetNumRegions(fn) != 1)
      continue;
    MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
    if (mlirBlockIsNull(body))
      continue;
    for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op)) {
      MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
      if (s.length > 5 && !memcmp(s.data, "tosa.", 5) && convert(c, op))
        return -1;
    }
    tosa_erase_dead(body, "tosa.");
    cancel_transposes(body);
    tosa_erase_dead(body, "nn.");
    for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op))
      if (mlirIdentifierStr(mlirOperationGetName(op)).length > 5 &&
          !memcmp(mlirIdentifierStr(mlirOperationGetName(op)).data, "tosa.", 5)) {
        sp_emit_error(op, "sp-convert-tosa-to-nn: op still in use after conversion");
        return -1;
      }
  }
  return 0;
}

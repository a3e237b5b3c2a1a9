/* The coupling table: how every op type ties the dims of its results to the
 * dims of its operands, written once as data (docs/pruning.md, "Coupling
 * rules"), and the few rule kinds that interpret it. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groups_internal.h"
#include "sp/dialect.h"

#define ALL -1
#define E(op, kind) {op, SP_COUPLE_##kind, ALL, 0, 0, 0, 0, 0}
#define E1(op, kind) {op, SP_COUPLE_##kind, 1, 0, 0, 0, 0, 0}
#define NORM(op, first, last, sfirst, slast, reduces)                                        \
  {op, SP_COUPLE_NORM, 1, first, last, sfirst, slast, reduces}

/* Sorted by op type (bsearch). */
static const sp_coupling table[] = {
    E1("Abs", IDENTITY),
    E("Add", BROADCAST),
    E("And", BROADCAST),
    E1("ArgMax", REDUCE),
    E1("ArgMin", REDUCE),
    E1("AveragePool", SAME_SIZE),
    NORM("BatchNormalization", 1, 4, 3, 4, 0),
    E1("Cast", IDENTITY),
    E1("CastLike", IDENTITY),
    E1("Ceil", IDENTITY),
    E1("Celu", IDENTITY),
    E1("Clip", IDENTITY),
    E("Concat", CONCAT),
    E("Constant", SOURCE),
    E("ConstantOfShape", NONE),
    E("Conv", CONV),
    E("ConvTranspose", CONV_TRANSPOSE),
    E1("Cos", IDENTITY),
    E("Div", BROADCAST),
    E1("Dropout", IDENTITY),
    E("Einsum", EINSUM),
    E1("Elu", IDENTITY),
    E("Equal", BROADCAST),
    E1("Erf", IDENTITY),
    E1("Exp", IDENTITY),
    E("Expand", EXPAND),
    E1("Flatten", RESHAPE),
    E1("Floor", IDENTITY),
    E("GRU", RECURRENT),
    E("Gather", GATHER),
    E("Gelu", IDENTITY),
    E("Gemm", GEMM),
    E1("GlobalAveragePool", SAME_SIZE),
    E1("GlobalMaxPool", SAME_SIZE),
    E("Greater", BROADCAST),
    E1("HardSigmoid", IDENTITY),
    E1("HardSwish", IDENTITY),
    E1("Identity", IDENTITY),
    E("Initializer", SOURCE),
    NORM("InstanceNormalization", 1, 2, 0, 0, 1),
    E1("IsNaN", IDENTITY),
    E("LSTM", RECURRENT),
    NORM("LayerNormalization", 1, 2, 0, 0, 1),
    E1("LeakyRelu", IDENTITY),
    E("Less", BROADCAST),
    E1("Log", IDENTITY),
    E1("LogSoftmax", SOFTMAX),
    E1("LpPool", SAME_SIZE),
    E("MatMul", MATMUL),
    E("Max", BROADCAST),
    E1("MaxPool", SAME_SIZE),
    E("Mean", BROADCAST),
    E("Min", BROADCAST),
    E1("Mish", IDENTITY),
    E("Mul", BROADCAST),
    E1("Neg", IDENTITY),
    E1("Not", IDENTITY),
    E("Or", BROADCAST),
    E("PRelu", BROADCAST),
    E("Pad", PAD),
    E("Pow", BROADCAST),
    E("RNN", RECURRENT),
    E("Range", NONE),
    E1("Reciprocal", IDENTITY),
    E1("ReduceL1", REDUCE),
    E1("ReduceL2", REDUCE),
    E1("ReduceLogSumExp", REDUCE),
    E1("ReduceMax", REDUCE),
    E1("ReduceMean", REDUCE),
    E1("ReduceMin", REDUCE),
    E1("ReduceProd", REDUCE),
    E1("ReduceSum", REDUCE),
    E1("ReduceSumSquare", REDUCE),
    E1("Relu", IDENTITY),
    E1("Reshape", RESHAPE),
    E1("Resize", SAME_SIZE),
    E1("Round", IDENTITY),
    E1("Selu", IDENTITY),
    E("Shape", SHAPE),
    E1("Sigmoid", IDENTITY),
    E1("Sign", IDENTITY),
    E1("Sin", IDENTITY),
    E("Size", SHAPE),
    E1("Slice", SLICE),
    E1("Softmax", SOFTMAX),
    E1("Softplus", IDENTITY),
    E1("Softsign", IDENTITY),
    E("Split", SPLIT),
    E1("Sqrt", IDENTITY),
    E1("Squeeze", RESHAPE),
    E("Sub", BROADCAST),
    E("Sum", BROADCAST),
    E1("Tanh", IDENTITY),
    E1("ThresholdedRelu", IDENTITY),
    E1("Transpose", TRANSPOSE),
    E1("Unsqueeze", RESHAPE),
    E1("Upsample", SAME_SIZE),
    E("Where", BROADCAST),
};

static int compare_entry(const void *key, const void *entry) {
  return strcmp(key, ((const sp_coupling *)entry)->op_type);
}

const sp_coupling *sp_coupling_lookup(const char *op_type) {
  return bsearch(op_type, table, sizeof table / sizeof table[0], sizeof table[0], compare_entry);
}

/* --- helpers --------------------------------------------------------------- */

static sp_value_info *operand(sp_groups *g, MlirOperation op, intptr_t i) {
  if (i < 0 || i >= mlirOperationGetNumOperands(op))
    return NULL;
  sp_value_info *v = sp_groups_value(g, mlirOperationGetOperand(op, i));
  return v && v->rank >= 0 ? v : NULL;
}

static sp_value_info *result(sp_groups *g, MlirOperation op, intptr_t i) {
  return sp_groups_value(g, mlirOperationGetResult(op, i));
}

static int is_dynamic(const sp_value_info *v, int d) {
  MlirType t = mlirValueGetType(v->value);
  return mlirShapedTypeIsDynamicSize(mlirShapedTypeGetDimSize(t, d));
}

/* Does any segment of (v, d) belong to a set that starts at a weight? */
static int has_origin(sp_groups *g, const sp_value_info *v, int d) {
  for (int32_t i = 0; i < v->dims[d].n; ++i)
    if (g->raw[sp_groups_find(g, v->dims[d].segs[i].group)].origin)
      return 1;
  return 0;
}

/* Result dim takes operand dim's list (same size; a dynamic result dim takes
 * the operand's concrete size). */
static void pass_dim(sp_groups *g, sp_value_info *r, int rd, sp_value_info *x, int xd) {
  if (is_dynamic(r, rd))
    r->size[rd] = x->size[xd];
  if (r->size[rd] != x->size[xd] || r->dims[rd].n)
    return;
  sp_gi_copy(g, r, rd, x, xd, 1);
}

static int norm_axis(int64_t axis, int rank) { return (int)(axis < 0 ? axis + rank : axis); }

/* --- rules ----------------------------------------------------------------- */

static void rule_identity(sp_groups *g, MlirOperation op) {
  sp_value_info *x = operand(g, op, 0), *r = result(g, op, 0);
  if (!x || x->rank != r->rank)
    return;
  for (int d = 0; d < r->rank; ++d)
    pass_dim(g, r, d, x, d);
}

static int maskable_operand(const char *type) {
  return !strcmp(type, "Add") || !strcmp(type, "Sub") || !strcmp(type, "Mul") ||
         !strcmp(type, "Sum");
}

static void rule_broadcast(sp_groups *g, MlirOperation op, const char *type) {
  sp_value_info *r = result(g, op, 0);
  intptr_t n = mlirOperationGetNumOperands(op);
  for (int d = 0; d < r->rank; ++d) {
    sp_value_info *first = NULL;
    int first_d = 0;
    for (intptr_t i = 0; i < n; ++i) {
      sp_value_info *x = operand(g, op, i);
      if (!x)
        continue;
      int xd = d - (r->rank - x->rank);
      if (xd < 0 || x->size[xd] <= 1)
        continue;
      if (is_dynamic(r, d) && x->size[xd] > r->size[d])
        r->size[d] = x->size[xd];
      if (x->size[xd] != r->size[d]) {
        sp_groups_pin_value(g, x, xd, "broadcast sizes disagree");
        continue;
      }
      if (x->is_weight && maskable_operand(type))
        x->maskable = 1;
      if (!first) {
        first = x;
        first_d = xd;
      } else {
        sp_gi_join(g, first, first_d, x, xd, NULL);
      }
    }
    if (first)
      sp_gi_copy(g, r, d, first, first_d, 1);
  }
}

static void rule_same_size(sp_groups *g, MlirOperation op) {
  sp_value_info *x = operand(g, op, 0), *r = result(g, op, 0);
  if (!x)
    return;
  for (int d = 0; d < r->rank && d < x->rank; ++d) {
    if (is_dynamic(r, d) && is_dynamic(x, d))
      r->size[d] = x->size[d];
    pass_dim(g, r, d, x, d);
  }
}

static int eval_input(sp_groups *g, MlirOperation op, int pos, int64_t *out, int max) {
  intptr_t i = sp_op_input(op, pos);
  return i < 0 ? -2 : sp_eval_ints(g, mlirOperationGetOperand(op, i), out, max);
}

/* Pad: dims without padding pass; a padded dim without channels keeps a
 * fresh group; a channel dim padded with constants (`F.pad` on channels) is
 * [fresh pad | x's segments | fresh pad] and sp-prune leaves the pads as they
 * are. Reflect/edge padding copies border channels and cropping (negative
 * pads) cuts them: both pin. */
static void rule_pad(sp_groups *g, MlirOperation op) {
  sp_value_info *x = operand(g, op, 0), *r = result(g, op, 0);
  if (!x || x->rank != r->rank || x->rank > 16)
    return;
  int64_t pads[32], axes[16];
  int n = eval_input(g, op, 1, pads, 32);
  if (n == -2)
    n = sp_op_attr_ints(op, "pads", pads, 32);
  int na = eval_input(g, op, 3, axes, 16);
  if (na == -2 || na == -1) {
    na = na == -2 ? x->rank : -1;
    for (int i = 0; i < x->rank; ++i)
      axes[i] = i;
  }
  MlirAttribute mode = mlirOperationGetAttributeByName(op, sp_str("mode"));
  int constant = mlirAttributeIsNull(mode) || !mlirAttributeIsAString(mode) ||
                 mlirStringRefEqual(mlirStringAttrGetValue(mode), sp_str("constant"));
  if (n < 0 || na < 0 || n != 2 * na) { // pads not evaluated: as before, sizes that agree pass
    rule_same_size(g, op);
    return;
  }
  int64_t before[16] = {0}, after[16] = {0};
  char unknown[16] = {0};
  for (int i = 0; i < na; ++i) {
    int a = norm_axis(axes[i], x->rank);
    if (a < 0 || a >= x->rank)
      continue;
    unknown[a] = pads[i] == SP_UNKNOWN || pads[na + i] == SP_UNKNOWN;
    before[a] = pads[i], after[a] = pads[na + i];
  }
  for (int d = 0; d < x->rank; ++d) {
    if (unknown[d]) { // a computed amount (Swin's window padding): never on channels
      if (has_origin(g, x, d)) {
        sp_groups_pin_value(g, x, d, "Pad amounts are not constant");
        sp_gi_pin_fresh(g, r, d, "Pad amounts are not constant");
      } else {
        if (is_dynamic(r, d) && is_dynamic(x, d))
          r->size[d] = x->size[d];
        pass_dim(g, r, d, x, d);
      }
      continue;
    }
    int64_t size = x->size[d] + before[d] + after[d];
    if (is_dynamic(r, d))
      r->size[d] = size;
    if (!before[d] && !after[d]) {
      pass_dim(g, r, d, x, d);
      continue;
    }
    if (!has_origin(g, x, d))
      continue;
    const char *why = !constant                       ? "Pad along a channel dim in reflect/edge mode"
                      : before[d] < 0 || after[d] < 0 ? "Pad crops a channel dim"
                      : r->size[d] != size            ? "Pad sizes disagree"
                                                      : NULL;
    if (why) {
      sp_groups_pin_value(g, x, d, why);
      sp_gi_pin_fresh(g, r, d, why);
      continue;
    }
    if (before[d])
      sp_gi_push(g, r, d, sp_gi_new_group(g, before[d], 0), 0, before[d]);
    const sp_seglist *l = &x->dims[d];
    for (int32_t i = 0; i < l->n; ++i)
      sp_gi_push(g, r, d, l->segs[i].group, before[d] + l->segs[i].start, l->segs[i].channels);
    if (after[d])
      sp_gi_push(g, r, d, sp_gi_new_group(g, after[d], 0), before[d] + x->size[d], after[d]);
  }
}

static void rule_norm(sp_groups *g, MlirOperation op, const char *type, const sp_coupling *c) {
  sp_value_info *x = operand(g, op, 0);
  rule_identity(g, op);
  if (!x || x->rank < 2)
    return;
  if (!strcmp(type, "GroupNormalization")) {
    sp_groups_pin_value(g, x, 1, "GroupNormalization groups channels");
    return;
  }
  int axis = 1, last = 1;
  if (!strcmp(type, "LayerNormalization")) {
    axis = norm_axis(sp_op_attr_int(op, "axis", -1), x->rank);
    last = x->rank - 1;
  }
  for (int i = c->param_first; i <= c->param_last; ++i) {
    sp_value_info *p = operand(g, op, i);
    if (!p)
      continue;
    int stat = i >= c->stat_first && i <= c->stat_last && c->stat_first;
    if (p->is_weight) {
      p->is_stat |= stat;
      p->maskable |= !stat;
    }
    for (int d = 0; d < p->rank; ++d) {
      int xd = strcmp(type, "LayerNormalization") ? axis + d : last - (p->rank - 1 - d);
      if (xd < 0 || xd >= x->rank || p->size[d] != x->size[xd])
        continue;
      sp_gi_join(g, x, xd, p, d, NULL);
    }
  }
  // LayerNorm normalizes across its dims, InstanceNorm over dims 2.. (space,
  // or channels within a group in torch's GroupNorm export).
  if (c->reduces)
    for (int d = strcmp(type, "LayerNormalization") ? 2 : axis; d < x->rank; ++d)
      sp_gi_mark_reduced(g, x, d, type);
}

static void rule_softmax(sp_groups *g, MlirOperation op, const char *type) {
  rule_identity(g, op);
  sp_value_info *x = operand(g, op, 0);
  if (!x)
    return;
  int axis = norm_axis(sp_op_attr_int(op, "axis", -1), x->rank);
  for (int d = axis; d < x->rank; ++d)
    sp_gi_mark_reduced(g, x, d, type);
}

static void rule_reduce(sp_groups *g, MlirOperation op, const char *type) {
  sp_value_info *x = operand(g, op, 0), *r = result(g, op, 0);
  if (!x)
    return;
  int64_t axes[16];
  int n;
  char reduced[16] = {0};
  if (!strncmp(type, "Arg", 3)) {
    axes[0] = sp_op_attr_int(op, "axis", 0);
    n = 1;
  } else {
    n = sp_op_attr_ints(op, "axes", axes, 16);
    if (n < 0 && mlirOperationGetNumOperands(op) > 1)
      n = sp_eval_ints(g, mlirOperationGetOperand(op, 1), axes, 16);
    if (n < 0 && mlirOperationGetNumOperands(op) > 1) {
      sp_gi_pin_all(g, op, "reduction axes are not constant");
      return;
    }
  }
  if (n <= 0) {
    if (sp_op_attr_int(op, "noop_with_empty_axes", 0)) {
      rule_identity(g, op);
      return;
    }
    n = x->rank;
    for (int i = 0; i < n; ++i)
      axes[i] = i;
  }
  for (int i = 0; i < n; ++i) {
    int a = norm_axis(axes[i], x->rank);
    if (a >= 0 && a < 16 && a < x->rank)
      reduced[a] = 1;
  }
  // Sums see pruned (zeroed) channels as nothing; means, maxima and
  // normalisations change when channels go.
  int sums = !strcmp(type, "ReduceSum") || !strcmp(type, "ReduceSumSquare") ||
             !strcmp(type, "ReduceL1") || !strcmp(type, "ReduceL2");
  int keep = sp_op_attr_int(op, "keepdims", 1) != 0;
  int rd = 0;
  for (int d = 0; d < x->rank; ++d) {
    if (reduced[d]) {
      if (!sums)
        sp_gi_mark_reduced(g, x, d, type);
      rd += keep;
      continue;
    }
    if (rd < r->rank)
      pass_dim(g, r, rd, x, d);
    rd++;
  }
}

static int is_weight_value(const sp_value_info *v) { return v && v->is_weight; }

/* (v, d) of `rows` equal rows joins a helper list holding the list of
 * (row, rd) once per row: the groups of v are refined at the row boundaries
 * and every row's groups unify with row's (same positions in every row). */
static void join_rows(sp_groups *g, sp_value_info *v, int d, sp_value_info *row, int rd,
                      int64_t rows, const char *why) {
  sp_value_info *t = sp_gi_scratch(g, 1, &v->size[d], v->value);
  const sp_seglist *l = &row->dims[rd];
  for (int64_t r = 0; r < rows; ++r)
    for (int32_t s = 0; s < l->n; ++s)
      sp_gi_push(g, t, 0, l->segs[s].group, r * row->size[rd] + l->segs[s].start,
                 l->segs[s].channels);
  sp_gi_join(g, v, d, t, 0, why);
}

static void rule_conv(sp_groups *g, MlirOperation op) {
  sp_value_info *x = operand(g, op, 0), *w = operand(g, op, 1), *b = operand(g, op, 2);
  sp_value_info *y = result(g, op, 0);
  if (!x || !w || x->rank < 2 || w->rank < 2 || y->rank < 2) {
    sp_gi_pin_all(g, op, "Conv without ranked operands");
    return;
  }
  if (w->is_weight)
    w->maskable = 1;
  if (b && b->is_weight)
    b->maskable = 1;
  int64_t group = sp_op_attr_int(op, "group", 1);
  int64_t c = x->size[1], o = w->size[0];
  pass_dim(g, y, 0, x, 0);
  if (group == 1) {
    sp_gi_join(g, x, 1, w, 1, "conv input channels");
    sp_gi_mark_origin(g, w, 0);
    if (b)
      sp_gi_join(g, w, 0, b, 0, NULL);
    sp_gi_copy(g, y, 1, w, 0, 1);
  } else if (group == c && w->size[1] == 1 && o % c == 0 && y->size[1] == o &&
             !is_dynamic(x, 1)) {
    // Depthwise, channel multiplier k = O/C: output c*k + m reads input c,
    // so output channels go k at a time with their input; `group` follows C.
    sp_gi_copy(g, y, 1, x, 1, o / c);
    sp_gi_join(g, y, 1, w, 0, "depthwise conv");
    if (b)
      sp_gi_join(g, w, 0, b, 0, NULL);
  } else if (group > 1 && c % group == 0 && w->size[1] * group == c && o % group == 0 &&
             y->size[1] == o && !is_dynamic(x, 1)) {
    // Grouped: `group` stays; the same positions go in every conv group. The
    // output is G segments of one new group of O/G units, the input joins G
    // copies of the weight's C/G in-channels.
    int32_t out = sp_gi_new_group(g, o / group, 1);
    for (int64_t r = 0; r < group; ++r)
      sp_gi_push(g, y, 1, out, r * (o / group), o / group);
    sp_gi_join(g, y, 1, w, 0, "grouped conv output channels");
    if (b)
      sp_gi_join(g, w, 0, b, 0, NULL);
    join_rows(g, x, 1, w, 1, group, "grouped conv input channels");
  } else {
    const char *why = "grouped conv of unknown channels";
    sp_groups_pin_value(g, x, 1, why);
    sp_groups_pin_value(g, w, 0, why);
    sp_gi_mark_origin(g, w, 0);
    if (b)
      sp_gi_join(g, w, 0, b, 0, NULL);
    sp_gi_copy(g, y, 1, w, 0, 1);
  }
}

static void rule_conv_transpose(sp_groups *g, MlirOperation op) {
  sp_value_info *x = operand(g, op, 0), *w = operand(g, op, 1), *b = operand(g, op, 2);
  sp_value_info *y = result(g, op, 0);
  if (!x || !w || x->rank < 2 || w->rank < 2 || y->rank < 2) {
    sp_gi_pin_all(g, op, "ConvTranspose without ranked operands");
    return;
  }
  pass_dim(g, y, 0, x, 0);
  if (sp_op_attr_int(op, "group", 1) != 1) {
    sp_gi_pin_all(g, op, "grouped ConvTranspose");
    return;
  }
  if (w->is_weight)
    w->maskable = 1;
  if (b && b->is_weight)
    b->maskable = 1;
  sp_gi_join(g, x, 1, w, 0, NULL);
  sp_gi_mark_origin(g, w, 1);
  if (b)
    sp_gi_join(g, w, 1, b, 0, NULL);
  sp_gi_copy(g, y, 1, w, 1, 1);
}

/* Operand index of ONNX input pos, -1 when absent (no operand, or a `none`
 * placeholder for an omitted optional input). */
static intptr_t optional_input(MlirOperation op, int pos) {
  intptr_t at = sp_op_input(op, pos);
  return at < 0 || mlirTypeIsANone(mlirValueGetType(mlirOperationGetOperand(op, at))) ? -1 : at;
}

/* Gate rows per hidden unit in W/R (B has twice as many: Wb and Rb). */
static int recurrent_gates(const char *type) {
  return !strcmp(type, "LSTM") ? 4 : !strcmp(type, "GRU") ? 3 : 1;
}

/* RNN/GRU/LSTM: the hidden units are one new group (origin) of hidden_size
 * units. W (D, gates*H, I) and R (D, gates*H, H) hold it once per gate row,
 * B (D, 2*gates*H) twice as many, P (D, 3H) three times; R's last dim, the
 * initial states' and the outputs' last dims (layout 0 or 1) hold it once.
 * Every direction prunes the same units (hidden_size is one attribute).
 * X's last dim joins W's input dim; X's other dims (time, batch) pin. */
static void rule_recurrent(sp_groups *g, MlirOperation op, const char *type) {
  sp_value_info *x = operand(g, op, 0), *w = operand(g, op, 1), *rw = operand(g, op, 2);
  int64_t hidden = sp_op_attr_int(op, "hidden_size", -1);
  int64_t gates = recurrent_gates(type);
  const char *why = NULL;
  if (!x || !w || !rw || x->rank != 3 || w->rank != 3 || rw->rank != 3)
    why = sp_gi_reason(g, "%s without rank-3 X, W and R", type);
  else if (hidden < 1 || rw->size[2] != hidden || rw->size[1] != gates * hidden ||
           w->size[1] != gates * hidden || w->size[2] != x->size[2])
    why = sp_gi_reason(g, "%s weights do not match hidden_size", type);
  for (int i = 3; !why && i < 8; ++i) { // B, sequence_lens, initial_h, initial_c, P
    intptr_t at = optional_input(op, i);
    sp_value_info *v = at < 0 ? NULL : operand(g, op, at);
    int64_t want = i == 3 ? 2 * gates * hidden : i == 7 ? 3 * hidden : hidden;
    if (at >= 0 && !v)
      why = sp_gi_reason(g, "%s input %d of unknown rank", type, i);
    else if (v && i != 4 && (v->rank < 1 || v->size[v->rank - 1] != want))
      why = sp_gi_reason(g, "%s input %d does not match hidden_size", type, i);
  }
  for (intptr_t i = 0; !why && i < mlirOperationGetNumResults(op); ++i) {
    sp_value_info *r = result(g, op, i);
    if (r->rank < 1 || (!is_dynamic(r, r->rank - 1) && r->size[r->rank - 1] != hidden))
      why = sp_gi_reason(g, "%s output %d does not match hidden_size", type, (int)i);
  }
  if (why) {
    sp_gi_pin_all(g, op, why);
    return;
  }
  sp_value_info *units = sp_gi_scratch(g, 1, &hidden, w->value);
  sp_gi_push(g, units, 0, sp_gi_new_group(g, hidden, 1), 0, hidden);
  w->maskable |= w->is_weight;
  rw->maskable |= rw->is_weight;
  join_rows(g, w, 1, units, 0, gates, "recurrent gate rows");
  join_rows(g, rw, 1, units, 0, gates, "recurrent gate rows");
  sp_gi_join(g, rw, 2, units, 0, "recurrent state");
  sp_gi_join(g, x, 2, w, 2, "recurrent input features");
  for (int d = 0; d < 2; ++d)
    sp_groups_pin_value(g, x, d, sp_gi_reason(g, "%s reads across time and batch", type));
  for (int i = 3; i < 8; ++i) {
    intptr_t at = optional_input(op, i);
    sp_value_info *v = at < 0 || i == 4 ? NULL : operand(g, op, at);
    if (!v)
      continue;
    v->maskable |= v->is_weight;
    int64_t rows = i == 3 ? 2 * gates : i == 7 ? 3 : 1;
    join_rows(g, v, v->rank - 1, units, 0, rows, "recurrent state");
  }
  for (intptr_t i = 0; i < mlirOperationGetNumResults(op); ++i) {
    sp_value_info *r = result(g, op, i);
    r->size[r->rank - 1] = hidden;
    sp_gi_copy(g, r, r->rank - 1, units, 0, 1);
  }
}

static void rule_gemm(sp_groups *g, MlirOperation op) {
  sp_value_info *a = operand(g, op, 0), *b = operand(g, op, 1), *c = operand(g, op, 2);
  sp_value_info *y = result(g, op, 0);
  if (!a || !b || a->rank != 2 || b->rank != 2 || y->rank != 2) {
    sp_gi_pin_all(g, op, "Gemm without rank-2 operands");
    return;
  }
  int ta = sp_op_attr_int(op, "transA", 0) != 0, tb = sp_op_attr_int(op, "transB", 0) != 0;
  int am = ta ? 1 : 0, ak = ta ? 0 : 1, bk = tb ? 1 : 0, bn = tb ? 0 : 1;
  if (a->is_weight)
    a->maskable = 1;
  if (b->is_weight)
    b->maskable = 1;
  if (c && c->is_weight)
    c->maskable = 1;
  sp_gi_join(g, a, ak, b, bk, "Gemm contraction");
  pass_dim(g, y, 0, a, am);
  if (is_weight_value(b))
    sp_gi_mark_origin(g, b, bn);
  pass_dim(g, y, 1, b, bn);
  if (c)
    for (int d = 0; d < c->rank; ++d) {
      int yd = d + 2 - c->rank;
      if (c->size[d] > 1 && c->size[d] == y->size[yd])
        sp_gi_join(g, y, yd, c, d, NULL);
    }
}

static void rule_matmul(sp_groups *g, MlirOperation op) {
  sp_value_info *a = operand(g, op, 0), *b = operand(g, op, 1), *y = result(g, op, 0);
  if (!a || !b || a->rank < 2 || b->rank < 2) {
    sp_gi_pin_all(g, op, "MatMul with a vector operand");
    return;
  }
  if (a->is_weight)
    a->maskable = 1;
  if (b->is_weight)
    b->maskable = 1;
  sp_gi_join(g, a, a->rank - 1, b, b->rank - 2, "MatMul contraction");
  pass_dim(g, y, y->rank - 2, a, a->rank - 2);
  if (is_weight_value(b))
    sp_gi_mark_origin(g, b, b->rank - 1);
  pass_dim(g, y, y->rank - 1, b, b->rank - 1);
  for (int d = 0; d < y->rank - 2; ++d) {
    int ad = d - (y->rank - a->rank), bd = d - (y->rank - b->rank);
    sp_value_info *first = NULL;
    int fd = 0;
    if (ad >= 0 && a->size[ad] > 1)
      first = a, fd = ad;
    if (bd >= 0 && b->size[bd] > 1) {
      if (first && a->size[ad] == b->size[bd])
        sp_gi_join(g, a, ad, b, bd, "MatMul batch dims");
      else if (!first)
        first = b, fd = bd;
    }
    if (first)
      pass_dim(g, y, d, first, fd);
  }
}

/* Einsum: every index letter is one dim; all dims of one letter join (the
 * contraction letters couple operands as MatMul's K does), the result's dims
 * take their letter's dim, and a result letter only weights carry is an
 * origin (the `d` of `nchw,dc->ndhw`). Size-1 dims broadcast. Ellipses and
 * diagonals (a letter twice in one operand) pin. */
static void rule_einsum(sp_groups *g, MlirOperation op) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, sp_str("equation"));
  char eq[256];
  size_t len = 0;
  const char *why = NULL;
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAString(a)) {
    why = "Einsum without an equation";
  } else {
    MlirStringRef e = mlirStringAttrGetValue(a);
    for (size_t i = 0; i < e.length && len + 1 < sizeof eq; ++i)
      if (e.data[i] != ' ')
        eq[len++] = e.data[i];
    if (len + 1 >= sizeof eq)
      why = "Einsum equation too long";
  }
  eq[len] = 0;
  if (!why && strchr(eq, '.'))
    why = "Einsum with an ellipsis";
  char *arrow = why ? NULL : strstr(eq, "->");
  char out[64] = {0};
  if (!why && arrow) {
    *arrow = 0;
    snprintf(out, sizeof out, "%s", arrow + 2);
  } else if (!why) { // implicit output: letters used once, in alphabetical order
    size_t n = 0;
    for (int c = 'A'; c <= 'z'; ++c) {
      int uses = 0;
      for (const char *p = eq; *p; ++p)
        uses += *p == c;
      if (uses == 1 && n + 1 < sizeof out)
        out[n++] = (char)c;
    }
  }
  sp_value_info *first[128] = {0};
  int first_d[128] = {0}, only_weights[128];
  for (int c = 0; c < 128; ++c)
    only_weights[c] = 1;
  intptr_t i = 0;
  for (char *term = eq; !why && term; ++i) {
    char *comma = strchr(term, ',');
    if (comma)
      *comma = 0;
    sp_value_info *x = operand(g, op, i);
    if (!x || x->rank != (int)strlen(term)) {
      why = "Einsum equation does not match its operands";
      break;
    }
    x->maskable |= x->is_weight;
    for (int d = 0; d < x->rank && !why; ++d) {
      unsigned char c = (unsigned char)term[d] & 127;
      if (strchr(term + d + 1, term[d]))
        why = "Einsum takes a diagonal";
      else if (x->size[d] <= 1)
        continue;
      else if (!first[c])
        first[c] = x, first_d[c] = d;
      else if (first[c]->size[first_d[c]] != x->size[d])
        why = "Einsum sizes disagree";
      else
        sp_gi_join(g, first[c], first_d[c], x, d, "Einsum index");
      only_weights[c] &= x->is_weight;
    }
    term = comma ? comma + 1 : NULL;
  }
  sp_value_info *r = result(g, op, 0);
  if (!why && (i != mlirOperationGetNumOperands(op) || (int)strlen(out) != r->rank))
    why = "Einsum equation does not match its operands";
  if (why) {
    sp_gi_pin_all(g, op, why);
    return;
  }
  for (int d = 0; d < r->rank; ++d) {
    unsigned char c = (unsigned char)out[d] & 127;
    if (!first[c])
      continue;
    if (only_weights[c])
      sp_gi_mark_origin(g, first[c], first_d[c]);
    pass_dim(g, r, d, first[c], first_d[c]);
  }
}

static void rule_concat(sp_groups *g, MlirOperation op) {
  sp_value_info *r = result(g, op, 0);
  intptr_t n = mlirOperationGetNumOperands(op);
  int axis = norm_axis(sp_op_attr_int(op, "axis", 0), r->rank);
  if (axis < 0 || axis >= r->rank)
    return;
  sp_value_info *first = NULL;
  int64_t offset = 0;
  for (intptr_t i = 0; i < n; ++i) {
    sp_value_info *x = operand(g, op, i);
    if (!x || x->rank != r->rank) {
      sp_gi_pin_all(g, op, "Concat of unranked values");
      return;
    }
    const sp_seglist *l = &x->dims[axis];
    for (int32_t s = 0; s < l->n; ++s)
      sp_gi_push(g, r, axis, l->segs[s].group, l->segs[s].start + offset, l->segs[s].channels);
    offset += x->size[axis];
    if (!first)
      first = x;
    else
      for (int d = 0; d < r->rank; ++d)
        if (d != axis && x->size[d] > 1)
          sp_gi_join(g, first, d, x, d, NULL);
  }
  if (is_dynamic(r, axis))
    r->size[axis] = offset;
  if (offset != r->size[axis]) { // a size-1 input without segments is fine; others are not
    sp_gi_pin_all(g, op, "Concat sizes disagree");
    return;
  }
  for (int d = 0; first && d < r->rank; ++d)
    if (d != axis)
      pass_dim(g, r, d, first, d);
}

/* Result dim rd := channels [from, to) of x's dim xd, refining groups there. */
static void take_range(sp_groups *g, sp_value_info *r, int rd, sp_value_info *x, int xd,
                       int64_t from, int64_t to, const char *why) {
  if (sp_gi_refine_at(g, x, xd, from) || sp_gi_refine_at(g, x, xd, to)) {
    sp_groups_pin_value(g, x, xd, why);
    sp_gi_pin_fresh(g, r, rd, why);
    return;
  }
  const sp_seglist *l = &x->dims[xd];
  for (int32_t s = 0; s < l->n; ++s) {
    const sp_segment *seg = &l->segs[s];
    if (seg->start >= from && seg->start + seg->channels <= to)
      sp_gi_push(g, r, rd, seg->group, seg->start - from, seg->channels);
  }
}

/* Result dim rd := x[s:e:k] along channel dim xd (k > 1, C % k == 0): x's
 * channels are rows [jk, jk+k) and each selected row gives the channel at
 * offset s % k, so the group's units become whole rows (gcd with the rows a
 * segment holds, as for heads): pruning a unit removes its rows and the result
 * channels they gave. -1 when a segment is not made of whole rows. */
static int take_strided(sp_groups *g, sp_value_info *r, int rd, sp_value_info *x, int xd,
                        int64_t s, int64_t e, int64_t k) {
  int64_t size = x->size[xd];
  if (k < 2 || size % k || e <= s || !has_origin(g, x, xd))
    return -1;
  int64_t last = s + (e - 1 - s) / k * k;
  int64_t from = s - s % k, to = last - last % k + k;
  if (sp_gi_refine_at(g, x, xd, from) || sp_gi_refine_at(g, x, xd, to))
    return -1;
  const sp_seglist *l = &x->dims[xd];
  for (int32_t i = 0; i < l->n; ++i) {
    const sp_segment *seg = &l->segs[i];
    if (seg->start >= from && seg->start + seg->channels <= to &&
        ((seg->start - from) % k || seg->channels % k))
      return -1;
  }
  for (int32_t i = 0; i < l->n; ++i) {
    const sp_segment *seg = &l->segs[i];
    if (seg->start < from || seg->start + seg->channels > to)
      continue;
    sp_group *root = &g->raw[sp_groups_find(g, seg->group)];
    int64_t rows = seg->channels / k, u = root->units, t;
    while (rows) // gcd
      t = u % rows, u = rows, rows = t;
    root->units = u;
    sp_gi_push(g, r, rd, seg->group, (seg->start - from) / k, seg->channels / k);
  }
  return 0;
}

static void rule_split(sp_groups *g, MlirOperation op) {
  sp_value_info *x = operand(g, op, 0);
  if (!x)
    return;
  int axis = norm_axis(sp_op_attr_int(op, "axis", 0), x->rank);
  int64_t offset = 0;
  for (intptr_t i = 0; i < mlirOperationGetNumResults(op); ++i) {
    sp_value_info *r = result(g, op, i);
    if (r->rank != x->rank || is_dynamic(r, axis)) {
      sp_gi_pin_all(g, op, "Split with unknown sizes");
      return;
    }
    take_range(g, r, axis, x, axis, offset, offset + r->size[axis],
               "Split cuts a unit of a group");
    offset += r->size[axis];
    for (int d = 0; d < r->rank; ++d)
      if (d != axis)
        pass_dim(g, r, d, x, d);
  }
}

static void rule_slice(sp_groups *g, MlirOperation op) {
  sp_value_info *x = operand(g, op, 0), *r = result(g, op, 0);
  if (!x || x->rank != r->rank)
    return;
  int64_t starts[16], ends[16], axes[16], steps[16];
  int n = eval_input(g, op, 1, starts, 16);
  if (n == -2) { // opset < 10: attributes
    n = sp_op_attr_ints(op, "starts", starts, 16);
    if (sp_op_attr_ints(op, "ends", ends, 16) != n)
      n = -1;
    if (sp_op_attr_ints(op, "axes", axes, 16) != n)
      for (int i = 0; i < n; ++i)
        axes[i] = i;
    for (int i = 0; i < n; ++i)
      steps[i] = 1;
  } else if (n >= 0) {
    if (eval_input(g, op, 2, ends, 16) != n)
      n = -1;
    int na = eval_input(g, op, 3, axes, 16);
    if (na == -2)
      for (int i = 0; i < n; ++i)
        axes[i] = i;
    else if (na != n)
      n = -1;
    int ns = eval_input(g, op, 4, steps, 16);
    if (ns == -2)
      for (int i = 0; i < n; ++i)
        steps[i] = 1;
    else if (ns != n)
      n = -1;
  }
  char sliced[16] = {0};
  for (int i = 0; i < n; ++i) {
    int a = norm_axis(axes[i], x->rank);
    if (a < 0 || a >= x->rank || a >= 16)
      continue;
    int64_t size = x->size[a];
    int64_t s = starts[i] < 0 ? starts[i] + size : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + size : ends[i];
    s = s < 0 ? 0 : s > size ? size : s;
    e = e < 0 ? 0 : e > size ? size : e;
    sliced[a] = 1;
    if (steps[i] != 1) {
      if (is_dynamic(r, a) && steps[i] > 1)
        r->size[a] = e > s ? (e - s + steps[i] - 1) / steps[i] : 0;
      const char *why = steps[i] < 0 ? "Slice with a negative step"
                                     : "Slice with a step cuts a unit of a group";
      if (!has_origin(g, x, a) || steps[i] < 0 ||
          take_strided(g, r, a, x, a, s, e, steps[i])) {
        sp_groups_pin_value(g, x, a, why);
        sp_gi_pin_fresh(g, r, a, why);
      }
      continue;
    }
    if (is_dynamic(r, a))
      r->size[a] = e - s;
    if (s == 0 && e == size)
      pass_dim(g, r, a, x, a);
    else
      take_range(g, r, a, x, a, s, e, "Slice cuts a unit of a group");
  }
  for (int d = 0; d < x->rank; ++d) {
    if (d < 16 && sliced[d])
      continue;
    if (n < 0 && x->size[d] != r->size[d]) {
      sp_groups_pin_value(g, x, d, "Slice bounds are not constant");
      sp_gi_pin_fresh(g, r, d, "Slice bounds are not constant");
      continue;
    }
    pass_dim(g, r, d, x, d);
  }
}

static void rule_transpose(sp_groups *g, MlirOperation op) {
  sp_value_info *x = operand(g, op, 0), *r = result(g, op, 0);
  if (!x || x->rank != r->rank)
    return;
  int64_t perm[16];
  int n = sp_op_attr_ints(op, "perm", perm, 16);
  if (n < 0) {
    n = x->rank;
    for (int i = 0; i < n; ++i)
      perm[i] = n - 1 - i;
  }
  if (n != x->rank)
    return;
  for (int d = 0; d < n; ++d)
    if (perm[d] >= 0 && perm[d] < x->rank)
      pass_dim(g, r, d, x, (int)perm[d]);
}

/* The one index of a Gather with a constant single index, normalized to
 * [0, size); -1 otherwise. */
static int64_t gather_index(sp_groups *g, MlirOperation op, int64_t size) {
  int64_t k[2];
  if (mlirOperationGetNumOperands(op) < 2 ||
      sp_eval_ints(g, mlirOperationGetOperand(op, 1), k, 2) != 1 || k[0] == SP_UNKNOWN)
    return -1;
  k[0] = k[0] < 0 ? k[0] + size : k[0];
  return k[0] >= 0 && k[0] < size ? k[0] : -1;
}

/* Gather of a constant index list along channel dim `axis` (`x[:, idx]`):
 * each run of consecutive indices [a, a+len) is a Slice of x placed at its
 * position in the result, so x's groups are refined at every run's ends and
 * the result dim lists the segments of every run in index order (a channel
 * read twice is the same group twice). NULL, or why it could not map. */
static const char *gather_runs(sp_groups *g, MlirOperation op, sp_value_info *x, int axis,
                               sp_value_info *r) {
  enum { MAXI = 64 };
  int64_t k[MAXI];
  int n = sp_eval_ints(g, mlirOperationGetOperand(op, 1), k, MAXI);
  if (n < 1)
    return "Gather along a channel dim with indices that are not constant (or more than 64)";
  int64_t size = x->size[axis];
  if (is_dynamic(r, axis))
    r->size[axis] = n;
  if (r->size[axis] != n)
    return "Gather along a channel dim with indices of unknown count";
  for (int i = 0; i < n; ++i) {
    k[i] = k[i] < 0 ? k[i] + size : k[i];
    if (k[i] < 0 || k[i] >= size)
      return "Gather along a channel dim with an index out of range";
  }
  for (int i = 0, j; i < n; i = j) { // refine at every run's ends first
    for (j = i + 1; j < n && k[j] == k[j - 1] + 1; ++j)
      ;
    if (sp_gi_refine_at(g, x, axis, k[i]) || sp_gi_refine_at(g, x, axis, k[j - 1] + 1))
      return "Gather along a channel dim cuts a unit of a group";
  }
  const sp_seglist *l = &x->dims[axis];
  for (int i = 0, j; i < n; i = j) {
    for (j = i + 1; j < n && k[j] == k[j - 1] + 1; ++j)
      ;
    for (int32_t s = 0; s < l->n; ++s) {
      const sp_segment *seg = &l->segs[s];
      if (seg->start >= k[i] && seg->start + seg->channels <= k[j - 1] + 1)
        sp_gi_push(g, r, axis, seg->group, i + seg->start - k[i], seg->channels);
    }
  }
  return NULL;
}

static void rule_gather(sp_groups *g, MlirOperation op) {
  sp_value_info *x = operand(g, op, 0), *idx = operand(g, op, 1), *r = result(g, op, 0);
  if (!x || !idx)
    return;
  int axis = norm_axis(sp_op_attr_int(op, "axis", 0), x->rank);
  if (axis < 0 || axis >= x->rank || r->rank != x->rank + idx->rank - 1)
    return;
  if (has_origin(g, x, axis) && idx->rank == 1) {
    const char *why = gather_runs(g, op, x, axis, r);
    if (why) {
      sp_groups_pin_value(g, x, axis, why);
      sp_gi_pin_fresh(g, r, axis, why);
    }
  } else if (has_origin(g, x, axis)) {
    // One constant index k is a Slice [k, k+1) (then the dim goes or is 1):
    // refine the groups there; sp-prune maps k onto the kept channels.
    int64_t k = gather_index(g, op, x->size[axis]);
    if (k < 0 || sp_gi_refine_at(g, x, axis, k) || sp_gi_refine_at(g, x, axis, k + 1)) {
      sp_groups_pin_value(g, x, axis, "Gather along a channel dim");
      for (int d = 0; d < idx->rank; ++d)
        sp_gi_pin_fresh(g, r, axis + d, "Gather along a channel dim");
    }
  }
  for (int d = 0; d < axis; ++d)
    pass_dim(g, r, d, x, d);
  for (int d = 0; d < idx->rank; ++d)
    pass_dim(g, r, axis + d, idx, d);
  for (int d = axis + 1; d < x->rank; ++d)
    pass_dim(g, r, d + idx->rank - 1, x, d);
}

static void rule_expand(sp_groups *g, MlirOperation op) {
  sp_value_info *x = operand(g, op, 0), *r = result(g, op, 0);
  if (!x)
    return;
  int64_t shape[16];
  int n = mlirOperationGetNumOperands(op) > 1
              ? sp_eval_ints(g, mlirOperationGetOperand(op, 1), shape, 16)
              : -1;
  for (int d = 0; d < r->rank; ++d) {
    int xd = d - (r->rank - x->rank);
    int sd = n >= 0 ? d - (r->rank - n) : -1;
    if (is_dynamic(r, d)) {
      int64_t s = sd >= 0 ? shape[sd] : 1;
      int64_t xs = xd >= 0 ? x->size[xd] : 1;
      r->size[d] = s > xs ? s : xs;
    }
    if (xd < 0 || x->size[xd] <= 1)
      continue;
    // sp-prune sets a channel dim's entry to 1 (keep the input's size).
    if (has_origin(g, x, xd) &&
        (n < 0 || (sd >= 0 && shape[sd] != 1 && shape[sd] != x->size[xd])))
      sp_groups_pin_value(g, x, xd, "Expand shape is not constant");
    pass_dim(g, r, d, x, xd);
  }
}

/* Which uses of shape data are rewritten by sp-prune in shrink mode. */
static int rewritten_use(const char *type, unsigned pos) {
  return (!strcmp(type, "Reshape") && pos == 1) || (!strcmp(type, "Slice") && pos >= 1) ||
         (!strcmp(type, "Expand") && pos == 1) || (!strcmp(type, "Split") && pos == 1);
}

static int shape_arith(const char *type) {
  static const char *const ops[] = {"Gather", "Unsqueeze", "Squeeze", "Concat", "Cast",
                                    "Add",    "Sub",       "Mul",     "Div",    "Identity",
                                    "Equal",  "Where",     "Max",     "Min",    "Floor",
                                    "Ceil",   "Reshape",   "Slice",   "Sqrt",   NULL};
  for (int i = 0; ops[i]; ++i)
    if (!strcmp(type, ops[i]))
      return 1;
  return 0;
}

/* Does shape data flowing out of v reach a use sp-prune does not rewrite? */
static int escapes(MlirValue v, int depth) {
  if (depth > 32)
    return 1;
  for (MlirOpOperand use = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(use);
       use = mlirOpOperandGetNextUse(use)) {
    MlirOperation user = mlirOpOperandGetOwner(use);
    char type[64];
    sp_op_type(user, type, sizeof type);
    unsigned pos = mlirOpOperandGetOperandNumber(use);
    if (!type[0])
      return 1; // func.return
    if (rewritten_use(type, pos))
      continue;
    if (!shape_arith(type))
      return 1;
    for (intptr_t i = 0; i < mlirOperationGetNumResults(user); ++i)
      if (escapes(mlirOperationGetResult(user, i), depth + 1))
        return 1;
  }
  return 0;
}

static void rule_shape(sp_groups *g, MlirOperation op, const char *type) {
  sp_value_info *x = operand(g, op, 0);
  if (!x)
    return;
  MlirValue s = mlirOperationGetResult(op, 0);
  int64_t start = 0, end = x->rank;
  if (!strcmp(type, "Shape")) {
    start = norm_axis(sp_op_attr_int(op, "start", 0), x->rank);
    end = norm_axis(sp_op_attr_int(op, "end", x->rank), x->rank);
  }
  // Gathers of single dims narrow what is read; anything else reads all.
  int all = !strcmp(type, "Size");
  for (MlirOpOperand use = mlirValueGetFirstUse(s); !all && !mlirOpOperandIsNull(use);
       use = mlirOpOperandGetNextUse(use)) {
    MlirOperation user = mlirOpOperandGetOwner(use);
    char ut[64];
    sp_op_type(user, ut, sizeof ut);
    int64_t idx[16];
    if (!strcmp(ut, "Gather") && mlirOpOperandGetOperandNumber(use) == 0 &&
        sp_eval_ints(g, mlirOperationGetOperand(user, 1), idx, 16) == 1) {
      int d = (int)(start + norm_axis(idx[0], (int)(end - start)));
      if (d >= 0 && d < x->rank && escapes(mlirOperationGetResult(user, 0), 0))
        sp_groups_pin_value(g, x, d, "dim read as shape data");
      continue;
    }
    if (!rewritten_use(ut, mlirOpOperandGetOperandNumber(use)) &&
        (!shape_arith(ut) || escapes(mlirOperationGetResult(user, 0), 0)))
      all = 1;
  }
  if (all)
    for (int64_t d = start; d < end && d < x->rank; ++d)
      sp_groups_pin_value(g, x, (int)d, "dim read as shape data");
}

/* --- Reshape, Flatten, Squeeze, Unsqueeze ---------------------------------- */

/* Concrete result sizes of a reshaping op; 0 on success. */
static int reshape_sizes(sp_groups *g, MlirOperation op, const char *type, sp_value_info *x,
                         sp_value_info *r) {
  int64_t in = 1;
  for (int d = 0; d < x->rank; ++d)
    in *= x->size[d];
  if (!strcmp(type, "Flatten")) {
    int axis = norm_axis(sp_op_attr_int(op, "axis", 1), x->rank);
    int64_t outer = 1;
    for (int d = 0; d < axis; ++d)
      outer *= x->size[d];
    if (r->rank != 2)
      return -1;
    r->size[0] = outer;
    r->size[1] = in / (outer ? outer : 1);
    return 0;
  }
  if (!strcmp(type, "Reshape")) {
    int64_t shape[16];
    int n = mlirOperationGetNumOperands(op) > 1
                ? sp_eval_ints(g, mlirOperationGetOperand(op, 1), shape, 16)
                : sp_op_attr_ints(op, "shape", shape, 16);
    if (n == r->rank) {
      int infer = -1;
      int64_t known = 1;
      for (int d = 0; d < n; ++d) {
        if (shape[d] == SP_UNKNOWN)
          return -1;
        if (shape[d] == 0 && !sp_op_attr_int(op, "allowzero", 0) && d < x->rank)
          shape[d] = x->size[d];
        if (shape[d] == -1)
          infer = d;
        else
          known *= shape[d];
      }
      if (infer >= 0)
        shape[infer] = known ? in / known : 0;
      for (int d = 0; d < n; ++d)
        r->size[d] = shape[d];
    }
  } else {
    // Squeeze/Unsqueeze keep the non-1 dims in order.
    int next = 0;
    for (int d = 0; d < r->rank; ++d) {
      if (!is_dynamic(r, d) && r->size[d] == 1)
        continue;
      while (next < x->rank && x->size[next] == 1 && !is_dynamic(x, next))
        next++;
      if (next < x->rank && is_dynamic(r, d))
        r->size[d] = x->size[next];
      next++;
    }
  }
  int64_t out = 1;
  for (int d = 0; d < r->rank; ++d)
    out *= r->size[d];
  return out == in ? 0 : -1;
}

/* Splits list L of x's dim xd (size a = outer * inner) onto r's dims. */
/* Splits (x, xd) of size outer*inner into (r, od) (outer) and (t, td)
 * (inner). Returns 1 when the channels went to the outer dim. */
static int split_dim(sp_groups *g, sp_value_info *x, int xd, sp_value_info *r, int od,
                     sp_value_info *t, int td, int64_t outer, int64_t inner, const char *why) {
  sp_seglist *l = &x->dims[xd];
  if (!has_origin(g, x, xd))
    return 1;
  // Rows: every segment inside one row of `inner` channels, same layout per row.
  int rows_ok = 1;
  for (int32_t s = 0; s < l->n && rows_ok; ++s)
    rows_ok = l->segs[s].start / inner ==
              (l->segs[s].start + l->segs[s].channels - 1) / inner;
  if (rows_ok) {
    int32_t per_row = 0;
    while (per_row < l->n && l->segs[per_row].start < inner)
      per_row++;
    if (per_row * outer == l->n) {
      for (int64_t row = 1; row < outer && rows_ok; ++row)
        for (int32_t s = 0; s < per_row && rows_ok; ++s) {
          const sp_segment *a = &l->segs[s], *b = &l->segs[row * per_row + s];
          rows_ok = b->start == a->start + row * inner && b->channels == a->channels;
        }
      if (rows_ok) {
        for (int64_t row = 1; row < outer; ++row)
          for (int32_t s = 0; s < per_row; ++s)
            sp_gi_union(g, l->segs[s].group, l->segs[row * per_row + s].group);
        for (int32_t s = 0; s < per_row; ++s)
          sp_gi_push(g, t, td, l->segs[s].group, l->segs[s].start, l->segs[s].channels);
        return 0;
      }
    }
  }
  // Blocks: every segment a whole number of rows -> the outer dim (heads).
  for (int32_t s = 0; s < l->n; ++s)
    if (l->segs[s].start % inner || l->segs[s].channels % inner) {
      sp_groups_pin_value(g, x, xd, why);
      sp_gi_pin_fresh(g, r, od, why);
      sp_gi_pin_fresh(g, t, td, why);
      return 1;
    }
  for (int32_t s = 0; s < l->n; ++s) {
    sp_group *root = &g->raw[sp_groups_find(g, l->segs[s].group)];
    int64_t rows = l->segs[s].channels / inner;
    int64_t u = root->units, k = rows;
    while (k) { // gcd
      int64_t t = u % k;
      u = k;
      k = t;
    }
    // Units that become whole rows (a norm group, a head) are heads; a merge
    // undone (units already rows) is not.
    root->head |= u != root->units;
    root->units = u;
    sp_gi_push(g, r, od, l->segs[s].group, l->segs[s].start / inner, rows);
  }
  return 1;
}

/* Merge x[i0..i1) into r[rd]: only one of the dims may carry channels. */
static void reshape_merge(sp_groups *g, sp_value_info *x, int i0, int i1, sp_value_info *r,
                          int rd) {
  int carrier = -1, count = 0;
  for (int d = i0; d < i1; ++d)
    if (x->size[d] > 1 && has_origin(g, x, d))
      carrier = d, count++;
  if (count > 1) {
    for (int d = i0; d < i1; ++d)
      sp_groups_pin_value(g, x, d, "reshape merges two channel dims");
    sp_gi_pin_fresh(g, r, rd, "reshape merges two channel dims");
    return;
  }
  if (carrier < 0) {
    // No channels yet; a dim that gains them later must not be cut off.
    int big = 0, only = -1;
    for (int d = i0; d < i1; ++d)
      if (x->size[d] > 1)
        big++, only = d;
    if (big == 1) {
      sp_gi_copy(g, r, rd, x, only, 1);
    } else {
      for (int d = i0; d < i1; ++d)
        sp_groups_pin_value(g, x, d, "reshape merges dims");
      sp_gi_pin_fresh(g, r, rd, "reshape merges dims");
    }
    return;
  }
  int64_t inner = 1, outer = 1;
  for (int d = carrier + 1; d < i1; ++d)
    inner *= x->size[d];
  for (int d = i0; d < carrier; ++d)
    outer *= x->size[d];
  for (int64_t o = 0; o < outer; ++o) {
    const sp_seglist *l = &x->dims[carrier];
    int64_t base = o * x->size[carrier] * inner;
    for (int32_t s = 0; s < l->n; ++s)
      sp_gi_push(g, r, rd, l->segs[s].group, base + l->segs[s].start * inner,
                 l->segs[s].channels * inner);
  }
}

/* Is dim d of v only ever taken apart one index at a time (every use, through
 * Transposes, a Gather of one constant index along it: Swin's `qkv[0]`)? */
static int unstacked(sp_groups *g, MlirValue v, int d, int depth) {
  MlirOpOperand use = mlirValueGetFirstUse(v);
  if (depth > 8 || mlirOpOperandIsNull(use))
    return 0;
  for (; !mlirOpOperandIsNull(use); use = mlirOpOperandGetNextUse(use)) {
    MlirOperation user = mlirOpOperandGetOwner(use);
    char type[64];
    sp_op_type(user, type, sizeof type);
    if (mlirOpOperandGetOperandNumber(use) != 0)
      return 0;
    MlirType t = mlirValueGetType(v);
    if (!strcmp(type, "Gather")) {
      int rank = (int)mlirShapedTypeGetRank(t);
      if (norm_axis(sp_op_attr_int(user, "axis", 0), rank) != d ||
          gather_index(g, user, mlirShapedTypeGetDimSize(t, d)) < 0)
        return 0;
      continue;
    }
    int64_t perm[16];
    int n = sp_op_attr_ints(user, "perm", perm, 16), rd = -1;
    if (strcmp(type, "Transpose") || n < 0)
      return 0;
    for (int i = 0; i < n; ++i)
      if (perm[i] == d)
        rd = i;
    if (rd < 0 || !unstacked(g, mlirOperationGetResult(user, 0), rd, depth + 1))
      return 0;
  }
  return 1;
}

/* Split x[xd] into the non-1 dims of r[j0..j1), outermost first; the inner
 * remainder lives in a scratch value until the last step. */
static void reshape_split(sp_groups *g, sp_value_info *x, int xd, sp_value_info *r, int j0,
                          int j1) {
  if (!has_origin(g, x, xd)) {
    sp_groups_pin_value(g, x, xd, "reshape splits dims");
    for (int d = j0; d < j1; ++d)
      sp_gi_pin_fresh(g, r, d, "reshape splits dims");
    return;
  }
  int dims[16], m = 0;
  for (int d = j0; d < j1 && m < 16; ++d)
    if (r->size[d] > 1)
      dims[m++] = d;
  // An outer dim only ever indexed one entry at a time (q, k, v of a fused
  // projection) holds no units: cut the channels at its rows so the rows
  // case pairs them and the dims inside (heads) carry the group.
  if (m > 1 && unstacked(g, r->value, dims[0], 0)) {
    int64_t row = x->size[xd] / r->size[dims[0]];
    for (int64_t o = 1; o < r->size[dims[0]]; ++o)
      if (sp_gi_refine_at(g, x, xd, o * row))
        break;
  }
  sp_value_info *cur = x;
  int cd = xd;
  int64_t rest = x->size[xd];
  for (int k = 0; k + 1 < m; ++k) {
    rest /= r->size[dims[k]];
    sp_value_info *t = r;
    int td = dims[k + 1];
    if (k + 2 < m) {
      t = sp_gi_scratch(g, 1, &rest, x->value);
      td = 0;
    }
    if (split_dim(g, cur, cd, r, dims[k], t, td, r->size[dims[k]], rest,
                  "reshape splits a unit of a group"))
      break;
    cur = t;
    cd = td;
  }
}

/* Several dims of x become several dims of r (GroupNorm's (N, C, H, W) ->
 * (N, G, C/G*H*W) and back): through the common refinement of both shapes,
 * when their strides divide each other, as a split into it and a merge out
 * of it. 0 on success, -1 when there is none. */
static int reshape_regroup(sp_groups *g, sp_value_info *x, int i0, int i1, sp_value_info *r,
                           int j0, int j1) {
  enum { MAXF = 32 };
  int64_t strides[MAXF + 1];
  int n = 0;
  int64_t inner = 1;
  for (int pass = 0; pass < 2; ++pass) { // suffix products of both runs
    sp_value_info *v = pass ? r : x;
    int lo = pass ? j0 : i0, hi = pass ? j1 : i1;
    inner = 1;
    for (int d = hi - 1; d >= lo; --d) {
      int seen = 0;
      for (int k = 0; k < n; ++k)
        seen |= strides[k] == inner;
      if (!seen && n < MAXF)
        strides[n++] = inner;
      inner *= v->size[d];
    }
  }
  for (int a = 0; a < n; ++a) // descending
    for (int b = a + 1; b < n; ++b)
      if (strides[b] > strides[a]) {
        int64_t t = strides[a];
        strides[a] = strides[b];
        strides[b] = t;
      }
  int64_t total = inner, f[MAXF];
  for (int k = 0; k < n; ++k) {
    int64_t above = k ? strides[k - 1] : total;
    if (above % strides[k])
      return -1;
    f[k] = above / strides[k];
  }
  // A dim with inner product p and size s covers the fine dims whose
  // strides lie in [p, p*s).
  sp_value_info *fine = sp_gi_scratch(g, n, f, x->value);
  for (int pass = 0; pass < 2; ++pass) {
    sp_value_info *v = pass ? r : x;
    int lo = pass ? j0 : i0, hi = pass ? j1 : i1;
    int64_t p = 1;
    for (int d = hi - 1; d >= lo; --d) {
      int last = 0;
      while (strides[last] != p)
        last++;
      p *= v->size[d];
      int first = last;
      while (first > 0 && strides[first - 1] < p)
        first--;
      if (v->size[d] == 1)
        continue;
      if (!pass) { // x dim d -> fine[first..last]
        if (first == last)
          sp_gi_copy(g, fine, first, x, d, 1);
        else
          reshape_split(g, x, d, fine, first, last + 1);
      } else { // fine[first..last] -> r dim d
        if (first == last)
          pass_dim(g, r, d, fine, first);
        else
          reshape_merge(g, fine, first, last + 1, r, d);
      }
    }
  }
  return 0;
}

/* A Reshape whose leading sizes are unknown (Swin's `attn.view(B // nW, nW,
 * heads, N, N)`): the static dims both shapes end with map 1:1 (the flat
 * index splits the same way), the leading dims are pinned. */
static void reshape_suffix(sp_groups *g, MlirOperation op, sp_value_info *x, sp_value_info *r,
                           const char *why) {
  int i = x->rank, j = r->rank;
  MlirType xt = mlirValueGetType(x->value), rt = mlirValueGetType(r->value);
  while (i > 0 && j > 0 && !is_dynamic(x, i - 1) && !is_dynamic(r, j - 1) &&
         mlirShapedTypeGetDimSize(xt, i - 1) == mlirShapedTypeGetDimSize(rt, j - 1))
    i--, j--;
  if (j == r->rank) {
    sp_gi_pin_all(g, op, why);
    return;
  }
  for (int d = 0; d < i; ++d)
    sp_groups_pin_value(g, x, d, why);
  for (int d = 0; d < j; ++d) {
    if (is_dynamic(r, d) && r->size[d] < 1) // a failed evaluation's leftovers
      r->size[d] = 1;
    sp_gi_pin_fresh(g, r, d, why);
  }
  for (int d = j; d < r->rank; ++d) {
    r->size[d] = mlirShapedTypeGetDimSize(rt, d);
    pass_dim(g, r, d, x, d - j + i);
  }
}

static void rule_reshape(sp_groups *g, MlirOperation op, const char *type) {
  sp_value_info *x = operand(g, op, 0), *r = result(g, op, 0);
  if (!x)
    return;
  if (reshape_sizes(g, op, type, x, r)) {
    reshape_suffix(g, op, x, r, "reshape with unknown target");
    return;
  }
  if (!strcmp(type, "Reshape")) {
    int dyn = 0, copyable = 0;
    for (int d = 0; d < r->rank; ++d)
      if (is_dynamic(r, d)) {
        dyn++;
        copyable += d < x->rank && is_dynamic(x, d) && x->size[d] == r->size[d];
      }
    if (dyn > 1 && dyn - copyable > 1) {
      reshape_suffix(g, op, x, r, "Reshape target has several dynamic dims");
      return;
    }
  }
  // Walk both shapes, pairing runs of dims with equal products.
  int i = 0, j = 0;
  while (i < x->rank || j < r->rank) {
    while (i < x->rank && x->size[i] == 1)
      i++;
    while (j < r->rank && r->size[j] == 1)
      j++;
    if (i >= x->rank || j >= r->rank)
      break;
    int i0 = i, j0 = j;
    int64_t pi = x->size[i++], pj = r->size[j++];
    while (pi != pj) {
      if (pi < pj && i < x->rank)
        pi *= x->size[i++];
      else if (pj < pi && j < r->rank)
        pj *= r->size[j++];
      else
        break;
    }
    if (pi != pj) {
      for (int d = i0; d < x->rank; ++d)
        sp_groups_pin_value(g, x, d, "reshape regroups dims");
      for (int d = j0; d < r->rank; ++d)
        sp_gi_pin_fresh(g, r, d, "reshape regroups dims");
      break;
    }
    int ni = i - i0, nj = j - j0;
    if (ni == 1 && nj == 1) {
      pass_dim(g, r, j0, x, i0);
    } else if (nj == 1) {
      reshape_merge(g, x, i0, i, r, j0);
    } else if (ni == 1) {
      reshape_split(g, x, i0, r, j0, j);
    } else if (reshape_regroup(g, x, i0, i, r, j0, j)) {
      for (int d = i0; d < i; ++d)
        sp_groups_pin_value(g, x, d, "reshape regroups dims");
      for (int d = j0; d < j; ++d)
        sp_gi_pin_fresh(g, r, d, "reshape regroups dims");
    }
  }
}

/* --- dispatch -------------------------------------------------------------- */

void sp_coupling_apply(sp_groups *g, MlirOperation op, const char *type, const sp_coupling *c) {
  switch (c->kind) {
  case SP_COUPLE_SOURCE: {
    sp_value_info *r = result(g, op, 0);
    MlirType t = mlirValueGetType(r->value);
    r->is_weight = r->rank > 0 && mlirTypeIsAFloat(mlirShapedTypeGetElementType(t));
    if (!r->is_weight) // integer constants carry no channels
      for (int d = 0; d < r->rank; ++d)
        r->size[d] = r->size[d] > 1 ? r->size[d] : 1;
    break;
  }
  case SP_COUPLE_IDENTITY: rule_identity(g, op); break;
  case SP_COUPLE_BROADCAST: rule_broadcast(g, op, type); break;
  case SP_COUPLE_SAME_SIZE: rule_same_size(g, op); break;
  case SP_COUPLE_NORM: rule_norm(g, op, type, c); break;
  case SP_COUPLE_SOFTMAX: rule_softmax(g, op, type); break;
  case SP_COUPLE_REDUCE: rule_reduce(g, op, type); break;
  case SP_COUPLE_CONV: rule_conv(g, op); break;
  case SP_COUPLE_CONV_TRANSPOSE: rule_conv_transpose(g, op); break;
  case SP_COUPLE_GEMM: rule_gemm(g, op); break;
  case SP_COUPLE_MATMUL: rule_matmul(g, op); break;
  case SP_COUPLE_CONCAT: rule_concat(g, op); break;
  case SP_COUPLE_SPLIT: rule_split(g, op); break;
  case SP_COUPLE_SLICE: rule_slice(g, op); break;
  case SP_COUPLE_RESHAPE: rule_reshape(g, op, type); break;
  case SP_COUPLE_TRANSPOSE: rule_transpose(g, op); break;
  case SP_COUPLE_GATHER: rule_gather(g, op); break;
  case SP_COUPLE_EXPAND: rule_expand(g, op); break;
  case SP_COUPLE_SHAPE: rule_shape(g, op, type); break;
  case SP_COUPLE_RECURRENT: rule_recurrent(g, op, type); break;
  case SP_COUPLE_PAD: rule_pad(g, op); break;
  case SP_COUPLE_EINSUM: rule_einsum(g, op); break;
  case SP_COUPLE_NONE:
  case SP_COUPLE_OPAQUE: break;
  }
}

/* Evaluation of small integer tensors (shape data) for the group analysis:
 * torch exports Reshape targets and Slice bounds as Shape -> Gather ->
 * Unsqueeze -> Concat chains; evaluating them on the concrete sizes (a
 * dynamic dim counts as 1, as in sp-model-stats) tells the analysis what a
 * Reshape or Slice does without waiting for sp-canonicalize. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <string.h>

#include "groups_internal.h"
#include "sp/dialect.h"
#include "sp/weights.h"

#define EVAL_MAX 64

typedef struct evaluated {
  int n; /* -1: not evaluable */
  int64_t v[EVAL_MAX];
} evaluated;

static int read_elements(MlirAttribute attr, int64_t *out, int max) {
  if (mlirAttributeIsNull(attr) || !mlirAttributeIsAElements(attr))
    return -1;
  MlirType t = mlirAttributeGetType(attr);
  MlirType elem = mlirShapedTypeGetElementType(t);
  if (!mlirTypeIsAInteger(elem))
    return -1;
  if (!mlirShapedTypeHasRank(t))
    return -1;
  int64_t n = 1;
  for (intptr_t d = 0; d < mlirShapedTypeGetRank(t); ++d)
    n *= mlirShapedTypeGetDimSize(t, d);
  if (n > max)
    return -1;
  const void *data;
  size_t size;
  if (sp_weight_data(attr, &data, &size, NULL))
    return -1;
  unsigned w = mlirIntegerTypeGetWidth(elem);
  for (int64_t i = 0; i < n; ++i) {
    if (w == 64)
      memcpy(&out[i], (const char *)data + i * 8, 8);
    else if (w == 32) {
      int32_t x;
      memcpy(&x, (const char *)data + i * 4, 4);
      out[i] = x;
    } else
      return -1;
  }
  return (int)n;
}

static int64_t binop(const char *type, int64_t a, int64_t b) {
  if (a == SP_UNKNOWN || b == SP_UNKNOWN)
    return SP_UNKNOWN;
  if (!strcmp(type, "Add")) return a + b;
  if (!strcmp(type, "Sub")) return a - b;
  if (!strcmp(type, "Mul")) return a * b;
  if (!strcmp(type, "Div")) return b ? a / b : SP_UNKNOWN;
  if (!strcmp(type, "Equal")) return a == b;
  if (!strcmp(type, "Max")) return a > b ? a : b;
  if (!strcmp(type, "Min")) return a < b ? a : b;
  return SP_UNKNOWN;
}

static int eval(sp_groups *g, MlirValue v, evaluated *e, int depth);

static int eval_operand(sp_groups *g, MlirOperation op, intptr_t i, evaluated *e, int depth) {
  if (i >= mlirOperationGetNumOperands(op))
    return -1;
  return eval(g, mlirOperationGetOperand(op, i), e, depth + 1);
}

static int64_t norm_index(int64_t i, int64_t n) { return i < 0 ? i + n : i; }

/* Static shape of v's type (a 1-D value takes its evaluated length n); rank or -1. */
static int static_shape(MlirValue v, int n, int64_t *shape) {
  MlirType t = mlirValueGetType(v);
  if (!mlirShapedTypeHasRank(t) || mlirShapedTypeGetRank(t) > 4)
    return -1;
  int rank = (int)mlirShapedTypeGetRank(t);
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    shape[d] = mlirShapedTypeGetDimSize(t, d);
    if (mlirShapedTypeIsDynamicSize(shape[d]))
      shape[d] = rank == 1 ? n : -1;
    if (shape[d] < 0)
      return -1;
    count *= shape[d];
  }
  return count == n ? rank : -1;
}

/* Slice of a small tensor of rank <= 4 with any steps (torch's Pad exports
 * reverse the rows of the pads with step -1). */
static int eval_slice(sp_groups *g, MlirOperation op, evaluated *e, int depth) {
  evaluated a, st, en, ax, sp;
  int64_t shape[4], from[4] = {0}, step[4] = {1, 1, 1, 1}, count[4];
  if (eval_operand(g, op, 0, &a, depth) < 0)
    return -1;
  int rank = static_shape(mlirOperationGetOperand(op, 0), a.n, shape);
  int n = eval_operand(g, op, 1, &st, depth);
  if (rank < 0 || n < 1 || n > rank || eval_operand(g, op, 2, &en, depth) != n)
    return -1;
  intptr_t no = mlirOperationGetNumOperands(op);
  if (no > 3 && eval_operand(g, op, 3, &ax, depth) != n)
    return -1;
  if (no > 4 && eval_operand(g, op, 4, &sp, depth) != n)
    return -1;
  for (int d = 0; d < rank; ++d)
    count[d] = shape[d];
  for (int i = 0; i < n; ++i) {
    int64_t axis = no > 3 ? norm_index(ax.v[i], rank) : i, k = no > 4 ? sp.v[i] : 1;
    if (axis < 0 || axis >= rank || !k || st.v[i] == SP_UNKNOWN || en.v[i] == SP_UNKNOWN)
      return -1;
    int64_t dim = shape[axis], s = st.v[i], t = en.v[i];
    s = s < 0 ? s + dim : s;
    t = t < 0 ? (t < -dim ? -1 : t + dim) : t;
    if (k > 0) {
      s = s < 0 ? 0 : s > dim ? dim : s;
      t = t < 0 ? 0 : t > dim ? dim : t;
      count[axis] = t > s ? (t - s + k - 1) / k : 0;
    } else {
      s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
      t = t < -1 ? -1 : t > dim - 1 ? dim - 1 : t;
      count[axis] = s > t ? (s - t - k - 1) / -k : 0;
    }
    from[axis] = s;
    step[axis] = k;
  }
  int64_t total = 1, idx[4] = {0};
  for (int d = 0; d < rank; ++d)
    total *= count[d];
  if (total > EVAL_MAX)
    return -1;
  for (int64_t i = 0; i < total; ++i) {
    int64_t flat = 0;
    for (int d = 0; d < rank; ++d)
      flat = flat * shape[d] + from[d] + idx[d] * step[d];
    e->v[i] = a.v[flat];
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < count[d])
        break;
      idx[d] = 0;
    }
  }
  return e->n = (int)total;
}

/* Transpose of a small tensor of rank <= 4 (torch's Pad exports). */
static int eval_transpose(sp_groups *g, MlirOperation op, evaluated *e, int depth) {
  evaluated a;
  int64_t shape[4], perm[4], idx[4] = {0};
  if (eval_operand(g, op, 0, &a, depth) < 0)
    return -1;
  int rank = static_shape(mlirOperationGetOperand(op, 0), a.n, shape);
  if (rank < 0)
    return -1;
  if (sp_op_attr_ints(op, "perm", perm, 4) != rank)
    for (int d = 0; d < rank; ++d)
      perm[d] = rank - 1 - d;
  for (int64_t i = 0; i < a.n; ++i) { // i walks the result in order
    int64_t flat = 0;
    for (int d = 0; d < rank; ++d) { // input index: dim perm[j] is idx[j]
      int64_t at = 0;
      for (int j = 0; j < rank; ++j)
        if (perm[j] == d)
          at = idx[j];
      flat = flat * shape[d] + at;
    }
    e->v[i] = a.v[flat];
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < shape[perm[d]])
        break;
      idx[d] = 0;
    }
  }
  return e->n = a.n;
}

static int eval_op(sp_groups *g, MlirOperation op, evaluated *e, int depth) {
  char type[64];
  sp_op_type(op, type, sizeof type);
  evaluated a, b, c;
  if (!strcmp(type, "Constant") || !strcmp(type, "Initializer")) {
    e->n = read_elements(mlirOperationGetAttributeByName(op, sp_str("value")), e->v, EVAL_MAX);
    return e->n;
  }
  if (!strcmp(type, "Shape") || !strcmp(type, "Size")) {
    sp_value_info *x = sp_groups_value(g, mlirOperationGetOperand(op, 0));
    if (!x || x->rank < 0)
      return -1;
    if (!strcmp(type, "Size")) {
      e->n = 1;
      e->v[0] = 1;
      for (int d = 0; d < x->rank; ++d)
        e->v[0] *= x->size[d];
      return 1;
    }
    int64_t start = norm_index(sp_op_attr_int(op, "start", 0), x->rank);
    int64_t end = norm_index(sp_op_attr_int(op, "end", x->rank), x->rank);
    if (end > x->rank)
      end = x->rank;
    e->n = 0;
    for (int64_t d = start < 0 ? 0 : start; d < end && e->n < EVAL_MAX; ++d)
      e->v[e->n++] = x->size[d];
    return e->n;
  }
  if (!strcmp(type, "Identity") || !strcmp(type, "Cast") || !strcmp(type, "Unsqueeze") ||
      !strcmp(type, "Squeeze") || !strcmp(type, "Reshape") || !strcmp(type, "Flatten")) {
    *e = (evaluated){0};
    return e->n = eval_operand(g, op, 0, e, depth);
  }
  if (!strcmp(type, "Gather")) {
    if (sp_op_attr_int(op, "axis", 0) != 0 || eval_operand(g, op, 0, &a, depth) < 0 ||
        eval_operand(g, op, 1, &b, depth) < 0)
      return -1;
    e->n = b.n;
    for (int i = 0; i < b.n; ++i) {
      int64_t k = norm_index(b.v[i], a.n);
      if (b.v[i] == SP_UNKNOWN || k < 0 || k >= a.n)
        return -1;
      e->v[i] = a.v[k];
    }
    return e->n;
  }
  if (!strcmp(type, "Concat")) {
    e->n = 0;
    for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i) {
      if (eval_operand(g, op, i, &a, depth) < 0 || e->n + a.n > EVAL_MAX)
        return -1;
      memcpy(e->v + e->n, a.v, (size_t)a.n * sizeof a.v[0]);
      e->n += a.n;
    }
    return e->n;
  }
  if (!strcmp(type, "Add") || !strcmp(type, "Sub") || !strcmp(type, "Mul") ||
      !strcmp(type, "Div") || !strcmp(type, "Equal") || !strcmp(type, "Max") ||
      !strcmp(type, "Min")) {
    if (mlirOperationGetNumOperands(op) != 2 || eval_operand(g, op, 0, &a, depth) < 0 ||
        eval_operand(g, op, 1, &b, depth) < 0)
      return -1;
    if (a.n != b.n && a.n != 1 && b.n != 1)
      return -1;
    e->n = a.n > b.n ? a.n : b.n;
    for (int i = 0; i < e->n; ++i)
      e->v[i] = binop(type, a.v[a.n == 1 ? 0 : i], b.v[b.n == 1 ? 0 : i]);
    return e->n;
  }
  if (!strcmp(type, "Where")) {
    if (eval_operand(g, op, 0, &c, depth) < 0 || eval_operand(g, op, 1, &a, depth) < 0 ||
        eval_operand(g, op, 2, &b, depth) < 0)
      return -1;
    e->n = c.n > a.n ? c.n : a.n;
    if (b.n > e->n)
      e->n = b.n;
    for (int i = 0; i < e->n; ++i) {
      int64_t cv = c.v[c.n == 1 ? 0 : i];
      e->v[i] = cv == SP_UNKNOWN ? SP_UNKNOWN : cv ? a.v[a.n == 1 ? 0 : i] : b.v[b.n == 1 ? 0 : i];
    }
    return e->n;
  }
  if (!strcmp(type, "ConstantOfShape")) {
    if (eval_operand(g, op, 0, &a, depth) < 0)
      return -1;
    int64_t n = 1;
    for (int i = 0; i < a.n; ++i)
      n *= a.v[i];
    if (n < 0 || n > EVAL_MAX)
      return -1;
    int64_t fill = 0;
    MlirAttribute val = mlirOperationGetAttributeByName(op, sp_str("value"));
    if (!mlirAttributeIsNull(val) && read_elements(val, &fill, 1) != 1)
      return -1;
    e->n = (int)n;
    for (int i = 0; i < e->n; ++i)
      e->v[i] = fill;
    return e->n;
  }
  if (!strcmp(type, "Slice"))
    return eval_slice(g, op, e, depth);
  if (!strcmp(type, "Transpose"))
    return eval_transpose(g, op, e, depth);
  return -1;
}

static int eval(sp_groups *g, MlirValue v, evaluated *e, int depth) {
  if (depth > 64 || !mlirValueIsAOpResult(v))
    return -1;
  evaluated *memo = sp_map_get_ptr(&g->evaluated, v.ptr, NULL);
  if (!memo) {
    memo = sp_arena_alloc(&g->arena, sizeof *memo);
    MlirOperation op = mlirOpResultGetOwner(v);
    memo->n = mlirOperationGetNumResults(op) == 1 ? eval_op(g, op, memo, depth) : -1;
    if (memo->n < 0)
      memo->n = -1;
    sp_map_put_ptr(&g->evaluated, v.ptr, memo);
  }
  *e = *memo;
  return e->n;
}

int sp_eval_ints(sp_groups *g, MlirValue v, int64_t *out, int max) {
  evaluated e;
  if (eval(g, v, &e, 0) < 0 || e.n > max)
    return -1;
  memcpy(out, e.v, (size_t)e.n * sizeof e.v[0]);
  return e.n;
}

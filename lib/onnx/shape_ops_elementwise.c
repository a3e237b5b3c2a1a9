/* shape_ops_elementwise.c - unary, broadcasting binary/variadic ops, Where,
 * Cast; with value propagation for small tensors (shape arithmetic). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "shape_ops.h"

/* ---- value helpers ---- */

/* 1 if the output is small and static and every input has values. */
static int values_computable(const sp_value_info *const *ins, int n,
                             const sp_value_info *out) {
  int64_t count = sp_numel(out);
  if (count < 0 || count > SP_MAX_KNOWN_VALUES)
    return 0;
  for (int k = 0; k < n; ++k)
    if (!ins[k] || (!sp_has_ints(ins[k]) && !ins[k]->has_float_value))
      return 0;
  return 1;
}

static double as_double(const sp_value_info *v, int64_t i) {
  return v->has_float_value ? v->float_value[i] : (double)v->value[i];
}

/* ---- binary kernels ---- */

/* Binary ops that value propagation evaluates; resolved once per node. */
typedef enum binary_op {
  B_NONE,
  B_ADD,
  B_SUB,
  B_MUL,
  B_DIV,
  B_MOD,
  B_POW,
  B_MIN,
  B_MAX,
  B_EQUAL,
  B_LESS,
  B_GREATER,
  B_LESS_EQUAL,
  B_GREATER_EQUAL,
  B_AND,
  B_OR,
  B_XOR,
  B_BIT_AND,
  B_BIT_OR,
  B_BIT_XOR,
} binary_op;

static binary_op binary_op_of(const char *op_type) {
  static const struct {
    const char *name;
    binary_op op;
  } ops[] = {
      {"Add", B_ADD},
      {"Sum", B_ADD},
      {"Sub", B_SUB},
      {"Mul", B_MUL},
      {"Div", B_DIV},
      {"Mod", B_MOD},
      {"Pow", B_POW},
      {"Min", B_MIN},
      {"Max", B_MAX},
      {"Equal", B_EQUAL},
      {"Less", B_LESS},
      {"Greater", B_GREATER},
      {"LessOrEqual", B_LESS_EQUAL},
      {"GreaterOrEqual", B_GREATER_EQUAL},
      {"And", B_AND},
      {"Or", B_OR},
      {"Xor", B_XOR},
      {"BitwiseAnd", B_BIT_AND},
      {"BitwiseOr", B_BIT_OR},
      {"BitwiseXor", B_BIT_XOR},
  };
  for (size_t i = 0; i < sizeof ops / sizeof *ops; ++i)
    if (!strcmp(op_type, ops[i].name))
      return ops[i].op;
  return B_NONE;
}

/* a op b on known ints; 0 when the result is not representable. */
static int int_op(binary_op op, int64_t a, int64_t b, int python_mod,
                  int64_t *r) {
  switch (op) {
  case B_ADD:
    return !__builtin_add_overflow(a, b, r);
  case B_SUB:
    return !__builtin_sub_overflow(a, b, r);
  case B_MUL:
    return !__builtin_mul_overflow(a, b, r);
  case B_DIV: // ONNX integer Div truncates like C
  case B_MOD:
    if (b == 0 || (a == INT64_MIN && b == -1))
      return 0;
    *r = op == B_DIV ? a / b : a % b;
    if (op == B_MOD && python_mod && *r != 0 && ((*r < 0) != (b < 0)))
      *r += b; // fmod=0: the result takes the divisor's sign
    return 1;
  case B_POW: {
    double p = pow((double)a, (double)b);
    if (!(fabs(p) < 9.0e15))
      return 0;
    *r = (int64_t)p;
    return 1;
  }
  case B_MIN:
    *r = a < b ? a : b;
    return 1;
  case B_MAX:
    *r = a > b ? a : b;
    return 1;
  case B_EQUAL:
    *r = a == b;
    return 1;
  case B_LESS:
    *r = a < b;
    return 1;
  case B_GREATER:
    *r = a > b;
    return 1;
  case B_LESS_EQUAL:
    *r = a <= b;
    return 1;
  case B_GREATER_EQUAL:
    *r = a >= b;
    return 1;
  case B_AND:
    *r = a && b;
    return 1;
  case B_OR:
    *r = a || b;
    return 1;
  case B_XOR:
    *r = !a != !b;
    return 1;
  case B_BIT_AND:
    *r = a & b;
    return 1;
  case B_BIT_OR:
    *r = a | b;
    return 1;
  case B_BIT_XOR:
    *r = a ^ b;
    return 1;
  default:
    return 0;
  }
}

static int float_op(binary_op op, double a, double b, int python_mod,
                    double *r) {
  switch (op) {
  case B_ADD:
    *r = a + b;
    return 1;
  case B_SUB:
    *r = a - b;
    return 1;
  case B_MUL:
    *r = a * b;
    return 1;
  case B_DIV:
    *r = a / b;
    return 1;
  case B_POW:
    *r = pow(a, b);
    return 1;
  case B_MOD:
    *r = fmod(a, b);
    if (python_mod && *r != 0 && ((*r < 0) != (b < 0)))
      *r += b;
    return 1;
  case B_MIN:
    *r = a < b ? a : b;
    return 1;
  case B_MAX:
    *r = a > b ? a : b;
    return 1;
  case B_EQUAL:
    *r = a == b;
    return 1;
  case B_LESS:
    *r = a < b;
    return 1;
  case B_GREATER:
    *r = a > b;
    return 1;
  case B_LESS_EQUAL:
    *r = a <= b;
    return 1;
  case B_GREATER_EQUAL:
    *r = a >= b;
    return 1;
  default:
    return 0;
  }
}

/* An unknown operand keeps its name through x+0, x-0, x*1, x/1. */
static int keeps_param(binary_op op, int64_t other, int unknown_is_left) {
  switch (op) {
  case B_ADD:
    return other == 0;
  case B_MUL:
    return other == 1;
  case B_SUB:
    return unknown_is_left && other == 0;
  case B_DIV:
    return unknown_is_left && other == 1;
  default:
    return 0;
  }
}

/* Element k of a op b where an operand may be a partial value's unknown. */
/* A named unknown is a dim (>= 0): compared with a negative constant (torch's
 * `expand(n, -1)` tests shape == -1) the result is known. 0 if it is not. */
static int compare_dim(binary_op op, int64_t x, const char *x_param, int64_t y,
                       const char *y_param, int64_t *r) {
  int dim_left = x == SP_UNKNOWN_VALUE && x_param && y != SP_UNKNOWN_VALUE;
  int dim_right = y == SP_UNKNOWN_VALUE && y_param && x != SP_UNKNOWN_VALUE;
  int64_t c = dim_left ? y : x;
  if ((!dim_left && !dim_right) || c >= 0)
    return 0;
  int dim_greater = 1; // dim > c
  switch (op) {
  case B_EQUAL:
    *r = 0;
    return 1;
  case B_LESS:
    *r = dim_left ? !dim_greater : dim_greater;
    return 1;
  case B_LESS_EQUAL:
    *r = dim_left ? !dim_greater : dim_greater;
    return 1;
  case B_GREATER:
    *r = dim_left ? dim_greater : !dim_greater;
    return 1;
  case B_GREATER_EQUAL:
    *r = dim_left ? dim_greater : !dim_greater;
    return 1;
  default:
    return 0;
  }
}

static int int_element(binary_op op, const sp_value_info *a, int64_t ia,
                       const sp_value_info *b, int64_t ib, int python_mod,
                       int64_t *r, const char **param) {
  int64_t x = a->value[ia], y = b->value[ib];
  *param = NULL;
  if (x != SP_UNKNOWN_VALUE && y != SP_UNKNOWN_VALUE)
    return int_op(op, x, y, python_mod, r);
  if (compare_dim(op, x, sp_value_param(a, ia), y, sp_value_param(b, ib), r))
    return 1;
  *r = SP_UNKNOWN_VALUE;
  if (x == SP_UNKNOWN_VALUE && y != SP_UNKNOWN_VALUE && keeps_param(op, y, 1))
    *param = sp_value_param(a, ia);
  else if (y == SP_UNKNOWN_VALUE && x != SP_UNKNOWN_VALUE &&
           keeps_param(op, x, 0))
    *param = sp_value_param(b, ib);
  return 1;
}

/* out = a op b elementwise, where out's shape is already broadcast. */
static void binary_values(const Onnx__NodeProto *node, const sp_value_info *a,
                          const sp_value_info *b, sp_value_info *out) {
  const sp_value_info *ins[2] = {a, b};
  binary_op op = binary_op_of(node->op_type);
  if (op == B_NONE || !values_computable(ins, 2, out))
    return;
  int python_mod = !sp_attr_int(node, "fmod", 0);
  int64_t n = sp_numel(out);
  int floats = a->has_float_value || b->has_float_value;
  int64_t ints[SP_MAX_KNOWN_VALUES];
  const char *params[SP_MAX_KNOWN_VALUES];
  double reals[SP_MAX_KNOWN_VALUES];
  for (int64_t k = 0; k < n; ++k) {
    int64_t ia = sp_broadcast_index(out, k, a);
    int64_t ib = sp_broadcast_index(out, k, b);
    int ok = floats ? float_op(op, as_double(a, ia), as_double(b, ib),
                               python_mod, &reals[k])
                    : int_element(op, a, ia, b, ib, python_mod, &ints[k],
                                  &params[k]);
    if (!ok)
      return;
  }
  if (!floats) {
    sp_set_int_values(out, ints, params, n);
  } else if (sp_is_float_type(out->elem_type)) {
    sp_set_float_values(out, reals, n);
  } else {
    for (int64_t k = 0; k < n; ++k)
      ints[k] = (int64_t)reals[k]; // comparisons of floats give bools
    sp_set_int_values(out, ints, NULL, n);
  }
}

/* ---- unary ---- */

// Y = f(X), same shape and type.
int sp_shape_unary(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  sp_same_as(&out[0], sp_in(in, n_in, 0));
  return 0;
}

static int unary_int(const char *op, int64_t x, int64_t *r) {
  if (!strcmp(op, "Neg"))
    return !__builtin_sub_overflow((int64_t)0, x, r);
  if (!strcmp(op, "Abs"))
    return x != INT64_MIN && ((*r = x < 0 ? -x : x), 1);
  if (!strcmp(op, "Sign")) {
    *r = (x > 0) - (x < 0);
    return 1;
  }
  if (!strcmp(op, "Relu")) {
    *r = x > 0 ? x : 0;
    return 1;
  }
  if (!strcmp(op, "Not")) {
    *r = !x;
    return 1;
  }
  if (!strcmp(op, "Floor") || !strcmp(op, "Ceil") || !strcmp(op, "Round") ||
      !strcmp(op, "Identity")) {
    *r = x;
    return 1;
  }
  return 0;
}

static int unary_float(const char *op, double x, double *r) {
  if (!strcmp(op, "Neg"))
    *r = -x;
  else if (!strcmp(op, "Abs"))
    *r = fabs(x);
  else if (!strcmp(op, "Floor"))
    *r = floor(x);
  else if (!strcmp(op, "Ceil"))
    *r = ceil(x);
  else if (!strcmp(op, "Round"))
    *r = nearbyint(x); // half to even
  else if (!strcmp(op, "Sqrt"))
    *r = sqrt(x);
  else if (!strcmp(op, "Reciprocal"))
    *r = 1.0 / x;
  else if (!strcmp(op, "Exp"))
    *r = exp(x);
  else if (!strcmp(op, "Log"))
    *r = log(x);
  else if (!strcmp(op, "Sign"))
    *r = (x > 0) - (x < 0);
  else if (!strcmp(op, "Relu"))
    *r = x > 0 ? x : 0;
  else if (!strcmp(op, "Identity"))
    *r = x;
  else
    return 0;
  return 1;
}

// Y = f(X) with values: Neg, Abs, Floor, Ceil, Round, Sqrt, Sign, ...
int sp_shape_unary_values(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!x || !values_computable(&x, 1, &out[0]))
    return 0;
  int64_t n = sp_numel(x);
  if (x->has_float_value) {
    double r[SP_MAX_KNOWN_VALUES];
    for (int64_t k = 0; k < n; ++k)
      if (!unary_float(node->op_type, x->float_value[k], &r[k]))
        return 0;
    sp_set_float_values(&out[0], r, n);
    return 0;
  }
  int64_t r[SP_MAX_KNOWN_VALUES];
  for (int64_t k = 0; k < n; ++k) {
    if (x->value[k] == SP_UNKNOWN_VALUE)
      r[k] = SP_UNKNOWN_VALUE;
    else if (!unary_int(node->op_type, x->value[k], &r[k]))
      return 0;
  }
  sp_set_int_values(&out[0], r, NULL, n);
  return 0;
}

// IsNaN, IsInf: X -> bool of X's shape.
int sp_shape_to_bool(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  sp_same_as(&out[0], sp_in(in, n_in, 0));
  out[0].elem_type = SP_T_BOOL;
  return 0;
}

// Not: bool -> bool, with values.
int sp_shape_not(SP_SHAPE_FN_ARGS) {
  sp_shape_unary_values(node, in, n_in, out, n_out, opset, err);
  out[0].elem_type = SP_T_BOOL;
  return 0;
}

// Identity: everything passes through, values included.
int sp_shape_identity(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  const sp_value_info *x = sp_in(in, n_in, 0);
  if (x)
    out[0] = *x;
  return 0;
}

/* ---- broadcasting ---- */

static int32_t first_type(const sp_value_info *const *in, int n_in) {
  for (int i = 0; i < n_in; ++i)
    if (in[i] && in[i]->elem_type)
      return in[i]->elem_type;
  return 0;
}

// C = A op B (numpy broadcast); type of A (Pow's exponent may differ).
int sp_shape_binary(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *a = sp_in(in, n_in, 0), *b = sp_in(in, n_in, 1);
  sp_set_unknown(&out[0],
                 a && a->elem_type ? a->elem_type : first_type(in, n_in));
  const sp_value_info *ins[2] = {a, b};
  if (sp_broadcast(node, err, ins, 2, &out[0]))
    return -1;
  if (a && b)
    binary_values(node, a, b, &out[0]);
  return 0;
}

// Equal, Less, Greater, And, Or, Xor...: broadcast, bool result.
int sp_shape_compare(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *a = sp_in(in, n_in, 0), *b = sp_in(in, n_in, 1);
  sp_set_unknown(&out[0], SP_T_BOOL);
  const sp_value_info *ins[2] = {a, b};
  if (sp_broadcast(node, err, ins, 2, &out[0]))
    return -1;
  if (a && b)
    binary_values(node, a, b, &out[0]);
  return 0;
}

// Min, Max, Sum, Mean over any number of broadcast inputs.
int sp_shape_variadic(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  sp_set_unknown(&out[0], first_type(in, n_in));
  if (sp_broadcast(node, err, in, n_in, &out[0]))
    return -1;
  if (n_in == 1 && in[0]) {
    out[0] = *in[0];
  } else if (n_in == 2 && in[0] && in[1] && strcmp(node->op_type, "Mean")) {
    binary_values(node, in[0], in[1], &out[0]);
  }
  return 0;
}

// Where(C, X, Y): broadcast of all three, type of X; values picked by C.
int sp_shape_where(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *c = sp_in(in, n_in, 0), *x = sp_in(in, n_in, 1),
                      *y = sp_in(in, n_in, 2);
  sp_set_unknown(&out[0], x && x->elem_type ? x->elem_type
                          : y               ? y->elem_type
                                            : 0);
  const sp_value_info *ins[3] = {c, x, y};
  if (sp_broadcast(node, err, ins, 3, &out[0]))
    return -1;
  if (!values_computable(ins, 3, &out[0]) || c->has_float_value ||
      x->has_float_value != y->has_float_value)
    return 0;
  int64_t n = sp_numel(&out[0]);
  int64_t ints[SP_MAX_KNOWN_VALUES];
  double reals[SP_MAX_KNOWN_VALUES];
  const char *params[SP_MAX_KNOWN_VALUES];
  for (int64_t k = 0; k < n; ++k) {
    int64_t pick = c->value[sp_broadcast_index(&out[0], k, c)];
    if (pick == SP_UNKNOWN_VALUE && x->has_float_value)
      return 0;
    if (pick == SP_UNKNOWN_VALUE) { // unknown condition: known if x == y
      int64_t vx = x->value[sp_broadcast_index(&out[0], k, x)];
      int64_t vy = y->value[sp_broadcast_index(&out[0], k, y)];
      ints[k] = vx == vy ? vx : SP_UNKNOWN_VALUE;
      params[k] = NULL;
      continue;
    }
    const sp_value_info *src = pick ? x : y;
    int64_t i = sp_broadcast_index(&out[0], k, src);
    ints[k] = src->has_float_value ? 0 : src->value[i];
    reals[k] = src->has_float_value ? src->float_value[i] : 0;
    params[k] = sp_value_param(src, i);
  }
  if (x->has_float_value)
    sp_set_float_values(&out[0], reals, n);
  else
    sp_set_int_values(&out[0], ints, params, n);
  return 0;
}

/* ---- activations and friends ---- */

// PRelu(X, slope): slope broadcasts to X, so Y has X's shape.
int sp_shape_prelu(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0), *slope = sp_in(in, n_in, 1);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x) || !sp_rank_known(slope) || opset < 7)
    return 0; // before 7 a (C) slope ran along axis 1, not numpy-style
  sp_value_info check;
  const sp_value_info *ins[2] = {x, slope};
  if (slope->rank > x->rank)
    return sp_shape_fail(err, node, "slope rank %d exceeds input rank %d",
                         slope->rank, x->rank);
  return sp_broadcast(node, err, ins, 2, &check);
}

// Clip(X, min, max): X's shape; integer values clipped when known.
int sp_shape_clip(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!x || !x->has_value)
    return 0;
  int64_t lo = INT64_MIN, hi = INT64_MAX;
  const sp_value_info *mn = sp_in(in, n_in, 1), *mx = sp_in(in, n_in, 2);
  if ((mn && !mn->has_value) || (mx && !mx->has_value))
    return 0;
  lo = mn ? mn->value[0] : lo;
  hi = mx ? mx->value[0] : hi;
  int64_t n = sp_numel(x), r[SP_MAX_KNOWN_VALUES];
  for (int64_t k = 0; k < n; ++k)
    r[k] = x->value[k] < lo ? lo : x->value[k] > hi ? hi : x->value[k];
  sp_set_int_values(&out[0], r, NULL, n);
  return 0;
}

// Dropout(X) -> Y like X, mask like X (bool from opset 10).
int sp_shape_dropout(SP_SHAPE_FN_ARGS) {
  (void)err, (void)node;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (x && x->has_float_value)
    out[0] = *x; // inference mode: Dropout is Identity
  if (n_out > 1) {
    sp_same_as(&out[1], x);
    out[1].elem_type = opset >= 10 ? SP_T_BOOL : out[0].elem_type;
  }
  return 0;
}

// Softmax, LogSoftmax, Hardmax: X's shape; axis must be in range.
int sp_shape_softmax(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  int axis;
  if (sp_rank_known(x) && x->rank > 0)
    return sp_norm_axis(node, err,
                        sp_attr_int(node, "axis", opset >= 13 ? -1 : 1),
                        x->rank, &axis);
  return 0;
}

// CumSum(X, axis): X's shape.
int sp_shape_cumsum(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  sp_same_as(&out[0], sp_in(in, n_in, 0));
  return 0;
}

// Trilu(X, k): X's shape (rank >= 2).
int sp_shape_trilu(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (sp_rank_known(x) && x->rank < 2)
    return sp_shape_fail(err, node, "input must have rank >= 2, got %d",
                         x->rank);
  return 0;
}

/* ---- type conversion ---- */

/* x converted to integer type t, wrapping like a C cast; 0 if impossible. */
static int cast_int(int32_t t, double x, int64_t *r) {
  if (isnan(x) || !(fabs(x) < 9.2e18))
    return 0;
  int64_t i = (int64_t)x;
  switch (t) {
  case SP_T_BOOL:
    *r = x != 0;
    return 1;
  case SP_T_INT8:
    *r = (int8_t)i;
    return 1;
  case SP_T_UINT8:
    *r = (uint8_t)i;
    return 1;
  case SP_T_INT16:
    *r = (int16_t)i;
    return 1;
  case SP_T_UINT16:
    *r = (uint16_t)i;
    return 1;
  case SP_T_INT32:
    *r = (int32_t)i;
    return 1;
  case SP_T_UINT32:
    *r = (uint32_t)i;
    return 1;
  default:
    *r = i;
    return 1;
  }
}

/* Values of x converted to type t into out. */
static void cast_values(const sp_value_info *x, int32_t t, sp_value_info *out) {
  int64_t n = sp_numel(x);
  if (n < 0 || n > SP_MAX_KNOWN_VALUES ||
      !(sp_has_ints(x) || x->has_float_value))
    return;
  if (sp_is_float_type(t)) {
    double r[SP_MAX_KNOWN_VALUES];
    for (int64_t k = 0; k < n; ++k) {
      if (!x->has_float_value && x->value[k] == SP_UNKNOWN_VALUE)
        return;
      r[k] = as_double(x, k);
      r[k] = t == SP_T_FLOAT ? (double)(float)r[k] : r[k]; // float32 rounding
    }
    sp_set_float_values(out, r, n);
  } else if (sp_is_int_type(t)) {
    int64_t r[SP_MAX_KNOWN_VALUES];
    const char *params[SP_MAX_KNOWN_VALUES];
    for (int64_t k = 0; k < n; ++k) {
      params[k] = NULL;
      if (!x->has_float_value && x->value[k] == SP_UNKNOWN_VALUE) {
        r[k] = SP_UNKNOWN_VALUE;
        params[k] = sp_value_param(x, k);
      } else if (!x->has_float_value && t != SP_T_BOOL &&
                 (t == SP_T_INT64 || t == SP_T_UINT64)) {
        r[k] = x->value[k];
      } else if (!cast_int(t, as_double(x, k), &r[k])) {
        return;
      }
    }
    sp_set_int_values(out, r, params, n);
  }
}

// Cast(X, to): X's shape, type `to`, values converted.
/* Cast-1's `to` is a type name ("FLOAT"); later opsets use the enum. */
static int32_t cast_target(const Onnx__NodeProto *node) {
  static const char *const names[] = {
      "UNDEFINED", "FLOAT",  "UINT8",     "INT8",       "UINT16",  "INT16",
      "INT32",     "INT64",  "STRING",    "BOOL",       "FLOAT16", "DOUBLE",
      "UINT32",    "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
  const Onnx__AttributeProto *a = sp_attr(node, "to");
  if (!a || a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)
    return a ? (int32_t)a->i : 0;
  char name[32];
  sp_attr_str(node, "to", name, sizeof name);
  for (int32_t t = 0; t < (int32_t)(sizeof names / sizeof *names); ++t)
    if (!strcmp(name, names[t]))
      return t;
  return 0;
}

int sp_shape_cast(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0);
  int32_t to = cast_target(node);
  sp_same_as(&out[0], x);
  out[0].elem_type = to;
  if (x)
    cast_values(x, to, &out[0]);
  return 0;
}

// CastLike(X, like): X's shape, type of like.
int sp_shape_cast_like(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  const sp_value_info *x = sp_in(in, n_in, 0), *like = sp_in(in, n_in, 1);
  sp_same_as(&out[0], x);
  out[0].elem_type = like ? like->elem_type : 0;
  if (x && like && like->elem_type)
    cast_values(x, like->elem_type, &out[0]);
  return 0;
}

// EyeLike, RandomUniformLike, RandomNormalLike, Bernoulli: X's shape,
// type from `dtype` or X.
int sp_shape_like_dtype(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  out[0].elem_type = (int32_t)sp_attr_int(node, "dtype", out[0].elem_type);
  return 0;
}

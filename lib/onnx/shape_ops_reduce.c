/* shape_ops_reduce.c - reductions over axes: Reduce*, ArgMax/ArgMin, TopK,
 * Det. */
#include <string.h>

#include "shape_ops.h"

/* Integer values of a reduction (Sum/Prod/Max/Min) of small known x. */
static void reduce_values(const char *op, const sp_value_info *x,
                          const int *reduced, sp_value_info *y) {
  int64_t n = sp_numel(x), m = sp_numel(y);
  if (!x->has_value || m < 0 || m > SP_MAX_KNOWN_VALUES || n < 0)
    return;
  int sum = !strcmp(op, "ReduceSum"), prod = !strcmp(op, "ReduceProd");
  int max = !strcmp(op, "ReduceMax"), min = !strcmp(op, "ReduceMin");
  if (!sum && !prod && !max && !min)
    return;
  int64_t acc[SP_MAX_KNOWN_VALUES];
  int started[SP_MAX_KNOWN_VALUES] = {0};
  for (int64_t k = 0; k < n; ++k) {
    int64_t rest = k, at = 0, stride = 1, v = x->value[k];
    for (int d = x->rank - 1; d >= 0; --d) { // output index skips reduced dims
      int64_t c = rest % x->dims[d];
      rest /= x->dims[d];
      if (!reduced[d]) {
        at += c * stride;
        stride *= x->dims[d];
      }
    }
    if (!started[at]++)
      acc[at] = v;
    else if ((sum && __builtin_add_overflow(acc[at], v, &acc[at])) ||
             (prod && __builtin_mul_overflow(acc[at], v, &acc[at])))
      return;
    else if (max || min)
      acc[at] = (max ? v > acc[at] : v < acc[at]) ? v : acc[at];
  }
  for (int64_t k = 0; k < m; ++k)
    if (!started[k])
      acc[k] = prod ? 1 : 0; // reducing an empty axis
  sp_set_int_values(y, acc, NULL, m);
}

/* Opset at which an op's axes moved from attribute to input. */
static int64_t axes_input_since(const char *op) {
  return !strcmp(op, "ReduceSum") ? 13 : 18;
}

// Reduce*(X, axes?) -> X with axes reduced (kept as 1 with keepdims).
int sp_shape_reduce(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  int64_t axes[SP_MAX_RANK];
  int n = sp_axes_arg(node, in, n_in, 1, opset, axes_input_since(node->op_type),
                      axes, SP_MAX_RANK);
  int keepdims = sp_attr_int(node, "keepdims", 1) != 0;
  if (!sp_rank_known(x))
    return 0;
  if (n ==
      -2) { // axes not known: only the rank is (with keepdims), and 1s stay
    if (keepdims)
      for (int d = 0; d < x->rank; ++d)
        sp_set_dim(&out[0], d, x->dims[d] == 1 ? 1 : -1);
    out[0].rank = keepdims ? x->rank : -1;
    return 0;
  }
  if (n <= 0 && sp_attr_int(node, "noop_with_empty_axes", 0)) {
    sp_same_as(&out[0], x);
    out[0].has_value = 0;
    return 0;
  }
  int reduced[SP_MAX_RANK] = {0};
  for (int i = 0; i < n; ++i) {
    int a;
    if (sp_norm_axis(node, err, axes[i], x->rank, &a))
      return -1;
    reduced[a] = 1;
  }
  for (int d = 0; n <= 0 && d < x->rank; ++d)
    reduced[d] = 1;
  out[0].rank = 0;
  for (int d = 0; d < x->rank; ++d) {
    if (!reduced[d])
      sp_copy_dim(&out[0], out[0].rank++, x, d);
    else if (keepdims)
      sp_set_dim(&out[0], out[0].rank++, 1);
  }
  reduce_values(node->op_type, x, reduced, &out[0]);
  return 0;
}

// ArgMax/ArgMin(X, axis, keepdims) -> int64 X with axis reduced.
int sp_shape_argmax(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], SP_T_INT64);
  if (!sp_rank_known(x))
    return 0;
  int axis;
  if (sp_norm_axis(node, err, sp_attr_int(node, "axis", 0), x->rank, &axis))
    return -1;
  int keepdims = sp_attr_int(node, "keepdims", 1) != 0;
  out[0].rank = 0;
  for (int d = 0; d < x->rank; ++d) {
    if (d != axis)
      sp_copy_dim(&out[0], out[0].rank++, x, d);
    else if (keepdims)
      sp_set_dim(&out[0], out[0].rank++, 1);
  }
  return 0;
}

// TopK(X, K) -> Values like X and int64 Indices, axis dim = K.
int sp_shape_topk(SP_SHAPE_FN_ARGS) {
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (n_out > 1) {
    sp_same_as(&out[1], x);
    out[1].elem_type = SP_T_INT64;
  }
  if (!sp_rank_known(x))
    return 0;
  int axis;
  if (sp_norm_axis(node, err, sp_attr_int(node, "axis", -1), x->rank, &axis))
    return -1;
  double k = -1;
  if (opset < 10)
    k = (double)sp_attr_int(node, "k", -1);
  else
    sp_input_scalar(sp_in(in, n_in, 1), &k);
  if (k >= 0 && x->dims[axis] >= 0 && k > (double)x->dims[axis])
    return sp_shape_fail(err, node, "k = %lld exceeds axis %d of size %lld",
                         (long long)k, axis, (long long)x->dims[axis]);
  for (int i = 0; i < n_out && i < 2; ++i)
    sp_set_dim(&out[i], axis, sp_dim_from_double(k));
  return 0;
}

// Det(X (..., M, M)) -> (...).
int sp_shape_det(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  if (!sp_rank_known(x))
    return 0;
  if (x->rank < 2)
    return sp_shape_fail(err, node, "input must have rank >= 2, got %d",
                         x->rank);
  int64_t m = x->dims[x->rank - 1], n = x->dims[x->rank - 2];
  if (m >= 0 && n >= 0 && m != n)
    return sp_shape_fail(err, node, "matrices must be square, got %lldx%lld",
                         (long long)n, (long long)m);
  sp_copy_shape(&out[0], x);
  out[0].rank -= 2;
  return 0;
}

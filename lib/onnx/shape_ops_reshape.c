/* shape_ops_reshape.c - ops that keep the elements and change the shape:
 * Reshape, Flatten, Transpose, Squeeze, Unsqueeze, DepthToSpace,
 * SpaceToDepth. The first four carry shape-vector values through. */
#include <string.h>

#include "shape_ops.h"

/* ---- Reshape and Flatten ---- */

/* Dims a Reshape target leaves to be matched: the static product and the
 * dynamic dims (by name) on one side. */
typedef struct dim_pool {
  int64_t product;
  int n_dynamic;
  const char *params[SP_MAX_RANK];
} dim_pool;

static void pool_add(dim_pool *p, int64_t dim, const char *param) {
  int64_t product = sp_dim_mul(p->product, dim);
  if (product >= 0)
    p->product = product;
  else // dynamic, or too large to be real: unknown either way
    p->params[p->n_dynamic++] = dim < 0 ? param : NULL;
}

/* Removes from both pools the dynamic dims with the same name. */
static void pool_cancel(dim_pool *a, dim_pool *b) {
  for (int i = 0; i < a->n_dynamic; ++i) {
    for (int j = 0; a->params[i] && j < b->n_dynamic; ++j) {
      if (!b->params[j] || strcmp(a->params[i], b->params[j]))
        continue;
      a->params[i--] = a->params[--a->n_dynamic];
      b->params[j] = b->params[--b->n_dynamic];
      break;
    }
  }
}

/* The -1 dim of a Reshape: input numel / other output dims, if knowable. */
static int reshape_infer(const Onnx__NodeProto *node, sp_error *err,
                         const sp_value_info *x, dim_pool *in_pool,
                         dim_pool *out_pool, int64_t *dim) {
  *dim = -1;
  pool_cancel(in_pool, out_pool);
  if (!sp_rank_known(x) || in_pool->n_dynamic || out_pool->n_dynamic)
    return 0;
  if (out_pool->product == 0 || in_pool->product % out_pool->product) {
    char buf[96];
    return sp_shape_fail(err, node,
                         "cannot infer the -1 dim: %s elements "
                         "are not divisible by %lld",
                         sp_dims_str(x, buf, sizeof buf),
                         (long long)out_pool->product);
  }
  *dim = in_pool->product / out_pool->product;
  return 0;
}

/* Target dims from Reshape's shape values into y; copies 0s from x. */
static int reshape_dims(const Onnx__NodeProto *node, sp_error *err,
                        const sp_value_info *x, const sp_value_info *shape,
                        int n, int allowzero, sp_value_info *y) {
  dim_pool in_pool = {1, 0, {0}}, out_pool = {1, 0, {0}};
  int used[SP_MAX_RANK] = {0}, infer = -1;
  y->rank = n;
  for (int i = 0; i < n; ++i) {
    int64_t v = shape->value[i];
    if (v == SP_UNKNOWN_VALUE) {
      sp_set_dim(y, i, -1);
      y->dim_params[i] = sp_value_param(shape, i);
    } else if (v == 0 && !allowzero) {
      if (sp_rank_known(x) && i >= x->rank)
        return sp_shape_fail(err, node,
                             "shape[%d] = 0 copies a dim the "
                             "rank-%d input does not have",
                             i, x->rank);
      if (sp_rank_known(x)) {
        sp_copy_dim(y, i, x, i);
        used[i] = 1;
      } else {
        sp_set_dim(y, i, -1);
      }
      continue;
    } else if (v == -1) {
      if (infer >= 0)
        return sp_shape_fail(err, node, "shape has more than one -1");
      infer = i;
      continue;
    } else if (v < -1) {
      return sp_shape_fail(err, node, "invalid shape value %lld", (long long)v);
    } else {
      sp_set_dim(y, i, v);
    }
    pool_add(&out_pool, y->dims[i], y->dim_params[i]);
  }
  for (int i = 0; sp_rank_known(x) && i < x->rank; ++i)
    if (!used[i])
      pool_add(&in_pool, x->dims[i], x->dim_params[i]);
  if (infer >= 0) {
    int64_t d;
    if (reshape_infer(node, err, x, &in_pool, &out_pool, &d))
      return -1;
    sp_set_dim(y, infer, d);
  } else if (sp_rank_known(x) && !in_pool.n_dynamic && !out_pool.n_dynamic &&
             in_pool.product != out_pool.product) {
    char a[96], b[96];
    return sp_shape_fail(err, node, "cannot reshape %s into %s",
                         sp_dims_str(x, a, sizeof a),
                         sp_dims_str(y, b, sizeof b));
  }
  return 0;
}

// Reshape(data, shape) -> shape's dims (0 copies, -1 infers); data's values.
int sp_shape_reshape(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0), *shape = sp_in(in, n_in, 1);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  sp_value_info attr_shape;
  if (opset < 5) { // shape was an attribute
    int64_t vals[SP_MAX_RANK];
    int n = sp_attr_ints(node, "shape", vals, SP_MAX_RANK);
    if (n < 0)
      return 0;
    sp_set_rank(&attr_shape, SP_T_INT64, 1);
    attr_shape.dims[0] = n;
    sp_set_int_values(&attr_shape, vals, NULL, n);
    shape = &attr_shape;
  }
  int64_t n = sp_numel(shape);
  if (!shape || n < 0 || n > SP_MAX_RANK)
    return 0;
  if (!sp_has_ints(shape)) {
    sp_set_rank(&out[0], out[0].elem_type, (int)n);
    return 0;
  }
  int allowzero = (int)sp_attr_int(node, "allowzero", 0);
  if (reshape_dims(node, err, x, shape, (int)n, allowzero, &out[0]))
    return -1;
  sp_keep_values(x, &out[0]);
  return 0;
}

/* Output dim od = product of x's dims [from, to); a lone dynamic dim (times
 * ones) keeps its name. */
static void merged_dim(const sp_value_info *x, int from, int to,
                       sp_value_info *y, int od) {
  int64_t product = 1;
  int dynamic = 0, which = -1;
  for (int i = from; i < to; ++i) {
    if (x->dims[i] < 0)
      ++dynamic, which = i;
    else
      product = sp_dim_mul(product, x->dims[i]);
  }
  if (!dynamic || product < 0) // product < 0: overflowed
    sp_set_dim(y, od, dynamic ? -1 : product);
  else if (dynamic == 1 && product == 1)
    sp_copy_dim(y, od, x, which);
  else
    sp_set_dim(y, od, -1);
}

// Flatten(X (d0..dn), axis) -> (d0*..*d(axis-1), d(axis)*..*dn).
int sp_shape_flatten(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  if (!sp_rank_known(x)) {
    sp_set_rank(&out[0], out[0].elem_type, 2);
    return 0;
  }
  int64_t axis = sp_attr_int(node, "axis", 1);
  if (axis < -x->rank || axis > x->rank)
    return sp_shape_fail(err, node, "axis %lld is out of range for rank %d",
                         (long long)axis, x->rank);
  int a = (int)(axis < 0 ? axis + x->rank : axis);
  out[0].rank = 2;
  merged_dim(x, 0, a, &out[0], 0);
  merged_dim(x, a, x->rank, &out[0], 1);
  sp_keep_values(x, &out[0]);
  return 0;
}

// Transpose(X, perm) -> X's dims permuted (default: reversed).
int sp_shape_transpose(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  int64_t perm[SP_MAX_RANK];
  int n = sp_attr_ints(node, "perm", perm, SP_MAX_RANK);
  if (!sp_rank_known(x)) {
    if (n >= 0)
      sp_set_rank(&out[0], out[0].elem_type, n);
    return 0;
  }
  if (n < 0)
    for (n = 0; n < x->rank; ++n)
      perm[n] = x->rank - 1 - n;
  if (n != x->rank)
    return sp_shape_fail(err, node, "perm has %d entries for rank %d", n,
                         x->rank);
  int seen[SP_MAX_RANK] = {0};
  out[0].rank = n;
  for (int i = 0; i < n; ++i) {
    int p;
    if (sp_norm_axis(node, err, perm[i], n, &p))
      return -1;
    if (seen[p]++)
      return sp_shape_fail(err, node, "perm repeats axis %d", p);
    sp_copy_dim(&out[0], i, x, p);
  }
  if (n <= 1)
    sp_keep_values(x, &out[0]);
  return 0;
}

/* ---- Squeeze and Unsqueeze ---- */

// Squeeze(X, axes?) -> X without the given (or all size-1) dims.
int sp_shape_squeeze(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  if (!sp_rank_known(x))
    return 0;
  int64_t axes[SP_MAX_RANK];
  int n = sp_axes_arg(node, in, n_in, 1, opset, 13, axes, SP_MAX_RANK);
  int drop[SP_MAX_RANK] = {0};
  int64_t n_axes = sp_numel(sp_in(in, n_in, 1));
  if (n == -2 && n_axes >= 0 && n_axes <= x->rank) // which axes: unknown
    sp_set_rank(&out[0], x->elem_type, x->rank - (int)n_axes);
  if (n == -2)
    return 0;
  for (int i = 0; i < n; ++i) {
    int a;
    if (sp_norm_axis(node, err, axes[i], x->rank, &a))
      return -1;
    if (x->dims[a] >= 0 && x->dims[a] != 1)
      return sp_shape_fail(err, node, "cannot squeeze axis %d of size %lld", a,
                           (long long)x->dims[a]);
    drop[a] = 1;
  }
  for (int d = 0; n < 0 && d < x->rank; ++d) {
    if (x->dims[d] < 0)
      return 0; // might be 1: the rank is not known
    drop[d] = x->dims[d] == 1;
  }
  out[0].rank = 0;
  for (int d = 0; d < x->rank; ++d)
    if (!drop[d])
      sp_copy_dim(&out[0], out[0].rank++, x, d);
  sp_keep_values(x, &out[0]);
  return 0;
}

// Unsqueeze(X, axes) -> X with size-1 dims inserted at axes (of the output).
int sp_shape_unsqueeze(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  int64_t axes[SP_MAX_RANK];
  int n = sp_axes_arg(node, in, n_in, 1, opset, 13, axes, SP_MAX_RANK);
  int64_t n_axes = sp_numel(sp_in(in, n_in, 1));
  if (sp_rank_known(x) && n == -2 && n_axes >= 0 &&
      x->rank + n_axes <= SP_MAX_RANK) // which axes: unknown
    sp_set_rank(&out[0], x->elem_type, x->rank + (int)n_axes);
  if (!sp_rank_known(x) || n < 0)
    return 0;
  int rank = x->rank + n, insert[SP_MAX_RANK] = {0};
  if (rank > SP_MAX_RANK)
    return 0;
  for (int i = 0; i < n; ++i) {
    int a;
    if (sp_norm_axis(node, err, axes[i], rank, &a))
      return -1;
    if (insert[a]++)
      return sp_shape_fail(err, node, "axis %d is repeated", a);
  }
  out[0].rank = rank;
  for (int d = 0, s = 0; d < rank; ++d) {
    if (insert[d])
      sp_set_dim(&out[0], d, 1);
    else
      sp_copy_dim(&out[0], d, x, s++);
  }
  sp_keep_values(x, &out[0]);
  return 0;
}

/* ---- blocks ---- */

// DepthToSpace(X (N,C,H,W), blocksize b) -> (N, C/b^2, H*b, W*b).
int sp_shape_depth_to_space(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x))
    return 0;
  int64_t b = sp_attr_int(node, "blocksize", 0);
  if (x->rank != 4 || b <= 0 || b > (1 << 20))
    return sp_shape_fail(err, node,
                         "needs a 4-D input and a blocksize in [1, 2^20]");
  int64_t c = x->dims[1];
  if (c >= 0 && c % (b * b))
    return sp_shape_fail(err, node,
                         "channels %lld are not divisible by "
                         "blocksize^2 = %lld",
                         (long long)c, (long long)(b * b));
  sp_set_dim(&out[0], 1, c < 0 ? -1 : c / (b * b));
  for (int d = 2; d < 4; ++d)
    sp_set_dim(&out[0], d, sp_dim_mul(x->dims[d], b));
  return 0;
}

// SpaceToDepth(X (N,C,H,W), blocksize b) -> (N, C*b^2, H/b, W/b).
int sp_shape_space_to_depth(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x))
    return 0;
  int64_t b = sp_attr_int(node, "blocksize", 0);
  if (x->rank != 4 || b <= 0 || b > (1 << 20))
    return sp_shape_fail(err, node,
                         "needs a 4-D input and a blocksize in [1, 2^20]");
  sp_set_dim(&out[0], 1, sp_dim_mul(x->dims[1], b * b));
  for (int d = 2; d < 4; ++d) {
    if (x->dims[d] >= 0 && x->dims[d] % b)
      return sp_shape_fail(err, node,
                           "dim %d of size %lld is not divisible by "
                           "blocksize %lld",
                           d, (long long)x->dims[d], (long long)b);
    sp_set_dim(&out[0], d, x->dims[d] < 0 ? -1 : x->dims[d] / b);
  }
  return 0;
}

/* shape_ops_tensor.c - ops that move data around: Reshape, Flatten,
 * Transpose, Concat, Split, Slice, Gather*, Squeeze/Unsqueeze, Expand, Tile,
 * Pad, Resize, DepthToSpace... Shape-vector values flow through the ones that
 * torch uses for shape arithmetic. */
#include <math.h>
#include <string.h>

#include "shape_ops.h"

/* Copies x's values (int, float or partial) to y: for ops that keep the
 * row-major element order (Reshape, Squeeze, Flatten). */
static void keep_values(const sp_value_info *x, sp_value_info *y) {
  if (!x)
    return;
  y->has_value = x->has_value;
  y->has_float_value = x->has_float_value;
  y->partial_value = x->partial_value;
  memcpy(y->value, x->value, sizeof y->value);
  memcpy(y->value_params, x->value_params, sizeof y->value_params);
}

/* ---- Reshape and Flatten ---- */

/* Dims a Reshape target leaves to be matched: the static product and the
 * dynamic dims (by name) on one side. */
typedef struct dim_pool {
  int64_t product;
  int n_dynamic;
  const char *params[SP_MAX_RANK];
} dim_pool;

static void pool_add(dim_pool *p, int64_t dim, const char *param) {
  if (dim >= 0)
    p->product *= dim;
  else
    p->params[p->n_dynamic++] = param;
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
    return sp_shape_fail(err, node, "cannot infer the -1 dim: %s elements "
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
      y->dim_params[i] = shape->value_params[i];
    } else if (v == 0 && !allowzero) {
      if (sp_rank_known(x) && i >= x->rank)
        return sp_shape_fail(err, node, "shape[%d] = 0 copies a dim the "
                             "rank-%d input does not have", i, x->rank);
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
                         sp_dims_str(x, a, sizeof a), sp_dims_str(y, b, sizeof b));
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
  keep_values(x, &out[0]);
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
      product *= x->dims[i];
  }
  if (!dynamic)
    sp_set_dim(y, od, product);
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
  keep_values(x, &out[0]);
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
    return sp_shape_fail(err, node, "perm has %d entries for rank %d", n, x->rank);
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
    keep_values(x, &out[0]);
  return 0;
}

/* ---- Concat and Split ---- */

/* Concatenated values along axis when every input's are known. */
static void concat_values(const sp_value_info *const *in, int n_in, int axis,
                          sp_value_info *y) {
  int64_t total = sp_numel(y);
  if (total < 0 || total > SP_MAX_KNOWN_VALUES)
    return;
  int floats = 0;
  for (int i = 0; i < n_in; ++i) {
    if (!in[i] || !(sp_has_ints(in[i]) || in[i]->has_float_value))
      return;
    floats |= in[i]->has_float_value;
  }
  int64_t outer = sp_dims_product(y, 0, axis), k = 0;
  int64_t ints[SP_MAX_KNOWN_VALUES];
  double reals[SP_MAX_KNOWN_VALUES];
  const char *params[SP_MAX_KNOWN_VALUES];
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < n_in; ++i) {
      if (floats != in[i]->has_float_value)
        return;
      int64_t chunk = sp_dims_product(in[i], axis, in[i]->rank);
      for (int64_t j = 0; j < chunk; ++j, ++k) {
        if (floats) {
          reals[k] = in[i]->float_value[o * chunk + j];
        } else {
          ints[k] = in[i]->value[o * chunk + j];
          params[k] = in[i]->value_params[o * chunk + j];
        }
      }
    }
  }
  if (floats)
    sp_set_float_values(y, reals, total);
  else
    sp_set_int_values(y, ints, params, total);
}

// Concat(inputs..., axis) -> inputs' dims, summed along axis.
int sp_shape_concat(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *first = NULL;
  for (int i = 0; i < n_in && !first; ++i)
    first = sp_rank_known(in[i]) ? in[i] : NULL;
  sp_set_unknown(&out[0], n_in && in[0] ? in[0]->elem_type : 0);
  if (!first)
    return 0;
  if (!sp_attr(node, "axis") && opset >= 4)
    return sp_shape_fail(err, node, "missing attribute 'axis'");
  int axis, all_known = 1;
  if (sp_norm_axis(node, err, sp_attr_int(node, "axis", 1), first->rank, &axis))
    return -1;
  sp_copy_shape(&out[0], first);
  int64_t sum = 0;
  for (int i = 0; i < n_in; ++i) {
    if (!sp_rank_known(in[i])) {
      all_known = 0;
      continue;
    }
    char a[96], b[96];
    if (in[i]->rank != first->rank)
      return sp_shape_fail(err, node, "input %d has rank %d, input 0 has %d", i,
                           in[i]->rank, first->rank);
    for (int d = 0; d < first->rank; ++d)
      if (d != axis && sp_merge_dim(&out[0], d, in[i], d))
        return sp_shape_fail(err, node, "input %d has shape %s, expected %s "
                             "outside axis %d", i, sp_dims_str(in[i], a, sizeof a),
                             sp_dims_str(first, b, sizeof b), axis);
    sum = sum >= 0 && in[i]->dims[axis] >= 0 ? sum + in[i]->dims[axis] : -1;
  }
  sp_set_dim(&out[0], axis, all_known ? sum : -1);
  if (n_in == 1)
    sp_copy_dim(&out[0], axis, first, axis);
  if (all_known)
    concat_values(in, n_in, axis, &out[0]);
  return 0;
}

/* Split sizes: from the input (opset >= 13) or attribute; 0 if equal split,
 * -1 if given but unknown; else the count. */
static int split_sizes(const Onnx__NodeProto *node, const sp_value_info *const *in,
                       int n_in, int64_t opset, int64_t *sizes, int max) {
  int n = sp_attr_ints(node, "split", sizes, max);
  if (n > 0)
    return n;
  if (!sp_in(in, n_in, 1) || (opset < 13 && opset != 1 && n < 0))
    return 0;
  n = sp_input_ints(in, n_in, 1, sizes, max);
  return n > 0 ? n : n == 0 ? 0 : -1;
}

// Split(X, split?) -> outputs with X's dims, axis dim split.
int sp_shape_split(SP_SHAPE_FN_ARGS) {
  const sp_value_info *x = sp_in(in, n_in, 0);
  for (int i = 0; i < n_out; ++i)
    sp_same_as(&out[i], x);
  if (!sp_rank_known(x))
    return 0;
  int axis;
  if (sp_norm_axis(node, err, sp_attr_int(node, "axis", 0), x->rank, &axis))
    return -1;
  int64_t sizes[SP_MAX_KNOWN_VALUES], dim = x->dims[axis];
  int n = split_sizes(node, in, n_in, opset, sizes, SP_MAX_KNOWN_VALUES);
  if (n > 0 && n != n_out)
    return sp_shape_fail(err, node, "split has %d sizes for %d outputs", n, n_out);
  if (n > 0) {
    int64_t sum = 0;
    for (int i = 0; i < n; ++i)
      sum += sizes[i];
    if (dim >= 0 && sum != dim)
      return sp_shape_fail(err, node, "split sizes sum to %lld, axis %d has %lld",
                           (long long)sum, axis, (long long)dim);
  } else if (n == 0 && dim >= 0) { // equal parts; opset 18 allows a short last one
    int64_t parts = sp_attr_int(node, "num_outputs", n_out);
    int64_t chunk = (dim + parts - 1) / (parts ? parts : 1);
    if (!sp_attr(node, "num_outputs") && dim % n_out)
      return sp_shape_fail(err, node, "axis %d of size %lld does not split into "
                           "%d equal parts", axis, (long long)dim, n_out);
    for (int i = 0; i < n_out; ++i) {
      int64_t left = dim - chunk * i;
      sizes[i] = left < chunk ? (left > 0 ? left : 0) : chunk;
    }
  }
  for (int i = 0; i < n_out; ++i)
    sp_set_dim(&out[i], axis, n < 0 || (n == 0 && dim < 0) ? -1 : sizes[i]);
  if (x->rank == 1 && sp_has_ints(x)) // split a shape vector
    for (int i = 0, at = 0; i < n_out && out[i].dims[0] >= 0; at += (int)out[i].dims[0], ++i)
      sp_set_int_values(&out[i], x->value + at, x->value_params + at, out[i].dims[0]);
  return 0;
}

/* ---- Slice ---- */

/* Elements of a slice [start, end) by step over dim (ONNX clamping). */
static int64_t slice_len(int64_t dim, int64_t start, int64_t end, int64_t step,
                         int64_t *first) {
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  if (step > 0) {
    start = start < 0 ? 0 : start > dim ? dim : start;
    end = end < 0 ? 0 : end > dim ? dim : end;
    *first = start;
    return end > start ? 1 + (end - start - 1) / step : 0;
  }
  start = start < 0 ? 0 : start > dim - 1 ? dim - 1 : start;
  end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
  *first = start;
  if (start <= end)
    return 0;
  return step == INT64_MIN ? 1 : 1 + (start - end - 1) / -step;
}

/* 1 if the slice keeps all of a dynamic dim (x[0:], x[::-1]). */
static int slice_is_full(int64_t start, int64_t end, int64_t step) {
  const int64_t big = (int64_t)1 << 62;
  if (step == 1)
    return start == 0 && end >= big;
  if (step == -1)
    return start == -1 && end <= -big;
  return 0;
}

typedef struct slice_args {
  int n;
  int64_t starts[SP_MAX_RANK], ends[SP_MAX_RANK], axes[SP_MAX_RANK],
      steps[SP_MAX_RANK];
  int known; /* starts/ends/steps values known */
  int axes_known;
} slice_args;

/* Reads Slice's attributes (opset < 10) or inputs (-2: input absent). */
static void slice_read(const Onnx__NodeProto *node, const sp_value_info *const *in,
                       int n_in, int64_t opset, slice_args *s) {
  int ns, ne, na, nt;
  if (opset < 10) {
    ns = sp_attr_ints(node, "starts", s->starts, SP_MAX_RANK);
    ne = sp_attr_ints(node, "ends", s->ends, SP_MAX_RANK);
    na = sp_attr_ints(node, "axes", s->axes, SP_MAX_RANK);
    na = na < 0 ? -2 : na;
    nt = -2;
  } else {
    ns = sp_input_ints(in, n_in, 1, s->starts, SP_MAX_RANK);
    ne = sp_input_ints(in, n_in, 2, s->ends, SP_MAX_RANK);
    na = sp_in(in, n_in, 3) ? sp_input_ints(in, n_in, 3, s->axes, SP_MAX_RANK) : -2;
    nt = sp_in(in, n_in, 4) ? sp_input_ints(in, n_in, 4, s->steps, SP_MAX_RANK) : -2;
  }
  const sp_value_info *starts = sp_in(in, n_in, 1);
  s->n = ns >= 0 ? ns : opset >= 10 && sp_numel(starts) >= 0 ? (int)sp_numel(starts) : -1;
  s->known = ns >= 0 && ne == ns && (nt == -2 || nt == ns);
  s->axes_known = na >= 0 || na == -2;
  if (s->n < 0 || (na >= 0 && na != s->n)) {
    s->axes_known = s->known = 0;
    return;
  }
  for (int i = 0; i < s->n; ++i) {
    if (na < 0)
      s->axes[i] = i;
    if (nt < 0)
      s->steps[i] = 1;
  }
}

/* Values of a slice of small x: per axis, first index and step. */
static void slice_values(const sp_value_info *x, const int64_t *first,
                         const int64_t *step, sp_value_info *y) {
  int64_t n = sp_numel(y);
  if (n < 0 || n > SP_MAX_KNOWN_VALUES || !(sp_has_ints(x) || x->has_float_value))
    return;
  int64_t ints[SP_MAX_KNOWN_VALUES];
  double reals[SP_MAX_KNOWN_VALUES];
  const char *params[SP_MAX_KNOWN_VALUES];
  for (int64_t k = 0; k < n; ++k) {
    int64_t rest = k, src = 0, stride = 1;
    for (int d = y->rank - 1; d >= 0; --d) {
      int64_t c = rest % y->dims[d];
      rest /= y->dims[d];
      src += (first[d] + c * step[d]) * stride;
      stride *= x->dims[d];
    }
    if (x->has_float_value) {
      reals[k] = x->float_value[src];
    } else {
      ints[k] = x->value[src];
      params[k] = x->value_params[src];
    }
  }
  if (x->has_float_value)
    sp_set_float_values(y, reals, n);
  else
    sp_set_int_values(y, ints, params, n);
}

// Slice(data, starts, ends, axes?, steps?) -> data's dims, sliced axes shrunk.
int sp_shape_slice(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x))
    return 0;
  slice_args s;
  slice_read(node, in, n_in, opset, &s);
  if (!s.axes_known) {
    sp_set_rank(&out[0], x->elem_type, x->rank);
    return 0;
  }
  int64_t first[SP_MAX_RANK], step[SP_MAX_RANK];
  int seen[SP_MAX_RANK] = {0};
  for (int d = 0; d < x->rank; ++d)
    first[d] = 0, step[d] = 1;
  for (int i = 0; i < s.n; ++i) {
    int a;
    if (sp_norm_axis(node, err, s.axes[i], x->rank, &a))
      return -1;
    if (seen[a]++)
      return sp_shape_fail(err, node, "axis %d is sliced twice", a);
    if (!s.known) {
      sp_set_dim(&out[0], a, -1);
      continue;
    }
    if (s.steps[i] == 0)
      return sp_shape_fail(err, node, "step must not be 0");
    step[a] = s.steps[i];
    if (x->dims[a] < 0 && !slice_is_full(s.starts[i], s.ends[i], s.steps[i]))
      sp_set_dim(&out[0], a, -1);
    else if (x->dims[a] >= 0)
      sp_set_dim(&out[0], a, slice_len(x->dims[a], s.starts[i], s.ends[i],
                                       s.steps[i], &first[a]));
  }
  if (s.known)
    slice_values(x, first, step, &out[0]);
  return 0;
}

/* ---- Gather family ---- */

/* Values of Gather along axis when data and indices are known. */
static int gather_values(const Onnx__NodeProto *node, sp_error *err,
                         const sp_value_info *x, const sp_value_info *idx,
                         int axis, sp_value_info *y) {
  int64_t n = sp_numel(y), dim = x->dims[axis];
  if (n < 0 || n > SP_MAX_KNOWN_VALUES || !idx->has_value)
    return 0;
  int64_t count = sp_numel(idx);
  for (int64_t k = 0; k < count; ++k)
    if (idx->value[k] < -dim || idx->value[k] >= dim)
      return sp_shape_fail(err, node, "index %lld is out of range for axis %d "
                           "of size %lld", (long long)idx->value[k], axis,
                           (long long)dim);
  if (!(sp_has_ints(x) || x->has_float_value))
    return 0;
  int64_t inner = sp_dims_product(x, axis + 1, x->rank);
  int64_t ints[SP_MAX_KNOWN_VALUES];
  double reals[SP_MAX_KNOWN_VALUES];
  const char *params[SP_MAX_KNOWN_VALUES];
  for (int64_t k = 0; k < n; ++k) {
    int64_t o = k / (count * inner), j = (k / inner) % count, in_i = k % inner;
    int64_t at = idx->value[j] < 0 ? idx->value[j] + dim : idx->value[j];
    int64_t src = (o * dim + at) * inner + in_i;
    ints[k] = x->has_float_value ? 0 : x->value[src];
    reals[k] = x->has_float_value ? x->float_value[src] : 0;
    params[k] = x->has_float_value ? NULL : x->value_params[src];
  }
  if (x->has_float_value)
    sp_set_float_values(y, reals, n);
  else
    sp_set_int_values(y, ints, params, n);
  return 0;
}

// Gather(data (d0..dn), indices (i0..im), axis) -> d[:axis] + i + d[axis+1:].
int sp_shape_gather(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0), *idx = sp_in(in, n_in, 1);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  if (!sp_rank_known(x) || !sp_rank_known(idx))
    return 0;
  if (x->rank == 0)
    return sp_shape_fail(err, node, "data must not be a scalar");
  int axis;
  if (sp_norm_axis(node, err, sp_attr_int(node, "axis", 0), x->rank, &axis))
    return -1;
  if (x->rank + idx->rank - 1 > SP_MAX_RANK)
    return 0;
  int r = 0;
  for (int d = 0; d < axis; ++d)
    sp_copy_dim(&out[0], r++, x, d);
  for (int d = 0; d < idx->rank; ++d)
    sp_copy_dim(&out[0], r++, idx, d);
  for (int d = axis + 1; d < x->rank; ++d)
    sp_copy_dim(&out[0], r++, x, d);
  out[0].rank = r;
  if (x->dims[axis] >= 0)
    return gather_values(node, err, x, idx, axis, &out[0]);
  return 0;
}

// GatherElements(data, indices, axis) -> indices' dims, data's type.
int sp_shape_gather_elements(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0), *idx = sp_in(in, n_in, 1);
  sp_same_as(&out[0], idx);
  out[0].elem_type = x ? x->elem_type : 0;
  if (sp_rank_known(x) && sp_rank_known(idx) && x->rank != idx->rank)
    return sp_shape_fail(err, node, "data rank %d differs from indices rank %d",
                         x->rank, idx->rank);
  int axis;
  if (sp_rank_known(x))
    return sp_norm_axis(node, err, sp_attr_int(node, "axis", 0), x->rank, &axis);
  return 0;
}

// GatherND(data (r), indices (q, last m), batch_dims b)
//   -> indices[:-1] + data[b+m:].
int sp_shape_gather_nd(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0), *idx = sp_in(in, n_in, 1);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  if (!sp_rank_known(x) || !sp_rank_known(idx) || idx->rank < 1)
    return 0;
  int64_t b = sp_attr_int(node, "batch_dims", 0), m = idx->dims[idx->rank - 1];
  if (m < 0)
    return 0;
  if (b + m > x->rank)
    return sp_shape_fail(err, node, "indices address %lld dims of rank-%d data",
                         (long long)(b + m), x->rank);
  int r = 0;
  for (int d = 0; d < idx->rank - 1; ++d)
    sp_copy_dim(&out[0], r++, idx, d);
  for (int d = (int)(b + m); d < x->rank && r < SP_MAX_RANK; ++d)
    sp_copy_dim(&out[0], r++, x, d);
  out[0].rank = r;
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
  keep_values(x, &out[0]);
  return 0;
}

// Unsqueeze(X, axes) -> X with size-1 dims inserted at axes (of the output).
int sp_shape_unsqueeze(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  int64_t axes[SP_MAX_RANK];
  int n = sp_axes_arg(node, in, n_in, 1, opset, 13, axes, SP_MAX_RANK);
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
  keep_values(x, &out[0]);
  return 0;
}

/* ---- Expand, Tile, Pad ---- */

// Expand(X, shape) -> broadcast of X's dims with shape.
int sp_shape_expand(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0), *shape = sp_in(in, n_in, 1);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  sp_value_info target;
  if (!x || !shape || sp_shape_from_values(shape, &target))
    return 0;
  const sp_value_info *ins[2] = {x, &target};
  if (sp_broadcast(node, err, ins, 2, &out[0]))
    return -1;
  int64_t n = sp_numel(&out[0]);
  if (n >= 0 && n <= SP_MAX_KNOWN_VALUES && (x->has_value || x->has_float_value)) {
    int64_t ints[SP_MAX_KNOWN_VALUES];
    double reals[SP_MAX_KNOWN_VALUES];
    for (int64_t k = 0; k < n; ++k) {
      int64_t i = sp_broadcast_index(&out[0], k, x);
      ints[k] = x->has_value ? x->value[i] : 0;
      reals[k] = x->has_float_value ? x->float_value[i] : 0;
    }
    if (x->has_value)
      sp_set_int_values(&out[0], ints, NULL, n);
    else
      sp_set_float_values(&out[0], reals, n);
  }
  return 0;
}

// Tile(X, repeats) -> X's dims times repeats.
int sp_shape_tile(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x))
    return 0;
  int64_t reps[SP_MAX_RANK];
  int n = sp_input_ints(in, n_in, 1, reps, SP_MAX_RANK);
  if (n < 0) {
    sp_set_rank(&out[0], x->elem_type, x->rank);
    return 0;
  }
  if (n != x->rank)
    return sp_shape_fail(err, node, "repeats has %d values for rank %d", n, x->rank);
  for (int d = 0; d < n; ++d) {
    if (reps[d] < 0)
      return sp_shape_fail(err, node, "repeats must not be negative");
    if (x->dims[d] >= 0 || reps[d] != 1)
      sp_set_dim(&out[0], d, x->dims[d] < 0 ? -1 : x->dims[d] * reps[d]);
  }
  return 0;
}

// Pad(X, pads (begins then ends), value?, axes?) -> X's dims plus pads.
int sp_shape_pad(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x))
    return 0;
  int64_t pads[2 * SP_MAX_RANK], axes[SP_MAX_RANK];
  int n = opset < 11 ? sp_attr_ints(node, opset < 2 ? "paddings" : "pads", pads,
                                    2 * SP_MAX_RANK)
                     : sp_input_ints(in, n_in, 1, pads, 2 * SP_MAX_RANK);
  int n_axes = sp_in(in, n_in, 3) ? sp_input_ints(in, n_in, 3, axes, SP_MAX_RANK)
                                  : x->rank;
  if (n < 0 || n_axes < 0) {
    sp_set_rank(&out[0], x->elem_type, x->rank);
    return 0;
  }
  if (!sp_in(in, n_in, 3))
    for (int i = 0; i < n_axes; ++i)
      axes[i] = i;
  if (n != 2 * n_axes)
    return sp_shape_fail(err, node, "pads has %d values for %d axes", n, n_axes);
  for (int i = 0; i < n_axes; ++i) {
    int a;
    if (sp_norm_axis(node, err, axes[i], x->rank, &a))
      return -1;
    int64_t d = x->dims[a], total = pads[i] + pads[n_axes + i];
    if (d >= 0 && d + total < 0)
      return sp_shape_fail(err, node, "pads %lld,%lld make axis %d of size %lld "
                           "negative", (long long)pads[i],
                           (long long)pads[n_axes + i], a, (long long)d);
    if (d >= 0 || total != 0)
      sp_set_dim(&out[0], a, d < 0 ? -1 : d + total);
  }
  return 0;
}

/* ---- Resize and Upsample ---- */

/* Dim d of x scaled (ONNX computes floor(d * scale) in float). */
static void scale_dim(const sp_value_info *x, int d, double scale,
                      sp_value_info *y) {
  if (x->dims[d] < 0) {
    if (scale == 1.0)
      sp_copy_dim(y, d, x, d);
    else
      sp_set_dim(y, d, -1);
    return;
  }
  float size = (float)x->dims[d] * (float)scale;
  sp_set_dim(y, d, (int64_t)floorf(size));
}

/* Sizes adjusted by keep_aspect_ratio_policy (opset 18). */
static void keep_aspect(const Onnx__NodeProto *node, const sp_value_info *x,
                        const int64_t *axes, int n, int64_t *sizes) {
  int larger = sp_attr_is(node, "keep_aspect_ratio_policy", "not_smaller", "stretch");
  if (!larger && !sp_attr_is(node, "keep_aspect_ratio_policy", "not_larger", "stretch"))
    return;
  double scale = larger ? 0 : 1e300;
  for (int i = 0; i < n; ++i) {
    if (x->dims[axes[i]] <= 0)
      return;
    double s = (double)sizes[i] / (double)x->dims[axes[i]];
    scale = larger ? (s > scale ? s : scale) : (s < scale ? s : scale);
  }
  for (int i = 0; i < n; ++i)
    sizes[i] = (int64_t)floor(scale * (double)x->dims[axes[i]] + 0.5);
}

// Resize(X, roi?, scales?, sizes?) -> sizes, or floor(X dims * scales).
int sp_shape_resize(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x))
    return 0;
  int scales_at = opset < 11 ? 1 : 2, sizes_at = opset < 11 ? -1 : 3;
  int64_t axes[SP_MAX_RANK], sizes[SP_MAX_RANK];
  double scales[SP_MAX_RANK];
  int n_axes = sp_attr_ints(node, "axes", axes, SP_MAX_RANK);
  for (int i = 0; n_axes < 0 && i < x->rank; ++i)
    axes[i] = i;
  n_axes = n_axes < 0 ? x->rank : n_axes;
  int n_sizes = sizes_at > 0 ? sp_input_ints(in, n_in, sizes_at, sizes, SP_MAX_RANK) : -1;
  int n_scales = sp_input_floats(in, n_in, scales_at, scales, SP_MAX_RANK);
  for (int i = 0, a; i < n_axes; ++i) {
    if (sp_norm_axis(node, err, axes[i], x->rank, &a))
      return -1;
    axes[i] = a;
  }
  if (n_sizes > 0) {
    if (n_sizes != n_axes)
      return sp_shape_fail(err, node, "sizes has %d values for %d axes", n_sizes, n_axes);
    keep_aspect(node, x, axes, n_axes, sizes);
    for (int i = 0; i < n_axes; ++i)
      sp_set_dim(&out[0], (int)axes[i], sizes[i]);
  } else if (n_scales > 0) {
    if (n_scales != n_axes)
      return sp_shape_fail(err, node, "scales has %d values for %d axes", n_scales, n_axes);
    for (int i = 0; i < n_axes; ++i)
      scale_dim(x, (int)axes[i], scales[i], &out[0]);
  } else {
    sp_set_rank(&out[0], x->elem_type, x->rank);
  }
  return 0;
}

// Upsample(X, scales) -> floor(X dims * scales); scales an attribute before 9.
int sp_shape_upsample(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x))
    return 0;
  double scales[SP_MAX_RANK];
  int n = -1;
  const Onnx__AttributeProto *a = sp_attr(node, "scales");
  if (a && opset < 9) {
    n = a->n_floats <= SP_MAX_RANK ? (int)a->n_floats : -1;
    for (int i = 0; i < n; ++i)
      scales[i] = a->floats[i];
  } else if (opset < 7) { // Upsample-1: height_scale / width_scale
    n = x->rank;
    for (int i = 0; i < n; ++i)
      scales[i] = 1.0;
    if (n == 4) {
      scales[2] = sp_attr_float(node, "height_scale", 1.0);
      scales[3] = sp_attr_float(node, "width_scale", 1.0);
    }
  } else {
    n = sp_input_floats(in, n_in, 1, scales, SP_MAX_RANK);
  }
  if (n < 0) {
    sp_set_rank(&out[0], x->elem_type, x->rank);
    return 0;
  }
  if (n != x->rank)
    return sp_shape_fail(err, node, "scales has %d values for rank %d", n, x->rank);
  for (int d = 0; d < n; ++d)
    scale_dim(x, d, scales[d], &out[0]);
  return 0;
}

/* ---- rearrangements ---- */

// DepthToSpace(X (N,C,H,W), blocksize b) -> (N, C/b^2, H*b, W*b).
int sp_shape_depth_to_space(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x))
    return 0;
  int64_t b = sp_attr_int(node, "blocksize", 0);
  if (x->rank != 4 || b <= 0)
    return sp_shape_fail(err, node, "needs a 4-D input and a positive blocksize");
  int64_t c = x->dims[1];
  if (c >= 0 && c % (b * b))
    return sp_shape_fail(err, node, "channels %lld are not divisible by "
                         "blocksize^2 = %lld", (long long)c, (long long)(b * b));
  sp_set_dim(&out[0], 1, c < 0 ? -1 : c / (b * b));
  for (int d = 2; d < 4; ++d)
    sp_set_dim(&out[0], d, x->dims[d] < 0 ? -1 : x->dims[d] * b);
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
  if (x->rank != 4 || b <= 0)
    return sp_shape_fail(err, node, "needs a 4-D input and a positive blocksize");
  sp_set_dim(&out[0], 1, x->dims[1] < 0 ? -1 : x->dims[1] * b * b);
  for (int d = 2; d < 4; ++d) {
    if (x->dims[d] >= 0 && x->dims[d] % b)
      return sp_shape_fail(err, node, "dim %d of size %lld is not divisible by "
                           "blocksize %lld", d, (long long)x->dims[d], (long long)b);
    sp_set_dim(&out[0], d, x->dims[d] < 0 ? -1 : x->dims[d] / b);
  }
  return 0;
}

// ScatterElements, ScatterND, Scatter, ReverseSequence: like data.
int sp_shape_same_as_data(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  sp_same_as(&out[0], sp_in(in, n_in, 0));
  return 0;
}

// Compress(X, condition, axis?) -> X with the axis (or the flattened X)
// reduced to the number of true conditions.
int sp_shape_compress(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0), *cond = sp_in(in, n_in, 1);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  if (!sp_rank_known(x))
    return 0;
  int axis = -1;
  const Onnx__AttributeProto *a = sp_attr(node, "axis");
  if (a && sp_norm_axis(node, err, a->i, x->rank, &axis))
    return -1;
  int64_t limit = axis < 0 ? sp_numel(x) : x->dims[axis], count = -1;
  if (cond && cond->has_value && limit >= 0) {
    int64_t n = sp_numel(cond);
    count = 0;
    for (int64_t k = 0; k < n && k < limit; ++k)
      count += cond->value[k] != 0;
  }
  if (axis < 0) {
    sp_set_rank(&out[0], out[0].elem_type, 1);
    sp_set_dim(&out[0], 0, count);
  } else {
    sp_copy_shape(&out[0], x);
    sp_set_dim(&out[0], axis, count);
  }
  return 0;
}

// OneHot(indices (d..), depth, values (2)) -> indices' dims with depth
// inserted at axis; type of values.
int sp_shape_onehot(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *idx = sp_in(in, n_in, 0), *values = sp_in(in, n_in, 2);
  sp_set_unknown(&out[0], values ? values->elem_type : 0);
  if (!sp_rank_known(idx) || idx->rank + 1 > SP_MAX_RANK)
    return 0;
  int rank = idx->rank + 1, axis;
  if (sp_norm_axis(node, err, sp_attr_int(node, "axis", -1), rank, &axis))
    return -1;
  double depth = -1;
  sp_input_scalar(sp_in(in, n_in, 1), &depth);
  out[0].rank = rank;
  for (int d = 0, s = 0; d < rank; ++d) {
    if (d == axis)
      sp_set_dim(&out[0], d, depth < 0 ? -1 : (int64_t)depth);
    else
      sp_copy_dim(&out[0], d, idx, s++);
  }
  return 0;
}

// CenterCropPad(X, shape, axes?) -> X with the axes resized to shape.
int sp_shape_center_crop_pad(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x))
    return 0;
  int64_t shape[SP_MAX_RANK], axes[SP_MAX_RANK];
  int n = sp_input_ints(in, n_in, 1, shape, SP_MAX_RANK);
  int n_axes = sp_attr_ints(node, "axes", axes, SP_MAX_RANK);
  for (int i = 0; n_axes < 0 && i < x->rank; ++i)
    axes[i] = i;
  n_axes = n_axes < 0 ? x->rank : n_axes;
  if (n < 0) {
    sp_set_rank(&out[0], x->elem_type, x->rank);
    return 0;
  }
  if (n != n_axes)
    return sp_shape_fail(err, node, "shape has %d values for %d axes", n, n_axes);
  for (int i = 0; i < n; ++i) {
    int a;
    if (sp_norm_axis(node, err, axes[i], x->rank, &a))
      return -1;
    sp_set_dim(&out[0], a, shape[i]);
  }
  return 0;
}

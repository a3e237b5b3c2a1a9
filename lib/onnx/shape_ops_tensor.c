/* shape_ops_tensor.c - ops that select or assemble data: Concat, Split,
 * Slice, Gather*, Expand, Tile, Pad, Resize/Upsample, Compress, OneHot.
 * Shape-vector values flow through the ones torch uses for shape arithmetic
 * (Concat, Slice, Gather, Expand). */
#include <math.h>
#include <string.h>

#include "shape_ops.h"

/* ---- Concat and Split ---- */

/* Concatenated values along axis when every input's are known. */
static void concat_values(const sp_value_info *const *in, int n_in, int axis,
                          sp_value_info *y) {
  int64_t total = sp_numel(y);
  if (total <= 0 || total > SP_MAX_KNOWN_VALUES)
    return; // (empty: the outer loop could be long for nothing)
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
          params[k] = sp_value_param(in[i], o * chunk + j);
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
        return sp_shape_fail(err, node,
                             "input %d has shape %s, expected %s "
                             "outside axis %d",
                             i, sp_dims_str(in[i], a, sizeof a),
                             sp_dims_str(first, b, sizeof b), axis);
    sum = sp_dim_add(sum, in[i]->dims[axis]);
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
static int split_sizes(const Onnx__NodeProto *node,
                       const sp_value_info *const *in, int n_in, int64_t opset,
                       int64_t *sizes, int max) {
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
    return sp_shape_fail(err, node, "split has %d sizes for %d outputs", n,
                         n_out);
  if (n > 0) {
    int64_t sum = 0;
    for (int i = 0; i < n; ++i)
      if (sizes[i] < 0 || __builtin_add_overflow(sum, sizes[i], &sum))
        return sp_shape_fail(err, node, "split size %lld is invalid",
                             (long long)sizes[i]);
    if (dim >= 0 && sum != dim)
      return sp_shape_fail(err, node,
                           "split sizes sum to %lld, axis %d has %lld",
                           (long long)sum, axis, (long long)dim);
  } else if (n == 0 &&
             dim >= 0) { // equal parts; opset 18 allows a short last one
    if (sp_attr_int(node, "num_outputs", n_out) != n_out)
      return sp_shape_fail(err, node, "num_outputs %lld but %d outputs",
                           (long long)sp_attr_int(node, "num_outputs", 0),
                           n_out);
    int64_t chunk = n_out ? dim / n_out + (dim % n_out != 0) : 0;
    if (!sp_attr(node, "num_outputs") && n_out && dim % n_out)
      return sp_shape_fail(err, node,
                           "axis %d of size %lld does not split into "
                           "%d equal parts",
                           axis, (long long)dim, n_out);
    for (int i = 0; i < n_out; ++i) {
      int64_t left = dim - chunk * i;
      sizes[i] = left < chunk ? (left > 0 ? left : 0) : chunk;
    }
  }
  for (int i = 0; i < n_out; ++i)
    sp_set_dim(&out[i], axis, n < 0 || (n == 0 && dim < 0) ? -1 : sizes[i]);
  if (x->rank == 1 && sp_has_ints(x)) { // split a shape vector
    const char *params[SP_MAX_KNOWN_VALUES];
    for (int64_t k = 0; k < x->dims[0]; ++k)
      params[k] = sp_value_param(x, k);
    for (int i = 0, at = 0; i < n_out && out[i].dims[0] >= 0;
         at += (int)out[i].dims[0], ++i)
      sp_set_int_values(&out[i], x->value + at, params + at, out[i].dims[0]);
  }
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
static void slice_read(const Onnx__NodeProto *node,
                       const sp_value_info *const *in, int n_in, int64_t opset,
                       slice_args *s) {
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
    na = sp_in(in, n_in, 3) ? sp_input_ints(in, n_in, 3, s->axes, SP_MAX_RANK)
                            : -2;
    nt = sp_in(in, n_in, 4) ? sp_input_ints(in, n_in, 4, s->steps, SP_MAX_RANK)
                            : -2;
  }
  const sp_value_info *starts = sp_in(in, n_in, 1);
  int64_t count = opset >= 10 ? sp_numel(starts) : -1;
  s->n = ns >= 0 ? ns : count >= 0 && count <= SP_MAX_RANK ? (int)count : -1;
  s->known = ns >= 0 && ne == ns && (nt == -2 || nt == ns);
  s->axes_known = na >= 0 || na == -2;
  if (s->n < 0 || s->n > SP_MAX_RANK || (na >= 0 && na != s->n)) {
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
  if (n < 0 || n > SP_MAX_KNOWN_VALUES ||
      !(sp_has_ints(x) || x->has_float_value))
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
      params[k] = sp_value_param(x, src);
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
      sp_set_dim(
          &out[0], a,
          slice_len(x->dims[a], s.starts[i], s.ends[i], s.steps[i], &first[a]));
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
      return sp_shape_fail(err, node,
                           "index %lld is out of range for axis %d "
                           "of size %lld",
                           (long long)idx->value[k], axis, (long long)dim);
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
    params[k] = sp_value_param(x, src);
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
    return sp_norm_axis(node, err, sp_attr_int(node, "axis", 0), x->rank,
                        &axis);
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
  if (b < 0 || b > x->rank || m > x->rank - b)
    return sp_shape_fail(err, node,
                         "indices address %lld dims after %lld batch dims of "
                         "rank-%d data",
                         (long long)m, (long long)b, x->rank);
  int r = 0;
  for (int d = 0; d < idx->rank - 1; ++d)
    sp_copy_dim(&out[0], r++, idx, d);
  for (int d = (int)(b + m); d < x->rank && r < SP_MAX_RANK; ++d)
    sp_copy_dim(&out[0], r++, x, d);
  out[0].rank = r;
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
  if (n >= 0 && n <= SP_MAX_KNOWN_VALUES &&
      (x->has_value || x->has_float_value)) {
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
    return sp_shape_fail(err, node, "repeats has %d values for rank %d", n,
                         x->rank);
  for (int d = 0; d < n; ++d) {
    if (reps[d] < 0)
      return sp_shape_fail(err, node, "repeats must not be negative");
    if (x->dims[d] >= 0 || reps[d] != 1)
      sp_set_dim(&out[0], d, sp_dim_mul(x->dims[d], reps[d]));
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
  int n_axes = sp_in(in, n_in, 3)
                   ? sp_input_ints(in, n_in, 3, axes, SP_MAX_RANK)
                   : x->rank;
  if (n < 0 || n_axes < 0) {
    sp_set_rank(&out[0], x->elem_type, x->rank);
    return 0;
  }
  if (!sp_in(in, n_in, 3))
    for (int i = 0; i < n_axes; ++i)
      axes[i] = i;
  if (n != 2 * n_axes)
    return sp_shape_fail(err, node, "pads has %d values for %d axes", n,
                         n_axes);
  for (int i = 0; i < n_axes; ++i) {
    int a;
    if (sp_norm_axis(node, err, axes[i], x->rank, &a))
      return -1;
    int64_t d = x->dims[a], total, size;
    if (__builtin_add_overflow(pads[i], pads[n_axes + i], &total) ||
        (d >= 0 && __builtin_add_overflow(d, total, &size)))
      return sp_shape_fail(err, node, "pads of axis %d are out of range", a);
    if (d >= 0 && size < 0)
      return sp_shape_fail(err, node,
                           "pads %lld,%lld make axis %d of size %lld "
                           "negative",
                           (long long)pads[i], (long long)pads[n_axes + i], a,
                           (long long)d);
    if (d >= 0 || total != 0)
      sp_set_dim(&out[0], a, d < 0 ? -1 : size);
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
  sp_set_dim(y, d, sp_dim_from_double(floorf(size)));
}

/* Sizes adjusted by keep_aspect_ratio_policy (opset 18). */
static void keep_aspect(const Onnx__NodeProto *node, const sp_value_info *x,
                        const int64_t *axes, int n, int64_t *sizes) {
  int larger =
      sp_attr_is(node, "keep_aspect_ratio_policy", "not_smaller", "stretch");
  if (!larger &&
      !sp_attr_is(node, "keep_aspect_ratio_policy", "not_larger", "stretch"))
    return;
  double scale = larger ? 0 : 1e300;
  for (int i = 0; i < n; ++i) {
    if (x->dims[axes[i]] <= 0)
      return;
    double s = (double)sizes[i] / (double)x->dims[axes[i]];
    scale = larger ? (s > scale ? s : scale) : (s < scale ? s : scale);
  }
  for (int i = 0; i < n; ++i)
    sizes[i] =
        sp_dim_from_double(floor(scale * (double)x->dims[axes[i]] + 0.5));
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
  int n_sizes =
      sizes_at > 0 ? sp_input_ints(in, n_in, sizes_at, sizes, SP_MAX_RANK) : -1;
  int n_scales = sp_input_floats(in, n_in, scales_at, scales, SP_MAX_RANK);
  for (int i = 0, a; i < n_axes; ++i) {
    if (sp_norm_axis(node, err, axes[i], x->rank, &a))
      return -1;
    axes[i] = a;
  }
  if (n_sizes > 0) {
    if (n_sizes != n_axes)
      return sp_shape_fail(err, node, "sizes has %d values for %d axes",
                           n_sizes, n_axes);
    keep_aspect(node, x, axes, n_axes, sizes);
    for (int i = 0; i < n_axes; ++i)
      sp_set_dim(&out[0], (int)axes[i], sizes[i]);
  } else if (n_scales > 0) {
    if (n_scales != n_axes)
      return sp_shape_fail(err, node, "scales has %d values for %d axes",
                           n_scales, n_axes);
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
    return sp_shape_fail(err, node, "scales has %d values for rank %d", n,
                         x->rank);
  for (int d = 0; d < n; ++d)
    scale_dim(x, d, scales[d], &out[0]);
  return 0;
}

/* ---- data-dependent selections ---- */

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
      sp_set_dim(&out[0], d, sp_dim_from_double(depth));
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
    return sp_shape_fail(err, node, "shape has %d values for %d axes", n,
                         n_axes);
  for (int i = 0; i < n; ++i) {
    int a;
    if (sp_norm_axis(node, err, axes[i], x->rank, &a))
      return -1;
    sp_set_dim(&out[0], a, shape[i]);
  }
  return 0;
}

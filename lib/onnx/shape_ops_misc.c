/* shape_ops_misc.c - sources of shapes and values (Constant, Shape, Size,
 * ConstantOfShape, Range), data-dependent ops (NonZero, Unique, NMS),
 * random, quantization and signal-processing ops. */
#include <math.h>
#include <string.h>

#include "shape_ops.h"

/* ---- constants ---- */

/* v becomes a 1-D tensor of n elements of type t. */
static void set_vector(sp_value_info *v, int32_t t, int64_t n) {
  sp_set_rank(v, t, 1);
  sp_set_dim(v, 0, n);
}

// Constant(value | value_float(s) | value_int(s) | value_string(s) |
// sparse_value) -> that tensor, values kept when small.
int sp_shape_constant(SP_SHAPE_FN_ARGS) {
  (void)in, (void)n_in, (void)n_out, (void)opset;
  const Onnx__AttributeProto *a;
  sp_value_info *y = &out[0];
  if ((a = sp_attr(node, "value")) && a->t) {
    sp_tensor_info(a->t, y);
    sp_tensor_values(a->t, NULL, 0, y);
  } else if ((a = sp_attr(node, "value_float"))) {
    sp_set_rank(y, SP_T_FLOAT, 0);
    double f = a->f;
    sp_set_float_values(y, &f, 1);
  } else if ((a = sp_attr(node, "value_floats"))) {
    set_vector(y, SP_T_FLOAT, (int64_t)a->n_floats);
    double f[SP_MAX_KNOWN_VALUES];
    for (size_t i = 0; i < a->n_floats && i < SP_MAX_KNOWN_VALUES; ++i)
      f[i] = a->floats[i];
    sp_set_float_values(y, f, (int64_t)a->n_floats);
  } else if ((a = sp_attr(node, "value_int"))) {
    sp_set_rank(y, SP_T_INT64, 0);
    sp_set_int_values(y, &a->i, NULL, 1);
  } else if ((a = sp_attr(node, "value_ints"))) {
    set_vector(y, SP_T_INT64, (int64_t)a->n_ints);
    sp_set_int_values(y, a->ints, NULL, (int64_t)a->n_ints);
  } else if ((a = sp_attr(node, "value_string"))) {
    sp_set_rank(y, SP_T_STRING, 0);
  } else if ((a = sp_attr(node, "value_strings"))) {
    set_vector(y, SP_T_STRING, (int64_t)a->n_strings);
  } else if ((a = sp_attr(node, "sparse_value")) && a->sparse_tensor) {
    const Onnx__SparseTensorProto *sp = a->sparse_tensor;
    sp_set_rank(y, sp->values ? sp->values->data_type : 0,
                sp->n_dims <= SP_MAX_RANK ? (int)sp->n_dims : -1);
    for (int i = 0; i < y->rank; ++i)
      sp_set_dim(y, i, sp->dims[i]);
  } else {
    return sp_shape_fail(err, node, "has no value attribute");
  }
  return 0;
}

// ConstantOfShape(shape) -> tensor of those dims, type of `value` (float).
int sp_shape_constant_of_shape(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *shape = sp_in(in, n_in, 0);
  const Onnx__AttributeProto *a = sp_attr(node, "value");
  sp_value_info fill;
  sp_set_unknown(&fill, SP_T_FLOAT);
  double zero = 0;
  sp_set_float_values(&fill, &zero, 1);
  if (a && a->t) {
    sp_tensor_info(a->t, &fill);
    if (!sp_tensor_values(a->t, NULL, 0, &fill) || sp_numel(&fill) != 1)
      fill.has_value = fill.has_float_value = 0;
  }
  sp_set_unknown(&out[0], fill.elem_type);
  if (!shape)
    return 0;
  if (shape->has_value)
    for (int i = 0; i < sp_numel(shape); ++i)
      if (shape->value[i] < 0)
        return sp_shape_fail(err, node, "shape value %lld is negative",
                             (long long)shape->value[i]);
  sp_value_info dims;
  if (sp_shape_from_values(shape, &dims))
    return 0;
  sp_copy_shape(&out[0], &dims);
  int64_t n = sp_numel(&out[0]);
  if (n < 0 || n > SP_MAX_KNOWN_VALUES)
    return 0;
  int64_t ints[SP_MAX_KNOWN_VALUES];
  double reals[SP_MAX_KNOWN_VALUES];
  for (int64_t k = 0; k < n; ++k) {
    ints[k] = fill.has_value ? fill.value[0] : 0;
    reals[k] = fill.has_float_value ? fill.float_value[0] : 0;
  }
  if (fill.has_value)
    sp_set_int_values(&out[0], ints, NULL, n);
  else if (fill.has_float_value)
    sp_set_float_values(&out[0], reals, n);
  return 0;
}

// Shape(X, start, end) -> int64 (end - start), values = X's dims (dynamic
// dims as named unknowns).
int sp_shape_shape(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0);
  set_vector(&out[0], SP_T_INT64, -1);
  if (!sp_rank_known(x))
    return 0;
  int64_t r = x->rank, start = sp_attr_int(node, "start", 0);
  int64_t end = sp_attr_int(node, "end", r);
  start = start < 0 ? start + r : start;
  end = end < 0 ? end + r : end;
  start = start < 0 ? 0 : start > r ? r : start;
  end = end < 0 ? 0 : end > r ? r : end;
  int64_t n = end > start ? end - start : 0;
  sp_set_dim(&out[0], 0, n);
  int64_t vals[SP_MAX_RANK];
  const char *params[SP_MAX_RANK];
  for (int64_t i = 0; i < n; ++i) {
    vals[i] = x->dims[start + i] >= 0 ? x->dims[start + i] : SP_UNKNOWN_VALUE;
    params[i] = x->dim_params[start + i];
  }
  sp_set_int_values(&out[0], vals, params, n);
  return 0;
}

// Size(X) -> int64 scalar, value = number of elements when static.
int sp_shape_size(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  int64_t n = sp_numel(sp_in(in, n_in, 0));
  sp_set_rank(&out[0], SP_T_INT64, 0);
  if (n >= 0)
    sp_set_int_values(&out[0], &n, NULL, 1);
  return 0;
}

/* Number of elements of Range over integers (exact; -1 if it overflows). */
static int64_t range_count_int(int64_t start, int64_t limit, int64_t delta) {
  int64_t span;
  if (delta > 0)
    return limit <= start ? 0
           : __builtin_sub_overflow(limit, start, &span)
               ? -1
               : 1 + (span - 1) / delta;
  if (start <= limit)
    return 0;
  if (__builtin_sub_overflow(start, limit, &span) || delta == INT64_MIN)
    return -1;
  return 1 + (span - 1) / -delta;
}

// Range(start, limit, delta) -> 1-D of max(ceil((limit-start)/delta), 0).
int sp_shape_range(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *s = sp_in(in, n_in, 0), *l = sp_in(in, n_in, 1),
                      *d = sp_in(in, n_in, 2);
  set_vector(&out[0], s ? s->elem_type : 0, -1);
  double start, limit, delta;
  if (!sp_input_scalar(s, &start) || !sp_input_scalar(l, &limit) ||
      !sp_input_scalar(d, &delta))
    return 0;
  if (delta == 0)
    return sp_shape_fail(err, node, "delta must not be 0");
  if (s->has_value && l->has_value && d->has_value) {
    int64_t a = s->value[0], b = l->value[0], c = d->value[0];
    int64_t n = range_count_int(a, b, c), vals[SP_MAX_KNOWN_VALUES];
    sp_set_dim(&out[0], 0, n);
    for (int64_t k = 0; k < n && n <= SP_MAX_KNOWN_VALUES; ++k)
      vals[k] = a + k * c;
    sp_set_int_values(&out[0], vals, NULL, n);
    return 0;
  }
  double count = s->elem_type == SP_T_FLOAT
                     ? ceilf(((float)limit - (float)start) / (float)delta)
                     : ceil((limit - start) / delta);
  sp_set_dim(&out[0], 0, count > 0 ? sp_dim_from_double(count) : 0);
  return 0;
}

/* ---- data-dependent outputs ---- */

// NonZero(X) -> int64 (rank(X), number of non-zeros: known only from values).
int sp_shape_nonzero(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_rank(&out[0], SP_T_INT64, 2);
  if (sp_rank_known(x))
    sp_set_dim(&out[0], 0, x->rank);
  int64_t n = sp_numel(x), count = 0;
  if (!x || n < 0 || (!x->has_value && !x->has_float_value))
    return 0;
  for (int64_t k = 0; k < n; ++k)
    count += x->has_value ? x->value[k] != 0 : x->float_value[k] != 0;
  sp_set_dim(&out[0], 1, count);
  return 0;
}

/* Element k of a small known tensor, as double (ints convert exactly). */
static double element(const sp_value_info *x, int64_t k) {
  return x->has_value ? (double)x->value[k] : x->float_value[k];
}

/* Distinct slices of small known x along axis (distinct elements of the
 * flattened x when axis < 0), or -1. */
static int64_t count_distinct(const sp_value_info *x, int axis) {
  int64_t n = sp_numel(x);
  if (n < 0 || (!x->has_value && !x->has_float_value))
    return -1;
  int64_t slices = axis < 0 ? n : x->dims[axis];
  if (n == 0) // empty slices are all equal
    return slices > 0 ? 1 : 0;
  int64_t inner = axis < 0 ? 1 : sp_dims_product(x, axis + 1, x->rank);
  int64_t outer = axis < 0 ? 1 : sp_dims_product(x, 0, axis), count = 0;
  for (int64_t k = 0; k < slices; ++k) {
    int64_t j = 0;
    for (; j < k; ++j) {
      int same = 1;
      for (int64_t o = 0; same && o < outer; ++o)
        for (int64_t i = 0; same && i < inner; ++i)
          same = element(x, (o * slices + j) * inner + i) ==
                 element(x, (o * slices + k) * inner + i);
      if (same)
        break;
    }
    count += j == k;
  }
  return count;
}

// Unique(X, axis?) -> Y, indices, inverse_indices, counts (sizes depend on
// the data, known when X's values are).
int sp_shape_unique(SP_SHAPE_FN_ARGS) {
  (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  const Onnx__AttributeProto *a = sp_attr(node, "axis");
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  int axis = -1;
  if (a && !sp_rank_known(x))
    return 0;
  if (a && sp_norm_axis(node, err, a->i, x->rank, &axis))
    return -1;
  int64_t distinct = x ? count_distinct(x, axis) : -1;
  if (axis >= 0) {
    sp_copy_shape(&out[0], x);
    sp_set_dim(&out[0], axis, distinct);
  } else {
    set_vector(&out[0], out[0].elem_type, distinct);
  }
  for (int i = 1; i < n_out; ++i)
    set_vector(&out[i], SP_T_INT64, distinct);
  if (n_out > 2) // inverse_indices: one per input element (or axis slice)
    sp_set_dim(&out[2], 0, axis >= 0 ? x->dims[axis] : sp_numel(x));
  return 0;
}

// NonMaxSuppression(boxes, scores, ...) -> int64 (selected, 3).
int sp_shape_nms(SP_SHAPE_FN_ARGS) {
  (void)in, (void)n_in, (void)n_out, (void)opset, (void)err, (void)node;
  sp_set_rank(&out[0], SP_T_INT64, 2);
  sp_set_dim(&out[0], 1, 3);
  return 0;
}

/* ---- random ---- */

// RandomUniform/RandomNormal(shape, dtype) -> that tensor.
int sp_shape_random(SP_SHAPE_FN_ARGS) {
  (void)in, (void)n_in, (void)n_out, (void)opset, (void)err;
  int64_t shape[SP_MAX_RANK];
  int n = sp_attr_ints(node, "shape", shape, SP_MAX_RANK);
  sp_set_unknown(&out[0], (int32_t)sp_attr_int(node, "dtype", SP_T_FLOAT));
  if (n >= 0) {
    sp_set_rank(&out[0], out[0].elem_type, n);
    for (int i = 0; i < n; ++i)
      sp_set_dim(&out[0], i, shape[i]);
  }
  return 0;
}

// Multinomial(input (B,classes), sample_size) -> (B, sample_size) int32.
int sp_shape_multinomial(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_rank(&out[0], (int32_t)sp_attr_int(node, "dtype", SP_T_INT32), 2);
  if (sp_rank_known(x) && x->rank == 2)
    sp_copy_dim(&out[0], 0, x, 0);
  sp_set_dim(&out[0], 1, sp_attr_int(node, "sample_size", 1));
  return 0;
}

/* ---- quantization ---- */

// QuantizeLinear(x, scale, zero_point?) -> x's shape, zero_point's type.
int sp_shape_quantize(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *zp = sp_in(in, n_in, 2);
  sp_same_as(&out[0], sp_in(in, n_in, 0));
  out[0].elem_type =
      zp && zp->elem_type
          ? zp->elem_type
          : (int32_t)sp_attr_int(node, "output_dtype", SP_T_UINT8);
  if (!out[0].elem_type)
    out[0].elem_type = SP_T_UINT8;
  return 0;
}

// DequantizeLinear(x, scale, zero_point?) -> x's shape, scale's type.
int sp_shape_dequantize(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err, (void)node;
  const sp_value_info *scale = sp_in(in, n_in, 1);
  sp_same_as(&out[0], sp_in(in, n_in, 0));
  out[0].elem_type = scale && scale->elem_type ? scale->elem_type : SP_T_FLOAT;
  return 0;
}

// DynamicQuantizeLinear(x) -> y uint8 like x, scale float, zero_point uint8.
int sp_shape_dynamic_quantize(SP_SHAPE_FN_ARGS) {
  (void)opset, (void)err, (void)node;
  sp_same_as(&out[0], sp_in(in, n_in, 0));
  out[0].elem_type = SP_T_UINT8;
  if (n_out > 1)
    sp_set_rank(&out[1], SP_T_FLOAT, 0);
  if (n_out > 2)
    sp_set_rank(&out[2], SP_T_UINT8, 0);
  return 0;
}

/* ---- signal processing ---- */

/* A scalar input's integer value, or -1. */
static int64_t scalar_int(const sp_value_info *v) {
  double x;
  return sp_input_scalar(v, &x) ? sp_dim_from_double(x) : -1;
}

// HannWindow/HammingWindow/BlackmanWindow(size) -> (size), output_datatype.
int sp_shape_window(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  int32_t t = (int32_t)sp_attr_int(node, "output_datatype", SP_T_FLOAT);
  set_vector(&out[0], t, scalar_int(sp_in(in, n_in, 0)));
  return 0;
}

// DFT(input (B, n1.., 1|2), dft_length?, axis?) -> (B, .., 2) with the axis
// resized to dft_length (halved + 1 when onesided).
int sp_shape_dft(SP_SHAPE_FN_ARGS) {
  (void)n_out;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x))
    return 0;
  if (x->rank < 2)
    return sp_shape_fail(err, node, "input must have rank >= 2, got %d",
                         x->rank);
  int64_t axis = sp_attr_int(node, "axis", 1);
  if (opset >= 20) { // axis moved to input 2 (default -2)
    double v = -2;
    if (sp_in(in, n_in, 2) && (!sp_input_scalar(in[2], &v) || fabs(v) > 64)) {
      sp_set_rank(&out[0], x->elem_type, x->rank);
      return 0;
    }
    axis = (int64_t)v;
  }
  int a;
  if (sp_norm_axis(node, err, axis, x->rank, &a))
    return -1;
  if (a == x->rank - 1)
    return sp_shape_fail(err, node, "axis must not be the last (complex) dim");
  int64_t n = sp_in(in, n_in, 1) ? scalar_int(sp_in(in, n_in, 1)) : x->dims[a];
  if (n >= 0 && sp_attr_int(node, "onesided", 0))
    n = n / 2 + 1;
  sp_set_dim(&out[0], a, n);
  sp_set_dim(&out[0], x->rank - 1, 2);
  return 0;
}

// STFT(signal (B, L, 1|2), frame_step, window?, frame_length?)
//   -> (B, frames, bins, 2).
int sp_shape_stft(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0), *window = sp_in(in, n_in, 2);
  sp_set_rank(&out[0], x ? x->elem_type : 0, 4);
  sp_set_dim(&out[0], 3, 2);
  if (sp_rank_known(x) && x->rank >= 1)
    sp_copy_dim(&out[0], 0, x, 0);
  int64_t step = scalar_int(sp_in(in, n_in, 1));
  int64_t length = sp_in(in, n_in, 3) ? scalar_int(sp_in(in, n_in, 3))
                   : sp_rank_known(window) && window->rank == 1
                       ? window->dims[0]
                       : -1;
  int64_t signal = sp_rank_known(x) && x->rank >= 2 ? x->dims[1] : -1;
  if (signal >= 0 && length > 0 && step > 0)
    sp_set_dim(&out[0], 1, (signal - length) / step + 1);
  if (length >= 0)
    sp_set_dim(&out[0], 2,
               sp_attr_int(node, "onesided", 1) ? length / 2 + 1 : length);
  return 0;
}

// MelWeightMatrix(num_mel_bins, dft_length, ...) -> (dft_length/2 + 1, bins).
int sp_shape_mel_weight_matrix(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  int64_t bins = scalar_int(sp_in(in, n_in, 0)),
          dft = scalar_int(sp_in(in, n_in, 1));
  sp_set_rank(&out[0],
              (int32_t)sp_attr_int(node, "output_datatype", SP_T_FLOAT), 2);
  sp_set_dim(&out[0], 0, dft < 0 ? -1 : dft / 2 + 1);
  sp_set_dim(&out[0], 1, bins);
  return 0;
}

// TfIdfVectorizer(X (N) or (B,N)) -> float (max(ngram_indexes)+1) or (B, ..).
int sp_shape_tfidf(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0);
  const Onnx__AttributeProto *a = sp_attr(node, "ngram_indexes");
  int64_t size = -1;
  for (size_t i = 0; a && i < a->n_ints; ++i)
    if (a->ints[i] >= 0 && a->ints[i] < SP_DIM_LIMIT && a->ints[i] + 1 > size)
      size = a->ints[i] + 1;
  sp_set_unknown(&out[0], SP_T_FLOAT);
  if (!sp_rank_known(x))
    return 0;
  sp_set_rank(&out[0], SP_T_FLOAT, x->rank == 2 ? 2 : 1);
  if (x->rank == 2)
    sp_copy_dim(&out[0], 0, x, 0);
  sp_set_dim(&out[0], out[0].rank - 1, size);
  return 0;
}

// StringNormalizer(X (C) or (1,C)) -> strings; stopwords make C dynamic.
int sp_shape_string_normalizer(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  out[0].elem_type = SP_T_STRING;
  if (sp_rank_known(x) && x->rank >= 1 && sp_attr(node, "stopwords"))
    sp_set_dim(&out[0], x->rank - 1, -1);
  return 0;
}

// StringSplit(X) -> Y (X's dims + substrings, dynamic), Z int64 like X.
int sp_shape_string_split(SP_SHAPE_FN_ARGS) {
  (void)opset, (void)err, (void)node;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  out[0].elem_type = SP_T_STRING;
  if (sp_rank_known(x) && x->rank < SP_MAX_RANK)
    sp_set_dim(&out[0], out[0].rank++, -1);
  if (n_out > 1) {
    sp_same_as(&out[1], x);
    out[1].elem_type = SP_T_INT64;
  }
  return 0;
}

/* ---- training ---- */

// Adagrad(R, T, X.., G.., H..) -> X'.., H'..; Adam(R, T, X.., G.., V.., H..)
// -> X'.., V'.., H'..; Momentum(R, T, X.., G.., V..) -> X'.., V'..: each
// output group has the shapes of the matching input group (G has none).
int sp_shape_optimizer(SP_SHAPE_FN_ARGS) {
  (void)opset;
  int n = n_in - 2 - n_out; // tensors optimized
  if (n <= 0 || n_out % n)
    return sp_shape_fail(err, node, "%d inputs do not fit %d outputs", n_in,
                         n_out);
  for (int j = 0; j < n_out; ++j) {
    int group = j / n;
    sp_same_as(&out[j],
               sp_in(in, n_in, 2 + (group ? group + 1 : 0) * n + j % n));
  }
  return 0;
}

// Gradient(xs..., zs...) -> dy/dx for each x: x's shape.
int sp_shape_gradient(SP_SHAPE_FN_ARGS) {
  (void)opset, (void)err, (void)node;
  for (int i = 0; i < n_out; ++i)
    sp_same_as(&out[i], sp_in(in, n_in, i));
  return 0;
}

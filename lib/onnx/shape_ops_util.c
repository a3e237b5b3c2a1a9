/* shape_ops_util.c - attribute, shape and value helpers for shape functions. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shape_ops.h"

/* ---- errors and attributes ---- */

const char *sp_node_label(const Onnx__NodeProto *node) {
  if (node->name && node->name[0])
    return node->name;
  if (node->n_output > 0 && node->output[0][0])
    return node->output[0];
  return "?";
}

int sp_shape_fail(sp_error *err, const Onnx__NodeProto *node, const char *fmt,
                  ...) {
  char what[SP_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return sp_error_set(err, "node '%s' (%s): %s", sp_node_label(node),
                      node->op_type, what);
}

const Onnx__AttributeProto *sp_attr(const Onnx__NodeProto *node,
                                    const char *name) {
  for (size_t i = 0; i < node->n_attribute; ++i)
    if (strcmp(node->attribute[i]->name, name) == 0)
      return node->attribute[i];
  return NULL;
}

int64_t sp_attr_int(const Onnx__NodeProto *node, const char *name,
                    int64_t fallback) {
  const Onnx__AttributeProto *a = sp_attr(node, name);
  return a ? a->i : fallback;
}

double sp_attr_float(const Onnx__NodeProto *node, const char *name,
                     double fallback) {
  const Onnx__AttributeProto *a = sp_attr(node, name);
  return a ? a->f : fallback;
}

int sp_attr_ints(const Onnx__NodeProto *node, const char *name, int64_t *vals,
                 int max) {
  const Onnx__AttributeProto *a = sp_attr(node, name);
  if (!a)
    return -1;
  int n = a->n_ints < (size_t)max ? (int)a->n_ints : max;
  memcpy(vals, a->ints, (size_t)n * sizeof *vals);
  return n;
}

int sp_attr_str(const Onnx__NodeProto *node, const char *name, char *buf,
                size_t size) {
  const Onnx__AttributeProto *a = sp_attr(node, name);
  buf[0] = '\0';
  if (!a || size == 0)
    return 0;
  size_t n = a->s.len < size - 1 ? a->s.len : size - 1;
  if (n)
    memcpy(buf, a->s.data, n);
  buf[n] = '\0';
  return 1;
}

int sp_attr_is(const Onnx__NodeProto *node, const char *name, const char *s,
               const char *fallback) {
  char buf[64];
  if (!sp_attr_str(node, name, buf, sizeof buf))
    return strcmp(fallback, s) == 0;
  return strcmp(buf, s) == 0;
}

/* ---- shapes ---- */

void sp_set_unknown(sp_value_info *v, int32_t elem_type) {
  v->kind = SP_VALUE_TENSOR;
  v->elem_type = elem_type;
  v->rank = -1;
  v->has_value = v->has_float_value = v->partial_value = 0;
  v->has_seq_length = 0;
}

void sp_set_rank(sp_value_info *v, int32_t elem_type, int rank) {
  sp_set_unknown(v, elem_type);
  v->rank = rank;
  for (int i = 0; i < rank; ++i)
    sp_set_dim(v, i, -1);
}

void sp_copy_shape(sp_value_info *dst, const sp_value_info *src) {
  dst->rank = src->rank;
  for (int i = 0; i < src->rank; ++i)
    sp_copy_dim(dst, i, src, i);
}

void sp_same_as(sp_value_info *dst, const sp_value_info *src) {
  sp_set_unknown(dst, src ? src->elem_type : 0);
  if (src)
    sp_copy_shape(dst, src);
}

int64_t sp_dims_product(const sp_value_info *v, int from, int to) {
  int64_t n = 1;
  for (int i = from; i < to && n >= 0; ++i)
    n = sp_dim_mul(n, v->dims[i]);
  return n;
}

int64_t sp_numel(const sp_value_info *v) {
  if (!v || v->rank < 0)
    return -1;
  return sp_dims_product(v, 0, v->rank);
}

int sp_norm_axis(const Onnx__NodeProto *node, sp_error *err, int64_t axis,
                 int rank, int *out) {
  if (axis < -rank || axis >= rank)
    return sp_shape_fail(err, node, "axis %lld is out of range for rank %d",
                         (long long)axis, rank);
  *out = (int)(axis < 0 ? axis + rank : axis);
  return 0;
}

int sp_merge_dim(sp_value_info *dst, int di, const sp_value_info *src, int si) {
  int64_t a = dst->dims[di], b = src->dims[si];
  if (a >= 0 && b >= 0)
    return a == b ? 0 : -1;
  if (a < 0 && b >= 0)
    sp_copy_dim(dst, di, src, si);
  else if (a < 0 && b < 0 && !dst->dim_params[di])
    dst->dim_params[di] = src->dim_params[si];
  return 0;
}

void sp_merge_info(sp_value_info *a, const sp_value_info *b) {
  if (!a->elem_type)
    a->elem_type = b->elem_type;
  a->has_value = a->has_float_value = a->partial_value = 0;
  if (!b->has_seq_length || a->seq_length != b->seq_length)
    a->has_seq_length = 0;
  if (a->rank < 0 || b->rank < 0 || a->rank != b->rank) {
    a->rank = -1;
    return;
  }
  for (int d = 0; d < a->rank; ++d) {
    int same_name = a->dim_params[d] && b->dim_params[d] &&
                    !strcmp(a->dim_params[d], b->dim_params[d]);
    if (a->dims[d] != b->dims[d] || (a->dims[d] < 0 && !same_name))
      sp_set_dim(a, d, -1);
  }
}

const char *sp_dims_str(const sp_value_info *v, char *buf, size_t size) {
  if (!v || v->rank < 0) {
    snprintf(buf, size, "unranked");
    return buf;
  }
  if (v->rank == 0) {
    snprintf(buf, size, "scalar");
    return buf;
  }
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < v->rank && used < size; ++i) {
    const char *sep = i ? "x" : "";
    int n;
    if (v->dims[i] >= 0)
      n = snprintf(buf + used, size - used, "%s%lld", sep,
                   (long long)v->dims[i]);
    else
      n = snprintf(buf + used, size - used, "%s%s", sep,
                   v->dim_params[i] ? v->dim_params[i] : "?");
    used += n > 0 ? (size_t)n : 0;
  }
  return buf;
}

/* One output dim of a broadcast from the dims aligned at it (-2 = absent). */
static int broadcast_dim(const sp_value_info *const *ins, int n, int out_rank,
                         int od, sp_value_info *out) {
  int64_t fixed = 1;
  const char *param = NULL;
  int dynamic = 0, params_agree = 1;
  for (int k = 0; k < n; ++k) {
    const sp_value_info *v = ins[k];
    int d = od - (out_rank - (v ? v->rank : 0));
    if (!v || d < 0)
      continue;
    int64_t x = v->dims[d];
    if (x >= 0 && x != 1) {
      if (fixed != 1 && fixed != x)
        return -1;
      fixed = x;
    } else if (x < 0 && !dynamic) {
      param = v->dim_params[d];
      dynamic = 1;
    } else if (x < 0) {
      const char *p = v->dim_params[d];
      params_agree = params_agree && param && p && strcmp(param, p) == 0;
    }
  }
  if (fixed != 1 || !dynamic)
    sp_set_dim(out, od,
               fixed); // a static non-1 dim decides; dynamics must match it
  else {
    sp_set_dim(out, od, -1);
    out->dim_params[od] = params_agree ? param : NULL;
  }
  return 0;
}

int sp_broadcast(const Onnx__NodeProto *node, sp_error *err,
                 const sp_value_info *const *ins, int n, sp_value_info *out) {
  int rank = 0;
  for (int k = 0; k < n; ++k) {
    if (!ins[k])
      continue;
    if (ins[k]->rank < 0) {
      out->rank = -1;
      return 0;
    }
    rank = ins[k]->rank > rank ? ins[k]->rank : rank;
  }
  out->rank = rank;
  for (int d = 0; d < rank; ++d) {
    if (broadcast_dim(ins, n, rank, d, out) == 0)
      continue;
    char msg[256], buf[96];
    size_t used = 0;
    for (int k = 0; k < n && used < sizeof msg; ++k) {
      if (!ins[k])
        continue;
      int w = snprintf(msg + used, sizeof msg - used, "%s%s", used ? ", " : "",
                       sp_dims_str(ins[k], buf, sizeof buf));
      used += w > 0 ? (size_t)w : 0;
    }
    return sp_shape_fail(err, node, "shapes %s cannot be broadcast", msg);
  }
  return 0;
}

int64_t sp_broadcast_index(const sp_value_info *out, int64_t k,
                           const sp_value_info *v) {
  int64_t coords[SP_MAX_RANK];
  for (int d = out->rank - 1; d >= 0; --d) {
    coords[d] = k % out->dims[d];
    k /= out->dims[d];
  }
  int64_t idx = 0, stride = 1;
  for (int vd = v->rank - 1, d = out->rank - 1; vd >= 0; --vd, --d) {
    idx += (v->dims[vd] == 1 ? 0 : coords[d]) * stride;
    stride *= v->dims[vd];
  }
  return idx;
}

int sp_shape_from_values(const sp_value_info *shape, sp_value_info *dims) {
  int64_t n = sp_numel(shape);
  if (n < 0 || n > SP_MAX_RANK || shape->rank > 1)
    return -1;
  sp_set_rank(dims, SP_T_INT64, (int)n);
  if (!sp_has_ints(shape))
    return 0;
  for (int i = 0; i < n; ++i) {
    int64_t v = shape->value[i];
    sp_set_dim(dims, i, v == SP_UNKNOWN_VALUE ? -1 : v);
    dims->dim_params[i] =
        v == SP_UNKNOWN_VALUE ? sp_value_param(shape, i) : NULL;
  }
  return 0;
}

int sp_input_ints(const sp_value_info *const *in, int n_in, int i,
                  int64_t *vals, int max) {
  const sp_value_info *v = sp_in(in, n_in, i);
  int64_t n = sp_numel(v);
  if (!v || !v->has_value || n < 0 || n > max)
    return -1;
  memcpy(vals, v->value, (size_t)n * sizeof *vals);
  return (int)n;
}

int sp_input_floats(const sp_value_info *const *in, int n_in, int i,
                    double *vals, int max) {
  const sp_value_info *v = sp_in(in, n_in, i);
  int64_t n = sp_numel(v);
  if (!v || (!v->has_value && !v->has_float_value) || n < 0 || n > max)
    return -1;
  for (int64_t k = 0; k < n; ++k)
    vals[k] = v->has_value ? (double)v->value[k] : v->float_value[k];
  return (int)n;
}

int sp_axes_arg(const Onnx__NodeProto *node, const sp_value_info *const *in,
                int n_in, int input_index, int64_t opset, int64_t since,
                int64_t *axes, int max) {
  int n = sp_attr_ints(node, "axes", axes, max);
  if (n >= 0 || opset < since)
    return n;
  const sp_value_info *v = sp_in(in, n_in, input_index);
  if (!v)
    return -1;
  n = sp_input_ints(in, n_in, input_index, axes, max);
  return n >= 0 ? n : -2;
}

/* ---- values ---- */

void sp_keep_values(const sp_value_info *x, sp_value_info *y) {
  if (!x)
    return;
  y->has_value = x->has_value;
  y->has_float_value = x->has_float_value;
  y->partial_value = x->partial_value;
  memcpy(y->value, x->value, sizeof y->value);
  memcpy(y->value_params, x->value_params, sizeof y->value_params);
}

void sp_set_int_values(sp_value_info *v, const int64_t *vals,
                       const char *const *params, int64_t n) {
  v->has_value = v->has_float_value = v->partial_value = 0;
  if (n < 0 || n > SP_MAX_KNOWN_VALUES)
    return;
  int partial = 0;
  for (int64_t k = 0; k < n; ++k)
    partial |= vals[k] == SP_UNKNOWN_VALUE;
  if (partial && n > SP_MAX_RANK)
    return; // partial values are shape vectors: keep the struct small
  memmove(v->value, vals, (size_t)n * sizeof *vals);
  for (int64_t k = 0; partial && k < n; ++k)
    v->value_params[k] = params ? params[k] : NULL;
  v->partial_value = partial;
  v->has_value = !partial;
}

void sp_set_float_values(sp_value_info *v, const double *vals, int64_t n) {
  v->has_value = v->has_float_value = v->partial_value = 0;
  if (n < 0 || n > SP_MAX_KNOWN_VALUES)
    return;
  for (int64_t k = 0; k < n; ++k)
    v->float_value[k] = vals[k];
  v->has_float_value = 1;
}

void sp_tensor_info(const Onnx__TensorProto *t, sp_value_info *v) {
  sp_set_unknown(v, t->data_type);
  v->rank = t->n_dims <= SP_MAX_RANK ? (int)t->n_dims : -1;
  for (int i = 0; i < v->rank; ++i)
    sp_set_dim(v, i, t->dims[i]);
}

static double half_to_double(uint16_t h) {
  int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double x = exp == 0    ? ldexp(mant, -24)
             : exp == 31 ? (mant ? NAN : INFINITY)
                         : ldexp(mant + 1024, exp - 25);
  return (h & 0x8000) ? -x : x;
}

static double bfloat_to_double(uint16_t b) {
  uint32_t bits = (uint32_t)b << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* Element k of little-endian raw data of type t, as double and int64. */
static void raw_element(int32_t t, const unsigned char *p, int64_t k,
                        int64_t *i, double *f) {
  union {
    int64_t i64;
    uint64_t u64;
    int32_t i32;
    uint32_t u32;
    int16_t i16;
    uint16_t u16;
    float f32;
    double f64;
  } u;
  size_t size = sp_onnx_elem_size(t);
  memcpy(&u, p + (size_t)k * size, size);
  switch (t) {
  case SP_T_INT64:
    *i = u.i64;
    break;
  case SP_T_UINT64:
    *i = (int64_t)u.u64;
    break;
  case SP_T_INT32:
    *i = u.i32;
    break;
  case SP_T_UINT32:
    *i = u.u32;
    break;
  case SP_T_INT16:
    *i = u.i16;
    break;
  case SP_T_UINT16:
    *i = u.u16;
    break;
  case SP_T_INT8:
    *i = (int8_t)p[k];
    break;
  case SP_T_UINT8:
  case SP_T_BOOL:
    *i = p[k];
    break;
  case SP_T_FLOAT:
    *f = u.f32;
    break;
  case SP_T_DOUBLE:
    *f = u.f64;
    break;
  case SP_T_FLOAT16:
    *f = half_to_double(u.u16);
    break;
  case SP_T_BFLOAT16:
    *f = bfloat_to_double(u.u16);
    break;
  default:
    break;
  }
}

/* Element k from the typed fields of t (no raw data). 0 if absent. */
static int typed_element(const Onnx__TensorProto *t, int64_t k, int64_t *i,
                         double *f) {
  size_t n = (size_t)k;
  switch (t->data_type) {
  case SP_T_INT64:
    if (n >= t->n_int64_data)
      return 0;
    *i = t->int64_data[n];
    return 1;
  case SP_T_UINT64:
  case SP_T_UINT32:
    if (n >= t->n_uint64_data)
      return 0;
    *i = (int64_t)t->uint64_data[n];
    return 1;
  case SP_T_FLOAT:
    if (n >= t->n_float_data)
      return 0;
    *f = t->float_data[n];
    return 1;
  case SP_T_DOUBLE:
    if (n >= t->n_double_data)
      return 0;
    *f = t->double_data[n];
    return 1;
  case SP_T_FLOAT16:
  case SP_T_BFLOAT16:
    if (n >= t->n_int32_data)
      return 0;
    *f = t->data_type == SP_T_FLOAT16
             ? half_to_double((uint16_t)t->int32_data[n])
             : bfloat_to_double((uint16_t)t->int32_data[n]);
    return 1;
  default: // int32, int16, int8, uint16, uint8, bool live in int32_data
    if (n >= t->n_int32_data)
      return 0;
    *i = t->int32_data[n];
    return 1;
  }
}

int sp_tensor_values(const Onnx__TensorProto *t, const void *data, size_t size,
                     sp_value_info *v) {
  int32_t type = t->data_type;
  int is_float = sp_is_float_type(type);
  if (!is_float && !sp_is_int_type(type))
    return 0;
  int64_t n = 1;
  for (size_t d = 0; d < t->n_dims; ++d)
    n = sp_dim_mul(n, t->dims[d]);
  if (n < 0 || n > SP_MAX_KNOWN_VALUES)
    return 0;
  if (!data && t->has_raw_data) {
    data = t->raw_data.data;
    size = t->raw_data.len;
  }
  if (t->has_data_location &&
      t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL && !data)
    return 0;
  int64_t ints[SP_MAX_KNOWN_VALUES];
  double floats[SP_MAX_KNOWN_VALUES];
  for (int64_t k = 0; k < n; ++k) {
    ints[k] = 0;
    floats[k] = 0;
    if (data) {
      if ((size_t)n * sp_onnx_elem_size(type) > size)
        return 0;
      raw_element(type, data, k, &ints[k], &floats[k]);
    } else if (!typed_element(t, k, &ints[k], &floats[k])) {
      return 0;
    }
  }
  if (is_float)
    sp_set_float_values(v, floats, n);
  else
    sp_set_int_values(v, ints, NULL, n);
  return 1;
}

int sp_input_scalar(const sp_value_info *v, double *x) {
  if (!v || sp_numel(v) != 1)
    return 0;
  if (v->has_value)
    *x = (double)v->value[0];
  else if (v->has_float_value)
    *x = v->float_value[0];
  else
    return 0;
  return 1;
}

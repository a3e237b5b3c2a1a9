/* activation.c - node adapters of the unary elementwise ops (activations
 * and math), Clip, Softmax/LogSoftmax/Hardmax: attributes read from the
 * node, then the math of kernels/activation.c. */
#include <math.h>
#include <string.h>

#include "ops.h"

static const struct {
  const char *name;
  unary_op op;
  int ints; /* also defined on integers */
} UNARY[] = {
    {"Relu", U_RELU, 1},          {"LeakyRelu", U_LEAKY, 0},
    {"Elu", U_ELU, 0},            {"Selu", U_SELU, 0},
    {"Celu", U_CELU, 0},          {"ThresholdedRelu", U_THRELU, 0},
    {"Sigmoid", U_SIGMOID, 0},    {"HardSigmoid", U_HSIGMOID, 0},
    {"HardSwish", U_HSWISH, 0},   {"Tanh", U_TANH, 0},
    {"Gelu", U_GELU, 0},          {"Softplus", U_SOFTPLUS, 0},
    {"Softsign", U_SOFTSIGN, 0},  {"Mish", U_MISH, 0},
    {"Exp", U_EXP, 0},            {"Log", U_LOG, 0},
    {"Sqrt", U_SQRT, 0},          {"Reciprocal", U_RECIP, 0},
    {"Floor", U_FLOOR, 0},        {"Ceil", U_CEIL, 0},
    {"Round", U_ROUND, 0},        {"Abs", U_ABS, 1},
    {"Neg", U_NEG, 1},            {"Sign", U_SIGN, 1},
    {"Erf", U_ERF, 0},            {"Sin", U_SIN, 0},
    {"Cos", U_COS, 0},            {"Tan", U_TAN, 0},
    {"Asin", U_ASIN, 0},          {"Acos", U_ACOS, 0},
    {"Atan", U_ATAN, 0},          {"Sinh", U_SINH, 0},
    {"Cosh", U_COSH, 0},          {"Asinh", U_ASINH, 0},
    {"Acosh", U_ACOSH, 0},        {"Atanh", U_ATANH, 0},
    {"IsNaN", U_ISNAN, 0},        {"IsInf", U_ISINF, 0},
};

static int find_unary(const char *name, unary_op *op, int *ints) {
  for (size_t i = 0; i < sizeof UNARY / sizeof UNARY[0]; ++i)
    if (!strcmp(UNARY[i].name, name)) {
      *op = UNARY[i].op;
      *ints = UNARY[i].ints;
      return 0;
    }
  return -1;
}

static int unary_params(const rt_node *n, unary_op op, float *a, float *b) {
  *a = 0;
  *b = 0;
  switch (op) {
  case U_LEAKY: *a = rt_attr_float(n, "alpha", 0.01f); break;
  case U_ELU:
  case U_CELU:
  case U_THRELU: *a = rt_attr_float(n, "alpha", 1.0f); break;
  case U_SELU:
    *a = rt_attr_float(n, "alpha", 1.67326319217681884765625f);
    *b = rt_attr_float(n, "gamma", 1.05070102214813232421875f);
    break;
  case U_HSIGMOID:
    *a = rt_attr_float(n, "alpha", 0.2f);
    *b = rt_attr_float(n, "beta", 0.5f);
    break;
  default: break;
  }
  return 0;
}

RT_KERNEL(rt_unary_prepare) {
  (void)rt;
  unary_op op;
  int ints;
  if (find_unary(n->proto->op_type, &op, &ints))
    return rt_unsupported(err, n, "no unary kernel");
  if (!rt_in(n, 0))
    return rt_fail(err, n, "missing input");
  int32_t t = n->in[0]->t.elem_type;
  if (t == RT_FLOAT || t == RT_DOUBLE)
    return 0;
  if (ints && (t == RT_INT64 || t == RT_INT32 || t == RT_INT8))
    return 0;
  return rt_check_types(err, n, 0, RT_FLOAT, RT_DOUBLE, 0);
}

RT_KERNEL(rt_unary) {
  (void)rt;
  unary_op op;
  int ints;
  if (find_unary(n->proto->op_type, &op, &ints))
    return rt_unsupported(err, n, "no unary kernel");
  if (op == U_GELU && rt_attr_is(n, "approximate", "tanh", "none"))
    op = U_GELU_TANH;
  if (op == U_ISINF) {
    int pos = (int)rt_attr_int(n, "detect_positive", 1);
    int neg = (int)rt_attr_int(n, "detect_negative", 1);
    const sp_tensor *x = &n->in[0]->t;
    uint8_t *y = n->out[0]->t.data;
    for (int64_t i = 0; i < x->numel; ++i) {
      double v = rt_get_double(x, i);
      y[i] = isinf(v) && ((v > 0 && pos) || (v < 0 && neg));
    }
    return 0;
  }
  float a, b;
  unary_params(n, op, &a, &b);
  const sp_tensor *x = &n->in[0]->t;
  sp_tensor *y = &n->out[0]->t;
  int64_t k = x->numel;
  if (op == U_ISNAN) {
    uint8_t *yd = y->data;
    for (int64_t i = 0; i < k; ++i)
      yd[i] = isnan(rt_get_double(x, i));
    return 0;
  }
  switch (x->elem_type) {
  case RT_FLOAT: unary_forward(y->data, x->data, k, op, a, b); break;
  case RT_DOUBLE:
    for (int64_t i = 0; i < k; ++i)
      ((double *)y->data)[i] = unary_apply(op, ((const double *)x->data)[i], a, b);
    break;
  case RT_INT64:
    for (int64_t i = 0; i < k; ++i) {
      int64_t v = ((const int64_t *)x->data)[i];
      ((int64_t *)y->data)[i] = op == U_NEG   ? -v
                                : op == U_ABS ? (v < 0 ? -v : v)
                                : op == U_RELU ? (v > 0 ? v : 0)
                                               : (v > 0) - (v < 0);
    }
    break;
  case RT_INT32:
    for (int64_t i = 0; i < k; ++i) {
      int32_t v = ((const int32_t *)x->data)[i];
      ((int32_t *)y->data)[i] = op == U_NEG   ? -v
                                : op == U_ABS ? (v < 0 ? -v : v)
                                : op == U_RELU ? (v > 0 ? v : 0)
                                               : (v > 0) - (v < 0);
    }
    break;
  case RT_INT8:
    for (int64_t i = 0; i < k; ++i) {
      int8_t v = ((const int8_t *)x->data)[i];
      ((int8_t *)y->data)[i] = (int8_t)(op == U_NEG   ? -v
                                        : op == U_ABS ? (v < 0 ? -v : v)
                                        : op == U_RELU ? (v > 0 ? v : 0)
                                                       : (v > 0) - (v < 0));
    }
    break;
  default: return rt_unsupported(err, n, "element type has no kernel");
  }
  return 0;
}

RT_KERNEL(rt_unary_backward) {
  (void)rt;
  if (!n->out[0]->grad || !n->in[0]->grad)
    return 0;
  unary_op op;
  int ints;
  if (find_unary(n->proto->op_type, &op, &ints))
    return rt_unsupported(err, n, "no unary kernel");
  if (op == U_GELU && rt_attr_is(n, "approximate", "tanh", "none"))
    op = U_GELU_TANH;
  if (n->in[0]->t.elem_type != RT_FLOAT)
    return rt_unsupported(err, n, "backward of a non-float %s", n->proto->op_type);
  float a, b;
  unary_params(n, op, &a, &b);
  if (unary_backward(n->in[0]->grad, n->out[0]->grad, rt_f32(n->in[0]),
                     rt_f32(n->out[0]), n->in[0]->t.numel, op, a, b))
    return rt_unsupported(err, n, "%s has no backward kernel", n->proto->op_type);
  return 0;
}

/* Clip's bounds: attributes before opset 11, optional inputs since. */
static void clip_bounds(const rt_node *n, double *lo, double *hi) {
  *lo = -INFINITY, *hi = INFINITY;
  if (n->opset < 11) {
    *lo = rt_attr_float(n, "min", -INFINITY);
    *hi = rt_attr_float(n, "max", INFINITY);
    return;
  }
  if (rt_in(n, 1) && n->in[1]->t.numel)
    *lo = rt_get_double(&n->in[1]->t, 0);
  if (rt_in(n, 2) && n->in[2]->t.numel)
    *hi = rt_get_double(&n->in[2]->t, 0);
}

RT_KERNEL(rt_clip_backward) {
  (void)rt, (void)err;
  if (!n->out[0]->grad || !n->in[0]->grad)
    return 0;
  double lo, hi;
  clip_bounds(n, &lo, &hi);
  clip_backward(n->in[0]->grad, n->out[0]->grad, rt_f32(n->in[0]), (float)lo,
                (float)hi, n->in[0]->t.numel);
  return 0;
}

RT_KERNEL(rt_clip) {
  (void)rt;
  const sp_tensor *x = &n->in[0]->t;
  double lo, hi;
  clip_bounds(n, &lo, &hi);
  int64_t k = x->numel;
  if (x->elem_type == RT_FLOAT) {
    const float *xs = x->data;
    float *ys = n->out[0]->t.data;
    float a = (float)lo, b = (float)hi;
    for (int64_t i = 0; i < k; ++i)
      ys[i] = xs[i] < a ? a : xs[i] > b ? b : xs[i];
    return 0;
  }
  sp_tensor *y = &n->out[0]->t;
  for (int64_t i = 0; i < k; ++i) {
    double v = rt_get_double(x, i);
    v = v < lo ? lo : v > hi ? hi : v;
    switch (x->elem_type) {
    case RT_DOUBLE: ((double *)y->data)[i] = v; break;
    case RT_INT64: ((int64_t *)y->data)[i] = (int64_t)v; break;
    case RT_INT32: ((int32_t *)y->data)[i] = (int32_t)v; break;
    case RT_INT8: ((int8_t *)y->data)[i] = (int8_t)v; break;
    case RT_UINT8: ((uint8_t *)y->data)[i] = (uint8_t)v; break;
    default: return rt_unsupported(err, n, "element type has no kernel");
    }
  }
  return 0;
}

/* (outer, axis, inner) split of x for Softmax-like ops: opset < 13 flattens
 * at axis (default 1), later opsets use one axis (default -1). */
static int softmax_split(const rt_node *n, const sp_tensor *x, int64_t *outer,
                         int64_t *len, int64_t *inner) {
  int old = n->opset < 13;
  int axis = rt_axis(rt_attr_int(n, "axis", old ? 1 : -1), x->rank);
  if (axis < 0 && x->rank > 0)
    return -1;
  if (x->rank == 0) {
    *outer = *len = *inner = 1;
    return 0;
  }
  *outer = rt_dims_product(x, 0, axis);
  if (old) {
    *len = rt_dims_product(x, axis, x->rank);
    *inner = 1;
  } else {
    *len = x->dims[axis];
    *inner = rt_dims_product(x, axis + 1, x->rank);
  }
  return 0;
}

RT_KERNEL(rt_softmax) {
  (void)rt;
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  int64_t outer, len, inner;
  if (softmax_split(n, x, &outer, &len, &inner))
    return rt_fail(err, n, "axis out of range");
  softmax_forward(rt_f32(n->out[0]), x->data, outer, len, inner,
                  !strcmp(n->proto->op_type, "LogSoftmax"));
  return 0;
}

RT_KERNEL(rt_softmax_backward) {
  (void)rt;
  if (!n->out[0]->grad || !n->in[0]->grad)
    return 0;
  const sp_tensor *x = &n->in[0]->t;
  int64_t outer, len, inner;
  if (softmax_split(n, x, &outer, &len, &inner))
    return rt_fail(err, n, "axis out of range");
  softmax_backward(n->in[0]->grad, n->out[0]->grad, rt_f32(n->out[0]), outer, len,
                   inner, !strcmp(n->proto->op_type, "LogSoftmax"));
  return 0;
}

RT_KERNEL(rt_hardmax) {
  (void)rt;
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  int64_t outer, len, inner;
  if (softmax_split(n, x, &outer, &len, &inner))
    return rt_fail(err, n, "axis out of range");
  const float *xd = x->data;
  float *y = rt_f32(n->out[0]);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      int64_t base = o * len * inner + in, best = 0;
      for (int64_t i = 0; i < len; ++i) {
        if (xd[base + i * inner] > xd[base + best * inner])
          best = i;
        y[base + i * inner] = 0;
      }
      if (len)
        y[base + best * inner] = 1;
    }
  return 0;
}

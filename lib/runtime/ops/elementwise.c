/* elementwise.c - binary ops with numpy broadcasting (arithmetic, compare,
 * logical, PRelu), variadic Sum/Mean/Max/Min, Where, Not.
 *
 * Broadcast shapes are collapsed to (rows, inner) where each operand walks
 * inner with stride 0 or 1, so the float loops vectorise. */
#include <math.h>
#include <string.h>

#include "ops.h"

typedef enum bin_op {
  B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_MOD, B_FMOD, B_PRELU,
  B_EQ, B_LT, B_GT, B_LE, B_GE, B_AND, B_OR, B_XOR, B_SHL, B_SHR,
} bin_op;

static int is_compare(bin_op op) { return op >= B_EQ && op <= B_GE; }
static int is_logical(bin_op op) { return op >= B_AND && op <= B_XOR; }

static int find_binary(const rt_node *n, bin_op *op) {
  static const struct {
    const char *name;
    bin_op op;
  } T[] = {{"Add", B_ADD},          {"Sub", B_SUB},
           {"Mul", B_MUL},          {"Div", B_DIV},
           {"Pow", B_POW},          {"Max", B_MAX},
           {"Min", B_MIN},          {"Sum", B_ADD},
           {"Mean", B_ADD},         {"Mod", B_MOD},
           {"PRelu", B_PRELU},      {"Equal", B_EQ},
           {"Less", B_LT},          {"Greater", B_GT},
           {"LessOrEqual", B_LE},   {"GreaterOrEqual", B_GE},
           {"And", B_AND},          {"Or", B_OR},
           {"Xor", B_XOR},          {"BitShift", B_SHL}};
  for (size_t i = 0; i < sizeof T / sizeof T[0]; ++i)
    if (!strcmp(T[i].name, n->proto->op_type)) {
      *op = T[i].op;
      if (*op == B_MOD && rt_attr_int(n, "fmod", 0))
        *op = B_FMOD;
      if (*op == B_SHL && rt_attr_is(n, "direction", "RIGHT", "LEFT"))
        *op = B_SHR;
      return 0;
    }
  return -1;
}

void rt_broadcast_strides(const sp_tensor *t, const sp_tensor *out,
                          int64_t *strides) {
  int64_t s = 1;
  for (int d = out->rank - 1; d >= 0; --d) {
    int td = d - (out->rank - t->rank);
    int64_t dim = td >= 0 ? t->dims[td] : 1;
    strides[d] = dim == 1 ? 0 : s;
    s *= dim;
  }
}

void broadcast_grad(float *d, const sp_tensor *t, const float *dy,
                    const sp_tensor *out, grad_rule rule, const sp_tensor *u,
                    const sp_tensor *v) {
  int64_t st[SP_MAX_RANK], su[SP_MAX_RANK] = {0}, sv[SP_MAX_RANK] = {0};
  int64_t idx[SP_MAX_RANK] = {0};
  rt_broadcast_strides(t, out, st);
  if (u)
    rt_broadcast_strides(u, out, su);
  if (v)
    rt_broadcast_strides(v, out, sv);
  const float *ud = u ? u->data : NULL, *vd = v ? v->data : NULL;
  const uint8_t *cond = u ? u->data : NULL; /* G_WHERE_* */
  if ((rule == G_COPY || rule == G_NEG) && t->numel == out->numel) {
    /* no broadcast (a residual Add): one vectorised pass */
    const float sign = rule == G_NEG ? -1.0f : 1.0f;
#pragma omp parallel for schedule(static) if (out->numel > 65536)
    for (int64_t i = 0; i < out->numel; ++i)
      d[i] += sign * dy[i];
    return;
  }
  int64_t at = 0, au = 0, av = 0;
  for (int64_t i = 0; i < out->numel; ++i) {
    float g = dy[i];
    switch (rule) {
    case G_COPY: break;
    case G_NEG: g = -g; break;
    case G_TIMES: g *= ud[au]; break;
    case G_DIV: g /= ud[au]; break;
    case G_DIV_B: g = -g * vd[av] / ud[au]; break; /* -dy a / b^2 = -dy y / b */
    case G_POW_A: g *= vd[av] * powf(ud[au], vd[av] - 1); break;
    case G_POW_B: g *= ud[au] == 0 ? 0.0f : vd[av] * logf(ud[au]); break;
    case G_WHERE_T: g = cond[au] ? g : 0.0f; break;
    case G_WHERE_F: g = cond[au] ? 0.0f : g; break;
    }
    d[at] += g;
    for (int k = out->rank - 1; k >= 0; --k) { /* odometer over out */
      at += st[k], au += su[k], av += sv[k];
      if (++idx[k] < out->dims[k])
        break;
      at -= st[k] * out->dims[k], au -= su[k] * out->dims[k], av -= sv[k] * out->dims[k];
      idx[k] = 0;
    }
  }
}

/* Add, Sub, Mul, Div, Pow with broadcasting (float). */
RT_KERNEL(rt_binary_backward) {
  (void)rt;
  const char *op = n->proto->op_type;
  const float *dy = n->out[0]->grad;
  if (!dy)
    return 0;
  const sp_tensor *y = &n->out[0]->t, *a = &n->in[0]->t, *b = &n->in[1]->t;
  grad_rule ra, rb;
  if (!strcmp(op, "Add"))
    ra = G_COPY, rb = G_COPY;
  else if (!strcmp(op, "Sub"))
    ra = G_COPY, rb = G_NEG;
  else if (!strcmp(op, "Mul"))
    ra = G_TIMES, rb = G_TIMES;
  else if (!strcmp(op, "Div"))
    ra = G_DIV, rb = G_DIV_B;
  else if (!strcmp(op, "Pow"))
    ra = G_POW_A, rb = G_POW_B;
  else
    return rt_unsupported(err, n, "%s has no backward kernel", op);
  if (a->elem_type != RT_FLOAT || b->elem_type != RT_FLOAT)
    return rt_unsupported(err, n, "backward of a non-float %s", op);
  if (n->in[0]->grad)
    broadcast_grad(n->in[0]->grad, a, dy, y, ra, ra == G_POW_A ? a : b,
                   ra == G_POW_A ? b : NULL);
  if (n->in[1]->grad)
    broadcast_grad(n->in[1]->grad, b, dy, y, rb,
                   rb == G_DIV_B ? b : a, y);
  return 0;
}

/* Where: dy flows to X where the condition holds, to Y elsewhere, summed
 * over the dims each was broadcast along; the condition gets nothing. */
RT_KERNEL(rt_where_backward) {
  (void)rt, (void)err;
  const float *dy = n->out[0]->grad;
  if (!dy || n->out[0]->t.elem_type != RT_FLOAT)
    return 0;
  const sp_tensor *y = &n->out[0]->t, *c = &n->in[0]->t;
  if (n->in[1]->grad)
    broadcast_grad(n->in[1]->grad, &n->in[1]->t, dy, y, G_WHERE_T, c, NULL);
  if (n->in[2]->grad)
    broadcast_grad(n->in[2]->grad, &n->in[2]->t, dy, y, G_WHERE_F, c, NULL);
  return 0;
}

/* Collapses out's dims with the operands' strides; returns the new rank. */
static int collapse(int rank, int64_t *dims, int64_t (*st)[SP_MAX_RANK],
                    int n_ops) {
  if (rank == 0) {
    dims[0] = 1;
    for (int k = 0; k < n_ops; ++k)
      st[k][0] = 0;
    return 1;
  }
  int r = 0;
  for (int d = 0; d < rank; ++d) {
    if (dims[d] == 1)
      continue; /* size-1 dims never move */
    if (r > 0) {
      int ok = 1;
      for (int k = 0; k < n_ops && ok; ++k)
        ok = st[k][r - 1] == st[k][d] * dims[d];
      if (ok) {
        dims[r - 1] *= dims[d];
        for (int k = 0; k < n_ops; ++k)
          st[k][r - 1] = st[k][d];
        continue;
      }
    }
    dims[r] = dims[d];
    for (int k = 0; k < n_ops; ++k)
      st[k][r] = st[k][d];
    ++r;
  }
  if (r == 0) {
    dims[0] = 1;
    for (int k = 0; k < n_ops; ++k)
      st[k][0] = 0;
    r = 1;
  }
  return r;
}

#define FROW(EXPR)                                                             \
  if (sa == 1 && sb == 1) {                                                    \
    for (int64_t i = 0; i < L; ++i) {                                          \
      float x = a[i], y = b[i];                                                \
      o[i] = (EXPR);                                                           \
    }                                                                          \
  } else if (sa == 1 && sb == 0) {                                             \
    float y = b[0];                                                            \
    for (int64_t i = 0; i < L; ++i) {                                          \
      float x = a[i];                                                          \
      o[i] = (EXPR);                                                           \
    }                                                                          \
  } else if (sa == 0 && sb == 1) {                                             \
    float x = a[0];                                                            \
    for (int64_t i = 0; i < L; ++i) {                                          \
      float y = b[i];                                                          \
      o[i] = (EXPR);                                                           \
    }                                                                          \
  } else {                                                                     \
    for (int64_t i = 0; i < L; ++i) {                                          \
      float x = a[i * sa], y = b[i * sb];                                      \
      o[i] = (EXPR);                                                           \
    }                                                                          \
  }                                                                            \
  break

static void row_float(float *o, const float *a, const float *b, int64_t L,
                      int64_t sa, int64_t sb, bin_op op) {
  switch (op) {
  case B_ADD: FROW(x + y);
  case B_SUB: FROW(x - y);
  case B_MUL: FROW(x * y);
  case B_DIV: FROW(x / y);
  case B_POW: FROW(y == 2.0f ? x * x : y == 0.5f ? sqrtf(x) : powf(x, y));
  case B_MAX: FROW(isnan(x) || x > y ? x : y);
  case B_MIN: FROW(isnan(x) || x < y ? x : y);
  case B_FMOD: FROW(fmodf(x, y));
  case B_MOD: FROW(fmodf(x, y));
  case B_PRELU: FROW(x < 0 ? x * y : x);
  default: break;
  }
}

static int64_t get_i64(const void *p, int32_t t, int64_t k) {
  switch (t) {
  case RT_INT64: return ((const int64_t *)p)[k];
  case RT_INT32: return ((const int32_t *)p)[k];
  case RT_INT8: return ((const int8_t *)p)[k];
  case RT_UINT8:
  case RT_BOOL: return ((const uint8_t *)p)[k];
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return ((const int16_t *)p)[k];
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return ((const uint16_t *)p)[k];
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return ((const uint32_t *)p)[k];
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
    return (int64_t)((const uint64_t *)p)[k];
  default: return 0;
  }
}

static void put_i64(void *p, int32_t t, int64_t k, int64_t v) {
  switch (t) {
  case RT_INT64: ((int64_t *)p)[k] = v; break;
  case RT_INT32: ((int32_t *)p)[k] = (int32_t)v; break;
  case RT_INT8: ((int8_t *)p)[k] = (int8_t)v; break;
  case RT_UINT8:
  case RT_BOOL: ((uint8_t *)p)[k] = (uint8_t)v; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: ((int16_t *)p)[k] = (int16_t)v; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: ((uint16_t *)p)[k] = (uint16_t)v; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: ((uint32_t *)p)[k] = (uint32_t)v; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: ((uint64_t *)p)[k] = (uint64_t)v; break;
  default: break;
  }
}

static int is_unsigned(int32_t t) {
  return t == RT_UINT8 || t == ONNX__TENSOR_PROTO__DATA_TYPE__UINT16 ||
         t == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 ||
         t == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64;
}

static int64_t int_op(bin_op op, int64_t x, int64_t y, int uns) {
  switch (op) {
  case B_ADD: return x + y;
  case B_SUB: return x - y;
  case B_MUL: return x * y;
  case B_DIV: return y ? (uns ? (int64_t)((uint64_t)x / (uint64_t)y) : x / y) : 0;
  case B_POW: {
    int64_t r = 1;
    for (int64_t i = 0; i < y; ++i)
      r *= x;
    return r;
  }
  case B_MAX: return x > y ? x : y;
  case B_MIN: return x < y ? x : y;
  case B_MOD: {
    if (!y)
      return 0;
    int64_t r = x % y;
    return r != 0 && ((r < 0) != (y < 0)) ? r + y : r;
  }
  case B_FMOD: return y ? x % y : 0;
  case B_PRELU: return x < 0 ? x * y : x;
  case B_EQ: return x == y;
  case B_LT: return x < y;
  case B_GT: return x > y;
  case B_LE: return x <= y;
  case B_GE: return x >= y;
  case B_AND: return x && y;
  case B_OR: return x || y;
  case B_XOR: return !x != !y;
  case B_SHL: return (int64_t)((uint64_t)x << y);
  case B_SHR: return (int64_t)((uint64_t)x >> y);
  }
  return 0;
}

static double dbl_op(bin_op op, double x, double y) {
  switch (op) {
  case B_ADD: return x + y;
  case B_SUB: return x - y;
  case B_MUL: return x * y;
  case B_DIV: return x / y;
  case B_POW: return pow(x, y);
  case B_MAX: return isnan(x) || x > y ? x : y;
  case B_MIN: return isnan(x) || x < y ? x : y;
  case B_MOD:
  case B_FMOD: return fmod(x, y);
  case B_PRELU: return x < 0 ? x * y : x;
  case B_EQ: return x == y;
  case B_LT: return x < y;
  case B_GT: return x > y;
  case B_LE: return x <= y;
  case B_GE: return x >= y;
  default: return 0;
  }
}

/* out = a op b with broadcasting; out's shape is already set. */
static void binary_forward(sp_tensor *out, const sp_tensor *a,
                           const sp_tensor *b, bin_op op) {
  int64_t dims[SP_MAX_RANK], st[2][SP_MAX_RANK];
  for (int d = 0; d < out->rank; ++d)
    dims[d] = out->dims[d];
  rt_broadcast_strides(a, out, st[0]);
  rt_broadcast_strides(b, out, st[1]);
  int r = collapse(out->rank, dims, st, 2);
  int64_t L = dims[r - 1], sa = st[0][r - 1], sb = st[1][r - 1];
  int64_t rows = L ? rt_numel(out) / L : 0;
  int32_t t = a->elem_type;
  int uns = is_unsigned(t);
  int out_bool = is_compare(op) || is_logical(op);
  size_t es_a = sp_tensor_elem_size(a->elem_type);
  size_t es_b = sp_tensor_elem_size(b->elem_type);
  size_t es_o = sp_tensor_elem_size(out->elem_type);
#pragma omp parallel for schedule(static) if (rows * L > 32768 && rows > 1)
  for (int64_t row = 0; row < rows; ++row) {
    int64_t rem = row, oa = 0, ob = 0;
    for (int d = r - 2; d >= 0; --d) {
      int64_t idx = rem % dims[d];
      rem /= dims[d];
      oa += idx * st[0][d];
      ob += idx * st[1][d];
    }
    const char *pa = (const char *)a->data + oa * (int64_t)es_a;
    const char *pb = (const char *)b->data + ob * (int64_t)es_b;
    char *po = (char *)out->data + row * L * (int64_t)es_o;
    if (t == RT_FLOAT && !out_bool) {
      row_float((float *)po, (const float *)pa, (const float *)pb, L, sa, sb, op);
    } else if (t == RT_FLOAT || t == RT_DOUBLE) {
      for (int64_t i = 0; i < L; ++i) {
        double x = t == RT_FLOAT ? ((const float *)pa)[i * sa] : ((const double *)pa)[i * sa];
        double y = b->elem_type == RT_FLOAT ? ((const float *)pb)[i * sb]
                                            : ((const double *)pb)[i * sb];
        double v = dbl_op(op, x, y);
        if (out_bool)
          ((uint8_t *)po)[i] = v != 0;
        else
          ((double *)po)[i] = v;
      }
    } else {
      for (int64_t i = 0; i < L; ++i) {
        int64_t v = int_op(op, get_i64(pa, t, i * sa),
                           get_i64(pb, b->elem_type, i * sb), uns);
        put_i64(po, out->elem_type, i, v);
      }
    }
  }
}

static int supported_type(int32_t t) {
  switch (t) {
  case RT_FLOAT: case RT_DOUBLE: case RT_INT64: case RT_INT32: case RT_INT8:
  case RT_UINT8: case RT_BOOL: case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return 1;
  default: return 0;
  }
}

RT_KERNEL(rt_binary_prepare) {
  (void)rt;
  bin_op op;
  if (find_binary(n, &op))
    return rt_unsupported(err, n, "no binary kernel");
  for (int i = 0; i < n->n_in; ++i) {
    if (!n->in[i])
      return rt_fail(err, n, "missing input %d", i);
    if (!supported_type(n->in[i]->t.elem_type))
      return rt_check_types(err, n, i, RT_FLOAT, RT_DOUBLE, RT_INT64, RT_INT32, 0);
  }
  if (n->n_in < 1)
    return rt_fail(err, n, "needs inputs");
  /* mixed types only for Pow (float base, int exponent) */
  int32_t t0 = n->in[0]->t.elem_type;
  for (int i = 1; i < n->n_in; ++i)
    if (n->in[i]->t.elem_type != t0)
      return rt_unsupported(err, n, "mixed input element types have no kernel");
  return 0;
}

RT_KERNEL(rt_binary) {
  (void)rt;
  bin_op op;
  if (find_binary(n, &op))
    return rt_unsupported(err, n, "no binary kernel");
  if (n->n_in < 2 || !n->in[0] || !n->in[1])
    return rt_fail(err, n, "needs two inputs");
  sp_tensor b = n->in[1]->t;
  const sp_tensor *x = &n->in[0]->t;
  if (op == B_PRELU && b.rank == 1 && x->rank >= 2 && b.dims[0] == x->dims[1] &&
      (n->opset < 7 || b.dims[0] != x->dims[x->rank - 1])) {
    /* legacy PRelu: one slope per channel (axis 1) */
    b.rank = x->rank - 1;
    for (int d = 1; d < b.rank; ++d)
      b.dims[d] = 1;
  }
  binary_forward(&n->out[0]->t, x, &b, op);
  return 0;
}

/* Sum, Mean, Max, Min over any number of broadcast inputs. */
RT_KERNEL(rt_variadic) {
  (void)rt;
  bin_op op;
  if (find_binary(n, &op))
    return rt_unsupported(err, n, "no kernel");
  sp_tensor *y = &n->out[0]->t;
  if (n->n_in == 1) {
    int64_t st[SP_MAX_RANK];
    rt_broadcast_strides(&n->in[0]->t, y, st);
    rt_strided_copy(y->data, n->in[0]->t.data, sp_tensor_elem_size(y->elem_type),
                    y->rank, y->dims, st);
  } else {
    binary_forward(y, &n->in[0]->t, &n->in[1]->t, op);
    for (int i = 2; i < n->n_in; ++i)
      binary_forward(y, y, &n->in[i]->t, op);
  }
  if (!strcmp(n->proto->op_type, "Mean")) {
    if (y->elem_type == RT_FLOAT)
      for (int64_t i = 0; i < y->numel; ++i)
        ((float *)y->data)[i] /= (float)n->n_in;
    else if (y->elem_type == RT_DOUBLE)
      for (int64_t i = 0; i < y->numel; ++i)
        ((double *)y->data)[i] /= n->n_in;
  }
  return 0;
}

/* y = cond ? x : z with three-way broadcasting. */
RT_KERNEL(rt_where) {
  (void)rt;
  if (n->n_in < 3 || !n->in[0] || !n->in[1] || !n->in[2])
    return rt_fail(err, n, "needs inputs condition, X, Y");
  sp_tensor *y = &n->out[0]->t;
  size_t es = sp_tensor_elem_size(y->elem_type);
  if (!es)
    return rt_unsupported(err, n, "element type has no kernel");
  int64_t dims[SP_MAX_RANK], st[3][SP_MAX_RANK];
  for (int d = 0; d < y->rank; ++d)
    dims[d] = y->dims[d];
  for (int k = 0; k < 3; ++k)
    rt_broadcast_strides(&n->in[k]->t, y, st[k]);
  int r = collapse(y->rank, dims, st, 3);
  int64_t L = dims[r - 1], rows = L ? y->numel / L : 0;
  const uint8_t *c = n->in[0]->t.data;
  const char *x = n->in[1]->t.data, *z = n->in[2]->t.data;
  char *o = y->data;
  for (int64_t row = 0; row < rows; ++row) {
    int64_t rem = row, off[3] = {0, 0, 0};
    for (int d = r - 2; d >= 0; --d) {
      int64_t idx = rem % dims[d];
      rem /= dims[d];
      for (int k = 0; k < 3; ++k)
        off[k] += idx * st[k][d];
    }
    for (int64_t i = 0; i < L; ++i) {
      int64_t ci = off[0] + i * st[0][r - 1];
      const char *src = c[ci] ? x + (off[1] + i * st[1][r - 1]) * (int64_t)es
                              : z + (off[2] + i * st[2][r - 1]) * (int64_t)es;
      memcpy(o + (row * L + i) * (int64_t)es, src, es);
    }
  }
  return 0;
}

RT_KERNEL(rt_not) {
  (void)rt;
  int rc = rt_check_types(err, n, 0, RT_BOOL, 0);
  if (rc)
    return rc;
  const uint8_t *x = n->in[0]->t.data;
  uint8_t *y = n->out[0]->t.data;
  for (int64_t i = 0; i < n->in[0]->t.numel; ++i)
    y[i] = !x[i];
  return 0;
}

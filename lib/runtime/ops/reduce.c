/* reduce.c - Reduce* over any set of axes, ArgMax/ArgMin. */
#include <math.h>
#include <string.h>

#include "ops.h"

typedef enum red_op {
  R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LOGSUMEXP,
  R_SUMSQ,
} red_op;

static int find_reduce(const char *name, red_op *op) {
  static const struct {
    const char *name;
    red_op op;
  } T[] = {{"ReduceSum", R_SUM},         {"ReduceMean", R_MEAN},
           {"ReduceMax", R_MAX},         {"ReduceMin", R_MIN},
           {"ReduceProd", R_PROD},       {"ReduceL1", R_L1},
           {"ReduceL2", R_L2},           {"ReduceLogSum", R_LOGSUM},
           {"ReduceLogSumExp", R_LOGSUMEXP}, {"ReduceSumSquare", R_SUMSQ}};
  for (size_t i = 0; i < sizeof T / sizeof T[0]; ++i)
    if (!strcmp(T[i].name, name)) {
      *op = T[i].op;
      return 0;
    }
  return -1;
}

static double init_of(red_op op) {
  return op == R_PROD ? 1 : op == R_MAX ? -INFINITY : op == R_MIN ? INFINITY : 0;
}

static double step(red_op op, double acc, double v) {
  switch (op) {
  case R_MAX: return v > acc || isnan(v) ? v : acc;
  case R_MIN: return v < acc || isnan(v) ? v : acc;
  case R_PROD: return acc * v;
  case R_L1: return acc + fabs(v);
  case R_L2:
  case R_SUMSQ: return acc + v * v;
  case R_LOGSUMEXP: return acc + exp(v);
  default: return acc + v;
  }
}

static double finish(red_op op, double acc, int64_t count) {
  switch (op) {
  case R_MEAN: return count ? acc / (double)count : NAN;
  case R_L2: return sqrt(acc);
  case R_LOGSUM:
  case R_LOGSUMEXP: return log(acc);
  default: return acc;
  }
}

static void put(sp_tensor *y, int64_t k, double v) {
  switch (y->elem_type) {
  case RT_FLOAT: ((float *)y->data)[k] = (float)v; break;
  case RT_DOUBLE: ((double *)y->data)[k] = v; break;
  case RT_INT64: ((int64_t *)y->data)[k] = (int64_t)v; break;
  case RT_INT32: ((int32_t *)y->data)[k] = (int32_t)v; break;
  case RT_UINT8:
  case RT_BOOL: ((uint8_t *)y->data)[k] = (uint8_t)v; break;
  case RT_INT8: ((int8_t *)y->data)[k] = (int8_t)v; break;
  default: break;
  }
}

/* Reduced axes of x into mask; returns 0, or -1 for a bad axis. */
static int reduce_axes(rt_node *n, const sp_tensor *x, int *mask, int *noop) {
  int64_t axes[SP_MAX_RANK];
  int k = -1;
  int from_input = n->opset >= 18 || (!strcmp(n->proto->op_type, "ReduceSum") &&
                                      n->opset >= 13);
  if (from_input) {
    if (rt_in(n, 1))
      k = rt_read_ints(n->in[1], axes, SP_MAX_RANK);
  } else {
    k = rt_attr_ints(n, "axes", axes, SP_MAX_RANK);
  }
  *noop = 0;
  for (int d = 0; d < x->rank; ++d)
    mask[d] = k <= 0;
  if (k <= 0 && from_input && rt_attr_int(n, "noop_with_empty_axes", 0))
    *noop = 1;
  for (int i = 0; i < k; ++i) {
    int a = rt_axis(axes[i], x->rank);
    if (a < 0)
      return -1;
    mask[a] = 1;
  }
  return 0;
}

RT_KERNEL(rt_reduce) {
  (void)rt;
  red_op op;
  if (find_reduce(n->proto->op_type, &op))
    return rt_unsupported(err, n, "no reduce kernel");
  int rc = rt_check_types(err, n, 0, RT_FLOAT, RT_DOUBLE, RT_INT64, RT_INT32,
                          RT_UINT8, RT_INT8, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  sp_tensor *y = &n->out[0]->t;
  int mask[SP_MAX_RANK], noop;
  if (reduce_axes(n, x, mask, &noop))
    return rt_fail(err, n, "axis out of range");
  if (noop) {
    memcpy(y->data, x->data, (size_t)x->numel * sp_tensor_elem_size(x->elem_type));
    return 0;
  }
  /* contiguous block of reduced axes: (outer, red, inner) */
  int first = -1, last = -1, contiguous = 1;
  for (int d = 0; d < x->rank; ++d)
    if (mask[d] && x->dims[d] != 1) {
      if (first < 0)
        first = d;
      else if (last != d - 1)
        contiguous = 0;
      last = d;
    }
  int64_t count = 1;
  for (int d = 0; d < x->rank; ++d)
    if (mask[d])
      count *= x->dims[d];
  if (first < 0) {
    /* nothing of size > 1 reduced: elementwise finish */
    for (int64_t i = 0; i < y->numel; ++i)
      put(y, i, finish(op, step(op, init_of(op), x->numel ? rt_get_double(x, i) : 0), count));
    if (x->numel == 0)
      for (int64_t i = 0; i < y->numel; ++i)
        put(y, i, finish(op, init_of(op), 0));
    return 0;
  }
  if (contiguous) {
    int64_t outer = rt_dims_product(x, 0, first), red = rt_dims_product(x, first, last + 1),
            inner = rt_dims_product(x, last + 1, x->rank);
    int is_float = x->elem_type == RT_FLOAT;
    const float *xf = x->data;
#pragma omp parallel for schedule(static) if (x->numel > 65536)
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t in = 0; in < inner; ++in) {
        int64_t base = o * red * inner + in;
        double acc = init_of(op);
        if (is_float && inner == 1 && (op == R_SUM || op == R_MEAN)) {
          const float *p = xf + base;
          for (int64_t r = 0; r < red; ++r)
            acc += p[r];
        } else if (op == R_LOGSUMEXP) {
          double m = -INFINITY;
          for (int64_t r = 0; r < red; ++r) {
            double v = rt_get_double(x, base + r * inner);
            m = v > m ? v : m;
          }
          acc = 0;
          for (int64_t r = 0; r < red; ++r)
            acc += exp(rt_get_double(x, base + r * inner) - m);
          put(y, o * inner + in, log(acc) + m);
          continue;
        } else {
          for (int64_t r = 0; r < red; ++r)
            acc = step(op, acc, rt_get_double(x, base + r * inner));
        }
        put(y, o * inner + in, finish(op, acc, count));
      }
    return 0;
  }
  /* general: accumulate every element into its output slot (doubles) */
  int64_t ny = y->numel;
  double *acc = rt_scratch(rt, (size_t)ny * sizeof(double));
  if (!acc && ny)
    return rt_fail(err, n, "out of memory");
  for (int64_t i = 0; i < ny; ++i)
    acc[i] = init_of(op);
  int64_t ostride[SP_MAX_RANK], s = 1;
  for (int d = x->rank - 1; d >= 0; --d) {
    ostride[d] = mask[d] ? 0 : s;
    s *= mask[d] ? 1 : x->dims[d];
  }
  for (int64_t i = 0; i < x->numel; ++i) {
    int64_t rem = i, o = 0;
    for (int d = x->rank - 1; d >= 0; --d) {
      o += rem % x->dims[d] * ostride[d];
      rem /= x->dims[d];
    }
    acc[o] = step(op, acc[o], rt_get_double(x, i));
  }
  for (int64_t i = 0; i < ny; ++i)
    put(y, i, finish(op, acc[i], count));
  return 0;
}

void reduce_sum_backward(float *dx, const float *dy, int rank,
                         const int64_t *dims, const int *mask, float scale) {
  int64_t ostride[SP_MAX_RANK], s = 1, idx[SP_MAX_RANK] = {0}, numel = 1;
  for (int d = rank - 1; d >= 0; --d) {
    ostride[d] = mask[d] ? 0 : s;
    s *= mask[d] ? 1 : dims[d];
    numel *= dims[d];
  }
  int64_t o = 0;
  for (int64_t i = 0; i < numel; ++i) {
    dx[i] += dy[o] * scale;
    for (int d = rank - 1; d >= 0; --d) { /* odometer over x */
      o += ostride[d];
      if (++idx[d] < dims[d])
        break;
      o -= ostride[d] * dims[d];
      idx[d] = 0;
    }
  }
}

/* ReduceSum, ReduceMean: every element gets its slot's gradient (divided by
 * the count for the mean); keepdims does not change the layout of dy. */
RT_KERNEL(rt_reduce_backward) {
  (void)rt;
  if (!n->out[0]->grad || !n->in[0]->grad)
    return 0;
  red_op op;
  if (find_reduce(n->proto->op_type, &op) || (op != R_SUM && op != R_MEAN))
    return rt_unsupported(err, n, "%s has no backward kernel", n->proto->op_type);
  const sp_tensor *x = &n->in[0]->t;
  int mask[SP_MAX_RANK], noop;
  if (reduce_axes(n, x, mask, &noop))
    return rt_fail(err, n, "axis out of range");
  if (noop)
    for (int d = 0; d < x->rank; ++d)
      mask[d] = 0;
  int64_t count = 1;
  for (int d = 0; d < x->rank; ++d)
    if (mask[d])
      count *= x->dims[d];
  reduce_sum_backward(n->in[0]->grad, n->out[0]->grad, x->rank, x->dims, mask,
                      op == R_MEAN && count ? 1.0f / (float)count : 1.0f);
  return 0;
}

/* y (int64) = index of the max/min along axis. */
RT_KERNEL(rt_argmax) {
  (void)rt;
  int rc = rt_check_types(err, n, 0, RT_FLOAT, RT_DOUBLE, RT_INT64, RT_INT32,
                          RT_UINT8, RT_INT8, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", 0), x->rank);
  if (axis < 0)
    return rt_fail(err, n, "axis out of range");
  int is_min = !strcmp(n->proto->op_type, "ArgMin");
  int last = (int)rt_attr_int(n, "select_last_index", 0);
  int64_t outer = rt_dims_product(x, 0, axis), len = x->dims[axis],
          inner = rt_dims_product(x, axis + 1, x->rank);
  int64_t *y = n->out[0]->t.data;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      int64_t base = o * len * inner + in, best = 0;
      double bv = rt_get_double(x, base);
      for (int64_t i = 1; i < len; ++i) {
        double v = rt_get_double(x, base + i * inner);
        int better = is_min ? (last ? v <= bv : v < bv) : (last ? v >= bv : v > bv);
        if (better) {
          bv = v;
          best = i;
        }
      }
      y[o * inner + in] = best;
    }
  return 0;
}

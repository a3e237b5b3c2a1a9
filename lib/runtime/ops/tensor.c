/* tensor.c - data movement and shape ops, on any element type by size:
 * views (Reshape, Flatten, Squeeze, Unsqueeze, Identity), Dropout (a view
 * outside training), Transpose, Concat, Split, Slice, Gather,
 * GatherElements, Expand, Tile, Pad, Shape, Size, ConstantOfShape, Range,
 * Cast, Resize/Upsample, DepthToSpace, SpaceToDepth, Trilu, CumSum, EyeLike.
 * Output shapes come from shape inference (sp_infer_shapes), so kernels only
 * move bytes; the backward kernels (float) add the moved gradients back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

static size_t esize(const sp_tensor *t) { return sp_tensor_elem_size(t->elem_type); }

static void strides_of(const sp_tensor *t, int64_t *s) {
  int64_t k = 1;
  for (int d = t->rank - 1; d >= 0; --d) {
    s[d] = k;
    k *= t->dims[d];
  }
}

void rt_strided_copy(void *out, const void *src, size_t es, int rank,
                     const int64_t *dims, const int64_t *st) {
  int64_t total = 1;
  for (int d = 0; d < rank; ++d)
    total *= dims[d];
  if (total == 0)
    return;
  if (rank == 0) {
    memcpy(out, src, es);
    return;
  }
  int64_t L = dims[rank - 1], sl = st[rank - 1];
  int64_t rows = total / L;
  const char *s = src;
  char *o = out;
  if (es == 4 && sl != 1 && rank >= 2 && st[rank - 2] == 1 && dims[rank - 2] >= 8) {
    /* the source is contiguous along the output's second-last dim (ViT's
     * key transpose (197,12,64) -> (12,64,197)): 16 output rows at a time,
     * so each source cache line is read once for 16 floats, not once per
     * float (one thread, Zen 5: 0.148 -> 0.09 ms; 8 rows: 0.12 ms) */
    const int64_t J = dims[rank - 2], per = (J + 15) / 16, groups = rows / J * per;
#pragma omp parallel for schedule(static) if (total > 65536 && groups > 1)
    for (int64_t gi = 0; gi < groups; ++gi) {
      int64_t j0 = gi % per * 16, row = gi / per * J + j0;
      int g = J - j0 < 16 ? (int)(J - j0) : 16;
      int64_t rem = row, off = 0;
      for (int d = rank - 2; d >= 0; --d) {
        off += rem % dims[d] * st[d];
        rem /= dims[d];
      }
      uint32_t *restrict dst = (uint32_t *)out + row * L;
      const uint32_t *restrict from = (const uint32_t *)src + off;
      if (g == 16)
        for (int64_t i = 0; i < L; ++i)
          for (int k = 0; k < 16; ++k)
            dst[k * L + i] = from[i * sl + k];
      else
        for (int64_t i = 0; i < L; ++i)
          for (int k = 0; k < g; ++k)
            dst[k * L + i] = from[i * sl + k];
    }
    return;
  }
#pragma omp parallel for schedule(static) if (total > 65536 && rows > 1)
  for (int64_t row = 0; row < rows; ++row) {
    int64_t rem = row, off = 0;
    for (int d = rank - 2; d >= 0; --d) {
      off += rem % dims[d] * st[d];
      rem /= dims[d];
    }
    char *dst = o + row * L * (int64_t)es;
    const char *from = s + off * (int64_t)es;
    if (sl == 1) {
      memcpy(dst, from, (size_t)L * es);
    } else if (es == 4) {
      for (int64_t i = 0; i < L; ++i)
        ((uint32_t *)dst)[i] = *(const uint32_t *)(from + i * sl * 4);
    } else {
      for (int64_t i = 0; i < L; ++i)
        memcpy(dst + i * (int64_t)es, from + i * sl * (int64_t)es, es);
    }
  }
}

void strided_add(float *dst, const int64_t *dst_st, const float *src,
                 const int64_t *src_st, int rank, const int64_t *dims) {
  int64_t total = 1, idx[SP_MAX_RANK] = {0}, od = 0, os = 0;
  for (int d = 0; d < rank; ++d)
    total *= dims[d];
  for (int64_t i = 0; i < total; ++i) {
    dst[od] += src[os];
    for (int d = rank - 1; d >= 0; --d) { /* odometer over dims */
      od += dst_st[d], os += src_st[d];
      if (++idx[d] < dims[d])
        break;
      od -= dst_st[d] * dims[d], os -= src_st[d] * dims[d];
      idx[d] = 0;
    }
  }
}

static int need_type(rt_node *n, sp_error *err) {
  for (int i = 0; i < n->n_out; ++i)
    if (n->out[i] && !esize(&n->out[i]->t))
      return rt_unsupported(err, n, "element type of '%s' has no kernel",
                            n->out[i]->t.name);
  return 0;
}

/* Output 0 has input 0's bytes (planned as an alias when possible). */
/* A view's gradient is its input's, element for element; training plans
 * give both one buffer, so there is usually nothing to add. */
RT_KERNEL(rt_view_backward) {
  (void)rt, (void)err;
  float *dy = n->out[0]->grad, *dx = rt_in(n, 0) ? n->in[0]->grad : NULL;
  if (dy && dx && dy != dx)
    for (int64_t i = 0; i < n->in[0]->t.numel; ++i)
      dx[i] += dy[i];
  return 0;
}

RT_KERNEL(rt_view) {
  (void)rt;
  if (!rt_in(n, 0))
    return rt_fail(err, n, "missing input");
  int rc = need_type(n, err);
  if (rc)
    return rc;
  rt_value *x = n->in[0], *y = n->out[0];
  if (y->t.numel != x->t.numel)
    return rt_fail(err, n, "%lld elements into a shape of %lld",
                   (long long)x->t.numel, (long long)y->t.numel);
  if (y->kind == RT_ALIAS)
    y->t.data = x->t.data;
  else if (y->t.data != x->t.data)
    memcpy(y->t.data, x->t.data, (size_t)x->t.numel * esize(&x->t));
  return 0;
}

/* ---- Dropout ---- */

static uint64_t splitmix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Element i's draw depends on (stream, i) only, not on which thread takes
 * it: the same seed gives the same mask at any thread count. */
void dropout_forward(float *y, uint8_t *keep, const float *x, int64_t k,
                     float ratio, uint64_t stream) {
  const float scale = ratio < 1 ? 1.0f / (1.0f - ratio) : 0.0f;
  const uint64_t cut = (uint64_t)((double)ratio * 16777216.0); /* of 2^24 */
#pragma omp parallel for schedule(static) if (k > 32768)
  for (int64_t i = 0; i < k; ++i) {
    keep[i] = (splitmix64(stream + (uint64_t)i) >> 40) >= cut;
    y[i] = keep[i] ? x[i] * scale : 0.0f;
  }
}

void dropout_backward(float *dx, const float *dy, const uint8_t *keep,
                      int64_t k, float ratio) {
  const float scale = ratio < 1 ? 1.0f / (1.0f - ratio) : 0.0f;
  for (int64_t i = 0; i < k; ++i)
    dx[i] += keep[i] ? dy[i] * scale : 0.0f;
}

/* The drop ratio: input 1 since opset 12, the attribute before (0.5). */
static float dropout_ratio(const rt_node *n) {
  if (n->opset < 12)
    return rt_attr_float(n, "ratio", 0.5f);
  return rt_in(n, 1) && n->in[1]->t.numel ? (float)rt_get_double(&n->in[1]->t, 0)
                                          : 0.5f;
}

/* Nonzero when this run drops: the runtime trains (sp_runtime_set_training)
 * and the ratio is positive. Outside training, a graph that asks for
 * training_mode with a positive ratio has no kernel (random inference). */
static int dropout_active(const sp_runtime *rt, const rt_node *n) {
  return rt->training && dropout_ratio(n) > 0;
}

typedef struct dropout_state {
  int64_t cap;
  uint8_t keep[]; /* of the last training forward */
} dropout_state;

/* Inference: a view (planned as an alias when not training), mask all
 * true. Training: y = x keep / (1 - ratio) with keep ~ Bernoulli(1 - ratio)
 * from the runtime's seed, this run and this node (sp_runtime_set_seed). */
RT_KERNEL(rt_dropout) {
  if (!rt_in(n, 0))
    return rt_fail(err, n, "missing input");
  rt_value *x = n->in[0], *y = n->out[0];
  int train_mode = rt_in(n, 2) && n->in[2]->t.numel && rt_get_double(&n->in[2]->t, 0) != 0;
  if (!dropout_active(rt, n)) {
    /* a ratio of 0 is a copy (torch.onnx writes that for attention dropout
     * with p = 0, e.g. Swin) */
    if (train_mode && dropout_ratio(n) != 0)
      return rt_unsupported(err, n, "training mode (random dropout) outside "
                                    "sp_runtime_set_training has no kernel");
    int rc = rt_view(rt, n, err);
    if (!rc && rt_out(n, 1)) /* the optional mask: all true */
      memset(n->out[1]->t.data, 1, (size_t)n->out[1]->t.numel);
    return rc;
  }
  if (x->t.elem_type != RT_FLOAT)
    return rt_unsupported(err, n, "training-mode dropout of a non-float tensor");
  float ratio = dropout_ratio(n);
  if (ratio >= 1)
    return rt_fail(err, n, "ratio %g is not below 1", (double)ratio);
  int64_t k = x->t.numel;
  dropout_state *st = n->state;
  if (!st || st->cap < k) {
    st = realloc(n->state, sizeof *st + (size_t)k);
    if (!st)
      return rt_fail(err, n, "out of memory");
    st->cap = k;
    n->state = st;
  }
  uint64_t stream = splitmix64(rt->seed ^ splitmix64(rt->training_runs ^
                                                     splitmix64((uint64_t)n->index)));
  dropout_forward(rt_f32(y), st->keep, rt_f32(x), k, ratio, stream);
  if (rt_out(n, 1))
    memcpy(n->out[1]->t.data, st->keep, (size_t)k);
  return 0;
}

RT_KERNEL(rt_dropout_backward) {
  (void)err;
  float *dy = n->out[0]->grad, *dx = n->in[0]->grad;
  if (!dy || !dx)
    return 0;
  if (!dropout_active(rt, n))
    return rt_view_backward(rt, n, err);
  const dropout_state *st = n->state;
  dropout_backward(dx, dy, st->keep, n->in[0]->t.numel, dropout_ratio(n));
  return 0;
}

RT_KERNEL(rt_transpose) {
  (void)rt;
  int rc = need_type(n, err);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  sp_tensor *y = &n->out[0]->t;
  int64_t perm[SP_MAX_RANK], xs[SP_MAX_RANK], st[SP_MAX_RANK];
  int k = rt_attr_ints(n, "perm", perm, SP_MAX_RANK);
  if (k < 0) {
    for (int d = 0; d < x->rank; ++d)
      perm[d] = x->rank - 1 - d;
  } else if (k != x->rank) {
    return rt_fail(err, n, "perm has %d values for rank %d", k, x->rank);
  }
  strides_of(x, xs);
  for (int d = 0; d < x->rank; ++d)
    st[d] = xs[perm[d]];
  rt_strided_copy(y->data, x->data, esize(x), y->rank, y->dims, st);
  return 0;
}

/* dx += dy transposed back: dy read with the strides that walk x's layout. */
RT_KERNEL(rt_transpose_backward) {
  (void)rt;
  if (!n->out[0]->grad || !n->in[0]->grad)
    return 0;
  const sp_tensor *x = &n->in[0]->t, *y = &n->out[0]->t;
  int64_t perm[SP_MAX_RANK], ys[SP_MAX_RANK] = {0}, st[SP_MAX_RANK] = {0};
  int k = rt_attr_ints(n, "perm", perm, SP_MAX_RANK);
  if (k < 0)
    for (int d = 0; d < x->rank; ++d)
      perm[d] = x->rank - 1 - d;
  else if (k != x->rank || y->rank != x->rank)
    return rt_fail(err, n, "perm has %d values for rank %d", k, x->rank);
  strides_of(y, ys);
  for (int d = 0; d < x->rank; ++d)
    st[perm[d]] = ys[d]; /* x's dim perm[d] is y's dim d */
  float *t = rt_scratch(rt, (size_t)x->numel * sizeof *t);
  if (!t)
    return rt_fail(err, n, "out of memory");
  rt_strided_copy(t, n->out[0]->grad, sizeof(float), x->rank, x->dims, st);
  for (int64_t i = 0; i < x->numel; ++i)
    n->in[0]->grad[i] += t[i];
  return 0;
}

RT_KERNEL(rt_concat) {
  (void)rt;
  int rc = need_type(n, err);
  if (rc)
    return rc;
  sp_tensor *y = &n->out[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", 0), y->rank);
  if (axis < 0)
    return rt_fail(err, n, "axis out of range");
  size_t es = esize(y);
  int64_t outer = rt_dims_product(y, 0, axis);
  int64_t out_row = rt_dims_product(y, axis, y->rank) * (int64_t)es;
  int64_t at = 0;
  for (int i = 0; i < n->n_in; ++i) {
    if (!n->in[i])
      continue;
    const sp_tensor *x = &n->in[i]->t;
    if (x->rank != y->rank)
      return rt_fail(err, n, "input %d has rank %d, expected %d", i, x->rank, y->rank);
    int64_t row = rt_dims_product(x, axis, x->rank) * (int64_t)es;
    for (int64_t o = 0; o < outer; ++o)
      memcpy((char *)y->data + o * out_row + at, (const char *)x->data + o * row,
             (size_t)row);
    at += row;
  }
  return 0;
}

/* Each input's gradient is its block of dy along axis. */
RT_KERNEL(rt_concat_backward) {
  (void)rt;
  const float *dy = n->out[0]->grad;
  if (!dy)
    return 0;
  const sp_tensor *y = &n->out[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", 0), y->rank);
  if (axis < 0)
    return rt_fail(err, n, "axis out of range");
  int64_t ys[SP_MAX_RANK], xs[SP_MAX_RANK], at = 0;
  strides_of(y, ys);
  for (int i = 0; i < n->n_in; ++i) {
    if (!n->in[i])
      continue;
    const sp_tensor *x = &n->in[i]->t;
    if (n->in[i]->grad) {
      strides_of(x, xs);
      strided_add(n->in[i]->grad, xs, dy + at * ys[axis], ys, x->rank, x->dims);
    }
    at += x->dims[axis];
  }
  return 0;
}

/* Split (split sizes from the attribute, input 1 or num_outputs: the
 * forward reads them from the planned output shapes). */
RT_KERNEL(rt_split) {
  (void)rt;
  int rc = need_type(n, err);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", 0), x->rank);
  if (axis < 0)
    return rt_fail(err, n, "axis out of range");
  size_t es = esize(x);
  int64_t outer = rt_dims_product(x, 0, axis);
  int64_t in_row = rt_dims_product(x, axis, x->rank) * (int64_t)es;
  int64_t at = 0;
  for (int i = 0; i < n->n_out; ++i) {
    if (!n->out[i])
      continue;
    sp_tensor *y = &n->out[i]->t;
    int64_t row = rt_dims_product(y, axis, y->rank) * (int64_t)es;
    for (int64_t o = 0; o < outer; ++o)
      memcpy((char *)y->data + o * row, (const char *)x->data + o * in_row + at,
             (size_t)row);
    at += row;
  }
  return 0;
}

/* dx's block of each output along axis += that output's gradient. */
RT_KERNEL(rt_split_backward) {
  (void)rt;
  float *dx = n->in[0]->grad;
  if (!dx)
    return 0;
  const sp_tensor *x = &n->in[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", 0), x->rank);
  if (axis < 0)
    return rt_fail(err, n, "axis out of range");
  int64_t xs[SP_MAX_RANK], ys[SP_MAX_RANK], at = 0;
  strides_of(x, xs);
  for (int i = 0; i < n->n_out; ++i) {
    if (!n->out[i])
      continue;
    const sp_tensor *y = &n->out[i]->t;
    if (n->out[i]->grad) {
      strides_of(y, ys);
      strided_add(dx + at * xs[axis], xs, n->out[i]->grad, ys, y->rank, y->dims);
    }
    at += y->dims[axis];
  }
  return 0;
}

/* Where y's elements come from in x: element offset of y's first and the
 * strides (in x's elements, negative for negative steps) of y's dims. */
static int slice_view(const rt_node *n, const sp_tensor *x, int64_t *off,
                      int64_t *st, sp_error *err) {
  int64_t starts[SP_MAX_RANK], ends[SP_MAX_RANK], axes[SP_MAX_RANK], steps[SP_MAX_RANK];
  int k, ka, ks;
  if (n->opset < 10) {
    k = rt_attr_ints(n, "starts", starts, SP_MAX_RANK);
    rt_attr_ints(n, "ends", ends, SP_MAX_RANK);
    ka = rt_attr_ints(n, "axes", axes, SP_MAX_RANK);
    ks = -1;
  } else {
    k = rt_read_ints(rt_in(n, 1), starts, SP_MAX_RANK);
    if (rt_read_ints(rt_in(n, 2), ends, SP_MAX_RANK) != k)
      return rt_fail(err, n, "starts and ends differ in length");
    ka = rt_in(n, 3) ? rt_read_ints(n->in[3], axes, SP_MAX_RANK) : -1;
    ks = rt_in(n, 4) ? rt_read_ints(n->in[4], steps, SP_MAX_RANK) : -1;
  }
  if (k < 0)
    return rt_fail(err, n, "cannot read starts");
  int64_t begin[SP_MAX_RANK], step[SP_MAX_RANK], xs[SP_MAX_RANK];
  for (int d = 0; d < x->rank; ++d) {
    begin[d] = 0;
    step[d] = 1;
  }
  for (int i = 0; i < k; ++i) {
    int a = rt_axis(ka >= 0 ? axes[i] : i, x->rank);
    if (a < 0)
      return rt_fail(err, n, "axis out of range");
    int64_t s = ks >= 0 ? steps[i] : 1, dim = x->dims[a], b = starts[i];
    if (s == 0)
      return rt_fail(err, n, "step 0");
    if (b < 0)
      b += dim;
    if (s > 0)
      b = b < 0 ? 0 : b > dim ? dim : b;
    else
      b = b < 0 ? 0 : b > dim - 1 ? dim - 1 : b;
    begin[a] = b;
    step[a] = s;
  }
  strides_of(x, xs);
  *off = 0;
  for (int d = 0; d < x->rank; ++d) {
    *off += begin[d] * xs[d];
    st[d] = xs[d] * step[d];
  }
  return 0;
}

/* dx at the sliced positions += dy (steps of any sign). */
RT_KERNEL(rt_slice_backward) {
  (void)rt;
  float *dx = n->in[0]->grad;
  const float *dy = n->out[0]->grad;
  if (!dx || !dy)
    return 0;
  const sp_tensor *x = &n->in[0]->t, *y = &n->out[0]->t;
  int64_t off, st[SP_MAX_RANK], ys[SP_MAX_RANK];
  int rc = slice_view(n, x, &off, st, err);
  if (rc)
    return rc;
  strides_of(y, ys);
  if (y->numel)
    strided_add(dx + off, st, dy, ys, y->rank, y->dims);
  return 0;
}

RT_KERNEL(rt_slice) {
  (void)rt;
  int rc = need_type(n, err);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  sp_tensor *y = &n->out[0]->t;
  int64_t off, st[SP_MAX_RANK];
  if ((rc = slice_view(n, x, &off, st, err)))
    return rc;
  if (y->numel)
    rt_strided_copy(y->data, (const char *)x->data + off * (int64_t)esize(x),
                    esize(x), y->rank, y->dims, st);
  return 0;
}

RT_KERNEL(rt_gather) {
  (void)rt;
  int rc = need_type(n, err);
  if (!rc)
    rc = rt_check_types(err, n, 1, RT_INT64, RT_INT32, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t, *ind = &n->in[1]->t;
  sp_tensor *y = &n->out[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", 0), x->rank);
  if (axis < 0)
    return rt_fail(err, n, "axis out of range");
  size_t es = esize(x);
  int64_t outer = rt_dims_product(x, 0, axis), dim = x->dims[axis];
  int64_t inner = rt_dims_product(x, axis + 1, x->rank) * (int64_t)es;
  int64_t k = ind->numel;
  for (int64_t j = 0; j < k; ++j) {
    int64_t i = ind->elem_type == RT_INT64 ? ((const int64_t *)ind->data)[j]
                                           : ((const int32_t *)ind->data)[j];
    if (i < -dim || i >= dim)
      return rt_fail(err, n, "index %lld out of range [%lld, %lld)",
                     (long long)i, (long long)-dim, (long long)dim);
  }
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < k; ++j) {
      int64_t i = ind->elem_type == RT_INT64 ? ((const int64_t *)ind->data)[j]
                                             : ((const int32_t *)ind->data)[j];
      if (i < 0)
        i += dim;
      memcpy((char *)y->data + (o * k + j) * inner,
             (const char *)x->data + (o * dim + i) * inner, (size_t)inner);
    }
  return 0;
}

void gather_backward(float *dx, const float *dy, const int64_t *indices,
                     int64_t k, int64_t outer, int64_t dim, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < k; ++j) {
      int64_t i = indices[j] < 0 ? indices[j] + dim : indices[j];
      float *d = dx + (o * dim + i) * inner;
      const float *g = dy + (o * k + j) * inner;
      for (int64_t e = 0; e < inner; ++e)
        d[e] += g[e];
    }
}

/* Scatter-add into the data's gradient (an embedding's rows); the indices
 * are integers and get nothing. */
RT_KERNEL(rt_gather_backward) {
  float *dx = n->in[0]->grad;
  const float *dy = n->out[0]->grad;
  if (!dx || !dy)
    return 0;
  const sp_tensor *x = &n->in[0]->t, *ind = &n->in[1]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", 0), x->rank);
  if (axis < 0)
    return rt_fail(err, n, "axis out of range");
  int64_t k = ind->numel;
  int64_t *idx = rt_scratch(rt, (size_t)(k ? k : 1) * sizeof *idx);
  if (!idx)
    return rt_fail(err, n, "out of memory");
  for (int64_t j = 0; j < k; ++j)
    idx[j] = ind->elem_type == RT_INT64 ? ((const int64_t *)ind->data)[j]
                                        : ((const int32_t *)ind->data)[j];
  gather_backward(dx, dy, idx, k, rt_dims_product(x, 0, axis), x->dims[axis],
                  rt_dims_product(x, axis + 1, x->rank));
  return 0;
}

RT_KERNEL(rt_gather_elements) {
  (void)rt;
  int rc = need_type(n, err);
  if (!rc)
    rc = rt_check_types(err, n, 1, RT_INT64, RT_INT32, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t, *ind = &n->in[1]->t;
  sp_tensor *y = &n->out[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", 0), x->rank);
  if (axis < 0)
    return rt_fail(err, n, "axis out of range");
  size_t es = esize(x);
  int64_t xs[SP_MAX_RANK];
  strides_of(x, xs);
  for (int64_t j = 0; j < ind->numel; ++j) {
    int64_t rem = j, off = 0;
    int64_t i = ind->elem_type == RT_INT64 ? ((const int64_t *)ind->data)[j]
                                           : ((const int32_t *)ind->data)[j];
    if (i < 0)
      i += x->dims[axis];
    if (i < 0 || i >= x->dims[axis])
      return rt_fail(err, n, "index out of range");
    for (int d = ind->rank - 1; d >= 0; --d) {
      int64_t c = rem % ind->dims[d];
      rem /= ind->dims[d];
      off += (d == axis ? i : c) * xs[d];
    }
    memcpy((char *)y->data + j * (int64_t)es, (const char *)x->data + off * (int64_t)es, es);
  }
  return 0;
}

/* y = x with the slices named by indices (..., k) replaced by (reduction
 * none) or combined with (add, mul, max, min; float) updates (..., x.dims[k:]). */
RT_KERNEL(rt_scatter_nd) {
  (void)rt;
  int rc = need_type(n, err);
  if (!rc)
    rc = rt_check_types(err, n, 1, RT_INT64, 0);
  if (rc)
    return rc;
  if (n->n_in < 3 || !n->in[2])
    return rt_fail(err, n, "needs inputs data, indices and updates");
  const sp_tensor *x = &n->in[0]->t, *ind = &n->in[1]->t, *upd = &n->in[2]->t;
  sp_tensor *y = &n->out[0]->t;
  char red_s[8];
  rt_attr_str(n, "reduction", red_s, sizeof red_s, "none");
  int red = !strcmp(red_s, "add") ? 1 : !strcmp(red_s, "mul") ? 2
            : !strcmp(red_s, "max") ? 3 : !strcmp(red_s, "min") ? 4
            : !strcmp(red_s, "none") ? 0 : -1;
  if (red < 0 || (red > 0 && x->elem_type != RT_FLOAT))
    return rt_unsupported(err, n, "reduction '%s' on this type has no kernel", red_s);
  if (upd->elem_type != x->elem_type)
    return rt_fail(err, n, "updates and data differ in element type");
  int k = ind->rank ? (int)ind->dims[ind->rank - 1] : 0;
  if (ind->rank < 1 || k > x->rank)
    return rt_fail(err, n, "indices' last dim %d exceeds the data rank %d", k, x->rank);
  size_t es = esize(x);
  int64_t xs[SP_MAX_RANK];
  strides_of(x, xs);
  int64_t slice = rt_dims_product(x, k, x->rank), count = k ? ind->numel / k : 0;
  if (upd->numel != count * slice)
    return rt_fail(err, n, "updates hold %lld values, expected %lld",
                   (long long)upd->numel, (long long)(count * slice));
  if (y->data != x->data)
    memcpy(y->data, x->data, (size_t)x->numel * es);
  const int64_t *id = ind->data;
  for (int64_t i = 0; i < count; ++i) {
    int64_t off = 0;
    for (int j = 0; j < k; ++j) {
      int64_t v = id[i * k + j], dim = x->dims[j];
      if (v < -dim || v >= dim)
        return rt_fail(err, n, "index %lld out of range [%lld, %lld)",
                       (long long)v, (long long)-dim, (long long)dim);
      off += (v < 0 ? v + dim : v) * xs[j];
    }
    char *dst = (char *)y->data + off * (int64_t)es;
    const char *src = (const char *)upd->data + i * slice * (int64_t)es;
    if (red == 0) {
      memcpy(dst, src, (size_t)slice * es);
      continue;
    }
    float *d = (float *)dst;
    const float *u = (const float *)src;
    for (int64_t e = 0; e < slice; ++e)
      d[e] = red == 1   ? d[e] + u[e]
             : red == 2 ? d[e] * u[e]
             : red == 3 ? (u[e] > d[e] ? u[e] : d[e])
                        : (u[e] < d[e] ? u[e] : d[e]);
  }
  return 0;
}

RT_KERNEL(rt_expand) {
  (void)rt;
  int rc = need_type(n, err);
  if (rc)
    return rc;
  sp_tensor *y = &n->out[0]->t;
  int64_t st[SP_MAX_RANK];
  rt_broadcast_strides(&n->in[0]->t, y, st);
  rt_strided_copy(y->data, n->in[0]->t.data, esize(y), y->rank, y->dims, st);
  return 0;
}

/* dx += dy summed over the dims x was broadcast along. */
RT_KERNEL(rt_expand_backward) {
  (void)rt, (void)err;
  float *dx = n->in[0]->grad;
  const float *dy = n->out[0]->grad;
  if (!dx || !dy)
    return 0;
  const sp_tensor *y = &n->out[0]->t;
  int64_t st[SP_MAX_RANK], ys[SP_MAX_RANK];
  rt_broadcast_strides(&n->in[0]->t, y, st);
  strides_of(y, ys);
  strided_add(dx, st, dy, ys, y->rank, y->dims);
  return 0;
}

RT_KERNEL(rt_tile) {
  (void)rt;
  int rc = need_type(n, err);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  sp_tensor *y = &n->out[0]->t;
  size_t es = esize(x);
  int64_t xs[SP_MAX_RANK];
  strides_of(x, xs);
  for (int64_t j = 0; j < y->numel; ++j) {
    int64_t rem = j, off = 0;
    for (int d = y->rank - 1; d >= 0; --d) {
      off += rem % y->dims[d] % x->dims[d] * xs[d];
      rem /= y->dims[d];
    }
    memcpy((char *)y->data + j * (int64_t)es, (const char *)x->data + off * (int64_t)es, es);
  }
  return 0;
}

/* Maps padded coordinate i of a dim of size dim back into it; -1 = fill. */
static int64_t pad_index(int64_t i, int64_t dim, int mode) {
  if (i >= 0 && i < dim)
    return i;
  if (mode == 0 || dim == 0)
    return -1;
  if (mode == 1) { /* reflect */
    if (dim == 1)
      return 0;
    int64_t period = 2 * (dim - 1);
    i = ((i % period) + period) % period;
    return i < dim ? i : period - i;
  }
  if (mode == 2) /* edge */
    return i < 0 ? 0 : dim - 1;
  return ((i % dim) + dim) % dim; /* wrap */
}

/* k elements of es bytes at dst, each a copy of fill (all zero bytes when
 * zero is set). */
static void fill_elems(char *dst, const char *fill, int zero, size_t es,
                       int64_t k) {
  if (zero) {
    memset(dst, 0, (size_t)k * es);
    return;
  }
  for (int64_t j = 0; j < k; ++j)
    memcpy(dst + j * (int64_t)es, fill, es);
}

/* Pad's amounts per dim of x: pads[d] before, pads[d + rank] after (the
 * attribute before opset 11, the input since; optional axes). */
static int pad_amounts(const rt_node *n, const sp_tensor *x, int64_t *pads, sp_error *err) {
  int64_t raw[2 * SP_MAX_RANK], axes[SP_MAX_RANK];
  memset(pads, 0, 2 * SP_MAX_RANK * sizeof *pads);
  int np = n->opset < 11 ? rt_attr_ints(n, "pads", raw, 2 * SP_MAX_RANK)
                         : rt_read_ints(rt_in(n, 1), raw, 2 * SP_MAX_RANK);
  if (np < 0)
    return rt_fail(err, n, "cannot read pads");
  int na = rt_in(n, 3) ? rt_read_ints(n->in[3], axes, SP_MAX_RANK) : -1;
  int count = na >= 0 ? na : x->rank;
  if (np != 2 * count)
    return rt_fail(err, n, "pads has %d values", np);
  for (int i = 0; i < count; ++i) {
    int a = rt_axis(na >= 0 ? axes[i] : i, x->rank);
    if (a < 0)
      return rt_fail(err, n, "axis out of range");
    pads[a] = raw[i];
    pads[a + x->rank] = raw[i + count];
  }
  return 0;
}

static int pad_mode(const rt_node *n) {
  char mode_s[16];
  rt_attr_str(n, "mode", mode_s, sizeof mode_s, "constant");
  return !strcmp(mode_s, "reflect") ? 1 : !strcmp(mode_s, "edge") ? 2
         : !strcmp(mode_s, "wrap")  ? 3 : 0;
}

void pad_backward(float *dx, const float *dy, int rank, const int64_t *xdims,
                  const int64_t *ydims, const int64_t *pads, int mode) {
  int64_t xs[SP_MAX_RANK], ynumel = 1, k = 1;
  for (int d = rank - 1; d >= 0; --d) {
    xs[d] = k;
    k *= xdims[d];
    ynumel *= ydims[d];
  }
  for (int64_t j = 0; j < ynumel; ++j) {
    int64_t rem = j, off = 0;
    int fill = 0;
    for (int d = rank - 1; d >= 0 && !fill; --d) {
      int64_t i = pad_index(rem % ydims[d] - pads[d], xdims[d], mode);
      rem /= ydims[d];
      fill = i < 0;
      off += i * xs[d];
    }
    if (!fill)
      dx[off] += dy[j];
  }
}

/* Every mode: each output element's gradient goes to the input element
 * the forward copied it from (several for reflect/edge/wrap borders);
 * constant fill gets nothing, nor do elements cut by negative pads. */
RT_KERNEL(rt_pad_backward) {
  (void)rt;
  if (!n->out[0]->grad || !n->in[0]->grad)
    return 0;
  const sp_tensor *x = &n->in[0]->t, *y = &n->out[0]->t;
  int64_t pads[2 * SP_MAX_RANK];
  int rc = pad_amounts(n, x, pads, err);
  if (rc)
    return rc;
  pad_backward(n->in[0]->grad, n->out[0]->grad, x->rank, x->dims, y->dims, pads,
               pad_mode(n));
  return 0;
}

RT_KERNEL(rt_pad) {
  (void)rt;
  int rc = need_type(n, err);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  sp_tensor *y = &n->out[0]->t;
  int64_t pads[2 * SP_MAX_RANK];
  if ((rc = pad_amounts(n, x, pads, err)))
    return rc;
  int mode = pad_mode(n);
  size_t es = esize(x);
  char fill[16] = {0};
  if (es == 0 || es > sizeof fill)
    return rt_fail(err, n, "element type %d is not supported", x->elem_type);
  if (n->opset < 11) {
    double v = rt_attr_float(n, "value", 0);
    if (x->elem_type == RT_FLOAT) {
      float f = (float)v;
      memcpy(fill, &f, 4);
    }
  } else if (rt_in(n, 2) && n->in[2]->t.numel) {
    memcpy(fill, n->in[2]->t.data, es);
  }
  int fill_zero = 1;
  for (size_t b = 0; b < es; ++b)
    fill_zero &= fill[b] == 0;
  int64_t xs[SP_MAX_RANK];
  strides_of(x, xs);
  int r = y->rank;
  int64_t L = r ? y->dims[r - 1] : 1, rows = L ? y->numel / L : 0;
  for (int64_t row = 0; row < rows; ++row) {
    int64_t rem = row, off = 0;
    int fill_row = 0;
    for (int d = r - 2; d >= 0; --d) {
      int64_t i = pad_index(rem % y->dims[d] - pads[d], x->dims[d], mode);
      rem /= y->dims[d];
      if (i < 0)
        fill_row = 1;
      else
        off += i * xs[d];
    }
    char *dst = (char *)y->data + row * L * (int64_t)es;
    if (mode == 0) { /* constant: fill, one copy of the kept run, fill */
      int64_t lo = r ? pads[r - 1] : 0, xl = r ? x->dims[r - 1] : 1;
      int64_t j0 = fill_row ? L : lo > 0 ? (lo < L ? lo : L) : 0;
      int64_t j1 = fill_row ? L : lo + xl < L ? lo + xl : L;
      j1 = j1 > j0 ? j1 : j0;
      fill_elems(dst, fill, fill_zero, es, j0);
      if (j1 > j0)
        memcpy(dst + j0 * (int64_t)es,
               (const char *)x->data + (off + j0 - lo) * (int64_t)es,
               (size_t)(j1 - j0) * es);
      fill_elems(dst + j1 * (int64_t)es, fill, fill_zero, es, L - j1);
      continue;
    }
    for (int64_t j = 0; j < L; ++j) {
      int64_t i = r ? pad_index(j - pads[r - 1], x->dims[r - 1], mode) : 0;
      if (fill_row || i < 0)
        memcpy(dst + j * (int64_t)es, fill, es);
      else
        memcpy(dst + j * (int64_t)es, (const char *)x->data + (off + i) * (int64_t)es, es);
    }
  }
  return 0;
}

RT_KERNEL(rt_shape) {
  (void)rt;
  (void)err;
  const sp_tensor *x = &n->in[0]->t;
  int64_t start = rt_attr_int(n, "start", 0), end = rt_attr_int(n, "end", x->rank);
  if (start < 0)
    start += x->rank;
  if (end < 0)
    end += x->rank;
  start = start < 0 ? 0 : start > x->rank ? x->rank : start;
  end = end < 0 ? 0 : end > x->rank ? x->rank : end;
  int64_t *y = n->out[0]->t.data;
  for (int64_t d = start; d < end; ++d)
    y[d - start] = x->dims[d];
  return 0;
}

RT_KERNEL(rt_size) {
  (void)rt;
  (void)err;
  *(int64_t *)n->out[0]->t.data = n->in[0]->t.numel;
  return 0;
}

RT_KERNEL(rt_constant_of_shape) {
  (void)rt;
  int rc = need_type(n, err);
  if (rc)
    return rc;
  sp_tensor *y = &n->out[0]->t;
  size_t es = esize(y);
  char value[16] = {0};
  const Onnx__AttributeProto *a = rt_attr(n, "value");
  if (a && a->t) {
    const void *data;
    size_t size;
    if (sp_onnx_tensor_bytes(rt->model, a->t, &data, &size, err))
      return -1;
    if (size >= es)
      memcpy(value, data, es);
  }
  for (int64_t i = 0; i < y->numel; ++i)
    memcpy((char *)y->data + i * (int64_t)es, value, es);
  return 0;
}

static void put_double(sp_tensor *y, int64_t k, double v) {
  switch (y->elem_type) {
  case RT_FLOAT: ((float *)y->data)[k] = (float)v; break;
  case RT_DOUBLE: ((double *)y->data)[k] = v; break;
  case RT_INT64: ((int64_t *)y->data)[k] = (int64_t)v; break;
  case RT_INT32: ((int32_t *)y->data)[k] = (int32_t)v; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: ((int16_t *)y->data)[k] = (int16_t)v; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: ((uint16_t *)y->data)[k] = (uint16_t)v; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: ((uint32_t *)y->data)[k] = (uint32_t)v; break;
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: ((uint64_t *)y->data)[k] = (uint64_t)v; break;
  case RT_INT8: ((int8_t *)y->data)[k] = (int8_t)v; break;
  case RT_UINT8: ((uint8_t *)y->data)[k] = (uint8_t)v; break;
  case RT_BOOL: ((uint8_t *)y->data)[k] = v != 0; break;
  default: break;
  }
}

RT_KERNEL(rt_range) {
  (void)rt;
  int rc = need_type(n, err);
  if (rc)
    return rc;
  sp_tensor *y = &n->out[0]->t;
  double start = rt_get_double(&n->in[0]->t, 0), delta = rt_get_double(&n->in[2]->t, 0);
  for (int64_t i = 0; i < y->numel; ++i)
    put_double(y, i, start + (double)i * delta);
  return 0;
}

static int is_int_type(int32_t t) {
  return t == RT_INT64 || t == RT_INT32 || t == RT_INT8 || t == RT_UINT8 ||
         t == RT_BOOL || (t >= 4 && t <= 5) || t == 12 || t == 13;
}

/* A float-to-float Cast is the identity; other casts carry no gradient
 * (their float side has none to take or give). */
RT_KERNEL(rt_cast_backward) {
  (void)rt, (void)err;
  float *dx = n->in[0]->grad;
  const float *dy = n->out[0]->grad;
  if (dx && dy && n->in[0]->t.elem_type == RT_FLOAT && n->out[0]->t.elem_type == RT_FLOAT)
    for (int64_t i = 0; i < n->in[0]->t.numel; ++i)
      dx[i] += dy[i];
  return 0;
}

RT_KERNEL(rt_cast) {
  (void)rt;
  const sp_tensor *x = &n->in[0]->t;
  sp_tensor *y = &n->out[0]->t;
  if (!esize(x) || !esize(y) || x->elem_type == 10 || y->elem_type == 10 ||
      x->elem_type == 16 || y->elem_type == 16 || x->elem_type > 16 || y->elem_type > 16)
    return rt_unsupported(err, n, "cast between these element types has no kernel");
  if (x->elem_type == y->elem_type) {
    memcpy(y->data, x->data, (size_t)x->numel * esize(x));
    return 0;
  }
  if (is_int_type(x->elem_type) && x->elem_type != RT_BOOL && y->elem_type == RT_INT64) {
    for (int64_t i = 0; i < x->numel; ++i)
      ((int64_t *)y->data)[i] = x->elem_type == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64
                                    ? (int64_t)((const uint64_t *)x->data)[i]
                                    : (int64_t)rt_get_double(x, i);
    return 0;
  }
  if (x->elem_type == RT_INT64 && is_int_type(y->elem_type)) {
    for (int64_t i = 0; i < x->numel; ++i) {
      int64_t v = ((const int64_t *)x->data)[i];
      if (y->elem_type == RT_BOOL)
        ((uint8_t *)y->data)[i] = v != 0;
      else
        put_double(y, i, (double)v);
    }
    return 0;
  }
  for (int64_t i = 0; i < x->numel; ++i) {
    double v = rt_get_double(x, i);
    if (is_int_type(y->elem_type) && y->elem_type != RT_BOOL && !isfinite(v))
      v = 0;
    put_double(y, i, v);
  }
  return 0;
}

/* ---- Resize / Upsample (nearest, linear; any rank) ---- */

typedef enum { CT_HALF, CT_ASYM, CT_ALIGN, CT_PYTORCH, CT_TF_NN, CT_HALF_SYM } coord_mode;

/* out is the resized length (in * scale when scales are given, as ONNX). */
static double source_coord(coord_mode m, double o, double scale, int64_t in,
                           double out) {
  switch (m) {
  case CT_ASYM: return o / scale;
  case CT_ALIGN: return out > 1 ? o * (double)(in - 1) / (out - 1) : 0;
  case CT_PYTORCH: return out > 1 ? (o + 0.5) / scale - 0.5 : 0;
  case CT_TF_NN: return (o + 0.5) / scale;
  case CT_HALF_SYM: {
    double adj = (double)out / scale;
    double center = (double)in / 2, off = center * (1 - adj / (double)in);
    return off + (o + 0.5) / scale - 0.5;
  }
  default: return (o + 0.5) / scale - 0.5;
  }
}

/* Whether output index o of a dim reads exactly input o (no resize). */
static int resize_keeps_dim(const int64_t *lo, const float *w, int64_t n,
                            int linear) {
  for (int64_t o = 0; o < n; ++o)
    if (lo[o] != o || (linear && w[o] != 0))
      return 0;
  return 1;
}

/* y (NC, OH, OW) from x (NC, H, W) with per-row and per-column source
 * indices and weights (separable: rows blend two interpolated rows), the
 * common NCHW image resize; threads split output rows. */
static void resize_2d(float *y, const float *x, int64_t NC, int64_t H,
                      int64_t W, int64_t OH, int64_t OW, const int64_t *ylo,
                      const int64_t *yhi, const float *wy, const int64_t *xlo,
                      const int64_t *xhi, const float *wx, int linear) {
#pragma omp parallel for schedule(static) if (NC * OH * OW > 32768)
  for (int64_t row = 0; row < NC * OH; ++row) {
    int64_t nc = row / OH, oh = row - nc * OH;
    const float *r0 = x + (nc * H + ylo[oh]) * W, *r1 = x + (nc * H + yhi[oh]) * W;
    float *yr = y + row * OW, b = linear ? wy[oh] : 0.0f;
    if (!linear) {
      for (int64_t ow = 0; ow < OW; ++ow)
        yr[ow] = r0[xlo[ow]];
      continue;
    }
    for (int64_t ow = 0; ow < OW; ++ow) {
      float a = wx[ow];
      float top = r0[xlo[ow]] + a * (r0[xhi[ow]] - r0[xlo[ow]]);
      float bot = r1[xlo[ow]] + a * (r1[xhi[ow]] - r1[xlo[ow]]);
      yr[ow] = top + b * (bot - top);
    }
  }
}

RT_KERNEL(rt_resize) {
  int rc = need_type(n, err);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  sp_tensor *y = &n->out[0]->t;
  if (x->elem_type != RT_FLOAT)
    return rt_unsupported(err, n, "only float has a kernel");
  char mode[32], ct[40], nm[32];
  rt_attr_str(n, "mode", mode, sizeof mode, "nearest");
  int upsample = !strcmp(n->proto->op_type, "Upsample");
  rt_attr_str(n, "coordinate_transformation_mode", ct, sizeof ct,
              upsample || n->opset < 11 ? "asymmetric" : "half_pixel");
  rt_attr_str(n, "nearest_mode", nm, sizeof nm,
              upsample || n->opset < 11 ? "floor" : "round_prefer_floor");
  int linear = !strcmp(mode, "linear") || !strcmp(mode, "bilinear");
  if (!linear && strcmp(mode, "nearest"))
    return rt_unsupported(err, n, "mode '%s' has no kernel", mode);
  if (rt_attr_int(n, "antialias", 0) || rt_attr(n, "axes"))
    return rt_unsupported(err, n, "antialias/axes have no kernel");
  coord_mode cm = !strcmp(ct, "asymmetric")             ? CT_ASYM
                  : !strcmp(ct, "align_corners")        ? CT_ALIGN
                  : !strcmp(ct, "pytorch_half_pixel")   ? CT_PYTORCH
                  : !strcmp(ct, "tf_half_pixel_for_nn") ? CT_TF_NN
                  : !strcmp(ct, "half_pixel_symmetric") ? CT_HALF_SYM
                  : !strcmp(ct, "half_pixel")           ? CT_HALF
                                                        : -1;
  if ((int)cm < 0)
    return rt_unsupported(err, n, "coordinate_transformation_mode '%s' has no kernel", ct);
  /* scales: Upsample attr/input 1, Resize-10 input 1, Resize-11+ input 2 */
  double scales[SP_MAX_RANK];
  const rt_value *sv = upsample ? rt_in(n, 1) : n->opset < 11 ? rt_in(n, 1) : rt_in(n, 2);
  int have_scales = sv && sv->t.numel == x->rank;
  for (int d = 0; d < x->rank; ++d) {
    scales[d] = x->dims[d] ? (double)y->dims[d] / (double)x->dims[d] : 1;
    if (have_scales)
      scales[d] = rt_get_double(&sv->t, d);
  }
  if (upsample && !sv) {
    float sc[SP_MAX_RANK];
    const Onnx__AttributeProto *a = rt_attr(n, "scales");
    for (int d = 0; a && d < x->rank && (size_t)d < a->n_floats; ++d)
      scales[d] = sc[d] = a->floats[d];
  }
  int r = x->rank;
  /* per dim, per output coordinate: lo index, hi index, weight of hi */
  int64_t total = 0;
  for (int d = 0; d < r; ++d)
    total += y->dims[d];
  size_t bytes = (size_t)total * (2 * sizeof(int64_t) + sizeof(float));
  char *buf = rt_scratch(rt, bytes ? bytes : 16);
  if (!buf)
    return rt_fail(err, n, "out of memory");
  int64_t *lo[SP_MAX_RANK], *hi[SP_MAX_RANK];
  float *w[SP_MAX_RANK];
  int64_t *ip = (int64_t *)buf;
  float *fp = (float *)(buf + (size_t)total * 2 * sizeof(int64_t));
  for (int d = 0; d < r; ++d) {
    lo[d] = ip;
    hi[d] = ip + y->dims[d];
    ip += 2 * y->dims[d];
    w[d] = fp;
    fp += y->dims[d];
    for (int64_t o = 0; o < y->dims[d]; ++o) {
      int64_t in = x->dims[d];
      double len = have_scales ? (double)in * scales[d] : (double)y->dims[d];
      double s = source_coord(cm, (double)o, scales[d], in, len);
      if (!linear) {
        double f;
        if (!strcmp(nm, "floor"))
          f = floor(s);
        else if (!strcmp(nm, "ceil"))
          f = ceil(s);
        else if (!strcmp(nm, "round_prefer_ceil"))
          f = floor(s + 0.5);
        else
          f = (s - floor(s) == 0.5) ? floor(s) : floor(s + 0.5);
        int64_t i = (int64_t)f;
        i = i < 0 ? 0 : i >= in ? in - 1 : i;
        lo[d][o] = hi[d][o] = i;
        w[d][o] = 0;
      } else {
        if (s < 0)
          s = 0;
        if (s > (double)(in - 1))
          s = (double)(in - 1);
        int64_t i0 = (int64_t)floor(s);
        int64_t i1 = i0 + 1 < in ? i0 + 1 : in - 1;
        lo[d][o] = i0;
        hi[d][o] = i1;
        w[d][o] = (float)(s - (double)i0);
      }
    }
  }
  int64_t xs[SP_MAX_RANK];
  strides_of(x, xs);
  const float *xd = x->data;
  float *yd = y->data;
  if (r == 4 && resize_keeps_dim(lo[0], w[0], y->dims[0], linear) &&
      resize_keeps_dim(lo[1], w[1], y->dims[1], linear)) {
    resize_2d(yd, xd, x->dims[0] * x->dims[1], x->dims[2], x->dims[3], y->dims[2],
              y->dims[3], lo[2], hi[2], w[2], lo[3], hi[3], w[3], linear);
    return 0;
  }
  int active[SP_MAX_RANK], na = 0;
  for (int d = 0; d < r; ++d)
    if (linear && (y->dims[d] != x->dims[d] || scales[d] != 1.0))
      active[na++] = d;
  for (int64_t j = 0; j < y->numel; ++j) {
    int64_t idx[SP_MAX_RANK], rem = j, base = 0;
    for (int d = r - 1; d >= 0; --d) {
      idx[d] = rem % y->dims[d];
      rem /= y->dims[d];
    }
    for (int d = 0; d < r; ++d)
      base += lo[d][idx[d]] * xs[d];
    if (!linear || na == 0) {
      yd[j] = xd[base];
      continue;
    }
    double acc = 0;
    for (int c = 0; c < (1 << na); ++c) {
      double wt = 1;
      int64_t off = base;
      for (int a = 0; a < na; ++a) {
        int d = active[a];
        float wd = w[d][idx[d]];
        if (c & (1 << a)) {
          wt *= wd;
          off += (hi[d][idx[d]] - lo[d][idx[d]]) * xs[d];
        } else {
          wt *= 1 - wd;
        }
      }
      if (wt != 0)
        acc += wt * xd[off];
    }
    yd[j] = (float)acc;
  }
  return 0;
}

/* y is the 6-D transpose of x for DepthToSpace (DCR or CRD) / SpaceToDepth. */
static int block_move(rt_node *n, int to_space, sp_error *err) {
  int rc = need_type(n, err);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  sp_tensor *y = &n->out[0]->t;
  if (x->rank != 4)
    return rt_fail(err, n, "needs a 4-D input");
  int64_t b = rt_attr_int(n, "blocksize", 1);
  int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
  int64_t dims[6], st[6];
  if (to_space) {
    int64_t Co = C / (b * b);
    int crd = rt_attr_is(n, "mode", "CRD", "DCR");
    /* y[n, c, h, bh, w, bw] */
    dims[0] = N, dims[1] = Co, dims[2] = H, dims[3] = b, dims[4] = W, dims[5] = b;
    int64_t sc = H * W;
    st[0] = C * sc;
    st[2] = W;
    st[4] = 1;
    if (crd) {
      st[1] = b * b * sc, st[3] = b * sc, st[5] = sc;
    } else {
      st[3] = b * Co * sc, st[5] = Co * sc, st[1] = sc;
    }
  } else {
    int64_t Ho = H / b, Wo = W / b;
    /* y[n, bh, bw, c, ho, wo] = x[n, c, ho*b + bh, wo*b + bw] */
    dims[0] = N, dims[1] = b, dims[2] = b, dims[3] = C, dims[4] = Ho, dims[5] = Wo;
    st[0] = C * H * W, st[1] = W, st[2] = 1, st[3] = H * W, st[4] = b * W, st[5] = b;
  }
  rt_strided_copy(y->data, x->data, esize(x), 6, dims, st);
  return 0;
}

RT_KERNEL(rt_depth_to_space) {
  (void)rt;
  return block_move(n, 1, err);
}
RT_KERNEL(rt_space_to_depth) {
  (void)rt;
  return block_move(n, 0, err);
}

RT_KERNEL(rt_trilu) {
  (void)rt;
  int rc = need_type(n, err);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  sp_tensor *y = &n->out[0]->t;
  int64_t k = rt_in(n, 1) ? (int64_t)rt_get_double(&n->in[1]->t, 0) : 0;
  int upper = (int)rt_attr_int(n, "upper", 1);
  size_t es = esize(x);
  int64_t R = x->rank >= 2 ? x->dims[x->rank - 2] : 1, Cc = x->dims[x->rank - 1];
  int64_t mats = R * Cc != 0 ? x->numel / (R * Cc) : 0;
  memcpy(y->data, x->data, (size_t)x->numel * es);
  for (int64_t m = 0; m < mats; ++m)
    for (int64_t i = 0; i < R; ++i)
      for (int64_t j = 0; j < Cc; ++j) {
        int keep = upper ? j - i >= k : j - i <= k;
        if (!keep)
          memset((char *)y->data + ((m * R + i) * Cc + j) * (int64_t)es, 0, es);
      }
  return 0;
}

RT_KERNEL(rt_cumsum) {
  (void)rt;
  int rc = rt_check_types(err, n, 0, RT_FLOAT, RT_DOUBLE, RT_INT64, RT_INT32, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  sp_tensor *y = &n->out[0]->t;
  int axis = rt_axis((int64_t)rt_get_double(&n->in[1]->t, 0), x->rank);
  if (axis < 0)
    return rt_fail(err, n, "axis out of range");
  int excl = (int)rt_attr_int(n, "exclusive", 0), rev = (int)rt_attr_int(n, "reverse", 0);
  int64_t outer = rt_dims_product(x, 0, axis), len = x->dims[axis],
          inner = rt_dims_product(x, axis + 1, x->rank);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      double acc = 0;
      for (int64_t t = 0; t < len; ++t) {
        int64_t i = rev ? len - 1 - t : t;
        int64_t k = (o * len + i) * inner + in;
        double v = rt_get_double(x, k);
        if (excl) {
          put_double(y, k, acc);
          acc += v;
        } else {
          acc += v;
          put_double(y, k, acc);
        }
      }
    }
  return 0;
}

RT_KERNEL(rt_eyelike) {
  (void)rt;
  int rc = need_type(n, err);
  if (rc)
    return rc;
  sp_tensor *y = &n->out[0]->t;
  if (y->rank != 2)
    return rt_fail(err, n, "needs a 2-D input");
  int64_t k = rt_attr_int(n, "k", 0);
  memset(y->data, 0, (size_t)y->numel * esize(y));
  for (int64_t i = 0; i < y->dims[0]; ++i)
    if (i + k >= 0 && i + k < y->dims[1])
      put_double(y, i * y->dims[1] + i + k, 1);
  return 0;
}

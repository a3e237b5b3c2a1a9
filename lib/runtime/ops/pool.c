/* pool.c - MaxPool, AveragePool, LpPool (1-3 spatial dims, dilations,
 * ceil_mode, auto_pad), GlobalAveragePool, GlobalMaxPool. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "ops.h"

typedef enum { POOL_MAX, POOL_AVG, POOL_LP } pool_kind;

typedef struct pool_params {
  int NC;            /* batch * channels */
  int in[3], out[3]; /* (D,H,W) */
  int k[3], stride[3], dil[3], pad[3], pad_end[3];
  int count_include_pad;
  float p; /* LpPool exponent */
} pool_params;

void global_avgpool_backward(float *dx, const float *dy, int64_t NC, int64_t S) {
#pragma omp parallel for schedule(static) if (NC * S > 65536)
  for (int64_t nc = 0; nc < NC; ++nc) {
    const float g = dy[nc] / (float)S;
    for (int64_t i = 0; i < S; ++i)
      dx[nc * S + i] += g;
  }
}

RT_KERNEL(rt_global_avgpool_backward) {
  (void)rt, (void)err;
  if (!n->out[0]->grad || !n->in[0]->grad)
    return 0;
  const sp_tensor *x = &n->in[0]->t;
  global_avgpool_backward(n->in[0]->grad, n->out[0]->grad,
                          rt_dims_product(x, 0, 2), rt_dims_product(x, 2, x->rank));
  return 0;
}

/* y is (NC, OD,OH,OW), x is (NC, D,H,W); indices (optional) as ONNX MaxPool
 * (flat index into x of each image's (C,D,H,W), row-major). */
static void pool_forward(float *y, int64_t *indices, const float *x,
                         const pool_params *q, pool_kind kind, int C) {
  const int64_t isp = (int64_t)q->in[0] * q->in[1] * q->in[2];
  const int64_t osp = (int64_t)q->out[0] * q->out[1] * q->out[2];
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < q->NC; ++c) {
    const float *xc = x + c * isp;
    float *yc = y + c * osp;
    for (int od = 0; od < q->out[0]; ++od)
      for (int oh = 0; oh < q->out[1]; ++oh)
        for (int ow = 0; ow < q->out[2]; ++ow) {
          int s[3] = {od * q->stride[0] - q->pad[0], oh * q->stride[1] - q->pad[1],
                      ow * q->stride[2] - q->pad[2]};
          double acc = kind == POOL_MAX ? -INFINITY : 0;
          int64_t best = -1, valid = 0, window = 0;
          for (int kd = 0; kd < q->k[0]; ++kd) {
            int id = s[0] + kd * q->dil[0];
            if (id >= q->in[0] + q->pad_end[0])
              break;
            for (int kh = 0; kh < q->k[1]; ++kh) {
              int ih = s[1] + kh * q->dil[1];
              if (ih >= q->in[1] + q->pad_end[1])
                break;
              for (int kw = 0; kw < q->k[2]; ++kw) {
                int iw = s[2] + kw * q->dil[2];
                if (iw >= q->in[2] + q->pad_end[2])
                  break;
                ++window;
                if (id < 0 || ih < 0 || iw < 0 || id >= q->in[0] ||
                    ih >= q->in[1] || iw >= q->in[2])
                  continue;
                int64_t off = ((int64_t)id * q->in[1] + ih) * q->in[2] + iw;
                float v = xc[off];
                ++valid;
                if (kind == POOL_MAX) {
                  if (best < 0 || v > acc) {
                    acc = v;
                    best = off;
                  }
                } else if (kind == POOL_AVG) {
                  acc += v;
                } else {
                  acc += pow(fabs(v), q->p);
                }
              }
            }
          }
          int64_t o = ((int64_t)od * q->out[1] + oh) * q->out[2] + ow;
          if (kind == POOL_AVG)
            acc = (q->count_include_pad ? window : valid)
                      ? acc / (double)(q->count_include_pad ? window : valid)
                      : 0;
          else if (kind == POOL_LP)
            acc = pow(acc, 1.0 / q->p);
          yc[o] = (float)acc;
          if (indices)
            indices[c * osp + o] = best < 0 ? 0 : (c % C) * isp + best;
        }
  }
}

/* Max over a KxK window with stride S for outputs [lo, hi) of one row whose
 * taps are all inside the input row; rows[0..nr) are the valid input rows.
 * Constant K and S: the taps unroll and ow vectorises. */
#define MAX_ROW(NAME, K, S)                                                    \
  static void NAME(float *restrict y, const float *const *rows, int nr,       \
                   int pad, int lo, int hi) {                                  \
    for (int ow = lo; ow < hi; ++ow) {                                         \
      float m = -INFINITY;                                                     \
      for (int r = 0; r < nr; ++r)                                             \
        for (int k = 0; k < K; ++k) {                                          \
          float v = rows[r][ow * S - pad + k];                                 \
          m = v > m ? v : m;                                                   \
        }                                                                      \
      y[ow] = m;                                                               \
    }                                                                          \
  }
MAX_ROW(max_row_k3s1, 3, 1)

/* As MAX_ROW for 3x3 stride 2 (ResNet's stem pool), 256 outputs at a time:
 * the rows' column-wise max first (contiguous, vectorises), then the
 * stride-2 max of three (resnet50's 64x112x112: 0.43 -> 0.21 ms, one
 * thread). */
#define K3S2_CHUNK 256
static void max_row_k3s2(float *restrict y, const float *const *rows, int nr,
                         int pad, int lo, int hi) {
  float t[2 * K3S2_CHUNK + 1];
  for (int c0 = lo; c0 < hi; c0 += K3S2_CHUNK) {
    const int c1 = hi - c0 < K3S2_CHUNK ? hi : c0 + K3S2_CHUNK;
    const int a = 2 * c0 - pad, n = 2 * (c1 - c0) + 1; /* columns [a, a + n) */
    for (int i = 0; i < n; ++i)
      t[i] = -INFINITY;
    for (int r = 0; r < nr; ++r) {
      const float *restrict row = rows[r] + a;
      for (int i = 0; i < n; ++i)
        t[i] = row[i] > t[i] ? row[i] : t[i];
    }
    for (int ow = c0; ow < c1; ++ow) {
      const float *tw = t + 2 * (ow - c0);
      float m = tw[0] > -INFINITY ? tw[0] : -INFINITY;
      m = tw[1] > m ? tw[1] : m;
      y[ow] = tw[2] > m ? tw[2] : m;
    }
  }
}
MAX_ROW(max_row_k2s2, 2, 2)

/* As MAX_ROW for the average: the window sum times scale (1 / count). */
#define AVG_ROW(NAME, K, S)                                                    \
  static void NAME(float *restrict y, const float *const *rows, int nr,       \
                   int pad, int lo, int hi, float scale) {                     \
    for (int ow = lo; ow < hi; ++ow) {                                         \
      float sum = 0;                                                           \
      for (int r = 0; r < nr; ++r)                                             \
        for (int k = 0; k < K; ++k)                                            \
          sum += rows[r][ow * S - pad + k];                                    \
      y[ow] = sum * scale;                                                     \
    }                                                                          \
  }
AVG_ROW(avg_row_k3s2, 3, 2)
AVG_ROW(avg_row_k3s1, 3, 1)
AVG_ROW(avg_row_k2s2, 2, 2)

/* 2D max/average pool without dilation: float loops over the clipped window. */
static void pool2d_forward(float *y, const float *x, const pool_params *q,
                           pool_kind kind) {
  const int H = q->in[1], W = q->in[2], OH = q->out[1], OW = q->out[2];
  const int KH = q->k[1], KW = q->k[2], sh = q->stride[1], sw = q->stride[2];
  const int64_t isp = (int64_t)H * W, osp = (int64_t)OH * OW;
  /* interior columns (every tap inside the row) for the fast max rows */
  int ilo = 0, ihi = 0;
  if ((KW == 3 && (sw == 1 || sw == 2)) || (KW == 2 && sw == 2)) {
    ilo = (q->pad[2] + sw - 1) / sw;
    ihi = (W - KW + q->pad[2]) / sw + 1;
    ihi = ihi < OW ? ihi : OW;
    if (ihi < ilo)
      ihi = ilo;
  }
#pragma omp parallel for schedule(static) if (q->NC * osp * KH * KW > 32768)
  for (int64_t c = 0; c < q->NC; ++c) {
    const float *xc = x + c * isp;
    float *yc = y + c * osp;
    for (int oh = 0; oh < OH; ++oh) {
      int h0 = oh * sh - q->pad[1], h1 = h0 + KH;
      int hend = h1 < H + q->pad_end[1] ? h1 : H + q->pad_end[1];
      int hs = h0 < 0 ? 0 : h0, he = hend < H ? hend : H;
      for (int ow = 0; ow < OW; ++ow) {
        int w0 = ow * sw - q->pad[2], w1 = w0 + KW;
        int wend = w1 < W + q->pad_end[2] ? w1 : W + q->pad_end[2];
        int ws = w0 < 0 ? 0 : w0, we = wend < W ? wend : W;
        if (ow == ilo && ihi > ilo && he > hs && he - hs <= 8) {
          const float *rows[8];
          for (int ih = hs; ih < he; ++ih)
            rows[ih - hs] = xc + (int64_t)ih * W;
          float *yr = yc + (int64_t)oh * OW;
          const int nr = he - hs, pw = q->pad[2];
          if (kind == POOL_MAX) {
            if (KW == 3 && sw == 2)
              max_row_k3s2(yr, rows, nr, pw, ilo, ihi);
            else if (KW == 3 && sw == 1)
              max_row_k3s1(yr, rows, nr, pw, ilo, ihi);
            else
              max_row_k2s2(yr, rows, nr, pw, ilo, ihi);
          } else { /* interior columns: the window is KW wide */
            int count = (q->count_include_pad ? hend - h0 : nr) * KW;
            float scale = 1.0f / (float)count;
            if (KW == 3 && sw == 2)
              avg_row_k3s2(yr, rows, nr, pw, ilo, ihi, scale);
            else if (KW == 3 && sw == 1)
              avg_row_k3s1(yr, rows, nr, pw, ilo, ihi, scale);
            else
              avg_row_k2s2(yr, rows, nr, pw, ilo, ihi, scale);
          }
          ow = ihi - 1;
          continue;
        }
        float acc = kind == POOL_MAX ? -INFINITY : 0.0f;
        for (int ih = hs; ih < he; ++ih) {
          const float *row = xc + (int64_t)ih * W;
          if (kind == POOL_MAX)
            for (int iw = ws; iw < we; ++iw)
              acc = row[iw] > acc ? row[iw] : acc;
          else
            for (int iw = ws; iw < we; ++iw)
              acc += row[iw];
        }
        if (kind == POOL_AVG) {
          int count = q->count_include_pad ? (hend - h0) * (wend - w0)
                                           : (he - hs) * (we - ws);
          acc = count > 0 ? acc / (float)count : 0.0f;
        }
        yc[(int64_t)oh * OW + ow] = acc;
      }
    }
  }
}

static int pool_geometry(rt_node *n, pool_params *q, int *C, sp_error *err) {
  const sp_tensor *x = &n->in[0]->t, *y = &n->out[0]->t;
  int ns = x->rank - 2;
  if (ns < 1 || ns > 3)
    return rt_unsupported(err, n, "only 1-3 spatial dims have a kernel");
  memset(q, 0, sizeof *q);
  q->NC = (int)(x->dims[0] * x->dims[1]);
  *C = (int)x->dims[1];
  int64_t ks[3], st[3] = {1, 1, 1}, dl[3] = {1, 1, 1}, pads[6] = {0};
  if (rt_attr_ints(n, "kernel_shape", ks, 3) != ns)
    return rt_fail(err, n, "kernel_shape must have %d values", ns);
  rt_attr_ints(n, "strides", st, 3);
  rt_attr_ints(n, "dilations", dl, 3);
  rt_attr_ints(n, "pads", pads, 6);
  for (int d = 0; d < 3; ++d)
    q->in[d] = q->out[d] = q->k[d] = q->stride[d] = q->dil[d] = 1;
  char ap[32];
  rt_attr_str(n, "auto_pad", ap, sizeof ap, "NOTSET");
  for (int i = 0; i < ns; ++i) {
    int d = 3 - ns + i;
    q->in[d] = (int)x->dims[2 + i];
    q->out[d] = (int)y->dims[2 + i];
    q->k[d] = (int)ks[i];
    q->stride[d] = (int)st[i];
    q->dil[d] = (int)dl[i];
    q->pad[d] = (int)pads[i];
    q->pad_end[d] = (int)pads[i + ns];
    if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
      int64_t total = (int64_t)(q->out[d] - 1) * q->stride[d] +
                      (int64_t)(q->k[d] - 1) * q->dil[d] + 1 - q->in[d];
      if (total < 0)
        total = 0;
      q->pad[d] = (int)(!strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2);
      q->pad_end[d] = (int)total - q->pad[d];
    } else if (!strcmp(ap, "VALID")) {
      q->pad[d] = q->pad_end[d] = 0;
    }
  }
  q->count_include_pad = (int)rt_attr_int(n, "count_include_pad", 0);
  q->p = (float)rt_attr_int(n, "p", 2);
  return 0;
}

static int run_pool(rt_node *n, pool_kind kind, sp_error *err) {
  if (!rt_in(n, 0))
    return rt_fail(err, n, "needs input X");
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (rc)
    return rc;
  pool_params q;
  int C = 1;
  if ((rc = pool_geometry(n, &q, &C, err)))
    return rc;
  if (kind == POOL_MAX && rt_attr_int(n, "storage_order", 0) != 0 && rt_out(n, 1))
    return rt_unsupported(err, n, "storage_order=1 has no kernel");
  rt_value *ind = rt_out(n, 1);
  if (!ind && kind != POOL_LP && q.in[0] == 1 && q.k[0] == 1 && q.dil[1] == 1 &&
      q.dil[2] == 1 && q.out[0] == 1) {
    pool2d_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), &q, kind);
    return 0;
  }
  pool_forward(rt_f32(n->out[0]), ind ? ind->t.data : NULL, rt_f32(n->in[0]),
               &q, kind, C);
  return 0;
}

/* AveragePool's backward: each output's gradient spread over its window's
 * taps, divided by the count the forward divided by. dx is (NC, in). */
static void avgpool_backward(float *dx, const float *dy, const pool_params *q) {
  const int64_t isp = (int64_t)q->in[0] * q->in[1] * q->in[2];
  const int64_t osp = (int64_t)q->out[0] * q->out[1] * q->out[2];
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < q->NC; ++c)
    for (int64_t o = 0; o < osp; ++o) {
      const int od = (int)(o / ((int64_t)q->out[1] * q->out[2]));
      const int oh = (int)(o / q->out[2] % q->out[1]), ow = (int)(o % q->out[2]);
      const int s[3] = {od * q->stride[0] - q->pad[0], oh * q->stride[1] - q->pad[1],
                        ow * q->stride[2] - q->pad[2]};
      int64_t valid = 0, window = 0;
      for (int pass = 0; pass < 2; ++pass) { /* count, then spread */
        const float g = pass ? dy[c * osp + o] /
                                   (float)(q->count_include_pad ? window : valid)
                             : 0;
        for (int kd = 0; kd < q->k[0]; ++kd) {
          const int id = s[0] + kd * q->dil[0];
          for (int kh = 0; kh < q->k[1] && id < q->in[0] + q->pad_end[0]; ++kh) {
            const int ih = s[1] + kh * q->dil[1];
            for (int kw = 0; kw < q->k[2] && ih < q->in[1] + q->pad_end[1]; ++kw) {
              const int iw = s[2] + kw * q->dil[2];
              if (iw >= q->in[2] + q->pad_end[2])
                break;
              const int inside = id >= 0 && ih >= 0 && iw >= 0 && id < q->in[0] &&
                                 ih < q->in[1] && iw < q->in[2];
              if (!pass) {
                window += 1, valid += inside;
              } else if (inside) {
                dx[c * isp + ((int64_t)id * q->in[1] + ih) * q->in[2] + iw] += g;
              }
            }
          }
        }
        if (!(q->count_include_pad ? window : valid))
          break;
      }
    }
}

/* MaxPool's backward: each output's gradient to its window's first
 * maximum (the one pool_forward picks), found again from x. Threads take
 * planes: overlapping windows stay inside one plane. dx, x are (NC, in). */
static void maxpool_backward(float *dx, const float *dy, const float *x,
                             const pool_params *q) {
  const int64_t isp = (int64_t)q->in[0] * q->in[1] * q->in[2];
  const int64_t osp = (int64_t)q->out[0] * q->out[1] * q->out[2];
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < q->NC; ++c) {
    const float *xc = x + c * isp, *dyc = dy + c * osp;
    float *dxc = dx + c * isp;
    int64_t o = 0;
    for (int od = 0; od < q->out[0]; ++od)
      for (int oh = 0; oh < q->out[1]; ++oh)
        for (int ow = 0; ow < q->out[2]; ++ow, ++o) {
          const int d0 = od * q->stride[0] - q->pad[0], h0 = oh * q->stride[1] - q->pad[1];
          const int w0 = ow * q->stride[2] - q->pad[2];
          float best_v = -INFINITY; /* selects, not branches: random data */
          int64_t best = -1;
          for (int kd = 0; kd < q->k[0]; ++kd) {
            const int id = d0 + kd * q->dil[0];
            for (int kh = 0; kh < q->k[1] && id >= 0 && id < q->in[0]; ++kh) {
              const int ih = h0 + kh * q->dil[1];
              if (ih < 0 || ih >= q->in[1])
                continue;
              const int64_t row = ((int64_t)id * q->in[1] + ih) * q->in[2];
              for (int kw = 0; kw < q->k[2]; ++kw) {
                const int iw = w0 + kw * q->dil[2];
                if (iw < 0 || iw >= q->in[2])
                  continue;
                const float v = xc[row + iw];
                const int better = (v > best_v) | (best < 0);
                best_v = better ? v : best_v;
                best = better ? row + iw : best;
              }
            }
          }
          if (best >= 0)
            dxc[best] += dyc[o];
        }
  }
}

/* maxpool_backward for 2D windows without dilation (pool2d_forward's
 * case), given the forward's output y: each window clipped to the map once,
 * and its first tap equal to the window's maximum y found without a branch
 * per tap (resnet18's 3x3 stride-2 MaxPool backward was 13x its forward,
 * mostly mispredicted compares on random data). */
static void maxpool2d_backward(float *dx, const float *dy, const float *x, const float *y,
                               const pool_params *q) {
  const int H = q->in[1], W = q->in[2], OH = q->out[1], OW = q->out[2];
  const int KH = q->k[1], KW = q->k[2], sh = q->stride[1], sw = q->stride[2];
  const int64_t isp = (int64_t)H * W, osp = (int64_t)OH * OW;
#pragma omp parallel for schedule(static) if (q->NC * osp * KH * KW > 32768)
  for (int64_t c = 0; c < q->NC; ++c) {
    const float *xc = x + c * isp, *dyc = dy + c * osp, *yc = y + c * osp;
    float *dxc = dx + c * isp;
    for (int oh = 0; oh < OH; ++oh) {
      const int h0 = oh * sh - q->pad[1];
      const int hs = h0 < 0 ? 0 : h0, he = h0 + KH < H ? h0 + KH : H;
      for (int ow = 0; ow < OW; ++ow) {
        const int w0 = ow * sw - q->pad[2];
        const int ws = w0 < 0 ? 0 : w0, we = w0 + KW < W ? w0 + KW : W;
        const float m = yc[(int64_t)oh * OW + ow];
        int64_t best = -1; /* the taps backwards: the last match is the first */
        for (int ih = he - 1; ih >= hs; --ih) {
          const int64_t row = (int64_t)ih * W;
          for (int iw = we - 1; iw >= ws; --iw) {
            const int64_t hit = -(int64_t)(xc[row + iw] == m); /* all ones or 0 */
            best += (row + iw - best) & hit;
          }
        }
        if (best >= 0)
          dxc[best] += dyc[(int64_t)oh * OW + ow];
      }
    }
  }
}

/* MaxPool and AveragePool: the gradient goes to each window's (first)
 * maximum or is spread over the window. */
static int pool_backward(sp_runtime *rt, rt_node *n, pool_kind kind, sp_error *err) {
  (void)rt;
  if (!n->out[0]->grad || !n->in[0]->grad)
    return 0;
  pool_params q;
  int C = 1, rc = pool_geometry(n, &q, &C, err);
  if (rc)
    return rc;
  float *dx = n->in[0]->grad;
  const float *dy = n->out[0]->grad;
  if (kind == POOL_AVG) {
    avgpool_backward(dx, dy, &q);
    return 0;
  }
  if (q.in[0] == 1 && q.k[0] == 1 && q.dil[1] == 1 && q.dil[2] == 1 && q.out[0] == 1)
    maxpool2d_backward(dx, dy, rt_f32(n->in[0]), rt_f32(n->out[0]), &q);
  else
    maxpool_backward(dx, dy, rt_f32(n->in[0]), &q);
  return 0;
}

RT_KERNEL(rt_maxpool_backward) { return pool_backward(rt, n, POOL_MAX, err); }
RT_KERNEL(rt_avgpool_backward) { return pool_backward(rt, n, POOL_AVG, err); }

RT_KERNEL(rt_maxpool) {
  (void)rt;
  return run_pool(n, POOL_MAX, err);
}
RT_KERNEL(rt_avgpool) {
  (void)rt;
  return run_pool(n, POOL_AVG, err);
}
RT_KERNEL(rt_lppool) {
  (void)rt;
  return run_pool(n, POOL_LP, err);
}

/* y is (N,C,1,...), x is (N,C,S...): mean or max over S. */
static int global_pool(rt_node *n, int is_max, sp_error *err) {
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  int64_t NC = x->dims[0] * x->dims[1], S = rt_dims_product(x, 2, x->rank);
  const float *xd = x->data;
  float *y = rt_f32(n->out[0]);
#pragma omp parallel for schedule(static) if (NC * S > 32768)
  for (int64_t c = 0; c < NC; ++c) {
    const float *xc = xd + c * S;
    if (is_max) {
      float m = S ? xc[0] : 0;
      for (int64_t i = 1; i < S; ++i)
        m = xc[i] > m ? xc[i] : m;
      y[c] = m;
    } else {
      y[c] = S ? sum8_forward(xc, S) / (float)S : 0;
    }
  }
  return 0;
}

RT_KERNEL(rt_global_avgpool) {
  (void)rt;
  return global_pool(n, 0, err);
}
RT_KERNEL(rt_global_maxpool) {
  (void)rt;
  return global_pool(n, 1, err);
}

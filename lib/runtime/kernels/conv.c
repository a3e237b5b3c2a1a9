/* conv.c - Conv (1-3 spatial dims): im2col + SGEMM per image and group
 * (depthwise convs go to depthwise.c), bias/BatchNorm/residual/activation
 * fused into the epilogue; ConvTranspose as SGEMM + col2im. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static int64_t spatial(const int *s) { return (int64_t)s[0] * s[1] * s[2]; }

static int is_pointwise(const conv_params *p) {
  for (int d = 0; d < 3; ++d)
    if (p->k[d] != 1 || p->stride[d] != 1 || p->pad[d] != 0)
      return 0;
  return 1;
}

size_t conv_scratch_floats(const conv_params *p) {
  if (depthwise_applies(p))
    return depthwise_scratch_floats(p);
  if (is_pointwise(p))
    return 0;
  /* one im2col buffer per thread when threads take groups or images */
  return (size_t)(p->C / p->group) * (size_t)spatial(p->k) *
         (size_t)spatial(p->out) * (size_t)(p->group > 1 || p->N > 1 ? rt_threads() : 1);
}

/* Output positions o in [lo, hi) read input index o*s - pad + k*dil inside
 * [0, n). */
static void valid_range(int n, int out, int s, int pad, int koff, int *lo,
                        int *hi) {
  int a = pad - koff; /* need o*s >= a */
  int l = a <= 0 ? 0 : (a + s - 1) / s;
  int b = n - 1 + pad - koff; /* need o*s <= b */
  int h = b < 0 ? 0 : b / s + 1;
  *lo = l < out ? l : out;
  *hi = h < out ? h : out;
  if (*hi < *lo)
    *hi = *lo;
}

/* im2col_forward with rows of ld floats: several images side by side. */
static void im2col_rows(float *col, int64_t ld, const float *inp, int C,
                        const conv_params *p) {
  const int KD = p->k[0], KH = p->k[1], KW = p->k[2];
  const int OD = p->out[0], OH = p->out[1], OW = p->out[2];
  const int D = p->in[0], H = p->in[1], W = p->in[2];
  const int64_t rows = (int64_t)C * KD * KH * KW;
  const int64_t ospatial = (int64_t)OD * OH * OW;
  (void)ospatial; /* read only by the OpenMP clause */
#pragma omp parallel for schedule(static) if (rows * ospatial > 32768)
  for (int64_t r = 0; r < rows; ++r) {
    int kw = (int)(r % KW), kh = (int)(r / KW % KH), kd = (int)(r / KW / KH % KD);
    int c = (int)(r / ((int64_t)KW * KH * KD));
    float *dst = col + r * ld;
    int lo, hi;
    valid_range(W, OW, p->stride[2], p->pad[2], kw * p->dil[2], &lo, &hi);
    for (int od = 0; od < OD; ++od) {
      int id = od * p->stride[0] - p->pad[0] + kd * p->dil[0];
      for (int oh = 0; oh < OH; ++oh) {
        float *drow = dst + ((int64_t)od * OH + oh) * OW;
        int ih = oh * p->stride[1] - p->pad[1] + kh * p->dil[1];
        if (id < 0 || id >= D || ih < 0 || ih >= H) {
          memset(drow, 0, (size_t)OW * sizeof *drow);
          continue;
        }
        const float *srow = inp + (((int64_t)c * D + id) * H + ih) * W;
        int off = kw * p->dil[2] - p->pad[2];
        for (int ow = 0; ow < lo; ++ow)
          drow[ow] = 0;
        if (p->stride[2] == 1)
          memcpy(drow + lo, srow + lo + off, (size_t)(hi - lo) * sizeof *drow);
        else if (p->stride[2] == 2) /* constant stride: vectorised */
          for (int ow = lo; ow < hi; ++ow)
            drow[ow] = srow[2 * ow + off];
        else
          for (int ow = lo; ow < hi; ++ow)
            drow[ow] = srow[ow * p->stride[2] + off];
        for (int ow = hi; ow < OW; ++ow)
          drow[ow] = 0;
      }
    }
  }
}

void im2col_forward(float *col, const float *inp, int C,
                    const conv_params *p) {
  im2col_rows(col, spatial(p->out), inp, C, p);
}

/* im2col_backward from rows of ld floats. */
static void col2im_rows(float *dinp, const float *dcol, int64_t ld, int C,
                        const conv_params *p) {
  const int KD = p->k[0], KH = p->k[1], KW = p->k[2];
  const int OD = p->out[0], OH = p->out[1], OW = p->out[2];
  const int D = p->in[0], H = p->in[1], W = p->in[2];
  const int64_t ospatial = (int64_t)OD * OH * OW;
  (void)ospatial; /* read only by the OpenMP clause */
  /* threads take input channels: each owns its rows of dinp */
#pragma omp parallel for schedule(static) if ((int64_t)C * KD * KH * KW * ospatial > 32768)
  for (int c = 0; c < C; ++c)
    for (int kd = 0; kd < KD; ++kd)
      for (int kh = 0; kh < KH; ++kh)
        for (int kw = 0; kw < KW; ++kw) {
          const float *src = dcol + ((((int64_t)c * KD + kd) * KH + kh) * KW + kw) * ld;
          int lo, hi;
          valid_range(W, OW, p->stride[2], p->pad[2], kw * p->dil[2], &lo, &hi);
          const int off = kw * p->dil[2] - p->pad[2];
          for (int od = 0; od < OD; ++od) {
            int id = od * p->stride[0] - p->pad[0] + kd * p->dil[0];
            if (id < 0 || id >= D)
              continue;
            for (int oh = 0; oh < OH; ++oh) {
              int ih = oh * p->stride[1] - p->pad[1] + kh * p->dil[1];
              if (ih < 0 || ih >= H)
                continue;
              const float *srow = src + ((int64_t)od * OH + oh) * OW;
              float *drow = dinp + (((int64_t)c * D + id) * H + ih) * W;
              for (int ow = lo; ow < hi; ++ow)
                drow[ow * p->stride[2] + off] += srow[ow];
            }
          }
        }
}

void im2col_backward(float *dinp, const float *dcol, int C,
                     const conv_params *p) {
  col2im_rows(dinp, dcol, spatial(p->out), C, p);
}

/* Training convs (group 1) run chunks of images as one product, columns
 * side by side: a per-image product of resnet18's last stage at 64x64 has
 * 4 columns, far too few for a GEMM. Images per chunk: enough for 512
 * columns. */
static int images_per_chunk(const conv_params *p) {
  const int64_t osp = spatial(p->out), nb = (512 + osp - 1) / osp;
  return nb > p->N ? p->N : (int)nb;
}

/* Per worker of the chunked backward: col and dcol (K, cols), dy gathered
 * (M, cols), and its own dweight and dbias sums. */
static size_t chunk_backward_floats(const conv_params *p) {
  const size_t K = (size_t)p->C * (size_t)spatial(p->k);
  const size_t cols = (size_t)images_per_chunk(p) * (size_t)spatial(p->out);
  return 2 * K * cols + (size_t)p->M * cols + (size_t)p->M * K + (size_t)p->M;
}

/* Threads take whole chunks when there are enough (each with its own
 * dweight), else they split each chunk's products. */
static int chunk_workers(const conv_params *p) {
  const int nb = images_per_chunk(p), chunks = (p->N + nb - 1) / nb;
  return chunks >= rt_threads() ? rt_threads() : 1;
}

/* dinp, dweight (M,K), dbias of the images [n0, n1), in chunks; threaded
 * products when parallel (one worker), serial ones otherwise. */
static void conv_backward_chunks(float *dinp, float *dweight, float *dbias,
                                 const float *dout, const float *inp,
                                 const float *weight, const conv_params *p,
                                 float *mine, int n0, int n1, int parallel) {
  const int64_t isp = spatial(p->in), osp = spatial(p->out);
  const int K = p->C * (int)spatial(p->k), M = p->M, nb = images_per_chunk(p);
  const int64_t max_cols = (int64_t)nb * osp;
  float *col = mine, *dcol = col + (size_t)K * max_cols, *dy = dcol + (size_t)K * max_cols;
  for (int c0 = n0; c0 < n1; c0 += nb) {
    const int imgs = n1 - c0 < nb ? n1 - c0 : nb;
    const int cols = (int)(imgs * osp);
    const float *dyc = dout + (int64_t)c0 * M * osp; /* (M, osp) when one image */
    if (imgs > 1) { /* (imgs, M, osp) -> (M, imgs * osp) */
      for (int i = 0; i < imgs; ++i)
        for (int m = 0; m < M; ++m)
          memcpy(dy + (int64_t)m * cols + i * osp, dyc + ((int64_t)i * M + m) * osp,
                 (size_t)osp * sizeof *dy);
      dyc = dy;
    }
    if (dbias)
      for (int m = 0; m < M; ++m)
        dbias[m] += sum8_forward(dyc + (int64_t)m * cols, cols);
    if (dweight) { /* dw (M,K) += dy (M,cols) @ col^T (cols,K) */
      for (int i = 0; i < imgs; ++i)
        im2col_rows(col + i * osp, cols, inp + (int64_t)(c0 + i) * p->C * isp, p->C, p);
      if (parallel)
        sgemm_forward(0, 1, M, K, cols, 1.0f, dyc, cols, col, cols, 1.0f, dweight, K);
      else
        sgemm_serial(0, 1, M, K, cols, 1.0f, dyc, cols, col, cols, 1.0f, dweight, K);
    }
    if (dinp) { /* dcol (K,cols) = w^T (K,M) @ dy (M,cols), scattered back */
      if (parallel)
        sgemm_forward(1, 0, K, cols, M, 1.0f, weight, K, dyc, cols, 0.0f, dcol, cols);
      else
        sgemm_serial(1, 0, K, cols, M, 1.0f, weight, K, dyc, cols, 0.0f, dcol, cols);
      for (int i = 0; i < imgs; ++i)
        col2im_rows(dinp + (int64_t)(c0 + i) * p->C * isp, dcol + i * osp, cols, p->C, p);
    }
  }
}

/* Stride-1 3x3 convs that keep the map size (pad 1) on maps of 8x8 and
 * more: dinp is the convolution of dout with the weights transposed and
 * flipped, the same geometry, so Winograd computes it as in the forward
 * (2.25x fewer products than dcol = w^T dy and its scatter). */
static int dx_by_winograd(const conv_params *p) {
  return winograd_applies(p) && p->pad[1] == 1 && p->pad[2] == 1 &&
         p->out[1] == p->in[1] && p->out[2] == p->in[2] && p->out[1] >= 8 &&
         p->out[2] >= 8;
}

/* The conv dinp = conv(dout, w'): C and M swapped, one image. */
static conv_params transposed_params(const conv_params *p) {
  conv_params q = *p;
  q.N = 1, q.C = p->M, q.M = p->C;
  memcpy(q.in, p->out, sizeof q.in);
  memcpy(q.out, p->in, sizeof q.out);
  return q;
}

/* w' (C,M,3,3), u (C,M), its transform, Winograd's scratch, one image's dinp. */
static size_t dx_winograd_floats(const conv_params *p) {
  const conv_params q = transposed_params(p);
  const size_t MC = (size_t)p->M * (size_t)p->C;
  return 10 * MC + winograd_weights_floats(p->C, p->M) + winograd_scratch_floats(&q) +
         (size_t)p->C * (size_t)spatial(p->in);
}

static void conv_backward_dx_winograd(float *dinp, const float *dout, const float *weight,
                                      const conv_params *p, float *scratch) {
  const conv_params q = transposed_params(p);
  const int C = p->C, M = p->M;
  const int64_t isp = spatial(p->in), osp = spatial(p->out);
  float *wt = scratch, *u = wt + (size_t)M * C * 9, *up = u + (size_t)M * C;
  float *ws = up + winograd_weights_floats(C, M), *dxi = ws + winograd_scratch_floats(&q);
  for (int c = 0; c < C; ++c) /* w'[c][m] is w[m][c] turned by 180 degrees */
    for (int m = 0; m < M; ++m)
      for (int k = 0; k < 9; ++k)
        wt[((size_t)c * M + m) * 9 + k] = weight[((size_t)m * C + c) * 9 + 8 - k];
  winograd_weights(up, u, wt, C, M);
  for (int n = 0; n < p->N; ++n) {
    winograd_forward(dxi, dout + (int64_t)n * M * osp, up, &q, NULL, ws);
    float *dx = dinp + (int64_t)n * C * isp;
    for (int64_t i = 0; i < (int64_t)C * isp; ++i)
      dx[i] += dxi[i];
  }
}

/* Group 1: chunks of images; threads take chunks (own dweight and dbias,
 * summed in thread order after) or split the products of each. */
/* dweight (nw) and dbias (M) += each thread's partial sums, thread t's at
 * partials + t * per (nw weights, then M biases), in thread order: the
 * result does not depend on which thread finished first. */
static void add_thread_sums(float *dweight, float *dbias, const float *partials, size_t per,
                            int T, size_t nw, int M) {
  for (int t = 0; t < T; ++t) {
    const float *mine = partials + (size_t)t * per;
    if (dweight)
      for (size_t i = 0; i < nw; ++i)
        dweight[i] += mine[i];
    if (dbias)
      for (int m = 0; m < M; ++m)
        dbias[m] += mine[nw + (size_t)m];
  }
}

static void conv_backward_dense(float *dinp, float *dweight, float *dbias,
                                const float *dout, const float *inp,
                                const float *weight, const conv_params *p,
                                float *scratch) {
  const int T = chunk_workers(p);
  if (T <= 1) {
    conv_backward_chunks(dinp, dweight, dbias, dout, inp, weight, p, scratch, 0, p->N, 1);
    return;
  }
  const size_t per = chunk_backward_floats(p);
  const size_t K = (size_t)p->C * (size_t)spatial(p->k), nw = (size_t)p->M * K;
  const size_t own = per - nw - (size_t)p->M; /* where a worker's sums start */
  const int nb = images_per_chunk(p), chunks = (p->N + nb - 1) / nb;
#pragma omp parallel num_threads(T)
  {
    const int t = rt_thread_num();
    float *mine = scratch + (size_t)t * per;
    float *dw = dweight ? mine + own : NULL, *db = dbias ? mine + own + nw : NULL;
    if (dw)
      memset(dw, 0, nw * sizeof *dw);
    if (db)
      memset(db, 0, (size_t)p->M * sizeof *db);
    const int c0 = (int)((int64_t)chunks * t / T), c1 = (int)((int64_t)chunks * (t + 1) / T);
    const int n0 = c0 * nb, n1 = c1 * nb < p->N ? c1 * nb : p->N;
    conv_backward_chunks(dinp, dw, db, dout, inp, weight, p, mine, n0, n1, 0);
  }
  add_thread_sums(dweight, dbias, scratch + own, per, T, nw, p->M);
}

/* Per thread: one image's im2col and its gradient (one group), and the
 * thread's own dweight and dbias sums. */
static size_t conv_backward_thread_floats(const conv_params *p) {
  const size_t K = (size_t)(p->C / p->group) * (size_t)spatial(p->k);
  return 2 * K * (size_t)spatial(p->out) + (size_t)p->M * K + (size_t)p->M;
}

size_t conv_backward_scratch_floats(const conv_params *p) {
  if (p->group == 1) {
    const size_t chunks = chunk_backward_floats(p) * (size_t)chunk_workers(p);
    const size_t wino = dx_by_winograd(p) ? dx_winograd_floats(p) : 0;
    return chunks > wino ? chunks : wino;
  }
  return conv_backward_thread_floats(p) * (size_t)rt_threads();
}

/* Images [n0, n1) on the calling thread; dweight (M,K) and dbias (M) are
 * this thread's sums, or NULL. */
static void conv_backward_images(float *dinp, float *dweight, float *dbias,
                                 const float *dout, const float *inp, const float *weight,
                                 const conv_params *p, float *col, int n0, int n1) {
  const int G = p->group, Cg = p->C / G, Mg = p->M / G;
  const int64_t isp = spatial(p->in), osp = spatial(p->out);
  const int K = Cg * (int)spatial(p->k);
  float *dcol = col + (size_t)K * (size_t)osp;
  for (int n = n0; n < n1; ++n)
    for (int g = 0; g < G; ++g) {
      const float *x = inp + ((int64_t)n * p->C + (int64_t)g * Cg) * isp;
      const float *dy = dout + ((int64_t)n * p->M + (int64_t)g * Mg) * osp;
      const float *w = weight + (int64_t)g * Mg * K;
      if (dbias)
        for (int m = 0; m < Mg; ++m)
          dbias[g * Mg + m] += sum8_forward(dy + (int64_t)m * osp, osp);
      if (dweight) { /* dw (Mg,K) += dy (Mg,osp) @ col^T (osp,K) */
        im2col_forward(col, x, Cg, p);
        sgemm_serial(0, 1, Mg, K, (int)osp, 1.0f, dy, (int)osp, col, (int)osp, 1.0f,
                     dweight + (int64_t)g * Mg * K, K);
      }
      if (dinp) { /* dcol (K,osp) = w^T (K,Mg) @ dy (Mg,osp), scattered back */
        sgemm_serial(1, 0, K, (int)osp, Mg, 1.0f, w, K, dy, (int)osp, 0.0f, dcol,
                     (int)osp);
        im2col_backward(dinp + ((int64_t)n * p->C + (int64_t)g * Cg) * isp, dcol, Cg, p);
      }
    }
}

/* Threads take whole images (a training batch has many; each image's
 * products are small), summing dweight and dbias in their own buffers. */
void conv_backward(float *dinp, float *dweight, float *dbias,
                   const float *dout, const float *inp, const float *weight,
                   const conv_params *p, float *scratch) {
  if (p->group == 1) {
    if (dinp && dx_by_winograd(p)) { /* first: it uses the whole scratch */
      conv_backward_dx_winograd(dinp, dout, weight, p, scratch);
      dinp = NULL;
    }
    conv_backward_dense(dinp, dweight, dbias, dout, inp, weight, p, scratch);
    return;
  }
  const size_t per = conv_backward_thread_floats(p);
  const size_t K = (size_t)(p->C / p->group) * (size_t)spatial(p->k);
  const size_t cols = 2 * K * (size_t)spatial(p->out), nw = (size_t)p->M * K;
  int T = rt_threads() < p->N ? rt_threads() : p->N;
  T = T < 1 ? 1 : T;
#pragma omp parallel num_threads(T) if (T > 1)
  {
    const int t = rt_thread_num(), nt = T;
    float *mine = scratch + (size_t)t * per;
    float *dw = dweight ? mine + cols : NULL, *db = dbias ? mine + cols + nw : NULL;
    if (dw)
      memset(dw, 0, nw * sizeof *dw);
    if (db)
      memset(db, 0, (size_t)p->M * sizeof *db);
    conv_backward_images(dinp, dw, db, dout, inp, weight, p, mine,
                         (int)((int64_t)p->N * t / nt), (int)((int64_t)p->N * (t + 1) / nt));
  }
  add_thread_sums(dweight, dbias, scratch + cols, per, T, nw, p->M);
}

/* y (n) += bias (+ res), then the activation: one pass. */
static void epilogue_channel(float *restrict y, const float *restrict res,
                             int64_t n, float bias, const epilogue *ep) {
  const float a = ep->a, b = ep->b;
  switch (ep->act) {
  case RT_ACT_RELU:
    if (res)
      for (int64_t i = 0; i < n; ++i) {
        float v = y[i] + bias + res[i];
        y[i] = v > 0 ? v : 0;
      }
    else
      for (int64_t i = 0; i < n; ++i) {
        float v = y[i] + bias;
        y[i] = v > 0 ? v : 0;
      }
    break;
  case RT_ACT_CLIP:
    for (int64_t i = 0; i < n; ++i) {
      float v = y[i] + bias + (res ? res[i] : 0.0f);
      y[i] = v < a ? a : v > b ? b : v;
    }
    break;
  default:
    if (res)
      for (int64_t i = 0; i < n; ++i)
        y[i] += bias + res[i];
    else if (bias != 0)
      for (int64_t i = 0; i < n; ++i)
        y[i] += bias;
    break;
  }
}

void epilogue_forward(float *out, int M, int64_t sp, const epilogue *ep) {
  if (!ep || (!ep->bias && !ep->residual && ep->act == RT_ACT_NONE))
    return;
#pragma omp parallel for schedule(static) if ((int64_t)M * sp > 32768)
  for (int m = 0; m < M; ++m)
    epilogue_channel(out + (int64_t)m * sp,
                     ep->residual ? ep->residual + (int64_t)m * sp : NULL, sp,
                     ep->bias ? ep->bias[m] : 0, ep);
}

/* Each image group by group: im2col (none for 1x1) into the calling
 * thread's buffer, then the group's product with its slice of the epilogue.
 * Threads take whole (image, group) products when there are several groups
 * (RegNet/ResNeXt groups are 8-64 channels, too small to split) or at least
 * as many images as threads (a training batch); else sgemm_epilogue_forward
 * threads the one product. w: with packed, G blocks of pointwise_pack(group
 * weights, M/G, K) for packed_gemm_serial; else the weight rows. */
static void conv_groups(float *out, const float *inp, const float *w,
                        int packed, const conv_params *p, const epilogue *ep,
                        float *scratch) {
  const int G = p->group, Cg = p->C / G, Mg = p->M / G;
  const int64_t isp = spatial(p->in), osp = spatial(p->out);
  const int K = Cg * (int)spatial(p->k), pointwise = is_pointwise(p);
  const size_t w_floats = packed ? pointwise_packed_floats(Mg, K) : (size_t)Mg * K;
  const size_t col_floats = (size_t)K * (size_t)osp;
  const int T = rt_threads(), split = T > 1 && (G > 1 || p->N >= T);
  const int64_t tasks = (int64_t)p->N * G;
#pragma omp parallel for schedule(static) if (split)
  for (int64_t t = 0; t < tasks; ++t) {
    const int n = (int)(t / G), g = (int)(t % G);
    const float *col = inp + ((int64_t)n * p->C + (int64_t)g * Cg) * isp;
    if (!pointwise) {
      float *buf = scratch + (size_t)rt_thread_num() * col_floats;
      im2col_forward(buf, col, Cg, p);
      col = buf;
    }
    float *y = out + ((int64_t)n * p->M + (int64_t)g * Mg) * osp;
    epilogue e = {NULL, NULL, RT_ACT_NONE, 0, 0};
    if (ep) {
      e = *ep;
      if (e.bias)
        e.bias += (int64_t)g * Mg;
      if (e.residual)
        e.residual += ((int64_t)n * p->M + (int64_t)g * Mg) * osp;
    }
    const float *wg = w + (size_t)g * w_floats;
    if (packed) {
      packed_gemm_serial(y, col, wg, Mg, K, osp, &e);
    } else if (split) {
      sgemm_serial(0, 0, Mg, (int)osp, K, 1.0f, wg, K, col, (int)osp, 0.0f, y, (int)osp);
      epilogue_forward(y, Mg, osp, &e);
    } else {
      sgemm_epilogue_forward(y, wg, col, Mg, K, (int)osp, &e);
    }
  }
}

void conv_forward(float *out, const float *inp, const float *weight,
                  const conv_params *p, const epilogue *ep, float *scratch) {
  if (depthwise_applies(p))
    depthwise_forward(out, inp, weight, p, ep, scratch);
  else
    conv_groups(out, inp, weight, 0, p, ep, scratch);
}

void conv_packed_forward(float *out, const float *inp, const float *wp,
                         const conv_params *p, const epilogue *ep,
                         float *scratch) {
  const int64_t isp = spatial(p->in), osp = spatial(p->out);
  const int K = p->C * (int)spatial(p->k);
  if (p->group > 1) {
    conv_groups(out, inp, wp, 1, p, ep, scratch);
    return;
  }
  if (is_pointwise(p)) {
    pointwise_forward(out, inp, wp, p, ep);
    return;
  }
  for (int n = 0; n < p->N; ++n) {
    im2col_forward(scratch, inp + (int64_t)n * p->C * isp, p->C, p);
    epilogue e = {NULL, NULL, RT_ACT_NONE, 0, 0};
    if (ep) {
      e = *ep;
      if (e.residual)
        e.residual += (int64_t)n * p->M * osp;
    }
    packed_gemm_forward(out + (int64_t)n * p->M * osp, scratch, wp, p->M, K,
                        osp, &e);
  }
}

/* Per worker of the chunked forward: col (K, cols) and the product (M, cols). */
static size_t chunk_forward_floats(const conv_params *p) {
  const size_t cols = (size_t)images_per_chunk(p) * (size_t)spatial(p->out);
  return ((size_t)p->C * (size_t)spatial(p->k) + (size_t)p->M) * cols;
}

size_t conv_chunked_scratch_floats(const conv_params *p) {
  return chunk_forward_floats(p) * (size_t)chunk_workers(p);
}

void conv_chunked_forward(float *out, const float *inp, const float *weight,
                          const conv_params *p, const epilogue *ep, float *scratch) {
  const int64_t isp = spatial(p->in), osp = spatial(p->out);
  const int K = p->C * (int)spatial(p->k), M = p->M, nb = images_per_chunk(p);
  const int chunks = (p->N + nb - 1) / nb, T = chunk_workers(p);
  const size_t per = chunk_forward_floats(p);
#pragma omp parallel for schedule(static) num_threads(T) if (T > 1)
  for (int c = 0; c < chunks; ++c) {
    float *col = scratch + (size_t)rt_thread_num() * per;
    float *y = col + (size_t)K * (size_t)nb * (size_t)osp;
    const int c0 = c * nb, imgs = p->N - c0 < nb ? p->N - c0 : nb;
    const int cols = (int)(imgs * osp);
    for (int i = 0; i < imgs; ++i)
      im2col_rows(col + i * osp, cols, inp + (int64_t)(c0 + i) * p->C * isp, p->C, p);
    float *dst = imgs == 1 ? out + (int64_t)c0 * M * osp : y;
    if (T > 1)
      sgemm_serial(0, 0, M, cols, K, 1.0f, weight, K, col, cols, 0.0f, dst, cols);
    else
      sgemm_forward(0, 0, M, cols, K, 1.0f, weight, K, col, cols, 0.0f, dst, cols);
    for (int i = 0; i < imgs; ++i) {
      float *yi = out + (int64_t)(c0 + i) * M * osp;
      if (imgs > 1) /* (M, imgs * osp) -> (imgs, M, osp) */
        for (int m = 0; m < M; ++m)
          memcpy(yi + (int64_t)m * osp, y + (int64_t)m * cols + i * osp,
                 (size_t)osp * sizeof *yi);
      epilogue e = {NULL, NULL, RT_ACT_NONE, 0, 0};
      if (ep) {
        e = *ep;
        if (e.residual)
          e.residual += (int64_t)(c0 + i) * M * osp;
      }
      epilogue_forward(yi, M, osp, &e);
    }
  }
}

/* ---- node adapters ---- */

/* Fills p from the node; input is (N,C,spatial...), weight (M,C/g,k...).
 * transpose: weight is (C, M/g, k...) and out is the ConvTranspose output. */
static int conv_geometry(rt_node *n, conv_params *p, int transpose,
                         sp_error *err) {
  const sp_tensor *x = &n->in[0]->t, *w = &n->in[1]->t, *y = &n->out[0]->t;
  int ns = x->rank - 2;
  if (ns < 1 || ns > 3 || w->rank != x->rank)
    return rt_unsupported(err, n, "only 1-3 spatial dims have a kernel");
  memset(p, 0, sizeof *p);
  p->N = (int)x->dims[0];
  p->C = (int)x->dims[1];
  p->group = (int)rt_attr_int(n, "group", 1);
  p->M = (int)y->dims[1];
  int64_t pads[6] = {0}, strides[3], dil[3], ks[3];
  int np = rt_attr_ints(n, "pads", pads, 6);
  if (rt_attr_ints(n, "strides", strides, 3) < 0)
    strides[0] = strides[1] = strides[2] = 1;
  if (rt_attr_ints(n, "dilations", dil, 3) < 0)
    dil[0] = dil[1] = dil[2] = 1;
  for (int d = 0; d < 3; ++d) {
    p->in[d] = p->out[d] = p->k[d] = p->stride[d] = p->dil[d] = 1;
  }
  for (int i = 0; i < ns; ++i) {
    int d = 3 - ns + i;
    ks[i] = w->dims[2 + i];
    p->in[d] = (int)x->dims[2 + i];
    p->out[d] = (int)y->dims[2 + i];
    p->k[d] = (int)ks[i];
    p->stride[d] = (int)strides[i];
    p->dil[d] = (int)dil[i];
    p->pad[d] = np > 0 ? (int)pads[i] : 0;
  }
  char ap[32];
  rt_attr_str(n, "auto_pad", ap, sizeof ap, "NOTSET");
  if (!transpose && (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER"))) {
    for (int i = 0; i < ns; ++i) {
      int d = 3 - ns + i;
      int64_t total = (int64_t)(p->out[d] - 1) * p->stride[d] +
                      (int64_t)(p->k[d] - 1) * p->dil[d] + 1 - p->in[d];
      if (total < 0)
        total = 0;
      p->pad[d] = (int)(!strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2);
    }
  } else if (!strcmp(ap, "VALID")) {
    for (int d = 0; d < 3; ++d)
      p->pad[d] = 0;
  }
  if (p->group <= 0 || p->C % p->group || p->M % p->group)
    return rt_fail(err, n, "group %d does not divide channels", p->group);
  return 0;
}

RT_KERNEL(rt_conv_prepare) {
  (void)rt;
  if (n->n_in < 2 || !n->in[0] || !n->in[1])
    return rt_fail(err, n, "needs inputs X and W");
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (!rc)
    rc = rt_check_types(err, n, 1, RT_FLOAT, 0);
  if (rc)
    return rc;
  if (n->in[0]->t.rank < 3 || n->in[0]->t.rank > 5)
    return rt_unsupported(err, n, "only 1-3 spatial dims have a kernel");
  return 0;
}

RT_KERNEL(rt_conv_backward) {
  conv_params p;
  int rc = conv_geometry(n, &p, 0, err);
  if (rc)
    return rc;
  if (!n->out[0]->grad)
    return 0;
  size_t sc = conv_backward_scratch_floats(&p);
  float *scratch = rt_scratch(rt, sc * sizeof(float));
  if (!scratch)
    return rt_fail(err, n, "out of memory for the backward im2col (%zu floats)", sc);
  rt_value *b = rt_in(n, 2);
  conv_backward(n->in[0]->grad, n->in[1]->grad, b ? b->grad : NULL,
                n->out[0]->grad, rt_f32(n->in[0]), rt_f32(n->in[1]), &p, scratch);
  return 0;
}

/* The part of fuse.c's activation that the epilogue cannot take. */
static int conv_post_act(rt_node *n) {
  if (n->act == RT_ACT_SILU)
    silu_forward(rt_f32(n->out[0]), rt_numel(&n->out[0]->t));
  else if (n->act == RT_ACT_HSWISH)
    hardswish_forward(rt_f32(n->out[0]), rt_numel(&n->out[0]->t), n->act_a,
                      n->act_b);
  return 0;
}

RT_KERNEL(rt_conv) {
  conv_params p;
  int rc = conv_geometry(n, &p, 0, err);
  if (rc)
    return rc;
  const float *w = n->fold_w ? n->fold_w : rt_f32(n->in[1]);
  /* SiLU and HardSwish have no in-register form: they run after the
   * epilogue (conv_post_act) */
  const int post = n->act == RT_ACT_SILU || n->act == RT_ACT_HSWISH;
  epilogue ep = {NULL, NULL, post ? RT_ACT_NONE : n->act, n->act_a, n->act_b};
  if (n->fold_b)
    ep.bias = n->fold_b;
  else if (rt_in(n, 2))
    ep.bias = rt_f32(n->in[2]);
  if (n->residual)
    ep.residual = rt_f32(n->residual);
  /* training: weights change every step, so Winograd's transform is made
   * at every run (M C 16 values: nothing against the convolution). On maps
   * under 8x8 the chunked products below win (Fashion ResNet 7x7, resnet18
   * 4x4 at 64x64 inputs: 10-30% slower). */
  if (rt->training && winograd_applies(&p) && p.out[1] >= 8 && p.out[2] >= 8) {
    float *u = rt_scratch(rt, (size_t)p.M * p.C * 16 * sizeof(float));
    if (!u)
      return rt_fail(err, n, "out of memory");
    if (!n->state && !(n->state = malloc(winograd_weights_floats(p.M, p.C) * sizeof(float))))
      return rt_fail(err, n, "out of memory");
    winograd_weights(n->state, u, w, p.M, p.C);
    size_t ws = winograd_scratch_floats(&p);
    float *scratch = rt_scratch(rt, ws * sizeof(float));
    if (!scratch)
      return rt_fail(err, n, "out of memory for Winograd (%zu floats)", ws);
    winograd_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), n->state, &p, &ep, scratch);
    return conv_post_act(n);
  }
  /* training: chunks of images per product, weights read as they are */
  if (rt->training && p.group == 1 && !depthwise_applies(&p)) {
    size_t sc = conv_chunked_scratch_floats(&p);
    float *scratch = rt_scratch(rt, sc * sizeof(float));
    if (!scratch)
      return rt_fail(err, n, "out of memory for im2col (%zu floats)", sc);
    conv_chunked_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), w, &p, &ep, scratch);
    return conv_post_act(n);
  }
  /* weight caches (Winograd, packed panels) only while weights are fixed */
  const int cache = n->in[1]->kind == RT_CONST && !rt->training;
  if (winograd_applies(&p) && cache) {
    if (!n->state) {
      float *u = malloc((size_t)p.M * p.C * sizeof(float));
      float *up = malloc(winograd_weights_floats(p.M, p.C) * sizeof(float));
      if (!up || !u) {
        free(u), free(up);
        return rt_fail(err, n, "out of memory");
      }
      winograd_weights(up, u, w, p.M, p.C);
      free(u);
      n->state = up;
    }
    size_t ws = winograd_scratch_floats(&p);
    float *scratch = rt_scratch(rt, ws * sizeof(float));
    if (!scratch)
      return rt_fail(err, n, "out of memory for Winograd (%zu floats)", ws);
    winograd_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), n->state, &p, &ep,
                     scratch);
    return conv_post_act(n);
  }
  /* dense and grouped convs with constant weights: each group's weights
   * packed once per plan */
  const int G = p.group, Mg = p.M / G, K = p.C / G * (int)spatial(p.k);
  if (!depthwise_applies(&p) && cache &&
      packed_gemm_applies(Mg, K, spatial(p.out))) {
    if (!n->state) {
      size_t per = pointwise_packed_floats(Mg, K);
      float *wp = malloc(per * (size_t)G * sizeof(float));
      if (!wp)
        return rt_fail(err, n, "out of memory");
      for (int g = 0; g < G; ++g)
        pointwise_pack(wp + (size_t)g * per, w + (size_t)g * Mg * K, Mg, K);
      n->state = wp;
    }
    float *scratch = NULL;
    size_t sc = conv_scratch_floats(&p);
    if (sc && !(scratch = rt_scratch(rt, sc * sizeof(float))))
      return rt_fail(err, n, "out of memory for im2col (%zu floats)", sc);
    conv_packed_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), n->state, &p, &ep,
                        scratch);
    return conv_post_act(n);
  }
  float *scratch = NULL;
  size_t sc = conv_scratch_floats(&p);
  if (sc && !(scratch = rt_scratch(rt, sc * sizeof(float))))
    return rt_fail(err, n, "out of memory for im2col (%zu floats)", sc);
  conv_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), w, &p, &ep, scratch);
  return conv_post_act(n);
}

/* y is (N,M,out...), x is (N,C,in...), w is (C,M/g,k...). */
RT_KERNEL(rt_conv_transpose) {
  if (n->n_in < 2 || !n->in[0] || !n->in[1])
    return rt_fail(err, n, "needs inputs X and W");
  if (n->in[0]->t.elem_type != RT_FLOAT)
    return rt_unsupported(err, n, "only float has a kernel");
  conv_params p;
  int rc = conv_geometry(n, &p, 1, err);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  int ns = x->rank - 2;
  char ap[32];
  rt_attr_str(n, "auto_pad", ap, sizeof ap, "NOTSET");
  int64_t outpad[3] = {0, 0, 0};
  rt_attr_ints(n, "output_padding", outpad, 3);
  if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER") ||
      rt_attr(n, "output_shape")) {
    for (int i = 0; i < ns; ++i) {
      int d = 3 - ns + i;
      int64_t total = (int64_t)p.stride[d] * (p.in[d] - 1) + outpad[i] +
                      (int64_t)(p.k[d] - 1) * p.dil[d] + 1 - p.out[d];
      if (total < 0)
        total = 0;
      p.pad[d] = (int)(!strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2);
      if (strcmp(ap, "SAME_UPPER") && strcmp(ap, "SAME_LOWER"))
        p.pad[d] = (int)(total / 2); /* output_shape: as ORT, upper */
    }
  }
  const int G = p.group, Cg = p.C / G, Mg = p.M / G;
  const int64_t isp = spatial(p.in), osp = spatial(p.out);
  const int64_t kk = spatial(p.k);
  /* scattering col back is im2col's adjoint with input and output swapped */
  conv_params swapped = p;
  memcpy(swapped.in, p.out, sizeof p.out);
  memcpy(swapped.out, p.in, sizeof p.in);
  size_t sc = (size_t)Mg * kk * isp;
  float *col = rt_scratch(rt, sc * sizeof(float));
  if (!col)
    return rt_fail(err, n, "out of memory");
  float *y = rt_f32(n->out[0]);
  const float *xd = rt_f32(n->in[0]), *w = rt_f32(n->in[1]);
  memset(y, 0, (size_t)p.N * p.M * osp * sizeof *y);
  for (int b = 0; b < p.N; ++b)
    for (int g = 0; g < G; ++g) {
      /* col (Mg*k, isp) = w_g^T (Mg*k, Cg) @ x_g (Cg, isp) */
      sgemm_forward(1, 0, (int)(Mg * kk), (int)isp, Cg, 1.0f,
                    w + (int64_t)g * Cg * Mg * kk, (int)(Mg * kk),
                    xd + ((int64_t)b * p.C + (int64_t)g * Cg) * isp, (int)isp,
                    0.0f, col, (int)isp);
      im2col_backward(y + ((int64_t)b * p.M + (int64_t)g * Mg) * osp, col,
                      Mg, &swapped);
    }
  if (rt_in(n, 2)) {
    epilogue ep = {rt_f32(n->in[2]), NULL, RT_ACT_NONE, 0, 0};
    for (int b = 0; b < p.N; ++b)
      epilogue_forward(y + (int64_t)b * p.M * osp, p.M, osp, &ep);
  }
  return 0;
}

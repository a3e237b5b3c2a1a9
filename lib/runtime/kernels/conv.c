/* conv.c - Conv (1-3 spatial dims): im2col + SGEMM per image and group
 * (depthwise convs go to depthwise.c), bias/BatchNorm/residual/activation
 * fused into the epilogue; its backward (col2im). */
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

/* 2D, stride 1, output rows as wide as input rows (3x3 pad 1 and the
 * like): the valid part of a col row is one contiguous run of the input
 * channel, so it is one copy, then the few columns that read past a row
 * edge are zeroed (a copy per output row was most of im2col's time on
 * 28x28 maps). */
static int im2col_is_shift(const conv_params *p) {
  return p->k[0] == 1 && p->out[0] == 1 && p->in[0] == 1 && p->pad[0] == 0 &&
         p->stride[1] == 1 && p->stride[2] == 1 && p->out[2] == p->in[2];
}

/* Output rows [*lo, *hi) whose input row oh - pad + koff is inside [0, n). */
static void shift_valid_rows(int n, int out, int pad, int koff, int *lo, int *hi) {
  int l = pad - koff, h = n + pad - koff;
  l = l < 0 ? 0 : l > out ? out : l;
  h = h < l ? l : h > out ? out : h;
  *lo = l, *hi = h;
}

/* dst (OH*W) is channel plane src (H*W) shifted by (kh, kw) of p. */
static void im2col_shift_row(float *restrict dst, const float *restrict src,
                             int kh, int kw, const conv_params *p) {
  const int OH = p->out[1], H = p->in[1], W = p->in[2];
  int r0, r1, lo, hi;
  shift_valid_rows(H, OH, p->pad[1], kh * p->dil[1], &r0, &r1);
  valid_range(W, W, 1, p->pad[2], kw * p->dil[2], &lo, &hi);
  const int off = kw * p->dil[2] - p->pad[2];
  const int ih0 = r0 - p->pad[1] + kh * p->dil[1];
  memset(dst, 0, (size_t)r0 * W * sizeof *dst);
  memset(dst + (int64_t)r1 * W, 0, (size_t)(OH - r1) * W * sizeof *dst);
  if (r1 <= r0 || hi <= lo) {
    memset(dst + (int64_t)r0 * W, 0, (size_t)(r1 - r0) * W * sizeof *dst);
    return;
  }
  /* from (r0, lo) to (r1 - 1, hi - 1): inside the plane on both sides */
  const int64_t n = (int64_t)(r1 - 1 - r0) * W + (hi - lo);
  memcpy(dst + (int64_t)r0 * W + lo, src + (int64_t)ih0 * W + lo + off,
         (size_t)n * sizeof *dst);
  for (int oh = r0; oh < r1; ++oh) {
    float *drow = dst + (int64_t)oh * W;
    for (int ow = 0; ow < lo; ++ow)
      drow[ow] = 0;
    for (int ow = hi; ow < W; ++ow)
      drow[ow] = 0;
  }
}

/* im2col_forward of output rows [oh0, oh1) (of every output depth) into
 * rows of ld floats: several images side by side, or a block of one image;
 * threads split the rows when parallel. */
static void im2col_span(float *col, int64_t ld, const float *inp, int C,
                        const conv_params *p, int oh0, int oh1, int parallel) {
  const int KD = p->k[0], KH = p->k[1], KW = p->k[2];
  const int OD = p->out[0], OH = p->out[1], OW = p->out[2];
  const int D = p->in[0], H = p->in[1], W = p->in[2];
  const int64_t rows = (int64_t)C * KD * KH * KW;
  const int64_t ospatial = (int64_t)OD * OH * OW;
  (void)ospatial, (void)parallel; /* read only by the OpenMP clauses */
  const int span = oh1 - oh0;
  if (im2col_is_shift(p) && oh0 == 0 && oh1 == OH) {
#pragma omp parallel for schedule(static) if (parallel && rows * ospatial > 32768)
    for (int64_t r = 0; r < rows; ++r) {
      const int kw = (int)(r % KW), kh = (int)(r / KW % KH), c = (int)(r / KW / KH);
      im2col_shift_row(col + r * ld, inp + (int64_t)c * H * W, kh, kw, p);
    }
    return;
  }
#pragma omp parallel for schedule(static) if (parallel && rows * ospatial > 32768)
  for (int64_t r = 0; r < rows; ++r) {
    int kw = (int)(r % KW), kh = (int)(r / KW % KH), kd = (int)(r / KW / KH % KD);
    int c = (int)(r / ((int64_t)KW * KH * KD));
    float *dst = col + r * ld;
    int lo, hi;
    valid_range(W, OW, p->stride[2], p->pad[2], kw * p->dil[2], &lo, &hi);
    for (int od = 0; od < OD; ++od) {
      int id = od * p->stride[0] - p->pad[0] + kd * p->dil[0];
      for (int oh = oh0; oh < oh1; ++oh) {
        float *drow = dst + ((int64_t)od * span + oh - oh0) * OW;
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

static void im2col_rows(float *col, int64_t ld, const float *inp, int C,
                        const conv_params *p) {
  im2col_span(col, ld, inp, C, p, 0, p->out[1], 1);
}

void im2col_forward(float *col, const float *inp, int C,
                    const conv_params *p) {
  im2col_rows(col, spatial(p->out), inp, C, p);
}

/* The adjoint of im2col_shift_row: dplane (H*W) += src (OH*W) shifted back
 * by (kh, kw), as one run; src's edge columns (read past a row edge in the
 * forward) are zeroed first, so the run adds nothing through them. */
static void col2im_shift_row(float *restrict dplane, float *restrict src, int kh, int kw,
                             const conv_params *p) {
  const int OH = p->out[1], H = p->in[1], W = p->in[2];
  int r0, r1, lo, hi;
  shift_valid_rows(H, OH, p->pad[1], kh * p->dil[1], &r0, &r1);
  valid_range(W, W, 1, p->pad[2], kw * p->dil[2], &lo, &hi);
  if (r1 <= r0 || hi <= lo)
    return;
  const int off = kw * p->dil[2] - p->pad[2];
  const int ih0 = r0 - p->pad[1] + kh * p->dil[1];
  for (int oh = r0; oh < r1; ++oh) {
    float *srow = src + (int64_t)oh * W;
    for (int ow = 0; ow < lo; ++ow)
      srow[ow] = 0;
    for (int ow = hi; ow < W; ++ow)
      srow[ow] = 0;
  }
  const int64_t n = (int64_t)(r1 - 1 - r0) * W + (hi - lo);
  float *d = dplane + (int64_t)ih0 * W + lo + off;
  const float *s = src + (int64_t)r0 * W + lo;
  for (int64_t i = 0; i < n; ++i)
    d[i] += s[i];
}

/* im2col_backward from rows of ld floats; with clobber, dcol is scratch
 * that may be overwritten (the shifted runs of col2im_shift_row). */
static void col2im_rows(float *dinp, float *dcol, int64_t ld, int C, const conv_params *p,
                        int clobber) {
  const int KD = p->k[0], KH = p->k[1], KW = p->k[2];
  const int OD = p->out[0], OH = p->out[1], OW = p->out[2];
  const int D = p->in[0], H = p->in[1], W = p->in[2];
  const int64_t ospatial = (int64_t)OD * OH * OW;
  (void)ospatial; /* read only by the OpenMP clause */
  /* on rows under 7 floats (resnet18's 4x4 maps) the runs gained nothing */
  if (clobber && im2col_is_shift(p) && W >= 7) {
#pragma omp parallel for schedule(static) if ((int64_t)C * KH * KW * ospatial > 32768)
    for (int c = 0; c < C; ++c) /* threads take input channels, as below */
      for (int kh = 0; kh < KH; ++kh)
        for (int kw = 0; kw < KW; ++kw)
          col2im_shift_row(dinp + (int64_t)c * H * W,
                           dcol + (((int64_t)c * KH + kh) * KW + kw) * ld, kh, kw, p);
    return;
  }
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
  col2im_rows(dinp, (float *)dcol, spatial(p->out), C, p, 0); /* read only */
}

/* Training convs (group 1) run chunks of images as one product, columns
 * side by side: a per-image product of resnet18's last stage at 64x64 has
 * 4 columns, far too few for a GEMM. Images per chunk: enough for 512
 * columns. */
static int images_per_chunk(const conv_params *p) {
  const int64_t osp = spatial(p->out), nb = (512 + osp - 1) / osp;
  const int T = rt_threads();
  if (T > 1 && p->N >= T && (p->N + nb - 1) / nb < T) /* fewer chunks than threads */
    return (p->N + T - 1) / T; /* one each: no serial gathers, one region */
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
        col2im_rows(dinp + (int64_t)(c0 + i) * p->C * isp, dcol + i * osp, cols, p->C, p, 1);
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

/* w' (C,M,3,3), u (C,M), its transform, then per thread Winograd's scratch
 * for one image and that image's dinp. */
static size_t dx_winograd_thread_floats(const conv_params *p) {
  const conv_params q = transposed_params(p);
  return winograd_image_scratch_floats(&q) + (size_t)p->C * (size_t)spatial(p->in);
}

static size_t dx_winograd_floats(const conv_params *p) {
  const size_t MC = (size_t)p->M * (size_t)p->C;
  const conv_params q = transposed_params(p);
  const size_t by_image = dx_winograd_thread_floats(p) * (size_t)rt_threads();
  const size_t split = winograd_scratch_floats(&q) + (size_t)p->C * (size_t)spatial(p->in);
  return 10 * MC + winograd_weights_floats(p->C, p->M) + (by_image > split ? by_image : split);
}

/* Threads take whole images (one region per conv, not one per image); an
 * image's dinp does not depend on which thread computes it. */
static void conv_backward_dx_winograd(float *dinp, const float *dout, const float *weight,
                                      const conv_params *p, float *scratch, int fresh) {
  const conv_params q = transposed_params(p);
  const int C = p->C, M = p->M;
  const int64_t isp = spatial(p->in), osp = spatial(p->out);
  float *wt = scratch, *u = wt + (size_t)M * C * 9, *up = u + (size_t)M * C;
  float *threads_scratch = up + winograd_weights_floats(C, M);
  const size_t per = dx_winograd_thread_floats(p), ws = winograd_image_scratch_floats(&q);
  for (int c = 0; c < C; ++c) /* w'[c][m] is w[m][c] turned by 180 degrees */
    for (int m = 0; m < M; ++m)
      for (int k = 0; k < 9; ++k)
        wt[((size_t)c * M + m) * 9 + k] = weight[((size_t)m * C + c) * 9 + 8 - k];
  winograd_weights(up, u, wt, C, M);
  if (p->N < rt_threads()) { /* fewer images than threads: they split each */
    float *dxi = threads_scratch + winograd_scratch_floats(&q);
    for (int n = 0; n < p->N; ++n) {
      float *dx = dinp + (int64_t)n * C * isp;
      winograd_forward(fresh ? dx : dxi, dout + (int64_t)n * M * osp, up, &q, NULL,
                       threads_scratch);
      if (!fresh)
        for (int64_t i = 0; i < (int64_t)C * isp; ++i)
          dx[i] += dxi[i];
    }
    return;
  }
#pragma omp parallel for schedule(static) if (rt_threads() > 1)
  for (int n = 0; n < p->N; ++n) {
    float *mine = threads_scratch + (size_t)rt_thread_num() * per, *dxi = mine + ws;
    float *dx = dinp + (int64_t)n * C * isp;
    if (fresh) { /* straight into dinp */
      winograd_forward_image(dx, dout + (int64_t)n * M * osp, up, &q, NULL, mine);
      continue;
    }
    winograd_forward_image(dxi, dout + (int64_t)n * M * osp, up, &q, NULL, mine);
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
  if (dweight) { /* blocks of weights over the threads, each summed in thread order */
    const int64_t blocks = ((int64_t)nw + 4095) / 4096;
#pragma omp parallel for schedule(static) if (blocks > 1 && T > 1)
    for (int64_t b = 0; b < blocks; ++b) {
      const size_t lo = (size_t)b * 4096, hi = lo + 4096 < nw ? lo + 4096 : nw;
      for (int t = 0; t < T; ++t) {
        const float *mine = partials + (size_t)t * per;
        for (size_t i = lo; i < hi; ++i)
          dweight[i] += mine[i];
      }
    }
  }
  if (dbias)
    for (int t = 0; t < T; ++t)
      for (int m = 0; m < M; ++m)
        dbias[m] += partials[(size_t)t * per + nw + (size_t)m];
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
                   const conv_params *p, float *scratch, int dinp_fresh) {
  if (p->group == 1 && dinp && dx_by_winograd(p)) { /* first: it uses the whole scratch */
    conv_backward_dx_winograd(dinp, dout, weight, p, scratch, dinp_fresh);
    dinp = NULL;
  } else if (dinp && dinp_fresh) { /* the other paths add */
    memset(dinp, 0, (size_t)p->N * (size_t)p->C * (size_t)spatial(p->in) * sizeof *dinp);
  }
  if (p->group == 1) {
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

/* Output rows per im2col block of conv_packed_forward: a block's im2col
 * (K x rows*OW floats) fits in half of L2 (1 MB on Zen 4/5, 512 KB on
 * older CPUs: 64K floats), and the threads' blocks fit in the whole
 * image's im2col scratch. Every block reads all the weights again, so only
 * convs with few weights (stems: 64x147 in resnet50) are blocked; with
 * 128x1152 (resnet50 layer2.0) it measured 0.3 ms slower, one thread. OH:
 * one block (the unblocked path). */
static int im2col_block_rows(const conv_params *p, int K) {
  const int OH = p->out[1], OW = p->out[2], T = rt_threads();
  int64_t rows = (int64_t)(64 * 1024) / ((int64_t)K * OW);
  if ((int64_t)p->M * K > 64 * 1024 || rows < 1 || (int64_t)rows * T > OH)
    return OH;
  /* equal blocks, as many as rows allows, a multiple of the threads */
  int64_t blocks = (OH + rows - 1) / rows;
  blocks = (blocks + T - 1) / T * T;
  return (int)((OH + blocks - 1) / blocks); /* <= rows: T blocks stay in OH */
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
  const int OH = p->out[1], OW = p->out[2];
  const int rows = im2col_block_rows(p, K);
  const int blocks = (OH + rows - 1) / rows;
  if (p->out[0] == 1 && blocks > 1) {
    /* output rows a block at a time: each thread writes its block's im2col
     * into its own part of scratch (im2col_block_rows keeps them inside)
     * and multiplies it while it is in L2 (resnet50's 7x7 stem: 7.4 MB of
     * im2col in one piece) */
    const size_t per = (size_t)K * rows * OW;
    for (int n = 0; n < p->N; ++n) {
      const float *x = inp + (int64_t)n * p->C * isp;
      float *y = out + (int64_t)n * p->M * osp;
      const float *res = ep && ep->residual ? ep->residual + (int64_t)n * p->M * osp : NULL;
#pragma omp parallel for schedule(static) if (rt_threads() > 1)
      for (int b = 0; b < blocks; ++b) {
        float *col = scratch + (size_t)rt_thread_num() * per;
        int oh0 = b * rows, oh1 = oh0 + rows < OH ? oh0 + rows : OH;
        int64_t cols = (int64_t)(oh1 - oh0) * OW, at = (int64_t)oh0 * OW;
        im2col_span(col, cols, x, p->C, p, oh0, oh1, 0);
        epilogue e = {NULL, NULL, RT_ACT_NONE, 0, 0};
        if (ep) {
          e = *ep;
          e.residual = res ? res + at : NULL;
        }
        packed_gemm_strided(y + at, osp, col, cols, wp, p->M, K, cols, &e);
      }
    }
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


/* test_kernels.c - runtime kernels against naive reference loops on odd
 * shapes: 1x1, stride 2, padding, dilation, groups, depthwise, batch > 1,
 * channel counts that are not multiples of 8, fused epilogues. Built once
 * per kernel set (test_kernels_generic, _avx2, _avx512: SP_KERNEL_ISA names
 * the set whose functions it calls), so every ISA path meets the same
 * references. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <omp.h>

#include "../../lib/runtime/ops/ops.h"

static float frand(uint32_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return (float)(*s / 4294967296.0) * 2 - 1;
}

static float *rand_buf(size_t n, uint32_t seed) {
  float *p = malloc((n ? n : 1) * sizeof *p);
  assert_non_null(p);
  for (size_t i = 0; i < n; ++i)
    p[i] = frand(&seed);
  return p;
}

static void assert_close(const float *a, const float *b, size_t n, float tol) {
  for (size_t i = 0; i < n; ++i)
    if (!(fabsf(a[i] - b[i]) <= tol * (1 + fabsf(b[i])))) { /* NaN fails */
      fail_msg("element %zu: %g != %g", i, (double)a[i], (double)b[i]);
    }
}

/* ---- conv ---- */

/* Naive 2D conv: out (N,M,OH,OW), inp (N,C,H,W), w (M,C/G,KH,KW). */
static void conv_ref(float *out, const float *inp, const float *w,
                     const float *bias, const float *res, rt_act act,
                     const conv_params *p) {
  int G = p->group, Cg = p->C / G, Mg = p->M / G;
  int H = p->in[1], W = p->in[2], OH = p->out[1], OW = p->out[2];
  for (int n = 0; n < p->N; ++n)
    for (int m = 0; m < p->M; ++m)
      for (int oh = 0; oh < OH; ++oh)
        for (int ow = 0; ow < OW; ++ow) {
          double acc = bias ? bias[m] : 0;
          int g = m / Mg;
          for (int c = 0; c < Cg; ++c)
            for (int kh = 0; kh < p->k[1]; ++kh)
              for (int kw = 0; kw < p->k[2]; ++kw) {
                int ih = oh * p->stride[1] - p->pad[1] + kh * p->dil[1];
                int iw = ow * p->stride[2] - p->pad[2] + kw * p->dil[2];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W)
                  continue;
                acc += (double)inp[(((size_t)n * p->C + g * Cg + c) * H + ih) * W + iw] *
                       w[(((size_t)m * Cg + c) * p->k[1] + kh) * p->k[2] + kw];
              }
          size_t o = (((size_t)n * p->M + m) * OH + oh) * OW + ow;
          if (res)
            acc += res[o];
          if (act == RT_ACT_RELU && acc < 0)
            acc = 0;
          if (act == RT_ACT_CLIP)
            acc = acc < 0 ? 0 : acc > 6 ? 6 : acc;
          out[o] = (float)acc;
        }
}

typedef struct conv_case {
  int N, C, M, G, H, W, KH, KW, stride, pad, dil;
} conv_case;

/* The 2D geometry of a case (the depth dim is 1). */
static conv_params case_params(const conv_case *c) {
  conv_params p;
  memset(&p, 0, sizeof p);
  p.N = c->N, p.C = c->C, p.M = c->M, p.group = c->G;
  p.in[0] = 1, p.in[1] = c->H, p.in[2] = c->W;
  p.k[0] = 1, p.k[1] = c->KH, p.k[2] = c->KW;
  p.stride[0] = 1, p.stride[1] = p.stride[2] = c->stride;
  p.dil[0] = 1, p.dil[1] = p.dil[2] = c->dil;
  p.pad[1] = p.pad[2] = c->pad;
  p.out[0] = 1;
  p.out[1] = (c->H + 2 * c->pad - c->dil * (c->KH - 1) - 1) / c->stride + 1;
  p.out[2] = (c->W + 2 * c->pad - c->dil * (c->KW - 1) - 1) / c->stride + 1;
  return p;
}

static void run_conv_case(const conv_case *c, int with_bias, int with_res,
                          rt_act act) {
  conv_params p = case_params(c);
  size_t ni = (size_t)c->N * c->C * c->H * c->W;
  size_t nw = (size_t)c->M * (c->C / c->G) * c->KH * c->KW;
  size_t no = (size_t)c->N * c->M * p.out[1] * p.out[2];
  float *x = rand_buf(ni, 1), *w = rand_buf(nw, 2), *b = rand_buf((size_t)c->M, 3);
  float *res = rand_buf(no, 4), *y = calloc(no, sizeof *y), *ref = calloc(no, sizeof *ref);
  float *scratch = malloc((conv_scratch_floats(&p) + 1) * sizeof(float));
  epilogue ep = {with_bias ? b : NULL, with_res ? res : NULL, act, 0, 6};
  conv_forward(y, x, w, &p, &ep, scratch);
  conv_ref(ref, x, w, with_bias ? b : NULL, with_res ? res : NULL, act, &p);
  assert_close(y, ref, no, 1e-4f);
  if (!depthwise_applies(&p)) { /* the packed kernel, group by group, as rt_conv runs it */
    int Mg = c->M / c->G, K = c->C / c->G * c->KH * c->KW;
    size_t per = pointwise_packed_floats(Mg, K);
    float *wp = malloc(per * (size_t)c->G * sizeof *wp);
    for (int g = 0; g < c->G; ++g)
      pointwise_pack(wp + (size_t)g * per, w + (size_t)g * Mg * K, Mg, K);
    memset(y, 0xff, no * sizeof *y);
    conv_packed_forward(y, x, wp, &p, &ep, scratch);
    assert_close(y, ref, no, 1e-4f);
    free(wp);
  }
  if (c->G == 1) { /* training's chunks of images side by side */
    float *cs = malloc((conv_chunked_scratch_floats(&p) + 1) * sizeof *cs);
    memset(y, 0xff, no * sizeof *y);
    conv_chunked_forward(y, x, w, &p, &ep, cs);
    assert_close(y, ref, no, 1e-4f);
    free(cs);
  }
  free(x), free(w), free(b), free(res), free(y), free(ref), free(scratch);
}

static void test_conv_shapes(void **state) {
  (void)state;
  static const conv_case cases[] = {
      /* N  C  M  G  H  W KH KW s p d */
      {1, 3, 5, 1, 7, 9, 3, 3, 1, 1, 1},     /* padding, odd channels */
      {2, 3, 5, 1, 7, 9, 3, 3, 2, 1, 1},     /* stride 2, batch 2 */
      {1, 5, 7, 1, 6, 6, 1, 1, 1, 0, 1},     /* 1x1 pointwise */
      {1, 5, 7, 1, 6, 6, 1, 1, 2, 0, 1},     /* 1x1 stride 2 */
      {1, 4, 6, 2, 8, 7, 3, 3, 1, 1, 1},     /* groups */
      {2, 6, 6, 6, 9, 8, 3, 3, 1, 1, 1},     /* depthwise */
      {1, 6, 6, 6, 9, 8, 3, 3, 2, 1, 1},     /* depthwise stride 2 */
      {1, 6, 12, 6, 9, 8, 5, 5, 1, 2, 1},    /* depthwise multiplier 2 */
      {1, 3, 4, 1, 11, 10, 3, 3, 1, 2, 2},   /* dilation */
      {1, 6, 6, 6, 11, 10, 3, 3, 3, 3, 2},   /* depthwise dilation, stride 3 */
      {1, 1, 1, 1, 5, 5, 3, 3, 1, 0, 1},     /* single channel, no padding */
      {1, 9, 3, 1, 4, 4, 7, 7, 1, 3, 1},     /* kernel larger than input */
      /* depthwise rows wider than a vector, odd widths, every stride phase */
      {1, 5, 5, 5, 13, 37, 3, 3, 1, 1, 1},   /* 3x3 s1, width 37 */
      {2, 3, 3, 3, 17, 29, 3, 3, 2, 1, 1},   /* 3x3 s2, batch 2, odd width */
      {1, 3, 3, 3, 16, 16, 3, 3, 2, 1, 1},   /* 3x3 s2, even size (14->7 style) */
      {1, 4, 4, 4, 7, 7, 3, 3, 1, 1, 1},     /* 7x7 map, rows below a vector */
      {1, 3, 3, 3, 19, 23, 5, 5, 2, 2, 1},   /* 5x5 s2 */
      {1, 2, 2, 2, 15, 21, 7, 7, 1, 3, 1},   /* 7x7 kernel (generic taps) */
      {2, 3, 6, 3, 12, 20, 3, 3, 2, 0, 2},   /* multiplier 2, dilation 2, s2, no pad */
      {1, 3, 3, 3, 9, 40, 3, 3, 3, 1, 1},    /* stride 3 */
      {1, 2, 2, 2, 1, 33, 1, 3, 1, 1, 1},    /* one row (1-D style) */
      /* "same" stride-1 depthwise (flat loop, column masks) at its limits */
      {1, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1},     /* 9 outputs: overlapping vectors */
      {1, 2, 2, 2, 9, 1, 3, 3, 1, 1, 1},     /* one column: every tap masked */
      {1, 2, 4, 2, 4, 5, 7, 7, 1, 3, 1},     /* kernel wider than the map, mult 2 */
      /* stride-2 depthwise with padding K/2 (phase planes, output pitch) */
      {1, 3, 3, 3, 6, 6, 3, 3, 2, 1, 1},     /* 3x3 outputs: overlapping vectors */
      {1, 3, 6, 3, 11, 10, 3, 3, 2, 1, 1},   /* odd rows, multiplier 2 */
      {2, 2, 2, 2, 15, 13, 7, 7, 2, 3, 1},   /* 7x7 kernel, batch 2 */
      {1, 2, 2, 2, 14, 14, 5, 5, 2, 2, 1},   /* 5x5, 14 -> 7 */
      /* pointwise: several column tiles, and row blocks when threads split M */
      {1, 64, 64, 1, 48, 49, 1, 1, 1, 0, 1}, /* 1x1, N = 2352 > one tile */
      {1, 128, 520, 1, 7, 7, 1, 1, 1, 0, 1}, /* 1x1, M > N: row blocks */
      {2, 40, 24, 1, 30, 30, 3, 3, 2, 1, 1}, /* im2col, batch 2, residual */
      {5, 3, 4, 1, 12, 12, 3, 3, 1, 1, 1},   /* chunks of 4 images and 1 */
      /* few weights: im2col and product a block of output rows at a time */
      {2, 3, 16, 1, 64, 60, 7, 7, 2, 3, 1},  /* stem style, batch 2 */
      {1, 2, 7, 1, 150, 150, 3, 3, 1, 1, 1}, /* uneven blocks, 4-column tails */
      /* grouped, RegNet/ResNeXt style: threads take groups */
      {1, 48, 48, 6, 14, 14, 3, 3, 1, 1, 1},  /* 8-channel groups */
      {2, 64, 32, 4, 9, 11, 3, 3, 2, 1, 1},   /* stride 2, 16 -> 8 per group, batch 2 */
      {1, 24, 36, 3, 10, 10, 1, 1, 1, 0, 1},  /* grouped 1x1 (ShuffleNet v1 style) */
      /* im2col as one shifted copy per row (stride 1, output as wide as input) */
      {2, 3, 4, 1, 6, 11, 5, 5, 1, 2, 1},     /* 5x5 pad 2: two edge columns */
      {1, 2, 3, 1, 2, 3, 5, 5, 1, 2, 1},      /* map smaller than the kernel */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    run_conv_case(&cases[i], 0, 0, RT_ACT_NONE);
    run_conv_case(&cases[i], 1, 0, RT_ACT_RELU);
    run_conv_case(&cases[i], 1, 1, RT_ACT_RELU);
    run_conv_case(&cases[i], 1, 0, RT_ACT_CLIP);
  }
}

/* pointwise_forward (packed 6-row panels, 6x16 tiles) against a naive
 * matrix product: M around the panel height, P around the strip width and
 * the column tail, C odd; every epilogue; this kernel set's micro-kernel. */
static void test_pointwise(void **state) {
  (void)state;
  static const int Ms[] = {1, 5, 6, 7, 13, 96}, Cs[] = {1, 3, 17, 96};
  static const int Ps[] = {1, 7, 15, 16, 17, 49, 196, 3136}; /* 196: panels split */
  for (size_t mi = 0; mi < 6; ++mi)
    for (size_t ci = 0; ci < 4; ++ci)
      for (size_t pi = 0; pi < 8; ++pi) {
        int M = Ms[mi], C = Cs[ci], P = Ps[pi], N = P == 17 ? 2 : 1;
        conv_params p;
        memset(&p, 0, sizeof p);
        p.N = N, p.C = C, p.M = M, p.group = 1;
        for (int d = 0; d < 3; ++d)
          p.in[d] = p.out[d] = p.k[d] = p.stride[d] = p.dil[d] = 1;
        p.in[2] = p.out[2] = P;
        size_t ni = (size_t)N * C * P, no = (size_t)N * M * P;
        float *x = rand_buf(ni, 21), *w = rand_buf((size_t)M * C, 22);
        float *b = rand_buf((size_t)M, 23), *res = rand_buf(no, 24);
        float *y = malloc(no * sizeof *y), *ref = malloc(no * sizeof *ref);
        double *acc = malloc(no * sizeof *acc);
        float *wp = malloc(pointwise_packed_floats(M, C) * sizeof *wp);
        pointwise_pack(wp, w, M, C);
        for (int n = 0; n < N; ++n)
          for (int m = 0; m < M; ++m)
            for (int j = 0; j < P; ++j) {
              double a = 0;
              for (int c = 0; c < C; ++c)
                a += (double)w[(size_t)m * C + c] * x[((size_t)n * C + c) * P + j];
              acc[((size_t)n * M + m) * P + j] = a;
            }
        for (int e = 0; e < 4; ++e) {
          rt_act act = e == 2 ? RT_ACT_RELU : e == 3 ? RT_ACT_CLIP : RT_ACT_NONE;
          epilogue ep = {e ? b : NULL, e >= 1 && e != 2 ? res : NULL, act,
                         -0.5f, 0.5f};
          for (size_t o = 0; o < no; ++o) {
            double v = acc[o] + (ep.bias ? b[o / P % M] : 0) +
                       (ep.residual ? res[o] : 0);
            if (act == RT_ACT_RELU && v < 0)
              v = 0;
            if (act == RT_ACT_CLIP)
              v = v < -0.5 ? -0.5 : v > 0.5 ? 0.5 : v;
            ref[o] = (float)v;
          }
          memset(y, 0xff, no * sizeof *y); /* NaN: every element written */
          pointwise_forward(y, x, wp, &p, &ep);
          assert_close(y, ref, no, 1e-4f);
        }
        free(x), free(w), free(b), free(res), free(y), free(ref), free(acc),
            free(wp);
      }
  conv_params q;
  memset(&q, 0, sizeof q);
  q.N = q.C = q.M = q.group = 1;
  for (int d = 0; d < 3; ++d)
    q.in[d] = q.out[d] = q.k[d] = q.stride[d] = q.dil[d] = 1;
  q.stride[2] = 2;
  assert_false(pointwise_applies(&q));
}

/* Winograd F(2x2,3x3) against the naive loop: odd sizes (partial tiles),
 * padding 0 and 1, batch 2, channel counts not multiples of 6 or 8, every
 * epilogue; 1, 2, 3 and 8 threads (threads split tiles on big maps, output
 * channels on small ones, both when there are more threads than tile
 * groups), whole-image and 16-tile chunks (chunks that start and end inside
 * a tile row), this kernel set's micro-kernel. */
static void test_winograd(void **state) {
  (void)state;
  static const conv_case cases[] = {
      {1, 16, 16, 1, 8, 8, 3, 3, 1, 1, 1},
      {2, 17, 19, 1, 9, 7, 3, 3, 1, 1, 1},
      {1, 24, 16, 1, 11, 13, 3, 3, 1, 0, 1},
      {1, 16, 23, 1, 37, 30, 3, 3, 1, 1, 1}, /* 342 tiles: threads split tiles */
      {2, 20, 16, 1, 29, 33, 3, 3, 1, 0, 1},
      {1, 16, 17, 1, 5, 4, 3, 3, 1, 2, 1}, /* pad 2: padded rows wider than the map */
  };
  static const rt_act acts[] = {RT_ACT_NONE, RT_ACT_RELU, RT_ACT_CLIP};
  int max_threads = rt_threads();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    const conv_case *c = &cases[i];
    conv_params p;
    memset(&p, 0, sizeof p);
    p.N = c->N, p.C = c->C, p.M = c->M, p.group = 1;
    p.in[0] = p.k[0] = p.out[0] = p.stride[0] = p.dil[0] = 1;
    p.in[1] = c->H, p.in[2] = c->W, p.k[1] = p.k[2] = 3;
    p.stride[1] = p.stride[2] = p.dil[1] = p.dil[2] = 1;
    p.pad[1] = p.pad[2] = c->pad;
    p.out[1] = c->H + 2 * c->pad - 2, p.out[2] = c->W + 2 * c->pad - 2;
    assert_true(winograd_applies(&p));
    size_t ni = (size_t)c->N * c->C * c->H * c->W, nw = (size_t)c->M * c->C * 9;
    size_t no = (size_t)c->N * c->M * p.out[1] * p.out[2];
    float *x = rand_buf(ni, 11), *w = rand_buf(nw, 12), *b = rand_buf((size_t)c->M, 13);
    float *res = rand_buf(no, 14), *y = calloc(no, sizeof *y), *ref = calloc(no, sizeof *ref);
    float *u = malloc((size_t)c->M * c->C * sizeof *u);
    float *up = malloc(winograd_weights_floats(c->M, c->C) * sizeof *up);
    winograd_weights(up, u, w, c->M, c->C);
    static const int thread_counts[] = {1, 2, 3, 8}; /* 3, 8: tile x channel groups */
    for (int variant = 0; variant < 24; ++variant) {
      int threads = thread_counts[variant % 4], small_chunks = variant / 4 % 2;
      rt_act act = acts[variant / 8];
      omp_set_num_threads(threads);
      winograd_set_chunk_bytes(small_chunks ? 1 : 0);
      float *scratch = malloc(winograd_scratch_floats(&p) * sizeof(float));
      /* residual only with a bias, as the fused conv hands them over */
      epilogue ep = {b, act == RT_ACT_RELU ? res : NULL, act, 0, 6};
      memset(y, 0xff, no * sizeof *y); /* NaN: every output must be written */
      winograd_forward(y, x, up, &p, &ep, scratch);
      conv_ref(ref, x, w, b, ep.residual, act, &p);
      assert_close(y, ref, no, 1e-4f);
      free(scratch);
    }
    omp_set_num_threads(max_threads);
    winograd_set_chunk_bytes(0);
    free(x), free(w), free(b), free(res), free(y), free(ref), free(u), free(up);
  }
}

/* Direct 3x3 (emit-c's small-map conv) against the naive loop: the map
 * sizes it is chosen for (7x7, 14x14, 28x28 with 2 columns of padding per
 * row), one vector and partial register blocks (3x3, 5x9), stride 2 on even
 * and odd maps (its 4 phase planes), output channels not multiples of its
 * 6-row block, both block shapes (8 rows for 16 and 32 output channels, 6
 * for the rest), batch 2, every epilogue, 1-3 threads (threads take
 * channel blocks); out of range sizes are refused. */
static void test_direct3x3(void **state) {
  (void)state;
  static const conv_case cases[] = {
      {1, 64, 64, 1, 7, 7, 3, 3, 1, 1, 1},   {2, 17, 19, 1, 14, 14, 3, 3, 1, 1, 1},
      {1, 16, 16, 1, 28, 28, 3, 3, 1, 1, 1}, {1, 3, 5, 1, 3, 3, 3, 3, 1, 1, 1},
      {2, 9, 13, 1, 5, 9, 3, 3, 1, 1, 1},    {1, 16, 32, 1, 28, 28, 3, 3, 2, 1, 1},
      {2, 7, 11, 1, 15, 9, 3, 3, 2, 1, 1},   {1, 64, 20, 1, 14, 14, 3, 3, 2, 1, 1},
  };
  static const rt_act acts[] = {RT_ACT_NONE, RT_ACT_RELU, RT_ACT_CLIP};
  int max_threads = rt_threads();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    const conv_case *c = &cases[i];
    conv_params p;
    memset(&p, 0, sizeof p);
    p.N = c->N, p.C = c->C, p.M = c->M, p.group = 1;
    p.in[0] = p.k[0] = p.out[0] = p.stride[0] = p.dil[0] = 1;
    p.in[1] = c->H, p.in[2] = c->W, p.k[1] = p.k[2] = 3;
    p.out[1] = (c->H - 1) / c->stride + 1, p.out[2] = (c->W - 1) / c->stride + 1;
    p.stride[1] = p.stride[2] = c->stride, p.dil[1] = p.dil[2] = 1;
    p.pad[1] = p.pad[2] = 1;
    assert_true(direct3x3_applies(&p));
    size_t ni = (size_t)c->N * c->C * c->H * c->W, nw = (size_t)c->M * c->C * 9;
    size_t no = (size_t)c->N * c->M * p.out[1] * p.out[2];
    float *x = rand_buf(ni, 21), *w = rand_buf(nw, 22), *b = rand_buf((size_t)c->M, 23);
    float *res = rand_buf(no, 24), *y = calloc(no, sizeof *y), *ref = calloc(no, sizeof *ref);
    float *wd = malloc(direct3x3_weights_floats(c->M, c->C) * sizeof *wd);
    direct3x3_weights(wd, w, c->M, c->C);
    for (int variant = 0; variant < 9; ++variant) {
      rt_act act = acts[variant / 3];
      omp_set_num_threads(1 + variant % 3);
      float *scratch = malloc(direct3x3_scratch_floats(&p) * sizeof(float));
      epilogue ep = {b, act == RT_ACT_RELU ? res : NULL, act, 0, 6}; /* conv_ref clips to [0, 6] */
      memset(y, 0xff, no * sizeof *y); /* NaN: every output must be written */
      direct3x3_forward(y, x, wd, &p, &ep, scratch);
      conv_ref(ref, x, w, b, ep.residual, act, &p);
      assert_close(y, ref, no, 1e-4f);
      free(scratch);
    }
    omp_set_num_threads(max_threads);
    free(x), free(w), free(b), free(res), free(y), free(ref), free(wd);
  }
  conv_params q;
  memset(&q, 0, sizeof q);
  q.N = q.C = q.M = q.group = 1;
  for (int d = 0; d < 3; ++d)
    q.in[d] = q.out[d] = q.k[d] = q.stride[d] = q.dil[d] = 1;
  q.in[1] = q.out[1] = q.in[2] = q.out[2] = 56; /* 56 x 58 > 1024 grid positions */
  q.k[1] = q.k[2] = 3, q.pad[1] = q.pad[2] = 1;
  assert_false(direct3x3_applies(&q));
  q.in[1] = q.out[1] = q.in[2] = q.out[2] = 14;
  assert_true(direct3x3_applies(&q));
  q.stride[2] = 2; /* unequal strides */
  assert_false(direct3x3_applies(&q));
}

/* The rule sp-run and emit-c share (direct3x3_preferred): on AVX-512 stride-2
 * convs to 14x14, 7x7 and 8x8 maps up to 256 x 256 channels at either stride,
 * larger maps up to 32 channels; not more channels at 7x7, 256 at 14x14
 * stride 1, nor 28x28 stride 2 outputs (Winograd, im2col win there), nor
 * under 8 input channels; never on the sets without its vector kernel. */
static void test_direct3x3_preferred(void **state) {
  (void)state;
  static const struct {
    int C, M, H, stride, want;
  } cases[] = {
      {256, 256, 28, 2, 1}, {128, 256, 28, 2, 1}, {256, 256, 7, 1, 1}, {32, 32, 14, 1, 1},
      {16, 16, 28, 1, 1},   {64, 64, 8, 1, 1},    {128, 32, 7, 1, 1},   {64, 64, 14, 2, 1},
      {256, 256, 14, 1, 0}, {64, 32, 14, 1, 0},   {128, 128, 56, 2, 0}, {4, 64, 7, 1, 0},
      {3, 64, 28, 2, 0},    {512, 512, 7, 1, 0},  {256, 512, 7, 1, 0},  {512, 512, 14, 2, 0},
      {256, 512, 14, 2, 0},
  };
  const int avx512 = !strcmp(SP_KERNEL_ISA_NAME, "avx512");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    conv_params p;
    memset(&p, 0, sizeof p);
    p.N = 1, p.C = cases[i].C, p.M = cases[i].M, p.group = 1;
    for (int d = 0; d < 3; ++d)
      p.in[d] = p.out[d] = p.k[d] = p.stride[d] = p.dil[d] = 1;
    p.in[1] = p.in[2] = cases[i].H;
    p.out[1] = p.out[2] = (cases[i].H - 1) / cases[i].stride + 1;
    p.k[1] = p.k[2] = 3, p.pad[1] = p.pad[2] = 1;
    p.stride[1] = p.stride[2] = cases[i].stride;
    if (direct3x3_preferred(&p) != (avx512 && cases[i].want))
      fail_msg("case %zu (C%d M%d %dx%d s%d): preferred %d on %s", i, p.C, p.M, p.in[1],
               p.in[2], cases[i].stride, direct3x3_preferred(&p), SP_KERNEL_ISA_NAME);
  }
}

/* OpenBLAS for deep-K 1x1 convs (pointwise_blas_preferred): on AVX-512 at one
 * thread K >= 1024 over at least 14x14; not K 512, 7x7, a 3x3 kernel, stride 2,
 * two threads, nor any other set. */
static void test_pointwise_blas_preferred(void **state) {
  (void)state;
  static const struct {
    int C, H, k, stride, threads, want;
  } cases[] = {
      {1024, 14, 1, 1, 1, 1}, {2048, 28, 1, 1, 1, 1}, {512, 14, 1, 1, 1, 0}, {1024, 7, 1, 1, 1, 0},
      {1024, 14, 3, 1, 1, 0}, {1024, 28, 1, 2, 1, 0}, {1024, 14, 1, 1, 2, 0},
  };
  const int avx512 = !strcmp(SP_KERNEL_ISA_NAME, "avx512"), max_threads = rt_threads();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    conv_params p;
    memset(&p, 0, sizeof p);
    p.N = 1, p.C = cases[i].C, p.M = 256, p.group = 1;
    for (int d = 0; d < 3; ++d)
      p.in[d] = p.out[d] = p.k[d] = p.stride[d] = p.dil[d] = 1;
    p.in[1] = p.in[2] = cases[i].H;
    p.k[1] = p.k[2] = cases[i].k, p.pad[1] = p.pad[2] = cases[i].k / 2;
    p.stride[1] = p.stride[2] = cases[i].stride;
    p.out[1] = p.out[2] = (cases[i].H - 1) / cases[i].stride + 1;
    omp_set_num_threads(cases[i].threads);
    if (pointwise_blas_preferred(&p) != (avx512 && cases[i].want))
      fail_msg("case %zu (C%d %dx%d k%d s%d, %d threads): preferred %d on %s", i, p.C,
               p.in[1], p.in[2], cases[i].k, cases[i].stride, cases[i].threads,
               pointwise_blas_preferred(&p), SP_KERNEL_ISA_NAME);
  }
  omp_set_num_threads(max_threads);
}

/* ---- normalisation and softmax ---- */

static void test_batchnorm(void **state) {
  (void)state;
  int N = 2, C = 5, S = 13;
  float *x = rand_buf((size_t)N * C * S, 5), *y = malloc((size_t)N * C * S * sizeof *y);
  float scale[5], bias[5], mean[5], var[5];
  for (int c = 0; c < C; ++c)
    scale[c] = 0.5f + c, bias[c] = -c, mean[c] = 0.1f * c, var[c] = 1.0f + c;
  for (int clamp = 0; clamp < 2; ++clamp) { /* plain, and a fused Clip(0, 1.5) */
    float lo = clamp ? 0.0f : -INFINITY, hi = clamp ? 1.5f : INFINITY;
    batchnorm_forward(y, x, scale, bias, mean, var, 1e-5f, N, C, S, lo, hi);
    for (int n = 0; n < N; ++n)
      for (int c = 0; c < C; ++c)
        for (int i = 0; i < S; ++i) {
          size_t k = ((size_t)n * C + c) * S + i;
          float ref = (x[k] - mean[c]) / sqrtf(var[c] + 1e-5f) * scale[c] + bias[c];
          ref = ref < lo ? lo : ref > hi ? hi : ref;
          assert_true(fabsf(y[k] - ref) < 1e-5f);
        }
  }
  free(x), free(y);
}

static void test_layernorm(void **state) {
  (void)state;
  int rows = 3, cols = 37;
  float *x = rand_buf((size_t)rows * cols, 6), *y = malloc((size_t)rows * cols * sizeof *y);
  float *g = rand_buf((size_t)cols, 7), *b = rand_buf((size_t)cols, 8), mean[3], inv[3];
  layernorm_forward(y, x, g, b, 1e-5f, rows, cols, mean, inv);
  for (int r = 0; r < rows; ++r) {
    double m = 0, v = 0;
    for (int i = 0; i < cols; ++i)
      m += x[r * cols + i];
    m /= cols;
    for (int i = 0; i < cols; ++i)
      v += (x[r * cols + i] - m) * (x[r * cols + i] - m);
    v /= cols;
    for (int i = 0; i < cols; ++i) {
      double ref = (x[r * cols + i] - m) / sqrt(v + 1e-5) * g[i] + b[i];
      assert_true(fabs(y[r * cols + i] - ref) < 1e-4);
    }
    assert_true(fabs(mean[r] - m) < 1e-5);
  }
  free(x), free(y), free(g), free(b);
}

static void test_softmax(void **state) {
  (void)state;
  int outer = 2, axis = 7, inner = 3;
  size_t n = (size_t)outer * axis * inner;
  float *x = rand_buf(n, 9), *y = malloc(n * sizeof *y), *ly = malloc(n * sizeof *ly);
  for (size_t i = 0; i < n; ++i)
    x[i] *= 50; /* large values: the max must be subtracted */
  softmax_forward(y, x, outer, axis, inner, 0);
  softmax_forward(ly, x, outer, axis, inner, 1);
  for (int o = 0; o < outer; ++o)
    for (int in = 0; in < inner; ++in) {
      double m = -INFINITY, s = 0;
      for (int a = 0; a < axis; ++a)
        m = fmax(m, x[(o * axis + a) * inner + in]);
      for (int a = 0; a < axis; ++a)
        s += exp(x[(o * axis + a) * inner + in] - m);
      for (int a = 0; a < axis; ++a) {
        size_t k = ((size_t)o * axis + a) * inner + in;
        double ref = exp(x[k] - m) / s;
        assert_true(fabs(y[k] - ref) < 1e-6);
        assert_true(fabs(ly[k] - log(ref)) < 1e-4 * (1 + fabs(log(ref))));
      }
    }
  free(x), free(y), free(ly);
}

/* ---- backward kernels against central finite differences ---- */

/* sum r . y, in double. */
static double dot(const float *r, const float *y, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; ++i)
    s += (double)r[i] * y[i];
  return s;
}

static void assert_grad(const double *num, const float *ana, size_t n,
                        double tol, const char *what) {
  for (size_t i = 0; i < n; ++i)
    if (!(fabs(num[i] - ana[i]) <= tol * (1 + fabs(num[i]))))
      fail_msg("%s[%zu]: analytic %g, finite differences %g", what, i,
               (double)ana[i], num[i]);
}

/* conv_backward on odd geometries (stride, padding, dilation, groups,
 * depthwise with multiplier, batch 2): L = r . conv(x, w) + b is linear in
 * each of x, w, b, so central differences with step 1 are exact up to
 * rounding. */
static void test_conv_backward(void **state) {
  (void)state;
  static const conv_case cases[] = {
      {2, 3, 4, 1, 6, 5, 3, 3, 1, 1, 1}, {1, 4, 6, 2, 7, 7, 3, 3, 2, 1, 1},
      {1, 3, 6, 3, 5, 6, 3, 3, 1, 1, 1}, /* depthwise x2 */
      {2, 2, 3, 1, 7, 6, 3, 2, 1, 2, 2}, {1, 5, 4, 1, 4, 4, 1, 1, 1, 0, 1},
      {3, 2, 3, 1, 16, 16, 3, 3, 1, 1, 1}, /* chunks of 2 images and 1 */
      {3, 4, 5, 1, 4, 4, 3, 3, 1, 1, 1},   /* one chunk, cut for 2+ threads */
      {1, 16, 16, 1, 8, 8, 3, 3, 1, 1, 1}, /* dinp by Winograd */
      {2, 3, 4, 1, 5, 9, 5, 5, 1, 2, 1},   /* im2col by shifted copies, 5x5 pad 2 */
      {1, 2, 3, 1, 7, 8, 3, 3, 1, 2, 2},   /* the same, dilation 2 */
  };
  const int max_threads = rt_threads();
  omp_set_num_threads(2); /* threads take chunks, or a chunk cut for them */
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ++ci) {
    const conv_case *c = &cases[ci];
    conv_params p = case_params(c);
    size_t ni = (size_t)c->N * c->C * c->H * c->W;
    size_t nw = (size_t)c->M * (c->C / c->G) * c->KH * c->KW;
    size_t no = (size_t)c->N * c->M * p.out[1] * p.out[2];
    float *x = rand_buf(ni, 31), *w = rand_buf(nw, 32), *b = rand_buf((size_t)c->M, 33);
    float *r = rand_buf(no, 34), *y = malloc(no * sizeof *y);
    float *dx = calloc(ni, sizeof *dx), *dw = calloc(nw, sizeof *dw);
    float *db = calloc((size_t)c->M, sizeof *db);
    float *scratch = malloc((conv_backward_scratch_floats(&p) + 1) * sizeof(float));
    conv_backward(dx, dw, db, r, x, w, &p, scratch, 0);
    double *num = malloc((ni > nw ? ni : nw) * sizeof *num);
    float *params[3] = {x, w, b}, *grads[3] = {dx, dw, db};
    size_t sizes[3] = {ni, nw, (size_t)c->M};
    static const char *names[3] = {"dinp", "dweight", "dbias"};
    for (int t = 0; t < 3; ++t) {
      for (size_t i = 0; i < sizes[t]; ++i) {
        float keep = params[t][i];
        params[t][i] = keep + 1;
        conv_ref(y, x, w, b, NULL, RT_ACT_NONE, &p);
        double up = dot(r, y, no);
        params[t][i] = keep - 1;
        conv_ref(y, x, w, b, NULL, RT_ACT_NONE, &p);
        num[i] = (up - dot(r, y, no)) / 2;
        params[t][i] = keep;
      }
      assert_grad(num, grads[t], sizes[t], 1e-4, names[t]);
    }
    /* dinp_fresh: dinp holds garbage (NaN) and is written, not added to */
    float *dx2 = malloc(ni * sizeof *dx2), *dw2 = calloc(nw, sizeof *dw2);
    memset(dx2, 0xff, ni * sizeof *dx2);
    conv_backward(dx2, dw2, NULL, r, x, w, &p, scratch, 1);
    for (size_t i = 0; i < ni; ++i)
      num[i] = dx[i];
    assert_grad(num, dx2, ni, 1e-5, "dinp written fresh");
    free(dx2), free(dw2);
    /* gradients accumulate (+=): a second call doubles them */
    for (size_t i = 0; i < nw; ++i)
      num[i] = 2.0 * dw[i];
    conv_backward(NULL, dw, NULL, r, x, w, &p, scratch, 0);
    assert_grad(num, dw, nw, 1e-4, "dweight after two calls");
    free(x), free(w), free(b), free(r), free(y), free(dx), free(dw), free(db);
    free(scratch), free(num);
  }
  omp_set_num_threads(max_threads);
}

/* Winograd's input gradient over a batch: threads take whole images when
 * there are at least as many (3 images on 2 and 3 threads), else split each
 * image (4 threads); dinp written fresh and added to; equal to the gradient
 * one image at a time on 1 thread (test_conv_backward checks that one
 * against differences). */
static void test_conv_backward_winograd_batch(void **state) {
  (void)state;
  const conv_case c = {3, 16, 20, 1, 9, 8, 3, 3, 1, 1, 1};
  conv_params p = case_params(&c), one = p;
  one.N = 1;
  const size_t ni = (size_t)c.N * c.C * c.H * c.W, nw = (size_t)c.M * c.C * 9;
  const size_t no = (size_t)c.N * c.M * p.out[1] * p.out[2];
  const size_t ni1 = ni / (size_t)c.N, no1 = no / (size_t)c.N;
  float *x = rand_buf(ni, 41), *w = rand_buf(nw, 42), *r = rand_buf(no, 43);
  float *prior = rand_buf(ni, 44), *ref = malloc(ni * sizeof *ref), *dx = malloc(ni * sizeof *dx);
  const int max_threads = rt_threads();
  static const int thread_counts[] = {1, 2, 3, 4}; /* 4: fewer images than threads */
  for (int fresh = 0; fresh < 2; ++fresh) {
    omp_set_num_threads(1);
    float *s1 = malloc(conv_backward_scratch_floats(&one) * sizeof(float));
    memcpy(ref, prior, ni * sizeof *ref);
    for (int n = 0; n < c.N; ++n)
      conv_backward(ref + n * ni1, NULL, NULL, r + n * no1, x + n * ni1, w, &one, s1, fresh);
    free(s1);
    for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; ++t) {
      omp_set_num_threads(thread_counts[t]);
      float *scratch = malloc(conv_backward_scratch_floats(&p) * sizeof(float));
      memcpy(dx, prior, ni * sizeof *dx);
      conv_backward(dx, NULL, NULL, r, x, w, &p, scratch, fresh);
      assert_close(dx, ref, ni, 1e-5f);
      free(scratch);
    }
  }
  omp_set_num_threads(max_threads);
  free(x), free(w), free(r), free(prior), free(ref), free(dx);
}

/* Training-mode BatchNormalization in double, for the differences. */
static double bn_loss(const float *x, const float *scale, const float *bias,
                      const float *r, int N, int C, int S, double eps) {
  double L = 0;
  for (int c = 0; c < C; ++c) {
    double m = 0, v = 0;
    for (int n = 0; n < N; ++n)
      for (int i = 0; i < S; ++i)
        m += x[((size_t)n * C + c) * S + i];
    m /= (double)N * S;
    for (int n = 0; n < N; ++n)
      for (int i = 0; i < S; ++i) {
        double d = x[((size_t)n * C + c) * S + i] - m;
        v += d * d;
      }
    v /= (double)N * S;
    for (int n = 0; n < N; ++n)
      for (int i = 0; i < S; ++i) {
        size_t k = ((size_t)n * C + c) * S + i;
        L += r[k] * ((x[k] - m) / sqrt(v + eps) * scale[c] + bias[c]);
      }
  }
  return L;
}

/* S 5: the per-row sums' scalar tail alone; S 37: 16-lane blocks and a tail. */
static void batchnorm_backward_case(int S) {
  const int N = 3, C = 4;
  const size_t nx = (size_t)N * C * S;
  float *x = rand_buf(nx, 41), *scale = rand_buf(C, 42), *bias = rand_buf(C, 43);
  float *r = rand_buf(nx, 44), *y = malloc(nx * sizeof *y);
  float mean[4], invstd[4], var[4], dscale[4] = {0}, dbias[4] = {0};
  float *dx = calloc(nx, sizeof *dx);
  batchnorm_train_forward(y, mean, invstd, var, x, scale, bias, 1e-5f, N, C, S);
  assert_true(fabs(dot(r, y, nx) - bn_loss(x, scale, bias, r, N, C, S, 1e-5)) < 1e-4);
  batchnorm_backward(dx, dscale, dbias, r, x, mean, invstd, scale, N, C, S, 0);
  const double h = 1e-3;
  double *num = malloc(nx * sizeof *num);
  float *params[3] = {x, scale, bias}, *grads[3] = {dx, dscale, dbias};
  size_t sizes[3] = {nx, C, C};
  static const char *names[3] = {"dx", "dscale", "dbias"};
  for (int t = 0; t < 3; ++t) {
    for (size_t i = 0; i < sizes[t]; ++i) {
      float keep = params[t][i];
      params[t][i] = keep + (float)h;
      double up = bn_loss(x, scale, bias, r, N, C, S, 1e-5);
      params[t][i] = keep - (float)h;
      num[i] = (up - bn_loss(x, scale, bias, r, N, C, S, 1e-5)) / (2 * h);
      params[t][i] = keep;
    }
    assert_grad(num, grads[t], sizes[t], 2e-3, names[t]);
  }
  /* dx_fresh: dx holds garbage (NaN) and is written, not added to */
  float *dx2 = malloc(nx * sizeof *dx2), ds2[4] = {0}, db2[4] = {0};
  memset(dx2, 0xff, nx * sizeof *dx2);
  batchnorm_backward(dx2, ds2, db2, r, x, mean, invstd, scale, N, C, S, 1);
  for (size_t i = 0; i < nx; ++i)
    num[i] = dx[i];
  assert_grad(num, dx2, nx, 1e-6, "dx written fresh");
  free(dx2);
  free(x), free(scale), free(bias), free(r), free(y), free(dx), free(num);
}

static void test_batchnorm_backward(void **state) {
  (void)state;
  batchnorm_backward_case(5);
  batchnorm_backward_case(37);
}

static void test_small_backward(void **state) {
  (void)state;
  /* relu, clip and global average pooling: exact rules */
  const float x[6] = {-1, 0, 0.5f, 2, 7, -3}, dy[6] = {1, 2, 3, 4, 5, 6};
  float dx[6] = {10, 10, 10, 10, 10, 10};
  relu_backward(dx, dy, x, 6);
  const float want_relu[6] = {10, 10, 13, 14, 15, 10};
  assert_memory_equal(dx, want_relu, sizeof dx);
  memset(dx, 0, sizeof dx);
  clip_backward(dx, dy, x, 0, 6, 6);
  const float want_clip[6] = {0, 2, 3, 4, 0, 0};
  assert_memory_equal(dx, want_clip, sizeof dx);
  const float gy[2] = {3, -6};
  float gx[6] = {0};
  global_avgpool_backward(gx, gy, 2, 3);
  const float want_gap[6] = {1, 1, 1, -2, -2, -2};
  assert_memory_equal(gx, want_gap, sizeof gx);
}


/* Every unary op with a backward rule against central differences of its
 * own forward (37 elements, away from the kinks at 0, +-2.5, +-3); dx
 * starts at 1 to check that gradients are added. */
static void test_unary_backward(void **state) {
  (void)state;
  static const struct {
    unary_op op;
    float a, b;
    int positive; /* domain x > 0 */
    const char *name;
  } ops[] = {
      {U_RELU, 0, 0, 0, "Relu"},         {U_LEAKY, 0.1f, 0, 0, "LeakyRelu"},
      {U_ELU, 0.7f, 0, 0, "Elu"},        {U_SIGMOID, 0, 0, 0, "Sigmoid"},
      {U_HSIGMOID, 0.2f, 0.5f, 0, "HardSigmoid"},
      {U_HSWISH, 0, 0, 0, "HardSwish"},  {U_TANH, 0, 0, 0, "Tanh"},
      {U_GELU, 0, 0, 0, "Gelu"},         {U_GELU_TANH, 0, 0, 0, "Gelu(tanh)"},
      {U_SOFTPLUS, 0, 0, 0, "Softplus"}, {U_EXP, 0, 0, 0, "Exp"},
      {U_LOG, 0, 0, 1, "Log"},           {U_SQRT, 0, 0, 1, "Sqrt"},
      {U_RECIP, 0, 0, 1, "Reciprocal"},  {U_ABS, 0, 0, 0, "Abs"},
      {U_NEG, 0, 0, 0, "Neg"},           {U_ERF, 0, 0, 0, "Erf"},
  };
  enum { K = 37 };
  const float kinks[5] = {0, -3, -2.5f, 2.5f, 3}, h = 1e-2f;
  for (size_t t = 0; t < sizeof ops / sizeof ops[0]; ++t) {
    float x[K], y[K], yp[K], ym[K], dx[K], xp[K], xm[K];
    float *r = rand_buf(K, 71 + (uint32_t)t), *u = rand_buf(K, 91);
    for (int i = 0; i < K; ++i) {
      x[i] = ops[t].positive ? 0.3f + 2 * fabsf(u[i]) : 4.5f * u[i];
      for (int j = 0; j < 5; ++j)
        if (fabsf(x[i] - kinks[j]) < 3 * h)
          x[i] = kinks[j] + 3 * h;
      xp[i] = x[i] + h, xm[i] = x[i] - h, dx[i] = 1;
    }
    unary_forward(y, x, K, ops[t].op, ops[t].a, ops[t].b);
    unary_forward(yp, xp, K, ops[t].op, ops[t].a, ops[t].b);
    unary_forward(ym, xm, K, ops[t].op, ops[t].a, ops[t].b);
    assert_int_equal(unary_backward(dx, r, x, y, K, ops[t].op, ops[t].a, ops[t].b), 0);
    double num[K];
    float got[K];
    for (int i = 0; i < K; ++i) {
      num[i] = r[i] * ((double)yp[i] - ym[i]) / (2 * h);
      got[i] = dx[i] - 1;
    }
    assert_grad(num, got, K, 3e-3, ops[t].name);
    free(r), free(u);
  }
  float one = 0;
  assert_int_equal(unary_backward(&one, &one, &one, &one, 1, U_FLOOR, 0, 0), -1);
}

static sp_tensor ftensor(float *data, int rank, const int64_t *dims) {
  sp_tensor t;
  memset(&t, 0, sizeof t);
  t.elem_type = RT_FLOAT;
  t.rank = rank;
  t.numel = 1;
  for (int d = 0; d < rank; ++d)
    t.dims[d] = dims[d], t.numel *= dims[d];
  t.data = data;
  return t;
}

/* sum r . a^b with a (2,3,5) and b (3,1) broadcast to (2,3,5), in double. */
static double pow_loss(const float *a, const float *b, const float *r) {
  double L = 0;
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int w = 0; w < 5; ++w) {
        int k = (n * 3 + c) * 5 + w;
        L += r[k] * pow(a[k], b[c]);
      }
  return L;
}

/* Pow's gradients for the base and a broadcast exponent, and Where's for
 * X and Y with a broadcast condition, through broadcast_grad. */
static void test_pow_where_backward(void **state) {
  (void)state;
  const int64_t ad[3] = {2, 3, 5}, bd[2] = {3, 1};
  float a[30], b[3] = {2.0f, 0.5f, -1.3f}, y[30], da[30] = {0}, db[3] = {0};
  float *r = rand_buf(30, 61), *u = rand_buf(30, 62);
  for (int i = 0; i < 30; ++i)
    a[i] = 0.4f + 1.5f * fabsf(u[i]);
  for (int i = 0; i < 30; ++i)
    y[i] = powf(a[i], b[(i / 5) % 3]);
  sp_tensor ta = ftensor(a, 3, ad), tb = ftensor(b, 2, bd), ty = ftensor(y, 3, ad);
  broadcast_grad(da, &ta, r, &ty, G_POW_A, &ta, &tb);
  broadcast_grad(db, &tb, r, &ty, G_POW_B, &ta, &ty);
  const double h = 1e-3;
  double num[30];
  float *params[2] = {a, b}, *grads[2] = {da, db};
  size_t sizes[2] = {30, 3};
  static const char *names[2] = {"Pow da", "Pow db"};
  for (int t = 0; t < 2; ++t) {
    for (size_t i = 0; i < sizes[t]; ++i) {
      float keep = params[t][i];
      params[t][i] = keep + (float)h;
      double up = pow_loss(a, b, r);
      params[t][i] = keep - (float)h;
      num[i] = (up - pow_loss(a, b, r)) / (2 * h);
      params[t][i] = keep;
    }
    assert_grad(num, grads[t], sizes[t], 2e-3, names[t]);
  }
  /* Where: cond (2,1,5), X (3,5), Y scalar -> (2,3,5) */
  const int64_t cd[3] = {2, 1, 5}, xd[2] = {3, 5}, sd[1] = {1};
  uint8_t cond[10] = {1, 0, 0, 1, 1, 0, 1, 0, 1, 1};
  float X[15] = {0}, Y[1] = {0}, dX[15] = {0}, dY[1] = {0};
  sp_tensor tc = ftensor((float *)cond, 3, cd), tx = ftensor(X, 2, xd), ts = ftensor(Y, 1, sd);
  tc.elem_type = RT_BOOL;
  broadcast_grad(dX, &tx, r, &ty, G_WHERE_T, &tc, NULL);
  broadcast_grad(dY, &ts, r, &ty, G_WHERE_F, &tc, NULL);
  double wantX[15] = {0}, wantY = 0;
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int w = 0; w < 5; ++w) {
        int k = (n * 3 + c) * 5 + w;
        if (cond[n * 5 + w])
          wantX[c * 5 + w] += r[k];
        else
          wantY += r[k];
      }
  assert_grad(wantX, dX, 15, 1e-5, "Where dX");
  assert_grad(&wantY, dY, 1, 1e-5, "Where dY");
  free(r), free(u);
}

/* ReduceMean over axes {0, 2} of (3,4,5): each element gets dy / 15 of its
 * slot; dx starts at 1 (accumulation). */
static void test_reduce_backward(void **state) {
  (void)state;
  const int64_t dims[3] = {3, 4, 5};
  const int mask[3] = {1, 0, 1};
  float *dy = rand_buf(4, 51), dx[60];
  for (int i = 0; i < 60; ++i)
    dx[i] = 1;
  reduce_sum_backward(dx, dy, 3, dims, mask, 1.0f / 15);
  double want[60];
  for (int i = 0; i < 60; ++i)
    want[i] = 1 + dy[(i / 5) % 4] / 15.0;
  assert_grad(want, dx, 60, 1e-6, "ReduceMean dx");
  /* all axes reduced (a scalar dy) */
  const int all[3] = {1, 1, 1};
  memset(dx, 0, sizeof dx);
  reduce_sum_backward(dx, dy, 3, dims, all, 2.0f);
  for (int i = 0; i < 60; ++i)
    want[i] = 2.0 * dy[0];
  assert_grad(want, dx, 60, 1e-6, "ReduceSum dx");
  free(dy);
}

/* LayerNormalization over (rows, cols) in double, for the differences. */
static double ln_loss(const float *x, const float *scale, const float *bias,
                      const float *r, int rows, int cols, double eps) {
  double L = 0;
  for (int i = 0; i < rows; ++i) {
    double m = 0, v = 0;
    for (int c = 0; c < cols; ++c)
      m += x[i * cols + c];
    m /= cols;
    for (int c = 0; c < cols; ++c)
      v += (x[i * cols + c] - m) * (x[i * cols + c] - m);
    v /= cols;
    for (int c = 0; c < cols; ++c)
      L += r[i * cols + c] * ((x[i * cols + c] - m) / sqrt(v + eps) * scale[c] + bias[c]);
  }
  return L;
}

static void test_layernorm_backward(void **state) {
  (void)state;
  const int rows = 3, cols = 7;
  float *x = rand_buf(21, 81), *scale = rand_buf(7, 82), *bias = rand_buf(7, 83);
  float *r = rand_buf(21, 84), dx[21] = {0}, dscale[7] = {0}, dbias[7] = {0};
  layernorm_backward(dx, dscale, dbias, r, x, scale, 1e-5f, rows, cols);
  const double h = 1e-3;
  double num[21];
  float *params[3] = {x, scale, bias}, *grads[3] = {dx, dscale, dbias};
  size_t sizes[3] = {21, 7, 7};
  static const char *names[3] = {"LayerNorm dx", "dscale", "dbias"};
  for (int t = 0; t < 3; ++t) {
    for (size_t i = 0; i < sizes[t]; ++i) {
      float keep = params[t][i];
      params[t][i] = keep + (float)h;
      double up = ln_loss(x, scale, bias, r, rows, cols, 1e-5);
      params[t][i] = keep - (float)h;
      num[i] = (up - ln_loss(x, scale, bias, r, rows, cols, 1e-5)) / (2 * h);
      params[t][i] = keep;
    }
    assert_grad(num, grads[t], sizes[t], 2e-3, names[t]);
  }
  /* without scale (ones) and bias, only dx */
  float ones[7] = {1, 1, 1, 1, 1, 1, 1}, zeros[7] = {0}, dx2[21] = {0};
  layernorm_backward(dx2, NULL, NULL, r, x, NULL, 1e-5f, rows, cols);
  for (size_t i = 0; i < 21; ++i) {
    float keep = x[i];
    x[i] = keep + (float)h;
    double up = ln_loss(x, ones, zeros, r, rows, cols, 1e-5);
    x[i] = keep - (float)h;
    num[i] = (up - ln_loss(x, ones, zeros, r, rows, cols, 1e-5)) / (2 * h);
    x[i] = keep;
  }
  assert_grad(num, dx2, 21, 2e-3, "LayerNorm dx without scale");
  free(x), free(scale), free(bias), free(r);
}

/* Pad's forward index map, written out for the test (ONNX semantics). */
static int64_t ref_pad_src(int64_t j, int64_t dim, int mode) {
  if (j >= 0 && j < dim)
    return j;
  if (mode == 0)
    return -1;
  if (mode == 2)
    return j < 0 ? 0 : dim - 1;
  while (j < 0 || j >= dim) /* reflect without repeating the edge */
    j = j < 0 ? -j : 2 * (dim - 1) - j;
  return j;
}

/* The data-movement backwards are the adjoints of linear maps: for
 * y = P x, <r, P x> = <P^T r, x> for any r, x, and P^T r is the gradient. Each
 * is checked by that identity against a naive forward P. */
static void test_movement_backward(void **state) {
  (void)state;
  /* Slice of x (4,7; 30 floats for the Gather below) rows 3..0 step -2, cols 1..6 step 2 -> (2,3) */
  float *x = rand_buf(30, 101), *r = rand_buf(28, 102), dx[28] = {0};
  const int64_t ydims[2] = {2, 3}, yst[2] = {3, 1}, xst[2] = {-2 * 7, 2};
  strided_add(dx + 3 * 7 + 1, xst, r, yst, 2, ydims);
  double lhs = 0;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      lhs += (double)r[i * 3 + j] * x[(3 - 2 * i) * 7 + 1 + 2 * j];
  assert_true(fabs(lhs - dot(dx, x, 28)) < 1e-5);
  /* Expand (3,1) -> (2,3,4): stride-0 destination dims sum */
  const int64_t edims[3] = {2, 3, 4}, ex_st[3] = {0, 1, 0}, ey_st[3] = {12, 4, 1};
  float dex[3] = {0};
  strided_add(dex, ex_st, r, ey_st, 3, edims);
  lhs = 0;
  for (int i = 0; i < 24; ++i)
    lhs += (double)r[i] * x[(i / 4) % 3];
  assert_true(fabs(lhs - dot(dex, x, 3)) < 1e-5);
  /* Gather rows of x (2,5,3) along axis 1 by indices (2,2) with a repeat
   * and a negative index -> y (2,2,2,3) */
  const int64_t idx[4] = {4, -1, 0, 2};
  float dg[30] = {0};
  gather_backward(dg, r, idx, 4, 2, 5, 3);
  lhs = 0;
  for (int o = 0; o < 2; ++o)
    for (int j = 0; j < 4; ++j)
      for (int e = 0; e < 3; ++e) {
        int64_t i = idx[j] < 0 ? idx[j] + 5 : idx[j];
        lhs += (double)r[(o * 4 + j) * 3 + e] * x[(o * 5 + i) * 3 + e];
      }
  assert_true(fabs(lhs - dot(dg, x, 30)) < 1e-5);
  /* Pad x (3,4) by (1,3 | 2,-1) in each mode -> (6,6); reflect by up to
   * dim - 1 (ONNX's limit) */
  const int64_t pxd[2] = {3, 4}, pyd[2] = {6, 6}, pads[4] = {1, 3, 2, -1};
  float *pr = rand_buf(36, 103);
  for (int mode = 0; mode < 3; ++mode) {
    float dp[12] = {0};
    pad_backward(dp, pr, 2, pxd, pyd, pads, mode);
    lhs = 0;
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) {
        int64_t si = ref_pad_src(i - 1, 3, mode), sj = ref_pad_src(j - 3, 4, mode);
        if (si >= 0 && sj >= 0)
          lhs += (double)pr[i * 6 + j] * x[si * 4 + sj];
      }
    if (!(fabs(lhs - dot(dp, x, 12)) < 1e-5))
      fail_msg("pad mode %d: <r, P x> %g != <P^T r, x> %g", mode, lhs, dot(dp, x, 12));
  }
  free(x), free(r), free(pr);
}

/* sgemm_forward of a row vector (M = 1) against a transposed matrix big
 * enough that threads split its rows (a classifier head): c = alpha a b^T +
 * beta c, with a read at a stride (ta), at 1, 2 and 3 threads. */
static void test_gemv_rows(void **state) {
  (void)state;
  const int N = 1003, K = 517, lda = 3;
  float *a = rand_buf((size_t)K * lda, 121), *b = rand_buf((size_t)N * K, 122);
  float *c0 = rand_buf((size_t)N, 123), *c = malloc((size_t)N * sizeof *c);
  float *ref = malloc((size_t)N * sizeof *ref);
  for (int n = 0; n < N; ++n) {
    double dot = 0;
    for (int k = 0; k < K; ++k)
      dot += (double)a[(size_t)k * lda] * b[(size_t)n * K + k];
    ref[n] = (float)(0.5 * dot + 2.0 * c0[n]);
  }
  int threads = omp_get_max_threads();
  for (int t = 1; t <= 3; ++t) {
    omp_set_num_threads(t);
    memcpy(c, c0, (size_t)N * sizeof *c);
    sgemm_forward(1, 1, 1, N, K, 0.5f, a, lda, b, K, 2.0f, c, N);
    assert_close(c, ref, (size_t)N, 1e-4f);
  }
  omp_set_num_threads(threads);
  free(a), free(b), free(c0), free(c), free(ref);
}

/* Dropout: the kept fraction is 1 - ratio, kept elements are scaled by
 * 1/(1 - ratio), the mask depends on the stream only (not the thread
 * count), and the backward passes dy exactly where the forward kept x. */
static void test_dropout(void **state) {
  (void)state;
  const int64_t k = 100003;
  const float ratio = 0.3f;
  float *x = rand_buf((size_t)k, 111), *y1 = malloc((size_t)k * sizeof *y1);
  float *y2 = malloc((size_t)k * sizeof *y2), *dx = calloc((size_t)k, sizeof *dx);
  uint8_t *m1 = malloc((size_t)k), *m2 = malloc((size_t)k);
  int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  dropout_forward(y1, m1, x, k, ratio, 42);
  omp_set_num_threads(threads > 1 ? threads : 2);
  dropout_forward(y2, m2, x, k, ratio, 42);
  omp_set_num_threads(threads);
  assert_memory_equal(m1, m2, (size_t)k);
  assert_memory_equal(y1, y2, (size_t)k * sizeof *y1);
  int64_t dropped = 0;
  for (int64_t i = 0; i < k; ++i) {
    dropped += !m1[i];
    assert_true(m1[i] ? fabsf(y1[i] - x[i] / 0.7f) <= 1e-6f : y1[i] == 0);
  }
  double frac = (double)dropped / (double)k;
  if (!(fabs(frac - ratio) < 0.01))
    fail_msg("dropped %.4f of the elements, wanted %.2f", frac, (double)ratio);
  dropout_forward(y2, m2, x, k, ratio, 43); /* another stream differs */
  assert_true(memcmp(m1, m2, (size_t)k) != 0);
  dropout_backward(dx, x, m1, k, ratio); /* dy = x: dx = y1 */
  for (int64_t i = 0; i < k; ++i)
    assert_true(fabsf(dx[i] - y1[i]) <= 1e-6f);
  free(x), free(y1), free(y2), free(dx), free(m1), free(m2);
}

static void test_op_table_sorted(void **state) {
  (void)state;
  const rt_kernels *set = &rt_kernel_set; /* this ISA's table */
  assert_string_equal(set->isa, SP_KERNEL_ISA_NAME);
  for (size_t i = 1; i < set->n_ops; ++i)
    assert_true(strcmp(set->ops[i - 1].name, set->ops[i].name) < 0);
  /* the active set (whichever the CPU picked) has the same op types */
  const char *name;
  size_t i = 0;
  for (; (name = rt_op_at(i)); ++i) {
    assert_true(i < set->n_ops);
    assert_string_equal(name, set->ops[i].name);
    assert_non_null(rt_op_find("", name));
  }
  assert_int_equal(i, set->n_ops);
  assert_null(rt_op_find("", "NoSuchOp"));
  assert_null(rt_op_find("com.microsoft", "Conv"));
}

int main(void) {
  /* kernels of a set this CPU cannot run would die of SIGILL: skip (ctest
   * SKIP_RETURN_CODE) */
  if (!sp_runtime_isa_supported(SP_KERNEL_ISA_NAME)) {
    printf("test_kernels: this CPU cannot run the %s kernels; skipped\n",
           SP_KERNEL_ISA_NAME);
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conv_shapes),
      cmocka_unit_test(test_pointwise),
      cmocka_unit_test(test_winograd),
      cmocka_unit_test(test_direct3x3),
      cmocka_unit_test(test_direct3x3_preferred),
      cmocka_unit_test(test_pointwise_blas_preferred),
      cmocka_unit_test(test_batchnorm),
      cmocka_unit_test(test_layernorm),
      cmocka_unit_test(test_softmax),
      cmocka_unit_test(test_gemv_rows),
      cmocka_unit_test(test_op_table_sorted),
      cmocka_unit_test(test_conv_backward),
      cmocka_unit_test(test_conv_backward_winograd_batch),
      cmocka_unit_test(test_batchnorm_backward),
      cmocka_unit_test(test_small_backward),
      cmocka_unit_test(test_unary_backward),
      cmocka_unit_test(test_pow_where_backward),
      cmocka_unit_test(test_reduce_backward),
      cmocka_unit_test(test_layernorm_backward),
      cmocka_unit_test(test_movement_backward),
      cmocka_unit_test(test_dropout),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

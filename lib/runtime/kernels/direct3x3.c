/* direct3x3.c - direct 3x3 stride-1 "same" convolution for small maps
 * (7x7 .. 28x28), where Winograd's tile transforms and its padding to even
 * tiles cost more than the 2.25x fewer multiplies save (Fashion's 64-channel
 * 7x7 conv: Winograd 0.086 ms, this 0.03 ms on Zen 5, one thread).
 *
 * The input is copied once into a zero-padded (C, H+2, W+2) image. On that
 * image output (oh, ow) reads tap (kh, kw) at q + kh (W+2) + kw with
 * q = oh (W+2) + ow, so computing every q of the grid (H, W+2) (the two
 * extra columns are discarded) makes each tap one contiguous vector load:
 * no im2col and no transforms. Registers hold 6 output channels x 64
 * positions; weights are packed (M/6, C, 9, 6) so the 6 of one tap are
 * adjacent. Only sp-translate --emit-c chooses it (sp-run keeps Winograd). */
#include <string.h>

#include "kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#define MB 6  /* output channels per register block */
#define QV 16 /* positions per vector */
#define QB 4  /* vectors per register block */

int direct3x3_applies(const conv_params *p) {
  return p->group == 1 && p->in[0] == 1 && p->k[0] == 1 && p->k[1] == 3 && p->k[2] == 3 &&
         p->stride[1] == 1 && p->stride[2] == 1 && p->dil[1] == 1 && p->dil[2] == 1 &&
         p->pad[1] == 1 && p->pad[2] == 1 && p->out[1] == p->in[1] &&
         p->out[2] == p->in[2] && p->in[1] * (p->in[2] + 2) <= 1024;
}

size_t direct3x3_weights_floats(int M, int C) {
  return (size_t)(M + MB - 1) / MB * MB * (size_t)C * 9;
}

/* wd (ceil(M/6), C, 9, 6) from w (M, C, 3, 3); rows past M are zero. */
void direct3x3_weights(float *wd, const float *w, int M, int C) {
  const int blocks = (M + MB - 1) / MB;
  for (int b = 0; b < blocks; ++b)
    for (int c = 0; c < C; ++c)
      for (int t = 0; t < 9; ++t)
        for (int r = 0; r < MB; ++r) {
          int m = b * MB + r;
          wd[(((size_t)b * C + c) * 9 + t) * MB + r] =
              m < M ? w[((size_t)m * C + c) * 9 + t] : 0.0f;
        }
}

static int grid_vectors(const conv_params *p) {
  return (p->in[1] * (p->in[2] + 2) + QV - 1) / QV;
}

/* padded image: C planes of (H+2)(W+2), then a tail the last vectors of
 * the last plane read past; then per thread (6, grid) results */
size_t direct3x3_scratch_floats(const conv_params *p) {
  const size_t plane = (size_t)(p->in[1] + 2) * (p->in[2] + 2);
  return (size_t)p->C * plane + 2 * QV + (size_t)rt_threads() * MB * grid_vectors(p) * QV;
}

/* acc (6, nv*16) = sum over c, taps of wd (c, tap, 6) x img (c, q0 + tap offset) */
static inline __attribute__((always_inline)) void
block_product(float *acc, const float *img, const float *wd, int C, size_t plane, int pw,
              int q0, const int nv, int stride) {
#if defined(__AVX512F__)
  __m512 a[MB][QB];
  for (int r = 0; r < MB; ++r)
    for (int v = 0; v < QB; ++v)
      a[r][v] = _mm512_setzero_ps();
  for (int c = 0; c < C; ++c) {
    const float *x = img + (size_t)c * plane + q0;
    for (int t = 0; t < 9; ++t, wd += MB) {
      const float *xt = x + (t / 3) * pw + t % 3;
      __m512 xv[QB];
      for (int v = 0; v < nv; ++v)
        xv[v] = _mm512_loadu_ps(xt + v * QV);
      for (int r = 0; r < MB; ++r) {
        __m512 w = _mm512_set1_ps(wd[r]);
        for (int v = 0; v < nv; ++v)
          a[r][v] = _mm512_fmadd_ps(w, xv[v], a[r][v]);
      }
    }
  }
  for (int r = 0; r < MB; ++r)
    for (int v = 0; v < nv; ++v)
      _mm512_storeu_ps(acc + (size_t)r * stride + q0 + v * QV, a[r][v]);
#else
  float a[MB][QB * QV];
  memset(a, 0, sizeof a);
  for (int c = 0; c < C; ++c) {
    const float *x = img + (size_t)c * plane + q0;
    for (int t = 0; t < 9; ++t, wd += MB) {
      const float *xt = x + (t / 3) * pw + t % 3;
      for (int r = 0; r < MB; ++r)
        for (int l = 0; l < nv * QV; ++l)
          a[r][l] += wd[r] * xt[l];
    }
  }
  for (int r = 0; r < MB; ++r)
    memcpy(acc + (size_t)r * stride + q0, a[r], sizeof(float) * nv * QV);
#endif
}

/* out is (N,M,H,W), inp is (N,C,H,W), wd from direct3x3_weights; scratch
 * holds direct3x3_scratch_floats(p) floats. */
void direct3x3_forward(float *out, const float *inp, const float *wd, const conv_params *p,
                       const epilogue *ep, float *scratch) {
  const int C = p->C, M = p->M, H = p->in[1], W = p->in[2], pw = W + 2;
  const size_t plane = (size_t)(H + 2) * pw;
  const int nvec = grid_vectors(p), grid = nvec * QV, blocks = (M + MB - 1) / MB;
  const int threads = rt_threads();
  float *img = scratch, *results = scratch + (size_t)C * plane + 2 * QV;
  const int parallel = threads > 1 && (double)M * C * H * W > 2e5;
  (void)parallel; /* read by the pragma only: unused without OpenMP */
  for (int n = 0; n < p->N; ++n) {
    const float *x = inp + (size_t)n * C * H * W;
    float *y = out + (size_t)n * M * H * W;
    const float *res = ep && ep->residual ? ep->residual + (size_t)n * M * H * W : NULL;
    memset(img, 0, sizeof(float) * ((size_t)C * plane + 2 * QV));
    for (int c = 0; c < C; ++c)
      for (int h = 0; h < H; ++h)
        memcpy(img + (size_t)c * plane + (size_t)(h + 1) * pw + 1, x + ((size_t)c * H + h) * W,
               sizeof(float) * W);
#pragma omp parallel for schedule(static) num_threads(threads) if (parallel)
    for (int b = 0; b < blocks; ++b) {
      float *acc = results + (size_t)rt_thread_num() * MB * grid;
      const float *wb = wd + (size_t)b * C * 9 * MB;
      int q0 = 0;
      for (; q0 + QB * QV <= grid; q0 += QB * QV)
        block_product(acc, img, wb, C, plane, pw, q0, QB, grid);
      switch ((grid - q0) / QV) {
      case 3: block_product(acc, img, wb, C, plane, pw, q0, 3, grid); break;
      case 2: block_product(acc, img, wb, C, plane, pw, q0, 2, grid); break;
      case 1: block_product(acc, img, wb, C, plane, pw, q0, 1, grid); break;
      default: break;
      }
      /* the grid's valid columns, + bias + residual, activation */
      for (int r = 0; r < MB && b * MB + r < M; ++r) {
        const int m = b * MB + r;
        const float bias = ep && ep->bias ? ep->bias[m] : 0.0f;
        const rt_act act = ep ? ep->act : RT_ACT_NONE;
        const float lo = act == RT_ACT_CLIP ? ep->a : 0.0f;
        const float hi = act == RT_ACT_CLIP ? ep->b : 0.0f;
        for (int h = 0; h < H; ++h) {
          const float *src = acc + (size_t)r * grid + (size_t)h * pw;
          float *dst = y + ((size_t)m * H + h) * W;
          const float *rr = res ? res + ((size_t)m * H + h) * W : NULL;
          for (int w = 0; w < W; ++w) {
            float v = src[w] + bias + (rr ? rr[w] : 0.0f);
            if (act == RT_ACT_RELU)
              v = v > 0.0f ? v : 0.0f;
            else if (act == RT_ACT_CLIP)
              v = v < lo ? lo : v > hi ? hi : v;
            dst[w] = v;
          }
        }
      }
    }
  }
}

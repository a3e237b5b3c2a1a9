/* pointwise.c - 1x1 stride-1 group-1 convs as y (M,P) = w (M,C) @ x (C,P)
 * without packing x: w is packed once per plan into 6-row panels, and a 6x16
 * AVX2/FMA micro-kernel reads x rows in place (stride P), applying bias,
 * residual and the clamp in registers before the only store of y. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* The vector micro-kernel of this kernel set (kernels are compiled once per
 * ISA level); the generic set has none and leaves 1x1 convs to OpenBLAS. */
#if defined(__AVX2__) && defined(__FMA__)
#define SIMD_TILE 1
#include <immintrin.h>
#else
#define SIMD_TILE 0
#endif

#define MR 6 /* rows of w per panel */
#if defined(__AVX512F__)
#define TILE_AVX512 1
#define NR 32 /* columns of x per strip (two zmm) */
#else
#define TILE_AVX512 0
#define NR 16 /* columns of x per strip (two ymm) */
#endif
/* Floats of x per column block: it stays in L2 while every panel of w
 * passes over it (each panel, 6*C floats, stays in L1). */
#define BLOCK_FLOATS (64 * 1024)
/* Tails of at most this many columns go column by column (a 16-wide masked
 * tile costs as much as 16 columns). */
#define COLUMN_TAIL 4

int packed_gemm_applies(int M, int K, int64_t P) {
  (void)M;
  /* AVX2 set, measured (one thread, Zen 3's OpenBLAS Zen kernels): OpenBLAS,
   * which packs x into contiguous panels, is 7-15% faster once K >= 256 on
   * maps of 14x14 and up. The 6x32 AVX-512 tiles tie it there at one thread
   * and scale better at two (Zen 4, 2 threads, ratio to ORT: resnet50 1.38 ->
   * 1.07, mobilenet_v2 1.38 -> 1.07), so that set takes every shape. */
  return SIMD_TILE && (TILE_AVX512 || !(K >= 256 && P >= 196));
}

/* AVX-512 set at one thread: OpenBLAS's SGEMM (Cooperlake kernels) beats
 * the 6x32 tiles on 1x1 convs with K >= 1024 over maps of 14x14 and up
 * (Zen 5, resnet50's 1024 -> 256 convs 0.61 -> 0.54 ms, 1024 -> 512 1.18 ->
 * 1.07); at K 512 (28x28: 0.46 -> 0.52), on 7x7 maps (0.60 -> 0.79) and for
 * 3x3 im2col products (K 1152: 1.22 -> 1.41) it loses. */
int pointwise_blas_preferred(const conv_params *p) {
  return TILE_AVX512 && pointwise_applies(p) && p->C >= 1024 &&
         (int64_t)p->out[0] * p->out[1] * p->out[2] >= 196 && rt_threads() == 1;
}

int pointwise_applies(const conv_params *p) {
  for (int d = 0; d < 3; ++d)
    if (p->k[d] != 1 || p->stride[d] != 1 || p->pad[d] != 0)
      return 0;
  return p->group == 1 && SIMD_TILE;
}

size_t pointwise_packed_floats(int M, int C) {
  /* + 2: the column kernel loads 8 floats from the last 6 */
  return (size_t)(M + MR - 1) / MR * MR * (size_t)C + 2;
}

void pointwise_pack(float *wp, const float *w, int M, int C) {
  for (int m0 = 0; m0 < M; m0 += MR)
    for (int c = 0; c < C; ++c)
      for (int r = 0; r < MR; ++r)
        *wp++ = m0 + r < M ? w[(size_t)(m0 + r) * C + c] : 0.0f;
  wp[0] = wp[1] = 0.0f;
}

/* What the epilogue of one tile needs; bias and res point at the tile's
 * first row (res at its first element). */
typedef struct tile_ep {
  const float *bias, *res;
  int clamp;
  float lo, hi;
} tile_ep;

#if !SIMD_TILE
/* y (rows<=6, cols<=16), row stride P = wp panel (C,6) @ x (C, cols). */
static void tile_generic(float *y, const float *x, const float *wp, int C,
                         int64_t P, int64_t ldx, int rows, int cols, const tile_ep *e) {
  float acc[MR][NR];
  memset(acc, 0, sizeof acc);
  for (int c = 0; c < C; ++c, x += ldx, wp += MR)
    for (int r = 0; r < MR; ++r)
      for (int j = 0; j < cols; ++j)
        acc[r][j] += wp[r] * x[j];
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < cols; ++j) {
      float v = acc[r][j] + (e->bias ? e->bias[r] : 0.0f);
      if (e->res)
        v += e->res[r * P + j];
      if (e->clamp)
        v = v < e->lo ? e->lo : v > e->hi ? e->hi : v;
      y[r * P + j] = v;
    }
}
#else

/* One column of a tile (a short tail, e.g. the 49th of a 7x7 map): the 6
 * rows of the panel are one vector, x[c] is broadcast; four accumulators
 * over c mod 4 hide the FMA latency. */
static void column_avx2(float *y, const float *x, const float *wp, int C,
                        int64_t P, int64_t ldx, int rows, const tile_ep *e) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  int c = 0;
  for (; c + 3 < C; c += 4, x += 4 * ldx, wp += 4 * MR) {
    acc0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x), _mm256_loadu_ps(wp), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + ldx),
                           _mm256_loadu_ps(wp + MR), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + 2 * ldx),
                           _mm256_loadu_ps(wp + 2 * MR), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + 3 * ldx),
                           _mm256_loadu_ps(wp + 3 * MR), acc3);
  }
  for (; c < C; ++c, x += ldx, wp += MR)
    acc0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x), _mm256_loadu_ps(wp), acc0);
  acc0 = _mm256_add_ps(acc0, acc2), acc1 = _mm256_add_ps(acc1, acc3);
  float v[8];
  _mm256_storeu_ps(v, _mm256_add_ps(acc0, acc1));
  for (int r = 0; r < rows; ++r) {
    float t = v[r] + (e->bias ? e->bias[r] : 0.0f);
    if (e->res)
      t += e->res[r * P];
    if (e->clamp)
      t = t < e->lo ? e->lo : t > e->hi ? e->hi : t;
    y[r * P] = t;
  }
}

#if !TILE_AVX512
/* One row of the epilogue: + bias + residual, clamp (NaN passes, as in
 * tile_clamp), store; masked when the strip is short. */
#define EP_ROW(r)                                                              \
  if (r < rows) {                                                              \
    __m256 v0 = a##r##0, v1 = a##r##1;                                         \
    if (e->bias) {                                                             \
      __m256 b = _mm256_broadcast_ss(e->bias + r);                             \
      v0 = _mm256_add_ps(v0, b), v1 = _mm256_add_ps(v1, b);                    \
    }                                                                          \
    if (e->res) {                                                              \
      const float *rr = e->res + r * P;                                        \
      v0 = _mm256_add_ps(v0, full ? _mm256_loadu_ps(rr)                        \
                                  : _mm256_maskload_ps(rr, m0));               \
      v1 = _mm256_add_ps(v1, full ? _mm256_loadu_ps(rr + 8)                    \
                                  : _mm256_maskload_ps(rr + 8, m1));           \
    }                                                                          \
    if (e->clamp) {                                                            \
      v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, v0));                           \
      v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, v1));                           \
    }                                                                          \
    float *yr = y + r * P;                                                     \
    if (full) {                                                                \
      _mm256_storeu_ps(yr, v0), _mm256_storeu_ps(yr + 8, v1);                  \
    } else {                                                                   \
      _mm256_maskstore_ps(yr, m0, v0), _mm256_maskstore_ps(yr + 8, m1, v1);    \
    }                                                                          \
  }

#define FMA_ROW(r)                                                             \
  {                                                                            \
    __m256 w = _mm256_broadcast_ss(wp + r);                                    \
    a##r##0 = _mm256_fmadd_ps(w, x0, a##r##0);                                 \
    a##r##1 = _mm256_fmadd_ps(w, x1, a##r##1);                                 \
  }

/* As tile_generic: 12 accumulators, each c loads two x vectors and
 * broadcasts 6 weights. full: cols == 16 (no masks). */
static inline __attribute__((always_inline)) void
tile_avx2(float *y, const float *x, const float *wp, int C, int64_t P,
          int64_t ldx, int rows, int cols, const tile_ep *e, const int full) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lane);
  const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8), lane);
  __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00;
  __m256 a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  __m256 a40 = a00, a41 = a00, a50 = a00, a51 = a00;
  /* the next panel's weights are fetched while this one computes (see
   * tile_avx512) */
  const char *pf = (const char *)(wp + (size_t)MR * C);
  for (int c = 0; c < C; ++c, x += ldx, wp += MR, pf += MR * sizeof(float)) {
    _mm_prefetch(pf, _MM_HINT_T0);
    __m256 x0 = full ? _mm256_loadu_ps(x) : _mm256_maskload_ps(x, m0);
    __m256 x1 = full ? _mm256_loadu_ps(x + 8) : _mm256_maskload_ps(x + 8, m1);
    FMA_ROW(0) FMA_ROW(1) FMA_ROW(2) FMA_ROW(3) FMA_ROW(4) FMA_ROW(5)
  }
  const __m256 lo = _mm256_set1_ps(e->lo), hi = _mm256_set1_ps(e->hi);
  EP_ROW(0) EP_ROW(1) EP_ROW(2) EP_ROW(3) EP_ROW(4) EP_ROW(5)
}

/* y (rows, cols<=16) of one strip. */
static void tile_simd(float *y, const float *x, const float *wp, int C,
                      int64_t P, int64_t ldx, int rows, int cols, const tile_ep *e) {
  if (cols == NR)
    tile_avx2(y, x, wp, C, P, ldx, rows, NR, e, 1);
  else
    tile_avx2(y, x, wp, C, P, ldx, rows, cols, e, 0);
}
#else
/* As EP_ROW for zmm: masked by k0/k1 when the strip is short. */
#define EP_ROW512(r)                                                           \
  if (r < rows) {                                                              \
    __m512 v0 = a##r##0, v1 = a##r##1;                                         \
    if (e->bias) {                                                             \
      __m512 b = _mm512_set1_ps(e->bias[r]);                                   \
      v0 = _mm512_add_ps(v0, b), v1 = _mm512_add_ps(v1, b);                    \
    }                                                                          \
    if (e->res) {                                                              \
      const float *rr = e->res + r * P;                                        \
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(k0, rr));                   \
      if (vecs == 2)                                                           \
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(k1, rr + 16));            \
    }                                                                          \
    if (e->clamp) {                                                            \
      v0 = _mm512_min_ps(hi, _mm512_max_ps(lo, v0));                           \
      v1 = _mm512_min_ps(hi, _mm512_max_ps(lo, v1));                           \
    }                                                                          \
    float *yr = y + r * P;                                                     \
    _mm512_mask_storeu_ps(yr, k0, v0);                                         \
    if (vecs == 2)                                                             \
      _mm512_mask_storeu_ps(yr + 16, k1, v1);                                  \
  }

#define FMA_ROW512(r)                                                          \
  {                                                                            \
    __m512 w = _mm512_set1_ps(wp[r]);                                          \
    a##r##0 = _mm512_fmadd_ps(w, x0, a##r##0);                                 \
    if (vecs == 2)                                                             \
      a##r##1 = _mm512_fmadd_ps(w, x1, a##r##1);                               \
  }

/* As tile_avx2 with zmm: 6 rows x (16 vecs) columns, 12 accumulators at
 * vecs == 2; short strips load and store under masks. */
static inline __attribute__((always_inline)) void
tile_avx512(float *y, const float *x, const float *wp, int C, int64_t P,
            int64_t ldx, int rows, int cols, const tile_ep *e, const int vecs) {
  const __mmask16 k0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
  const __mmask16 k1 = cols >= 32   ? 0xffff
                       : cols <= 16 ? 0
                                    : (__mmask16)((1u << (cols - 16)) - 1);
  __m512 a00 = _mm512_setzero_ps(), a01 = a00, a10 = a00, a11 = a00;
  __m512 a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  __m512 a40 = a00, a41 = a00, a50 = a00, a51 = a00;
  /* The weights come from memory once per run (resnet50: 100 MB, more than
   * L3), and the hardware prefetchers leave most of that latency exposed on
   * small maps: the next panel's are fetched while this one computes (cold
   * weights, one thread, Zen 5: 2048x512 @ 512x49 0.90 -> 0.59 ms) */
  const char *pf = (const char *)(wp + (size_t)MR * C);
  for (int c = 0; c < C; ++c, x += ldx, wp += MR, pf += MR * sizeof(float)) {
    _mm_prefetch(pf, _MM_HINT_T0);
    __m512 x0 = k0 == 0xffff ? _mm512_loadu_ps(x) : _mm512_maskz_loadu_ps(k0, x);
    __m512 x1 = _mm512_setzero_ps();
    if (vecs == 2)
      x1 = k1 == 0xffff ? _mm512_loadu_ps(x + 16) : _mm512_maskz_loadu_ps(k1, x + 16);
    FMA_ROW512(0) FMA_ROW512(1) FMA_ROW512(2)
    FMA_ROW512(3) FMA_ROW512(4) FMA_ROW512(5)
  }
  const __m512 lo = _mm512_set1_ps(e->lo), hi = _mm512_set1_ps(e->hi);
  EP_ROW512(0) EP_ROW512(1) EP_ROW512(2) EP_ROW512(3) EP_ROW512(4) EP_ROW512(5)
}

/* y (rows, cols<=32) of one strip: one zmm of columns when 16 do. */
static void tile_simd(float *y, const float *x, const float *wp, int C,
                      int64_t P, int64_t ldx, int rows, int cols, const tile_ep *e) {
  if (cols > 16)
    tile_avx512(y, x, wp, C, P, ldx, rows, cols, e, 2);
  else
    tile_avx512(y, x, wp, C, P, ldx, rows, cols, e, 1);
}
#endif
#endif

/* Panels [p0, p1) over column strips [s0, s1) of y (M, ncols) = w @ x,
 * with rows of y (and the residual) P floats apart and those of x ldx (both
 * ncols for a whole image). */
static void run_block(float *y, const float *x, int64_t ldx, const float *wp,
                      int M, int C, int64_t P, int64_t ncols, int p0, int p1,
                      int64_t s0, int64_t s1, const epilogue *ep) {
  tile_ep e = {NULL, NULL, 0, -INFINITY, INFINITY};
  if (ep && ep->act == RT_ACT_RELU)
    e.clamp = 1, e.lo = 0;
  else if (ep && ep->act == RT_ACT_CLIP)
    e.clamp = 1, e.lo = ep->a, e.hi = ep->b;
  for (int pn = p0; pn < p1; ++pn) {
    int m0 = pn * MR, rows = M - m0 < MR ? M - m0 : MR;
    const float *wpp = wp + (size_t)pn * MR * C;
    e.bias = ep && ep->bias ? ep->bias + m0 : NULL;
    for (int64_t s = s0; s < s1; ++s) {
      int64_t j0 = s * NR;
      int cols = ncols - j0 < NR ? (int)(ncols - j0) : NR;
      float *yt = y + (int64_t)m0 * P + j0;
      e.res = ep && ep->residual ? ep->residual + (int64_t)m0 * P + j0 : NULL;
#if SIMD_TILE
      if (cols <= COLUMN_TAIL)
        for (int j = 0; j < cols; ++j) {
          tile_ep ej = e;
          ej.res = e.res ? e.res + j : NULL;
          column_avx2(yt + j, x + j0 + j, wpp, C, P, ldx, rows, &ej);
        }
      else
        tile_simd(yt, x + j0, wpp, C, P, ldx, rows, cols, &e);
#else
      tile_generic(yt, x + j0, wpp, C, P, ldx, rows, cols, &e);
#endif
    }
  }
}

void packed_gemm_forward(float *y, const float *x, const float *wp, int M,
                         int K, int64_t P, const epilogue *ep) {
  if (M <= 0 || P <= 0)
    return;
  const int panels = (M + MR - 1) / MR;
  const int64_t strips = (P + NR - 1) / NR;
  int64_t sb = BLOCK_FLOATS / ((int64_t)NR * (K > 0 ? K : 1));
  sb = sb < 1 ? 1 : sb;
  int64_t blocks = (strips + sb - 1) / sb;
  int T = (double)M * K * P < 1e6 ? 1 : rt_threads();
  int groups = 1; /* panel groups: threads split rows when columns are few */
  if (T > 1 && strips >= 4 * T) {
    blocks = (blocks + T - 1) / T * T;
    sb = (strips + blocks - 1) / blocks;
    blocks = (strips + sb - 1) / sb;
    /* the busiest thread's columns against the busiest panel group's rows:
     * 14x14 maps have 13 strips, the last of 4 columns, split 112/84, where
     * panels split evenly (mobilenet_v2, 2 threads: 5.70 -> 5.60 ms with
     * close vCPUs, 9.1 -> 8.7 ms far apart) */
    int64_t cols = (blocks + T - 1) / T * sb * NR;
    cols = cols < P ? cols : P;
    int64_t rows = (int64_t)((panels + T - 1) / T) * MR;
    rows = rows < M ? rows : M;
    if (panels >= T && rows * P * 100 < cols * M * 95)
      groups = T, blocks = 1, sb = strips;
  } else if (T > 1) {
    groups = T < panels ? T : panels;
  }
  sb = (strips + blocks - 1) / blocks;
  blocks = (strips + sb - 1) / sb;
  const int64_t tasks = blocks * groups;
#pragma omp parallel for schedule(static) if (T > 1 && tasks > 1)
  for (int64_t t = 0; t < tasks; ++t) {
    int64_t b = t % blocks;
    int g = (int)(t / blocks);
    int64_t s0 = b * sb, s1 = s0 + sb < strips ? s0 + sb : strips;
    int p0 = (int)((int64_t)g * panels / groups);
    int p1 = (int)((int64_t)(g + 1) * panels / groups);
    run_block(y, x, P, wp, M, K, P, P, p0, p1, s0, s1, ep);
  }
}

void packed_gemm_serial(float *y, const float *x, const float *wp, int M,
                        int K, int64_t P, const epilogue *ep) {
  run_block(y, x, P, wp, M, K, P, P, 0, (M + MR - 1) / MR, 0, (P + NR - 1) / NR, ep);
}

void packed_gemm_panels(float *y, const float *x, const float *wp, int M,
                        int K, int64_t P, int p0, int p1) {
  run_block(y, x, P, wp, M, K, P, P, p0, p1, 0, (P + NR - 1) / NR, NULL);
}

void packed_gemm_strided(float *y, int64_t ldy, const float *x, int64_t ldx,
                         const float *wp, int M, int K, int64_t cols,
                         const epilogue *ep) {
  run_block(y, x, ldx, wp, M, K, ldy, cols, 0, (M + MR - 1) / MR, 0,
            (cols + NR - 1) / NR, ep);
}

void pointwise_forward(float *out, const float *inp, const float *wp,
                       const conv_params *p, const epilogue *ep) {
  const int M = p->M, C = p->C;
  const int64_t P = (int64_t)p->out[0] * p->out[1] * p->out[2];
  for (int n = 0; n < p->N; ++n) {
    epilogue e = {NULL, NULL, RT_ACT_NONE, 0, 0};
    if (ep) {
      e = *ep;
      if (e.residual)
        e.residual += (int64_t)n * M * P;
    }
    packed_gemm_forward(out + (int64_t)n * M * P, inp + (int64_t)n * C * P,
                        wp, M, C, P, &e);
  }
}

/* gemm.c - SGEMM split over OpenMP threads (cblas_sgemm inside each), and
 * GEMMs with a bias/residual/activation epilogue. */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

void sgemm_serial(int ta, int tb, int M, int N, int K, float alpha,
                  const float *a, int lda, const float *b, int ldb, float beta,
                  float *c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, a, lda, b, ldb,
              beta, c, ldc);
}

void sgemm_forward(int ta, int tb, int M, int N, int K, float alpha,
                   const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc) {
  if (M <= 0 || N <= 0)
    return;
  if (M == 1 && K > 0 && tb && (double)N * K >= 2.5e5 && rt_threads() > 1) {
    /* a classifier head (1x1280 . 1280x1000 at batch 1) is read from memory:
     * each thread runs OpenBLAS's GEMV on its block of rows of b (a plain
     * loop here, 8 lanes per dot product, ran mobilenet_v2's head at 2
     * threads no faster than one GEMV: 0.22 vs 0.21 ms on Zen 5) */
    const int T = rt_threads();
    int chunk = (N + T - 1) / T;
    chunk = (chunk + 15) / 16 * 16;
    const int parts = (N + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) num_threads(parts)
    for (int p = 0; p < parts; ++p) {
      int lo = p * chunk, n = N - lo < chunk ? N - lo : chunk;
      cblas_sgemv(CblasRowMajor, CblasNoTrans, n, K, alpha, b + (size_t)lo * ldb, ldb, a,
                  ta ? lda : 1, beta, c + lo, 1);
    }
    return;
  }
  if (M == 1 && K > 0) {
    /* a row vector: c (N) = alpha * op(b)^T a + beta * c, a GEMV */
    cblas_sgemv(CblasRowMajor, tb ? CblasNoTrans : CblasTrans, tb ? N : K,
                tb ? K : N, alpha, b, ldb, a, ta ? lda : 1, beta, c, 1);
    return;
  }
  if (N == 1 && K > 0) {
    /* c (M) = alpha * op(a) b + beta * c */
    cblas_sgemv(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, ta ? K : M,
                ta ? M : K, alpha, a, lda, b, tb ? 1 : ldb, beta, c, ldc);
    return;
  }
  int T = rt_threads();
  double work = (double)M * N * K;
  if (T <= 1 || work < 2e6) {
    sgemm_serial(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  /* split the larger of N and M into column/row blocks of >= 64 */
  int split_n = N >= M;
  int len = split_n ? N : M;
  if (len < 128 || work < 4e6) {
    sgemm_serial(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  int chunk = (len + T - 1) / T;
  chunk = (chunk + 15) / 16 * 16;
  int parts = (len + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) num_threads(parts)
  for (int p = 0; p < parts; ++p) {
    int lo = p * chunk, n = len - lo < chunk ? len - lo : chunk;
    if (split_n)
      sgemm_serial(ta, tb, M, n, K, alpha, a, lda, tb ? b + (size_t)lo * ldb : b + lo,
             ldb, beta, c + lo, ldc);
    else
      sgemm_serial(ta, tb, n, N, K, alpha, ta ? a + lo : a + (size_t)lo * lda, lda, b,
             ldb, beta, c + (size_t)lo * ldc, ldc);
  }
}

/* c block (rows, cols), row stride ldc: + bias[j] + res[i][j] (before the
 * product when init, so SGEMM accumulates onto it), or the activation
 * (after). res has c's layout. */
static void matmul_block_init(float *c, int64_t ldc, int rows, int cols,
                              const float *bias, const float *res) {
  for (int i = 0; i < rows; ++i) {
    float *restrict cr = c + i * ldc;
    const float *restrict rr = res ? res + i * ldc : NULL;
    for (int j = 0; j < cols; ++j)
      cr[j] = (bias ? bias[j] : 0.0f) + (rr ? rr[j] : 0.0f);
  }
}

static void matmul_block_act(float *c, int64_t ldc, int rows, int cols,
                             rt_act act, float lo, float hi) {
  for (int i = 0; i < rows; ++i) {
    float *restrict cr = c + i * ldc;
    if (act == RT_ACT_GELU) {
      gelu_forward(cr, cr, cols);
      continue;
    }
    if (act == RT_ACT_RELU)
      lo = 0, hi = INFINITY;
    for (int j = 0; j < cols; ++j)
      cr[j] = cr[j] < lo ? lo : cr[j] > hi ? hi : cr[j];
  }
}

void matmul_act_forward(float *c, int64_t ldc, int rows, int cols, rt_act act, float lo,
                        float hi) {
  matmul_block_act(c, ldc, rows, cols, act, lo, hi);
}

void matmul_epilogue_forward(int M, int N, int K, const float *a,
                             const float *b, float *c, const float *bias,
                             const float *res, rt_act act, float lo, float hi) {
  if (M <= 0 || N <= 0)
    return;
  int T = (double)M * N * K < 2e6 ? 1 : rt_threads();
  /* threads split the larger of M and N, as sgemm_forward does: each then
   * packs only its part of the weights (vit_b_16, 2 threads: 244 ms with
   * column blocks, 255 ms with row blocks) */
  int split_m = M > N && M >= 16 * T;
  int len = split_m ? M : N;
  int chunk = (len + T - 1) / T;
  chunk = split_m ? chunk : (chunk + 15) / 16 * 16;
  int parts = (len + chunk - 1) / chunk;
#pragma omp parallel for schedule(static) num_threads(parts) if (parts > 1)
  for (int p = 0; p < parts; ++p) {
    int lo_i = p * chunk, n = len - lo_i < chunk ? len - lo_i : chunk;
    int rows = split_m ? n : M, cols = split_m ? N : n;
    int64_t at = split_m ? (int64_t)lo_i * N : lo_i;
    float beta = 0.0f;
    if (bias || res) {
      matmul_block_init(c + at, N, rows, cols, bias ? bias + (split_m ? 0 : lo_i) : NULL,
                        res ? res + at : NULL);
      beta = 1.0f;
    }
    sgemm_serial(0, 0, rows, cols, K, 1.0f, split_m ? a + (int64_t)lo_i * K : a, K,
           split_m ? b : b + lo_i, N, beta, c + at, N);
    if (act != RT_ACT_NONE)
      matmul_block_act(c + at, N, rows, cols, act, lo, hi);
  }
}

/* Floats of one tile's output rows and input panel: both stay in L2 (>= 512
 * KB on the CPUs we target) until the epilogue has run. */
#define TILE_FLOATS (128 * 1024)

/* y tile (rows, cols) with row stride ldy = bias[m] + res: OpenBLAS then
 * accumulates into it (beta = 1) and skips its own zeroing pass. */
static void tile_init(float *restrict y, int64_t ldy, int rows, int cols,
                      const float *bias, const float *res) {
  for (int m = 0; m < rows; ++m) {
    float *restrict yr = y + m * ldy;
    const float b = bias ? bias[m] : 0;
    if (res) {
      const float *restrict rr = res + m * ldy;
      for (int j = 0; j < cols; ++j)
        yr[j] = b + rr[j];
    } else {
      for (int j = 0; j < cols; ++j)
        yr[j] = b;
    }
  }
}

static void tile_clamp(float *restrict y, int64_t ldy, int rows, int cols,
                       float lo, float hi) {
  for (int m = 0; m < rows; ++m) {
    float *restrict yr = y + m * ldy;
    for (int j = 0; j < cols; ++j) {
      float v = yr[j];
      yr[j] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}

void sgemm_epilogue_forward(float *y, const float *w, const float *x, int M,
                            int K, int N, const epilogue *ep) {
  if (M <= 0 || N <= 0)
    return;
  const float *bias = ep ? ep->bias : NULL, *res = ep ? ep->residual : NULL;
  int act = ep && ep->act != RT_ACT_NONE;
  float lo = -INFINITY, hi = INFINITY;
  if (ep && ep->act == RT_ACT_RELU)
    lo = 0;
  else if (ep && ep->act == RT_ACT_CLIP)
    lo = ep->a, hi = ep->b;
  int T = (double)M * N * K < 2e6 ? 1 : rt_threads();
  /* threads split the larger of M and N, as sgemm_forward does */
  int row_blocks = T > 1 && M > N && M >= 16 * T ? T : 1;
  int mb = (M + row_blocks - 1) / row_blocks;
  mb = row_blocks > 1 ? (mb + 7) / 8 * 8 : mb;
  row_blocks = (M + mb - 1) / mb;
  /* column tiles: as wide as fit in L2, at least 256, a multiple of T */
  int nb = TILE_FLOATS / (mb + K);
  nb = nb < 256 ? 256 : nb;
  int col_tiles = N / nb > 1 ? N / nb : 1;
  if (row_blocks == 1 && T > 1)
    col_tiles = (col_tiles + T - 1) / T * T;
  nb = (N + col_tiles - 1) / col_tiles;
  nb = (nb + 15) / 16 * 16;
  col_tiles = (N + nb - 1) / nb;
  int tiles = row_blocks * col_tiles;
#pragma omp parallel for schedule(static) if (T > 1 && tiles > 1)
  for (int t = 0; t < tiles; ++t) {
    int m0 = t / col_tiles * mb, j0 = t % col_tiles * nb;
    int rows = M - m0 < mb ? M - m0 : mb, cols = N - j0 < nb ? N - j0 : nb;
    float *yt = y + (int64_t)m0 * N + j0;
    float beta = 0;
    if (bias || res) {
      tile_init(yt, N, rows, cols, bias ? bias + m0 : NULL,
                res ? res + (int64_t)m0 * N + j0 : NULL);
      beta = 1;
    }
    if (tiles == 1) /* GEMV when M or N is 1, threads for small GEMMs */
      sgemm_forward(0, 0, rows, cols, K, 1.0f, w, K, x, N, beta, yt, N);
    else
      sgemm_serial(0, 0, rows, cols, K, 1.0f, w + (int64_t)m0 * K, K, x + j0, N,
             beta, yt, N);
    if (act)
      tile_clamp(yt, N, rows, cols, lo, hi);
  }
}



/* gemm.c - Gemm, MatMul (batched, broadcasting) via cblas_sgemm; Einsum by
 * direct summation (small attention/test patterns). */
#include <cblas.h>
#include <ctype.h>
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
     * each thread takes a block of rows of b, 8 lanes per dot product */
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; ++n) {
      const float *row = b + (size_t)n * ldb;
      float lane[8] = {0};
      int k = 0;
      for (; k + 8 <= K; k += 8)
        for (int j = 0; j < 8; ++j)
          lane[j] += row[k + j] * a[(size_t)(k + j) * (ta ? lda : 1)];
      float dot = 0;
      for (int j = 0; j < 8; ++j)
        dot += lane[j];
      for (; k < K; ++k)
        dot += row[k] * a[(size_t)k * (ta ? lda : 1)];
      c[n] = alpha * dot + (beta != 0.0f ? beta * c[n] : 0.0f);
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

/* Y = alpha op(A) op(B) + beta C: dA, dB through two products each way of
 * transposing, dC summed over the dims C is broadcast along. */
RT_KERNEL(rt_gemm_backward) {
  (void)rt, (void)err;
  const float *dy = n->out[0]->grad;
  if (!dy)
    return 0;
  const sp_tensor *a = &n->in[0]->t, *b = &n->in[1]->t;
  const int ta = (int)rt_attr_int(n, "transA", 0), tb = (int)rt_attr_int(n, "transB", 0);
  const float alpha = rt_attr_float(n, "alpha", 1.0f), beta = rt_attr_float(n, "beta", 1.0f);
  const int M = (int)n->out[0]->t.dims[0], N = (int)n->out[0]->t.dims[1];
  const int K = (int)(ta ? a->dims[0] : a->dims[1]);
  float *da = n->in[0]->grad, *db = n->in[1]->grad;
  if (da && M && K) { /* op(A) (M,K): dY (M,N) op(B)^T (N,K) */
    if (!ta)
      sgemm_forward(0, !tb, M, K, N, alpha, dy, N, b->data, tb ? K : N, 1.0f, da, K);
    else /* A (K,M): op(B) (K,N) dY^T */
      sgemm_forward(tb, 1, K, M, N, alpha, b->data, tb ? K : N, dy, N, 1.0f, da, M);
  }
  if (db && K && N) { /* op(B) (K,N): op(A)^T (K,M) dY (M,N) */
    if (!tb)
      sgemm_forward(!ta, 0, K, N, M, alpha, a->data, ta ? M : K, dy, N, 1.0f, db, N);
    else /* B (N,K): dY^T op(A) */
      sgemm_forward(1, ta, N, K, M, alpha, dy, N, a->data, ta ? M : K, 1.0f, db, K);
  }
  rt_value *c = rt_in(n, 2);
  if (c && c->grad && beta != 0.0f) {
    const sp_tensor *ct = &c->t;
    const int64_t cm = ct->rank == 2 ? ct->dims[0] : 1;
    const int64_t cn = ct->rank >= 1 ? ct->dims[ct->rank - 1] : 1;
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j)
        c->grad[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)] +=
            beta * dy[(int64_t)i * N + j];
  }
  return 0;
}

/* y is (M,N) = alpha * op(a) @ op(b) + beta * c, c broadcast from (M|1,N|1). */
RT_KERNEL(rt_gemm) {
  (void)rt;
  if (n->n_in < 2 || !n->in[0] || !n->in[1])
    return rt_fail(err, n, "needs inputs A and B");
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (rc)
    return rc;
  const sp_tensor *a = &n->in[0]->t, *b = &n->in[1]->t, *y = &n->out[0]->t;
  const rt_value *cv = rt_in(n, 2);
  int ta = (int)rt_attr_int(n, "transA", 0), tb = (int)rt_attr_int(n, "transB", 0);
  float alpha = rt_attr_float(n, "alpha", 1.0f), beta = rt_attr_float(n, "beta", 1.0f);
  if (a->rank != 2 || b->rank != 2)
    return rt_fail(err, n, "A and B must be 2-D");
  int M = (int)y->dims[0], N = (int)y->dims[1];
  int K = (int)(ta ? a->dims[0] : a->dims[1]);
  float *out = y->data;
  const float *bias = n->fold_b;
  float cbeta = 0.0f;
  if (cv && beta != 0.0f && !bias) {
    const sp_tensor *c = &cv->t;
    int64_t cm = c->rank == 2 ? c->dims[0] : 1;
    int64_t cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
    const float *cd = c->data;
    if (c->rank == 1 && cn == N && beta == 1.0f) {
      bias = cd;
    } else {
      for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j)
          out[(int64_t)i * N + j] =
              beta * cd[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
      cbeta = 1.0f;
    }
  }
  if (bias) {
    for (int i = 0; i < M; ++i)
      memcpy(out + (int64_t)i * N, bias, (size_t)N * sizeof *out);
    cbeta = 1.0f;
  }
  if (n->residual) { /* fuse.c's Add: accumulated onto like the bias */
    const float *r = rt_f32(n->residual);
    for (int64_t i = 0; i < (int64_t)M * N; ++i)
      out[i] = (cbeta != 0.0f ? out[i] : 0.0f) + r[i];
    cbeta = 1.0f;
  }
  if (M && N)
    sgemm_forward(ta, tb, M, N, K, alpha, a->data, ta ? M : K, b->data,
                  tb ? K : N, cbeta, out, N);
  if (n->act != RT_ACT_NONE) {
    epilogue ep = {NULL, NULL, n->act, n->act_a, n->act_b};
    epilogue_forward(out, M, N, &ep);
  }
  return 0;
}

/* y is (batch..., M, N) = a (batch..., M, K) @ b (batch..., K, N); 1-D a or b
 * promoted as numpy.matmul; batch dims broadcast. */
/* Y (batch..., M, N) = A (..., M, K) @ B (..., K, N), batch dims broadcast:
 * per output matrix, dA += dY B^T and dB += A^T dY at the operands' own
 * matrices, so a broadcast operand sums over the batch it was reused in.
 * 1-D operands count as (1, K) and (K, 1). */
RT_KERNEL(rt_matmul_backward) {
  (void)rt, (void)err;
  const float *dy = n->out[0]->grad;
  float *da = n->in[0]->grad, *db = n->in[1]->grad;
  if (!dy || (!da && !db))
    return 0;
  const sp_tensor *a = &n->in[0]->t, *b = &n->in[1]->t;
  const int64_t M = a->rank == 1 ? 1 : a->dims[a->rank - 2], K = a->dims[a->rank - 1];
  const int64_t N = b->rank == 1 ? 1 : b->dims[b->rank - 1];
  const int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
  const int rbatch = ra > rb ? ra : rb;
  int64_t bdims[SP_MAX_RANK], sa[SP_MAX_RANK], sb[SP_MAX_RANK], batch = 1;
  int64_t stra = M * K, strb = K * N;
  for (int i = rbatch - 1; i >= 0; --i) {
    const int ia = i - (rbatch - ra), ib = i - (rbatch - rb);
    const int64_t dA = ia >= 0 ? a->dims[ia] : 1, dB = ib >= 0 ? b->dims[ib] : 1;
    bdims[i] = dA > dB ? dA : dB;
    sa[i] = dA == 1 ? 0 : stra, sb[i] = dB == 1 ? 0 : strb;
    stra *= dA, strb *= dB;
    batch *= bdims[i];
  }
  const float *ad = a->data, *bd = b->data;
  for (int64_t t = 0; t < batch; ++t) {
    int64_t oa = 0, ob = 0, rem = t;
    for (int i = rbatch - 1; i >= 0; --i) {
      oa += rem % bdims[i] * sa[i], ob += rem % bdims[i] * sb[i];
      rem /= bdims[i];
    }
    const float *g = dy + t * M * N;
    if (da) /* (M,K) += (M,N) @ B^T (N,K) */
      sgemm_forward(0, 1, (int)M, (int)K, (int)N, 1.0f, g, (int)N, bd + ob, (int)N, 1.0f,
                    da + oa, (int)K);
    if (db) /* (K,N) += A^T (K,M) @ (M,N) */
      sgemm_forward(1, 0, (int)K, (int)N, (int)M, 1.0f, ad + oa, (int)K, g, (int)N, 1.0f,
                    db + ob, (int)N);
  }
  return 0;
}

RT_KERNEL(rt_matmul) {
  (void)rt;
  if (n->n_in < 2 || !n->in[0] || !n->in[1])
    return rt_fail(err, n, "needs inputs A and B");
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (!rc)
    rc = rt_check_types(err, n, 1, RT_FLOAT, 0);
  if (rc)
    return rc;
  const sp_tensor *a = &n->in[0]->t, *b = &n->in[1]->t, *y = &n->out[0]->t;
  if (a->rank < 1 || b->rank < 1)
    return rt_fail(err, n, "scalar operand");
  int64_t M = a->rank == 1 ? 1 : a->dims[a->rank - 2];
  int64_t K = a->dims[a->rank - 1];
  int64_t N = b->rank == 1 ? 1 : b->dims[b->rank - 1];
  const float *ad = a->data, *bd = b->data;
  float *out = y->data;
  int64_t total = rt_numel(y);
  if (total == 0)
    return 0;
  if (K == 0) {
    memset(out, 0, (size_t)total * sizeof *out);
    return 0;
  }
  /* batch shape of the output */
  int ra = a->rank > 2 ? a->rank - 2 : 0, rb = b->rank > 2 ? b->rank - 2 : 0;
  int rbatch = ra > rb ? ra : rb;
  int64_t bdims[SP_MAX_RANK], sa[SP_MAX_RANK], sb[SP_MAX_RANK];
  int64_t batch = 1;
  int a_batched = 0, b_batched = 0;
  for (int i = 0; i < rbatch; ++i) {
    int ia = i - (rbatch - ra), ib = i - (rbatch - rb);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    bdims[i] = da > db ? da : db;
    batch *= bdims[i];
    a_batched |= da > 1;
    b_batched |= db > 1;
  }
  /* element strides of each operand's matrices over the batch dims */
  int64_t stra = M * K, strb = K * N;
  for (int i = rbatch - 1; i >= 0; --i) {
    int ia = i - (rbatch - ra), ib = i - (rbatch - rb);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    sa[i] = da == 1 ? 0 : stra;
    sb[i] = db == 1 ? 0 : strb;
    stra *= da;
    strb *= db;
  }
  /* fuse.c's bias (N), residual (out's shape) and activation */
  const float *bias = n->fold_b, *res = n->residual ? rt_f32(n->residual) : NULL;
  const int fused = bias || res || n->act != RT_ACT_NONE;
  if (!b_batched && (a_batched || batch == 1)) {
    /* one SGEMM: rows of every a matrix against the shared b */
    int64_t rows = a_batched ? batch * M : M;
    if (fused)
      matmul_epilogue_forward((int)rows, (int)N, (int)K, ad, bd, out, bias, res,
                              n->act, n->act_a, n->act_b);
    else
      sgemm_forward(0, 0, (int)rows, (int)N, (int)K, 1.0f, ad, (int)K, bd,
                    (int)N, 0.0f, out, (int)N);
    return 0;
  }
  if (!b_batched) {
    /* one a, one b, a batch of copies */
    sgemm_forward(0, 0, (int)M, (int)N, (int)K, 1.0f, ad, (int)K, bd, (int)N,
                  0.0f, out, (int)N);
    for (int64_t i = 1; i < batch; ++i)
      memcpy(out + i * M * N, out, (size_t)(M * N) * sizeof *out);
  } else {
    /* attention's per-head products: threads take whole matrices (one
     * region instead of one per head, and no product split too finely) */
    const int by_matrix = batch >= rt_threads() && (double)M * N * K < 5e7;
#pragma omp parallel for schedule(static) if (by_matrix && rt_threads() > 1)
    for (int64_t i = 0; i < batch; ++i) {
      int64_t rem = i, oa = 0, ob = 0;
      for (int d = rbatch - 1; d >= 0; --d) {
        int64_t idx = rem % bdims[d];
        rem /= bdims[d];
        oa += idx * sa[d];
        ob += idx * sb[d];
      }
      if (by_matrix)
        sgemm_serial(0, 0, (int)M, (int)N, (int)K, 1.0f, ad + oa, (int)K, bd + ob,
               (int)N, 0.0f, out + i * M * N, (int)N);
      else
        sgemm_forward(0, 0, (int)M, (int)N, (int)K, 1.0f, ad + oa, (int)K,
                      bd + ob, (int)N, 0.0f, out + i * M * N, (int)N);
    }
  }
  if (fused) {
    int64_t rows = total / N;
    for (int64_t i = 0; i < rows && (bias || res); ++i) /* before the act */
      for (int64_t j = 0; j < N; ++j)
        out[i * N + j] += (bias ? bias[j] : 0.0f) + (res ? res[i * N + j] : 0.0f);
    if (n->act != RT_ACT_NONE)
      matmul_block_act(out, N, (int)rows, (int)N, n->act, n->act_a, n->act_b);
  }
  return 0;
}

/* ---- Einsum ---- */

#define EIN_MAX_LETTERS 64

/* Maps each term's letters to label ids; '...' becomes labels 52+. */
static int parse_term(const char *s, size_t len, int rank, int *labels,
                      int *n_labels, int *n_ell) {
  int k = 0;
  size_t named = 0;
  int has_ell = 0;
  for (size_t i = 0; i < len; ++i)
    if (isalpha((unsigned char)s[i]))
      ++named;
    else if (s[i] == '.')
      has_ell = 1;
  int ell = has_ell ? rank - (int)named : 0;
  if (ell < 0 || (!has_ell && rank >= 0 && (int)named != rank))
    return -1;
  for (size_t i = 0; i < len; ++i) {
    char c = s[i];
    if (isalpha((unsigned char)c)) {
      labels[k++] = isupper((unsigned char)c) ? c - 'A' + 26 : c - 'a';
    } else if (c == '.') {
      if (i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.')
        return -1;
      for (int e = 0; e < ell; ++e)
        labels[k++] = 52 + e;
      i += 2;
    }
  }
  *n_labels = k;
  if (has_ell)
    *n_ell = ell;
  return 0;
}

RT_KERNEL(rt_einsum) {
  (void)rt;
  char raw[256], eq[256];
  rt_attr_str(n, "equation", raw, sizeof raw, "");
  size_t len = 0;
  for (const char *c = raw; *c; ++c)
    if (*c != ' ')
      eq[len++] = *c;
  eq[len] = '\0';
  const sp_tensor *y = &n->out[0]->t;
  if (y->elem_type != RT_FLOAT && y->elem_type != RT_DOUBLE)
    return rt_unsupported(err, n, "only float and double have a kernel");
  int n_ops = n->n_in;
  if (n_ops > 8)
    return rt_unsupported(err, n, "more than 8 operands");
  int labels[9][SP_MAX_RANK + 8], nl[9] = {0}, n_ell = 0;
  char *arrow = strstr(eq, "->");
  const char *p = eq;
  for (int i = 0; i < n_ops; ++i) {
    const char *end = strchr(p, ',');
    if (!end || (arrow && end > arrow))
      end = arrow ? arrow : eq + strlen(eq);
    if (parse_term(p, (size_t)(end - p), n->in[i]->t.rank, labels[i], &nl[i],
                   &n_ell))
      return rt_fail(err, n, "bad equation '%s'", eq);
    p = end + 1;
  }
  int64_t size[EIN_MAX_LETTERS];
  int used[EIN_MAX_LETTERS] = {0}, count[EIN_MAX_LETTERS] = {0};
  for (int l = 0; l < EIN_MAX_LETTERS; ++l)
    size[l] = 1;
  for (int i = 0; i < n_ops; ++i)
    for (int k = 0; k < nl[i]; ++k) {
      int64_t d = n->in[i]->t.dims[k];
      int l = labels[i][k];
      if (used[l] && size[l] != d && size[l] != 1 && d != 1)
        return rt_fail(err, n, "dimension mismatch for a label");
      if (!used[l] || size[l] == 1)
        size[l] = d;
      used[l] = 1;
      count[l]++;
    }
  int out_labels[SP_MAX_RANK + 8], n_out = 0;
  if (arrow) {
    for (const char *q = arrow + 2; *q; ++q) {
      if (isalpha((unsigned char)*q))
        out_labels[n_out++] = isupper((unsigned char)*q) ? *q - 'A' + 26 : *q - 'a';
      else if (*q == '.' ) {
        for (int e = 0; e < n_ell; ++e)
          out_labels[n_out++] = 52 + e;
        q += 2;
      }
    }
  } else {
    for (int e = 0; e < n_ell; ++e)
      out_labels[n_out++] = 52 + e;
    for (int l = 0; l < 52; ++l)
      if (count[l] == 1)
        out_labels[n_out++] = l;
  }
  /* all labels, output ones first */
  int all[EIN_MAX_LETTERS], n_all = 0, in_out[EIN_MAX_LETTERS] = {0};
  for (int k = 0; k < n_out; ++k) {
    all[n_all++] = out_labels[k];
    in_out[out_labels[k]] = 1;
  }
  for (int l = 0; l < EIN_MAX_LETTERS; ++l)
    if (used[l] && !in_out[l])
      all[n_all++] = l;
  int64_t total = 1, total_out = rt_numel(y);
  for (int k = 0; k < n_all; ++k)
    total *= size[all[k]];
  int64_t inner = total_out ? total / total_out : 0;
  for (int64_t o = 0; o < total_out; ++o) {
    double acc = 0;
    int64_t idx[EIN_MAX_LETTERS] = {0};
    int64_t rem = o;
    for (int k = n_out - 1; k >= 0; --k) {
      idx[all[k]] = rem % size[all[k]];
      rem /= size[all[k]];
    }
    for (int64_t r = 0; r < inner; ++r) {
      int64_t rr = r;
      for (int k = n_all - 1; k >= n_out; --k) {
        idx[all[k]] = rr % size[all[k]];
        rr /= size[all[k]];
      }
      double prod = 1;
      for (int i = 0; i < n_ops; ++i) {
        /* walk the operand's own dims: repeated labels read a diagonal */
        int64_t s = 1, off = 0;
        for (int k = nl[i] - 1; k >= 0; --k) {
          int64_t d = n->in[i]->t.dims[k];
          off += (d == 1 ? 0 : idx[labels[i][k]]) * s;
          s *= d;
        }
        prod *= rt_get_double(&n->in[i]->t, off);
      }
      acc += prod;
    }
    if (y->elem_type == RT_FLOAT)
      ((float *)y->data)[o] = (float)acc;
    else
      ((double *)y->data)[o] = acc;
  }
  return 0;
}

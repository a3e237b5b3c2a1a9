/* winograd.c - 3x3 stride-1 convolutions as Winograd F(2x2, 3x3): 2.25x fewer
 * multiplications than im2col + SGEMM. Weights are transformed once per plan;
 * each image is 16 SGEMMs (M,C) @ (C,tiles) between an input and an output
 * transform. */
#include <string.h>

#include "kernels.h"

#define WINO_MAX_W 8192
static const float wino_zero_row[WINO_MAX_W + 8];

int winograd_applies(const conv_params *p) {
  return p->group == 1 && p->k[0] == 1 && p->in[0] == 1 && p->k[1] == 3 &&
         p->k[2] == 3 && p->stride[1] == 1 && p->stride[2] == 1 &&
         p->dil[1] == 1 && p->dil[2] == 1 && p->C >= 16 && p->M >= 16 &&
         p->out[1] >= 4 && p->out[2] >= 4 && p->in[2] <= WINO_MAX_W;
}

/* B^T d B of the 4x4 tiles tw in [lo, hi) of one tile row whose columns are
 * all inside the input; rows[i] are the 4 input rows (or zeros), v[k] the
 * 16 outputs of that tile row. Branch-free over tw: vectorises. */
static void input_tiles(float *const *v, const float *const *rows, int pw,
                        int lo, int hi) {
  const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
  float *v0 = v[0], *v1 = v[1], *v2 = v[2], *v3 = v[3], *v4 = v[4], *v5 = v[5],
        *v6 = v[6], *v7 = v[7], *v8 = v[8], *v9 = v[9], *v10 = v[10],
        *v11 = v[11], *v12 = v[12], *v13 = v[13], *v14 = v[14], *v15 = v[15];
  /* the 16 outputs and the inputs never overlap */
#pragma GCC ivdep
  for (int tw = lo; tw < hi; ++tw) {
    int b = 2 * tw - pw;
    float t[4][4];
    for (int j = 0; j < 4; ++j) {
      t[0][j] = r0[b + j] - r2[b + j];
      t[1][j] = r1[b + j] + r2[b + j];
      t[2][j] = r2[b + j] - r1[b + j];
      t[3][j] = r1[b + j] - r3[b + j];
    }
    v0[tw] = t[0][0] - t[0][2];
    v1[tw] = t[0][1] + t[0][2];
    v2[tw] = t[0][2] - t[0][1];
    v3[tw] = t[0][1] - t[0][3];
    v4[tw] = t[1][0] - t[1][2];
    v5[tw] = t[1][1] + t[1][2];
    v6[tw] = t[1][2] - t[1][1];
    v7[tw] = t[1][1] - t[1][3];
    v8[tw] = t[2][0] - t[2][2];
    v9[tw] = t[2][1] + t[2][2];
    v10[tw] = t[2][2] - t[2][1];
    v11[tw] = t[2][1] - t[2][3];
    v12[tw] = t[3][0] - t[3][2];
    v13[tw] = t[3][1] + t[3][2];
    v14[tw] = t[3][2] - t[3][1];
    v15[tw] = t[3][1] - t[3][3];
  }
}

/* u is (16, M, C): G g G^T of every 3x3 filter; w is (M, C, 3, 3). */
void winograd_weights(float *u, const float *w, int M, int C) {
  for (int m = 0; m < M; ++m)
    for (int c = 0; c < C; ++c) {
      const float *g = w + ((size_t)m * C + c) * 9;
      float t[4][3]; /* G g */
      for (int j = 0; j < 3; ++j) {
        t[0][j] = g[j];
        t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
        t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
        t[3][j] = g[6 + j];
      }
      for (int i = 0; i < 4; ++i) {
        float r[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]),
                      0.5f * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
        for (int j = 0; j < 4; ++j)
          u[((size_t)(i * 4 + j) * M + m) * C + c] = r[j];
      }
    }
}

/* A^T q A of the tiles tw in [0, n) of one tile row into two full output
 * rows y0, y1 (columns 2tw, 2tw+1); q[k] are the 16 GEMM results. */
static void output_tiles(float *restrict y0, float *restrict y1,
                         const float *const *q, int n) {
  const float *q0 = q[0], *q1 = q[1], *q2 = q[2], *q3 = q[3], *q4 = q[4],
              *q5 = q[5], *q6 = q[6], *q7 = q[7], *q8 = q[8], *q9 = q[9],
              *q10 = q[10], *q11 = q[11], *q12 = q[12], *q13 = q[13],
              *q14 = q[14], *q15 = q[15];
#pragma GCC ivdep
  for (int tw = 0; tw < n; ++tw) {
    float t0[4], t1[4];
    t0[0] = q0[tw] + q4[tw] + q8[tw];
    t0[1] = q1[tw] + q5[tw] + q9[tw];
    t0[2] = q2[tw] + q6[tw] + q10[tw];
    t0[3] = q3[tw] + q7[tw] + q11[tw];
    t1[0] = q4[tw] - q8[tw] - q12[tw];
    t1[1] = q5[tw] - q9[tw] - q13[tw];
    t1[2] = q6[tw] - q10[tw] - q14[tw];
    t1[3] = q7[tw] - q11[tw] - q15[tw];
    y0[2 * tw] = t0[0] + t0[1] + t0[2];
    y0[2 * tw + 1] = t0[1] - t0[2] - t0[3];
    y1[2 * tw] = t1[0] + t1[1] + t1[2];
    y1[2 * tw + 1] = t1[1] - t1[2] - t1[3];
  }
}

size_t winograd_scratch_floats(const conv_params *p) {
  size_t T = (size_t)((p->out[1] + 1) / 2) * ((p->out[2] + 1) / 2);
  return 16 * T * ((size_t)p->C + (size_t)p->M);
}

/* out is (N,M,OH,OW), inp is (N,C,H,W), u from winograd_weights. */
void winograd_forward(float *out, const float *inp, const float *u,
                      const conv_params *p, const epilogue *ep,
                      float *scratch) {
  const int C = p->C, M = p->M, H = p->in[1], W = p->in[2];
  const int OH = p->out[1], OW = p->out[2], ph = p->pad[1], pw = p->pad[2];
  const int TH = (OH + 1) / 2, TW = (OW + 1) / 2, T = TH * TW;
  float *v = scratch;                  /* (16, C, T) */
  float *mo = scratch + (size_t)16 * C * T; /* (16, M, T) */
  for (int n = 0; n < p->N; ++n) {
    const float *x = inp + (size_t)n * C * H * W;
#pragma omp parallel for schedule(static) if ((int64_t)C * T > 2048)
    for (int c = 0; c < C; ++c) {
      const float *xc = x + (size_t)c * H * W;
      /* tile columns whose 4 input columns are inside [0, W) */
      int lo = (pw + 1) / 2, hi = (W - 4 + pw) / 2 + 1;
      hi = hi < TW ? hi : TW;
      if (hi < lo)
        hi = lo;
      for (int th = 0; th < TH; ++th) {
        const float *rows[4];
        float *vk[16];
        for (int i = 0; i < 4; ++i) {
          int ih = th * 2 - ph + i;
          rows[i] = ih >= 0 && ih < H ? xc + (size_t)ih * W : wino_zero_row;
        }
        for (int k = 0; k < 16; ++k)
          vk[k] = v + ((size_t)k * C + c) * T + (size_t)th * TW;
        input_tiles(vk, rows, pw, lo, hi);
        for (int tw = 0; tw < TW; ++tw) {
          if (tw == lo && hi > lo) {
            tw = hi - 1;
            continue;
          }
          float d[4][4];
          int h0 = th * 2 - ph, w0 = tw * 2 - pw;
          for (int i = 0; i < 4; ++i) {
            int ih = h0 + i;
            for (int j = 0; j < 4; ++j) {
              int iw = w0 + j;
              d[i][j] = ih >= 0 && ih < H && iw >= 0 && iw < W
                            ? xc[(size_t)ih * W + iw]
                            : 0.0f;
            }
          }
          float t[4][4]; /* B^T d */
          for (int j = 0; j < 4; ++j) {
            t[0][j] = d[0][j] - d[2][j];
            t[1][j] = d[1][j] + d[2][j];
            t[2][j] = d[2][j] - d[1][j];
            t[3][j] = d[1][j] - d[3][j];
          }
          size_t tile = (size_t)th * TW + tw;
          for (int i = 0; i < 4; ++i) {
            float r[4] = {t[i][0] - t[i][2], t[i][1] + t[i][2],
                          t[i][2] - t[i][1], t[i][1] - t[i][3]};
            for (int j = 0; j < 4; ++j)
              v[((size_t)(i * 4 + j) * C + c) * T + tile] = r[j];
          }
        }
      }
    }
    // The 16 products are independent: one per thread at a time balances
    // where splitting each small product (56x56 or 14x14 maps) would not.
    // Inside the parallel loop sgemm_forward's own region runs one thread.
#pragma omp parallel for schedule(static) if ((double)M * T * C > 1e5)
    for (int k = 0; k < 16; ++k)
      sgemm_forward(0, 0, M, T, C, 1.0f, u + (size_t)k * M * C, C,
                    v + (size_t)k * C * T, T, 0.0f, mo + (size_t)k * M * T, T);
    float *y = out + (size_t)n * M * OH * OW;
    const float *res = ep && ep->residual ? ep->residual + (size_t)n * M * OH * OW : NULL;
#pragma omp parallel for schedule(static) if ((int64_t)M * T > 2048)
    for (int m = 0; m < M; ++m) {
      float *ym = y + (size_t)m * OH * OW;
      for (int th = 0; th < TH; ++th) {
        int full = 0; /* tiles whose 2x2 outputs are all inside */
        if (2 * th + 1 < OH) {
          const float *qk[16];
          for (int k = 0; k < 16; ++k)
            qk[k] = mo + ((size_t)k * M + m) * T + (size_t)th * TW;
          full = OW / 2;
          output_tiles(ym + (size_t)(2 * th) * OW, ym + (size_t)(2 * th + 1) * OW,
                       qk, full);
        }
        for (int tw = full; tw < TW; ++tw) {
          size_t tile = (size_t)th * TW + tw;
          float q[4][4];
          for (int k = 0; k < 16; ++k)
            q[k / 4][k % 4] = mo[((size_t)k * M + m) * T + tile];
          float t[2][4]; /* A^T q */
          for (int j = 0; j < 4; ++j) {
            t[0][j] = q[0][j] + q[1][j] + q[2][j];
            t[1][j] = q[1][j] - q[2][j] - q[3][j];
          }
          for (int i = 0; i < 2; ++i) {
            int oh = th * 2 + i;
            if (oh >= OH)
              continue;
            float r0 = t[i][0] + t[i][1] + t[i][2];
            float r1 = t[i][1] - t[i][2] - t[i][3];
            int ow = tw * 2;
            ym[(size_t)oh * OW + ow] = r0;
            if (ow + 1 < OW)
              ym[(size_t)oh * OW + ow + 1] = r1;
          }
        }
      }
    }
    if (ep) {
      epilogue e = *ep;
      e.residual = res;
      epilogue_forward(y, M, (int64_t)OH * OW, &e);
    }
  }
}

/* winograd.c - 3x3 stride-1 convolutions as Winograd F(2x2, 3x3): 2.25x fewer
 * multiplications than im2col + SGEMM. Weights are transformed once per plan;
 * each image is 16 SGEMMs (M,C) @ (C,tiles) between an input and an output
 * transform. */
#include <string.h>

#include "kernels.h"

int winograd_applies(const conv_params *p) {
  return p->group == 1 && p->k[0] == 1 && p->in[0] == 1 && p->k[1] == 3 &&
         p->k[2] == 3 && p->stride[1] == 1 && p->stride[2] == 1 &&
         p->dil[1] == 1 && p->dil[2] == 1 && p->C >= 16 && p->M >= 16 &&
         p->out[1] >= 4 && p->out[2] >= 4;
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
      for (int th = 0; th < TH; ++th)
        for (int tw = 0; tw < TW; ++tw) {
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
    for (int k = 0; k < 16; ++k)
      sgemm_forward(0, 0, M, T, C, 1.0f, u + (size_t)k * M * C, C,
                    v + (size_t)k * C * T, T, 0.0f, mo + (size_t)k * M * T, T);
    float *y = out + (size_t)n * M * OH * OW;
    const float *res = ep && ep->residual ? ep->residual + (size_t)n * M * OH * OW : NULL;
#pragma omp parallel for schedule(static) if ((int64_t)M * T > 2048)
    for (int m = 0; m < M; ++m) {
      float *ym = y + (size_t)m * OH * OW;
      for (int th = 0; th < TH; ++th)
        for (int tw = 0; tw < TW; ++tw) {
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
    if (ep) {
      epilogue e = *ep;
      e.residual = res;
      epilogue_forward(y, M, (int64_t)OH * OW, &e);
    }
  }
}

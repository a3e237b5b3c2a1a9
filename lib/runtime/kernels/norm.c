/* norm.c - BatchNormalization (inference and training, with its phases for
 * synchronised BN), LayerNormalization and their backwards. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static float sqdev8(const float *x, int64_t n, float m);

/* 16 floats in one value: plain SIMD the kernel sets compile to their width */
typedef float f32x16 __attribute__((vector_size(64), aligned(4)));

void batchnorm_forward(float *y, const float *x, const float *scale,
                       const float *bias, const float *mean, const float *var,
                       float eps, int N, int C, int64_t S, float lo, float hi) {
#pragma omp parallel for schedule(static) if ((int64_t)N * C * S > 32768)
  for (int64_t nc = 0; nc < (int64_t)N * C; ++nc) {
    int c = (int)(nc % C);
    float a = scale[c] / sqrtf(var[c] + eps);
    float b = bias[c] - mean[c] * a;
    const float *xc = x + nc * S;
    float *yc = y + nc * S;
    for (int64_t i = 0; i < S; ++i) {
      float v = xc[i] * a + b;
      yc[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}

/* Training BatchNormalization per channel c of x, y, dy, dx (N, C, S): the
 * sum of x, the squared deviations from mean m, the normalisation; for the
 * backward the sums of dy and dy xhat, then dx. Alone, one loop over the
 * channels runs them back to back, so a channel's N*S values stay in cache;
 * synchronised (several processes), each phase runs over every channel and
 * the per-channel totals are summed over processes in between. */
static double bn_channel_sum(const float *x, int N, int C, int64_t S, int c) {
  double s = 0; /* doubles: a batch of 128 x 56x56 is 400k terms */
  for (int n = 0; n < N; ++n)
    s += sum8_forward(x + ((int64_t)n * C + c) * S, S);
  return s;
}

static double bn_channel_sqdev(const float *x, float m, int N, int C, int64_t S, int c) {
  double s = 0;
  for (int n = 0; n < N; ++n)
    s += sqdev8(x + ((int64_t)n * C + c) * S, S, m);
  return s;
}

static void bn_channel_apply(float *y, const float *x, float a, float b, int N,
                             int C, int64_t S, int c) {
  for (int n = 0; n < N; ++n) {
    const float *xc = x + ((int64_t)n * C + c) * S;
    float *yc = y + ((int64_t)n * C + c) * S;
    for (int64_t i = 0; i < S; ++i)
      yc[i] = xc[i] * a + b;
  }
}

static void bn_channel_backward_sums(double *sdy, double *sdyx, const float *dy,
                                     const float *x, float m, float is, int N,
                                     int C, int64_t S, int c) {
  double a = 0, b = 0; /* each row in float lanes (vectorised), rows in doubles */
  const f32x16 mv = (f32x16){0} + m;
  for (int n = 0; n < N; ++n) {
    const float *dyc = dy + ((int64_t)n * C + c) * S;
    const float *xc = x + ((int64_t)n * C + c) * S;
    f32x16 la = {0}, lb = {0};
    float ra = 0, rb = 0;
    int64_t i = 0;
    for (; i + 16 <= S; i += 16) {
      f32x16 d, v;
      memcpy(&d, dyc + i, sizeof d);
      memcpy(&v, xc + i, sizeof v);
      la += d;
      lb += d * (v - mv);
    }
    for (; i < S; ++i) {
      ra += dyc[i];
      rb += dyc[i] * (xc[i] - m);
    }
    for (int j = 0; j < 16; ++j)
      ra += la[j], rb += lb[j];
    a += ra, b += rb;
  }
  *sdy = a, *sdyx = b * is;
}

/* dx = scale invstd / count (count dy - sdy - xhat sdyx), count samples
 * per channel over the whole (global) batch. */
static void bn_channel_backward_dx(float *dx, const float *dy, const float *x,
                                   float m, float is, float scale, double sdy,
                                   double sdyx, double count, int N, int C,
                                   int64_t S, int c, int fresh) {
  const float n_ = (float)count, k = scale * is / n_, mdy = (float)sdy,
              mdyx = (float)sdyx;
  for (int n = 0; n < N; ++n) {
    const float *dyc = dy + ((int64_t)n * C + c) * S;
    const float *xc = x + ((int64_t)n * C + c) * S;
    float *dxc = dx + ((int64_t)n * C + c) * S;
    if (fresh)
      for (int64_t i = 0; i < S; ++i)
        dxc[i] = k * (n_ * dyc[i] - mdy - (xc[i] - m) * is * mdyx);
    else
      for (int64_t i = 0; i < S; ++i)
        dxc[i] += k * (n_ * dyc[i] - mdy - (xc[i] - m) * is * mdyx);
  }
}

void batchnorm_train_forward(float *y, float *mean, float *invstd, float *var,
                             const float *x, const float *scale,
                             const float *bias, float eps, int N, int C,
                             int64_t S) {
  const double count = (double)N * (double)S;
#pragma omp parallel for schedule(static) if ((int64_t)N * C * S > 32768)
  for (int c = 0; c < C; ++c) {
    const float m = (float)(bn_channel_sum(x, N, C, S, c) / count);
    const float v = (float)(bn_channel_sqdev(x, m, N, C, S, c) / count);
    const float is = 1.0f / sqrtf(v + eps);
    mean[c] = m, invstd[c] = is, var[c] = v;
    const float a = scale[c] * is;
    bn_channel_apply(y, x, a, bias[c] - m * a, N, C, S, c);
  }
}

void batchnorm_channel_sums(double *sum, const float *x, int N, int C,
                            int64_t S) {
#pragma omp parallel for schedule(static) if ((int64_t)N * C * S > 32768)
  for (int c = 0; c < C; ++c)
    sum[c] = bn_channel_sum(x, N, C, S, c);
}

void batchnorm_channel_sqdev(double *sq, const float *x, const float *mean,
                             int N, int C, int64_t S) {
#pragma omp parallel for schedule(static) if ((int64_t)N * C * S > 32768)
  for (int c = 0; c < C; ++c)
    sq[c] = bn_channel_sqdev(x, mean[c], N, C, S, c);
}

void batchnorm_apply(float *y, const float *x, const float *scale,
                     const float *bias, const float *mean,
                     const float *invstd, int N, int C, int64_t S) {
#pragma omp parallel for schedule(static) if ((int64_t)N * C * S > 32768)
  for (int c = 0; c < C; ++c) {
    const float a = scale[c] * invstd[c];
    bn_channel_apply(y, x, a, bias[c] - mean[c] * a, N, C, S, c);
  }
}

void batchnorm_backward(float *dx, float *dscale, float *dbias,
                        const float *dy, const float *x, const float *mean,
                        const float *invstd, const float *scale, int N, int C,
                        int64_t S, int dx_fresh) {
  const double count = (double)N * (double)S;
#pragma omp parallel for schedule(static) if ((int64_t)N * C * S > 32768)
  for (int c = 0; c < C; ++c) {
    double sdy, sdyx;
    bn_channel_backward_sums(&sdy, &sdyx, dy, x, mean[c], invstd[c], N, C, S, c);
    if (dbias)
      dbias[c] += (float)sdy;
    if (dscale)
      dscale[c] += (float)sdyx;
    if (dx)
      bn_channel_backward_dx(dx, dy, x, mean[c], invstd[c], scale[c], sdy, sdyx,
                             count, N, C, S, c, dx_fresh);
  }
}

void batchnorm_backward_sums(double *sdy, double *sdyx, const float *dy,
                             const float *x, const float *mean,
                             const float *invstd, int N, int C, int64_t S) {
#pragma omp parallel for schedule(static) if ((int64_t)N * C * S > 32768)
  for (int c = 0; c < C; ++c)
    bn_channel_backward_sums(&sdy[c], &sdyx[c], dy, x, mean[c], invstd[c], N, C,
                             S, c);
}

void batchnorm_backward_dx(float *dx, const float *dy, const float *x,
                           const float *mean, const float *invstd,
                           const float *scale, const double *sdy,
                           const double *sdyx, double count, int N, int C,
                           int64_t S) {
#pragma omp parallel for schedule(static) if ((int64_t)N * C * S > 32768)
  for (int c = 0; c < C; ++c)
    bn_channel_backward_dx(dx, dy, x, mean[c], invstd[c], scale[c], sdy[c],
                           sdyx[c], count, N, C, S, c, 0);
}

float sum8_forward(const float *x, int64_t n) {
  float lane[8] = {0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j)
      lane[j] += x[i + j];
  float s = 0;
  for (; i < n; ++i)
    s += x[i];
  for (int j = 0; j < 8; ++j)
    s += lane[j];
  return s;
}

/* Sum of (x[i] - m)^2 over x[0..n), as sum8. */
static float sqdev8(const float *x, int64_t n, float m) {
  float lane[8] = {0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j)
      lane[j] += (x[i + j] - m) * (x[i + j] - m);
  float s = 0;
  for (; i < n; ++i)
    s += (x[i] - m) * (x[i] - m);
  for (int j = 0; j < 8; ++j)
    s += lane[j];
  return s;
}

void layernorm_forward(float *y, const float *x, const float *scale,
                       const float *bias, float eps, int64_t rows,
                       int64_t cols, float *mean_out, float *invstd_out) {
#pragma omp parallel for schedule(static) if (rows * cols > 32768 && rows > 1)
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    /* two passes (mean, then squared deviations): no cancellation */
    float m = cols ? sum8_forward(xr, cols) / (float)cols : 0.0f;
    float var = cols ? sqdev8(xr, cols, m) / (float)cols : 0.0f;
    float invstd = 1.0f / sqrtf(var + eps);
    if (scale && bias)
      for (int64_t i = 0; i < cols; ++i)
        yr[i] = (xr[i] - m) * invstd * scale[i] + bias[i];
    else
      for (int64_t i = 0; i < cols; ++i)
        yr[i] = (xr[i] - m) * invstd * (scale ? scale[i] : 1.0f) +
                (bias ? bias[i] : 0.0f);
    if (mean_out)
      mean_out[r] = m;
    if (invstd_out)
      invstd_out[r] = invstd;
  }
}

void layernorm_backward(float *dx, float *dscale, float *dbias, const float *dy,
                        const float *x, const float *scale, float eps,
                        int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * cols, *dyr = dy + r * cols;
    /* the forward's statistics, recomputed the same way */
    float m = cols ? sum8_forward(xr, cols) / (float)cols : 0.0f;
    float var = cols ? sqdev8(xr, cols, m) / (float)cols : 0.0f;
    float invstd = 1.0f / sqrtf(var + eps);
    double sum_g = 0, sum_gx = 0; /* of g = dy scale, and of g xhat */
    for (int64_t i = 0; i < cols; ++i) {
      float xhat = (xr[i] - m) * invstd, g = dyr[i] * (scale ? scale[i] : 1.0f);
      sum_g += g;
      sum_gx += (double)g * xhat;
      if (dscale)
        dscale[i] += dyr[i] * xhat;
      if (dbias)
        dbias[i] += dyr[i];
    }
    if (!dx)
      continue;
    float mean_g = cols ? (float)(sum_g / (double)cols) : 0.0f;
    float mean_gx = cols ? (float)(sum_gx / (double)cols) : 0.0f;
    for (int64_t i = 0; i < cols; ++i) {
      float xhat = (xr[i] - m) * invstd, g = dyr[i] * (scale ? scale[i] : 1.0f);
      dx[r * cols + i] += invstd * (g - mean_g - xhat * mean_gx);
    }
  }
}


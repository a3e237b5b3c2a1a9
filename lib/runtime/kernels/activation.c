/* activation.c - the math of the unary elementwise ops (activations and
 * math), Softmax/LogSoftmax and their backwards. Float loops are written per
 * op so they vectorise. */
#include <math.h>
#include <string.h>

#include "kernels.h"

static double apply(unary_op op, double x, double a, double b) {
  switch (op) {
  case U_RELU: return x > 0 ? x : 0;
  case U_LEAKY: return x >= 0 ? x : a * x;
  case U_ELU: return x >= 0 ? x : a * (exp(x) - 1);
  case U_SELU: return x > 0 ? b * x : b * (a * exp(x) - a);
  case U_CELU: return (x > 0 ? x : 0) + fmin(0, a * (exp(x / a) - 1));
  case U_THRELU: return x > a ? x : 0;
  case U_SIGMOID: return 1 / (1 + exp(-x));
  case U_HSIGMOID: return fmax(0, fmin(1, a * x + b));
  case U_HSWISH: return x * fmax(0, fmin(1, x / 6 + 0.5));
  case U_TANH: return tanh(x);
  case U_GELU: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
  case U_GELU_TANH:
    return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  case U_SOFTPLUS: return x > 20 ? x : log1p(exp(x));
  case U_SOFTSIGN: return x / (1 + fabs(x));
  case U_MISH: return x * tanh(log1p(exp(x)));
  case U_EXP: return exp(x);
  case U_LOG: return log(x);
  case U_SQRT: return sqrt(x);
  case U_RECIP: return 1 / x;
  case U_FLOOR: return floor(x);
  case U_CEIL: return ceil(x);
  case U_ROUND: return nearbyint(x);
  case U_ABS: return fabs(x);
  case U_NEG: return -x;
  case U_SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
  case U_ERF: return erf(x);
  case U_SIN: return sin(x);
  case U_COS: return cos(x);
  case U_TAN: return tan(x);
  case U_ASIN: return asin(x);
  case U_ACOS: return acos(x);
  case U_ATAN: return atan(x);
  case U_SINH: return sinh(x);
  case U_COSH: return cosh(x);
  case U_ASINH: return asinh(x);
  case U_ACOSH: return acosh(x);
  case U_ATANH: return atanh(x);
  case U_ISNAN: return isnan(x);
  case U_ISINF: return isinf(x) ? (x > 0 ? 1 : -1) : 0;
  case U_IDENTITY: return x;
  }
  return x;
}

double unary_apply(unary_op op, double x, double a, double b) { return apply(op, x, a, b); }

/* erf as a rational function of x on [-4, 4] (Eigen's fast float erf,
 * within a few ulp): vectorises, unlike libm's erff. */
static inline float erf_fast(float x) {
  x = x < -4.0f ? -4.0f : x > 4.0f ? 4.0f : x;
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  return x * p / q;
}

/* e^x by 2^n * p(r) with a degree-6 polynomial (about 1 ulp); 0 below
 * -87.3 (so -inf gives 0), clamped above 88.7. Branch-free: vectorises. */
static inline float exp_fast(float x) {
  const float hi = 88.7f, lo = -87.3f;
  float xc = x > hi ? hi : x < lo ? lo : x;
  float t = xc * 1.44269504088896341f + 12582912.0f; /* round to nearest */
  float nf = t - 12582912.0f;
  float r = xc - nf * 0.693359375f - nf * -2.12194440e-4f;
  float p = 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = ((int32_t)nf + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return x < lo ? 0.0f : p * scale;
}

#define FLOAT_LOOP(EXPR)                                                       \
  _Pragma("omp parallel for schedule(static) if (k > 32768)")                  \
  for (int64_t i = 0; i < k; ++i) {                                            \
    float x = xs[i];                                                           \
    ys[i] = (EXPR);                                                            \
  }                                                                            \
  break

/* dx (k) += dy * (DERIV), DERIV in terms of x[i], y[i]. */
#define BACK_LOOP(DERIV)                                                       \
  _Pragma("omp parallel for schedule(static) if (k > 32768)")                  \
  for (int64_t i = 0; i < k; ++i)                                              \
    dx[i] += dy[i] * (DERIV);                                                  \
  return 0

/* min(max(v, 0), 1); NaN passes through. */
static inline float clamp01(float v) { return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v; }

void gelu_forward(float *y, const float *x, int64_t k) {
  for (int64_t i = 0; i < k; ++i)
    y[i] = 0.5f * x[i] * (1.0f + erf_fast(x[i] * 0.70710678118654752f));
}

void silu_forward(float *y, int64_t k) {
#pragma omp parallel for schedule(static) if (k > 32768)
  for (int64_t i = 0; i < k; ++i)
    y[i] = y[i] / (1.0f + exp_fast(-y[i]));
}

void hardswish_forward(float *y, int64_t k, float a, float b) {
#pragma omp parallel for schedule(static) if (k > 32768)
  for (int64_t i = 0; i < k; ++i)
    y[i] = y[i] * clamp01(a * y[i] + b);
}

void unary_forward(float *ys, const float *xs, int64_t k, unary_op op,
                   float a, float b) {
  switch (op) {
  case U_RELU: FLOAT_LOOP(x > 0 ? x : 0);
  case U_LEAKY: FLOAT_LOOP(x >= 0 ? x : a * x);
  case U_SIGMOID: FLOAT_LOOP(1.0f / (1.0f + exp_fast(-x)));
  /* clamps as ternaries: fmaxf/fminf are library calls unless NaNs are ruled
   * out, and kept mobilenet_v3's HardSigmoids from vectorising (5 of 8 ms) */
  case U_HSIGMOID: FLOAT_LOOP(clamp01(a * x + b));
  case U_HSWISH: FLOAT_LOOP(x * clamp01(x * (1.0f / 6) + 0.5f));
  case U_TANH: FLOAT_LOOP(tanhf(x));
  case U_EXP: FLOAT_LOOP(x > 88.7f ? INFINITY : exp_fast(x));
  case U_LOG: FLOAT_LOOP(logf(x));
  case U_SQRT: FLOAT_LOOP(sqrtf(x));
  case U_RECIP: FLOAT_LOOP(1.0f / x);
  case U_ABS: FLOAT_LOOP(fabsf(x));
  case U_NEG: FLOAT_LOOP(-x);
  case U_ERF: FLOAT_LOOP(erf_fast(x));
  case U_GELU: FLOAT_LOOP(0.5f * x * (1.0f + erf_fast(x * 0.70710678118654752f)));
  default: FLOAT_LOOP((float)apply(op, x, a, b));
  }
}

/* y = min(max(x, lo), hi); bounds from inputs 1, 2 (opset >= 11) or attrs. */
/* dy/dx of each op from x and/or y (whichever is cheaper and exact);
 * the subgradient at kinks follows torch (Relu 0 at 0, HardSigmoid 0 at
 * the ends of its ramp). */
int unary_backward(float *dx, const float *dy, const float *x, const float *y,
                   int64_t k, unary_op op, float a, float b) {
  const float rsqrt2pi = 0.39894228040143268f, c2 = 0.79788456080286536f;
  switch (op) {
  case U_RELU: relu_backward(dx, dy, x, k); return 0;
  case U_LEAKY: BACK_LOOP(x[i] > 0 ? 1.0f : a);
  case U_ELU: BACK_LOOP(x[i] > 0 ? 1.0f : y[i] + a); /* a e^x */
  case U_SIGMOID: BACK_LOOP(y[i] * (1 - y[i]));
  case U_HSIGMOID: BACK_LOOP(a * x[i] + b > 0 && a * x[i] + b < 1 ? a : 0.0f);
  case U_HSWISH: /* x clamp01(x/6 + 1/2): x/3 + 1/2 on the ramp */
    BACK_LOOP(x[i] < -3.0f ? 0.0f : x[i] > 3.0f ? 1.0f : x[i] * (1.0f / 3) + 0.5f);
  case U_TANH: BACK_LOOP(1 - y[i] * y[i]);
  case U_GELU: /* Phi(x) + x phi(x) */
    BACK_LOOP(0.5f * (1.0f + erf_fast(x[i] * 0.70710678118654752f)) +
              x[i] * rsqrt2pi * expf(-0.5f * x[i] * x[i]));
  case U_GELU_TANH: {
#pragma omp parallel for schedule(static) if (k > 32768)
    for (int64_t i = 0; i < k; ++i) {
      float t = tanhf(c2 * (x[i] + 0.044715f * x[i] * x[i] * x[i]));
      dx[i] += dy[i] * (0.5f * (1 + t) + 0.5f * x[i] * (1 - t * t) * c2 *
                                             (1 + 3 * 0.044715f * x[i] * x[i]));
    }
    return 0;
  }
  case U_SOFTPLUS: BACK_LOOP(1.0f / (1.0f + expf(-x[i])));
  case U_EXP: BACK_LOOP(y[i]);
  case U_LOG: BACK_LOOP(1.0f / x[i]);
  case U_SQRT: BACK_LOOP(0.5f / y[i]);
  case U_RECIP: BACK_LOOP(-y[i] * y[i]);
  case U_ABS: BACK_LOOP(x[i] > 0 ? 1.0f : x[i] < 0 ? -1.0f : 0.0f);
  case U_NEG: BACK_LOOP(-1.0f);
  case U_ERF: BACK_LOOP(1.1283791670955126f * expf(-x[i] * x[i])); /* 2/sqrt(pi) e^-x^2 */
  case U_IDENTITY: BACK_LOOP(1.0f);
  default: return -1;
  }
}

void relu_backward(float *dx, const float *dy, const float *x, int64_t k) {
#pragma omp parallel for schedule(static) if (k > 65536)
  for (int64_t i = 0; i < k; ++i)
    dx[i] += x[i] > 0 ? dy[i] : 0.0f;
}

void clip_backward(float *dx, const float *dy, const float *x, float lo,
                   float hi, int64_t k) {
  for (int64_t i = 0; i < k; ++i)
    dx[i] += x[i] >= lo && x[i] <= hi ? dy[i] : 0.0f;
}

#define SM_LANES 16 /* one zmm, two ymm */

void softmax_forward(float *y, const float *x, int64_t outer, int64_t axis,
                     int64_t inner, int log) {
  if (inner == 1) {
    /* contiguous rows: three vectorised passes */
#pragma omp parallel for schedule(static) if (outer * axis > 16384)
    for (int64_t o = 0; o < outer; ++o) {
      const float *restrict xs = x + o * axis;
      float *restrict ys = y + o * axis;
      /* max and sum in SM_LANES lanes: a single float accumulator keeps
       * GCC from vectorising (no reassociation without -ffast-math); vit_b_16
       * softmax (12x197x197), one thread: 0.53 -> 0.26 ms */
      float lane[SM_LANES];
      for (int j = 0; j < SM_LANES; ++j)
        lane[j] = -INFINITY;
      int64_t i = 0;
      for (; i + SM_LANES <= axis; i += SM_LANES)
        for (int j = 0; j < SM_LANES; ++j)
          lane[j] = xs[i + j] > lane[j] ? xs[i + j] : lane[j];
      float m = -INFINITY;
      for (; i < axis; ++i)
        m = xs[i] > m ? xs[i] : m;
      for (int j = 0; j < SM_LANES; ++j)
        m = lane[j] > m ? lane[j] : m;
      if (m == -INFINITY)
        m = 0; /* all -inf: every exp is 0 */
      for (int j = 0; j < SM_LANES; ++j)
        lane[j] = 0;
      for (i = 0; i + SM_LANES <= axis; i += SM_LANES)
        for (int j = 0; j < SM_LANES; ++j) {
          float e = exp_fast(xs[i + j] - m);
          ys[i + j] = e;
          lane[j] += e;
        }
      float sum = 0;
      for (; i < axis; ++i) {
        float e = exp_fast(xs[i] - m);
        ys[i] = e;
        sum += e;
      }
      for (int j = 0; j < SM_LANES; ++j)
        sum += lane[j];
      if (log) {
        float ls = logf(sum) + m;
        for (int64_t i = 0; i < axis; ++i)
          ys[i] = xs[i] - ls;
      } else {
        float inv = 1.0f / sum;
        for (int64_t i = 0; i < axis; ++i)
          ys[i] *= inv;
      }
    }
    return;
  }
#pragma omp parallel for schedule(static) if (outer * axis * inner > 16384)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      const float *xs = x + o * axis * inner + in;
      float *ys = y + o * axis * inner + in;
      float m = -INFINITY;
      for (int64_t i = 0; i < axis; ++i)
        m = xs[i * inner] > m ? xs[i * inner] : m;
      float sum = 0;
      if (log) {
        for (int64_t i = 0; i < axis; ++i)
          sum += expf(xs[i * inner] - m);
        float ls = logf(sum);
        for (int64_t i = 0; i < axis; ++i)
          ys[i * inner] = xs[i * inner] - m - ls;
      } else {
        for (int64_t i = 0; i < axis; ++i) {
          float e = expf(xs[i * inner] - m);
          ys[i * inner] = e;
          sum += e;
        }
        float inv = 1.0f / sum;
        for (int64_t i = 0; i < axis; ++i)
          ys[i * inner] *= inv;
      }
    }
}

void softmax_backward(float *dx, const float *dy, const float *y, int64_t outer,
                      int64_t axis, int64_t inner, int log) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * axis * inner + i;
      double dot = 0; /* softmax: sum dy y; log-softmax: sum dy */
      for (int64_t a = 0; a < axis; ++a)
        dot += dy[base + a * inner] * (log ? 1.0f : y[base + a * inner]);
      for (int64_t a = 0; a < axis; ++a) {
        const int64_t k = base + a * inner;
        dx[k] += log ? dy[k] - expf(y[k]) * (float)dot : y[k] * (dy[k] - (float)dot);
      }
    }
}


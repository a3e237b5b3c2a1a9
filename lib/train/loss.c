/* loss.c - losses of lib/train, as forward/backward pairs on a batch of
 * logits: forward returns the mean loss, backward writes (=, not +=) its
 * gradient d(loss)/d(logits). Computed in doubles: the loss to the last
 * digit whatever the logits' range. */
#include <math.h>

#include "train_internal.h"

/* log-sum-exp of one row z (K) divided by T. */
static double lse_row(const float *z, int64_t K, double T) {
  double m = -INFINITY, sum = 0;
  for (int64_t k = 0; k < K; ++k)
    m = (double)z[k] / T > m ? (double)z[k] / T : m;
  for (int64_t k = 0; k < K; ++k)
    sum += exp((double)z[k] / T - m);
  return log(sum) + m;
}

/* The smoothed target of class k for label y: 1 - eps on y, eps/K on all. */
static double smoothed(int64_t k, int64_t y, int64_t K, float eps) {
  return (k == y ? 1.0 - eps : 0.0) + (double)eps / (double)K;
}

/* ---- softmax cross-entropy ---- */

/* logits (B,K), labels (B) */
float xent_forward(const float *logits, const int64_t *labels, int64_t B, int64_t K,
                   float eps) {
  double loss = 0;
  for (int64_t b = 0; b < B; ++b) {
    const float *z = logits + b * K;
    const double lse = lse_row(z, K, 1.0);
    for (int64_t k = 0; k < K; ++k)
      loss -= smoothed(k, labels[b], K, eps) * ((double)z[k] - lse);
  }
  return (float)(loss / (double)B);
}

/* dlogits (B,K) = (softmax(z) - target) / B */
void xent_backward(float *dlogits, const float *logits, const int64_t *labels, int64_t B,
                   int64_t K, float eps) {
  for (int64_t b = 0; b < B; ++b) {
    const float *z = logits + b * K;
    const double lse = lse_row(z, K, 1.0);
    for (int64_t k = 0; k < K; ++k)
      dlogits[b * K + k] =
          (float)((exp((double)z[k] - lse) - smoothed(k, labels[b], K, eps)) / (double)B);
  }
}

/* ---- distillation: alpha T^2 KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) CE ---- */

/* student, teacher (B,K), labels (B) */
float distill_forward(const float *student, const float *teacher, const int64_t *labels,
                      int64_t B, int64_t K, float T, float alpha, float eps) {
  double kl = 0;
  for (int64_t b = 0; b < B; ++b) {
    const float *s = student + b * K, *t = teacher + b * K;
    const double lse_s = lse_row(s, K, T), lse_t = lse_row(t, K, T);
    for (int64_t k = 0; k < K; ++k) {
      const double log_pt = t[k] / (double)T - lse_t, log_ps = s[k] / (double)T - lse_s;
      kl += exp(log_pt) * (log_pt - log_ps);
    }
  }
  return (float)(alpha * (double)T * T * kl / (double)B +
                 (1.0 - alpha) * xent_forward(student, labels, B, K, eps));
}

/* dlogits (B,K) = alpha T (softmax(s/T) - softmax(t/T)) / B + (1 - alpha) dCE */
void distill_backward(float *dlogits, const float *student, const float *teacher,
                      const int64_t *labels, int64_t B, int64_t K, float T, float alpha,
                      float eps) {
  xent_backward(dlogits, student, labels, B, K, eps);
  for (int64_t b = 0; b < B; ++b) {
    const float *s = student + b * K, *t = teacher + b * K;
    const double lse_s = lse_row(s, K, T), lse_t = lse_row(t, K, T);
    for (int64_t k = 0; k < K; ++k) {
      const double ps = exp(s[k] / (double)T - lse_s), pt = exp(t[k] / (double)T - lse_t);
      float *d = &dlogits[b * K + k];
      *d = (float)((1.0 - alpha) * *d + alpha * (double)T * (ps - pt) / (double)B);
    }
  }
}

/* ---- mean squared error against target (B,K), or one-hot labels (B) ---- */

static double target_of(const float *target, const int64_t *labels, int64_t b, int64_t k,
                        int64_t K) {
  return target ? (double)target[b * K + k] : (k == labels[b] ? 1.0 : 0.0);
}

/* logits (B,K) */
float mse_forward(const float *logits, const float *target, const int64_t *labels, int64_t B,
                  int64_t K) {
  double loss = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      const double r = (double)logits[b * K + k] - target_of(target, labels, b, k, K);
      loss += r * r;
    }
  return (float)(loss / ((double)B * (double)K));
}

/* dlogits (B,K) = 2 (logits - target) / (B K) */
void mse_backward(float *dlogits, const float *logits, const float *target,
                  const int64_t *labels, int64_t B, int64_t K) {
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k)
      dlogits[b * K + k] = (float)(2.0 * ((double)logits[b * K + k] -
                                          target_of(target, labels, b, k, K)) /
                                   ((double)B * (double)K));
}

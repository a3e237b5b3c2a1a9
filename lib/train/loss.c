/* loss.c - losses of lib/train: each returns the mean loss of a batch of
 * logits (B,K) and writes its gradient d(loss)/d(logits) (B,K) (the
 * backward half), computed in doubles. */
#include <math.h>

#include "train_internal.h"

float softmax_xent(float *dlogits, const float *logits, const int64_t *labels,
                   int64_t B, int64_t K, float eps) {
  double loss = 0;
  for (int64_t b = 0; b < B; ++b) {
    const float *z = logits + b * K;
    float *d = dlogits + b * K;
    float m = -INFINITY;
    for (int64_t k = 0; k < K; ++k)
      m = z[k] > m ? z[k] : m;
    double sum = 0; /* log-sum-exp in doubles: the loss to the last digit */
    for (int64_t k = 0; k < K; ++k)
      sum += exp((double)z[k] - m);
    const double lse = log(sum) + m;
    for (int64_t k = 0; k < K; ++k) {
      const double target = (k == labels[b] ? 1.0 - eps : 0.0) + (double)eps / (double)K;
      loss -= target * ((double)z[k] - lse);
      d[k] = (float)((exp((double)z[k] - lse) - target) / (double)B);
    }
  }
  return (float)(loss / (double)B);
}

/* log softmax(z / T) of one row of K logits into out, in doubles. */
static void log_softmax_row(double *out, const float *z, int64_t K, double T) {
  double m = -INFINITY, sum = 0;
  for (int64_t k = 0; k < K; ++k)
    m = (double)z[k] / T > m ? (double)z[k] / T : m;
  for (int64_t k = 0; k < K; ++k)
    sum += exp((double)z[k] / T - m);
  const double lse = log(sum) + m;
  for (int64_t k = 0; k < K; ++k)
    out[k] = (double)z[k] / T - lse;
}

float distill_xent(float *dlogits, const float *student, const float *teacher,
                   const int64_t *labels, int64_t B, int64_t K, float T, float alpha,
                   float eps, double *scratch) {
  /* the cross-entropy part and its gradient, then the KL part added */
  const double ce = softmax_xent(dlogits, student, labels, B, K, eps);
  double *ls = scratch, *lt = scratch + K, kl = 0;
  for (int64_t b = 0; b < B; ++b) {
    log_softmax_row(ls, student + b * K, K, T);
    log_softmax_row(lt, teacher + b * K, K, T);
    float *d = dlogits + b * K;
    for (int64_t k = 0; k < K; ++k) {
      const double pt = exp(lt[k]);
      kl += pt * (lt[k] - ls[k]);
      /* d/ds of T^2 KL / B = T (softmax(s/T) - softmax(t/T)) / B */
      const double dkl = (double)T * (exp(ls[k]) - pt) / (double)B;
      d[k] = (float)((1.0 - alpha) * d[k] + alpha * dkl);
    }
  }
  return (float)(alpha * (double)T * T * kl / (double)B + (1.0 - alpha) * ce);
}

float mse_loss(float *dlogits, const float *logits, const float *target,
               const int64_t *labels, int64_t B, int64_t K) {
  double loss = 0;
  const double n = (double)B * (double)K;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      const double y = target ? target[b * K + k] : (k == labels[b] ? 1.0 : 0.0);
      const double r = (double)logits[b * K + k] - y;
      loss += r * r;
      dlogits[b * K + k] = (float)(2.0 * r / n);
    }
  return (float)(loss / n);
}

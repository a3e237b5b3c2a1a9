/* loss.c - losses of lib/train. */
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

/* train_internal.h - private to lib/train. */
#ifndef SP_TRAIN_INTERNAL_H
#define SP_TRAIN_INTERNAL_H

#include <stdint.h>

/* Mean softmax cross-entropy of logits (B,K) against labels (B) in [0, K),
 * with label smoothing eps (1 - eps on the label, eps/K spread over all K);
 * dlogits (B,K) = d(loss)/d(logits), written. Returns the loss. */
float softmax_xent(float *dlogits, const float *logits, const int64_t *labels,
                   int64_t B, int64_t K, float eps);

#endif

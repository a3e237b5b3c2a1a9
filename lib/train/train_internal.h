/* train_internal.h - private to lib/train. */
#ifndef SP_TRAIN_INTERNAL_H
#define SP_TRAIN_INTERNAL_H

#include <stdint.h>

/* Losses (loss.c) on logits (B,K): *_forward returns the mean loss of the
 * batch, *_backward writes dlogits (B,K) = d(loss)/d(logits). */

/* Softmax cross-entropy against labels (B) in [0, K) with label smoothing
 * eps (1 - eps on the label, eps/K spread over all K). */
float xent_forward(const float *logits, const int64_t *labels, int64_t B, int64_t K,
                   float eps);
void xent_backward(float *dlogits, const float *logits, const int64_t *labels, int64_t B,
                   int64_t K, float eps);

/* Knowledge distillation from teacher logits (B,K):
 *   alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) (mean over B)
 *   + (1 - alpha) * cross-entropy(student, labels, eps). */
float distill_forward(const float *student, const float *teacher, const int64_t *labels,
                      int64_t B, int64_t K, float T, float alpha, float eps);
void distill_backward(float *dlogits, const float *student, const float *teacher,
                      const int64_t *labels, int64_t B, int64_t K, float T, float alpha,
                      float eps);

/* Mean over all B*K of (logits - target)^2, target (B,K), or the one-hot
 * labels (B) when target is NULL. */
float mse_forward(const float *logits, const float *target, const int64_t *labels, int64_t B,
                  int64_t K);
void mse_backward(float *dlogits, const float *logits, const float *target,
                  const int64_t *labels, int64_t B, int64_t K);

#endif

/* train_internal.h - private to lib/train. */
#ifndef SP_TRAIN_INTERNAL_H
#define SP_TRAIN_INTERNAL_H

#include <stdint.h>

/* Mean softmax cross-entropy of logits (B,K) against labels (B) in [0, K),
 * with label smoothing eps (1 - eps on the label, eps/K spread over all K);
 * dlogits (B,K) = d(loss)/d(logits), written. Returns the loss. */
float softmax_xent(float *dlogits, const float *logits, const int64_t *labels,
                   int64_t B, int64_t K, float eps);

/* Knowledge distillation: student and teacher logits (B,K), labels (B):
 *   alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) (mean over B)
 *   + (1 - alpha) * softmax_xent(student, labels, eps);
 * dlogits (B,K) = d(loss)/d(student), written; scratch holds 2K doubles.
 * Returns the loss. */
float distill_xent(float *dlogits, const float *student, const float *teacher,
                   const int64_t *labels, int64_t B, int64_t K, float T, float alpha,
                   float eps, double *scratch);

/* Mean squared error over all B*K logits against target (B,K), or against
 * the one-hot labels (B) when target is NULL; dlogits (B,K) written.
 * Returns the loss. */
float mse_loss(float *dlogits, const float *logits, const float *target,
               const int64_t *labels, int64_t B, int64_t K);

#endif

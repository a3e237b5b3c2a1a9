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

/* ---- what masks.c and regularize.c need of the trainer (train.c) ---- */

#include <stddef.h>

#include "sp/error.h"
#include "sp/train.h"

const sp_onnx_model *train_model(const sp_trainer *t);
/* The optimizer state (first, second moment) of parameter i. */
void train_param_moments(const sp_trainer *t, size_t i, float **m, float **v);
/* BatchNormalization running statistics: count, and the i-th. */
size_t train_num_stats(const sp_trainer *t);
const char *train_stat(const sp_trainer *t, size_t i, float **value, int64_t *numel);

/* ---- masks (masks.c): the model's "sp.masks" kept at exactly zero ---- */

typedef struct train_masks train_masks;
/* Reads the model's sp.masks metadata (none: *out = NULL, 0). Errors name
 * the file and tensor when a mask does not fit the model. */
int train_masks_create(const sp_trainer *t, train_masks **out, sp_error *err);
/* Zeroes the masked gradients (before clipping and the update). */
void train_masks_zero_grads(const train_masks *m);
/* Zeroes the masked values, both moments and masked statistics. */
void train_masks_apply(const train_masks *m);
void train_masks_free(train_masks *m);

/* ---- sparsity regularizers (regularize.c) ---- */

typedef struct train_regularizer train_regularizer;
/* From options l1_bn, group_lasso, groups (NULL *out when both are off). */
int train_regularizer_create(const sp_trainer *t, const sp_train_options *o,
                             train_regularizer **out, sp_error *err);
/* Adds the regularizers' gradients into the gradient arena; returns their
 * value (added to the loss). */
/* Adds the regularizers' gradients (times share: this process's part of
 * the global batch, 1 alone) and returns their value. */
double train_regularize(const train_regularizer *r, float share);
void train_regularizer_free(train_regularizer *r);

#endif

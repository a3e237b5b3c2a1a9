/* sp/train.h - fine-tuning an ONNX model on the CPU, in C (lib/train).
 *
 * A trainer runs the model in the runtime's training mode (sp/runtime.h:
 * every value kept, BatchNormalization on batch statistics), adds softmax
 * cross-entropy on output 0, walks the backward kernels and updates the
 * parameters: the float initializers that feed Conv, ConvTranspose, Gemm and
 * MatMul weights and biases, normalisation scales and biases, and constant
 * float operands of Add/Sub/Mul. They live in one writable arena with their
 * gradients and the optimizer state in the same layout (llm.c's
 * malloc_and_point_parameters), so an update is one loop over flat arrays.
 * BatchNormalization running statistics are kept writable beside them and
 * saved with the weights. Never links MLIR. */
#ifndef SP_TRAIN_H
#define SP_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "sp/error.h"
#include "sp/onnx.h"

typedef enum sp_optimizer { SP_OPTIM_SGD, SP_OPTIM_ADAMW } sp_optimizer;
typedef enum sp_schedule {
  SP_SCHEDULE_CONSTANT,
  SP_SCHEDULE_STEP,   /* lr * gamma^(step / step_size) */
  SP_SCHEDULE_COSINE, /* lr * (1 + cos(pi step / total)) / 2 */
} sp_schedule;

typedef struct sp_train_options {
  sp_optimizer optimizer;
  float lr;
  float momentum;     /* SGD */
  int nesterov;       /* SGD */
  float weight_decay; /* SGD: L2 added to the gradient; AdamW: decoupled */
  float beta1, beta2, adam_eps;
  float label_smoothing;
  float clip_norm; /* > 0: gradients scaled to this global L2 norm at most */
  sp_schedule schedule;
  int64_t total_steps;  /* cosine: the step where lr reaches 0 */
  int64_t warmup_steps; /* linear warm-up from 0 over these steps */
  int64_t step_size;    /* step schedule */
  float gamma;          /* step schedule */
  /* sparsity (lib/train/regularize.c): l1_bn * sum |BN scale| (network
   * slimming); group_lasso * sum over the units of every prunable group in
   * the groups file (sp-dependency-groups{export=}) of the L2 norm of the
   * unit's slices of every trained member */
  float l1_bn;
  float group_lasso;
  const char *groups; /* JSON file; required when group_lasso > 0 */
} sp_train_options;

/* SGD, lr 0.01, momentum 0.9, no decay; Adam betas 0.9/0.999, eps 1e-8. */
void sp_train_options_default(sp_train_options *o);

typedef struct sp_trainer sp_trainer;

/* A trainer over model (which must outlive it; its initializers are read,
 * never changed). The model's first input takes the images, output 0 the
 * logits (batch, classes). Fails naming the first node on the training
 * path whose op has no backward kernel only when a step reaches it. The
 * model's "sp.masks" metadata (sp/masks.h) is kept at exactly zero in the
 * values, gradients, optimizer state and statistics; a mask that does not
 * fit the model, or a groups file that does not, fails here. */
int sp_trainer_create(sp_onnx_model *model, const sp_train_options *options,
                      sp_trainer **out, sp_error *err);
void sp_trainer_free(sp_trainer *t);

/* Forward and backward on one batch: x (dims[0] = batch) as the first
 * input, labels (batch) in [0, classes); gradients of the loss (mean over
 * the batch) are added into the gradient arena. *loss receives the loss.
 * A non-finite loss or a label out of range is an error. */
int sp_trainer_backward(sp_trainer *t, const float *x, const int64_t *dims,
                        int rank, const int64_t *labels, float *loss,
                        sp_error *err);
/* sp_trainer_backward, then one optimizer update, then gradients zeroed. */
int sp_trainer_step(sp_trainer *t, const float *x, const int64_t *dims,
                    int rank, const int64_t *labels, float *loss,
                    sp_error *err);
/* Inference (running statistics) on one batch: *correct counts labels
 * that are the arg-max of the logits. */
int sp_trainer_eval(sp_trainer *t, const float *x, const int64_t *dims,
                    int rank, const int64_t *labels, int64_t *correct,
                    sp_error *err);

/* The learning rate the schedule gives the next step. */
float sp_trainer_lr(const sp_trainer *t);
/* Steps taken so far. */
int64_t sp_trainer_steps(const sp_trainer *t);

/* Trained parameters: count, and name/values/gradient of the i-th (NULL
 * past the end). Values and gradients are the arena's, valid until free. */
size_t sp_trainer_num_params(const sp_trainer *t);
const char *sp_trainer_param(const sp_trainer *t, size_t i, float **value,
                             float **grad, int64_t *numel);

/* Writes the model with the trained parameters and BatchNormalization
 * statistics (same graph) to path, atomically (sp/output.h). */
int sp_trainer_save(sp_trainer *t, const char *path, sp_error *err);

/* ---- data (lib/train/data.c) ---- */

/* Images and integer labels in memory: x (count, sample) floats. */
typedef struct sp_dataset {
  int64_t count;
  int rank;                      /* of one sample, e.g. 3 for (1, 28, 28) */
  int64_t sample_dims[4];
  int64_t sample_size;           /* floats per sample */
  float *x;
  int64_t *labels;
  int64_t classes;               /* max label + 1 */
} sp_dataset;

/* IDX image (magic 2051) and label (2049) files, gzip or plain, as in
 * Debian's dataset-fashion-mnist: samples (1, rows, cols) with pixels
 * (p / 255 - mean) / std. */
int sp_dataset_load_idx(const char *images, const char *labels, float mean,
                        float std, sp_dataset *out, sp_error *err);
void sp_dataset_free(sp_dataset *d);

#endif

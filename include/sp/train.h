/* sp/train.h - fine-tuning an ONNX model on the CPU, in C (lib/train).
 *
 * A trainer runs the model in the runtime's training mode (sp/runtime.h:
 * every value kept, BatchNormalization on batch statistics), adds a loss on
 * output 0 (softmax cross-entropy, distillation from a teacher model, or
 * MSE), walks the backward kernels and updates the
 * parameters: the float initializers that feed Conv, ConvTranspose, Gemm and
 * MatMul weights and biases, normalisation scales and biases, constant
 * float operands of Add/Sub/Mul/Pow, embedding tables (Gather's data) and
 * tokens broadcast by Expand. They live in one writable arena with their
 * gradients and the optimizer state in the same layout (llm.c's
 * malloc_and_point_parameters), so an update is one loop over flat arrays.
 * BatchNormalization running statistics are kept writable beside them and
 * saved with the weights. Never links MLIR. */
#ifndef SP_TRAIN_H
#define SP_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "sp/error.h"
#include "sp/npy.h"
#include "sp/onnx.h"
#include "sp/runtime.h"

typedef enum sp_optimizer { SP_OPTIM_SGD, SP_OPTIM_ADAMW } sp_optimizer;
typedef enum sp_schedule {
  SP_SCHEDULE_CONSTANT,
  SP_SCHEDULE_STEP,   /* lr * gamma^(step / step_size) */
  SP_SCHEDULE_COSINE, /* lr * (1 + cos(pi step / total)) / 2 */
  /* torch.optim.lr_scheduler.OneCycleLR with its defaults but no momentum
   * cycling: cosine from lr / div_factor up to lr over pct_start of the
   * steps, then cosine down to lr / div_factor / final_div_factor */
  SP_SCHEDULE_ONE_CYCLE,
} sp_schedule;

typedef enum sp_loss {
  /* softmax cross-entropy on integer labels (label smoothing); with a
   * teacher: kd_alpha * KL(softmax(t/T) || softmax(s/T)) * T^2
   *          + (1 - kd_alpha) * cross-entropy */
  SP_LOSS_XENT,
  /* mean over batch and classes of (s - target)^2, the target being the
   * teacher's logits when there is a teacher (logit matching), else the
   * one-hot labels */
  SP_LOSS_MSE,
} sp_loss;

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
  /* ---- losses, one-cycle, freezing, seed ---- */
  sp_loss loss;
  const char *teacher;  /* ONNX model run forward in inference mode on each
                           batch (its first input, output 0); NULL: none */
  float kd_temperature; /* T */
  float kd_alpha;       /* weight of the distillation term */
  float pct_start;      /* one-cycle: share of the steps going up */
  float div_factor;     /* one-cycle: lr / div_factor at the start */
  float final_div_factor; /* one-cycle: ... / final_div_factor at the end */
  const char *const *freeze; /* n_freeze fnmatch(3) globs over initializer */
  size_t n_freeze;           /* names: those parameters never change */
  uint64_t seed; /* every random choice of the trainer and sp_train_shuffle */
  /* sparsity (lib/train/regularize.c): l1_bn * sum |BN scale| (network
   * slimming); group_lasso * sum over the units of every prunable group in
   * the groups file (sp-dependency-groups{export=}) of the L2 norm of the
   * unit's slices of every trained member */
  float l1_bn;
  float gate_l1; /* gate_l1 * sum |g| over sp-insert-gates gates (sp.gate.*) */
  float group_lasso;
  const char *groups; /* JSON file; required when group_lasso > 0 */
} sp_train_options;

/* SGD, lr 0.01, momentum 0.9, no decay; Adam betas 0.9/0.999, eps 1e-8;
 * cross-entropy, KD temperature 4 and alpha 0.5; one-cycle pct_start 0.3,
 * div_factor 25, final_div_factor 1e4 (OneCycleLR's); seed 1. */
void sp_train_options_default(sp_train_options *o);

typedef struct sp_trainer sp_trainer;

/* A trainer over model (which must outlive it; its initializers are read,
 * never changed). The model's first input takes the images (or, when it is
 * int64, token ids: x rounded to integers), output 0 the logits (batch,
 * classes), or (batch, positions..., classes) for a token model, the loss
 * then averaging over every position (a language model's next tokens).
 * Fails naming the first node on the training path whose op has no backward kernel only when a step reaches it. The
 * model's "sp.masks" metadata (sp/masks.h) is kept at exactly zero in the
 * values, gradients, optimizer state and statistics; a mask that does not
 * fit the model, or a groups file that does not, fails here. */
int sp_trainer_create(sp_onnx_model *model, const sp_train_options *options,
                      sp_trainer **out, sp_error *err);
/* The options the trainer runs with (freeze is NULL there: the globs were
 * applied at creation; teacher is the trainer's own copy of the path). */
const sp_train_options *sp_trainer_options(const sp_trainer *t);
/* Schedules that need the run's length (cosine, one-cycle) take it here, for
 * callers that learn it after creating the trainer. */
void sp_trainer_set_total_steps(sp_trainer *t, int64_t total_steps);
void sp_trainer_free(sp_trainer *t);

/* Forward and backward on one batch: x (dims[0] = batch) as the first
 * input, labels in [0, classes), one per row of the logits: (batch), or
 * (batch, positions...) for a token model; gradients of the loss (mean over
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

/* sp_trainer_eval that also adds to *xent the cross-entropy (nats, summed
 * over every row of the logits, i.e. every position of a token model) and
 * to *rows their count: a language model's validation loss is *xent / *rows.
 * A label out of range is an error. */
int sp_trainer_eval_xent(sp_trainer *t, const float *x, const int64_t *dims, int rank,
                         const int64_t *labels, int64_t *correct, double *xent,
                         int64_t *rows, sp_error *err);

/* Inference (running statistics) on one batch: argmax receives the arg-max
 * of every row of the logits (batch rows for an image model). */
int sp_trainer_predict(sp_trainer *t, const float *x, const int64_t *dims, int rank,
                       int64_t *argmax, sp_error *err);

/* Data-parallel training (sp-train under mpirun): with a collective each
 * process passes its share of every global batch; the loss becomes the
 * global batch's mean, BatchNormalization uses global batch statistics,
 * and sp_trainer_step sums the gradients over processes before the update,
 * so every process takes the same step (sp_trainer_backward alone leaves
 * this process's share in the gradients). NULL: alone. c must outlive t. */
void sp_trainer_set_collective(sp_trainer *t, const sp_collective *c);
/* One optimizer update from the gradients accumulated by
 * sp_trainer_backward (possibly several batches; with a collective, summed
 * over the processes first), then gradients zeroed. */
int sp_trainer_update(sp_trainer *t, sp_error *err);
/* Labels the last sp_trainer_backward's logits got right (arg-max). */
int64_t sp_trainer_batch_correct(const sp_trainer *t);
/* Mean softmax cross-entropy (nats, no smoothing) of the last
 * sp_trainer_backward's logits against its labels, whatever the training
 * loss (distillation, MSE): bits per character is this / ln 2. */
double sp_trainer_batch_xent(const sp_trainer *t);

/* The runtime the trainer runs (for sp_runtime_set_profile and
 * sp_runtime_profile_print); valid until sp_trainer_free. */
sp_runtime *sp_trainer_runtime(sp_trainer *t);

/* The learning rate the schedule gives the next step. */
float sp_trainer_lr(const sp_trainer *t);
/* Steps taken so far. */
int64_t sp_trainer_steps(const sp_trainer *t);

/* Trained parameters (frozen ones excluded): count, and name/values/gradient
 * of the i-th (NULL past the end). Values and gradients are the arena's,
 * valid until free. */
size_t sp_trainer_num_params(const sp_trainer *t);
const char *sp_trainer_param(const sp_trainer *t, size_t i, float **value,
                             float **grad, int64_t *numel);

/* Writes the model with the trained parameters and BatchNormalization
 * statistics (same graph) to path, atomically (sp/output.h). */
int sp_trainer_save(sp_trainer *t, const char *path, sp_error *err);

/* The state a run needs to continue bit for bit, written atomically
 * (sp/output.h) to path: parameter values, BatchNormalization statistics,
 * optimizer moments, step count, the caller's epoch, seed and random state
 * (format in lib/train/state.c and docs/training.md). */
int sp_trainer_save_state(sp_trainer *t, const char *path, int64_t epoch,
                          sp_error *err);
/* Reads a state file written for the same model, parameters (same names and
 * sizes, same freezing) and optimizer into t; *epoch receives the epoch
 * saved. A bad or mismatched file is one error naming it; t is then
 * unchanged. */
int sp_trainer_load_state(sp_trainer *t, const char *path, int64_t *epoch,
                          sp_error *err);

/* order[0..n) = a permutation of 0..n-1 that depends only on (seed, epoch):
 * the shuffle of each epoch, so a resumed run sees the same batches. */
void sp_train_shuffle(int64_t *order, int64_t n, uint64_t seed, int64_t epoch);

/* ---- data (lib/train/data.c, npy.c, loader.c) ---- */

/* Samples and integer labels in memory: x (count, sample) floats, labels
 * (count, label_size): one per sample for a classifier, one per position for
 * a token model (a text window's next characters). */
typedef struct sp_dataset {
  int64_t count;
  int rank;                      /* of one sample, e.g. 3 for (1, 28, 28) */
  int64_t sample_dims[4];
  int64_t sample_size;           /* floats per sample */
  float *x;
  int64_t *labels;
  int64_t classes;               /* max label + 1 */
  int64_t label_size;            /* labels per sample; 0 reads as 1 */
} sp_dataset;

/* Labels per sample of d (label_size, 1 when unset). */
static inline int64_t sp_dataset_label_size(const sp_dataset *d) {
  return d->label_size > 0 ? d->label_size : 1;
}

/* IDX image (magic 2051) and label (2049) files, gzip or plain, as in
 * Debian's dataset-fashion-mnist: samples (1, rows, cols) with pixels
 * (p / 255 - mean) / std (mean 0, std 1 keeps p / 255 for a loader that
 * normalises per batch). */
int sp_dataset_load_idx(const char *images, const char *labels, float mean,
                        float std, sp_dataset *out, sp_error *err);

/* .npy arrays (sp/npy.h; gzip or plain): inputs x (N, ...) float32, or
 * uint8 read as p / 255, at most 4 dims per sample; labels y (N) int64 or
 * int32, non-negative. Values are not normalised (the loader does it). */
int sp_dataset_load_npy(const char *x_path, const char *y_path,
                        sp_dataset *out, sp_error *err);

/* A folder of TensorProto pairs input_0.pb/label_0.pb, input_1.pb/... (up
 * to the first missing index): float inputs, int64 labels. An input of
 * rank sample_rank is one sample (its label has one element), of rank
 * sample_rank + 1 a batch (labels (batch)); sample_rank 0 (unknown) lets the
 * label decide (a scalar: one sample; a vector: a batch). Every sample has
 * the same dims. Values are not normalised. */
int sp_dataset_load_pb_dir(const char *dir, int sample_rank, sp_dataset *out,
                           sp_error *err);
/* The input_N.pb files of dir alone (no label files), each a batch whose
 * first dim counts the samples; labels are all 0 (for a caller that labels
 * them itself, e.g. by a model's predictions). */
int sp_dataset_load_pb_inputs(const char *dir, sp_dataset *out, sp_error *err);
void sp_dataset_free(sp_dataset *d);

/* A text file (gzip or plain) as character windows for a language model:
 * the vocabulary is the byte values (token id = byte), every byte must be
 * below vocab (else an error naming the file and the byte's offset). Window
 * i is x = bytes[i*stride, i*stride + seq_len) (rank 1, sample_dims {seq_len})
 * and its labels the next characters bytes[i*stride + 1, ... + seq_len + 1)
 * (label_size seq_len); (size - seq_len - 1) / stride + 1 windows, so a file
 * needs seq_len + 1 bytes at least. */
int sp_dataset_load_text(const char *path, int64_t seq_len, int64_t stride, int64_t vocab,
                         sp_dataset *out, sp_error *err);

/* ---- batches (lib/train/loader.c) ---- */

#define SP_MAX_CHANNELS 16

/* Per-channel normalisation x' = (x - mean[c]) / std[c]; channels 1 applies
 * mean[0], std[0] to every value. The channel is a sample's first dim when
 * it has 3 dims (C, H, W). */
typedef struct sp_normalize {
  int channels;
  float mean[SP_MAX_CHANNELS], std[SP_MAX_CHANNELS];
} sp_normalize;

/* Parses "--mean M[,M2...]" and "--std S[,S2...]" lists (either may be NULL:
 * 0 and 1); a list of one value, or of equal lengths. */
int sp_normalize_parse(const char *mean, const char *std, sp_normalize *out,
                       sp_error *err);
/* Fails naming what (the data file) unless n's channels fit d's samples. */
int sp_normalize_check(const sp_normalize *n, const sp_dataset *d,
                       const char *what, sp_error *err);

/* Random augmentation of training samples (C, H, W) or (H, W). */
typedef struct sp_augment {
  int flip;     /* mirror W with probability 0.5 */
  int crop_pad; /* > 0: pad P zeros each side, crop H x W back at a random offset */
} sp_augment;

/* Parses "flip", "crop=P" or both, comma separated. */
int sp_augment_parse(const char *text, sp_augment *out, sp_error *err);

/* out (C, H, W) = the crop of in padded by pad zeros (before
 * normalisation) at offset (dy, dx) in [0, 2 pad], then mirrored along W
 * when flip: torchvision's RandomCrop(padding=pad) then
 * RandomHorizontalFlip. out and in do not overlap. */
void sp_augment_sample(const float *in, float *out, int64_t C, int64_t H,
                       int64_t W, int pad, int64_t dy, int64_t dx, int flip);

/* Contiguous samples [first, first + n) of d, normalised, no augmentation
 * (evaluation): x (n, sample), labels (n, label_size). */
void sp_dataset_batch(const sp_dataset *d, const sp_normalize *norm,
                      int64_t first, int64_t n, float *x, int64_t *labels);

typedef struct sp_loader_options {
  int64_t batch;
  int64_t epochs;   /* batches are prepared up to this epoch */
  int64_t start_epoch; /* epochs already done (a resumed run): batches from the next */
  uint32_t seed;    /* shuffle and augmentation; same seed, same batches */
  int shuffle;
  sp_augment augment;
  sp_normalize norm;
  int threaded;     /* prepare the next batch on a loader thread */
} sp_loader_options;

/* One batch: x (n, sample dims...) as dims[0, rank), labels (n, label_size
 * of the dataset). Valid until
 * the next sp_loader_next or sp_loader_free. */
typedef struct sp_batch {
  const float *x;
  const int64_t *labels;
  int64_t n;
  int rank;
  int64_t dims[5];
  int64_t epoch; /* from 1 */
  int64_t index; /* in the epoch, from 0 */
} sp_batch;

typedef struct sp_loader sp_loader;

/* Training batches over d (which must outlive the loader): each epoch a
 * seeded Fisher-Yates shuffle, then per sample gather, augment, normalise.
 * With options->threaded a loader thread prepares the next batch into a
 * second buffer while the caller uses the current one; the batches are
 * bit-identical either way. */
int sp_loader_create(const sp_dataset *d, const sp_loader_options *options,
                     sp_loader **out, sp_error *err);
/* Batches per epoch (the last may be short). */
int64_t sp_loader_steps_per_epoch(const sp_loader *l);
/* The next batch, epoch after epoch; fails past options->epochs. */
int sp_loader_next(sp_loader *l, sp_batch *out, sp_error *err);
/* Stops and joins the loader thread (any time, also mid-epoch). */
void sp_loader_free(sp_loader *l);

#endif

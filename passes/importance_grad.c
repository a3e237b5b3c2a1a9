/* Gradient criteria of sp-importance (docs/pruning.md):
 *   taylor-weight  |w * g| per element, g the batch-mean gradient averaged
 *                  over the calibration batches (Molchanov et al. 2019);
 *   fisher         1/2 w^2 * mean over batches of g^2 (OBD's saliency with
 *                  the empirical Fisher as the Hessian diagonal; LeCun et al.
 *                  1990, Theis et al. 2018), g a batch's mean gradient;
 *   hessian-diag   the same with g one sample's gradient (batches of 1): the
 *                  empirical Fisher diagonal (1/N) sum_n g_n^2 itself.
 * labels=model replaces the data's labels by the arg-max of the model's own
 * outputs (inference mode) before any gradient: the KL to the unpruned model
 * has zero gradient at the unpruned model, its most likely class does not.
 * The gradients come from lib/train's trainer over the module
 * (training_bridge.h): cross-entropy against the data's labels, training-mode
 * forward (BatchNormalization on batch statistics, as fine-tuning runs). The
 * per-element tensors are then summed per unit by Importance.c like l1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "saliency.h"
#include "sp/passes.h"
#include "sp/train.h"
#include "training_bridge.h"

#define PASS "sp-importance"
#define FASHION_MNIST "/usr/share/datasets/fashion-mnist"

typedef struct saliency {
  size_t n;
  MlirOperation *ops;
  float **values; /* per parameter, numel floats */
  int64_t *numel;
} saliency;

static const float *saliency_get(void *user, MlirOperation owner, size_t *bytes) {
  const saliency *s = user;
  for (size_t i = 0; i < s->n; ++i)
    if (mlirOperationEqual(s->ops[i], owner)) {
      *bytes = (size_t)s->numel[i] * sizeof(float);
      return s->values[i];
    }
  return NULL;
}

void sp_saliency_free(sp_saliency_source *src) {
  saliency *s = src->user;
  if (!s)
    return;
  for (size_t i = 0; i < s->n; ++i)
    free(s->values[i]);
  free(s->values);
  free(s->ops);
  free(s->numel);
  free(s);
  src->user = NULL;
}

/* The data of args: calibration=DIR (input_N.pb/label_N.pb, used as they
 * are) or data=fashion-mnist[:DIR] (train-* IDX files, (p/255 - mean)/std).
 * 0, or -1 with one error emitted. */
static int load_data(MlirOperation module, const struct sp_pass_args *args, sp_dataset *d) {
  const char *cal = sp_pass_arg_string(args, "calibration");
  const char *labels = sp_pass_arg_string(args, "labels");
  int own_labels = labels && !strcmp(labels, "model");
  const char *data = sp_pass_arg_string(args, "data");
  sp_error err = {{0}};
  int64_t limit = sp_pass_arg_int(args, "limit");
  if ((!cal || !*cal) == (!data || !*data)) {
    sp_emit_error(module, PASS ": criterion=%s needs exactly one of calibration=DIR "
                          "(input_N.pb with label_N.pb, or without under labels=model) and "
                          "data=fashion-mnist[:DIR]",
                  sp_pass_arg_string(args, "criterion"));
    return -1;
  }
  if (cal && *cal) {
    if (own_labels ? sp_dataset_load_pb_inputs(cal, d, &err)
                   : sp_dataset_load_pb_dir(cal, 0, d, &err)) {
      sp_emit_error(module, PASS ": %s", err.message);
      return -1;
    }
  } else {
    if (strncmp(data, "fashion-mnist", 13) || (data[13] && data[13] != ':') ||
        (data[13] == ':' && !data[14])) {
      sp_emit_error(module, PASS ": data='%s' is not fashion-mnist[:DIR] (IDX files)", data);
      return -1;
    }
    const char *dir = data[13] == ':' ? data + 14 : FASHION_MNIST;
    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte.gz", dir);
    if (sp_dataset_load_idx(images, labels, (float)sp_pass_arg_float(args, "mean"),
                            (float)sp_pass_arg_float(args, "std"), d, &err)) {
      sp_emit_error(module, PASS ": %s", err.message);
      return -1;
    }
  }
  if (limit > 0 && limit < d->count)
    d->count = limit;
  if (d->count == 0) {
    sp_emit_error(module, PASS ": %s holds no samples", cal && *cal ? cal : data);
    return -1;
  }
  return 0;
}

/* Runs forward and backward on every batch of d in order, the gradients
 * zeroed before each, and calls per_batch after each; returns the number of
 * batches, or -1 with one error emitted. */
typedef void (*batch_fn)(sp_trainer *t, void *user);
static int64_t each_batch(sp_train_bridge *b, const sp_dataset *d, int64_t batch,
                          batch_fn per_batch, void *user) {
  sp_trainer *t = sp_train_bridge_trainer(b);
  size_t n = sp_trainer_num_params(t);
  sp_normalize identity = {.channels = 1, .mean = {0}, .std = {1}};
  float *x = malloc((size_t)(batch * d->sample_size) * sizeof *x);
  int64_t *labels = malloc((size_t)batch * sizeof *labels);
  sp_error err = {{0}};
  int64_t batches = 0;
  int rc = 0;
  for (int64_t first = 0; first < d->count && !rc; first += batch, ++batches) {
    int64_t m = d->count - first < batch ? d->count - first : batch;
    sp_dataset_batch(d, &identity, first, m, x, labels);
    int64_t dims[5] = {m};
    for (int k = 0; k < d->rank; ++k)
      dims[k + 1] = d->sample_dims[k];
    for (size_t i = 0; i < n; ++i) { // each batch's gradient on its own
      float *grad;
      int64_t numel;
      sp_trainer_param(t, i, NULL, &grad, &numel);
      memset(grad, 0, (size_t)numel * sizeof *grad);
    }
    float loss;
    if (!(rc = sp_trainer_backward(t, x, dims, d->rank + 1, labels, &loss, &err)))
      per_batch(t, user);
  }
  free(x);
  free(labels);
  return rc ? sp_train_bridge_emit(b, &err) : batches;
}

typedef struct {
  saliency *s;
  int fisher;
} grad_sums;

static void add_gradients(sp_trainer *t, void *user) {
  grad_sums *a = user;
  for (size_t i = 0; i < a->s->n; ++i) {
    float *grad;
    sp_trainer_param(t, i, NULL, &grad, NULL);
    float *acc = a->s->values[i];
    for (int64_t k = 0; k < a->s->numel[i]; ++k)
      acc[k] += a->fisher ? grad[k] * grad[k] : grad[k];
  }
}

/* Accumulates per parameter sum_b g_b (taylor) or sum_b g_b^2 (fisher)
 * over the batches of d, then turns it into the saliency in place. */
static int accumulate(sp_train_bridge *b, const sp_dataset *d, int64_t batch, int fisher,
                      saliency *s) {
  sp_trainer *t = sp_train_bridge_trainer(b);
  size_t n = sp_trainer_num_params(t);
  s->ops = calloc(n + 1, sizeof *s->ops);
  s->values = calloc(n + 1, sizeof *s->values);
  s->numel = calloc(n + 1, sizeof *s->numel);
  s->n = n;
  for (size_t i = 0; i < n; ++i) {
    sp_trainer_param(t, i, NULL, NULL, &s->numel[i]);
    s->ops[i] = sp_train_bridge_param_op(b, i);
    s->values[i] = calloc((size_t)s->numel[i] + 1, sizeof(float));
  }
  grad_sums sums = {s, fisher};
  int64_t batches = each_batch(b, d, batch, add_gradients, &sums);
  if (batches < 0)
    return -1;
  for (size_t i = 0; i < n; ++i) {
    float *w;
    sp_trainer_param(t, i, &w, NULL, NULL);
    float *acc = s->values[i];
    for (int64_t k = 0; k < s->numel[i]; ++k) {
      double mean = (double)acc[k] / (double)batches;
      acc[k] = fisher ? (float)(0.5 * w[k] * w[k] * mean) : (float)fabs(w[k] * mean);
    }
  }
  return 0;
}

/* taylor's per-batch step: each target's channel sums of w * g, in absolute
 * value, added to its score. index[k] is the trainer parameter of the k-th
 * target parameter (-1: not trained, it does not count). */
typedef struct {
  sp_taylor_target *targets;
  size_t n;
  const int64_t *index;
  double *channel; /* scratch, the largest channel count */
} taylor_sums;

static void add_taylor(sp_trainer *t, void *user) {
  taylor_sums *a = user;
  size_t k = 0;
  for (size_t j = 0; j < a->n; ++j) {
    sp_taylor_target *tg = &a->targets[j];
    int64_t channels = tg->params[0].channels;
    memset(a->channel, 0, (size_t)channels * sizeof *a->channel);
    for (int p = 0; p < tg->num_params; ++p, ++k) {
      if (a->index[k] < 0)
        continue;
      float *w, *g;
      sp_trainer_param(t, (size_t)a->index[k], &w, &g, NULL);
      const sp_taylor_param *tp = &tg->params[p];
      for (int64_t o = 0; o < tp->outer; ++o)
        for (int64_t c = 0; c < tp->channels; ++c) {
          int64_t at = (o * tp->channels + c) * tp->inner;
          double sum = 0;
          for (int64_t i = 0; i < tp->inner; ++i)
            sum += (double)w[at + i] * g[at + i];
          a->channel[c] += sum;
        }
    }
    for (int64_t c = 0; c < channels; ++c)
      tg->score[c] += fabs(a->channel[c]);
  }
}

/* labels=model: every sample of d labelled by the arg-max of the module's
 * logits, inference mode (running statistics), in batches of batch. */
static int label_by_model(sp_train_bridge *b, sp_dataset *d, int64_t batch) {
  sp_trainer *t = sp_train_bridge_trainer(b);
  sp_normalize identity = {.channels = 1, .mean = {0}, .std = {1}};
  float *x = malloc((size_t)(batch * d->sample_size) * sizeof *x);
  int64_t *unused = malloc((size_t)batch * sizeof *unused);
  sp_error err = {{0}};
  int rc = 0;
  for (int64_t first = 0; first < d->count && !rc; first += batch) {
    int64_t m = d->count - first < batch ? d->count - first : batch;
    sp_dataset_batch(d, &identity, first, m, x, unused);
    int64_t dims[5] = {m};
    for (int k = 0; k < d->rank; ++k)
      dims[k + 1] = d->sample_dims[k];
    rc = sp_trainer_predict(t, x, dims, d->rank + 1, d->labels + first, &err);
  }
  free(x);
  free(unused);
  return rc ? sp_train_bridge_emit(b, &err) : 0;
}

/* The data of args and a trainer over module (default options); 0, or -1
 * with one error emitted (*b may still need freeing). */
static int open_trainer(MlirOperation module, const struct sp_pass_args *args, sp_dataset *d,
                        sp_train_bridge **b) {
  if (load_data(module, args, d))
    return -1;
  sp_train_options options;
  sp_train_options_default(&options);
  if (sp_train_bridge_create(module, PASS, &options, b))
    return -1;
  const char *labels = sp_pass_arg_string(args, "labels");
  if (labels && !strcmp(labels, "model"))
    return label_by_model(*b, d, sp_pass_arg_int(args, "batch"));
  return 0;
}

int sp_saliency_taylor(MlirOperation module, const struct sp_pass_args *args,
                       sp_taylor_target *targets, size_t n) {
  sp_dataset d = {0};
  sp_train_bridge *b = NULL;
  int rc = open_trainer(module, args, &d, &b);
  size_t total = 0;
  int64_t widest = 1;
  for (size_t j = 0; j < n; ++j) {
    total += (size_t)targets[j].num_params;
    if (targets[j].params[0].channels > widest)
      widest = targets[j].params[0].channels;
  }
  int64_t *index = malloc((total + 1) * sizeof *index);
  double *channel = malloc((size_t)widest * sizeof *channel);
  if (!rc) {
    sp_trainer *t = sp_train_bridge_trainer(b);
    size_t params = sp_trainer_num_params(t), k = 0;
    for (size_t j = 0; j < n; ++j)
      for (int p = 0; p < targets[j].num_params; ++p, ++k) {
        index[k] = -1;
        for (size_t i = 0; i < params && index[k] < 0; ++i)
          if (mlirOperationEqual(sp_train_bridge_param_op(b, i), targets[j].params[p].owner))
            index[k] = (int64_t)i;
      }
    taylor_sums sums = {targets, n, index, channel};
    int64_t batches = each_batch(b, &d, sp_pass_arg_int(args, "batch"), add_taylor, &sums);
    rc = batches < 0 ? -1 : 0;
    for (size_t j = 0; j < n && batches > 0; ++j)
      for (int64_t c = 0; c < targets[j].params[0].channels; ++c)
        targets[j].score[c] /= (double)batches;
  }
  free(index);
  free(channel);
  sp_train_bridge_free(b);
  sp_dataset_free(&d);
  return rc;
}

int sp_saliency_gradients(MlirOperation module, const struct sp_pass_args *args,
                          sp_saliency_kind kind, sp_saliency_source *src) {
  src->get = saliency_get;
  src->user = NULL;
  sp_dataset d = {0};
  sp_train_bridge *b = NULL;
  saliency *s = calloc(1, sizeof *s);
  src->user = s;
  int rc = open_trainer(module, args, &d, &b);
  if (!rc)
    rc = accumulate(b, &d, kind == SP_SALIENCY_HESSIAN_DIAG ? 1 : sp_pass_arg_int(args, "batch"),
                    kind != SP_SALIENCY_TAYLOR_WEIGHT, s);
  sp_train_bridge_free(b);
  sp_dataset_free(&d);
  if (rc)
    sp_saliency_free(src);
  return rc;
}

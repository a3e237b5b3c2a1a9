/* Gradient criteria of sp-importance (docs/pruning.md):
 *   taylor-weight  |w * g| per element, g the batch-mean gradient averaged
 *                  over the calibration batches (Molchanov et al. 2019);
 *   fisher         1/2 w^2 * mean over batches of g^2 (OBD's saliency with
 *                  the empirical Fisher as the Hessian diagonal; LeCun et al.
 *                  1990, Theis et al. 2018).
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
  const char *data = sp_pass_arg_string(args, "data");
  sp_error err = {{0}};
  int64_t limit = sp_pass_arg_int(args, "limit");
  if ((!cal || !*cal) == (!data || !*data)) {
    sp_emit_error(module, PASS ": criterion=%s needs exactly one of calibration=DIR "
                          "(input_N.pb with label_N.pb) and data=fashion-mnist[:DIR]",
                  sp_pass_arg_string(args, "criterion"));
    return -1;
  }
  if (cal && *cal) {
    if (sp_dataset_load_pb_dir(cal, 0, d, &err)) {
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
      sp_trainer_param(t, i, NULL, &grad, NULL);
      memset(grad, 0, (size_t)s->numel[i] * sizeof *grad);
    }
    float loss;
    if ((rc = sp_trainer_backward(t, x, dims, d->rank + 1, labels, &loss, &err)))
      break;
    for (size_t i = 0; i < n; ++i) {
      float *grad;
      sp_trainer_param(t, i, NULL, &grad, NULL);
      float *acc = s->values[i];
      for (int64_t k = 0; k < s->numel[i]; ++k)
        acc[k] += fisher ? grad[k] * grad[k] : grad[k];
    }
  }
  free(x);
  free(labels);
  if (rc)
    return sp_train_bridge_emit(b, &err);
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

int sp_saliency_gradients(MlirOperation module, const struct sp_pass_args *args, int fisher,
                          sp_saliency_source *src) {
  src->get = saliency_get;
  src->user = NULL;
  sp_dataset d = {0};
  if (load_data(module, args, &d))
    return -1;
  sp_train_options options;
  sp_train_options_default(&options);
  sp_train_bridge *b = NULL;
  saliency *s = calloc(1, sizeof *s);
  src->user = s;
  int rc = sp_train_bridge_create(module, PASS, &options, &b);
  if (!rc)
    rc = accumulate(b, &d, sp_pass_arg_int(args, "batch"), fisher, s);
  sp_train_bridge_free(b);
  sp_dataset_free(&d);
  if (rc)
    sp_saliency_free(src);
  return rc;
}

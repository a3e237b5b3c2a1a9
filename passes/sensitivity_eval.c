/* sp-sensitivity's evaluations: the data set, and one run of a (masked)
 * module over it through an exported ONNX file and sp_runtime. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibration.h"
#include "sensitivity.h"
#include "sp/passes.h"
#include "sp/runtime.h"
#include "sp/train.h"
#include "sp/translate.h"

#define PASS "sp-sensitivity"
#define FASHION_MNIST "/usr/share/datasets/fashion-mnist"

struct sp_sens_data {
  sp_dataset set;
  sp_normalize norm;
  float *reference; /* logits of the first evaluation, count x classes */
  int64_t classes;
  int threads;
};

int sp_sens_data_load(MlirOperation module, const char *data, const char *split,
                      const char *calibration, int64_t limit, double mean, double std, int64_t threads,
                      sp_sens_data **out) {
  sp_sens_data *d = calloc(1, sizeof *d);
  d->threads = (int)threads;
  sp_error err = {{0}};
  int rc;
  d->norm = (sp_normalize){.channels = 1, .mean = {0.0f}, .std = {1.0f}};
  if (calibration && *calibration) {
    rc = sp_dataset_load_pb_dir(calibration, 0, &d->set, &err);
  } else {
    const char *dir = data[13] == ':' ? data + 14 : FASHION_MNIST;
    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, split);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, split);
    d->norm = (sp_normalize){.channels = 1, .mean = {(float)mean}, .std = {(float)std}};
    rc = sp_dataset_load_idx(images, labels, 0.0f, 1.0f, &d->set, &err);
  }
  if (!rc && d->set.count == 0)
    rc = sp_error_set(&err, "%s holds no samples", calibration && *calibration ? calibration
                                                                                : data);
  if (rc) {
    sp_emit_error(module, PASS ": %s", err.message);
    sp_sens_data_free(d);
    return -1;
  }
  if (limit > 0 && limit < d->set.count)
    d->set.count = limit;
  *out = d;
  return 0;
}

void sp_sens_data_free(sp_sens_data *d) {
  if (!d)
    return;
  sp_dataset_free(&d->set);
  free(d->reference);
  free(d);
}

int64_t sp_sens_data_count(const sp_sens_data *d) { return d->set.count; }

/* log softmax of row (n entries) into out. */
static void log_softmax(const float *row, int64_t n, double *out) {
  double max = row[0], sum = 0;
  for (int64_t c = 1; c < n; ++c)
    max = row[c] > max ? row[c] : max;
  for (int64_t c = 0; c < n; ++c)
    sum += exp(row[c] - max);
  for (int64_t c = 0; c < n; ++c)
    out[c] = row[c] - max - log(sum);
}

/* Adds this batch's score (correct count, or summed KL) to *score. */
static void score_batch(sp_sens_data *d, const float *logits, int64_t first, int64_t n, int kl,
                        const int64_t *labels, double *score) {
  int64_t k = d->classes;
  double *p = malloc((size_t)(2 * k) * sizeof *p), *q = p + k;
  for (int64_t s = 0; s < n; ++s) {
    const float *row = logits + s * k;
    if (kl) {
      log_softmax(d->reference + (first + s) * k, k, p);
      log_softmax(row, k, q);
      for (int64_t c = 0; c < k; ++c)
        *score += exp(p[c]) * (p[c] - q[c]);
    } else {
      int64_t best = 0;
      for (int64_t c = 1; c < k; ++c)
        best = row[c] > row[best] ? c : best;
      *score += best == labels[s];
    }
  }
  free(p);
}

/* The runtime's message without the temporary model's path in front. */
static const char *without_path(const sp_error *err, const char *path) {
  size_t len = strlen(path);
  const char *m = err->message;
  return strncmp(m, path, len) == 0 && m[len] == ':' && m[len + 1] == ' ' ? m + len + 2 : m;
}

int sp_sens_evaluate(MlirOperation module, sp_sens_data *d, int64_t batch, int kl,
                     double *metric) {
  const char *tmp = getenv("TMPDIR");
  char dir[4096], path[4200];
  snprintf(dir, sizeof dir, "%s/sp-sensitivity-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir)) {
    sp_emit_error(module, PASS ": cannot create a directory in %s: %s",
                  tmp && *tmp ? tmp : "/tmp", strerror(errno));
    return -1;
  }
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  sp_error err = {{0}};
  sp_runtime *rt = NULL;
  sp_onnx_save_options save = {0};
  int rc = sp_export_onnx(mlirModuleFromOperation(module), path, &save, &err);
  if (rc)
    sp_emit_error(module, PASS ": cannot export the model: %s", err.message);
  else if ((rc = sp_runtime_load(path, &rt, &err)) != 0)
    sp_emit_at_node(module, PASS, without_path(&err, path));
  unlink(path); // the runtime keeps its mapping
  rmdir(dir);
  const sp_dataset *set = &d->set;
  float *x = malloc((size_t)(batch * set->sample_size) * sizeof *x);
  int64_t *labels = malloc((size_t)batch * sizeof *labels), dims[5] = {0};
  double score = 0;
  int first_run = d->reference == NULL;
  if (d->threads)
    sp_runtime_set_threads(d->threads);
  for (int64_t first = 0; !rc && first < set->count; first += batch) {
    int64_t n = set->count - first < batch ? set->count - first : batch;
    sp_dataset_batch(set, &d->norm, first, n, x, labels);
    dims[0] = n;
    for (int k = 0; k < set->rank; ++k)
      dims[1 + k] = set->sample_dims[k];
    const char *input = sp_runtime_input_info(rt, 0)->name;
    if ((rc = sp_runtime_bind(rt, input, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, set->rank + 1,
                              dims, x, &err)) ||
        (rc = sp_runtime_run(rt, &err))) {
      sp_emit_at_node(module, PASS, without_path(&err, path));
      break;
    }
    const sp_tensor *out = sp_runtime_output(rt, 0);
    if (out->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || out->rank != 2 ||
        out->dims[0] != n || out->dims[1] < 1 ||
        (!first_run && out->dims[1] != d->classes)) {
      sp_emit_error(module, PASS ": the model's first output is not float logits (batch, "
                            "classes)");
      rc = -1;
      break;
    }
    if (first_run) {
      if (first == 0) {
        d->classes = out->dims[1];
        d->reference = malloc((size_t)(set->count * d->classes) * sizeof *d->reference);
      }
      memcpy(d->reference + first * d->classes, out->data,
             (size_t)(n * d->classes) * sizeof(float));
    }
    score_batch(d, out->data, first, n, kl, labels, &score);
  }
  if (rc && first_run) { // no half-filled reference
    free(d->reference);
    d->reference = NULL;
  }
  free(x);
  free(labels);
  sp_runtime_free(rt);
  if (d->threads)
    sp_runtime_set_threads(0); // back to the default for later passes
  if (!rc)
    *metric = score / (double)set->count;
  return rc ? -1 : 0;
}

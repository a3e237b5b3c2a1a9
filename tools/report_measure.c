/* sp-report: latency and accuracy measured in sp's runtime (no MLIR). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "sp/progress.h"
#include "sp/runtime.h"
#include "sp/train.h"

#define FASHION_MNIST "/usr/share/datasets/fashion-mnist"

struct report_data {
  sp_dataset set;
  sp_normalize norm;
  char name[512];
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), k = strlen(tail);
  return n >= k && !strcmp(s + n - k, tail);
}

int report_data_load(const char *spec, const char *mean, const char *std, int64_t limit,
                     report_data **out, sp_error *err) {
  report_data *d = calloc(1, sizeof *d);
  if (!d)
    return sp_error_set(err, "out of memory");
  int rc;
  char first[4096], second[4096];
  const char *comma = strchr(spec, ',');
  if (!strncmp(spec, "fashion-mnist", 13) && (!spec[13] || (spec[13] == ':' && spec[14]))) {
    const char *dir = spec[13] == ':' ? spec + 14 : FASHION_MNIST;
    snprintf(first, sizeof first, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(second, sizeof second, "%s/t10k-labels-idx1-ubyte.gz", dir);
    snprintf(d->name, sizeof d->name, "Fashion-MNIST test split (%s)", dir);
    rc = sp_dataset_load_idx(first, second, 0.0f, 1.0f, &d->set, err);
  } else if (comma && comma != spec && comma[1] && !strchr(comma + 1, ',') &&
             (size_t)(comma - spec) < sizeof first) {
    snprintf(first, sizeof first, "%.*s", (int)(comma - spec), spec);
    snprintf(second, sizeof second, "%s", comma + 1);
    snprintf(d->name, sizeof d->name, "%s", spec);
    rc = ends_with(first, ".npy") || ends_with(first, ".npy.gz")
             ? sp_dataset_load_npy(first, second, &d->set, err)
             : sp_dataset_load_idx(first, second, 0.0f, 1.0f, &d->set, err);
  } else {
    free(d);
    return sp_error_set(err, "--data: '%s' is not fashion-mnist[:DIR], IMAGES,LABELS (IDX) "
                             "or X.npy,Y.npy", spec);
  }
  if (!rc && !(rc = sp_normalize_parse(mean, std, &d->norm, err)))
    rc = sp_normalize_check(&d->norm, &d->set, d->name, err);
  if (rc) {
    report_data_free(d);
    return -1;
  }
  if (limit > 0 && limit < d->set.count)
    d->set.count = limit; // the first samples; the arrays keep their size
  *out = d;
  return 0;
}

void report_data_free(report_data *d) {
  if (!d)
    return;
  sp_dataset_free(&d->set);
  free(d);
}

const char *report_data_name(const report_data *d) { return d->name; }

/* Binds input 0 to uniform [0, 1) values with dynamic dims 1. */
static int bind_random(sp_runtime *rt, const char *path, sp_error *err) {
  uint32_t state = 1;
  for (int i = 0; i < sp_runtime_num_inputs(rt); ++i) {
    const sp_value_info *info = sp_runtime_input_info(rt, i);
    if (info->rank < 0 || info->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
      return sp_error_set(err, "%s: input '%s' is not a float tensor of known rank; latency "
                               "needs one", path, info->name);
    int64_t dims[SP_MAX_RANK], numel = 1;
    for (int k = 0; k < info->rank; ++k) {
      dims[k] = info->dims[k] < 0 ? 1 : info->dims[k];
      numel *= dims[k];
    }
    float *x = malloc((size_t)(numel ? numel : 1) * sizeof *x);
    if (!x)
      return sp_error_set(err, "%s: out of memory for input '%s'", path, info->name);
    for (int64_t k = 0; k < numel; ++k) {
      state ^= state << 13, state ^= state >> 17, state ^= state << 5;
      x[k] = (float)(state / 4294967296.0);
    }
    int rc = sp_runtime_bind(rt, info->name, info->elem_type, info->rank, dims, x, err);
    free(x);
    if (rc)
      return rc;
  }
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int latency(sp_runtime *rt, report_model *m, int runs, sp_error *err) {
  if (bind_random(rt, m->path, err))
    return -1;
  double *t = malloc((size_t)runs * sizeof *t);
  if (!t)
    return sp_error_set(err, "out of memory");
  int rc = 0;
  for (int i = -3; i < runs && !rc; ++i) { // three warm-up runs plan memory and pack weights
    double t0 = now_ms();
    rc = sp_runtime_run(rt, err);
    if (i >= 0)
      t[i] = now_ms() - t0;
  }
  if (!rc) {
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    m->latency_ms = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    m->latency_min_ms = t[0];
  }
  free(t);
  return rc;
}

/* The input dims of a batch of n samples, fitted to the model's input
 * rank: (n, sample dims), (n, features), or (n, sample dims without a
 * leading 1) as a (1, 28, 28) image fed to a (N, 28, 28) model. */
static int batch_dims(const sp_value_info *in, const sp_dataset *d, int64_t n, int64_t *dims,
                      int *rank) {
  int r = in->rank < 0 ? d->rank + 1 : in->rank;
  dims[0] = n;
  if (r == d->rank + 1)
    memcpy(dims + 1, d->sample_dims, (size_t)d->rank * sizeof *dims);
  else if (r == 2)
    dims[1] = d->sample_size;
  else if (r == d->rank && d->sample_dims[0] == 1)
    memcpy(dims + 1, d->sample_dims + 1, (size_t)(d->rank - 1) * sizeof *dims);
  else
    return -1;
  *rank = r;
  return 0;
}

static int accuracy(sp_runtime *rt, report_model *m, const report_data *data, int64_t batch,
                    int quiet, sp_error *err) {
  const sp_dataset *d = &data->set;
  if (sp_runtime_num_inputs(rt) != 1)
    return sp_error_set(err, "%s: accuracy needs a model with one input", m->path);
  const sp_value_info *in = sp_runtime_input_info(rt, 0);
  float *x = malloc((size_t)(batch * d->sample_size) * sizeof *x);
  int64_t *labels = malloc((size_t)batch * sizeof *labels);
  int rc = x && labels ? 0 : sp_error_set(err, "out of memory");
  char label[96];
  snprintf(label, sizeof label, "sp-report: accuracy of %s", m->path);
  sp_progress bar;
  sp_progress_start(&bar, label, d->count, quiet);
  m->correct = m->samples = 0;
  for (int64_t start = 0; start < d->count && !rc; start += batch) {
    int64_t n = d->count - start < batch ? d->count - start : batch, dims[SP_MAX_RANK];
    int rank;
    if (batch_dims(in, d, n, dims, &rank)) {
      rc = sp_error_set(err, "%s: input '%s' of rank %d does not fit samples of rank %d",
                        m->path, in->name, in->rank, d->rank);
      break;
    }
    sp_dataset_batch(d, &data->norm, start, n, x, labels);
    if ((rc = sp_runtime_bind(rt, in->name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims, x,
                              err)) ||
        (rc = sp_runtime_run(rt, err)))
      break;
    const sp_tensor *y = sp_runtime_output(rt, 0);
    if (y->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || y->numel % n) {
      rc = sp_error_set(err, "%s: output 0 is not a float (batch, classes) tensor", m->path);
      break;
    }
    int64_t classes = y->numel / n;
    const float *p = y->data;
    for (int64_t i = 0; i < n; ++i) {
      int64_t best = 0;
      for (int64_t c = 1; c < classes; ++c)
        best = p[i * classes + c] > p[i * classes + best] ? c : best;
      m->correct += best == labels[i];
    }
    m->samples += n;
    sp_progress_update(&bar, m->samples, NULL);
  }
  sp_progress_finish(&bar);
  free(x);
  free(labels);
  return rc;
}

int report_measure(report_model *m, int runs, const report_data *data, int64_t batch,
                   int quiet, sp_error *err) {
  sp_runtime *rt = NULL;
  int rc = sp_runtime_load(m->path, &rt, err);
  if (rc)
    return rc;
  rc = latency(rt, m, runs, err);
  if (!rc && data)
    rc = accuracy(rt, m, data, batch, quiet, err);
  sp_runtime_free(rt);
  return rc;
}

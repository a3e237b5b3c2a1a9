/* data.c - datasets for training and evaluation (sp/train.h): IDX files,
 * .npy arrays, folders of TensorProto pairs and text files (character
 * windows and their next characters), read whole into memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sp/runtime.h"
#include "sp/train.h"

/* The whole of a gzip (or plain) file. */
static unsigned char *read_gz(const char *path, size_t *size, sp_error *err) {
  gzFile f = gzopen(path, "rb");
  if (!f) {
    sp_error_set(err, "%s: cannot open", path);
    return NULL;
  }
  size_t cap = 1 << 20, len = 0;
  unsigned char *buf = malloc(cap);
  int k;
  while (buf && (k = gzread(f, buf + len, (unsigned)(cap - len))) > 0) {
    len += (size_t)k;
    if (len == cap) {
      unsigned char *p = realloc(buf, cap *= 2);
      if (!p)
        free(buf);
      buf = p;
    }
  }
  int bad = 0;
  gzerror(f, &bad);
  gzclose(f);
  if (!buf) {
    sp_error_set(err, "%s: out of memory", path);
  } else if (bad < 0) { /* a truncated or corrupt .gz */
    sp_error_set(err, "%s: cannot read (corrupt gzip data)", path);
    free(buf);
    buf = NULL;
  }
  *size = len;
  return buf;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int sp_dataset_load_idx(const char *images, const char *labels, float mean,
                        float std, sp_dataset *out, sp_error *err) {
  memset(out, 0, sizeof *out);
  if (!(std > 0))
    return sp_error_set(err, "std must be positive");
  size_t ni, nl;
  unsigned char *img = read_gz(images, &ni, err), *lab = NULL;
  if (!img || !(lab = read_gz(labels, &nl, err))) {
    free(img);
    return -1;
  }
  int rc = 0;
  if (ni < 16 || be32(img) != 0x803) {
    rc = sp_error_set(err, "%s: not an IDX image file (magic 2051)", images);
  } else if (nl < 8 || be32(lab) != 0x801) {
    rc = sp_error_set(err, "%s: not an IDX label file (magic 2049)", labels);
  } else {
    int64_t count = be32(img + 4), rows = be32(img + 8), cols = be32(img + 12);
    int64_t header[3] = {count, rows, cols};
    int64_t pixels = sp_onnx_dims_numel(header, 3);
    if (pixels < 0 || ni - 16 < (size_t)pixels)
      rc = sp_error_set(err, "%s: %lld images of %lldx%lld need %lld bytes, the file has %zu",
                        images, (long long)count, (long long)rows, (long long)cols,
                        (long long)pixels, ni - 16);
    else if ((int64_t)be32(lab + 4) != count || nl - 8 < (size_t)count)
      rc = sp_error_set(err, "%s: %lld labels for %lld images", labels,
                        (long long)be32(lab + 4), (long long)count);
    else if (!(out->x = malloc((size_t)pixels * sizeof *out->x)) ||
             !(out->labels = malloc((size_t)(count ? count : 1) * sizeof *out->labels)))
      rc = sp_error_set(err, "out of memory for %lld images", (long long)count);
    else {
      out->count = count;
      out->label_size = 1;
      out->rank = 3;
      out->sample_dims[0] = 1, out->sample_dims[1] = rows, out->sample_dims[2] = cols;
      out->sample_size = rows * cols;
      for (int64_t k = 0; k < pixels; ++k)
        out->x[k] = ((float)img[16 + k] / 255.0f - mean) / std;
      for (int64_t k = 0; k < count; ++k) {
        out->labels[k] = lab[8 + k];
        if (out->labels[k] + 1 > out->classes)
          out->classes = out->labels[k] + 1;
      }
    }
  }
  free(img);
  free(lab);
  if (rc)
    sp_dataset_free(out);
  return rc;
}

/* Records the labels' class count; fails naming path on a negative one. */
static int count_classes(sp_dataset *d, const char *path, sp_error *err) {
  d->classes = 0;
  for (int64_t k = 0; k < d->count; ++k) {
    if (d->labels[k] < 0)
      return sp_error_set(err, "%s: label %lld of sample %lld is negative", path,
                          (long long)d->labels[k], (long long)k);
    if (d->labels[k] + 1 > d->classes)
      d->classes = d->labels[k] + 1;
  }
  return 0;
}

static const char *npy_dtype_name(sp_npy_dtype t) {
  switch (t) {
  case SP_NPY_FLOAT32: return "float32";
  case SP_NPY_UINT8: return "uint8";
  case SP_NPY_INT64: return "int64";
  case SP_NPY_INT32: return "int32";
  }
  return "?";
}

int sp_dataset_load_npy(const char *x_path, const char *y_path, sp_dataset *out,
                        sp_error *err) {
  memset(out, 0, sizeof *out);
  size_t nx, ny;
  unsigned char *xb = read_gz(x_path, &nx, err), *yb = NULL;
  if (!xb || !(yb = read_gz(y_path, &ny, err))) {
    free(xb);
    return -1;
  }
  sp_npy x, y;
  int rc = 0;
  if (sp_npy_parse(xb, nx, x_path, &x, err) || sp_npy_parse(yb, ny, y_path, &y, err)) {
    rc = -1;
  } else if (x.dtype != SP_NPY_FLOAT32 && x.dtype != SP_NPY_UINT8) {
    rc = sp_error_set(err, "%s: inputs are %s; float32 or uint8 are read", x_path,
                      npy_dtype_name(x.dtype));
  } else if (x.rank < 2 || x.rank > 5) {
    rc = sp_error_set(err, "%s: inputs have %d dims; (N, ...) with 1 to 4 dims per sample "
                      "are read", x_path, x.rank);
  } else if (y.dtype != SP_NPY_INT64 && y.dtype != SP_NPY_INT32) {
    rc = sp_error_set(err, "%s: labels are %s; int64 or int32 are read", y_path,
                      npy_dtype_name(y.dtype));
  } else if (y.rank != 1) {
    rc = sp_error_set(err, "%s: labels have %d dims, want one (N)", y_path, y.rank);
  } else if (y.dims[0] != x.dims[0]) {
    rc = sp_error_set(err, "%s: %lld labels for the %lld samples of %s", y_path,
                      (long long)y.dims[0], (long long)x.dims[0], x_path);
  } else {
    out->count = x.dims[0];
    out->label_size = 1;
    out->rank = x.rank - 1;
    out->sample_size = 1;
    for (int k = 0; k < out->rank; ++k)
      out->sample_size *= out->sample_dims[k] = x.dims[k + 1];
    size_t nvalues = (size_t)x.numel, nlabels = (size_t)out->count;
    out->x = malloc((nvalues ? nvalues : 1) * sizeof *out->x);
    out->labels = malloc((nlabels ? nlabels : 1) * sizeof *out->labels);
    if (!out->x || !out->labels) {
      rc = sp_error_set(err, "%s: out of memory for %lld samples", x_path,
                        (long long)out->count);
    } else {
      const unsigned char *xd = xb + x.data_offset, *yd = yb + y.data_offset;
      if (x.dtype == SP_NPY_FLOAT32)
        memcpy(out->x, xd, nvalues * sizeof *out->x); /* little-endian host */
      else
        for (size_t k = 0; k < nvalues; ++k)
          out->x[k] = (float)xd[k] / 255.0f;
      for (size_t k = 0; k < nlabels; ++k) {
        if (y.dtype == SP_NPY_INT64) {
          memcpy(&out->labels[k], yd + 8 * k, 8);
        } else {
          int32_t v;
          memcpy(&v, yd + 4 * k, 4);
          out->labels[k] = v;
        }
      }
      rc = count_classes(out, y_path, err);
    }
  }
  free(xb);
  free(yb);
  if (rc)
    sp_dataset_free(out);
  return rc;
}

/* Appends n samples of t (float) and their labels to d, growing it. */
static int append(sp_dataset *d, int64_t *capacity, const float *x, const int64_t *labels,
                  int64_t n, const char *path, sp_error *err) {
  if (d->count + n > *capacity) {
    int64_t cap = *capacity ? *capacity : 64;
    while (cap < d->count + n)
      cap *= 2;
    float *nx = realloc(d->x, (size_t)(cap * d->sample_size) * sizeof *nx);
    if (nx)
      d->x = nx;
    int64_t *nl = realloc(d->labels, (size_t)cap * sizeof *nl);
    if (nl)
      d->labels = nl;
    if (!nx || !nl)
      return sp_error_set(err, "%s: out of memory", path);
    *capacity = cap;
  }
  memcpy(d->x + d->count * d->sample_size, x, (size_t)(n * d->sample_size) * sizeof *x);
  memcpy(d->labels + d->count, labels, (size_t)n * sizeof *labels);
  d->count += n;
  return 0;
}

/* One input_N.pb / label_N.pb pair into d; label_path NULL: the input
 * alone, a batch, labelled 0. */
static int load_pair(sp_dataset *d, int64_t *capacity, const char *in_path,
                     const char *label_path, int sample_rank, sp_error *err) {
  sp_tensor *in = NULL, *lab = NULL;
  int64_t *zeros = NULL;
  int rc = 0;
  if (sp_tensor_read_pb(in_path, &in, err) ||
      (label_path && sp_tensor_read_pb(label_path, &lab, err))) {
    rc = -1;
  } else if (in->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
    rc = sp_error_set(err, "%s: inputs must be float (element type 1), not element type %d",
                      in_path, (int)in->elem_type);
  } else if (lab && lab->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
    rc = sp_error_set(err, "%s: labels must be int64 (element type 7), not element type %d",
                      label_path, (int)lab->elem_type);
  } else {
    /* a batch (n, sample...) or one sample (sample...) */
    int batch = !lab ? 1 : sample_rank > 0 ? in->rank == sample_rank + 1 : lab->rank > 0;
    int rank = batch ? in->rank - 1 : in->rank;
    int64_t n = batch ? in->dims[0] : 1;
    if (sample_rank > 0 && in->rank != sample_rank && in->rank != sample_rank + 1)
      rc = sp_error_set(err, "%s: an input of %d dims; the model takes samples of %d dims "
                        "(or batches of %d)", in_path, in->rank, sample_rank, sample_rank + 1);
    else if (rank < 1 || rank > 4)
      rc = sp_error_set(err, "%s: samples of %d dims; 1 to 4 are read", in_path, rank);
    else if (lab && lab->numel != n)
      rc = sp_error_set(err, "%s: %lld labels for the %lld samples of %s", label_path,
                        (long long)lab->numel, (long long)n, in_path);
    const int64_t *dims = in->dims + batch;
    if (!rc && d->rank == 0) { /* the first pair fixes the sample dims */
      d->rank = rank;
      d->label_size = 1;
      d->sample_size = 1;
      for (int k = 0; k < rank; ++k)
        d->sample_size *= d->sample_dims[k] = dims[k];
    } else if (!rc) {
      int same = rank == d->rank;
      for (int k = 0; same && k < rank; ++k)
        same = dims[k] == d->sample_dims[k];
      if (!same)
        rc = sp_error_set(err, "%s: its samples' dims differ from those of input_0.pb", in_path);
    }
    if (!rc && !lab && !(zeros = calloc((size_t)n + 1, sizeof *zeros)))
      rc = sp_error_set(err, "%s: out of memory", in_path);
    if (!rc)
      rc = append(d, capacity, in->data, lab ? lab->data : zeros, n, in_path, err);
    if (!rc && lab) { /* check the new labels here, to name their file */
      for (int64_t k = d->count - n; k < d->count && !rc; ++k)
        if (d->labels[k] < 0)
          rc = sp_error_set(err, "%s: label %lld is negative", label_path,
                            (long long)d->labels[k]);
    }
  }
  free(zeros);
  sp_tensor_free(in);
  sp_tensor_free(lab);
  return rc;
}

int sp_dataset_load_pb_inputs(const char *dir, sp_dataset *out, sp_error *err) {
  memset(out, 0, sizeof *out);
  int64_t capacity = 0;
  char in_path[4096];
  int rc = 0;
  for (long i = 0; !rc; ++i) {
    snprintf(in_path, sizeof in_path, "%s/input_%ld.pb", dir, i);
    if (access(in_path, F_OK)) {
      if (i == 0)
        rc = sp_error_set(err, "%s: cannot open (a folder of input_N.pb is read)", in_path);
      break;
    }
    rc = load_pair(out, &capacity, in_path, NULL, 0, err);
  }
  if (rc)
    sp_dataset_free(out);
  return rc;
}

int sp_dataset_load_pb_dir(const char *dir, int sample_rank, sp_dataset *out,
                           sp_error *err) {
  memset(out, 0, sizeof *out);
  int64_t capacity = 0;
  char in_path[4096], label_path[4096];
  int rc = 0;
  for (long i = 0;; ++i) {
    snprintf(in_path, sizeof in_path, "%s/input_%ld.pb", dir, i);
    snprintf(label_path, sizeof label_path, "%s/label_%ld.pb", dir, i);
    if (access(in_path, F_OK)) {
      if (i == 0)
        rc = sp_error_set(err, "%s: cannot open (a folder of input_N.pb/label_N.pb pairs "
                          "is read)", in_path);
      break;
    }
    if ((rc = load_pair(out, &capacity, in_path, label_path, sample_rank, err)))
      break;
  }
  if (!rc)
    rc = count_classes(out, dir, err);
  if (rc)
    sp_dataset_free(out);
  return rc;
}

int sp_dataset_load_text(const char *path, int64_t seq_len, int64_t stride, int64_t vocab,
                         sp_dataset *out, sp_error *err) {
  memset(out, 0, sizeof *out);
  if (seq_len < 1 || stride < 1 || vocab < 1)
    return sp_error_set(err, "%s: sequence length, stride and vocabulary must be positive",
                        path);
  size_t size;
  unsigned char *text = read_gz(path, &size, err);
  if (!text)
    return -1;
  int rc = 0;
  for (size_t k = 0; k < size && !rc; ++k)
    if (text[k] >= vocab) /* token id = byte value */
      rc = sp_error_set(err, "%s: byte %u at offset %zu is outside the model's vocabulary "
                        "[0, %lld) (token ids are byte values)", path, text[k], k,
                        (long long)vocab);
  if (!rc && (int64_t)size < seq_len + 1)
    rc = sp_error_set(err, "%s: %zu bytes; a window of %lld characters and its next "
                      "characters need %lld", path, size, (long long)seq_len,
                      (long long)seq_len + 1);
  if (!rc) {
    const int64_t count = ((int64_t)size - seq_len - 1) / stride + 1;
    out->count = count;
    out->rank = 1;
    out->sample_dims[0] = seq_len;
    out->sample_size = seq_len;
    out->label_size = seq_len;
    out->x = malloc((size_t)(count * seq_len) * sizeof *out->x);
    out->labels = malloc((size_t)(count * seq_len) * sizeof *out->labels);
    if (!out->x || !out->labels) {
      rc = sp_error_set(err, "%s: out of memory for %lld windows", path, (long long)count);
    } else {
      for (int64_t i = 0; i < count; ++i)
        for (int64_t p = 0; p < seq_len; ++p) {
          const unsigned char *w = text + i * stride + p;
          out->x[i * seq_len + p] = (float)w[0];
          out->labels[i * seq_len + p] = w[1]; /* the next character */
          if (w[1] + 1 > out->classes)
            out->classes = w[1] + 1;
        }
    }
  }
  free(text);
  if (rc)
    sp_dataset_free(out);
  return rc;
}

void sp_dataset_free(sp_dataset *d) {
  free(d->x);
  free(d->labels);
  memset(d, 0, sizeof *d);
}

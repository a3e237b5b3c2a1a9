/* data.c - datasets for training and evaluation (sp/train.h). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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

void sp_dataset_free(sp_dataset *d) {
  free(d->x);
  free(d->labels);
  memset(d, 0, sizeof *d);
}

/* loader.c - training batches (sp/train.h): a seeded shuffle per epoch,
 * then per sample gather, augment (random crop with zero padding,
 * horizontal flip) and normalise (per channel), optionally on a loader
 * thread that fills the next batch's buffer while the caller trains on the
 * current one. Batch k is computed by the same function from the same
 * state whichever thread runs it, so both modes give the same bits. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/train.h"

/* ---- normalisation ---- */

/* "a,b,c" into v[0, *n). */
static int parse_list(const char *what, const char *text, float *v, int *n, sp_error *err) {
  *n = 0;
  const char *p = text;
  for (;;) {
    if (*n == SP_MAX_CHANNELS)
      return sp_error_set(err, "%s: more than %d values", what, SP_MAX_CHANNELS);
    char *end;
    double x = strtod(p, &end);
    if (end == p || (*end && *end != ','))
      return sp_error_set(err, "%s: '%s' is not a number or a comma-separated list", what, text);
    if (!(x > -1e30 && x < 1e30))
      return sp_error_set(err, "%s: '%s' is out of range", what, text);
    v[(*n)++] = (float)x;
    if (!*end)
      return 0;
    p = end + 1;
  }
}

int sp_normalize_parse(const char *mean, const char *std, sp_normalize *out, sp_error *err) {
  memset(out, 0, sizeof *out);
  int nm = 1, ns = 1;
  out->std[0] = 1;
  if (mean && parse_list("--mean", mean, out->mean, &nm, err))
    return -1;
  if (std && parse_list("--std", std, out->std, &ns, err))
    return -1;
  if (nm != ns && nm != 1 && ns != 1)
    return sp_error_set(err, "--mean has %d values and --std %d; give one or the same number",
                        nm, ns);
  out->channels = nm > ns ? nm : ns;
  for (int c = 0; c < out->channels; ++c) { /* a single value applies to every channel */
    out->mean[c] = out->mean[nm == 1 ? 0 : c];
    out->std[c] = out->std[ns == 1 ? 0 : c];
    if (!(out->std[c] > 0))
      return sp_error_set(err, "--std: %g would not divide (it must be positive)",
                          (double)out->std[c]);
  }
  return 0;
}

/* Channels of d's samples: the first dim of (C, H, W), else 1. */
static int64_t sample_channels(const sp_dataset *d) {
  return d->rank == 3 ? d->sample_dims[0] : 1;
}

int sp_normalize_check(const sp_normalize *n, const sp_dataset *d, const char *what,
                       sp_error *err) {
  if (n->channels > 1 && n->channels != sample_channels(d))
    return sp_error_set(err, "%s: --mean/--std give %d channels, the samples have %lld", what,
                        n->channels, (long long)sample_channels(d));
  return 0;
}

static void normalize_sample(const sp_normalize *n, const sp_dataset *d, float *x) {
  if (n->channels <= 1) {
    for (int64_t k = 0; k < d->sample_size; ++k)
      x[k] = (x[k] - n->mean[0]) / n->std[0];
    return;
  }
  const int64_t plane = d->sample_size / n->channels;
  for (int c = 0; c < n->channels; ++c)
    for (int64_t k = 0; k < plane; ++k)
      x[c * plane + k] = (x[c * plane + k] - n->mean[c]) / n->std[c];
}

void sp_dataset_batch(const sp_dataset *d, const sp_normalize *norm, int64_t first, int64_t n,
                      float *x, int64_t *labels) {
  memcpy(x, d->x + first * d->sample_size, (size_t)(n * d->sample_size) * sizeof *x);
  const int64_t ls = sp_dataset_label_size(d);
  memcpy(labels, d->labels + first * ls, (size_t)(n * ls) * sizeof *labels);
  for (int64_t i = 0; i < n; ++i)
    normalize_sample(norm, d, x + i * d->sample_size);
}

/* ---- augmentation ---- */

int sp_augment_parse(const char *text, sp_augment *out, sp_error *err) {
  memset(out, 0, sizeof *out);
  const char *p = text;
  while (*p) {
    size_t len = strcspn(p, ",");
    if (len == 4 && !strncmp(p, "flip", 4)) {
      out->flip = 1;
    } else if (len > 5 && !strncmp(p, "crop=", 5)) {
      char *end;
      long pad = strtol(p + 5, &end, 10);
      if (end != p + len || pad < 1 || pad > 1024)
        return sp_error_set(err, "--augment: crop=%.*s is not a padding in [1, 1024]",
                            (int)len - 5, p + 5);
      out->crop_pad = (int)pad;
    } else {
      return sp_error_set(err, "--augment: '%.*s' is not flip or crop=P", (int)len, p);
    }
    p += len;
    if (*p == ',' && *++p == 0)
      return sp_error_set(err, "--augment: '%s' ends with a comma", text);
  }
  if (!out->flip && !out->crop_pad)
    return sp_error_set(err, "--augment: give flip, crop=P or both");
  return 0;
}

void sp_augment_sample(const float *in, float *out, int64_t C, int64_t H, int64_t W, int pad,
                       int64_t dy, int64_t dx, int flip) {
  // in, out are (C, H, W); out[c][y][x] = in[c][y + dy - pad][x' + dx - pad], x' = x or W-1-x
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y) {
      const int64_t sy = y + dy - pad;
      float *row = out + (c * H + y) * W;
      if (sy < 0 || sy >= H) {
        memset(row, 0, (size_t)W * sizeof *row);
        continue;
      }
      const float *src = in + (c * H + sy) * W;
      for (int64_t x = 0; x < W; ++x) {
        const int64_t sx = (flip ? W - 1 - x : x) + dx - pad;
        row[x] = sx >= 0 && sx < W ? src[sx] : 0.0f;
      }
    }
}

/* splitmix64: a sample's random numbers from (seed, epoch, position) alone,
 * so they do not depend on which thread draws them or in what order. */
static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* ---- the loader ---- */

typedef struct slot {
  float *x;
  int64_t *labels;
  sp_batch batch;
} slot;

struct sp_loader {
  const sp_dataset *d;
  sp_loader_options o;
  int64_t steps, total; /* batches per epoch, in all */
  int64_t *order;
  int64_t shuffled_epoch; /* the epoch order is shuffled for */
  int64_t C, H, W;        /* of a sample, for augmentation */
  slot slots[2];          /* batch k fills slots[k % 2] */
  int64_t taken;          /* batches handed to the caller */
  /* loader thread */
  int threaded;
  pthread_t thread;
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  int64_t prepared; /* batches 0..prepared-1 are in their slots */
  int64_t released; /* batches 0..released-1 are done with */
  int stop;
};

/* Fills slots[k % 2] with batch k. Runs on one thread at a time, in k order. */
static void prepare(sp_loader *l, int64_t k) {
  const sp_dataset *d = l->d;
  const int64_t epoch = l->o.start_epoch + k / l->steps + 1, index = k % l->steps;
  if (l->o.shuffle && epoch != l->shuffled_epoch) { /* each epoch's order from (seed, epoch) */
    sp_train_shuffle(l->order, d->count, l->o.seed, epoch);
    l->shuffled_epoch = epoch;
  }
  slot *s = &l->slots[k % 2];
  const int64_t first = index * l->o.batch;
  const int64_t n = d->count - first < l->o.batch ? d->count - first : l->o.batch;
  const int augment = l->o.augment.flip || l->o.augment.crop_pad;
  const int64_t ls = sp_dataset_label_size(d);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t sample = l->order[first + i];
    const float *src = d->x + sample * d->sample_size;
    float *dst = s->x + i * d->sample_size;
    if (augment) {
      uint64_t r = (uint64_t)l->o.seed * 0x100000001B3ull ^ (uint64_t)epoch << 40 ^
                   (uint64_t)(first + i);
      const int pad = l->o.augment.crop_pad;
      int64_t dy = pad, dx = pad;
      if (pad) {
        dy = (int64_t)(splitmix(&r) % (uint64_t)(2 * pad + 1));
        dx = (int64_t)(splitmix(&r) % (uint64_t)(2 * pad + 1));
      }
      const int flip = l->o.augment.flip && (splitmix(&r) >> 63);
      sp_augment_sample(src, dst, l->C, l->H, l->W, pad, dy, dx, flip);
    } else {
      memcpy(dst, src, (size_t)d->sample_size * sizeof *dst);
    }
    normalize_sample(&l->o.norm, d, dst);
    memcpy(s->labels + i * ls, d->labels + sample * ls, (size_t)ls * sizeof *s->labels);
  }
  sp_batch *b = &s->batch;
  b->x = s->x, b->labels = s->labels, b->n = n;
  b->rank = d->rank + 1;
  b->dims[0] = n;
  for (int r = 0; r < d->rank; ++r)
    b->dims[1 + r] = d->sample_dims[r];
  b->epoch = epoch, b->index = index;
}

static void *loader_main(void *arg) {
  sp_loader *l = arg;
  for (int64_t k = 0; k < l->total; ++k) {
    pthread_mutex_lock(&l->mutex);
    while (!l->stop && l->released < k - 1) /* slots[k % 2] still holds batch k - 2 */
      pthread_cond_wait(&l->changed, &l->mutex);
    const int stop = l->stop;
    pthread_mutex_unlock(&l->mutex);
    if (stop)
      break;
    prepare(l, k);
    pthread_mutex_lock(&l->mutex);
    l->prepared = k + 1;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->mutex);
  }
  return NULL;
}

int sp_loader_create(const sp_dataset *d, const sp_loader_options *options, sp_loader **out,
                     sp_error *err) {
  *out = NULL;
  if (options->batch < 1 || d->count < 1)
    return sp_error_set(err, "loader: %s", d->count < 1 ? "no samples" : "batch must be >= 1");
  if (sp_normalize_check(&options->norm, d, "loader", err))
    return -1;
  const int augment = options->augment.flip || options->augment.crop_pad;
  if (augment && d->rank != 2 && d->rank != 3)
    return sp_error_set(err, "--augment needs images (C, H, W) or (H, W); the samples have %d "
                        "dims", d->rank);
  sp_loader *l = calloc(1, sizeof *l);
  if (!l)
    return sp_error_set(err, "out of memory");
  l->d = d;
  l->o = *options;
  if (l->o.norm.channels < 1) /* a zeroed sp_normalize: the identity */
    l->o.norm.channels = 1, l->o.norm.mean[0] = 0, l->o.norm.std[0] = 1;
  l->steps = (d->count + options->batch - 1) / options->batch;
  const int64_t epochs = options->epochs - options->start_epoch;
  if (options->start_epoch < 0 || (options->epochs > 0 && epochs < 1)) {
    free(l);
    return sp_error_set(err, "loader: no epochs after epoch %lld",
                        (long long)options->start_epoch);
  }
  l->total = options->epochs > 0 && epochs <= INT64_MAX / l->steps ? epochs * l->steps
                                                                  : INT64_MAX;
  l->C = d->rank == 3 ? d->sample_dims[0] : 1;
  l->H = d->sample_dims[d->rank - 2 >= 0 ? d->rank - 2 : 0];
  l->W = d->sample_dims[d->rank - 1];
  const int64_t n = d->count < options->batch ? d->count : options->batch;
  l->order = malloc((size_t)d->count * sizeof *l->order);
  int ok = l->order != NULL;
  for (int s = 0; s < 2 && ok; ++s) {
    l->slots[s].x = malloc((size_t)(n * d->sample_size) * sizeof(float));
    l->slots[s].labels = malloc((size_t)(n * sp_dataset_label_size(d)) * sizeof(int64_t));
    ok = l->slots[s].x && l->slots[s].labels;
  }
  if (!ok) {
    sp_loader_free(l);
    return sp_error_set(err, "out of memory for two batches of %lld samples", (long long)n);
  }
  for (int64_t i = 0; i < d->count; ++i)
    l->order[i] = i;
  if (options->threaded) {
    pthread_mutex_init(&l->mutex, NULL);
    pthread_cond_init(&l->changed, NULL);
    l->threaded = 1;
    if (pthread_create(&l->thread, NULL, loader_main, l)) {
      pthread_mutex_destroy(&l->mutex);
      pthread_cond_destroy(&l->changed);
      l->threaded = 0; /* the same batches, prepared by the caller */
    }
  }
  *out = l;
  return 0;
}

int64_t sp_loader_steps_per_epoch(const sp_loader *l) { return l->steps; }

int sp_loader_next(sp_loader *l, sp_batch *out, sp_error *err) {
  const int64_t k = l->taken;
  if (k >= l->total)
    return sp_error_set(err, "loader: no batches past epoch %lld", (long long)l->o.epochs);
  if (!l->threaded) {
    prepare(l, k);
  } else {
    pthread_mutex_lock(&l->mutex);
    l->released = k; /* the caller is done with batch k - 1 */
    pthread_cond_broadcast(&l->changed);
    while (l->prepared <= k)
      pthread_cond_wait(&l->changed, &l->mutex);
    pthread_mutex_unlock(&l->mutex);
  }
  *out = l->slots[k % 2].batch;
  l->taken = k + 1;
  return 0;
}

void sp_loader_free(sp_loader *l) {
  if (!l)
    return;
  if (l->threaded) {
    pthread_mutex_lock(&l->mutex);
    l->stop = 1;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->mutex);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->mutex);
    pthread_cond_destroy(&l->changed);
  }
  for (int s = 0; s < 2; ++s) {
    free(l->slots[s].x);
    free(l->slots[s].labels);
  }
  free(l->order);
  free(l);
}

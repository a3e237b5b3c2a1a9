/* masks.c - keeps the units sp-prune{mode=mask} zeroed at exactly zero
 * while training. The model's "sp.masks" metadata (sp/masks.h) names, per
 * initializer and axis, the zeroed index ranges; each becomes a list of
 * flat runs. Gradients of the runs are zeroed after backward (so clipping
 * and the update never see them), and values, both optimizer moments and
 * masked BatchNormalization statistics after every step: weight decay,
 * momentum or a running-statistic update cannot revive a masked unit. */
#include <stdlib.h>
#include <string.h>

#include "sp/hashmap.h"
#include "sp/masks.h"
#include "train_internal.h"

/* One masked tensor: its buffers in the trainer and the zeroed runs. */
typedef struct masked_tensor {
  float *value, *grad, *m, *v; /* grad, m, v NULL for a statistic */
  int64_t *runs;               /* n_runs pairs: first element, count */
  size_t n_runs;
} masked_tensor;

struct train_masks {
  masked_tensor *tensors;
  size_t n;
};

static const Onnx__TensorProto *initializer(const Onnx__GraphProto *g, const char *name) {
  for (size_t i = 0; i < g->n_initializer; ++i)
    if (!strcmp(g->initializer[i]->name, name))
      return g->initializer[i];
  return NULL;
}

/* The flat runs of one mask entry over a tensor of dims (outer, D, inner). */
static int add_runs(masked_tensor *mt, const sp_mask *e, const Onnx__TensorProto *init) {
  int64_t outer = 1, inner = 1, size = init->dims[e->axis];
  for (int d = 0; d < e->axis; ++d)
    outer *= init->dims[d];
  for (size_t d = (size_t)e->axis + 1; d < init->n_dims; ++d)
    inner *= init->dims[d];
  size_t more = (size_t)outer * e->n_ranges;
  int64_t *runs = realloc(mt->runs, (mt->n_runs + more + 1) * 2 * sizeof *runs);
  if (!runs)
    return -1;
  mt->runs = runs;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t r = 0; r < e->n_ranges; ++r) {
      int64_t first = (o * size + e->ranges[2 * r]) * inner;
      int64_t count = (e->ranges[2 * r + 1] - e->ranges[2 * r]) * inner;
      runs[2 * mt->n_runs] = first, runs[2 * mt->n_runs + 1] = count;
      mt->n_runs++;
    }
  return 0;
}

int train_masks_create(const sp_trainer *t, train_masks **out, sp_error *err) {
  *out = NULL;
  const sp_onnx_model *model = train_model(t);
  const Onnx__ModelProto *proto = model->proto;
  const char *text = NULL;
  for (size_t i = 0; i < proto->n_metadata_props; ++i)
    if (proto->metadata_props[i]->key && !strcmp(proto->metadata_props[i]->key, SP_MASKS_KEY))
      text = proto->metadata_props[i]->value ? proto->metadata_props[i]->value : "";
  if (!text)
    return 0;
  sp_masks masks;
  if (sp_masks_parse(text, &masks, err))
    return sp_error_prefix(err, model->path);
  train_masks *tm = calloc(1, sizeof *tm);
  sp_map slot; /* tensor name -> index + 1 in tm->tensors */
  sp_map_init(&slot);
  int rc = tm ? 0 : sp_error_set(err, "out of memory");
  for (size_t i = 0; i < masks.n && !rc; ++i) {
    const sp_mask *e = &masks.items[i];
    const Onnx__TensorProto *init = initializer(proto->graph, e->tensor);
    if (!init) {
      rc = sp_error_set(err, "%s: " SP_MASKS_KEY " names '%s', which is not an initializer",
                        model->path, e->tensor);
      break;
    }
    if ((size_t)e->axis >= init->n_dims ||
        (e->n_ranges && e->ranges[2 * e->n_ranges - 1] > init->dims[e->axis])) {
      rc = sp_error_set(err, "%s: " SP_MASKS_KEY ": '%s' axis %d does not fit its shape",
                        model->path, e->tensor, e->axis);
      break;
    }
    size_t k = (size_t)(uintptr_t)sp_map_get_str(&slot, e->tensor, NULL);
    if (!k) { /* first entry of this tensor: find its buffers */
      masked_tensor mt = {0};
      float *value, *grad;
      int64_t numel;
      for (size_t p = 0; p < sp_trainer_num_params(t) && !mt.value; ++p)
        if (!strcmp(sp_trainer_param(t, p, &value, &grad, &numel), e->tensor)) {
          mt.value = value, mt.grad = grad;
          train_param_moments(t, p, &mt.m, &mt.v);
        }
      for (size_t s = 0; s < train_num_stats(t) && !mt.value; ++s)
        if (!strcmp(train_stat(t, s, &value, &numel), e->tensor))
          mt.value = value;
      if (!mt.value)
        continue; /* not trained: training leaves its zeros alone */
      masked_tensor *grown = realloc(tm->tensors, (tm->n + 1) * sizeof *grown);
      if (!grown) {
        rc = sp_error_set(err, "out of memory");
        break;
      }
      tm->tensors = grown;
      tm->tensors[tm->n++] = mt;
      k = tm->n;
      sp_map_put_str(&slot, e->tensor, (void *)(uintptr_t)k);
    }
    if (add_runs(&tm->tensors[k - 1], e, init))
      rc = sp_error_set(err, "out of memory");
  }
  sp_map_free(&slot);
  sp_masks_free(&masks);
  if (rc) {
    train_masks_free(tm);
    return rc;
  }
  *out = tm;
  return 0;
}

static void zero_runs(float *base, const masked_tensor *mt) {
  if (base)
    for (size_t r = 0; r < mt->n_runs; ++r)
      memset(base + mt->runs[2 * r], 0, (size_t)mt->runs[2 * r + 1] * sizeof *base);
}

void train_masks_zero_grads(const train_masks *m) {
  for (size_t i = 0; m && i < m->n; ++i)
    zero_runs(m->tensors[i].grad, &m->tensors[i]);
}

void train_masks_apply(const train_masks *m) {
  for (size_t i = 0; m && i < m->n; ++i) {
    const masked_tensor *mt = &m->tensors[i];
    zero_runs(mt->value, mt);
    zero_runs(mt->m, mt);
    zero_runs(mt->v, mt);
  }
}

void train_masks_free(train_masks *m) {
  if (!m)
    return;
  for (size_t i = 0; i < m->n; ++i)
    free(m->tensors[i].runs);
  free(m->tensors);
  free(m);
}

/* train.c - the trainer (sp/train.h): parameters in one arena, softmax
 * cross-entropy, the runtime's backward pass, SGD and AdamW. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sp/runtime.h"
#include "sp/train.h"
#include "train_internal.h"

/* One trained tensor (or one BatchNormalization statistic). */
typedef struct param {
  const char *name;
  Onnx__TensorProto *init; /* its initializer in the model */
  size_t offset;           /* in floats, into each arena section */
  int64_t numel;
} param;

struct sp_trainer {
  sp_onnx_model *model;
  sp_runtime *rt;
  sp_train_options o;
  const char *input;
  param *params, *stats;
  size_t n_params, n_stats;
  /* arena: value, grad, m, v sections of n_floats each (llm.c's layout) */
  float *arena, *value, *grad, *m, *v;
  size_t n_floats;
  float *stat_values; /* BatchNormalization running mean and var */
  float *dlogits;
  size_t dlogits_cap;
  int64_t steps;
  const sp_collective *collective; /* data-parallel: sums over processes */
};

void sp_train_options_default(sp_train_options *o) {
  memset(o, 0, sizeof *o);
  o->optimizer = SP_OPTIM_SGD;
  o->lr = 0.01f;
  o->momentum = 0.9f;
  o->beta1 = 0.9f, o->beta2 = 0.999f, o->adam_eps = 1e-8f;
  o->gamma = 0.1f;
}

/* ---- which initializers train ---- */

static Onnx__TensorProto *initializer(const Onnx__GraphProto *g, const char *name) {
  for (size_t i = 0; name && name[0] && i < g->n_initializer; ++i)
    if (!strcmp(g->initializer[i]->name, name))
      return g->initializer[i];
  return NULL;
}

/* 1: a trained weight, 2: a BatchNormalization statistic, 0: neither. */
static int role(const Onnx__NodeProto *n, size_t i, const Onnx__TensorProto *t) {
  const char *op = n->op_type;
  if (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    return 0;
  if (!strcmp(op, "BatchNormalization"))
    return i == 1 || i == 2 ? 1 : i == 3 || i == 4 ? 2 : 0;
  /* torch.onnx writes a Linear on 3-D inputs as Transpose(weight) -> MatMul */
  if (!strcmp(op, "Conv") || !strcmp(op, "ConvTranspose") || !strcmp(op, "Gemm") ||
      !strcmp(op, "MatMul") || !strcmp(op, "PRelu") || !strcmp(op, "LayerNormalization") ||
      !strcmp(op, "InstanceNormalization") || !strcmp(op, "GroupNormalization") ||
      !strcmp(op, "Transpose"))
    return 1;
  /* biases and scales; not scalars such as LayerNorm's epsilon or GELU's 0.5 */
  if (!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul"))
    return sp_onnx_tensor_numel(t) > 1;
  return 0;
}

static int add_unique(param **list, size_t *n, Onnx__TensorProto *t) {
  for (size_t i = 0; i < *n; ++i)
    if ((*list)[i].init == t)
      return 0; /* shared by several nodes: one parameter */
  param *p = realloc(*list, (*n + 1) * sizeof **list);
  if (!p)
    return -1;
  *list = p;
  p[*n] = (param){t->name, t, 0, sp_onnx_tensor_numel(t)};
  ++*n;
  return 0;
}

static int find_params(sp_trainer *t, sp_error *err) {
  const Onnx__GraphProto *g = t->model->proto->graph;
  for (size_t k = 0; k < g->n_node; ++k) {
    const Onnx__NodeProto *n = g->node[k];
    for (size_t i = 0; i < n->n_input; ++i) {
      Onnx__TensorProto *init = initializer(g, n->input[i]);
      int r = init ? role(n, i, init) : 0;
      if (r && add_unique(r == 1 ? &t->params : &t->stats, r == 1 ? &t->n_params : &t->n_stats,
                          init))
        return sp_error_set(err, "out of memory");
    }
  }
  /* a statistic that is also trained elsewhere is a parameter */
  for (size_t i = 0; i < t->n_stats; ++i)
    for (size_t j = 0; j < t->n_params; ++j)
      if (t->stats[i].init == t->params[j].init)
        return sp_error_set(err, "'%s' is both a BatchNormalization statistic and a weight",
                            t->stats[i].name);
  return 0;
}

/* ---- create ---- */

int sp_trainer_create(sp_onnx_model *model, const sp_train_options *options,
                      sp_trainer **out, sp_error *err) {
  *out = NULL;
  sp_trainer *t = calloc(1, sizeof *t);
  if (!t)
    return sp_error_set(err, "out of memory");
  t->model = model;
  if (options)
    t->o = *options;
  else
    sp_train_options_default(&t->o);
  int rc = sp_runtime_create(model, 0, &t->rt, err);
  if (rc || (rc = find_params(t, err))) {
    sp_trainer_free(t);
    return rc;
  }
  if (sp_runtime_num_inputs(t->rt) < 1 || sp_runtime_num_outputs(t->rt) < 1) {
    sp_trainer_free(t);
    return sp_error_set(err, "%s: training needs a model with an input and an output",
                        model->path);
  }
  t->input = sp_runtime_input_info(t->rt, 0)->name;
  for (size_t i = 0; i < t->n_params; ++i) {
    t->params[i].offset = t->n_floats;
    t->n_floats += ((size_t)t->params[i].numel + 15) / 16 * 16; /* 64-byte rows */
  }
  size_t n_stat_floats = 0;
  for (size_t i = 0; i < t->n_stats; ++i) {
    t->stats[i].offset = n_stat_floats;
    n_stat_floats += (size_t)t->stats[i].numel;
  }
  t->arena = calloc(4 * t->n_floats + 1, sizeof *t->arena);
  t->stat_values = malloc((n_stat_floats + 1) * sizeof *t->stat_values);
  if (!t->arena || !t->stat_values) {
    sp_trainer_free(t);
    return sp_error_set(err, "out of memory for %zu parameters", t->n_floats);
  }
  t->value = t->arena, t->grad = t->value + t->n_floats;
  t->m = t->grad + t->n_floats, t->v = t->m + t->n_floats;
  for (size_t i = 0; i < t->n_params && !rc; ++i)
    rc = sp_runtime_bind_parameter(t->rt, t->params[i].name, t->value + t->params[i].offset,
                                   t->grad + t->params[i].offset, err);
  for (size_t i = 0; i < t->n_stats && !rc; ++i)
    rc = sp_runtime_bind_parameter(t->rt, t->stats[i].name,
                                   t->stat_values + t->stats[i].offset, NULL, err);
  if (rc) {
    sp_trainer_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

void sp_trainer_free(sp_trainer *t) {
  if (!t)
    return;
  sp_runtime_free(t->rt);
  free(t->params);
  free(t->stats);
  free(t->arena);
  free(t->stat_values);
  free(t->dlogits);
  free(t);
}

/* ---- steps ---- */

/* Runs x in the mode wanted and returns the logits (batch, classes). */
static const sp_tensor *forward(sp_trainer *t, int training, const float *x,
                                const int64_t *dims, int rank, int64_t *classes,
                                sp_error *err) {
  sp_runtime_set_training(t->rt, training);
  if (sp_runtime_bind(t->rt, t->input, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, rank, dims,
                      x, err) ||
      sp_runtime_run(t->rt, err))
    return NULL;
  const sp_tensor *y = sp_runtime_output(t->rt, 0);
  if (y->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || y->rank != 2 ||
      y->dims[0] != dims[0]) {
    sp_error_set(err, "%s: output '%s' is not float logits (batch, classes)",
                 t->model->path, y->name);
    return NULL;
  }
  *classes = y->dims[1];
  return y;
}

/* The loss and its gradient become this process's share of the global
 * batch's mean: dlogits scaled by B / B_global, so that summing the
 * parameter gradients over processes gives the global batch's. */
static int share_of_global_batch(sp_trainer *t, int64_t B, int64_t K, float *loss,
                                 sp_error *err) {
  double sums[2] = {(double)B, (double)*loss * (double)B};
  if (t->collective->sum_f64(t->collective->ctx, sums, 2))
    return sp_error_set(err, "summing the loss over processes failed");
  const float share = (float)((double)B / sums[0]);
  for (int64_t i = 0; i < B * K; ++i)
    t->dlogits[i] *= share;
  *loss = (float)(sums[1] / sums[0]);
  return 0;
}

int sp_trainer_backward(sp_trainer *t, const float *x, const int64_t *dims, int rank,
                        const int64_t *labels, float *loss, sp_error *err) {
  int64_t K;
  const sp_tensor *y = forward(t, 1, x, dims, rank, &K, err);
  if (!y)
    return -1;
  const int64_t B = dims[0];
  for (int64_t b = 0; b < B; ++b)
    if (labels[b] < 0 || labels[b] >= K)
      return sp_error_set(err, "label %lld of sample %lld is outside [0, %lld)",
                          (long long)labels[b], (long long)b, (long long)K);
  if ((size_t)(B * K) > t->dlogits_cap) {
    float *d = realloc(t->dlogits, (size_t)(B * K) * sizeof *d);
    if (!d)
      return sp_error_set(err, "out of memory");
    t->dlogits = d, t->dlogits_cap = (size_t)(B * K);
  }
  *loss = softmax_xent(t->dlogits, y->data, labels, B, K, t->o.label_smoothing);
  if (t->collective && share_of_global_batch(t, B, K, loss, err))
    return -1;
  if (!isfinite(*loss))
    return sp_error_set(err, "the loss is %g at step %lld: lower the learning rate",
                        (double)*loss, (long long)t->steps);
  const float *grads[1] = {t->dlogits};
  const float *const *out_grads = grads;
  float **all = NULL;
  int n_out = sp_runtime_num_outputs(t->rt);
  if (n_out > 1) { /* only output 0 carries the loss */
    if (!(all = calloc((size_t)n_out, sizeof *all)))
      return sp_error_set(err, "out of memory");
    all[0] = t->dlogits;
    out_grads = (const float *const *)all;
  }
  int rc = sp_runtime_backward(t->rt, out_grads, err);
  free(all);
  return rc;
}

void sp_trainer_set_collective(sp_trainer *t, const sp_collective *c) {
  t->collective = c;
  sp_runtime_set_collective(t->rt, c);
}

float sp_trainer_lr(const sp_trainer *t) {
  const sp_train_options *o = &t->o;
  const int64_t s = t->steps;
  if (s < o->warmup_steps)
    return o->lr * (float)(s + 1) / (float)o->warmup_steps;
  const int64_t after = s - o->warmup_steps;
  switch (o->schedule) {
  case SP_SCHEDULE_STEP:
    return o->step_size > 0 ? o->lr * powf(o->gamma, (float)(after / o->step_size)) : o->lr;
  case SP_SCHEDULE_COSINE: {
    const int64_t span = o->total_steps - o->warmup_steps;
    if (span <= 0 || after >= span)
      return 0.0f;
    return o->lr * 0.5f * (1.0f + cosf((float)M_PI * (float)after / (float)span));
  }
  default: return o->lr;
  }
}

int64_t sp_trainer_steps(const sp_trainer *t) { return t->steps; }

sp_runtime *sp_trainer_runtime(sp_trainer *t) { return t->rt; }

/* One update of every parameter from its gradient; gradients zeroed. */
static void update(sp_trainer *t) {
  const sp_train_options *o = &t->o;
  const float lr = sp_trainer_lr(t);
  const size_t n = t->n_floats;
  float *w = t->value, *g = t->grad, *m = t->m, *v = t->v;
  if (o->clip_norm > 0) {
    double sq = 0;
    for (size_t i = 0; i < n; ++i)
      sq += (double)g[i] * g[i];
    const double norm = sqrt(sq);
    if (norm > o->clip_norm)
      for (size_t i = 0; i < n; ++i)
        g[i] *= (float)(o->clip_norm / norm);
  }
  ++t->steps;
  if (o->optimizer == SP_OPTIM_ADAMW) {
    const float c1 = 1.0f - powf(o->beta1, (float)t->steps);
    const float c2 = 1.0f - powf(o->beta2, (float)t->steps);
#pragma omp parallel for schedule(static) if (n > 65536) /* the kernels' threads */
    for (size_t i = 0; i < n; ++i) {
      w[i] -= lr * o->weight_decay * w[i];
      m[i] = o->beta1 * m[i] + (1 - o->beta1) * g[i];
      v[i] = o->beta2 * v[i] + (1 - o->beta2) * g[i] * g[i];
      w[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + o->adam_eps);
    }
  } else { /* SGD as PyTorch: decay into the gradient, momentum buffer m */
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; ++i) {
      float d = g[i] + o->weight_decay * w[i];
      if (o->momentum != 0) {
        m[i] = t->steps == 1 ? d : o->momentum * m[i] + d;
        d = o->nesterov ? d + o->momentum * m[i] : m[i];
      }
      w[i] -= lr * d;
    }
  }
  memset(g, 0, n * sizeof *g);
}

int sp_trainer_step(sp_trainer *t, const float *x, const int64_t *dims, int rank,
                    const int64_t *labels, float *loss, sp_error *err) {
  int rc = sp_trainer_backward(t, x, dims, rank, labels, loss, err);
  if (rc) {
    memset(t->grad, 0, t->n_floats * sizeof *t->grad);
    return rc;
  }
  if (t->collective && t->collective->sum_f32(t->collective->ctx, t->grad, t->n_floats))
    return sp_error_set(err, "summing gradients over processes failed");
  update(t);
  return 0;
}

int sp_trainer_eval(sp_trainer *t, const float *x, const int64_t *dims, int rank,
                    const int64_t *labels, int64_t *correct, sp_error *err) {
  int64_t K;
  const sp_tensor *y = forward(t, 0, x, dims, rank, &K, err);
  if (!y)
    return -1;
  const float *p = y->data;
  for (int64_t b = 0; b < dims[0]; ++b) {
    int64_t best = 0;
    for (int64_t k = 1; k < K; ++k)
      if (p[b * K + k] > p[b * K + best])
        best = k;
    *correct += best == labels[b];
  }
  return 0;
}

/* ---- parameters and saving ---- */

size_t sp_trainer_num_params(const sp_trainer *t) { return t->n_params; }

const char *sp_trainer_param(const sp_trainer *t, size_t i, float **value, float **grad,
                             int64_t *numel) {
  if (i >= t->n_params)
    return NULL;
  if (value)
    *value = t->value + t->params[i].offset;
  if (grad)
    *grad = t->grad + t->params[i].offset;
  if (numel)
    *numel = t->params[i].numel;
  return t->params[i].name;
}

/* Fields of one initializer that saving replaces, to put back after. */
typedef struct saved_tensor {
  Onnx__TensorProto *t, before;
} saved_tensor;

static void point_at(saved_tensor *s, const param *p, float *values) {
  Onnx__TensorProto *t = p->init;
  s->t = t, s->before = *t;
  t->has_raw_data = 1;
  t->raw_data.data = (uint8_t *)values;
  t->raw_data.len = (size_t)p->numel * sizeof(float);
  t->n_float_data = 0, t->float_data = NULL;
  t->has_data_location = 0;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT;
  t->n_external_data = 0, t->external_data = NULL;
}

int sp_trainer_save(sp_trainer *t, const char *path, sp_error *err) {
  /* a model read with external data is written whole, weights inline */
  if (sp_onnx_inline_external(t->model, err))
    return -1;
  size_t n = t->n_params + t->n_stats;
  saved_tensor *saved = calloc(n + 1, sizeof *saved);
  if (!saved)
    return sp_error_set(err, "out of memory");
  for (size_t i = 0; i < t->n_params; ++i)
    point_at(&saved[i], &t->params[i], t->value + t->params[i].offset);
  for (size_t i = 0; i < t->n_stats; ++i)
    point_at(&saved[t->n_params + i], &t->stats[i], t->stat_values + t->stats[i].offset);
  int rc = sp_onnx_save(path, t->model->proto, NULL, err);
  for (size_t i = n; i-- > 0;)
    *saved[i].t = saved[i].before;
  free(saved);
  return rc;
}

/* train.c - the trainer (sp/train.h): parameters in one arena, the losses
 * of loss.c (a teacher run forward for distillation), the runtime's backward
 * pass, SGD and AdamW, the schedules, and the state file of --resume. */
#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sp/output.h"
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
  sp_runtime *teacher;
  char *teacher_path; /* o.teacher points here */
  int64_t *tokens; /* x as integers, for a model whose input is int64 */
  size_t tokens_cap;
  int64_t steps, batch_correct;
  double batch_xent; /* mean cross-entropy of the last backward's rows */
  const sp_collective *collective; /* data-parallel: sums over processes */
  float share; /* of the global batch this process trains on: 1 alone */
  uint64_t rng; /* splitmix64 state, for any random choice of a step */
  train_masks *masks;   /* sp.masks of the model, kept at zero (masks.c) */
  train_regularizer *reg; /* --l1-bn, --group-lasso (regularize.c) */
};

void sp_train_options_default(sp_train_options *o) {
  memset(o, 0, sizeof *o);
  o->optimizer = SP_OPTIM_SGD;
  o->lr = 0.01f;
  o->momentum = 0.9f;
  o->beta1 = 0.9f, o->beta2 = 0.999f, o->adam_eps = 1e-8f;
  o->gamma = 0.1f;
  o->loss = SP_LOSS_XENT;
  o->kd_temperature = 4.0f, o->kd_alpha = 0.5f; /* 0.9 lost 0.4 pt on the example */
  o->pct_start = 0.3f, o->div_factor = 25.0f, o->final_div_factor = 1e4f;
  o->seed = 1;
}

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void sp_train_shuffle(int64_t *order, int64_t n, uint64_t seed, int64_t epoch) {
  uint64_t s = seed * 0x9e3779b97f4a7c15ull ^ (uint64_t)epoch; /* one stream per epoch */
  splitmix64(&s);
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  for (int64_t i = n - 1; i > 0; --i) { /* Fisher-Yates */
    int64_t j = (int64_t)(splitmix64(&s) % (uint64_t)(i + 1)), keep = order[i];
    order[i] = order[j], order[j] = keep;
  }
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
  /* embedding tables (Gather's data) and learned tokens broadcast to the
   * batch (ViT's class token: Expand) */
  if ((!strcmp(op, "Gather") || !strcmp(op, "Expand")) && i == 0)
    return sp_onnx_tensor_numel(t) > 1;
  /* biases and scales; not scalars such as LayerNorm's epsilon or GELU's 0.5 */
  if (!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul") ||
      !strcmp(op, "Pow"))
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

static int frozen(const sp_train_options *o, const char *name) {
  for (size_t i = 0; i < o->n_freeze; ++i)
    if (!fnmatch(o->freeze[i], name, 0))
      return 1;
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
  /* frozen parameters stay constants of the runtime: no gradient, no update */
  for (size_t f = 0; f < t->o.n_freeze; ++f) {
    size_t hits = 0;
    for (size_t i = 0; i < t->n_params; ++i)
      hits += !fnmatch(t->o.freeze[f], t->params[i].name, 0);
    if (!hits)
      return sp_error_set(err, "%s: --freeze '%s' matches no trained parameter",
                          t->model->path, t->o.freeze[f]);
  }
  size_t kept = 0;
  for (size_t i = 0; i < t->n_params; ++i)
    if (!frozen(&t->o, t->params[i].name))
      t->params[kept++] = t->params[i];
  t->n_params = kept;
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
  t->share = 1; /* alone until a collective says otherwise */
  if (options)
    t->o = *options;
  else
    sp_train_options_default(&t->o);
  t->o.freeze = NULL, t->o.n_freeze = 0; /* the caller's globs are read here only */
  t->rng = options ? options->seed : 1;
  int rc = sp_runtime_create(model, 0, &t->rt, err);
  if (!rc) {
    t->o.freeze = options ? options->freeze : NULL;
    t->o.n_freeze = options ? options->n_freeze : 0;
    rc = find_params(t, err);
    t->o.freeze = NULL, t->o.n_freeze = 0;
  }
  if (!rc && t->o.teacher && (rc = sp_runtime_load(t->o.teacher, &t->teacher, err)) == 0 &&
      (sp_runtime_num_inputs(t->teacher) < 1 || sp_runtime_num_outputs(t->teacher) < 1))
    rc = sp_error_set(err, "%s: a teacher needs an input and an output", t->o.teacher);
  if (!rc && t->o.teacher && !(t->o.teacher = t->teacher_path = strdup(t->o.teacher)))
    rc = sp_error_set(err, "out of memory");
  if (rc) {
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
  if (!rc && !(rc = train_masks_create(t, &t->masks, err)))
    rc = train_regularizer_create(t, &t->o, &t->reg, err);
  if (rc) {
    sp_trainer_free(t);
    return rc;
  }
  train_masks_apply(t->masks);
  *out = t;
  return 0;
}

void sp_trainer_free(sp_trainer *t) {
  if (!t)
    return;
  sp_runtime_free(t->rt);
  train_masks_free(t->masks);
  train_regularizer_free(t->reg);
  free(t->params);
  free(t->stats);
  free(t->arena);
  free(t->stat_values);
  free(t->dlogits);
  sp_runtime_free(t->teacher);
  free(t->teacher_path);
  free(t->tokens);
  free(t);
}

/* ---- steps ---- */

/* Runs x in the mode wanted and returns the logits (batch, ..., classes):
 * *rows = numel / classes predictions, one label each. An int64 input
 * (token ids) gets x rounded to integers. */
/* Binds x as rt's first input: floats, or for a token model (int64 input)
 * the floats rounded to integers, so callers pass one float array. */
static int bind_input(sp_trainer *t, sp_runtime *rt, const float *x, const int64_t *dims,
                      int rank, int32_t *type, sp_error *err) {
  const void *data = x;
  *type = sp_runtime_input_info(rt, 0)->elem_type;
  if (*type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
    int64_t n = 1;
    for (int d = 0; d < rank; ++d)
      n *= dims[d];
    if ((size_t)n > t->tokens_cap) {
      int64_t *p = realloc(t->tokens, (size_t)n * sizeof *p);
      if (!p)
        return sp_error_set(err, "out of memory");
      t->tokens = p, t->tokens_cap = (size_t)n;
    }
    for (int64_t i = 0; i < n; ++i)
      t->tokens[i] = (int64_t)lrintf(x[i]);
    data = t->tokens;
  } else {
    *type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  }
  return sp_runtime_bind(rt, sp_runtime_input_info(rt, 0)->name, *type, rank, dims, data, err);
}

static const sp_tensor *forward(sp_trainer *t, int training, const float *x,
                                const int64_t *dims, int rank, int64_t *classes,
                                int64_t *rows, sp_error *err) {
  sp_runtime_set_training(t->rt, training);
  int32_t type;
  if (bind_input(t, t->rt, x, dims, rank, &type, err) || sp_runtime_run(t->rt, err))
    return NULL;
  const sp_tensor *y = sp_runtime_output(t->rt, 0);
  if (y->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || y->rank < 2 ||
      y->dims[0] != dims[0] || y->dims[y->rank - 1] < 1) {
    sp_error_set(err, "%s: output '%s' is not float logits (batch, ..., classes)",
                 t->model->path, y->name);
    return NULL;
  }
  *classes = y->dims[y->rank - 1];
  *rows = y->numel / *classes;
  /* per-position labels come with token inputs, never with image batches,
   * whose label arrays hold one per sample */
  if (*rows != dims[0] && type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
    sp_error_set(err, "%s: output '%s' has %lld predictions for %lld samples: "
                 "logits per position need a token (int64) input",
                 t->model->path, y->name, (long long)*rows, (long long)dims[0]);
    return NULL;
  }
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
  const float share = t->share = (float)((double)B / sums[0]);
  for (int64_t i = 0; i < B * K; ++i)
    t->dlogits[i] *= share;
  *loss = (float)(sums[1] / sums[0]);
  return 0;
}

/* Labels that are the arg-max of their row of logits (B,K). */
static int64_t count_correct(const float *p, const int64_t *labels, int64_t B, int64_t K) {
  int64_t correct = 0;
  for (int64_t b = 0; b < B; ++b) {
    int64_t best = 0;
    for (int64_t k = 1; k < K; ++k)
      if (p[b * K + k] > p[b * K + best])
        best = k;
    correct += best == labels[b];
  }
  return correct;
}

/* The teacher's logits (batch, K) on x, inference mode; NULL and err set
 * when they do not have the student's shape. */
static const float *teacher_logits(sp_trainer *t, const float *x, const int64_t *dims,
                                   int rank, int64_t B, int64_t K, sp_error *err) {
  int32_t type;
  if (bind_input(t, t->teacher, x, dims, rank, &type, err) || sp_runtime_run(t->teacher, err))
    return NULL;
  const sp_tensor *y = sp_runtime_output(t->teacher, 0);
  if (y->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || y->rank < 2 ||
      y->dims[0] != dims[0] || y->dims[y->rank - 1] != K || y->numel != B * K) {
    sp_error_set(err, "%s: the teacher's output '%s' is not float logits of the student's "
                 "shape (%lld rows of %lld)", t->teacher_path, y->name, (long long)B,
                 (long long)K);
    return NULL;
  }
  const float *p = y->data;
  for (int64_t i = 0; i < y->numel; ++i)
    if (!isfinite(p[i])) { /* the student is not to blame: say whose they are */
      sp_error_set(err, "%s: the teacher's logits are not finite (%g) at step %lld",
                   t->teacher_path, (double)p[i], (long long)t->steps);
      return NULL;
    }
  return p;
}

int sp_trainer_backward(sp_trainer *t, const float *x, const int64_t *dims, int rank,
                        const int64_t *labels, float *loss, sp_error *err) {
  int64_t K, B;
  const sp_tensor *y = forward(t, 1, x, dims, rank, &K, &B, err);
  if (!y)
    return -1;
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
  const float *teacher = NULL;
  if (t->teacher && !(teacher = teacher_logits(t, x, dims, rank, B, K, err)))
    return -1;
  const float *s = y->data;
  const float T = t->o.kd_temperature, alpha = t->o.kd_alpha, eps = t->o.label_smoothing;
  if (t->o.loss == SP_LOSS_MSE) {
    *loss = mse_forward(s, teacher, labels, B, K);
    mse_backward(t->dlogits, s, teacher, labels, B, K);
  } else if (teacher) {
    *loss = distill_forward(s, teacher, labels, B, K, T, alpha, eps);
    distill_backward(t->dlogits, s, teacher, labels, B, K, T, alpha, eps);
  } else {
    *loss = xent_forward(s, labels, B, K, eps);
    xent_backward(t->dlogits, s, labels, B, K, eps);
  }
  t->batch_correct = count_correct(s, labels, B, K);
  t->batch_xent = t->o.loss == SP_LOSS_XENT && !teacher && eps == 0
                      ? (double)*loss /* the same sum, not computed twice */
                      : (double)xent_forward(s, labels, B, K, 0);
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
  if (!rc && t->reg) /* summed over processes, its gradient counts once */
    *loss += (float)train_regularize(t->reg, t->share);
  train_masks_zero_grads(t->masks);
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
  case SP_SCHEDULE_ONE_CYCLE: { /* OneCycleLR's phases, in doubles as PyTorch does */
    const double span = (double)(o->total_steps - o->warmup_steps);
    const double start = o->lr / o->div_factor, end = start / o->final_div_factor;
    const double peak = o->pct_start * span - 1; /* the step at the top */
    double from = start, to = o->lr, pct;
    if ((double)after <= peak)
      pct = peak > 0 ? (double)after / peak : 1.0;
    else
      from = o->lr, to = end,
      pct = span - 1 - peak > 0 ? ((double)after - peak) / (span - 1 - peak) : 1.0;
    if (pct > 1)
      pct = 1;
    return (float)(to + (from - to) / 2 * (cos(M_PI * pct) + 1));
  }
  default: return o->lr;
  }
}

int64_t sp_trainer_steps(const sp_trainer *t) { return t->steps; }

sp_runtime *sp_trainer_runtime(sp_trainer *t) { return t->rt; }

void sp_trainer_set_total_steps(sp_trainer *t, int64_t total_steps) {
  t->o.total_steps = total_steps;
}

const sp_train_options *sp_trainer_options(const sp_trainer *t) { return &t->o; }

int64_t sp_trainer_batch_correct(const sp_trainer *t) { return t->batch_correct; }

double sp_trainer_batch_xent(const sp_trainer *t) { return t->batch_xent; }

/* One update of every parameter from its gradient (summed over the
 * processes first, with a collective); gradients zeroed. */
int sp_trainer_update(sp_trainer *t, sp_error *err) {
  if (t->collective && t->collective->sum_f32(t->collective->ctx, t->grad, t->n_floats)) {
    memset(t->grad, 0, t->n_floats * sizeof *t->grad);
    return sp_error_set(err, "summing gradients over processes failed");
  }
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
      g[i] = 0; /* zeroed here, on every thread, not by a serial pass after */
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
      g[i] = 0;
    }
  }
  train_masks_apply(t->masks); /* exact zeros whatever the optimizer did */
  return 0;
}

int sp_trainer_step(sp_trainer *t, const float *x, const int64_t *dims, int rank,
                    const int64_t *labels, float *loss, sp_error *err) {
  int rc = sp_trainer_backward(t, x, dims, rank, labels, loss, err);
  if (rc) {
    memset(t->grad, 0, t->n_floats * sizeof *t->grad);
    return rc;
  }
  return sp_trainer_update(t, err);
}

int sp_trainer_eval(sp_trainer *t, const float *x, const int64_t *dims, int rank,
                    const int64_t *labels, int64_t *correct, sp_error *err) {
  int64_t K, rows;
  const sp_tensor *y = forward(t, 0, x, dims, rank, &K, &rows, err);
  if (!y)
    return -1;
  *correct += count_correct(y->data, labels, rows, K);
  return 0;
}

int sp_trainer_predict(sp_trainer *t, const float *x, const int64_t *dims, int rank,
                       int64_t *argmax, sp_error *err) {
  int64_t K, n;
  const sp_tensor *y = forward(t, 0, x, dims, rank, &K, &n, err);
  if (!y)
    return -1;
  const float *p = y->data;
  for (int64_t b = 0; b < n; ++b) { // the first of equal maxima, as count_correct
    argmax[b] = 0;
    for (int64_t k = 1; k < K; ++k)
      if (p[b * K + k] > p[b * K + argmax[b]])
        argmax[b] = k;
  }
  return 0;
}

int sp_trainer_eval_xent(sp_trainer *t, const float *x, const int64_t *dims, int rank,
                         const int64_t *labels, int64_t *correct, double *xent,
                         int64_t *rows, sp_error *err) {
  int64_t K, n;
  const sp_tensor *y = forward(t, 0, x, dims, rank, &K, &n, err);
  if (!y)
    return -1;
  for (int64_t b = 0; b < n; ++b)
    if (labels[b] < 0 || labels[b] >= K)
      return sp_error_set(err, "label %lld of row %lld is outside [0, %lld)",
                          (long long)labels[b], (long long)b, (long long)K);
  *correct += count_correct(y->data, labels, n, K);
  *xent += (double)xent_forward(y->data, labels, n, K, 0) * (double)n;
  *rows += n;
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

/* ---- the state file of --resume ----
 *
 * Little-endian, every integer 8 bytes:
 *   "SPTRAIN\1", optimizer, steps, epoch, seed, rng state,
 *   n_params, n_stats, then per parameter and per statistic its name's
 *   length, the name (no NUL) and its element count;
 *   the floats: parameter values, m, v (optimizer moments), statistics;
 *   an FNV-1a hash of every byte before it. */

typedef struct buffer {
  unsigned char *data;
  size_t len, cap;
  int failed;
} buffer;

static void put(buffer *b, const void *p, size_t n) {
  if (b->failed)
    return;
  if (b->len + n > b->cap) {
    size_t cap = (b->len + n) * 2;
    unsigned char *d = realloc(b->data, cap);
    if (!d) {
      b->failed = 1;
      return;
    }
    b->data = d, b->cap = cap;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static void put_u64(buffer *b, uint64_t v) {
  unsigned char bytes[8];
  for (int i = 0; i < 8; ++i)
    bytes[i] = (unsigned char)(v >> (8 * i));
  put(b, bytes, 8);
}

static uint64_t fnv1a(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i)
    h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

static const char STATE_MAGIC[8] = {'S', 'P', 'T', 'R', 'A', 'I', 'N', 1};

static void put_floats(buffer *b, const sp_trainer *t, const float *section) {
  for (size_t i = 0; i < t->n_params; ++i)
    put(b, section + t->params[i].offset, (size_t)t->params[i].numel * sizeof(float));
}

int sp_trainer_save_state(sp_trainer *t, const char *path, int64_t epoch, sp_error *err) {
  buffer b = {0};
  put(&b, STATE_MAGIC, 8);
  put_u64(&b, (uint64_t)t->o.optimizer);
  put_u64(&b, (uint64_t)t->steps);
  put_u64(&b, (uint64_t)epoch);
  put_u64(&b, t->o.seed);
  put_u64(&b, t->rng);
  put_u64(&b, t->n_params);
  put_u64(&b, t->n_stats);
  for (size_t i = 0; i < t->n_params + t->n_stats; ++i) {
    const param *p = i < t->n_params ? &t->params[i] : &t->stats[i - t->n_params];
    put_u64(&b, strlen(p->name));
    put(&b, p->name, strlen(p->name));
    put_u64(&b, (uint64_t)p->numel);
  }
  put_floats(&b, t, t->value);
  put_floats(&b, t, t->m);
  put_floats(&b, t, t->v);
  for (size_t i = 0; i < t->n_stats; ++i)
    put(&b, t->stat_values + t->stats[i].offset, (size_t)t->stats[i].numel * sizeof(float));
  if (!b.failed)
    put_u64(&b, fnv1a(b.data, b.len));
  int rc = b.failed ? sp_error_set(err, "out of memory writing '%s'", path)
                    : sp_output_write_all(path, b.data, b.len, err);
  free(b.data);
  return rc;
}

/* Reads from a whole file in memory; past the end sets at to SIZE_MAX. */
typedef struct reader {
  const unsigned char *data;
  size_t len, at;
} reader;

static const void *take(reader *r, size_t n) {
  if (r->at > r->len || r->len - r->at < n) {
    r->at = SIZE_MAX;
    return NULL;
  }
  r->at += n;
  return r->data + r->at - n;
}

static uint64_t take_u64(reader *r) {
  const unsigned char *p = take(r, 8);
  uint64_t v = 0;
  for (int i = 0; p && i < 8; ++i)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

static int read_whole(const char *path, unsigned char **data, size_t *len, sp_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return sp_error_set(err, "cannot read state file '%s'", path);
  buffer b = {0};
  unsigned char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    put(&b, chunk, n);
  int bad = ferror(f);
  fclose(f);
  if (bad || b.failed) {
    free(b.data);
    return sp_error_set(err, "cannot read state file '%s'", path);
  }
  *data = b.data, *len = b.len;
  return 0;
}

static int check_state(sp_trainer *t, reader *r, const char *path, sp_error *err) {
  static const char *const optim[] = {"sgd", "adamw"};
  const void *magic = take(r, 8);
  if (!magic || memcmp(magic, STATE_MAGIC, 8))
    return sp_error_set(err, "%s: not an sp-train state file", path);
  if (r->len < 16 || take_u64(&(reader){r->data + r->len - 8, 8, 0}) !=
                         fnv1a(r->data, r->len - 8))
    return sp_error_set(err, "%s: truncated or corrupt state file", path);
  r->len -= 8;
  uint64_t optimizer = take_u64(r);
  if (optimizer != (uint64_t)t->o.optimizer)
    return sp_error_set(err, "%s: written by a run with --optimizer %s, this one uses %s",
                        path, optimizer < 2 ? optim[optimizer] : "?", optim[t->o.optimizer]);
  return 0;
}

int sp_trainer_load_state(sp_trainer *t, const char *path, int64_t *epoch, sp_error *err) {
  unsigned char *data;
  size_t len;
  if (read_whole(path, &data, &len, err))
    return -1;
  reader r = {data, len, 0};
  int rc = check_state(t, &r, path, err);
  uint64_t steps = take_u64(&r), saved_epoch = take_u64(&r), seed = take_u64(&r),
           rng = take_u64(&r), n_params = take_u64(&r), n_stats = take_u64(&r);
  if (!rc && seed != t->o.seed)
    rc = sp_error_set(err, "%s: written by a run with --seed %llu, this one has %llu", path,
                      (unsigned long long)seed, (unsigned long long)t->o.seed);
  if (!rc && (n_params != t->n_params || n_stats != t->n_stats))
    rc = sp_error_set(err, "%s: %llu parameters and %llu statistics, the model being trained "
                      "has %zu and %zu (another model, or another --freeze?)", path,
                      (unsigned long long)n_params, (unsigned long long)n_stats, t->n_params,
                      t->n_stats);
  for (size_t i = 0; !rc && i < t->n_params + t->n_stats; ++i) {
    const param *p = i < t->n_params ? &t->params[i] : &t->stats[i - t->n_params];
    uint64_t name_len = take_u64(&r);
    const char *name = name_len < (1u << 20) ? take(&r, name_len) : NULL;
    uint64_t numel = take_u64(&r);
    if (!name)
      rc = sp_error_set(err, "%s: truncated or corrupt state file", path);
    else if (name_len != strlen(p->name) || memcmp(name, p->name, name_len) ||
             numel != (uint64_t)p->numel)
      rc = sp_error_set(err, "%s: tensor %zu is '%.*s' of %llu floats, the model's is '%s' "
                        "of %lld (another model?)", path, i, (int)(name_len < 200 ? name_len : 200),
                        name, (unsigned long long)numel, p->name, (long long)p->numel);
  }
  size_t n_stat_floats = 0, n_param_floats = 0;
  for (size_t i = 0; i < t->n_params; ++i)
    n_param_floats += (size_t)t->params[i].numel;
  for (size_t i = 0; i < t->n_stats; ++i)
    n_stat_floats += (size_t)t->stats[i].numel;
  const unsigned char *floats =
      rc ? NULL : take(&r, (3 * n_param_floats + n_stat_floats) * sizeof(float));
  if (!rc && (!floats || r.at != r.len))
    rc = sp_error_set(err, "%s: truncated or corrupt state file", path);
  if (!rc) {
    float *sections[3] = {t->value, t->m, t->v};
    for (int s = 0; s < 3; ++s)
      for (size_t i = 0; i < t->n_params; ++i) {
        size_t n = (size_t)t->params[i].numel * sizeof(float);
        memcpy(sections[s] + t->params[i].offset, floats, n);
        floats += n;
      }
    for (size_t i = 0; i < t->n_stats; ++i) {
      size_t n = (size_t)t->stats[i].numel * sizeof(float);
      memcpy(t->stat_values + t->stats[i].offset, floats, n);
      floats += n;
    }
    t->steps = (int64_t)steps, t->rng = rng;
    *epoch = (int64_t)saved_epoch;
    memset(t->grad, 0, t->n_floats * sizeof *t->grad);
    /* weights changed under the runtime: replan, so nothing derived from
     * the old ones is reused */
    sp_runtime_set_training(t->rt, 1);
    sp_runtime_set_training(t->rt, 0);
  }
  free(data);
  return rc;
}

/* ---- internals for masks.c and regularize.c ---- */

const sp_onnx_model *train_model(const sp_trainer *t) { return t->model; }

void train_param_moments(const sp_trainer *t, size_t i, float **m, float **v) {
  *m = t->m + t->params[i].offset;
  *v = t->v + t->params[i].offset;
}

size_t train_num_stats(const sp_trainer *t) { return t->n_stats; }

const char *train_stat(const sp_trainer *t, size_t i, float **value, int64_t *numel) {
  *value = t->stat_values + t->stats[i].offset;
  *numel = t->stats[i].numel;
  return t->stats[i].name;
}

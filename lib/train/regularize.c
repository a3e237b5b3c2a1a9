/* regularize.c - sparsity regularizers added to the loss after backward:
 *   l1-bn:       lambda * sum |gamma| over BatchNormalization scales
 *                (network slimming; subgradient lambda * sign(gamma));
 *   gate-l1:     lambda * sum |g| over the gates of sp-insert-gates, the
 *                initializers named sp.gate.* (same subgradient);
 *   group-lasso: lambda * sum over groups g, units u of
 *                sqrt(sum of w^2 over u's slices of every trained member of g)
 *                so the units of a dependency group shrink together.
 * Groups come from sp-dependency-groups{export=FILE.json} (docs/pruning.md). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/gates.h"
#include "train_internal.h"

/* One member's slices: unit u is, for each o < outer, the run of len floats
 * at w + o * row + offset + u * len. */
typedef struct lasso_member {
  float *w, *g;
  int64_t outer, row, offset, len;
} lasso_member;

typedef struct lasso_group {
  int64_t units;
  lasso_member *members;
  size_t n_members;
} lasso_group;

typedef struct l1_tensor {
  float *w, *g;
  int64_t n;
} l1_tensor;

struct train_regularizer {
  float l1_lambda, gate_lambda, lasso_lambda;
  l1_tensor *scales, *gates;
  size_t n_scales, n_gates;
  lasso_group *groups;
  size_t n_groups;
  double *norms; /* scratch: one per unit of the largest group */
};

/* ---- kernels ---- */

/* w is (n): returns sum |w|. */
static double l1_forward(const float *w, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i)
    s += fabs((double)w[i]);
  return s;
}

/* w, grad are (n): grad += lambda * sign(w), 0 at w = 0. */
static void l1_backward(const float *w, int64_t n, float lambda, float *grad) {
  for (int64_t i = 0; i < n; ++i)
    grad[i] += w[i] > 0 ? lambda : w[i] < 0 ? -lambda : 0.0f;
}

/* norms is (units): the L2 norm of each unit's slices; returns their sum. */
static double group_lasso_forward(const lasso_group *grp, double *norms) {
  double total = 0;
  for (int64_t u = 0; u < grp->units; ++u) {
    double sq = 0;
    for (size_t k = 0; k < grp->n_members; ++k) {
      const lasso_member *mb = &grp->members[k];
      for (int64_t o = 0; o < mb->outer; ++o) {
        const float *w = mb->w + o * mb->row + mb->offset + u * mb->len;
        for (int64_t i = 0; i < mb->len; ++i)
          sq += (double)w[i] * w[i];
      }
    }
    norms[u] = sqrt(sq);
    total += norms[u];
  }
  return total;
}

/* grad += lambda * w / norm(unit) over every slice; 0 for a zero unit (the
 * subgradient that keeps it at zero). */
static void group_lasso_backward(const lasso_group *grp, const double *norms, float lambda) {
  for (int64_t u = 0; u < grp->units; ++u) {
    if (norms[u] == 0)
      continue;
    const float scale = (float)(lambda / norms[u]);
    for (size_t k = 0; k < grp->n_members; ++k) {
      const lasso_member *mb = &grp->members[k];
      for (int64_t o = 0; o < mb->outer; ++o) {
        const int64_t at = o * mb->row + mb->offset + u * mb->len;
        for (int64_t i = 0; i < mb->len; ++i)
          mb->g[at + i] += scale * mb->w[at + i];
      }
    }
  }
}

double train_regularize(const train_regularizer *r, float share) {
  double value = 0;
  for (size_t i = 0; i < r->n_scales; ++i) {
    const l1_tensor *s = &r->scales[i];
    value += r->l1_lambda * l1_forward(s->w, s->n);
    l1_backward(s->w, s->n, r->l1_lambda * share, s->g);
  }
  for (size_t i = 0; i < r->n_gates; ++i) {
    const l1_tensor *s = &r->gates[i];
    value += r->gate_lambda * l1_forward(s->w, s->n);
    l1_backward(s->w, s->n, r->gate_lambda * share, s->g);
  }
  for (size_t i = 0; i < r->n_groups; ++i) {
    value += r->lasso_lambda * group_lasso_forward(&r->groups[i], r->norms);
    group_lasso_backward(&r->groups[i], r->norms, r->lasso_lambda * share);
  }
  return value;
}

/* ---- setup ---- */

/* Index of the trained parameter named name, or -1. */
static long find_param(const sp_trainer *t, const char *name, float **w, float **g,
                       int64_t *numel) {
  for (size_t i = 0; i < sp_trainer_num_params(t); ++i)
    if (!strcmp(sp_trainer_param(t, i, w, g, numel), name))
      return (long)i;
  return -1;
}

static int add_bn_scales(train_regularizer *r, const sp_trainer *t, sp_error *err) {
  const sp_onnx_model *model = train_model(t);
  const Onnx__GraphProto *g = model->proto->graph;
  for (size_t k = 0; k < g->n_node; ++k) {
    const Onnx__NodeProto *n = g->node[k];
    if (strcmp(n->op_type, "BatchNormalization") || n->n_input < 2)
      continue;
    l1_tensor s;
    if (find_param(t, n->input[1], &s.w, &s.g, &s.n) < 0)
      continue;
    int seen = 0; /* one scale shared by several nodes counts once */
    for (size_t i = 0; i < r->n_scales; ++i)
      seen |= r->scales[i].w == s.w;
    if (seen)
      continue;
    l1_tensor *grown = realloc(r->scales, (r->n_scales + 1) * sizeof *grown);
    if (!grown)
      return sp_error_set(err, "out of memory");
    r->scales = grown;
    r->scales[r->n_scales++] = s;
  }
  if (!r->n_scales)
    return sp_error_set(err, "%s: --l1-bn: the model has no trained BatchNormalization scale",
                        model->path);
  return 0;
}

/* Every trained parameter named sp.gate.* (sp-insert-gates). */
static int add_gates(train_regularizer *r, const sp_trainer *t, sp_error *err) {
  for (size_t i = 0; i < sp_trainer_num_params(t); ++i) {
    l1_tensor s;
    const char *name = sp_trainer_param(t, i, &s.w, &s.g, &s.n);
    if (!sp_gate_name(name, strlen(name)))
      continue;
    l1_tensor *grown = realloc(r->gates, (r->n_gates + 1) * sizeof *grown);
    if (!grown)
      return sp_error_set(err, "out of memory");
    r->gates = grown;
    r->gates[r->n_gates++] = s;
  }
  if (!r->n_gates)
    return sp_error_set(err, "%s: --gate-l1: the model has no trained gate (an initializer "
                        "named " SP_GATE_PREFIX "*, from sp-insert-gates)", train_model(t)->path);
  return 0;
}

static char *read_text(const char *path, sp_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return sp_error_set(err, "cannot read '%s'", path), NULL;
  size_t cap = 1 << 16, n = 0, got;
  char *buf = malloc(cap + 1);
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *grown = realloc(buf, (cap *= 2) + 1);
      if (!grown)
        free(buf);
      buf = grown;
    }
  }
  int bad = ferror(f);
  fclose(f);
  if (!buf || bad) {
    free(buf);
    return sp_error_set(err, "cannot read '%s'", path), NULL;
  }
  buf[n] = 0;
  return buf;
}

static int json_i64(const cJSON *o, const char *key, int64_t *out) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble) || j->valuedouble < 0)
    return -1;
  *out = (int64_t)j->valuedouble;
  return 0;
}

/* One member of a group as lasso slices; 1 when it is not a trained
 * weight (skipped), 0 added, -1 error. */
static int add_member(lasso_group *grp, const cJSON *m, const sp_trainer *t, const char *path,
                      int64_t id, sp_error *err) {
  const cJSON *tensor = cJSON_GetObjectItemCaseSensitive(m, "tensor");
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(m, "kind");
  const cJSON *shape = cJSON_GetObjectItemCaseSensitive(m, "shape");
  int64_t axis, start, block;
  if (!cJSON_IsString(tensor) || !cJSON_IsString(kind) || !cJSON_IsArray(shape) ||
      json_i64(m, "axis", &axis) || json_i64(m, "start", &start) || json_i64(m, "block", &block))
    return sp_error_set(err, "%s: group %lld: a member needs tensor, kind, shape, axis, start "
                        "and block", path, (long long)id);
  if (strcmp(kind->valuestring, "initializer") ||
      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "stat")))
    return 1; /* activations, constants and statistics do not train */
  const Onnx__GraphProto *graph = train_model(t)->proto->graph;
  const Onnx__TensorProto *init = NULL;
  for (size_t i = 0; i < graph->n_initializer && !init; ++i)
    if (!strcmp(graph->initializer[i]->name, tensor->valuestring))
      init = graph->initializer[i];
  if (!init)
    return sp_error_set(err, "%s: group %lld: '%s' is not an initializer of %s (groups of "
                        "another model?)", path, (long long)id, tensor->valuestring,
                        train_model(t)->path);
  float *w, *g;
  int64_t numel;
  if (find_param(t, tensor->valuestring, &w, &g, &numel) < 0)
    return 1; /* an initializer the trainer keeps fixed */
  int same = (size_t)cJSON_GetArraySize(shape) == init->n_dims;
  for (size_t d = 0; same && d < init->n_dims; ++d)
    same = cJSON_GetArrayItem(shape, (int)d)->valuedouble == (double)init->dims[d];
  if (!same || (size_t)axis >= init->n_dims || start + grp->units * block > init->dims[axis])
    return sp_error_set(err, "%s: group %lld: '%s' does not have the shape the file gives "
                        "(groups of another model?)", path, (long long)id, tensor->valuestring);
  lasso_member mb = {w, g, 1, 0, 0, 0};
  int64_t inner = 1;
  for (size_t d = (size_t)axis + 1; d < init->n_dims; ++d)
    inner *= init->dims[d];
  for (int64_t d = 0; d < axis; ++d)
    mb.outer *= init->dims[d];
  mb.row = init->dims[axis] * inner;
  mb.offset = start * inner;
  mb.len = block * inner;
  lasso_member *grown = realloc(grp->members, (grp->n_members + 1) * sizeof *grown);
  if (!grown)
    return sp_error_set(err, "out of memory");
  grp->members = grown;
  grp->members[grp->n_members++] = mb;
  return 0;
}

static int add_groups(train_regularizer *r, const sp_trainer *t, const char *path,
                      sp_error *err) {
  char *text = read_text(path, err);
  if (!text)
    return -1;
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *groups = cJSON_GetObjectItemCaseSensitive(root, "groups");
  if (!cJSON_IsArray(groups)) {
    cJSON_Delete(root);
    return sp_error_set(err, "%s: not a dependency-groups file (no \"groups\" array)", path);
  }
  int rc = 0;
  int64_t most_units = 1;
  const cJSON *gj;
  cJSON_ArrayForEach(gj, groups) {
    int64_t id = -1, units;
    const cJSON *prunable = cJSON_GetObjectItemCaseSensitive(gj, "prunable");
    const cJSON *members = cJSON_GetObjectItemCaseSensitive(gj, "members");
    if (json_i64(gj, "id", &id) || json_i64(gj, "units", &units) || units < 1 ||
        !cJSON_IsBool(prunable) || !cJSON_IsArray(members)) {
      rc = sp_error_set(err, "%s: group %lld: needs id, units, prunable and members", path,
                        (long long)id);
      break;
    }
    if (!cJSON_IsTrue(prunable))
      continue; /* shrinking a group that cannot be pruned only costs accuracy */
    lasso_group grp = {units, NULL, 0};
    const cJSON *m;
    cJSON_ArrayForEach(m, members) {
      if ((rc = add_member(&grp, m, t, path, id, err)) < 0)
        break;
      rc = 0;
    }
    lasso_group *grown = rc || !grp.n_members
                             ? NULL
                             : realloc(r->groups, (r->n_groups + 1) * sizeof *grown);
    if (!grown) {
      free(grp.members);
      if (rc)
        break;
      continue;
    }
    r->groups = grown;
    r->groups[r->n_groups++] = grp;
    most_units = units > most_units ? units : most_units;
  }
  cJSON_Delete(root);
  if (!rc && !r->n_groups)
    rc = sp_error_set(err, "%s: --group-lasso: no prunable group has a trained member", path);
  if (!rc && !(r->norms = malloc((size_t)most_units * sizeof *r->norms)))
    rc = sp_error_set(err, "out of memory");
  return rc;
}

int train_regularizer_create(const sp_trainer *t, const sp_train_options *o,
                             train_regularizer **out, sp_error *err) {
  *out = NULL;
  if (o->groups && o->group_lasso <= 0)
    return sp_error_set(err, "--groups %s: without --group-lasso it has no effect", o->groups);
  if (o->l1_bn <= 0 && o->gate_l1 <= 0 && o->group_lasso <= 0)
    return 0;
  if (o->group_lasso > 0 && !o->groups)
    return sp_error_set(err, "--group-lasso needs --groups FILE.json "
                        "(from sp-dependency-groups{export=FILE.json})");
  train_regularizer *r = calloc(1, sizeof *r);
  if (!r)
    return sp_error_set(err, "out of memory");
  r->l1_lambda = o->l1_bn, r->gate_lambda = o->gate_l1, r->lasso_lambda = o->group_lasso;
  int rc = 0;
  if (o->l1_bn > 0)
    rc = add_bn_scales(r, t, err);
  if (!rc && o->gate_l1 > 0)
    rc = add_gates(r, t, err);
  if (!rc && o->group_lasso > 0)
    rc = add_groups(r, t, o->groups, err);
  if (rc) {
    train_regularizer_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

void train_regularizer_free(train_regularizer *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->n_groups; ++i)
    free(r->groups[i].members);
  free(r->groups);
  free(r->scales);
  free(r->gates);
  free(r->norms);
  free(r);
}

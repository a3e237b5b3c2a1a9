/* sp-importance: one score per unit of every prunable group, aggregated over
 * every weight slice of the group (producer out-channels, consumer
 * in-channels, norm parameters; BatchNormalization running statistics are
 * buffers and do not vote). Written to the module as
 *   sp.importance = [array<f32: ...> per group id]   (empty for pinned groups)
 * and read back by sp-prune. */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdlib.h>
#include <string.h>

#include "importance_internal.h"
#include "sp/dialect.h"
#include "sp/gates.h"
#include "sp/groups.h"
#include "sp/passes.h"
#include "sp/weights.h"

static uint64_t splitmix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* Sum of |x| (p = 1) or x*x (p = 2) with 8 independent lanes, so the
 * compiler vectorizes without reassociating one accumulator. */
/* x[i] of weight bytes that sit wherever the model file put them (raw_data
 * is rarely 4-byte aligned): a memcpy load, one unaligned vector move. */
static inline float at(const float *x, int64_t i) {
  float v;
  memcpy(&v, (const char *)x + i * 4, 4);
  return v;
}

static double lane_sum(const float *x, int64_t n, int squares) {
  float lane[8] = {0};
  int64_t k = 0;
  if (squares)
    for (; k + 8 <= n; k += 8)
      for (int j = 0; j < 8; ++j)
        lane[j] += at(x, k + j) * at(x, k + j);
  else
    for (; k + 8 <= n; k += 8)
      for (int j = 0; j < 8; ++j)
        lane[j] += fabsf(at(x, k + j));
  double sum = 0;
  for (int j = 0; j < 8; ++j)
    sum += lane[j];
  for (; k < n; ++k)
    sum += squares ? (double)at(x, k) * at(x, k) : fabsf(at(x, k));
  return sum;
}

/* acc[c] += row[c]^2 (or |row[c]|): each acc[c] is its own sum, so
 * vectorizing over c keeps every result bit-identical. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#endif
static void row_accumulate(double *restrict acc, const float *restrict row, int64_t n,
                           int squares) {
  if (squares)
    for (int64_t c = 0; c < n; ++c)
      acc[c] += at(row, c) * at(row, c);
  else
    for (int64_t c = 0; c < n; ++c)
      acc[c] += fabsf(at(row, c));
}

/* The f32 data of a weight member's value (or its saliency tensor from src),
 * or NULL (the member does not vote). */
static const float *member_data(const sp_member *m, size_t *bytes,
                                const sp_saliency_source *src) {
  MlirOperation owner = m->value->owner;
  if (src)
    return src->get(src->user, owner, bytes);
  MlirAttribute attr = mlirOperationGetAttributeByName(owner, sp_str("value"));
  MlirType t = mlirValueGetType(m->value->value);
  if (mlirAttributeIsNull(attr) || !mlirTypeIsAF32(mlirShapedTypeGetElementType(t)))
    return NULL;
  const void *data;
  if (sp_weight_data(attr, &data, bytes, NULL))
    return NULL;
  return data;
}

/* acc[u] += sum |w|^p over the slice of unit u of member m, restricted to
 * the outer indices [o_lo, o_hi) and channels [c_lo, c_hi) (absolute). The
 * order of additions into each acc[u] is the order of a full walk, so walking
 * consecutive ranges gives bit-identical sums. */
static void member_span(const sp_member *m, const float *w, size_t bytes, int64_t units,
                        double p, double *acc, int64_t o_lo, int64_t o_hi, int64_t c_lo,
                        int64_t c_hi) {
  int64_t inner = 1;
  for (int d = m->dim + 1; d < m->value->rank; ++d)
    inner *= m->value->size[d];
  int64_t dim = m->value->size[m->dim];
  int64_t block = m->channels / units;
  (void)bytes;
  if (inner == 1 && (p == 1.0 || p == 2.0)) {
    // The member is the last dim (MatMul/Gemm output features): row-wise.
    for (int64_t o = o_lo; o < o_hi; ++o) {
      const float *row = w + o * dim + m->start;
      if (block == 1)
        row_accumulate(acc, row, m->channels, p == 2.0);
      else // heads: one lane sum per unit's block
        for (int64_t u = 0; u < units; ++u)
          acc[u] += lane_sum(row + u * block, block, p == 2.0);
    }
    return;
  }
  // Only the member's rows: a weight read by many concat segments (DenseNet)
  // is walked once in total, not once per segment.
  for (int64_t o = o_lo; o < o_hi; ++o)
    for (int64_t c = c_lo; c < c_hi; ++c) {
      double *a = &acc[(c - m->start) / block];
      const float *row = w + (o * dim + c) * inner;
      double sum = 0;
      if (p == 1.0 || p == 2.0) {
        sum = lane_sum(row, inner, p == 2.0);
      } else {
        for (int64_t k = 0; k < inner; ++k)
          sum += pow(fabs(at(row, k)), p);
      }
      *a += sum;
    }
}

static int64_t member_outer(const sp_member *m, size_t bytes) {
  int64_t inner = 1;
  for (int d = m->dim + 1; d < m->value->rank; ++d)
    inner *= m->value->size[d];
  int64_t n = (int64_t)(bytes / sizeof(float));
  return n / (m->value->size[m->dim] * inner);
}

/* One weight slice to score: member `mb` of a prunable group, into acc. */
typedef struct {
  const sp_member *mb;
  int64_t units;
  double *acc;
  int ok;
  size_t order;
} norm_job;

static int by_value(const void *a, const void *b) {
  const norm_job *x = a, *y = b;
  uintptr_t u = (uintptr_t)x->mb->value, v = (uintptr_t)y->mb->value;
  if (u != v)
    return u < v ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* All jobs of one value: its data is walked once, slab by slab along dim 0
 * (a slab stays in cache while every member takes its part), unless a
 * member cannot be split that way. */
static void value_norms(norm_job *jobs, size_t n, double p, const sp_saliency_source *src) {
  size_t bytes;
  const float *w = member_data(jobs[0].mb, &bytes, src);
  if (!w)
    return;
  const sp_value_info *v = jobs[0].mb->value;
  int fuse = n > 1 && v->rank >= 2 && (int64_t)(bytes / sizeof(float)) > 0;
  int64_t total = 1;
  for (int d = 0; d < v->rank; ++d)
    total *= v->size[d];
  fuse = fuse && total == (int64_t)(bytes / sizeof(float));
  for (size_t j = 0; j < n && fuse; ++j) {
    const sp_member *m = jobs[j].mb;
    int64_t inner = 1;
    for (int d = m->dim + 1; d < v->rank; ++d)
      inner *= v->size[d];
    if (m->dim == 0 && inner == 1)
      fuse = 0;
  }
  for (size_t j = 0; j < n; ++j)
    jobs[j].ok = 1;
  if (!fuse) {
    for (size_t j = 0; j < n; ++j) {
      const sp_member *m = jobs[j].mb;
      member_span(m, w, bytes, jobs[j].units, p, jobs[j].acc, 0, member_outer(m, bytes),
                  m->start, m->start + m->channels);
    }
    return;
  }
  int64_t slabs = v->size[0];
  for (int64_t s = 0; s < slabs; ++s)
    for (size_t j = 0; j < n; ++j) {
      const sp_member *m = jobs[j].mb;
      if (m->dim == 0) {
        if (s >= m->start && s < m->start + m->channels)
          member_span(m, w, bytes, jobs[j].units, p, jobs[j].acc, 0, 1, s, s + 1);
      } else {
        int64_t per = 1; // outer indices of this member per slab
        for (int d = 1; d < m->dim; ++d)
          per *= v->size[d];
        member_span(m, w, bytes, jobs[j].units, p, jobs[j].acc, s * per, (s + 1) * per,
                    m->start, m->start + m->channels);
      }
    }
}

static int compare_desc(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? 1 : x > y ? -1 : 0;
}

static void normalize(double *s, int64_t n, sp_importance_norm how) {
  double total = 0, max = 0;
  for (int64_t u = 0; u < n; ++u) {
    total += s[u];
    max = s[u] > max ? s[u] : max;
  }
  double by = how == SP_NORM_MEAN ? total / (double)n
            : how == SP_NORM_MAX  ? max
            : how == SP_NORM_SUM  ? total
                                  : 1.0;
  if (how == SP_NORM_LAMP) {
    // LAMP: a score over the sum of the scores not smaller than it.
    double *sorted = malloc((size_t)n * sizeof *sorted);
    memcpy(sorted, s, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_desc);
    double *suffix = malloc((size_t)n * sizeof *suffix);
    double run = 0;
    for (int64_t i = 0; i < n; ++i)
      suffix[i] = (run += sorted[i]); // sum of the i+1 largest
    for (int64_t u = 0; u < n; ++u) {
      int64_t lo = 0, hi = n - 1; // last index whose value >= s[u]
      while (lo < hi) {
        int64_t mid = (lo + hi + 1) / 2;
        if (sorted[mid] >= s[u])
          lo = mid;
        else
          hi = mid - 1;
      }
      s[u] = suffix[lo] > 0 ? s[u] / suffix[lo] : 0;
    }
    free(sorted);
    free(suffix);
    return;
  }
  if (by > 0 && how != SP_NORM_NONE)
    for (int64_t u = 0; u < n; ++u)
      s[u] /= by;
}

double **sp_importance_compute(sp_groups *g, const sp_importance_opts *o) {
  return sp_importance_compute_from(g, o, NULL);
}

double **sp_importance_compute_from(sp_groups *g, const sp_importance_opts *o,
                                    const sp_saliency_source *src) {
  double **scores = calloc(g->num_groups + 1, sizeof *scores);
  // bn-scale and fpgm start from L2 scores, kept for groups they cannot score;
  // saliency tensors (taylor-weight, fisher) are summed as they are (l1).
  double p = src || o->criterion == SP_CRIT_L1 ? 1.0
           : o->criterion == SP_CRIT_LP        ? o->p
                                               : 2.0;
  // Every weight slice of every prunable group, grouped by value so that
  // each weight is read once however many groups hold its dims.
  norm_job *jobs = NULL;
  size_t num_jobs = 0, cap_jobs = 0, total_units = 0;
  if (o->criterion != SP_CRIT_RANDOM)
    for (size_t id = 0; id < g->num_groups; ++id) {
      const sp_group_info *gi = &g->groups[id];
      if (!sp_group_prunable(gi))
        continue;
      for (size_t m = 0; m < gi->num_members; ++m) {
        const sp_member *mb = &gi->members[m];
        if (!mb->value->is_weight || mb->value->is_stat)
          continue;
        if (num_jobs == cap_jobs)
          jobs = realloc(jobs, (cap_jobs = cap_jobs ? 2 * cap_jobs : 64) * sizeof *jobs);
        jobs[num_jobs] = (norm_job){mb, gi->units, NULL, 0, num_jobs};
        num_jobs++;
        total_units += (size_t)gi->units;
      }
    }
  double *accs = calloc(total_units + 1, sizeof *accs);
  size_t at = 0;
  for (size_t j = 0; j < num_jobs; ++j) {
    jobs[j].acc = accs + at;
    at += (size_t)jobs[j].units;
  }
  double **acc_of = calloc(num_jobs + 1, sizeof *acc_of); // by original order, NULL: no vote
  if (num_jobs) // qsort(NULL, 0, ...) is undefined
    qsort(jobs, num_jobs, sizeof *jobs, by_value);
  for (size_t j = 0; j < num_jobs;) {
    size_t k = j + 1;
    while (k < num_jobs && jobs[k].mb->value == jobs[j].mb->value)
      k++;
    value_norms(jobs + j, k - j, p, src);
    for (size_t i = j; i < k; ++i)
      acc_of[jobs[i].order] = jobs[i].ok ? jobs[i].acc : NULL;
    j = k;
  }
  size_t next = 0;
  for (size_t id = 0; id < g->num_groups; ++id) {
    const sp_group_info *gi = &g->groups[id];
    if (!sp_group_prunable(gi))
      continue;
    int64_t units = gi->units;
    double *s = calloc((size_t)units, sizeof *s);
    scores[id] = s;
    if (o->criterion == SP_CRIT_RANDOM) {
      for (int64_t u = 0; u < units; ++u)
        s[u] = (double)(splitmix(splitmix(o->seed) ^ (id * 1000003u + (uint64_t)u)) >> 11) /
               9007199254740992.0;
      normalize(s, units, o->normalize);
      continue;
    }
    int voters = 0;
    for (size_t m = 0; m < gi->num_members; ++m) {
      const sp_member *mb = &gi->members[m];
      if (!mb->value->is_weight || mb->value->is_stat)
        continue;
      const double *acc = acc_of[next++];
      if (!acc)
        continue;
      for (int64_t u = 0; u < units; ++u) {
        double v = pow(acc[u], 1.0 / p);
        if (o->reduce == SP_REDUCE_MAX)
          s[u] = voters == 0 || v > s[u] ? v : s[u];
        else
          s[u] += v;
      }
      voters++;
    }
    if (o->reduce == SP_REDUCE_MEAN && voters > 1)
      for (int64_t u = 0; u < units; ++u)
        s[u] /= voters;
    if (o->criterion == SP_CRIT_BN_SCALE)
      sp_importance_bn_scale(gi, o->reduce, s);
    else if (o->criterion == SP_CRIT_FPGM)
      sp_importance_fpgm(gi, o->reduce, s);
    else if (o->criterion == SP_CRIT_GATE)
      sp_importance_gate(gi, o->reduce, s);
    normalize(s, units, o->normalize);
  }
  free(acc_of);
  free(accs);
  free(jobs);
  return scores;
}

void sp_importance_free(sp_groups *g, double **scores) {
  if (!scores)
    return;
  for (size_t i = 0; i < g->num_groups; ++i)
    free(scores[i]);
  free(scores);
}

static int choice(const char *v, const char *const *names) {
  for (int i = 0; names[i]; ++i)
    if (v && !strcmp(v, names[i]))
      return i;
  return 0;
}

void sp_importance_opts_from_args(const sp_pass_args *args, sp_importance_opts *o) {
  static const char *const crit[] = {"l1",   "l2",           "lp",     "random",
                                     "bn-scale", "fpgm", "taylor-weight", "fisher",
                                     "activation", "apoz", "taylor", "gate", "hessian-diag", NULL};
  static const char *const red[] = {"mean", "sum", "max", NULL};
  static const char *const norm[] = {"none", "mean", "max", "sum", "lamp", NULL};
  o->criterion = (sp_importance_criterion)choice(sp_pass_arg_string(args, "criterion"), crit);
  o->p = sp_pass_arg_float(args, "p");
  o->seed = (uint64_t)sp_pass_arg_int(args, "seed");
  o->reduce = (sp_importance_reduce)choice(sp_pass_arg_string(args, "reduce"), red);
  o->normalize = (sp_importance_norm)choice(sp_pass_arg_string(args, "normalize"), norm);
}

/* 1 when a weight member of some prunable group is named like a gate. */
static int has_gate(const sp_groups *g) {
  for (size_t id = 0; id < g->num_groups; ++id) {
    const sp_group_info *gi = &g->groups[id];
    for (size_t m = 0; sp_group_prunable(gi) && m < gi->num_members; ++m) {
      const sp_value_info *v = gi->members[m].value;
      size_t len = 0;
      const char *name = v->is_weight && !mlirOperationIsNull(v->owner)
                             ? sp_op_result_name(v->owner, 0, &len)
                             : NULL;
      if (sp_gate_name(name, len))
        return 1;
    }
  }
  return 0;
}

int sp_importance_run(MlirOperation module, const sp_pass_args *args) {
  sp_importance_opts o;
  sp_importance_opts_from_args(args, &o);
  sp_saliency_source grads = {0};
  int from_grads = o.criterion == SP_CRIT_TAYLOR_WEIGHT || o.criterion == SP_CRIT_FISHER ||
                   o.criterion == SP_CRIT_HESSIAN_DIAG;
  int observed = o.criterion == SP_CRIT_ACTIVATION || o.criterion == SP_CRIT_APOZ;
  int taylor = o.criterion == SP_CRIT_TAYLOR;
  const char *crit = sp_pass_arg_string(args, "criterion");
  const char *cal = sp_pass_arg_string(args, "calibration"), *data = sp_pass_arg_string(args, "data");
  int has_cal = cal && *cal, has_data = data && *data;
  if (!from_grads && !observed && !taylor && (has_cal || has_data)) {
    sp_emit_error(module, "sp-importance: calibration= and data= are read by criterion="
                          "taylor|taylor-weight|fisher|hessian-diag|activation|apoz only, not by "
                          "criterion=%s",
                  crit);
    return -1;
  }
  const char *labels = sp_pass_arg_string(args, "labels");
  if (labels && !strcmp(labels, "model") && !from_grads && !taylor) {
    sp_emit_error(module, "sp-importance: labels=model labels the data of a gradient criterion "
                          "(taylor|taylor-weight|fisher|hessian-diag), not of criterion=%s",
                  crit);
    return -1;
  }
  if (observed && (!has_cal || has_data)) {
    sp_emit_error(module, "sp-importance: criterion=%s needs calibration=DIR (input_N.pb, "
                          "as sp-recalibrate-bn reads) and no data=", crit);
    return -1;
  }
  if (from_grads &&
      sp_saliency_gradients(module, args,
                            o.criterion == SP_CRIT_TAYLOR_WEIGHT ? SP_SALIENCY_TAYLOR_WEIGHT
                            : o.criterion == SP_CRIT_FISHER      ? SP_SALIENCY_FISHER
                                                                 : SP_SALIENCY_HESSIAN_DIAG,
                            &grads))
    return -1;
  sp_groups *g = sp_groups_analyze(module);
  if (!g) {
    sp_saliency_free(&grads);
    return -1;
  }
  if (o.criterion == SP_CRIT_GATE && !has_gate(g)) {
    sp_emit_error(module, "sp-importance: criterion=gate: no prunable group has a gate (an "
                          "initializer named " SP_GATE_PREFIX "*; run sp-insert-gates and "
                          "sp-train --gate-l1 first)");
    sp_groups_free(g);
    return -1;
  }
  double **scores;
  if (observed || taylor) {
    // L2 scores first (kept where nothing is observed), normalized at the end.
    sp_importance_opts base = o;
    base.criterion = SP_CRIT_L2;
    base.normalize = SP_NORM_NONE;
    scores = sp_importance_compute(g, &base);
    if (taylor ? sp_importance_taylor(module, args, g, o.reduce, scores)
               : sp_importance_observed(module, g, cal, o.criterion == SP_CRIT_APOZ, o.reduce,
                                        scores)) {
      sp_importance_free(g, scores);
      sp_groups_free(g);
      return -1;
    }
    for (size_t id = 0; id < g->num_groups; ++id)
      if (scores[id])
        normalize(scores[id], g->groups[id].units, o.normalize);
  } else {
    scores = sp_importance_compute_from(g, &o, from_grads ? &grads : NULL);
  }
  sp_saliency_free(&grads);
  MlirContext ctx = mlirOperationGetContext(module);
  MlirAttribute *rows = malloc((g->num_groups + 1) * sizeof *rows);
  float *buf = NULL;
  size_t cap = 0;
  for (size_t id = 0; id < g->num_groups; ++id) {
    size_t n = scores[id] ? (size_t)g->groups[id].units : 0;
    if (n > cap)
      buf = realloc(buf, (cap = n) * sizeof *buf);
    for (size_t u = 0; u < n; ++u)
      buf[u] = (float)scores[id][u];
    rows[id] = mlirDenseF32ArrayGet(ctx, (intptr_t)n, buf);
  }
  mlirOperationSetDiscardableAttributeByName(module, sp_str("sp.importance"),
                                             mlirArrayAttrGet(ctx, (intptr_t)g->num_groups, rows));
  free(buf);
  free(rows);
  sp_importance_free(g, scores);
  sp_groups_free(g);
  return 0;
}

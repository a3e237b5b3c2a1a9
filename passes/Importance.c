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

#include "sp/dialect.h"
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
static double lane_sum(const float *x, int64_t n, int squares) {
  float lane[8] = {0};
  int64_t k = 0;
  if (squares)
    for (; k + 8 <= n; k += 8)
      for (int j = 0; j < 8; ++j)
        lane[j] += x[k + j] * x[k + j];
  else
    for (; k + 8 <= n; k += 8)
      for (int j = 0; j < 8; ++j)
        lane[j] += fabsf(x[k + j]);
  double sum = 0;
  for (int j = 0; j < 8; ++j)
    sum += lane[j];
  for (; k < n; ++k)
    sum += squares ? (double)x[k] * x[k] : fabsf(x[k]);
  return sum;
}

/* acc[u] += sum |w|^p over the slice of unit u of member m. */
static int member_norms(sp_groups *g, const sp_member *m, int64_t units, double p, double *acc) {
  MlirOperation owner = m->value->owner;
  MlirAttribute attr = mlirOperationGetAttributeByName(owner, sp_str("value"));
  MlirType t = mlirValueGetType(m->value->value);
  if (mlirAttributeIsNull(attr) || !mlirTypeIsAF32(mlirShapedTypeGetElementType(t)))
    return -1;
  const void *data;
  size_t bytes;
  if (sp_weight_data(attr, &data, &bytes, NULL))
    return -1;
  const float *w = data;
  int64_t inner = 1;
  for (int d = m->dim + 1; d < m->value->rank; ++d)
    inner *= m->value->size[d];
  int64_t dim = m->value->size[m->dim];
  int64_t n = (int64_t)(bytes / sizeof(float));
  int64_t outer = n / (dim * inner);
  int64_t block = m->channels / units;
  (void)g;
  if (inner == 1 && (p == 1.0 || p == 2.0)) {
    // The member is the last dim (MatMul/Gemm output features): row-wise.
    for (int64_t o = 0; o < outer; ++o) {
      const float *row = w + o * dim + m->start;
      if (block == 1 && p == 2.0)
        for (int64_t c = 0; c < m->channels; ++c)
          acc[c] += row[c] * row[c];
      else if (block == 1)
        for (int64_t c = 0; c < m->channels; ++c)
          acc[c] += fabsf(row[c]);
      else // heads: one lane sum per unit's block
        for (int64_t u = 0; u < units; ++u)
          acc[u] += lane_sum(row + u * block, block, p == 2.0);
    }
    return 0;
  }
  // Only the member's rows: a weight read by many concat segments (DenseNet)
  // is walked once in total, not once per segment.
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = m->start; c < m->start + m->channels; ++c) {
      double *a = &acc[(c - m->start) / block];
      const float *row = w + (o * dim + c) * inner;
      double sum = 0;
      if (p == 1.0 || p == 2.0) {
        sum = lane_sum(row, inner, p == 2.0);
      } else {
        for (int64_t k = 0; k < inner; ++k)
          sum += pow(fabs(row[k]), p);
      }
      *a += sum;
    }
  return 0;
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
  double **scores = calloc(g->num_groups + 1, sizeof *scores);
  double p = o->criterion == SP_CRIT_L1 ? 1.0 : o->criterion == SP_CRIT_L2 ? 2.0 : o->p;
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
    double *acc = malloc((size_t)units * sizeof *acc);
    int voters = 0;
    for (size_t m = 0; m < gi->num_members; ++m) {
      const sp_member *mb = &gi->members[m];
      if (!mb->value->is_weight || mb->value->is_stat)
        continue;
      memset(acc, 0, (size_t)units * sizeof *acc);
      if (member_norms(g, mb, units, p, acc))
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
    free(acc);
    normalize(s, units, o->normalize);
  }
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
  static const char *const crit[] = {"l1", "l2", "lp", "random", NULL};
  static const char *const red[] = {"mean", "sum", "max", NULL};
  static const char *const norm[] = {"none", "mean", "max", "sum", "lamp", NULL};
  o->criterion = (sp_importance_criterion)choice(sp_pass_arg_string(args, "criterion"), crit);
  o->p = sp_pass_arg_float(args, "p");
  o->seed = (uint64_t)sp_pass_arg_int(args, "seed");
  o->reduce = (sp_importance_reduce)choice(sp_pass_arg_string(args, "reduce"), red);
  o->normalize = (sp_importance_norm)choice(sp_pass_arg_string(args, "normalize"), norm);
}

int sp_importance_run(MlirOperation module, const sp_pass_args *args) {
  sp_importance_opts o;
  sp_importance_opts_from_args(args, &o);
  sp_groups *g = sp_groups_analyze(module);
  if (!g)
    return -1;
  double **scores = sp_importance_compute(g, &o);
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

/* sp-prune{cost=latency table=FILE target-latency=T}: widths chosen by what
 * they cost in time on this machine (sp-latency-table's table) instead of by
 * MACs. From no pruning, the greedy step is the (group, ratio of the table)
 * with the least importance lost per millisecond saved: loss = the share of
 * the group's importance in the units dropped (the lowest scores go), saving
 * = the table's time at the current choice minus at that ratio. Any later
 * ratio of a group may be the step, so a width the kernels run no faster at
 * is jumped over: the counts sp-prune keeps are the table's fast ones. Groups
 * are taken as additive: predicted = base + sum of (ms at choice - base). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdlib.h>
#include <string.h>

#include "prune_internal.h"
#include "sp/dialect.h"
#include "sp/passes.h"

typedef struct latency_table {
  double base;
  size_t n;         /* ratios */
  int64_t **dropped; /* per group id: n counts, NULL when not listed */
  double **ms;
} latency_table;

static void table_free(const sp_groups *g, latency_table *t) {
  for (size_t id = 0; id < g->num_groups; ++id) {
    free(t->dropped ? t->dropped[id] : NULL);
    free(t->ms ? t->ms[id] : NULL);
  }
  free(t->dropped);
  free(t->ms);
}

static char *slurp(const char *path, int *read_error) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t len = 0, cap = 4096;
  char *text = malloc(cap + 1);
  for (size_t k; text && (k = fread(text + len, 1, cap - len, f)) > 0;)
    if ((len += k) == cap)
      text = realloc(text, (cap *= 2) + 1);
  *read_error = ferror(f);
  fclose(f);
  if (text)
    text[len] = 0;
  return text;
}

/* Reads and checks FILE against the groups (ids, units, one count and time
 * per ratio, counts increasing). 0 or -1 (error emitted). */
static int read_table(const sp_groups *g, const char *path, latency_table *t) {
  memset(t, 0, sizeof *t);
  int read_error = 0;
  char *text = slurp(path, &read_error);
  if (!text) {
    sp_emit_error(g->module, "sp-prune: table='%s': %s", path, strerror(errno));
    return -1;
  }
  cJSON *root = read_error ? NULL : cJSON_Parse(text);
  free(text);
  const char *why = NULL;
  char detail[256];
  const cJSON *base = cJSON_GetObjectItemCaseSensitive(root, "base_ms");
  const cJSON *ratios = cJSON_GetObjectItemCaseSensitive(root, "ratios");
  const cJSON *groups = cJSON_GetObjectItemCaseSensitive(root, "groups");
  if (!root)
    why = read_error ? "cannot read the file" : "not JSON";
  else if (!cJSON_IsNumber(base) || !(base->valuedouble > 0) || !cJSON_IsArray(ratios) ||
           !cJSON_GetArraySize(ratios) || !cJSON_IsArray(groups))
    why = "no \"base_ms\", \"ratios\" and \"groups\" (not an sp-latency-table{json=} table)";
  if (!why) {
    t->base = base->valuedouble;
    t->n = (size_t)cJSON_GetArraySize(ratios);
    t->dropped = calloc(g->num_groups + 1, sizeof *t->dropped);
    t->ms = calloc(g->num_groups + 1, sizeof *t->ms);
  }
  for (const cJSON *e = why ? NULL : groups->child; e && !why; e = e->next) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
    const cJSON *units = cJSON_GetObjectItemCaseSensitive(e, "units");
    const cJSON *dropped = cJSON_GetObjectItemCaseSensitive(e, "dropped");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(e, "ms");
    if (!cJSON_IsNumber(id) || !cJSON_IsNumber(units) || !cJSON_IsArray(dropped) ||
        !cJSON_IsArray(ms) || (size_t)cJSON_GetArraySize(dropped) != t->n ||
        (size_t)cJSON_GetArraySize(ms) != t->n) {
      why = "a group without a numeric \"id\" and \"units\" and one \"dropped\" and \"ms\" "
            "per ratio";
      break;
    }
    if (id->valuedouble < 0 || id->valuedouble >= (double)g->num_groups ||
        g->groups[id->valueint].units != (int64_t)units->valuedouble || t->ms[id->valueint]) {
      snprintf(detail, sizeof detail, "group %g with %g units does not match the model's "
                                      "groups (a table of another model?)",
               id->valuedouble, units->valuedouble);
      why = detail;
      break;
    }
    int64_t *d = t->dropped[id->valueint] = malloc(t->n * sizeof *d);
    double *m = t->ms[id->valueint] = malloc(t->n * sizeof *m);
    size_t r = 0;
    for (const cJSON *v = dropped->child, *w = ms->child; v && w; v = v->next, w = w->next, ++r) {
      d[r] = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : -1;
      m[r] = cJSON_IsNumber(w) ? w->valuedouble : NAN;
      if (d[r] < 0 || d[r] >= units->valuedouble || (r && d[r] < d[r - 1]) || !isfinite(m[r]))
        why = "\"dropped\" must be non-decreasing counts below \"units\" and \"ms\" finite";
    }
  }
  cJSON_Delete(root);
  if (why) {
    sp_emit_error(g->module, "sp-prune: table='%s': %s", path, why);
    table_free(g, t);
    return -1;
  }
  return 0;
}

static int ascending(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* share[k] = the share of the group's total score in its k lowest units. */
static double *lowest_shares(const sp_group_info *gi, const double *scores) {
  int64_t n = gi->units;
  double *sorted = malloc((size_t)n * sizeof *sorted), *share = malloc((size_t)(n + 1) * sizeof *share);
  double total = 0;
  for (int64_t u = 0; u < n; ++u)
    total += (sorted[u] = fabs(scores[u]));
  qsort(sorted, (size_t)n, sizeof *sorted, ascending);
  share[0] = 0;
  for (int64_t k = 0; k < n; ++k)
    share[k + 1] = share[k] + (total > 0 ? sorted[k] / total : 1.0 / (double)n);
  free(sorted);
  return share;
}

int sp_prune_allocate_latency(sp_groups *g, double **scores, const int64_t *max_drop,
                              const char *path, double target, unsigned char **keep) {
  latency_table t;
  if (read_table(g, path, &t))
    return -1;
  size_t n = g->num_groups;
  double budget = target <= 1 ? target * t.base : target, predicted = t.base;
  int *choice = malloc((n + 1) * sizeof *choice); // index into the ratios, -1: unpruned
  double **share = calloc(n + 1, sizeof *share);
  for (size_t id = 0; id < n; ++id) {
    choice[id] = -1;
    if (t.ms[id] && max_drop[id] > 0 && scores[id])
      share[id] = lowest_shares(&g->groups[id], scores[id]);
  }
  int rc = 0;
  while (predicted > budget) {
    double best_cost = INFINITY, best_gain = 0;
    size_t best_id = 0;
    int best_r = -1;
    for (size_t id = 0; id < n; ++id) {
      if (!share[id])
        continue;
      int c = choice[id];
      double ms_now = c < 0 ? t.base : t.ms[id][c], loss_now = c < 0 ? 0 : share[id][t.dropped[id][c]];
      for (int r = c + 1; r < (int)t.n; ++r) {
        double gain = ms_now - t.ms[id][r];
        if (t.dropped[id][r] > max_drop[id])
          break;
        if (gain <= 0)
          continue;
        double cost = (share[id][t.dropped[id][r]] - loss_now) / gain;
        if (cost < best_cost || (cost == best_cost && gain > best_gain)) {
          best_cost = cost, best_gain = gain, best_id = id, best_r = r;
        }
      }
    }
    if (best_r < 0) {
      sp_emit_error(g->module, "sp-prune: cannot meet target-latency=%g ms with the table "
                               "'%s': the fastest choices it lists predict %g ms (of %g)",
                    budget, path, predicted, t.base);
      rc = -1;
      break;
    }
    choice[best_id] = best_r;
    predicted -= best_gain;
  }
  for (size_t id = 0; !rc && id < n; ++id)
    if (choice[id] >= 0)
      keep[id] = sp_prune_keep_lowest(&g->groups[id], scores[id], t.dropped[id][choice[id]]);
  if (!rc) {
    MlirContext ctx = mlirOperationGetContext(g->module);
    MlirAttribute pair[2] = {mlirFloatAttrDoubleGet(ctx, mlirF64TypeGet(ctx), predicted),
                             mlirFloatAttrDoubleGet(ctx, mlirF64TypeGet(ctx), t.base)};
    mlirOperationSetDiscardableAttributeByName(g->module, sp_str("sp.predicted_latency_ms"),
                                               mlirArrayAttrGet(ctx, 2, pair));
  }
  for (size_t id = 0; id < n; ++id)
    free(share[id]);
  free(share);
  free(choice);
  table_free(g, &t);
  return rc;
}

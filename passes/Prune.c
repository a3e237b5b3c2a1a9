/* sp-prune: decides which units of every prunable group go (per group by
 * `ratio`, or one threshold across groups with `global`; `head-ratio` for
 * attention-head groups; `round-to`, `max-ratio`, `protect`, `target-macs`;
 * `drop-layers` first removes whole residual blocks, prune_layers.c, or
 * `drop-layers=auto` weighs blocks against width, prune_depth_width.c;
 * `ratios-from` takes a ratio per group from an sp-sensitivity table),
 * records them as `sp.keep` on the module, then slices (mode=shrink) or
 * zeroes (mode=mask) every member (prune_rewrite.c) and verifies the IR. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prune_internal.h"
#include "sp/dialect.h"
#include "sp/passes.h"

typedef struct prune_opts {
  double ratio, head_ratio, max_ratio, target_macs;
  int global, round_to, mask, skip_reduced, per_mac;
} prune_opts;

/* Scores from sp.importance when it matches the groups, else L2/mean. */
double **sp_prune_load_scores(sp_groups *g) {
  MlirAttribute a = mlirOperationGetAttributeByName(g->module, sp_str("sp.importance"));
  if (!mlirAttributeIsNull(a) && mlirAttributeIsAArray(a) &&
      (size_t)mlirArrayAttrGetNumElements(a) == g->num_groups) {
    double **scores = calloc(g->num_groups + 1, sizeof *scores);
    int ok = 1;
    for (size_t id = 0; id < g->num_groups && ok; ++id) {
      MlirAttribute row = mlirArrayAttrGetElement(a, (intptr_t)id);
      intptr_t n = mlirDenseArrayGetNumElements(row);
      if (n == 0)
        continue;
      if (n != g->groups[id].units) {
        ok = 0;
        break;
      }
      scores[id] = malloc((size_t)n * sizeof **scores);
      for (intptr_t u = 0; u < n; ++u)
        scores[id][u] = mlirDenseF32ArrayGetElement(row, u);
    }
    if (ok)
      return scores;
    sp_importance_free(g, scores);
  }
  sp_importance_opts o = {SP_CRIT_L2, 2.0, 0, SP_REDUCE_MEAN, SP_NORM_NONE};
  return sp_importance_compute(g, &o);
}

static int candidate(const sp_group_info *gi, const double *scores, const prune_opts *o) {
  return sp_group_prunable(gi) && scores && !(o->skip_reduced && gi->reduced);
}

static const double *sort_scores; // qsort has no user pointer
static int by_score(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  double sx = sort_scores[x], sy = sort_scores[y];
  return sx < sy ? -1 : sx > sy ? 1 : (x > y) - (x < y);
}

unsigned char *sp_prune_keep_lowest(const sp_group_info *gi, const double *scores,
                                    int64_t drop) {
  int64_t *order = malloc((size_t)gi->units * sizeof *order);
  for (int64_t u = 0; u < gi->units; ++u)
    order[u] = u;
  sort_scores = scores;
  qsort(order, (size_t)gi->units, sizeof *order, by_score);
  unsigned char *keep = malloc((size_t)gi->units);
  memset(keep, 1, (size_t)gi->units);
  for (int64_t k = 0; k < drop; ++k)
    keep[order[k]] = 0;
  free(order);
  return keep;
}

typedef struct score_entry {
  double score;
  int32_t id;
} score_entry;

static int by_entry(const void *a, const void *b) {
  double x = ((const score_entry *)a)->score, y = ((const score_entry *)b)->score;
  return x < y ? -1 : x > y ? 1 : 0;
}

/* Most units a group may lose: max-ratio, and never the whole group. */
static int64_t max_drop(const sp_group_info *gi, const prune_opts *o) {
  int64_t cap = (int64_t)floor((double)gi->units * o->max_ratio + 1e-9);
  return cap < gi->units - 1 ? cap : gi->units - 1;
}

/* Units to drop in one group after the caps and rounding. */
static int64_t clamp_drop(const sp_group_info *gi, int64_t drop, const prune_opts *o) {
  int64_t units = gi->units;
  if (drop > max_drop(gi, o))
    drop = max_drop(gi, o);
  if (drop < 0)
    drop = 0;
  if (o->round_to > 1 && !gi->head && drop > 0) {
    int64_t keep = units - drop;
    keep = (keep + o->round_to - 1) / o->round_to * o->round_to;
    if (keep > units)
      keep = units;
    drop = units - keep;
  }
  return drop;
}

/* keep[id] for every group losing units (lowest scores go). */
static void decide(sp_groups *g, double **scores, const prune_opts *o, double ratio,
                   unsigned char **keep) {
  int64_t *drop = calloc(g->num_groups + 1, sizeof *drop);
  double head_ratio = o->head_ratio >= 0 ? o->head_ratio : ratio;
  if (o->global) {
    // One threshold over the (normalized) scores of all channel groups.
    size_t total = 0;
    for (size_t id = 0; id < g->num_groups; ++id)
      if (candidate(&g->groups[id], scores[id], o) && !g->groups[id].head)
        total += (size_t)g->groups[id].units;
    score_entry *all = malloc((total + 1) * sizeof *all);
    size_t n = 0;
    for (size_t id = 0; id < g->num_groups; ++id)
      if (candidate(&g->groups[id], scores[id], o) && !g->groups[id].head)
        for (int64_t u = 0; u < g->groups[id].units; ++u)
          all[n++] = (score_entry){scores[id][u], (int32_t)id};
    qsort(all, n, sizeof *all, by_entry);
    size_t target = (size_t)floor((double)total * ratio + 1e-9);
    for (size_t i = 0, done = 0; i < n && done < target; ++i) {
      if (drop[all[i].id] < max_drop(&g->groups[all[i].id], o)) {
        drop[all[i].id]++;
        done++;
      }
    }
    free(all);
    for (size_t id = 0; id < g->num_groups; ++id)
      if (drop[id])
        drop[id] = clamp_drop(&g->groups[id], drop[id], o);
  }
  for (size_t id = 0; id < g->num_groups; ++id) {
    const sp_group_info *gi = &g->groups[id];
    free(keep[id]);
    keep[id] = NULL;
    if (!candidate(gi, scores[id], o))
      continue;
    if (!o->global || gi->head) {
      double r = gi->head ? head_ratio : ratio;
      drop[id] = clamp_drop(gi, (int64_t)floor((double)gi->units * r + 1e-9), o);
    }
    if (!drop[id])
      continue;
    keep[id] = sp_prune_keep_lowest(gi, scores[id], drop[id]);
  }
  free(drop);
}

typedef struct mac_ctx {
  sp_groups *g;
  unsigned char *const *keep;
} mac_ctx;

static int64_t kept_dim(void *user, MlirValue v, intptr_t i) {
  mac_ctx *c = user;
  MlirType t = mlirValueGetType(v);
  int64_t d = mlirShapedTypeGetDimSize(t, i);
  if (mlirShapedTypeIsDynamicSize(d))
    return 1;
  sp_value_info *vi = sp_groups_value(c->g, v);
  return vi && i < vi->rank ? sp_groups_kept_size(c->g, vi, (int)i, c->keep) : d;
}

/* MACs of the model with `keep` applied, counted as sp-model-stats counts;
 * INT64_MAX when the count does not fit (larger than any target). */
static int64_t estimate_macs(sp_groups *g, unsigned char *const *keep) {
  mac_ctx c = {g, keep};
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(g->func, 0));
  int64_t total = 0;
  char type[64];
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    int64_t macs = sp_op_macs(op, sp_op_type(op, type, sizeof type), kept_dim, &c);
    if (macs < 0 || __builtin_add_overflow(total, macs, &total))
      return INT64_MAX;
  }
  return total;
}

/* --- ratios-from=FILE target-macs=M: a ratio per group from sp-sensitivity --- */

/* The table's loss of every group at every ratio (NULL rows: not listed). */
typedef struct ratio_table {
  double *ratios;
  size_t n_ratios;
  double **loss; /* per group id */
} ratio_table;

static void ratio_table_free(sp_groups *g, ratio_table *t) {
  for (size_t id = 0; t->loss && id < g->num_groups; ++id)
    free(t->loss[id]);
  free(t->loss);
  free(t->ratios);
}

/* Reads FILE (sp-sensitivity{json=}) and checks it against the groups: same
 * ids and unit counts, one loss per ratio. 0 or -1 (error emitted). */
static int read_ratio_table(sp_groups *g, const char *path, ratio_table *t) {
  memset(t, 0, sizeof *t);
  FILE *f = fopen(path, "rb");
  if (!f) {
    sp_emit_error(g->module, "sp-prune: ratios-from='%s': %s", path, strerror(errno));
    return -1;
  }
  size_t len = 0, cap = 4096;
  char *text = malloc(cap + 1);
  for (size_t n; (n = fread(text + len, 1, cap - len, f)) > 0;)
    if ((len += n) == cap)
      text = realloc(text, (cap *= 2) + 1);
  int read_error = ferror(f);
  fclose(f);
  text[len] = 0;
  cJSON *root = read_error ? NULL : cJSON_Parse(text);
  free(text);
  const char *why = NULL;
  char detail[256] = "";
  const cJSON *ratios = cJSON_GetObjectItemCaseSensitive(root, "ratios");
  const cJSON *groups = cJSON_GetObjectItemCaseSensitive(root, "groups");
  if (!root)
    why = read_error ? "cannot read the file" : "not JSON";
  else if (!cJSON_IsArray(ratios) || !cJSON_GetArraySize(ratios) || !cJSON_IsArray(groups))
    why = "no \"ratios\" and \"groups\" arrays (not an sp-sensitivity{json=} table)";
  if (!why) {
    t->n_ratios = (size_t)cJSON_GetArraySize(ratios);
    t->ratios = malloc(t->n_ratios * sizeof *t->ratios);
    t->loss = calloc(g->num_groups + 1, sizeof *t->loss);
    size_t r = 0;
    for (const cJSON *v = ratios->child; v; v = v->next, ++r)
      if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble >= 1 ||
          (r && v->valuedouble <= t->ratios[r - 1]))
        why = "\"ratios\" must be increasing numbers in [0, 1)";
      else
        t->ratios[r] = v->valuedouble;
  }
  for (const cJSON *e = why ? NULL : groups->child; e && !why; e = e->next) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "id");
    const cJSON *units = cJSON_GetObjectItemCaseSensitive(e, "units");
    const cJSON *loss = cJSON_GetObjectItemCaseSensitive(e, "loss");
    if (!cJSON_IsNumber(id) || !cJSON_IsNumber(units) || !cJSON_IsArray(loss) ||
        (size_t)cJSON_GetArraySize(loss) != t->n_ratios) {
      why = "a group without a numeric \"id\" and \"units\" and one \"loss\" per ratio";
      break;
    }
    if (id->valuedouble < 0 || id->valuedouble >= (double)g->num_groups ||
        g->groups[id->valueint].units != (int64_t)units->valuedouble ||
        t->loss[id->valueint]) {
      snprintf(detail, sizeof detail, "group %g with %g units does not match the model's "
                                      "groups (a table of another model?)",
               id->valuedouble, units->valuedouble);
      why = detail;
      break;
    }
    double *row = t->loss[id->valueint] = malloc(t->n_ratios * sizeof *row);
    size_t r = 0;
    for (const cJSON *v = loss->child; v; v = v->next)
      row[r++] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    for (size_t k = 0; k < r; ++k)
      if (!isfinite(row[k]))
        why = "a loss that is not a finite number";
  }
  cJSON_Delete(root);
  if (why) {
    sp_emit_error(g->module, "sp-prune: ratios-from='%s': %s", path, why);
    ratio_table_free(g, t);
    return -1;
  }
  return 0;
}

/* Greedy allocation: from no pruning, repeatedly move the one group whose
 * step to its next ratio of the table costs the least predicted loss per
 * MAC saved (loss below 0, noise, counts as 0; ties: the larger saving),
 * until the model's MACs fit the budget. The MACs of a step are counted with every other group's
 * current choice (a conv between two pruned groups saves on both sides). */
static int allocate_from_table(sp_groups *g, double **scores, const prune_opts *o,
                               const ratio_table *t, int64_t budget, const char *path,
                               unsigned char **keep) {
  size_t n = g->num_groups;
  int64_t *drop_at = calloc(n * t->n_ratios + 1, sizeof *drop_at);
  int *choice = malloc((n + 1) * sizeof *choice); // index into ratios, -1: unpruned
  for (size_t id = 0; id < n; ++id) {
    choice[id] = -1;
    for (size_t r = 0; r < t->n_ratios; ++r)
      drop_at[id * t->n_ratios + r] = clamp_drop(
          &g->groups[id], (int64_t)floor((double)g->groups[id].units * t->ratios[r] + 1e-9), o);
  }
  int64_t macs = estimate_macs(g, keep);
  int rc = 0;
  while (macs > budget) {
    double best_cost = INFINITY;
    int64_t best_macs = 0;
    size_t best_id = 0, best_r = 0;
    for (size_t id = 0; id < n; ++id) {
      if (!t->loss[id] || !candidate(&g->groups[id], scores[id], o))
        continue;
      int64_t now = choice[id] < 0 ? 0 : drop_at[id * t->n_ratios + (size_t)choice[id]];
      double loss_now = choice[id] < 0 ? 0 : fmax(t->loss[id][choice[id]], 0);
      unsigned char *saved = keep[id];
      for (size_t r = (size_t)(choice[id] + 1); r < t->n_ratios; ++r) {
        int64_t drop = drop_at[id * t->n_ratios + r];
        if (drop <= now)
          continue;
        keep[id] = sp_prune_keep_lowest(&g->groups[id], scores[id], drop);
        int64_t after = estimate_macs(g, keep);
        free(keep[id]);
        keep[id] = saved;
        if (after >= macs)
          break;
        double cost = (fmax(t->loss[id][r], 0) - loss_now) / (double)(macs - after);
        if (cost < best_cost || (cost == best_cost && after < best_macs)) {
          best_cost = cost;
          best_macs = after;
          best_id = id;
          best_r = r;
        }
        break; // one step at a time: a far ratio's loss is often saturated, so cheap per MAC
      }
    }
    if (best_cost == INFINITY) {
      sp_emit_error(g->module, "sp-prune: cannot meet target-macs=%lld with the ratios of "
                               "'%s': every group at its largest leaves %lld MACs",
                    (long long)budget, path, (long long)macs);
      rc = -1;
      break;
    }
    free(keep[best_id]);
    keep[best_id] = sp_prune_keep_lowest(&g->groups[best_id], scores[best_id],
                                         drop_at[best_id * t->n_ratios + best_r]);
    choice[best_id] = (int)best_r;
    macs = best_macs;
  }
  free(choice);
  free(drop_at);
  return rc;
}

/* Pins the groups of every op whose node or result name matches a pattern. */
static int protect(sp_groups *g, const char *list) {
  char *copy = strdup(list), *save = NULL;
  int rc = 0;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(g->func, 0));
  for (char *pat = strtok_r(copy, ",", &save); pat; pat = strtok_r(NULL, ",", &save)) {
    while (*pat == ' ')
      pat++;
    int matched = 0;
    for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op)) {
      char *name = sp_location_name(mlirOperationGetLocation(op), NULL);
      int hit = name && fnmatch(pat, name, 0) == 0;
      free(name);
      for (intptr_t r = 0; !hit && r < mlirOperationGetNumResults(op); ++r) {
        size_t len = 0;
        const char *rn = sp_op_result_name(op, r, &len);
        if (rn && len) {
          char *s = strndup(rn, len);
          hit = fnmatch(pat, s, 0) == 0;
          free(s);
        }
      }
      if (hit) {
        matched = 1;
        sp_groups_pin_op(g, op, "protected");
      }
    }
    if (!matched) {
      sp_emit_error(g->module, "sp-prune: protect pattern '%s' matches no node", pat);
      rc = -1;
    }
  }
  free(copy);
  return rc;
}

static void write_keep(sp_groups *g, unsigned char *const *keep) {
  MlirContext ctx = mlirOperationGetContext(g->module);
  MlirAttribute *rows = malloc((g->num_groups + 1) * sizeof *rows);
  int64_t *kept = NULL;
  size_t cap = 0;
  for (size_t id = 0; id < g->num_groups; ++id) {
    size_t n = 0;
    if (keep[id]) {
      if ((size_t)g->groups[id].units > cap)
        kept = realloc(kept, (cap = (size_t)g->groups[id].units) * sizeof *kept);
      for (int64_t u = 0; u < g->groups[id].units; ++u)
        if (keep[id][u])
          kept[n++] = u;
    }
    rows[id] = mlirDenseI64ArrayGet(ctx, (intptr_t)n, kept);
  }
  mlirOperationSetDiscardableAttributeByName(g->module, sp_str("sp.keep"),
                                             mlirArrayAttrGet(ctx, (intptr_t)g->num_groups, rows));
  free(rows);
  free(kept);
}

/* Drops the pre-pruning annotations: they describe the old shapes. */
static void clear_annotations(sp_groups *g) {
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(g->func, 0));
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    mlirOperationRemoveDiscardableAttributeByName(op, sp_str("sp.groups"));
  mlirOperationRemoveDiscardableAttributeByName(g->module, sp_str("sp.group_table"));
  mlirOperationRemoveDiscardableAttributeByName(g->module, sp_str("sp.importance"));
}

/* per-mac: every channel group's scores divided by the MACs one of its units
 * costs in the unpruned model (what dropping its lowest unit alone saves), so
 * the global threshold removes the least importance per MAC saved first. A
 * unit that saves nothing is never the cheaper choice (+inf). */
static void scores_per_mac(sp_groups *g, double **scores, const prune_opts *o) {
  unsigned char **keep = calloc(g->num_groups + 1, sizeof *keep);
  int64_t base = estimate_macs(g, keep);
  for (size_t id = 0; id < g->num_groups; ++id) {
    const sp_group_info *gi = &g->groups[id];
    if (!candidate(gi, scores[id], o) || gi->head || gi->units < 2)
      continue;
    keep[id] = sp_prune_keep_lowest(gi, scores[id], 1);
    int64_t saved = base - estimate_macs(g, keep);
    free(keep[id]);
    keep[id] = NULL;
    for (int64_t u = 0; u < gi->units; ++u)
      scores[id][u] = saved > 0 ? scores[id][u] / (double)saved : HUGE_VAL;
  }
  free(keep);
}

int sp_prune_run(MlirOperation module, const sp_pass_args *args) {
  prune_opts o = {
      .ratio = sp_pass_arg_float(args, "ratio"),
      .head_ratio = sp_pass_arg_string(args, "head-ratio") ? sp_pass_arg_float(args, "head-ratio")
                                                           : -1,
      .max_ratio = sp_pass_arg_float(args, "max-ratio"),
      .target_macs = sp_pass_arg_float(args, "target-macs"),
      .global = sp_pass_arg_bool(args, "global"),
      .round_to = (int)sp_pass_arg_int(args, "round-to"),
      .mask = strcmp(sp_pass_arg_string(args, "mode"), "mask") == 0,
      .skip_reduced = sp_pass_arg_bool(args, "skip-reduced"),
      .per_mac = sp_pass_arg_bool(args, "per-mac"),
  };
  if (o.per_mac && !o.global) {
    sp_emit_error(module, "sp-prune: per-mac ranks units across groups: it needs global=true");
    return -1;
  }
  const char *drop_text = sp_pass_arg_string(args, "drop-layers");
  if (drop_text && !strcmp(drop_text, "auto"))
    return sp_prune_depth_width(module, args);
  char *end = NULL;
  long drop = drop_text ? strtol(drop_text, &end, 10) : 0;
  if (drop_text && (end == drop_text || *end || drop < 0 || drop > 100000)) {
    sp_emit_error(module, "sp-prune: drop-layers='%s' is neither a count in [0, 100000] "
                          "nor auto", drop_text);
    return -1;
  }
  const char *ratios_from = sp_pass_arg_string(args, "ratios-from");
  if (ratios_from && *ratios_from && (o.target_macs <= 0 || o.global)) {
    sp_emit_error(module, "sp-prune: ratios-from='%s' needs target-macs=M (and no global)",
                  ratios_from);
    return -1;
  }
  const char *calibration = sp_pass_arg_string(args, "calibration");
  if (calibration && *calibration && drop <= 0) {
    sp_emit_error(module, "sp-prune: calibration= scores residual blocks for drop-layers=N; "
                          "without drop-layers it has no effect");
    return -1;
  }
  if (drop > 0) {
    if (sp_prune_drop_layers(module, drop, calibration))
      return -1;
    // Scores of the old graph no longer match its groups.
    mlirOperationRemoveDiscardableAttributeByName(module, sp_str("sp.importance"));
  }
  sp_groups *g = sp_groups_analyze(module);
  if (!g)
    return -1;
  const char *protect_list = sp_pass_arg_string(args, "protect");
  if (protect_list && *protect_list && protect(g, protect_list)) {
    sp_groups_free(g);
    return -1;
  }
  double **scores = sp_prune_load_scores(g);
  unsigned char **keep = calloc(g->num_groups + 1, sizeof *keep);
  int rc = 0;
  size_t prunable = 0;
  for (size_t id = 0; id < g->num_groups; ++id)
    prunable += candidate(&g->groups[id], scores[id], &o);
  if (o.per_mac)
    scores_per_mac(g, scores, &o);
  if (!prunable && (o.ratio > 0 || o.target_macs > 0 || o.head_ratio > 0) && drop <= 0) {
    sp_emit_error(module, "sp-prune: nothing is prunable (every group is pinned; see "
                          "sp-dependency-groups{dump=-})");
    rc = -1;
  } else if (!strcmp(sp_pass_arg_string(args, "cost"), "latency")) {
    const char *table = sp_pass_arg_string(args, "table");
    double target = sp_pass_arg_float(args, "target-latency");
    if (!table || !*table || target <= 0 || o.target_macs > 0 || o.global ||
        (ratios_from && *ratios_from)) {
      sp_emit_error(module, "sp-prune: cost=latency needs table=FILE (sp-latency-table{json=}) "
                            "and target-latency=T, without target-macs, global or ratios-from");
      rc = -1;
    } else {
      int64_t *limit = malloc((g->num_groups + 1) * sizeof *limit);
      for (size_t id = 0; id < g->num_groups; ++id)
        limit[id] = candidate(&g->groups[id], scores[id], &o) ? max_drop(&g->groups[id], &o) : -1;
      rc = sp_prune_allocate_latency(g, scores, limit, table, target, keep);
      free(limit);
    }
  } else if (o.target_macs > 0 && ratios_from && *ratios_from) {
    int64_t base = estimate_macs(g, keep);
    int64_t budget = o.target_macs <= 1 ? (int64_t)(o.target_macs * (double)base)
                                        : (int64_t)o.target_macs;
    ratio_table table;
    rc = read_ratio_table(g, ratios_from, &table);
    if (!rc) {
      rc = allocate_from_table(g, scores, &o, &table, budget, ratios_from, keep);
      ratio_table_free(g, &table);
    }
  } else if (o.target_macs > 0) {
    int64_t base = estimate_macs(g, keep);
    int64_t budget = o.target_macs <= 1 ? (int64_t)(o.target_macs * (double)base)
                                        : (int64_t)o.target_macs;
    double lo = 0, hi = o.max_ratio < 0.99 ? o.max_ratio : 0.99;
    decide(g, scores, &o, hi, keep);
    int64_t best = estimate_macs(g, keep);
    if (best > budget) {
      sp_emit_error(module, "sp-prune: cannot meet target-macs=%lld: pruning every group by "
                            "%.2f leaves %lld MACs (of %lld)",
                    (long long)budget, hi, (long long)best, (long long)base);
      rc = -1;
    } else {
      for (int it = 0; it < 24; ++it) { // smallest ratio that meets the budget
        double mid = (lo + hi) / 2;
        decide(g, scores, &o, mid, keep);
        if (estimate_macs(g, keep) <= budget)
          hi = mid;
        else
          lo = mid;
      }
      decide(g, scores, &o, hi, keep);
    }
  } else {
    decide(g, scores, &o, o.ratio, keep);
  }
  int any = 0;
  for (size_t id = 0; id < g->num_groups; ++id)
    any |= keep[id] != NULL;
  if (!rc) {
    clear_annotations(g);
    write_keep(g, keep);
    if (any) // nothing to slice: leave the IR (and its shape chains) alone
      rc = sp_prune_rewrite(g, keep, o.mask);
  }
  if (!rc && !mlirOperationVerify(module)) {
    sp_emit_error(module, "sp-prune: the IR does not verify after pruning");
    rc = -1;
  }
  for (size_t id = 0; id < g->num_groups; ++id)
    free(keep[id]);
  free(keep);
  sp_importance_free(g, scores);
  sp_groups_free(g);
  return rc;
}

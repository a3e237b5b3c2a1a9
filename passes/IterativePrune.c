/* sp-iterative-prune{final-ratio=R steps=S epochs-per-step=E data=... + the
 * fine-tune recipe of sp-finetune}: gradual pruning with the cubic schedule of
 * Zhu & Gupta 2017 ("To prune, or not to prune", AGP). Step t of S scores
 * every unit (sp-importance), zeroes the lowest-scoring ones up to
 *
 *   r_t = R * (1 - (1 - t/S)^3)
 *
 * of every group (sp-prune{mode=mask}, which records sp.mask so the trainer
 * keeps them at exactly zero) and fine-tunes E epochs (sp-finetune's body);
 * after step S one sp-prune{mode=shrink} at R removes the masked units. The
 * steps are the registered passes run on the module, not copies of them.
 *
 * Masks only grow: the units an earlier step masked get the lowest score
 * (-inf) before each later decision, whatever the criterion, so step t masks
 * a superset of step t-1 and the final shrink removes exactly the masked
 * units (checked). One line per step on stderr unless quiet. */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "finetune.h"
#include "sp/dialect.h"
#include "sp/groups.h"
#include "sp/passes.h"

#define PASS "sp-iterative-prune"

/* Per group id, the units masked so far (NULL: none). */
typedef struct masked_units {
  unsigned char **dropped;
  int64_t *units;
  size_t groups;
} masked_units;

static void masked_free(masked_units *m) {
  for (size_t id = 0; id < m->groups; ++id)
    free(m->dropped[id]);
  free(m->dropped);
  free(m->units);
  memset(m, 0, sizeof *m);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The target ratio of step t of steps (Zhu & Gupta's cubic schedule). */
static double agp_ratio(double final_ratio, long t, long steps) {
  double left = 1.0 - (double)t / (double)steps;
  return final_ratio * (1.0 - left * left * left);
}

/* Whether the option `name` of args was given explicitly. */
static const char *given(const sp_pass_args *args, const char *name) {
  for (size_t i = 0; i < args->info->num_options; ++i)
    if (!strcmp(args->info->options[i].name, name))
      return args->values ? args->values[i] : NULL;
  return NULL;
}

static int append(char **text, size_t *len, const char *name, const char *value) {
  if (strchr(value, '"'))
    return -1; // the options parser has no escape for a quote inside quotes
  size_t more = strlen(name) + strlen(value) + 5;
  char *grown = realloc(*text, *len + more);
  if (!grown)
    return -1;
  *text = grown;
  *len += (size_t)snprintf(*text + *len, more, "%s%s=\"%s\"", *len ? " " : "", name, value);
  return 0;
}

/* Parses the options `pass` should get: `names` copied from args when given
 * (NULL-ended), then `extra` as written. Emits the parser's error. */
static int sub_args(MlirOperation module, const sp_pass_args *args, const char *pass,
                    const char *const *names, const char *extra, sp_pass_args *out) {
  const sp_pass_info *info = sp_pass_lookup(pass, strlen(pass));
  char *text = calloc(1, 1);
  size_t len = 0;
  int rc = text ? 0 : -1;
  for (size_t i = 0; !rc && info && i < info->num_options; ++i) {
    const char *name = info->options[i].name, *value = given(args, name);
    int wanted = names == NULL; // NULL: every option both passes have
    for (const char *const *n = names; n && *n && !wanted; ++n)
      wanted = !strcmp(*n, name);
    if (wanted && value && append(&text, &len, name, value)) {
      sp_emit_error(module, PASS ": option %s='%s' cannot be passed on to %s", name, value,
                    pass);
      free(text);
      return -1;
    }
  }
  sp_error err = {{0}};
  char *all = NULL;
  if (!rc && info && (all = malloc(len + strlen(extra) + 2)))
    snprintf(all, len + strlen(extra) + 2, "%s %s", text, extra);
  if (!info || !all)
    rc = sp_error_set(&err, "out of memory");
  else
    rc = sp_pass_args_parse(info, all, out, &err);
  free(text);
  free(all);
  if (rc)
    sp_emit_error(module, PASS ": %s", err.message);
  return rc ? -1 : 0;
}

/* Sets the sp.importance score of every unit masked so far to -inf, so each
 * decision keeps the earlier ones; records the groups' sizes the first time. */
static int lowest_for_masked(MlirOperation module, masked_units *m) {
  MlirAttribute a = mlirOperationGetAttributeByName(module, sp_str("sp.importance"));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAArray(a)) {
    sp_emit_error(module, PASS ": sp-importance wrote no sp.importance");
    return -1;
  }
  size_t groups = (size_t)mlirArrayAttrGetNumElements(a);
  if (!m->dropped) {
    m->groups = groups;
    m->dropped = calloc(groups + 1, sizeof *m->dropped);
    m->units = calloc(groups + 1, sizeof *m->units);
    if (!m->dropped || !m->units) {
      sp_emit_error(module, PASS ": out of memory");
      return -1;
    }
    for (size_t id = 0; id < groups; ++id)
      m->units[id] = mlirDenseArrayGetNumElements(mlirArrayAttrGetElement(a, (intptr_t)id));
  }
  MlirAttribute *rows = malloc((groups + 1) * sizeof *rows);
  float *scores = NULL;
  int rc = rows ? 0 : -1;
  for (size_t id = 0; !rc && id < groups; ++id) {
    MlirAttribute row = mlirArrayAttrGetElement(a, (intptr_t)id);
    intptr_t n = mlirDenseArrayGetNumElements(row);
    if (groups != m->groups || n != m->units[id]) { // mask mode keeps every shape
      sp_emit_error(module, PASS ": the dependency groups changed between steps (group %zu "
                            "has %lld units, had %lld)",
                    id, (long long)n, (long long)(id < m->groups ? m->units[id] : 0));
      rc = -1;
      break;
    }
    float *grown = realloc(scores, ((size_t)n + 1) * sizeof *scores);
    if (!grown) {
      rc = -1;
      break;
    }
    scores = grown;
    for (intptr_t u = 0; u < n; ++u)
      scores[u] = m->dropped[id] && m->dropped[id][u] ? -INFINITY
                                                       : mlirDenseF32ArrayGetElement(row, u);
    rows[id] = mlirDenseF32ArrayGet(mlirOperationGetContext(module), n, scores);
  }
  if (!rc)
    mlirOperationSetDiscardableAttributeByName(
        module, sp_str("sp.importance"),
        mlirArrayAttrGet(mlirOperationGetContext(module), (intptr_t)groups, rows));
  else if (!rows || !scores)
    sp_emit_error(module, PASS ": out of memory");
  free(rows);
  free(scores);
  return rc;
}

/* Adds the units sp-prune's sp.keep leaves out to m; *added gets how many
 * were not masked before. */
static int record_dropped(MlirOperation module, masked_units *m, int64_t *added) {
  MlirAttribute a = mlirOperationGetAttributeByName(module, sp_str("sp.keep"));
  *added = 0;
  if (mlirAttributeIsNull(a) || (size_t)mlirArrayAttrGetNumElements(a) != m->groups) {
    sp_emit_error(module, PASS ": sp-prune wrote no sp.keep for the %zu groups", m->groups);
    return -1;
  }
  for (size_t id = 0; id < m->groups; ++id) {
    MlirAttribute row = mlirArrayAttrGetElement(a, (intptr_t)id);
    intptr_t n = mlirDenseArrayGetNumElements(row);
    if (n == 0) // the group was left whole
      continue;
    unsigned char *kept = calloc((size_t)m->units[id] + 1, 1);
    if (!m->dropped[id])
      m->dropped[id] = calloc((size_t)m->units[id] + 1, 1);
    if (!kept || !m->dropped[id]) {
      free(kept);
      sp_emit_error(module, PASS ": out of memory");
      return -1;
    }
    for (intptr_t k = 0; k < n; ++k) {
      int64_t u = mlirDenseI64ArrayGetElement(row, k);
      if (u >= 0 && u < m->units[id])
        kept[u] = 1;
    }
    for (int64_t u = 0; u < m->units[id]; ++u)
      if (!kept[u] && !m->dropped[id][u]) {
        m->dropped[id][u] = 1;
        ++*added;
      }
    free(kept);
  }
  return 0;
}

/* sp-importance, the earlier masks forced lowest, then sp-prune. */
static int prune_once(MlirOperation module, const sp_pass_args *importance,
                      const sp_pass_args *prune, masked_units *m, int64_t *added) {
  if (importance->info->run(module, importance) || lowest_for_masked(module, m) ||
      prune->info->run(module, prune))
    return -1;
  return record_dropped(module, m, added);
}

static int64_t count_macs(MlirOperation module) { return sp_main_macs(module); }

/* MACs the masked module has once its masked units are removed: a shrink of
 * a copy at the same decisions. */
static int64_t shrunk_macs(MlirOperation module, const sp_pass_args *importance,
                           const sp_pass_args *shrink, const masked_units *m) {
  masked_units copy = {calloc(m->groups + 1, sizeof *copy.dropped),
                       calloc(m->groups + 1, sizeof *copy.units), m->groups};
  int64_t macs = -1, added = 0;
  if (copy.dropped && copy.units) {
    int ok = 1;
    for (size_t id = 0; id < m->groups; ++id) {
      copy.units[id] = m->units[id];
      if (m->dropped[id] && (copy.dropped[id] = malloc((size_t)m->units[id] + 1)))
        memcpy(copy.dropped[id], m->dropped[id], (size_t)m->units[id]);
      ok &= !m->dropped[id] || copy.dropped[id] != NULL;
    }
    MlirOperation clone = mlirOperationClone(module);
    if (ok && !prune_once(clone, importance, shrink, &copy, &added) && added == 0)
      macs = count_macs(clone);
    mlirOperationDestroy(clone);
  }
  masked_free(&copy);
  return macs;
}

static const char *const prune_names[] = {"global", "round-to", "max-ratio", "protect", NULL};
static const char *const importance_names[] = {"criterion", "p", "reduce", "normalize",
                                               "calibration", NULL};

int sp_iterative_prune_run(MlirOperation module, const sp_pass_args *args) {
  const double final_ratio = sp_pass_arg_float(args, "final-ratio");
  const long steps = sp_pass_arg_int(args, "steps");
  const int quiet = sp_pass_arg_bool(args, "quiet"), shrink = sp_pass_arg_bool(args, "shrink");
  const char *data = sp_pass_arg_string(args, "data");
  const char *train_npy = sp_pass_arg_string(args, "train-npy");
  const char *train_dir = sp_pass_arg_string(args, "train-dir");
  if ((!data || !*data) && (!train_npy || !*train_npy) && (!train_dir || !*train_dir)) {
    sp_emit_error(module, PASS ": needs data=fashion-mnist[:DIR], train-npy=X.npy,Y.npy or "
                          "train-dir=DIR to fine-tune on after each step");
    return -1;
  }
  // Every option is checked by the pass it goes to before the first step.
  char extra[64];
  snprintf(extra, sizeof extra, "epochs=%ld quiet=true", sp_pass_arg_int(args, "epochs-per-step"));
  // Gradient criteria score on the first score-samples training images of
  // data= (normalised as for fine-tuning), unless calibration= is given.
  const char *criterion = sp_pass_arg_string(args, "criterion");
  const char *cal = sp_pass_arg_string(args, "calibration");
  int gradients = criterion && (!strcmp(criterion, "taylor") ||
                                !strcmp(criterion, "taylor-weight") ||
                                !strcmp(criterion, "fisher") ||
                                !strcmp(criterion, "hessian-diag"));
  char scoring[4200] = "";
  if (gradients && !(cal && *cal) && !(data && *data)) {
    sp_emit_error(module, PASS ": criterion=%s scores on data=fashion-mnist[:DIR] or "
                          "calibration=DIR (input_N.pb with label_N.pb)", criterion);
    return -1;
  }
  if (gradients && !(cal && *cal))
    snprintf(scoring, sizeof scoring, "data=%s limit=%ld mean=%.9g std=%.9g", data,
             sp_pass_arg_int(args, "score-samples"), sp_pass_arg_float(args, "mean"),
             sp_pass_arg_float(args, "std"));
  sp_pass_args importance = {0}, finetune = {0}, final_shrink = {0};
  int rc = sub_args(module, args, "sp-importance", importance_names, scoring, &importance) ||
                   sub_args(module, args, "sp-finetune", NULL, extra, &finetune)
               ? -1
               : 0;
  char ratio_text[64];
  snprintf(ratio_text, sizeof ratio_text, "ratio=%.17g mode=shrink", final_ratio);
  if (!rc)
    rc = sub_args(module, args, "sp-prune", prune_names, ratio_text, &final_shrink);
  masked_units m = {0};
  const int64_t macs0 = rc ? 0 : count_macs(module);
  for (long t = 1; t <= steps && !rc; ++t) {
    double t0 = now_s(), ratio = agp_ratio(final_ratio, t, steps), top1 = -1; // stays -1 without an evaluation split
    sp_pass_args mask = {0}, step_shrink = {0};
    char text[96];
    snprintf(text, sizeof text, "ratio=%.17g mode=mask", ratio);
    rc = sub_args(module, args, "sp-prune", prune_names, text, &mask);
    snprintf(text, sizeof text, "ratio=%.17g mode=shrink", ratio);
    if (!rc)
      rc = sub_args(module, args, "sp-prune", prune_names, text, &step_shrink);
    int64_t added = 0, masked = 0, macs = 0;
    if (!rc)
      rc = prune_once(module, &importance, &mask, &m, &added);
    for (size_t id = 0; !rc && id < m.groups; ++id)
      for (int64_t u = 0; m.dropped[id] && u < m.units[id]; ++u)
        masked += m.dropped[id][u];
    if (!rc && !quiet && (macs = shrunk_macs(module, &importance, &step_shrink, &m)) < 0) {
      sp_emit_error(module, PASS ": step %ld: cannot count the MACs of the shrunk model", t);
      rc = -1;
    }
    if (!rc)
      rc = sp_finetune_apply(module, &finetune, &top1);
    char val[48] = "";
    if (top1 >= 0)
      snprintf(val, sizeof val, ", val top-1 %.2f%%", 100 * top1);
    if (!rc && !quiet)
      fprintf(stderr,
              PASS ": step %ld/%ld: ratio %.4f, %lld units masked (+%lld), MACs %lld (%.1f%% of "
                   "%lld)%s, %.1f s\n",
              t, steps, ratio, (long long)masked, (long long)added, (long long)macs,
              macs0 > 0 ? 100.0 * (double)macs / (double)macs0 : 0.0, (long long)macs0, val,
              now_s() - t0);
    sp_pass_args_free(&mask);
    sp_pass_args_free(&step_shrink);
  }
  int64_t added = 0;
  if (!rc && shrink && !(rc = prune_once(module, &importance, &final_shrink, &m, &added)) &&
      added) {
    sp_emit_error(module, PASS ": the final shrink removed %lld units no step had masked",
                  (long long)added);
    rc = -1;
  }
  masked_free(&m);
  sp_pass_args_free(&importance);
  sp_pass_args_free(&finetune);
  sp_pass_args_free(&final_shrink);
  return rc;
}

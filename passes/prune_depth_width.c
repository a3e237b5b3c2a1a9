/* sp-prune{drop-layers=auto target-macs=M calibration=DIR}: depth and width
 * under one budget. Every candidate k = 0, 1, ... drops the k least
 * important residual blocks, then cuts width until the MACs meet M (the
 * plain target-macs search); the candidate whose outputs on the calibration
 * data (after sp-recalibrate-bn on the same data, as fine-tuning would
 * start) stay closest to the unpruned model's wins (KL of the softmax for
 * (batch, classes) logits, else 1 - cosine per sample), and is applied. */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/Diagnostics.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibration.h"
#include "sp/dialect.h"
#include "sp/passes.h"
#include "sp/runtime.h"

#define MAX_CANDIDATES 64

/* The main function's returned values (n of them, at most max). */
static size_t outputs_of(MlirOperation module, MlirValue *out, size_t max) {
  MlirOperation fn = sp_find_main(module);
  if (mlirOperationIsNull(fn))
    return 0;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  MlirOperation ret = mlirBlockGetTerminator(body);
  size_t n = (size_t)mlirOperationGetNumOperands(ret);
  n = n < max ? n : max;
  for (size_t i = 0; i < n; ++i)
    out[i] = mlirOperationGetOperand(ret, (intptr_t)i);
  return n;
}

/* Output 0 of every calibration set, concatenated (reference) or compared
 * with the reference as it arrives (candidate). */
typedef struct {
  float *ref;
  size_t ref_len, at;
  int64_t classes; /* > 0: (batch, classes) logits */
  double distortion;
  int64_t samples;
  int mismatch;
} collector;

static int keep_reference(void *user, const char *batch, const sp_tensor *const *out, size_t n) {
  collector *c = user;
  (void)batch;
  (void)n;
  const sp_tensor *t = out[0];
  if (t->elem_type != 1)
    return 0;
  float *grown = realloc(c->ref, (c->ref_len + (size_t)t->numel) * sizeof *grown);
  if (!grown)
    return -1;
  c->ref = grown;
  memcpy(c->ref + c->ref_len, t->data, (size_t)t->numel * sizeof *grown);
  c->ref_len += (size_t)t->numel;
  c->classes = t->rank == 2 ? t->dims[1] : 0;
  return 0;
}

/* KL(softmax(p) || softmax(q)) of one row of logits. */
static double kl_row(const float *p, const float *q, int64_t n) {
  double mp = p[0], mq = q[0], zp = 0, zq = 0, kl = 0;
  for (int64_t i = 1; i < n; ++i) {
    mp = p[i] > mp ? p[i] : mp;
    mq = q[i] > mq ? q[i] : mq;
  }
  for (int64_t i = 0; i < n; ++i) {
    zp += exp(p[i] - mp);
    zq += exp(q[i] - mq);
  }
  for (int64_t i = 0; i < n; ++i) {
    double lp = p[i] - mp - log(zp), lq = q[i] - mq - log(zq);
    kl += exp(lp) * (lp - lq);
  }
  return kl;
}

static double one_minus_cos(const float *a, const float *b, int64_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < n; ++i) {
    ab += (double)a[i] * b[i];
    aa += (double)a[i] * a[i];
    bb += (double)b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? 1 - ab / sqrt(aa * bb) : (aa == bb ? 0 : 1);
}

static int compare(void *user, const char *batch, const sp_tensor *const *out, size_t n) {
  collector *c = user;
  (void)batch;
  (void)n;
  const sp_tensor *t = out[0];
  if (t->elem_type != 1 || c->at + (size_t)t->numel > c->ref_len) {
    c->mismatch = 1;
    return 0;
  }
  const float *ref = c->ref + c->at, *got = t->data;
  int64_t rows = t->rank > 0 ? t->dims[0] : 1, per = rows ? t->numel / rows : 0;
  for (int64_t r = 0; r < rows; ++r)
    c->distortion += c->classes == per && c->classes > 0
                         ? kl_row(ref + r * per, got + r * per, per)
                         : one_minus_cos(ref + r * per, got + r * per, per);
  c->samples += rows;
  c->at += (size_t)t->numel;
  return 0;
}

/* Swallows the diagnostics of a candidate that cannot be built. */
static MlirLogicalResult swallow(MlirDiagnostic d, void *user) {
  (void)d;
  (void)user;
  return mlirLogicalResultSuccess();
}

/* args with drop-layers=k, target-macs=macs (absolute: a fraction would be
 * of the model after the drop) and no calibration= for k = 0, which would
 * score no blocks; free with sp_pass_args_free. */
static int args_with_drop(const sp_pass_args *args, long k, int64_t macs, sp_pass_args *out) {
  const sp_pass_info *info = args->info;
  char drop[32], target[32];
  snprintf(drop, sizeof drop, "%ld", k);
  snprintf(target, sizeof target, "%lld", (long long)(macs > 1 ? macs : 2));
  out->info = info;
  out->values = calloc(info->num_options + 1, sizeof *out->values);
  if (!out->values)
    return -1;
  for (size_t i = 0; i < info->num_options; ++i) {
    const char *name = info->options[i].name, *v = args->values[i];
    if (!strcmp(name, "drop-layers"))
      v = drop;
    else if (!strcmp(name, "target-macs"))
      v = target;
    else if (!strcmp(name, "calibration") && k == 0)
      v = NULL;
    if (v && !(out->values[i] = strdup(v)))
      return -1;
  }
  return 0;
}

/* sp-prune on a clone of module with drop-layers=k; the clone, or a null op
 * when that candidate cannot meet the budget (its errors swallowed). */
static MlirOperation candidate(MlirOperation module, const sp_pass_args *args, long k,
                               int64_t macs) {
  sp_pass_args with = {0};
  MlirOperation clone = mlirOperationClone(module);
  MlirContext ctx = mlirOperationGetContext(module);
  MlirDiagnosticHandlerID quiet = mlirContextAttachDiagnosticHandler(ctx, swallow, NULL, NULL);
  int rc = args_with_drop(args, k, macs, &with) || sp_prune_run(clone, &with);
  mlirContextDetachDiagnosticHandler(ctx, quiet);
  sp_pass_args_free(&with);
  if (rc) {
    mlirOperationDestroy(clone);
    return (MlirOperation){NULL};
  }
  return clone;
}

/* sp-recalibrate-bn{calibration=dir} on module. */
static int recalibrate(MlirOperation module, const char *dir) {
  const char *name = "sp-recalibrate-bn";
  const sp_pass_info *info = sp_pass_lookup(name, strlen(name));
  char *text = malloc(strlen(dir) + 16);
  sp_pass_args args = {0};
  sp_error err = {{0}};
  int rc = !info || !text;
  if (!rc) {
    sprintf(text, "calibration=%s", dir);
    rc = sp_pass_args_parse(info, text, &args, &err) || info->run(module, &args);
  }
  free(text);
  sp_pass_args_free(&args);
  return rc ? -1 : 0;
}

int sp_prune_depth_width(MlirOperation module, const sp_pass_args *args) {
  const char *cal = sp_pass_arg_string(args, "calibration");
  if (sp_pass_arg_float(args, "target-macs") <= 0 || !cal || !*cal) {
    sp_emit_error(module, "sp-prune: drop-layers=auto weighs depth against width by the "
                          "outputs on data: it needs target-macs=M and calibration=DIR");
    return -1;
  }
  double target = sp_pass_arg_float(args, "target-macs");
  int64_t base = sp_main_macs(module);
  int64_t budget = target <= 1 ? (int64_t)(target * (double)base) : (int64_t)target;
  MlirValue out[1];
  collector ref = {0};
  if (!outputs_of(module, out, 1) ||
      sp_calibration_run(module, "sp-prune", cal, out, 1, keep_reference, &ref)) {
    free(ref.ref);
    if (!outputs_of(module, out, 1))
      sp_emit_error(module, "sp-prune: drop-layers=auto: the model has no output");
    return -1;
  }
  // Every count of blocks the model has; a candidate that cannot meet the
  // budget scores infinity.
  size_t blocks = 0;
  MlirOperation fn = sp_find_main(module);
  free(sp_find_residual_blocks(mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0)), &blocks));
  long k = blocks + 1 < MAX_CANDIDATES ? (long)blocks + 1 : MAX_CANDIDATES;
  double distortion[MAX_CANDIDATES];
  long best = -1;
  for (long i = 0; i < k; ++i) {
    distortion[i] = INFINITY;
    MlirOperation clone = candidate(module, args, i, budget);
    if (mlirOperationIsNull(clone))
      continue;
    collector c = ref;
    c.at = 0;
    c.distortion = 0;
    c.samples = 0;
    c.mismatch = 0;
    // Measured as fine-tuning would start: BN statistics of the pruned model.
    MlirValue cout[1];
    int rc = recalibrate(clone, cal) || !outputs_of(clone, cout, 1) ||
             sp_calibration_run(clone, "sp-prune", cal, cout, 1, compare, &c);
    mlirOperationDestroy(clone);
    if (rc) {
      free(ref.ref);
      return -1;
    }
    if (!c.mismatch && c.samples)
      distortion[i] = c.distortion / (double)c.samples;
    if (best < 0 || distortion[i] < distortion[best])
      best = i;
  }
  free(ref.ref);
  if (best < 0) {
    sp_emit_error(module, "sp-prune: drop-layers=auto: no count of residual blocks (0 to %ld) "
                          "with the width cut meets target-macs=%g",
                  k - 1, target);
    return -1;
  }
  // [blocks dropped, distortion] of every candidate that met the budget.
  MlirContext ctx = mlirOperationGetContext(module);
  MlirAttribute rows[MAX_CANDIDATES];
  intptr_t feasible = 0;
  for (long i = 0; i < k; ++i) {
    if (isinf(distortion[i]))
      continue;
    MlirAttribute pair[2] = {mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), i),
                             mlirFloatAttrDoubleGet(ctx, mlirF64TypeGet(ctx), distortion[i])};
    rows[feasible++] = mlirArrayAttrGet(ctx, 2, pair);
  }
  sp_pass_args with = {0};
  int rc = args_with_drop(args, best, budget, &with) || sp_prune_run(module, &with);
  sp_pass_args_free(&with);
  if (!rc)
    mlirOperationSetDiscardableAttributeByName(module, sp_str("sp.depth_width"),
                                               mlirArrayAttrGet(ctx, feasible, rows));
  return rc;
}

/* sp-recalibrate-bn{calibration=DIR rounds=N}: adaptive BatchNorm (EagleEye,
 * ECCV 2020). Pruning changes what reaches every BatchNormalization, so its
 * running mean and variance no longer describe its input; this pass measures
 * them again on calibration data run through the pruned model.
 *
 * Order matters: a BN's input depends on every BN upstream of it, so BNs are
 * recalibrated by level (1 + the highest level of the BNs upstream of its
 * input), one export + run per level, observing only that level's inputs.
 * rounds=N caps the runs: BNs deeper than N are measured in run N.
 *
 * Statistics per channel (dim 1) over every other dim and every calibration
 * sample: mean, and the population variance (divide by the count, as BN
 * normalises in training; torch's running_var is the unbiased one, which
 * differs by a factor count/(count-1), 1.00005 for 512 28x28 images). Per
 * set in double with two passes, sets merged with Chan's formula. BNs in
 * training mode, or whose mean/var are not f32 initializers, are left alone
 * with a remark on stderr (the C API emits errors only). */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibration.h"
#include "sp/dialect.h"
#include "sp/hashmap.h"
#include "sp/passes.h"
#include "sp/runtime.h"
#include "sp/weights.h"

#define PASS "sp-recalibrate-bn"

typedef struct bn_stats {
  MlirOperation op;
  int level;      /* 1 + highest level of the recalibrated BNs upstream */
  int64_t channels;
  double count;   /* elements per channel seen so far */
  double *mean;   /* per channel */
  double *m2;     /* per channel: sum of squared deviations from mean */
} bn_stats;

static int is_op(MlirOperation op, const char *name) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return s.length == strlen(name) && memcmp(s.data, name, s.length) == 0;
}

static char *op_name(MlirOperation op) {
  char *name = sp_location_name(mlirOperationGetLocation(op), NULL);
  return name ? name : strdup("?");
}

static void remark(MlirOperation op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void remark(MlirOperation op, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char *name = mlirOperationIsNull(op) ? NULL : op_name(op);
  fprintf(stderr, "remark: " PASS ": %s%s%s%s\n", name ? "BatchNormalization '" : "",
          name ? name : "", name ? "': " : "", msg);
  free(name);
}

/* Channels of a static 1-D f32 initializer, or -1. */
static int64_t f32_initializer_len(MlirValue v) {
  if (!mlirValueIsAOpResult(v) || !is_op(mlirOpResultGetOwner(v), "nn.Initializer"))
    return -1;
  MlirType t = mlirValueGetType(v);
  if (!mlirTypeIsARankedTensor(t) || mlirShapedTypeGetRank(t) != 1 ||
      !mlirShapedTypeHasStaticShape(t) || !mlirTypeIsAF32(mlirShapedTypeGetElementType(t)))
    return -1;
  return mlirShapedTypeGetDimSize(t, 0);
}

/* Why bn cannot be recalibrated, or NULL; *channels gets its channel count. */
static const char *unsupported(MlirOperation bn, int64_t *channels) {
  MlirAttribute training = mlirOperationGetAttributeByName(bn, sp_str("training_mode"));
  if (!mlirAttributeIsNull(training) && mlirAttributeIsAInteger(training) &&
      mlirIntegerAttrGetValueInt(training) != 0)
    return "left alone: training_mode=1 (it normalises with batch statistics)";
  if (mlirOperationGetNumOperands(bn) < 5)
    return "left alone: fewer than 5 operands";
  int64_t mean = f32_initializer_len(mlirOperationGetOperand(bn, 3));
  int64_t var = f32_initializer_len(mlirOperationGetOperand(bn, 4));
  if (mean < 0 || var < 0 || mean != var)
    return "left alone: running mean and variance are not 1-D f32 initializers of one size";
  MlirType x = mlirValueGetType(mlirOperationGetOperand(bn, 0));
  if (!mlirTypeIsATensor(x) || !mlirTypeIsAF32(mlirShapedTypeGetElementType(x)))
    return "left alone: input is not f32";
  *channels = mean;
  return NULL;
}

/* The recalibratable BNs of body with their levels; count in *n. */
static bn_stats *find_bns(MlirBlock body, size_t *n) {
  sp_map level; // value ptr -> level of the deepest recalibrated BN upstream
  sp_map_init(&level);
  size_t cap = 16;
  bn_stats *bns = calloc(cap, sizeof *bns);
  *n = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    intptr_t depth = 0;
    for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i) {
      intptr_t d = (intptr_t)sp_map_get_ptr(&level, mlirOperationGetOperand(op, i).ptr, NULL);
      depth = d > depth ? d : depth;
    }
    int64_t channels = 0;
    if (is_op(op, "nn.BatchNormalization")) {
      const char *why = unsupported(op, &channels);
      if (why) {
        remark(op, "%s", why);
      } else {
        if (*n == cap)
          bns = realloc(bns, (cap *= 2) * sizeof *bns);
        bns[(*n)++] = (bn_stats){op, (int)depth + 1, channels, 0, NULL, NULL};
        depth += 1;
      }
    }
    for (intptr_t i = 0; depth && i < mlirOperationGetNumResults(op); ++i)
      sp_map_put_ptr(&level, mlirOperationGetResult(op, i).ptr, (void *)depth);
  }
  sp_map_free(&level);
  return bns;
}

typedef struct round_ctx {
  bn_stats **bns; /* the BNs measured in this run, out[i] is bns[i]'s input */
  const char *dir;
} round_ctx;

/* Merges one set's statistics of every observed BN input into its totals. */
static int accumulate(void *user, const char *batch, const sp_tensor *const *out, size_t n) {
  round_ctx *r = user;
  for (size_t i = 0; i < n; ++i) {
    bn_stats *bn = r->bns[i];
    const sp_tensor *x = out[i];
    if (x->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || x->rank < 2 ||
        x->dims[1] != bn->channels) {
      sp_emit_error(bn->op, PASS ": calibration: the input has %s%lld channels, the running "
                            "statistics %lld", x->rank < 2 ? "rank < 2, " : "",
                    (long long)(x->rank < 2 ? 0 : x->dims[1]), (long long)bn->channels);
      return -1;
    }
    int64_t outer = x->dims[0], inner = outer ? x->numel / (outer * x->dims[1]) : 0;
    double per = (double)(outer * inner);
    if (per == 0 || bn->channels == 0)
      continue;
    const float *data = x->data;
    for (int64_t c = 0; c < bn->channels; ++c) {
      double sum = 0, m2 = 0;
      for (int64_t o = 0; o < outer; ++o) {
        const float *p = data + (o * bn->channels + c) * inner;
        for (int64_t k = 0; k < inner; ++k)
          sum += p[k];
      }
      double mean = sum / per;
      for (int64_t o = 0; o < outer; ++o) {
        const float *p = data + (o * bn->channels + c) * inner;
        for (int64_t k = 0; k < inner; ++k)
          m2 += (p[k] - mean) * (p[k] - mean);
      }
      // Finite floats cannot overflow these double sums: the input has NaN or Inf.
      if (!isfinite(m2)) {
        sp_emit_error(bn->op, PASS ": calibration: NaN or Inf in the input of this "
                              "BatchNormalization (channel %lld) on calibration batch '%s'",
                      (long long)c, batch);
        return -1;
      }
      // Chan et al.: merge (count, mean, m2) with this set's (per, mean, m2).
      double total = bn->count + per, delta = mean - bn->mean[c];
      bn->mean[c] += delta * per / total;
      bn->m2[c] += m2 + delta * delta * bn->count * per / total;
    }
    bn->count += per;
  }
  return 0;
}

/* Replaces the values of initializer operand `index` of bn by data (its own
 * copy when the initializer has other users). */
static void write_stat(MlirOperation bn, intptr_t index, const float *data, int64_t n,
                       const char *what, long *counter) {
  MlirValue v = mlirOperationGetOperand(bn, index);
  MlirOperation init = mlirOpResultGetOwner(v);
  MlirOpOperand use = mlirValueGetFirstUse(v);
  int shared = !mlirOpOperandIsNull(mlirOpOperandGetNextUse(use));
  char *name = op_name(bn), key[160];
  snprintf(key, sizeof key, "sp_bn_%s_%s_%ld", name, what, (*counter)++);
  free(name);
  for (char *k = key; *k; ++k) // resource keys are identifiers
    if (!(*k == '_' || *k == '.' || (*k >= '0' && *k <= '9') || (*k >= 'a' && *k <= 'z') ||
          (*k >= 'A' && *k <= 'Z')))
      *k = '_';
  MlirAttribute value = sp_weight_create_copy(mlirValueGetType(v), key, data, (size_t)n * 4);
  if (shared) {
    MlirOperation copy = mlirOperationClone(init);
    mlirBlockInsertOwnedOperationAfter(mlirOperationGetBlock(init), init, copy);
    MlirContext ctx = mlirOperationGetContext(bn);
    MlirAttribute s = mlirStringAttrGet(ctx, sp_str(key));
    mlirOperationSetAttributeByName(copy, sp_str("onnx.names"), mlirArrayAttrGet(ctx, 1, &s));
    init = copy;
    mlirOperationSetOperand(bn, index, mlirOperationGetResult(copy, 0));
  }
  mlirOperationSetAttributeByName(init, sp_str("value"), value);
}

/* Measures the BNs of one run and writes their new statistics. */
static int run_round(MlirOperation module, const char *dir, bn_stats **bns, size_t n,
                     long *counter) {
  MlirValue *inputs = calloc(n + 1, sizeof *inputs);
  for (size_t i = 0; i < n; ++i) {
    inputs[i] = mlirOperationGetOperand(bns[i]->op, 0);
    bns[i]->mean = calloc((size_t)bns[i]->channels + 1, sizeof(double));
    bns[i]->m2 = calloc((size_t)bns[i]->channels + 1, sizeof(double));
  }
  round_ctx r = {bns, dir};
  int rc = sp_calibration_run(module, PASS, dir, inputs, n, accumulate, &r);
  for (size_t i = 0; !rc && i < n; ++i) {
    bn_stats *bn = bns[i];
    if (bn->count == 0) {
      sp_emit_error(bn->op, PASS ": calibration: no samples reached this BatchNormalization "
                            "(empty batch in '%s'?)", dir);
      rc = -1;
      break;
    }
    float *mean = malloc((size_t)bn->channels * sizeof *mean + 1);
    float *var = malloc((size_t)bn->channels * sizeof *var + 1);
    for (int64_t c = 0; c < bn->channels && !rc; ++c) {
      mean[c] = (float)bn->mean[c];
      var[c] = (float)(bn->m2[c] / bn->count);
      if (!isfinite(var[c])) {
        sp_emit_error(bn->op, PASS ": calibration: the variance of channel %lld, %g, "
                              "overflows float32 (calibration data in '%s')",
                      (long long)c, bn->m2[c] / bn->count, dir);
        rc = -1;
      }
    }
    if (rc) {
      free(mean);
      free(var);
      break;
    }
    write_stat(bn->op, 3, mean, bn->channels, "mean", counter);
    write_stat(bn->op, 4, var, bn->channels, "var", counter);
    free(mean);
    free(var);
  }
  free(inputs);
  return rc;
}

int sp_recalibrate_bn_run(MlirOperation module, const sp_pass_args *args) {
  const char *dir = sp_pass_arg_string(args, "calibration");
  long rounds = sp_pass_arg_int(args, "rounds");
  if (!dir || !*dir) {
    sp_emit_error(module, PASS ": needs calibration=DIR (input_0.pb, ... or test_data_set_*/)");
    return -1;
  }
  MlirOperation fn = sp_find_main(module);
  if (mlirOperationIsNull(fn)) {
    sp_emit_error(module, PASS ": module has no func.func");
    return -1;
  }
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  size_t n = 0;
  bn_stats *bns = find_bns(body, &n);
  int levels = 0;
  for (size_t i = 0; i < n; ++i) {
    if (rounds > 0 && bns[i].level > rounds)
      bns[i].level = (int)rounds;
    levels = bns[i].level > levels ? bns[i].level : levels;
  }
  if (n == 0)
    remark((MlirOperation){NULL}, "no BatchNormalization to recalibrate");
  bn_stats **round = calloc(n + 1, sizeof *round);
  MlirContext ctx = mlirOperationGetContext(module);
  MlirAttribute *done = calloc(n + 1, sizeof *done);
  long counter = 0;
  size_t n_done = 0;
  int rc = 0;
  for (int level = 1; level <= levels && !rc; ++level) {
    size_t k = 0;
    for (size_t i = 0; i < n; ++i)
      if (bns[i].level == level)
        round[k++] = &bns[i];
    if (k && (rc = run_round(module, dir, round, k, &counter)) == 0)
      for (size_t i = 0; i < k; ++i) {
        char *name = op_name(round[i]->op);
        MlirAttribute pair[2] = {mlirStringAttrGet(ctx, sp_str(name)),
                                 mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), level)};
        free(name);
        done[n_done++] = mlirArrayAttrGet(ctx, 2, pair);
      }
  }
  // [[name, run], ...]: which BNs were recalibrated, in which run.
  if (!rc)
    mlirOperationSetDiscardableAttributeByName(module, sp_str("sp.recalibrated_bn"),
                                               mlirArrayAttrGet(ctx, (intptr_t)n_done, done));
  for (size_t i = 0; i < n; ++i) {
    free(bns[i].mean);
    free(bns[i].m2);
  }
  free(done);
  free(round);
  free(bns);
  return rc ? -1 : 0;
}

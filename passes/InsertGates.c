/* sp-insert-gates: a learnable per-unit scale after every prunable
 * producer (network slimming with explicit gates, docs/pruning.md).
 *
 * For each Conv or Gemm whose output channels (dim 1) all belong to prunable
 * dependency groups, y = producer(x) (or BatchNormalization(producer(x)) when
 * the BN is the output's only user and after-bn is set) becomes
 *   y' = Mul(y, g),  g = nn.Initializer "sp.gate.<y>" of init shaped (1, C, 1, ...)
 * An ONNX Mul by a per-channel initializer: sp-train trains it, the
 * dependency groups see g's dim 1 as a member of y's group (broadcast), so
 * sp-prune slices it with the channels, sp-importance{criterion=gate} reads
 * |g| and sp-canonicalize folds it back into the producer's weights. */
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp/dialect.h"
#include "sp/gates.h"
#include "sp/groups.h"
#include "sp/passes.h"
#include "sp/weights.h"

static int is_op(MlirOperation op, const char *name) {
  if (mlirOperationIsNull(op))
    return 0;
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return s.length == strlen(name) && !memcmp(s.data, name, s.length);
}

/* The only user of v, or a null op when v has none or several uses. */
static MlirOperation sole_user(MlirValue v, unsigned *operand) {
  MlirOpOperand u = mlirValueGetFirstUse(v);
  if (mlirOpOperandIsNull(u) || !mlirOpOperandIsNull(mlirOpOperandGetNextUse(u)))
    return (MlirOperation){NULL};
  *operand = mlirOpOperandGetOperandNumber(u);
  return mlirOpOperandGetOwner(u);
}

/* 1 when op's result 0 (or its location) is named like a gate. */
static int named_gate(MlirValue v) {
  if (!mlirValueIsAOpResult(v))
    return 0;
  size_t len = 0;
  const char *n = sp_op_result_name(mlirOpResultGetOwner(v), 0, &len);
  return sp_gate_name(n, len);
}

/* 1 when every segment of the producer output's channel dim is prunable. */
static int gateable(sp_groups *g, MlirOperation prod) {
  sp_value_info *v = sp_groups_value(g, mlirOperationGetResult(prod, 0));
  if (!v || v->rank < 2 || v->size[1] < 2 || !v->dims[1].n)
    return 0;
  for (int32_t i = 0; i < v->dims[1].n; ++i) {
    const sp_group_info *gi = sp_groups_of_segment(g, &v->dims[1].segs[i]);
    if (!gi || !sp_group_prunable(gi))
      return 0;
  }
  return 1;
}

static void set_name(MlirContext ctx, MlirOperation op, const char *name) {
  MlirAttribute s = mlirStringAttrGet(ctx, sp_str(name));
  mlirOperationSetAttributeByName(op, sp_str("onnx.names"), mlirArrayAttrGet(ctx, 1, &s));
}

/* Puts y' = Mul(y, gate) after y's op and gives y's users y'. */
static void insert_gate(MlirBlock body, MlirValue y, float init, long index) {
  MlirContext ctx = mlirTypeGetContext(mlirValueGetType(y));
  MlirOperation def = mlirOpResultGetOwner(y);
  MlirType yt = mlirValueGetType(y);
  intptr_t rank = mlirShapedTypeGetRank(yt);
  int64_t shape[16], c = mlirShapedTypeGetDimSize(yt, 1);
  for (intptr_t d = 0; d < rank; ++d)
    shape[d] = d == 1 ? c : 1;
  char base[256], name[320], key[320];
  size_t len = 0;
  const char *yn = sp_op_result_name(def, mlirOpResultGetResultNumber(y), &len);
  if (yn && len)
    snprintf(base, sizeof base, "%.*s", (int)len, yn);
  else
    snprintf(base, sizeof base, "unit%ld", index);
  // Exporters name values like "/layer1/conv/Conv_output_0": gate names stay
  // usable as file names (sp-train --dump-gradients writes <name>.pb).
  char *w = base;
  for (const char *r = base; *r; ++r)
    if (*r != '/' || w != base)
      *w++ = (*r == '/' || *r == '\\' || *r == ':') ? '_' : *r;
  *w = 0;
  snprintf(name, sizeof name, SP_GATE_PREFIX "%s", base);
  snprintf(key, sizeof key, "sp_gate_%ld", index); // resource keys are identifiers
  float *ones = malloc((size_t)c * sizeof *ones);
  for (int64_t i = 0; i < c; ++i)
    ones[i] = init;
  MlirType gt = mlirRankedTensorTypeGet(rank, shape, mlirF32TypeGet(ctx), mlirAttributeGetNull());
  MlirAttribute value = sp_weight_create_copy(gt, key, ones, (size_t)c * sizeof *ones);
  free(ones);
  MlirLocation loc = mlirLocationNameGet(ctx, sp_str(name), mlirLocationUnknownGet(ctx));
  MlirOperationState st = mlirOperationStateGet(sp_str("nn.Initializer"), loc);
  mlirOperationStateAddResults(&st, 1, &gt);
  MlirNamedAttribute attr = sp_named(ctx, "value", value);
  mlirOperationStateAddAttributes(&st, 1, &attr);
  MlirOperation gate = mlirOperationCreate(&st);
  set_name(ctx, gate, name);
  mlirBlockInsertOwnedOperationBefore(body, mlirBlockGetFirstOperation(body), gate);

  MlirOperationState ms = mlirOperationStateGet(sp_str("nn.Mul"), loc);
  MlirValue operands[2] = {y, mlirOperationGetResult(gate, 0)};
  mlirOperationStateAddOperands(&ms, 2, operands);
  mlirOperationStateAddResults(&ms, 1, &yt);
  MlirOperation mul = mlirOperationCreate(&ms);
  snprintf(name, sizeof name, "%s_gated", base);
  set_name(ctx, mul, name);
  mlirBlockInsertOwnedOperationAfter(body, def, mul);
  mlirValueReplaceAllUsesOfWith(y, mlirOperationGetResult(mul, 0));
  mlirOperationSetOperand(mul, 0, y); // the line above made the Mul read itself
}

int sp_insert_gates_run(MlirOperation module, const sp_pass_args *args) {
  float init = (float)sp_pass_arg_float(args, "init");
  int after_bn = sp_pass_arg_bool(args, "after-bn");
  sp_groups *g = sp_groups_analyze(module);
  if (!g)
    return -1;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(g->func, 0));
  size_t n = 0, cap = 16;
  MlirValue *targets = malloc(cap * sizeof *targets);
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if ((!is_op(op, "nn.Conv") && !is_op(op, "nn.Gemm")) || !gateable(g, op))
      continue;
    MlirValue y = mlirOperationGetResult(op, 0);
    unsigned operand = 0;
    MlirOperation user = sole_user(y, &operand);
    if (after_bn && is_op(user, "nn.BatchNormalization") && operand == 0 &&
        mlirOperationGetNumResults(user) == 1)
      y = mlirOperationGetResult(user, 0);
    // Already gated (the pass ran before): one gate is enough.
    user = sole_user(y, &operand);
    if (is_op(user, "nn.Mul") && operand == 0 &&
        named_gate(mlirOperationGetOperand(user, 1)))
      continue;
    if (mlirShapedTypeGetRank(mlirValueGetType(y)) > 16)
      continue;
    if (n == cap)
      targets = realloc(targets, (cap *= 2) * sizeof *targets);
    targets[n++] = y;
  }
  sp_groups_free(g);
  for (size_t i = 0; i < n; ++i)
    insert_gate(body, targets[i], init, (long)i);
  free(targets);
  return 0;
}

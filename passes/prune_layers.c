/* sp-prune{drop-layers=N}: removes the N least important residual blocks.
 *
 * A residual block is an Add(s, f) whose operands and result have one type and
 * whose shortcut s is an ancestor of the branch output f; the branch is every
 * op between them that depends on s, and it must be private (used only inside
 * the branch or by the Add). Removing the block replaces the Add by s; the
 * branch becomes dead and is erased with its weights.
 *
 * Importance with calibration data (calibration.c): 1 - the mean cosine
 * similarity of s and the Add's result per sample (ShortGPT's block
 * influence), measured once on the model as given. Without it (the
 * weight-based fallback): the branch's gain estimate sum ||W||_F^2 / fan_in
 * over its Conv, Gemm and MatMul weights (the mean-square output of W x for
 * unit-variance x, per input). */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdlib.h>
#include <string.h>

#include "prune_internal.h"
#include "sp/dialect.h"
#include "sp/hashmap.h"
#include "sp/passes.h"
#include "sp/weights.h"

static int is_source(MlirOperation op) {
  char type[64];
  sp_op_type(op, type, sizeof type);
  return !strcmp(type, "Initializer") || !strcmp(type, "Constant") || !strcmp(type, "None");
}

/* ||W||_F^2 / fan_in of a weight operand, or 0. */
static double weight_gain(MlirValue w, int out_dim) {
  if (!mlirValueIsAOpResult(w) || !is_source(mlirOpResultGetOwner(w)))
    return 0;
  MlirOperation op = mlirOpResultGetOwner(w);
  MlirAttribute attr = mlirOperationGetAttributeByName(op, sp_str("value"));
  MlirType t = mlirValueGetType(w);
  if (mlirAttributeIsNull(attr) || !mlirTypeIsAF32(mlirShapedTypeGetElementType(t)) ||
      !mlirShapedTypeHasRank(t) || mlirShapedTypeGetRank(t) < 2)
    return 0;
  const void *data;
  size_t bytes;
  if (sp_weight_data(attr, &data, &bytes, NULL))
    return 0;
  // Zero-copy weights may sit at any byte offset of the model file.
  const unsigned char *bytes_at = data;
  size_t n = bytes / sizeof(float);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    float x;
    memcpy(&x, bytes_at + i * sizeof x, sizeof x);
    sum += (double)x * x;
  }
  int64_t out = mlirShapedTypeGetDimSize(t, out_dim < 0 ? mlirShapedTypeGetRank(t) - 1 : out_dim);
  double fan_in = out > 0 ? (double)n / (double)out : 1;
  return sum / fan_in;
}

static double op_gain(MlirOperation op) {
  char type[64];
  sp_op_type(op, type, sizeof type);
  if (!strcmp(type, "Conv") || !strcmp(type, "ConvTranspose"))
    return weight_gain(mlirOperationGetOperand(op, 1), !strcmp(type, "Conv") ? 0 : 1);
  if (!strcmp(type, "Gemm"))
    return weight_gain(mlirOperationGetOperand(op, 1), sp_op_attr_int(op, "transB", 0) ? 0 : 1);
  if (!strcmp(type, "MatMul"))
    return weight_gain(mlirOperationGetOperand(op, 1), -1);
  return 0;
}

/* Ops of the branch from s to f (those depending on s), into `branch`
 * (op ptr -> 1). Returns 0 when f depends on s, -1 otherwise. */
static int collect_branch(MlirValue s, MlirValue f, const sp_map *position, sp_map *branch) {
  if (!mlirValueIsAOpResult(f))
    return -1;
  intptr_t floor = -1;
  if (mlirValueIsAOpResult(s))
    floor = (intptr_t)sp_map_get_ptr(position, mlirOpResultGetOwner(s).ptr, NULL);
  // Backward from f over ops after s; then keep those reached forward from s.
  size_t cap = 256, n = 0;
  MlirOperation *stack = malloc(cap * sizeof *stack);
  sp_map seen, depends;
  sp_map_init(&seen);
  sp_map_init(&depends);
  stack[n++] = mlirOpResultGetOwner(f);
  sp_map_put_ptr(&seen, stack[0].ptr, (void *)1);
  while (n) {
    MlirOperation op = stack[--n];
    for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); ++i) {
      MlirValue v = mlirOperationGetOperand(op, i);
      if (!mlirValueIsAOpResult(v))
        continue;
      MlirOperation def = mlirOpResultGetOwner(v);
      intptr_t pos = (intptr_t)sp_map_get_ptr(position, def.ptr, NULL);
      if (pos <= floor || sp_map_get_ptr(&seen, def.ptr, NULL))
        continue;
      sp_map_put_ptr(&seen, def.ptr, (void *)1);
      if (n == cap)
        stack = realloc(stack, (cap *= 2) * sizeof *stack);
      stack[n++] = def;
    }
  }
  // Forward from s, within `seen`.
  n = 0;
  for (MlirOpOperand u = mlirValueGetFirstUse(s); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) {
    MlirOperation user = mlirOpOperandGetOwner(u);
    if (sp_map_get_ptr(&seen, user.ptr, NULL) && !sp_map_get_ptr(&depends, user.ptr, NULL)) {
      sp_map_put_ptr(&depends, user.ptr, (void *)1);
      if (n == cap)
        stack = realloc(stack, (cap *= 2) * sizeof *stack);
      stack[n++] = user;
    }
  }
  while (n) {
    MlirOperation op = stack[--n];
    for (intptr_t r = 0; r < mlirOperationGetNumResults(op); ++r)
      for (MlirOpOperand u = mlirValueGetFirstUse(mlirOperationGetResult(op, r));
           !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) {
        MlirOperation user = mlirOpOperandGetOwner(u);
        if (sp_map_get_ptr(&seen, user.ptr, NULL) && !sp_map_get_ptr(&depends, user.ptr, NULL)) {
          sp_map_put_ptr(&depends, user.ptr, (void *)1);
          if (n == cap)
            stack = realloc(stack, (cap *= 2) * sizeof *stack);
          stack[n++] = user;
        }
      }
  }
  int ok = sp_map_get_ptr(&depends, mlirOpResultGetOwner(f).ptr, NULL) != NULL;
  *branch = depends;
  sp_map_free(&seen);
  free(stack);
  return ok ? 0 : -1;
}

/* Every result of every branch op is used only inside the branch or by add. */
static int private_branch(const sp_map *branch, MlirOperation add) {
  for (size_t i = 0; i < branch->capacity; ++i) {
    if (!branch->slots[i].key)
      continue;
    MlirOperation op = {(void *)branch->slots[i].key};
    for (intptr_t r = 0; r < mlirOperationGetNumResults(op); ++r)
      for (MlirOpOperand u = mlirValueGetFirstUse(mlirOperationGetResult(op, r));
           !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) {
        MlirOperation user = mlirOpOperandGetOwner(u);
        if (user.ptr != add.ptr && !sp_map_get_ptr(branch, user.ptr, NULL))
          return 0;
      }
  }
  return 1;
}

static int same_type(MlirValue a, MlirValue b) {
  return mlirTypeEqual(mlirValueGetType(a), mlirValueGetType(b));
}

sp_residual_block *sp_find_residual_blocks(MlirBlock body, size_t *n) {
  sp_map position;
  sp_map_init(&position);
  intptr_t pos = 1;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    sp_map_put_ptr(&position, op.ptr, (void *)pos++);
  size_t cap = 16;
  sp_residual_block *blocks = malloc(cap * sizeof *blocks);
  *n = 0;
  char type[64];
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (strcmp(sp_op_type(op, type, sizeof type), "Add") || mlirOperationGetNumOperands(op) != 2)
      continue;
    MlirValue y = mlirOperationGetResult(op, 0);
    for (int side = 0; side < 2; ++side) {
      MlirValue s = mlirOperationGetOperand(op, side), f = mlirOperationGetOperand(op, 1 - side);
      if (!same_type(s, y) || !same_type(f, y))
        continue;
      sp_map branch;
      sp_map_init(&branch);
      if (collect_branch(s, f, &position, &branch) == 0 && private_branch(&branch, op)) {
        double gain = 0;
        for (size_t i = 0; i < branch.capacity; ++i)
          if (branch.slots[i].key)
            gain += op_gain((MlirOperation){(void *)branch.slots[i].key});
        if (*n == cap)
          blocks = realloc(blocks, (cap *= 2) * sizeof *blocks);
        blocks[(*n)++] = (sp_residual_block){op, s, gain};
        sp_map_free(&branch);
        break;
      }
      sp_map_free(&branch);
    }
  }
  sp_map_free(&position);
  return blocks;
}

/* Erases nn/onnx ops whose results are all unused, last to first. */
static void erase_dead(MlirBlock body) {
  size_t cap = 1024, n = 0;
  MlirOperation *ops = malloc(cap * sizeof *ops);
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (n == cap)
      ops = realloc(ops, (cap *= 2) * sizeof *ops);
    ops[n++] = op;
  }
  // Users come after their operands: one backward sweep erases whole chains.
  char type[64];
  for (size_t i = n; i-- > 0;) {
    MlirOperation op = ops[i];
    int dead = sp_op_type(op, type, sizeof type)[0] && mlirOperationGetNumResults(op) > 0;
    for (intptr_t r = 0; dead && r < mlirOperationGetNumResults(op); ++r)
      dead = mlirOpOperandIsNull(mlirValueGetFirstUse(mlirOperationGetResult(op, r)));
    if (dead)
      mlirOperationDestroy(op);
  }
  free(ops);
}

/* Writes sp.block_importance = [["add name", score], ...] (model order). */
static void record_importance(MlirOperation module, const sp_residual_block *blocks, size_t n) {
  MlirContext ctx = mlirOperationGetContext(module);
  MlirAttribute *rows = malloc((n + 1) * sizeof *rows);
  for (size_t i = 0; i < n; ++i) {
    char *name = sp_location_name(mlirOperationGetLocation(blocks[i].add), NULL);
    MlirAttribute pair[2] = {mlirStringAttrGet(ctx, sp_str(name ? name : "?")),
                             mlirFloatAttrDoubleGet(ctx, mlirF64TypeGet(ctx), blocks[i].importance)};
    free(name);
    rows[i] = mlirArrayAttrGet(ctx, 2, pair);
  }
  mlirOperationSetDiscardableAttributeByName(module, sp_str("sp.block_importance"),
                                             mlirArrayAttrGet(ctx, (intptr_t)n, rows));
  free(rows);
}

int sp_prune_drop_layers(MlirOperation module, long count, const char *calibration) {
  MlirOperation fn = sp_find_main(module);
  if (mlirOperationIsNull(fn))
    return sp_emit_error(module, "sp-prune: module has no func.func"), -1;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  MlirContext ctx = mlirOperationGetContext(module);
  // Calibrated scores are measured once, on the model as given, keyed by Add.
  sp_map calibrated;
  sp_map_init(&calibrated);
  size_t n0 = 0;
  sp_residual_block *first = sp_find_residual_blocks(body, &n0);
  double *influence = malloc((n0 + 1) * sizeof *influence);
  if (calibration && *calibration && n0 > 0) {
    if (sp_block_influence(module, calibration, first, n0, influence)) {
      free(first);
      free(influence);
      sp_map_free(&calibrated);
      return -1;
    }
    for (size_t i = 0; i < n0; ++i) {
      first[i].importance = influence[i];
      sp_map_put_ptr(&calibrated, first[i].add.ptr, &influence[i]);
    }
  }
  record_importance(module, first, n0);
  free(first);
  MlirAttribute *names = malloc((size_t)(count + 1) * sizeof *names);
  int rc = 0;
  for (long k = 0; k < count && !rc; ++k) {
    size_t n = 0;
    sp_residual_block *blocks = sp_find_residual_blocks(body, &n);
    if (n == 0) {
      sp_emit_error(module, "sp-prune: drop-layers=%ld but the model has %ld removable "
                            "residual blocks", count, k);
      free(blocks);
      rc = -1;
      break;
    }
    // A block that only became removable after a removal has no calibrated
    // score: it goes after every scored block (weight-based among themselves).
    size_t best = 0;
    int best_scored = 0;
    for (size_t i = 0; i < n; ++i) {
      const double *score = sp_map_get_ptr(&calibrated, blocks[i].add.ptr, NULL);
      int scored = score != NULL;
      if (scored)
        blocks[i].importance = *score;
      if (i == 0 || scored > best_scored ||
          (scored == best_scored && blocks[i].importance < blocks[best].importance)) {
        best = i;
        best_scored = scored;
      }
    }
    char *name = sp_location_name(mlirOperationGetLocation(blocks[best].add), NULL);
    names[k] = mlirStringAttrGet(ctx, sp_str(name ? name : "?"));
    free(name);
    mlirValueReplaceAllUsesOfWith(mlirOperationGetResult(blocks[best].add, 0),
                                  blocks[best].shortcut);
    free(blocks);
    erase_dead(body);
  }
  if (!rc)
    mlirOperationSetDiscardableAttributeByName(module, sp_str("sp.dropped_blocks"),
                                               mlirArrayAttrGet(ctx, count, names));
  free(names);
  free(influence);
  sp_map_free(&calibrated);
  return rc;
}

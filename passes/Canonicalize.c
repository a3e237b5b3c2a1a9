/* sp-canonicalize: remove what pruning and exporters leave behind.
 *
 * Runs the rule sets of passes/canon_*.c over every func.func body until
 * nothing changes: gates folded into their producers (fold-gates=true,
 * canon_gate.c), BatchNormalization folding (fold-bn=true), static shape
 * arithmetic folded into constants (canon_shape.c), identities, chains and
 * zero-width channels (canon_simplify.c), duplicate nn.Constant ops merged,
 * and dead ops erased. IRDL ops carry no side-effect information, so
 * upstream canonicalize and cse never erase a dead nn op; this pass does
 * (every nn.* and onnx.* op is pure: an ONNX graph is a dataflow graph). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon_internal.h"
#include "sp/dialect.h"
#include "sp/passes.h"

#define MAX_ROUNDS 16

static int is_graph_op(MlirOperation op) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  return (s.length > 3 && !memcmp(s.data, "nn.", 3)) ||
         (s.length > 5 && !memcmp(s.data, "onnx.", 5));
}

// Erases every nn/onnx op whose results are all unused, users first (the C
// API has no previous-op link: walk a snapshot backwards).
static long erase_dead(canon_ctx *c) {
  size_t n = 0, cap = 256;
  MlirOperation *ops = malloc(cap * sizeof *ops);
  for (MlirOperation op = mlirBlockGetFirstOperation(c->body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (n == cap)
      ops = realloc(ops, (cap *= 2) * sizeof *ops);
    ops[n++] = op;
  }
  long removed = 0;
  while (n-- > 0) {
    MlirOperation op = ops[n];
    int dead = is_graph_op(op) && mlirOperationGetNumRegions(op) == 0;
    for (intptr_t i = 0; dead && i < mlirOperationGetNumResults(op); ++i)
      dead = canon_unused(mlirOperationGetResult(op, i));
    if (dead) {
      mlirOperationDestroy(op);
      removed++;
    }
  }
  free(ops);
  c->stats.removed += removed;
  return removed;
}

// Merges nn.Constant ops with the same value (attributes are uniqued, so the
// value attribute's pointer identifies it).
static long merge_constants(canon_ctx *c) {
  sp_map seen;
  sp_map_init(&seen);
  long merged = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(c->body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!canon_is(op, "nn.Constant") || mlirOperationGetNumResults(op) != 1)
      continue;
    MlirValue r = mlirOperationGetResult(op, 0);
    MlirAttribute v = mlirOperationGetAttributeByName(op, sp_str("value"));
    if (mlirAttributeIsNull(v) || !mlirAttributeIsADenseElements(v) || canon_unused(r))
      continue;
    MlirOperation first = {sp_map_get_ptr(&seen, v.ptr, NULL)};
    if (mlirOperationIsNull(first)) {
      sp_map_put_ptr(&seen, v.ptr, (void *)op.ptr);
      continue;
    }
    if (canon_replace(r, mlirOperationGetResult(first, 0)) == 0)
      merged++;
  }
  sp_map_free(&seen);
  c->stats.constants_merged += merged;
  return merged;
}

static void canonicalize_body(canon_ctx *c) {
  for (int round = 0; round < MAX_ROUNDS; ++round) {
    long changes = 0;
    // Gates first: a gate after a BN folds into the BN, which fold-bn then folds.
    if (c->fold_gates)
      changes += canon_fold_gates(c);
    if (c->fold_bn)
      changes += canon_fold_batchnorm(c);
    changes += canon_fold_shapes(c);
    changes += canon_simplify(c);
    changes += merge_constants(c);
    changes += erase_dead(c);
    if (!changes)
      break;
  }
}

static int write_stats(MlirOperation module, const canon_stats *s, const char *path) {
  sp_output o;
  FILE *out = sp_pass_output_open(module, "sp-canonicalize", &o, path, stderr);
  if (!out)
    return -1;
  fprintf(out,
          "sp-canonicalize: folded=%ld reshape_targets=%ld identities=%ld chains=%ld "
          "concat_inputs=%ld zero_branches=%ld bn_folded=%ld gates_folded=%ld constants_merged=%ld "
          "removed=%ld\n",
          s->folded, s->reshape_targets, s->identities, s->chains, s->concat_inputs,
          s->zero_branches, s->bn_folded, s->gates_folded, s->constants_merged, s->removed);
  return sp_pass_output_close(module, "sp-canonicalize", &o);
}

int sp_canonicalize_run(MlirOperation module, const sp_pass_args *args) {
  canon_ctx c;
  memset(&c, 0, sizeof c);
  c.mlir = mlirOperationGetContext(module);
  c.fold_bn = sp_pass_arg_bool(args, "fold-bn");
  c.fold_gates = sp_pass_arg_bool(args, "fold-gates");
  MlirBlock top = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  for (MlirOperation op = mlirBlockGetFirstOperation(top); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!canon_is(op, "func.func") || mlirOperationGetNumRegions(op) != 1)
      continue;
    MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(op, 0));
    if (mlirBlockIsNull(body))
      continue;
    c.body = body;
    canonicalize_body(&c);
  }
  const char *stats = sp_pass_arg_string(args, "stats");
  if (stats && *stats)
    return write_stats(module, &c.stats, stats);
  return 0;
}

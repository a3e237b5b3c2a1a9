/* taylor criterion of sp-importance, the groups side (docs/pruning.md): which
 * value every prunable group's producer outputs (through the
 * BatchNormalization that reads it alone, when there is one), the parameters
 * that value is linear in, and the reduction of its per-channel scores to
 * units; importance_grad.c's sp_saliency_taylor does the data and gradients. */
#include <mlir-c/BuiltinTypes.h>
#include <stdlib.h>
#include <string.h>

#include "importance_internal.h"
#include "sp/dialect.h"

/* The nn.Initializer defining operand pos of op, or a null op. */
static MlirOperation initializer_operand(MlirOperation op, intptr_t pos) {
  char type[64];
  if (mlirOperationGetNumOperands(op) <= pos)
    return (MlirOperation){NULL};
  MlirValue v = mlirOperationGetOperand(op, pos);
  if (!mlirValueIsAOpResult(v))
    return (MlirOperation){NULL};
  MlirOperation def = mlirOpResultGetOwner(v);
  return strcmp(sp_op_type(def, type, sizeof type), "Initializer") ? (MlirOperation){NULL}
                                                                     : def;
}

/* A per-channel vector parameter (bias, gamma, beta) of `channels` entries
 * at operand pos of op, appended to tg; shapes like (1, C) count as (C). */
static void add_vector(sp_taylor_target *tg, MlirOperation op, intptr_t pos, int64_t channels) {
  MlirOperation init = initializer_operand(op, pos);
  if (mlirOperationIsNull(init))
    return;
  MlirType t = mlirValueGetType(mlirOperationGetResult(init, 0));
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t))
    return;
  int64_t numel = 1;
  for (intptr_t d = 0; d < mlirShapedTypeGetRank(t); ++d)
    numel *= mlirShapedTypeGetDimSize(t, d);
  if (numel != channels)
    return;
  tg->params[tg->num_params++] = (sp_taylor_param){init, 1, channels, 1};
}

/* The BatchNormalization reading v as its only use (operand 0), or null. */
static MlirOperation batchnorm_after(MlirValue v) {
  char type[64];
  MlirOpOperand u = mlirValueGetFirstUse(v);
  if (mlirOpOperandIsNull(u) || !mlirOpOperandIsNull(mlirOpOperandGetNextUse(u)) ||
      mlirOpOperandGetOperandNumber(u) != 0)
    return (MlirOperation){NULL};
  MlirOperation user = mlirOpOperandGetOwner(u);
  return strcmp(sp_op_type(user, type, sizeof type), "BatchNormalization") ? (MlirOperation){NULL}
                                                                             : user;
}

/* One producer weight of a group and the target scoring its output. */
typedef struct {
  size_t group;
  const sp_member *member;
} taylor_vote;

int sp_importance_taylor(MlirOperation module, const struct sp_pass_args *args, sp_groups *g,
                         sp_importance_reduce reduce, double **scores) {
  size_t cap = 16, n = 0;
  taylor_vote *votes = malloc(cap * sizeof *votes);
  sp_taylor_target *targets = malloc(cap * sizeof *targets);
  for (size_t id = 0; id < g->num_groups; ++id) {
    const sp_group_info *gi = &g->groups[id];
    if (!scores[id])
      continue;
    for (size_t m = 0; m < gi->num_members; ++m) {
      const sp_member *mb = &gi->members[m];
      MlirOperation producer = sp_importance_producer(mb);
      if (mlirOperationIsNull(producer))
        continue;
      if (n == cap) {
        cap *= 2;
        votes = realloc(votes, cap * sizeof *votes);
        targets = realloc(targets, cap * sizeof *targets);
      }
      const sp_value_info *w = mb->value;
      int64_t channels = w->size[mb->dim];
      sp_taylor_target *tg = &targets[n];
      memset(tg, 0, sizeof *tg);
      MlirOperation bn = batchnorm_after(mlirOperationGetResult(producer, 0));
      if (!mlirOperationIsNull(bn)) { // a = gamma * xhat + beta
        add_vector(tg, bn, 1, channels);
        add_vector(tg, bn, 2, channels);
      } else { // a = W x + b
        int64_t outer = 1, inner = 1;
        for (int d = 0; d < w->rank; ++d) {
          if (d < mb->dim)
            outer *= w->size[d];
          else if (d > mb->dim)
            inner *= w->size[d];
        }
        tg->params[tg->num_params++] = (sp_taylor_param){w->owner, outer, channels, inner};
        add_vector(tg, producer, 2, channels);
      }
      if (!tg->num_params)
        continue;
      tg->score = calloc((size_t)channels, sizeof *tg->score);
      votes[n++] = (taylor_vote){id, mb};
    }
  }
  int rc = n ? sp_saliency_taylor(module, args, targets, n) : 0;
  // Unit u of a group sums its channels' scores; producers combine by reduce.
  for (size_t id = 0; !rc && id < g->num_groups; ++id) {
    int64_t units = g->groups[id].units;
    double *v = malloc((size_t)units * sizeof *v);
    int voters = 0;
    for (size_t j = 0; j < n; ++j) {
      if (votes[j].group != id)
        continue;
      const sp_member *mb = votes[j].member;
      int64_t block = mb->channels / units;
      for (int64_t u = 0; u < units; ++u) {
        v[u] = 0;
        for (int64_t c = 0; c < block; ++c)
          v[u] += targets[j].score[mb->start + u * block + c];
      }
      sp_importance_vote(scores[id], v, units, voters++, reduce);
    }
    sp_importance_finish(scores[id], units, voters, reduce);
    free(v);
  }
  for (size_t j = 0; j < n; ++j)
    free(targets[j].score);
  free(targets);
  free(votes);
  return rc;
}

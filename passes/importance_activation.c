/* activation and apoz criteria of sp-importance (docs/pruning.md): what a
 * unit's channels output on calibration data, observed after the Relu that
 * follows the group's producer (Hu et al. 2016's APoZ; mean |a| as in
 * Molchanov et al. 2017's activation baseline). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "importance_internal.h"
#include "sp/dialect.h"

/* One observed value of one group. */
typedef struct observation {
  size_t group, value; /* compact group id, index into the value list */
  int64_t start, channels;
  int relu;
} observation;

/* The single user of v, or a null op. */
static MlirOperation only_user(MlirValue v) {
  MlirOpOperand u = mlirValueGetFirstUse(v);
  if (mlirOpOperandIsNull(u) || !mlirOpOperandIsNull(mlirOpOperandGetNextUse(u)) ||
      mlirOpOperandGetOperandNumber(u) != 0)
    return (MlirOperation){NULL};
  return mlirOpOperandGetOwner(u);
}

/* From the producer's output through a BatchNormalization to a Relu: the
 * value to observe; *relu tells whether it is a Relu's output. */
static MlirValue follow(MlirOperation producer, int *relu) {
  MlirValue v = mlirOperationGetResult(producer, 0);
  char type[64];
  *relu = 0;
  for (int step = 0; step < 2; ++step) {
    MlirOperation user = only_user(v);
    if (mlirOperationIsNull(user))
      break;
    sp_op_type(user, type, sizeof type);
    if (!strcmp(type, "BatchNormalization") && step == 0) {
      v = mlirOperationGetResult(user, 0);
    } else if (!strcmp(type, "Relu")) {
      *relu = 1;
      return mlirOperationGetResult(user, 0);
    } else {
      break;
    }
  }
  return v;
}

int sp_importance_observed(MlirOperation module, sp_groups *g, const char *dir, int apoz,
                           sp_importance_reduce reduce, double **scores) {
  size_t cap = 16, n_obs = 0, n_values = 0;
  observation *obs = malloc(cap * sizeof *obs);
  MlirValue *values = malloc(cap * sizeof *values);
  int *axes = malloc(cap * sizeof *axes);
  int64_t *sizes = malloc(cap * sizeof *sizes);
  for (size_t id = 0; id < g->num_groups; ++id) {
    const sp_group_info *gi = &g->groups[id];
    if (!scores[id])
      continue;
    for (size_t m = 0; m < gi->num_members; ++m) {
      MlirOperation producer = sp_importance_producer(&gi->members[m]);
      if (mlirOperationIsNull(producer))
        continue;
      int relu;
      MlirValue v = follow(producer, &relu);
      if (apoz && !relu)
        continue;
      // The group's segment in that value gives the axis and the channels.
      const sp_member *seg = NULL;
      for (size_t k = 0; k < gi->num_members && !seg; ++k)
        if (!gi->members[k].value->is_weight && mlirValueEqual(gi->members[k].value->value, v))
          seg = &gi->members[k];
      if (!seg)
        continue;
      size_t at = 0;
      while (at < n_values && !mlirValueEqual(values[at], v))
        at++;
      if (n_obs == cap || n_values == cap) {
        cap *= 2;
        obs = realloc(obs, cap * sizeof *obs);
        values = realloc(values, cap * sizeof *values);
        axes = realloc(axes, cap * sizeof *axes);
        sizes = realloc(sizes, cap * sizeof *sizes);
      }
      if (at == n_values) {
        values[n_values] = v;
        axes[n_values] = seg->dim;
        sizes[n_values++] = seg->value->size[seg->dim];
      }
      obs[n_obs++] = (observation){id, at, seg->start, seg->channels, relu};
    }
  }
  double **abs_sum = calloc(n_values + 1, sizeof *abs_sum);
  double **zeros = calloc(n_values + 1, sizeof *zeros);
  double *count = calloc(n_values + 1, sizeof *count);
  for (size_t i = 0; i < n_values; ++i) {
    abs_sum[i] = calloc((size_t)sizes[i], sizeof **abs_sum);
    zeros[i] = calloc((size_t)sizes[i], sizeof **zeros);
  }
  int rc = n_values ? sp_channel_stats(module, dir, values, axes, sizes, n_values, abs_sum,
                                       zeros, count)
                    : 0;
  // Each group's observations, reduced as the weight criteria reduce members.
  for (size_t id = 0; !rc && id < g->num_groups; ++id) {
    int64_t units = g->groups[id].units;
    double *v = malloc((size_t)units * sizeof *v);
    int voters = 0;
    for (size_t j = 0; j < n_obs; ++j) {
      if (obs[j].group != id)
        continue;
      const observation *o = &obs[j];
      int64_t block = o->channels / units;
      double per = count[o->value] * (double)block;
      for (int64_t u = 0; u < units; ++u) {
        double sum = 0;
        for (int64_t c = 0; c < block; ++c) {
          int64_t ch = o->start + u * block + c;
          sum += apoz ? zeros[o->value][ch] : abs_sum[o->value][ch];
        }
        v[u] = per > 0 ? (apoz ? 1.0 - sum / per : sum / per) : 0;
      }
      sp_importance_vote(scores[id], v, units, voters++, reduce);
    }
    sp_importance_finish(scores[id], units, voters, reduce);
    free(v);
  }
  for (size_t i = 0; i < n_values; ++i) {
    free(abs_sum[i]);
    free(zeros[i]);
  }
  free(abs_sum);
  free(zeros);
  free(count);
  free(obs);
  free(values);
  free(axes);
  free(sizes);
  return rc;
}

/* Weight-based criteria of sp-importance beyond p-norms (docs/pruning.md):
 *   bn-scale  |gamma| of the BatchNormalization scales in the group (network
 *             slimming, Liu et al. 2017);
 *   gate      |g| of the gates sp-insert-gates put after the group's producers
 *             (network slimming with explicit gates, Liu et al. 2017);
 *   fpgm      per producer weight, each unit's filter's summed Euclidean
 *             distance to the other filters (He et al. 2019).
 * Each fills one group's scores and returns how many members voted; with no
 * voter the caller keeps the L2 scores it computed (the documented fallback). */
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdlib.h>
#include <string.h>

#include "importance_internal.h"
#include "sp/dialect.h"
#include "sp/gates.h"
#include "sp/weights.h"

static float load(const float *x, int64_t i) {
  float v;
  memcpy(&v, (const char *)x + i * 4, 4); // weight bytes need not be aligned
  return v;
}

/* The f32 data of a weight member's value, or NULL. */
static const float *weight_of(const sp_member *m, int64_t *numel) {
  MlirAttribute attr = mlirOperationGetAttributeByName(m->value->owner, sp_str("value"));
  MlirType t = mlirValueGetType(m->value->value);
  if (mlirAttributeIsNull(attr) || !mlirTypeIsAF32(mlirShapedTypeGetElementType(t)))
    return NULL;
  const void *data;
  size_t bytes;
  if (sp_weight_data(attr, &data, &bytes, NULL))
    return NULL;
  int64_t total = 1;
  for (int d = 0; d < m->value->rank; ++d)
    total *= m->value->size[d];
  if ((int64_t)(bytes / sizeof(float)) != total) // splat or dynamic: not a plain layout
    return NULL;
  *numel = total;
  return data;
}

/* 1 when some use of v is operand `index` of an op of ONNX type `type`
 * (*user gets that op). */
static int used_as(MlirValue v, const char *type, intptr_t index, MlirOperation *user) {
  char buf[64];
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u);
       u = mlirOpOperandGetNextUse(u)) {
    MlirOperation op = mlirOpOperandGetOwner(u);
    if (mlirOpOperandGetOperandNumber(u) == (unsigned)index &&
        !strcmp(sp_op_type(op, buf, sizeof buf), type)) {
      if (user)
        *user = op;
      return 1;
    }
  }
  return 0;
}

void sp_importance_vote(double *s, const double *v, int64_t units, int voters,
                        sp_importance_reduce r) {
  for (int64_t u = 0; u < units; ++u)
    if (r == SP_REDUCE_MAX)
      s[u] = voters == 0 || v[u] > s[u] ? v[u] : s[u];
    else
      s[u] = (voters == 0 ? 0 : s[u]) + v[u];
}

int sp_importance_finish(double *s, int64_t units, int voters, sp_importance_reduce r) {
  if (r == SP_REDUCE_MEAN && voters > 1)
    for (int64_t u = 0; u < units; ++u)
      s[u] /= voters;
  return voters;
}

/* A BatchNormalization scale of the group (bn-scale's voters). */
static int is_bn_scale(const sp_member *mb) {
  return mb->value->is_weight && mb->value->rank == 1 &&
         used_as(mb->value->value, "BatchNormalization", 1, NULL);
}

/* A gate of sp-insert-gates: an sp.gate.* initializer read by a Mul. */
static int is_gate(const sp_member *mb) {
  size_t len = 0;
  const char *name = mb->value->is_weight && !mlirOperationIsNull(mb->value->owner)
                         ? sp_op_result_name(mb->value->owner, 0, &len)
                         : NULL;
  return sp_gate_name(name, len) && used_as(mb->value->value, "Mul", 1, NULL);
}

/* s[u] = mean |x| over unit u's channels of every per-channel scale x of the
 * group that `wanted` picks (its channels run along mb->dim, every other dim
 * is 1), combined by reduce; returns the voters. */
static int scale_votes(const sp_group_info *gi, int (*wanted)(const sp_member *),
                       sp_importance_reduce reduce, double *s) {
  int64_t units = gi->units;
  double *v = malloc((size_t)units * sizeof *v);
  int voters = 0;
  for (size_t m = 0; m < gi->num_members; ++m) {
    const sp_member *mb = &gi->members[m];
    int64_t numel;
    const float *x = wanted(mb) ? weight_of(mb, &numel) : NULL;
    if (!x)
      continue;
    // A unit of several channels (a head) scores the mean of its block.
    int64_t block = mb->channels / units;
    for (int64_t u = 0; u < units; ++u) {
      double sum = 0;
      for (int64_t c = 0; c < block; ++c)
        sum += fabs(load(x, mb->start + u * block + c));
      v[u] = sum / (double)block;
    }
    sp_importance_vote(s, v, units, voters++, reduce);
  }
  free(v);
  return sp_importance_finish(s, units, voters, reduce);
}

int sp_importance_bn_scale(const sp_group_info *gi, sp_importance_reduce reduce, double *s) {
  return scale_votes(gi, is_bn_scale, reduce, s);
}

int sp_importance_gate(const sp_group_info *gi, sp_importance_reduce reduce, double *s) {
  return scale_votes(gi, is_gate, reduce, s);
}

/* The dim of weight member mb that indexes its op's output channels, or -1
 * when mb is not a producer weight (Conv W dim 0, ConvTranspose W dim 1,
 * Gemm B's N dim, MatMul B's last dim). */
static int producer_dim_op(const sp_member *mb, MlirOperation *op) {
  MlirValue v = mb->value->value;
  int rank = mb->value->rank;
  if (used_as(v, "Conv", 1, op))
    return 0;
  if (used_as(v, "ConvTranspose", 1, op))
    return 1;
  if (used_as(v, "Gemm", 1, op))
    return sp_op_attr_int(*op, "transB", 0) ? 0 : 1;
  if (used_as(v, "MatMul", 1, op))
    return rank - 1;
  return -1;
}

static int producer_dim(const sp_member *mb) {
  MlirOperation op;
  return producer_dim_op(mb, &op);
}

MlirOperation sp_importance_producer(const sp_member *mb) {
  MlirOperation op = {NULL};
  if (!mb->value->is_weight || mb->value->is_stat || producer_dim_op(mb, &op) != mb->dim)
    return (MlirOperation){NULL};
  return op;
}

/* sum (x - y)^2 in 8 float lanes (vectorized without reassociation), summed in double. */
static double squared_distance(const float *x, const float *y, int64_t n) {
  float lane[8] = {0};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int j = 0; j < 8; ++j)
      lane[j] += (x[k + j] - y[k + j]) * (x[k + j] - y[k + j]);
  double sum = 0;
  for (int j = 0; j < 8; ++j)
    sum += lane[j];
  for (; k < n; ++k)
    sum += ((double)x[k] - y[k]) * ((double)x[k] - y[k]);
  return sum;
}

int sp_importance_fpgm(const sp_group_info *gi, sp_importance_reduce reduce, double *s) {
  int64_t units = gi->units;
  double *v = malloc((size_t)units * sizeof *v);
  int voters = 0;
  for (size_t m = 0; m < gi->num_members; ++m) {
    const sp_member *mb = &gi->members[m];
    int64_t numel;
    if (!mb->value->is_weight || mb->value->is_stat || producer_dim(mb) != mb->dim)
      continue;
    const float *w = weight_of(mb, &numel);
    if (!w)
      continue;
    // Unit u's filter: its block of channels along mb->dim, everything else whole,
    // gathered into row u of f (units x len).
    const sp_value_info *vi = mb->value;
    int64_t inner = 1, outer = 1, dim = vi->size[mb->dim], block = mb->channels / units;
    for (int d = mb->dim + 1; d < vi->rank; ++d)
      inner *= vi->size[d];
    for (int d = 0; d < mb->dim; ++d)
      outer *= vi->size[d];
    int64_t len = outer * block * inner;
    float *f = malloc((size_t)(units * len) * sizeof *f);
    for (int64_t u = 0; u < units; ++u) {
      float *row = f + u * len;
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t c = 0; c < block; ++c)
          for (int64_t k = 0; k < inner; ++k)
            *row++ = load(w, (o * dim + mb->start + u * block + c) * inner + k);
    }
    // v[u] = sum over the other filters t of ||f_u - f_t||_2 (the geometric
    // median minimises this sum: the filters nearest it score lowest).
    memset(v, 0, (size_t)units * sizeof *v);
    for (int64_t a = 0; a < units; ++a)
      for (int64_t b = a + 1; b < units; ++b) {
        double d = sqrt(squared_distance(f + a * len, f + b * len, len));
        v[a] += d;
        v[b] += d;
      }
    free(f);
    sp_importance_vote(s, v, units, voters++, reduce);
  }
  free(v);
  return sp_importance_finish(s, units, voters, reduce);
}

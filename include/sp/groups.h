/* sp/groups.h - dependency groups: which channel dims must shrink together.
 *
 * The analysis behind sp-dependency-groups, shared by sp-importance and
 * sp-prune (docs/pruning.md). Every dim of every value has a segment list
 * [(group, start, channels)] in index order; unit u of a segment is channels
 * [start + u*block, start + (u+1)*block) with block = channels / units(group).
 * Groups are union-find sets; a group is prunable when it starts at a weight
 * (origin), is not pinned and has more than one unit. */
#ifndef SP_GROUPS_H
#define SP_GROUPS_H

#include <mlir-c/IR.h>
#include <stddef.h>
#include <stdint.h>

#include "sp/arena.h"
#include "sp/hashmap.h"

typedef struct sp_segment {
  int32_t group; /* raw id: sp_groups_find gives the set */
  int64_t start, channels;
} sp_segment;

typedef struct sp_seglist {
  sp_segment *segs;
  int32_t n, cap;
  uint32_t stamp; /* scratch for de-duplicating members */
} sp_seglist;

typedef struct sp_value_info {
  MlirValue value;
  MlirOperation owner; /* defining op; null for a graph input */
  int rank;
  int64_t *size;    /* concrete sizes: a dynamic dim is 1 unless an op derives it */
  sp_seglist *dims; /* one per dim; empty for size-1 dims */
  unsigned is_weight : 1; /* float nn.Initializer / nn.Constant */
  unsigned is_stat : 1;   /* BatchNormalization running mean/var */
  unsigned maskable : 1;  /* mask mode may zero its pruned slices */
} sp_value_info;

/* One union-find node. Fields other than parent are valid on roots. */
typedef struct sp_group {
  int32_t parent;
  int64_t units;
  int32_t id; /* compact id after the analysis, -1 for groups without origin */
  unsigned pinned : 1, origin : 1, reduced : 1, head : 1;
  const char *reason;  /* why pinned (static or arena string) */
  const char *reduced_by; /* first op reducing across the dim */
  struct sp_member_ref *refs, *refs_tail; /* (value, dim) pairs holding this group */
} sp_group;

typedef struct sp_member_ref {
  sp_value_info *value;
  int dim;
  struct sp_member_ref *next;
} sp_member_ref;

/* One segment of a group, as listed after the analysis. */
typedef struct sp_member {
  sp_value_info *value;
  int dim;
  int64_t start, channels; /* block = channels / units */
} sp_member;

/* A group with an origin, compact-numbered in creation order. */
typedef struct sp_group_info {
  int32_t root;
  int64_t units;
  int pinned, reduced, head;
  const char *reason;
  const char *reduced_by;
  sp_member *members;
  size_t num_members;
} sp_group_info;

typedef struct sp_groups {
  MlirOperation module, func;
  sp_arena arena;
  sp_map by_value; /* MlirValue.ptr -> sp_value_info* */
  sp_value_info **values;
  size_t num_values, cap_values;
  sp_group *raw;
  size_t num_raw, cap_raw;
  uint32_t stamp;
  sp_group_info *groups;
  size_t num_groups;
  sp_map evaluated; /* small integer tensors already evaluated (shape_eval.c) */
  sp_value_info **scratch; /* rank-1 helper lists of coupling rules (never members) */
  size_t num_scratch, cap_scratch;
  int failed;
} sp_groups;

/* Runs the analysis over the module's main function. Emits an error at the
 * module and returns NULL when there is no function. */
sp_groups *sp_groups_analyze(MlirOperation module);
void sp_groups_free(sp_groups *g);

/* The info of v, or NULL (values without a ranked tensor type). */
sp_value_info *sp_groups_value(const sp_groups *g, MlirValue v);

/* Root of a raw group id. */
int32_t sp_groups_find(sp_groups *g, int32_t raw);

/* The compact group of a segment, or NULL when its set has no origin. */
const sp_group_info *sp_groups_of_segment(sp_groups *g, const sp_segment *s);

/* 1 when the group may be pruned (not pinned, more than one unit). */
static inline int sp_group_prunable(const sp_group_info *gi) {
  return !gi->pinned && gi->units > 1;
}

/* Pins every group of the (value, dim) pair (dim < 0: every dim). */
void sp_groups_pin_value(sp_groups *g, sp_value_info *v, int dim, const char *reason);

/* Pins the groups of every operand and result of op (used by protect=). */
void sp_groups_pin_op(sp_groups *g, MlirOperation op, const char *reason);

/* Size of a value's dim i after dropping the channels that `keep` removes:
 * keep[compact id] is a 0/1 array of units per group (NULL: unchanged). */
int64_t sp_groups_kept_size(sp_groups *g, const sp_value_info *v, int dim,
                            unsigned char *const *keep);

/* Printable name of a value (ONNX name, location, or %argN). */
void sp_groups_value_name(const sp_value_info *v, char *buf, size_t n);

/* Writes the group table as text (what dump=FILE writes). */
#include <stdio.h>
void sp_groups_dump_text(sp_groups *g, FILE *out);

/* --- importance (passes/Importance.c) --- */

typedef enum {
  SP_CRIT_L1,
  SP_CRIT_L2,
  SP_CRIT_LP,
  SP_CRIT_RANDOM,
  SP_CRIT_BN_SCALE,      /* |gamma| of the group's BatchNormalization scales */
  SP_CRIT_FPGM,          /* summed distance of a filter to the layer's others */
  SP_CRIT_TAYLOR_WEIGHT, /* sum |w * dL/dw| over calibration data (sp_importance_run) */
  SP_CRIT_FISHER,        /* 1/2 sum g^2 w^2 over calibration data (sp_importance_run) */
  SP_CRIT_ACTIVATION,    /* mean |a| after the producer's Relu (sp_importance_run) */
  SP_CRIT_APOZ,          /* 1 - share of zeros after the producer's Relu (sp_importance_run) */
  SP_CRIT_TAYLOR,        /* |sum a * dL/da| of the producer's output on data (sp_importance_run) */
  SP_CRIT_GATE,          /* |g| of the group's sp-insert-gates gates */
  SP_CRIT_HESSIAN_DIAG,  /* 1/2 w^2 * mean over samples of the per-sample g^2 (sp_importance_run) */
} sp_importance_criterion;
typedef enum { SP_REDUCE_MEAN, SP_REDUCE_SUM, SP_REDUCE_MAX } sp_importance_reduce;
typedef enum { SP_NORM_NONE, SP_NORM_MEAN, SP_NORM_MAX, SP_NORM_SUM, SP_NORM_LAMP } sp_importance_norm;

typedef struct sp_importance_opts {
  sp_importance_criterion criterion;
  double p; /* lp: the norm's p */
  uint64_t seed;
  sp_importance_reduce reduce;    /* across the weight slices of a group */
  sp_importance_norm normalize;   /* within a group */
} sp_importance_opts;

struct sp_pass_args;
/* Options of sp-importance (criterion, p, seed, reduce, normalize). */
void sp_importance_opts_from_args(const struct sp_pass_args *args, sp_importance_opts *o);

/* Scores per group id (units entries; NULL for groups that are not
 * prunable). Per weight member: the p-norm of each unit's slice, as
 * torch.nn.utils.prune.ln_structured; then reduced over members. */
double **sp_importance_compute(sp_groups *g, const sp_importance_opts *o);
void sp_importance_free(sp_groups *g, double **scores);

/* --- internals shared by passes/groups.c, coupling.c and shape_eval.c --- */

/* The ONNX op type of an nn.<T>/onnx.<T> op ("" for others), in buf. */
const char *sp_op_type(MlirOperation op, char *buf, size_t n);

/* Small integer tensor of v (shape data), with unknown entries as
 * SP_UNKNOWN; returns the element count, or -1 when v is not evaluable or
 * has more than max elements. Dynamic dims read through Shape count as 1. */
#define SP_UNKNOWN INT64_MIN
int sp_eval_ints(sp_groups *g, MlirValue v, int64_t *out, int max);

/* Integer attribute of op (default when absent). */
int64_t sp_op_attr_int(MlirOperation op, const char *name, int64_t dflt);
/* i64 array attribute (DenseI64Array or ArrayAttr of ints); count or -1. */
int sp_op_attr_ints(MlirOperation op, const char *name, int64_t *out, int max);

#endif

/* Internals of the dependency-group analysis shared by groups.c (union-find,
 * segment lists, driver), coupling.c (the per-op table and its rules) and
 * shape_eval.c. Not a public API: other passes use sp/groups.h. */
#ifndef SP_GROUPS_INTERNAL_H
#define SP_GROUPS_INTERNAL_H

#include "sp/groups.h"

/* How one op type couples the dims of its operands and results. */
typedef enum sp_coupling_kind {
  SP_COUPLE_OPAQUE,     /* unknown: pins every dim it touches */
  SP_COUPLE_SOURCE,     /* Initializer/Constant: fresh groups per dim */
  SP_COUPLE_IDENTITY,   /* result 0 dims = operand 0 dims */
  SP_COUPLE_BROADCAST,  /* data operands broadcast (right-aligned) into result 0 */
  SP_COUPLE_SAME_SIZE,  /* result dim = operand 0 dim where the sizes agree (pools, Pad, Resize) */
  SP_COUPLE_NORM,       /* operand 0 identity; params couple to the channel axis */
  SP_COUPLE_SOFTMAX,    /* identity; the axis is reduced across */
  SP_COUPLE_REDUCE,     /* reduced axes leave or become 1; the rest identity */
  SP_COUPLE_CONV,
  SP_COUPLE_CONV_TRANSPOSE,
  SP_COUPLE_GEMM,
  SP_COUPLE_MATMUL,
  SP_COUPLE_CONCAT,
  SP_COUPLE_SPLIT,
  SP_COUPLE_SLICE,
  SP_COUPLE_RESHAPE,    /* Reshape/Flatten/Squeeze/Unsqueeze: merges and splits */
  SP_COUPLE_TRANSPOSE,
  SP_COUPLE_GATHER,
  SP_COUPLE_EXPAND,
  SP_COUPLE_SHAPE,      /* Shape/Size: dims read as data */
  SP_COUPLE_EINSUM,     /* Einsum: dims of one index letter join */
  SP_COUPLE_PAD,        /* Pad: constant padding along channels places x's segments */
  SP_COUPLE_RECURRENT,  /* RNN/GRU/LSTM: hidden units across gates, states and outputs */
  SP_COUPLE_NONE,       /* results are fresh, operands are data only (Range, ConstantOfShape) */
} sp_coupling_kind;

typedef struct sp_coupling {
  const char *op_type; /* ONNX op type */
  sp_coupling_kind kind;
  int8_t data_operands; /* leading operands that carry channels; -1 = all */
  int8_t param_first, param_last; /* NORM: per-channel parameter operands */
  int8_t stat_first, stat_last;   /* NORM: running statistics among them */
  int8_t reduces;                 /* NORM: normalizes across the channel axis */
} sp_coupling;

/* The table entry of an op type, or NULL (then the op is opaque). */
const sp_coupling *sp_coupling_lookup(const char *op_type);

/* Applies op's coupling rule: fills its results' sizes and segment lists. */
void sp_coupling_apply(sp_groups *g, MlirOperation op, const char *type,
                       const sp_coupling *c);

/* --- primitives (groups.c) --- */
sp_value_info *sp_gi_info(sp_groups *g, MlirValue v);
int32_t sp_gi_new_group(sp_groups *g, int64_t units, int origin);
void sp_gi_union(sp_groups *g, int32_t a, int32_t b);
void sp_gi_pin_group(sp_groups *g, int32_t group, const char *reason);
void sp_gi_mark_reduced(sp_groups *g, sp_value_info *v, int dim, const char *by);
void sp_gi_mark_origin(sp_groups *g, sp_value_info *v, int dim);
/* Appends a segment to (v, d) and records (v, d) as a member of the group. */
void sp_gi_push(sp_groups *g, sp_value_info *v, int d, int32_t group, int64_t start,
                int64_t channels);
/* (v, d) := copy of (src, sd), channels scaled by mul (offsets too). */
void sp_gi_copy(sp_groups *g, sp_value_info *v, int d, const sp_value_info *src, int sd,
                int64_t mul);
/* Unifies the lists of (a, da) and (b, db) (equal sizes): pairs segments,
 * refining groups where boundaries differ; pins when they cannot align. */
void sp_gi_join(sp_groups *g, sp_value_info *a, int da, sp_value_info *b, int db,
                const char *why);
/* Makes offset a segment boundary of (v, d) by splitting the group cut there;
 * -1 when offset is not on a unit boundary. */
int sp_gi_refine_at(sp_groups *g, sp_value_info *v, int d, int64_t offset);
/* A helper value of the given sizes (named after `like`) whose segment lists
 * a rule uses while it couples dims; freed with the analysis, never a member. */
sp_value_info *sp_gi_scratch(sp_groups *g, int rank, const int64_t *size, MlirValue like);
/* Fills every still-empty dim of size > 1 with a fresh group. */
void sp_gi_fill_fresh(sp_groups *g, sp_value_info *v);
/* Gives an empty (v, d) a fresh group and pins every group of (v, d): for
 * result dims a rule could not map. */
void sp_gi_pin_fresh(sp_groups *g, sp_value_info *v, int d, const char *reason);
/* Pins all groups of every dim of every operand and result of op. */
void sp_gi_pin_all(sp_groups *g, MlirOperation op, const char *reason);
/* Arena-formatted reason string. */
const char *sp_gi_reason(sp_groups *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif

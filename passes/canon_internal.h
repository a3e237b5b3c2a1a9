/* canon_internal.h - shared pieces of sp-canonicalize (passes/Canonicalize.c
 * and passes/canon_*.c). Not a public header. */
#ifndef SP_CANON_INTERNAL_H
#define SP_CANON_INTERNAL_H

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/IR.h>
#include <stdint.h>

#include "sp/hashmap.h"

/* What one run of the pass changed; every rule bumps one counter. */
typedef struct canon_stats {
  long folded;            /* shape-arithmetic results replaced by constants */
  long reshape_targets;   /* Reshape shape operands rewritten to constants */
  long identities;        /* identity ops bypassed (Identity, Dropout, no-op Reshape...) */
  long chains;            /* Reshape/Transpose chains merged */
  long concat_inputs;     /* zero-width Concat inputs dropped */
  long zero_branches;     /* zero-width contractions replaced by their bias (or nothing) */
  long bn_folded;         /* BatchNormalizations folded into Conv/Gemm */
  long gates_folded;      /* sp-insert-gates gates folded into Conv/Gemm/BN */
  long constants_merged;  /* duplicate nn.Constant ops merged */
  long removed;           /* dead ops erased */
} canon_stats;

typedef struct canon_ctx {
  MlirContext mlir;
  MlirBlock body; /* the func body being rewritten */
  int fold_bn;
  int fold_gates;
  canon_stats stats;
  long weight_counter; /* for unique blob keys */
} canon_ctx;

/* --- canon_util.c ------------------------------------------------------ */

/* 1 if op's name is exactly `name` (e.g. "nn.Reshape"). */
int canon_is(MlirOperation op, const char *name);
/* The op defining v, or a null op for block arguments. */
MlirOperation canon_def(MlirValue v);
/* 1 if v has no uses. */
int canon_unused(MlirValue v);
/* Number of uses of v. */
long canon_num_uses(MlirValue v);
/* Integer attribute `name` of op, or dflt. */
int64_t canon_int_attr(MlirOperation op, const char *name, int64_t dflt);
/* Ranked tensor with every dim static. */
int canon_static(MlirType t);
int canon_ranked(MlirType t);
int64_t canon_numel(MlirType t); /* -1 when not static */
/* The constant elements attribute behind v (nn.Constant `value` or
 * nn.Initializer `value`), or a null attribute. */
MlirAttribute canon_const_attr(MlirValue v);
/* Reads up to max integer elements of the constant v into out (i64, i32,
 * i8..., i1). Returns the element count, or -1 if v is not such a constant. */
long canon_const_ints(MlirValue v, int64_t *out, long max);
/* Same for an elements attribute. */
long canon_attr_ints(MlirAttribute a, int64_t *out, long max);
/* Reads a constant float tensor (f32) of exactly n elements (n = -1: any)
 * into a malloc'ed double array; NULL if v is not one. *count gets the size. */
double *canon_const_floats(MlirValue v, long *count);
/* Replaces every use of from with to, when their types are equal; 0 on
 * success, -1 (nothing changed) otherwise. */
int canon_replace(MlirValue from, MlirValue to);
/* Creates `"nn.Constant"() {value = attr}` before `before`, with loc and an
 * optional onnx.names entry; returns its result. */
MlirValue canon_make_constant(canon_ctx *c, MlirOperation before, MlirLocation loc,
                              MlirAttribute value, const char *name);
/* Creates `"nn.Initializer"() {value = dense_resource}` of f32 data at the
 * start of the body; returns its result. */
MlirValue canon_make_f32_initializer(canon_ctx *c, MlirType type, const float *data,
                                     const char *name);
/* A dense integer attribute of element type elem (i64, i32 or i1) and shape. */
MlirAttribute canon_int_elements(MlirType elem, const int64_t *shape, intptr_t rank,
                                 const int64_t *values, long n);
/* Normalizes a possibly negative axis into [0, rank); -1 if out of range. */
int64_t canon_axis(int64_t axis, int64_t rank);
/* The onnx.names entry 0 of op as a malloc'ed string, or NULL. */
char *canon_result_name(MlirOperation op);

/* --- the rule sets ------------------------------------------------------ */

/* Folds static shape arithmetic into constants and rewrites Reshape targets
 * (canon_shape.c). Returns the number of changes. */
long canon_fold_shapes(canon_ctx *c);
/* Identity ops, Reshape/Transpose chains, zero-width Concat inputs and
 * contractions (canon_simplify.c). */
long canon_simplify(canon_ctx *c);
/* BatchNormalization into the preceding Conv/Gemm (canon_bn.c). */
long canon_fold_batchnorm(canon_ctx *c);
/* sp-insert-gates gates into the Conv/Gemm/BN before them (canon_gate.c). */
long canon_fold_gates(canon_ctx *c);

#endif

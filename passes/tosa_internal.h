/* tosa_internal.h - shared pieces of sp-convert-nn-to-tosa and
 * sp-convert-tosa-to-nn (passes/ConvertNNToTosa.c, passes/ConvertTosaToNN.c,
 * passes/tosa_util.c). Not a public header.
 *
 * Layout: nn is ONNX (NCHW activations, OIHW conv weights); TOSA's conv and
 * pooling ops are NHWC with OHWI weights (depthwise: KH,KW,C,M). Both passes
 * keep every value outside a conv/pool in its own layout and put transposes
 * right around the NHWC ops; constant weights are re-laid out once. */
#ifndef SP_TOSA_INTERNAL_H
#define SP_TOSA_INTERNAL_H

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <mlir-c/IR.h>
#include <stdint.h>

#define TOSA_MAX_RANK 8

/* A rewrite in progress: new ops go before `before`, at location loc. */
typedef struct tosa_builder {
  MlirContext ctx;
  MlirOperation before;
  MlirLocation loc;
  long weight_counter; /* for unique blob keys */
} tosa_builder;

/* Creates op `name` before b->before with the given operands, one result of
 * type result (null type: no result) and attributes; returns the op. */
MlirOperation tosa_build(tosa_builder *b, const char *name, const MlirValue *operands,
                         intptr_t num_operands, MlirType result,
                         const MlirNamedAttribute *attrs, intptr_t num_attrs);
/* Same, returning result 0. */
MlirValue tosa_build1(tosa_builder *b, const char *name, const MlirValue *operands,
                      intptr_t num_operands, MlirType result,
                      const MlirNamedAttribute *attrs, intptr_t num_attrs);

/* A ranked f32 (or elem) tensor type of shape. */
MlirType tosa_tensor(MlirType elem, const int64_t *shape, intptr_t rank);
/* Dims of a ranked tensor type into shape; returns the rank, -1 if unranked. */
intptr_t tosa_dims(MlirType t, int64_t *shape);
/* 1 if t is a ranked tensor with only static dims. */
int tosa_static(MlirType t);

/* The elements attribute of a constant op (tosa.const, nn.Constant,
 * nn.Initializer) defining v, or a null attribute. */
MlirAttribute tosa_const_attr(MlirValue v);
/* A malloc'ed copy of the f32 data of constant v (*count elements; weight
 * bytes may sit unaligned in the ONNX buffer); NULL if v is not one. */
float *tosa_const_f32_copy(MlirValue v, int64_t *count);
/* The value of a one-element f32 constant v into *out: 0, or -1 if not one. */
int tosa_const_f32_scalar(MlirValue v, float *out);
/* Up to max integer elements of constant v; the count, -1 if not one. */
long tosa_const_ints(MlirValue v, int64_t *out, long max);

/* A dense_resource f32 weight of type over a copy of data. */
MlirAttribute tosa_weight(tosa_builder *b, MlirType type, const float *data,
                          const char *prefix);
/* A DenseElements integer attribute (elem i32 or i64) of a 1-D tensor. */
MlirAttribute tosa_ints_attr(MlirContext ctx, MlirType elem, const int64_t *v, intptr_t n);

/* Permutes a rank-4 f32 tensor: out[i0..i3] with out dim d = in dim perm[d]. */
void tosa_permute4(const float *in, const int64_t *in_shape, const int64_t *perm, float *out);

/* 1 if op's name is exactly name. */
int tosa_is(MlirOperation op, const char *name);
/* Integer attribute name of op, or dflt. */
int64_t tosa_int_attr(MlirOperation op, const char *name, int64_t dflt);
/* Float attribute name of op, or dflt. */
double tosa_float_attr(MlirOperation op, const char *name, double dflt);
/* Up to max elements of a DenseI64Array (or i64 ArrayAttr) attribute; the
 * count, or -1 when op has no such attribute. */
long tosa_i64s_attr(MlirOperation op, const char *name, int64_t *out, long max);

/* Erases the ops in [first of body, end) whose names start with prefix
 * ("nn." / "tosa.") and whose results are unused, users first. */
void tosa_erase_dead(MlirBlock body, const char *prefix);

/* The default-domain opset of the module (onnx.opset_import), 17 if none. */
int64_t tosa_module_opset(MlirOperation module);

#endif

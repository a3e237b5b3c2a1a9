/* sp/dialect.h - the `nn` dialect: loading it and small MLIR C API helpers. */
#ifndef SP_DIALECT_H
#define SP_DIALECT_H

#include <mlir-c/IR.h>
#include <stddef.h>
#include <stdint.h>

#include "sp/error.h"

/* A context with the builtin, func and other upstream dialects registered and
 * `nn` loaded from the embedded IRDL file. Multithreading is off: sp's passes
 * share side tables (see sp/weights.h). Null context on failure (err set). */
MlirContext sp_context_create(sp_error *err);

/* Loads `nn` (from the embedded IRDL file, with func and irdl) into a
 * context made elsewhere, e.g. a host compiler's, and allows unregistered
 * dialects (generic "onnx.<OpType>" ops). Idempotent. 0, or -1 (err set). */
int sp_dialect_load(MlirContext ctx, sp_error *err);

/* Destroys a context made by sp_context_create and releases its weights. */
void sp_context_destroy(MlirContext ctx);

/* The IRDL source of `nn` embedded at build time. */
const char *sp_dialect_irdl_source(void);

/* How many values one operand/result position of an nn op takes. */
typedef enum sp_segment_kind {
  SP_SEGMENT_SINGLE,   /* exactly one value */
  SP_SEGMENT_OPTIONAL, /* zero or one: an optional ONNX input/output */
  SP_SEGMENT_VARIADIC, /* any number */
} sp_segment_kind;

#define SP_MAX_SEGMENTS 32

/* An nn op's operand and result positions, read from the IRDL file. With
 * more than one non-single segment the op carries operand_segment_sizes
 * (result_segment_sizes), one entry per position. */
typedef struct sp_op_signature {
  int num_operands, num_results;
  sp_segment_kind operands[SP_MAX_SEGMENTS];
  sp_segment_kind results[SP_MAX_SEGMENTS];
  int operand_segments_attr, result_segments_attr;
} sp_op_signature;

/* The signature of "nn.<op_type>", or NULL if the dialect has no such op
 * (nn.None and nn.Initializer included). ONNX ops without one import as
 * unregistered "onnx.<OpType>" ops. */
const sp_op_signature *sp_dialect_signature(const char *op_type);

/* The func.func @main of module (or the first func.func); null if none. */
MlirOperation sp_find_main(MlirOperation module);

/* MlirStringRef of a NUL-terminated C string. */
static inline MlirStringRef sp_str(const char *s) {
  return mlirStringRefCreateFromCString(s);
}

/* Named attribute helper: (name, attr). */
MlirNamedAttribute sp_named(MlirContext ctx, const char *name,
                            MlirAttribute attr);

/* Prints an MLIR entity into a malloc'ed NUL-terminated string. */
char *sp_print_attribute(MlirAttribute attr);
char *sp_print_type(MlirType type);
char *sp_print_location(MlirLocation loc);

/* What a location names, malloc'ed: the name of a NameLoc (then
 * *is_node_name = 1: an ONNX node name), else "file:line:col", else NULL.
 * is_node_name may be NULL. */
char *sp_location_name(MlirLocation loc, int *is_node_name);

/* The operand index of ONNX input position pos of an nn op (one value per
 * position; operand_segment_sizes honoured when present), or -1 when that
 * optional input is absent. */
intptr_t sp_op_input(MlirOperation op, int pos);

/* The op's discardable string-array attribute `onnx.names` entry i, or NULL. */
const char *sp_op_result_name(MlirOperation op, intptr_t i, size_t *len);

/* `sp.mask` on an nn.Initializer (lib/dialect/mask_attr.c): the slices
 * sp-prune{mode=mask} zeroed, one `array<i64: axis, start0, end0, ...>` per
 * masked axis with half-open index ranges. Export writes them to the
 * "sp.masks" metadata (sp/masks.h), import reads them back. */
#define SP_MASK_ATTR "sp.mask"

/* Zeroed flags along axis (n entries, cleared first) from op's sp.mask;
 * returns 1 when that axis is masked, 0 when not, -1 when the attribute
 * is malformed or a range leaves [0, n). */
int sp_mask_attr_flags(MlirOperation op, int axis, unsigned char *flags, int64_t n);

/* Replaces op's sp.mask with flags[axis] (sizes[axis] entries; NULL or all
 * zero: that axis unmasked); no masked axis removes the attribute. */
void sp_mask_attr_set(MlirOperation op, int rank, unsigned char *const *flags,
                      const int64_t *sizes);

/* Sets one axis's ranges (pairs, as in the metadata) on op's sp.mask,
 * replacing that axis's entry. */
void sp_mask_attr_set_ranges(MlirOperation op, int axis, const int64_t *ranges,
                             size_t n_ranges);

#endif

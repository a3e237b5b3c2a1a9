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

/* Destroys a context made by sp_context_create and releases its weights. */
void sp_context_destroy(MlirContext ctx);

/* The IRDL source of `nn` embedded at build time. */
const char *sp_dialect_irdl_source(void);

/* True if "nn.<op_type>" is an op of the dialect (not counting nn.Generic). */
int sp_dialect_has_op(MlirContext ctx, const char *op_type);

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

/* The op's discardable string-array attribute `onnx.names` entry i, or NULL. */
const char *sp_op_result_name(MlirOperation op, intptr_t i, size_t *len);

#endif

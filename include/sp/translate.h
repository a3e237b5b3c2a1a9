/* sp/translate.h - ONNX <-> `nn` dialect.
 *
 * Import maps a graph to one func.func @main: graph inputs are arguments,
 * initializers are nn.Initializer ops holding dense_resource blobs that point
 * into the loaded model (no copy), nodes are nn.<OpType> ops (nn.Generic for
 * ops without one), ONNX node names are NameLocs. Everything the model says
 * about itself (IR version, opsets, producer, metadata, names, symbolic dims)
 * is kept in `onnx.*` attributes so export gives the model back. */
#ifndef SP_TRANSLATE_H
#define SP_TRANSLATE_H

#include <mlir-c/IR.h>
#include <stdio.h>

#include "sp/error.h"
#include "sp/onnx.h"

/* Called with one-line warnings (e.g. value_info disagreeing with inference). */
typedef void (*sp_import_warn_fn)(void *user, const char *message);

/* A symbolic input dimension fixed to a value at import ("batch" = 1). */
typedef struct sp_dim_binding {
  const char *name;
  int64_t value;
} sp_dim_binding;

typedef struct sp_import_options {
  sp_import_warn_fn warn; /* may be NULL: warnings are dropped */
  void *warn_user;
  /* Graph-input dims named like a binding become static (every type that
   * depends on them follows through shape inference). */
  const sp_dim_binding *dims;
  int num_dims;
} sp_import_options;

/* Imports model into a new module in ctx. The model must outlive ctx: the
 * module's weights point into it. options may be NULL. Errors name the file
 * and node. */
int sp_import_onnx(MlirContext ctx, sp_onnx_model *model,
                   const sp_import_options *options, MlirModule *out,
                   sp_error *err);

/* Builds an ONNX model from module (as produced by sp_import_onnx, possibly
 * rewritten by passes) and writes it atomically to path. Errors name the op
 * location. */
int sp_export_onnx(MlirModule module, const char *path,
                   const sp_onnx_save_options *options, sp_error *err);

/* ONNX element type <-> MLIR element type. Unknown: null type / 0. */
MlirType sp_elem_type_from_onnx(MlirContext ctx, int32_t onnx_type);
int32_t sp_elem_type_to_onnx(MlirType type);

#endif

/* sp/codegen.h - a model as C source (`sp-translate --emit-c`). The model is
 * planned by the runtime at fixed dims (the same shape inference, fusion,
 * liveness arena and algorithm choice as sp-run), and the plan is printed
 * as straight-line calls with constant shapes and arena offsets; weights go
 * pre-packed into a blob beside the source. See docs/emit-c.md. */
#ifndef SP_CODEGEN_H
#define SP_CODEGEN_H

#include <stdint.h>

#include "sp/error.h"

typedef struct sp_emit_c_options {
  const char *dir;  /* output folder (created if missing) */
  const char *name; /* C identifier prefixing every symbol and file */
  /* symbolic input dims fixed at generation ("batch" = 1); any other
   * symbolic dim is 1 */
  const char *const *dim_names;
  const int64_t *dim_values;
  int num_dims;
  int external_weights; /* NAME_load(path) instead of .incbin */
  int freestanding;     /* plain C99 loops: no BLAS, no libsp_kernels */
  int tune;             /* time each conv's algorithms here, keep the fastest */
  const char *include_dir; /* where sp/kernels.h is (the Makefile default) */
  const char *kernels_dir; /* where libsp_kernels.a is (the Makefile default) */
} sp_emit_c_options;

/* Writes DIR/NAME.{h,c,weights} and DIR/Makefile for the ONNX model at
 * onnx_path (errors name model_label and the node). Nothing is written
 * when the model has an op, type or shape this cannot compile. */
int sp_emit_c(const char *onnx_path, const char *model_label,
              const sp_emit_c_options *options, sp_error *err);

#endif

/* Running the model on calibration data inside a pass (sp-prune's
 * drop-layers, sp-recalibrate-bn), and residual blocks' influence on it. Kept apart from prune_internal.h: calibration.c includes
 * sp/runtime.h, whose sp_value_info is not sp/groups.h's. */
#ifndef SP_CALIBRATION_H
#define SP_CALIBRATION_H

#include <mlir-c/IR.h>
#include <stddef.h>

struct sp_tensor; /* sp/runtime.h */

/* Called once per calibration set with out[i] the tensor of values[i] (owned
 * by the runtime, valid during the call); batch names the set for errors
 * (its input_0.pb when that is its only file, else its directory). 0, or -1
 * (error emitted) to stop. */
typedef int (*sp_calibration_fn)(void *user, const char *batch,
                                 const struct sp_tensor *const *out, size_t n);

/* Runs module (unchanged: a clone is exported) with sp_runtime on every
 * calibration set of dir, observing values[0..n) of its main function: dir
 * holds input_0.pb, ... (graph-input order, or named after the inputs) or
 * test_data_set_N subdirectories of them. pass prefixes the diagnostics.
 * 0 or -1 (error emitted at the module or the failing op). */
int sp_calibration_run(MlirOperation module, const char *pass, const char *dir,
                       const MlirValue *values, size_t n, sp_calibration_fn fn, void *user);

/* Emits "<prefix>: <msg>" at the op of module's main whose location names
 * the node of "node 'X'" in msg (a runtime or trainer message), else at the
 * module. */
void sp_emit_at_node(MlirOperation module, const char *prefix, const char *msg);

/* A residual block y = Add(shortcut, branch) whose branch is private. */
typedef struct sp_residual_block {
  MlirOperation add;
  MlirValue shortcut;
  double importance; /* weight-based gain of the branch (prune_layers.c) */
} sp_residual_block;

/* The residual blocks of body in op order, with their weight-based
 * importance; count in *n; malloc'ed (prune_layers.c). */
sp_residual_block *sp_find_residual_blocks(MlirBlock body, size_t *n);

/* Block influence on calibration data (calibration.c): influence[i] =
 * 1 - mean over samples of cos(shortcut, Add result) of blocks[i], each
 * flattened per sample (dim 0). dir holds input_0.pb, ... or
 * test_data_set_N subdirectories. Runs module through sp_runtime; 0 or -1
 * (error emitted at the module or the failing op). */
int sp_block_influence(MlirOperation module, const char *dir,
                       const sp_residual_block *blocks, size_t n, double *influence);

#endif

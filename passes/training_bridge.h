/* Training a model held as an MLIR module (sp-finetune, and passes that need
 * gradients, such as Taylor or Fisher importance).
 *
 * The bridge exports the module's main function to a temporary ONNX file (as
 * calibration.c does), loads it and creates a trainer over it (sp/train.h),
 * and maps every trainer parameter back to the nn.Initializer op it came
 * from. After training, sp_train_bridge_write_back puts the trained values
 * and the BatchNormalization running statistics into those same ops; nothing
 * else in the module changes. Kept apart from prune_internal.h for the same
 * reason as calibration.h (sp/runtime.h's names). */
#ifndef SP_TRAINING_BRIDGE_H
#define SP_TRAINING_BRIDGE_H

#include <mlir-c/IR.h>
#include <stddef.h>

#include "sp/error.h"
#include "sp/train.h"

typedef struct sp_train_bridge sp_train_bridge;

/* A trainer over module's main function (module is read, not changed).
 * pass prefixes the diagnostics. 0, or -1 with one error emitted at the
 * module (or at the op a runtime message names). */
int sp_train_bridge_create(MlirOperation module, const char *pass,
                           const sp_train_options *options,
                           sp_train_bridge **out);
/* Frees the trainer and the exported model; the module is untouched. */
void sp_train_bridge_free(sp_train_bridge *b);

/* The trainer, for sp_trainer_step / _backward / _eval / _param. */
sp_trainer *sp_train_bridge_trainer(sp_train_bridge *b);

/* The nn.Initializer op holding trainer parameter i (sp_trainer_param's
 * order); a null op past the end. */
MlirOperation sp_train_bridge_param_op(const sp_train_bridge *b, size_t i);

/* Emits err (from a trainer call) as one diagnostic "<pass>: <message>" at
 * the op whose ONNX node it names, else at the module; the temporary
 * model's path is left out. Returns -1. */
int sp_train_bridge_emit(const sp_train_bridge *b, const sp_error *err);

/* Writes the trainer's parameters and BatchNormalization running statistics
 * into their nn.Initializer ops (a new value of the same type and kind:
 * dense_resource stays dense_resource, small dense stays dense); ops whose
 * values did not change are left alone. *n_written (may be NULL) gets the
 * number of ops rewritten. 0, or -1 (error emitted). */
int sp_train_bridge_write_back(sp_train_bridge *b, size_t *n_written);

#endif

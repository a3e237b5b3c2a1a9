/* sp-finetune's body for passes that fine-tune as one of their steps
 * (sp-iterative-prune): the same recipe, options and messages. */
#ifndef SP_FINETUNE_H
#define SP_FINETUNE_H

#include <mlir-c/IR.h>

#include "sp/passes.h"

/* Runs sp-finetune with args (parsed against sp-finetune's options) on
 * module; *top1 (may be NULL) gets the validation top-1 after the last
 * epoch, in [0, 1]. 0, or -1 with one error emitted and module unchanged. */
int sp_finetune_apply(MlirOperation module, const sp_pass_args *args, double *top1);

#endif

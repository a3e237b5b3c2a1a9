/* Per-element saliency tensors for sp-importance's gradient criteria
 * (importance_grad.c). Apart from importance_internal.h because the trainer's
 * headers (sp/runtime.h) and sp/groups.h both name an sp_value_info. */
#ifndef SP_SALIENCY_H
#define SP_SALIENCY_H

#include <mlir-c/IR.h>
#include <stddef.h>
#include <stdint.h>

/* Per-element saliency standing in for a weight's values (taylor-weight,
 * fisher): the tensor for the nn.Initializer op `owner`, same layout and
 * size, or NULL when it has none (that member does not vote). */
typedef struct sp_saliency_source {
  const float *(*get)(void *user, MlirOperation owner, size_t *bytes);
  void *user;
} sp_saliency_source;

struct sp_pass_args;
/* taylor-weight / fisher: gradients over the data of args (calibration=DIR or
 * data=fashion-mnist[:DIR]) through the trainer; *src serves |w * mean g|
 * (taylor-weight) or 1/2 w^2 sum_batches g^2 / batches (fisher) per
 * nn.Initializer. 0, or -1 with one error emitted. sp_saliency_free frees. */
int sp_saliency_gradients(MlirOperation module, const struct sp_pass_args *args, int fisher,
                          sp_saliency_source *src);
void sp_saliency_free(sp_saliency_source *src);

/* activation, apoz: runs module on every calibration set of dir (the
 * layouts of calibration.h) and, per values[i], adds up along axis axes[i]
 * (of size sizes[i]) abs_sum[i][c] = sum |a| and zeros[i][c] = number of
 * entries exactly 0 over every other index and sample; count[i] gets the
 * entries per channel. The arrays are the caller's, zeroed. 0, or -1 with one
 * error emitted. */
int sp_channel_stats(MlirOperation module, const char *dir, const MlirValue *values,
                     const int *axes, const int64_t *sizes, size_t n, double **abs_sum,
                     double **zeros, double *count);

#endif

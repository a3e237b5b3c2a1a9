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
typedef enum {
  SP_SALIENCY_TAYLOR_WEIGHT, /* |w * mean over batches of g_b| */
  SP_SALIENCY_FISHER,        /* 1/2 w^2 * mean over batches of g_b^2 (g_b: a batch's mean) */
  SP_SALIENCY_HESSIAN_DIAG,  /* 1/2 w^2 * mean over samples of g_n^2 (one sample's) */
} sp_saliency_kind;
/* taylor-weight / fisher / hessian-diag: gradients over the data of args
 * (calibration=DIR or data=fashion-mnist[:DIR]; labels=model: the model's own
 * arg-max instead of the data's labels) through the trainer; *src serves the
 * kind's saliency per nn.Initializer. 0, or -1 with one error emitted.
 * sp_saliency_free frees. */
int sp_saliency_gradients(MlirOperation module, const struct sp_pass_args *args,
                          sp_saliency_kind kind, sp_saliency_source *src);
void sp_saliency_free(sp_saliency_source *src);

/* taylor (Molchanov et al. 2017): per channel c of a value a, the mean over
 * batches of |sum over the batch and positions of a * dL/da|. a is the
 * output of a Conv/Gemm/MatMul or of the BatchNormalization after it, so it
 * is linear in its own parameters (weight rows and bias, or gamma and beta)
 * and that sum is sum over the channel's parameters of w * dL/dw: read from
 * the parameter gradients, no activation gradient is kept. */
typedef struct sp_taylor_param {
  MlirOperation owner;            /* the nn.Initializer */
  int64_t outer, channels, inner; /* its layout around the channel axis */
} sp_taylor_param;
typedef struct sp_taylor_target {
  sp_taylor_param params[2];
  int num_params;
  double *score; /* (channels), the caller's, zeroed; filled */
} sp_taylor_target;
/* The scores of targets over the data of args, through the trainer as for
 * taylor-weight. 0, or -1 with one error emitted. */
int sp_saliency_taylor(MlirOperation module, const struct sp_pass_args *args,
                       sp_taylor_target *targets, size_t n);

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

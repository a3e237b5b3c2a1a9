/* sp/kernels.h - the runtime's flat forward kernels as a public table, for
 * code that `sp-translate --emit-c` generates (and links against
 * libsp_kernels.a). The kernels are compiled once per ISA level; sp_kernels()
 * returns the set this CPU runs best (or the one SP_ISA names), exactly the
 * set sp-run would use. Shapes are written beside each entry; the structs
 * have the layout of lib/runtime/kernels/kernels.h's (checked at compile
 * time there). */
#ifndef SP_KERNELS_H
#define SP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Convolution geometry, 1-3 spatial dims stored as 3 (missing ones are 1). */
typedef struct sp_conv_params {
  int N, C, M, group;                  /* batch, input/output channels, groups */
  int in[3], out[3];                   /* spatial sizes (D,H,W) */
  int k[3], stride[3], dil[3], pad[3]; /* pad: leading padding */
} sp_conv_params;

/* Activations a conv/GEMM epilogue applies (after bias and residual). */
enum { SP_ACT_NONE = 0, SP_ACT_RELU = 1, SP_ACT_CLIP = 2, SP_ACT_GELU = 3 };

/* out = act(out + bias[m] + residual); a, b bound SP_ACT_CLIP. */
typedef struct sp_epilogue {
  const float *bias;     /* (M) or NULL */
  const float *residual; /* same shape as out, or NULL */
  int act;
  float a, b;
} sp_epilogue;

typedef struct sp_kernel_api {
  const char *isa; /* "generic", "avx2", "avx512" */
  /* Makes OpenBLAS single-threaded (the kernels split work over OpenMP);
   * cheap after the first call. */
  void (*init)(void);
  /* Workspace (floats) of the conv entries below at the current threads. */
  size_t (*conv_scratch_floats)(const sp_conv_params *p);
  size_t (*winograd_scratch_floats)(const sp_conv_params *p);
  /* out (N,M,out..), inp (N,C,in..), weight (M,C/group,k..) */
  void (*conv_forward)(float *out, const float *inp, const float *weight,
                       const sp_conv_params *p, const sp_epilogue *ep,
                       float *scratch);
  /* as conv_forward, wp: each group's weights pointwise_pack'ed */
  void (*conv_packed_forward)(float *out, const float *inp, const float *wp,
                              const sp_conv_params *p, const sp_epilogue *ep,
                              float *scratch);
  /* 3x3 stride 1 group 1; up from winograd_weights */
  void (*winograd_forward)(float *out, const float *inp, const float *up,
                           const sp_conv_params *p, const sp_epilogue *ep,
                           float *scratch);
  /* c (M,N) = alpha op(a) op(b) + beta c, row-major (cblas_sgemm) */
  void (*sgemm_forward)(int trans_a, int trans_b, int M, int N, int K,
                        float alpha, const float *a, int lda, const float *b,
                        int ldb, float beta, float *c, int ldc);
  /* c (M,N) = act(a (M,K) @ b (K,N) + bias (N) + res (M,N)); bias, res may
   * be NULL; lo, hi bound SP_ACT_CLIP; the epilogue applied tile by tile */
  void (*matmul_epilogue_forward)(int M, int N, int K, const float *a, const float *b,
                                  float *c, const float *bias, const float *res, int act,
                                  float lo, float hi);
  /* y (k) = y sigmoid(y) / y min(max(a y + b, 0), 1), in place */
  void (*silu_forward)(float *y, int64_t k);
  void (*hardswish_forward)(float *y, int64_t k, float a, float b);
  /* y (k) = x/2 (1 + erf(x/sqrt 2)); y may be x */
  void (*gelu_forward)(float *y, const float *x, int64_t k);
  /* y, x (outer, axis, inner): softmax (log: log-softmax) over axis */
  void (*softmax_forward)(float *y, const float *x, int64_t outer, int64_t axis,
                          int64_t inner, int log);
  /* y, x (rows, cols): each row normalised, * scale + bias (cols; NULL ok) */
  void (*layernorm_forward)(float *y, const float *x, const float *scale,
                            const float *bias, float eps, int64_t rows, int64_t cols);
  /* Generation time only: the algorithm choice and weight packing. */
  int (*winograd_applies)(const sp_conv_params *p);
  int (*depthwise_applies)(const sp_conv_params *p);
  int (*packed_gemm_applies)(int M, int K, int64_t P);
  size_t (*pointwise_packed_floats)(int M, int C);
  void (*pointwise_pack)(float *wp, const float *w, int M, int C);
  size_t (*winograd_weights_floats)(int M, int C);
  void (*winograd_weights)(float *up, float *u, const float *w, int M, int C);
  /* Direct 3x3 stride-1 pad-1 group-1 conv on small maps (H (W+2) <= 1024):
   * the input zero-padded once, each tap one contiguous vector load;
   * wd (ceil(M/MB), C, 9, MB), MB 6 or 8 by M, from
   * direct3x3_weights(w (M, C, 3, 3)). */
  int (*direct3x3_applies)(const sp_conv_params *p);
  size_t (*direct3x3_scratch_floats)(const sp_conv_params *p);
  void (*direct3x3_forward)(float *out, const float *inp, const float *wd,
                            const sp_conv_params *p, const sp_epilogue *ep,
                            float *scratch);
  size_t (*direct3x3_weights_floats)(int M, int C);
  void (*direct3x3_weights)(float *wd, const float *w, int M, int C);
  /* Nonzero where direct3x3 is the faster algorithm on this set (AVX-512
   * only): the rule sp-run's conv uses too. */
  int (*direct3x3_preferred)(const sp_conv_params *p);
} sp_kernel_api;

/* The kernel set of this process (chosen once, thread-safe). */
const sp_kernel_api *sp_kernels(void);

/* bytes of memory, 64-byte aligned, on 2 MB pages where the OS allows
 * (Linux THP "madvise" mode), for a model's scratch; free() releases it. */
void *sp_scratch_alloc(size_t bytes);

#ifdef __cplusplus
}
#endif
#endif

/* kernels.h - the flat forward kernels (float buffers, shapes in comments)
 * and the node adapters the op table points at. One file per op family;
 * a *_backward beside each *_forward later. Every file here is compiled once
 * per ISA level (isa.h renames what it exports), so a kernel is written once
 * in portable C or GCC vector types and vectorised for each level; code for
 * one instruction set sits under #if __AVX2__ / __AVX512F__ in its own file. */
#ifndef SP_RUNTIME_KERNELS_H
#define SP_RUNTIME_KERNELS_H

#include "../runtime_internal.h"
#include "isa.h" /* every name below is renamed per ISA level */

/* This set's op table (ops.c); isa.c reaches it as rt_kernel_set_<isa>. */
extern const rt_kernels rt_kernel_set;

/* Adapter: reads the node's attributes and tensors, calls a *_forward. */
#define RT_KERNEL(name) int name(sp_runtime *rt, rt_node *n, sp_error *err)

/* ---- conv.c ---- */
/* Convolution geometry, 1-3 spatial dims stored as 3 (missing ones are 1). */
typedef struct conv_params {
  int N, C, M, group;  /* batch, input channels, output channels, groups */
  int in[3], out[3];   /* spatial sizes (D,H,W) of input and output */
  int k[3], stride[3], dil[3], pad[3]; /* pad: leading padding */
} conv_params;
/* Epilogue applied after the convolution/GEMM: + bias[m] + residual, then act. */
typedef struct epilogue {
  const float *bias;     /* (M) or NULL */
  const float *residual; /* same shape as out, or NULL */
  rt_act act;
  float a, b;
} epilogue;
/* out is (N,M,OD,OH,OW), inp is (N,C,D,H,W), weight is (M,C/group,KD,KH,KW);
 * scratch holds conv_scratch_floats(p) floats. */
void conv_forward(float *out, const float *inp, const float *weight,
                  const conv_params *p, const epilogue *ep, float *scratch);
/* As conv_forward for dense and grouped (not depthwise) convs, with wp the
 * G blocks pointwise_pack(weight of group g, M/G, C/G*KD*KH*KW) (packed once
 * per plan): im2col (none for 1x1) and packed products per image; threads
 * split each product (G == 1) or take whole groups. */
void conv_packed_forward(float *out, const float *inp, const float *wp,
                         const conv_params *p, const epilogue *ep,
                         float *scratch);
size_t conv_scratch_floats(const conv_params *p);
/* As conv_forward for group 1 (training): chunks of images side by side in
 * one product (at least 512 columns), threads taking chunks or splitting
 * each product; scratch holds conv_chunked_scratch_floats(p) floats. */
void conv_chunked_forward(float *out, const float *inp, const float *weight,
                          const conv_params *p, const epilogue *ep, float *scratch);
size_t conv_chunked_scratch_floats(const conv_params *p);
/* col is (C*KD*KH*KW, OD*OH*OW) for one image of C channels. */
void im2col_forward(float *col, const float *inp, int C, const conv_params *p);
/* The adjoint: dinp (C,D,H,W) += every dcol entry at the input position
 * im2col_forward read it from. */
void im2col_backward(float *dinp, const float *dcol, int C,
                     const conv_params *p);
/* Backward of conv_forward without epilogue: dinp (N,C,D,H,W) +=,
 * dweight (M,C/group,KD,KH,KW) +=, dbias (M) += from dout (N,M,OD,OH,OW);
 * any of the three may be NULL. scratch holds
 * conv_backward_scratch_floats(p) floats. Group 1: chunks of images side
 * by side in one product (as conv_chunked_forward), threads taking chunks
 * (own dweight sums) or splitting the products; groups: per image and
 * group, threads taking images. */
void conv_backward(float *dinp, float *dweight, float *dbias,
                   const float *dout, const float *inp, const float *weight,
                   const conv_params *p, float *scratch);
size_t conv_backward_scratch_floats(const conv_params *p);
/* Applies ep to out (M, spatial) rows of one image. */
void epilogue_forward(float *out, int M, int64_t spatial, const epilogue *ep);
/* ---- depthwise.c: 2D convs with one input channel per group ---- */
int depthwise_applies(const conv_params *p);
/* Scratch for depthwise_forward at the current thread count. */
size_t depthwise_scratch_floats(const conv_params *p);
/* out is (N,M,OH,OW), inp is (N,C,H,W), weight is (M,1,KH,KW), M = C * mult;
 * scratch holds depthwise_scratch_floats(p) floats. */
void depthwise_forward(float *out, const float *inp, const float *weight,
                       const conv_params *p, const epilogue *ep,
                       float *scratch);
/* ---- pointwise.c: 1x1 stride-1 group-1 convs, x read in place ---- */
/* Nonzero when p is a 1x1 stride-1 unpadded group-1 conv and this kernel
 * set has a vector micro-kernel (not the generic set). */
int pointwise_applies(const conv_params *p);
/* Nonzero when packed_gemm_forward should run y (M,P) = w (M,K) @ x (K,P):
 * this kernel set has a vector micro-kernel and the shape is one it beats
 * OpenBLAS on. */
int packed_gemm_applies(int M, int K, int64_t P);
/* Floats of pointwise_pack's output for w (M, C). */
size_t pointwise_packed_floats(int M, int C);
/* wp is (ceil(M/6), C, 6): w (M, C) in 6-row panels interleaved by c, the
 * rows past M zero. Done once per plan. */
void pointwise_pack(float *wp, const float *w, int M, int C);
/* out is (N,M,spatial), inp is (N,C,spatial), wp from pointwise_pack; the
 * epilogue is applied in registers before out is stored. */
void pointwise_forward(float *out, const float *inp, const float *wp,
                       const conv_params *p, const epilogue *ep);
/* y (M,P) = w (M,K) @ x (K,P), + bias[m] + residual (M,P), then the
 * activation of ep (may be NULL); wp is pointwise_pack(w, M, K). One image;
 * threads split columns (or rows when P is small). */
void packed_gemm_forward(float *y, const float *x, const float *wp, int M,
                         int K, int64_t P, const epilogue *ep);
/* As packed_gemm_forward on the calling thread only (for callers that split
 * the work themselves, e.g. by conv group). */
void packed_gemm_serial(float *y, const float *x, const float *wp, int M,
                        int K, int64_t P, const epilogue *ep);
/* y (M,P) rows of the 6-row panels [p0, p1) = w (M,K) @ x (K,P), no
 * epilogue, on the calling thread only; wp is pointwise_pack(w, M, K). */
void packed_gemm_panels(float *y, const float *x, const float *wp, int M,
                        int K, int64_t P, int p0, int p1);
/* ---- winograd.c: F(2x2,3x3) for 3x3 stride-1 dense convs ---- */
int winograd_applies(const conv_params *p);
/* Floats of winograd_weights' output. */
size_t winograd_weights_floats(int M, int C);
/* up is the 16 transformed (M, C) weight matrices of w (M, C, 3, 3), each
 * pointwise_pack'ed; u is scratch of M*C floats. Done once per plan. */
void winograd_weights(float *up, float *u, const float *w, int M, int C);
/* Scratch for winograd_forward at the current thread count. */
size_t winograd_scratch_floats(const conv_params *p);
/* out is (N,M,OH,OW), inp is (N,C,H,W), up from winograd_weights; the
 * epilogue is applied by the output transform. */
void winograd_forward(float *out, const float *inp, const float *up,
                      const conv_params *p, const epilogue *ep, float *scratch);
/* For tests: chunk bytes of winograd_forward (0: the default), so small
 * shapes take several chunks. */
void winograd_set_chunk_bytes(size_t bytes);
RT_KERNEL(rt_conv_prepare);
RT_KERNEL(rt_conv);
RT_KERNEL(rt_conv_backward);
RT_KERNEL(rt_conv_transpose);

/* ---- gemm.c ---- */
/* c (M,N) = alpha * op(a) @ op(b) + beta * c, row-major, like cblas_sgemm.
 * One pool of threads: the work is split over OpenMP threads (columns, or
 * rows when N is small), each calling single-threaded OpenBLAS. */
void sgemm_forward(int trans_a, int trans_b, int M, int N, int K, float alpha,
                   const float *a, int lda, const float *b, int ldb,
                   float beta, float *c, int ldc);
/* As sgemm_forward on the calling thread only (OpenBLAS single-threaded),
 * for callers that split the work themselves. */
void sgemm_serial(int trans_a, int trans_b, int M, int N, int K, float alpha,
                  const float *a, int lda, const float *b, int ldb, float beta,
                  float *c, int ldc);
/* y (M,N) = w (M,K) @ x (K,N), then + bias[m] + residual (M,N) and the
 * activation of ep (may be NULL), tile by tile while each tile is in cache. */
void sgemm_epilogue_forward(float *y, const float *w, const float *x, int M,
                            int K, int N, const epilogue *ep);
/* c (M,N) = act(a (M,K) @ b (K,N) + bias (N) + res (M,N)); bias, res may be
 * NULL; lo, hi bound RT_ACT_CLIP. Threads split the larger of M and N and
 * each applies the epilogue to its own block. */
void matmul_epilogue_forward(int M, int N, int K, const float *a,
                             const float *b, float *c, const float *bias,
                             const float *res, rt_act act, float lo, float hi);
/* y is (M,N) = alpha * op(a) @ op(b) + beta * c; a is (M,K) or (K,M) if
 * trans_a, b is (K,N) or (N,K) if trans_b; c broadcasts to (M,N). */
RT_KERNEL(rt_gemm);
RT_KERNEL(rt_gemm_backward);
RT_KERNEL(rt_matmul);
RT_KERNEL(rt_matmul_backward);
RT_KERNEL(rt_einsum);

/* ---- pool.c ---- */
/* dx (NC,S) += dy (NC) / S: GlobalAveragePool's backward. */
void global_avgpool_backward(float *dx, const float *dy, int64_t NC, int64_t S);
RT_KERNEL(rt_maxpool);
RT_KERNEL(rt_maxpool_backward);
RT_KERNEL(rt_avgpool_backward);
RT_KERNEL(rt_avgpool);
RT_KERNEL(rt_global_avgpool);
RT_KERNEL(rt_global_avgpool_backward);
RT_KERNEL(rt_global_maxpool);
RT_KERNEL(rt_lppool);

/* ---- norm.c ---- */
/* y, x are (N,C,S); mean, var, scale, bias are (C); the result is clamped
 * to [lo, hi] (fuse.c's Relu/Clip; -inf, inf for none). */
void batchnorm_forward(float *y, const float *x, const float *scale,
                       const float *bias, const float *mean, const float *var,
                       float eps, int N, int C, int64_t S, float lo, float hi);
/* Training-mode BatchNormalization of x (N,C,S) with batch statistics:
 * y = (x - mean) * invstd * scale + bias per channel; writes mean and
 * invstd (C) for the backward and var (C), the biased batch variance. */
void batchnorm_train_forward(float *y, float *mean, float *invstd, float *var,
                             const float *x, const float *scale,
                             const float *bias, float eps, int N, int C,
                             int64_t S);
/* Its phases, for synchronised BN: per-channel sum of x, sum of (x -
 * mean)^2, both (C) doubles; then y = (x - mean) invstd scale + bias. */
void batchnorm_channel_sums(double *sum, const float *x, int N, int C,
                            int64_t S);
void batchnorm_channel_sqdev(double *sq, const float *x, const float *mean,
                             int N, int C, int64_t S);
void batchnorm_apply(float *y, const float *x, const float *scale,
                     const float *bias, const float *mean,
                     const float *invstd, int N, int C, int64_t S);
/* Its backward: dx (N,C,S) +=, dscale (C) +=, dbias (C) += from dy;
 * mean, invstd from batchnorm_train_forward. */
void batchnorm_backward(float *dx, float *dscale, float *dbias,
                        const float *dy, const float *x, const float *mean,
                        const float *invstd, const float *scale, int N, int C,
                        int64_t S);
/* Its phases: sdy = sum dy, sdyx = sum dy xhat (C); then dx (N,C,S) +=
 * with count samples per channel (the global batch's when synchronised). */
void batchnorm_backward_sums(double *sdy, double *sdyx, const float *dy,
                             const float *x, const float *mean,
                             const float *invstd, int N, int C, int64_t S);
void batchnorm_backward_dx(float *dx, const float *dy, const float *x,
                           const float *mean, const float *invstd,
                           const float *scale, const double *sdy,
                           const double *sdyx, double count, int N, int C,
                           int64_t S);
/* Sum of x (n) in 8 lanes (vectorises without reassociation flags). */
float sum8_forward(const float *x, int64_t n);
/* As LayerNormalization over the last axis, for a node that fuse.c made
 * from ReduceMean..Add: scale fold_w, bias fold_b, epsilon norm_eps. */
RT_KERNEL(rt_fused_layernorm);
/* y, x are (rows, cols): normalise each row, then * scale + bias (cols). */
void layernorm_forward(float *y, const float *x, const float *scale,
                       const float *bias, float eps, int64_t rows,
                       int64_t cols, float *mean_out, float *invstd_out);
/* Its backward: dx (rows, cols) +=, dscale (cols) +=, dbias (cols) += from
 * dy; any of the three may be NULL (scale NULL: ones). The row statistics
 * are recomputed from x as the forward computed them. */
void layernorm_backward(float *dx, float *dscale, float *dbias, const float *dy,
                        const float *x, const float *scale, float eps,
                        int64_t rows, int64_t cols);
RT_KERNEL(rt_layernorm_backward);
RT_KERNEL(rt_batchnorm);
RT_KERNEL(rt_batchnorm_backward);
RT_KERNEL(rt_instancenorm);
RT_KERNEL(rt_layernorm);
RT_KERNEL(rt_groupnorm);
RT_KERNEL(rt_lrn);

/* ---- activation.c ---- */
typedef enum unary_op {
  U_RELU, U_LEAKY, U_ELU, U_SELU, U_CELU, U_THRELU, U_SIGMOID, U_HSIGMOID,
  U_HSWISH, U_TANH, U_GELU, U_GELU_TANH, U_SOFTPLUS, U_SOFTSIGN, U_MISH,
  U_EXP, U_LOG, U_SQRT, U_RECIP, U_FLOOR, U_CEIL, U_ROUND, U_ABS, U_NEG,
  U_SIGN, U_ERF, U_SIN, U_COS, U_TAN, U_ASIN, U_ACOS, U_ATAN, U_SINH,
  U_COSH, U_ASINH, U_ACOSH, U_ATANH, U_ISNAN, U_ISINF, U_IDENTITY,
} unary_op;
/* y, x are (k) floats; a, b: the op's alpha/beta (LeakyRelu, Elu,
 * HardSigmoid). y may be x. */
void unary_forward(float *y, const float *x, int64_t k, unary_op op, float a,
                   float b);
/* dx (k) += dy * dy/dx from x and y = unary_forward(x); -1 (nothing done)
 * for an op without a backward rule. */
int unary_backward(float *dx, const float *dy, const float *x, const float *y,
                   int64_t k, unary_op op, float a, float b);
/* y (k) = y sigmoid(y), in place; threads split y. */
void silu_forward(float *y, int64_t k);
/* y (k) = y min(max(a y + b, 0), 1), in place (x HardSigmoid(x)). */
void hardswish_forward(float *y, int64_t k, float a, float b);
/* y (k) = x/2 (1 + erf(x/sqrt 2)); y may be x. Serial. */
void gelu_forward(float *y, const float *x, int64_t k);
RT_KERNEL(rt_unary_prepare);
RT_KERNEL(rt_unary);
RT_KERNEL(rt_unary_backward); /* every op unary_backward has a rule for */
RT_KERNEL(rt_clip);
RT_KERNEL(rt_clip_backward);
RT_KERNEL(rt_prelu);
/* y, x are (outer, axis, inner); softmax over axis. */
void softmax_forward(float *y, const float *x, int64_t outer, int64_t axis,
                     int64_t inner, int log);
/* dx (k) += dy where x > 0 (Relu; x is its input); clip's between lo, hi. */
void relu_backward(float *dx, const float *dy, const float *x, int64_t k);
void clip_backward(float *dx, const float *dy, const float *x, float lo,
                   float hi, int64_t k);

RT_KERNEL(rt_softmax);
RT_KERNEL(rt_softmax_backward);
/* dx (outer, axis, inner) += the backward of softmax (or log-softmax) over
 * axis, from dy and the forward's output y. */
void softmax_backward(float *dx, const float *dy, const float *y, int64_t outer,
                      int64_t axis, int64_t inner, int log);
RT_KERNEL(rt_hardmax);

/* ---- elementwise.c ---- */
RT_KERNEL(rt_binary_prepare);
RT_KERNEL(rt_binary);
RT_KERNEL(rt_binary_backward); /* Add, Sub, Mul, Div, Pow */
RT_KERNEL(rt_where_backward);
/* How one operand's gradient follows from dy: d(a + b), d(a - b) for b,
 * d(a b), d(a / b) for a, d(a / b) for b, d(a^b) for a, for b, Where's
 * for X (condition true), for Y. */
typedef enum grad_rule {
  G_COPY, G_NEG, G_TIMES, G_DIV, G_DIV_B, G_POW_A, G_POW_B, G_WHERE_T,
  G_WHERE_F,
} grad_rule;
/* d (t's shape) += rule(dy, u, v) over out's shape, u and v broadcast to it,
 * summed over the dims t was broadcast along. G_TIMES, G_DIV: u the other
 * operand; G_DIV_B: u = b, v = y; G_POW_A: u = a, v = b; G_POW_B: u = a,
 * v = y; G_WHERE_*: u the (bool) condition. */
void broadcast_grad(float *d, const sp_tensor *t, const float *dy,
                    const sp_tensor *out, grad_rule rule, const sp_tensor *u,
                    const sp_tensor *v);
RT_KERNEL(rt_variadic);
RT_KERNEL(rt_where);
RT_KERNEL(rt_not);
/* Broadcasting helper: strides of t (in elements) against out's shape. */
void rt_broadcast_strides(const sp_tensor *t, const sp_tensor *out,
                          int64_t *strides);

/* ---- reduce.c ---- */
RT_KERNEL(rt_reduce);
RT_KERNEL(rt_reduce_backward); /* ReduceSum, ReduceMean */
/* dx (dims, rank of them) += scale * dy at the slot x's element was summed
 * into (the dims with mask[d] set reduced; dy's layout with or without
 * keepdims). */
void reduce_sum_backward(float *dx, const float *dy, int rank,
                         const int64_t *dims, const int *mask, float scale);
RT_KERNEL(rt_argmax);

/* ---- tensor.c ---- */
RT_KERNEL(rt_view); /* Reshape, Flatten, Squeeze, Unsqueeze, Identity */
RT_KERNEL(rt_view_backward);
RT_KERNEL(rt_dropout); /* a view outside training */
RT_KERNEL(rt_dropout_backward);
/* y (k) = x keep / (1 - ratio), keep[i] = 1 with probability 1 - ratio,
 * drawn from (stream, i) alone (any thread count gives the same mask). */
void dropout_forward(float *y, uint8_t *keep, const float *x, int64_t k,
                     float ratio, uint64_t stream);
/* dx (k) += dy keep / (1 - ratio). */
void dropout_backward(float *dx, const float *dy, const uint8_t *keep,
                      int64_t k, float ratio);
/* dst[sum idx[d] dst_st[d]] += src[sum idx[d] src_st[d]] for every index
 * of dims (rank of them); serial, so stride-0 (broadcast) dst sums. */
void strided_add(float *dst, const int64_t *dst_st, const float *src,
                 const int64_t *src_st, int rank, const int64_t *dims);
/* dx (outer, dim, inner) += dy (outer, k, inner) at rows indices (k; may be
 * negative): Gather's backward. */
void gather_backward(float *dx, const float *dy, const int64_t *indices,
                     int64_t k, int64_t outer, int64_t dim, int64_t inner);
/* Pad's backward: dx (xdims) += dy (ydims) at the element each output
 * element was copied from; mode 0 constant, 1 reflect, 2 edge, 3 wrap;
 * pads[d] before dim d, pads[d + rank] after. */
void pad_backward(float *dx, const float *dy, int rank, const int64_t *xdims,
                  const int64_t *ydims, const int64_t *pads, int mode);
RT_KERNEL(rt_concat_backward);
RT_KERNEL(rt_split_backward);
RT_KERNEL(rt_slice_backward);
RT_KERNEL(rt_gather_backward);
RT_KERNEL(rt_expand_backward);
RT_KERNEL(rt_cast_backward);
RT_KERNEL(rt_transpose);
RT_KERNEL(rt_transpose_backward);
RT_KERNEL(rt_concat);
RT_KERNEL(rt_split);
RT_KERNEL(rt_slice);
RT_KERNEL(rt_gather);
RT_KERNEL(rt_gather_elements);
RT_KERNEL(rt_scatter_nd);
RT_KERNEL(rt_expand);
RT_KERNEL(rt_tile);
RT_KERNEL(rt_pad);
RT_KERNEL(rt_pad_backward);
RT_KERNEL(rt_shape);
RT_KERNEL(rt_size);
RT_KERNEL(rt_constant_of_shape);
RT_KERNEL(rt_range);
RT_KERNEL(rt_cast);
RT_KERNEL(rt_resize);
RT_KERNEL(rt_depth_to_space);
RT_KERNEL(rt_space_to_depth);
RT_KERNEL(rt_trilu);
RT_KERNEL(rt_cumsum);
RT_KERNEL(rt_eyelike);
/* Copies a strided view: out (dims) from src with per-dim element strides. */
void rt_strided_copy(void *out, const void *src, size_t es, int rank,
                     const int64_t *dims, const int64_t *src_strides);

#endif

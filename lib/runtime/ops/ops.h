/* ops.h - the interpreter's node adapters (one file per op family, each
 * compiled once per ISA level like the kernels): RT_KERNEL functions read a
 * node's attributes and tensors and call the flat kernels of
 * ../kernels/kernels.h; table.c lists them by ONNX op type. */
#ifndef SP_RUNTIME_OPS_H
#define SP_RUNTIME_OPS_H

#include "../kernels/kernels.h"
#include "../runtime_internal.h"

/* This set's op table (table.c); isa.c reaches it as rt_kernel_set_<isa>. */
extern const rt_kernels rt_kernel_set;

/* Adapter: reads the node's attributes and tensors, calls a *_forward. */
#define RT_KERNEL(name) int name(sp_runtime *rt, rt_node *n, sp_error *err)

/* ---- conv.c ---- */
RT_KERNEL(rt_conv_prepare);
RT_KERNEL(rt_conv);
RT_KERNEL(rt_conv_backward);
RT_KERNEL(rt_conv_transpose);

/* ---- gemm.c ---- */
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
/* As LayerNormalization over the last axis, for a node that fuse.c made
 * from ReduceMean..Add: scale fold_w, bias fold_b, epsilon norm_eps. */
RT_KERNEL(rt_fused_layernorm);
RT_KERNEL(rt_layernorm_backward);
RT_KERNEL(rt_batchnorm);
RT_KERNEL(rt_batchnorm_backward);
RT_KERNEL(rt_instancenorm);
RT_KERNEL(rt_layernorm);
RT_KERNEL(rt_groupnorm);
RT_KERNEL(rt_lrn);

/* ---- activation.c ---- */
RT_KERNEL(rt_unary_prepare);
RT_KERNEL(rt_unary);
RT_KERNEL(rt_unary_backward); /* every op unary_backward has a rule for */
RT_KERNEL(rt_clip);
RT_KERNEL(rt_clip_backward);
RT_KERNEL(rt_softmax);
RT_KERNEL(rt_softmax_backward);
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

/* shape_ops.h - private to lib/onnx: helpers for the per-op shape functions
 * and the declarations that shape.c's op table lists.
 *
 * Conventions: a shape function reads in[i] (NULL when the optional input is
 * missing or i >= n_in), writes out[0..n_out); the driver has set every output
 * to "unknown" (rank -1, elem_type 0) and fixes the names afterwards, so a
 * function may copy a whole sp_value_info. Dims are -1 when not static; a dim
 * that passes through unchanged keeps its dim_param. */
#ifndef SP_SHAPE_OPS_H
#define SP_SHAPE_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "sp/shape.h"

/* Short names for ONNX element types. */
enum {
  SP_T_UNDEFINED = 0,
  SP_T_FLOAT = 1,
  SP_T_UINT8 = 2,
  SP_T_INT8 = 3,
  SP_T_UINT16 = 4,
  SP_T_INT16 = 5,
  SP_T_INT32 = 6,
  SP_T_INT64 = 7,
  SP_T_STRING = 8,
  SP_T_BOOL = 9,
  SP_T_FLOAT16 = 10,
  SP_T_DOUBLE = 11,
  SP_T_UINT32 = 12,
  SP_T_UINT64 = 13,
  SP_T_COMPLEX64 = 14,
  SP_T_COMPLEX128 = 15,
  SP_T_BFLOAT16 = 16,
};

#define SP_SHAPE_FN_ARGS                                                       \
  const Onnx__NodeProto *node, const sp_value_info *const *in, int n_in,       \
      sp_value_info *out, int n_out, int64_t opset, sp_error *err

/* ---- errors and attributes (shape_ops_util.c) ---- */

/* Sets err to "node '<name>' (<op>): <message>"; returns -1. */
int sp_shape_fail(sp_error *err, const Onnx__NodeProto *node, const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));

/* The node's name, or its first output when unnamed (for messages). */
const char *sp_node_label(const Onnx__NodeProto *node);

/* The attribute called name, or NULL. */
const Onnx__AttributeProto *sp_attr(const Onnx__NodeProto *node,
                                    const char *name);
int64_t sp_attr_int(const Onnx__NodeProto *node, const char *name,
                    int64_t fallback);
double sp_attr_float(const Onnx__NodeProto *node, const char *name,
                     double fallback);
/* Number of ints of attribute name copied into vals (at most max), or -1 if
 * the attribute is absent. */
int sp_attr_ints(const Onnx__NodeProto *node, const char *name, int64_t *vals,
                 int max);
/* 1 if string attribute name equals s; absent compares as fallback. */
int sp_attr_is(const Onnx__NodeProto *node, const char *name, const char *s,
               const char *fallback);
/* Copies string attribute name into buf (NUL-terminated); 0 if absent. */
int sp_attr_str(const Onnx__NodeProto *node, const char *name, char *buf,
                size_t size);

/* ---- shapes (shape_ops_util.c) ---- */

/* in[i] if present, else NULL. */
static inline const sp_value_info *sp_in(const sp_value_info *const *in,
                                         int n_in, int i) {
  return i < n_in ? in[i] : NULL;
}
static inline int sp_rank_known(const sp_value_info *v) {
  return v && v->rank >= 0;
}
/* Output v gets elem_type and unknown rank. */
void sp_set_unknown(sp_value_info *v, int32_t elem_type);
/* Output v gets elem_type and rank dims, all dynamic. */
void sp_set_rank(sp_value_info *v, int32_t elem_type, int rank);
/* Copies rank, dims and dim_params (not values or type). */
void sp_copy_shape(sp_value_info *dst, const sp_value_info *src);
/* dst dim di = src dim si, keeping its name. */
static inline void sp_copy_dim(sp_value_info *dst, int di,
                               const sp_value_info *src, int si) {
  dst->dims[di] = src->dims[si];
  dst->dim_params[di] = src->dim_params[si];
}
/* Dims beyond this are treated as unknown: no real tensor has them, and
 * window and product arithmetic on them could overflow. */
#define SP_DIM_LIMIT ((int64_t)1 << 40)
/* a * b and a + b of sizes; -1 (unknown) if either is unknown (< 0) or the
 * result overflows (a corrupt model must not be undefined behaviour). */
static inline int64_t sp_dim_mul(int64_t a, int64_t b) {
  int64_t r;
  return a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) ? -1 : r;
}
static inline int64_t sp_dim_add(int64_t a, int64_t b) {
  int64_t r;
  return a < 0 || b < 0 || __builtin_add_overflow(a, b, &r) ? -1 : r;
}
/* x as a size: -1 unless a finite number in [0, SP_DIM_LIMIT]. */
static inline int64_t sp_dim_from_double(double x) {
  return x >= 0 && x <= (double)SP_DIM_LIMIT ? (int64_t)x : -1;
}
static inline void sp_set_dim(sp_value_info *dst, int di, int64_t d) {
  dst->dims[di] = d < 0 ? -1 : d;
  dst->dim_params[di] = NULL;
}
/* Same shape and type as src, no values: for elementwise unary ops. */
void sp_same_as(sp_value_info *dst, const sp_value_info *src);
/* Number of elements if every dim is static, else -1 (-1 for unknown rank). */
int64_t sp_numel(const sp_value_info *v);
/* Product of dims [from, to) if all static, else -1. */
int64_t sp_dims_product(const sp_value_info *v, int from, int to);
/* Normalizes axis (may be negative) for rank; fails naming the node. */
int sp_norm_axis(const Onnx__NodeProto *node, sp_error *err, int64_t axis,
                 int rank, int *out);
/* Merges two descriptions of the same dim (e.g. Concat's non-axis dims):
 * static wins over dynamic; returns -1 if both static and different. */
int sp_merge_dim(sp_value_info *dst, int di, const sp_value_info *src, int si);
/* a becomes what holds for both a and b (If branches, sequence elements,
 * loop-carried values): dims that differ, or differ in name, turn dynamic. */
void sp_merge_info(sp_value_info *a, const sp_value_info *b);
/* Multidirectional (numpy) broadcast of the non-NULL inputs into out's
 * shape; fails naming the node on incompatible static dims. */
int sp_broadcast(const Onnx__NodeProto *node, sp_error *err,
                 const sp_value_info *const *ins, int n, sp_value_info *out);
/* Flat index into v (static, broadcastable to out) of out's element k. */
int64_t sp_broadcast_index(const sp_value_info *out, int64_t k,
                           const sp_value_info *v);
/* "1x3x?x8" (dynamic dims by name when they have one; "scalar",
 * "unranked") into buf. */
const char *sp_dims_str(const sp_value_info *v, char *buf, size_t size);
/* dims gets the shape a 1-D shape tensor describes (Expand,
 * ConstantOfShape): static where its values are known, named where they are
 * partial, all dynamic without values. -1 if its length is not static. */
int sp_shape_from_values(const sp_value_info *shape, sp_value_info *dims);
/* Reads an int64 list (axes, pads, sizes...) from input i if its values are
 * known: number copied, or -1 if unknown/absent. */
int sp_input_ints(const sp_value_info *const *in, int n_in, int i,
                  int64_t *vals, int max);
/* Same for a float list (scales), converting ints; -1 if unknown. */
int sp_input_floats(const sp_value_info *const *in, int n_in, int i,
                    double *vals, int max);
/* Axes from attribute (opset < since) or input index (opset >= since):
 * number read, -1 if none given, -2 if given but not known. */
int sp_axes_arg(const Onnx__NodeProto *node, const sp_value_info *const *in,
                int n_in, int input_index, int64_t opset, int64_t since,
                int64_t *axes, int max);

/* ---- values (shape_ops_util.c) ---- */

static inline int sp_is_float_type(int32_t t) {
  return t == SP_T_FLOAT || t == SP_T_DOUBLE || t == SP_T_FLOAT16 ||
         t == SP_T_BFLOAT16;
}
static inline int sp_is_int_type(int32_t t) {
  return t == SP_T_INT64 || t == SP_T_INT32 || t == SP_T_INT16 ||
         t == SP_T_INT8 || t == SP_T_UINT8 || t == SP_T_UINT16 ||
         t == SP_T_UINT32 || t == SP_T_UINT64 || t == SP_T_BOOL;
}
/* The name of element i of a partial value (NULL if known or unnamed). */
static inline const char *sp_value_param(const sp_value_info *v, int64_t i) {
  return v->partial_value && i >= 0 && i < SP_MAX_RANK ? v->value_params[i]
                                                       : NULL;
}
/* 1 if v carries integer elements (all known, or partial). */
static inline int sp_has_ints(const sp_value_info *v) {
  return v && (v->has_value || v->partial_value);
}
/* Copies x's values (int, float or partial) to y: for ops that keep the
 * row-major element order (Reshape, Squeeze, Flatten, Unsqueeze). */
void sp_keep_values(const sp_value_info *x, sp_value_info *y);
/* Stores n integer elements (SP_UNKNOWN_VALUE allowed, named by params or
 * NULL) into v if n fits (SP_MAX_RANK for a partial value); sets has_value
 * or partial_value. */
void sp_set_int_values(sp_value_info *v, const int64_t *vals,
                       const char *const *params, int64_t n);
void sp_set_float_values(sp_value_info *v, const double *vals, int64_t n);
/* Reads a TensorProto's contents into v's values when small and stored
 * inline (raw_data or typed fields). 0 if not read. */
int sp_tensor_values(const Onnx__TensorProto *t, const void *data, size_t size,
                     sp_value_info *v);
/* Type and shape of a TensorProto into v. */
void sp_tensor_info(const Onnx__TensorProto *t, sp_value_info *v);
/* Integer value of a scalar / one-element input (depth, K, size), or fails:
 * returns 1 with *x set, 0 if not known. Accepts float values. */
int sp_input_scalar(const sp_value_info *v, double *x);

/* ---- per-op functions, listed in shape.c's table ---- */

/* shape_ops_elementwise.c */
int sp_shape_unary(SP_SHAPE_FN_ARGS);        /* Relu, Sigmoid, Tanh... */
int sp_shape_unary_values(SP_SHAPE_FN_ARGS); /* Neg, Abs, Floor... (+values) */
int sp_shape_to_bool(SP_SHAPE_FN_ARGS);      /* IsNaN, IsInf */
int sp_shape_not(SP_SHAPE_FN_ARGS);
int sp_shape_identity(SP_SHAPE_FN_ARGS);
int sp_shape_binary(SP_SHAPE_FN_ARGS);   /* Add, Sub, Mul, Div, Pow, Mod... */
int sp_shape_compare(SP_SHAPE_FN_ARGS);  /* Equal, Less, And, ... -> bool */
int sp_shape_variadic(SP_SHAPE_FN_ARGS); /* Min, Max, Sum, Mean */
int sp_shape_where(SP_SHAPE_FN_ARGS);
int sp_shape_prelu(SP_SHAPE_FN_ARGS);
int sp_shape_clip(SP_SHAPE_FN_ARGS);
int sp_shape_dropout(SP_SHAPE_FN_ARGS);
int sp_shape_softmax(SP_SHAPE_FN_ARGS);
int sp_shape_cast(SP_SHAPE_FN_ARGS);
int sp_shape_cast_like(SP_SHAPE_FN_ARGS);
int sp_shape_like_dtype(SP_SHAPE_FN_ARGS); /* EyeLike, RandomUniformLike */
int sp_shape_cumsum(SP_SHAPE_FN_ARGS);
int sp_shape_trilu(SP_SHAPE_FN_ARGS);

/* shape_ops_conv.c */
int sp_shape_conv(SP_SHAPE_FN_ARGS);
int sp_shape_conv_integer(SP_SHAPE_FN_ARGS);
int sp_shape_qlinear_conv(SP_SHAPE_FN_ARGS);
int sp_shape_conv_transpose(SP_SHAPE_FN_ARGS);
int sp_shape_pool(SP_SHAPE_FN_ARGS); /* MaxPool, AveragePool, LpPool */
int sp_shape_global_pool(SP_SHAPE_FN_ARGS);
int sp_shape_max_unpool(SP_SHAPE_FN_ARGS);
int sp_shape_max_roi_pool(SP_SHAPE_FN_ARGS);
int sp_shape_roi_align(SP_SHAPE_FN_ARGS);
int sp_shape_col2im(SP_SHAPE_FN_ARGS);
int sp_shape_crop(SP_SHAPE_FN_ARGS);

/* shape_ops_nn.c */
int sp_shape_batch_norm(SP_SHAPE_FN_ARGS);
int sp_shape_instance_norm(SP_SHAPE_FN_ARGS);
int sp_shape_layer_norm(SP_SHAPE_FN_ARGS);
int sp_shape_group_norm(SP_SHAPE_FN_ARGS);
int sp_shape_matmul(SP_SHAPE_FN_ARGS);
int sp_shape_matmul_integer(SP_SHAPE_FN_ARGS);
int sp_shape_qlinear_matmul(SP_SHAPE_FN_ARGS);
int sp_shape_gemm(SP_SHAPE_FN_ARGS);
int sp_shape_einsum(SP_SHAPE_FN_ARGS);
int sp_shape_rnn(SP_SHAPE_FN_ARGS); /* RNN, GRU, LSTM */
int sp_shape_grid_sample(SP_SHAPE_FN_ARGS);
int sp_shape_affine_grid(SP_SHAPE_FN_ARGS);
int sp_shape_nll_loss(SP_SHAPE_FN_ARGS);
int sp_shape_softmax_ce_loss(SP_SHAPE_FN_ARGS);

/* shape_ops_reshape.c */
int sp_shape_reshape(SP_SHAPE_FN_ARGS);
int sp_shape_flatten(SP_SHAPE_FN_ARGS);
int sp_shape_transpose(SP_SHAPE_FN_ARGS);
int sp_shape_squeeze(SP_SHAPE_FN_ARGS);
int sp_shape_unsqueeze(SP_SHAPE_FN_ARGS);
int sp_shape_depth_to_space(SP_SHAPE_FN_ARGS);
int sp_shape_space_to_depth(SP_SHAPE_FN_ARGS);

/* shape_ops_tensor.c */
int sp_shape_concat(SP_SHAPE_FN_ARGS);
int sp_shape_split(SP_SHAPE_FN_ARGS);
int sp_shape_slice(SP_SHAPE_FN_ARGS);
int sp_shape_gather(SP_SHAPE_FN_ARGS);
int sp_shape_gather_elements(SP_SHAPE_FN_ARGS);
int sp_shape_gather_nd(SP_SHAPE_FN_ARGS);
int sp_shape_expand(SP_SHAPE_FN_ARGS);
int sp_shape_tile(SP_SHAPE_FN_ARGS);
int sp_shape_pad(SP_SHAPE_FN_ARGS);
int sp_shape_resize(SP_SHAPE_FN_ARGS);
int sp_shape_upsample(SP_SHAPE_FN_ARGS);
int sp_shape_same_as_data(SP_SHAPE_FN_ARGS); /* Scatter*, ReverseSequence */
int sp_shape_compress(SP_SHAPE_FN_ARGS);
int sp_shape_onehot(SP_SHAPE_FN_ARGS);
int sp_shape_center_crop_pad(SP_SHAPE_FN_ARGS);

/* shape_ops_reduce.c */
int sp_shape_reduce(SP_SHAPE_FN_ARGS); /* Reduce* */
int sp_shape_argmax(SP_SHAPE_FN_ARGS); /* ArgMax, ArgMin */
int sp_shape_topk(SP_SHAPE_FN_ARGS);
int sp_shape_det(SP_SHAPE_FN_ARGS);

/* shape_ops_misc.c */
int sp_shape_constant(SP_SHAPE_FN_ARGS);
int sp_shape_constant_of_shape(SP_SHAPE_FN_ARGS);
int sp_shape_shape(SP_SHAPE_FN_ARGS);
int sp_shape_size(SP_SHAPE_FN_ARGS);
int sp_shape_range(SP_SHAPE_FN_ARGS);
int sp_shape_nonzero(SP_SHAPE_FN_ARGS);
int sp_shape_unique(SP_SHAPE_FN_ARGS);
int sp_shape_nms(SP_SHAPE_FN_ARGS);
int sp_shape_random(SP_SHAPE_FN_ARGS); /* RandomUniform, RandomNormal */
int sp_shape_multinomial(SP_SHAPE_FN_ARGS);
int sp_shape_quantize(SP_SHAPE_FN_ARGS);
int sp_shape_dequantize(SP_SHAPE_FN_ARGS);
int sp_shape_dynamic_quantize(SP_SHAPE_FN_ARGS);
int sp_shape_window(SP_SHAPE_FN_ARGS); /* Hann/Hamming/BlackmanWindow */
int sp_shape_dft(SP_SHAPE_FN_ARGS);
int sp_shape_stft(SP_SHAPE_FN_ARGS);
int sp_shape_mel_weight_matrix(SP_SHAPE_FN_ARGS);
int sp_shape_tfidf(SP_SHAPE_FN_ARGS);
int sp_shape_string_normalizer(SP_SHAPE_FN_ARGS);
int sp_shape_string_split(SP_SHAPE_FN_ARGS);
int sp_shape_optimizer(SP_SHAPE_FN_ARGS); /* Adagrad, Adam, Momentum */
int sp_shape_gradient(SP_SHAPE_FN_ARGS);

/* shape_ops_sequence.c */
int sp_shape_sequence_empty(SP_SHAPE_FN_ARGS);
int sp_shape_sequence_construct(SP_SHAPE_FN_ARGS);
int sp_shape_sequence_insert(SP_SHAPE_FN_ARGS);
int sp_shape_sequence_erase(SP_SHAPE_FN_ARGS);
int sp_shape_sequence_at(SP_SHAPE_FN_ARGS);
int sp_shape_sequence_length(SP_SHAPE_FN_ARGS);
int sp_shape_split_to_sequence(SP_SHAPE_FN_ARGS);
int sp_shape_concat_from_sequence(SP_SHAPE_FN_ARGS);
int sp_shape_optional(SP_SHAPE_FN_ARGS);
int sp_shape_optional_get_element(SP_SHAPE_FN_ARGS);
int sp_shape_optional_has_element(SP_SHAPE_FN_ARGS);

#endif

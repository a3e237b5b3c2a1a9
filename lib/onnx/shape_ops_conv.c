/* shape_ops_conv.c - sliding windows: Conv, ConvTranspose, ConvInteger,
 * QLinearConv, pooling, MaxUnpool, RoI pooling. Layouts are ONNX's: NCHW,
 * weights OIHW (IOHW for ConvTranspose). */
#include <string.h>

#include "shape_ops.h"

/* ---- spatial attributes (Conv, ConvTranspose, pools) ---- */

enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID };

typedef struct spatial {
  int n;                       /* number of spatial dims */
  int64_t kernel[SP_MAX_RANK]; /* -1 where unknown */
  int64_t strides[SP_MAX_RANK], dilations[SP_MAX_RANK];
  int64_t pads[2 * SP_MAX_RANK]; /* begins then ends */
  int auto_pad;
  int ceil_mode;
} spatial;

/* Reads a per-spatial-dim int list attribute, defaulting to fill. */
static int read_list(const Onnx__NodeProto *node, sp_error *err,
                     const char *name, int n, int64_t fill, int64_t *vals) {
  int64_t tmp[2 * SP_MAX_RANK];
  int got = sp_attr_ints(node, name, tmp, 2 * SP_MAX_RANK);
  for (int i = 0; i < n; ++i)
    vals[i] = fill;
  if (got < 0)
    return 0;
  if (got != n)
    return sp_shape_fail(err, node, "attribute '%s' has %d values, expected %d",
                         name, got, n);
  memcpy(vals, tmp, (size_t)n * sizeof *vals);
  return 0;
}

/* Fills s for n spatial dims; kernel from the attribute or weight dims. */
static int read_spatial(const Onnx__NodeProto *node, sp_error *err, int n,
                        const sp_value_info *weight, spatial *s) {
  s->n = n;
  for (int i = 0; i < n; ++i)
    s->kernel[i] = weight && weight->rank == n + 2 ? weight->dims[2 + i] : -1;
  if (sp_attr(node, "kernel_shape") &&
      read_list(node, err, "kernel_shape", n, -1, s->kernel))
    return -1;
  if (read_list(node, err, "strides", n, 1, s->strides) ||
      read_list(node, err, "dilations", n, 1, s->dilations) ||
      read_list(node, err, "pads", 2 * n, 0, s->pads))
    return -1;
  const int64_t limit = (int64_t)1 << 30; // keeps window arithmetic in range
  for (int i = 0; i < n; ++i) {
    if (s->strides[i] <= 0 || s->dilations[i] <= 0)
      return sp_shape_fail(err, node, "strides and dilations must be positive");
    if (s->strides[i] > limit || s->dilations[i] > limit ||
        s->kernel[i] > limit || s->pads[i] > limit || s->pads[i] < -limit ||
        s->pads[n + i] > limit || s->pads[n + i] < -limit)
      return sp_shape_fail(err, node,
                           "kernel, stride, dilation or pad of "
                           "spatial dim %d is out of range",
                           i);
  }
  char pad[32];
  sp_attr_str(node, "auto_pad", pad, sizeof pad);
  s->auto_pad = !strcmp(pad, "SAME_UPPER")   ? PAD_SAME_UPPER
                : !strcmp(pad, "SAME_LOWER") ? PAD_SAME_LOWER
                : !strcmp(pad, "VALID")      ? PAD_VALID
                                             : PAD_NOTSET;
  s->ceil_mode = (int)sp_attr_int(node, "ceil_mode", 0);
  return 0;
}

static int64_t ceil_div(int64_t a, int64_t b) {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

static int64_t floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Output size of spatial dim i of a sliding window over `size` inputs;
 * -1 if unknown. */
static int64_t window_out(const spatial *s, int i, int64_t size) {
  int64_t k = s->kernel[i];
  if (size < 0 || size > SP_DIM_LIMIT)
    return -1;
  if (s->auto_pad == PAD_SAME_UPPER || s->auto_pad == PAD_SAME_LOWER)
    return ceil_div(size, s->strides[i]);
  if (k < 0)
    return -1;
  int64_t ek = (k - 1) * s->dilations[i] + 1;
  int64_t pb = 0, pe = 0;
  if (s->auto_pad == PAD_NOTSET)
    pb = s->pads[i], pe = s->pads[s->n + i];
  int64_t span = size + pb + pe - ek;
  if (!s->ceil_mode)
    return floor_div(span, s->strides[i]) + 1;
  int64_t out = ceil_div(span, s->strides[i]) + 1;
  if ((out - 1) * s->strides[i] >= size + pb)
    --out; // the last window must start inside the input or its begin pad
  return out;
}

/* Writes spatial dims of y (from index 2) for x; identity windows keep the
 * dim's name. Fails on an empty output. */
static int window_dims(const Onnx__NodeProto *node, sp_error *err,
                       const spatial *s, const sp_value_info *x,
                       sp_value_info *y) {
  for (int i = 0; i < s->n; ++i) {
    int64_t size = x->dims[2 + i];
    int64_t o = window_out(s, i, size);
    int same_pad =
        s->auto_pad == PAD_SAME_UPPER || s->auto_pad == PAD_SAME_LOWER;
    int identity = s->strides[i] == 1 &&
                   (same_pad || (s->kernel[i] == 1 && s->pads[i] == 0 &&
                                 s->pads[s->n + i] == 0));
    if (size < 0 && identity) {
      sp_copy_dim(y, 2 + i, x, 2 + i);
      continue;
    }
    if (size >= 0 && o <= 0)
      return sp_shape_fail(err, node,
                           "spatial dim %d: kernel %lld (dilation %lld) does "
                           "not fit padded input %lld",
                           i, (long long)s->kernel[i],
                           (long long)s->dilations[i], (long long)size);
    sp_set_dim(y, 2 + i, o);
  }
  return 0;
}

static const char *weight_layout(int rank, int transposed) {
  static const char *const conv[] = {"OI", "OIW", "OIHW", "OIDHW"};
  static const char *const convt[] = {"IO", "IOW", "IOHW", "IODHW"};
  if (rank < 2 || rank > 5)
    return transposed ? "IO..." : "OI...";
  return transposed ? convt[rank - 2] : conv[rank - 2];
}

/* ---- convolution ---- */

/* Conv core: X (N,C,D1..Dn), W (M,C/group,k1..kn), B (M) -> (N,M,O1..On). */
static int conv_core(const Onnx__NodeProto *node, sp_error *err,
                     const sp_value_info *x, const sp_value_info *w,
                     const sp_value_info *b, sp_value_info *y) {
  int rank = sp_rank_known(x) ? x->rank : sp_rank_known(w) ? w->rank : -1;
  if (rank < 0)
    return 0;
  if (rank < 3)
    return sp_shape_fail(err, node, "input must have rank >= 3, got %d", rank);
  if (sp_rank_known(x) && sp_rank_known(w) && x->rank != w->rank)
    return sp_shape_fail(err, node,
                         "input rank %d does not match weight rank %d", x->rank,
                         w->rank);
  int64_t group = sp_attr_int(node, "group", 1);
  if (group <= 0)
    return sp_shape_fail(err, node, "group must be positive, got %lld",
                         (long long)group);
  int64_t c = sp_rank_known(x) ? x->dims[1] : -1;
  int64_t wc = sp_rank_known(w) ? w->dims[1] : -1;
  int64_t m = sp_rank_known(w) ? w->dims[0] : -1;
  if (c >= 0 && wc >= 0 && c != sp_dim_mul(wc, group))
    return sp_shape_fail(err, node,
                         "input channels %lld do not match weight (%s) "
                         "channels %lld * group %lld",
                         (long long)c, weight_layout(rank, 0), (long long)wc,
                         (long long)group);
  if (m >= 0 && m % group != 0)
    return sp_shape_fail(err, node,
                         "output channels %lld are not divisible by group %lld",
                         (long long)m, (long long)group);
  if (m >= 0 && sp_rank_known(b) && b->rank == 1 && b->dims[0] >= 0 &&
      b->dims[0] != m)
    return sp_shape_fail(err, node,
                         "bias has %lld values for %lld output channels",
                         (long long)b->dims[0], (long long)m);
  spatial s;
  if (read_spatial(node, err, rank - 2, sp_rank_known(w) ? w : NULL, &s))
    return -1;
  y->rank = rank;
  if (!sp_rank_known(x)) {
    for (int i = 0; i < rank; ++i)
      sp_set_dim(y, i, -1);
    sp_set_dim(y, 1, m);
    return 0;
  }
  sp_copy_dim(y, 0, x, 0);
  if (m >= 0 || !sp_rank_known(w))
    sp_set_dim(y, 1, m);
  else
    sp_copy_dim(y, 1, w, 0);
  return window_dims(node, err, &s, x, y);
}

// Conv(X (N,C,H,W), W (M,C/g,kH,kW), B (M)) -> (N,M,OH,OW).
int sp_shape_conv(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  return conv_core(node, err, x, sp_in(in, n_in, 1), sp_in(in, n_in, 2),
                   &out[0]);
}

// ConvInteger(X, W, x_zp, w_zp) -> int32 (N,M,OH,OW).
int sp_shape_conv_integer(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  sp_set_unknown(&out[0], SP_T_INT32);
  return conv_core(node, err, sp_in(in, n_in, 0), sp_in(in, n_in, 1), NULL,
                   &out[0]);
}

// QLinearConv(x, xs, xzp, w, ws, wzp, ys, yzp, B) -> type of yzp.
int sp_shape_qlinear_conv(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *yzp = sp_in(in, n_in, 7), *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], yzp ? yzp->elem_type : x ? x->elem_type : 0);
  return conv_core(node, err, x, sp_in(in, n_in, 3), sp_in(in, n_in, 8),
                   &out[0]);
}

/* Spatial output size of ConvTranspose dim i for input size `size`. */
static int64_t transpose_out(const spatial *s, int i, int64_t size,
                             int64_t out_pad) {
  if (size < 0 || size > SP_DIM_LIMIT || out_pad < 0 || out_pad > SP_DIM_LIMIT)
    return -1;
  if (s->auto_pad == PAD_SAME_UPPER || s->auto_pad == PAD_SAME_LOWER)
    return size * s->strides[i];
  if (s->kernel[i] < 0)
    return -1;
  int64_t pb = 0, pe = 0;
  if (s->auto_pad == PAD_NOTSET)
    pb = s->pads[i], pe = s->pads[s->n + i];
  return s->strides[i] * (size - 1) + out_pad +
         (s->kernel[i] - 1) * s->dilations[i] + 1 - pb - pe;
}

// ConvTranspose(X (N,C,H,W), W (C,M/g,kH,kW), B (M)) -> (N,M,OH,OW).
int sp_shape_conv_transpose(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0), *w = sp_in(in, n_in, 1);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  int rank = sp_rank_known(x) ? x->rank : sp_rank_known(w) ? w->rank : -1;
  if (rank < 0)
    return 0;
  if (rank < 3)
    return sp_shape_fail(err, node, "input must have rank >= 3, got %d", rank);
  int64_t group = sp_attr_int(node, "group", 1);
  int64_t c = sp_rank_known(x) ? x->dims[1] : -1;
  int64_t wc = sp_rank_known(w) ? w->dims[0] : -1;
  if (c >= 0 && wc >= 0 && c != wc)
    return sp_shape_fail(err, node,
                         "input channels %lld do not match weight (%s) "
                         "channels %lld",
                         (long long)c, weight_layout(rank, 1), (long long)wc);
  spatial s;
  if (read_spatial(node, err, rank - 2, sp_rank_known(w) ? w : NULL, &s))
    return -1;
  int64_t out_pad[SP_MAX_RANK], out_shape[SP_MAX_RANK + 2];
  if (read_list(node, err, "output_padding", s.n, 0, out_pad))
    return -1;
  int n_shape = sp_attr_ints(node, "output_shape", out_shape, SP_MAX_RANK + 2);
  sp_set_rank(&out[0], out[0].elem_type, rank);
  if (sp_rank_known(x))
    sp_copy_dim(&out[0], 0, x, 0);
  int64_t m = sp_rank_known(w) ? sp_dim_mul(w->dims[1], group) : -1;
  sp_set_dim(&out[0], 1, m);
  for (int i = 0; i < s.n; ++i) {
    int64_t size = sp_rank_known(x) ? x->dims[2 + i] : -1;
    int64_t o = n_shape >= s.n ? out_shape[n_shape - s.n + i]
                               : transpose_out(&s, i, size, out_pad[i]);
    if (o == 0 || o < -1)
      return sp_shape_fail(err, node, "spatial dim %d would have size %lld", i,
                           (long long)o);
    sp_set_dim(&out[0], 2 + i, o);
  }
  return 0;
}

/* ---- pooling ---- */

// MaxPool/AveragePool/LpPool(X (N,C,H,W)) -> (N,C,OH,OW) [, indices int64].
int sp_shape_pool(SP_SHAPE_FN_ARGS) {
  (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  int64_t kernel[SP_MAX_RANK];
  int nk = sp_attr_ints(node, "kernel_shape", kernel, SP_MAX_RANK - 2);
  int rank = sp_rank_known(x) ? x->rank : nk >= 0 ? nk + 2 : -1;
  if (rank >= 0 && rank < 3)
    return sp_shape_fail(err, node, "input must have rank >= 3, got %d", rank);
  if (nk >= 0 && rank >= 0 && nk != rank - 2)
    return sp_shape_fail(
        err, node, "kernel_shape has %d dims for input rank %d", nk, rank);
  if (rank >= 0) {
    spatial s;
    if (read_spatial(node, err, rank - 2, NULL, &s))
      return -1;
    sp_set_rank(&out[0], out[0].elem_type, rank);
    if (sp_rank_known(x)) {
      sp_copy_dim(&out[0], 0, x, 0);
      sp_copy_dim(&out[0], 1, x, 1);
      if (window_dims(node, err, &s, x, &out[0]))
        return -1;
    }
  }
  if (n_out > 1) {
    sp_same_as(&out[1], &out[0]);
    out[1].elem_type = SP_T_INT64;
  }
  return 0;
}

// GlobalAveragePool/GlobalMaxPool/GlobalLpPool(X (N,C,H,W)) -> (N,C,1,1).
int sp_shape_global_pool(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  if (!sp_rank_known(x))
    return 0;
  if (x->rank < 2)
    return sp_shape_fail(err, node, "input must have rank >= 2, got %d",
                         x->rank);
  for (int i = 2; i < x->rank; ++i)
    sp_set_dim(&out[0], i, 1);
  return 0;
}

// MaxUnpool(X (N,C,H,W), I, output_shape?) -> output_shape or unpooled size.
int sp_shape_max_unpool(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  int64_t shape[SP_MAX_RANK];
  int n = sp_input_ints(in, n_in, 2, shape, SP_MAX_RANK);
  if (n >= 0) {
    sp_set_rank(&out[0], out[0].elem_type, n);
    for (int i = 0; i < n; ++i)
      sp_set_dim(&out[0], i, shape[i]);
    return 0;
  }
  if (!sp_rank_known(x))
    return 0;
  if (x->rank < 3)
    return sp_shape_fail(err, node, "input must have rank >= 3, got %d",
                         x->rank);
  spatial s;
  if (read_spatial(node, err, x->rank - 2, NULL, &s))
    return -1;
  sp_same_as(&out[0], x);
  if (sp_in(in, n_in, 2)) { // output_shape given but not known statically
    sp_set_rank(&out[0], x->elem_type, x->rank);
    return 0;
  }
  for (int i = 0; i < s.n; ++i) {
    int64_t size = x->dims[2 + i];
    sp_set_dim(&out[0], 2 + i,
               size < 0 || size > SP_DIM_LIMIT || s.kernel[i] < 0
                   ? -1
                   : (size - 1) * s.strides[i] + s.kernel[i] - s.pads[i] -
                         s.pads[s.n + i]);
  }
  return 0;
}

// MaxRoiPool(X (N,C,H,W), rois (R,5)) -> (R,C,pH,pW).
int sp_shape_max_roi_pool(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0), *rois = sp_in(in, n_in, 1);
  int64_t pooled[2] = {-1, -1};
  sp_attr_ints(node, "pooled_shape", pooled, 2);
  sp_set_rank(&out[0], x ? x->elem_type : 0, 4);
  if (sp_rank_known(rois) && rois->rank >= 1)
    sp_copy_dim(&out[0], 0, rois, 0);
  if (sp_rank_known(x) && x->rank >= 2)
    sp_copy_dim(&out[0], 1, x, 1);
  sp_set_dim(&out[0], 2, pooled[0]);
  sp_set_dim(&out[0], 3, pooled[1]);
  return 0;
}

// RoiAlign(X (N,C,H,W), rois (R,4), batch_indices (R)) -> (R,C,oh,ow).
int sp_shape_roi_align(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset, (void)err;
  const sp_value_info *x = sp_in(in, n_in, 0), *rois = sp_in(in, n_in, 1);
  sp_set_rank(&out[0], x ? x->elem_type : 0, 4);
  if (sp_rank_known(rois) && rois->rank >= 1)
    sp_copy_dim(&out[0], 0, rois, 0);
  if (sp_rank_known(x) && x->rank >= 2)
    sp_copy_dim(&out[0], 1, x, 1);
  sp_set_dim(&out[0], 2, sp_attr_int(node, "output_height", 1));
  sp_set_dim(&out[0], 3, sp_attr_int(node, "output_width", 1));
  return 0;
}

// Col2Im(input (N, C*prod(block), L), image_shape, block_shape)
//   -> (N, C, image dims...).
int sp_shape_col2im(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  int64_t image[SP_MAX_RANK], block[SP_MAX_RANK];
  int n = sp_input_ints(in, n_in, 1, image, SP_MAX_RANK - 2);
  int nb = sp_input_ints(in, n_in, 2, block, SP_MAX_RANK - 2);
  sp_set_unknown(&out[0], x ? x->elem_type : 0);
  if (n < 0)
    return 0;
  if (nb >= 0 && nb != n)
    return sp_shape_fail(err, node, "image_shape has %d dims, block_shape %d",
                         n, nb);
  sp_set_rank(&out[0], out[0].elem_type, n + 2);
  for (int i = 0; i < n; ++i)
    sp_set_dim(&out[0], 2 + i, image[i]);
  if (!sp_rank_known(x) || x->rank != 3)
    return 0;
  sp_copy_dim(&out[0], 0, x, 0);
  int64_t patch = 1;
  for (int i = 0; nb >= 0 && i < nb; ++i)
    patch = sp_dim_mul(patch, block[i]);
  if (nb >= 0 && x->dims[1] >= 0 && patch <= 0)
    return sp_shape_fail(err, node, "block_shape must be positive");
  if (nb >= 0 && x->dims[1] >= 0 && x->dims[1] % patch)
    return sp_shape_fail(err, node,
                         "channels %lld are not divisible by the "
                         "block size %lld",
                         (long long)x->dims[1], (long long)patch);
  sp_set_dim(&out[0], 1, nb >= 0 && x->dims[1] >= 0 ? x->dims[1] / patch : -1);
  return 0;
}

// Crop(X (N,C,H,W), border [l,t,r,b], scale [h,w]?) -> the cropped image.
int sp_shape_crop(SP_SHAPE_FN_ARGS) {
  (void)n_out, (void)opset;
  const sp_value_info *x = sp_in(in, n_in, 0);
  sp_same_as(&out[0], x);
  int64_t border[4] = {0, 0, 0, 0}, scale[2];
  sp_attr_ints(node, "border", border, 4);
  for (int i = 0; i < 4; ++i)
    if (border[i] < 0 || border[i] > SP_DIM_LIMIT)
      return sp_shape_fail(err, node, "border %lld is out of range",
                           (long long)border[i]);
  int has_scale = sp_attr_ints(node, "scale", scale, 2) == 2;
  if (!sp_rank_known(x) || x->rank != 4)
    return 0;
  for (int d = 0; d < 2; ++d) {
    int64_t size = x->dims[2 + d];
    int64_t cut = border[1 - d] + border[3 - d]; // H: top+bottom, W: left+right
    sp_set_dim(&out[0], 2 + d,
               has_scale  ? scale[d]
               : size < 0 ? -1
                          : size - cut);
  }
  return 0;
}

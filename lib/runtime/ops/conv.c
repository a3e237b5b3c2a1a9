/* conv.c - node adapters of Conv and ConvTranspose: geometry and fusion
 * read from the node, the algorithm chosen, then kernels/conv.c,
 * direct3x3.c, winograd.c, pointwise.c or depthwise.c. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* ---- node adapters ---- */

static int64_t spatial(const int *s) { return (int64_t)s[0] * s[1] * s[2]; }

/* Fills p from the node; input is (N,C,spatial...), weight (M,C/g,k...).
 * transpose: weight is (C, M/g, k...) and out is the ConvTranspose output. */
static int conv_geometry(rt_node *n, conv_params *p, int transpose,
                         sp_error *err) {
  const sp_tensor *x = &n->in[0]->t, *w = &n->in[1]->t, *y = &n->out[0]->t;
  int ns = x->rank - 2;
  if (ns < 1 || ns > 3 || w->rank != x->rank)
    return rt_unsupported(err, n, "only 1-3 spatial dims have a kernel");
  memset(p, 0, sizeof *p);
  // The kernels index with int: a bound shape past that is an error, not a
  // wrapped (negative) size.
  for (int i = 0; i < x->rank; ++i)
    if (x->dims[i] > INT_MAX || y->dims[i] > INT_MAX || w->dims[i] > INT_MAX)
      return rt_fail(err, n, "dim %d of %lld is too large for the conv kernels", i,
                     (long long)(x->dims[i] > INT_MAX ? x->dims[i] : y->dims[i] > INT_MAX
                                                                         ? y->dims[i]
                                                                         : w->dims[i]));
  p->N = (int)x->dims[0];
  p->C = (int)x->dims[1];
  p->group = (int)rt_attr_int(n, "group", 1);
  p->M = (int)y->dims[1];
  int64_t pads[6] = {0}, strides[3], dil[3], ks[3];
  int np = rt_attr_ints(n, "pads", pads, 6);
  if (rt_attr_ints(n, "strides", strides, 3) < 0)
    strides[0] = strides[1] = strides[2] = 1;
  if (rt_attr_ints(n, "dilations", dil, 3) < 0)
    dil[0] = dil[1] = dil[2] = 1;
  for (int d = 0; d < 3; ++d) {
    p->in[d] = p->out[d] = p->k[d] = p->stride[d] = p->dil[d] = 1;
  }
  for (int i = 0; i < ns; ++i) {
    int d = 3 - ns + i;
    ks[i] = w->dims[2 + i];
    p->in[d] = (int)x->dims[2 + i];
    p->out[d] = (int)y->dims[2 + i];
    p->k[d] = (int)ks[i];
    p->stride[d] = (int)strides[i];
    p->dil[d] = (int)dil[i];
    p->pad[d] = np > 0 ? (int)pads[i] : 0;
  }
  char ap[32];
  rt_attr_str(n, "auto_pad", ap, sizeof ap, "NOTSET");
  if (!transpose && (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER"))) {
    for (int i = 0; i < ns; ++i) {
      int d = 3 - ns + i;
      int64_t total = (int64_t)(p->out[d] - 1) * p->stride[d] +
                      (int64_t)(p->k[d] - 1) * p->dil[d] + 1 - p->in[d];
      if (total < 0)
        total = 0;
      p->pad[d] = (int)(!strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2);
    }
  } else if (!strcmp(ap, "VALID")) {
    for (int d = 0; d < 3; ++d)
      p->pad[d] = 0;
  }
  if (p->group <= 0 || p->C % p->group || p->M % p->group)
    return rt_fail(err, n, "group %d does not divide channels", p->group);
  return 0;
}

RT_KERNEL(rt_conv_prepare) {
  (void)rt;
  if (n->n_in < 2 || !n->in[0] || !n->in[1])
    return rt_fail(err, n, "needs inputs X and W");
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (!rc)
    rc = rt_check_types(err, n, 1, RT_FLOAT, 0);
  if (rc)
    return rc;
  if (n->in[0]->t.rank < 3 || n->in[0]->t.rank > 5)
    return rt_unsupported(err, n, "only 1-3 spatial dims have a kernel");
  return 0;
}

RT_KERNEL(rt_conv_backward) {
  conv_params p;
  int rc = conv_geometry(n, &p, 0, err);
  if (rc)
    return rc;
  if (!n->out[0]->grad)
    return 0;
  size_t sc = conv_backward_scratch_floats(&p);
  float *scratch = rt_scratch(rt, sc * sizeof(float));
  if (!scratch)
    return rt_fail(err, n, "out of memory for the backward im2col (%zu floats)", sc);
  rt_value *b = rt_in(n, 2);
  conv_backward(n->in[0]->grad, n->in[1]->grad, b ? b->grad : NULL,
                n->out[0]->grad, rt_f32(n->in[0]), rt_f32(n->in[1]), &p, scratch,
                (n->grad_fresh & 1u) != 0);
  return 0;
}

/* The part of fuse.c's activation that the epilogue cannot take. */
static int conv_post_act(rt_node *n) {
  if (n->act == RT_ACT_SILU)
    silu_forward(rt_f32(n->out[0]), rt_numel(&n->out[0]->t));
  else if (n->act == RT_ACT_HSWISH)
    hardswish_forward(rt_f32(n->out[0]), rt_numel(&n->out[0]->t), n->act_a,
                      n->act_b);
  return 0;
}

RT_KERNEL(rt_conv) {
  conv_params p;
  int rc = conv_geometry(n, &p, 0, err);
  if (rc)
    return rc;
  if (n->out[0]->t.numel == 0) // an empty batch: no work, and no scratch sized by
    return 0;                  // spatial dims that no image has

  const float *w = n->fold_w ? n->fold_w : rt_f32(n->in[1]);
  /* SiLU and HardSwish have no in-register form: they run after the
   * epilogue (conv_post_act) */
  const int post = n->act == RT_ACT_SILU || n->act == RT_ACT_HSWISH;
  epilogue ep = {NULL, NULL, post ? RT_ACT_NONE : n->act, n->act_a, n->act_b};
  if (n->fold_b)
    ep.bias = n->fold_b;
  else if (rt_in(n, 2))
    ep.bias = rt_f32(n->in[2]);
  if (n->residual)
    ep.residual = rt_f32(n->residual);
  /* training: weights change every step, so Winograd's transform is made
   * at every run (M C 16 values: nothing against the convolution). On maps
   * under 8x8 the chunked products below win (Fashion ResNet 7x7, resnet18
   * 4x4 at 64x64 inputs: 10-30% slower). */
  if (rt->training && winograd_applies(&p) && p.out[1] >= 8 && p.out[2] >= 8) {
    float *u = rt_scratch(rt, (size_t)p.M * p.C * 16 * sizeof(float));
    if (!u)
      return rt_fail(err, n, "out of memory");
    if (!n->state && !(n->state = malloc(winograd_weights_floats(p.M, p.C) * sizeof(float))))
      return rt_fail(err, n, "out of memory");
    winograd_weights(n->state, u, w, p.M, p.C);
    size_t ws = winograd_scratch_floats(&p);
    float *scratch = rt_scratch(rt, ws * sizeof(float));
    if (!scratch)
      return rt_fail(err, n, "out of memory for Winograd (%zu floats)", ws);
    winograd_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), n->state, &p, &ep, scratch);
    return conv_post_act(n);
  }
  /* training: chunks of images per product, weights read as they are */
  if (rt->training && p.group == 1 && !depthwise_applies(&p)) {
    size_t sc = conv_chunked_scratch_floats(&p);
    float *scratch = rt_scratch(rt, sc * sizeof(float));
    if (!scratch)
      return rt_fail(err, n, "out of memory for im2col (%zu floats)", sc);
    conv_chunked_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), w, &p, &ep, scratch);
    return conv_post_act(n);
  }
  /* weight caches (direct 3x3, Winograd, packed panels) only while weights
   * are fixed */
  const int cache = n->in[1]->kind == RT_CONST && !rt->training;
  if (direct3x3_preferred(&p) && cache) {
    if (!n->state) {
      float *wd = malloc(direct3x3_weights_floats(p.M, p.C) * sizeof(float));
      if (!wd)
        return rt_fail(err, n, "out of memory");
      direct3x3_weights(wd, w, p.M, p.C);
      n->state = wd;
    }
    size_t ws = direct3x3_scratch_floats(&p);
    float *scratch = rt_scratch(rt, ws * sizeof(float));
    if (!scratch)
      return rt_fail(err, n, "out of memory for direct 3x3 (%zu floats)", ws);
    direct3x3_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), n->state, &p, &ep, scratch);
    return conv_post_act(n);
  }
  if (winograd_applies(&p) && cache) {
    if (!n->state) {
      float *u = malloc((size_t)p.M * p.C * sizeof(float));
      float *up = malloc(winograd_weights_floats(p.M, p.C) * sizeof(float));
      if (!up || !u) {
        free(u), free(up);
        return rt_fail(err, n, "out of memory");
      }
      winograd_weights(up, u, w, p.M, p.C);
      free(u);
      n->state = up;
    }
    size_t ws = winograd_scratch_floats(&p);
    float *scratch = rt_scratch(rt, ws * sizeof(float));
    if (!scratch)
      return rt_fail(err, n, "out of memory for Winograd (%zu floats)", ws);
    winograd_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), n->state, &p, &ep,
                     scratch);
    return conv_post_act(n);
  }
  /* dense and grouped convs with constant weights: each group's weights
   * packed once per plan */
  const int G = p.group, Mg = p.M / G, K = p.C / G * (int)spatial(p.k);
  if (!depthwise_applies(&p) && cache && packed_gemm_applies(Mg, K, spatial(p.out)) &&
      !pointwise_blas_preferred(&p)) {
    if (!n->state) {
      size_t per = pointwise_packed_floats(Mg, K);
      float *wp = malloc(per * (size_t)G * sizeof(float));
      if (!wp)
        return rt_fail(err, n, "out of memory");
      for (int g = 0; g < G; ++g)
        pointwise_pack(wp + (size_t)g * per, w + (size_t)g * Mg * K, Mg, K);
      n->state = wp;
    }
    float *scratch = NULL;
    size_t sc = conv_scratch_floats(&p);
    if (sc && !(scratch = rt_scratch(rt, sc * sizeof(float))))
      return rt_fail(err, n, "out of memory for im2col (%zu floats)", sc);
    conv_packed_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), n->state, &p, &ep,
                        scratch);
    return conv_post_act(n);
  }
  float *scratch = NULL;
  size_t sc = conv_scratch_floats(&p);
  if (sc && !(scratch = rt_scratch(rt, sc * sizeof(float))))
    return rt_fail(err, n, "out of memory for im2col (%zu floats)", sc);
  conv_forward(rt_f32(n->out[0]), rt_f32(n->in[0]), w, &p, &ep, scratch);
  return conv_post_act(n);
}

/* y is (N,M,out...), x is (N,C,in...), w is (C,M/g,k...). */
RT_KERNEL(rt_conv_transpose) {
  if (n->n_in < 2 || !n->in[0] || !n->in[1])
    return rt_fail(err, n, "needs inputs X and W");
  if (n->in[0]->t.elem_type != RT_FLOAT)
    return rt_unsupported(err, n, "only float has a kernel");
  conv_params p;
  int rc = conv_geometry(n, &p, 1, err);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  int ns = x->rank - 2;
  char ap[32];
  rt_attr_str(n, "auto_pad", ap, sizeof ap, "NOTSET");
  int64_t outpad[3] = {0, 0, 0};
  rt_attr_ints(n, "output_padding", outpad, 3);
  if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER") ||
      rt_attr(n, "output_shape")) {
    for (int i = 0; i < ns; ++i) {
      int d = 3 - ns + i;
      int64_t total = (int64_t)p.stride[d] * (p.in[d] - 1) + outpad[i] +
                      (int64_t)(p.k[d] - 1) * p.dil[d] + 1 - p.out[d];
      if (total < 0)
        total = 0;
      p.pad[d] = (int)(!strcmp(ap, "SAME_UPPER") ? total / 2 : total - total / 2);
      if (strcmp(ap, "SAME_UPPER") && strcmp(ap, "SAME_LOWER"))
        p.pad[d] = (int)(total / 2); /* output_shape: as ORT, upper */
    }
  }
  const int G = p.group, Cg = p.C / G, Mg = p.M / G;
  const int64_t isp = spatial(p.in), osp = spatial(p.out);
  const int64_t kk = spatial(p.k);
  /* scattering col back is im2col's adjoint with input and output swapped */
  conv_params swapped = p;
  memcpy(swapped.in, p.out, sizeof p.out);
  memcpy(swapped.out, p.in, sizeof p.in);
  size_t sc = (size_t)Mg * kk * isp;
  float *col = rt_scratch(rt, sc * sizeof(float));
  if (!col)
    return rt_fail(err, n, "out of memory");
  float *y = rt_f32(n->out[0]);
  const float *xd = rt_f32(n->in[0]), *w = rt_f32(n->in[1]);
  memset(y, 0, (size_t)p.N * p.M * osp * sizeof *y);
  for (int b = 0; b < p.N; ++b)
    for (int g = 0; g < G; ++g) {
      /* col (Mg*k, isp) = w_g^T (Mg*k, Cg) @ x_g (Cg, isp) */
      sgemm_forward(1, 0, (int)(Mg * kk), (int)isp, Cg, 1.0f,
                    w + (int64_t)g * Cg * Mg * kk, (int)(Mg * kk),
                    xd + ((int64_t)b * p.C + (int64_t)g * Cg) * isp, (int)isp,
                    0.0f, col, (int)isp);
      im2col_backward(y + ((int64_t)b * p.M + (int64_t)g * Mg) * osp, col,
                      Mg, &swapped);
    }
  if (rt_in(n, 2)) {
    epilogue ep = {rt_f32(n->in[2]), NULL, RT_ACT_NONE, 0, 0};
    for (int b = 0; b < p.N; ++b)
      epilogue_forward(y + (int64_t)b * p.M * osp, p.M, osp, &ep);
  }
  return 0;
}

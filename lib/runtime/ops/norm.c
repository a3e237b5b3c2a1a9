/* norm.c - node adapters of BatchNormalization (inference and training),
 * InstanceNormalization, LayerNormalization, GroupNormalization, LRN. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

RT_KERNEL(rt_fused_layernorm) {
  (void)rt, (void)err;
  const sp_tensor *x = &n->in[0]->t;
  int64_t cols = x->rank ? x->dims[x->rank - 1] : 1;
  int64_t rows = cols ? rt_numel(&n->in[0]->t) / cols : 0;
  layernorm_forward(rt_f32(n->out[0]), x->data, n->fold_w, n->fold_b,
                    n->norm_eps, rows, cols, NULL, NULL);
  return 0;
}

/* Training: batch statistics, kept in n->state (mean, invstd) for the
 * backward; the running statistics (inputs 3, 4, writable while training)
 * move towards the batch's as ONNX says: r = r momentum + batch (1 -
 * momentum), with the unbiased variance as PyTorch keeps it. With a
 * collective (sp_runtime_set_collective) every sum is over the global
 * batch. */
static int batchnorm_train(sp_runtime *rt, rt_node *n, sp_error *err) {
  const sp_tensor *x = &n->in[0]->t;
  int N = (int)x->dims[0], C = x->rank > 1 ? (int)x->dims[1] : 1;
  int64_t S = rt_dims_product(x, 2, x->rank);
  if (!n->state && !(n->state = malloc(3 * (size_t)C * sizeof(float))))
    return rt_fail(err, n, "out of memory");
  double *sums = malloc((2 * (size_t)C + 1) * sizeof *sums);
  if (!sums)
    return rt_fail(err, n, "out of memory");
  float *mean = n->state, *invstd = mean + C, *var = invstd + C;
  const float eps = rt_attr_float(n, "epsilon", 1e-5f);
  const sp_collective *co = rt->collective;
  double count = (double)N * (double)S;
  if (!co) {
    batchnorm_train_forward(rt_f32(n->out[0]), mean, invstd, var, x->data,
                            rt_f32(n->in[1]), rt_f32(n->in[2]), eps, N, C, S);
  } else {
    batchnorm_channel_sums(sums, x->data, N, C, S);
    sums[C] = count;
    if (co->sum_f64(co->ctx, sums, (size_t)C + 1)) {
      free(sums);
      return rt_fail(err, n, "summing batch statistics over processes failed");
    }
    count = sums[C];
    for (int c = 0; c < C; ++c)
      mean[c] = (float)(sums[c] / count);
    batchnorm_channel_sqdev(sums, x->data, mean, N, C, S);
    if (co->sum_f64(co->ctx, sums, (size_t)C)) {
      free(sums);
      return rt_fail(err, n, "summing batch statistics over processes failed");
    }
    for (int c = 0; c < C; ++c) {
      var[c] = (float)(sums[c] / count);
      invstd[c] = 1.0f / sqrtf(var[c] + eps);
    }
    batchnorm_apply(rt_f32(n->out[0]), x->data, rt_f32(n->in[1]),
                    rt_f32(n->in[2]), mean, invstd, N, C, S);
  }
  free(sums);
  n->state_count = count;
  const float momentum = rt_attr_float(n, "momentum", 0.9f);
  float *run_mean = rt_f32(n->in[3]), *run_var = rt_f32(n->in[4]);
  for (int c = 0; c < C; ++c) {
    float unbiased = count > 1 ? (float)(var[c] * count / (count - 1)) : var[c];
    run_mean[c] = run_mean[c] * momentum + mean[c] * (1 - momentum);
    run_var[c] = run_var[c] * momentum + unbiased * (1 - momentum);
  }
  return 0;
}

RT_KERNEL(rt_batchnorm_backward) {
  if (!n->out[0]->grad)
    return 0;
  if (!n->state)
    return rt_fail(err, n, "backward before a training forward");
  const sp_tensor *x = &n->in[0]->t;
  int N = (int)x->dims[0], C = x->rank > 1 ? (int)x->dims[1] : 1;
  int64_t S = rt_dims_product(x, 2, x->rank);
  const float *mean = n->state, *invstd = mean + C, *scale = rt_f32(n->in[1]);
  float *dx = n->in[0]->grad, *dscale = n->in[1]->grad, *dbias = n->in[2]->grad;
  double *sums = malloc(2 * (size_t)C * sizeof *sums);
  if (!sums)
    return rt_fail(err, n, "out of memory");
  const sp_collective *co = rt->collective;
  int rc = 0;
  const int fresh = (n->grad_fresh & 1u) && dx;
  if (!co) {
    batchnorm_backward(dx, dscale, dbias, n->out[0]->grad, x->data, mean,
                       invstd, scale, N, C, S, fresh);
  } else {
    if (fresh) /* the synchronised phases add */
      memset(dx, 0, (size_t)rt_numel(x) * sizeof *dx);
    double *sdy = sums, *sdyx = sums + C;
    batchnorm_backward_sums(sdy, sdyx, n->out[0]->grad, x->data, mean, invstd,
                            N, C, S);
    /* scale and bias take this process's share: the trainer sums
     * parameter gradients over processes afterwards */
    for (int c = 0; c < C; ++c) {
      if (dbias)
        dbias[c] += (float)sdy[c];
      if (dscale)
        dscale[c] += (float)sdyx[c];
    }
    if (dx && co->sum_f64(co->ctx, sums, 2 * (size_t)C))
      rc = rt_fail(err, n, "summing gradients over processes failed");
    else if (dx)
      batchnorm_backward_dx(dx, n->out[0]->grad, x->data, mean, invstd, scale,
                            sdy, sdyx, n->state_count, N, C, S);
  }
  free(sums);
  return rc;
}

RT_KERNEL(rt_batchnorm) {
  if (n->n_in < 5)
    return rt_fail(err, n, "needs inputs X, scale, B, mean, var");
  for (int i = 0; i < 5; ++i) {
    int rc = rt_check_types(err, n, i, RT_FLOAT, 0);
    if (rc)
      return rc;
  }
  if (rt->training)
    return batchnorm_train(rt, n, err);
  if (rt_attr_int(n, "training_mode", 0) || (n->n_out > 1 && n->out[1]))
    return rt_unsupported(err, n, "training mode has no kernel");
  const sp_tensor *x = &n->in[0]->t;
  int N = (int)x->dims[0], C = x->rank > 1 ? (int)x->dims[1] : 1;
  float lo = -INFINITY, hi = INFINITY; /* fuse.c's Relu/Clip */
  if (n->act == RT_ACT_RELU)
    lo = 0;
  else if (n->act == RT_ACT_CLIP)
    lo = n->act_a, hi = n->act_b;
  batchnorm_forward(rt_f32(n->out[0]), x->data, rt_f32(n->in[1]),
                    rt_f32(n->in[2]), rt_f32(n->in[3]), rt_f32(n->in[4]),
                    rt_attr_float(n, "epsilon", 1e-5f), N, C,
                    rt_dims_product(x, 2, x->rank), lo, hi);
  return 0;
}

RT_KERNEL(rt_instancenorm) {
  (void)rt;
  if (n->n_in < 3)
    return rt_fail(err, n, "needs inputs X, scale, B");
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  int64_t N = x->dims[0], C = x->dims[1], S = rt_dims_product(x, 2, x->rank);
  const float *scale = rt_f32(n->in[1]), *bias = rt_f32(n->in[2]);
  float eps = rt_attr_float(n, "epsilon", 1e-5f);
  float *y = rt_f32(n->out[0]);
  const float *xd = x->data;
  for (int64_t b = 0; b < N; ++b)
    for (int64_t c = 0; c < C; ++c) {
      int64_t off = (b * C + c) * S;
      layernorm_forward(y + off, xd + off, NULL, NULL, eps, 1, S, NULL, NULL);
      for (int64_t i = 0; i < S; ++i)
        y[off + i] = y[off + i] * scale[c] + bias[c];
    }
  return 0;
}

RT_KERNEL(rt_layernorm) {
  (void)rt;
  if (n->n_in < 2)
    return rt_fail(err, n, "needs inputs X and Scale");
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", -1), x->rank);
  if (axis < 0)
    return rt_fail(err, n, "axis out of range");
  int64_t rows = rt_dims_product(x, 0, axis), cols = rt_dims_product(x, axis, x->rank);
  const rt_value *sv = n->in[1], *bv = rt_in(n, 2);
  if (sv->t.numel != cols || (bv && bv->t.numel != cols))
    return rt_unsupported(err, n, "broadcast scale/bias has no kernel");
  layernorm_forward(rt_f32(n->out[0]), x->data, rt_f32(sv), bv ? rt_f32(bv) : NULL,
                    rt_attr_float(n, "epsilon", 1e-5f), rows, cols,
                    rt_out(n, 1) ? rt_f32(n->out[1]) : NULL,
                    rt_out(n, 2) ? rt_f32(n->out[2]) : NULL);
  return 0;
}

/* Gradients of X, Scale and Bias; the optional Mean and InvStdDev outputs
 * are statistics and pass nothing back. */
RT_KERNEL(rt_layernorm_backward) {
  (void)rt;
  const float *dy = n->out[0]->grad;
  if (!dy)
    return 0;
  const sp_tensor *x = &n->in[0]->t;
  int axis = rt_axis(rt_attr_int(n, "axis", -1), x->rank);
  if (axis < 0)
    return rt_fail(err, n, "axis out of range");
  int64_t rows = rt_dims_product(x, 0, axis), cols = rt_dims_product(x, axis, x->rank);
  const rt_value *sv = n->in[1], *bv = rt_in(n, 2);
  if (sv->t.numel != cols || (bv && bv->t.numel != cols))
    return rt_unsupported(err, n, "broadcast scale/bias has no kernel");
  layernorm_backward(n->in[0]->grad, sv->grad, bv ? bv->grad : NULL, dy, x->data,
                     rt_f32(sv), rt_attr_float(n, "epsilon", 1e-5f), rows, cols);
  return 0;
}

/* x is (N,C,S); groups of C/G channels normalised together, then per-channel
 * (opset >= 21) or per-group (opset 18) scale and bias. */
RT_KERNEL(rt_groupnorm) {
  (void)rt;
  if (n->n_in < 3)
    return rt_fail(err, n, "needs inputs X, scale, bias");
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  int64_t N = x->dims[0], C = x->dims[1], S = rt_dims_product(x, 2, x->rank);
  int64_t G = rt_attr_int(n, "num_groups", 1);
  if (G <= 0 || C % G)
    return rt_fail(err, n, "num_groups does not divide channels");
  const float *scale = rt_f32(n->in[1]), *bias = rt_f32(n->in[2]);
  int per_channel = n->in[1]->t.numel == C; /* opset 21; opset 18: per group */
  float eps = rt_attr_float(n, "epsilon", 1e-5f);
  float *y = rt_f32(n->out[0]);
  const float *xd = x->data;
  int64_t Cg = C / G;
  for (int64_t b = 0; b < N; ++b)
    for (int64_t g = 0; g < G; ++g) {
      int64_t off = (b * C + g * Cg) * S;
      layernorm_forward(y + off, xd + off, NULL, NULL, eps, 1, Cg * S, NULL, NULL);
      for (int64_t c = 0; c < Cg; ++c) {
        int64_t k = per_channel ? g * Cg + c : g;
        for (int64_t i = 0; i < S; ++i)
          y[off + c * S + i] = y[off + c * S + i] * scale[k] + bias[k];
      }
    }
  return 0;
}

/* y, x are (N,C,S): x / (bias + alpha/size * sum of squares over nearby
 * channels)^beta. */
RT_KERNEL(rt_lrn) {
  (void)rt;
  int rc = rt_check_types(err, n, 0, RT_FLOAT, 0);
  if (rc)
    return rc;
  const sp_tensor *x = &n->in[0]->t;
  int64_t N = x->dims[0], C = x->dims[1], S = rt_dims_product(x, 2, x->rank);
  int64_t size = rt_attr_int(n, "size", 1);
  float alpha = rt_attr_float(n, "alpha", 1e-4f), beta = rt_attr_float(n, "beta", 0.75f),
        bias = rt_attr_float(n, "bias", 1.0f);
  const float *xd = x->data;
  float *y = rt_f32(n->out[0]);
  int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
  for (int64_t b = 0; b < N; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < S; ++i) {
        double sq = 0;
        for (int64_t k = c - lo; k <= c + hi; ++k)
          if (k >= 0 && k < C) {
            double v = xd[(b * C + k) * S + i];
            sq += v * v;
          }
        int64_t o = (b * C + c) * S + i;
        y[o] = (float)(xd[o] / pow(bias + alpha / (double)size * sq, beta));
      }
  return 0;
}

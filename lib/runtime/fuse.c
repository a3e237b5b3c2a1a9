/* fuse.c - plan-time rewrites when no observer wants every value:
 *   Conv -> BatchNormalization      folded into the conv's weights and bias
 *   Conv -> Add(residual)           residual added in the conv epilogue
 *   Conv/Gemm -> Relu | Clip        activation in the epilogue
 * A fused node takes over the last node's output value; the absorbed nodes
 * are skipped. Only single-use intermediates are fused. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"

typedef struct uses {
  int *count;        /* per value: consuming nodes (+1 if a graph output) */
  rt_node **consumer; /* the last consumer seen */
} uses;

static size_t vindex(const sp_runtime *rt, const rt_value *v) {
  return (size_t)(v - rt->values);
}

static int count_uses(sp_runtime *rt, uses *u) {
  u->count = calloc(rt->n_values + 1, sizeof *u->count);
  u->consumer = calloc(rt->n_values + 1, sizeof *u->consumer);
  if (!u->count || !u->consumer)
    return -1;
  for (size_t k = 0; k < rt->n_nodes; ++k) {
    rt_node *n = &rt->nodes[k];
    if (n->skip)
      continue;
    for (int i = 0; i < n->n_in; ++i)
      if (n->in[i]) {
        u->count[vindex(rt, n->in[i])]++;
        u->consumer[vindex(rt, n->in[i])] = n;
      }
  }
  for (int i = 0; i < rt->n_outputs; ++i)
    u->count[vindex(rt, rt->outputs[i])]++;
  return 0;
}

/* The only consumer of n's output 0, if it is of type op and n's output is
 * a plain arena intermediate. */
static rt_node *sole_consumer(sp_runtime *rt, const uses *u, rt_node *n,
                              const char *op) {
  rt_value *v = n->out[0];
  if (!v || v->kind != RT_ARENA || v->is_output || u->count[vindex(rt, v)] != 1)
    return NULL;
  rt_node *c = u->consumer[vindex(rt, v)];
  if (!c || c->skip || strcmp(c->proto->op_type, op) || c->n_out < 1 ||
      !c->out[0] || c->out[0]->kind != RT_ARENA || c->dynamic)
    return NULL;
  return c;
}

static int is_const_f32(const rt_value *v) {
  return v && v->kind == RT_CONST && v->t.elem_type == RT_FLOAT && v->t.data;
}

static void take_output(rt_node *n, rt_node *absorbed) {
  rt_value *v = absorbed->out[0];
  n->out[0] = v;
  v->def = n->index;
  v->last_use = v->is_output ? INT_MAX : n->index;
  absorbed->skip = 1;
}

/* w' = w * a, b' = (b - mean) * a + beta with a = scale / sqrt(var + eps). */
static int fold_bn(rt_node *conv, rt_node *bn) {
  if (bn->n_in < 5 || bn->n_out > 1 || rt_attr_int(bn, "training_mode", 0))
    return 0;
  for (int i = 1; i < 5; ++i)
    if (!is_const_f32(bn->in[i]))
      return 0;
  const rt_value *w = conv->in[1], *b = rt_in(conv, 2);
  if (!is_const_f32(w) || (b && !is_const_f32(b)) || conv->fold_w)
    return 0;
  int64_t M = w->t.dims[0], per = M ? w->t.numel / M : 0;
  if (bn->in[1]->t.numel != M)
    return 0;
  float *fw = malloc((size_t)(w->t.numel ? w->t.numel : 1) * sizeof *fw);
  float *fb = malloc((size_t)(M ? M : 1) * sizeof *fb);
  if (!fw || !fb) {
    free(fw), free(fb);
    return -1;
  }
  const float *scale = rt_f32(bn->in[1]), *beta = rt_f32(bn->in[2]),
              *mean = rt_f32(bn->in[3]), *var = rt_f32(bn->in[4]);
  float eps = rt_attr_float(bn, "epsilon", 1e-5f);
  const float *wd = rt_f32(w);
  for (int64_t m = 0; m < M; ++m) {
    float a = scale[m] / sqrtf(var[m] + eps);
    for (int64_t i = 0; i < per; ++i)
      fw[m * per + i] = wd[m * per + i] * a;
    fb[m] = ((b ? rt_f32(b)[m] : 0.0f) - mean[m]) * a + beta[m];
  }
  conv->fold_w = fw;
  conv->fold_b = fb;
  take_output(conv, bn);
  return 1;
}

static int same_shape(const sp_tensor *a, const sp_tensor *b) {
  if (a->rank != b->rank)
    return 0;
  for (int d = 0; d < a->rank; ++d)
    if (a->dims[d] != b->dims[d])
      return 0;
  return 1;
}

static int fuse_residual(sp_runtime *rt, const uses *u, rt_node *conv) {
  rt_node *add = sole_consumer(rt, u, conv, "Add");
  if (!add || add->n_in != 2 || conv->residual)
    return 0;
  rt_value *mine = conv->out[0];
  rt_value *other = add->in[0] == mine ? add->in[1] : add->in[0];
  if (!other || other == mine || other->t.elem_type != RT_FLOAT ||
      !same_shape(&other->t, &mine->t) || !same_shape(&add->out[0]->t, &mine->t))
    return 0;
  /* the residual must exist when the conv runs */
  if ((other->kind == RT_ARENA || other->kind == RT_DYNAMIC ||
       other->kind == RT_ALIAS) &&
      other->def >= conv->index)
    return 0;
  if (other->kind == RT_DYNAMIC)
    return 0;
  conv->residual = other;
  take_output(conv, add);
  return 1;
}

static int fuse_act(sp_runtime *rt, const uses *u, rt_node *n) {
  if (n->act != RT_ACT_NONE)
    return 0;
  rt_node *c = sole_consumer(rt, u, n, "Relu");
  if (c) {
    n->act = RT_ACT_RELU;
    take_output(n, c);
    return 1;
  }
  c = sole_consumer(rt, u, n, "Clip");
  if (!c)
    return 0;
  float lo = -INFINITY, hi = INFINITY;
  if (c->opset < 11) {
    lo = rt_attr_float(c, "min", -INFINITY);
    hi = rt_attr_float(c, "max", INFINITY);
  } else {
    for (int i = 1; i < c->n_in; ++i)
      if (c->in[i] && !is_const_f32(c->in[i]))
        return 0;
    if (rt_in(c, 1))
      lo = rt_f32(c->in[1])[0];
    if (rt_in(c, 2))
      hi = rt_f32(c->in[2])[0];
  }
  n->act = RT_ACT_CLIP;
  n->act_a = lo;
  n->act_b = hi;
  take_output(n, c);
  return 1;
}

int rt_fuse(sp_runtime *rt, sp_error *err) {
  uses u = {0};
  if (count_uses(rt, &u)) {
    free(u.count), free(u.consumer);
    return sp_error_set(err, "out of memory");
  }
  int rc = 0;
  for (size_t k = 0; k < rt->n_nodes && rc >= 0; ++k) {
    rt_node *n = &rt->nodes[k];
    if (n->skip || n->dynamic)
      continue;
    int is_conv = !strcmp(n->proto->op_type, "Conv");
    int is_gemm = !strcmp(n->proto->op_type, "Gemm");
    if (!is_conv && !is_gemm)
      continue;
    if (n->out[0] && n->out[0]->t.elem_type != RT_FLOAT)
      continue;
    if (is_conv) {
      rt_node *bn = sole_consumer(rt, &u, n, "BatchNormalization");
      if (bn && (rc = fold_bn(n, bn)) < 0)
        break;
      fuse_residual(rt, &u, n);
    }
    fuse_act(rt, &u, n);
  }
  free(u.count);
  free(u.consumer);
  return rc < 0 ? sp_error_set(err, "out of memory") : 0;
}

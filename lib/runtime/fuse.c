/* fuse.c - plan-time rewrites when no observer wants every value:
 *   Conv -> BatchNormalization      folded into the conv's weights and bias
 *   MatMul -> Add(constant (N))     bias in the MatMul epilogue
 *   Conv/Gemm/MatMul -> Add(residual)  residual added in the epilogue
 *   Conv/Gemm/MatMul/BatchNormalization -> Relu | Clip  activation in the epilogue
 *   MatMul -> Div, Erf, Add, Mul, Mul  exact GELU in the MatMul epilogue
 *   Conv -> Sigmoid | HardSigmoid, Mul  SiLU / HardSwish, a pass right
 *                                   after the conv
 *   ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div[, Mul][, Add]
 *                                   one LayerNorm over the last axis
 * (the last two are how torch.onnx writes GELU and LayerNorm before opset
 * 17/20). A fused node takes over the last node's output value; the absorbed
 * nodes are skipped. Only single-use intermediates are fused. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

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

/* The consumers of v (at most max); -1 when there are more. */
static int consumers_of(sp_runtime *rt, const rt_value *v, rt_node **out,
                        int max) {
  int k = 0;
  for (size_t i = 0; i < rt->n_nodes; ++i) {
    rt_node *n = &rt->nodes[i];
    if (n->skip)
      continue;
    for (int j = 0; j < n->n_in; ++j)
      if (n->in[j] == v) {
        if (k == max)
          return -1;
        out[k++] = n;
        break;
      }
  }
  return k;
}

/* Whether v is a plain intermediate read by exactly two nodes (into c). */
static int two_consumers(sp_runtime *rt, const uses *u, const rt_value *v,
                         rt_node **c) {
  return v && v->kind == RT_ARENA && !v->is_output &&
         u->count[vindex(rt, v)] == 2 && consumers_of(rt, v, c, 2) == 2;
}

static int is_op(const rt_node *n, const char *op) {
  return n && !strcmp(n->proto->op_type, op) && n->n_out >= 1 && n->out[0] &&
         n->out[0]->kind == RT_ARENA && !n->dynamic;
}

/* The input of binary node n that is not v, or NULL. */
static rt_value *other_input(const rt_node *n, const rt_value *v) {
  if (n->n_in != 2)
    return NULL;
  return n->in[0] == v ? n->in[1] : n->in[1] == v ? n->in[0] : NULL;
}

/* Whether v is a float constant of one element close to want. */
static int const_near(const rt_value *v, float want) {
  return is_const_f32(v) && v->t.numel == 1 &&
         fabsf(rt_f32(v)[0] - want) <= 1e-6f * fabsf(want) + 1e-7f;
}

/* A float constant holding N values along the last axis (dims before it 1),
 * rank at most that of shape. */
static int is_row_const(const rt_value *v, const sp_tensor *shape) {
  if (!is_const_f32(v) || shape->rank < 1 || v->t.rank > shape->rank ||
      v->t.numel != shape->dims[shape->rank - 1] || v->t.rank < 1)
    return 0;
  for (int d = 0; d + 1 < v->t.rank; ++d)
    if (v->t.dims[d] != 1)
      return 0;
  return 1;
}

static float *copy_floats(const rt_value *v) {
  float *p = malloc((size_t)(v->t.numel ? v->t.numel : 1) * sizeof *p);
  if (p)
    memcpy(p, rt_f32(v), (size_t)v->t.numel * sizeof *p);
  return p;
}

/* MatMul -> Add(row constant): the bias joins the epilogue. */
static int fuse_matmul_bias(sp_runtime *rt, const uses *u, rt_node *mm) {
  rt_node *add = sole_consumer(rt, u, mm, "Add");
  if (!add || mm->fold_b)
    return 0;
  rt_value *mine = mm->out[0], *bias = other_input(add, mine);
  if (!bias || bias == mine || !is_row_const(bias, &mine->t) ||
      !same_shape(&add->out[0]->t, &mine->t))
    return 0;
  if (!(mm->fold_b = copy_floats(bias)))
    return -1;
  take_output(mm, add);
  return 1;
}

/* MatMul output x -> Div(x, sqrt 2) | Mul(x, 1/sqrt 2) -> Erf -> Add(1) ->
 * Mul(x, .) -> Mul(0.5): GELU (torch's exact form). */
static int fuse_gelu(sp_runtime *rt, const uses *u, rt_node *mm) {
  rt_value *x = mm->out[0];
  rt_node *c[2];
  if (mm->act != RT_ACT_NONE || !two_consumers(rt, u, x, c))
    return 0;
  rt_node *scale = NULL, *times = NULL;
  for (int i = 0; i < 2; ++i) {
    rt_value *o = other_input(c[i], x);
    if (is_op(c[i], "Div") && c[i]->in[0] == x && const_near(o, 1.41421356f))
      scale = c[i];
    else if (is_op(c[i], "Mul") && const_near(o, 0.70710678f))
      scale = c[i];
    else if (is_op(c[i], "Mul"))
      times = c[i];
  }
  if (!scale || !times)
    return 0;
  rt_node *erf = sole_consumer(rt, u, scale, "Erf");
  rt_node *one = erf ? sole_consumer(rt, u, erf, "Add") : NULL;
  if (!one || !const_near(other_input(one, erf->out[0]), 1.0f) ||
      sole_consumer(rt, u, one, "Mul") != times ||
      other_input(times, one->out[0]) != x)
    return 0;
  rt_node *half = sole_consumer(rt, u, times, "Mul");
  if (!half || !const_near(other_input(half, times->out[0]), 0.5f) ||
      !same_shape(&half->out[0]->t, &x->t))
    return 0;
  scale->skip = erf->skip = one->skip = times->skip = 1;
  mm->act = RT_ACT_GELU;
  take_output(mm, half);
  return 1;
}

/* Conv output x -> Sigmoid(x) | HardSigmoid(x) -> Mul(x, .): SiLU
 * (EfficientNet) or HardSwish (MobileNetV3), a pass after the conv. */
static int fuse_gate(sp_runtime *rt, const uses *u, rt_node *conv) {
  rt_value *x = conv->out[0];
  rt_node *c[2];
  if (conv->act != RT_ACT_NONE || !two_consumers(rt, u, x, c))
    return 0;
  rt_node *gate = NULL;
  for (int i = 0; i < 2; ++i)
    if (is_op(c[i], "Sigmoid") || is_op(c[i], "HardSigmoid"))
      gate = c[i];
  rt_node *mul = gate ? sole_consumer(rt, u, gate, "Mul") : NULL;
  if (!mul || (mul != c[0] && mul != c[1]) || other_input(mul, gate->out[0]) != x ||
      !same_shape(&mul->out[0]->t, &x->t))
    return 0;
  if (!strcmp(gate->proto->op_type, "Sigmoid")) {
    conv->act = RT_ACT_SILU;
  } else {
    conv->act = RT_ACT_HSWISH;
    conv->act_a = rt_attr_float(gate, "alpha", 0.2f);
    conv->act_b = rt_attr_float(gate, "beta", 0.5f);
  }
  gate->skip = 1;
  take_output(conv, mul);
  return 1;
}

/* The axes of a ReduceMean are just the last one, and it keeps dims. */
static int reduces_last_axis(const rt_node *r) {
  int64_t axes[2];
  int na;
  if (r->opset >= 18) {
    const rt_value *a = rt_in(r, 1);
    if (!a || a->kind != RT_CONST || a->t.elem_type != RT_INT64 || a->t.numel != 1)
      return 0;
    axes[0] = ((const int64_t *)a->t.data)[0];
    na = 1;
  } else {
    na = rt_attr_ints(r, "axes", axes, 2);
  }
  int rank = r->in[0]->t.rank;
  return na == 1 && (axes[0] == -1 || axes[0] == rank - 1) &&
         rt_attr_int(r, "keepdims", 1) == 1;
}

/* r1 = ReduceMean(x) -> d = Sub(x, r1) -> Pow(d, 2) -> ReduceMean ->
 * Add(eps) -> Sqrt -> q = Div(d, .) [-> Mul(q, scale)] [-> Add(., bias)]:
 * r1 becomes one LayerNorm of x over the last axis. */
static int fuse_layernorm(sp_runtime *rt, const uses *u, rt_node *r1) {
  if (!is_op(r1, "ReduceMean") || !r1->in[0] ||
      r1->in[0]->t.elem_type != RT_FLOAT || !reduces_last_axis(r1))
    return 0;
  rt_value *x = r1->in[0];
  rt_node *sub = sole_consumer(rt, u, r1, "Sub");
  if (!sub || sub->in[0] != x || sub->in[1] != r1->out[0] ||
      !same_shape(&sub->out[0]->t, &x->t))
    return 0;
  rt_value *d = sub->out[0];
  rt_node *c[2], *pow = NULL, *div = NULL;
  if (!two_consumers(rt, u, d, c))
    return 0;
  for (int i = 0; i < 2; ++i) {
    if (is_op(c[i], "Pow") && c[i]->in[0] == d && const_near(c[i]->in[1], 2.0f))
      pow = c[i];
    else if (is_op(c[i], "Div") && c[i]->in[0] == d)
      div = c[i];
  }
  rt_node *r2 = pow ? sole_consumer(rt, u, pow, "ReduceMean") : NULL;
  if (!div || !r2 || !reduces_last_axis(r2))
    return 0;
  rt_node *eps = sole_consumer(rt, u, r2, "Add");
  rt_value *eps_v = eps ? other_input(eps, r2->out[0]) : NULL;
  if (!eps_v || !is_const_f32(eps_v) || eps_v->t.numel != 1)
    return 0;
  rt_node *sqrt = sole_consumer(rt, u, eps, "Sqrt");
  if (!sqrt || sole_consumer(rt, u, sqrt, "Div") != div || div->in[1] != sqrt->out[0])
    return 0;
  rt_node *last = div, *mul = sole_consumer(rt, u, div, "Mul"), *add = NULL;
  rt_value *scale = mul ? other_input(mul, div->out[0]) : NULL;
  if (mul && is_row_const(scale, &x->t) && same_shape(&mul->out[0]->t, &x->t))
    last = mul;
  else
    mul = NULL, scale = NULL;
  add = sole_consumer(rt, u, last, "Add");
  rt_value *bias = add ? other_input(add, last->out[0]) : NULL;
  if (add && is_row_const(bias, &x->t) && same_shape(&add->out[0]->t, &x->t))
    last = add;
  else
    add = NULL, bias = NULL;
  if ((scale && !(r1->fold_w = copy_floats(scale))) ||
      (bias && !(r1->fold_b = copy_floats(bias))))
    return -1;
  r1->norm_eps = rt_f32(eps_v)[0];
  r1->op = rt_kernels_active()->fused_layernorm;
  r1->n_in = 1; /* opset 18's axes input is read no more */
  sub->skip = pow->skip = r2->skip = eps->skip = sqrt->skip = 1;
  if (last != div)
    div->skip = 1;
  if (mul && last != mul)
    mul->skip = 1;
  take_output(r1, last);
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
    if (!strcmp(n->proto->op_type, "ReduceMean")) {
      rc = fuse_layernorm(rt, &u, n);
      continue;
    }
    if (!strcmp(n->proto->op_type, "BatchNormalization")) {
      /* one left standing (DenseNet's BN -> Relu -> Conv): clamp as it writes */
      if (n->n_out == 1 && n->out[0] && n->out[0]->t.elem_type == RT_FLOAT)
        fuse_act(rt, &u, n);
      continue;
    }
    int is_conv = !strcmp(n->proto->op_type, "Conv");
    int is_gemm = !strcmp(n->proto->op_type, "Gemm");
    int is_matmul = !strcmp(n->proto->op_type, "MatMul");
    if (!is_conv && !is_gemm && !is_matmul)
      continue;
    if (!n->out[0] || n->out[0]->t.elem_type != RT_FLOAT)
      continue;
    if (is_conv) {
      rt_node *bn = sole_consumer(rt, &u, n, "BatchNormalization");
      if (bn && (rc = fold_bn(n, bn)) < 0)
        break;
    }
    if (is_matmul && (rc = fuse_matmul_bias(rt, &u, n)) < 0)
      break;
    fuse_residual(rt, &u, n);
    if (is_matmul && fuse_gelu(rt, &u, n))
      continue;
    if (is_conv && fuse_gate(rt, &u, n))
      continue;
    fuse_act(rt, &u, n);
  }
  free(u.count);
  free(u.consumer);
  return rc < 0 ? sp_error_set(err, "out of memory") : 0;
}

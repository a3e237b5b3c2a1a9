/* backward.c - training mode and the reverse pass (sp/runtime.h).
 *
 * In training mode the plan keeps every value alive to the end of the
 * forward pass (plan.c) and fuses nothing, so the backward pass can read each
 * node's inputs and outputs. sp_runtime_backward then walks the nodes in
 * reverse order, calling each op's backward entry (kernels/, beside the
 * forward one), which adds into the gradients of the node's inputs.
 * Parameters' gradients live where the caller bound them
 * (sp_runtime_bind_parameter: lib/train keeps parameters, gradients and
 * optimizer state in one arena); every other value's gradient lives in
 * rt->grads, views sharing their source's. */
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

int sp_runtime_set_training(sp_runtime *rt, int on) {
  on = on != 0;
  if (rt->training != on)
    rt->planned = 0; /* fusion, lifetimes and BatchNormalization change */
  rt->training = on;
  return 0;
}

void sp_runtime_set_collective(sp_runtime *rt, const sp_collective *c) {
  rt->collective = c;
}

void sp_runtime_set_seed(sp_runtime *rt, uint64_t seed) {
  rt->seed = seed;
  rt->training_runs = 0;
}

int sp_runtime_bind_parameter(sp_runtime *rt, const char *name, float *data,
                              float *grad, sp_error *err) {
  rt_value *v = name ? sp_map_get_str(&rt->values_by_name, name, NULL) : NULL;
  if (!v || v->kind != RT_CONST || v->t.elem_type != RT_FLOAT)
    return sp_error_set(err, "%s: '%s' is not a float initializer", rt->path,
                        name ? name : "");
  if (data != v->t.data)
    memcpy(data, v->t.data, (size_t)v->t.numel * sizeof *data);
  v->t.data = data;
  v->grad = grad;
  return 0;
}

static rt_value *root_of(rt_value *v) {
  while (v->kind == RT_ALIAS && v->alias_of)
    v = v->alias_of;
  return v;
}

/* Gradient buffers of every float value a node produced, zeroed: views
 * share their source's. */
static int plan_grads(sp_runtime *rt, sp_error *err) {
  size_t total = 0;
  for (size_t i = 0; i < rt->n_values; ++i) {
    rt_value *v = &rt->values[i];
    if (v->kind != RT_CONST && v->kind != RT_INPUT)
      v->grad = NULL;
    if ((v->kind == RT_ARENA || v->kind == RT_DYNAMIC) && v->t.elem_type == RT_FLOAT)
      total += (size_t)v->t.numel;
  }
  if (total > rt->grads_cap) {
    float *g = malloc(total * sizeof *g);
    if (!g)
      return sp_error_set(err, "%s: out of memory for %zu gradients", rt->path, total);
    free(rt->grads);
    rt->grads = g;
    rt->grads_cap = total;
  }
  memset(rt->grads, 0, total * sizeof *rt->grads);
  size_t at = 0;
  for (size_t i = 0; i < rt->n_values; ++i) {
    rt_value *v = &rt->values[i];
    if ((v->kind == RT_ARENA || v->kind == RT_DYNAMIC) && v->t.elem_type == RT_FLOAT) {
      v->grad = rt->grads + at;
      at += (size_t)v->t.numel;
    }
  }
  for (size_t i = 0; i < rt->n_values; ++i) {
    rt_value *v = &rt->values[i];
    if (v->kind == RT_ALIAS && v->t.elem_type == RT_FLOAT)
      v->grad = root_of(v)->grad;
  }
  return 0;
}

static int needs_grad(const rt_node *n) {
  for (int i = 0; i < n->n_in; ++i)
    if (n->in[i] && n->in[i]->grad)
      return 1;
  return 0;
}

int sp_runtime_backward(sp_runtime *rt, const float *const *output_grads,
                        sp_error *err) {
  if (!rt->training || !rt->planned)
    return sp_error_set(err, "%s: backward needs a forward run in training mode",
                        rt->path);
  if (plan_grads(rt, err))
    return -1;
  for (int i = 0; i < rt->n_outputs; ++i) {
    rt_value *v = rt->outputs[i];
    if (!output_grads[i])
      continue;
    if (!v->grad)
      return sp_error_set(err, "%s: output '%s' is not a float the graph computes",
                          rt->path, v->t.name);
    for (int64_t k = 0; k < v->t.numel; ++k)
      v->grad[k] += output_grads[i][k];
  }
  for (size_t k = rt->n_nodes; k-- > 0;) {
    rt_node *n = &rt->nodes[k];
    if (n->skip || !needs_grad(n))
      continue;
    int any_out = 0;
    for (int i = 0; i < n->n_out; ++i)
      any_out |= n->out[i] && n->out[i]->grad != NULL;
    if (!any_out)
      continue;
    if (!n->op->backward) {
      rt_fail(err, n, "%s has no backward kernel: it cannot be trained through",
              n->proto->op_type);
      sp_error_prefix(err, rt->path);
      return SP_RT_UNSUPPORTED;
    }
    int rc = n->op->backward(rt, n, err);
    if (rc) {
      sp_error_prefix(err, rt->path);
      return rc;
    }
  }
  return 0;
}

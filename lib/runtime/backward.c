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
 * rt->grads, planned by liveness (plan_grads), views sharing their
 * source's. */
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

/* Gradient buffers by liveness, in one arena like the forward pass's: the
 * gradient of value v is first written by the backward of its last
 * consumer (the node with the highest index that reads v, or before the
 * first node for a graph output) and last read by the backward of its
 * producer, so in the reverse walk it lives over the node indices [def,
 * first write] and buffers whose spans do not overlap share bytes. Each is
 * zeroed just before its first writer runs (kernels add into gradients).
 * Views share their source's. Planned again when the forward plan changes
 * or, with values of run-time shape, at every backward. */
static int plan_grads(sp_runtime *rt, sp_error *err) {
  const int end = (int)rt->n_nodes; /* "before the first backward node" */
  int dynamic = 0;
  for (size_t i = 0; i < rt->n_values; ++i)
    dynamic |= rt->values[i].kind == RT_DYNAMIC;
  if (rt->grads_planned && !dynamic)
    return 0;
  int *first = malloc((rt->n_values + 1) * sizeof *first);
  rt_interval *spans = malloc((rt->n_values + 1) * sizeof *spans);
  int *head = realloc(rt->grad_zero_head, ((size_t)end + 1) * sizeof *head);
  int *next = realloc(rt->grad_zero_next, (rt->n_values + 1) * sizeof *next);
  if (head)
    rt->grad_zero_head = head;
  if (next)
    rt->grad_zero_next = next;
  if (!first || !spans || !head || !next) {
    free(first), free(spans);
    return sp_error_set(err, "%s: out of memory planning gradients", rt->path);
  }
  for (size_t i = 0; i < rt->n_values; ++i)
    first[i] = -1;
  for (size_t k = 0; k < rt->n_nodes; ++k) {
    const rt_node *n = &rt->nodes[k];
    for (int i = 0; i < n->n_in && !n->skip; ++i)
      if (n->in[i])
        first[root_of(n->in[i]) - rt->values] = (int)k;
  }
  for (int i = 0; i < rt->n_outputs; ++i)
    first[root_of(rt->outputs[i]) - rt->values] = end;
  size_t n_spans = 0;
  for (size_t i = 0; i < rt->n_values; ++i) {
    rt_value *v = &rt->values[i];
    if (v->kind != RT_CONST && v->kind != RT_INPUT)
      v->grad = NULL;
    if ((v->kind == RT_ARENA || v->kind == RT_DYNAMIC) && v->t.elem_type == RT_FLOAT) {
      const int last = first[i] > v->def ? first[i] : v->def; /* unread: [def, def] */
      spans[n_spans++] = (rt_interval){(size_t)v->t.numel * sizeof(float), 0, v->def,
                                       last, i};
    }
  }
  const size_t total = rt_place_intervals(spans, n_spans);
  if (total > rt->grads_cap) {
    void *g = rt_alloc_huge(total);
    if (!g) {
      free(first), free(spans);
      return sp_error_set(err, "%s: out of memory for %zu bytes of gradients", rt->path,
                          total);
    }
    free(rt->grads);
    rt->grads = g;
    rt->grads_cap = total;
  }
  rt->grads_bytes = total;
  for (int k = 0; k <= end; ++k)
    head[k] = -1;
  for (size_t j = 0; j < n_spans; ++j) {
    rt_value *v = &rt->values[spans[j].id];
    v->grad = (float *)(rt->grads + spans[j].offset);
    next[spans[j].id] = head[spans[j].last]; /* zeroed before node `last` */
    head[spans[j].last] = (int)spans[j].id;
  }
  for (size_t i = 0; i < rt->n_values; ++i) {
    rt_value *v = &rt->values[i];
    if (v->kind == RT_ALIAS && v->t.elem_type == RT_FLOAT)
      v->grad = root_of(v)->grad;
  }
  free(first), free(spans);
  rt->grads_planned = 1;
  return 0;
}

/* Inputs (bit i: in[i]) whose gradient op's backward writes (=) rather
 * than adds to when n->grad_fresh says it is the first writer: Conv's
 * Winograd input gradient goes straight there, BatchNormalization's dx. */
static unsigned backward_writes(const rt_op *op) {
  return !strcmp(op->name, "Conv") || !strcmp(op->name, "BatchNormalization") ? 1u : 0u;
}

/* Zeroes the gradients whose first writer is node k (rt->n_nodes: the
 * graph outputs'), except those node k's backward writes itself (runs: it
 * will run): an input in backward_writes(op) that no other input of k
 * shares (a view of it would be another value), marked in n->grad_fresh. */
static void zero_grads_written_first_by(sp_runtime *rt, size_t k, int runs) {
  rt_node *n = k < rt->n_nodes ? &rt->nodes[k] : NULL;
  for (int i = rt->grad_zero_head[k]; i >= 0; i = rt->grad_zero_next[i]) {
    rt_value *v = &rt->values[i];
    int slot = -1, uses = 0;
    for (int j = 0; runs && j < n->n_in; ++j)
      if (n->in[j] && n->in[j]->grad == v->grad)
        slot = j, ++uses;
    if (uses == 1 && slot < 32 && n->in[slot] == v && (backward_writes(n->op) >> slot & 1u))
      n->grad_fresh |= 1u << slot;
    else
      memset(v->grad, 0, (size_t)v->t.numel * sizeof *v->grad);
  }
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
  double t0 = rt->profile ? rt_now_ms() : 0;
  zero_grads_written_first_by(rt, rt->n_nodes, 0);
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
  if (rt->profile)
    rt_profile_add_step(rt, "(gradient zeroing)", rt_now_ms() - t0);
  for (size_t k = rt->n_nodes; k-- > 0;) {
    rt_node *n = &rt->nodes[k];
    if (rt->profile)
      t0 = rt_now_ms();
    int any_out = 0;
    for (int i = 0; i < n->n_out; ++i)
      any_out |= n->out[i] && n->out[i]->grad != NULL;
    const int runs = !n->skip && needs_grad(n) && any_out && n->op->backward;
    n->grad_fresh = 0;
    zero_grads_written_first_by(rt, k, runs);
    if (rt->profile)
      rt_profile_add_step(rt, "(gradient zeroing)", rt_now_ms() - t0);
    if (n->skip || !needs_grad(n) || !any_out)
      continue;
    if (!n->op->backward) {
      rt_fail(err, n, "%s has no backward kernel: it cannot be trained through",
              n->proto->op_type);
      sp_error_prefix(err, rt->path);
      return SP_RT_UNSUPPORTED;
    }
    if (rt->profile)
      t0 = rt_now_ms();
    int rc = n->op->backward(rt, n, err);
    n->grad_fresh = 0;
    if (rt->profile)
      rt_profile_add(rt, n, 1, rt_now_ms() - t0);
    if (rc) {
      sp_error_prefix(err, rt->path);
      return rc;
    }
  }
  return 0;
}

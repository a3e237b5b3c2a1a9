/* plan.c - shape inference, node list, buffer lifetimes and the arena.
 *
 * Runs once per set of input shapes. Every value a node produces gets an
 * offset in one arena; two values share bytes when their lifetimes
 * [producer, last consumer] do not overlap (greedy, largest first). Views
 * (Reshape, Flatten, ...) alias their input and extend its lifetime. Values
 * whose shape inference cannot resolve statically are inferred again when
 * their node runs and live in their own grown heap buffers. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

#define ARENA_ALIGN 64

void rt_plan_reset(sp_runtime *rt) {
  for (size_t k = 0; k < rt->n_nodes; ++k) {
    rt_node *n = &rt->nodes[k];
    free(n->in);
    free(n->out);
    free(n->fold_w);
    free(n->fold_b);
    free(n->state);
  }
  free(rt->nodes);
  rt->nodes = NULL;
  rt->n_nodes = 0;
  free(rt->order);
  rt->order = NULL;
  sp_shape_table_free(rt->shapes);
  rt->shapes = NULL;
  rt->planned = 0;
  rt->grads_planned = 0;
}

static int is_static(const sp_value_info *info) {
  if (!info || info->kind != SP_VALUE_TENSOR || info->rank < 0 ||
      !sp_tensor_elem_size(info->elem_type))
    return 0;
  for (int d = 0; d < info->rank; ++d)
    if (info->dims[d] < 0)
      return 0;
  return 1;
}

/* Input overrides for shape inference: bound shapes, and the contents of
 * small tensors (shape arguments given as graph inputs). */
static void fill_info(sp_value_info *o, const sp_tensor *t) {
  memset(o, 0, sizeof *o);
  o->name = t->name;
  o->kind = SP_VALUE_TENSOR;
  o->elem_type = t->elem_type;
  o->rank = t->rank;
  for (int d = 0; d < t->rank; ++d)
    o->dims[d] = t->dims[d];
  if (t->numel > SP_MAX_KNOWN_VALUES || !t->data)
    return;
  switch (t->elem_type) {
  case RT_INT64:
  case RT_INT32:
  case RT_BOOL:
  case RT_UINT8:
  case RT_INT8:
    o->has_value = 1;
    /* int64 exactly: through a double, INT64_MAX (Slice's "to the end")
     * came back as INT64_MIN and emptied Swin's cyclic-shift slices */
    for (int64_t k = 0; k < t->numel; ++k)
      o->value[k] = t->elem_type == RT_INT64 ? ((const int64_t *)t->data)[k]
                                             : (int64_t)rt_get_double(t, k);
    break;
  case RT_FLOAT:
  case RT_DOUBLE:
    o->has_float_value = 1;
    for (int64_t k = 0; k < t->numel; ++k)
      o->float_value[k] = rt_get_double(t, k);
    break;
  default: break;
  }
}

static rt_value *lookup(sp_runtime *rt, const char *name) {
  return name && name[0] ? sp_map_get_str(&rt->values_by_name, name, NULL)
                         : NULL;
}

static int build_nodes(sp_runtime *rt, sp_error *err) {
  const Onnx__GraphProto *g = rt->model->proto->graph;
  if (sp_onnx_topo_order(g, &rt->order, err))
    return -1;
  rt->nodes = calloc(g->n_node ? g->n_node : 1, sizeof *rt->nodes);
  if (!rt->nodes)
    return sp_error_set(err, "out of memory");
  rt->n_nodes = g->n_node;
  for (size_t k = 0; k < g->n_node; ++k) {
    rt_node *n = &rt->nodes[k];
    const Onnx__NodeProto *p = g->node[rt->order[k]];
    n->proto = p;
    n->index = (int)k;
    n->opset = rt->opset;
    n->op = rt_op_find(p->domain, p->op_type);
    n->n_in = (int)p->n_input;
    n->n_out = (int)p->n_output;
    n->in = calloc(p->n_input + 1, sizeof *n->in);
    n->out = calloc(p->n_output + 1, sizeof *n->out);
    if (!n->in || !n->out)
      return sp_error_set(err, "out of memory");
    for (int i = 0; i < n->n_in; ++i)
      n->in[i] = lookup(rt, p->input[i]);
    for (int i = 0; i < n->n_out; ++i)
      n->out[i] = lookup(rt, p->output[i]);
    if (n->n_out > 0 && n->out[0] && n->out[0]->kind == RT_CONST &&
        !strcmp(p->op_type, "Constant"))
      n->skip = 1;
  }
  return 0;
}

/* Output kinds and shapes from the inferred table. */
static void type_outputs(sp_runtime *rt) {
  for (size_t k = 0; k < rt->n_nodes; ++k) {
    rt_node *n = &rt->nodes[k];
    if (n->skip)
      continue;
    for (int i = 0; i < n->n_out; ++i) {
      rt_value *v = n->out[i];
      if (!v)
        continue;
      const sp_value_info *info = sp_shape_lookup(rt->shapes, v->t.name);
      v->alias_of = NULL;
      v->def = (int)k;
      v->last_use = v->is_output ? INT_MAX : (int)k;
      if (info && sp_tensor_elem_size(info->elem_type))
        v->t.elem_type = info->elem_type;
      if (is_static(info)) {
        v->kind = RT_ARENA;
        v->t.rank = info->rank;
        for (int d = 0; d < info->rank; ++d)
          v->t.dims[d] = info->dims[d];
        v->t.numel = rt_numel(&v->t);
        v->nbytes = (size_t)v->t.numel * sp_tensor_elem_size(v->t.elem_type);
      } else {
        v->kind = RT_DYNAMIC;
        v->t.rank = info && info->rank >= 0 ? info->rank : 0;
        n->dynamic = 1;
      }
      v->t.data = NULL;
    }
  }
}

static rt_value *root_of(rt_value *v) {
  while (v->kind == RT_ALIAS && v->alias_of)
    v = v->alias_of;
  return v;
}

static void lifetimes(sp_runtime *rt) {
  for (size_t k = 0; k < rt->n_nodes; ++k) {
    rt_node *n = &rt->nodes[k];
    if (n->skip)
      continue;
    int view = n->op->alias == RT_VIEW || (n->op->alias == RT_VIEW_INFERENCE && !rt->training);
    if (view && n->n_out > 0 && n->out[0] && n->in[0] &&
        n->out[0]->kind == RT_ARENA) {
      n->out[0]->kind = RT_ALIAS;
      n->out[0]->alias_of = n->in[0];
    }
  }
  for (size_t k = 0; k < rt->n_nodes; ++k) {
    rt_node *n = &rt->nodes[k];
    if (n->skip)
      continue;
    for (int i = 0; i < n->n_in; ++i) {
      rt_value *r = n->in[i] ? root_of(n->in[i]) : NULL;
      if (r && r->last_use < (int)k)
        r->last_use = (int)k;
    }
    if (n->residual) {
      rt_value *r = root_of(n->residual);
      if (r->last_use < (int)k)
        r->last_use = (int)k;
    }
    for (int i = 0; i < n->n_out; ++i) {
      rt_value *v = n->out[i];
      if (v && v->kind == RT_ALIAS && v->is_output)
        root_of(v)->last_use = INT_MAX;
    }
  }
}

static int by_size_desc(const void *a, const void *b) {
  const rt_interval *x = a, *y = b;
  if (x->size != y->size)
    return x->size < y->size ? 1 : -1;
  return x->id < y->id ? -1 : x->id > y->id; /* stable across libcs */
}

static int by_offset(const void *a, const void *b) {
  const rt_interval *x = *(rt_interval *const *)a, *y = *(rt_interval *const *)b;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Greedy first fit, largest buffers first. */
size_t rt_place_intervals(rt_interval *items, size_t n) {
  rt_interval **live = malloc((n + 1) * sizeof *live);
  if (!live)
    return SIZE_MAX;
  qsort(items, n, sizeof *items, by_size_desc);
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    rt_interval *v = &items[i];
    size_t size = (v->size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    if (!size)
      size = ARENA_ALIGN;
    size_t n_live = 0;
    for (size_t j = 0; j < i; ++j)
      if (items[j].def <= v->last && v->def <= items[j].last)
        live[n_live++] = &items[j];
    qsort(live, n_live, sizeof *live, by_offset);
    size_t offset = 0;
    for (size_t j = 0; j < n_live; ++j) {
      size_t lsize = (live[j]->size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
      lsize = lsize ? lsize : ARENA_ALIGN;
      if (live[j]->offset >= offset + size)
        break;
      if (live[j]->offset + lsize > offset)
        offset = live[j]->offset + lsize;
    }
    v->offset = offset;
    if (offset + size > total)
      total = offset + size;
  }
  free(live);
  return total;
}

static int assign_offsets(sp_runtime *rt, sp_error *err) {
  size_t n_arena = 0;
  rt_interval *list = malloc((rt->n_values + 1) * sizeof *list);
  if (!list)
    return sp_error_set(err, "out of memory");
  for (size_t k = 0; k < rt->n_nodes; ++k) {
    rt_node *n = &rt->nodes[k];
    if (n->skip)
      continue;
    for (int i = 0; i < n->n_out; ++i) {
      rt_value *v = n->out[i];
      if (v && v->kind == RT_ARENA && v->def == (int)k)
        list[n_arena++] = (rt_interval){v->nbytes, 0, v->def, v->last_use,
                                        (size_t)(v - rt->values)};
    }
  }
  size_t total = rt_place_intervals(list, n_arena);
  if (total == SIZE_MAX) {
    free(list);
    return sp_error_set(err, "out of memory");
  }
  for (size_t i = 0; i < n_arena; ++i)
    rt->values[list[i].id].offset = list[i].offset;
  free(list);
  if (total > rt->arena_cap) {
    void *p = rt_alloc_huge(total);
    if (!p)
      return sp_error_set(err, "out of memory: arena of %zu bytes", total);
    free(rt->arena);
    rt->arena = p;
    rt->arena_cap = total;
  }
  rt->arena_bytes = total;
  for (size_t k = 0; k < rt->n_nodes; ++k) {
    rt_node *n = &rt->nodes[k];
    for (int i = 0; i < n->n_out && !n->skip; ++i)
      if (n->out[i] && n->out[i]->kind == RT_ARENA)
        n->out[i]->t.data = rt->arena + n->out[i]->offset;
  }
  return 0;
}

static void warn_ignore(void *user, const char *message) {
  (void)user;
  (void)message;
}

int rt_infer_shapes(sp_runtime *rt, const sp_shape_options *options,
                    sp_shape_table **out, sp_error *err) {
  if (!sp_infer_shapes(rt->model, options, out, err))
    return 0;
  /* sp_infer_shapes prefixes the path; the caller does too. */
  const char *p = rt->path;
  size_t len = strlen(p);
  if (!strncmp(err->message, p, len) && err->message[len] == ':')
    memmove(err->message, err->message + len + 2,
            strlen(err->message + len + 2) + 1);
  return -1;
}

int rt_plan(sp_runtime *rt, sp_error *err) {
  rt_plan_reset(rt);
  sp_value_info *overrides = calloc(rt->n_inputs + 1, sizeof *overrides);
  if (!overrides)
    return sp_error_set(err, "out of memory");
  for (int i = 0; i < rt->n_inputs; ++i)
    fill_info(&overrides[i], &rt->inputs[i]->t);
  sp_shape_options opts = {overrides, rt->n_inputs, warn_ignore, NULL};
  int rc = rt_infer_shapes(rt, &opts, &rt->shapes, err);
  free(overrides);
  if (rc)
    return -1;
  if (build_nodes(rt, err))
    return -1;
  type_outputs(rt);
  for (size_t k = 0; k < rt->n_nodes; ++k) {
    rt_node *n = &rt->nodes[k];
    if (n->skip || !n->op->prepare)
      continue;
    rc = n->op->prepare(rt, n, err);
    if (rc)
      return rc;
  }
  /* an observer sees every ONNX value; training differentiates each node */
  if (!rt->observer && !rt->training && rt_fuse(rt, err))
    return -1;
  lifetimes(rt);
  if (rt->training) /* the backward pass reads every forward value */
    for (size_t i = 0; i < rt->n_values; ++i)
      root_of(&rt->values[i])->last_use = INT_MAX;
  if (assign_offsets(rt, err))
    return -1;
  rt->planned = 1;
  rt->planned_with_observer = rt->observer != NULL;
  return 0;
}

int rt_infer_dynamic(sp_runtime *rt, rt_node *n, sp_error *err) {
  (void)rt;
  const Onnx__NodeProto *p = n->proto;
  sp_shape_fn fn = sp_shape_fn_for(p->domain, p->op_type);
  if (!fn)
    return rt_unsupported(err, n, "output shape unknown before run");
  sp_value_info *infos = calloc((size_t)n->n_in + (size_t)n->n_out + 1,
                                sizeof *infos);
  const sp_value_info **ins = calloc((size_t)n->n_in + 1, sizeof *ins);
  if (!infos || !ins) {
    free(infos), free(ins);
    return sp_error_set(err, "out of memory");
  }
  for (int i = 0; i < n->n_in; ++i) {
    if (!n->in[i])
      continue;
    fill_info(&infos[i], &n->in[i]->t);
    ins[i] = &infos[i];
  }
  sp_value_info *outs = infos + n->n_in;
  for (int i = 0; i < n->n_out; ++i)
    outs[i].rank = -1;
  int rc = fn(p, ins, n->n_in, outs, n->n_out, n->opset, err);
  for (int i = 0; i < n->n_out && !rc; ++i) {
    rt_value *v = n->out[i];
    if (!v)
      continue;
    if (!is_static(&outs[i])) {
      rc = rt_unsupported(err, n, "output '%s' has a data-dependent shape",
                          v->t.name);
      break;
    }
    v->t.elem_type = outs[i].elem_type;
    v->t.rank = outs[i].rank;
    for (int d = 0; d < outs[i].rank; ++d)
      v->t.dims[d] = outs[i].dims[d];
    v->t.numel = rt_numel(&v->t);
    if (v->t.numel < 0) {
      char what[SP_ERROR_MAX];
      snprintf(what, sizeof what, "node '%s' (%s): output '%s'", rt_node_label(n),
               p->op_type, v->t.name);
      rc = sp_onnx_numel_error(err, what, v->t.dims, (size_t)v->t.rank);
      break;
    }
    size_t bytes = (size_t)v->t.numel * sp_tensor_elem_size(v->t.elem_type);
    if (v->kind == RT_ALIAS)
      continue;
    if (bytes > v->heap_cap || !v->heap) {
      void *q = NULL;
      if (posix_memalign(&q, ARENA_ALIGN, bytes ? bytes : ARENA_ALIGN)) {
        rc = sp_error_set(err, "out of memory");
        break;
      }
      free(v->heap);
      v->heap = q;
      v->heap_cap = bytes;
    }
    v->t.data = v->heap;
  }
  free(infos);
  free(ins);
  return rc;
}

/* runtime.c - create a runtime over a model, bind inputs, run, read outputs.
 *
 * Values are indexed by name once (hash map). Initializers and Constant
 * nodes point into the model's memory; everything a node produces lives in
 * the arena planned by plan.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime_internal.h"
#include "sp/kernels.h" /* sp_scratch_alloc */

/* ---- errors and attributes ---- */

const char *rt_node_label(const rt_node *n) {
  const Onnx__NodeProto *p = n->proto;
  if (p->name && p->name[0])
    return p->name;
  if (p->n_output > 0 && p->output[0][0])
    return p->output[0];
  return "?";
}

static int vfail(sp_error *err, const rt_node *n, const char *fmt,
                 va_list ap) {
  char what[SP_ERROR_MAX];
  vsnprintf(what, sizeof what, fmt, ap);
  return sp_error_set(err, "node '%s' (%s): %s", rt_node_label(n),
                      n->proto->op_type, what);
}

int rt_fail(sp_error *err, const rt_node *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(err, n, fmt, ap);
  va_end(ap);
  return -1;
}

int rt_unsupported(sp_error *err, const rt_node *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(err, n, fmt, ap);
  va_end(ap);
  return SP_RT_UNSUPPORTED;
}

const Onnx__AttributeProto *rt_attr(const rt_node *n, const char *name) {
  for (size_t i = 0; i < n->proto->n_attribute; ++i)
    if (!strcmp(n->proto->attribute[i]->name, name))
      return n->proto->attribute[i];
  return NULL;
}

int64_t rt_attr_int(const rt_node *n, const char *name, int64_t fallback) {
  const Onnx__AttributeProto *a = rt_attr(n, name);
  return a ? a->i : fallback;
}

float rt_attr_float(const rt_node *n, const char *name, float fallback) {
  const Onnx__AttributeProto *a = rt_attr(n, name);
  return a ? a->f : fallback;
}

int rt_attr_ints(const rt_node *n, const char *name, int64_t *vals, int max) {
  const Onnx__AttributeProto *a = rt_attr(n, name);
  if (!a)
    return -1;
  int k = a->n_ints < (size_t)max ? (int)a->n_ints : max;
  if (k)
    memcpy(vals, a->ints, (size_t)k * sizeof *vals);
  return k;
}

void rt_attr_str(const rt_node *n, const char *name, char *buf, size_t size,
                 const char *fallback) {
  const Onnx__AttributeProto *a = rt_attr(n, name);
  if (!a) {
    snprintf(buf, size, "%s", fallback);
    return;
  }
  size_t k = a->s.len < size - 1 ? a->s.len : size - 1;
  if (k)
    memcpy(buf, a->s.data, k);
  buf[k] = '\0';
}

int rt_attr_is(const rt_node *n, const char *name, const char *s,
               const char *fallback) {
  char buf[64];
  rt_attr_str(n, name, buf, sizeof buf, fallback);
  return !strcmp(buf, s);
}

/* ---- values ---- */

int64_t rt_numel(const sp_tensor *t) {
  return t->rank < 0 ? -1 : sp_onnx_dims_numel(t->dims, (size_t)t->rank);
}

int64_t rt_dims_product(const sp_tensor *t, int from, int to) {
  int64_t k = 1;
  for (int d = from; d < to; ++d)
    k *= t->dims[d];
  return k;
}

int rt_read_ints(const rt_value *v, int64_t *vals, int max) {
  if (!v || !v->t.data)
    return -1;
  int64_t k = v->t.numel;
  if (k > max)
    return -1;
  for (int64_t i = 0; i < k; ++i) {
    if (v->t.elem_type == RT_INT64)
      vals[i] = ((const int64_t *)v->t.data)[i];
    else if (v->t.elem_type == RT_INT32)
      vals[i] = ((const int32_t *)v->t.data)[i];
    else
      return -1;
  }
  return (int)k;
}

double rt_get_double(const sp_tensor *t, int64_t k) {
  const void *p = t->data;
  switch (t->elem_type) {
  case RT_FLOAT: return ((const float *)p)[k];
  case RT_DOUBLE: return ((const double *)p)[k];
  case RT_INT64: return (double)((const int64_t *)p)[k];
  case RT_INT32: return ((const int32_t *)p)[k];
  case RT_BOOL:
  case RT_UINT8: return ((const uint8_t *)p)[k];
  case RT_INT8: return ((const int8_t *)p)[k];
  case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return ((const int16_t *)p)[k];
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return ((const uint16_t *)p)[k];
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return ((const uint32_t *)p)[k];
  case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
    return (double)((const uint64_t *)p)[k];
  default: return 0;
  }
}

static const char *type_name(int32_t t) {
  const ProtobufCEnumValue *v =
      protobuf_c_enum_descriptor_get_value(&onnx__tensor_proto__data_type__descriptor, t);
  return v ? v->name : "unknown";
}

int rt_check_types(sp_error *err, const rt_node *n, int i, ...) {
  const rt_value *v = rt_in(n, i);
  if (!v)
    return rt_fail(err, n, "missing input %d", i);
  va_list ap;
  va_start(ap, i);
  int32_t t;
  while ((t = va_arg(ap, int32_t)) != 0)
    if (t == v->t.elem_type) {
      va_end(ap);
      return 0;
    }
  va_end(ap);
  return rt_unsupported(err, n, "input %d '%s' has element type %s, which has no kernel",
                        i, v->t.name, type_name(v->t.elem_type));
}

int rt_axis(int64_t axis, int rank) {
  if (axis < 0)
    axis += rank;
  return axis < 0 || axis >= (rank > 0 ? rank : 1) ? -1 : (int)axis;
}

size_t sp_tensor_elem_size(int32_t t) {
  /* no strings, complex, float16/bfloat16 or 4/8-bit floats */
  if (t == ONNX__TENSOR_PROTO__DATA_TYPE__STRING || t <= 0 || t > 13 ||
      t == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 ||
      t == ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64)
    return 0;
  return sp_onnx_elem_size(t);
}

/* Buffers of megabytes that every run sweeps (the arena, scratch) get
 * 2 MB pages where the kernel allows it (sp_scratch_alloc, shared with
 * compiled models): with 4 KB pages, streaming a 5 MB activation misses
 * the TLB (mobilenet_v2, one thread: 10.55 -> 9.9 ms). */
void *rt_alloc_huge(size_t bytes) { return sp_scratch_alloc(bytes); }

void *rt_scratch(sp_runtime *rt, size_t bytes) {
  if (bytes > rt->scratch_cap) {
    free(rt->scratch);
    rt->scratch = rt_alloc_huge(bytes);
    rt->scratch_cap = rt->scratch ? bytes : 0;
  }
  return rt->scratch;
}

/* ---- creation ---- */

static rt_value *value_get(const sp_runtime *rt, const char *name) {
  return name && name[0] ? sp_map_get_str(&rt->values_by_name, name, NULL)
                         : NULL;
}

static rt_value *value_add(sp_runtime *rt, const char *name) {
  rt_value *v = value_get(rt, name);
  if (v)
    return v;
  v = &rt->values[rt->n_values++];
  memset(v, 0, sizeof *v);
  v->t.name = name;
  v->def = -1;
  v->last_use = -1;
  if (sp_map_put_str(&rt->values_by_name, name, v))
    return NULL;
  return v;
}

/* Points v at a TensorProto's bytes (initializer or Constant value). */
static int set_const(sp_runtime *rt, rt_value *v, const Onnx__TensorProto *t,
                     sp_error *err) {
  v->kind = RT_CONST;
  v->t.elem_type = t->data_type;
  if (t->n_dims > SP_MAX_RANK)
    return sp_error_set(err, "tensor '%s': rank %zu is too large", v->t.name,
                        t->n_dims);
  v->t.rank = (int)t->n_dims;
  for (size_t d = 0; d < t->n_dims; ++d)
    v->t.dims[d] = t->dims[d];
  v->t.numel = rt_numel(&v->t);
  if (!sp_tensor_elem_size(t->data_type))
    return 0; /* strings etc.: no data, kernels reject the type */
  const void *data;
  size_t size;
  if (sp_onnx_tensor_bytes(rt->model, t, &data, &size, err))
    return -1;
  v->t.data = (void *)data;
  return 0;
}

/* A Constant node with value_float(s)/value_int(s): owned small buffer. */
static int set_const_attr(rt_value *v, const Onnx__AttributeProto *a) {
  v->kind = RT_CONST;
  const char *name = a->name;
  size_t n = 1;
  int is_list = !strcmp(name, "value_floats") || !strcmp(name, "value_ints");
  int is_float = !strcmp(name, "value_float") || !strcmp(name, "value_floats");
  if (is_list)
    n = is_float ? a->n_floats : a->n_ints;
  v->t.elem_type = is_float ? RT_FLOAT : RT_INT64;
  v->t.rank = is_list ? 1 : 0;
  v->t.dims[0] = (int64_t)n;
  v->t.numel = (int64_t)n;
  v->heap = calloc(n ? n : 1, 8);
  if (!v->heap)
    return -1;
  if (is_float)
    memcpy(v->heap, is_list ? a->floats : &a->f, n * sizeof(float));
  else
    memcpy(v->heap, is_list ? a->ints : &a->i, n * sizeof(int64_t));
  v->t.data = v->heap;
  return 0;
}

static int eval_constant(sp_runtime *rt, const Onnx__NodeProto *node,
                         sp_error *err) {
  rt_value *v = value_get(rt, node->output[0]);
  for (size_t i = 0; i < node->n_attribute; ++i) {
    const Onnx__AttributeProto *a = node->attribute[i];
    if (!strcmp(a->name, "value") && a->t)
      return set_const(rt, v, a->t, err);
    if (!strncmp(a->name, "value_", 6) &&
        (!strcmp(a->name + 6, "float") || !strcmp(a->name + 6, "floats") ||
         !strcmp(a->name + 6, "int") || !strcmp(a->name + 6, "ints")))
      return set_const_attr(v, a) ? sp_error_set(err, "out of memory") : 0;
  }
  sp_error_set(err, "node '%s' (Constant): only tensor, float(s) and int(s) values have a kernel",
               node->name && node->name[0] ? node->name : node->output[0]);
  return SP_RT_UNSUPPORTED;
}

static int64_t default_opset(const Onnx__ModelProto *m) {
  for (size_t i = 0; i < m->n_opset_import; ++i)
    if (!m->opset_import[i]->domain || !m->opset_import[i]->domain[0] ||
        !strcmp(m->opset_import[i]->domain, "ai.onnx"))
      return m->opset_import[i]->version;
  return 13;
}

static int build(sp_runtime *rt, sp_error *err) {
  const Onnx__GraphProto *g = rt->model->proto->graph;
  rt->opset = default_opset(rt->model->proto);
  size_t cap = g->n_input + g->n_initializer + g->n_output;
  for (size_t i = 0; i < g->n_node; ++i)
    cap += g->node[i]->n_output;
  rt->values = calloc(cap ? cap : 1, sizeof *rt->values);
  rt->inputs = calloc(g->n_input ? g->n_input : 1, sizeof *rt->inputs);
  rt->input_info = calloc(g->n_input ? g->n_input : 1, sizeof *rt->input_info);
  rt->outputs = calloc(g->n_output ? g->n_output : 1, sizeof *rt->outputs);
  if (!rt->values || !rt->inputs || !rt->input_info || !rt->outputs)
    return sp_error_set(err, "out of memory");
  for (size_t i = 0; i < g->n_initializer; ++i) {
    rt_value *v = value_add(rt, g->initializer[i]->name);
    if (!v)
      return sp_error_set(err, "out of memory");
    if (set_const(rt, v, g->initializer[i], err))
      return -1;
  }
  sp_shape_table *declared = NULL;
  if (rt_infer_shapes(rt, NULL, &declared, err))
    return -1;
  for (size_t i = 0; i < g->n_input; ++i) {
    const char *name = g->input[i]->name;
    if (value_get(rt, name))
      continue; /* initializer listed as input: its default is used */
    rt_value *v = value_add(rt, name);
    if (!v) {
      sp_shape_table_free(declared);
      return sp_error_set(err, "out of memory");
    }
    v->kind = RT_INPUT;
    const sp_value_info *info = sp_shape_lookup(declared, name);
    if (info && info->kind != SP_VALUE_TENSOR) {
      static const char *const kinds[] = {"tensor", "sequence", "optional", "map or other"};
      sp_error_set(err, "input '%s' is not a tensor (declared %s); the runtime takes tensor "
                   "inputs only", name, kinds[info->kind]);
      sp_shape_table_free(declared); /* info points into it */
      return SP_RT_UNSUPPORTED;
    }
    sp_value_info *decl = &rt->input_info[rt->n_inputs];
    if (info)
      *decl = *info;
    else
      decl->rank = -1;
    decl->name = name;
    v->t.elem_type = decl->elem_type;
    rt->inputs[rt->n_inputs++] = v;
  }
  sp_shape_table_free(declared);
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *node = g->node[i];
    for (size_t k = 0; k < node->n_output; ++k)
      if (node->output[k][0] && !value_add(rt, node->output[k]))
        return sp_error_set(err, "out of memory");
  }
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *node = g->node[i];
    const char *label = node->name && node->name[0] ? node->name
                        : node->n_output        ? node->output[0]
                                                : "?";
    if (!rt_op_find(node->domain, node->op_type)) {
      sp_error_set(err, "node '%s': unsupported op '%s%s%s' (no runtime kernel)",
                   label, node->domain ? node->domain : "",
                   node->domain && node->domain[0] ? "." : "", node->op_type);
      return SP_RT_UNSUPPORTED;
    }
    for (size_t k = 0; k < node->n_input; ++k)
      if (node->input[k][0] && !value_get(rt, node->input[k]))
        return sp_error_set(err, "node '%s' (%s): input '%s' is not defined",
                            label, node->op_type, node->input[k]);
    if (!strcmp(node->op_type, "Constant") && node->n_output == 1) {
      int rc = eval_constant(rt, node, err);
      if (rc)
        return rc;
    }
  }
  for (size_t i = 0; i < g->n_output; ++i) {
    rt_value *v = value_get(rt, g->output[i]->name);
    if (!v)
      return sp_error_set(err, "graph output '%s' is not defined",
                          g->output[i]->name);
    v->is_output = 1;
    rt->outputs[rt->n_outputs++] = v;
  }
  return 0;
}

static void blas_hint_once(void) {
  static int done;
  if (done)
    return;
  done = 1;
  rt_blas_setup();
  /* a core the user named is their choice (sp-run --bench and --version
   * still hint); a weak core OpenBLAS picked and sp could not swap is not */
  if (rt_blas_core_user_chosen())
    return;
  char buf[256];
  if (sp_runtime_blas_check(buf, sizeof buf))
    fprintf(stderr, "%s\n", buf);
}

int sp_runtime_create(sp_onnx_model *model, int take_ownership,
                      sp_runtime **out, sp_error *err) {
  *out = NULL;
  sp_runtime *rt = calloc(1, sizeof *rt);
  if (!rt) {
    if (take_ownership)
      sp_onnx_free(model);
    return sp_error_set(err, "out of memory");
  }
  rt->model = model;
  rt->owns_model = take_ownership;
  rt->path = model->path ? model->path : "<model>";
  sp_map_init(&rt->values_by_name);
  sp_map_init(&rt->profile_by_op);
  sp_map_init(&rt->profile_backward_by_op);
  int rc = build(rt, err);
  if (rc) {
    sp_error_prefix(err, rt->path);
    sp_runtime_free(rt);
    return rc;
  }
  blas_hint_once();
  *out = rt;
  return 0;
}

int sp_runtime_load(const char *path, sp_runtime **out, sp_error *err) {
  *out = NULL;
  sp_onnx_model *model;
  if (sp_onnx_load(path, &model, err))
    return -1;
  return sp_runtime_create(model, 1, out, err);
}

void sp_runtime_free(sp_runtime *rt) {
  if (!rt)
    return;
  rt_plan_reset(rt);
  for (size_t i = 0; i < rt->n_values; ++i)
    free(rt->values[i].heap);
  free(rt->values);
  free(rt->inputs);
  free(rt->input_info);
  free(rt->outputs);
  free(rt->arena);
  free(rt->scratch);
  free(rt->grads);
  free(rt->grad_zero_head);
  free(rt->grad_zero_next);
  sp_map_free(&rt->values_by_name);
  sp_map_free(&rt->profile_by_op);
  sp_map_free(&rt->profile_backward_by_op);
  free(rt->profile_entries);
  if (rt->owns_model)
    sp_onnx_free(rt->model);
  free(rt);
}

/* ---- inputs ---- */

int sp_runtime_num_inputs(const sp_runtime *rt) { return rt->n_inputs; }

const sp_value_info *sp_runtime_input_info(const sp_runtime *rt, int index) {
  return index >= 0 && index < rt->n_inputs ? &rt->input_info[index] : NULL;
}

/* 1 if a small integer input's contents changed (they feed shape inference). */
static int values_matter(const sp_tensor *t) {
  return t->numel <= SP_MAX_KNOWN_VALUES &&
         (t->elem_type == RT_INT64 || t->elem_type == RT_INT32 ||
          t->elem_type == RT_FLOAT || t->elem_type == RT_DOUBLE ||
          t->elem_type == RT_BOOL);
}

int sp_runtime_bind(sp_runtime *rt, const char *name, int32_t elem_type,
                    int rank, const int64_t *dims, const void *data,
                    sp_error *err) {
  int idx = -1;
  for (int i = 0; i < rt->n_inputs; ++i)
    if (!strcmp(rt->inputs[i]->t.name, name))
      idx = i;
  if (idx < 0) {
    char names[512] = "";
    for (int i = 0; i < rt->n_inputs; ++i)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s'%s'",
               i ? ", " : "", rt->inputs[i]->t.name);
    return sp_error_set(err, "%s: no input named '%s' (inputs: %s)", rt->path,
                        name, names);
  }
  rt_value *v = rt->inputs[idx];
  const sp_value_info *decl = &rt->input_info[idx];
  if (decl->elem_type && !sp_tensor_elem_size(decl->elem_type)) {
    sp_error_set(err, "%s: input '%s': element type %s is not supported",
                 rt->path, name, type_name(decl->elem_type));
    return SP_RT_UNSUPPORTED;
  }
  if (decl->elem_type && decl->elem_type != elem_type)
    return sp_error_set(err, "%s: input '%s': element type %s, expected %s",
                        rt->path, name, type_name(elem_type),
                        type_name(decl->elem_type));
  size_t es = sp_tensor_elem_size(elem_type);
  if (!es) {
    sp_error_set(err, "%s: input '%s': element type %s is not supported",
                 rt->path, name, type_name(elem_type));
    return SP_RT_UNSUPPORTED;
  }
  if (rank < 0 || rank > SP_MAX_RANK)
    return sp_error_set(err, "%s: input '%s': bad rank %d", rt->path, name,
                        rank);
  if (decl->kind == SP_VALUE_TENSOR && decl->rank >= 0 && decl->rank != rank)
    return sp_error_set(err, "%s: input '%s': rank %d, expected %d", rt->path,
                        name, rank, decl->rank);
  for (int d = 0; d < rank; ++d) {
    if (dims[d] < 0)
      return sp_error_set(err, "%s: input '%s': dim %d is %lld (negative)",
                          rt->path, name, d, (long long)dims[d]);
    if (decl->rank == rank && decl->dims[d] >= 0 && decl->dims[d] != dims[d])
      return sp_error_set(err, "%s: input '%s': dim %d is %lld, expected %lld",
                          rt->path, name, d, (long long)dims[d],
                          (long long)decl->dims[d]);
  }
  int64_t numel = sp_onnx_dims_numel(dims, (size_t)rank);
  if (numel < 0) {
    char what[SP_ERROR_MAX];
    snprintf(what, sizeof what, "%s: input '%s'", rt->path, name);
    return sp_onnx_numel_error(err, what, dims, (size_t)rank);
  }
  size_t bytes = (size_t)numel * es; /* < 2^63: numel <= 2^59, es <= 16 */
  int changed = !v->bound || v->t.rank != rank || v->t.elem_type != elem_type;
  for (int d = 0; d < rank && !changed; ++d)
    changed = v->t.dims[d] != dims[d];
  if (!changed && values_matter(&v->t) && memcmp(v->t.data, data, bytes))
    changed = 1;
  if (bytes > v->heap_cap || !v->heap) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64))
      return sp_error_set(err, "%s: input '%s': out of memory for %zu bytes",
                          rt->path, name, bytes);
    free(v->heap);
    v->heap = p;
    v->heap_cap = bytes;
  }
  if (bytes)
    memcpy(v->heap, data, bytes);
  v->t.data = v->heap;
  v->t.elem_type = elem_type;
  v->t.rank = rank;
  for (int d = 0; d < rank; ++d)
    v->t.dims[d] = dims[d];
  v->t.numel = numel;
  v->bound = 1;
  if (changed)
    rt->planned = 0;
  return 0;
}

int sp_runtime_bind_proto(sp_runtime *rt, const char *name,
                          const Onnx__TensorProto *tensor, sp_error *err) {
  const void *data;
  size_t size;
  if (!sp_tensor_elem_size(tensor->data_type))
    return sp_error_set(err, "%s: input '%s': element type %s is not supported",
                        rt->path, name, type_name(tensor->data_type));
  if (tensor->n_dims > SP_MAX_RANK)
    return sp_error_set(err, "%s: input '%s': rank too large", rt->path, name);
  if (sp_onnx_tensor_bytes(rt->model, tensor, &data, &size, err))
    return -1;
  int64_t numel = sp_onnx_tensor_numel(tensor);
  if (numel < 0 || (size_t)numel * sp_tensor_elem_size(tensor->data_type) != size)
    return sp_error_set(err, "%s: input '%s': data size does not match dims",
                        rt->path, name);
  return sp_runtime_bind(rt, name, tensor->data_type, (int)tensor->n_dims,
                         tensor->dims, data, err);
}

/* ---- profile ---- */

typedef struct rt_profile_entry {
  const char *key;  /* op type, or the node's first output with SP_PROFILE_NODES */
  const char *kind; /* op type (convs by kind) */
  int backward;     /* the node's backward kernel (training) */
  double ms;
  double min_ms; /* fastest call: robust when other processes share the cores */
  long calls;
} rt_profile_entry;

/* SP_PROFILE_CLOCK=cpu times nodes in the calling thread's CPU time: at one
 * thread that leaves out the time other processes hold the core. */
static double now_ms(void) {
  static int clock_id = -1;
  if (clock_id < 0) {
    const char *c = getenv("SP_PROFILE_CLOCK");
    clock_id = c && !strcmp(c, "cpu") ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
  }
  struct timespec ts;
  clock_gettime(clock_id, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double rt_now_ms(void) { return now_ms(); }

static const char *profile_label(const rt_node *n);

/* Adds ms under key; forward and backward entries are kept apart. */
static void profile_add_key(sp_runtime *rt, const char *key, const char *kind,
                            int backward, double ms) {
  sp_map *map = backward ? &rt->profile_backward_by_op : &rt->profile_by_op;
  int found;
  size_t k = (size_t)(uintptr_t)sp_map_get_str(map, key, &found);
  if (!found) {
    if (rt->n_profile == rt->profile_cap) {
      size_t cap = rt->profile_cap ? 2 * rt->profile_cap : 32;
      rt_profile_entry *p = realloc(rt->profile_entries, cap * sizeof *p);
      if (!p)
        return;
      rt->profile_entries = p;
      rt->profile_cap = cap;
    }
    k = rt->n_profile++;
    rt->profile_entries[k] = (rt_profile_entry){key, kind, backward, 0, INFINITY, 0};
    if (sp_map_put_str(map, key, (void *)(uintptr_t)k))
      return;
  }
  rt->profile_entries[k].ms += ms;
  if (ms < rt->profile_entries[k].min_ms)
    rt->profile_entries[k].min_ms = ms;
  rt->profile_entries[k].calls++;
}

void rt_profile_add(sp_runtime *rt, const rt_node *n, int backward, double ms) {
  const char *kind = profile_label(n);
  const char *key = kind;
  if (rt->profile == SP_PROFILE_NODES && n->n_out > 0 && n->out[0])
    key = n->out[0]->t.name;
  profile_add_key(rt, key, kind, backward, ms);
}

void rt_profile_add_step(sp_runtime *rt, const char *what, double ms) {
  profile_add_key(rt, what, what, 1, ms);
}

void sp_runtime_set_profile(sp_runtime *rt, int mode) { rt->profile = mode; }

/* Convs are split by kind: their costs differ by orders of magnitude. */
static const char *profile_label(const rt_node *n) {
  if (strcmp(n->op->name, n->proto->op_type)) /* a fused node */
    return n->op->name;
  if (strcmp(n->proto->op_type, "Conv") || n->n_in < 2 || !n->in[1])
    return n->proto->op_type;
  const sp_tensor *w = &n->in[1]->t;
  if (rt_attr_int(n, "group", 1) > 1)
    return w->dims[1] == 1 ? "Conv depthwise" : "Conv grouped";
  if (rt_numel(w) == w->dims[0] * w->dims[1])
    return "Conv 1x1";
  return w->rank == 4 && w->dims[2] == 3 && w->dims[3] == 3 ? "Conv 3x3" : "Conv kxk";
}

static int by_ms_desc(const void *a, const void *b) {
  const rt_profile_entry *x = a, *y = b;
  return x->ms < y->ms ? 1 : x->ms > y->ms ? -1 : 0;
}

void sp_runtime_profile_print(const sp_runtime *rt, FILE *out) {
  rt_profile_entry *e = malloc((rt->n_profile + 1) * sizeof *e);
  if (!e)
    return;
  double total = 0, total_backward = 0;
  for (size_t i = 0; i < rt->n_profile; ++i) {
    total += (e[i] = rt->profile_entries[i]).ms;
    total_backward += e[i].backward ? e[i].ms : 0;
  }
  qsort(e, rt->n_profile, sizeof *e, by_ms_desc);
  size_t unshared = 0;
  for (size_t k = 0; k < rt->n_nodes; ++k)
    for (int i = 0; i < rt->nodes[k].n_out && !rt->nodes[k].skip; ++i)
      if (rt->nodes[k].out[i] && rt->nodes[k].out[i]->kind == RT_ARENA)
        unshared += rt->nodes[k].out[i]->nbytes;
  fprintf(out, "arena %.2f MB (%.2f MB of planned values without reuse)\n",
          rt->arena_bytes / 1048576.0, unshared / 1048576.0);
  if (total_backward > 0)
    fprintf(out, "gradients %.2f MB; forward %.3f ms, backward %.3f ms\n",
            rt->grads_bytes / 1048576.0, total - total_backward, total_backward);
  for (size_t i = 0; i < rt->n_profile; ++i) {
    char label[160];
    if (e[i].key != e[i].kind) /* per node: name, then its kind */
      snprintf(label, sizeof label, "%s [%s]%s", e[i].key, e[i].kind,
               e[i].backward ? " backward" : "");
    else
      snprintf(label, sizeof label, "%s%s", e[i].key, e[i].backward ? " backward" : "");
    fprintf(out, e[i].key != e[i].kind ? "%s" : "%-24s", label);
    fprintf(out, " %10.3f ms %7ld calls %5.1f%% min %.4f ms\n", e[i].ms, e[i].calls,
            total > 0 ? 100 * e[i].ms / total : 0, e[i].min_ms);
  }
  free(e);
}

/* ---- run ---- */

int sp_runtime_run(sp_runtime *rt, sp_error *err) {
  for (int i = 0; i < rt->n_inputs; ++i)
    if (!rt->inputs[i]->bound)
      return sp_error_set(err, "%s: input '%s' is not bound", rt->path,
                          rt->inputs[i]->t.name);
  if (rt->planned && (rt->observer != NULL) != rt->planned_with_observer)
    rt->planned = 0;
  if (!rt->planned) {
    int rc = rt_plan(rt, err);
    if (rc) {
      sp_error_prefix(err, rt->path);
      return rc;
    }
  }
  for (size_t k = 0; k < rt->n_nodes; ++k) {
    rt_node *n = &rt->nodes[k];
    if (n->skip)
      continue;
    int rc = 0;
    double t0 = rt->profile ? now_ms() : 0;
    if (n->dynamic)
      rc = rt_infer_dynamic(rt, n, err);
    if (!rc)
      rc = n->op->forward(rt, n, err);
    if (rt->profile)
      rt_profile_add(rt, n, 0, now_ms() - t0);
    if (rc) {
      sp_error_prefix(err, rt->path);
      return rc;
    }
    if (rt->observer)
      for (int i = 0; i < n->n_out; ++i)
        if (n->out[i])
          rt->observer(rt->observer_user, n->out[i]->t.name, &n->out[i]->t);
  }
  if (rt->training)
    ++rt->training_runs; /* the next run draws new dropout masks */
  return 0;
}

int sp_runtime_num_outputs(const sp_runtime *rt) { return rt->n_outputs; }

const sp_tensor *sp_runtime_output(const sp_runtime *rt, int index) {
  return index >= 0 && index < rt->n_outputs ? &rt->outputs[index]->t : NULL;
}

const sp_tensor *sp_runtime_output_by_name(const sp_runtime *rt,
                                           const char *name) {
  for (int i = 0; i < rt->n_outputs; ++i)
    if (!strcmp(rt->outputs[i]->t.name, name))
      return &rt->outputs[i]->t;
  return NULL;
}

void sp_runtime_set_observer(sp_runtime *rt, sp_observer_fn fn, void *user) {
  rt->observer = fn;
  rt->observer_user = user;
}

size_t sp_runtime_arena_bytes(const sp_runtime *rt) {
  return rt->planned ? rt->arena_bytes : 0;
}

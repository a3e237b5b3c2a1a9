/* shape.c - the shape-inference driver.
 *
 * Seeds a name -> sp_value_info table from graph inputs, initializers and
 * declared value_info, walks the nodes in topological order calling the
 * registry's function per op (shape_registry.c; control flow in
 * shape_control.c), and merges results with what the model declares. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shape_driver.h"
#include "sp/hashmap.h"

/* Opset assumed for the default domain when a model imports none. */
#define SP_SHAPE_DEFAULT_OPSET 21

/* ---- name -> info table: one array of entries, indexed by an sp_map ---- */

typedef struct entry {
  sp_value_info info;
  const Onnx__TypeProto *declared; /* value_info / graph output, or NULL */
  int defined; /* produced by a node, input or initializer */
} entry;

struct sp_shape_table {
  entry *entries; /* never reallocated: lookups hand out pointers into it */
  size_t count, capacity;
  sp_map index; /* name -> entry index + 1 */
};

static sp_shape_table *table_new(size_t capacity) {
  sp_shape_table *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  sp_map_init(&t->index);
  t->capacity = capacity + 1;
  t->entries = malloc(t->capacity * sizeof *t->entries);
  if (!t->entries) {
    free(t);
    return NULL;
  }
  return t;
}

void sp_shape_table_free(sp_shape_table *table) {
  if (!table)
    return;
  sp_map_free(&table->index);
  free(table->entries);
  free(table);
}

static entry *table_find(const sp_shape_table *t, const char *name) {
  uintptr_t i = (uintptr_t)sp_map_get_str(&t->index, name, NULL);
  return i ? &t->entries[i - 1] : NULL;
}

/* The entry for name, created (unknown) if new; NULL on OOM or if the
 * capacity from count_names is exceeded (it cannot be). */
static entry *table_add(sp_shape_table *t, const char *name) {
  entry *e = table_find(t, name);
  if (e)
    return e;
  if (t->count == t->capacity ||
      sp_map_put_str(&t->index, name, (void *)(uintptr_t)(t->count + 1)))
    return NULL;
  e = &t->entries[t->count++];
  memset(e, 0, sizeof *e);
  e->info.name = name;
  e->info.rank = -1;
  return e;
}

const sp_value_info *sp_shape_lookup(const sp_shape_table *table,
                                     const char *name) {
  const entry *e = table && name ? table_find(table, name) : NULL;
  return e ? &e->info : NULL;
}

/* Upper bound on the names a graph and its subgraphs define or declare. */
static size_t count_names(const Onnx__GraphProto *g) {
  size_t n = g->n_input + g->n_initializer + g->n_sparse_initializer +
             g->n_value_info + g->n_output;
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *node = g->node[i];
    n += node->n_output;
    for (size_t a = 0; a < node->n_attribute; ++a) {
      const Onnx__AttributeProto *attr = node->attribute[a];
      if (attr->g)
        n += count_names(attr->g);
      for (size_t k = 0; k < attr->n_graphs; ++k)
        n += count_names(attr->graphs[k]);
    }
  }
  return n;
}

/* ---- warnings ---- */

static void warn(infer_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(infer_ctx *c, const char *fmt, ...) {
  if (!c->options || !c->options->warn)
    return;
  char msg[SP_ERROR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  c->options->warn(c->options->warn_user, msg);
}

static const char *type_name(int32_t t) {
  static const char *const names[] = {
      "undefined", "float",  "uint8",     "int8",       "uint16",  "int16",
      "int32",     "int64",  "string",    "bool",       "float16", "double",
      "uint32",    "uint64", "complex64", "complex128", "bfloat16"};
  return t >= 0 && t <= 16 ? names[t] : "type?";
}

/* Reports a node of an op sp cannot infer, once per op type. */
static void warn_unsupported(infer_ctx *c, const Onnx__NodeProto *node) {
  for (size_t i = 0; i < c->n_warned; ++i)
    if (!strcmp(c->warned_ops[i], node->op_type))
      return;
  if (c->n_warned == c->warned_cap) {
    size_t cap = c->warned_cap ? 2 * c->warned_cap : 16;
    const char **grown = realloc(c->warned_ops, cap * sizeof *grown);
    if (!grown)
      return;
    c->warned_ops = grown;
    c->warned_cap = cap;
  }
  c->warned_ops[c->n_warned++] = node->op_type;
  warn(c,
       "node '%s' (%s%s%s): no shape inference for this op; its outputs "
       "stay unknown",
       sp_node_label(node), node->domain && node->domain[0] ? node->domain : "",
       node->domain && node->domain[0] ? "." : "", node->op_type);
}

/* ---- declared types ---- */

static void shape_to_info(const Onnx__TensorShapeProto *shape,
                          sp_value_info *v) {
  v->rank = -1;
  if (!shape || shape->n_dim > SP_MAX_RANK)
    return;
  v->rank = (int)shape->n_dim;
  for (int i = 0; i < v->rank; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = shape->dim[i];
    sp_set_dim(v, i, -1);
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
      sp_set_dim(v, i, d->dim_value);
    else if (d->value_case ==
                 ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
             d->dim_param && d->dim_param[0])
      v->dim_params[i] = d->dim_param;
  }
}

/* What a TypeProto says about a value (kind, element type, shape). */
static void type_to_info(const Onnx__TypeProto *tp, sp_value_info *v) {
  sp_set_unknown(v, 0);
  if (!tp)
    return;
  switch (tp->value_case) {
  case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
    v->elem_type = tp->tensor_type->elem_type;
    shape_to_info(tp->tensor_type->shape, v);
    break;
  case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
    v->elem_type = tp->sparse_tensor_type->elem_type;
    shape_to_info(tp->sparse_tensor_type->shape, v);
    break;
  case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
    type_to_info(tp->sequence_type->elem_type, v);
    v->kind = SP_VALUE_SEQUENCE;
    break;
  case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
    type_to_info(tp->optional_type->elem_type, v);
    v->kind = SP_VALUE_OPTIONAL;
    break;
  default:
    v->kind = SP_VALUE_OTHER;
    break;
  }
}

/* Fills what inference left unknown in v from declared type tp; warns
 * where the two contradict (the inferred side is kept). */
static void merge_declared(infer_ctx *c, const Onnx__NodeProto *node,
                           const Onnx__TypeProto *tp, sp_value_info *v) {
  sp_value_info d;
  type_to_info(tp, &d);
  if (d.kind != v->kind) {
    if (v->rank < 0 && !v->elem_type) { // e.g. an unsupported op's sequence
      const char *name = v->name;
      *v = d;
      v->name = name;
    }
    return;
  }
  if (!v->elem_type)
    v->elem_type = d.elem_type;
  else if (d.elem_type && d.elem_type != v->elem_type)
    warn(c, "node '%s' (%s): value '%s': declared type %s but inferred %s",
         sp_node_label(node), node->op_type, v->name, type_name(d.elem_type),
         type_name(v->elem_type));
  if (d.rank < 0)
    return;
  if (v->rank < 0) {
    sp_copy_shape(v, &d);
    return;
  }
  int conflict = d.rank != v->rank;
  for (int i = 0; !conflict && i < v->rank; ++i)
    conflict = v->dims[i] >= 0 && d.dims[i] >= 0 && v->dims[i] != d.dims[i];
  if (conflict) {
    char a[128], b[128];
    warn(c, "node '%s' (%s): value '%s': declared %s but inferred %s",
         sp_node_label(node), node->op_type, v->name,
         sp_dims_str(&d, a, sizeof a), sp_dims_str(v, b, sizeof b));
  }
  for (int i = 0; d.rank == v->rank && i < v->rank; ++i) {
    if (v->dims[i] < 0 && d.dims[i] >= 0)
      sp_copy_dim(v, i, &d, i);
    else if (v->dims[i] < 0 && !v->dim_params[i])
      v->dim_params[i] = d.dim_params[i];
  }
}

/* ---- limits ---- */

/* A value whose dims are all static has at most SP_ONNX_MAX_NUMEL elements,
 * so nothing downstream (buffers, kernels, MAC counts) overflows. v is a
 * graph input (node NULL) or an output of node. */
static int check_numel(infer_ctx *c, const Onnx__NodeProto *node,
                       const sp_value_info *v) {
  for (int i = 0; i < v->rank; ++i)
    if (v->dims[i] < 0)
      return 0;
  if (v->rank < 0 || sp_onnx_dims_numel(v->dims, (size_t)v->rank) >= 0)
    return 0;
  char what[SP_ERROR_MAX];
  if (node)
    snprintf(what, sizeof what, "node '%s' (%s): output '%s'",
             sp_node_label(node), node->op_type, v->name);
  else
    snprintf(what, sizeof what, "input '%s'", v->name);
  return sp_onnx_numel_error(c->err, what, v->dims, (size_t)v->rank);
}

/* ONNX dims are >= 0 or named; shape_to_info would read -5 as "dynamic". */
static int check_declared_dims(infer_ctx *c, const Onnx__ValueInfoProto *vi) {
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
      !tp->tensor_type->shape)
    return 0;
  const Onnx__TensorShapeProto *shape = tp->tensor_type->shape;
  for (size_t i = 0; i < shape->n_dim; ++i)
    if (shape->dim[i]->value_case ==
            ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
        shape->dim[i]->dim_value < 0)
      return sp_error_set(c->err,
                          "input '%s': dim %zu is %lld (a dim is a size >= 0 or a name)",
                          vi->name, i, (long long)shape->dim[i]->dim_value);
  return 0;
}

/* ---- seeding a graph ---- */

static int table_full(infer_ctx *c) {
  return sp_error_set(c->err, "out of memory (shape table)");
}

/* Declared value_info and outputs: known before anything is inferred. */
static int seed_declared(infer_ctx *c, Onnx__ValueInfoProto *const *vis,
                         size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!vis[i]->name || !vis[i]->name[0])
      continue;
    entry *e = table_add(c->table, vis[i]->name);
    if (!e)
      return table_full(c);
    if (e->defined)
      continue;
    e->declared = vis[i]->type;
    type_to_info(vis[i]->type, &e->info);
    e->info.name = vis[i]->name;
  }
  return 0;
}

static int seed_initializers(infer_ctx *c, const Onnx__GraphProto *g) {
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *t = g->initializer[i];
    entry *e = table_add(c->table, t->name);
    if (!e)
      return table_full(c);
    sp_tensor_info(t, &e->info);
    e->info.name = t->name;
    e->defined = 1;
    int64_t n = sp_numel(&e->info);
    const void *data;
    size_t size;
    sp_error ignored; // a tensor whose bytes cannot be read just has no values
    if (n >= 0 && n <= SP_MAX_KNOWN_VALUES &&
        (sp_is_int_type(t->data_type) || sp_is_float_type(t->data_type)) &&
        sp_onnx_tensor_bytes(c->model, t, &data, &size, &ignored) == 0)
      sp_tensor_values(t, data, size, &e->info);
  }
  for (size_t i = 0; i < g->n_sparse_initializer; ++i) {
    const Onnx__SparseTensorProto *sp = g->sparse_initializer[i];
    if (!sp->values || !sp->values->name)
      continue;
    entry *e = table_add(c->table, sp->values->name);
    if (!e)
      return table_full(c);
    sp_set_rank(&e->info, sp->values->data_type,
                sp->n_dims <= SP_MAX_RANK ? (int)sp->n_dims : -1);
    for (int d = 0; d < e->info.rank; ++d)
      sp_set_dim(&e->info, d, sp->dims[d]);
    e->defined = 1;
  }
  return 0;
}

static const sp_value_info *find_override(const infer_ctx *c,
                                          const char *name) {
  if (!c->options)
    return NULL;
  for (int i = 0; i < c->options->num_input_overrides; ++i) {
    const sp_value_info *o = &c->options->input_overrides[i];
    if (o->name && !strcmp(o->name, name))
      return o;
  }
  return NULL;
}

/* Graph inputs: declared types, or the caller's overrides (main graph).
 * A body's inputs take what seeds[i] says where their declaration is silent
 * (Loop-carried values, SequenceMap elements). */
static int seed_inputs(infer_ctx *c, const Onnx__GraphProto *g, int is_main,
                       const sp_value_info *seeds) {
  for (size_t i = 0; i < g->n_input; ++i) {
    const Onnx__ValueInfoProto *vi = g->input[i];
    if (!vi->name || !vi->name[0])
      continue;
    entry *e = table_add(c->table, vi->name);
    if (!e)
      return table_full(c);
    if (check_declared_dims(c, vi))
      return -1;
    const sp_value_info *o = is_main ? find_override(c, vi->name) : NULL;
    if (o)
      e->info = *o;
    else if (!e->defined ||
             !is_main) // an initializer listed as input keeps its data
      type_to_info(vi->type, &e->info);
    if (seeds && !e->info.elem_type)
      e->info.elem_type = seeds[i].elem_type;
    if (seeds && e->info.rank < 0 && seeds[i].kind == e->info.kind)
      sp_copy_shape(&e->info, &seeds[i]);
    e->info.name = vi->name;
    e->defined = 1;
    if (check_numel(c, NULL, &e->info))
      return -1;
  }
  return 0;
}

/* ---- nodes ---- */

static int64_t opset_of(const infer_ctx *c, const char *domain) {
  const Onnx__ModelProto *m = c->model->proto;
  if (sp_shape_is_default_domain(domain))
    return c->opset;
  for (size_t i = 0; i < m->n_opset_import; ++i)
    if (m->opset_import[i]->domain &&
        !strcmp(m->opset_import[i]->domain, domain))
      return m->opset_import[i]->version;
  return 1;
}

/* Grows the per-node scratch arrays (amortized: no per-node allocation). */
static int reserve(infer_ctx *c, size_t n_in, size_t n_out) {
  if (n_in > c->inputs_cap) {
    size_t cap = n_in > 2 * c->inputs_cap ? n_in : 2 * c->inputs_cap;
    const sp_value_info **p = realloc(c->inputs, cap * sizeof *p);
    if (!p)
      return sp_error_set(c->err, "out of memory");
    c->inputs = p;
    c->inputs_cap = cap;
  }
  if (n_out > c->outputs_cap) {
    size_t cap = n_out > 2 * c->outputs_cap ? n_out : 2 * c->outputs_cap;
    sp_value_info *p = realloc(c->outputs, cap * sizeof *p);
    if (!p)
      return sp_error_set(c->err, "out of memory");
    c->outputs = p;
    c->outputs_cap = cap;
  }
  return 0;
}

const sp_value_info *sp_infer_lookup(const infer_ctx *c, const char *name) {
  const entry *e = name && name[0] ? table_find(c->table, name) : NULL;
  return e ? &e->info : NULL;
}

/* Stores output i, filled in from (and checked against) its declared type. */
static int store_output(infer_ctx *c, const Onnx__NodeProto *node, size_t i) {
  const char *name = node->output[i];
  if (!name[0])
    return 0;
  sp_value_info *v = &c->outputs[i];
  v->name = name;
  entry *e = table_add(c->table, name);
  if (!e)
    return table_full(c);
  if (e->declared)
    merge_declared(c, node, e->declared, v);
  e->info = *v;
  e->defined = 1;
  return check_numel(c, node, v);
}

static int infer_node(infer_ctx *c, const Onnx__NodeProto *node) {
  int64_t opset = opset_of(c, node->domain);
  if (sp_infer_subgraphs(c, node, opset) ||
      reserve(c, node->n_input, node->n_output))
    return -1;
  int n_in = (int)node->n_input, n_out = (int)node->n_output;
  if (n_out == 0)
    return 0; // nothing to infer; shape functions may assume an output
  for (int i = 0; i < n_in; ++i) {
    const char *name = node->input[i];
    const sp_value_info *v = name[0] ? sp_infer_lookup(c, name) : NULL;
    c->inputs[i] = name[0] && !v ? &c->unknown : v;
  }
  for (int i = 0; i < n_out; ++i) {
    memset(&c->outputs[i], 0, sizeof c->outputs[i]);
    c->outputs[i].rank = -1;
  }
  sp_shape_fn fn = sp_shape_fn_for(node->domain, node->op_type);
  if (fn) {
    if (fn(node, c->inputs, n_in, c->outputs, n_out, opset, c->err))
      return -1;
  } else if (!sp_infer_control_flow(c, node, n_in, n_out, opset)) {
    warn_unsupported(c, node);
  }
  for (int i = 0; i < n_out; ++i)
    if (store_output(c, node, (size_t)i))
      return -1;
  return 0;
}

int sp_infer_graph(infer_ctx *c, const Onnx__GraphProto *g, int is_main,
                   const sp_value_info *seeds) {
  if (seed_declared(c, g->value_info, g->n_value_info) ||
      seed_declared(c, g->output, g->n_output) || seed_initializers(c, g) ||
      seed_inputs(c, g, is_main, seeds))
    return -1;
  size_t *order = NULL;
  if (sp_onnx_topo_order(g, &order, c->err))
    return -1;
  int rc = 0;
  for (size_t i = 0; i < g->n_node && rc == 0; ++i)
    rc = infer_node(c, g->node[order[i]]);
  free(order);
  return rc;
}

static int64_t default_opset(const Onnx__ModelProto *m) {
  for (size_t i = 0; i < m->n_opset_import; ++i)
    if (sp_shape_is_default_domain(m->opset_import[i]->domain))
      return m->opset_import[i]->version;
  return SP_SHAPE_DEFAULT_OPSET;
}

int sp_infer_shapes(sp_onnx_model *model, const sp_shape_options *options,
                    sp_shape_table **out, sp_error *err) {
  *out = NULL;
  const char *path = model && model->path ? model->path : "<model>";
  if (!model || !model->proto || !model->proto->graph)
    return sp_error_set(err, "%s: model has no graph", path);
  const Onnx__GraphProto *g = model->proto->graph;
  infer_ctx c;
  memset(&c, 0, sizeof c);
  c.model = model;
  c.options = options;
  c.opset = default_opset(model->proto);
  c.err = err;
  c.unknown.rank = -1;
  c.table = table_new(count_names(g));
  if (!c.table)
    return sp_error_set(err, "%s: out of memory", path);
  int rc = sp_infer_graph(&c, g, 1, NULL);
  free(c.inputs);
  free(c.outputs);
  free(c.warned_ops);
  if (rc) {
    sp_shape_table_free(c.table);
    return sp_error_prefix(err, path);
  }
  *out = c.table;
  return 0;
}

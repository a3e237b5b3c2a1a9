/* validate.c - structural checks of a loaded model, in linear time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

/* Deeper If/Loop/Scan nesting is rejected rather than recursed into. */
#define MAX_GRAPH_DEPTH 64

/* What defined a name in a graph's scope, when it is not a node index. */
enum { DEF_INPUT = (size_t)-1, DEF_INITIALIZER = (size_t)-2 };

const char *sp_onnx_node_label(const Onnx__NodeProto *node, size_t index,
                               char *buf, size_t size) {
  const char *op = node->op_type ? node->op_type : "";
  if (node->name && *node->name)
    snprintf(buf, size, "node '%s' (%s)", node->name, op);
  else
    snprintf(buf, size, "node #%zu (%s)", index, op);
  return buf;
}

int sp_onnx_attr_has_graphs(const Onnx__AttributeProto *attr) {
  return attr->g || attr->n_graphs > 0;
}

int sp_onnx_define(sp_map *map, const char *name, size_t index,
                   size_t *existing) {
  int found;
  void *old = sp_map_get_str(map, name, &found);
  if (found) {
    if (existing)
      *existing = (size_t)(uintptr_t)old;
    return 0;
  }
  return sp_map_put_str(map, name, (void *)(uintptr_t)index) < 0 ? -1 : 1;
}

int sp_onnx_lookup(const sp_map *map, const char *name, size_t *index) {
  int found;
  void *value = sp_map_get_str(map, name, &found);
  if (found && index)
    *index = (size_t)(uintptr_t)value;
  return found;
}

/* The names visible in one graph; parent is the enclosing graph's scope. */
typedef struct scope {
  sp_map names;
  const struct scope *parent;
  const Onnx__GraphProto *graph;
} scope;

static int visible(const scope *s, const char *name) {
  for (; s; s = s->parent)
    if (sp_onnx_lookup(&s->names, name, NULL))
      return 1;
  return 0;
}

static const char *definer(const scope *s, size_t def, char *buf, size_t size) {
  if (def == DEF_INPUT)
    return "a graph input";
  if (def == DEF_INITIALIZER)
    return "an initializer";
  return sp_onnx_node_label(s->graph->node[def], def, buf, size);
}

static int oom(sp_error *err) { return sp_error_set(err, "out of memory"); }

/* Puts text in front of the message; through sp_error_set, which keeps it
 * one line even when names in the model contain newlines. */
int sp_onnx_error_prefix(sp_error *err, const char *text) {
  if (!err || !text[0])
    return -1;
  char old[SP_ERROR_MAX];
  memcpy(old, err->message, sizeof old);
  return sp_error_set(err, "%s%s", text, old);
}

/* where is empty or "graph 'body' of node 'loop' (Loop): ". */
static int with_where(sp_error *err, const char *where) {
  return sp_onnx_error_prefix(err, where);
}

static int define_inputs(scope *s, const char *where, sp_error *err) {
  const Onnx__GraphProto *g = s->graph;
  for (size_t i = 0; i < g->n_input; ++i) {
    const char *name = g->input[i]->name ? g->input[i]->name : "";
    int rc = sp_onnx_define(&s->names, name, DEF_INPUT, NULL);
    if (rc < 0)
      return oom(err);
    if (rc == 0)
      return sp_error_set(err, "%sgraph input '%s' is declared twice", where,
                          name);
  }
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *t = g->initializer[i];
    const char *name = t->name ? t->name : "";
    size_t def = 0;
    // An initializer may repeat a graph input's name: it is its default.
    int rc = sp_onnx_define(&s->names, name, DEF_INITIALIZER, &def);
    if (rc < 0)
      return oom(err);
    if (rc == 0 && def == DEF_INITIALIZER)
      return sp_error_set(err, "%sinitializer '%s' is declared twice", where,
                          name);
    if (sp_onnx_check_tensor(t, err) < 0)
      return with_where(err, where);
  }
  for (size_t i = 0; i < g->n_sparse_initializer; ++i) {
    const Onnx__TensorProto *values = g->sparse_initializer[i]->values;
    if (values && values->name &&
        sp_onnx_define(&s->names, values->name, DEF_INITIALIZER, NULL) < 0)
      return oom(err);
  }
  return 0;
}

static int define_outputs(scope *s, const char *where, sp_error *err) {
  const Onnx__GraphProto *g = s->graph;
  char a[300], b[300];
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *node = g->node[i];
    for (size_t j = 0; j < node->n_output; ++j) {
      if (!node->output[j][0]) // "" marks an omitted optional output
        continue;
      size_t def = 0;
      int rc = sp_onnx_define(&s->names, node->output[j], i, &def);
      if (rc < 0)
        return oom(err);
      if (rc == 0)
        return sp_error_set(err, "%s%s: output '%s' is already defined by %s",
                            where, sp_onnx_node_label(node, i, a, sizeof a),
                            node->output[j], definer(s, def, b, sizeof b));
    }
  }
  return 0;
}

static int check_graph(const Onnx__GraphProto *g, const scope *parent,
                       const char *where, int depth, sp_error *err);

static int check_tensor_attr(const Onnx__TensorProto *t, const char *label,
                             const char *where, sp_error *err) {
  if (!t || sp_onnx_check_tensor(t, err) == 0)
    return 0;
  char prefix[700];
  snprintf(prefix, sizeof prefix, "%s%s: ", where, label);
  return sp_onnx_error_prefix(err, prefix);
}

static int check_subgraphs(const Onnx__NodeProto *node, const char *label,
                           const scope *s, const char *where, int depth,
                           sp_error *err) {
  char inner[1024];
  for (size_t i = 0; i < node->n_attribute; ++i) {
    const Onnx__AttributeProto *a = node->attribute[i];
    if (check_tensor_attr(a->t, label, where, err) < 0)
      return -1;
    for (size_t j = 0; j < a->n_tensors; ++j)
      if (check_tensor_attr(a->tensors[j], label, where, err) < 0)
        return -1;
    if (!sp_onnx_attr_has_graphs(a))
      continue;
    snprintf(inner, sizeof inner, "%sgraph '%s' of %s: ", where,
             a->name ? a->name : "", label);
    if (a->g && check_graph(a->g, s, inner, depth + 1, err) < 0)
      return -1;
    for (size_t j = 0; j < a->n_graphs; ++j)
      if (check_graph(a->graphs[j], s, inner, depth + 1, err) < 0)
        return -1;
  }
  return 0;
}

/* Index of the first output of node that may be "" (an omitted optional
 * output, or one of a variadic list): the ONNX schemas of the default domain
 * (onnx.defs, opsets 1-23). The outputs of every other default-domain op are
 * required; other domains' schemas are unknown, so anything goes there. */
static size_t first_omittable_output(const Onnx__NodeProto *node) {
  static const struct {
    const char *op;
    size_t first;
  } omittable[] = {
      {"Attention", 1}, {"BatchNormalization", 1}, {"Dropout", 1}, {"GRU", 0},
      {"If", 0}, {"LSTM", 0}, {"LayerNormalization", 1}, {"Loop", 0},
      {"MaxPool", 1}, {"RNN", 0}, {"Scan", 0}, {"SequenceMap", 0},
      {"SoftmaxCrossEntropyLoss", 1}, {"Split", 0}, {"Unique", 1},
  };
  const char *domain = node->domain ? node->domain : "";
  if (*domain && strcmp(domain, "ai.onnx") != 0)
    return 0;
  for (size_t i = 0; i < sizeof omittable / sizeof omittable[0]; ++i)
    if (!strcmp(node->op_type, omittable[i].op))
      return omittable[i].first;
  return node->n_output;
}

static int check_nodes(const scope *s, const char *where, int depth,
                       sp_error *err) {
  const Onnx__GraphProto *g = s->graph;
  char label[300];
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *node = g->node[i];
    sp_onnx_node_label(node, i, label, sizeof label);
    if (!node->op_type || !*node->op_type)
      return sp_error_set(err, "%s%s: missing op_type", where, label);
    for (size_t j = 0; j < node->n_input; ++j)
      if (node->input[j][0] && !visible(s, node->input[j]))
        return sp_error_set(err, "%s%s: input '%s' is not defined", where,
                            label, node->input[j]);
    size_t omittable = first_omittable_output(node);
    for (size_t j = 0; j < node->n_output && j < omittable; ++j)
      if (!node->output[j][0])
        return sp_error_set(err, "%s%s: output %zu has an empty name, but only "
                            "optional outputs may be omitted", where, label, j);
    if (check_subgraphs(node, label, s, where, depth, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < g->n_output; ++i) {
    const char *name = g->output[i]->name ? g->output[i]->name : "";
    if (!visible(s, name))
      return sp_error_set(err, "%sgraph output '%s' is not defined", where,
                          name);
  }
  return 0;
}

static int check_graph(const Onnx__GraphProto *g, const scope *parent,
                       const char *where, int depth, sp_error *err) {
  if (depth > MAX_GRAPH_DEPTH)
    return sp_error_set(err, "%ssubgraphs nested deeper than %d", where,
                        MAX_GRAPH_DEPTH);
  scope s = {.parent = parent, .graph = g};
  sp_map_init(&s.names);
  size_t *order = NULL;
  int rc = define_inputs(&s, where, err);
  if (rc == 0)
    rc = define_outputs(&s, where, err);
  if (rc == 0)
    rc = check_nodes(&s, where, depth, err);
  if (rc == 0 && (rc = sp_onnx_topo_order(g, &order, err)) < 0)
    with_where(err, where);
  free(order);
  sp_map_free(&s.names);
  return rc;
}

int sp_onnx_file_error(sp_error *err, const char *path) {
  char prefix[512];
  snprintf(prefix, sizeof prefix, "%s: ", path);
  return sp_onnx_error_prefix(err, prefix);
}

int sp_onnx_validate(const sp_onnx_model *model, sp_error *err) {
  if (!model || !model->proto)
    return sp_error_set(err, "no model");
  const Onnx__ModelProto *m = model->proto;
  const char *path = model->path ? model->path : "<memory>";
  if (!m->has_ir_version)
    return sp_error_set(err, "%s: missing ir_version", path);
  if (m->ir_version < SP_ONNX_MIN_IR_VERSION ||
      m->ir_version > SP_ONNX_MAX_IR_VERSION)
    return sp_error_set(err,
                        "%s: unsupported IR version %lld (sp reads %d to "
                        "%d)",
                        path, (long long)m->ir_version, SP_ONNX_MIN_IR_VERSION,
                        SP_ONNX_MAX_IR_VERSION);
  if (m->n_opset_import == 0)
    return sp_error_set(err, "%s: missing opset_import", path);
  if (!m->graph)
    return sp_error_set(err, "%s: missing graph", path);
  if (check_graph(m->graph, NULL, "", 0, err) < 0)
    return sp_onnx_file_error(err, path);
  return 0;
}
